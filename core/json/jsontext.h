#pragma once
// JSON text helpers on the one grammar (json/jsonscan.h), for every reader that copies JSON text through
// (foreign SQLite layouts, remote clients) and every writer of JSON string literals.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringView>

#include <utility>

namespace chronoscope {

/// Validates JSON (RFC 8259, UTF-8, nesting at most maxDepth) and writes it without insignificant
/// whitespace to *out. False (with *why) when the text is not JSON.
bool compactJson(const char* data, qsizetype size, QByteArray* out, QString* why = nullptr, int maxDepth = 512);
inline bool compactJson(const QByteArray& in, QByteArray* out, QString* why = nullptr)
{
    return compactJson(in.constData(), in.size(), out, why);
}

/// The members of a compact JSON object (as compactJson writes it): raw key text (without quotes, still
/// escaped) and the raw value text. False when `compact` is not an object.
bool jsonObjectMembers(const QByteArray& compact, QList<std::pair<QByteArray, QByteArray>>* members);
/// The index just after the JSON value that starts at `at` in compact, validated JSON text (for a number,
/// true/false/null: the index of the character that ends it).
qsizetype skipJsonValue(const QByteArray& compact, qsizetype at);

/// Appends s as a JSON string literal (quoted, escaped, UTF-8) to out. Plain ASCII takes a fast path.
void appendJsonString(QByteArray& out, QStringView s);
/// A JSON string literal for `s` (quotes and escapes included).
QByteArray jsonStringLiteral(const QString& s);

} // namespace chronoscope
