#pragma once
// An EventReader over events held in memory: for tests, small captures and sources that are
// naturally small. Applies EventQuery exactly as the SQL readers do, so it also serves as their oracle.

#include "store/eventreader.h"

namespace chronoscope {

class MemoryReader : public EventReader
{
public:
    /// Events must be in position order; positions 0 are assigned 1..n.
    explicit MemoryReader(QList<Event> events, QString layout = QStringLiteral("memory"));

    StoreInfo info() override;
    QList<StreamInfo> streams() override;
    bool read(const EventQuery& query, const EventCallback& sink, QString* error) override;
    std::unique_ptr<EventReader> clone(QString* error) override;

    static bool matches(const EventQuery& q, const Event& e);

private:
    std::shared_ptr<const QList<Event>> m_events;
    QString m_layout;
};

} // namespace chronoscope
