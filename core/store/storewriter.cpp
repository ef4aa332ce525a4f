#include "store/storewriter.h"

#include "json/jsontext.h"
#include "json/mergepatch.h"
#include "store/sqlitedb.h"
#include "store/storeschema.h"
#include "util/stagetimes.h"
#include "util/uri.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QJsonValue>
#include <QScopeGuard>

#include <sqlite3.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <tuple>
#include <algorithm>
#include <array>
#include <vector>

namespace chronoscope {

namespace {

constexpr qint64 kMaxInt64 = std::numeric_limits<qint64>::max();
// Bulk loads commit this often: the file is a .partial nobody reads, so the only point is to keep
// the set of dirty pages SQLite holds in memory bounded.
constexpr qint64 kBulkCommitEvery = 250000;
// SQLite's page cache of an append (two indexes updated per event: their B-trees stay in memory) and during an
// index build (the sorter's runs are the cache's size: 1 MB runs stay in the CPU's cache, docs/store.md
// "Writing"). A new store's is StoreWriter::kPageCacheBytes.
constexpr qint64 kAppendCacheKib = 65536;
constexpr qint64 kSortRunKib = 1024;
/// Stream caches up to this size are reserved whole at the first stream (larger ones, set by tests, grow).
constexpr qint64 kReserveStreamsUpTo = 1 << 20;

// The copied rows are many small blocks of the C heap: freed, they stay resident in it (and the heap only grows
// from there: `demo --events 50000000` peaked 15 MB higher with 32 MB of copied rows than with 16). Giving the freed
// pages back to the system keeps what a big load no longer holds out of its peak.
void giveBackFreedMemory()
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

// Rows of three integers into a table, `rowsPerStatement` to a multi-row INSERT and the last few one a statement: into
// an empty table in key order, multi-row INSERTs are about twice as fast as one row a statement (the timeline
// summary's full write, the (stream, version) index from the load's log).
class IntTripleInserter
{
public:
    /// `oneRow`: "INSERT INTO t(a, b, c) VALUES(?,?,?)".
    IntTripleInserter(sqlite3* db, const QByteArray& oneRow, int rowsPerStatement) : m_rows(size_t(rowsPerStatement))
    {
        QByteArray sql = oneRow;
        for (size_t i = 1; i < m_rows; ++i)
            sql += ",(?,?,?)";
        m_many.prepare(db, sql);
        m_one.prepare(db, oneRow);
        m_pending.reserve(3 * m_rows);
    }
    bool ok() const { return m_many.ok() && m_one.ok(); }
    /// False once a statement failed (rc() says how); later rows are dropped.
    bool add(qint64 a, qint64 b, qint64 c)
    {
        if (m_rc != SQLITE_DONE)
            return false;
        m_pending.insert(m_pending.end(), {a, b, c});
        if (m_pending.size() == 3 * m_rows) {
            run(m_many, 0, m_rows);
            m_pending.clear();
        }
        return m_rc == SQLITE_DONE;
    }
    /// Writes the rows left, one a statement.
    bool finish()
    {
        for (size_t i = 0; i < m_pending.size() && m_rc == SQLITE_DONE; i += 3)
            run(m_one, i, 1);
        m_pending.clear();
        return m_rc == SQLITE_DONE;
    }
    int rc() const { return m_rc; }

private:
    void run(SqlStatement& st, size_t from, size_t rows)
    {
        for (size_t k = 0; k < 3 * rows; ++k)
            sqlite3_bind_int64(st.handle(), int(k + 1), m_pending[from + k]);
        m_rc = sqlite3_step(st.handle());
        sqlite3_reset(st.handle());
    }
    size_t m_rows;
    SqlStatement m_many, m_one;
    std::vector<qint64> m_pending;
    int m_rc = SQLITE_DONE;
};

// PRAGMA cache_size in KiB. SQLite turns KiB into pages when the pragma runs, so on a new file it must come
// after page_size (before it, 16 MB became 64 MB with 16 KB pages).
bool setCacheKib(sqlite3* db, qint64 kib, QString* error)
{
    return store::exec(db, QByteArray("PRAGMA cache_size=-" + QByteArray::number(kib)).constData(), error);
}

// One stream's "merge" checkpoint fold (docs/store.md "Checkpoints"): the events in version order, each event's data
// merge-patched into the state, a checkpoint after every `every`-th event carrying the largest position and time so
// far. One definition for both ways finish() folds (on the writer's connection, or on a second thread from the rows
// read before the index build), so both write the same bytes.
struct MergeFold
{
    QJsonValue state = QJsonObject();
    qint64 ordinal = 0;
    qint64 maxPosition = 0;
    TimeMs maxTime = kNoTime;

    /// Folds one event; true when a checkpoint falls on it. `data` null (SQL NULL or empty) folds as JSON null.
    bool add(qint64 position, TimeMs time, const char* data, int bytes, int every)
    {
        maxPosition = std::max(maxPosition, position);
        if (time != kNoTime && (maxTime == kNoTime || time > maxTime))
            maxTime = time;
        const QByteArray text = data ? QByteArray(data, bytes) : QByteArray("null");
        applyMergePatch(state, parseJsonValue(text));
        return ++ordinal % every == 0;
    }
};

struct FoldedCheckpoint
{
    qint64 version = 0;
    qint64 position = 0;
    TimeMs time = kNoTime;
    QByteArray state;
};

// Bulk create: the long streams' events read back before the (stream, version) index is built, folded on a second
// thread while that index sorts on the writer's (finish(); docs/store.md "Writing").
struct FoldJob
{
    struct Row
    {
        qint64 version = 0;
        qint64 position = 0;
        TimeMs time = kNoTime;
        bool null = false;      ///< SQL NULL or empty data (sqlite3_column_blob's null pointer)
        QByteArray data;
        qint64 cost() const { return qint64(sizeof(Row)) + data.size(); }  ///< against the read limit
    };
    int every = 1000;
    std::unordered_map<qint64, std::vector<Row>> rows;          ///< per stream id, in position order
    std::unordered_map<qint64, std::vector<FoldedCheckpoint>> done;

    void run()
    {
        for (auto& [stream, list] : rows) {
            // The fold's order is the versions' (the old path's ORDER BY version); versions are unique per stream.
            std::sort(list.begin(), list.end(), [](const Row& a, const Row& b) { return a.version < b.version; });
            MergeFold fold;
            std::vector<FoldedCheckpoint>& out = done[stream];
            for (Row& r : list) {
                if (fold.add(r.position, r.time, r.null ? nullptr : r.data.constData(), int(r.data.size()), every))
                    out.push_back({r.version, fold.maxPosition, fold.maxTime, toJsonText(fold.state)});
                r.data = QByteArray();
            }
            list = {};
        }
    }
};

struct StringHash
{
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using NameIndex = std::unordered_map<std::string, qint64, StringHash, std::equal_to<>>;

inline quint64 hashName(std::string_view s)
{
    // Eight bytes a step (the tail zero-padded, the length mixed in), then a final mix so the low bits (the slot)
    // depend on every byte. A bulk load hashes every event's stream name three times (two prefetch hints and the
    // lookup), so a byte at a time (FNV-1a, before) was a long chain of multiplications per event.
    constexpr quint64 kMul = 0x9e3779b97f4a7c15ULL;
    quint64 h = 0x243f6a8885a308d3ULL ^ (quint64(s.size()) * kMul);
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
        quint64 w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * kMul;
        h ^= h >> 32;
    }
    if (n > 0) {
        quint64 w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ w) * kMul;
        h ^= h >> 32;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 32);
}

// Stream name -> index, open addressing. A bulk load looks a stream up for every event, and with
// tens of thousands of streams a node-based map costs several cache misses per lookup; here it is
// one probe into a flat array (the stored hash filters out almost every wrong slot) plus the
// stream's own state, which the append touches anyway.
class StreamTable
{
public:
    template<typename NameOf>
    qint64 find(std::string_view name, quint64 h, const NameOf& nameOf) const
    {
        if (m_slots.empty())
            return -1;
        for (size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            const Slot& s = m_slots[i];
            if (s.index < 0)
                return -1;
            if (s.hash == h && nameOf(s.index) == name)
                return s.index;
        }
    }
    /// A hint before find(): brings the first slot of h into the cache. stage 1 (a few events before the
    /// append): the slot is likely cached by then, so the index it holds is returned (or -1) for the caller to
    /// prefetch that stream's state; it may be another stream's (a collision), which costs only a wasted prefetch.
    qint64 prefetch(quint64 h, bool stage1) const
    {
        if (m_slots.empty())
            return -1;
        const Slot& s = m_slots[h & m_mask];
        if (!stage1) {
            __builtin_prefetch(&s);
            return -1;
        }
        return s.hash == h ? s.index : -1;
    }
    void insert(quint64 h, qint64 index)
    {
        if ((m_count + 1) * 2 > m_slots.size())
            grow();
        place(h, index);
        ++m_count;
    }
    void clear()
    {
        m_slots.clear();
        m_mask = 0;
        m_count = 0;
    }
    size_t capacity() const { return m_slots.size(); }

private:
    struct Slot
    {
        quint64 hash = 0;
        qint64 index = -1;
    };
    void place(quint64 h, qint64 index)
    {
        for (size_t i = h & m_mask;; i = (i + 1) & m_mask)
            if (m_slots[i].index < 0) {
                m_slots[i] = {h, index};
                return;
            }
    }
    void grow()
    {
        std::vector<Slot> old = std::move(m_slots);
        m_slots.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
        m_mask = m_slots.size() - 1;
        for (const Slot& s : old)
            if (s.index >= 0)
                place(s.hash, s.index);
    }
    std::vector<Slot> m_slots;
    size_t m_mask = 0;
    size_t m_count = 0;
};

struct StreamState
{
    qint64 id = 0;
    std::string name;
    qint64 events = 0;
    qint64 firstVersion = 0;
    qint64 lastVersion = 0;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    TimeMs firstTime = kNoTime;
    TimeMs lastTime = kNoTime;
    // While versions are exactly firstVersion..lastVersion, a duplicate check is a range check;
    // once a stream has gaps or goes backwards, its versions are kept in a set (bulk mode or suspended indexes,
    // where the unique index does not exist yet).
    std::unique_ptr<std::unordered_set<qint64>> versions;
    qint64 lastUse = 0;                 ///< the writer's event ordinal when last appended to (cache eviction)
    qint64 minNewVersion = 0;           ///< smallest version appended in this session (checkpoint invalidation)
    bool contiguous = true;
    bool dirty = false;
    bool stored = false;                ///< the streams table has its row (its summary is an UPDATE, not an INSERT)
    bool touched = false;               ///< appended to in this session (checkpoints to redo)
};
// The flags together at the end: 128 B, not 144, for each of the 262,144 cached states.
static_assert(sizeof(StreamState) <= 128);

// The write-time timeline summary (docs/store.md "Timeline summary"): events per (bin, type) where
// bin = value >> shift, value = the time (ms) or, while no event has a time, the position. The width
// (1 << shift) is the smallest power of two that keeps maxBin - minBin < kTimelineMaxBins: when a value falls
// outside, the width doubles (pairs of bins merge) until it fits. A flat open-addressing table of 16-byte cells
// (bin relative to an origin bin, type id, count), at most 3/4 full: at most 65,536 x types cells, 16 MB for
// the 637k cells of a 2M-event demo store, where a node-based map would take three times that.
class TimelineBins
{
public:
    static constexpr qint64 kMaxBins = store::kTimelineMaxBins;

    /// False when the summary cannot be kept (a type id beyond 32 bits in a crafted file): nothing is written.
    bool valid = true;
    bool timeAxis = false;
    int shift = 0;
    qint64 untimedEvents = 0;   ///< events without a time (all of them while !timeAxis)
    qint64 lastPosition = 0;
    bool rebinned = false;      ///< the width or axis changed since the last write: rewrite the whole table

    void add(qint64 position, TimeMs time, qint64 type)
    {
        if (position > lastPosition)
            lastPosition = position;
        if (time == kNoTime) {
            ++untimedEvents;
            if (timeAxis)
                return;
            count(position, type);
            return;
        }
        if (!timeAxis) {
            // The first event with a time: the axis becomes time; the events so far are untimed ones.
            timeAxis = true;
            clear();
            rebinned = true;
        }
        count(time, type);
    }

    qint64 width() const { return qint64(1) << shift; }
    qint64 cellCount() const { return qint64(m_count); }
    qint64 counted()
    {
        settle();
        qint64 n = 0;
        for (const Cell& c : m_cells)
            if (c.key != kEmpty)
                n += c.events & kCountMask;
        return n;
    }
    /// Counted events (table sum + untimed); the table sum is what a reader adds up.
    qint64 total() { return (timeAxis ? untimedEvents : 0) + counted(); }

    /// Visits (bin, type, events, stored) in (bin, type) order; onlyDirty: only the cells changed since
    /// clearDirty() (found from their list, not by a scan of the table). stored: the table has the cell's row
    /// (written or loaded before), so a change is an UPDATE, not an INSERT.
    template<typename Fn>
    void forEach(bool onlyDirty, const Fn& fn)
    {
        settle();
        if (onlyDirty && !rebinned) {
            std::vector<quint64> keys = m_dirtyKeys;
            std::sort(keys.begin(), keys.end());
            for (quint64 key : keys) {
                const Cell& c = *find(key);
                fn(binOf(key), qint64(key & 0xffffffffULL), qint64(c.events & kCountMask), (c.events & kStored) != 0);
            }
            return;
        }
        std::vector<std::pair<quint64, size_t>> keys;
        keys.reserve(m_count);
        for (size_t i = 0; i < m_cells.size(); ++i)
            if (m_cells[i].key != kEmpty && (!onlyDirty || (m_cells[i].events & kDirty)))
                keys.emplace_back(m_cells[i].key, i);
        std::sort(keys.begin(), keys.end());
        for (const auto& [key, i] : keys)
            fn(binOf(key), qint64(key & 0xffffffffULL), qint64(m_cells[i].events & kCountMask),
               (m_cells[i].events & kStored) != 0);
    }
    /// After a successful write (all: a whole one, or the rows just loaded): every cell has its row in the table
    /// and none is changed.
    void clearDirty(bool all)
    {
        settle();
        if (all || rebinned) {
            for (Cell& c : m_cells)
                c.events = (c.events & kCountMask) | kStored;
        } else {
            for (quint64 key : m_dirtyKeys) {
                Cell& c = *find(key);
                c.events = (c.events & kCountMask) | kStored;
            }
        }
        m_dirtyKeys.clear();
        rebinned = false;
    }
    /// Cells changed since the last write.
    qint64 dirtyCells() const { return qint64(m_dirtyKeys.size()); }
    /// Loads one stored row (append to a store whose summary is current).
    void load(qint64 bin, qint64 type, qint64 events)
    {
        if (!valid || type < 0 || type > 0xffffffffLL || events < 0 || quint64(events) > kCountMask) {
            valid = false;
            return;
        }
        if (m_any) {
            const qint64 lo = std::min(bin, m_minBin), hi = std::max(bin, m_maxBin);
            if (quint64(hi) - quint64(lo) >= quint64(kMaxBins)) {
                valid = false;  // wider than the contract allows: not a summary this writer wrote
                return;
            }
        }
        Cell& c = cellFor(bin, type);
        c.events = (c.events & kCountMask) + quint64(events);
    }
    void clear()
    {
        m_cells.clear();
        m_mask = 0;
        m_count = 0;
        m_any = false;
        for (int t : m_curTypes)
            m_cur[size_t(t)] = 0;
        m_curTypes.clear();
        m_curValid = false;
        m_pending.clear();
        m_dirtyKeys.clear();
    }

private:
    struct Cell
    {
        quint64 key = kEmpty;  ///< (bin - origin + 2^20) << 32 | type
        quint64 events = 0;    ///< count; the top bit marks a cell changed since the last write, the next one a
                               ///< cell whose row the table has (flags above the count: adding to it keeps them)
    };
    static constexpr quint64 kEmpty = ~quint64(0);
    static constexpr quint64 kDirty = quint64(1) << 63;
    static constexpr quint64 kStored = quint64(1) << 62;
    static constexpr quint64 kCountMask = kStored - 1;
    static constexpr qint64 kBias = qint64(1) << 20;  // bins lie within kMaxBins of the origin

    qint64 binOf(quint64 key) const { return m_origin + (qint64(key >> 32) - kBias); }
    quint64 keyOf(qint64 bin, qint64 type) const { return (quint64(bin - m_origin + kBias) << 32) | quint64(type); }
    static size_t slotOf(quint64 key)
    {
        key ^= key >> 29;
        key *= 0xbf58476d1ce4e5b9ULL;
        return size_t(key ^ (key >> 32));
    }

    void count(qint64 value, qint64 type)
    {
        if (!valid)
            return;
        if (type < 0 || type > 0xffffffffLL) {
            valid = false;
            return;
        }
        const qint64 bin = value >> shift;  // arithmetic: floor for negative times too
        if (!m_any) {
            m_any = true;
            m_origin = m_minBin = m_maxBin = bin;
        } else if (bin < m_minBin || bin > m_maxBin) {
            qint64 lo = std::min(bin, m_minBin), hi = std::max(bin, m_maxBin);
            int more = 0;
            // Unsigned difference: exact even when the span is wider than qint64 (times far apart).
            while (quint64(hi) - quint64(lo) >= quint64(kMaxBins)) {
                lo >>= 1;
                hi >>= 1;
                ++more;
            }
            if (more > 0)
                widen(more);
            m_minBin = std::min(m_minBin, value >> shift);
            m_maxBin = std::max(m_maxBin, value >> shift);
        }
        const qint64 b = value >> shift;
        if (type < kDense) {
            // Events come mostly in time order: counting the current bin in a small array and moving it into the
            // table when the bin changes saves a random access into the table for most events.
            if (!m_curValid || b != m_curBin) {
                flushCurrent();
                m_curBin = b;
                m_curValid = true;
            }
            if (m_cur[size_t(type)]++ == 0)
                m_curTypes.push_back(int(type));
            return;
        }
        bump(cellFor(b, type), 1);
    }

    /// Adds to a cell's count and marks it changed; its key joins the list of changed cells (not needed while the
    /// next write rewrites the whole table).
    void bump(Cell& c, quint64 n)
    {
        if (!(c.events & kDirty)) {
            c.events |= kDirty;
            if (!rebinned)
                m_dirtyKeys.push_back(c.key);
        }
        c.events += n;
    }

    void flushCurrent()
    {
        if (!m_curValid)
            return;
        for (int t : m_curTypes) {
            m_pending.push_back({m_curBin, t, m_cur[size_t(t)]});
            m_cur[size_t(t)] = 0;
        }
        m_curTypes.clear();
        m_curValid = false;
        if (m_pending.size() >= kPendingBatch)
            applyPending();
    }

    /// The current bin and the pending counts into the table (before anything reads the table or rebins).
    void settle()
    {
        flushCurrent();
        applyPending();
    }

    // The cells of successive bins lie anywhere in the table (up to 8 MB at 350k cells): one cache miss each. Counts
    // of finished bins wait here and are added kPendingBatch at a time, their slots prefetched first, so the misses
    // overlap instead of stalling one after the other (measured on the 1M-event import, docs/scale.md "Import speed").
    void applyPending()
    {
        if (m_pending.empty())
            return;
        if ((m_count + m_pending.size()) * 4 > m_cells.size() * 3)
            grow();  // before the prefetches, so they point into the table the adds use
        for (const Pending& p : m_pending)
            __builtin_prefetch(&m_cells[slotOf(keyOf(p.bin, p.type)) & m_mask], 1);
        for (const Pending& p : m_pending) {
            bump(cellFor(p.bin, p.type), quint64(p.events));
        }
        m_pending.clear();
    }

    const Cell* find(quint64 key) const
    {
        for (size_t i = slotOf(key) & m_mask;; i = (i + 1) & m_mask) {
            const Cell& c = m_cells[i];
            if (c.key == key || c.key == kEmpty)
                return &c;
        }
    }
    Cell* find(quint64 key) { return const_cast<Cell*>(std::as_const(*this).find(key)); }

    Cell& cellFor(qint64 bin, qint64 type)
    {
        if (!m_any) {
            m_any = true;
            m_origin = m_minBin = m_maxBin = bin;
        } else {
            m_minBin = std::min(m_minBin, bin);
            m_maxBin = std::max(m_maxBin, bin);
        }
        if ((m_count + 1) * 4 > m_cells.size() * 3)  // at most 3/4 full: 16 B a slot, ~21 B a cell
            grow();
        const quint64 key = keyOf(bin, type);
        for (size_t i = slotOf(key) & m_mask;; i = (i + 1) & m_mask) {
            Cell& c = m_cells[i];
            if (c.key == key)
                return c;
            if (c.key == kEmpty) {
                c.key = key;
                c.events = 0;
                ++m_count;
                return c;
            }
        }
    }

    void grow()
    {
        std::vector<Cell> old = std::move(m_cells);
        m_cells.assign(old.empty() ? 256 : old.size() * 2, Cell{});
        m_mask = m_cells.size() - 1;
        for (const Cell& c : old)
            if (c.key != kEmpty)
                place(c);
    }
    void place(const Cell& c)
    {
        for (size_t i = slotOf(c.key) & m_mask;; i = (i + 1) & m_mask)
            if (m_cells[i].key == kEmpty) {
                m_cells[i] = c;
                return;
            }
    }

    /// Doubles the width `more` times: each bin b becomes b >> more, cells that land together add up.
    void widen(int more)
    {
        settle();
        std::vector<std::tuple<qint64, qint64, quint64>> all;
        all.reserve(m_count);
        for (const Cell& c : m_cells)
            if (c.key != kEmpty)
                all.emplace_back(binOf(c.key) >> more, qint64(c.key & 0xffffffffULL), c.events & kCountMask);
        shift += more;
        clear();
        rebinned = true;  // every key changed: the next write rewrites the whole table
        for (const auto& [bin, type, events] : all)
            bump(cellFor(bin, type), events);
    }

    std::vector<Cell> m_cells;
    size_t m_mask = 0;
    size_t m_count = 0;
    bool m_any = false;
    qint64 m_origin = 0, m_minBin = 0, m_maxBin = 0;
    // The current bin's counts of types below kDense (flushCurrent() moves them into the table).
    static constexpr qint64 kDense = 256;
    std::array<qint64, kDense> m_cur{};
    std::vector<int> m_curTypes;
    qint64 m_curBin = 0;
    bool m_curValid = false;
    struct Pending
    {
        qint64 bin;
        qint64 type;
        qint64 events;
    };
    static constexpr size_t kPendingBatch = 64;
    std::vector<Pending> m_pending;
    std::vector<quint64> m_dirtyKeys;  ///< keys of the cells marked kDirty (kept only while !rebinned)
};

// The writer's statements run once per event or per stream for the whole session.
constexpr auto kPersistent = SqlStatement::Prepare::Persistent;

void bindText(sqlite3_stmt* st, int i, QByteArrayView v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v.data(), int(v.size()), SQLITE_STATIC);
}

void bindTime(sqlite3_stmt* st, int i, TimeMs t)
{
    if (t == kNoTime)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, t);
}

} // namespace

struct StoreWriter::Impl
{
    sqlite3* db = nullptr;
    StoreWriter::Options options;
    QHash<QString, QString> meta;
    std::vector<StreamState> streams;   ///< index = position in this vector
    std::vector<size_t> dirty;          ///< append mode: streams whose summary changed since the last commit
    StreamTable streamIndex;            ///< name -> index into streams
    NameIndex typeIds;                  ///< name -> type id
    std::vector<std::pair<qint64, std::string>> newTypes;
    qint64 nextStreamId = 1;
    qint64 nextTypeId = 1;
    bool inTransaction = false;
    bool indexesBuilt = false;          ///< unique (stream, version) index exists: SQLite checks duplicates
    qint64 sinceCommit = 0;
    SqlStatement insertEvent;
    SqlStatement insertIssue;
    SqlStatement insertStream;          ///< prepared once: a live cache flushes summaries at every commit
    SqlStatement updateStream;
    SqlStatement insertType;
    std::string streamUtf8, typeUtf8, idUtf8;  ///< append(Event)'s reused conversion buffers
    // Bounded memory (docs/store.md "Writing big stores"): at most streamCacheLimit stream states are held; the
    // least recently appended half goes to the streams table (its summary upserted) when the cache is full,
    // and a stream met again is read back by name (the streams table's unique index on name).
    qint64 streamCacheLimit = StoreWriter::kDefaultStreamCacheLimit;
    qint64 versionSetLimit = StoreWriter::kDefaultVersionSetLimit;
    qint64 versionSetEntries = 0;       ///< versions held in all streams' sets (streams with gaps, bulk mode)
    bool spilled = false;               ///< some stream is only in the streams table (always so when appending)
    qint64 streamTotal = 0;             ///< streams in the store (cached or not)
    qint64 useClock = 0;
    qint64 evictions = 0;
    SqlStatement selectStream;
    qint64 nameLookups = 0;             ///< streams looked up in the streams table by name
    double evictionCpu = 0;             ///< s of this thread's CPU in evictStreams (CHRONOSCOPE_TIMINGS)
    // A new store: a Bloom filter of the names written out of the cache (evictStreams). Every stream of a new store
    // that is in the streams table went there with an eviction, so a name not in the filter is a new stream, with no
    // lookup in the table (the name index, a miss for each of the stores' new streams once the cache has spilled).
    // 2^25 bits (4 MB), two bits a name: about 0.1 % false positives (a lookup that finds nothing) at 500k evicted
    // streams, 1.3 % at 2M; no false negatives. Empty until the first eviction; not used when appending.
    std::vector<quint64> evictedNames;
    static constexpr unsigned kEvictedBitsLog2 = 25;
    static std::pair<size_t, size_t> evictedBits(quint64 h)
    {
        return {size_t(h >> (64 - kEvictedBitsLog2)), size_t((h * 0xff51afd7ed558ccdULL) >> (64 - kEvictedBitsLog2))};
    }
    void noteEvicted(quint64 h)
    {
        if (evictedNames.empty())
            evictedNames.assign((size_t(1) << kEvictedBitsLog2) / 64, 0);
        const auto [a, b] = evictedBits(h);
        evictedNames[a / 64] |= quint64(1) << (a % 64);
        evictedNames[b / 64] |= quint64(1) << (b % 64);
    }
    bool maybeEvicted(quint64 h) const
    {
        if (evictedNames.empty())
            return false;
        const auto [a, b] = evictedBits(h);
        return (evictedNames[a / 64] >> (a % 64) & 1) && (evictedNames[b / 64] >> (b % 64) & 1);
    }
    SqlStatement noteTouched;
    bool touchedTable = false;          ///< append mode: TEMP table of evicted streams appended to (checkpoints)
    // Bulk create: rows waiting for a multi-row INSERT (their text copied into the arena).
    static constexpr int kRowsPerInsert = 32;
    struct PendingRow
    {
        qint64 position, stream, version, type;
        TimeMs time;
        qint64 idAt = -1, idSize = 0, dataAt = -1, dataSize = 0, metaAt = -1, metaSize = 0;
        int flags = 0;
    };
    std::vector<PendingRow> pending;
    std::string arena;
    SqlStatement insertMany;
    TimelineBins bins;                  ///< the write-time timeline summary
    // Append mode: when commit() writes the summary too (StoreWriter::setTimelineSummaryTiming).
    qint64 binsIntervalMs = StoreWriter::kDefaultTimelineSummaryIntervalMs;
    qint64 binsFewEvents = StoreWriter::kDefaultTimelineSummaryFewEvents;
    bool binsWritten = false;           ///< written in this session (its first commit always writes it)
    bool binsForce = false;             ///< the next commit writes it (buildIndexes, finish)
    qint64 binsWrittenEvents = 0;       ///< the event count the stored summary covers
    QElapsedTimer binsTimer;            ///< since the last write
    int schemaVersion = store::kSchemaVersion;  ///< of the file (append to a version 1 store upgrades it)
    // Bulk create: events_time exists from the start while the times arrive in order, so each entry is added at
    // the index's right edge (pages in the cache) and finish() need not scan and sort the table for it. A time
    // below the one kTimeWindow events earlier lands further back in the index; when more than a quarter of the
    // events do that, the index is dropped and finish() builds it after the load (random inserts into a big index
    // would cost more than the sort).
    static constexpr size_t kTimeWindow = 1024;
    static constexpr qint64 kTimeCheckEvery = 16384;
    // Bulk create: (stream id, position, version) of each event, at most foldLogLimit of them (24 B each, 30 MB), so
    // finish() can read the long streams' events by position before the (stream, version) index exists and fold
    // their checkpoints on a second thread while the index sorts. Streams with events beyond the log (or all of
    // them, once the indexes are built during the load) are folded after the index build as before.
    size_t foldLogLimit = StoreWriter::kDefaultFoldLogLimit;
    qint64 foldReadLimit = StoreWriter::kDefaultFoldReadLimit;  ///< bytes of event data read for the second thread
    qint64 foldedAside = 0;             ///< streams whose checkpoints were folded during the index build
    struct LoggedEvent
    {
        qint64 stream, position, version;
    };
    std::vector<LoggedEvent> foldLog;
    bool foldLogOff = false;
    void dropFoldLog()  ///< the log and the copied rows given back (below)
    {
        foldLog = {};
        captured = {};
        capturedBytes = 0;
    }
    bool indexFromLog = false;          ///< finish() wrote events_stream_version from the log (tests)
    bool refuseIndexSwap = false;       ///< tests: writable_schema is not turned on, so the swap fails
    // Bulk create: the events of a stream past its checkpointEvery-th (so it will have a checkpoint) are copied
    // here as they come, so finish() reads back only the first ones (at most foldReadLimit bytes of rows held; the
    // rows read back have a limit of their own).
    std::unordered_map<qint64, std::vector<FoldJob::Row>> captured;
    qint64 capturedBytes = 0;
    std::unique_ptr<FoldJob> foldJob;   ///< finish(): the long streams folded on the second thread
    bool timeIndexLive = false;
    std::array<TimeMs, kTimeWindow> recentTimes{};
    qint64 timedEvents = 0;
    qint64 timesFarBack = 0;
    SqlStatement insertBin, updateBin;  ///< append mode: the summary's cells changed since the last write
    qint64 cacheKib = kAppendCacheKib;  ///< the page cache outside index builds (a new store: kPageCacheBytes)

    ~Impl() { close(); }

    void close()
    {
        insertEvent.finalize();
        insertMany.finalize();
        insertIssue.finalize();
        insertStream.finalize();
        updateStream.finalize();
        insertType.finalize();
        insertBin.finalize();
        updateBin.finalize();
        selectStream.finalize();
        noteTouched.finalize();
        if (db)
            sqlite3_close_v2(db);
        db = nullptr;
    }

    /// The cache index of a stream held in memory, -1 when it is not there.
    qint64 cached(std::string_view name, quint64 h) const
    {
        return streamIndex.find(name, h, [this](qint64 i) { return std::string_view(streams[size_t(i)].name); });
    }

    qint64 typeId(std::string_view name)
    {
        auto it = typeIds.find(name);
        if (it != typeIds.end())
            return it->second;
        const qint64 id = nextTypeId++;
        typeIds.emplace(std::string(name), id);
        newTypes.emplace_back(id, std::string(name));
        return id;
    }
};

StoreWriter::~StoreWriter()
{
    if (!m_done)
        abort();
}

bool StoreWriter::fail(QString* error, const QString& what)
{
    if (error)
        *error = QStringLiteral("%1: %2").arg(m_path, what);
    return false;
}

std::unique_ptr<StoreWriter> StoreWriter::create(const QString& path, const Options& options, QString* error,
                                                 bool overwrite)
{
    std::unique_ptr<StoreWriter> w(new StoreWriter);
    w->d = std::make_unique<Impl>();
    w->m_path = path;
    w->m_partialPath = path + QStringLiteral(".partial");
    w->m_overwrite = overwrite;
    w->d->options = options;
    w->d->meta = options.meta;
    if (w->d->options.checkpointEvery < 1)
        w->d->options.checkpointEvery = 1000;

    const QFileInfo target(path);
    if (target.exists() && !overwrite) {
        if (error)
            *error = QStringLiteral("%1 already exists (choose another output file or allow overwriting it)").arg(path);
        w->m_done = true;
        return nullptr;
    }
    if (target.isDir()) {
        if (error)
            *error = QStringLiteral("%1 is a folder").arg(path);
        w->m_done = true;
        return nullptr;
    }
    // A .partial left by a crashed import is ours to replace.
    QFile::remove(w->m_partialPath);

    const QByteArray uri = store::sqliteUri(w->m_partialPath, "rwc");
    int rc = sqlite3_open_v2(uri.constData(), &w->d->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
    QString err;
    if (rc != SQLITE_OK) {
        w->fail(&err, store::describeError(w->d->db, rc));
        if (error)
            *error = err;
        w->d->close();
        QFile::remove(w->m_partialPath);
        w->m_done = true;
        return nullptr;
    }
    // The partial file is private until finish() renames it, so durability is irrelevant here:
    // no journal and no fsync make the bulk load several times faster.
    // 16 KB pages (SQLite's default is 4 KB): a bulk load and its index builds touch a quarter as many pages;
    // measured 8 to 15% faster end to end on the 1M-event import (docs/scale.md "Writing big stores").
    // SQLite's page cache: 16 MB for a new store. With 64 MB `demo --events 10000000` peaked at 304 MB against the
    // writer's 300 MB budget; with 16 MB, 259 MB. A bulk load appends at the right edge of the table and the time
    // index: the 1M-event import is as fast, the 10M demo (2M streams, spilled to the streams table and read back
    // by name) slower, 130 s instead of 96 s (docs/scale.md "Writing big stores"). Appends to a cache keep 64 MB.
    w->d->cacheKib = StoreWriter::kPageCacheBytes / 1024;
    const bool ok = store::exec(w->d->db,
                                "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
                                "PRAGMA temp_store=FILE;",
                                &err) &&
                    setCacheKib(w->d->db, w->d->cacheKib, &err) &&
                    store::exec(w->d->db, store::kCreateTables, &err) &&
                    store::exec(w->d->db, options.bulk ? store::kCreateTimeIndex : store::kCreateIndexes, &err);
    if (!ok) {
        if (error)
            *error = QStringLiteral("%1: cannot create the store (%2)").arg(path, err);
        w->abort();
        return nullptr;
    }
    w->d->indexesBuilt = !options.bulk;
    w->d->timeIndexLive = options.bulk;
    if (!w->d->insertEvent.prepare(w->d->db, "INSERT INTO events(position, stream, version, type, time, id, data, "
                                             "metadata, flags) VALUES(?,?,?,?,?,?,?,?,?)", kPersistent)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, store::describeError(w->d->db, sqlite3_errcode(w->d->db)));
        w->abort();
        return nullptr;
    }
    return w;
}

std::unique_ptr<StoreWriter> StoreWriter::openForAppend(const QString& path, QString* error, bool durable)
{
    std::unique_ptr<StoreWriter> w(new StoreWriter);
    w->d = std::make_unique<Impl>();
    w->m_path = path;
    w->m_appendMode = true;
    w->d->indexesBuilt = true;
    auto bail = [&](const QString& what) -> std::unique_ptr<StoreWriter> {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, what);
        w->d->close();
        w->m_done = true;
        return nullptr;
    };
    if (!QFileInfo::exists(path))
        return bail(QStringLiteral("no such file"));
    const QByteArray uri = store::sqliteUri(path, "rw");
    int rc = sqlite3_open_v2(uri.constData(), &w->d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK)
        return bail(store::describeError(w->d->db, rc));
    // An existing file may have been crafted: no trigger of it may fire on our inserts (store::hardenConnection).
    QString hardenError;
    if (!store::hardenConnection(w->d->db, &hardenError))
        return bail(hardenError);
    sqlite3_busy_timeout(w->d->db, 5000);
    sqlite3* db = w->d->db;
    if (!setCacheKib(db, w->d->cacheKib, &hardenError) ||
        (!durable && !store::exec(db, "PRAGMA synchronous=OFF", &hardenError)))
        return bail(hardenError);

    // Only a store Chronoscope wrote may be appended to: check the version and the format marker.
    int version = -1;
    {
        SqlStatement st(db, "PRAGMA user_version");
        if (st.ok() && st.next())
            version = int(st.int64(0));
        rc = sqlite3_errcode(db);
    }
    if (version < 0)
        return bail(store::describeError(db, rc));
    QString format;
    {
        SqlStatement st(db, "SELECT value FROM meta WHERE key='format'");
        if (st.ok() && st.next())
            format = st.text(0);
    }
    if (format != QLatin1String(store::kFormatName) || version < store::kOldestSchemaVersion ||
        version > store::kSchemaVersion)
        return bail(QStringLiteral("not a Chronoscope store of schema version %1 to %2 (found format '%3', version %4); "
                                   "only stores Chronoscope created can be appended to")
                        .arg(store::kOldestSchemaVersion)
                        .arg(store::kSchemaVersion)
                        .arg(format)
                        .arg(version));

    Impl& im = *w->d;
    im.schemaVersion = version;
    {
        // Streams are read by name when an append meets them (streamIndexFor), not all at once: a cache of
        // millions of streams opens for append in bounded memory.
        SqlStatement st(db, "SELECT coalesce(max(id), 0), count(*) FROM streams");
        if (!st.ok() || !st.next())
            return bail(store::describeError(db, sqlite3_errcode(db)));
        im.nextStreamId = st.int64(0) + 1;
        im.streamTotal = st.int64(1);
        im.spilled = true;
    }
    {
        SqlStatement st(db, "SELECT id, name FROM types");
        if (!st.ok())
            return bail(store::describeError(db, sqlite3_errcode(db)));
        while (st.next()) {
            const qint64 id = st.int64(0);
            const QByteArray name = st.bytes(1);
            im.typeIds.emplace(std::string(name.constData(), size_t(name.size())), id);
            im.nextTypeId = std::max(im.nextTypeId, id + 1);
        }
        if (st.rc() != SQLITE_DONE)
            return bail(store::describeError(db, st.rc()));
    }
    {
        SqlStatement st(db, "SELECT MAX(position), COUNT(*) FROM events");
        if (st.ok() && st.next()) {
            w->m_lastPosition = st.int64(0);
            w->m_eventCount = st.int64(1);
        }
    }
    {
        SqlStatement st(db, "SELECT value FROM meta WHERE key='checkpoint_every'");
        if (st.ok() && st.next())
            im.options.checkpointEvery = std::max(1, int(st.int64(0)));
    }
    {
        QString binsError;
        if (!w->loadTimelineBins(&binsError))
            return bail(binsError);
    }
    if (!im.insertEvent.prepare(db, "INSERT INTO events(position, stream, version, type, time, id, data, metadata, "
                                    "flags) VALUES(?,?,?,?,?,?,?,?,?)", kPersistent))
        return bail(store::describeError(db, sqlite3_errcode(db)));
    return w;
}

bool StoreWriter::beginIfNeeded(QString* error)
{
    if (d->inTransaction)
        return true;
    QString err;
    if (!store::exec(d->db, m_appendMode ? "BEGIN IMMEDIATE" : "BEGIN", &err))
        return fail(error, err);
    d->inTransaction = true;
    return true;
}

namespace {

// UTF-8 of a name into a reused buffer: names are nearly always ASCII, copied byte by byte without the
// allocation of QString::toUtf8(); anything else goes through toUtf8() (the same bytes either way).
QByteArrayView utf8Of(const QString& s, std::string& buffer, QByteArray& other)
{
    const char16_t* p = reinterpret_cast<const char16_t*>(s.constData());
    const size_t n = size_t(s.size());
    buffer.resize(n);
    for (size_t i = 0; i < n; ++i) {
        if (p[i] >= 0x80) {
            other = s.toUtf8();
            return other;
        }
        buffer[i] = char(p[i]);
    }
    return QByteArrayView(buffer.data(), qsizetype(n));
}

} // namespace

bool StoreWriter::append(const Event& e, QString* error)
{
    QByteArray otherStream, otherType, otherId;
    const QByteArrayView stream = utf8Of(e.stream, d->streamUtf8, otherStream);
    const QByteArrayView type = utf8Of(e.type, d->typeUtf8, otherType);
    const QByteArrayView id = utf8Of(e.id, d->idUtf8, otherId);
    RawEvent r;
    r.position = e.position;
    r.stream = stream;
    r.version = e.version;
    r.type = type;
    r.time = e.time;
    r.id = id;
    r.data = e.data;
    r.metadata = e.metadata;
    r.dataIsJson = e.dataIsJson;
    return appendRaw(r, error) == Status::Ok;
}

StoreWriter::Status StoreWriter::appendRaw(const RawEvent& e, QString* error)
{
    m_lastDuplicate = false;
    if (m_done || !d->db) {
        fail(error, QStringLiteral("the store is already closed"));
        return Status::Error;
    }
    if (e.position <= 0 && m_lastPosition == kMaxInt64) {
        fail(error, QStringLiteral("the previous event has the largest position (%1): there is no next one").arg(m_lastPosition));
        return Status::Refused;
    }
    const qint64 position = e.position > 0 ? e.position : m_lastPosition + 1;
    if (position <= m_lastPosition) {
        fail(error, QStringLiteral("event position %1 is not after the previous position %2").arg(position).arg(m_lastPosition));
        return Status::Error;
    }
    const std::string_view name(e.stream.data(), size_t(e.stream.size()));
    if (!e.hasVersion) {
        // The next version of a stream at the largest version would wrap to -2^63: refused, not wrapped.
        if (!beginIfNeeded(error))
            return Status::Error;
        const qint64 known = streamIndexFor(name, false, error);
        if (known == -2)
            return Status::Error;
        if (known >= 0 && d->streams[size_t(known)].events > 0 && d->streams[size_t(known)].lastVersion == kMaxInt64) {
            fail(error, QStringLiteral("stream %1 is at the largest version (%2): an event without a version has no "
                                       "next version")
                            .arg(QString::fromUtf8(e.stream))
                            .arg(kMaxInt64));
            return Status::Refused;
        }
    }
    if (!beginIfNeeded(error))
        return Status::Error;

    const qint64 streamIndex = streamIndexFor(name, true, error);
    if (streamIndex < 0)
        return Status::Error;
    StreamState& s = d->streams[size_t(streamIndex)];
    const qint64 version = e.hasVersion ? e.version : (s.events == 0 ? 0 : s.lastVersion + 1);

    if (!d->indexesBuilt && s.events > 0) {
        bool duplicate = false;
        if (s.contiguous) {
            if (s.lastVersion != kMaxInt64 && version == s.lastVersion + 1) {
                // the common case: the next version
            } else if (version >= s.firstVersion && version <= s.lastVersion) {
                duplicate = true;
            } else {
                s.versions = std::make_unique<std::unordered_set<qint64>>();
                s.versions->reserve(size_t(s.events) + 16);
                // first..last are exactly the versions so far (contiguous); the loop stops at last
                // without computing last + 1, which would overflow at 2^63 - 1.
                for (qint64 v = s.firstVersion;; ++v) {
                    s.versions->insert(v);
                    if (v == s.lastVersion)
                        break;
                }
                s.contiguous = false;
                s.versions->insert(version);
                d->versionSetEntries += qint64(s.versions->size());
            }
        } else {
            duplicate = !s.versions->insert(version).second;
            if (!duplicate)
                ++d->versionSetEntries;
        }
        if (duplicate) {
            m_lastDuplicate = true;
            fail(error, QStringLiteral("stream %1 already has version %2").arg(QString::fromStdString(s.name)).arg(version));
            return Status::Duplicate;
        }
    }

    const qint64 typeId = d->typeId(std::string_view(e.type.data(), size_t(e.type.size())));
    const bool emptyMeta = e.metadata.isEmpty() || e.metadata == QByteArrayView("{}");
    if (!m_appendMode && !d->indexesBuilt) {
        // Bulk create: no constraint can fail (positions grow, duplicates were checked above), so rows are
        // copied aside and inserted 32 to a statement (docs/store.md "Writing").
        Impl::PendingRow r;
        r.position = position;
        r.stream = s.id;
        r.version = version;
        r.type = typeId;
        r.time = e.time;
        r.flags = e.dataIsJson ? 0 : store::kFlagDataNotJson;
        auto keep = [&](QByteArrayView v, qint64* at, qint64* size) {
            if (v.isEmpty())
                return;
            *at = qint64(d->arena.size());
            *size = v.size();
            d->arena.append(v.data(), size_t(v.size()));
        };
        keep(e.id, &r.idAt, &r.idSize);
        keep(e.data, &r.dataAt, &r.dataSize);
        if (!emptyMeta)
            keep(e.metadata, &r.metaAt, &r.metaSize);
        if (!d->foldLogOff) {
            if (d->foldLog.empty())
                d->foldLog.reserve(d->foldLogLimit);  // address space; pages become resident as it fills
            if (d->foldLog.size() < d->foldLogLimit) {
                d->foldLog.push_back({s.id, position, version});
                if (s.events >= d->options.checkpointEvery &&
                    d->capturedBytes + qint64(sizeof(FoldJob::Row)) + e.data.size() <= d->foldReadLimit) {
                    FoldJob::Row c;
                    c.version = version;
                    c.position = position;
                    c.time = e.time;
                    c.null = e.data.isEmpty();  // stored as NULL (bindText of an empty view)
                    c.data = e.data.toByteArray();
                    d->capturedBytes += c.cost();
                    d->captured[s.id].push_back(std::move(c));
                }
            } else {
                // Full: a load this big does not get the log's help (the long streams fold after the index build,
                // the index is sorted by SQLite), so the log and the copied rows are given back now rather than held
                // to the end (up to 30 + 32 MB of the writer's budget), the heap's freed pages to the system.
                d->foldLogOff = true;
                d->dropFoldLog();
                giveBackFreedMemory();
            }
        }
        d->pending.push_back(r);
        if (int(d->pending.size()) >= Impl::kRowsPerInsert && !flushPending(error))
            return Status::Error;
    } else {
        sqlite3_stmt* st = d->insertEvent.handle();
        sqlite3_bind_int64(st, 1, position);
        sqlite3_bind_int64(st, 2, s.id);
        sqlite3_bind_int64(st, 3, version);
        sqlite3_bind_int64(st, 4, typeId);
        bindTime(st, 5, e.time);
        bindText(st, 6, e.id.isEmpty() ? QByteArrayView() : e.id);
        bindText(st, 7, e.data.isEmpty() ? QByteArrayView() : e.data);
        bindText(st, 8, emptyMeta ? QByteArrayView() : e.metadata);
        sqlite3_bind_int(st, 9, e.dataIsJson ? 0 : store::kFlagDataNotJson);
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            if (sqlite3_extended_errcode(d->db) == SQLITE_CONSTRAINT_UNIQUE) {
                m_lastDuplicate = true;
                fail(error, QStringLiteral("stream %1 already has version %2").arg(QString::fromStdString(s.name)).arg(version));
                return Status::Duplicate;
            }
            fail(error, store::describeError(d->db, rc));
            return Status::Error;
        }
    }

    if (s.events == 0) {
        s.firstVersion = s.lastVersion = version;
        s.firstPosition = position;
        s.firstTime = s.lastTime = e.time;
    } else {
        s.firstVersion = std::min(s.firstVersion, version);
        s.lastVersion = std::max(s.lastVersion, version);
        if (e.time != kNoTime) {
            if (s.firstTime == kNoTime || e.time < s.firstTime)
                s.firstTime = e.time;
            if (s.lastTime == kNoTime || e.time > s.lastTime)
                s.lastTime = e.time;
        }
    }
    ++s.events;
    s.lastPosition = position;
    // A commit in append mode rewrites the summaries of the streams it changed, not of every stream the
    // cache holds (a live cache commits several times a second).
    if (m_appendMode && !s.dirty)
        d->dirty.push_back(size_t(&s - d->streams.data()));
    s.dirty = true;
    s.minNewVersion = s.touched ? std::min(s.minNewVersion, version) : version;
    s.touched = true;
    s.lastUse = ++d->useClock;
    d->bins.add(position, e.time, typeId);
    m_lastPosition = position;
    ++m_eventCount;
    if (d->timeIndexLive && e.time != kNoTime && !noteTime(e.time, error))
        return Status::Error;
    if (!d->indexesBuilt && d->versionSetEntries > d->versionSetLimit) {
        // Too many versions of streams with gaps to check in memory: the unique index checks from here on.
        QString err;
        if (!buildIndexes(&err)) {
            if (error)
                *error = err;
            return Status::Error;
        }
    }
    if (!m_appendMode && ++d->sinceCommit >= kBulkCommitEvery) {
        d->sinceCommit = 0;
        QString err;
        if (!commit(&err)) {
            if (error)
                *error = err;
            return Status::Error;
        }
    }
    return Status::Ok;
}

bool StoreWriter::noteTime(TimeMs time, QString* error)
{
    if (d->indexesBuilt) {
        d->timeIndexLive = false;  // maintained with the other indexes from here on
        return true;
    }
    TimeMs& earlier = d->recentTimes[size_t(d->timedEvents % Impl::kTimeWindow)];
    if (d->timedEvents >= qint64(Impl::kTimeWindow) && time < earlier)
        ++d->timesFarBack;
    earlier = time;
    ++d->timedEvents;
    if (d->timedEvents % Impl::kTimeCheckEvery != 0 || d->timesFarBack * 4 <= d->timedEvents)
        return true;
    // Out of order: finish() builds the index with one sort instead.
    QString err;
    if (!flushPending(error) || !store::exec(d->db, "DROP INDEX IF EXISTS events_time", &err))
        return err.isEmpty() ? false : fail(error, err);
    d->timeIndexLive = false;
    return true;
}

bool StoreWriter::flushPending(QString* error)
{
    if (d->pending.empty())
        return true;
    if (!beginIfNeeded(error))
        return false;
    const bool many = int(d->pending.size()) == Impl::kRowsPerInsert;
    if (many && !d->insertMany.ok()) {
        QByteArray sql = "INSERT INTO events(position, stream, version, type, time, id, data, metadata, flags) VALUES"
                         "(?,?,?,?,?,?,?,?,?)";
        for (int i = 1; i < Impl::kRowsPerInsert; ++i)
            sql += ",(?,?,?,?,?,?,?,?,?)";
        if (!d->insertMany.prepare(d->db, sql, kPersistent))
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    }
    auto bindRow = [&](sqlite3_stmt* st, int base, const Impl::PendingRow& r) {
        auto text = [&](int i, qint64 at, qint64 size) {
            if (at < 0)
                sqlite3_bind_null(st, i);
            else
                sqlite3_bind_text(st, i, d->arena.data() + at, int(size), SQLITE_STATIC);
        };
        sqlite3_bind_int64(st, base + 1, r.position);
        sqlite3_bind_int64(st, base + 2, r.stream);
        sqlite3_bind_int64(st, base + 3, r.version);
        sqlite3_bind_int64(st, base + 4, r.type);
        bindTime(st, base + 5, r.time);
        text(base + 6, r.idAt, r.idSize);
        text(base + 7, r.dataAt, r.dataSize);
        text(base + 8, r.metaAt, r.metaSize);
        sqlite3_bind_int(st, base + 9, r.flags);
    };
    int rc = SQLITE_DONE;
    if (many) {
        sqlite3_stmt* st = d->insertMany.handle();
        for (int i = 0; i < Impl::kRowsPerInsert; ++i)
            bindRow(st, i * 9, d->pending[size_t(i)]);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    } else {
        sqlite3_stmt* st = d->insertEvent.handle();
        for (size_t i = 0; i < d->pending.size() && rc == SQLITE_DONE; ++i) {
            bindRow(st, 0, d->pending[i]);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
        }
    }
    d->pending.clear();
    d->arena.clear();
    if (rc != SQLITE_DONE)
        return fail(error, store::describeError(d->db, rc));
    return true;
}

bool StoreWriter::flushSummaries(QString* error, qint64 usedBefore)
{
    if (!beginIfNeeded(error))
        return false;
    // A stream already in the table is an UPDATE by id, a new one a plain INSERT. Not INSERT OR REPLACE: a
    // REPLACE may delete rows, so SQLite gives each such statement a statement journal holding every page it
    // touches (table and two indexes: over 64 KB with 16 KB pages, spilled to a temporary file): with a live
    // cache's thousand streams a commit, that was more than the events' own writing (docs/remote.md "Budgets").
    // A one-row UPDATE by id and a one-row INSERT need none.
    SqlStatement& ins = d->insertStream;
    SqlStatement& upd = d->updateStream;
    if (!ins.ok() && !ins.prepare(d->db, "INSERT INTO streams(events, first_version, last_version, first_position, "
                                         "last_position, first_time, last_time, id, name) VALUES(?,?,?,?,?,?,?,?,?)",
                                  kPersistent))
        return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    if (!upd.ok() && !upd.prepare(d->db, "UPDATE streams SET events=?, first_version=?, last_version=?, first_position=?, "
                                         "last_position=?, first_time=?, last_time=? WHERE id=?",
                                  kPersistent))
        return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    const size_t count = m_appendMode ? d->dirty.size() : d->streams.size();
    for (size_t i = 0; i < count; ++i) {
        StreamState& s = d->streams[m_appendMode ? d->dirty[i] : i];
        if (!s.dirty || (usedBefore >= 0 && (s.versions || s.lastUse >= usedBefore)))
            continue;
        sqlite3_stmt* st = s.stored ? upd.handle() : ins.handle();
        sqlite3_bind_int64(st, 1, s.events);
        sqlite3_bind_int64(st, 2, s.firstVersion);
        sqlite3_bind_int64(st, 3, s.lastVersion);
        sqlite3_bind_int64(st, 4, s.firstPosition);
        sqlite3_bind_int64(st, 5, s.lastPosition);
        bindTime(st, 6, s.firstTime);
        bindTime(st, 7, s.lastTime);
        sqlite3_bind_int64(st, 8, s.id);
        if (!s.stored)
            sqlite3_bind_text(st, 9, s.name.data(), int(s.name.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return fail(error, store::describeError(d->db, rc));
        if (s.stored && sqlite3_changes(d->db) != 1)
            return fail(error, QStringLiteral("the summary row of stream %1 is gone (the file changed under the writer)")
                                   .arg(QString::fromStdString(s.name)));
        s.stored = true;
        s.dirty = false;
    }
    d->dirty.clear();
    SqlStatement& ty = d->insertType;
    if (!ty.ok() && !ty.prepare(d->db, "INSERT OR IGNORE INTO types(id, name) VALUES(?,?)", kPersistent))
        return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    for (const auto& [id, name] : d->newTypes) {
        sqlite3_bind_int64(ty.handle(), 1, id);
        sqlite3_bind_text(ty.handle(), 2, name.data(), int(name.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(ty.handle());
        sqlite3_reset(ty.handle());
        if (rc != SQLITE_DONE)
            return fail(error, store::describeError(d->db, rc));
    }
    d->newTypes.clear();
    return true;
}

bool StoreWriter::commit(QString* error)
{
    if (m_done || !d->db)
        return fail(error, QStringLiteral("the store is already closed"));
    if (!flushPending(error))
        return false;
    // In append mode readers see the stream summaries together with the events they describe. The timeline summary
    // is written less often (timelineSummaryDue): between its writes its meta row still says exactly which events
    // the stored bins count, so a reader sees it is stale and does without it.
    if (m_appendMode && (!flushSummaries(error) || (timelineSummaryDue() && !writeTimelineBins(error))))
        return false;
    if (!d->inTransaction)
        return true;
    QString err;
    if (!store::exec(d->db, "COMMIT", &err))
        return fail(error, err);
    d->inTransaction = false;
    return true;
}

bool StoreWriter::timelineSummaryDue()
{
    Impl& im = *d;
    if (im.binsForce || !im.binsWritten) {
        im.binsForce = false;
        return true;
    }
    // Written at every commit, it cost as much as the events' own inserts on a live cache's initial read (a commit
    // every 200 ms, thousands of changed cells each, the whole table again each time the width doubles). A live
    // tail's few events a commit keep it current at little cost.
    const qint64 pending = m_eventCount - im.binsWrittenEvents;
    return pending > 0 && (pending <= im.binsFewEvents || !im.binsTimer.isValid() || im.binsTimer.elapsed() >= im.binsIntervalMs);
}

void StoreWriter::setTimelineSummaryTiming(qint64 intervalMs, qint64 fewEvents)
{
    d->binsIntervalMs = std::max<qint64>(0, intervalMs);
    d->binsFewEvents = std::max<qint64>(0, fewEvents);
}

bool StoreWriter::indexesSuspended() const
{
    return d && !d->indexesBuilt;
}

bool StoreWriter::suspendIndexes(QString* error)
{
    if (m_done || !d->db)
        return fail(error, QStringLiteral("the store is already closed"));
    if (!d->indexesBuilt)
        return true;
    if (!m_appendMode)
        return fail(error, QStringLiteral("indexes can be suspended only while appending"));
    if (!commit(error))
        return false;
    // Duplicates are checked in memory from here on (appendRaw): a stream whose summary spans exactly its
    // count of versions holds first..last (the unique index guaranteed no repeats); any other stream's
    // versions are read now, while the index still finds them. The streams with gaps are found in the streams
    // table (the writer holds only some streams in memory); when their versions exceed the version-set limit the
    // indexes stay (suspending is only a speed-up).
    for (StreamState& s : d->streams) {
        s.versions.reset();
        s.contiguous = true;
    }
    d->versionSetEntries = 0;
    static const char* const kGaps = "FROM streams WHERE events > 0 AND last_version - first_version + 1 <> events";
    {
        SqlStatement total(d->db, QByteArray("SELECT coalesce(sum(events), 0) ") + kGaps);
        if (!total.ok() || !total.next())
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        if (total.int64(0) > d->versionSetLimit)
            return true;
    }
    std::vector<std::string> gapped;
    {
        SqlStatement names(d->db, QByteArray("SELECT name ") + kGaps);
        while (names.ok() && names.next()) {
            const QByteArray n = names.bytes(0);
            gapped.emplace_back(n.constData(), size_t(n.size()));
        }
        if (!names.done())
            return fail(error, store::describeError(d->db, names.rc()));
    }
    SqlStatement versions;
    for (const std::string& name : gapped) {
        const qint64 i = streamIndexFor(name, false, error);
        if (i < 0)
            return i == -1 ? fail(error, QStringLiteral("stream %1 vanished").arg(QString::fromStdString(name))) : false;
        StreamState& s = d->streams[size_t(i)];
        if (!versions.ok() && !versions.prepare(d->db, "SELECT version FROM events WHERE stream=?", kPersistent))
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        s.contiguous = false;
        s.versions = std::make_unique<std::unordered_set<qint64>>();
        s.versions->reserve(size_t(s.events) + 16);
        sqlite3_bind_int64(versions.handle(), 1, s.id);
        int rc;
        while ((rc = sqlite3_step(versions.handle())) == SQLITE_ROW)
            s.versions->insert(sqlite3_column_int64(versions.handle(), 0));
        sqlite3_reset(versions.handle());
        if (rc != SQLITE_DONE)
            return fail(error, store::describeError(d->db, rc));
        d->versionSetEntries += qint64(s.versions->size());
    }
    versions.finalize();  // DROP INDEX needs no statement of this connection pending on the table
    QString err;
    if (!beginIfNeeded(error) ||
        !store::exec(d->db, "DROP INDEX IF EXISTS events_stream_version; DROP INDEX IF EXISTS events_time;", &err))
        return err.isEmpty() ? false : fail(error, err);
    d->indexesBuilt = false;
    return commit(error);
}

bool StoreWriter::buildIndexes(QString* error)
{
    if (m_done || !d->db)
        return fail(error, QStringLiteral("the store is already closed"));
    if (d->indexesBuilt)
        return true;
    if (!flushPending(error))
        return false;
    QString err;
    // Small sort runs, as in finish(): they stay in the CPU's cache (docs/store.md "Writing").
    if (!beginIfNeeded(error) || !setCacheKib(d->db, kSortRunKib, &err) ||
        !store::exec(d->db, store::kCreateIndexes, &err) || !setCacheKib(d->db, d->cacheKib, &err))
        return err.isEmpty() ? false : fail(error, QStringLiteral("cannot build the indexes (%1)").arg(err));
    d->indexesBuilt = true;
    // finish() folds on the writer's connection with the index: the log is not needed.
    d->foldLogOff = true;
    d->dropFoldLog();
    // The unique index checks duplicates again: the in-memory version sets can go.
    for (StreamState& s : d->streams) {
        s.versions.reset();
        s.contiguous = true;
    }
    d->versionSetEntries = 0;
    d->binsForce = true;  // a live cache's initial read ends here: its summary current before the tail
    return commit(error);
}

qint64 StoreWriter::streamCount() const
{
    return d ? d->streamTotal : 0;
}

void StoreWriter::setStreamCacheLimit(qint64 streams, qint64 versions)
{
    d->streamCacheLimit = std::max<qint64>(2, streams);
    d->versionSetLimit = std::max<qint64>(0, versions);
}

bool StoreWriter::timeIndexKeptDuringLoad() const
{
    return d && d->timeIndexLive && !d->indexesBuilt;
}

qint64 StoreWriter::cachedStreamCount() const
{
    return d ? qint64(d->streams.size()) : 0;
}

qint64 StoreWriter::pageCacheBytes() const
{
    int used = 0, highwater = 0;
    if (!d || !d->db || sqlite3_db_status(d->db, SQLITE_DBSTATUS_CACHE_USED, &used, &highwater, 0) != SQLITE_OK)
        return 0;
    return used;
}

qint64 StoreWriter::versionSetEntries() const
{
    return d ? d->versionSetEntries : 0;
}

qint64 StoreWriter::streamNameLookups() const
{
    return d ? d->nameLookups : 0;
}

qint64 StoreWriter::streamCacheEvictions() const
{
    return d ? d->evictions : 0;
}

void StoreWriter::prefetchStream(QByteArrayView name, bool state) const
{
    if (!d)
        return;
    const qint64 i = d->streamIndex.prefetch(hashName(std::string_view(name.data(), size_t(name.size()))), state);
    if (i >= 0 && size_t(i) < d->streams.size()) {
        // The name (compared by find) and the summary fields appendRaw updates span two cache lines.
        const char* p = reinterpret_cast<const char*>(&d->streams[size_t(i)]);
        __builtin_prefetch(p, 1);
        __builtin_prefetch(p + 64, 1);
        __builtin_prefetch(p + 128, 1);
        __builtin_prefetch(p + sizeof(StreamState) - 1, 1);
    }
}

qint64 StoreWriter::streamIndexFor(std::string_view name, bool create, QString* error)
{
    const quint64 h = hashName(name);
    const qint64 found = d->cached(name, h);
    if (found >= 0)
        return found;
    StreamState s;
    bool stored = false;
    if (d->spilled && (m_appendMode || d->maybeEvicted(h))) {
        ++d->nameLookups;
        SqlStatement& q = d->selectStream;
        if (!q.ok() && !q.prepare(d->db, "SELECT id, events, first_version, last_version, first_position, last_position, "
                                         "first_time, last_time FROM streams WHERE name=?", kPersistent)) {
            fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
            return -2;
        }
        sqlite3_stmt* st = q.handle();
        sqlite3_bind_text(st, 1, name.data(), int(name.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            stored = true;
            s.id = sqlite3_column_int64(st, 0);
            s.events = sqlite3_column_int64(st, 1);
            s.firstVersion = sqlite3_column_int64(st, 2);
            s.lastVersion = sqlite3_column_int64(st, 3);
            s.firstPosition = sqlite3_column_int64(st, 4);
            s.lastPosition = sqlite3_column_int64(st, 5);
            s.firstTime = sqlite3_column_type(st, 6) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(st, 6);
            s.lastTime = sqlite3_column_type(st, 7) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(st, 7);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            fail(error, store::describeError(d->db, rc));
            return -2;
        }
    }
    if (!stored && !create)
        return -1;
    if (qint64(d->streams.size()) >= d->streamCacheLimit) {
        if (!evictStreams(error))
            return -2;
        // Streams with gaps stay while their version sets check duplicates; when they alone fill the cache,
        // the unique index takes over the check and they can go too.
        if (qint64(d->streams.size()) >= d->streamCacheLimit && (!buildIndexes(error) || !evictStreams(error)))
            return -2;
    }
    if (!stored) {
        s.id = d->nextStreamId++;
        ++d->streamTotal;
    }
    s.stored = stored;
    s.name = std::string(name);
    s.lastUse = ++d->useClock;  // most recent: not evicted before it is used
    // Without duplicates (which the writer never stores), versions first..last are all there exactly when the
    // span equals the count; a stream with gaps needs its versions while duplicates are checked in memory.
    const bool gaps = stored && s.events > 0 &&
                      __int128(s.lastVersion) - __int128(s.firstVersion) + 1 != __int128(s.events);
    if (d->streams.size() == d->streams.capacity() && d->streamCacheLimit <= kReserveStreamsUpTo) {
        // Straight to the cache's full size: the doubling from half of it would hold both arrays for a moment
        // (57 MB for the default cache). Pages not yet used cost address space, not memory.
        d->streams.reserve(size_t(d->streamCacheLimit));
    }
    d->streams.push_back(std::move(s));
    const qint64 index = qint64(d->streams.size() - 1);
    d->streamIndex.insert(h, index);
    if (gaps && !d->indexesBuilt) {
        // Only reached when a stream with gaps left the cache (its set was dropped with the cache's half): the
        // unique index takes over the duplicate check.
        if (!buildIndexes(error))
            return -2;
    }
    return index;
}

bool StoreWriter::evictStreams(QString* error)
{
    const double started = StageTimes::threadCpu();
    auto account = qScopeGuard([&] { d->evictionCpu += StageTimes::threadCpu() - started; });
    // Summaries first: an evicted stream is read back from the streams table. Appending writes every changed one (its
    // list of changed streams indexes the cache, which is compacted below); a new store only those it evicts, the
    // others stay in memory until the next eviction or finish() (half the rows at the first eviction).
    if (m_appendMode && !flushSummaries(error))
        return false;
    std::vector<qint64> uses;
    uses.reserve(d->streams.size());
    for (const StreamState& s : d->streams)
        if (!s.versions)  // streams with gaps keep their version sets (bounded by versionSetLimit)
            uses.push_back(s.lastUse);
    if (uses.empty())
        return true;
    std::nth_element(uses.begin(), uses.begin() + qsizetype(uses.size() / 2), uses.end());
    const qint64 cut = uses[uses.size() / 2];
    if (!m_appendMode && !flushSummaries(error, cut))
        return false;
    if (m_appendMode) {
        // Checkpoints of the streams appended to are redone in finish(); remember the evicted ones.
        QString err;
        if (!d->touchedTable) {
            if (!store::exec(d->db, "CREATE TEMP TABLE IF NOT EXISTS touched_streams(id INTEGER PRIMARY KEY, "
                                    "min_version INTEGER NOT NULL)", &err))
                return fail(error, err);
            d->touchedTable = true;
        }
        SqlStatement& note = d->noteTouched;
        if (!note.ok() && !note.prepare(d->db, "INSERT INTO temp.touched_streams(id, min_version) VALUES(?,?) ON "
                                               "CONFLICT(id) DO UPDATE SET min_version=min(min_version, excluded.min_version)",
                                        kPersistent))
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        for (const StreamState& s : d->streams) {
            if (s.versions || s.lastUse >= cut || !s.touched)
                continue;
            sqlite3_bind_int64(note.handle(), 1, s.id);
            sqlite3_bind_int64(note.handle(), 2, s.minNewVersion);
            const int rc = sqlite3_step(note.handle());
            sqlite3_reset(note.handle());
            if (rc != SQLITE_DONE)
                return fail(error, store::describeError(d->db, rc));
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < d->streams.size(); ++i) {
        StreamState& s = d->streams[i];
        if (!s.versions && s.lastUse < cut) {
            if (!m_appendMode)
                d->noteEvicted(hashName(s.name));
            continue;
        }
        if (kept != i)
            d->streams[kept] = std::move(s);
        ++kept;
    }
    d->streams.resize(kept);
    d->streamIndex.clear();
    for (size_t i = 0; i < d->streams.size(); ++i)
        d->streamIndex.insert(hashName(d->streams[i].name), qint64(i));
    d->dirty.clear();  // flushed above
    d->spilled = true;
    ++d->evictions;
    return true;
}

void StoreWriter::setMeta(const QString& key, const QString& value)
{
    d->meta.insert(key, value);
}

void StoreWriter::addIssue(const QString& file, qint64 line, const QString& message)
{
    if (m_done || !d->db || !beginIfNeeded(nullptr))
        return;
    if (!d->insertIssue.ok() && !d->insertIssue.prepare(d->db, "INSERT INTO issues(file, line, message) VALUES(?,?,?)", kPersistent))
        return;
    const QByteArray f = file.toUtf8(), m = message.toUtf8();
    sqlite3_stmt* st = d->insertIssue.handle();
    bindText(st, 1, file.isEmpty() ? QByteArrayView() : QByteArrayView(f));
    if (line > 0)
        sqlite3_bind_int64(st, 2, line);
    else
        sqlite3_bind_null(st, 2);
    bindText(st, 3, m);
    sqlite3_step(st);
    sqlite3_reset(st);
}

bool StoreWriter::writeCheckpoints(QString* error)
{
    const int every = d->options.checkpointEvery;
    if (!beginIfNeeded(error))
        return false;
    SqlStatement del, last, countUpTo, events, insert;
    if (!del.prepare(d->db, "DELETE FROM checkpoints WHERE projection='merge' AND stream=? AND version>=?", kPersistent) ||
        !last.prepare(d->db, "SELECT version, position, time, state FROM checkpoints WHERE projection='merge' AND "
                             "stream=? ORDER BY version DESC LIMIT 1", kPersistent) ||
        !countUpTo.prepare(d->db, "SELECT COUNT(*) FROM events WHERE stream=? AND version<=?", kPersistent) ||
        !events.prepare(d->db, "SELECT version, position, time, data FROM events WHERE stream=? AND version>? "
                               "ORDER BY version", kPersistent) ||
        !insert.prepare(d->db, "INSERT OR REPLACE INTO checkpoints(projection, stream, version, position, time, state) "
                               "VALUES('merge',?,?,?,?,?)", kPersistent))
        return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));

    auto insertOne = [&](qint64 streamId, const FoldedCheckpoint& c) -> bool {
        sqlite3_bind_int64(insert.handle(), 1, streamId);
        sqlite3_bind_int64(insert.handle(), 2, c.version);
        sqlite3_bind_int64(insert.handle(), 3, c.position);
        bindTime(insert.handle(), 4, c.time);
        sqlite3_bind_blob(insert.handle(), 5, c.state.constData(), int(c.state.size()), SQLITE_STATIC);
        const int irc = sqlite3_step(insert.handle());
        sqlite3_reset(insert.handle());
        return irc == SQLITE_DONE || fail(error, store::describeError(d->db, irc));
    };
    // One stream's checkpoints: in append mode the stale ones (from the smallest version appended) go first.
    auto checkpointStream = [&](qint64 streamId, qint64 streamEvents, qint64 touchedFrom) -> bool {
        if (m_appendMode) {
            // Events inserted below an existing checkpoint make it (and every later one) stale.
            sqlite3_bind_int64(del.handle(), 1, streamId);
            sqlite3_bind_int64(del.handle(), 2, touchedFrom);
            sqlite3_step(del.handle());
            sqlite3_reset(del.handle());
        }
        if (streamEvents <= every)
            return true;
        MergeFold fold;
        qint64 fromVersion = std::numeric_limits<qint64>::min();
        sqlite3_bind_int64(last.handle(), 1, streamId);
        if (sqlite3_step(last.handle()) == SQLITE_ROW) {
            fromVersion = sqlite3_column_int64(last.handle(), 0);
            fold.maxPosition = sqlite3_column_int64(last.handle(), 1);
            fold.maxTime = sqlite3_column_type(last.handle(), 2) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(last.handle(), 2);
            fold.state = parseJsonValue(QByteArray(static_cast<const char*>(sqlite3_column_blob(last.handle(), 3)),
                                                   sqlite3_column_bytes(last.handle(), 3)));
            sqlite3_bind_int64(countUpTo.handle(), 1, streamId);
            sqlite3_bind_int64(countUpTo.handle(), 2, fromVersion);
            if (sqlite3_step(countUpTo.handle()) == SQLITE_ROW)
                fold.ordinal = sqlite3_column_int64(countUpTo.handle(), 0);
            sqlite3_reset(countUpTo.handle());
        }
        sqlite3_reset(last.handle());

        sqlite3_bind_int64(events.handle(), 1, streamId);
        sqlite3_bind_int64(events.handle(), 2, fromVersion);
        int rc;
        while ((rc = sqlite3_step(events.handle())) == SQLITE_ROW) {
            const qint64 version = sqlite3_column_int64(events.handle(), 0);
            const TimeMs time =
                sqlite3_column_type(events.handle(), 2) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(events.handle(), 2);
            const char* data = static_cast<const char*>(sqlite3_column_blob(events.handle(), 3));
            if (!fold.add(sqlite3_column_int64(events.handle(), 1), time, data, sqlite3_column_bytes(events.handle(), 3),
                          every))
                continue;
            if (!insertOne(streamId, {version, fold.maxPosition, fold.maxTime, toJsonText(fold.state)})) {
                sqlite3_reset(events.handle());
                return false;
            }
        }
        sqlite3_reset(events.handle());
        if (rc != SQLITE_DONE)
            return fail(error, store::describeError(d->db, rc));
        return true;
    };

    if (!m_appendMode) {
        // Every stream is new: the ones long enough are in the streams table (flushed by finish()), whether the
        // stream cache still holds them or not.
        SqlStatement longOnes(d->db, "SELECT id, events FROM streams WHERE events > ? ORDER BY id");
        if (!longOnes.ok())
            return fail(error, store::describeError(d->db, longOnes.rc()));
        sqlite3_bind_int64(longOnes.handle(), 1, every);
        while (longOnes.next()) {
            // Folded on the second thread during the index build (finish()): the same rows, in the same order.
            const qint64 id = longOnes.int64(0);
            const auto folded = d->foldJob ? d->foldJob->done.find(id) : decltype(d->foldJob->done)::iterator();
            if (d->foldJob && folded != d->foldJob->done.end()) {
                for (const FoldedCheckpoint& c : folded->second)
                    if (!insertOne(id, c))
                        return false;
                continue;
            }
            if (!checkpointStream(id, longOnes.int64(1), 0))
                return false;
        }
        d->foldJob.reset();
        if (!longOnes.done())
            return fail(error, store::describeError(d->db, longOnes.rc()));
        for (StreamState& s : d->streams)
            s.touched = false;
        return true;
    }
    for (StreamState& s : d->streams) {
        if (!s.touched)
            continue;
        s.touched = false;
        if (!checkpointStream(s.id, s.events, s.minNewVersion))
            return false;
    }
    if (d->touchedTable) {
        // Streams appended to and then evicted from the cache (their summaries are in the streams table).
        SqlStatement evicted(d->db, "SELECT t.id, s.events, t.min_version FROM temp.touched_streams t JOIN streams s "
                                    "ON s.id = t.id ORDER BY t.id");
        while (evicted.ok() && evicted.next())
            if (!checkpointStream(evicted.int64(0), evicted.int64(1), evicted.int64(2)))
                return false;
        if (!evicted.done())
            return fail(error, store::describeError(d->db, evicted.rc()));
        QString err;
        if (!store::exec(d->db, "DELETE FROM temp.touched_streams", &err))
            return fail(error, err);
    }
    return true;
}

bool StoreWriter::writeTimelineBins(QString* error)
{
    TimelineBins& b = d->bins;
    if (!beginIfNeeded(error))
        return false;
    QString err;
    if (!b.valid) {
        // Nothing trustworthy to record: no table rows and no meta row, so readers fall back to the events.
        if (!store::exec(d->db, "DELETE FROM meta WHERE key='timeline_bins'", &err) ||
            !store::exec(d->db, store::kCreateTimelineBins, &err) || !store::exec(d->db, "DELETE FROM timeline_bins", &err))
            return fail(error, err);
        return true;
    }
    if (!store::exec(d->db, store::kCreateTimelineBins, &err))
        return fail(error, err);
    if (d->schemaVersion < store::kSchemaVersion) {
        // An append to a version 1 store: the change is additive, so the file becomes a version 2 store in the
        // same transaction that adds the table (older builds still open it: they ignore the table).
        if (!store::exec(d->db,
                         QByteArray("PRAGMA user_version=" + QByteArray::number(store::kSchemaVersion) +
                                    "; PRAGMA application_id=" + QByteArray::number(store::kApplicationId))
                             .constData(),
                         &err))
            return fail(error, err);
        d->schemaVersion = store::kSchemaVersion;
    }
    const bool full = b.rebinned || !m_appendMode;
    if (full && m_appendMode && !store::exec(d->db, "DELETE FROM timeline_bins", &err))
        return fail(error, err);
    // A full write goes into an empty table, in key order, 100 rows a statement: plain multi-row INSERTs are about
    // twice as fast as one upsert a row (350k rows for 1M imported events). Not when appending: there the table's
    // old pages are reused and a multi-row INSERT gets a statement journal copying each of them (see
    // flushSummaries), so one row a statement. Changes since the last write (append mode) are written one by one.
    const int kRowsPerInsert = m_appendMode ? 1 : 100;
    int rc = SQLITE_DONE;
    if (full) {
        IntTripleInserter rows(d->db, "INSERT INTO timeline_bins(bin, type, events) VALUES(?,?,?)", kRowsPerInsert);
        if (!rows.ok())
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        b.forEach(false, [&](qint64 bin, qint64 type, qint64 events, bool) { rows.add(bin, type, events); });
        rows.finish();
        rc = rows.rc();
    } else {
        // A cell the table has is an UPDATE by key, a new one a plain INSERT: neither needs a statement journal
        // (an upsert or a REPLACE would get one, see flushSummaries).
        SqlStatement& ins = d->insertBin;
        SqlStatement& upd = d->updateBin;
        if ((!ins.ok() && !ins.prepare(d->db, "INSERT INTO timeline_bins(events, bin, type) VALUES(?,?,?)", kPersistent)) ||
            (!upd.ok() && !upd.prepare(d->db, "UPDATE timeline_bins SET events=? WHERE bin=? AND type=?", kPersistent)))
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        bool missing = false;
        b.forEach(true, [&](qint64 bin, qint64 type, qint64 events, bool stored) {
            if (rc != SQLITE_DONE || missing)
                return;
            sqlite3_stmt* st = stored ? upd.handle() : ins.handle();
            sqlite3_bind_int64(st, 1, events);
            sqlite3_bind_int64(st, 2, bin);
            sqlite3_bind_int64(st, 3, type);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
            missing = rc == SQLITE_DONE && stored && sqlite3_changes(d->db) != 1;
        });
        if (missing) {
            b.rebinned = true;  // the next write rewrites the whole table
            return fail(error, QStringLiteral("a row of the timeline summary is gone (the file changed under the writer)"));
        }
    }
    if (rc != SQLITE_DONE) {
        b.rebinned = true;  // some rows may be written, others not: the next write rewrites the whole table
        return fail(error, store::describeError(d->db, rc));
    }
    // Integers written as text by hand: QJsonObject would pass them through a double (exact only below 2^53).
    const QByteArray json = "{\"axis\":\"" + QByteArray(b.timeAxis ? "time" : "position") +
                            "\",\"width\":" + QByteArray::number(b.width()) +
                            ",\"events\":" + QByteArray::number(m_eventCount) +
                            ",\"last_position\":" + QByteArray::number(m_lastPosition) +
                            ",\"untimed\":" + QByteArray::number(b.timeAxis ? b.untimedEvents : 0) + "}";
    // UPDATE, else INSERT (not a REPLACE: no statement journal).
    SqlStatement put(d->db, "UPDATE meta SET value=? WHERE key='timeline_bins'");
    put.bindText(1, json);
    if (!put.ok() || put.step() != SQLITE_DONE)
        return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    if (sqlite3_changes(d->db) == 0) {
        SqlStatement add(d->db, "INSERT INTO meta(key, value) VALUES('timeline_bins', ?)");
        add.bindText(1, json);
        if (!add.ok() || add.step() != SQLITE_DONE)
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
    }
    b.clearDirty(full);
    d->binsWritten = true;
    d->binsWrittenEvents = m_eventCount;
    d->binsTimer.start();
    return true;
}

bool StoreWriter::loadTimelineBins(QString* error)
{
    // Append: continue the stored summary when it describes exactly the events in the file (the contract's
    // test: its last_position and events match); otherwise (an append by an older build, a version 1 store,
    // a crafted row) rebuild it from the events in one scan of the table, so it is current again after this
    // writer's first commit.
    d->bins = TimelineBins{};
    bool current = false;
    if (d->schemaVersion >= 2) {
        QByteArray value;
        {
            SqlStatement st(d->db, "SELECT value FROM meta WHERE key='timeline_bins'");
            if (st.ok() && st.next())
                value = st.bytes(0);
        }
        QByteArray compact;
        QList<std::pair<QByteArray, QByteArray>> members;
        if (!value.isEmpty() && compactJson(value, &compact) && jsonObjectMembers(compact, &members)) {
            QHash<QByteArray, QByteArray> m;
            for (const auto& [k, v] : members)
                m.insert(k, v);
            bool okW = false, okN = false, okP = false, okU = false;
            const qint64 width = m.value("width").toLongLong(&okW);
            const qint64 n = m.value("events").toLongLong(&okN);
            const qint64 p = m.value("last_position").toLongLong(&okP);
            const qint64 u = m.value("untimed").toLongLong(&okU);
            const QByteArray axis = m.value("axis");
            const bool timeAxis = axis == "\"time\"";
            if (okW && okN && okP && okU && width > 0 && (width & (width - 1)) == 0 && n == m_eventCount &&
                p == m_lastPosition && u >= 0 && u <= n && (timeAxis || (axis == "\"position\"" && u == 0))) {
                TimelineBins& b = d->bins;
                b.timeAxis = timeAxis;
                while ((qint64(1) << b.shift) < width)
                    ++b.shift;
                b.untimedEvents = timeAxis ? u : n;
                b.lastPosition = p;
                SqlStatement st(d->db, "SELECT bin, type, events FROM timeline_bins");
                while (st.ok() && st.next())
                    b.load(st.int64(0), st.int64(1), st.int64(2));
                current = st.done() && b.valid && b.total() == n;
            }
        }
    }
    if (current) {
        d->bins.clearDirty(true);
        return true;
    }
    d->bins = TimelineBins{};
    SqlStatement st(d->db, "SELECT position, time, type FROM events");
    if (!st.ok())
        {
        if (error)
            *error = store::describeError(d->db, st.rc());
        return false;
    }
    sqlite3_stmt* h = st.handle();
    int rc;
    while ((rc = sqlite3_step(h)) == SQLITE_ROW)
        d->bins.add(sqlite3_column_int64(h, 0), sqlite3_column_type(h, 1) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(h, 1),
                    sqlite3_column_int64(h, 2));
    if (rc != SQLITE_DONE) {
        if (error)
            *error = store::describeError(d->db, rc);
        return false;
    }
    d->bins.rebinned = true;  // written whole at the first commit
    return true;
}

void StoreWriter::setCheckpointFoldLimits(qint64 loggedEvents, qint64 rowBytes)
{
    if (!d)
        return;
    d->foldLogLimit = size_t(std::max<qint64>(0, loggedEvents));
    d->foldReadLimit = std::max<qint64>(0, rowBytes);
    if (d->foldLog.size() > d->foldLogLimit) {
        d->foldLogOff = true;
        d->dropFoldLog();
    }
}

bool StoreWriter::streamVersionIndexFromLog() const
{
    return d && d->indexFromLog;
}

void StoreWriter::refuseIndexSwapForTests()
{
    if (d)
        d->refuseIndexSwap = true;
}

qint64 StoreWriter::checkpointStreamsFoldedDuringIndexBuild() const
{
    return d ? d->foldedAside : 0;
}

namespace {
// The text SQLite keeps for events_stream_version, taken from the reference schema (so it is byte for byte what
// CREATE INDEX would have stored).
QByteArray streamVersionIndexSql()
{
    static const QByteArray sql = [] {
        QByteArray text;
        if (sqlite3* ref = store::openReferenceSchema(true)) {
            {
                SqlStatement st(ref, "SELECT sql FROM sqlite_schema WHERE type='index' AND name='events_stream_version'");
                if (st.ok() && st.next())
                    text = st.text(0).toUtf8();
            }
            sqlite3_close(ref);
        }
        return text;
    }();
    return sql;
}
} // namespace

// finish(): the (stream, version) index's entries in index order, sorted from a complete log (sortIndexFromLog).
struct StoreWriter::SortedIndex
{
    struct Entry
    {
        qint64 version, position;
    };
    std::vector<Entry> entries;
    std::vector<quint32> runEnd;  ///< stream id -> the end of its run in entries (runs in id order)
};

bool StoreWriter::sortIndexFromLog(SortedIndex* out) const
{
    // Bulk create with every event in the log: a counting sort by stream id (ids are 1..nextStreamId-1), which keeps
    // each stream's events in the order they came; a stream whose versions did not come in order is sorted by
    // version. O(events), against SQLite's comparison sort of the records read back from the table.
    if (m_appendMode || d->indexesBuilt || d->foldLogOff || d->foldLog.empty() || qint64(d->foldLog.size()) != m_eventCount ||
        d->foldLog.size() >= size_t(std::numeric_limits<quint32>::max()))
        return false;
    const size_t ids = size_t(d->nextStreamId);
    std::vector<quint32> start(ids + 1, 0);
    for (const Impl::LoggedEvent& e : d->foldLog) {
        if (e.stream < 1 || size_t(e.stream) >= ids)
            return false;
        ++start[size_t(e.stream)];
    }
    quint32 sum = 0;
    for (quint32& c : start) {
        const quint32 n = c;
        c = sum;
        sum += n;
    }
    std::vector<SortedIndex::Entry>& entries = out->entries;
    entries.resize(d->foldLog.size());
    for (const Impl::LoggedEvent& e : d->foldLog)
        entries[start[size_t(e.stream)]++] = {e.version, e.position};
    // start[id] is now the end of stream id's run, the start of the next one.
    auto byVersion = [](const SortedIndex::Entry& a, const SortedIndex::Entry& b) { return a.version < b.version; };
    quint32 from = 0;
    for (size_t id = 0; id < ids; ++id) {
        const auto first = entries.begin() + from, last = entries.begin() + start[id];
        if (!std::is_sorted(first, last, byVersion))
            std::sort(first, last, byVersion);
        from = start[id];
    }
    out->runEnd = std::move(start);
    return true;
}

bool StoreWriter::writeIndexFromLog(SortedIndex sorted, QString* error)
{
    // SQLite builds an index only from its own scan and sort. The entries sorted above are written in index order
    // into a WITHOUT ROWID table keyed by (stream, version) with the position last, whose B-tree is, page for page,
    // an index on events(stream, version): the same record (the two keys, then the rowid) in an index B-tree. Its
    // schema row then becomes the index's, with the text CREATE INDEX stores, by the documented procedure for schema
    // changes ALTER TABLE cannot make (writable_schema, then a new schema cookie); docs/store.md "Writing".
    // Each INSERT puts its entry where the key belongs, so the order is a matter of speed, not of correctness: in key
    // order every entry is added at the B-tree's right edge and each page is filled once. No duplicate can be met
    // (the load checked them); one would fail the INSERT like CREATE UNIQUE INDEX.
    const QByteArray indexSql = streamVersionIndexSql();
    if (indexSql.isEmpty())
        return fail(error, QStringLiteral("the index's schema text is unavailable"));
    if (!beginIfNeeded(error) ||
        !store::exec(d->db, "CREATE TABLE chronoscope_index_build(stream INTEGER NOT NULL, version INTEGER NOT NULL, "
                            "position INTEGER NOT NULL, PRIMARY KEY(stream, version)) WITHOUT ROWID", error))
        return false;
    {
        IntTripleInserter rows(d->db, "INSERT INTO chronoscope_index_build(stream, version, position) VALUES(?,?,?)", 64);
        if (!rows.ok())
            return fail(error, store::describeError(d->db, sqlite3_errcode(d->db)));
        size_t id = 0;  // the stream of entry i: runs are in id order
        for (size_t i = 0; i < sorted.entries.size(); ++i) {
            while (sorted.runEnd[id] <= i)
                ++id;
            if (!rows.add(qint64(id), sorted.entries[i].version, sorted.entries[i].position))
                break;
        }
        if (!rows.finish())
            return fail(error, store::describeError(d->db, rows.rc()));
    }
    // The swap. Where SQLite refuses it (a build whose defensive mode forbids writable_schema), the table goes and
    // CREATE INDEX builds the index as before: slower, the same file.
    qint64 cookie = -1;
    {
        SqlStatement st(d->db, "PRAGMA schema_version");
        if (st.ok() && st.next())
            cookie = st.int64(0);
    }
    bool swapped = false;
    if (cookie >= 0 && (d->refuseIndexSwap || store::exec(d->db, "PRAGMA writable_schema=ON", nullptr))) {
        SqlStatement swap(d->db, "UPDATE sqlite_schema SET type='index', name='events_stream_version', tbl_name='events', "
                                 "sql=?1 WHERE type='table' AND name='chronoscope_index_build'");
        if (swap.ok()) {
            swap.bindText(1, indexSql);
            swapped = swap.step() == SQLITE_DONE && sqlite3_changes(d->db) == 1;
        }
    }
    if (swapped && !store::exec(d->db, QByteArray("PRAGMA schema_version=" + QByteArray::number(cookie + 1)).constData(), error))
        return false;
    if (!store::exec(d->db, "PRAGMA writable_schema=OFF", error))
        return false;
    if (!swapped)
        return store::exec(d->db, "DROP TABLE chronoscope_index_build", error);
    d->indexFromLog = true;
    return true;
}

bool StoreWriter::prepareFoldJob(QString* error)
{
    // Bulk create, before the index build: the events of the streams long enough for a checkpoint, those captured
    // during the load plus the first ones read by the positions the load logged (no (stream, version) index yet),
    // read in position order (neighbouring rows share pages) while the rows read stay within foldReadLimit (and
    // those captured within another). A stream with events outside the log, or whose reads would pass the limit, is left to
    // writeCheckpoints() after the index build.
    d->foldJob.reset();
    d->foldedAside = 0;
    const int every = d->options.checkpointEvery;
    if (m_appendMode || d->foldLog.empty()) {
        d->dropFoldLog();
        return true;
    }
    struct Long
    {
        qint64 events = 0;
        qint64 logged = 0;
        bool dropped = false;
        size_t capturedRows = 0;
        size_t nextCaptured = 0;
        qint64 readBytes = 0;
        std::vector<FoldJob::Row> rows;
    };
    std::unordered_map<qint64, Long> longOnes;
    {
        SqlStatement st(d->db, "SELECT id, events FROM streams WHERE events > ?");
        if (!st.ok())
            return fail(error, store::describeError(d->db, st.rc()));
        sqlite3_bind_int64(st.handle(), 1, every);
        while (st.next())
            longOnes[st.int64(0)].events = st.int64(1);
        if (!st.done())
            return fail(error, store::describeError(d->db, st.rc()));
    }
    for (const auto& [stream, position, version] : d->foldLog) {
        const auto it = longOnes.find(stream);
        if (it != longOnes.end())
            ++it->second.logged;
    }
    qint64 bytes = 0;
    for (auto& [id, l] : longOnes) {
        l.dropped = l.logged != l.events;  // some of its events came after the log was full
        if (l.dropped)
            continue;
        // The copied rows first (the fold sorts by version anyway), then room for exactly the ones read back.
        if (const auto c = d->captured.find(id); c != d->captured.end()) {
            l.rows = std::move(c->second);
            d->captured.erase(c);
        }
        l.capturedRows = l.rows.size();
        l.rows.reserve(size_t(l.events));
    }
    d->captured = {};
    SqlStatement read(d->db, "SELECT version, position, time, data FROM events WHERE position=?");
    if (!read.ok())
        return fail(error, store::describeError(d->db, read.rc()));
    sqlite3_stmt* h = read.handle();
    for (const auto& [stream, position, version] : d->foldLog) {
        const auto it = longOnes.find(stream);
        if (it == longOnes.end() || it->second.dropped)
            continue;
        Long& l = it->second;
        if (l.nextCaptured < l.capturedRows && l.rows[l.nextCaptured].position == position) {
            ++l.nextCaptured;  // copied during the load (in position order)
            continue;
        }
        sqlite3_bind_int64(h, 1, position);
        if (sqlite3_step(h) != SQLITE_ROW) {
            const int rc = sqlite3_errcode(d->db);
            sqlite3_reset(h);
            return fail(error, store::describeError(d->db, rc));
        }
        FoldJob::Row r;
        r.version = sqlite3_column_int64(h, 0);
        r.position = sqlite3_column_int64(h, 1);
        r.time = sqlite3_column_type(h, 2) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(h, 2);
        const char* data = static_cast<const char*>(sqlite3_column_blob(h, 3));
        r.null = !data;
        if (data)
            r.data = QByteArray(data, sqlite3_column_bytes(h, 3));
        sqlite3_reset(h);
        bytes += r.cost();
        l.readBytes += r.cost();
        if (bytes > d->foldReadLimit) {
            // Over the limit: this stream folds after the index build; what it read is given back.
            l.dropped = true;
            bytes -= l.readBytes;
            l.rows = {};
            continue;
        }
        l.rows.push_back(std::move(r));
    }
    d->dropFoldLog();
    auto job = std::make_unique<FoldJob>();
    job->every = every;
    for (auto& [id, l] : longOnes)
        if (!l.dropped)
            job->rows.emplace(id, std::move(l.rows));
    d->foldedAside = qint64(job->rows.size());
    if (!job->rows.empty())
        d->foldJob = std::move(job);
    return true;
}

bool StoreWriter::finish(QString* error)
{
    if (m_done || !d->db)
        return fail(error, QStringLiteral("the store is already closed"));
    QString err;
    auto bail = [&](const QString& what) {
        fail(error, what);
        abort();
        return false;
    };
    StageTimes times("finish");
    if (d->evictions > 0)
        times.note("stream cache evictions during the load (cpu)", d->evictionCpu * 1e3);
    if (!flushPending(&err) || !flushSummaries(&err))
        return bail(err);
    times.mark("stream summaries");
    // The rows for the second thread's fold are read back, and the index sorted, with SQLite's page cache at 1 MB
    // (the load's pages are written out and given back first), so the fold's rows take the cache's place.
    bool binsDone = m_appendMode;
    if (!d->indexesBuilt) {
        // A complete log of the load gives the (stream, version) index in its order without SQLite's sorter
        // (writeIndexFromLog); it is sorted now, before prepareFoldJob() gives the log back.
        SortedIndex sorted;
        const bool fromLog = sortIndexFromLog(&sorted);
        times.mark(fromLog ? "index entries sorted from the log" : "no complete log");
        if (!commit(&err) || !setCacheKib(d->db, kSortRunKib, &err) || !prepareFoldJob(&err))
            return bail(err);
        times.mark("commit, fold rows read back");
        // CREATE INDEX sorts the keys in runs of the page cache's size, then merges the runs. Runs of 1 MB stay in
        // the CPU's cache and sort about twice as fast as one 64 MB run (whose list merge misses the cache on every
        // step): 0.7 s instead of 1.3 s of CPU for the (stream, version) index of 1M events (docs/import.md).
        // The long streams' checkpoints fold on a second thread while this one builds the indexes and writes the
        // timeline summary (the fold needs no SQLite: prepareFoldJob read its rows); writeCheckpoints() stores
        // what it folded.
        std::thread folder;
        if (d->foldJob)
            folder = std::thread([job = d->foldJob.get()] {
                StageTimes folding("finish");
                job->run();
                folding.mark("checkpoint fold (second thread)");
            });
        auto joinFolder = qScopeGuard([&folder] {
            if (folder.joinable())
                folder.join();
        });
        // PRAGMA threads: SQLite's sorter hands each full run to a helper thread to sort and write while this one
        // goes on reading the table (docs/scale.md "Import speed": a few percent, measured quiet).
        const bool built = (!fromLog || writeIndexFromLog(std::move(sorted), &err)) && store::exec(d->db, "PRAGMA threads=1", &err) &&
                           store::exec(d->db, store::kCreateIndexes, &err) &&
                           setCacheKib(d->db, d->cacheKib, &err) && store::exec(d->db, "PRAGMA threads=0", &err);
        times.mark("indexes");
        if (!built)
            return bail(QStringLiteral("cannot build the indexes (%1)").arg(err));
        d->indexesBuilt = true;
        if (!writeTimelineBins(&err))
            return bail(err);
        binsDone = true;
        times.mark("timeline summary");
        if (folder.joinable())
            folder.join();
        times.mark("waited for the fold");
    }
    if (!writeCheckpoints(&err))
        return bail(err);
    times.mark("checkpoints written");
    if (!binsDone && !writeTimelineBins(&err))
        return bail(err);
    if (!binsDone)
        times.mark("timeline summary");

    QHash<QString, QString> meta = d->meta;
    meta.insert(QStringLiteral("format"), QString::fromLatin1(store::kFormatName));
    meta.insert(QStringLiteral("schema_version"), QString::number(store::kSchemaVersion));
    meta.insert(QStringLiteral("checkpoint_every"), QString::number(d->options.checkpointEvery));
    if (!m_appendMode) {
        // "merge" checkpoint states keep every number's text (json/jsonvalue.h). Appending to a store
        // without this key leaves it without: its older checkpoints are lossy and stay unused.
        meta.insert(QStringLiteral("checkpoint_numbers"), QStringLiteral("as-written"));
        meta.insert(QStringLiteral("created_at"), formatTime(QDateTime::currentMSecsSinceEpoch()));
        if (!meta.contains(QStringLiteral("created_by")))
            meta.insert(QStringLiteral("created_by"),
                        QStringLiteral("chronoscope %1 (%2)")
                            .arg(QCoreApplication::applicationVersion(), QCoreApplication::applicationName())
                            .simplified());
    } else {
        meta.insert(QStringLiteral("updated_at"), formatTime(QDateTime::currentMSecsSinceEpoch()));
    }
    // Never record a secret, whoever filled in the meta.
    for (const QString& key : {QStringLiteral("source_uri"), QStringLiteral("source")})
        if (meta.contains(key))
            meta.insert(key, redactUri(meta.value(key)));
    {
        SqlStatement put;
        if (!put.prepare(d->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?,?)", kPersistent))
            return bail(store::describeError(d->db, sqlite3_errcode(d->db)));
        for (auto it = meta.cbegin(); it != meta.cend(); ++it) {
            const QByteArray k = it.key().toUtf8(), v = it.value().toUtf8();
            sqlite3_bind_text(put.handle(), 1, k.constData(), int(k.size()), SQLITE_STATIC);
            sqlite3_bind_text(put.handle(), 2, v.constData(), int(v.size()), SQLITE_STATIC);
            const int rc = sqlite3_step(put.handle());
            sqlite3_reset(put.handle());
            if (rc != SQLITE_DONE)
                return bail(store::describeError(d->db, rc));
        }
    }
    if (!store::exec(d->db,
                     QStringLiteral("PRAGMA user_version=%1; PRAGMA application_id=%2")
                         .arg(store::kSchemaVersion)
                         .arg(store::kApplicationId)
                         .toUtf8()
                         .constData(),
                     &err))
        return bail(err);
    d->binsForce = true;  // append mode: the summary is written with the last commit, current when finished
    if (!commit(&err))
        return bail(err);
    // Statistics for the query planner (sampled, so it stays cheap on big stores).
    times.mark("meta, commit");
    if (!m_appendMode &&
        !store::exec(d->db, "PRAGMA analysis_limit=1000; ANALYZE; PRAGMA journal_mode=DELETE;", &err))
        return bail(err);
    d->close();
    times.mark("analyze, close");

    if (m_appendMode) {
        m_done = true;
        return true;
    }
    if (QFileInfo::exists(m_path) && !m_overwrite)
        return bail(QStringLiteral("already exists (it appeared while the store was being written)"));
    if (std::rename(QFile::encodeName(m_partialPath).constData(), QFile::encodeName(m_path).constData()) != 0)
        return bail(QStringLiteral("cannot move the finished store into place (%1)").arg(QString::fromLocal8Bit(std::strerror(errno))));
    m_done = true;
    return true;
}

void StoreWriter::abort()
{
    if (m_done)
        return;
    m_done = true;
    if (d && d->db) {
        if (m_appendMode && d->inTransaction)
            store::exec(d->db, "ROLLBACK", nullptr);
        d->close();
    }
    if (!m_appendMode && !m_partialPath.isEmpty())
        QFile::remove(m_partialPath);
}

} // namespace chronoscope
