#pragma once
// Protocol clients for remote event stores (KurrentDB AtomPub, EventSourcingDB, PostgreSQL stores,
// Redis Streams). A client turns a URI and a scope into pages of canonical events, oldest first,
// handed to a callback; what the pages are written into (the cache store, a capture) is not its
// business. Clients are used from one worker thread; cancel() may be called from any thread.

#include "model/event.h"
#include "util/progress.h"

#include <QHash>
#include <QJsonObject>
#include <QUrl>

#include <functional>
#include <memory>

namespace chronoscope {

/// What part of the remote store to read. Pushed down to the server as far as its protocol allows.
struct RemoteScope
{
    QString streams;          ///< glob over stream names (Redis keys, subjects, ...); empty = all
    TimeMs since = kNoTime;   ///< inclusive
    TimeMs until = kNoTime;   ///< inclusive
    qint64 last = -1;         ///< only the newest N events of the window; -1 = all

    bool isEmpty() const { return streams.isEmpty() && since == kNoTime && until == kNoTime && last < 0; }
    /// {"streams":..,"since":..,"until":..,"last":..}, only the members that are set.
    QJsonObject toJson() const;
    /// From OpenOptions::params / CLI flags ("streams", "since", "until", "last"). False with *error on bad values.
    static bool fromParams(const QHash<QString, QString>& params, RemoteScope* scope, QString* error);
};

/// Asks the user for a secret (password or token). Return false when the user declines.
using CredentialsPrompt = std::function<bool(const QString& endpoint, const QString& user, QString* secret)>;

/// A parsed remote URI with its credentials. The secret lives only here, in memory.
struct RemoteEndpoint
{
    QString uri;          ///< as given (may hold secrets: never log it)
    QString display;      ///< redactUri(uri): for messages, logs, meta
    QUrl url;
    QString scheme;       ///< lowercased
    QString host;
    int port = -1;
    QString user;
    QString secret;       ///< password or token; from the URI, $CHRONOSCOPE_PASSWORD / $CHRONOSCOPE_TOKEN or the prompt
    QHash<QString, QString> options;  ///< query items, lowercased keys (secret-like ones removed)
    int timeoutMs = 10000;            ///< per request / per round trip
    int retries = 2;                  ///< extra attempts for transient failures, with backoff
    CancelToken cancel;
    ProgressFn progress;
    CredentialsPrompt prompt;         ///< asked when the server wants a secret and none was given

    /// Asks the prompt for a secret (once per endpoint). False when there is no prompt or it declined.
    bool askSecret();
    bool asked = false;

    /// Fills an endpoint from a URI. Credentials: the URI's password (or token=/password= query item),
    /// else the environment variables, else `prompt` (if given and the source needs one).
    static bool parse(const QString& uri, RemoteEndpoint* ep, QString* error);
    QString option(const QString& key, const QString& fallback = {}) const { return options.value(key, fallback); }
    bool optionOn(const QString& key, bool fallback) const;
};

/// One page of events, oldest first. Return false to stop reading.
using PageSink = std::function<bool(const QList<Event>& page)>;

class RemoteClient
{
public:
    explicit RemoteClient(RemoteEndpoint ep) : m_ep(std::move(ep)) {}
    virtual ~RemoteClient() = default;

    /// "message-db", "marten", "emmett-postgresql", "eventsourcing-postgresql", "redis-streams",
    /// "kurrentdb-atompub", "eventsourcingdb". Known after connect().
    virtual QString layout() const = 0;
    /// Connects, authenticates and detects the layout. Cheap; the "Test connection" button calls it.
    virtual bool connect(QString* error) = 0;
    /// Reads the scope, oldest first, in pages. Events delivered stay valid when it fails later.
    /// Remembers where it stopped so tail() continues from there.
    virtual bool read(const RemoteScope& scope, const PageSink& sink, QString* error) = 0;
    /// Live tail: waits for events after the last one delivered and hands them over as they come,
    /// until cancel() or the sink returns false (then returns true) or an error (false).
    virtual bool tail(const PageSink& sink, QString* error) = 0;
    /// A one-line summary for status bars: "Message DB at localhost:5432/message_store".
    virtual QString describe() const;
    /// Things the user should know about a read that still succeeded (a Kafka partition truncated by
    /// retention while it was read, say). Recorded as issues of the cache file.
    virtual QStringList warnings() const { return {}; }

    void cancel() { m_ep.cancel.cancel(); }
    bool isCancelled() const { return m_ep.cancel.isCancelled(); }
    const RemoteEndpoint& endpoint() const { return m_ep; }

    /// Events per page. The first page is small so it shows quickly; later pages are bigger.
    void setPageSize(int first, int rest) { m_firstPage = first; m_pageSize = rest; }

protected:
    int pageSize(bool first) const { return first ? m_firstPage : m_pageSize; }
    void reportProgress(qint64 done, qint64 total, const QString& what) const
    {
        if (m_ep.progress)
            m_ep.progress(done, total, what);
    }
    /// Sleeps up to ms, waking early on cancel. Returns false when cancelled.
    bool sleepUnlessCancelled(int ms) const;

    RemoteEndpoint m_ep;
    int m_firstPage = 200;
    int m_pageSize = 5000;
};

/// The client for a URI's scheme: kurrentdb/esdb, eventsourcingdb, postgresql/postgres, redis.
/// Null with *error for another scheme or a client this build lacks (no libpq / hiredis).
std::unique_ptr<RemoteClient> createRemoteClient(const RemoteEndpoint& ep, QString* error);
/// True when the scheme is one of the remote ones.
bool isRemoteScheme(const QString& scheme);

namespace remote {

/// Sets e.data from a payload that should be JSON: compact JSON, or a JSON string with dataIsJson=false.
void setData(Event& e, const QByteArray& payload);
/// Sets e.metadata from JSON text: compact when valid, "{}" when empty; {"$raw": "..."} when not JSON.
void setMetadata(Event& e, const QByteArray& payload);
/// A JSON string literal for text.
QByteArray jsonString(const QString& text);
/// The literal prefix of a glob (up to its first wildcard, escapes resolved), and whether the glob is
/// more than a plain name (a wildcard or an escape): without one the glob's text is the one name it matches.
QString globPrefix(const QString& glob, bool* hasWildcard = nullptr);
/// Lower-case hex SHA-256.
QByteArray sha256Hex(const QByteArray& bytes);

} // namespace remote

} // namespace chronoscope
