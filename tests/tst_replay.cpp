// The replay engine: point semantics, checkpoints (persisted and in memory), bad data, cancellation.
#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/checkpointcache.h"
#include "replay/replayengine.h"
#include "store/memoryreader.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"

#include "number_texts.h"

#include <sqlite3.h>

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>

#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace chronoscope;

namespace {

constexpr TimeMs kT0 = 1767607200000;  // 2026-01-05T10:00:00Z

Event ev(const QString& stream, qint64 version, const QByteArray& data, TimeMs time = kNoTime, qint64 position = 0)
{
    Event e;
    e.stream = stream;
    e.version = version;
    e.type = QStringLiteral("Changed");
    e.data = data;
    e.time = time;
    e.position = position;
    return e;
}

QByteArray t(const QJsonValue& v)
{
    return toJsonText(v);
}

// The obvious fold, with no checkpoints: the oracle the engine must agree with. Position and time
// points stop at the stream's first event past the point.
QJsonValue naiveState(const QList<Event>& all, const QString& stream, const Point& p)
{
    QJsonValue s = QJsonObject();
    for (const Event& e : all) {
        if (e.stream != stream)
            continue;
        if (p.kind == Point::Version && e.version > p.value)
            continue;
        if (p.kind == Point::Position && e.position > p.value)
            break;
        if (p.kind == Point::Time && (e.time == kNoTime || e.time > p.value))
            break;
        applyMergePatch(s, parseJsonValue(e.data));
    }
    return s;
}

// Three interleaved streams; "long" has enough versions to cross many checkpoint blocks.
QList<Event> interleaved(int longEvents)
{
    QList<Event> out;
    qint64 pos = 1;
    int shortV = 0;
    int otherV = 0;
    for (int v = 0; v < longEvents; ++v) {
        const TimeMs time = kT0 + qint64(v) * 1000;
        out << ev(QStringLiteral("long-1"), v,
                  QStringLiteral(R"({"n":%1,"k%2":%1,"nested":{"m%3":%1}})").arg(v).arg(v % 17).arg(v % 5).toUtf8(), time, pos++);
        if (v % 3 == 0)
            out << ev(QStringLiteral("short-1"), shortV++, QStringLiteral(R"({"s":%1})").arg(v).toUtf8(), time + 1, pos++);
        if (v % 7 == 0)
            out << ev(QStringLiteral("other-1"), otherV++, QStringLiteral(R"({"o":[%1]})").arg(v).toUtf8(), time + 2, pos++);
    }
    return out;
}

// A reader that persists checkpoints (as the native store does), served from a list.
class CheckpointingReader : public MemoryReader
{
public:
    CheckpointingReader(QList<Event> events, QList<Checkpoint> checkpoints)
        : MemoryReader(std::move(events)), m_checkpoints(std::move(checkpoints))
    {
    }
    std::optional<Checkpoint> checkpointBefore(const QString& projection, const QString& stream, const Point& point) override
    {
        ++calls;
        std::optional<Checkpoint> best;
        for (const Checkpoint& c : m_checkpoints) {
            if (c.projection != projection || c.stream != stream)
                continue;
            if (point.kind == Point::Version && c.version > point.value && !ignorePoint)
                continue;
            if (!best || c.version > best->version)
                best = c;
        }
        return best;
    }
    int calls = 0;
    bool ignorePoint = false;  // a buggy reader that returns checkpoints past the point

private:
    QList<Checkpoint> m_checkpoints;
};

// Counts the events it delivers, cancels a token after a number of them, or fails.
class InstrumentedReader : public MemoryReader
{
public:
    using MemoryReader::MemoryReader;
    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override
    {
        if (failWith.size()) {
            if (error)
                *error = failWith;
            return false;
        }
        return MemoryReader::read(
            q,
            [&](const Event& e) {
                ++delivered;
                if (cancelAfter >= 0 && delivered >= cancelAfter)
                    token.cancel();
                return sink(e);
            },
            error);
    }
    qint64 delivered = 0;
    qint64 cancelAfter = -1;
    CancelToken token;
    QString failWith;
};

Checkpoint checkpointFrom(const QList<Event>& all, const QString& stream, qint64 version, const QByteArray& stateOverride = {})
{
    Checkpoint c;
    c.projection = QStringLiteral("merge");
    c.stream = stream;
    c.version = version;
    c.state = stateOverride.isNull() ? toJsonText(naiveState(all, stream, Point::atVersion(version))) : stateOverride;
    for (const Event& e : all)
        if (e.stream == stream && e.version == version)
            c.position = e.position;
    return c;
}

} // namespace

class TstReplay : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // One small stream where every answer is known by hand.
    void pointSemantics_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<QByteArray>("state");
        QTest::addColumn<qint64>("lastVersion");  // -1: no event yet
        // order-1: v0 @pos2 t+0s, v1 @pos4 t+10s, v2 @pos5 t+20s; the other stream sits at positions 1 and 3.
        QTest::newRow("end") << int(Point::End) << qint64(0) << QByteArray(R"({"qty":3,"status":"paid"})") << qint64(2);
        QTest::newRow("version 0") << int(Point::Version) << qint64(0) << QByteArray(R"({"qty":1,"status":"new"})") << qint64(0);
        QTest::newRow("version 1") << int(Point::Version) << qint64(1) << QByteArray(R"({"qty":3,"status":"new"})") << qint64(1);
        QTest::newRow("version past end") << int(Point::Version) << qint64(99) << QByteArray(R"({"qty":3,"status":"paid"})") << qint64(2);
        QTest::newRow("version before first") << int(Point::Version) << qint64(-1) << QByteArray("{}") << qint64(-1);
        QTest::newRow("position 1 (other stream)") << int(Point::Position) << qint64(1) << QByteArray("{}") << qint64(-1);
        QTest::newRow("position 2") << int(Point::Position) << qint64(2) << QByteArray(R"({"qty":1,"status":"new"})") << qint64(0);
        QTest::newRow("position 3 (between)") << int(Point::Position) << qint64(3) << QByteArray(R"({"qty":1,"status":"new"})") << qint64(0);
        QTest::newRow("position 4") << int(Point::Position) << qint64(4) << QByteArray(R"({"qty":3,"status":"new"})") << qint64(1);
        QTest::newRow("position far") << int(Point::Position) << qint64(1000) << QByteArray(R"({"qty":3,"status":"paid"})") << qint64(2);
        QTest::newRow("time before") << int(Point::Time) << kT0 - 1 << QByteArray("{}") << qint64(-1);
        QTest::newRow("time exact first") << int(Point::Time) << kT0 << QByteArray(R"({"qty":1,"status":"new"})") << qint64(0);
        QTest::newRow("time between") << int(Point::Time) << kT0 + 15000 << QByteArray(R"({"qty":3,"status":"new"})") << qint64(1);
        QTest::newRow("time after") << int(Point::Time) << kT0 + 99000 << QByteArray(R"({"qty":3,"status":"paid"})") << qint64(2);
    }
    void pointSemantics()
    {
        QFETCH(int, kind);
        QFETCH(qint64, value);
        QFETCH(QByteArray, state);
        QFETCH(qint64, lastVersion);
        MemoryReader reader({
            ev(QStringLiteral("other-1"), 0, R"({"x":1})", kT0 - 5000),
            ev(QStringLiteral("order-1"), 0, R"({"status":"new","qty":1})", kT0),
            ev(QStringLiteral("other-1"), 1, R"({"x":2})", kT0 + 5000),
            ev(QStringLiteral("order-1"), 1, R"({"qty":3})", kT0 + 10000),
            ev(QStringLiteral("order-1"), 2, R"({"status":"paid"})", kT0 + 20000),
        });
        ReplayEngine engine(reader);
        const StateResult r = engine.stateAt(QStringLiteral("order-1"), Point{Point::Kind(kind), value});
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(t(r.state), state);
        QCOMPARE(r.lastEvent.has_value(), lastVersion >= 0);
        if (r.lastEvent) {
            QCOMPARE(r.lastEvent->version, lastVersion);
            QCOMPARE(r.lastEvent->stream, QStringLiteral("order-1"));
        }
    }

    // Clock skew: a time point stops at the first event stamped after it, so the state is one the
    // stream really had (never a later event folded without the one before it).
    void timeSkew()
    {
        MemoryReader reader({
            ev(QStringLiteral("s"), 0, R"({"a":0})", kT0),
            ev(QStringLiteral("s"), 1, R"({"a":1})", kT0 + 5000),
            ev(QStringLiteral("s"), 2, R"({"b":2})", kT0 + 3000),  // stamped before its predecessor
            ev(QStringLiteral("s"), 3, R"({"c":3})", kNoTime),
            ev(QStringLiteral("s"), 4, R"({"d":4})", kT0 + 9000),
        });
        ReplayEngine engine(reader);
        QCOMPARE(t(engine.stateAt(QStringLiteral("s"), Point::atTime(kT0 + 4000)).state), QByteArray(R"({"a":0})"));
        QCOMPARE(t(engine.stateAt(QStringLiteral("s"), Point::atTime(kT0 + 6000)).state), QByteArray(R"({"a":1,"b":2})"));
        // An event without a time is never known to be at or before a time.
        const StateResult r = engine.stateAt(QStringLiteral("s"), Point::atTime(kT0 + 99000));
        QCOMPARE(t(r.state), QByteArray(R"({"a":1,"b":2})"));
        QCOMPARE(r.lastEvent->version, 2);
    }

    // Gaps in versions larger than a read range do not end a position or time fold early.
    void versionGaps()
    {
        QList<Event> events;
        qint64 v = 0;
        for (int i = 0; i < 50; ++i) {
            events << ev(QStringLiteral("g"), v, QStringLiteral(R"({"i":%1})").arg(i).toUtf8(), kT0 + i * 1000);
            v += (i % 10 == 9) ? 5000 : 1;
        }
        MemoryReader reader(events);
        ReplayEngine engine(reader, ReplayOptions{16, qint64(1) << 30, 100});
        for (int i : {0, 9, 10, 25, 49}) {
            const StateResult r = engine.stateAt(QStringLiteral("g"), Point::atTime(kT0 + i * 1000));
            QCOMPARE(r.state.toObject().value(QLatin1String("i")).toInt(), i);
            QCOMPARE(r.lastEvent->position, qint64(i + 1));  // MemoryReader numbers positions 1..n
            QCOMPARE(engine.stateAt(QStringLiteral("g"), Point::atPosition(i + 1)).state.toObject().value(QLatin1String("i")).toInt(), i);
        }
        QCOMPARE(t(engine.stateAt(QStringLiteral("g"), Point::atVersion(events.at(30).version)).state),
                 t(naiveState(events, QStringLiteral("g"), Point::atVersion(events.at(30).version))));
    }

    // A real store file with persisted checkpoints: the engine agrees with the naive fold at random
    // points, starts from the store's checkpoints, and never changes the file.
    void nativeStoreFile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("replay.chronoscope"));
        const QList<Event> events = interleaved(2500);
        {
            QString err;
            StoreWriter::Options o;
            o.checkpointEvery = 100;
            auto w = StoreWriter::create(path, o, &err);
            QVERIFY2(w, qPrintable(err));
            for (const Event& e : events)
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
        }
        auto hash = [&path] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256) : QByteArray();
        };
        const QByteArray before = hash();
        QString err;
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        QVERIFY(reader->checkpointBefore(QStringLiteral("merge"), QStringLiteral("long-1"), Point::end()));
        ReplayEngine cold(*reader, ReplayOptions{256, 0, 0});  // persisted checkpoints only
        const StateResult mid = cold.stateAt(QStringLiteral("long-1"), Point::atVersion(1234));
        QVERIFY2(mid.ok(), qPrintable(mid.error));
        QVERIFY(mid.fromCheckpoint);
        QVERIFY2(mid.eventsApplied < 100, qPrintable(QString::number(mid.eventsApplied)));
        QCOMPARE(t(mid.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(1234))));

        ReplayEngine warm(*reader);
        const QStringList streams = {QStringLiteral("long-1"), QStringLiteral("short-1"), QStringLiteral("other-1")};
        QRandomGenerator rng(17);
        for (int i = 0; i < 150; ++i) {
            const QString s = streams.at(rng.bounded(3));
            Point p;
            switch (rng.bounded(4)) {
            case 0: p = Point::end(); break;
            case 1: p = Point::atVersion(rng.bounded(2600)); break;
            case 2: p = Point::atPosition(rng.bounded(events.size() + 5)); break;
            default: p = Point::atTime(kT0 - 1000 + rng.bounded(2600 * 1000)); break;
            }
            for (ReplayEngine* e : {&cold, &warm}) {
                const StateResult r = e->stateAt(s, p);
                QVERIFY2(r.ok(), qPrintable(r.error));
                QCOMPARE(t(r.state), t(naiveState(events, s, p)));
            }
        }
        QVERIFY(!warm.stateAt(QStringLiteral("missing"), Point::end()).ok());
        const BlameResult b = warm.blame(QStringLiteral("long-1"), QStringLiteral("/k3"), Point::atVersion(2000));
        QVERIFY2(b.ok(), qPrintable(b.error));
        QCOMPARE(b.event->version, 1992);  // k<v%17>: the last v <= 2000 with v % 17 == 3
        reader.reset();
        QCOMPARE(hash(), before);
    }

    // Numbers come out of a fold as the events wrote them: from a real store file, through its
    // persisted checkpoints and the engine's cache, in diffs and in the change at an event. An event
    // holding 1e400 is data like any other: the next merge keeps it.
    void numbersKeepTheirText_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const QByteArray& t : testdata::numberTexts())
            QTest::newRow(t.constData()) << t;
    }
    void numbersKeepTheirText()
    {
        QFETCH(QByteArray, text);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("numbers.chronoscope"));
        const QString s = QStringLiteral("n-1");
        QList<Event> events;
        events << ev(s, 0, "{\"p\":" + text + ",\"l\":[" + text + "],\"q\":1.10}", kT0, 1);
        for (int v = 1; v < 60; ++v)
            events << ev(s, v, "{\"n\":" + QByteArray::number(v) + "}", kT0 + v, v + 1);
        events << ev(s, 60, R"({"q":1.20})", kT0 + 60, 61);
        {
            QString err;
            StoreWriter::Options o;
            o.checkpointEvery = 10;
            auto w = StoreWriter::create(path, o, &err);
            QVERIFY2(w, qPrintable(err));
            for (const Event& e : events)
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
        }
        QString err;
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        const auto expected = [&](int version) {
            QByteArray out = "{\"l\":[" + text + "]";
            if (version > 0)
                out += ",\"n\":" + QByteArray::number(std::min(version, 59));
            return out + ",\"p\":" + text + ",\"q\":" + (version >= 60 ? "1.20" : "1.10") + "}";
        };
        ReplayEngine cold(*reader, ReplayOptions{256, 0, 0});  // persisted checkpoints only
        const StateResult mid = cold.stateAt(s, Point::atVersion(35));
        QVERIFY2(mid.ok(), qPrintable(mid.error));
        QVERIFY(mid.fromCheckpoint);
        QCOMPARE(toJsonText(mid.state), expected(35));
        ReplayEngine warm(*reader, ReplayOptions{8, qint64(64) << 20, 4096});
        for (int v : {0, 9, 10, 35, 59, 60}) {
            for (ReplayEngine* e : {&cold, &warm}) {
                const StateResult r = e->stateAt(s, Point::atVersion(v));
                QVERIFY2(r.ok(), qPrintable(r.error));
                QCOMPARE(toJsonText(r.state), expected(v));
            }
        }
        QCOMPARE(toJsonText(warm.stateAt(s, Point::end()).state), expected(60));
        const StateDiff d = warm.diff(s, Point::atVersion(59), Point::end());
        QVERIFY2(d.ok(), qPrintable(d.error));
        QCOMPARE(toJsonText(d.patch), QByteArray(R"([{"op":"replace","path":"/q","value":1.20}])"));
        const StateDiff all = warm.diff(s, Point::atVersion(-1), Point::atVersion(0));
        QCOMPARE(toJsonText(all.patch), "[{\"op\":\"add\",\"path\":\"/l\",\"value\":[" + text
                                            + "]},{\"op\":\"add\",\"path\":\"/p\",\"value\":" + text
                                            + "},{\"op\":\"add\",\"path\":\"/q\",\"value\":1.10}]");
        const EventChange c = warm.changeAt(s, 60);
        QVERIFY2(c.ok(), qPrintable(c.error));
        QCOMPARE(toJsonText(c.after), expected(60));
    }

    // A store written before numbers kept their text has "merge" checkpoints with Qt's texts (1.10 as
    // 1.1) and no meta.checkpoint_numbers: its checkpoints are not used, the fold starts from the events.
    void checkpointsOfOlderStoresUnused()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("older.chronoscope"));
        const QString s = QStringLiteral("n-1");
        QList<Event> events;
        events << ev(s, 0, R"({"p":1.10})", kT0, 1);
        for (int v = 1; v < 40; ++v)
            events << ev(s, v, "{\"n\":" + QByteArray::number(v) + "}", kT0 + v, v + 1);
        {
            QString err;
            StoreWriter::Options o;
            o.checkpointEvery = 10;
            auto w = StoreWriter::create(path, o, &err);
            QVERIFY2(w, qPrintable(err));
            for (const Event& e : events)
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
        }
        const QByteArray expected = R"({"n":39,"p":1.10})";
        {
            QString err;
            auto reader = SqliteStoreReader::open(path, &err);
            QVERIFY2(reader, qPrintable(err));
            ReplayEngine cold(*reader, ReplayOptions{256, 0, 0});
            const StateResult r = cold.stateAt(s, Point::end());
            QVERIFY(r.fromCheckpoint);
            QCOMPARE(toJsonText(r.state), expected);
        }
        // Make it look like an older store: lossy checkpoint texts, no meta key.
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "DELETE FROM meta WHERE key='checkpoint_numbers';"
                                  "UPDATE checkpoints SET state=replace(state,'1.10','1.1')",
                              nullptr, nullptr, nullptr),
                 SQLITE_OK);
        QVERIFY(sqlite3_changes(db) > 0);
        sqlite3_close(db);
        QString err;
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        ReplayEngine cold(*reader, ReplayOptions{256, 0, 0});
        const StateResult r = cold.stateAt(s, Point::end());
        QVERIFY(!r.fromCheckpoint);
        QCOMPARE(r.eventsApplied, 40);
        QCOMPARE(toJsonText(r.state), expected);
    }

    void nonObjectDataReplacesState()
    {
        MemoryReader reader({
            ev(QStringLiteral("s"), 0, R"({"a":1})"),
            ev(QStringLiteral("s"), 1, R"([1,2])"),
            ev(QStringLiteral("s"), 2, R"({"b":2})"),
            ev(QStringLiteral("s"), 3, "42"),
            ev(QStringLiteral("s"), 4, "null"),
        });
        ReplayEngine engine(reader);
        const QList<QByteArray> expected = {R"({"a":1})", "[1,2]", R"({"b":2})", "42", "null"};
        for (int v = 0; v < expected.size(); ++v)
            QCOMPARE(t(engine.stateAt(QStringLiteral("s"), Point::atVersion(v)).state), expected[v]);
    }

    // Invalid JSON text is taken as a string that replaces the state; the next object starts afresh.
    void invalidJsonDataBecomesString()
    {
        Event bad = ev(QStringLiteral("s"), 1, "{\"a\":1,");
        Event marked = ev(QStringLiteral("s"), 2, "\"not json at all\"");
        marked.dataIsJson = false;
        MemoryReader reader({ev(QStringLiteral("s"), 0, R"({"a":1})"), bad, marked, ev(QStringLiteral("s"), 3, R"({"c":3})")});
        ReplayEngine engine(reader);
        QCOMPARE(engine.stateAt(QStringLiteral("s"), Point::atVersion(1)).state.toString(), QStringLiteral("{\"a\":1,"));
        QCOMPARE(engine.stateAt(QStringLiteral("s"), Point::atVersion(2)).state.toString(), QStringLiteral("not json at all"));
        QCOMPARE(t(engine.stateAt(QStringLiteral("s"), Point::end()).state), QByteArray(R"({"c":3})"));
    }

    // Qt's parser caps nesting: 100,000 levels are refused (taken as a string), never a crash.
    void deeplyNestedData()
    {
        const int depth = 100000;
        QByteArray deep = QByteArray(depth, '[') + QByteArray(depth, ']');
        QByteArray deepObj;
        for (int i = 0; i < 2000; ++i)
            deepObj += "{\"a\":";
        deepObj += "1" + QByteArray(2000, '}');
        MemoryReader reader({ev(QStringLiteral("s"), 0, R"({"a":1})"), ev(QStringLiteral("s"), 1, deep),
                             ev(QStringLiteral("s"), 2, deepObj)});
        ReplayEngine engine(reader);
        const StateResult r1 = engine.stateAt(QStringLiteral("s"), Point::atVersion(1));
        QVERIFY(r1.ok());
        QVERIFY(r1.state.isString());
        QCOMPARE(r1.state.toString().size(), 2 * depth);
        const StateResult r2 = engine.stateAt(QStringLiteral("s"), Point::end());
        QVERIFY(r2.ok());
        QVERIFY(r2.state.isString() || r2.state.isObject());  // whichever the parser's cap allows; no crash
    }

    void unknownStream()
    {
        MemoryReader reader({ev(QStringLiteral("s"), 0, R"({"a":1})")});
        ReplayEngine engine(reader);
        for (const Point& p : {Point::end(), Point::atVersion(3), Point::atPosition(5), Point::atTime(kT0)}) {
            const StateResult r = engine.stateAt(QStringLiteral("nope"), p);
            QVERIFY(!r.ok());
            QVERIFY2(r.error.contains(QLatin1String("unknown stream")) && r.error.contains(QLatin1String("nope")), qPrintable(r.error));
            QCOMPARE(t(r.state), QByteArray("{}"));
        }
        // A known stream before its first event is not an error.
        const StateResult before = engine.stateAt(QStringLiteral("s"), Point::atVersion(-5));
        QVERIFY(before.ok());
        QCOMPARE(t(before.state), QByteArray("{}"));
        QVERIFY(!before.lastEvent);
    }

    void readErrorIsReported()
    {
        InstrumentedReader reader({ev(QStringLiteral("s"), 0, R"({"a":1})")});
        reader.failWith = QStringLiteral("database disk image is malformed");
        ReplayEngine engine(reader);
        const StateResult r = engine.stateAt(QStringLiteral("s"), Point::end());
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(reader.failWith) && r.error.contains(QLatin1String("\"s\"")), qPrintable(r.error));
    }

    // Duplicate versions (a dirty source): both events fold, in read order, and checkpoints stay right.
    void duplicateVersions()
    {
        QList<Event> events;
        for (int v = 0; v < 600; ++v) {
            events << ev(QStringLiteral("d"), v, QStringLiteral(R"({"v":%1})").arg(v).toUtf8());
            if (v % 128 == 127 || v == 255)
                events << ev(QStringLiteral("d"), v, QStringLiteral(R"({"dup%1":true})").arg(v).toUtf8());
        }
        MemoryReader reader(events);
        ReplayEngine engine(reader, ReplayOptions{64, qint64(1) << 30, 1000});
        QCOMPARE(t(engine.stateAt(QStringLiteral("d"), Point::end()).state), t(naiveState(events, QStringLiteral("d"), Point::end())));
        for (qint64 v : {127, 255, 256, 300, 511, 599}) {
            const StateResult r = engine.stateAt(QStringLiteral("d"), Point::atVersion(v));
            QCOMPARE(t(r.state), t(naiveState(events, QStringLiteral("d"), Point::atVersion(v))));
        }
    }

    // In-memory checkpoints: the first seek folds the stream, later ones at most one block.
    void memoryCheckpointsBoundLaterSeeks()
    {
        const QList<Event> events = interleaved(3000);
        InstrumentedReader reader(events);
        ReplayEngine engine(reader);  // default interval 256
        const StateResult first = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(2999));
        QVERIFY(first.ok());
        QVERIFY(!first.fromCheckpoint);
        QCOMPARE(first.eventsApplied, 3000);
        QVERIFY(engine.cachedCheckpoints() >= 3000 / 256);
        QRandomGenerator rng(7);
        for (int i = 0; i < 200; ++i) {
            const qint64 v = rng.bounded(3000);
            const StateResult r = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(v));
            QVERIFY(r.ok());
            QVERIFY2(r.eventsApplied <= 256, qPrintable(QString::number(r.eventsApplied)));
            QCOMPARE(r.lastEvent->version, v);
            QCOMPARE(t(r.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(v))));
        }
        // The same point again replays nothing beyond its checkpoint.
        const StateResult again = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(2999));
        QVERIFY(again.fromCheckpoint);
        QCOMPARE(again.eventsApplied, 0);
        QCOMPARE(again.lastEvent->version, 2999);
        QCOMPARE(t(again.state), t(first.state));
    }

    void cacheStaysWithinBounds()
    {
        const QList<Event> events = interleaved(3000);
        MemoryReader reader(events);
        ReplayEngine byCount(reader, ReplayOptions{16, qint64(1) << 30, 20});
        byCount.stateAt(QStringLiteral("long-1"), Point::end());
        QVERIFY(byCount.cachedCheckpoints() <= 20);
        QVERIFY(byCount.cachedCheckpoints() > 0);
        ReplayEngine byBytes(reader, ReplayOptions{16, 4096, 100000});
        byBytes.stateAt(QStringLiteral("long-1"), Point::end());
        QVERIFY(byBytes.cachedBytes() <= 4096);
        // Evicted or not, answers stay right.
        QRandomGenerator rng(3);
        for (int i = 0; i < 50; ++i) {
            const qint64 v = rng.bounded(3000);
            QCOMPARE(t(byCount.stateAt(QStringLiteral("long-1"), Point::atVersion(v)).state),
                     t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(v))));
        }
        ReplayEngine none(reader, ReplayOptions{256, 0, 0});
        none.stateAt(QStringLiteral("long-1"), Point::end());
        QCOMPARE(none.cachedCheckpoints(), 0);
    }

    // A long stream that keeps overwriting one small state: the data folded adds up to far more than
    // the budget, the states stay small, and the cache must keep checkpoints for the whole stream.
    void smallStatesOfLongStreamsStayCached()
    {
        QList<Event> events;
        const QByteArray pad(100, 'x');
        for (int v = 0; v < 3000; ++v)
            events << ev(QStringLiteral("busy-1"), v, "{\"n\":" + QByteArray::number(v) + ",\"pad\":\"" + pad + "\"}");
        MemoryReader reader(events);
        ReplayEngine engine(reader, ReplayOptions{256, 64 * 1024, 4096});
        QVERIFY(engine.stateAt(QStringLiteral("busy-1"), Point::end()).ok());
        QVERIFY2(engine.cachedCheckpoints() >= 3000 / 256, qPrintable(QString::number(engine.cachedCheckpoints())));
        QVERIFY(engine.cachedBytes() <= 64 * 1024);
        const StateResult r = engine.stateAt(QStringLiteral("busy-1"), Point::atVersion(300));
        QVERIFY(r.fromCheckpoint);
        QVERIFY(r.eventsApplied < 256);
    }

    // The cache itself: best checkpoint at or before a version, least recently used evicted first,
    // byte bound, per-stream removal.
    void checkpointCacheLru()
    {
        CheckpointCache cache(1000, 3);
        auto cp = [](qint64 v, qint64 bytes) {
            CachedCheckpoint c;
            c.version = v;
            c.state = QJsonObject{{QStringLiteral("v"), v}};
            c.bytes = bytes;
            return c;
        };
        cache.insert(QStringLiteral("s"), cp(100, 10));
        cache.insert(QStringLiteral("s"), cp(200, 10));
        cache.insert(QStringLiteral("s"), cp(300, 10));
        QCOMPARE(cache.bestAtOrBefore(QStringLiteral("s"), 250)->version, 200);
        QCOMPARE(cache.bestAtOrBefore(QStringLiteral("s"), 1000)->version, 300);
        QVERIFY(!cache.bestAtOrBefore(QStringLiteral("s"), 99));
        QVERIFY(!cache.bestAtOrBefore(QStringLiteral("t"), 1000));
        QCOMPARE(cache.bestAtOrBefore(QStringLiteral("s"), 150)->version, 100);  // 100 is now the most recent
        cache.insert(QStringLiteral("t"), cp(5, 10));                           // evicts 200, the least recent
        QCOMPARE(cache.size(), 3);
        QVERIFY(cache.contains(QStringLiteral("s"), 100));
        QVERIFY(!cache.contains(QStringLiteral("s"), 200));
        QVERIFY(cache.contains(QStringLiteral("s"), 300));
        QCOMPARE(cache.bestAtOrBefore(QStringLiteral("s"), 250)->version, 100);
        // A filter walks down past refused checkpoints.
        QCOMPARE(cache.bestAtOrBefore(QStringLiteral("s"), 1000, [](const CachedCheckpoint& c) { return c.version < 300; })->version, 100);
        // Bytes: a big one pushes out the least recent until the total fits; one bigger than the budget is not kept.
        cache.insert(QStringLiteral("u"), cp(1, 985));
        QVERIFY(cache.bytes() <= 1000);
        QVERIFY(cache.contains(QStringLiteral("u"), 1));
        cache.insert(QStringLiteral("u"), cp(2, 5000));
        QVERIFY(!cache.contains(QStringLiteral("u"), 2));
        cache.removeStream(QStringLiteral("u"));
        QVERIFY(!cache.contains(QStringLiteral("u"), 1));
        QVERIFY(cache.bytes() <= 1000);
        QCOMPARE(cache.bytes(), cache.size() * 10);
    }

    // Random seeks over every point kind, one engine (warm cache), against the naive fold.
    void randomSeeksMatchNaiveFold()
    {
        const QList<Event> events = interleaved(1200);
        MemoryReader reader(events);
        ReplayEngine engine(reader, ReplayOptions{50, qint64(1) << 30, 64});
        const QStringList streams = {QStringLiteral("long-1"), QStringLiteral("short-1"), QStringLiteral("other-1")};
        const qint64 lastPos = events.last().position;
        QRandomGenerator rng(11);
        for (int i = 0; i < 400; ++i) {
            const QString s = streams.at(rng.bounded(3));
            Point p;
            switch (rng.bounded(4)) {
            case 0: p = Point::end(); break;
            case 1: p = Point::atVersion(qint64(rng.bounded(1300)) - 5); break;
            case 2: p = Point::atPosition(rng.bounded(lastPos + 10)); break;
            default: p = Point::atTime(kT0 - 5000 + qint64(rng.bounded(1300 * 1000))); break;
            }
            const StateResult r = engine.stateAt(s, p);
            QVERIFY2(r.ok(), qPrintable(r.error));
            QCOMPARE(t(r.state), t(naiveState(events, s, p)));
        }
    }

    void persistedCheckpointsAreUsed()
    {
        const QList<Event> events = interleaved(2000);
        CheckpointingReader reader(events, {checkpointFrom(events, QStringLiteral("long-1"), 999),
                                            checkpointFrom(events, QStringLiteral("long-1"), 1499)});
        ReplayEngine engine(reader, ReplayOptions{256, 0, 0});  // no memory cache: persisted ones only
        const StateResult r = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(1600));
        QVERIFY(r.ok());
        QVERIFY(r.fromCheckpoint);
        QCOMPARE(r.eventsApplied, 101);
        QCOMPARE(t(r.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(1600))));
        const StateResult exact = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(999));
        QCOMPARE(exact.eventsApplied, 0);
        QVERIFY(exact.lastEvent);
        QCOMPARE(exact.lastEvent->version, 999);
        QCOMPARE(t(exact.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(999))));
        const StateResult early = engine.stateAt(QStringLiteral("long-1"), Point::atVersion(10));
        QVERIFY(!early.fromCheckpoint);
        QCOMPARE(early.eventsApplied, 11);
        const qint64 pos = events.at(events.size() / 2).position;
        const StateResult byPos = engine.stateAt(QStringLiteral("long-1"), Point::atPosition(pos));
        QCOMPARE(t(byPos.state), t(naiveState(events, QStringLiteral("long-1"), Point::atPosition(pos))));
        QVERIFY(reader.calls > 0);
    }

    // A broken persisted checkpoint (bad JSON) or one past the point is ignored: answers stay right.
    void badPersistedCheckpointsIgnored()
    {
        const QList<Event> events = interleaved(800);
        CheckpointingReader broken(events, {checkpointFrom(events, QStringLiteral("long-1"), 500, "{\"n\":5"),
                                            checkpointFrom(events, QStringLiteral("long-1"), 300)});
        ReplayEngine e1(broken, ReplayOptions{256, 0, 0});
        const StateResult r1 = e1.stateAt(QStringLiteral("long-1"), Point::atVersion(600));
        QCOMPARE(t(r1.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(600))));
        QVERIFY(!r1.fromCheckpoint);  // the reader's best one is broken: fold from the start
        QCOMPARE(r1.eventsApplied, 601);

        CheckpointingReader past(events, {checkpointFrom(events, QStringLiteral("long-1"), 700)});
        past.ignorePoint = true;
        ReplayEngine e2(past, ReplayOptions{256, 0, 0});
        const StateResult r2 = e2.stateAt(QStringLiteral("long-1"), Point::atVersion(100));
        QCOMPARE(t(r2.state), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(100))));
        QVERIFY(!r2.fromCheckpoint);
    }

    void cancellation()
    {
        const QList<Event> events = interleaved(3000);
        InstrumentedReader reader(events);
        ReplayEngine engine(reader);
        CancelToken pre;
        pre.cancel();
        const StateResult r0 = engine.stateAt(QStringLiteral("long-1"), Point::end(), pre);
        QCOMPARE(r0.error, QStringLiteral("cancelled"));
        QCOMPARE(reader.delivered, 0);

        reader.cancelAfter = 500;
        const StateResult r1 = engine.stateAt(QStringLiteral("long-1"), Point::end(), reader.token);
        QCOMPARE(r1.error, QStringLiteral("cancelled"));
        QVERIFY(!r1.ok());
        QVERIFY2(reader.delivered <= 501, qPrintable(QString::number(reader.delivered)));
        // A cancelled fold leaves no wrong checkpoint: a fresh request gets the right answer.
        reader.cancelAfter = -1;
        const StateResult r2 = engine.stateAt(QStringLiteral("long-1"), Point::end());
        QVERIFY(r2.ok());
        QCOMPARE(t(r2.state), t(naiveState(events, QStringLiteral("long-1"), Point::end())));
    }

    void changeAtEvent()
    {
        MemoryReader reader({
            ev(QStringLiteral("o"), 0, R"({"status":"new","items":[{"id":1,"q":1}]})"),
            ev(QStringLiteral("o"), 1, R"({"status":"paid","paidAt":"x"})"),
            ev(QStringLiteral("o"), 2, R"({"paidAt":null})"),
        });
        ReplayEngine engine(reader);
        const EventChange c = engine.changeAt(QStringLiteral("o"), 1);
        QVERIFY2(c.ok(), qPrintable(c.error));
        QCOMPARE(c.event->version, 1);
        QCOMPARE(t(c.before), QByteArray(R"({"items":[{"id":1,"q":1}],"status":"new"})"));
        QCOMPARE(t(c.after), QByteArray(R"({"items":[{"id":1,"q":1}],"paidAt":"x","status":"paid"})"));
        QCOMPARE(t(c.patch), QByteArray(R"([{"op":"replace","path":"/status","value":"paid"},{"op":"add","path":"/paidAt","value":"x"}])"));
        const EventChange first = engine.changeAt(QStringLiteral("o"), 0);
        QCOMPARE(t(first.before), QByteArray("{}"));
        const EventChange removal = engine.changeAt(QStringLiteral("o"), 2);
        QCOMPARE(t(removal.patch), QByteArray(R"([{"op":"remove","path":"/paidAt"}])"));
        QVERIFY(!engine.changeAt(QStringLiteral("o"), 9).ok());
        QVERIFY(engine.changeAt(QStringLiteral("zz"), 0).error.contains(QLatin1String("unknown stream")));
    }

    void diffBetweenPoints()
    {
        const QList<Event> events = interleaved(600);
        MemoryReader reader(events);
        ReplayEngine engine(reader);
        const StateDiff d = engine.diff(QStringLiteral("long-1"), Point::atVersion(100), Point::atVersion(500));
        QVERIFY(d.ok());
        QCOMPARE(t(d.from), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(100))));
        QCOMPARE(t(d.to), t(naiveState(events, QStringLiteral("long-1"), Point::atVersion(500))));
        QJsonValue applied = d.from;
        QVERIFY(applyJsonPatch(applied, d.patch));
        QCOMPARE(t(applied), t(d.to));
        QVERIFY(!engine.diff(QStringLiteral("nope"), Point::atVersion(1), Point::end()).ok());
    }
};

QTEST_GUILESS_MAIN(TstReplay)
#include "tst_replay.moc"
