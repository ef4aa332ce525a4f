// Budgets of issue 4 on a generated 1M-event demo store (2-core machine):
//   throughput of typical projections >= 100k events/s (first full pass, checkpoints included),
//   cursor moved anywhere -> projection state <= 100 ms p99 (after the first pass),
//   first divergence between two versions on 1M events <= 15 s (full run of two equal versions: worst case).
// Usage: bench_projection [EVENTS] [STORE|-] [ONLY]   (default 1000000 events, store cached in the build tree;
//        ONLY: run only the cases whose name contains it, e.g. "order-status" or "divergence")

#include "demo/demogenerator.h"
#include "projection/divergence.h"
#include "projection/projectionreplay.h"
#include "sources/sourceregistry.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>

#include <algorithm>
#include <ctime>
#include <time.h>
#include <cstdio>

using namespace chronoscope;

namespace {

QString projectionFile(const char* name)
{
    return QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/projections/%1").arg(QLatin1String(name));
}

std::unique_ptr<JsProjection> loadOrDie(const QString& path)
{
    ProjectionError err;
    auto p = JsProjection::fromFile(path, {}, &err);
    if (!p) {
        std::fprintf(stderr, "%s\n", qPrintable(err.message));
        std::exit(2);
    }
    return p;
}

std::unique_ptr<JsProjection> loadSourceOrDie(const QString& source, const QString& name)
{
    ProjectionError err;
    auto p = JsProjection::fromSource(source, name, {}, &err);
    if (!p) {
        std::fprintf(stderr, "%s\n", qPrintable(err.message));
        std::exit(2);
    }
    return p;
}

double threadCpuMs()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    setvbuf(stdout, nullptr, _IOLBF, 0);  // lines appear as they are measured, also into a file
    const qint64 events = argc > 1 ? QByteArray(argv[1]).toLongLong() : 1000000;
    const QString only = argc > 3 ? QString::fromLocal8Bit(argv[3]) : QString();
    const QString store = argc > 2 && QByteArray(argv[2]) != "-" ? QString::fromLocal8Bit(argv[2])
                                   : QStringLiteral(CHRONOSCOPE_BINARY_DIR "/bench-projection-demo-%1.chronoscope").arg(events);
    QString error;
    if (!QFileInfo::exists(store)) {
        DemoOptions o;
        o.events = events;
        o.days = std::max<int>(3, int(events / 10000 / 24));
        QElapsedTimer t;
        t.start();
        if (!generateDemoStore(store, o, {}, {}, &error)) {
            std::fprintf(stderr, "cannot generate %s: %s\n", qPrintable(store), qPrintable(error));
            return 1;
        }
        std::printf("generated %s (%lld events) in %.1f s\n", qPrintable(store), static_cast<long long>(events),
                    t.elapsed() / 1000.0);
    }
    auto reader = openSource(store, {}, &error);
    if (!reader) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const StoreInfo info = reader->info();
    std::printf("store: %s, %lld events, %lld streams\n", qPrintable(store), static_cast<long long>(info.events),
                static_cast<long long>(info.streams));

    struct Case { QString name; std::unique_ptr<JsProjection> p; };
    std::vector<Case> cases;
    cases.push_back({QStringLiteral("count-all ($any, fromAll)"),
                     loadSourceOrDie(QStringLiteral("fromAll().when({ $init: function () { return { n: 0, types: {} }; },"
                                                    " $any: function (s, e) { s.n++; s.types[e.eventType] = (s.types[e.eventType] || 0) + 1; } })"),
                                     QStringLiteral("count-all.js"))});
    cases.push_back({QStringLiteral("revenue-per-day.js"), loadOrDie(projectionFile("revenue-per-day.js"))});
    cases.push_back({QStringLiteral("order-status-counts.js"), loadOrDie(projectionFile("order-status-counts.js"))});
    cases.push_back({QStringLiteral("inventory-per-sku.js"), loadOrDie(projectionFile("inventory-per-sku.js"))});

    auto* rng = QRandomGenerator::global();
    for (Case& c : cases) {
        if (!only.isEmpty() && !c.name.contains(only))
            continue;
        ProjectionReplay replay(c.p.get(), reader.get());
        QElapsedTimer t;
        t.start();
        const std::clock_t cpu = std::clock();
        ProjectionError err;
        if (!replay.seek(kNoLimit, &err)) {
            std::fprintf(stderr, "%s: %s\n", qPrintable(c.name), qPrintable(err.message));
            return 2;
        }
        const double secs = t.elapsed() / 1000.0;
        std::printf("\n%s\n  first pass: %.2f s wall (%.2f s CPU), %lld events read (%.0f/s), %lld handled (%.0f/s), %d checkpoints (%.1f MB)\n",
                    qPrintable(c.name), secs, double(std::clock() - cpu) / CLOCKS_PER_SEC, static_cast<long long>(replay.eventsRead()), replay.eventsRead() / secs,
                    static_cast<long long>(replay.eventsHandled()), replay.eventsHandled() / secs,
                    replay.checkpointCount(), replay.checkpointBytes() / 1048576.0);
        std::vector<double> ms, cpuMs;
        for (int i = 0; i < 200; ++i) {
            const qint64 at = 1 + qint64(rng->bounded(quint64(info.lastPosition)));
            ProjectionSnapshot snap;
            QElapsedTimer s;
            s.start();
            const double c0 = threadCpuMs();
            if (!replay.stateAt(at, &snap, &err)) {
                std::fprintf(stderr, "%s: %s\n", qPrintable(c.name), qPrintable(err.message));
                return 2;
            }
            cpuMs.push_back(threadCpuMs() - c0);
            ms.push_back(s.nsecsElapsed() / 1e6);
        }
        std::sort(ms.begin(), ms.end());
        std::sort(cpuMs.begin(), cpuMs.end());
        std::printf("  cursor moved anywhere -> state (200 random positions): wall p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                    " CPU p50 %.1f ms, p99 %.1f ms\n",
                    ms[ms.size() / 2], ms[size_t(ms.size() * 0.99)], ms.back(), cpuMs[cpuMs.size() / 2],
                    cpuMs[size_t(cpuMs.size() * 0.99)]);
    }

    if (!only.isEmpty() && !only.contains(QLatin1String("divergence")))
        return 0;
    {
        auto a = loadOrDie(projectionFile("revenue-per-day.js"));
        auto b = loadOrDie(projectionFile("revenue-per-day-v2.js"));
        DivergenceResult d;
        ProjectionError err;
        QElapsedTimer t;
        t.start();
        const std::clock_t cpu = std::clock();
        if (!findDivergence(*a, *b, *reader, &d, &err)) {
            std::fprintf(stderr, "%s\n", qPrintable(err.message));
            return 2;
        }
        std::printf("\ndivergence revenue v1 vs v2: %s at position %lld after %.2f s wall, %.2f s CPU (%lld events read)\n",
                    d.found ? "diverged" : "no divergence", static_cast<long long>(d.event.position),
                    t.elapsed() / 1000.0, double(std::clock() - cpu) / CLOCKS_PER_SEC, static_cast<long long>(d.eventsRead));
    }
    for (const char* name : {"order-status-counts.js", "inventory-per-sku.js"}) {
        auto a = loadOrDie(projectionFile(name));
        auto b = loadOrDie(projectionFile(name));
        DivergenceResult d;
        ProjectionError err;
        QElapsedTimer t;
        t.start();
        const std::clock_t cpu = std::clock();
        if (!findDivergence(*a, *b, *reader, &d, &err)) {
            std::fprintf(stderr, "%s\n", qPrintable(err.message));
            return 2;
        }
        std::printf("divergence %s vs itself (full run, worst case): %s after %.2f s wall, %.2f s CPU (%lld events read, %lld handled)\n",
                    name, d.found ? "diverged (unexpected)" : "no divergence", t.elapsed() / 1000.0,
                    double(std::clock() - cpu) / CLOCKS_PER_SEC,
                    static_cast<long long>(d.eventsRead), static_cast<long long>(d.eventsHandled));
    }
    return 0;
}
