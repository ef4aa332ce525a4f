// The desktop app end to end, offscreen, driven with QTest: open a real store file (and fail to open bad
// ones without losing it), select a stream, step, play, go to, set A and B and read the diff, blame selects
// the right event, follow causation/correlation links, recent files keep no secrets, screenshots are not blank.
#include "app_fixtures.h"
#include "diffinspector.h"
#include "diffmodel.h"
#include "eventinspector.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "gotodialog.h"
#include "jsontreemodel.h"
#include "mainwindow.h"
#include "replaycontroller.h"
#include "replaycontrols.h"
#include "stateinspector.h"
#include "store/storewriter.h"
#include "streambrowser.h"
#include "timelinewidget.h"
#include "views_fixtures.h"

#include <QApplication>
#include <QCryptographicHash>
#include <QEventLoop>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using namespace chronoscope;
using namespace chronoscope::fixtures;

namespace {

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

int distinctColors(const QImage& image)
{
    QSet<QRgb> colors;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colors.insert(image.pixel(x, y));
    return int(colors.size());
}

} // namespace

class TstAppMainWindow : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_store;

    void waitIdle(MainWindow& w)
    {
        w.controller()->flush();
        QVERIFY(QTest::qWaitFor([&] { return w.isIdle(); }, 10000));
        QCoreApplication::processEvents();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath("shop.chronoscope");
        QString error;
        QVERIFY2(writeStore(m_store, shopEvents(), {}, &error), qPrintable(error));
    }

    void openStore()
    {
        const QByteArray before = fileHash(m_store);
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndWait(w, m_store));
        QVERIFY(w.index());
        QCOMPARE(w.index()->size(), 7);
        QCOMPARE(w.index()->streams, (QStringList{"order-1", "order-2", "payment-1"}));
        QCOMPARE(w.controller()->cursor(), 7); // opens at the end
        QVERIFY(w.windowTitle().contains("shop.chronoscope"));
        QCOMPARE(w.recentFiles().value(0), m_store);
        QCOMPARE(w.eventTable()->model()->totalRows(), 7);
        waitIdle(w);
        QCOMPARE(fileHash(m_store), before); // opening never writes to the store
    }

    void failedOpenKeepsStore_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("missing file") << "missing.chronoscope" << QByteArray();
        QTest::newRow("not sqlite") << "garbage.sqlite" << QByteArray("this is not a database\n");
        QTest::newRow("truncated sqlite header") << "cut.sqlite" << QByteArray("SQLite format 3\0", 16);
    }
    void failedOpenKeepsStore()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        const QString path = m_dir.filePath(name);
        if (!content.isEmpty()) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
        }
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, m_store));
        const auto index = w.index();
        QSignalSpy failed(&w, &MainWindow::openFailed);
        w.open(path);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        const QString error = failed.at(0).at(1).toString();
        QVERIFY2(error.contains(name), qPrintable(error)); // the message names the file
        QCOMPARE(w.index(), index);                        // the previous store is still open
        QVERIFY(w.currentDisplayUri().endsWith("shop.chronoscope"));
        w.controller()->stepPrevious(); // and usable
        QCOMPARE(w.controller()->cursor(), 6);
    }

    void recentFilesKeepNoSecrets()
    {
        MainWindow w;
        w.setInteractive(false);
        QSignalSpy failed(&w, &MainWindow::openFailed);
        w.open("postgresql://alice:s3cret-pw@127.0.0.1:1/shop");
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 15000);
        QVERIFY(!failed.at(0).at(0).toString().contains("s3cret"));
        QVERIFY(!failed.at(0).at(1).toString().contains("s3cret"));
        QVERIFY(openAndWait(w, m_store));
        QSettings().sync();
        QFile settingsFile(QSettings().fileName());
        QVERIFY(settingsFile.open(QIODevice::ReadOnly));
        QVERIFY(!settingsFile.readAll().contains("s3cret"));
        for (const QString& r : w.recentFiles())
            QVERIFY(!r.contains("s3cret"));
    }

    void selectStepAndState()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        waitIdle(w);

        // Selecting a stream in the browser chooses the lanes and the stream replay follows.
        w.streamBrowser()->selectStream("order-1");
        QCOMPARE(w.timeline()->lanes(), QList<int>{0});
        QCOMPARE(w.controller()->selectedStream(), QStringLiteral("order-1"));

        QSignalSpy state(&w, &MainWindow::stateShown);
        w.activateWindow();
        w.timeline()->setFocus();
        QTest::keyClick(w.timeline(), Qt::Key_Home);
        QCOMPARE(w.controller()->cursor(), 1);
        QTest::keyClick(w.timeline(), Qt::Key_Right);
        QTest::keyClick(w.timeline(), Qt::Key_Right);
        QCOMPARE(w.controller()->cursor(), 3);
        waitIdle(w);
        QVERIFY(state.count() > 0);
        // order-1 at position 3: only OrderPlaced applied.
        QCOMPARE(w.stateInspector()->model()->value().toObject(), (QJsonObject{{"status", "placed"}, {"total", 30}}));

        // Step within the selected stream: next order-1 event is position 5 (OrderPaid).
        w.controller()->setStepScope(ReplayController::StepScope::SelectedStream);
        QTest::keyClick(w.timeline(), Qt::Key_Right);
        QCOMPARE(w.controller()->cursor(), 5);
        waitIdle(w);
        const QJsonObject paid{{"status", "paid"}, {"total", 30}, {"paidAt", "10:00:09"}};
        QCOMPARE(w.stateInspector()->model()->value().toObject(), paid);
        QStringList changed = w.stateInspector()->model()->highlightedPaths();
        changed.sort();
        QCOMPARE(changed, (QStringList{"/paidAt", "/status"}));
        QCOMPARE(w.stateInspector()->model()->indexForPath("/status").data(JsonTreeModel::HighlightRole).toInt(),
                 int(JsonTreeModel::Changed));
        QCOMPARE(w.stateInspector()->model()->indexForPath("/total").data(JsonTreeModel::HighlightRole).toInt(),
                 int(JsonTreeModel::None));
        // The event inspector shows the cursor's event.
        QTRY_VERIFY(w.eventInspector()->event() && w.eventInspector()->event()->position == 5);
        QCOMPARE(w.eventInspector()->event()->type, QStringLiteral("OrderPaid"));
        // The table follows the cursor.
        QCOMPARE(w.eventTable()->model()->positionAt(w.eventTable()->view()->currentIndex().row()), 5);

        QTest::keyClick(w.timeline(), Qt::Key_End);
        QCOMPARE(w.controller()->cursor(), 7);
        QTest::keyClick(w.timeline(), Qt::Key_Left);
        QCOMPARE(w.controller()->cursor(), 5);
    }

    void playAndPause()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        w.controller()->setCursor(0);
        w.controller()->setSpeed(64);
        QTest::mouseClick(w.controls()->playButton(), Qt::LeftButton);
        QVERIFY(w.controller()->isPlaying());
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->isPlaying(), 5000); // 7 events at 640/s: done quickly
        QCOMPARE(w.controller()->cursor(), 7);
        // Space toggles: from the end it starts over, a second Space pauses.
        w.controller()->setSpeed(0.25);
        w.timeline()->setFocus();
        QTest::keyClick(w.timeline(), Qt::Key_Space);
        QVERIFY(w.controller()->isPlaying());
        QTest::keyClick(w.timeline(), Qt::Key_Space);
        QVERIFY(!w.controller()->isPlaying());
        // The slider moves the cursor too.
        w.controls()->slider()->setValue(4);
        QCOMPARE(w.controller()->cursor(), 4);
    }

    void goTo_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<qint64>("cursor");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("position") << int(GoToDialog::Position) << "4" << "" << qint64(4) << true;
        QTest::newRow("position out of range") << int(GoToDialog::Position) << "99" << "" << qint64(7) << false;
        QTest::newRow("position not a number") << int(GoToDialog::Position) << "four" << "" << qint64(7) << false;
        QTest::newRow("version") << int(GoToDialog::Version) << "order-1" << "1" << qint64(5) << true;
        QTest::newRow("unknown stream") << int(GoToDialog::Version) << "order-9" << "0" << qint64(7) << false;
        QTest::newRow("date-time") << int(GoToDialog::DateTime) << "2026-01-05T10:00:05.500Z" << "" << qint64(4) << true;
        QTest::newRow("bad date-time") << int(GoToDialog::DateTime) << "tomorrow" << "" << qint64(7) << false;
    }
    void goTo()
    {
        QFETCH(int, mode);
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(qint64, cursor);
        QFETCH(bool, accepted);
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        bool sawDialog = false, result = false;
        QTimer::singleShot(0, this, [&] {
            auto* d = qobject_cast<GoToDialog*>(QApplication::activeModalWidget());
            if (!d)
                return;
            sawDialog = true;
            d->setMode(GoToDialog::Mode(mode));
            if (mode == GoToDialog::Position)
                d->positionEdit()->setText(a);
            else if (mode == GoToDialog::Version) {
                d->streamEdit()->setText(a);
                d->versionEdit()->setText(b);
            } else
                d->timeEdit()->setText(a);
            result = d->apply();
            d->reject();
        });
        w.timeline()->setFocus();
        QTest::keyClick(w.timeline(), Qt::Key_G, Qt::ControlModifier); // Ctrl+G
        QVERIFY(sawDialog);
        QCOMPARE(result, accepted);
        QCOMPARE(w.controller()->cursor(), cursor);
    }

    void diffAndBlame()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        w.streamBrowser()->selectStream("order-1");
        QSignalSpy diffs(&w, &MainWindow::diffShown);
        w.controller()->setCursor(1);
        QTest::mouseClick(w.controls()->findChild<QToolButton*>("setA"), Qt::LeftButton);
        w.controller()->setCursor(7);
        QTest::mouseClick(w.controls()->findChild<QToolButton*>("setB"), Qt::LeftButton);
        QCOMPARE(w.controller()->markerA(), 1);
        QCOMPARE(w.controller()->markerB(), 7);
        QTRY_VERIFY_WITH_TIMEOUT(diffs.count() > 0, 10000);
        waitIdle(w);

        DiffModel* m = w.diffInspector()->model();
        QMap<QString, QStringList> rows;
        for (int r = 0; r < m->rowCount(); ++r)
            rows[m->pathAt(r)] = {m->opAt(r), m->index(r, DiffModel::AColumn).data().toString(),
                                  m->index(r, DiffModel::BColumn).data().toString()};
        QCOMPARE(rows.keys(), (QStringList{"/carrier", "/paidAt", "/status"}));
        QCOMPARE(rows["/status"], (QStringList{"replace", "\"placed\"", "\"shipped\""}));
        QCOMPARE(rows["/paidAt"], (QStringList{"add", "—", "\"10:00:09\""}));
        QCOMPARE(rows["/carrier"], (QStringList{"add", "—", "\"DHL\""}));
        QVERIFY(w.diffInspector()->summary().startsWith("2 added, 0 removed, 1 changed"));

        // Blame: clicking a path selects the event that last changed it (at B).
        auto* view = w.diffInspector()->view();
        auto blameRow = [&](const QString& path) {
            for (int r = 0; r < m->rowCount(); ++r)
                if (m->pathAt(r) == path)
                    return r;
            return -1;
        };
        QSignalSpy blamed(&w, &MainWindow::blameShown);
        const QRect paidAt = view->visualRect(m->index(blameRow("/paidAt"), DiffModel::PathColumn));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, paidAt.center());
        QTRY_COMPARE_WITH_TIMEOUT(blamed.count(), 1, 10000);
        QCOMPARE(blamed.at(0).at(0).toLongLong(), 5); // OrderPaid set paidAt
        QCOMPARE(w.controller()->selectedEvent(), 5);
        // The whole window moves to that event, not only the event panel: the cursor, the state panel (the
        // stream's state right after it, highlighting what it changed) and the events table's current row.
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle() && w.stateInspector()->caption().contains("position 5"), 10000);
        QCOMPARE(w.stateInspector()->model()->value().toObject().value("paidAt").toString(), QStringLiteral("10:00:09"));
        QCOMPARE(w.stateInspector()->model()->value().toObject().value("status").toString(), QStringLiteral("paid"));
        QVERIFY(w.stateInspector()->model()->highlightedPaths().contains("/paidAt"));
        QTRY_COMPARE(w.eventTable()->model()->positionAt(w.eventTable()->view()->currentIndex().row()), 5);
        QVERIFY(w.findChild<QLabel*>("statusCursor")->text().contains("#5"));
        // The diff (between the markers, not the cursor) stays as it was.
        QCOMPARE(m->rowCount(), 3);
        const QRect status = view->visualRect(m->index(blameRow("/status"), DiffModel::PathColumn));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, status.center());
        QTRY_COMPARE_WITH_TIMEOUT(blamed.count(), 2, 10000);
        QCOMPARE(w.controller()->selectedEvent(), 7); // OrderShipped set status last
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 7);
        QTRY_COMPARE(w.eventTable()->model()->positionAt(w.eventTable()->view()->currentIndex().row()), 7);

        // Swapping A and B reverses the diff.
        w.controller()->setMarkerA(7);
        w.controller()->setMarkerB(1);
        QTRY_VERIFY_WITH_TIMEOUT(diffs.count() >= 2 && w.isIdle(), 10000);
        QTRY_VERIFY(w.diffInspector()->summary().startsWith("0 added, 2 removed, 1 changed"));
    }

    void timelineInteraction()
    {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        TimelineWidget* t = w.timeline();
        const double span = t->mapping().span();
        // Wheel up zooms in around the mouse.
        const QPoint mid(t->mapping().left + t->mapping().width / 2, TimelineWidget::kAxisHeight + 60);
        const double anchor = t->mapping().timeAt(mid.x());
        QWheelEvent wheel(mid, t->mapToGlobal(mid), {}, QPoint(0, 120), Qt::NoButton, {}, Qt::NoScrollPhase, false);
        QApplication::sendEvent(t, &wheel);
        QVERIFY(t->mapping().span() < span);
        QVERIFY(qAbs(t->mapping().timeAt(mid.x()) - anchor) < 1.0);
        // Drag pans.
        t->fitAll();
        const double start = t->mapping().start;
        QTest::mousePress(t, Qt::LeftButton, {}, mid);
        QTest::mouseMove(t, mid + QPoint(100, 0));
        QTest::mouseRelease(t, Qt::LeftButton, {}, mid + QPoint(100, 0));
        QVERIFY(t->mapping().start < start);
        // Clicking an event selects it and moves the cursor there: payment-1's PaymentFailed (position 4).
        t->fitAll();
        QCoreApplication::processEvents();
        const int lane = w.index()->laneOf("payment-1");
        const QPoint at(int(t->xForTime(double(kT0 + 5000))), t->yForLane(lane));
        QVERIFY(at.y() > 0);
        QCOMPARE(t->eventAt(at), 4);
        QTest::mouseClick(t, Qt::LeftButton, {}, at);
        QCOMPARE(w.controller()->cursor(), 4);
        QCOMPARE(w.controller()->selectedStream(), QStringLiteral("payment-1"));
    }

    void followLinks()
    {
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, m_store));
        w.controller()->jumpToEvent(5);
        QTRY_VERIFY(w.eventInspector()->event() && w.eventInspector()->event()->position == 5);
        QVERIFY(w.eventInspector()->linksLabel()->text().contains("causation:e4"));
        // Causation: the one event with id e4 gets selected.
        Q_EMIT w.eventInspector()->causationRequested("e4");
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->cursor(), 4, 10000);
        // Correlation: every event of c1 is listed.
        Q_EMIT w.eventInspector()->correlationRequested("c1");
        QTRY_COMPARE_WITH_TIMEOUT(w.eventInspector()->relatedList()->count(), 5, 10000);
        QList<qint64> positions;
        for (int i = 0; i < 5; ++i)
            positions << w.eventInspector()->relatedList()->item(i)->data(Qt::UserRole).toLongLong();
        QCOMPARE(positions, (QList<qint64>{1, 3, 4, 5, 7}));
    }

    void typingAFilterChoosesLanes()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        QTest::keyClicks(w.streamBrowser()->searchBox(), "order-*");
        QTRY_COMPARE(w.timeline()->lanes(), (QList<int>{0, 1}));
        w.streamBrowser()->searchBox()->clear();
        QTest::keyClicks(w.streamBrowser()->searchBox(), "nothing-matches");
        QTRY_COMPARE(w.timeline()->laneCount(), 0);
        // Pinned streams stay whatever the filter says.
        w.streamBrowser()->setPattern("", false);
        w.streamBrowser()->selectStream("payment-1");
        w.streamBrowser()->togglePinSelected();
        w.streamBrowser()->clearSelection();
        w.streamBrowser()->setPattern("order-2", false);
        QCOMPARE(w.timeline()->lanes(), (QList<int>{2, 1}));
    }

    void dropOpensFile()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(m_store)});
        const QPoint at(w.width() / 2, w.height() / 2);
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
        QApplication::sendEvent(&w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, {});
        QApplication::sendEvent(&w, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(opened.count(), 1, 10000);
        QCOMPARE(w.index()->size(), 7);
    }

    void ndjsonWithBadLineOpens()
    {
        // The valid part of a bad input opens; the skipped line is reported.
        const QString path = m_dir.filePath("events.ndjson");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"stream":"cart-1","type":"CartOpened","time":"2026-01-05T10:00:00Z","data":{"items":0}})" "\n"
                R"({"stream":"cart-1","type":"ItemAdded","time":"2026-01-05T10:00:01Z","data":{"items":1}})" "\n"
                "{this line is broken\n"
                R"({"stream":"cart-2","type":"CartOpened","time":"2026-01-05T10:00:02Z","data":{"items":0}})" "\n");
        f.close();
        const QByteArray before = fileHash(path);
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, path));
        QCOMPARE(w.index()->size(), 3);
        QCOMPARE(w.index()->streams, (QStringList{"cart-1", "cart-2"}));
        QVERIFY2(!w.index()->info.warnings.isEmpty(), "the skipped line is reported");
        QVERIFY(w.index()->info.warnings.join(' ').contains("3")); // names the line
        w.controller()->setSelectedStream("cart-1");
        w.controller()->setCursor(2);
        waitIdle(w);
        QCOMPARE(w.stateInspector()->model()->value().toObject(), (QJsonObject{{"items", 1}}));
        QCOMPARE(fileHash(path), before);
    }

    void cancelledOpenKeepsStore()
    {
        // A big NDJSON file so the import takes long enough to cancel.
        const QString path = m_dir.filePath("big.ndjson");
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QByteArray chunk;
            for (int i = 0; i < 400000; ++i)
                chunk += QStringLiteral(R"({"stream":"s-%1","type":"T","time":"2026-01-05T10:00:00Z","data":{"i":%2}})" "\n")
                             .arg(i % 100)
                             .arg(i)
                             .toUtf8();
            f.write(chunk);
        }
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, m_store));
        const auto index = w.index();
        QSignalSpy failed(&w, &MainWindow::openFailed);
        w.open(path);
        QTest::qWait(50);
        w.cancelOpen();
        QVERIFY(failed.count() == 1 || failed.wait(kSafetyNetMs));
        QCOMPARE(failed.at(0).at(1).toString(), QStringLiteral("cancelled"));
        QCOMPARE(w.index(), index);
        QVERIFY(!w.isOpening());
        // Opening it again afterwards works in full: nothing half-written was taken for complete.
        QVERIFY(openAndWait(w, path));
        QCOMPARE(w.index()->size(), 400000);
    }

    void hugePayloadAndWideState()
    {
        // One event with a 5 MB payload and a stream whose state has 50,000 keys.
        const QString path = m_dir.filePath("big.chronoscope");
        QString error;
        auto writer = StoreWriter::create(path, {}, &error, true);
        QVERIFY2(writer, qPrintable(error));
        QJsonObject wide;
        for (int i = 0; i < 50000; ++i)
            wide.insert(QStringLiteral("k%1").arg(i), i);
        QVERIFY(writer->append(makeEvent("wide-1", 0, "Loaded", kT0, wide), &error));
        QVERIFY(writer->append(makeEvent("blob-1", 0, "Uploaded", kT0 + 1, {{"blob", QString(5 * 1024 * 1024, QLatin1Char('x'))}}), &error));
        QVERIFY2(writer->finish(&error), qPrintable(error));

        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndWait(w, path));
        w.controller()->jumpToEvent(1);
        waitIdle(w);
        QCOMPARE(w.stateInspector()->model()->rowCount(), 50000);
        QTRY_VERIFY(w.eventInspector()->event() && w.eventInspector()->event()->position == 1);
        w.controller()->jumpToEvent(2);
        waitIdle(w);
        QTRY_VERIFY(w.eventInspector()->event() && w.eventInspector()->event()->position == 2);
        QVERIFY(w.eventInspector()->event()->data.size() > 5 * 1024 * 1024);
        // The raw view is cut at 1M characters with a note; the copy button copies everything.
        QVERIFY(w.eventInspector()->rawView()->toPlainText().size() < EventInspector::kMaxRawChars + 200);
        QVERIFY(w.eventInspector()->rawView()->toPlainText().contains("Copy event JSON copies all"));
    }

    void screenshots()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        w.streamBrowser()->selectStream("order-1");
        w.controller()->setMarkerA(1);
        w.controller()->setMarkerB(7);
        w.controller()->jumpToEvent(5);
        waitIdle(w);
        const QString path = m_dir.filePath("window.png");
        QVERIFY(w.saveScreenshot(path));
        QImage shot(path);
        QCOMPARE(shot.size(), QSize(1600, 1000));
        QVERIFY(distinctColors(shot) > 20);
        // Each main view on its own is drawn (not blank).
        const QList<QWidget*> views{w.timeline(), w.streamBrowser(), w.stateInspector(), w.eventInspector(),
                                    w.diffInspector(), w.eventTable(), w.controls()};
        for (QWidget* v : views) {
            const QImage img = v->grab().toImage();
            QVERIFY2(!img.isNull() && img.width() > 50 && img.height() > 20, qPrintable(v->objectName()));
            QVERIFY2(distinctColors(img) > 4, qPrintable(v->objectName()));
        }
    }
};

QTEST_MAIN(TstAppMainWindow)
#include "tst_app_mainwindow.moc"
