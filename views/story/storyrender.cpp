#include "story/storyrender.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QPainter>
#include <QPainterPath>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSvgGenerator>
#include <QTextDocument>

#include <cmath>

namespace chronoscope::story {

namespace {

const QColor kInk(0x1f, 0x29, 0x37);
const QColor kMuted(0x5b, 0x67, 0x78);
const QColor kFaint(0xe3, 0xe8, 0xef);
const QColor kPaper(0xff, 0xff, 0xff);
const QColor kPanel(0xf5, 0xf7, 0xfa);

void paintSequence(QPainter& p, const QRectF& r, const ChapterPage& page, qreal u)
{
    const SequenceLayout& s = page.sequence;
    const int lanes = std::max<int>(1, int(s.actors.size()));
    const qreal laneW = r.width() / lanes;
    const qreal headH = 4.2 * u;
    auto laneX = [&](int i) { return r.left() + laneW * (i + 0.5); };
    // Lifeline heads.
    for (int i = 0; i < s.actors.size(); ++i) {
        const QColor c = actorColour(i);
        const qreal w = std::min(laneW - 1.2 * u, 22 * u);
        QRectF head(laneX(i) - w / 2, r.top(), w, headH);
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawRoundedRect(head, 0.8 * u, 0.8 * u);
        drawElidedText(p, head.adjusted(0.6 * u, 0, -0.6 * u, 0), storyFont(1.7 * u, true), Qt::white,
                       s.actors[i], Qt::AlignCenter);
    }
    const qreal top = r.top() + headH + 1.0 * u;
    const qreal rowH = 3.6 * u;
    const int capacity = std::max(1, int((r.bottom() - top) / rowH));
    // The rows that fit: the latest ones (they lead to the cards on the right).
    int last = int(s.rows.size()) - 1;
    if (page.highlightRow >= 0)
        last = std::min(last, std::max(page.highlightRow, std::min(last, page.highlightRow + 0)));
    int first = std::max(0, last - capacity + 1);
    bool earlier = first > 0;
    if (earlier) ++first; // one row for the "earlier" note
    // Lifelines.
    QPen lifeline(kFaint, std::max<qreal>(1, 0.18 * u), Qt::DashLine);
    p.setPen(lifeline);
    for (int i = 0; i < s.actors.size(); ++i)
        p.drawLine(QPointF(laneX(i), r.top() + headH), QPointF(laneX(i), r.bottom()));
    qreal y = top;
    if (earlier) {
        int hidden = 0;
        for (int i = 0; i < first; ++i)
            hidden += std::max(1, s.rows[i].count);
        drawElidedText(p, QRectF(r.left(), y, r.width(), rowH), storyFont(1.45 * u, false, true), kMuted,
                       QStringLiteral("↑ %1 earlier %2")
                           .arg(hidden)
                           .arg(hidden == 1 ? QStringLiteral("event") : QStringLiteral("events")),
                       Qt::AlignCenter);
        y += rowH;
    }
    for (int i = first; i <= last; ++i, y += rowH) {
        const SequenceRow& row = s.rows[i];
        const QRectF band(r.left(), y, r.width(), rowH);
        if (i == page.highlightRow) {
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(0xff, 0xf4, 0xc2));
            p.drawRoundedRect(band.adjusted(0, 0.2 * u, 0, -0.2 * u), 0.6 * u, 0.6 * u);
        }
        const QColor tone = toneColour(Tone(row.tone));
        const QString count = row.count > 1 ? QStringLiteral("  × %1").arg(row.count) : QString();
        if (row.kind == SequenceRow::Kind::Gap) {
            QPen pen(kMuted, std::max<qreal>(1, 0.15 * u), Qt::DotLine);
            p.setPen(pen);
            p.drawLine(QPointF(r.left(), y + rowH / 2), QPointF(r.right(), y + rowH / 2));
            const QFont f = storyFont(1.45 * u, false, true);
            const qreal tw = QFontMetricsF(f).horizontalAdvance(row.label) + 2 * u;
            QRectF label(r.center().x() - tw / 2, y + 0.5 * u, tw, rowH - 1.0 * u);
            p.setPen(Qt::NoPen);
            p.setBrush(kPaper);
            p.drawRect(label);
            drawElidedText(p, label, f, kMuted, row.label, Qt::AlignCenter);
            continue;
        }
        const qreal x1 = laneX(row.from), x2 = laneX(row.to);
        const qreal lineY = y + rowH * 0.68;
        const QFont lf = storyFont(1.5 * u);
        if (row.kind == SequenceRow::Kind::Note) {
            // No parent in view: a note on the own lifeline, the text beside it.
            const qreal w = std::min(laneW * 0.9, 2.4 * u);
            QRectF dot(x2 - w / 4, lineY - w / 4, w / 2, w / 2);
            p.setPen(Qt::NoPen);
            p.setBrush(tone);
            p.drawEllipse(dot);
            const bool leftSide = row.to == lanes - 1 && lanes > 1;
            QRectF text = leftSide ? QRectF(r.left(), y, x2 - r.left() - 1.4 * u, rowH)
                                   : QRectF(x2 + 1.4 * u, y, r.right() - x2 - 1.4 * u, rowH);
            drawElidedText(p, text, lf, kInk, row.label + count,
                           (leftSide ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
            continue;
        }
        QPen pen(tone, std::max<qreal>(1.2, 0.28 * u));
        p.setPen(pen);
        if (row.from == row.to) {
            // To itself: a small loop to the right, the label beside it.
            const qreal w = 2.2 * u;
            QPainterPath loop;
            loop.moveTo(x1, y + rowH * 0.25);
            loop.lineTo(x1 + w, y + rowH * 0.25);
            loop.lineTo(x1 + w, lineY);
            loop.lineTo(x1 + 0.6 * u, lineY);
            p.setBrush(Qt::NoBrush);
            p.drawPath(loop);
            drawArrowHead(p, QPointF(x1, lineY), -1, 0.9 * u, tone);
            const bool leftSide = row.to == lanes - 1 && lanes > 1;
            QRectF text = leftSide ? QRectF(r.left(), y, x1 - r.left() - 1.0 * u, rowH)
                                   : QRectF(x1 + w + 0.8 * u, y, r.right() - x1 - w - 0.8 * u, rowH);
            drawElidedText(p, text, lf, kInk, row.label + count,
                           (leftSide ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
            continue;
        }
        const qreal dir = x2 > x1 ? 1 : -1;
        p.drawLine(QPointF(x1, lineY), QPointF(x2 - dir * 0.9 * u, lineY));
        drawArrowHead(p, QPointF(x2, lineY), dir, 0.9 * u, tone);
        const qreal left = std::min(x1, x2), width = std::abs(x2 - x1);
        // Labels may run past short arrows into the free space beside them.
        QRectF text(left - laneW * 0.4, y, width + laneW * 0.8, rowH * 0.62);
        drawElidedText(p, text, lf, kInk, row.label + count, Qt::AlignCenter);
    }
}

void paintCard(QPainter& p, const QRectF& r, const CardModel& c, qreal u)
{
    p.setPen(QPen(kFaint, std::max<qreal>(1, 0.12 * u)));
    p.setBrush(kPaper);
    p.drawRoundedRect(r, 0.8 * u, 0.8 * u);
    p.setPen(Qt::NoPen);
    p.setBrush(actorColour(c.actorIndex));
    p.drawRoundedRect(QRectF(r.left(), r.top(), 0.7 * u, r.height()), 0.35 * u, 0.35 * u);
    const qreal pad = 1.3 * u;
    QRectF inner = r.adjusted(pad + 0.4 * u, 0.9 * u, -pad, -0.7 * u);
    // Tone dot and sentence.
    p.setBrush(toneColour(c.tone));
    p.drawEllipse(QRectF(inner.left(), inner.top() + 0.55 * u, 1.2 * u, 1.2 * u));
    drawElidedText(p, QRectF(inner.left() + 1.9 * u, inner.top(), inner.width() - 1.9 * u, 2.4 * u),
                   storyFont(1.75 * u, true), kInk, c.sentence);
    qreal y = inner.top() + 2.5 * u;
    QString meta = c.actor;
    if (!c.time.isEmpty()) meta += QStringLiteral(" · ") + c.time;
    if (!c.relative.isEmpty()) meta += QStringLiteral(" · ") + c.relative;
    drawElidedText(p, QRectF(inner.left(), y, inner.width(), 2.0 * u), storyFont(1.4 * u), kMuted, meta);
    y += 2.3 * u;
    // Up to four fields, two per line.
    const qreal colW = inner.width() / 2;
    for (int i = 0; i < c.fields.size(); ++i) {
        const qreal x = inner.left() + (i % 2) * colW;
        const qreal fy = y + (i / 2) * 3.6 * u;
        drawElidedText(p, QRectF(x, fy, colW - u, 1.6 * u), storyFont(1.2 * u), kMuted,
                       c.fields[i].first.toUpper());
        drawElidedText(p, QRectF(x, fy + 1.55 * u, colW - u, 1.9 * u), storyFont(1.5 * u, true), kInk,
                       c.fields[i].second);
    }
    if (!c.because.isEmpty()) {
        const qreal by =
            std::min(inner.bottom() - 1.9 * u, y + ((int(c.fields.size()) + 1) / 2) * 3.6 * u + 0.2 * u);
        drawElidedText(p, QRectF(inner.left(), by, inner.width(), 1.9 * u), storyFont(1.35 * u, false, true),
                       kMuted, QStringLiteral("because ← %1").arg(c.because));
    }
}

void paintKpis(QPainter& p, const QRectF& r, const QList<KpiTile>& kpis, qreal u)
{
    if (kpis.isEmpty()) return;
    const qreal gap = 1.2 * u;
    const qreal w = (r.width() - gap * (kpis.size() - 1)) / kpis.size();
    for (int i = 0; i < kpis.size(); ++i) {
        const KpiTile& k = kpis[i];
        QRectF t(r.left() + i * (w + gap), r.top(), w, r.height());
        p.setPen(Qt::NoPen);
        p.setBrush(kPanel);
        p.drawRoundedRect(t, 0.8 * u, 0.8 * u);
        QRectF in = t.adjusted(1.3 * u, 0.8 * u, -1.3 * u, -0.6 * u);
        drawElidedText(p, QRectF(in.left(), in.top(), in.width(), 1.8 * u), storyFont(1.3 * u), kMuted,
                       k.label.toUpper());
        drawElidedText(p, QRectF(in.left(), in.top() + 1.9 * u, in.width(), 3.4 * u),
                       storyFont(2.8 * u, true), kInk, k.value);
        const QColor dc = k.direction > 0   ? toneColour(Tone::Good)
                          : k.direction < 0 ? toneColour(Tone::Bad)
                                            : kMuted;
        drawElidedText(p, QRectF(in.left(), in.top() + 5.4 * u, in.width(), 1.8 * u), storyFont(1.3 * u), dc,
                       k.change);
    }
}

void paintCompare(QPainter& p, const QRectF& r, const ComparePanel& c, qreal u)
{
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0xfd, 0xf3, 0xe7));
    p.drawRoundedRect(r, 0.8 * u, 0.8 * u);
    QRectF in = r.adjusted(1.3 * u, 0.8 * u, -1.3 * u, -0.8 * u);
    drawElidedText(p, QRectF(in.left(), in.top(), in.width(), 2.2 * u), storyFont(1.6 * u, true), kInk,
                   QStringLiteral("%1  vs  %2").arg(c.nameA, c.nameB));
    drawElidedText(p, QRectF(in.left(), in.top() + 2.4 * u, in.width(), 2.0 * u),
                   storyFont(1.4 * u, false, true), toneColour(Tone::Bad), c.divergence);
}

} // namespace

QFont storyFont(qreal px, bool bold, bool italic)
{
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setStyleHint(QFont::SansSerif);
    f.setPixelSize(std::max(6, int(std::lround(px))));
    f.setBold(bold);
    f.setItalic(italic);
    return f;
}

QFont storyMonoFont(qreal px)
{
    QFont f(QStringLiteral("DejaVu Sans Mono"));
    f.setStyleHint(QFont::Monospace);
    f.setPixelSize(std::max(6, int(std::lround(px))));
    return f;
}

void drawElidedText(QPainter& p, const QRectF& r, const QFont& f, const QColor& c, const QString& text,
                    int flags)
{
    p.setFont(f);
    p.setPen(c);
    p.drawText(r, flags, QFontMetricsF(f).elidedText(text, Qt::ElideRight, std::max<qreal>(0, r.width())));
}

void drawArrowHead(QPainter& p, QPointF tip, qreal dir, qreal size, const QColor& c)
{
    QPainterPath path;
    path.moveTo(tip);
    path.lineTo(tip + QPointF(-dir * size, -size * 0.55));
    path.lineTo(tip + QPointF(-dir * size, size * 0.55));
    path.closeSubpath();
    p.fillPath(path, c);
}

void layoutCaption(QTextDocument& doc, const QString& markdown, qreal px, qreal width, const QColor& colour)
{
    // QTextDocument, so **bold** and *emphasis* render as the author wrote.
    doc.setDocumentMargin(0);
    doc.setDefaultFont(storyFont(px));
    doc.setDefaultStyleSheet(QStringLiteral("body { color: %1; }").arg(colour.name()));
    doc.setMarkdown(markdown);
    doc.setTextWidth(width);
}

void drawDocument(QPainter& p, QPointF at, QSizeF clip, const QTextDocument& doc, const QColor& colour)
{
    p.save();
    p.translate(at);
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette.setColor(QPalette::Text, colour);
    ctx.clip = QRectF(QPointF(0, 0), clip);
    p.setClipRect(ctx.clip);
    doc.documentLayout()->draw(&p, ctx);
    p.restore();
}

QColor actorColour(int index)
{
    static const QColor palette[] = {QColor(0x3b, 0x6f, 0xb6), QColor(0x2a, 0x9d, 0x8f),
                                     QColor(0xe0, 0x7a, 0x1f), QColor(0x7b, 0x5e, 0xa7),
                                     QColor(0x8a, 0x9a, 0x2b), QColor(0xc2, 0x57, 0x7a),
                                     QColor(0x8c, 0x6d, 0x46), QColor(0x5c, 0x70, 0x80)};
    return palette[std::abs(index) % 8];
}

QColor toneColour(Tone tone)
{
    switch (tone) {
    case Tone::Good:
        return QColor(0x2e, 0x8b, 0x57);
    case Tone::Warn:
        return QColor(0xd4, 0x8a, 0x06);
    case Tone::Bad:
        return QColor(0xc0, 0x39, 0x2b);
    case Tone::Neutral:
        break;
    }
    return QColor(0x7a, 0x86, 0x9a);
}

void paintChapterPage(QPainter& p, const QRectF& rect, const ChapterPage& page)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.setRenderHint(QPainter::TextAntialiasing);
    p.fillRect(rect, kPaper);
    // One unit: 1% of the page height, so the page reads the same at 1080p and on A4.
    const qreal u = std::min(rect.height() / 100.0, rect.width() / 150.0);
    const qreal margin = 3.5 * u;
    QRectF r = rect.adjusted(margin, margin * 0.8, -margin, -margin * 0.8);
    // Header.
    drawElidedText(p, QRectF(r.left(), r.top(), r.width() * 0.7, 2.2 * u), storyFont(1.45 * u), kMuted,
                   page.storyTitle.toUpper());
    drawElidedText(p, QRectF(r.left() + r.width() * 0.7, r.top(), r.width() * 0.3, 2.2 * u),
                   storyFont(1.45 * u), kMuted,
                   QStringLiteral("Chapter %1 of %2").arg(page.number).arg(page.count),
                   Qt::AlignRight | Qt::AlignVCenter);
    drawElidedText(p, QRectF(r.left(), r.top() + 2.4 * u, r.width(), 4.6 * u), storyFont(3.6 * u, true), kInk,
                   page.title);
    drawElidedText(p, QRectF(r.left(), r.top() + 7.2 * u, r.width(), 2.2 * u), storyFont(1.55 * u), kMuted,
                   page.subtitle);
    qreal y = r.top() + 10.4 * u;
    p.setPen(QPen(kFaint, std::max<qreal>(1, 0.15 * u)));
    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
    y += 1.6 * u;
    // Bottom band: caption (left) and KPIs (right), or the caption alone.
    // The bottom band is as tall as the caption needs (within limits) or the KPI tiles.
    const qreal kpiW = page.kpis.isEmpty() ? 0 : std::min(r.width() * 0.6, page.kpis.size() * 30 * u);
    qreal captionH = 0;
    if (!page.caption.isEmpty()) {
        QTextDocument doc;
        layoutCaption(doc, page.caption, 2.0 * u, r.width() - kpiW - (kpiW > 0 ? 2.5 * u : 0) - 1.8 * u,
                      kInk);
        captionH = std::min(doc.size().height() + 0.6 * u, 22 * u);
    }
    const qreal bottomH = std::max(captionH, page.kpis.isEmpty() ? 0.0 : 8.6 * u);
    const qreal compareH = page.compare.present ? 6.2 * u : 0;
    QRectF body(r.left(), y, r.width(), r.bottom() - y - bottomH - compareH - (bottomH > 0 ? 1.6 * u : 0));
    const qreal cardsW = r.width() * 0.36;
    QRectF seq(body.left(), body.top(), body.width() - cardsW - 2.5 * u, body.height());
    QRectF cards(seq.right() + 2.5 * u, body.top(), cardsW, body.height());
    paintSequence(p, seq, page, u);
    // Cards, newest on top.
    drawElidedText(p, QRectF(cards.left(), cards.top(), cards.width(), 2.0 * u), storyFont(1.3 * u, true),
                   kMuted, QStringLiteral("LATEST EVENTS"));
    const int n = int(page.cards.size());
    if (n > 0) {
        const qreal top = cards.top() + 2.4 * u;
        const qreal gap = 1.0 * u;
        const qreal ideal = 16.0 * u;
        const qreal h = std::min(ideal, (cards.bottom() - top - gap * (n - 1)) / n);
        const int shown = h < 9 * u ? std::max(1, int((cards.bottom() - top) / (ideal + gap))) : n;
        const qreal hh = shown < n ? std::min(ideal, (cards.bottom() - top - gap * (shown - 1)) / shown) : h;
        for (int i = 0; i < shown; ++i)
            paintCard(p, QRectF(cards.left(), top + i * (hh + gap), cards.width(), hh), page.cards[i], u);
    }
    qreal by = body.bottom() + 1.6 * u;
    if (page.compare.present) {
        paintCompare(p, QRectF(r.left(), by, r.width(), compareH - 1.0 * u), page.compare, u);
        by += compareH;
    }
    if (bottomH > 0) {
        QRectF caption(r.left(), by, r.width() - kpiW - (kpiW > 0 ? 2.5 * u : 0), bottomH);
        if (!page.caption.isEmpty()) {
            p.setPen(Qt::NoPen);
            p.setBrush(toneColour(Tone::Neutral));
            p.drawRect(QRectF(caption.left(), caption.top(), 0.45 * u, caption.height()));
            const QRectF box = caption.adjusted(1.8 * u, 0.2 * u, 0, 0);
            QTextDocument doc;
            layoutCaption(doc, page.caption, 2.0 * u, box.width(), kInk);
            drawDocument(p, box.topLeft(), box.size(), doc, kInk);
        }
        if (kpiW > 0)
            paintKpis(p, QRectF(r.right() - kpiW, by, kpiW, std::min(bottomH, 8.6 * u)), page.kpis, u);
    }
    p.restore();
}

void paintTitlePage(QPainter& p, const QRectF& rect, const Story& story, const QStringList& titles,
                    const QStringList& subtitles)
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect, kPaper);
    const qreal u = std::min(rect.height() / 100.0, rect.width() / 150.0);
    QRectF r = rect.adjusted(8 * u, 10 * u, -8 * u, -6 * u);
    p.setPen(Qt::NoPen);
    p.setBrush(actorColour(0));
    p.drawRect(QRectF(rect.left(), rect.top(), 1.6 * u, rect.height()));
    drawElidedText(p, QRectF(r.left(), r.top(), r.width(), 2.4 * u), storyFont(1.7 * u), kMuted,
                   QStringLiteral("A STORY TOLD FROM RECORDED EVENTS"));
    QTextDocument doc;
    doc.setDocumentMargin(0);
    doc.setDefaultFont(storyFont(5.4 * u, true));
    doc.setPlainText(story.title);
    doc.setTextWidth(r.width());
    p.save();
    p.translate(r.left(), r.top() + 3.2 * u);
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette.setColor(QPalette::Text, kInk);
    doc.documentLayout()->draw(&p, ctx);
    p.restore();
    qreal y = r.top() + 3.2 * u + doc.size().height() + 1.5 * u;
    if (!story.audience.isEmpty()) {
        drawElidedText(p, QRectF(r.left(), y, r.width(), 2.8 * u), storyFont(2.0 * u), kMuted,
                       QStringLiteral("For %1").arg(story.audience));
        y += 4.5 * u;
    }
    y += 2 * u;
    for (int i = 0; i < titles.size() && y < r.bottom() - 4 * u; ++i) {
        drawElidedText(p, QRectF(r.left(), y, 5 * u, 3.0 * u), storyFont(2.2 * u, true), actorColour(0),
                       QString::number(i + 1));
        drawElidedText(p, QRectF(r.left() + 5 * u, y, r.width() - 5 * u, 3.0 * u), storyFont(2.2 * u, true),
                       kInk, titles[i]);
        if (i < subtitles.size())
            drawElidedText(p, QRectF(r.left() + 5 * u, y + 3.0 * u, r.width() - 5 * u, 2.2 * u),
                           storyFont(1.5 * u), kMuted, subtitles[i]);
        y += 6.4 * u;
    }
    QString source = QFileInfo(story.sourceUri).fileName();
    drawElidedText(p, QRectF(r.left(), rect.bottom() - 5 * u, r.width(), 2.2 * u), storyFont(1.4 * u), kMuted,
                   QStringLiteral("Every number is computed from the recorded events%1 by Chronoscope.")
                       .arg(source.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(source)));
    p.restore();
}

void ensureGuiApplication()
{
    if (QCoreApplication::instance()) return;
    // The offscreen platform warns about a missing XDG_RUNTIME_DIR, which says nothing to a CLI user.
    static QtMessageHandler previous =
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext& ctx, const QString& msg) {
            if (msg.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR"))) return;
            if (previous) previous(type, ctx, msg);
        });
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char arg0[] = "chronoscope";
    static char* argv[] = {arg0, nullptr};
    // Never destroyed: a static QGuiApplication would be torn down after Qt's thread storage at exit.
    new QGuiApplication(argc, argv);
}

QImage renderChapterImage(const ChapterPage& page, QSize size)
{
    QImage img(size, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    paintChapterPage(p, QRectF(QPointF(0, 0), QSizeF(size)), page);
    return img;
}

bool renderPdf(StoryEngine& engine, const QString& path, QString* error)
{
    const Story& story = engine.story();
    QList<ChapterPage> pages;
    QStringList titles, subtitles;
    for (int i = 0; i < story.chapters.size(); ++i) {
        ChapterPage page;
        if (!engine.page(i, &page, error)) return false;
        titles << page.title;
        subtitles << page.subtitle;
        pages << page;
    }
    const QString partial = path + QStringLiteral(".partial");
    {
        QPdfWriter pdf(partial);
        pdf.setTitle(story.title);
        pdf.setCreator(QStringLiteral("Chronoscope"));
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageOrientation(QPageLayout::Landscape);
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        if (!p.begin(&pdf)) {
            *error = QStringLiteral("%1: cannot write the PDF").arg(path);
            QFile::remove(partial);
            return false;
        }
        const QRectF rect(0, 0, pdf.width(), pdf.height());
        paintTitlePage(p, rect, story, titles, subtitles);
        for (const ChapterPage& page : std::as_const(pages)) {
            pdf.newPage();
            paintChapterPage(p, rect, page);
        }
        p.end();
    }
    QFile::remove(path);
    if (!QFile::rename(partial, path)) {
        *error = QStringLiteral("%1: cannot write the PDF").arg(path);
        QFile::remove(partial);
        return false;
    }
    return true;
}

bool renderPngs(StoryEngine& engine, const QString& folder, QStringList* written, QString* error, QSize size)
{
    const Story& story = engine.story();
    for (int i = 0; i < story.chapters.size(); ++i) {
        ChapterPage page;
        if (!engine.page(i, &page, error)) return false;
        QString id = story.chapters[i].id;
        id.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]")), QStringLiteral("_"));
        const QString file = QDir(folder).filePath(
            QStringLiteral("chapter-%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(id));
        if (!renderChapterImage(page, size).save(file, "PNG")) {
            *error = QStringLiteral("%1: cannot write the image").arg(file);
            return false;
        }
        *written << file;
    }
    return true;
}

namespace {

QByteArray svgOf(const ChapterPage& page)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    const QSize size(1600, 900);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(page.title);
    {
        QPainter p(&svg);
        paintChapterPage(p, QRectF(0, 0, size.width(), size.height()), page);
    }
    QByteArray out = buffer.data();
    // Inline: drop the XML prologue, let the page scale with the window.
    const qsizetype at = out.indexOf("<svg");
    if (at > 0) out = out.mid(at);
    static const QRegularExpression dims(QStringLiteral("<svg([^>]*?) width=\"[^\"]*\" height=\"[^\"]*\""));
    QString s = QString::fromUtf8(out);
    s.replace(dims, QStringLiteral("<svg\\1 width=\"100%\""));
    // Qt writes every attribute of every element; squeeze the white space between them.
    static const QRegularExpression blanks(QStringLiteral("\\s*\\n\\s*"));
    s.replace(blanks, QStringLiteral("\n"));
    return s.toUtf8();
}

QString html(const QString& s)
{
    return s.toHtmlEscaped();
}

} // namespace

bool renderHtml(StoryEngine& engine, QByteArray* out, QString* error)
{
    const Story& story = engine.story();
    const int chapters = int(story.chapters.size());
    // Frames: one per beat step, at most this many per chapter (long chapters are sampled evenly, the last
    // frame is always the chapter's end), so a 20-chapter story stays a few megabytes.
    const int maxFrames = std::clamp(96 / std::max(1, chapters), 3, 16);
    QByteArray h;
    h += "<!DOCTYPE html>\n<html lang=\"" + html(story.locale).toUtf8() +
         "\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<title>" + html(story.title).toUtf8() + "</title>\n";
    h += "<style>body{margin:0;font-family:'DejaVu "
         "Sans',sans-serif;background:#eef1f5;color:#1f2937;display:flex}"
         "nav{width:16rem;min-height:100vh;background:#fff;border-right:1px solid "
         "#e3e8ef;padding:1rem;box-sizing:border-box}"
         "nav h1{font-size:1rem}nav ol{padding-left:1.2rem}nav "
         "a{color:#3b6fb6;text-decoration:none;cursor:pointer}"
         "nav a.on{font-weight:bold}main{flex:1;padding:1rem}section{display:none}section.on{display:block}"
         ".frame{display:none;background:#fff;box-shadow:0 1px 4px #0002}.frame.on{display:block}"
         ".bar{color:#5b6778;font-size:.85rem;margin:.5rem "
         "0}.notes{display:none;background:#fffbe6;padding:.5rem 1rem;"
         "margin-top:.5rem;white-space:pre-wrap}body.notes .notes{display:block}</style>\n</head>\n<body>\n";
    h += "<nav><h1>" + html(story.title).toUtf8() + "</h1><ol>";
    for (int i = 0; i < chapters; ++i)
        h += "<li><a data-ch=\"" + QByteArray::number(i) + "\">" + html(story.chapters[i].title).toUtf8() +
             "</a></li>";
    h += "</ol><p class=\"bar\">← → step through the events, n shows the presenter's "
         "notes.</p></nav>\n<main>\n";
    for (int i = 0; i < chapters; ++i) {
        const ResolvedChapter* r = engine.chapter(i, error);
        if (!r) return false;
        // The positions at which a frame is drawn: the end of each row of the full chapter's layout.
        const SequenceLayout full = engine.layout(i, error);
        QList<qint64> steps;
        for (const SequenceRow& row : full.rows)
            if (row.kind != SequenceRow::Kind::Gap) steps << r->beats[row.lastBeat].position;
        if (steps.size() > maxFrames) {
            QList<qint64> sampled;
            for (int k = 1; k <= maxFrames; ++k)
                sampled << steps[int(std::llround(double(k) * steps.size() / maxFrames)) - 1];
            steps = sampled;
        }
        h += "<section data-ch=\"" + QByteArray::number(i) + "\">\n";
        for (int k = 0; k < steps.size(); ++k) {
            ChapterPage page;
            if (!engine.page(i, &page, error, k + 1 == steps.size() ? kNoLimit : steps[k])) return false;
            if (k + 1 == steps.size()) page.highlightRow = -1;
            h += "<div class=\"frame\">" + svgOf(page) + "</div>\n";
        }
        h += "<div class=\"bar\">Chapter " + QByteArray::number(i + 1) + " of " +
             QByteArray::number(chapters) + " · <span class=\"step\"></span></div>\n";
        const QString notes = engine.notes(i);
        if (!notes.isEmpty()) h += "<div class=\"notes\">" + html(notes).toUtf8() + "</div>\n";
        h += "</section>\n";
    }
    h += "</main>\n<script>\n"
         "var "
         "S=[].slice.call(document.querySelectorAll('section')),A=[].slice.call(document.querySelectorAll('"
         "nav a')),c=0,f=0;\n"
         "function "
         "show(){S.forEach(function(s,i){s.classList.toggle('on',i==c);A[i].classList.toggle('on',i==c);"
         "var F=s.querySelectorAll('.frame');for(var "
         "k=0;k<F.length;k++)F[k].classList.toggle('on',i==c&&k==f);"
         "if(i==c)s.querySelector('.step').textContent='step '+(f+1)+' of '+F.length;});}\n"
         "function go(d){var "
         "n=S[c].querySelectorAll('.frame').length;f+=d;if(f>=n){if(c<S.length-1){c++;f=0;}else f=n-1;}"
         "else if(f<0){if(c>0){c--;f=S[c].querySelectorAll('.frame').length-1;}else f=0;}show();}\n"
         "document.addEventListener('keydown',function(e){if(e.key=='ArrowRight'||e.key==' ')go(1);"
         "else if(e.key=='ArrowLeft')go(-1);else if(e.key=='n')document.body.classList.toggle('notes');});\n"
         "A.forEach(function(a,i){a.onclick=function(){c=i;f=S[i].querySelectorAll('.frame').length-1;show();"
         "};});\n"
         "f=S[0].querySelectorAll('.frame').length-1;show();\n</script>\n</body>\n</html>\n";
    *out = h;
    return true;
}

} // namespace chronoscope::story
