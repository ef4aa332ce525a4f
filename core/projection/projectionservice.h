#pragma once
// Projections off the GUI thread: one worker thread (a JobTracker with a thread of its own) owns every
// loaded JsProjection (a QJSEngine belongs to the thread that made it), its ProjectionReplay and its own
// reader. Requests return an id; results come back as signals on the service's thread with that id. State
// requests for a projection share a JobTracker lane: a newer one cancels the older (queued or running) and
// the older never answers. Loads always answer; divergence, watch and blame runs report progress and stop
// on cancel() (they then answer failed() with kind Cancelled).

#include "projection/divergence.h"
#include "projection/projectionreplay.h"
#include "util/jobtracker.h"

#include <QHash>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>

namespace chronoscope {

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
    /// Stops the divergence, watch and blame runs asked for so far (each fails with kind Cancelled).
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
    struct WorkerState;
    /// Runs on the worker thread; returns what to emit on the service's thread (given the request id).
    using Deliver = std::function<void(quint64 id)>;
    using Job = std::function<Deliver(WorkerState& worker, const JobHandle& job)>;
    quint64 submit(int lane, Job job);
    /// Starts a divergence, watch or blame run (cancel() stops it).
    quint64 submitLongRun(Job job);

    std::unique_ptr<WorkerState> m_state;  ///< touched only on the worker thread
    QHash<QString, int> m_stateLanes;      ///< the JobTracker lane of each projection's state requests
    QSet<quint64> m_longRuns;              ///< divergence, watch and blame runs not yet known to be over
    bool m_hasReader = false;
    JobTracker m_jobs;                     ///< last: stops (and waits for) the work first
};

} // namespace chronoscope
