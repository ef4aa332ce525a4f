#pragma once
// Internal: one factory per protocol client, each in its own .cpp.

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotefirst.h"

namespace chronoscope::remote {

std::unique_ptr<RemoteClient> makePostgresClient(const RemoteEndpoint& ep, QString* error);
std::unique_ptr<RemoteClient> makeRedisClient(const RemoteEndpoint& ep, QString* error);
std::unique_ptr<RemoteClient> makeKurrentClient(const RemoteEndpoint& ep, QString* error);
std::unique_ptr<RemoteClient> makeEventSourcingDbClient(const RemoteEndpoint& ep, QString* error);
/// In its own target (core/sources/kafka): a stub naming what is missing when built without librdkafka.
std::unique_ptr<RemoteClient> makeKafkaClient(const RemoteEndpoint& ep, QString* error);
/// Remote-first reading of the PostgreSQL stores (postgresclient.cpp); a clear error without libpq.
std::unique_ptr<RemoteFirstSource> makePostgresRemoteFirst(const RemoteEndpoint& ep, const RemoteFirstOptions& options,
                                                           QString* error);

} // namespace chronoscope::remote
