#include "json/jsonscan.h"

#include <cstdint>
#include <cstring>
#include <memory>

namespace chronoscope::jsonscan {

namespace {

inline Result incomplete()
{
    Result r;
    r.status = Status::Incomplete;
    return r;
}

inline Result error(const char* at, const char* message)
{
    Result r;
    r.status = Status::Error;
    r.errorAt = at;
    r.message = message;
    return r;
}

// Skips whitespace; sets *spaced when any was skipped.
inline const char* skipSpace(const char* p, const char* end, bool& spaced)
{
    const char* start = p;
    while (p < end && isSpace(*p))
        ++p;
    if (p != start)
        spaced = true;
    return p;
}

inline bool isHex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Length of a valid UTF-8 sequence starting at p (lead byte >= 0x80), 0 if invalid, -1 if cut short.
inline int utf8Length(const unsigned char* p, const unsigned char* end)
{
    const unsigned char c = p[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; // no overlong forms
        else if (c == 0xED)
            hi = 0x9F; // no UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (end - p < n) {
        // Check what is there, so garbage is reported as garbage and not as "incomplete".
        for (int i = 1; i < end - p; ++i)
            if (p[i] < 0x80 || p[i] > 0xBF || (i == 1 && (p[1] < lo || p[1] > hi)))
                return 0;
        return -1;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; ++i)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

// p points after the opening quote. Returns the position after the closing quote.
inline Result scanString(const char* p, const char* end, bool* escaped)
{
    const unsigned char* s = reinterpret_cast<const unsigned char*>(p);
    const unsigned char* e = reinterpret_cast<const unsigned char*>(end);
    for (;;) {
        // Plain ASCII runs, eight bytes at a time: stop at '"', '\\', control bytes or non-ASCII.
        while (e - s >= 8) {
            uint64_t w;
            std::memcpy(&w, s, 8);
            const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            const uint64_t quote = w ^ (ones * '"');
            const uint64_t bslash = w ^ (ones * '\\');
            const uint64_t special = ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | (w - ones * 0x20) | w;
            if (special & highs)
                break;
            s += 8;
        }
        if (s >= e)
            return incomplete();
        const unsigned char c = *s;
        if (c == '"') {
            Result r;
            r.status = Status::Complete;
            r.end = reinterpret_cast<const char*>(s + 1);
            return r;
        }
        if (c == '\\') {
            if (escaped)
                *escaped = true;
            if (e - s < 2)
                return incomplete();
            const unsigned char x = s[1];
            if (x == 'u') {
                if (e - s < 6) {
                    for (const unsigned char* q = s + 2; q < e; ++q)
                        if (!isHex(*q))
                            return error(reinterpret_cast<const char*>(q), "bad \\u escape in a string");
                    return incomplete();
                }
                for (int i = 2; i < 6; ++i)
                    if (!isHex(s[i]))
                        return error(reinterpret_cast<const char*>(s + i), "bad \\u escape in a string");
                s += 6;
            } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' || x == 'r' || x == 't') {
                s += 2;
            } else {
                return error(reinterpret_cast<const char*>(s), "unknown escape in a string");
            }
            continue;
        }
        if (c < 0x20)
            return error(reinterpret_cast<const char*>(s),
                         c == '\n' ? "line break inside a string (the line may be cut short)" : "control character inside a string");
        if (c < 0x80) {
            ++s;
            continue;
        }
        const int n = utf8Length(s, e);
        if (n == 0)
            return error(reinterpret_cast<const char*>(s), "invalid UTF-8 in a string");
        if (n < 0)
            return incomplete();
        s += n;
    }
}

// A member name and its ':' at s (whitespace before the name already skipped). Complete: end is just
// after the ':'; *keyEnd (optional) just after the name's closing quote.
inline Result scanMemberName(const char* s, const char* end, bool& spaced, bool* escaped, const char** keyEnd)
{
    if (*s != '"')
        return error(s, "expected a member name in quotes");
    Result k = scanString(s + 1, end, escaped);
    if (k.status != Status::Complete)
        return k;
    if (keyEnd)
        *keyEnd = k.end;
    s = skipSpace(k.end, end, spaced);
    if (s >= end)
        return incomplete();
    if (*s != ':')
        return error(s, "expected ':' after a member name");
    k.end = s + 1;
    return k;
}

// `whole`: the text ends at `end`, so a number running up to it is complete.
inline Result scanNumber(const char* p, const char* end, bool whole)
{
    const char* s = p;
    if (s < end && *s == '-')
        ++s;
    if (s >= end)
        return incomplete();
    if (*s == '0') {
        ++s;
    } else if (*s >= '1' && *s <= '9') {
        while (s < end && *s >= '0' && *s <= '9')
            ++s;
    } else {
        return error(s, "a number must start with a digit");
    }
    if (s < end && *s == '.') {
        ++s;
        const char* d = s;
        while (s < end && *s >= '0' && *s <= '9')
            ++s;
        if (s == d)
            return s >= end ? incomplete() : error(s, "a digit must follow the decimal point");
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        ++s;
        if (s < end && (*s == '+' || *s == '-'))
            ++s;
        const char* d = s;
        while (s < end && *s >= '0' && *s <= '9')
            ++s;
        if (s == d)
            return s >= end ? incomplete() : error(s, "a digit must follow the exponent");
    }
    if (s >= end && !whole)
        return incomplete(); // more digits may follow
    Result r;
    r.status = Status::Complete;
    r.end = s;
    return r;
}

inline Result scanLiteral(const char* p, const char* end, const char* word, size_t n)
{
    const size_t have = size_t(end - p);
    if (std::memcmp(p, word, have < n ? have : n) != 0)
        return error(p, "unexpected word (expected true, false or null)");
    if (have < n)
        return incomplete();
    Result r;
    r.status = Status::Complete;
    r.end = p + n;
    return r;
}

} // namespace

Result scanValue(const char* p, const char* end, bool* spacedOut, int maxDepth, bool whole)
{
    // Explicit stack of open containers: '{' or '['. A deeper limit than the default takes the heap.
    char local[kMaxDepth];
    std::unique_ptr<char[]> large;
    char* stack = local;
    if (maxDepth > kMaxDepth) {
        large = std::make_unique<char[]>(size_t(maxDepth));
        stack = large.get();
    }
    int depth = 0;
    bool spaced = false;
    const char* s = p;

    for (;;) {
        // Expect a value.
        s = skipSpace(s, end, spaced);
        if (s >= end)
            return incomplete();
        const char c = *s;
        Result r;
        if (c == '{' || c == '[') {
            if (depth >= maxDepth)
                return error(s, maxDepth == kMaxDepth ? "JSON nested too deeply (more than 512 levels)"
                                                      : "JSON nested too deeply");
            stack[depth++] = c;
            ++s;
            s = skipSpace(s, end, spaced);
            if (s >= end)
                return incomplete();
            if ((c == '{' && *s == '}') || (c == '[' && *s == ']')) {
                --depth;
                ++s;
                goto afterValue;
            }
            if (c == '{') {
                r = scanMemberName(s, end, spaced, nullptr, nullptr);
                if (r.status != Status::Complete)
                    return r;
                s = r.end;
            }
            continue;
        }
        if (c == '"')
            r = scanString(s + 1, end, nullptr);
        else if (c == '-' || (c >= '0' && c <= '9'))
            r = scanNumber(s, end, whole && depth == 0);
        else if (c == 't')
            r = scanLiteral(s, end, "true", 4);
        else if (c == 'f')
            r = scanLiteral(s, end, "false", 5);
        else if (c == 'n')
            r = scanLiteral(s, end, "null", 4);
        else
            return error(s, "unexpected character (not JSON)");
        if (r.status != Status::Complete)
            return r;
        s = r.end;

    afterValue:
        for (;;) {
            if (depth == 0) {
                if (spacedOut)
                    *spacedOut = spaced;
                Result done;
                done.status = Status::Complete;
                done.end = s;
                return done;
            }
            s = skipSpace(s, end, spaced);
            if (s >= end)
                return incomplete();
            const char top = stack[depth - 1];
            if (*s == ',') {
                ++s;
                if (top == '{') {
                    s = skipSpace(s, end, spaced);
                    if (s >= end)
                        return incomplete();
                    const Result k = scanMemberName(s, end, spaced, nullptr, nullptr);
                    if (k.status != Status::Complete)
                        return k;
                    s = k.end;
                }
                break; // expect the next value
            }
            if ((top == '{' && *s == '}') || (top == '[' && *s == ']')) {
                --depth;
                ++s;
                continue;
            }
            return error(s, top == '{' ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
        }
    }
}

Result scanTopValue(const char* p, const char* end, std::vector<Member>& members, bool* isObject)
{
    members.clear();
    if (p >= end)
        return incomplete();
    if (*p != '{') {
        *isObject = false;
        return scanValue(p, end, nullptr);
    }
    *isObject = true;
    bool spaced = false;
    const char* s = skipSpace(p + 1, end, spaced);
    if (s >= end)
        return incomplete();
    if (*s == '}') {
        Result r;
        r.status = Status::Complete;
        r.end = s + 1;
        return r;
    }
    for (;;) {
        Member m;
        const char* keyEnd = nullptr;
        const Result k = scanMemberName(s, end, spaced, &m.keyEscaped, &keyEnd);
        if (k.status != Status::Complete)
            return k;
        m.key = std::string_view(s + 1, size_t(keyEnd - 1 - (s + 1)));
        s = skipSpace(k.end, end, spaced);
        if (s >= end)
            return incomplete();
        const char c = *s;
        const Result v = scanValue(s, end, &m.spaced);
        if (v.status != Status::Complete)
            return v;
        m.value = std::string_view(s, size_t(v.end - s));
        m.kind = (c == '-' || (c >= '0' && c <= '9')) ? 'n' : (c == 'n' ? 'z' : c);
        members.push_back(m);
        s = skipSpace(v.end, end, spaced);
        if (s >= end)
            return incomplete();
        if (*s == '}') {
            Result r;
            r.status = Status::Complete;
            r.end = s + 1;
            return r;
        }
        if (*s != ',')
            return error(s, "expected ',' or '}' in an object");
        s = skipSpace(s + 1, end, spaced);
        if (s >= end)
            return incomplete();
    }
}

bool isNumber(const char* p, std::size_t n, bool* integerForm)
{
    if (n == 0 || !(*p == '-' || (*p >= '0' && *p <= '9')))
        return false;
    const Result r = scanNumber(p, p + n, true);
    if (r.status != Status::Complete || r.end != p + n)
        return false;
    if (integerForm)
        *integerForm = std::memchr(p, '.', n) == nullptr && std::memchr(p, 'e', n) == nullptr &&
                       std::memchr(p, 'E', n) == nullptr;
    return true;
}

namespace {

void appendUtf8(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

uint32_t hex4(const char* p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        const char c = p[i];
        v = v * 16 + uint32_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

} // namespace

void decodeString(std::string_view raw, std::string& out)
{
    out.clear();
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '\\' || i + 1 >= raw.size()) {
            out += c;
            continue;
        }
        const char x = raw[++i];
        switch (x) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
            if (i + 4 >= raw.size()) {
                out += "\xEF\xBF\xBD";
                i = raw.size();
                break;
            }
            uint32_t cp = hex4(raw.data() + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
                    const uint32_t lo = hex4(raw.data() + i + 3);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        i += 6;
                    } else {
                        cp = 0xFFFD;
                    }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            appendUtf8(out, cp);
            break;
        }
        default: out += x; break; // '"', '\\', '/'
        }
    }
}

void compact(std::string_view json, std::string& out)
{
    out.clear();
    out.reserve(json.size());
    bool inString = false;
    for (size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < json.size())
                out += json[++i];
            else if (c == '"')
                inString = false;
        } else if (!isSpace(c)) {
            out += c;
            if (c == '"')
                inString = true;
        }
    }
}

} // namespace chronoscope::jsonscan
