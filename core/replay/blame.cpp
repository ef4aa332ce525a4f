#include "replay/blame.h"

#include "replay/replayengine.h"

namespace chronoscope {

BlameResult blame(EventReader& reader, const QString& stream, const QString& jsonPointer, const Point& point,
                  const CancelToken& cancel)
{
    ReplayEngine engine(reader);
    return engine.blame(stream, jsonPointer, point, cancel);
}

} // namespace chronoscope
