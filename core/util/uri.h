#pragma once
// URIs as the user gives them: telling a URI from a path, and the form without secrets that logs, window
// titles, recent lists and store metadata may show. Below every layer that stores or shows a URI.

#include <QString>

namespace chronoscope {

/// True for "<scheme>://..." (scheme of letters, digits, '+', '-', '.'; at least two characters, so a
/// Windows drive letter is a path).
bool looksLikeUri(const QString& s);

/// The URI without credentials (user kept, password/token dropped, secret-like query items removed).
/// Host lists (kafka://b1:9092,b2:9092/...) keep every host; KurrentDB connection strings (kurrentdb://,
/// esdb://, their +discover forms), which are not URLs, are redacted as text by redactUriText().
QString redactUri(const QString& uri);

/// A query key that names a secret (contains pass, token, secret, key or auth, in any case): dropped from
/// shown URIs, taken as the credential when a client reads the URI.
bool isSecretQueryKey(const QString& key);

/// KurrentDB connection-string schemes (kurrentdb, kurrent, kdb, esdb, eventstoredb, each also "+discover"):
/// several hosts and "+discover" make them something QUrl does not parse.
bool isConnectionStringScheme(const QString& scheme);

/// Redaction without parsing the URI as a URL: "user:password@" becomes "user@" and query items named
/// like a secret (pass, token, secret, key, auth) are dropped; everything else is kept as written.
QString redactUriText(const QString& uri);

/// A URI with a host list (kafka://b1:9092,b2:9092/topics) with only its first host, which QUrl can parse;
/// other URIs unchanged. *extraHosts gets the rest (",b2:9092"), empty when there is none.
QString singleHostUri(const QString& uri, QString* extraHosts = nullptr);

} // namespace chronoscope
