// Findings budget (issue 15): one pass over a 1M-event store <= 3 s, and a live tail updated within 1 s.
//
// Usage: bench_findings STORE [--runs N]
//   STORE: any source (make one with `chronoscope-cli demo --events 1000000 -o /tmp/demo-1m.chronoscope`).
// Prints per run: the read alone (the store's full scan, no analysis), the whole computeFindings (read +
// analysis + ranking) pipelined with each thread's CPU time, then sequential (checks both agree), and the
// incremental case: an analyzer fed the store, then 2,000 more events appended (the store's last events
// again, with new positions) and findings() asked again.
#include "findings/findings.h"
#include "sources/sourceregistry.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <vector>

using namespace chronoscope;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    int runs = 3;
    if (const qsizetype at = args.indexOf(QStringLiteral("--runs")); at >= 0 && at + 1 < args.size()) {
        runs = std::max(1, args.at(at + 1).toInt());
        args.remove(at, 2);
    }
    if (args.isEmpty()) {
        std::fprintf(stderr, "usage: bench_findings STORE [--runs N]\n");
        return 1;
    }
    QString error;
    std::unique_ptr<EventReader> reader = openSource(args.first(), OpenOptions{}, &error);
    if (!reader) {
        std::fprintf(stderr, "bench_findings: %s\n", qPrintable(error));
        return 2;
    }
    const StoreInfo info = reader->info();
    std::printf("store: %s, %lld events, %lld streams\n", qPrintable(args.first()), info.events,
                info.streams);
    // CPU time as well as wall time: on a shared machine the wall clock measures the neighbours too.
    auto cpuMs = [] { return double(std::clock()) * 1000.0 / CLOCKS_PER_SEC; };
    auto threadCpuMs = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) * 1000.0 + double(ts.tv_nsec) / 1e6;
    };
    std::vector<double> readMs, allMs, readCpu, allCpu;
    QList<Finding> found;
    for (int r = 0; r < runs; ++r) {
        QElapsedTimer t;
        t.start();
        double c0 = cpuMs();
        qint64 n = 0;
        reader->read(EventQuery{}, [&](const Event&) {
            ++n;
            return true;
        });
        readMs.push_back(double(t.nsecsElapsed()) / 1e6);
        readCpu.push_back(cpuMs() - c0);
        t.restart();
        c0 = cpuMs();
        double th0 = threadCpuMs();
        if (!computeFindings(*reader, FindingsOptions{}, &found, {}, {}, &error, FindingsMode::Pipelined)) {
            std::fprintf(stderr, "bench_findings: %s\n", qPrintable(error));
            return 2;
        }
        allMs.push_back(double(t.nsecsElapsed()) / 1e6);
        allCpu.push_back(cpuMs() - c0);
        const double readerThread = threadCpuMs() - th0;
        t.restart();
        c0 = cpuMs();
        QList<Finding> sequential;
        if (!computeFindings(*reader, FindingsOptions{}, &sequential, {}, {}, &error,
                             FindingsMode::Sequential)) {
            std::fprintf(stderr, "bench_findings: %s\n", qPrintable(error));
            return 2;
        }
        const double seqMs = double(t.nsecsElapsed()) / 1e6, seqCpu = cpuMs() - c0;
        bool same = sequential.size() == found.size();
        for (qsizetype i = 0; same && i < found.size(); ++i)
            same = findingToJson(found[i], int(i + 1)) == findingToJson(sequential[i], int(i + 1));
        // On two idle cores the pipelined wall time is about the busier thread's CPU time.
        std::printf(
            "run %d: read alone %.0f ms (CPU %.0f ms); findings pipelined %.0f ms (CPU %.0f ms: reading "
            "thread %.0f ms, analysing thread %.0f ms), %lld findings; sequential %.0f ms (CPU %.0f "
            "ms), %s\n",
            r + 1, readMs.back(), readCpu.back(), allMs.back(), allCpu.back(), readerThread,
            allCpu.back() - readerThread, qint64(found.size()), seqMs, seqCpu,
            same ? "same findings" : "DIFFERENT FINDINGS");
        if (!same) return 3;
    }
    std::sort(readMs.begin(), readMs.end());
    std::sort(allMs.begin(), allMs.end());
    std::sort(readCpu.begin(), readCpu.end());
    std::sort(allCpu.begin(), allCpu.end());
    std::printf("median: read alone %.0f ms (CPU %.0f ms), findings %.0f ms (CPU %.0f ms; budget 3000 ms)\n",
                readMs[readMs.size() / 2], readCpu[readCpu.size() / 2], allMs[allMs.size() / 2],
                allCpu[allCpu.size() / 2]);

    // Live tail: the analyzer keeps its aggregates; 2,000 appended events, then findings() again.
    FindingsAnalyzer live;
    live.reserve(info.events);
    std::vector<Event> tail;
    double c1 = cpuMs();
    reader->read(EventQuery{}, [&](const Event& e) {
        live.add(e);
        if (e.position > info.lastPosition - 2000) tail.push_back(e);
        return true;
    });
    const double feedCpu = cpuMs() - c1;
    c1 = cpuMs();
    live.findings();
    std::printf("phases (CPU): read + add() %.0f ms, findings() %.0f ms\n", feedCpu, cpuMs() - c1);
    QElapsedTimer t;
    t.start();
    qint64 pos = live.lastPosition();
    for (Event e : tail) {
        e.position = ++pos;
        e.id += QStringLiteral("-again");
        live.add(e);
    }
    const double addMs = double(t.nsecsElapsed()) / 1e6;
    const QList<Finding> after = live.findings();
    std::printf("live tail: 2,000 events added in %.1f ms, findings recomputed in %.0f ms (budget 1000 ms)\n",
                addMs, double(t.nsecsElapsed()) / 1e6 - addMs);
    if (!found.isEmpty()) std::printf("first finding: %s\n", qPrintable(found.first().explanation));
    return 0;
}
