#include "json/jsonvalue.h"

#include "json/jsonscan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QtAlgorithms>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace chronoscope {

namespace {

// U+FDD0 in UTF-8, as Qt's writer puts it in its output, and as an escape for the text we hand Qt's parser.
constexpr char kMarkUtf8[] = "\xEF\xB7\x90";
constexpr qsizetype kMarkUtf8Size = 3;
constexpr char kMarkEscape[] = "\\ufdd0";
constexpr qsizetype kMarkEscapeSize = 6;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

using jsonscan::isSpace;

// Characters that can continue a number token. A valid document never has one right after a number,
// so the longest run of them is the token; a run that is not one number makes the document invalid.
bool isNumberChar(char c)
{
    return isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// RFC 8259 number grammar over the whole of [p, p + n), from the one grammar (json/jsonscan.h).
bool isNumberGrammar(const char* p, qsizetype n, bool* integerForm)
{
    return jsonscan::isNumber(p, size_t(n), integerForm);
}

enum class NumberKind { Plain, Kept, NotANumber };

// Plain when Qt's parser and writer give this exact text back, else Kept. Qt keeps integer-form
// numbers that fit in qint64 as integers ("-0" becomes 0), stores an integral double as an integer
// when it fits ("100000.0", "1E5") and writes other doubles as QByteArray::number(d, 'g',
// QLocale::FloatingPointShortest) ("1e-07", "1e+21"); it refuses numbers beyond double range.
// Integral doubles are always kept: then a plain double is never integral, and plain numbers are
// equal exactly when their texts are (Qt compares an integer with a double as doubles).
NumberKind classifyNumber(const char* p, qsizetype n)
{
    bool integerForm = false;
    if (!isNumberGrammar(p, n, &integerForm))
        return NumberKind::NotANumber;
    if (integerForm) {
        if (n == 2 && p[0] == '-' && p[1] == '0')
            return NumberKind::Kept;
        qint64 v = 0;
        const auto r = std::from_chars(p, p + n, v);
        return r.ec == std::errc() && r.ptr == p + n ? NumberKind::Plain : NumberKind::Kept;
    }
    // A decimal without exponent is decided by its digits alone, the common case ("12.5", "157.90"):
    // Qt never writes a trailing zero after the point (nor an integral double with one), and a
    // decimal of at least 0.001 with at most 15 significant digits is the shortest text of its
    // double (15 digits always round-trip), which Qt writes in fixed notation.
    if (std::memchr(p, 'e', size_t(n)) == nullptr && std::memchr(p, 'E', size_t(n)) == nullptr) {
        if (p[n - 1] == '0')
            return NumberKind::Kept;
        qsizetype digits = 0, leadingZeros = 0;
        bool seenNonZero = false, afterPoint = false;
        for (qsizetype k = p[0] == '-' ? 1 : 0; k < n; ++k) {
            const char c = p[k];
            if (c == '.') {
                afterPoint = true;
                continue;
            }
            if (c != '0')
                seenNonZero = true;
            if (seenNonZero)
                ++digits;
            else if (afterPoint)
                ++leadingZeros;
        }
        if (digits <= 15 && leadingZeros <= 2)
            return NumberKind::Plain;
    }
    double d = 0;
    const auto r = std::from_chars(p, p + n, d);
    if (r.ec != std::errc() || r.ptr != p + n || !std::isfinite(d) || d == std::trunc(d))
        return NumberKind::Kept;
    const QByteArray qt = QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
    return qt.size() == n && std::memcmp(qt.constData(), p, size_t(n)) == 0 ? NumberKind::Plain : NumberKind::Kept;
}

bool followedByColon(const char* p, qsizetype i, qsizetype n)
{
    while (i < n && isSpace(p[i]))
        ++i;
    return i < n && p[i] == ':';
}

// Whether the string literal body at p (after the opening quote) begins with U+FDD0, raw or escaped.
bool bodyStartsWithMark(const char* p, qsizetype n)
{
    if (n >= kMarkUtf8Size && std::memcmp(p, kMarkUtf8, kMarkUtf8Size) == 0)
        return true;
    return n >= 6 && p[0] == '\\' && p[1] == 'u' && (p[2] | 0x20) == 'f' && (p[3] | 0x20) == 'd'
           && (p[4] | 0x20) == 'd' && p[5] == '0';
}

// Index of the closing quote of the string whose opening quote is at `open`, or n when unterminated.
qsizetype stringEnd(const char* p, qsizetype open, qsizetype n)
{
    // memchr for the next quote (vectorised), then an odd run of backslashes before it means it is
    // escaped: most of a document's bytes are inside strings, so this loop is the scan's cost.
    qsizetype i = open + 1;
    while (i < n) {
        qsizetype at = -1;
        // Short strings (most keys and values) in 8-byte words: no call, no setup. A word holds a quote
        // when one of its bytes XOR '"' is zero (the classic has-zero-byte test).
        while (Q_BYTE_ORDER == Q_LITTLE_ENDIAN && i + 8 <= n) {
            quint64 w;
            std::memcpy(&w, p + i, 8);
            const quint64 x = w ^ 0x2222222222222222ULL;
            const quint64 z = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
            if (z) {
                at = i + qsizetype(qCountTrailingZeroBits(z) / 8);  // little-endian: first byte is lowest
                break;
            }
            i += 8;
        }
        if (at < 0) {
            const void* q = std::memchr(p + i, '"', size_t(n - i));
            if (!q)
                return n;
            at = static_cast<const char*>(q) - p;
        }
        qsizetype backslashes = 0;
        while (at - 1 - backslashes > open && p[at - 1 - backslashes] == '\\')
            ++backslashes;
        if (backslashes % 2 == 0)
            return at;
        i = at + 1;
    }
    return n;
}

enum class Marking { Unchanged, Rewritten, Invalid };

// The text Qt's parser is given: kept numbers become marked string literals, value strings that
// begin with the marker get one more. Unchanged (out untouched) when nothing needs rewriting;
// Invalid for a number token outside the grammar, which Qt would otherwise read leniently ("1."
// as 1) and so change its text.
Marking markForQt(const QByteArray& text, QByteArray* out)
{
    const char* p = text.constData();
    const qsizetype n = text.size();
    qsizetype copied = 0;
    bool changed = false;
    auto flush = [&](qsizetype upTo) {
        if (!changed) {
            out->clear();
            out->reserve(n + 64);
            changed = true;
        }
        out->append(p + copied, upTo - copied);
        copied = upTo;
    };
    qsizetype i = 0;
    while (i < n) {
        const char c = p[i];
        if (c == '"') {
            const qsizetype end = stringEnd(p, i, n);
            if (end < n && bodyStartsWithMark(p + i + 1, end - i - 1) && !followedByColon(p, end + 1, n)) {
                flush(i + 1);
                out->append(kMarkEscape, kMarkEscapeSize);
            }
            i = end + 1;
        } else if (c == '-' || isDigit(c)) {
            const qsizetype start = i;
            while (i < n && isNumberChar(p[i]))
                ++i;
            const NumberKind kind = classifyNumber(p + start, i - start);
            if (kind == NumberKind::NotANumber)
                return Marking::Invalid;
            if (kind == NumberKind::Kept && !followedByColon(p, i, n)) {
                flush(start);
                out->append('"');
                out->append(kMarkEscape, kMarkEscapeSize);
                out->append(p + start, i - start);
                out->append('"');
                copied = i;
            }
        } else {
            ++i;
        }
    }
    if (!changed)
        return Marking::Unchanged;
    out->append(p + copied, n - copied);
    return Marking::Rewritten;
}

std::optional<QJsonValue> parseWithQt(const QByteArray& trimmed)
{
    QJsonParseError err;
    const char c = trimmed.front();
    if (c == '{' || c == '[') {
        const QJsonDocument doc = QJsonDocument::fromJson(trimmed, &err);
        if (err.error != QJsonParseError::NoError)
            return std::nullopt;
        return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    }
    // Scalars: wrap in an array to reuse the parser.
    const QJsonDocument doc = QJsonDocument::fromJson("[" + trimmed + "]", &err);
    if (err.error != QJsonParseError::NoError || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
}

std::optional<QJsonValue> parseTrimmed(const QByteArray& trimmed)
{
    QByteArray marked;
    switch (markForQt(trimmed, &marked)) {
    case Marking::Invalid: return std::nullopt;
    case Marking::Rewritten: return parseWithQt(marked);
    case Marking::Unchanged: break;
    }
    return parseWithQt(trimmed);
}

// The reverse of markForQt on Qt's output: a marked value string becomes the bare number text, a
// doubly marked one loses one marker. Keys are never marked. A marked string that is not a number
// (one that never went through makeJsonString, say from a JS engine) is left as it is.
QByteArray unmark(QByteArray json)
{
    if (json.indexOf(QByteArrayView(kMarkUtf8, kMarkUtf8Size)) < 0)
        return json;
    const char* p = json.constData();
    const qsizetype n = json.size();
    QByteArray out;
    out.reserve(n);
    qsizetype copied = 0;
    qsizetype i = 0;
    while (i < n) {
        const char* q = static_cast<const char*>(std::memchr(p + i, '"', size_t(n - i)));
        if (!q)
            break;
        const qsizetype open = q - p;
        const qsizetype end = stringEnd(p, open, n);
        if (end >= n)
            break;
        const qsizetype body = open + 1;
        const qsizetype len = end - body;
        if (len >= kMarkUtf8Size && std::memcmp(p + body, kMarkUtf8, kMarkUtf8Size) == 0
            && !followedByColon(p, end + 1, n)) {
            const char* rest = p + body + kMarkUtf8Size;
            const qsizetype restLen = len - kMarkUtf8Size;
            bool integerForm = false;
            if (restLen >= kMarkUtf8Size && std::memcmp(rest, kMarkUtf8, kMarkUtf8Size) == 0) {
                out.append(p + copied, body - copied);
                copied = body + kMarkUtf8Size;
            } else if (isNumberGrammar(rest, restLen, &integerForm)) {
                out.append(p + copied, open - copied);
                out.append(rest, restLen);
                copied = end + 1;
            }
        }
        i = end + 1;
    }
    out.append(p + copied, n - copied);
    return out;
}

// A marker followed by a JSON number (what unmark writes as a bare number).
bool isKept(const QString& s)
{
    if (s.size() < 2 || s.front() != QChar(kJsonNumberMark))
        return false;
    const QByteArray rest = QStringView(s).mid(1).toLatin1();
    bool integerForm = false;
    return isNumberGrammar(rest.constData(), rest.size(), &integerForm);
}

} // namespace

std::optional<QJsonValue> parseJsonStrict(const QByteArray& text)
{
    const QByteArray trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return std::nullopt;
    return parseTrimmed(trimmed);
}

QJsonValue parseJsonValue(const QByteArray& text)
{
    // Most event data has no surrounding white space: then trimmed() shares the text, no copy.
    const QByteArray trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return QJsonValue(QJsonValue::Null);
    if (auto v = parseJsonStrict(trimmed))
        return *v;
    return makeJsonString(QString::fromUtf8(text));
}

QByteArray toJsonText(const QJsonValue& value)
{
    if (value.isObject())
        return unmark(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return unmark(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    QByteArray wrapped = unmark(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    return wrapped.mid(1, wrapped.size() - 2);
}

QByteArray toJsonTextIndented(const QJsonValue& value)
{
    if (value.isObject())
        return unmark(QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented));
    if (value.isArray())
        return unmark(QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented));
    return toJsonText(value);
}

std::optional<QByteArray> prettyJsonText(const QByteArray& text)
{
    const auto v = parseJsonStrict(text);
    if (!v)
        return std::nullopt;
    return toJsonTextIndented(*v);
}

bool isJsonNumber(const QJsonValue& v)
{
    return v.isDouble() || (v.isString() && isKept(v.toString()));
}

bool isJsonString(const QJsonValue& v)
{
    return v.isString() && !isKept(v.toString());
}

QByteArray jsonNumberText(const QJsonValue& v)
{
    if (v.isDouble())
        return toJsonText(v);
    if (!v.isString())
        return {};
    const QString s = v.toString();
    return isKept(s) ? s.mid(1).toLatin1() : QByteArray();
}

double jsonNumberToDouble(const QJsonValue& v)
{
    if (v.isDouble())
        return v.toDouble();
    const QByteArray text = jsonNumberText(v);
    if (text.isEmpty())
        return 0;
    // strtod, not from_chars: it gives ±inf (and 0 for underflow) where from_chars reports a range
    // error without a value. The text is a JSON number, so the C locale's '.' is the only decimal point.
    return std::strtod(text.constData(), nullptr);
}

QString jsonStringValue(const QJsonValue& v)
{
    if (!v.isString())
        return {};
    QString s = v.toString();
    if (s.isEmpty() || s.front() != QChar(kJsonNumberMark))
        return s;
    if (isKept(s))
        return {};
    // Escaped by makeJsonString: drop the extra marker. A marked string from elsewhere stays as it is.
    return s.size() >= 2 && s.at(1) == QChar(kJsonNumberMark) ? s.mid(1) : s;
}

QJsonValue makeJsonString(const QString& s)
{
    if (!s.isEmpty() && s.front() == QChar(kJsonNumberMark))
        return QJsonValue(QChar(kJsonNumberMark) + s);
    return QJsonValue(s);
}

std::optional<QJsonValue> makeJsonNumber(const QByteArray& text)
{
    switch (classifyNumber(text.constData(), text.size())) {
    case NumberKind::NotANumber: return std::nullopt;
    case NumberKind::Kept: return QJsonValue(QChar(kJsonNumberMark) + QString::fromLatin1(text));
    case NumberKind::Plain: break;
    }
    return parseWithQt(text);
}

} // namespace chronoscope
