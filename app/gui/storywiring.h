#pragma once
// The story parts of the main window, kept out of mainwindow.cpp: the Story dock (authoring), the Sequence
// dock, File ▸ Open Story… and File ▸ Export Story as PDF / HTML / PNGs / Bundle / MP4 / GIF with a
// progress dialog and Cancel. The MP4 and GIF entries are disabled, with a tooltip saying why, when ffmpeg
// is not on PATH.

#include "storyedit/storyexporter.h"

#include <QObject>
#include <QPointer>

class QAction;
class QMenu;
class QProgressDialog;

namespace chronoscope {

class MainWindow;
class SequenceDock;
class StoryDock;

class StoryWiring : public QObject
{
    Q_OBJECT
public:
    explicit StoryWiring(MainWindow* window);

    StoryDock* storyDock() const { return m_story; }
    SequenceDock* sequenceDock() const { return m_sequence; }
    StoryExporter* exporter() const { return m_exporter; }
    QMenu* exportMenu() const { return m_exportMenu; }
    QAction* exportAction(StoryExportKind kind) const;
    /// Starts an export to `output` (what the menu does after its file dialog). False with *error when no
    /// story or store is open or the story is not valid.
    bool startExport(StoryExportKind kind, const QString& output, QString* error);
    StoryExportResult lastResult() const { return m_last; }

Q_SIGNALS:
    void exportFinished(const chronoscope::StoryExportResult& result);

protected:
    /// Closing the window with unsaved story edits asks Save / Discard / Cancel (interactive windows only).
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void exportDialog(StoryExportKind kind);
    void updateActions();

    MainWindow* m_window;
    StoryDock* m_story;
    SequenceDock* m_sequence;
    StoryExporter* m_exporter;
    QMenu* m_exportMenu = nullptr;
    QList<QPair<StoryExportKind, QAction*>> m_actions;
    QPointer<QProgressDialog> m_progress;
    StoryExportResult m_last;
};

} // namespace chronoscope
