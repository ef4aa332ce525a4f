// The Findings dock in the main window, offscreen: the demo store opens with the payment outage as the
// first finding; clicking a finding zooms the timeline to its range, filters the lanes to its streams,
// puts the cursor on its first event and lists its correlation chain; the overview row marks findings
// and notes; a note pinned in the dock goes to the sidecar, never to the store.
// With CHRONOSCOPE_SHOTS=DIR set, screenshots at 1280x720 and 1920x1080, light and dark, go to DIR.
#include "demo/demogenerator.h"
#include "eventinspector.h"
#include "findings/annotations.h"
#include "findings/findingsdock.h"
#include "mainwindow.h"
#include "replaycontroller.h"
#include "theme.h"
#include "timelinewidget.h"

#include <QCryptographicHash>
#include <QDockWidget>
#include <QFile>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace chronoscope;

namespace {

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                       : QByteArray();
}

} // namespace

class TstAppFindings : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_store;

    bool openAndWait(MainWindow& w)
    {
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        w.open(m_store);
        if (!opened.wait(60000)) return false;
        auto* dock = w.findChild<FindingsDock*>();
        if (!dock) return false;
        (void)QTest::qWaitFor(
            [&] { return !dock->isComputing() && dock->findingsList()->topLevelItemCount() > 0; }, 60000);
        (void)QTest::qWaitFor([&] { return w.isIdle(); }, 30000);
        return !dock->isComputing() && dock->findingsList()->topLevelItemCount() > 0 && w.isIdle();
    }

    void click(QTreeWidget* list, int row)
    {
        QTreeWidgetItem* item = list->topLevelItem(row);
        QVERIFY(item);
        list->scrollToItem(item);
        const QRect r = list->visualItemRect(item);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, r.center());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(QStringLiteral("demo.chronoscope"));
        QString error;
        QVERIFY2(generateDemoStore(m_store, DemoOptions{}, {}, {}, &error), qPrintable(error));
        // Notes of an earlier run of the tests must not leak in.
        QFile::remove(AnnotationSet::sidecarPath(AnnotationSet::storeIdentity(m_store)));
    }

    void demoOpensWithTheOutageFirst()
    {
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 720);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<FindingsDock*>();
        QVERIFY(dock);
        QVERIFY(w.findChild<QDockWidget*>(QStringLiteral("findingsDock")));
        const QList<Finding> found = dock->findings();
        QVERIFY(!found.isEmpty());
        QCOMPARE(found.first().rule, QStringLiteral("burst"));
        QCOMPARE(found.first().subjects.value(0), QStringLiteral("PaymentFailed"));
        QVERIFY(dock->findingsList()->topLevelItem(0)->text(0).contains(QStringLiteral("PaymentFailed")));
        const DemoIncident incident = demoIncident(DemoOptions{});
        QVERIFY(found.first().from >= incident.begin && found.first().to <= incident.end);
        // The overview row marks every finding, numbered by rank.
        const QList<TimelineRangeMark> marks = w.timeline()->rangeMarks();
        QCOMPARE(marks.size(), found.size());
        QCOMPARE(marks.first().label, QStringLiteral("1"));
        QCOMPARE(marks.first().from, double(found.first().from));
    }

    void clickGoesToTheFinding_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::newRow("the outage burst") << "burst";
        QTest::newRow("a retried payment (has a chain)") << "retry";
        QTest::newRow("the silence") << "silence";
    }

    void clickGoesToTheFinding()
    {
        QFETCH(QString, rule);
        MainWindow w;
        w.setInteractive(false);
        w.resize(1280, 720);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<FindingsDock*>();
        const QList<Finding> found = dock->findings();
        int row = -1;
        for (int i = 0; i < found.size() && row < 0; ++i)
            if (found[i].rule == rule) row = i;
        QVERIFY2(row >= 0, qPrintable(rule));
        const Finding& f = found[row];
        const qint64 cursorBefore = w.controller()->cursor();
        QVERIFY(cursorBefore != f.firstPosition);
        QSignalSpy activated(dock, &FindingsDock::findingActivated);
        click(dock->findingsList(), row);
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.first().first().toInt(), row);

        // The timeline shows the range, zoomed in (not the whole store).
        const TimeMapping& map = w.timeline()->mapping();
        QVERIFY2(
            map.start <= double(f.from) && map.end >= double(f.to),
            qPrintable(QStringLiteral("%1..%2 vs %3..%4").arg(map.start).arg(map.end).arg(f.from).arg(f.to)));
        const double span = std::max(double(f.to - f.from), 60'000.0);
        QVERIFY2(map.end - map.start <= span * 1.31 + 60'001.0,
                 qPrintable(QString::number(map.end - map.start)));
        // The lanes are the finding's streams.
        QCOMPARE(w.timeline()->laneCount(), int(f.streams.size()));
        // The cursor is on its first event, and that event's stream is selected.
        QTRY_COMPARE(w.controller()->cursor(), f.firstPosition);
        QCOMPARE(w.controller()->selectedEvent(), f.firstPosition);
        // A finding with a correlation chain lists it in the Event dock.
        if (!f.correlation.isEmpty()) {
            QListWidget* related = w.eventInspector()->relatedList();
            QTRY_VERIFY_WITH_TIMEOUT(related->count() >= f.eventCount / std::max<qint64>(1, f.streamCount),
                                     20000);
            QVERIFY(related->count() >= 2);
        }
        QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
    }

    void keyboardActivates()
    {
        MainWindow w;
        w.setInteractive(false);
        w.show();
        QVERIFY(openAndWait(w));
        auto* dock = w.findChild<FindingsDock*>();
        QTreeWidget* list = dock->findingsList();
        list->setFocus();
        list->setCurrentItem(list->topLevelItem(1));
        QSignalSpy activated(dock, &FindingsDock::findingActivated);
        QTest::keyClick(list, Qt::Key_Return);
        QCOMPARE(activated.count(), 1);
        QTRY_COMPARE(w.controller()->cursor(), dock->findings().at(1).firstPosition);
    }

    void notesGoToTheSidecar()
    {
        const QByteArray before = fileHash(m_store);
        const QString sidecar = AnnotationSet::sidecarPath(AnnotationSet::storeIdentity(m_store));
        {
            MainWindow w;
            w.setInteractive(false);
            w.show();
            QVERIFY(openAndWait(w));
            auto* dock = w.findChild<FindingsDock*>();
            const Finding first = dock->findings().first();
            const int marksBefore = int(w.timeline()->rangeMarks().size());
            const QString id = dock->addNote(QStringLiteral("13:40 acmepay stops answering"),
                                             first.firstPosition, kNoTime, kNoTime);
            QVERIFY(!id.isEmpty());
            QCOMPARE(dock->notesList()->topLevelItemCount(), 1);
            QCOMPARE(int(w.timeline()->rangeMarks().size()), marksBefore + 1);
            QCOMPARE(w.timeline()->rangeMarks().last().label, QStringLiteral("✎"));
            QVERIFY(QFile::exists(sidecar));
            // Clicking the note goes to its event.
            w.controller()->last();
            click(dock->notesList(), 0);
            QTRY_COMPARE(w.controller()->cursor(), first.firstPosition);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        }
        QCOMPARE(fileHash(m_store), before); // the store is never written
        {
            // Opened again: the note is back, pinned to the same event (by position, id and stream).
            MainWindow w;
            w.setInteractive(false);
            w.show();
            QVERIFY(openAndWait(w));
            auto* dock = w.findChild<FindingsDock*>();
            QCOMPARE(dock->notes().notes().size(), 1);
            const Annotation& a = dock->notes().notes().first();
            QCOMPARE(a.text, QStringLiteral("13:40 acmepay stops answering"));
            QCOMPARE(a.position, dock->findings().first().firstPosition);
            QVERIFY(a.stream.startsWith(QStringLiteral("payment-")));
            QVERIFY(!a.eventId.isEmpty());
            QVERIFY(dock->removeNote(a.id));
            QCOMPARE(dock->notesList()->topLevelItemCount(), 0);
            QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
        }
        QCOMPARE(fileHash(m_store), before);
    }

    void screenshots()
    {
        const QString dir = qEnvironmentVariable("CHRONOSCOPE_SHOTS");
        if (dir.isEmpty()) QSKIP("set CHRONOSCOPE_SHOTS=DIR to write the dock's screenshots");
        for (Theme theme : {Theme::Light, Theme::Dark}) {
            // The window applies the saved theme when it is made.
            QSettings().setValue(QStringLiteral("theme"),
                                 theme == Theme::Dark ? QStringLiteral("dark") : QStringLiteral("light"));
            for (const QSize size : {QSize(1280, 720), QSize(1920, 1080)}) {
                MainWindow w;
                w.setInteractive(false);
                w.resize(size);
                w.show();
                QVERIFY(openAndWait(w));
                auto* dock = w.findChild<FindingsDock*>();
                click(dock->findingsList(), 0);
                QTRY_VERIFY_WITH_TIMEOUT(w.isIdle(), 30000);
                QTest::qWait(200);
                const QString path =
                    QStringLiteral("%1/findings-%2x%3-%4.png")
                        .arg(dir)
                        .arg(size.width())
                        .arg(size.height())
                        .arg(theme == Theme::Dark ? QStringLiteral("dark") : QStringLiteral("light"));
                QVERIFY(w.saveScreenshot(path, size));
            }
        }
        QSettings().remove(QStringLiteral("theme"));
        applyTheme(Theme::System);
    }
};

QTEST_MAIN(TstAppFindings)
#include "tst_app_findings.moc"
