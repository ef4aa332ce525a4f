#pragma once
// Remote-first reading: a store too big to copy is explored where it lives. The server computes the
// timeline's density (a bucketed GROUP BY), the stream list and the counts; events come over only for
// the window on screen and the cursor's neighbourhood, and what came over is kept in a size-limited LRU
// (EventLruCache), never a copy of the store. Where the server lacks the index a query needs, the source
// says which one would make it fast (IndexAdvice) instead of scanning silently. Read-only toward the
// server, always: it suggests indexes, it never creates them. docs/remote.md "Remote-first mode".
// Today: the PostgreSQL family (Message DB, Marten, Emmett, Python eventsourcing).

#include "model/event.h"
#include "util/progress.h"

#include <QHash>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <list>
#include <memory>

namespace chronoscope {

/// What the density bins and the event windows are measured in: milliseconds since the epoch when the
/// store has a time column, else global positions (Python eventsourcing keeps its time inside the state).
enum class RemoteAxis { Time, Position };

/// Counts per bin over [from, to] (inclusive, in the axis' unit); bin i covers
/// [from + i * binWidth, from + (i + 1) * binWidth), the last one ends at `to`.
struct RemoteDensity
{
    RemoteAxis axis = RemoteAxis::Time;
    qint64 from = 0;
    qint64 to = 0;
    qint64 binWidth = 1;
    QList<qint64> counts;
    /// Rows of the scope before `from` / after `to` (whole-store queries only count them; a window query
    /// reads only its range and leaves them 0).
    qint64 before = 0;
    qint64 after = 0;
    /// True when the counts come from the server's planner statistics (pg_stats histogram and
    /// pg_class.reltuples), not from counting: good enough to paint at once, never shown as a number.
    bool estimated = false;
    qint64 total() const;
    /// The bin of a value (clamped to the bins).
    int binOf(qint64 value) const;
};

struct RemoteStreamCount
{
    QString stream;
    qint64 events = 0;
    qint64 lastVersion = 0; ///< the stream's highest version as stored
};

/// A category of the stream tree; counts -1 until asked (RemoteFirstSource::categoryCounts).
struct RemoteCategory
{
    QString name;
    qint64 streams = -1;
    qint64 events = -1;
};

/// One event of a lane without its payload: enough to paint a tick and to hit-test it.
struct RemoteTick
{
    qint64 position = 0;
    TimeMs time = kNoTime;
    qint64 version = 0;
    QString type;
};

/// One lane's ticks (RemoteFirstSource::lanesTicks): as laneTicks gives them for its stream.
struct RemoteLaneTicks
{
    QString stream;
    QList<RemoteTick> ticks;
    bool truncated = false;
};

struct RemoteSummary
{
    RemoteAxis axis = RemoteAxis::Time;
    qint64 firstPosition = 0; ///< from the primary key (exact)
    qint64 lastPosition = 0;
    /// The time range. Exact (min/max) when the time column leads a btree index; else the times of the first
    /// and last positions widened by the statistics' histogram ends (exactTimeRange = false).
    TimeMs firstTime = kNoTime;
    TimeMs lastTime = kNoTime;
    bool exactTimeRange = false;
    qint64 estimatedEvents = -1;  ///< pg_class.reltuples; -1 when the table was never analysed
    qint64 estimatedStreams = -1; ///< from pg_stats.n_distinct; -1 when unknown
    /// True when estimatedEvents is the exact count (a native store whose events were counted or whose
    /// write-time summary is current).
    bool eventsExact = false;
    /// Events without a time on the time axis (native stores): in no density bin.
    qint64 untimedEvents = 0;
    /// No event at all (in the streams in scope): the ends above mean nothing, every density is zero and every
    /// window empty. Sources answer such requests without asking the store.
    bool empty = false;
};

/// A query the server can only answer by reading the whole table, and the index that would fix it.
struct IndexAdvice
{
    QString query;  ///< what Chronoscope asks: "time-window density", "time-window events", "stream list"
    QString column; ///< the column the query filters, groups or orders by
    QString createIndex; ///< the statement an administrator may run (Chronoscope never runs it)
    QString plan;     ///< the server's plan for the query (EXPLAIN, first line), e.g. "Seq Scan on messages"
    qint64 rows = -1; ///< rows the server would read (a sequential scan: the table's estimated rows)
    QString text() const; ///< one sentence for the status bar / CLI
};

/// A byte-limited LRU of fetched event windows, keyed by the query that fetched them. Holds only what was
/// fetched; an entry bigger than the whole limit is handed out but not kept.
class EventLruCache
{
public:
    explicit EventLruCache(qint64 limitBytes = kDefaultLimit) : m_limit(limitBytes) {}
    static constexpr qint64 kDefaultLimit = 200ll * 1024 * 1024;

    void setLimit(qint64 bytes);
    qint64 limit() const { return m_limit; }
    qint64 bytes() const { return m_bytes; }
    int entries() const { return int(m_order.size()); }
    qint64 hits() const { return m_hits; }
    qint64 misses() const { return m_misses; }

    /// The window stored under key (and marks it most recently used), or null.
    std::shared_ptr<const QList<Event>> get(const QString& key);
    /// Stores a window, evicting the least recently used ones until the total fits the limit.
    std::shared_ptr<const QList<Event>> put(const QString& key, QList<Event> events);
    void clear();

    /// The memory an event takes in the cache (strings, JSON texts and the struct), as counted for the limit.
    static qint64 eventBytes(const Event& e);

private:
    struct Entry
    {
        QString key;
        std::shared_ptr<const QList<Event>> events;
        qint64 bytes = 0;
    };
    void evictTo(qint64 limit);
    std::list<Entry> m_order; ///< most recently used first
    QHash<QString, std::list<Entry>::iterator> m_index;
    qint64 m_limit;
    qint64 m_bytes = 0;
    qint64 m_hits = 0, m_misses = 0;
};

/// What the state of one stream at a position is folded from: the nearest persisted fold of the default
/// projection (a native store's "merge" checkpoint, docs/store.md "Checkpoints") at or before the position,
/// and the stream's events after it up to the position. Without a usable checkpoint: the events from the
/// stream's first one (the newest `limit` of them, as streamEvents).
struct StreamStateAt
{
    bool fromCheckpoint = false;
    qint64 checkpointVersion = 0;  ///< the last version folded into `start`
    qint64 checkpointPosition = 0; ///< the largest position folded into it (<= the position asked)
    QJsonValue start;              ///< the checkpoint's state as stored (numbers kept); undefined without one
    QList<Event> events;           ///< to fold onto `start` (or onto {}), in version order
    bool truncated = false;        ///< older events were left out: the state is partial
    QString note;                  ///< why a stored checkpoint was not used (damaged), for a status line
};

/// How a remote-first source behaves. The URI's query items win over these.
struct RemoteFirstOptions
{
    /// The LRU's size: the caller's setting (the app's remote-first view is to pass its setting here);
    /// the URI's "cache=64MB", "cache=500k", "cache=1048576" wins.
    qint64 cacheLimitBytes = EventLruCache::kDefaultLimit;
    /// A query whose needed index is missing: run it and report the advice (false), or refuse it with
    /// the advice as the error (true; URI "fullscan=refuse", default "fullscan=warn").
    bool refuseFullScans = false;
    CancelToken cancel;
};

/// Parses a cache size: a number of bytes with an optional unit k/KB/KiB, M/MB/MiB, G/GB/GiB (all
/// 1024-based).
bool parseCacheSize(const QString& text, qint64* bytes, QString* error);

class RemoteFirstSource
{
public:
    virtual ~RemoteFirstSource() = default;

    /// Connects, detects the layout and reads the server's catalog (indexes, statistics). Cheap.
    virtual bool open(QString* error) = 0;
    virtual QString layout() const = 0;
    virtual QString describe() const = 0;
    virtual RemoteAxis axis() const = 0;

    /// Positions and time range from the keys, counts from the statistics: no table scan.
    virtual bool summary(RemoteSummary* out, QString* error) = 0;
    /// Density from the server's statistics (no scan), for the first paint. False with *error when the
    /// table has no statistics (never analysed) or the scope filters streams (the statistics are global).
    virtual bool estimatedDensity(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) = 0;
    /// Exact counts per bin, counted by the server. A whole-store range (from/to at the summary's ends or
    /// beyond) counts every row of the scope (before/after included); a narrower one reads its range only.
    virtual bool density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) = 0;
    /// Streams with their event counts, by name after `after` (keyset paging), at most `limit`.
    virtual bool streams(const QString& after, int limit, QList<RemoteStreamCount>* out, QString* error) = 0;
    /// The events of [from, to] on the axis, oldest first, at most `limit` (*truncated when there are more).
    virtual bool window(qint64 from, qint64 to, int limit, QList<Event>* out, bool* truncated,
                        QString* error) = 0;
    /// The cursor's neighbourhood: up to `before` events at or before `position` and `after` events after it.
    virtual bool around(qint64 position, int before, int after, QList<Event>* out, QString* error) = 0;
    /// What the server would need to answer every query above without a whole-table read; also filled as
    /// queries run. Empty when every needed index is there.
    virtual QList<IndexAdvice> advice() const = 0;

    // In-place exploration (the app's windowed view, issue 13). Defaults refuse with *error, so a source
    // that cannot answer one says so instead of scanning.

    /// Streams whose name contains `text` (case-insensitive; empty: every stream), by name after `after`
    /// (keyset paging), at most `limit`. The search runs in the store, never over a local copy of the list.
    virtual bool searchStreams(const QString& text, const QString& after, int limit, QList<RemoteStreamCount>* out,
                               QString* error);
    /// The events of one stream in [from, to] on the axis, oldest first, without payloads, at most `limit`
    /// (*truncated when there are more): a lane's ticks.
    virtual bool laneTicks(const QString& stream, qint64 from, qint64 to, int limit, QList<RemoteTick>* out,
                           bool* truncated, QString* error);
    /// The ticks of several lanes over one range, each exactly as laneTicks gives it, in the order asked. The
    /// default asks laneTicks lane by lane; a store may read them together (a native store: one pass over the
    /// window's rows when that reads less than the lanes would one by one).
    virtual bool lanesTicks(const QStringList& streams, qint64 from, qint64 to, int limit,
                            QList<RemoteLaneTicks>* out, QString* error);
    /// The whole events (payloads included) of one stream with position <= `maxPosition`, in version order,
    /// at most `limit` of the newest (*truncated when older ones were left out): the state at the cursor.
    virtual bool streamEvents(const QString& stream, qint64 maxPosition, int limit, QList<Event>* out,
                              bool* truncated, QString* error);

    /// The state at the cursor as cheaply as the store allows: a native store starts from its nearest
    /// checkpoint (indexed reads only); the default has no checkpoints and returns streamEvents' answer.
    virtual bool stateAt(const QString& stream, qint64 maxPosition, int limit, StreamStateAt* out,
                         QString* error);

    // ---- The category tree (issue 13 item 3): categories listed, their streams paged, counts asked per
    // category. A category is the part of a stream's name before its first '-', the whole name when it has
    // none or starts with one (Event::categoryOf, the full window's rule). Defaults refuse with *error.

    /// Categories after `after` (null: from the first), at most `limit`, in the source's index order (native:
    /// the byte order of each category's first stream name; Message DB: the order of category(stream_name)).
    /// Their counts are left -1: categoryCounts() asks for them one category at a time.
    virtual bool categories(const QString& after, int limit, QList<RemoteCategory>* out, QString* error);
    /// The streams of `category` by name after `after` (null: from the first), at most `limit` (keyset).
    virtual bool categoryStreams(const QString& category, const QString& after, int limit,
                                 QList<RemoteStreamCount>* out, QString* error);
    /// The category's stream and event counts (a range aggregate; may take a while on a huge category: the
    /// caller asks lazily and may cancel).
    virtual bool categoryCounts(const QString& category, RemoteCategory* out, QString* error);

    EventLruCache& cache() { return m_cache; }
    const EventLruCache& cache() const { return m_cache; }

protected:
    EventLruCache m_cache;
};

/// A remote-first source for a URI: postgresql:// / postgres:// (with the scope of its query items: streams=,
/// layout=, schema=, app=, cache=, fullscan=), or a native store explored in place (core/sources/nativeinplace.h):
/// a local path, or a file: URI whose query may carry cache= and fullscan=. Null with *error for another scheme or
/// a bad option. Call open() next.
std::unique_ptr<RemoteFirstSource> createRemoteFirstSource(const QString& uri,
                                                           const RemoteFirstOptions& options, QString* error);

} // namespace chronoscope
