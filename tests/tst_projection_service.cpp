// ProjectionService: projections on a worker thread, answers by request id, stale state requests
// skipped, divergence/watch with progress and cancel, load errors as failed().

#include "projection/projectionservice.h"
#include "store/memoryreader.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace chronoscope;

namespace {

QList<Event> accountEvents(int n)
{
    QList<Event> out;
    for (int i = 0; i < n; ++i) {
        Event e;
        e.stream = QStringLiteral("acct-%1").arg(i % 3);
        e.type = i % 4 == 3 ? QStringLiteral("Withdrawn") : QStringLiteral("Deposited");
        e.data = QStringLiteral(R"({"amount":%1})").arg(i % 4 == 3 ? 40 : 10).toUtf8();
        e.version = i / 3;
        out << e;
    }
    return out;
}

const QString kBalance = QStringLiteral(R"(fromCategory('acct').foreachStream().when({
    $init: function () { return { balance: 0 }; },
    Deposited: function (s, e) { s.balance += e.data.amount; log('dep', e.position); },
    Withdrawn: function (s, e) { s.balance -= e.data.amount; } }))");
const QString kBalanceV2 = QStringLiteral(R"(fromCategory('acct').foreachStream().when({
    $init: function () { return { balance: 0 }; },
    Deposited: function (s, e) { s.balance += e.data.amount; },
    Withdrawn: function (s, e) { s.balance -= e.position === 8 ? 0 : e.data.amount; } }))");

} // namespace

class TestProjectionService : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void loadStateDivergenceWatch();
    void loadErrorsAndUnknownNames();
    void staleStateRequestsAreSkipped();
    void cancelStopsALongRun();
    void destroyingStopsAFirstPass();
    void serverRulesAndContainedPredicates_data();
    void serverRulesAndContainedPredicates();
};

void TestProjectionService::loadStateDivergenceWatch()
{
    ProjectionService service;
    service.setReader(std::make_unique<MemoryReader>(accountEvents(12)));
    QSignalSpy loaded(&service, &ProjectionService::loaded);
    QSignalSpy state(&service, &ProjectionService::stateReady);
    QSignalSpy div(&service, &ProjectionService::divergenceReady);
    QSignalSpy watch(&service, &ProjectionService::watchReady);
    QSignalSpy failed(&service, &ProjectionService::failed);
    const quint64 l1 = service.load(QStringLiteral("v1"), kBalance, QStringLiteral("v1.js"));
    service.load(QStringLiteral("v2"), kBalanceV2, QStringLiteral("v2.js"));
    QTRY_COMPARE(loaded.count(), 2);
    QCOMPARE(loaded.at(0).at(0).toULongLong(), l1);
    QVERIFY(loaded.at(0).at(2).value<ProjectionDefinition>().byStream);

    const quint64 s1 = service.requestState(QStringLiteral("v1"), 4);
    QTRY_COMPARE(state.count(), 1);
    QCOMPARE(state.at(0).at(0).toULongLong(), s1);
    const auto snap = state.at(0).at(2).value<ProjectionSnapshot>();
    // positions 1..4: acct-0 +10 (1), acct-1 +10 (2), acct-2 +10 (3), acct-0 -40 (4)
    QCOMPARE(snap.partition(QStringLiteral("acct-0")).toObject().value(QStringLiteral("balance")).toInt(), -30);
    const auto logs = state.at(0).at(3).value<QList<ProjectionLogLine>>();
    QCOMPARE(logs.size(), 3);

    service.requestDivergence(QStringLiteral("v1"), QStringLiteral("v2"));
    QTRY_COMPARE(div.count(), 1);
    const auto d = div.at(0).at(1).value<DivergenceResult>();
    QVERIFY(d.found);
    QCOMPARE(d.event.position, 8);
    QCOMPARE(d.partition, QStringLiteral("acct-1"));

    service.requestWatch(QStringLiteral("v1"), QStringLiteral("state.balance < 0"), 4, false, false);
    QTRY_COMPARE(watch.count(), 1);
    const auto hit = watch.at(0).at(2).value<WatchHit>();
    QVERIFY(hit.found);
    QCOMPARE(hit.event.position, 8);
    QCOMPARE(failed.count(), 0);
}

void TestProjectionService::loadErrorsAndUnknownNames()
{
    ProjectionService service;
    QSignalSpy failed(&service, &ProjectionService::failed);
    const quint64 id = service.load(QStringLiteral("bad"), QStringLiteral("fromAll().when({ x: ; })"), QStringLiteral("bad.js"));
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).toULongLong(), id);
    QCOMPARE(failed.at(0).at(2).value<ProjectionError>().kind, ProjectionError::Syntax);
    service.requestState(QStringLiteral("nothing"), 1);
    QTRY_COMPARE(failed.count(), 2);
    QVERIFY(failed.at(1).at(2).value<ProjectionError>().message.contains(QLatin1String("no projection named")));
    // Loaded, but no store yet.
    service.load(QStringLiteral("ok"), kBalance, QStringLiteral("ok.js"));
    service.requestState(QStringLiteral("ok"), 1);
    QTRY_COMPARE(failed.count(), 3);
    QVERIFY(failed.at(2).at(2).value<ProjectionError>().message.contains(QLatin1String("no store")));
}

void TestProjectionService::staleStateRequestsAreSkipped()
{
    ProjectionService service;
    service.setReader(std::make_unique<MemoryReader>(accountEvents(3000)));
    QSignalSpy state(&service, &ProjectionService::stateReady);
    service.load(QStringLiteral("v1"), kBalance, QStringLiteral("v1.js"));
    quint64 last = 0;
    for (int i = 1; i <= 50; ++i)
        last = service.requestState(QStringLiteral("v1"), i * 60);
    QTRY_VERIFY(!state.isEmpty() && state.last().at(0).toULongLong() == last);
    QVERIFY2(state.count() < 50, qPrintable(QString::number(state.count())));
    QCOMPARE(state.last().at(2).value<ProjectionSnapshot>().position, 3000);
}

void TestProjectionService::cancelStopsALongRun()
{
    ProjectionService service;
    service.setReader(std::make_unique<MemoryReader>(accountEvents(200000)));
    QSignalSpy loaded(&service, &ProjectionService::loaded);
    QSignalSpy failed(&service, &ProjectionService::failed);
    QSignalSpy progress(&service, &ProjectionService::progress);
    service.load(QStringLiteral("a"), kBalance, QStringLiteral("a.js"));
    service.load(QStringLiteral("b"), kBalance, QStringLiteral("b.js"));
    QTRY_COMPARE(loaded.count(), 2);
    service.requestDivergence(QStringLiteral("a"), QStringLiteral("b"));
    QTRY_VERIFY(progress.count() > 0);
    service.cancel();
    QTRY_COMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(2).value<ProjectionError>().kind, ProjectionError::Cancelled);
}

void TestProjectionService::destroyingStopsAFirstPass()
{
    // About 1 ms per event over 20,000 events: a 20 s first pass, stopped when the service goes away.
    auto service = std::make_unique<ProjectionService>();
    service->setReader(std::make_unique<MemoryReader>(accountEvents(20000)));
    QSignalSpy loaded(service.get(), &ProjectionService::loaded);
    service->load(QStringLiteral("slow"), QStringLiteral(R"(fromAll().when({ $any: function (s) {
        var t = Date.now(); while (Date.now() - t < 1) {} } }))"), QStringLiteral("slow.js"));
    QTRY_COMPARE(loaded.count(), 1);
    service->requestState(QStringLiteral("slow"), kNoLimit);
    QTest::qWait(200);
    QElapsedTimer t;
    t.start();
    service.reset();
    QVERIFY2(t.elapsed() < 3000, qPrintable(QString::number(t.elapsed())));
}

// The service (the app's path) runs projections as the server does by default, refuses a type handler before
// $any, and reports an endless or escaping watch predicate through failed() instead of hanging its worker.
void TestProjectionService::serverRulesAndContainedPredicates_data()
{
    QTest::addColumn<QString>("predicate");
    QTest::addColumn<int>("kind");
    QTest::newRow("endless call") << "(function(){for(;;);})()" << int(ProjectionError::Timeout);
    QTest::newRow("escape") << "1), x = 1, (1" << int(ProjectionError::Predicate);
    QTest::newRow("endless function text") << "function (state) { for (;;) {} }" << int(ProjectionError::Timeout);
}

void TestProjectionService::serverRulesAndContainedPredicates()
{
    QFETCH(QString, predicate);
    QFETCH(int, kind);
    ProjectionService service;
    ProjectionLimits limits;
    limits.handlerTimeoutMs = 300;
    service.setLimits(limits);
    service.setReader(std::make_unique<MemoryReader>(accountEvents(12)));
    QSignalSpy loaded(&service, &ProjectionService::loaded);
    QSignalSpy state(&service, &ProjectionService::stateReady);
    QSignalSpy watch(&service, &ProjectionService::watchReady);
    QSignalSpy failed(&service, &ProjectionService::failed);
    service.load(QStringLiteral("mixed"), QStringLiteral(R"(fromAll().when({ $init: function () { return { any: 0, w: 0 }; },
        $any: function (s) { s.any++; }, Withdrawn: function (s) { s.w++; } }))"), QStringLiteral("mixed.js"));
    QTRY_COMPARE(loaded.count(), 1);
    const auto def = loaded.at(0).at(2).value<ProjectionDefinition>();
    QVERIFY(def.handlerWarning().contains(QLatin1String("only events of types Withdrawn are delivered")));
    service.requestState(QStringLiteral("mixed"), kNoLimit);
    QTRY_COMPARE(state.count(), 1);
    QCOMPARE(state.at(0).at(2).value<ProjectionSnapshot>().state.toObject(), (QJsonObject{{"any", 0}, {"w", 3}}));

    service.load(QStringLiteral("refused"), QStringLiteral("fromAll().when({ Withdrawn: function () {}, $any: function () {} })"),
                 QStringLiteral("refused.js"));
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY(failed.at(0).at(2).value<ProjectionError>().message.contains(
        QLatin1String("Both AllEvents and specific event filters cannot be set")));

    QElapsedTimer t;
    t.start();
    service.requestWatch(QStringLiteral("mixed"), predicate, 0, false, false);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 10000);
    QVERIFY2(t.elapsed() < 10000, qPrintable(QString::number(t.elapsed())));
    const auto err = failed.at(1).at(2).value<ProjectionError>();
    QVERIFY2(int(err.kind) == kind, qPrintable(err.message));
    QCOMPARE(watch.count(), 0);
    // The worker is free again.
    service.requestWatch(QStringLiteral("mixed"), QStringLiteral("state.w === 2"), 0, false, false);
    QTRY_COMPARE(watch.count(), 1);
    QVERIFY(watch.at(0).at(2).value<WatchHit>().found);
}

QTEST_GUILESS_MAIN(TestProjectionService)
#include "tst_projection_service.moc"
