#include "sources/remote/remoteclients_p.h"
namespace chronoscope::remote {
std::unique_ptr<RemoteClient> makeKurrentClient(const RemoteEndpoint& ep, QString* error)
{
    if (error) *error = ep.display + QStringLiteral(": not yet supported");
    return nullptr;
}
std::unique_ptr<RemoteClient> makeEventSourcingDbClient(const RemoteEndpoint& ep, QString* error)
{
    if (error) *error = ep.display + QStringLiteral(": not yet supported");
    return nullptr;
}
}
