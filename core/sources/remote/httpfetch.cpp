#include "sources/remote/httpfetch_p.h"

#include "util/uri.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslError>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

namespace chronoscope::remote {

namespace {

// The origin of a URL (RFC 6454): scheme, host and port, the port made explicit.
bool sameOrigin(const QUrl& a, const QUrl& b)
{
    auto defaultPort = [](const QUrl& u) { return u.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0 ? 443 : 80; };
    return a.scheme().compare(b.scheme(), Qt::CaseInsensitive) == 0 &&
           a.host().compare(b.host(), Qt::CaseInsensitive) == 0 && a.port(defaultPort(a)) == b.port(defaultPort(b));
}

constexpr const char* kRefusedRedirect = "chronoscope.refusedRedirect";
// Qt's own buffer of a reply: when full, Qt stops reading the socket until we take data out, so a server that
// sends faster than we read cannot grow the process (our own buffers are bounded by the limits below).
constexpr qint64 kReplyBuffer = 1LL << 20;

QString sizeText(qint64 bytes)
{
    if (bytes % (1LL << 30) == 0)
        return QStringLiteral("%1 GiB").arg(bytes >> 30);
    if (bytes % (1LL << 20) == 0)
        return QStringLiteral("%1 MiB").arg(bytes >> 20);
    if (bytes % (1LL << 10) == 0)
        return QStringLiteral("%1 KiB").arg(bytes >> 10);
    return QStringLiteral("%1 bytes").arg(bytes);
}

} // namespace

qint64 HttpSession::parseSize(const QString& text)
{
    QString t = text.trimmed().toUpper();
    if (t.endsWith(u'B'))
        t.chop(1);
    if (t.endsWith(u'I'))
        t.chop(1); // "MiB"
    int shift = 0;
    if (t.endsWith(u'K'))
        shift = 10;
    else if (t.endsWith(u'M'))
        shift = 20;
    else if (t.endsWith(u'G'))
        shift = 30;
    if (shift)
        t.chop(1);
    bool ok = false;
    const qint64 n = t.toLongLong(&ok);
    if (!ok || n <= 0 || n > (qint64(1) << (62 - shift)))
        return -1;
    return n << shift;
}

QString displayUrl(const QUrl& url)
{
    QUrl u = url;
    u.setUserInfo({});
    QUrlQuery q(u);
    for (const auto& item : q.queryItems())
        if (isSecretQueryKey(item.first))
            q.removeAllQueryItems(item.first);
    u.setQuery(q);
    return u.toString();
}

// The application object must exist before any member (QSslConfiguration loads the TLS backend). Core
// never makes one: the program's entry point does (app/gui/main.cpp, app/cli/main.cpp, the tests' main).
HttpSession::HttpSession(const RemoteEndpoint& ep, const QUrl& base, QString* error)
    : m_ep(ep), m_base(base)
{
    if (!QCoreApplication::instance())
        qFatal("chronoscope: an HTTP source was opened before the program made its QCoreApplication");
    m_nam = std::make_unique<QNetworkAccessManager>();
    // Redirects are checked one by one (send()): only those to the same origin are followed.
    m_nam->setRedirectPolicy(QNetworkRequest::UserVerifiedRedirectPolicy);
    struct Limit
    {
        const char* key;
        const char* env;
        qint64* value;
    };
    for (const Limit& l : {Limit{"maxresponse", "CHRONOSCOPE_MAX_RESPONSE", &m_maxResponse},
                           Limit{"maxevent", "CHRONOSCOPE_MAX_EVENT", &m_maxEvent}}) {
        QString text = ep.option(QLatin1String(l.key));
        QString from = QStringLiteral("?%1=").arg(QLatin1String(l.key));
        if (text.isEmpty()) {
            text = qEnvironmentVariable(l.env);
            from = QStringLiteral("$%1").arg(QLatin1String(l.env));
        }
        if (text.isEmpty())
            continue;
        const qint64 n = parseSize(text);
        if (n < 0) {
            if (error)
                *error = QStringLiteral("%1: %2 '%3' is not a size (a number of bytes, optionally with K, M or G)")
                             .arg(ep.display, from, text);
            return;
        }
        *l.value = n;
    }
    m_ssl = QSslConfiguration::defaultConfiguration();
    m_ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    const QString caFile = ep.option(QStringLiteral("tlscafile"));
    if (!caFile.isEmpty()) {
        QFile f(caFile);
        if (!f.open(QIODevice::ReadOnly)) {
            if (error)
                *error = QStringLiteral("%1: the CA file %2 cannot be read (%3)").arg(ep.display, caFile, f.errorString());
            return;
        }
        const QByteArray pem = f.readAll();
        QList<QSslCertificate> certs = QSslCertificate::fromData(pem, QSsl::Pem);
        if (certs.isEmpty())
            certs = QSslCertificate::fromData(pem, QSsl::Der);
        if (certs.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: %2 holds no certificate (PEM or DER expected)").arg(ep.display, caFile);
            return;
        }
        m_ssl.addCaCertificates(certs);
    }
}

HttpSession::~HttpSession() = default;

QNetworkReply* HttpSession::send(const QByteArray& verb, const QUrl& url, const QHash<QByteArray, QByteArray>& headers,
                                 const QByteArray& body)
{
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setTransferTimeout(0);  // our own inactivity timer below
    if (url.scheme() == u"https")
        req.setSslConfiguration(m_ssl);
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        req.setRawHeader(it.key(), it.value());
    req.setMaximumRedirectsAllowed(5);
    QNetworkReply* reply = m_nam->sendCustomRequest(req, verb, body);
    reply->setReadBufferSize(kReplyBuffer);
    // Qt starts the transfer from this thread's event loop (a queued call made by sendCustomRequest), and a size
    // set before that start does not reach its network thread: set it again from a call queued behind the start,
    // which reaches that thread before the answer can, and when the answer's headers come.
    QMetaObject::invokeMethod(reply, [reply] { reply->setReadBufferSize(kReplyBuffer); }, Qt::QueuedConnection);
    QObject::connect(reply, &QNetworkReply::metaDataChanged, reply, [reply] { reply->setReadBufferSize(kReplyBuffer); });
    // Same-origin redirect policy: a redirect to another scheme, host or port is refused, never followed, so
    // the Authorization header (Basic or Bearer) only ever goes to the address the user gave. Connected here,
    // not in await(), so a request sent ahead (prefetch) is judged as soon as its redirect arrives.
    const QUrl from = url;
    QObject::connect(reply, &QNetworkReply::redirected, reply, [reply, from](const QUrl& to) {
        const QUrl target = from.resolved(to);
        if (sameOrigin(from, target)) {
            Q_EMIT reply->redirectAllowed();
            return;
        }
        reply->setProperty(kRefusedRedirect, displayUrl(target));
        reply->abort();
    });
    return reply;
}

void HttpSession::discard(QNetworkReply* reply)
{
    if (!reply)
        return;
    reply->abort();
    reply->deleteLater();
}

HttpResponse HttpSession::request(const QByteArray& verb, const QUrl& url, const QHash<QByteArray, QByteArray>& headers,
                                  const QByteArray& body, int timeoutMs, const LineSink& lines)
{
    if (m_ep.cancel.isCancelled()) {
        HttpResponse out;
        out.cancelled = true;
        out.error = QStringLiteral("cancelled");
        return out;
    }
    return await(send(verb, url, headers, body), timeoutMs, lines);
}

HttpResponse HttpSession::await(QNetworkReply* reply, int timeoutMs, const LineSink& lines)
{
    HttpResponse out;
    QEventLoop loop;
    QElapsedTimer idle;
    idle.start();
    QByteArray pending;
    QStringList sslErrors;
    bool sinkStopped = false;
    QString limitError;
    auto statusNow = [&] { return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(); };
    auto overLimit = [&](const QString& what) {
        limitError = what;
        reply->abort();
    };
    // Lines of a 2xx streamed answer go to the sink as they complete; any other answer is collected into body.
    // Both are bounded: a line by maxEvent, a body by maxResponse.
    auto absorb = [&](bool final) {
        if (!limitError.isEmpty() || sinkStopped)
            return;
        const QByteArray chunk = reply->isOpen() ? reply->readAll() : QByteArray();
        const int status = statusNow();
        if (!lines || status < 200 || status >= 300) {
            if (out.body.size() + chunk.size() > m_maxResponse) {
                overLimit(QStringLiteral("the answer is larger than the limit of %1 held in memory (set a larger one "
                                         "with ?maxResponse=SIZE or $CHRONOSCOPE_MAX_RESPONSE)")
                              .arg(sizeText(m_maxResponse)));
                return;
            }
            out.body += chunk;
            return;
        }
        pending += chunk;
        qsizetype start = 0;
        for (;;) {
            const qsizetype nl = pending.indexOf('\n', start);
            if (nl < 0)
                break;
            if (nl - start > m_maxEvent)
                break; // reported below
            QByteArray line = pending.mid(start, nl - start);
            start = nl + 1;
            if (line.endsWith('\r'))
                line.chop(1);
            if (!lines(line)) {
                sinkStopped = true;
                break;
            }
        }
        pending.remove(0, start);
        const qsizetype nextEnd = pending.indexOf('\n');
        if (!sinkStopped && (nextEnd > m_maxEvent || (nextEnd < 0 && pending.size() > m_maxEvent))) {
            pending.clear();
            overLimit(QStringLiteral("one line (event) of the answer is longer than the per-event limit of %1 (set a "
                                     "larger one with ?maxEvent=SIZE or $CHRONOSCOPE_MAX_EVENT)")
                          .arg(sizeText(m_maxEvent)));
            return;
        }
        if (final && !sinkStopped && !pending.trimmed().isEmpty()) {
            // NDJSON lines end with a newline: a last line without one was cut off, whatever the transport says.
            out.unterminated = pending;
            pending.clear();
        }
    };
    QObject::connect(reply, &QNetworkReply::metaDataChanged, &loop, [&] {
        // A body announced larger than the limit is refused before a byte of it is read.
        const qint64 announced = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if ((!lines || statusNow() < 200 || statusNow() >= 300) && announced > m_maxResponse)
            overLimit(QStringLiteral("the answer announces %1 bytes, more than the limit of %2 held in memory (set a "
                                     "larger one with ?maxResponse=SIZE or $CHRONOSCOPE_MAX_RESPONSE)")
                          .arg(announced)
                          .arg(sizeText(m_maxResponse)));
    });
    QObject::connect(reply, &QNetworkReply::readyRead, &loop, [&] {
        idle.restart();
        absorb(false);
        if (sinkStopped)
            reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::sslErrors, &loop, [&](const QList<QSslError>& errs) {
        for (const QSslError& e : errs)
            sslErrors << e.errorString();
        // Never ignored: the handshake fails and the request ends with SslHandshakeFailedError.
    });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer tick;
    tick.setInterval(25);
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        if (m_ep.cancel.isCancelled()) {
            out.cancelled = true;
            reply->abort();
        } else if (idle.elapsed() > timeoutMs) {
            out.timedOut = true;
            reply->abort();
        }
    });
    tick.start();
    // What arrived before this call (a request sent ahead) is taken first; Qt resumes reading as it drains.
    absorb(false);
    if (!reply->isFinished() && limitError.isEmpty() && !sinkStopped)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    tick.stop();

    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.netError = reply->error();
    for (const auto& h : reply->rawHeaderPairs())
        out.headers.insert(h.first.toLower(), h.second);
    const QString refusedRedirect = reply->property(kRefusedRedirect).toString();
    const bool brokenTransfer = out.netError != QNetworkReply::NoError && out.netError != QNetworkReply::OperationCanceledError &&
                                out.netError < QNetworkReply::ContentAccessDenied;
    if (limitError.isEmpty() && refusedRedirect.isEmpty() && !sinkStopped)
        absorb(!brokenTransfer && !out.cancelled && !out.timedOut);  // a cut-off last line is never delivered
    out.stoppedBySink = sinkStopped;
    if (!refusedRedirect.isEmpty()) {
        out.redirectRefused = true;
        out.error = QStringLiteral("the server redirected to %1, another host, port or scheme; Chronoscope follows "
                                   "redirects only within the address you gave, so credentials never go elsewhere "
                                   "(open that address directly if you trust it)")
                        .arg(refusedRedirect);
    } else if (!limitError.isEmpty()) {
        out.overLimit = true;
        out.error = limitError;
    } else if (out.cancelled) {
        out.error = QStringLiteral("cancelled");
    } else if (out.timedOut) {
        out.error = QStringLiteral("no answer for %1 s").arg(timeoutMs / 1000.0);
    } else if (sinkStopped) {
        // asked for by the caller: not an error
    } else if (!sslErrors.isEmpty() || out.netError == QNetworkReply::SslHandshakeFailedError) {
        out.error = QStringLiteral("TLS: %1").arg(sslErrors.isEmpty() ? reply->errorString() : sslErrors.join(QLatin1String("; ")));
        out.netError = QNetworkReply::SslHandshakeFailedError;
    } else if (out.status == 0 && out.netError != QNetworkReply::NoError) {
        out.error = reply->errorString();
    } else if (brokenTransfer) {
        out.error = QStringLiteral("the connection broke during the answer (%1)").arg(reply->errorString());
    }
    reply->deleteLater();
    return out;
}

HttpResponse HttpSession::requestWithRetry(const QByteArray& verb, const QUrl& url,
                                           const QHash<QByteArray, QByteArray>& headers, const QByteArray& body,
                                           int timeoutMs)
{
    for (int attempt = 0;; ++attempt) {
        HttpResponse r = request(verb, url, headers, body, timeoutMs);
        if (r.cancelled || r.ok() || r.overLimit || r.redirectRefused)
            return r;  // a limit or a refused redirect is the same on every attempt
        const bool transient = r.timedOut || r.status == 500 || r.status == 502 || r.status == 503 || r.status == 504 ||
                               (r.status == 0 && (r.netError == QNetworkReply::ConnectionRefusedError ||
                                                  r.netError == QNetworkReply::RemoteHostClosedError ||
                                                  r.netError == QNetworkReply::TemporaryNetworkFailureError ||
                                                  r.netError == QNetworkReply::NetworkSessionFailedError ||
                                                  r.netError == QNetworkReply::UnknownNetworkError)) ||
                               (!r.error.isEmpty() && r.status >= 200 && r.status < 300);
        if (!transient || attempt >= m_ep.retries)
            return r;
        const int backoff = 200 << attempt;
        for (int slept = 0; slept < backoff && !m_ep.cancel.isCancelled(); slept += 20)
            QThread::msleep(20);
        if (m_ep.cancel.isCancelled()) {
            r.cancelled = true;
            r.error = QStringLiteral("cancelled");
            return r;
        }
    }
}

QString HttpSession::describeFailure(const HttpResponse& r, const QUrl& url) const
{
    const QString where = m_ep.display;
    const QString what = url.path(QUrl::FullyDecoded);
    if (r.cancelled)
        return QStringLiteral("Reading %1 was cancelled").arg(where);
    if (r.overLimit || r.redirectRefused)
        return QStringLiteral("%1: %2 (%3)").arg(where, r.error, what);
    if (r.timedOut)
        return QStringLiteral("%1: the server did not answer for %2 s (%3); tried %4 times")
            .arg(where)
            .arg(m_ep.timeoutMs / 1000.0)
            .arg(what)
            .arg(m_ep.retries + 1);
    switch (r.netError) {
    case QNetworkReply::ConnectionRefusedError:
        return QStringLiteral("%1: connection refused: is the server running on %2 port %3?")
            .arg(where, url.host())
            .arg(url.port());
    case QNetworkReply::HostNotFoundError:
        return QStringLiteral("%1: the host name '%2' could not be found (DNS)").arg(where, url.host());
    case QNetworkReply::SslHandshakeFailedError:
        return QStringLiteral("%1: the TLS certificate of %2 could not be verified, so the connection was refused "
                              "(%3). If the server uses its own certificate authority, give its certificate with "
                              "?tlsCaFile=PATH.")
            .arg(where, url.host(), r.error);
    default: break;
    }
    const QString snippet = QString::fromUtf8(r.body.left(300)).simplified();
    switch (r.status) {
    case 0: return QStringLiteral("%1: %2").arg(where, r.error.isEmpty() ? QStringLiteral("no answer") : r.error);
    case 401:
        return QStringLiteral("%1: the server refused the credentials (HTTP 401 Unauthorized) for %2. Give them in "
                              "the URI, in $CHRONOSCOPE_USER / $CHRONOSCOPE_PASSWORD or $CHRONOSCOPE_TOKEN.")
            .arg(where, what);
    case 403:
        return QStringLiteral("%1: this user may not read %2 (HTTP 403 Forbidden)").arg(where, what);
    case 404: return QStringLiteral("%1: %2 was not found (HTTP 404)").arg(where, what);
    default: break;
    }
    if (r.status >= 500)
        return QStringLiteral("%1: server error (HTTP %2) for %3%4")
            .arg(where)
            .arg(r.status)
            .arg(what, snippet.isEmpty() ? QString() : QStringLiteral(": ") + snippet);
    if (!r.error.isEmpty())
        return QStringLiteral("%1: %2 (%3)").arg(where, r.error, what);
    return QStringLiteral("%1: unexpected answer HTTP %2 for %3%4")
        .arg(where)
        .arg(r.status)
        .arg(what, snippet.isEmpty() ? QString() : QStringLiteral(": ") + snippet);
}

} // namespace chronoscope::remote
