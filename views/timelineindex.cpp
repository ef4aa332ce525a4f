#include "timelineindex.h"

#include "store/eventreader.h"

#include <QCoreApplication>
#include <QDataStream>
#include <QFile>
#include <QSaveFile>
#include <QSet>

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
    finish(nullptr);
}

void TimelineIndex::finish(std::vector<quint32>* order)
{
    for (auto& shard : m_laneByName) {
        shard.clear();
        shard.reserve(qsizetype(streams.size() / kShards + streams.size() / (kShards * 8) + 1)); // no rehash while filling
    }
    m_typeByName.clear();
    for (int i = 0; i < streams.size(); ++i)
        m_laneByName[shardOf(streams[i])].insert(streams[i], i);
    for (int i = 0; i < types.size(); ++i)
        m_typeByName.insert(types[i], i);
    // Display order: natural name order (order-2 before order-10), as people number their aggregates. A
    // cached index brings it along (checked by the loader): sorting 2M names costs seconds.
    if (order) {
        laneOrder.assign(order->begin(), order->end());
    } else {
        std::vector<quint32> sorted(size_t(streams.size()));
        for (size_t i = 0; i < sorted.size(); ++i)
            sorted[i] = quint32(i);
        std::sort(sorted.begin(), sorted.end(), [this](quint32 a, quint32 b) { return naturalLess(streams[int(a)], streams[int(b)]); });
        laneOrder.assign(sorted.begin(), sorted.end());
    }
    m_rankCache.clear();
    m_staleRankLookups = 0;
    reserveAhead();
}

void TimelineIndex::reserveAhead()
{
    // Reserve only when less than half the room is left, so calling it again is cheap.
    auto ahead = [](auto& v, size_t minimum) {
        const size_t room = std::max(size_t(v.size()), minimum);
        if (size_t(v.capacity()) - size_t(v.size()) < room / 2)
            v.reserve(decltype(v.size())(size_t(v.size()) + room));
    };
    ahead(byTime, kRowsAhead);
    ahead(sortedTimes, kRowsAhead);
    ahead(streams, kLanesAhead);
    ahead(streamInfos, kLanesAhead);
    ahead(laneRows, kLanesAhead);
    ahead(lanePoints, kLanesAhead);
}

int TimelineIndex::searchRank(int lane) const
{
    // laneOrder is sorted by naturalLess: the lane is in the run of names equal to its own.
    const QString& name = streams[lane];
    auto at = laneOrder.iteratorAt(laneOrder.lowerBound(name, [this](quint32 l, const QString& n) { return naturalLess(streams[int(l)], n); }));
    for (; at != laneOrder.end() && !naturalLess(name, streams[int(*at)]); ++at)
        if (int(*at) == lane)
            return int(at.index());
    return -1;
}

int TimelineIndex::rankOfLane(int lane) const
{
    if (lane < 0 || size_t(lane) >= laneOrder.size())
        return -1;
    if (m_rankCache.size() == laneOrder.size())
        return m_rankCache[size_t(lane)];
    if (++m_staleRankLookups <= kStaleRankLookups)
        return searchRank(lane);
    rebuildRankCache(); // many lookups since laneOrder changed (a proxy sorting by name): one pass is cheaper
    return m_rankCache[size_t(lane)];
}

void TimelineIndex::rebuildRankCache() const
{
    m_rankCache.assign(laneOrder.size(), 0);
    int k = 0;
    for (quint32 l : laneOrder)
        m_rankCache[l] = k++;
    m_staleRankLookups = 0;
}

void TimelineIndex::sortLanes(QList<int>& lanes) const
{
    if (m_rankCache.size() != laneOrder.size() && lanes.size() > 8)
        rebuildRankCache(); // a sort looks every lane up several times
    std::sort(lanes.begin(), lanes.end(), [this](int a, int b) { return rankOfLane(a) < rankOfLane(b); });
}

namespace {

// Per-lane rows (time order) and stream summaries, from entries and byTime.
void computeLanes(TimelineIndex& index)
{
    const auto& entries = index.entries;
    const int laneCount = int(index.streams.size());
    index.laneRows.assign(size_t(laneCount), {});
    std::vector<quint32> laneSizes(static_cast<size_t>(laneCount), 0);
    for (size_t r = 0; r < entries.size(); ++r)
        ++laneSizes[entries[r].lane];
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
    index.streamInfos.reserve(size_t(laneCount));
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
        index.streamInfos.push_back(s);
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
        m_entries.reserve(size_t(expectedEvents));
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
    m_entries.push_back(entry);
}

std::shared_ptr<const TimelineIndex> TimelineIndexBuilder::finish()
{
    auto index = m_index;
    auto& entries = m_entries;
    // Sources deliver position order; make sure (a corrupt source must not break the binary searches).
    auto byPosition = [](const auto& a, const auto& b) { return a.position < b.position; };
    if (!std::is_sorted(entries.begin(), entries.end(), byPosition))
        std::stable_sort(entries.begin(), entries.end(), byPosition);

    // Lanes keep the order of first appearance; finish() puts them in name order for display (laneOrder).
    const int laneCount = int(index->streams.size());

    index->byTime.resize(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        index->byTime[i] = quint32(i);
    auto timeOrder = [&entries](quint32 a, quint32 b) {
        return entries[a].time != entries[b].time ? entries[a].time < entries[b].time : a < b;
    };
    if (!std::is_sorted(index->byTime.begin(), index->byTime.end(), timeOrder))
        std::sort(index->byTime.begin(), index->byTime.end(), timeOrder);
    index->entries.assign(entries);
    entries = {};

    computeLanes(*index);
    index->finish();
    StoreInfo& info = index->info;
    info.events = qint64(index->entries.size());
    info.streams = laneCount;
    if (!index->entries.empty()) {
        info.firstPosition = index->entries.front().position;
        info.lastPosition = index->entries.back().position;
        if (index->timeKnown) {
            info.firstTime = index->firstTime();
            info.lastTime = index->lastTime();
        }
    }
    m_index = std::make_shared<TimelineIndex>();
    m_laneIds.clear();
    m_typeIds.clear();
    m_lastLane = m_lastTypeId = -1;
    return index;
}

std::shared_ptr<const TimelineIndex> TimelineIndex::extended(const QList<Event>& events) const
{
    auto index = std::make_shared<TimelineIndex>(*this);
    index->append(events);
    return index;
}

TimelineAppend TimelineIndex::append(const QList<Event>& events)
{
    TimelineAppend d;
    d.known = true;
    d.rowsBefore = size();
    d.lanesBefore = int(streams.size());
    d.typesBefore = int(types.size());
    d.wasEmpty = isEmpty();
    d.firstTimeBefore = isEmpty() ? 0 : firstTime();
    d.lastTimeBefore = isEmpty() ? 0 : lastTime();
    d.firstTimeSlotChanged = qint64(byTime.size());
    qint64 lastPosition = entries.empty() ? 0 : entries.back().position;
    QList<int> changedLanes;
    for (const Event& e : events) {
        if (e.position <= lastPosition)
            continue; // already indexed (a page read twice, or a commit seen before)
        lastPosition = e.position;
        Entry entry;
        entry.position = e.position;
        entry.version = e.version;
        entry.time = (e.time == kNoTime || !timeKnown) ? e.position : e.time;
        QHash<QString, int>& shard = m_laneByName[shardOf(e.stream)];
        auto lane = shard.constFind(e.stream);
        if (lane == shard.constEnd()) {
            // A new stream gets the next lane number (nothing indexed or shown is renumbered) and its place
            // in the display order.
            lane = shard.insert(e.stream, int(streams.size()));
            streams.append(e.stream);
            StreamInfo s;
            s.stream = e.stream;
            streamInfos.push_back(s);
            laneRows.emplace_back();
            lanePoints.emplace_back();
            laneOrder.insert(laneOrder.lowerBound(e.stream, [this](quint32 l, const QString& name) { return naturalLess(streams[int(l)], name); }),
                             quint32(*lane));
            m_rankCache.clear();
            m_staleRankLookups = 0;
            d.newLanes.append(*lane);
        }
        auto type = m_typeByName.constFind(e.type);
        if (type == m_typeByName.constEnd()) {
            type = m_typeByName.insert(e.type, int(types.size()));
            types.append(e.type);
            typeCounts.push_back(0);
        }
        entry.lane = quint32(*lane);
        entry.type = quint32(*type);
        ++typeCounts[entry.type];
        const auto row = quint32(entries.size());
        entries.push_back(entry);
        if (changedLanes.isEmpty() || changedLanes.last() != *lane)
            changedLanes.append(*lane);

        // Time order: after every equal time (rows break ties, and this row is the largest).
        if (sortedTimes.empty() || entry.time >= sortedTimes.back()) {
            byTime.push_back(row);
            sortedTimes.push_back(entry.time);
        } else {
            const auto at = std::upper_bound(sortedTimes.begin(), sortedTimes.end(), entry.time);
            const auto slot = at - sortedTimes.begin();
            sortedTimes.insert(at, entry.time);
            byTime.insert(byTime.begin() + slot, row);
            d.firstTimeSlotChanged = std::min<qint64>(d.firstTimeSlotChanged, qint64(slot));
        }
        auto& rows = laneRows[size_t(*lane)];
        auto& points = lanePoints[size_t(*lane)];
        if (points.empty() || entry.time >= points.back().time) {
            rows.push_back(row);
            points.push_back({entry.time, entry.type});
        } else {
            const auto at = std::upper_bound(points.begin(), points.end(), entry.time,
                                             [](qint64 t, const LanePoint& p) { return t < p.time; });
            const auto k = at - points.begin();
            points.insert(at, {entry.time, entry.type});
            rows.insert(rows.begin() + k, row);
        }
        StreamInfo& s = streamInfos[*lane];
        if (s.events == 0) {
            s.firstVersion = s.lastVersion = entry.version;
            s.firstPosition = s.lastPosition = entry.position;
            s.firstTime = s.lastTime = entry.time;
        }
        ++s.events;
        s.firstVersion = std::min(s.firstVersion, entry.version);
        s.lastVersion = std::max(s.lastVersion, entry.version);
        s.lastPosition = std::max(s.lastPosition, entry.position);
        s.firstTime = points.front().time;
        s.lastTime = points.back().time;
    }
    if (entries.size() == size_t(d.rowsBefore))
        return d;
    ++generation;
    const QSet<int> changed(changedLanes.begin(), changedLanes.end());
    d.changedLanes = QList<int>(changed.begin(), changed.end());
    std::sort(d.changedLanes.begin(), d.changedLanes.end());

    info.events = size();
    info.streams = streams.size();
    info.lastPosition = entries.back().position;
    if (info.firstPosition <= 0)
        info.firstPosition = entries.front().position;
    if (timeKnown) {
        info.firstTime = firstTime();
        info.lastTime = lastTime();
    }
    return d;
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
constexpr quint32 kIndexFormat = 2; // 2: the display order (laneOrder) after the type counts

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
    writeVector(out, index.laneOrder.toVector());
    out << quint64(index.entries.size());
    for (const auto& chunk : index.entries.chunks())
        out.writeRawData(reinterpret_cast<const char*>(chunk.data()), int(chunk.size() * sizeof(TimelineIndex::Entry)));
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
    std::vector<TimelineIndex::Entry> e;
    std::vector<quint32> order;
    if (in.status() != QDataStream::Ok || !readVector(in, index->typeCounts, limit) || !readVector(in, order, limit)
        || !readVector(in, e, limit) || !readVector(in, index->byTime, limit))
        return fail(QStringLiteral("truncated or damaged index file"));
    // The display order must be every lane once, in natural name order: the searches in it rely on that.
    if (order.size() != size_t(index->streams.size()))
        return fail(QStringLiteral("inconsistent index file"));
    {
        std::vector<bool> seen(order.size(), false);
        for (size_t k = 0; k < order.size(); ++k) {
            if (order[k] >= order.size() || seen[order[k]]
                || (k > 0 && naturalLess(index->streams[int(order[k])], index->streams[int(order[k - 1])])))
                return fail(QStringLiteral("inconsistent index file"));
            seen[order[k]] = true;
        }
    }
    // Check everything the binary searches and array lookups rely on: a damaged cache must never crash.
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
    index->entries.assign(e);
    computeLanes(*index);
    index->finish(&order);
    return index;
}

} // namespace chronoscope
