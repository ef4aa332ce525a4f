// RFC 7386 merge patch, including the RFC's own appendix A examples.
#include "diff/mergepatch.h"

#include <QJsonDocument>
#include <QTest>

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
};

QTEST_GUILESS_MAIN(TstMergePatch)
#include "tst_mergepatch.moc"
