#include "import/fieldmap_p.h"

#include "import/importer.h"

#include <QStringList>

#include <algorithm>
#include <cctype>
#include <limits>

namespace chronoscope::importer {

// The names events carry their fields under in common stores and exports, best first.
const std::unordered_map<std::string_view, Candidate>& candidates()
{
    static const std::unordered_map<std::string_view, Candidate> table = [] {
        std::unordered_map<std::string_view, Candidate> t;
        auto add = [&t](Field f, std::initializer_list<const char*> names) {
            int prio = 0;
            for (const char* n : names)
                t.emplace(n, Candidate{f, prio++});
        };
        add(FStream, {"stream", "streamId", "stream_id", "streamName", "stream_name", "streamid", "aggregateId",
                      "aggregate_id", "aggregateID", "aggregate", "originator_id", "originatorId", "subject", "entityId",
                      "entity_id"});
        add(FType, {"type", "eventType", "event_type", "eventtype", "messageType", "message_type", "event"});
        add(FTime, {"time", "timestamp", "created", "createdAt", "created_at", "occurredAt", "occurred_at",
                    "occurredOn", "occurred_on", "recorded", "recordedAt", "recorded_at", "eventTime", "event_time",
                    "date", "ts"});
        add(FVersion, {"version", "streamVersion", "stream_version", "eventNumber", "event_number", "streamPosition",
                       "stream_position", "sequence", "sequenceNumber", "sequence_number", "seq", "originator_version",
                       "originatorVersion"});
        add(FPosition, {"global_position", "globalPosition", "commit_position", "commitPosition", "log_position",
                        "logPosition", "position"});
        add(FId, {"id", "eventId", "event_id", "eventID", "messageId", "message_id", "uuid"});
        add(FData, {"data", "payload", "body", "eventData", "event_data", "message_data", "messageData", "content"});
        add(FMetadata, {"metadata", "meta", "metaData", "meta_data", "headers", "message_metadata", "messageMetadata",
                        "event_metadata", "eventMetadata"});
        return t;
    }();
    return table;
}

// Case-insensitive second chance (StreamId, EventType, ...).
const std::unordered_map<std::string, Candidate>& lowerCandidates()
{
    static const std::unordered_map<std::string, Candidate> table = [] {
        std::unordered_map<std::string, Candidate> t;
        for (const auto& [k, v] : candidates()) {
            std::string lower(k);
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            auto it = t.find(lower);
            if (it == t.end() || it->second.priority > v.priority)
                t[lower] = v;
        }
        return t;
    }();
    return table;
}

// ---------------------------------------------------------------------------------------------
// Values.

/// A JSON integer in the range of qint64; nullopt for anything else (a fraction, an exponent, a value
/// that does not fit: 9223372036854775808 must not wrap to -2^63).
std::optional<qint64> parseInteger(std::string_view s)
{
    if (s.empty())
        return std::nullopt;
    size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative && s.size() == 1)
        return std::nullopt;
    i = negative ? 1 : 0;
    // Accumulated as a negative number: its range reaches -2^63, the positive one stops at 2^63 - 1.
    constexpr qint64 kMin = std::numeric_limits<qint64>::min();
    qint64 v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9')
            return std::nullopt;
        const int digit = s[i] - '0';
        if (v < (kMin + digit) / 10)
            return std::nullopt;
        v = v * 10 - digit;
    }
    if (negative)
        return v;
    if (v == kMin)
        return std::nullopt;
    return -v;
}

/// Whether a JSON string's text (escapes not yet decoded) has a \u escape of a lone surrogate: decoded
/// it would become U+FFFD and different names would merge into one.
bool hasLoneSurrogate(std::string_view raw)
{
    auto hex = [&raw](size_t at, unsigned& out) {
        if (at + 4 > raw.size())
            return false;
        out = 0;
        for (size_t k = at; k < at + 4; ++k) {
            const char c = raw[k];
            const unsigned d = c >= '0' && c <= '9' ? unsigned(c - '0')
                               : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                               : c >= 'A' && c <= 'F' ? unsigned(c - 'A' + 10)
                                                      : 16u;
            if (d > 15)
                return false;
            out = out * 16 + d;
        }
        return true;
    };
    for (size_t i = 0; i + 1 < raw.size(); ++i) {
        if (raw[i] != '\\')
            continue;
        if (raw[i + 1] != 'u') {
            ++i;  // an escaped character, maybe a backslash
            continue;
        }
        unsigned cu = 0;
        if (!hex(i + 2, cu))
            return true;  // not valid JSON anyway
        i += 5;
        if (cu >= 0xDC00 && cu <= 0xDFFF)
            return true;
        if (cu >= 0xD800 && cu <= 0xDBFF) {
            unsigned lo = 0;
            if (i + 2 >= raw.size() || raw[i + 1] != '\\' || raw[i + 2] != 'u' || !hex(i + 3, lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return true;
            i += 6;
        }
    }
    return false;
}

const char* kindName(char kind)
{
    switch (kind) {
    case '[': return "a JSON array";
    case '"': return "a string";
    case 'n': return "a number";
    case 't':
    case 'f': return "a boolean";
    case 'z': return "null";
    default: return "not an object";
    }
}

} // namespace chronoscope::importer

namespace chronoscope {

QStringList mappingFields()
{
    QStringList out;
    for (const char* n : importer::kFieldNames)
        out << QString::fromLatin1(n);
    return out;
}

} // namespace chronoscope
