#include "util/jsontext.h"

namespace chronoscope {

namespace {

class JsonCompactor
{
public:
    JsonCompactor(const char* p, const char* end, QByteArray* out, int maxDepth)
        : m_p(p), m_end(end), m_out(out), m_maxDepth(maxDepth)
    {
    }

    bool run(QString* why)
    {
        skipWs();
        if (!value(0) || (skipWs(), m_p != m_end)) {
            if (why)
                *why = m_why.isEmpty() ? QStringLiteral("unexpected text after the JSON value") : m_why;
            return false;
        }
        return true;
    }

private:
    void skipWs()
    {
        while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    bool fail(const char* what)
    {
        if (m_why.isEmpty())
            m_why = QString::fromLatin1(what);
        return false;
    }
    bool literal(const char* word)
    {
        const qsizetype n = qsizetype(strlen(word));
        if (m_end - m_p < n || memcmp(m_p, word, size_t(n)) != 0)
            return fail("invalid literal");
        m_out->append(m_p, n);
        m_p += n;
        return true;
    }
    bool number()
    {
        const char* start = m_p;
        if (m_p != m_end && *m_p == '-')
            ++m_p;
        if (m_p == m_end)
            return fail("invalid number");
        if (*m_p == '0')
            ++m_p;
        else if (*m_p >= '1' && *m_p <= '9')
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        else
            return fail("invalid number");
        if (m_p != m_end && *m_p == '.') {
            ++m_p;
            if (m_p == m_end || *m_p < '0' || *m_p > '9')
                return fail("invalid number");
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        }
        if (m_p != m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (m_p != m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (m_p == m_end || *m_p < '0' || *m_p > '9')
                return fail("invalid number");
            while (m_p != m_end && *m_p >= '0' && *m_p <= '9')
                ++m_p;
        }
        m_out->append(start, m_p - start);
        return true;
    }
    static bool hex(char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    bool string()
    {
        const char* start = m_p++;
        while (m_p != m_end) {
            const auto c = quint8(*m_p);
            if (c == '"') {
                ++m_p;
                m_out->append(start, m_p - start);
                return true;
            }
            if (c == '\\') {
                if (m_end - m_p < 2)
                    return fail("unterminated string");
                const char e = m_p[1];
                if (e == 'u') {
                    if (m_end - m_p < 6 || !hex(m_p[2]) || !hex(m_p[3]) || !hex(m_p[4]) || !hex(m_p[5]))
                        return fail("invalid \\u escape");
                    m_p += 6;
                } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                           e == 't') {
                    m_p += 2;
                } else {
                    return fail("invalid escape in a string");
                }
                continue;
            }
            if (c < 0x20)
                return fail("control character in a string");
            if (c < 0x80) {
                ++m_p;
                continue;
            }
            // UTF-8 sequence: reject overlong forms, surrogates and code points above U+10FFFF.
            int n;
            quint8 lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF)
                n = 1;
            else if (c >= 0xE0 && c <= 0xEF) {
                n = 2;
                if (c == 0xE0)
                    lo = 0xA0;
                if (c == 0xED)
                    hi = 0x9F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                n = 3;
                if (c == 0xF0)
                    lo = 0x90;
                if (c == 0xF4)
                    hi = 0x8F;
            } else
                return fail("invalid UTF-8");
            if (m_end - m_p <= n)
                return fail("invalid UTF-8");
            const auto c1 = quint8(m_p[1]);
            if (c1 < lo || c1 > hi)
                return fail("invalid UTF-8");
            for (int i = 2; i <= n; ++i)
                if ((quint8(m_p[i]) & 0xC0) != 0x80)
                    return fail("invalid UTF-8");
            m_p += n + 1;
        }
        return fail("unterminated string");
    }
    bool value(int depth)
    {
        if (m_p == m_end)
            return fail("unexpected end of the JSON text");
        switch (*m_p) {
        case '{': {
            if (depth >= m_maxDepth)
                return fail("JSON nested too deeply");
            ++m_p;
            m_out->append('{');
            skipWs();
            if (m_p != m_end && *m_p == '}') {
                ++m_p;
                m_out->append('}');
                return true;
            }
            for (;;) {
                skipWs();
                if (m_p == m_end || *m_p != '"')
                    return fail("expected a member name");
                if (!string())
                    return false;
                skipWs();
                if (m_p == m_end || *m_p != ':')
                    return fail("expected ':'");
                ++m_p;
                m_out->append(':');
                skipWs();
                if (!value(depth + 1))
                    return false;
                skipWs();
                if (m_p != m_end && *m_p == ',') {
                    ++m_p;
                    m_out->append(',');
                    continue;
                }
                if (m_p != m_end && *m_p == '}') {
                    ++m_p;
                    m_out->append('}');
                    return true;
                }
                return fail("expected ',' or '}'");
            }
        }
        case '[': {
            if (depth >= m_maxDepth)
                return fail("JSON nested too deeply");
            ++m_p;
            m_out->append('[');
            skipWs();
            if (m_p != m_end && *m_p == ']') {
                ++m_p;
                m_out->append(']');
                return true;
            }
            for (;;) {
                skipWs();
                if (!value(depth + 1))
                    return false;
                skipWs();
                if (m_p != m_end && *m_p == ',') {
                    ++m_p;
                    m_out->append(',');
                    continue;
                }
                if (m_p != m_end && *m_p == ']') {
                    ++m_p;
                    m_out->append(']');
                    return true;
                }
                return fail("expected ',' or ']'");
            }
        }
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    const char* m_p;
    const char* m_end;
    QByteArray* m_out;
    int m_maxDepth;
    QString m_why;
};

} // namespace

bool compactJson(const char* data, qsizetype size, QByteArray* out, QString* why, int maxDepth)
{
    out->clear();
    out->reserve(size);
    JsonCompactor c(data, data + size, out, maxDepth);
    return c.run(why);
}

} // namespace chronoscope
