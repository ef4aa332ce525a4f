// chronoscope-cli with JavaScript projections, end to end: the real binary (QProcess) on stores this
// test writes (crafted, and the generated demo), with known answers; bad projections exit with 2.

#include "json/mergepatch.h"
#include "sources/sourceregistry.h"

#include "fixtures/stopwithsignal.h"
#include "store/storewriter.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace chronoscope;

namespace {

const QString kCli = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli");
const QString kExamples = QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/projections/");

struct Result
{
    int exit = -1;
    QByteArray out;
    QByteArray err;
    QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

Result cli(const QStringList& args)
{
    QProcess p;
    p.start(kCli, args);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000))
        p.kill();
    Result r;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exit = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    return r;
}

QByteArray sha(const QString& path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class TestProjectionCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void divergenceOnCraftedStore();
    void divergenceOnDemoFindsFirstRefund();
    void watch_data();
    void watch();
    void badProjectionsExitWith2_data();
    void badProjectionsExitWith2();
    void stateAndDiffWithProjection();
    void projectionNumbersAsJavaScriptWroteThem();
    void outputShapes_data();
    void outputShapes();
    void signalEndsEndlessProjection_data();
    void signalEndsEndlessProjection();
    void serverHandlerRulesWarnAndRefuse();
    void endlessPredicateExitsWith2_data();
    void endlessPredicateExitsWith2();

private:
    QString write(const QString& name, const QByteArray& text);
    QTemporaryDir m_dir;
    QString m_store;
};

QString TestProjectionCli::write(const QString& name, const QByteArray& text)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(text);
    return path;
}

void TestProjectionCli::initTestCase()
{
    QVERIFY(QFile::exists(kCli));
    QVERIFY(m_dir.isValid());
    // acct-1: 10, -5 (pos 3), 5, -15 (pos 6); acct-2: 5, -1 (pos 5); payments with a failure at 9.
    m_store = m_dir.filePath(QStringLiteral("crafted.chronoscope"));
    QString error;
    auto w = StoreWriter::create(m_store, {}, &error);
    QVERIFY2(w, qPrintable(error));
    const QList<std::tuple<const char*, const char*, const char*>> rows = {
        {"acct-1", "Deposited", R"({"amount":10})"}, {"acct-2", "Deposited", R"({"amount":5})"},
        {"acct-1", "Withdrawn", R"({"amount":15})"}, {"acct-1", "Deposited", R"({"amount":10})"},
        {"acct-2", "Withdrawn", R"({"amount":6})"},  {"acct-1", "Withdrawn", R"({"amount":20})"},
        {"payment-1", "PaymentSucceeded", R"({"amount":10})"}, {"payment-2", "PaymentSucceeded", R"({"amount":20})"},
        {"payment-3", "PaymentFailed", R"({"amount":30})"},    {"payment-3", "PaymentSucceeded", R"({"amount":30})"},
    };
    QHash<QString, qint64> versions;
    for (int i = 0; i < rows.size(); ++i) {
        Event e;
        e.stream = QString::fromLatin1(std::get<0>(rows[i]));
        e.type = QString::fromLatin1(std::get<1>(rows[i]));
        e.data = std::get<2>(rows[i]);
        e.version = versions[e.stream]++;
        e.time = *parseTime(u"2026-01-05T10:00:00Z") + i * 60000;
        e.id = QStringLiteral("e-%1").arg(i);
        QVERIFY2(w->append(e, &error), qPrintable(error));
    }
    QVERIFY2(w->finish(&error), qPrintable(error));
}

void TestProjectionCli::divergenceOnCraftedStore()
{
    const QString v1 = write(QStringLiteral("v1.js"), R"(fromCategory('payment').when({
        $init: function () { return { revenue: 0 }; },
        PaymentSucceeded: function (s, e) { s.revenue += e.data.amount; },
        PaymentFailed: function (s, e) { s.revenue += e.data.amount; } });)");
    const QString v2 = write(QStringLiteral("v2.js"), R"(fromCategory('payment').when({
        $init: function () { return { revenue: 0 }; },
        PaymentSucceeded: function (s, e) { s.revenue += e.data.amount; } });)");
    const QByteArray before = sha(m_store);
    const Result r = cli({QStringLiteral("divergence"), m_store, QStringLiteral("--projection"), v1,
                          QStringLiteral("--projection-b"), v2, QStringLiteral("--envelope")});
    QVERIFY2(r.exit == 0, r.err.constData());
    const QJsonObject o = r.json();
    QCOMPARE(o.value(QStringLiteral("diverged")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("position")).toInteger(), 9);
    QCOMPARE(o.value(QStringLiteral("event")).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("PaymentFailed"));
    QCOMPARE(o.value(QStringLiteral("stateA")).toObject().value(QStringLiteral("revenue")).toInt(), 60);
    QCOMPARE(o.value(QStringLiteral("stateB")).toObject().value(QStringLiteral("revenue")).toInt(), 30);
    QCOMPARE(QString::fromUtf8(toJsonText(o.value(QStringLiteral("patch")))),
             QStringLiteral(R"([{"op":"replace","path":"/revenue","value":30}])"));
    // The same version twice: no divergence, the states at the end.
    const Result same = cli({QStringLiteral("divergence"), m_store, QStringLiteral("--projection"), v1,
                             QStringLiteral("--projection-b"), v1, QStringLiteral("--envelope")});
    QCOMPARE(same.exit, 0);
    QCOMPARE(same.json().value(QStringLiteral("diverged")).toBool(), false);
    QCOMPARE(same.json().value(QStringLiteral("position")).toInteger(), 10);
    // --to-position before the divergence: none found.
    const Result early = cli({QStringLiteral("divergence"), m_store, QStringLiteral("--projection"), v1,
                              QStringLiteral("--projection-b"), v2, QStringLiteral("--to-position"), QStringLiteral("8"),
                              QStringLiteral("--envelope")});
    QCOMPARE(early.json().value(QStringLiteral("diverged")).toBool(), false);
    QCOMPARE(sha(m_store), before);  // read-only
}

void TestProjectionCli::divergenceOnDemoFindsFirstRefund()
{
    const QString demo = m_dir.filePath(QStringLiteral("demo.chronoscope"));
    const Result made = cli({QStringLiteral("demo"), QStringLiteral("-o"), demo, QStringLiteral("--events"), QStringLiteral("20000")});
    QVERIFY2(made.exit == 0, made.err.constData());
    // v1 ignores refunds and v2 subtracts them: they part at the first RefundIssued of the incident.
    QString error;
    auto reader = openSource(demo, {}, &error);
    QVERIFY2(reader, qPrintable(error));
    EventQuery q;
    q.types = {QStringLiteral("RefundIssued")};
    q.limit = 1;
    const QList<Event> refunds = reader->readAll(q, &error);
    QCOMPARE(refunds.size(), 1);
    const Result r = cli({QStringLiteral("divergence"), demo, QStringLiteral("--projection"), kExamples + "revenue-per-day.js",
                          QStringLiteral("--projection-b"), kExamples + "revenue-per-day-v2.js", QStringLiteral("--envelope")});
    QVERIFY2(r.exit == 0, r.err.constData());
    const QJsonObject o = r.json();
    QCOMPARE(o.value(QStringLiteral("diverged")).toBool(), true);
    QCOMPARE(o.value(QStringLiteral("position")).toInteger(), refunds.first().position);
    const double a = o.value(QStringLiteral("stateA")).toObject().value(QStringLiteral("total")).toDouble();
    const double b = o.value(QStringLiteral("stateB")).toObject().value(QStringLiteral("total")).toDouble();
    const double refunded = parseJsonValue(refunds.first().data).toObject().value(QStringLiteral("refunded")).toDouble();
    QVERIFY(std::abs((a - b) - refunded) < 0.005);
    // The examples load and run on the demo (inventory is partitioned per SKU).
    const Result inv = cli({QStringLiteral("watch"), demo, QStringLiteral("--projection"), kExamples + "inventory-per-sku.js",
                            QStringLiteral("--until"), QStringLiteral("state.reserved > 0"), QStringLiteral("--envelope")});
    QVERIFY2(inv.exit == 0, inv.err.constData());
    QCOMPARE(inv.json().value(QStringLiteral("found")).toBool(), true);
    QVERIFY(inv.json().value(QStringLiteral("partition")).toString().startsWith(QLatin1String("SKU")) ||
            !inv.json().value(QStringLiteral("partition")).toString().isEmpty());
    const Result oc = cli({QStringLiteral("watch"), demo, QStringLiteral("--projection"), kExamples + "order-status-counts.js",
                           QStringLiteral("--until"), QStringLiteral("state.statuses.cancelled > 0"), QStringLiteral("--envelope")});
    QVERIFY2(oc.exit == 0, oc.err.constData());
    QCOMPARE(oc.json().value(QStringLiteral("event")).toObject().value(QStringLiteral("type")).toString(),
             QStringLiteral("OrderCancelled"));
}

void TestProjectionCli::watch_data()
{
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<qint64>("expected");  // 0: not found
    QTest::newRow("forward from start") << QStringList{} << qint64(3);
    QTest::newRow("forward from 3") << QStringList{"--from-position", "3"} << qint64(5);
    QTest::newRow("forward from 6: none") << QStringList{"--from-position", "6"} << qint64(0);
    QTest::newRow("backward from end") << QStringList{"--backward"} << qint64(6);
    QTest::newRow("backward from 5") << QStringList{"--backward", "--from-position", "5"} << qint64(3);
    QTest::newRow("from time") << QStringList{"--from-time", "2026-01-05T10:03:30Z"} << qint64(5);
    QTest::newRow("level") << QStringList{"--level", "--from-position", "3"} << qint64(5);
}

void TestProjectionCli::watch()
{
    QFETCH(QStringList, extra);
    QFETCH(qint64, expected);
    const QString f = write(QStringLiteral("balance.js"), R"(fromCategory('acct').foreachStream().when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } });)");
    const Result r = cli(QStringList{QStringLiteral("watch"), m_store, QStringLiteral("--projection"), f,
                                     QStringLiteral("--until"), QStringLiteral("state.balance < 0"),
                                     QStringLiteral("--envelope")} + extra);
    QVERIFY2(r.exit == 0, r.err.constData());
    const QJsonObject o = r.json();
    QCOMPARE(o.value(QStringLiteral("found")).toBool(), expected != 0);
    if (expected) {
        QCOMPARE(o.value(QStringLiteral("position")).toInteger(), expected);
        QVERIFY(o.value(QStringLiteral("state")).toObject().value(QStringLiteral("balance")).toInt() < 0);
        QCOMPARE(o.value(QStringLiteral("partition")).toString(),
                 o.value(QStringLiteral("event")).toObject().value(QStringLiteral("stream")).toString());
    }
}

void TestProjectionCli::badProjectionsExitWith2_data()
{
    QTest::addColumn<QByteArray>("script");
    QTest::addColumn<QString>("needle");
    QTest::newRow("syntax error") << QByteArray("fromAll().when({\n  $any: function (s) { s.x = ; }\n});")
                                  << QStringLiteral("bad.js:2: SyntaxError");
    QTest::newRow("throws on some events")
        << QByteArray("fromAll().when({\n  $any: function (s, e) {\n    if (e.position === 4) throw new Error('boom');\n  }\n});")
        << QStringLiteral("bad.js:3: Error: boom in handler $any for event at position 4 (stream 'acct-1', type 'Deposited')");
    QTest::newRow("infinite loop") << QByteArray("fromAll().when({ Withdrawn: function () { for (;;) {} } });")
                                   << QStringLiteral("interrupted after");
    QTest::newRow("non-JSON state") << QByteArray("fromAll().when({ $any: function (s) { s.me = s; } });")
                                    << QStringLiteral("circular structure");
    QTest::newRow("require") << QByteArray("fromAll().when({ $any: function () { require('fs'); } });")
                             << QStringLiteral("require() is not available");
    QTest::newRow("fetch") << QByteArray("fromAll().when({ $any: function () { fetch('http://127.0.0.1/'); } });")
                           << QStringLiteral("fetch() is not available");
    QTest::newRow("XMLHttpRequest") << QByteArray("fromAll().when({ $any: function () { new XMLHttpRequest(); } });")
                                    << QStringLiteral("XMLHttpRequest is not available");
    QTest::newRow("toJSON loops") << QByteArray("Object.prototype.toJSON = function () { for (;;) {} };\n"
                                                "fromAll().when({ $any: function (s) { s.n = 1; } });")
                                  << QStringLiteral("interrupted after");
    QTest::newRow("huge array fill") << QByteArray("fromAll().when({ Withdrawn: function (s) { s.a = new Array(3e8).fill(); } });")
                                     << QStringLiteral("Array.prototype.fill() on 300000000 elements");
    QTest::newRow("replaced JSON.stringify") << QByteArray("JSON.stringify = function () {};\nfromAll().when({});")
                                             << QStringLiteral("bad.js:1: TypeError: JSON.stringify cannot be replaced");
    QTest::newRow("type handler before $any")
        << QByteArray("fromAll().when({ Withdrawn: function () {}, $any: function () {} });")
        << QStringLiteral("bad.js: Both AllEvents and specific event filters cannot be set");
    QTest::newRow("no selector") << QByteArray("when({});") << QStringLiteral("bad.js");
    QTest::newRow("missing file") << QByteArray() << QStringLiteral("cannot read the projection file");
}

void TestProjectionCli::badProjectionsExitWith2()
{
    QFETCH(QByteArray, script);
    QFETCH(QString, needle);
    const QString f = script.isEmpty() ? m_dir.filePath(QStringLiteral("missing.js")) : write(QStringLiteral("bad.js"), script);
    // watch only serializes the state it stops at: a state that is not JSON shows in divergence (and state).
    const bool watchSeesIt = QByteArray(QTest::currentDataTag()) != "non-JSON state" &&
                             QByteArray(QTest::currentDataTag()) != "toJSON loops";
    for (const QStringList& args : {
             QStringList{QStringLiteral("watch"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--until"),
                         QStringLiteral("false"), QStringLiteral("--timeout-ms"), QStringLiteral("200")},
             QStringList{QStringLiteral("divergence"), m_store, QStringLiteral("--projection"), f,
                         QStringLiteral("--projection-b"), f, QStringLiteral("--timeout-ms"), QStringLiteral("200")}}) {
        if (args.first() == QLatin1String("watch") && !watchSeesIt)
            continue;
        const Result r = cli(args);
        QCOMPARE(r.exit, 2);
        QVERIFY2(QString::fromUtf8(r.err).contains(needle), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }
}

void TestProjectionCli::stateAndDiffWithProjection()
{
    const QString f = write(QStringLiteral("balance2.js"), R"(fromCategory('acct').foreachStream().when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } });)");
    Result r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--at-position"),
                    QStringLiteral("4")});
    QVERIFY2(r.exit == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray(R"({"partitions":{"acct-1":{"balance":5},"acct-2":{"balance":5}}})"));
    r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--partition"),
             QStringLiteral("acct-1"), QStringLiteral("--at-time"), QStringLiteral("2026-01-05T10:02:10Z"),
             QStringLiteral("--envelope")});
    QVERIFY2(r.exit == 0, r.err.constData());
    QCOMPARE(r.json().value(QStringLiteral("position")).toInteger(), 3);
    QCOMPARE(QString::fromUtf8(toJsonText(r.json().value(QStringLiteral("state")))), QStringLiteral(R"({"balance":-5})"));
    const QString g = write(QStringLiteral("balance3.js"), R"(fromCategory('acct').foreachStream().when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; } });)");
    r = cli({QStringLiteral("diff"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--projection-b"), g,
             QStringLiteral("--partition"), QStringLiteral("acct-2")});
    QVERIFY2(r.exit == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray(R"([{"op":"replace","path":"/balance","value":5}])"));
    // blame: the event whose handlers last changed a path of the projection's state.
    r = cli({QStringLiteral("blame"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--path"),
             QStringLiteral("/partitions/acct-1/balance"), QStringLiteral("--at-position"), QStringLiteral("5")});
    QVERIFY2(r.exit == 0, r.err.constData());
    QCOMPARE(r.json().value(QStringLiteral("position")).toInteger(), 4);
    r = cli({QStringLiteral("blame"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--path"),
             QStringLiteral("/partitions/acct-9")});
    QCOMPARE(r.exit, 2);
    QVERIFY2(r.err.contains("no event's handlers changed"), r.err.constData());
    const QString bad = write(QStringLiteral("bad2.js"), "fromAll().when({ $any: function () { throw 'no'; } });");
    r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), bad});
    QCOMPARE(r.exit, 2);
    QVERIFY2(r.err.contains("uncaught exception: no"), r.err.constData());
}

void TestProjectionCli::outputShapes_data()
{
    // One rule for every command: the answer itself by default; --envelope wraps it with the source and the
    // context, the answer under its own key. `state --projection` printed a wrapper always.
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("answerKey");
    QTest::addColumn<QByteArray>("answer"); // compact JSON of the answer alone
    QTest::newRow("state") << QStringList{"state", "--projection", "@bal", "--at-position", "4"} << "state"
                           << QByteArray(R"({"partitions":{"acct-1":{"balance":5},"acct-2":{"balance":5}}})");
    QTest::newRow("state of a partition") << QStringList{"state", "--projection", "@bal", "--partition", "acct-1"}
                                          << "state" << QByteArray(R"({"balance":-15})");
    QTest::newRow("diff") << QStringList{"diff", "--projection", "@bal", "--projection-b", "@dep", "--partition", "acct-2"}
                          << "patch" << QByteArray(R"([{"op":"replace","path":"/balance","value":5}])");
    QTest::newRow("blame") << QStringList{"blame", "--projection", "@bal", "--path", "/partitions/acct-2/balance"}
                           << "event" << QByteArray("@event5");
    QTest::newRow("watch") << QStringList{"watch", "--projection", "@bal", "--until", "state.balance < 0"} << "event"
                           << QByteArray("@event3");
    QTest::newRow("watch, not found") << QStringList{"watch", "--projection", "@bal", "--until", "state.balance > 99"}
                                      << "" << QByteArray("null");
    QTest::newRow("divergence") << QStringList{"divergence", "--projection", "@bal", "--projection-b", "@dep"} << "event"
                                << QByteArray("@event3");
    QTest::newRow("divergence, none") << QStringList{"divergence", "--projection", "@bal", "--projection-b", "@bal"}
                                      << "" << QByteArray("null");
    QTest::newRow("divergence at $init") << QStringList{"divergence", "--projection", "@flat", "--projection-b", "@init"}
                                         << "" << QByteArray("\"$init\"");
}

void TestProjectionCli::outputShapes()
{
    QFETCH(QStringList, args);
    QFETCH(QString, answerKey);
    QFETCH(QByteArray, answer);
    const QString bal = write(QStringLiteral("shape-bal.js"), R"(fromCategory('acct').foreachStream().when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } });)");
    const QString dep = write(QStringLiteral("shape-dep.js"), R"(fromCategory('acct').foreachStream().when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; } });)");
    // Not partitioned: the two $init states are compared before the first event.
    const QString flat = write(QStringLiteral("shape-flat.js"), R"(fromCategory('acct').when({
        $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } });)");
    const QString init = write(QStringLiteral("shape-init.js"), R"(fromCategory('acct').when({
        $init: function () { return { balance: 1 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } });)");
    args.replaceInStrings(QStringLiteral("@bal"), bal);
    args.replaceInStrings(QStringLiteral("@dep"), dep);
    args.replaceInStrings(QStringLiteral("@init"), init);
    args.replaceInStrings(QStringLiteral("@flat"), flat);
    args.insert(1, m_store);
    if (answer.startsWith("@event")) {
        // The canonical event at that position, as `events` prints it.
        const Result e = cli({QStringLiteral("events"), m_store, QStringLiteral("--from-position"),
                              QString::fromLatin1(answer.mid(6)), QStringLiteral("--limit"), QStringLiteral("1")});
        QCOMPARE(e.exit, 0);
        answer = toJsonText(parseJsonValue(e.out.trimmed()));
    }
    const Result plain = cli(args);
    QVERIFY2(plain.exit == 0, plain.err.constData());
    QCOMPARE(toJsonText(parseJsonValue(plain.out.trimmed())), answer);
    QCOMPARE(plain.out.count('\n'), 1);

    const Result wrapped = cli(args + QStringList{QStringLiteral("--envelope")});
    QVERIFY2(wrapped.exit == 0, wrapped.err.constData());
    const QJsonObject o = wrapped.json();
    QCOMPARE(o.value(QStringLiteral("source")).toString(), m_store);
    QVERIFY(o.contains(QStringLiteral("projection")) || o.contains(QStringLiteral("a")));
    QVERIFY(o.contains(QStringLiteral("position")) || args.first() == QLatin1String("watch"));
    if (!answerKey.isEmpty())
        QCOMPARE(toJsonText(o.value(answerKey)), answer);
}

void TestProjectionCli::signalEndsEndlessProjection_data()
{
    // A handler or predicate in an endless loop, with the time limit raised so that only the signal can stop
    // it: SIGTERM and SIGINT end the process within a few seconds, with 143 / 130.
    QTest::addColumn<QString>("command");
    QTest::addColumn<int>("signal");
    for (const char* c : {"state", "divergence", "watch predicate"}) {
        QTest::addRow("%s SIGTERM", c) << c << int(SIGTERM);
        QTest::addRow("%s SIGINT", c) << c << int(SIGINT);
    }
}

void TestProjectionCli::signalEndsEndlessProjection()
{
    QFETCH(QString, command);
    QFETCH(int, signal);
    const QString loop = write(QStringLiteral("loop.js"), "fromAll().when({$any:function(s,e){for(;;);}})");
    const QString calm = write(QStringLiteral("calm.js"), "fromAll().when({$any:function(s,e){s.n=(s.n||0)+1;}})");
    const QStringList limits{QStringLiteral("--timeout-ms"), QStringLiteral("3600000")};
    QStringList args;
    if (command == QLatin1String("state"))
        args = QStringList{QStringLiteral("state"), m_store, QStringLiteral("--projection"), loop} + limits;
    else if (command == QLatin1String("divergence"))
        args = QStringList{QStringLiteral("divergence"), m_store, QStringLiteral("--projection"), calm,
                           QStringLiteral("--projection-b"), loop} + limits;
    else
        args = QStringList{QStringLiteral("watch"), m_store, QStringLiteral("--projection"), calm,
                           QStringLiteral("--until"), QStringLiteral("(function(){for(;;);})()")} + limits;
    QProcess p;
    p.start(kCli, args);
    QVERIFY(p.waitForStarted());
    QTest::qWait(1500); // the engine is loaded and inside the loop
    QCOMPARE(p.state(), QProcess::Running);
    const QString stopped = stopWithSignal(p, signal);
    QVERIFY2(stopped.isEmpty(), qPrintable(stopped));
    QVERIFY(p.readAllStandardOutput().isEmpty());
}

// The server's rules by default: a type handler before $any is refused, $any listed first gets only the listed
// types (and never runs for them), which state --projection says on stderr; --v8-handler-order is the old order.
void TestProjectionCli::serverHandlerRulesWarnAndRefuse()
{
    const QString mixed = write(QStringLiteral("mixed.js"), R"(fromCategory('acct').when({
        $init: function () { return { trace: [] }; },
        $any: function (s, e) { s.trace.push('any@' + e.sequenceNumber); },
        Withdrawn: function (s, e) { s.trace.push('Withdrawn@' + e.sequenceNumber); } });)");
    Result r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), mixed});
    QVERIFY2(r.exit == 0, r.err.constData());
    QVERIFY2(r.err.contains("chronoscope-cli: warning: ") && r.err.contains("mixed.js: $any is listed before type handlers, "
                            "so only events of types Withdrawn are delivered; other events never reach $any"),
             r.err.constData());
    QVERIFY2(r.out.contains(R"(["Withdrawn@1","Withdrawn@1","Withdrawn@3"])"), r.out.constData());
    QVERIFY(!r.out.contains("any@"));
    r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), mixed, QStringLiteral("--v8-handler-order")});
    QVERIFY2(r.exit == 0, r.err.constData());
    QVERIFY2(r.out.contains(R"(["any@1","Withdrawn@1","any@1","Withdrawn@1","any@3","Withdrawn@3"])"), r.out.constData());
    QVERIFY(r.err.contains("never reach $any"));
    // No warning when $any is alone.
    const QString alone = write(QStringLiteral("alone.js"), "fromAll().when({ $any: function (s) { s.n = 1; } });");
    r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), alone});
    QVERIFY2(r.exit == 0, r.err.constData());
    QVERIFY2(!r.err.contains("warning"), r.err.constData());
    // Refused for every projection command, also under the old order.
    const QString refused = write(QStringLiteral("refused.js"), "fromAll().when({ Withdrawn: function () {}, $any: function () {} });");
    for (const QStringList& extra : {QStringList{}, QStringList{QStringLiteral("--v8-handler-order")}}) {
        r = cli(QStringList{QStringLiteral("state"), m_store, QStringLiteral("--projection"), refused} + extra);
        QCOMPARE(r.exit, 2);
        QVERIFY2(r.err.contains("refused.js: Both AllEvents and specific event filters cannot be set: the type handler "
                                "'Withdrawn' is listed before $any"), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }
    // The old option name is gone (its behaviour is the default now).
    QCOMPARE(cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), alone, QStringLiteral("--type-else-any")}).exit, 1);
}

void TestProjectionCli::endlessPredicateExitsWith2_data()
{
    QTest::addColumn<QString>("predicate");
    QTest::addColumn<QString>("needle");
    QTest::newRow("endless call") << "(function(){for(;;);})()" << "interrupted after";
    QTest::newRow("escape") << "1), x = 1, (1" << "not a single JavaScript expression";
    QTest::newRow("endless function text") << "function (state) { while (true) {} }" << "in handler watch predicate";
}

void TestProjectionCli::endlessPredicateExitsWith2()
{
    QFETCH(QString, predicate);
    QFETCH(QString, needle);
    const QString f = write(QStringLiteral("count.js"), "fromAll().when({ $any: function (s) { s.n = (s.n || 0) + 1; } });");
    QElapsedTimer t;
    t.start();
    const Result r = cli({QStringLiteral("watch"), m_store, QStringLiteral("--projection"), f, QStringLiteral("--until"),
                          predicate, QStringLiteral("--timeout-ms"), QStringLiteral("300")});
    QVERIFY2(t.elapsed() < 20000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(r.exit, 2);
    QVERIFY2(QString::fromUtf8(r.err).contains(needle), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

// A JS state's numbers come out as JavaScript writes them (1e-7), not rewritten by Qt's writer (1e-07).
void TestProjectionCli::projectionNumbersAsJavaScriptWroteThem()
{
    const QString f = write(QStringLiteral("numbers.js"),
                            "fromAll().when({ $any: function (s) { s.small = 1e-7; s.sum = 0.1 + 0.2; s.big = 1e21; } });");
    const Result r = cli({QStringLiteral("state"), m_store, QStringLiteral("--projection"), f});
    QVERIFY2(r.exit == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("{\"big\":1e+21,\"small\":1e-7,\"sum\":0.30000000000000004}"));
}

QTEST_GUILESS_MAIN(TestProjectionCli)
#include "tst_projection_cli.moc"
