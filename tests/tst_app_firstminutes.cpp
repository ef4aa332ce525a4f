// The first five minutes (issue 15, item 3), each tried as a new user would, offscreen with QTest: the
// timeline brings the cursor into view after a jump; Tab walks the docks without moving the cursor and
// Alt+N focuses a dock; the Go to dialog; links keep the selected stream; docks keep their widths; the
// Projections dock at 1280x720; no stream filter carried into another store; dark theme check boxes and
// links; remote store titles; import progress; Save Capture As; --help/--version without a display.
#include "app_fixtures.h"
#include "chronoscope_version.h"
#include "diffinspector.h"
#include "diffmodel.h"
#include "eventinspector.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "gotodialog.h"
#include "mainwindow.h"
#include "openjob.h"
#include "projections/projectionsdock.h"
#include "replaycontroller.h"
#include "store/storewriter.h"
#include "streambrowser.h"
#include "theme.h"
#include "timelinewidget.h"
#include "views_fixtures.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QEventLoop>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QProcess>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace chronoscope;
using namespace chronoscope::fixtures;

namespace {

const char kCount[] = "fromAll().when({ $init: function () { return { n: 0 }; }, $any: function (s) { s.n++; } });";
const char kCountOrders[] = "fromAll().when({ $init: function () { return { n: 0 }; },\n"
                            "  $any: function (s, e) { if (e.streamId.indexOf('order-') === 0 || e.position > 3) s.n++; } });";

/// WCAG contrast ratio of two colours (1 … 21).
double contrast(const QColor& a, const QColor& b)
{
    auto lum = [](const QColor& c) {
        auto ch = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF());
    };
    const double la = lum(a), lb = lum(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

/// The highest contrast any pixel of `image` inside `rect` has against `background`.
double bestContrast(const QImage& image, const QRect& rect, const QColor& background)
{
    double best = 1.0;
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x)
            best = std::max(best, contrast(image.pixelColor(x, y), background));
    return best;
}

QDockWidget* dockOf(QWidget* w)
{
    for (; w; w = w->parentWidget())
        if (auto* d = qobject_cast<QDockWidget*>(w))
            return d;
    return nullptr;
}

} // namespace

class TstAppFirstMinutes : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_store, m_other, m_ndjson;

    void showWindow(MainWindow& w, const QSize& size = QSize(1400, 900))
    {
        w.setInteractive(false);
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, m_store));
        QCoreApplication::processEvents();
    }

    bool inView(MainWindow& w)
    {
        w.controller()->flush();
        QCoreApplication::processEvents();
        const auto& m = w.timeline()->mapping();
        const qint64 row = w.index()->rowOfPosition(w.controller()->cursor());
        const double t = double(w.index()->entries[size_t(row)].time);
        return t >= m.start && t <= m.end;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath("shop.chronoscope");
        QVERIFY(writeStore(m_store, shopEvents()));
        // Another store whose streams share no name with the shop's.
        m_other = m_dir.filePath("other.chronoscope");
        QVERIFY(writeStore(m_other, manyEvents(12, 3)));
        m_ndjson = m_dir.filePath("carts.ndjson");
        QFile f(m_ndjson);
        QVERIFY(f.open(QIODevice::WriteOnly));
        for (int i = 0; i < 400; ++i)
            f.write(QStringLiteral(R"({"stream":"cart-%1","type":"ItemAdded","time":"2026-01-05T10:%2:%3Z","data":{"n":%4}})"
                                   "\n").arg(i % 7).arg(i / 60, 2, 10, QLatin1Char('0')).arg(i % 60, 2, 10, QLatin1Char('0')).arg(i).toUtf8());
    }

    // Go to, a divergence and a watchpoint hit each move the cursor out of a zoomed-in view: the timeline
    // follows so the cursor is visible, at the same zoom.
    void jumpKeepsCursorInView_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("Go to (Ctrl+G)") << "goto" << qint64(7);
        QTest::newRow("first divergence") << "divergence" << qint64(3);
        QTest::newRow("watchpoint") << "watch" << qint64(7);
        QTest::newRow("event table row") << "table" << qint64(7);
    }
    void jumpKeepsCursorInView()
    {
        QFETCH(QString, how);
        QFETCH(qint64, expected);
        MainWindow w;
        showWindow(w);
        auto* projections = w.findChild<ProjectionsDock*>();
        QVERIFY(projections);
        if (how == "divergence" || how == "watch") {
            QSignalSpy loaded(projections, &ProjectionsDock::projectionLoaded);
            projections->loadSource("a.js", QString::fromLatin1(kCount));
            projections->loadSource("b.js", QString::fromLatin1(kCountOrders));
            QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
        }
        // The cursor where the view is: position 7 (a minute in) or position 1 (the start), zoomed to 2 s.
        const qint64 from = expected == 7 ? 1 : 7;
        w.controller()->setCursor(from);
        const double t = double(w.index()->entries[size_t(w.index()->rowOfPosition(from))].time);
        w.timeline()->setVisibleRange(t - 1000, t + 1000);
        QVERIFY(inView(w));
        const double span = w.timeline()->mapping().span();
        if (how == "goto") {
            QTimer::singleShot(0, this, [] {
                if (auto* d = qobject_cast<GoToDialog*>(QApplication::activeModalWidget())) {
                    d->setMode(GoToDialog::Position);
                    d->positionEdit()->setText("7");
                    d->accept();
                }
            });
            w.timeline()->setFocus();
            QTest::keyClick(w.timeline(), Qt::Key_G, Qt::ControlModifier);
        } else if (how == "divergence") {
            QSignalSpy diverged(projections, &ProjectionsDock::divergenceShown);
            projections->findDivergence("a.js", "b.js");
            QTRY_COMPARE_WITH_TIMEOUT(diverged.count(), 1, 10000);
        } else if (how == "watch") {
            QSignalSpy finished(projections, &ProjectionsDock::watchFinished);
            projections->selectProjection("a.js");
            projections->watchPredicate()->setText("state.n >= 7");
            projections->watchForward();
            QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        } else {
            w.eventTable()->followCursor()->setChecked(false);
            QTableView* view = w.eventTable()->view();
            const int row = w.eventTable()->model()->rowNearPosition(7);
            QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(w.eventTable()->model()->index(row, 0)).center());
        }
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), expected);
        QVERIFY2(inView(w), "the timeline scrolled so the cursor is visible");
        QVERIFY(qAbs(w.timeline()->mapping().span() - span) < 1.0); // same zoom
    }

    // Tab walks through every dock and back, never trapped in the Events table, and moves no cursor.
    void tabCyclesThroughDocks()
    {
        MainWindow w;
        showWindow(w);
        w.controller()->setCursor(3);
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 3);
        QApplication::setActiveWindow(&w);
        w.eventTable()->view()->setFocus(Qt::TabFocusReason);
        QSet<QString> visited;
        bool left = false;
        for (int i = 0; i < 200; ++i) {
            QWidget* f = QApplication::focusWidget();
            QVERIFY(f);
            QTest::keyClick(f, Qt::Key_Tab);
            if (QDockWidget* d = dockOf(QApplication::focusWidget()))
                visited.insert(d->objectName());
            if (dockOf(QApplication::focusWidget()) != dockOf(w.eventTable()))
                left = true;
            w.controller()->flush();
            QCOMPARE(w.controller()->cursor(), 3);
        }
        QVERIFY2(left, "Tab leaves the Events table");
        for (QDockWidget* d : w.findChildren<QDockWidget*>())
            if (d->isVisible() && !d->visibleRegion().isEmpty())
                QVERIFY2(visited.contains(d->objectName()), qPrintable("Tab never reached " + d->windowTitle()));
        // Focus arriving in a table without a current row (follow cursor off, a filter changed) moves no cursor.
        w.eventTable()->followCursor()->setChecked(false);
        w.eventTable()->typeFilter()->setCurrentIndex(w.eventTable()->typeFilter()->findData("OrderPlaced"));
        w.eventTable()->view()->setCurrentIndex({});
        w.timeline()->setFocus();
        w.eventTable()->view()->setFocus(Qt::TabFocusReason);
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 3);
    }

    // Alt+1 … focus each dock (one window for all: each window costs a store open).
    void altNumberFocusesDock()
    {
        MainWindow w;
        showWindow(w);
        QTest::qWait(1); // the shortcuts are numbered once the window is laid out
        w.controller()->setCursor(2);
        w.controller()->flush();
        // Story and Sequence are tabbed behind Streams and Event; Server Projections is hidden (no gRPC store),
        // so it gets no number.
        const QStringList docks{"streamsDock", "storyDock", "findingsDock", "stateDock", "projectionsDock",
                                "eventDock", "sequenceDock", "eventTableDock", "diffDock"};
        QStringList order;
        for (const QString& dock : docks) {
            auto* d = w.findChild<QDockWidget*>(dock);
            QVERIFY(d);
            auto* action = w.findChild<QAction*>("focus_" + dock);
            QVERIFY2(action, qPrintable("no Go to Panel action for " + dock));
            const QKeySequence key = action->shortcut();
            QVERIFY2(!key.isEmpty() && key[0].keyboardModifiers() == Qt::AltModifier, qPrintable(dock));
            order << key.toString();
            QApplication::setActiveWindow(&w);
            w.timeline()->setFocus();
            QTest::keyClick(&w, key[0].key(), key[0].keyboardModifiers());
            QVERIFY(QApplication::focusWidget());
            QCOMPARE(dockOf(QApplication::focusWidget()), d);
            QVERIFY2(!d->visibleRegion().isEmpty(), qPrintable(dock + " raised")); // Projections is tabbed behind State
        }
        // Reading order: left column, right column (State before the Projections tab behind it), bottom row.
        QCOMPARE(order, (QStringList{"Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5", "Alt+6", "Alt+7", "Alt+8", "Alt+9"}));
        auto* serverAction = w.findChild<QAction*>("focus_serverProjectionsDock");
        QVERIFY(serverAction);
        QVERIFY(serverAction->shortcut().isEmpty());
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 2);
    }

    // Go to: the field has the keyboard, the mode comes back next time, a date-time fits.
    void goToDialogFocusModeAndWidth()
    {
        MainWindow w;
        showWindow(w);
        QSettings().remove("goTo/mode");
        struct Seen { bool dialog = false; int mode = -1; QWidget* focus = nullptr; QLineEdit* expected = nullptr; int timeWidth = 0; int dateWidth = 0; };
        auto openDialog = [&](int setMode) {
            Seen seen;
            QTimer::singleShot(0, this, [&] {
                auto* d = qobject_cast<GoToDialog*>(QApplication::activeModalWidget());
                if (!d)
                    return;
                seen.dialog = true;
                seen.mode = d->mode();
                QCoreApplication::processEvents();
                seen.focus = QApplication::focusWidget();
                seen.expected = seen.mode == GoToDialog::DateTime ? d->timeEdit() : d->positionEdit();
                if (setMode >= 0)
                    d->setMode(GoToDialog::Mode(setMode));
                d->setMode(GoToDialog::DateTime);
                d->setMode(GoToDialog::Mode(setMode >= 0 ? setMode : seen.mode));
                seen.timeWidth = d->timeEdit()->width();
                seen.dateWidth = d->timeEdit()->fontMetrics().horizontalAdvance(d->timeEdit()->text());
                d->reject();
            });
            QTest::keyClick(&w, Qt::Key_G, Qt::ControlModifier);
            return seen;
        };
        QApplication::setActiveWindow(&w);
        w.timeline()->setFocus();
        Seen first = openDialog(GoToDialog::DateTime);
        QVERIFY(first.dialog);
        QCOMPARE(first.mode, int(GoToDialog::Position));
        QCOMPARE(first.focus, first.expected);
        QVERIFY2(first.timeWidth > first.dateWidth, qPrintable(QString("%1 px field, %2 px date").arg(first.timeWidth).arg(first.dateWidth)));
        QApplication::setActiveWindow(&w);
        w.timeline()->setFocus();
        Seen second = openDialog(-1);
        QVERIFY(second.dialog);
        QCOMPARE(second.mode, int(GoToDialog::DateTime)); // remembered
        QCOMPARE(second.focus, second.expected);
    }

    // A link from the Event dock moves the cursor; the selected stream, and the A → B diff being read, stay.
    void linksKeepSelectedStream()
    {
        MainWindow w;
        showWindow(w);
        w.streamBrowser()->selectStream("order-2");
        QSignalSpy diffs(&w, &MainWindow::diffShown);
        w.controller()->setMarkerA(1);
        w.controller()->setMarkerB(7);
        QTRY_VERIFY_WITH_TIMEOUT(diffs.count() > 0 && w.isIdle(), 10000);
        QCOMPARE(w.diffInspector()->model()->pathAt(0), QStringLiteral("/status"));
        const int rows = w.diffInspector()->model()->rowCount();
        QVERIFY(rows > 0);
        // Causation: the one event found becomes the cursor.
        w.controller()->setCursor(5);
        w.controller()->selectEvent(5);
        Q_EMIT w.eventInspector()->causationRequested("e4");
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->cursor(), 4, 10000);
        QCOMPARE(w.controller()->selectedStream(), QStringLiteral("order-2"));
        // Correlation: clicking an event of the chain.
        Q_EMIT w.eventInspector()->correlationRequested("c1");
        QTRY_COMPARE_WITH_TIMEOUT(w.eventInspector()->relatedList()->count(), 5, 10000);
        QListWidget* list = w.eventInspector()->relatedList();
        QListWidgetItem* paid = nullptr;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->data(Qt::UserRole).toLongLong() == 3)
                paid = list->item(i);
        QVERIFY(paid);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(paid).center());
        w.controller()->flush();
        QCOMPARE(w.controller()->cursor(), 3);
        QCOMPARE(w.controller()->selectedEvent(), 3);
        QCOMPARE(w.controller()->selectedStream(), QStringLiteral("order-2"));
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 10000);
        QCOMPARE(w.diffInspector()->model()->rowCount(), rows);
        QVERIFY(!w.diffInspector()->summary().startsWith("No differences"));
    }

    // Following links (long ids, a list of related events) leaves the columns as wide as they were.
    void docksKeepWidths_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1280x720") << QSize(1280, 720);
        QTest::newRow("1600x1000") << QSize(1600, 1000);
    }
    void docksKeepWidths()
    {
        QFETCH(QSize, size);
        // Long stream names and ids, as real stores have (uuids, tenant prefixes).
        const QString path = m_dir.filePath(QStringLiteral("long-%1.chronoscope").arg(size.width()));
        QList<Event> events;
        const QString corr = "correlation-7a1c9e52-31b4-4c8f-9d2e-5b7f0c1e8a43-tenant-north-europe-production";
        for (int i = 0; i < 6; ++i)
            events << makeEvent(QStringLiteral("tenant-north-europe-production/billing/invoice-%1-7a1c9e52-31b4-4c8f-9d2e").arg(i), 0,
                                "InvoiceReconciliationRequestedByScheduler", kT0 + i * 1000, {{"n", i}},
                                {{"correlationId", corr}, {"causationId", i ? QStringLiteral("cause-id-%1-7a1c9e52-31b4-4c8f-9d2e-5b7f0c1e8a43").arg(i - 1) : QString()}},
                                QStringLiteral("cause-id-%1-7a1c9e52-31b4-4c8f-9d2e-5b7f0c1e8a43").arg(i));
        QVERIFY(writeStore(path, events));
        MainWindow w;
        w.setInteractive(false);
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(openAndWait(w, path));
        QTest::qWait(50);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 10000);
        QCoreApplication::processEvents();
        const int timeline = w.timeline()->width();
        QVERIFY(timeline >= 400);
        w.controller()->jumpToEvent(events.size() > 0 ? 6 : 0);
        QTRY_VERIFY_WITH_TIMEOUT(w.eventInspector()->event() && w.eventInspector()->event()->position == 6, 10000);
        Q_EMIT w.eventInspector()->correlationRequested(corr);
        QTRY_COMPARE_WITH_TIMEOUT(w.eventInspector()->relatedList()->count(), 6, 10000);
        Q_EMIT w.eventInspector()->causationRequested("cause-id-2-7a1c9e52-31b4-4c8f-9d2e-5b7f0c1e8a43");
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->cursor(), 3, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 10000);
        QCoreApplication::processEvents();
        QVERIFY2(qAbs(w.timeline()->width() - timeline) <= 2,
                 qPrintable(QString("timeline %1 px before, %2 px after").arg(timeline).arg(w.timeline()->width())));
    }

    // At 1280x720 the Projections dock shows its controls without a scroll area, and a divergence reads as
    // the paths that differ, not as JSON.
    void projectionsDockFits()
    {
        MainWindow w;
        showWindow(w, QSize(1280, 720));
        auto* dock = w.findChild<ProjectionsDock*>();
        QVERIFY(dock);
        QVERIFY2(dock->findChildren<QScrollArea*>(QString(), Qt::FindDirectChildrenOnly).isEmpty(), "no scroll area");
        auto* dockWidget = dockOf(dock);
        dockWidget->raise();
        QCoreApplication::processEvents();
        QVERIFY2(dock->height() >= dock->minimumSizeHint().height(),
                 qPrintable(QString("%1 px tall, needs %2").arg(dock->height()).arg(dock->minimumSizeHint().height())));
        QVERIFY(w.timeline()->width() >= 400);
        QSignalSpy loaded(dock, &ProjectionsDock::projectionLoaded);
        dock->loadSource("a.js", QString::fromLatin1(kCount));
        dock->loadSource("b.js", QString::fromLatin1(kCountOrders));
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
        QSignalSpy diverged(dock, &ProjectionsDock::divergenceShown);
        dock->findDivergence("a.js", "b.js");
        QTRY_COMPARE_WITH_TIMEOUT(diverged.count(), 1, 10000);
        const QString text = dock->statusLabel()->text();
        QVERIFY2(text.contains("first differ after position 3"), qPrintable(text));
        QVERIFY2(text.contains("/n: A <code>3</code> → B <code>2</code>"), qPrintable(text));
        QVERIFY2(!text.contains("{\"n\""), qPrintable(text)); // not the states as JSON
        // Every control of the Compare and Watch pages fits inside the dock when its page is shown.
        auto* tabs = dock->findChild<QTabWidget*>("projectionTabs");
        QVERIFY(tabs);
        for (int page = 0; page < tabs->count(); ++page) {
            tabs->setCurrentIndex(page);
            QCoreApplication::processEvents();
            for (QWidget* c : tabs->currentWidget()->findChildren<QWidget*>()) {
                if (!c->isVisible() || !(qobject_cast<QPushButton*>(c) || qobject_cast<QComboBox*>(c) || qobject_cast<QLineEdit*>(c)))
                    continue;
                const QRect r(c->mapTo(dock, QPoint(0, 0)), c->size());
                QVERIFY2(dock->rect().contains(r), qPrintable(c->metaObject()->className() + QString(" outside the dock")));
            }
        }
    }

    // A filter typed for one store does not hide the next store's streams.
    void filterNotCarriedIntoAnotherStore()
    {
        MainWindow w;
        showWindow(w);
        w.streamBrowser()->setPattern("order-*", false);
        QCOMPARE(w.timeline()->laneCount(), 2);
        QVERIFY(openAndWait(w, m_other));
        QVERIFY(w.streamBrowser()->searchBox()->text().isEmpty());
        QCOMPARE(w.timeline()->laneCount(), 3); // item-0 … item-2
    }

    // Dark theme: an unchecked box stands out from the window, links read on the panel.
    void darkThemeReadable()
    {
        applyTheme(Theme::Dark);
        QWidget panel;
        panel.setAutoFillBackground(true);
        auto* box = new QCheckBox("Real time", &panel);
        auto* link = new QLabel("caused by <a href=\"causation:e1\">e1-7a1c9e52</a>", &panel);
        link->move(0, 30);
        panel.resize(240, 60);
        box->adjustSize();
        link->adjustSize();
        const QImage image = panel.grab().toImage();
        const QColor window = panel.palette().color(QPalette::Window);
        QStyleOptionButton option;
        option.initFrom(box);
        const QRect indicator = box->style()->subElementRect(QStyle::SE_CheckBoxIndicator, &option, box);
        const double boxContrast = bestContrast(image, indicator, window);
        QVERIFY2(boxContrast >= 3.0, qPrintable(QString("check box contrast %1").arg(boxContrast)));
        const QPalette pal = link->palette();
        QVERIFY(contrast(pal.color(QPalette::Link), window) >= 4.5);
        QVERIFY(contrast(pal.color(QPalette::LinkVisited), window) >= 4.5);
        applyTheme(Theme::Light);
    }

    void storeTitle_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("title");
        QTest::newRow("file") << "/data/stores/shop.chronoscope" << "shop.chronoscope";
        QTest::newRow("redis db number") << "redis://cache.internal:6379/0" << "redis://cache.internal:6379/0";
        QTest::newRow("redis with user and query") << "redis://reader@cache.internal:6379/2?streams=order-*" << "redis://cache.internal:6379/2";
        QTest::newRow("postgres") << "postgresql://app@db.internal:5432/events" << "postgresql://db.internal:5432/events";
        QTest::newRow("kurrentdb") << "esdb://localhost:2113?tls=false" << "esdb://localhost:2113";
        QTest::newRow("kafka host list") << "kafka://b1:9092,b2:9092/orders" << "kafka://b1:9092,b2:9092/orders";
    }
    void storeTitle()
    {
        QFETCH(QString, uri);
        QFETCH(QString, title);
        QCOMPARE(MainWindow::storeTitle(uri), title);
    }

    // The import says how far it is in MB and events, then that it is indexing.
    void importProgress()
    {
        OpenJob job(m_ndjson, m_dir.filePath("cache-progress"), {});
        QList<QString> texts;
        connect(&job, &OpenJob::progress, this, [&](qint64 done, qint64 total, const QString& what) {
            texts << openProgressText(done, total, what);
        });
        QSignalSpy finished(&job, &OpenJob::finished);
        job.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        const QString all = texts.join('\n');
        QVERIFY2(all.contains(QRegularExpression("Importing carts\\.ndjson \\(\\d+ events\\): [0-9.,]+ of [0-9.,]+ KB")), qPrintable(all));
        QVERIFY2(all.contains("Indexing carts.ndjson (400 events)"), qPrintable(all));
        QCOMPARE(openProgressText(5 * 1024 * 1024, 10 * 1024 * 1024, "Importing x.ndjson (12 events)"),
                 QLocale().toString(5.0, 'f', 1).prepend("Importing x.ndjson (12 events): ") + " of " + QLocale().toString(10.0, 'f', 1) + " MB");
    }

    // Save Capture As… only for what came from a remote store.
    void saveCaptureEnabled_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("enabled");
        QTest::newRow("native store") << "native" << false;
        QTest::newRow("local NDJSON file") << "ndjson" << false;
        QTest::newRow("capture of a remote store") << "capture" << true;
    }
    void saveCaptureEnabled()
    {
        QFETCH(QString, kind);
        QFETCH(bool, enabled);
        QString path = kind == "native" ? m_store : m_ndjson;
        if (kind == "capture") {
            path = m_dir.filePath("capture.chronoscope");
            QVERIFY(writeStore(path, shopEvents(), {{"source_uri", "redis://cache.internal:6379/0"}, {"scope", "all"}}));
        }
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, path));
        auto* action = w.findChild<QAction*>("saveCaptureAction");
        QVERIFY(action);
        QCOMPARE(action->isEnabled(), enabled);
    }

    // --help and --version answer where there is no display at all.
    void helpAndVersionWithoutDisplay_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<QString>("expected");
        QTest::newRow("--help") << "--help" << "Usage:";
        QTest::newRow("-h") << "-h" << "--screenshot";
        QTest::newRow("--version") << "--version" << QStringLiteral(CHRONOSCOPE_VERSION_STRING);
    }
    void helpAndVersionWithoutDisplay()
    {
        QFETCH(QString, option);
        QFETCH(QString, expected);
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        env.remove("WAYLAND_DISPLAY");
        env.insert("QT_QPA_PLATFORM", "xcb"); // a platform that needs a display, which is not there
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope"), {option});
        QVERIFY(p.waitForFinished(30000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
        QVERIFY2(out.contains(expected), qPrintable(out));
    }
};

QTEST_MAIN(TstAppFirstMinutes)
#include "tst_app_firstminutes.moc"
