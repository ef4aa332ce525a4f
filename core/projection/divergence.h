#pragma once
// Two versions of a projection side by side: both run over the same events, in position order, and
// the first event after which their states differ is reported (with both states right after it).

#include "projection/jsprojection.h"
#include "store/eventreader.h"
#include "util/progress.h"

namespace chronoscope {

struct DivergenceResult
{
    bool found = false;
    bool initial = false;       ///< the states differ before any event ($init differs)
    Event event;                ///< the first event after which the states differ
    QString partition;          ///< the partition that differs ("" unpartitioned)
    ProjectionSnapshot a;       ///< both states right after that event (or at the end when not found)
    ProjectionSnapshot b;
    qint64 eventsRead = 0;
    qint64 eventsHandled = 0;   ///< events at least one of the two handled
};

/// Runs `a` and `b` from their initial state (both are reset first) up to `toPosition`.
/// Returns false with *error when a projection fails (the error names which one), or when cancelled.
bool findDivergence(JsProjection& a, JsProjection& b, EventReader& reader, DivergenceResult* out,
                    ProjectionError* error, const CancelToken& cancel = {}, const ProgressFn& progress = {},
                    qint64 toPosition = kNoLimit);

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::DivergenceResult)
