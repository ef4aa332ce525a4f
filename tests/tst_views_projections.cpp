// The projections dock, offscreen: load projections from text and files, the state follows the replay
// cursor, syntax errors are marked in the editor, Ctrl+R reloads, a file changed on disk keeps its
// previous revision, first divergence and watchpoints move the cursor.

#include "jsontreemodel.h"
#include "projections/projectionsdock.h"
#include "projections/projectionstatelink.h"
#include "replaycontroller.h"
#include "stateinspector.h"
#include "timelinewidget.h"
#include "views_fixtures.h"

#include <QComboBox>
#include <QFile>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace chronoscope;
using namespace chronoscope::fixtures;

namespace {

QList<Event> events()
{
    return shopEvents();
}

const char kCount[] = "fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } });";
const char kTotals[] = "fromAll().when({ $init: function () { return { placed: 0, total: 0 }; },\n"
                       "  OrderPlaced: function (s, e) { s.placed++; s.total += e.data.total; },\n"
                       "  OrderPaid: function (s, e) { s.paid = e.data.paidAt; } });";
const char kPerKind[] = "fromAll().partitionBy(function (e) { return e.streamId.split('-')[0]; })\n"
                        "  .when({ $init: function () { return { n: 0 }; }, $any: function (s, e) { s.n++; s.last = e.eventType; } });";
const char kCountOrders[] = "fromAll().when({ $init: function () { return { n: 0 }; },\n"
                            "  $any: function (s, e) { if (e.streamId.indexOf('order-') === 0 || e.position > 3) s.n++; } });";

} // namespace

class TestViewsProjections : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void stateFollowsCursor();
    void syntaxErrorIsMarkedAndReloadFixesIt();
    void fileChangeKeepsPreviousRevision();
    void divergenceMovesTheCursor();
    void watchMovesTheCursor();
    void watchpointsMarkTheTimeline();
    void stateInspectorShowsAProjection();
    void mixedHandlersAreWarnedInTheEditor();

private:
    ReplayController* m_controller = nullptr;
    ProjectionsDock* m_dock = nullptr;
};

void TestViewsProjections::init()
{
    m_controller = new ReplayController;
    MemoryReader reader(events());
    m_controller->setIndex(buildTimelineIndex(reader, {}, {}, nullptr));
    m_dock = new ProjectionsDock(m_controller);
    m_dock->resize(900, 600);
    m_dock->setReader(std::make_unique<MemoryReader>(events()));
    m_dock->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_dock));
    m_dock->activateWindow();
}

void TestViewsProjections::cleanup()
{
    delete m_dock;
    delete m_controller;
}

void TestViewsProjections::stateFollowsCursor()
{
    QSignalSpy shown(m_dock, &ProjectionsDock::stateShown);
    m_dock->loadSource(QStringLiteral("count.js"), QString::fromLatin1(kCount));
    QTRY_VERIFY(!shown.isEmpty());
    QCOMPARE(m_dock->currentName(), QStringLiteral("count.js"));
    m_controller->setCursor(3);
    m_controller->flush();
    QTRY_VERIFY(shown.last().at(1).toLongLong() == 3);
    QCOMPARE(m_dock->stateView()->model()->value().toObject().value(QStringLiteral("n")).toInt(), 3);
    QVERIFY(m_dock->stateView()->caption().contains(QLatin1String("after position 3")));
    QVERIFY(m_dock->editor()->toPlainText().contains(QLatin1String("fromAll()")));
}

void TestViewsProjections::syntaxErrorIsMarkedAndReloadFixesIt()
{
    QSignalSpy failed(m_dock, &ProjectionsDock::projectionFailed);
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    m_dock->loadSource(QStringLiteral("bad.js"), QStringLiteral("fromAll()\n  .when({ $any: function (s) { s.x = ; } });"));
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY(failed.first().at(1).toString().contains(QLatin1String("bad.js:2")));
    QTRY_COMPARE(m_dock->editor()->extraSelections().size(), 1);
    QCOMPARE(m_dock->editor()->extraSelections().first().cursor.blockNumber(), 1);
    QVERIFY(m_dock->findChild<QListWidget*>(QStringLiteral("projectionList"))->item(0)->text().contains(QStringLiteral("⚠")));
    // Fix it in the editor and press Ctrl+R.
    m_dock->editor()->setPlainText(QString::fromLatin1(kCount));
    m_dock->editor()->setFocus();
    QTest::keyClick(m_dock->editor(), Qt::Key_R, Qt::ControlModifier);
    QTRY_COMPARE(loaded.count(), 1);
    QTRY_VERIFY(m_dock->editor()->extraSelections().isEmpty());
    QTRY_VERIFY(!m_dock->findChild<QListWidget*>(QStringLiteral("projectionList"))->item(0)->text().contains(QStringLiteral("⚠")));
}

void TestViewsProjections::fileChangeKeepsPreviousRevision()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("count.js"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kCount);
    }
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    m_dock->loadFile(path);
    QTRY_COMPARE(loaded.count(), 1);
    QTest::qWait(50);
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(kCountOrders);
    }
    QTRY_VERIFY_WITH_TIMEOUT(m_dock->names().contains(QStringLiteral("count.js (previous)")), 5000);
    QTRY_COMPARE(loaded.count(), 3);
    QVERIFY(m_dock->editor()->toPlainText().contains(QLatin1String("order-")));
}

void TestViewsProjections::divergenceMovesTheCursor()
{
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    QSignalSpy diverged(m_dock, &ProjectionsDock::divergenceShown);
    m_dock->loadSource(QStringLiteral("a.js"), QString::fromLatin1(kCount));
    m_dock->loadSource(QStringLiteral("b.js"), QString::fromLatin1(kCountOrders));
    QTRY_COMPARE(loaded.count(), 2);
    m_dock->findDivergence(QStringLiteral("a.js"), QStringLiteral("b.js"));
    QTRY_COMPARE(diverged.count(), 1);
    // b counts order-* streams and anything after position 3: the first event it skips is the payment at 3.
    QCOMPARE(diverged.first().at(0).toBool(), true);
    QCOMPARE(diverged.first().at(1).toLongLong(), 3);
    m_controller->flush();
    QCOMPARE(m_controller->cursor(), 3);
    QVERIFY(m_dock->statusLabel()->text().contains(QLatin1String("first differ after position 3")));
}

void TestViewsProjections::watchMovesTheCursor()
{
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    QSignalSpy finished(m_dock, &ProjectionsDock::watchFinished);
    m_dock->loadSource(QStringLiteral("count.js"), QString::fromLatin1(kCount));
    QTRY_COMPARE(loaded.count(), 1);
    m_controller->setCursor(0);
    m_controller->flush();
    m_dock->watchPredicate()->setText(QStringLiteral("state.n >= 4"));
    m_dock->watchForward();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.first().at(1).toLongLong(), 4);
    m_controller->flush();
    QCOMPARE(m_controller->cursor(), 4);
    m_dock->watchPredicate()->setText(QStringLiteral("state.n === 2"));
    m_dock->watchBackward();
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(finished.last().at(1).toLongLong(), 2);
    // Nothing further forward.
    m_dock->watchPredicate()->setText(QStringLiteral("state.n > 1000"));
    m_dock->watchForward();
    QTRY_COMPARE(finished.count(), 3);
    QCOMPARE(finished.last().at(0).toBool(), false);
}

void TestViewsProjections::watchpointsMarkTheTimeline()
{
    TimelineWidget timeline(m_controller);
    timeline.setIndex(m_controller->index());
    timeline.resize(900, 300);
    connect(m_dock, &ProjectionsDock::markersChanged, &timeline, &TimelineWidget::setMarkers);
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    QSignalSpy finished(m_dock, &ProjectionsDock::watchFinished);
    QSignalSpy markers(m_dock, &ProjectionsDock::markersChanged);
    m_dock->loadSource(QStringLiteral("count.js"), QString::fromLatin1(kCount));
    QTRY_COMPARE(loaded.count(), 1);
    m_controller->setCursor(0);
    m_controller->flush();

    // Two watchpoints; an identical one is not added twice.
    QCOMPARE(m_dock->addWatchpoint(QStringLiteral("state.n >= 4")), 0);
    QCOMPARE(m_dock->addWatchpoint(QStringLiteral("state.n > 5")), 1);
    QCOMPARE(m_dock->addWatchpoint(QStringLiteral("  state.n >= 4 ")), 0);
    QCOMPARE(m_dock->watchpointCount(), 2);
    QVERIFY(m_dock->markers().isEmpty());

    // The first one, forward from the start: the 4th event.
    m_dock->selectWatchpoint(0);
    QCOMPARE(m_dock->watchPredicate()->text(), QStringLiteral("state.n >= 4"));
    m_dock->watchForward();
    QTRY_COMPARE(finished.count(), 1);
    QCOMPARE(finished.last().at(1).toLongLong(), 4);
    m_controller->flush();
    QCOMPARE(m_controller->cursor(), 4);
    QCOMPARE(m_dock->markers().size(), 1);
    QCOMPARE(m_dock->markers().first().position, 4);

    // The second one, forward from there: n passes 5 after the 6th event.
    m_dock->selectWatchpoint(1);
    m_dock->watchForward();
    QTRY_COMPARE(finished.count(), 2);
    QCOMPARE(finished.last().at(1).toLongLong(), 6);
    m_controller->flush();
    QCOMPARE(m_controller->cursor(), 6);

    // The timeline got both matches, each in its watchpoint's colour, and they differ from each other.
    const QList<TimelineMarker> shown = timeline.markers();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown, m_dock->markers());
    QCOMPARE(shown.at(0).position, 4);
    QCOMPARE(shown.at(1).position, 6);
    QVERIFY(shown.at(0).colour != shown.at(1).colour);
    QVERIFY(shown.at(1).label.contains(QLatin1String("state.n > 5")));
    QVERIFY(m_dock->watchpointList()->item(1)->text().contains(QLatin1String("1 match")));

    // Hovering near a marker's x finds it; far from every marker finds none.
    QImage img(timeline.size(), QImage::Format_ARGB32);
    QPainter painter(&img);
    timeline.render(painter, timeline.size());  // lays out and maps time to x
    painter.end();
    const int x4 = int(std::lround(timeline.xForTime(double(kT0 + 5000))));
    QCOMPARE(timeline.markersNear(x4).size(), 1);
    QCOMPARE(timeline.markersNear(x4).first().position, 4);
    const int xEnd = int(std::lround(timeline.xForTime(double(kT0 + 60000))));
    QVERIFY(timeline.markersNear(xEnd).isEmpty());

    // A match already found is not added again: backward from the end, n >= 4 first became true at 4.
    m_controller->setCursor(7);
    m_controller->flush();
    const int changes = int(markers.count());
    m_dock->selectWatchpoint(0);
    m_dock->watchBackward();
    QTRY_COMPARE(finished.count(), 3);
    QCOMPARE(finished.last().at(1).toLongLong(), 4);
    QCOMPARE(m_dock->markers().size(), 2);
    QCOMPARE(markers.count(), changes);

    // Typing a new condition and running adds a third watchpoint for it.
    m_dock->watchPredicate()->setText(QStringLiteral("state.n === 2"));
    m_dock->watchBackward();
    QTRY_COMPARE(finished.count(), 4);
    QCOMPARE(m_dock->watchpointCount(), 3);
    QCOMPARE(m_dock->markers().size(), 3);

    // Clear marks empties the timeline but keeps the watchpoints.
    m_dock->clearMatches();
    QVERIFY(timeline.markers().isEmpty());
    QCOMPARE(m_dock->watchpointCount(), 3);
}

void TestViewsProjections::stateInspectorShowsAProjection()
{
    // The main window's state dock: a second inspector, linked to the dock.
    StateInspector inspector;
    ProjectionStateLink* link = m_dock->attachStateInspector(&inspector);
    QCOMPARE(m_dock->attachStateInspector(&inspector), link);
    m_dock->setReader(std::make_unique<MemoryReader>(events()));
    QSignalSpy shown(link, &ProjectionStateLink::stateShown);
    QSignalSpy backToDefault(link, &ProjectionStateLink::defaultChosen);
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    QVERIFY(inspector.sourceBox()->isHidden());  // nothing loaded: only the default source
    QCOMPARE(inspector.currentSource(), QString());

    m_dock->loadSource(QStringLiteral("totals.js"), QString::fromLatin1(kTotals));
    m_dock->loadSource(QStringLiteral("perkind.js"), QString::fromLatin1(kPerKind));
    QTRY_COMPARE(loaded.count(), 2);
    QCOMPARE(inspector.sourceBox()->count(), 3);
    QVERIFY(!inspector.sourceBox()->isHidden());
    QVERIFY(!link->active());

    // totals.js at position 2: both orders placed (30 + 12); the 2nd event changed placed and total.
    m_controller->setCursor(2);
    m_controller->flush();
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("totals.js"))));
    QVERIFY(link->active());
    QTRY_VERIFY(!shown.isEmpty() && shown.last().at(2).toLongLong() == 2);
    QCOMPARE(inspector.model()->value().toObject(), (QJsonObject{{"placed", 2}, {"total", 42}}));
    QStringList changed = inspector.model()->highlightedPaths();
    changed.sort();
    QCOMPARE(changed, (QStringList{"/placed", "/total"}));
    QVERIFY(inspector.caption().contains(QLatin1String("totals.js")));

    // The cursor moves: at 5 OrderPaid added paidAt; only that path is highlighted.
    m_controller->setCursor(5);
    m_controller->flush();
    QTRY_VERIFY(shown.last().at(2).toLongLong() == 5);
    QCOMPARE(inspector.model()->value().toObject(),
             (QJsonObject{{"placed", 2}, {"total", 42}, {"paid", "10:00:09"}}));
    QCOMPARE(inspector.model()->highlightedPaths(), QStringList{"/paid"});

    // The partitioned one: its partitions become choices once its state has been seen.
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("perkind.js"))));
    QTRY_VERIFY(shown.last().at(0).toString() == QLatin1String("perkind.js"));
    QTRY_COMPARE(link->partitions(QStringLiteral("perkind.js")), (QStringList{"order", "payment"}));
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("perkind.js"), QStringLiteral("payment"))));
    QTRY_VERIFY(shown.last().at(1).toString() == QLatin1String("payment"));
    // After 5 events: payment-1 had two; the 5th (an order event) changed nothing in this partition.
    QCOMPARE(inspector.model()->value().toObject(), (QJsonObject{{"n", 2}, {"last", "PaymentFailed"}}));
    QVERIFY(inspector.model()->highlightedPaths().isEmpty());
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("perkind.js"), QStringLiteral("order"))));
    QTRY_VERIFY(shown.last().at(1).toString() == QLatin1String("order"));
    QCOMPARE(inspector.model()->value().toObject(), (QJsonObject{{"n", 3}, {"last", "OrderPaid"}}));
    changed = inspector.model()->highlightedPaths();
    changed.sort();
    QCOMPARE(changed, (QStringList{"/last", "/n"}));

    // The dock's own state view is unaffected (it still shows its selected projection).
    QTRY_VERIFY(m_dock->stateView()->caption().contains(m_dock->currentName()));

    // A projection that throws at the cursor: the error is shown, the app goes on.
    m_dock->loadSource(QStringLiteral("bad.js"), QStringLiteral("fromAll().when({ $any: function (s, e) { if (e.sequenceNumber > 0) throw new Error('boom'); } });"));
    QTRY_COMPARE(loaded.count(), 3);
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("bad.js"))));
    QTRY_VERIFY(inspector.caption().contains(QLatin1String("boom")));

    // One that does not even compile: offered (the dock lists it with ⚠), and choosing it says why.
    QSignalSpy failed(m_dock, &ProjectionsDock::projectionFailed);
    m_dock->loadSource(QStringLiteral("broken.js"), QStringLiteral("fromAll().when({ $any: function (s, e) { s.n = ; } });"));
    QTRY_VERIFY(std::any_of(failed.cbegin(), failed.cend(),
                            [](const QList<QVariant>& f) { return f.at(0).toString() == QLatin1String("broken.js"); }));
    QVERIFY(inspector.setCurrentSource(ProjectionStateLink::key(QStringLiteral("broken.js"))));
    QTRY_VERIFY(inspector.caption().contains(QLatin1String("broken.js")));
    QVERIFY(inspector.model()->value().isNull() || inspector.model()->value().isUndefined());

    // Back to the default: the window is told to show the stream's state again.
    QVERIFY(inspector.setCurrentSource(QString()));
    QCOMPARE(backToDefault.count(), 1);
    QVERIFY(!link->active());
}

// $any listed before type handlers: the editor's status line says which events never reach $any (the server's rule).
void TestViewsProjections::mixedHandlersAreWarnedInTheEditor()
{
    QSignalSpy loaded(m_dock, &ProjectionsDock::projectionLoaded);
    m_dock->loadSource(QStringLiteral("mixed.js"),
                       QStringLiteral("fromAll().when({ $init: function () { return { n: 0 }; },\n"
                                      "  $any: function (s) { s.n++; }, OrderPlaced: function (s) { s.placed = true; },\n"
                                      "  OrderPaid: function (s) { s.paid = true; } });"));
    QTRY_COMPARE(loaded.count(), 1);
    QTRY_VERIFY(m_dock->statusLabel()->text().contains(QLatin1String("never reach $any")));
    QVERIFY2(m_dock->statusLabel()->text().contains(QLatin1String("only events of types OrderPlaced, OrderPaid are delivered")),
             qPrintable(m_dock->statusLabel()->text()));
    // Fixed in the editor (only $any) and reloaded: the warning goes.
    m_dock->editor()->setPlainText(QString::fromLatin1(kCount));
    m_dock->editor()->setFocus();
    QTest::keyClick(m_dock->editor(), Qt::Key_R, Qt::ControlModifier);
    QTRY_COMPARE(loaded.count(), 2);
    QTRY_VERIFY(!m_dock->statusLabel()->text().contains(QLatin1String("$any")));
    QVERIFY(m_dock->statusLabel()->text().contains(QLatin1String("mixed.js: fromAll()")));
    // Selecting the warned one again shows it again.
    m_dock->loadSource(QStringLiteral("mixed2.js"),
                       QStringLiteral("fromAll().when({ $any: function (s) {}, OrderPaid: function (s) {} });"));
    QTRY_COMPARE(loaded.count(), 3);
    m_dock->selectProjection(QStringLiteral("mixed.js"));
    m_dock->selectProjection(QStringLiteral("mixed2.js"));
    QTRY_VERIFY(m_dock->statusLabel()->text().contains(QLatin1String("only events of types OrderPaid are delivered")));
}

QTEST_MAIN(TestViewsProjections)
#include "tst_views_projections.moc"
