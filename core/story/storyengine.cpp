#include "story/storyengine.h"

#include "findings/annotations.h"
#include "story/correlationindex.h"
#include "story/sharedscan.h"

#include "diff/jsondiff.h"
#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "projection/divergence.h"
#include "projection/jsprojection.h"
#include "projection/projectionreplay.h"
#include "replay/replayengine.h"
#include "util/stagetimes.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>
#include <QStandardPaths>
#include <QTimeZone>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <pthread.h>
#include <thread>

namespace chronoscope::story {

struct StoryEngine::Projection
{
    std::unique_ptr<JsProjection> js;
    std::unique_ptr<ProjectionReplay> replay;
    QString error;
};

/// The correlation index opened on a thread of its own while the chapters and projections start.
struct StoryEngine::IndexBuild
{
    std::unique_ptr<CorrelationIndex> index; ///< null when it could not be opened there
    std::promise<StoreInfo> infoPromise;     ///< the store's info(), the first thing that thread asks
    std::shared_future<StoreInfo> info = infoPromise.get_future().share();
    std::thread thread;
    ~IndexBuild()
    {
        if (thread.joinable()) thread.join();
    }
};

StoryEngine::StoryEngine(const Story& story, EventReader& reader)
    : m_story(story), m_reader(reader), m_locale(story.locale)
{}

StoryEngine::~StoryEngine() = default;

bool jsonEqualByValue(const QJsonValue& a, const QJsonValue& b)
{
    if (isJsonNumber(a) && isJsonNumber(b))
        return jsonNumberText(a) == jsonNumberText(b) || jsonNumberToDouble(a) == jsonNumberToDouble(b);
    if (isJsonNumber(a) != isJsonNumber(b)) return false;
    if (a.isObject() && b.isObject()) {
        const QJsonObject x = a.toObject(), y = b.toObject();
        if (x.size() != y.size()) return false;
        for (auto it = x.begin(); it != x.end(); ++it)
            if (!y.contains(it.key()) || !jsonEqualByValue(it.value(), y.value(it.key()))) return false;
        return true;
    }
    if (a.isArray() && b.isArray()) {
        const QJsonArray x = a.toArray(), y = b.toArray();
        if (x.size() != y.size()) return false;
        for (qsizetype i = 0; i < x.size(); ++i)
            if (!jsonEqualByValue(x[i], y[i])) return false;
        return true;
    }
    return a == b;
}

bool LiveMatch::matches(const Event& e) const
{
    if (!enabled) return false;
    if (!type.isEmpty() && !globMatch(type, e.type)) return false;
    if (!stream.isEmpty() && !globMatch(stream, e.stream)) return false;
    if (!pointer.isEmpty()) {
        const QJsonValue data = parseJsonValue(e.data);
        const std::optional<QJsonValue> v = valueAtPointer(data, pointer);
        if (!v || !equals || !jsonEqualByValue(*v, *equals)) return false;
    }
    return true;
}

namespace {

const auto kLoaded = std::chrono::steady_clock::now(); // about when the process started

double threadCpuMs()
{
    return StageTimes::threadCpu() * 1e3;
}

/// Where a check spends its time, on stderr when CHRONOSCOPE_STORY_TIMING is set (docs/stories.md): the
/// time since start, since this thread's previous line, and this thread's CPU time.
class StageTimer
{
public:
    explicit StageTimer(QString what) : m_what(std::move(what)) {}
    static bool on()
    {
        static const bool enabled = !qEnvironmentVariableIsEmpty("CHRONOSCOPE_STORY_TIMING");
        return enabled;
    }
    static double sinceStart()
    {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - kLoaded).count();
    }
    void stage(const QString& label) const
    {
        if (!on()) return;
        thread_local double last = 0;
        const double now = sinceStart();
        std::fprintf(stderr, "[story timing] %7.0f ms  %s: %s (+%.0f ms; this thread's CPU %.0f ms)\n", now,
                     qPrintable(m_what), qPrintable(label), now - last, threadCpuMs());
        last = now;
    }
    void note(const QString& text) const
    {
        if (on()) std::fprintf(stderr, "[story timing]             %s\n", qPrintable(text));
    }

private:
    QString m_what;
};

/// A glob without wildcards names one stream: it is read directly, without listing every stream.
bool allLiteral(const QStringList& globs)
{
    for (const QString& g : globs)
        for (const QChar ch : g)
            if (ch == u'*' || ch == u'?' || ch == u'[' || ch == u'\\') return false;
    return true;
}

bool matchesAny(const QStringList& globs, const QString& stream)
{
    for (const QString& g : globs)
        if (globMatch(g, stream)) return true;
    return false;
}

QString hhmmss(TimeMs t)
{
    if (t == kNoTime) return {};
    return QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc()).toString(QStringLiteral("HH:mm:ss"));
}

QString shortJson(const QJsonValue& v, int max = 160)
{
    QString s = QString::fromUtf8(toJsonText(v));
    if (s.size() > max) s = s.left(max - 1) + u'…';
    return s;
}

} // namespace

bool StoryEngine::readRange(const EventQuery& q, const QStringList& narrow, QList<Event>* out, QString* error)
{
    bool tooMany = false;
    const bool ok = m_reader.read(
        q,
        [&](const Event& e) {
            if (!narrow.isEmpty() && !matchesAny(narrow, e.stream)) return true;
            if (out->size() >= kMaxBeats) {
                tooMany = true;
                return false;
            }
            out->append(e);
            return true;
        },
        error);
    if (tooMany) {
        *error = QStringLiteral("more than %1 events; narrow the chapter with \"streams\" or a smaller range")
                     .arg(kMaxBeats);
        return false;
    }
    return ok;
}

bool StoryEngine::ensureCorrelations(QString* error)
{
    if (m_correlationsRead) return true;
    // The store keeps no index of metadata: the correlation index (built once per store by a metadata-only
    // scan and kept in the cache root) gives each id's candidate positions, and only those events are read.
    QSet<QString> wanted;
    for (int i = 0; i < m_story.chapters.size(); ++i) {
        const Anchor& a = m_story.chapters[i].anchor;
        if (a.kind == Anchor::Kind::Correlation) wanted.insert(a.correlation);
        if (a.kind == Anchor::Kind::Annotation && a.annotationFocus) {
            QString ignored; // reported when that chapter is resolved
            if (const Event* e = annotationEvent(i, &ignored); e && !e->correlationId().isEmpty())
                wanted.insert(e->correlationId());
        }
    }
    if (wanted.isEmpty()) {
        m_correlationsRead = true;
        return true;
    }
    if (!m_correlationIndex && m_indexBuild) {
        m_indexBuild->thread.join();
        m_correlationIndex = std::move(m_indexBuild->index); // null: opened here, with the same error
        m_indexBuild.reset();
    }
    if (!m_correlationIndex) {
        StageTimer timer(QStringLiteral("correlation index"));
        auto index = std::make_unique<CorrelationIndex>();
        if (!index->open(knownInfoReader(), m_cacheDir, error)) return false;
        m_correlationIndex = std::move(index);
        timer.stage(QStringLiteral("opened"));
    }
    for (int attempt = 0;; ++attempt) {
        m_correlations.clear();
        bool stale = false;
        qint64 kept = 0;
        for (const QString& id : std::as_const(wanted)) {
            QList<Event>& events = m_correlations[id];
            for (const qint64 p : m_correlationIndex->candidates(id.toUtf8())) {
                QString why;
                const auto e = m_reader.eventAt(p, &why);
                if (!e || !m_correlationIndex->stillMatches(p, e->metadata)) {
                    stale = true; // the store changed since the index was built
                    break;
                }
                if (e->correlationId() != id) continue; // a hash collision, or the id nested deeper
                if (++kept > kMaxBeats * 4) {
                    *error = QStringLiteral("the correlations named by the story hold more than %1 events")
                                 .arg(kMaxBeats * 4);
                    return false;
                }
                events << *e;
            }
            if (stale) break;
        }
        if (!stale) break;
        if (attempt > 0) {
            *error = QStringLiteral("the store changes while it is read (the correlation index does not match "
                                    "it after a rebuild)");
            return false;
        }
        if (!m_correlationIndex->rebuild(m_reader, error)) return false;
    }
    m_correlationsRead = true;
    return true;
}

const Annotation* StoryEngine::note(const QString& id, QString* error)
{
    const QString identity =
        AnnotationSet::storeIdentity(m_storeUri.isEmpty() ? storeInfo().location : m_storeUri);
    if (!m_notes) {
        m_notes = std::make_unique<AnnotationSet>(AnnotationSet::load(identity, &m_notesError));
    }
    if (!m_notesError.isEmpty()) {
        *error = QStringLiteral("note '%1': the notes of %2 cannot be read: %3").arg(id, identity, m_notesError);
        return nullptr;
    }
    const Annotation* n = m_notes->find(id);
    if (!n) {
        const qsizetype count = m_notes->notes().size();
        *error = count == 0 ? QStringLiteral("no note '%1': the store %2 has no notes (looked in %3)")
                                  .arg(id, identity, AnnotationSet::sidecarPath(identity))
                            : QStringLiteral("no note '%1' among the %2 notes of %3 (%4)")
                                  .arg(id)
                                  .arg(count)
                                  .arg(identity, AnnotationSet::sidecarPath(identity));
    }
    return n;
}

const Event* StoryEngine::annotationEvent(int chapter, QString* error)
{
    if (auto it = m_annotationEvents.find(chapter); it != m_annotationEvents.end()) return &it->second;
    const QString id = m_story.chapters[chapter].anchor.annotation;
    const Annotation* n = note(id, error);
    if (!n) return nullptr;
    if (n->position <= 0) {
        *error = QStringLiteral("note '%1' marks a time range, not an event: use it as \"range\": "
                                "{\"annotation\": \"%1\"}")
                     .arg(id);
        return nullptr;
    }
    QString why;
    const auto e = m_reader.eventAt(n->position, &why);
    // The note keeps its event's id so that a store read again with other positions is noticed.
    if (!e || (!n->eventId.isEmpty() && e->id != n->eventId)) {
        *error = QStringLiteral("note '%1' is pinned to event %2 at position %3, which this store does not hold "
                                "there%4")
                     .arg(id, n->eventId.isEmpty() ? QStringLiteral("(no id)") : n->eventId)
                     .arg(n->position)
                     .arg(why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why));
        return nullptr;
    }
    return &m_annotationEvents.emplace(chapter, *e).first->second;
}

const ResolvedChapter* StoryEngine::chapter(int index, QString* error)
{
    if (auto it = m_chapters.find(index); it != m_chapters.end()) return &it->second;
    if (index < 0 || index >= m_story.chapters.size()) {
        *error = QStringLiteral("no chapter %1").arg(index + 1);
        return nullptr;
    }
    // The indexes every chapter of a kind shares are built with the first chapter resolved, so later
    // chapters pay only for their own events.
    if (!m_streamsRead)
        for (const Chapter& other : m_story.chapters)
            if (other.anchor.kind == Anchor::Kind::Streams && !allLiteral(other.anchor.streams)) {
                m_streams = m_reader.streams();
                m_streamsRead = true;
                break;
            }
    const Chapter& c = m_story.chapters[index];
    ResolvedChapter r;
    r.index = index;
    QString why;
    bool ok = true;
    const Anchor& a = c.anchor;
    switch (a.kind) {
    case Anchor::Kind::Continue: {
        qint64 from = 1;
        if (index > 0) {
            const ResolvedChapter* prev = chapter(index - 1, error);
            if (!prev) return nullptr;
            from = prev->lastPosition + 1;
        }
        EventQuery q;
        q.fromPosition = from;
        ok = readRange(q, c.streams, &r.beats, &why);
        break;
    }
    case Anchor::Kind::Range: {
        EventQuery q;
        q.fromPosition = a.fromPosition;
        q.toPosition = a.toPosition;
        q.since = a.fromTime;
        q.until = a.toTime;
        ok = readRange(q, c.streams, &r.beats, &why);
        break;
    }
    case Anchor::Kind::Correlation: {
        ok = ensureCorrelations(&why);
        if (ok)
            for (const Event& e : m_correlations.value(a.correlation))
                if (c.streams.isEmpty() || matchesAny(c.streams, e.stream)) r.beats << e;
        break;
    }
    case Anchor::Kind::Annotation: {
        if (!a.annotationFocus) {
            const Annotation* n = note(a.annotation, &why);
            if (!n) {
                ok = false;
                break;
            }
            EventQuery q;
            if (n->from != kNoTime || n->to != kNoTime) {
                q.since = n->from;
                q.until = n->to;
            } else if (n->position > 0) { // a note on an event without time: that event
                q.fromPosition = q.toPosition = n->position;
            } else {
                why = QStringLiteral("note '%1' has neither a time range nor an event").arg(a.annotation);
                ok = false;
                break;
            }
            ok = readRange(q, c.streams, &r.beats, &why);
            break;
        }
        const Event* e = annotationEvent(index, &why);
        if (!e) {
            ok = false;
            break;
        }
        const QString correlation = e->correlationId();
        if (correlation.isEmpty()) { // no chain: the note's event alone
            if (c.streams.isEmpty() || matchesAny(c.streams, e->stream)) r.beats << *e;
            break;
        }
        ok = ensureCorrelations(&why);
        if (ok)
            for (const Event& x : m_correlations.value(correlation))
                if (c.streams.isEmpty() || matchesAny(c.streams, x.stream)) r.beats << x;
        break;
    }
    case Anchor::Kind::Streams: {
        const bool literal = allLiteral(a.streams);
        if (!m_streamsRead && !literal) {
            m_streams = m_reader.streams();
            m_streamsRead = true;
        }
        QStringList names;
        if (literal) { // names, not patterns: a stream the store does not have reads as no events
            for (const QString& n : a.streams)
                if (!names.contains(n) && (c.streams.isEmpty() || matchesAny(c.streams, n))) names << n;
        } else {
            for (const StreamInfo& s : m_streams)
                if (matchesAny(a.streams, s.stream) && (c.streams.isEmpty() || matchesAny(c.streams, s.stream)))
                    names << s.stream;
        }
        if (literal || names.size() <= 64) {
            for (const QString& n : names) {
                EventQuery q;
                q.stream = n;
                if (!(ok = readRange(q, {}, &r.beats, &why))) break;
            }
            std::sort(r.beats.begin(), r.beats.end(),
                      [](const Event& x, const Event& y) { return x.position < y.position; });
        } else {
            QStringList both = a.streams;
            ok = readRange(EventQuery{}, {}, &r.beats, &why);
            QList<Event> kept;
            for (const Event& e : std::as_const(r.beats))
                if (matchesAny(a.streams, e.stream) &&
                    (c.streams.isEmpty() || matchesAny(c.streams, e.stream)))
                    kept << e;
            r.beats = kept;
        }
        break;
    }
    case Anchor::Kind::Watch: {
        Projection* p = projection(a.projection, &why);
        if (!p) {
            ok = false;
            break;
        }
        WatchHit hit;
        ProjectionError perr;
        if (!p->replay->watch(a.predicate, 0, false, false, &hit, &perr)) {
            why = perr.message;
            ok = false;
            break;
        }
        if (!hit.found) break; // no beats: reported below
        // `context` events (after narrowing) on each side of the hit.
        QList<Event> before;
        EventQuery q;
        q.toPosition = hit.event.position - 1;
        q.backward = true;
        qint64 scanned = 0;
        ok = m_reader.read(
            q,
            [&](const Event& e) {
                if (++scanned > 1000000) return false;
                if (c.streams.isEmpty() || matchesAny(c.streams, e.stream)) before.prepend(e);
                return before.size() < a.context;
            },
            &why);
        r.beats = before;
        r.beats << hit.event;
        EventQuery f;
        f.fromPosition = hit.event.position + 1;
        int after = 0;
        scanned = 0;
        if (ok && a.context > 0)
            ok = m_reader.read(
                f,
                [&](const Event& e) {
                    if (++scanned > 1000000) return false;
                    if (c.streams.isEmpty() || matchesAny(c.streams, e.stream)) {
                        r.beats << e;
                        ++after;
                    }
                    return after < a.context;
                },
                &why);
        break;
    }
    }
    if (!ok) {
        *error = QStringLiteral("chapter '%1' (%2): %3").arg(c.id, c.where, why);
        return nullptr;
    }
    if (r.beats.isEmpty()) {
        *error = QStringLiteral("chapter '%1' (%2) has no beats: no event in the store matches its %3")
                     .arg(c.id, c.where,
                          a.kind == Anchor::Kind::Range ? QStringLiteral("range")
                          : a.kind == Anchor::Kind::Correlation
                              ? QStringLiteral("correlation id '%1'").arg(a.correlation)
                          : a.kind == Anchor::Kind::Streams ? QStringLiteral("focus streams")
                          : a.kind == Anchor::Kind::Watch
                              ? QStringLiteral("watch (the predicate never became true)")
                          : a.kind == Anchor::Kind::Annotation
                              ? QStringLiteral("note '%1'").arg(a.annotation)
                              : QStringLiteral("continuation (the previous chapter ends the store)"));
        if (!c.streams.isEmpty()) *error += QStringLiteral(" narrowed to %1").arg(c.streams.join(u", "));
        return nullptr;
    }
    if (StageTimer::on()) StageTimer(QStringLiteral("chapter '%1'").arg(c.id)).stage(QStringLiteral("resolved"));
    r.firstPosition = r.beats.first().position;
    r.lastPosition = r.beats.last().position;
    for (const Event& e : std::as_const(r.beats))
        if (!e.id.isEmpty()) m_byId.insert(e.id, e);
    return &m_chapters.emplace(index, std::move(r)).first->second;
}

QJsonValue StoryEngine::presented(const Event& e)
{
    auto it = m_presented.constFind(e.position);
    if (it != m_presented.cend()) return *it;
    const QJsonValue v = m_story.glossary.present(parseJsonValue(e.data));
    if (m_presented.size() > 100000) m_presented.clear();
    m_presented.insert(e.position, v);
    return v;
}

QString StoryEngine::sentence(const Event& e, QStringList* misses)
{
    auto it = m_story.glossary.events.constFind(e.type);
    if (it == m_story.glossary.events.cend() || it->say.isEmpty()) return Glossary::defaultSentence(e.type);
    TemplateContext ctx;
    ctx.event = &e;
    ctx.data = presented(e);
    ctx.actor = actorOf(e.stream);
    ctx.locale = m_locale;
    ctx.chapterStart = e.time;
    ctx.fieldFormat = [this](const QStringList& tokens) {
        const FieldRule* r = m_story.glossary.ruleFor(tokens);
        return r ? r->format : QString();
    };
    return renderTemplate(it->sayTemplate, ctx, misses);
}

const Event* StoryEngine::causationParent(const Event& e) const
{
    const QString cause = e.causationId();
    if (cause.isEmpty()) return nullptr;
    auto it = m_byId.constFind(cause);
    return it == m_byId.cend() ? nullptr : &*it;
}

StoryEngine::Projection* StoryEngine::projection(const QString& file, QString* error)
{
    auto it = m_projections.find(file);
    if (it == m_projections.end()) {
        auto p = std::make_unique<Projection>();
        ProjectionError perr;
        ProjectionLimits limits; // server handler order (TypeElseAny), as everywhere else
        p->js = JsProjection::fromFile(file, limits, &perr);
        if (!p->js)
            p->error = perr.message.isEmpty() ? QStringLiteral("%1: cannot load the projection").arg(file)
                                              : perr.message;
        else
            p->replay = std::make_unique<ProjectionReplay>(p->js.get(), &knownInfoReader());
        it = m_projections.emplace(file, std::move(p)).first;
    }
    if (!it->second->error.isEmpty()) {
        *error = it->second->error;
        return nullptr;
    }
    return it->second.get();
}

namespace {

QString prefetchKey(const QString& file, const QString& pointer, qint64 position)
{
    return file + QLatin1Char('\n') + pointer + QLatin1Char('\n') + QString::number(position);
}

} // namespace

const StoreInfo& StoryEngine::storeInfo()
{
    if (!m_info) m_info = m_indexBuild ? m_indexBuild->info.get() : m_reader.info();
    return *m_info;
}

EventReader& StoryEngine::knownInfoReader()
{
    if (!m_infoReader) m_infoReader = withKnownInfo(m_reader, storeInfo());
    return *m_infoReader;
}

void StoryEngine::startIndexBuild()
{
    if (m_correlationIndex || m_indexBuild || m_info) return; // m_info: not the first thing any more
    bool needed = false;
    for (const Chapter& c : m_story.chapters)
        if (c.anchor.kind == Anchor::Kind::Correlation ||
            (c.anchor.kind == Anchor::Kind::Annotation && c.anchor.annotationFocus))
            needed = true;
    if (!needed) return;
    QString why;
    auto clone = m_reader.clone(&why);
    if (!clone) return; // opened on this thread when needed
    m_indexBuild = std::make_unique<IndexBuild>();
    m_indexBuild->thread =
        std::thread([b = m_indexBuild.get(), reader = std::move(clone), dir = m_cacheDir]() mutable {
            pthread_setname_np(pthread_self(), "story-index");
            StageTimer timer(QStringLiteral("correlation index"));
            const StoreInfo info = reader->info();
            b->infoPromise.set_value(info);
            reader = withKnownInfo(std::move(reader), info);
            auto index = std::make_unique<CorrelationIndex>();
            QString error;
            if (index->open(*reader, dir, &error)) b->index = std::move(index);
            timer.stage(QStringLiteral("opened on its own thread"));
        });
}

void StoryEngine::prefetchFacts()
{
    m_factsPrefetched = true;
    // The scan behind the correlation index (when a chapter needs it) runs beside everything below.
    startIndexBuild();
    // The projection files the facts read (a KPI names its projection and pointer).
    auto target = [&](const Fact& f, QString* file, QString* pointer) {
        if (f.kind == Fact::Kind::Kpi) {
            const Kpi* k = m_story.kpi(f.kpi);
            if (!k) return false;
            *file = k->projection;
            *pointer = k->pointer;
            return true;
        }
        if (f.kind == Fact::Kind::Projection) {
            *file = f.projection;
            *pointer = f.pointer;
            return true;
        }
        return false;
    };
    using Requests = std::vector<std::pair<qint64, QString>>; // position, pointer
    struct Job
    {
        QString file;
        std::unique_ptr<EventReader> reader;
        std::promise<Requests> requests;
        Requests wanted;
        /// The positions are known: the first pass stops and stateAt takes over.
        std::atomic<bool> requestsReady{false};
        QHash<QString, QJsonValue> results;
        double cpuMs = 0;
        double passDoneMs = 0;
        double loadCpuMs = 0;
        double replayCpuMs = 0;
        double doneMs = 0;
        double requestsCpuMs = 0;
        int requestCount = 0;
        qint64 firstPass = 0;
        std::thread thread;
    };
    std::map<QString, std::unique_ptr<Job>> jobs;
    for (const Chapter& c : m_story.chapters)
        for (const Fact& f : c.expect) {
            QString file, pointer;
            if (!target(f, &file, &pointer) || jobs.count(file) || m_projections.count(file)) continue;
            QString why;
            auto clone = m_reader.clone(&why);
            if (!clone) continue; // computed on this thread when asked
            auto job = std::make_unique<Job>();
            job->file = file;
            job->reader = std::move(clone);
            jobs.emplace(file, std::move(job));
        }
    if (jobs.empty()) return;
    StageTimer timer(QStringLiteral("check"));
    // One read of the store for all of them (a thread that decodes each event once and hands it to the
    // projections that read its type), unless there is only one, or sharing is off.
    std::unique_ptr<SharedScan> scan;
    if (m_sharedRead && jobs.size() > 1) {
        QString why;
        if (auto reader = m_reader.clone(&why))
            scan = std::make_unique<SharedScan>(std::move(reader), int(jobs.size()));
    }
    std::shared_future<StoreInfo> info;
    if (!m_info && m_indexBuild) {
        info = m_indexBuild->info;
    } else {
        std::promise<StoreInfo> known;
        known.set_value(storeInfo());
        info = known.get_future().share();
    }
    // Each thread owns its engine, replay and reader: created, used and destroyed there. It replays from
    // the start (checkpoints on the way) until this thread knows the positions its facts need, then moves
    // to them in order: forward from where it is, or from the checkpoint before a position it has passed.
    for (auto& [file, job] : jobs) {
        Job* j = job.get();
        j->thread = std::thread([j, s = scan.get(), info, wanted = j->requests.get_future()]() mutable {
            pthread_setname_np(pthread_self(), "story-kpi");
            ProjectionError perr;
            ProjectionLimits limits; // as projection() loads it
            auto js = JsProjection::fromFile(j->file, limits, &perr);
            j->loadCpuMs = threadCpuMs();
            std::unique_ptr<ProjectionReplay> replay;
            std::unique_ptr<EventReader> reader = withKnownInfo(std::move(j->reader), info.get());
            if (s) {
                // A projection of named streams reads them by index on its own; the others share the scan.
                const SelectionPlan plan =
                    js ? SelectionPlan::forDefinition(js->definition()) : SelectionPlan{};
                if (js && plan.streams.isEmpty())
                    reader = s->attach(plan.types, std::move(reader));
                else
                    s->decline();
            }
            if (js) {
                replay = std::make_unique<ProjectionReplay>(js.get(), reader.get());
                j->replayCpuMs = threadCpuMs();
                CancelToken known;
                const ProgressFn stopWhenKnown = [&](qint64, qint64, const QString&) {
                    if (j->requestsReady.load(std::memory_order_relaxed)) known.cancel();
                };
                // A failure or the stop leaves the replay consistent (stateAt restores a checkpoint).
                const bool passed = j->requestsReady || replay->seek(kNoLimit, &perr, known, stopWhenKnown);
                j->passDoneMs = StageTimer::sinceStart();
                j->firstPass = replay->position();
                if (!passed && perr.kind != ProjectionError::Cancelled)
                    SharedScan::detach(reader.get()); // failed: stateAt replays from checkpoints on its own
            }
            const Requests requests = wanted.get();
            const double cpuBefore = threadCpuMs();
            if (replay) {
                for (const auto& [position, pointer] : requests) {
                    ProjectionSnapshot snap;
                    ProjectionError e;
                    if (!replay->stateAt(position, &snap, &e)) continue; // left to the calling thread
                    const auto v = valueAtPointer(snap.view(), pointer);
                    j->results.insert(prefetchKey(j->file, pointer, position),
                                      v ? *v : QJsonValue(QJsonValue::Undefined));
                }
            }
            SharedScan::detach(reader.get()); // the scan need not wait for this thread any more
            j->requestsCpuMs = threadCpuMs() - cpuBefore;
            j->requestCount = int(requests.size());
            replay.reset();
            js.reset();
            reader.reset();
            j->cpuMs = threadCpuMs();
            j->doneMs = StageTimer::sinceStart();
        });
    }
    // The chapters whose facts read these projections first (their last beats are the positions asked for),
    // then the others while the threads work (a failure is reported by check()).
    QList<int> others;
    for (int i = 0; i < m_story.chapters.size(); ++i) {
        bool asks = false;
        for (const Fact& f : m_story.chapters[i].expect) {
            QString file, pointer;
            if (target(f, &file, &pointer) && jobs.count(file)) asks = true;
        }
        if (!asks) {
            others << i;
            continue;
        }
        QString why;
        const ResolvedChapter* r = chapter(i, &why);
        if (!r) continue;
        for (const Fact& f : m_story.chapters[i].expect) {
            QString file, pointer;
            if (!target(f, &file, &pointer)) continue;
            auto it = jobs.find(file);
            if (it != jobs.end()) it->second->wanted.emplace_back(r->lastPosition, pointer);
        }
    }
    for (auto& [file, job] : jobs) {
        std::sort(job->wanted.begin(), job->wanted.end());
        job->wanted.erase(std::unique(job->wanted.begin(), job->wanted.end()), job->wanted.end());
        job->requests.set_value(std::move(job->wanted));
        job->requestsReady = true;
    }
    timer.stage(QStringLiteral("the chapters with projection facts resolved"));
    for (const int i : std::as_const(others)) {
        QString why;
        chapter(i, &why);
    }
    timer.stage(QStringLiteral("the other chapters resolved"));
    for (auto& [file, job] : jobs) {
        job->thread.join();
        m_prefetched.insert(job->results);
        m_factThreadCpuMs.append({file, job->cpuMs});
        timer.note(
            QStringLiteral("%1: first pass to position %2 (until the positions were known) done at %3 ms; "
                           "%4 values at the chapters' ends %5 ms CPU; thread CPU %6 ms (loading the "
                           "projection %8 ms, its replay %9 ms); done at %7 ms")
                .arg(QFileInfo(file).fileName())
                .arg(job->firstPass)
                .arg(job->passDoneMs, 0, 'f', 0)
                .arg(job->requestCount)
                .arg(job->requestsCpuMs, 0, 'f', 0)
                .arg(job->cpuMs, 0, 'f', 0)
                .arg(job->doneMs, 0, 'f', 0)
                .arg(job->loadCpuMs, 0, 'f', 0)
                .arg(job->replayCpuMs, 0, 'f', 0));
    }
    if (scan) {
        scan->finish();
        m_factThreadCpuMs.append({QStringLiteral("shared read"), scan->threadCpuMs()});
        timer.note(QStringLiteral("shared read: %1 events; thread CPU %2 ms")
                       .arg(scan->eventsRead())
                       .arg(scan->threadCpuMs(), 0, 'f', 0));
    }
    timer.stage(QStringLiteral("facts' projections joined"));
}

bool StoryEngine::projectionAt(const QString& file, const QString& pointer, qint64 position,
                               QJsonValue* value, QString* error)
{
    if (!m_prefetched.isEmpty()) {
        const auto it = m_prefetched.constFind(prefetchKey(file, pointer, position));
        if (it != m_prefetched.cend()) {
            *value = *it;
            return true;
        }
    }
    Projection* p = projection(file, error);
    if (!p) return false;
    ProjectionSnapshot snap;
    ProjectionError perr;
    if (!p->replay->stateAt(position, &snap, &perr)) {
        *error = QStringLiteral("%1 failed: %2").arg(QFileInfo(file).fileName(), perr.message);
        return false;
    }
    const auto v = valueAtPointer(snap.view(), pointer);
    *value = v ? *v : QJsonValue(QJsonValue::Undefined);
    return true;
}

bool StoryEngine::kpiAt(const QString& id, qint64 position, QJsonValue* value, QString* error)
{
    const Kpi* k = m_story.kpi(id);
    if (!k) {
        *error = QStringLiteral("no KPI has the id '%1'").arg(id);
        return false;
    }
    QString why;
    if (!projectionAt(k->projection, k->pointer, position, value, &why)) {
        *error = QStringLiteral("KPI '%1': %2").arg(id, why);
        return false;
    }
    return true;
}

bool StoryEngine::streamStateAt(const QString& stream, const QString& pointer, qint64 position,
                                QJsonValue* value, QString* error)
{
    if (!m_replay) m_replay = std::make_unique<ReplayEngine>(m_reader);
    const StateResult r = m_replay->stateAt(stream, Point::atPosition(position));
    if (!r.ok()) {
        *error = r.error;
        return false;
    }
    const auto v = valueAtPointer(r.state, pointer);
    *value = v ? *v : QJsonValue(QJsonValue::Undefined);
    return true;
}

bool StoryEngine::check(int index, QList<FactResult>* out, QString* error)
{
    if (m_concurrentChecks && !m_factsPrefetched) prefetchFacts();
    const ResolvedChapter* r = chapter(index, error);
    if (!r) return false;
    const Chapter& c = m_story.chapters[index];
    for (const Fact& f : c.expect) {
        FactResult res;
        res.chapter = &c;
        res.fact = &f;
        QJsonValue actual(QJsonValue::Undefined);
        QString why;
        bool ok = true;
        switch (f.kind) {
        case Fact::Kind::Count: {
            qint64 n = 0;
            for (const Event& e : r->beats)
                if (e.type == f.type) ++n;
            actual = QJsonValue(n);
            break;
        }
        case Fact::Kind::StreamState:
            ok = streamStateAt(f.stream, f.pointer, r->lastPosition, &actual, &why);
            break;
        case Fact::Kind::Kpi: {
            ok = kpiAt(f.kpi, r->lastPosition, &actual, &why);
            if (ok && !f.pointer.isEmpty()) {
                const auto v = valueAtPointer(actual, f.pointer);
                actual = v ? *v : QJsonValue(QJsonValue::Undefined);
            }
            break;
        }
        case Fact::Kind::Projection:
            ok = projectionAt(f.projection, f.pointer, r->lastPosition, &actual, &why);
            break;
        }
        if (!ok) {
            *error = QStringLiteral("%1: %2").arg(f.where, why);
            return false;
        }
        res.actual = actual;
        bool holds = !actual.isUndefined();
        if (holds && f.equals) holds = jsonEqualByValue(actual, *f.equals);
        if (holds && (f.atLeast || f.atMost)) {
            if (!isJsonNumber(actual)) {
                holds = false;
            } else {
                const double v = jsonNumberToDouble(actual);
                if (f.atLeast && v < jsonNumberToDouble(*f.atLeast)) holds = false;
                if (f.atMost && v > jsonNumberToDouble(*f.atMost)) holds = false;
            }
        }
        res.holds = holds;
        out->append(res);
    }
    return true;
}

QString StoryEngine::kpiText(const Kpi& k, const QJsonValue& v) const
{
    QString ignored;
    const auto f = k.format.isEmpty() ? std::optional<QList<Formatter>>(QList<Formatter>{})
                                      : parseFormatters(k.format, &ignored);
    return formatValue(v.isUndefined() ? Value::none() : Value::ofJson(v), f.value_or(QList<Formatter>{}),
                       m_locale);
}

QString StoryEngine::fieldText(const QStringList& tokens, const QJsonValue& v) const
{
    const FieldRule* rule = m_story.glossary.ruleFor(tokens);
    QString ignored;
    const auto f = rule && !rule->format.isEmpty() ? parseFormatters(rule->format, &ignored)
                                                   : std::optional<QList<Formatter>>(QList<Formatter>{});
    return formatValue(v.isUndefined() ? Value::none() : Value::ofJson(v), f.value_or(QList<Formatter>{}),
                       m_locale);
}

QString StoryEngine::factValueText(const Fact& fact, const QJsonValue& value) const
{
    if (fact.kind == Fact::Kind::Kpi && fact.pointer.isEmpty())
        if (const Kpi* k = m_story.kpi(fact.kpi)) return kpiText(*k, value);
    if (fact.kind == Fact::Kind::StreamState)
        if (const auto tokens = parseJsonPointer(fact.pointer)) return fieldText(*tokens, value);
    return formatValue(value.isUndefined() ? Value::none() : Value::ofJson(value), {}, m_locale);
}

TemplateContext StoryEngine::context(const ResolvedChapter& ch, const Event* current, qint64 upto)
{
    TemplateContext ctx;
    ctx.event = current;
    if (current) {
        ctx.data = presented(*current);
        ctx.actor = actorOf(current->stream);
    }
    ctx.beats = &ch.beats;
    ctx.locale = m_locale;
    ctx.chapterStart = ch.beats.first().time;
    ctx.present = [this](const Event& e) { return presented(e); };
    ctx.fieldFormat = [this](const QStringList& tokens) {
        const FieldRule* r = m_story.glossary.ruleFor(tokens);
        return r ? r->format : QString();
    };
    const qint64 at = current ? current->position : std::min(upto, ch.lastPosition);
    ctx.kpi = [this, at](const QString& id, QString* format) -> Value {
        const Kpi* k = m_story.kpi(id);
        if (!k) return Value::none();
        if (format) *format = k->format;
        QJsonValue v;
        QString why;
        if (!kpiAt(id, at, &v, &why) || v.isUndefined()) return Value::none();
        return Value::ofJson(v);
    };
    return ctx;
}

QString StoryEngine::caption(int index, QStringList* misses, qint64 upto)
{
    QString why;
    const ResolvedChapter* r = chapter(index, &why);
    if (!r) return {};
    const Chapter& c = m_story.chapters[index];
    // The current beat of a caption is the chapter's last beat (or the last one up to `upto`).
    const Event* current = &r->beats.last();
    if (upto != kNoLimit)
        for (const Event& e : r->beats)
            if (e.position <= upto) current = &e;
    TemplateContext ctx = context(*r, current, upto);
    return renderTemplate(c.captionTemplate, ctx, misses);
}

QString StoryEngine::notes(int index, QStringList* misses)
{
    QString why;
    const ResolvedChapter* r = chapter(index, &why);
    if (!r) return {};
    TemplateContext ctx = context(*r, &r->beats.last(), kNoLimit);
    return renderTemplate(m_story.chapters[index].notesTemplate, ctx, misses);
}

SequenceLayout StoryEngine::layout(int index, QString* error, qint64 upto)
{
    const ResolvedChapter* r = chapter(index, error);
    if (!r) return {};
    const Chapter& c = m_story.chapters[index];
    QList<SequenceBeat> beats;
    QSet<QString> inView;
    for (const Event& e : r->beats) {
        if (e.position > upto) break;
        SequenceBeat b;
        b.actor = actorOf(e.stream);
        const QString cause = e.causationId();
        if (!cause.isEmpty() && inView.contains(cause))
            if (const Event* p = causationParent(e)) b.parentActor = actorOf(p->stream);
        b.type = e.type;
        b.label = sentence(e);
        b.foldLabel = Glossary::defaultSentence(e.type);
        b.time = e.time;
        b.tone = int(m_story.glossary.toneOf(e.type));
        beats << b;
        if (!e.id.isEmpty()) inView.insert(e.id);
    }
    return layoutSequence(beats, c.maxGapMs >= 0 ? c.maxGapMs : 60000);
}

bool StoryEngine::page(int index, ChapterPage* out, QString* error, qint64 upto, int maxCards)
{
    const ResolvedChapter* r = chapter(index, error);
    if (!r) return false;
    const Chapter& c = m_story.chapters[index];
    ChapterPage p;
    p.storyTitle = m_story.title;
    p.audience = m_story.audience;
    p.number = index + 1;
    p.count = int(m_story.chapters.size());
    p.id = c.id;
    p.title = c.title;
    p.sequence = layout(index, error, upto);
    int lastIndex = 0;
    for (int i = 0; i < r->beats.size() && r->beats[i].position <= upto; ++i)
        lastIndex = i;
    const Event& last = r->beats[lastIndex];
    const Event& first = r->beats.first();
    QSet<QString> actors;
    for (const Event& e : r->beats)
        actors.insert(actorOf(e.stream));
    QString span;
    if (first.time != kNoTime) {
        const QDateTime a = QDateTime::fromMSecsSinceEpoch(first.time, QTimeZone::utc());
        const QDateTime b = QDateTime::fromMSecsSinceEpoch(r->beats.last().time, QTimeZone::utc());
        span = m_locale.toString(a, QStringLiteral("d MMM yyyy, HH:mm")) + QStringLiteral("–") +
               (a.date() == b.date() ? b.toString(QStringLiteral("HH:mm"))
                                     : m_locale.toString(b, QStringLiteral("d MMM HH:mm"))) +
               QStringLiteral(" UTC · ");
    }
    p.subtitle = span + QStringLiteral("%1 %2 · %3 %4")
                            .arg(m_locale.toString(qint64(r->beats.size())),
                                 r->beats.size() == 1 ? QStringLiteral("event") : QStringLiteral("events"))
                            .arg(actors.size())
                            .arg(actors.size() == 1 ? QStringLiteral("actor") : QStringLiteral("actors"));
    if (upto != kNoLimit)
        for (int i = 0; i < p.sequence.rows.size(); ++i)
            if (p.sequence.rows[i].kind != SequenceRow::Kind::Gap) p.highlightRow = i;
    // Cards: the latest beats, newest first.
    for (int i = lastIndex; i >= 0 && p.cards.size() < maxCards; --i) {
        const Event& e = r->beats[i];
        CardModel card;
        card.position = e.position;
        card.sentence = sentence(e);
        card.actor = actorOf(e.stream);
        card.actorIndex = std::max<int>(0, int(p.sequence.actors.indexOf(card.actor)));
        card.tone = m_story.glossary.toneOf(e.type);
        card.time = hhmmss(e.time);
        if (e.time != kNoTime && first.time != kNoTime)
            card.relative = e.time == first.time ? QStringLiteral("start")
                                                 : QStringLiteral("+") + humanDuration(e.time - first.time);
        // Up to four fields: labelled ones first (the glossary says they matter), then the others.
        const QJsonValue data = presented(e);
        QList<QPair<QString, QString>> labelled, plain;
        if (data.isObject()) {
            const QJsonObject o = data.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                const QStringList tokens{it.key()};
                const FieldRule* rule = m_story.glossary.ruleFor(tokens);
                QString format = rule ? rule->format : QString();
                QString ignored;
                const auto f = parseFormatters(format, &ignored);
                const QJsonValue& v = it.value();
                QString text;
                if (v.isArray() && !f.value_or(QList<Formatter>{}).isEmpty() == false)
                    text = m_locale.toString(qint64(v.toArray().size())) + QStringLiteral(" items");
                else if (v.isObject()) {
                    // An address or an error: its plain values, comma-separated.
                    QStringList parts;
                    const QJsonObject inner = v.toObject();
                    for (auto in = inner.begin(); in != inner.end(); ++in)
                        if (!in.value().isObject() && !in.value().isArray() && !in.value().isNull())
                            parts << formatValue(Value::ofJson(in.value()), {}, m_locale);
                    text = parts.isEmpty() ? shortJson(v, 60) : parts.join(QStringLiteral(", "));
                } else
                    text = fieldText(tokens, v);
                if (v.isNull()) continue;
                if (text.size() > 60) text = text.left(59) + u'…';
                (rule && !rule->label.isEmpty() ? labelled : plain)
                    .append({m_story.glossary.labelFor(tokens), text});
            }
        }
        card.fields = labelled + plain;
        if (card.fields.size() > 4) card.fields.resize(4);
        if (const Event* parent = causationParent(e)) card.because = sentence(*parent);
        p.cards << card;
    }
    // KPIs: the chapter's, with the change since it began.
    for (const QString& id : c.kpis) {
        const Kpi* k = m_story.kpi(id);
        KpiTile t;
        t.label = k->label;
        QJsonValue now, then;
        QString why;
        if (!kpiAt(id, last.position, &now, &why) || !kpiAt(id, first.position - 1, &then, &why)) {
            *error = why;
            return false;
        }
        t.value = kpiText(*k, now);
        if (isJsonNumber(now) && isJsonNumber(then)) {
            const double d = jsonNumberToDouble(now) - jsonNumberToDouble(then);
            auto decimals = [](const QJsonValue& v) {
                const QByteArray t = jsonNumberText(v);
                const qsizetype dot = t.indexOf('.');
                return dot < 0 || t.contains('e') || t.contains('E') ? 0 : int(t.size() - dot - 1);
            };
            const int digits = std::min(12, std::max(decimals(now), decimals(then)));
            if (std::abs(d) > 0.5 * std::pow(10.0, -digits)) {
                const QByteArray text = QByteArray::number(std::abs(d), 'f', digits);
                const auto change = makeJsonNumber(text);
                t.direction = d > 0 ? 1 : -1;
                t.change = (d > 0 ? QStringLiteral("+") : QStringLiteral("−")) +
                           kpiText(*k, change.value_or(QJsonValue(0)));
                t.change += QStringLiteral(" in this chapter");
            } else {
                t.change = QStringLiteral("unchanged in this chapter");
            }
        } else if (!now.isUndefined() && then.isUndefined()) {
            t.change = QStringLiteral("new in this chapter");
            t.direction = 1;
        }
        p.kpis << t;
    }
    // Two versions of a projection side by side: the first event where they disagree, up to the chapter's
    // end. Fresh engines (findDivergence resets them), computed once per chapter.
    if (!c.compareA.isEmpty()) {
        auto cached = m_compare.find(index);
        if (cached == m_compare.end()) {
            ComparePanel panel;
            panel.present = true;
            panel.nameA = QFileInfo(c.compareA).fileName();
            panel.nameB = QFileInfo(c.compareB).fileName();
            ProjectionError perr;
            ProjectionLimits limits;
            auto a = JsProjection::fromFile(c.compareA, limits, &perr);
            auto b = a ? JsProjection::fromFile(c.compareB, limits, &perr) : nullptr;
            DivergenceResult d;
            if (!a || !b || !findDivergence(*a, *b, m_reader, &d, &perr, {}, {}, r->lastPosition)) {
                *error = QStringLiteral("chapter '%1' (%2/compare): %3").arg(c.id, c.where, perr.message);
                return false;
            }
            if (d.found && !d.initial)
                panel.divergence = QStringLiteral("First divergence: %1 — %2, %3 (position %4)")
                                       .arg(sentence(d.event), actorOf(d.event.stream), hhmmss(d.event.time))
                                       .arg(d.event.position);
            else if (d.initial)
                panel.divergence =
                    QStringLiteral("The versions differ before any event (their initial states)");
            else
                panel.divergence = QStringLiteral("The two versions agree up to the chapter's end");
            cached = m_compare.emplace(index, panel).first;
        }
        p.compare = cached->second;
    }
    p.caption = caption(index, nullptr, upto);
    p.notes = notes(index, nullptr);
    *out = std::move(p);
    return true;
}

bool StoryEngine::markdown(QByteArray* out, QString* error)
{
    QString md;
    md += QStringLiteral("# %1\n\n").arg(m_story.title);
    if (!m_story.audience.isEmpty()) md += QStringLiteral("*For %1*\n\n").arg(m_story.audience);
    auto cell = [](QString s) { return s.replace(u'|', QStringLiteral("\\|")).replace(u'\n', u' '); };
    for (int i = 0; i < m_story.chapters.size(); ++i) {
        ChapterPage p;
        if (!page(i, &p, error)) return false;
        const ResolvedChapter* r = chapter(i, error);
        md += QStringLiteral("## %1. %2\n\n").arg(i + 1).arg(p.title);
        md += QStringLiteral("*%1*\n\n").arg(p.subtitle);
        if (!p.caption.isEmpty()) md += p.caption + QStringLiteral("\n\n");
        if (!p.kpis.isEmpty()) {
            for (const KpiTile& t : p.kpis)
                md += QStringLiteral("- **%1**: %2%3\n")
                          .arg(t.label, t.value,
                               t.change.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(t.change));
            md += u'\n';
        }
        if (p.compare.present)
            md += QStringLiteral("Comparing `%1` with `%2`: %3.\n\n")
                      .arg(p.compare.nameA, p.compare.nameB, p.compare.divergence);
        md += QStringLiteral("| # | Time | Actor | What happened |\n|---:|---|---|---|\n");
        const TimeMs start = r->beats.first().time;
        int shown = 0;
        for (const Event& e : r->beats) {
            if (++shown > 500) {
                md += QStringLiteral("| | | | … and %1 more |\n").arg(r->beats.size() - 500);
                break;
            }
            md += QStringLiteral("| %1 | %2 | %3 | %4 |\n")
                      .arg(e.position)
                      .arg(e.time == kNoTime
                               ? QString()
                               : hhmmss(e.time) + (e.time == start ? QString()
                                                                   : QStringLiteral(" (+%1)").arg(
                                                                         humanDuration(e.time - start))),
                           cell(actorOf(e.stream)), cell(sentence(e)));
        }
        md += u'\n';
    }
    *out = md.toUtf8();
    return true;
}

QStringList StoryEngine::lint()
{
    QStringList out = m_story.warnings;
    static const QRegularExpression email(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[A-Za-z]{2,}$"));
    static const QRegularExpression iban(QStringLiteral("^[A-Z]{2}[0-9]{2}[A-Z0-9 ]{11,30}$"));
    static const QRegularExpression card(QStringLiteral("^[0-9][0-9 -]{11,22}[0-9]$"));
    auto luhn = [](const QString& s) {
        int sum = 0, n = 0;
        for (qsizetype i = s.size() - 1; i >= 0; --i) {
            if (!s[i].isDigit()) continue;
            int d = s[i].digitValue();
            if (n++ % 2 == 1) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
        }
        return n >= 13 && n <= 19 && sum % 10 == 0;
    };
    for (int i = 0; i < m_story.chapters.size(); ++i) {
        const Chapter& c = m_story.chapters[i];
        QString why;
        const ResolvedChapter* r = chapter(i, &why);
        if (!r) {
            out << why;
            continue;
        }
        QStringList misses;
        caption(i, &misses);
        notes(i, &misses);
        QSet<QString> seenTypes;
        QSet<QString> personal;
        for (const Event& e : r->beats) {
            if (!seenTypes.contains(e.type)) {
                seenTypes.insert(e.type);
                QStringList m;
                sentence(e, &m);
                for (const QString& x : m)
                    misses << QStringLiteral("%1 in the sentence of %2").arg(x, e.type);
            }
            // Values shown that look personal and are not redacted.
            std::function<void(const QJsonValue&, QStringList&)> walk = [&](const QJsonValue& v,
                                                                            QStringList& path) {
                if (v.isObject()) {
                    const QJsonObject o = v.toObject();
                    for (auto it = o.begin(); it != o.end(); ++it) {
                        path << it.key();
                        walk(it.value(), path);
                        path.removeLast();
                    }
                } else if (v.isArray()) {
                    const QJsonArray a = v.toArray();
                    for (qsizetype k = 0; k < a.size() && k < 100; ++k) {
                        path << QString::number(k);
                        walk(a[k], path);
                        path.removeLast();
                    }
                } else if (isJsonString(v)) {
                    const QString s = jsonStringValue(v).trimmed();
                    QString kind;
                    if (email.match(s).hasMatch())
                        kind = QStringLiteral("an e-mail address");
                    else if (iban.match(s.toUpper()).hasMatch() && s.size() >= 15)
                        kind = QStringLiteral("an IBAN");
                    else if (card.match(s).hasMatch() && luhn(s))
                        kind = QStringLiteral("a card number");
                    if (!kind.isEmpty()) {
                        // Array indexes as "*" so one warning covers every element.
                        QStringList shape = path;
                        for (QString& t : shape)
                            if (!t.isEmpty() &&
                                std::all_of(t.begin(), t.end(), [](QChar ch) { return ch.isDigit(); }))
                                t = QStringLiteral("*");
                        personal.insert(QStringLiteral("%1 (%2) looks like %3 and is not redacted")
                                            .arg(makeJsonPointer(shape), e.type, kind));
                    }
                }
            };
            QStringList path;
            walk(presented(e), path);
        }
        for (const QString& id : c.kpis) {
            QJsonValue v;
            QString kpiError;
            if (!kpiAt(id, r->lastPosition, &v, &kpiError))
                out << QStringLiteral("chapter '%1' (%2): %3").arg(c.id, c.where, kpiError);
            else if (v.isUndefined())
                misses << QStringLiteral("KPI '%1' (pointer %2)").arg(id, m_story.kpi(id)->pointer);
        }
        for (const QString& m : std::as_const(misses))
            out << QStringLiteral("chapter '%1' (%2): %3 finds nothing (shown as —)").arg(c.id, c.where, m);
        QStringList sorted(personal.begin(), personal.end());
        sorted.sort();
        for (const QString& p : sorted)
            out << QStringLiteral("chapter '%1' (%2): %3").arg(c.id, c.where, p);
    }
    return out;
}

} // namespace chronoscope::story
