#pragma once
// The projections dock: load KurrentDB-style JavaScript projections (files, watched on disk, with the
// previous revision kept), edit and reload them (Ctrl+R) with error markers, see the selected
// projection's state at the replay cursor, its log() output and "would emit" records, find the first
// divergence of two versions (progress, Cancel; the cursor moves there), and run watchpoints forward
// or backward. All projection work runs on ProjectionService's worker thread.

#include "projection/projectionservice.h"
#include "timelinemarker.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTabWidget;

namespace chronoscope {

class DiffInspector;
class ProjectionDiffLink;
class ProjectionStateLink;
class ReplayController;
class StateInspector;

class ProjectionsDock : public QWidget
{
    Q_OBJECT
public:
    explicit ProjectionsDock(ReplayController* controller, QWidget* parent = nullptr);
    ~ProjectionsDock() override;

    /// The open store (a reader for the dock's worker thread, e.g. EventReader::clone()).
    void setReader(std::unique_ptr<EventReader> reader);
    /// Loads (or reloads) a projection file; it is watched, and its previous revision kept as "<name> (previous)".
    void loadFile(const QString& path);
    /// Loads a projection from text (name unique in the list).
    void loadSource(const QString& name, const QString& source);

    /// Offers the loaded projections in another state inspector's chooser (the main "State at cursor"
    /// dock); the link gets a clone of every reader given to setReader(). Made once, owned by the dock.
    ProjectionStateLink* attachStateInspector(StateInspector* inspector);
    ProjectionStateLink* stateLink() const { return m_link; }
    /// Lets the main Diff dock compare the A and B projections at the cursor (the "A vs B in the Diff
    /// dock" switch, enabled once attached). Made once, owned by the dock.
    ProjectionDiffLink* attachDiffInspector(DiffInspector* inspector);
    ProjectionDiffLink* diffLink() const { return m_diffLink; }
    /// Turns the comparison in the Diff dock on or off (what the switch does).
    void setCompareInDiff(bool on);
    /// Chooses A and B (names of loaded projections).
    void setCompared(const QString& a, const QString& b);
    /// The text and file of a loaded projection (empty when unknown).
    QString sourceOf(const QString& name) const;
    QString pathOf(const QString& name) const;

    QString currentName() const;
    void selectProjection(const QString& name);
    QStringList names() const;

    ProjectionService* service() const { return m_service; }
    StateInspector* stateView() const { return m_state; }
    QPlainTextEdit* editor() const { return m_editor; }
    QPlainTextEdit* console() const { return m_console; }
    QLabel* statusLabel() const { return m_status; }
    QLineEdit* watchPredicate() const { return m_predicate; }

    /// Adds a watchpoint (a predicate over state and event) on `projection` (empty: the selected one)
    /// and selects it; an identical one is reused. Returns its row in the watchpoint list.
    int addWatchpoint(const QString& predicate, const QString& projection = {});
    /// Selects the watchpoint that Next/Previous run (-1: none; they then run the typed condition).
    void selectWatchpoint(int row);
    int watchpointCount() const { return int(m_watchpoints.size()); }
    QListWidget* watchpointList() const { return m_watchList; }
    /// One marker per match found so far, coloured per watchpoint, for the timeline.
    QList<TimelineMarker> markers() const;
    void clearMatches();

public Q_SLOTS:
    void openDialog();
    /// Applies the editor's text to the selected projection (Ctrl+R).
    void reload();
    /// First divergence between the A and B choices; the cursor moves to it.
    void findDivergence(const QString& a = {}, const QString& b = {});
    void watchForward();
    void watchBackward();
    void cancel();

Q_SIGNALS:
    void projectionLoaded(const QString& name);
    void projectionFailed(const QString& name, const QString& message);
    void stateShown(const QString& name, qint64 position);
    void divergenceShown(bool found, qint64 position);
    void watchFinished(bool found, qint64 position);
    /// The watchpoint matches changed (a new match, a watchpoint removed, a new store).
    void markersChanged(const QList<chronoscope::TimelineMarker>& markers);

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    struct Entry
    {
        QString name;
        QString path;
        QString source;
        bool ok = false;
        ProjectionError error;
        QString description;  ///< the selector, e.g. fromCategory('order').foreachStream()
        QString warning;      ///< $any mixed with type handlers: which events never reach $any
    };
    QString loadedStatus(const Entry& e) const;
    Entry* entry(const QString& name);
    void addOrUpdate(const QString& name, const QString& path, const QString& source);
    void refreshList();
    void showEntry(const QString& name);
    void requestState();
    void markError(const ProjectionError& error);
    void setBusy(bool busy, const QString& what = {});
    void runWatch(bool backward);
    void fileChanged(const QString& path);
    struct Watchpoint
    {
        QString projection;
        QString predicate;
        QColor colour;
        QList<qint64> matches;  ///< positions, ascending
    };
    void refreshWatchList();

    ReplayController* m_controller;
    ProjectionService* m_service;
    QFileSystemWatcher* m_watcher;
    QList<Entry> m_entries;

    QSplitter* m_split = nullptr;
    QTabWidget* m_tabs = nullptr;  ///< State, Script, Log, Compare A/B, Watch
    QListWidget* m_list;
    QPlainTextEdit* m_editor;
    QLabel* m_status;
    StateInspector* m_state;
    QPlainTextEdit* m_console;
    QComboBox* m_a;
    QComboBox* m_b;
    QPushButton* m_divergeButton;
    QLineEdit* m_predicate;
    QCheckBox* m_level;
    QPushButton* m_back;
    QPushButton* m_forward;
    QProgressBar* m_progress;
    QPushButton* m_cancel;

    quint64 m_stateRequest = 0;
    quint64 m_longRequest = 0;
    QHash<quint64, QString> m_loadRequests;

    QList<Watchpoint> m_watchpoints;
    QListWidget* m_watchList;
    int m_watchRunning = -1;  ///< the watchpoint the running watch request is for
    int m_nextColour = 0;
    ProjectionStateLink* m_link = nullptr;
    ProjectionDiffLink* m_diffLink = nullptr;
    QCheckBox* m_compareInDiff = nullptr;
};

} // namespace chronoscope
