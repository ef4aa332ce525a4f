#pragma once
// The in-place mode's window: a store explored where it lives (nothing copied, no index of every event).
// The timeline (InPlaceTimeline) in the middle; docks for the stream list (paged, searched in the store),
// the events of the visible window, and the selected stream's state at the cursor. Everything asks the
// store through one InPlaceService (one worker, latest request wins). What the full-index window has and
// this one has not is listed in View ▸ Not available in place (docs/app.md "In place").

#include "inplace/inplaceservice.h"

#include <QMainWindow>

class QLabel;
class QLineEdit;
class QTableView;
class QTreeView;
class QStackedWidget;

namespace chronoscope {

class InPlaceCategoryModel;
class InPlaceEventModel;
class InPlaceStreamModel;
class InPlaceTimeline;
class StateInspector;

class InPlaceMainWindow : public QMainWindow
{
    Q_OBJECT
public:
    /// Events the table shows of the visible window at most.
    static constexpr int kWindowLimit = 2000;
    /// With a cursor, the table holds the events around it: this many before and after.
    static constexpr int kAroundEach = 500;
    /// A moved cursor asks for its neighbourhood this long after the last move (stepping holds a key down).
    static constexpr int kAroundDebounceMs = 80;
    /// QSettings key of the local cache's size in MB (the source's LRU of fetched windows); default 200.
    static inline const QString kCacheSettingKey = QStringLiteral("inPlace/cacheMB");

    explicit InPlaceMainWindow(QWidget* parent = nullptr);
    ~InPlaceMainWindow() override;

    /// Opens `uri` in place; `title` is what the title bar calls it (no secret: the caller redacts).
    /// Creating the source may fail at once (a bad URI): false with *error; else opened() or openFailed() follow.
    bool openUri(const QString& uri, const QString& title, QString* error);
    /// Opens an already created source (not yet opened): the benchmark and the tests.
    /// `exactSource`: a second source on the same store for the exact whole-store density (its own thread).
    void openSource(std::unique_ptr<RemoteFirstSource> source, const QString& title,
                    std::unique_ptr<RemoteFirstSource> exactSource = nullptr);

    /// A URI to open in place: postgresql:// or postgres:// with the query item mode=inplace.
    static bool isInPlaceUri(const QString& uri);
    /// QSettings key: a native store with more events than this opens in place (default kDefaultThreshold).
    static inline const QString kThresholdSettingKey = QStringLiteral("inPlace/thresholdEvents");
    static constexpr qint64 kDefaultThreshold = 2'000'000;
    static qint64 threshold();
    /// A local native store (a path or file: URI) and its event count from its own summary (cheap: index
    /// ends, no scan). False for anything else (an NDJSON file, a foreign layout, a remote URI).
    static bool nativeStoreEvents(const QString& uri, qint64* events);
    /// The app's rule: a native store with more events than threshold() opens in place.
    static bool opensInPlaceBySize(const QString& uri);

    /// What is not available in place, one line each (the View menu and the docs list the same).
    static QStringList unavailableInPlace();

    InPlaceService* service() const { return m_service; }
    InPlaceTimeline* timeline() const { return m_timeline; }
    InPlaceStreamModel* streamModel() const { return m_streams; }
    QTreeView* streamView() const { return m_streamView; }
    QLineEdit* filterBox() const { return m_filter; }
    InPlaceEventModel* eventModel() const { return m_events; }
    QTableView* eventView() const { return m_eventView; }
    QLabel* moreLabel() const { return m_more; }
    StateInspector* stateInspector() const { return m_state; }
    /// The last state shown (tests compare it with a local replay).
    const InPlaceState& lastState() const { return m_lastState; }
    QString lastError() const { return m_lastError; }
    // ---- The category tree (issue 13 item 3) ----
    InPlaceCategoryModel* categoryModel() const { return m_tree; }
    QTreeView* categoryView() const { return m_treeView; }
    /// The tree is shown (no search text, and the store can list categories); else the flat list.
    bool treeShown() const;
    // ---- end of the category tree ----

    /// No request outstanding and no stream page loading.
    bool isIdle() const;
    /// Renders the window at size into a PNG.
    bool saveScreenshot(const QString& path, const QSize& size);
    /// Points the lanes at the stream list's visible rows now.
    void syncLanes();

Q_SIGNALS:
    void opened();
    void openFailed(const QString& error);
    void stateShown();
    void windowShown();

private:
    void buildMenus();
    void requestState();
    /// The events table for what is shown: around the cursor when there is one, else the window in view.
    void requestEvents();
    void selectCursorRow();
    void updateStatus();
    // The category tree (issue 13 item 3).
    void setupCategoryTree();
    void syncTreeLanes();
    void showTreeOrList();

    QString m_title;
    InPlaceService* m_service;
    InPlaceTimeline* m_timeline;
    InPlaceStreamModel* m_streams;
    QTreeView* m_streamView;
    QLineEdit* m_filter;
    QLabel* m_streamNote;
    InPlaceEventModel* m_events;
    QTableView* m_eventView;
    QLabel* m_more;
    class QTimer* m_aroundTimer;
    class QDockWidget* m_eventsDock;
    StateInspector* m_state;
    QLabel* m_modeLabel;
    QLabel* m_progressLabel; ///< what is still on its way (lanes, the exact density); never blocks the view
    QLabel* m_cursorLabel;
    QLabel* m_cacheLabel;
    InPlaceState m_lastState;
    QString m_lastError;
    // The category tree (issue 13 item 3).
    InPlaceCategoryModel* m_tree = nullptr;
    QTreeView* m_treeView = nullptr;
    QStackedWidget* m_streamStack = nullptr;
    bool m_expandedFirst = false;
};

} // namespace chronoscope
