#pragma once
// A compact in-memory index of the open store: for each event only (position, time, version, lane, type).
// Built once, off the GUI thread, when a store opens; afterwards painting, hit-testing, stepping and the
// event table never query the store. About 32 bytes an event (1M events: ~40 MB with the orderings).

#include "model/event.h"
#include "util/progress.h"

#include <QHash>
#include <QStringList>

#include <memory>
#include <vector>

namespace chronoscope {

class EventReader;

struct TimelineIndex
{
    struct Entry
    {
        qint64 position = 0;
        qint64 time = 0;     ///< ms since epoch; the position itself when the store keeps no time
        qint64 version = 0;
        quint32 lane = 0;    ///< index into streams
        quint32 type = 0;    ///< index into types
    };

    StoreInfo info;
    QList<StreamInfo> streamInfos;   ///< one per lane, same order as streams
    QStringList streams;             ///< lane -> stream name
    QStringList types;               ///< type id -> type name, ordered by first appearance
    std::vector<qint64> typeCounts;  ///< events per type
    bool timeKnown = true;

    std::vector<Entry> entries;                 ///< in global position order
    std::vector<quint32> byTime;                ///< entry indices ordered by (time, position)
    std::vector<std::vector<quint32>> laneRows; ///< per lane: entry indices ordered by (time, position)

    // Painting reads these contiguous copies instead of following row indices into entries: binning a
    // million events then walks memory in order rather than missing the cache on every event.
    struct LanePoint
    {
        qint64 time = 0;
        quint32 type = 0;
    };
    std::vector<qint64> sortedTimes;                ///< times in byTime order
    std::vector<std::vector<LanePoint>> lanePoints; ///< per lane, parallel to laneRows

    qint64 size() const { return qint64(entries.size()); }
    bool isEmpty() const { return entries.empty(); }
    qint64 firstTime() const;
    qint64 lastTime() const;

    int laneOf(const QString& stream) const { return m_laneByName.value(stream, -1); }
    int typeOf(const QString& type) const { return m_typeByName.value(type, -1); }
    /// Entry index of the event at exactly `position`, or -1.
    qint64 rowOfPosition(qint64 position) const;
    /// Entry index of the last event with position <= `position`, or -1 when there is none.
    qint64 rowAtOrBefore(qint64 position) const;
    /// Entry index of the last event (by time order) with time <= t, or -1.
    qint64 rowAtTime(qint64 t) const;
    /// Position into byTime of the first entry with time >= t (byTime.size() when none).
    qint64 timeLowerBound(qint64 t) const;
    /// Within a lane's time-ordered rows, the first index with time >= t.
    qint64 laneLowerBound(int lane, qint64 t) const;

    /// Builds the lane and type lookups; called by the builder (and by tests that assemble an index by hand).
    void finish();

    /// A live tail: this index plus `events` (those after the last indexed position; others are skipped),
    /// without reading the store again. The common case (known streams, times not going back) appends to
    /// every ordering; a new stream or an earlier time re-sorts the orderings in memory. Rows of the
    /// events already indexed keep their numbers, so a cursor or a selection stays valid.
    std::shared_ptr<const TimelineIndex> extended(const QList<Event>& events) const;

private:
    QHash<QString, int> m_laneByName;
    QHash<QString, int> m_typeByName;
};

/// Assembles an index from events given one at a time (position order), e.g. straight from a generator
/// without holding the events. Lanes are ordered by stream name; stream summaries are computed from the events.
class TimelineIndexBuilder
{
public:
    explicit TimelineIndexBuilder(const StoreInfo& info = {}, qint64 expectedEvents = 0);
    void add(const Event& e);
    qint64 count() const { return qint64(m_index->entries.size()); }
    std::shared_ptr<const TimelineIndex> finish();

private:
    std::shared_ptr<TimelineIndex> m_index;
    QHash<QString, int> m_typeIds;
    QHash<QString, int> m_laneIds;
    QString m_lastStream, m_lastType;
    int m_lastLane = -1, m_lastTypeId = -1;
};

/// Natural order of stream names: "order-2" before "order-10" (digit runs compare by value).
bool naturalLess(const QString& a, const QString& b);

/// The index of a store is kept in the user's cache between runs, so reopening a big store does not read
/// it again. `key` identifies the store's content (path, size, modification time); a file written for
/// another key, an older format or a damaged file is refused (nullptr, *error says why) and rebuilt.
bool saveTimelineIndex(const TimelineIndex& index, const QString& path, const QByteArray& key, QString* error);
std::shared_ptr<const TimelineIndex> loadTimelineIndex(const QString& path, const QByteArray& key, QString* error);

/// Reads the whole store once, keeping only the index fields. Runs on any thread with its own reader.
/// Returns null with *error on failure or when cancelled.
std::shared_ptr<const TimelineIndex> buildTimelineIndex(EventReader& reader, const CancelToken& cancel,
                                                        const ProgressFn& progress, QString* error);

} // namespace chronoscope
