#pragma once
// Colour of an event type, shared by the timeline, its legend and the event table.

#include <QColor>
#include <QString>

namespace chronoscope {

/// A distinct colour for type number `typeId` (index in the store's type list). Types whose names say
/// something went wrong (Failed, Error, Rejected, Timeout...) are drawn in reds so an incident stands out.
QColor typeColor(int typeId, const QString& typeName);

/// True when a type name reads as a failure.
bool isFailureType(const QString& typeName);

} // namespace chronoscope
