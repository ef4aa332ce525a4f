#include "model/event.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <string>
#include <string_view>

namespace chronoscope {

namespace {

QString metadataString(const QByteArray& metadata, std::initializer_list<const char*> keys)
{
    if (metadata.size() < 3)
        return {};
    const QJsonObject obj = QJsonDocument::fromJson(metadata).object();
    for (const char* key : keys) {
        const QJsonValue v = obj.value(QLatin1String(key));
        if (v.isString())
            return v.toString();
        if (v.isDouble())
            return QString::number(v.toInteger());
    }
    return {};
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
qint64 daysFromCivil(qint64 y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<qint64>(doe) - 719468;
}

void civilFromDays(qint64 z, qint64& y, unsigned& m, unsigned& d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<qint64>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
}

// The times parseTime() accepts: years 0000 to 9999, the range formatTime() writes back as it read it.
// A number outside it is not a time (microseconds or nanoseconds taken for milliseconds, say).
constexpr TimeMs kFirstTime = -62167219200000LL;  // 0000-01-01T00:00:00.000Z
constexpr TimeMs kLastTime = 253402300799999LL;   // 9999-12-31T23:59:59.999Z

bool isLeap(qint64 y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int daysInMonth(qint64 y, int m)
{
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeap(y) ? 29 : days[m - 1];
}

const char* monthName(int m)
{
    static constexpr const char* names[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
    return names[m - 1];
}

bool isAsciiDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isAsciiSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// n ASCII digits at `at`.
bool digits(std::string_view s, size_t at, int n, int& out)
{
    if (at + size_t(n) > s.size())
        return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
        const char c = s[at + size_t(i)];
        if (!isAsciiDigit(c))
            return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

std::optional<TimeMs> refuse(QString* why, const QString& message)
{
    if (why)
        *why = message;
    return std::nullopt;
}

QString outOfRange()
{
    return QStringLiteral("out of range: a time must fall in the years 0000 to 9999 (epoch seconds, or "
                          "milliseconds from 100000000000 on)");
}

/// An epoch number: integer seconds (fewer than 12 digits) or milliseconds, or decimal seconds (a
/// fraction or an exponent, as JSON writes numbers). Exact: no floating point, sub-millisecond digits
/// are cut towards the earlier time.
std::optional<TimeMs> parseEpoch(std::string_view s, QString* why)
{
    size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative)
        ++i;
    std::string mantissa;  // significant digits, no leading zeros
    long fractionDigits = 0;
    bool decimal = false, any = false;
    auto take = [&](char c) {
        any = true;
        if (!mantissa.empty() || c != '0')
            mantissa += c;
    };
    while (i < s.size() && isAsciiDigit(s[i]))
        take(s[i++]);
    if (!any)
        return std::nullopt;
    if (i < s.size() && s[i] == '.') {
        decimal = true;
        ++i;
        const size_t from = i;
        while (i < s.size() && isAsciiDigit(s[i])) {
            take(s[i++]);
            ++fractionDigits;
        }
        if (i == from)
            return std::nullopt;
    }
    long exponent = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        decimal = true;
        ++i;
        bool negExp = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            negExp = s[i++] == '-';
        const size_t from = i;
        while (i < s.size() && isAsciiDigit(s[i])) {
            if (exponent < 100000)
                exponent = exponent * 10 + (s[i] - '0');
            ++i;
        }
        if (i == from)
            return std::nullopt;
        if (negExp)
            exponent = -exponent;
    }
    if (i != s.size())
        return std::nullopt;
    // Integers of 12 digits or more are milliseconds already.
    const long scale = decimal || mantissa.size() < 12 ? exponent - fractionDigits + 3 : 0;
    const long intDigits = long(mantissa.size()) + scale;
    if (intDigits > 16)
        return refuse(why, outOfRange());
    qint64 ms = 0;
    bool cut = false;
    for (long k = 0; k < intDigits; ++k)
        ms = ms * 10 + (k < long(mantissa.size()) ? mantissa[size_t(k)] - '0' : 0);
    for (long k = std::max(0L, intDigits); k < long(mantissa.size()); ++k)
        cut = cut || mantissa[size_t(k)] != '0';
    if (negative)
        ms = -ms - (cut ? 1 : 0);
    if (ms < kFirstTime || ms > kLastTime)
        return refuse(why, outOfRange());
    return ms;
}

} // namespace

QString Event::correlationId() const
{
    return metadataString(metadata, {"correlationId", "$correlationId", "correlation_id", "correlationID"});
}

QString Event::causationId() const
{
    return metadataString(metadata, {"causationId", "$causationId", "causation_id", "causationID"});
}

QString Event::categoryOf(const QString& stream)
{
    const qsizetype dash = stream.indexOf(u'-');
    return dash > 0 ? stream.left(dash) : stream;
}

QByteArray Event::toCanonicalJson() const
{
    QByteArray out;
    out.reserve(96 + stream.size() + type.size() + id.size() + data.size() + metadata.size());
    out += "{\"position\":";
    out += QByteArray::number(position);
    out += ",\"stream\":";
    appendJsonString(out, stream);
    out += ",\"version\":";
    out += QByteArray::number(version);
    out += ",\"type\":";
    appendJsonString(out, type);
    out += ",\"time\":";
    if (time == kNoTime)
        out += "null";
    else
        appendJsonString(out, formatTime(time));
    out += ",\"id\":";
    appendJsonString(out, id);
    out += ",\"data\":";
    out += data.isEmpty() ? QByteArray("null") : data;
    out += ",\"metadata\":";
    out += metadata.isEmpty() ? QByteArray("{}") : metadata;
    if (!dataIsJson)
        out += ",\"dataIsJson\":false";
    out += '}';
    return out;
}

QString formatTime(TimeMs t)
{
    if (t == kNoTime)
        return {};
    qint64 days = t / 86400000;
    qint64 msOfDay = t % 86400000;
    if (msOfDay < 0) {
        msOfDay += 86400000;
        --days;
    }
    qint64 y;
    unsigned m, d;
    civilFromDays(days, y, m, d);
    const int hh = int(msOfDay / 3600000), mm = int(msOfDay / 60000 % 60), ss = int(msOfDay / 1000 % 60),
              ms = int(msOfDay % 1000);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d, hh,
                  mm, ss, ms);
    return QString::fromLatin1(buf);
}

std::optional<TimeMs> parseTime(std::string_view s, QString* why)
{
    while (!s.empty() && isAsciiSpace(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isAsciiSpace(s.back()))
        s.remove_suffix(1);
    const QString kShapes = QStringLiteral("expected RFC 3339 like 2026-01-05T10:00:00Z, YYYY-MM-DD HH:MM:SS as "
                                           "UTC, or epoch seconds or milliseconds");
    if (s.empty())
        return refuse(why, QStringLiteral("empty (no time given)"));
    for (char c : s)
        if (uchar(c) >= 0x80)
            return refuse(why, QStringLiteral("it has a non-ASCII character; only ASCII digits are read"));

    if (s.size() < 5 || s[4] != '-') {
        QString epochWhy;
        if (isAsciiDigit(s[0]) || (s[0] == '-' && s.size() > 1 && isAsciiDigit(s[1])))
            if (auto t = parseEpoch(s, &epochWhy))
                return t;
        return refuse(why, epochWhy.isEmpty() ? kShapes : epochWhy);
    }

    int y, mo, d, hh = 0, mi = 0, ss = 0;
    if (s.size() < 10 || !digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d))
        return refuse(why, kShapes);
    if (mo < 1 || mo > 12)
        return refuse(why, QStringLiteral("there is no month %1").arg(mo));
    if (d < 1 || d > daysInMonth(y, mo))
        return refuse(why, d < 1 ? QStringLiteral("there is no day 0")
                                 : QStringLiteral("no such date: %1 %2 has %3 days")
                                       .arg(QLatin1String(monthName(mo)))
                                       .arg(y, 4, 10, QLatin1Char('0'))
                                       .arg(daysInMonth(y, mo)));
    size_t i = 10;
    qint64 ms = 0;
    qint64 offsetMs = 0;
    if (i < s.size()) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return refuse(why, kShapes);
        ++i;
        if (!digits(s, i, 2, hh) || i + 2 >= s.size() || s[i + 2] != ':' || !digits(s, i + 3, 2, mi))
            return refuse(why, kShapes);
        i += 5;
        if (i < s.size() && s[i] == ':') {
            if (!digits(s, i + 1, 2, ss))
                return refuse(why, kShapes);
            i += 3;
        }
        if (hh > 23)
            return refuse(why, QStringLiteral("the hour %1 is out of range (00 to 23)").arg(hh));
        if (mi > 59)
            return refuse(why, QStringLiteral("the minute %1 is out of range (00 to 59)").arg(mi));
        // 60 is a leap second; like POSIX time it counts as the first second of the next minute.
        if (ss > 60)
            return refuse(why, QStringLiteral("the second %1 is out of range (00 to 60)").arg(ss));
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            ++i;
            int n = 0;
            while (i < s.size() && isAsciiDigit(s[i])) {
                if (n < 3)
                    ms = ms * 10 + (s[i] - '0');
                ++n;
                ++i;
            }
            if (n == 0)
                return refuse(why, QStringLiteral("the fraction of a second has no digits"));
            for (; n < 3; ++n)
                ms *= 10;
        }
        if (i < s.size()) {
            if (s[i] == 'Z' || s[i] == 'z') {
                ++i;
            } else if (s[i] == '+' || s[i] == '-') {
                // +HH, +HHMM or +HH:MM
                const size_t at = i;
                const int sign = s[i] == '-' ? -1 : 1;
                int oh, om = 0;
                if (!digits(s, i + 1, 2, oh))
                    return refuse(why, kShapes);
                i += 3;
                if (i < s.size()) {
                    if (s[i] == ':')
                        ++i;
                    if (!digits(s, i, 2, om))
                        return refuse(why, kShapes);
                    i += 2;
                }
                if (oh > 23 || om > 59)
                    return refuse(why, QStringLiteral("the offset %1 is out of range (-23:59 to +23:59)")
                                           .arg(QString::fromLatin1(s.data() + at, qsizetype(i - at))));
                offsetMs = sign * (oh * 3600000LL + om * 60000LL);
            }
        }
        if (i != s.size())
            return refuse(why, kShapes);
    }
    const qint64 days = daysFromCivil(y, unsigned(mo), unsigned(d));
    const TimeMs t = days * 86400000LL + hh * 3600000LL + mi * 60000LL + ss * 1000LL + ms - offsetMs;
    if (t < kFirstTime || t > kLastTime)
        return refuse(why, outOfRange());
    return t;
}

std::optional<TimeMs> parseTime(QStringView text, QString* why)
{
    text = text.trimmed();
    // Only ASCII is ever a digit here: a digit of another script is refused, not read as its value.
    for (QChar c : text)
        if (c.unicode() >= 0x80)
            return refuse(why, QStringLiteral("it has the non-ASCII character U+%1; only ASCII digits are read")
                                   .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, u'0')));
    const QByteArray ascii = text.toLatin1();
    return parseTime(std::string_view(ascii.constData(), size_t(ascii.size())), why);
}
} // namespace chronoscope
