#pragma once
// The timeline's sizes in logical pixels, shared by the full timeline (TimelineWidget) and the in-place one
// (InPlaceTimeline), so a store looks the same whichever way it was opened: row heights, the lanes, and the
// gutter of names left of the plot.

namespace chronoscope::timelinemetrics {

inline constexpr int kAxisHeight = 38;     ///< the time axis row
inline constexpr int kOverviewHeight = 34; ///< a density strip (the whole store; in place also the range in view)
inline constexpr int kLaneHeight = 22;     ///< one stream's lane
inline constexpr int kGutterWidth = 210;   ///< the stream names left of the plot

} // namespace chronoscope::timelinemetrics
