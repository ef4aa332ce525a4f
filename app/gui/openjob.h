#pragma once
// Opening a store off the GUI thread: openSource() (which may import a file into a cache or page a remote
// store), then the timeline index, as one JobTracker job on a thread of its own. Progress is reported to the GUI
// thread; cancel() stops either step (finished() still comes, with cancelled set), and a cancelled or failed
// open never touches the store that is already open.

#include "sources/sourceregistry.h"
#include "timelineindex.h"
#include "util/jobtracker.h"

#include <QObject>

#include <memory>

namespace chronoscope {

struct OpenResult
{
    QString uri;          ///< as given (may hold secrets: never log or store it)
    QString displayUri;   ///< redacted, for titles, recent lists and messages
    std::shared_ptr<EventReader> reader;
    std::shared_ptr<const TimelineIndex> index;
    QString error;
    bool cancelled = false;
    bool indexFromCache = false; ///< the timeline index came from the cache (the store was opened before)
    qint64 elapsedMs = 0;
    bool ok() const { return reader && index; }
};

class OpenJob : public QObject
{
    Q_OBJECT
public:
    /// demoPath: when non-empty and the file is missing, the demo store is generated there first.
    OpenJob(const QString& uri, const QString& cacheDir, const QString& demoPath = {}, QObject* parent = nullptr);
    ~OpenJob() override;

    void start();
    void cancel();
    /// Started and finished() not yet emitted.
    bool isRunning() const;
    QString displayUri() const { return m_displayUri; }

Q_SIGNALS:
    void progress(qint64 done, qint64 total, const QString& what);
    void finished(const chronoscope::OpenResult& result);

private:
    QString m_uri;
    QString m_displayUri;
    QString m_cacheDir;
    QString m_demoPath;
    quint64 m_id = 0;
    JobTracker m_jobs;  ///< last: stops (and waits for) the work first
};

/// The progress dialog's line for OpenJob::progress: an import counts bytes (shown in MB, with the events
/// written so far, which the importer puts in `what`), the index build counts events; total < 0 is a step
/// of unknown length ("Indexing …").
QString openProgressText(qint64 done, qint64 total, const QString& what);

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::OpenResult)
