#pragma once
// Emmett's SQLite event store (@event-driven-io/emmett-sqlite), read in place and read-only.
// Layout and mapping: docs/layouts.md.

#include "store/eventreader.h"

namespace chronoscope {

struct SourceProbe;

/// Opens an Emmett SQLite file (table emt_messages). Null with *error naming the file on failure.
std::unique_ptr<EventReader> openEmmettSqlite(const QString& path, QString* error);
/// Registry score: > 0 when the file has an emt_messages table.
int probeEmmettSqlite(const SourceProbe& probe);

} // namespace chronoscope
