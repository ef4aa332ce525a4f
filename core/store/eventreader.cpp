#include "store/eventreader.h"

namespace chronoscope {

qint64 EventReader::count(const EventQuery& query, QString* error)
{
    EventQuery q = query;
    q.limit = -1;
    qint64 n = 0;
    if (!read(q, [&n](const Event&) { ++n; return true; }, error))
        return -1;
    return n;
}

bool EventReader::forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString*)
{
    for (const StreamInfo& s : streams())
        if (!sink(s))
            break;
    return true;
}

std::optional<Event> EventReader::eventAt(qint64 position, QString* error)
{
    EventQuery q;
    q.fromPosition = position;
    q.toPosition = position;
    q.limit = 1;
    std::optional<Event> found;
    read(q, [&found](const Event& e) { found = e; return false; }, error);
    return found;
}

std::optional<Checkpoint> EventReader::checkpointBefore(const QString&, const QString&, const Point&)
{
    return std::nullopt;
}

bool EventReader::scanMetadata(const MetadataCallback& sink, QString* error)
{
    return read(EventQuery{}, [&sink](const Event& e) { return sink(e.position, e.metadata); }, error);
}

QList<Event> EventReader::readAll(const EventQuery& query, QString* error)
{
    QList<Event> out;
    read(query, [&out](const Event& e) { out.append(e); return true; }, error);
    return out;
}

} // namespace chronoscope
