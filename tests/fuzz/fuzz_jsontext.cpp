// Harness for the shared JSON minifier (core/json/jsontext: compactJson). Properties:
// - accepted text compacts to a fixed point (compacting the output again accepts and changes nothing),
//   never grows, and drops only whitespace between tokens;
// - differential against nlohmann::json's strict parser (RFC 8259, UTF-8 checked): whatever nlohmann
//   accepts within the nesting limit, compactJson accepts; whatever compactJson accepts, nlohmann accepts
//   unless it holds a \u escape of a lone UTF-16 surrogate or a number beyond double range (valid grammar
//   that nlohmann refuses);
// - a lower nesting limit is honoured exactly.
#include "fuzz_support.h"

#include "json/jsontext.h"

#include <nlohmann/json.hpp>

using namespace chronoscope;

namespace {

// Deepest nesting of valid JSON text (strings skipped).
int depthOf(const QByteArray& s)
{
    int depth = 0, deepest = 0;
    bool inString = false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

// True when the text holds a \uD800-\uDFFF escape that is not part of a high+low pair.
bool hasLoneSurrogateEscape(const QByteArray& s)
{
    auto unitAt = [&s](qsizetype i) -> int { // the code unit of a "\uXXXX" at i, -1 if none
        if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
        bool ok = false;
        const int v = s.mid(i + 2, 4).toInt(&ok, 16);
        return ok ? v : -1;
    };
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') continue;
        const int u = unitAt(i);
        if (u >= 0xD800 && u <= 0xDBFF) {
            const int lo = unitAt(i + 6);
            if (lo < 0xDC00 || lo > 0xDFFF) return true;
            i += 11;
            continue;
        }
        if (u >= 0xDC00 && u <= 0xDFFF) return true;
        ++i; // skip the escaped character
    }
    return false;
}

// nlohmann's SAX parser with every event accepted: tells valid text from invalid without building a tree,
// and whether a refusal is a number out of double range (nlohmann's error 406), which RFC 8259 allows.
struct Reference : nlohmann::json_sax<nlohmann::json>
{
    bool overflow = false;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override
    {
        overflow = e.id == 406;
        return false;
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray in = fuzz::bytes(data, size);
    QByteArray out;
    QString why;
    const bool ok = compactJson(in, &out, &why);
    FUZZ_CHECK(ok || !why.isEmpty(), "refused without a reason");

    // nlohmann skips a leading UTF-8 byte order mark; RFC 8259 lets a parser do so, the minifier does not.
    // nlohmann also takes a NUL byte as the end of the input; such inputs are left out of the comparison.
    Reference reference;
    const bool referenceOk = !in.startsWith("\xEF\xBB\xBF") && !in.contains('\0') &&
                             nlohmann::json::sax_parse(in.constBegin(), in.constEnd(), &reference);
    if (ok) {
        FUZZ_CHECK(out.size() <= in.size(), "minified text grew");
        QByteArray again;
        FUZZ_CHECK(compactJson(out, &again), "minified text is no longer accepted");
        FUZZ_CHECK(again == out, "minifying twice changed the text");
        // Only whitespace went away: the input without its whitespace outside strings is the output.
        QByteArray stripped;
        bool inString = false;
        for (qsizetype i = 0; i < in.size(); ++i) {
            const char c = in[i];
            if (inString) {
                stripped += c;
                if (c == '\\' && i + 1 < in.size())
                    stripped += in[++i];
                else if (c == '"')
                    inString = false;
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                stripped += c;
                inString = c == '"';
            }
        }
        FUZZ_CHECK(stripped == out, "minifier changed more than whitespace");
        FUZZ_CHECK(referenceOk || reference.overflow || hasLoneSurrogateEscape(in),
                   "compactJson accepts what nlohmann::json refuses");
        const int depth = depthOf(out);
        FUZZ_CHECK(depth <= 512, "nesting %d passed the default limit", depth);
        if (depth > 0) {
            QByteArray limited;
            FUZZ_CHECK(!compactJson(in.constData(), in.size(), &limited, nullptr, depth - 1),
                       "nesting %d accepted with a limit of %d", depth, depth - 1);
            FUZZ_CHECK(compactJson(in.constData(), in.size(), &limited, nullptr, depth),
                       "nesting %d refused with a limit of %d", depth, depth);
        }
    } else if (referenceOk) {
        // RFC 8259 leaves the nesting limit to the parser; nlohmann has none.
        FUZZ_CHECK(depthOf(in) > 512, "nlohmann::json accepts what compactJson refuses: %s", qPrintable(why));
    }
    return 0;
}
