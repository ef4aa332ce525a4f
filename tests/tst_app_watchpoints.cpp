// The projections part of the desktop app, offscreen: watchpoints run from the projections dock move
// the cursor and put their matches on the main timeline as markers; the "State at cursor" dock can show
// a loaded projection instead of the selected stream's merged state, and goes back to it.
#include "diffinspector.h"
#include "diffmodel.h"
#include "jsontreemodel.h"
#include "mainwindow.h"
#include "projections/projectiondifflink.h"
#include "projections/projectionsdock.h"
#include "projections/projectionstatelink.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "replaycontroller.h"
#include "sources/sourceregistry.h"
#include "stateinspector.h"
#include "store/storewriter.h"
#include "timelinewidget.h"
#include "views_fixtures.h"

#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QTableView>
#include <QJsonObject>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace chronoscope;
using namespace chronoscope::fixtures;

namespace {

const char kTotals[] = "fromAll().when({ $init: function () { return { placed: 0, total: 0 }; },\n"
                       "  OrderPlaced: function (s, e) { s.placed++; s.total += e.data.total; },\n"
                       "  OrderPaid: function (s, e) { s.paid = e.data.paidAt; } });";

// v2 also counts cancellations.
const char kTotalsV2[] = "fromAll().when({ $init: function () { return { placed: 0, total: 0 }; },\n"
                         "  OrderPlaced: function (s, e) { s.placed++; s.total += e.data.total; },\n"
                         "  OrderCancelled: function (s, e) { s.cancelled = (s.cancelled || 0) + 1; },\n"
                         "  OrderPaid: function (s, e) { s.paid = e.data.paidAt; } });";

} // namespace

class TstAppWatchpoints : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_store;

    QString m_other;

    bool openAndWait(MainWindow& w, const QString& path = {})
    {
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        w.open(path.isEmpty() ? m_store : path);
        return QTest::qWaitFor([&] { return opened.count() > 0; }, 10000);
    }

    static QString writeStore(const QString& path, const QList<Event>& events)
    {
        QString error;
        auto writer = StoreWriter::create(path, {}, &error);
        if (!writer)
            return error;
        for (const Event& e : events)
            if (!writer->append(e, &error))
                return error;
        return writer->finish(&error) ? QString() : error;
    }

    /// What a projection gives on a store when it runs there from scratch (its own service and engine).
    static QJsonValue freshState(const QString& store, const QString& source)
    {
        QString error;
        std::unique_ptr<EventReader> reader = openSource(store, {}, &error);
        if (!reader)
            return QStringLiteral("cannot open: %1").arg(error);
        ProjectionService service;
        QSignalSpy ready(&service, &ProjectionService::stateReady);
        service.setReader(std::move(reader));
        service.load(QStringLiteral("fresh.js"), source, QStringLiteral("fresh.js"));
        service.requestState(QStringLiteral("fresh.js"), kNoLimit);
        if (!QTest::qWaitFor([&] { return !ready.isEmpty(); }, 10000))
            return QStringLiteral("no state");
        return ready.first().at(2).value<ProjectionSnapshot>().view();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath("shop.chronoscope");
        QString error;
        auto writer = StoreWriter::create(m_store, {}, &error);
        QVERIFY2(writer, qPrintable(error));
        for (const Event& e : shopEvents())
            QVERIFY2(writer->append(e, &error), qPrintable(error));
        QVERIFY2(writer->finish(&error), qPrintable(error));
        // A second store, with other orders: three placed (1 + 2 + 3), one cancelled.
        m_other = m_dir.filePath("other.chronoscope");
        const QList<Event> other{makeEvent("order-7", 0, "OrderPlaced", kT0, {{"status", "placed"}, {"total", 1}}),
                                 makeEvent("order-8", 0, "OrderPlaced", kT0 + 10, {{"status", "placed"}, {"total", 2}}),
                                 makeEvent("order-9", 0, "OrderPlaced", kT0 + 20, {{"status", "placed"}, {"total", 3}}),
                                 makeEvent("order-8", 1, "OrderCancelled", kT0 + 30, {{"status", "cancelled"}})};
        const QString written = writeStore(m_other, other);
        QVERIFY2(written.isEmpty(), qPrintable(written));
    }

    void storeChangeResetsProjections()
    {
        // A projection run on one store, then File > Open of another: every view of it (the projections dock,
        // the state dock's projection source, the Diff dock's A vs B) shows what a fresh run on the new store
        // gives, never the old store's state with the new store's events added to it.
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<ProjectionsDock*>();
        QVERIFY(dock && dock->stateLink() && dock->diffLink());
        QSignalSpy loaded(dock, &ProjectionsDock::projectionLoaded);
        QSignalSpy dockState(dock, &ProjectionsDock::stateShown);
        QSignalSpy linkState(dock->stateLink(), &ProjectionStateLink::stateShown);
        QSignalSpy diffShown(dock->diffLink(), &ProjectionDiffLink::diffShown);
        QSignalSpy watched(dock, &ProjectionsDock::watchFinished);
        dock->loadSource(QStringLiteral("totals-v2.js"), QString::fromLatin1(kTotalsV2));
        dock->loadSource(QStringLiteral("totals.js"), QString::fromLatin1(kTotals));
        QTRY_COMPARE(loaded.count(), 2);
        dock->selectProjection(QStringLiteral("totals-v2.js"));
        QVERIFY(w.stateInspector()->setCurrentSource(ProjectionStateLink::key(QStringLiteral("totals-v2.js"))));
        dock->setCompared(QStringLiteral("totals.js"), QStringLiteral("totals-v2.js"));
        dock->setCompareInDiff(true);
        // Run on the first store to its end (7 events: two placed, 30 + 12, one cancelled).
        QTRY_VERIFY(!dockState.isEmpty() && dockState.last().at(1).toLongLong() == 7);
        QTRY_VERIFY(!linkState.isEmpty() && linkState.last().at(2).toLongLong() == 7);
        QTRY_VERIFY(!diffShown.isEmpty() && diffShown.last().at(2).toLongLong() == 7);
        QCOMPARE(dock->stateView()->model()->value().toObject().value("total").toInt(), 42);
        // A watchpoint match and a divergence result on the first store.
        w.controller()->setCursor(0);
        w.controller()->flush();
        dock->addWatchpoint(QStringLiteral("state.placed >= 2"));
        dock->watchForward();
        QTRY_COMPARE(watched.count(), 1);
        QCOMPARE(w.timeline()->markers().size(), 1);
        QSignalSpy diverged(dock, &ProjectionsDock::divergenceShown);
        dock->findDivergence();
        QTRY_COMPARE(diverged.count(), 1);
        QVERIFY(dock->statusLabel()->text().contains(QLatin1String("first differ")));

        // Open the second store (4 events), then the first again and the second once more: after each, the
        // projection's state is what a fresh run on that store gives.
        const QJsonValue fresh = freshState(m_other, QString::fromLatin1(kTotalsV2));
        QCOMPARE(fresh.toObject(), (QJsonObject{{"placed", 3}, {"total", 6}, {"cancelled", 1}}));
        const QJsonValue freshFirst = freshState(m_store, QString::fromLatin1(kTotalsV2));
        QCOMPARE(freshFirst.toObject(), (QJsonObject{{"placed", 2}, {"total", 42}, {"cancelled", 1}, {"paid", "10:00:09"}}));
        for (const QString& path : {m_other, m_store, m_other}) {
            dockState.clear();
            linkState.clear();
            diffShown.clear();
            QVERIFY(openAndWait(w, path));
            const qint64 end = path == m_other ? 4 : 7;
            QTRY_VERIFY(!dockState.isEmpty() && dockState.last().at(1).toLongLong() == end);
            QTRY_VERIFY(!linkState.isEmpty() && linkState.last().at(2).toLongLong() == end);
            QTRY_VERIFY(!diffShown.isEmpty() && diffShown.last().at(2).toLongLong() == end);
            const QJsonValue expected = path == m_other ? fresh : freshFirst;
            QCOMPARE(dock->stateView()->model()->value(), expected);
            QCOMPARE(w.stateInspector()->model()->value(), expected);
        }
        QCOMPARE(dock->stateView()->model()->value(), fresh);
        QCOMPARE(w.stateInspector()->model()->value(), fresh);
        // totals.js lacks only the cancellation count, on this store as well.
        QCOMPARE(w.diffInspector()->model()->rowCount(), 1);
        QCOMPARE(w.diffInspector()->model()->pathAt(0), QStringLiteral("/cancelled"));
        QVERIFY(w.diffInspector()->summary().startsWith(QLatin1String("1 added, 0 removed, 0 changed")));
        // Results about the first store are gone: watchpoint marks, the divergence line.
        QVERIFY(w.timeline()->markers().isEmpty());
        QVERIFY(dock->markers().isEmpty());
        QVERIFY(!dock->statusLabel()->text().contains(QLatin1String("first differ")));
    }

    void watchpointsAndProjectionState()
    {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<ProjectionsDock*>();
        QVERIFY(dock);
        QVERIFY(dock->stateLink());
        QSignalSpy loaded(dock, &ProjectionsDock::projectionLoaded);
        QSignalSpy finished(dock, &ProjectionsDock::watchFinished);
        dock->loadSource(QStringLiteral("totals.js"), QString::fromLatin1(kTotals));
        QTRY_COMPARE(loaded.count(), 1);

        // Two watchpoints, each run forward from the start of the log.
        w.controller()->setCursor(0);
        w.controller()->flush();
        QCOMPARE(dock->addWatchpoint(QStringLiteral("state.placed >= 2")), 0);
        QCOMPARE(dock->addWatchpoint(QStringLiteral("state.paid !== undefined")), 1);
        dock->selectWatchpoint(0);
        dock->watchForward();
        QTRY_COMPARE(finished.count(), 1);
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 2);  // the second OrderPlaced
        dock->selectWatchpoint(1);
        dock->watchForward();
        QTRY_COMPARE(finished.count(), 2);
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 5);  // OrderPaid
        const QList<TimelineMarker> markers = w.timeline()->markers();
        QCOMPARE(markers.size(), 2);
        QCOMPARE(markers.at(0).position, 2);
        QCOMPARE(markers.at(1).position, 5);
        QVERIFY(markers.at(0).label.contains(QLatin1String("state.placed >= 2")));

        // The state dock shows the projection at the cursor, not the stream's merged state.
        StateInspector* inspector = w.stateInspector();
        QVERIFY(inspector->sourceBox()->isVisibleTo(&w));
        QSignalSpy shown(dock->stateLink(), &ProjectionStateLink::stateShown);
        QVERIFY(inspector->setCurrentSource(ProjectionStateLink::key(QStringLiteral("totals.js"))));
        QTRY_VERIFY(!shown.isEmpty() && shown.last().at(2).toLongLong() == 5);
        const QJsonObject at5{{"placed", 2}, {"total", 42}, {"paid", "10:00:09"}};
        QCOMPARE(inspector->model()->value().toObject(), at5);
        QCOMPARE(inspector->model()->highlightedPaths(), QStringList{"/paid"});

        // Selecting a stream does not take the inspector back to the merged state.
        w.controller()->setSelectedStream(QStringLiteral("order-2"));
        QTest::qWait(100);
        QVERIFY(QTest::qWaitFor([&] { return w.isIdle(); }, 5000));
        QCOMPARE(inspector->model()->value().toObject(), at5);
        // The cursor moves on to event 6 (OrderCancelled), which no handler of totals.js takes: the state
        // stays, and the highlight is still what its last handled event (OrderPaid, 5) changed.
        w.controller()->setCursor(6);
        w.controller()->flush();
        QTRY_VERIFY(shown.last().at(2).toLongLong() == 6);
        QCOMPARE(inspector->model()->value().toObject(), at5);
        QCOMPARE(inspector->model()->highlightedPaths(), QStringList{"/paid"});
        QVERIFY(inspector->caption().contains(QLatin1String("after position 6")));
        QVERIFY(inspector->caption().contains(QLatin1String("(position 5)")));

        // The screenshot shows the markers (not blank) with the state dock as it is.
        const QString shot = m_dir.filePath("watch.png");
        QVERIFY(w.saveScreenshot(shot));
        const QImage img(shot);
        QVERIFY(!img.isNull());
        if (qEnvironmentVariableIsSet("CHRONOSCOPE_KEEP_SCREENSHOT"))
            img.save(qEnvironmentVariable("CHRONOSCOPE_KEEP_SCREENSHOT"));

        // Back to the default: the window shows order-2's merged state again.
        QSignalSpy windowState(&w, &MainWindow::stateShown);
        QVERIFY(inspector->setCurrentSource(QString()));
        QTRY_VERIFY(!windowState.isEmpty());
        QCOMPARE(inspector->model()->value().toObject().value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        QVERIFY(inspector->caption().contains(QLatin1String("order-2")));
    }

    void diffDockComparesProjections()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<ProjectionsDock*>();
        QVERIFY(dock && dock->diffLink());
        QSignalSpy loaded(dock, &ProjectionsDock::projectionLoaded);
        dock->loadSource(QStringLiteral("totals.js"), QString::fromLatin1(kTotals));
        dock->loadSource(QStringLiteral("totals-v2.js"), QString::fromLatin1(kTotalsV2));
        QTRY_COMPARE(loaded.count(), 2);
        dock->setCompared(QStringLiteral("totals.js"), QStringLiteral("totals-v2.js"));
        QSignalSpy shown(dock->diffLink(), &ProjectionDiffLink::diffShown);

        // Before the cancellation both agree.
        w.controller()->setCursor(5);
        w.controller()->flush();
        dock->setCompareInDiff(true);
        QVERIFY(dock->diffLink()->active());
        QTRY_VERIFY(!shown.isEmpty() && shown.last().at(2).toLongLong() == 5);
        QCOMPARE(w.diffInspector()->summary(), QStringLiteral("No differences."));
        // Setting the stream diff's A and B does not take the dock back while the comparison is on.
        w.controller()->setMarkerA(1);
        w.controller()->setMarkerB(3);
        QTest::qWait(100);
        QVERIFY(w.diffInspector()->summary() == QStringLiteral("No differences."));

        // After event 6 (OrderCancelled) B has one more key.
        w.controller()->setCursor(6);
        w.controller()->flush();
        QTRY_VERIFY(shown.last().at(2).toLongLong() == 6);
        QVERIFY2(w.diffInspector()->summary().startsWith(QLatin1String("1 added, 0 removed, 0 changed")),
                 qPrintable(w.diffInspector()->summary()));
        QCOMPARE(w.diffInspector()->model()->rowCount(), 1);

        // Swapping A and B: the key is now removed going from A to B.
        dock->setCompared(QStringLiteral("totals-v2.js"), QStringLiteral("totals.js"));
        QTRY_VERIFY(shown.last().at(0).toString() == QLatin1String("totals-v2.js"));
        QVERIFY(w.diffInspector()->summary().startsWith(QLatin1String("0 added, 1 removed, 0 changed")));

        // Off: the dock compares the stream's states at the markers again.
        QSignalSpy streamDiff(&w, &MainWindow::diffShown);
        dock->setCompareInDiff(false);
        QVERIFY(!dock->diffLink()->active());
        QTRY_VERIFY(!streamDiff.isEmpty());
    }

    void projectionDiffBlame()
    {
        // Blame from the Diff dock while it compares two projections: the path shown is looked up in the
        // projection (not in a stream's merged state), and the window moves to the event found.
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<ProjectionsDock*>();
        QSignalSpy loaded(dock, &ProjectionsDock::projectionLoaded);
        dock->loadSource(QStringLiteral("totals.js"), QString::fromLatin1(kTotals));
        dock->loadSource(QStringLiteral("totals-v2.js"), QString::fromLatin1(kTotalsV2));
        QTRY_COMPARE(loaded.count(), 2);
        dock->setCompared(QStringLiteral("totals.js"), QStringLiteral("totals-v2.js"));
        // As a user would: a stream diff first (order-1 between A and B), then the projections compared.
        w.controller()->setSelectedStream(QStringLiteral("order-1"));
        w.controller()->setMarkerA(1);
        w.controller()->setMarkerB(7);
        QSignalSpy streamDiff(&w, &MainWindow::diffShown);
        QTRY_VERIFY(!streamDiff.isEmpty());
        QSignalSpy shown(dock->diffLink(), &ProjectionDiffLink::diffShown);
        w.controller()->setCursor(7);
        w.controller()->flush();
        dock->setCompareInDiff(true);
        QTRY_VERIFY(!shown.isEmpty() && shown.last().at(2).toLongLong() == 7);

        DiffModel* m = w.diffInspector()->model();
        QTableView* view = w.diffInspector()->view();
        QCOMPARE(m->rowCount(), 1);
        QCOMPARE(m->pathAt(0), QStringLiteral("/cancelled"));  // only B counts cancellations
        QSignalSpy blamed(&w, &MainWindow::blameShown);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(m->index(0, DiffModel::PathColumn)).center());
        QTRY_COMPARE_WITH_TIMEOUT(blamed.count(), 1, 10000);
        QCOMPARE(blamed.at(0).at(0).toLongLong(), 6);  // OrderCancelled set it
        auto* blameLabel = w.diffInspector()->findChild<QLabel*>("blameResult");
        QVERIFY2(blameLabel->text().contains(QLatin1String("OrderCancelled")), qPrintable(blameLabel->text()));
        QVERIFY(!blameLabel->text().contains(QLatin1String("not found")));
        // The window went there: cursor, selected event, events table; the diff follows the cursor.
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 6);
        QCOMPARE(w.controller()->selectedEvent(), 6);
        QTRY_COMPARE(w.eventTable()->model()->positionAt(w.eventTable()->view()->currentIndex().row()), 6);
        QTRY_VERIFY(shown.last().at(2).toLongLong() == 6);
        QCOMPARE(m->pathAt(0), QStringLiteral("/cancelled"));
        QVERIFY(blameLabel->text().contains(QLatin1String("OrderCancelled")));  // kept across the new diff

        // A path only A has (swapped: B lacks /cancelled) is blamed in A.
        dock->setCompared(QStringLiteral("totals-v2.js"), QStringLiteral("totals.js"));
        QTRY_VERIFY(shown.last().at(0).toString() == QLatin1String("totals-v2.js"));
        QCOMPARE(m->opAt(0), QStringLiteral("remove"));
        w.controller()->setCursor(7);
        w.controller()->flush();
        QTRY_VERIFY(shown.last().at(2).toLongLong() == 7);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(m->index(0, DiffModel::PathColumn)).center());
        QTRY_COMPARE_WITH_TIMEOUT(blamed.count(), 2, 10000);
        QCOMPARE(blamed.at(1).at(0).toLongLong(), 6);
        QVERIFY(blameLabel->text().contains(QLatin1String("totals-v2.js")));
    }
};

QTEST_MAIN(TstAppWatchpoints)
#include "tst_app_watchpoints.moc"
