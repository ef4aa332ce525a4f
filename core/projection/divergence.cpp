#include "projection/divergence.h"

#include "json/mergepatch.h"
#include "projection/projectionsource.h"

#include <QElapsedTimer>

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
// above it, serializing per event costs more than the handlers: compare whole states at block ends, and
// narrow a block that ends different down (blocks of 1/8 the size, then event by event).
constexpr qint64 kExactMaxAverageChars = 2048;
constexpr qint64 kProbeEvents = 256;
constexpr qint64 kFirstBlock = 512;
constexpr qint64 kMaxBlock = 65536;
constexpr qint64 kExactBlock = 16;

bool sameBytes(const QByteArray& x, const QByteArray& y)
{
    return x == y || parseJsonValue(x) == parseJsonValue(y);
}

class Comparison
{
public:
    Comparison(JsProjection& a, JsProjection& b, EventReader& reader, DivergenceResult* out, ProjectionError* error,
               const CancelToken& cancel, const ProgressFn& progress, qint64 end)
        : m_a(a), m_b(b), m_reader(reader), m_out(out), m_error(error), m_cancel(cancel), m_progress(progress), m_end(end)
    {
        m_plan = SelectionPlan::unite(SelectionPlan::forDefinition(a.definition()),
                                      SelectionPlan::forDefinition(b.definition()));
    }

    enum class Outcome { Failed, Found, Equal, SwitchToBlocks, BlockDiffers };
    struct Span
    {
        qint64 from = 0;        ///< both states are equal after every event <= from…
        QByteArray a, b;        ///< …and serialize to these
        qint64 to = 0;          ///< they differ after every event <= to
        qint64 block = 0;
    };

    /// Runs (from, to] from the engines' current states (equal, serialized in `start`). blockSize 0: exact.
    Outcome scan(qint64 from, qint64 to, qint64 blockSize, bool adaptive, bool count, Span* span);

    qint64 lastA = 0, lastB = 0;

private:
    bool step(const Event& e, bool compare, bool* handled, bool* different, QString* part);
    bool fail(const char* side)
    {
        m_error->message = QString::fromLatin1(side) + m_error->message;
        return false;
    }

    JsProjection& m_a;
    JsProjection& m_b;
    EventReader& m_reader;
    DivergenceResult* m_out;
    ProjectionError* m_error;
    const CancelToken& m_cancel;
    const ProgressFn& m_progress;
    qint64 m_end;
    SelectionPlan m_plan;
    qint64 m_probeChars = 0;
};

bool Comparison::step(const Event& e, bool compare, bool* handled, bool* different, QString* diffPart)
{
    *handled = false;
    *different = false;
    QString pa, pb, sa, sb;
    JsProjection::Outcome oa = JsProjection::Outcome::Skipped, ob = JsProjection::Outcome::Skipped;
    if (m_a.selects(e)) {
        oa = compare ? m_a.processCompare(e, &pa, &sa, m_error) : m_a.process(e, &pa, m_error);
        if (oa == JsProjection::Outcome::Failed)
            return fail("projection A: ");
    }
    if (m_b.selects(e)) {
        ob = compare ? m_b.processCompare(e, &pb, &sb, m_error) : m_b.process(e, &pb, m_error);
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
    m_probeChars += sa.size() + sb.size();
    // Until now every partition was equal on both sides, so only the touched ones can differ.
    const char* failedSide = nullptr;
    ProjectionError readError;
    auto stateOf = [&](JsProjection& p, const char* side, const QString& part) {
        const QString text = p.partitionState(part, &readError);
        if (readError.isError() && !failedSide)
            failedSide = side;
        return text;
    };
    auto differs = [&](const QString& part) {
        const QString ta = (ha && pa == part) ? sa : stateOf(m_a, "projection A: ", part);
        const QString tb = (hb && pb == part) ? sb : stateOf(m_b, "projection B: ", part);
        return !failedSide && !sameJson(ta, tb);
    };
    if (ha && differs(pa)) {
        *different = true;
        *diffPart = pa;
    } else if (!failedSide && hb && (!ha || pb != pa) && differs(pb)) {
        *different = true;
        *diffPart = pb;
    } else if (!failedSide && (m_a.definition().biState || m_b.definition().biState)) {
        // Bi-state: any handler may change the shared state.
        const QString xa = m_a.sharedState(&readError);
        if (readError.isError())
            failedSide = "projection A: ";
        const QString xb = failedSide ? QString() : m_b.sharedState(&readError);
        if (!failedSide && readError.isError())
            failedSide = "projection B: ";
        if (!failedSide && !sameJson(xa, xb)) {
            *different = true;
            *diffPart = QString();
        }
    }
    if (failedSide) {
        *m_error = readError;
        return fail(failedSide);
    }
    return true;
}

Comparison::Outcome Comparison::scan(qint64 from, qint64 to, qint64 blockSize, bool adaptive, bool count, Span* span)
{
    bool failed = false, cancelled = false, found = false, switchMode = false, blockDiffers = false;
    qint64 sinceBlock = 0, probeHandled = 0;
    m_probeChars = 0;
    QElapsedTimer blockTimer;
    blockTimer.start();
    QString readError;
    const bool exact = blockSize == 0;
    const bool readOk = readPlanned(m_reader, m_plan, from + 1, to, [&](const Event& e) {
        if (count && (++m_out->eventsRead & 63) == 0) {
            if (m_cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            if (m_progress && (m_out->eventsRead & 1023) == 0)
                m_progress(e.position, m_end, QStringLiteral("comparing projections"));
        }
        bool handled = false, different = false;
        QString part;
        if (!step(e, exact, &handled, &different, &part)) {
            failed = true;
            return false;
        }
        if (handled && count)
            ++m_out->eventsHandled;
        if (exact) {
            if (different) {
                found = true;
                m_out->event = e;
                m_out->partition = part;
                return false;
            }
            if (adaptive && handled && ++probeHandled == kProbeEvents) {
                if (m_probeChars / (2 * kProbeEvents) > kExactMaxAverageChars) {
                    span->from = e.position;
                    switchMode = true;
                    return false;
                }
                probeHandled = 0;
                m_probeChars = 0;
            }
            return true;
        }
        if (!handled || ++sinceBlock < blockSize)
            return true;
        sinceBlock = 0;
        const qint64 handlersMs = blockTimer.restart();
        QByteArray sa, sb;
        if (!m_a.serialize(&sa, e.position, m_error) || !m_b.serialize(&sb, e.position, m_error)) {
            failed = true;
            return false;
        }
        if (!sameBytes(sa, sb)) {
            blockDiffers = true;
            span->to = e.position;
            span->block = blockSize;
            return false;
        }
        span->from = e.position;
        span->a = std::move(sa);
        span->b = std::move(sb);
        // Keep comparing under about a quarter of the time the handlers take.
        if (adaptive && blockTimer.restart() * 4 > handlersMs && blockSize < kMaxBlock)
            blockSize *= 2;
        return true;
    }, &readError);
    if (failed)
        return Outcome::Failed;
    if (!readOk) {
        m_error->kind = ProjectionError::Read;
        m_error->message = QStringLiteral("reading events failed: %1").arg(readError);
        return Outcome::Failed;
    }
    if (cancelled) {
        m_error->kind = ProjectionError::Cancelled;
        m_error->message = QStringLiteral("cancelled");
        return Outcome::Failed;
    }
    if (found)
        return Outcome::Found;
    if (switchMode)
        return Outcome::SwitchToBlocks;
    if (blockDiffers)
        return Outcome::BlockDiffers;
    if (!exact && sinceBlock > 0) {
        // The last, partial block.
        QByteArray sa, sb;
        if (!m_a.serialize(&sa, to, m_error) || !m_b.serialize(&sb, to, m_error))
            return Outcome::Failed;
        if (!sameBytes(sa, sb)) {
            span->to = to;
            span->block = blockSize;
            return Outcome::BlockDiffers;
        }
    }
    return Outcome::Equal;
}

} // namespace

bool findDivergence(JsProjection& a, JsProjection& b, EventReader& reader, DivergenceResult* out,
                    ProjectionError* error, const CancelToken& cancel, const ProgressFn& progress, qint64 toPosition)
{
    *out = {};
    a.reset();
    b.reset();
    Comparison::Span span;
    if (!a.serialize(&span.a, 0, error) || !b.serialize(&span.b, 0, error))
        return false;
    if (!sameBytes(span.a, span.b)) {
        out->found = true;
        out->initial = true;
        return snapshotOf(a, 0, 0, &out->a, error) && snapshotOf(b, 0, 0, &out->b, error);
    }
    const StoreInfo info = reader.info();
    const qint64 end = toPosition == kNoLimit ? info.lastPosition : std::min(toPosition, info.lastPosition);
    Comparison cmp(a, b, reader, out, error, cancel, progress, end);

    Comparison::Outcome o = cmp.scan(0, end, 0, true, true, &span);
    if (o == Comparison::Outcome::SwitchToBlocks) {
        if (!a.serialize(&span.a, span.from, error) || !b.serialize(&span.b, span.from, error))
            return false;
        o = cmp.scan(span.from, end, kFirstBlock, true, true, &span);
    }
    // Narrow a block that ends different: blocks of an eighth of the size, then event by event.
    while (o == Comparison::Outcome::BlockDiffers) {
        if (!a.restore(span.a, error) || !b.restore(span.b, error))
            return false;
        const qint64 size = span.block / 8;
        Comparison::Span inner = span;
        o = cmp.scan(span.from, span.to, size > kExactBlock ? size : 0, false, false, &inner);
        if (o == Comparison::Outcome::Equal) {
            // Only possible when the difference is one a per-event comparison does not see (never expected).
            error->kind = ProjectionError::Load;
            error->message = QStringLiteral("internal error: the states differ after position %1 but no event in "
                                            "(%2, %1] makes them differ").arg(span.to).arg(span.from);
            return false;
        }
        span = inner;
    }
    if (o == Comparison::Outcome::Failed)
        return false;
    out->found = o == Comparison::Outcome::Found;
    const qint64 at = out->found ? out->event.position : end;
    return snapshotOf(a, at, cmp.lastA, &out->a, error) && snapshotOf(b, at, cmp.lastB, &out->b, error);
}

} // namespace chronoscope
