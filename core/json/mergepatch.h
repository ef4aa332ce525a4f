#pragma once
// RFC 7386 JSON Merge Patch: the default projection folds each event's data into the stream state.
// (parseJsonValue / toJsonText, the text in and out of the states, are in json/jsonvalue.h.)

#include "json/jsonvalue.h"

#include <QJsonValue>

namespace chronoscope {

/// Applies patch to target in place (RFC 7386): objects merge recursively, null removes a member,
/// anything that is not an object replaces the target whole.
void applyMergePatch(QJsonValue& target, const QJsonValue& patch);

} // namespace chronoscope
