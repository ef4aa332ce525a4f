#include "present/audiencepaint.h"

#include "story/storyrender.h"

#include <QPainter>
#include <QTextDocument>

#include <cmath>

namespace chronoscope::present {

using story::drawArrowHead;
using story::drawElidedText;
using story::SequenceRow;
using story::storyFont;
using story::storyMonoFont;
using story::Tone;

namespace {

// Every text is at least this many units (1 unit = 1% of the frame height): 2.7 → 29 px at 1080p.
constexpr qreal kMinText = 2.7;

/// Breaks text into at most `lines` lines of `width` (the last one takes the rest and is elided when drawn).
QStringList wrapLines(const QFontMetricsF& fm, const QString& s, qreal width, int lines)
{
    QStringList out;
    QString line;
    const QStringList words = s.split(u' ', Qt::SkipEmptyParts);
    for (int i = 0; i < words.size(); ++i) {
        const QString next = line.isEmpty() ? words[i] : line + u' ' + words[i];
        if (line.isEmpty() || fm.horizontalAdvance(next) <= width) {
            line = next;
            continue;
        }
        out << line;
        line = words[i];
        if (out.size() == lines - 1) {
            line = QStringList(words.mid(i)).join(u' ');
            break;
        }
    }
    if (!line.isEmpty()) out << line;
    return out;
}

/// Word-wrapped text in at most `lines` lines; returns the height used (nothing is drawn when p is null).
qreal wrapped(QPainter* p, const QRectF& r, const QFont& f, const QColor& c, const QString& s, int lines)
{
    const QFontMetricsF fm(f);
    const QStringList out = wrapLines(fm, s, r.width(), lines);
    const qreal lh = fm.height() * 1.08;
    if (p) {
        p->setFont(f);
        p->setPen(c);
        for (int i = 0; i < out.size(); ++i)
            p->drawText(QRectF(r.left(), r.top() + i * lh, r.width(), lh), Qt::AlignLeft | Qt::AlignVCenter,
                        fm.elidedText(out[i], Qt::ElideRight, r.width()));
    }
    return out.size() * lh;
}

} // namespace

int audienceEventsInRows(const story::SequenceLayout& s, int endRow)
{
    // "… 12 min later …" rows are time passing, not events: "↑ N earlier events" must add up with the
    // chapter's "N events".
    int events = 0;
    for (int i = 0; i < std::min<int>(endRow, int(s.rows.size())); ++i)
        if (s.rows[i].kind != story::SequenceRow::Kind::Gap) events += std::max(1, s.rows[i].count);
    return events;
}

namespace {

void paintSequence(QPainter& p, const QRectF& r, const AudienceFrame& frame, const AudiencePalette& pal,
                   qreal u)
{
    const story::SequenceLayout& s = frame.page.sequence;
    const int lanes = std::max<int>(1, int(s.actors.size()));
    // One actor: its lifeline on the left, so the sentences beside it get the width.
    const qreal laneW = lanes == 1 ? std::min(r.width(), 26.0 * u) : r.width() / lanes;
    const qreal headH = 5.0 * u;
    auto laneX = [&](int i) { return r.left() + laneW * (i + 0.5); };
    for (int i = 0; i < s.actors.size(); ++i) {
        const qreal w = laneW - 1.0 * u;
        QRectF head(laneX(i) - w / 2, r.top(), w, headH);
        p.setPen(Qt::NoPen);
        p.setBrush(audienceActor(i, pal.dark));
        p.drawRoundedRect(head, 0.8 * u, 0.8 * u);
        drawElidedText(p, head.adjusted(0.5 * u, 0, -0.5 * u, 0), storyFont(kMinText * u, true), Qt::white,
                       s.actors[i], Qt::AlignCenter);
    }
    const qreal top = r.top() + headH + 0.8 * u;
    const qreal rowH = 6.4 * u;
    const int capacity = std::max(1, int((r.bottom() - top) / rowH));
    // The view follows the current beat: the rows that fit, ending at the highlighted one (or the last).
    int last = int(s.rows.size()) - 1;
    if (frame.page.highlightRow >= 0) last = std::min(last, frame.page.highlightRow);
    int first = std::max(0, last - capacity + 1);
    const bool earlier = first > 0;
    if (earlier) ++first;
    p.setPen(QPen(pal.faint, std::max<qreal>(1, 0.2 * u), Qt::DashLine));
    for (int i = 0; i < s.actors.size(); ++i)
        p.drawLine(QPointF(laneX(i), r.top() + headH), QPointF(laneX(i), r.bottom()));
    qreal y = top;
    if (earlier) {
        const int hidden = audienceEventsInRows(s, first);
        drawElidedText(p, QRectF(r.left(), y, r.width(), rowH), storyFont(kMinText * u, false, true),
                       pal.muted,
                       QStringLiteral("↑ %1 earlier %2")
                           .arg(hidden)
                           .arg(hidden == 1 ? QStringLiteral("event") : QStringLiteral("events")),
                       Qt::AlignCenter);
        y += rowH;
    }
    const QFont lf = storyFont(kMinText * u);
    const QFont lfBold = storyFont(kMinText * u, true);
    for (int i = first; i <= last; ++i, y += rowH) {
        const SequenceRow& row = s.rows[i];
        const QRectF band(r.left(), y, r.width(), rowH);
        const bool current = i == frame.page.highlightRow;
        if (current) {
            p.setPen(QPen(pal.highlightEdge, std::max<qreal>(1.5, 0.3 * u)));
            p.setBrush(pal.highlight);
            p.drawRoundedRect(band.adjusted(0, 0.25 * u, 0, -0.25 * u), 0.8 * u, 0.8 * u);
        }
        const Tone tone = Tone(row.tone);
        const QColor tc = audienceTone(tone, pal.dark);
        const QString count = row.count > 1 ? QStringLiteral("  × %1").arg(row.count) : QString();
        if (row.kind == SequenceRow::Kind::Gap) {
            p.setPen(QPen(pal.muted, std::max<qreal>(1, 0.2 * u), Qt::DotLine));
            p.drawLine(QPointF(r.left(), y + rowH / 2), QPointF(r.right(), y + rowH / 2));
            const QFont f = storyFont(kMinText * u, false, true);
            const qreal tw = QFontMetricsF(f).horizontalAdvance(row.label) + 2 * u;
            QRectF label(r.center().x() - tw / 2, y + 0.9 * u, tw, rowH - 1.8 * u);
            p.setPen(Qt::NoPen);
            p.setBrush(pal.paper);
            p.drawRect(label);
            drawElidedText(p, label, f, pal.muted, row.label, Qt::AlignCenter);
            continue;
        }
        const qreal x1 = laneX(row.from), x2 = laneX(row.to);
        const bool dot = row.kind != SequenceRow::Kind::Arrow || row.from == row.to;
        const qreal lineY = dot ? y + rowH * 0.72 : y + rowH * 0.78;
        const QString label = toneSymbol(tone) + u' ' + row.label + count;
        // The label sits above the arrow, from its left end to the right edge (or across the whole width
        // when that leaves too little room), so long business sentences stay readable.
        const QFont& rowFont = current ? lfBold : lf;
        const qreal inset = current ? 1.0 * u : 0;
        if (dot) {
            // A note: the text beside its dot, on the side with more room (right-aligned when on the left).
            const qreal rightRoom = r.right() - x2 - 2.2 * u, leftRoom = x2 - r.left() - 2.2 * u - inset;
            const qreal need = QFontMetricsF(rowFont).horizontalAdvance(label);
            if (need <= rightRoom || rightRoom >= 0.8 * leftRoom)
                drawElidedText(p, QRectF(x2 + 2.2 * u, y + rowH * 0.45, rightRoom, rowH * 0.55), rowFont,
                               pal.ink, label);
            else
                drawElidedText(p, QRectF(r.left() + inset, y + rowH * 0.45, leftRoom, rowH * 0.55), rowFont,
                               pal.ink, label, Qt::AlignRight | Qt::AlignVCenter);
        } else {
            qreal lx = std::min(x1, x2) - laneW * 0.35;
            if (r.right() - lx < r.width() * 0.55) lx = r.left() + inset;
            lx = std::max(lx, r.left() + inset);
            drawElidedText(p, QRectF(lx, y + 0.3 * u, r.right() - lx - 0.5 * u, rowH * 0.55), rowFont,
                           pal.ink, label);
        }
        if (dot) {
            const qreal d = 1.6 * u;
            p.setPen(Qt::NoPen);
            p.setBrush(tc);
            p.drawEllipse(QRectF(x2 - d / 2, lineY - d / 2, d, d));
            continue;
        }
        p.setPen(QPen(tc, std::max<qreal>(2, 0.4 * u)));
        const qreal dir = x2 > x1 ? 1 : -1;
        p.drawLine(QPointF(x1, lineY), QPointF(x2 - dir * 1.2 * u, lineY));
        drawArrowHead(p, QPointF(x2, lineY), dir, 1.3 * u, tc);
    }
}

qreal paintCard(QPainter& p, const QRectF& r, const story::CardModel& c, const AudiencePalette& pal, qreal u,
                bool measureOnly)
{
    const qreal pad = 1.3 * u;
    const QRectF inner = r.adjusted(pad + 0.8 * u, 0.9 * u, -pad, 0);
    qreal h = 0.9 * u;
    if (!measureOnly) {
        p.setPen(QPen(pal.faint, std::max<qreal>(1, 0.15 * u)));
        p.setBrush(pal.panel);
        p.drawRoundedRect(r, 0.8 * u, 0.8 * u);
        p.setPen(Qt::NoPen);
        p.setBrush(audienceActor(c.actorIndex, pal.dark));
        p.drawRoundedRect(QRectF(r.left(), r.top(), 0.8 * u, r.height()), 0.4 * u, 0.4 * u);
    }
    const QFont sf = storyFont(3.0 * u, true);
    // The tone symbol in the tone's colour, the sentence in ink.
    if (!measureOnly)
        drawElidedText(p, QRectF(inner.left(), inner.top(), 3.2 * u, 3.6 * u), sf,
                       audienceTone(c.tone, pal.dark), toneSymbol(c.tone));
    h += wrapped(measureOnly ? nullptr : &p,
                 QRectF(inner.left() + 3.2 * u, inner.top(), inner.width() - 3.2 * u, 8 * u), sf, pal.ink,
                 c.sentence, 2);
    QString meta = c.actor;
    if (!c.time.isEmpty()) meta += QStringLiteral(" · ") + c.time;
    if (!c.relative.isEmpty()) meta += QStringLiteral(" · ") + c.relative;
    const qreal line = 3.5 * u;
    if (!measureOnly)
        drawElidedText(p, QRectF(inner.left(), r.top() + h, inner.width(), line), storyFont(kMinText * u),
                       pal.muted, meta);
    h += line;
    // At most two fields, one per line ("Label  value"): the room reads a few numbers, not a form.
    for (int i = 0; i < c.fields.size() && i < 2; ++i) {
        if (!measureOnly) {
            const QFont lf = storyFont(kMinText * u);
            const QString label = c.fields[i].first + QStringLiteral(":");
            const qreal lw =
                std::min(inner.width() * 0.5, QFontMetricsF(lf).horizontalAdvance(label) + 1.0 * u);
            drawElidedText(p, QRectF(inner.left(), r.top() + h, lw, line), lf, pal.muted, label);
            drawElidedText(p, QRectF(inner.left() + lw, r.top() + h, inner.width() - lw, line),
                           storyFont(kMinText * u, true), pal.ink, c.fields[i].second);
        }
        h += line;
    }
    return h + 0.9 * u;
}

/// Lines the KPI labels need at this tile width (1 or 2).
int kpiLabelLines(const QList<story::KpiTile>& kpis, qreal width, qreal u)
{
    const QFontMetricsF fm(storyFont(kMinText * u));
    int lines = 1;
    for (const story::KpiTile& k : kpis)
        lines = std::max<int>(lines, std::min<int>(2, int(wrapLines(fm, k.label, width, 2).size())));
    return lines;
}

void paintKpis(QPainter& p, const QRectF& r, const QList<story::KpiTile>& kpis, const AudiencePalette& pal,
               qreal u)
{
    const qreal gap = 1.2 * u;
    const qreal w = (r.width() - gap * (kpis.size() - 1)) / kpis.size();
    const int lines = kpiLabelLines(kpis, w - 2.4 * u, u);
    for (int i = 0; i < kpis.size(); ++i) {
        const story::KpiTile& k = kpis[i];
        const QRectF t(r.left() + i * (w + gap), r.top(), w, r.height());
        p.setPen(Qt::NoPen);
        p.setBrush(pal.panel);
        p.drawRoundedRect(t, 0.8 * u, 0.8 * u);
        const QRectF in = t.adjusted(1.2 * u, 0.6 * u, -1.2 * u, -0.6 * u);
        // The label wraps rather than being cut: "Revenue (v1)" and "Revenue (v2)" must stay apart.
        wrapped(&p, QRectF(in.left(), in.top(), in.width(), lines * 3.4 * u), storyFont(kMinText * u),
                pal.muted, k.label, lines);
        const qreal vy = in.top() + lines * 3.3 * u + 0.2 * u;
        // The value at the largest size (down to 3.2 units) that shows it whole.
        const QString value = k.error.isEmpty() ? k.value : k.error;
        qreal px = 4.2 * u;
        while (px > 3.2 * u && QFontMetricsF(storyFont(px, true)).horizontalAdvance(value) > in.width())
            px -= 0.2 * u;
        drawElidedText(p, QRectF(in.left(), vy, in.width(), 5.0 * u), storyFont(px, true), pal.ink, value);
        // Direction by symbol and colour both; "in this chapter" goes without saying on a chapter's frame.
        QString change = k.change;
        change.remove(QStringLiteral(" in this chapter"));
        const QString arrow = k.direction > 0   ? QStringLiteral("▲ ")
                              : k.direction < 0 ? QStringLiteral("▼ ")
                                                : QString();
        const QColor dc = k.direction > 0   ? audienceTone(Tone::Good, pal.dark)
                          : k.direction < 0 ? audienceTone(Tone::Bad, pal.dark)
                                            : pal.muted;
        drawElidedText(p, QRectF(in.left(), vy + 5.2 * u, in.width(), 3.4 * u), storyFont(kMinText * u), dc,
                       arrow + change);
    }
}

void paintRaw(QPainter& p, const QRectF& r, const AudienceFrame& f, const AudiencePalette& pal, qreal u)
{
    p.setPen(QPen(pal.highlightEdge, std::max<qreal>(1.5, 0.3 * u)));
    p.setBrush(pal.panel);
    p.drawRoundedRect(r, 0.8 * u, 0.8 * u);
    const QRectF in = r.adjusted(1.5 * u, 1.0 * u, -1.5 * u, -1.0 * u);
    drawElidedText(p, QRectF(in.left(), in.top(), in.width(), 3.6 * u), storyFont(kMinText * u, true),
                   pal.muted, QStringLiteral("The event as stored (redacted)"));
    const QFont mf = storyMonoFont(kMinText * u);
    const qreal lh = QFontMetricsF(mf).height() * 1.05;
    qreal y = in.top() + 4.2 * u;
    const QStringList lines = f.rawJson.split(u'\n');
    for (int i = 0; i < lines.size(); ++i, y += lh) {
        if (y + 2 * lh > in.bottom() && i + 1 < lines.size()) {
            drawElidedText(p, QRectF(in.left(), y, in.width(), lh), mf, pal.muted,
                           QStringLiteral("… %1 more lines").arg(lines.size() - i));
            break;
        }
        drawElidedText(p, QRectF(in.left(), y, in.width(), lh), mf, pal.ink, lines[i]);
    }
}

} // namespace

AudiencePalette AudiencePalette::of(bool dark)
{
    // paper, ink, muted, faint, panel, highlight, highlight edge.
    static const QRgb lightSet[] = {0xffffff, 0x111827, 0x4b5563, 0xd1d5db, 0xf3f4f6, 0xfff1b8, 0xb47b00};
    static const QRgb darkSet[] = {0x11141b, 0xf3f4f6, 0xb0b8c4, 0x3a424f, 0x1e242e, 0x3d350c, 0xf0e442};
    const QRgb* c = dark ? darkSet : lightSet;
    AudiencePalette p;
    p.dark = dark;
    p.paper = QColor(c[0]);
    p.ink = QColor(c[1]);
    p.muted = QColor(c[2]);
    p.faint = QColor(c[3]);
    p.panel = QColor(c[4]);
    p.highlight = QColor(c[5]);
    p.highlightEdge = QColor(c[6]);
    return p;
}

QColor audienceTone(Tone tone, bool dark)
{
    // Okabe & Ito, "Color Universal Design": bluish green, orange, vermillion; grey for neutral.
    switch (tone) {
    case Tone::Good:
        return dark ? QColor(0x3c, 0xc8, 0x9e) : QColor(0x00, 0x9e, 0x73);
    case Tone::Warn:
        return QColor(0xe6, 0x9f, 0x00);
    case Tone::Bad:
        return dark ? QColor(0xff, 0x7a, 0x33) : QColor(0xd5, 0x5e, 0x00);
    case Tone::Neutral:
        break;
    }
    return dark ? QColor(0x9c, 0xa3, 0xaf) : QColor(0x6b, 0x72, 0x80);
}

QString toneSymbol(Tone tone)
{
    switch (tone) {
    case Tone::Good:
        return QStringLiteral("✓");
    case Tone::Warn:
        return QStringLiteral("!");
    case Tone::Bad:
        return QStringLiteral("✗");
    case Tone::Neutral:
        break;
    }
    return QStringLiteral("•");
}

QColor audienceActor(int index, bool dark)
{
    // Okabe-Ito blue, reddish purple, sky blue, bluish green, orange, vermillion; then two greys. Dark enough
    // for white lifeline names on them (the light yellow of the set is left out for that reason).
    static const QColor light[] = {QColor(0x00, 0x72, 0xb2), QColor(0xa8, 0x4f, 0x86),
                                   QColor(0x1f, 0x7f, 0xb0), QColor(0x00, 0x7a, 0x5a),
                                   QColor(0xb5, 0x6e, 0x00), QColor(0xb8, 0x4a, 0x00),
                                   QColor(0x4b, 0x55, 0x63), QColor(0x37, 0x41, 0x51)};
    static const QColor darkSet[] = {QColor(0x1f, 0x86, 0xc8), QColor(0xb8, 0x5f, 0x96),
                                     QColor(0x2f, 0x8f, 0xc0), QColor(0x10, 0x8a, 0x6a),
                                     QColor(0xc5, 0x7e, 0x10), QColor(0xc8, 0x5a, 0x10),
                                     QColor(0x5b, 0x65, 0x73), QColor(0x47, 0x51, 0x61)};
    return (dark ? darkSet : light)[std::abs(index) % 8];
}

qreal audienceUnit(const QRectF& rect)
{
    // 1% of the height (or of 16:9 width on narrow frames), so type scales with the screen.
    return std::min(rect.height() / 100.0, rect.width() / 177.8);
}

qreal audienceCaptionPx(qreal u)
{
    return 3.0 * u;
}

qreal audienceMinTextPx(qreal frameHeight)
{
    return kMinText * frameHeight / 100.0;
}

void paintAudienceFrame(QPainter& p, const QRectF& rect, const AudienceFrame& frame,
                        const AudiencePalette& pal)
{
    p.save();
    if (frame.blank) {
        p.fillRect(rect, Qt::black);
        p.restore();
        return;
    }
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    p.fillRect(rect, pal.paper);
    const story::ChapterPage& page = frame.page;
    const qreal u = audienceUnit(rect);
    const QRectF r = rect.adjusted(3.0 * u, 2.2 * u, -3.0 * u, -2.2 * u);
    // Header: "3 / 6" badge, the title, the beat and (live) a badge.
    const QFont badgeFont = storyFont(kMinText * u, true);
    const QString badge = QStringLiteral("%1 / %2").arg(page.number).arg(page.count);
    const qreal bw = page.number > 0 ? QFontMetricsF(badgeFont).horizontalAdvance(badge) + 2.4 * u : -1.6 * u;
    const QRectF badgeRect(r.left(), r.top() + 0.8 * u, bw, 4.6 * u);
    if (page.number > 0) {
        p.setPen(Qt::NoPen);
        p.setBrush(audienceActor(0, pal.dark));
        p.drawRoundedRect(badgeRect, 0.8 * u, 0.8 * u);
        drawElidedText(p, badgeRect, badgeFont, Qt::white, badge, Qt::AlignCenter);
    }
    QString right;
    if (frame.beats > 0) right = QStringLiteral("step %1 of %2").arg(frame.beat + 1).arg(frame.beats);
    if (frame.live) right = QStringLiteral("● LIVE  ") + right;
    const QFont rf = storyFont(kMinText * u, frame.live);
    const qreal rw = right.isEmpty() ? 0 : QFontMetricsF(rf).horizontalAdvance(right) + 1.0 * u;
    drawElidedText(p, QRectF(r.right() - rw, r.top(), rw, 6.2 * u), rf,
                   frame.live ? audienceTone(Tone::Bad, pal.dark) : pal.muted, right,
                   Qt::AlignRight | Qt::AlignVCenter);
    // The title whole: its size steps down (to 3.4 units) before anything is cut.
    const qreal titleW = r.width() - bw - rw - 3.2 * u;
    qreal titlePx = 4.6 * u;
    while (titlePx > 3.4 * u &&
           QFontMetricsF(storyFont(titlePx, true)).horizontalAdvance(page.title) > titleW)
        titlePx -= 0.2 * u;
    drawElidedText(p, QRectF(badgeRect.right() + 1.6 * u, r.top(), titleW, 6.2 * u), storyFont(titlePx, true),
                   pal.ink, page.title);
    drawElidedText(p, QRectF(r.left(), r.top() + 6.6 * u, r.width(), 3.6 * u), storyFont(kMinText * u),
                   pal.muted, page.subtitle);
    qreal y = r.top() + 10.8 * u;
    p.setPen(QPen(pal.faint, std::max<qreal>(1, 0.2 * u)));
    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
    y += 1.4 * u;
    // Bottom band: the caption, and the KPI ribbon on the right.
    const qreal kpiW = page.kpis.isEmpty() ? 0 : std::min(r.width() * 0.55, page.kpis.size() * 34.0 * u);
    const qreal captionW = r.width() - kpiW - (kpiW > 0 ? 2.0 * u : 0) - 1.8 * u;
    QTextDocument doc;
    story::layoutCaption(doc, page.caption, audienceCaptionPx(u), captionW, pal.ink);
    const qreal captionH = page.caption.isEmpty() ? 0 : std::min(doc.size().height() + 0.6 * u, 24.0 * u);
    const qreal tileW =
        page.kpis.isEmpty() ? 0 : (kpiW - 1.2 * u * (page.kpis.size() - 1)) / page.kpis.size();
    const qreal kpiH =
        page.kpis.isEmpty() ? 0 : 10.2 * u + kpiLabelLines(page.kpis, tileW - 2.4 * u, u) * 3.3 * u;
    const qreal bottomH = std::max(captionH, kpiW > 0 ? kpiH : 0.0);
    const QRectF body(r.left(), y, r.width(), r.bottom() - y - bottomH - (bottomH > 0 ? 1.6 * u : 0));
    const qreal sideW = r.width() * 0.38;
    const QRectF seq(body.left(), body.top(), body.width() - sideW - 2.5 * u, body.height());
    const QRectF side(seq.right() + 2.5 * u, body.top(), sideW, body.height());
    paintSequence(p, seq, frame, pal, u);
    if (frame.peek && !frame.rawJson.isEmpty()) {
        paintRaw(p, side, frame, pal, u);
    } else {
        drawElidedText(p, QRectF(side.left(), side.top(), side.width(), 3.6 * u),
                       storyFont(kMinText * u, true), pal.muted, QStringLiteral("Latest events"));
        qreal cy = side.top() + 4.2 * u;
        for (const story::CardModel& c : page.cards) {
            const qreal h = paintCard(p, QRectF(side.left(), cy, side.width(), 0), c, pal, u, true);
            if (cy + h > side.bottom() + 0.5 * u) break;
            paintCard(p, QRectF(side.left(), cy, side.width(), h), c, pal, u, false);
            cy += h + 1.2 * u;
        }
    }
    const qreal by = body.bottom() + 1.6 * u;
    if (captionH > 0) {
        p.setPen(Qt::NoPen);
        p.setBrush(audienceActor(0, pal.dark));
        p.drawRect(QRectF(r.left(), by, 0.6 * u, captionH));
        story::drawDocument(p, QPointF(r.left() + 1.8 * u, by + 0.2 * u), QSizeF(captionW, captionH), doc,
                            pal.ink);
    }
    if (kpiW > 0) paintKpis(p, QRectF(r.right() - kpiW, by, kpiW, kpiH), page.kpis, pal, u);
    // A banner (waiting for a live event, a chapter that cannot be shown) over the body, never instead of it.
    if (!frame.banner.isEmpty()) {
        const QRectF b(body.left() + body.width() * 0.1, body.top() + body.height() * 0.35,
                       body.width() * 0.8, 12.0 * u);
        p.setPen(QPen(pal.highlightEdge, std::max<qreal>(2, 0.35 * u)));
        p.setBrush(pal.highlight);
        p.drawRoundedRect(b, 1.0 * u, 1.0 * u);
        drawElidedText(p, b.adjusted(2 * u, 0, -2 * u, 0), storyFont(3.4 * u, true), pal.ink, frame.banner,
                       Qt::AlignCenter);
    }
    p.restore();
}

} // namespace chronoscope::present
