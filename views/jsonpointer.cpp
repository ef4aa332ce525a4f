#include "jsonpointer.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"

#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

QStringList mergePatchPaths(const QJsonValue& patch, const QString& prefix)
{
    if (!patch.isObject())
        return {prefix};
    QStringList out;
    const QJsonObject o = patch.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString path = prefix + QLatin1Char('/') + escapeJsonPointerToken(it.key());
        if (it->isObject() && !it->toObject().isEmpty())
            out += mergePatchPaths(*it, path);
        else
            out += path;
    }
    return out;
}

QString jsonPreview(const QJsonValue& value, int maxChars, bool bareStrings)
{
    QString s;
    if (bareStrings && isJsonString(value))
        s = jsonStringValue(value);
    else
        s = QString::fromUtf8(toJsonText(value));
    if (s.size() > maxChars)
        s = s.left(maxChars) + QStringLiteral("…");
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

} // namespace chronoscope
