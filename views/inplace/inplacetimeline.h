#pragma once
// The in-place timeline: paints a store explored where it lives (InPlaceService over a RemoteFirstSource).
// Rows, top to bottom: the whole store's density (the server's estimate first, marked "estimated", then the
// exact counts), the time axis of the visible range, the density of the visible range, and one lane per
// stream of the page the stream list shows (each lane's ticks for the visible range; a lane with more ticks
// than its limit or than its pixels paints as a density). It holds only what is on screen: two densities
// and the visible lanes' ticks (at most kTicksPerPixel a pixel of plot width, per lane), so painting costs
// the pixels, not the store's events, and never waits on the store: requests go to the service's worker,
// latest wins, and the last answers are painted meanwhile (remapped to the new range).
// Mouse and keys as the full timeline (TimelineWidget): wheel zooms around the mouse (Shift or over the
// names: scrolls the lanes), drag pans, a click puts the cursor on the nearest event; Left/Right step to the
// previous/next event by position, Home/End to the first/last, +/- zoom, 0 fits the whole store.

#include "inplace/inplaceservice.h"
#include "timelinemetrics.h"
#include "timemapping.h"

#include <QHash>
#include <QWidget>

class QTimer;

namespace chronoscope {

class InPlaceTimeline : public QWidget
{
    Q_OBJECT
public:
    // The full timeline's sizes (views/timelinemetrics.h); the "in view" strip is as high as the whole store's.
    static constexpr int kOverviewHeight = timelinemetrics::kOverviewHeight;
    static constexpr int kAxisHeight = timelinemetrics::kAxisHeight;
    static constexpr int kViewHeight = timelinemetrics::kOverviewHeight;
    static constexpr int kLaneHeight = timelinemetrics::kLaneHeight;
    static constexpr int kGutterWidth = timelinemetrics::kGutterWidth;
    static constexpr int kRightMargin = 12;
    /// A lane asks for at most this many ticks per pixel of plot width; more and it paints as a density.
    static constexpr int kTicksPerPixel = 2;
    /// Bins of the whole store's density (asked once: the exact one reads every row on the server).
    static constexpr int kOverviewBins = 2000;

    explicit InPlaceTimeline(InPlaceService* service, QWidget* parent = nullptr);

    /// The streams whose lanes to show, in order (the stream list's visible page); only the first
    /// laneCapacity() are drawn and asked for.
    void setLaneStreams(const QStringList& streams);
    QStringList laneStreams() const { return m_laneStreams; }
    int laneCapacity() const;
    void setSelectedStream(const QString& stream);
    QString selectedStream() const { return m_selected; }

    const TimeMapping& mapping() const { return m_map; }
    /// The visible range on the axis (ms or positions).
    void setVisibleRange(double from, double to);
    void fitAll();
    void zoomBy(double factor);

    qint64 cursorPosition() const { return m_cursor ? m_cursor->position : 0; }
    std::optional<Event> cursorEvent() const { return m_cursor; }
    /// Moves the cursor to an event (its stream becomes the selected one when `select`).
    void setCursorEvent(const Event& e, bool select = true);
    void step(int direction);
    void stepToEnd(int direction);

    // What is held (tests, the benchmark).
    const RemoteDensity& overview() const { return m_overview; }
    bool hasOverview() const { return m_haveOverview; }
    const QList<InPlaceLane>& lanes() const { return m_lanes; }
    qint64 heldTicks() const;
    /// Events in the visible range, counted by the server (-1 while unknown or only estimated).
    qint64 countInView() const;
    QString message() const { return m_message; }
    /// Why the exact whole-store density is not shown while the estimate stays (empty: not stopped).
    QString exactStopped() const { return m_exactStopped; }
    /// Paints into p at size (the screenshot and the benchmark); the same as a paint event.
    void render(QPainter& p, const QSize& size);
    /// Sends the requests for the visible range now (instead of after the short debounce).
    void flushRequests();
    /// Asks for the exact whole-store density once (after the first lanes; the window also calls it when the
    /// listing has no streams to show).
    void askExactOverview();
    /// Lanes asked for and not answered yet: their rows say "loading…" (the strip and axis paint meanwhile).
    bool lanesPending() const { return m_lanesPending; }
    /// The shown lanes still waiting for their first ticks (painted "loading…").
    QStringList loadingLanes() const;
    /// What is still on its way, for the status bar ("" when nothing): lanes, the exact whole-store density.
    QString progressText() const;
    /// A change waits for its requests to be sent (the short debounce).
    bool hasPendingRequests() const;
    /// The lane row at y (-1: none).
    int laneAt(int y) const;

Q_SIGNALS:
    void cursorMoved(const chronoscope::Event& event);
    void streamSelected(const QString& stream);
    void visibleRangeChanged(qint64 from, qint64 to);
    /// Shift+wheel or the wheel over the names: the window scrolls the stream list by this many rows.
    void scrollLanes(int rows);
    /// progressText() may have changed.
    void progressChanged();

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;

private:
    struct Layout
    {
        QRect overview, axis, view, lanes;
        int plotLeft = kGutterWidth;
        int plotWidth = 1;
    };
    Layout layoutFor(const QSize& size) const;
    void updateMapping();
    void scheduleRequests();
    double fullFrom() const;
    double fullTo() const;
    double axisValue(const RemoteTick& t) const;
    double axisValue(const Event& e) const;
    int typeId(const QString& type);
    void paintOverview(QPainter& p, const Layout& l);
    void paintAxis(QPainter& p, const Layout& l);
    void paintViewRow(QPainter& p, const Layout& l);
    void paintLanes(QPainter& p, const Layout& l);
    void paintCursor(QPainter& p, const Layout& l);
    /// Density bars of d over `map` into rect r (one column a pixel; counts spread over the columns a bin covers).
    void paintDensity(QPainter& p, const QRect& r, const TimeMapping& map, const RemoteDensity& d, const QColor& c);
    const RemoteTick* tickAt(const QPoint& pos, QString* stream) const;

    InPlaceService* m_service;
    TimeMapping m_map;
    Layout m_layout;
    bool m_fitted = false;
    RemoteDensity m_overview;
    bool m_haveOverview = false;
    bool m_exactAsked = false;
    bool m_lanesPending = false;
    RemoteDensity m_view;
    bool m_haveView = false;
    QStringList m_laneStreams;
    QList<InPlaceLane> m_lanes; ///< the last answer (may be for an older range or lane set)
    QHash<QString, int> m_types; ///< colour ids by first-seen order
    QStringList m_typeNames;
    QList<QRgb> m_typeRgb;
    QString m_selected;
    std::optional<Event> m_cursor;
    QString m_message;
    QString m_exactStopped;
    QTimer* m_requestTimer;
    enum class Drag { None, Pending, Pan } m_drag = Drag::None;
    QPoint m_pressPos, m_lastPos;
    int m_lastPlotWidth = 0;
};

} // namespace chronoscope
