#pragma once
// The main window composes: the timeline and replay bar in the middle; streams, state, event, event table
// and diff as docks; menus; opening stores off the GUI thread. Each panel is its own class (views/); this
// class only wires them to the open store's services (ReplayService, EventLookup) and to each other.
// Docks added later (projections, remote) plug in through addPanel().

#include "livehost.h"
#include "openjob.h"
#include "timelineindex.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QLabel;
class QMenu;
class QProgressDialog;

namespace chronoscope {

class DiffInspector;
class EventInspector;
class EventLookup;
class EventTableView;
class LiveController;
class ReplayControls;
class ReplayController;
class ReplayService;
class StateInspector;
class StreamBrowser;
class TimelineWidget;

class MainWindow : public QMainWindow, private LiveHost
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Where the bundled demo store is (next to the executable's resources), or the cache copy.
    static QString bundledDemoPath();
    static QString cacheDemoPath();
    static QString cacheDir();
    /// What the title bar and status bar call a store: a file's name; a remote store's scheme, host and
    /// database or topic, without credentials or query ("redis://db.internal:6379/0", not "0").
    static QString storeTitle(const QString& displayUri);

    /// false: no modal dialogs (progress, errors); errors go to the status bar and openFailed (tests, screenshots).
    void setInteractive(bool on) { m_interactive = on; }

    ReplayController* controller() const override { return m_controller; }
    TimelineWidget* timeline() const { return m_timeline; }
    ReplayControls* controls() const { return m_controls; }
    StreamBrowser* streamBrowser() const { return m_browser; }
    EventInspector* eventInspector() const { return m_eventInspector; }
    StateInspector* stateInspector() const { return m_stateInspector; }
    DiffInspector* diffInspector() const { return m_diffInspector; }
    EventTableView* eventTable() const { return m_eventTable; }
    std::shared_ptr<const TimelineIndex> index() const override { return m_index; }
    std::shared_ptr<EventReader> reader() const override { return m_reader; }
    bool isInteractive() const override { return m_interactive; }
    /// Remote sources opened from Open Remote: live tail, connection status, Save capture as….
    LiveController* live() const { return m_live; }
    ReplayService* replayService() const { return m_service; }
    QString currentDisplayUri() const override { return m_displayUri; }
    bool isOpening() const { return m_job != nullptr; }
    /// No open, state, diff, blame or event request outstanding (screenshots wait for this).
    bool isIdle() const;
    QStringList recentFiles() const;

    /// Adds a panel as a dock (for parts added later: projections, remote).
    QDockWidget* addPanel(const QString& title, QWidget* panel, Qt::DockWidgetArea area);

public Q_SLOTS:
    /// Opens any source URI; the current store stays open until the new one is ready.
    void open(const QString& uri);
    void openDemo();
    /// Opens a store in place (docs/app.md "In place") in a window of its own; this window keeps its store.
    void openInPlace(const QString& uri);
    /// Cancels an open in progress (what the progress dialog's Cancel does); the open store stays.
    void cancelOpen();
    void openFileDialog();
    void goToDialog();
    void showAbout();
    /// Renders the window at `size` into a PNG.
    bool saveScreenshot(const QString& path, const QSize& size = QSize(1600, 1000));

Q_SIGNALS:
    void storeOpened(const QString& displayUri);
    void openFailed(const QString& displayUri, const QString& error);
    void stateShown();
    void diffShown();
    void eventShown(qint64 position);
    void blameShown(qint64 position);

protected:
    void closeEvent(QCloseEvent*) override;
    void showEvent(QShowEvent*) override;
    void dragEnterEvent(QDragEnterEvent*) override;
    void dropEvent(QDropEvent*) override;

private:
    // LiveHost: what the live controller may reach of the window.
    QMainWindow* hostWindow() override { return this; }
    void applyOpen(const OpenResult& r) override;
    void indexGrew(const TimelineAppend& change) override;
    void report(const QString& title, const QString& error) override;
    void liveOpenFailed(const QString& displayUri, const QString& error) override;

    void buildMenus();
    void buildDocks();
    void applyDefaultDockSizes();
    void wireServices();
    void addRecent(const QString& displayUri);
    void rebuildRecentMenu();
    void requestState();
    void requestDiff();
    void updateStatus();
    QString stateStream() const;
    QString describePosition(qint64 position) const;

    ReplayController* m_controller;
    TimelineWidget* m_timeline;
    ReplayControls* m_controls;
    StreamBrowser* m_browser;
    EventInspector* m_eventInspector;
    StateInspector* m_stateInspector;
    DiffInspector* m_diffInspector;
    EventTableView* m_eventTable;
    QMenu* m_recentMenu = nullptr;
    QMenu* m_viewMenu = nullptr;
    QMenu* m_panelMenu = nullptr;  ///< View ▸ Go to Panel (Alt+1 …; dockfocus.h)
    QLabel* m_storeLabel;
    QLabel* m_cursorLabel;
    LiveController* m_live;

    // The open store. The reader lives as long as the services made from it.
    std::shared_ptr<EventReader> m_reader;
    std::shared_ptr<const TimelineIndex> m_index;
    ReplayService* m_service = nullptr;
    EventLookup* m_lookup = nullptr;
    QString m_displayUri;
    QString m_openUri; ///< the open store's URI as given (may hold a secret: memory only; F5's live chapters)

    OpenJob* m_job = nullptr;
    QPointer<QProgressDialog> m_progress;
    bool m_interactive = true;
    bool m_restoredState = false;

    quint64 m_stateRequest = 0;
    quint64 m_diffRequest = 0;
    quint64 m_blameRequest = 0;
    quint64 m_fetchRequest = 0;
    quint64 m_searchRequest = 0;
    QString m_diffStream;
    QString m_stateStreamShown;
    QString m_searchTitle;
};

} // namespace chronoscope
