#include "projection/divergence.h"

#include "diff/mergepatch.h"
#include "projection/projectionsource.h"

namespace chronoscope {

namespace {

// Same JSON text is the common case; different text may still be the same value (key order).
bool sameJson(const QString& x, const QString& y)
{
    if (x == y)
        return true;
    if (x.isEmpty() || y.isEmpty())  // a partition one side does not have
        return false;
    return parseJsonValue(x.toUtf8()) == parseJsonValue(y.toUtf8());
}

bool snapshotOf(JsProjection& p, qint64 position, qint64 lastEvent, ProjectionSnapshot* out, ProjectionError* error)
{
    QByteArray text;
    if (!p.serialize(&text, position, error) || !p.snapshotFrom(text, out, error))
        return false;
    out->position = position;
    out->lastEventPosition = lastEvent;
    return true;
}

} // namespace

namespace {

// Below this average size of a touched partition's serialized state, every event is compared exactly;
// above it, serializing per event costs more than the handlers: compare whole states every kBlock
// handled events and replay only a block that ends different, event by event.
constexpr qint64 kExactMaxAverageChars = 2048;
constexpr qint64 kProbeEvents = 256;
constexpr qint64 kBlock = 512;

} // namespace

bool findDivergence(JsProjection& a, JsProjection& b, EventReader& reader, DivergenceResult* out,
                    ProjectionError* error, const CancelToken& cancel, const ProgressFn& progress, qint64 toPosition)
{
    *out = {};
    a.reset();
    b.reset();
    QByteArray startA, startB;  // both states at `pos`, equal
    if (!a.serialize(&startA, 0, error) || !b.serialize(&startB, 0, error))
        return false;
    if (!sameJson(QString::fromUtf8(startA), QString::fromUtf8(startB))) {
        out->found = true;
        out->initial = true;
        return snapshotOf(a, 0, 0, &out->a, error) && snapshotOf(b, 0, 0, &out->b, error);
    }
    const StoreInfo info = reader.info();
    const qint64 end = toPosition == kNoLimit ? info.lastPosition : std::min(toPosition, info.lastPosition);
    const SelectionPlan plan = SelectionPlan::unite(SelectionPlan::forDefinition(a.definition()),
                                                    SelectionPlan::forDefinition(b.definition()));
    qint64 lastA = 0, lastB = 0;
    qint64 pos = 0;            // every event <= pos is handled and the states are equal there
    bool exact = true;
    qint64 probeHandled = 0, probeChars = 0;

    auto fail = [&](const char* side) {
        error->message = QString::fromLatin1(side) + error->message;
        return false;
    };
    // One event on both sides. *handled: at least one side handled it. Compare mode gives the states.
    auto step = [&](const Event& e, bool compare, bool* handled, bool* different, QString* diffPart) {
        *handled = false;
        *different = false;
        QString pa, pb, sa, sb;
        JsProjection::Outcome oa = JsProjection::Outcome::Skipped, ob = JsProjection::Outcome::Skipped;
        if (a.selects(e)) {
            oa = compare ? a.processCompare(e, &pa, &sa, error) : a.process(e, &pa, error);
            if (oa == JsProjection::Outcome::Failed)
                return fail("projection A: ");
        }
        if (b.selects(e)) {
            ob = compare ? b.processCompare(e, &pb, &sb, error) : b.process(e, &pb, error);
            if (ob == JsProjection::Outcome::Failed)
                return fail("projection B: ");
        }
        const bool ha = oa == JsProjection::Outcome::Handled;
        const bool hb = ob == JsProjection::Outcome::Handled;
        *handled = ha || hb;
        if (ha)
            lastA = e.position;
        if (hb)
            lastB = e.position;
        if (!compare || !*handled)
            return true;
        probeChars += sa.size() + sb.size();
        // Until now every partition was equal on both sides, so only the touched ones can differ.
        auto differs = [&](const QString& part) {
            const QString ta = (ha && pa == part) ? sa : a.partitionState(part);
            const QString tb = (hb && pb == part) ? sb : b.partitionState(part);
            return !sameJson(ta, tb);
        };
        if (ha && differs(pa)) {
            *different = true;
            *diffPart = pa;
        } else if (hb && (!ha || pb != pa) && differs(pb)) {
            *different = true;
            *diffPart = pb;
        }
        return true;
    };

    for (;;) {
        bool failed = false, cancelled = false, found = false, switchMode = false, blockDiffers = false;
        qint64 blockEnd = 0, sinceBlock = 0;
        QString readError;
        const bool readOk = readPlanned(reader, plan, pos + 1, end, [&](const Event& e) {
            if ((++out->eventsRead & 1023) == 0) {
                if (cancel.isCancelled()) {
                    cancelled = true;
                    return false;
                }
                if (progress)
                    progress(e.position, end, QStringLiteral("comparing projections"));
            }
            bool handled = false, different = false;
            QString part;
            if (!step(e, exact, &handled, &different, &part)) {
                failed = true;
                return false;
            }
            if (handled)
                ++out->eventsHandled;
            if (exact) {
                pos = e.position;
                if (different) {
                    found = true;
                    out->event = e;
                    out->partition = part;
                    return false;
                }
                if (handled && ++probeHandled == kProbeEvents) {
                    if (probeChars / (2 * kProbeEvents) > kExactMaxAverageChars) {
                        switchMode = true;
                        return false;
                    }
                    probeHandled = 0;
                    probeChars = 0;
                }
                return true;
            }
            if (!handled || ++sinceBlock < kBlock)
                return true;
            sinceBlock = 0;
            QByteArray sa, sb;
            if (!a.serialize(&sa, e.position, error) || !b.serialize(&sb, e.position, error)) {
                failed = true;
                return false;
            }
            if (!sameJson(QString::fromUtf8(sa), QString::fromUtf8(sb))) {
                blockDiffers = true;
                blockEnd = e.position;
                return false;
            }
            startA = sa;
            startB = sb;
            pos = e.position;
            return true;
        }, &readError);
        if (failed)
            return false;
        if (!readOk) {
            error->kind = ProjectionError::Read;
            error->message = QStringLiteral("reading events failed: %1").arg(readError);
            return false;
        }
        if (cancelled) {
            error->kind = ProjectionError::Cancelled;
            error->message = QStringLiteral("cancelled");
            return false;
        }
        if (found) {
            out->found = true;
            break;
        }
        if (switchMode) {
            exact = false;
            if (!a.serialize(&startA, pos, error) || !b.serialize(&startB, pos, error))
                return false;
            continue;
        }
        if (!exact && !blockDiffers) {
            // The last partial block: compare what is left.
            QByteArray sa, sb;
            if (!a.serialize(&sa, end, error) || !b.serialize(&sb, end, error))
                return false;
            if (sameJson(QString::fromUtf8(sa), QString::fromUtf8(sb)))
                break;
            blockDiffers = true;
            blockEnd = end;
        }
        if (blockDiffers) {
            // Back to the start of the block, then event by event to the first difference.
            if (!a.restore(startA, error) || !b.restore(startB, error))
                return false;
            exact = true;
            const qint64 readBefore = out->eventsRead;
            const qint64 handledBefore = out->eventsHandled;
            bool refineFailed = false;
            const bool ok = readPlanned(reader, plan, pos + 1, blockEnd, [&](const Event& e) {
                bool handled = false, different = false;
                QString part;
                if (!step(e, true, &handled, &different, &part)) {
                    refineFailed = true;
                    return false;
                }
                if (!different)
                    return true;
                out->found = true;
                out->event = e;
                out->partition = part;
                return false;
            }, &readError);
            out->eventsRead = readBefore;
            out->eventsHandled = handledBefore;
            if (refineFailed)
                return false;
            if (!ok) {
                error->kind = ProjectionError::Read;
                error->message = QStringLiteral("reading events failed: %1").arg(readError);
                return false;
            }
            if (!out->found) {
                // Only key order or partitions nobody touched in the block differ: cannot happen when both
                // start equal, but never report a divergence that cannot be shown.
                error->kind = ProjectionError::Load;
                error->message = QStringLiteral("internal error: the states differ after position %1 but no event in "
                                                "(%2, %1] makes them differ").arg(blockEnd).arg(pos);
                return false;
            }
        }
        break;
    }
    const qint64 at = out->found ? out->event.position : end;
    return snapshotOf(a, at, lastA, &out->a, error) && snapshotOf(b, at, lastB, &out->b, error);
}

} // namespace chronoscope
