#include "store/sqlitedb.h"

#include "store/storeschema.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QUrl>

#include <sqlite3.h>

#include <limits>

namespace chronoscope {

namespace {


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

SqlStatement::SqlStatement(sqlite3* db, QByteArrayView sql, Prepare how)
{
    prepare(db, sql, how);
}

SqlStatement::SqlStatement(SqliteDb& db, const QByteArray& sql)
{
    prepare(db.handle(), sql);
}

SqlStatement::~SqlStatement()
{
    sqlite3_finalize(m_stmt);
}

bool SqlStatement::prepare(sqlite3* db, QByteArrayView sql, Prepare how)
{
    finalize();
    m_prepareError.clear();
    m_rc = sqlite3_prepare_v3(db, sql.data(), int(sql.size()), how == Prepare::Persistent ? SQLITE_PREPARE_PERSISTENT : 0,
                              &m_stmt, nullptr);
    if (m_rc != SQLITE_OK || !m_stmt) {
        m_prepareError = QString::fromUtf8(db ? sqlite3_errmsg(db) : sqlite3_errstr(m_rc));
        sqlite3_finalize(m_stmt);
        m_stmt = nullptr;
        return false;
    }
    return true;
}

void SqlStatement::finalize()
{
    sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
}

void SqlStatement::bindInt(int index, qint64 value)
{
    sqlite3_bind_int64(m_stmt, index, value);
}

void SqlStatement::bindText(int index, QByteArrayView value)
{
    sqlite3_bind_text(m_stmt, index, value.data(), int(value.size()), SQLITE_STATIC);
}

bool SqlStatement::next()
{
    return step() == SQLITE_ROW;
}

bool SqlStatement::done() const
{
    return m_rc == SQLITE_DONE || m_rc == SQLITE_ROW;
}

double SqlStatement::real(int col) const
{
    return sqlite3_column_double(m_stmt, col);
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
    return m_rc = sqlite3_step(m_stmt);
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

void SqlWhere::addRange(const QByteArray& column, qint64 from, qint64 to)
{
    if (from > 0)
        add(column + " >= ?", from);
    if (to != std::numeric_limits<qint64>::max())
        add(column + " <= ?", to);
}

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

} // namespace chronoscope
