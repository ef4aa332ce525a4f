#include "eventlookup.h"

#include "store/eventreader.h"

#include <QPointer>

namespace chronoscope {

EventLookup::EventLookup(std::shared_ptr<EventReader> reader, QObject* parent)
    : QObject(parent), m_source(std::move(reader)), m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("event lookup"))
{
    qRegisterMetaType<Event>();
    qRegisterMetaType<QList<Event>>();
}

EventLookup::~EventLookup()
{
    m_jobs.cancelAll();
    // The clone must die on the thread that made it.
    m_jobs.post([this](const JobHandle&) { m_reader.reset(); });
    m_jobs.waitForDone();
}

quint64 EventLookup::submit(Kind kind, std::function<Deliver(EventReader&, const CancelToken&)> job)
{
    return m_jobs.start(
        kind,
        [this, job = std::move(job)](const JobHandle& handle) -> Deliver {
            if (!m_reader) {
                QString error;
                m_reader = m_source->clone(&error);
                if (!m_reader)
                    return [this, error](quint64 id) { Q_EMIT failed(id, error); };
            }
            return job(*m_reader, handle.token());
        },
        [](quint64 id, const Deliver& deliver) { deliver(id); });  // only while the request is current
}

quint64 EventLookup::fetch(qint64 position)
{
    return submit(Fetch, [this, position](EventReader& reader, const CancelToken&) -> Deliver {
        QString error;
        const std::optional<Event> e = reader.eventAt(position, &error);
        return [this, e, error, position](quint64 id) {
            if (e)
                Q_EMIT eventReady(id, *e);
            else
                Q_EMIT failed(id, error.isEmpty() ? tr("There is no event at position %1.").arg(position) : error);
        };
    });
}

quint64 EventLookup::findById(const QString& wanted)
{
    return submit(Search, [this, wanted](EventReader& reader, const CancelToken& token) -> Deliver {
        QList<Event> found;
        qint64 scanned = 0;
        bool truncated = false;
        QString error;
        const bool ok = reader.read(EventQuery{}, [&](const Event& e) {
            if ((++scanned & 0xfff) == 0 && token.isCancelled())
                return false;
            if (scanned > kScanLimit) {
                truncated = true;
                return false;
            }
            if (e.id == wanted) {
                found.append(e);
                return false;
            }
            return true;
        }, &error);
        return [this, found, truncated, ok, error](quint64 id) {
            if (!ok)
                Q_EMIT failed(id, error);
            else
                Q_EMIT searchReady(id, found, truncated);
        };
    });
}

quint64 EventLookup::findCorrelated(const QString& correlationId, int limit)
{
    return submit(Search, [this, correlationId, limit](EventReader& reader, const CancelToken& token) -> Deliver {
        QList<Event> found;
        qint64 scanned = 0;
        bool truncated = false;
        QString error;
        const QByteArray needle = correlationId.toUtf8();
        const bool ok = reader.read(EventQuery{}, [&](const Event& e) {
            if ((++scanned & 0xfff) == 0 && token.isCancelled())
                return false;
            if (scanned > kScanLimit || found.size() >= limit) {
                truncated = true;
                return false;
            }
            // Cheap byte test first; parse the metadata only for candidates.
            if (e.metadata.contains(needle) && e.correlationId() == correlationId) {
                Event slim = e;
                slim.data.clear(); // the list shows headers; payloads are fetched when one is selected
                found.append(slim);
            }
            return true;
        }, &error);
        return [this, found, truncated, ok, error](quint64 id) {
            if (!ok)
                Q_EMIT failed(id, error);
            else
                Q_EMIT searchReady(id, found, truncated);
        };
    });
}

} // namespace chronoscope
