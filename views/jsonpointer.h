#pragma once
// JSON helpers for the views: the paths a merge patch touches (the "changed paths" of an event) and one-line
// previews for table cells. Pointer parsing and lookup are core's (diff/jsondiff.h).

#include <QJsonValue>
#include <QStringList>


namespace chronoscope {

/// The pointers a merge patch changes: one per leaf it sets or removes (objects recurse, anything else is a leaf).
QStringList mergePatchPaths(const QJsonValue& patch, const QString& prefix = {});
/// A one-line rendering of a value for table cells (strings unquoted when `bareStrings`), cut at maxChars.
QString jsonPreview(const QJsonValue& value, int maxChars = 200, bool bareStrings = false);

} // namespace chronoscope
