#include "jsonpointer.h"

#include "diff/mergepatch.h"

#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

QString jsonPointerEscape(const QString& token)
{
    QString t = token;
    t.replace(QLatin1Char('~'), QLatin1String("~0"));
    t.replace(QLatin1Char('/'), QLatin1String("~1"));
    return t;
}

std::optional<QStringList> jsonPointerTokens(const QString& pointer)
{
    if (pointer.isEmpty())
        return QStringList{};
    if (!pointer.startsWith(QLatin1Char('/')))
        return std::nullopt;
    QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
    for (QString& t : tokens) {
        t.replace(QLatin1String("~1"), QLatin1String("/"));
        t.replace(QLatin1String("~0"), QLatin1String("~"));
    }
    return tokens;
}

std::optional<QJsonValue> jsonPointerGet(const QJsonValue& root, const QString& pointer)
{
    const auto tokens = jsonPointerTokens(pointer);
    if (!tokens)
        return std::nullopt;
    QJsonValue cur = root;
    for (const QString& t : *tokens) {
        if (cur.isObject()) {
            const QJsonObject o = cur.toObject();
            auto it = o.constFind(t);
            if (it == o.constEnd())
                return std::nullopt;
            cur = *it;
        } else if (cur.isArray()) {
            bool ok = false;
            const int i = t.toInt(&ok);
            const QJsonArray a = cur.toArray();
            if (!ok || i < 0 || i >= a.size())
                return std::nullopt;
            cur = a.at(i);
        } else {
            return std::nullopt;
        }
    }
    return cur;
}

QStringList mergePatchPaths(const QJsonValue& patch, const QString& prefix)
{
    if (!patch.isObject())
        return {prefix};
    QStringList out;
    const QJsonObject o = patch.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString path = prefix + QLatin1Char('/') + jsonPointerEscape(it.key());
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
    if (bareStrings && value.isString())
        s = value.toString();
    else
        s = QString::fromUtf8(toJsonText(value));
    if (s.size() > maxChars)
        s = s.left(maxChars) + QStringLiteral("…");
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

} // namespace chronoscope
