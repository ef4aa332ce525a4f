// Harness for the glob matcher every source filters with (globMatch in core/model/event.cpp; the reference
// grammar for --streams/--match). The input is "pattern\0text" (UTF-8). Properties that hold for any glob
// grammar with '*', '?' and sets:
// - no crash, no overflow, and no runaway time: libFuzzer's -timeout catches exponential backtracking;
// - a pattern without metacharacters matches exactly the equal text;
// - "*" matches everything, "*" + P + "*" matches when P (without metacharacters) occurs in the text;
// - a pattern matches itself when it has no metacharacters, and text never matches a longer literal.
#include "fuzz_support.h"

#include "model/event.h"

using namespace chronoscope;

namespace {

bool hasMeta(const QString& s)
{
    for (QChar c : s)
        if (c == u'*' || c == u'?' || c == u'[' || c == u']' || c == u'\\' || c == u'{' || c == u'}')
            return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const auto [p, t] = fuzz::split(fuzz::bytes(data, size), '\0');
    const QString pattern = QString::fromUtf8(p);
    const QString text = QString::fromUtf8(t);

    const bool m = globMatch(pattern, text);
    FUZZ_CHECK(globMatch(QStringLiteral("*"), text), "'*' does not match '%s'", qPrintable(text));
    if (!hasMeta(pattern)) {
        FUZZ_CHECK(m == (pattern == text), "literal pattern '%s' vs '%s': %d", qPrintable(pattern),
                   qPrintable(text), int(m));
        FUZZ_CHECK(globMatch(pattern, pattern), "literal pattern '%s' does not match itself",
                   qPrintable(pattern));
        const bool contains = text.contains(pattern);
        FUZZ_CHECK(globMatch(u'*' + pattern + u'*', text) == contains, "'*%s*' vs '%s' should be %d",
                   qPrintable(pattern), qPrintable(text), int(contains));
    }
    // A match survives appending the same suffix to both when the suffix is plain text.
    if (m && !pattern.endsWith(u'\\') && !pattern.contains(u'['))
        FUZZ_CHECK(globMatch(pattern + QLatin1String("-x"), text + QLatin1String("-x")),
                   "'%s' matches '%s' but not with '-x' appended", qPrintable(pattern), qPrintable(text));
    return 0;
}
