#pragma once
// Present mode's state and its worker (docs/present.md). The story engine runs on a thread of its own (it
// reads the store, runs KPI projections, checks facts); the GUI thread only keeps what to show and paints
// finished frames. One request is in flight at a time: the frame the presenter asked for first, then the
// next beat, the next chapter and its thumbnail, then the plans of all chapters. Until the asked-for frame
// arrives the audience keeps the previous one, so a chapter change never shows a blank screen.
// Live chapters wait on a live tail of the remote store (RemoteSession following, the mechanism under the
// main window's LiveController) and play their recorded beats when nothing matches in time.

#include "present/audiencepaint.h"
#include "sources/remote/remoteclient.h"
#include "story/story.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QKeyEvent;
class QThread;

namespace chronoscope {
class EventReader;
class RemoteSession;
}

namespace chronoscope::present {

struct FactLine
{
    QString text;   ///< the fact in words ("order-858 /status = "completed"")
    bool holds = false;
    QString actual; ///< what the store holds ("—" when nothing)
};

/// What the presenter needs of a chapter beyond one frame.
struct ChapterInfo
{
    int index = -1;
    QString title;
    QString error;             ///< the chapter cannot be shown (no beats, a failing KPI, …)
    QList<qint64> steps;       ///< position of the last event of each beat (a sequence row)
    QStringList stepLabels;    ///< each beat's row label, for the beat list
    QList<qint64> stepTimes;   ///< ms since epoch (kNoTime when unknown)
    QString notes;             ///< Markdown, templates rendered
    QList<FactLine> facts;     ///< evaluated when the chapter is first shown
    QString factsError;
    qint64 plannedMs = 0;      ///< realtime: the paced playback; step: kStepPlanMs per beat
    bool realtime = false;
    double speed = 1;
    qint64 maxGapMs = 60000;
    bool live = false;
    QString liveWhat;          ///< "PaymentAuthorized on payment-*"
    qint64 liveTimeoutMs = 0;
};

/// A step chapter is planned at this much time per beat (the presenter talks over each).
inline constexpr qint64 kStepPlanMs = 8000;

struct Frame
{
    int chapter = -1;
    int beat = 0;
    AudienceFrame audience;
    std::shared_ptr<const ChapterInfo> info;
    QString error;
    bool live = false;
};

class PresentWorker;

class Presentation : public QObject
{
    Q_OBJECT
public:
    /// Opens the store on the worker thread (the engine's reader never touches the GUI thread).
    using ReaderFactory = std::function<std::unique_ptr<EventReader>(QString* error)>;

    explicit Presentation(QObject* parent = nullptr);
    ~Presentation() override;

    /// Reads and validates the story. False with *error (the file, and the JSON pointer of what is wrong).
    bool loadStory(const QString& path, QString* error);
    /// The store: a URI (`--store`, else the story's source.uri), or a factory (the main window's reader cloned).
    void setStoreUri(const QString& uri) { m_storeUri = uri; }
    void setReaderFactory(ReaderFactory f) { m_factory = std::move(f); }
    bool hasReaderFactory() const { return bool(m_factory); }
    /// What live chapters follow when it is not the store URI: the main window's remote store (its full URI,
    /// secret included, kept in memory only, and the scope it reads), while the chapters are read from a
    /// clone of the window's reader. Without a scope, the URI's own ?streams=/since/until are the scope.
    void setLiveSource(const QString& uri, const std::optional<RemoteScope>& scope = std::nullopt)
    {
        m_liveUri = uri;
        m_liveScope = scope;
    }
    /// A live tail is running (or was started) for live chapters.
    bool hasLiveTail() const { return m_tail != nullptr && !m_tailFailed; }
    /// Starts the worker and asks for the chapter's frame (beat -1: its last beat). False when the chapter
    /// is out of range.
    bool start(int chapter = 0, int beat = 0, QString* error = nullptr);

    const story::Story& story() const { return *m_story; }
    int chapterCount() const;
    /// What the audience shows now.
    int chapter() const { return m_shown.chapter; }
    int beat() const { return m_shown.beat; }
    int beatCount() const { return m_shown.info ? int(m_shown.info->steps.size()) : 0; }
    const Frame& shownFrame() const { return m_shown; }
    AudienceFrame audienceFrame() const;
    /// The next chapter's frame when it is ready (the presenter's thumbnail).
    const Frame* nextChapterFrame() const;
    bool realtime() const { return m_realtime; }
    double speed() const { return m_speed; }
    bool isBlank() const { return m_blank; }
    bool isPeeking() const { return m_peek; }
    QString digits() const { return m_digits; }
    QString message() const { return m_message; }
    bool isWaitingLive() const { return m_liveWaiting; }
    qint64 elapsedMs() const { return m_clock.isValid() ? m_clock.elapsed() : 0; }
    /// Sum of the chapters' planned times (the ones known so far; all once the worker has planned them).
    qint64 plannedMs(bool* complete = nullptr) const;
    qint64 plannedBeforeMs(int chapter) const;
    /// No request in flight and the asked-for frame is on screen.
    bool isIdle() const;
    /// Off: only the asked-for frame is computed (benchmarks measure a chapter nobody laid out before).
    void setPrefetch(bool on) { m_prefetch = on; }
    /// Delivered frames so far (tests, benchmarks).
    qint64 framesShown() const { return m_framesShown; }

    void nextBeat();
    void previousBeat();
    void nextChapter();
    void previousChapter();
    /// 1-based, as the presenter types it. False (and message()) when out of range.
    bool jumpToChapter(int number);
    void toggleRealtime();
    void faster();
    void slower();
    void setBlank(bool on);
    void setPeek(bool on);
    void leave();

    /// The keys of a presentation remote (docs/present.md); true when used.
    bool handleKey(QKeyEvent* e);
    bool handleKeyRelease(QKeyEvent* e);

Q_SIGNALS:
    /// The audience frame changed (new frame, blank, peek, banner).
    void audienceChanged();
    /// Anything the presenter shows changed (frame, timer, message, mode).
    void presenterChanged();
    void finished();

private:
    friend class PresentWorker;
    struct Key
    {
        int chapter, beat;
        bool operator==(const Key& o) const { return chapter == o.chapter && beat == o.beat; }
    };
    friend size_t qHash(const Key& k, size_t seed) { return qHashMulti(seed, k.chapter, k.beat); }
    void want(int chapter, int beat);
    void pump();
    void delivered(const Frame& f, qint64 requestId);
    void show(const Frame& f);
    const Frame* cached(int chapter, int beat) const;
    void schedulePlayback();
    void setMessage(const QString& m);
    void enterLive(const Frame& f);
    void liveCommitted(qint64 lastPosition);
    void liveTimedOut();
    void startTail();

    std::shared_ptr<story::Story> m_story;
    QString m_storeUri;
    ReaderFactory m_factory;
    QString m_liveUri; ///< may hold a secret: memory only, never shown (redactUri)
    std::optional<RemoteScope> m_liveScope;
    QThread* m_thread = nullptr;
    PresentWorker* m_worker = nullptr; ///< lives on m_thread
    QHash<Key, Frame> m_frames;
    QHash<int, std::shared_ptr<const ChapterInfo>> m_infos;
    Frame m_shown;
    int m_wantChapter = 0;
    int m_wantBeat = 0; ///< -1: the chapter's last beat
    bool m_inflight = false;
    qint64 m_requestId = 0;
    bool m_started = false;
    bool m_prefetch = true;
    bool m_realtime = false;
    double m_speed = 1;
    bool m_blank = false;
    bool m_peek = false;
    QString m_digits;
    QString m_message;
    QElapsedTimer m_clock;
    QTimer m_playback;
    QTimer m_tick;
    qint64 m_framesShown = 0;
    // Live chapters.
    RemoteSession* m_tail = nullptr;
    bool m_tailFailed = false;
    qint64 m_tailLast = -1;
    bool m_liveWaiting = false;
    int m_liveChapter = -1;
    qint64 m_liveAfter = -1;
    bool m_liveScanQueued = false;
    QTimer m_liveTimeout;
    QHash<int, bool> m_liveDone;
    std::shared_ptr<EventReader> m_liveReader;
};

} // namespace chronoscope::present
