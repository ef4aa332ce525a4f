#pragma once
// Server vs local: a projection's state as a server holds it (JSON text) against the state a local replay of
// the same JavaScript reaches at the server's checkpoint, as an RFC 6902 patch from the local state to the
// server's, each changed path blamed on the local side (the event whose handlers last set that value).
// Knows nothing of servers: the caller fetches the server's state and checkpoint (KurrentDB:
// sources/remote/kurrentgrpc/kurrentgrpc.h) and opens a reader over the same events.

#include "model/event.h"
#include "projection/projectiontypes.h"
#include "util/progress.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>

#include <functional>
#include <optional>

namespace chronoscope {

class EventReader;
class JsProjection;

struct StateCompareBlame
{
    QString op;         ///< the patch operation: add, remove, replace
    QString path;       ///< its path (into the compared state)
    bool found = false; ///< an event's handlers set the local value (false: $init, or never set)
    Event event;        ///< that event (payload included)
    QString error;      ///< why the blame could not be run (cancelled, the path is not blamable)
};

struct StateCompareResult
{
    qint64 position = 0;         ///< the local state is after every event with position <= this
    qint64 eventsHandled = 0;    ///< by the replay (and the blames)
    bool needsPartition = false; ///< the projection is partitioned and no partition was named
    bool agree = false;
    QJsonValue local; ///< the local state, numbers read as doubles (the server's travel as doubles)
    QJsonValue server;
    QJsonArray patch;                ///< from local to server
    QList<StateCompareBlame> blames; ///< one per patch operation, in patch order, at most maxBlames
    int blamesLeftOut = 0;
    /// {"position","agree","local","server","patch","blame":[{"op","path","event":{…}|null}…]}
    QJsonObject toJson() const;
};

struct StateCompareOptions
{
    std::optional<QString>
        partition;      ///< the server's partition to compare (nullopt: the projection's only state)
    int maxBlames = 20; ///< each blame replays at most one checkpoint interval; bounded anyway
    /// Set when the reader is still being filled (a remote read runs on another thread, committing pages):
    /// blocks until the reader holds an event after position `after`, or the filling ended, and sets *have
    /// to the last position it holds then (*have <= after: nothing more will come). False with *error when
    /// the filling failed or was cancelled. The replay follows it, so reading and replaying overlap.
    std::function<bool(qint64 after, qint64* have, QString* error)> growing;
};

/// Replays `projection` over `reader` up to `position`, diffs its state (or `partition`'s) against
/// `serverJson`, and blames every operation of the patch on the local side. Numbers are compared by value:
/// a server that sends its state as google.protobuf.Value has only doubles. False with *error when the
/// replay fails or is cancelled (kind Cancelled); needsPartition is set (and true returned) when the
/// projection is partitioned and options.partition is empty.
bool compareProjectionState(JsProjection* projection, EventReader* reader, qint64 position,
                            const QByteArray& serverJson, const StateCompareOptions& options,
                            StateCompareResult* out, ProjectionError* error, const CancelToken& cancel = {},
                            const ProgressFn& progress = {});

} // namespace chronoscope
