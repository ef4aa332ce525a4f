#include "json/mergepatch.h"

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

} // namespace chronoscope
