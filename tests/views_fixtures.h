#pragma once
// Small event lists for the views and app tests, built in memory at run time.

#include "model/event.h"
#include "store/memoryreader.h"
#include "timelineindex.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace chronoscope::fixtures {

inline Event makeEvent(const QString& stream, qint64 version, const QString& type, TimeMs time, const QJsonObject& data,
                       const QJsonObject& metadata = {}, const QString& id = {})
{
    Event e;
    e.stream = stream;
    e.version = version;
    e.type = type;
    e.time = time;
    e.id = id.isEmpty() ? QStringLiteral("%1#%2").arg(stream).arg(version) : id;
    e.data = QJsonDocument(data).toJson(QJsonDocument::Compact);
    e.metadata = QJsonDocument(metadata).toJson(QJsonDocument::Compact);
    return e;
}

/// 2026-01-05T10:00:00Z
inline constexpr TimeMs kT0 = 1767607200000;

/// A small shop: two orders and a payment, interleaved, with correlation and causation ids.
inline QList<Event> shopEvents()
{
    QList<Event> ev;
    ev << makeEvent("order-1", 0, "OrderPlaced", kT0, {{"status", "placed"}, {"total", 30}}, {{"correlationId", "c1"}}, "e1")
       << makeEvent("order-2", 0, "OrderPlaced", kT0 + 1000, {{"status", "placed"}, {"total", 12}}, {{"correlationId", "c2"}}, "e2")
       << makeEvent("payment-1", 0, "PaymentRequested", kT0 + 2000, {{"order", "order-1"}, {"amount", 30}},
                    {{"correlationId", "c1"}, {"causationId", "e1"}}, "e3")
       << makeEvent("payment-1", 1, "PaymentFailed", kT0 + 5000, {{"error", "timeout"}},
                    {{"correlationId", "c1"}, {"causationId", "e3"}}, "e4")
       << makeEvent("order-1", 1, "OrderPaid", kT0 + 9000, {{"status", "paid"}, {"paidAt", "10:00:09"}},
                    {{"correlationId", "c1"}, {"causationId", "e4"}}, "e5")
       << makeEvent("order-2", 1, "OrderCancelled", kT0 + 9000, {{"status", "cancelled"}, {"total", QJsonValue()}},
                    {{"correlationId", "c2"}}, "e6")
       << makeEvent("order-1", 2, "OrderShipped", kT0 + 60000, {{"status", "shipped"}, {"carrier", "DHL"}},
                    {{"correlationId", "c1"}, {"causationId", "e5"}}, "e7");
    return ev;
}

/// n events over `streams` streams, one every `stepMs`, types cycling over four names.
inline QList<Event> manyEvents(int n, int streams, qint64 stepMs = 1000)
{
    static const char* const types[] = {"Created", "Updated", "Failed", "Closed"};
    QList<Event> ev;
    ev.reserve(n);
    QList<qint64> versions(streams, 0);
    for (int i = 0; i < n; ++i) {
        const int s = i % streams;
        ev << makeEvent(QStringLiteral("item-%1").arg(s), versions[s]++, QString::fromLatin1(types[i % 4]),
                        kT0 + i * stepMs, {{"n", i}});
    }
    return ev;
}

inline std::shared_ptr<const TimelineIndex> indexOf(const QList<Event>& events)
{
    MemoryReader reader(events);
    QString error;
    return buildTimelineIndex(reader, CancelToken(), {}, &error);
}

} // namespace chronoscope::fixtures
