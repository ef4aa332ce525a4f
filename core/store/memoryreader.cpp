#include "store/memoryreader.h"

#include <QMap>

namespace chronoscope {

MemoryReader::MemoryReader(QList<Event> events, QString layout) : m_layout(std::move(layout))
{
    qint64 next = 1;
    for (Event& e : events) {
        if (e.position == 0)
            e.position = next;
        next = e.position + 1;
        if (e.metadata.isEmpty())
            e.metadata = "{}";
    }
    m_events = std::make_shared<const QList<Event>>(std::move(events));
}

StoreInfo MemoryReader::info()
{
    StoreInfo s;
    s.layout = m_layout;
    s.events = m_events->size();
    s.streams = streams().size();
    bool anyTime = false;
    if (!m_events->isEmpty()) {
        s.firstPosition = m_events->first().position;
        s.lastPosition = m_events->last().position;
        for (const Event& e : *m_events) {
            if (e.time == kNoTime)
                continue;
            anyTime = true;
            if (s.firstTime == kNoTime || e.time < s.firstTime)
                s.firstTime = e.time;
            if (s.lastTime == kNoTime || e.time > s.lastTime)
                s.lastTime = e.time;
        }
    }
    s.timeKnown = anyTime || m_events->isEmpty();
    return s;
}

QList<StreamInfo> MemoryReader::streams()
{
    QMap<QString, StreamInfo> byName;
    for (const Event& e : *m_events) {
        auto it = byName.find(e.stream);
        if (it == byName.end()) {
            StreamInfo s;
            s.stream = e.stream;
            s.firstVersion = s.lastVersion = e.version;
            s.firstPosition = s.lastPosition = e.position;
            s.firstTime = s.lastTime = e.time;
            it = byName.insert(e.stream, s);
        }
        StreamInfo& s = *it;
        ++s.events;
        s.firstVersion = std::min(s.firstVersion, e.version);
        s.lastVersion = std::max(s.lastVersion, e.version);
        s.lastPosition = e.position;
        if (e.time != kNoTime) {
            if (s.firstTime == kNoTime || e.time < s.firstTime)
                s.firstTime = e.time;
            if (s.lastTime == kNoTime || e.time > s.lastTime)
                s.lastTime = e.time;
        }
    }
    return byName.values();
}

bool MemoryReader::matches(const EventQuery& q, const Event& e)
{
    if (!q.stream.isEmpty() && e.stream != q.stream)
        return false;
    if (!q.types.isEmpty() && !q.types.contains(e.type))
        return false;
    if (e.position < q.fromPosition || e.position > q.toPosition)
        return false;
    if (!q.stream.isEmpty() && (e.version < q.fromVersion || e.version > q.toVersion))
        return false;
    if (q.since != kNoTime && (e.time == kNoTime || e.time < q.since))
        return false;
    if (q.until != kNoTime && (e.time == kNoTime || e.time > q.until))
        return false;
    return true;
}

bool MemoryReader::read(const EventQuery& q, const EventCallback& sink, QString*)
{
    qint64 delivered = 0;
    auto visit = [&](const Event& e) {
        if (!matches(q, e))
            return true;
        if (q.limit >= 0 && delivered >= q.limit)
            return false;
        ++delivered;
        return sink(e);
    };
    if (q.backward) {
        for (auto it = m_events->crbegin(); it != m_events->crend(); ++it)
            if (!visit(*it))
                break;
    } else {
        for (const Event& e : *m_events)
            if (!visit(e))
                break;
    }
    return true;
}

std::unique_ptr<EventReader> MemoryReader::clone(QString*)
{
    auto copy = std::make_unique<MemoryReader>(QList<Event>{}, m_layout);
    copy->m_events = m_events;
    return copy;
}

} // namespace chronoscope
