#include "findings/findings.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QSet>
#include <QTimeZone>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

namespace chronoscope {

namespace {

constexpr qint64 kMinute = 60 * 1000;
constexpr qint64 kHour = 60 * kMinute;
constexpr qint64 kDay = 24 * kHour;

// ---- thresholds (docs/findings.md lists each with its reason) ---------------------------------------
constexpr int kBurstMinEvents = 5;           // fewer failures than this are not a burst
constexpr double kBurstMinRatio = 5.0;       // the burst's rate must be at least this many times the rest's
constexpr double kBurstHotFactor = 5.0;      // a bucket is hot at this many times the mean bucket count
constexpr int kBurstHotMin = 3;              // ... and at least this many events
constexpr int kBuckets = 288;                // the store's span is cut into this many buckets (5 min a day)
constexpr int kSilenceMinEvents = 20;        // a type or category seen fewer times does not "usually flow"
constexpr double kSilenceMinExpected = 10.0; // P(no event | Poisson(10)) = 4.5e-5
constexpr qint64 kSilenceMinGap = 10 * kMinute;
constexpr qint64 kSilenceMinMoments = 5; // each side of a gap must show the type this often to give a rate
constexpr qint64 kSilenceContext = 30 * kMinute; // the local rate is read on both sides, this wide ...
constexpr qint64 kSilenceMaxContext =
    kHour;                          // ... up to this for longer gaps (a night is not compared with a day)
constexpr int kRetryMinRepeats = 3; // the same type this many times in one chain and stream
constexpr int kBounceMinEvents = 6; // A B A B A B: three round trips
constexpr int kSlowMinChains = 10;  // chains starting with a type needed for a median
constexpr double kSlowFactor = 5.0; // a chain is slow above this many times the median
constexpr qint64 kSlowMinExcess = 10 * kMinute; // ... and at least this much longer than the median
constexpr int kHistSize = 32;

struct Key
{
    quint64 a = 0, b = 0;
    bool operator==(const Key& o) const { return a == o.a && b == o.b; }
};

// Ids are hashed as UTF-16 code units, four to a 64-bit word, so an id read as a QString (event ids) and
// the same id read as ASCII bytes from metadata (causation ids) give the same key without a conversion.
// Two independent 64-bit mixes make a 128-bit key: for a million ids a false match has odds near 1e-26.
inline quint64 mix64(quint64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct KeyHasher
{
    quint64 a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
    void word(quint64 w)
    {
        a = mix64(a ^ w) + 0x9e3779b97f4a7c15ULL;
        b = (b ^ w) * 0x100000001b3ULL;
        b ^= b >> 29;
    }
    Key done(size_t n)
    {
        Key k{mix64(a ^ n), mix64(b + n * 0x9e3779b97f4a7c15ULL)};
        if (k.a == 0 && k.b == 0) k.b = 1; // (0,0) marks an empty slot
        return k;
    }
};

Key keyOf(QStringView s)
{
    KeyHasher h;
    const char16_t* p = s.utf16();
    const size_t n = size_t(s.size());
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        h.word(quint64(p[i]) | quint64(p[i + 1]) << 16 | quint64(p[i + 2]) << 32 | quint64(p[i + 3]) << 48);
    quint64 w = 0;
    for (int shift = 0; i < n; ++i, shift += 16)
        w |= quint64(p[i]) << shift;
    h.word(w);
    return h.done(n);
}

/// The same key for ASCII bytes (callers check there is no byte above 0x7f).
Key keyOfAscii(QByteArrayView s)
{
    KeyHasher h;
    const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = size_t(s.size());
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        h.word(quint64(p[i]) | quint64(p[i + 1]) << 16 | quint64(p[i + 2]) << 32 | quint64(p[i + 3]) << 48);
    quint64 w = 0;
    for (int shift = 0; i < n; ++i, shift += 16)
        w |= quint64(p[i]) << shift;
    h.word(w);
    return h.done(n);
}

bool isAscii(QByteArrayView s)
{
    for (char c : s)
        if (uchar(c) >= 0x80) return false;
    return true;
}

/// Open addressing, linear probing: a million ids cost one allocation, not a million nodes.
template <typename V> class FlatMap
{
public:
    FlatMap() { m_slots.resize(1024); }
    /// Returns the value slot and whether the key was already there.
    std::pair<V*, bool> insert(const Key& k, V v)
    {
        if ((m_size + 1) * 2 > m_slots.size()) grow();
        Slot* s = probe(k);
        if (s->key.a || s->key.b) return {&s->value, true};
        s->key = k;
        s->value = v;
        ++m_size;
        return {&s->value, false};
    }
    const V* find(const Key& k) const
    {
        const Slot* s = const_cast<FlatMap*>(this)->probe(k);
        return (s->key.a || s->key.b) ? &s->value : nullptr;
    }
    size_t size() const { return m_size; }
    void reserve(size_t n)
    {
        size_t want = 1024;
        while (want < 2 * n)
            want *= 2;
        while (m_slots.size() < want)
            grow();
    }

private:
    struct Slot
    {
        Key key;
        V value{};
    };
    Slot* probe(const Key& k)
    {
        const size_t mask = m_slots.size() - 1;
        size_t i = size_t(k.a ^ (k.b >> 7)) & mask;
        while (true) {
            Slot& s = m_slots[i];
            if ((!s.key.a && !s.key.b) || s.key == k) return &s;
            i = (i + 1) & mask;
        }
    }
    void grow()
    {
        std::vector<Slot> old;
        old.swap(m_slots);
        m_slots.resize(old.size() * 2);
        m_size = 0;
        for (const Slot& s : old)
            if (s.key.a || s.key.b) insert(s.key, s.value);
    }
    std::vector<Slot> m_slots;
    size_t m_size = 0;
};

struct Sample
{
    TimeMs time;
    qint64 position;
    int stream;
};

/// Samples in arrival order, and whether that is also time order (it nearly always is: positions follow
/// time), so findings() sorts a copy only when it must.
struct Samples
{
    std::vector<Sample> list;
    bool timeOrdered = true;
    void push(const Sample& s)
    {
        if (!list.empty() && (s.time < list.back().time)) timeOrdered = false;
        list.push_back(s);
    }
    size_t size() const { return list.size(); }
    bool empty() const { return list.empty(); }
};

struct TypeInfo
{
    QString name;
    bool failureName = false;             // the type's name says it failed
    bool bad = false;                     // glossary tone "bad"
    bool retryName = false;               // the type's name says it is a retry
    Samples all;                          // every event of the type with a time
    Samples fieldFailure;                 // events of a non-failure type whose status field says it failed
    std::array<qint64, kHistSize> runs{}; // how many (chain, stream) runs reached each count
};

struct CategoryInfo
{
    QString name;
    Samples all;
};

struct RunEntry
{
    int type;
    int count;
    qint64 firstPos;
    TimeMs firstTime;
    int candidate; // index into m_retryRuns once count >= kRetryMinRepeats, else -1
};

struct StreamState
{
    QString name;
    int category = -1;
    bool seen = false;
    qint64 lastVersion = 0;
    qint64 lastPos = 0;
    TimeMs lastTime = kNoTime;
    int chain = -2;             // the chain of the current run segment
    std::vector<RunEntry> runs; // per type, within the current chain segment
    int prevType = -1, prevPrevType = -1;
    int bounceLen = 0;
    qint64 bounceFirstPos = 0;
    TimeMs bounceFirstTime = kNoTime;
    int bounceCandidate = -1;
    qint64 prevEventPos = 0; // the stream's event before the current one (a bounce starts there)
    TimeMs prevEventTime = kNoTime;
};

struct ChainInfo
{
    QString id; // kept once the chain has a second event
    int firstType = -1;
    int firstStream = -1, lastStream = -1;
    TimeMs minTime = kNoTime, maxTime = kNoTime;
    qint64 firstPos = 0, lastPos = 0, minPos = 0, maxPos = 0;
    qint64 count = 0;
};

struct RepeatRun
{
    int type;      // retry: the repeated type; bounce: A
    int otherType; // bounce: B
    int stream;
    int chain;
    int count;
    qint64 firstPos, lastPos;
    TimeMs firstTime, lastTime;
};

struct Fault
{
    qint64 position;
    int stream;
    TimeMs time;
    QString detail;
};

/// An event id or a causation id, as a 64-bit key with where it was seen. Ids are not looked up one by one
/// (a million random probes into a 48 MB table cost more than reading the store): they are appended, and
/// findings() sorts what is new, merges it into the sorted list and walks ids and causes side by side.
struct IdEntry
{
    quint64 key;
    qint64 position;
    TimeMs time;
    int stream;
    bool operator<(const IdEntry& o) const { return key != o.key ? key < o.key : position < o.position; }
};

void mergeNew(std::vector<IdEntry>& sorted, std::vector<IdEntry>& recent)
{
    if (recent.empty()) return;
    std::sort(recent.begin(), recent.end());
    const size_t mid = sorted.size();
    sorted.insert(sorted.end(), recent.begin(), recent.end());
    std::inplace_merge(sorted.begin(), sorted.begin() + qsizetype(mid), sorted.end());
    recent.clear();
}

bool containsStem(const QString& lower, std::initializer_list<const char*> stems)
{
    for (const char* s : stems)
        if (lower.contains(QLatin1String(s))) return true;
    return false;
}

bool failureWord(const QString& lower)
{
    return containsStem(
        lower, {"fail", "error", "timeout", "timedout", "timed out", "timed_out", "reject", "cancel"});
}

/// The value after a `"key":` found at `keyStart` (the key's first character) in compact JSON. nullopt
/// when it is null or the text ends; sets *slow when the value needs a real parser (escapes, a number).
std::optional<QByteArrayView> valueAfterKey(const QByteArray& json, qsizetype keyStart, qsizetype klen, bool* slow)
{
    const qsizetype v = keyStart + klen + 2;
    if (v >= json.size()) return std::nullopt;
    if (json[v] != '"') {
        if (json[v] != 'n') // null: absent
            *slow = true;
        return std::nullopt;
    }
    const qsizetype end = json.indexOf('"', v + 1);
    if (end < 0) {
        *slow = true;
        return std::nullopt;
    }
    const QByteArrayView value(json.constData() + v + 1, end - v - 1);
    if (value.contains('\\')) *slow = true;
    return value;
}

/// Where each of N keys first appears as `"key":` in json (the offset of its first character, -1 when
/// absent), in one pass over the quotes of the text instead of one search per key: events are read a
/// million at a time and each asks for up to nine keys.
template<size_t N>
struct KeyFinder
{
    std::array<const char*, N> keys;
    std::array<qsizetype, N> lengths{};

    explicit KeyFinder(std::array<const char*, N> k) : keys(k)
    {
        for (size_t i = 0; i < N; ++i)
            lengths[i] = qsizetype(std::strlen(keys[i]));
    }

    void find(const QByteArray& json, std::array<qsizetype, N>* at) const
    {
        at->fill(-1);
        const char* d = json.constData();
        const qsizetype n = json.size();
        size_t left = N;
        for (qsizetype q = 0; left > 0 && q < n;) {
            const void* hit = std::memchr(d + q, '"', size_t(n - q));
            if (!hit) break;
            const qsizetype k = static_cast<const char*>(hit) - d + 1; // a key would start here
            for (size_t i = 0; i < N; ++i) {
                if ((*at)[i] >= 0) continue;
                const qsizetype len = lengths[i];
                if (k + len + 1 < n && d[k] == keys[i][0] && d[k + len] == '"' && d[k + len + 1] == ':' &&
                    std::memcmp(d + k, keys[i], size_t(len)) == 0) {
                    (*at)[i] = k;
                    --left;
                }
            }
            q = k;
        }
    }
};

/// The value of a top-level-looking `"key":"value"` in compact JSON, without building a tree. nullopt when
/// the key is absent; sets *slow when the value needs a real parser (escapes, a number).
std::optional<QByteArrayView> quickString(const QByteArray& json, const char* key, bool* slow)
{
    const KeyFinder<1> finder({key});
    std::array<qsizetype, 1> at;
    finder.find(json, &at);
    if (at[0] < 0) return std::nullopt;
    return valueAfterKey(json, at[0], finder.lengths[0], slow);
}

/// The correlation or causation id of an event as a key, read from metadata without parsing it when it
/// is plain ASCII in compact JSON (the usual case); *text gets the id only when asked for. `at` and `lengths`
/// are where KeyFinder found the n key names (in the order Event::correlationId() tries them).
bool idKey(const Event& e, const qsizetype* at, const qsizetype* lengths, int n, bool correlation, Key* key,
           QString* text)
{
    if (e.metadata.size() < 3) return false;
    bool slow = false;
    for (int i = 0; i < n && !slow; ++i) {
        if (at[i] < 0) continue;
        if (auto v = valueAfterKey(e.metadata, at[i], lengths[i], &slow)) {
            if (slow || !isAscii(*v)) break;
            if (v->isEmpty()) return false;
            *key = keyOfAscii(*v);
            if (text) *text = QString::fromLatin1(v->data(), v->size());
            return true;
        }
    }
    if (!slow && !e.metadata.contains('\\')) return false;
    const QString id = correlation ? e.correlationId() : e.causationId();
    if (id.isEmpty()) return false;
    *key = keyOf(id);
    if (text) *text = id;
    return true;
}

// Correlation keys (0-3), then causation keys (4-7), each in the order Event::correlationId() and
// Event::causationId() try them.
const KeyFinder<8> kIdKeys({"correlationId", "$correlationId", "correlation_id", "correlationID", "causationId",
                            "$causationId", "causation_id", "causationID"});
const KeyFinder<4> kStatusKeys({"status", "state", "result", "outcome"});

QString number(qint64 n)
{
    return QLocale(QLocale::English).toString(n);
}

QString ratioText(double r)
{
    if (r >= 10) return number(qint64(std::llround(r))) + QStringLiteral("×");
    return QString::number(r, 'f', 1) + QStringLiteral("×");
}

QString clock(TimeMs t, bool withDate)
{
    if (t == kNoTime) return QStringLiteral("?");
    const QDateTime d = QDateTime::fromMSecsSinceEpoch(t, Qt::UTC);
    return d.toString(withDate ? QStringLiteral("yyyy-MM-dd HH:mm") : QStringLiteral("HH:mm"));
}

/// "2026-03-03 13:40–14:25 UTC" (the date again when the range crosses midnight).
QString rangeText(TimeMs from, TimeMs to)
{
    if (from == kNoTime || to == kNoTime) return {};
    const bool sameDay = from / kDay == to / kDay;
    return clock(from, true) + QStringLiteral("–") + clock(to, !sameDay) + QStringLiteral(" UTC");
}

double clampScore(double s)
{
    return std::clamp(s, 0.0, 100.0);
}

} // namespace

QString formatDuration(qint64 ms)
{
    if (ms < 0) ms = 0;
    if (ms < 1000) return QStringLiteral("%1 ms").arg(ms);
    if (ms < kMinute) return QStringLiteral("%1 s").arg(ms / 1000);
    if (ms < kHour) return QStringLiteral("%1 min").arg(ms / kMinute);
    if (ms < kDay) {
        const qint64 m = (ms % kHour) / kMinute;
        return m ? QStringLiteral("%1 h %2 min").arg(ms / kHour).arg(m, 2, 10, QLatin1Char('0'))
                 : QStringLiteral("%1 h").arg(ms / kHour);
    }
    const qint64 h = (ms % kDay) / kHour;
    return h ? QStringLiteral("%1 d %2 h").arg(ms / kDay).arg(h) : QStringLiteral("%1 d").arg(ms / kDay);
}

struct FindingsAnalyzer::Impl
{
    FindingsOptions opt;
    QHash<QString, int> typeIds;
    QHash<QString, int> streamIds;
    QHash<QString, int> categoryIds;
    std::vector<TypeInfo> types;
    std::vector<StreamState> streams;
    std::vector<CategoryInfo> categories;
    FlatMap<int> chainIds;
    std::vector<ChainInfo> chains;
    // Sorted on demand by findings() (hence mutable: the analyzer is used from one thread at a time).
    mutable std::vector<IdEntry> idsSorted, idsRecent, causesSorted, causesRecent;
    std::vector<RepeatRun> retryRuns, bounceRuns;
    std::vector<Fault> versionGaps, versionDuplicates, timeBackwards, hashBreaks;
    QByteArray prevHash;
    qint64 prevHashPos = -1;
    qint64 count = 0;
    qint64 lastPosition = 0;
    TimeMs minTime = kNoTime, maxTime = kNoTime;

    // Readers hand out the same shared QString for every event of a stream or type (the native store
    // keeps one per id), so its data pointer finds the id without hashing the name. The pointer is
    // compared with the name this analyzer keeps, which holds a reference: the buffer cannot be freed and
    // reused for another name while it is cached.
    static constexpr size_t kPtrCache = 1 << 18; // a store has ~200k streams per million events
    std::vector<std::pair<const void*, int>> streamCache =
        std::vector<std::pair<const void*, int>>(kPtrCache, {nullptr, -1});
    std::vector<std::pair<const void*, int>> typeCache =
        std::vector<std::pair<const void*, int>>(256, {nullptr, -1});
    static size_t slotOf(const void* p, size_t size) { return (quintptr(p) >> 4) & (size - 1); }

    int typeId(const QString& t)
    {
        auto& slot = typeCache[slotOf(t.constData(), typeCache.size())];
        if (slot.first == t.constData() && slot.second >= 0 &&
            types[size_t(slot.second)].name.constData() == t.constData())
            return slot.second;
        const int id = typeIdSlow(t);
        slot = {t.constData(), id};
        return id;
    }

    int streamId(const QString& s)
    {
        auto& slot = streamCache[slotOf(s.constData(), streamCache.size())];
        if (slot.first == s.constData() && slot.second >= 0 &&
            streams[size_t(slot.second)].name.constData() == s.constData())
            return slot.second;
        const int id = streamIdSlow(s);
        slot = {s.constData(), id};
        return id;
    }

    int typeIdSlow(const QString& t)
    {
        auto it = typeIds.constFind(t);
        if (it != typeIds.constEnd()) return it.value();
        TypeInfo info;
        info.name = t;
        const QString lower = t.toLower();
        info.failureName = failureWord(lower);
        info.bad = opt.tones.value(t) == QLatin1String("bad");
        info.retryName = containsStem(lower, {"retr", "attempt", "again", "redeliver", "resend", "resubmit"});
        types.push_back(std::move(info));
        typeIds.insert(t, int(types.size() - 1));
        return int(types.size() - 1);
    }

    int streamIdSlow(const QString& s)
    {
        auto it = streamIds.constFind(s);
        if (it != streamIds.constEnd()) return it.value();
        StreamState st;
        st.name = s;
        const QString cat = Event::categoryOf(s);
        auto c = categoryIds.constFind(cat);
        if (c == categoryIds.constEnd()) {
            categories.push_back({cat, {}});
            c = categoryIds.insert(cat, int(categories.size() - 1));
        }
        st.category = c.value();
        streams.push_back(std::move(st));
        streamIds.insert(s, int(streams.size() - 1));
        return int(streams.size() - 1);
    }

    static bool fieldSaysFailed(const QByteArray& data)
    {
        if (data.size() < 8 || data[0] != '{') return false;
        std::array<qsizetype, 4> at;
        kStatusKeys.find(data, &at);
        for (size_t i = 0; i < at.size(); ++i) {
            if (at[i] < 0) continue;
            bool slow = false;
            if (auto v = valueAfterKey(data, at[i], kStatusKeys.lengths[i], &slow)) {
                if (v->size() > 40) continue;
                char lower[41];
                for (qsizetype i = 0; i < v->size(); ++i)
                    lower[i] = char(std::tolower(uchar((*v)[i])));
                lower[v->size()] = 0;
                for (const char* stem :
                     {"fail", "error", "timeout", "timedout", "timed out", "timed_out", "reject", "cancel"})
                    if (std::strstr(lower, stem)) return true;
            }
        }
        return false;
    }

    // What add() reads from one event alone, apart from the analyzer's state: the id, causation and
    // correlation keys and the failure status of its data. computeFindings works it out on the reading
    // thread so the analysing thread only updates aggregates (the same values either way).
    struct Prepared
    {
        Key id, cause, chain;
        bool hasId = false, hasCause = false, hasChain = false, hasHash = false;
        signed char fieldFailed = -1; // -1: not looked at (add() looks when it needs it)
    };
    static void prepare(const Event& e, bool checkField, Prepared* p)
    {
        p->hasId = !e.id.isEmpty();
        if (p->hasId) p->id = keyOf(e.id);
        std::array<qsizetype, 8> idAt;
        kIdKeys.find(e.metadata, &idAt);
        p->hasCause = idKey(e, idAt.data() + 4, kIdKeys.lengths.data() + 4, 4, false, &p->cause, nullptr);
        p->hasChain = idKey(e, idAt.data(), kIdKeys.lengths.data(), 4, true, &p->chain, nullptr);
        p->hasHash = memmem(e.metadata.constData(), size_t(e.metadata.size()), "hash", 4) != nullptr;
        p->fieldFailed = checkField && e.time != kNoTime ? static_cast<signed char>(fieldSaysFailed(e.data))
                                                         : static_cast<signed char>(-1);
    }

    void add(const Event& e)
    {
        Prepared p;
        prepare(e, false, &p);
        add(e, p);
    }
    void add(const Event& e, const Prepared& p);
    void trackRepeats(StreamState& st, int stream, int type, int chain, const Event& e);
};

FindingsAnalyzer::FindingsAnalyzer(FindingsOptions options) : d(std::make_unique<Impl>())
{
    d->opt = std::move(options);
}

FindingsAnalyzer::~FindingsAnalyzer() = default;

void FindingsAnalyzer::add(const Event& event)
{
    d->add(event);
}

qint64 FindingsAnalyzer::eventCount() const
{
    return d->count;
}

void FindingsAnalyzer::reserve(qint64 events)
{
    if (events > 0 && events < (qint64(1) << 32)) d->idsRecent.reserve(size_t(events));
}

qint64 FindingsAnalyzer::lastPosition() const
{
    return d->lastPosition;
}

void FindingsAnalyzer::Impl::add(const Event& e, const Prepared& p)
{
    ++count;
    lastPosition = std::max(lastPosition, e.position);
    const int type = typeId(e.type);
    const int stream = streamId(e.stream);
    StreamState& st = streams[size_t(stream)];
    TypeInfo& ti = types[size_t(type)];
    const bool timed = e.time != kNoTime;
    if (timed) {
        minTime = minTime == kNoTime ? e.time : std::min(minTime, e.time);
        maxTime = maxTime == kNoTime ? e.time : std::max(maxTime, e.time);
        const Sample s{e.time, e.position, stream};
        ti.all.push(s);
        categories[size_t(st.category)].all.push(s);
        if (!ti.failureName && !ti.bad && (p.fieldFailed >= 0 ? p.fieldFailed == 1 : fieldSaysFailed(e.data)))
            ti.fieldFailure.push(s);
    }

    // Integrity within the stream: versions follow each other, time does not go back.
    if (st.seen) {
        if (e.version > st.lastVersion + 1)
            versionGaps.push_back(
                {e.position, stream, e.time,
                 QStringLiteral("version %1 follows %2").arg(e.version).arg(st.lastVersion)});
        else if (e.version <= st.lastVersion)
            versionDuplicates.push_back(
                {e.position, stream, e.time,
                 e.version == st.lastVersion
                     ? QStringLiteral("version %1 twice").arg(e.version)
                     : QStringLiteral("version %1 after %2").arg(e.version).arg(st.lastVersion)});
        if (timed && st.lastTime != kNoTime && e.time < st.lastTime)
            timeBackwards.push_back({e.position, stream, e.time,
                                     QStringLiteral("%1 after %2 (%3 earlier)")
                                         .arg(formatTime(e.time), formatTime(st.lastTime),
                                              formatDuration(st.lastTime - e.time))});
    }
    st.seen = true;
    st.lastVersion = e.version;
    st.lastPos = e.position;
    if (timed) st.lastTime = e.time;

    // Event ids: duplicates, and what causation ids point at.
    if (p.hasId) idsRecent.push_back({p.id.a, e.position, e.time, stream});
    if (p.hasCause) causesRecent.push_back({p.cause.a, e.position, e.time, stream});

    // Hash chains (EventSourcingDB): the source marks a break it saw; a capture is checked link by link.
    if (p.hasHash) {
        bool slow = false;
        const auto broken = quickString(e.metadata, "chainBroken", &slow);
        const auto hash = quickString(e.metadata, "hash", &slow);
        const auto pred = quickString(e.metadata, "predecessorhash", &slow);
        if (broken)
            hashBreaks.push_back(
                {e.position, stream, e.time, QString::fromUtf8(broken->data(), broken->size())});
        else if (pred && prevHashPos == e.position - 1 && !prevHash.isEmpty() &&
                 *pred != QByteArrayView(prevHash))
            hashBreaks.push_back(
                {e.position, stream, e.time,
                 QStringLiteral("predecessorhash does not match the hash of position %1").arg(prevHashPos)});
        prevHash = hash ? hash->toByteArray() : QByteArray();
        prevHashPos = e.position;
    }

    // Correlation chains.
    int chain = -1;
    if (p.hasChain) {
        const auto [slot, existed] = chainIds.insert(p.chain, int(chains.size()));
        if (!existed) chains.emplace_back();
        chain = *slot;
        ChainInfo& c = chains[size_t(chain)];
        if (c.count == 0) {
            c.firstType = type;
            c.firstStream = stream;
            c.firstPos = e.position;
        } else if (c.count == 1) {
            // The chain's id text, kept once a second event makes it a chain (rare: worked out again).
            std::array<qsizetype, 8> idAt;
            kIdKeys.find(e.metadata, &idAt);
            Key ck;
            idKey(e, idAt.data(), kIdKeys.lengths.data(), 4, true, &ck, &c.id);
        }
        ++c.count;
        c.lastPos = e.position;
        c.lastStream = stream;
        if (timed) {
            if (c.minTime == kNoTime || e.time < c.minTime) {
                c.minTime = e.time;
                c.minPos = e.position;
            }
            if (c.maxTime == kNoTime || e.time >= c.maxTime) {
                c.maxTime = e.time;
                c.maxPos = e.position;
            }
        }
    }
    trackRepeats(st, stream, type, chain, e);
}

void FindingsAnalyzer::Impl::trackRepeats(StreamState& st, int stream, int type, int chain, const Event& e)
{
    if (chain != st.chain) {
        st.runs.clear();
        st.chain = chain;
        st.prevType = st.prevPrevType = -1;
        st.bounceLen = 0;
        st.bounceCandidate = -1;
    }
    // Retries: the same type again within one chain and stream.
    TypeInfo& ti = types[size_t(type)];
    auto run =
        std::find_if(st.runs.begin(), st.runs.end(), [&](const RunEntry& r) { return r.type == type; });
    if (run == st.runs.end()) {
        st.runs.push_back({type, 1, e.position, e.time, -1});
        ++ti.runs[1];
    } else {
        --ti.runs[size_t(std::min(run->count, kHistSize - 1))];
        ++run->count;
        ++ti.runs[size_t(std::min(run->count, kHistSize - 1))];
        if (run->count >= kRetryMinRepeats && chain >= 0) {
            if (run->candidate < 0) {
                retryRuns.push_back(
                    {type, -1, stream, chain, run->count, run->firstPos, e.position, run->firstTime, e.time});
                run->candidate = int(retryRuns.size() - 1);
            } else {
                RepeatRun& r = retryRuns[size_t(run->candidate)];
                r.count = run->count;
                r.lastPos = e.position;
                r.lastTime = e.time;
            }
        }
    }

    // Bounces: A B A B … within one chain and stream.
    if (type == st.prevPrevType && type != st.prevType) {
        ++st.bounceLen;
    } else if (type != st.prevType && st.prevType >= 0) {
        st.bounceLen = 2; // the run starts with the stream's previous event
        st.bounceFirstPos = st.prevEventPos;
        st.bounceFirstTime = st.prevEventTime;
        st.bounceCandidate = -1;
    } else {
        st.bounceLen = 1;
        st.bounceCandidate = -1;
    }
    if (st.bounceLen >= kBounceMinEvents) {
        if (st.bounceCandidate < 0) {
            bounceRuns.push_back({st.prevType, type, stream, chain, st.bounceLen, st.bounceFirstPos,
                                  e.position, st.bounceFirstTime, e.time});
            st.bounceCandidate = int(bounceRuns.size() - 1);
        } else {
            RepeatRun& r = bounceRuns[size_t(st.bounceCandidate)];
            r.count = st.bounceLen;
            r.lastPos = e.position;
            r.lastTime = e.time;
        }
    }
    st.prevPrevType = st.prevType;
    st.prevType = type;
    st.prevEventPos = e.position;
    st.prevEventTime = e.time;
}

// ---- building the findings ----------------------------------------------------------------------------

namespace {

void addStream(Finding& f, QSet<int>& seen, int stream, const std::vector<StreamState>& streams)
{
    if (seen.contains(stream)) return;
    seen.insert(stream);
    ++f.streamCount;
    if (f.streams.size() < Finding::kMaxListed) f.streams << streams[size_t(stream)].name;
}

void addPosition(Finding& f, qint64 p)
{
    ++f.eventCount;
    if (f.positions.size() < Finding::kMaxListed) f.positions << p;
}

} // namespace

QList<Finding> FindingsAnalyzer::findings() const
{
    const Impl& m = *d;
    QList<Finding> out;
    const TimeMs span = (m.minTime == kNoTime) ? 0 : m.maxTime - m.minTime;
    auto byTime = [](const Sample& a, const Sample& b) {
        return a.time != b.time ? a.time < b.time : a.position < b.position;
    };

    // ---- bursts ------------------------------------------------------------------------------------
    std::vector<Finding> bursts;
    // Time-ordered samples as they are, else a sorted copy (equal times keep position order either way).
    auto ordered = [&](const Samples& in, std::vector<Sample>& copy) -> const std::vector<Sample>& {
        if (in.timeOrdered) return in.list;
        copy = in.list;
        std::stable_sort(copy.begin(), copy.end(), byTime);
        return copy;
    };
    auto burstsOf = [&](const QString& label, const Samples& samples) {
        if (qsizetype(samples.size()) < kBurstMinEvents || span <= 0) return;
        std::vector<Sample> copy;
        const std::vector<Sample>& s = ordered(samples, copy);
        const qint64 n = qint64(s.size());
        const qint64 width = std::max<qint64>(kMinute, span / kBuckets);
        const qint64 buckets = span / width + 1;
        std::vector<int> counts(size_t(buckets), 0);
        for (const Sample& x : s)
            ++counts[size_t((x.time - m.minTime) / width)];
        const double mean = double(n) / double(buckets);
        const double hot = std::max<double>(kBurstHotMin, kBurstHotFactor * mean);
        std::vector<std::pair<qint64, qint64>> runsOfBuckets;
        for (qint64 i = 0; i < buckets; ++i) {
            if (counts[size_t(i)] < hot) continue;
            if (!runsOfBuckets.empty() && i - runsOfBuckets.back().second <= 2)
                runsOfBuckets.back().second = i;
            else
                runsOfBuckets.push_back({i, i});
        }
        for (const auto& [b0, b1] : runsOfBuckets) {
            const TimeMs lo = m.minTime + b0 * width, hi = m.minTime + (b1 + 1) * width;
            auto first = std::lower_bound(s.begin(), s.end(), lo,
                                          [](const Sample& x, TimeMs t) { return x.time < t; });
            auto last = std::lower_bound(s.begin(), s.end(), hi,
                                         [](const Sample& x, TimeMs t) { return x.time < t; });
            const qint64 k = qint64(last - first);
            if (k < kBurstMinEvents) continue;
            const TimeMs from = first->time, to = (last - 1)->time;
            const qint64 shown = std::max<qint64>(kMinute, to - from);
            const qint64 outside = n - k;
            const qint64 outsideSpan = span - shown;
            if (outsideSpan < 2 * shown) continue; // too little else to compare with
            const double rateIn = double(k) / double(shown);
            const double rateOut = double(std::max<qint64>(outside, 1)) / double(outsideSpan);
            const double ratio = rateIn / rateOut;
            if (ratio < kBurstMinRatio) continue;
            Finding f;
            f.rule = QStringLiteral("burst");
            f.kind = QStringLiteral("burst");
            f.subjects << label;
            f.title = QStringLiteral("Burst of %1").arg(label);
            f.from = from;
            f.to = to;
            f.firstPosition = first->position;
            f.lastPosition = (last - 1)->position;
            const QString rest =
                outside == 0
                    ? QStringLiteral("none in the other %1").arg(formatDuration(outsideSpan))
                    : QStringLiteral("%1 in the other %2").arg(number(outside), formatDuration(outsideSpan));
            f.explanation =
                QStringLiteral("%1 %2 in %3 (%4), %5 their rate in the rest of the store (%6)")
                    .arg(number(k), label, formatDuration(shown), rangeText(from, to),
                         outside == 0 ? QStringLiteral("more than ") + ratioText(ratio) : ratioText(ratio),
                         rest);
            std::vector<Sample> inRun(first, last);
            std::sort(inRun.begin(), inRun.end(),
                      [](const Sample& a, const Sample& b) { return a.position < b.position; });
            QSet<int> seen;
            for (const Sample& x : inRun) {
                addPosition(f, x.position);
                addStream(f, seen, x.stream, m.streams);
            }
            f.firstPosition = inRun.front().position;
            f.lastPosition = inRun.back().position;
            f.score = clampScore(40 + 12 * std::log10(ratio) + 8 * std::log10(double(k)));
            bursts.push_back(f);
        }
    };
    for (const TypeInfo& t : m.types) {
        if (t.failureName || t.bad)
            burstsOf(t.name, t.all);
        else if (!t.fieldFailure.empty())
            burstsOf(t.name + QStringLiteral(" (failed status)"), t.fieldFailure);
    }

    // ---- silences ----------------------------------------------------------------------------------
    std::vector<Finding> silences;
    auto silencesOf = [&](const QString& label, bool isCategory, const Samples& samples) {
        if (qsizetype(samples.size()) < kSilenceMinEvents || span <= 0) return;
        std::vector<Sample> copy;
        const std::vector<Sample>& s = ordered(samples, copy);
        const qint64 n = qint64(s.size());
        const qint64 minGap = std::max<qint64>(kSilenceMinGap, 10 * span / n);
        // Events of a type often come in clusters (one order ships four items within a second): events less
        // than 1 s after the previous one count as the same moment, so a cluster does not inflate the rate.
        std::vector<qint64> moments(size_t(n) + 1, 0);
        for (qint64 i = 0; i < n; ++i)
            moments[size_t(i + 1)] =
                moments[size_t(i)] + ((i == 0 || s[size_t(i)].time - s[size_t(i - 1)].time >= 1000) ? 1 : 0);
        auto momentsIn = [&](TimeMs a, TimeMs b) { // moments starting at a <= time < b
            auto lo =
                std::lower_bound(s.begin(), s.end(), a, [](const Sample& x, TimeMs t) { return x.time < t; });
            auto hi =
                std::lower_bound(s.begin(), s.end(), b, [](const Sample& x, TimeMs t) { return x.time < t; });
            return moments[size_t(hi - s.begin())] - moments[size_t(lo - s.begin())];
        };
        auto consider = [&](qint64 i, bool trailing) {
            const TimeMs from = s[size_t(i)].time;
            const TimeMs to = trailing ? m.maxTime : s[size_t(i + 1)].time;
            const qint64 gap = to - from;
            if (gap < minGap) return;
            // Up to the end of the store, the type must have flowed for longer than it has been silent:
            // something seen for an hour and then never again has not "stopped".
            if (trailing && from - s.front().time < gap) return;
            const qint64 w = std::clamp(gap, kSilenceContext, kSilenceMaxContext);
            const TimeMs beforeFrom = std::max(m.minTime, from - w);
            const TimeMs afterTo = std::min(m.maxTime, to + w);
            const qint64 beforeSpan = from - beforeFrom, afterSpan = afterTo - to;
            // The type must flow on both sides of the gap (before only, for a silence up to the end).
            if (beforeSpan < kSilenceContext / 2 || (!trailing && afterSpan < kSilenceContext / 2)) return;
            const qint64 before = momentsIn(beforeFrom + 1, from); // the bounding events are not context
            const qint64 after = trailing ? 0 : momentsIn(to + 1, afterTo + 1);
            if (before < kSilenceMinMoments || (!trailing && after < kSilenceMinMoments)) return;
            const double rateBefore = double(before) / double(beforeSpan);
            const double rateAfter = trailing ? rateBefore : double(after) / double(afterSpan);
            const double expected = std::min(rateBefore, rateAfter) * double(gap);
            if (expected < kSilenceMinExpected) return;
            Finding f;
            f.rule = QStringLiteral("silence");
            f.kind = QStringLiteral("silence");
            f.subjects << label;
            f.title =
                isCategory ? QStringLiteral("%1 went quiet").arg(label) : QStringLiteral("No %1").arg(label);
            f.from = from;
            f.to = to;
            const QString what = isCategory ? QStringLiteral("%1 event").arg(label) : label;
            const QString context =
                trailing ? QStringLiteral("seen at %1 moments in the %2 before")
                               .arg(number(before), formatDuration(beforeSpan))
                         : QStringLiteral("seen at %1 moments in the %2 before and %3 in the %4 after")
                               .arg(number(before), formatDuration(beforeSpan), number(after),
                                    formatDuration(afterSpan));
            f.explanation = QStringLiteral("No %1 for %2 (%3)%4; %5, so about %6 were expected")
                                .arg(what, formatDuration(gap), rangeText(from, to),
                                     trailing ? QStringLiteral(", up to the end of the store") : QString(),
                                     context, number(qint64(std::llround(expected))));
            QSet<int> seen;
            addPosition(f, s[size_t(i)].position);
            addStream(f, seen, s[size_t(i)].stream, m.streams);
            f.firstPosition = f.lastPosition = s[size_t(i)].position;
            if (!trailing) {
                addPosition(f, s[size_t(i + 1)].position);
                addStream(f, seen, s[size_t(i + 1)].stream, m.streams);
                f.lastPosition = s[size_t(i + 1)].position;
            }
            f.score = clampScore(std::min(85.0, 30 + 15 * std::log10(expected)));
            silences.push_back(f);
        };
        for (qint64 i = 0; i + 1 < n; ++i)
            consider(i, false);
        consider(n - 1, true);
    };
    for (const TypeInfo& t : m.types)
        silencesOf(t.name, false, t.all);
    std::vector<Finding> categorySilences;
    {
        std::swap(categorySilences, silences);
        for (const CategoryInfo& c : m.categories)
            silencesOf(c.name, true, c.all);
        std::swap(categorySilences, silences);
    }
    // Silences at the same time tell one story: merge those that overlap by half of the shorter one, and
    // let a silent category stand for its silent types.
    auto overlapHalf = [](const Finding& a, const Finding& b) {
        const qint64 ov = std::min(a.to, b.to) - std::max(a.from, b.from);
        return ov > 0 && 2 * ov >= std::max(a.to - a.from, b.to - b.from);
    };
    std::vector<Finding> merged;
    for (Finding& c : categorySilences)
        merged.push_back(c);
    std::sort(silences.begin(), silences.end(),
              [](const Finding& a, const Finding& b) { return a.score > b.score; });
    for (Finding& sfd : silences) {
        bool absorbed = false;
        for (Finding& g : merged) {
            if (!overlapHalf(g, sfd)) continue;
            absorbed = true;
            if (g.title.endsWith(QStringLiteral(" went quiet")) && !sfd.subjects.isEmpty()) {
                // A type inside a silent category: the category already says it (only when it is that
                // category's).
                const QString cat = g.subjects.first();
                bool inCat = false;
                for (const QString& st : sfd.streams)
                    inCat = inCat || Event::categoryOf(st) == cat;
                if (!inCat) {
                    absorbed = false;
                    continue;
                }
                break;
            }
            g.subjects << sfd.subjects;
            g.title = QStringLiteral("No %1").arg(g.subjects.join(QStringLiteral(", ")));
            g.explanation +=
                QStringLiteral("; also no %1 for %2 (about %3 expected)")
                    .arg(sfd.subjects.join(QStringLiteral(", ")), formatDuration(sfd.to - sfd.from),
                         sfd.explanation.section(QStringLiteral("about "), -1).section(u' ', 0, 0));
            g.from = std::min(g.from, sfd.from);
            g.to = std::max(g.to, sfd.to);
            QSet<QString> have(g.streams.begin(), g.streams.end());
            if (g.subjects.count(sfd.subjects.first()) > 1) g.subjects.removeLast();
            for (const QString& st : sfd.streams)
                if (!have.contains(st)) {
                    g.streams << st;
                    ++g.streamCount;
                }
            for (qint64 p : sfd.positions)
                if (!g.positions.contains(p)) {
                    g.positions << p;
                    ++g.eventCount;
                }
            std::sort(g.positions.begin(), g.positions.end());
            g.firstPosition = g.positions.front();
            g.lastPosition = g.positions.back();
            g.score = std::max(g.score, sfd.score);
            break;
        }
        if (!absorbed) merged.push_back(sfd);
    }

    // ---- retries and bounces -----------------------------------------------------------------------
    auto median = [](const std::array<qint64, kHistSize>& h) {
        qint64 total = 0;
        for (qint64 c : h)
            total += c;
        qint64 acc = 0;
        for (int i = 0; i < kHistSize; ++i) {
            acc += h[size_t(i)];
            if (total > 0 && acc * 2 >= total) return i;
        }
        return kHistSize - 1;
    };
    auto percentile99 = [](const std::array<qint64, kHistSize>& h) {
        qint64 total = 0;
        for (qint64 c : h)
            total += c;
        qint64 acc = 0;
        for (int i = 0; i < kHistSize; ++i) {
            acc += h[size_t(i)];
            if (total > 0 && acc * 100 >= total * 99) return i;
        }
        return kHistSize - 1;
    };
    std::vector<Finding> loops;
    QSet<QPair<int, int>> retried; // (stream, chain) with a retry finding
    {
        QHash<int, std::vector<const RepeatRun*>> byType;
        for (const RepeatRun& r : m.retryRuns) {
            const TypeInfo& t = m.types[size_t(r.type)];
            const int p99 = percentile99(t.runs);
            if (t.failureName || t.bad || t.retryName || r.count > p99) byType[r.type].push_back(&r);
        }
        for (auto it = byType.cbegin(); it != byType.cend(); ++it) {
            const TypeInfo& t = m.types[size_t(it.key())];
            std::vector<const RepeatRun*> runs = it.value();
            std::sort(runs.begin(), runs.end(), [](const RepeatRun* a, const RepeatRun* b) {
                return a->count != b->count ? a->count > b->count : a->firstPos < b->firstPos;
            });
            const RepeatRun& worst = *runs.front();
            Finding f;
            f.rule = QStringLiteral("retry");
            f.kind = QStringLiteral("loop");
            f.subjects << t.name;
            f.title = QStringLiteral("%1 repeated").arg(t.name);
            f.correlation = m.chains[size_t(worst.chain)].id;
            f.from = worst.firstTime;
            f.to = worst.lastTime;
            f.firstPosition = worst.firstPos;
            f.lastPosition = worst.lastPos;
            f.explanation = QStringLiteral("%1 repeated %2 or more times in %3 correlation chain(s) (usually "
                                           "%4 per chain and stream): %5 times in %6 within %7")
                                .arg(t.name)
                                .arg(kRetryMinRepeats)
                                .arg(number(qint64(runs.size())))
                                .arg(median(t.runs))
                                .arg(worst.count)
                                .arg(m.streams[size_t(worst.stream)].name,
                                     formatDuration(worst.lastTime - worst.firstTime));
            QSet<int> seen;
            addStream(f, seen, worst.stream, m.streams);
            for (const RepeatRun* r : runs) {
                addStream(f, seen, r->stream, m.streams);
                retried.insert({r->stream, r->chain});
            }
            f.positions << worst.firstPos << worst.lastPos;
            f.eventCount = 0;
            for (const RepeatRun* r : runs)
                f.eventCount += r->count;
            f.score =
                clampScore(std::min(80.0, 30 + 10 * std::log10(double(runs.size())) + 5 * (worst.count - 2)));
            loops.push_back(f);
        }
        QHash<QPair<int, int>, std::vector<const RepeatRun*>> byPair;
        for (const RepeatRun& r : m.bounceRuns) {
            if (retried.contains({r.stream, r.chain}))
                continue; // the retry finding already explains this stream's back and forth
            byPair[{std::min(r.type, r.otherType), std::max(r.type, r.otherType)}].push_back(&r);
        }
        for (auto it = byPair.cbegin(); it != byPair.cend(); ++it) {
            std::vector<const RepeatRun*> runs = it.value();
            std::sort(runs.begin(), runs.end(), [](const RepeatRun* a, const RepeatRun* b) {
                return a->count != b->count ? a->count > b->count : a->firstPos < b->firstPos;
            });
            const RepeatRun& worst = *runs.front();
            const QString a = m.types[size_t(it.key().first)].name, b = m.types[size_t(it.key().second)].name;
            Finding f;
            f.rule = QStringLiteral("bounce");
            f.kind = QStringLiteral("loop");
            f.subjects << a + QStringLiteral(" ↔ ") + b;
            f.title = QStringLiteral("%1 bounces between %2 and %3")
                          .arg(m.streams[size_t(worst.stream)].name, a, b);
            f.correlation = worst.chain >= 0 ? m.chains[size_t(worst.chain)].id : QString();
            f.from = worst.firstTime;
            f.to = worst.lastTime;
            f.firstPosition = worst.firstPos;
            f.lastPosition = worst.lastPos;
            f.explanation =
                QStringLiteral("%1 alternates %2 and %3 %4 times in a row within %5%6")
                    .arg(m.streams[size_t(worst.stream)].name, a, b)
                    .arg(worst.count)
                    .arg(formatDuration(worst.lastTime - worst.firstTime),
                         runs.size() > 1
                             ? QStringLiteral(" (%1 streams do the same)").arg(number(qint64(runs.size())))
                             : QString());
            QSet<int> seen;
            for (const RepeatRun* r : runs)
                addStream(f, seen, r->stream, m.streams);
            f.positions << worst.firstPos << worst.lastPos;
            f.eventCount = 0;
            for (const RepeatRun* r : runs)
                f.eventCount += r->count;
            f.score = clampScore(std::min(75.0, 30 + 10 * std::log10(double(runs.size())) +
                                                    3 * (worst.count - kBounceMinEvents)));
            loops.push_back(f);
        }
    }

    // ---- integrity -----------------------------------------------------------------------------------
    std::vector<Finding> integrity;
    auto faults = [&](const std::vector<Fault>& list, const QString& rule, const QString& title,
                      const QString& what, double base) {
        if (list.empty()) return;
        Finding f;
        f.rule = rule;
        f.kind = QStringLiteral("integrity");
        f.title = title;
        f.subjects << rule;
        QSet<int> seen;
        TimeMs lo = kNoTime, hi = kNoTime;
        for (const Fault& x : list) {
            addPosition(f, x.position);
            addStream(f, seen, x.stream, m.streams);
            if (x.time != kNoTime) {
                lo = lo == kNoTime ? x.time : std::min(lo, x.time);
                hi = hi == kNoTime ? x.time : std::max(hi, x.time);
            }
        }
        f.from = lo;
        f.to = hi;
        f.firstPosition = list.front().position;
        f.lastPosition = list.back().position;
        const Fault& first = list.front();
        f.explanation = QStringLiteral("%1 %2 in %3 stream(s); first at position %4 in %5: %6")
                            .arg(number(qint64(list.size())), what, number(f.streamCount))
                            .arg(first.position)
                            .arg(m.streams[size_t(first.stream)].name, first.detail);
        f.score = clampScore(base + 5 * std::log10(double(list.size())));
        integrity.push_back(f);
    };
    faults(m.hashBreaks, QStringLiteral("hash-chain"), QStringLiteral("Broken hash chain"),
           QStringLiteral("broken hash link(s)"), 80);
    mergeNew(m.idsSorted, m.idsRecent);
    mergeNew(m.causesSorted, m.causesRecent);
    std::vector<Fault> duplicateIds;
    for (size_t i = 1; i < m.idsSorted.size(); ++i) {
        const IdEntry& e = m.idsSorted[i];
        if (e.key != m.idsSorted[i - 1].key) continue;
        size_t first = i - 1;
        while (first > 0 && m.idsSorted[first - 1].key == e.key)
            --first;
        duplicateIds.push_back(
            {e.position, e.stream, e.time,
             QStringLiteral("the same id as position %1").arg(m.idsSorted[first].position)});
    }
    std::sort(duplicateIds.begin(), duplicateIds.end(),
              [](const Fault& a, const Fault& b) { return a.position < b.position; });
    faults(duplicateIds, QStringLiteral("duplicate-id"), QStringLiteral("Duplicate event ids"),
           QStringLiteral("event(s) reuse an id"), 70);
    faults(m.versionDuplicates, QStringLiteral("version-duplicate"),
           QStringLiteral("Repeated or reordered versions"),
           QStringLiteral("event(s) whose version does not grow"), 70);
    faults(m.versionGaps, QStringLiteral("version-gap"), QStringLiteral("Version gaps"),
           QStringLiteral("version gap(s)"), 60);
    faults(m.timeBackwards, QStringLiteral("time-backwards"), QStringLiteral("Time goes backwards"),
           QStringLiteral("event(s) earlier than the one before in their stream"), 50);
    {
        std::vector<Fault> dangling;
        qint64 resolved = 0;
        size_t j = 0;
        for (const IdEntry& c : m.causesSorted) {
            while (j < m.idsSorted.size() && m.idsSorted[j].key < c.key)
                ++j;
            if (j < m.idsSorted.size() && m.idsSorted[j].key == c.key)
                ++resolved;
            else
                dangling.push_back(
                    {c.position, c.stream, c.time, QStringLiteral("its causation id matches no event id")});
        }
        std::sort(dangling.begin(), dangling.end(),
                  [](const Fault& a, const Fault& b) { return a.position < b.position; });
        // Stores that put a command id in causationId point at no event by design: report only where most
        // causation ids do name events.
        if (!dangling.empty() && resolved >= qint64(dangling.size()))
            faults(dangling, QStringLiteral("dangling-causation"),
                   QStringLiteral("Causes that are not in the store"),
                   QStringLiteral("causation id(s) point at no event (of %1 that do)").arg(number(resolved)),
                   45);
    }

    // ---- slow chains ---------------------------------------------------------------------------------
    std::vector<Finding> slow;
    {
        QHash<int, std::vector<const ChainInfo*>> byFirst;
        for (const ChainInfo& c : m.chains)
            if (c.count >= 2 && c.minTime != kNoTime) byFirst[c.firstType].push_back(&c);
        for (auto it = byFirst.cbegin(); it != byFirst.cend(); ++it) {
            std::vector<const ChainInfo*> cs = it.value();
            if (qsizetype(cs.size()) < kSlowMinChains) continue;
            std::vector<qint64> durations;
            durations.reserve(cs.size());
            for (const ChainInfo* c : cs)
                durations.push_back(c->maxTime - c->minTime);
            std::nth_element(durations.begin(), durations.begin() + qsizetype(durations.size() / 2),
                             durations.end());
            const qint64 median = durations[durations.size() / 2];
            if (median <= 0) continue;
            std::vector<const ChainInfo*> flagged;
            for (const ChainInfo* c : cs) {
                const qint64 dur = c->maxTime - c->minTime;
                if (double(dur) > kSlowFactor * double(median) && dur - median >= kSlowMinExcess)
                    flagged.push_back(c);
            }
            if (flagged.empty()) continue;
            std::sort(flagged.begin(), flagged.end(), [](const ChainInfo* a, const ChainInfo* b) {
                return a->maxTime - a->minTime > b->maxTime - b->minTime;
            });
            const ChainInfo& w = *flagged.front();
            const QString type = m.types[size_t(it.key())].name;
            Finding f;
            f.rule = QStringLiteral("slow-chain");
            f.kind = QStringLiteral("slow-chain");
            f.subjects << type;
            f.title = QStringLiteral("Slow chains from %1").arg(type);
            f.correlation = w.id;
            f.from = w.minTime;
            f.to = w.maxTime;
            f.firstPosition = w.minPos;
            f.lastPosition = w.maxPos;
            f.explanation =
                QStringLiteral("%1 of %2 chains starting with %3 took more than %4× the median (%5); the "
                               "slowest took %6 (%7 to %8)")
                    .arg(number(qint64(flagged.size())), number(qint64(cs.size())), type)
                    .arg(kSlowFactor)
                    .arg(formatDuration(median), formatDuration(w.maxTime - w.minTime),
                         m.streams[size_t(w.firstStream)].name, m.streams[size_t(w.lastStream)].name);
            QSet<int> seen;
            addStream(f, seen, w.firstStream, m.streams);
            addStream(f, seen, w.lastStream, m.streams);
            f.positions << std::min(w.minPos, w.maxPos) << std::max(w.minPos, w.maxPos);
            f.eventCount = w.count;
            const double factor = double(w.maxTime - w.minTime) / double(median);
            f.score = clampScore(
                std::min(70.0, 25 + 10 * std::log10(factor) + 5 * std::log10(double(flagged.size()))));
            slow.push_back(f);
        }
    }

    // ---- rank ----------------------------------------------------------------------------------------
    auto keep = [&](std::vector<Finding>& list) {
        std::sort(list.begin(), list.end(),
                  [](const Finding& a, const Finding& b) { return a.score > b.score; });
        QHash<QString, int> perRule;
        for (Finding& f : list)
            if (++perRule[f.rule] <= m.opt.maxPerRule) out << std::move(f);
    };
    keep(bursts);
    keep(merged);
    keep(loops);
    keep(integrity);
    keep(slow);
    std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
        if (a.score != b.score) return a.score > b.score;
        return a.firstPosition < b.firstPosition;
    });
    for (Finding& f : out)
        f.score = std::round(f.score * 10) / 10;
    return out;
}

struct FindingsFeed
{
    using Prepared = FindingsAnalyzer::Impl::Prepared;
    static void prepare(const Event& e, Prepared* p) { FindingsAnalyzer::Impl::prepare(e, true, p); }
    /// On the analysing thread: the failure status only where add() needs it.
    static void prepareLazily(const Event& e, Prepared* p) { FindingsAnalyzer::Impl::prepare(e, false, p); }
    static void add(FindingsAnalyzer& a, const Event& e, const Prepared& p) { a.d->add(e, p); }
};

namespace {

// Events with the keys the reading thread worked out for each (FindingsAnalyzer::Impl::prepare).
struct EventBatch
{
    std::vector<Event> events;
    std::vector<FindingsFeed::Prepared> keys;
    void clear()
    {
        events.clear();
        keys.clear();
    }
    void reserve(size_t n)
    {
        events.reserve(n);
        keys.reserve(n);
    }
    size_t size() const { return events.size(); }
    bool empty() const { return events.empty(); }
};

// A bounded queue of event batches from the reading thread to the analysing one. Analysed batches go
// back to the reader, which releases their events (the analysing thread is the slower one) and refills
// them without allocating.
class EventBatchQueue
{
public:
    explicit EventBatchQueue(size_t capacity) : m_capacity(capacity) {}

    /// Reader: waits while the queue is full; false once the analysis has stopped.
    bool push(EventBatch&& batch)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [&] { return m_full.size() < m_capacity || m_stopped; });
        if (m_stopped) return false;
        m_full.push_back(std::move(batch));
        m_notEmpty.notify_one();
        return true;
    }
    /// Reader: an empty batch, a returned one when there is one.
    EventBatch recycled()
    {
        EventBatch batch;
        {
            std::lock_guard lock(m_mutex);
            if (!m_spent.empty()) {
                batch = std::move(m_spent.back());
                m_spent.pop_back();
            }
        }
        batch.clear();
        return batch;
    }
    /// Reader: no more batches.
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notEmpty.notify_all();
    }
    /// Analysis: waits for a batch; false once the queue is closed and empty.
    bool pop(EventBatch* batch)
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [&] { return !m_full.empty() || m_closed; });
        if (m_full.empty()) return false;
        *batch = std::move(m_full.front());
        m_full.pop_front();
        m_notFull.notify_one();
        return true;
    }
    void giveBack(EventBatch&& batch)
    {
        std::lock_guard lock(m_mutex);
        m_spent.push_back(std::move(batch));
    }
    size_t queued()
    {
        std::lock_guard lock(m_mutex);
        return m_full.size();
    }
    /// Analysis: stops taking batches (cancelled); a waiting reader wakes up.
    void stop()
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        m_notFull.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_notEmpty, m_notFull;
    std::deque<EventBatch> m_full;
    std::vector<EventBatch> m_spent;
    size_t m_capacity;
    bool m_closed = false;
    bool m_stopped = false;
};

constexpr size_t kBatchEvents = 2048;
constexpr size_t kQueuedBatches = 8;

} // namespace

namespace {

QString cancelledText()
{
    return QStringLiteral("finding what is unusual was cancelled");
}

bool computeSequential(EventReader& reader, FindingsAnalyzer& analyzer, const ProgressFn& progress,
                       const CancelToken& cancel, QString* error)
{
    const qint64 total = reader.info().events;
    qint64 done = 0;
    bool cancelled = false;
    QString readError;
    const bool ok = reader.read(
        EventQuery{},
        [&](const Event& e) {
            if ((done & 0x3ff) == 0 && cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            analyzer.add(e);
            if ((++done & 0x3fff) == 0) {
                if (cancel.isCancelled()) {
                    cancelled = true;
                    return false;
                }
                if (progress) progress(done, total, QStringLiteral("finding what is unusual"));
            }
            return true;
        },
        &readError);
    if (cancelled) {
        if (error) *error = cancelledText();
        return false;
    }
    if (!ok) {
        if (error) *error = readError;
        return false;
    }
    if (progress) progress(done, total, QStringLiteral("finding what is unusual"));
    return true;
}

bool computePipelined(EventReader& reader, FindingsAnalyzer& analyzer, const ProgressFn& progress,
                      const CancelToken& cancel, QString* error)
{
    const qint64 total = reader.info().events;
    EventBatchQueue queue(kQueuedBatches);
    std::atomic<qint64> analysed{0};
    std::atomic<bool> analysisCancelled{false};

    // The analysis: one thread, the batches in the order they were read, so the same findings.
    std::thread worker([&] {
        EventBatch batch;
        while (queue.pop(&batch)) {
            if (cancel.isCancelled()) {
                analysisCancelled = true;
                queue.stop();
                return;
            }
            if (batch.keys.empty()) {
                FindingsFeed::Prepared p;
                for (const Event& e : batch.events) {
                    FindingsFeed::prepareLazily(e, &p);
                    FindingsFeed::add(analyzer, e, p);
                }
            } else {
                for (size_t i = 0; i < batch.size(); ++i)
                    FindingsFeed::add(analyzer, batch.events[i], batch.keys[i]);
            }
            analysed.fetch_add(qint64(batch.size()), std::memory_order_relaxed);
            queue.giveBack(std::move(batch));
            batch = EventBatch();
        }
    });

    qint64 done = 0;
    bool cancelled = false;
    bool stopped = false;
    QString readError;
    // Who works out a batch's keys (pure, so the findings do not depend on it): the reader when the
    // analysis has batches waiting, the analysis when it is waiting for the reader.
    EventBatch batch = queue.recycled();
    batch.reserve(kBatchEvents);
    bool prepareHere = false;
    auto flush = [&] {
        if (batch.empty()) return true;
        if (!queue.push(std::move(batch))) return false;
        batch = queue.recycled();
        batch.reserve(kBatchEvents);
        prepareHere = queue.queued() >= kQueuedBatches / 2;
        return true;
    };
    const bool ok = reader.read(
        EventQuery{},
        [&](const Event& e) {
            if ((done & 0x3ff) == 0 && cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            batch.events.push_back(e);
            if (prepareHere) {
                batch.keys.emplace_back();
                FindingsFeed::prepare(e, &batch.keys.back());
            }
            ++done;
            if (batch.size() >= kBatchEvents && !flush()) {
                stopped = true; // the analysis saw the cancel first
                return false;
            }
            if ((done & 0x3fff) == 0 && progress)
                progress(analysed.load(std::memory_order_relaxed), total,
                         QStringLiteral("finding what is unusual"));
            return true;
        },
        &readError);
    if (ok && !cancelled && !stopped && !flush()) stopped = true;
    queue.close();
    worker.join();
    if (cancelled || stopped || analysisCancelled) {
        if (error) *error = cancelledText();
        return false;
    }
    if (!ok) {
        if (error) *error = readError;
        return false;
    }
    if (progress) progress(analysed.load(), total, QStringLiteral("finding what is unusual"));
    return true;
}

} // namespace

bool computeFindings(EventReader& reader, const FindingsOptions& options, QList<Finding>* out,
                     const ProgressFn& progress, const CancelToken& cancel, QString* error, FindingsMode mode)
{
    FindingsAnalyzer analyzer(options);
    analyzer.reserve(reader.info().events);
    const bool ok = mode == FindingsMode::Pipelined
                        ? computePipelined(reader, analyzer, progress, cancel, error)
                        : computeSequential(reader, analyzer, progress, cancel, error);
    if (!ok) return false;
    *out = analyzer.findings();
    return true;
}

bool loadStoryTones(const QString& storyPath, QHash<QString, QString>* tones, QString* error)
{
    QFile f(storyPath);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error) *error = QStringLiteral("cannot read the story %1: %2").arg(storyPath, f.errorString());
        return false;
    }
    if (f.size() > 64 * 1024 * 1024) {
        if (error) *error = QStringLiteral("the story %1 is larger than 64 MiB").arg(storyPath);
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        if (error)
            *error = QStringLiteral("the story %1 is not a JSON object%2")
                         .arg(storyPath,
                              pe.error != QJsonParseError::NoError
                                  ? QStringLiteral(" (%1 at byte %2)").arg(pe.errorString()).arg(pe.offset)
                                  : QString());
        return false;
    }
    const QJsonObject events =
        doc.object().value(QStringLiteral("glossary")).toObject().value(QStringLiteral("events")).toObject();
    for (auto it = events.begin(); it != events.end(); ++it) {
        const QString tone = it.value().toObject().value(QStringLiteral("tone")).toString();
        if (!tone.isEmpty()) tones->insert(it.key(), tone);
    }
    return true;
}

QByteArray findingToJson(const Finding& f, int rank)
{
    QByteArray out = "{\"rank\":" + QByteArray::number(rank);
    auto str = [&](const char* key, const QString& v) {
        out += ",\"";
        out += key;
        out += "\":";
        appendJsonString(out, v);
    };
    auto time = [&](const char* key, TimeMs t) {
        out += ",\"";
        out += key;
        out += "\":";
        if (t == kNoTime)
            out += "null";
        else
            appendJsonString(out, formatTime(t));
    };
    str("kind", f.kind);
    str("rule", f.rule);
    out += ",\"score\":" + QByteArray::number(f.score, 'f', 1);
    str("title", f.title);
    str("explanation", f.explanation);
    out += ",\"subjects\":[";
    for (qsizetype i = 0; i < f.subjects.size(); ++i) {
        if (i) out += ',';
        appendJsonString(out, f.subjects[i]);
    }
    out += ']';
    time("from", f.from);
    time("to", f.to);
    out += ",\"firstPosition\":" + QByteArray::number(f.firstPosition);
    out += ",\"lastPosition\":" + QByteArray::number(f.lastPosition);
    out += ",\"eventCount\":" + QByteArray::number(f.eventCount);
    out += ",\"positions\":[";
    for (qsizetype i = 0; i < f.positions.size(); ++i) {
        if (i) out += ',';
        out += QByteArray::number(f.positions[i]);
    }
    out += "],\"streamCount\":" + QByteArray::number(f.streamCount);
    out += ",\"streams\":[";
    for (qsizetype i = 0; i < f.streams.size(); ++i) {
        if (i) out += ',';
        appendJsonString(out, f.streams[i]);
    }
    out += "],\"correlation\":";
    if (f.correlation.isEmpty())
        out += "null";
    else
        appendJsonString(out, f.correlation);
    out += '}';
    return out;
}

} // namespace chronoscope
