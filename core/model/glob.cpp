#include "model/glob.h"

#include "model/event.h"

namespace chronoscope {

namespace glob {

char32_t codePointAt(QStringView s, qsizetype& at)
{
    const char16_t c = s[at].unicode();
    ++at;
    if (QChar::isHighSurrogate(c) && at < s.size() && QChar::isLowSurrogate(s[at].unicode()))
        return QChar::surrogateToUcs4(c, s[at++].unicode());
    return c;
}

Token nextToken(QStringView p, qsizetype& at)
{
    Token t;
    const char32_t c = codePointAt(p, at);
    switch (c) {
    case U'*':
        t.kind = Token::AnyString;
        return t;
    case U'?':
        t.kind = Token::AnyChar;
        return t;
    case U'\\':
        // An escape takes the next character as it is; a backslash at the very end is itself.
        t.ch = at < p.size() ? codePointAt(p, at) : U'\\';
        t.escaped = true;
        return t;
    case U'[': {
        qsizetype j = at;
        bool negated = false;
        if (j < p.size() && (p[j] == u'!' || p[j] == u'^')) {
            negated = true;
            ++j;
        }
        const qsizetype from = j;
        // The closing ']' is the first one after at least one member; escapes are skipped over.
        while (j < p.size()) {
            if (p[j] == u']' && j > from) {
                t.kind = Token::Set;
                t.negated = negated;
                t.from = from;
                t.to = j;
                at = j + 1;
                return t;
            }
            if (p[j] == u'\\' && j + 1 < p.size())
                ++j;
            codePointAt(p, j);
        }
        // No closing bracket: the '[' is an ordinary character and the rest is read as usual.
        t.ch = U'[';
        return t;
    }
    default:
        t.ch = c;
        return t;
    }
}

namespace {

char32_t memberChar(QStringView p, qsizetype& at, qsizetype end)
{
    if (p[at] == u'\\' && at + 1 < end)
        ++at;
    return codePointAt(p, at);
}

} // namespace

bool nextMember(QStringView p, const Token& set, qsizetype& at, char32_t& lo, char32_t& hi)
{
    if (at >= set.to)
        return false;
    lo = hi = memberChar(p, at, set.to);
    // An unescaped '-' between two members makes a range; first or last it is itself.
    if (at + 1 < set.to && p[at] == u'-') {
        ++at;
        hi = memberChar(p, at, set.to);
    }
    return true;
}

bool setMatches(QStringView p, const Token& set, char32_t c)
{
    qsizetype at = set.from;
    char32_t lo, hi;
    bool in = false;
    while (!in && nextMember(p, set, at, lo, hi))
        in = c >= lo && c <= hi;
    return in != set.negated;
}

QString literalPrefix(QStringView p, bool* exact)
{
    QString out;
    bool plain = true;
    qsizetype at = 0;
    while (at < p.size()) {
        const Token t = nextToken(p, at);
        if (t.kind != Token::Literal) {
            plain = false;
            break;
        }
        plain = plain && !t.escaped;
        if (t.ch > 0xffff) {
            out += QChar(QChar::highSurrogate(t.ch));
            out += QChar(QChar::lowSurrogate(t.ch));
        } else {
            out += QChar(char16_t(t.ch));
        }
    }
    if (exact)
        *exact = plain;
    return out;
}

} // namespace glob

bool globMatch(QStringView pattern, QStringView text)
{
    using glob::Token;
    // Iterative, one code point at a time, backtracking only to the last '*': linear in the text for
    // each '*', never recursive.
    qsizetype p = 0, t = 0, starP = -1, starT = -1;
    while (t < text.size()) {
        if (p < pattern.size()) {
            qsizetype next = p;
            const Token tok = glob::nextToken(pattern, next);
            if (tok.kind == Token::AnyString) {
                starP = p = next;
                starT = t;
                continue;
            }
            qsizetype tn = t;
            const char32_t c = glob::codePointAt(text, tn);
            const bool ok = tok.kind == Token::AnyChar || (tok.kind == Token::Literal && tok.ch == c) ||
                            (tok.kind == Token::Set && glob::setMatches(pattern, tok, c));
            if (ok) {
                p = next;
                t = tn;
                continue;
            }
        }
        if (starP < 0)
            return false;
        glob::codePointAt(text, starT);
        t = starT;
        p = starP;
    }
    while (p < pattern.size()) {
        qsizetype next = p;
        if (glob::nextToken(pattern, next).kind != Token::AnyString)
            break;
        p = next;
    }
    return p == pattern.size();
}

} // namespace chronoscope
