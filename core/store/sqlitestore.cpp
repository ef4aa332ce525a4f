#include "store/sqlitestore.h"

#include "store/sqlitedb.h"
#include "store/storeschema.h"

#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <sqlite3.h>

#include <array>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

namespace chronoscope {

namespace {

// A nullable time column.
TimeMs timeAt(const SqlStatement& q, int c)
{
    return q.isNull(c) ? kNoTime : q.int64(c);
}

} // namespace

struct SqliteStoreReader::Filter
{
    QByteArray where;            ///< " WHERE ..." or empty
    std::vector<qint64> binds;
    bool empty = false;          ///< the query can match nothing (unknown stream or types)
    bool onlyStream = false;     ///< no condition but the stream: counts come from the summary
    qint64 streamId = 0;
};

namespace {
// Ids above this are not cached in the by-id vectors (a foreign-made store could use huge ids).
constexpr qint64 kMaxCachedId = 64 * 1024 * 1024;
// A column value in words, for reports about damaged rows.
QString describeValue(sqlite3_stmt* st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL: return QStringLiteral("NULL");
    case SQLITE_INTEGER: return QString::number(sqlite3_column_int64(st, c));
    case SQLITE_FLOAT: return QStringLiteral("the real number %1").arg(sqlite3_column_double(st, c), 0, 'g', 17);
    case SQLITE_BLOB: return QStringLiteral("a blob of %1 bytes").arg(sqlite3_column_bytes(st, c));
    default: {
        const QString t = QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(st, c)),
                                            sqlite3_column_bytes(st, c));
        return QStringLiteral("the text '%1'").arg(t.size() > 40 ? t.left(40) + QStringLiteral("...") : t);
    }
    }
}

// Why a file that has the native tables is still not one Chronoscope wrote: a view or trigger (the writer
// makes neither), or a column whose declared type differs from the writer's schema (then values of another
// type could stand where integers are expected). Empty when the schema is the writer's.
QString checkSchema(sqlite3* db)
{
    QStringList problems;
    {
        SqlStatement q(db, "SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY type DESC, name");
        if (!q.ok())
            return store::describeError(db, q.rc());
        while (q.next()) {
            if (q.text(0) == QLatin1String("view"))
                problems << QStringLiteral("'%1' is a view, not a table").arg(q.text(1));
            else
                problems << QStringLiteral("it has a trigger '%1' on '%2'").arg(q.text(1), q.text(2));
        }
        if (!q.done())
            return store::describeError(db, q.rc());
    }
    // The reference: the writer's own CREATE statements, run in a private in-memory database.
    sqlite3* ref = store::openReferenceSchema(false);
    if (!ref)
        return QStringLiteral("the reference schema cannot be built");
    // Optional tables (absent from older versions) are checked only when present: a missing one is skipped below.
    for (const QString& table : store::requiredTables() + store::optionalTables()) {
        const QByteArray t = table.toUtf8();
        auto columnsOf = [&](sqlite3* d, QHash<QString, QString>* out, QString* type) {
            SqlStatement k(d, "SELECT type FROM sqlite_master WHERE name=? COLLATE NOCASE AND type IN ('table', 'view')");
            k.bindText(1, t);
            if (k.ok() && k.next())
                *type = k.text(0);
            SqlStatement c(d, "SELECT name, type FROM pragma_table_info(?)");
            c.bindText(1, t);
            while (c.ok() && c.next())
                out->insert(c.text(0).toLower(), c.text(1).toUpper());
        };
        QHash<QString, QString> want, got;
        QString wantKind, gotKind;
        columnsOf(ref, &want, &wantKind);
        columnsOf(db, &got, &gotKind);
        if (gotKind != QLatin1String("table"))
            continue; // reported above (a view) or by the caller (missing)
        QStringList cols = want.keys();
        cols.sort();
        for (const QString& c : cols) {
            if (!got.contains(c))
                problems << QStringLiteral("table '%1' has no column '%2'").arg(table, c);
            else if (got.value(c) != want.value(c))
                problems << QStringLiteral("column %1.%2 is declared %3, not %4")
                                .arg(table, c, got.value(c).isEmpty() ? QStringLiteral("without a type") : got.value(c),
                                     want.value(c));
        }
    }
    sqlite3_close(ref);
    return problems.join(QLatin1String("; "));
}

} // namespace

SqliteStoreReader::~SqliteStoreReader()
{
    m_streamNameStmt.finalize();
    if (m_db)
        sqlite3_close_v2(m_db);
}

void SqliteStoreReader::setError(QString* error, int rc) const
{
    if (error)
        *error = QStringLiteral("%1: %2").arg(m_path, store::describeError(m_db, rc));
}

std::unique_ptr<SqliteStoreReader> SqliteStoreReader::open(const QString& path, QString* error)
{
    auto bail = [&](const QString& what) -> std::unique_ptr<SqliteStoreReader> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, what);
        return nullptr;
    };
    const QFileInfo fi(path);
    if (!fi.exists())
        return bail(QStringLiteral("no such file"));
    if (fi.isDir())
        return bail(QStringLiteral("is a folder, not a store file"));
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return bail(QStringLiteral("cannot be read (%1)").arg(f.errorString()));
        const QByteArray head = f.read(16);
        if (head.isEmpty())
            return bail(QStringLiteral("the file is empty, not a Chronoscope store"));
        if (head != QByteArrayLiteral("SQLite format 3\0"))
            return bail(QStringLiteral("not a SQLite database, so not a Chronoscope store"));
    }

    std::unique_ptr<SqliteStoreReader> r(new SqliteStoreReader);
    r->m_path = path;
    r->m_location = path;
    // Not a plain "?mode=ro": on a WAL-mode file that creates -wal/-shm files next to the store (the native
    // writer never uses WAL, but other tools may leave a store in WAL mode). See sqliteReadOnlyUri().
    const QByteArray uri = sqliteReadOnlyUri(path, &r->m_openNote);
    int rc = sqlite3_open_v2(uri.constData(), &r->m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK)
        return bail(store::describeError(r->m_db, rc));
    // The file may come from anyone: nothing in its schema may run, and every setting is checked.
    QString hardenError;
    if (!store::hardenConnection(r->m_db, &hardenError))
        return bail(hardenError);
    if ((rc = sqlite3_busy_timeout(r->m_db, 5000)) != SQLITE_OK)
        return bail(store::describeError(r->m_db, rc));
    if (!store::exec(r->m_db, "PRAGMA cache_size=-32768", &hardenError))
        return bail(hardenError);

    QStringList tables;
    {
        // Views too: a view standing in for a table is refused below with a clear message.
        SqlStatement q(r->m_db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name");
        if (!q.ok())
            return bail(store::describeError(r->m_db, q.rc()));
        while (q.next())
            tables << q.text(0);
        if (!q.done())
            return bail(store::describeError(r->m_db, q.rc()));
    }
    int version = 0;
    {
        SqlStatement q(r->m_db, "PRAGMA user_version");
        if (!q.ok() || !q.next())
            return bail(store::describeError(r->m_db, q.rc()));
        version = int(q.int64(0));
    }
    for (const QString& t : store::requiredTables()) {
        if (!tables.contains(t))
            return bail(QStringLiteral("not a Chronoscope store (table '%1' is missing; tables found: %2)")
                            .arg(t, tables.isEmpty() ? QStringLiteral("(none)") : tables.join(QLatin1String(", "))));
    }
    if (version > store::kSchemaVersion)
        return bail(QStringLiteral("written by a newer Chronoscope (schema version %1; this version reads up to %2)")
                        .arg(version)
                        .arg(store::kSchemaVersion));
    if (version < store::kOldestSchemaVersion)
        return bail(QStringLiteral("an unfinished or foreign store (schema version %1)").arg(version));
    const QString crafted = checkSchema(r->m_db);
    if (!crafted.isEmpty())
        return bail(QStringLiteral("not a store Chronoscope wrote, refused: %1").arg(crafted));
    // (After the schema check, which names views, triggers and mistyped columns first.)
    // Positions and ids are the tables' INTEGER PRIMARY KEYs (rowids, never NULL, unique). A file whose
    // schema says otherwise (crafted or damaged) would have every event read at position 0 or stream id 0.
    for (const auto& [table, column] : {std::pair{"events", "position"}, {"streams", "id"}, {"types", "id"}}) {
        SqlStatement q(r->m_db, QByteArray("SELECT group_concat(name || ' ' || upper(type), ',') FROM "
                                    "pragma_table_info('") + table + "') WHERE pk > 0");
        if (!(q.ok() && q.next() && q.text(0) == QLatin1String(column) + QLatin1String(" INTEGER")))
            return bail(QStringLiteral("not a Chronoscope store (%1.%2 is not the table's INTEGER PRIMARY KEY)")
                            .arg(QLatin1String(table), QLatin1String(column)));
    }
    {
        SqlStatement q(r->m_db, "SELECT id, name FROM types");
        if (!q.ok())
            return bail(store::describeError(r->m_db, q.rc()));
        while (q.next()) {
            const QString name = q.text(1);
            const qint64 id = q.int64(0);
            if (id >= 0 && id < kMaxCachedId) {
                if (size_t(id) >= r->m_typeNames.size()) {
                    r->m_typeNames.resize(size_t(id) + 1);
                    r->m_typeKnown.resize(size_t(id) + 1, 0);
                }
                r->m_typeNames[size_t(id)] = name;
                r->m_typeKnown[size_t(id)] = 1;
            }
            r->m_typeIds.insert(name, id);
        }
        if (!q.done())
            return bail(store::describeError(r->m_db, q.rc()));
    }
    return r;
}

QHash<QString, QString> SqliteStoreReader::meta()
{
    QHash<QString, QString> out;
    SqlStatement q(m_db, "SELECT key, value FROM meta");
    while (q.ok() && q.next())
        out.insert(q.text(0), q.text(1));
    return out;
}

StoreInfo SqliteStoreReader::info()
{
    StoreInfo s;
    s.layout = m_layout;
    s.location = m_location;
    if (!m_openNote.isEmpty())
        s.warnings << m_openNote;
    {
        SqlStatement q(m_db, "SELECT COUNT(*), TOTAL(events), MIN(first_position), MAX(last_position), MIN(first_time), "
                      "MAX(last_time), COUNT(first_time) FROM streams");
        if (q.ok() && q.next()) {
            s.streams = q.int64(0);
            s.events = qint64(q.real(1));
            s.firstPosition = q.int64(2);
            s.lastPosition = q.int64(3);
            s.firstTime = timeAt(q, 4);
            s.lastTime = timeAt(q, 5);
            s.timeKnown = s.streams == 0 || q.int64(6) > 0;
        } else {
            s.warnings << QStringLiteral("%1: %2").arg(m_path, store::describeError(m_db, q.rc()));
        }
    }
    if (!summaryTrusted()) {
        s.warnings << m_summaryProblem;
        s.events = m_actual.events;
        s.firstPosition = m_actual.firstPosition;
        s.lastPosition = m_actual.lastPosition;
        s.streams = 0;
        forEachStream([&s](const StreamInfo&) {
            ++s.streams;
            return true;
        });
    }
    if (m_badRows > 0)
        s.warnings << badRowsMessage();
    {
        SqlStatement q(m_db, "SELECT file, line, message FROM issues ORDER BY rowid LIMIT 1000");
        while (q.ok() && q.next()) {
            QString where = q.text(0);
            if (!q.isNull(1))
                where += QStringLiteral(":%1").arg(q.int64(1));
            s.warnings << (where.isEmpty() ? q.text(2) : where + QStringLiteral(": ") + q.text(2));
        }
        SqlStatement n(m_db, "SELECT COUNT(*) FROM issues");
        if (n.ok() && n.next() && n.int64(0) > 1000)
            s.warnings << QStringLiteral("... and %1 more").arg(n.int64(0) - 1000);
    }
    return s;
}

namespace {

/// The summary's figures over the streams with lo <= id <= hi: TOTAL(events), and MIN(first_position),
/// MAX(last_position), MIN(events) as SQLite returned them (copies: the type decides how they combine).
struct SummaryFigures
{
    bool ok = false;
    QString error;
    double total = 0;
    std::array<sqlite3_value*, 3> values{};
    SummaryFigures() = default;
    SummaryFigures(const SummaryFigures&) = delete;
    SummaryFigures& operator=(const SummaryFigures&) = delete;
    ~SummaryFigures()
    {
        for (sqlite3_value* v : values)
            sqlite3_value_free(v);
    }
    qint64 int64(int i) const { return sqlite3_value_int64(values[size_t(i)]); }
    bool isNull(int i) const { return sqlite3_value_type(values[size_t(i)]) == SQLITE_NULL; }
};

/// The figures from a bound summary statement (TOTAL(events), MIN(first_position), MAX(last_position),
/// MIN(events)), stepped here; `bound` is false when binding failed.
void takeSummaryFigures(sqlite3* db, SqlStatement& q, bool bound, SummaryFigures* f)
{
    if (!bound || !q.ok() || !q.next()) {
        f->error = QString::fromUtf8(sqlite3_errmsg(db));
        return;
    }
    f->total = q.real(0);
    for (int i = 0; i < 3; ++i) {
        f->values[size_t(i)] = sqlite3_value_dup(sqlite3_column_value(q.handle(), i + 1));
        if (!f->values[size_t(i)]) {
            f->error = QStringLiteral("out of memory");
            return;
        }
    }
    f->ok = true;
}

void readSummaryFigures(sqlite3* db, qint64 lo, qint64 hi, SummaryFigures* f)
{
    SqlStatement q(db,
                   "SELECT TOTAL(events), MIN(first_position), MAX(last_position), MIN(events) FROM streams "
                   "WHERE id BETWEEN ?1 AND ?2");
    q.bindInt(1, lo);
    q.bindInt(2, hi);
    takeSummaryFigures(db, q, true, f);
}

/// The streams summed on each side of a name, over the listing's covering index (name order): the listing
/// that follows reads the same pages.
void readSummaryFiguresByName(sqlite3* db, sqlite3_value* splitName, bool upper, SummaryFigures* f)
{
    SqlStatement q(db, upper ? "SELECT TOTAL(events), MIN(first_position), MAX(last_position), MIN(events) FROM "
                               "streams INDEXED BY streams_listing WHERE name >= ?1"
                             : "SELECT TOTAL(events), MIN(first_position), MAX(last_position), MIN(events) FROM "
                               "streams INDEXED BY streams_listing WHERE name < ?1");
    takeSummaryFigures(db, q, q.ok() && sqlite3_bind_value(q.handle(), 1, splitName) == SQLITE_OK, f);
}

/// A name that splits the streams in two for readSummaryFiguresByName: that of the first stream at or after the
/// middle id (about half of the names on either side when ids follow no name order). Null when the store has
/// no listing index (an older store) or no such stream: the halves are then id ranges of the table.
sqlite3_value* listingSplitName(sqlite3* db, qint64 mid)
{
    SqlStatement has(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'streams_listing' AND "
                         "tbl_name = 'streams'");
    if (!(has.ok() && has.next()))
        return nullptr;
    SqlStatement q(db, "SELECT name FROM streams WHERE id >= ?1 ORDER BY id LIMIT 1");
    q.bindInt(1, mid);
    if (!(q.ok() && q.next()) || q.isNull(0))
        return nullptr;
    return sqlite3_value_dup(sqlite3_column_value(q.handle(), 0));
}

/// Folds part `b` into `a` as one aggregate over both would have: MIN/MAX skip NULL (an empty part) and
/// otherwise compare in SQLite's own order (a legacy text value sorts after every number, as in the query).
bool mergeSummaryFigures(sqlite3* db, SummaryFigures* a, const SummaryFigures& b)
{
    a->total += b.total;
    for (int i = 0; i < 3; ++i) {
        if (b.isNull(i)) continue;
        if (a->isNull(i)) {
            sqlite3_value_free(a->values[size_t(i)]);
            a->values[size_t(i)] = sqlite3_value_dup(b.values[size_t(i)]);
            if (!a->values[size_t(i)]) return false;
            continue;
        }
        SqlStatement q(db, i == 1 ? "SELECT max(?1, ?2)" : "SELECT min(?1, ?2)");
        if (!q.ok() || sqlite3_bind_value(q.handle(), 1, a->values[size_t(i)]) != SQLITE_OK ||
            sqlite3_bind_value(q.handle(), 2, b.values[size_t(i)]) != SQLITE_OK || !q.next())
            return false;
        sqlite3_value* merged = sqlite3_value_dup(sqlite3_column_value(q.handle(), 0));
        if (!merged) return false;
        sqlite3_value_free(a->values[size_t(i)]);
        a->values[size_t(i)] = merged;
    }
    return true;
}

} // namespace

bool SqliteStoreReader::summaryTrusted(bool split)
{
    if (m_summaryChecked)
        return m_summaryProblem.isEmpty();
    m_summaryChecked = true;
    // The summary is only believed when it agrees with the events table on what is cheap to check: the number
    // of rows (SQLite counts the smallest index) and the position range (both ends of the rowid B-tree), and
    // when no stream claims a negative count.
    // Both sides read a whole B-tree. With `split` (a listing, which reads the streams next) four reads run at
    // once, each on a connection of its own: the events counted in two halves of the stream ids (on a file
    // not in the page cache this is bound by the latency of single page reads, so two in flight help), and
    // the streams summed in two halves, over the listing's covering index when the store has it, so the
    // listing that follows finds those pages in the page cache.
    qint64 firstId = 0, lastId = -1;
    if (split) {
        SqlStatement lo(m_db, "SELECT MIN(id) FROM streams");
        SqlStatement hi(m_db, "SELECT MAX(id) FROM streams");
        if (lo.ok() && lo.next() && hi.ok() && hi.next() && !lo.isNull(0)) {
            firstId = lo.int64(0);
            lastId = hi.int64(0);
        }
    }
    SummaryFigures sum;
    qint64 rangedCount = -1; // the events counted by stream id ranges (-1: not counted that way)
    // (Unsigned: the ids of a crafted file may span more than a qint64.)
    const quint64 span = lastId > firstId ? quint64(lastId) - quint64(firstId) : 0;
    if (split && span >= quint64(kSplitSummaryCheckAt)) {
        const qint64 mid = qint64(quint64(firstId) + span / 2);
        sqlite3_value* splitName = listingSplitName(m_db, mid);
        struct FreeValue
        {
            sqlite3_value* v;
            ~FreeValue() { sqlite3_value_free(v); }
        } freeSplit{splitName};
        SummaryFigures upper;
        std::array<qint64, 2> counted{-1, -1};
        auto sumPart = [&](sqlite3* db, bool upperHalf, SummaryFigures* f) {
            if (splitName)
                readSummaryFiguresByName(db, splitName, upperHalf, f);
            else
                readSummaryFigures(db, upperHalf ? mid + 1 : firstId, upperHalf ? lastId : mid, f);
        };
        auto countPart = [&](sqlite3* db, int half) {
            // The leading column of the (stream, version) index: two ranges of it.
            SqlStatement q(db, "SELECT COUNT(*) FROM events WHERE stream BETWEEN ?1 AND ?2");
            q.bindInt(1, half ? mid + 1 : firstId);
            q.bindInt(2, half ? lastId : mid);
            if (q.ok() && q.next())
                counted[size_t(half)] = q.int64(0);
        };
        std::vector<std::thread> others;
        auto onOwnConnection = [&](std::function<void(sqlite3*)> work) {
            others.emplace_back([this, work = std::move(work)] {
                QString openError;
                std::unique_ptr<SqliteStoreReader> other = open(m_path, &openError);
                if (!other) return; // done on this connection afterwards
                store::exec(other->m_db, "PRAGMA cache_size=-2048", nullptr); // a scan: a small cache is enough
                work(other->m_db);
            });
        };
        bool upperRead = false;
        onOwnConnection([&](sqlite3* db) {
            sumPart(db, true, &upper);
            upperRead = true;
        });
        onOwnConnection([&](sqlite3* db) { countPart(db, 0); });
        onOwnConnection([&](sqlite3* db) { countPart(db, 1); });
        sumPart(m_db, false, &sum);
        for (std::thread& t : others)
            t.join();
        // What a connection that could not be opened did not do, here, after the rest.
        if (!upperRead)
            sumPart(m_db, true, &upper);
        for (int half : {0, 1})
            if (counted[size_t(half)] < 0)
                countPart(m_db, half);
        if (counted[0] >= 0 && counted[1] >= 0)
            rangedCount = counted[0] + counted[1];
        if (sum.ok && !upper.ok) sum.error = upper.error;
        sum.ok = sum.ok && upper.ok && mergeSummaryFigures(m_db, &sum, upper);
        if (!sum.ok && sum.error.isEmpty()) sum.error = QString::fromUtf8(sqlite3_errmsg(m_db));
    } else {
        readSummaryFigures(m_db, std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max(),
                           &sum);
    }
    // Three statements: SQLite's count and min/max shortcuts only apply to a query with that one aggregate
    // (together they would scan the whole table). The ranges' count stands when it agrees with the summary;
    // else every row is counted (an event whose stream is no id in the ranges is in no range), so the message
    // below gives the table's own count.
    const bool rangedAgrees = sum.ok && rangedCount >= 0 && double(rangedCount) == sum.total;
    SqlStatement act(m_db, "SELECT COUNT(*) FROM events"); // stepped only when the ranges' count does not stand
    SqlStatement lo(m_db, "SELECT MIN(position) FROM events");
    SqlStatement hi(m_db, "SELECT MAX(position) FROM events");
    if (!sum.ok || (!rangedAgrees && !(act.ok() && act.next())) || !lo.ok() || !lo.next() || !hi.ok() ||
        !hi.next()) {
        m_summaryProblem = QStringLiteral("%1: the summary cannot be checked against the events table (%2)")
                               .arg(m_path, sum.ok ? QString::fromUtf8(sqlite3_errmsg(m_db)) : sum.error);
        return false;
    }
    const qint64 sumEvents = qint64(sum.total);
    m_actual.events = rangedAgrees ? rangedCount : act.int64(0);
    m_actual.firstPosition = lo.int64(0);
    m_actual.lastPosition = hi.int64(0);
    const bool agree = sumEvents == m_actual.events && (sum.isNull(2) || sum.int64(2) >= 0) &&
                       (m_actual.events == 0 ||
                        (sum.int64(0) == m_actual.firstPosition && sum.int64(1) == m_actual.lastPosition));
    if (!agree)
        m_summaryProblem =
            QStringLiteral("%1: the streams summary table disagrees with the events table (summary: %2 "
                           "events at positions %3..%4; events table: %5 rows at positions %6..%7); "
                           "counts and ranges are recomputed from the events table")
                .arg(m_path)
                .arg(sumEvents)
                .arg(sum.int64(0))
                .arg(sum.int64(1))
                .arg(m_actual.events)
                .arg(m_actual.firstPosition)
                .arg(m_actual.lastPosition);
    return agree;
}

QString SqliteStoreReader::badRowsMessage() const
{
    return QStringLiteral("%1: %2 row(s) of the events table are not shown: %3").arg(m_path).arg(m_badRows).arg(m_firstBadRow);
}

QList<StreamInfo> SqliteStoreReader::streams()
{
    QList<StreamInfo> out;
    // The whole list is in memory anyway: its names are remembered for later reads by id.
    listStreams([&](const StreamInfo& s) {
        out.append(s);
        return true;
    }, nullptr, true);
    return out;
}

bool SqliteStoreReader::forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error)
{
    return listStreams(sink, error, false);
}

bool SqliteStoreReader::listStreams(const std::function<bool(const StreamInfo&)>& sink, QString* error, bool remember)
{
    // Both queries give (id, name, events, first/last version, first/last position, first/last time), one row
    // at a time: a listing holds one stream, whatever the store's size (unless the caller keeps them).
    auto readRows = [&](SqlStatement& q) {
        StreamInfo s;
        while (q.ok() && q.next()) {
            s.stream = q.text(1);
            if (remember)
                rememberStream(q.int64(0), s.stream);
            s.events = q.int64(2);
            s.firstVersion = q.int64(3);
            s.lastVersion = q.int64(4);
            s.firstPosition = q.int64(5);
            s.lastPosition = q.int64(6);
            s.firstTime = timeAt(q, 7);
            s.lastTime = timeAt(q, 8);
            if (!sink(s))
                return true;
        }
        if (!q.ok() || q.rc() != SQLITE_DONE) {
            setError(error, q.ok() ? q.rc() : sqlite3_errcode(m_db));
            return false;
        }
        return true;
    };
    if (!summaryTrusted()) {
        // Recomputed from the events (one scan of the (stream, version) index and a lookup per stream's ends).
        SqlStatement q(m_db, "SELECT s.id, s.name, COUNT(*), MIN(e.version), MAX(e.version), MIN(e.position), MAX(e.position), "
                      "MIN(e.time), MAX(e.time) FROM events e JOIN streams s ON s.id = e.stream "
                      "WHERE typeof(e.stream) = 'integer' AND typeof(e.version) = 'integer' GROUP BY e.stream ORDER BY s.name");
        return readRows(q);
    }
    SqlStatement q(m_db, "SELECT id, name, events, first_version, last_version, first_position, last_position, first_time, "
                  "last_time FROM streams ORDER BY name");
    return readRows(q);
}

bool SqliteStoreReader::forEachStreamRaw(const std::function<bool(const RawStreamRow&)>& sink, QString* error)
{
    // A listing reads every page once: a small page cache serves it as well as the 32 MB one, without
    // faulting in 32 MB (restored when done). The summary check runs on two threads (summaryTrusted()).
    store::exec(m_db, "PRAGMA cache_size=-2048", nullptr);
    struct RestoreCache
    {
        sqlite3* db;
        ~RestoreCache() { store::exec(db, "PRAGMA cache_size=-32768", nullptr); } // open()'s size
    } restore{m_db};
    // The two queries of listStreams(), read column by column straight from SQLite's row.
    SqlStatement q(
        m_db, summaryTrusted(true)
                  ? "SELECT 0, name, events, first_version, last_version, first_position, last_position, "
                    "first_time, last_time FROM streams ORDER BY name"
                  : "SELECT 0, s.name, COUNT(*), MIN(e.version), MAX(e.version), MIN(e.position), "
                    "MAX(e.position), MIN(e.time), MAX(e.time) FROM events e JOIN streams s ON s.id = "
                    "e.stream WHERE typeof(e.stream) = 'integer' AND typeof(e.version) = 'integer' GROUP "
                    "BY e.stream ORDER BY s.name");
    if (!q.ok()) {
        setError(error, sqlite3_errcode(m_db));
        return false;
    }
    sqlite3_stmt* st = q.handle();
    RawStreamRow r;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
        r.name = QByteArrayView(name, name ? sqlite3_column_bytes(st, 1) : 0);
        r.events = sqlite3_column_int64(st, 2);
        r.firstVersion = sqlite3_column_int64(st, 3);
        r.lastVersion = sqlite3_column_int64(st, 4);
        r.firstPosition = sqlite3_column_int64(st, 5);
        r.lastPosition = sqlite3_column_int64(st, 6);
        r.firstTime = sqlite3_column_type(st, 7) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(st, 7);
        r.lastTime = sqlite3_column_type(st, 8) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(st, 8);
        if (!sink(r))
            return true;
    }
    if (rc != SQLITE_DONE) {
        setError(error, rc);
        return false;
    }
    return true;
}

std::optional<qint64> SqliteStoreReader::streamId(const QString& name, qint64* firstVersion, qint64* lastVersion)
{
    SqlStatement q(m_db, "SELECT id, first_version, last_version FROM streams WHERE name=?");
    const QByteArray utf8 = name.toUtf8();
    q.bindText(1, utf8);
    if (q.ok() && q.next()) {
        rememberStream(q.int64(0), name);
        if (firstVersion)
            *firstVersion = q.int64(1);
        if (lastVersion)
            *lastVersion = q.int64(2);
        return q.int64(0);
    }
    return std::nullopt;
}

void SqliteStoreReader::rememberStream(qint64 id, const QString& name)
{
    if (id < 0 || id >= kMaxCachedId)
        return;
    if (size_t(id) >= m_streamNames.size()) {
        m_streamNames.resize(size_t(id) + 1);
        m_streamKnown.resize(size_t(id) + 1, 0);
    }
    m_streamNames[size_t(id)] = name;
    m_streamKnown[size_t(id)] = 1;
}

void SqliteStoreReader::loadAllStreamNames()
{
    m_allStreamsLoaded = true;
    SqlStatement q(m_db, "SELECT id, name FROM streams");
    while (q.ok() && q.next())
        rememberStream(q.int64(0), q.text(1));
}

QString SqliteStoreReader::streamName(qint64 id)
{
    if (id >= 0 && size_t(id) < m_streamKnown.size() && m_streamKnown[size_t(id)])
        return m_streamNames[size_t(id)];
    if (!m_allStreamsLoaded && ++m_streamMisses > 256) {
        loadAllStreamNames();
        if (id >= 0 && size_t(id) < m_streamKnown.size() && m_streamKnown[size_t(id)])
            return m_streamNames[size_t(id)];
    }
    // One stream (or one added since the names were loaded: live tail into a cache).
    if (!m_streamNameStmt.ok() && !m_streamNameStmt.prepare(m_db, "SELECT name FROM streams WHERE id=?"))
        return {};
    m_streamNameStmt.bindInt(1, id);
    QString name;
    if (m_streamNameStmt.next())
        name = m_streamNameStmt.text(0);
    m_streamNameStmt.reset();
    rememberStream(id, name);
    return name;
}

QString SqliteStoreReader::typeName(qint64 id)
{
    if (id >= 0 && size_t(id) < m_typeKnown.size() && m_typeKnown[size_t(id)])
        return m_typeNames[size_t(id)];
    // A type appended after this reader opened (live tail into a cache).
    SqlStatement q(m_db, "SELECT name FROM types WHERE id=?");
    q.bindInt(1, id);
    const QString name = q.ok() && q.next() ? q.text(0) : QString();
    if (id >= 0 && id < kMaxCachedId) {
        if (size_t(id) >= m_typeNames.size()) {
            m_typeNames.resize(size_t(id) + 1);
            m_typeKnown.resize(size_t(id) + 1, 0);
        }
        m_typeNames[size_t(id)] = name;
        m_typeKnown[size_t(id)] = 1;
    }
    m_typeIds.insert(name, id);
    return name;
}

bool SqliteStoreReader::buildFilter(const EventQuery& q, Filter* f, QString*)
{
    QList<QByteArray> conds;
    bool other = false;
    if (!q.stream.isEmpty()) {
        qint64 firstVersion = 0, lastVersion = 0;
        const auto id = streamId(q.stream, &firstVersion, &lastVersion);
        if (!id) {
            f->empty = true;
            return true;
        }
        f->streamId = *id;
        conds << "stream=?";
        f->binds.push_back(*id);
        // A version bound that cuts nothing off (judged by the stream summary) is left out, so the
        // count of a whole stream still comes from the summary.
        if (q.fromVersion > firstVersion) {
            conds << "version>=?";
            f->binds.push_back(q.fromVersion);
            other = true;
        }
        if (q.toVersion < lastVersion) {
            conds << "version<=?";
            f->binds.push_back(q.toVersion);
            other = true;
        }
    }
    if (!q.types.isEmpty()) {
        QByteArray in = "type IN (";
        int n = 0;
        for (const QString& t : q.types) {
            auto it = m_typeIds.constFind(t);
            if (it == m_typeIds.cend()) {
                // Maybe appended since open: look it up once.
                SqlStatement tq(m_db, "SELECT id FROM types WHERE name=?");
                const QByteArray utf8 = t.toUtf8();
                tq.bindText(1, utf8);
                if (!(tq.ok() && tq.next()))
                    continue;
                // Types match exactly, as everywhere else. SQL may have matched otherwise (a NOCASE column in a
                // foreign-made file, a damaged index): then the id's name is not t and t is no type here.
                if (typeName(tq.int64(0)) != t)
                    continue;
                it = m_typeIds.constFind(t);
                if (it == m_typeIds.cend())
                    continue;
            }
            in += n++ ? ",?" : "?";
            f->binds.push_back(*it);
        }
        if (n == 0) {
            f->empty = true;
            return true;
        }
        conds << in + ')';
        other = true;
    }
    if (q.fromPosition > 1 || q.fromPosition < 0) {
        conds << "position>=?";
        f->binds.push_back(q.fromPosition);
        other = true;
    }
    if (q.toPosition != kNoLimit) {
        conds << "position<=?";
        f->binds.push_back(q.toPosition);
        other = true;
    }
    if (q.since != kNoTime) {
        conds << "time>=?";
        f->binds.push_back(q.since);
        other = true;
    }
    if (q.until != kNoTime) {
        conds << "time<=?";
        f->binds.push_back(q.until);
        other = true;
    }
    if (!conds.isEmpty())
        f->where = " WHERE " + conds.join(" AND ");
    f->onlyStream = !other;
    return true;
}

bool SqliteStoreReader::read(const EventQuery& query, const EventCallback& sink, QString* error)
{
    Filter f;
    if (!buildFilter(query, &f, error))
        return false;
    if (f.empty || query.limit == 0)
        return true;
    QByteArray sql = "SELECT position, stream, version, type, time, id, data, metadata, flags FROM events" + f.where;
    sql += query.backward ? " ORDER BY position DESC" : " ORDER BY position";
    if (query.limit > 0)
        sql += " LIMIT " + QByteArray::number(query.limit);
    SqlStatement q(m_db, sql);
    if (!q.ok()) {
        setError(error, q.rc());
        return false;
    }
    for (size_t i = 0; i < f.binds.size(); ++i)
        q.bindInt(int(i + 1), f.binds[i]);
    const QString fixedStream = query.stream;
    static const QByteArray emptyObject("{}");
    static const QByteArray null("null");
    qint64 badHere = 0;
    QString firstBadHere;
    while (q.next()) {
        // A row whose ids or numbers are not integers, or whose stream or type id names nothing, cannot be shown
        // truthfully: it is counted and reported (the error of this read, and info()'s warnings), never guessed.
        QString bad;
        static const char* const names[] = {"position", "stream", "version", "type"};
        for (int c = 0; c < 4 && bad.isEmpty(); ++c)
            if (q.type(c) != SQLITE_INTEGER)
                bad = QStringLiteral("its %1 is %2, not an integer").arg(QLatin1String(names[c]), describeValue(q.handle(), c));
        if (bad.isEmpty() && !q.isNull(4) && q.type(4) != SQLITE_INTEGER)
            bad = QStringLiteral("its time is %1, not an integer").arg(describeValue(q.handle(), 4));
        Event e;
        if (bad.isEmpty()) {
            e.stream = fixedStream.isEmpty() ? streamName(q.int64(1)) : fixedStream;
            if (e.stream.isEmpty() && !streamKnown(q.int64(1)))
                bad = QStringLiteral("its stream id %1 names no stream of the streams table").arg(q.int64(1));
        }
        if (bad.isEmpty()) {
            e.type = typeName(q.int64(3));
            if (e.type.isEmpty() && !typeKnown(q.int64(3)))
                bad = QStringLiteral("its type id %1 names no type of the types table").arg(q.int64(3));
        }
        if (!bad.isEmpty()) {
            const QString where = QStringLiteral("the row at position %1: %2").arg(describeValue(q.handle(), 0), bad);
            if (firstBadHere.isEmpty())
                firstBadHere = where;
            if (m_firstBadRow.isEmpty())
                m_firstBadRow = where;
            ++badHere;
            continue;
        }
        e.position = q.int64(0);
        e.version = q.int64(2);
        e.time = timeAt(q, 4);
        if (!q.isNull(5))
            e.id = q.text(5);
        e.data = q.isNull(6) ? null : q.bytes(6);
        e.metadata = q.isNull(7) ? emptyObject : q.bytes(7);
        e.dataIsJson = (q.int64(8) & store::kFlagDataNotJson) == 0;
        if (!sink(e))
            return reportBadRows(badHere, firstBadHere, error);
    }
    if (q.rc() != SQLITE_DONE) {
        setError(error, q.rc());
        return false;
    }
    return reportBadRows(badHere, firstBadHere, error);
}

bool SqliteStoreReader::scanMetadata(const MetadataCallback& sink, QString* error)
{
    // Two columns, no Event built: the payload (data) is never copied out of SQLite. A row whose position is
    // not an integer is left out here; read() reports such rows.
    SqlStatement q(m_db, "SELECT position, metadata FROM events ORDER BY position");
    if (!q.ok()) {
        setError(error, q.rc());
        return false;
    }
    static const char emptyObject[] = "{}";
    sqlite3_stmt* st = q.handle();
    while (q.next()) {
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
            continue;
        const qint64 position = sqlite3_column_int64(st, 0);
        QByteArrayView metadata(emptyObject, 2);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(st, 1));
            metadata = QByteArrayView(bytes, sqlite3_column_bytes(st, 1));
        }
        if (!sink(position, metadata))
            return true;
    }
    if (q.rc() != SQLITE_DONE) {
        setError(error, q.rc());
        return false;
    }
    return true;
}

bool SqliteStoreReader::reportBadRows(qint64 badHere, const QString& firstBadHere, QString* error)
{
    if (badHere == 0)
        return true;
    m_badRows = std::max(m_badRows, badHere);
    if (error)
        *error = QStringLiteral("%1: %2 row(s) of the events table were not shown (the first: %3); the other events "
                                "were read")
                     .arg(m_path)
                     .arg(badHere)
                     .arg(firstBadHere);
    return false;
}

bool SqliteStoreReader::streamKnown(qint64 id) const
{
    return id >= 0 && size_t(id) < m_streamKnown.size() && m_streamKnown[size_t(id)] && !m_streamNames[size_t(id)].isNull();
}

bool SqliteStoreReader::typeKnown(qint64 id) const
{
    return id >= 0 && size_t(id) < m_typeKnown.size() && m_typeKnown[size_t(id)] && !m_typeNames[size_t(id)].isNull();
}

qint64 SqliteStoreReader::count(const EventQuery& query, QString* error)
{
    Filter f;
    if (!buildFilter(query, &f, error))
        return -1;
    if (f.empty)
        return 0;
    if (f.onlyStream && summaryTrusted()) {
        // Served by the stream summary, never by counting events.
        SqlStatement q(m_db, f.streamId ? "SELECT events FROM streams WHERE id=?" : "SELECT TOTAL(events) FROM streams");
        if (f.streamId)
            q.bindInt(1, f.streamId);
        if (q.ok() && q.next())
            return qint64(q.real(0));
        setError(error, q.rc());
        return -1;
    }
    SqlStatement q(m_db, "SELECT COUNT(*) FROM events" + f.where);
    for (size_t i = 0; i < f.binds.size(); ++i)
        q.bindInt(int(i + 1), f.binds[i]);
    if (q.ok() && q.next())
        return q.int64(0);
    setError(error, q.rc());
    return -1;
}

std::optional<Checkpoint> SqliteStoreReader::checkpointBefore(const QString& projection, const QString& stream,
                                                              const Point& point)
{
    const auto id = streamId(stream);
    if (!id)
        return std::nullopt;
    // Stores written before numbers were kept as written (docs/replay.md, "Numbers") hold "merge"
    // states with Qt's number texts (1.10 as 1.1): folding from the events is slower but right.
    if (projection == QLatin1String("merge")) {
        if (!m_mergeNumbersAsWritten) {
            SqlStatement q(m_db, "SELECT value FROM meta WHERE key='checkpoint_numbers'");
            m_mergeNumbersAsWritten = q.ok() && q.next() && q.text(0) == QLatin1String("as-written");
        }
        if (!*m_mergeNumbersAsWritten)
            return std::nullopt;
    }
    // position and time of a checkpoint are the largest of the events folded into it, so a checkpoint
    // is usable for "at position P" exactly when its position <= P (same for time).
    QByteArray sql = "SELECT version, position, time, state FROM checkpoints WHERE projection=? AND stream=?";
    switch (point.kind) {
    case Point::End: break;
    case Point::Version: sql += " AND version<=?"; break;
    case Point::Position: sql += " AND position<=?"; break;
    case Point::Time: sql += " AND time<=?"; break;
    }
    sql += " ORDER BY version DESC LIMIT 1";
    SqlStatement q(m_db, sql);
    if (!q.ok())
        return std::nullopt;
    const QByteArray p = projection.toUtf8();
    q.bindText(1, p);
    q.bindInt(2, *id);
    if (point.kind != Point::End)
        q.bindInt(3, point.value);
    if (!q.next())
        return std::nullopt;
    Checkpoint c;
    c.projection = projection;
    c.stream = stream;
    c.version = q.int64(0);
    c.position = q.int64(1);
    c.time = timeAt(q, 2);
    c.state = q.bytes(3);
    return c;
}

std::unique_ptr<EventReader> SqliteStoreReader::clone(QString* error)
{
    auto r = open(m_path, error);
    if (r) {
        r->m_layout = m_layout;
        r->m_location = m_location;
    }
    return r;
}

} // namespace chronoscope
