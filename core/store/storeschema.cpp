#include "store/storeschema.h"

#include "store/sqlitedb.h"

#include <QStringList>
#include <QUrl>

#include <sqlite3.h>

namespace chronoscope::store {

// The timeline summary's columns, shared by the new-store schema and the append path's CREATE IF NOT EXISTS.
#define CHRONOSCOPE_TIMELINE_BINS \
    "(bin INTEGER NOT NULL, type INTEGER NOT NULL, events INTEGER NOT NULL, PRIMARY KEY(bin, type)) WITHOUT ROWID;"

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
)sql"
    "CREATE TABLE timeline_bins" CHRONOSCOPE_TIMELINE_BINS;

// What a first paint of the timeline needs, counted as the events are written (docs/store.md "Timeline summary"):
// events per (bin, type), bin = floor(value / width) of the time (ms) or, in a store without times, the position.
const char* const kCreateTimelineBins = "CREATE TABLE IF NOT EXISTS timeline_bins" CHRONOSCOPE_TIMELINE_BINS;

#define CHRONOSCOPE_TIME_INDEX "CREATE INDEX IF NOT EXISTS events_time ON events(time);"

const char* const kCreateTimeIndex = CHRONOSCOPE_TIME_INDEX;

const char* const kCreateIndexes = R"sql(
CREATE UNIQUE INDEX IF NOT EXISTS events_stream_version ON events(stream, version);
)sql" CHRONOSCOPE_TIME_INDEX R"sql(
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
            *error = describeError(db, rc); // the raw message too, with words for damage, a full disk, ...
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

sqlite3* openReferenceSchema(bool withIndexes)
{
    sqlite3* ref = nullptr;
    if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK ||
        !exec(ref, kCreateTables, nullptr) || (withIndexes && !exec(ref, kCreateIndexes, nullptr))) {
        sqlite3_close(ref);
        return nullptr;
    }
    return ref;
}

bool hardenConnection(sqlite3* db, QString* error)
{
    struct Setting
    {
        int op;
        int value;
        const char* name;
    };
    static const Setting settings[] = {
        {SQLITE_DBCONFIG_DEFENSIVE, 1, "SQLITE_DBCONFIG_DEFENSIVE"},
        {SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, "SQLITE_DBCONFIG_TRUSTED_SCHEMA"},
        {SQLITE_DBCONFIG_WRITABLE_SCHEMA, 0, "SQLITE_DBCONFIG_WRITABLE_SCHEMA"},
        {SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, "SQLITE_DBCONFIG_ENABLE_TRIGGER"},
        {SQLITE_DBCONFIG_ENABLE_VIEW, 0, "SQLITE_DBCONFIG_ENABLE_VIEW"},
        {SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, "SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION"},
    };
    auto fail = [&](const QString& what) {
        if (error)
            *error = QStringLiteral("cannot make the connection safe for an untrusted file (%1)").arg(what);
        return false;
    };
    if (!db)
        return fail(QStringLiteral("no connection"));
    for (const Setting& s : settings) {
        int now = -1;
        const int rc = sqlite3_db_config(db, s.op, s.value, &now);
        if (rc != SQLITE_OK || now != s.value)
            return fail(QStringLiteral("%1 = %2 did not take: %3").arg(QLatin1String(s.name)).arg(s.value).arg(
                QString::fromUtf8(sqlite3_errstr(rc))));
    }
    // The pragma spellings too (same flags), each checked: the statement must succeed and read back as set.
    struct Pragma
    {
        const char* set;
        const char* get;
        int want;
    };
    static const Pragma pragmas[] = {
        {"PRAGMA trusted_schema=OFF", "PRAGMA trusted_schema", 0},
        {"PRAGMA writable_schema=OFF", "PRAGMA writable_schema", 0},
        {"PRAGMA cell_size_check=ON", "PRAGMA cell_size_check", 1},
        {"PRAGMA mmap_size=0", "PRAGMA mmap_size", 0},
    };
    for (const Pragma& p : pragmas) {
        QString err;
        if (!exec(db, p.set, &err))
            return fail(QStringLiteral("%1: %2").arg(QLatin1String(p.set), err));
        int got = -1;
        {
            SqlStatement st(db, p.get);
            if (st.ok() && st.next())
                got = int(st.int64(0));
        }
        if (got != p.want)
            return fail(QStringLiteral("%1 reads %2 after it was set (%3)")
                            .arg(QLatin1String(p.get))
                            .arg(got)
                            .arg(QString::fromUtf8(sqlite3_errmsg(db))));
    }
    // Nothing of ours attaches another file; a crafted statement never runs, but the door stays shut.
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    return true;
}

QString suspiciousSchema(sqlite3* db, const QByteArray& table)
{
    // sqlite_master is read as data: with views and triggers disabled nothing in it runs.
    SqlStatement st(db, "SELECT type, name FROM sqlite_master WHERE (type='view' AND name=?1 COLLATE NOCASE) "
                        "OR (type='trigger' AND tbl_name=?1 COLLATE NOCASE) ORDER BY type DESC, name");
    if (!st.ok())
        return QStringLiteral("its schema cannot be read (%1)").arg(st.prepareError());
    st.bindText(1, table);
    QStringList found;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        const QString type = st.text(0);
        const QString name = st.text(1);
        if (type == QLatin1String("view"))
            found << QStringLiteral("'%1' is a view, not a table").arg(name);
        else
            found << QStringLiteral("a trigger '%1' is defined on '%2'").arg(name, QString::fromUtf8(table));
    }
    if (rc != SQLITE_DONE)
        found << QStringLiteral("its schema cannot be read (%1)").arg(QString::fromUtf8(sqlite3_errmsg(db)));
    return found.join(QLatin1String("; "));
}

char declaredAffinity(const QString& declaredType)
{
    const QString t = declaredType.toUpper();
    if (t.contains(QLatin1String("INT")))
        return 'i';
    if (t.contains(QLatin1String("CHAR")) || t.contains(QLatin1String("CLOB")) || t.contains(QLatin1String("TEXT")))
        return 't';
    if (t.isEmpty() || t.contains(QLatin1String("BLOB")))
        return 'b';
    if (t.contains(QLatin1String("REAL")) || t.contains(QLatin1String("FLOA")) || t.contains(QLatin1String("DOUB")))
        return 'r';
    return 'n';
}

} // namespace chronoscope::store
