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

template<typename Work, typename Deliver>
void InPlaceService::run(Lane lane, Work work, Deliver deliver)
{
    using T = decltype(work(std::declval<RemoteFirstSource&>(), std::declval<QString*>(), std::declval<bool*>()));
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
            a.value = work(*source, &a.error, &a.ok);
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
    run(
        kOpen,
        [](RemoteFirstSource& s, QString* error, bool* ok) {
            Opened o;
            *ok = s.open(error) && s.summary(&o.summary, error);
            if (*ok) {
                o.layout = s.layout();
                o.advice = s.advice();
            }
            return o;
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

void InPlaceService::requestOverview(int bins)
{
    if (!m_open)
        return;
    const bool time = m_summary.axis == RemoteAxis::Time;
    const qint64 from = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 to = time ? m_summary.lastTime : m_summary.lastPosition;
    if (time && (from == kNoTime || to == kNoTime))
        return; // an empty store
    bins = std::clamp(bins, 1, 100000);
    // The estimate first (no table read), then the exact counts, each in its own lane so neither drops the other.
    run(
        kEstimate,
        [from, to, bins](RemoteFirstSource& s, QString* error, bool* ok) {
            RemoteDensity d;
            *ok = s.estimatedDensity(from, to, bins, &d, error);
            return d;
        },
        [this](Answer<RemoteDensity> a) {
            // The exact counts may come first (their own thread): an estimate never replaces them.
            if (a.ok && !m_exactDone)
                Q_EMIT overview(a.value);
        });
}

void InPlaceService::requestExactOverview(int bins)
{
    if (!m_open)
        return;
    const bool time = m_summary.axis == RemoteAxis::Time;
    const qint64 from = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 to = time ? m_summary.lastTime : m_summary.lastPosition;
    if (time && (from == kNoTime || to == kNoTime))
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
    if (!m_exactSource) {
        run(
            kOverview,
            [from, to, bins](RemoteFirstSource& s, QString* error, bool* ok) {
                RemoteDensity d;
                *ok = s.density(from, to, bins, &d, error);
                return d;
            },
            std::move(deliver));
        return;
    }
    // Its own source on its own thread (opened there on first use): the worker's requests never queue behind it.
    const bool wasIdle = isIdle();
    m_exactJobs.start(
        int(kOverview),
        [source = m_exactSource, opened = m_exactOpened, from, to, bins](const JobHandle& job) {
            Answer<RemoteDensity> a;
            if (job.isCancelled())
                return a;
            if (!*opened) {
                if (!source->open(&a.error))
                    return a;
                *opened = true;
            }
            a.ok = source->density(from, to, bins, &a.value, &a.error);
            return a;
        },
        [this, deliver = std::move(deliver)](quint64, Answer<RemoteDensity> a) mutable {
            deliver(std::move(a));
            if (isIdle())
                Q_EMIT idleChanged();
        });
    if (wasIdle)
        Q_EMIT idleChanged();
}

void InPlaceService::requestViewDensity(qint64 from, qint64 to, int bins)
{
    bins = std::clamp(bins, 1, 100000);
    run(
        kViewDensity,
        [from, to, bins](RemoteFirstSource& s, QString* error, bool* ok) {
            RemoteDensity d;
            *ok = s.density(from, to, bins, &d, error);
            return d;
        },
        [this](Answer<RemoteDensity> a) {
            if (a.ok)
                Q_EMIT viewDensity(a.value);
            else
                Q_EMIT failed(QStringLiteral("density"), a.error);
        });
}

void InPlaceService::requestLanes(const QStringList& streams, qint64 from, qint64 to, int limitPerLane)
{
    run(
        kLanes,
        [streams, from, to, limitPerLane](RemoteFirstSource& s, QString* error, bool* ok) {
            InPlaceLanes out;
            out.from = from;
            out.to = to;
            out.limit = limitPerLane;
            *ok = true;
            for (const QString& stream : streams) {
                InPlaceLane lane;
                lane.stream = stream;
                if (!s.laneTicks(stream, from, to, limitPerLane, &lane.ticks, &lane.truncated, &lane.error)) {
                    // One refused lane says so in its row; a lost server fails them all.
                    *error = lane.error;
                    *ok = false;
                    return out;
                }
                out.lanes.append(std::move(lane));
            }
            return out;
        },
        [this](Answer<InPlaceLanes> a) {
            if (a.ok)
                Q_EMIT lanes(a.value);
            else
                Q_EMIT failed(QStringLiteral("lanes"), a.error);
        });
}

void InPlaceService::requestWindow(qint64 from, qint64 to, int limit)
{
    run(
        kWindow,
        [from, to, limit](RemoteFirstSource& s, QString* error, bool* ok) {
            InPlaceWindow w;
            w.from = from;
            w.to = to;
            w.limit = limit;
            *ok = s.window(from, to, limit, &w.events, &w.truncated, error);
            return w;
        },
        [this](Answer<InPlaceWindow> a) {
            if (a.ok)
                Q_EMIT window(a.value);
            else
                Q_EMIT failed(QStringLiteral("window"), a.error);
        });
}

void InPlaceService::requestStreams(const QString& filter, const QString& after, int limit)
{
    run(
        kStreams,
        [filter, after, limit](RemoteFirstSource& s, QString* error, bool* ok) {
            InPlaceStreamPage p;
            p.filter = filter;
            p.after = after;
            *ok = s.searchStreams(filter, after, limit, &p.streams, error);
            p.complete = p.streams.size() < limit;
            return p;
        },
        [this](Answer<InPlaceStreamPage> a) {
            if (a.ok)
                Q_EMIT streamPage(a.value);
            else
                Q_EMIT failed(QStringLiteral("streams"), a.error);
        });
}

void InPlaceService::requestStep(qint64 position, int direction)
{
    run(
        kStep,
        [position, direction](RemoteFirstSource& s, QString* error, bool* ok) {
            QList<Event> around;
            // after: the first event past `position`; before: the last one at or before position - 1.
            *ok = direction > 0 ? s.around(position, 0, 1, &around, error)
                                : s.around(position - 1, 1, 0, &around, error);
            return around;
        },
        [this, direction](Answer<QList<Event>> a) {
            if (!a.ok)
                Q_EMIT failed(QStringLiteral("step"), a.error);
            else if (a.value.isEmpty())
                Q_EMIT stepEnd(direction);
            else
                Q_EMIT stepped(a.value.first());
        });
}

void InPlaceService::requestAt(qint64 value)
{
    const bool time = m_summary.axis == RemoteAxis::Time;
    const qint64 end = time ? m_summary.lastTime : m_summary.lastPosition;
    run(
        kStep,
        [value, end](RemoteFirstSource& s, QString* error, bool* ok) {
            QList<Event> first;
            bool truncated = false;
            *ok = s.window(value, std::max(value, end), 1, &first, &truncated, error);
            return first;
        },
        [this](Answer<QList<Event>> a) {
            if (!a.ok)
                Q_EMIT failed(QStringLiteral("step"), a.error);
            else if (a.value.isEmpty())
                Q_EMIT stepEnd(1);
            else
                Q_EMIT stepped(a.value.first());
        });
}

void InPlaceService::requestState(const QString& stream, qint64 position)
{
    run(
        kState,
        [stream, position](RemoteFirstSource& s, QString* error, bool* ok) {
            // From the store's nearest checkpoint where it keeps them (native stores), else from the first
            // event.
            StreamStateAt at;
            *ok = s.stateAt(stream, position, kStateEventLimit, &at, error);
            return foldState(stream, position, at);
        },
        [this](Answer<InPlaceState> a) {
            if (a.ok)
                Q_EMIT state(a.value);
            else
                Q_EMIT failed(QStringLiteral("state"), a.error);
        });
}

// ---- The category tree (issue 13 item 3) ------------------------------------------------------------------
// Three lanes of their own, numbered after the service's kinds (the Lane enum is left as it is).

namespace {
constexpr int kTreeLaneOffset = 1;
} // namespace

void InPlaceService::requestCategories(const QString& after, int limit)
{
    run(
        Lane(int(kLaneCount) + kTreeLaneOffset),
        [after, limit](RemoteFirstSource& s, QString* error, bool* ok) {
            InPlaceCategoryPage p;
            p.after = after;
            *ok = s.categories(after, limit, &p.categories, error);
            p.complete = p.categories.size() < limit;
            return p;
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
    run(
        Lane(int(kLaneCount) + kTreeLaneOffset + 1),
        [category, after, limit](RemoteFirstSource& s, QString* error, bool* ok) {
            InPlaceCategoryStreams p;
            p.category = category;
            p.after = after;
            *ok = s.categoryStreams(category, after, limit, &p.streams, error);
            p.complete = p.streams.size() < limit;
            return p;
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
    run(
        Lane(int(kLaneCount) + kTreeLaneOffset + 2),
        [category, token = m_countsCancel](RemoteFirstSource& s, QString* error, bool* ok) {
            RemoteCategory c;
            auto* native = dynamic_cast<NativeInPlaceSource*>(&s);
            if (native)
                native->setCancelToken(token);
            *ok = s.categoryCounts(category, &c, error);
            if (native)
                native->setCancelToken(CancelToken()); // the other kinds run uncancelled, as before
            c.name = category;
            return c;
        },
        [this](Answer<RemoteCategory> a) {
            if (a.ok)
                Q_EMIT categoryCounted(a.value);
            else
                Q_EMIT failed(QStringLiteral("category counts"), a.error);
        });
}

} // namespace chronoscope
