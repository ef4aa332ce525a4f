#include "inplace/inplaceservice.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "sources/nativeinplace.h"

#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

namespace {
template<typename T>
struct Answer
{
    T value{};
    QString error;
    bool ok = false;
    qint64 cacheBytes = 0;
    qint64 cacheLimit = 0;
};
} // namespace

namespace {
InPlaceState fold(const QString& stream, qint64 position, const QList<Event>& events, QJsonValue state)
{
    InPlaceState s;
    s.stream = stream;
    s.position = position;
    // As ReplayEngine::stateAt(stream, position): merge each event's data in version order, from {} or from
    // the checkpoint (the fold of the versions up to it).
    QJsonValue before = state;
    for (const Event& e : events) {
        before = state;
        applyMergePatch(state, parseJsonValue(e.data));
        ++s.events;
    }
    s.state = state;
    if (!events.isEmpty()) {
        s.lastEvent = events.last();
        const QJsonArray patch = diffJson(before, state);
        for (const QJsonValue& op : patch)
            s.changedPaths << op.toObject().value(QStringLiteral("path")).toString();
    }
    return s;
}
} // namespace

InPlaceState foldState(const QString& stream, qint64 position, const QList<Event>& events)
{
    return fold(stream, position, events, QJsonObject());
}

InPlaceState foldState(const QString& stream, qint64 position, const StreamStateAt& at)
{
    InPlaceState s =
        fold(stream, position, at.events, at.fromCheckpoint ? at.start : QJsonValue(QJsonObject()));
    s.truncated = at.truncated;
    s.fromCheckpoint = at.fromCheckpoint;
    s.checkpointVersion = at.checkpointVersion;
    s.note = at.note;
    return s;
}

InPlaceService::InPlaceService(QObject* parent)
    : QObject(parent), m_exactJobs(this, JobTracker::Threads::Dedicated, QStringLiteral("chronoscope-inplace-exact")),
      m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("chronoscope-inplace"))
{
}

InPlaceService::~InPlaceService()
{
    m_exactJobs.cancelAll();
    m_jobs.cancelAll();
    m_exactJobs.waitForDone();
    m_jobs.waitForDone();
    if (auto s = std::move(m_exactSource))
        m_exactJobs.post([s](const JobHandle&) mutable { s.reset(); });
    m_exactJobs.waitForDone();
    // The source (and its connection) goes on the worker's thread: it was used there last.
    if (auto s = std::move(m_source))
        m_jobs.post([s](const JobHandle&) mutable { s.reset(); });
    m_jobs.waitForDone();
}

bool InPlaceService::isIdle() const
{
    return !m_jobs.hasCurrent() && !m_exactJobs.hasCurrent();
}

template<typename T, typename Work, typename Deliver>
void InPlaceService::run(Lane lane, Work work, Deliver deliver)
{
    std::shared_ptr<RemoteFirstSource> source = m_source;
    if (!source)
        return;
    const bool wasIdle = isIdle();
    m_jobs.start(
        int(lane),
        [source, work = std::move(work)](const JobHandle& job) mutable {
            Answer<T> a;
            if (job.isCancelled())
                return a;
            a.ok = work(*source, &a.value, &a.error);
            a.cacheBytes = source->cache().bytes();
            a.cacheLimit = source->cache().limit();
            return a;
        },
        [this, deliver = std::move(deliver)](quint64, Answer<T> a) mutable {
            m_cacheBytes = a.cacheBytes;
            m_cacheLimit = a.cacheLimit;
            deliver(std::move(a));
            if (isIdle())
                Q_EMIT idleChanged();
        });
    if (wasIdle)
        Q_EMIT idleChanged();
}

template<typename T, typename Work>
void InPlaceService::ask(Lane lane, const QString& what, Work work, void (InPlaceService::*answered)(const T&))
{
    run<T>(lane, std::move(work), [this, what, answered](Answer<T> a) {
        if (a.ok)
            Q_EMIT(this->*answered)(a.value);
        else
            Q_EMIT failed(what, a.error);
    });
}

void InPlaceService::open(std::unique_ptr<RemoteFirstSource> source, const QString& displayUri,
                          std::unique_ptr<RemoteFirstSource> exactSource)
{
    m_jobs.cancelAll();
    m_exactJobs.cancelAll();
    m_pending[kOverview] = 0;
    m_exactDone = false;
    // The previous exact source goes on the thread that used it.
    if (auto old = std::move(m_exactSource))
        m_exactJobs.post([old](const JobHandle&) mutable { old.reset(); });
    m_exactSource = std::move(exactSource);
    m_exactOpened = std::make_shared<bool>(false);
    m_source = std::move(source);
    m_displayUri = displayUri;
    m_open = false;
    struct Opened
    {
        RemoteSummary summary;
        QString layout;
        QList<IndexAdvice> advice;
    };
    run<Opened>(
        kOpen,
        [](RemoteFirstSource& s, Opened* o, QString* error) {
            if (!s.open(error) || !s.summary(&o->summary, error))
                return false;
            o->layout = s.layout();
            o->advice = s.advice();
            return true;
        },
        [this](Answer<Opened> a) {
            if (!a.ok) {
                Q_EMIT failed(QStringLiteral("open"), a.error);
                return;
            }
            m_summary = a.value.summary;
            m_layout = a.value.layout;
            m_advice = a.value.advice;
            m_open = true;
            Q_EMIT opened();
        });
}

bool InPlaceService::wholeRange(qint64* from, qint64* to) const
{
    if (!m_open)
        return false;
    const bool time = m_summary.axis == RemoteAxis::Time;
    *from = time ? m_summary.firstTime : m_summary.firstPosition;
    *to = time ? m_summary.lastTime : m_summary.lastPosition;
    return !(time && (*from == kNoTime || *to == kNoTime)); // an empty store
}

bool InPlaceService::answerEmpty()
{
    if (!m_open || !m_summary.empty)
        return false;
    // Nothing to count: the exact overview of an empty store is known, no density bin at all.
    m_pending[kOverview] = 0;
    m_exactDone = true;
    RemoteDensity none;
    none.axis = m_summary.axis;
    Q_EMIT overview(none);
    return true;
}

void InPlaceService::requestOverview(int bins)
{
    if (answerEmpty())
        return;
    qint64 from = 0, to = 0;
    if (!wholeRange(&from, &to))
        return;
    bins = std::clamp(bins, 1, 100000);
    // The estimate first (no table read), then the exact counts, each in its own lane so neither drops the other.
    run<RemoteDensity>(
        kEstimate,
        [from, to, bins](RemoteFirstSource& s, RemoteDensity* d, QString* error) {
            return s.estimatedDensity(from, to, bins, d, error);
        },
        [this](Answer<RemoteDensity> a) {
            // The exact counts may come first (their own thread): an estimate never replaces them.
            if (a.ok && !m_exactDone)
                Q_EMIT overview(a.value);
        });
}

template<typename T, typename Work, typename Deliver>
void InPlaceService::runSlow(int lane, Work work, Deliver deliver)
{
    if (!m_exactSource) {
        run<T>(Lane(lane), std::move(work), std::move(deliver));
        return;
    }
    // Its own source on its own thread (opened there on first use): the worker's requests never queue behind it.
    const bool wasIdle = isIdle();
    m_exactJobs.start(
        lane,
        [source = m_exactSource, opened = m_exactOpened, work = std::move(work)](const JobHandle& job) mutable {
            Answer<T> a;
            if (job.isCancelled())
                return a;
            if (!*opened) {
                if (!source->open(&a.error))
                    return a;
                *opened = true;
            }
            a.ok = work(*source, &a.value, &a.error);
            return a;
        },
        [this, deliver = std::move(deliver)](quint64, Answer<T> a) mutable {
            deliver(std::move(a));
            if (isIdle())
                Q_EMIT idleChanged();
        });
    if (wasIdle)
        Q_EMIT idleChanged();
}

void InPlaceService::requestExactOverview(int bins)
{
    if (answerEmpty())
        return;
    qint64 from = 0, to = 0;
    if (!wholeRange(&from, &to))
        return;
    bins = std::clamp(bins, 1, 100000);
    m_pending[kOverview] = 1;
    auto deliver = [this](Answer<RemoteDensity> a) {
        m_pending[kOverview] = 0;
        if (a.ok) {
            m_exactDone = true;
            Q_EMIT overview(a.value);
        } else {
            Q_EMIT failed(QStringLiteral("overview"), a.error);
        }
    };
    auto work = [from, to, bins](RemoteFirstSource& s, RemoteDensity* d, QString* error) {
        return s.density(from, to, bins, d, error);
    };
    runSlow<RemoteDensity>(int(kOverview), std::move(work), std::move(deliver));
}

void InPlaceService::requestViewDensity(qint64 from, qint64 to, int bins)
{
    bins = std::clamp(bins, 1, 100000);
    ask<RemoteDensity>(
        kViewDensity, QStringLiteral("density"),
        [from, to, bins](RemoteFirstSource& s, RemoteDensity* d, QString* error) {
            return s.density(from, to, bins, d, error);
        },
        &InPlaceService::viewDensity);
}

void InPlaceService::requestLanes(const QStringList& streams, qint64 from, qint64 to, int limitPerLane)
{
    ask<InPlaceLanes>(
        kLanes, QStringLiteral("lanes"),
        [streams, from, to, limitPerLane](RemoteFirstSource& s, InPlaceLanes* out, QString* error) {
            out->from = from;
            out->to = to;
            out->limit = limitPerLane;
            // All lanes in one request: the source may read them together (one pass over the window's rows).
            QList<RemoteLaneTicks> lanes;
            if (!s.lanesTicks(streams, from, to, limitPerLane, &lanes, error))
                return false; // a refused or lost store fails them all, and says so on the timeline
            for (RemoteLaneTicks& l : lanes)
                out->lanes.append(InPlaceLane{std::move(l.stream), std::move(l.ticks), l.truncated, QString()});
            return true;
        },
        &InPlaceService::lanes);
}

void InPlaceService::requestWindow(qint64 from, qint64 to, int limit)
{
    ask<InPlaceWindow>(
        kWindow, QStringLiteral("window"),
        [from, to, limit](RemoteFirstSource& s, InPlaceWindow* w, QString* error) {
            w->from = from;
            w->to = to;
            w->limit = limit;
            return s.window(from, to, limit, &w->events, &w->truncated, error);
        },
        &InPlaceService::window);
}

void InPlaceService::requestAround(qint64 position, int before, int after)
{
    ask<InPlaceWindow>(
        kWindow, QStringLiteral("window"),
        [position, before, after](RemoteFirstSource& s, InPlaceWindow* w, QString* error) {
            w->around = position;
            w->limit = before + after;
            return s.around(position, before, after, &w->events, error);
        },
        &InPlaceService::window);
}

void InPlaceService::requestStreams(const QString& filter, const QString& after, int limit)
{
    ask<InPlaceStreamPage>(
        kStreams, QStringLiteral("streams"),
        [filter, after, limit](RemoteFirstSource& s, InPlaceStreamPage* p, QString* error) {
            p->filter = filter;
            p->after = after;
            if (!s.searchStreams(filter, after, limit, &p->streams, error))
                return false;
            p->complete = p->streams.size() < limit;
            return true;
        },
        &InPlaceService::streamPage);
}

namespace {
/// A step's answer: the event, the end of the store, or the failure.
void deliverStep(InPlaceService* service, int direction, const Answer<QList<Event>>& a)
{
    if (!a.ok)
        Q_EMIT service->failed(QStringLiteral("step"), a.error);
    else if (a.value.isEmpty())
        Q_EMIT service->stepEnd(direction);
    else
        Q_EMIT service->stepped(a.value.first());
}
} // namespace

void InPlaceService::requestStep(qint64 position, int direction)
{
    run<QList<Event>>(
        kStep,
        [position, direction](RemoteFirstSource& s, QList<Event>* around, QString* error) {
            // after: the first event past `position`; before: the last one at or before position - 1.
            return direction > 0 ? s.around(position, 0, 1, around, error)
                                 : s.around(position - 1, 1, 0, around, error);
        },
        [this, direction](Answer<QList<Event>> a) { deliverStep(this, direction, a); });
}

void InPlaceService::requestAt(qint64 value)
{
    const bool time = m_summary.axis == RemoteAxis::Time;
    const qint64 end = time ? m_summary.lastTime : m_summary.lastPosition;
    run<QList<Event>>(
        kStep,
        [value, end](RemoteFirstSource& s, QList<Event>* first, QString* error) {
            bool truncated = false;
            return s.window(value, std::max(value, end), 1, first, &truncated, error);
        },
        [this](Answer<QList<Event>> a) { deliverStep(this, 1, a); });
}

void InPlaceService::requestState(const QString& stream, qint64 position)
{
    ask<InPlaceState>(
        kState, QStringLiteral("state"),
        [stream, position](RemoteFirstSource& s, InPlaceState* out, QString* error) {
            // From the store's nearest checkpoint where it keeps them (native stores), else from the first
            // event.
            StreamStateAt at;
            if (!s.stateAt(stream, position, kStateEventLimit, &at, error))
                return false;
            *out = foldState(stream, position, at);
            return true;
        },
        &InPlaceService::state);
}

// ---- The category tree (issue 13 item 3) ------------------------------------------------------------------
// Three lanes of their own, numbered after the service's kinds (the Lane enum is left as it is).

namespace {
constexpr int kTreeLaneOffset = 1;
} // namespace

void InPlaceService::requestCategories(const QString& after, int limit)
{
    run<InPlaceCategoryPage>(
        Lane(int(kLaneCount) + kTreeLaneOffset),
        [after, limit](RemoteFirstSource& s, InPlaceCategoryPage* p, QString* error) {
            p->after = after;
            const bool ok = s.categories(after, limit, &p->categories, error);
            p->complete = p->categories.size() < limit;
            return ok;
        },
        [this](Answer<InPlaceCategoryPage> a) {
            if (a.ok)
                Q_EMIT categoryPage(a.value);
            else
                Q_EMIT failed(QStringLiteral("categories"), a.error);
        });
}

void InPlaceService::requestCategoryStreams(const QString& category, const QString& after, int limit)
{
    run<InPlaceCategoryStreams>(
        Lane(int(kLaneCount) + kTreeLaneOffset + 1),
        [category, after, limit](RemoteFirstSource& s, InPlaceCategoryStreams* p, QString* error) {
            p->category = category;
            p->after = after;
            const bool ok = s.categoryStreams(category, after, limit, &p->streams, error);
            p->complete = p->streams.size() < limit;
            return ok;
        },
        [this](Answer<InPlaceCategoryStreams> a) {
            if (a.ok)
                Q_EMIT categoryStreams(a.value);
            else
                Q_EMIT failed(QStringLiteral("category streams"), a.error);
        });
}

void InPlaceService::requestCategoryCounts(const QString& category)
{
    // A native source stops a long count when its token is cancelled: a newer request (the user scrolled to
    // other categories) cancels the running one through the job's handle.
    m_countsCancel.cancel();
    m_countsCancel = CancelToken();
    // On the slow worker: a category of a million messages is a count of seconds on a server, and the lanes,
    // the events table and the state must not wait for it.
    runSlow<RemoteCategory>(
        int(kLaneCount) + kTreeLaneOffset + 2,
        [category, token = m_countsCancel](RemoteFirstSource& s, RemoteCategory* c, QString* error) {
            auto* native = dynamic_cast<NativeInPlaceSource*>(&s);
            if (native)
                native->setCancelToken(token);
            const bool ok = s.categoryCounts(category, c, error);
            if (native)
                native->setCancelToken(CancelToken()); // the other kinds run uncancelled, as before
            c->name = category;
            return ok;
        },
        [this](Answer<RemoteCategory> a) {
            if (a.ok)
                Q_EMIT categoryCounted(a.value);
            else
                Q_EMIT failed(QStringLiteral("category counts"), a.error);
        });
}

} // namespace chronoscope
