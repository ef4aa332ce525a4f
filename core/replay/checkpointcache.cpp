#include "replay/checkpointcache.h"

namespace chronoscope {

CheckpointCache::CheckpointCache(qint64 budgetBytes, qsizetype maxEntries)
    : m_budgetBytes(budgetBytes), m_maxEntries(maxEntries)
{
}

const CachedCheckpoint* CheckpointCache::bestAtOrBefore(const QString& stream, qint64 version)
{
    return bestAtOrBefore(stream, version, {});
}

const CachedCheckpoint* CheckpointCache::bestAtOrBefore(const QString& stream, qint64 version,
                                                        const std::function<bool(const CachedCheckpoint&)>& accept)
{
    auto s = m_streams.find(stream);
    if (s == m_streams.end() || s->empty())
        return nullptr;
    auto it = s->upper_bound(version);
    while (it != s->begin()) {
        --it;
        if (!accept || accept(it->second.checkpoint)) {
            touch(it->second);
            return &it->second.checkpoint;
        }
    }
    return nullptr;
}

void CheckpointCache::removeStream(const QString& stream)
{
    auto s = m_streams.find(stream);
    if (s == m_streams.end())
        return;
    for (auto& [version, entry] : *s) {
        m_bytes -= entry.checkpoint.bytes;
        m_order.erase(entry.order);
    }
    m_streams.erase(s);
}

bool CheckpointCache::contains(const QString& stream, qint64 version) const
{
    auto s = m_streams.constFind(stream);
    return s != m_streams.constEnd() && s->count(version) > 0;
}

void CheckpointCache::touch(Entry& e)
{
    m_order.splice(m_order.begin(), m_order, e.order);
}

void CheckpointCache::insert(const QString& stream, CachedCheckpoint checkpoint)
{
    if (m_maxEntries <= 0 || checkpoint.bytes > m_budgetBytes)
        return;
    auto& map = m_streams[stream];
    auto it = map.find(checkpoint.version);
    if (it != map.end()) {
        m_bytes -= it->second.checkpoint.bytes;
        m_bytes += checkpoint.bytes;
        it->second.checkpoint = std::move(checkpoint);
        touch(it->second);
    } else {
        m_order.push_front(Key{stream, checkpoint.version});
        m_bytes += checkpoint.bytes;
        const qint64 v = checkpoint.version;
        map.emplace(v, Entry{std::move(checkpoint), m_order.begin()});
    }
    evict();
}

void CheckpointCache::evict()
{
    while (!m_order.empty() && (m_order.size() > size_t(m_maxEntries) || m_bytes > m_budgetBytes)) {
        const Key& key = m_order.back();
        auto s = m_streams.find(key.stream);
        auto it = s->find(key.version);
        m_bytes -= it->second.checkpoint.bytes;
        s->erase(it);
        if (s->empty())
            m_streams.erase(s);
        m_order.pop_back();
    }
}

void CheckpointCache::clear()
{
    m_streams.clear();
    m_order.clear();
    m_bytes = 0;
}

} // namespace chronoscope
