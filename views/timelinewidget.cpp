#include "timelinewidget.h"

#include "replaycontroller.h"
#include "typecolors.h"

#include <QContextMenuEvent>
#include <QHelpEvent>
#include <QLocale>
#include <QMenu>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>
#include <QScrollBar>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace chronoscope {

namespace {

constexpr int kLegendRowHeight = 18;
constexpr int kHitRadius = 5;

QColor mix(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

QString formatSpan(double ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(qint64(ms));
    if (ms < 60'000)
        return QStringLiteral("%1 s").arg(ms / 1000, 0, 'f', 1);
    if (ms < 3'600'000)
        return QStringLiteral("%1 min").arg(ms / 60'000, 0, 'f', 1);
    if (ms < 86'400'000)
        return QStringLiteral("%1 h").arg(ms / 3'600'000, 0, 'f', 1);
    return QStringLiteral("%1 days").arg(ms / 86'400'000, 0, 'f', 1);
}

} // namespace

TimelineWidget::TimelineWidget(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_vscroll(new QScrollBar(Qt::Vertical, this)), m_liveRepaint(new QTimer(this))
{
    m_liveRepaint->setSingleShot(true);
    m_liveRepaint->setInterval(kLiveRepaintMs);
    connect(m_liveRepaint, &QTimer::timeout, this, [this] {
        ++m_liveRepaints;
        updateAroundScrollBar();
    });
    setMouseTracking(true);
    setMinimumSize(400, 160);
    setFocusPolicy(Qt::StrongFocus); // Tab reaches it too: the docks' Tab cycle comes back here
    setAttribute(Qt::WA_OpaquePaintEvent);
    connect(m_vscroll, &QScrollBar::valueChanged, this, &TimelineWidget::changed);
    if (m_controller) {
        connect(m_controller, &ReplayController::cursorChanged, this, [this](qint64 position) {
            // The cursor stays in view, at the same zoom: playing pages forward; any other move (Go to, a
            // finding, a divergence, a watchpoint hit, a table row, a link) centres it when it left the view.
            if (m_index && !m_index->isEmpty() && position > 0) {
                const double t = timeOfPosition(position);
                if (t > m_map.end || t < m_map.start) {
                    const double s = m_map.span();
                    if (m_controller->isPlaying())
                        setVisibleRange(t - s * 0.1, t + s * 0.9);
                    else
                        setVisibleRange(t - s * 0.5, t + s * 0.5);
                    return;
                }
            }
            updateAroundScrollBar();
        });
        connect(m_controller, &ReplayController::markersChanged, this, &TimelineWidget::updateAroundScrollBar);
        connect(m_controller, &ReplayController::selectedEventChanged, this, &TimelineWidget::updateAroundScrollBar);
        connect(m_controller, &ReplayController::selectedStreamChanged, this, &TimelineWidget::updateAroundScrollBar);
    }
}

void TimelineWidget::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    m_index = std::move(index);
    m_lanes.clear();
    m_pinned.clear();
    m_selStart = m_selEnd = 0;
    m_map.timeAxis = !m_index || m_index->timeKnown;
    m_failureType.clear();
    m_failurePrefix.clear();
    if (m_index) {
        extendFailureCounts(0);
    }
    m_vscroll->setValue(0);
    updateScrollBar(); // the legend's height depends on the store's types
    fitAll();
}

void TimelineWidget::extendFailureCounts(size_t fromSlot)
{
    // Types not seen yet get their failure flag; the prefix counts ("failures in this pixel column" is two
    // lookups at any zoom) are recomputed from the first byTime slot that changed.
    for (int t = int(m_failureType.size()); t < m_index->types.size(); ++t)
        m_failureType.push_back(isFailureType(m_index->types[t]) ? 1 : 0);
    m_failurePrefix.resize(m_index->byTime.size() + 1, 0);
    for (size_t k = fromSlot; k < m_index->byTime.size(); ++k)
        m_failurePrefix[k + 1] = m_failurePrefix[k] + quint32(m_failureType[m_index->entries[m_index->byTime[k]].type]);
}

void TimelineWidget::updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change)
{
    // Appended in place: the index no longer knows its old extent, the change does.
    const bool inPlace = change.known && index && index == m_index;
    const bool wasEmpty = inPlace ? change.wasEmpty : (!m_index || m_index->isEmpty());
    const double oldFirst = inPlace ? double(change.firstTimeBefore) : (wasEmpty ? 0.0 : double(m_index->firstTime()));
    const double oldLast = inPlace ? double(change.lastTimeBefore) : (wasEmpty ? 0.0 : double(m_index->lastTime()));
    const bool hadAll = wasEmpty || (m_map.start <= oldFirst && m_map.end >= oldLast);
    const bool hadEnd = !wasEmpty && m_map.end >= oldLast;
    m_index = std::move(index);
    if (inPlace && !m_liveRepaint->isActive())
        m_liveRepaint->start(); // before anything below asks for a repaint: it is folded into this one
    if (inPlace && m_failurePrefix.size() == size_t(change.rowsBefore) + 1) {
        // Only what the append touched: new types, and the prefix counts from the first byTime slot that
        // changed (the end, unless a time went back).
        extendFailureCounts(size_t(std::max<qint64>(0, change.firstTimeSlotChanged)));
    } else {
        m_failureType.clear();
        m_failurePrefix.clear();
        if (m_index)
            extendFailureCounts(0);
    }
    updateScrollBar();
    if (!m_index || m_index->isEmpty())
        return changed();
    if (hadAll)
        return fitAll();
    if (hadEnd && double(m_index->lastTime()) > m_map.end) {
        const double shift = double(m_index->lastTime()) + m_map.span() * 0.02 - m_map.end;
        return setVisibleRange(m_map.start + shift, m_map.end + shift);
    }
    changed();
}

void TimelineWidget::setLanes(const QList<int>& lanes)
{
    // std::equal, not QList::operator==: Qt 6.4's compares two empty lists with memcmp(nullptr, …), which UBSan
    // reports (a lane list is empty while no store is open).
    if (std::equal(lanes.cbegin(), lanes.cend(), m_lanes.cbegin(), m_lanes.cend()))
        return;
    m_lanes = lanes;
    m_vscroll->setValue(0);
    updateScrollBar();
    changed();
}

QList<int> TimelineWidget::lanes() const
{
    if (m_lanes.size() == 1 && m_lanes[0] < 0)
        return {};
    if (!m_lanes.isEmpty() || !m_index)
        return m_lanes;
    QList<int> all;
    all.reserve(qsizetype(m_index->laneOrder.size()));
    for (quint32 lane : m_index->laneOrder)
        all.append(int(lane));
    return all;
}

int TimelineWidget::laneCount() const
{
    if (m_lanes.size() == 1 && m_lanes[0] < 0)
        return 0; // a filter that matches nothing
    if (!m_lanes.isEmpty())
        return int(m_lanes.size());
    return m_index ? int(m_index->streams.size()) : 0;
}

void TimelineWidget::setPinnedLanes(const QList<int>& lanes)
{
    m_pinned = lanes;
    changed();
}

void TimelineWidget::setVisibleRange(double start, double end)
{
    if (!(end > start))
        return;
    m_map.start = start;
    m_map.end = end;
    changed();
    Q_EMIT visibleRangeChanged(start, end);
}

void TimelineWidget::setSelectionRange(double start, double end)
{
    m_selStart = std::min(start, end);
    m_selEnd = std::max(start, end);
    update();
}

void TimelineWidget::fitAll()
{
    if (!m_index || m_index->isEmpty()) {
        const double now = 0;
        setVisibleRange(now, now + 1000);
        return;
    }
    TimeMapping m = m_map;
    m.fit(double(m_index->firstTime()), double(m_index->lastTime()));
    setVisibleRange(m.start, m.end);
}

void TimelineWidget::zoomToSelection()
{
    if (!hasSelectionRange())
        return;
    TimeMapping m = m_map;
    m.fit(m_selStart, m_selEnd, 0.0);
    m_selStart = m_selEnd = 0;
    setVisibleRange(m.start, m.end);
}

void TimelineWidget::zoomIn()
{
    TimeMapping m = m_map;
    m.zoomAround(m.left + m.width / 2, 0.5);
    setVisibleRange(m.start, m.end);
}

void TimelineWidget::zoomOut()
{
    TimeMapping m = m_map;
    const double full = m_index ? double(m_index->lastTime() - m_index->firstTime()) : 0;
    m.zoomAround(m.left + m.width / 2, 2.0, std::max(full * 4, 60'000.0));
    setVisibleRange(m.start, m.end);
}

void TimelineWidget::changed()
{
    m_laneImageValid = false;
    updateAroundScrollBar();
}

void TimelineWidget::updateAroundScrollBar()
{
    if (m_liveRepaint->isActive())
        return; // a live tail's repaint is pending: it paints this too

    // Everything but the lane scroll bar: a child under an updated area is painted again too, and its
    // value and range did not change (the scroll bar repaints itself when they do).
    if (m_vscroll->isVisible())
        update(QRegion(rect()).subtracted(m_vscroll->geometry()));
    else
        update();
}

TimelineWidget::Layout TimelineWidget::layoutFor(const QSize& size) const
{
    Layout l;
    const int w = size.width();
    const int scroll = kScrollBarWidth;
    l.plotLeft = kGutterWidth;
    l.plotWidth = std::max(10, w - kGutterWidth - scroll - 8);

    // The legend wraps over as many rows as its items need.
    int legendHeight = 0;
    if (m_index && !m_index->types.isEmpty()) {
        const QFontMetrics fm(font());
        int x = 8, y = 0;
        for (int i = 0; i < m_index->types.size(); ++i) {
            const QString text = m_index->types[i];
            const int iw = 16 + fm.horizontalAdvance(text) + 14;
            if (x + iw > w - 8 && x > 8) {
                x = 8;
                y += kLegendRowHeight;
            }
            l.legendItems.append(QRect(x, y, iw, kLegendRowHeight));
            x += iw;
        }
        legendHeight = y + kLegendRowHeight + 8;
        legendHeight = std::min(legendHeight, std::max(kLegendRowHeight + 8, size.height() / 4));
    }
    l.axis = QRect(0, 0, w, kAxisHeight);
    l.overview = QRect(0, kAxisHeight, w - scroll, kOverviewHeight);
    const int lanesTop = kAxisHeight + kOverviewHeight + 2;
    l.legend = QRect(0, size.height() - legendHeight, w, legendHeight);
    l.lanes = QRect(0, lanesTop, w - scroll, std::max(0, l.legend.top() - lanesTop));
    l.gutter = QRect(0, lanesTop, kGutterWidth, l.lanes.height());
    for (QRect& r : l.legendItems)
        r.translate(0, l.legend.top() + 4);
    return l;
}

void TimelineWidget::updateMapping()
{
    m_map.left = m_layout.plotLeft;
    m_map.width = m_layout.plotWidth;
}

void TimelineWidget::updateScrollBar()
{
    m_layout = layoutFor(size());
    updateMapping();
    const int total = laneCount() * kLaneHeight;
    m_vscroll->setGeometry(width() - kScrollBarWidth, m_layout.lanes.top(), kScrollBarWidth, m_layout.lanes.height());
    m_vscroll->setRange(0, std::max(0, total - m_layout.lanes.height()));
    m_vscroll->setPageStep(std::max(1, m_layout.lanes.height()));
    m_vscroll->setSingleStep(kLaneHeight);
    m_vscroll->setVisible(total > m_layout.lanes.height());
}

void TimelineWidget::resizeEvent(QResizeEvent*)
{
    updateScrollBar();
    m_laneImageValid = false;
}

int TimelineWidget::laneIndexAt(int y, const Layout& l) const
{
    if (y < l.lanes.top() || y >= l.lanes.bottom())
        return -1;
    const int i = (y - l.lanes.top() + m_vscroll->value()) / kLaneHeight;
    return i < laneCount() ? i : -1;
}

int TimelineWidget::laneAt(int y) const
{
    const int i = laneIndexAt(y, m_layout);
    if (i < 0)
        return -1;
    return m_lanes.isEmpty() ? int(m_index->laneOrder[size_t(i)]) : m_lanes[i];
}

int TimelineWidget::yForLane(int lane) const
{
    const int i = m_lanes.isEmpty() ? (m_index ? m_index->rankOfLane(lane) : -1) : int(m_lanes.indexOf(lane));
    if (i < 0)
        return -1;
    const int y = m_layout.lanes.top() + i * kLaneHeight - m_vscroll->value() + kLaneHeight / 2;
    return (y < m_layout.lanes.top() || y > m_layout.lanes.bottom()) ? -1 : y;
}

void TimelineWidget::ensureLaneVisible(int lane)
{
    const int i = m_lanes.isEmpty() ? (m_index ? m_index->rankOfLane(lane) : -1) : int(m_lanes.indexOf(lane));
    if (i < 0)
        return;
    const int top = i * kLaneHeight;
    if (top < m_vscroll->value())
        m_vscroll->setValue(top);
    else if (top + kLaneHeight > m_vscroll->value() + m_layout.lanes.height())
        m_vscroll->setValue(top + kLaneHeight - m_layout.lanes.height());
}

void TimelineWidget::paintEvent(QPaintEvent* e)
{
    QPainter p(this);
    if (m_vscroll->isVisible() && m_vscroll->geometry().contains(e->rect())) {
        // Only behind the lane scroll bar (it repaints itself when its range changes, and is not opaque):
        // its background, not the whole timeline clipped to a strip.
        p.fillRect(e->rect(), palette().color(QPalette::Base));
        return;
    }
    if (m_layout.lanes.isNull() || m_layout.axis.width() != width())
        updateScrollBar();
    render(p, size());
}

void TimelineWidget::render(QPainter& p, const QSize& size)
{
    if (size != this->size() || m_layout.axis.width() != size.width()) {
        m_layout = layoutFor(size);
        updateMapping();
        m_laneImageValid = false;
    }
    const Layout& l = m_layout;
    m_dpr = p.device() ? std::max(1.0, p.device()->devicePixelRatioF()) : 1.0;
    const QPalette& pal = palette();
    p.fillRect(QRect(QPoint(0, 0), size), pal.color(QPalette::Base));

    if (!m_index) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter, tr("No store open"));
        return;
    }
    paintAxis(p, l);
    paintOverview(p, l);
    paintLanes(p, l);
    paintLegend(p, l);
    paintRangeMarks(p, l);
    paintChapterMarks(p, l);
    paintMarkers(p, l);
}

void TimelineWidget::setChapterMarks(const QList<TimelineRangeMark>& marks)
{
    if (marks == m_chapterMarks)
        return;
    m_chapterMarks = marks;
    update();
}

void TimelineWidget::paintChapterMarks(QPainter& p, const Layout& l)
{
    if (m_chapterMarks.isEmpty())
        return;
    p.save();
    p.setClipRect(QRect(l.plotLeft, l.axis.top(), l.plotWidth, l.lanes.bottom() - l.axis.top()));
    QFont f = font();
    f.setBold(true);
    p.setFont(f);
    const QFontMetrics fm(f);
    // Flags go on the first of three rows where they do not cover an earlier flag; titles are cut to fit.
    const int rowHeight = fm.height() + 3;
    QList<double> rowEnds(3, -1e9);
    for (qsizetype i = 0; i < m_chapterMarks.size(); ++i) {
        const TimelineRangeMark& m = m_chapterMarks[i];
        const QColor c = m.colour.isValid() ? m.colour : palette().color(QPalette::Highlight);
        const double x0 = std::round(m_map.xAt(m.from)) + 0.5, x1 = std::max(m_map.xAt(m.to), x0 + 2.0);
        if (x1 < l.plotLeft || x0 > l.plotLeft + l.plotWidth)
            continue;
        QColor band = c;
        band.setAlpha(18);
        p.fillRect(QRectF(QPointF(x0, l.lanes.top()), QPointF(x1, l.lanes.bottom())), band);
        p.setPen(QPen(c, 1.5));
        p.drawLine(QPointF(x0, l.overview.bottom()), QPointF(x0, l.lanes.bottom()));
        const double left = std::max(x0, double(l.plotLeft));
        int row = 0;
        while (row < 2 && rowEnds[row] > left)
            ++row;
        const double limit = std::min(double(l.plotLeft + l.plotWidth), left + l.plotWidth * 0.4);
        const int room = int(limit - left) - 8;
        if (room < fm.horizontalAdvance(QStringLiteral("1…")))
            continue;
        const QString text = fm.elidedText(m.label, Qt::ElideRight, room);
        const QRectF flag(left, l.lanes.top() + 1 + row * rowHeight, fm.horizontalAdvance(text) + 8, rowHeight - 1);
        rowEnds[row] = flag.right() + 2;
        p.setPen(QPen(c, 1.5));
        p.drawLine(QPointF(x0, flag.top()), QPointF(x0, flag.bottom()));
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawRect(flag);
        p.setPen(c.lightnessF() > 0.6 ? Qt::black : Qt::white);
        p.drawText(flag, Qt::AlignCenter, text);
    }
    p.restore();
}

void TimelineWidget::setRangeMarks(const QList<TimelineRangeMark>& marks)
{
    if (marks == m_rangeMarks)
        return;
    m_rangeMarks = marks;
    update();
}

void TimelineWidget::paintRangeMarks(QPainter& p, const Layout& l)
{
    if (m_rangeMarks.isEmpty())
        return;
    p.save();
    p.setClipRect(QRect(l.plotLeft, l.overview.top(), l.plotWidth, l.overview.height()));
    const QFontMetrics fm(font());
    // Tabs of overlapping ranges are set side by side (first mark leftmost), then everything is drawn last
    // to first, so the first mark (the best finding) is on top.
    QList<QRectF> tabs;
    for (const TimelineRangeMark& m : m_rangeMarks) {
        const double x0 = m_map.xAt(m.from);
        QRectF tab(x0, l.overview.top() + 3, fm.horizontalAdvance(m.label) + 6, fm.height());
        for (bool moved = true; moved && !m.label.isEmpty();) {
            moved = false;
            for (const QRectF& t : tabs)
                if (t.intersects(tab)) {
                    tab.moveLeft(t.right() + 1);
                    moved = true;
                }
        }
        tabs << tab;
    }
    for (qsizetype i = m_rangeMarks.size() - 1; i >= 0; --i) {
        const TimelineRangeMark& m = m_rangeMarks[i];
        const double x0 = m_map.xAt(m.from), x1 = std::max(m_map.xAt(m.to), x0 + 2.0);
        if (x1 < l.plotLeft && tabs[i].right() < l.plotLeft)
            continue;
        if (x0 > l.plotLeft + l.plotWidth)
            continue;
        const QColor band = m.colour.isValid() ? m.colour : palette().color(QPalette::Highlight);
        QColor fill = band;
        fill.setAlpha(40);
        p.fillRect(QRectF(QPointF(x0, l.overview.top()), QPointF(x1, l.overview.bottom() + 1)), fill);
        p.fillRect(QRectF(QPointF(x0, l.overview.top()), QPointF(x1, l.overview.top() + 3)), band);
        if (!m.label.isEmpty()) {
            p.setPen(Qt::NoPen);
            p.setBrush(band);
            p.drawRect(tabs[i]);
            p.setPen(band.lightnessF() > 0.6 ? Qt::black : Qt::white);
            p.drawText(tabs[i], Qt::AlignCenter, m.label);
        }
    }
    p.restore();
}

void TimelineWidget::paintAxis(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    p.fillRect(l.axis, pal.color(QPalette::Window));
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(l.axis.bottomLeft(), l.axis.bottomRight());
    const QFontMetrics fm(font());

    // Left caption: the date(s) in view and the span, so tick labels never have to repeat the date.
    p.setPen(pal.color(QPalette::WindowText));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(8, 2, kGutterWidth - 12, 18), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(m_map.caption(), Qt::ElideRight, kGutterWidth - 12));
    p.setFont(font());
    p.setPen(pal.color(QPalette::PlaceholderText));
    const QString spanText = m_map.timeAxis ? tr("%1 in view").arg(formatSpan(m_map.span()))
                                            : tr("%1 positions in view").arg(qint64(m_map.span()));
    p.drawText(QRect(8, 18, kGutterWidth - 12, 18), Qt::AlignLeft | Qt::AlignVCenter, spanText);

    const auto ticks = m_map.ticks(std::max(90, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16));
    p.setClipRect(QRect(l.plotLeft - 40, 0, l.plotWidth + 80, size().height()));
    for (const auto& t : ticks) {
        const int x = int(std::lround(m_map.xAt(t.t)));
        if (x < l.plotLeft || x > l.plotLeft + l.plotWidth)
            continue;
        p.setPen(pal.color(t.major ? QPalette::WindowText : QPalette::Mid));
        p.drawLine(x, l.axis.bottom() - (t.major ? 10 : 6), x, l.axis.bottom());
        p.setPen(pal.color(QPalette::WindowText));
        QFont f = font();
        f.setBold(t.major);
        p.setFont(f);
        const int tw = fm.horizontalAdvance(t.label) + 8;
        p.drawText(QRect(x - tw / 2, 6, tw, 20), Qt::AlignCenter, t.label);
    }
    p.setFont(font());
    p.setClipping(false);
}

void TimelineWidget::binOverview(const Layout& l)
{
    const auto& times = m_index->sortedTimes;
    const int w = l.plotWidth;
    m_overviewCounts.assign(size_t(w), 0);
    m_overviewFailures.assign(size_t(w), 0);
    const auto lo = std::lower_bound(times.begin(), times.end(), qint64(std::ceil(m_map.start)));
    const auto hi = std::lower_bound(lo, times.end(), qint64(std::floor(m_map.end)) + 1);
    auto cur = lo;
    for (int c = 0; c < w && cur != hi; ++c) {
        const qint64 colEnd = qint64(std::ceil(m_map.start + double(c + 1) * m_map.span() / w));
        const auto next = std::lower_bound(cur, hi, colEnd);
        m_overviewCounts[size_t(c)] = next - cur;
        m_overviewFailures[size_t(c)] = m_failurePrefix[size_t(next - times.begin())] - m_failurePrefix[size_t(cur - times.begin())];
        cur = next;
    }
}

void TimelineWidget::paintOverview(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const QRect r = l.overview;
    p.fillRect(r, pal.color(QPalette::AlternateBase));
    p.setPen(pal.color(QPalette::WindowText));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRect(8, r.top(), kGutterWidth - 12, r.height()), Qt::AlignLeft | Qt::AlignVCenter,
               tr("All events (%1)").arg(QLocale().toString(m_index->size())));
    p.setFont(font());
    if (!m_laneImageValid || m_overviewCounts.size() != size_t(l.plotWidth))
        binOverview(l);
    const int w = l.plotWidth;
    qint64 maxCount = 0;
    for (qint64 n : m_overviewCounts)
        maxCount = std::max(maxCount, n);
    const QColor bar = pal.color(QPalette::Highlight);
    const QColor failure(0xd62728);
    const int h = r.height() - 6;
    const double logMax = std::log1p(double(std::max<qint64>(maxCount, 1)));
    // Failure share per column, against the highest share in view (columns of a handful of events are too
    // noisy to set the scale): a stretch where failures pile up is drawn all red.
    double maxShare = 0;
    for (int c = 0; c < w; ++c)
        if (m_overviewCounts[size_t(c)] >= 4)
            maxShare = std::max(maxShare, double(m_overviewFailures[size_t(c)]) / double(m_overviewCounts[size_t(c)]));
    // The bars go into an image pixel by pixel (one QPainter::fillRect per column cost about a millisecond
    // per repaint at 1,000 columns); drawn at the row's logical size like the rectangles were.
    QImage bars(w, r.height(), QImage::Format_ARGB32_Premultiplied);
    bars.fill(Qt::transparent);
    uchar* const bits = bars.bits();
    const qsizetype stride = bars.bytesPerLine();
    const QRgb barRgb = bar.rgba(), failureRgb = failure.rgba();
    const int base = r.height() - 4; // the last row of a bar: r.bottom() - 3, relative to r.top()
    for (int c = 0; c < w; ++c) {
        const qint64 n = m_overviewCounts[size_t(c)];
        if (n == 0)
            continue;
        const int bh = std::max(2, int(h * std::log1p(double(n)) / logMax));
        int fh = 0;
        const qint64 f = m_overviewFailures[size_t(c)];
        if (f > 0) {
            const double share = double(f) / double(n) / (maxShare > 0 ? maxShare : 1.0);
            fh = std::clamp(int(double(bh) * share), 1, bh);
        }
        for (int y = std::max(0, base - bh + 1); y <= base; ++y)
            reinterpret_cast<QRgb*>(bits + qsizetype(y) * stride)[c] = y > base - fh ? failureRgb : barRgb;
    }
    p.drawImage(QPoint(l.plotLeft, r.top()), bars);
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(r.bottomLeft(), r.bottomRight());
}

void TimelineWidget::paintLaneImage(const Layout& l)
{
    // Binned per device pixel, so a high-DPI screen gets its full resolution rather than a scaled image.
    const double dpr = m_dpr;
    const QSize imgSize(int(std::ceil(l.plotWidth * dpr)), int(std::ceil(l.lanes.height() * dpr)));
    if (m_laneImage.size() != imgSize)
        m_laneImage = QImage(imgSize, QImage::Format_ARGB32_Premultiplied);
    m_laneImage.setDevicePixelRatio(dpr);
    m_laneImage.fill(Qt::transparent);
    if (imgSize.isEmpty())
        return;
    const int w = imgSize.width();
    QList<QRgb> colors;
    colors.reserve(m_index->types.size());
    for (int i = 0; i < m_index->types.size(); ++i)
        colors.append(typeColor(i, m_index->types[i]).rgba());

    uchar* const bits = m_laneImage.bits(); // detaches once, here
    const qsizetype stride = m_laneImage.bytesPerLine();
    std::vector<int> barTops;
    std::vector<qint32> counts(size_t(w), 0);
    std::vector<quint32> firstType(size_t(w), 0);
    const int firstLane = m_vscroll->value() / kLaneHeight;
    const int n = laneCount();
    const double scale = double(w) / m_map.span();
    const qint64 tStart = qint64(std::ceil(m_map.start));
    const qint64 tEnd = qint64(std::floor(m_map.end));
    for (int i = firstLane; i < n; ++i) {
        const int yTop = int(std::lround((i * kLaneHeight - m_vscroll->value()) * dpr));
        if (yTop >= imgSize.height())
            break;
        const int lane = m_lanes.isEmpty() ? int(m_index->laneOrder[size_t(i)]) : m_lanes[i];
        const auto& points = m_index->lanePoints[size_t(lane)];
        auto timeLess = [](const TimelineIndex::LanePoint& pt, qint64 v) { return pt.time < v; };
        const auto lo = std::lower_bound(points.begin(), points.end(), tStart, timeLess);
        const auto hi = std::lower_bound(lo, points.end(), tEnd + 1, timeLess);
        const qint64 count = hi - lo;
        if (count == 0)
            continue;
        std::fill(counts.begin(), counts.end(), 0);
        int maxC = 0;
        // Visiting events is cheap up to a few hundred thousand per lane (and finds failures in crowded
        // columns); beyond that, columns are counted by binary search and show their first event's type.
        if (count <= std::max<qint64>(qint64(w) * 8, 400'000)) {
            for (auto it = lo; it != hi; ++it) {
                const int c = std::clamp(int((double(it->time) - m_map.start) * scale), 0, w - 1);
                // A column shows its first event's type, unless it holds a failure: those must stand out.
                if (counts[size_t(c)]++ == 0 || (m_failureType[it->type] && !m_failureType[firstType[size_t(c)]]))
                    firstType[size_t(c)] = it->type;
                maxC = std::max(maxC, counts[size_t(c)]);
            }
        } else {
            auto cur = lo;
            for (int c = 0; c < w && cur != hi; ++c) {
                const qint64 colEnd = qint64(std::ceil(m_map.start + double(c + 1) / scale));
                const auto next = std::lower_bound(cur, hi, colEnd, timeLess);
                const int k = int(next - cur);
                if (k > 0) {
                    counts[size_t(c)] = k;
                    firstType[size_t(c)] = cur->type;
                    maxC = std::max(maxC, k);
                }
                cur = next;
            }
        }
        // A lane where no two events share a pixel column shows each event as a tick; otherwise the
        // column's height says how many events it holds (log scale against the lane's busiest column).
        const int top = yTop + int(std::lround(3 * dpr)), bottom = yTop + int(std::lround((kLaneHeight - 4) * dpr));
        const int tickHalf = std::max(1, int(std::lround(dpr)));
        const double logMax = std::log1p(double(std::max(maxC, 1)));
        const bool ticks = maxC <= 1;
        // Bar tops by count, computed once per count seen (most columns of a lane share a few counts).
        barTops.clear();
        auto barTopFor = [&](int k) {
            if (ticks)
                return top;
            if (size_t(k) < 64) {
                if (barTops.size() < 64)
                    barTops.assign(64, -1);
                int& cached = barTops[size_t(k)];
                if (cached < 0)
                    cached = bottom - std::max(int(3 * dpr), int((bottom - top) * (0.3 + 0.7 * std::log1p(double(k)) / logMax)));
                return cached;
            }
            return bottom - std::max(int(3 * dpr), int((bottom - top) * (0.3 + 0.7 * std::log1p(double(k)) / logMax)));
        };
        const int yLast = std::min(bottom, imgSize.height() - 1);
        for (int c = 0; c < w; ++c) {
            const int k = counts[size_t(c)];
            if (k == 0)
                continue;
            const QRgb color = colors[int(firstType[size_t(c)])];
            const int barTop = barTopFor(k);
            const int x0 = ticks ? std::max(0, c - tickHalf) : c;
            const int x1 = ticks ? std::min(w - 1, c + tickHalf) : c;
            // Straight into the pixels: QImage::scanLine() checks for a detach on every call.
            uchar* row = bits + qsizetype(std::max(0, barTop)) * stride;
            for (int y = std::max(0, barTop); y <= yLast; ++y, row += stride) {
                QRgb* line = reinterpret_cast<QRgb*>(row);
                for (int x = x0; x <= x1; ++x)
                    line[x] = color;
            }
        }
    }
    m_laneImageValid = true;
}

void TimelineWidget::paintLanes(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const int n = laneCount();
    const int firstLane = m_vscroll->value() / kLaneHeight;
    const QFontMetrics fm(font());
    const int selectedLane = m_index->laneOf(m_controller ? m_controller->selectedStream() : QString());
    p.save();
    p.setClipRect(l.lanes);
    // Backgrounds, names and grid first; the event pixels go over them.
    for (int i = firstLane; i < n; ++i) {
        const int y = l.lanes.top() + i * kLaneHeight - m_vscroll->value();
        if (y >= l.lanes.bottom())
            break;
        const int lane = m_lanes.isEmpty() ? int(m_index->laneOrder[size_t(i)]) : m_lanes[i];
        const QRect row(0, y, l.lanes.width(), kLaneHeight);
        if (lane == selectedLane)
            p.fillRect(row, mix(pal.color(QPalette::Base), pal.color(QPalette::Highlight), 0.18));
        else if (i % 2)
            p.fillRect(row, pal.color(QPalette::AlternateBase));
        const bool pinned = m_pinned.contains(lane);
        QFont f = font();
        f.setBold(lane == selectedLane || pinned);
        p.setFont(f);
        p.setPen(pal.color(QPalette::Text));
        const QString name = (pinned ? QStringLiteral("\u2691 ") : QString()) + m_index->streams[lane];
        p.drawText(QRect(8, y, kGutterWidth - 16, kLaneHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   QFontMetrics(f).elidedText(name, Qt::ElideMiddle, kGutterWidth - 16));
    }
    p.setFont(font());
    QColor grid = pal.color(QPalette::Mid);
    grid.setAlpha(70);
    p.setPen(grid);
    for (const auto& t : m_map.ticks(std::max(90, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16))) {
        const int x = int(std::lround(m_map.xAt(t.t)));
        if (x >= l.plotLeft && x <= l.plotLeft + l.plotWidth)
            p.drawLine(x, l.lanes.top(), x, l.lanes.bottom());
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(kGutterWidth - 4, l.lanes.top(), kGutterWidth - 4, l.lanes.bottom());
    if (!m_laneImageValid || m_laneImage.devicePixelRatio() != m_dpr
        || m_laneImage.size() != QSize(int(std::ceil(l.plotWidth * m_dpr)), int(std::ceil(l.lanes.height() * m_dpr))))
        paintLaneImage(l);
    p.drawImage(QPoint(l.plotLeft, l.lanes.top()), m_laneImage);
    if (n == 0) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(l.lanes, Qt::AlignCenter, tr("No streams to show"));
    }
    p.restore();
}

void TimelineWidget::paintLegend(QPainter& p, const Layout& l)
{
    if (l.legend.height() <= 0)
        return;
    const QPalette& pal = palette();
    p.fillRect(l.legend, pal.color(QPalette::Window));
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(l.legend.topLeft(), l.legend.topRight());
    p.save();
    p.setClipRect(l.legend);
    for (int i = 0; i < l.legendItems.size(); ++i) {
        const QRect r = l.legendItems[i];
        p.fillRect(QRect(r.left(), r.top() + 4, 10, 10), typeColor(i, m_index->types[i]));
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(r.adjusted(15, 0, 0, 0), Qt::AlignLeft | Qt::AlignVCenter, m_index->types[i]);
    }
    p.restore();
}

double TimelineWidget::timeOfPosition(qint64 position) const
{
    const qint64 row = m_index->rowAtOrBefore(position);
    if (row < 0)
        return double(m_index->firstTime());
    return double(m_index->entries[size_t(row)].time);
}

void TimelineWidget::paintMarkers(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const int top = l.axis.top() + 22;
    const int bottom = l.lanes.bottom();
    p.save();
    p.setClipRect(QRect(l.plotLeft - 8, 0, l.plotWidth + 16, size().height()));

    if (hasSelectionRange() || m_drag == Drag::Select) {
        const double a = std::min(m_selStart, m_selEnd), b = std::max(m_selStart, m_selEnd);
        QColor sel = pal.color(QPalette::Highlight);
        sel.setAlpha(50);
        p.fillRect(QRectF(QPointF(m_map.xAt(a), l.overview.top()), QPointF(m_map.xAt(b), bottom)), sel);
    }

    auto marker = [&](qint64 position, const QColor& color, const QString& label, Qt::PenStyle style) {
        if (position <= 0)
            return;
        const double x = std::round(m_map.xAt(timeOfPosition(position))) + 0.5;
        if (x < l.plotLeft - 1 || x > l.plotLeft + l.plotWidth + 1)
            return;
        QPen pen(color, 2, style);
        p.setPen(pen);
        p.drawLine(QPointF(x, top), QPointF(x, bottom));
        const QFontMetrics fm(font());
        const int tw = fm.horizontalAdvance(label) + 8;
        // The cursor's badge sits on the axis; A and B sit just below it, so close markers stay readable.
        const double badgeY = label.size() == 1 ? l.overview.top() + 1 : l.axis.bottom() - 15;
        const QRectF badge(x - tw / 2.0, badgeY, tw, 15);
        p.setPen(Qt::NoPen);
        p.setBrush(color);
        p.drawRoundedRect(badge, 3, 3);
        p.setPen(Qt::white);
        p.drawText(badge, Qt::AlignCenter, label);
    };
    // Panel markers first, so the cursor and A/B stay on top: a dotted line and a flag pointing down
    // from the bottom of the overview row (where neither the cursor nor A/B put their badges).
    for (const TimelineMarker& m : m_markers) {
        if (m.position <= 0)
            continue;
        const double x = std::round(m_map.xAt(timeOfPosition(m.position))) + 0.5;
        if (x < l.plotLeft - 1 || x > l.plotLeft + l.plotWidth + 1)
            continue;
        const QColor c = m.colour.isValid() ? m.colour : pal.color(QPalette::Text);
        p.setPen(QPen(c, 1.5, Qt::DotLine));
        p.drawLine(QPointF(x, l.overview.bottom() - 10), QPointF(x, bottom));
        QPainterPath flag;
        flag.moveTo(x - 7, l.overview.bottom() - 12);
        flag.lineTo(x + 7, l.overview.bottom() - 12);
        flag.lineTo(x, l.overview.bottom() + 1);
        flag.closeSubpath();
        p.setPen(QPen(pal.color(QPalette::Base), 1));
        p.setBrush(c);
        p.drawPath(flag);
    }
    if (m_controller) {
        marker(m_controller->markerA(), QColor(0x2f6fdf), QStringLiteral("A"), Qt::DashLine);
        marker(m_controller->markerB(), QColor(0x8e44ad), QStringLiteral("B"), Qt::DashLine);
        marker(m_controller->cursor(), QColor(0xe8590c), tr("cursor"), Qt::SolidLine);

        // The selected event gets a ring in its lane.
        const qint64 sel = m_controller->selectedEvent();
        const qint64 row = sel > 0 ? m_index->rowOfPosition(sel) : -1;
        if (row >= 0) {
            const auto& e = m_index->entries[size_t(row)];
            const int y = yForLane(m_index->laneOfRow(row));
            const double x = m_map.xAt(double(e.time));
            if (y >= 0 && x >= l.plotLeft && x <= l.plotLeft + l.plotWidth) {
                p.setBrush(Qt::NoBrush);
                p.setPen(QPen(pal.color(QPalette::Text), 2));
                p.drawEllipse(QPointF(x, y), 6, 6);
            }
        }
    }
    p.restore();
}

qint64 TimelineWidget::positionAtTime(double t) const
{
    if (!m_index)
        return 0;
    const qint64 row = m_index->rowAtTime(qint64(std::floor(t)));
    return row < 0 ? 0 : m_index->entries[size_t(row)].position;
}

qint64 TimelineWidget::eventAt(const QPoint& pos) const
{
    if (!m_index || pos.x() < m_layout.plotLeft)
        return 0;
    const int lane = laneAt(pos.y());
    if (lane < 0)
        return 0;
    const auto& rows = m_index->laneRows[size_t(lane)];
    const auto& entries = m_index->entries;
    const double t0 = m_map.timeAt(pos.x() - kHitRadius), t1 = m_map.timeAt(pos.x() + kHitRadius);
    auto it = std::lower_bound(rows.begin(), rows.end(), qint64(std::ceil(t0)),
                               [&](quint32 row, qint64 v) { return entries[row].time < v; });
    const double tMouse = m_map.timeAt(pos.x());
    qint64 best = 0;
    double bestDist = 1e300;
    // A dense column may hold thousands of events; look at a bounded number around the mouse.
    for (int k = 0; it != rows.end() && k < 4096; ++it, ++k) {
        const auto& e = entries[*it];
        if (double(e.time) > t1)
            break;
        const double d = std::abs(double(e.time) - tMouse);
        if (d < bestDist) {
            bestDist = d;
            best = e.position;
        }
    }
    return best;
}

void TimelineWidget::setMarkers(const QList<TimelineMarker>& markers)
{
    if (markers == m_markers)
        return;
    m_markers = markers;
    update();
}

QList<TimelineMarker> TimelineWidget::markersNear(int x) const
{
    QList<QPair<double, TimelineMarker>> near;
    if (!m_index)
        return {};
    for (const TimelineMarker& m : m_markers) {
        const double d = std::abs(m_map.xAt(timeOfPosition(m.position)) - x);
        if (m.position > 0 && d <= kHitRadius)
            near.append({d, m});
    }
    std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    QList<TimelineMarker> out;
    for (const auto& n : near)
        out << n.second;
    return out;
}

QString TimelineWidget::tooltipAt(const QPoint& pos) const
{
    if (!m_index)
        return {};
    // Over the overview row a marker's flag wins; over the lanes an event does, and a marker line only
    // where there is no event.
    const bool inPlot = pos.x() >= m_layout.plotLeft && pos.y() >= m_layout.overview.top() && pos.y() <= m_layout.lanes.bottom();
    const QList<TimelineMarker> near = inPlot ? markersNear(pos.x()) : QList<TimelineMarker>();
    auto markerText = [&] {
        QStringList lines;
        for (const TimelineMarker& m : near)
            lines << QStringLiteral("<span style='color:%1'>&#9660;</span> %2")
                         .arg(m.colour.name(), m.label.toHtmlEscaped());
        return lines.join(QStringLiteral("<br>"));
    };
    if (!near.isEmpty() && m_layout.overview.contains(pos))
        return markerText();
    const qint64 position = eventAt(pos);
    if (position > 0) {
        const qint64 hitRow = m_index->rowOfPosition(position);
        const auto& e = m_index->entries[size_t(hitRow)];
        const int lane = m_index->laneOfRow(hitRow);
        const QString when = m_index->timeKnown ? formatTime(e.time) : tr("(no time in this store)");
        // Count the events under the same pixel column so a dense column does not hide its size.
        const auto& rows = m_index->laneRows[size_t(lane)];
        const double t0 = m_map.timeAt(std::floor(m_map.xAt(double(e.time))));
        const double t1 = t0 + m_map.unitsPerPixel();
        auto less = [&](quint32 row, qint64 v) { return m_index->entries[row].time < v; };
        const auto a = std::lower_bound(rows.begin(), rows.end(), qint64(std::ceil(t0)), less);
        const auto b = std::lower_bound(a, rows.end(), qint64(std::ceil(t1)), less);
        QString text = QStringLiteral("<b>%1</b><br>%2 v%3<br>%4<br>position %5")
                           .arg(m_index->types[int(e.type)].toHtmlEscaped(), m_index->streams[lane].toHtmlEscaped())
                           .arg(e.version)
                           .arg(when)
                           .arg(e.position);
        if (b - a > 1)
            text += tr("<br><i>%1 events in this pixel column: zoom in to separate them</i>").arg(b - a);
        return text;
    }
    if (!near.isEmpty())
        return markerText();
    if (m_layout.gutter.contains(pos)) {
        const int lane = laneAt(pos.y());
        if (lane >= 0) {
            const StreamInfo& s = m_index->streamInfos[lane];
            return tr("<b>%1</b><br>%2 events<br>%3 – %4")
                .arg(s.stream.toHtmlEscaped())
                .arg(s.events)
                .arg(formatTime(s.firstTime), formatTime(s.lastTime));
        }
    }
    for (int i = 0; i < m_layout.legendItems.size(); ++i)
        if (m_layout.legendItems[i].contains(pos))
            return tr("%1: %2 events").arg(m_index->types[i].toHtmlEscaped()).arg(m_index->typeCounts[size_t(i)]);
    return {};
}

bool TimelineWidget::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        QString text = tooltipAt(help->pos());
        if (text.isEmpty() && m_layout.overview.contains(help->pos())) {
            // A band of a finding or note on the overview row.
            QStringList tips;
            for (const TimelineRangeMark& m : m_rangeMarks) {
                const double x0 = m_map.xAt(m.from), x1 = std::max(m_map.xAt(m.to), x0 + 2.0);
                if (help->pos().x() >= x0 - 3 && help->pos().x() <= x1 + 3 && !m.tooltip.isEmpty())
                    tips << m.tooltip;
            }
            text = tips.join(QLatin1Char('\n'));
        }
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(e);
}

void TimelineWidget::wheelEvent(QWheelEvent* e)
{
    const QPoint pos = e->position().toPoint();
    const int dy = e->angleDelta().y() != 0 ? e->angleDelta().y() : e->angleDelta().x();
    // Over the stream names, or with Shift, the wheel scrolls the lanes; elsewhere it zooms around the mouse.
    if (pos.x() < m_layout.plotLeft || (e->modifiers() & Qt::ShiftModifier)) {
        m_vscroll->setValue(m_vscroll->value() - dy / 120 * 3 * kLaneHeight);
        e->accept();
        return;
    }
    if (!m_index || dy == 0)
        return;
    const double factor = std::pow(0.8, dy / 120.0);
    const double full = double(m_index->lastTime() - m_index->firstTime());
    TimeMapping m = m_map;
    m.zoomAround(pos.x(), factor, std::max(full * 4, 60'000.0));
    setVisibleRange(m.start, m.end);
    e->accept();
}

void TimelineWidget::mousePressEvent(QMouseEvent* e)
{
    m_pressPos = m_lastPos = e->pos();
    if (e->button() != Qt::LeftButton || !m_index)
        return;
    if (m_layout.axis.contains(e->pos()) && e->pos().x() >= m_layout.plotLeft) {
        m_drag = Drag::Scrub;
        if (m_controller)
            m_controller->setCursorTime(qint64(std::floor(m_map.timeAt(e->pos().x()))));
        return;
    }
    if (e->pos().x() < m_layout.plotLeft) {
        const int lane = laneAt(e->pos().y());
        if (lane >= 0) {
            if (m_controller)
                m_controller->setSelectedStream(m_index->streams[lane]);
            Q_EMIT laneClicked(m_index->streams[lane]);
        }
        return;
    }
    if (e->modifiers() & Qt::ShiftModifier) {
        m_drag = Drag::Select;
        m_selStart = m_selEnd = m_map.timeAt(e->pos().x());
        return;
    }
    m_drag = Drag::Pending;
}

void TimelineWidget::mouseMoveEvent(QMouseEvent* e)
{
    const QPoint pos = e->pos();
    switch (m_drag) {
    case Drag::Pending:
        if ((pos - m_pressPos).manhattanLength() > 3) {
            m_drag = Drag::Pan;
            setCursor(Qt::ClosedHandCursor);
        } else {
            break;
        }
        [[fallthrough]];
    case Drag::Pan: {
        TimeMapping m = m_map;
        m.panPixels(pos.x() - m_lastPos.x());
        const int dy = pos.y() - m_lastPos.y();
        if (dy)
            m_vscroll->setValue(m_vscroll->value() - dy);
        setVisibleRange(m.start, m.end);
        break;
    }
    case Drag::Select:
        m_selEnd = m_map.timeAt(pos.x());
        update();
        break;
    case Drag::Scrub:
        if (m_controller)
            m_controller->setCursorTime(qint64(std::floor(m_map.timeAt(pos.x()))));
        break;
    case Drag::None:
        break;
    }
    m_lastPos = pos;
    m_hoverPos = pos;
}

void TimelineWidget::mouseReleaseEvent(QMouseEvent* e)
{
    const Drag drag = m_drag;
    m_drag = Drag::None;
    unsetCursor();
    if (e->button() != Qt::LeftButton || !m_index)
        return;
    if (drag == Drag::Pending) {
        const qint64 position = eventAt(e->pos());
        if (position > 0 && m_controller) {
            m_controller->jumpToEvent(position);
        } else {
            const int lane = laneAt(e->pos().y());
            if (lane >= 0) {
                if (m_controller)
                    m_controller->setSelectedStream(m_index->streams[lane]);
                Q_EMIT laneClicked(m_index->streams[lane]);
            }
        }
    } else if (drag == Drag::Select) {
        if (std::abs(m_map.xAt(m_selEnd) - m_map.xAt(m_selStart)) < 3)
            m_selStart = m_selEnd = 0;
        else
            setSelectionRange(m_selStart, m_selEnd);
        update();
    }
}

void TimelineWidget::leaveEvent(QEvent*)
{
    m_hoverPos = QPoint(-1, -1);
}

void TimelineWidget::contextMenuEvent(QContextMenuEvent* e)
{
    if (!m_index || !m_controller)
        return;
    qint64 position = eventAt(e->pos());
    if (position <= 0)
        position = positionAtTime(m_map.timeAt(e->pos().x()));
    QMenu menu(this);
    const QString what = position > 0 ? tr(" (position %1)").arg(position) : QString();
    QAction* cursorHere = menu.addAction(tr("Move cursor here") + what);
    QAction* a = menu.addAction(tr("Set A here") + what);
    QAction* b = menu.addAction(tr("Set B here") + what);
    menu.addSeparator();
    QAction* zoomSel = menu.addAction(tr("Zoom to selection"));
    zoomSel->setEnabled(hasSelectionRange());
    QAction* fit = menu.addAction(tr("Fit all"));
    for (QAction* act : {cursorHere, a, b})
        act->setEnabled(position > 0);
    if (!m_contextActions.isEmpty()) {
        menu.addSeparator();
        menu.addActions(m_contextActions);
    }
    QAction* chosen = menu.exec(e->globalPos());
    if (chosen == cursorHere)
        m_controller->jumpToEvent(position);
    else if (chosen == a)
        m_controller->setMarkerA(position);
    else if (chosen == b)
        m_controller->setMarkerB(position);
    else if (chosen == zoomSel)
        zoomToSelection();
    else if (chosen == fit)
        fitAll();
}

} // namespace chronoscope
