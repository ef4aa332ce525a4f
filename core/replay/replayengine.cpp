#include "replay/replayengine.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/checkpointcache.h"

#include <QJsonObject>

namespace chronoscope {

namespace {

// A fold that replayed at least this many events leaves its final state in the cache too, so the
// views asking for the same point again (or the diff asking for both ends) pay nothing.
constexpr qint64 kRememberFinalAfter = 64;
// The size estimate of a state is the sum of the data folded into it: an upper bound that only grows.
// Once it passes this and has doubled since the last measure, the state is serialised once to learn
// its real size (amortised: at most once per state-size worth of folded data), so big streams that
// overwrite the same members are not pushed out of the cache by an estimate that keeps growing.
constexpr qint64 kMeasureAbove = qint64(16) << 10;

qint64 bucketOf(qint64 version, qint64 interval)
{
    // Floor division, so that negative versions from odd sources still fall in consistent blocks.
    return version >= 0 ? version / interval : -((-version - 1) / interval) - 1;
}

const QString kCancelled = QStringLiteral("cancelled");

} // namespace

// What a point lets into the fold: a reader query bound, plus the test a checkpoint must pass.
struct ReplayEngine::Bound
{
    qint64 toVersion = kNoLimit;
    qint64 toPosition = kNoLimit;
    TimeMs until = kNoTime;

    bool admits(qint64 version, qint64 position, TimeMs time, bool timeless) const
    {
        if (version > toVersion || position > toPosition)
            return false;
        return until == kNoTime || (!timeless && time != kNoTime && time <= until);
    }
};

struct ReplayEngine::Start
{
    QJsonValue state = QJsonObject();
    bool fromCheckpoint = false;
    qint64 version = 0;            ///< the checkpoint's version (when fromCheckpoint)
    std::optional<Event> event;    ///< the checkpoint's last event, when known
    qint64 estimate = 2;
    qint64 position = 0;
    TimeMs time = kNoTime;
    bool timeless = false;
};

struct ReplayEngine::Fold
{
    QJsonValue state;
    std::optional<Event> last;
    qint64 applied = 0;
    qint64 position = 0;  ///< largest position folded so far (checkpoint included)
    TimeMs time = kNoTime;
    bool timeless = false;
    QString error;
};

ReplayEngine::ReplayEngine(EventReader& reader, ReplayOptions options)
    : m_reader(reader), m_options(options),
      m_cache(std::make_unique<CheckpointCache>(options.cacheBudgetBytes, options.maxCheckpoints))
{
    if (m_options.checkpointInterval < 1)
        m_options.checkpointInterval = 1;
}

ReplayEngine::~ReplayEngine() = default;

void ReplayEngine::clearCache()
{
    m_cache->clear();
    m_knownStreams.clear();
}

qsizetype ReplayEngine::cachedCheckpoints() const
{
    return m_cache->size();
}

qint64 ReplayEngine::cachedBytes() const
{
    return m_cache->bytes();
}

QString ReplayEngine::unknownStream(const QString& stream) const
{
    return QStringLiteral("unknown stream \"%1\"").arg(stream);
}

bool ReplayEngine::streamExists(const QString& stream, QString* error)
{
    if (m_knownStreams.contains(stream))
        return true;
    // A count, not a one-event read: the native store answers it from its stream summary, while
    // "first event of the stream" ordered by position may walk the whole log.
    EventQuery q;
    q.stream = stream;
    QString why;
    const qint64 n = m_reader.count(q, &why);
    if (n < 0) {
        if (error)
            *error = QStringLiteral("reading stream \"%1\": %2").arg(stream, why);
        return false;
    }
    if (n > 0)
        m_knownStreams.insert(stream);
    return n > 0;
}

std::optional<Event> ReplayEngine::eventWithVersion(const QString& stream, qint64 version, QString* error)
{
    EventQuery q;
    q.stream = stream;
    q.fromVersion = version;
    q.toVersion = version;
    std::optional<Event> found;
    QString why;
    if (!m_reader.read(q, [&found](const Event& e) { found = e; return true; }, &why)) {
        *error = QStringLiteral("reading stream \"%1\": %2").arg(stream, why);
        return std::nullopt;
    }
    return found;
}

ReplayEngine::Bound ReplayEngine::boundOf(const Point& point)
{
    Bound b;
    switch (point.kind) {
    case Point::End: break;
    case Point::Version: b.toVersion = point.value; break;
    case Point::Position: b.toPosition = point.value; break;
    case Point::Time: b.until = point.value; break;
    }
    return b;
}

ReplayEngine::Start ReplayEngine::startFor(const QString& stream, const Bound& bound, qint64 maxStartVersion)
{
    Start s;
    maxStartVersion = std::min(maxStartVersion, bound.toVersion);
    const CachedCheckpoint* mem = m_cache->bestAtOrBefore(stream, maxStartVersion, [&bound](const CachedCheckpoint& c) {
        return bound.admits(c.version, c.position, c.time, c.timeless);
    });
    if (mem) {
        s.state = mem->state;
        s.fromCheckpoint = true;
        s.version = mem->version;
        s.event = mem->event;
        s.estimate = mem->bytes;
        s.position = mem->position;
        s.time = mem->time;
        s.timeless = mem->timeless;
    }
    Point p = Point::end();
    if (maxStartVersion != kNoLimit)
        p = Point::atVersion(maxStartVersion);
    else if (bound.toPosition != kNoLimit)
        p = Point::atPosition(bound.toPosition);
    else if (bound.until != kNoTime)
        p = Point::atTime(bound.until);
    const auto persisted = m_reader.checkpointBefore(kProjection, stream, p);
    if (!persisted || persisted->version > maxStartVersion || (s.fromCheckpoint && persisted->version <= s.version))
        return s;
    if (!persisted->stream.isEmpty() && persisted->stream != stream)
        return s;
    if (!bound.admits(persisted->version, persisted->position, persisted->time, false))
        return s;
    // Persisted checkpoint text must parse exactly (numbers kept as written, like event data); unlike
    // event data, a broken one is ignored, not taken as a string.
    const auto state = parseJsonStrict(persisted->state);
    if (!state)
        return s;
    s.state = *state;
    s.fromCheckpoint = true;
    s.version = persisted->version;
    s.event.reset();
    s.estimate = persisted->state.size();
    s.position = persisted->position;
    s.time = persisted->time;
    s.timeless = false;
    // Parsed once: later seeks near it start from the cached value instead of parsing again.
    if (!m_unordered.contains(stream)) {
        CachedCheckpoint c;
        c.version = s.version;
        c.state = s.state;
        c.bytes = s.estimate;
        c.position = s.position;
        c.time = s.time;
        m_cache->insert(stream, std::move(c));
    }
    return s;
}

void ReplayEngine::remember(const QString& stream, const Fold& f, qint64& estimate, qint64& measured)
{
    if (m_unordered.contains(stream) || m_cache->contains(stream, f.last->version))
        return;
    if (estimate > kMeasureAbove && estimate > 2 * measured) {
        estimate = toJsonText(f.state).size();
        measured = estimate;
    }
    CachedCheckpoint c;
    c.version = f.last->version;
    c.state = f.state;
    c.event = f.last;
    c.bytes = estimate;
    c.position = f.position;
    c.time = f.time;
    c.timeless = f.timeless;
    m_cache->insert(stream, std::move(c));
}

bool ReplayEngine::fold(const QString& stream, Start& start, const Bound& bound, const CancelToken& cancel,
                        const Probe& probe, Fold& out)
{
    out.state = std::move(start.state);
    start.state = QJsonValue();
    out.last = start.event;
    out.applied = 0;
    out.position = start.position;
    out.time = start.time;
    out.timeless = start.timeless;
    if (cancel.isCancelled()) {
        out.error = kCancelled;
        return false;
    }
    const qint64 interval = m_options.checkpointInterval;
    qint64 estimate = start.estimate;
    qint64 measured = start.estimate;
    bool cancelled = false;
    bool reached = false;  // met the first event past a position/time point
    const auto visit = [&](const Event& e) {
        if (cancel.isCancelled()) {
            cancelled = true;
            return false;
        }
        if (e.position > bound.toPosition || (bound.until != kNoTime && (e.time == kNoTime || e.time > bound.until))) {
            reached = true;
            return false;
        }
        if (out.applied > 0) {
            if (e.version < out.last->version) {
                // Versions going backwards in stream order: checkpoints keyed by version would be
                // wrong for this stream. Fold it as read, but never cache it again.
                if (!m_unordered.contains(stream)) {
                    m_unordered.insert(stream);
                    m_cache->removeStream(stream);
                }
            } else if (bucketOf(out.last->version, interval) != bucketOf(e.version, interval)) {
                // The state is complete for a version only once the next version shows up (versions
                // may repeat in dirty sources), so a block's last event is remembered here.
                remember(stream, out, estimate, measured);
            }
        }
        applyMergePatch(out.state, parseJsonValue(e.data));
        estimate += e.data.size();
        out.last = e;
        ++out.applied;
        out.position = std::max(out.position, e.position);
        if (e.time == kNoTime)
            out.timeless = true;
        else if (out.time == kNoTime || e.time > out.time)
            out.time = e.time;
        if (probe)
            probe(e, out.state);
        return true;
    };

    EventQuery q;
    q.stream = stream;
    if (start.fromCheckpoint)
        q.fromVersion = start.version + 1;
    q.toVersion = bound.toVersion;
    QString why;
    bool ok = true;
    if (bound.toPosition == kNoLimit && bound.until == kNoTime) {
        // Version or End: one version-range query, exactly the events to fold.
        ok = m_reader.read(q, visit, &why);
    } else {
        // Position or time: the fold stops at the stream's first event past the point. Read in
        // growing version ranges, so that only about as many events as are folded are read: a
        // position or time filter in the query would make a store test every later event of the
        // stream (time is not in its stream index), and would fold events that come after a
        // later-stamped one, giving a state the stream never had.
        qint64 chunk = std::max<qint64>(interval, 64);
        qint64 from = q.fromVersion;
        while (ok && !reached && !cancelled) {
            q.fromVersion = from;
            q.toVersion = from > kNoLimit - chunk ? kNoLimit : from + chunk - 1;
            qint64 got = 0;
            ok = m_reader.read(q, [&](const Event& e) { ++got; return visit(e); }, &why);
            if (!ok || reached || cancelled || q.toVersion == kNoLimit)
                break;
            from = q.toVersion + 1;
            if (got < q.toVersion - q.fromVersion + 1) {
                // Fewer events than versions in the range: the stream has gaps or has ended. A count
                // on the stream's version index tells which (a "first event from here" query with a
                // limit would let SQLite walk the whole log in position order looking for one).
                EventQuery rest;
                rest.stream = stream;
                rest.fromVersion = from;
                const qint64 left = m_reader.count(rest, &why);
                if (left < 0) {
                    ok = false;
                    break;
                }
                if (left == 0)
                    break;
                if (got == 0) {  // a wide gap: widen fast, so crossing it takes few reads
                    chunk = chunk > kNoLimit / 8 ? kNoLimit : chunk * 8;
                    continue;
                }
            }
            chunk = std::min<qint64>(chunk * 2, 16384);
        }
    }
    if (cancelled) {
        out.error = kCancelled;
        return false;
    }
    if (!ok) {
        out.error = QStringLiteral("reading stream \"%1\": %2").arg(stream, why);
        return false;
    }
    if (out.applied >= kRememberFinalAfter)
        remember(stream, out, estimate, measured);
    return true;
}

StateResult ReplayEngine::stateAt(const QString& stream, const Point& point, const CancelToken& cancel)
{
    StateResult r;
    r.state = QJsonObject();
    if (cancel.isCancelled()) {
        r.error = kCancelled;
        return r;
    }
    const Bound bound = boundOf(point);
    Start s = startFor(stream, bound, kNoLimit);
    r.fromCheckpoint = s.fromCheckpoint;
    const qint64 checkpointVersion = s.version;
    Fold f;
    if (!fold(stream, s, bound, cancel, {}, f)) {
        r.error = f.error;
        return r;
    }
    r.state = f.state;
    r.eventsApplied = f.applied;
    r.lastEvent = f.last;
    QString err;
    if (!r.lastEvent && r.fromCheckpoint)
        r.lastEvent = eventWithVersion(stream, checkpointVersion, &err);
    if (!r.lastEvent && !r.fromCheckpoint && !streamExists(stream, &err))
        r.error = err.isEmpty() ? unknownStream(stream) : err;
    if (!err.isEmpty() && r.error.isEmpty())
        r.error = err;
    return r;
}

EventChange ReplayEngine::changeAt(const QString& stream, qint64 version, const CancelToken& cancel)
{
    EventChange c;
    QString err;
    const auto e = eventWithVersion(stream, version, &err);
    if (!e) {
        if (err.isEmpty()) {
            const bool exists = streamExists(stream, &err);
            if (err.isEmpty())
                err = exists ? QStringLiteral("stream \"%1\" has no event with version %2").arg(stream).arg(version)
                             : unknownStream(stream);
        }
        c.error = err;
        return c;
    }
    return changeAt(*e, cancel);
}

EventChange ReplayEngine::changeAt(const Event& event, const CancelToken& cancel)
{
    EventChange c;
    c.event = event;
    const StateResult before = stateAt(event.stream, Point::atVersion(event.version - 1), cancel);
    if (!before.ok()) {
        c.error = before.error;
        return c;
    }
    c.before = before.state;
    c.after = before.state;
    applyMergePatch(c.after, parseJsonValue(event.data));
    c.patch = diffJson(c.before, c.after);
    return c;
}

StateDiff ReplayEngine::diff(const QString& stream, const Point& from, const Point& to, const CancelToken& cancel)
{
    StateDiff d;
    const StateResult a = stateAt(stream, from, cancel);
    if (!a.ok()) {
        d.error = a.error;
        return d;
    }
    const StateResult b = stateAt(stream, to, cancel);
    if (!b.ok()) {
        d.error = b.error;
        return d;
    }
    d.from = a.state;
    d.to = b.state;
    d.patch = diffJson(d.from, d.to);
    return d;
}

BlameResult ReplayEngine::blame(const QString& stream, const QString& jsonPointer, const Point& point,
                                const CancelToken& cancel)
{
    BlameResult r;
    QString err;
    const auto tokens = parseJsonPointer(jsonPointer, &err);
    if (!tokens) {
        r.error = err;
        return r;
    }
    const auto notFound = [&](BlameResult& res) {
        QString why;
        if (!streamExists(stream, &why))
            res.error = why.isEmpty() ? unknownStream(stream) : why;
        else
            res.error = QStringLiteral("path not found");
        return res;
    };
    // Walk back one checkpoint segment at a time: fold (checkpoint, point] watching the value at the
    // pointer; the newest segment with a change holds the answer. With checkpoints (persisted, or
    // cached by earlier folds) the cost grows with how far back the last change is, not with the
    // stream's or the store's size; without any, the first segment is the stream up to the point,
    // and folding it fills the cache for the next blame. Every event at or below a
    // checkpoint the point admits is itself admitted, so older segments are bounded by version only.
    Bound segment = boundOf(point);
    qint64 maxStart = kNoLimit;
    for (;;) {
        Start s = startFor(stream, segment, maxStart);
        const bool fromCheckpoint = s.fromCheckpoint;
        const qint64 checkpointVersion = s.version;
        std::optional<QJsonValue> current = valueAtPointer(s.state, *tokens);
        std::optional<Event> changed;
        const Probe probe = [&](const Event& e, const QJsonValue& state) {
            std::optional<QJsonValue> now = valueAtPointer(state, *tokens);
            if (now.has_value() != current.has_value() || (now && *now != *current))
                changed = e;
            current = std::move(now);
        };
        Fold f;
        if (!fold(stream, s, segment, cancel, probe, f)) {
            r.error = f.error;
            return r;
        }
        if (changed) {
            r.event = changed;
            r.removed = !current.has_value();
            r.value = current ? *current : QJsonValue(QJsonValue::Undefined);
            return r;
        }
        if (!fromCheckpoint)
            break;
        segment = Bound{};
        segment.toVersion = checkpointVersion;
        maxStart = checkpointVersion - 1;
    }
    return notFound(r);
}

} // namespace chronoscope
