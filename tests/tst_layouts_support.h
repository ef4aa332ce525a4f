#pragma once
// Helpers shared by the tst_layouts_* tests: writing SQLite fixtures with the C API (exactly as the foreign
// libraries' DDL and inserts do), fingerprinting files, and a standard set of queries whose expected answers
// come from MemoryReader over the hand-written expected events (the oracle for every SQL reader).

#include "model/event.h"
#include "store/memoryreader.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QSet>
#include <QTest>
#include <QVariant>

#include <sqlite3.h>

Q_DECLARE_METATYPE(chronoscope::EventQuery)

namespace layouts_test {

using namespace chronoscope;

/// A writable SQLite connection for building fixtures.
class FixtureDb
{
public:
    explicit FixtureDb(const QString& path)
    {
        if (sqlite3_open(path.toUtf8().constData(), &m_db) != SQLITE_OK)
            qFatal("cannot create fixture %s", qPrintable(path));
    }
    ~FixtureDb() { sqlite3_close(m_db); }

    void exec(const QByteArray& sql)
    {
        char* err = nullptr;
        if (sqlite3_exec(m_db, sql.constData(), nullptr, nullptr, &err) != SQLITE_OK) {
            const QByteArray msg = err ? err : "?";
            sqlite3_free(err);
            qFatal("fixture SQL failed: %s\n%s", msg.constData(), sql.constData());
        }
    }

    /// Runs one statement with bound values: qint64/int -> INTEGER, QString -> TEXT, QByteArray -> BLOB,
    /// a null QVariant -> NULL.
    void run(const QByteArray& sql, const QVariantList& values)
    {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
            qFatal("fixture SQL failed: %s\n%s", sqlite3_errmsg(m_db), sql.constData());
        for (int i = 0; i < values.size(); ++i) {
            const QVariant& v = values[i];
            if (v.isNull())
                sqlite3_bind_null(st, i + 1);
            else if (v.typeId() == QMetaType::QByteArray) {
                const QByteArray b = v.toByteArray();
                sqlite3_bind_blob(st, i + 1, b.constData(), int(b.size()), SQLITE_TRANSIENT);
            } else if (v.typeId() == QMetaType::QString) {
                const QByteArray t = v.toString().toUtf8();
                sqlite3_bind_text(st, i + 1, t.constData(), int(t.size()), SQLITE_TRANSIENT);
            } else {
                sqlite3_bind_int64(st, i + 1, v.toLongLong());
            }
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            qFatal("fixture insert failed: %s\n%s", sqlite3_errmsg(m_db), sql.constData());
        sqlite3_finalize(st);
    }

private:
    sqlite3* m_db = nullptr;
};

inline QByteArray fileDigest(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

/// Every entry of a folder with its size and modification time: proves nothing was created or touched.
inline QStringList folderState(const QString& dir)
{
    QStringList out;
    for (const QFileInfo& fi : QDir(dir).entryInfoList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name))
        out << QStringLiteral("%1 %2 %3").arg(fi.fileName()).arg(fi.size()).arg(fi.lastModified().toMSecsSinceEpoch());
    return out;
}

/// Field-by-field comparison; empty when equal, else what differs.
inline QString diffEvents(const QList<Event>& actual, const QList<Event>& expected)
{
    if (actual.size() != expected.size()) {
        QStringList a, e;
        for (const Event& x : actual)
            a << QString::number(x.position);
        for (const Event& x : expected)
            e << QString::number(x.position);
        return QStringLiteral("got %1 events [%2], expected %3 [%4]")
            .arg(actual.size())
            .arg(a.join(u','))
            .arg(expected.size())
            .arg(e.join(u','));
    }
    for (qsizetype i = 0; i < actual.size(); ++i) {
        const QByteArray a = actual[i].toCanonicalJson();
        const QByteArray e = expected[i].toCanonicalJson();
        if (a != e)
            return QStringLiteral("event %1 differs:\n got      %2\n expected %3")
                .arg(i)
                .arg(QString::fromUtf8(a), QString::fromUtf8(e));
    }
    return {};
}

using QueryCases = QList<std::pair<QString, EventQuery>>;

/// A standard set of queries over a known event list: every filter alone and combined, limits, direction.
inline QueryCases queryCases(const QList<Event>& events, bool timeKnown)
{
    QueryCases cases;
    auto add = [&cases](const QString& name, const EventQuery& q) { cases.append({name, q}); };
    add(QStringLiteral("all"), EventQuery{});
    EventQuery q;
    q.backward = true;
    add(QStringLiteral("all backward"), q);

    QStringList streams, types;
    for (const Event& e : events) {
        if (!streams.contains(e.stream))
            streams << e.stream;
        if (!types.contains(e.type))
            types << e.type;
    }
    for (const QString& s : streams) {
        q = {};
        q.stream = s;
        add(QStringLiteral("stream %1").arg(s), q);
    }
    const Event& mid = events[events.size() / 2];
    q = {};
    q.stream = mid.stream;
    q.fromVersion = mid.version;
    add(QStringLiteral("stream from version"), q);
    q.fromVersion = 0;
    q.toVersion = mid.version;
    add(QStringLiteral("stream to version"), q);
    q.fromVersion = mid.version;
    q.toVersion = mid.version;
    add(QStringLiteral("stream one version"), q);
    q = {};
    q.stream = mid.stream;
    q.limit = 1;
    q.backward = true;
    add(QStringLiteral("stream last event"), q);
    for (const QString& t : types) {
        q = {};
        q.types = {t};
        add(QStringLiteral("type %1").arg(t), q);
    }
    if (types.size() > 1) {
        q = {};
        q.types = {types[0], types[1]};
        add(QStringLiteral("two types"), q);
        q.stream = events.first().stream;
        add(QStringLiteral("two types in a stream"), q);
    }
    q = {};
    q.fromPosition = events[1].position;
    q.toPosition = events[events.size() - 2].position;
    add(QStringLiteral("position range"), q);
    q.backward = true;
    q.limit = 2;
    add(QStringLiteral("position range backward limit"), q);
    q = {};
    q.fromPosition = events.last().position + 1;
    add(QStringLiteral("after the end"), q);
    q = {};
    q.fromPosition = events.first().position;
    q.toPosition = events.first().position;
    add(QStringLiteral("first position only"), q);
    q = {};
    q.limit = 2;
    add(QStringLiteral("limit"), q);
    q.limit = 0;
    add(QStringLiteral("limit 0"), q);
    q = {};
    q.stream = QStringLiteral("no-such-stream");
    add(QStringLiteral("unknown stream"), q);
    q = {};
    q.types = {QStringLiteral("NoSuchType")};
    add(QStringLiteral("unknown type"), q);

    TimeMs first = kNoTime, last = kNoTime;
    for (const Event& e : events) {
        if (e.time == kNoTime)
            continue;
        first = first == kNoTime ? e.time : std::min(first, e.time);
        last = last == kNoTime ? e.time : std::max(last, e.time);
    }
    const TimeMs probe = timeKnown ? mid.time : 1767607200000;
    q = {};
    q.since = probe;
    add(QStringLiteral("since"), q);
    q = {};
    q.until = probe;
    add(QStringLiteral("until"), q);
    q = {};
    q.since = probe + 1;
    add(QStringLiteral("since just after"), q);
    q = {};
    q.until = probe - 1;
    q.backward = true;
    add(QStringLiteral("until just before, backward"), q);
    if (timeKnown) {
        q = {};
        q.since = first;
        q.until = last;
        q.limit = 3;
        add(QStringLiteral("time window limit"), q);
        q = {};
        q.stream = mid.stream;
        q.since = first;
        q.until = mid.time;
        add(QStringLiteral("stream time window"), q);
    }
    return cases;
}

inline void addQueryRows(const QList<Event>& events, bool timeKnown)
{
    QTest::addColumn<EventQuery>("query");
    for (const auto& [name, q] : queryCases(events, timeKnown))
        QTest::newRow(qPrintable(name)) << q;
}

} // namespace layouts_test
