#pragma once
// Shared plumbing for readers of foreign SQLite layouts (Emmett, Python eventsourcing, cqrs-es), read in
// place and strictly read-only. See docs/layouts.md.
//
// - SqliteDb opens a file so that nothing next to it changes either: a WAL-mode database opened with a
//   plain read-only connection makes SQLite create (and leave behind) -wal/-shm files, so such files are
//   opened "immutable" when there is no pending WAL content.
// - SqliteLayoutReader is an EventReader skeleton: subclasses say how an EventQuery becomes a WHERE clause
//   and how a row becomes an Event; the base runs the statement, applies the exact filter of
//   MemoryReader::matches() to every decoded event (so whatever could not be pushed into SQL is still
//   applied), honours limit/backward, and caches the stream summary while the file does not change.

#include "store/eventreader.h"
#include "util/jsontext.h"

#include <QLoggingCategory>

#include <memory>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace chronoscope {

Q_DECLARE_LOGGING_CATEGORY(lcLayouts)

/// The sqlite3_open_v2 URI that reads `path` without creating or changing any file. *note (optional) gets a
/// warning when pending WAL content has to be ignored to honour that.
QByteArray sqliteReadOnlyUri(const QString& path, QString* note = nullptr);

struct SourceProbe;
/// The table names of a probed SQLite file. Also lists them when the registry's plain read failed on a
/// truncated file, which SqliteDb still opens (so the valid part of a cut-short store opens).
QStringList sqliteTables(const SourceProbe& probe);

class SqliteDb
{
public:
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    /// Opens read-only (see sqliteReadOnlyUri). Null with *error naming the file on failure.
    static std::unique_ptr<SqliteDb> open(const QString& path, QString* error);

    sqlite3* handle() const { return m_db; }
    const QString& path() const { return m_path; }
    /// Notes gathered while opening (ignored WAL content, a file shorter than its header says).
    const QStringList& notes() const { return m_notes; }
    QString lastError() const;

    /// Names of the tables and views.
    QStringList tables();
    /// Column names of a table, lowercased (empty if the table does not exist).
    QStringList columns(const QByteArray& table);
    /// Why `table` cannot be trusted as a layout's event table: it is a view, a trigger is defined on it, or one
    /// of `integerColumns` is declared with a type that does not hold integers. Empty when none applies.
    QString checkTable(const QByteArray& table, const QList<QByteArray>& integerColumns);
    /// False for WITHOUT ROWID tables.
    bool hasRowid(const QByteArray& table);
    /// Changes when another connection commits; constant for an immutable open.
    qint64 dataVersion();

private:
    SqliteDb() = default;
    sqlite3* m_db = nullptr;
    QString m_path;
    QStringList m_notes;
};

/// A value bound to a statement parameter: an integer or UTF-8 text.
struct SqlValue
{
    SqlValue(qint64 n) : isText(false), integer(n) {}
    SqlValue(QByteArray t) : isText(true), text(std::move(t)) {}
    bool isText;
    qint64 integer = 0;
    QByteArray text;
};

class SqlStatement
{
public:
    SqlStatement(SqliteDb& db, const QByteArray& sql);
    ~SqlStatement();
    SqlStatement(const SqlStatement&) = delete;
    SqlStatement& operator=(const SqlStatement&) = delete;

    bool ok() const { return m_stmt != nullptr; }
    const QString& prepareError() const { return m_prepareError; }
    void bind(const std::vector<SqlValue>& values);
    /// SQLITE_ROW, SQLITE_DONE or an error code (message from SqliteDb::lastError()).
    int step();
    /// Rewinds for another run with new bindings.
    void reset();

    int type(int col) const;  ///< SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL, SQLITE_FLOAT
    bool isNull(int col) const;
    qint64 int64(int col) const;
    QString text(int col) const;
    QByteArray bytes(int col) const;  ///< text or blob bytes, deep copy

private:
    sqlite3_stmt* m_stmt = nullptr;
    QString m_prepareError;
};

/// A WHERE clause under construction; values bind positionally in clause order.
struct SqlWhere
{
    QByteArrayList clauses;
    std::vector<SqlValue> values;
    void add(const QByteArray& clause) { clauses << clause; }
    void add(const QByteArray& clause, SqlValue v)
    {
        clauses << clause;
        values.push_back(std::move(v));
    }
    /// "?,?,?" with the strings bound, for an IN list.
    QByteArray inList(const QStringList& items);
    QByteArray sql() const;  ///< "" or " WHERE a AND b"
};

/// The members of a compact JSON object (as compactJson writes it): raw key text (without quotes, still
/// escaped) and the raw value text. False when `compact` is not an object.
bool jsonObjectMembers(const QByteArray& compact, QList<std::pair<QByteArray, QByteArray>>* members);
/// The index just after the JSON value that starts at `at` in compact, validated JSON text (for a number,
/// true/false/null: the index of the character that ends it).
qsizetype skipJsonValue(const QByteArray& compact, qsizetype at);
/// A JSON string literal for `s` (quotes and escapes included).
QByteArray jsonStringLiteral(const QString& s);
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
