#include "projection/projectionservice.h"

#include <QHash>
#include <map>
#include <QMutex>
#include <QPointer>
#include <QThread>

namespace chronoscope {

// Lives on the worker thread; every slot body runs there (queued lambdas).
class ProjectionWorker : public QObject
{
public:
    explicit ProjectionWorker(ProjectionService* service) : m_service(service) {}

    struct Loaded
    {
        QString source;
        QString fileName;
        std::unique_ptr<JsProjection> projection;
        std::unique_ptr<ProjectionReplay> replay;
    };

    template<typename F>
    void post(F&& f)
    {
        QMetaObject::invokeMethod(this, std::forward<F>(f), Qt::QueuedConnection);
    }
    /// Runs f on the service's thread (if the service still exists).
    template<typename F>
    void answer(F&& f)
    {
        QPointer<ProjectionService> s = m_service;
        QMetaObject::invokeMethod(m_service, [s, f = std::forward<F>(f)]() {
            if (s)
                f(s.data());
        }, Qt::QueuedConnection);
    }

    void setReader(std::shared_ptr<EventReader> reader)
    {
        m_reader = std::move(reader);
        // Another store: every projection starts over from a fresh engine. Keeping the engine would carry
        // the old store's state (and any top-level variables of the script) into the new one: a new
        // ProjectionReplay assumes its engine is at $init.
        for (auto it = m_loaded.begin(); it != m_loaded.end();) {
            Loaded& l = it->second;
            l.replay.reset();
            ProjectionError err;
            l.projection = JsProjection::fromSource(l.source, l.fileName, m_limits, &err);
            if (!l.projection) {
                it = m_loaded.erase(it);  // it compiled before; a failure here is reported when it is next asked for
                continue;
            }
            if (m_reader)
                l.replay = std::make_unique<ProjectionReplay>(l.projection.get(), m_reader.get());
            ++it;
        }
    }

    void load(quint64 id, const QString& name, const QString& source, const QString& fileName)
    {
        ProjectionError err;
        auto p = JsProjection::fromSource(source, fileName, m_limits, &err);
        if (!p) {
            m_loaded.erase(name);
            answer([id, name, err](ProjectionService* s) { Q_EMIT s->failed(id, name, err); });
            return;
        }
        Loaded& l = m_loaded[name];
        l.source = source;
        l.fileName = fileName;
        l.replay.reset();
        l.projection = std::move(p);
        if (m_reader)
            l.replay = std::make_unique<ProjectionReplay>(l.projection.get(), m_reader.get());
        const ProjectionDefinition def = l.projection->definition();
        answer([id, name, def](ProjectionService* s) { Q_EMIT s->loaded(id, name, def); });
    }

    bool ready(quint64 id, const QString& name, Loaded** out)
    {
        auto it = m_loaded.find(name);
        ProjectionError err;
        err.kind = ProjectionError::Load;
        if (it == m_loaded.end())
            err.message = QStringLiteral("no projection named '%1' is loaded").arg(name);
        else if (!it->second.replay)
            err.message = QStringLiteral("no store is open");
        else {
            *out = &it->second;
            return true;
        }
        answer([id, name, err](ProjectionService* s) { Q_EMIT s->failed(id, name, err); });
        return false;
    }

    void state(quint64 id, const QString& name, qint64 position)
    {
        {
            QMutexLocker lock(&m_latestMutex);
            if (m_latestState.value(name) != id)
                return;  // a newer request for this projection is queued behind us
        }
        Loaded* l = nullptr;
        if (!ready(id, name, &l))
            return;
        ProjectionSnapshot snap;
        ProjectionError err;
        if (!l->replay->stateAt(position, &snap, &err, m_shutdown)) {
            answer([id, name, err](ProjectionService* s) { Q_EMIT s->failed(id, name, err); });
            return;
        }
        const QList<ProjectionLogLine> logs = l->replay->takeLogs();
        const QList<EmittedEvent> emitted = l->replay->takeEmitted();
        answer([id, name, snap, logs, emitted](ProjectionService* s) { Q_EMIT s->stateReady(id, name, snap, logs, emitted); });
    }

    ProgressFn progressFor(quint64 id)
    {
        return [this, id](qint64 done, qint64 total, const QString&) {
            answer([id, done, total](ProjectionService* s) { Q_EMIT s->progress(id, done, total); });
        };
    }

    CancelToken freshToken()
    {
        QMutexLocker lock(&m_cancelMutex);
        m_cancel = CancelToken();
        return m_cancel;
    }
    void cancel()
    {
        QMutexLocker lock(&m_cancelMutex);
        m_cancel.cancel();
    }

    void divergence(quint64 id, const QString& a, const QString& b)
    {
        Loaded* la = nullptr;
        Loaded* lb = nullptr;
        if (!ready(id, a, &la) || !ready(id, b, &lb))
            return;
        // Fresh copies: the comparison resets its engines, the replays keep theirs.
        ProjectionError err;
        auto pa = JsProjection::fromSource(la->source, la->fileName, m_limits, &err);
        auto pb = pa ? JsProjection::fromSource(lb->source, lb->fileName, m_limits, &err) : nullptr;
        DivergenceResult result;
        if (!pa || !pb || !findDivergence(*pa, *pb, *m_reader, &result, &err, freshToken(), progressFor(id))) {
            answer([id, a, err](ProjectionService* s) { Q_EMIT s->failed(id, a, err); });
            return;
        }
        answer([id, result](ProjectionService* s) { Q_EMIT s->divergenceReady(id, result); });
    }

    void blame(quint64 id, const QString& name, qint64 position, const QString& pointer)
    {
        Loaded* l = nullptr;
        if (!ready(id, name, &l))
            return;
        ProjectionBlame result;
        ProjectionError err;
        if (!l->replay->blame(position, pointer, &result, &err, freshToken(), progressFor(id))) {
            answer([id, name, err](ProjectionService* s) { Q_EMIT s->failed(id, name, err); });
            return;
        }
        answer([id, name, result](ProjectionService* s) { Q_EMIT s->blameReady(id, name, result); });
    }

    void watch(quint64 id, const QString& name, const QString& predicate, qint64 from, bool backward, bool level)
    {
        Loaded* l = nullptr;
        if (!ready(id, name, &l))
            return;
        WatchHit hit;
        ProjectionError err;
        if (!l->replay->watch(predicate, from, backward, level, &hit, &err, freshToken(), progressFor(id))) {
            answer([id, name, err](ProjectionService* s) { Q_EMIT s->failed(id, name, err); });
            return;
        }
        answer([id, name, hit](ProjectionService* s) { Q_EMIT s->watchReady(id, name, hit); });
    }

    ProjectionService* m_service;
    std::shared_ptr<EventReader> m_reader;
    std::map<QString, Loaded> m_loaded;
    ProjectionLimits m_limits;
    QMutex m_latestMutex;
    QHash<QString, quint64> m_latestState;
    QMutex m_cancelMutex;
    CancelToken m_cancel;
    CancelToken m_shutdown;  ///< stops a long first pass behind a state request when the service goes away
};

ProjectionService::ProjectionService(QObject* parent)
    : QObject(parent), m_thread(new QThread), m_worker(new ProjectionWorker(this))
{
    m_thread->setObjectName(QStringLiteral("projections"));
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

ProjectionService::~ProjectionService()
{
    m_worker->cancel();
    m_worker->m_shutdown.cancel();
    // Destroy the worker (and its engines) on its own thread, then stop the thread.
    QMetaObject::invokeMethod(m_worker, [w = m_worker] { delete w; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void ProjectionService::setReader(std::unique_ptr<EventReader> reader)
{
    m_hasReader = reader != nullptr;
    std::shared_ptr<EventReader> shared(std::move(reader));
    m_worker->cancel();
    m_worker->post([w = m_worker, shared] { w->setReader(shared); });
}

void ProjectionService::setLimits(const ProjectionLimits& limits)
{
    m_worker->post([w = m_worker, limits] { w->m_limits = limits; });
}

quint64 ProjectionService::load(const QString& name, const QString& source, const QString& fileName)
{
    const quint64 id = m_nextId++;
    m_worker->post([w = m_worker, id, name, source, fileName] { w->load(id, name, source, fileName); });
    return id;
}

void ProjectionService::unload(const QString& name)
{
    m_worker->post([w = m_worker, name] { w->m_loaded.erase(name); });
}

quint64 ProjectionService::requestState(const QString& name, qint64 position)
{
    const quint64 id = m_nextId++;
    {
        QMutexLocker lock(&m_worker->m_latestMutex);
        m_worker->m_latestState[name] = id;
    }
    m_worker->post([w = m_worker, id, name, position] { w->state(id, name, position); });
    return id;
}

quint64 ProjectionService::requestDivergence(const QString& nameA, const QString& nameB)
{
    const quint64 id = m_nextId++;
    m_worker->post([w = m_worker, id, nameA, nameB] { w->divergence(id, nameA, nameB); });
    return id;
}

quint64 ProjectionService::requestWatch(const QString& name, const QString& predicate, qint64 from, bool backward,
                                        bool level)
{
    const quint64 id = m_nextId++;
    m_worker->post([w = m_worker, id, name, predicate, from, backward, level] {
        w->watch(id, name, predicate, from, backward, level);
    });
    return id;
}

quint64 ProjectionService::requestBlame(const QString& name, qint64 position, const QString& pointer)
{
    const quint64 id = m_nextId++;
    m_worker->post([w = m_worker, id, name, position, pointer] { w->blame(id, name, position, pointer); });
    return id;
}

void ProjectionService::cancel()
{
    m_worker->cancel();
}

} // namespace chronoscope
