#pragma once
// The one SQLite wrapper of the core: a read-only connection to a file someone else may have written
// (SqliteDb), a prepared statement (SqlStatement) and a WHERE clause builder. Used by the native store's
// reader and writer and by the foreign layouts' readers (docs/store.md, docs/layouts.md).
//
// SqliteDb opens a file so that nothing next to it changes either: a WAL-mode database opened with a plain
// read-only connection makes SQLite create (and leave behind) -wal/-shm files, so such files are opened
// "immutable" when there is no pending WAL content.

#include <QByteArray>
#include <QByteArrayList>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace chronoscope {

/// The sqlite3_open_v2 URI that reads `path` without creating or changing any file. *note (optional) gets a
/// warning when pending WAL content has to be ignored to honour that.
QByteArray sqliteReadOnlyUri(const QString& path, QString* note = nullptr);

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

/// A prepared statement, finalized when it goes. The one statement wrapper of the core: the native store's
/// reader and writer and the layouts' readers use it; handle() is there for the writer's hot loop, which
/// binds without copying.
class SqlStatement
{
public:
    enum class Prepare {
        Once,        ///< run a few times, then dropped
        Persistent,  ///< kept for the connection's life (SQLITE_PREPARE_PERSISTENT: no lookaside memory)
    };

    SqlStatement() = default;
    SqlStatement(sqlite3* db, QByteArrayView sql, Prepare how = Prepare::Once);
    /// On failure prepareError() holds the connection's message.
    SqlStatement(SqliteDb& db, const QByteArray& sql);
    ~SqlStatement();
    SqlStatement(const SqlStatement&) = delete;
    SqlStatement& operator=(const SqlStatement&) = delete;

    /// (Re)prepares; false on failure (rc() and prepareError() say why).
    bool prepare(sqlite3* db, QByteArrayView sql, Prepare how = Prepare::Once);
    void finalize();

    bool ok() const { return m_stmt != nullptr; }
    const QString& prepareError() const { return m_prepareError; }
    /// The result code of the prepare, or of the last step().
    int rc() const { return m_rc; }
    sqlite3_stmt* handle() const { return m_stmt; }

    void bind(const std::vector<SqlValue>& values);
    void bindInt(int index, qint64 value);
    /// Binds without copying: `value` must stay alive until the statement is stepped and reset.
    void bindText(int index, QByteArrayView value);
    /// SQLITE_ROW, SQLITE_DONE or an error code (message from SqliteDb::lastError()).
    int step();
    /// step() == SQLITE_ROW.
    bool next();
    /// The last step() met no error (it gave a row or reached the end).
    bool done() const;
    /// Rewinds for another run with new bindings (the old ones cleared).
    void reset();

    int type(int col) const;  ///< SQLITE_INTEGER, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL, SQLITE_FLOAT
    bool isNull(int col) const;
    qint64 int64(int col) const;
    double real(int col) const;
    QString text(int col) const;
    QByteArray bytes(int col) const;  ///< text or blob bytes, deep copy

private:
    sqlite3_stmt* m_stmt = nullptr;
    int m_rc = 0;
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
    /// A query's range on an integer column: "column >= from" when from > 0, "column <= to" when to is
    /// not kNoLimit (the largest qint64, model/event.h).
    void addRange(const QByteArray& column, qint64 from, qint64 to);
    /// "?,?,?" with the strings bound, for an IN list.
    QByteArray inList(const QStringList& items);
    QByteArray sql() const;  ///< "" or " WHERE a AND b"
};

} // namespace chronoscope
