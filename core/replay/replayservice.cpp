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
    : QObject(parent), m_reader(std::move(reader))
{
    qRegisterMetaType<chronoscope::StateResult>();
    qRegisterMetaType<chronoscope::BlameResult>();
    qRegisterMetaType<chronoscope::EventChange>();
    m_thread.setObjectName(QStringLiteral("chronoscope-replay"));
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

ReplayService::~ReplayService()
{
    cancelAll();
    // The engine and the cloned reader were made on the worker thread (a Qt SQL connection must be
    // closed where it was opened): tear them down there, then stop the thread.
    QMetaObject::invokeMethod(m_worker, [this] { m_state.reset(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
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
    const quint64 id = ++m_nextId;
    Slot& slot = m_slots[kind];
    slot.token.cancel();  // the superseded request stops at its next event
    slot = Slot{id, CancelToken(), true};
    const CancelToken token = slot.token;
    QMetaObject::invokeMethod(
        m_worker,
        [this, id, kind, token, job = std::move(job)] {
            if (token.isCancelled())
                return;  // superseded while queued: no work at all
            WorkerState& ws = workerState();
            Deliver deliver;
            if (!ws.engine) {
                deliver = [this](quint64 rid) { Q_EMIT failed(rid, QStringLiteral("no reader to replay from")); };
            } else {
                deliver = job(*ws.engine, token);
            }
            if (token.isCancelled())
                return;
            // Back on the service's thread; a request superseded in the meantime is dropped there.
            QMetaObject::invokeMethod(
                this,
                [this, id, kind, token, deliver = std::move(deliver)] {
                    Slot& s = m_slots[kind];
                    if (s.id != id || !s.pending || token.isCancelled())
                        return;
                    s.pending = false;
                    deliver(id);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return id;
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
    for (Slot& s : m_slots) {
        if (s.id == id && s.pending) {
            s.token.cancel();
            s.pending = false;
        }
    }
}

void ReplayService::cancelAll()
{
    for (Slot& s : m_slots) {
        s.token.cancel();
        s.pending = false;
    }
}

bool ReplayService::isPending(quint64 id) const
{
    for (const Slot& s : m_slots)
        if (s.id == id)
            return s.pending;
    return false;
}

} // namespace chronoscope
