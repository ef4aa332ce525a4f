#include "store/storenames.h"

#include "sources/sqlitelayout.h"
#include "store/storeschema.h"

#include <QFile>

#include <sqlite3.h>

#include <memory>

namespace chronoscope::store {

namespace {

struct Closer
{
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct Finalizer
{
    void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using Db = std::unique_ptr<sqlite3, Closer>;
using Statement = std::unique_ptr<sqlite3_stmt, Finalizer>;

Statement prepare(sqlite3* db, const char* sql)
{
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        sqlite3_finalize(st);
        return {};
    }
    return Statement(st);
}

// Binds the range [prefix, upper) on parameters 1 and 2. Without a finite upper bound the second parameter is
// an empty blob: in SQLite every text sorts before every blob, so the range still stops after the last text
// and the index is still used (a crafted file's integer or blob names fall outside the range either way).
void bindRange(sqlite3_stmt* st, const QByteArray& prefix, const QByteArray& upper)
{
    sqlite3_bind_text(st, 1, prefix.constData(), int(prefix.size()), SQLITE_TRANSIENT);
    if (upper.isEmpty())
        sqlite3_bind_zeroblob(st, 2, 0);
    else
        sqlite3_bind_text(st, 2, upper.constData(), int(upper.size()), SQLITE_TRANSIENT);
}

QString columnText(sqlite3_stmt* st, int c)
{
    return QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(st, c)), sqlite3_column_bytes(st, c));
}

} // namespace

QByteArray prefixUpperBound(const QByteArray& prefix)
{
    QByteArray upper = prefix;
    while (!upper.isEmpty()) {
        const auto last = quint8(upper.back());
        if (last < 0xFF) {
            upper.back() = char(last + 1);
            return upper;
        }
        upper.chop(1); // "ab\xFF" -> every string starting with it is below "ac"
    }
    return {};
}

std::optional<NameMatches> namesWithPrefix(const QString& path, NameTable table, const QString& prefix, int limit,
                                           QString* error, bool* notStore)
{
    auto fail = [&](const QString& why, bool isNotStore) -> std::optional<NameMatches> {
        if (error)
            *error = why;
        if (notStore)
            *notStore = isNotStore;
        return std::nullopt;
    };
    if (limit < 2)
        limit = 2; // one name standing for several would be completed as if it were the only match
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("%1: %2").arg(path, f.errorString()), false);
        if (f.read(16) != QByteArray("SQLite format 3\0", 16))
            return fail(QStringLiteral("%1 is not a SQLite file").arg(path), true);
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(sqliteReadOnlyUri(path).constData(), &raw,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK)
        return fail(describeError(db.get(), rc), false);
    QString why;
    if (!hardenConnection(db.get(), &why))
        return fail(why, false);

    int found = 0;
    {
        // Every native table, not only the one read: a foreign layout may well have a `streams` table of its own.
        Statement tables = prepare(db.get(), "SELECT name FROM sqlite_master WHERE type = 'table'");
        if (!tables)
            return fail(describeError(db.get(), sqlite3_errcode(db.get())), false);
        while (sqlite3_step(tables.get()) == SQLITE_ROW)
            found += requiredTables().contains(columnText(tables.get(), 0)) ? 1 : 0;
    }
    if (found != requiredTables().size())
        return fail(QStringLiteral("%1 is not a Chronoscope store").arg(path), true);

    const bool streams = table == NameTable::Streams;
    const QByteArray bytes = prefix.toUtf8();
    const QByteArray upper = prefixUpperBound(bytes);
    Statement first = prepare(db.get(), streams ? "SELECT name FROM streams WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT ?3"
                                                : "SELECT name FROM types WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT ?3");
    if (!first)
        return fail(describeError(db.get(), sqlite3_errcode(db.get())), false);
    bindRange(first.get(), bytes, upper);
    sqlite3_bind_int(first.get(), 3, limit + 1);
    NameMatches out;
    int step = SQLITE_ROW;
    while ((step = sqlite3_step(first.get())) == SQLITE_ROW)
        out.names << columnText(first.get(), 0);
    if (step != SQLITE_DONE)
        return fail(describeError(db.get(), step), false);
    if (out.names.size() <= limit)
        return out;

    out.truncated = true;
    out.names.resize(limit - 1);
    Statement last = prepare(db.get(), streams ? "SELECT name FROM streams WHERE name >= ?1 AND name < ?2 ORDER BY name DESC LIMIT 1"
                                               : "SELECT name FROM types WHERE name >= ?1 AND name < ?2 ORDER BY name DESC LIMIT 1");
    if (!last)
        return fail(describeError(db.get(), sqlite3_errcode(db.get())), false);
    bindRange(last.get(), bytes, upper);
    if ((step = sqlite3_step(last.get())) != SQLITE_ROW)
        return fail(describeError(db.get(), step), false);
    out.names << columnText(last.get(), 0);
    return out;
}

} // namespace chronoscope::store
