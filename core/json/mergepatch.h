#pragma once
// RFC 7386 JSON Merge Patch: the default projection folds each event's data into the stream state.

#include "diff/jsonvalue.h"

#include <QJsonValue>

namespace chronoscope {

/// Applies patch to target in place (RFC 7386): objects merge recursively, null removes a member,
/// anything that is not an object replaces the target whole.
void applyMergePatch(QJsonValue& target, const QJsonValue& patch);

/// Parses JSON text of any kind (object, array, scalar), every number kept as written (see
/// diff/jsonvalue.h). Empty text gives null; invalid text gives a JSON string of it.
QJsonValue parseJsonValue(const QByteArray& text);
/// Compact JSON text of any value (scalars included), kept numbers written as their text.
QByteArray toJsonText(const QJsonValue& value);

} // namespace chronoscope
