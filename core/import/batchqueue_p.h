#pragma once
// Import threading (internal to core/import): the batches the parsing thread hands to the writing one.

#include "model/event.h"
#include "util/stagetimes.h"

#include <QtGlobal>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace chronoscope::importer {

// The importer is a pipeline of two threads: the parser (reading, scanning, mapping) fills batches of
// records, the calling thread writes them to the store. Records keep file order, and issues travel
// in the same stream, so the summary lists them in file order.

struct Record
{
    enum Kind : quint8 { EventRecord, IssueRecord } kind = EventRecord;
    bool hasVersion = false;
    bool dataIsJson = true;
    bool skipped = false;     ///< issue: the event was skipped
    bool hasId = false;
    qint64 line = 0;
    qint64 version = 0;
    qint64 position = 0;      ///< the source's global position, 0 if none
    TimeMs time = kNoTime;
    // Offsets into Batch::arena.
    quint32 stream = 0, streamLen = 0, type = 0, typeLen = 0, id = 0, idLen = 0;
    size_t data = 0, dataLen = 0, meta = 0, metaLen = 0; ///< issue: data/dataLen hold the message
};

struct Batch
{
    int file = 0;             ///< index into the inputs
    qint64 rawDone = 0;       ///< input bytes read so far (for progress)
    std::string arena;
    std::vector<Record> records;
    bool last = false;        ///< no more batches
};

class BatchQueue
{
public:
    void push(std::unique_ptr<Batch> b)
    {
        std::unique_lock lock(m_mutex);
        if (m_items.size() >= kCapacity && !m_closed) {
            const double t0 = StageTimes::monotonic();
            m_notFull.wait(lock, [this] { return m_items.size() < kCapacity || m_closed; });
            pushWait += StageTimes::monotonic() - t0;
        }
        if (m_closed)
            return;
        m_items.push_back(std::move(b));
        m_notEmpty.notify_one();
    }
    std::unique_ptr<Batch> pop()
    {
        std::unique_lock lock(m_mutex);
        if (m_items.empty()) {
            const double t0 = StageTimes::monotonic();
            m_notEmpty.wait(lock, [this] { return !m_items.empty(); });
            popWait += StageTimes::monotonic() - t0;
        }
        auto b = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return b;
    }
    /// The consumer hands a written batch back for the producer to fill again: a fresh 2 MB arena each time
    /// made the kernel map and zero 350 MB of pages over a 350 MB import (docs/scale.md "Import speed").
    /// Batches that grew past kRecycleBytes (a huge event) are freed instead, so what is kept stays bounded.
    void recycle(std::unique_ptr<Batch> b)
    {
        if (!b || b->arena.capacity() > kRecycleBytes || b->records.capacity() > kRecycleRecords)
            return;
        b->arena.clear();
        b->records.clear();
        b->last = false;
        std::lock_guard lock(m_mutex);
        if (m_free.size() < kFreeCapacity)
            m_free.push_back(std::move(b));
    }
    /// An empty batch for the producer: a recycled one when there is one.
    std::unique_ptr<Batch> fresh()
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_free.empty()) {
                auto b = std::move(m_free.back());
                m_free.pop_back();
                return b;
            }
        }
        auto b = std::make_unique<Batch>();
        b->arena.reserve(kBatchBytes);
        b->records.reserve(kBatchRecords);
        return b;
    }
    size_t freeBatches()
    {
        std::lock_guard lock(m_mutex);
        return m_free.size();
    }

    /// Seconds the producer waited for room (the writer was behind) and the consumer for a batch (the parser was).
    double pushWait = 0, popWait = 0;

    /// A batch is handed over when its arena reaches this size (or kBatchRecords records).
    static constexpr size_t kBatchBytes = 2u << 20;
    static constexpr size_t kBatchRecords = 8192;
    static constexpr size_t kRecycleBytes = 4 * kBatchBytes;
    static constexpr size_t kRecycleRecords = 2 * kBatchRecords;

    /// The consumer gives up: wakes a waiting producer, drops whatever it pushes from now on.
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_items.clear();
        m_notFull.notify_all();
    }
    bool closed()
    {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }

private:
    static constexpr size_t kCapacity = 4;
    static constexpr size_t kFreeCapacity = 2;
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty;
    std::deque<std::unique_ptr<Batch>> m_items;
    std::vector<std::unique_ptr<Batch>> m_free;
    bool m_closed = false;
};

} // namespace chronoscope::importer
