#include "util/uri.h"

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

QString redactUri(const QString& uri)
{
    if (!looksLikeUri(uri))
        return uri;
    QUrl url(uri);
    if (!url.isValid())
        return QStringLiteral("<invalid URI>");
    url.setPassword({});
    QUrlQuery q(url);
    for (const auto& item : q.queryItems()) {
        const QString k = item.first.toLower();
        if (k.contains(u"pass") || k.contains(u"token") || k.contains(u"secret") || k.contains(u"key") ||
            k.contains(u"auth"))
            q.removeAllQueryItems(item.first);
    }
    url.setQuery(q);
    return url.toString();
}

} // namespace chronoscope
