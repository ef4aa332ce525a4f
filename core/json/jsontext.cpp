#include "json/jsontext.h"

#include "json/jsonscan.h"

#include <cstdio>
#include <string>

namespace chronoscope {

bool compactJson(const char* data, qsizetype size, QByteArray* out, QString* why, int maxDepth)
{
    out->clear();
    const char* end = data + size;
    bool spaced = false;
    const jsonscan::Result r = jsonscan::scanValue(data, end, &spaced, maxDepth, true);
    const char* after = r.end;
    if (r.status == jsonscan::Status::Complete)
        while (after != end && jsonscan::isSpace(*after))
            ++after;
    if (r.status != jsonscan::Status::Complete || after != end) {
        if (why)
            *why = r.status == jsonscan::Status::Error    ? QString::fromLatin1(r.message)
                   : r.status == jsonscan::Status::Incomplete ? QStringLiteral("unexpected end of the JSON text")
                                                              : QStringLiteral("unexpected text after the JSON value");
        return false;
    }
    // Whitespace before the value is not in `spaced` when the value itself has none.
    const char* start = data;
    while (start != r.end && jsonscan::isSpace(*start))
        ++start;
    if (!spaced) {
        out->append(start, r.end - start);
        return true;
    }
    std::string compacted;
    jsonscan::compact(std::string_view(start, size_t(r.end - start)), compacted);
    out->append(compacted.data(), qsizetype(compacted.size()));
    return true;
}

qsizetype skipJsonValue(const QByteArray& compact, qsizetype at)
{
    if (at >= compact.size())
        return compact.size();
    const jsonscan::Result r =
        jsonscan::scanValue(compact.constData() + at, compact.constData() + compact.size(), nullptr, jsonscan::kMaxDepth, true);
    return r.status == jsonscan::Status::Complete ? r.end - compact.constData() : compact.size();
}

bool jsonObjectMembers(const QByteArray& compact, QList<std::pair<QByteArray, QByteArray>>* members)
{
    members->clear();
    if (compact.size() < 2 || compact.front() != '{' || compact.back() != '}')
        return false;
    std::vector<jsonscan::Member> found;
    bool isObject = false;
    const char* end = compact.constData() + compact.size();
    const jsonscan::Result r = jsonscan::scanTopValue(compact.constData(), end, found, &isObject);
    if (r.status != jsonscan::Status::Complete || r.end != end || !isObject)
        return false;
    members->reserve(qsizetype(found.size()));
    for (const jsonscan::Member& m : found)
        members->append({QByteArray(m.key.data(), qsizetype(m.key.size())), QByteArray(m.value.data(), qsizetype(m.value.size()))});
    return true;
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

QByteArray jsonStringLiteral(const QString& s)
{
    QByteArray out;
    out.reserve(s.size() + 2);
    appendJsonString(out, s);
    return out;
}

} // namespace chronoscope
