#pragma once
// The timeline: one lane per stream on a shared time axis, an "all events" overview row, a type legend,
// and markers for the replay cursor and the diff points A and B. Events are binned per pixel column
// (count shown as bar height, colour of the column's first event's type), so painting costs the same
// for a thousand events or a million. It paints only from the in-memory TimelineIndex, never the store.

#include "timelineindex.h"
#include "timelinemarker.h"
#include "timelinemetrics.h"
#include "timemapping.h"

#include <QImage>

#include <algorithm>
#include <QWidget>

#include <memory>

class QAction;
class QScrollBar;
class QTimer;

namespace chronoscope {

class ReplayController;

class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    static constexpr int kAxisHeight = timelinemetrics::kAxisHeight;
    static constexpr int kOverviewHeight = timelinemetrics::kOverviewHeight;
    static constexpr int kLaneHeight = timelinemetrics::kLaneHeight;
    static constexpr int kGutterWidth = timelinemetrics::kGutterWidth;
    static constexpr int kScrollBarWidth = 14;

    explicit TimelineWidget(ReplayController* controller, QWidget* parent = nullptr);

    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// More events at the end of the same store (a live tail): zoom, lanes and selection stay; a view
    /// that showed the old end moves along so the new events are in sight.
    /// `change`: what TimelineIndex::append() added (the same index grown in place); a default one means
    /// another index object: everything derived from it is recomputed.
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    /// A live tail's repaints are coalesced: the first change starts a timer of this many ms and every
    /// repaint asked for meanwhile (new events, the cursor following the head) is one paint when it fires.
    /// It keeps the timeline's paint (a few ms at any number of events) out of the event-loop turn that
    /// repaints the rest of the window for the same refresh, and repaints at most 20 times a second.
    static constexpr int kLiveRepaintMs = 50;
    /// Paints done for updateIndex() (and what it coalesced); tests.
    int liveRepaints() const { return m_liveRepaints; }
    std::shared_ptr<const TimelineIndex> index() const { return m_index; }

    /// Lanes to show, in order (indices into index()->streams). Empty list: every stream; {-1}: none.
    void setLanes(const QList<int>& lanes);
    QList<int> lanes() const;
    int laneCount() const;
    /// Lanes drawn with a pin mark (the browser decides which lanes are shown; this only marks them).
    void setPinnedLanes(const QList<int>& lanes);

    const TimeMapping& mapping() const { return m_map; }
    void setVisibleRange(double start, double end);
    /// The time range chosen with Shift+drag (empty when none).
    bool hasSelectionRange() const { return m_selEnd > m_selStart; }
    void setSelectionRange(double start, double end);
    /// The Shift+drag range (ms since the epoch), start <= end; meaningful when hasSelectionRange().
    double selectionStart() const { return std::min(m_selStart, m_selEnd); }
    double selectionEnd() const { return std::max(m_selStart, m_selEnd); }

    /// Paints the whole timeline into a painter of the given size (used by paintEvent, benchmarks and tests).
    void render(QPainter& painter, const QSize& size);

    /// The lane (index into streams) at y, or -1. Accounts for vertical scrolling.
    int laneAt(int y) const;
    /// The event nearest to pos within a few pixels, as a global position; 0 when none.
    qint64 eventAt(const QPoint& pos) const;
    /// x of a time, in widget coordinates.
    double xForTime(double t) const { return m_map.xAt(t); }
    /// y of the middle of a lane row, or -1 when the lane is scrolled out of view.
    int yForLane(int lane) const;
    /// Scrolls so that the lane is visible.
    void ensureLaneVisible(int lane);

    /// Markers from other panels (e.g. watchpoint matches): a thin dotted line with a small flag under the
    /// overview row, drawn beneath the cursor and A/B; hovering the flag or line shows the labels.
    void setMarkers(const QList<TimelineMarker>& markers);
    QList<TimelineMarker> markers() const { return m_markers; }
    /// The markers within a few pixels of x (widget coordinates), nearest first.
    QList<TimelineMarker> markersNear(int x) const;
    /// Time ranges marked on the overview row by other panels (findings, notes), kept apart from the
    /// point markers above so each panel replaces only its own.
    void setRangeMarks(const QList<TimelineRangeMark>& marks);
    QList<TimelineRangeMark> rangeMarks() const { return m_rangeMarks; }
    /// Chapters of the open story (views/storyedit): a line at each chapter's start across the lanes, a faint
    /// band over its range and its title in a flag under the axis (`label` is the title, cut to fit).
    void setChapterMarks(const QList<TimelineRangeMark>& marks);
    QList<TimelineRangeMark> chapterMarks() const { return m_chapterMarks; }
    /// Entries other panels add to the context menu (after a separator); they read selectionStart()/End().
    void addContextAction(QAction* action) { m_contextActions.append(action); }

public Q_SLOTS:
    void fitAll();
    void zoomToSelection();
    void zoomIn();
    void zoomOut();

Q_SIGNALS:
    void visibleRangeChanged(double start, double end);
    /// The user clicked a lane's name or an empty part of it.
    void laneClicked(const QString& stream);

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void leaveEvent(QEvent*) override;
    void contextMenuEvent(QContextMenuEvent*) override;
    bool event(QEvent*) override;

private:
    void extendFailureCounts(size_t fromSlot);
    struct Layout
    {
        QRect axis, overview, lanes, legend, gutter;
        int plotLeft = 0, plotWidth = 0;
        QList<QRect> legendItems;
    };
    Layout layoutFor(const QSize& size) const;
    void updateScrollBar();
    void updateMapping();
    void paintLanes(QPainter& p, const Layout& l);
    void paintLaneImage(const Layout& l);
    void binOverview(const Layout& l);
    void paintOverview(QPainter& p, const Layout& l);
    void paintAxis(QPainter& p, const Layout& l);
    void paintLegend(QPainter& p, const Layout& l);
    void paintMarkers(QPainter& p, const Layout& l);
    int laneIndexAt(int y, const Layout& l) const;
    qint64 positionAtTime(double t) const;
    double timeOfPosition(qint64 position) const;
    QString tooltipAt(const QPoint& pos) const;
    void changed();
    void updateAroundScrollBar();

    ReplayController* m_controller;
    std::shared_ptr<const TimelineIndex> m_index;
    QList<int> m_lanes;          ///< explicit lanes; empty = all
    QList<int> m_pinned;
    TimeMapping m_map;
    QScrollBar* m_vscroll;
    Layout m_layout;

    // Lane pixels are rendered into an image and reused while range, lanes and size stay the same;
    // the cursor, markers and hover are painted over it.
    QTimer* m_liveRepaint;  ///< running: a live tail's repaint is pending (see kLiveRepaintMs)
    int m_liveRepaints = 0;
    QImage m_laneImage;
    bool m_laneImageValid = false;
    double m_dpr = 1.0; ///< device pixel ratio of the last paint device
    std::vector<qint64> m_overviewCounts;   ///< per pixel column, all events (cached with the lane image)
    std::vector<qint64> m_overviewFailures; ///< per pixel column, events whose type reads as a failure
    std::vector<char> m_failureType;        ///< per type id
    std::vector<quint32> m_failurePrefix;   ///< failures among the first k events in time order (size n+1)

    enum class Drag { None, Pending, Pan, Select, Scrub };
    Drag m_drag = Drag::None;
    QPoint m_pressPos;
    QPoint m_lastPos;
    double m_selStart = 0, m_selEnd = 0;
    QPoint m_hoverPos{-1, -1};
    QList<TimelineMarker> m_markers;
    QList<TimelineRangeMark> m_rangeMarks;
    void paintRangeMarks(QPainter& p, const Layout& l);
    QList<TimelineRangeMark> m_chapterMarks;
    QList<QAction*> m_contextActions;
    void paintChapterMarks(QPainter& p, const Layout& l);
};

} // namespace chronoscope
