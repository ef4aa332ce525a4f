#pragma once
// The Story dock: authoring a story (*.chronostory.json, docs/stories.md) in the app. The chapter list
// (drag to reorder, double-click to go to the chapter, edit a title in place), the glossary as a table
// (every event type of the store and of the glossary; types with no sentence flagged), the `story lint`
// findings as a list (a click goes to the chapter or the glossary), undo/redo and save. Chapters are
// marked on the timeline with their titles. "New chapter from selection" joins the timeline's context
// menu and "Draft story from this correlation" the event panel.
//
// The file is edited as text (story/storydocument.h): saving an unedited story gives its bytes back and
// an edit changes only its own lines. Every edit is an undo step holding the text before and after.
// Chapters are resolved and linted on a worker thread with a reader of its own (JobTracker).

#include "story/story.h"
#include "story/storydocument.h"
#include "timelinemarker.h"
#include "util/jobtracker.h"

#include <QWidget>

#include <functional>
#include <memory>

class QAction;
class QLabel;
class QListWidget;
class QListWidgetItem;
class QTabWidget;
class QTableWidget;
class QTimer;
class QUndoStack;

namespace chronoscope {

class EventInspector;
class EventReader;
class ReplayController;
class TimelineIndex;
class TimelineWidget;

class StoryDock : public QWidget
{
    Q_OBJECT
public:
    /// Where each chapter was found in the store (from the worker).
    struct ChapterSpan
    {
        bool ok = false;
        qint64 firstPosition = 0, lastPosition = 0;
        TimeMs from = kNoTime, to = kNoTime;
        int beats = 0;
        QString error;
    };

    explicit StoryDock(ReplayController* controller, QWidget* parent = nullptr);
    ~StoryDock() override;

    /// Adds "New chapter from selection" to the timeline's menu and "Draft story from this correlation"
    /// to the event panel, and marks chapters on the timeline.
    void attach(TimelineWidget* timeline, EventInspector* inspector);
    void setStore(const std::shared_ptr<EventReader>& reader,
                  const std::shared_ptr<const TimelineIndex>& index, const QString& displayUri);
    /// false: no dialogs (tests, screenshots); questions take their default, errors go to lastError().
    void setInteractive(bool on) { m_interactive = on; }

    /// Opens a story file. On failure (unreadable, not JSON) the open story stays and *error says why. A
    /// file that is JSON but not a valid story opens, its error first in the lint list, so it can be fixed.
    bool openStory(const QString& path, QString* error);
    /// Saves to the story's path (atomically: a failed save leaves the file and the edits as they were).
    bool save(QString* error);
    bool saveAs(const QString& path, QString* error);
    /// A new chapter over a time range (ms), appended to the story (a new story when none is open).
    bool newChapterFromRange(TimeMs from, TimeMs to, QString* error);
    /// Drafts a story from a correlation chain (on the worker); it replaces the open story, unsaved.
    void draftFromCorrelation(const QString& correlationId);

    bool hasStory() const { return !m_doc.isNull(); }
    QString storyPath() const { return m_path; }
    bool isModified() const;
    QByteArray text() const { return m_doc.text(); }
    /// The parsed story (valid() false when the text is not a valid story: storyError() says why).
    const story::Story& story() const { return m_story; }
    bool valid() const { return m_valid; }
    QString storyError() const { return m_storyError; }
    QString lastError() const { return m_lastError; }
    QList<ChapterSpan> spans() const { return m_spans; }
    bool isResolving() const;

    QUndoStack* undoStack() const { return m_undo; }
    QListWidget* chapterList() const { return m_chapters; }
    QTableWidget* glossaryTable() const { return m_glossary; }
    QListWidget* lintList() const { return m_lint; }
    QTabWidget* tabs() const { return m_tabs; }
    QAction* newChapterAction() const { return m_newChapter; }
    QAction* draftAction() const { return m_draft; }
    QAction* saveAction() const { return m_saveAct; }

    /// Edits the text through a function on the document; one undo step named `what`. False (and nothing
    /// changes) when the function fails.
    bool edit(const QString& what, const std::function<bool(story::StoryDocument&, QString*)>& change,
              QString* error = nullptr);
    /// Sets the text as the current document (undo steps call this).
    void applyText(const QByteArray& text);

public Q_SLOTS:
    void openDialog();
    void saveDialog();
    /// A click on a lint row: the chapter it names (selected, the cursor at its first beat) or the glossary.
    void activateLint(int row);
    /// The chapter's first beat under the cursor.
    void goToChapter(int chapter);

Q_SIGNALS:
    void chapterMarksChanged(const QList<chronoscope::TimelineRangeMark>& marks);
    /// The text changed (an edit, undo, open or draft); valid() tells whether it parses as a story.
    void storyChanged();
    void resolved();
    /// goToChapter moved the cursor to this chapter (the sequence dock shows it).
    void chapterActivated(int chapter);
    void message(const QString& text);
    /// A story file was opened or saved (its path).
    void pathChanged(const QString& path);

private:
    void rebuild();
    void rebuildChapters();
    void rebuildGlossary();
    void rebuildLint();
    void scheduleResolve();
    void resolve();
    void emitMarks();
    void fail(const QString& text);
    void chaptersMoved(int from, int to);
    void glossaryEdited(int row, int column);
    bool confirmDiscard();
    void setStatus();

    ReplayController* m_controller;
    TimelineWidget* m_timeline = nullptr;
    EventInspector* m_inspector = nullptr;
    std::shared_ptr<EventReader> m_reader;
    std::shared_ptr<const TimelineIndex> m_index;
    QString m_displayUri;
    bool m_interactive = true;

    story::StoryDocument m_doc;
    story::Story m_story;
    bool m_valid = false;
    QString m_storyError;
    QString m_path;
    QString m_lastError;
    QList<ChapterSpan> m_spans;
    QStringList m_lintFindings;
    bool m_rebuilding = false;

    QLabel* m_status;
    QTabWidget* m_tabs;
    QListWidget* m_chapters;
    QTableWidget* m_glossary;
    QListWidget* m_lint;
    QUndoStack* m_undo;
    QAction* m_newChapter;
    QAction* m_draft;
    QAction* m_saveAct;
    QTimer* m_resolveTimer;
    quint64 m_resolveJob = 0;
    /// Resolutions of recent texts (key: folder + text): undo, redo and reopening do not resolve again.
    struct Cached
    {
        QList<ChapterSpan> spans;
        QStringList lint;
    };
    QList<QPair<QByteArray, Cached>> m_cache;
    JobTracker m_jobs; ///< last: stops (and waits for) the work first
};

} // namespace chronoscope
