#include "store/storenames.h"

#include "store/sqlitedb.h"
#include "store/storeschema.h"

#include <QFile>

#include <sqlite3.h>

namespace chronoscope::store {

namespace {

// Binds the range [prefix, upper) on parameters 1 and 2. Without a finite upper bound the second parameter is
// an empty blob: in SQLite every text sorts before every blob, so the range still stops after the last text
// and the index is still used (a crafted file's integer or blob names fall outside the range either way).
void bindRange(SqlStatement& st, const QByteArray& prefix, const QByteArray& upper)
{
    if (prefix.isEmpty())
        sqlite3_bind_text(st.handle(), 1, "", 0, SQLITE_STATIC); // "", not NULL: every name is >= ""
    else
        st.bindText(1, prefix);
    if (upper.isEmpty())
        sqlite3_bind_zeroblob(st.handle(), 2, 0);
    else
        st.bindText(2, upper);
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
    QString why;
    const std::unique_ptr<SqliteDb> db = SqliteDb::open(path, &why);  // read-only, hardened
    if (!db)
        return fail(why, false);

    int found = 0;
    {
        // Every native table, not only the one read: a foreign layout may well have a `streams` table of its own.
        // Tables only: a view named like a native table makes the file something else (SqliteDb::tables()
        // lists views too).
        SqlStatement tables(*db, "SELECT name FROM sqlite_master WHERE type = 'table'");
        if (!tables.ok())
            return fail(tables.prepareError(), false);
        while (tables.next())
            found += requiredTables().contains(tables.text(0)) ? 1 : 0;
    }
    if (found != requiredTables().size())
        return fail(QStringLiteral("%1 is not a Chronoscope store").arg(path), true);

    const bool streams = table == NameTable::Streams;
    const QByteArray bytes = prefix.toUtf8();
    const QByteArray upper = prefixUpperBound(bytes);
    SqlStatement first(*db, streams ? "SELECT name FROM streams WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT ?3"
                                    : "SELECT name FROM types WHERE name >= ?1 AND name < ?2 ORDER BY name LIMIT ?3");
    if (!first.ok())
        return fail(first.prepareError(), false);
    bindRange(first, bytes, upper);
    first.bindInt(3, limit + 1);
    NameMatches out;
    while (first.next())
        out.names << first.text(0);
    if (!first.done())
        return fail(db->lastError(), false);
    if (out.names.size() <= limit)
        return out;

    out.truncated = true;
    out.names.resize(limit - 1);
    SqlStatement last(*db, streams ? "SELECT name FROM streams WHERE name >= ?1 AND name < ?2 ORDER BY name DESC LIMIT 1"
                                   : "SELECT name FROM types WHERE name >= ?1 AND name < ?2 ORDER BY name DESC LIMIT 1");
    if (!last.ok())
        return fail(last.prepareError(), false);
    bindRange(last, bytes, upper);
    if (!last.next())
        return fail(db->lastError(), false);
    out.names << last.text(0);
    return out;
}

} // namespace chronoscope::store
