// Harness for the one time parser (parseTime in core/model/event.cpp). The input is UTF-8 text (invalid
// sequences become U+FFFD, so non-ASCII digits and signs are reachable). Properties:
// - parsing never crashes or overflows (UBSan aborts on signed overflow);
// - surrounding whitespace does not change the answer;
// - any time it returns between years 0000 and 9999 prints with formatTime() and parses back to the same
//   millisecond (formatTime's four-digit year cannot show the rest).
#include "fuzz_support.h"

#include "model/event.h"

using namespace chronoscope;

namespace {

// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z in ms since the epoch.
constexpr qint64 kFirstPrintable = -62167219200000LL;
constexpr qint64 kLastPrintable = 253402300799999LL;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size > 256) // times are short; long inputs only slow the search down
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    const std::optional<TimeMs> t = parseTime(text);
    const std::optional<TimeMs> spaced = parseTime(QLatin1String(" \t") + text + QLatin1String("\n "));
    FUZZ_CHECK(t == spaced, "surrounding whitespace changed the answer for '%s'", qPrintable(text));
    if (t && *t >= kFirstPrintable && *t <= kLastPrintable) {
        const QString printed = formatTime(*t);
        const std::optional<TimeMs> back = parseTime(printed);
        FUZZ_CHECK(back && *back == *t, "'%s' parsed as %lld, printed as %s, parsed back as %lld",
                   qPrintable(text), static_cast<long long>(*t), qPrintable(printed),
                   back ? static_cast<long long>(*back) : -1LL);
    }
    return 0;
}
