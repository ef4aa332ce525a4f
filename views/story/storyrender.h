#pragma once
// Story pages painted with QPainter: one paint code for the screen, PDF (QPdfWriter), SVG
// (QSvgGenerator, inline in the HTML export) and PNG (QImage). The page model comes from the core
// (story::ChapterPage): redaction and hidden paths are applied there, so nothing here can show them.

#include "story/storyengine.h"

#include <QColor>
#include <QFont>
#include <QRectF>

class QPainter;
class QTextDocument;

namespace chronoscope::story {

/// The type of story pages and the audience frame: DejaVu Sans (Mono) at `px` pixels, rounded to whole
/// pixels (at least 6) so a run and its bold neighbour share one size.
QFont storyFont(qreal px, bool bold = false, bool italic = false);
QFont storyMonoFont(qreal px);
/// One line of text in r, elided at the right when it does not fit.
void drawElidedText(QPainter& p, const QRectF& r, const QFont& f, const QColor& c, const QString& text,
                    int flags = Qt::AlignLeft | Qt::AlignVCenter);
/// A filled arrow head with its tip at `tip`, pointing right (dir 1) or left (dir -1).
void drawArrowHead(QPainter& p, QPointF tip, qreal dir, qreal size, const QColor& c);
/// A caption's markdown (**bold**, *emphasis*) laid out `width` wide in storyFont(px), in `colour`: the one
/// layout the pages and the audience frame measure and paint.
void layoutCaption(QTextDocument& doc, const QString& markdown, qreal px, qreal width, const QColor& colour);
/// Paints a laid-out document with its top left at `at`, clipped to `clip` (a size from `at`).
void drawDocument(QPainter& p, QPointF at, QSizeF clip, const QTextDocument& doc, const QColor& colour);

/// The colour of the n-th lifeline (stable: the same actor order gives the same colours).
QColor actorColour(int index);
QColor toneColour(Tone tone);

/// A chapter page: title, sequence, the latest event cards, KPI ribbon, compare panel, caption.
void paintChapterPage(QPainter& p, const QRectF& rect, const ChapterPage& page);
/// The title page: title, audience, the list of chapters.
void paintTitlePage(QPainter& p, const QRectF& rect, const Story& story, const QStringList& chapterTitles,
                    const QStringList& chapterSubtitles);

/// Creates the QGuiApplication fonts need (offscreen when no display is set), once.
void ensureGuiApplication();

/// A title page, then one A4-landscape page per chapter.
bool renderPdf(StoryEngine& engine, const QString& path, QString* error);
/// chapter-NN-<id>.png per chapter, 1920x1080.
bool renderPngs(StoryEngine& engine, const QString& folder, QStringList* written, QString* error,
                QSize size = QSize(1920, 1080));
/// One self-contained HTML file: inline SVG frames per chapter (one per beat step, sampled evenly in
/// long chapters), a chapter list, and a few lines of script for ←/→. No network.
bool renderHtml(StoryEngine& engine, QByteArray* out, QString* error);
/// One chapter page as an image (the app's view and the tests).
QImage renderChapterImage(const ChapterPage& page, QSize size);

} // namespace chronoscope::story
