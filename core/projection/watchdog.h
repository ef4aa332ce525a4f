#pragma once
// Interrupts a QJSEngine whose call runs too long, or (Linux, backstop) makes the process grow too much
// while it is the only call running in the process. One polling thread per watchdog; arming and
// disarming around a call cost a clock read and a lock.

#include <QtGlobal>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

class QJSEngine;

namespace chronoscope {

class HandlerWatchdog
{
public:
    enum Reason { NotFired, Time, Memory };

    HandlerWatchdog(QJSEngine* engine, qint64 timeoutMs, qint64 maxMemoryGrowthBytes);
    ~HandlerWatchdog();
    HandlerWatchdog(const HandlerWatchdog&) = delete;
    HandlerWatchdog& operator=(const HandlerWatchdog&) = delete;

    /// Starts watching a call; timeoutMs overrides the default for this call (0: the default).
    void arm(qint64 timeoutMs = 0);
    /// Ends the armed call. Returns why the engine was interrupted during it (NotFired when it was not);
    /// clears the engine's interrupt flag so the next call runs.
    Reason disarm();
    qint64 elapsedMs() const;  ///< of the last armed call, valid after disarm()
    qint64 timeoutMs() const { return m_currentTimeoutMs; }

private:
    void loop();
    static qint64 residentBytes();

    QJSEngine* m_engine;
    qint64 m_timeoutMs;
    qint64 m_currentTimeoutMs = 0;
    qint64 m_maxGrowth;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    bool m_armed = false;
    quint64 m_generation = 0;
    Reason m_fired = NotFired;
    std::chrono::steady_clock::time_point m_start;
    qint64 m_lastElapsedMs = 0;
    std::thread m_thread;
};

} // namespace chronoscope
