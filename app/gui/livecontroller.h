#pragma once
// The main window's side of a remote source: a RemoteSession reads the scope into the local cache (and
// follows new events); each commit extends the window's timeline index with the events after its last
// position (the store is not indexed again), and the cursor follows the head while "Follow head" is on.
// Also the connection status in the status bar (redacted URI only) and File ▸ Save capture as….

#include "livehost.h"
#include "sources/remote/remotesource.h"
#include "util/jobtracker.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <memory>

class QAction;
class QLabel;
class QProgressDialog;
class QThread;

namespace chronoscope {

class EventReader;
class TailReader;
struct TimelineIndex;

class LiveController : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Reading, Following, Complete, Disconnected };
    Q_ENUM(State)

    /// The window is reached only through `host` (LiveHost); the controller is a child of host->hostWindow().
    explicit LiveController(LiveHost* host);
    ~LiveController() override;

    /// Reads `uri`'s scope (the URI may hold a secret: it stays in memory) and shows it as soon as the
    /// first page is committed; with `follow`, keeps adding new events until stop() or another store opens.
    void start(const QString& uri, const RemoteScope& scope, bool follow, const QString& cacheDir = {});
    /// Stops reading or following; what was read stays open.
    void stop();

    State state() const { return m_state; }
    QString statusText() const;
    QString displayUri() const { return m_display; }
    /// The URI being read, secret included (memory only: the Server Projections panel asks the same server).
    QString uri() const { return m_uri; }
    /// The scope being read (as given to start(); the URI need not carry it).
    RemoteScope scope() const { return m_scope; }
    /// The window shows what this controller read (false before the first page and once another store
    /// opened).
    bool showsStore() const { return m_shown; }
    QLabel* statusLabel() const { return m_label; }
    QAction* followHeadAction() const { return m_followHead; }
    QAction* saveCaptureAction() const { return m_saveCapture; }
    /// File ▸ Stop Remote Read: enabled while reading or following.
    QAction* stopAction() const { return m_stop; }
    RemoteSession* session() const { return m_session; }
    bool isSaving() const { return m_saveId && m_saveJobs.isCurrent(m_saveId); }
    /// The thread that read the last batch of new events (never the GUI thread); null before the first.
    QThread* lastTailReadThread() const { return m_lastReadThread; }
    /// Batches of new events read and appended so far (tests, benchmarks).
    qint64 tailReads() const { return m_tailReads; }

    /// Writes what the open remote store (or cache/capture file) holds so far as a native store at `path`,
    /// on a worker thread; captureFinished tells the outcome. False when nothing could be started.
    bool saveCaptureTo(const QString& path, bool overwrite = false);

    /// The window opened a store: a store not opened by this controller ends the session.
    void storeOpened();

public Q_SLOTS:
    void saveCaptureDialog();

Q_SIGNALS:
    void stateChanged(chronoscope::LiveController::State state);
    /// The window's index grew to `events` events (after a commit was read).
    void indexExtended(qint64 events);
    void captureFinished(bool ok, const QString& path, const QString& error);

private:
    friend class TailReader;
    void setState(State s, const QString& message = {});
    void committed();
    void refresh();
    void tailRead(quint64 epoch, const QList<chronoscope::Event>& events, bool ok, const QString& error, QThread* thread);
    void stopTail();
    void finished(bool ok, const QString& error);
    void moveToHead();
    qint64 shownEvents() const;

    LiveHost* m_window;
    RemoteSession* m_session = nullptr;
    // New events are read on m_tailThread by a TailReader (its own reader of the cache), one batch at a
    // time; the GUI thread only appends them to m_index, in place (TimelineIndex::append()).
    QThread* m_tailThread;
    QObject* m_tailHost;                      ///< lives on m_tailThread: reads are queued to it
    std::shared_ptr<TailReader> m_tail;
    std::shared_ptr<TimelineIndex> m_index;  ///< the window's index (the one this controller appends to)
    quint64 m_epoch = 0;                      ///< bumped when the tail stops: a late batch is dropped
    bool m_reading = false;                   ///< a batch is being read
    bool m_readAgain = false;                 ///< a commit arrived meanwhile: read again when it is in
    QThread* m_lastReadThread = nullptr;
    qint64 m_tailReads = 0;
    QString m_display;
    QString m_uri;
    RemoteScope m_scope;
    QString m_layout;
    QElapsedTimer m_clock;
    bool m_follow = false;
    bool m_shown = false;     ///< the first commit is on screen
    bool m_applying = false;  ///< this controller is handing a store to the window
    bool m_moving = false;    ///< this controller is moving the cursor
    State m_state = State::Idle;
    QString m_message;
    qint64 m_committedEvents = 0;
    QTimer m_refresh;
    QLabel* m_label;
    QAction* m_followHead;
    QAction* m_saveCapture;
    QAction* m_stop;
    QPointer<QProgressDialog> m_saveProgress;
    quint64 m_saveId = 0;
    JobTracker m_saveJobs;  ///< "Save capture as…" on a thread of its own; last: the save ends first
};

} // namespace chronoscope
