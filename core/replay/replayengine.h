#pragma once
// The replay engine: the state of a stream at any point, by the default projection (RFC 7386 merge
// of each event's data in version order, from {}). Synchronous; the CLI calls it directly and
// ReplayService runs it on a worker thread for the views. See docs/replay.md.

#include "replay/blame.h"
#include "model/event.h"
#include "store/eventreader.h"
#include "util/progress.h"

#include <QJsonArray>
#include <QJsonValue>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

namespace chronoscope {

class CheckpointCache;

struct StateResult
{
    QJsonValue state;                ///< {} before any event
    std::optional<Event> lastEvent;  ///< the last event applied (at or before the point)
    qint64 eventsApplied = 0;        ///< events folded in this call (from checkpoint or start)
    bool fromCheckpoint = false;
    QString error;                   ///< non-empty on failure or cancel
    bool ok() const { return error.isEmpty(); }
};

/// The state just before and just after one event, and the patch between them
/// ("paths changed by the event at the cursor").
struct EventChange
{
    std::optional<Event> event;
    QJsonValue before;
    QJsonValue after;
    QJsonArray patch;  ///< diffJson(before, after)
    QString error;
    bool ok() const { return error.isEmpty(); }
};

/// The states at two points of one stream and the RFC 6902 patch from the first to the second.
struct StateDiff
{
    QJsonValue from;
    QJsonValue to;
    QJsonArray patch;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

struct ReplayOptions
{
    /// In-memory checkpoints are kept at the last event of every block of this many versions.
    qint64 checkpointInterval = 256;
    /// Bound on the estimated compact-JSON size of all in-memory checkpoints together.
    qint64 cacheBudgetBytes = qint64(64) << 20;
    /// Bound on their number.
    qsizetype maxCheckpoints = 4096;
};

class ReplayEngine
{
public:
    /// The projection name under which the default fold's checkpoints are persisted.
    static inline const QString kProjection = QStringLiteral("merge");

    explicit ReplayEngine(EventReader& reader, ReplayOptions options = {});
    ~ReplayEngine();
    ReplayEngine(const ReplayEngine&) = delete;
    ReplayEngine& operator=(const ReplayEngine&) = delete;

    /// Version v: the fold of the stream's events with version <= v. Position p: of its events with
    /// position <= p. Time t: of its events with time <= t. End: of all. Where versions, positions and
    /// times grow together (any well-formed stream) that is "the state after the stream's last event
    /// at or before the point"; see docs/replay.md for streams where they do not.
    StateResult stateAt(const QString& stream, const Point& point, const CancelToken& cancel = {});
    /// The states around the stream's event with this version (the last one, should versions repeat).
    EventChange changeAt(const QString& stream, qint64 version, const CancelToken& cancel = {});
    /// The states around a given event (before = state at version - 1, after = before + its data).
    EventChange changeAt(const Event& event, const CancelToken& cancel = {});
    StateDiff diff(const QString& stream, const Point& from, const Point& to, const CancelToken& cancel = {});
    /// The event that last changed the value at jsonPointer in the state at point (see docs/replay.md).
    BlameResult blame(const QString& stream, const QString& jsonPointer, const Point& point,
                      const CancelToken& cancel = {});

    /// Drops the in-memory checkpoints (call when the reader's contents changed in a way that rewrote history).
    void clearCache();
    qsizetype cachedCheckpoints() const;
    qint64 cachedBytes() const;
    EventReader& reader() { return m_reader; }

private:
    struct Bound;
    struct Start;
    struct Fold;
    using Probe = std::function<void(const Event&, const QJsonValue& stateAfter)>;

    static Bound boundOf(const Point& point);
    Start startFor(const QString& stream, const Bound& bound, qint64 maxStartVersion);
    bool fold(const QString& stream, Start& start, const Bound& bound, const CancelToken& cancel, const Probe& probe,
              Fold& out);
    void remember(const QString& stream, const Fold& f, qint64& estimate, qint64& measured);
    std::optional<Event> eventWithVersion(const QString& stream, qint64 version, QString* error);
    bool streamExists(const QString& stream, QString* error);
    QString unknownStream(const QString& stream) const;

    EventReader& m_reader;
    ReplayOptions m_options;
    std::unique_ptr<CheckpointCache> m_cache;
    QSet<QString> m_knownStreams;
    QSet<QString> m_unordered;  ///< streams seen with versions going backwards: never cached
};

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::StateResult)
Q_DECLARE_METATYPE(chronoscope::EventChange)
