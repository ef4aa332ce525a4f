#include "diff/mergepatch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace chronoscope {

void applyMergePatch(QJsonValue& target, const QJsonValue& patch)
{
    if (!patch.isObject()) {
        target = patch;
        return;
    }
    // Take the object out of target before changing it: with target's reference dropped the object
    // is usually unshared, so inserts happen in place instead of copying the whole state per event.
    QJsonObject obj = target.isObject() ? target.toObject() : QJsonObject();
    target = QJsonValue();
    const QJsonObject p = patch.toObject();
    for (auto it = p.constBegin(); it != p.constEnd(); ++it) {
        const QJsonValue pv = it.value();
        if (pv.isNull()) {
            obj.remove(it.key());
        } else if (pv.isObject()) {
            auto slot = obj.find(it.key());
            if (slot == obj.end()) {
                QJsonValue child;
                applyMergePatch(child, pv);
                obj.insert(it.key(), child);
            } else {
                // Same trick one level down: null the slot so the child is unshared while it changes.
                QJsonValue child = slot.value();
                slot.value() = QJsonValue();
                applyMergePatch(child, pv);
                slot.value() = child;
            }
        } else {
            obj.insert(it.key(), pv);
        }
    }
    target = obj;
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
