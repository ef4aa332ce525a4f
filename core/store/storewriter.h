#pragma once
// Writes native store files (docs/store.md): new stores from imports, captures and demo data, and
// appends to stores Chronoscope created itself (caches of remote sources, live tail).
// Writes only the file it is told to create or extend; never touches a store the user opened.

#include "model/event.h"

#include <QByteArrayView>
#include <QHash>

#include <memory>
#include <string_view>

namespace chronoscope {

class StoreWriter
{
public:
    struct Options
    {
        bool bulk = true;               ///< bulk load: secondary indexes are built in finish()
        int checkpointEvery = 100;      ///< persisted "merge" checkpoints every N versions for long streams
        QHash<QString, QString> meta;   ///< recorded in the meta table (source_uri is redacted)
    };

    /// One event as UTF-8 views, valid for the duration of the call (the importer's copy-free path).
    struct RawEvent
    {
        qint64 position = 0;            ///< 0: next global position
        QByteArrayView stream;
        qint64 version = 0;
        bool hasVersion = true;         ///< false: next version of the stream (0 for a new stream)
        QByteArrayView type;
        TimeMs time = kNoTime;
        QByteArrayView id;
        QByteArrayView data;            ///< compact JSON text; empty means null
        QByteArrayView metadata;        ///< compact JSON text; empty means {}
        bool dataIsJson = true;
    };
    /// Duplicate: (stream, version) is taken; Refused: this one event cannot be stored (no next version or
    /// position after 2^63 - 1); both leave the store as it was and the next event may follow. Error: the
    /// store itself failed.
    enum class Status { Ok, Duplicate, Refused, Error };

    ~StoreWriter();

    /// Creates a new store at path. Writes to "<path>.partial" and renames into place in finish(), so a
    /// cancelled or crashed import never leaves a file that looks complete. Refuses to overwrite an
    /// existing file unless overwrite is true (the user asked for that output path).
    static std::unique_ptr<StoreWriter> create(const QString& path, const Options& options, QString* error,
                                               bool overwrite = false);
    /// Opens a store Chronoscope created (a cache or capture) to append more events.
    /// durable=false skips the file syncs on commit: for caches that can be rebuilt (remote reads), where a
    /// commit only has to make the events visible to readers.
    static std::unique_ptr<StoreWriter> openForAppend(const QString& path, QString* error, bool durable = true);

    /// position 0 => next global position; events must come in position order.
    /// A second event with the same (stream, version) is refused (returns false, lastWasDuplicate()).
    bool append(const Event& e, QString* error = nullptr);
    /// The same, without copies; the importer's path. Duplicate (stream, version) gives Status::Duplicate.
    Status appendRaw(const RawEvent& e, QString* error = nullptr);
    bool lastWasDuplicate() const { return m_lastDuplicate; }
    /// A hint for a bulk of appends (the importer calls it for the events of a batch a few ahead): the stream
    /// named `name` is looked up soon, so its place in the writer's stream table (state false, ~16 events ahead) or
    /// its state (state true, ~4 ahead) is brought into the CPU's cache. With tens of thousands of streams every
    /// lookup missed the cache twice (docs/scale.md "Import speed"). Changes nothing; any name is fine.
    void prefetchStream(QByteArrayView name, bool state) const;
    /// The global position the next event with position 0 gets.
    qint64 nextPosition() const { return m_lastPosition + 1; }
    /// The last global position written (0 before the first); unlike nextPosition() defined at 2^63 - 1.
    qint64 lastPosition() const { return m_lastPosition; }

    bool commit(QString* error = nullptr);  ///< make appended events visible to readers

    /// Append mode: stop maintaining the secondary indexes (events by stream and version, by time) for a bulk of
    /// appends: they are dropped (committed at once) and duplicates are checked in memory, as in a bulk create;
    /// buildIndexes() or finish() builds them again in one pass. Readers meanwhile see every committed event,
    /// only their queries by stream or time scan instead of seeking. For a remote cache's initial read
    /// (docs/remote.md "Budgets"): per event, updating two B-trees costs more than the insert itself.
    bool suspendIndexes(QString* error = nullptr);
    /// Commits what is pending and builds the secondary indexes if they are missing (no-op otherwise).
    bool buildIndexes(QString* error = nullptr);
    bool indexesSuspended() const;
    bool finish(QString* error = nullptr);  ///< indexes, stream summary, checkpoints, meta, user_version, rename
    void abort();                           ///< drop the partial file (create) or roll back (append)

    void setMeta(const QString& key, const QString& value);
    /// Recorded in the issues table (import warnings; shown by readers in StoreInfo::warnings).
    void addIssue(const QString& file, qint64 line, const QString& message);
    qint64 eventCount() const { return m_eventCount; }
    qint64 streamCount() const;

    /// Bounded memory: the writer holds at most this many streams' states (name, id, summary) in memory; when
    /// full, the least recently appended half is written to the streams table and read back by name when
    /// met again. About 200 B a stream: the default keeps the cache under ~60 MB whatever the store's size.
    static constexpr qint64 kDefaultStreamCacheLimit = 262144;
    /// Bulk mode checks duplicates in memory; streams whose versions have gaps keep a set of them. Above this
    /// many versions in all sets, the (stream, version) index is built at once and checks the rest.
    static constexpr qint64 kDefaultVersionSetLimit = 2000000;
    void setStreamCacheLimit(qint64 streams, qint64 versions = kDefaultVersionSetLimit);
    /// Bulk create: whether events_time is being kept up to date as events are appended (true from the start; false
    /// once the times came too far out of order, then finish() builds it after the load, or once all indexes exist).
    bool timeIndexKeptDuringLoad() const;
    /// Bulk create: finish() folds the checkpoints of the long streams on a second thread while it builds the
    /// indexes. The load logs each event's (stream, position, version), at most loggedEvents of them (24 B each,
    /// 30 MB), and copies the events of a stream past its checkpointEvery-th, at most rowBytes of them;
    /// finish() reads the rest by position, at most rowBytes more. Streams beyond a limit fold after the index build,
    /// on the connection; either way the checkpoints are the same bytes (tests set small limits). A log that fills is
    /// given back at once with the copied rows (a big load folds every stream after the index build). A complete
    /// log also gives the (stream, version) index in order (streamVersionIndexFromLog). Both limits are
    /// part of the writer's memory budget (≤ 300 MB whatever the size; docs/scale.md "Writing big stores").
    static constexpr qint64 kDefaultFoldLogLimit = 1250000;
    static constexpr qint64 kDefaultFoldReadLimit = 32 << 20;
    void setCheckpointFoldLimits(qint64 loggedEvents, qint64 rowBytes = kDefaultFoldReadLimit);
    /// Whether finish() wrote the (stream, version) index from the load's log (in index order, without SQLite's
    /// sorter) rather than with CREATE INDEX: a bulk create whose every event is in the log.
    bool streamVersionIndexFromLog() const;
    /// Tests: finish() meets the refusal a SQLite build whose defensive mode forbids writable_schema gives (the swap's
    /// UPDATE fails), and falls back to CREATE INDEX.
    void refuseIndexSwapForTests();
    /// Streams whose checkpoints finish() folded on the second thread (0 before finish()).
    qint64 checkpointStreamsFoldedDuringIndexBuild() const;
    /// Streams held in memory now (<= the limit).
    qint64 cachedStreamCount() const;
    /// Bytes of SQLite's page cache this writer's connection holds now (SQLITE_DBSTATUS_CACHE_USED). A new store's
    /// cache is kPageCacheBytes, part of the writer's memory budget.
    qint64 pageCacheBytes() const;
    static constexpr qint64 kPageCacheBytes = 16 << 20;
    /// Versions held in the streams' version sets now (<= the version limit).
    qint64 versionSetEntries() const;
    /// How many times the cache wrote out its least recently used half.
    qint64 streamCacheEvictions() const;
    /// How many times a stream not in the cache was looked up in the streams table by name. A new store looks up only
    /// names it wrote out of the cache (and a few false positives of its filter of them); appending looks up each.
    qint64 streamNameLookups() const;
    /// Append mode: when commit() also writes the timeline summary (docs/store.md "Timeline summary"). Always at
    /// this writer's first commit, in buildIndexes() and in finish(); otherwise at a commit when events came since
    /// its last write and either at least intervalMs passed since or at most fewEvents came (a live tail's commits).
    /// Between writes the stored summary and its meta row stay as they were, which readers see is stale (its
    /// event count and last position are not the store's). (0, 0): at every commit that adds events.
    void setTimelineSummaryTiming(qint64 intervalMs, qint64 fewEvents);
    static constexpr qint64 kDefaultTimelineSummaryIntervalMs = 5000;
    static constexpr qint64 kDefaultTimelineSummaryFewEvents = 1000;
    QString path() const { return m_path; }

private:
    StoreWriter() = default;
    struct Impl;
    bool beginIfNeeded(QString* error);
    /// Writes the changed stream summaries; with `usedBefore` >= 0 (a new store's eviction) only those of the streams
    /// it is about to write out of the cache (no version set, last used before it).
    bool flushSummaries(QString* error, qint64 usedBefore = -1);
    bool flushPending(QString* error);
    bool noteTime(TimeMs time, QString* error);
    bool prepareFoldJob(QString* error);
    struct SortedIndex;
    bool sortIndexFromLog(SortedIndex* out) const;
    bool writeIndexFromLog(SortedIndex sorted, QString* error);
    bool writeCheckpoints(QString* error);
    bool writeTimelineBins(QString* error);
    bool timelineSummaryDue();
    bool loadTimelineBins(QString* error);
    /// The cache index of the stream named `name`: loaded from the streams table when it is there, a new stream
    /// when create is true. -1: no such stream (create false); -2: the store failed (*error).
    qint64 streamIndexFor(std::string_view name, bool create, QString* error);
    bool evictStreams(QString* error);
    bool fail(QString* error, const QString& what);

    std::unique_ptr<Impl> d;
    QString m_path;
    QString m_partialPath;
    bool m_appendMode = false;
    bool m_overwrite = false;
    bool m_done = false;
    bool m_lastDuplicate = false;
    qint64 m_lastPosition = 0;
    qint64 m_eventCount = 0;
};

} // namespace chronoscope
