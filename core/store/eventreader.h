#pragma once
// The one reading interface. Every source (native store, foreign SQLite layouts, caches of files and
// remote stores) ends up behind it; replay, timeline, diff and the CLI know nothing else.

#include "model/event.h"

#include <functional>
#include <memory>

namespace chronoscope {

/// A persisted fold of one stream up to and including `version` (see docs/store.md, table checkpoints).
struct Checkpoint
{
    QString projection;  ///< "merge" for the default RFC 7386 projection
    QString stream;
    qint64 version = 0;
    qint64 position = 0;
    TimeMs time = kNoTime;
    QByteArray state;    ///< compact JSON
};

/// Return false to stop the read early.
using EventCallback = std::function<bool(const Event&)>;
/// One event's position and metadata bytes (valid only during the call). Return false to stop early.
using MetadataCallback = std::function<bool(qint64 position, QByteArrayView metadata)>;

class EventReader
{
public:
    virtual ~EventReader() = default;

    virtual StoreInfo info() = 0;
    /// All streams, ordered by name. Cheap: served from a summary, not by scanning events.
    virtual QList<StreamInfo> streams() = 0;
    /// The same streams in the same order, one at a time (sink returns false to stop): a listing of millions
    /// of streams without holding them all. Readers that page through a store override it; the default
    /// walks streams(). False with *error when the listing failed part way (streams delivered stay valid).
    virtual bool forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error = nullptr);
    /// Streams the given events in query order. Returns false with *error set on failure
    /// (events already delivered stay valid).
    virtual bool read(const EventQuery& query, const EventCallback& sink, QString* error = nullptr) = 0;
    /// Number of events matching the query (the limit is ignored).
    virtual qint64 count(const EventQuery& query, QString* error = nullptr);
    /// The event at a global position.
    virtual std::optional<Event> eventAt(qint64 position, QString* error = nullptr);
    /// The last persisted checkpoint of `projection` for `stream` at or before `point`, when the store keeps
    /// them (the native store does for long streams; other readers return nullopt and replay folds from the start).
    virtual std::optional<Checkpoint> checkpointBefore(const QString& projection, const QString& stream,
                                                       const Point& point);
    /// A second, independent reader on the same store, for use on another thread.
    /// Readers are not thread-safe; each thread uses its own.
    virtual std::unique_ptr<EventReader> clone(QString* error = nullptr) = 0;

    /// Every event's position and metadata in position order, and nothing else: the scan behind indexes of
    /// metadata (story's correlation index). Readers that can leave the payload unread override it (the
    /// native store does); the default reads whole events.
    virtual bool scanMetadata(const MetadataCallback& sink, QString* error = nullptr);

    /// Collects a query into a list (for small reads and tests).
    QList<Event> readAll(const EventQuery& query, QString* error = nullptr);
};

} // namespace chronoscope
