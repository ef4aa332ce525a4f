#pragma once
// The sequence diagram of a chapter as a pure function: actors (lifelines) x beats -> rows. Each beat
// is an arrow from its causation parent's actor to its own actor, or a note on its own lifeline when its
// parent is not in view; a quiet stretch longer than maxGap becomes one "… 17 min later …" row; a run of
// the same type between the same actors folds into one row "× N". Deterministic (the same input gives
// the same rows), no GUI: the app, the PDF, the HTML and the PNGs all draw this.

#include "model/event.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace chronoscope::story {

struct SequenceBeat
{
    QString actor;
    QString parentActor; ///< the causation parent's actor; "" when the parent is not in view
    QString type;
    QString label;     ///< the sentence shown on the arrow
    QString foldLabel; ///< shown instead when a run is folded ("Stock reserved × 3"); "" : label
    TimeMs time = kNoTime;
    int tone = 0; ///< story::Tone as int (kept plain so the layout has no dependencies)
};

struct SequenceRow
{
    enum class Kind { Arrow, Note, Gap };
    Kind kind = Kind::Arrow;
    int from = -1;      ///< lifeline index (Arrow: the parent's actor; Note: the own actor)
    int to = -1;        ///< lifeline index (Arrow and Note: the own actor)
    int firstBeat = -1; ///< index into the input
    int lastBeat = -1;
    int count = 0;    ///< beats in the row (> 1: folded "× N")
    QString label;    ///< the beat's sentence (a folded run: its foldLabel), or the gap text
    qint64 gapMs = 0; ///< Gap rows
    int tone = 0;
};

struct SequenceLayout
{
    QStringList actors; ///< lifelines, in order of first appearance
    QList<SequenceRow> rows;
};

/// maxGapMs < 0: no gap rows. foldRuns: fold runs of the same type between the same actors.
SequenceLayout layoutSequence(const QList<SequenceBeat>& beats, qint64 maxGapMs, bool foldRuns = true);

/// "… 17 min later …"
QString gapText(qint64 ms);

} // namespace chronoscope::story
