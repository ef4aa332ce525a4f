// KurrentDB / EventStoreDB over the HTTP AtomPub API. Pages are followed by their RFC 5005 links with
// embed=body, oldest first (start at the oldest page, then "previous"); the end is a page without
// entries, which the live tail polls with ES-LongPoll and an ETag. $all positions are opaque, so links
// are always followed, never built, except for event-number pages of a stream (used for "last N").

#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "sources/remote/httpfetch_p.h"
#include "sources/remote/remoteclients_p.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QUrlQuery>

namespace chronoscope::remote {

namespace {

const QByteArray kAccept = "application/vnd.eventstore.atom+json";

QString linkOf(const QJsonObject& feed, const QString& relation)
{
    for (const QJsonValue& v : feed.value(QStringLiteral("links")).toArray()) {
        const QJsonObject l = v.toObject();
        if (l.value(QStringLiteral("relation")).toString() == relation)
            return l.value(QStringLiteral("uri")).toString();
    }
    return {};
}

QUrl withEmbed(QUrl url)
{
    QUrlQuery q(url);
    if (!q.hasQueryItem(QStringLiteral("embed")))
        q.addQueryItem(QStringLiteral("embed"), QStringLiteral("body"));
    url.setQuery(q);
    return url;
}

QString pageKey(const QUrl& url)
{
    QUrl u = url;
    u.setQuery(QString());
    return u.path(QUrl::FullyEncoded).toLower();
}

class KurrentClient : public RemoteClient
{
public:
    explicit KurrentClient(const RemoteEndpoint& ep) : RemoteClient(ep)
    {
        const bool tls = m_ep.optionOn(QStringLiteral("tls"), true);
        m_base.setScheme(tls ? QStringLiteral("https") : QStringLiteral("http"));
        m_base.setHost(m_ep.host);
        m_base.setPort(m_ep.port > 0 ? m_ep.port : 2113);
    }

    QString layout() const override { return QStringLiteral("kurrentdb-atompub"); }
    QString describe() const override
    {
        return QStringLiteral("KurrentDB AtomPub (%1) at %2").arg(m_target.isEmpty() ? QStringLiteral("$all") : m_target, m_ep.display);
    }

    bool connect(QString* error) override
    {
        if (!ensureHttp(error))
            return false;
        // /info says whether AtomPub is on (20.6+); older servers have no "features" and always serve it.
        const QUrl info = url(QStringLiteral("/info"));
        HttpResponse r = m_http->requestWithRetry("GET", info, {{"Accept", "application/json"}}, {}, m_ep.timeoutMs);
        if (!r.error.isEmpty() && r.status == 0) {
            if (error)
                *error = m_http->describeFailure(r, info);
            return false;
        }
        if (r.ok()) {
            const QJsonObject o = QJsonDocument::fromJson(r.body).object();
            const QJsonValue atom = o.value(QStringLiteral("features")).toObject().value(QStringLiteral("atomPub"));
            if (atom.isBool() && !atom.toBool()) {
                if (error)
                    *error = atomPubDisabled();
                return false;
            }
        }
        m_connected = true;
        return true;
    }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!m_connected && !connect(error))
            return false;
        m_scope = scope;
        chooseTarget();
        m_done = 0;
        m_nextPosition = 1;
        m_lastNumber = -1;
        m_visited.clear();
        m_stopAtUntil = false;

        QJsonObject head;
        const QUrl headUrl = streamUrl(QStringLiteral("head/backward/1"));
        if (!fetchFeed(headUrl, &head, error, true))
            return false;
        const QJsonArray headEntries = head.value(QStringLiteral("entries")).toArray();
        const QString headPrevious = linkOf(head, QStringLiteral("previous"));

        if (scope.last == 0) {
            // Nothing to read; the tail starts after the current head.
            m_tailUrl = headPrevious.isEmpty() ? streamUrl(QStringLiteral("0/forward/%1").arg(pageCount())) : QUrl(headPrevious);
            if (!headEntries.isEmpty())
                m_lastNumber = positionNumber(headEntries.first().toObject());
            return true;
        }
        if (scope.last > 0 && (m_target == u"$all" || scope.until != kNoTime || !m_filter.isEmpty()))
            return readLastBackward(scope.last, sink, error);

        QUrl start;
        if (scope.last > 0) {
            const qint64 headNumber = headEntries.isEmpty() ? -1 : positionNumber(headEntries.first().toObject());
            start = streamUrl(QStringLiteral("%1/forward/%2").arg(std::max<qint64>(0, headNumber - scope.last + 1)).arg(pageCount()));
        } else if (m_target == u"$all") {
            // The documented start of $all (position 0, 32 hex digits); every later page comes from links.
            start = streamUrl(QStringLiteral("00000000000000000000000000000000/forward/%1").arg(pageCount()));
        } else {
            qint64 from = 0;
            if (scope.since != kNoTime && !headEntries.isEmpty()) {
                // AtomPub has no time filter, but a stream's events are appended in time order: find the
                // first event at or after `since` by bisection, one single-entry page per step.
                if (!firstAtOrAfter(scope.since, positionNumber(headEntries.first().toObject()), &from, error))
                    return false;
            }
            start = streamUrl(QStringLiteral("%1/forward/%2").arg(from).arg(pageCount()));
        }
        return readForward(start, sink, error, false);
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (m_tailUrl.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: the live tail needs a read first").arg(m_ep.display);
            return false;
        }
        if (m_stopAtUntil)
            return true;  // the window ends before now: nothing new can belong to it
        const int longPoll = std::clamp(m_ep.option(QStringLiteral("longpoll"), QStringLiteral("10")).toInt(), 1, 60);
        const int minPollMs = std::max(20, m_ep.option(QStringLiteral("poll"), QStringLiteral("500")).toInt());
        QByteArray etag;
        while (!isCancelled()) {
            QHash<QByteArray, QByteArray> headers = baseHeaders();
            headers.insert("ES-LongPoll", QByteArray::number(longPoll));
            headers.insert("Kurrent-LongPoll", QByteArray::number(longPoll));
            if (!etag.isEmpty())
                headers.insert("If-None-Match", etag);
            QElapsedTimer t;
            t.start();
            const QUrl u = withEmbed(m_tailUrl);
            HttpResponse r = m_http->request("GET", u, headers, {}, longPoll * 1000 + m_ep.timeoutMs);
            if (r.cancelled)
                break;
            if (r.status == 304) {
                continue;
            }
            if (!r.ok()) {
                // A dropped poll is retried with backoff; only a lasting failure ends the tail.
                if (++m_tailFailures > m_ep.retries) {
                    if (error)
                        *error = m_http->describeFailure(r, u);
                    return false;
                }
                if (!sleepUnlessCancelled(200 << std::min(m_tailFailures, 6)))
                    break;
                continue;
            }
            m_tailFailures = 0;
            etag = r.headers.value("etag");
            QJsonObject feed;
            if (!parseFeed(r, u, &feed, error))
                return false;
            if (feed.value(QStringLiteral("entries")).toArray().isEmpty()) {
                if (t.elapsed() < minPollMs && !sleepUnlessCancelled(int(minPollMs - t.elapsed())))
                    break;
                continue;
            }
            if (!readForward(m_tailUrl, sink, error, true))
                return isCancelled();
            etag.clear();
            if (m_sinkStopped)
                return true;
        }
        return true;
    }

private:
    bool ensureHttp(QString* error)
    {
        if (m_http)
            return true;
        QString err;
        m_http = std::make_unique<HttpSession>(m_ep, m_base, &err);
        if (!err.isEmpty()) {
            m_http.reset();
            if (error)
                *error = err;
            return false;
        }
        return true;
    }

    QString atomPubDisabled() const
    {
        return QStringLiteral("%1: AtomPub over HTTP is disabled on this server. Chronoscope reads KurrentDB through "
                              "it: start the server with --enable-atom-pub-over-http (or EnableAtomPubOverHttp: true "
                              "in its configuration, or the environment variable KURRENTDB_ENABLE_ATOM_PUB_OVER_HTTP=true; "
                              "EVENTSTORE_ENABLE_ATOM_PUB_OVER_HTTP=true for EventStoreDB).")
            .arg(m_ep.display);
    }

    QUrl url(const QString& path) const
    {
        QUrl u = m_base;
        u.setPath(path);
        return u;
    }

    QUrl streamUrl(const QString& rest) const
    {
        QUrl u = m_base;
        const QByteArray enc = QUrl::toPercentEncoding(m_target);
        u.setPath(QStringLiteral("/streams/") + QString::fromLatin1(enc) + u'/' + rest, QUrl::StrictMode);
        return withEmbed(u);
    }

    int pageCount() const { return std::clamp(m_ep.option(QStringLiteral("pagesize"), QString::number(std::min(m_pageSize, 1000))).toInt(), 1, 4096); }

    QHash<QByteArray, QByteArray> baseHeaders() const
    {
        QHash<QByteArray, QByteArray> h{{"Accept", kAccept}};
        if (!m_ep.user.isEmpty() || !m_ep.secret.isEmpty())
            h.insert("Authorization", "Basic " + (m_ep.user + u':' + m_ep.secret).toUtf8().toBase64());
        return h;
    }

    /// Which stream to read and what to filter client-side, from the streams glob.
    void chooseTarget()
    {
        m_filter.clear();
        const QString g = m_scope.streams;
        bool wild = false;
        const QString prefix = globPrefix(g, &wild);
        if (g.isEmpty()) {
            m_target = QStringLiteral("$all");
        } else if (!wild) {
            m_target = g;
        } else if (prefix.endsWith(u'-') && g == prefix + u'*' && prefix.indexOf(u'-') == prefix.size() - 1) {
            m_target = QStringLiteral("$ce-") + prefix.chopped(1);  // the category projection's stream
        } else {
            m_target = QStringLiteral("$all");
            m_filter = g;
        }
    }

    bool isAll() const { return m_target == u"$all"; }

    qint64 positionNumber(const QJsonObject& e) const
    {
        const QJsonValue p = e.value(QStringLiteral("positionEventNumber"));
        return p.isDouble() ? p.toInteger() : e.value(QStringLiteral("eventNumber")).toInteger();
    }

    bool parseFeed(const HttpResponse& r, const QUrl& u, QJsonObject* feed, QString* error)
    {
        // Read keeping each number's text: bodies embedded as JSON (not as text) are written out as the
        // server sent them, never through a double (and 1e400 is a number, not an error).
        const std::optional<QJsonValue> kept = parseJsonStrict(r.body);
        if (!kept || !kept->isObject()) {
            QJsonParseError pe;
            QJsonDocument::fromJson(r.body, &pe);
            if (error)
                *error = QStringLiteral("%1: the page %2 is not valid JSON (%3 at byte %4 of %5)%6; the events read "
                                        "before it are kept")
                             .arg(m_ep.display, displayUrl(u),
                                  pe.error != QJsonParseError::NoError ? pe.errorString() : QStringLiteral("not an object"))
                             .arg(pe.offset)
                             .arg(r.body.size())
                             .arg(r.body.size() > 0 && !r.body.trimmed().endsWith('}') ? QStringLiteral(", it looks truncated") : QString());
            return false;
        }
        *feed = kept->toObject();
        // One event's body is bounded like one NDJSON line of the other HTTP client (maxEvent).
        for (const QJsonValue& v : feed->value(QStringLiteral("entries")).toArray()) {
            const QJsonObject o = v.toObject();
            qint64 bytes = 0;
            for (const QString& key : {QStringLiteral("data"), QStringLiteral("metaData")}) {
                const QJsonValue x = o.value(key);
                if (isJsonString(x))
                    bytes += jsonStringValue(x).toUtf8().size();
                else if (x.isObject() || x.isArray())
                    bytes += toJsonText(x).size();
            }
            if (bytes > m_http->maxEventBytes()) {
                if (error)
                    *error = QStringLiteral("%1: event %2@%3 on the page %4 is %5 bytes, more than the per-event limit of "
                                            "%6 bytes (set a larger one with ?maxEvent=SIZE or $CHRONOSCOPE_MAX_EVENT); "
                                            "the events read before it are kept")
                                 .arg(m_ep.display)
                                 .arg(o.value(QStringLiteral("eventNumber")).toInteger())
                                 .arg(o.value(QStringLiteral("streamId")).toString(), displayUrl(u))
                                 .arg(bytes)
                                 .arg(m_http->maxEventBytes());
                return false;
            }
        }
        return true;
    }

    bool fetchFeed(const QUrl& link, QJsonObject* feed, QString* error, bool isHead = false,
                   QNetworkReply* prefetched = nullptr)
    {
        const QUrl u = withEmbed(link);  // links in feeds come without it
        for (;;) {
            HttpResponse r;
            if (prefetched) {
                r = m_http->await(prefetched, m_ep.timeoutMs);
                prefetched = nullptr;
                if (!r.ok() && !r.cancelled)  // the normal path retries
                    r = m_http->requestWithRetry("GET", u, baseHeaders(), {}, m_ep.timeoutMs);
            } else {
                r = m_http->requestWithRetry("GET", u, baseHeaders(), {}, m_ep.timeoutMs);
            }
            if (r.status == 401 && m_ep.askSecret())
                continue;
            if (!r.ok()) {
                if (error) {
                    if (r.status == 404 && isHead)
                        *error = notFound();
                    else if (r.status == 401)
                        *error = QStringLiteral("%1: KurrentDB refused the credentials (HTTP 401 Unauthorized). Give the "
                                                "user and password in the URI (kurrentdb://admin:changeit@host:2113) or in "
                                                "$CHRONOSCOPE_USER / $CHRONOSCOPE_PASSWORD.")
                                     .arg(m_ep.display);
                    else if (r.status == 403)
                        *error = QStringLiteral("%1: user '%2' may not read %3 (HTTP 403 Forbidden)%4")
                                     .arg(m_ep.display, m_ep.user, m_target,
                                          isAll() ? QStringLiteral(": $all needs an admin user") : QString());
                    else
                        *error = m_http->describeFailure(r, u);
                }
                return false;
            }
            return parseFeed(r, u, feed, error);
        }
    }

    QString notFound()
    {
        // Is it the stream, or AtomPub as a whole?
        QUrl all = m_base;
        all.setPath(QStringLiteral("/streams/%24all/head/backward/1"), QUrl::StrictMode);
        HttpResponse r = m_http->request("GET", all, baseHeaders(), {}, m_ep.timeoutMs);
        if (r.status == 404 || r.status == 406)
            return atomPubDisabled();
        if (m_target.startsWith(QLatin1String("$ce-")))
            return QStringLiteral("%1: the category stream %2 was not found (HTTP 404): is the $by_category system "
                                  "projection running? Without it, read the streams by a glob such as '%3*x'.")
                .arg(m_ep.display, m_target, m_target.mid(4));
        return QStringLiteral("%1: there is no stream '%2' (HTTP 404)").arg(m_ep.display, m_target);
    }

    /// Converts a page's entries (newest first) to events oldest first, applying the scope's filters.
    QList<Event> convert(const QJsonArray& entries, bool* pastUntil)
    {
        QList<Event> out;
        out.reserve(entries.size());
        for (qsizetype i = entries.size() - 1; i >= 0; --i) {
            const QJsonObject o = entries.at(i).toObject();
            Event e;
            e.stream = o.value(QStringLiteral("streamId")).toString();
            e.version = o.value(QStringLiteral("eventNumber")).toInteger();
            e.type = o.value(QStringLiteral("eventType")).toString();
            e.id = o.value(QStringLiteral("eventId")).toString();
            if (auto t = parseTime(o.value(QStringLiteral("updated")).toString()))
                e.time = *t;
            if (!isAll()) {
                const qint64 n = positionNumber(o);
                if (n <= m_lastNumber)
                    continue;  // already delivered (a page re-read by the tail)
                m_lastNumber = n;
                e.position = n + 1;
            }
            if (isAll() && (e.type.startsWith(u'$') || e.stream.startsWith(u'$')) && !m_filter.startsWith(u'$'))
                continue;  // system events of $all
            if (!m_filter.isEmpty() && !globMatch(m_filter, e.stream))
                continue;
            if (m_scope.until != kNoTime && e.time != kNoTime && e.time > m_scope.until) {
                *pastUntil = true;
                break;
            }
            if (m_scope.since != kNoTime && (e.time == kNoTime || e.time < m_scope.since))
                continue;
            const QJsonValue data = o.value(QStringLiteral("data"));
            const bool isJson = o.value(QStringLiteral("isJson")).toBool(true);
            if (isJsonString(data)) {
                const QByteArray text = jsonStringValue(data).toUtf8();
                if (isJson)
                    setData(e, text);
                else {
                    e.data = jsonString(data.toString());
                    e.dataIsJson = false;
                }
            } else if (data.isUndefined()) {
                e.data = "null";
            } else {
                // Some versions embed JSON bodies as JSON rather than as text.
                e.data = toJsonText(data);
            }
            const QJsonValue meta = o.value(QStringLiteral("metaData"));
            if (isJsonString(meta))
                setMetadata(e, jsonStringValue(meta).toUtf8());
            else if (meta.isObject())
                e.metadata = toJsonText(meta);
            else
                e.metadata = "{}";
            if (isAll())
                e.position = m_nextPosition++;
            out << std::move(e);
        }
        return out;
    }

    bool readForward(QUrl url, const PageSink& sink, QString* error, bool fromTail)
    {
        m_sinkStopped = false;
        int pagesWithoutNews = 0;
        QNetworkReply* prefetched = nullptr;
        struct Drop
        {
            QNetworkReply*& r;
            ~Drop() { HttpSession::discard(r); }
        } drop{prefetched};
        for (;;) {
            if (isCancelled()) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            url = withEmbed(url);
            const QString key = pageKey(url);
            QJsonObject feed;
            QNetworkReply* pending = std::exchange(prefetched, nullptr);
            if (!fetchFeed(url, &feed, error, false, pending))
                return false;
            m_visited.insert(key);
            const QJsonArray entries = feed.value(QStringLiteral("entries")).toArray();
            const QString previous = linkOf(feed, QStringLiteral("previous"));
            if (entries.isEmpty()) {
                m_tailUrl = url;  // the end: poll this page
                return true;
            }
            // Ask for the next page now: the server prepares it while this one is converted and stored.
            if (!previous.isEmpty() && !m_visited.contains(pageKey(QUrl(previous))))
                prefetched = m_http->send("GET", withEmbed(QUrl(previous)), baseHeaders(), {});
            bool pastUntil = false;
            const qint64 before = m_lastNumber;
            const QList<Event> page = convert(entries, &pastUntil);
            m_done += page.size();
            reportProgress(m_done, m_scope.last > 0 ? m_scope.last : -1,
                           QStringLiteral("%1 events read from %2").arg(m_done).arg(m_ep.display));
            if (!page.isEmpty() && !sink(page)) {
                m_sinkStopped = true;
                m_tailUrl = previous.isEmpty() ? url : QUrl(previous);
                return true;
            }
            if (pastUntil) {
                m_stopAtUntil = true;
                m_tailUrl = url;
                return true;
            }
            if (!isAll() && m_lastNumber == before) {
                // A page that brings nothing new while still linking on: a feed going round in circles.
                if (++pagesWithoutNews >= 3)
                    return loopError(url, error);
            } else {
                pagesWithoutNews = 0;
            }
            if (previous.isEmpty()) {
                m_tailUrl = url;
                return true;
            }
            const QUrl next(previous);
            if (m_visited.contains(pageKey(next)) && !(fromTail && pageKey(next) == key))
                return loopError(next, error);
            url = next;
        }
    }

    /// The smallest event number in [0, head + 1] whose time is at or after t (head + 1: none is).
    bool firstAtOrAfter(TimeMs t, qint64 head, qint64* out, QString* error)
    {
        qint64 lo = 0, hi = head + 1;
        while (lo < hi) {
            if (isCancelled()) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            const qint64 mid = lo + (hi - lo) / 2;
            QJsonObject feed;
            if (!fetchFeed(streamUrl(QStringLiteral("%1/forward/1").arg(mid)), &feed, error))
                return false;
            const QJsonArray entries = feed.value(QStringLiteral("entries")).toArray();
            const auto when = entries.isEmpty() ? std::nullopt
                                                : parseTime(entries.first().toObject().value(QStringLiteral("updated")).toString());
            if (!when || *when >= t)
                hi = mid;
            else
                lo = mid + 1;
        }
        *out = lo;
        return true;
    }

    bool loopError(const QUrl& url, QString* error)
    {
        if (error)
            *error = QStringLiteral("%1: the feed's links go round in a loop (back to %2); stopped there, the %3 events "
                                    "read before are kept")
                         .arg(m_ep.display, displayUrl(url))
                         .arg(m_done);
        return false;
    }

    /// "last N" where positions are opaque ($all) or filtered: read backward from the head, keep the N newest
    /// matching events (memory bounded by N), then hand them over oldest first.
    bool readLastBackward(qint64 n, const PageSink& sink, QString* error)
    {
        QList<Event> newestFirst;
        QUrl url = streamUrl(QStringLiteral("head/backward/%1").arg(pageCount()));
        bool firstPage = true;
        QSet<QString> seen;
        while (newestFirst.size() < n) {
            if (isCancelled()) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            QJsonObject feed;
            if (!fetchFeed(url, &feed, error, firstPage))
                return false;
            const QString key = pageKey(url);
            if (seen.contains(key))
                return loopError(url, error);
            seen.insert(key);
            if (firstPage) {
                const QString prev = linkOf(feed, QStringLiteral("previous"));
                m_tailUrl = prev.isEmpty() ? url : QUrl(prev);
                firstPage = false;
            }
            const QJsonArray entries = feed.value(QStringLiteral("entries")).toArray();
            if (entries.isEmpty())
                break;
            // Convert oldest-first, then walk it newest-first.
            const RemoteScope saved = m_scope;
            m_scope.until = kNoTime;
            const qint64 savedLast = m_lastNumber;
            m_lastNumber = -1;
            bool pastUntil = false;
            QList<Event> page = convert(entries, &pastUntil);
            m_lastNumber = savedLast;
            m_scope = saved;
            for (qsizetype i = page.size() - 1; i >= 0 && newestFirst.size() < n; --i) {
                const Event& e = page[i];
                if (m_scope.until != kNoTime && e.time != kNoTime && e.time > m_scope.until)
                    continue;
                newestFirst << e;
            }
            bool stop = false;
            if (m_scope.since != kNoTime) {
                // Entries before `since` were dropped by convert(); once a page's oldest is before it, stop.
                const QJsonObject oldest = entries.last().toObject();
                if (auto t = parseTime(oldest.value(QStringLiteral("updated")).toString()); t && *t < m_scope.since)
                    stop = true;
            }
            const QString next = linkOf(feed, QStringLiteral("next"));
            if (stop || next.isEmpty())
                break;
            url = QUrl(next);
        }
        m_nextPosition = 1;
        QList<Event> page;
        for (qsizetype i = newestFirst.size() - 1; i >= 0; --i) {
            Event e = std::move(newestFirst[i]);
            if (isAll())
                e.position = m_nextPosition++;
            else
                m_lastNumber = std::max(m_lastNumber, e.position - 1);
            page << std::move(e);
            if (page.size() >= pageSize(m_done == 0) || i == 0) {
                m_done += page.size();
                reportProgress(m_done, n, QStringLiteral("%1 events read from %2").arg(m_done).arg(m_ep.display));
                if (!sink(page))
                    return true;
                page.clear();
            }
        }
        if (!isAll() && m_lastNumber < 0) {
            // nothing matched: the tail starts at the head
        }
        return true;
    }

    QUrl m_base;
    std::unique_ptr<HttpSession> m_http;
    bool m_connected = false;
    RemoteScope m_scope;
    QString m_target;
    QString m_filter;
    QUrl m_tailUrl;
    QSet<QString> m_visited;
    qint64 m_lastNumber = -1;
    qint64 m_nextPosition = 1;
    qint64 m_done = 0;
    bool m_stopAtUntil = false;
    bool m_sinkStopped = false;
    int m_tailFailures = 0;
};

} // namespace

std::unique_ptr<RemoteClient> makeKurrentClient(const RemoteEndpoint& ep, QString*)
{
    return std::make_unique<KurrentClient>(ep);
}

} // namespace chronoscope::remote
