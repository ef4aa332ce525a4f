#pragma once
// JSON text in and out of QJsonValue trees with every number kept as it was written.
//
// A double cannot keep "1.10", "-205.0" or "1E5", and Qt's parser refuses "1e400". So a number whose
// text Qt's writer would not give back byte for byte is held as a *kept number*: a QJsonValue string
// made of the marker U+FDD0 (a Unicode noncharacter, reserved for internal use) and the number's
// text. A real string that begins with the marker gets one more marker in front, so the two never
// meet. Every other number (integers within qint64, non-integral doubles written the way Qt writes
// them) stays a plain QJsonValue number, so ordinary data costs nothing extra.
//
// Read state values through isJsonNumber / jsonNumberText / isJsonString / jsonStringValue, never
// through QJsonValue::isString / toString / toDouble alone. See docs/replay.md ("Numbers").

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace chronoscope {

/// The marker that starts a kept number (and, doubled, an escaped real string).
inline constexpr char16_t kJsonNumberMark = 0xFDD0;

/// Parses JSON text of any kind (object, array, scalar), every number kept as written.
/// Empty text gives null; invalid text gives a JSON string of it.
QJsonValue parseJsonValue(const QByteArray& text);
/// Compact JSON text of any value (scalars included), kept numbers written as their text.
QByteArray toJsonText(const QJsonValue& value);

/// Parses JSON text of any kind (object, array, scalar), keeping number texts. nullopt when the text
/// is not JSON (or nests deeper than Qt's parser allows).
std::optional<QJsonValue> parseJsonStrict(const QByteArray& text);

/// JSON text in QJsonDocument::Indented layout (objects and arrays end with a newline; scalars are
/// compact), kept numbers written as their text. toJsonText is the compact one.
QByteArray toJsonTextIndented(const QJsonValue& value);

/// Re-indents JSON text the way QJsonDocument::Indented does, numbers unchanged. nullopt when the
/// text is not JSON.
std::optional<QByteArray> prettyJsonText(const QByteArray& text);

/// True for a plain number and for a kept number.
bool isJsonNumber(const QJsonValue& v);
/// True for a string (an escaped one included), false for a kept number.
bool isJsonString(const QJsonValue& v);
/// The number's text: as written for a kept number, Qt's text for a plain one; empty when not a number.
QByteArray jsonNumberText(const QJsonValue& v);
/// The number's value as a double (the nearest one; ±inf beyond double range, 0 when not a number).
/// For arithmetic only: show numbers with jsonNumberText.
double jsonNumberToDouble(const QJsonValue& v);
/// The string (unescaped); empty when v is not a string.
QString jsonStringValue(const QJsonValue& v);
/// A QJsonValue holding the string s (escaped when it begins with the marker).
QJsonValue makeJsonString(const QString& s);
/// A QJsonValue for the number text: plain when Qt's writer gives the text back, kept otherwise.
/// nullopt when the text is not a JSON number (RFC 8259 grammar, no range limit).
std::optional<QJsonValue> makeJsonNumber(const QByteArray& text);

} // namespace chronoscope
