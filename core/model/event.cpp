#include "model/event.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

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

bool digits(QStringView s, qsizetype at, int n, int& out)
{
    if (at + n > s.size())
        return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
        const QChar c = s[at + i];
        if (c < u'0' || c > u'9')
            return false;
        v = v * 10 + (c.unicode() - u'0');
    }
    out = v;
    return true;
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

void appendJsonString(QByteArray& out, QStringView s)
{
    // Fast path for plain ASCII (stream names, types, ids): one resize, no UTF-8 conversion.
    qsizetype i = 0;
    const qsizetype n = s.size();
    const char16_t* src = s.utf16();
    while (i < n) {
        const char16_t c = src[i];
        if (c >= 0x80 || c < 0x20 || c == u'"' || c == u'\\')
            break;
        ++i;
    }
    const qsizetype at = out.size();
    out.resize(at + i + 1);
    char* dst = out.data() + at;
    *dst++ = '"';
    for (qsizetype k = 0; k < i; ++k)
        dst[k] = char(src[k]);
    if (i < s.size()) {
        const QByteArray utf8 = s.mid(i).toUtf8();
        for (char c : utf8) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
                    out += buf;
                } else {
                    out += c;
                }
            }
        }
    }
    out += '"';
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

std::optional<TimeMs> parseTime(QStringView s)
{
    s = s.trimmed();
    if (s.isEmpty())
        return std::nullopt;

    // Integer epoch: seconds (<= 11 digits) or milliseconds.
    bool allDigits = true;
    for (QChar c : s)
        if (!c.isDigit() && c != u'-') {
            allDigits = false;
            break;
        }
    if (allDigits && !(s.size() == 10 && s[4] == u'-')) {
        bool ok = false;
        const qint64 v = s.toLongLong(&ok);
        if (!ok)
            return std::nullopt;
        return (v > -100000000000LL && v < 100000000000LL) ? v * 1000 : v;
    }

    int y, mo, d, hh = 0, mi = 0, ss = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != u'-' || !digits(s, 5, 2, mo) || s[7] != u'-' ||
        !digits(s, 8, 2, d))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return std::nullopt;
    qsizetype i = 10;
    qint64 ms = 0;
    qint64 offsetMs = 0;
    if (i < s.size()) {
        if (s[i] != u'T' && s[i] != u't' && s[i] != u' ')
            return std::nullopt;
        ++i;
        if (!digits(s, i, 2, hh) || i + 2 >= s.size() || s[i + 2] != u':' || !digits(s, i + 3, 2, mi))
            return std::nullopt;
        i += 5;
        if (i < s.size() && s[i] == u':') {
            if (!digits(s, i + 1, 2, ss))
                return std::nullopt;
            i += 3;
        }
        if (hh > 23 || mi > 59 || ss > 60)
            return std::nullopt;
        if (i < s.size() && (s[i] == u'.' || s[i] == u',')) {
            ++i;
            int n = 0;
            qint64 frac = 0;
            while (i < s.size() && s[i].isDigit()) {
                if (n < 3) {
                    frac = frac * 10 + (s[i].unicode() - u'0');
                    ++n;
                }
                ++i;
            }
            if (n == 0)
                return std::nullopt;
            while (n < 3) {
                frac *= 10;
                ++n;
            }
            ms = frac;
        }
        if (i < s.size()) {
            if (s[i] == u'Z' || s[i] == u'z') {
                ++i;
            } else if (s[i] == u'+' || s[i] == u'-') {
                const int sign = s[i] == u'-' ? -1 : 1;
                int oh, om = 0;
                if (!digits(s, i + 1, 2, oh))
                    return std::nullopt;
                i += 3;
                if (i < s.size() && s[i] == u':')
                    ++i;
                if (i < s.size() && !digits(s, i, 2, om))
                    return std::nullopt;
                if (i < s.size())
                    i += 2;
                offsetMs = sign * (oh * 3600000LL + om * 60000LL);
            }
        }
        if (i != s.size())
            return std::nullopt;
    }
    const qint64 days = daysFromCivil(y, unsigned(mo), unsigned(d));
    return days * 86400000LL + hh * 3600000LL + mi * 60000LL + ss * 1000LL + ms - offsetMs;
}

bool globMatch(QStringView pattern, QStringView text)
{
    // Iterative matcher with single-star backtracking; '[...]' sets with ranges and '!' negation.
    qsizetype p = 0, t = 0, starP = -1, starT = -1;
    auto matchSet = [&](qsizetype& pi, QChar c) -> std::optional<bool> {
        qsizetype j = pi + 1;
        bool negate = false;
        if (j < pattern.size() && (pattern[j] == u'!' || pattern[j] == u'^')) {
            negate = true;
            ++j;
        }
        bool matched = false;
        const qsizetype start = j;
        while (j < pattern.size() && (pattern[j] != u']' || j == start)) {
            if (j + 2 < pattern.size() && pattern[j + 1] == u'-' && pattern[j + 2] != u']') {
                if (c >= pattern[j] && c <= pattern[j + 2])
                    matched = true;
                j += 3;
            } else {
                if (c == pattern[j])
                    matched = true;
                ++j;
            }
        }
        if (j >= pattern.size())
            return std::nullopt; // unterminated: treat '[' literally
        pi = j + 1;
        return matched != negate;
    };
    while (t < text.size()) {
        if (p < pattern.size()) {
            const QChar pc = pattern[p];
            if (pc == u'*') {
                starP = p++;
                starT = t;
                continue;
            }
            if (pc == u'?') {
                ++p;
                ++t;
                continue;
            }
            if (pc == u'[') {
                qsizetype pi = p;
                if (auto r = matchSet(pi, text[t])) {
                    if (*r) {
                        p = pi;
                        ++t;
                        continue;
                    }
                } else if (text[t] == u'[') {
                    ++p;
                    ++t;
                    continue;
                }
            } else if (pc == text[t]) {
                ++p;
                ++t;
                continue;
            }
        }
        if (starP < 0)
            return false;
        p = starP + 1;
        t = ++starT;
    }
    while (p < pattern.size() && pattern[p] == u'*')
        ++p;
    return p == pattern.size();
}

} // namespace chronoscope
