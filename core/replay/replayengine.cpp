#include "replay/replayengine.h"

#include "diff/jsondiff.h"
#include "diff/mergepatch.h"
#include "replay/checkpointcache.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace chronoscope {

namespace {

// A fold that replayed at least this many events leaves its final state in the cache too, so the
// views asking for the same point again (or the diff asking for both ends) pay nothing.
constexpr qint64 kRememberFinalAfter = 64;
// Above this estimate the state is serialised once to learn its real size: the estimate (the sum of
// the data folded into it) only grows, and would otherwise push big streams out of the cache.
constexpr qint64 kMeasureAbove = qint64(1) << 20;

qint64 bucketOf(qint64 version, qint64 interval)
{
    // Floor division, so that negative versions from odd sources still fall in consistent blocks.
    return version >= 0 ? version / interval : -((-version - 1) / interval) - 1;
}

// Persisted checkpoint text must parse exactly; unlike event data, a broken one is ignored, not
// taken as a string.
std::optional<QJsonValue> parseStrict(const QByteArray& text)
{
    const QByteArray t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    QJsonParseError err;
    if (t.front() == '{' || t.front() == '[') {
        const QJsonDocument doc = QJsonDocument::fromJson(t, &err);
        if (err.error != QJsonParseError::NoError)
            return std::nullopt;
        return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    }
    const QJsonDocument doc = QJsonDocument::fromJson("[" + t + "]", &err);
    if (err.error != QJsonParseError::NoError || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
}

const QString kCancelled = QStringLiteral("cancelled");

} // namespace

struct ReplayEngine::Start
{
    QJsonValue state = QJsonObject();
    bool fromCheckpoint = false;
    qint64 version = 0;            ///< the checkpoint's version (when fromCheckpoint)
    std::optional<Event> event;    ///< the checkpoint's last event, when known
    qint64 estimate = 2;
};

struct ReplayEngine::Fold
{
    QJsonValue state;
    std::optional<Event> last;
    qint64 applied = 0;
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
    EventQuery q;
    q.stream = stream;
    q.limit = 1;
    bool found = false;
    if (!m_reader.read(q, [&found](const Event&) { found = true; return false; }, error))
        return false;
    if (found)
        m_knownStreams.insert(stream);
    return found;
}

std::optional<Event> ReplayEngine::lastEventUpTo(const QString& stream, const Point& point, QString* error)
{
    EventQuery q;
    q.stream = stream;
    q.backward = true;
    q.limit = 1;
    if (point.kind == Point::Position)
        q.toPosition = point.value;
    else if (point.kind == Point::Time)
        q.until = point.value;
    std::optional<Event> found;
    QString why;
    if (!m_reader.read(q, [&found](const Event& e) { found = e; return false; }, &why)) {
        *error = QStringLiteral("reading stream \"%1\": %2").arg(stream, why);
        return std::nullopt;
    }
    return found;
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

ReplayEngine::Start ReplayEngine::startFor(const QString& stream, qint64 maxVersion)
{
    Start s;
    if (const CachedCheckpoint* mem = m_cache->bestAtOrBefore(stream, maxVersion)) {
        s.state = mem->state;
        s.fromCheckpoint = true;
        s.version = mem->version;
        s.event = mem->event;
        s.estimate = mem->bytes;
    }
    const Point p = maxVersion == kNoLimit ? Point::end() : Point::atVersion(maxVersion);
    const auto persisted = m_reader.checkpointBefore(kProjection, stream, p);
    if (!persisted || persisted->version > maxVersion || (s.fromCheckpoint && persisted->version <= s.version))
        return s;
    if (!persisted->stream.isEmpty() && persisted->stream != stream)
        return s;
    const auto state = parseStrict(persisted->state);
    if (!state)
        return s;
    s.state = *state;
    s.fromCheckpoint = true;
    s.version = persisted->version;
    s.event.reset();
    s.estimate = persisted->state.size();
    // Parsed once: later seeks near it start from the cached value instead of parsing again.
    m_cache->insert(stream, CachedCheckpoint{s.version, s.state, std::nullopt, s.estimate});
    return s;
}

void ReplayEngine::remember(const QString& stream, const Event& last, const QJsonValue& state, qint64& estimate)
{
    if (m_cache->contains(stream, last.version))
        return;
    if (estimate > kMeasureAbove)
        estimate = toJsonText(state).size();
    m_cache->insert(stream, CachedCheckpoint{last.version, state, last, estimate});
}

bool ReplayEngine::fold(const QString& stream, Start& start, qint64 toVersion, const CancelToken& cancel,
                        const Probe& probe, Fold& out)
{
    out.state = std::move(start.state);
    start.state = QJsonValue();
    out.last = start.event;
    out.applied = 0;
    if (cancel.isCancelled()) {
        out.error = kCancelled;
        return false;
    }
    EventQuery q;
    q.stream = stream;
    if (start.fromCheckpoint)
        q.fromVersion = start.version + 1;
    q.toVersion = toVersion;
    const qint64 interval = m_options.checkpointInterval;
    qint64 estimate = start.estimate;
    bool cancelled = false;
    // Checkpoints are only right while versions come in order; a source that returns them out of
    // order still gets folded (in its order) but leaves no checkpoints behind.
    bool ordered = true;
    QString why;
    const bool ok = m_reader.read(
        q,
        [&](const Event& e) {
            if (cancel.isCancelled()) {
                cancelled = true;
                return false;
            }
            if (out.applied > 0) {
                if (e.version < out.last->version)
                    ordered = false;
                // The state is complete for a version only once the next version shows up (versions
                // may repeat in dirty sources), so the block's last event is remembered here.
                else if (ordered && bucketOf(out.last->version, interval) != bucketOf(e.version, interval))
                    remember(stream, *out.last, out.state, estimate);
            }
            applyMergePatch(out.state, parseJsonValue(e.data));
            estimate += e.data.size();
            out.last = e;
            ++out.applied;
            if (probe)
                probe(e, out.state);
            return true;
        },
        &why);
    if (cancelled) {
        out.error = kCancelled;
        return false;
    }
    if (!ok) {
        out.error = QStringLiteral("reading stream \"%1\": %2").arg(stream, why);
        return false;
    }
    if (ordered && out.applied >= kRememberFinalAfter)
        remember(stream, *out.last, out.state, estimate);
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
    qint64 toVersion = kNoLimit;
    std::optional<Event> target;
    switch (point.kind) {
    case Point::End:
        break;
    case Point::Version:
        toVersion = point.value;
        break;
    case Point::Position:
    case Point::Time: {
        QString err;
        target = lastEventUpTo(stream, point, &err);
        if (!err.isEmpty()) {
            r.error = err;
            return r;
        }
        if (!target) {
            if (!streamExists(stream, &err))
                r.error = err.isEmpty() ? unknownStream(stream) : err;
            return r;  // before the stream's first event: {}
        }
        toVersion = target->version;
        break;
    }
    }
    Start s = startFor(stream, toVersion);
    r.fromCheckpoint = s.fromCheckpoint;
    const qint64 checkpointVersion = s.version;
    Fold f;
    if (!fold(stream, s, toVersion, cancel, {}, f)) {
        r.error = f.error;
        return r;
    }
    r.state = f.state;
    r.eventsApplied = f.applied;
    r.lastEvent = f.last;
    QString err;
    if (!r.lastEvent && r.fromCheckpoint)
        r.lastEvent = target ? target : eventWithVersion(stream, checkpointVersion, &err);
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
        if (err.isEmpty())
            err = streamExists(stream, &err) ? QStringLiteral("stream \"%1\" has no event with version %2").arg(stream).arg(version)
                                             : unknownStream(stream);
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
    qint64 hi = kNoLimit;
    if (point.kind == Point::Version) {
        hi = point.value;
    } else if (point.kind != Point::End) {
        const auto target = lastEventUpTo(stream, point, &err);
        if (!err.isEmpty()) {
            r.error = err;
            return r;
        }
        if (!target)
            return notFound(r);
        hi = target->version;
    }
    // Walk back one checkpoint segment at a time: fold (checkpoint, hi] watching the value at the
    // pointer; the newest segment with a change holds the answer. Cost grows with how far back the
    // last change is, not with the stream's or the store's size.
    for (;;) {
        Start s = startFor(stream, hi == kNoLimit ? kNoLimit : hi - 1);
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
        if (!fold(stream, s, hi, cancel, probe, f)) {
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
        hi = checkpointVersion;
    }
    return notFound(r);
}

} // namespace chronoscope
