// Present mode's budgets (docs/present.md): a chapter change to a fully painted audience frame ≤ 150 ms p95,
// a beat step ≤ 50 ms p95, an audience frame painted at 3840×2160 ≤ 16 ms p95.
// Usage: bench_present STORE STORY
//   chronoscope-cli demo --events 1000000 -o /tmp/demo-1m.chronoscope
//   bench_story /tmp/demo-1m.chronoscope --write-story /tmp/bench.chronostory.json   (20 chapters)
//   QT_QPA_PLATFORM=offscreen bench_present /tmp/demo-1m.chronoscope /tmp/bench.chronostory.json
// Cold figures: prefetching is off, so every chapter and step is laid out by the worker while the clock runs
// (what the presenter waits for when jumping straight to a chapter). Warm: as presenting goes (the next step
// and chapter are laid out while the presenter talks), timed from the key to the painted frame.

#include "presentsession.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QImage>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

using namespace chronoscope;
using namespace chronoscope::present;

namespace {

/// CPU time of this process (every thread: the worker's and the GUI thread's share of a step) or of the calling thread.
double cpuMs(clockid_t clock)
{
    timespec ts{};
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double p95(QList<double> v)
{
    if (v.isEmpty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min<qsizetype>(v.size() - 1, qsizetype(std::ceil(0.95 * v.size())) - 1)];
}

double maxOf(const QList<double>& v)
{
    return v.isEmpty() ? 0 : *std::max_element(v.begin(), v.end());
}

/// Waits for the asked-for frame, then paints it at 1920×1080: the time a room waits.
bool waitAndPaint(Presentation& p, QImage& img, int timeoutMs = 120000)
{
    QElapsedTimer t;
    t.start();
    while (!p.isIdle()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        if (t.elapsed() > timeoutMs) return false;
    }
    QPainter painter(&img);
    paintAudienceFrame(painter, QRectF(0, 0, img.width(), img.height()), p.audienceFrame(), AudiencePalette::light());
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    // As the app does (app/gui/main.cpp): glyph masks cached up to 128 px, so 4K type is not drawn as paths.
    // --paths measures Qt's default (64 px) instead.
    const bool paths = std::find_if(argv, argv + argc, [](const char* a) { return std::strcmp(a, "--paths") == 0; }) != argv + argc;
    if (!paths && qEnvironmentVariableIsEmpty("QT_MAX_CACHED_GLYPH_SIZE")) qputenv("QT_MAX_CACHED_GLYPH_SIZE", "128");
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        std::fprintf(stderr, "usage: bench_present STORE STORY\n");
        return 1;
    }
    QImage img(1920, 1080, QImage::Format_RGB32);
    for (const bool warm : {false, true}) {
        Presentation p;
        QString error;
        if (!p.loadStory(args[2], &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 2;
        }
        p.setStoreUri(args[1]);
        p.setPrefetch(warm);
        QElapsedTimer t;
        t.start();
        p.start(0, 0);
        if (!waitAndPaint(p, img)) return 2;
        std::printf("%s: first chapter %.0f ms (opens the store; the first correlation chapter scans it)\n",
                    warm ? "warm" : "cold", double(t.nsecsElapsed()) / 1e6);
        QList<double> chapters, steps, paint4k, chaptersCpu, stepsCpu, paint4kCpu;
        QImage big(3840, 2160, QImage::Format_RGB32);
        for (int c = 0; c < p.chapterCount(); ++c) {
            if (c > 0) {
                if (warm)
                    for (QElapsedTimer idle; !idle.isValid() || idle.elapsed() < 3000;) { // the presenter talks
                        if (!idle.isValid()) idle.start();
                        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
                        if (p.nextChapterFrame()) break;
                    }
                t.restart();
                const double c0 = cpuMs(CLOCK_PROCESS_CPUTIME_ID);
                p.nextChapter();
                if (!waitAndPaint(p, img)) return 2;
                chapters << double(t.nsecsElapsed()) / 1e6;
                chaptersCpu << cpuMs(CLOCK_PROCESS_CPUTIME_ID) - c0;
                if (!p.shownFrame().error.isEmpty()) std::printf("  chapter %d: %s\n", c + 1, qPrintable(p.shownFrame().error));
            }
            // Up to 20 steps of this chapter.
            for (int s = 0; s < 20 && p.beat() + 1 < p.beatCount(); ++s) {
                if (warm)
                    for (QElapsedTimer idle; !idle.isValid() || idle.elapsed() < 1000;) {
                        if (!idle.isValid()) idle.start();
                        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
                        if (p.isIdle() && idle.elapsed() > 30) break;
                    }
                t.restart();
                const double c0 = cpuMs(CLOCK_PROCESS_CPUTIME_ID);
                p.nextBeat();
                if (!waitAndPaint(p, img)) return 2;
                steps << double(t.nsecsElapsed()) / 1e6;
                stepsCpu << cpuMs(CLOCK_PROCESS_CPUTIME_ID) - c0;
            }
            // The frame at 4K, five times.
            for (int k = 0; k < 5; ++k) {
                QPainter painter(&big);
                t.restart();
                const double c0 = cpuMs(CLOCK_THREAD_CPUTIME_ID);
                paintAudienceFrame(painter, QRectF(0, 0, 3840, 2160), p.audienceFrame(), AudiencePalette::darkPalette());
                paint4k << double(t.nsecsElapsed()) / 1e6;
                paint4kCpu << cpuMs(CLOCK_THREAD_CPUTIME_ID) - c0;
            }
        }
        auto line = [&](const char* what, const QList<double>& wall, const QList<double>& cpu, const char* budget) {
            std::printf("%s: %s: CPU p95 %.1f ms, max %.1f ms; wall p95 %.1f ms, max %.1f ms (%lld; budget %s)\n",
                        warm ? "warm" : "cold", what, p95(cpu), maxOf(cpu), p95(wall), maxOf(wall),
                        qlonglong(wall.size()), budget);
        };
        line("chapter change to painted 1080p frame", chapters, chaptersCpu, "150 ms");
        line("step to painted 1080p frame", steps, stepsCpu, "50 ms");
        line("audience frame paint at 3840x2160", paint4k, paint4kCpu, "16 ms");
    }
    return 0;
}
