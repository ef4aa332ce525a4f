#include "replay/replayservice.h"

#include <QLoggingCategory>

namespace chronoscope {

Q_LOGGING_CATEGORY(lcReplay, "chronoscope.replay")

struct ReplayService::WorkerState
{
    std::unique_ptr<EventReader> clone;
    EventReader* reader = nullptr;
    std::unique_ptr<ReplayEngine> engine;
};

ReplayService::ReplayService(std::unique_ptr<EventReader> reader, QObject* parent)
    : QObject(parent), m_reader(std::move(reader)),
      m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("chronoscope-replay"))
{
    qRegisterMetaType<chronoscope::StateResult>();
    qRegisterMetaType<chronoscope::BlameResult>();
    qRegisterMetaType<chronoscope::EventChange>();
}

ReplayService::~ReplayService()
{
    m_jobs.cancelAll();
    // The engine and the cloned reader were made on the worker thread (a Qt SQL connection must be
    // closed where it was opened): tear them down there, after the cancelled work has returned.
    m_jobs.post([this](const JobHandle&) { m_state.reset(); });
    m_jobs.waitForDone();
}

ReplayService::WorkerState& ReplayService::workerState()
{
    if (!m_state) {
        m_state = std::make_unique<WorkerState>();
        QString err;
        m_state->clone = m_reader ? m_reader->clone(&err) : nullptr;
        if (m_state->clone) {
            m_state->reader = m_state->clone.get();
        } else {
            // The reader given to the service is ours alone; use it directly if it cannot clone.
            qCWarning(lcReplay) << "replay worker uses the given reader, clone failed:" << err;
            m_state->reader = m_reader.get();
        }
        if (m_state->reader)
            m_state->engine = std::make_unique<ReplayEngine>(*m_state->reader);
    }
    return *m_state;
}

quint64 ReplayService::submit(Kind kind, Job job)
{
    return m_jobs.start(
        kind,
        [this, job = std::move(job)](const JobHandle& handle) -> Deliver {
            WorkerState& ws = workerState();
            if (!ws.engine)
                return [this](quint64 rid) { Q_EMIT failed(rid, QStringLiteral("no reader to replay from")); };
            return job(*ws.engine, handle.token());
        },
        // Back on the service's thread; a request superseded or cancelled meanwhile never gets here.
        [](quint64 id, const Deliver& deliver) { deliver(id); });
}

quint64 ReplayService::requestState(const QString& stream, const Point& point)
{
    return submit(StateKind, [this, stream, point](ReplayEngine& engine, const CancelToken& token) -> Deliver {
        const StateResult r = engine.stateAt(stream, point, token);
        if (!r.ok())
            return [this, e = r.error](quint64 id) { Q_EMIT failed(id, e); };
        return [this, r](quint64 id) { Q_EMIT stateReady(id, r); };
    });
}

quint64 ReplayService::requestDiff(const QString& stream, const Point& a, const Point& b)
{
    return submit(DiffKind, [this, stream, a, b](ReplayEngine& engine, const CancelToken& token) -> Deliver {
        const StateDiff d = engine.diff(stream, a, b, token);
        if (!d.ok())
            return [this, e = d.error](quint64 id) { Q_EMIT failed(id, e); };
        return [this, d](quint64 id) { Q_EMIT diffReady(id, d.from, d.to, d.patch); };
    });
}

quint64 ReplayService::requestBlame(const QString& stream, const QString& pointer, const Point& point)
{
    return submit(BlameKind, [this, stream, pointer, point](ReplayEngine& engine, const CancelToken& token) -> Deliver {
        const BlameResult r = engine.blame(stream, pointer, point, token);
        if (!r.ok())
            return [this, e = r.error](quint64 id) { Q_EMIT failed(id, e); };
        return [this, r](quint64 id) { Q_EMIT blameReady(id, r); };
    });
}

quint64 ReplayService::requestChange(const Event& event)
{
    return submit(ChangeKind, [this, event](ReplayEngine& engine, const CancelToken& token) -> Deliver {
        const EventChange c = engine.changeAt(event, token);
        if (!c.ok())
            return [this, e = c.error](quint64 id) { Q_EMIT failed(id, e); };
        return [this, c](quint64 id) { Q_EMIT changeReady(id, c); };
    });
}

void ReplayService::cancel(quint64 id)
{
    m_jobs.cancel(id);
}

void ReplayService::cancelAll()
{
    m_jobs.cancelAll();
}

bool ReplayService::isPending(quint64 id) const
{
    return m_jobs.isCurrent(id);
}

} // namespace chronoscope
