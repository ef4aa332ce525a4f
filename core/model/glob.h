#pragma once
// The one glob grammar (docs/remote.md "Stream globs"): the parser globMatch() and every translation
// to a server's own pattern language (SQL, Redis MATCH) read a glob with, so they cannot disagree on
// what a character means. A glob and a name are sequences of Unicode code points; a lone surrogate in
// UTF-16 text is a code point of its own.

#include <QString>
#include <QStringView>

namespace chronoscope::glob {

struct Token
{
    enum Kind { Literal, AnyString, AnyChar, Set };
    Kind kind = Literal;
    char32_t ch = 0;          ///< Literal: the character (escapes resolved)
    bool escaped = false;     ///< Literal: written with a backslash
    bool negated = false;     ///< Set: [!...] or [^...]
    qsizetype from = 0;       ///< Set: its members are pattern[from, to), escapes unresolved
    qsizetype to = 0;
};

/// The code point at `at` in s, advancing `at` past it (a surrogate pair is one code point).
char32_t codePointAt(QStringView s, qsizetype& at);

/// The token that starts at `at` (which must be < pattern.size()); advances `at` past it.
Token nextToken(QStringView pattern, qsizetype& at);

/// The next member of a Set token, from `at` (start at token.from): a single character (lo == hi) or a
/// range lo-hi. false after the last one. A reversed range (lo > hi) is reported as written: it matches
/// nothing.
bool nextMember(QStringView pattern, const Token& set, qsizetype& at, char32_t& lo, char32_t& hi);

/// Whether the Set token matches the character c (negation applied).
bool setMatches(QStringView pattern, const Token& set, char32_t c);

/// The literal text a glob starts with (escapes resolved) up to its first wildcard, and whether it has
/// one. *exact is true when the glob is a plain name: no wildcard and no escape, so the glob's text is
/// the one name it matches and can be sent to a server as it is.
QString literalPrefix(QStringView pattern, bool* exact = nullptr);

} // namespace chronoscope::glob
