#include "timelineindex.h"

#include "store/eventreader.h"

#include <QCoreApplication>
#include <QDataStream>
#include <QFile>
#include <QSaveFile>

#include <algorithm>
#include <limits>

namespace chronoscope {

qint64 TimelineIndex::firstTime() const
{
    return byTime.empty() ? 0 : entries[byTime.front()].time;
}

qint64 TimelineIndex::lastTime() const
{
    return byTime.empty() ? 0 : entries[byTime.back()].time;
}

qint64 TimelineIndex::rowOfPosition(qint64 position) const
{
    const qint64 r = rowAtOrBefore(position);
    return (r >= 0 && entries[size_t(r)].position == position) ? r : -1;
}

qint64 TimelineIndex::rowAtOrBefore(qint64 position) const
{
    auto it = std::upper_bound(entries.begin(), entries.end(), position,
                               [](qint64 p, const Entry& e) { return p < e.position; });
    return qint64(it - entries.begin()) - 1;
}

qint64 TimelineIndex::timeLowerBound(qint64 t) const
{
    auto it = std::lower_bound(byTime.begin(), byTime.end(), t,
                               [this](quint32 row, qint64 v) { return entries[row].time < v; });
    return qint64(it - byTime.begin());
}

qint64 TimelineIndex::rowAtTime(qint64 t) const
{
    auto it = std::upper_bound(byTime.begin(), byTime.end(), t,
                               [this](qint64 v, quint32 row) { return v < entries[row].time; });
    if (it == byTime.begin())
        return -1;
    return *(it - 1);
}

qint64 TimelineIndex::laneLowerBound(int lane, qint64 t) const
{
    const auto& rows = laneRows[size_t(lane)];
    auto it = std::lower_bound(rows.begin(), rows.end(), t,
                               [this](quint32 row, qint64 v) { return entries[row].time < v; });
    return qint64(it - rows.begin());
}

void TimelineIndex::finish()
{
    m_laneByName.clear();
    m_typeByName.clear();
    for (int i = 0; i < streams.size(); ++i)
        m_laneByName.insert(streams[i], i);
    for (int i = 0; i < types.size(); ++i)
        m_typeByName.insert(types[i], i);
}

namespace {

// Per-lane rows (time order) and stream summaries, from entries and byTime.
void computeLanes(TimelineIndex& index)
{
    const auto& entries = index.entries;
    const int laneCount = int(index.streams.size());
    index.laneRows.assign(size_t(laneCount), {});
    std::vector<quint32> laneSizes(static_cast<size_t>(laneCount), 0);
    for (const auto& e : entries)
        ++laneSizes[e.lane];
    for (int l = 0; l < laneCount; ++l)
        index.laneRows[size_t(l)].reserve(laneSizes[size_t(l)]);
    for (quint32 row : index.byTime)
        index.laneRows[entries[row].lane].push_back(row);
    index.sortedTimes.resize(index.byTime.size());
    for (size_t k = 0; k < index.byTime.size(); ++k)
        index.sortedTimes[k] = entries[index.byTime[k]].time;
    index.lanePoints.assign(size_t(laneCount), {});
    for (int l = 0; l < laneCount; ++l) {
        const auto& rows = index.laneRows[size_t(l)];
        auto& points = index.lanePoints[size_t(l)];
        points.resize(rows.size());
        for (size_t k = 0; k < rows.size(); ++k)
            points[k] = {entries[rows[k]].time, entries[rows[k]].type};
    }

    // Stream summaries from the events themselves, so they agree with what the lanes show.
    index.streamInfos.clear();
    index.streamInfos.reserve(laneCount);
    for (int l = 0; l < laneCount; ++l) {
        StreamInfo s;
        s.stream = index.streams[l];
        const auto& rows = index.laneRows[size_t(l)];
        s.events = qint64(rows.size());
        bool firstSeen = false;
        for (quint32 r : rows) {
            const auto& e = entries[r];
            if (!firstSeen) {
                s.firstVersion = s.lastVersion = e.version;
                s.firstPosition = s.lastPosition = e.position;
                firstSeen = true;
            }
            s.firstVersion = std::min(s.firstVersion, e.version);
            s.lastVersion = std::max(s.lastVersion, e.version);
            s.firstPosition = std::min(s.firstPosition, e.position);
            s.lastPosition = std::max(s.lastPosition, e.position);
        }
        if (!rows.empty()) {
            s.firstTime = entries[rows.front()].time;
            s.lastTime = entries[rows.back()].time;
        }
        index.streamInfos.append(s);
    }
}

} // namespace

bool naturalLess(const QString& a, const QString& b)
{
    const QChar* p = a.constData();
    const QChar* q = b.constData();
    const QChar* pe = p + a.size();
    const QChar* qe = q + b.size();
    while (p < pe && q < qe) {
        if (p->isDigit() && q->isDigit()) {
            const QChar* ps = p;
            const QChar* qs = q;
            while (ps < pe && *ps == QLatin1Char('0'))
                ++ps;
            while (qs < qe && *qs == QLatin1Char('0'))
                ++qs;
            const QChar* pd = ps;
            const QChar* qd = qs;
            while (pd < pe && pd->isDigit())
                ++pd;
            while (qd < qe && qd->isDigit())
                ++qd;
            if (pd - ps != qd - qs)
                return pd - ps < qd - qs; // fewer significant digits: smaller number
            for (; ps < pd; ++ps, ++qs)
                if (*ps != *qs)
                    return *ps < *qs;
            if ((pd - p) != (qd - q))
                return (pd - p) < (qd - q); // same value: fewer leading zeros first
            p = pd;
            q = qd;
            continue;
        }
        if (*p != *q)
            return *p < *q;
        ++p;
        ++q;
    }
    return (pe - p) < (qe - q);
}

TimelineIndexBuilder::TimelineIndexBuilder(const StoreInfo& info, qint64 expectedEvents)
    : m_index(std::make_shared<TimelineIndex>())
{
    m_index->info = info;
    m_index->timeKnown = info.timeKnown;
    if (expectedEvents > 0)
        m_index->entries.reserve(size_t(expectedEvents));
}

void TimelineIndexBuilder::add(const Event& e)
{
    TimelineIndex::Entry entry;
    entry.position = e.position;
    entry.version = e.version;
    entry.time = (e.time == kNoTime || !m_index->timeKnown) ? e.position : e.time;
    // Both caches hit nearly always: events of one stream and of one type come in runs.
    if (m_lastLane < 0 || e.stream != m_lastStream) {
        m_lastStream = e.stream;
        auto it = m_laneIds.find(e.stream);
        if (it == m_laneIds.end()) {
            it = m_laneIds.insert(e.stream, int(m_index->streams.size()));
            m_index->streams.append(e.stream);
        }
        m_lastLane = *it;
    }
    if (m_lastTypeId < 0 || e.type != m_lastType) {
        m_lastType = e.type;
        auto it = m_typeIds.find(e.type);
        if (it == m_typeIds.end()) {
            it = m_typeIds.insert(e.type, int(m_index->types.size()));
            m_index->types.append(e.type);
            m_index->typeCounts.push_back(0);
        }
        m_lastTypeId = *it;
    }
    entry.lane = quint32(m_lastLane);
    entry.type = quint32(m_lastTypeId);
    ++m_index->typeCounts[size_t(m_lastTypeId)];
    m_index->entries.push_back(entry);
}

std::shared_ptr<const TimelineIndex> TimelineIndexBuilder::finish()
{
    auto index = m_index;
    auto& entries = index->entries;
    // Sources deliver position order; make sure (a corrupt source must not break the binary searches).
    auto byPosition = [](const auto& a, const auto& b) { return a.position < b.position; };
    if (!std::is_sorted(entries.begin(), entries.end(), byPosition))
        std::stable_sort(entries.begin(), entries.end(), byPosition);

    // Lanes in stream-name order, as the stream browser lists them.
    const int laneCount = int(index->streams.size());
    QList<int> order(laneCount);
    for (int i = 0; i < laneCount; ++i)
        order[i] = i;
    // Natural order (order-2 before order-10), as people number their aggregates.
    std::sort(order.begin(), order.end(), [&](int a, int b) { return naturalLess(index->streams[a], index->streams[b]); });
    std::vector<quint32> remap(static_cast<size_t>(laneCount));
    QStringList names;
    names.reserve(laneCount);
    for (int i = 0; i < laneCount; ++i) {
        remap[size_t(order[i])] = quint32(i);
        names.append(index->streams[order[i]]);
    }
    index->streams = names;
    for (auto& e : entries)
        e.lane = remap[e.lane];

    index->byTime.resize(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        index->byTime[i] = quint32(i);
    auto timeOrder = [&entries](quint32 a, quint32 b) {
        return entries[a].time != entries[b].time ? entries[a].time < entries[b].time : a < b;
    };
    if (!std::is_sorted(index->byTime.begin(), index->byTime.end(), timeOrder))
        std::sort(index->byTime.begin(), index->byTime.end(), timeOrder);

    computeLanes(*index);
    index->finish();
    StoreInfo& info = index->info;
    info.events = qint64(entries.size());
    info.streams = laneCount;
    if (!entries.empty()) {
        info.firstPosition = entries.front().position;
        info.lastPosition = entries.back().position;
        if (index->timeKnown) {
            info.firstTime = index->firstTime();
            info.lastTime = index->lastTime();
        }
    }
    m_index = std::make_shared<TimelineIndex>();
    return index;
}

std::shared_ptr<const TimelineIndex> TimelineIndex::extended(const QList<Event>& events) const
{
    auto index = std::make_shared<TimelineIndex>(*this);
    qint64 lastPosition = entries.empty() ? 0 : entries.back().position;
    const qint64 lastTimeBefore = byTime.empty() ? std::numeric_limits<qint64>::min() : lastTime();
    const int lanesBefore = int(streams.size());
    bool inOrder = true;
    qint64 previousTime = lastTimeBefore;
    std::vector<quint32> newRows;
    for (const Event& e : events) {
        if (e.position <= lastPosition)
            continue; // already indexed (a page read twice, or a commit seen before)
        lastPosition = e.position;
        Entry entry;
        entry.position = e.position;
        entry.version = e.version;
        entry.time = (e.time == kNoTime || !index->timeKnown) ? e.position : e.time;
        auto lane = index->m_laneByName.constFind(e.stream);
        if (lane == index->m_laneByName.constEnd()) {
            lane = index->m_laneByName.insert(e.stream, int(index->streams.size()));
            index->streams.append(e.stream);
        }
        auto type = index->m_typeByName.constFind(e.type);
        if (type == index->m_typeByName.constEnd()) {
            type = index->m_typeByName.insert(e.type, int(index->types.size()));
            index->types.append(e.type);
            index->typeCounts.push_back(0);
        }
        entry.lane = quint32(*lane);
        entry.type = quint32(*type);
        ++index->typeCounts[entry.type];
        if (entry.time < previousTime)
            inOrder = false;
        previousTime = entry.time;
        newRows.push_back(quint32(index->entries.size()));
        index->entries.push_back(entry);
    }
    if (newRows.empty())
        return index;

    if (int(index->streams.size()) == lanesBefore && inOrder) {
        // Appending keeps every ordering sorted: later times, and rows after all earlier rows.
        for (quint32 row : newRows) {
            const Entry& e = index->entries[row];
            index->byTime.push_back(row);
            index->sortedTimes.push_back(e.time);
            index->laneRows[e.lane].push_back(row);
            index->lanePoints[e.lane].push_back({e.time, e.type});
            StreamInfo& s = index->streamInfos[int(e.lane)];
            if (s.events == 0) {
                s.firstVersion = s.lastVersion = e.version;
                s.firstPosition = e.position;
                s.firstTime = e.time;
            }
            ++s.events;
            s.firstVersion = std::min(s.firstVersion, e.version);
            s.lastVersion = std::max(s.lastVersion, e.version);
            s.lastPosition = e.position;
            s.lastTime = e.time;
        }
    } else {
        // A new stream takes its place in name order (lane numbers move), or time went back: re-sort in memory.
        const int laneCount = int(index->streams.size());
        QList<int> order(laneCount);
        for (int i = 0; i < laneCount; ++i)
            order[i] = i;
        std::sort(order.begin(), order.end(), [&](int a, int b) { return naturalLess(index->streams[a], index->streams[b]); });
        std::vector<quint32> remap(static_cast<size_t>(laneCount));
        QStringList names;
        names.reserve(laneCount);
        for (int i = 0; i < laneCount; ++i) {
            remap[size_t(order[i])] = quint32(i);
            names.append(index->streams[order[i]]);
        }
        index->streams = names;
        for (auto& e : index->entries)
            e.lane = remap[e.lane];
        auto& all = index->entries;
        for (quint32 row : newRows)
            index->byTime.push_back(row);
        std::stable_sort(index->byTime.begin(), index->byTime.end(), [&all](quint32 a, quint32 b) {
            return all[a].time != all[b].time ? all[a].time < all[b].time : a < b;
        });
        computeLanes(*index);
        index->finish();
    }
    StoreInfo& info = index->info;
    info.events = index->size();
    info.streams = index->streams.size();
    info.lastPosition = index->entries.back().position;
    if (info.firstPosition <= 0)
        info.firstPosition = index->entries.front().position;
    if (index->timeKnown) {
        info.firstTime = index->firstTime();
        info.lastTime = index->lastTime();
    }
    return index;
}

std::shared_ptr<const TimelineIndex> buildTimelineIndex(EventReader& reader, const CancelToken& cancel,
                                                        const ProgressFn& progress, QString* error)
{
    const StoreInfo info = reader.info();
    const qint64 total = info.events;
    TimelineIndexBuilder builder(info, total);
    QString readError;
    bool stopped = false;
    const bool ok = reader.read(EventQuery{}, [&](const Event& e) {
        if ((builder.count() & 0x3fff) == 0) {
            if (cancel.isCancelled()) {
                stopped = true;
                return false;
            }
            if (progress)
                progress(builder.count(), total, QCoreApplication::translate("TimelineIndex", "Indexing events"));
        }
        builder.add(e);
        return true;
    }, &readError);
    if (stopped || cancel.isCancelled()) {
        if (error)
            *error = QCoreApplication::translate("TimelineIndex", "Cancelled");
        return nullptr;
    }
    if (!ok) {
        if (error)
            *error = readError.isEmpty() ? QCoreApplication::translate("TimelineIndex", "The store could not be read") : readError;
        return nullptr;
    }
    auto index = builder.finish();
    if (progress)
        progress(index->size(), index->size(), QCoreApplication::translate("TimelineIndex", "Indexed"));
    return index;
}

namespace {
constexpr quint32 kIndexMagic = 0x43534958; // "CSIX"
constexpr quint32 kIndexFormat = 1;

template<typename T>
void writeVector(QDataStream& out, const std::vector<T>& v)
{
    out << quint64(v.size());
    out.writeRawData(reinterpret_cast<const char*>(v.data()), int(v.size() * sizeof(T)));
}

template<typename T>
bool readVector(QDataStream& in, std::vector<T>& v, quint64 maxSize)
{
    quint64 n = 0;
    in >> n;
    if (in.status() != QDataStream::Ok || n > maxSize)
        return false;
    v.resize(size_t(n));
    const qint64 bytes = qint64(n * sizeof(T));
    return in.readRawData(reinterpret_cast<char*>(v.data()), int(bytes)) == bytes;
}
} // namespace

bool saveTimelineIndex(const TimelineIndex& index, const QString& path, const QByteArray& key, QString* error)
{
    // Written beside the target and renamed into place, so a reader never sees half a file.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    QDataStream out(&file);
    out.setVersion(QDataStream::Qt_6_4);
    out << kIndexMagic << kIndexFormat << key;
    const StoreInfo& i = index.info;
    out << i.layout << i.location << i.events << i.streams << i.firstPosition << i.lastPosition << i.firstTime << i.lastTime
        << i.timeKnown << i.warnings << index.timeKnown;
    out << index.streams << index.types;
    writeVector(out, index.typeCounts);
    writeVector(out, index.entries);
    writeVector(out, index.byTime);
    if (out.status() != QDataStream::Ok || !file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

std::shared_ptr<const TimelineIndex> loadTimelineIndex(const QString& path, const QByteArray& key, QString* error)
{
    auto fail = [error](const QString& why) -> std::shared_ptr<const TimelineIndex> {
        if (error)
            *error = why;
        return nullptr;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(file.errorString());
    QDataStream in(&file);
    in.setVersion(QDataStream::Qt_6_4);
    quint32 magic = 0, format = 0;
    QByteArray storedKey;
    in >> magic >> format >> storedKey;
    if (magic != kIndexMagic || format != kIndexFormat)
        return fail(QStringLiteral("not a timeline index of this version"));
    if (storedKey != key)
        return fail(QStringLiteral("the index belongs to another version of the store"));
    auto index = std::make_shared<TimelineIndex>();
    StoreInfo& i = index->info;
    in >> i.layout >> i.location >> i.events >> i.streams >> i.firstPosition >> i.lastPosition >> i.firstTime >> i.lastTime
        >> i.timeKnown >> i.warnings >> index->timeKnown;
    in >> index->streams >> index->types;
    const quint64 limit = quint64(file.size());
    if (in.status() != QDataStream::Ok || !readVector(in, index->typeCounts, limit) || !readVector(in, index->entries, limit)
        || !readVector(in, index->byTime, limit))
        return fail(QStringLiteral("truncated or damaged index file"));
    // Check everything the binary searches and array lookups rely on: a damaged cache must never crash.
    const auto& e = index->entries;
    if (index->byTime.size() != e.size() || index->typeCounts.size() != size_t(index->types.size()))
        return fail(QStringLiteral("inconsistent index file"));
    for (size_t k = 0; k < e.size(); ++k) {
        if (e[k].lane >= quint32(index->streams.size()) || e[k].type >= quint32(index->types.size())
            || (k > 0 && e[k - 1].position >= e[k].position))
            return fail(QStringLiteral("inconsistent index file"));
        const quint32 r = index->byTime[k];
        if (r >= e.size() || (k > 0 && e[index->byTime[k - 1]].time > e[r].time))
            return fail(QStringLiteral("inconsistent index file"));
    }
    computeLanes(*index);
    index->finish();
    return index;
}

} // namespace chronoscope
