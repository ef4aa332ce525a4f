// Redis Streams through hiredis. Stream keys are found with SCAN ... TYPE stream (or named exactly),
// read with XRANGE pages that resume after an exclusive "(id", merged across keys in entry-id order
// (the id's millisecond part is the append time), and tailed with XREAD BLOCK.

#include "sources/remote/remoteclients_p.h"

#include "model/glob.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cctype>
#include <queue>

#ifdef CHRONOSCOPE_HAVE_HIREDIS
#include <hiredis.h>
#endif

namespace chronoscope::remote {

#ifndef CHRONOSCOPE_HAVE_HIREDIS

std::unique_ptr<RemoteClient> makeRedisClient(const RemoteEndpoint& ep, QString* error)
{
    if (error)
        *error = QStringLiteral("%1: this build of Chronoscope has no Redis support (hiredis was not found when it "
                                "was built)")
                     .arg(ep.display);
    return nullptr;
}

#else

namespace {

struct Reply
{
    redisReply* r = nullptr;
    Reply() = default;
    explicit Reply(void* p) : r(static_cast<redisReply*>(p)) {}
    Reply(Reply&& o) noexcept : r(o.r) { o.r = nullptr; }
    Reply& operator=(Reply&& o) noexcept
    {
        std::swap(r, o.r);
        return *this;
    }
    ~Reply()
    {
        if (r)
            freeReplyObject(r);
    }
};

/// A stream glob as a Redis MATCH pattern that selects at least the keys globMatch() selects (docs/remote.md
/// "Stream globs"); the keys SCAN returns are then filtered with globMatch. Redis matches bytes of the key
/// (stringmatchlen in src/util.c): '?' is one byte, a set holds bytes, '^' negates and '!' does not, '\'
/// escapes. So a character is sent as its UTF-8 bytes, every ASCII punctuation escaped; '?' (one character
/// of 1 to 4 bytes) becomes "?*"; a set of ASCII characters is sent member by member, escaped; a negated
/// set or one with other characters becomes "?*". Empty when the glob matches no key at all.
QByteArray redisMatchPattern(const QString& g, bool* none)
{
    using glob::Token;
    *none = false;
    QByteArray out;
    int stars = 0;
    auto star = [&] {
        if (!out.endsWith('*') || out.endsWith("\\*")) {
            out += '*';
            ++stars;
        }
    };
    for (qsizetype at = 0; at < g.size();) {
        const Token t = glob::nextToken(g, at);
        switch (t.kind) {
        case Token::AnyString: star(); break;
        case Token::AnyChar:
            out += '?';
            star();
            break;
        case Token::Literal:
            if (t.ch < 0x80) {
                if (!std::isalnum(int(t.ch)))
                    out += '\\';
                out += char(t.ch);
            } else if (t.ch >= 0xD800 && t.ch <= 0xDFFF) {
                // Not Unicode text: no key decodes to it; the superset keeps the matcher the judge.
                out += '?';
                star();
            } else {
                char32_t c = t.ch;
                out += QString::fromUcs4(&c, 1).toUtf8();
            }
            break;
        case Token::Set: {
            QByteArray members;
            bool seen[128] = {};
            bool ascii = !t.negated;
            qsizetype m = t.from;
            char32_t lo, hi;
            while (ascii && glob::nextMember(g, t, m, lo, hi)) {
                if (lo > hi)
                    continue;  // a reversed range matches nothing
                if (hi >= 0x80) {
                    ascii = false;
                    break;
                }
                for (char32_t c = lo; c <= hi; ++c)
                    if (!seen[c]) {
                        seen[c] = true;
                        members += '\\';
                        members += char(c);
                    }
            }
            if (!ascii) {
                out += '?';
                star();
            } else if (members.isEmpty()) {
                *none = true;
                return {};
            } else {
                out += '[' + members + ']';
            }
            break;
        }
        }
    }
    // Redis gives up (no match) on patterns that nest too deeply; a glob with that many stars is sent as
    // its literal prefix.
    if (stars > 64) {
        out.clear();
        for (qsizetype at = 0; at < g.size();) {
            const Token t = glob::nextToken(g, at);
            if (t.kind != Token::Literal || t.ch >= 0x80)
                break;
            if (!std::isalnum(int(t.ch)))
                out += '\\';
            out += char(t.ch);
        }
        out += '*';
    }
    return out;
}

struct EntryId
{
    quint64 ms = 0, seq = 0;
    bool operator<(const EntryId& o) const { return ms != o.ms ? ms < o.ms : seq < o.seq; }
    bool operator==(const EntryId& o) const { return ms == o.ms && seq == o.seq; }
    QByteArray text() const { return QByteArray::number(ms) + '-' + QByteArray::number(seq); }
    static EntryId parse(const char* s, size_t n)
    {
        EntryId id;
        const QByteArray t = QByteArray::fromRawData(s, qsizetype(n));
        const qsizetype dash = t.indexOf('-');
        id.ms = t.left(dash < 0 ? t.size() : dash).toULongLong();
        if (dash >= 0)
            id.seq = t.mid(dash + 1).toULongLong();
        return id;
    }
};

struct Entry
{
    EntryId id;
    Event event;
};

struct KeyState
{
    QString key;
    QByteArray keyBytes;
    QList<Entry> buffer;  ///< fetched, not yet merged
    qsizetype next = 0;
    QByteArray after;     ///< resume point: "(id" or the window start
    bool exhausted = false;
    qint64 version = 0;   ///< next version in this key when the entries give none
    EntryId lastId;
    bool started = false;
};

bool isField(const QByteArray& f, std::initializer_list<const char*> names)
{
    for (const char* n : names)
        if (f.compare(n, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

class RedisClient : public RemoteClient
{
public:
    using RemoteClient::RemoteClient;
    ~RedisClient() override
    {
        if (m_ctx)
            redisFree(m_ctx);
    }

    QString layout() const override { return QStringLiteral("redis-streams"); }
    QString describe() const override { return QStringLiteral("Redis Streams at %1").arg(m_ep.display); }

    bool connect(QString* error) override { return open(error); }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!m_ctx && !open(error))
            return false;
        m_scope = scope;
        if (!findKeys(error))
            return false;
        m_startMs = QDateTime::currentMSecsSinceEpoch();
        const QByteArray lo = scope.since != kNoTime ? QByteArray::number(std::max<qint64>(0, scope.since)) : "-";
        m_hi = scope.until != kNoTime ? QByteArray::number(std::max<qint64>(0, scope.until)) : "+";
        QByteArray start = lo;
        if (scope.last == 0) {
            for (KeyState& k : m_keys) {
                k.exhausted = true;
                if (!lastIdOf(k, error))
                    return false;
            }
            return true;
        }
        if (scope.last > 0) {
            // The N-th newest id across all keys, found by merging the keys backwards; then read forward from it.
            EntryId threshold;
            if (!findLastThreshold(lo, scope.last, &threshold, error))
                return false;
            start = threshold.text();
        }
        qint64 total = 0;
        for (KeyState& k : m_keys) {
            k.after = start;
            k.buffer.clear();
            k.next = 0;
            k.exhausted = false;
            k.version = 0;
        }
        if (scope.last < 0 && scope.since == kNoTime) {
            // The total for progress, pipelined: one round trip per 256 keys, not one per key.
            for (int from = 0; from < m_keys.size(); from += 256) {
                const int to = std::min<int>(int(m_keys.size()), from + 256);
                for (int i = from; i < to; ++i) {
                    const char* argv[] = {"XLEN", m_keys[i].keyBytes.constData()};
                    const size_t len[] = {4, size_t(m_keys[i].keyBytes.size())};
                    redisAppendCommandArgv(m_ctx, 2, argv, len);
                }
                for (int i = from; i < to; ++i) {
                    void* raw = nullptr;
                    if (redisGetReply(m_ctx, &raw) != REDIS_OK)
                        break;
                    Reply r(raw);
                    if (r.r->type == REDIS_REPLY_INTEGER)
                        total += r.r->integer;
                }
            }
        }
        if (scope.last > 0)
            total = scope.last;
        else if (scope.since != kNoTime)
            total = -1;
        return merge(sink, total, error);
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (!m_ctx && !open(error))
            return false;
        QElapsedTimer rescan;
        rescan.start();
        const int blockMs = std::clamp(m_ep.option(QStringLiteral("block"), QStringLiteral("500")).toInt(), 10, 5000);
        while (!isCancelled()) {
            if (rescan.elapsed() > 2000 || m_keys.isEmpty()) {
                // Streams created after the read started join the tail from their first entry.
                QString err;
                if (!discoverNewKeys(&err)) {
                    if (error)
                        *error = err;
                    return false;
                }
                rescan.restart();
            }
            if (m_keys.isEmpty()) {
                if (!sleepUnlessCancelled(blockMs))
                    break;
                continue;
            }
            QList<QByteArray> argv = {"XREAD", "COUNT", QByteArray::number(m_pageSize), "BLOCK",
                                      QByteArray::number(blockMs), "STREAMS"};
            for (const KeyState& k : m_keys)
                argv << k.keyBytes;
            for (const KeyState& k : m_keys)
                argv << (k.started ? k.lastId.text() : QByteArray::number(m_startMs) + "-0");
            QString err;
            Reply r(command(argv, &err));
            if (!r.r) {
                if (error)
                    *error = err;
                return false;
            }
            if (r.r->type != REDIS_REPLY_ARRAY)
                continue;  // nil: nothing new within the block time
            QList<Entry> fresh;
            for (size_t i = 0; i < r.r->elements; ++i) {
                redisReply* kr = r.r->element[i];
                if (kr->type != REDIS_REPLY_ARRAY || kr->elements != 2)
                    continue;
                const QByteArray key(kr->element[0]->str, qsizetype(kr->element[0]->len));
                auto it = std::find_if(m_keys.begin(), m_keys.end(), [&](const KeyState& k) { return k.keyBytes == key; });
                if (it == m_keys.end())
                    continue;
                QList<Entry> entries;
                parseEntries(*it, kr->element[1], &entries);
                fresh += entries;
            }
            std::stable_sort(fresh.begin(), fresh.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
            QList<Event> page;
            for (Entry& en : fresh) {
                en.event.position = ++m_lastPosition;
                page << std::move(en.event);
            }
            if (!page.isEmpty() && !sink(page))
                return true;
        }
        return true;
    }

private:
    bool open(QString* error)
    {
        if (m_ctx) {
            redisFree(m_ctx);
            m_ctx = nullptr;
        }
        const QByteArray host = m_ep.host.toUtf8();
        const int port = m_ep.port > 0 ? m_ep.port : 6379;
        for (int attempt = 0;; ++attempt) {
            timeval tv{m_ep.timeoutMs / 1000, (m_ep.timeoutMs % 1000) * 1000};
            m_ctx = redisConnectWithTimeout(host.constData(), port, tv);
            if (m_ctx && !m_ctx->err)
                break;
            const QString msg = m_ctx ? QString::fromUtf8(m_ctx->errstr) : QStringLiteral("out of memory");
            if (m_ctx)
                redisFree(m_ctx);
            m_ctx = nullptr;
            const bool dns = msg.contains(QLatin1String("Name or service not known")) ||
                             msg.contains(QLatin1String("not known")) || msg.contains(QLatin1String("resolve"));
            const bool refused = msg.contains(QLatin1String("refused"));
            if (!dns && attempt < m_ep.retries && sleepUnlessCancelled(200 << attempt))
                continue;
            if (error) {
                if (dns)
                    *error = QStringLiteral("%1: the host name '%2' could not be found (DNS): %3").arg(m_ep.display, m_ep.host, msg);
                else if (refused)
                    *error = QStringLiteral("%1: connection refused: is Redis running on %2 port %3? (%4)")
                                 .arg(m_ep.display, m_ep.host)
                                 .arg(port)
                                 .arg(msg);
                else
                    *error = QStringLiteral("%1: cannot connect to Redis: %2").arg(m_ep.display, msg);
            }
            return false;
        }
        timeval tv{m_ep.timeoutMs / 1000, (m_ep.timeoutMs % 1000) * 1000};
        redisSetTimeout(m_ctx, tv);
        QString err;
        if (!m_ep.secret.isEmpty()) {
            QList<QByteArray> argv = {"AUTH"};
            if (!m_ep.user.isEmpty())
                argv << m_ep.user.toUtf8();
            argv << m_ep.secret.toUtf8();
            Reply r(rawCommand(argv, &err));
            if (!r.r || r.r->type == REDIS_REPLY_ERROR) {
                if (error)
                    *error = QStringLiteral("%1: Redis refused the login: %2")
                                 .arg(m_ep.display, r.r ? QString::fromUtf8(r.r->str, int(r.r->len)) : err);
                return false;
            }
        }
        QString db = m_ep.url.path();
        while (db.startsWith(u'/'))
            db.remove(0, 1);
        if (!db.isEmpty() && db != u"0") {
            Reply r(rawCommand({"SELECT", db.toUtf8()}, &err));
            if (!r.r || r.r->type == REDIS_REPLY_ERROR) {
                if (error)
                    *error = QStringLiteral("%1: cannot select database %2: %3")
                                 .arg(m_ep.display, db, r.r ? QString::fromUtf8(r.r->str, int(r.r->len)) : err);
                return false;
            }
        }
        Reply ping(rawCommand({"PING"}, &err));
        if (!ping.r || ping.r->type == REDIS_REPLY_ERROR) {
            const QString msg = ping.r ? QString::fromUtf8(ping.r->str, int(ping.r->len)) : err;
            if (error)
                *error = msg.contains(QLatin1String("NOAUTH"))
                             ? QStringLiteral("%1: Redis needs a password: give it in the URI "
                                              "(redis://:PASSWORD@host) or in $CHRONOSCOPE_PASSWORD")
                                   .arg(m_ep.display)
                             : QStringLiteral("%1: Redis does not answer: %2").arg(m_ep.display, msg);
            return false;
        }
        return true;
    }

    redisReply* rawCommand(const QList<QByteArray>& argv, QString* error)
    {
        std::vector<const char*> a;
        std::vector<size_t> l;
        for (const QByteArray& s : argv) {
            a.push_back(s.constData());
            l.push_back(size_t(s.size()));
        }
        auto* r = static_cast<redisReply*>(redisCommandArgv(m_ctx, int(a.size()), a.data(), l.data()));
        if (!r && error)
            *error = QString::fromUtf8(m_ctx->errstr);
        return r;
    }

    /// A command that survives a dropped connection: reconnects with backoff and sends it again
    /// (every command used here is a read with explicit ids, so repeating it is safe).
    redisReply* command(const QList<QByteArray>& argv, QString* error)
    {
        for (int attempt = 0;; ++attempt) {
            QString err;
            if (m_ctx) {
                if (redisReply* r = rawCommand(argv, &err))
                    return r;
            }
            if (isCancelled() || attempt >= m_ep.retries || !sleepUnlessCancelled(200 << attempt)) {
                if (error)
                    *error = isCancelled() ? QStringLiteral("Reading %1 was cancelled").arg(m_ep.display)
                                           : QStringLiteral("%1: lost the connection to Redis (%2); the events "
                                                            "read so far are kept")
                                                 .arg(m_ep.display, err.isEmpty() ? QStringLiteral("no answer") : err);
                return nullptr;
            }
            QString reopen;
            if (!open(&reopen)) {
                if (m_ctx) {
                    redisFree(m_ctx);
                    m_ctx = nullptr;
                }
            }
        }
    }

    static QString replyError(const Reply& r)
    {
        return QString::fromUtf8(r.r->str, int(r.r->len));
    }

    bool keyType(const QByteArray& key, QString* type, QString* error)
    {
        Reply r(command({"TYPE", key}, error));
        if (!r.r)
            return false;
        *type = QString::fromUtf8(r.r->str, int(r.r->len));
        return true;
    }

    bool scan(const QByteArray& pattern, bool streamsOnly, int maxKeys, QStringList* keys, QString* error)
    {
        QByteArray cursor = "0";
        do {
            QList<QByteArray> argv = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
            if (streamsOnly)
                argv << "TYPE" << "stream";
            Reply r(command(argv, error));
            if (!r.r)
                return false;
            if (r.r->type == REDIS_REPLY_ERROR) {
                if (error)
                    *error = QStringLiteral("%1: SCAN failed: %2").arg(m_ep.display, replyError(r));
                return false;
            }
            if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements != 2)
                break;
            cursor = QByteArray(r.r->element[0]->str, qsizetype(r.r->element[0]->len));
            redisReply* arr = r.r->element[1];
            for (size_t i = 0; i < arr->elements; ++i) {
                // MATCH may return more than the glob (redisMatchPattern): the local matcher decides.
                const QString key = QString::fromUtf8(arr->element[i]->str, int(arr->element[i]->len));
                if (m_scope.streams.isEmpty() || globMatch(m_scope.streams, key))
                    *keys << key;
            }
            if (isCancelled())
                return false;
        } while (cursor != "0" && (maxKeys < 0 || keys->size() < maxKeys));
        return true;
    }

    bool findKeys(QString* error)
    {
        m_keys.clear();
        QStringList names;
        bool wild = false;
        globPrefix(m_scope.streams, &wild);
        if (!m_scope.streams.isEmpty() && !wild) {
            QString type;
            if (!keyType(m_scope.streams.toUtf8(), &type, error))
                return false;
            if (type == u"none") {
                if (error)
                    *error = QStringLiteral("%1: there is no key named '%2'").arg(m_ep.display, m_scope.streams);
                return false;
            }
            if (type != u"stream") {
                if (error)
                    *error = QStringLiteral("%1: the key '%2' holds a %3, not a stream: Chronoscope reads Redis "
                                            "Streams (XADD) only")
                                 .arg(m_ep.display, m_scope.streams, type);
                return false;
            }
            names << m_scope.streams;
        } else {
            bool none = false;
            const QByteArray pattern = m_scope.streams.isEmpty() ? QByteArray("*") : redisMatchPattern(m_scope.streams, &none);
            if (!none && !scan(pattern, true, -1, &names, error))
                return false;
            if (names.isEmpty()) {
                // Say what is there instead, so a wrong glob or a non-stream layout is obvious.
                QStringList others;
                QString err;
                if (!none)
                    scan(pattern, false, 20, &others, &err);
                QStringList described;
                for (const QString& k : others.mid(0, 5)) {
                    QString type;
                    if (keyType(k.toUtf8(), &type, &err))
                        described << QStringLiteral("'%1' is a %2").arg(k, type);
                }
                if (error)
                    *error = others.isEmpty()
                                 ? QStringLiteral("%1: no stream keys match '%2'").arg(m_ep.display, m_scope.streams)
                                 : QStringLiteral("%1: no stream keys match '%2'; keys of other types do (%3): "
                                                  "Chronoscope reads Redis Streams (XADD) only")
                                       .arg(m_ep.display, m_scope.streams, described.join(QLatin1String(", ")));
                return false;
            }
        }
        names.sort();
        names.removeDuplicates();
        for (const QString& n : names) {
            KeyState k;
            k.key = n;
            k.keyBytes = n.toUtf8();
            m_keys << k;
        }
        return true;
    }

    bool discoverNewKeys(QString* error)
    {
        QStringList names;
        bool wild = false, none = false;
        globPrefix(m_scope.streams, &wild);
        if (!m_scope.streams.isEmpty() && !wild)
            return true;
        const QByteArray pattern = m_scope.streams.isEmpty() ? QByteArray("*") : redisMatchPattern(m_scope.streams, &none);
        if (none)
            return true;
        if (!scan(pattern, true, -1, &names, error))
            return isCancelled();
        for (const QString& n : names) {
            if (std::any_of(m_keys.begin(), m_keys.end(), [&](const KeyState& k) { return k.key == n; }))
                continue;
            KeyState k;
            k.key = n;
            k.keyBytes = n.toUtf8();
            m_keys << k;
        }
        return true;
    }

    bool lastIdOf(KeyState& k, QString* error)
    {
        Reply r(command({"XREVRANGE", k.keyBytes, "+", "-", "COUNT", "1"}, error));
        if (!r.r)
            return false;
        if (r.r->type == REDIS_REPLY_ARRAY && r.r->elements == 1) {
            redisReply* e = r.r->element[0];
            k.lastId = EntryId::parse(e->element[0]->str, e->element[0]->len);
            k.started = true;
        }
        return true;
    }

    void parseEntries(KeyState& k, redisReply* arr, QList<Entry>* out)
    {
        out->reserve(out->size() + qsizetype(arr->elements));
        for (size_t i = 0; i < arr->elements; ++i) {
            redisReply* e = arr->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                continue;
            Entry en;
            en.id = EntryId::parse(e->element[0]->str, e->element[0]->len);
            Event& ev = en.event;
            ev.stream = k.key;
            ev.time = TimeMs(en.id.ms);
            QByteArray data, metadata, extras;
            bool haveData = false, haveVersion = false;
            redisReply* fields = e->element[1];
            for (size_t f = 0; f + 1 < fields->elements; f += 2) {
                const QByteArray name(fields->element[f]->str, qsizetype(fields->element[f]->len));
                const QByteArray value(fields->element[f + 1]->str, qsizetype(fields->element[f + 1]->len));
                if (isField(name, {"type", "eventType", "event_type"}))
                    ev.type = QString::fromUtf8(value);
                else if (isField(name, {"data", "payload", "body"})) {
                    data = value;
                    haveData = true;
                } else if (isField(name, {"metadata", "meta"}))
                    metadata = value;
                else if (isField(name, {"id", "eventId", "messageId", "event_id"}))
                    ev.id = QString::fromUtf8(value);
                else if (isField(name, {"version", "position", "stream_position", "streamPosition"})) {
                    bool ok = false;
                    ev.version = value.toLongLong(&ok);
                    haveVersion = ok;
                } else {
                    if (!extras.isEmpty())
                        extras += ',';
                    extras += jsonString(QString::fromUtf8(name)) + ':' + jsonString(QString::fromUtf8(value));
                }
            }
            if (!haveVersion)
                ev.version = k.version;
            k.version = ev.version + 1;
            if (ev.id.isEmpty())
                ev.id = QString::fromLatin1(en.id.text());
            if (haveData) {
                setData(ev, data);
            } else {
                // No data field: the entry's own fields are the event's data.
                ev.data = '{' + extras + '}';
                extras.clear();
            }
            setMetadata(ev, metadata);
            QByteArray redisId = "\"redisId\":\"" + en.id.text() + '"';
            if (!extras.isEmpty())
                redisId += ',' + extras;
            if (ev.metadata.startsWith('{') && ev.metadata.endsWith('}'))
                ev.metadata.insert(ev.metadata.size() - 1, ev.metadata.size() > 2 ? ',' + redisId : redisId);
            k.lastId = en.id;
            k.started = true;
            out->append(std::move(en));
        }
    }

    /// Refills a key's buffer with the next XRANGE page after its resume point.
    bool refill(KeyState& k, int count, QString* error)
    {
        k.buffer.clear();
        k.next = 0;
        QString err;
        Reply r(command({"XRANGE", k.keyBytes, k.after, m_hi, "COUNT", QByteArray::number(count)}, &err));
        if (!r.r) {
            if (error)
                *error = err;
            return false;
        }
        if (r.r->type == REDIS_REPLY_ERROR) {
            const QString msg = replyError(r);
            if (error)
                *error = msg.startsWith(QLatin1String("WRONGTYPE"))
                             ? QStringLiteral("%1: the key '%2' is no longer a stream (%3)").arg(m_ep.display, k.key, msg)
                             : QStringLiteral("%1: XRANGE %2 failed: %3").arg(m_ep.display, k.key, msg);
            return false;
        }
        if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements == 0) {
            k.exhausted = true;
            return true;
        }
        parseEntries(k, r.r, &k.buffer);
        if (!k.buffer.isEmpty())
            k.after = "(" + k.buffer.last().id.text();
        if (r.r->elements < size_t(count))
            k.exhausted = true;  // the next call would come back empty
        return true;
    }

    int perKeyCount(bool first) const
    {
        // Bounded memory whatever the number of keys: the buffers together hold about 200k entries at most.
        const int base = pageSize(first);
        const int n = int(std::max<qsizetype>(1, m_keys.size()));
        int count = std::max(1, std::min(base, 200000 / n));
        if (count < 10 && base >= 10)
            count = 10;  // very many keys: keep round trips worth their cost
        return count;
    }

    bool merge(const PageSink& sink, qint64 total, QString* error)
    {
        // Fill every buffer (pipelined, so thousands of keys cost few round trips), then merge by entry id.
        // The first fill is just enough for the first page (one entry per key when there are many keys), so
        // the first page shows quickly; keys are refilled with big pages as they run dry.
        const int n = int(std::max<qsizetype>(1, m_keys.size()));
        const int firstCount = std::clamp((2 * pageSize(true) + n - 1) / n, 1, perKeyCount(false));
        if (!prefetch(firstCount, error))
            return false;
        auto cmp = [this](int a, int b) {
            return m_keys[b].buffer[m_keys[b].next].id < m_keys[a].buffer[m_keys[a].next].id;
        };
        std::priority_queue<int, std::vector<int>, decltype(cmp)> heap(cmp);
        for (int i = 0; i < m_keys.size(); ++i)
            if (m_keys[i].next < m_keys[i].buffer.size())
                heap.push(i);
        QList<Event> page;
        int want = pageSize(true);
        qint64 done = 0;
        while (!heap.empty()) {
            if (isCancelled()) {
                if (error)
                    *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            const int i = heap.top();
            heap.pop();
            KeyState& k = m_keys[i];
            Event ev = std::move(k.buffer[k.next].event);
            ++k.next;
            ev.position = ++m_lastPosition;
            page << std::move(ev);
            if (k.next >= k.buffer.size()) {
                // Small refills until the first page is out, then big ones.
                if (!k.exhausted && !refill(k, done == 0 ? firstCount : perKeyCount(false), error))
                    return false;
            }
            if (k.next < k.buffer.size())
                heap.push(i);
            if (page.size() >= want) {
                done += page.size();
                reportProgress(done, total, QStringLiteral("%1 events read from %2").arg(done).arg(m_ep.display));
                if (!sink(page))
                    return true;
                page.clear();
                want = pageSize(false);
            }
        }
        if (!page.isEmpty()) {
            done += page.size();
            reportProgress(done, total, QStringLiteral("%1 events read from %2").arg(done).arg(m_ep.display));
            if (!sink(page))
                return true;
        }
        return true;
    }

    bool prefetch(int count, QString* error)
    {
        const int batch = 256;
        for (int from = 0; from < m_keys.size(); from += batch) {
            const int to = std::min<int>(int(m_keys.size()), from + batch);
            for (int i = from; i < to; ++i) {
                KeyState& k = m_keys[i];
                const QList<QByteArray> argv = {"XRANGE", k.keyBytes, k.after, m_hi, "COUNT", QByteArray::number(count)};
                std::vector<const char*> a;
                std::vector<size_t> l;
                for (const QByteArray& s : argv) {
                    a.push_back(s.constData());
                    l.push_back(size_t(s.size()));
                }
                redisAppendCommandArgv(m_ctx, int(a.size()), a.data(), l.data());
            }
            for (int i = from; i < to; ++i) {
                void* raw = nullptr;
                if (redisGetReply(m_ctx, &raw) != REDIS_OK) {
                    // Fall back to one command per key, which reconnects when needed.
                    for (int j = i; j < m_keys.size(); ++j)
                        if (!refill(m_keys[j], count, error))
                            return false;
                    return true;
                }
                Reply r(raw);
                KeyState& k = m_keys[i];
                k.buffer.clear();
                k.next = 0;
                if (r.r->type == REDIS_REPLY_ERROR) {
                    if (error)
                        *error = QStringLiteral("%1: XRANGE %2 failed: %3").arg(m_ep.display, k.key, replyError(r));
                    return false;
                }
                if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements == 0) {
                    k.exhausted = true;
                    continue;
                }
                parseEntries(k, r.r, &k.buffer);
                k.after = "(" + k.buffer.last().id.text();
                if (r.r->elements < size_t(count))
                    k.exhausted = true;
            }
        }
        return true;
    }

    bool findLastThreshold(const QByteArray& lo, qint64 n, EntryId* threshold, QString* error)
    {
        // Walk every key backwards from the window's end, merging by id, until n entries are counted.
        struct Rev
        {
            QList<EntryId> ids;
            qsizetype next = 0;
            QByteArray before;
            bool exhausted = false;
        };
        QList<Rev> revs(m_keys.size());
        const int count = int(std::clamp<qint64>(n, 10, 5000));
        auto fill = [&](int i) -> bool {
            Rev& r = revs[i];
            r.ids.clear();
            r.next = 0;
            QString err;
            Reply rep(command({"XREVRANGE", m_keys[i].keyBytes, r.before, lo, "COUNT", QByteArray::number(count)}, &err));
            if (!rep.r) {
                if (error)
                    *error = err;
                return false;
            }
            if (rep.r->type != REDIS_REPLY_ARRAY || rep.r->elements == 0) {
                r.exhausted = true;
                return true;
            }
            for (size_t j = 0; j < rep.r->elements; ++j) {
                redisReply* e = rep.r->element[j];
                r.ids << EntryId::parse(e->element[0]->str, e->element[0]->len);
            }
            r.before = "(" + r.ids.last().text();
            if (rep.r->elements < size_t(count))
                r.exhausted = true;
            return true;
        };
        auto cmp = [&](int a, int b) { return revs[a].ids[revs[a].next] < revs[b].ids[revs[b].next]; };
        std::priority_queue<int, std::vector<int>, decltype(cmp)> heap(cmp);
        for (int i = 0; i < m_keys.size(); ++i) {
            revs[i].before = m_hi;
            if (!fill(i))
                return false;
            if (!revs[i].ids.isEmpty())
                heap.push(i);
        }
        qint64 seen = 0;
        EntryId lastSeen;
        while (!heap.empty() && seen < n) {
            const int i = heap.top();
            heap.pop();
            lastSeen = revs[i].ids[revs[i].next++];
            ++seen;
            if (revs[i].next >= revs[i].ids.size() && !revs[i].exhausted && !fill(i))
                return false;
            if (revs[i].next < revs[i].ids.size())
                heap.push(i);
        }
        *threshold = seen > 0 ? lastSeen : EntryId{std::numeric_limits<quint64>::max(), 0};
        return true;
    }

    redisContext* m_ctx = nullptr;
    RemoteScope m_scope;
    QList<KeyState> m_keys;
    QByteArray m_hi = "+";
    qint64 m_lastPosition = 0;
    qint64 m_startMs = 0;
};

} // namespace

std::unique_ptr<RemoteClient> makeRedisClient(const RemoteEndpoint& ep, QString*)
{
    return std::make_unique<RedisClient>(ep);
}

#endif

} // namespace chronoscope::remote
