#pragma once
// RFC 7386 JSON Merge Patch: the default projection folds each event's data into the stream state.

#include <QJsonValue>

namespace chronoscope {

/// Applies patch to target in place (RFC 7386): objects merge recursively, null removes a member,
/// anything that is not an object replaces the target whole.
void applyMergePatch(QJsonValue& target, const QJsonValue& patch);

/// Parses compact JSON text of any kind (object, array, scalar). Invalid text gives a JSON string of it.
QJsonValue parseJsonValue(const QByteArray& text);
/// Compact JSON text of any value (scalars included).
QByteArray toJsonText(const QJsonValue& value);

} // namespace chronoscope
