#include "projection/projectionsource.h"

#include <QSet>

#include <deque>

namespace chronoscope {

namespace {
// Beyond this many streams one scan of the range with a filter beats merging per-stream reads.
constexpr int kMaxMergedStreams = 32;
constexpr qint64 kChunk = 2048;

struct StreamCursor
{
    QString stream;
    qint64 next = 0;       ///< next position to read from
    bool exhausted = false;
    std::deque<Event> buffer;
};
} // namespace

SelectionPlan SelectionPlan::forDefinition(const ProjectionDefinition& d)
{
    SelectionPlan p;
    if (d.selector == ProjectionDefinition::Streams)
        p.streams = d.streams;
    // Only typed handlers: other events cannot change the state, and the server does not deliver them either.
    if (d.onlyTypedHandlers() && !d.hasDeleted)
        p.types = d.eventTypes;
    return p;
}

SelectionPlan SelectionPlan::unite(const SelectionPlan& a, const SelectionPlan& b)
{
    SelectionPlan p;
    if (!a.streams.isEmpty() && !b.streams.isEmpty()) {
        p.streams = a.streams;
        for (const QString& s : b.streams)
            if (!p.streams.contains(s))
                p.streams << s;
    }
    if (!a.types.isEmpty() && !b.types.isEmpty()) {
        p.types = a.types;
        for (const QString& t : b.types)
            if (!p.types.contains(t))
                p.types << t;
    }
    return p;
}

bool readPlanned(EventReader& reader, const SelectionPlan& plan, qint64 from, qint64 to, const EventCallback& sink,
                 QString* error)
{
    if (from > to)
        return true;
    if (plan.streams.isEmpty() || plan.streams.size() > kMaxMergedStreams) {
        EventQuery q;
        q.fromPosition = from;
        q.toPosition = to;
        q.types = plan.types;
        if (plan.streams.isEmpty())
            return reader.read(q, sink, error);
        const QSet<QString> wanted(plan.streams.begin(), plan.streams.end());
        return reader.read(q, [&](const Event& e) { return !wanted.contains(e.stream) || sink(e); }, error);
    }
    if (plan.streams.size() == 1) {
        EventQuery q;
        q.stream = plan.streams.first();
        q.fromPosition = from;
        q.toPosition = to;
        q.types = plan.types;
        return reader.read(q, sink, error);
    }
    std::vector<StreamCursor> cursors;
    for (const QString& s : plan.streams)
        cursors.push_back({s, from, false, {}});
    auto refill = [&](StreamCursor& c) {
        if (c.exhausted || !c.buffer.empty())
            return true;
        EventQuery q;
        q.stream = c.stream;
        q.fromPosition = c.next;
        q.toPosition = to;
        q.types = plan.types;
        q.limit = kChunk;
        qint64 got = 0;
        const bool ok = reader.read(q, [&](const Event& e) {
            c.buffer.push_back(e);
            c.next = e.position + 1;
            ++got;
            return true;
        }, error);
        if (got < kChunk)
            c.exhausted = true;
        return ok;
    };
    for (;;) {
        StreamCursor* best = nullptr;
        for (StreamCursor& c : cursors) {
            if (!refill(c))
                return false;
            if (!c.buffer.empty() && (!best || c.buffer.front().position < best->buffer.front().position))
                best = &c;
        }
        if (!best)
            return true;
        const Event e = std::move(best->buffer.front());
        best->buffer.pop_front();
        if (!sink(e))
            return true;
    }
}

} // namespace chronoscope
