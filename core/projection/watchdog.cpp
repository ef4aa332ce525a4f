#include "projection/watchdog.h"

#include <QJSEngine>

#include <atomic>
#include <cstdio>
#include <unistd.h>

namespace chronoscope {

namespace {
// Polling often enough that a 2 s limit is met within a few percent, rarely enough to cost nothing.
constexpr auto kPoll = std::chrono::milliseconds(10);
// Calls armed across the process right now (every engine, every thread). The process's growth can only be
// charged to one engine while that engine's call is the only one running.
std::atomic<int> g_armedCalls{0};
}

HandlerWatchdog::HandlerWatchdog(QJSEngine* engine, qint64 timeoutMs, qint64 maxMemoryGrowthBytes)
    : m_engine(engine), m_timeoutMs(timeoutMs), m_maxGrowth(maxMemoryGrowthBytes)
{
    m_thread = std::thread([this] { loop(); });
}

HandlerWatchdog::~HandlerWatchdog()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void HandlerWatchdog::arm(qint64 timeoutMs)
{
    std::lock_guard lock(m_mutex);
    m_currentTimeoutMs = timeoutMs > 0 ? timeoutMs : m_timeoutMs;
    if (!m_armed)
        g_armedCalls.fetch_add(1);
    m_armed = true;
    ++m_generation;
    m_fired = NotFired;
    m_start = std::chrono::steady_clock::now();
}

HandlerWatchdog::Reason HandlerWatchdog::disarm()
{
    Reason fired;
    {
        std::lock_guard lock(m_mutex);
        if (m_armed)
            g_armedCalls.fetch_sub(1);
        m_armed = false;
        fired = m_fired;
        m_fired = NotFired;
        m_lastElapsedMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - m_start).count();
    }
    if (fired != NotFired)
        m_engine->setInterrupted(false);
    return fired;
}

qint64 HandlerWatchdog::elapsedMs() const
{
    return m_lastElapsedMs;
}

qint64 HandlerWatchdog::residentBytes()
{
    // /proc/self/statm: size resident shared ... in pages.
    FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long size = 0, resident = 0;
    const int n = std::fscanf(f, "%ld %ld", &size, &resident);
    std::fclose(f);
    return n == 2 ? qint64(resident) * sysconf(_SC_PAGESIZE) : 0;
}

void HandlerWatchdog::loop()
{
    quint64 seenGeneration = 0;
    qint64 baseline = 0;
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_wake.wait_for(lock, kPoll);
        if (m_stop)
            break;
        if (!m_armed || m_fired != NotFired)
            continue;
        const auto now = std::chrono::steady_clock::now();
        const qint64 ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_start).count();
        // Only calls that last longer than one poll are worth a look at memory, and only while this engine's call
        // is the only one in the process (otherwise the growth is not this engine's): the baseline is taken
        // again once it is alone.
        const bool alone = g_armedCalls.load() == 1;
        if (!alone) {
            seenGeneration = 0;  // generations start at 1: the next poll alone takes a new baseline
            baseline = 0;
        } else if (seenGeneration != m_generation) {
            seenGeneration = m_generation;
            baseline = m_maxGrowth > 0 ? residentBytes() : 0;
        } else if (m_maxGrowth > 0 && baseline > 0 && residentBytes() - baseline > m_maxGrowth) {
            m_fired = Memory;
            m_engine->setInterrupted(true);
            continue;
        }
        if (m_currentTimeoutMs > 0 && ms >= m_currentTimeoutMs) {
            m_fired = Time;
            m_engine->setInterrupted(true);
        }
    }
}

} // namespace chronoscope
