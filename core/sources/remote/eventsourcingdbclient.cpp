// EventSourcingDB over its HTTP API: read-events and observe-events answer NDJSON lines (events,
// heartbeats, errors), consumed as they arrive and batched into pages. Subjects are the streams. Every
// event's hash is recomputed and its predecessorhash compared with the event before it; a broken chain
// is flagged on the event ("chainBroken" in its metadata), never hidden and never fatal.

#include "sources/remote/httpfetch_p.h"
#include "sources/remote/remoteclients_p.h"
#include "json/jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace chronoscope::remote {

namespace {

const QByteArray kGenesis(64, '0');

/// The data as JSON.stringify(JSON.parse(text)) writes it, for the hash: compact, strings with only the
/// escapes JavaScript keeps. Numbers stay as the server wrote them.
QByteArray stringifyLikeJavaScript(const QByteArray& compact)
{
    if (!compact.contains('\\'))
        return compact;
    QByteArray out;
    out.reserve(compact.size());
    bool inString = false;
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact[i];
        if (!inString) {
            out += c;
            if (c == '"')
                inString = true;
            continue;
        }
        if (c == '"') {
            out += c;
            inString = false;
            continue;
        }
        if (c != '\\' || i + 1 >= compact.size()) {
            out += c;
            continue;
        }
        const char n = compact[++i];
        if (n == '/') {
            out += '/';
        } else if (n == 'u' && i + 4 < compact.size()) {
            const uint code = compact.mid(i + 1, 4).toUInt(nullptr, 16);
            // Controls keep their escapes (lower-case hex, as JavaScript writes them); so do surrogates.
            if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) {
                if (code == 0x08 || code == 0x0c || code == 0x0a || code == 0x0d || code == 0x09) {
                    const char* short_ = code == 0x08 ? "\\b" : code == 0x0c ? "\\f" : code == 0x0a ? "\\n" : code == 0x0d ? "\\r" : "\\t";
                    out += short_;
                } else {
                    out += "\\u" + compact.mid(i + 1, 4).toLower();
                }
            } else {
                out += QString(QChar(char16_t(code))).toUtf8();
            }
            i += 4;
        } else {
            out += '\\';
            out += n;
        }
    }
    return out;
}

class EventSourcingDbClient : public RemoteClient
{
public:
    explicit EventSourcingDbClient(const RemoteEndpoint& ep) : RemoteClient(ep)
    {
        const bool tls = m_ep.optionOn(QStringLiteral("tls"), false);
        m_base.setScheme(tls ? QStringLiteral("https") : QStringLiteral("http"));
        m_base.setHost(m_ep.host);
        m_base.setPort(m_ep.port > 0 ? m_ep.port : 3000);
    }

    QString layout() const override { return QStringLiteral("eventsourcingdb"); }
    QString describe() const override
    {
        return QStringLiteral("EventSourcingDB (subject %1) at %2").arg(m_subject.isEmpty() ? QStringLiteral("/") : m_subject, m_ep.display);
    }

    bool connect(QString* error) override
    {
        if (!m_http) {
            QString err;
            m_http = std::make_unique<HttpSession>(m_ep, m_base, &err);
            if (!err.isEmpty()) {
                m_http.reset();
                if (error)
                    *error = err;
                return false;
            }
        }
        const QUrl ping = url(QStringLiteral("/api/v1/ping"));
        HttpResponse r = m_http->requestWithRetry("GET", ping, {}, {}, m_ep.timeoutMs);
        if (!r.ok()) {
            if (error)
                *error = m_http->describeFailure(r, ping);
            return false;
        }
        if (m_ep.secret.isEmpty() && !m_ep.askSecret()) {
            if (error)
                *error = QStringLiteral("%1: EventSourcingDB needs an API token: give it as ?token=… in the URI or in "
                                        "$CHRONOSCOPE_TOKEN")
                             .arg(m_ep.display);
            return false;
        }
        for (;;) {
            const QUrl verify = url(QStringLiteral("/api/v1/verify-api-token"));
            r = m_http->requestWithRetry("POST", verify, headers(), {}, m_ep.timeoutMs);
            if (r.status == 401 && m_ep.askSecret())
                continue;
            if (r.status == 401) {
                if (error)
                    *error = QStringLiteral("%1: EventSourcingDB refused the API token (HTTP 401 Unauthorized). Give the "
                                            "right one as ?token=… or in $CHRONOSCOPE_TOKEN.")
                                 .arg(m_ep.display);
                return false;
            }
            if (!r.ok() && r.status != 404 && r.status != 405) {  // older servers have no verify endpoint
                if (error)
                    *error = m_http->describeFailure(r, verify);
                return false;
            }
            break;
        }
        m_connected = true;
        return true;
    }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!m_connected && !connect(error))
            return false;
        m_scope = scope;
        chooseSubject();
        m_lastId = -1;
        m_prevHash.clear();
        m_prevId = -2;
        m_versions.clear();
        m_pastUntil = false;
        m_done = 0;
        qint64 lowerBound = -1;
        if (scope.last == 0) {
            qint64 head = -1;
            if (!findNewest(1, &head, error))
                return false;
            m_lastId = head;
            return true;
        }
        if (scope.last > 0) {
            // First pass: antichronological, count N matching events, remember the id (only ids are kept).
            if (!findNewest(scope.last, &lowerBound, error))
                return false;
            if (lowerBound < 0)
                return true;
        } else if (scope.since != kNoTime) {
            // No time filter in the API, but ids grow with time: bisect on lowerBound for the first event
            // at or after `since`, reading one line per step.
            const RemoteScope saved = m_scope;
            m_scope.since = kNoTime;
            m_scope.until = kNoTime;
            qint64 head = -1;
            const bool found = findNewest(1, &head, error);
            m_scope = saved;
            if (!found)
                return false;
            qint64 lo = 0, hi = head + 1;
            while (lo < hi) {
                const qint64 mid = lo + (hi - lo) / 2;
                std::optional<TimeMs> t;
                if (!timeOfFirstFrom(mid, &t, error))
                    return false;
                if (!t || *t >= scope.since)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            lowerBound = lo;
        }
        return stream(QStringLiteral("/api/v1/read-events"), lowerBound, sink, error, false);
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (m_pastUntil)
            return true;
        int failures = 0;
        while (!isCancelled()) {
            QString err;
            const qint64 before = m_lastId;
            const bool ended = stream(QStringLiteral("/api/v1/observe-events"), m_lastId + 1, sink, &err, true);
            if (isCancelled() || m_sinkStopped)
                return true;
            if (ended) {
                // The server closed the observation: open it again from the last event seen.
                if (!sleepUnlessCancelled(100))
                    return true;
                continue;
            }
            if (m_lastId > before)
                failures = 0;
            // The observation dropped: come back after a pause, from the last event seen.
            if (m_fatal || ++failures > m_ep.retries + 1) {
                if (error)
                    *error = err;
                return false;
            }
            if (!sleepUnlessCancelled(200 << std::min(failures, 6)))
                return true;
        }
        return true;
    }

private:
    QUrl url(const QString& path) const
    {
        QUrl u = m_base;
        u.setPath(path);
        return u;
    }

    QHash<QByteArray, QByteArray> headers() const
    {
        return {{"Authorization", "Bearer " + m_ep.secret.toUtf8()}, {"Content-Type", "application/json"},
                {"Accept", "application/x-ndjson"}};
    }

    void chooseSubject()
    {
        const QString g = m_scope.streams;
        bool wild = false;
        const QString prefix = globPrefix(g, &wild);
        m_filter.clear();
        if (g.isEmpty()) {
            m_subject = QStringLiteral("/");
            m_recursive = true;
        } else if (!wild) {
            m_subject = g;
            m_recursive = false;
        } else {
            // The deepest subject that contains every match: up to the last '/' before the first wildcard.
            const qsizetype slash = prefix.lastIndexOf(u'/');
            m_subject = slash <= 0 ? QStringLiteral("/") : prefix.left(slash);
            m_recursive = true;
            m_filter = g;
        }
    }

    QByteArray body(qint64 lowerBound, bool antichronological) const
    {
        QJsonObject options{{QStringLiteral("recursive"), m_recursive}};
        options.insert(QStringLiteral("order"), antichronological ? QStringLiteral("antichronological") : QStringLiteral("chronological"));
        if (lowerBound >= 0)
            options.insert(QStringLiteral("lowerBound"), QJsonObject{{QStringLiteral("id"), QString::number(lowerBound)},
                                                                     {QStringLiteral("type"), QStringLiteral("inclusive")}});
        return QJsonDocument(QJsonObject{{QStringLiteral("subject"), m_subject}, {QStringLiteral("options"), options}})
            .toJson(QJsonDocument::Compact);
    }

    /// The id of the n-th newest matching event (-1 when there are fewer than one).
    bool findNewest(qint64 n, qint64* id, QString* error)
    {
        *id = -1;
        qint64 seen = 0;
        QString lineError;
        const QUrl u = url(QStringLiteral("/api/v1/read-events"));
        HttpResponse r = m_http->request("POST", u, headers(), body(-1, true), m_ep.timeoutMs, [&](const QByteArray& line) {
            QJsonParseError pe;
            const QJsonObject o = QJsonDocument::fromJson(line, &pe).object();
            if (pe.error != QJsonParseError::NoError) {
                lineError = QStringLiteral("%1: a line of the answer is not JSON (%2)").arg(m_ep.display, pe.errorString());
                return false;
            }
            const QString type = o.value(QStringLiteral("type")).toString();
            if (type == u"error") {
                lineError = serverError(o);
                return false;
            }
            if (type != u"event")
                return true;
            const QJsonObject ev = o.value(QStringLiteral("payload")).toObject();
            const QString subject = ev.value(QStringLiteral("subject")).toString();
            if (!m_filter.isEmpty() && !globMatch(m_filter, subject))
                return true;
            const auto t = parseTime(ev.value(QStringLiteral("time")).toString());
            if (m_scope.until != kNoTime && t && *t > m_scope.until)
                return true;
            if (m_scope.since != kNoTime && t && *t < m_scope.since)
                return false;  // older than the window: the N are all there is
            *id = ev.value(QStringLiteral("id")).toString().toLongLong();
            return ++seen < n;
        });
        if (!lineError.isEmpty()) {
            if (error)
                *error = lineError;
            return false;
        }
        if (!r.stoppedBySink && !r.ok()) {
            if (error)
                *error = describe(r, u);
            return false;
        }
        return true;
    }

    /// The time of the first event with id >= from in the subject (nullopt when there is none).
    bool timeOfFirstFrom(qint64 from, std::optional<TimeMs>* t, QString* error)
    {
        *t = std::nullopt;
        QString lineError;
        const QUrl u = url(QStringLiteral("/api/v1/read-events"));
        HttpResponse r = m_http->request("POST", u, headers(), body(from, false), m_ep.timeoutMs, [&](const QByteArray& line) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            const QString type = o.value(QStringLiteral("type")).toString();
            if (type == u"error") {
                lineError = serverError(o);
                return false;
            }
            if (type != u"event")
                return true;
            *t = parseTime(o.value(QStringLiteral("payload")).toObject().value(QStringLiteral("time")).toString());
            return false;
        });
        if (!lineError.isEmpty() || (!r.stoppedBySink && !r.ok())) {
            if (error)
                *error = lineError.isEmpty() ? describe(r, u) : lineError;
            return false;
        }
        return true;
    }

    QString serverError(const QJsonObject& line) const
    {
        const QJsonValue p = line.value(QStringLiteral("payload"));
        const QString msg = p.isObject() ? p.toObject().value(QStringLiteral("error")).toString() : p.toString();
        return QStringLiteral("%1: EventSourcingDB reported an error: %2").arg(m_ep.display, msg.isEmpty() ? QStringLiteral("(no message)") : msg);
    }

    QString describe(const HttpResponse& r, const QUrl& u) const
    {
        if (r.status == 401)
            return QStringLiteral("%1: EventSourcingDB refused the API token (HTTP 401 Unauthorized)").arg(m_ep.display);
        return m_http->describeFailure(r, u);
    }

    /// One read-events / observe-events request from lowerBound, its lines turned into pages. Resumes after
    /// a dropped connection (read-events only; the tail loop does its own) from the last id delivered.
    bool stream(const QString& path, qint64 lowerBound, const PageSink& sink, QString* error, bool observe)
    {
        m_sinkStopped = false;
        m_fatal = false;
        for (int attempt = 0;; ++attempt) {
            QList<Event> page;
            QString lineError;
            qint64 lineNo = 0;
            const qint64 lastBefore = m_lastId;
            auto flush = [&]() {
                if (page.isEmpty())
                    return true;
                m_done += page.size();
                reportProgress(m_done, m_scope.last > 0 ? m_scope.last : -1,
                               QStringLiteral("%1 events read from %2").arg(m_done).arg(m_ep.display));
                const bool more = sink(page);
                page.clear();
                if (!more)
                    m_sinkStopped = true;
                return more;
            };
            const QUrl u = url(path);
            const qint64 from = m_lastId >= 0 ? std::max(lowerBound, m_lastId + 1) : lowerBound;
            // observe-events holds the connection open; heartbeats keep it alive, so a silence means trouble.
            const int idle = observe ? std::max(m_ep.timeoutMs, 3000) : m_ep.timeoutMs;
            HttpResponse r = m_http->request("POST", u, headers(), body(from, false), idle, [&](const QByteArray& line) {
                ++lineNo;
                if (line.trimmed().isEmpty())
                    return true;
                QJsonParseError pe;
                const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
                if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
                    lineError = QStringLiteral("%1: line %2 of the answer to %3 is not valid JSON (%4): %5")
                                    .arg(m_ep.display)
                                    .arg(lineNo)
                                    .arg(path, pe.errorString(), QString::fromUtf8(line.left(80)));
                    return false;
                }
                const QJsonObject o = doc.object();
                const QString type = o.value(QStringLiteral("type")).toString();
                if (type == u"heartbeat")
                    return flush();  // a quiet moment: show what is there
                if (type == u"error") {
                    lineError = serverError(o);
                    return false;
                }
                if (type != u"event")
                    return true;
                Event e;
                if (!convert(o.value(QStringLiteral("payload")).toObject(), line, &e))
                    return true;
                if (m_pastUntil)
                    return false;
                page << std::move(e);
                if (page.size() >= pageSize(m_done == 0))
                    return flush();
                return true;
            });
            if (!page.isEmpty() && !m_sinkStopped)
                flush();
            if (m_sinkStopped || m_pastUntil)
                return true;
            if (!lineError.isEmpty()) {
                m_fatal = true;
                if (error)
                    *error = lineError + QStringLiteral("; the events read before are kept");
                return false;
            }
            if (r.cancelled) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            const bool progressed = m_lastId > lastBefore;
            if (r.ok() && r.unterminated.isEmpty()) {
                // NDJSON has no end marker and a connection closed early can look like a normal end, so a read
                // that brought events asks once more from after the last one; an empty answer is the real end.
                if (observe || !progressed)
                    return true;
                attempt = -1;
                continue;
            }
            if (r.status >= 400 && r.status < 500) {
                m_fatal = true;
                if (error)
                    *error = describe(r, u);
                return false;
            }
            // Broken or timed out: resume from the last event when retries remain.
            if (observe || (!progressed && attempt >= m_ep.retries) || (progressed && m_ep.retries == 0)) {
                if (error)
                    *error = (r.unterminated.isEmpty() ? describe(r, u)
                                                       : QStringLiteral("%1: the answer to %2 stopped in the middle of a line")
                                                             .arg(m_ep.display, path)) +
                             QStringLiteral("; the events read before are kept");
                return false;
            }
            if (progressed)
                attempt = -1;
            if (!sleepUnlessCancelled(200 << std::max(0, attempt))) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
        }
    }

    bool convert(const QJsonObject& ev, const QByteArray& line, Event* out)
    {
        const qint64 id = ev.value(QStringLiteral("id")).toString().toLongLong();
        if (id <= m_lastId)
            return false;  // already delivered before a reconnect
        const QString subject = ev.value(QStringLiteral("subject")).toString();
        const QString timeText = ev.value(QStringLiteral("time")).toString();
        const auto t = parseTime(timeText);
        // The chain runs over every event in id order, matching or not.
        const QByteArray hash = ev.value(QStringLiteral("hash")).toString().toUtf8();
        const QByteArray predecessor = ev.value(QStringLiteral("predecessorhash")).toString().toUtf8();
        QByteArray rawData = extractRawMember(line, "\"data\"");
        QByteArray compactData;
        const QJsonValue parsedData = ev.value(QStringLiteral("data"));
        if (rawData.isEmpty() || !compactJson(rawData, &compactData) ||
            QJsonDocument::fromJson("[" + compactData + "]").array().at(0) != parsedData) {
            const QByteArray wrapped = QJsonDocument(QJsonArray{parsedData}).toJson(QJsonDocument::Compact);
            compactData = wrapped.mid(1, wrapped.size() - 2);
        }
        QString broken;
        if (m_prevId == id - 1 && !m_prevHash.isEmpty() && predecessor != m_prevHash)
            broken = QStringLiteral("predecessorhash does not match the hash of event %1").arg(id - 1);
        if (broken.isEmpty() && !hash.isEmpty()) {
            const QByteArray metaLine = ev.value(QStringLiteral("specversion")).toString().toUtf8() + '|' +
                                        ev.value(QStringLiteral("id")).toString().toUtf8() + '|' + predecessor + '|' +
                                        timeText.toUtf8() + '|' + ev.value(QStringLiteral("source")).toString().toUtf8() + '|' +
                                        subject.toUtf8() + '|' + ev.value(QStringLiteral("type")).toString().toUtf8() + '|' +
                                        ev.value(QStringLiteral("datacontenttype")).toString().toUtf8();
            const QByteArray computed = sha256Hex(sha256Hex(metaLine) + sha256Hex(stringifyLikeJavaScript(compactData)));
            if (computed != hash)
                broken = QStringLiteral("the hash does not match the event's contents (changed after it was written?)");
        }
        if (broken.isEmpty() && id == 0 && !predecessor.isEmpty() && predecessor != kGenesis)
            broken = QStringLiteral("the first event's predecessorhash is not the genesis hash");
        m_prevId = id;
        m_prevHash = hash;
        m_lastId = id;

        if (!m_filter.isEmpty() && !globMatch(m_filter, subject))
            return false;
        if (m_scope.until != kNoTime && t && *t > m_scope.until) {
            m_pastUntil = true;
            return false;
        }
        if (m_scope.since != kNoTime && (!t || *t < m_scope.since))
            return false;
        Event& e = *out;
        e.position = id + 1;  // ids start at 0; positions at 1
        e.id = ev.value(QStringLiteral("id")).toString();
        e.stream = subject;
        e.type = ev.value(QStringLiteral("type")).toString();
        e.time = t ? *t : kNoTime;
        qint64& v = m_versions[subject];
        e.version = v++;
        e.data = compactData;
        e.dataIsJson = true;
        QJsonObject meta;
        for (const char* k : {"source", "specversion", "datacontenttype", "hash", "predecessorhash", "traceparent",
                              "tracestate", "signature"}) {
            const QJsonValue v = ev.value(QLatin1String(k));
            if (!v.isUndefined() && !v.isNull())
                meta.insert(QLatin1String(k), v);
        }
        if (!broken.isEmpty())
            meta.insert(QStringLiteral("chainBroken"), broken);
        e.metadata = QJsonDocument(meta).toJson(QJsonDocument::Compact);
        return true;
    }

    /// The raw text of a member of the line's payload ("data": {...}), so the hash sees the bytes the
    /// server sent rather than a re-serialisation.
    static QByteArray extractRawMember(const QByteArray& line, const char* key)
    {
        const qsizetype payload = line.indexOf("\"payload\"");
        qsizetype at = line.indexOf(key, payload < 0 ? 0 : payload);
        if (at < 0)
            return {};
        at = line.indexOf(':', at);
        if (at < 0)
            return {};
        ++at;
        while (at < line.size() && (line[at] == ' ' || line[at] == '\t'))
            ++at;
        // Scan one JSON value.
        int depth = 0;
        bool inString = false;
        for (qsizetype i = at; i < line.size(); ++i) {
            const char c = line[i];
            if (inString) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    inString = false;
                if (!inString && depth == 0)
                    return line.mid(at, i - at + 1);
                continue;
            }
            if (c == '"')
                inString = true;
            else if (c == '{' || c == '[')
                ++depth;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return line.mid(at, i - at + 1);
                if (depth < 0)
                    return line.mid(at, i - at);
            } else if (depth == 0 && (c == ',')) {
                return line.mid(at, i - at);
            }
        }
        return {};
    }

    QUrl m_base;
    std::unique_ptr<HttpSession> m_http;
    bool m_connected = false;
    RemoteScope m_scope;
    QString m_subject = QStringLiteral("/");
    bool m_recursive = true;
    QString m_filter;
    qint64 m_lastId = -1;
    qint64 m_prevId = -2;
    QByteArray m_prevHash;
    QHash<QString, qint64> m_versions;
    bool m_pastUntil = false;
    bool m_sinkStopped = false;
    bool m_fatal = false;
    qint64 m_done = 0;
};

} // namespace

std::unique_ptr<RemoteClient> makeEventSourcingDbClient(const RemoteEndpoint& ep, QString*)
{
    return std::make_unique<EventSourcingDbClient>(ep);
}

} // namespace chronoscope::remote
