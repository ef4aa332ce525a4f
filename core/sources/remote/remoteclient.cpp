#include "sources/remote/remoteclient.h"

#include "model/glob.h"

#include "json/jsontext.h"

#include "sources/remote/kurrentgrpc/kurrentgrpc.h"
#include "sources/remote/remoteclients_p.h"
#include "sources/sourceregistry.h"

#include <QCryptographicHash>
#include <QJsonValue>
#include <QThread>
#include <QUrlQuery>

#include <algorithm>

namespace chronoscope {

QJsonObject RemoteScope::toJson() const
{
    QJsonObject o;
    if (!streams.isEmpty())
        o.insert(QStringLiteral("streams"), streams);
    if (since != kNoTime)
        o.insert(QStringLiteral("since"), formatTime(since));
    if (until != kNoTime)
        o.insert(QStringLiteral("until"), formatTime(until));
    if (last >= 0)
        o.insert(QStringLiteral("last"), QJsonValue(last));
    return o;
}

bool RemoteScope::fromParams(const QHash<QString, QString>& params, RemoteScope* scope, QString* error)
{
    *scope = {};
    scope->streams = params.value(QStringLiteral("streams")).trimmed();
    auto timeParam = [&](const char* key, TimeMs* out) {
        const QString v = params.value(QLatin1String(key)).trimmed();
        if (v.isEmpty())
            return true;
        QString why;
        const auto t = parseTime(v, &why);
        if (!t) {
            if (error)
                *error = QStringLiteral("--%1 %2: not a time: %3").arg(QLatin1String(key), v, why);
            return false;
        }
        *out = *t;
        return true;
    };
    if (!timeParam("since", &scope->since) || !timeParam("until", &scope->until))
        return false;
    if (scope->since != kNoTime && scope->until != kNoTime && scope->until < scope->since) {
        if (error)
            *error = QStringLiteral("--until is before --since: the time window is empty");
        return false;
    }
    const QString last = params.value(QStringLiteral("last")).trimmed();
    if (!last.isEmpty()) {
        bool ok = false;
        scope->last = last.toLongLong(&ok);
        if (!ok || scope->last < 0) {
            if (error)
                *error = QStringLiteral("--last %1: expected a whole number of events, 0 or more").arg(last);
            return false;
        }
    }
    return true;
}

bool RemoteEndpoint::parse(const QString& uri, RemoteEndpoint* ep, QString* error)
{
    const CancelToken cancel = ep->cancel;
    const ProgressFn progress = ep->progress;
    const CredentialsPrompt prompt = ep->prompt;
    *ep = {};
    ep->cancel = cancel;
    ep->progress = progress;
    ep->prompt = prompt;
    ep->uri = uri;
    ep->display = redactUri(uri);
    // KurrentDB connection strings (several hosts, +discover) are not URLs: they have their own parser.
    const bool kurrentString = kurrent::isKurrentScheme(kurrent::schemeOf(uri));
    if (kurrentString) {
        if (!kurrent::fillEndpoint(uri, ep, error))
            return false;
    } else {
        // A host list (kafka://b1:9092,b2:9092/...) is parsed on its first host; the client reads the rest from uri.
        ep->url = QUrl(singleHostUri(uri), QUrl::StrictMode);
        if (!ep->url.isValid() || ep->url.host().isEmpty()) {
            if (error)
                *error = QStringLiteral("%1 is not a valid remote URI (expected scheme://host[:port]/...)").arg(ep->display);
            return false;
        }
        ep->scheme = ep->url.scheme().toLower();
        ep->host = ep->url.host();
        ep->port = ep->url.port(-1);
        ep->user = ep->url.userName();
        ep->secret = ep->url.password();
    }
    const QUrlQuery q(kurrentString ? QUrl() : ep->url);
    for (const auto& item : q.queryItems(QUrl::FullyDecoded)) {
        const QString k = item.first.toLower();
        if (isSecretQueryKey(k)) {
            if (ep->secret.isEmpty())
                ep->secret = item.second;
            continue;
        }
        ep->options.insert(k, item.second);
    }
    if (ep->secret.isEmpty()) {
        // Tokens for the HTTP APIs, passwords for the databases; either variable serves both.
        const bool tokenFirst = ep->scheme == QLatin1String("eventsourcingdb");
        const QByteArray a = qgetenv(tokenFirst ? "CHRONOSCOPE_TOKEN" : "CHRONOSCOPE_PASSWORD");
        const QByteArray b = qgetenv(tokenFirst ? "CHRONOSCOPE_PASSWORD" : "CHRONOSCOPE_TOKEN");
        ep->secret = QString::fromUtf8(a.isEmpty() ? b : a);
    }
    if (ep->user.isEmpty())
        ep->user = QString::fromUtf8(qgetenv("CHRONOSCOPE_USER"));
    bool ok = false;
    const int timeout = ep->options.value(QStringLiteral("timeout")).toInt(&ok);
    if (ok && timeout > 0)
        ep->timeoutMs = timeout;
    const int retries = ep->options.value(QStringLiteral("retries")).toInt(&ok);
    if (ok && retries >= 0)
        ep->retries = retries;
    return true;
}

bool RemoteEndpoint::optionOn(const QString& key, bool fallback) const
{
    const QString v = options.value(key).toLower();
    if (v.isEmpty())
        return fallback;
    return v == u"true" || v == u"1" || v == u"on" || v == u"yes";
}

bool RemoteEndpoint::askSecret()
{
    if (!prompt || asked)
        return false;
    asked = true;
    QString s;
    if (!prompt(display, user, &s) || s.isEmpty())
        return false;
    secret = s;
    return true;
}

QString RemoteClient::describe() const
{
    return QStringLiteral("%1 at %2").arg(layout(), m_ep.display);
}

bool RemoteClient::sleepUnlessCancelled(int ms) const
{
    const int step = 20;
    for (int slept = 0; slept < ms; slept += step) {
        if (isCancelled())
            return false;
        QThread::msleep(std::min(step, ms - slept));
    }
    return !isCancelled();
}

bool isRemoteScheme(const QString& scheme)
{
    if (kurrent::isKurrentScheme(scheme))
        return true;
    static const QStringList schemes = {QStringLiteral("eventsourcingdb"),
                                        QStringLiteral("postgresql"), QStringLiteral("postgres"),
                                        QStringLiteral("redis"), QStringLiteral("kafka")};
    return schemes.contains(scheme.toLower());
}

std::unique_ptr<RemoteClient> createRemoteClient(const RemoteEndpoint& ep, QString* error)
{
    const QString& s = ep.scheme;
    std::unique_ptr<RemoteClient> c;
    if (s == u"postgresql" || s == u"postgres")
        c = remote::makePostgresClient(ep, error);
    else if (s == u"redis")
        c = remote::makeRedisClient(ep, error);
    else if (kurrent::isKurrentScheme(s))
        c = kurrent::makeClient(ep, error);  // gRPC, or AtomPub with ?protocol=atompub

    else if (s == u"eventsourcingdb")
        c = remote::makeEventSourcingDbClient(ep, error);
    else if (s == u"kafka")
        c = remote::makeKafkaClient(ep, error);
    else if (error)
        *error = QStringLiteral("%1: '%2' is not a remote store scheme (kurrentdb, esdb, eventsourcingdb, "
                                "postgresql, redis, kafka)")
                     .arg(ep.display, s);
    return c;
}

namespace remote {

QByteArray jsonString(const QString& text)
{
    QByteArray out;
    out.reserve(text.size() + 2);
    appendJsonString(out, text);
    return out;
}

void setData(Event& e, const QByteArray& payload)
{
    if (payload.isEmpty()) {
        e.data = "null";
        e.dataIsJson = true;
        return;
    }
    if (compactJson(payload, &e.data)) {
        e.dataIsJson = true;
        return;
    }
    e.data = jsonString(QString::fromUtf8(payload));
    e.dataIsJson = false;
}

void setMetadata(Event& e, const QByteArray& payload)
{
    if (payload.isEmpty() || payload == "null") {
        e.metadata = "{}";
        return;
    }
    if (compactJson(payload, &e.metadata))
        return;
    e.metadata = "{\"$raw\":" + jsonString(QString::fromUtf8(payload)) + '}';
}

QString globPrefix(const QString& glob, bool* hasWildcard)
{
    // The grammar's own parser (model/glob.h), so "\\*" is a literal star and "a[b" a plain name.
    bool exact = false;
    const QString prefix = glob::literalPrefix(glob, &exact);
    if (hasWildcard)
        *hasWildcard = !exact;
    return prefix;
}

QByteArray sha256Hex(const QByteArray& bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

} // namespace remote

} // namespace chronoscope
