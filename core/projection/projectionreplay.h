#pragma once
// Runs one JsProjection over a reader and moves it to any point of the log. The first pass keeps
// in-memory checkpoints of the serialized state (all partitions) every N handled or M read events,
// so later moves restore the nearest checkpoint and replay a bounded number of events.
// Blame and watchpoints for projections live here too. Single-threaded, like JsProjection.

#include "projection/jsprojection.h"
#include "projection/projectionsource.h"
#include "util/progress.h"

#include <vector>

namespace chronoscope {

struct ReplayTuning
{
    qint64 checkpointEveryHandled = 2048;  ///< a checkpoint after this many handled events…
    qint64 checkpointEveryRead = 16384;    ///< …or this many events read (selectors that filter after reading)…
    qint64 checkpointEveryMs = 15;         ///< …or this much replay time (0: off): a seek then replays about this long
    int maxCheckpoints = 1024;             ///< beyond this, every other checkpoint is dropped and the spacing doubles
    qint64 maxCheckpointBytes = 512LL * 1024 * 1024;
};

struct ProjectionBlame
{
    bool found = false;          ///< false: no event changed the value (it comes from $init, or it does not exist)
    Event event;                 ///< the event whose handlers last changed the value
    QString partition;
    QJsonValue value;            ///< the value at the pointer at the asked position (Undefined when absent)
};

struct WatchHit
{
    bool found = false;
    Event event;                 ///< the event after which the predicate became true
    QString partition;
    ProjectionSnapshot snapshot; ///< the projection's state right after that event
};

class ProjectionReplay
{
public:
    /// Neither is owned; both must outlive the replay and be used on this thread only.
    ProjectionReplay(JsProjection* projection, EventReader* reader, ReplayTuning tuning = {});

    JsProjection* projection() const { return m_projection; }
    /// Last position of the store (read once; refresh() after the store grew).
    qint64 endPosition() const { return m_end; }
    void refresh();

    /// Moves the projection to the state after every event with position <= `position` (kNoLimit: the end).
    bool seek(qint64 position, ProjectionError* error, const CancelToken& cancel = {}, const ProgressFn& progress = {});
    /// seek() and read the state there.
    bool stateAt(qint64 position, ProjectionSnapshot* out, ProjectionError* error, const CancelToken& cancel = {},
                 const ProgressFn& progress = {});
    qint64 position() const { return m_position; }

    /// The position of the last event at or before `time` (0 when none). For --at-time.
    qint64 positionAtTime(TimeMs time, QString* error);

    /// The event whose handlers last changed the value at `pointer` (RFC 6901, into ProjectionSnapshot::view())
    /// at or before `position`.
    bool blame(qint64 position, const QString& pointer, ProjectionBlame* out, ProjectionError* error,
               const CancelToken& cancel = {}, const ProgressFn& progress = {});

    /// Runs from `from` forward (events after it) or backward (events before it) to the nearest event
    /// where `predicate` (over the state after the handlers and the event) becomes true: true there, and
    /// false at the previous handled event of the same partition (or there is none). `level`: stop at
    /// any event after which it is true, not only where it turns from false to true.
    bool watch(const QString& predicate, qint64 from, bool backward, bool level, WatchHit* out,
               ProjectionError* error, const CancelToken& cancel = {}, const ProgressFn& progress = {});

    /// Recorded since the last take (the runs behind seek/blame/watch).
    QList<EmittedEvent> takeEmitted(qint64* total = nullptr) { return m_projection->takeEmitted(total); }
    QList<ProjectionLogLine> takeLogs(qint64* total = nullptr) { return m_projection->takeLogs(total); }

    int checkpointCount() const { return int(m_checkpoints.size()); }
    qint64 checkpointBytes() const { return m_checkpointBytes; }
    qint64 eventsHandled() const { return m_handledTotal; }  ///< by every run so far (for benchmarks)
    qint64 eventsRead() const { return m_readTotal; }

private:
    struct Saved
    {
        qint64 position = 0;
        qint64 lastEvent = 0;
        QByteArray state;
    };
    enum class Mode { Plain, Watch, Track };
    /// What a run reports per handled event; return false to stop right after it.
    using OnHandled = std::function<bool(const Event&, bool before, bool after)>;

    bool restoreBefore(qint64 position, ProjectionError* error);  ///< nearest checkpoint <= position
    bool restoreIndex(int index, ProjectionError* error);          ///< -1: the initial state
    bool run(qint64 to, Mode mode, const OnHandled& onHandled, ProjectionError* error, const CancelToken& cancel,
             const ProgressFn& progress, bool* stopped = nullptr);
    bool addCheckpoint(qint64 position, ProjectionError* error);
    void thinCheckpoints();
    int checkpointIndexAtOrBefore(qint64 position) const;
    qint64 clampTarget(qint64 position) const;

    JsProjection* m_projection;
    EventReader* m_reader;
    ReplayTuning m_tuning;
    SelectionPlan m_plan;
    qint64 m_end = 0;
    qint64 m_position = 0;      ///< the engine's state is after all events <= this; -1: unknown (after a failure)
    qint64 m_lastEvent = 0;
    qint64 m_frontier = 0;      ///< checkpoints are complete up to here
    qint64 m_sinceHandled = 0;  ///< events past the last checkpoint (at the frontier)
    qint64 m_sinceRead = 0;
    std::vector<Saved> m_checkpoints;
    qint64 m_checkpointBytes = 0;
    qint64 m_handledTotal = 0;
    qint64 m_readTotal = 0;
};

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::WatchHit)
Q_DECLARE_METATYPE(chronoscope::ProjectionBlame)
