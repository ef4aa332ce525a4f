#include "story/sharedscan.h"

#include "util/stagetimes.h"

#include <QSet>

#include <deque>
#include <pthread.h>

namespace chronoscope::story {

namespace {
constexpr size_t kBatch = 512;     // events handed over at a time (one lock per batch, not per event)
constexpr size_t kMaxBatches = 16; // per consumer: the scan waits when a consumer is this far behind
} // namespace

struct SharedScan::Channel
{
    QSet<QString> types; ///< empty: every type
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<Event>> batches;
    bool ended = false;              ///< the scan delivered all it will
    qint64 scannedTo = 0;            ///< with ended: every event of `types` at or before it was delivered
    std::atomic<bool> closed{false}; ///< the consumer needs no more
    std::vector<Event> pending;      ///< the scan's thread only
};

namespace {

/// The consumer's side: the shared read for its forward pass, its own reader for everything else.
class FeedReader final : public EventReader
{
public:
    FeedReader(std::shared_ptr<SharedScan::Channel> channel, std::unique_ptr<EventReader> own)
        : m_channel(std::move(channel)), m_own(std::move(own))
    {}
    ~FeedReader() override { detach(); }

    void detach()
    {
        if (m_detached) return;
        m_detached = true;
        std::lock_guard lock(m_channel->mutex);
        m_channel->closed = true;
        m_channel->batches.clear();
        m_channel->changed.notify_all();
    }

    StoreInfo info() override { return m_own->info(); }
    QList<StreamInfo> streams() override { return m_own->streams(); }
    bool forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error) override
    {
        return m_own->forEachStream(sink, error);
    }
    qint64 count(const EventQuery& query, QString* error) override { return m_own->count(query, error); }
    std::optional<Event> eventAt(qint64 position, QString* error) override
    {
        return m_own->eventAt(position, error);
    }
    std::optional<Checkpoint> checkpointBefore(const QString& projection, const QString& stream,
                                               const Point& point) override
    {
        return m_own->checkpointBefore(projection, stream, point);
    }
    std::unique_ptr<EventReader> clone(QString* error) override { return m_own->clone(error); }
    bool scanMetadata(const MetadataCallback& sink, QString* error) override
    {
        return m_own->scanMetadata(sink, error);
    }

    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override
    {
        if (!servable(q)) return m_own->read(q, sink, error);
        for (;;) {
            if (m_index >= m_batch.size()) {
                std::unique_lock lock(m_channel->mutex);
                m_channel->changed.wait(lock,
                                        [&] { return !m_channel->batches.empty() || m_channel->ended; });
                if (m_channel->batches.empty()) {
                    // Everything the scan read is delivered; what lies past it comes from the own reader (the
                    // scan stopped early or failed, or the store grew).
                    const qint64 scannedTo = m_channel->scannedTo;
                    lock.unlock();
                    if (scannedTo >= q.toPosition) return true;
                    EventQuery rest = q;
                    rest.fromPosition = std::max(q.fromPosition, scannedTo + 1);
                    return m_own->read(rest, sink, error);
                }
                m_batch = std::move(m_channel->batches.front());
                m_channel->batches.pop_front();
                m_index = 0;
                m_channel->changed.notify_all(); // room for the scan
            }
            const Event& e = m_batch[m_index];
            if (e.position < q.fromPosition) { // before this read: the consumer has gone past it
                m_low = e.position;
                ++m_index;
                continue;
            }
            if (e.position > q.toPosition) return true; // kept for the next read
            // An event the sink refuses stays at the cursor: a replay that stopped before handling it reads
            // it again from here.
            if (!sink(e)) return true;
            m_low = e.position;
            ++m_index;
        }
    }

private:
    bool servable(const EventQuery& q) const
    {
        if (m_detached || !q.stream.isEmpty() || q.backward || q.since != kNoTime || q.until != kNoTime ||
            q.limit >= 0 || q.fromVersion != 0 || q.toVersion != kNoLimit)
            return false;
        // Every event of these types after m_low is still at or after the cursor.
        if (q.fromPosition <= m_low) return false;
        const QSet<QString> types(q.types.begin(), q.types.end());
        return types == m_channel->types;
    }

    std::shared_ptr<SharedScan::Channel> m_channel;
    std::unique_ptr<EventReader> m_own;
    std::vector<Event> m_batch;
    size_t m_index = 0;
    qint64 m_low = 0; ///< every event of the channel at or before it was delivered or skipped
    bool m_detached = false;
};

class KnownInfoReader final : public EventReader
{
public:
    KnownInfoReader(EventReader* target, std::unique_ptr<EventReader> owned, StoreInfo info)
        : m_target(target), m_owned(std::move(owned)), m_info(std::move(info))
    {}
    StoreInfo info() override { return m_info; }
    QList<StreamInfo> streams() override { return m_target->streams(); }
    bool forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error) override
    {
        return m_target->forEachStream(sink, error);
    }
    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override
    {
        return m_target->read(q, sink, error);
    }
    qint64 count(const EventQuery& query, QString* error) override { return m_target->count(query, error); }
    std::optional<Event> eventAt(qint64 position, QString* error) override
    {
        return m_target->eventAt(position, error);
    }
    std::optional<Checkpoint> checkpointBefore(const QString& projection, const QString& stream,
                                               const Point& point) override
    {
        return m_target->checkpointBefore(projection, stream, point);
    }
    std::unique_ptr<EventReader> clone(QString* error) override { return m_target->clone(error); }
    bool scanMetadata(const MetadataCallback& sink, QString* error) override
    {
        return m_target->scanMetadata(sink, error);
    }

private:
    EventReader* m_target;
    std::unique_ptr<EventReader> m_owned;
    StoreInfo m_info;
};

} // namespace

std::unique_ptr<EventReader> withKnownInfo(std::unique_ptr<EventReader> reader, const StoreInfo& info)
{
    EventReader* target = reader.get();
    return std::make_unique<KnownInfoReader>(target, std::move(reader), info);
}

std::unique_ptr<EventReader> withKnownInfo(EventReader& reader, const StoreInfo& info)
{
    return std::make_unique<KnownInfoReader>(&reader, nullptr, info);
}

SharedScan::SharedScan(std::unique_ptr<EventReader> reader, int consumers)
    : m_reader(std::move(reader)), m_pending(consumers)
{
    m_thread = std::thread([this] { run(); });
}

SharedScan::~SharedScan()
{
    finish();
}

void SharedScan::finish()
{
    std::lock_guard finishing(m_finishing);
    if (!m_thread.joinable()) return;
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_ready.notify_all();
    }
    for (const auto& c : m_channels) {
        std::lock_guard lock(c->mutex);
        c->closed = true;
        c->changed.notify_all();
    }
    m_thread.join();
}

std::unique_ptr<EventReader> SharedScan::attach(const QStringList& types, std::unique_ptr<EventReader> own)
{
    auto channel = std::make_shared<Channel>();
    channel->types = QSet<QString>(types.begin(), types.end());
    channel->pending.reserve(kBatch);
    {
        std::lock_guard lock(m_mutex);
        m_channels.push_back(channel);
        --m_pending;
        m_ready.notify_all();
    }
    return std::make_unique<FeedReader>(std::move(channel), std::move(own));
}

void SharedScan::decline()
{
    std::lock_guard lock(m_mutex);
    --m_pending;
    m_ready.notify_all();
}

void SharedScan::detach(EventReader* attached)
{
    if (auto* feed = dynamic_cast<FeedReader*>(attached)) feed->detach();
}

void SharedScan::run()
{
    pthread_setname_np(pthread_self(), "story-scan");
    {
        std::unique_lock lock(m_mutex);
        m_ready.wait(lock, [&] { return m_pending <= 0 || m_stop; });
        if (m_stop || m_channels.empty()) {
            lock.unlock();
            for (const auto& c : m_channels) {
                std::lock_guard cl(c->mutex);
                c->ended = true;
                c->changed.notify_all();
            }
            return;
        }
    }
    // The union of what the consumers read: one type list, or every type when one of them reads all.
    QStringList types;
    bool everyType = false;
    for (const auto& c : m_channels) {
        if (c->types.isEmpty()) everyType = true;
        for (const QString& t : std::as_const(c->types))
            if (!types.contains(t)) types << t;
    }
    EventQuery q;
    if (!everyType) q.types = types;

    // Hands a channel its pending batch, waiting while it is full; false when the consumer left.
    auto flush = [&](Channel& c) {
        std::unique_lock lock(c.mutex);
        c.changed.wait(lock, [&] { return c.batches.size() < kMaxBatches || c.closed; });
        if (c.closed) {
            c.pending.clear();
            return false;
        }
        c.batches.push_back(std::move(c.pending));
        c.pending = {};
        c.pending.reserve(kBatch);
        c.changed.notify_all();
        return true;
    };
    qint64 last = 0;
    QString error;
    m_reader->read(
        q,
        [&](const Event& e) {
            int open = 0;
            for (const auto& c : m_channels) {
                if (c->closed.load(std::memory_order_relaxed)) continue;
                ++open;
                if (!c->types.isEmpty() && !c->types.contains(e.type)) continue;
                c->pending.push_back(e);
                if (c->pending.size() >= kBatch) flush(*c);
            }
            last = e.position;
            m_eventsRead.fetch_add(1, std::memory_order_relaxed);
            return open > 0;
        },
        &error);
    // Whether the read ended, failed or was stopped, every event up to `last` was handed over; a consumer
    // reads anything after it itself (and meets the same error, if any, on its own reader).
    m_reader.reset();
    for (const auto& c : m_channels) {
        std::lock_guard lock(c->mutex);
        if (!c->closed && !c->pending.empty()) c->batches.push_back(std::move(c->pending));
        c->pending = {};
        c->ended = true;
        c->scannedTo = last;
        c->changed.notify_all();
    }
    m_cpuMs = StageTimes::threadCpu() * 1e3;
}

} // namespace chronoscope::story
