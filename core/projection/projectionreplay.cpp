#include "projection/projectionreplay.h"

#include "diff/jsondiff.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

ProjectionReplay::ProjectionReplay(JsProjection* projection, EventReader* reader, ReplayTuning tuning)
    : m_projection(projection), m_reader(reader), m_tuning(tuning)
{
    m_plan = SelectionPlan::forDefinition(projection->definition());
    refresh();
}

void ProjectionReplay::refresh()
{
    m_end = m_reader->info().lastPosition;
}

qint64 ProjectionReplay::clampTarget(qint64 position) const
{
    if (position == kNoLimit)
        return m_end;
    return std::max<qint64>(0, position);
}

int ProjectionReplay::checkpointIndexAtOrBefore(qint64 position) const
{
    // Checkpoints are in position order.
    auto it = std::upper_bound(m_checkpoints.begin(), m_checkpoints.end(), position,
                               [](qint64 p, const Saved& s) { return p < s.position; });
    return int(it - m_checkpoints.begin()) - 1;
}

bool ProjectionReplay::restoreIndex(int index, ProjectionError* error)
{
    if (index < 0) {
        m_projection->reset();
        m_position = 0;
        m_lastEvent = 0;
        return true;
    }
    const Saved& s = m_checkpoints.at(size_t(index));
    if (!m_projection->restore(s.state, error)) {
        m_position = -1;
        return false;
    }
    m_position = s.position;
    m_lastEvent = s.lastEvent;
    return true;
}

bool ProjectionReplay::restoreBefore(qint64 position, ProjectionError* error)
{
    return restoreIndex(checkpointIndexAtOrBefore(position), error);
}

bool ProjectionReplay::addCheckpoint(qint64 position, ProjectionError* error)
{
    Saved s;
    s.position = position;
    s.lastEvent = m_lastEvent;
    if (!m_projection->serialize(&s.state, position, error))
        return false;
    m_checkpointBytes += s.state.size();
    m_checkpoints.push_back(std::move(s));
    m_sinceHandled = 0;
    m_sinceRead = 0;
    if (int(m_checkpoints.size()) > m_tuning.maxCheckpoints || m_checkpointBytes > m_tuning.maxCheckpointBytes)
        thinCheckpoints();
    return true;
}

void ProjectionReplay::thinCheckpoints()
{
    // Keep the last one (the frontier) and every other one before it; later checkpoints come at twice the spacing.
    std::vector<Saved> kept;
    const size_t n = m_checkpoints.size();
    m_checkpointBytes = 0;
    for (size_t i = 0; i < n; ++i) {
        if ((n - 1 - i) % 2 == 0) {
            m_checkpointBytes += m_checkpoints[i].state.size();
            kept.push_back(std::move(m_checkpoints[i]));
        }
    }
    m_checkpoints = std::move(kept);
    m_tuning.checkpointEveryHandled *= 2;
    m_tuning.checkpointEveryRead *= 2;
    m_tuning.checkpointEveryMs *= 2;
}

bool ProjectionReplay::run(qint64 to, Mode mode, const OnHandled& onHandled, ProjectionError* error,
                           const CancelToken& cancel, const ProgressFn& progress, bool* stopped)
{
    if (stopped)
        *stopped = false;
    if (m_position < 0) {
        error->kind = ProjectionError::Load;
        error->message = QStringLiteral("internal error: the projection has no valid state to continue from");
        return false;
    }
    const qint64 from = m_position + 1;
    if (from > to)
        return true;
    bool failed = false, cancelled = false, stop = false;
    ProjectionError err;
    qint64 count = 0;
    QElapsedTimer sinceCheckpoint;
    sinceCheckpoint.start();
    QString readError;
    const bool readOk = readPlanned(*m_reader, m_plan, from, to, [&](const Event& e) {
        ++m_readTotal;
        if ((++count & 63) == 0) {
            if (cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            if (progress && (count & 1023) == 0)
                progress(e.position, std::max(m_end, to == kNoLimit ? m_end : to), QStringLiteral("replaying projection"));
        }
        bool handled = false, before = false, after = false;
        if (m_projection->selects(e)) {
            JsProjection::Outcome o = JsProjection::Outcome::Skipped;
            switch (mode) {
            case Mode::Plain: o = m_projection->process(e, nullptr, &err); break;
            case Mode::Watch: o = m_projection->processWatch(e, &before, &after, &err); break;
            case Mode::Track: o = m_projection->processTrack(e, &after, &err); break;
            }
            if (o == JsProjection::Outcome::Failed) {
                failed = true;
                return false;
            }
            if (o == JsProjection::Outcome::Handled) {
                handled = true;
                ++m_handledTotal;
                m_lastEvent = e.position;
            }
        }
        m_position = e.position;
        if (e.position > m_frontier) {
            m_frontier = e.position;
            ++m_sinceRead;
            if (handled)
                ++m_sinceHandled;
            if (m_sinceHandled >= m_tuning.checkpointEveryHandled || m_sinceRead >= m_tuning.checkpointEveryRead ||
                (m_tuning.checkpointEveryMs > 0 && (m_sinceRead & 63) == 0 &&
                 sinceCheckpoint.elapsed() >= m_tuning.checkpointEveryMs)) {
                QElapsedTimer t;
                t.start();
                if (!addCheckpoint(e.position, &err)) {
                    failed = true;
                    return false;
                }
                // Serializing a big state is costly: when it takes about as long as the handlers between two
                // checkpoints, space them further apart (seeks then replay more, but the first pass stays fast).
                if (t.elapsed() * 2 > sinceCheckpoint.elapsed() && t.elapsed() > 20) {
                    m_tuning.checkpointEveryHandled *= 2;
                    m_tuning.checkpointEveryRead *= 2;
                    m_tuning.checkpointEveryMs *= 2;
                }
                sinceCheckpoint.restart();
            }
        }
        if (handled && onHandled && !onHandled(e, before, after)) {
            stop = true;
            return false;
        }
        return true;
    }, &readError);
    if (failed) {
        m_position = -1;  // the handlers may have half-changed the state: restore before the next run
        *error = err;
        return false;
    }
    if (!readOk) {
        error->kind = ProjectionError::Read;
        error->file = m_projection->fileName();
        error->message = QStringLiteral("reading events for %1 failed: %2").arg(m_projection->fileName(), readError);
        return false;
    }
    if (cancelled) {
        error->kind = ProjectionError::Cancelled;
        error->message = QStringLiteral("cancelled");
        return false;
    }
    if (stop) {
        if (stopped)
            *stopped = true;
        return true;
    }
    if (m_position < to) {
        m_position = to;
        m_frontier = std::max(m_frontier, to);
    }
    return true;
}

bool ProjectionReplay::seek(qint64 position, ProjectionError* error, const CancelToken& cancel, const ProgressFn& progress)
{
    const qint64 target = clampTarget(position);
    if (m_position == target)
        return true;
    const int idx = checkpointIndexAtOrBefore(target);
    const qint64 cpPos = idx >= 0 ? m_checkpoints[size_t(idx)].position : 0;
    if (!(m_position >= 0 && m_position <= target && m_position >= cpPos)) {
        if (!restoreIndex(idx, error))
            return false;
    }
    return run(target, Mode::Plain, {}, error, cancel, progress);
}

bool ProjectionReplay::stateAt(qint64 position, ProjectionSnapshot* out, ProjectionError* error,
                               const CancelToken& cancel, const ProgressFn& progress)
{
    if (!seek(position, error, cancel, progress))
        return false;
    QByteArray text;
    if (!m_projection->serialize(&text, m_position, error))
        return false;
    if (!m_projection->snapshotFrom(text, out, error))
        return false;
    out->position = m_position;
    out->lastEventPosition = m_lastEvent;
    return true;
}

qint64 ProjectionReplay::positionAtTime(TimeMs time, QString* error)
{
    EventQuery q;
    q.until = time;
    q.backward = true;
    q.limit = 1;
    qint64 pos = 0;
    m_reader->read(q, [&](const Event& e) {
        pos = e.position;
        return false;
    }, error);
    return pos;
}

bool ProjectionReplay::blame(qint64 position, const QString& pointer, ProjectionBlame* out, ProjectionError* error,
                             const CancelToken& cancel, const ProgressFn& progress)
{
    *out = {};
    QString pointerError;
    const std::optional<QStringList> parsed = parseJsonPointer(pointer, &pointerError);
    if (!parsed) {
        error->kind = ProjectionError::Predicate;
        error->message = QStringLiteral("'%1' is not a JSON pointer (it starts with '/', e.g. /total): %2")
                             .arg(pointer, pointerError);
        return false;
    }
    const QStringList tokens = *parsed;
    const ProjectionDefinition& d = m_projection->definition();
    std::optional<QString> partition;
    bool shared = false;
    QStringList rest = tokens;
    const QString first = tokens.value(0);
    if (d.partitioned() || d.biState) {
        const QString stateKey = d.partitioned() ? QStringLiteral("partitions") : QStringLiteral("state");
        if (!tokens.isEmpty() && first == stateKey) {
            rest = tokens.mid(1);
            if (d.partitioned() && !rest.isEmpty()) {
                partition = rest.first();
                rest = rest.mid(1);
            }
        } else if (!tokens.isEmpty() && first == QLatin1String("shared") && d.biState) {
            shared = true;
            rest = tokens.mid(1);
        } else if (!tokens.isEmpty()) {
            error->kind = ProjectionError::Predicate;
            error->message = QStringLiteral("no path %1 in this projection's state: it is {\"%2\": …%3}")
                                 .arg(pointer, stateKey, d.biState ? QStringLiteral(", \"shared\": …") : QString());
            return false;
        }
    }
    ProjectionSnapshot snap;
    if (!stateAt(position, &snap, error, cancel, progress))
        return false;
    const qint64 target = m_position;
    out->value = valueAtPointer(snap.view(), tokens).value_or(QJsonValue(QJsonValue::Undefined));
    out->partition = partition.value_or(QString());
    m_projection->setTrackedPath(partition, shared, rest);

    qint64 upper = target;
    for (int idx = checkpointIndexAtOrBefore(target);; --idx) {
        if (!restoreIndex(idx, error))
            return false;
        Event last;
        bool found = false;
        QString lastPartition;
        if (!run(upper, Mode::Track, [&](const Event& e, bool, bool changed) {
                if (changed) {
                    last = e;
                    found = true;
                    lastPartition = m_projection->lastPartition();
                }
                return true;
            }, error, cancel, {}))
            return false;
        if (found) {
            out->found = true;
            out->event = last;
            out->partition = lastPartition;
            return true;
        }
        if (idx < 0)
            return true;
        upper = m_checkpoints[size_t(idx)].position;
        if (progress)
            progress(target - upper, target, QStringLiteral("searching backward"));
    }
}

bool ProjectionReplay::watch(const QString& predicate, qint64 from, bool backward, bool level, WatchHit* out,
                             ProjectionError* error, const CancelToken& cancel, const ProgressFn& progress)
{
    *out = {};
    if (!m_projection->setWatchPredicate(predicate, error))
        return false;
    auto finish = [&](const Event& e) {
        out->found = true;
        out->event = e;
        out->partition = m_projection->lastPartition();
        QByteArray text;
        if (!m_projection->serialize(&text, e.position, error) || !m_projection->snapshotFrom(text, &out->snapshot, error))
            return false;
        out->snapshot.position = e.position;
        out->snapshot.lastEventPosition = e.position;
        return true;
    };
    if (level && !backward) {
        if (!seek(from, error, cancel, progress))
            return false;
        Event hit;
        bool stopped = false;
        if (!run(kNoLimit, Mode::Watch, [&](const Event& e, bool, bool after) {
                if (!after)
                    return true;
                hit = e;
                return false;
            }, error, cancel, progress, &stopped))
            return false;
        return stopped ? finish(hit) : true;
    }
    if (!level) {
        // "Becomes true" compares the predicate after this event's handlers with its value after the previous
        // event of the same partition (that event, that state), not with the state before the handlers of the
        // same event: a condition on the event alone would be true on both sides and never become true. The
        // value at the previous event depends on the predicate, so it is recomputed from the start of the log.
        const qint64 start = backward ? clampTarget(from) : from;
        if (backward && start <= 1)
            return true;
        const qint64 limit = backward ? start - 1 : kNoLimit;
        QHash<QString, bool> previous;  // partition -> predicate after its last handled event
        Event hit;
        bool found = false, stopped = false;
        if (!restoreIndex(-1, error))
            return false;
        if (!run(limit, Mode::Watch, [&](const Event& e, bool, bool after) {
                const QString part = m_projection->lastPartition();
                const bool becomes = after && !previous.value(part, false);
                previous.insert(part, after);
                if (!becomes || (!backward && e.position <= from))
                    return true;
                hit = e;
                found = true;
                return backward;  // forward stops at the first; backward keeps the last
            }, error, cancel, progress, &stopped))
            return false;
        if (!found)
            return true;
        if (backward && !seek(hit.position, error, cancel, {}))  // the engine right after the hit
            return false;
        return finish(hit);
    }

    // Backward, level: replay one checkpoint interval at a time, newest first, and keep the last match in it.
    const qint64 start = clampTarget(from);
    if (start <= 1)
        return true;
    if (!seek(start, error, cancel, progress))  // builds the checkpoints up to `from` on a first visit
        return false;
    qint64 upper = start - 1;
    for (int idx = checkpointIndexAtOrBefore(upper);; --idx) {
        if (!restoreIndex(idx, error))
            return false;
        Event last;
        bool found = false;
        if (!run(upper, Mode::Watch, [&](const Event& e, bool, bool after) {
                if (after) {
                    last = e;
                    found = true;
                }
                return true;
            }, error, cancel, {}))
            return false;
        if (found) {
            // Put the engine right after the hit to read its state there.
            if (!restoreIndex(idx, error))
                return false;
            if (!run(last.position, Mode::Plain, {}, error, cancel, {}))
                return false;
            return finish(last);
        }
        if (idx < 0)
            return true;
        upper = m_checkpoints[size_t(idx)].position;
        if (progress)
            progress(start - upper, start, QStringLiteral("searching backward"));
    }
}

} // namespace chronoscope
