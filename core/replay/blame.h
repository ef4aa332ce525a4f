#pragma once
// Blame: for a JSON Pointer into a stream's state at a point, the event that last changed the value there.

#include "model/event.h"
#include "store/eventreader.h"
#include "util/progress.h"

#include <QJsonValue>

#include <optional>

namespace chronoscope {

struct BlameResult
{
    std::optional<Event> event;  ///< the event whose application last changed the value at the pointer
    QString error;               ///< "path not found", "unknown stream …", "cancelled", a read error
    QJsonValue value;            ///< the value at the pointer at the point (undefined when removed)
    bool removed = false;        ///< the last change removed the value
    bool ok() const { return error.isEmpty(); }
};

/// Folds the stream once in a temporary ReplayEngine (see ReplayEngine::blame, which keeps its
/// checkpoints between calls; prefer it for repeated blames).
BlameResult blame(EventReader& reader, const QString& stream, const QString& jsonPointer, const Point& point,
                  const CancelToken& cancel = {});

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::BlameResult)
