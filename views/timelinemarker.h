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

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::TimelineMarker)
