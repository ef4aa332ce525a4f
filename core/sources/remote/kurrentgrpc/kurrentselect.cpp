#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

#include "sources/remote/remoteclients_p.h"
#include "sources/sourceregistry.h"

#include <QRegularExpression>

namespace chronoscope::kurrent {

bool haveGrpc()
{
#ifdef CHRONOSCOPE_HAVE_KURRENTGRPC
    return true;
#else
    return false;
#endif
}

bool settingsOf(const RemoteEndpoint& ep, ConnectionSettings* settings, QString* error)
{
    QString why;
    if (!parseConnectionString(ep.uri, settings, &why)) {
        if (error)
            *error = QStringLiteral("%1 is not a valid KurrentDB connection string: %2").arg(ep.display, why);
        return false;
    }
    return true;
}

bool fillEndpoint(const QString& uri, RemoteEndpoint* ep, QString* error)
{
    ep->uri = uri;
    ep->display = redactConnectionString(uri);
    ConnectionSettings s;
    if (!settingsOf(*ep, &s, error)) return false;
    ep->scheme = s.scheme;
    ep->host = s.hosts.value(0).host;
    ep->port = s.hosts.value(0).port;
    ep->url = QUrl(QStringLiteral("%1://%2:%3").arg(QStringLiteral("kurrentdb"), ep->host).arg(ep->port));
    ep->user = s.user;
    ep->secret = s.password;
    for (auto it = s.extra.cbegin(); it != s.extra.cend(); ++it)
        ep->options.insert(it.key(), it.value());
    ep->options.insert(QStringLiteral("tls"), s.tls ? QStringLiteral("true") : QStringLiteral("false"));
    if (!s.tlsCaFile.isEmpty()) ep->options.insert(QStringLiteral("tlscafile"), s.tlsCaFile);
    if (s.tlsVerifyCertWritten)
        ep->options.insert(QStringLiteral("tlsverifycert"),
                           s.tlsVerifyCert ? QStringLiteral("true") : QStringLiteral("false"));
    return true;
}

std::unique_ptr<RemoteClient> makeClient(const RemoteEndpoint& ep, QString* error)
{
    ConnectionSettings s;
    if (!settingsOf(ep, &s, error)) return nullptr;
    const QString protocol = s.extra.value(QStringLiteral("protocol")).toLower();
    if (protocol == u"atompub" || protocol == u"http") {
        if (s.isCluster()) {
            if (error)
                *error =
                    QStringLiteral("%1: AtomPub reads one node; give one host without +discover (or drop "
                                   "?protocol=atompub to use gRPC)")
                        .arg(ep.display);
            return nullptr;
        }
        return remote::makeKurrentClient(ep, error);
    }
    if (!protocol.isEmpty() && protocol != u"grpc") {
        if (error)
            *error = QStringLiteral("%1: ?protocol=%2 is not known (grpc, the default, or atompub)")
                         .arg(ep.display, protocol);
        return nullptr;
    }
#ifdef CHRONOSCOPE_HAVE_KURRENTGRPC
    return makeGrpcClient(ep, s, error);
#else
    if (error)
        *error = QStringLiteral(
                     "%1: this build of Chronoscope has no gRPC client (it was built without gRPC C++: "
                     "libgrpc++-dev, protobuf-compiler-grpc, libprotobuf-dev), and KurrentDB serves gRPC. "
                     "Add ?protocol=atompub if the server runs AtomPub over HTTP.")
                     .arg(ep.display);
    return nullptr;
#endif
}

QString checkpointText(const ServerProjection& p)
{
    return p.lastCheckpoint.isEmpty() ? p.position : p.lastCheckpoint;
}

qint64 checkpointPosition(const ServerProjection& p)
{
    // "C:commit/P:prepare": the state covers the events up to that prepare position; Chronoscope's
    // positions are prepare + 1. A projection that has not started says "C:-1/P:-1" or nothing.
    static const QRegularExpression prepareRe(QStringLiteral("P:(\\d+)"));
    const auto m = prepareRe.match(checkpointText(p));
    return m.hasMatch() ? m.captured(1).toLongLong() + 1 : -1;
}

QString boundedUri(const QString& uri, qint64 toPosition)
{
    const QString trimmed = uri.trimmed();
    return trimmed + (trimmed.contains(u'?') ? u'&' : u'?') + QStringLiteral("toPosition=") +
           QString::number(toPosition);
}

bool fetchCheckpoint(const QString& uri, const QString& name, const QString& partition, ServerCheckpoint* out,
                     QString* error)
{
    QList<ServerProjection> list;
    if (!listProjections(uri, &list, error)) return false;
    const auto it = std::find_if(list.cbegin(), list.cend(), [&](const auto& p) { return p.name == name; });
    if (it == list.cend()) {
        *error = QStringLiteral("the server has no projection '%1'").arg(name);
        return false;
    }
    out->projection = *it;
    out->position = checkpointPosition(*it);
    if (out->position <= 0) {
        *error = QStringLiteral("projection '%1' has no checkpoint position yet (position '%2')")
                     .arg(name, it->position);
        return false;
    }
    return projectionState(uri, name, partition, false, &out->state, error);
}

#ifndef CHRONOSCOPE_HAVE_KURRENTGRPC
bool listProjections(const QString& uri, QList<ServerProjection>*, QString* error)
{
    *error = QStringLiteral(
                 "%1: this build of Chronoscope has no gRPC client; server projections are read over gRPC")
                 .arg(redactConnectionString(uri));
    return false;
}

bool projectionState(const QString& uri, const QString&, const QString&, bool, QByteArray*, QString* error)
{
    return listProjections(uri, nullptr, error);
}
#endif

} // namespace chronoscope::kurrent
