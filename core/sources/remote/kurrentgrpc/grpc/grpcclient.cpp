// KurrentDB over gRPC: the read side of the protocol current servers speak (docs/remote.md, "KurrentDB
// (gRPC)"). Connects to one node (or finds one by gossip), asks ServerFeatures once, reads a stream or $all
// (server-side filters, links resolved) in pages with a deadline each, and follows with a catch-up
// subscription. Nothing here writes to the server: only Read, Gossip.Read and ServerFeatures are called.
// The generated types stay in this file; the core sees a RemoteClient.

#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

#include "sources/remote/remoteclients_p.h"

#include "gossip.grpc.pb.h"
#include "projections.grpc.pb.h"
#include "serverfeatures.grpc.pb.h"
#include "streams.grpc.pb.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTcpSocket>

#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <thread>
#include <unordered_map>

Q_LOGGING_CATEGORY(lcKurrentGrpc, "chronoscope.remote.kurrentgrpc", QtWarningMsg)

namespace chronoscope::kurrent {

namespace {

namespace pb = event_store::client;
namespace st = event_store::client::streams;
namespace gs = event_store::client::gossip;
namespace sf = event_store::client::server_features;

using Clock = std::chrono::system_clock;

std::string toStd(const QString& s)
{
    const QByteArray b = s.toUtf8();
    return std::string(b.constData(), size_t(b.size()));
}

QString fromStd(const std::string& s)
{
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

QString uuidText(const pb::UUID& u)
{
    if (u.value_case() == pb::UUID::kString) return fromStd(u.string());
    if (u.value_case() != pb::UUID::kStructured) return {};
    const QByteArray hex =
        QByteArray::number(quint64(u.structured().most_significant_bits()), 16).rightJustified(16, '0') +
        QByteArray::number(quint64(u.structured().least_significant_bits()), 16).rightJustified(16, '0');
    return QString::fromLatin1(hex.mid(0, 8) + '-' + hex.mid(8, 4) + '-' + hex.mid(12, 4) + '-' +
                               hex.mid(16, 4) + '-' + hex.mid(20));
}

// Decimal digits of an unsigned number, appended (what QByteArray::number writes, without a temporary).
void appendNumber(QByteArray& out, quint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, qsizetype(r.ptr - buf));
}

// The "created" metadata: 100 ns ticks since the Unix epoch, as decimal text; kNoTime when it is not a
// number.
TimeMs createdMs(const std::string& text)
{
    qint64 ticks = 0;
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, ticks);
    if (!text.empty() && r.ec == std::errc() && r.ptr == end) return ticks / 10000;
    // Anything else as QString::toLongLong reads it (surrounding spaces, a sign).
    bool ok = false;
    const qint64 t = fromStd(text).toLongLong(&ok);
    return ok ? t / 10000 : kNoTime;
}

QString trailer(const grpc::ClientContext& ctx, const char* key)
{
    const auto& md = ctx.GetServerTrailingMetadata();
    const auto it = md.find(key);
    if (it == md.end()) {
        const auto& init = ctx.GetServerInitialMetadata();
        const auto jt = init.find(key);
        return jt == init.end() ? QString()
                                : QString::fromUtf8(jt->second.data(), qsizetype(jt->second.size()));
    }
    return QString::fromUtf8(it->second.data(), qsizetype(it->second.size()));
}

const char* codeName(grpc::StatusCode c)
{
    switch (c) {
    case grpc::OK:
        return "OK";
    case grpc::CANCELLED:
        return "CANCELLED";
    case grpc::UNKNOWN:
        return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
        return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
        return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
        return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
        return "FAILED_PRECONDITION";
    case grpc::ABORTED:
        return "ABORTED";
    case grpc::OUT_OF_RANGE:
        return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
        return "UNIMPLEMENTED";
    case grpc::INTERNAL:
        return "INTERNAL";
    case grpc::UNAVAILABLE:
        return "UNAVAILABLE";
    case grpc::DATA_LOSS:
        return "DATA_LOSS";
    case grpc::UNAUTHENTICATED:
        return "UNAUTHENTICATED";
    default:
        return "error";
    }
}

// Cancels a call from outside when the user cancels: a blocked Read() wakes up with CANCELLED.
class CancelWatch
{
public:
    CancelWatch(grpc::ClientContext* ctx, CancelToken token) : m_ctx(ctx), m_token(std::move(token))
    {
        m_thread = std::thread([this] {
            while (!m_done.load()) {
                if (m_token.isCancelled()) {
                    m_ctx->TryCancel();
                    return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    }
    ~CancelWatch()
    {
        m_done = true;
        m_thread.join();
    }

private:
    grpc::ClientContext* m_ctx;
    CancelToken m_token;
    std::atomic<bool> m_done{false};
    std::thread m_thread;
};

struct AllPos
{
    quint64 commit = 0;
    quint64 prepare = 0;
    bool operator==(const AllPos&) const = default;
};

// What a read asks the server for, from the scope and the URI's own keys.
struct ReadPlan
{
    bool all = true;
    QString stream; // for a stream read
    bool resolveLinks = true;
    enum Filter { None, StreamPrefix, StreamRegex, TypePrefix, TypeRegex } filter = None;
    QString filterText;  // the prefix or the regex
    QString glob;        // the scope's glob, matched here (the reference matcher)
    bool system = false; // system streams and $-types wanted
};

class GrpcClient : public RemoteClient
{
public:
    GrpcClient(const RemoteEndpoint& ep, ConnectionSettings s) : RemoteClient(ep), m_s(std::move(s))
    {
        bool ok = false;
        const qint64 maxEvent = m_ep.option(QStringLiteral("maxevent")).toLongLong(&ok);
        m_maxMessage = ok && maxEvent > 0 ? int(std::min<qint64>(maxEvent + (1 << 20), INT_MAX)) : (17 << 20);
        // ?toPosition=N (Chronoscope's own, kurrentgrpc.h boundedUri): a forward read stops after position N.
        m_toPosition = m_ep.option(QStringLiteral("toposition")).toLongLong(&ok);
        if (!ok) m_toPosition = 0;
    }

    QString layout() const override
    {
        return m_atompub ? m_atompub->layout() : QStringLiteral("kurrentdb-grpc");
    }

    QString describe() const override
    {
        if (m_atompub) return m_atompub->describe() + QStringLiteral(" (") + m_note + u')';
        QString d = QStringLiteral("KurrentDB %1(gRPC) at %2")
                        .arg(m_version.isEmpty() ? QString() : m_version + u' ', m_node.toString());
        if (m_s.tls && !m_s.tlsVerifyCert)
            d += QStringLiteral(", certificate NOT verified (tlsVerifyCert=false)");
        else if (!m_s.tls)
            d += QStringLiteral(", no TLS");
        if (!m_note.isEmpty()) d += QStringLiteral(" (") + m_note + u')';
        return d;
    }

    bool connect(QString* error) override
    {
        if (m_s.hosts.isEmpty()) {
            *error = QStringLiteral("%1: no host in the connection string").arg(m_ep.display);
            return false;
        }
        if (m_s.tls && !m_s.tlsCaFile.isEmpty()) {
            QFile f(m_s.tlsCaFile);
            if (!f.open(QIODevice::ReadOnly)) {
                *error = QStringLiteral("%1: tlsCaFile %2 cannot be read: %3")
                             .arg(m_ep.display, m_s.tlsCaFile, f.errorString());
                return false;
            }
            m_caPem = f.readAll().toStdString();
        }
        if (!readUserCertificate(error)) return false;
        if (m_s.isCluster()) {
            if (!discover(error)) return false;
        } else {
            m_node = m_s.hosts.first();
        }
        m_channel = makeChannel(m_node);
        // ServerFeatures, asked once: the server's version and which calls it serves.
        sf::SupportedMethods methods;
        grpc::ClientContext ctx;
        prepare(ctx, m_s.defaultDeadlineMs);
        auto stub = sf::ServerFeatures::NewStub(m_channel);
        grpc::Status status;
        {
            CancelWatch watch(&ctx,
                              m_ep.cancel); // a server that accepts and never answers: Cancel still works
            status = stub->GetSupportedMethods(&ctx, pb::Empty(), &methods);
        }
        if (isCancelled()) {
            *error = QStringLiteral("Connecting to %1 was cancelled").arg(m_ep.display);
            return false;
        }
        if (status.ok()) {
            m_version = fromStd(methods.event_store_server_version());
            for (const auto& m : methods.methods())
                m_methods << fromStd(m.service_name()) + u'.' + fromStd(m.method_name());
        } else if (status.error_code() == grpc::UNIMPLEMENTED) {
            m_note = QStringLiteral("the server does not answer ServerFeatures: an older version");
        } else if (status.error_code() == grpc::UNAVAILABLE) {
            return transportFailure(status, error);
        } else if (status.error_code() != grpc::UNAUTHENTICATED &&
                   status.error_code() != grpc::PERMISSION_DENIED) {
            *error = statusMessage(status, ctx, QStringLiteral("asking for the server's features"));
            return false;
        }
        m_streams = st::Streams::NewStub(m_channel);
        qCDebug(lcKurrentGrpc) << "connected to" << m_node.toString() << m_version;
        return true;
    }

    /// Projections.Statistics (mode all): read-only.
    bool projections(QList<ServerProjection>* out, QString* error)
    {
        if (!ensureGrpc(error)) return false;
        namespace pj = event_store::client::projections;
        auto stub = pj::Projections::NewStub(m_channel);
        grpc::ClientContext ctx;
        prepare(ctx, m_s.defaultDeadlineMs);
        pj::StatisticsReq req;
        req.mutable_options()->mutable_all();
        auto reader = stub->Statistics(&ctx, req);
        pj::StatisticsResp resp;
        while (reader->Read(&resp)) {
            const auto& d = resp.details();
            ServerProjection p;
            p.name = fromStd(d.name());
            p.mode = fromStd(d.mode());
            p.status = fromStd(d.status());
            p.stateReason = fromStd(d.statereason());
            p.position = fromStd(d.position());
            p.lastCheckpoint = fromStd(d.lastcheckpoint());
            p.progress = d.progress();
            p.eventsProcessedAfterRestart = d.eventsprocessedafterrestart();
            p.bufferedEvents = d.bufferedevents();
            out->append(p);
        }
        const grpc::Status s = reader->Finish();
        if (!s.ok()) {
            *error = statusMessage(s, ctx, QStringLiteral("listing the projections"));
            return false;
        }
        return true;
    }

    /// Projections.State / Result of one projection and partition, as JSON text.
    bool projectionValue(const QString& name, const QString& partition, bool result, QByteArray* json,
                         QString* error)
    {
        if (!ensureGrpc(error)) return false;
        namespace pj = event_store::client::projections;
        auto stub = pj::Projections::NewStub(m_channel);
        grpc::ClientContext ctx;
        prepare(ctx, m_s.defaultDeadlineMs);
        google::protobuf::Value value;
        grpc::Status s;
        if (result) {
            pj::ResultReq req;
            req.mutable_options()->set_name(toStd(name));
            req.mutable_options()->set_partition(toStd(partition));
            pj::ResultResp resp;
            s = stub->Result(&ctx, req, &resp);
            value = resp.result();
        } else {
            pj::StateReq req;
            req.mutable_options()->set_name(toStd(name));
            req.mutable_options()->set_partition(toStd(partition));
            pj::StateResp resp;
            s = stub->State(&ctx, req, &resp);
            value = resp.state();
        }
        if (!s.ok()) {
            if (s.error_code() == grpc::NOT_FOUND)
                *error = QStringLiteral("%1: the server has no projection '%2'").arg(m_ep.display, name);
            else
                *error = statusMessage(
                    s, ctx,
                    QStringLiteral("reading the %1 of projection '%2'")
                        .arg(result ? QStringLiteral("result") : QStringLiteral("state"), name));
            return false;
        }
        // google.protobuf.Value carries numbers as doubles: they are shown as the server sent them.
        std::string text;
        if (!google::protobuf::util::MessageToJsonString(value, &text).ok()) {
            *error =
                QStringLiteral("%1: the state of '%2' cannot be written as JSON").arg(m_ep.display, name);
            return false;
        }
        *json = QByteArray::fromStdString(text);
        return true;
    }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!m_atompub && !m_streams && !connect(error)) // connect() is optional before a read
            return false;
        if (m_atompub) {
            if (m_atompub->read(scope, sink, error)) return true;
            *error += QStringLiteral(" (%1 speaks HTTP/1 only, not gRPC, so it was read as AtomPub)")
                          .arg(m_node.toString());
            return false;
        }
        m_scope = scope;
        if (!plan(scope, error)) return false;
        m_delivered = 0;
        if (scope.last >= 0) return readLast(sink, error);
        return readForwards(sink, error);
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (m_atompub) return m_atompub->tail(sink, error);
        if (!m_haveReadPlan) {
            *error = QStringLiteral("%1: the live subscription needs a read first").arg(m_ep.display);
            return false;
        }
        return subscribe(sink, error);
    }

private:
    bool ensureGrpc(QString* error)
    {
        if (!m_streams && !m_atompub && !connect(error)) return false;
        if (m_atompub) {
            *error =
                QStringLiteral("%1: server projections are read over gRPC, and this server does not serve it")
                    .arg(m_ep.display);
            return false;
        }
        return true;
    }

    // X.509 user authentication (userCertFile, userKeyFile): both or neither, readable PEM files, over TLS.
    // The checks and their order are the official clients' (KurrentDB-Client-Dotnet
    // ConfigureClientCertificate).
    bool readUserCertificate(QString* error)
    {
        if (m_s.userCertFile.isEmpty() && m_s.userKeyFile.isEmpty()) return true;
        if (m_s.userCertFile.isEmpty() || m_s.userKeyFile.isEmpty()) {
            *error =
                QStringLiteral("%1: invalid client certificate settings: both userCertFile and userKeyFile "
                               "must be set")
                    .arg(m_ep.display);
            return false;
        }
        if (!m_s.tls) {
            *error = QStringLiteral(
                         "%1: a client certificate (userCertFile) is presented in the TLS handshake, and "
                         "the connection string says tls=false")
                         .arg(m_ep.display);
            return false;
        }
        auto readPem = [&](const QString& path, const char* key, std::string* out) {
            QFile f(path);
            if (!f.exists()) {
                *error = QStringLiteral("%1: invalid client certificate settings: the %2 does not exist: %3")
                             .arg(m_ep.display, QLatin1String(key), path);
                return false;
            }
            if (!f.open(QIODevice::ReadOnly)) {
                *error = QStringLiteral("%1: the %2 %3 cannot be read: %4")
                             .arg(m_ep.display, QLatin1String(key), path, f.errorString());
                return false;
            }
            const QByteArray pem = f.read(1 << 20);
            if (!pem.contains("-----BEGIN ")) {
                *error = QStringLiteral("%1: the %2 %3 is not a PEM file")
                             .arg(m_ep.display, QLatin1String(key), path);
                return false;
            }
            *out = pem.toStdString();
            return true;
        };
        return readPem(m_s.userCertFile, "userCertFile", &m_userCertPem) &&
               readPem(m_s.userKeyFile, "userKeyFile", &m_userKeyPem);
    }

    // ---- channels and calls ---------------------------------------------------------------------

    std::shared_ptr<grpc::Channel> makeChannel(const HostPort& node) const
    {
        grpc::ChannelArguments args;
        args.SetMaxReceiveMessageSize(m_maxMessage);
        if (m_s.keepAliveIntervalMs > 0) {
            args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, int(std::min<qint64>(m_s.keepAliveIntervalMs, INT_MAX)));
            args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                        int(std::clamp<qint64>(m_s.keepAliveTimeoutMs, 1, INT_MAX)));
            args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
        }
        // A fresh connection per client: several clients in one process must not share a failed one.
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        if (!m_s.connectionName.isEmpty())
            args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, toStd(m_s.connectionName));
        const std::string target = toStd(node.toString());
        if (!m_s.tls) return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
        if (!m_s.tlsVerifyCert) {
            // Only when the connection string itself says tlsVerifyCert=false (the status bar says so too).
            grpc::experimental::TlsChannelCredentialsOptions o;
            o.set_verify_server_certs(false);
            o.set_check_call_host(false);
            o.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
            if (!m_userCertPem.empty()) {
                o.set_certificate_provider(
                    std::make_shared<grpc::experimental::StaticDataCertificateProvider>(
                        std::vector<grpc::experimental::IdentityKeyCertPair>{{m_userKeyPem, m_userCertPem}}));
                o.watch_identity_key_cert_pairs();
            }
            return grpc::CreateCustomChannel(target, grpc::experimental::TlsCredentials(o), args);
        }
        grpc::SslCredentialsOptions o;
        o.pem_root_certs = m_caPem;       // empty: the system's roots
        o.pem_private_key = m_userKeyPem; // empty: no client certificate
        o.pem_cert_chain = m_userCertPem;
        return grpc::CreateCustomChannel(target, grpc::SslCredentials(o), args);
    }

    void prepare(grpc::ClientContext& ctx, qint64 deadlineMs) const
    {
        if (deadlineMs > 0) ctx.set_deadline(Clock::now() + std::chrono::milliseconds(deadlineMs));
        if (!m_ep.user.isEmpty() || !m_ep.secret.isEmpty())
            ctx.AddMetadata("authorization",
                            ("Basic " + (m_ep.user + u':' + m_ep.secret).toUtf8().toBase64()).toStdString());
        if (!m_s.connectionName.isEmpty()) ctx.AddMetadata("connection-name", toStd(m_s.connectionName));
    }

    // ---- gossip ---------------------------------------------------------------------------------

    bool discover(QString* error)
    {
        QStringList why;
        const qint64 attempts = std::clamp<qint64>(m_s.maxDiscoverAttempts, 1, 100);
        for (qint64 attempt = 1; attempt <= attempts; ++attempt) {
            why.clear();
            for (const HostPort& seed : m_s.hosts) {
                if (isCancelled()) {
                    *error = QStringLiteral("Connecting to %1 was cancelled").arg(m_ep.display);
                    return false;
                }
                auto stub = gs::Gossip::NewStub(makeChannel(seed));
                grpc::ClientContext ctx;
                prepare(ctx, std::max<qint64>(m_s.gossipTimeoutS, 1) * 1000);
                gs::ClusterInfo info;
                grpc::Status status;
                {
                    CancelWatch watch(&ctx, m_ep.cancel);
                    status = stub->Read(&ctx, pb::Empty(), &info);
                }
                if (!status.ok()) {
                    // A dead seed: move on to the next one.
                    why << QStringLiteral("%1: %2").arg(seed.toString(), shortTransport(status));
                    continue;
                }
                if (pickMember(info, &m_node)) {
                    m_note =
                        QStringLiteral("%1 chosen by gossip from %2, nodePreference=%3")
                            .arg(m_node.toString(), seed.toString(), nodePreferenceName(m_s.nodePreference));
                    return true;
                }
                why << QStringLiteral("%1: no member in an allowed state").arg(seed.toString());
            }
            if (attempt < attempts &&
                !sleepUnlessCancelled(int(std::clamp<qint64>(m_s.discoveryIntervalMs, 0, 60000))))
                break;
            if (!why.isEmpty() && why.size() == m_s.hosts.size() && attempt >= 2 && allRefused(why))
                break; // every seed refuses: more attempts only make the user wait
        }
        *error = QStringLiteral("%1: no cluster member found by gossip (%2)")
                     .arg(m_ep.display, why.join(QLatin1String("; ")));
        return false;
    }

    static bool allRefused(const QStringList& why)
    {
        for (const QString& w : why)
            if (!w.contains(QLatin1String("refused"))) return false;
        return true;
    }

    bool pickMember(const gs::ClusterInfo& info, HostPort* out) const
    {
        using S = gs::MemberInfo;
        QList<const gs::MemberInfo*> allowed;
        for (const auto& m : info.members()) {
            const auto st = m.state();
            const bool ok = st == S::Follower || st == S::Leader || st == S::ReadOnlyReplica ||
                            st == S::PreReadOnlyReplica || st == S::ReadOnlyLeaderless;
            if (m.is_alive() && ok && m.has_http_end_point()) allowed << &m;
        }
        if (allowed.isEmpty()) return false;
        // The official clients: shuffle, then the preferred states first.
        for (qsizetype i = allowed.size() - 1; i > 0; --i)
            allowed.swapItemsAt(i, QRandomGenerator::global()->bounded(int(i + 1)));
        auto rank = [&](const gs::MemberInfo* m) {
            switch (m_s.nodePreference) {
            case NodePreference::Leader:
                return m->state() == S::Leader ? 0 : 1;
            case NodePreference::Follower:
                return m->state() == S::Follower ? 0 : 1;
            case NodePreference::ReadOnlyReplica:
                return m->state() == S::ReadOnlyReplica      ? 0
                       : m->state() == S::PreReadOnlyReplica ? 1
                       : m->state() == S::ReadOnlyLeaderless ? 2
                                                             : 3;
            case NodePreference::Random:
                return 0;
            }
            return 0;
        };
        std::stable_sort(allowed.begin(), allowed.end(), [&](auto a, auto b) { return rank(a) < rank(b); });
        out->host = fromStd(allowed.first()->http_end_point().address());
        out->port = int(allowed.first()->http_end_point().port());
        return true;
    }

    // ---- errors ---------------------------------------------------------------------------------

    static QString shortTransport(const grpc::Status& s)
    {
        const QString m = fromStd(s.error_message());
        if (m.contains(QLatin1String("Connection refused"), Qt::CaseInsensitive))
            return QStringLiteral("connection refused");
        if (s.error_code() == grpc::DEADLINE_EXCEEDED) return QStringLiteral("no answer in time");
        return QStringLiteral("%1 %2").arg(QLatin1String(codeName(s.error_code())), m);
    }

    // The connection failed. Says why in the user's words; when the server answers HTTP/1 (or another
    // protocol) and runs AtomPub, reads over AtomPub instead, saying so.
    bool transportFailure(const grpc::Status& status, QString* error)
    {
        const QString m = fromStd(status.error_message());
        const QString where = m_node.toString();
        qCDebug(lcKurrentGrpc) << "gRPC connect failed:" << m;
        if (m.contains(QLatin1String("Connection refused"), Qt::CaseInsensitive)) {
            *error = QStringLiteral(
                         "%1: no server at %2 (connection refused). Is KurrentDB running, and is %3 its "
                         "gRPC/HTTP port (2113 by default)?")
                         .arg(m_ep.display, where)
                         .arg(m_node.port);
            return false;
        }
        if (m.contains(QLatin1String("DNS"), Qt::CaseInsensitive) ||
            m.contains(QLatin1String("resolve"), Qt::CaseInsensitive)) {
            *error = QStringLiteral("%1: the host %2 could not be found (DNS: %3)")
                         .arg(m_ep.display, m_node.host, m);
            return false;
        }
        if (m_s.tls && (m.contains(QLatin1String("CERTIFICATE_VERIFY_FAILED")) ||
                        m.contains(QLatin1String("certificate verify failed"), Qt::CaseInsensitive))) {
            *error = QStringLiteral(
                         "%1: the server's TLS certificate could not be verified. Give the CA that signed it "
                         "with ?tlsCaFile=PATH (tlsVerifyCert=false turns the check off, if you must)")
                         .arg(m_ep.display);
            return false;
        }
        // An answer that is not HTTP/2 ("Trying to connect an http1.x server", "Failed parsing HTTP/2"), or a
        // TLS server that does not offer h2: an HTTP/1 server. It may run KurrentDB's AtomPub API (older
        // servers, or configured so): read over that, saying so; its own errors then say what is wrong.
        const bool http1 = m.contains(QLatin1String("http1"), Qt::CaseInsensitive) ||
                           m.contains(QLatin1String("parsing HTTP/2"), Qt::CaseInsensitive) ||
                           m.contains(QLatin1String("ALPN"), Qt::CaseInsensitive);
        if (http1) {
            QString atomError;
            auto c = remote::makeKurrentClient(m_ep, &atomError);
            if (c) {
                c->setPageSize(m_firstPage, m_pageSize);
                if (c->connect(&atomError)) {
                    m_atompub = std::move(c);
                    m_note = QStringLiteral(
                        "gRPC is not served there, it answers HTTP/1: reading over AtomPub HTTP");
                    qCWarning(lcKurrentGrpc).noquote() << m_ep.display << m_note;
                    return true;
                }
            }
            *error = QStringLiteral(
                         "%1 (the server at %2 speaks HTTP/1 only, not gRPC over HTTP/2, so KurrentDB's "
                         "AtomPub API was tried; is this the KurrentDB port?)")
                         .arg(atomError, where);
            return false;
        }
        if (m_s.tls) {
            if (plaintextAnswers()) {
                *error = QStringLiteral(
                             "%1: TLS handshake with %2 failed: the server does not speak TLS. If it runs "
                             "insecure (--insecure), add ?tls=false")
                             .arg(m_ep.display, where);
                return false;
            }
            *error = QStringLiteral("%1: the TLS connection to %2 failed (%3)").arg(m_ep.display, where, m);
            // A server that requires X.509 user authentication closes the handshake of a client without one.
            if (m_userCertPem.empty())
                *error += QStringLiteral(". If the server requires a client certificate, give it with "
                                         "?userCertFile=PATH&userKeyFile=PATH");
            return false;
        }
        if (speaksTls()) {
            *error =
                QStringLiteral("%1: the server at %2 speaks TLS, but the connection string says tls=false. "
                               "Remove tls=false (TLS is the default)")
                    .arg(m_ep.display, where);
            return false;
        }
        *error = QStringLiteral("%1: the server at %2 does not answer gRPC (%3)").arg(m_ep.display, where, m);
        return false;
    }

    // A TLS handshake only (no request sent): does the server speak TLS at all?
    bool speaksTls() const
    {
        QSslSocket s;
        s.setPeerVerifyMode(QSslSocket::VerifyNone);
        s.connectToHostEncrypted(m_node.host, quint16(m_node.port));
        const bool ok = s.waitForEncrypted(3000);
        s.abort();
        return ok;
    }

    // The reverse: the TLS handshake failed; does the port answer a plaintext HTTP/2 client (a gRPC server
    // started insecure sends its SETTINGS frame at once)?
    bool plaintextAnswers() const
    {
        QTcpSocket s;
        s.connectToHost(m_node.host, quint16(m_node.port));
        if (!s.waitForConnected(3000)) return false;
        s.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        s.write(QByteArray("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9)); // an empty SETTINGS frame
        const bool answered = s.waitForReadyRead(3000) && s.bytesAvailable() >= 9;
        const QByteArray head = s.read(9);
        s.abort();
        return answered && head.size() == 9 && quint8(head[3]) == 0x04; // the server's SETTINGS
    }

    QString statusMessage(const grpc::Status& s, const grpc::ClientContext& ctx, const QString& doing) const
    {
        const QString exception = trailer(ctx, "exception");
        const QString streamName = trailer(ctx, "stream-name");
        const QString user = m_ep.user.isEmpty() ? QStringLiteral("(no user)") : m_ep.user;
        if (s.error_code() == grpc::UNAUTHENTICATED || exception == u"not-authenticated")
            return QStringLiteral(
                       "%1: the server refused the credentials of user '%2' (wrong user name or password; "
                       "give "
                       "them as user:password@ in the connection string or with $CHRONOSCOPE_USER / "
                       "$CHRONOSCOPE_PASSWORD)")
                .arg(m_ep.display, user);
        if (s.error_code() == grpc::PERMISSION_DENIED || exception == u"access-denied")
            return QStringLiteral(
                       "%1: user '%2' may not read %3 (access denied). Read a stream the user may read with "
                       "--streams NAME, or give the user read rights to %3")
                .arg(m_ep.display, user, targetName());
        if (exception == u"stream-deleted" || exception == u"stream-tombstoned")
            return QStringLiteral(
                       "%1: the stream '%2' has been deleted (tombstoned); its events cannot be read")
                .arg(m_ep.display, streamName.isEmpty() ? targetName() : streamName);
        if (s.error_code() == grpc::DEADLINE_EXCEEDED)
            return QStringLiteral(
                       "%1: no answer within the deadline of %2 ms while %3 (defaultDeadline=%2 in the "
                       "connection string sets it)")
                .arg(m_ep.display)
                .arg(m_s.defaultDeadlineMs)
                .arg(doing);
        if (s.error_code() == grpc::UNAVAILABLE)
            return QStringLiteral("%1: the connection to %2 was lost while %3 (%4)")
                .arg(m_ep.display, m_node.toString(), doing, fromStd(s.error_message()));
        return QStringLiteral("%1: the server answered %2 while %3: %4")
            .arg(m_ep.display, QLatin1String(codeName(s.error_code())), doing, fromStd(s.error_message()));
    }

    QString targetName() const
    {
        return m_plan.all ? QStringLiteral("$all") : QStringLiteral("'%1'").arg(m_plan.stream);
    }

    // ---- reading --------------------------------------------------------------------------------

    bool plan(const RemoteScope& scope, QString* error)
    {
        m_plan = {};
        const QString glob = scope.streams;
        m_plan.glob = glob;
        m_plan.system = m_ep.optionOn(QStringLiteral("system"), false) || glob.startsWith(u'$');
        const QString streamRegex = m_ep.option(QStringLiteral("streamregex"));
        const QString typePrefix = m_ep.option(QStringLiteral("typeprefix"));
        const QString typeRegex = m_ep.option(QStringLiteral("typeregex"));
        if (int(!streamRegex.isEmpty()) + int(!typePrefix.isEmpty()) + int(!typeRegex.isEmpty()) > 1) {
            *error = QStringLiteral(
                         "%1: the server filters $all by one expression: give one of streamRegex, typePrefix "
                         "and typeRegex")
                         .arg(m_ep.display);
            return false;
        }
        bool wildcard = false;
        const QString prefix = remote::globPrefix(glob, &wildcard);
        if (!glob.isEmpty() && !wildcard && streamRegex.isEmpty() && typePrefix.isEmpty() &&
            typeRegex.isEmpty()) {
            m_plan.all = false;
            m_plan.stream = prefix;
        } else if (!streamRegex.isEmpty()) {
            m_plan.filter = ReadPlan::StreamRegex;
            m_plan.filterText = streamRegex;
        } else if (!typePrefix.isEmpty()) {
            m_plan.filter = ReadPlan::TypePrefix;
            m_plan.filterText = typePrefix;
        } else if (!typeRegex.isEmpty()) {
            m_plan.filter = ReadPlan::TypeRegex;
            m_plan.filterText = typeRegex;
        } else if (!prefix.isEmpty()) {
            // The glob's literal prefix goes to the server; the glob itself is matched here.
            m_plan.filter = ReadPlan::StreamPrefix;
            m_plan.filterText = prefix;
        } else if (!m_plan.system) {
            // The official clients' "exclude system events" filter.
            m_plan.filter = ReadPlan::TypeRegex;
            m_plan.filterText = QStringLiteral("^[^\\$].*");
        }
        // A stream read resolves links ($ce-, $et- and link streams: the event shown where it lives); $all
        // holds the originals already, so it reads the links as they are (and skips them as system events).
        m_plan.resolveLinks = m_ep.optionOn(QStringLiteral("resolvelinks"), !m_plan.all);
        m_haveReadPlan = true;
        return true;
    }

    void fillFilter(st::ReadReq::Options* o) const
    {
        if (m_plan.filter == ReadPlan::None) {
            o->mutable_no_filter();
            return;
        }
        auto* f = o->mutable_filter();
        auto* e = (m_plan.filter == ReadPlan::StreamPrefix || m_plan.filter == ReadPlan::StreamRegex)
                      ? f->mutable_stream_identifier()
                      : f->mutable_event_type();
        if (m_plan.filter == ReadPlan::StreamPrefix || m_plan.filter == ReadPlan::TypePrefix)
            e->add_prefix(toStd(m_plan.filterText));
        else
            e->set_regex(toStd(m_plan.filterText));
        f->mutable_count();
        f->set_checkpointintervalmultiplier(1);
    }

    // One Read request. `from`: for $all the position to start at (inclusive), for a stream the revision.
    st::ReadReq request(bool backwards, std::optional<AllPos> fromAll, std::optional<quint64> fromRevision,
                        std::optional<quint64> count) const
    {
        st::ReadReq req;
        auto* o = req.mutable_options();
        if (m_plan.all) {
            auto* a = o->mutable_all();
            if (fromAll) {
                a->mutable_position()->set_commit_position(fromAll->commit);
                a->mutable_position()->set_prepare_position(fromAll->prepare);
            } else if (backwards) {
                a->mutable_end();
            } else {
                a->mutable_start();
            }
            fillFilter(o);
        } else {
            auto* s = o->mutable_stream();
            s->mutable_stream_identifier()->set_stream_name(toStd(m_plan.stream));
            if (fromRevision)
                s->set_revision(*fromRevision);
            else if (backwards)
                s->mutable_end();
            else
                s->mutable_start();
            o->mutable_no_filter();
        }
        o->set_read_direction(backwards ? st::ReadReq::Options::Backwards : st::ReadReq::Options::Forwards);
        o->set_resolve_links(m_plan.resolveLinks);
        if (count)
            o->set_count(*count);
        else
            o->mutable_subscription();
        o->mutable_uuid_option()->mutable_string();
        o->mutable_control_option()->set_compatibility(1);
        return req;
    }

    struct Got
    {
        Event event;
        AllPos pos;           // of the record read ($all order: the link's when a link was read)
        quint64 revision = 0; // of the record read in the stream read
        bool keep = true;     // passes the glob and system filters
    };

    // Converts one ReadEvent: the event shown where it lives, the link (if any) in the metadata. Called once
    // per event of a read (a million for a big $all), so it works on the protobuf's own strings and builds
    // the metadata in one buffer: no QString round trips for the header fields, no temporary keys.
    Got convert(const st::ReadResp::ReadEvent& re) const
    {
        Got g;
        const auto& rec = re.has_event() ? re.event() : re.link();
        const auto& read = re.has_link() ? re.link() : re.event();
        Event& e = g.event;
        e.stream = nameOf(rec.stream_identifier().stream_name());
        e.version = qint64(rec.stream_revision());
        e.id = uuidText(rec.id());
        const auto& md = rec.metadata();
        static const std::string kType("type"), kContentType("content-type"), kCreated("created"), kNone;
        auto meta = [&](const std::string& k) -> const std::string& {
            const auto it = md.find(k);
            return it == md.end() ? kNone : it->second;
        };
        e.type = nameOf(meta(kType));
        const std::string& contentType = meta(kContentType);
        e.time = createdMs(meta(kCreated));
        e.position = qint64(rec.prepare_position()) + 1;
        const bool json = contentType == "application/json";
        const std::string& data = rec.data();
        const QByteArray payload = QByteArray::fromRawData(data.data(), qsizetype(data.size()));
        if (json) {
            remote::setData(e, payload);
        } else {
            // Binary: shown as base64, with its size in the metadata.
            e.data = remote::jsonString(QString::fromLatin1(payload.toBase64()));
            e.dataIsJson = false;
        }
        // The custom metadata as written (compact), then Chronoscope's "kurrentdb" member.
        const std::string& cm = rec.custom_metadata();
        QByteArray custom("{}");
        if (!cm.empty()) {
            Event m;
            remote::setMetadata(m, QByteArray::fromRawData(cm.data(), qsizetype(cm.size())));
            custom = m.metadata;
        }
        QByteArray& out = e.metadata;
        out.reserve(custom.size() + 160);
        if (custom.startsWith('{') && custom.size() > 2) {
            out.append(custom.constData(), custom.size() - 1);
            out += ',';
        } else if (custom == "{}") {
            out += '{';
        } else {
            out += "{\"custom\":";
            out += custom;
            out += ',';
        }
        out += "\"kurrentdb\":{\"commitPosition\":";
        appendNumber(out, rec.commit_position());
        out += ",\"preparePosition\":";
        appendNumber(out, rec.prepare_position());
        out += ",\"contentType\":";
        if (json)
            out += "\"application/json\"";
        else
            out += remote::jsonString(fromStd(contentType));
        if (!json) {
            out += ",\"dataSize\":";
            appendNumber(out, quint64(data.size()));
            out += ",\"dataEncoding\":\"base64\"";
        }
        if (re.has_link() && re.has_event()) {
            const auto& l = re.link();
            const auto lmd = l.metadata().find(kType);
            out += ",\"link\":{\"stream\":";
            out += remote::jsonString(fromStd(l.stream_identifier().stream_name()));
            out += ",\"revision\":";
            appendNumber(out, l.stream_revision());
            out += ",\"id\":";
            out += remote::jsonString(uuidText(l.id()));
            out += ",\"type\":";
            out += remote::jsonString(lmd == l.metadata().end() ? QString() : fromStd(lmd->second));
            out += ",\"commitPosition\":";
            appendNumber(out, l.commit_position());
            out += ",\"preparePosition\":";
            appendNumber(out, l.prepare_position());
            out += '}';
        }
        out += "}}";
        g.pos = {read.commit_position(), read.prepare_position()};
        g.revision = read.stream_revision();
        if (m_plan.all) {
            if (!m_plan.glob.isEmpty() && !globMatch(m_plan.glob, e.stream)) g.keep = false;
            if (!m_plan.system && (e.stream.startsWith(u'$') || e.type.startsWith(u'$'))) g.keep = false;
        }
        if (m_scope.since != kNoTime && e.time != kNoTime && e.time < m_scope.since) g.keep = false;
        return g;
    }

    // Runs one Read call, handing each event to `each`. Returns the status; *notFound when the stream
    // does not exist.
    grpc::Status runRead(const st::ReadReq& req, qint64 deadlineMs, bool* notFound,
                         const std::function<bool(const st::ReadResp&)>& each, grpc::ClientContext& ctx)
    {
        prepare(ctx, deadlineMs);
        CancelWatch watch(&ctx, m_ep.cancel);
        auto reader = m_streams->Read(&ctx, req);
        // Responses are parsed into an arena: parsing a response replaces its event (a oneof), and on the heap
        // that freed and allocated the event's messages, map and strings for each one. The arena is emptied
        // every kPerArena responses, so it stays under a megabyte.
        constexpr int kPerArena = 1024;
        google::protobuf::Arena arena;
        st::ReadResp* resp = google::protobuf::Arena::CreateMessage<st::ReadResp>(&arena);
        int inArena = 0;
        while (reader->Read(resp)) {
            if (resp->has_stream_not_found()) {
                *notFound = true;
                continue;
            }
            if (!each(*resp)) {
                ctx.TryCancel();
                break;
            }
            if (++inArena == kPerArena) {
                inArena = 0;
                arena.Reset();
                resp = google::protobuf::Arena::CreateMessage<st::ReadResp>(&arena);
            }
        }
        return reader->Finish();
    }

    bool failRead(const grpc::Status& s, const grpc::ClientContext& ctx, QString* error)
    {
        if (isCancelled()) {
            *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
            return false;
        }
        QString doing = QStringLiteral("reading %1").arg(targetName());
        if (m_delivered > 0)
            doing += QStringLiteral(" (the %1 events read before are kept)").arg(m_delivered);
        *error = statusMessage(s, ctx, doing);
        return false;
    }

    bool notFoundError(QString* error) const
    {
        *error = QStringLiteral("%1: there is no stream '%2' on the server (stream not found)")
                     .arg(m_ep.display, m_plan.stream);
        return false;
    }

    bool deliver(QList<Event>& page, const PageSink& sink, QString* error)
    {
        if (page.isEmpty()) return true;
        m_delivered += page.size();
        m_lastPosition = page.last().position;
        const bool go = sink(page);
        page.clear();
        reportProgress(m_delivered, -1,
                       QStringLiteral("%1 events read from %2").arg(m_delivered).arg(m_ep.display));
        if (!go && error && isCancelled())
            *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
        return go;
    }

    bool readForwards(const PageSink& sink, QString* error)
    {
        std::optional<AllPos> fromAll;
        std::optional<quint64> fromRevision;
        bool first = true;
        bool stopped = false;
        if (!m_plan.all && m_scope.since != kNoTime && !seekStreamSince(&fromRevision, error)) return false;
        // Events asked for in one Read call, apart from the pages handed to the sink (a call's last page may be
        // short): each call is a new HTTP/2 stream, and a page-sized call (5000 events) spent about a fifth more
        // CPU per event on both ends than calls of several pages (docs/remote.md "Budgets"). A call must end
        // within the deadline, so its size follows the last call's pace: a quarter of the deadline's worth.
        qint64 callSize = pageSize(false);
        for (;;) {
            const qint64 pageLimit = pageSize(first);
            // A $all read from a position starts with the event at it, the last one delivered: one more.
            const quint64 count = quint64(first ? pageLimit : callSize) + (fromAll ? 1 : 0);
            first = false;
            QList<Event> page;
            page.reserve(pageLimit);
            quint64 got = 0;
            bool skippedStart = false;
            bool notFound = false;
            bool refused = false;
            grpc::ClientContext ctx;
            const auto req = request(false, fromAll, fromRevision, count);
            const std::optional<AllPos> startedAt = fromAll;
            QElapsedTimer callTime;
            callTime.start();
            const grpc::Status s = runRead(
                req, m_s.defaultDeadlineMs, &notFound,
                [&](const st::ReadResp& r) {
                    if (!r.has_event()) return true;
                    Got g = convert(r.event());
                    // $all reads from a position include the event at it: the last one already delivered.
                    ++got;
                    if (startedAt && !skippedStart && g.pos == *startedAt) {
                        skippedStart = true;
                        return true;
                    }
                    if (m_plan.all)
                        fromAll = g.pos;
                    else
                        fromRevision = g.revision + 1;
                    m_lastAll = g.pos;
                    m_lastRevision = g.revision;
                    if ((m_scope.until != kNoTime && g.event.time != kNoTime &&
                         g.event.time > m_scope.until) ||
                        (m_toPosition > 0 && g.event.position > m_toPosition)) {
                        stopped = true;
                        return false;
                    }
                    if (g.keep) {
                        page.append(std::move(g.event));
                        if (page.size() >= pageLimit && !deliver(page, sink, error)) {
                            refused = true;
                            return false;
                        }
                    }
                    return true;
                },
                ctx);
            if (refused || !deliver(page, sink, error)) return !isCancelled();
            if (notFound) return notFoundError(error);
            if (stopped) return true;
            if (!s.ok()) return failRead(s, ctx, error);
            if (isCancelled()) {
                *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            if (got < count) return true;
            callSize = nextCallSize(qint64(got), callTime.elapsed());
        }
    }

    // The next Read call's size: as many events as the last call's pace brings in a quarter of the deadline,
    // between kMinCallEvents and kMaxCallEvents. Below a page when the pace is slow (a slow link, a loaded
    // machine): a page-sized call at under 500 events/s outlasted the default 10 s deadline and failed the read.
    qint64 nextCallSize(qint64 got, qint64 ms) const
    {
        constexpr qint64 kMinCallEvents = 100;
        constexpr qint64 kMaxCallEvents = 50000;  // 0.4-0.5 s at the budget's pace; more gained nothing measurable
        const qint64 most = std::max<qint64>(pageSize(false), kMaxCallEvents);
        if (m_s.defaultDeadlineMs <= 0) return most;
        const double perMs = double(got) / double(std::max<qint64>(1, ms));
        return std::clamp<qint64>(qint64(perMs * double(m_s.defaultDeadlineMs) / 4), kMinCallEvents, most);
    }

    // The first revision written at or after `since`: bisection over revisions, one event read per step
    // (the protocol has no time index).
    bool seekStreamSince(std::optional<quint64>* from, QString* error)
    {
        auto probe = [&](std::optional<quint64> rev, bool backwards, quint64* gotRev, TimeMs* time,
                         bool* any) {
            grpc::ClientContext ctx;
            bool notFound = false;
            *any = false;
            const grpc::Status s = runRead(
                request(backwards, std::nullopt, rev, 1), m_s.defaultDeadlineMs, &notFound,
                [&](const st::ReadResp& r) {
                    if (!r.has_event()) return true;
                    const Got g = convert(r.event());
                    *gotRev = g.revision;
                    *time = g.event.time;
                    *any = true;
                    return true;
                },
                ctx);
            if (notFound) return notFoundError(error);
            if (!s.ok()) return failRead(s, ctx, error);
            return true;
        };
        quint64 lastRev = 0;
        TimeMs t = kNoTime;
        bool any = false;
        if (!probe(std::nullopt, true, &lastRev, &t, &any)) return false;
        if (!any || t == kNoTime || t < m_scope.since) {
            *from = any ? lastRev + 1 : 0;
            return true;
        }
        quint64 lo = 0, hi = lastRev; // the answer is in [lo, hi]
        while (lo < hi) {
            const quint64 mid = lo + (hi - lo) / 2;
            quint64 rev = 0;
            if (!probe(mid, false, &rev, &t, &any)) return false;
            if (!any || t == kNoTime || t >= m_scope.since)
                hi = mid;
            else
                lo = std::max(mid, rev) + 1;
        }
        *from = lo;
        return true;
    }

    // The newest N events of the scope: backward pages from the end, N kept, then delivered oldest first.
    bool readLast(const PageSink& sink, QString* error)
    {
        const qint64 n = m_scope.last;
        QList<Event> kept;
        std::optional<AllPos> fromAll;
        std::optional<quint64> fromRevision;
        bool done = n == 0;
        AllPos newest;
        bool haveNewest = false;
        quint64 newestRevision = 0;
        while (!done) {
            const quint64 count =
                quint64(std::clamp<qint64>(n - kept.size(), 1, m_pageSize)) + (fromAll ? 1 : 0);
            quint64 got = 0;
            bool skippedStart = false;
            bool notFound = false;
            grpc::ClientContext ctx;
            const std::optional<AllPos> startedAt = fromAll;
            const grpc::Status s = runRead(
                request(true, fromAll, fromRevision, count), m_s.defaultDeadlineMs, &notFound,
                [&](const st::ReadResp& r) {
                    if (!r.has_event()) return true;
                    Got g = convert(r.event());
                    ++got;
                    if (startedAt && !skippedStart && g.pos == *startedAt) {
                        skippedStart = true;
                        return true;
                    }
                    if (!haveNewest) {
                        newest = g.pos;
                        newestRevision = g.revision;
                        haveNewest = true;
                    }
                    fromAll = g.pos;
                    if (g.revision == 0 && !m_plan.all) {
                        fromRevision.reset();
                        done = true;
                    } else {
                        fromRevision = g.revision - 1;
                    }
                    if (m_scope.since != kNoTime && g.event.time != kNoTime && g.event.time < m_scope.since) {
                        done = true;
                        return false;
                    }
                    const bool afterUntil =
                        m_scope.until != kNoTime && g.event.time != kNoTime && g.event.time > m_scope.until;
                    if (g.keep && !afterUntil) kept.append(std::move(g.event));
                    if (kept.size() >= n) {
                        done = true;
                        return false;
                    }
                    return true;
                },
                ctx);
            if (notFound) return notFoundError(error);
            if (!done && !s.ok()) return failRead(s, ctx, error);
            if (got < count) done = true;
        }
        std::reverse(kept.begin(), kept.end());
        if (haveNewest) {
            m_lastAll = newest;
            m_lastRevision = newestRevision;
        }
        for (qsizetype i = 0; i < kept.size(); i += m_pageSize) {
            QList<Event> page = kept.mid(i, m_pageSize);
            if (!deliver(page, sink, error)) return !isCancelled();
        }
        return true;
    }

    // ---- live -----------------------------------------------------------------------------------

    // A catch-up subscription from the last record read. A lost connection subscribes again from the last
    // event delivered (no repeats, no gaps); the server ending the subscription is an error.
    bool subscribe(const PageSink& sink, QString* error)
    {
        int failures = 0;
        for (;;) {
            grpc::ClientContext ctx;
            prepare(ctx, 0);
            CancelWatch watch(&ctx, m_ep.cancel);
            st::ReadReq req;
            std::optional<AllPos> startedAt;
            if (m_plan.all) {
                req = request(false, m_lastAll, std::nullopt, std::nullopt);
                startedAt = m_lastAll;
            } else {
                req = request(false, std::nullopt,
                              m_lastRevision ? std::optional<quint64>(*m_lastRevision + 1) : std::nullopt,
                              std::nullopt);
            }
            auto reader = m_streams->Read(&ctx, req);
            st::ReadResp resp;
            bool skippedStart = false;
            bool sinkStopped = false;
            while (reader->Read(&resp)) {
                if (resp.has_caught_up()) {
                    reportProgress(m_delivered, m_delivered, QStringLiteral("caught up"));
                    continue;
                }
                if (resp.has_checkpoint()) {
                    // Filtered $all: the server has looked this far; resuming from here skips nothing wanted.
                    m_lastAll =
                        AllPos{resp.checkpoint().commit_position(), resp.checkpoint().prepare_position()};
                    startedAt = m_lastAll;
                    skippedStart = true; // a checkpoint is not an event: nothing at it to skip
                    reportProgress(m_delivered, -1,
                                   QStringLiteral("checkpoint %1").arg(resp.checkpoint().commit_position()));
                    continue;
                }
                if (!resp.has_event()) continue;
                Got g = convert(resp.event());
                if (startedAt && !skippedStart && g.pos == *startedAt) {
                    skippedStart = true;
                    continue;
                }
                skippedStart = true;
                m_lastAll = g.pos;
                m_lastRevision = g.revision;
                failures = 0;
                if (!g.keep) continue;
                // Catch-up subscriptions also deliver what was written between the read and now: the
                // positions only go forward, so nothing is shown twice.
                if (g.event.position <= m_lastPosition) continue;
                QList<Event> page{std::move(g.event)};
                if (!deliver(page, sink, nullptr)) {
                    sinkStopped = true;
                    ctx.TryCancel();
                    break;
                }
            }
            const grpc::Status s = reader->Finish();
            if (sinkStopped || isCancelled()) return true;
            if (s.error_code() == grpc::UNAVAILABLE && failures < std::max(1, m_ep.retries + 1)) {
                ++failures;
                reportProgress(m_delivered, -1, QStringLiteral("subscription lost, subscribing again"));
                if (!sleepUnlessCancelled(200 * failures)) return true;
                continue;
            }
            if (s.ok()) {
                *error =
                    QStringLiteral(
                        "%1: the server ended the subscription to %2 (subscription dropped); the %3 events "
                        "read are kept")
                        .arg(m_ep.display, targetName())
                        .arg(m_delivered);
                return false;
            }
            *error = statusMessage(
                s, ctx,
                QStringLiteral("following %1 (subscription dropped; the %2 events read are kept)")
                    .arg(targetName())
                    .arg(m_delivered));
            return false;
        }
    }

    // Stream and type names seen lately, as QStrings: events of a stream (and of a type) share one (implicitly
    // shared, so no conversion, allocation or free per event on either thread). Cleared when it holds
    // kNamesKept names: a log of ever new streams costs a lookup more, not memory.
    struct NameHash
    {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    static constexpr size_t kNamesKept = 4096;
    mutable std::unordered_map<std::string, QString, NameHash, std::equal_to<>> m_names;
    QString nameOf(const std::string& s) const
    {
        const auto it = m_names.find(std::string_view(s));
        if (it != m_names.end()) return it->second;
        if (m_names.size() >= kNamesKept) m_names.clear();
        return m_names.emplace(s, fromStd(s)).first->second;
    }

    ConnectionSettings m_s;
    int m_maxMessage = 17 << 20;
    qint64 m_toPosition = 0; ///< ?toPosition: the last position a forward read delivers (0: no bound)
    std::string m_caPem;
    std::string m_userCertPem; ///< userCertFile's PEM (mutual TLS); empty: none
    std::string m_userKeyPem;
    HostPort m_node;
    std::shared_ptr<grpc::Channel> m_channel;
    std::unique_ptr<st::Streams::Stub> m_streams;
    QString m_version;
    QStringList m_methods;
    QString m_note;
    std::unique_ptr<RemoteClient> m_atompub;
    RemoteScope m_scope;
    ReadPlan m_plan;
    bool m_haveReadPlan = false;
    qint64 m_delivered = 0;
    qint64 m_lastPosition = 0;
    std::optional<AllPos> m_lastAll;
    std::optional<quint64> m_lastRevision;
};

// gRPC core writes its own diagnostics (handshake failures, ...) to stderr; the client says what went
// wrong in the user's words, so those go to the debug log instead.
void grpcLogToQt(gpr_log_func_args* a)
{
    qCDebug(lcKurrentGrpc) << "grpc:" << a->message;
}

} // namespace

namespace {

std::unique_ptr<GrpcClient> makeClientFor(const QString& uri, QString* error)
{
    RemoteEndpoint ep;
    if (!RemoteEndpoint::parse(uri, &ep, error)) return nullptr;
    ConnectionSettings s;
    if (!settingsOf(ep, &s, error)) return nullptr;
    static std::once_flag once;
    std::call_once(once, [] { gpr_set_log_function(grpcLogToQt); });
    return std::make_unique<GrpcClient>(ep, s);
}

} // namespace

std::unique_ptr<RemoteClient> makeGrpcClient(const RemoteEndpoint& ep, const ConnectionSettings& settings,
                                             QString*)
{
    static std::once_flag once;
    std::call_once(once, [] { gpr_set_log_function(grpcLogToQt); });
    return std::make_unique<GrpcClient>(ep, settings);
}

bool listProjections(const QString& uri, QList<ServerProjection>* out, QString* error)
{
    auto c = makeClientFor(uri, error);
    return c && c->projections(out, error);
}

bool projectionState(const QString& uri, const QString& name, const QString& partition, bool result,
                     QByteArray* json, QString* error)
{
    auto c = makeClientFor(uri, error);
    return c && c->projectionValue(name, partition, result, json, error);
}

} // namespace chronoscope::kurrent
