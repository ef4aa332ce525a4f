#include "sources/remote/remoteclient.h"

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
        const auto t = parseTime(v);
        if (!t) {
            if (error)
                *error = QStringLiteral("--%1 %2: not a time (use ISO 8601 like 2026-01-05T10:00:00Z, or epoch "
                                        "seconds/milliseconds)")
                             .arg(QLatin1String(key), v);
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

namespace {

bool isSecretKey(const QString& k)
{
    return k.contains(u"pass") || k.contains(u"token") || k.contains(u"secret") || k.contains(u"key") ||
           k.contains(u"auth");
}

} // namespace

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
    ep->url = QUrl(uri, QUrl::StrictMode);
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
    const QUrlQuery q(ep->url);
    for (const auto& item : q.queryItems(QUrl::FullyDecoded)) {
        const QString k = item.first.toLower();
        if (isSecretKey(k)) {
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
    static const QStringList schemes = {QStringLiteral("kurrentdb"), QStringLiteral("esdb"),
                                        QStringLiteral("eventstoredb"), QStringLiteral("eventsourcingdb"),
                                        QStringLiteral("postgresql"), QStringLiteral("postgres"),
                                        QStringLiteral("redis")};
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
    else if (s == u"kurrentdb" || s == u"esdb" || s == u"eventstoredb")
        c = remote::makeKurrentClient(ep, error);
    else if (s == u"eventsourcingdb")
        c = remote::makeEventSourcingDbClient(ep, error);
    else if (error)
        *error = QStringLiteral("%1: '%2' is not a remote store scheme (kurrentdb, esdb, eventsourcingdb, "
                                "postgresql, redis)")
                     .arg(ep.display, s);
    return c;
}

namespace remote {

namespace {

// A validating JSON minifier: one pass, no allocation besides the output.
struct JsonScanner
{
    const char* p;
    const char* end;
    QByteArray& out;
    int depth = 0;

    void ws()
    {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            ++p;
    }
    bool lit(const char* word, qsizetype n)
    {
        if (end - p < n || memcmp(p, word, size_t(n)) != 0)
            return false;
        out.append(p, n);
        p += n;
        return true;
    }
    bool string()
    {
        const char* start = p++;
        while (p < end) {
            const unsigned char c = static_cast<unsigned char>(*p);
            if (c == '"') {
                ++p;
                out.append(start, p - start);
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (++p >= end)
                    return false;
                switch (*p) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': ++p; break;
                case 'u':
                    if (end - p < 5)
                        return false;
                    for (int i = 1; i <= 4; ++i)
                        if (!isxdigit(static_cast<unsigned char>(p[i])))
                            return false;
                    p += 5;
                    break;
                default: return false;
                }
                continue;
            }
            ++p;
        }
        return false;
    }
    bool number()
    {
        const char* start = p;
        if (*p == '-')
            ++p;
        if (p >= end || !isdigit(static_cast<unsigned char>(*p)))
            return false;
        if (*p == '0')
            ++p;
        else
            while (p < end && isdigit(static_cast<unsigned char>(*p)))
                ++p;
        if (p < end && *p == '.') {
            ++p;
            if (p >= end || !isdigit(static_cast<unsigned char>(*p)))
                return false;
            while (p < end && isdigit(static_cast<unsigned char>(*p)))
                ++p;
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            if (p < end && (*p == '+' || *p == '-'))
                ++p;
            if (p >= end || !isdigit(static_cast<unsigned char>(*p)))
                return false;
            while (p < end && isdigit(static_cast<unsigned char>(*p)))
                ++p;
        }
        out.append(start, p - start);
        return true;
    }
    bool value()
    {
        ws();
        if (p >= end)
            return false;
        switch (*p) {
        case '{': {
            if (++depth > 512)
                return false;
            out += *p++;
            ws();
            if (p < end && *p == '}') {
                out += *p++;
                --depth;
                return true;
            }
            for (;;) {
                ws();
                if (p >= end || *p != '"' || !string())
                    return false;
                ws();
                if (p >= end || *p != ':')
                    return false;
                out += *p++;
                if (!value())
                    return false;
                ws();
                if (p >= end)
                    return false;
                if (*p == ',') {
                    out += *p++;
                    continue;
                }
                if (*p == '}') {
                    out += *p++;
                    --depth;
                    return true;
                }
                return false;
            }
        }
        case '[': {
            if (++depth > 512)
                return false;
            out += *p++;
            ws();
            if (p < end && *p == ']') {
                out += *p++;
                --depth;
                return true;
            }
            for (;;) {
                if (!value())
                    return false;
                ws();
                if (p >= end)
                    return false;
                if (*p == ',') {
                    out += *p++;
                    continue;
                }
                if (*p == ']') {
                    out += *p++;
                    --depth;
                    return true;
                }
                return false;
            }
        }
        case '"': return string();
        case 't': return lit("true", 4);
        case 'f': return lit("false", 5);
        case 'n': return lit("null", 4);
        default: return number();
        }
    }
};

} // namespace

bool compactJson(const char* text, qsizetype size, QByteArray* out)
{
    QByteArray buf;
    buf.reserve(size);
    JsonScanner s{text, text + size, buf};
    if (!s.value())
        return false;
    s.ws();
    if (s.p != s.end)
        return false;
    *out = std::move(buf);
    return true;
}

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
    qsizetype i = 0;
    for (; i < glob.size(); ++i)
        if (glob[i] == u'*' || glob[i] == u'?' || glob[i] == u'[')
            break;
    if (hasWildcard)
        *hasWildcard = i < glob.size();
    return glob.left(i);
}

QByteArray sha256Hex(const QByteArray& bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

} // namespace remote

} // namespace chronoscope
