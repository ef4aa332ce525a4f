#include "sources/remote/remotefirst.h"

#include "sources/nativeinplace.h"
#include "sources/remote/remoteclients_p.h"

#include <QUrl>
#include <QUrlQuery>

#include <QRegularExpression>

#include <algorithm>

namespace chronoscope {

qint64 RemoteDensity::total() const
{
    qint64 n = before + after;
    for (qint64 c : counts)
        n += c;
    return n;
}

int RemoteDensity::binOf(qint64 value) const
{
    if (counts.isEmpty() || binWidth <= 0) return 0;
    const qint64 b = value < from ? 0 : (value - from) / binWidth;
    return int(std::clamp<qint64>(b, 0, counts.size() - 1));
}

QString IndexAdvice::text() const
{
    QString s =
        QStringLiteral("The %1 query needs an index on \"%2\", which the server lacks").arg(query, column);
    if (!plan.isEmpty()) s += QStringLiteral(": the server plans a %1").arg(plan);
    if (rows >= 0) s += QStringLiteral(", reading about %1 rows").arg(rows);
    s += QStringLiteral(". An administrator can add it with: %1").arg(createIndex);
    return s;
}

static bool notSupported(const RemoteFirstSource& source, const char* what, QString* error)
{
    if (error)
        *error = QStringLiteral("%1 cannot answer %2 in place").arg(source.describe(), QString::fromLatin1(what));
    return false;
}

bool RemoteFirstSource::searchStreams(const QString&, const QString&, int, QList<RemoteStreamCount>*,
                                      QString* error)
{
    return notSupported(*this, "a stream search", error);
}

bool RemoteFirstSource::laneTicks(const QString&, qint64, qint64, int, QList<RemoteTick>*, bool*, QString* error)
{
    return notSupported(*this, "a lane's events", error);
}

bool RemoteFirstSource::lanesTicks(const QStringList& streams, qint64 from, qint64 to, int limit,
                                   QList<RemoteLaneTicks>* out, QString* error)
{
    out->clear();
    for (const QString& stream : streams) {
        RemoteLaneTicks lane;
        lane.stream = stream;
        if (!laneTicks(stream, from, to, limit, &lane.ticks, &lane.truncated, error)) return false;
        out->append(std::move(lane));
    }
    return true;
}

bool RemoteFirstSource::streamEvents(const QString&, qint64, int, QList<Event>*, bool*, QString* error)
{
    return notSupported(*this, "a stream's events", error);
}

bool RemoteFirstSource::stateAt(const QString& stream, qint64 maxPosition, int limit, StreamStateAt* out,
                                QString* error)
{
    *out = StreamStateAt();
    return streamEvents(stream, maxPosition, limit, &out->events, &out->truncated, error);
}

// ---- The category tree (issue 13 item 3): defaults for a layout that cannot list categories from an index.

bool RemoteFirstSource::categories(const QString&, int, QList<RemoteCategory>*, QString* error)
{
    return notSupported(*this, "a category listing", error);
}

bool RemoteFirstSource::categoryStreams(const QString&, const QString&, int, QList<RemoteStreamCount>*,
                                        QString* error)
{
    return notSupported(*this, "a category's streams", error);
}

bool RemoteFirstSource::categoryCounts(const QString&, RemoteCategory*, QString* error)
{
    return notSupported(*this, "a category's counts", error);
}

void EventLruCache::setLimit(qint64 bytes)
{
    m_limit = std::max<qint64>(0, bytes);
    evictTo(m_limit);
}

qint64 EventLruCache::eventBytes(const Event& e)
{
    // QString holds UTF-16; each implicitly shared buffer also has a header (about 16 bytes).
    constexpr qint64 header = 16;
    return qint64(sizeof(Event)) + (e.stream.size() + e.type.size() + e.id.size()) * 2 + e.data.size() +
           e.metadata.size() + 5 * header;
}

std::shared_ptr<const QList<Event>> EventLruCache::get(const QString& key)
{
    auto it = m_index.find(key);
    if (it == m_index.end()) {
        ++m_misses;
        return nullptr;
    }
    ++m_hits;
    m_order.splice(m_order.begin(), m_order, it.value());
    return m_order.front().events;
}

std::shared_ptr<const QList<Event>> EventLruCache::put(const QString& key, QList<Event> events)
{
    qint64 bytes = qint64(key.size()) * 2 + qint64(sizeof(Entry)) + 64;
    for (const Event& e : std::as_const(events))
        bytes += eventBytes(e);
    auto shared = std::make_shared<const QList<Event>>(std::move(events));
    if (auto it = m_index.find(key); it != m_index.end()) {
        m_bytes -= it.value()->bytes;
        m_order.erase(it.value());
        m_index.erase(it);
    }
    if (bytes > m_limit) return shared; // bigger than the whole cache: used once, not kept
    evictTo(m_limit - bytes);
    m_order.push_front(Entry{key, shared, bytes});
    m_index.insert(key, m_order.begin());
    m_bytes += bytes;
    return shared;
}

void EventLruCache::clear()
{
    m_order.clear();
    m_index.clear();
    m_bytes = 0;
}

void EventLruCache::evictTo(qint64 limit)
{
    while (m_bytes > limit && !m_order.empty()) {
        m_bytes -= m_order.back().bytes;
        m_index.remove(m_order.back().key);
        m_order.pop_back();
    }
}

bool parseCacheSize(const QString& text, qint64* bytes, QString* error)
{
    static const QRegularExpression re(
        QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*([kKmMgG]?)(?:i?[bB])?\\s*$"));
    const auto m = re.match(text);
    bool ok = false;
    const double n = m.hasMatch() ? m.captured(1).toDouble(&ok) : 0;
    if (!ok) {
        if (error)
            *error =
                QStringLiteral("'%1' is not a cache size (a number of bytes, or with k, MB or GB)").arg(text);
        return false;
    }
    double scale = 1;
    const QString unit = m.captured(2).toLower();
    switch (unit.isEmpty() ? u' ' : unit.at(0).unicode()) {
    case 'k':
        scale = 1024.0;
        break;
    case 'm':
        scale = 1024.0 * 1024;
        break;
    case 'g':
        scale = 1024.0 * 1024 * 1024;
        break;
    default:
        break;
    }
    const double v = n * scale;
    if (v > 1024.0 * 1024 * 1024 * 1024) {
        if (error) *error = QStringLiteral("cache size '%1' is larger than 1 TB").arg(text);
        return false;
    }
    *bytes = qint64(v);
    return true;
}

std::unique_ptr<RemoteFirstSource> createRemoteFirstSource(const QString& uri,
                                                           const RemoteFirstOptions& options, QString* error)
{
    if (isLocalStoreUri(uri)) {
        // A native store explored where it lives: a path, or file:PATH?cache=...&fullscan=...
        RemoteFirstOptions opts = options;
        QString path = uri;
        if (uri.startsWith(QLatin1String("file:"), Qt::CaseInsensitive)) {
            const QUrl url(uri);
            path = url.toLocalFile();
            const QUrlQuery query(url);
            const QString cache = query.queryItemValue(QStringLiteral("cache"));
            QString why;
            if (!cache.isEmpty() && !parseCacheSize(cache, &opts.cacheLimitBytes, &why)) {
                if (error) *error = QStringLiteral("%1: %2").arg(path, why);
                return nullptr;
            }
            const QString fs = query.queryItemValue(QStringLiteral("fullscan")).toLower();
            if (!fs.isEmpty() && fs != u"warn" && fs != u"refuse") {
                if (error)
                    *error = QStringLiteral("%1: fullscan must be 'warn' or 'refuse', not '%2'").arg(path, fs);
                return nullptr;
            }
            if (!fs.isEmpty()) opts.refuseFullScans = fs == u"refuse";
        }
        if (path.isEmpty()) {
            if (error) *error = QStringLiteral("'%1' names no file").arg(uri);
            return nullptr;
        }
        return std::make_unique<NativeInPlaceSource>(path, opts);
    }
    RemoteEndpoint ep;
    if (!RemoteEndpoint::parse(uri, &ep, error)) return nullptr;
    if (ep.scheme != u"postgresql" && ep.scheme != u"postgres") {
        if (error)
            *error =
                QStringLiteral("%1: remote-first reading is made for the PostgreSQL stores (postgresql://); "
                               "open this one as a cached remote instead")
                    .arg(ep.display);
        return nullptr;
    }
    RemoteFirstOptions opts = options;
    if (const QString cache = ep.option(QStringLiteral("cache")); !cache.isEmpty()) {
        QString why;
        if (!parseCacheSize(cache, &opts.cacheLimitBytes, &why)) {
            if (error) *error = QStringLiteral("%1: %2").arg(ep.display, why);
            return nullptr;
        }
    }
    if (const QString fs = ep.option(QStringLiteral("fullscan")).toLower(); !fs.isEmpty()) {
        if (fs != u"warn" && fs != u"refuse") {
            if (error)
                *error =
                    QStringLiteral("%1: fullscan must be 'warn' or 'refuse', not '%2'").arg(ep.display, fs);
            return nullptr;
        }
        opts.refuseFullScans = fs == u"refuse";
    }
    ep.cancel = opts.cancel;
    return remote::makePostgresRemoteFirst(ep, opts, error);
}

} // namespace chronoscope
