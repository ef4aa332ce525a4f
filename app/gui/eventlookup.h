#pragma once
// Event lookups for the inspectors, on a worker thread with a reader of its own: the full event at a
// position (payloads are not in the timeline index), the event with a given id (causation links), and the
// events sharing a correlation id. A JobTracker lane per kind: a newer request of a kind cancels the older
// one; stale results are dropped.

#include "model/event.h"
#include "util/jobtracker.h"

#include <QObject>

#include <memory>

namespace chronoscope {

class EventReader;

class EventLookup : public QObject
{
    Q_OBJECT
public:
    /// Clones `reader` for the worker thread (the clone is made there).
    explicit EventLookup(std::shared_ptr<EventReader> reader, QObject* parent = nullptr);
    ~EventLookup() override;

    quint64 fetch(qint64 position);
    quint64 findById(const QString& id);
    quint64 findCorrelated(const QString& correlationId, int limit = 500);

    /// Events scanned per request at most when searching by id or correlation (bounded so a huge store
    /// answers in seconds, not minutes); the search says when it stopped early.
    static constexpr qint64 kScanLimit = 5'000'000;

Q_SIGNALS:
    void eventReady(quint64 id, const chronoscope::Event& event);
    void searchReady(quint64 id, const QList<chronoscope::Event>& events, bool truncated);
    void failed(quint64 id, const QString& message);

private:
    enum Kind { Fetch, Search };
    /// Runs on the worker thread with the clone; returns what to emit on the lookup's thread (given the id).
    using Deliver = std::function<void(quint64 id)>;
    quint64 submit(Kind kind, std::function<Deliver(EventReader&, const CancelToken&)> job);

    std::shared_ptr<EventReader> m_source;
    std::unique_ptr<EventReader> m_reader;  ///< the clone, touched only on the worker thread
    JobTracker m_jobs;                      ///< last: stops (and waits for) the work first
};

} // namespace chronoscope
