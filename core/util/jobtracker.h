#pragma once
// JobTracker: the one way background work is run for an object that lives on an event-loop thread (a
// service, a window, a dialog). Modelled on the job tracker of the hotspot profiler (KDAB/hotspot,
// src/jobtracker.h): every job gets an id from a counter that only grows; a newer job in the same lane
// cancels the older one; an answer is delivered only while its job is still current, so a stale answer
// never reaches the caller. Work runs on a thread pool: the shared global pool, or a dedicated pool of
// one thread that never expires (for work bound to one thread: a cloned SQLite reader, a QJSEngine;
// jobs then run one after another, in the order they were started).
//
// Cancellation is cooperative: the work polls JobHandle::isCancelled() (or hands the token to code that
// takes a CancelToken) and returns early. Two ways to stop a job:
//   cancel():    the flag is set and the answer is dropped (a newer request replaces it);
//   interrupt(): the flag is set, the job still answers (the caller wants to hear "cancelled").
// The destructor cancels every job and waits until none runs any more, so the work may use what the
// owner owns; work must never block on the owner's thread (that would deadlock the destructor).

#include "util/progress.h"

#include <QMetaObject>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QWaitCondition>

#include <functional>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>

class QThreadPool;

namespace chronoscope {

namespace detail {
/// What the tracker, its jobs and their queued answers share; outlives the tracker while a job holds it.
struct JobShared
{
    struct Entry
    {
        int lane = -1;
        CancelToken token;
    };
    QPointer<QObject> context;
    mutable QMutex mutex;
    QWaitCondition idle;
    quint64 lastId = 0;
    std::map<quint64, Entry> current;  ///< jobs whose answer is still wanted
    int inFlight = 0;                   ///< started and not yet returned from the pool

    bool isCurrent(quint64 id) const;
    /// True once for a current job: it is then no longer current (its answer is being delivered).
    bool take(quint64 id);
    void finished();
};
} // namespace detail

/// What a running job sees.
class JobHandle
{
public:
    quint64 id() const { return m_id; }
    /// The job's stop flag, for code that takes a CancelToken.
    const CancelToken& token() const { return m_token; }
    /// Poll this: true once the job was cancelled, superseded or interrupted, or its tracker is going away.
    bool isCancelled() const { return m_token.isCancelled(); }
    /// Runs fn on the owner's thread if the job is still current then (progress, partial results).
    void post(std::function<void()> fn) const;

private:
    friend class JobTracker;
    JobHandle(std::shared_ptr<detail::JobShared> shared, quint64 id, CancelToken token)
        : m_shared(std::move(shared)), m_id(id), m_token(std::move(token)) {}
    std::shared_ptr<detail::JobShared> m_shared;
    quint64 m_id;
    CancelToken m_token;
};

class JobTracker
{
public:
    enum class Threads {
        Shared,    ///< QThreadPool::globalInstance(): short jobs with no thread-bound state
        Dedicated  ///< a pool of one thread of its own that never expires: thread-bound state, long jobs
    };
    /// Jobs in no lane are never superseded (only cancel(id), cancelAll() and the destructor stop them).
    static constexpr int NoLane = -1;

    /// Answers are delivered on `context`'s thread, and only while `context` exists. A Dedicated
    /// tracker's thread is named `threadName` (debuggers, crash reports).
    explicit JobTracker(QObject* context, Threads threads = Threads::Shared, const QString& threadName = {});
    ~JobTracker();
    JobTracker(const JobTracker&) = delete;
    JobTracker& operator=(const JobTracker&) = delete;

    /// Starts `work(const JobHandle&) -> R` on the pool; `deliver(quint64 id, R)` runs on the context's
    /// thread if the job is still current when it finishes. A job in lane >= 0 cancels the current job of
    /// that lane. Returns the job's id (ids only grow, across every lane).
    template<typename Work, typename Deliver>
    quint64 start(int lane, Work work, Deliver deliver)
    {
        using R = std::invoke_result_t<Work&, const JobHandle&>;
        const JobHandle handle = begin(lane);
        run([shared = m_shared, handle, work = std::move(work), deliver = std::move(deliver)]() mutable {
            const Finished done{shared.get()};
            if (!shared->isCurrent(handle.id()))
                return;  // cancelled or superseded while queued: no work at all
            if constexpr (std::is_void_v<R>) {
                work(handle);
                deliver_(shared, handle.id(), [deliver = std::move(deliver), id = handle.id()]() mutable { deliver(id); });
            } else {
                R result = work(handle);
                deliver_(shared, handle.id(),
                         [deliver = std::move(deliver), id = handle.id(), result = std::move(result)]() mutable {
                             deliver(id, std::move(result));
                         });
            }
        });
        return handle.id();
    }
    /// Work with no answer (setup, teardown of thread-bound state); runs in order on a Dedicated tracker.
    template<typename Work>
    quint64 post(Work work)
    {
        return start(NoLane, std::move(work), [](quint64) {});
    }

    /// Sets the job's flag and drops its answer. Unknown or finished ids are ignored.
    void cancel(quint64 id);
    void cancelLane(int lane);
    void cancelAll();
    /// Sets the job's flag; it still answers (with what it has, or "cancelled").
    void interrupt(quint64 id);
    void interruptAll();

    /// The job has not answered and was not cancelled or superseded.
    bool isCurrent(quint64 id) const;
    /// Any job whose answer is still wanted.
    bool hasCurrent() const;
    /// The id of the newest job (0 before the first).
    quint64 lastId() const;
    /// Blocks until no job of this tracker runs or waits in the pool; false on timeout.
    bool waitForDone(int msecs = -1);

private:
    /// Counts the job out (and wakes waitForDone()) however its task returns.
    struct Finished
    {
        detail::JobShared* shared;
        ~Finished() { shared->finished(); }
    };
    JobHandle begin(int lane);
    template<typename Task>
    void run(Task task)
    {
        // The pool takes a copyable std::function; the task may hold move-only state.
        auto holder = std::make_shared<Task>(std::move(task));
        runOnPool([holder] { (*holder)(); });
    }
    void runOnPool(std::function<void()> task);
    template<typename F>
    static void deliver_(const std::shared_ptr<detail::JobShared>& shared, quint64 id, F&& f)
    {
        QObject* context = shared->context.data();
        if (!context || !shared->isCurrent(id))
            return;
        QMetaObject::invokeMethod(
            context,
            [shared, id, f = std::forward<F>(f)]() mutable {
                if (shared->take(id))
                    f();
            },
            Qt::QueuedConnection);
    }

    std::shared_ptr<detail::JobShared> m_shared;
    std::unique_ptr<QThreadPool> m_ownPool;
    QThreadPool* m_pool;
};

} // namespace chronoscope
