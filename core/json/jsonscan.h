#pragma once
// The core's one JSON grammar (RFC 8259, strict UTF-8): a validating scanner that builds no tree. It checks
// one value and reports where it and its members start and end, so the import copies `data` and `metadata`
// through as text, the minifier (json/jsontext.h) validates what the layouts and remote clients copy, and
// the kept-number code (json/jsonvalue.h) checks number texts. It never recurses, so nesting depth costs no
// stack: a document nested 100,000 levels deep is refused at the depth limit, not a crash.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chronoscope::jsonscan {

inline constexpr int kMaxDepth = 512;

enum class Status { Complete, Incomplete, Error };

struct Result
{
    Status status = Status::Error;
    const char* end = nullptr;      ///< Complete: one past the value
    const char* errorAt = nullptr;  ///< Error: where the problem is
    const char* message = nullptr;  ///< Error: what is wrong, in words
};

/// One member of a top-level object, as views into the scanned buffer.
struct Member
{
    std::string_view key;       ///< raw key text between the quotes (escapes not decoded)
    bool keyEscaped = false;    ///< the key contains a backslash escape
    std::string_view value;     ///< raw value text
    char kind = 0;              ///< '{', '[', '"', 'n' (number), 't', 'f', 'z' (null)
    bool spaced = false;        ///< the value contains whitespace between tokens (needs compacting)
    int claimedBy = -1;         ///< importer bookkeeping: which canonical field took it
};

/// Scans one JSON value starting at p (whitespace before it skipped). Incomplete means the input ended
/// inside the value. `whole`: [p, end) is all there is, so a number that runs to `end` is complete (in a
/// stream more digits could follow). Nesting deeper than maxDepth is an error.
Result scanValue(const char* p, const char* end, bool* spaced = nullptr, int maxDepth = kMaxDepth, bool whole = false);

/// True when [p, p + n) is exactly one number of the RFC 8259 grammar; *integerForm (optional) tells
/// whether it has neither a fraction nor an exponent.
bool isNumber(const char* p, std::size_t n, bool* integerForm = nullptr);

/// Scans one JSON value starting at p; when it is an object, fills members with its top-level members
/// (cleared first). *isObject tells whether it was an object.
Result scanTopValue(const char* p, const char* end, std::vector<Member>& members, bool* isObject);

/// Decodes a raw JSON string body (between the quotes) to UTF-8. Lone surrogates become U+FFFD.
void decodeString(std::string_view raw, std::string& out);

/// Removes whitespace between tokens of a valid JSON text.
void compact(std::string_view json, std::string& out);

inline bool isSpace(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

} // namespace chronoscope::jsonscan
