#include "openjob.h"

#include "demo/demogenerator.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLocale>

#include <algorithm>

namespace chronoscope {

OpenJob::OpenJob(const QString& uri, const QString& cacheDir, const QString& demoPath, QObject* parent)
    : QObject(parent), m_uri(uri), m_displayUri(redactUri(uri)), m_cacheDir(cacheDir), m_demoPath(demoPath),
      m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("open"))
{
    qRegisterMetaType<OpenResult>();
}

OpenJob::~OpenJob() = default;  // the tracker stops the work and waits for it

bool OpenJob::isRunning() const
{
    return m_id && m_jobs.isCurrent(m_id);
}

void OpenJob::cancel()
{
    if (m_id)
        m_jobs.interrupt(m_id);  // the open stops; finished() still tells it was cancelled
}

void OpenJob::start()
{
    if (m_id)
        return;
    const QString uri = m_uri, displayUri = m_displayUri, cacheDir = m_cacheDir, demoPath = m_demoPath;
    m_id = m_jobs.start(JobTracker::NoLane, [this, uri, displayUri, cacheDir, demoPath](const JobHandle& job) {
        const CancelToken cancel = job.token();
        // Progress arrives from the worker much faster than a dialog can show it: pass on at most ~20 a second.
        // A new step (what changes: importing, indexing the store, indexing the timeline) always passes.
        auto lastReport = std::make_shared<QElapsedTimer>();
        lastReport->start();
        auto lastStep = std::make_shared<QString>();
        ProgressFn progress = [this, job, lastReport, lastStep](qint64 done, qint64 total, const QString& what) {
            const QString step = what.section(QLatin1Char(' '), 0, 0);
            if (lastReport->elapsed() < 50 && done != total && step == *lastStep)
                return;
            lastReport->restart();
            *lastStep = step;
            job.post([this, done, total, what] { Q_EMIT this->progress(done, total, what); });
        };
        QElapsedTimer clock;
        clock.start();
        OpenResult r;
        r.uri = uri;
        r.displayUri = displayUri;
        auto finish = [&] {
            r.cancelled = cancel.isCancelled();
            r.elapsedMs = clock.elapsed();
            return r;
        };
        if (!demoPath.isEmpty() && !QFileInfo::exists(demoPath)) {
            QDir().mkpath(QFileInfo(demoPath).absolutePath());
            QString error;
            if (!generateDemoStore(demoPath, DemoOptions{}, progress, cancel, &error)) {
                r.error = QObject::tr("Could not create the demo store %1: %2").arg(demoPath, error);
                return finish();
            }
        }
        OpenOptions options;
        options.cancel = cancel;
        options.progress = progress;
        options.cacheDir = cacheDir;
        QString error;
        std::unique_ptr<EventReader> reader = openSource(uri, options, &error);
        if (!reader) {
            r.error = error.isEmpty() ? QObject::tr("%1 could not be opened.").arg(displayUri) : error;
            return finish();
        }
        // A local file's index is kept in the cache, keyed by the file's identity, so a second open of a
        // big store skips reading it all again.
        QString cachePath;
        QByteArray key;
        const QFileInfo local(uri);
        if (!cacheDir.isEmpty() && local.isFile()) {
            key = (local.canonicalFilePath() + QLatin1Char('|') + QString::number(local.size()) + QLatin1Char('|')
                   + QString::number(local.lastModified().toMSecsSinceEpoch()))
                      .toUtf8();
            cachePath = cacheDir + QStringLiteral("/timeline/")
                        + QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex()) + QStringLiteral(".idx");
        }
        std::shared_ptr<const TimelineIndex> index;
        if (!cachePath.isEmpty() && QFileInfo::exists(cachePath)) {
            if (progress)
                progress(0, -1, QObject::tr("Loading the timeline index"));
            QString cacheError;
            index = loadTimelineIndex(cachePath, key, &cacheError);
            r.indexFromCache = bool(index);
        }
        if (!index) {
            index = buildTimelineIndex(*reader, cancel, progress, &error);
            if (!index) {
                r.error = QObject::tr("%1: %2").arg(displayUri, error);
                return finish();
            }
            if (!cachePath.isEmpty() && QDir().mkpath(QFileInfo(cachePath).absolutePath())) {
                QString cacheError;
                saveTimelineIndex(*index, cachePath, key, &cacheError); // a cache that cannot be written only costs time
            }
        }
        r.reader = std::shared_ptr<EventReader>(std::move(reader));
        r.index = index;
        return finish();
    }, [this](quint64, const OpenResult& r) { Q_EMIT finished(r); });
}

QString openProgressText(qint64 done, qint64 total, const QString& what)
{
    const QLocale loc;
    if (what.startsWith(QLatin1String("Importing"))) {
        // Bytes: MB with one decimal, so a big file visibly moves (KB for a file under a megabyte).
        constexpr double kMB = 1024.0 * 1024.0;
        const bool small = std::max(done, total) < qint64(kMB);
        const double unit = small ? 1024.0 : kMB;
        const QString name = small ? QObject::tr("KB") : QObject::tr("MB");
        auto amount = [&](qint64 bytes) { return loc.toString(double(bytes) / unit, 'f', 1); };
        return total > 0 ? QObject::tr("%1: %2 of %3 %4").arg(what, amount(done), amount(total), name)
                         : QObject::tr("%1: %2 %3").arg(what, amount(done), name);
    }
    if (total > 0)  // events (the timeline index, a remote read): the unit is in `what`
        return QObject::tr("%1: %2 of %3").arg(what, loc.toString(done), loc.toString(total));
    if (done > 0)
        return QObject::tr("%1 (%2 events)…").arg(what, loc.toString(done));
    return QObject::tr("%1…").arg(what);
}

} // namespace chronoscope
