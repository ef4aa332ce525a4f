#pragma once
// URIs as the user gives them: telling a URI from a path, and the form without secrets that logs, window
// titles, recent lists and store metadata may show. Below every layer that stores or shows a URI.

#include <QString>

namespace chronoscope {

/// True for "<scheme>://..." (scheme of letters, digits, '+', '-', '.'; at least two characters, so a
/// Windows drive letter is a path).
bool looksLikeUri(const QString& s);

/// The URI without credentials (user kept, password/token dropped, secret-like query items removed).
QString redactUri(const QString& uri);

} // namespace chronoscope
