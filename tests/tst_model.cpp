// The canonical event's helpers: time parsing/formatting, globs, categories, canonical JSON, MemoryReader.
#include "model/event.h"
#include "store/memoryreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace chronoscope;

class TstModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseTime_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("expected"); // -1: unparsable
        QTest::newRow("epoch") << "1970-01-01T00:00:00Z" << qint64(0);
        QTest::newRow("ms") << "2026-01-05T10:00:00.123Z" << qint64(1767607200123);
        QTest::newRow("7 fraction digits") << "2013-06-27T14:48:15.2596358Z" << qint64(1372344495259);
        QTest::newRow("offset") << "2026-01-05T11:00:00.123+01:00" << qint64(1767607200123);
        QTest::newRow("sqlite datetime") << "2026-01-05 10:00:00" << qint64(1767607200000);
        QTest::newRow("date only") << "2026-01-05" << qint64(1767571200000);
        QTest::newRow("epoch seconds") << "1767607200" << qint64(1767607200000);
        QTest::newRow("epoch millis") << "1767607200123" << qint64(1767607200123);
        QTest::newRow("before 1970") << "1969-12-31T23:59:59.999Z" << qint64(-1);
        QTest::newRow("garbage") << "yesterday" << qint64(-2);
        QTest::newRow("bad month") << "2026-13-05T10:00:00Z" << qint64(-2);
        QTest::newRow("trailing junk") << "2026-01-05T10:00:00Zjunk" << qint64(-2);
        QTest::newRow("empty") << "" << qint64(-2);
    }
    void parseTime()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expected);
        const auto t = chronoscope::parseTime(text);
        if (expected == -2)
            QVERIFY(!t.has_value());
        else {
            QVERIFY(t.has_value());
            QCOMPARE(*t, expected);
        }
    }
    void formatTimeRoundTrips()
    {
        QCOMPARE(formatTime(1767607200123), QStringLiteral("2026-01-05T10:00:00.123Z"));
        QCOMPARE(formatTime(-1), QStringLiteral("1969-12-31T23:59:59.999Z"));
        QCOMPARE(formatTime(kNoTime), QString());
        for (qint64 t : {qint64(0), qint64(951782400000), qint64(4102444799999), qint64(1767607200123)})
            QCOMPARE(*chronoscope::parseTime(formatTime(t)), t);
    }
    void glob_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("match");
        QTest::newRow("star") << "order-*" << "order-42" << true;
        QTest::newRow("star no") << "order-*" << "payment-42" << false;
        QTest::newRow("question") << "order-?" << "order-4" << true;
        QTest::newRow("question too short") << "order-?" << "order-" << false;
        QTest::newRow("set") << "order-[0-3]*" << "order-21" << true;
        QTest::newRow("negated set") << "order-[!0-3]*" << "order-21" << false;
        QTest::newRow("backtrack") << "*-*-x" << "a-b-c-x" << true;
        QTest::newRow("exact") << "abc" << "abc" << true;
        QTest::newRow("unterminated set literal") << "a[b" << "a[b" << true;
    }
    void glob()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, text);
        QFETCH(bool, match);
        QCOMPARE(globMatch(pattern, text), match);
    }
    void categoryAndIds()
    {
        Event e;
        e.stream = QStringLiteral("order-42-x");
        QCOMPARE(e.category(), QStringLiteral("order"));
        QCOMPARE(Event::categoryOf(QStringLiteral("-lead")), QStringLiteral("-lead"));
        e.metadata = R"({"$correlationId":"c-1","causation_id":"k-9"})";
        QCOMPARE(e.correlationId(), QStringLiteral("c-1"));
        QCOMPARE(e.causationId(), QStringLiteral("k-9"));
    }
    void canonicalJsonIsValid()
    {
        Event e;
        e.position = 7;
        e.stream = QStringLiteral("ord\"er-1\n");
        e.version = 3;
        e.type = QStringLiteral("Placed");
        e.time = 1767607200123;
        e.id = QStringLiteral("abc");
        e.data = R"({"a":[1,2]})";
        e.metadata = "{}";
        QJsonParseError err;
        const QJsonObject o = QJsonDocument::fromJson(e.toCanonicalJson(), &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QCOMPARE(o.value("stream").toString(), e.stream);
        QCOMPARE(o.value("time").toString(), QStringLiteral("2026-01-05T10:00:00.123Z"));
        QCOMPARE(o.value("data").toObject().value("a").toArray().size(), 2);
        QCOMPARE(o.value("position").toInteger(), 7);
    }
    void jsonStringEscapes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("ascii") << QStringLiteral("order-42");
        QTest::newRow("quote and backslash") << QStringLiteral("a\"b\\c");
        QTest::newRow("controls") << QStringLiteral("tab\tnl\ncr\r") + QChar(0x01) + QChar(0x1f);
        QTest::newRow("non-ascii after ascii") << QStringLiteral("caf\u00e9-\u65e5\u672c");
        QTest::newRow("surrogate pair") << QString::fromUtf8("emoji \xF0\x9F\x98\x80 end");
        QTest::newRow("empty") << QString();
    }
    void jsonStringEscapes()
    {
        QFETCH(QString, text);
        QByteArray out = "[";
        appendJsonString(out, text);
        out += "]";
        QJsonParseError err;
        const QJsonArray arr = QJsonDocument::fromJson(out, &err).array();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QCOMPARE(arr.at(0).toString(), text);
    }
    void memoryReaderQueries()
    {
        QList<Event> events;
        for (int i = 0; i < 10; ++i) {
            Event e;
            e.stream = i % 2 ? QStringLiteral("b-1") : QStringLiteral("a-1");
            e.version = i / 2;
            e.type = i % 3 ? QStringLiteral("T1") : QStringLiteral("T0");
            e.time = 1000 * i;
            e.data = "{}";
            events << e;
        }
        MemoryReader r(events);
        QCOMPARE(r.info().events, 10);
        QCOMPARE(r.streams().size(), 2);
        QCOMPARE(r.streams().at(1).events, 5);
        EventQuery q;
        q.stream = QStringLiteral("a-1");
        q.fromVersion = 1;
        q.toVersion = 3;
        const auto got = r.readAll(q);
        QCOMPARE(got.size(), 3);
        QCOMPARE(got.first().position, 3);
        q = {};
        q.since = 2000;
        q.until = 5000;
        q.backward = true;
        q.limit = 2;
        const auto back = r.readAll(q);
        QCOMPARE(back.size(), 2);
        QCOMPARE(back.first().position, 6);
        QCOMPARE(r.eventAt(4)->version, 1);
        QCOMPARE(r.count({}, nullptr), 10);
    }
};

QTEST_GUILESS_MAIN(TstModel)
#include "tst_model.moc"
