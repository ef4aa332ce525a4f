#pragma once
// A marker that another panel puts on the timeline (watchpoint matches, for example). Kept apart from
// TimelineWidget so panels can produce markers without depending on the widget.

#include <QColor>
#include <QList>
#include <QMetaType>
#include <QString>

namespace chronoscope {

struct TimelineMarker
{
    qint64 position = 0;  ///< global event position; drawn at that event's time
    QString label;        ///< shown as the tooltip (plain text)
    QColor colour;

    bool operator==(const TimelineMarker& o) const
    {
        return position == o.position && label == o.label && colour == o.colour;
    }
};

/// A time range another panel marks on the overview row (findings, notes): a tinted band over the row
/// with a tab holding a short label; a range of one instant is drawn as a thin line.
struct TimelineRangeMark
{
    double from = 0;      ///< ms since the epoch
    double to = 0;
    QString label;        ///< a few characters on the tab ("1", "✎")
    QString tooltip;      ///< plain text shown when hovering the band
    QColor colour;

    bool operator==(const TimelineRangeMark& o) const
    {
        return from == o.from && to == o.to && label == o.label && tooltip == o.tooltip && colour == o.colour;
    }
};

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::TimelineMarker)
Q_DECLARE_METATYPE(chronoscope::TimelineRangeMark)
