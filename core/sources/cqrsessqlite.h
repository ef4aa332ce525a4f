#pragma once
// The SQLite layout of the Rust cqrs-es framework (sqlite-es: table events), read in place and read-only.
// It keeps no global position and no time: see docs/layouts.md for how positions and streams are formed.

#include "store/eventreader.h"

namespace chronoscope {

struct SourceProbe;

/// Opens a cqrs-es SQLite file. Null with *error naming the file on failure.
std::unique_ptr<EventReader> openCqrsEsSqlite(const QString& path, QString* error);
/// Registry score: > 0 when the file has an events table with cqrs-es's columns (checked read-only).
int probeCqrsEsSqlite(const SourceProbe& probe);

} // namespace chronoscope
