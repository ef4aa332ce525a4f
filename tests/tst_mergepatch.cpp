// RFC 7386 merge patch, including the RFC's own appendix A examples, and numbers kept as written
// through parse, merge and write (json/jsonvalue.h).
#include "json/mergepatch.h"
#include "number_texts.h"
#include "json/jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace chronoscope;

class TstMergePatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rfcExamples_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<QByteArray>("result");
        QTest::newRow("1") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"a":"c"})") << QByteArray(R"({"a":"c"})");
        QTest::newRow("2") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"b":"c"})") << QByteArray(R"({"a":"b","b":"c"})");
        QTest::newRow("3") << QByteArray(R"({"a":"b"})") << QByteArray(R"({"a":null})") << QByteArray(R"({})");
        QTest::newRow("4") << QByteArray(R"({"a":"b","b":"c"})") << QByteArray(R"({"a":null})") << QByteArray(R"({"b":"c"})");
        QTest::newRow("5") << QByteArray(R"({"a":["b"]})") << QByteArray(R"({"a":"c"})") << QByteArray(R"({"a":"c"})");
        QTest::newRow("6") << QByteArray(R"({"a":"c"})") << QByteArray(R"({"a":["b"]})") << QByteArray(R"({"a":["b"]})");
        QTest::newRow("7") << QByteArray(R"({"a":{"b":"c"}})") << QByteArray(R"({"a":{"b":"d","c":null}})") << QByteArray(R"({"a":{"b":"d"}})");
        QTest::newRow("8") << QByteArray(R"({"a":[{"b":"c"}]})") << QByteArray(R"({"a":[1]})") << QByteArray(R"({"a":[1]})");
        QTest::newRow("9") << QByteArray(R"(["a","b"])") << QByteArray(R"(["c","d"])") << QByteArray(R"(["c","d"])");
        QTest::newRow("10") << QByteArray(R"({"a":"b"})") << QByteArray(R"(["c"])") << QByteArray(R"(["c"])");
        QTest::newRow("11") << QByteArray(R"({"a":"foo"})") << QByteArray("null") << QByteArray("null");
        QTest::newRow("12") << QByteArray(R"({"a":"foo"})") << QByteArray(R"("bar")") << QByteArray(R"("bar")");
        QTest::newRow("13") << QByteArray(R"({"e":null})") << QByteArray(R"({"a":1})") << QByteArray(R"({"a":1,"e":null})");
        QTest::newRow("14") << QByteArray(R"([1,2])") << QByteArray(R"({"a":"b","c":null})") << QByteArray(R"({"a":"b"})");
        QTest::newRow("15") << QByteArray(R"({})") << QByteArray(R"({"a":{"bb":{"ccc":null}}})") << QByteArray(R"({"a":{"bb":{}}})");
    }
    void rfcExamples()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, patch);
        QFETCH(QByteArray, result);
        QJsonValue t = parseJsonValue(target);
        applyMergePatch(t, parseJsonValue(patch));
        QCOMPARE(toJsonText(t), toJsonText(parseJsonValue(result)));
    }
    void scalarsAndInvalidText()
    {
        QCOMPARE(parseJsonValue("42").toInteger(), 42);
        QCOMPARE(toJsonText(QJsonValue(true)), QByteArray("true"));
        QCOMPARE(parseJsonValue("{broken").toString(), QStringLiteral("{broken"));
        QVERIFY(parseJsonValue("").isNull());
    }
    void largeIntegersKeepPrecision()
    {
        QCOMPARE(toJsonText(parseJsonValue("9007199254740993")), QByteArray("9007199254740993"));
    }

    // Every number text, whatever Qt would make of it, comes back out of a fold byte for byte.
    void numbersKeepTheirText_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const char* t :
             {"1.10", "-205.0", "12345678901234567890123", "1e400", "-1e400", "1E5", "1e+5", "1e-5", "0.000",
              "1.0e-7", "1e-7", "9007199254740993", "-0", "-0.0", "0", "0.1e-2", "0.001", "0.0001", "1e-400",
              "12.5", "-0.25", "3", "100000.0", "1e21", "1e+21", "9223372036854775807", "9223372036854775808",
              "-9223372036854775808", "-9223372036854775809", "1.7976931348623157e308", "1.7976931348623159e308",
              "5e-324", "2.4e-324", "0.30000000000000004", "0.1", "123456789012345.5", "1234567890123456.5",
              "1E-0", "1e00", "7.000000000000001", "100000000000000000000000000000000000000000000000000000001"})
            QTest::newRow(t) << QByteArray(t);
        for (const QByteArray& t : testdata::numberTexts())
            QTest::newRow(("shared " + t).constData()) << t;
        // A number longer than any double can hold.
        QTest::newRow("long") << ("3." + QByteArray(5000, '1'));
    }
    void numbersKeepTheirText()
    {
        QFETCH(QByteArray, text);
        // Alone, as the whole data.
        const QJsonValue alone = parseJsonValue(text);
        QVERIFY2(isJsonNumber(alone), "a number, not a string");
        QVERIFY(!isJsonString(alone));
        QCOMPARE(jsonNumberText(alone), text);
        QCOMPARE(toJsonText(alone), text);
        // Folded into a state, next to other members, and in arrays.
        QJsonValue state = QJsonObject();
        applyMergePatch(state, parseJsonValue("{\"n\":" + text + ",\"s\":\"x\"}"));
        applyMergePatch(state, parseJsonValue("{\"a\":[" + text + ",\"" + text + "\"," + text + "]}"));
        const QByteArray expected = "{\"a\":[" + text + ",\"" + text + "\"," + text + "],\"n\":" + text + ",\"s\":\"x\"}";
        QCOMPARE(toJsonText(state), expected);
        QCOMPARE(jsonNumberText(state.toObject().value(QLatin1String("n"))), text);
        const QJsonArray a = state.toObject().value(QLatin1String("a")).toArray();
        QVERIFY(isJsonNumber(a.at(0)));
        QVERIFY(isJsonString(a.at(1)));
        QCOMPARE(jsonStringValue(a.at(1)), QString::fromLatin1(text));
        // What we write is JSON to the validating minifier (nlohmann refuses 1e400 as a value).
        QByteArray minified;
        QVERIFY(compactJson(toJsonText(state), &minified));
        QCOMPARE(minified, expected);
        // Indented output (the CLI's --pretty) keeps the text too.
        const QByteArray pretty = toJsonTextIndented(state);
        QVERIFY2(pretty.contains("\"n\": " + text + ",\n"), pretty.constData());
        QCOMPARE(prettyJsonText(toJsonText(state)).value_or(QByteArray()), pretty);
        QCOMPARE(toJsonText(parseJsonValue(pretty)), expected);
        // makeJsonNumber builds the same value as the parser; arithmetic gets the nearest double.
        QCOMPARE(makeJsonNumber(text).value_or(QJsonValue()), alone);
        QCOMPARE(jsonNumberToDouble(alone), std::strtod(text.constData(), nullptr));
    }

    // Equal texts give equal values and different texts unequal ones, so diff and blame see a change
    // of text ("1.10" to "1.1") and nothing else.
    void equalityFollowsText_data()
    {
        QTest::addColumn<QByteArray>("a");
        QTest::addColumn<QByteArray>("b");
        QTest::addColumn<bool>("equal");
        QTest::newRow("same decimal") << QByteArray("1.10") << QByteArray("1.10") << true;
        QTest::newRow("trailing zero") << QByteArray("1.10") << QByteArray("1.1") << false;
        QTest::newRow("integer vs .0") << QByteArray("-205") << QByteArray("-205.0") << false;
        QTest::newRow("exponent case") << QByteArray("1E5") << QByteArray("1e5") << false;
        QTest::newRow("beyond 2^53") << QByteArray("9007199254740993") << QByteArray("9007199254740992") << false;
        QTest::newRow("beyond 2^63") << QByteArray("9223372036854775808") << QByteArray("9223372036854775807") << false;
        QTest::newRow("huge") << QByteArray("1e400") << QByteArray("1e401") << false;
        QTest::newRow("huge same") << QByteArray("1e400") << QByteArray("1e400") << true;
        QTest::newRow("-0 vs 0") << QByteArray("-0") << QByteArray("0") << false;
        QTest::newRow("plain") << QByteArray("12.5") << QByteArray("12.5") << true;
        QTest::newRow("number vs string") << QByteArray("1.10") << QByteArray("\"1.10\"") << false;
    }
    void equalityFollowsText()
    {
        QFETCH(QByteArray, a);
        QFETCH(QByteArray, b);
        QFETCH(bool, equal);
        QCOMPARE(parseJsonValue(a) == parseJsonValue(b), equal);
        QCOMPARE(parseJsonValue("{\"k\":" + a + "}") == parseJsonValue("{\"k\":" + b + "}"), equal);
    }

    // The next merge keeps a number beyond double range; today the event became a string and the
    // next event merged into {}.
    void mergeAfterOutOfRangeNumber()
    {
        QJsonValue state = QJsonObject();
        applyMergePatch(state, parseJsonValue(R"({"big":1e400,"small":-1e400,"deep":{"x":12345678901234567890123}})"));
        applyMergePatch(state, parseJsonValue(R"({"next":1,"deep":{"y":1.10}})"));
        QCOMPARE(toJsonText(state),
                 QByteArray(R"({"big":1e400,"deep":{"x":12345678901234567890123,"y":1.10},"next":1,"small":-1e400})"));
        applyMergePatch(state, parseJsonValue(R"({"big":null})"));
        QVERIFY(!state.toObject().contains(QLatin1String("big")));
    }

    // Real strings that begin with the marker (raw UTF-8 or escaped), keys that do, and strings that
    // look like numbers stay strings, with their own text.
    void stringsStayStrings_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("value");
        const QString mark = QString(QChar(kJsonNumberMark));
        QTest::newRow("number-like") << QByteArray(R"({"v":"1.10"})") << QStringLiteral("1.10");
        QTest::newRow("raw mark + number") << QByteArray("{\"v\":\"\xEF\xB7\x90" "1.10\"}") << mark + QStringLiteral("1.10");
        QTest::newRow("escaped mark + number") << QByteArray(R"({"v":"\uFDD01e400"})") << mark + QStringLiteral("1e400");
        QTest::newRow("lower-case escape") << QByteArray(R"({"v":"\ufdd0x"})") << mark + QStringLiteral("x");
        QTest::newRow("two marks") << QByteArray(R"({"v":"\ufdd0\ufdd0"})") << mark + mark;
        QTest::newRow("mark alone") << QByteArray(R"({"v":"\ufdd0"})") << mark;
        QTest::newRow("mark later") << QByteArray(R"({"v":"a\ufdd01"})") << QStringLiteral("a") + mark + QStringLiteral("1");
        QTest::newRow("escaped quote before") << QByteArray("{\"v\":\"\\\"\\ufdd01\"}") << QStringLiteral("\"") + mark + QStringLiteral("1");
    }
    void stringsStayStrings()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, value);
        QJsonValue state = QJsonObject();
        applyMergePatch(state, parseJsonValue(json));
        const QJsonValue v = state.toObject().value(QLatin1String("v"));
        QVERIFY(isJsonString(v));
        QVERIFY(!isJsonNumber(v));
        QCOMPARE(jsonStringValue(v), value);
        QCOMPARE(makeJsonString(value), v);
        // Written back, the strict reference parser reads the same string.
        const nlohmann::json ref = nlohmann::json::parse(toJsonText(state).toStdString());
        QCOMPARE(QString::fromStdString(ref["v"].get<std::string>()), value);
        // A key that begins with the marker is just a key.
        const QByteArray keyed = "{\"\xEF\xB7\x90" "1\":" + toJsonText(v) + "}";
        const QJsonValue k = parseJsonValue(keyed);
        QCOMPARE(toJsonText(k), keyed);
    }

    // Text that is not JSON stays a string of that text (and never becomes valid by our rewriting).
    void invalidTextStaysText_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("number as key") << QByteArray("{1e400:1}");
        QTest::newRow("number as key, spaced") << QByteArray("{ 1.10 : 1}");
        QTest::newRow("leading zero") << QByteArray("[01]");
        QTest::newRow("bare point") << QByteArray("[1.]");  // Qt alone reads it as 1
        QTest::newRow("bare point scalar") << QByteArray("-3.");
        QTest::newRow("minus alone") << QByteArray("[-]");
        QTest::newRow("two numbers") << QByteArray("[1e400 2]");
        QTest::newRow("two points") << QByteArray("[1.5.5]");
        QTest::newRow("empty exponent") << QByteArray("[1e]");
        QTest::newRow("truncated after huge") << QByteArray("{\"a\":1e400");
        QTest::newRow("truncated string") << QByteArray("{\"a\":\"\\ufdd0");
        QTest::newRow("unterminated") << QByteArray("[\"1.10");
        QTest::newRow("huge then garbage") << QByteArray("1e400x");
        QTest::newRow("plus sign") << QByteArray("+1");
        QTest::newRow("infinity") << QByteArray("[-Infinity]");
        QTest::newRow("deep") << (QByteArray(100000, '[') + "1e400" + QByteArray(100000, ']'));
    }
    void invalidTextStaysText()
    {
        QFETCH(QByteArray, text);
        QVERIFY(!parseJsonStrict(text));
        const QJsonValue v = parseJsonValue(text);
        QVERIFY(isJsonString(v));
        QCOMPARE(jsonStringValue(v), QString::fromUtf8(text));
        QVERIFY(!prettyJsonText(text));
    }

    // Mutated documents around the marker and number edges: never a crash; what parses is written
    // back to text that parses to the same value (compact and indented); what does not parse is kept
    // as the string of its text.
    void mutatedInputsRoundTrip()
    {
        const QList<QByteArray> seeds = {
            "{\"a\":1.10,\"b\":[1e400,-0,\"x\\\"\\ufdd0\"],\"\\ufdd0k\":\"\\ufdd0\\ufdd0\",\"c\":{\"d\":12345678901234567890123}}",
            "1e400", "[01]", "\"\\ufdd0", "{\"a\":\"\xEF\xB7\x90" "1.5\"}", "[1.,2]", "-", "\"abc\\\\\"", "[\"\\\\\",1.0]"};
        const QByteArray alphabet = "{}[]\",:\\-+.eE0123456789 ufdD\xEF\xB7\x90tn";
        QRandomGenerator rng(8);
        int parsed = 0;
        for (int i = 0; i < 30000; ++i) {
            QByteArray t = seeds.at(rng.bounded(int(seeds.size())));
            for (int m = int(rng.bounded(4)); m > 0 && !t.isEmpty(); --m) {
                const int pos = int(rng.bounded(int(t.size())));
                const char c = alphabet.at(rng.bounded(int(alphabet.size())));
                switch (rng.bounded(3)) {
                case 0: t[pos] = c; break;
                case 1: t.remove(pos, 1); break;
                default: t.insert(pos, c); break;
                }
            }
            if (rng.bounded(5) == 0)
                t.truncate(int(rng.bounded(int(t.size()) + 1)));
            if (t.trimmed().isEmpty())
                continue;
            const QJsonValue v = parseJsonValue(t);
            if (const auto strict = parseJsonStrict(t)) {
                ++parsed;
                QCOMPARE(*strict, v);
                QCOMPARE(parseJsonStrict(toJsonText(v)).value_or(QJsonValue(QJsonValue::Undefined)), v);
                QCOMPARE(parseJsonStrict(toJsonTextIndented(v)).value_or(QJsonValue(QJsonValue::Undefined)), v);
            } else {
                QVERIFY(isJsonString(v));
                QCOMPARE(jsonStringValue(v), QString::fromUtf8(t));
                QCOMPARE(parseJsonStrict(toJsonText(v)).value_or(QJsonValue(QJsonValue::Undefined)), v);
            }
        }
        QVERIFY2(parsed > 1000, "the mutations keep enough valid documents to test the writer");
    }

    // Generated decimals and exponent forms: whichever way a text is classified (plain or kept), it
    // comes back unchanged. Covers the shortcut that skips formatting for short decimals.
    void generatedNumbersRoundTrip()
    {
        QRandomGenerator rng(20261206);
        for (int i = 0; i < 20000; ++i) {
            QByteArray t;
            if (rng.bounded(2))
                t += '-';
            const int intDigits = 1 + int(rng.bounded(17));
            const bool zeroInt = rng.bounded(3) == 0;
            if (zeroInt) {
                t += '0';
            } else {
                t += char('1' + rng.bounded(9));
                for (int d = 1; d < intDigits; ++d)
                    t += char('0' + rng.bounded(10));
            }
            if (rng.bounded(4) != 0) {
                t += '.';
                const int lead = zeroInt ? int(rng.bounded(6)) : 0;
                t += QByteArray(lead, '0');
                const int frac = 1 + int(rng.bounded(17));
                for (int d = 0; d < frac; ++d)
                    t += char('0' + rng.bounded(10));
            }
            if (rng.bounded(5) == 0) {
                t += rng.bounded(2) ? 'e' : 'E';
                const int s = int(rng.bounded(3));
                if (s == 1)
                    t += '-';
                else if (s == 2)
                    t += '+';
                t += QByteArray::number(rng.bounded(400));
            }
            const QJsonValue v = parseJsonValue(t);
            QVERIFY2(isJsonNumber(v), t.constData());
            QCOMPARE(toJsonText(v), t);
            QCOMPARE(toJsonText(parseJsonValue("[" + t + "]")), "[" + t + "]");
        }
        // Shortest texts of random doubles, as JavaScript and most writers produce them.
        for (int i = 0; i < 20000; ++i) {
            const double d = rng.generateDouble() * std::pow(10.0, int(rng.bounded(40)) - 20);
            const QByteArray t = QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
            QCOMPARE(toJsonText(parseJsonValue(t)), t);
        }
    }
};

QTEST_GUILESS_MAIN(TstMergePatch)
#include "tst_mergepatch.moc"
