// Stories in the app, offscreen, driven through the widgets: the Story dock (open, chapters and their
// timeline marks, drag-reorder, glossary edits with missing sentences flagged, lint, undo/redo, save
// byte-identical, new chapter from the timeline's selection, draft from a correlation), the Sequence dock
// synchronised with the cursor both ways, and File ▸ Export Story as (PDF, PNGs, cancel, errors, the video
// entries without ffmpeg). Bad input: a malformed story file, an invalid story, an unwritable save path.

#include "demo/demogenerator.h"
#include "eventinspector.h"
#include "mainwindow.h"
#include "replaycontroller.h"
#include "story/storydocument.h"
#include "storyedit/sequencedock.h"
#include "storyedit/storydock.h"
#include "storyedit/storyexporter.h"
#include "storywiring.h"
#include "timelinewidget.h"

#include <QAction>
#include <QDir>
#include <QListWidget>
#include <QMenu>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using namespace chronoscope;

namespace {

constexpr int kWaitMs = 60000; // only against a hang: tests wait for signals or states, never a guessed time

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

int differingLines(const QByteArray& a, const QByteArray& b)
{
    const QList<QByteArray> la = a.split('\n'), lb = b.split('\n');
    int n = int(std::abs(la.size() - lb.size()));
    for (int k = 0; k < std::min(la.size(), lb.size()); ++k)
        n += la[k] != lb[k];
    return n;
}

int glossaryRow(QTableWidget* t, const QString& type)
{
    for (int r = 0; r < t->rowCount(); ++r)
        if (t->item(r, 0)->data(Qt::UserRole).toString() == type) return r;
    return -1;
}

} // namespace

class TstAppStoryDock : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_store, m_story;
    QByteArray m_storyBytes;
    std::unique_ptr<MainWindow> m_window;

    StoryWiring* wiring() { return m_window->findChild<StoryWiring*>(); }
    StoryDock* dock() { return wiring()->storyDock(); }

    /// A fresh copy of the shipped story, opened and resolved.
    void openShipped()
    {
        QVERIFY(writeAll(m_story, m_storyBytes));
        QSignalSpy resolved(dock(), &StoryDock::resolved);
        QString error;
        QVERIFY2(dock()->openStory(m_story, &error), qPrintable(error));
        QVERIFY(resolved.wait(kWaitMs));
        QTRY_VERIFY_WITH_TIMEOUT(!dock()->isResolving(), kWaitMs);
    }

    /// Two small chapters (a few events each): the export paths without the cost of the whole demo story.
    void openShort()
    {
        const QByteArray text =
            R"({"chronostory": 1, "title": "Short", "source": {"uri": "../demo.chronoscope"},
  "chapters": [{"id": "a", "title": "Three events", "range": {"fromPosition": 100, "toPosition": 102},
                "caption": "{count} events"},
               {"id": "b", "title": "One more", "range": {"fromPosition": 200, "toPosition": 200}}]})";
        const QString path = m_dir.filePath(QStringLiteral("stories/short.chronostory.json"));
        QVERIFY(writeAll(path, text));
        QSignalSpy resolved(dock(), &StoryDock::resolved);
        QString error;
        QVERIFY2(dock()->openStory(path, &error), qPrintable(error));
        QVERIFY(resolved.wait(kWaitMs));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(QStringLiteral("demo.chronoscope"));
        QString error;
        // The build's demo store (resources/, what the shipped story is written for) when it is there.
        const QString built = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/resources/demo.chronoscope");
        if (!QFile::exists(built) || !QFile::copy(built, m_store))
            QVERIFY2(generateDemoStore(m_store, DemoOptions{}, {}, {}, &error), qPrintable(error));
        // The shipped story names ../demo.chronoscope and ../projections/*.js: the same layout here.
        QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("stories")));
        QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("projections")));
        for (const QString& js :
             {QStringLiteral("revenue-per-day.js"), QStringLiteral("revenue-per-day-v2.js")})
            QVERIFY(QFile::copy(QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/projections/") + js,
                                m_dir.filePath(QStringLiteral("projections/") + js)));
        m_storyBytes = readAll(
            QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/stories/payment-outage.chronostory.json"));
        QVERIFY(!m_storyBytes.isEmpty());
        m_story = m_dir.filePath(QStringLiteral("stories/payment-outage.chronostory.json"));

        m_window = std::make_unique<MainWindow>();
        m_window->setInteractive(false);
        m_window->resize(1400, 900);
        m_window->show();
        QSignalSpy opened(m_window.get(), &MainWindow::storeOpened);
        m_window->open(m_store);
        QVERIFY(opened.wait(kWaitMs));
        QVERIFY(wiring());
        dock()->setInteractive(false);
    }

    void cleanupTestCase() { m_window.reset(); }

    void openShowsChaptersMarksGlossaryAndLint()
    {
        openShipped();
        QListWidget* chapters = dock()->chapterList();
        QCOMPARE(chapters->count(), 6);
        QCOMPARE(chapters->item(0)->text(), QStringLiteral("1. A normal order, 2 March"));
        // Chapter marks with titles on the main timeline, in story order.
        const QList<TimelineRangeMark> marks = m_window->timeline()->chapterMarks();
        QCOMPARE(marks.size(), 6);
        QCOMPARE(marks[1].label, QStringLiteral("2 13:40: the card provider goes silent"));
        QVERIFY(marks[1].from <= marks[1].to);
        // The shipped story is lint-clean against the demo store.
        QCOMPARE(dock()->lintList()->count(), 1);
        QVERIFY(dock()->lintList()->item(0)->text().startsWith(QStringLiteral("✓")));
        // Every type of the store has a row; the shipped glossary words them all.
        QTableWidget* g = dock()->glossaryTable();
        QVERIFY(g->rowCount() >= 21);
        const int failed = glossaryRow(g, QStringLiteral("PaymentFailed"));
        QVERIFY(failed >= 0);
        QCOMPARE(g->item(failed, 1)->text(),
                 QStringLiteral("The card provider did not answer ({/lastError/code})"));
        QCOMPARE(g->item(failed, 2)->text(), QStringLiteral("bad"));
        // Activate a chapter (Enter, or a double-click): the cursor goes to its first beat.
        chapters->setCurrentRow(3);
        QTest::keyClick(chapters, Qt::Key_Return);
        QTRY_COMPARE(m_window->controller()->cursor(), dock()->spans()[3].firstPosition);
    }

    void saveWithoutEditsIsByteIdentical()
    {
        openShipped();
        QVERIFY(!dock()->isModified());
        QString error;
        QVERIFY2(dock()->save(&error), qPrintable(error));
        QCOMPARE(readAll(m_story), m_storyBytes);
        const QString copy = m_dir.filePath(QStringLiteral("stories/copy.chronostory.json"));
        QVERIFY2(dock()->saveAs(copy, &error), qPrintable(error));
        QCOMPARE(readAll(copy), m_storyBytes);
        QCOMPARE(dock()->storyPath(), QFileInfo(copy).absoluteFilePath());
    }

    void glossaryEditChangesOneLineAndUndoes()
    {
        openShipped();
        QTableWidget* g = dock()->glossaryTable();
        const int row = glossaryRow(g, QStringLiteral("PaymentFailed"));
        g->item(row, 1)->setText(QStringLiteral("The card provider stays silent"));
        QTRY_VERIFY(dock()->isModified());
        QString error;
        QVERIFY2(dock()->save(&error), qPrintable(error));
        const QByteArray saved = readAll(m_story);
        QCOMPARE(differingLines(m_storyBytes, saved), 1);
        QVERIFY(saved.contains(
            R"("PaymentFailed":       { "say": "The card provider stays silent", "tone": "bad" },)"));
        QVERIFY(!dock()->isModified());
        // Undo gives the original text back (and the file is then "modified" against the saved one).
        dock()->undoStack()->undo();
        QCOMPARE(dock()->text(), m_storyBytes);
        QVERIFY(dock()->isModified());
        dock()->undoStack()->redo();
        QCOMPARE(dock()->text(), saved);
        // A tone that is not a tone is refused and changes nothing.
        const QByteArray before = dock()->text();
        g = dock()->glossaryTable();
        g->item(glossaryRow(g, QStringLiteral("PaymentFailed")), 2)->setText(QStringLiteral("angry"));
        QVERIFY(dock()->lastError().contains(QStringLiteral("not a tone")));
        QCOMPARE(dock()->text(), before);
    }

    void typeWithoutSentenceIsFlagged()
    {
        openShipped();
        QTableWidget* g = dock()->glossaryTable();
        const int row = glossaryRow(g, QStringLiteral("OrderCompleted"));
        QVERIFY(!g->item(row, 0)->text().startsWith(QStringLiteral("⚠")));
        g->item(row, 1)->setText(QString()); // the sentence removed: the type now reads as its name in words
        QTRY_VERIFY(g->item(glossaryRow(g, QStringLiteral("OrderCompleted")), 0)
                        ->text()
                        .startsWith(QStringLiteral("⚠")));
        const int again = glossaryRow(g, QStringLiteral("OrderCompleted"));
        QVERIFY(g->item(again, 1)->toolTip().contains(QStringLiteral("Order completed")));
        QVERIFY(dock()->tabs()->tabText(1).contains(QStringLiteral("1 ⚠")));
        QVERIFY(dock()->valid());
    }

    void dragReorderMovesChapters()
    {
        openShipped();
        QSignalSpy resolved(dock(), &StoryDock::resolved);
        // What an internal drag-and-drop does to the list's model: chapter 1 dropped below chapter 3.
        QVERIFY(dock()->chapterList()->model()->moveRow(QModelIndex(), 0, QModelIndex(), 3));
        QTRY_COMPARE(dock()->story().chapters.value(2).id, QStringLiteral("happy"));
        QCOMPARE(dock()->story().chapters.value(0).id, QStringLiteral("outage"));
        QTRY_COMPARE(dock()->chapterList()->item(2)->text(), QStringLiteral("3. A normal order, 2 March"));
        QVERIFY(resolved.wait(kWaitMs));
        QCOMPARE(m_window->timeline()->chapterMarks().value(2).label,
                 QStringLiteral("3 A normal order, 2 March"));
        // The same lines, moved: nothing else in the file changed.
        QList<QByteArray> a = m_storyBytes.split('\n'), b = dock()->text().split('\n');
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        QCOMPARE(a, b);
        dock()->undoStack()->undo();
        QCOMPARE(dock()->text(), m_storyBytes);
    }

    void newChapterFromTimelineSelection()
    {
        openShipped();
        const double from = 1772545800000.0; // 2026-03-03T13:50:00Z
        const double to = from + 5 * 60 * 1000;
        m_window->timeline()->setSelectionRange(from, to);
        QSignalSpy resolved(dock(), &StoryDock::resolved);
        dock()->newChapterAction()->trigger();
        QCOMPARE(dock()->chapterList()->count(), 7);
        QVERIFY(dock()->valid());
        const story::Chapter& c = dock()->story().chapters.last();
        QCOMPARE(c.anchor.kind, story::Anchor::Kind::Range);
        QCOMPARE(c.anchor.fromTime, qint64(from));
        QCOMPARE(c.anchor.toTime, qint64(to));
        QVERIFY(dock()->text().contains("      \"range\": { \"fromTime\": \"2026-03-03T13:50:00Z\", "
                                        "\"toTime\": \"2026-03-03T13:55:00Z\" },\n"));
        QVERIFY(resolved.wait(kWaitMs));
        QCOMPARE(m_window->timeline()->chapterMarks().size(), 7);
        QVERIFY(dock()->spans().value(6).ok);
        // No selection: a clear message, no chapter.
        m_window->timeline()->setSelectionRange(0, 0);
        dock()->newChapterAction()->trigger();
        QVERIFY(dock()->lastError().contains(QStringLiteral("Select a time range")));
        QCOMPARE(dock()->chapterList()->count(), 7);
    }

    void draftFromTheEventsCorrelation()
    {
        openShipped();
        // The first beat of the "happy" chapter carries the chapter's correlation id.
        const qint64 position = dock()->spans()[0].firstPosition;
        QSignalSpy shown(m_window.get(), &MainWindow::eventShown);
        m_window->controller()->jumpToEvent(position);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->eventInspector()->event() &&
                                     m_window->eventInspector()->event()->position == position,
                                 kWaitMs);
        QSignalSpy changed(dock(), &StoryDock::storyChanged);
        dock()->draftAction()->trigger();
        QVERIFY(changed.wait(kWaitMs));
        QVERIFY(dock()->valid());
        QVERIFY(dock()->storyPath().isEmpty());
        QVERIFY(dock()->isModified());
        QVERIFY(dock()->chapterList()->count() >= 2);
        QVERIFY(dock()->text().contains("7a049a10-d435-479d-8f4e-05fa824c0af4") ||
                dock()->story().chapters.size() >= 2);
        // Saving needs a path: a clear error, nothing lost.
        QString error;
        QVERIFY(!dock()->save(&error));
        QVERIFY(error.contains(QStringLiteral("Save As")));
    }

    void malformedStoryKeepsTheOpenOne()
    {
        openShipped();
        const QString bad = m_dir.filePath(QStringLiteral("stories/bad.chronostory.json"));
        QVERIFY(writeAll(bad, m_storyBytes.left(m_storyBytes.size() / 2)));
        QString error;
        QVERIFY(!dock()->openStory(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("line")), qPrintable(error));
        QCOMPARE(dock()->storyPath(), QFileInfo(m_story).absoluteFilePath());
        QCOMPARE(dock()->text(), m_storyBytes);
        QVERIFY(!dock()->openStory(m_dir.filePath(QStringLiteral("missing.json")), &error));
        QVERIFY(error.contains(QStringLiteral("Cannot read")));
        // JSON that is not a valid story opens so it can be fixed; its error is the first lint row.
        QByteArray invalid = m_storyBytes;
        invalid.replace("\"range\": { \"fromTime\": \"2026-03-03T13:40:00Z\"",
                        "\"around\": { \"fromTime\": \"2026-03-03T13:40:00Z\"");
        QVERIFY(writeAll(bad, invalid));
        QVERIFY2(dock()->openStory(bad, &error), qPrintable(error));
        QVERIFY(!dock()->valid());
        QVERIFY(dock()->lintList()->item(0)->text().startsWith(QStringLiteral("✗")));
        QVERIFY2(dock()->lintList()->item(0)->text().contains(QStringLiteral("/chapters/1")),
                 qPrintable(dock()->lintList()->item(0)->text()));
        QVERIFY(!wiring()->exportAction(StoryExportKind::Pdf)->isEnabled());
    }

    void unwritableSaveLosesNothing()
    {
        openShipped();
        dock()->edit(QStringLiteral("title"), [](story::StoryDocument& d, QString* e) {
            return d.setString(QStringLiteral("/title"), QStringLiteral("Edited"), e);
        });
        QVERIFY(dock()->isModified());
        const QByteArray edited = dock()->text();
        QString error;
        QVERIFY(!dock()->saveAs(m_dir.filePath(QStringLiteral("no/such/folder/x.chronostory.json")), &error));
        QVERIFY2(error.contains(QStringLiteral("Could not save")) &&
                     error.contains(QStringLiteral("still open")),
                 qPrintable(error));
        QVERIFY(dock()->isModified());
        QCOMPARE(dock()->text(), edited);
        QCOMPARE(dock()->storyPath(), QFileInfo(m_story).absoluteFilePath());
        QCOMPARE(readAll(m_story), m_storyBytes); // the file on disk is untouched
    }

    void sequenceFollowsTheCursorBothWays()
    {
        openShipped();
        SequenceDock* seq = wiring()->sequenceDock();
        QSignalSpy loaded(seq, &SequenceDock::loaded);
        seq->showCorrelation(QStringLiteral("7a049a10-d435-479d-8f4e-05fa824c0af4"));
        QVERIFY(loaded.wait(kWaitMs));
        const story::SequenceLayout& layout = seq->layout();
        QVERIFY(layout.rows.size() >= 5);
        QVERIFY(
            layout.actors.contains(QStringLiteral("Order desk"))); // the story's glossary names the actors
        QVERIFY(layout.actors.contains(QStringLiteral("Payments")));
        // Click a message: the cursor goes to its event.
        int arrow = -1;
        for (int k = 0; k < layout.rows.size() && arrow < 0; ++k)
            if (layout.rows[k].kind == story::SequenceRow::Kind::Arrow && k > 0) arrow = k;
        QVERIFY(arrow > 0);
        SequenceView* view = seq->view();
        view->resize(view->sizeHint());
        QTest::mouseClick(view, Qt::LeftButton, {}, view->rowRect(arrow).center());
        const qint64 expected = seq->positions()[layout.rows[arrow].firstBeat];
        QTRY_COMPARE(m_window->controller()->cursor(), expected);
        QTRY_COMPARE(seq->highlightRow(), arrow);
        // Move the cursor elsewhere: the row holding the new cursor is highlighted.
        const int last = int(layout.rows.size()) - 1;
        int target = last;
        while (layout.rows[target].kind == story::SequenceRow::Kind::Gap)
            --target;
        m_window->controller()->jumpToEvent(seq->positions()[layout.rows[target].firstBeat]);
        QTRY_COMPARE(seq->highlightRow(), target);
        // Bad input: an id nobody carries.
        seq->showCorrelation(QStringLiteral("no-such-correlation"));
        QVERIFY(loaded.wait(kWaitMs));
        QVERIFY(seq->layout().rows.isEmpty());
        QVERIFY(seq->statusText().contains(QStringLiteral("No event carries")));
        // Streams near the cursor.
        seq->showStreams({QStringLiteral("payment-*")});
        QVERIFY(loaded.wait(kWaitMs));
        QCOMPARE(seq->layout().actors, QStringList{QStringLiteral("Payments")});
        QVERIFY(seq->positions().size() <= SequenceDock::kStreamWindow);
    }

    void exportPdfAndPngs()
    {
        openShort();
        QSignalSpy done(wiring(), &StoryWiring::exportFinished);
        const QString pdf = m_dir.filePath(QStringLiteral("story.pdf"));
        QString error;
        QVERIFY2(wiring()->startExport(StoryExportKind::Pdf, pdf, &error), qPrintable(error));
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(wiring()->lastResult().ok, qPrintable(wiring()->lastResult().error));
        QVERIFY(readAll(pdf).startsWith("%PDF"));
        const QString pngs = m_dir.filePath(QStringLiteral("pngs"));
        QVERIFY(wiring()->startExport(StoryExportKind::Pngs, pngs, &error));
        QVERIFY(done.wait(kWaitMs));
        QVERIFY2(wiring()->lastResult().ok, qPrintable(wiring()->lastResult().error));
        QCOMPARE(QDir(pngs).entryList({QStringLiteral("*.png")}).size(), 2);
    }

    void exportCancelAndErrors()
    {
        // The whole shipped story: its HTML takes long enough that the cancel lands before the export is done
        // (the two-chapter story could finish first, and then there was nothing to cancel).
        openShipped();
        QSignalSpy done(wiring(), &StoryWiring::exportFinished);
        const QString html = m_dir.filePath(QStringLiteral("cancelled.html"));
        QString error;
        QVERIFY(wiring()->startExport(StoryExportKind::Html, html, &error));
        wiring()->exporter()->cancel();
        QVERIFY(done.wait(kWaitMs));
        QVERIFY(wiring()->lastResult().cancelled);
        QVERIFY(!QFile::exists(html));
        QVERIFY(!QFile::exists(html + QStringLiteral(".partial")));
        // Onto the open store: refused, the store untouched.
        const QByteArray store = readAll(m_store);
        QVERIFY(wiring()->startExport(StoryExportKind::Bundle, m_store, &error));
        QVERIFY(done.wait(kWaitMs));
        QVERIFY(!wiring()->lastResult().ok);
        QVERIFY(wiring()->lastResult().error.contains(QStringLiteral("open store")));
        QCOMPARE(readAll(m_store), store);
        // An unwritable place: a clear error.
        QVERIFY(wiring()->startExport(StoryExportKind::Html,
                                      m_dir.filePath(QStringLiteral("no/such/dir/x.html")), &error));
        QVERIFY(done.wait(kWaitMs));
        QVERIFY(!wiring()->lastResult().ok);
        QVERIFY(wiring()->lastResult().error.contains(QStringLiteral("does not exist")));
    }

    void videoEntriesSayWhyWithoutFfmpeg()
    {
        openShipped();
        const QByteArray path = qgetenv("PATH");
        QTemporaryDir empty;
        qputenv("PATH", empty.path().toUtf8()); // no ffmpeg here, whether or not the machine has one
        dock()->applyText(dock()->text());      // the menu is refreshed whenever the story changes
        QAction* mp4 = wiring()->exportAction(StoryExportKind::Mp4);
        QAction* gif = wiring()->exportAction(StoryExportKind::Gif);
        QVERIFY(!mp4->isEnabled());
        QVERIFY(!gif->isEnabled());
        QVERIFY(mp4->toolTip().contains(QStringLiteral("ffmpeg")));
        QVERIFY(wiring()->exportAction(StoryExportKind::Pdf)->isEnabled());
        QString error;
        QVERIFY(
            !wiring()->startExport(StoryExportKind::Mp4, m_dir.filePath(QStringLiteral("x.mp4")), &error));
        QVERIFY(error.contains(QStringLiteral("ffmpeg")));
        qputenv("PATH", path);
    }

    void mp4ExportOnlyWhereFfmpegIsInstalled()
    {
        if (ffmpegExecutable().isEmpty())
            QSKIP("ffmpeg is not on PATH: the MP4 export test runs only where ffmpeg is installed");
        openShort();
        QString error;
        QTRY_VERIFY(wiring()->exportAction(StoryExportKind::Mp4)->isEnabled());
        QSignalSpy done(wiring(), &StoryWiring::exportFinished);
        const QString mp4 = m_dir.filePath(QStringLiteral("short.mp4"));
        QVERIFY2(wiring()->startExport(StoryExportKind::Mp4, mp4, &error), qPrintable(error));
        QVERIFY(done.wait(kWaitMs));
        const StoryExportResult r = wiring()->lastResult();
        QVERIFY2(r.ok, qPrintable(r.error));
        // Per chapter 2 s of title, then 1.2 s per beat (3 + 1 beats), at 30 fps.
        QCOMPARE(r.frames, qint64(2 * 2 * kVideoFps + 4 * 36));
        QCOMPARE(readAll(mp4).mid(4, 4), QByteArray("ftyp"));
    }
};

QTEST_MAIN(TstAppStoryDock)
#include "tst_app_storydock.moc"
