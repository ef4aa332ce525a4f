// JavaScript projections: every API form against hand-computed states, partitions, the sandbox,
// seeking with checkpoints, blame, first divergence and watchpoints, on crafted in-memory stores.

#include "json/mergepatch.h"
#include "projection/divergence.h"
#include "projection/jsprojection.h"
#include "projection/projectionreplay.h"
#include "store/memoryreader.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace chronoscope;

namespace {

QJsonValue J(const char* text)
{
    return parseJsonValue(QByteArray(text));
}

QString show(const QJsonValue& v)
{
    return QString::fromUtf8(toJsonText(v));
}

Event ev(const QString& stream, const QString& type, const QByteArray& data, const QByteArray& metadata = "{}")
{
    Event e;
    e.stream = stream;
    e.type = type;
    e.data = data;
    e.metadata = metadata;
    e.id = QStringLiteral("id-%1").arg(qHash(stream + type + QString::fromUtf8(data)));
    return e;
}

// Versions per stream, times one minute apart from 2026-01-05T10:00Z.
QList<Event> numbered(QList<Event> events)
{
    QHash<QString, qint64> versions;
    const TimeMs t0 = *parseTime(u"2026-01-05T10:00:00Z");
    for (int i = 0; i < events.size(); ++i) {
        events[i].version = versions[events[i].stream]++;
        events[i].time = t0 + qint64(i) * 60000;
    }
    return events;
}

// The crafted store most API tests run on (positions 1..8).
QList<Event> shopEvents()
{
    return numbered({
        ev("order-1", "OrderPlaced", R"({"amount":10,"sku":"A"})"),               // 1
        ev("order-2", "OrderPlaced", R"({"amount":20,"sku":"B"})"),               // 2
        ev("payment-1", "PaymentFailed", R"({"order":"order-1","amount":10})"),   // 3
        ev("order-1", "OrderShipped", R"({"sku":"A"})", R"({"$correlationId":"c-1","user":"ann"})"), // 4
        ev("orders-x", "Misc", R"({"x":1})"),                                     // 5
        ev("order", "OrderPlaced", R"({"amount":1000,"sku":"Z"})"),               // 6
        ev("payment-2", "PaymentSucceeded", R"({"order":"order-2","amount":20})"),// 7
        ev("order-2", "OrderCancelled", R"({"sku":"B"})"),                        // 8
    });
}

struct Run
{
    std::unique_ptr<JsProjection> projection;
    std::unique_ptr<MemoryReader> reader;
    std::unique_ptr<ProjectionReplay> replay;
    ProjectionError error;
};

Run load(const QString& script, QList<Event> events = shopEvents(), ProjectionLimits limits = {},
         ReplayTuning tuning = {})
{
    Run r;
    r.projection = JsProjection::fromSource(script, QStringLiteral("test.js"), limits, &r.error);
    r.reader = std::make_unique<MemoryReader>(std::move(events));
    if (r.projection)
        r.replay = std::make_unique<ProjectionReplay>(r.projection.get(), r.reader.get(), tuning);
    return r;
}

} // namespace

class TestProjection : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void apiForms_data();
    void apiForms();
    void eventFields();
    void nonJsonPayload();
    void handlerOrderV8Option();
    void serverHandlerRules_data();
    void serverHandlerRules();
    void typeHandlerBeforeAnyIsRefused_data();
    void typeHandlerBeforeAnyIsRefused();
    void mixedHandlersWarning_data();
    void mixedHandlersWarning();
    void wouldEmitIsRecordedNotWritten();
    void logLines();
    void deletedNotification();
    void definitionErrors_data();
    void definitionErrors();
    void sandbox_data();
    void sandbox();
    void infiniteLoopIsInterrupted();
    void engineCallsAreBounded_data();
    void engineCallsAreBounded();
    void stateReadsAreBounded();
    void memoryBackstopIsChargedToOneEngine();
    void replacedBuiltinsDoNotChangeTheRuntime_data();
    void replacedBuiltinsDoNotChangeTheRuntime();
    void hugeStateIsStopped();
    void nonJsonStateIsReported();
    void seekMatchesFullReplay();
    void checkpointsAreBounded();
    void atTime();
    void blame();
    void divergence();
    void divergenceIgnoresKeyOrderAndFindsInitial();
    void divergenceReportsFailingSide();
    void divergenceWithLargeStates();
    void watchForwardAndBackward();
    void watchEventPredicates_data();
    void watchEventPredicates();
    void watchBadPredicate();
    void watchPredicateIsContained_data();
    void watchPredicateIsContained();
};

void TestProjection::apiForms_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<qint64>("at");
    QTest::addColumn<QString>("expected");   // ProjectionSnapshot::view()
    QTest::addColumn<QString>("result");     // transformBy/filterBy result ("" when none)

    QTest::newRow("fromAll $init + type handlers")
        << R"(fromAll().when({
              $init: function () { return { placed: 0, total: 0 }; },
              OrderPlaced: function (s, e) { s.placed++; s.total += e.data.amount; },
              OrderCancelled: function (s, e) { s.placed--; }
           }))" << kNoLimit << R"({"placed":2,"total":1030})" << "";
    QTest::newRow("fromAll at position 2")
        << R"(fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } }))"
        << qint64(2) << R"({"n":2})" << "";
    QTest::newRow("fromStream")
        << R"(fromStream('order-1').when({ $init: function () { return { types: [] }; },
              $any: function (s, e) { s.types.push(e.eventType + '@' + e.sequenceNumber); } }))"
        << kNoLimit << R"({"types":["OrderPlaced@0","OrderShipped@1"]})" << "";
    QTest::newRow("fromStreams list")
        << R"(fromStreams('order-2', 'payment-2').when({ $init: function () { return []; },
              $any: function (s, e) { s.push(e.streamId); } }))"
        << kNoLimit << R"(["order-2","payment-2","order-2"])" << "";
    QTest::newRow("fromStreams array")
        << R"(fromStreams(['payment-1', 'order-1']).when({ $init: function () { return []; },
              $any: function (s, e) { s.push(e.position); } }))"
        << kNoLimit << R"([1,3,4])" << "";
    QTest::newRow("fromCategory excludes orders-x and order")
        << R"(fromCategory('order').when({ $init: function () { return { streams: {} }; },
              $any: function (s, e) { s.streams[e.streamId] = (s.streams[e.streamId] || 0) + 1; } }))"
        << kNoLimit << R"({"streams":{"order-1":2,"order-2":2}})" << "";
    QTest::newRow("fromCategory foreachStream")
        << R"(fromCategory('payment').foreachStream().when({ $init: function () { return { seen: 0 }; },
              PaymentFailed: function (s, e) { s.seen++; s.failed = e.data.amount; },
              PaymentSucceeded: function (s, e) { s.seen++; s.paid = e.data.amount; } }))"
        << kNoLimit << R"({"partitions":{"payment-1":{"seen":1,"failed":10},"payment-2":{"seen":1,"paid":20}}})" << "";
    QTest::newRow("fromAll foreachStream")
        << R"(fromAll().foreachStream().when({ $any: function (s, e) { return (s.n ? s : { n: 0 }), { n: (s.n || 0) + 1 }; } }))"
        << qint64(4)
        << R"({"partitions":{"order-1":{"n":2},"order-2":{"n":1},"payment-1":{"n":1}}})" << "";
    QTest::newRow("fromStreamsMatching")
        << R"(fromStreamsMatching(function (streamId, e) { return streamId.indexOf('payment-') === 0; }).when({
              $init: function () { return { sum: 0 }; }, $any: function (s, e) { s.sum += e.body.amount; } }))"
        << kNoLimit << R"({"sum":30})" << "";
    QTest::newRow("partitionBy sku, null partition skipped")
        << R"(fromAll().partitionBy(function (e) { return e.body.sku; }).when({
              $init: function () { return { events: 0 }; }, $any: function (s, e) { s.events++; s.last = e.eventType; } }))"
        << kNoLimit
        << R"({"partitions":{"A":{"events":2,"last":"OrderShipped"},"B":{"events":2,"last":"OrderCancelled"},"Z":{"events":1,"last":"OrderPlaced"}}})" << "";
    QTest::newRow("partitionBy number name")
        << R"(fromCategory('order').partitionBy(function (e) { return e.body.amount ? e.body.amount : null; }).when({
              $any: function (s, e) { return { p: e.partition }; } }))"
        << kNoLimit << R"({"partitions":{"10":{"p":"10"},"20":{"p":"20"}}})" << "";
    QTest::newRow("$any listed first: only the typed events arrive, to their handler")
        << R"(fromStream('order-1').when({ $init: function () { return []; },
              $any: function (s, e) { s.push('any'); }, OrderShipped: function (s, e) { s.push('shipped'); } }))"
        << kNoLimit << R"(["shipped"])" << "";
    QTest::newRow("undefined keeps mutated, object replaces")
        << R"(fromStream('order-1').when({ $init: function () { return { a: 1 }; },
              OrderPlaced: function (s) { s.a++; },
              OrderShipped: function (s) { return { replaced: s.a }; } }))"
        << kNoLimit << R"({"replaced":2})" << "";
    QTest::newRow("no handlers: state is the last body")
        << R"(fromStream('payment-2').when({}))" << kNoLimit << R"({"order":"order-2","amount":20})" << "";
    QTest::newRow("number state")
        << R"(fromAll().when({ $init: function () { return 0; }, $any: function (s) { return s + 1; } }))"
        << qint64(5) << "5" << "";
    QTest::newRow("string state")
        << R"(fromStream('order-1').when({ $init: function () { return ''; }, $any: function (s, e) { return s + e.eventType[5]; } }))"
        << kNoLimit << R"("PS")" << "";
    QTest::newRow("null state")
        << R"(fromAll().when({ $any: function (s) { return null; } }))" << kNoLimit << "null" << "";
    QTest::newRow("no $init: state starts as {}")
        << R"(fromStream('order-2').when({ OrderCancelled: function (s) { s.cancelled = true; } }))"
        << kNoLimit << R"({"cancelled":true})" << "";
    QTest::newRow("$initShared bi-state")
        << R"(fromCategory('order').foreachStream().when({
              $init: function () { return { n: 0 }; }, $initShared: function () { return { all: 0 }; },
              $any: function (s, e) { s[0].n++; s[1].all++; } }))"
        << kNoLimit
        << R"({"partitions":{"order-1":{"n":2},"order-2":{"n":2}},"shared":{"all":4}})" << "";
    QTest::newRow("$created once per partition")
        << R"(fromAll().partitionBy(function (e) { return e.streamId.split('-')[0]; }).when({
              $init: function () { return { created: 0, n: 0 }; },
              $created: function (s, e) { s.created++; s.by = e.streamId; },
              $any: function (s) { s.n++; } }))"
        << kNoLimit
        << R"({"partitions":{"order":{"created":1,"n":5,"by":"order-1"},"payment":{"created":1,"n":2,"by":"payment-1"},"orders":{"created":1,"n":1,"by":"orders-x"}}})" << "";
    QTest::newRow("transformBy chain")
        << R"(fromAll().when({ $init: function () { return { t: 0 }; }, OrderPlaced: function (s, e) { s.t += e.data.amount; } })
              .transformBy(function (s) { return { total: s.t }; }).transformBy(function (s) { s.double = s.total * 2; return s; }))"
        << kNoLimit << R"({"t":1030})" << R"({"total":1030,"double":2060})";
    QTest::newRow("filterBy false gives null")
        << R"(fromAll().when({ $init: function () { return { t: 0 }; }, OrderPlaced: function (s, e) { s.t += e.data.amount; } })
              .filterBy(function (s) { return s.t > 5000; }).outputTo('big'))"
        << kNoLimit << R"({"t":1030})" << "null";
    QTest::newRow("outputState then filterBy true")
        << R"(options({ resultStreamName: 'r', $includeLinks: false, reorderEvents: false, processingLag: 0 });
              fromAll().when({ $init: function () { return { t: 0 }; }, OrderPlaced: function (s, e) { s.t += e.data.amount; } })
              .outputState().filterBy(function (s) { return s.t > 5; }))"
        << kNoLimit << R"({"t":1030})" << R"({"t":1030})";
    QTest::newRow("partitioned result per partition")
        << R"(fromCategory('payment').foreachStream().when({ $any: function (s, e) { s.a = e.body.amount; } })
              .transformBy(function (s) { return s.a * 10; }))"
        << kNoLimit << R"({"partitions":{"payment-1":{"a":10},"payment-2":{"a":20}}})"
        << R"({"payment-1":100,"payment-2":200})";
    // on_any() then on_event(): as when({$any, Misc}), only Misc arrives, and it runs its own handler.
    QTest::newRow("on_event and on_any globals")
        << R"(fromAll(); on_any(function (s) { s.n = (s.n || 0) + 1; }); on_event('Misc', function (s) { s.misc = true; });)"
        << kNoLimit << R"({"misc":true})" << "";
    QTest::newRow("on_any alone gets every event")
        << R"(fromAll(); on_any(function (s) { s.n = (s.n || 0) + 1; });)" << kNoLimit << R"({"n":8})" << "";
    QTest::newRow("helper functions at top level")
        << R"(function add(s, k) { s[k] = (s[k] || 0) + 1; }
              var counter = 0;
              fromAll().when({ $any: function (s, e) { add(s, e.eventType); counter++; s.counter = counter; } }))"
        << qint64(3) << R"({"OrderPlaced":2,"counter":3,"PaymentFailed":1})" << "";
    QTest::newRow("position 0 is the initial state")
        << R"(fromAll().when({ $init: function () { return { init: true }; }, $any: function (s) { s.n = 1; } }))"
        << qint64(0) << R"({"init":true})" << "";
}

void TestProjection::apiForms()
{
    QFETCH(QString, script);
    QFETCH(qint64, at);
    QFETCH(QString, expected);
    QFETCH(QString, result);
    Run r = load(script);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionSnapshot snap;
    ProjectionError err;
    QVERIFY2(r.replay->stateAt(at, &snap, &err), qPrintable(err.message));
    QCOMPARE(show(snap.view()), show(parseJsonValue(expected.toUtf8())));
    if (result.isEmpty())
        QVERIFY(snap.result.isUndefined());
    else
        QCOMPARE(show(snap.result), show(parseJsonValue(result.toUtf8())));
}

void TestProjection::eventFields()
{
    Run r = load(R"(fromStream('order-1').when({ $init: function () { return {}; },
        OrderShipped: function (s, e) {
            s.data = e.data; s.bodySame = e.body === e.data; s.bodyRaw = e.bodyRaw; s.eventType = e.eventType;
            s.streamId = e.streamId; s.sequenceNumber = e.sequenceNumber; s.metadata = e.metadata;
            s.metadataRaw = e.metadataRaw; s.partition = e.partition; s.isJson = e.isJson; s.category = e.category;
            s.eventId = typeof e.eventId; s.position = e.position; s.time = e.time; s.linkMetadata = e.linkMetadata;
        } }))");
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionSnapshot snap;
    QVERIFY(r.replay->stateAt(kNoLimit, &snap, &r.error));
    const QJsonValue expected = J(R"({"data":{"sku":"A"},"bodySame":true,"bodyRaw":"{\"sku\":\"A\"}","eventType":"OrderShipped",
        "streamId":"order-1","sequenceNumber":1,"metadata":{"$correlationId":"c-1","user":"ann"},
        "metadataRaw":"{\"$correlationId\":\"c-1\",\"user\":\"ann\"}","partition":"","isJson":true,"category":"order",
        "eventId":"string","position":4,"time":"2026-01-05T10:03:00.000Z","linkMetadata":{}})");
    QCOMPARE(show(snap.state), show(expected));

    // foreachStream: the partition is the stream.
    Run p = load(R"(fromCategory('order').foreachStream().when({ $any: function (s, e) { s.partition = e.partition; } }))");
    QVERIFY(p.replay->stateAt(kNoLimit, &snap, &p.error));
    QCOMPARE(show(snap.partition(QStringLiteral("order-2"))), QStringLiteral(R"({"partition":"order-2"})"));
}

void TestProjection::nonJsonPayload()
{
    Event raw = ev("log-1", "Line", R"("plain text, not JSON")");
    raw.dataIsJson = false;
    Run r = load(R"(fromAll().when({ $any: function (s, e) { s.isJson = e.isJson; s.raw = e.bodyRaw; s.body = typeof e.body; } }))",
                 numbered({raw}));
    ProjectionSnapshot snap;
    QVERIFY2(r.replay->stateAt(kNoLimit, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.state), QStringLiteral(R"({"body":"undefined","isJson":false,"raw":"plain text, not JSON"})"));
    // The default handler keeps such an event as {$e: raw}.
    Run d = load(QStringLiteral("fromAll().when({})"), numbered({raw}));
    QVERIFY(d.replay->stateAt(kNoLimit, &snap, &d.error));
    QCOMPARE(show(snap.state), QStringLiteral(R"({"$e":"plain text, not JSON"})"));
}

void TestProjection::handlerOrderV8Option()
{
    ProjectionLimits limits;
    limits.handlerOrder = HandlerOrder::V8AnyThenType;
    Run r = load(R"(fromStream('order-1').when({ $init: function () { return []; },
              $any: function (s, e) { s.push('any'); }, OrderShipped: function (s, e) { s.push('shipped'); } }))",
                 shopEvents(), limits);
    ProjectionSnapshot snap;
    QVERIFY(r.replay->stateAt(kNoLimit, &snap, &r.error));
    QCOMPARE(show(snap.state), QStringLiteral(R"(["any","shipped"])"));
}

// Which events reach the handlers and which handler runs, as KurrentDB builds the source definition from the
// when() keys in order (SourceDefinitionBuilder, ReaderStrategy, JintProjectionStateHandler). Each handler
// appends "name@position" to the state, so the trace shows both what was delivered and what ran.
void TestProjection::serverHandlerRules_data()
{
    QTest::addColumn<QString>("handlers");  // the when({...}) body, or a script of on_any/on_event calls
    QTest::addColumn<bool>("v8");
    QTest::addColumn<QString>("trace");
    const QString any = QStringLiteral("$any: function (s, e) { s.push('any@' + e.position); }");
    auto typed = [](const char* type) {
        return QStringLiteral("%1: function (s, e) { s.push('%1@' + e.position); }").arg(QLatin1String(type));
    };
    const QString init = QStringLiteral("$init: function () { return []; }");
    QTest::newRow("only $any: every event") << init + "," + any << false
        << R"(["any@1","any@2","any@3","any@4","any@5","any@6","any@7","any@8"])";
    QTest::newRow("only type handlers: their types") << init + "," + typed("OrderPlaced") + "," + typed("PaymentFailed") << false
        << R"(["OrderPlaced@1","OrderPlaced@2","PaymentFailed@3","OrderPlaced@6"])";
    QTest::newRow("$any first: only listed types, each to its handler")
        << init + "," + any + "," + typed("OrderPlaced") + "," + typed("PaymentFailed") << false
        << R"(["OrderPlaced@1","OrderPlaced@2","PaymentFailed@3","OrderPlaced@6"])";
    QTest::newRow("$any first, V8 order: listed types, $any then the type handler")
        << init + "," + any + "," + typed("OrderPlaced") + "," + typed("PaymentFailed") << true
        << R"(["any@1","OrderPlaced@1","any@2","OrderPlaced@2","any@3","PaymentFailed@3","any@6","OrderPlaced@6"])";
    QTest::newRow("only $any, V8 order: every event") << init + "," + any << true
        << R"(["any@1","any@2","any@3","any@4","any@5","any@6","any@7","any@8"])";
    QTest::newRow("$init after $any does not count") << any + "," + init << false
        << R"(["any@1","any@2","any@3","any@4","any@5","any@6","any@7","any@8"])";
    QTest::newRow("$created between $any and a type handler: only the type")
        << init + "," + any + ",$created: function (s, e) { s.push('created@' + e.position); }," + typed("OrderCancelled")
        << false << R"(["OrderCancelled@8"])";  // unpartitioned: $created never runs
    QTest::newRow("$created after $any: every event")
        << init + "," + any + ",$created: function (s, e) { s.push('created@' + e.position); }" << false
        << R"(["any@1","any@2","any@3","any@4","any@5","any@6","any@7","any@8"])";
    QTest::newRow("$initShared does not count")
        << "$initShared: function () { return {}; }," + init + ","
           "$any: function (s, e) { s[0].push('any@' + e.position); }, OrderShipped: function (s, e) { s[0].push('OrderShipped@' + e.position); }"
        << false << R"({"state":["OrderShipped@4"],"shared":{}})";
    QTest::newRow("on_any then on_event: only the type")
        << QStringLiteral("on_any(function (s, e) { (s.t = s.t || []).push('any@' + e.position); }); "
                          "on_event('OrderShipped', function (s, e) { (s.t = s.t || []).push('OrderShipped@' + e.position); });")
        << false << R"({"t":["OrderShipped@4"]})";
    QTest::newRow("on_any alone: every event")
        << QStringLiteral("on_any(function (s, e) { (s.t = s.t || []).push(e.position); });")
        << false << R"({"t":[1,2,3,4,5,6,7,8]})";
    QTest::newRow("no handlers: every event, the state is its body") << QString() << false << R"({"sku":"B"})";
}

void TestProjection::serverHandlerRules()
{
    QFETCH(QString, handlers);
    QFETCH(bool, v8);
    QFETCH(QString, trace);
    const QString script = handlers.startsWith(QLatin1String("on_")) ? QStringLiteral("fromAll(); ") + handlers
                                                                     : QStringLiteral("fromAll().when({ %1 });").arg(handlers);
    ProjectionLimits limits;
    limits.handlerOrder = v8 ? HandlerOrder::V8AnyThenType : HandlerOrder::TypeElseAny;
    Run r = load(script, shopEvents(), limits);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionSnapshot snap;
    QVERIFY2(r.replay->stateAt(kNoLimit, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.view()), show(parseJsonValue(trace.toUtf8())));
}

void TestProjection::typeHandlerBeforeAnyIsRefused_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<bool>("v8");
    QTest::addColumn<QString>("type");  // the type handler named in the message
    QTest::newRow("type then $any") << "fromAll().when({ OrderPlaced: function () {}, $any: function () {} });"
                                    << false << "OrderPlaced";
    QTest::newRow("V8 order refuses it too") << "fromAll().when({ OrderPlaced: function () {}, $any: function () {} });"
                                             << true << "OrderPlaced";
    QTest::newRow("$init, two types, $any") << "fromCategory('order').when({ $init: function () { return {}; },\n"
                                               " A: function () {}, B: function () {}, $any: function () {} });"
                                            << false << "B";
    QTest::newRow("$any, type, $any again via on_any")
        << "fromAll(); on_any(function () {}); on_event('X', function () {}); on_any(function () {});" << false << "X";
    QTest::newRow("partitioned") << "fromAll().foreachStream().when({ X: function () {}, $deleted: function () {},\n"
                                    " $any: function () {} });" << false << "X";
}

void TestProjection::typeHandlerBeforeAnyIsRefused()
{
    QFETCH(QString, script);
    QFETCH(bool, v8);
    QFETCH(QString, type);
    ProjectionLimits limits;
    limits.handlerOrder = v8 ? HandlerOrder::V8AnyThenType : HandlerOrder::TypeElseAny;
    ProjectionError err;
    QVERIFY(!JsProjection::fromSource(script, QStringLiteral("order.js"), limits, &err));
    QCOMPARE(err.kind, ProjectionError::Definition);
    QVERIFY2(err.message.startsWith(QLatin1String("order.js: Both AllEvents and specific event filters cannot be set")),
             qPrintable(err.message));
    QVERIFY2(err.message.contains(QStringLiteral("'%1' is listed before $any").arg(type)), qPrintable(err.message));
}

void TestProjection::mixedHandlersWarning_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<bool>("v8");
    QTest::addColumn<QString>("warning");  // "" when none
    QTest::newRow("mixed") << "fromAll().when({ $any: function () {}, A: function () {}, B: function () {} });" << false
                           << "$any is listed before type handlers, so only events of types A, B are delivered; other events "
                              "never reach $any, and each delivered event runs its own type handler, so $any runs for none";
    QTest::newRow("mixed, V8 order") << "fromAll().when({ $any: function () {}, A: function () {} });" << true
                                     << "$any is listed before type handlers, so only events of types A are delivered; "
                                        "other events never reach $any";
    QTest::newRow("only $any") << "fromAll().when({ $init: function () { return {}; }, $any: function () {} });" << false << "";
    QTest::newRow("only types") << "fromAll().when({ A: function () {} });" << false << "";
    QTest::newRow("no handlers") << "fromAll().when({});" << false << "";
}

void TestProjection::mixedHandlersWarning()
{
    QFETCH(QString, script);
    QFETCH(bool, v8);
    QFETCH(QString, warning);
    ProjectionLimits limits;
    limits.handlerOrder = v8 ? HandlerOrder::V8AnyThenType : HandlerOrder::TypeElseAny;
    ProjectionError err;
    auto p = JsProjection::fromSource(script, QStringLiteral("w.js"), limits, &err);
    QVERIFY2(p, qPrintable(err.message));
    QCOMPARE(p->definition().handlerWarning(), warning);
}

void TestProjection::wouldEmitIsRecordedNotWritten()
{
    Run r = load(R"(fromCategory('payment').when({
        PaymentFailed: function (s, e) {
            emit('alerts', 'PaymentAlert', { order: e.data.order }, { reason: 'failed' });
            linkTo('failed-payments', e);
            copyTo('audit', e, { $skip: 1, note: 'x' });
            linkStreamTo('all-payments', e.streamId);
        } }))");
    QVERIFY(r.projection);
    const qint64 before = r.reader->info().events;
    QVERIFY(r.replay->seek(kNoLimit, &r.error));
    qint64 total = 0;
    const QList<EmittedEvent> emitted = r.replay->takeEmitted(&total);
    QCOMPARE(total, 4);
    QCOMPARE(emitted.size(), 4);
    QCOMPARE(emitted[0].kind, QStringLiteral("emit"));
    QCOMPARE(emitted[0].stream, QStringLiteral("alerts"));
    QCOMPARE(emitted[0].type, QStringLiteral("PaymentAlert"));
    QCOMPARE(show(emitted[0].body), QStringLiteral(R"({"order":"order-1"})"));
    QCOMPARE(show(emitted[0].metadata), QStringLiteral(R"({"reason":"failed"})"));
    QCOMPARE(emitted[0].position, 3);
    QCOMPARE(emitted[1].kind, QStringLiteral("linkTo"));
    QCOMPARE(emitted[1].type, QStringLiteral("$>"));
    QCOMPARE(emitted[1].body.toString(), QStringLiteral("0@payment-1"));
    QCOMPARE(emitted[2].kind, QStringLiteral("copyTo"));
    QCOMPARE(emitted[2].type, QStringLiteral("PaymentFailed"));
    QCOMPARE(show(emitted[2].metadata), QStringLiteral(R"({"note":"x"})"));
    QCOMPARE(emitted[3].kind, QStringLiteral("linkStreamTo"));
    QCOMPARE(emitted[3].type, QStringLiteral("$@"));
    QCOMPARE(r.reader->info().events, before);  // nothing was written
    // emit() with bad arguments is an error that names the handler and event.
    Run bad = load(R"(fromAll().when({ OrderShipped: function (s, e) { emit('', 'X', {}); } }))");
    QVERIFY(!bad.replay->seek(kNoLimit, &bad.error));
    QVERIFY2(bad.error.message.contains(QLatin1String("emit(): streamId")), qPrintable(bad.error.message));
    QCOMPARE(bad.error.position, 4);
    QCOMPARE(bad.error.line, 1);
}

void TestProjection::logLines()
{
    Run r = load(R"(fromStream('order-1').when({ $any: function (s, e) { log('saw', e.eventType, { n: 1 }); } }))");
    QVERIFY(r.replay->seek(kNoLimit, &r.error));
    qint64 total = 0;
    const QList<ProjectionLogLine> lines = r.replay->takeLogs(&total);
    QCOMPARE(total, 2);
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines[0].position, 1);
    QCOMPARE(lines[0].text, QStringLiteral(R"(saw OrderPlaced {"n":1})"));
    QCOMPARE(lines[1].position, 4);
}

void TestProjection::deletedNotification()
{
    QList<Event> events = numbered({
        ev("cart-1", "ItemAdded", R"({"n":1})"),
        ev("cart-2", "ItemAdded", R"({"n":2})"),
        ev("cart-1", "$streamDeleted", R"({})"),
        ev("cart-2", "ItemAdded", R"({"n":3})"),
    });
    Run r = load(R"(fromCategory('cart').foreachStream().when({ $init: function () { return { items: 0 }; },
        ItemAdded: function (s, e) { s.items++; },
        $deleted: function (s, e, partition, soft) { s.deleted = partition; s.soft = soft; } }))", events);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionSnapshot snap;
    QVERIFY2(r.replay->stateAt(kNoLimit, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.view()),
             show(J(R"({"partitions":{"cart-1":{"items":1,"deleted":"cart-1","soft":false},"cart-2":{"items":2}}})")));
}

void TestProjection::definitionErrors_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("needle");
    QTest::newRow("syntax error") << "fromAll().when({\n  $any: function (s, e) {\n    s.x = ;\n  }\n});"
                                  << int(ProjectionError::Syntax) << 3 << "SyntaxError";
    QTest::newRow("no selector") << "var x = 1;" << int(ProjectionError::Definition) << 0 << "selects no events";
    QTest::newRow("two selectors") << "fromAll();\nfromStream('a');" << int(ProjectionError::Definition) << 2
                                   << "fromStream() was called after fromAll()";
    QTest::newRow("unknown option") << "options({ colour: 'red' });\nfromAll();" << int(ProjectionError::Definition) << 1
                                    << "Unrecognized option: colour";
    QTest::newRow("foreachStream after fromStream") << "fromStream('a')\n  .foreachStream();"
                                                    << int(ProjectionError::Definition) << 2 << "foreachStream";
    QTest::newRow("handler not a function") << "fromAll().when({ X: 3 });" << int(ProjectionError::Definition) << 1
                                            << "handler 'X' in when() is not a function";
    QTest::newRow("throw at top level") << "fromAll();\nthrow new Error('nope');" << int(ProjectionError::Definition)
                                        << 2 << "nope";
    QTest::newRow("import") << "import x from 'fs';\nfromAll();" << int(ProjectionError::Syntax) << 1
                            << "cannot load modules";
    QTest::newRow("dynamic import") << "fromAll().when({ $any: function () { import('/etc/passwd'); } });"
                                    << int(ProjectionError::Syntax) << 1 << "cannot load modules";
    QTest::newRow("$deleted without foreachStream") << "fromAll().partitionBy(function (e) { return e.streamId; })\n"
                                                       "  .when({ $deleted: function () {} });"
                                                    << int(ProjectionError::Definition) << 0
                                                    << "Deleted stream notifications are only supported with foreachStream()";
    QTest::newRow("require at top level") << "var fs = require('fs');\nfromAll();" << int(ProjectionError::Definition)
                                          << 1 << "require() is not available";
}

void TestProjection::definitionErrors()
{
    QFETCH(QString, script);
    QFETCH(int, kind);
    QFETCH(int, line);
    QFETCH(QString, needle);
    ProjectionError err;
    auto p = JsProjection::fromSource(script, QStringLiteral("bad.js"), {}, &err);
    QVERIFY(!p);
    QCOMPARE(int(err.kind), kind);
    QCOMPARE(err.line, line);
    QVERIFY2(err.message.contains(needle), qPrintable(err.message));
    QVERIFY2(err.message.startsWith(QLatin1String("bad.js")), qPrintable(err.message));
}

void TestProjection::sandbox_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<QString>("needle");
    QTest::addColumn<int>("line");
    QTest::addColumn<qint64>("position");
    QTest::newRow("require") << "fromAll().when({\n  OrderShipped: function (s, e) { require('fs'); }\n});"
                             << "require() is not available" << 2 << qint64(4);
    QTest::newRow("fetch") << "fromAll().when({\n  PaymentFailed: function (s, e) {\n fetch('http://example.com'); }\n});"
                           << "fetch() is not available" << 3 << qint64(3);
    QTest::newRow("XMLHttpRequest") << "fromAll().when({ OrderCancelled: function (s, e) { new XMLHttpRequest(); } });"
                                    << "XMLHttpRequest is not available" << 1 << qint64(8);
    QTest::newRow("throws on some events")
        << "fromAll().when({\n  $any: function (s, e) {\n    if (e.data.amount === 20)\n      throw new Error('bad amount ' + e.data.amount);\n  }\n});"
        << "Error: bad amount 20" << 4 << qint64(2);
    QTest::newRow("type error on some events")
        << "fromAll().when({\n  $any: function (s, e) { s.x = e.data.missing.deeper; }\n});"
        << "TypeError" << 2 << qint64(1);
    QTest::newRow("throws a string") << "fromAll().when({ PaymentSucceeded: function () { throw 'oops'; } });"
                                     << "uncaught exception: oops" << 0 << qint64(7);
    QTest::newRow("partitionBy throws") << "fromAll().partitionBy(function (e) {\n return e.data.nope.x; }).when({});"
                                        << "in handler partitionBy" << 2 << qint64(1);
    QTest::newRow("partitionBy returns an object") << "fromAll().partitionBy(function (e) { return {}; }).when({});"
                                                   << "must return a string or a number" << 0 << qint64(1);
    QTest::newRow("runaway recursion") << "function f(n) { return f(n + 1) + 1; }\nfromAll().when({ $any: function () { f(0); } });"
                                       << "RangeError" << 0 << qint64(1);
    QTest::newRow("fromAll inside a handler") << "fromAll().when({ $any: function () { fromAll(); } });"
                                              << "can only be called while the projection is being defined" << 1 << qint64(1);
}

void TestProjection::sandbox()
{
    QFETCH(QString, script);
    QFETCH(QString, needle);
    QFETCH(int, line);
    QFETCH(qint64, position);
    Run r = load(script);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionSnapshot snap;
    QVERIFY(!r.replay->stateAt(kNoLimit, &snap, &r.error));
    QVERIFY2(r.error.message.contains(needle), qPrintable(r.error.message));
    QCOMPARE(r.error.kind, ProjectionError::Runtime);
    QCOMPARE(r.error.position, position);
    if (line > 0)
        QCOMPARE(r.error.line, line);
    QVERIFY2(r.error.message.contains(QStringLiteral("position %1").arg(position)), qPrintable(r.error.message));
    QVERIFY2(r.error.message.startsWith(QLatin1String("test.js")), qPrintable(r.error.message));
    // The state before the failing event is still reachable.
    QVERIFY2(r.replay->stateAt(position - 1, &snap, &r.error), qPrintable(r.error.message));
}

void TestProjection::infiniteLoopIsInterrupted()
{
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 300;
    Run r = load("fromAll().when({\n  $init: function () { return { n: 0 }; },\n  OrderPlaced: function (s) { s.n++; },\n"
                 "  PaymentFailed: function (s, e) { while (true) {} }\n});", shopEvents(), limits);
    QVERIFY(r.projection);
    QElapsedTimer t;
    t.start();
    ProjectionSnapshot snap;
    QVERIFY(!r.replay->stateAt(kNoLimit, &snap, &r.error));
    QCOMPARE(r.error.kind, ProjectionError::Timeout);
    QVERIFY(t.elapsed() >= 300);
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    QCOMPARE(r.error.position, 3);
    QCOMPARE(r.error.handler, QStringLiteral("PaymentFailed"));
    QVERIFY2(r.error.message.contains(QLatin1String("interrupted after")), qPrintable(r.error.message));
    QVERIFY2(r.error.message.contains(QLatin1String("handler PaymentFailed for event at position 3")), qPrintable(r.error.message));
    // The engine stays usable: earlier states still come, without a spurious interrupt.
    QVERIFY2(r.replay->stateAt(2, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.state), QStringLiteral(R"({"n":2})"));

    // A loop at the top level of the script is interrupted too.
    ProjectionError err;
    QVERIFY(!JsProjection::fromSource("fromAll();\nfor (;;) {}", QStringLiteral("loop.js"), limits, &err));
    QCOMPARE(err.kind, ProjectionError::Timeout);
    // And a predicate that never returns.
    Run w = load("fromAll().when({ $any: function (s) { } });", shopEvents(), limits);
    WatchHit hit;
    QVERIFY(!w.replay->watch(QStringLiteral("(function () { for (;;) {} })"), 0, false, false, &hit, &w.error));
    QCOMPARE(w.error.kind, ProjectionError::Timeout);
    QCOMPARE(w.error.handler, QStringLiteral("watch predicate"));
}

// Every call into the engine is bounded in time, and built-ins that cannot be interrupted refuse oversized work
// before they start. Each row must end in seconds with a clear error (limits: 500 ms, 1 MB of state).
void TestProjection::engineCallsAreBounded_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("needle");
    QTest::newRow("toJSON on Object.prototype loops while the state is shown")
        << "Object.prototype.toJSON = function () { for (;;) {} };\n"
           "fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } });"
        << int(ProjectionError::Timeout) << "in handler state serialization";
    QTest::newRow("huge array fill") << "fromAll().when({ $any: function (s) { s.a = new Array(3e8).fill(); } });"
                                     << int(ProjectionError::Memory) << "Array.prototype.fill() on 300000000 elements";
    QTest::newRow("huge-length array in the state")
        << "fromAll().when({ $any: function (s) { var a = []; a.length = 4294967295; s.a = a; } });"
        << int(ProjectionError::StateTooLarge) << "grew beyond 1 MB";
    QTest::newRow("JSON.stringify of a huge-length array")
        << "fromAll().when({ $any: function (s) { var a = []; a.length = 4294967295; s.t = JSON.stringify(a).length; } });"
        << int(ProjectionError::Memory) << "JSON.stringify() of more than";
    QTest::newRow("join of a huge-length array")
        << "fromAll().when({ $any: function (s) { var a = []; a.length = 4294967295; s.t = String(a).length; } });"
        << int(ProjectionError::Memory) << "Array.prototype.join()";
    QTest::newRow("Array.from a huge length")
        << "fromAll().when({ $any: function (s) { s.n = Array.from({ length: 4294967295 }).length; } });"
        << int(ProjectionError::Memory) << "Array.from()";
    QTest::newRow("huge typed array") << "fromAll().when({ $any: function (s) { s.n = new Float64Array(1e9).length; } });"
                                      << int(ProjectionError::Memory) << "new Float64Array()";
    QTest::newRow("replaced JSON.stringify") << "JSON.stringify = function () { return undefined; };\nfromAll().when({});"
                                             << int(ProjectionError::Definition) << "JSON.stringify cannot be replaced";
    QTest::newRow("redefined JSON.parse")
        << "Object.defineProperty(JSON, 'parse', { value: function () { return {}; } });\nfromAll().when({});"
        << int(ProjectionError::Definition) << "TypeError";
    QTest::newRow("log of a huge-length array is cut, a loop in toJSON is interrupted")
        << "fromAll().when({ $any: function (s) { var a = []; a.length = 4294967295; log(a);\n"
           "  log({ toJSON: function () { for (;;) {} } }); } });"
        << int(ProjectionError::Timeout) << "in handler $any for event at position 1";
}

void TestProjection::engineCallsAreBounded()
{
    QFETCH(QString, script);
    QFETCH(int, kind);
    QFETCH(QString, needle);
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 500;
    limits.maxStateBytes = 1024 * 1024;
    QElapsedTimer t;
    t.start();
    Run r = load(script, shopEvents(), limits);
    ProjectionError err = r.error;
    if (r.projection) {
        ProjectionSnapshot snap;
        QVERIFY(!r.replay->stateAt(kNoLimit, &snap, &err));
    }
    QVERIFY2(t.elapsed() < 10000, qPrintable(QString::number(t.elapsed())));
    QVERIFY2(int(err.kind) == kind, qPrintable(ProjectionError::kindName(err.kind) + QStringLiteral(": ") + err.message));
    QVERIFY2(err.message.contains(needle), qPrintable(err.message));
    QVERIFY2(err.message.startsWith(QLatin1String("test.js")), qPrintable(err.message));
}

// Reads the runtime makes on the projection's behalf (a partition's or the shared state, records) are bounded too.
void TestProjection::stateReadsAreBounded()
{
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 300;
    limits.maxStateBytes = 1024 * 1024;
    Run r = load(R"(var count = 0; fromAll().foreachStream().when({ $initShared: function () { return {}; },
        $any: function (s, e) { count++; emit('out', 'Seen', { p: count }); log('saw', count);
                                if (count === 2) Object.prototype.toJSON = function () { for (;;) {} }; } }))",
                 shopEvents(), limits);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ProjectionError err;
    QString part;
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < 2; ++i)
        QCOMPARE(r.projection->process(shopEvents().at(i), &part, &err), JsProjection::Outcome::Handled);
    QVERIFY(r.projection->partitionState(QStringLiteral("order-1"), &err).isEmpty());
    QCOMPARE(err.kind, ProjectionError::Timeout);
    err = {};
    QVERIFY(r.projection->sharedState(&err).isEmpty());
    QCOMPARE(err.kind, ProjectionError::Timeout);
    // Records are taken as they were kept: the projection's toJSON does not run.
    qint64 total = 0;
    const QList<EmittedEvent> emitted = r.projection->takeEmitted(&total);
    QCOMPARE(total, 2);
    QCOMPARE(show(emitted.value(1).body), QStringLiteral(R"({"p":2})"));
    QCOMPARE(r.projection->takeLogs(&total).value(0).text, QStringLiteral("saw 1"));
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
}

// The process-growth backstop only charges a call while it is the only engine call running: another engine that
// allocates meanwhile (its own call, on another thread) does not stop this one.
void TestProjection::memoryBackstopIsChargedToOneEngine()
{
#ifndef Q_OS_LINUX
    QSKIP("the process-growth backstop reads /proc/self/statm (Linux only)");
#endif
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 10000;
    limits.maxHandlerMemoryBytes = 64LL * 1024 * 1024;
    ProjectionLimits bigLimits = limits;  // B may grow by 200 MB; A, busy meanwhile, by 64 MB
    bigLimits.maxHandlerMemoryBytes = 1024LL * 1024 * 1024;
    ProjectionError errA, errB;
    JsProjection::Outcome outA = JsProjection::Outcome::Failed, outB = JsProjection::Outcome::Failed;
    std::atomic<bool> aStarted{false};
    std::thread a([&] {
        auto p = JsProjection::fromSource(R"(fromAll().when({ $any: function (s) {
            var t = Date.now(); while (Date.now() - t < 1500) {} s.done = true; } }))", QStringLiteral("busy.js"), limits, &errA);
        if (!p)
            return;
        aStarted = true;
        outA = p->process(shopEvents().first(), nullptr, &errA);
    });
    std::thread b([&] {
        auto p = JsProjection::fromSource(R"(fromAll().when({ $any: function (s) {
            s.big = []; for (var i = 0; i < 25; i++) s.big.push('x'.repeat(4 * 1024 * 1024 + i)); } }))",
                                          QStringLiteral("big.js"), bigLimits, &errB);
        if (!p)
            return;
        while (!aStarted)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        outB = p->process(shopEvents().first(), nullptr, &errB);
        std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // keep its memory while A runs on
    });
    a.join();
    b.join();
    QVERIFY2(outB == JsProjection::Outcome::Handled, qPrintable(errB.message));
    QVERIFY2(outA == JsProjection::Outcome::Handled, qPrintable(errA.message));
}

void TestProjection::replacedBuiltinsDoNotChangeTheRuntime_data()
{
    QTest::addColumn<QString>("prologue");
    QTest::newRow("Map.prototype.forEach") << "Map.prototype.forEach = function () {};";
    QTest::newRow("Map.prototype.get/set/has")
        << "Map.prototype.get = function () { return 0; }; Map.prototype.set = function () {}; Map.prototype.has = function () { return false; };";
    QTest::newRow("Map") << "Map = function () { return {}; };";
    QTest::newRow("Object.keys") << "Object.keys = function () { return []; };";
    QTest::newRow("Function.prototype.call/apply")
        << "Function.prototype.call = function () { return 0; }; Function.prototype.apply = function () { return 0; };";
    QTest::newRow("Array.prototype.push/slice/join")
        << "Array.prototype.push = function () {}; Array.prototype.slice = function () { return []; }; Array.prototype.join = function () { return ''; };";
    QTest::newRow("Array.isArray and String") << "Array.isArray = function () { return true; }; String = function () { return ''; };";
}

void TestProjection::replacedBuiltinsDoNotChangeTheRuntime()
{
    QFETCH(QString, prologue);
    const QString script = prologue + QStringLiteral(R"(
        fromCategory('order').foreachStream().when({ $init: function () { return { n: 0 }; },
            $any: function (s, e) { s.n += 1; emit('copy', 'Seen', { at: e.position }); log('at', e.position); } }))");
    Run r = load(script);
    QVERIFY2(r.projection, qPrintable(r.error.message));
    ReplayTuning tuning;
    ProjectionSnapshot snap;
    QVERIFY2(r.replay->stateAt(kNoLimit, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.view()), QStringLiteral(R"({"partitions":{"order-1":{"n":2},"order-2":{"n":2}}})"));
    qint64 total = 0;
    QCOMPARE(r.replay->takeEmitted(&total).size(), 4);
    QCOMPARE(r.replay->takeLogs(&total).value(0).text, QStringLiteral("at 1"));
    // And through a checkpoint: restore and seek back.
    QVERIFY2(r.replay->stateAt(4, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.partition(QStringLiteral("order-1"))), QStringLiteral(R"({"n":2})"));
}

void TestProjection::hugeStateIsStopped()
{
    // The limit counts characters of the JSON text: 5 strings of 2 M characters in one event pass 8 MB. The count
    // stops the serialization before the text is made.
    ProjectionLimits eight;
    eight.maxStateBytes = 8 * 1024 * 1024;
    Run r = load(R"(fromStream('order-1').when({ OrderPlaced: function (s) {
        s.big = []; for (var i = 0; i < 5; i++) s.big.push('x'.repeat(2 * 1024 * 1024)); } }))", shopEvents(), eight);
    QVERIFY(r.projection);
    ProjectionSnapshot snap;
    QVERIFY(!r.replay->stateAt(kNoLimit, &snap, &r.error));
    QVERIFY2(r.error.kind == ProjectionError::StateTooLarge, qPrintable(r.error.message));
    QVERIFY2(r.error.message.contains(QLatin1String("beyond 8 MB")), qPrintable(r.error.message));
    // One string beyond the limit is refused where it is made (String.prototype.repeat is guarded).
    Run one = load(R"(fromStream('order-1').when({ OrderPlaced: function (s) { s.big = 'x'.repeat(110 * 1024 * 1024); } }))");
    QVERIFY(!one.replay->stateAt(kNoLimit, &snap, &one.error));
    QVERIFY2(one.error.kind == ProjectionError::Memory, qPrintable(one.error.message));
    QCOMPARE(one.error.position, 1);
    // A state that grows a little per event hits the limit at a checkpoint (small limit here to keep it fast).
    ProjectionLimits limits;
    limits.maxStateBytes = 1000;
    ReplayTuning tuning;
    tuning.checkpointEveryHandled = 2;
    QList<Event> many;
    for (int i = 0; i < 200; ++i)
        many << ev(QStringLiteral("s-%1").arg(i), "E", R"({"v":"0123456789"})");
    Run g = load(R"(fromAll().when({ $init: function () { return []; }, E: function (s, e) { s.push(e.data.v); } }))",
                 numbered(many), limits, tuning);
    QVERIFY(!g.replay->seek(kNoLimit, &g.error));
    QCOMPARE(g.error.kind, ProjectionError::StateTooLarge);
    QVERIFY2(g.error.position > 50 && g.error.position < 100, qPrintable(g.error.message));
}

void TestProjection::nonJsonStateIsReported()
{
    Run r = load(R"(fromAll().when({ $any: function (s) { s.self = s; } }))");
    ProjectionSnapshot snap;
    QVERIFY(!r.replay->stateAt(kNoLimit, &snap, &r.error));
    QCOMPARE(r.error.kind, ProjectionError::StateNotJson);
    QVERIFY2(r.error.message.contains(QLatin1String("circular")), qPrintable(r.error.message));
    Run f = load(R"(fromAll().when({ $any: function (s) { return function () {}; } }))");
    QVERIFY(!f.replay->stateAt(kNoLimit, &snap, &f.error));
    QCOMPARE(f.error.kind, ProjectionError::StateNotJson);
}

void TestProjection::seekMatchesFullReplay()
{
    // 600 events over 30 streams; a partitioned and an unpartitioned projection; checkpoints every few events.
    QList<Event> events;
    auto* rng = QRandomGenerator::global();
    for (int i = 0; i < 600; ++i) {
        const int stream = int(rng->bounded(30));
        events << ev(QStringLiteral("acct-%1").arg(stream), rng->bounded(3) ? "Deposited" : "Withdrawn",
                     QStringLiteral(R"({"amount":%1})").arg(rng->bounded(100)).toUtf8());
    }
    events = numbered(events);
    const QStringList scripts = {
        R"(fromCategory('acct').foreachStream().when({ $init: function () { return { balance: 0, n: 0 }; },
            Deposited: function (s, e) { s.balance += e.data.amount; s.n++; },
            Withdrawn: function (s, e) { s.balance -= e.data.amount; s.n++; } }))",
        R"(fromAll().when({ $init: function () { return { total: 0, last: null }; },
            $any: function (s, e) { s.total += (e.eventType === 'Deposited' ? 1 : -1) * e.data.amount; s.last = e.position; } }))",
    };
    for (const QString& script : scripts) {
        ReplayTuning tuning;
        tuning.checkpointEveryHandled = 7;
        tuning.maxCheckpoints = 16;  // forces thinning
        Run r = load(script, events, {}, tuning);
        QVERIFY(r.projection);
        QVERIFY(r.replay->seek(kNoLimit, &r.error));
        QVERIFY(r.replay->checkpointCount() <= 16);
        QVERIFY(r.replay->checkpointCount() >= 8);
        for (int k = 0; k < 40; ++k) {
            const qint64 at = qint64(rng->bounded(601));
            ProjectionSnapshot seeked, fresh;
            QVERIFY(r.replay->stateAt(at, &seeked, &r.error));
            Run ref = load(script, events);
            QVERIFY(ref.replay->stateAt(at, &fresh, &ref.error));
            QCOMPARE(show(seeked.view()), show(fresh.view()));
            QCOMPARE(seeked.position, at);
        }
    }
}

void TestProjection::checkpointsAreBounded()
{
    QList<Event> events;
    for (int i = 0; i < 3000; ++i)
        events << ev(QStringLiteral("s-%1").arg(i % 10), "E", R"({})");
    ReplayTuning tuning;
    tuning.checkpointEveryHandled = 10;
    tuning.maxCheckpoints = 20;
    Run r = load(R"(fromAll().when({ $init: function () { return 0; }, E: function (s) { return s + 1; } }))",
                 numbered(events), {}, tuning);
    QVERIFY(r.replay->seek(kNoLimit, &r.error));
    QVERIFY(r.replay->checkpointCount() <= 20);
    // Seeking anywhere replays at most about one checkpoint interval.
    const qint64 handledBefore = r.replay->eventsHandled();
    ProjectionSnapshot snap;
    QVERIFY(r.replay->stateAt(1234, &snap, &r.error));
    QCOMPARE(snap.state.toInt(), 1234);
    QVERIFY2(r.replay->eventsHandled() - handledBefore <= 3000 / 20 * 2,
             qPrintable(QString::number(r.replay->eventsHandled() - handledBefore)));
}

void TestProjection::atTime()
{
    Run r = load(R"(fromAll().when({ $init: function () { return 0; }, $any: function (s) { return s + 1; } }))");
    QString err;
    QCOMPARE(r.replay->positionAtTime(*parseTime(u"2026-01-05T10:02:30Z"), &err), 3);
    QCOMPARE(r.replay->positionAtTime(*parseTime(u"2026-01-05T09:00:00Z"), &err), 0);
    QCOMPARE(r.replay->positionAtTime(*parseTime(u"2027-01-01T00:00:00Z"), &err), 8);
}

void TestProjection::blame()
{
    const QString script = R"(fromAll().partitionBy(function (e) { return e.body.sku || (e.body.order ? 'pay' : null); }).when({
        $init: function () { return { count: 0, status: 'new' }; },
        OrderPlaced: function (s, e) { s.count++; s.status = 'placed'; },
        OrderShipped: function (s) { s.status = 'shipped'; },
        OrderCancelled: function (s) { s.status = 'cancelled'; },
        PaymentFailed: function (s) { s.touched = true; },
        PaymentSucceeded: function (s) { s.touched = true; } }))";
    ReplayTuning tuning;
    tuning.checkpointEveryHandled = 2;  // the answers lie in different checkpoint intervals
    Run r = load(script, shopEvents(), {}, tuning);
    QVERIFY(r.projection);
    ProjectionBlame b;
    QVERIFY2(r.replay->blame(kNoLimit, QStringLiteral("/partitions/A/status"), &b, &r.error), qPrintable(r.error.message));
    QVERIFY(b.found);
    QCOMPARE(b.event.position, 4);
    QCOMPARE(b.partition, QStringLiteral("A"));
    QCOMPARE(b.value.toString(), QStringLiteral("shipped"));
    QVERIFY(r.replay->blame(3, QStringLiteral("/partitions/A/status"), &b, &r.error));
    QCOMPARE(b.event.position, 1);
    QVERIFY(r.replay->blame(kNoLimit, QStringLiteral("/partitions/A/count"), &b, &r.error));
    QCOMPARE(b.event.position, 1);
    QVERIFY(r.replay->blame(kNoLimit, QStringLiteral("/partitions/B"), &b, &r.error));
    QCOMPARE(b.event.position, 8);
    // Both payment handlers set `touched`, but it only changes on the first of the partition.
    QVERIFY(r.replay->blame(kNoLimit, QStringLiteral("/partitions/pay/touched"), &b, &r.error));
    QCOMPARE(b.event.position, 3);
    // A value nothing ever set.
    QVERIFY(r.replay->blame(kNoLimit, QStringLiteral("/partitions/A/nothing"), &b, &r.error));
    QVERIFY(!b.found);
    QVERIFY(b.value.isUndefined());
    // Not a pointer into this state.
    QVERIFY(!r.replay->blame(kNoLimit, QStringLiteral("/total"), &b, &r.error));
    QVERIFY(!r.replay->blame(kNoLimit, QStringLiteral("total"), &b, &r.error));

    Run u = load(R"(fromAll().when({ $init: function () { return { total: 0, n: 0 }; },
        OrderPlaced: function (s, e) { s.total += e.data.amount; s.n++; }, OrderCancelled: function (s) { s.n++; } }))",
                 shopEvents(), {}, tuning);
    QVERIFY(u.replay->blame(kNoLimit, QStringLiteral("/total"), &b, &u.error));
    QCOMPARE(b.event.position, 6);
    QCOMPARE(b.value.toInt(), 1030);
    QVERIFY(u.replay->blame(5, QStringLiteral("/total"), &b, &u.error));
    QCOMPARE(b.event.position, 2);
    QVERIFY(u.replay->blame(kNoLimit, QStringLiteral(""), &b, &u.error));
    QCOMPARE(b.event.position, 8);
}

void TestProjection::divergence()
{
    // v1 counts every payment attempt as revenue; v2 only succeeded ones and subtracts refunds.
    QList<Event> events = numbered({
        ev("order-1", "OrderPlaced", R"({"amount":10})"),
        ev("payment-1", "PaymentSucceeded", R"({"amount":10})"),
        ev("order-2", "OrderPlaced", R"({"amount":20})"),
        ev("payment-2", "PaymentSucceeded", R"({"amount":20})"),
        ev("payment-3", "PaymentFailed", R"({"amount":30})"),      // 5: v1 counts it, v2 does not
        ev("payment-3", "PaymentSucceeded", R"({"amount":30})"),
        ev("payment-1", "PaymentRefunded", R"({"amount":10})"),
    });
    const QString v1 = R"(fromCategory('payment').when({ $init: function () { return { revenue: 0 }; },
        PaymentSucceeded: function (s, e) { s.revenue += e.data.amount; },
        PaymentFailed: function (s, e) { s.revenue += e.data.amount; } }))";
    const QString v2 = R"(fromCategory('payment').when({ $init: function () { return { revenue: 0 }; },
        PaymentSucceeded: function (s, e) { s.revenue += e.data.amount; },
        PaymentRefunded: function (s, e) { s.revenue -= e.data.amount; } }))";
    ProjectionError err;
    auto a = JsProjection::fromSource(v1, QStringLiteral("v1.js"), {}, &err);
    auto b = JsProjection::fromSource(v2, QStringLiteral("v2.js"), {}, &err);
    QVERIFY(a && b);
    MemoryReader reader(events);
    DivergenceResult d;
    QVERIFY2(findDivergence(*a, *b, reader, &d, &err), qPrintable(err.message));
    QVERIFY(d.found);
    QVERIFY(!d.initial);
    QCOMPARE(d.event.position, 5);
    QCOMPARE(d.event.type, QStringLiteral("PaymentFailed"));
    QCOMPARE(show(d.a.state), QStringLiteral(R"({"revenue":60})"));
    QCOMPARE(show(d.b.state), QStringLiteral(R"({"revenue":30})"));

    // The same projection twice never diverges; a run can be repeated (both are reset).
    auto a2 = JsProjection::fromSource(v1, QStringLiteral("v1b.js"), {}, &err);
    QVERIFY(findDivergence(*a, *a2, reader, &d, &err));
    QVERIFY(!d.found);
    QCOMPARE(show(d.a.state), QStringLiteral(R"({"revenue":90})"));
    QCOMPARE(d.eventsHandled, 4);  // v1 has no handler for PaymentRefunded

    // Partitioned: the first partition that differs.
    const QString p1 = R"(fromAll().foreachStream().when({ $any: function (s, e) { s.n = (s.n || 0) + 1; } }))";
    const QString p2 = R"(fromAll().foreachStream().when({ $any: function (s, e) {
        s.n = (s.n || 0) + (e.streamId === 'payment-1' && e.sequenceNumber > 0 ? 2 : 1); } }))";
    auto pa = JsProjection::fromSource(p1, QStringLiteral("p1.js"), {}, &err);
    auto pb = JsProjection::fromSource(p2, QStringLiteral("p2.js"), {}, &err);
    QVERIFY(findDivergence(*pa, *pb, reader, &d, &err));
    QVERIFY(d.found);
    QCOMPARE(d.event.position, 7);
    QCOMPARE(d.partition, QStringLiteral("payment-1"));
    QCOMPARE(show(d.a.partition(QStringLiteral("payment-1"))), QStringLiteral(R"({"n":2})"));
    QCOMPARE(show(d.b.partition(QStringLiteral("payment-1"))), QStringLiteral(R"({"n":3})"));

    // Bi-state: only the shared state differs.
    const QString s1 = R"(fromAll().foreachStream().when({ $initShared: function () { return { n: 0 }; },
        $any: function (s, e) { s[0].seen = true; s[1].n += 1; } }))";
    const QString s2 = R"(fromAll().foreachStream().when({ $initShared: function () { return { n: 0 }; },
        $any: function (s, e) { s[0].seen = true; s[1].n += e.position === 6 ? 2 : 1; } }))";
    auto sa = JsProjection::fromSource(s1, QStringLiteral("s1.js"), {}, &err);
    auto sb = JsProjection::fromSource(s2, QStringLiteral("s2.js"), {}, &err);
    QVERIFY(findDivergence(*sa, *sb, reader, &d, &err));
    QVERIFY(d.found);
    QCOMPARE(d.event.position, 6);
    QCOMPARE(show(d.a.shared), QStringLiteral(R"({"n":6})"));
    QCOMPARE(show(d.b.shared), QStringLiteral(R"({"n":7})"));

    // Different selectors: B sees events A does not.
    auto all = JsProjection::fromSource(R"(fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } }))",
                                        QStringLiteral("all.js"), {}, &err);
    auto orders = JsProjection::fromSource(R"(fromCategory('order').when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } }))",
                                           QStringLiteral("orders.js"), {}, &err);
    QVERIFY(findDivergence(*all, *orders, reader, &d, &err));
    QCOMPARE(d.event.position, 2);

    // Cancel stops it.
    CancelToken cancel;
    cancel.cancel();
    QList<Event> many;
    for (int i = 0; i < 5000; ++i)
        many << ev("s-1", "E", "{}");
    MemoryReader big(numbered(many));
    auto all2 = JsProjection::fromSource(R"(fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } }))",
                                         QStringLiteral("all2.js"), {}, &err);
    QVERIFY(!findDivergence(*all, *all2, big, &d, &err, cancel));
    QCOMPARE(err.kind, ProjectionError::Cancelled);
}

void TestProjection::divergenceIgnoresKeyOrderAndFindsInitial()
{
    ProjectionError err;
    auto a = JsProjection::fromSource(R"(fromAll().when({ $init: function () { return {}; },
        $any: function (s, e) { s.x = e.position; s.y = 1; } }))", QStringLiteral("a.js"), {}, &err);
    auto b = JsProjection::fromSource(R"(fromAll().when({ $init: function () { return {}; },
        $any: function (s, e) { s.y = 1; s.x = e.position; } }))", QStringLiteral("b.js"), {}, &err);
    MemoryReader reader(shopEvents());
    DivergenceResult d;
    QVERIFY(findDivergence(*a, *b, reader, &d, &err));
    QVERIFY(!d.found);
    auto c = JsProjection::fromSource(R"(fromAll().when({ $init: function () { return { v: 2 }; } }))",
                                      QStringLiteral("c.js"), {}, &err);
    QVERIFY(findDivergence(*a, *c, reader, &d, &err));
    QVERIFY(d.found);
    QVERIFY(d.initial);
    QCOMPARE(show(d.b.state), QStringLiteral(R"({"v":2})"));
}

void TestProjection::divergenceReportsFailingSide()
{
    ProjectionError err;
    auto a = JsProjection::fromSource(R"(fromAll().when({ $any: function (s) { s.n = 1; } }))", QStringLiteral("a.js"), {}, &err);
    auto b = JsProjection::fromSource(R"(fromAll().when({ $any: function (s, e) { if (e.position === 3) throw new Error('b broke'); s.n = 1; } }))",
                                      QStringLiteral("b.js"), {}, &err);
    MemoryReader reader(shopEvents());
    DivergenceResult d;
    QVERIFY(!findDivergence(*a, *b, reader, &d, &err));
    QVERIFY2(err.message.startsWith(QLatin1String("projection B: b.js:1")), qPrintable(err.message));
    QCOMPARE(err.position, 3);
}

void TestProjection::divergenceWithLargeStates()
{
    // States of ~4 KB switch the comparison to blocks; the answer must stay the exact first event.
    QList<Event> events;
    for (int i = 0; i < 3000; ++i)
        events << ev(QStringLiteral("s-%1").arg(i % 7), "E", QStringLiteral(R"({"i":%1})").arg(i).toUtf8());
    events = numbered(events);
    const QString v1 = R"(fromAll().when({ $init: function () { return { pad: 'x'.repeat(4000), n: 0 }; },
        E: function (s, e) { s.n += e.data.i; } }))";
    const QString v2 = R"(fromAll().when({ $init: function () { return { pad: 'x'.repeat(4000), n: 0 }; },
        E: function (s, e) { s.n += e.data.i === 2345 ? 0 : e.data.i; } }))";
    ProjectionError err;
    auto a = JsProjection::fromSource(v1, QStringLiteral("v1.js"), {}, &err);
    auto b = JsProjection::fromSource(v2, QStringLiteral("v2.js"), {}, &err);
    MemoryReader reader(events);
    DivergenceResult d;
    QVERIFY2(findDivergence(*a, *b, reader, &d, &err), qPrintable(err.message));
    QVERIFY(d.found);
    QCOMPARE(d.event.position, 2346);
    QCOMPARE(d.a.state.toObject().value(QStringLiteral("n")).toInteger() -
                 d.b.state.toObject().value(QStringLiteral("n")).toInteger(), 2345);
    // Equal versions run to the end without a false alarm.
    auto c = JsProjection::fromSource(v1, QStringLiteral("v1c.js"), {}, &err);
    QVERIFY(findDivergence(*a, *c, reader, &d, &err));
    QVERIFY(!d.found);
    QCOMPARE(d.a.position, 3000);
    // A divergence in the last, partial block.
    const QString v3 = R"(fromAll().when({ $init: function () { return { pad: 'x'.repeat(4000), n: 0 }; },
        E: function (s, e) { s.n += e.data.i === 2999 ? 1 : e.data.i; } }))";
    auto e3 = JsProjection::fromSource(v3, QStringLiteral("v3.js"), {}, &err);
    QVERIFY(findDivergence(*a, *e3, reader, &d, &err));
    QVERIFY(d.found);
    QCOMPARE(d.event.position, 3000);
}

void TestProjection::watchForwardAndBackward()
{
    // balance per account: acct-1 goes negative at 3, positive at 4, negative again at 6; acct-2 negative at 5.
    QList<Event> events = numbered({
        ev("acct-1", "Deposited", R"({"amount":10})"),   // 1: 10
        ev("acct-2", "Deposited", R"({"amount":5})"),    // 2: 5
        ev("acct-1", "Withdrawn", R"({"amount":15})"),   // 3: -5
        ev("acct-1", "Deposited", R"({"amount":10})"),   // 4: 5
        ev("acct-2", "Withdrawn", R"({"amount":6})"),    // 5: -1
        ev("acct-1", "Withdrawn", R"({"amount":20})"),   // 6: -15
        ev("acct-1", "Withdrawn", R"({"amount":1})"),    // 7: -16 (still negative: not a new edge)
        ev("acct-3", "Deposited", R"({"amount":1})"),    // 8
    });
    const QString script = R"(fromCategory('acct').foreachStream().when({ $init: function () { return { balance: 0 }; },
        Deposited: function (s, e) { s.balance += e.data.amount; },
        Withdrawn: function (s, e) { s.balance -= e.data.amount; } }))";
    ReplayTuning tuning;
    tuning.checkpointEveryHandled = 2;
    Run r = load(script, events, {}, tuning);
    QVERIFY(r.projection);
    struct Case { qint64 from; bool backward; bool level; qint64 expected; };
    const QList<Case> cases = {
        {0, false, false, 3}, {3, false, false, 5}, {5, false, false, 6}, {6, false, false, 0},
        {6, false, true, 7},  {kNoLimit, true, false, 6}, {6, true, false, 5}, {5, true, false, 3},
        {3, true, false, 0},  {8, true, true, 7},
    };
    for (const Case& c : cases) {
        WatchHit hit;
        QVERIFY2(r.replay->watch(QStringLiteral("state.balance < 0"), c.from, c.backward, c.level, &hit, &r.error),
                 qPrintable(r.error.message));
        const QString label = QStringLiteral("from %1 %2 %3").arg(c.from).arg(c.backward ? "backward" : "forward",
                                                                            c.level ? "level" : "edge");
        QVERIFY2(hit.found == (c.expected != 0), qPrintable(label));
        if (c.expected) {
            QVERIFY2(hit.event.position == c.expected, qPrintable(label + QStringLiteral(" got %1").arg(hit.event.position)));
            QCOMPARE(hit.snapshot.position, c.expected);
            QVERIFY(hit.snapshot.partition(hit.partition).toObject().value(QStringLiteral("balance")).toInt() < 0);
        }
    }
    // A function predicate that also looks at the event.
    WatchHit hit;
    QVERIFY(r.replay->watch(QStringLiteral("function (state, event) { return event.eventType === 'Deposited' && state.balance === 5; }"),
                            2, false, false, &hit, &r.error));
    QCOMPARE(hit.event.position, 4);
}

void TestProjection::watchEventPredicates_data()
{
    // One partition; n counts the events. Types: 1 X, 2 PaymentFailed, 3 X, 4 X, 5 PaymentFailed,
    // 6 PaymentFailed, 7 X. "Becomes true" compares the value at an event with the value at the previous one.
    QTest::addColumn<QString>("predicate");
    QTest::addColumn<qint64>("from");
    QTest::addColumn<bool>("backward");
    QTest::addColumn<bool>("level");
    QTest::addColumn<qint64>("expected");  // 0: not found
    const QString failed = QStringLiteral("event.eventType === 'PaymentFailed'");
    // true at 2, 5, 6: becomes true at 2 and 5 (6 follows a true 5).
    QTest::newRow("event-only forward from start") << failed << qint64(0) << false << false << qint64(2);
    QTest::newRow("event-only forward from 2") << failed << qint64(2) << false << false << qint64(5);
    QTest::newRow("event-only forward from 5: none") << failed << qint64(5) << false << false << qint64(0);
    QTest::newRow("event-only forward from 5, level") << failed << qint64(5) << false << true << qint64(6);
    QTest::newRow("event-only backward from end") << failed << kNoLimit << true << false << qint64(5);
    QTest::newRow("event-only backward from 7") << failed << qint64(7) << true << false << qint64(5);
    QTest::newRow("event-only backward from 5") << failed << qint64(5) << true << false << qint64(2);
    QTest::newRow("event-only backward from 2: none") << failed << qint64(2) << true << false << qint64(0);
    const QString mixed = QStringLiteral("state.n > 2 && event.eventType === 'X'");
    // true at 3, 4, 7: becomes true at 3 and 7.
    QTest::newRow("mixed forward from start") << mixed << qint64(0) << false << false << qint64(3);
    QTest::newRow("mixed forward from 3") << mixed << qint64(3) << false << false << qint64(7);
    QTest::newRow("mixed forward from 7: none") << mixed << qint64(7) << false << false << qint64(0);
    // Backward looks at events before `from`; from the end that leaves out the last event (7).
    QTest::newRow("mixed backward from end") << mixed << kNoLimit << true << false << qint64(3);
    QTest::newRow("mixed backward from 7") << mixed << qint64(7) << true << false << qint64(3);
    QTest::newRow("mixed backward from 3: none") << mixed << qint64(3) << true << false << qint64(0);
    const QString x = QStringLiteral("function (state, event) { return event.eventType === 'X'; }");
    // true at 1 (the first event: no previous one), 3, 4, 7.
    QTest::newRow("first event forward") << x << qint64(0) << false << false << qint64(1);
    QTest::newRow("first event backward from 3") << x << qint64(3) << true << false << qint64(1);
    QTest::newRow("first event backward from 2") << x << qint64(2) << true << false << qint64(1);
    QTest::newRow("after the first, forward") << x << qint64(1) << false << false << qint64(3);
    QTest::newRow("backward from 1: none") << x << qint64(1) << true << false << qint64(0);
}

void TestProjection::watchEventPredicates()
{
    QFETCH(QString, predicate);
    QFETCH(qint64, from);
    QFETCH(bool, backward);
    QFETCH(bool, level);
    QFETCH(qint64, expected);
    const QList<Event> events = numbered({
        ev("pay-1", "X", "{}"), ev("pay-1", "PaymentFailed", "{}"), ev("pay-1", "X", "{}"), ev("pay-1", "X", "{}"),
        ev("pay-1", "PaymentFailed", "{}"), ev("pay-1", "PaymentFailed", "{}"), ev("pay-1", "X", "{}"),
    });
    const QString script = R"(fromAll().when({ $init: function () { return { n: 0 }; },
        $any: function (s, e) { s.n += 1; } }))";
    ReplayTuning tuning;
    tuning.checkpointEveryHandled = 2;  // the answers cross checkpoint intervals
    Run r = load(script, events, {}, tuning);
    QVERIFY(r.projection);
    WatchHit hit;
    QVERIFY2(r.replay->watch(predicate, from, backward, level, &hit, &r.error), qPrintable(r.error.message));
    QCOMPARE(hit.found, expected != 0);
    if (expected) {
        QCOMPARE(hit.event.position, expected);
        QCOMPARE(hit.snapshot.position, expected);
        // The state is the one right after the hit's handlers.
        QCOMPARE(hit.snapshot.partition(hit.partition).toObject().value(QStringLiteral("n")).toInteger(), expected);
    }
}

void TestProjection::watchBadPredicate()
{
    Run r = load(R"(fromAll().when({ $any: function (s) { } }))");
    WatchHit hit;
    QVERIFY(!r.replay->watch(QStringLiteral("state.balance <"), 0, false, false, &hit, &r.error));
    QCOMPARE(r.error.kind, ProjectionError::Predicate);
    QVERIFY(!r.replay->watch(QStringLiteral("event.data.nothing.deeper"), 0, false, false, &hit, &r.error));
    QCOMPARE(r.error.kind, ProjectionError::Predicate);
    QVERIFY2(r.error.message.contains(QLatin1String("watch predicate")), qPrintable(r.error.message));
    QCOMPARE(r.error.position, 1);
}

// A predicate is compiled as a function of (state, event) and runs only under the watchdog: nothing of it runs
// when it is set, and a text that is not one expression is refused.
void TestProjection::watchPredicateIsContained_data()
{
    QTest::addColumn<QString>("predicate");
    QTest::addColumn<int>("kind");        // 0: succeeds
    QTest::addColumn<QString>("needle");  // in the error, or "found at N"
    QTest::newRow("endless immediately invoked function") << "(function(){for(;;);})()" << int(ProjectionError::Timeout)
                                                         << "interrupted after";
    QTest::newRow("escape from the wrapper") << "1), x = 1, (1" << int(ProjectionError::Predicate)
                                             << "not a single JavaScript expression";
    QTest::newRow("escape from the function") << "1); }); x = 1; (function () { return (1" << int(ProjectionError::Predicate)
                                              << "not a single JavaScript expression";
    QTest::newRow("statement") << "x = 1; true" << int(ProjectionError::Predicate) << "not a single JavaScript expression";
    QTest::newRow("endless function text") << "function (state, event) { for (;;) {} }" << int(ProjectionError::Timeout)
                                           << "watch predicate";
    QTest::newRow("huge work in a predicate") << "new Array(3e8).fill(0).length > 0" << int(ProjectionError::Memory)
                                              << "Array.prototype.fill()";
    QTest::newRow("normal expression") << "state.n === 3" << 0 << "found at 3";
    QTest::newRow("normal function text") << "function (state, event) { return event.eventType === 'OrderShipped'; }"
                                          << 0 << "found at 4";
    QTest::newRow("comma expression is one expression") << "(0, state.n === 2)" << 0 << "found at 2";
    QTest::newRow("line comment at the end") << "state.n === 5 // five" << 0 << "found at 5";
}

void TestProjection::watchPredicateIsContained()
{
    QFETCH(QString, predicate);
    QFETCH(int, kind);
    QFETCH(QString, needle);
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 300;
    Run r = load(R"(fromAll().when({ $init: function () { return { n: 0 }; },
        $any: function (s) { s.n++; s.x = typeof x; } }))", shopEvents(), limits);
    QVERIFY(r.projection);
    QElapsedTimer t;
    t.start();
    WatchHit hit;
    const bool ok = r.replay->watch(predicate, 0, false, false, &hit, &r.error);
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    if (kind == 0) {
        QVERIFY2(ok, qPrintable(r.error.message));
        QVERIFY(hit.found);
        QCOMPARE(QStringLiteral("found at %1").arg(hit.event.position), needle);
    } else {
        QVERIFY(!ok);
        QVERIFY2(int(r.error.kind) == kind, qPrintable(r.error.message));
        QVERIFY2(r.error.message.contains(needle), qPrintable(r.error.message));
    }
    // Nothing the predicate text said ran outside it: no global x, and the projection still works.
    ProjectionSnapshot snap;
    QVERIFY2(r.replay->stateAt(kNoLimit, &snap, &r.error), qPrintable(r.error.message));
    QCOMPARE(show(snap.state), QStringLiteral(R"({"n":8,"x":"undefined"})"));
}

QTEST_GUILESS_MAIN(TestProjection)
#include "tst_projection.moc"
