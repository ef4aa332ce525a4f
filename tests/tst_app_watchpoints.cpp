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
#include "replaycontroller.h"
#include "stateinspector.h"
#include "store/storewriter.h"
#include "timelinewidget.h"
#include "views_fixtures.h"

#include <QComboBox>
#include <QImage>
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

    bool openAndWait(MainWindow& w)
    {
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        w.open(m_store);
        return QTest::qWaitFor([&] { return opened.count() > 0; }, 10000);
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
};

QTEST_MAIN(TstAppWatchpoints)
#include "tst_app_watchpoints.moc"
