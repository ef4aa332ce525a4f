// Blame: the event that last changed the value at a JSON Pointer, on streams where the answer is known.
#include "replay/blame.h"
#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/replayengine.h"
#include "store/memoryreader.h"

#include "number_texts.h"

#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace chronoscope;

namespace {

constexpr TimeMs kT0 = 1767607200000;

Event ev(const QString& stream, qint64 version, const QByteArray& data, TimeMs time = kNoTime)
{
    Event e;
    e.stream = stream;
    e.version = version;
    e.type = QStringLiteral("E%1").arg(version);
    e.data = data;
    e.time = time;
    return e;
}

// order-1, with another stream interleaved so positions and versions differ.
QList<Event> crafted()
{
    const QString o = QStringLiteral("order-1");
    const QString x = QStringLiteral("other-1");
    return {
        ev(o, 0, R"({"status":"new","items":[{"id":1,"q":1}],"total":10})", kT0),
        ev(x, 0, R"({"status":"zzz"})", kT0 + 1),
        ev(o, 1, R"({"total":12})", kT0 + 1000),
        ev(o, 2, R"({"status":"paid"})", kT0 + 2000),
        ev(o, 3, R"({"note":"x"})", kT0 + 3000),
        ev(x, 1, R"({"note":"zzz"})", kT0 + 3001),
        ev(o, 4, R"({"total":12})", kT0 + 4000),                     // same value again: not a change
        ev(o, 5, R"({"note":null})", kT0 + 5000),                    // removal
        ev(o, 6, R"({"items":[{"id":1,"q":2}]})", kT0 + 6000),       // array replaced, id unchanged
        ev(o, 7, R"({"a/b":{"~c":1}})", kT0 + 7000),
        ev(o, 8, R"({"status":"refunded"})", kT0 + 8000),
        ev(o, 9, R"({"status":"paid"})", kT0 + 9000),                // changed back: still a change
    };
}

// The obvious oracle: fold everything, remember the last event after which the value differed.
std::optional<qint64> naiveBlame(const QList<Event>& all, const QString& stream, const QString& pointer, qint64 toVersion)
{
    QJsonValue s = QJsonObject();
    std::optional<QJsonValue> cur = valueAtPointer(s, pointer);
    std::optional<qint64> last;
    for (const Event& e : all) {
        if (e.stream != stream || e.version > toVersion)
            continue;
        applyMergePatch(s, parseJsonValue(e.data));
        const auto now = valueAtPointer(s, pointer);
        if (now.has_value() != cur.has_value() || (now && *now != *cur))
            last = e.version;
        cur = now;
    }
    return last;
}

} // namespace

class TstBlame : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void crafted_data()
    {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<int>("kind");
        QTest::addColumn<qint64>("value");
        QTest::addColumn<qint64>("expectedVersion");  // -1: an error is expected
        QTest::addColumn<bool>("removed");
        QTest::addColumn<QString>("error");
        const int End = Point::End, Version = Point::Version, Position = Point::Position, Time = Point::Time;
        QTest::newRow("status at end (changed back)") << "/status" << End << qint64(0) << qint64(9) << false << QString();
        QTest::newRow("status at v8") << "/status" << Version << qint64(8) << qint64(8) << false << QString();
        QTest::newRow("status at v1") << "/status" << Version << qint64(1) << qint64(0) << false << QString();
        QTest::newRow("same value again is no change") << "/total" << End << qint64(0) << qint64(1) << false << QString();
        QTest::newRow("removal") << "/note" << End << qint64(0) << qint64(5) << true << QString();
        QTest::newRow("before removal") << "/note" << Version << qint64(4) << qint64(3) << false << QString();
        QTest::newRow("inside replaced array") << "/items/0/q" << End << qint64(0) << qint64(6) << false << QString();
        QTest::newRow("unchanged inside replaced array") << "/items/0/id" << End << qint64(0) << qint64(0) << false << QString();
        QTest::newRow("escaped keys") << "/a~1b/~0c" << End << qint64(0) << qint64(7) << false << QString();
        QTest::newRow("root") << "" << End << qint64(0) << qint64(9) << false << QString();
        QTest::newRow("by position") << "/status" << Position << qint64(5) << qint64(2) << false << QString();
        QTest::newRow("by time") << "/status" << Time << kT0 + 8500 << qint64(8) << false << QString();
        QTest::newRow("never existed") << "/missing" << End << qint64(0) << qint64(-1) << false << QStringLiteral("path not found");
        QTest::newRow("not yet existing") << "/a~1b" << Version << qint64(6) << qint64(-1) << false << QStringLiteral("path not found");
        QTest::newRow("before first event") << "/status" << Time << kT0 - 1 << qint64(-1) << false << QStringLiteral("path not found");
        QTest::newRow("array index out of range") << "/items/1" << End << qint64(0) << qint64(-1) << false << QStringLiteral("path not found");
        QTest::newRow("bad pointer") << "status" << End << qint64(0) << qint64(-1) << false << QStringLiteral("does not start with");
    }
    void crafted()
    {
        QFETCH(QString, pointer);
        QFETCH(int, kind);
        QFETCH(qint64, value);
        QFETCH(qint64, expectedVersion);
        QFETCH(bool, removed);
        QFETCH(QString, error);
        const QList<Event> events = ::crafted();
        MemoryReader reader(events);
        const BlameResult r = blame(reader, QStringLiteral("order-1"), pointer, Point{Point::Kind(kind), value});
        if (expectedVersion < 0) {
            QVERIFY(!r.ok());
            QVERIFY2(r.error.contains(error), qPrintable(r.error));
            QVERIFY(!r.event);
            return;
        }
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY(r.event);
        QCOMPARE(r.event->stream, QStringLiteral("order-1"));
        QCOMPARE(r.event->version, expectedVersion);
        QCOMPARE(r.event->type, QStringLiteral("E%1").arg(expectedVersion));
        QCOMPARE(r.removed, removed);
        if (!removed) {
            // The value reported is the value at the pointer in the state at the point.
            ReplayEngine engine(reader);
            const StateResult st = engine.stateAt(QStringLiteral("order-1"), Point{Point::Kind(kind), value});
            QCOMPARE(toJsonText(r.value), toJsonText(*valueAtPointer(st.state, pointer)));
        }
    }

    void unknownStream()
    {
        MemoryReader reader(::crafted());
        const BlameResult r = blame(reader, QStringLiteral("nope-9"), QStringLiteral("/status"), Point::end());
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(QLatin1String("unknown stream")) && r.error.contains(QLatin1String("nope-9")), qPrintable(r.error));
    }

    // Non-object data replaces the state: the replacing event is blamed for everything under it.
    void replacementByNonObject()
    {
        MemoryReader reader({ev(QStringLiteral("s"), 0, R"({"a":{"b":1}})"), ev(QStringLiteral("s"), 1, "[1,2]"),
                             ev(QStringLiteral("s"), 2, R"({"a":{"b":1}})")});
        QCOMPARE(blame(reader, QStringLiteral("s"), QStringLiteral("/a/b"), Point::atVersion(1)).event->version, 1);
        QVERIFY(blame(reader, QStringLiteral("s"), QStringLiteral("/a/b"), Point::atVersion(1)).removed);
        QCOMPARE(blame(reader, QStringLiteral("s"), QStringLiteral("/0"), Point::atVersion(1)).event->version, 1);
        QCOMPARE(blame(reader, QStringLiteral("s"), QStringLiteral("/a/b"), Point::end()).event->version, 2);
    }

    // A long stream where the path last changed near the start: the engine walks back over its
    // checkpoint segments (cold, then warm) and finds it.
    void longStreamWalksBackOverCheckpoints()
    {
        QList<Event> events;
        events << ev(QStringLiteral("l"), 0, R"({"owner":"ann","n":0})");
        events << ev(QStringLiteral("l"), 1, R"({"owner":"bob"})");
        for (int v = 2; v < 5000; ++v)
            events << ev(QStringLiteral("l"), v, QStringLiteral(R"({"n":%1,"k%2":true})").arg(v).arg(v % 10).toUtf8());
        events << ev(QStringLiteral("l"), 5000, R"({"k3":null})");
        MemoryReader reader(events);
        ReplayEngine engine(reader);
        const BlameResult cold = engine.blame(QStringLiteral("l"), QStringLiteral("/owner"), Point::end());
        QVERIFY2(cold.ok(), qPrintable(cold.error));
        QCOMPARE(cold.event->version, 1);
        QVERIFY(engine.cachedCheckpoints() > 10);
        const BlameResult warm = engine.blame(QStringLiteral("l"), QStringLiteral("/owner"), Point::atVersion(4000));
        QCOMPARE(warm.event->version, 1);
        QCOMPARE(warm.value.toString(), QStringLiteral("bob"));
        QCOMPARE(engine.blame(QStringLiteral("l"), QStringLiteral("/n"), Point::atVersion(4321)).event->version, 4321);
        QCOMPARE(engine.blame(QStringLiteral("l"), QStringLiteral("/k3"), Point::end()).event->version, 5000);
        QCOMPARE(engine.blame(QStringLiteral("l"), QStringLiteral("/k3"), Point::atVersion(4999)).event->version, 3);
        QCOMPARE(engine.blame(QStringLiteral("l"), QStringLiteral("/nope"), Point::end()).error, QStringLiteral("path not found"));
    }

    // Blame reports the value with the text the event wrote, and writing the same text again is no
    // change. The stream crosses the engine's checkpoint blocks, so cached states hold the numbers.
    void numbersKeepTheirText_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const QByteArray& t : testdata::numberTexts())
            QTest::newRow(t.constData()) << t;
    }
    void numbersKeepTheirText()
    {
        QFETCH(QByteArray, text);
        const QString s = QStringLiteral("n-1");
        QList<Event> events;
        events << ev(s, 0, "{\"p\":" + text + ",\"n\":0}");
        for (int v = 1; v < 300; ++v)
            events << ev(s, v, "{\"n\":" + QByteArray::number(v) + "}");
        events << ev(s, 300, "{\"p\":" + text + "}");  // same text again
        events << ev(s, 301, "{\"n\":301}");
        MemoryReader reader(events);
        ReplayEngine engine(reader);
        for (const Point& at : {Point::end(), Point::atVersion(299), Point::atVersion(0)}) {
            const BlameResult r = engine.blame(s, QStringLiteral("/p"), at);
            QVERIFY2(r.ok(), qPrintable(r.error));
            QCOMPARE(r.event->version, 0);
            QVERIFY(isJsonNumber(r.value));
            QCOMPARE(toJsonText(r.value), text);
            QCOMPARE(jsonNumberText(r.value), text);
        }
    }

    // A new text for the same number is a change: the event that wrote it is blamed.
    void changeOfNumberText_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<QByteArray>("after");
        QTest::newRow("1.10 -> 1.1") << QByteArray("1.10") << QByteArray("1.1");
        QTest::newRow("-205 -> -205.0") << QByteArray("-205") << QByteArray("-205.0");
        QTest::newRow("1E5 -> 1e5") << QByteArray("1E5") << QByteArray("1e5");
        QTest::newRow("0 -> -0") << QByteArray("0") << QByteArray("-0");
        QTest::newRow("0.000 -> 0") << QByteArray("0.000") << QByteArray("0");
        QTest::newRow("beyond double") << QByteArray("12345678901234567890123") << QByteArray("12345678901234567890124");
        QTest::newRow("1e400 -> 1e401") << QByteArray("1e400") << QByteArray("1e401");
    }
    void changeOfNumberText()
    {
        QFETCH(QByteArray, before);
        QFETCH(QByteArray, after);
        const QString s = QStringLiteral("c-1");
        MemoryReader reader({ev(s, 0, "{\"p\":" + before + "}"), ev(s, 1, R"({"n":1})"), ev(s, 2, "{\"p\":" + after + "}"),
                             ev(s, 3, R"({"n":3})")});
        const BlameResult r = blame(reader, s, QStringLiteral("/p"), Point::end());
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.event->version, 2);
        QCOMPARE(toJsonText(r.value), after);
        const BlameResult earlier = blame(reader, s, QStringLiteral("/p"), Point::atVersion(1));
        QCOMPARE(earlier.event->version, 0);
        QCOMPARE(toJsonText(earlier.value), before);
    }

    // Random streams, pointers and points against the naive oracle (one warm engine, small blocks).
    void randomAgainstOracle()
    {
        QRandomGenerator rng(5);
        QList<Event> events;
        const QStringList keys = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
        for (int v = 0; v < 700; ++v) {
            QJsonObject patch;
            const int n = 1 + rng.bounded(2);
            for (int i = 0; i < n; ++i) {
                const QString k = keys.at(rng.bounded(3));
                switch (rng.bounded(4)) {
                case 0: patch.insert(k, QJsonValue::Null); break;
                case 1: patch.insert(k, rng.bounded(3)); break;
                case 2: patch.insert(k, QJsonObject{{keys.at(rng.bounded(3)), rng.bounded(3)}}); break;
                default: patch.insert(k, QJsonObject{{keys.at(rng.bounded(3)), QJsonValue::Null}}); break;
                }
            }
            events << ev(QStringLiteral("r"), v, toJsonText(patch));
        }
        MemoryReader reader(events);
        ReplayEngine engine(reader, ReplayOptions{32, qint64(1) << 30, 4096});
        const QStringList pointers = {QStringLiteral("/a"), QStringLiteral("/b/c"), QStringLiteral("/c/a"), QString()};
        for (int i = 0; i < 300; ++i) {
            const QString p = pointers.at(rng.bounded(pointers.size()));
            const qint64 v = rng.bounded(720);
            const auto expected = naiveBlame(events, QStringLiteral("r"), p, v);
            const BlameResult r = engine.blame(QStringLiteral("r"), p, Point::atVersion(v));
            QCOMPARE(r.event.has_value(), expected.has_value());
            if (expected)
                QCOMPARE(r.event->version, *expected);
            else
                QCOMPARE(r.error, QStringLiteral("path not found"));
        }
    }

    void cancelled()
    {
        MemoryReader reader(::crafted());
        CancelToken token;
        token.cancel();
        const BlameResult r = blame(reader, QStringLiteral("order-1"), QStringLiteral("/status"), Point::end(), token);
        QCOMPARE(r.error, QStringLiteral("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TstBlame)
#include "tst_blame.moc"
