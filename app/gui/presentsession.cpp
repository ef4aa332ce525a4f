#include "presentsession.h"

#include "json/jsonvalue.h"
#include "sources/remote/remotesource.h"
#include "sources/sourceregistry.h"
#include "story/storyengine.h"
#include "story/storytemplate.h"

#include <QFileInfo>
#include <QJsonObject>
#include <QKeyEvent>
#include <QThread>
#include <QUrlQuery>

#include <cmath>

namespace chronoscope::present {

using namespace chronoscope::story;

namespace {

QString valueText(const QJsonValue& v)
{
    if (v.isUndefined()) return QStringLiteral("—");
    return QString::fromUtf8(toJsonText(v));
}

/// The fact in words, its tested values formatted as the audience frame formats such a value.
QString factText(const StoryEngine& engine, const Fact& f)
{
    const Story& s = engine.story();
    QString what;
    switch (f.kind) {
    case Fact::Kind::StreamState:
        what = f.stream + u' ' + f.pointer;
        break;
    case Fact::Kind::Kpi: {
        const Kpi* k = s.kpi(f.kpi);
        what = (k ? k->label : f.kpi) + (f.pointer.isEmpty() ? QString() : u' ' + f.pointer);
        break;
    }
    case Fact::Kind::Count:
        what = QStringLiteral("%1 events").arg(f.type);
        break;
    case Fact::Kind::Projection:
        what = QFileInfo(f.projection).fileName() + u' ' + f.pointer;
        break;
    }
    QStringList tests;
    if (f.equals) tests << QStringLiteral("= ") + engine.factValueText(f, *f.equals);
    if (f.atLeast) tests << QStringLiteral("≥ ") + engine.factValueText(f, *f.atLeast);
    if (f.atMost) tests << QStringLiteral("≤ ") + engine.factValueText(f, *f.atMost);
    return what + u' ' + tests.join(QStringLiteral(", "));
}

QString liveWhat(const LiveMatch& m)
{
    QStringList parts;
    parts << (m.type.isEmpty() ? QStringLiteral("an event") : m.type);
    if (!m.stream.isEmpty()) parts << QStringLiteral("on %1").arg(m.stream);
    if (!m.pointer.isEmpty() && m.equals)
        parts << QStringLiteral("with %1 = %2").arg(m.pointer, valueText(*m.equals));
    return parts.join(u' ');
}

} // namespace

// The story engine and its reader, on the worker thread only.
class PresentWorker : public QObject
{
public:
    PresentWorker(std::shared_ptr<const Story> story, QString uri, Presentation::ReaderFactory factory)
        : m_story(std::move(story)), m_uri(std::move(uri)), m_factory(std::move(factory))
    {
    }

    bool open(QString* error)
    {
        if (m_engine) return true;
        if (!m_openError.isEmpty()) {
            *error = m_openError;
            return false;
        }
        QString why;
        if (m_factory)
            m_reader = m_factory(&why);
        else
            m_reader = openSource(m_uri, OpenOptions{}, &why);
        if (!m_reader) {
            // Some openers name the store in their reason already: it is said once.
            const QString shown = redactUri(m_uri);
            m_openError = m_factory || why.startsWith(shown) ? why : QStringLiteral("%1: %2").arg(shown, why);
            *error = m_openError;
            return false;
        }
        m_engine = std::make_unique<StoryEngine>(*m_story, *m_reader);
        return true;
    }

    std::shared_ptr<const ChapterInfo> info(int index, QString* error)
    {
        if (auto it = m_infos.find(index); it != m_infos.end()) return *it;
        auto info = std::make_shared<ChapterInfo>();
        const Chapter& c = m_story->chapters[index];
        info->index = index;
        info->title = c.title;
        info->realtime = c.realtime;
        info->speed = c.speed;
        info->maxGapMs = c.maxGapMs >= 0 ? c.maxGapMs : 60000;
        info->live = c.live.enabled;
        info->liveWhat = liveWhat(c.live);
        info->liveTimeoutMs = c.live.timeoutMs;
        QString why;
        if (!open(&why)) {
            info->error = why;
        } else if (const ResolvedChapter* r = m_engine->chapter(index, &why); !r) {
            info->error = why;
        } else {
            const SequenceLayout full = m_engine->layout(index, &why);
            for (const SequenceRow& row : full.rows) {
                if (row.kind == SequenceRow::Kind::Gap) continue;
                const Event& e = r->beats[row.lastBeat];
                info->steps << e.position;
                info->stepTimes << e.time;
                info->stepLabels << row.label + (row.count > 1 ? QStringLiteral("  × %1").arg(row.count) : QString());
            }
            info->notes = m_engine->notes(index);
            QList<FactResult> results;
            if (m_engine->check(index, &results, &why)) {
                for (const FactResult& fr : std::as_const(results))
                    info->facts << FactLine{factText(*m_engine, *fr.fact), fr.holds,
                                            m_engine->factValueText(*fr.fact, fr.actual)};
            } else {
                info->factsError = why;
            }
            // The plan: realtime chapters as paced (gaps shortened to maxGap, divided by the speed), step
            // chapters a fixed time per beat.
            if (c.realtime) {
                double ms = 0;
                for (int i = 1; i < info->stepTimes.size(); ++i)
                    if (info->stepTimes[i] != kNoTime && info->stepTimes[i - 1] != kNoTime)
                        ms += double(std::min(info->stepTimes[i] - info->stepTimes[i - 1], info->maxGapMs)) / c.speed;
                info->plannedMs = qint64(ms) + 2000;
            } else {
                info->plannedMs = kStepPlanMs * info->steps.size();
            }
        }
        m_infos.insert(index, info);
        *error = info->error;
        return info;
    }

    Frame frame(int index, int beat)
    {
        Frame f;
        f.chapter = index;
        QString error;
        f.info = info(index, &error);
        f.audience.page.number = index + 1;
        f.audience.page.count = int(m_story->chapters.size());
        f.audience.page.title = m_story->chapters[index].title;
        f.audience.page.storyTitle = m_story->title;
        if (!error.isEmpty() || f.info->steps.isEmpty()) {
            f.error = error.isEmpty() ? QStringLiteral("the chapter has no events to show") : error;
            return f;
        }
        const int n = int(f.info->steps.size());
        f.beat = beat < 0 || beat >= n ? n - 1 : beat;
        const qint64 upto = f.info->steps[f.beat];
        if (!m_engine->page(index, &f.audience.page, &error, upto, 3)) {
            f.error = error;
            return f;
        }
        f.audience.beat = f.beat;
        f.audience.beats = n;
        f.audience.rawJson = rawJson(*m_engine, index, upto);
        return f;
    }

    /// Events after `after` in the live tail's cache: the first that matches makes the chapter live (a range
    /// from it to the newest event, read by a second engine over the cache).
    Frame liveScan(int index, const std::shared_ptr<EventReader>& cache, qint64 after)
    {
        Frame f;
        f.chapter = index;
        QString error;
        f.info = info(index, &error);
        const LiveMatch& match = m_story->chapters[index].live;
        EventQuery q;
        q.fromPosition = after + 1;
        qint64 found = -1;
        cache->read(q, [&](const Event& e) {
            if (match.matches(e)) {
                found = e.position;
                return false;
            }
            return true;
        }, &error);
        if (found < 0) return Frame{}; // chapter -1: nothing matched yet
        m_liveStory = std::make_unique<Story>(*m_story);
        Chapter& c = m_liveStory->chapters[index];
        c.anchor = Anchor{};
        c.anchor.kind = Anchor::Kind::Range;
        c.anchor.fromPosition = found;
        c.live = LiveMatch{};
        // KPIs and comparisons read the whole store; the tail's cache holds only what came in live.
        c.kpis.clear();
        c.compareA.clear();
        c.compareB.clear();
        m_liveEngine.reset();
        m_liveEngine = std::make_unique<StoryEngine>(*m_liveStory, *cache);
        if (!m_liveEngine->page(index, &f.audience.page, &error, kNoLimit, 3)) {
            f.error = error;
            return f;
        }
        const ResolvedChapter* r = m_liveEngine->chapter(index, &error);
        f.live = true;
        f.audience.live = true;
        f.audience.page.highlightRow = int(f.audience.page.sequence.rows.size()) - 1;
        f.audience.beats = r ? int(r->beats.size()) : 0;
        f.audience.beat = std::max(0, f.audience.beats - 1);
        f.beat = 0;
        if (r && !r->beats.isEmpty()) f.audience.rawJson = rawJson(*m_liveEngine, index, r->beats.last().position);
        return f;
    }

private:
    static QString rawJson(StoryEngine& engine, int index, qint64 position)
    {
        QString error;
        const ResolvedChapter* r = engine.chapter(index, &error);
        if (!r) return {};
        for (const Event& e : r->beats) {
            if (e.position != position) continue;
            // What the story may show: hidden paths removed, redaction applied (never the bytes as stored).
            QJsonObject o;
            o.insert(QStringLiteral("type"), e.type);
            o.insert(QStringLiteral("stream"), e.stream);
            o.insert(QStringLiteral("position"), e.position);
            if (e.time != kNoTime) o.insert(QStringLiteral("time"), formatTime(e.time));
            o.insert(QStringLiteral("data"), engine.presented(e));
            return QString::fromUtf8(toJsonTextIndented(o)).trimmed();
        }
        return {};
    }

    std::shared_ptr<const Story> m_story;
    QString m_uri;
    Presentation::ReaderFactory m_factory;
    std::unique_ptr<EventReader> m_reader;
    std::unique_ptr<StoryEngine> m_engine;
    QString m_openError;
    QHash<int, std::shared_ptr<const ChapterInfo>> m_infos;
    std::unique_ptr<Story> m_liveStory;
    std::unique_ptr<StoryEngine> m_liveEngine;
};

Presentation::Presentation(QObject* parent) : QObject(parent)
{
    m_playback.setSingleShot(true);
    connect(&m_playback, &QTimer::timeout, this, [this] {
        if (m_realtime && m_shown.chapter >= 0 && m_shown.beat + 1 < beatCount()) want(m_shown.chapter, m_shown.beat + 1);
    });
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, &Presentation::presenterChanged);
    m_liveTimeout.setSingleShot(true);
    connect(&m_liveTimeout, &QTimer::timeout, this, &Presentation::liveTimedOut);
}

Presentation::~Presentation()
{
    if (m_tail) m_tail->cancel();
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
        delete m_worker;
        delete m_thread;
    }
}

bool Presentation::loadStory(const QString& path, QString* error)
{
    auto s = std::make_shared<Story>();
    if (!story::loadStory(path, s.get(), error)) return false;
    if (s->chapters.isEmpty()) {
        *error = QStringLiteral("%1: the story has no chapters").arg(path);
        return false;
    }
    m_story = std::move(s);
    return true;
}

int Presentation::chapterCount() const
{
    return m_story ? int(m_story->chapters.size()) : 0;
}

bool Presentation::start(int chapter, int beat, QString* error)
{
    if (!m_story || chapter < 0 || chapter >= chapterCount()) {
        if (error)
            *error = QStringLiteral("there is no chapter %1: the story has %2").arg(chapter + 1).arg(chapterCount());
        return false;
    }
    QString uri = m_storeUri.isEmpty() ? m_story->resolvedSourceUri() : m_storeUri;
    m_storeUri = uri;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("present"));
    m_worker = new PresentWorker(m_story, uri, m_factory);
    m_worker->moveToThread(m_thread);
    m_thread->start();
    m_started = true;
    m_clock.start();
    m_tick.start();
    bool anyLive = false;
    for (const Chapter& c : m_story->chapters)
        anyLive = anyLive || c.live.enabled;
    if (anyLive) startTail();
    want(chapter, beat);
    return true;
}

void Presentation::startTail()
{
    // A live tail needs a remote store (a local file does not grow while presenting); only the newest
    // event is read before following, so the cache holds little more than what comes in live.
    // The URI to follow: the one given for live chapters (F5 on a remote store in the main window), else the
    // store's own when the presentation opens it (a clone of a window's reader has no URI of its own).
    const QString uri = !m_liveUri.isEmpty() ? m_liveUri : m_factory ? QString() : m_storeUri;
    SourceProbe probe;
    QString error;
    if (uri.isEmpty() || !probeSource(uri, &probe, &error) || probe.scheme == QLatin1String("file")) {
        m_tailFailed = true;
        return;
    }
    m_tail = new RemoteSession(this);
    connect(m_tail, &RemoteSession::pagesCommitted, this, [this](qint64, qint64 last) { liveCommitted(last); });
    connect(m_tail, &RemoteSession::finished, this, [this](bool ok, const QString& why) {
        m_tailFailed = true;
        if (!ok) setMessage(tr("Live tail ended: %1").arg(why));
        if (m_liveWaiting) liveTimedOut();
    });
    // The scope given with the URI (the window's), else the URI's own (?streams=…); then only its newest
    // event before following.
    RemoteScope scope;
    if (m_liveScope) {
        scope = *m_liveScope;
    } else {
        QHash<QString, QString> params;
        const QUrlQuery query{QUrl(singleHostUri(uri))};
        for (const char* k : {"streams", "since", "until"})
            if (query.hasQueryItem(QLatin1String(k)))
                params.insert(QLatin1String(k), query.queryItemValue(QLatin1String(k), QUrl::FullyDecoded));
        if (!RemoteScope::fromParams(params, &scope, &error)) {
            m_tailFailed = true;
            setMessage(tr("No live tail: %1").arg(error));
            return;
        }
    }
    scope.last = 1;
    m_tail->start(uri, scope, true);
}

void Presentation::want(int chapter, int beat)
{
    m_wantChapter = chapter;
    m_wantBeat = beat;
    if (const Frame* f = cached(chapter, beat)) {
        show(*f);
        pump(); // prefetch around the new position
        return;
    }
    pump();
}

const Frame* Presentation::cached(int chapter, int beat) const
{
    if (beat < 0) {
        const auto info = m_infos.value(chapter);
        if (!info) return nullptr;
        beat = std::max(0, int(info->steps.size()) - 1);
    }
    auto it = m_frames.constFind(Key{chapter, beat});
    return it == m_frames.constEnd() ? nullptr : &*it;
}

void Presentation::pump()
{
    if (m_inflight || !m_worker) return;
    QPointer<Presentation> self(this);
    const qint64 id = ++m_requestId;
    // A live scan first: the room is waiting.
    if (m_liveScanQueued && m_liveWaiting && m_liveReader) {
        m_liveScanQueued = false;
        m_inflight = true;
        const int chapter = m_liveChapter;
        const qint64 after = m_liveAfter;
        std::shared_ptr<EventReader> cache = m_liveReader;
        PresentWorker* w = m_worker;
        QMetaObject::invokeMethod(w, [w, self, chapter, cache, after, id] {
            Frame f = w->liveScan(chapter, cache, after);
            QMetaObject::invokeMethod(self, [self, f, id] { if (self) self->delivered(f, id); }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
        return;
    }
    // What to compute next: the asked-for frame, then the neighbours, then the plans of every chapter.
    QList<Key> todo{Key{m_wantChapter, m_wantBeat}};
    if (m_prefetch && m_shown.chapter >= 0 && m_shown.info) {
        const int c = m_shown.chapter, n = int(m_shown.info->steps.size());
        if (m_shown.beat + 1 < n) todo << Key{c, m_shown.beat + 1};
        if (m_shown.beat > 0) todo << Key{c, m_shown.beat - 1};
        if (c + 1 < chapterCount()) todo << Key{c + 1, 0} << Key{c + 1, -1};
        if (c > 0) todo << Key{c - 1, 0};
        for (int i = 0; i < chapterCount(); ++i)
            if (!m_infos.contains(i)) todo << Key{i, 0};
    }
    for (const Key& k : std::as_const(todo)) {
        if (cached(k.chapter, k.beat)) continue;
        if (k.chapter < 0 || k.chapter >= chapterCount()) continue;
        m_inflight = true;
        PresentWorker* w = m_worker;
        const int chapter = k.chapter, beat = k.beat;
        QMetaObject::invokeMethod(w, [w, self, chapter, beat, id] {
            Frame f = w->frame(chapter, beat);
            QMetaObject::invokeMethod(self, [self, f, id] { if (self) self->delivered(f, id); }, Qt::QueuedConnection);
        }, Qt::QueuedConnection);
        return;
    }
}

void Presentation::delivered(const Frame& f, qint64)
{
    m_inflight = false;
    if (f.live) {
        if (m_liveWaiting && f.chapter == m_liveChapter) {
            m_liveWaiting = false;
            m_liveTimeout.stop();
            m_liveDone.insert(f.chapter, true);
            setMessage(tr("Live: a matching event came in"));
            show(f);
        }
        pump();
        return;
    }
    if (f.chapter < 0) { // a live scan that found nothing yet
        pump();
        return;
    }
    if (f.info) m_infos.insert(f.chapter, f.info);
    if (m_frames.size() > 256) m_frames.clear(); // bounded; the shown frame is kept in m_shown
    m_frames.insert(Key{f.chapter, f.beat}, f);
    const bool asked = f.chapter == m_wantChapter &&
                       (f.beat == m_wantBeat || (m_wantBeat < 0 && f.info && f.beat == int(f.info->steps.size()) - 1) ||
                        !f.error.isEmpty());
    if (asked) show(f);
    pump();
    Q_EMIT presenterChanged(); // plans and the thumbnail may have arrived
}

void Presentation::show(const Frame& f)
{
    if (!f.error.isEmpty()) {
        // The audience keeps what it shows (never a blank frame); a first chapter that fails shows its title
        // with the reason.
        setMessage(tr("Chapter %1 cannot be shown: %2").arg(f.chapter + 1).arg(f.error));
        if (m_shown.chapter < 0) {
            m_shown = f;
            m_shown.audience.banner = tr("This chapter cannot be shown");
            ++m_framesShown;
            Q_EMIT audienceChanged();
        } else {
            m_wantChapter = m_shown.chapter;
            m_wantBeat = m_shown.beat;
        }
        Q_EMIT presenterChanged();
        return;
    }
    const bool chapterChanged = f.chapter != m_shown.chapter || !m_shown.error.isEmpty();
    m_shown = f;
    ++m_framesShown;
    if (chapterChanged) {
        m_realtime = f.info && f.info->realtime;
        m_speed = f.info ? f.info->speed : 1;
        if (m_liveWaiting && f.chapter != m_liveChapter) {
            m_liveWaiting = false;
            m_liveTimeout.stop();
        }
        if (!f.live && f.info && f.info->live && !m_liveDone.value(f.chapter)) enterLive(f);
        else if (!f.live) setMessage({});
    }
    if (m_liveWaiting)
        m_shown.audience.banner = tr("Waiting for a live event: %1").arg(f.info ? f.info->liveWhat : QString());
    Q_EMIT audienceChanged();
    Q_EMIT presenterChanged();
    schedulePlayback();
}

void Presentation::enterLive(const Frame& f)
{
    if (m_tailFailed || !m_tail) {
        setMessage(tr("Live chapter: this store has no live tail (a remote store has one); playing the recorded events"));
        m_liveDone.insert(f.chapter, true);
        return;
    }
    m_liveWaiting = true;
    m_liveChapter = f.chapter;
    m_liveAfter = m_tailLast; // -1: set by the tail's first commit
    m_liveTimeout.start(int(std::min<qint64>(f.info->liveTimeoutMs, 600000)));
    setMessage(tr("Waiting up to %1 for %2").arg(humanDuration(f.info->liveTimeoutMs), f.info->liveWhat));
}

void Presentation::liveCommitted(qint64 lastPosition)
{
    const qint64 before = m_tailLast;
    m_tailLast = lastPosition;
    if (!m_liveReader && m_tail) {
        QString error;
        std::unique_ptr<EventReader> r = m_tail->openReader(&error);
        if (r) m_liveReader = std::shared_ptr<EventReader>(std::move(r));
    }
    if (!m_liveWaiting) return;
    if (m_liveAfter < 0) {
        // The tail's first page (the newest event before the chapter began) is the baseline.
        m_liveAfter = before >= 0 ? before : lastPosition;
        if (before < 0) return;
    }
    if (lastPosition > m_liveAfter) {
        m_liveScanQueued = true;
        pump();
    }
}

void Presentation::liveTimedOut()
{
    if (!m_liveWaiting) return;
    m_liveWaiting = false;
    m_liveTimeout.stop();
    m_liveDone.insert(m_liveChapter, true);
    setMessage(tr("No live event in time: playing the recorded events"));
    m_shown.audience.banner.clear();
    Q_EMIT audienceChanged();
    Q_EMIT presenterChanged();
    schedulePlayback();
}

void Presentation::schedulePlayback()
{
    m_playback.stop();
    if (!m_realtime || m_liveWaiting || m_shown.live || !m_shown.info || m_shown.beat + 1 >= beatCount()) return;
    const ChapterInfo& info = *m_shown.info;
    const qint64 a = info.stepTimes.value(m_shown.beat, kNoTime), b = info.stepTimes.value(m_shown.beat + 1, kNoTime);
    qint64 gap = a == kNoTime || b == kNoTime ? 1000 : std::clamp<qint64>(b - a, 0, info.maxGapMs);
    // At least a fifth of a second per beat: the room must see each one.
    m_playback.start(int(std::clamp<double>(double(gap) / m_speed, 200, 600000)));
}

void Presentation::setMessage(const QString& m)
{
    m_message = m;
    Q_EMIT presenterChanged();
}

bool Presentation::isIdle() const
{
    return !m_inflight && m_shown.chapter == m_wantChapter &&
           (m_wantBeat < 0 || m_shown.beat == m_wantBeat || m_shown.live || !m_shown.error.isEmpty());
}

AudienceFrame Presentation::audienceFrame() const
{
    AudienceFrame f = m_shown.audience;
    if (m_shown.chapter < 0 && m_story) {
        // Before the first chapter is laid out: the story's title.
        f.page.title = m_story->title;
        f.page.subtitle = m_story->audience.isEmpty() ? QString() : tr("For %1").arg(m_story->audience);
        f.banner = tr("Preparing…");
    }
    f.blank = m_blank;
    f.peek = m_peek;
    return f;
}

const Frame* Presentation::nextChapterFrame() const
{
    if (m_shown.chapter < 0 || m_shown.chapter + 1 >= chapterCount()) return nullptr;
    return cached(m_shown.chapter + 1, -1);
}

qint64 Presentation::plannedMs(bool* complete) const
{
    qint64 total = 0;
    for (const auto& info : m_infos)
        total += info->plannedMs;
    if (complete) *complete = m_infos.size() == chapterCount();
    return total;
}

qint64 Presentation::plannedBeforeMs(int chapter) const
{
    qint64 total = 0;
    for (int i = 0; i < chapter; ++i)
        if (const auto info = m_infos.value(i)) total += info->plannedMs;
    return total;
}

void Presentation::nextBeat()
{
    if (m_shown.chapter < 0) return;
    if (!m_shown.live && m_shown.beat + 1 < beatCount())
        want(m_shown.chapter, m_shown.beat + 1);
    else
        nextChapter();
}

void Presentation::previousBeat()
{
    if (m_shown.chapter < 0) return;
    if (!m_shown.live && m_shown.beat > 0)
        want(m_shown.chapter, m_shown.beat - 1);
    else if (m_shown.chapter > 0)
        want(m_shown.chapter - 1, -1);
}

void Presentation::nextChapter()
{
    if (m_shown.chapter + 1 < chapterCount()) want(m_shown.chapter + 1, 0);
    else setMessage(tr("This is the last chapter"));
}

void Presentation::previousChapter()
{
    if (m_shown.chapter > 0) want(m_shown.chapter - 1, 0);
    else want(0, 0);
}

bool Presentation::jumpToChapter(int number)
{
    if (number < 1 || number > chapterCount()) {
        setMessage(tr("There is no chapter %1: the story has %2").arg(number).arg(chapterCount()));
        return false;
    }
    // Jumping to a live chapter waits again (also when it is the one on screen).
    m_liveDone.remove(number - 1);
    if (number - 1 == m_shown.chapter && m_shown.info && m_shown.info->live && !m_liveWaiting && m_shown.error.isEmpty()) {
        const Frame* first = cached(number - 1, 0);
        if (first) m_shown = *first;
        enterLive(m_shown);
        if (m_liveWaiting) m_shown.audience.banner = tr("Waiting for a live event: %1").arg(m_shown.info->liveWhat);
        Q_EMIT audienceChanged();
        return true;
    }
    want(number - 1, 0);
    return true;
}

void Presentation::toggleRealtime()
{
    m_realtime = !m_realtime;
    schedulePlayback();
    Q_EMIT presenterChanged();
}

void Presentation::faster()
{
    m_speed = std::min(m_speed * 2, 1e6);
    schedulePlayback();
    Q_EMIT presenterChanged();
}

void Presentation::slower()
{
    m_speed = std::max(m_speed / 2, 1.0 / 64);
    schedulePlayback();
    Q_EMIT presenterChanged();
}

void Presentation::setBlank(bool on)
{
    m_blank = on;
    Q_EMIT audienceChanged();
    Q_EMIT presenterChanged();
}

void Presentation::setPeek(bool on)
{
    if (m_peek == on) return;
    m_peek = on;
    Q_EMIT audienceChanged();
}

void Presentation::leave()
{
    m_playback.stop();
    m_liveTimeout.stop();
    if (m_tail) m_tail->cancel();
    Q_EMIT finished();
}

bool Presentation::handleKey(QKeyEvent* e)
{
    const int k = e->key();
    if (k >= Qt::Key_0 && k <= Qt::Key_9) {
        if (m_digits.size() < 4) m_digits += QChar(u'0' + (k - Qt::Key_0));
        Q_EMIT presenterChanged();
        return true;
    }
    if ((k == Qt::Key_Return || k == Qt::Key_Enter) && !m_digits.isEmpty()) {
        const int n = m_digits.toInt();
        m_digits.clear();
        jumpToChapter(n);
        Q_EMIT presenterChanged();
        return true;
    }
    if (k == Qt::Key_Backspace && !m_digits.isEmpty()) {
        m_digits.chop(1);
        Q_EMIT presenterChanged();
        return true;
    }
    if (k != Qt::Key_D && !m_digits.isEmpty() && k != Qt::Key_Escape) m_digits.clear();
    switch (k) {
    case Qt::Key_Space:
    case Qt::Key_Right:
    case Qt::Key_Down:
        nextBeat();
        return true;
    case Qt::Key_Left:
    case Qt::Key_Up:
        previousBeat();
        return true;
    case Qt::Key_PageDown:
        nextChapter();
        return true;
    case Qt::Key_PageUp:
        previousChapter();
        return true;
    case Qt::Key_Home:
        want(0, 0);
        return true;
    case Qt::Key_T:
        toggleRealtime();
        return true;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        faster();
        return true;
    case Qt::Key_Minus:
    case Qt::Key_Underscore:
        slower();
        return true;
    case Qt::Key_B:
    case Qt::Key_Period: // the "blank" button of most remotes
        setBlank(!m_blank);
        return true;
    case Qt::Key_D:
        if (!e->isAutoRepeat()) setPeek(true);
        return true;
    case Qt::Key_Escape:
        if (!m_digits.isEmpty()) {
            m_digits.clear();
            Q_EMIT presenterChanged();
        } else {
            leave();
        }
        return true;
    default:
        return false;
    }
}

bool Presentation::handleKeyRelease(QKeyEvent* e)
{
    if (e->key() == Qt::Key_D && !e->isAutoRepeat()) {
        setPeek(false);
        return true;
    }
    return false;
}

} // namespace chronoscope::present
