#pragma once
// The in-place mode's workers: every question the views ask of a RemoteFirstSource (a store explored
// where it lives, nothing copied) runs on a single thread of its own (the source is not thread-safe), in
// lanes where the latest request wins: a newer request of the same kind drops the older one (not run at
// all when it was still queued, its answer dropped when it was running). Answers come back as signals
// on the GUI thread; painting never waits for one. docs/app.md "In place".

#include "model/event.h"
#include "sources/remote/remotefirst.h"
#include "util/jobtracker.h"

#include <QJsonValue>
#include <QObject>
#include <QStringList>

#include <memory>
#include <optional>

namespace chronoscope {

/// The ticks of one lane over a range (payloads left on the server).
struct InPlaceLane
{
    QString stream;
    QList<RemoteTick> ticks;
    bool truncated = false; ///< more events in the range than the limit: the lane paints as a density
    QString error;
};

struct InPlaceLanes
{
    qint64 from = 0, to = 0;
    int limit = 0;
    QList<InPlaceLane> lanes;
};

struct InPlaceWindow
{
    qint64 from = 0, to = 0;
    int limit = 0;
    /// The cursor's position when these are the events around it (requestAround); -1 for a window of the range.
    qint64 around = -1;
    QList<Event> events;
    bool truncated = false;
};

struct InPlaceStreamPage
{
    QString filter;
    QString after;
    QList<RemoteStreamCount> streams;
    bool complete = false; ///< fewer than asked: the listing ended
};

// ---- The category tree's answers (issue 13 item 3) ----
struct InPlaceCategoryPage
{
    QString after;
    QList<RemoteCategory> categories;
    bool complete = false; ///< fewer than asked: the listing ended
};

struct InPlaceCategoryStreams
{
    QString category;
    QString after;
    QList<RemoteStreamCount> streams;
    bool complete = false;
};
// ---- end of the category tree's answers ----

/// The state of one stream at the cursor: its events up to the cursor folded with the default projection
/// (RFC 7386 merge patch of each event's data, in version order, from {}), as the replay engine does.
struct InPlaceState
{
    QString stream;
    qint64 position = 0;
    QJsonValue state;
    QStringList changedPaths; ///< JSON pointers the last event folded changed
    std::optional<Event> lastEvent;
    qint64 events = 0;      ///< events folded
    bool truncated = false; ///< the stream has older events than the limit: the state is partial
    bool fromCheckpoint = false; ///< folded onto the store's checkpoint at checkpointVersion (StreamStateAt)
    qint64 checkpointVersion = 0;
    QString note; ///< a stored checkpoint that was not used, and why
};

class InPlaceService : public QObject
{
    Q_OBJECT
public:
    /// Events of a stream folded for its state at most (older ones are left out, and the state says so).
    static constexpr int kStateEventLimit = 100000;

    explicit InPlaceService(QObject* parent = nullptr);
    ~InPlaceService() override;

    /// Takes the source (created, not yet opened) and opens it on the worker: opened() or failed("open").
    /// `exactSource`, when given, is a second source on the same store (read-only, not yet opened): the exact
    /// whole-store density runs on it, on a thread of its own, so that pass (seconds to minutes on a first
    /// open of a big store) never delays a stream page, lanes, the events table or the state.
    void open(std::unique_ptr<RemoteFirstSource> source, const QString& displayUri,
              std::unique_ptr<RemoteFirstSource> exactSource = nullptr);
    /// The exact whole-store pass has a worker of its own (ask for it at once, not after the first lanes).
    bool hasExactWorker() const { return bool(m_exactSource); }
    /// The exact whole-store density was asked for and has not arrived yet.
    bool exactPending() const { return m_pending[kOverview] != 0; }
    bool isOpen() const { return m_open; }
    QString displayUri() const { return m_displayUri; }
    const RemoteSummary& summary() const { return m_summary; }
    QString layout() const { return m_layout; }
    RemoteAxis axis() const { return m_summary.axis; }

    /// The whole store's density from the store's statistics (overview(), estimated=true), for the first
    /// paint. An estimate the store cannot give is skipped.
    void requestOverview(int bins);
    /// The whole store's exact density (overview() again). It may read the whole store (tens of seconds at
    /// 50M events on a first open): with an exact source it runs on its own thread; without one it shares
    /// the worker, and the timeline asks for it only once the first lanes are on screen.
    void requestExactOverview(int bins);
    /// Exact density of [from, to] (the visible range).
    void requestViewDensity(qint64 from, qint64 to, int bins);
    void requestLanes(const QStringList& streams, qint64 from, qint64 to, int limitPerLane);
    void requestWindow(qint64 from, qint64 to, int limit);
    /// The events around `position` (at most `before` at or before it, `after` after it), in the same lane as
    /// requestWindow (the newest of the two wins): window() with around = position.
    void requestAround(qint64 position, int before, int after);
    /// A page of streams whose names contain `filter` (empty: all), after `after`.
    void requestStreams(const QString& filter, const QString& after, int limit);
    /// The event after (direction > 0) or before (< 0) `position`: stepped().
    void requestStep(qint64 position, int direction);
    /// The first event at or after `value` on the axis: stepped().
    void requestAt(qint64 value);
    void requestState(const QString& stream, qint64 position);

    // ---- The category tree (issue 13 item 3); each kind in a lane of its own, newest request wins ----
    /// A page of categories after `after` (null: from the first): categoryPage().
    void requestCategories(const QString& after, int limit);
    /// A page of one category's streams: categoryStreams(). A request for another category drops this one
    /// (the tree asks for one expanded category at a time).
    void requestCategoryStreams(const QString& category, const QString& after, int limit);
    /// One category's stream and event counts: categoryCounted(). A newer request drops (and cancels) this one.
    void requestCategoryCounts(const QString& category);
    // ---- end of the category tree ----

    /// No request outstanding (screenshots, tests, benchmarks).
    bool isIdle() const;
    /// The source's LRU, for the status bar (bytes, limit); read on the GUI thread between jobs only.
    qint64 cacheBytes() const { return m_cacheBytes; }
    qint64 cacheLimit() const { return m_cacheLimit; }
    QList<IndexAdvice> advice() const { return m_advice; }

Q_SIGNALS:
    void opened();
    void overview(const chronoscope::RemoteDensity& density);
    void viewDensity(const chronoscope::RemoteDensity& density);
    void lanes(const chronoscope::InPlaceLanes& lanes);
    void window(const chronoscope::InPlaceWindow& window);
    void streamPage(const chronoscope::InPlaceStreamPage& page);
    void stepped(const chronoscope::Event& event);
    /// A step found nothing (the first or last event).
    void stepEnd(int direction);
    void state(const chronoscope::InPlaceState& state);
    /// `what`: open, overview, density, lanes, window, streams, step, state. The message names the server.
    void failed(const QString& what, const QString& error);
    void idleChanged();
    // The category tree (issue 13 item 3); failures come as failed("categories" | "category streams" |
    // "category counts", error).
    void categoryPage(const chronoscope::InPlaceCategoryPage& page);
    void categoryStreams(const chronoscope::InPlaceCategoryStreams& page);
    void categoryCounted(const chronoscope::RemoteCategory& counts);

private:
    /// The whole store's range on the axis; false before open or for an empty store.
    bool wholeRange(qint64* from, qint64* to) const;
    /// An open store without events: emits its (empty, exact) overview and returns true.
    bool answerEmpty();
    enum Lane { kOpen, kEstimate, kOverview, kViewDensity, kLanes, kWindow, kStreams, kStep, kState, kLaneCount };
    /// Every request: `work(source, &answer, &error)` -> bool on the worker, `deliver(Answer<T>)` on this thread.
    template<typename T, typename Work, typename Deliver>
    void run(Lane lane, Work work, Deliver deliver);
    /// As run(), but on the slow worker (its own source and thread, the exact whole-store pass's) when there is
    /// one: whole-store or whole-category aggregates that must never hold up the lanes, the table or the state.
    template<typename T, typename Work, typename Deliver>
    void runSlow(int lane, Work work, Deliver deliver);
    /// The common shape: the answer goes out through `answered`, a failure through failed(what, error).
    template<typename T, typename Work>
    void ask(Lane lane, const QString& what, Work work, void (InPlaceService::*answered)(const T&));

    std::shared_ptr<RemoteFirstSource> m_source;
    QString m_displayUri;
    QString m_layout;
    RemoteSummary m_summary;
    bool m_open = false;
    qint64 m_cacheBytes = 0, m_cacheLimit = 0;
    QList<IndexAdvice> m_advice;
    quint64 m_pending[kLaneCount] = {};
    std::shared_ptr<RemoteFirstSource> m_exactSource;
    bool m_exactDone = false; ///< the exact density arrived: a later estimate is dropped
    std::shared_ptr<bool> m_exactOpened; ///< touched on the exact worker only
    JobTracker m_exactJobs; ///< the exact whole-store pass and the category counts, on their own thread and source
    CancelToken m_countsCancel; ///< the running category count's (category tree, issue 13 item 3)
    JobTracker m_jobs; ///< last: its destructor waits for the worker before the source goes
};

/// The default projection over a stream's events (oldest first): the state, and the paths the last event changed.
InPlaceState foldState(const QString& stream, qint64 position, const QList<Event>& events);
/// The same fold onto what the source gave (a checkpoint's state and the events after it, or all events).
InPlaceState foldState(const QString& stream, qint64 position, const StreamStateAt& at);

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::RemoteDensity)
Q_DECLARE_METATYPE(chronoscope::InPlaceLanes)
Q_DECLARE_METATYPE(chronoscope::InPlaceWindow)
Q_DECLARE_METATYPE(chronoscope::InPlaceStreamPage)
Q_DECLARE_METATYPE(chronoscope::InPlaceState)
Q_DECLARE_METATYPE(chronoscope::InPlaceCategoryPage)
Q_DECLARE_METATYPE(chronoscope::InPlaceCategoryStreams)
Q_DECLARE_METATYPE(chronoscope::RemoteCategory)
