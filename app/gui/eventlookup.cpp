#include "eventlookup.h"

#include "store/eventreader.h"

#include <QPointer>

namespace chronoscope {

EventLookup::EventLookup(std::shared_ptr<EventReader> reader, QObject* parent)
    : QObject(parent), m_source(std::move(reader)), m_reader(std::make_shared<std::unique_ptr<EventReader>>())
{
    qRegisterMetaType<Event>();
    qRegisterMetaType<QList<Event>>();
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName(QStringLiteral("event lookup"));
    m_thread.start();
}

EventLookup::~EventLookup()
{
    for (auto& t : m_tokens)
        t.cancel();
    // The clone must die on the thread that made it.
    auto holder = m_reader;
    QMetaObject::invokeMethod(m_worker, [holder] { holder->reset(); }, Qt::QueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

quint64 EventLookup::submit(Kind kind, std::function<void(EventReader&, const CancelToken&, quint64)> job)
{
    const quint64 id = ++m_next;
    m_tokens[kind].cancel();
    m_tokens[kind] = CancelToken();
    m_current[kind] = id;
    const CancelToken token = m_tokens[kind];
    auto holder = m_reader;
    auto source = m_source;
    QPointer<EventLookup> self(this);
    QMetaObject::invokeMethod(m_worker, [self, holder, source, token, id, job, kind] {
        if (token.isCancelled())
            return;
        if (!*holder) {
            QString error;
            *holder = source->clone(&error);
            if (!*holder) {
                QMetaObject::invokeMethod(self, [self, id, error] {
                    if (self)
                        Q_EMIT self->failed(id, error);
                }, Qt::QueuedConnection);
                return;
            }
        }
        Q_UNUSED(kind);
        job(**holder, token, id);
    }, Qt::QueuedConnection);
    return id;
}

quint64 EventLookup::fetch(qint64 position)
{
    QPointer<EventLookup> self(this);
    return submit(Fetch, [self, position](EventReader& reader, const CancelToken& token, quint64 id) {
        QString error;
        const std::optional<Event> e = reader.eventAt(position, &error);
        QMetaObject::invokeMethod(self, [self, id, e, error, token, position] {
            if (!self || token.isCancelled() || self->m_current[Fetch] != id)
                return; // a newer request superseded this one
            if (e)
                Q_EMIT self->eventReady(id, *e);
            else
                Q_EMIT self->failed(id, error.isEmpty() ? tr("There is no event at position %1.").arg(position) : error);
        }, Qt::QueuedConnection);
    });
}

quint64 EventLookup::findById(const QString& wanted)
{
    QPointer<EventLookup> self(this);
    return submit(Search, [self, wanted](EventReader& reader, const CancelToken& token, quint64 id) {
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
        QMetaObject::invokeMethod(self, [self, id, found, truncated, ok, error, token] {
            if (!self || token.isCancelled() || self->m_current[Search] != id)
                return;
            if (!ok)
                Q_EMIT self->failed(id, error);
            else
                Q_EMIT self->searchReady(id, found, truncated);
        }, Qt::QueuedConnection);
    });
}

quint64 EventLookup::findCorrelated(const QString& correlationId, int limit)
{
    QPointer<EventLookup> self(this);
    return submit(Search, [self, correlationId, limit](EventReader& reader, const CancelToken& token, quint64 id) {
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
        QMetaObject::invokeMethod(self, [self, id, found, truncated, ok, error, token] {
            if (!self || token.isCancelled() || self->m_current[Search] != id)
                return;
            if (!ok)
                Q_EMIT self->failed(id, error);
            else
                Q_EMIT self->searchReady(id, found, truncated);
        }, Qt::QueuedConnection);
    });
}

} // namespace chronoscope
