#include "diff/mergepatch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace chronoscope {

namespace {

QJsonObject mergeObject(QJsonObject target, const QJsonObject& patch)
{
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        const QJsonValue pv = it.value();
        if (pv.isNull()) {
            target.remove(it.key());
        } else if (pv.isObject()) {
            QJsonValue current = target.value(it.key());
            applyMergePatch(current, pv);
            target.insert(it.key(), current);
        } else {
            target.insert(it.key(), pv);
        }
    }
    return target;
}

} // namespace

void applyMergePatch(QJsonValue& target, const QJsonValue& patch)
{
    if (!patch.isObject()) {
        target = patch;
        return;
    }
    const QJsonObject base = target.isObject() ? target.toObject() : QJsonObject();
    target = mergeObject(base, patch.toObject());
}

QJsonValue parseJsonValue(const QByteArray& text)
{
    const QByteArray trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return QJsonValue(QJsonValue::Null);
    const char c = trimmed.front();
    if (c == '{' || c == '[') {
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(trimmed, &err);
        if (err.error == QJsonParseError::NoError)
            return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
        return QJsonValue(QString::fromUtf8(text));
    }
    // Scalars: wrap in an array to reuse the parser.
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + trimmed + "]", &err);
    if (err.error == QJsonParseError::NoError && doc.array().size() == 1)
        return doc.array().at(0);
    return QJsonValue(QString::fromUtf8(text));
}

QByteArray toJsonText(const QJsonValue& value)
{
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

} // namespace chronoscope
