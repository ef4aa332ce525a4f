// The canonical event's helpers: time parsing/formatting, globs, categories, canonical JSON, MemoryReader.
#include "model/event.h"
#include "model/glob.h"
#include "store/memoryreader.h"

#include "fixtures/globcases.h"

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
        // Impossible dates and fields out of range are refused, never rolled over into the next month.
        QTest::newRow("February 31") << "2026-02-31T00:00:00Z" << qint64(-2);
        QTest::newRow("February 29 of a common year") << "2026-02-29" << qint64(-2);
        QTest::newRow("February 29 of 1900") << "1900-02-29T00:00:00Z" << qint64(-2);
        QTest::newRow("February 29 of a leap year") << "2024-02-29T12:00:00Z" << qint64(1709208000000);
        QTest::newRow("February 29 of 2000") << "2000-02-29" << qint64(951782400000);
        QTest::newRow("April 31") << "2026-04-31 10:00:00" << qint64(-2);
        QTest::newRow("day 0") << "2026-01-00" << qint64(-2);
        QTest::newRow("hour 24") << "2026-01-05T24:00:00Z" << qint64(-2);
        QTest::newRow("minute 60") << "2026-01-05T10:60:00Z" << qint64(-2);
        QTest::newRow("second 61") << "2026-01-05T10:00:61Z" << qint64(-2);
        QTest::newRow("leap second") << "2016-12-31T23:59:60Z" << qint64(1483228800000);
        QTest::newRow("offset +99:99") << "2026-01-05T10:00:00+99:99" << qint64(-2);
        QTest::newRow("offset +24:00") << "2026-01-05T10:00:00+24:00" << qint64(-2);
        QTest::newRow("offset minutes 60") << "2026-01-05T10:00:00+01:60" << qint64(-2);
        QTest::newRow("offset cut after the colon") << "2026-01-05T10:00:00+01:" << qint64(-2);
        QTest::newRow("offset -23:59") << "2026-01-05T10:00:00-23:59" << qint64(1767607200000 + 86340000);
        QTest::newRow("offset +0100") << "2026-01-05T11:00:00+0100" << qint64(1767607200000);
        QTest::newRow("offset +01") << "2026-01-05T11:00:00+01" << qint64(1767607200000);
        QTest::newRow("comma fraction") << "2026-01-05T10:00:00,5Z" << qint64(1767607200500);
        QTest::newRow("Arabic-Indic fraction") << QString::fromUtf8("2026-01-05T10:00:00.١٢٣Z") << qint64(-2);
        QTest::newRow("Arabic-Indic epoch") << QString::fromUtf8("١٧٦٧٦٠٧٢٠٠") << qint64(-2);
        QTest::newRow("fullwidth year") << QString::fromUtf8("２０２６-01-05") << qint64(-2);
        QTest::newRow("epoch -2^63") << "-9223372036854775808" << qint64(-2);
        QTest::newRow("epoch 2^63-1") << "9223372036854775807" << qint64(-2);
        QTest::newRow("epoch beyond 2^63") << "92233720368547758080" << qint64(-2);
        QTest::newRow("epoch microseconds") << "1767607200123456" << qint64(-2);
        QTest::newRow("epoch negative seconds") << "-1" << qint64(-1000);
        QTest::newRow("decimal epoch seconds") << "1767607200.123" << qint64(1767607200123);
        QTest::newRow("decimal epoch, sub-ms cut") << "1767607200.1239" << qint64(1767607200123);
        QTest::newRow("exponent epoch seconds") << "1.7676072e9" << qint64(1767607200000);
        QTest::newRow("decimal epoch out of range") << "1e300" << qint64(-2);
        QTest::newRow("year 0000") << "0000-01-01T00:00:00Z" << qint64(-62167219200000);
        QTest::newRow("year 9999") << "9999-12-31T23:59:59.999Z" << qint64(253402300799999);
        QTest::newRow("date and T without time") << "2026-01-05T" << qint64(-2);
    }
    void parseTime()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expected);
        QString why;
        const auto t = chronoscope::parseTime(text, &why);
        // The byte path (the importer's) is the same parser: same answer, same reason.
        const QByteArray utf8 = text.toUtf8();
        QString whyBytes;
        const auto b = chronoscope::parseTime(std::string_view(utf8.constData(), size_t(utf8.size())), &whyBytes);
        if (expected == -2) {
            QVERIFY2(!t.has_value(), qPrintable(formatTime(*t)));
            QVERIFY(!b.has_value());
            QVERIFY2(!why.isEmpty(), "a refusal says why");
        } else {
            QVERIFY2(t.has_value(), qPrintable(why));
            QCOMPARE(*t, expected);
            QVERIFY(b.has_value());
            QCOMPARE(*b, expected);
        }
    }
    void parseTimeSaysWhy_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("why");
        QTest::newRow("February 31") << "2026-02-31T00:00:00Z" << "no such date: February 2026 has 28 days";
        QTest::newRow("April 31") << "2026-04-31" << "no such date: April 2026 has 30 days";
        QTest::newRow("month 13") << "2026-13-01" << "there is no month 13";
        QTest::newRow("offset") << "2026-01-05T10:00:00+99:99" << "the offset +99:99 is out of range";
        QTest::newRow("hour") << "2026-01-05T25:00Z" << "the hour 25 is out of range";
        QTest::newRow("non-ASCII digit") << QString::fromUtf8("2026-01-05T10:00:00.٣Z") << "non-ASCII character U+0663";
        QTest::newRow("epoch -2^63") << "-9223372036854775808" << "out of range";
        QTest::newRow("garbage") << "yesterday" << "expected RFC 3339";
    }
    void parseTimeSaysWhy()
    {
        QFETCH(QString, text);
        QFETCH(QString, why);
        QString got;
        QVERIFY(!chronoscope::parseTime(text, &got));
        QVERIFY2(got.contains(why), qPrintable(got));
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
        QTest::newRow("star backtracks over a set") << "*[0-3]x" << "a5x9x3x" << true;
        QTest::newRow("question mark: a character outside the BMP") << "?" << QString::fromUtf8("\xF0\x9F\x98\x80") << true;
        QTest::newRow("question mark: not half of it") << "??" << QString::fromUtf8("\xF0\x9F\x98\x80") << false;
        QTest::newRow("lone surrogate is one character") << "a?b" << (QStringLiteral("a") + QChar(0xd800) + QStringLiteral("b")) << true;
        QTest::newRow("range by code point") << QString::fromUtf8("[\u00e0-\u00ff]") << QString::fromUtf8("\u00e9") << true;
        QTest::newRow("case-sensitive") << "order-*" << "Order-1" << false;
        QTest::newRow("trailing backslash is itself") << "a\\" << "a\\" << true;
        QTest::newRow("escape in the text is literal") << "a\\*" << "a*" << true;
        QTest::newRow("escaped star is not a wildcard") << "a\\*" << "ab" << false;
        QTest::newRow("many stars, no match") << QStringLiteral("*a").repeated(40) + "b" << QStringLiteral("a").repeated(200) << false;
        QTest::newRow("set of only a negation mark is literal") << "[!]" << "[!]" << true;
    }
    void glob()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, text);
        QFETCH(bool, match);
        QCOMPARE(globMatch(pattern, text), match);
    }
    // The glob table every source runs (tests/fixtures/globcases.h): the local matcher is the reference.
    void globTable_data()
    {
        testing::addGlobTableRows();
    }
    void globTable()
    {
        QFETCH(QString, pattern);
        QFETCH(QStringList, names);
        QStringList got;
        for (const QString& n : testing::globNames())
            if (globMatch(pattern, n))
                got << n;
        got.sort();
        QCOMPARE(got, names);
    }
    void globLiteralPrefix_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<bool>("exact");
        QTest::newRow("plain") << "order-1" << "order-1" << true;
        QTest::newRow("star") << "order-*" << "order-" << false;
        QTest::newRow("escape") << "a\\*b" << "a*b" << false;
        QTest::newRow("unterminated bracket") << "a[b" << "a[b" << true;
        QTest::newRow("set") << "a[b]" << "a" << false;
    }
    void globLiteralPrefix()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, prefix);
        QFETCH(bool, exact);
        bool gotExact = !exact;
        QCOMPARE(glob::literalPrefix(pattern, &gotExact), prefix);
        QCOMPARE(gotExact, exact);
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
