// The live tail's cost on the GUI thread. With N events loaded (100k and 1M by default) and new events
// arriving at a steady rate (2,000 a second by default, some on new streams), a worker thread "reads" each
// batch (as LiveController's tail thread does) and the GUI thread appends it in place
// (TimelineIndex::append()) and updates the views of the window: ReplayController (following the head),
// TimelineWidget, StreamBrowser and EventTableView, all shown (offscreen) so they also repaint.
// Printed per N: the time per refresh on the GUI thread (append + views' updates: median, p99, max); the
// stalls of the GUI thread's event loop over the run (a 1 ms heartbeat timer: its longest gap and its p99,
// paints included); the GUI-thread events in CPU time (the window's own work in one go: longest and p99; on
// a loaded machine a stall adds whatever time the thread waited for a core, the CPU time does not); the
// events table's rows (header sections) at the end, which stay bounded by its window.
// Last, how the median time per refresh grew from the smallest N to the largest.
// For comparison, the old way (TimelineIndex::extended(): copy the index, then append) per refresh.
//
//   bench_views_liveindex [--events 100000,1000000] [--streams S (default N/5)] [--rate 2000]
//                         [--seconds 10] [--new-streams 20] [--refresh-ms 100]

#include "eventtableview.h"
#include "replaycontroller.h"
#include "streambrowser.h"
#include "timelineindex.h"
#include "timelinewidget.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPaintEvent>
#include <QRandomGenerator>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include <time.h>

using namespace chronoscope;

namespace {

Event makeEvent(qint64 i, int streams)
{
    Event e;
    e.position = i + 1;
    e.stream = QStringLiteral("item-%1").arg(i % streams);
    e.version = i / streams;
    e.type = i % 10 == 0 ? QStringLiteral("Failed") : QStringLiteral("Updated");
    e.time = 1767607200000 + i * 10;
    return e;
}

double medianMs(const std::function<void()>& f, int runs = 5)
{
    std::vector<double> ms;
    for (int r = 0; r < runs; ++r) {
        QElapsedTimer t;
        t.start();
        f();
        ms.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

/// The most CPU time one GUI-thread event took (outermost events only; a paint of the window included)
/// while tracking is on: what the window's own work costs, whatever the machine's load adds to the stall.
double g_longestSliceCpu = 0;
std::vector<double> g_sliceCpu;  ///< every outermost GUI-thread event's CPU time while tracking
bool g_trackSlices = false;

double threadCpuMs();

struct Figures
{
    qint64 loaded = 0;
    int streams = 0;
    int refreshes = 0;
    qint64 appended = 0;
    int newStreams = 0;
    double median = 0, p99 = 0, max = 0;  ///< per refresh, GUI thread: append + views' updates
    double stall = 0;                     ///< longest gap of the 1 ms heartbeat, minus its interval
    double stallP99 = 0;                  ///< its 99th percentile
    double idleStall = 0;                 ///< the same over 2 s with nothing arriving (the machine's noise)
    double sliceCpu = 0;                  ///< the longest GUI-thread event in CPU time over the run
    double sliceCpuP99 = 0;               ///< its 99th percentile
    int tableRows = 0;                    ///< the events table's rows (its header's sections) at the end
    double copyPerRefresh = 0;            ///< the old way: extended() of the loaded index with one batch
    double firstAppend = 0;               ///< the first append after the open (containers regrow once)
};

Figures runLive(qint64 n, int streams, int rate, double seconds, int newStreamsPerSecond, int refreshMs)
{
    Figures f;
    f.loaded = n;
    f.streams = streams;
    TimelineIndexBuilder builder(StoreInfo{}, n);
    for (qint64 i = 0; i < n; ++i)
        builder.add(makeEvent(i, streams));
    std::shared_ptr<const TimelineIndex> built = builder.finish();
    const int perBatch = std::max(1, rate * refreshMs / 1000);
    {
        QList<Event> batch;
        for (qint64 i = n; i < n + perBatch; ++i)
            batch << makeEvent(i, streams);
        f.copyPerRefresh = medianMs([&] { auto copy = built->extended(batch); });
    }
    // The window's index, grown in place. Taken as built (the builder made it non-const): a copy would
    // leave every container at capacity == size and charge the first append with regrowing them all.
    auto index = std::const_pointer_cast<TimelineIndex>(built);
    built.reset();

    QWidget window;
    ReplayController controller;
    auto* timeline = new TimelineWidget(&controller);
    auto* browser = new StreamBrowser(&controller);
    auto* table = new EventTableView(&controller);
    auto* side = new QVBoxLayout;
    side->addWidget(browser, 2);
    side->addWidget(table, 1);
    auto* layout = new QHBoxLayout(&window);
    layout->addLayout(side, 1);
    layout->addWidget(timeline, 3);
    QObject::connect(browser, &StreamBrowser::lanesChanged, timeline, [timeline](const QList<int>& lanes, const QList<int>& pinned) {
        timeline->setLanes(lanes);
        timeline->setPinnedLanes(pinned);
    });
    window.resize(1600, 1000);
    window.show();
    // BENCH_HIDE=timeline,browser,table: leave views out of the window to see which one a stall comes from.
    const QString hide = qEnvironmentVariable("BENCH_HIDE");
    timeline->setVisible(!hide.contains(QLatin1String("timeline")));
    browser->setVisible(!hide.contains(QLatin1String("browser")));
    table->setVisible(!hide.contains(QLatin1String("table")));
    timeline->setIndex(index);
    browser->setIndex(index);
    table->setIndex(index);
    controller.setIndex(index);
    QCoreApplication::processEvents();
    {
        // The first append after the open: timed apart. It used to regrow the containers the builder left at
        // their exact size (byTime, sortedTimes, with a new stream the per-stream lists); the builder now
        // reserves room ahead (TimelineIndex::reserveAhead()), so it costs what any refresh costs.
        QList<Event> first{makeEvent(n, streams)};
        if (newStreamsPerSecond > 0) {
            Event fresh = makeEvent(n, streams);
            fresh.stream = QStringLiteral("item-first");
            fresh.version = 0;
            first.last() = fresh;
        }
        QElapsedTimer t;
        t.start();
        const TimelineAppend change = index->append(first);
        controller.updateIndex(index);
        timeline->updateIndex(index, change);
        browser->updateIndex(index, change);
        table->updateIndex(index, change);
        f.firstAppend = double(t.nsecsElapsed()) / 1e6;
        QCoreApplication::processEvents();
    }

    // The machine's own noise first: the heartbeat with the window open and nothing arriving.
    {
        QElapsedTimer idleClock;
        idleClock.start();
        qint64 prev = idleClock.nsecsElapsed();
        double idleLongest = 0;
        QTimer beat;
        beat.setTimerType(Qt::PreciseTimer);
        beat.setInterval(1);
        QObject::connect(&beat, &QTimer::timeout, [&] {
            const qint64 now = idleClock.nsecsElapsed();
            idleLongest = std::max(idleLongest, double(now - prev) / 1e6 - 1.0);
            prev = now;
        });
        QEventLoop idle;
        beat.start();
        QTimer::singleShot(2000, &idle, &QEventLoop::quit);
        idle.exec();
        f.idleStall = idleLongest;
    }

    // The tail thread: every refresh interval, "read" the events that arrived meanwhile and hand them over.
    std::atomic<bool> stop{false};
    std::vector<double> perRefresh;
    const qint64 total = qint64(rate * seconds);
    const int newEvery = newStreamsPerSecond > 0 ? std::max(1, rate / newStreamsPerSecond) : 0;
    std::thread reader([&] {
        qint64 next = n + 1;  // event n went in with the first append
        int fresh = 0;
        auto due = std::chrono::steady_clock::now();
        while (!stop && next < n + 1 + total) {
            due += std::chrono::milliseconds(refreshMs);
            std::this_thread::sleep_until(due);
            QList<Event> batch;
            for (int k = 0; k < perBatch && next < n + 1 + total; ++k, ++next) {
                Event e = makeEvent(next, streams);
                if (newEvery > 0 && next % newEvery == 0) {
                    // A new stream of the known category, at a random place in name order.
                    e.stream = QStringLiteral("item-%1x%2").arg(QRandomGenerator::global()->bounded(streams)).arg(fresh++);
                    e.version = 0;
                }
                batch << e;
            }
            QMetaObject::invokeMethod(qApp, [&, batch] {
                QElapsedTimer t;
                t.start();
                const double cpu0 = threadCpuMs();
                qint64 marks[7];
                const TimelineAppend change = index->append(batch);
                marks[0] = t.nsecsElapsed();
                controller.updateIndex(index);
                marks[1] = t.nsecsElapsed();
                timeline->updateIndex(index, change);
                marks[2] = t.nsecsElapsed();
                browser->updateIndex(index, change);
                marks[3] = t.nsecsElapsed();
                table->updateIndex(index, change);
                marks[4] = t.nsecsElapsed();
                controller.setCursor(index->info.lastPosition);  // following the head
                controller.flush();
                marks[5] = t.nsecsElapsed();
                perRefresh.push_back(double(t.nsecsElapsed()) / 1e6);
                const double cpu = threadCpuMs() - cpu0;
                if (cpu > 10) // always told, with what took it
                    std::printf("  long refresh: cpu %.1f ms, %lld new events, %d new streams, %zu lanes: ", cpu,
                                qint64(batch.size()), int(change.newLanes.size()), index->streamInfos.size());
                if (cpu > 10 || qEnvironmentVariableIsSet("BENCH_BREAKDOWN"))
                    std::printf("append %.2f controller %.2f timeline %.2f browser %.2f table %.2f cursor %.2f ms\n",
                                marks[0] / 1e6, (marks[1] - marks[0]) / 1e6, (marks[2] - marks[1]) / 1e6,
                                (marks[3] - marks[2]) / 1e6, (marks[4] - marks[3]) / 1e6, (marks[5] - marks[4]) / 1e6);
                f.appended += qint64(batch.size());
                f.newStreams += int(change.newLanes.size());
            }, Qt::QueuedConnection);
        }
    });

    // The heartbeat: anything that holds the GUI thread shows as a late tick.
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    double longest = 0;
    std::vector<double> gaps;
    gaps.reserve(size_t(seconds * 1000) + 1000);
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(1);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        const double gap = std::max(0.0, double(now - last) / 1e6 - 1.0);
        longest = std::max(longest, gap);
        gaps.push_back(gap);
        last = now;
    });
    heartbeat.start();
    g_longestSliceCpu = 0;
    g_sliceCpu.clear();
    g_trackSlices = true;
    QEventLoop loop;
    QTimer done;
    QObject::connect(&done, &QTimer::timeout, [&] {
        if (f.appended >= total)
            loop.quit();
    });
    done.start(50);
    QTimer::singleShot(int(seconds * 1000) + 10000, &loop, &QEventLoop::quit);  // safety net
    loop.exec();
    stop = true;
    reader.join();
    QCoreApplication::processEvents();
    heartbeat.stop();
    g_trackSlices = false;

    auto p99 = [](std::vector<double> v) {
        if (v.empty())
            return 0.0;
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, v.size() * 99 / 100)];
    };
    f.stall = longest;
    f.stallP99 = p99(gaps);
    f.sliceCpu = g_longestSliceCpu;
    f.sliceCpuP99 = p99(g_sliceCpu);
    f.tableRows = table->view()->verticalHeader()->count();
    f.refreshes = int(perRefresh.size());
    std::sort(perRefresh.begin(), perRefresh.end());
    if (!perRefresh.empty()) {
        f.median = perRefresh[perRefresh.size() / 2];
        f.p99 = perRefresh[std::min(perRefresh.size() - 1, perRefresh.size() * 99 / 100)];
        f.max = perRefresh.back();
    }
    return f;
}

/// CPU time of the calling thread: a slice much longer than its CPU time was the thread waiting for a core.
double threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

/// Times every event the GUI thread delivers (outermost only): with BENCH_SLICES set, the longest ones are
/// printed with their receiver and event type, to see what a stall is made of.
class TimedApplication : public QApplication
{
public:
    using QApplication::QApplication;
    bool notify(QObject* receiver, QEvent* event) override
    {
        if (m_on && m_depth > 0 && event->type() == QEvent::Paint) {
            QElapsedTimer t;
            t.start();
            const double cpu0 = threadCpuMs();
            const QRect rect = static_cast<QPaintEvent*>(event)->rect();
            const bool r = QApplication::notify(receiver, event);
            const double ms = double(t.nsecsElapsed()) / 1e6;
            if (ms > 2)
                std::printf("    paint %.1f ms (cpu %.1f): %s in %s, %dx%d\n", ms, threadCpuMs() - cpu0,
                            receiver->metaObject()->className(),
                            receiver->parent() ? receiver->parent()->metaObject()->className() : "-", rect.width(), rect.height());
            return r;
        }
        if (m_depth == 0 && !m_on && g_trackSlices) {
            ++m_depth;
            const double cpu0 = threadCpuMs();
            const bool r = QApplication::notify(receiver, event);
            const double cpu = threadCpuMs() - cpu0;
            g_longestSliceCpu = std::max(g_longestSliceCpu, cpu);
            g_sliceCpu.push_back(cpu);
            if (cpu > 10) // always told: what a long piece of the window's own work was
                std::printf("  long event: cpu %.1f ms: %s event %d\n", cpu, receiver->metaObject()->className(),
                            int(event->type()));
            --m_depth;
            return r;
        }
        if (m_depth > 0 || !m_on)
            return QApplication::notify(receiver, event);
        ++m_depth;
        QElapsedTimer t;
        t.start();
        const QString what = QStringLiteral("%1 (%2) event %3")
                                 .arg(QString::fromLatin1(receiver->metaObject()->className()), receiver->objectName())
                                 .arg(int(event->type()));
        const double cpu0 = threadCpuMs();
        const bool r = QApplication::notify(receiver, event);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (g_trackSlices) {
            g_longestSliceCpu = std::max(g_longestSliceCpu, threadCpuMs() - cpu0);
            g_sliceCpu.push_back(threadCpuMs() - cpu0);
        }
        --m_depth;
        if (ms > 8)
            std::printf("  slice %.1f ms (cpu %.1f): %s\n", ms, threadCpuMs() - cpu0, qPrintable(what));
        return r;
    }
    bool m_on = qEnvironmentVariableIsSet("BENCH_SLICES");
    int m_depth = 0;
};

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    TimedApplication app(argc, argv);
    QList<qint64> sizes{100000, 1000000};
    int streams = 0, rate = 2000, newStreams = 20, refreshMs = 100;
    double seconds = 10;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--events")) {
            sizes.clear();
            for (const QString& v : args[++i].split(QLatin1Char(',')))
                sizes << v.toLongLong();
        } else if (args[i] == QLatin1String("--streams")) {
            streams = args[++i].toInt();
        } else if (args[i] == QLatin1String("--rate")) {
            rate = args[++i].toInt();
        } else if (args[i] == QLatin1String("--seconds")) {
            seconds = args[++i].toDouble();
        } else if (args[i] == QLatin1String("--new-streams")) {
            newStreams = args[++i].toInt();
        } else if (args[i] == QLatin1String("--refresh-ms")) {
            refreshMs = args[++i].toInt();
        }
    }
    std::printf("live tail: %d events/s (%d new streams/s), a refresh every %d ms, %.0f s per run\n", rate, newStreams,
                refreshMs, seconds);
    std::printf("%9s %7s %5s %8s %4s | %-30s | %-22s | %-22s | %-8s | %-10s | %-8s | %s\n", "loaded", "streams", "runs",
                "appended", "new", "per refresh: median/p99/max", "GUI stall: max / p99", "event CPU: max / p99", "idle",
                "table rows", "1st app.", "old copy/refresh");
    std::vector<Figures> all;
    for (qint64 n : sizes) {
        const Figures f = runLive(n, streams > 0 ? streams : int(std::max<qint64>(1, n / 5)), rate, seconds, newStreams, refreshMs);
        std::printf("%9lld %7d %5d %8lld %4d | %6.2f / %6.2f / %6.2f ms  | %7.2f / %6.2f ms     | %7.2f / %6.2f ms     | %5.2f ms | %10d | %5.1f ms | %6.1f ms\n",
                    f.loaded, f.streams, f.refreshes, f.appended, f.newStreams, f.median, f.p99, f.max, f.stall, f.stallP99,
                    f.sliceCpu, f.sliceCpuP99, f.idleStall, f.tableRows, f.firstAppend, f.copyPerRefresh);
        std::fflush(stdout);
        all.push_back(f);
    }
    if (all.size() >= 2 && all.front().median > 0)
        std::printf("per refresh, median: %.2f ms at %lld events, %.2f ms at %lld (x%.2f for x%.0f events)\n", all.front().median,
                    all.front().loaded, all.back().median, all.back().loaded, all.back().median / all.front().median,
                    double(all.back().loaded) / double(std::max<qint64>(1, all.front().loaded)));
    return 0;
}
