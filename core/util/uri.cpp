#include "util/uri.h"

#include <QRegularExpression>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

namespace chronoscope {

bool looksLikeUri(const QString& s)
{
    const qsizetype colon = s.indexOf(QLatin1String("://"));
    if (colon <= 1)
        return false;
    for (qsizetype i = 0; i < colon; ++i) {
        const QChar c = s[i];
        if (!c.isLetterOrNumber() && c != u'+' && c != u'-' && c != u'.')
            return false;
    }
    return true;
}

bool isSecretQueryKey(const QString& key)
{
    const QString k = key.toLower();
    return k.contains(u"pass") || k.contains(u"token") || k.contains(u"secret") || k.contains(u"key") ||
           k.contains(u"auth");
}

bool isConnectionStringScheme(const QString& scheme)
{
    QString s = scheme.toLower();
    if (s.endsWith(QLatin1String("+discover")))
        s.chop(9);
    return s == u"kurrentdb" || s == u"kurrent" || s == u"kdb" || s == u"esdb" || s == u"eventstoredb";
}

QString singleHostUri(const QString& uri, QString* extraHosts)
{
    if (extraHosts)
        extraHosts->clear();
    const qsizetype sep = uri.indexOf(QLatin1String("://"));
    if (sep < 0 || !looksLikeUri(uri))
        return uri;
    const qsizetype from = sep + 3;
    qsizetype to = from;
    while (to < uri.size() && uri[to] != u'/' && uri[to] != u'?' && uri[to] != u'#')
        ++to;
    const qsizetype at = uri.lastIndexOf(u'@', to - 1);
    const qsizetype hostFrom = at >= from ? at + 1 : from;
    const qsizetype comma = uri.indexOf(u',', hostFrom);
    if (comma < 0 || comma >= to)
        return uri;
    if (extraHosts)
        *extraHosts = uri.mid(comma, to - comma);
    return uri.left(comma) + uri.mid(to);
}

QString redactUriText(const QString& uri)
{
    QString s = uri.trimmed();
    const qsizetype schemeEnd = s.indexOf(QLatin1String("://"));
    if (schemeEnd < 0)
        return s;
    const qsizetype start = schemeEnd + 3;
    static const QRegularExpression creds(QStringLiteral("^([^:]+):[^@]+@"));
    const auto m = creds.match(QStringView(s).mid(start));
    if (m.hasMatch())
        s.replace(start, m.capturedLength(0), m.captured(1) + u'@');
    const qsizetype q = s.indexOf(u'?', start);
    if (q < 0)
        return s;
    QStringList kept;
    for (const QString& item : s.mid(q + 1).split(u'&'))
        if (!isSecretQueryKey(item.section(u'=', 0, 0)))
            kept << item;
    return s.left(q) + (kept.isEmpty() ? QString() : u'?' + kept.join(u'&'));
}

QString redactUri(const QString& uri)
{
    if (!looksLikeUri(uri))
        return uri;
    if (isConnectionStringScheme(uri.left(uri.indexOf(QLatin1String("://")))))
        return redactUriText(uri);
    QString extra;
    const QString single = singleHostUri(uri, &extra);
    if (!extra.isEmpty()) {
        // Redact the one-host form, then put the other hosts back after the first.
        const QString r = redactUri(single);
        const qsizetype sep = r.indexOf(QLatin1String("://"));
        qsizetype to = sep < 0 ? r.size() : sep + 3;
        while (to < r.size() && r[to] != u'/' && r[to] != u'?' && r[to] != u'#')
            ++to;
        return r.left(to) + extra + r.mid(to);
    }
    QUrl url(uri);
    if (!url.isValid())
        return QStringLiteral("<invalid URI>");
    url.setPassword({});
    QUrlQuery q(url);
    for (const auto& item : q.queryItems())
        if (isSecretQueryKey(item.first))
            q.removeAllQueryItems(item.first);
    url.setQuery(q);
    return url.toString();
}

} // namespace chronoscope
