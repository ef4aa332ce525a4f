#include "sources/remote/kurrentgrpc/connectionstring.h"

#include "util/uri.h"

#include <QRegularExpression>
#include <QUrl>

namespace chronoscope::kurrent {

namespace {

// Keys are compared "flat": trimmed, lowercased, '-' and '_' removed (the official clients' toflatCase).
QString flat(const QString& s)
{
    QString out = s.trimmed().toLower();
    out.remove(u'-');
    out.remove(u'_');
    return out;
}

const QStringList& ownKeys()
{
    // Chronoscope's keys: the scope and the HTTP/AtomPub fallback's settings (docs/remote.md).
    static const QStringList keys = {
        QStringLiteral("protocol"),    QStringLiteral("streams"),    QStringLiteral("since"),
        QStringLiteral("until"),       QStringLiteral("last"),       QStringLiteral("pagesize"),
        QStringLiteral("timeout"),     QStringLiteral("retries"),    QStringLiteral("maxevent"),
        QStringLiteral("maxresponse"), QStringLiteral("longpoll"),   QStringLiteral("resolvelinks"),
        QStringLiteral("streamregex"), QStringLiteral("typeprefix"), QStringLiteral("typeregex"),
        QStringLiteral("system"),      QStringLiteral("poll"),       QStringLiteral("toposition")};
    return keys;
}

struct Failure
{
    int from;
    int to;
    QString expected;
};

// JavaScript's parseInt on a trimmed value: optional sign, then the leading decimal digits.
bool parseIntLike(const QString& v, qint64* out)
{
    int i = 0;
    bool neg = false;
    if (i < v.size() && (v[i] == u'-' || v[i] == u'+')) neg = v[i++] == u'-';
    const int start = i;
    while (i < v.size() && v[i] >= u'0' && v[i] <= u'9' && i - start < 18)
        ++i;
    if (i == start) return false;
    const qint64 n = v.mid(start, i - start).toLongLong();
    *out = neg ? -n : n;
    return true;
}

class Parser
{
public:
    Parser(const QString& s, ConnectionSettings* out) : m_s(s), m_out(out) {}

    std::optional<Failure> run()
    {
        int pos = 0;
        if (auto f = protocol(&pos)) return f;
        credentials(&pos);
        if (auto f = hosts(&pos)) return f;
        return params(pos);
    }

private:
    std::optional<Failure> protocol(int* pos)
    {
        static const QRegularExpression re(QStringLiteral("^([^:]+)://"));
        const auto m = re.match(m_s);
        const QString expected =
            QStringLiteral("kurrentdb://, kurrentdb+discover://, kurrent://, kurrent+discover://, "
                           "kdb://, kdb+discover://, esdb:// or esdb+discover://");
        if (!m.hasMatch()) return Failure{0, 0, expected};
        const QString proto = m.captured(1);
        if (!isKurrentScheme(proto) || proto != proto.toLower())
            return Failure{0, int(m.capturedLength(0)), expected};
        m_out->scheme = proto;
        m_out->discover = proto.endsWith(QLatin1String("+discover"));
        *pos = int(m.capturedLength(0));
        return std::nullopt;
    }

    void credentials(int* pos)
    {
        static const QRegularExpression re(QStringLiteral("^([^:]+:[^@]+)@"));
        const auto m = re.match(QStringView(m_s).mid(*pos));
        if (!m.hasMatch()) {
            // Chronoscope's addition: a user without a password (asked for, or $CHRONOSCOPE_PASSWORD).
            static const QRegularExpression userOnly(QStringLiteral("^([^:@/?,&=]+)@"));
            const auto u = userOnly.match(QStringView(m_s).mid(*pos));
            if (u.hasMatch()) {
                m_out->hasCredentials = true;
                m_out->user = QUrl::fromPercentEncoding(u.captured(1).trimmed().toUtf8());
                *pos += int(u.capturedLength(0));
            }
            return; // optional
        }
        const QString creds = m.captured(1).trimmed();
        const qsizetype colon = creds.indexOf(u':');
        m_out->hasCredentials = true;
        m_out->user = QUrl::fromPercentEncoding(creds.left(colon).toUtf8());
        // The official split(":") keeps only the text up to a second colon as the password.
        const QString rest = creds.mid(colon + 1);
        m_out->password = QUrl::fromPercentEncoding(rest.section(u':', 0, 0).toUtf8());
        *pos += int(m.capturedLength(0));
    }

    std::optional<Failure> hosts(int* pos)
    {
        static const QRegularExpression re(QStringLiteral("^(?:([^$+!?*'(),;\\[\\]{}|\"%~#<>=&]+)[,/]?)"));
        bool first = true;
        for (;;) {
            const auto m = re.match(QStringView(m_s).mid(*pos));
            if (!m.hasMatch() || m.captured(1).isEmpty()) {
                if (first) return Failure{*pos, *pos, QStringLiteral("host")};
                return std::nullopt;
            }
            const int start = *pos;
            const int next = *pos + int(m.capturedLength(0));
            const QStringList parts = m.captured(1).trimmed().split(u':');
            const QString address = parts.value(0);
            const QString rawPort = parts.size() > 1 ? parts[1] : QStringLiteral("2113");
            if (parts.size() > 2)
                return Failure{start + int(address.size() + 1 + rawPort.size()), next,
                               QStringLiteral(", or ?key=value")};
            qint64 port = 0;
            if (!parseIntLike(rawPort.trimmed(), &port))
                return Failure{start + int(address.size()) + 1, next, QStringLiteral("port number")};
            if (port < 1 ||
                port > 65535) // stricter than the official parser: a port the socket layer would refuse
                return Failure{start + int(address.size()) + 1, next,
                               QStringLiteral("port number from 1 to 65535")};
            m_out->hosts.append({address, int(port)});
            *pos = next;
            first = false;
        }
    }

    std::optional<Failure> params(int pos)
    {
        bool first = true;
        while (pos < m_s.size()) {
            const QChar lead = first ? u'?' : u'&';
            const QString expected = QStringLiteral("%1key=value").arg(lead);
            static const QRegularExpression reFirst(QStringLiteral("^\\?([^=]+)=([^&?]+)"));
            static const QRegularExpression reNext(QStringLiteral("^&([^=]+)=([^&?]+)"));
            const auto m = (first ? reFirst : reNext).match(QStringView(m_s).mid(pos));
            if (!m.hasMatch()) return Failure{pos, pos, expected};
            const int to = pos + int(m.capturedLength(0));
            if (auto f = keyValue(m.captured(1), m.captured(2), pos, to)) return f;
            pos = to;
            first = false;
        }
        return std::nullopt;
    }

    std::optional<Failure> keyValue(const QString& rawKey, const QString& rawValue, int from, int to)
    {
        const int keyFrom = from + int(rawKey.size()) + 2;
        const QString key = flat(rawKey);
        const QString value = rawValue.trimmed();
        auto integer = [&](qint64* target) -> std::optional<Failure> {
            qint64 n = 0;
            if (!parseIntLike(value, &n)) return Failure{keyFrom, to, QStringLiteral("Integer")};
            *target = n;
            return std::nullopt;
        };
        auto boolean = [&](bool* target) -> std::optional<Failure> {
            if (value != u"true" && value != u"false")
                return Failure{keyFrom, to, QStringLiteral("true or false")};
            *target = value == u"true";
            return std::nullopt;
        };
        if (key == u"nodepreference") {
            const QString v = flat(value);
            if (v == u"leader")
                m_out->nodePreference = NodePreference::Leader;
            else if (v == u"follower")
                m_out->nodePreference = NodePreference::Follower;
            else if (v == u"random")
                m_out->nodePreference = NodePreference::Random;
            else if (v == u"readonlyreplica")
                m_out->nodePreference = NodePreference::ReadOnlyReplica;
            else
                return Failure{keyFrom, to,
                               QStringLiteral("leader or follower or readOnlyReplica or random")};
            return std::nullopt;
        }
        if (key == u"tlscafile") {
            m_out->tlsCaFile = QUrl::fromPercentEncoding(value.toUtf8());
            return std::nullopt;
        }
        if (key == u"connectionname") {
            m_out->connectionName = QUrl::fromPercentEncoding(value.toUtf8());
            return std::nullopt;
        }
        if (key == u"usercertfile") {
            m_out->userCertFile = QUrl::fromPercentEncoding(value.toUtf8());
            return std::nullopt;
        }
        if (key == u"userkeyfile") {
            m_out->userKeyFile = QUrl::fromPercentEncoding(value.toUtf8());
            return std::nullopt;
        }
        if (key == u"defaultdeadline") return integer(&m_out->defaultDeadlineMs);
        if (key == u"keepaliveinterval") return integer(&m_out->keepAliveIntervalMs);
        if (key == u"keepalivetimeout") return integer(&m_out->keepAliveTimeoutMs);
        if (key == u"gossiptimeout") return integer(&m_out->gossipTimeoutS);
        if (key == u"maxdiscoverattempts") return integer(&m_out->maxDiscoverAttempts);
        if (key == u"discoveryinterval") return integer(&m_out->discoveryIntervalMs);
        if (key == u"tls") return boolean(&m_out->tls);
        if (key == u"tlsverifycert") {
            m_out->tlsVerifyCertWritten = true;
            return boolean(&m_out->tlsVerifyCert);
        }
        if (key == u"dnsdiscover" || key == u"throwonappendfailure") {
            bool ignored = false;
            return boolean(&ignored);
        }
        if (ownKeys().contains(key)) {
            m_out->extra.insert(key, QUrl::fromPercentEncoding(value.toUtf8()));
            return std::nullopt;
        }
        m_out->warnings
            << QStringLiteral("Unknown option key \"%1\", setting will be ignored.").arg(rawKey.trimmed());
        return std::nullopt;
    }

    const QString& m_s;
    ConnectionSettings* m_out;
};

} // namespace

QString nodePreferenceName(NodePreference p)
{
    switch (p) {
    case NodePreference::Leader:
        return QStringLiteral("leader");
    case NodePreference::Follower:
        return QStringLiteral("follower");
    case NodePreference::Random:
        return QStringLiteral("random");
    case NodePreference::ReadOnlyReplica:
        return QStringLiteral("readOnlyReplica");
    }
    return {};
}

bool isKurrentScheme(const QString& scheme)
{
    return isConnectionStringScheme(scheme);  // util/uri.h: redactUri() knows the same schemes
}

QString schemeOf(const QString& connectionString)
{
    const QString s = connectionString.trimmed();
    const qsizetype i = s.indexOf(QLatin1String("://"));
    if (i <= 0) return {};
    return s.left(i).toLower();
}

bool parseConnectionString(const QString& connectionString, ConnectionSettings* out, QString* error)
{
    *out = {};
    QString s = connectionString.trimmed();
    while (s.endsWith(u'/'))
        s.chop(1);
    Parser p(s, out);
    if (const auto f = p.run()) {
        if (error) {
            QString found = s.mid(f->from, f->from == f->to ? 1 : f->to - f->from);
            if (f->from >= s.size()) found.clear();
            // The official message, with the password (if the parser got that far) never shown.
            if (!out->password.isEmpty()) found.replace(out->password, QStringLiteral("***"));
            *error = QStringLiteral("Unexpected \"%1\" at position %2, expected %3.")
                         .arg(found)
                         .arg(f->from)
                         .arg(f->expected);
        }
        const QString keepScheme = out->scheme;
        *out = {};
        out->scheme = keepScheme;
        return false;
    }
    return true;
}

QString redactConnectionString(const QString& connectionString)
{
    return redactUriText(connectionString);  // util/uri.h: the same rule as every other URI
}

QString withCredentials(const QString& connectionString, const QString& user, const QString& password)
{
    QString s = connectionString.trimmed();
    const qsizetype schemeEnd = s.indexOf(QLatin1String("://"));
    if (schemeEnd < 0 || user.isEmpty()) return s;
    const qsizetype start = schemeEnd + 3;
    static const QRegularExpression creds(QStringLiteral("^(?:[^:]+:[^@]+|[^:@/?,&=]+)@"));
    const auto m = creds.match(QStringView(s).mid(start));
    if (m.hasMatch()) s.remove(start, m.capturedLength(0));
    QString c = QString::fromLatin1(QUrl::toPercentEncoding(user));
    if (!password.isEmpty()) c += u':' + QString::fromLatin1(QUrl::toPercentEncoding(password));
    return s.insert(start, c + u'@');
}

QString withQueryItems(const QString& connectionString, const QStringList& keys,
                       const QList<QPair<QString, QString>>& items)
{
    QString s = connectionString.trimmed();
    const qsizetype q = s.indexOf(u'?', std::max<qsizetype>(0, s.indexOf(QLatin1String("://")) + 3));
    QStringList kept;
    if (q >= 0) {
        for (const QString& item : s.mid(q + 1).split(u'&', Qt::SkipEmptyParts))
            if (!keys.contains(flat(item.section(u'=', 0, 0)))) kept << item;
        s.truncate(q);
    }
    // Values stay readable (a glob keeps its * and [..]); only what would end or confuse a value is encoded.
    for (const auto& [k, v] : items)
        kept << k + u'=' + QString::fromLatin1(QUrl::toPercentEncoding(v, "!$'()*+,;=:@/[]^{}|~\\<>"));
    return kept.isEmpty() ? s : s + u'?' + kept.join(u'&');
}

} // namespace chronoscope::kurrent
