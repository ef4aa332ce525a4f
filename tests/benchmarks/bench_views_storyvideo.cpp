// MP4 export of a story against real time: the paced playback's length (frames / 30 fps) divided by the
// wall-clock time the export takes (views/storyedit/storyexporter: paint each beat at 1280×720, pipe the
// raw frames to ffmpeg, H.264). A ratio ≥ 1 means the export is at least as fast as real time. Also the
// painting alone (no ffmpeg), so the share of the encoder is visible.
//
//   bench_views_storyvideo STORY STORE [OUT.mp4]
// e.g. bench_views_storyvideo resources/stories/payment-outage.chronostory.json
// build/release/resources/demo.chronoscope

#include "sources/sourceregistry.h"
#include "story/storyrender.h"
#include "storyedit/storyexporter.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <ctime>

using namespace chronoscope;
using namespace chronoscope::story;

namespace {
double cpuSeconds()
{
    return double(std::clock()) / CLOCKS_PER_SEC;
}
} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_views_storyvideo STORY STORE [OUT.mp4]\n");
        return 1;
    }
    if (ffmpegExecutable().isEmpty()) {
        std::fprintf(stderr, "ffmpeg is not on PATH: nothing to measure\n");
        return 1;
    }
    QTemporaryDir dir;
    const QString out =
        argc > 3 ? QString::fromLocal8Bit(argv[3]) : dir.filePath(QStringLiteral("story.mp4"));
    Story story;
    QString error;
    if (!loadStory(QString::fromLocal8Bit(argv[1]), &story, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    std::unique_ptr<EventReader> reader = openSource(QString::fromLocal8Bit(argv[2]), {}, &error);
    if (!reader) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    StoryEngine engine(story, *reader);
    QElapsedTimer wall;
    wall.start();
    QList<VideoShot> shots;
    if (!planVideo(engine, &shots, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    const qint64 planMs = wall.elapsed();
    // Painting alone (pages cached by the engine after the plan).
    wall.restart();
    double cpu0 = cpuSeconds();
    for (const VideoShot& s : shots) {
        ChapterPage page;
        if (!engine.page(s.chapter, &page, &error, s.upto)) return 2;
        const QImage img = renderChapterImage(page, QSize(1280, 720)).convertToFormat(QImage::Format_RGB888);
        Q_UNUSED(img);
    }
    const qint64 paintMs = wall.elapsed();
    const double paintCpu = cpuSeconds() - cpu0;
    wall.restart();
    cpu0 = cpuSeconds();
    StoryExportResult r;
    if (!writeVideo(engine, shots, out, false, &r, {}, {})) {
        std::fprintf(stderr, "%s\n", qPrintable(r.error));
        return 2;
    }
    const qint64 exportMs = wall.elapsed();
    const double exportCpu = cpuSeconds() - cpu0;
    std::printf("shots %lld, frames %lld, video %.1f s, file %.1f MB\n", qint64(shots.size()), r.frames,
                r.videoSeconds, double(QFileInfo(out).size()) / 1e6);
    std::printf("plan (resolve chapters) %lld ms; paint alone %lld ms wall, %.2f s CPU (%.1f ms a shot)\n",
                planMs, paintMs, paintCpu, double(paintMs) / std::max<qsizetype>(1, shots.size()));
    std::printf("export (paint + ffmpeg) %lld ms wall, %.2f s CPU in this process; %.1f× real time\n",
                exportMs, exportCpu, r.videoSeconds * 1000.0 / std::max<qint64>(1, exportMs));
    return 0;
}
