// Structural JSON diff (RFC 6902 out), the patch applier, and RFC 6901 pointers.
#include "diff/jsondiff.h"
#include "json/mergepatch.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace chronoscope;

namespace {

QJsonValue j(const char* text)
{
    const QJsonValue v = parseJsonValue(QByteArray(text));
    return v;
}

QByteArray t(const QJsonValue& v)
{
    return toJsonText(v);
}

// ---- random documents for the round-trip property ----

class Gen
{
public:
    explicit Gen(quint32 seed) : m_rng(seed) {}

    int below(int n) { return int(m_rng.bounded(quint32(n))); }
    bool chance(int percent) { return below(100) < percent; }

    QString key()
    {
        // Keys include the characters RFC 6901 must escape, digits (look like indexes) and "-".
        static const QStringList pool = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("id"),
                                         QStringLiteral("x/y"), QStringLiteral("~"), QStringLiteral("~1"),
                                         QStringLiteral("0"), QStringLiteral("-"), QStringLiteral(""),
                                         QStringLiteral("name"), QStringLiteral("qty"), QStringLiteral("é")};
        return pool.at(below(pool.size()));
    }

    QJsonValue scalar()
    {
        switch (below(6)) {
        case 0: return QJsonValue(QJsonValue::Null);
        case 1: return QJsonValue(chance(50));
        case 2: return QJsonValue(qint64(below(5)));
        case 3: return QJsonValue(below(1000) / 7.0);
        case 4: return QJsonValue(QString(QChar(u'a' + below(3))));
        default: return QJsonValue(QStringLiteral("text %1").arg(below(3)));
        }
    }

    QJsonValue value(int depth)
    {
        if (depth <= 0 || chance(35))
            return scalar();
        if (chance(50)) {
            QJsonObject o;
            const int n = below(5);
            for (int i = 0; i < n; ++i)
                o.insert(key(), value(depth - 1));
            return o;
        }
        QJsonArray a;
        const int n = below(6);
        const bool ids = chance(50);
        for (int i = 0; i < n; ++i) {
            if (ids && chance(85)) {
                QJsonObject o = value(depth - 1).toObject();
                // Few distinct ids, so duplicates (and id-less elements) mix in.
                o.insert(QStringLiteral("id"), chance(80) ? QJsonValue(below(6)) : QJsonValue(QStringLiteral("k")));
                a.append(o);
            } else {
                a.append(value(depth - 1));
            }
        }
        return a;
    }

    // A related document: the kind of change successive states of a stream show.
    QJsonValue mutate(const QJsonValue& v, int depth)
    {
        if (chance(10))
            return value(depth);
        if (v.isObject()) {
            QJsonObject o = v.toObject();
            const QStringList keys = o.keys();
            for (const QString& k : keys) {
                if (chance(15))
                    o.remove(k);
                else if (chance(40))
                    o.insert(k, mutate(o.value(k), depth - 1));
            }
            if (chance(40))
                o.insert(key(), value(depth - 1));
            return o;
        }
        if (v.isArray()) {
            QJsonArray a = v.toArray();
            for (qsizetype i = 0; i < a.size(); ++i)
                if (chance(30))
                    a.replace(i, mutate(a.at(i), depth - 1));
            if (!a.isEmpty() && chance(30))
                a.removeAt(below(int(a.size())));
            if (chance(30))
                a.insert(below(int(a.size()) + 1), value(depth - 1));
            if (a.size() > 1 && chance(30)) {  // a move
                const QJsonValue moved = a.takeAt(below(int(a.size())));
                a.insert(below(int(a.size()) + 1), moved);
            }
            return a;
        }
        return chance(50) ? scalar() : v;
    }

private:
    QRandomGenerator m_rng;
};

QJsonArray ops(const char* text)
{
    return parseJsonValue(QByteArray(text)).toArray();
}

} // namespace

class TstJsonDiff : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // RFC 6902 appendix A, applied by applyJsonPatch.
    void rfc6902Examples_data()
    {
        QTest::addColumn<QByteArray>("doc");
        QTest::addColumn<QByteArray>("patch");
        QTest::addColumn<QByteArray>("result");  // empty: the patch must fail
        QTest::newRow("A.1 add member") << QByteArray(R"({"foo":"bar"})")
                                        << QByteArray(R"([{"op":"add","path":"/baz","value":"qux"}])")
                                        << QByteArray(R"({"baz":"qux","foo":"bar"})");
        QTest::newRow("A.2 add element") << QByteArray(R"({"foo":["bar","baz"]})")
                                         << QByteArray(R"([{"op":"add","path":"/foo/1","value":"qux"}])")
                                         << QByteArray(R"({"foo":["bar","qux","baz"]})");
        QTest::newRow("A.3 remove member") << QByteArray(R"({"baz":"qux","foo":"bar"})")
                                           << QByteArray(R"([{"op":"remove","path":"/baz"}])")
                                           << QByteArray(R"({"foo":"bar"})");
        QTest::newRow("A.4 remove element") << QByteArray(R"({"foo":["bar","qux","baz"]})")
                                            << QByteArray(R"([{"op":"remove","path":"/foo/1"}])")
                                            << QByteArray(R"({"foo":["bar","baz"]})");
        QTest::newRow("A.5 replace") << QByteArray(R"({"baz":"qux","foo":"bar"})")
                                     << QByteArray(R"([{"op":"replace","path":"/baz","value":"boo"}])")
                                     << QByteArray(R"({"baz":"boo","foo":"bar"})");
        QTest::newRow("A.6 move member")
            << QByteArray(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})")
            << QByteArray(R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])")
            << QByteArray(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
        QTest::newRow("A.7 move element") << QByteArray(R"({"foo":["all","grass","cows","eat"]})")
                                          << QByteArray(R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])")
                                          << QByteArray(R"({"foo":["all","cows","eat","grass"]})");
        QTest::newRow("A.8 test ok")
            << QByteArray(R"({"baz":"qux","foo":["a",2,"c"]})")
            << QByteArray(R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])")
            << QByteArray(R"({"baz":"qux","foo":["a",2,"c"]})");
        QTest::newRow("A.9 test fails") << QByteArray(R"({"baz":"qux"})")
                                        << QByteArray(R"([{"op":"test","path":"/baz","value":"bar"}])") << QByteArray();
        QTest::newRow("A.10 add nested") << QByteArray(R"({"foo":"bar"})")
                                         << QByteArray(R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])")
                                         << QByteArray(R"({"child":{"grandchild":{}},"foo":"bar"})");
        QTest::newRow("A.11 unknown members ignored")
            << QByteArray(R"({"foo":"bar"})") << QByteArray(R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])")
            << QByteArray(R"({"baz":"qux","foo":"bar"})");
        QTest::newRow("A.12 add to missing parent") << QByteArray(R"({"foo":"bar"})")
                                                    << QByteArray(R"([{"op":"add","path":"/baz/bat","value":"qux"}])")
                                                    << QByteArray();
        QTest::newRow("A.14 escape order")
            << QByteArray(R"({"/":9,"~1":10})") << QByteArray(R"([{"op":"test","path":"/~01","value":10}])")
            << QByteArray(R"({"/":9,"~1":10})");
        QTest::newRow("A.15 string is not number") << QByteArray(R"({"/":9,"~1":10})")
                                                   << QByteArray(R"([{"op":"test","path":"/~01","value":"10"}])")
                                                   << QByteArray();
        QTest::newRow("A.16 add array value") << QByteArray(R"({"foo":["bar"]})")
                                              << QByteArray(R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])")
                                              << QByteArray(R"({"foo":["bar",["abc","def"]]})");
        QTest::newRow("copy") << QByteArray(R"({"a":{"b":1}})") << QByteArray(R"([{"op":"copy","from":"/a","path":"/c"}])")
                              << QByteArray(R"({"a":{"b":1},"c":{"b":1}})");
        QTest::newRow("replace root") << QByteArray(R"({"a":1})") << QByteArray(R"([{"op":"replace","path":"","value":[1]}])")
                                      << QByteArray("[1]");
        QTest::newRow("index past end") << QByteArray("[1,2]") << QByteArray(R"([{"op":"add","path":"/3","value":0}])")
                                        << QByteArray();
        QTest::newRow("leading zero index") << QByteArray("[1,2]") << QByteArray(R"([{"op":"remove","path":"/01"}])")
                                            << QByteArray();
        QTest::newRow("remove missing") << QByteArray(R"({"a":1})") << QByteArray(R"([{"op":"remove","path":"/b"}])")
                                        << QByteArray();
        QTest::newRow("unknown op") << QByteArray(R"({"a":1})") << QByteArray(R"([{"op":"frob","path":"/a"}])")
                                    << QByteArray();
        QTest::newRow("move into own child") << QByteArray(R"({"a":{"b":1}})")
                                             << QByteArray(R"([{"op":"move","from":"/a","path":"/a/b/c"}])")
                                             << QByteArray();
        QTest::newRow("bad pointer") << QByteArray(R"({"a":1})") << QByteArray(R"([{"op":"remove","path":"a"}])")
                                     << QByteArray();
        QTest::newRow("into scalar") << QByteArray(R"({"a":1})") << QByteArray(R"([{"op":"add","path":"/a/b","value":1}])")
                                     << QByteArray();
    }
    void rfc6902Examples()
    {
        QFETCH(QByteArray, doc);
        QFETCH(QByteArray, patch);
        QFETCH(QByteArray, result);
        QJsonValue d = parseJsonValue(doc);
        const QJsonValue original = d;
        QString error;
        const bool ok = applyJsonPatch(d, parseJsonValue(patch).toArray(), &error);
        if (result.isEmpty()) {
            QVERIFY(!ok);
            QVERIFY(error.startsWith(QLatin1String("patch operation")));
            QCOMPARE(t(d), t(original));  // all or nothing
        } else {
            QVERIFY2(ok, qPrintable(error));
            QCOMPARE(t(d), t(parseJsonValue(result)));
        }
    }

    void failedPatchLeavesDocumentUnchanged()
    {
        QJsonValue d = j(R"({"a":{"b":[1,2,3]},"c":1})");
        const QByteArray before = t(d);
        QString error;
        QVERIFY(!applyJsonPatch(d, ops(R"([{"op":"remove","path":"/a/b/0"},{"op":"replace","path":"/a/x","value":1}])"), &error));
        QCOMPARE(t(d), before);
        QVERIFY2(error.contains(QLatin1String("operation 1")), qPrintable(error));
    }

    // Exact patches for small cases where the right answer is known.
    void diffExact_data()
    {
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<QByteArray>("patch");
        QTest::newRow("equal") << QByteArray(R"({"a":[1,{"b":2}]})") << QByteArray(R"({"a":[1,{"b":2}]})") << QByteArray("[]");
        QTest::newRow("member changed") << QByteArray(R"({"a":1,"b":2})") << QByteArray(R"({"a":1,"b":3})")
                                        << QByteArray(R"([{"op":"replace","path":"/b","value":3}])");
        QTest::newRow("member added and removed") << QByteArray(R"({"a":1})") << QByteArray(R"({"b":1})")
                                                  << QByteArray(R"([{"op":"remove","path":"/a"},{"op":"add","path":"/b","value":1}])");
        QTest::newRow("type change") << QByteArray(R"({"a":"1"})") << QByteArray(R"({"a":1})")
                                     << QByteArray(R"([{"op":"replace","path":"/a","value":1}])");
        QTest::newRow("object to array") << QByteArray(R"({"a":{}})") << QByteArray(R"({"a":[]})")
                                         << QByteArray(R"([{"op":"replace","path":"/a","value":[]}])");
        QTest::newRow("null to false") << QByteArray(R"({"a":null})") << QByteArray(R"({"a":false})")
                                       << QByteArray(R"([{"op":"replace","path":"/a","value":false}])");
        QTest::newRow("root scalar") << QByteArray(R"("x")") << QByteArray(R"({"a":1})")
                                     << QByteArray(R"([{"op":"replace","path":"","value":{"a":1}}])");
        QTest::newRow("nested") << QByteArray(R"({"a":{"b":{"c":1,"d":2}}})") << QByteArray(R"({"a":{"b":{"c":1}}})")
                                << QByteArray(R"([{"op":"remove","path":"/a/b/d"}])");
        QTest::newRow("escaped keys") << QByteArray(R"({"a/b":1,"m~n":1})") << QByteArray(R"({"a/b":2,"m~n":3})")
                                      << QByteArray(R"([{"op":"replace","path":"/a~1b","value":2},{"op":"replace","path":"/m~0n","value":3}])");
        QTest::newRow("scalar array insert at front") << QByteArray("[1,2,3]") << QByteArray("[0,1,2,3]")
                                                      << QByteArray(R"([{"op":"add","path":"/0","value":0}])");
        QTest::newRow("scalar array delete in middle") << QByteArray("[1,2,3]") << QByteArray("[1,3]")
                                                       << QByteArray(R"([{"op":"remove","path":"/1"}])");
        QTest::newRow("scalar array element changed") << QByteArray("[1,2,3]") << QByteArray("[1,9,3]")
                                                      << QByteArray(R"([{"op":"replace","path":"/1","value":9}])");
        QTest::newRow("scalar array shrink") << QByteArray("[1,2,3,4]") << QByteArray("[5]")
                                             << QByteArray(R"([{"op":"replace","path":"/0","value":5},{"op":"remove","path":"/3"},{"op":"remove","path":"/2"},{"op":"remove","path":"/1"}])");
        QTest::newRow("id element changed in place")
            << QByteArray(R"({"items":[{"id":1,"q":1},{"id":2,"q":1}]})")
            << QByteArray(R"({"items":[{"id":1,"q":1},{"id":2,"q":5}]})")
            << QByteArray(R"([{"op":"replace","path":"/items/1/q","value":5}])");
        QTest::newRow("id element inserted at front")
            << QByteArray(R"([{"id":"a","q":1},{"id":"b","q":2}])")
            << QByteArray(R"([{"id":"z","q":0},{"id":"a","q":1},{"id":"b","q":2}])")
            << QByteArray(R"([{"op":"add","path":"/0","value":{"id":"z","q":0}}])");
        QTest::newRow("id element deleted")
            << QByteArray(R"([{"id":"a"},{"id":"b"},{"id":"c"}])") << QByteArray(R"([{"id":"a"},{"id":"c"}])")
            << QByteArray(R"([{"op":"remove","path":"/1"}])");
        QTest::newRow("id element moved to front, changed")
            << QByteArray(R"([{"id":"a"},{"id":"b"},{"id":"c","q":1}])")
            << QByteArray(R"([{"id":"c","q":2},{"id":"a"},{"id":"b"}])")
            << QByteArray(R"([{"op":"remove","path":"/2"},{"op":"add","path":"/0","value":{"id":"c","q":2}}])");
        QTest::newRow("id swap, delete and insert")
            << QByteArray(R"([{"id":1},{"id":2},{"id":3},{"id":4}])")
            << QByteArray(R"([{"id":2},{"id":1},{"id":5},{"id":4}])")
            << QByteArray(R"([{"op":"remove","path":"/2"},{"op":"remove","path":"/0"},{"op":"add","path":"/1","value":{"id":1}},{"op":"add","path":"/2","value":{"id":5}}])");
        QTest::newRow("id is typed: 1 is not \"1\"")
            << QByteArray(R"([{"id":1,"v":0}])") << QByteArray(R"([{"id":"1","v":0}])")
            << QByteArray(R"([{"op":"remove","path":"/0"},{"op":"add","path":"/0","value":{"id":"1","v":0}}])");
    }
    void diffExact()
    {
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(QByteArray, patch);
        const QJsonValue a = parseJsonValue(from);
        const QJsonValue b = parseJsonValue(to);
        const QJsonArray p = diffJson(a, b);
        QCOMPARE(t(p), t(parseJsonValue(patch)));
        QJsonValue applied = a;
        QString error;
        QVERIFY2(applyJsonPatch(applied, p, &error), qPrintable(error));
        QCOMPARE(t(applied), t(b));
    }

    // A patch carries each number as the state holds it, and a change of text is a change ("1.10" to
    // "1.1"), exactly what a reader of the two states sees.
    void diffKeepsNumberText_data()
    {
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<QByteArray>("patch");
        QTest::newRow("1.10 to 1.20") << QByteArray(R"({"p":1.10})") << QByteArray(R"({"p":1.20})")
                                      << QByteArray(R"([{"op":"replace","path":"/p","value":1.20}])");
        QTest::newRow("1.10 to 1.1") << QByteArray(R"({"p":1.10})") << QByteArray(R"({"p":1.1})")
                                     << QByteArray(R"([{"op":"replace","path":"/p","value":1.1}])");
        QTest::newRow("same text") << QByteArray(R"({"p":1.10,"q":1e400})") << QByteArray(R"({"p":1.10,"q":1e400})")
                                   << QByteArray("[]");
        QTest::newRow("-205 to -205.0") << QByteArray(R"({"p":-205})") << QByteArray(R"({"p":-205.0})")
                                        << QByteArray(R"([{"op":"replace","path":"/p","value":-205.0}])");
        QTest::newRow("beyond 2^53") << QByteArray(R"({"p":9007199254740992})") << QByteArray(R"({"p":9007199254740993})")
                                     << QByteArray(R"([{"op":"replace","path":"/p","value":9007199254740993}])");
        QTest::newRow("huge added") << QByteArray(R"({"a":1})") << QByteArray(R"({"a":1,"b":-1e400,"c":-0})")
                                    << QByteArray(R"([{"op":"add","path":"/b","value":-1e400},{"op":"add","path":"/c","value":-0}])");
        QTest::newRow("huge removed") << QByteArray(R"({"a":1,"b":1e400})") << QByteArray(R"({"a":1})")
                                      << QByteArray(R"([{"op":"remove","path":"/b"}])");
        QTest::newRow("array element") << QByteArray("[1.10,2,1E5]") << QByteArray("[1.10,2.0,1E5]")
                                       << QByteArray(R"([{"op":"replace","path":"/1","value":2.0}])");
        QTest::newRow("array insert keeps neighbours") << QByteArray("[0.000,1e400]") << QByteArray("[0.000,1.0e-7,1e400]")
                                                       << QByteArray(R"([{"op":"add","path":"/1","value":1.0e-7}])");
        QTest::newRow("ids beyond double")
            << QByteArray(R"({"l":[{"id":12345678901234567890123,"q":1},{"id":12345678901234567890124,"q":1}]})")
            << QByteArray(R"({"l":[{"id":12345678901234567890124,"q":1.50},{"id":12345678901234567890123,"q":1}]})")
            << QByteArray(R"([{"op":"remove","path":"/l/0"},{"op":"replace","path":"/l/0/q","value":1.50},)"
                          R"({"op":"add","path":"/l/1","value":{"id":12345678901234567890123,"q":1}}])");
        QTest::newRow("number to string of it") << QByteArray(R"({"p":1.10})") << QByteArray(R"({"p":"1.10"})")
                                                << QByteArray(R"([{"op":"replace","path":"/p","value":"1.10"}])");
        QTest::newRow("whole state") << QByteArray("1.10") << QByteArray("1e400")
                                     << QByteArray(R"([{"op":"replace","path":"","value":1e400}])");
    }
    void diffKeepsNumberText()
    {
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(QByteArray, patch);
        const QJsonValue a = parseJsonValue(from);
        const QJsonValue b = parseJsonValue(to);
        const QJsonArray p = diffJson(a, b);
        QCOMPARE(toJsonText(p), patch);
        // The written patch, read back and applied, gives the second state with its texts.
        QJsonValue applied = a;
        QString error;
        QVERIFY2(applyJsonPatch(applied, parseJsonValue(patch).toArray(), &error), qPrintable(error));
        QCOMPARE(toJsonText(applied), to);
        // test compares texts too.
        QJsonValue tested = b;
        const QByteArray test = R"([{"op":"test","path":"","value":)" + to + "}]";
        QVERIFY2(applyJsonPatch(tested, parseJsonValue(test).toArray(), &error), qPrintable(error));
        QVERIFY(!applyJsonPatch(tested, parseJsonValue(R"([{"op":"test","path":"","value":)" + from + "}]").toArray())
                || from == to);
    }

    // The property: for many random pairs, applying diffJson(from, to) to from yields to exactly.
    void roundTripProperty_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::addColumn<bool>("related");
        for (quint32 seed = 1; seed <= 8; ++seed) {
            QTest::addRow("related %u", seed) << seed << true;
            QTest::addRow("unrelated %u", seed) << seed * 7919 << false;
        }
    }
    void roundTripProperty()
    {
        QFETCH(quint32, seed);
        QFETCH(bool, related);
        Gen g(seed);
        for (int i = 0; i < 400; ++i) {
            const QJsonValue from = g.value(5);
            const QJsonValue to = related ? g.mutate(from, 5) : g.value(5);
            const QJsonArray patch = diffJson(from, to);
            QJsonValue applied = from;
            QString error;
            if (!applyJsonPatch(applied, patch, &error) || applied != to) {
                qWarning("from:  %s", t(from).constData());
                qWarning("to:    %s", t(to).constData());
                qWarning("patch: %s", t(patch).constData());
                QFAIL(qPrintable(QStringLiteral("round trip %1 failed: %2").arg(i).arg(error)));
            }
            QCOMPARE(t(applied), t(to));
            QVERIFY(diffJson(to, to).isEmpty());
            QVERIFY(from == to || !patch.isEmpty());
        }
    }

    void pointerParsing_data()
    {
        QTest::addColumn<QString>("pointer");
        QTest::addColumn<QStringList>("tokens");
        QTest::addColumn<bool>("valid");
        QTest::newRow("root") << QString() << QStringList() << true;
        QTest::newRow("slash is the empty key") << QStringLiteral("/") << QStringList{QString()} << true;
        QTest::newRow("two") << QStringLiteral("/a/b") << QStringList{QStringLiteral("a"), QStringLiteral("b")} << true;
        QTest::newRow("escapes") << QStringLiteral("/a~1b/m~0n/~01") << QStringList{QStringLiteral("a/b"), QStringLiteral("m~n"), QStringLiteral("~1")} << true;
        QTest::newRow("no leading slash") << QStringLiteral("a/b") << QStringList() << false;
        QTest::newRow("bad escape") << QStringLiteral("/a~2") << QStringList() << false;
        QTest::newRow("trailing tilde") << QStringLiteral("/a~") << QStringList() << false;
    }
    void pointerParsing()
    {
        QFETCH(QString, pointer);
        QFETCH(QStringList, tokens);
        QFETCH(bool, valid);
        QString error;
        const auto parsed = parseJsonPointer(pointer, &error);
        QCOMPARE(parsed.has_value(), valid);
        if (valid) {
            QCOMPARE(*parsed, tokens);
            QCOMPARE(makeJsonPointer(*parsed), pointer);
        } else {
            QVERIFY(error.contains(pointer));
        }
    }

    void valueAtPointerRules()
    {
        const QJsonValue doc = j(R"({"a":[10,20,{"x/y":1,"~":2}],"":3})");
        QCOMPARE(valueAtPointer(doc, QStringLiteral("/a/1"))->toInt(), 20);
        QCOMPARE(valueAtPointer(doc, QStringLiteral("/a/2/x~1y"))->toInt(), 1);
        QCOMPARE(valueAtPointer(doc, QStringLiteral("/a/2/~0"))->toInt(), 2);
        QCOMPARE(valueAtPointer(doc, QStringLiteral("/"))->toInt(), 3);
        QCOMPARE(t(*valueAtPointer(doc, QString())), t(doc));
        QVERIFY(!valueAtPointer(doc, QStringLiteral("/a/01")));
        QVERIFY(!valueAtPointer(doc, QStringLiteral("/a/-")));
        QVERIFY(!valueAtPointer(doc, QStringLiteral("/a/3")));
        QVERIFY(!valueAtPointer(doc, QStringLiteral("/a/1/x")));
        QVERIFY(!valueAtPointer(doc, QStringLiteral("a")));
    }

    // Parsed documents are depth-capped by Qt; built ones can be deeper. Both diff and patch cleanly.
    void deeplyNested()
    {
        QJsonValue a = QJsonValue(1);
        QJsonValue b = QJsonValue(2);
        for (int i = 0; i < 400; ++i) {
            a = (i % 2) ? QJsonValue(QJsonArray{a}) : QJsonValue(QJsonObject{{QStringLiteral("k"), a}});
            b = (i % 2) ? QJsonValue(QJsonArray{b}) : QJsonValue(QJsonObject{{QStringLiteral("k"), b}});
        }
        const QJsonArray patch = diffJson(a, b);
        QCOMPARE(patch.size(), 1);
        QCOMPARE(patch.at(0).toObject().value(QLatin1String("op")).toString(), QStringLiteral("replace"));
        QVERIFY(patch.at(0).toObject().value(QLatin1String("path")).toString().endsWith(QLatin1String("/k")));
        QJsonValue applied = a;
        QVERIFY(applyJsonPatch(applied, patch));
        QVERIFY(applied == b);
    }

    // Keys from all over Unicode (Latin-1, BMP private use, beyond the BMP, empty): the member walk
    // relies on Qt's key order and must give a patch that round-trips whatever that order is.
    void unicodeKeys()
    {
        const QStringList keys = {QString(), QStringLiteral("a"), QStringLiteral("B"), QStringLiteral("\u00e9"),
                                  QStringLiteral("\ue000"), QString::fromUcs4(U"\U0001F600"), QString::fromUcs4(U"\U0001F601x"),
                                  QStringLiteral("\uffff"), QStringLiteral("~/")};
        QJsonObject a, b;
        for (int i = 0; i < keys.size(); ++i) {
            if (i % 3 != 0)
                a.insert(keys[i], i);
            if (i % 3 != 1)
                b.insert(keys[i], i % 2 ? i : -i);
        }
        const QJsonArray patch = diffJson(a, b);
        QJsonValue applied = a;
        QString error;
        QVERIFY2(applyJsonPatch(applied, patch, &error), qPrintable(error));
        QCOMPARE(t(applied), t(b));
        QCOMPARE(t(diffJson(b, b)), QByteArray("[]"));
    }

    // A state with many members: the patch is exactly the changed members.
    void wideObject()
    {
        QJsonObject a;
        for (int i = 0; i < 5000; ++i)
            a.insert(QStringLiteral("k%1").arg(i), i);
        QJsonObject b = a;
        b.insert(QStringLiteral("k17"), -1);
        b.remove(QStringLiteral("k4000"));
        b.insert(QStringLiteral("new"), true);
        const QJsonArray patch = diffJson(a, b);
        QCOMPARE(patch.size(), 3);
        QJsonValue applied = a;
        QVERIFY(applyJsonPatch(applied, patch));
        QVERIFY(applied == QJsonValue(b));
    }
};

QTEST_GUILESS_MAIN(TstJsonDiff)
#include "tst_jsondiff.moc"
