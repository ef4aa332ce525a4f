#pragma once
// The SQLite layout of the Python eventsourcing library (table stored_events), read in place and read-only,
// including zlib-compressed and AES-GCM encrypted states. Layout and mapping: docs/layouts.md.

#include "store/eventreader.h"

namespace chronoscope {

struct SourceProbe;

/// Opens a Python eventsourcing SQLite file. `cipherKey` is the application's base64 CIPHER_KEY (empty: none).
/// Null with *error naming the file on failure (encrypted events without a key, a key that does not decrypt them).
std::unique_ptr<EventReader> openEventsourcingSqlite(const QString& path, const QByteArray& cipherKey, QString* error);
/// Registry score: > 0 when the file has a stored_events table.
int probeEventsourcingSqlite(const SourceProbe& probe);

/// "32 lowercase hex digits" (Python's uuid.hex) -> the dashed UUID form; anything else (other spellings included:
/// an id in capitals is a different text id) is returned unchanged.
QString eventsourcingStreamName(const QString& originatorId);
/// The event type of a topic ("shop.domain:Order.Created" -> "Created").
QString eventsourcingTopicType(QStringView topic);

} // namespace chronoscope
