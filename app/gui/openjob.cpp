#include "openjob.h"

#include "demo/demogenerator.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

namespace chronoscope {

OpenJob::OpenJob(const QString& uri, const QString& cacheDir, const QString& demoPath, QObject* parent)
    : QObject(parent), m_uri(uri), m_displayUri(redactUri(uri)), m_cacheDir(cacheDir), m_demoPath(demoPath)
{
    qRegisterMetaType<OpenResult>();
}

OpenJob::~OpenJob()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

bool OpenJob::isRunning() const
{
    return m_thread && m_thread->isRunning();
}

void OpenJob::cancel()
{
    m_cancel.cancel();
}

void OpenJob::start()
{
    if (m_thread)
        return;
    QPointer<OpenJob> self(this);
    const QString uri = m_uri, displayUri = m_displayUri, cacheDir = m_cacheDir, demoPath = m_demoPath;
    const CancelToken cancel = m_cancel;
    // Progress arrives from the worker much faster than a dialog can show it: pass on at most ~20 a second.
    auto lastReport = std::make_shared<QElapsedTimer>();
    lastReport->start();
    ProgressFn progress = [self, lastReport](qint64 done, qint64 total, const QString& what) {
        if (lastReport->elapsed() < 50 && done != total)
            return;
        lastReport->restart();
        QMetaObject::invokeMethod(self, [self, done, total, what] {
            if (self)
                Q_EMIT self->progress(done, total, what);
        }, Qt::QueuedConnection);
    };
    m_thread = QThread::create([self, uri, displayUri, cacheDir, demoPath, cancel, progress] {
        QElapsedTimer clock;
        clock.start();
        OpenResult r;
        r.uri = uri;
        r.displayUri = displayUri;
        auto finish = [&] {
            r.cancelled = cancel.isCancelled();
            r.elapsedMs = clock.elapsed();
            QMetaObject::invokeMethod(self, [self, r] {
                if (self)
                    Q_EMIT self->finished(r);
            }, Qt::QueuedConnection);
        };
        if (!demoPath.isEmpty() && !QFileInfo::exists(demoPath)) {
            QDir().mkpath(QFileInfo(demoPath).absolutePath());
            QString error;
            if (!generateDemoStore(demoPath, DemoOptions{}, progress, cancel, &error)) {
                r.error = QObject::tr("Could not create the demo store %1: %2").arg(demoPath, error);
                finish();
                return;
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
            finish();
            return;
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
                finish();
                return;
            }
            if (!cachePath.isEmpty() && QDir().mkpath(QFileInfo(cachePath).absolutePath())) {
                QString cacheError;
                saveTimelineIndex(*index, cachePath, key, &cacheError); // a cache that cannot be written only costs time
            }
        }
        r.reader = std::shared_ptr<EventReader>(std::move(reader));
        r.index = index;
        finish();
    });
    m_thread->start();
}

} // namespace chronoscope
