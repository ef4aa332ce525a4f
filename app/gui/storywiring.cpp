#include "storywiring.h"

#include "eventinspector.h"
#include "mainwindow.h"
#include "storyedit/sequencedock.h"
#include "storyedit/storydock.h"
#include "timelinewidget.h"

#include <QAction>
#include <QDockWidget>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QStatusBar>

namespace chronoscope {

StoryWiring::StoryWiring(MainWindow* window)
    : QObject(window), m_window(window), m_story(new StoryDock(window->controller())),
      m_sequence(new SequenceDock(window->controller())), m_exporter(new StoryExporter(this))
{
    setObjectName(QStringLiteral("storyWiring"));
    window->installEventFilter(this);
    m_story->attach(window->timeline(), window->eventInspector());
    m_sequence->attach(window->eventInspector());
    QDockWidget* storyDock = window->addPanel(tr("Story"), m_story, Qt::LeftDockWidgetArea);
    QDockWidget* sequenceDock = window->addPanel(tr("Sequence"), m_sequence, Qt::RightDockWidgetArea);
    // Beside the panels they work with: the story under the streams, the sequence with the event panel.
    if (auto* streams = window->findChild<QDockWidget*>(QStringLiteral("streamsDock")))
        window->tabifyDockWidget(streams, storyDock), streams->raise();
    if (auto* event = window->findChild<QDockWidget*>(QStringLiteral("eventDock")))
        window->tabifyDockWidget(event, sequenceDock), event->raise();

    connect(window, &MainWindow::storeOpened, this, [this] {
        m_story->setStore(m_window->reader(), m_window->index(), m_window->currentDisplayUri());
        m_sequence->setStore(m_window->reader(), m_window->index());
        updateActions();
    });
    connect(m_story, &StoryDock::storyChanged, this, [this] {
        m_sequence->setGlossary(m_story->valid() ? m_story->story().glossary : story::Glossary());
        updateActions();
    });
    connect(m_story, &StoryDock::pathChanged, storyDock, [storyDock] {
        storyDock->show();
        storyDock->raise();
    });
    connect(m_story, &StoryDock::message, this,
            [this](const QString& text) { m_window->statusBar()->showMessage(text, 8000); });
    // A chapter chosen in the Story dock shows its chain (a correlation focus) or its streams in the Sequence
    // dock.
    connect(m_story, &StoryDock::chapterActivated, this, [this, sequenceDock](int k) {
        if (!m_story->valid() || k >= m_story->story().chapters.size()) return;
        const story::Chapter& c = m_story->story().chapters[k];
        if (c.anchor.kind == story::Anchor::Kind::Correlation)
            m_sequence->showCorrelation(c.anchor.correlation);
        else if (!c.streams.isEmpty() || !c.anchor.streams.isEmpty())
            m_sequence->showStreams(c.streams.isEmpty() ? c.anchor.streams : c.streams);
        else
            return;
        sequenceDock->raise();
    });

    // File menu: Open Story… and Export Story as …, before the Quit entry's separator.
    QMenu* file = nullptr;
    for (QAction* a : window->menuBar()->actions())
        if (a->menu() && a->text().remove(QLatin1Char('&')) == tr("File")) file = a->menu();
    if (!file) return;
    QAction* before = nullptr;
    const QList<QAction*> items = file->actions();
    for (qsizetype k = items.size() - 1; k >= 0; --k)
        if (items[k]->isSeparator()) {
            before = items[k];
            break;
        }
    auto* openStory = new QAction(tr("Open S&tory…"), file);
    connect(openStory, &QAction::triggered, m_story, [this, storyDock] {
        storyDock->show();
        storyDock->raise();
        m_story->openDialog();
    });
    file->insertAction(before, openStory);
    m_exportMenu = new QMenu(tr("E&xport Story as"), file);
    m_exportMenu->setObjectName(QStringLiteral("exportStoryMenu"));
    file->insertMenu(before, m_exportMenu);
    const QList<QPair<StoryExportKind, QString>> kinds = {
        {StoryExportKind::Pdf, tr("&PDF…")},         {StoryExportKind::Html, tr("&HTML…")},
        {StoryExportKind::Pngs, tr("P&NGs…")},       {StoryExportKind::Bundle, tr("&Bundle…")},
        {StoryExportKind::Mp4, tr("&Video (MP4)…")}, {StoryExportKind::Gif, tr("&GIF…")}};
    for (const auto& [kind, text] : kinds) {
        QAction* a = m_exportMenu->addAction(text);
        const StoryExportKind k = kind;
        connect(a, &QAction::triggered, this, [this, k] { exportDialog(k); });
        m_actions.append({kind, a});
    }
    m_exportMenu->setToolTipsVisible(true);

    connect(m_exporter, &StoryExporter::progress, this, [this](int done, int total, const QString& what) {
        if (!m_progress) return;
        m_progress->setLabelText(what);
        m_progress->setMaximum(std::max(1, total));
        m_progress->setValue(std::min(done, total));
    });
    connect(m_exporter, &StoryExporter::finished, this, [this](const StoryExportResult& r) {
        m_last = r;
        if (m_progress) {
            m_progress->close();
            m_progress->deleteLater();
        }
        if (r.ok)
            m_window->statusBar()->showMessage(tr("Exported the story to %1 in %2 s")
                                                   .arg(r.output)
                                                   .arg(double(r.elapsedMs) / 1000.0, 0, 'f', 1),
                                               10000);
        else if (r.cancelled)
            m_window->statusBar()->showMessage(tr("Export cancelled; nothing was left behind"), 8000);
        else if (m_window->isInteractive())
            QMessageBox::warning(m_window, tr("Export Story"),
                                 tr("The story could not be exported: %1").arg(r.error));
        else
            m_window->statusBar()->showMessage(tr("The story could not be exported: %1").arg(r.error), 10000);
        Q_EMIT exportFinished(r);
    });
    updateActions();
}

bool StoryWiring::eventFilter(QObject* watched, QEvent* event)
{
    if (watched != m_window || event->type() != QEvent::Close || !m_story->isModified() || !m_window->isInteractive())
        return QObject::eventFilter(watched, event);
    const auto answer = QMessageBox::question(m_window, tr("Story"), tr("The story has unsaved changes. Save them?"),
                                              QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                              QMessageBox::Save);
    QString error;
    bool keepOpen = answer == QMessageBox::Cancel;
    if (answer == QMessageBox::Save) {
        if (m_story->storyPath().isEmpty())
            m_story->saveDialog();
        else if (!m_story->save(&error))
            QMessageBox::warning(m_window, tr("Story"), error);
        keepOpen = m_story->isModified(); // not saved (cancelled or failed): nothing is lost
    }
    if (keepOpen) {
        event->ignore();
        return true;
    }
    return QObject::eventFilter(watched, event);
}

QAction* StoryWiring::exportAction(StoryExportKind kind) const
{
    for (const auto& [k, a] : m_actions)
        if (k == kind) return a;
    return nullptr;
}

void StoryWiring::updateActions()
{
    const bool ready = m_story->hasStory() && m_story->valid() && m_window->reader();
    const bool ffmpeg = !ffmpegExecutable().isEmpty();
    for (const auto& [kind, a] : m_actions) {
        const bool video = kind == StoryExportKind::Mp4 || kind == StoryExportKind::Gif;
        a->setEnabled(ready && (!video || ffmpeg));
        if (video && !ffmpeg)
            a->setToolTip(tr("Needs ffmpeg, which is not installed (not found on PATH)"));
        else if (!ready)
            a->setToolTip(tr("Open a store and a valid story first"));
        else
            a->setToolTip(QString());
    }
}

bool StoryWiring::startExport(StoryExportKind kind, const QString& output, QString* error)
{
    if (!m_window->reader()) {
        *error = tr("Open a store first.");
        return false;
    }
    if (!m_story->hasStory() || !m_story->valid()) {
        *error = m_story->hasStory() ? tr("The story is not valid: %1").arg(m_story->storyError())
                                     : tr("Open a story first.");
        return false;
    }
    if ((kind == StoryExportKind::Mp4 || kind == StoryExportKind::Gif) && ffmpegExecutable().isEmpty()) {
        *error = tr("Video export needs ffmpeg, which is not installed.");
        return false;
    }
    const QString folder =
        m_story->storyPath().isEmpty() ? QFileInfo(output).path() : QFileInfo(m_story->storyPath()).path();
    m_exporter->start(kind, m_story->text(), folder, m_window->reader(), m_window->currentDisplayUri(),
                      output);
    if (m_window->isInteractive()) {
        m_progress = new QProgressDialog(tr("Exporting the story…"), tr("Cancel"), 0, 0, m_window);
        m_progress->setWindowTitle(tr("Export Story"));
        m_progress->setMinimumDuration(300);
        m_progress->setAutoClose(false);
        m_progress->setAutoReset(false);
        connect(m_progress, &QProgressDialog::canceled, m_exporter, &StoryExporter::cancel);
    }
    return true;
}

void StoryWiring::exportDialog(StoryExportKind kind)
{
    const QString base =
        m_story->storyPath().isEmpty()
            ? QStringLiteral("story")
            : QFileInfo(m_story->storyPath()).completeBaseName().remove(QStringLiteral(".chronostory"));
    QString path;
    switch (kind) {
    case StoryExportKind::Pngs:
        path = QFileDialog::getExistingDirectory(m_window, tr("Export Story as PNGs into"));
        break;
    case StoryExportKind::Pdf:
        path = QFileDialog::getSaveFileName(m_window, tr("Export Story as PDF"),
                                            base + QStringLiteral(".pdf"), tr("PDF (*.pdf)"));
        break;
    case StoryExportKind::Html:
        path = QFileDialog::getSaveFileName(m_window, tr("Export Story as HTML"),
                                            base + QStringLiteral(".html"), tr("HTML (*.html)"));
        break;
    case StoryExportKind::Bundle:
        path = QFileDialog::getSaveFileName(m_window, tr("Export Story as Bundle"),
                                            base + QStringLiteral(".chronoscope"),
                                            tr("Chronoscope store (*.chronoscope)"));
        break;
    case StoryExportKind::Mp4:
        path = QFileDialog::getSaveFileName(m_window, tr("Export Story as Video"),
                                            base + QStringLiteral(".mp4"), tr("MP4 video (*.mp4)"));
        break;
    case StoryExportKind::Gif:
        path = QFileDialog::getSaveFileName(m_window, tr("Export Story as GIF"),
                                            base + QStringLiteral(".gif"), tr("GIF (*.gif)"));
        break;
    }
    QString error;
    if (!path.isEmpty() && !startExport(kind, path, &error))
        QMessageBox::warning(m_window, tr("Export Story"), error);
}

} // namespace chronoscope
