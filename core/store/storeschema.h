#pragma once
// The native store file's schema (docs/store.md) and small SQLite helpers shared by the writer and the
// reader. Internal to core/store and core/import.

#include <QByteArray>
#include <QString>
#include <QStringList>

struct sqlite3;

namespace chronoscope::store {

/// PRAGMA user_version of the files this build writes and reads. Bump on any incompatible change.
/// 2 added the write-time timeline summary (timeline_bins, meta key "timeline_bins"); version 1 files (without
/// it) still open everywhere, and an append to one upgrades it to 2.
inline constexpr int kSchemaVersion = 2;
/// The oldest schema version this build opens.
inline constexpr int kOldestSchemaVersion = 1;
/// The timeline summary (docs/store.md "Timeline summary"): at most this many distinct bins over the store's span.
inline constexpr qint64 kTimelineMaxBins = 65536;
/// The meta key of the timeline summary's description (a JSON object: axis, width, events, last_position, untimed).
inline constexpr const char* kTimelineBinsKey = "timeline_bins";
/// The timeline summary's table; optional (stores of schema version 1 lack it).
extern const char* const kCreateTimelineBins;
/// PRAGMA application_id of the stores this build writes ("CHRN", big-endian at byte 68 of the file): lets a file
/// manager type a store by its first 100 bytes (packaging/chronoscope-mime.xml), whatever the page size.
inline constexpr int kApplicationId = 0x4348524E;
/// Value of meta.format, so a store is recognised even when opened by something else than its name.
inline constexpr const char* kFormatName = "chronoscope";
/// events.flags bit: data is not JSON (kept as a JSON string).
inline constexpr int kFlagDataNotJson = 1;

/// Tables (and the indexes that must exist before any row is written).
extern const char* const kCreateTables;
/// Secondary indexes; built after a bulk load.
extern const char* const kCreateIndexes;
/// The time index alone (one of kCreateIndexes): a bulk load keeps it from the start while times arrive in order.
extern const char* const kCreateTimeIndex;
/// Table names a native store has (the "chronoscope" source kind probes for all of them).
inline const QStringList& requiredTables()
{
    static const QStringList t{QStringLiteral("checkpoints"), QStringLiteral("events"), QStringLiteral("issues"),
                               QStringLiteral("meta"), QStringLiteral("streams"), QStringLiteral("types")};
    return t;
}

/// Tables a native store may have besides the required ones (checked for their shape when present).
inline const QStringList& optionalTables()
{
    static const QStringList t{QStringLiteral("timeline_bins")};
    return t;
}

/// "file:<percent-encoded path>?mode=ro" style URI for sqlite3_open_v2 with SQLITE_OPEN_URI.
QByteArray sqliteUri(const QString& path, const char* mode);
/// Runs SQL that returns no rows. On failure returns false and fills *error with the SQLite message.
bool exec(sqlite3* db, const char* sql, QString* error);
/// A private in-memory database holding the writer's own schema (kCreateTables, and kCreateIndexes when
/// `withIndexes`): what a reader checks a file's columns against, and where the writer takes the text SQLite keeps
/// for an index. nullptr when it cannot be built; the caller closes it (sqlite3_close).
sqlite3* openReferenceSchema(bool withIndexes);
/// The last SQLite error of db, in words a user understands for the common failures.
QString describeError(sqlite3* db, int rc);

/// Makes a connection safe for a file that someone else may have crafted, as SQLite's "Defense Against the
/// Dark Arts" advises (https://sqlite.org/security.html): SQLITE_DBCONFIG_DEFENSIVE on, trusted_schema off
/// (functions with side effects cannot run from the file's schema), writable_schema off, triggers, views and
/// extension loading off. Every setting is read back: false with *error when one did not take. Call it right
/// after sqlite3_open_v2, before the first statement touches the file.
bool hardenConnection(sqlite3* db, QString* error);

/// Schema objects of a file that the caller does not expect next to `table` (for clear errors on crafted files):
/// "<table> is a view, not a table" / "a trigger <name> is defined on <table>". Empty when the table is a plain
/// table without triggers (or does not exist: the caller says that).
QString suspiciousSchema(sqlite3* db, const QByteArray& table);

/// SQLite's type affinity of a declared column type (sqlite.org/datatype3.html 3.1): 'i'nteger, 't'ext,
/// 'b'lob (none), 'r'eal, 'n'umeric.
char declaredAffinity(const QString& declaredType);

} // namespace chronoscope::store
