#include "util/jobtracker.h"

#include <QThread>
#include <QThreadPool>

namespace chronoscope {

namespace detail {

bool JobShared::isCurrent(quint64 id) const
{
    QMutexLocker lock(&mutex);
    return current.count(id) != 0;
}

bool JobShared::take(quint64 id)
{
    QMutexLocker lock(&mutex);
    return current.erase(id) != 0;
}

void JobShared::finished()
{
    QMutexLocker lock(&mutex);
    if (--inFlight == 0)
        idle.wakeAll();
}

} // namespace detail

void JobHandle::post(std::function<void()> fn) const
{
    QObject* context = m_shared->context.data();
    if (!context || !m_shared->isCurrent(m_id))
        return;
    QMetaObject::invokeMethod(
        context,
        [shared = m_shared, id = m_id, fn = std::move(fn)] {
            if (shared->isCurrent(id))
                fn();
        },
        Qt::QueuedConnection);
}

JobTracker::JobTracker(QObject* context, Threads threads, const QString& threadName) : m_shared(std::make_shared<detail::JobShared>())
{
    m_shared->context = context;
    if (threads == Threads::Dedicated) {
        m_ownPool = std::make_unique<QThreadPool>();
        // One thread, kept for the tracker's lifetime: state made by one job (a reader clone, a script
        // engine) is used by the next on the same thread, and jobs run in the order they were started.
        m_ownPool->setMaxThreadCount(1);
        m_ownPool->setExpiryTimeout(-1);
        m_pool = m_ownPool.get();
        if (!threadName.isEmpty())
            m_pool->start([threadName] { QThread::currentThread()->setObjectName(threadName); });
    } else {
        m_pool = QThreadPool::globalInstance();
    }
}

JobTracker::~JobTracker()
{
    cancelAll();
    waitForDone();
    m_ownPool.reset();  // joins its thread
}

JobHandle JobTracker::begin(int lane)
{
    QMutexLocker lock(&m_shared->mutex);
    const quint64 id = ++m_shared->lastId;
    if (lane != NoLane) {
        for (auto it = m_shared->current.begin(); it != m_shared->current.end();) {
            if (it->second.lane == lane) {
                it->second.token.cancel();  // the superseded job stops at its next poll
                it = m_shared->current.erase(it);
            } else {
                ++it;
            }
        }
    }
    detail::JobShared::Entry entry;
    entry.lane = lane;
    m_shared->current.emplace(id, entry);
    ++m_shared->inFlight;
    return JobHandle(m_shared, id, entry.token);
}

void JobTracker::runOnPool(std::function<void()> task)
{
    m_pool->start(std::move(task));
}

void JobTracker::cancel(quint64 id)
{
    QMutexLocker lock(&m_shared->mutex);
    auto it = m_shared->current.find(id);
    if (it == m_shared->current.end())
        return;
    it->second.token.cancel();
    m_shared->current.erase(it);
}

void JobTracker::cancelLane(int lane)
{
    QMutexLocker lock(&m_shared->mutex);
    for (auto it = m_shared->current.begin(); it != m_shared->current.end();) {
        if (it->second.lane == lane) {
            it->second.token.cancel();
            it = m_shared->current.erase(it);
        } else {
            ++it;
        }
    }
}

void JobTracker::cancelAll()
{
    QMutexLocker lock(&m_shared->mutex);
    for (auto& [id, entry] : m_shared->current)
        entry.token.cancel();
    m_shared->current.clear();
}

void JobTracker::interrupt(quint64 id)
{
    QMutexLocker lock(&m_shared->mutex);
    auto it = m_shared->current.find(id);
    if (it != m_shared->current.end())
        it->second.token.cancel();
}

void JobTracker::interruptAll()
{
    QMutexLocker lock(&m_shared->mutex);
    for (auto& [id, entry] : m_shared->current)
        entry.token.cancel();
}

bool JobTracker::isCurrent(quint64 id) const
{
    return m_shared->isCurrent(id);
}

bool JobTracker::hasCurrent() const
{
    QMutexLocker lock(&m_shared->mutex);
    return !m_shared->current.empty();
}

quint64 JobTracker::lastId() const
{
    QMutexLocker lock(&m_shared->mutex);
    return m_shared->lastId;
}

bool JobTracker::waitForDone(int msecs)
{
    QMutexLocker lock(&m_shared->mutex);
    QDeadlineTimer deadline(msecs < 0 ? QDeadlineTimer::Forever : QDeadlineTimer(msecs));
    while (m_shared->inFlight > 0) {
        if (!m_shared->idle.wait(&m_shared->mutex, deadline))
            return m_shared->inFlight == 0;
    }
    return true;
}

} // namespace chronoscope
