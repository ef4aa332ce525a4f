#pragma once
// In-memory checkpoints of the merge fold, kept by the replay engine as it folds, so that repeated
// seeks on a reader without persisted checkpoints replay at most one interval of events.
// Bounded by an entry count and by an estimate of the states' size; least recently used go first.

#include "model/event.h"

#include <QHash>
#include <QJsonValue>

#include <functional>
#include <list>
#include <map>
#include <optional>

namespace chronoscope {

struct CachedCheckpoint
{
    qint64 version = 0;
    QJsonValue state;             ///< state after every event of the stream with version <= version
    std::optional<Event> event;   ///< the last event folded into state (unknown for persisted ones)
    qint64 bytes = 0;             ///< estimated compact JSON size of state (an upper bound)
    qint64 position = 0;          ///< the largest global position folded into state
    TimeMs time = kNoTime;        ///< the largest time folded into state (kNoTime: none)
    bool timeless = false;        ///< some event folded into state had no time
};

class CheckpointCache
{
public:
    CheckpointCache(qint64 budgetBytes, qsizetype maxEntries);

    /// The checkpoint with the highest version <= version, marked as recently used. nullptr if none.
    /// The pointer stays valid until the next insert() or clear().
    const CachedCheckpoint* bestAtOrBefore(const QString& stream, qint64 version);
    /// The same, skipping checkpoints `accept` refuses (walks down from version).
    const CachedCheckpoint* bestAtOrBefore(const QString& stream, qint64 version,
                                           const std::function<bool(const CachedCheckpoint&)>& accept);
    void removeStream(const QString& stream);
    /// Inserts (or refreshes) a checkpoint and evicts the least recently used ones beyond the bounds.
    void insert(const QString& stream, CachedCheckpoint checkpoint);
    bool contains(const QString& stream, qint64 version) const;
    void clear();

    qsizetype size() const { return m_order.size(); }
    qint64 bytes() const { return m_bytes; }
    qint64 budgetBytes() const { return m_budgetBytes; }

private:
    struct Key
    {
        QString stream;
        qint64 version;
    };
    struct Entry
    {
        CachedCheckpoint checkpoint;
        std::list<Key>::iterator order;
    };
    void touch(Entry& e);
    void evict();

    qint64 m_budgetBytes;
    qsizetype m_maxEntries;
    qint64 m_bytes = 0;
    QHash<QString, std::map<qint64, Entry>> m_streams;
    std::list<Key> m_order;  ///< front: most recently used
};

} // namespace chronoscope
