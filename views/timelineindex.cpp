#include "timelineindex.h"

#include "store/eventreader.h"

#include <QCoreApplication>

#include <algorithm>

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

std::shared_ptr<const TimelineIndex> buildTimelineIndex(EventReader& reader, const CancelToken& cancel,
                                                        const ProgressFn& progress, QString* error)
{
    auto index = std::make_shared<TimelineIndex>();
    index->info = reader.info();
    index->streamInfos = reader.streams();
    index->timeKnown = index->info.timeKnown;
    for (const StreamInfo& s : index->streamInfos)
        index->streams.append(s.stream);
    index->finish();
    index->laneRows.resize(size_t(index->streams.size()));
    const qint64 total = index->info.events;
    if (total > 0)
        index->entries.reserve(size_t(total));

    QHash<QString, int> typeIds;
    // Both caches hit nearly always: events of one stream and one type come in runs.
    QString lastStream, lastType;
    int lastLane = -1, lastTypeId = -1;
    QString readError;
    bool stopped = false;
    const bool ok = reader.read(EventQuery{}, [&](const Event& e) {
        if ((index->entries.size() & 0x3fff) == 0) {
            if (cancel.isCancelled()) {
                stopped = true;
                return false;
            }
            if (progress)
                progress(qint64(index->entries.size()), total, QCoreApplication::translate("TimelineIndex", "Indexing events"));
        }
        TimelineIndex::Entry entry;
        entry.position = e.position;
        entry.version = e.version;
        entry.time = (e.time == kNoTime || !index->timeKnown) ? e.position : e.time;
        if (e.stream != lastStream || lastLane < 0) {
            lastStream = e.stream;
            lastLane = index->laneOf(e.stream);
            if (lastLane < 0) {
                // The summary missed this stream (a source whose summary is approximate): add a lane.
                lastLane = int(index->streams.size());
                index->streams.append(e.stream);
                StreamInfo s;
                s.stream = e.stream;
                index->streamInfos.append(s);
                index->laneRows.emplace_back();
                index->finish();
            }
        }
        if (e.type != lastType || lastTypeId < 0) {
            lastType = e.type;
            auto it = typeIds.find(e.type);
            if (it == typeIds.end()) {
                it = typeIds.insert(e.type, int(index->types.size()));
                index->types.append(e.type);
                index->typeCounts.push_back(0);
            }
            lastTypeId = *it;
        }
        entry.lane = quint32(lastLane);
        entry.type = quint32(lastTypeId);
        ++index->typeCounts[size_t(lastTypeId)];
        index->entries.push_back(entry);
        return true;
    }, &readError);
    if (stopped) {
        if (error)
            *error = QCoreApplication::translate("TimelineIndex", "Cancelled");
        return nullptr;
    }
    if (!ok) {
        if (error)
            *error = readError;
        return nullptr;
    }

    auto& entries = index->entries;
    // Sources deliver position order; make sure (a corrupt source must not break the binary searches).
    if (!std::is_sorted(entries.begin(), entries.end(),
                        [](const auto& a, const auto& b) { return a.position < b.position; }))
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return a.position < b.position; });

    index->byTime.resize(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        index->byTime[i] = quint32(i);
    auto timeOrder = [&entries](quint32 a, quint32 b) {
        return entries[a].time != entries[b].time ? entries[a].time < entries[b].time : a < b;
    };
    if (!std::is_sorted(index->byTime.begin(), index->byTime.end(), timeOrder))
        std::sort(index->byTime.begin(), index->byTime.end(), timeOrder);

    std::vector<quint32> laneSizes(index->laneRows.size(), 0);
    for (const auto& e : entries)
        ++laneSizes[e.lane];
    for (size_t l = 0; l < laneSizes.size(); ++l)
        index->laneRows[l].reserve(laneSizes[l]);
    for (quint32 row : index->byTime)
        index->laneRows[entries[row].lane].push_back(row);

    // Stream summaries of sources that do not count (or lanes added above) are completed from the index.
    for (size_t l = 0; l < index->laneRows.size(); ++l) {
        StreamInfo& s = index->streamInfos[qsizetype(l)];
        const auto& rows = index->laneRows[l];
        if (rows.empty())
            continue;
        if (s.events <= 0) {
            s.events = qint64(rows.size());
            s.firstTime = entries[rows.front()].time;
            s.lastTime = entries[rows.back()].time;
        }
    }
    if (index->info.events <= 0)
        index->info.events = qint64(entries.size());
    if (progress)
        progress(qint64(entries.size()), qint64(entries.size()), QCoreApplication::translate("TimelineIndex", "Indexed"));
    return index;
}

} // namespace chronoscope
