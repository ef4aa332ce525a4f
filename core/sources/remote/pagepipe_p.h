#pragma once
// The remote read's pipeline (internal to core/sources/remote): the client's thread hands pages to the thread
// that writes the cache through this queue, so reading the next page and writing the last one overlap (two
// cores instead of one: docs/remote.md "Budgets"). Bounded: at most capacity() pages wait, then push() blocks
// until the writer catches up, so memory stays a few pages whatever the read's size.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace chronoscope::remote {

template <typename Page> class PagePipe
{
public:
    explicit PagePipe(size_t capacity = 4) : m_capacity(capacity < 1 ? 1 : capacity) {}

    size_t capacity() const { return m_capacity; }

    /// Queues a page; blocks while capacity() pages wait. False (page dropped) once the pipe is closed.
    bool push(Page page)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [this] { return m_items.size() < m_capacity || m_closed; });
        if (m_closed) return false;
        m_items.push_back(std::move(page));
        ++m_pending;
        m_notEmpty.notify_one();
        return true;
    }
    /// Pages waiting (not yet taken by pop()).
    size_t waiting()
    {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }
    /// The next page; nullopt once the pipe is closed and empty (the writer's loop ends).
    std::optional<Page> pop()
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [this] { return !m_items.empty() || m_closed; });
        if (m_items.empty()) return std::nullopt;
        Page p = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return p;
    }
    /// The writer has written the page it popped last (drain() counts on it).
    void done()
    {
        std::lock_guard lock(m_mutex);
        if (m_pending > 0 && --m_pending == 0) m_drained.notify_all();
    }
    /// Blocks until every page pushed so far is written (or the pipe closed).
    void drain()
    {
        std::unique_lock lock(m_mutex);
        m_drained.wait(lock, [this] { return m_pending == 0 || m_closed; });
    }
    /// No more pages: wakes everyone; pages still queued are dropped when `dropQueued` (the writer failed).
    void close(bool dropQueued = false)
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        if (dropQueued) {
            m_items.clear();
            m_pending = 0;
        }
        m_notFull.notify_all();
        m_notEmpty.notify_all();
        m_drained.notify_all();
    }
    bool closed()
    {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }

private:
    const size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty, m_drained;
    std::deque<Page> m_items;
    size_t m_pending = 0; ///< pushed and not yet done()
    bool m_closed = false;
};

} // namespace chronoscope::remote
