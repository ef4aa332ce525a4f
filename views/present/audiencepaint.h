#pragma once
// The audience frame of present mode, painted with QPainter: chapter n/N and title, the chapter's sequence
// up to the current beat (highlighted; the view follows it), the latest event cards, the KPI ribbon and the
// caption. Sized for the back of a room: every text is at least 2.7% of the frame height (29 px at 1080p).
// Tones use the Okabe-Ito colours and a symbol each (✓ ! ✗ •), so they read without colour vision.
// The model (story::ChapterPage) comes from the story engine: redaction and hidden paths are applied there.

#include "story/storyengine.h"

#include <QColor>
#include <QRectF>

class QPainter;

namespace chronoscope::present {

struct AudiencePalette
{
    bool dark = false;
    QColor paper, ink, muted, faint, panel, highlight, highlightEdge;
    static AudiencePalette of(bool dark);
    static AudiencePalette light() { return of(false); }
    static AudiencePalette darkPalette() { return of(true); }
};

/// Okabe-Ito tones (safe for the common colour-vision deficiencies) and the symbol that goes with each.
QColor audienceTone(story::Tone tone, bool dark);
QString toneSymbol(story::Tone tone);
QColor audienceActor(int index, bool dark);

struct AudienceFrame
{
    story::ChapterPage page;
    int beat = 0;       ///< 0-based step within the chapter
    int beats = 0;      ///< steps in the chapter
    QString rawJson;    ///< the current beat's event as presented (redacted), shown while peeking
    bool peek = false;  ///< `D` held
    bool blank = false; ///< `B`
    QString banner;     ///< e.g. "Waiting for a live event …" ("" : none)
    bool live = false;  ///< the beats came from the live tail
};

/// Paints the whole frame into rect.
void paintAudienceFrame(QPainter& p, const QRectF& rect, const AudienceFrame& frame,
                        const AudiencePalette& pal);

/// Events in the sequence's rows before `endRow` (folded runs count each event; gap rows none): the
/// "↑ N earlier events" above the rows on screen.
int audienceEventsInRows(const story::SequenceLayout& sequence, int endRow);

/// The frame's unit: 1% of its height (of its 16:9 width when narrower); every size is a multiple of it.
qreal audienceUnit(const QRectF& frame);
/// The caption's type size in pixels at unit `u`; the caption is laid out
/// with story::layoutCaption at this size.
qreal audienceCaptionPx(qreal u);

/// The smallest text size the frame uses, in pixels, for a frame of this height (the ≥ 28 px rule).
qreal audienceMinTextPx(qreal frameHeight);

} // namespace chronoscope::present
