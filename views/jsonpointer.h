#pragma once
// RFC 6901 JSON Pointer helpers for the views: building paths for tree rows, finding a value by path, and
// the paths a merge patch touches (the "changed paths" of an event).

#include <QJsonValue>
#include <QStringList>

#include <optional>

namespace chronoscope {

/// Escapes one reference token ("a/b" -> "a~1b", "~" -> "~0").
QString jsonPointerEscape(const QString& token);
/// Splits a pointer into unescaped tokens ("" -> {}); nullopt when it does not start with '/'.
std::optional<QStringList> jsonPointerTokens(const QString& pointer);
/// The value at pointer, or nullopt when the path does not exist.
std::optional<QJsonValue> jsonPointerGet(const QJsonValue& root, const QString& pointer);
/// The pointers a merge patch changes: one per leaf it sets or removes (objects recurse, anything else is a leaf).
QStringList mergePatchPaths(const QJsonValue& patch, const QString& prefix = {});
/// A one-line rendering of a value for table cells (strings unquoted when `bareStrings`), cut at maxChars.
QString jsonPreview(const QJsonValue& value, int maxChars = 200, bool bareStrings = false);

} // namespace chronoscope
