#pragma once
// Story exports from the app (File ▸ Export Story as …): PDF, HTML, PNGs and bundle through the story
// engine's exporters (views/story, story/storyexport.h), and, where `ffmpeg` is on PATH, an MP4
// (1280×720, 30 fps) or a GIF of the paced playback with captions burned in: each beat's page is painted
// (the same paint code as the PNGs, caption band included) and the raw frames are piped to ffmpeg.
// Runs on a worker thread (JobTracker) with a reader of its own; progress per chapter; Cancel stops
// between chapters (or frames) and removes what was partly written.

#include "story/storyengine.h"
#include "util/jobtracker.h"

#include <QObject>
#include <QSize>

#include <functional>
#include <memory>

namespace chronoscope {

class EventReader;

enum class StoryExportKind { Pdf, Html, Pngs, Bundle, Mp4, Gif };

struct StoryExportResult
{
    bool ok = false;
    bool cancelled = false;
    QString error;
    QString output;
    QStringList written; ///< PNG files
    qint64 frames = 0;   ///< video frames written
    double videoSeconds = 0;
    qint64 elapsedMs = 0;
};

/// One still of the paced playback: the chapter page as of `upto`, held for `frames` frames.
struct VideoShot
{
    int chapter = 0;
    qint64 upto = 0;
    int frames = 1;
};

/// The video's plan: per chapter its beats in pace (`step`: 1.2 s a beat; `realtime`: the gap divided by the
/// speed, at most maxGap (default 3 s), at least one frame); the first still of a chapter is held 2 s more;
/// a chapter with more than kMaxShots beats is sampled evenly (its last beat kept). False with *error when
/// a chapter cannot be resolved.
inline constexpr int kVideoFps = 30;
/// Stills are piped at this rate and ffmpeg repeats them up to kVideoFps (a third of the bytes through the
/// pipe and of the colour conversion); shot lengths are therefore multiples of 1/10 s.
inline constexpr int kPipeFps = 10;
inline constexpr int kMaxShotsPerChapter = 24;
bool planVideo(story::StoryEngine& engine, QList<VideoShot>* shots, QString* error,
               const std::function<bool()>& cancelled = {});

/// "" when ffmpeg is not on PATH.
QString ffmpegExecutable();

/// Paints each shot at `size` and pipes the frames to ffmpeg (MP4: H.264 yuv420p; GIF: 10 fps, 640 px wide,
/// one palette). progress(done, total) per shot.
bool writeVideo(story::StoryEngine& engine, const QList<VideoShot>& shots, const QString& output, bool gif,
                StoryExportResult* result, const std::function<bool()>& cancelled,
                const std::function<void(int, int)>& progress, QSize size = QSize(1280, 720));

class StoryExporter : public QObject
{
    Q_OBJECT
public:
    explicit StoryExporter(QObject* parent = nullptr);
    ~StoryExporter() override;

    /// Starts an export of the story text (relative paths against `folder`) on the store. A newer export
    /// cancels an older one. Output: a file (PDF, HTML, bundle, video) or a folder (PNGs).
    quint64 start(StoryExportKind kind, const QByteArray& storyText, const QString& folder,
                  const std::shared_ptr<EventReader>& reader, const QString& sourceUri,
                  const QString& output);
    /// Stops the running export; it answers finished() with cancelled = true.
    void cancel();
    bool isRunning() const { return m_jobs.isCurrent(m_job); }

Q_SIGNALS:
    void progress(int done, int total, const QString& what);
    void finished(const chronoscope::StoryExportResult& result);

private:
    quint64 m_job = 0;
    JobTracker m_jobs;
};

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::StoryExportResult)
