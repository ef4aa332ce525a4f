#pragma once
// A compact in-memory index of the open store: for each event only (position, time, version, lane, type).
// Built once, off the GUI thread, when a store opens; afterwards painting, hit-testing, stepping and the
// event table never query the store. About 32 bytes an event (1M events: ~40 MB with the orderings).
// A live tail appends to it in place (append()), so a refresh costs what it adds, not what is indexed.

#include "chunkedlist.h"
#include "model/event.h"
#include "util/progress.h"

#include <QHash>
#include <QStringList>

#include <array>
#include <cstddef>
#include <iterator>
#include <memory>
#include <vector>

namespace chronoscope {

class EventReader;

/// An append-only array kept in fixed-size chunks: growing it never moves (or copies) what it holds, so
/// appending to a million-entry array costs the same as appending to an empty one, and references to
/// existing elements stay valid. Random access is a shift and a mask.
template<typename T, int Shift = 16>
class ChunkedArray
{
public:
    static constexpr size_t kChunk = size_t(1) << Shift;

    ChunkedArray() = default;
    ChunkedArray(const ChunkedArray& other) : m_size(other.m_size)
    {
        // Each copied chunk gets its full capacity, so appending to the copy never moves it either.
        m_chunks.reserve(other.m_chunks.size());
        for (const auto& chunk : other.m_chunks) {
            m_chunks.emplace_back();
            m_chunks.back().reserve(kChunk);
            m_chunks.back().insert(m_chunks.back().end(), chunk.begin(), chunk.end());
        }
    }
    ChunkedArray(ChunkedArray&&) noexcept = default;
    ChunkedArray& operator=(const ChunkedArray& other)
    {
        if (this != &other) {
            ChunkedArray copy(other);
            *this = std::move(copy);
        }
        return *this;
    }
    ChunkedArray& operator=(ChunkedArray&&) noexcept = default;

    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    const T& operator[](size_t i) const { return m_chunks[i >> Shift][i & (kChunk - 1)]; }
    T& operator[](size_t i) { return m_chunks[i >> Shift][i & (kChunk - 1)]; }
    const T& front() const { return (*this)[0]; }
    const T& back() const { return (*this)[m_size - 1]; }
    void push_back(const T& v)
    {
        if ((m_size >> Shift) == m_chunks.size()) {
            m_chunks.emplace_back();
            m_chunks.back().reserve(kChunk);  // filled in place: the chunk never reallocates
        }
        m_chunks[m_size >> Shift].push_back(v);
        ++m_size;
    }
    void clear()
    {
        m_chunks.clear();
        m_size = 0;
    }
    void assign(const std::vector<T>& from)
    {
        clear();
        for (const T& v : from)
            push_back(v);
    }
    /// The storage, chunk by chunk (for writing it out).
    const std::vector<std::vector<T>>& chunks() const { return m_chunks; }
    /// Where element 0 lives (tests: appending never moves it).
    const T* firstAddress() const { return m_size ? &m_chunks[0][0] : nullptr; }

    class const_iterator
    {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;
        const_iterator() = default;
        const_iterator(const ChunkedArray* a, size_t i) : m_a(a), m_i(i) {}
        reference operator*() const { return (*m_a)[m_i]; }
        pointer operator->() const { return &(*m_a)[m_i]; }
        reference operator[](difference_type n) const { return (*m_a)[size_t(difference_type(m_i) + n)]; }
        const_iterator& operator++() { ++m_i; return *this; }
        const_iterator operator++(int) { auto t = *this; ++m_i; return t; }
        const_iterator& operator--() { --m_i; return *this; }
        const_iterator operator--(int) { auto t = *this; --m_i; return t; }
        const_iterator& operator+=(difference_type n) { m_i = size_t(difference_type(m_i) + n); return *this; }
        const_iterator& operator-=(difference_type n) { m_i = size_t(difference_type(m_i) - n); return *this; }
        friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
        friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
        friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
        friend difference_type operator-(const const_iterator& a, const const_iterator& b)
        {
            return difference_type(a.m_i) - difference_type(b.m_i);
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.m_i == b.m_i; }
        friend bool operator!=(const const_iterator& a, const const_iterator& b) { return a.m_i != b.m_i; }
        friend bool operator<(const const_iterator& a, const const_iterator& b) { return a.m_i < b.m_i; }
        friend bool operator>(const const_iterator& a, const const_iterator& b) { return a.m_i > b.m_i; }
        friend bool operator<=(const const_iterator& a, const const_iterator& b) { return a.m_i <= b.m_i; }
        friend bool operator>=(const const_iterator& a, const const_iterator& b) { return a.m_i >= b.m_i; }

    private:
        const ChunkedArray* m_a = nullptr;
        size_t m_i = 0;
    };
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, m_size}; }

private:
    std::vector<std::vector<T>> m_chunks;
    size_t m_size = 0;
};

/// What TimelineIndex::append() changed, for views that update instead of starting over.
struct TimelineAppend
{
    qint64 rowsBefore = 0;       ///< entries [rowsBefore, size()) are new
    int lanesBefore = 0;
    int typesBefore = 0;
    qint64 firstTimeBefore = 0;  ///< firstTime()/lastTime() before (0 when it was empty)
    qint64 lastTimeBefore = 0;
    bool wasEmpty = true;
    /// The first slot of byTime (and sortedTimes) that changed: rowsBefore when every new event came
    /// after the others in time, smaller when a time went back and rows were inserted.
    qint64 firstTimeSlotChanged = 0;
    QList<int> newLanes;         ///< lanes of streams seen for the first time (ascending: they come after the others)
    QList<int> changedLanes;     ///< lanes with new events, new ones included (ascending)
    bool known = false;          ///< false: a default value, nothing is known about the change (views start over)

    bool isEmpty() const { return known && newLanes.isEmpty() && changedLanes.isEmpty(); }
};

struct TimelineIndex
{
    struct Entry
    {
        qint64 position = 0;
        qint64 time = 0;     ///< ms since epoch; the position itself when the store keeps no time
        qint64 version = 0;
        quint32 lane = 0;    ///< index into streams (a stream's lane number never changes)
        quint32 type = 0;    ///< index into types
    };

    StoreInfo info;
    /// One per lane, same order as streams. A std::vector: growing it moves the names (a QList would copy
    /// every StreamInfo, 200k of them in a big store, in one go on the GUI thread).
    std::vector<StreamInfo> streamInfos;
    /// lane -> stream name, lanes numbered in order of first appearance: a stream keeps its number when
    /// others arrive, so a live tail never renumbers what is indexed or shown.
    QStringList streams;
    /// Every lane once, in natural name order (order-2 before order-10): the display order. Chunked, so a
    /// live tail's new stream goes in at its place without moving every lane after it.
    ChunkedList<quint32> laneOrder;
    QStringList types;               ///< type id -> type name, ordered by first appearance
    std::vector<qint64> typeCounts;  ///< events per type
    bool timeKnown = true;

    ChunkedArray<Entry> entries;                ///< in global position order; appending never moves them
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
    /// Bumped by every append(): views holding this index can tell it grew.
    quint64 generation = 0;

    int laneOf(const QString& stream) const { return m_laneByName[shardOf(stream)].value(stream, -1); }
    /// The lane of the event in entries[row].
    int laneOfRow(qint64 row) const { return int(entries[size_t(row)].lane); }
    /// Where a lane is in laneOrder (its row when every lane is shown). O(1) from a cache; after new streams
    /// (append()) the first calls search laneOrder by name (O(log streams): a paint asking for a few lanes
    /// costs no O(streams) rebuild per refresh of a live tail); many lookups (a sort) rebuild the cache once.
    int rankOfLane(int lane) const;
    /// Sorts lanes into display (natural name) order.
    void sortLanes(QList<int>& lanes) const;
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

    /// Builds the stream and type lookups and reserves room ahead (reserveAhead()); called by the builder and
    /// the cache loader, off the GUI thread (and by tests that assemble an index by hand).
    void finish();

    /// Room for a live tail to grow into without reallocating: the per-row arrays (byTime, sortedTimes) get
    /// capacity for as many events again as indexed (at least kRowsAhead more), the per-lane ones (streams,
    /// streamInfos, laneRows, lanePoints) for as many streams again (at least kLanesAhead more). Without it
    /// they sit at capacity == size after a build, and the first new event or stream of a live tail doubles
    /// them on the GUI thread: at 1M events and 200,000 streams ~40 MB copied and faulted in (200,000 names
    /// moved) in one refresh. Reserved pages are only address space until written. Once a tail has used
    /// the room up the arrays double as usual (a copy, O(indexed), once per as many events again).
    /// Copies of the index do not keep the room (a vector copy has capacity == size): grow the index as
    /// built, or call this again off the GUI thread.
    void reserveAhead();
    static constexpr size_t kRowsAhead = size_t(1) << 20;
    static constexpr size_t kLanesAhead = size_t(1) << 16;

    /// A live tail, in place: adds `events` (those after the last indexed position; others are skipped)
    /// without reading the store again and without copying what is indexed. Every ordering is appended
    /// to; a time that goes back inserts its row at its place in byTime and in its lane; a new stream
    /// gets the next lane number and its place in laneOrder (no other lane or entry changes).
    /// Rows of the events already indexed keep their numbers, so a cursor or a selection stays valid.
    /// Cost: O(events); a new stream adds an insertion into laneOrder (a search and at most one chunk of
    /// ChunkedList moved), a time going back the insertion into byTime and sortedTimes (a memmove of 12 bytes
    /// per event).
    /// Not thread-safe: one thread (the GUI's) appends and reads.
    TimelineAppend append(const QList<Event>& events);
    /// A copy with `events` appended (tests; the live tail appends in place).
    std::shared_ptr<const TimelineIndex> extended(const QList<Event>& events) const;

private:
    friend class TimelineIndexBuilder;
    friend std::shared_ptr<const TimelineIndex> loadTimelineIndex(const QString&, const QByteArray&, QString*);
    /// finish() with the display order given (a cached index's, already checked) instead of sorted.
    void finish(std::vector<quint32>* order);
    // Stream name -> lane, in 64 hashes by the name's hash: when one fills up and rehashes it moves 1/64 of
    // the names, so a live tail crossing 131,072 streams does not stall the window on one big rehash.
    static constexpr int kShards = 64;
    static size_t shardOf(const QString& name) { return qHash(name) & (kShards - 1); }
    std::array<QHash<QString, int>, kShards> m_laneByName;
    QHash<QString, int> m_typeByName;
    int searchRank(int lane) const;
    void rebuildRankCache() const;
    static constexpr int kStaleRankLookups = 64; ///< lookups searched by name before the cache is rebuilt
    mutable std::vector<int> m_rankCache;  ///< lane -> rank in laneOrder, valid while its size is laneOrder's
    mutable int m_staleRankLookups = 0;    ///< lookups since laneOrder grew (the cache is stale)
};

/// Assembles an index from events given one at a time (position order), e.g. straight from a generator
/// without holding the events. Lanes are ordered by stream name; stream summaries are computed from the events.
class TimelineIndexBuilder
{
public:
    explicit TimelineIndexBuilder(const StoreInfo& info = {}, qint64 expectedEvents = 0);
    void add(const Event& e);
    qint64 count() const { return qint64(m_entries.size()); }
    std::shared_ptr<const TimelineIndex> finish();

private:
    std::shared_ptr<TimelineIndex> m_index;
    std::vector<TimelineIndex::Entry> m_entries;  ///< moved into the index's chunks by finish()
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
