#include "livecontroller.h"

#include "findings/annotations.h"

#include <QMainWindow>
#include "replaycontroller.h"
#include "store/sqlitestore.h"
#include "util/uri.h"

#include <QAction>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QProgressDialog>
#include <QStatusBar>
#include <QPointer>
#include <QThread>

namespace chronoscope {

namespace {
// While the scope is being read, commits come every 200 ms with many events each; while following, every
// page is a commit. Re-reading the tail at most this often keeps the window responsive either way.
constexpr int kReadingRefreshMs = 400;
constexpr int kFollowingRefreshMs = 100;
// At most this many new events per batch: a backlog (a long read, a burst) arrives as several batches, so
// one append on the GUI thread stays short (about 1 ms per 10k events) whatever the backlog.
constexpr int kMaxBatch = 20000;
}

// Reads the events after a position from its own reader of the cache, on the tail thread (never the GUI
// thread), and hands them to the controller without their payloads (the index keeps none).
class TailReader
{
public:
    explicit TailReader(std::unique_ptr<EventReader> reader) : m_reader(std::move(reader)) {}

    void read(quint64 epoch, qint64 from, const QPointer<LiveController>& to)
    {
        EventQuery q;
        q.fromPosition = from;
        q.limit = kMaxBatch;
        QList<Event> events;
        QString error;
        const bool ok = m_reader->read(q, [&](const Event& e) {
            Event light = e;
            light.data.clear();
            light.metadata.clear();
            events.append(std::move(light));
            return true;
        }, &error);
        QThread* thread = QThread::currentThread();
        QMetaObject::invokeMethod(to, [to, epoch, events, ok, error, thread] {
            if (to)
                to->tailRead(epoch, events, ok, error, thread);
        }, Qt::QueuedConnection);
    }

private:
    std::unique_ptr<EventReader> m_reader;
};

LiveController::LiveController(LiveHost* host)
    : QObject(host->hostWindow()), m_window(host), m_tailThread(new QThread), m_tailHost(new QObject),
      m_label(new QLabel(host->hostWindow())),
      m_followHead(new QAction(tr("Follow &Head"), this)), m_saveCapture(new QAction(tr("Save &Capture As…"), this)),
      m_stop(new QAction(tr("S&top Remote Read"), this)),
      m_saveJobs(this, JobTracker::Threads::Dedicated, QStringLiteral("save capture"))
{
    m_tailThread->setObjectName(QStringLiteral("live tail"));
    m_tailHost->moveToThread(m_tailThread);
    m_tailThread->start();
    m_stop->setObjectName(QStringLiteral("stopRemoteAction"));
    m_stop->setEnabled(false);
    connect(m_stop, &QAction::triggered, this, &LiveController::stop);
    m_label->setObjectName(QStringLiteral("statusRemote"));
    m_label->hide();
    m_followHead->setObjectName(QStringLiteral("followHeadAction"));
    m_followHead->setCheckable(true);
    m_followHead->setEnabled(false);
    m_followHead->setToolTip(tr("Keep the cursor on the newest event while following a remote source"));
    connect(m_followHead, &QAction::toggled, this, [this](bool on) {
        if (on)
            moveToHead();
    });
    m_saveCapture->setObjectName(QStringLiteral("saveCaptureAction"));
    m_saveCapture->setEnabled(false);
    connect(m_saveCapture, &QAction::triggered, this, &LiveController::saveCaptureDialog);
    m_refresh.setSingleShot(true);
    connect(&m_refresh, &QTimer::timeout, this, &LiveController::refresh);
    // Moving the cursor by hand (anywhere but the head) means the user wants it to stay there.
    connect(host->controller(), &ReplayController::cursorChanged, this, [this](qint64 position) {
        if (m_moving || !m_followHead->isChecked() || !m_shown || !m_window->index())
            return;
        if (position != m_window->index()->info.lastPosition)
            m_followHead->setChecked(false);
    });
}

LiveController::~LiveController()
{
    stopTail();
    m_tailThread->quit();
    m_tailThread->wait();
    delete m_tailHost;
    delete m_tailThread;
    if (m_session)
        m_session->cancel();
    m_saveJobs.waitForDone();  // a capture being saved is finished, not cut short
}

void LiveController::start(const QString& uri, const RemoteScope& scope, bool follow, const QString& cacheDir)
{
    stop();
    delete m_session; // waits for the previous worker, which stop() has cancelled
    m_session = new RemoteSession(this);
    stopTail();
    m_display = redactUri(uri);
    m_uri = uri;
    m_scope = scope;
    m_follow = follow;
    m_shown = false;
    m_committedEvents = 0;
    m_layout.clear();
    m_clock.start();
    {
        const QSignalBlocker block(m_followHead);
        m_followHead->setChecked(follow);
    }
    m_followHead->setEnabled(follow);
    connect(m_session, &RemoteSession::connected, this, [this](const QString& layout) {
        m_layout = layout;
        setState(State::Reading);
    });
    connect(m_session, &RemoteSession::progress, this, [this](qint64, qint64, const QString& what) {
        if (what == QLatin1String("following"))
            setState(State::Following);
    });
    connect(m_session, &RemoteSession::pagesCommitted, this, [this](qint64 events, qint64) {
        m_committedEvents = events;
        committed();
    });
    connect(m_session, &RemoteSession::finished, this, &LiveController::finished);
    setState(State::Connecting);
    m_window->hostWindow()->statusBar()->showMessage(tr("Connecting to %1…").arg(m_display), 4000);
    m_session->start(uri, scope, follow, cacheDir);
}

void LiveController::stop()
{
    if (m_session && m_session->isRunning())
        m_session->cancel();
}

void LiveController::committed()
{
    if (m_shown) {
        if (!m_refresh.isActive())
            m_refresh.start(m_state == State::Following ? kFollowingRefreshMs : kReadingRefreshMs);
        else
            setState(m_state); // the status shows the count committed
        return;
    }
    // The first page: show it at once, as a store of its own (the window swaps to it like any open).
    QString error;
    std::unique_ptr<EventReader> reader = m_session->openReader(&error);
    std::unique_ptr<EventReader> tail = reader ? m_session->openReader(&error) : nullptr;
    if (!reader || !tail) {
        setState(State::Disconnected, tr("cannot read the cache: %1").arg(error));
        stop();
        return;
    }
    // The session knows the remote layout only once it ends; the window shows it from the first page.
    if (auto* sqlite = dynamic_cast<SqliteStoreReader*>(reader.get()); sqlite && !m_layout.isEmpty())
        sqlite->setLayout(m_layout);
    std::shared_ptr<const TimelineIndex> index = buildTimelineIndex(*reader, CancelToken{}, {}, &error);
    if (!index) {
        setState(State::Disconnected, error);
        stop();
        return;
    }
    // The window's index is this controller's to grow in place. Taken as built (no one else holds it; the
    // builder made it non-const) rather than copied: a copy would cost O(events) here and drop the room
    // the builder reserved ahead (TimelineIndex::reserveAhead()), so the first appends would regrow every
    // per-row and per-lane array on the GUI thread.
    auto live = std::const_pointer_cast<TimelineIndex>(index);
    OpenResult r;
    r.uri = m_display;
    r.displayUri = m_display;
    r.reader = std::shared_ptr<EventReader>(std::move(reader));
    r.index = live;
    r.elapsedMs = m_clock.elapsed();
    m_applying = true;
    m_window->applyOpen(r);
    m_applying = false;
    stopTail();
    m_index = live;
    m_tail = std::make_shared<TailReader>(std::move(tail));
    m_shown = true;
    setState(m_state);
    if (index->size() < m_committedEvents)
        m_refresh.start(0);
}

void LiveController::refresh()
{
    if (!m_shown || !m_tail || !m_index || m_window->index() != m_index)
        return;
    if (m_reading) {
        m_readAgain = true;  // one batch at a time; this commit is read when the batch in flight is in
        return;
    }
    m_reading = true;
    const qint64 from = m_index->isEmpty() ? 0 : m_index->entries.back().position + 1;
    QPointer<LiveController> self(this);
    std::shared_ptr<TailReader> tail = m_tail;  // kept alive by the read even if the tail stops meanwhile
    const quint64 epoch = m_epoch;
    QMetaObject::invokeMethod(m_tailHost, [tail, epoch, from, self] { tail->read(epoch, from, self); }, Qt::QueuedConnection);
}

void LiveController::tailRead(quint64 epoch, const QList<Event>& events, bool ok, const QString& error, QThread* thread)
{
    if (epoch != m_epoch)
        return;  // read for a tail that has stopped (another store, another session)
    m_reading = false;
    m_lastReadThread = thread;
    ++m_tailReads;
    if (!ok) {
        m_window->hostWindow()->statusBar()->showMessage(tr("%1: could not read the new events: %2").arg(m_display, error), 8000);
        return;
    }
    if (!events.isEmpty() && m_index && m_window->index() == m_index) {
        const TimelineAppend change = m_index->append(events);
        if (!change.isEmpty()) {
            m_window->indexGrew(change);
            if (m_followHead->isChecked())
                moveToHead();
            Q_EMIT indexExtended(m_index->size());
        }
    }
    setState(m_state);
    if (m_readAgain || events.size() >= kMaxBatch) {
        m_readAgain = false;
        refresh();
    }
}

void LiveController::stopTail()
{
    ++m_epoch;
    m_reading = m_readAgain = false;
    m_tail.reset();  // the reader goes with the last read that holds it, on the tail thread
    m_index.reset();
}

void LiveController::moveToHead()
{
    if (!m_window->index() || m_window->index()->isEmpty())
        return;
    m_moving = true;
    m_window->controller()->setCursor(m_window->index()->info.lastPosition);
    m_window->controller()->flush();
    m_moving = false;
}

void LiveController::finished(bool ok, const QString& error)
{
    m_refresh.stop();
    if (m_shown)
        refresh(); // the last commit
    {
        const QSignalBlocker block(m_followHead);
        m_followHead->setChecked(false);
    }
    m_followHead->setEnabled(false);
    if (!ok) {
        setState(State::Disconnected, error);
        if (!m_shown) {
            m_window->liveOpenFailed(m_display, error);
        }
        return;
    }
    if (m_follow)
        setState(State::Disconnected, tr("stopped following"));
    else
        setState(State::Complete);
}

void LiveController::storeOpened()
{
    if (!m_applying) {
        // Another store replaced the remote one: its session ends and the status goes.
        stop();
        m_shown = false;
        stopTail();
        const QSignalBlocker block(m_followHead);
        m_followHead->setChecked(false);
        m_followHead->setEnabled(false);
        setState(State::Idle);
    }
    // Captures come from remote reads: the cache of this session, or a cache/capture file opened later. A
    // local file's import cache names a path as its source: saving it again would only copy a local file.
    bool remote = m_applying;
    if (auto* sqlite = dynamic_cast<SqliteStoreReader*>(m_window->reader().get()))
        remote = remote || looksLikeUri(sqlite->meta().value(QStringLiteral("source_uri")));
    m_saveCapture->setEnabled(remote);
}

qint64 LiveController::shownEvents() const
{
    return m_shown && m_window->index() ? m_window->index()->size() : 0;
}

QString LiveController::statusText() const
{
    const QLocale loc;
    switch (m_state) {
    case State::Idle:
        return {};
    case State::Connecting:
        return tr("%1: connecting…").arg(m_display);
    case State::Reading:
        return tr("%1: reading, %2 events").arg(m_display, loc.toString(std::max(m_committedEvents, shownEvents())));
    case State::Following:
        return tr("%1: following, %2 events").arg(m_display, loc.toString(shownEvents()));
    case State::Complete:
        return tr("%1: read %2 events").arg(m_display, loc.toString(shownEvents()));
    case State::Disconnected:
        return tr("%1: disconnected: %2").arg(m_display, m_message);
    }
    return {};
}

void LiveController::setState(State s, const QString& message)
{
    const bool changed = s != m_state;
    m_state = s;
    if (!message.isEmpty() || changed)
        m_message = message;
    const QString text = statusText();
    m_label->setText(text);
    m_label->setToolTip(text);
    m_label->setVisible(!text.isEmpty());
    // Colour says the state at a glance: amber while connecting/reading, green following, red disconnected.
    const char* colour = s == State::Following ? "#2e8b57" : s == State::Disconnected ? "#d62728"
                         : s == State::Complete || s == State::Idle ? nullptr : "#b8860b";
    m_label->setStyleSheet(colour ? QStringLiteral("QLabel { color: %1; font-weight: bold; }").arg(QLatin1String(colour)) : QString());
    m_stop->setEnabled(s == State::Connecting || s == State::Reading || s == State::Following);
    if (changed)
        Q_EMIT stateChanged(s);
}

void LiveController::saveCaptureDialog()
{
    if (!m_window->reader() || isSaving())
        return;
    const QString path = QFileDialog::getSaveFileName(m_window->hostWindow(), tr("Save Capture As"), QString(),
                                                      tr("Native stores (*.chronoscope)"));
    if (path.isEmpty())
        return;
    // The file dialog has asked whether to replace an existing file.
    saveCaptureTo(path.endsWith(QLatin1String(".chronoscope")) ? path : path + QStringLiteral(".chronoscope"), true);
}

bool LiveController::saveCaptureTo(const QString& path, bool overwrite)
{
    auto fail = [&](const QString& error) {
        m_window->hostWindow()->statusBar()->showMessage(tr("Capture not saved: %1").arg(error), 10000);
        m_window->report(tr("The capture could not be saved"), error);
        Q_EMIT captureFinished(false, path, error);
        return false;
    };
    if (isSaving())
        return fail(tr("a capture is already being saved"));
    if (!m_window->reader())
        return fail(tr("no store is open"));
    // Never write over the store being read (the cache of this session).
    if (m_session && QFileInfo(path).absoluteFilePath() == QFileInfo(m_session->cachePath()).absoluteFilePath())
        return fail(tr("%1 is the cache being read; choose another file").arg(path));
    QString error;
    std::unique_ptr<EventReader> reader = m_window->reader()->clone(&error);
    if (!reader)
        return fail(error);
    QHash<QString, QString> meta;
    if (auto* sqlite = dynamic_cast<SqliteStoreReader*>(reader.get())) {
        const QHash<QString, QString> source = sqlite->meta();
        for (const char* key : {"source_layout", "scope", "remote_complete"})
            if (source.contains(QLatin1String(key)))
                meta.insert(QLatin1String(key), source.value(QLatin1String(key)));
        // Redacted again: a file written by an older version must not pass a secret on.
        const QString uri = source.value(QStringLiteral("source_uri"));
        if (!uri.isEmpty())
            meta.insert(QStringLiteral("source_uri"), redactUri(uri));
    }
    if (!meta.contains(QStringLiteral("source_uri")))
        meta.insert(QStringLiteral("source_uri"), redactUri(m_display.isEmpty() ? m_window->currentDisplayUri() : m_display));
    if (m_state == State::Reading || m_state == State::Following || m_state == State::Connecting)
        meta.insert(QStringLiteral("remote_complete"), QStringLiteral("false")); // the read goes on
    meta.insert(QStringLiteral("captured_at"), formatTime(QDateTime::currentMSecsSinceEpoch()));
    // The store's notes go with the capture (meta row "annotations"; docs/findings.md, "Annotations").
    const AnnotationSet notes = AnnotationSet::load(AnnotationSet::storeIdentity(m_window->currentDisplayUri()));
    if (!notes.notes().isEmpty())
        meta.insert(QStringLiteral("annotations"), QString::fromUtf8(notes.toJson()));

    const qint64 events = m_window->index() ? m_window->index()->size() : 0;
    m_window->hostWindow()->statusBar()->showMessage(tr("Saving %1 events to %2…").arg(QLocale().toString(events), path));
    if (m_window->isInteractive()) {
        m_saveProgress = new QProgressDialog(tr("Saving %1 events to %2…").arg(QLocale().toString(events), path), QString(), 0, 0, m_window->hostWindow());
        m_saveProgress->setWindowTitle(tr("Save Capture"));
        m_saveProgress->setWindowModality(Qt::WindowModal);
        m_saveProgress->setMinimumDuration(300);
    }
    m_saveCapture->setEnabled(false);
    auto shared = std::shared_ptr<EventReader>(std::move(reader));
    m_saveId = m_saveJobs.start(
        JobTracker::NoLane,
        [shared, path, meta, overwrite](const JobHandle&) {
            QString err;
            const bool ok = saveCapture(*shared, path, meta, &err, overwrite);
            return std::make_pair(ok, err);
        },
        [this, path](quint64, const std::pair<bool, QString>& outcome) {
            const auto& [ok, err] = outcome;
            if (m_saveProgress)
                m_saveProgress->deleteLater();
            m_saveCapture->setEnabled(true);
            if (!ok) {
                m_window->hostWindow()->statusBar()->showMessage(tr("Capture not saved: %1").arg(err), 10000);
                m_window->report(tr("The capture could not be saved to %1").arg(path), err);
            } else {
                m_window->hostWindow()->statusBar()->showMessage(tr("Capture saved to %1").arg(path), 8000);
            }
            Q_EMIT captureFinished(ok, path, err);
        });
    return true;
}

} // namespace chronoscope
