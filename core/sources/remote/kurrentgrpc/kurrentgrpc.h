#pragma once
// Internal to the remote sources: the KurrentDB client for a kurrentdb://, esdb:// (… +discover) URI.
// gRPC (the protocol current servers speak) unless ?protocol=atompub; the gRPC client falls back to the
// AtomPub one, with a message, when the server answers but serves no gRPC. No protobuf type in here.

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/remote/remoteclient.h"
#include "store/eventreader.h"

#include <memory>

namespace chronoscope::kurrent {

/// The settings of an endpoint whose scheme is a KurrentDB one (parsed again from ep.uri).
bool settingsOf(const RemoteEndpoint& ep, ConnectionSettings* settings, QString* error);

/// Chooses gRPC or AtomPub for the endpoint. Null with *error when this build has no gRPC and the URI
/// did not ask for AtomPub.
std::unique_ptr<RemoteClient> makeClient(const RemoteEndpoint& ep, QString* error);

/// Fills an endpoint from a connection string (several hosts, the official keys). Used by
/// RemoteEndpoint::parse for these schemes, so the AtomPub client sees host, port, tls and tlsCaFile.
bool fillEndpoint(const QString& uri, RemoteEndpoint* ep, QString* error);

/// True when this build has the gRPC client.
bool haveGrpc();

/// One of the server's projections, as Projections.Statistics tells it.
struct ServerProjection
{
    QString name;
    QString mode;   ///< Continuous, OneTime, Transient
    QString status; ///< Running, Stopped, Faulted, ...
    QString stateReason;
    QString position; ///< the server's text ("C:123/P:123")
    QString lastCheckpoint;
    float progress = 0; ///< percent
    qint64 eventsProcessedAfterRestart = 0;
    qint64 bufferedEvents = 0;
};

/// The position (Chronoscope's: prepare + 1) the projection's state is known at: its last checkpoint,
/// else its position (both "C:commit/P:prepare"). -1 when it has none yet.
qint64 checkpointPosition(const ServerProjection& p);
/// The text of that checkpoint ("C:…/P:…"), as the server wrote it.
QString checkpointText(const ServerProjection& p);
/// The connection string with Chronoscope's own key toPosition=N: a forward read stops after position N
/// (the events a projection had seen at its checkpoint, and no more).
QString boundedUri(const QString& uri, qint64 toPosition);

/// Lists the server's projections (read-only: Projections.Statistics with mode "all").
bool listProjections(const QString& uri, QList<ServerProjection>* out, QString* error);
/// A projection's state (or result) for a partition ("" = the default), as compact JSON text.
bool projectionState(const QString& uri, const QString& name, const QString& partition, bool result,
                     QByteArray* json, QString* error);

/// What a server-vs-local comparison needs from the server: the projection, its checkpoint position and
/// its state for `partition` at that checkpoint (compact JSON).
struct ServerCheckpoint
{
    ServerProjection projection;
    qint64 position = -1; ///< checkpointPosition()
    QByteArray state;
};
/// Asks the server (Statistics, then State). Errors: no such projection, no checkpoint yet, the server's.
bool fetchCheckpoint(const QString& uri, const QString& name, const QString& partition, ServerCheckpoint* out,
                     QString* error);

/// The events a server-vs-local comparison replays (docs/remote.md "Server projections"): `uri`'s scope up to
/// `toPosition` (boundedUri), read into the cache (live mode, under `cacheDir`) on a thread of its own and
/// readable from its first commit, so the projection replays each committed page while the next ones are read
/// (StateCompareOptions::growing = wait()). `progress` is called on the thread that calls open() and wait().
class CheckpointRead
{
public:
    CheckpointRead(const QString& uri, qint64 toPosition, const QString& cacheDir, const CancelToken& cancel,
                   const ProgressFn& progress = {});
    /// Stops the read unless it has ended, and waits for its thread.
    ~CheckpointRead();
    CheckpointRead(const CheckpointRead&) = delete;
    CheckpointRead& operator=(const CheckpointRead&) = delete;

    /// Waits for the first commit and opens a reader over the cache; null with *error when the read failed
    /// before (its message) or was cancelled ("cancelled").
    std::unique_ptr<EventReader> open(QString* error);
    /// Blocks until the cache holds an event after `after` or the read ended; *have: the last position
    /// committed (<= after: the read ended and all of it was seen). False with *error when the read failed
    /// (its message; what was read stays in the cache) or was cancelled ("cancelled").
    bool wait(qint64 after, qint64* have, QString* error);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

#ifdef CHRONOSCOPE_HAVE_KURRENTGRPC
/// In chronoscope_kurrentgrpc (grpc/grpcclient.cpp).
std::unique_ptr<RemoteClient> makeGrpcClient(const RemoteEndpoint& ep, const ConnectionSettings& settings,
                                             QString* error);
#endif

} // namespace chronoscope::kurrent
