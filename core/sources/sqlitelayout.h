#pragma once
// Shared plumbing for readers of foreign SQLite layouts (Emmett, Python eventsourcing, cqrs-es), read in
// place and strictly read-only (the connection itself: store/sqlitedb.h). See docs/layouts.md.
//
// - SqliteLayoutReader is an EventReader skeleton: subclasses say how an EventQuery becomes a WHERE clause
//   and how a row becomes an Event; the base runs the statement, applies the exact filter of
//   MemoryReader::matches() to every decoded event (so whatever could not be pushed into SQL is still
//   applied), honours limit/backward, and caches the stream summary while the file does not change.

#include "json/jsontext.h"
#include "store/eventreader.h"
#include "store/sqlitedb.h"

#include <QLoggingCategory>

#include <memory>
#include <vector>

namespace chronoscope {

Q_DECLARE_LOGGING_CATEGORY(lcLayouts)

struct SourceProbe;
/// The table names of a probed SQLite file. Also lists them when the registry's plain read failed on a
/// truncated file, which SqliteDb still opens (so the valid part of a cut-short store opens).
QStringList sqliteTables(const SourceProbe& probe);

/// Canonical data for a payload that is not JSON: a JSON string of its text (invalid UTF-8 replaced).
void setNonJsonData(Event* e, const QByteArray& raw);

class SqliteLayoutReader : public EventReader
{
public:
    StoreInfo info() override;
    QList<StreamInfo> streams() override;
    bool read(const EventQuery& query, const EventCallback& sink, QString* error) override;
    qint64 count(const EventQuery& query, QString* error) override;

protected:
    SqliteLayoutReader(std::unique_ptr<SqliteDb> db, QString layout);

    /// Columns selected for decode(), comma separated.
    virtual QByteArray selectColumns() const = 0;
    virtual QByteArray table() const = 0;
    /// The column or expression that orders events globally (position order).
    virtual QByteArray orderExpr() const = 0;
    /// Conditions every row must meet to be read at all (e.g. only events, sane column types). "" = none.
    virtual QByteArray rowFilter() const { return {}; }
    /// What a skipped row means, for the warning about rows rowFilter() leaves out.
    virtual QString rowFilterMeaning() const { return {}; }
    /// Adds the query's filters that SQL can apply. Returns true when SQL applies all of them exactly
    /// (then LIMIT goes into SQL too); false when some are checked after decoding.
    virtual bool pushDown(const EventQuery& q, SqlWhere* where) = 0;
    /// Fills *e from the current row. False skips the row (the reader records why with addWarning()).
    virtual bool decode(SqlStatement& st, Event* e) = 0;
    /// Rewrites the query into this layout's canonical terms (e.g. stream name spellings).
    virtual EventQuery normalise(const EventQuery& q) { return q; }
    /// Computes the stream summary (sorted by name). False with *error on a read failure.
    virtual bool computeStreams(QList<StreamInfo>* out, QString* error) = 0;
    /// Called before each read when the file changed since the last one (another process committed).
    virtual void fileChanged() {}
    virtual bool timeKnown() const { return true; }

    /// Records a warning (bounded; the count of further ones is kept), also logged once.
    void addWarning(const QString& w);
    /// "<file>: <what> (<sqlite message>)" for a failed statement.
    QString sqlError(const QString& what) const;
    /// Checks the data version and calls fileChanged()/drops caches when another process committed.
    void checkFileChanged();
    /// How many rows rowFilter() leaves out (cached until the file changes); -1 when it cannot be counted.
    qint64 skippedRows();

    std::unique_ptr<SqliteDb> m_db;
    QString m_layout;

private:
    QStringList m_warnings;
    qint64 m_droppedWarnings = 0;
    qint64 m_dataVersion = -1;
    std::optional<QList<StreamInfo>> m_streams;
    std::optional<qint64> m_skippedRows;
};

} // namespace chronoscope
