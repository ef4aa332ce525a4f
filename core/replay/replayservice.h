#pragma once
// ReplayService: the replay engine for the GUI. Work runs on a thread of its own (a JobTracker with a
// dedicated thread), with its own reader (a clone made on that thread) and its own engine (so its
// checkpoints survive between requests). Every request gets an id. Requests come in kinds (state, diff,
// blame, change), one JobTracker lane each: a newer request of a kind supersedes the older one of that
// kind: the older one's running work is cancelled and its result is never emitted. Results arrive on the
// thread the service lives in.

#include "replay/blame.h"
#include "replay/replayengine.h"
#include "util/jobtracker.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QObject>

#include <functional>
#include <memory>

namespace chronoscope {

class ReplayService : public QObject
{
    Q_OBJECT
public:
    explicit ReplayService(std::unique_ptr<EventReader> reader, QObject* parent = nullptr);
    ~ReplayService() override;

    quint64 requestState(const QString& stream, const Point& point);
    quint64 requestDiff(const QString& stream, const Point& a, const Point& b);
    quint64 requestBlame(const QString& stream, const QString& pointer, const Point& point);
    /// The states around one event and the patch between them (changeReady).
    quint64 requestChange(const Event& event);

    /// Cancels one request: its work stops and no signal is emitted for it. Unknown or finished ids are ignored.
    void cancel(quint64 id);
    void cancelAll();
    /// True while id is the newest request of its kind and has neither delivered nor been cancelled.
    bool isPending(quint64 id) const;

Q_SIGNALS:
    void stateReady(quint64 id, const chronoscope::StateResult& r);
    void diffReady(quint64 id, const QJsonValue& a, const QJsonValue& b, const QJsonArray& patch);
    void blameReady(quint64 id, const chronoscope::BlameResult& r);
    void changeReady(quint64 id, const chronoscope::EventChange& c);
    /// Any failure (unknown stream, read error, "path not found") of a request that is still current.
    void failed(quint64 id, const QString& message);

private:
    enum Kind { StateKind, DiffKind, BlameKind, ChangeKind };
    struct WorkerState;
    /// Runs on the worker thread; returns what to emit on the service's thread (given the request id).
    using Deliver = std::function<void(quint64 id)>;
    using Job = std::function<Deliver(ReplayEngine& engine, const CancelToken& token)>;

    quint64 submit(Kind kind, Job job);
    WorkerState& workerState();

    std::unique_ptr<EventReader> m_reader;          ///< the reader given; cloned on the worker thread
    std::unique_ptr<WorkerState> m_state;           ///< touched only on the worker thread
    JobTracker m_jobs;                              ///< last: stops (and waits for) the work first
};

} // namespace chronoscope
