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

bool findDivergence(JsProjection& a, JsProjection& b, EventReader& reader, DivergenceResult* out,
                    ProjectionError* error, const CancelToken& cancel, const ProgressFn& progress, qint64 toPosition)
{
    *out = {};
    a.reset();
    b.reset();
    {
        QByteArray ia, ib;
        if (!a.serialize(&ia, 0, error) || !b.serialize(&ib, 0, error))
            return false;
        if (!sameJson(QString::fromUtf8(ia), QString::fromUtf8(ib))) {
            out->found = true;
            out->initial = true;
            return snapshotOf(a, 0, 0, &out->a, error) && snapshotOf(b, 0, 0, &out->b, error);
        }
    }
    const StoreInfo info = reader.info();
    const qint64 end = toPosition == kNoLimit ? info.lastPosition : std::min(toPosition, info.lastPosition);
    const SelectionPlan plan = SelectionPlan::unite(SelectionPlan::forDefinition(a.definition()),
                                                    SelectionPlan::forDefinition(b.definition()));
    bool failed = false, cancelled = false;
    qint64 lastA = 0, lastB = 0, position = 0;
    QString readError;
    const bool readOk = readPlanned(reader, plan, 1, end, [&](const Event& e) {
        position = e.position;
        if ((++out->eventsRead & 1023) == 0) {
            if (cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            if (progress)
                progress(e.position, end, QStringLiteral("comparing projections"));
        }
        QString pa, pb, sa, sb;
        JsProjection::Outcome oa = JsProjection::Outcome::Skipped, ob = JsProjection::Outcome::Skipped;
        if (a.selects(e)) {
            oa = a.processCompare(e, &pa, &sa, error);
            if (oa == JsProjection::Outcome::Failed) {
                error->message = QStringLiteral("projection A: ") + error->message;
                failed = true;
                return false;
            }
        }
        if (b.selects(e)) {
            ob = b.processCompare(e, &pb, &sb, error);
            if (ob == JsProjection::Outcome::Failed) {
                error->message = QStringLiteral("projection B: ") + error->message;
                failed = true;
                return false;
            }
        }
        const bool ha = oa == JsProjection::Outcome::Handled;
        const bool hb = ob == JsProjection::Outcome::Handled;
        if (!ha && !hb)
            return true;
        ++out->eventsHandled;
        if (ha)
            lastA = e.position;
        if (hb)
            lastB = e.position;
        // Until now every partition was equal on both sides, so only the touched ones can differ.
        auto differs = [&](const QString& part) {
            const QString ta = (ha && pa == part) ? sa : a.partitionState(part);
            const QString tb = (hb && pb == part) ? sb : b.partitionState(part);
            return !sameJson(ta, tb);
        };
        QString diffPart;
        bool different = false;
        if (ha && differs(pa)) {
            different = true;
            diffPart = pa;
        } else if (hb && (!ha || pb != pa) && differs(pb)) {
            different = true;
            diffPart = pb;
        }
        if (!different)
            return true;
        out->found = true;
        out->event = e;
        out->partition = diffPart;
        return false;
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
    const qint64 at = out->found ? out->event.position : std::max(position, end);
    return snapshotOf(a, at, lastA, &out->a, error) && snapshotOf(b, at, lastB, &out->b, error);
}

} // namespace chronoscope
