#pragma once
// Internal: synchronous HTTP for the protocol clients, on QNetworkAccessManager with a local event loop
// in the calling thread. Every request has an inactivity timeout, is retried with backoff on transient
// failures, stops within ~25 ms of a cancel, and never accepts a TLS certificate that does not verify.

#include "sources/remote/remoteclient.h"

#include <QHash>
#include <QNetworkReply>
#include <QSslConfiguration>

#include <memory>

class QNetworkAccessManager;

namespace chronoscope::remote {

struct HttpResponse
{
    int status = 0;                          ///< 0 when no HTTP answer came
    QByteArray body;                         ///< empty when the body went to a line sink
    QHash<QByteArray, QByteArray> headers;   ///< lowercased names
    QNetworkReply::NetworkError netError = QNetworkReply::NoError;
    QString error;                           ///< set when the request failed (network, TLS, timeout, cancel)
    bool cancelled = false;
    bool timedOut = false;
    bool stoppedBySink = false;              ///< the line sink asked to stop
    bool overLimit = false;                  ///< stopped by a size limit (error says which)
    bool redirectRefused = false;            ///< the server redirected to another origin (error says where)
    QByteArray unterminated;                 ///< a last line without its newline (never given to the sink)
    bool ok() const { return error.isEmpty() && status >= 200 && status < 300; }
};

/// Called for each complete line of a streamed body; return false to stop (the request is aborted).
using LineSink = std::function<bool(const QByteArray& line)>;

class HttpSession
{
public:
    /// base: scheme://host:port of the endpoint. TLS settings from the endpoint's options
    /// (tlsCaFile = PEM file of the CA certificates to trust besides the system ones).
    HttpSession(const RemoteEndpoint& ep, const QUrl& base, QString* error);
    ~HttpSession();

    /// Sends a request and returns at once; await() collects the answer. Lets a client ask for the next
    /// page while it still works on the current one (the transfer goes on in Qt's network thread).
    QNetworkReply* send(const QByteArray& verb, const QUrl& url, const QHash<QByteArray, QByteArray>& headers,
                        const QByteArray& body);
    HttpResponse await(QNetworkReply* reply, int timeoutMs, const LineSink& lines = {});
    /// Drops a sent request that is no longer wanted.
    static void discard(QNetworkReply* reply);

    /// One attempt. timeoutMs is the inactivity limit (no bytes for that long ends the request).
    HttpResponse request(const QByteArray& verb, const QUrl& url, const QHash<QByteArray, QByteArray>& headers,
                         const QByteArray& body, int timeoutMs, const LineSink& lines = {});
    /// With retries (ep.retries, backoff 200 ms doubling) on refused/reset connections, timeouts and 5xx.
    HttpResponse requestWithRetry(const QByteArray& verb, const QUrl& url, const QHash<QByteArray, QByteArray>& headers,
                                  const QByteArray& body, int timeoutMs);

    /// A message in the user's words for a failed response, naming the endpoint (never a secret).
    QString describeFailure(const HttpResponse& r, const QUrl& url) const;
    QUrl base() const { return m_base; }

    /// Most bytes of one answer held in memory (a page, a JSON document). URI key maxResponse, else
    /// $CHRONOSCOPE_MAX_RESPONSE, else kDefaultMaxResponse. A number of bytes with an optional K, M or G.
    qint64 maxResponseBytes() const { return m_maxResponse; }
    /// Most bytes of one event (one NDJSON line, or one entry's data and metadata). URI key maxEvent, else
    /// $CHRONOSCOPE_MAX_EVENT, else kDefaultMaxEvent.
    qint64 maxEventBytes() const { return m_maxEvent; }
    static constexpr qint64 kDefaultMaxResponse = 128LL << 20;
    static constexpr qint64 kDefaultMaxEvent = 16LL << 20;
    /// "12M" -> 12582912; -1 when the text is not a size.
    static qint64 parseSize(const QString& text);

private:
    const RemoteEndpoint& m_ep;
    QUrl m_base;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    QSslConfiguration m_ssl;
    qint64 m_maxResponse = kDefaultMaxResponse;
    qint64 m_maxEvent = kDefaultMaxEvent;
};

/// The URL without user info and with secret-like query items removed (for messages).
QString displayUrl(const QUrl& url);

} // namespace chronoscope::remote
