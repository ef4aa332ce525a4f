#include "story/correlationindex.h"

#include "util/cacheroot.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <cstring>

namespace chronoscope::story {

namespace {

constexpr char kMagic[8] = {'C', 'H', 'R', 'C', 'I', 'D', 'X', '2'}; // 2: word-wise hash
constexpr quint32 kByteOrder = 0x01020304;
constexpr int kHeaderSize = 64; // magic, byte order, entry size, identity (32), count, reserved

struct Header
{
    char magic[8];
    quint32 byteOrder;
    quint32 entrySize;
    char identity[32];
    quint64 count;
    quint64 reserved;
};
static_assert(sizeof(Header) == kHeaderSize);
static_assert(sizeof(CorrelationIndex::Entry) == 16);

/// What the store was when the index was built: its file (and a WAL beside it, where a live writer
/// appends), its event count and last position. Empty for stores that are not local files.
QByteArray storeIdentity(EventReader& reader, QString* canonical)
{
    const StoreInfo info = reader.info();
    const QFileInfo file(info.location);
    if (info.location.isEmpty() || !file.isFile()) return {};
    *canonical = file.canonicalFilePath();
    QByteArray key = canonical->toUtf8() + '|' + QByteArray::number(file.size()) + '|' +
                     QByteArray::number(file.lastModified().toMSecsSinceEpoch()) + '|' +
                     QByteArray::number(info.events) + '|' + QByteArray::number(info.lastPosition) + '|' +
                     info.layout.toUtf8();
    const QFileInfo wal(info.location + QStringLiteral("-wal"));
    if (wal.isFile())
        key += '|' + QByteArray::number(wal.size()) + '|' +
               QByteArray::number(wal.lastModified().toMSecsSinceEpoch());
    return QCryptographicHash::hash(key, QCryptographicHash::Sha256);
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

quint64 CorrelationIndex::hashId(QByteArrayView id)
{
    // Eight bytes at a time, each word mixed in (splitmix64's finaliser): ids are mostly 36-byte UUIDs and a
    // million are hashed when the index is built.
    auto mix = [](quint64 z) {
        z ^= z >> 30;
        z *= 0xbf58476d1ce4e5b9ULL;
        z ^= z >> 27;
        z *= 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    quint64 h = 0x9e3779b97f4a7c15ULL ^ quint64(id.size());
    qsizetype i = 0;
    for (; i + 8 <= id.size(); i += 8) {
        quint64 w;
        std::memcpy(&w, id.data() + i, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    quint64 tail = 0;
    std::memcpy(&tail, id.data() + i, size_t(id.size() - i));
    return mix(h ^ tail ^ (quint64(id.size() - i) << 56));
}

QByteArray CorrelationIndex::candidateId(QByteArrayView m)
{
    QByteArray slowId;
    return candidateView(m, &slowId).toByteArray();
}

QByteArrayView CorrelationIndex::candidateView(QByteArrayView m, QByteArray* slowId)
{
    if (m.size() < 3) return {};
    // Compact metadata without escapes (the usual case): the key can only appear literally, so finding it
    // once is finding it. Anything else (escapes, the key twice, a number) goes through the JSON parser,
    // exactly as Event::correlationId() does.
    auto slow = [&] {
        Event e;
        e.metadata = m.toByteArray();
        *slowId = e.correlationId().toUtf8();
        return QByteArrayView(*slowId);
    };
    if (m.contains('\\')) return slow();
    // Every quote may open a key: `"correlation…"` or `"$correlation…"` (memchr is cheaper than a substring
    // search on ~100 bytes of metadata).
    static const char needle[] = "correlation";
    const qsizetype n = qsizetype(sizeof needle - 1);
    const char* d = m.data();
    qsizetype hits = 0;
    qsizetype valueAt = -1;
    for (qsizetype q = 0; q < m.size();) {
        const void* quote = std::memchr(d + q, '"', size_t(m.size() - q));
        if (!quote) break;
        qsizetype i = static_cast<const char*>(quote) - d + 1;
        q = i;
        if (i < m.size() && d[i] == '$') ++i;
        if (i + n > m.size() || std::memcmp(d + i, needle, size_t(n)) != 0) continue;
        const qsizetype at = i + n;
        qsizetype end = -1;
        for (const char* tail : {"Id\"", "_id\"", "ID\""}) {
            const qsizetype len = qsizetype(std::strlen(tail));
            if (at + len <= m.size() && std::memcmp(d + at, tail, size_t(len)) == 0) {
                end = at + len;
                break;
            }
        }
        if (end < 0) continue;
        qsizetype k = end;
        while (k < m.size() && isSpace(d[k]))
            ++k;
        if (k >= m.size() || d[k] != ':') continue; // the text as a value, not a key
        ++k;
        while (k < m.size() && isSpace(d[k]))
            ++k;
        ++hits;
        valueAt = k;
        q = k;
    }
    if (hits == 0) return {};
    if (hits > 1 || valueAt >= m.size() || m[valueAt] != '"') return slow();
    const qsizetype close = m.indexOf('"', valueAt + 1);
    if (close < 0) return slow();
    return m.sliced(valueAt + 1, close - valueAt - 1);
}

bool CorrelationIndex::open(EventReader& reader, const QString& cacheDir, QString* error)
{
    QString canonical;
    m_identity = storeIdentity(reader, &canonical);
    m_path.clear();
    if (!m_identity.isEmpty()) {
        const QByteArray name =
            QCryptographicHash::hash(canonical.toUtf8(), QCryptographicHash::Sha256).toHex().left(32);
        m_path = cacheRoot(cacheDir) + QStringLiteral("/story/correlations-") + QString::fromLatin1(name) +
                 QStringLiteral(".idx");
        if (load()) {
            m_source = Source::Loaded;
            return true;
        }
    }
    const bool existed = !m_path.isEmpty() && QFile::exists(m_path);
    if (!build(reader, error)) return false;
    m_source = existed ? Source::Rebuilt : Source::Built;
    save();
    return true;
}

bool CorrelationIndex::rebuild(EventReader& reader, QString* error)
{
    QString canonical;
    m_identity = storeIdentity(reader, &canonical);
    if (!build(reader, error)) return false;
    m_source = Source::Rebuilt;
    save();
    return true;
}

bool CorrelationIndex::build(EventReader& reader, QString* error)
{
    m_entries.clear();
    const qint64 expected = reader.info().events;
    if (expected > 0 && expected < (qint64(1) << 28)) m_entries.reserve(size_t(expected));
    const bool ok = reader.scanMetadata(
        [this](qint64 position, QByteArrayView metadata) {
            QByteArray slowId;
            const QByteArrayView id = candidateView(metadata, &slowId);
            if (!id.isEmpty()) m_entries.push_back({hashId(id), position});
            return true;
        },
        error);
    if (!ok) {
        m_entries.clear();
        return false;
    }
    // The scan delivers positions in order, so a stable sort by hash gives (hash, position) order: a radix
    // sort on 16-bit digits (four passes) instead of std::sort's comparisons (about 3x faster for 1M entries).
    const auto before = [](const Entry& a, const Entry& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.position < b.position;
    };
    std::vector<Entry> other(m_entries.size());
    std::vector<size_t> start(size_t(1) << 16);
    for (int shift = 0; shift < 64; shift += 16) {
        std::fill(start.begin(), start.end(), 0);
        for (const Entry& e : m_entries)
            ++start[size_t(e.hash >> shift) & 0xffff];
        size_t sum = 0;
        for (size_t& n : start) {
            const size_t count = n;
            n = sum;
            sum += count;
        }
        for (const Entry& e : m_entries)
            other[start[size_t(e.hash >> shift) & 0xffff]++] = e;
        m_entries.swap(other);
    }
    if (!std::is_sorted(m_entries.begin(), m_entries.end(), before)) // a reader that scanned out of order
        std::sort(m_entries.begin(), m_entries.end(), before);
    return true;
}

bool CorrelationIndex::load()
{
    QFile f(m_path);
    if (!f.open(QIODevice::ReadOnly)) return false;
    Header h;
    if (f.read(reinterpret_cast<char*>(&h), kHeaderSize) != kHeaderSize) return false;
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.byteOrder != kByteOrder ||
        h.entrySize != sizeof(Entry) || QByteArrayView(h.identity, 32) != QByteArrayView(m_identity))
        return false; // another format, or the store changed since: rebuild
    if (h.count > quint64(f.size() - kHeaderSize) / sizeof(Entry) ||
        quint64(f.size()) != kHeaderSize + h.count * sizeof(Entry))
        return false; // truncated or padded: not what we wrote
    std::vector<Entry> entries(size_t(h.count));
    const qint64 bytes = qint64(h.count * sizeof(Entry));
    if (bytes > 0 && f.read(reinterpret_cast<char*>(entries.data()), bytes) != bytes) return false;
    for (size_t i = 1; i < entries.size(); ++i) // binary search needs the order: a damaged file is rebuilt
        if (entries[i - 1].hash > entries[i].hash ||
            (entries[i - 1].hash == entries[i].hash && entries[i - 1].position >= entries[i].position))
            return false;
    m_entries = std::move(entries);
    return true;
}

void CorrelationIndex::save()
{
    if (m_path.isEmpty() || m_identity.size() != 32) return;
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    QSaveFile out(m_path);
    if (!out.open(QIODevice::WriteOnly)) return;
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.byteOrder = kByteOrder;
    h.entrySize = sizeof(Entry);
    std::memcpy(h.identity, m_identity.constData(), 32);
    h.count = m_entries.size();
    out.write(reinterpret_cast<const char*>(&h), kHeaderSize);
    out.write(reinterpret_cast<const char*>(m_entries.data()), qint64(m_entries.size() * sizeof(Entry)));
    out.commit(); // a cache: failing to write it only costs the next run a scan
}

std::vector<qint64> CorrelationIndex::candidates(QByteArrayView id) const
{
    std::vector<qint64> out;
    if (id.isEmpty()) return out;
    const quint64 h = hashId(id);
    auto it = std::lower_bound(m_entries.begin(), m_entries.end(), h,
                               [](const Entry& e, quint64 v) { return e.hash < v; });
    for (; it != m_entries.end() && it->hash == h; ++it)
        out.push_back(it->position);
    return out;
}

bool CorrelationIndex::stillMatches(qint64 position, QByteArrayView metadata) const
{
    QByteArray slowId;
    const QByteArrayView id = candidateView(metadata, &slowId);
    if (id.isEmpty()) return false;
    const quint64 h = hashId(id);
    auto it = std::lower_bound(m_entries.begin(), m_entries.end(), Entry{h, position},
                               [](const Entry& a, const Entry& b) {
                                   return a.hash != b.hash ? a.hash < b.hash : a.position < b.position;
                               });
    return it != m_entries.end() && it->hash == h && it->position == position;
}

} // namespace chronoscope::story
