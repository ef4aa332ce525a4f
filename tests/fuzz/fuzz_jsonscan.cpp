// Harness for the import scanner (core/json/jsonscan): the input is NDJSON, scanned line by line as the
// importer does, and as one whole document. Properties checked for every input:
// - a result points inside the buffer (end after the start, error position within the text) and an error
//   has a message;
// - scanTopValue() and scanValue() agree on where a value ends; each member's value rescans to its own end;
// - compact() of a complete value is still a complete value with the same end, has no whitespace outside
//   strings and is byte for byte what the shared minifier (compactJson) writes;
// - the scanner and compactJson accept exactly the same documents (both are strict RFC 8259 with UTF-8
//   and 512 levels of nesting; a difference is a bug in one of them);
// - decodeString() always writes valid UTF-8.
#include "fuzz_support.h"

#include "json/jsonscan.h"
#include "json/jsontext.h"

#include <string>
#include <vector>

using namespace chronoscope;
namespace js = chronoscope::jsonscan;

namespace {

bool validUtf8(const std::string& s)
{
    const QByteArray b = QByteArray::fromRawData(s.data(), qsizetype(s.size()));
    return QString::fromUtf8(b).toUtf8() == b;
}

bool whitespaceOutsideStrings(const std::string& s)
{
    bool inString = false;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (js::isSpace(c)) {
            return true;
        }
    }
    return false;
}

void checkResult(const js::Result& r, const char* begin, const char* end)
{
    switch (r.status) {
    case js::Status::Complete:
        FUZZ_CHECK(r.end && r.end > begin && r.end <= end, "complete value ends outside the buffer");
        break;
    case js::Status::Error:
        FUZZ_CHECK(r.message && *r.message, "error without a message");
        FUZZ_CHECK(r.errorAt && r.errorAt >= begin && r.errorAt < end, "error position outside the text");
        break;
    case js::Status::Incomplete:
        break;
    }
}

// One line (without its '\n'); `line` is followed in memory by a '\n' so a trailing number completes.
void scanLine(const char* begin, const char* end)
{
    std::vector<js::Member> members;
    bool isObject = false;
    const js::Result top = js::scanTopValue(begin, end, members, &isObject);
    checkResult(top, begin, end);
    bool spaced = false;
    const js::Result plain = js::scanValue(begin, end, &spaced);
    checkResult(plain, begin, end);
    FUZZ_CHECK(top.status == plain.status, "scanTopValue and scanValue disagree on the status");
    if (top.status != js::Status::Complete) return;
    FUZZ_CHECK(top.end == plain.end, "scanTopValue and scanValue disagree on the end");
    FUZZ_CHECK(isObject == (*begin == '{'), "isObject wrong");

    std::string decoded;
    for (const js::Member& m : members) {
        FUZZ_CHECK(m.key.data() > begin && m.key.data() + m.key.size() < top.end,
                   "member key outside the value");
        FUZZ_CHECK(m.value.data() > begin && m.value.data() + m.value.size() < top.end,
                   "member value outside the value");
        bool memberSpaced = false;
        const js::Result again = js::scanValue(m.value.data(), end, &memberSpaced);
        FUZZ_CHECK(again.status == js::Status::Complete && again.end == m.value.data() + m.value.size(),
                   "a member's value does not rescan to its own end");
        FUZZ_CHECK(memberSpaced == m.spaced, "member spaced flag differs from a rescan");
        const char first = m.value.front();
        const char kind =
            (first == '-' || (first >= '0' && first <= '9')) ? 'n' : (first == 'n' ? 'z' : first);
        FUZZ_CHECK(m.kind == kind, "member kind '%c' for a value starting with '%c'", m.kind, first);
        js::decodeString(m.key, decoded);
        FUZZ_CHECK(validUtf8(decoded), "decodeString wrote invalid UTF-8");
        FUZZ_CHECK(m.keyEscaped == (m.key.find('\\') != std::string_view::npos), "keyEscaped flag wrong");
        if (m.kind == '"') {
            js::decodeString(m.value.substr(1, m.value.size() - 2), decoded);
            FUZZ_CHECK(validUtf8(decoded), "decodeString wrote invalid UTF-8");
        }
    }

    const std::string_view value(begin, size_t(top.end - begin));
    std::string compacted;
    js::compact(value, compacted);
    FUZZ_CHECK(!whitespaceOutsideStrings(compacted), "compact() left whitespace between tokens");
    FUZZ_CHECK(spaced || compacted == value, "a value without whitespace changed when compacted");
    std::string padded = compacted + '\n';
    const js::Result re = js::scanValue(padded.data(), padded.data() + padded.size());
    FUZZ_CHECK(re.status == js::Status::Complete && re.end == padded.data() + compacted.size(),
               "compact() output is not one complete value");
    QByteArray minified;
    QString why;
    FUZZ_CHECK(compactJson(value.data(), qsizetype(value.size()), &minified, &why),
               "scanner accepts a value compactJson refuses: %s", qPrintable(why));
    FUZZ_CHECK(minified == QByteArray::fromRawData(compacted.data(), qsizetype(compacted.size())),
               "compact() and compactJson() differ");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // A copy with a '\n' after the end: the importer always has the line break (or its own) after a line.
    std::string buf(reinterpret_cast<const char*>(data), size);
    buf += '\n';
    const char* const begin = buf.data();
    const char* const end = begin + size; // the sentinel stays outside the scanned range...

    // NDJSON: every line on its own, as importer.cpp splits them.
    const char* line = begin;
    while (line < end) {
        const char* nl = line;
        while (nl < end && *nl != '\n')
            ++nl;
        // ...except that a line is scanned up to and including its own line break, as the importer does.
        const char* s = line;
        while (s < nl && js::isSpace(*s))
            ++s;
        if (s < nl) scanLine(s, nl + 1);
        line = nl + 1;
    }

    // The whole input as one document, differentially against the shared minifier.
    const char* s = begin;
    while (s < end && js::isSpace(*s))
        ++s;
    if (s < end) {
        const js::Result whole = js::scanValue(s, end + 1);
        checkResult(whole, s, end + 1);
        bool scannerAccepts = whole.status == js::Status::Complete;
        if (scannerAccepts)
            for (const char* t = whole.end; t < end; ++t)
                if (!js::isSpace(*t)) scannerAccepts = false;
        QByteArray minified;
        QString why;
        const bool minifierAccepts = compactJson(begin, qsizetype(size), &minified, &why);
        FUZZ_CHECK(scannerAccepts == minifierAccepts, "scanner %s, compactJson %s (%s)",
                   scannerAccepts ? "accepts" : "refuses", minifierAccepts ? "accepts" : "refuses",
                   whole.message ? whole.message : qPrintable(why));
    }
    return 0;
}
