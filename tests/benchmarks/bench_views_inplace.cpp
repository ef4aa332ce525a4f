// bench_views_inplace --store URI [--steps N] [--scrub N] [--size WxH] [--cold]: the in-place window (views/inplace) on
// a store explored where it lives (a native store path, or postgresql://…). Prints, in this order: open →
// first paint (strip: the whole-store density, the axis and the lane rows still loading), open → lanes
// complete (the first lanes' ticks on screen), the timeline's paint at six
// zoom levels (p95 of 20 renders each, after that level's answers arrived) and how long the answers took,
// cursor → state shown (p50/p99 over N random jumps: the event at a random position, then its stream's state
// folded from the store), a scrub end to end at 1% zoom, and resident memory (VmRSS, VmHWM) after it.
// Read-only: the store is never written. docs/scale.md "In place".

#include "inplace/inplacemodels.h"
#include "inplace/inplacetimeline.h"
#include "inplace/inplacewindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <fcntl.h>
#include <unistd.h>
#include <cstdio>

using namespace chronoscope;

namespace {

qint64 statusKb(const char* key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return line.mid(int(qstrlen(key))).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

// Runs the event loop until pred() holds, checking it at least every millisecond. QTest::qWaitFor sleeps 10 ms
// between its checks, which added 0-10 ms to every latency this bench measured before (docs/scale.md "In place").
template<typename Pred>
bool waitUntil(const Pred& pred, int ms)
{
    QDeadlineTimer deadline(ms, Qt::PreciseTimer);
    while (!pred()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        QTimer::singleShot(1, Qt::PreciseTimer, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

bool waitIdle(InPlaceMainWindow& w, int ms)
{
    return waitUntil([&w] { return w.isIdle(); }, ms);
}

double renderMs(InPlaceTimeline* t, QImage& image)
{
    QElapsedTimer clock;
    clock.start();
    QPainter p(&image);
    t->render(p, image.size());
    p.end();
    return double(clock.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // each figure as it is measured (a long run can be watched)
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption storeOpt(QStringLiteral("store"), QStringLiteral("Store URI or path."), QStringLiteral("uri"));
    const QCommandLineOption stepsOpt(QStringLiteral("steps"), QStringLiteral("Random cursor jumps (200)."), QStringLiteral("n"), QStringLiteral("200"));
    const QCommandLineOption scrubOpt(QStringLiteral("scrub"), QStringLiteral("Pans of the scrub end to end (100)."), QStringLiteral("n"), QStringLiteral("100"));
    const QCommandLineOption sizeOpt(QStringLiteral("size"), QStringLiteral("Window size (1600x1000)."), QStringLiteral("wxh"), QStringLiteral("1600x1000"));
    const QCommandLineOption waitOpt(QStringLiteral("wait-ms"), QStringLiteral("Longest wait for one answer (120000)."), QStringLiteral("ms"), QStringLiteral("120000"));
    const QCommandLineOption coldOpt(QStringLiteral("cold"),
                                     QStringLiteral("Drop the store file's pages from the OS page cache first (a native "
                                                    "store path; posix_fadvise DONTNEED: a store not read since boot)."));
    parser.addOptions({storeOpt, stepsOpt, scrubOpt, sizeOpt, waitOpt, coldOpt});
    parser.process(app);
    if (!parser.isSet(storeOpt)) {
        std::fprintf(stderr, "bench_views_inplace: --store URI is required\n");
        return 1;
    }
    const QString store = parser.value(storeOpt);
    const int steps = parser.value(stepsOpt).toInt();
    const int scrub = std::max(1, parser.value(scrubOpt).toInt());
    const int waitMs = parser.value(waitOpt).toInt();
    const QStringList wh = parser.value(sizeOpt).split(QLatin1Char('x'));
    const QSize size(wh.value(0).toInt(), wh.value(1).toInt());

    std::printf("store: %s\nwindow: %dx%d\n", qPrintable(store), size.width(), size.height());
    if (parser.isSet(coldOpt)) {
        // Read-only: the file is opened for reading and only its cached pages are let go.
        const int fd = ::open(QFile::encodeName(store).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
            std::fprintf(stderr, "bench_views_inplace: --cold needs a readable store file (%s)\n", qPrintable(store));
            return 1;
        }
        ::close(fd);
        std::printf("page cache: the store's pages dropped (--cold)\n");
    }
    std::printf("resident before open: VmRSS %lld MB\n", statusKb("VmRSS:") / 1024);
    InPlaceMainWindow w;
    w.resize(size);
    w.show();
    InPlaceTimeline* t = w.timeline();

    QElapsedTimer clock;
    clock.start();
    // Per-stage timers: when each kind of answer first arrives (which one holds the first paint back).
    {
        InPlaceService* sv = w.service();
        auto stage = [&clock](const char* what) {
            return [&clock, what, done = false](auto&&...) mutable {
                if (!done)
                    std::printf("  stage %-28s %8.1f ms\n", what, double(clock.nsecsElapsed()) / 1e6);
                done = true;
            };
        };
        QObject::connect(sv, &InPlaceService::opened, sv, stage("opened (summary)"));
        QObject::connect(sv, &InPlaceService::overview, sv, [&clock](const RemoteDensity& d) {
            std::printf("  stage overview (%s)%*s %8.1f ms\n", d.estimated ? "estimated" : "exact",
                        d.estimated ? 7 : 11, "", double(clock.nsecsElapsed()) / 1e6);
        });
        QObject::connect(sv, &InPlaceService::streamPage, sv, stage("first stream page"));
        QObject::connect(sv, &InPlaceService::lanes, sv, stage("first lanes"));
        QObject::connect(sv, &InPlaceService::window, sv, stage("first events window"));
        QObject::connect(sv, &InPlaceService::viewDensity, sv, stage("first view density"));
    }
    QString error;
    if (!w.openUri(store, QStringLiteral("bench"), &error)) {
        std::fprintf(stderr, "bench_views_inplace: %s\n", qPrintable(error));
        return 2;
    }
    QSignalSpy opened(&w, &InPlaceMainWindow::opened);
    QSignalSpy failed(&w, &InPlaceMainWindow::openFailed);
    if (!waitUntil([&] { return opened.size() + failed.size() > 0; }, waitMs) || failed.size()) {
        std::fprintf(stderr, "bench_views_inplace: open failed: %s\n",
                     failed.isEmpty() ? "timeout" : qPrintable(failed.first().at(0).toString()));
        return 2;
    }
    const double openMs = double(clock.nsecsElapsed()) / 1e6;
    // First paint (strip): the whole-store strip (estimated or exact), the axis and the lane rows (still
    // "loading…"), painted. This is the figure the budget row uses (docs/scale.md "In place").
    if (!waitUntil([&] { return t->hasOverview(); }, waitMs)) {
        std::fprintf(stderr, "bench_views_inplace: no overview after %d ms (%s)\n", waitMs, qPrintable(w.lastError()));
        return 2;
    }
    QImage image(t->size(), QImage::Format_ARGB32_Premultiplied);
    renderMs(t, image);
    const double stripMs = double(clock.nsecsElapsed()) / 1e6;
    const bool firstEstimated = t->overview().estimated;
    const qsizetype loading = t->loadingLanes().size();
    // Lanes complete: the first lanes' ticks on screen, painted.
    if (!waitUntil([&] { return !t->lanes().isEmpty() && !t->lanesPending(); }, waitMs)) {
        std::fprintf(stderr, "bench_views_inplace: no lanes after %d ms (%s)\n", waitMs, qPrintable(w.lastError()));
        return 2;
    }
    renderMs(t, image);
    const double lanesMs = double(clock.nsecsElapsed()) / 1e6;
    std::printf("open (summary): %.1f ms\nopen -> first paint (strip): %.1f ms (overview %s, %lld lanes loading)\n"
                "open -> lanes complete: %.1f ms (%lld lanes)\n",
                openMs, stripMs, firstEstimated ? "estimated" : "exact", static_cast<long long>(loading), lanesMs,
                static_cast<long long>(t->lanes().size()));
    if (waitUntil([&] { return t->hasOverview() && !t->overview().estimated; }, waitMs))
        std::printf("open -> exact overview: %.1f ms\n", double(clock.nsecsElapsed()) / 1e6);
    else
        std::printf("open -> exact overview: not within %d ms\n", waitMs);
    waitIdle(w, waitMs);
    std::printf("open -> idle (stream page, events table, state): %.1f ms\n", double(clock.nsecsElapsed()) / 1e6);

    // Paints at six zoom levels around the middle of the store.
    const double a = t->mapping().start, b = t->mapping().end;
    const double mid = (a + b) / 2, full = b - a;
    double worstP95 = 0;
    for (int level = 0; level < 6; ++level) {
        const double span = std::max(full / std::pow(10.0, level), 1000.0);
        QElapsedTimer answer;
        answer.start();
        t->setVisibleRange(mid - span / 2, mid + span / 2);
        t->flushRequests();
        waitIdle(w, waitMs);
        const double answerMs = double(answer.nsecsElapsed()) / 1e6;
        std::vector<double> paints;
        for (int i = 0; i < 20; ++i)
            paints.push_back(renderMs(t, image));
        worstP95 = std::max(worstP95, percentile(paints, 0.95));
        std::printf("zoom 1/%-7.0f paint p50 %.2f ms, p95 %.2f ms; answers %.1f ms; ticks held %lld, in view %lld\n",
                    full / span, percentile(paints, 0.5), percentile(paints, 0.95), answerMs,
                    static_cast<long long>(t->heldTicks()), static_cast<long long>(t->countInView()));
    }
    std::printf("timeline paint, worst p95 over the zoom levels: %.2f ms\n", worstP95);

    // Cursor -> state shown, random jumps.
    const RemoteSummary s = w.service()->summary();
    QRandomGenerator rng(42);
    std::vector<double> stateMs;
    int missed = 0;
    for (int i = 0; i < steps; ++i) {
        const qint64 pos = s.firstPosition + qint64(rng.bounded(quint64(std::max<qint64>(1, s.lastPosition - s.firstPosition + 1))));
        QSignalSpy shown(&w, &InPlaceMainWindow::stateShown);
        QElapsedTimer c;
        c.start();
        w.service()->requestStep(pos - 1, 1);
        if (!waitUntil([&] { return shown.size() > 0; }, waitMs)) {
            ++missed;
            continue;
        }
        stateMs.push_back(double(c.nsecsElapsed()) / 1e6);
    }
    std::printf("cursor -> state shown over %d random jumps: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d without a state)\n",
                steps, percentile(stateMs, 0.5), percentile(stateMs, 0.99),
                stateMs.empty() ? 0.0 : *std::max_element(stateMs.begin(), stateMs.end()), missed);
    waitIdle(w, waitMs);

    // Scrub end to end at 1% zoom: each pan waits for its answers (lanes, density, events table).
    const double span = full / 100;
    QElapsedTimer sc;
    sc.start();
    std::vector<double> panMs;
    for (int i = 0; i <= scrub; ++i) {
        const double from = a + (full - span) * i / scrub;
        QElapsedTimer c;
        c.start();
        t->setVisibleRange(from, from + span);
        t->flushRequests();
        waitIdle(w, waitMs);
        renderMs(t, image);
        panMs.push_back(double(c.nsecsElapsed()) / 1e6);
    }
    std::printf("scrub end to end (%d pans at 1%% zoom): %.1f s; a pan's answers + paint p50 %.1f ms, p95 %.1f ms\n", scrub,
                double(sc.nsecsElapsed()) / 1e9, percentile(panMs, 0.5), percentile(panMs, 0.95));
    std::printf("local cache: %.1f MB of %lld MB\n", double(w.service()->cacheBytes()) / 1048576.0,
                static_cast<long long>(w.service()->cacheLimit() / 1048576));
    std::printf("resident memory after the scrub: VmRSS %lld MB, VmHWM %lld MB\n", statusKb("VmRSS:") / 1024,
                statusKb("VmHWM:") / 1024);
    return 0;
}
