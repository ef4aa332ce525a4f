#pragma once
// Progress reporting and cooperative cancellation for long work (imports, remote paging, replay).

#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace chronoscope {

/// Shared stop flag. Copy it freely; cancel() is seen by every copy, from any thread.
class CancelToken
{
public:
    CancelToken() : m_flag(std::make_shared<std::atomic<bool>>(false)) {}
    void cancel() const { m_flag->store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return m_flag->load(std::memory_order_relaxed); }

private:
    std::shared_ptr<std::atomic<bool>> m_flag;
};

/// Called from the working thread. done/total in the unit of the work (bytes, events); total -1 if unknown.
using ProgressFn = std::function<void(qint64 done, qint64 total, const QString& what)>;

} // namespace chronoscope
