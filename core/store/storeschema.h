#pragma once
// The native store file's schema (docs/store.md) and small SQLite helpers shared by the writer and the
// reader. Internal to core/store and core/import.

#include <QByteArray>
#include <QString>
#include <QStringList>

struct sqlite3;

namespace chronoscope::store {

/// PRAGMA user_version of the files this build writes and reads. Bump on any incompatible change.
inline constexpr int kSchemaVersion = 1;
/// Value of meta.format, so a store is recognised even when opened by something else than its name.
inline constexpr const char* kFormatName = "chronoscope";
/// events.flags bit: data is not JSON (kept as a JSON string).
inline constexpr int kFlagDataNotJson = 1;

/// Tables (and the indexes that must exist before any row is written).
extern const char* const kCreateTables;
/// Secondary indexes; built after a bulk load.
extern const char* const kCreateIndexes;
/// Table names a native store has (the "chronoscope" source kind probes for all of them).
inline const QStringList& requiredTables()
{
    static const QStringList t{QStringLiteral("checkpoints"), QStringLiteral("events"), QStringLiteral("issues"),
                               QStringLiteral("meta"), QStringLiteral("streams"), QStringLiteral("types")};
    return t;
}

/// "file:<percent-encoded path>?mode=ro" style URI for sqlite3_open_v2 with SQLITE_OPEN_URI.
QByteArray sqliteUri(const QString& path, const char* mode);
/// Runs SQL that returns no rows. On failure returns false and fills *error with the SQLite message.
bool exec(sqlite3* db, const char* sql, QString* error);
/// The last SQLite error of db, in words a user understands for the common failures.
QString describeError(sqlite3* db, int rc);

} // namespace chronoscope::store
