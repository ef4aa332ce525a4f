#include "store/storeschema.h"

#include <QStringList>
#include <QUrl>

#include <sqlite3.h>

namespace chronoscope::store {

// Streams and types are stored once and referenced by integer id, so an event row holds
// three small integers instead of two repeated strings. The events table is keyed by the global
// position (the rowid), so reads by position need no extra index.
const char* const kCreateTables = R"sql(
CREATE TABLE meta(
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;
CREATE TABLE streams(
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    events         INTEGER NOT NULL,
    first_version  INTEGER NOT NULL,
    last_version   INTEGER NOT NULL,
    first_position INTEGER NOT NULL,
    last_position  INTEGER NOT NULL,
    first_time     INTEGER,
    last_time      INTEGER
);
CREATE TABLE types(
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE events(
    position INTEGER PRIMARY KEY,
    stream   INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    type     INTEGER NOT NULL,
    time     INTEGER,
    id       TEXT,
    data     TEXT,
    metadata TEXT,
    flags    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE checkpoints(
    projection TEXT NOT NULL,
    stream     INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    time       INTEGER,
    state      BLOB NOT NULL,
    PRIMARY KEY(projection, stream, version)
) WITHOUT ROWID;
CREATE TABLE issues(
    file    TEXT,
    line    INTEGER,
    message TEXT NOT NULL
);
)sql";

const char* const kCreateIndexes = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events(stream, version);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE INDEX IF NOT EXISTS streams_listing ON streams(name, id, events, first_version, last_version, first_position, last_position, first_time, last_time);
)sql";

QByteArray sqliteUri(const QString& path, const char* mode)
{
    // Percent-encode everything but '/', so '?', '#' and '%' in file names survive the URI form.
    QByteArray uri = "file:" + QUrl::toPercentEncoding(path, "/");
    if (mode && *mode)
        uri += QByteArray("?mode=") + mode;
    return uri;
}

bool exec(sqlite3* db, const char* sql, QString* error)
{
    char* msg = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    if (rc != SQLITE_OK) {
        if (error)
            *error = msg ? QString::fromUtf8(msg) : describeError(db, rc);
        sqlite3_free(msg);
        return false;
    }
    return true;
}

QString describeError(sqlite3* db, int rc)
{
    const int primary = rc & 0xff;
    const QString raw = QString::fromUtf8(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (primary) {
    case SQLITE_CORRUPT:
        return QStringLiteral("the file is damaged (%1)").arg(raw);
    case SQLITE_NOTADB:
        return QStringLiteral("not a SQLite database (%1)").arg(raw);
    case SQLITE_FULL:
        return QStringLiteral("the disk is full (%1)").arg(raw);
    case SQLITE_CANTOPEN:
        return QStringLiteral("cannot be opened (%1)").arg(raw);
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return QStringLiteral("permission denied (%1)").arg(raw);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return QStringLiteral("the file is locked by another program (%1)").arg(raw);
    case SQLITE_IOERR:
        return QStringLiteral("read or write error (%1)").arg(raw);
    default:
        return raw;
    }
}

} // namespace chronoscope::store
