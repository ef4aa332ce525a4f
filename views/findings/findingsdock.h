#pragma once
// The Findings dock: what is unusual in the open store (core/findings), computed in the background when
// a store opens, ranked, each with its explanation; clicking one zooms the timeline to its range, filters
// the lanes to its streams, puts the cursor on its first event and shows its correlation chain. Below,
// the store's notes (annotations kept in a sidecar beside the settings). Both are marked on the
// timeline's overview row. Self-contained: the main window adds it, calls attach() and setStore().

#include "findings/annotations.h"
#include "findings/findings.h"
#include "timelinemarker.h"
#include "util/progress.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QThread;
class QTreeWidget;
class QTreeWidgetItem;

namespace chronoscope {

class EventInspector;
class EventReader;
class ReplayController;
class StreamBrowser;
class TimelineIndex;
class TimelineWidget;

class FindingsDock : public QWidget
{
    Q_OBJECT
public:
    explicit FindingsDock(ReplayController* controller, QWidget* parent = nullptr);
    ~FindingsDock() override;

    /// The views a click drives (any may be null).
    void attach(TimelineWidget* timeline, StreamBrowser* browser, EventInspector* inspector);
    /// A store was opened: its findings are computed on a worker thread (a clone of the reader) and its
    /// notes are read from the sidecar. displayUri is the URI without secrets (it keys the notes).
    void setStore(const std::shared_ptr<EventReader>& reader,
                  const std::shared_ptr<const TimelineIndex>& index, const QString& displayUri);

    QList<Finding> findings() const { return m_findings; }
    bool isComputing() const { return m_thread != nullptr; }
    const AnnotationSet& notes() const { return m_notes; }
    QTreeWidget* findingsList() const { return m_list; }
    QTreeWidget* notesList() const { return m_notesList; }
    QString statusText() const;

public Q_SLOTS:
    /// What a click on row `rank - 1` does.
    void activate(int row);
    void activateNote(int row);
    /// Pins a note to an event (position > 0) and/or a time range; saves the sidecar. Returns the id.
    QString addNote(const QString& text, qint64 position, TimeMs from, TimeMs to);
    bool removeNote(const QString& id);

Q_SIGNALS:
    void findingsReady(int count);
    void findingActivated(int row);
    void rangeMarksChanged(const QList<chronoscope::TimelineRangeMark>& marks);
    void notesChanged();

private:
    void startCompute();
    /// A live tail grew the index: the analyzer takes the new events (on a worker) and the list is redone.
    void checkForAppends();
    void finished(quint64 generation, const QList<Finding>& found, const QString& error, qint64 ms,
                  const std::shared_ptr<FindingsAnalyzer>& analyzer, bool update);
    void rebuildNotes();
    void emitMarks();
    void focusRange(TimeMs from, TimeMs to);
    void pinNoteFromUi();

    ReplayController* m_controller;
    QPointer<TimelineWidget> m_timeline;
    QPointer<StreamBrowser> m_browser;
    QPointer<EventInspector> m_inspector;
    std::shared_ptr<EventReader> m_reader;
    std::shared_ptr<const TimelineIndex> m_index;
    QList<Finding> m_findings;
    AnnotationSet m_notes;
    QString m_notesError;

    QLabel* m_status;
    QProgressBar* m_progress;
    QTreeWidget* m_list;
    QLabel* m_detail;
    QTreeWidget* m_notesList;
    QPushButton* m_pin;
    QPushButton* m_unpin;

    QThread* m_thread = nullptr;
    std::shared_ptr<FindingsAnalyzer>
        m_analyzer; ///< touched by one thread at a time (a worker while m_thread)
    quint64 m_seenIndexGeneration = 0;
    CancelToken m_cancel;
    quint64 m_generation = 0;
};

} // namespace chronoscope
