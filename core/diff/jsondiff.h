#pragma once
// Structural JSON diff as an RFC 6902 JSON Patch, the patch applier the views and tests use, and
// RFC 6901 JSON Pointers (the path syntax of both patches and blame).

#include <QJsonArray>
#include <QJsonValue>
#include <QStringList>

#include <optional>

namespace chronoscope {

/// The RFC 6902 operations (only add, remove, replace) that turn `from` into `to`.
/// Objects are diffed member by member. Arrays are diffed element by element; when either array holds
/// objects with an "id" member, elements are matched by id (other elements by equal value), the
/// longest run of matched elements that keeps its order stays in place and is diffed recursively,
/// everything else is removed (highest index first) and added at its new index. Values of different
/// types, and different scalars, give one replace. Applying the result to `from` yields `to` exactly.
QJsonArray diffJson(const QJsonValue& from, const QJsonValue& to);

/// Applies an RFC 6902 patch (add, remove, replace, move, copy, test) to doc. All or nothing:
/// on failure doc is unchanged, false is returned and *error names the failing operation (0-based).
bool applyJsonPatch(QJsonValue& doc, const QJsonArray& patch, QString* error = nullptr);

/// RFC 6901: "~" becomes "~0" and "/" becomes "~1".
QString escapeJsonPointerToken(const QString& token);
/// Joins unescaped tokens into a pointer ("" for no tokens).
QString makeJsonPointer(const QStringList& tokens);
/// Splits and unescapes a pointer. "" is the whole document. nullopt (with *error) when it does not
/// start with "/" or holds a "~" not followed by 0 or 1.
std::optional<QStringList> parseJsonPointer(const QString& pointer, QString* error = nullptr);
/// The value the pointer designates, nullopt when there is none. Array tokens must be decimal
/// indexes without leading zeros ("-" designates nothing).
std::optional<QJsonValue> valueAtPointer(const QJsonValue& doc, const QStringList& tokens);
std::optional<QJsonValue> valueAtPointer(const QJsonValue& doc, const QString& pointer);

} // namespace chronoscope
