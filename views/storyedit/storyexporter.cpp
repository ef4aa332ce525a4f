#include "storyedit/storyexporter.h"

#include "store/eventreader.h"
#include "story/storyexport.h"
#include "story/storyrender.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>

namespace chronoscope {

using namespace story;

QString ffmpegExecutable()
{
    return QStandardPaths::findExecutable(QStringLiteral("ffmpeg"));
}

bool planVideo(StoryEngine& engine, QList<VideoShot>* shots, QString* error,
               const std::function<bool()>& cancelled)
{
    const Story& s = engine.story();
    for (int i = 0; i < s.chapters.size(); ++i) {
        if (cancelled && cancelled()) return false;
        const ResolvedChapter* r = engine.chapter(i, error);
        if (!r) return false;
        const Chapter& c = s.chapters[i];
        QList<int> picks;
        const int n = int(r->beats.size());
        if (n <= kMaxShotsPerChapter) {
            for (int k = 0; k < n; ++k)
                picks << k;
        } else {
            for (int k = 0; k < kMaxShotsPerChapter; ++k)
                picks << int(qint64(k + 1) * n / kMaxShotsPerChapter) - 1;
        }
        const qint64 maxGap = c.maxGapMs > 0 ? c.maxGapMs : 3000;
        for (int j = 0; j < picks.size(); ++j) {
            VideoShot shot;
            shot.chapter = i;
            shot.upto = r->beats[picks[j]].position;
            double seconds = 1.2;
            if (c.realtime && j + 1 < picks.size()) {
                const TimeMs a = r->beats[picks[j]].time, b = r->beats[picks[j + 1]].time;
                seconds =
                    a == kNoTime || b == kNoTime
                        ? 1.0
                        : std::min<double>(double(b - a) / std::max(0.001, c.speed), double(maxGap)) / 1000.0;
            }
            int piped = std::max(1, int(std::lround(seconds * kPipeFps)));
            if (j == 0) piped += 2 * kPipeFps; // the chapter's title stays on screen a moment
            shot.frames = piped * (kVideoFps / kPipeFps);
            *shots << shot;
        }
    }
    return true;
}

bool writeVideo(StoryEngine& engine, const QList<VideoShot>& shots, const QString& output, bool gif,
                StoryExportResult* result, const std::function<bool()>& cancelled,
                const std::function<void(int, int)>& progress, QSize size)
{
    const QString ffmpeg = ffmpegExecutable();
    if (ffmpeg.isEmpty()) {
        result->error = QObject::tr("ffmpeg is not installed (not found on PATH)");
        return false;
    }
    const QString partial =
        output + QStringLiteral(".partial") + (gif ? QStringLiteral(".gif") : QStringLiteral(".mp4"));
    QStringList args = {
        QStringLiteral("-hide_banner"), QStringLiteral("-loglevel"),
        QStringLiteral("error"),        QStringLiteral("-y"),
        QStringLiteral("-f"),           QStringLiteral("rawvideo"),
        QStringLiteral("-pix_fmt"),     QStringLiteral("rgb24"),
        QStringLiteral("-s"),           QStringLiteral("%1x%2").arg(size.width()).arg(size.height()),
        QStringLiteral("-r"),           QString::number(kPipeFps),
        QStringLiteral("-i"),           QStringLiteral("-")};
    if (gif)
        args << QStringLiteral("-vf")
             << QStringLiteral(
                    "fps=10,scale=640:-1:flags=lanczos,split[a][b];[a]palettegen[p];[b][p]paletteuse");
    else
        args << QStringLiteral("-c:v") << QStringLiteral("libx264") << QStringLiteral("-preset")
             << QStringLiteral("veryfast") << QStringLiteral("-tune") << QStringLiteral("stillimage")
             << QStringLiteral("-r") << QString::number(kVideoFps) << QStringLiteral("-pix_fmt")
             << QStringLiteral("yuv420p") << QStringLiteral("-movflags") << QStringLiteral("+faststart");
    args << partial;
    QProcess proc;
    proc.setProcessChannelMode(QProcess::SeparateChannels);
    proc.start(ffmpeg, args);
    if (!proc.waitForStarted(10000)) {
        result->error = QObject::tr("could not start ffmpeg: %1").arg(proc.errorString());
        return false;
    }
    auto abort = [&](const QString& why) {
        proc.kill();
        proc.waitForFinished(5000);
        QFile::remove(partial);
        result->error = why;
        return false;
    };
    QString why;
    for (int k = 0; k < shots.size(); ++k) {
        if (cancelled && cancelled()) {
            result->cancelled = true;
            return abort(QObject::tr("cancelled"));
        }
        const VideoShot& shot = shots[k];
        ChapterPage page;
        if (!engine.page(shot.chapter, &page, &why, shot.upto)) return abort(why);
        const QImage frame = renderChapterImage(page, size).convertToFormat(QImage::Format_RGB888);
        // Rows of a QImage are padded to 4 bytes; 1280 and 640 px rows of RGB888 are not, but be exact
        // anyway.
        QByteArray bytes;
        bytes.reserve(qsizetype(size.width()) * size.height() * 3);
        for (int y = 0; y < frame.height(); ++y)
            bytes.append(reinterpret_cast<const char*>(frame.constScanLine(y)), qsizetype(size.width()) * 3);
        for (int f = 0; f < shot.frames / (kVideoFps / kPipeFps); ++f) {
            if (proc.write(bytes) != bytes.size())
                return abort(QObject::tr("ffmpeg stopped reading: %1")
                                 .arg(QString::fromUtf8(proc.readAllStandardError())));
            while (proc.bytesToWrite() > 8 * bytes.size())
                if (!proc.waitForBytesWritten(30000))
                    return abort(QObject::tr("ffmpeg stopped reading: %1")
                                     .arg(QString::fromUtf8(proc.readAllStandardError())));
        }
        result->frames += shot.frames;
        if (progress) progress(k + 1, int(shots.size()));
    }
    proc.closeWriteChannel();
    if (!proc.waitForFinished(600000) || proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0)
        return abort(
            QObject::tr("ffmpeg failed: %1").arg(QString::fromUtf8(proc.readAllStandardError()).trimmed()));
    QFile::remove(output);
    if (!QFile::rename(partial, output)) {
        QFile::remove(partial);
        result->error = QObject::tr("could not write %1").arg(output);
        return false;
    }
    result->videoSeconds = double(result->frames) / kVideoFps;
    return true;
}

StoryExporter::StoryExporter(QObject* parent) : QObject(parent), m_jobs(this, JobTracker::Threads::Shared)
{
    qRegisterMetaType<StoryExportResult>();
}

StoryExporter::~StoryExporter() = default;

void StoryExporter::cancel()
{
    m_jobs.interrupt(m_job);
}

quint64 StoryExporter::start(StoryExportKind kind, const QByteArray& storyText, const QString& folder,
                             const std::shared_ptr<EventReader>& reader, const QString& sourceUri,
                             const QString& output)
{
    m_job = m_jobs.start(
        0,
        [this, kind, storyText, folder, reader, sourceUri, output](const JobHandle& job) {
            StoryExportResult r;
            r.output = output;
            QElapsedTimer clock;
            clock.start();
            auto cancelled = [&job] { return job.isCancelled(); };
            auto report = [this, &job](int done, int total, const QString& what) {
                job.post([this, done, total, what] { Q_EMIT progress(done, total, what); });
            };
            Story story;
            if (!parseStory(storyText, folder, &story, &r.error)) return r;
            // The explorer never writes to a store it opens: an export onto the open store's file is refused.
            const QString into = QFileInfo(output).absolutePath(); // PNGs: the folder is made inside it
            if (!QFileInfo(into).isDir()) {
                r.error = tr("the folder %1 does not exist").arg(into);
                return r;
            }
            const QString sourceFile = QFileInfo(sourceUri).canonicalFilePath();
            if (!sourceFile.isEmpty() && QFileInfo(output).canonicalFilePath() == sourceFile) {
                r.error = tr("%1 is the open store: choose another file").arg(output);
                return r;
            }
            std::unique_ptr<EventReader> clone = reader ? reader->clone(&r.error) : nullptr;
            if (!clone) {
                if (r.error.isEmpty()) r.error = tr("no store is open");
                return r;
            }
            StoryEngine engine(story, *clone);
            const int n = int(story.chapters.size());
            // Resolving the chapters is most of the work; it is cached for the exporter that follows.
            for (int i = 0; i < n; ++i) {
                if (cancelled()) {
                    r.cancelled = true;
                    r.error = tr("cancelled");
                    return r;
                }
                report(i, n + 1, tr("Chapter %1 of %2: %3").arg(i + 1).arg(n).arg(story.chapters[i].title));
                ChapterPage page;
                if (!engine.page(i, &page, &r.error)) return r;
            }
            report(n, n + 1, tr("Writing %1").arg(QFileInfo(output).fileName()));
            switch (kind) {
            case StoryExportKind::Pdf:
                r.ok = renderPdf(engine, output, &r.error);
                break;
            case StoryExportKind::Html: {
                QByteArray html;
                r.ok = renderHtml(engine, &html, &r.error);
                if (r.ok) {
                    QFile f(output + QStringLiteral(".partial"));
                    r.ok = f.open(QIODevice::WriteOnly) && f.write(html) == html.size() && f.flush();
                    f.close();
                    QFile::remove(output);
                    r.ok = r.ok && QFile::rename(f.fileName(), output);
                    if (!r.ok) {
                        r.error = tr("could not write %1").arg(output);
                        QFile::remove(f.fileName());
                    }
                }
                break;
            }
            case StoryExportKind::Pngs:
                if (!QDir().mkpath(output)) {
                    r.error = tr("could not create the folder %1").arg(output);
                    break;
                }
                r.ok = renderPngs(engine, output, &r.written, &r.error);
                break;
            case StoryExportKind::Bundle: {
                BundleResult b;
                r.ok =
                    writeBundle(engine, uriWithoutSecrets(sourceUri), QString(), output, &b, &r.error, true);
                break;
            }
            case StoryExportKind::Mp4:
            case StoryExportKind::Gif: {
                QList<VideoShot> shots;
                if (!planVideo(engine, &shots, &r.error, cancelled)) break;
                r.ok = writeVideo(engine, shots, output, kind == StoryExportKind::Gif, &r, cancelled,
                                  [&](int done, int total) {
                                      report(done, total, tr("Frame %1 of %2").arg(done).arg(total));
                                  });
                break;
            }
            }
            if (cancelled() && !r.cancelled) {
                r.cancelled = true;
            }
            if (r.cancelled && r.ok) {
                // Finished as Cancel came in: the file is whole, so it stays, and the answer says so.
                r.cancelled = false;
            }
            r.elapsedMs = clock.elapsed();
            return r;
        },
        [this](quint64, StoryExportResult r) { Q_EMIT finished(r); });
    return m_job;
}

} // namespace chronoscope
