#pragma once
// Projections off the GUI thread: one worker thread owns every loaded JsProjection (a QJSEngine belongs
// to the thread that made it), its ProjectionReplay and its own reader clone. Requests return an id;
// results come back as signals on the service's thread with that id, so a view drops answers to
// requests that are no longer current. A newer state request for a projection makes older queued
// ones for it be skipped; divergence and watch runs report progress and stop on cancel().

#include "projection/divergence.h"
#include "projection/projectionreplay.h"

#include <QObject>

#include <atomic>
#include <memory>

class QThread;

namespace chronoscope {

class ProjectionWorker;

class ProjectionService : public QObject
{
    Q_OBJECT
public:
    explicit ProjectionService(QObject* parent = nullptr);
    ~ProjectionService() override;

    /// The store to run on (a reader of its own: the service uses it on its worker thread). Loaded
    /// projections stay loaded and start over on the new store.
    void setReader(std::unique_ptr<EventReader> reader);
    bool hasReader() const { return m_hasReader; }

    void setLimits(const ProjectionLimits& limits);
    /// Compiles and defines a projection under `name` (replacing one of that name): loaded() answers.
    quint64 load(const QString& name, const QString& source, const QString& fileName);
    void unload(const QString& name);
    /// The state after every event <= position: stateReady() or failed().
    quint64 requestState(const QString& name, qint64 position);
    /// First divergence of two loaded projections (run on fresh copies): divergenceReady() or failed().
    quint64 requestDivergence(const QString& nameA, const QString& nameB);
    /// watchReady() or failed().
    quint64 requestWatch(const QString& name, const QString& predicate, qint64 from, bool backward, bool level);
    /// The event whose handlers last changed `pointer` (RFC 6901, into ProjectionSnapshot::view()) at or
    /// before `position`: blameReady() or failed().
    quint64 requestBlame(const QString& name, qint64 position, const QString& pointer);
    /// Stops the running divergence or watch (its request fails with kind Cancelled).
    void cancel();

Q_SIGNALS:
    void loaded(quint64 id, const QString& name, const chronoscope::ProjectionDefinition& definition);
    void stateReady(quint64 id, const QString& name, const chronoscope::ProjectionSnapshot& snapshot,
                    const QList<chronoscope::ProjectionLogLine>& logs, const QList<chronoscope::EmittedEvent>& emitted);
    void divergenceReady(quint64 id, const chronoscope::DivergenceResult& result);
    void watchReady(quint64 id, const QString& name, const chronoscope::WatchHit& hit);
    void blameReady(quint64 id, const QString& name, const chronoscope::ProjectionBlame& blame);
    /// Any request that did not succeed (load errors too).
    void failed(quint64 id, const QString& name, const chronoscope::ProjectionError& error);
    void progress(quint64 id, qint64 done, qint64 total);

private:
    friend class ProjectionWorker;
    QThread* m_thread;
    ProjectionWorker* m_worker;
    std::atomic<quint64> m_nextId{1};
    bool m_hasReader = false;
};

} // namespace chronoscope
