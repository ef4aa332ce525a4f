#include "inplace/inplacetimeline.h"

#include "typecolors.h"

#include <QDateTime>
#include <QKeyEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QTimer>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace chronoscope {

namespace {

constexpr int kHitRadius = 5;
const QColor kCursorColour(0xe8590c); // the full timeline's cursor colour

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

InPlaceTimeline::InPlaceTimeline(InPlaceService* service, QWidget* parent)
    : QWidget(parent), m_service(service), m_requestTimer(new QTimer(this))
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setMinimumSize(480, 200);
    setAccessibleName(tr("In-place timeline"));
    m_requestTimer->setSingleShot(true);
    m_requestTimer->setInterval(40);
    connect(m_requestTimer, &QTimer::timeout, this, &InPlaceTimeline::flushRequests);

    connect(m_service, &InPlaceService::opened, this, [this] {
        m_message.clear();
        m_exactStopped.clear();
        m_fitted = false;
        m_exactAsked = false;
        fitAll();
        m_lanes.clear();
        m_lanesPending = false;
        m_service->requestOverview(kOverviewBins);
        if (m_service->hasExactWorker()) {
            // Its own source and thread: at once, it delays nothing else.
            askExactOverview();
        } else {
            // The exact density after the first lanes (it may read the whole store on the one worker); at the
            // latest after 30 s (the window asks at once when the listing is empty).
            QTimer::singleShot(30000, this, &InPlaceTimeline::askExactOverview);
        }
        Q_EMIT progressChanged();
    });
    connect(m_service, &InPlaceService::overview, this, [this](const RemoteDensity& d) {
        m_overview = d;
        m_haveOverview = true;
        update();
        Q_EMIT progressChanged();
    });
    connect(m_service, &InPlaceService::viewDensity, this, [this](const RemoteDensity& d) {
        m_view = d;
        m_haveView = true;
        update();
    });
    connect(m_service, &InPlaceService::lanes, this, [this](const InPlaceLanes& lanes) {
        m_lanes = lanes.lanes;
        m_lanesPending = false;
        for (const InPlaceLane& lane : std::as_const(m_lanes))
            for (const RemoteTick& t : lane.ticks)
                typeId(t.type);
        if (m_message.startsWith(tr("Lanes")))
            m_message.clear();
        askExactOverview();
        update();
        Q_EMIT progressChanged();
    });
    connect(m_service, &InPlaceService::stepped, this, [this](const Event& e) { setCursorEvent(e, true); });
    connect(m_service, &InPlaceService::failed, this, [this](const QString& what, const QString& error) {
        if (what == u"lanes" || what == u"overview")
            Q_EMIT progressChanged();
        if (what == u"overview" && m_haveOverview && m_overview.estimated) {
            // The exact pass is extra: its failure (typically a server's statement timeout on a full scan) keeps
            // the estimate on screen, says so in the strip, and does not cover the lanes with an error.
            m_exactStopped = error;
            update();
            return;
        }
        if (what == u"lanes") {
            m_lanesPending = false;
            m_message = tr("Lanes not shown: %1").arg(error);
        } else if (what == u"density" || what == u"overview")
            m_message = tr("Density not shown: %1").arg(error);
        else if (what == u"step")
            m_message = tr("Cursor not moved: %1").arg(error);
        else if (what == u"open")
            m_message = tr("Could not open: %1").arg(error);
        else
            return;
        update();
    });
}

void InPlaceTimeline::askExactOverview()
{
    if (m_exactAsked || !m_service->isOpen())
        return;
    m_exactAsked = true;
    m_service->requestExactOverview(kOverviewBins);
    Q_EMIT progressChanged();
}

QStringList InPlaceTimeline::loadingLanes() const
{
    if (!m_lanesPending)
        return {};
    QStringList out;
    for (const QString& stream : m_laneStreams.mid(0, laneCapacity())) {
        const bool held = std::any_of(m_lanes.begin(), m_lanes.end(),
                                      [&stream](const InPlaceLane& lane) { return lane.stream == stream; });
        if (!held)
            out << stream;
    }
    return out;
}

QString InPlaceTimeline::progressText() const
{
    QStringList parts;
    if (m_lanesPending)
        parts << tr("Loading lanes…");
    if (m_service->exactPending())
        parts << tr("Counting every event for the exact density…");
    return parts.join(QStringLiteral("  "));
}

double InPlaceTimeline::fullFrom() const
{
    const RemoteSummary& s = m_service->summary();
    return s.axis == RemoteAxis::Time ? double(s.firstTime) : double(s.firstPosition);
}

double InPlaceTimeline::fullTo() const
{
    const RemoteSummary& s = m_service->summary();
    return s.axis == RemoteAxis::Time ? double(s.lastTime) : double(s.lastPosition);
}

double InPlaceTimeline::axisValue(const RemoteTick& t) const
{
    return m_map.timeAxis ? double(t.time) : double(t.position);
}

double InPlaceTimeline::axisValue(const Event& e) const
{
    return m_map.timeAxis ? double(e.time) : double(e.position);
}

int InPlaceTimeline::typeId(const QString& type)
{
    // Colours by first-seen order: the store's whole type list would need a scan.
    auto it = m_types.constFind(type);
    if (it != m_types.constEnd())
        return it.value();
    const int id = int(m_types.size());
    m_types.insert(type, id);
    m_typeNames.append(type);
    m_typeRgb.append(typeColor(id, type).rgba());
    return id;
}

InPlaceTimeline::Layout InPlaceTimeline::layoutFor(const QSize& size) const
{
    Layout l;
    l.plotLeft = kGutterWidth;
    l.plotWidth = std::max(1, size.width() - kGutterWidth - kRightMargin);
    l.overview = QRect(0, 0, size.width(), kOverviewHeight);
    l.axis = QRect(0, l.overview.bottom() + 1, size.width(), kAxisHeight);
    l.view = QRect(0, l.axis.bottom() + 1, size.width(), kViewHeight);
    l.lanes = QRect(0, l.view.bottom() + 1, size.width(), std::max(0, size.height() - l.view.bottom() - 1));
    return l;
}

int InPlaceTimeline::laneCapacity() const
{
    return std::max(1, layoutFor(size()).lanes.height() / kLaneHeight);
}

void InPlaceTimeline::updateMapping()
{
    m_map.left = m_layout.plotLeft;
    m_map.width = m_layout.plotWidth;
    m_map.timeAxis = m_service->axis() == RemoteAxis::Time;
}

void InPlaceTimeline::resizeEvent(QResizeEvent*)
{
    m_layout = layoutFor(size());
    updateMapping();
    if (m_layout.plotWidth != m_lastPlotWidth)
        scheduleRequests();
}

void InPlaceTimeline::setLaneStreams(const QStringList& streams)
{
    if (streams == m_laneStreams)
        return;
    m_laneStreams = streams;
    // Their rows say "loading…" from now (the request goes after the short debounce), not only once it is sent.
    if (m_service->isOpen() && !m_lanesPending && !m_laneStreams.isEmpty()) {
        m_lanesPending = true;
        Q_EMIT progressChanged();
    }
    scheduleRequests();
    update();
}

void InPlaceTimeline::setSelectedStream(const QString& stream)
{
    if (stream == m_selected)
        return;
    m_selected = stream;
    update();
}

void InPlaceTimeline::setVisibleRange(double from, double to)
{
    if (!(to > from))
        to = from + TimeMapping::kMinSpan;
    if (from == m_map.start && to == m_map.end && m_fitted)
        return;
    m_map.start = from;
    m_map.end = to;
    m_fitted = true;
    scheduleRequests();
    update();
}

void InPlaceTimeline::fitAll()
{
    if (!m_service->isOpen())
        return;
    m_layout = layoutFor(size());
    updateMapping();
    double a = fullFrom(), b = fullTo();
    if (m_service->summary().empty) { // no ends: the last hour (time axis) or the first 100 positions
        b = m_map.timeAxis ? double(QDateTime::currentMSecsSinceEpoch()) : 100.0;
        a = b - (m_map.timeAxis ? 3600000.0 : 100.0);
    }
    if (b <= a)
        b = a + TimeMapping::kMinSpan;
    TimeMapping m = m_map;
    m.fit(a, b, 0.01);
    setVisibleRange(m.start, m.end);
}

void InPlaceTimeline::zoomBy(double factor)
{
    TimeMapping m = m_map;
    const double full = std::max(fullTo() - fullFrom(), TimeMapping::kMinSpan);
    m.zoomAround(m.left + m.width / 2, factor, full * 4);
    setVisibleRange(m.start, m.end);
}

void InPlaceTimeline::scheduleRequests()
{
    m_requestTimer->start();
}

void InPlaceTimeline::flushRequests()
{
    m_requestTimer->stop();
    if (!m_service->isOpen())
        return;
    m_layout = layoutFor(size());
    updateMapping();
    m_lastPlotWidth = m_layout.plotWidth;
    const qint64 from = qint64(std::floor(m_map.start)), to = qint64(std::ceil(m_map.end));
    // The visible range's own density only when it is narrower than the store: the whole store's is the overview.
    if (m_map.start > fullFrom() || m_map.end < fullTo())
        m_service->requestViewDensity(from, to, std::max(1, m_layout.plotWidth / 2));
    else
        m_haveView = false;
    const QStringList lanes = m_laneStreams.mid(0, laneCapacity());
    const bool wasPending = m_lanesPending;
    if (!lanes.isEmpty()) {
        m_service->requestLanes(lanes, from, to, kTicksPerPixel * m_layout.plotWidth);
        m_lanesPending = true;
    } else {
        m_lanes.clear();
        m_lanesPending = false;
    }
    if (wasPending != m_lanesPending)
        Q_EMIT progressChanged();
    Q_EMIT visibleRangeChanged(from, to);
}

bool InPlaceTimeline::hasPendingRequests() const
{
    return m_requestTimer->isActive();
}

qint64 InPlaceTimeline::countInView() const
{
    const bool whole = !(m_map.start > fullFrom() || m_map.end < fullTo());
    if (whole)
        return m_haveOverview && !m_overview.estimated ? m_overview.total() + m_overview.before + m_overview.after : -1;
    // The view's own density, when it was asked for this range (an older answer covers another one).
    if (!m_haveView || m_view.from != qint64(std::floor(m_map.start)) || m_view.to != qint64(std::ceil(m_map.end)))
        return -1;
    return m_view.total();
}

qint64 InPlaceTimeline::heldTicks() const
{
    qint64 n = 0;
    for (const InPlaceLane& lane : m_lanes)
        n += lane.ticks.size();
    return n;
}

void InPlaceTimeline::setCursorEvent(const Event& e, bool select)
{
    m_cursor = e;
    if (select && !e.stream.isEmpty() && e.stream != m_selected) {
        m_selected = e.stream;
        Q_EMIT streamSelected(e.stream);
    }
    // Keep the cursor in view: a step past the edge pans by half a view.
    const double v = axisValue(e);
    if (m_fitted && (v < m_map.start || v > m_map.end)) {
        const double half = m_map.span() / 2;
        setVisibleRange(v - half, v + half);
    }
    if (m_message.startsWith(tr("Cursor")))
        m_message.clear();
    update();
    Q_EMIT cursorMoved(e);
}

void InPlaceTimeline::step(int direction)
{
    if (!m_service->isOpen())
        return;
    if (!m_cursor) {
        stepToEnd(-1);
        return;
    }
    m_service->requestStep(m_cursor->position, direction);
}

void InPlaceTimeline::stepToEnd(int direction)
{
    if (!m_service->isOpen())
        return;
    const RemoteSummary& s = m_service->summary();
    if (direction < 0)
        m_service->requestStep(s.firstPosition - 1, 1);
    else
        m_service->requestStep(s.lastPosition + 1, -1);
}

void InPlaceTimeline::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    render(p, size());
}

void InPlaceTimeline::render(QPainter& p, const QSize& size)
{
    m_layout = layoutFor(size);
    updateMapping();
    const Layout& l = m_layout;
    const QPalette& pal = palette();
    p.fillRect(QRect(QPoint(0, 0), size), pal.color(QPalette::Base));
    if (!m_service->isOpen()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter | Qt::TextWordWrap,
                   m_message.isEmpty() ? tr("Opening in place…") : m_message);
        return;
    }
    paintOverview(p, l);
    paintAxis(p, l);
    paintViewRow(p, l);
    paintLanes(p, l);
    paintCursor(p, l);
    if (!m_message.isEmpty()) {
        // The last failure, over the lanes: a server gone mid-session says so here and in the status bar.
        const QFontMetrics fm(font());
        const QRect box(l.plotLeft + 8, l.lanes.top() + 6, l.plotWidth - 16, fm.height() * 2 + 10);
        p.fillRect(box, QColor(0xfff3cd));
        p.setPen(QColor(0x8a6d3b));
        p.drawRect(box.adjusted(0, 0, -1, -1));
        p.setPen(QColor(0x5c3c00));
        p.drawText(box.adjusted(8, 4, -8, -4), Qt::AlignLeft | Qt::AlignVCenter | Qt::TextWordWrap,
                   fm.elidedText(m_message, Qt::ElideRight, (box.width() - 16) * 2 - 40));
    }
}

void InPlaceTimeline::paintDensity(QPainter& p, const QRect& r, const TimeMapping& map, const RemoteDensity& d,
                                   const QColor& c)
{
    const int w = r.width();
    if (w <= 0 || d.counts.isEmpty())
        return;
    // Each bin's count is spread over the pixel columns it covers (fractionally): O(bins + pixels).
    std::vector<double> cols(size_t(w), 0.0);
    for (int i = 0; i < d.counts.size(); ++i) {
        const qint64 n = d.counts[i];
        if (n <= 0)
            continue;
        const double a = map.xAt(double(d.from + qint64(i) * d.binWidth)) - r.left();
        const double b = map.xAt(double(std::min(d.to + 1, d.from + qint64(i + 1) * d.binWidth))) - r.left();
        if (b <= 0 || a >= w)
            continue;
        const double span = std::max(b - a, 1e-9);
        for (int x = std::max(0, int(std::floor(a))); x < std::min(w, int(std::ceil(b))); ++x) {
            const double overlap = std::min(b, double(x + 1)) - std::max(a, double(x));
            cols[size_t(x)] += double(n) * std::clamp(overlap, 0.0, 1.0) / span * (span < 1 ? span : 1.0);
        }
    }
    double maxv = 0;
    for (double v : cols)
        maxv = std::max(maxv, v);
    if (maxv <= 0)
        return;
    const double logMax = std::log1p(maxv);
    const int h = r.height() - 6;
    const int base = r.bottom() - 3;
    QImage bars(w, r.height(), QImage::Format_ARGB32_Premultiplied);
    bars.fill(Qt::transparent);
    const QRgb rgb = c.rgba();
    for (int x = 0; x < w; ++x) {
        const double v = cols[size_t(x)];
        if (v <= 0)
            continue;
        const int bh = std::max(2, int(h * std::log1p(v) / logMax));
        for (int y = std::max(0, base - r.top() - bh + 1); y <= base - r.top(); ++y)
            reinterpret_cast<QRgb*>(bars.scanLine(y))[x] = rgb;
    }
    p.drawImage(r.topLeft(), bars);
}

void InPlaceTimeline::paintOverview(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const QRect r = l.overview;
    p.fillRect(r, pal.color(QPalette::AlternateBase));
    const QFontMetrics fm(font());
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(QRect(8, r.top(), kGutterWidth - 12, r.height() / 2 + 2), Qt::AlignLeft | Qt::AlignBottom,
               tr("Whole store"));
    p.setFont(font());
    QString sub;
    if (!m_haveOverview)
        sub = tr("density: asking the server…");
    else if (m_overview.estimated && !m_exactStopped.isEmpty())
        sub = tr("estimated (exact count stopped)");
    else if (m_overview.estimated)
        sub = tr("estimated from statistics");
    else
        sub = tr("%1 events (counted)").arg(QLocale().toString(m_overview.total() + m_overview.before + m_overview.after));
    p.setPen(m_haveOverview && m_overview.estimated ? QColor(0xb35900) : pal.color(QPalette::PlaceholderText));
    p.drawText(QRect(8, r.top() + r.height() / 2, kGutterWidth - 12, r.height() / 2), Qt::AlignLeft | Qt::AlignTop,
               fm.elidedText(sub, Qt::ElideRight, kGutterWidth - 12));

    TimeMapping whole = m_map;
    whole.fit(fullFrom(), std::max(fullTo(), fullFrom() + TimeMapping::kMinSpan), 0.01);
    const QRect plot(l.plotLeft, r.top(), l.plotWidth, r.height());
    if (m_haveOverview) {
        QColor c = pal.color(QPalette::Highlight);
        if (m_overview.estimated)
            c.setAlphaF(0.45); // an estimate is drawn faint, and says so in the gutter and over the bars
        paintDensity(p, plot, whole, m_overview, c);
        if (m_overview.estimated) {
            p.setPen(QColor(0xb35900));
            QFont f = font();
            f.setItalic(true);
            p.setFont(f);
            p.drawText(plot.adjusted(0, 2, -6, 0), Qt::AlignRight | Qt::AlignTop, tr("estimated"));
            p.setFont(font());
        }
    }
    // The visible range on the whole store.
    const double x0 = std::max(double(plot.left()), whole.xAt(m_map.start));
    const double x1 = std::min(double(plot.right()), whole.xAt(m_map.end));
    QColor band = pal.color(QPalette::Highlight);
    band.setAlpha(40);
    const QRectF vis(x0, r.top() + 1, std::max(2.0, x1 - x0), r.height() - 2);
    p.fillRect(vis, band);
    p.setPen(pal.color(QPalette::Highlight));
    p.drawRect(vis);
    if (m_cursor) {
        const double x = whole.xAt(axisValue(*m_cursor));
        p.setPen(QPen(kCursorColour, 2));
        p.drawLine(QPointF(x, r.top() + 1), QPointF(x, r.bottom() - 1));
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(r.bottomLeft(), r.bottomRight());
}

void InPlaceTimeline::paintAxis(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const QRect r = l.axis;
    p.fillRect(r, pal.color(QPalette::Window));
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(r.bottomLeft(), r.bottomRight());
    const QFontMetrics fm(font());
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::WindowText));
    p.drawText(QRect(8, r.top() + 2, kGutterWidth - 12, 18), Qt::AlignLeft | Qt::AlignVCenter,
               fm.elidedText(m_map.caption(), Qt::ElideRight, kGutterWidth - 12));
    p.setFont(font());
    p.setPen(pal.color(QPalette::PlaceholderText));
    const QString spanText = m_map.timeAxis ? tr("%1 in view").arg(formatSpan(m_map.span()))
                                            : tr("%1 positions in view").arg(qint64(m_map.span()));
    p.drawText(QRect(8, r.top() + 18, kGutterWidth - 12, 18), Qt::AlignLeft | Qt::AlignVCenter, spanText);
    const auto ticks = m_map.ticks(std::max(90, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 16));
    p.save();
    p.setClipRect(QRect(l.plotLeft, r.top(), l.plotWidth + kRightMargin, r.height()));
    for (const auto& t : ticks) {
        const int x = int(std::lround(m_map.xAt(t.t)));
        if (x < l.plotLeft || x > l.plotLeft + l.plotWidth)
            continue;
        p.setPen(pal.color(t.major ? QPalette::WindowText : QPalette::Mid));
        p.drawLine(x, r.bottom() - (t.major ? 10 : 6), x, r.bottom());
        QFont f = font();
        f.setBold(t.major);
        p.setFont(f);
        const int tw = QFontMetrics(f).horizontalAdvance(t.label) + 8;
        // A label that would run into the captions or off the right edge is left out (its tick stays).
        if (x - tw / 2 < l.plotLeft || x + tw / 2 > l.plotLeft + l.plotWidth + kRightMargin)
            continue;
        p.setPen(pal.color(QPalette::WindowText));
        p.drawText(QRect(x - tw / 2, r.top() + 6, tw, 20), Qt::AlignCenter, t.label);
    }
    p.restore();
}

void InPlaceTimeline::paintViewRow(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const QRect r = l.view;
    p.fillRect(r, pal.color(QPalette::AlternateBase));
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.color(QPalette::WindowText));
    // The whole store in view: its overview is the density; else the range's own exact counts.
    const bool whole = !(m_map.start > fullFrom() || m_map.end < fullTo());
    const RemoteDensity* d = whole ? (m_haveOverview ? &m_overview : nullptr) : (m_haveView ? &m_view : nullptr);
    const qint64 n = countInView();
    const QString label = n >= 0 ? tr("In view (%1)").arg(QLocale().toString(n)) : tr("In view");
    p.drawText(QRect(8, r.top(), kGutterWidth - 12, r.height()), Qt::AlignLeft | Qt::AlignVCenter, label);
    p.setFont(font());
    if (d) {
        QColor c = pal.color(QPalette::Highlight);
        if (d->estimated)
            c.setAlphaF(0.45);
        p.save();
        p.setClipRect(QRect(l.plotLeft, r.top(), l.plotWidth, r.height()));
        paintDensity(p, QRect(l.plotLeft, r.top(), l.plotWidth, r.height()), m_map, *d, c);
        p.restore();
    }
    p.setPen(pal.color(QPalette::Mid));
    p.drawLine(r.bottomLeft(), r.bottomRight());
}

void InPlaceTimeline::paintLanes(QPainter& p, const Layout& l)
{
    const QPalette& pal = palette();
    const QFontMetrics fm(font());
    const int capacity = std::max(0, l.lanes.height() / kLaneHeight);
    const QStringList streams = m_laneStreams.mid(0, capacity);
    if (streams.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(l.lanes.adjusted(l.plotLeft, 8, 0, 0), Qt::AlignLeft | Qt::AlignTop,
                   m_service->summary().empty ? tr("The store holds no events (yet): nothing to show.")
                                              : tr("Lanes appear for the streams the stream list shows."));
        return;
    }
    QHash<QString, const InPlaceLane*> byStream;
    for (const InPlaceLane& lane : m_lanes)
        byStream.insert(lane.stream, &lane);
    const int w = l.plotWidth;
    std::vector<int> counts(static_cast<size_t>(w), 0);
    std::vector<int> firstType(static_cast<size_t>(w), 0);
    // The ticks go into one image pixel by pixel (a fillRect per column cost ~15 ms a paint at 28 dense lanes).
    QImage ticks(w, int(streams.size()) * kLaneHeight, QImage::Format_ARGB32_Premultiplied);
    ticks.fill(Qt::transparent);
    struct Rest
    {
        QRect rect;
        qsizetype fetched;
    };
    QList<Rest> rests;
    for (int i = 0; i < streams.size(); ++i) {
        const int y = l.lanes.top() + i * kLaneHeight;
        const QRect row(0, y, l.lanes.width(), kLaneHeight);
        const bool selected = streams[i] == m_selected;
        if (selected)
            p.fillRect(row, pal.color(QPalette::Highlight).lighter(185));
        else if (i % 2)
            p.fillRect(row, pal.color(QPalette::AlternateBase));
        const InPlaceLane* lane = byStream.value(streams[i]);
        p.setPen(pal.color(selected ? QPalette::HighlightedText : QPalette::WindowText));
        if (selected)
            p.setPen(pal.color(QPalette::WindowText));
        QString countText;
        if (lane)
            countText = lane->truncated ? tr("%1+").arg(QLocale().toString(lane->ticks.size()))
                                        : QLocale().toString(lane->ticks.size());
        const int countWidth = countText.isEmpty() ? 0 : fm.horizontalAdvance(countText) + 8;
        p.drawText(QRect(8, y, kGutterWidth - 16 - countWidth, kLaneHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(streams[i], Qt::ElideMiddle, kGutterWidth - 16 - countWidth));
        if (!countText.isEmpty()) {
            p.setPen(pal.color(QPalette::PlaceholderText));
            p.drawText(QRect(kGutterWidth - 8 - countWidth, y, countWidth, kLaneHeight), Qt::AlignRight | Qt::AlignVCenter,
                       countText);
        }
        if (!lane) {
            // Asked for, not answered yet: the row says so until its ticks arrive.
            if (m_lanesPending) {
                p.setPen(pal.color(QPalette::PlaceholderText));
                p.drawText(QRect(l.plotLeft + 6, y, w - 6, kLaneHeight), Qt::AlignLeft | Qt::AlignVCenter,
                           tr("loading…"));
            }
            continue;
        }
        // Ticks binned per pixel column: the paint costs the pixels whatever the lane holds (at most
        // kTicksPerPixel a pixel were fetched).
        std::fill(counts.begin(), counts.end(), 0);
        int maxCount = 0, used = 0;
        double lastX = -1;
        for (const RemoteTick& t : lane->ticks) {
            const double x = m_map.xAt(axisValue(t)) - l.plotLeft;
            lastX = std::max(lastX, x);
            if (x < 0 || x >= w)
                continue;
            const size_t c = size_t(x);
            if (counts[c]++ == 0) {
                firstType[c] = typeId(t.type);
                ++used;
            }
            maxCount = std::max(maxCount, counts[c]);
        }
        const bool dense = lane->truncated || maxCount > 3 || used > w / 4;
        const int top = y + 3, bottom = y + kLaneHeight - 4;
        const int imageTop = i * kLaneHeight;
        for (int c = 0; c < w; ++c) {
            if (!counts[size_t(c)])
                continue;
            const int t = firstType[size_t(c)];
            const QRgb rgb = m_typeRgb.value(t);
            int y0 = top, x1 = c;
            if (dense) {
                const double share = std::log1p(double(counts[size_t(c)])) / std::log1p(double(std::max(1, maxCount)));
                y0 = bottom - std::max(2, int((bottom - top) * share)) + 1;
            } else {
                x1 = std::min(w - 1, c + 1); // a lone event: two pixels wide
            }
            for (int yy = y0; yy <= bottom; ++yy) {
                QRgb* line = reinterpret_cast<QRgb*>(ticks.scanLine(yy - y + imageTop));
                for (int x = c; x <= x1; ++x)
                    line[x] = rgb;
            }
        }
        if (lane->truncated) {
            // What the limit left out: from the last tick fetched to the range's end, hatched and labelled.
            const int x0 = l.plotLeft + std::clamp(int(std::ceil(lastX)) + 1, 0, w);
            rests.append({QRect(x0, top, l.plotLeft + w - x0, bottom - top + 1), lane->ticks.size()});
        }
    }
    p.drawImage(QPoint(l.plotLeft, l.lanes.top()), ticks);
    for (const Rest& r : std::as_const(rests)) {
        if (r.rect.width() <= 0)
            continue;
        p.fillRect(r.rect, QBrush(pal.color(QPalette::Mid), Qt::BDiagPattern));
        const QString more = tr("more than %1 in view: zoom in").arg(QLocale().toString(r.fetched));
        const int tw = fm.horizontalAdvance(more);
        if (r.rect.width() > tw + 12) {
            p.fillRect(QRect(r.rect.right() - tw - 10, r.rect.top(), tw + 8, r.rect.height()), pal.color(QPalette::Base));
            p.setPen(pal.color(QPalette::PlaceholderText));
            p.drawText(r.rect.adjusted(0, 0, -6, 0), Qt::AlignRight | Qt::AlignVCenter, more);
        }
    }
}

void InPlaceTimeline::paintCursor(QPainter& p, const Layout& l)
{
    if (!m_cursor)
        return;
    const double x = m_map.xAt(axisValue(*m_cursor));
    if (x < l.plotLeft || x > l.plotLeft + l.plotWidth)
        return;
    p.setPen(QPen(kCursorColour, 2));
    p.drawLine(QPointF(x, l.axis.top()), QPointF(x, l.lanes.bottom()));
    const QString label = tr("#%1").arg(m_cursor->position);
    const QFontMetrics fm(font());
    const int tw = fm.horizontalAdvance(label) + 8;
    const QRect tag(int(x) - tw / 2, l.axis.bottom() - 14, tw, 14);
    p.fillRect(tag, kCursorColour);
    p.setPen(Qt::white);
    p.drawText(tag, Qt::AlignCenter, label);
}

int InPlaceTimeline::laneAt(int y) const
{
    const Layout l = layoutFor(size());
    if (y < l.lanes.top())
        return -1;
    const int i = (y - l.lanes.top()) / kLaneHeight;
    return i < std::min(int(m_laneStreams.size()), laneCapacity()) ? i : -1;
}

const RemoteTick* InPlaceTimeline::tickAt(const QPoint& pos, QString* stream) const
{
    const int i = laneAt(pos.y());
    if (i < 0)
        return nullptr;
    *stream = m_laneStreams[i];
    const RemoteTick* best = nullptr;
    double bestDist = kHitRadius + 1;
    for (const InPlaceLane& lane : m_lanes) {
        if (lane.stream != *stream)
            continue;
        for (const RemoteTick& t : lane.ticks) {
            const double d = std::abs(m_map.xAt(axisValue(t)) - pos.x());
            if (d < bestDist) {
                bestDist = d;
                best = &t;
            }
        }
    }
    return best;
}

void InPlaceTimeline::wheelEvent(QWheelEvent* e)
{
    const QPoint pos = e->position().toPoint();
    const int dy = e->angleDelta().y() != 0 ? e->angleDelta().y() : e->angleDelta().x();
    if (dy == 0 || !m_service->isOpen())
        return;
    if (pos.x() < m_layout.plotLeft || (e->modifiers() & Qt::ShiftModifier)) {
        Q_EMIT scrollLanes(-dy / 120 * 3);
        e->accept();
        return;
    }
    TimeMapping m = m_map;
    const double full = std::max(fullTo() - fullFrom(), TimeMapping::kMinSpan);
    m.zoomAround(pos.x(), std::pow(0.8, dy / 120.0), full * 4);
    setVisibleRange(m.start, m.end);
    e->accept();
}

void InPlaceTimeline::mousePressEvent(QMouseEvent* e)
{
    m_pressPos = m_lastPos = e->pos();
    if (e->button() != Qt::LeftButton || !m_service->isOpen())
        return;
    if (m_layout.overview.contains(e->pos()) && e->pos().x() >= m_layout.plotLeft) {
        // A click on the whole store centres the view there.
        TimeMapping whole = m_map;
        whole.fit(fullFrom(), std::max(fullTo(), fullFrom() + TimeMapping::kMinSpan), 0.01);
        const double c = whole.timeAt(e->pos().x()), half = m_map.span() / 2;
        setVisibleRange(c - half, c + half);
        return;
    }
    if (e->pos().x() < m_layout.plotLeft) {
        const int i = laneAt(e->pos().y());
        if (i >= 0) {
            m_selected = m_laneStreams[i];
            update();
            Q_EMIT streamSelected(m_selected);
        }
        return;
    }
    m_drag = Drag::Pending;
}

void InPlaceTimeline::mouseMoveEvent(QMouseEvent* e)
{
    const QPoint pos = e->pos();
    if (m_drag == Drag::Pending && (pos - m_pressPos).manhattanLength() > 3) {
        m_drag = Drag::Pan;
        setCursor(Qt::ClosedHandCursor);
    }
    if (m_drag == Drag::Pan) {
        TimeMapping m = m_map;
        m.panPixels(pos.x() - m_lastPos.x());
        // Vertically, the lanes move a whole lane at a time (they are the stream list's rows).
        const int dy = pos.y() - m_lastPos.y();
        if (std::abs(dy) >= kLaneHeight) {
            Q_EMIT scrollLanes(-dy / kLaneHeight);
            m_lastPos.setY(pos.y());
        }
        m_lastPos.setX(pos.x());
        setVisibleRange(m.start, m.end);
        return;
    }
    m_lastPos = pos;
}

void InPlaceTimeline::mouseReleaseEvent(QMouseEvent* e)
{
    const Drag drag = m_drag;
    m_drag = Drag::None;
    unsetCursor();
    if (e->button() != Qt::LeftButton || drag != Drag::Pending || !m_service->isOpen())
        return;
    QString stream;
    if (const RemoteTick* t = tickAt(e->pos(), &stream)) {
        Event ev;
        ev.position = t->position;
        ev.time = t->time;
        ev.version = t->version;
        ev.type = t->type;
        ev.stream = stream;
        setCursorEvent(ev, true);
        return;
    }
    if (!stream.isEmpty() && stream != m_selected) {
        m_selected = stream;
        Q_EMIT streamSelected(stream);
    }
    // Elsewhere: the first event at or after the point clicked.
    m_service->requestAt(qint64(std::floor(m_map.timeAt(e->pos().x()))));
    update();
}

void InPlaceTimeline::keyPressEvent(QKeyEvent* e)
{
    switch (e->key()) {
    case Qt::Key_Right:
        step(1);
        break;
    case Qt::Key_Left:
        step(-1);
        break;
    case Qt::Key_Home:
        stepToEnd(-1);
        break;
    case Qt::Key_End:
        stepToEnd(1);
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(0.5);
        break;
    case Qt::Key_Minus:
        zoomBy(2.0);
        break;
    case Qt::Key_0:
        fitAll();
        break;
    case Qt::Key_Up:
        Q_EMIT scrollLanes(-1);
        break;
    case Qt::Key_Down:
        Q_EMIT scrollLanes(1);
        break;
    default:
        QWidget::keyPressEvent(e);
        return;
    }
    e->accept();
}

} // namespace chronoscope
