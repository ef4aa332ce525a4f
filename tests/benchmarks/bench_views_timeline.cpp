// Budgets of the desktop views (issue 3), on a generated 1M-event demo store:
//   - timeline paint <= 16 ms at any zoom level (full repaint into a 1600x1000 QImage, bins recomputed);
//   - launch to first painted timeline <= 1 s with an indexed store (open + index + first paint, in process);
//   - cursor moved -> state inspector updated <= 50 ms (ReplayService answer + tree model);
//   - peak memory <= 400 MB with the store open and scrubbed end to end.
// Usage: bench_views_timeline [--events N] [--store PATH] [--scrub-steps N]
// The store is generated once at PATH (default /tmp/chronoscope-bench-<N>.chronoscope) and reused.
#include "demo/demogenerator.h"
#include "json/mergepatch.h"
#include "eventtablemodel.h"
#include "jsonpointer.h"
#include "replay/replayservice.h"
#include "replaycontroller.h"
#include "sources/sourceregistry.h"
#include "stateinspector.h"
#include "streambrowser.h"
#include "jsontreemodel.h"
#include "streamtreemodel.h"
#include "timelineindex.h"
#include "timelinewidget.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QPainter>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cstdio>

using namespace chronoscope;

namespace {

qint64 peakRssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    auto arg = [&](const QString& name, const QString& def) {
        const int i = int(args.indexOf(name));
        return i >= 0 && i + 1 < args.size() ? args[i + 1] : def;
    };
    const qint64 events = arg("--events", "1000000").toLongLong();
    const QString store = arg("--store", QStringLiteral("/tmp/chronoscope-bench-%1.chronoscope").arg(events));
    const int scrubSteps = arg("--scrub-steps", "400").toInt();

    if (!QFileInfo::exists(store)) {
        std::printf("generating %lld-event demo store at %s ...\n", events, qPrintable(store));
        std::fflush(stdout);
        DemoOptions o;
        o.events = events;
        QString error;
        if (!generateDemoStore(store, o, {}, {}, &error)) {
            std::fprintf(stderr, "could not generate the store: %s\n", qPrintable(error));
            return 2;
        }
    }

    // 1. Launch to first painted timeline: open, index, first paint (what MainWindow does after start-up).
    QElapsedTimer clock;
    clock.start();
    QString error;
    std::unique_ptr<EventReader> reader = openSource(store, {}, &error);
    if (!reader) {
        std::fprintf(stderr, "open failed: %s\n", qPrintable(error));
        return 2;
    }
    const qint64 tOpen = clock.elapsed();
    auto index = buildTimelineIndex(*reader, {}, {}, &error);
    if (!index) {
        std::fprintf(stderr, "index failed: %s\n", qPrintable(error));
        return 2;
    }
    const qint64 tIndex = clock.elapsed();
    ReplayController controller;
    TimelineWidget timeline(&controller);
    timeline.resize(1600, 1000);
    controller.setIndex(index);
    timeline.setIndex(index);
    QImage image(1600, 1000, QImage::Format_ARGB32_Premultiplied);
    {
        QPainter p(&image);
        timeline.render(p, image.size());
    }
    const qint64 tFirstPaint = clock.elapsed();
    std::printf("store: %s, %lld events, %lld streams, %lld types\n", qPrintable(store), index->size(),
                qint64(index->streams.size()), qint64(index->types.size()));
    std::printf("launch: open %lld ms, index %lld ms, first paint %lld ms => first painted timeline %lld ms (budget 1000)\n",
                tOpen, tIndex - tOpen, tFirstPaint - tIndex, tFirstPaint);
    std::printf("index memory: ~%lld MB (entries %zu x %zu B + orderings and paint copies)\n",
                qint64((index->entries.size() * (sizeof(TimelineIndex::Entry) + 4 + 4 + 8 + sizeof(TimelineIndex::LanePoint))) >> 20),
                index->entries.size(), sizeof(TimelineIndex::Entry));

    // 2. Timeline paint at zoom levels from the whole store down to one second, all lanes and one busy lane.
    struct Zoom { const char* name; double span; };
    const double full = double(index->lastTime() - index->firstTime());
    const std::vector<Zoom> zooms{{"fit all", 0}, {"1/10", full / 10}, {"1/100", full / 100}, {"1 hour", 3'600'000},
                                  {"1 minute", 60'000}, {"1 second", 1000}};
    // The busiest stream (inventory streams hold many events) for a single-lane view.
    int busiest = 0;
    for (int l = 0; l < index->streams.size(); ++l)
        if (index->laneRows[size_t(l)].size() > index->laneRows[size_t(busiest)].size())
            busiest = l;
    double worst = 0;
    for (int laneMode = 0; laneMode < 2; ++laneMode) {
        timeline.setLanes(laneMode == 0 ? QList<int>{} : QList<int>{busiest});
        for (const Zoom& z : zooms) {
            const double mid = double(index->firstTime()) + full * 0.4; // inside the incident day
            if (z.span <= 0)
                timeline.fitAll();
            else
                timeline.setVisibleRange(mid - z.span / 2, mid + z.span / 2);
            std::vector<double> ms;
            for (int i = 0; i < 30; ++i) {
                // Nudge the range by a pixel so every paint re-bins (no cached lane image).
                const auto m = timeline.mapping();
                timeline.setVisibleRange(m.start + m.unitsPerPixel(), m.end + m.unitsPerPixel());
                QElapsedTimer t;
                t.start();
                QPainter p(&image);
                timeline.render(p, image.size());
                p.end();
                ms.push_back(double(t.nsecsElapsed()) / 1e6);
            }
            std::vector<double> cached;
            for (int i = 0; i < 30; ++i) { // cursor moves only: lanes come from the cached image
                controller.setCursor(index->entries[size_t(QRandomGenerator::global()->bounded(index->size()))].position);
                QElapsedTimer t;
                t.start();
                QPainter p(&image);
                timeline.render(p, image.size());
                p.end();
                cached.push_back(double(t.nsecsElapsed()) / 1e6);
            }
            worst = std::max(worst, percentile(ms, 0.95));
            std::printf("paint %-14s %-9s full repaint median %6.2f ms p95 %6.2f ms | cursor-only median %5.2f ms\n",
                        laneMode == 0 ? "all lanes" : "busiest lane", z.name, percentile(ms, 0.5), percentile(ms, 0.95),
                        percentile(cached, 0.5));
        }
    }
    std::printf("timeline paint worst p95 %.2f ms (budget 16)\n", worst);
    if (qEnvironmentVariableIsSet("BENCH_SAVE_PNG"))
        image.save(QString::fromLocal8Bit(qgetenv("BENCH_SAVE_PNG")));

    // 3. Cursor moved -> state inspector updated: ReplayService answer and the tree shown, for random
    //    events (their stream selected, as clicking one does), then a scrub end to end.
    ReplayService service(reader->clone(&error));
    StateInspector inspector;
    inspector.resize(440, 600);
    StreamTreeModel streams;
    streams.setIndex(index);
    EventTableModel table;
    table.setIndex(index);
    quint64 current = 0;
    bool got = false;
    QObject::connect(&service, &ReplayService::stateReady, &app, [&](quint64 id, const StateResult& r) {
        if (id != current)
            return;
        inspector.setState(r.state, QStringLiteral("state"),
                           r.lastEvent ? mergePatchPaths(parseJsonValue(r.lastEvent->data)) : QStringList());
        got = true;
    });
    QObject::connect(&service, &ReplayService::failed, &app, [&](quint64 id, const QString& m) {
        if (id == current) {
            std::fprintf(stderr, "state failed: %s\n", qPrintable(m));
            got = true;
        }
    });
    auto stateAt = [&](const QString& stream, qint64 position) {
        got = false;
        QElapsedTimer t;
        t.start();
        current = service.requestState(stream, Point::atPosition(position));
        while (!got)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        return double(t.nsecsElapsed()) / 1e6;
    };
    std::vector<double> jumps;
    for (int i = 0; i < 200; ++i) {
        const auto& e = index->entries[size_t(QRandomGenerator::global()->bounded(index->size()))];
        jumps.push_back(stateAt(index->streams[int(e.lane)], e.position));
    }
    std::printf("cursor jump -> state shown: median %.2f ms p95 %.2f ms p99 %.2f ms max %.2f ms (budget 50)\n",
                percentile(jumps, 0.5), percentile(jumps, 0.95), percentile(jumps, 0.99), percentile(jumps, 1.0));
    // Stepping through the busiest stream (the longest fold): next event of the same stream.
    std::vector<double> steps;
    const auto& rows = index->laneRows[size_t(busiest)];
    for (size_t i = rows.size() / 2; i < rows.size() && steps.size() < 200; ++i)
        steps.push_back(stateAt(index->streams[busiest], index->entries[rows[i]].position));
    std::printf("step in busiest stream %s (%zu events) -> state shown: median %.2f ms p95 %.2f ms max %.2f ms\n",
                qPrintable(index->streams[busiest]), rows.size(), percentile(steps, 0.5), percentile(steps, 0.95),
                percentile(steps, 1.0));

    // 4. Scrub end to end (slider drag): cursor over the whole store, the state of the cursor's stream each step.
    std::vector<double> scrub;
    for (int i = 0; i <= scrubSteps; ++i) {
        const size_t row = size_t(double(index->size() - 1) * i / scrubSteps);
        const auto& e = index->entries[row];
        controller.setCursor(e.position);
        table.rowNearPosition(e.position);
        QPainter p(&image);
        timeline.render(p, image.size());
        p.end();
        scrub.push_back(stateAt(index->streams[int(e.lane)], e.position));
    }
    std::printf("scrub end to end (%d steps): state median %.2f ms p95 %.2f ms\n", scrubSteps, percentile(scrub, 0.5),
                percentile(scrub, 0.95));
    // Stream browser with every stream of the store: loading it and one filter keystroke (lanes follow).
    {
        StreamBrowser browser(&controller);
        QObject::connect(&browser, &StreamBrowser::lanesChanged, &timeline, [&](const QList<int>& lanes, const QList<int>&) {
            timeline.setLanes(lanes);
        });
        QElapsedTimer t;
        t.start();
        browser.setIndex(index);
        const qint64 load = t.elapsed();
        std::vector<double> keys;
        for (const char* pattern : {"o", "or", "order-1", "order-12*", "payment-*", "*-99", ""}) {
            QElapsedTimer k;
            k.start();
            browser.setPattern(QString::fromLatin1(pattern), false);
            keys.push_back(double(k.nsecsElapsed()) / 1e6);
        }
        std::printf("stream browser: load %lld ms; filter keystroke median %.1f ms, max %.1f ms (%lld streams)\n", load,
                    percentile(keys, 0.5), percentile(keys, 1.0), qint64(index->streams.size()));
    }
    std::printf("peak memory (VmHWM) with the store open and scrubbed end to end: %lld MB (budget 400)\n", peakRssKb() / 1024);

    // The app keeps the index in its cache (OpenJob); a second launch loads it instead of reading the store.
    {
        const QString cachePath = store + QStringLiteral(".bench-index");
        const QByteArray key = QFileInfo(store).canonicalFilePath().toUtf8();
        saveTimelineIndex(*index, cachePath, key, &error);
        QElapsedTimer again;
        again.start();
        auto reader2 = openSource(store, {}, &error);
        auto cached = loadTimelineIndex(cachePath, key, &error);
        const qint64 tLoad = again.elapsed();
        if (!reader2 || !cached) {
            std::fprintf(stderr, "cached reopen failed: %s\n", qPrintable(error));
            return 2;
        }
        ReplayController c2;
        TimelineWidget t2(&c2);
        t2.resize(1600, 1000);
        c2.setIndex(cached);
        t2.setIndex(cached);
        QImage img2(1600, 1000, QImage::Format_ARGB32_Premultiplied);
        QPainter p2(&img2);
        t2.render(p2, img2.size());
        std::printf("launch with the index cached (indexed store, second open): open + load %lld ms, first painted timeline %lld ms (budget 1000)\n",
                    tLoad, again.elapsed());
        QFile::remove(cachePath);
    }
    return 0;
}
