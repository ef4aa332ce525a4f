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

} // namespace

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
