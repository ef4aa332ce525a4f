#pragma once
// Internal to the remote sources: the KurrentDB client for a kurrentdb://, esdb:// (… +discover) URI.
// gRPC (the protocol current servers speak) unless ?protocol=atompub; the gRPC client falls back to the
// AtomPub one, with a message, when the server answers but serves no gRPC. No protobuf type in here.

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/remote/remoteclient.h"

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

#ifdef CHRONOSCOPE_HAVE_KURRENTGRPC
/// In chronoscope_kurrentgrpc (grpc/grpcclient.cpp).
std::unique_ptr<RemoteClient> makeGrpcClient(const RemoteEndpoint& ep, const ConnectionSettings& settings, QString* error);
#endif

} // namespace chronoscope::kurrent
