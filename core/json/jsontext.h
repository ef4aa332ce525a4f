#pragma once
// Validating JSON minifier shared by every reader that copies JSON text through (foreign SQLite layouts,
// remote clients): checks RFC 8259 grammar and UTF-8, caps nesting, and drops insignificant whitespace.

#include <QByteArray>
#include <QString>

namespace chronoscope {

/// Validates JSON (RFC 8259, UTF-8, nesting at most maxDepth) and writes it without insignificant
/// whitespace to *out. False (with *why) when the text is not JSON.
bool compactJson(const char* data, qsizetype size, QByteArray* out, QString* why = nullptr, int maxDepth = 512);
inline bool compactJson(const QByteArray& in, QByteArray* out, QString* why = nullptr)
{
    return compactJson(in.constData(), in.size(), out, why);
}

} // namespace chronoscope
