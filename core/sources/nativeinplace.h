#pragma once
// In-place exploration of a native store (a .chronoscope SQLite file): the RemoteFirstSource calls answered
// by SQLite over the store's own indexes, so nothing of the store is copied or indexed ahead. The density of
// the whole store comes from the write-time summary (`timeline_bins`, docs/store.md) when it is current, else
// from one cancellable pass over the `events_time` index whose result is kept in the user's cache directory
// (util/cacheroot.h) so a later open does not scan again. docs/scale.md "In place: native stores".
//
// Read-only: the store is opened as the native reader opens it (SqliteDb: immutable when no WAL content is
// pending, hardened connection, query_only); the only file written is the density cache, under the cache
// root.

#include "sources/remote/remotefirst.h"

#include <QHash>
#include <QSet>
#include <QStringList>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

struct sqlite3;

namespace chronoscope {

class SqliteDb;
class SqlStatement;

class NativeInPlaceSource : public RemoteFirstSource
{
public:
    /// `cacheDir` overrides the cache root (a test's folder); empty: cacheRoot().
    NativeInPlaceSource(const QString& path, const RemoteFirstOptions& options, const QString& cacheDir = {});
    ~NativeInPlaceSource() override;

    bool open(QString* error) override;
    QString layout() const override { return QStringLiteral("chronoscope"); }
    QString describe() const override { return m_path; }
    RemoteAxis axis() const override { return m_axis; }

    bool summary(RemoteSummary* out, QString* error) override;
    bool estimatedDensity(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override;
    bool density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override;
    bool streams(const QString& after, int limit, QList<RemoteStreamCount>* out, QString* error) override;
    bool window(qint64 from, qint64 to, int limit, QList<Event>* out, bool* truncated,
                QString* error) override;
    bool around(qint64 position, int before, int after, QList<Event>* out, QString* error) override;
    QList<IndexAdvice> advice() const override { return m_advice; }

    bool searchStreams(const QString& text, const QString& after, int limit, QList<RemoteStreamCount>* out,
                       QString* error) override;
    bool laneTicks(const QString& stream, qint64 from, qint64 to, int limit, QList<RemoteTick>* out,
                   bool* truncated, QString* error) override;
    /// All lanes of one range together. The window's position bounds first (an index-only pass over
    /// events_time; the summary's ends for the whole store), then either each lane through the (stream,
    /// version) index with the rows outside the bounds skipped in the index, or, when the bounds hold fewer rows
    /// than kScanFactor times what the lanes would read (and at most kScanMaxRows), one pass over the table's
    /// rows between the bounds (sequential pages), kept per lane. The same ticks either way.
    bool lanesTicks(const QStringList& streams, qint64 from, qint64 to, int limit, QList<RemoteLaneTicks>* out,
                    QString* error) override;
    bool streamEvents(const QString& stream, qint64 maxPosition, int limit, QList<Event>* out,
                      bool* truncated, QString* error) override;
    /// From the stream's last usable "merge" checkpoint at or before the cursor (PRIMARY KEY of checkpoints),
    /// then its events after it up to the cursor (events_stream_version). A damaged checkpoint is not used:
    /// the fold starts from the stream's first event and `note` says why (as the replay engine does).
    bool stateAt(const QString& stream, qint64 maxPosition, int limit, StreamStateAt* out,
                 QString* error) override;

    // ---- The category tree (issue 13 item 3): a skip scan over streams_listing, ranges, no LIKE.
    /// Walks the names in byte order, one seek per category (O(categories × log streams)): a category's
    /// names are its own name and the range [cat-, cat.) ('.' is '-' + 1 in BINARY order).
    bool categories(const QString& after, int limit, QList<RemoteCategory>* out, QString* error) override;
    bool categoryStreams(const QString& category, const QString& after, int limit, QList<RemoteStreamCount>* out,
                         QString* error) override;
    /// count(*) and sum(events) over the category's range of streams_listing (covering); cancellable.
    bool categoryCounts(const QString& category, RemoteCategory* out, QString* error) override;
    /// How lanesTicks reads: chosen by cost (Auto), or forced (tests compare each with a full read).
    enum class LaneStrategy { Auto, PerLane, Scan };
    void setLaneStrategy(LaneStrategy strategy) { m_laneStrategy = strategy; }
    /// What the last lanesTicks did (PerLane or Scan).
    LaneStrategy lastLaneStrategy() const { return m_lastLaneStrategy; }
    /// The window scan reads at most this many rows, and only when they are fewer than kScanFactor times the
    /// rows the lanes would read one by one (a row in sequence costs a fraction of one read at random).
    static constexpr qint64 kScanMaxRows = 400000;
    static constexpr qint64 kScanFactor = 16;
    /// The window's position bounds are asked for only when the lanes' streams hold more rows than the window's
    /// events over this (an index entry read in sequence against a row read at random).
    static constexpr double kIndexEntriesPerRow = 32;

    /// A fresh token for the calls that follow (a cancelled token cancels every later call).
    void setCancelToken(const CancelToken& token) { m_options.cancel = token; }

    /// Where the whole-store fine bins came from: "timeline_bins" (the writer's summary), "cache" (an
    /// earlier scan, from the cache file), "scan" (counted by this source), or empty (none yet).
    QString finesSource() const { return m_fineSource; }
    /// The density cache file of this store (it may not exist yet).
    QString cacheFile() const { return m_cacheFile; }
    /// Things worth a status line: an ignored stale `timeline_bins`, a refused cache file, ignored WAL
    /// content.
    QStringList notes() const { return m_notes; }

    /// The fine bins' width rule shared with the writer's `timeline_bins`: the smallest power of two that
    /// keeps floor(hi / W) - floor(lo / W) + 1 <= kMaxFineBins.
    static qint64 fineWidth(qint64 lo, qint64 hi);
    static constexpr qint64 kMaxFineBins = 65536;
    /// Events probed for the whole-store estimate when neither the writer's summary nor the cache has bins.
    static constexpr int kEstimateSamples = 4096;
    /// Fewer probes (a test's small store, so that it samples rather than reads every event).
    void setEstimateSamples(int samples) { m_estimateSamples = std::max(1, samples); }

    struct SearchNeedle; ///< the running search's text, read by the SQL function it registers

private:
    /// Per-bin counts of the whole store at a power-of-two width: bin b covers [b * width, (b + 1) * width).
    struct Fine
    {
        qint64 width = 0;
        qint64 firstBin = 0;
        std::vector<qint64> counts;
        bool valid() const { return width > 0; }
    };
    enum Need { kTimeIndex, kStreamIndex, kListingIndex };

    bool fail(QString* error, const QString& what) const;
    bool sqlFail(QString* error, int rc) const;
    bool cancelled(QString* error) const;
    bool checkRange(qint64 from, qint64 to, int bins, QString* error) const;
    bool ensureSummary(QString* error);
    bool readIndexes(QString* error);
    void adviseAll();
    bool allowed(Need need, QString* error) const;
    bool countEvents(qint64* count, QString* error);
    void loadTimelineBins();
    void ignoreSummary(const QString& why); ///< a note: the writer's summary is not used, and why
    bool loadCache();
    void saveCache();
    QByteArray cacheKey() const;
    bool fullScan(RemoteDensity* d, QString* error);
    bool scanRange(qint64 lo, qint64 hi, RemoteDensity* d, Fine* fine, QString* error);
    void fromFine(const Fine& fine, RemoteDensity* d, bool exact, std::vector<std::pair<qint64, qint64>>* scans) const;
    /// The writer's summary read at open but not yet checked against count(*) of the events (a pass over the
    /// smallest index: seconds on a big store whose pages are not cached). Estimates use it at once; the first
    /// exact density checks it (or finds it checked in the cache file, written by the source that checked it)
    /// and then uses it, or drops it with a note.
    bool checkSummary(QString* error);
    bool estimateFromSample(RemoteDensity* d, QString* error);
    bool readEvents(SqlStatement& q, const QString& knownStream, QList<Event>* out, QString* error);
    QString streamName(qint64 id);
    std::optional<std::pair<qint64, qint64>> streamIdAndCount(const QString& name, QString* error);
    /// What every per-stream call does first (laneTicks, streamEvents, stateAt): the store open, *limit
    /// clamped to at least 1, the stream index allowed, the stream's id. Nothing with *ok false (*error set)
    /// on a failure, nothing with *ok true when there is no such stream (the call answers with nothing).
    std::optional<qint64> streamCall(const QString& stream, int* limit, bool* ok, QString* error);
    QString typeName(qint64 type) const;
    /// The smallest and largest position of the events in [from, to] on the axis (lo > hi: none).
    bool positionBounds(qint64 from, qint64 to, qint64* lo, qint64* hi, QString* error);
    bool listStreams(const QString& text, const QString& after, int limit, QList<RemoteStreamCount>* out,
                     QString* error);

    QString m_path;
    QString m_cacheDir;
    QString m_cacheFile;
    RemoteFirstOptions m_options;
    std::unique_ptr<SqliteDb> m_db;
    RemoteAxis m_axis = RemoteAxis::Time;
    RemoteSummary m_summary;
    bool m_haveSummary = false;
    qint64 m_eventCount = -1; ///< counted (or from a trusted summary); -1: not known
    qint64 m_untimed = -1;    ///< events without a time (time axis); -1: not known
    Fine m_fine;
    QString m_fineSource;
    Fine m_unchecked;               ///< the writer's summary until checkSummary() (then m_fine, or dropped)
    qint64 m_uncheckedEvents = 0;   ///< what its meta row says the store holds
    qint64 m_uncheckedUntimed = 0;
    bool m_haveTimeIndex = false, m_haveStreamIndex = false, m_haveListingIndex = false;
    QList<IndexAdvice> m_advice;
    QHash<int, int> m_adviceFor;
    QStringList m_notes;
    std::vector<QString> m_typeNames;     ///< by type id (small dense ids)
    QHash<qint64, QString> m_typeById;    ///< ids beyond the vector
    QHash<qint64, QString> m_streamNames; ///< a bounded cache of names by id
    QSet<QString> m_truncated;
    std::optional<bool> m_mergeCheckpoints; ///< meta.checkpoint_numbers is "as-written" (read on first use)
    std::unique_ptr<SearchNeedle> m_needle;
    int m_estimateSamples = kEstimateSamples;
    LaneStrategy m_laneStrategy = LaneStrategy::Auto;
    LaneStrategy m_lastLaneStrategy = LaneStrategy::PerLane;
    struct Bounds
    {
        qint64 from = 0, to = -1, lo = 0, hi = -1;
    };
    std::optional<Bounds> m_lastBounds; ///< the last positionBounds (the lanes ask for the same range again)
    std::unique_ptr<SqlStatement> m_scanStmt; ///< scanRange's statement, prepared once
};

/// True when `uri` names a local file (a path, or a file: URI) rather than a server.
bool isLocalStoreUri(const QString& uri);

} // namespace chronoscope
