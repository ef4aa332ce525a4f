#include "sources/sqlitelayout.h"

#include "sources/sourceregistry.h"
#include "store/memoryreader.h"
#include "store/storeschema.h"

#include <QFile>
#include <QFileInfo>
#include <QUrl>

#include <sqlite3.h>

#include <algorithm>
#include <cstring>

namespace chronoscope {

Q_LOGGING_CATEGORY(lcLayouts, "chronoscope.layouts")

namespace {

constexpr int kMaxWarnings = 50;
constexpr qsizetype kMaxCachedStreams = 200000;

quint32 be32(const QByteArray& h, int at)
{
    return (quint32(quint8(h[at])) << 24) | (quint32(quint8(h[at + 1])) << 16) | (quint32(quint8(h[at + 2])) << 8) |
           quint32(quint8(h[at + 3]));
}

// A VFS for files cut short (see SqliteDb::open). SQLite refuses a database whose header counts more pages
// than the file holds unless writable_schema is on, which defensive mode (rightly) disables. This VFS passes
// everything through to the default one but reads the header's page count (bytes 28..31) as 0, which SQLite
// takes as "unknown: use the file size" (btree.c, lockBtree()), so the pages that are there can be read and a
// read stops with SQLITE_CORRUPT where the missing ones begin. Only used read-only, for such files.
constexpr const char* kShortFileVfs = "chronoscope-shortfile";

struct ShortFile
{
    sqlite3_file base;
    sqlite3_file* real;  // the default VFS's file, allocated right after this struct
};

sqlite3_file* realFile(sqlite3_file* f)
{
    return reinterpret_cast<ShortFile*>(f)->real;
}

int sfClose(sqlite3_file* f)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
int sfRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off)
{
    sqlite3_file* r = realFile(f);
    const int rc = r->pMethods->xRead(r, buf, amt, off);
    if ((rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ) && off <= 28 && off + amt >= 32)
        std::memset(static_cast<char*>(buf) + (28 - off), 0, 4);
    return rc;
}
int sfWrite(sqlite3_file*, const void*, int, sqlite3_int64)
{
    return SQLITE_READONLY;
}
int sfTruncate(sqlite3_file*, sqlite3_int64)
{
    return SQLITE_READONLY;
}
int sfSync(sqlite3_file* f, int flags)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xSync(r, flags);
}
int sfFileSize(sqlite3_file* f, sqlite3_int64* size)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xFileSize(r, size);
}
int sfLock(sqlite3_file* f, int level)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xLock(r, level);
}
int sfUnlock(sqlite3_file* f, int level)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xUnlock(r, level);
}
int sfCheckReservedLock(sqlite3_file* f, int* out)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xCheckReservedLock(r, out);
}
int sfFileControl(sqlite3_file* f, int op, void* arg)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xFileControl(r, op, arg);
}
int sfSectorSize(sqlite3_file* f)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xSectorSize(r);
}
int sfDeviceCharacteristics(sqlite3_file* f)
{
    sqlite3_file* r = realFile(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

// Version 1 methods: no shared memory (the file is opened immutable or without a WAL) and no memory mapping,
// so every read of page 1 passes through sfRead.
const sqlite3_io_methods kShortFileMethods = {1,      sfClose,       sfRead,   sfWrite,       sfTruncate,
                                              sfSync, sfFileSize,    sfLock,   sfUnlock,      sfCheckReservedLock,
                                              sfFileControl, sfSectorSize, sfDeviceCharacteristics,
                                              nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};

sqlite3_vfs* defaultVfs(sqlite3_vfs* vfs)
{
    return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int sfOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* outFlags)
{
    auto* sf = reinterpret_cast<ShortFile*>(f);
    sf->real = reinterpret_cast<sqlite3_file*>(sf + 1);
    sf->real->pMethods = nullptr;
    f->pMethods = nullptr;
    sqlite3_vfs* d = defaultVfs(vfs);
    const int rc = d->xOpen(d, name, sf->real, flags, outFlags);
    if (sf->real->pMethods)
        f->pMethods = &kShortFileMethods;
    return rc;
}
int sfDelete(sqlite3_vfs* vfs, const char* name, int syncDir)
{
    return defaultVfs(vfs)->xDelete(defaultVfs(vfs), name, syncDir);
}
int sfAccess(sqlite3_vfs* vfs, const char* name, int flags, int* out)
{
    return defaultVfs(vfs)->xAccess(defaultVfs(vfs), name, flags, out);
}
int sfFullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out)
{
    return defaultVfs(vfs)->xFullPathname(defaultVfs(vfs), name, n, out);
}
int sfRandomness(sqlite3_vfs* vfs, int n, char* out)
{
    return defaultVfs(vfs)->xRandomness(defaultVfs(vfs), n, out);
}
int sfSleep(sqlite3_vfs* vfs, int us)
{
    return defaultVfs(vfs)->xSleep(defaultVfs(vfs), us);
}
int sfCurrentTime(sqlite3_vfs* vfs, double* out)
{
    return defaultVfs(vfs)->xCurrentTime(defaultVfs(vfs), out);
}
int sfGetLastError(sqlite3_vfs* vfs, int n, char* out)
{
    return defaultVfs(vfs)->xGetLastError ? defaultVfs(vfs)->xGetLastError(defaultVfs(vfs), n, out) : 0;
}
int sfCurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out)
{
    return defaultVfs(vfs)->xCurrentTimeInt64(defaultVfs(vfs), out);
}

/// Registers the short-file VFS once; false when SQLite has no default VFS to wrap.
bool registerShortFileVfs()
{
    static const bool ok = [] {
        sqlite3_vfs* d = sqlite3_vfs_find(nullptr);
        if (!d || d->iVersion < 2)
            return false;
        static sqlite3_vfs vfs{};
        vfs.iVersion = 2;
        vfs.szOsFile = int(sizeof(ShortFile)) + d->szOsFile;
        vfs.mxPathname = d->mxPathname;
        vfs.zName = kShortFileVfs;
        vfs.pAppData = d;
        vfs.xOpen = sfOpen;
        vfs.xDelete = sfDelete;
        vfs.xAccess = sfAccess;
        vfs.xFullPathname = sfFullPathname;
        vfs.xRandomness = sfRandomness;
        vfs.xSleep = sfSleep;
        vfs.xCurrentTime = sfCurrentTime;
        vfs.xGetLastError = sfGetLastError;
        vfs.xCurrentTimeInt64 = sfCurrentTimeInt64;
        return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK;
    }();
    return ok;
}

} // namespace

QByteArray sqliteReadOnlyUri(const QString& path, QString* note)
{
    QByteArray uri = "file:" + QUrl::toPercentEncoding(path, "/") + "?mode=ro";
    QFile f(path);
    QByteArray header;
    if (f.open(QIODevice::ReadOnly))
        header = f.read(100);
    // Byte 19 (the "read version") is 2 for a WAL-mode database: SQLite opens the WAL when page1[19] == 2
    // (lockBtree() in SQLite's btree.c), whatever byte 18 (the write version) says. A read-only connection
    // to such a file creates -wal and -shm files next to it unless they exist; "immutable" reads the main
    // file alone, which is complete whenever the WAL holds nothing (a cleanly closed database).
    // SQLite looks at byte 19 even in a file shorter than the 100-byte header.
    if (header.size() < 20 || quint8(header[19]) != 2)
        return uri;
    const QFileInfo wal(path + QLatin1String("-wal"));
    const QFileInfo shm(path + QLatin1String("-shm"));
    if (wal.exists() && wal.size() > 0) {
        if (shm.exists())
            return uri; // a live writer (or its leftovers): read through its WAL index
        if (note)
            *note = QStringLiteral("%1-wal holds changes not yet in the main file; they are not shown (reading them "
                                   "would create %1-shm next to the store)")
                        .arg(path);
    }
    return uri + "&immutable=1";
}

QStringList sqliteTables(const SourceProbe& probe)
{
    if (probe.scheme != QLatin1String("file") || !probe.isSqlite)
        return {};
    if (!probe.sqliteTables.isEmpty() || probe.sqliteError.isEmpty())
        return probe.sqliteTables;
    QString error;
    auto db = SqliteDb::open(probe.path, &error);
    return db ? db->tables() : QStringList();
}

// ---------------------------------------------------------------------------------------------------------------
// SqliteDb

SqliteDb::~SqliteDb()
{
    sqlite3_close_v2(m_db);
}

std::unique_ptr<SqliteDb> SqliteDb::open(const QString& path, QString* error)
{
    std::unique_ptr<SqliteDb> db(new SqliteDb);
    db->m_path = path;
    QString note;
    const QByteArray uri = sqliteReadOnlyUri(path, &note);
    if (!note.isEmpty())
        db->m_notes << note;
    // A file cut short keeps its schema page but loses data pages; SQLite refuses such a file outright
    // ("malformed"). It is opened through the short-file VFS above (never with writable_schema), so reads
    // deliver what is there and stop with an error where the missing pages begin.
    bool shortFile = false;
    {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly)) {
            const QByteArray h = f.read(100);
            if (h.size() == 100) {
                qint64 pageSize = (quint8(h[16]) << 8) | quint8(h[17]);
                if (pageSize == 1)
                    pageSize = 65536;
                const quint32 pages = be32(h, 28);
                if (pages > 0 && be32(h, 24) == be32(h, 92) && f.size() < qint64(pages) * pageSize) {
                    db->m_notes << QStringLiteral("%1 is shorter than its header says (%2 of %3 bytes): it looks "
                                                  "truncated; only what it still holds can be read")
                                       .arg(path)
                                       .arg(f.size())
                                       .arg(qint64(pages) * pageSize);
                    shortFile = registerShortFileVfs();
                }
            }
        }
    }
    auto fail = [&](const QString& what) -> std::unique_ptr<SqliteDb> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, what);
        return nullptr;
    };
    const int rc = sqlite3_open_v2(uri.constData(), &db->m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                                   shortFile ? kShortFileVfs : nullptr);
    if (rc != SQLITE_OK)
        return fail(QStringLiteral("cannot be opened as SQLite (%1)")
                        .arg(QString::fromUtf8(db->m_db ? sqlite3_errmsg(db->m_db) : sqlite3_errstr(rc))));
    // Someone else's file: nothing in its schema may run, and every setting is checked.
    QString why;
    if (!store::hardenConnection(db->m_db, &why))
        return fail(why);
    if (sqlite3_busy_timeout(db->m_db, 2000) != SQLITE_OK || !store::exec(db->m_db, "PRAGMA query_only=1", &why))
        return fail(QStringLiteral("cannot be opened read-only (%1)").arg(why.isEmpty() ? db->lastError() : why));
    {
        SqlStatement st(*db, "SELECT count(*) FROM sqlite_master");
        if (!st.ok() || st.step() != SQLITE_ROW)
            return fail(QStringLiteral("not a readable SQLite database (%1)").arg(st.ok() ? db->lastError() : st.prepareError()));
    }
    return db;
}

QString SqliteDb::checkTable(const QByteArray& table, const QList<QByteArray>& integerColumns)
{
    QStringList problems;
    const QString crafted = store::suspiciousSchema(m_db, table);
    if (!crafted.isEmpty())
        problems << crafted;
    if (crafted.contains(QLatin1String("is a view")))
        return problems.join(QLatin1String("; "));
    SqlStatement st(*this, "SELECT lower(name), type FROM pragma_table_info(?)");
    if (!st.ok())
        return st.prepareError();
    st.bind({SqlValue(table)});
    QHash<QString, QString> types;
    while (st.step() == SQLITE_ROW)
        types.insert(st.text(0), st.text(1));
    for (const QByteArray& c : integerColumns) {
        const QString name = QString::fromUtf8(c);
        if (types.contains(name) && store::declaredAffinity(types.value(name)) != 'i')
            problems << QStringLiteral("column %1.%2 is declared %3, which does not hold integers")
                            .arg(QString::fromUtf8(table), name,
                                 types.value(name).isEmpty() ? QStringLiteral("without a type") : types.value(name));
    }
    return problems.join(QLatin1String("; "));
}

QString SqliteDb::lastError() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString();
}

QStringList SqliteDb::tables()
{
    QStringList out;
    // Views too, so a view named like a layout's table is recognised and then refused with a clear message.
    SqlStatement st(*this, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name");
    while (st.ok() && st.step() == SQLITE_ROW)
        out << st.text(0);
    return out;
}

QStringList SqliteDb::columns(const QByteArray& table)
{
    QStringList out;
    SqlStatement st(*this, "SELECT name FROM pragma_table_info(?)");
    if (!st.ok())
        return out;
    st.bind({SqlValue(table)});
    while (st.step() == SQLITE_ROW)
        out << st.text(0).toLower();
    return out;
}

bool SqliteDb::hasRowid(const QByteArray& table)
{
    SqlStatement st(*this, "SELECT rowid FROM \"" + table + "\" LIMIT 0");
    return st.ok();
}

qint64 SqliteDb::dataVersion()
{
    SqlStatement st(*this, "PRAGMA data_version");
    return st.ok() && st.step() == SQLITE_ROW ? st.int64(0) : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// SqlStatement

SqlStatement::SqlStatement(SqliteDb& db, const QByteArray& sql)
{
    if (sqlite3_prepare_v2(db.handle(), sql.constData(), int(sql.size()), &m_stmt, nullptr) != SQLITE_OK) {
        m_prepareError = db.lastError();
        sqlite3_finalize(m_stmt);
        m_stmt = nullptr;
    }
}

SqlStatement::~SqlStatement()
{
    sqlite3_finalize(m_stmt);
}

void SqlStatement::bind(const std::vector<SqlValue>& values)
{
    int i = 1;
    for (const SqlValue& v : values) {
        if (!v.isText)
            sqlite3_bind_int64(m_stmt, i, v.integer);
        else
            sqlite3_bind_text(m_stmt, i, v.text.constData(), int(v.text.size()), SQLITE_TRANSIENT);
        ++i;
    }
}

int SqlStatement::step()
{
    return sqlite3_step(m_stmt);
}

void SqlStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

int SqlStatement::type(int col) const
{
    return sqlite3_column_type(m_stmt, col);
}

bool SqlStatement::isNull(int col) const
{
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

qint64 SqlStatement::int64(int col) const
{
    return sqlite3_column_int64(m_stmt, col);
}

QString SqlStatement::text(int col) const
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, col)) : QString();
}

QByteArray SqlStatement::bytes(int col) const
{
    if (sqlite3_column_type(m_stmt, col) == SQLITE_BLOB) {
        const void* p = sqlite3_column_blob(m_stmt, col);
        return p ? QByteArray(static_cast<const char*>(p), sqlite3_column_bytes(m_stmt, col)) : QByteArray();
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? QByteArray(p, sqlite3_column_bytes(m_stmt, col)) : QByteArray();
}

// ---------------------------------------------------------------------------------------------------------------
// SqlWhere

QByteArray SqlWhere::inList(const QStringList& items)
{
    QByteArray s;
    for (const QString& item : items) {
        if (!s.isEmpty())
            s += ',';
        s += '?';
        values.push_back(item.toUtf8());
    }
    return s;
}

QByteArray SqlWhere::sql() const
{
    if (clauses.isEmpty())
        return {};
    return " WHERE (" + clauses.join(") AND (") + ")";
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

namespace {

// Skips one value of compact, already validated JSON starting at i; returns the index after it.
qsizetype skipCompactValue(const QByteArray& s, qsizetype i)
{
    int depth = 0;
    bool inString = false;
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"') {
                inString = false;
                if (depth == 0)
                    return i + 1;
            }
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '{' || c == '[')
            ++depth;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; // end of the enclosing container: a scalar ended here
            if (--depth == 0)
                return i + 1;
        } else if (c == ',' && depth == 0)
            return i;
    }
    return i;
}

} // namespace

qsizetype skipJsonValue(const QByteArray& compact, qsizetype at)
{
    return skipCompactValue(compact, at);
}

bool jsonObjectMembers(const QByteArray& compact, QList<std::pair<QByteArray, QByteArray>>* members)
{
    members->clear();
    if (compact.size() < 2 || compact.front() != '{' || compact.back() != '}')
        return false;
    qsizetype i = 1;
    while (i < compact.size() - 1) {
        if (compact[i] != '"')
            return false;
        const qsizetype keyEnd = skipCompactValue(compact, i);
        const QByteArray key = compact.mid(i + 1, keyEnd - i - 2);
        if (keyEnd >= compact.size() || compact[keyEnd] != ':')
            return false;
        const qsizetype valueStart = keyEnd + 1;
        const qsizetype valueEnd = skipCompactValue(compact, valueStart);
        members->append({key, compact.mid(valueStart, valueEnd - valueStart)});
        i = valueEnd;
        if (i < compact.size() - 1 && compact[i] == ',')
            ++i;
    }
    return true;
}

QByteArray jsonStringLiteral(const QString& s)
{
    QByteArray out;
    out.reserve(s.size() + 2);
    appendJsonString(out, s);
    return out;
}

void setNonJsonData(Event* e, const QByteArray& raw)
{
    e->data = jsonStringLiteral(QString::fromUtf8(raw));
    e->dataIsJson = false;
}

// ---------------------------------------------------------------------------------------------------------------
// SqliteLayoutReader

SqliteLayoutReader::SqliteLayoutReader(std::unique_ptr<SqliteDb> db, QString layout)
    : m_db(std::move(db)), m_layout(std::move(layout))
{
    m_dataVersion = m_db->dataVersion();
}

void SqliteLayoutReader::addWarning(const QString& w)
{
    if (m_warnings.contains(w))
        return;
    if (m_warnings.size() >= kMaxWarnings) {
        ++m_droppedWarnings;
        return;
    }
    qCWarning(lcLayouts).noquote() << w;
    m_warnings << w;
}

QString SqliteLayoutReader::sqlError(const QString& what) const
{
    QString msg = m_db->lastError();
    if (msg.contains(QLatin1String("malformed")) || msg.contains(QLatin1String("disk I/O")))
        msg += QLatin1String("; the file looks damaged or truncated");
    return QStringLiteral("%1: %2 (%3)").arg(m_db->path(), what, msg);
}

void SqliteLayoutReader::checkFileChanged()
{
    const qint64 v = m_db->dataVersion();
    if (v == m_dataVersion)
        return;
    m_dataVersion = v;
    m_streams.reset();
    m_skippedRows.reset();
    fileChanged();
}

QList<StreamInfo> SqliteLayoutReader::streams()
{
    checkFileChanged();
    if (m_streams)
        return *m_streams;
    QList<StreamInfo> out;
    QString error;
    if (!computeStreams(&out, &error)) {
        addWarning(error);
        return out;
    }
    if (out.size() <= kMaxCachedStreams)
        m_streams = out;
    return out;
}

StoreInfo SqliteLayoutReader::info()
{
    StoreInfo s;
    s.layout = m_layout;
    s.location = m_db->path();
    const QList<StreamInfo> all = streams();
    s.streams = all.size();
    for (const StreamInfo& st : all) {
        s.events += st.events;
        if (s.firstPosition == 0 || st.firstPosition < s.firstPosition)
            s.firstPosition = st.firstPosition;
        s.lastPosition = std::max(s.lastPosition, st.lastPosition);
        if (st.firstTime != kNoTime && (s.firstTime == kNoTime || st.firstTime < s.firstTime))
            s.firstTime = st.firstTime;
        if (st.lastTime != kNoTime && (s.lastTime == kNoTime || st.lastTime > s.lastTime))
            s.lastTime = st.lastTime;
    }
    s.timeKnown = timeKnown();
    s.warnings = m_db->notes();
    const qint64 skipped = skippedRows();
    if (skipped > 0)
        s.warnings << QStringLiteral("%1: %2 row(s) of %3 are not shown: %4")
                          .arg(m_db->path())
                          .arg(skipped)
                          .arg(QString::fromUtf8(table()), rowFilterMeaning());
    s.warnings += m_warnings;
    if (m_droppedWarnings > 0)
        s.warnings << QStringLiteral("%1 more warning(s) not listed").arg(m_droppedWarnings);
    return s;
}

qint64 SqliteLayoutReader::skippedRows()
{
    checkFileChanged();
    if (m_skippedRows)
        return *m_skippedRows;
    const QByteArray filter = rowFilter();
    if (filter.isEmpty()) {
        m_skippedRows = 0;
        return 0;
    }
    SqlStatement st(*m_db, "SELECT count(*) FROM " + table() + " WHERE NOT (" + filter + ")");
    if (!st.ok() || st.step() != SQLITE_ROW) {
        addWarning(sqlError(QStringLiteral("cannot count the rows that are not shown")));
        return -1;
    }
    m_skippedRows = st.int64(0);
    return *m_skippedRows;
}

bool SqliteLayoutReader::read(const EventQuery& query, const EventCallback& sink, QString* error)
{
    checkFileChanged();
    const EventQuery q = normalise(query);
    if (q.limit == 0)
        return true;
    SqlWhere where;
    const QByteArray filter = rowFilter();
    if (!filter.isEmpty())
        where.add(filter);
    const bool exact = pushDown(q, &where);
    QByteArray sql = "SELECT " + selectColumns() + " FROM " + table() + where.sql() + " ORDER BY " + orderExpr() +
                     (q.backward ? " DESC" : " ASC");
    if (exact && q.limit > 0)
        sql += " LIMIT " + QByteArray::number(q.limit);
    SqlStatement st(*m_db, sql);
    if (!st.ok()) {
        if (error)
            *error = QStringLiteral("%1: cannot read %2 (%3)")
                         .arg(m_db->path(), QString::fromUtf8(table()), st.prepareError());
        return false;
    }
    st.bind(where.values);
    qint64 delivered = 0;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        Event e;
        if (!decode(st, &e))
            continue;
        if (!MemoryReader::matches(q, e))
            continue;
        ++delivered;
        if (!sink(e))
            return true;
        if (q.limit > 0 && delivered >= q.limit)
            return true;
    }
    if (rc != SQLITE_DONE) {
        if (error)
            *error = sqlError(QStringLiteral("reading %1 stopped after %2 event(s)")
                                  .arg(QString::fromUtf8(table()))
                                  .arg(delivered));
        return false;
    }
    return true;
}

qint64 SqliteLayoutReader::count(const EventQuery& query, QString* error)
{
    checkFileChanged();
    const EventQuery q = normalise(query);
    SqlWhere where;
    const QByteArray filter = rowFilter();
    if (!filter.isEmpty())
        where.add(filter);
    if (!pushDown(q, &where))
        return EventReader::count(query, error);
    SqlStatement st(*m_db, "SELECT count(*) FROM " + table() + where.sql());
    if (!st.ok()) {
        if (error)
            *error = QStringLiteral("%1: cannot count %2 (%3)")
                         .arg(m_db->path(), QString::fromUtf8(table()), st.prepareError());
        return -1;
    }
    st.bind(where.values);
    if (st.step() != SQLITE_ROW) {
        if (error)
            *error = sqlError(QStringLiteral("counting events failed"));
        return -1;
    }
    return st.int64(0);
}

} // namespace chronoscope
