#include "story/sequencelayout.h"

#include "story/storytemplate.h"

#include <QHash>

namespace chronoscope::story {

QString gapText(qint64 ms)
{
    return QStringLiteral("… %1 later …").arg(humanDuration(ms));
}

SequenceLayout layoutSequence(const QList<SequenceBeat>& beats, qint64 maxGapMs, bool foldRuns)
{
    SequenceLayout out;
    QHash<QString, int> index;
    auto lane = [&](const QString& actor) {
        auto it = index.constFind(actor);
        if (it != index.cend()) return *it;
        const int i = int(out.actors.size());
        out.actors << actor;
        index.insert(actor, i);
        return i;
    };
    TimeMs previous = kNoTime;
    for (int i = 0; i < beats.size(); ++i) {
        const SequenceBeat& b = beats[i];
        // A parent's actor appears before the beat's own, so arrows read left to right the first time.
        const int from = b.parentActor.isEmpty() ? -1 : lane(b.parentActor);
        const int to = lane(b.actor);
        if (maxGapMs >= 0 && previous != kNoTime && b.time != kNoTime && b.time - previous > maxGapMs) {
            SequenceRow gap;
            gap.kind = SequenceRow::Kind::Gap;
            gap.gapMs = b.time - previous;
            gap.label = gapText(gap.gapMs);
            gap.firstBeat = gap.lastBeat = i;
            out.rows << gap;
        }
        if (b.time != kNoTime) previous = b.time;
        SequenceRow row;
        row.kind = from < 0 ? SequenceRow::Kind::Note : SequenceRow::Kind::Arrow;
        row.from = from < 0 ? to : from;
        row.to = to;
        row.firstBeat = row.lastBeat = i;
        row.count = 1;
        row.label = b.label;
        row.tone = b.tone;
        if (foldRuns && !out.rows.isEmpty()) {
            SequenceRow& last = out.rows.last();
            if (last.kind == row.kind && last.from == row.from && last.to == row.to &&
                beats[last.firstBeat].type == b.type) {
                last.lastBeat = i;
                ++last.count;
                if (!b.foldLabel.isEmpty()) last.label = b.foldLabel;
                continue;
            }
        }
        out.rows << row;
    }
    return out;
}

} // namespace chronoscope::story
