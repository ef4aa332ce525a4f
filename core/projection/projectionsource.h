#pragma once
// Reads the events one or more projections select, in global position order, pushing down to the
// reader what it can filter (streams, event types) and filtering the rest here.

#include "projection/projectiontypes.h"
#include "store/eventreader.h"

namespace chronoscope {

struct SelectionPlan
{
    QStringList streams;  ///< read only these streams (empty: every stream)
    QStringList types;    ///< read only these event types (empty: every type)

    static SelectionPlan forDefinition(const ProjectionDefinition& d);
    /// What two projections need together (for running them side by side over the same events).
    static SelectionPlan unite(const SelectionPlan& a, const SelectionPlan& b);
};

/// Delivers events with fromPosition <= position <= toPosition matching the plan, in position order.
/// A few streams are read one by one and merged; many streams or none fall back to one ordered scan.
bool readPlanned(EventReader& reader, const SelectionPlan& plan, qint64 fromPosition, qint64 toPosition,
                 const EventCallback& sink, QString* error);

} // namespace chronoscope
