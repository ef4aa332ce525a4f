#pragma once
// Remote stores behind the one reading interface: a RemoteClient's pages are written into a native
// store file (the local cache, or a capture the user saves), committed page by page so readers see
// the first page before the rest arrives; memory stays bounded by one page. Registers the source
// kinds kurrentdb/esdb, eventsourcingdb, postgresql/postgres and redis, so openSource() reads the
// scope into the cache and returns a reader over it.

#include "sources/remote/remoteclient.h"
#include "store/eventreader.h"
#include "util/jobtracker.h"

#include <QObject>

#include <atomic>

namespace chronoscope {

struct RemoteFetchOptions
{
    RemoteScope scope;
    /// Live cache: the file is created empty and then appended to with a commit per page, so another
    /// reader can open it meanwhile. Capture: written in bulk and moved into place at the end.
    bool live = false;
    bool overwrite = true;
    /// After the read, follow new events (live tail) until cancelled.
    bool follow = false;
    CancelToken cancel;
    ProgressFn progress;
    CredentialsPrompt prompt;
    int firstPage = 200;
    int pageSize = 5000;
    /// Live cache: the first page is committed at once, later pages at most this often (each commit syncs
    /// the file); the live tail commits every page.
    int commitIntervalMs = 200;
    /// Called on the working thread after each commit (live) or page (capture): events in the file, last position.
    std::function<void(qint64 events, qint64 lastPosition)> committed;
    /// Called once the client is connected (layout known), before the first page.
    std::function<void(const QString& layout, const QString& description)> connected;
};

struct RemoteFetchResult
{
    bool ok = false;
    bool cancelled = false;
    QString error;           ///< in the user's words, naming the endpoint (never a secret)
    QString layout;
    QString description;
    qint64 events = 0;       ///< events in the file (kept even when the read failed part way)
};

/// Reads the scope of a remote store into the store file at `path`. The file's meta records the
/// redacted source URI ("source_uri"), the layout ("source_layout"), the scope ("scope", JSON) and
/// whether the read completed ("remote_complete"); a failure part way keeps what was read and is
/// recorded as an issue of the file. Returns false only when nothing usable was written.
bool fetchRemote(const QString& uri, const QString& path, const RemoteFetchOptions& options, RemoteFetchResult* result);

/// The cache file for a URI and scope in <cacheRoot(cacheDir)>/remote (util/cacheroot.h).
/// The name is a hash of the redacted URI and the scope: no secret, no host name in clear.
QString remoteCachePath(const QString& uri, const RemoteScope& scope, const QString& cacheDir = {});

/// "Save capture as…": copies what a reader holds (the cache read so far) into a new native store.
bool saveCapture(EventReader& from, const QString& path, const QHash<QString, QString>& meta, QString* error,
                 bool overwrite = false);

/// A remote read in a worker thread (a JobTracker job on a thread of its own), for the app: every signal
/// arrives on the thread that created the session, and only for the current read (a restarted session
/// never hears from the read it replaced); cancel() stops at once; the cache file stays readable throughout.
class RemoteSession : public QObject
{
    Q_OBJECT
public:
    explicit RemoteSession(QObject* parent = nullptr);
    ~RemoteSession() override;

    /// Starts reading uri's scope into the cache (path from remoteCachePath unless given).
    void start(const QString& uri, const RemoteScope& scope, bool follow, const QString& cacheDir = {},
               const QString& cachePath = {});
    void setPrompt(CredentialsPrompt prompt) { m_prompt = std::move(prompt); }
    /// Stops reading or following (finished() still comes); what was read stays in the cache.
    void cancel();
    bool isRunning() const;
    /// Blocks until the worker ends (tests, shutdown).
    bool wait(int ms = -1);

    QString cachePath() const { return m_cachePath; }
    /// A reader over the cache as it is now (null before the first commit).
    std::unique_ptr<EventReader> openReader(QString* error) const;
    RemoteFetchResult result() const;

Q_SIGNALS:
    void connected(const QString& layout, const QString& description);
    void progress(qint64 done, qint64 total, const QString& what);
    /// New events are readable in the cache: the file holds `events`, the newest at `lastPosition`.
    void pagesCommitted(qint64 events, qint64 lastPosition);
    void finished(bool ok, const QString& error);

private:
    CredentialsPrompt m_prompt;
    QString m_cachePath;
    QString m_display;
    RemoteFetchResult m_result;
    quint64 m_id = 0;
    JobTracker m_jobs;  ///< last: stops (and waits for) the read first
};

} // namespace chronoscope
