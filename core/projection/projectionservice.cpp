#include "projection/projectionservice.h"

#include <map>

namespace chronoscope {

// Everything the worker thread owns; only jobs (which run there, one at a time) touch it.
struct ProjectionService::WorkerState
{
    struct Loaded
    {
        QString source;
        QString fileName;
        std::unique_ptr<JsProjection> projection;
        std::unique_ptr<ProjectionReplay> replay;
    };

    std::shared_ptr<EventReader> reader;
    std::map<QString, Loaded> loaded;
    ProjectionLimits limits;

    void setReader(std::shared_ptr<EventReader> r)
    {
        reader = std::move(r);
        // Another store: every projection starts over from a fresh engine. Keeping the engine would carry
        // the old store's state (and any top-level variables of the script) into the new one: a new
        // ProjectionReplay assumes its engine is at $init.
        for (auto it = loaded.begin(); it != loaded.end();) {
            Loaded& l = it->second;
            l.replay.reset();
            ProjectionError err;
            l.projection = JsProjection::fromSource(l.source, l.fileName, limits, &err);
            if (!l.projection) {
                it = loaded.erase(it);  // it compiled before; a failure here is reported when it is next asked for
                continue;
            }
            if (reader)
                l.replay = std::make_unique<ProjectionReplay>(l.projection.get(), reader.get());
            ++it;
        }
    }

    /// The loaded projection with a store to run on, or null and the error to report.
    Loaded* ready(const QString& name, ProjectionError* err)
    {
        auto it = loaded.find(name);
        err->kind = ProjectionError::Load;
        if (it == loaded.end())
            err->message = QStringLiteral("no projection named '%1' is loaded").arg(name);
        else if (!it->second.replay)
            err->message = QStringLiteral("no store is open");
        else
            return &it->second;
        return nullptr;
    }
};

ProjectionService::ProjectionService(QObject* parent)
    : QObject(parent), m_state(std::make_unique<WorkerState>()),
      m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("projections"))
{
}

ProjectionService::~ProjectionService()
{
    m_jobs.cancelAll();  // also stops a long first pass behind a state request
    // The engines (QJSEngine) and the reader belong to the worker thread: destroy them there.
    m_jobs.post([this](const JobHandle&) { m_state.reset(); });
    m_jobs.waitForDone();
}

quint64 ProjectionService::submit(int lane, Job job)
{
    return m_jobs.start(
        lane, [this, job = std::move(job)](const JobHandle& handle) { return job(*m_state, handle); },
        [](quint64 id, const Deliver& deliver) { deliver(id); });
}

quint64 ProjectionService::submitLongRun(Job job)
{
    for (auto it = m_longRuns.begin(); it != m_longRuns.end();)
        it = m_jobs.isCurrent(*it) ? std::next(it) : m_longRuns.erase(it);
    const quint64 id = submit(JobTracker::NoLane, std::move(job));
    m_longRuns.insert(id);
    return id;
}

namespace {
/// Progress of a long run, emitted on the service's thread while its request is current.
template<typename Send>
ProgressFn progressOf(const JobHandle& job, Send send)
{
    return [job, send](qint64 done, qint64 total, const QString&) { job.post([send, done, total] { send(done, total); }); };
}
} // namespace

void ProjectionService::setReader(std::unique_ptr<EventReader> reader)
{
    m_hasReader = reader != nullptr;
    std::shared_ptr<EventReader> shared(std::move(reader));
    cancel();  // a run on the old store stops
    m_jobs.post([this, shared](const JobHandle&) { m_state->setReader(shared); });
}

void ProjectionService::setLimits(const ProjectionLimits& limits)
{
    m_jobs.post([this, limits](const JobHandle&) { m_state->limits = limits; });
}

quint64 ProjectionService::load(const QString& name, const QString& source, const QString& fileName)
{
    return submit(JobTracker::NoLane, [this, name, source, fileName](WorkerState& w, const JobHandle&) -> Deliver {
        ProjectionError err;
        auto p = JsProjection::fromSource(source, fileName, w.limits, &err);
        if (!p) {
            w.loaded.erase(name);
            return [this, name, err](quint64 id) { Q_EMIT failed(id, name, err); };
        }
        WorkerState::Loaded& l = w.loaded[name];
        l.source = source;
        l.fileName = fileName;
        l.replay.reset();
        l.projection = std::move(p);
        if (w.reader)
            l.replay = std::make_unique<ProjectionReplay>(l.projection.get(), w.reader.get());
        const ProjectionDefinition def = l.projection->definition();
        return [this, name, def](quint64 id) { Q_EMIT loaded(id, name, def); };
    });
}

void ProjectionService::unload(const QString& name)
{
    m_jobs.post([this, name](const JobHandle&) { m_state->loaded.erase(name); });
}

quint64 ProjectionService::requestState(const QString& name, qint64 position)
{
    auto lane = m_stateLanes.constFind(name);
    if (lane == m_stateLanes.cend())
        lane = m_stateLanes.insert(name, int(m_stateLanes.size()));
    return submit(*lane, [this, name, position](WorkerState& w, const JobHandle& job) -> Deliver {
        ProjectionError err;
        WorkerState::Loaded* l = w.ready(name, &err);
        ProjectionSnapshot snap;
        if (!l || !l->replay->stateAt(position, &snap, &err, job.token()))
            return [this, name, err](quint64 id) { Q_EMIT failed(id, name, err); };
        const QList<ProjectionLogLine> logs = l->replay->takeLogs();
        const QList<EmittedEvent> emitted = l->replay->takeEmitted();
        return [this, name, snap, logs, emitted](quint64 id) { Q_EMIT stateReady(id, name, snap, logs, emitted); };
    });
}

quint64 ProjectionService::requestDivergence(const QString& nameA, const QString& nameB)
{
    return submitLongRun([this, nameA, nameB](WorkerState& w, const JobHandle& job) -> Deliver {
        const quint64 jobId = job.id();
        ProjectionError err;
        WorkerState::Loaded* la = w.ready(nameA, &err);
        WorkerState::Loaded* lb = la ? w.ready(nameB, &err) : nullptr;
        if (!la || !lb) {
            const QString name = la ? nameB : nameA;
            return [this, name, err](quint64 id) { Q_EMIT failed(id, name, err); };
        }
        // Fresh copies: the comparison resets its engines, the replays keep theirs.
        auto pa = JsProjection::fromSource(la->source, la->fileName, w.limits, &err);
        auto pb = pa ? JsProjection::fromSource(lb->source, lb->fileName, w.limits, &err) : nullptr;
        DivergenceResult result;
        const ProgressFn progress = progressOf(job, [this, jobId](qint64 d, qint64 t) { Q_EMIT this->progress(jobId, d, t); });
        if (!pa || !pb || !findDivergence(*pa, *pb, *w.reader, &result, &err, job.token(), progress))
            return [this, nameA, err](quint64 id) { Q_EMIT failed(id, nameA, err); };
        return [this, result](quint64 id) { Q_EMIT divergenceReady(id, result); };
    });
}

quint64 ProjectionService::requestWatch(const QString& name, const QString& predicate, qint64 from, bool backward,
                                        bool level)
{
    return submitLongRun([this, name, predicate, from, backward, level](WorkerState& w, const JobHandle& job) -> Deliver {
        const quint64 jobId = job.id();
        ProjectionError err;
        WorkerState::Loaded* l = w.ready(name, &err);
        WatchHit hit;
        const ProgressFn progress = progressOf(job, [this, jobId](qint64 d, qint64 t) { Q_EMIT this->progress(jobId, d, t); });
        if (!l || !l->replay->watch(predicate, from, backward, level, &hit, &err, job.token(), progress))
            return [this, name, err](quint64 id) { Q_EMIT failed(id, name, err); };
        return [this, name, hit](quint64 id) { Q_EMIT watchReady(id, name, hit); };
    });
}

quint64 ProjectionService::requestBlame(const QString& name, qint64 position, const QString& pointer)
{
    return submitLongRun([this, name, position, pointer](WorkerState& w, const JobHandle& job) -> Deliver {
        const quint64 jobId = job.id();
        ProjectionError err;
        WorkerState::Loaded* l = w.ready(name, &err);
        ProjectionBlame result;
        const ProgressFn progress = progressOf(job, [this, jobId](qint64 d, qint64 t) { Q_EMIT this->progress(jobId, d, t); });
        if (!l || !l->replay->blame(position, pointer, &result, &err, job.token(), progress))
            return [this, name, err](quint64 id) { Q_EMIT failed(id, name, err); };
        return [this, name, result](quint64 id) { Q_EMIT blameReady(id, name, result); };
    });
}

void ProjectionService::cancel()
{
    for (quint64 id : std::as_const(m_longRuns))
        m_jobs.interrupt(id);  // each still answers: failed() with kind Cancelled
    m_longRuns.clear();
}

} // namespace chronoscope
