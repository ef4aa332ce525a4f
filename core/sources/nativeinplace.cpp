#include "sources/nativeinplace.h"

#include "json/jsonvalue.h"

#include "store/sqlitedb.h"
#include "store/sqlitestore.h"
#include "store/storeschema.h"
#include "util/cacheroot.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QUrl>

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace chronoscope {

namespace {

constexpr qint64 kMaxQint = std::numeric_limits<qint64>::max();
constexpr quint32 kCacheMagic = 0x43534950; // "CSIP"
constexpr quint32 kCacheVersion = 1;
constexpr qint64 kMaxTypeVector = 1 << 20;
constexpr int kMaxStreamNames = 100000;

qint64 floorDiv(qint64 v, qint64 w)
{
    qint64 q = v / w;
    if ((v % w != 0) && ((v < 0) != (w < 0))) --q;
    return q;
}

/// Bins of [from, to]: the same rule as the PostgreSQL source (width = ceil(span / bins), the last bin ends
/// at to).
RemoteDensity emptyDensity(RemoteAxis axis, qint64 from, qint64 to, int bins)
{
    RemoteDensity d;
    d.axis = axis;
    d.from = from;
    d.to = to;
    const qint64 span = to - from + 1;
    d.binWidth = std::max<qint64>(1, (span + bins - 1) / bins);
    d.counts.resize(int((span + d.binWidth - 1) / d.binWidth));
    return d;
}

int binIndex(const RemoteDensity& d, qint64 v)
{
    return int(std::clamp<qint64>((v - d.from) / d.binWidth, 0, d.counts.size() - 1));
}

qint64 binEnd(const RemoteDensity& d, int i)
{
    const qint64 start = d.from + qint64(i) * d.binWidth;
    return std::min(d.to, start + d.binWidth - 1);
}

/// The events of [a, b] when every integer position in [lo, hi] holds one event.
qint64 overlap(qint64 a, qint64 b, qint64 lo, qint64 hi)
{
    const qint64 x = std::max(a, lo), y = std::min(b, hi);
    return y >= x ? y - x + 1 : 0;
}

TimeMs timeAt(sqlite3_stmt* st, int c)
{
    return sqlite3_column_type(st, c) == SQLITE_NULL ? kNoTime : sqlite3_column_int64(st, c);
}

/// Stream search: does a UTF-8 name contain the needle, case-insensitively? An ASCII needle is compared byte
/// by byte with ASCII letters folded (non-ASCII characters of the name compare exactly); a needle with other
/// characters is compared with Qt's Unicode case folding over the decoded name.
} // namespace

struct NativeInPlaceSource::SearchNeedle
{
    QByteArray asciiLower; ///< set when the needle is ASCII
    QString text;          ///< else
    bool ascii = true;
};

namespace {

using Needle = NativeInPlaceSource::SearchNeedle;

bool containsFolded(const char* name, int n, const Needle& needle)
{
    if (needle.ascii) {
        const QByteArray& k = needle.asciiLower;
        const int m = int(k.size());
        if (m == 0) return true;
        const char first = k[0];
        for (int i = 0; i + m <= n; ++i) {
            char c = name[i];
            if (c >= 'A' && c <= 'Z') c = char(c + 32);
            if (c != first) continue;
            int j = 1;
            for (; j < m; ++j) {
                char x = name[i + j];
                if (x >= 'A' && x <= 'Z') x = char(x + 32);
                if (x != k[j]) break;
            }
            if (j == m) return true;
        }
        return false;
    }
    return QString::fromUtf8(name, n).contains(needle.text, Qt::CaseInsensitive);
}

void sqlContains(sqlite3_context* ctx, int argc, sqlite3_value** argv)
{
    const auto* needle = static_cast<const Needle*>(sqlite3_user_data(ctx));
    if (argc != 1 || !needle || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_int(ctx, 0);
        return;
    }
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    const int n = sqlite3_value_bytes(argv[0]);
    sqlite3_result_int(ctx, p && containsFolded(p, n, *needle) ? 1 : 0);
}

int cancelHandler(void* token)
{
    return static_cast<const CancelToken*>(token)->isCancelled() ? 1 : 0;
}

} // namespace

qint64 NativeInPlaceSource::fineWidth(qint64 lo, qint64 hi)
{
    qint64 w = 1;
    while (w < (qint64(1) << 62) && floorDiv(hi, w) - floorDiv(lo, w) + 1 > kMaxFineBins)
        w *= 2;
    return w;
}

bool isLocalStoreUri(const QString& uri)
{
    if (uri.startsWith(QLatin1String("file:"), Qt::CaseInsensitive)) return true;
    return !uri.contains(QLatin1String("://"));
}

NativeInPlaceSource::NativeInPlaceSource(const QString& path, const RemoteFirstOptions& options,
                                         const QString& cacheDir)
    : m_path(path), m_cacheDir(cacheDir), m_options(options), m_needle(std::make_unique<SearchNeedle>())
{
    m_cache.setLimit(options.cacheLimitBytes);
    const QFileInfo fi(m_path);
    const QByteArray id =
        QCryptographicHash::hash(fi.absoluteFilePath().toUtf8(), QCryptographicHash::Sha1).toHex().left(24);
    m_cacheFile = cacheRoot(m_cacheDir) + QStringLiteral("/inplace/") + QString::fromLatin1(id) +
                  QStringLiteral(".density");
}

NativeInPlaceSource::~NativeInPlaceSource()
{
    m_scanStmt.reset(); // before the connection closes
    if (m_db) sqlite3_progress_handler(m_db->handle(), 0, nullptr, nullptr);
}

bool NativeInPlaceSource::fail(QString* error, const QString& what) const
{
    if (error) *error = QStringLiteral("%1: %2").arg(m_path, what);
    return false;
}

bool NativeInPlaceSource::sqlFail(QString* error, int rc) const
{
    if ((rc & 0xff) == SQLITE_INTERRUPT || m_options.cancel.isCancelled())
        return fail(error, QStringLiteral("cancelled"));
    return fail(error, store::describeError(m_db ? m_db->handle() : nullptr, rc));
}

bool NativeInPlaceSource::cancelled(QString* error) const
{
    if (!m_options.cancel.isCancelled()) return false;
    fail(error, QStringLiteral("cancelled"));
    return true;
}

bool NativeInPlaceSource::checkRange(qint64 from, qint64 to, int bins, QString* error) const
{
    if (bins >= 1 && bins <= 100000 && to >= from && quint64(to) - quint64(from) < (quint64(1) << 62))
        return true;
    return fail(error,
                QStringLiteral("a density needs 1 to 100000 bins over a range whose end is not before its "
                               "start (asked for %1 bins over %2..%3)")
                    .arg(bins)
                    .arg(from)
                    .arg(to));
}

bool NativeInPlaceSource::open(QString* error)
{
    // The native reader's checks first (not SQLite, a foreign layout, a newer schema, views or triggers,
    // mistyped columns), with its messages; then a connection of our own for the aggregates.
    {
        QString why;
        auto reader = SqliteStoreReader::open(m_path, &why);
        if (!reader) {
            if (error)
                *error = why + QStringLiteral(" (in-place exploration reads Chronoscope stores; open another "
                                              "layout as a file instead)");
            return false;
        }
    }
    m_db = SqliteDb::open(m_path, error);
    if (!m_db) return false;
    m_notes << m_db->notes();
    sqlite3* db = m_db->handle();
    QString why;
    if (!store::exec(db, "PRAGMA cache_size=-32768", &why)) return fail(error, why);
    // Long statements (a whole-store pass, a search over millions of names) stop when the token is cancelled.
    sqlite3_progress_handler(db, 20000, cancelHandler, &m_options.cancel);
    if (sqlite3_create_function_v2(db, "chronoscope_contains", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, m_needle.get(),
                                   sqlContains, nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail(error, m_db->lastError());
    {
        SqlStatement q(db, "SELECT id, name FROM types");
        if (!q.ok()) return sqlFail(error, q.rc());
        while (q.next()) {
            const qint64 id = q.int64(0);
            if (id >= 0 && id < kMaxTypeVector) {
                if (size_t(id) >= m_typeNames.size()) m_typeNames.resize(size_t(id) + 1);
                m_typeNames[size_t(id)] = q.text(1);
            } else {
                m_typeById.insert(id, q.text(1));
            }
        }
        if (!q.done()) return sqlFail(error, q.rc());
    }
    if (!readIndexes(error)) return false;
    // The axis: time when any event has one (an index probe; without the index, the first timed row).
    {
        SqlStatement q(db, m_haveTimeIndex
                               ? QByteArrayView("SELECT min(time) FROM events")
                               : QByteArrayView("SELECT time FROM events WHERE time IS NOT NULL LIMIT 1"));
        if (!q.ok()) return sqlFail(error, q.rc());
        const int rc = q.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlFail(error, rc);
        const bool empty = rc == SQLITE_DONE || q.isNull(0);
        SqlStatement any(db, "SELECT 1 FROM events LIMIT 1");
        const bool noEvents = !(any.ok() && any.next());
        m_axis = empty && !noEvents ? RemoteAxis::Position : RemoteAxis::Time;
    }
    if (!loadCache()) loadTimelineBins();
    adviseAll();
    return true;
}

bool NativeInPlaceSource::readIndexes(QString* error)
{
    // By what the indexes serve (their leading columns), not by their names.
    sqlite3* db = m_db->handle();
    SqlStatement list(db,
                      "SELECT l.name, l.tbl, (SELECT group_concat(lower(i.name), ',') FROM (SELECT name FROM "
                      "pragma_index_info(l.name) ORDER BY seqno) i) FROM (SELECT name, tbl_name AS tbl FROM "
                      "sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'streams')) l");
    if (!list.ok()) return sqlFail(error, list.rc());
    while (list.next()) {
        const QString table = list.text(1), cols = list.text(2);
        if (table == QLatin1String("events") &&
            (cols == QLatin1String("time") || cols.startsWith(QLatin1String("time,"))))
            m_haveTimeIndex = true;
        if (table == QLatin1String("events") && cols.startsWith(QLatin1String("stream,version")))
            m_haveStreamIndex = true;
        if (table == QLatin1String("streams") &&
            cols.startsWith(QLatin1String("name,id,events,first_version,last_version")))
            m_haveListingIndex = true;
    }
    if (!list.done()) return sqlFail(error, list.rc());
    return true;
}

void NativeInPlaceSource::adviseAll()
{
    m_advice.clear();
    m_adviceFor.clear();
    qint64 rows = -1;
    {
        SqlStatement lo(m_db->handle(), "SELECT min(position) FROM events");
        SqlStatement hi(m_db->handle(), "SELECT max(position) FROM events");
        if (lo.ok() && lo.next() && hi.ok() && hi.next() && !lo.isNull(0))
            rows = hi.int64(0) - lo.int64(0) + 1;
    }
    auto add = [&](Need need, const QString& query, const QString& column, const QString& create,
                   const QByteArray& sql) {
        IndexAdvice a;
        a.query = query;
        a.column = column;
        a.createIndex = create;
        SqlStatement plan(m_db->handle(), "EXPLAIN QUERY PLAN " + sql);
        QStringList steps;
        while (plan.ok() && plan.next())
            steps << plan.text(3);
        a.plan = steps.join(QLatin1String("; "));
        // Only a query SQLite would answer by reading a whole table gets an advice (without streams_listing
        // the list still walks the name's unique index, one lookup per stream listed).
        if (!a.plan.contains(QLatin1String("SCAN"))) return;
        a.rows = rows;
        m_adviceFor.insert(need, int(m_advice.size()));
        m_advice << a;
    };
    if (!m_haveTimeIndex && m_axis == RemoteAxis::Time)
        add(kTimeIndex, QStringLiteral("time-window density and events"), QStringLiteral("time"),
            QStringLiteral("CREATE INDEX events_time ON events(time);"),
            "SELECT time FROM events WHERE time >= 0 AND time <= 1");
    if (!m_haveStreamIndex)
        add(kStreamIndex, QStringLiteral("lane events"), QStringLiteral("stream, version"),
            QStringLiteral("CREATE UNIQUE INDEX events_stream_version ON events(stream, version);"),
            "SELECT position FROM events WHERE stream = 1 ORDER BY version");
    if (!m_haveListingIndex)
        add(kListingIndex, QStringLiteral("stream list"), QStringLiteral("name"),
            QStringLiteral(
                "CREATE INDEX streams_listing ON streams(name, id, events, first_version, last_version, "
                "first_position, last_position, first_time, last_time);"),
            "SELECT name, events, last_version FROM streams WHERE name > '' ORDER BY name LIMIT 200");
}

bool NativeInPlaceSource::allowed(Need need, QString* error) const
{
    const auto it = m_adviceFor.find(need);
    if (it == m_adviceFor.end() || !m_options.refuseFullScans) return true;
    return fail(error, QStringLiteral("not run, it would read the whole store (fullscan=refuse). %1")
                           .arg(m_advice[it.value()].text()));
}

bool NativeInPlaceSource::countEvents(qint64* count, QString* error)
{
    if (m_eventCount >= 0) {
        *count = m_eventCount;
        return true;
    }
    // SQLite counts the pages of the smallest index (no row is decoded).
    SqlStatement q(m_db->handle(), "SELECT count(*) FROM events");
    if (!q.ok()) return sqlFail(error, q.rc());
    const int rc = q.step();
    if (rc != SQLITE_ROW) return sqlFail(error, rc);
    m_eventCount = q.int64(0);
    *count = m_eventCount;
    return true;
}

bool NativeInPlaceSource::ensureSummary(QString* error)
{
    if (m_haveSummary) return true;
    if (!m_db) return fail(error, QStringLiteral("not open"));
    sqlite3* db = m_db->handle();
    RemoteSummary s;
    s.axis = m_axis;
    // Separate statements: SQLite's min/max shortcut applies to a query with that one aggregate only.
    auto one = [&](const char* sql, qint64* out, bool* isNull) -> bool {
        SqlStatement q(db, sql);
        if (!q.ok()) return sqlFail(error, q.rc());
        const int rc = q.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlFail(error, rc);
        *isNull = rc == SQLITE_DONE || q.isNull(0);
        *out = *isNull ? 0 : q.int64(0);
        return true;
    };
    bool none = false;
    if (!one("SELECT min(position) FROM events", &s.firstPosition, &none) ||
        !one("SELECT max(position) FROM events", &s.lastPosition, &none))
        return false;
    const bool empty = none;
    s.empty = empty;
    if (m_axis == RemoteAxis::Time && !empty) {
        bool n1 = false, n2 = false;
        if (m_haveTimeIndex) {
            if (!one("SELECT min(time) FROM events", &s.firstTime, &n1) ||
                !one("SELECT max(time) FROM events", &s.lastTime, &n2))
                return false;
            s.exactTimeRange = true;
            if (m_untimed < 0) {
                // The NULL keys of the index: a range of it, usually empty.
                qint64 u = 0;
                bool nu = false;
                if (!one("SELECT count(*) FROM events WHERE time IS NULL", &u, &nu)) return false;
                m_untimed = u;
            }
        } else {
            // Without the index min/max would read every row: the stream summary's ends, which hold the times
            // of each stream's first and last events (not necessarily its extremes).
            if (!one("SELECT min(first_time) FROM streams", &s.firstTime, &n1) ||
                !one("SELECT max(last_time) FROM streams", &s.lastTime, &n2))
                return false;
        }
        if (n1 || n2) {
            s.firstTime = s.lastTime = kNoTime;
            s.exactTimeRange = false;
        }
    }
    if (m_eventCount >= 0) {
        s.estimatedEvents = m_eventCount;
        s.eventsExact = true;
    } else {
        // Dense positions (the writer numbers 1, 2, ...) make this the count; with gaps it is an upper bound.
        s.estimatedEvents = empty ? 0 : s.lastPosition - s.firstPosition + 1;
    }
    {
        qint64 lo = 0, hi = 0;
        bool n1 = false, n2 = false;
        if (!one("SELECT min(id) FROM streams", &lo, &n1) || !one("SELECT max(id) FROM streams", &hi, &n2))
            return false;
        // The writer numbers streams 1, 2, ... and never removes one: exact for its stores, else an upper
        // bound.
        s.estimatedStreams = n1 ? 0 : hi - lo + 1;
    }
    s.untimedEvents = std::max<qint64>(0, m_untimed);
    m_summary = s;
    m_haveSummary = true;
    return true;
}

bool NativeInPlaceSource::summary(RemoteSummary* out, QString* error)
{
    if (!ensureSummary(error)) return false;
    // The count may have become known since (a whole-store pass, a trusted timeline summary).
    if (m_eventCount >= 0) {
        m_summary.estimatedEvents = m_eventCount;
        m_summary.eventsExact = true;
    }
    if (m_untimed >= 0) m_summary.untimedEvents = m_untimed;
    *out = m_summary;
    return true;
}

// ---- fine bins: the writer's timeline summary, the cache file, or one pass
// ---------------------------------

void NativeInPlaceSource::ignoreSummary(const QString& why)
{
    m_notes << QStringLiteral("%1: the store's timeline summary (timeline_bins) is ignored: %2").arg(m_path, why);
}

void NativeInPlaceSource::loadTimelineBins()
{
    sqlite3* db = m_db->handle();
    {
        SqlStatement t(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'timeline_bins'");
        if (!(t.ok() && t.next())) return;
    }
    QByteArray metaText;
    {
        SqlStatement m(db, "SELECT value FROM meta WHERE key = 'timeline_bins'");
        if (!(m.ok() && m.next())) return ignoreSummary(QStringLiteral("its meta row is missing"));
        metaText = m.bytes(0);
    }
    const QJsonObject meta = QJsonDocument::fromJson(metaText).object();
    const QString axis = meta.value(QLatin1String("axis")).toString();
    const double w = meta.value(QLatin1String("width")).toDouble(-1);
    const double n = meta.value(QLatin1String("events")).toDouble(-1);
    const double p = meta.value(QLatin1String("last_position")).toDouble(-1);
    const double u = meta.value(QLatin1String("untimed")).toDouble(0);
    const qint64 width = qint64(w);
    if (axis != (m_axis == RemoteAxis::Time ? QLatin1String("time") : QLatin1String("position")))
        return ignoreSummary(QStringLiteral("its axis '%1' is not the store's").arg(axis));
    if (w < 1 || double(width) != w || (width & (width - 1)) != 0 || n < 0 || p < 0 || u < 0)
        return ignoreSummary(
            QStringLiteral("its meta row is not understood (%1)").arg(QString::fromUtf8(metaText.left(200))));
    {
        SqlStatement hi(db, "SELECT max(position) FROM events");
        if (!(hi.ok() && hi.next())) return ignoreSummary(QStringLiteral("the events table cannot be read"));
        if (hi.int64(0) != qint64(p))
            return ignoreSummary(
                QStringLiteral("it was written up to position %1, the store goes to %2 (appended since)")
                    .arg(qint64(p))
                    .arg(hi.int64(0)));
    }
    Fine f;
    f.width = width;
    qint64 lo = 0, hi = 0;
    {
        SqlStatement r(db, "SELECT min(bin), max(bin) FROM timeline_bins");
        if (!(r.ok() && r.next())) return ignoreSummary(QStringLiteral("it cannot be read"));
        lo = r.int64(0);
        hi = r.int64(1);
        if (r.isNull(0)) {
            lo = hi = 0;
        } else if (hi - lo + 1 > 4 * kMaxFineBins || hi < lo) {
            return ignoreSummary(QStringLiteral("it spans %1 bins").arg(hi - lo + 1));
        }
    }
    f.firstBin = lo;
    f.counts.assign(size_t(hi - lo + 1), 0);
    qint64 sum = 0;
    // Grouped in the order of its primary key (bin, type): no sort.
    SqlStatement r(db,
                   "SELECT bin, sum(events), min(typeof(bin) = 'integer' AND typeof(events) = 'integer' AND "
                   "events >= 0) FROM timeline_bins GROUP BY bin");
    while (r.ok() && r.next()) {
        if (r.int64(2) != 1)
            return ignoreSummary(QStringLiteral("bin %1 holds a value that is not a count").arg(r.text(0)));
        f.counts[size_t(r.int64(0) - lo)] = r.int64(1);
        sum += r.int64(1);
    }
    if (!r.ok() || !r.done()) return ignoreSummary(QStringLiteral("it cannot be read (%1)").arg(m_db->lastError()));
    if (sum + qint64(u) != qint64(n))
        return ignoreSummary(QStringLiteral("its bins add up to %1 events and %2 without a time, not %3")
                          .arg(sum)
                          .arg(qint64(u))
                          .arg(qint64(n)));
    // Whether the store still holds that many events is checked by the first exact density (checkSummary):
    // counting them would hold the first paint back (7 s on a 50M store none of whose pages are cached).
    m_unchecked = std::move(f);
    m_uncheckedEvents = qint64(n);
    m_uncheckedUntimed = qint64(u);
}

QByteArray NativeInPlaceSource::cacheKey() const
{
    // The store as it is on disk: its path, size and modification time (and its WAL's, which readers see
    // too).
    const QFileInfo fi(m_path);
    const QFileInfo wal(m_path + QLatin1String("-wal"));
    QByteArray key = fi.absoluteFilePath().toUtf8();
    key += '\n' + QByteArray::number(fi.size()) + '\n' +
           QByteArray::number(fi.lastModified().toMSecsSinceEpoch());
    if (wal.exists())
        key += '\n' + QByteArray::number(wal.size()) + '\n' +
               QByteArray::number(wal.lastModified().toMSecsSinceEpoch());
    return key;
}

bool NativeInPlaceSource::loadCache()
{
    QFile f(m_cacheFile);
    if (!f.exists()) return false;
    auto refuse = [&](const QString& why) {
        m_notes << QStringLiteral("%1: the density cache %2 is ignored (%3); it is rebuilt")
                       .arg(m_path, m_cacheFile, why);
        return false;
    };
    if (!f.open(QIODevice::ReadOnly)) return refuse(f.errorString());
    if (f.size() > 64ll * 1024 * 1024) return refuse(QStringLiteral("too big"));
    const QByteArray all = f.readAll();
    constexpr int kHash = 32;
    if (all.size() < kHash + 8) return refuse(QStringLiteral("damaged: too short"));
    const QByteArray body = all.left(all.size() - kHash);
    if (QCryptographicHash::hash(body, QCryptographicHash::Sha256) != all.right(kHash))
        return refuse(QStringLiteral("damaged: its checksum does not match"));
    QDataStream s(body);
    s.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0, version = 0, n = 0;
    QByteArray key;
    qint32 axis = -1;
    Fine fine;
    qint64 events = -1, untimed = -1;
    QString source;
    s >> magic >> version >> key >> axis >> fine.width >> fine.firstBin >> n;
    if (s.status() != QDataStream::Ok || magic != kCacheMagic || version != kCacheVersion)
        return refuse(QStringLiteral("not a density cache of this version"));
    if (key != cacheKey())
        return false; // another version of the store (or another store at that path): silently rebuilt
    if (axis != int(m_axis) || fine.width < 1 || (fine.width & (fine.width - 1)) != 0 || n > 4 * kMaxFineBins)
        return refuse(QStringLiteral("damaged: bad bins"));
    fine.counts.resize(n);
    qint64 sum = 0;
    for (quint32 i = 0; i < n; ++i) {
        qint64 c = 0;
        s >> c;
        if (c < 0) return refuse(QStringLiteral("damaged: a negative count"));
        fine.counts[i] = c;
        sum += c;
    }
    s >> events >> untimed >> source;
    if (s.status() != QDataStream::Ok || !s.atEnd() || events < 0 || untimed < 0 || sum + untimed != events)
        return refuse(QStringLiteral("damaged: its counts do not add up"));
    m_fine = std::move(fine);
    m_eventCount = events;
    m_untimed = untimed;
    m_fineSource = QStringLiteral("cache");
    return true;
}

void NativeInPlaceSource::saveCache()
{
    if (!m_fine.valid() || m_eventCount < 0) return;
    QByteArray body;
    {
        QDataStream s(&body, QIODevice::WriteOnly);
        s.setVersion(QDataStream::Qt_6_4);
        s << kCacheMagic << kCacheVersion << cacheKey() << qint32(m_axis) << m_fine.width << m_fine.firstBin
          << quint32(m_fine.counts.size());
        for (qint64 c : m_fine.counts)
            s << c;
        s << m_eventCount << std::max<qint64>(0, m_untimed) << m_fineSource;
    }
    QDir().mkpath(QFileInfo(m_cacheFile).absolutePath());
    QSaveFile out(m_cacheFile);
    if (!out.open(QIODevice::WriteOnly))
        return; // a cache that cannot be written only means scanning again next time
    out.write(body);
    out.write(QCryptographicHash::hash(body, QCryptographicHash::Sha256));
    out.commit();
}

bool NativeInPlaceSource::checkSummary(QString* error)
{
    if (!m_unchecked.valid()) return true;
    // Checked and kept by another source on the same store and cache directory (the exact pass's).
    if (loadCache()) {
        m_unchecked = Fine();
        return true;
    }
    qint64 count = 0;
    if (!countEvents(&count, error)) return false; // still unchecked: the next exact density tries again
    Fine f = std::move(m_unchecked);
    m_unchecked = Fine();
    if (count != m_uncheckedEvents) {
        ignoreSummary(QStringLiteral("it counts %1 events, the store holds %2").arg(m_uncheckedEvents).arg(count));
        return true;
    }
    m_fine = std::move(f);
    m_untimed = m_uncheckedUntimed;
    m_fineSource = QStringLiteral("timeline_bins");
    saveCache();
    return true;
}

bool NativeInPlaceSource::scanRange(qint64 lo, qint64 hi, RemoteDensity* d, Fine* fine, QString* error)
{
    if (cancelled(error)) return false;
    // Counting needs no order: the time axis reads the events_time index alone (covering); positions are
    // rowids. Prepared once: an exact density recounts up to one range per requested bin.
    if (!m_scanStmt)
        m_scanStmt = std::make_unique<SqlStatement>(
            m_db->handle(),
            m_axis == RemoteAxis::Time
                ? QByteArrayView("SELECT time FROM events WHERE time >= ?1 AND time <= ?2")
                : QByteArrayView("SELECT position FROM events WHERE position >= ?1 AND position <= ?2"),
            SqlStatement::Prepare::Persistent);
    SqlStatement& q = *m_scanStmt;
    if (!q.ok()) return sqlFail(error, q.rc());
    q.reset();
    q.bindInt(1, lo);
    q.bindInt(2, hi);
    sqlite3_stmt* st = q.handle();
    qint64* counts = d ? d->counts.data() : nullptr;
    const qint64 dFrom = d ? d->from : 0, dTo = d ? d->to : -1, bw = d ? d->binWidth : 1;
    const qint64 nBins = d ? d->counts.size() : 0;
    qint64* fc = fine ? fine->counts.data() : nullptr;
    const qint64 fw = fine ? fine->width : 1, f0 = fine ? fine->firstBin : 0;
    const qint64 fn = fine ? qint64(fine->counts.size()) : 0;
    int rc;
    qint64 rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) continue;
        const qint64 v = sqlite3_column_int64(st, 0);
        if (counts && v >= dFrom && v <= dTo) ++counts[std::min<qint64>((v - dFrom) / bw, nBins - 1)];
        if (fc) {
            const qint64 b = floorDiv(v, fw) - f0;
            if (b >= 0 && b < fn) ++fc[b];
        }
        if ((++rows & 0xffff) == 0 && m_options.cancel.isCancelled()) {
            q.reset();
            return fail(error, QStringLiteral("cancelled"));
        }
    }
    q.reset();
    if (rc != SQLITE_DONE) return sqlFail(error, rc);
    return true;
}

bool NativeInPlaceSource::fullScan(RemoteDensity* d, QString* error)
{
    // One pass over the whole axis fills the requested bins and the fine bins kept for every later call.
    const bool time = m_axis == RemoteAxis::Time;
    const qint64 lo = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 hi = time ? m_summary.lastTime : m_summary.lastPosition;
    Fine fine;
    fine.width = fineWidth(lo, hi);
    fine.firstBin = floorDiv(lo, fine.width);
    fine.counts.assign(size_t(floorDiv(hi, fine.width) - fine.firstBin + 1), 0);
    if (!scanRange(lo, hi, d, &fine, error)) return false;
    qint64 counted = 0;
    for (qint64 c : fine.counts)
        counted += c;
    if (time) {
        if (m_untimed < 0) {
            SqlStatement q(m_db->handle(), "SELECT count(*) FROM events WHERE time IS NULL");
            if (!(q.ok() && q.next())) return sqlFail(error, q.rc());
            m_untimed = q.int64(0);
        }
        m_eventCount = counted + m_untimed;
    } else {
        m_untimed = 0;
        m_eventCount = counted;
    }
    m_fine = std::move(fine);
    m_fineSource = QStringLiteral("scan");
    saveCache();
    return true;
}

void NativeInPlaceSource::fromFine(const Fine& fine, RemoteDensity* d, bool exact,
                                   std::vector<std::pair<qint64, qint64>>* scans) const
{
    // A fine bin inside one requested bin adds its count; one that straddles a requested bin's edge (or the
    // range's ends) is either counted again from the index (exact: its range goes to *scans) or split in
    // proportion to the overlap (estimate).
    const qint64 w = fine.width;
    // No event lies outside the store's exact range: a fine bin is clipped to it (the first and last fine
    // bins then need no recount for a whole-store density).
    const bool time = m_axis == RemoteAxis::Time;
    const bool clip = !time || m_summary.exactTimeRange;
    const qint64 lo = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 hi = time ? m_summary.lastTime : m_summary.lastPosition;
    std::vector<double> acc;
    if (!exact) acc.assign(size_t(d->counts.size()), 0.0);
    bool fullSinceScan = true;
    bool straddles = false;
    for (size_t k = 0; k < fine.counts.size(); ++k) {
        const qint64 c = fine.counts[k];
        if (c == 0) continue;
        qint64 s = (fine.firstBin + qint64(k)) * w;
        qint64 e = s + (w - 1);
        if (clip) {
            s = std::max(s, lo);
            e = std::min(e, hi);
            if (e < s) continue;
        }
        if (e < d->from || s > d->to) continue;
        if (s >= d->from && e <= d->to && binIndex(*d, s) == binIndex(*d, e)) {
            d->counts[binIndex(*d, s)] += c;
            fullSinceScan = true;
            continue;
        }
        straddles = true;
        const qint64 a = std::max(s, d->from), b = std::min(e, d->to);
        if (exact) {
            if (!scans->empty() && !fullSinceScan)
                scans->back().second = b; // only empty fine bins in between: one range
            else
                scans->push_back({a, b});
            fullSinceScan = false;
            continue;
        }
        for (int i = binIndex(*d, a); i <= binIndex(*d, b); ++i) {
            const qint64 bs = d->from + qint64(i) * d->binWidth;
            acc[size_t(i)] += double(c) * double(overlap(a, b, bs, binEnd(*d, i))) / double(e - s + 1);
        }
    }
    if (!exact) {
        for (int i = 0; i < d->counts.size(); ++i)
            d->counts[i] += qint64(std::llround(acc[size_t(i)]));
        d->estimated = straddles;
    }
}

bool NativeInPlaceSource::estimateFromSample(RemoteDensity* d, QString* error)
{
    if (cancelled(error)) return false;
    // A systematic sample of the events: probes of the position (rowid) B-tree at evenly spaced positions,
    // each the first event at or after its position, so a few thousand page reads whatever the store's size
    // (the stream summary, read before, is a pass over millions of rows). Each sampled event stands for
    // events / samples of them. Positions with gaps weigh the event after a gap more: still an estimate.
    const bool time = m_axis == RemoteAxis::Time;
    const qint64 lo = m_summary.firstPosition, hi = m_summary.lastPosition;
    const qint64 span = hi - lo + 1;
    const qint64 events = m_eventCount >= 0 ? m_eventCount : m_summary.estimatedEvents;
    const int n = int(d->counts.size());
    if (span <= 0 || events <= 0 || n == 0) {
        d->estimated = true;
        return true;
    }
    const qint64 k = std::min<qint64>(m_estimateSamples, span);
    SqlStatement q(m_db->handle(),
                   time ? QByteArrayView("SELECT time FROM events WHERE position >= ?1 ORDER BY position LIMIT 1")
                        : QByteArrayView("SELECT position FROM events WHERE position >= ?1 ORDER BY position LIMIT 1"));
    if (!q.ok()) return sqlFail(error, q.rc());
    std::vector<double> hist(size_t(n), 0.0);
    for (qint64 i = 0; i < k; ++i) {
        // The middle of the i-th of k equal slices of [lo, hi] (in double: span * i may not fit 64 bits).
        const qint64 p = lo + std::min<qint64>(span - 1, qint64((double(i) + 0.5) * double(span) / double(k)));
        q.reset();
        q.bindInt(1, p);
        const int rc = q.step();
        if (rc == SQLITE_DONE) continue;
        if (rc != SQLITE_ROW) return sqlFail(error, rc);
        if (q.type(0) != SQLITE_INTEGER) continue; // an event without a time: not on the axis
        const qint64 v = q.int64(0);
        if (v >= d->from && v <= d->to) hist[size_t(binIndex(*d, v))] += 1.0;
        if ((i & 0x3ff) == 0x3ff && m_options.cancel.isCancelled()) return fail(error, QStringLiteral("cancelled"));
    }
    // A few samples a bin would paint noise: a moving average over as many bins as hold about
    // kSamplesPerWindow samples together (it keeps the total).
    constexpr double kSamplesPerWindow = 32;
    const int radius = int(std::clamp<double>(kSamplesPerWindow * n / double(k) / 2.0, 0.0, n / 2.0));
    std::vector<double> prefix(size_t(n) + 1, 0.0);
    for (int i = 0; i < n; ++i)
        prefix[size_t(i) + 1] = prefix[size_t(i)] + hist[size_t(i)];
    const double scale = double(events) / double(k);
    for (int i = 0; i < n; ++i) {
        const int a = std::max(0, i - radius), b = std::min(n - 1, i + radius);
        const double mean = (prefix[size_t(b) + 1] - prefix[size_t(a)]) / double(b - a + 1);
        d->counts[i] = qint64(std::llround(mean * scale));
    }
    d->estimated = true;
    return true;
}

bool NativeInPlaceSource::estimatedDensity(qint64 from, qint64 to, int bins, RemoteDensity* out,
                                           QString* error)
{
    if (!checkRange(from, to, bins, error) || !ensureSummary(error)) return false;
    RemoteDensity d = emptyDensity(m_axis, from, to, bins);
    const bool time = m_axis == RemoteAxis::Time;
    qint64 count = m_eventCount;
    if (!time && count < 0 && !countEvents(&count, error)) return false;
    if (!time && count == m_summary.lastPosition - m_summary.firstPosition + 1) {
        // Dense positions: every bin's count is its overlap with the store's positions.
        for (int i = 0; i < d.counts.size(); ++i)
            d.counts[i] = overlap(from + qint64(i) * d.binWidth, binEnd(d, i), m_summary.firstPosition,
                                  m_summary.lastPosition);
        *out = d;
        return true;
    }
    if (m_fine.valid() || m_unchecked.valid()) {
        fromFine(m_fine.valid() ? m_fine : m_unchecked, &d, false, nullptr);
        if (!m_fine.valid()) d.estimated = true; // the summary is not checked against the store's count yet
        *out = d;
        return true;
    }
    if (!estimateFromSample(&d, error)) return false;
    *out = d;
    return true;
}

bool NativeInPlaceSource::density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error)
{
    if (!checkRange(from, to, bins, error) || !ensureSummary(error) || !checkSummary(error)) return false;
    RemoteDensity d = emptyDensity(m_axis, from, to, bins);
    const bool time = m_axis == RemoteAxis::Time;
    if (m_summary.lastPosition == 0 && m_summary.firstPosition == 0) {
        *out = d; // no events
        return true;
    }
    if (!time) {
        qint64 count = 0;
        if (!countEvents(&count, error)) return false;
        if (count == m_summary.lastPosition - m_summary.firstPosition + 1)
            return estimatedDensity(from, to, bins, out, error); // dense positions: exact by arithmetic
    }
    if (time && m_summary.firstTime == kNoTime) {
        *out = d; // no event has a time
        return true;
    }
    const qint64 lo = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 hi = time ? m_summary.lastTime : m_summary.lastPosition;
    const bool whole = from <= lo && to >= hi;
    if (m_fine.valid()) {
        std::vector<std::pair<qint64, qint64>> scans;
        fromFine(m_fine, &d, true, &scans);
        if (!scans.empty() && time && !m_haveTimeIndex) {
            // Each range would read the whole table: one pass over [from, to] instead.
            if (!allowed(kTimeIndex, error)) return false;
            std::fill(d.counts.begin(), d.counts.end(), 0);
            scans = {{from, to}};
        }
        for (const auto& [a, b] : scans)
            if (!scanRange(a, b, &d, nullptr, error)) return false;
    } else if (whole) {
        if (!fullScan(&d, error)) return false;
    } else {
        if (time && !allowed(kTimeIndex, error)) return false;
        if (!scanRange(from, to, &d, nullptr, error)) return false;
    }
    d.estimated = false;
    *out = d;
    return true;
}

// ---- streams
// -----------------------------------------------------------------------------------------------

bool NativeInPlaceSource::listStreams(const QString& text, const QString& after, int limit,
                                      QList<RemoteStreamCount>* out, QString* error)
{
    if (!m_db) return fail(error, QStringLiteral("not open"));
    if (!allowed(kListingIndex, error)) return false;
    if (cancelled(error)) return false;
    limit = std::clamp(limit, 1, 1000000);
    const bool search = !text.isEmpty();
    // Keyset paging in name order: the streams_listing index (or the name's unique index) from `after` on.
    // A null `after` starts at the first name (the empty name included); an empty one continues after it.
    const QByteArray op = after.isNull() ? ">=" : ">";
    SqlStatement q(m_db->handle(), "SELECT name, events, last_version FROM streams WHERE name " + op +
                                       " ?1 " + (search ? "AND chronoscope_contains(name) " : "") +
                                       "ORDER BY name LIMIT ?2");
    if (!q.ok()) return sqlFail(error, q.rc());
    if (search) {
        bool ascii = true;
        for (QChar c : text)
            ascii = ascii && c.unicode() < 0x80;
        m_needle->ascii = ascii;
        m_needle->asciiLower = ascii ? text.toLatin1().toLower() : QByteArray();
        m_needle->text = ascii ? QString() : text;
    }
    // (An empty name is bound as '' : a null pointer would bind NULL, and name > NULL matches nothing.)
    static const char kEmpty[] = "";
    const QByteArray a = after.toUtf8();
    q.bindText(1, a.isEmpty() ? QByteArrayView(kEmpty, 0) : QByteArrayView(a));
    q.bindInt(2, limit);
    QList<RemoteStreamCount> list;
    while (q.next()) {
        // The empty name comes back empty, not null, so that it can be passed on as `after`.
        QString name = q.text(0);
        if (name.isNull()) name = QStringLiteral("");
        list.append({std::move(name), q.int64(1), q.int64(2)});
    }
    if (!q.done()) return sqlFail(error, q.rc());
    *out = std::move(list);
    return true;
}

bool NativeInPlaceSource::streams(const QString& after, int limit, QList<RemoteStreamCount>* out,
                                  QString* error)
{
    return listStreams(QString(), after, limit, out, error);
}

bool NativeInPlaceSource::searchStreams(const QString& text, const QString& after, int limit,
                                        QList<RemoteStreamCount>* out, QString* error)
{
    return listStreams(text, after, limit, out, error);
}

// ---- events
// ------------------------------------------------------------------------------------------------

QString NativeInPlaceSource::streamName(qint64 id)
{
    const auto it = m_streamNames.constFind(id);
    if (it != m_streamNames.cend()) return *it;
    if (m_streamNames.size() >= kMaxStreamNames)
        m_streamNames.clear(); // bounded: windows and neighbourhoods meet few streams at a time
    SqlStatement q(m_db->handle(), "SELECT name FROM streams WHERE id = ?");
    q.bindInt(1, id);
    const QString name = q.ok() && q.next() ? q.text(0) : QString();
    m_streamNames.insert(id, name);
    return name;
}

std::optional<std::pair<qint64, qint64>> NativeInPlaceSource::streamIdAndCount(const QString& name,
                                                                               QString* error)
{
    SqlStatement q(m_db->handle(), "SELECT id, events FROM streams WHERE name = ?");
    static const char kEmpty[] = "";
    const QByteArray utf8 = name.toUtf8();
    q.bindText(1, utf8.isEmpty() ? QByteArrayView(kEmpty, 0) : QByteArrayView(utf8));
    if (q.ok() && q.next()) return std::pair{q.int64(0), q.int64(1)};
    if (!q.ok() || !q.done()) sqlFail(error, q.rc());
    return std::nullopt;
}

bool NativeInPlaceSource::readEvents(SqlStatement& q, const QString& knownStream, QList<Event>* out,
                                     QString* error)
{
    // Columns: position, stream, version, type, time, id, data, metadata, flags (the native reader's).
    static const QByteArray emptyObject("{}");
    static const QByteArray null("null");
    sqlite3_stmt* st = q.handle();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        bool bad = false;
        for (int c = 0; c < 4; ++c)
            bad = bad || sqlite3_column_type(st, c) != SQLITE_INTEGER;
        if (bad) {
            // A row the native reader would not show either (it reports such rows when the store is read).
            continue;
        }
        Event e;
        e.position = sqlite3_column_int64(st, 0);
        e.stream = knownStream.isEmpty() ? streamName(sqlite3_column_int64(st, 1)) : knownStream;
        e.version = sqlite3_column_int64(st, 2);
        const qint64 type = sqlite3_column_int64(st, 3);
        e.type = type >= 0 && size_t(type) < m_typeNames.size() ? m_typeNames[size_t(type)]
                                                                : m_typeById.value(type);
        e.time = timeAt(st, 4);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL) e.id = q.text(5);
        e.data = sqlite3_column_type(st, 6) == SQLITE_NULL ? null : q.bytes(6);
        e.metadata = sqlite3_column_type(st, 7) == SQLITE_NULL ? emptyObject : q.bytes(7);
        e.dataIsJson = (sqlite3_column_int64(st, 8) & store::kFlagDataNotJson) == 0;
        out->append(std::move(e));
    }
    if (rc != SQLITE_DONE) return sqlFail(error, rc);
    return true;
}

bool NativeInPlaceSource::window(qint64 from, qint64 to, int limit, QList<Event>* out, bool* truncated,
                                 QString* error)
{
    if (!m_db) return fail(error, QStringLiteral("not open"));
    limit = std::max(1, limit);
    const QString key = QStringLiteral("w %1 %2 %3").arg(from).arg(to).arg(limit);
    if (auto hit = m_cache.get(key)) {
        *out = *hit;
        if (truncated) *truncated = m_truncated.contains(key);
        return true;
    }
    const bool time = m_axis == RemoteAxis::Time;
    if (time && !allowed(kTimeIndex, error)) return false;
    // A window over the whole store (or between small position bounds) walks the rows in position order and
    // stops at the limit: the time index would read every event of the range and sort them first (seconds
    // at 10M events, and the lanes wait behind it on the one worker).
    if (!ensureSummary(error)) return false;
    const bool whole = time && m_summary.exactTimeRange && from <= m_summary.firstTime && to >= m_summary.lastTime;
    const bool bounded = time && m_lastBounds && m_lastBounds->from == from && m_lastBounds->to == to &&
                         m_lastBounds->hi - m_lastBounds->lo < kScanMaxRows;
    const qint64 lo = bounded ? m_lastBounds->lo : m_summary.firstPosition;
    const qint64 hi = bounded ? m_lastBounds->hi : m_summary.lastPosition;
    SqlStatement q(
        m_db->handle(),
        whole || bounded
            ? QByteArrayView("SELECT position, stream, version, type, time, id, data, metadata, flags FROM events "
                             "WHERE position >= ?4 AND position <= ?5 AND +time >= ?1 AND +time <= ?2 ORDER BY "
                             "position LIMIT ?3")
        : time ? QByteArrayView("SELECT position, stream, version, type, time, id, data, metadata, flags FROM "
                                "events WHERE time >= ?1 AND time <= ?2 ORDER BY position LIMIT ?3")
               : QByteArrayView("SELECT position, stream, version, type, time, id, data, metadata, flags FROM "
                                "events WHERE position >= ?1 AND position <= ?2 ORDER BY position LIMIT ?3"));
    if (!q.ok()) return sqlFail(error, q.rc());
    q.bindInt(1, from);
    q.bindInt(2, to);
    q.bindInt(3, qint64(limit) + 1);
    if (whole || bounded) {
        q.bindInt(4, lo);
        q.bindInt(5, hi);
    }
    QList<Event> events;
    if (!readEvents(q, QString(), &events, error)) return false;
    const bool more = events.size() > limit;
    if (more) {
        events.resize(limit);
        m_truncated.insert(key);
    }
    if (truncated) *truncated = more;
    *out = *m_cache.put(key, std::move(events));
    return true;
}

bool NativeInPlaceSource::around(qint64 position, int before, int after, QList<Event>* out, QString* error)
{
    if (!m_db) return fail(error, QStringLiteral("not open"));
    before = std::max(0, before);
    after = std::max(0, after);
    const QString key = QStringLiteral("a %1 %2 %3").arg(position).arg(before).arg(after);
    if (auto hit = m_cache.get(key)) {
        *out = *hit;
        return true;
    }
    // Two keyset reads on the rowid, the older half reversed.
    QList<Event> older, newer;
    {
        SqlStatement q(m_db->handle(),
                       "SELECT position, stream, version, type, time, id, data, metadata, flags FROM "
                       "events WHERE position <= ?1 ORDER BY position DESC LIMIT ?2");
        if (!q.ok()) return sqlFail(error, q.rc());
        q.bindInt(1, position);
        q.bindInt(2, before);
        if (!readEvents(q, QString(), &older, error)) return false;
    }
    {
        SqlStatement q(m_db->handle(),
                       "SELECT position, stream, version, type, time, id, data, metadata, flags FROM "
                       "events WHERE position > ?1 ORDER BY position LIMIT ?2");
        if (!q.ok()) return sqlFail(error, q.rc());
        q.bindInt(1, position);
        q.bindInt(2, after);
        if (!readEvents(q, QString(), &newer, error)) return false;
    }
    std::reverse(older.begin(), older.end());
    older += newer;
    *out = *m_cache.put(key, std::move(older));
    return true;
}

std::optional<qint64> NativeInPlaceSource::streamCall(const QString& stream, int* limit, bool* ok,
                                                      QString* error)
{
    *ok = false;
    if (!m_db) {
        fail(error, QStringLiteral("not open"));
        return std::nullopt;
    }
    *limit = std::max(1, *limit);
    if (!allowed(kStreamIndex, error)) return std::nullopt;
    QString why;
    const auto id = streamIdAndCount(stream, &why);
    if (!id && !why.isEmpty()) {
        if (error) *error = why; // sqlFail named the store already
        return std::nullopt;
    }
    *ok = true;
    if (!id) return std::nullopt;
    return id->first;
}

bool NativeInPlaceSource::laneTicks(const QString& stream, qint64 from, qint64 to, int limit,
                                    QList<RemoteTick>* out, bool* truncated, QString* error)
{
    if (truncated) *truncated = false;
    out->clear();
    QList<RemoteLaneTicks> lanes;
    if (!lanesTicks({stream}, from, to, limit, &lanes, error)) return false;
    *out = std::move(lanes.first().ticks);
    if (truncated) *truncated = lanes.first().truncated;
    return true;
}

QString NativeInPlaceSource::typeName(qint64 type) const
{
    return type >= 0 && size_t(type) < m_typeNames.size() ? m_typeNames[size_t(type)] : m_typeById.value(type);
}

bool NativeInPlaceSource::positionBounds(qint64 from, qint64 to, qint64* lo, qint64* hi, QString* error)
{
    if (!ensureSummary(error)) return false;
    *lo = m_summary.firstPosition;
    *hi = m_summary.lastPosition;
    if (m_axis == RemoteAxis::Position) {
        *lo = std::max(*lo, from);
        *hi = std::min(*hi, to);
        return true;
    }
    // The whole store, or no index to ask: the store's ends (the bounds only narrow what is read).
    const bool whole = m_summary.exactTimeRange && from <= m_summary.firstTime && to >= m_summary.lastTime;
    if (whole || !m_haveTimeIndex) return true;
    if (m_lastBounds && m_lastBounds->from == from && m_lastBounds->to == to) {
        *lo = m_lastBounds->lo;
        *hi = m_lastBounds->hi;
        return true;
    }
    // The index holds the position (the rowid) beside the time: no table row is read.
    SqlStatement q(m_db->handle(), "SELECT min(position), max(position) FROM events WHERE time >= ?1 AND time <= ?2");
    if (!q.ok()) return sqlFail(error, q.rc());
    q.bindInt(1, from);
    q.bindInt(2, to);
    const int rc = q.step();
    if (rc != SQLITE_ROW) return sqlFail(error, rc);
    if (q.isNull(0)) {
        *lo = 1;
        *hi = 0;
    } else {
        *lo = q.int64(0);
        *hi = q.int64(1);
    }
    m_lastBounds = Bounds{from, to, *lo, *hi};
    return true;
}

bool NativeInPlaceSource::lanesTicks(const QStringList& streams, qint64 from, qint64 to, int limit,
                                     QList<RemoteLaneTicks>* out, QString* error)
{
    out->clear();
    if (!m_db) return fail(error, QStringLiteral("not open"));
    limit = std::max(1, limit);
    if (!allowed(kStreamIndex, error)) return false;
    // Each lane's stream id and size (a missing stream: an empty lane).
    struct Lane
    {
        qint64 id = -1;
        qint64 events = 0;
        qint64 seen = 0; ///< ticks in the window met so far (more than `limit`: truncated)
        std::vector<RemoteTick> ticks;
    };
    std::vector<Lane> lanes(size_t(streams.size()));
    for (qsizetype i = 0; i < streams.size(); ++i) {
        QString why;
        const auto id = streamIdAndCount(streams[i], &why);
        if (!why.isEmpty()) {
            if (error) *error = why;
            return false;
        }
        if (id) {
            lanes[size_t(i)].id = id->first;
            lanes[size_t(i)].events = id->second;
        }
    }
    const bool time = m_axis == RemoteAxis::Time;
    const qint64 keep = qint64(limit) + 1;
    // What the lanes would read one by one (their rows in the window, at most limit + 1 each), and at most
    // without bounds (every row of their streams).
    qint64 laneRows = 0, streamRows = 0;
    for (const Lane& l : lanes) {
        if (l.id < 0) continue;
        laneRows += std::min(keep, l.events);
        streamRows += l.events;
    }
    // The bounds cost an index entry per event of the window (the window's share of the store, supposing
    // events spread evenly); short lanes cost less read whole. An index entry is a fraction of a row read.
    if (!ensureSummary(error)) return false;
    const qint64 first = time ? m_summary.firstTime : m_summary.firstPosition;
    const qint64 last = time ? m_summary.lastTime : m_summary.lastPosition;
    const double share = last > first ? double(std::min(to, last) - std::max(from, first) + 1) / double(last - first + 1)
                                      : 1.0;
    const double windowEvents = std::max(0.0, share) * double(std::max<qint64>(0, m_summary.estimatedEvents));
    qint64 lo = m_summary.firstPosition, hi = m_summary.lastPosition;
    if (!time || m_laneStrategy != LaneStrategy::Auto || double(streamRows) * kIndexEntriesPerRow > windowEvents) {
        if (!positionBounds(from, to, &lo, &hi, error)) return false;
    }
    const qint64 span = hi >= lo ? hi - lo + 1 : 0;
    bool scan = m_laneStrategy == LaneStrategy::Scan;
    if (m_laneStrategy == LaneStrategy::Auto)
        scan = span <= kScanMaxRows && span <= kScanFactor * laneRows;
    m_lastLaneStrategy = scan ? LaneStrategy::Scan : LaneStrategy::PerLane;
    auto tickOf = [&](sqlite3_stmt* st, int pos, int tm, int ver, int type) {
        RemoteTick t;
        t.position = sqlite3_column_int64(st, pos);
        t.time = timeAt(st, tm);
        t.version = sqlite3_column_int64(st, ver);
        t.type = typeName(sqlite3_column_int64(st, type));
        return t;
    };
    auto byVersion = [](const RemoteTick& a, const RemoteTick& b) { return a.version < b.version; };
    if (span > 0 && laneRows > 0 && scan) {
        // One pass over the rows between the bounds in position order (sequential pages), each row of a lane
        // asked for kept. A lane keeps its limit + 1 lowest versions (trimmed when it holds twice that), so
        // memory stays bounded by the lanes whatever the window holds.
        QHash<qint64, std::vector<size_t>> wanted;
        for (size_t i = 0; i < lanes.size(); ++i)
            if (lanes[i].id >= 0) wanted[lanes[i].id].push_back(i);
        SqlStatement q(m_db->handle(),
                       time ? QByteArrayView("SELECT position, time, version, type, stream FROM events WHERE "
                                             "position >= ?1 AND position <= ?2 AND +time >= ?3 AND +time <= ?4")
                            : QByteArrayView("SELECT position, time, version, type, stream FROM events WHERE "
                                             "position >= ?1 AND position <= ?2"));
        if (!q.ok()) return sqlFail(error, q.rc());
        q.bindInt(1, lo);
        q.bindInt(2, hi);
        if (time) {
            q.bindInt(3, from);
            q.bindInt(4, to);
        }
        sqlite3_stmt* st = q.handle();
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const auto it = wanted.constFind(sqlite3_column_int64(st, 4));
            if (it == wanted.constEnd()) continue;
            const RemoteTick t = tickOf(st, 0, 1, 2, 3);
            for (size_t i : it.value()) {
                Lane& l = lanes[i];
                ++l.seen;
                l.ticks.push_back(t);
                if (qint64(l.ticks.size()) >= 2 * keep) {
                    std::nth_element(l.ticks.begin(), l.ticks.begin() + keep, l.ticks.end(), byVersion);
                    l.ticks.resize(size_t(keep));
                }
            }
        }
        if (rc != SQLITE_DONE) return sqlFail(error, rc);
        for (Lane& l : lanes)
            std::sort(l.ticks.begin(), l.ticks.end(), byVersion);
    } else if (span > 0 && laneRows > 0) {
        // Lane by lane on the (stream, version) index in version order; a row outside the bounds is skipped on
        // the index entry (it holds the position), so only the window's rows are read from the table. Only the
        // tick's columns are read (never id, data or metadata).
        SqlStatement q(m_db->handle(),
                       time ? QByteArrayView("SELECT position, time, version, type FROM events WHERE stream = ?1 "
                                             "AND +position >= ?5 AND +position <= ?6 AND time >= ?2 AND time "
                                             "<= ?3 ORDER BY version LIMIT ?4")
                            : QByteArrayView("SELECT position, time, version, type FROM events WHERE stream = ?1 "
                                             "AND +position >= ?5 AND +position <= ?6 AND ?2 <= ?3 ORDER BY "
                                             "version LIMIT ?4"));
        if (!q.ok()) return sqlFail(error, q.rc());
        for (Lane& l : lanes) {
            if (l.id < 0) continue;
            if (cancelled(error)) return false;
            q.reset();
            q.bindInt(1, l.id);
            q.bindInt(2, from);
            q.bindInt(3, to);
            q.bindInt(4, keep);
            q.bindInt(5, lo);
            q.bindInt(6, hi);
            sqlite3_stmt* st = q.handle();
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                ++l.seen;
                l.ticks.push_back(tickOf(st, 0, 1, 2, 3));
            }
            if (rc != SQLITE_DONE) return sqlFail(error, rc);
        }
    }
    for (qsizetype i = 0; i < streams.size(); ++i) {
        Lane& l = lanes[size_t(i)];
        RemoteLaneTicks r;
        r.stream = streams[i];
        r.truncated = l.seen > limit;
        if (qint64(l.ticks.size()) > limit) l.ticks.resize(size_t(limit));
        r.ticks = QList<RemoteTick>(l.ticks.begin(), l.ticks.end());
        out->append(std::move(r));
    }
    return true;
}

bool NativeInPlaceSource::streamEvents(const QString& stream, qint64 maxPosition, int limit,
                                       QList<Event>* out, bool* truncated, QString* error)
{
    if (truncated) *truncated = false;
    out->clear();
    bool ok = false;
    const auto id = streamCall(stream, &limit, &ok, error);
    if (!id) return ok; // no such stream: no events
    // The newest `limit` at or before the cursor, walking the (stream, version) index backwards.
    SqlStatement q(m_db->handle(),
                   "SELECT position, stream, version, type, time, id, data, metadata, flags FROM events "
                   "WHERE stream = ?1 AND position <= ?2 ORDER BY version DESC LIMIT ?3");
    if (!q.ok()) return sqlFail(error, q.rc());
    q.bindInt(1, *id);
    q.bindInt(2, maxPosition);
    q.bindInt(3, qint64(limit) + 1);
    QList<Event> events;
    if (!readEvents(q, stream, &events, error)) return false;
    if (events.size() > limit) {
        events.resize(limit);
        if (truncated) *truncated = true;
    }
    std::reverse(events.begin(), events.end());
    *out = std::move(events);
    return true;
}

bool NativeInPlaceSource::stateAt(const QString& stream, qint64 maxPosition, int limit, StreamStateAt* out,
                                  QString* error)
{
    *out = StreamStateAt();
    bool ok = false;
    const auto id = streamCall(stream, &limit, &ok, error);
    if (!id) return ok; // no such stream: no events, no state
    // A store written before checkpoint states kept numbers as written holds "merge" states with other
    // number texts: those are not used (as SqliteStoreReader::checkpointBefore), the fold starts at the first
    // event.
    if (!m_mergeCheckpoints) {
        SqlStatement meta(m_db->handle(), "SELECT value FROM meta WHERE key = 'checkpoint_numbers'");
        m_mergeCheckpoints = meta.ok() && meta.next() && meta.text(0) == QLatin1String("as-written");
    }
    if (*m_mergeCheckpoints) {
        // A checkpoint's position is the largest among the events folded into it, so one with position <=
        // the cursor holds only events at or before it. The two newest such: when the cursor is exactly at
        // the newest one's event, the older one is the start, so the last event and what it changed are
        // shown.
        struct Candidate
        {
            qint64 version = 0, position = 0;
            QByteArray state;
        };
        QList<Candidate> candidates;
        {
            SqlStatement cp(m_db->handle(),
                            "SELECT version, position, state FROM checkpoints WHERE projection = 'merge' AND "
                            "stream = ?1 AND position <= ?2 ORDER BY version DESC LIMIT 2");
            if (!cp.ok()) return sqlFail(error, cp.rc());
            cp.bindInt(1, *id);
            cp.bindInt(2, maxPosition);
            while (cp.next()) {
                sqlite3_stmt* st = cp.handle();
                Candidate c;
                c.version = sqlite3_column_int64(st, 0);
                c.position = sqlite3_column_int64(st, 1);
                const bool typed = sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
                                   sqlite3_column_type(st, 1) == SQLITE_INTEGER;
                c.state = cp.bytes(2);
                if (!typed) c.state.clear(); // not a checkpoint this build wrote: treated as damaged
                candidates << c;
            }
        }
        for (const Candidate& c : candidates) {
            // Parsed strictly, numbers kept as written; a damaged state is not used (unlike event data, which
            // is kept as a string), and neither is an older one: the fold starts from the first event.
            const auto start = c.state.isEmpty() ? std::nullopt : parseJsonStrict(c.state);
            if (!start) {
                out->note =
                    QStringLiteral("the stored checkpoint of %1 at version %2 is damaged: folded from the "
                                   "stream's first event")
                        .arg(stream)
                        .arg(c.version);
                break;
            }
            // The events after it in version order up to the first one past the cursor, as the replay engine
            // folds "at position P". The end is found on the (stream, version) index alone (it holds the
            // position, the rowid), so only the rows folded are read from the table: a position filter in one
            // query would read every later row of a long stream, a LIMIT would read rows past the cursor.
            qint64 end = -1; // the first version past the cursor; -1: none (up to the stream's end)
            qint64 count = 0;
            {
                SqlStatement k(m_db->handle(), "SELECT version, position FROM events "
                                               "WHERE stream = ?1 AND version > ?2 ORDER BY version");
                if (!k.ok()) return sqlFail(error, k.rc());
                k.bindInt(1, *id);
                k.bindInt(2, c.version);
                sqlite3_stmt* st = k.handle();
                int rc;
                while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                    if (sqlite3_column_int64(st, 1) > maxPosition) {
                        end = sqlite3_column_int64(st, 0);
                        break;
                    }
                    if (++count > limit) break;
                }
                if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlFail(error, rc);
            }
            if (count > limit) break; // more than asked after it: as streamEvents, the newest `limit`
            QList<Event> events;
            if (count > 0) {
                SqlStatement q(
                    m_db->handle(),
                    "SELECT position, stream, version, type, time, id, data, metadata, flags FROM events "
                    "WHERE stream = ?1 AND version > ?2 AND version < ?3 ORDER BY version");
                if (!q.ok()) return sqlFail(error, q.rc());
                q.bindInt(1, *id);
                q.bindInt(2, c.version);
                q.bindInt(3, end < 0 ? std::numeric_limits<qint64>::max() : end);
                if (!readEvents(q, stream, &events, error)) return false;
            }
            if (events.isEmpty()) {
                if (&c != &candidates.last())
                    continue; // the cursor is at this checkpoint: start at the older
                break;        // at the first checkpoint: from the stream's first event
            }
            out->fromCheckpoint = true;
            out->checkpointVersion = c.version;
            out->checkpointPosition = c.position;
            out->start = *start;
            out->events = std::move(events);
            return true;
        }
    }
    const QString note = out->note;
    if (!streamEvents(stream, maxPosition, limit, &out->events, &out->truncated, error)) return false;
    out->note = note;
    return true;
}

// ---- The category tree (issue 13 item 3)
// ------------------------------------------------------------------------------------------------------
// A category (Event::categoryOf) is the name before its first '-', or the whole name when it has none or
// starts with one. So the names of a category K that does not start with '-' (and is not empty) are K itself
// and the byte range [K-, K.) ('.' is '-' + 1; streams.name has the BINARY collation, memcmp order): ranges on
// the name index, never LIKE or GLOB, whose '%', '_', '*' and '?' would be read as patterns. Any other
// category holds exactly one name, itself. Names between K and K- (K followed by a byte below '-': "K!x",
// "K%y") are other categories, so the walk below does not jump from K straight to K.

namespace {

bool rangeCategory(const QString& category)
{
    return !category.isEmpty() && !category.startsWith(u'-');
}

/// Binds UTF-8 text that may be empty (an empty QByteArrayView with a null pointer would bind NULL).
void bindName(SqlStatement& q, int index, const QByteArray& utf8)
{
    static const char kEmpty[] = "";
    q.bindText(index, utf8.isEmpty() ? QByteArrayView(kEmpty, 0) : QByteArrayView(utf8));
}

} // namespace

bool NativeInPlaceSource::categories(const QString& after, int limit, QList<RemoteCategory>* out,
                                     QString* error)
{
    out->clear();
    if (!m_db) return fail(error, QStringLiteral("not open"));
    if (!allowed(kListingIndex, error)) return false;
    if (cancelled(error)) return false;
    limit = std::clamp(limit, 1, 100000);
    sqlite3* db = m_db->handle();
    // Each step is one seek on the name's index (streams_listing, or the UNIQUE index of name).
    SqlStatement ge(db, "SELECT name FROM streams WHERE name >= ?1 ORDER BY name LIMIT 1");
    SqlStatement gt(db, "SELECT name FROM streams WHERE name > ?1 ORDER BY name LIMIT 1");
    SqlStatement eq(db, "SELECT 1 FROM streams WHERE name = ?1");
    if (!ge.ok() || !gt.ok() || !eq.ok()) return sqlFail(error, !ge.ok() ? ge.rc() : !gt.ok() ? gt.rc() : eq.rc());
    auto exists = [&](const QByteArray& name, bool* found) {
        eq.reset();
        bindName(eq, 1, name);
        *found = eq.next();
        return eq.ok() && (*found || eq.done());
    };
    // The walk's position: the next name >= (inclusive) or > the cursor.
    QByteArray cursor;
    bool inclusive = true;
    if (!after.isNull()) {
        const QByteArray k = after.toUtf8();
        bool found = false;
        if (!exists(k, &found)) return sqlFail(error, eq.rc());
        if (!rangeCategory(after) || found) {
            cursor = k; // past its first name (itself); its [K-, K.) range is skipped when met
            inclusive = false;
        } else {
            cursor = k + '.'; // all its names are in [K-, K.)
        }
    }
    QList<RemoteCategory> list;
    while (list.size() < limit) {
        if (cancelled(error)) return false;
        SqlStatement& q = inclusive ? ge : gt;
        q.reset();
        bindName(q, 1, cursor);
        if (!q.next()) {
            if (!q.done()) return sqlFail(error, q.rc());
            break; // past the last name
        }
        const QByteArray name = q.bytes(0);
        QString category = Event::categoryOf(QString::fromUtf8(name));
        if (category.isNull()) category = QStringLiteral(""); // the empty name's: not a null (a null `after` restarts)
        const QByteArray k = category.toUtf8();
        if (name == k) {
            // The category's first name (any other name of it is K-…, which sorts after K).
            list.append({category, -1, -1});
            cursor = name;
            inclusive = false;
            continue;
        }
        // A name in [K-, K.): the category's first name unless K itself exists (then K was met, and listed,
        // before: it sorts first). Either way its whole range is done.
        bool found = false;
        if (!exists(k, &found)) return sqlFail(error, eq.rc());
        if (!found) list.append({category, -1, -1});
        cursor = k + '.';
        inclusive = true;
    }
    *out = std::move(list);
    return true;
}

bool NativeInPlaceSource::categoryStreams(const QString& category, const QString& after, int limit,
                                          QList<RemoteStreamCount>* out, QString* error)
{
    out->clear();
    if (!m_db) return fail(error, QStringLiteral("not open"));
    if (!allowed(kListingIndex, error)) return false;
    if (cancelled(error)) return false;
    limit = std::clamp(limit, 1, 1000000);
    sqlite3* db = m_db->handle();
    const QByteArray k = category.toUtf8();
    QList<RemoteStreamCount> list;
    // The category's own name first (it sorts before K-…), when the page starts at the beginning.
    if (after.isNull()) {
        SqlStatement q(db, "SELECT name, events, last_version FROM streams WHERE name = ?1");
        if (!q.ok()) return sqlFail(error, q.rc());
        bindName(q, 1, k);
        if (q.next()) {
            QString name = q.text(0);
            if (name.isNull()) name = QStringLiteral("");
            list.append({std::move(name), q.int64(1), q.int64(2)});
        } else if (!q.done()) {
            return sqlFail(error, q.rc());
        }
    }
    if (rangeCategory(category) && list.size() < limit) {
        // Keyset on the range [K-, K.): the lower bound is the larger of K- and `after`, so a deep page seeks
        // straight to its place.
        const QByteArray lo = k + '-', hi = k + '.';
        const QByteArray a = after.toUtf8();
        const bool fromAfter = !after.isNull() && a >= lo;
        SqlStatement q(db, fromAfter ? QByteArrayView("SELECT name, events, last_version FROM streams WHERE name > ?1 "
                                                      "AND name < ?2 ORDER BY name LIMIT ?3")
                                     : QByteArrayView("SELECT name, events, last_version FROM streams WHERE name >= ?1 "
                                                      "AND name < ?2 ORDER BY name LIMIT ?3"));
        if (!q.ok()) return sqlFail(error, q.rc());
        bindName(q, 1, fromAfter ? a : lo);
        bindName(q, 2, hi);
        q.bindInt(3, limit - list.size());
        while (q.next())
            list.append({q.text(0), q.int64(1), q.int64(2)});
        if (!q.done()) return sqlFail(error, q.rc());
    }
    *out = std::move(list);
    return true;
}

bool NativeInPlaceSource::categoryCounts(const QString& category, RemoteCategory* out, QString* error)
{
    *out = RemoteCategory{category, 0, 0};
    if (!m_db) return fail(error, QStringLiteral("not open"));
    if (!allowed(kListingIndex, error)) return false;
    if (cancelled(error)) return false;
    sqlite3* db = m_db->handle();
    const QByteArray k = category.toUtf8();
    {
        SqlStatement q(db, "SELECT events FROM streams WHERE name = ?1");
        if (!q.ok()) return sqlFail(error, q.rc());
        bindName(q, 1, k);
        if (q.next()) {
            out->streams = 1;
            out->events = q.int64(0);
        } else if (!q.done()) {
            return sqlFail(error, q.rc());
        }
    }
    if (rangeCategory(category)) {
        // A range of the covering index (name, id, events, ...): no table row is read. SQLite's progress
        // handler stops it when the token is cancelled (a category of 5M streams takes about half a second).
        const QByteArray lo = k + '-', hi = k + '.';
        SqlStatement q(db, "SELECT count(*), sum(events) FROM streams WHERE name >= ?1 AND name < ?2");
        if (!q.ok()) return sqlFail(error, q.rc());
        bindName(q, 1, lo);
        bindName(q, 2, hi);
        if (!q.next()) return sqlFail(error, q.rc());
        out->streams += q.int64(0);
        out->events += q.int64(1);
    }
    return true;
}

} // namespace chronoscope
