#pragma once
// Import field mapping (internal to core/import): the canonical fields, the names events carry them
// under, and the checks on their values.

#include <QtGlobal>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chronoscope::importer {

enum Field { FStream, FType, FTime, FVersion, FPosition, FId, FData, FMetadata, FieldCount };
inline constexpr std::array<const char*, FieldCount> kFieldNames{"stream", "type", "time", "version", "position", "id", "data", "metadata"};

struct Candidate
{
    Field field;
    int priority; ///< lower wins
};

/// The names events carry their fields under in common stores and exports, best first.
const std::unordered_map<std::string_view, Candidate>& candidates();
/// Case-insensitive second chance (StreamId, EventType, ...).
const std::unordered_map<std::string, Candidate>& lowerCandidates();

/// A JSON integer in the range of qint64; nullopt for anything else (a fraction, an exponent, a value
/// that does not fit: 9223372036854775808 must not wrap to -2^63).
std::optional<qint64> parseInteger(std::string_view s);
/// Whether a JSON string's text (escapes not yet decoded) has a \u escape of a lone surrogate: decoded
/// it would become U+FFFD and different names would merge into one.
bool hasLoneSurrogate(std::string_view raw);
/// A member's JSON kind (json/jsonscan.h Member::kind) in words.
const char* kindName(char kind);

} // namespace chronoscope::importer
