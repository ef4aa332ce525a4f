#pragma once
// KurrentDB connection strings, parsed as the official clients parse them (the Node client's
// src/Client/parseConnectionString.ts, cited in docs/remote.md): kurrentdb:// (also kurrent://, kdb://,
// esdb://, and Chronoscope's older eventstoredb://), each with a +discover form; credentials, one or more
// host[:port] separated by commas, then ?key=value&... with keys matched case-, '-' and '_'-insensitively.
// Free of gRPC and protobuf, so a build without gRPC still parses, redacts and explains.

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace chronoscope::kurrent {

struct HostPort
{
    QString host;
    int port = 2113;
    bool operator==(const HostPort&) const = default;
    QString toString() const { return QStringLiteral("%1:%2").arg(host).arg(port); }
};

enum class NodePreference { Leader, Follower, Random, ReadOnlyReplica };
QString nodePreferenceName(NodePreference p);

struct ConnectionSettings
{
    QString scheme;        ///< as written, lowercased ("kurrentdb+discover", "esdb", ...)
    bool discover = false; ///< +discover: ask Gossip for the members
    QList<HostPort> hosts;
    bool hasCredentials = false;
    QString user;
    QString password; ///< memory only: never logged, never stored
    bool tls = true;  ///< the official default
    bool tlsVerifyCert = true;
    bool tlsVerifyCertWritten =
        false; ///< true when the string itself says tlsVerifyCert=... (shown in the status bar)
    QString tlsCaFile;
    /// X.509 user authentication (mutual TLS): the client's certificate and private key, PEM files. Both or
    /// neither (checked when connecting, as the official clients do).
    QString userCertFile;
    QString userKeyFile;
    NodePreference nodePreference = NodePreference::Leader;
    qint64 defaultDeadlineMs = 10000;
    qint64 keepAliveIntervalMs = 10000;
    qint64 keepAliveTimeoutMs = 10000;
    qint64 gossipTimeoutS = 5;
    qint64 maxDiscoverAttempts = 10;
    qint64 discoveryIntervalMs = 100;
    QString connectionName;
    /// Chronoscope's own keys (protocol, streams, since, until, last, pagesize, timeout, retries, ...),
    /// lowercased; the official clients ignore these with a warning.
    QHash<QString, QString> extra;
    /// Keys neither the official clients nor Chronoscope know: ignored, as the official clients do.
    QStringList warnings;

    /// The gossip/cluster form: +discover, or several hosts (the official clients gossip then too).
    bool isCluster() const { return discover || hosts.size() > 1; }
};

/// True for kurrentdb, kurrent, kdb, esdb, eventstoredb and their +discover forms.
bool isKurrentScheme(const QString& scheme);
/// The scheme of a string ("" when there is no "scheme://"), lowercased.
QString schemeOf(const QString& connectionString);

/// Parses a connection string. On failure returns false and *error is the official clients' message
/// (`Unexpected "x" at position N, expected Y.`), with the password never in it.
bool parseConnectionString(const QString& connectionString, ConnectionSettings* out, QString* error);

/// The string without the password and without secret-like query items; the user is kept.
QString redactConnectionString(const QString& connectionString);

/// The string with `user[:password]@` set (percent-encoded; replacing any there). Empty user: unchanged.
QString withCredentials(const QString& connectionString, const QString& user, const QString& password);
/// The string with the query items `keys` removed and `items` appended (values percent-encoded).
QString withQueryItems(const QString& connectionString, const QStringList& keys,
                       const QList<QPair<QString, QString>>& items);

} // namespace chronoscope::kurrent
