// Native store reads: full scan rate, info/streams, per-stream reads and checkpoint lookups.
//
//   build/release/tests/benchmarks/bench_import -o /tmp/b.chronoscope     # make a 1M-event store first
//   build/release/tests/benchmarks/bench_store /tmp/b.chronoscope
//
// Prints one JSON object with the timings.
#include "store/sqlitestore.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace chronoscope;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_store STORE\n");
        return 1;
    }
    QElapsedTimer t;
    t.start();
    QString error;
    auto r = SqliteStoreReader::open(QString::fromLocal8Bit(argv[1]), &error);
    if (!r) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    const double openMs = double(t.nsecsElapsed()) / 1e6;

    t.restart();
    const StoreInfo info = r->info();
    const double infoMs = double(t.nsecsElapsed()) / 1e6;

    t.restart();
    const QList<StreamInfo> streams = r->streams();
    const double streamsMs = double(t.nsecsElapsed()) / 1e6;

    t.restart();
    qint64 rows = 0, bytes = 0;
    r->read({}, [&](const Event& e) {
        ++rows;
        bytes += e.data.size();
        return true;
    });
    const double scanS = double(t.nsecsElapsed()) / 1e9;

    // Per-stream reads of a spread of streams, and checkpoint lookups on the longest ones.
    std::vector<double> streamMs;
    for (qsizetype i = 0; i < streams.size(); i += std::max<qsizetype>(1, streams.size() / 500)) {
        EventQuery q;
        q.stream = streams[i].stream;
        t.restart();
        const qint64 n = r->readAll(q).size();
        streamMs.push_back(double(t.nsecsElapsed()) / 1e6);
        if (n != streams[i].events)
            std::fprintf(stderr, "stream %s: %lld events read, summary says %lld\n", qPrintable(q.stream),
                         static_cast<long long>(n), static_cast<long long>(streams[i].events));
    }
    std::sort(streamMs.begin(), streamMs.end());
    QList<StreamInfo> longest = streams;
    std::sort(longest.begin(), longest.end(), [](const StreamInfo& a, const StreamInfo& b) { return a.events > b.events; });
    std::vector<double> cpMs;
    int found = 0;
    for (int i = 0; i < std::min<qsizetype>(20, longest.size()); ++i)
        for (int k = 0; k < 50; ++k) {
            const qint64 v = longest[i].firstVersion + (longest[i].lastVersion - longest[i].firstVersion) * k / 49;
            t.restart();
            found += r->checkpointBefore(QStringLiteral("merge"), longest[i].stream, Point::atVersion(v)) ? 1 : 0;
            cpMs.push_back(double(t.nsecsElapsed()) / 1e6);
        }
    std::sort(cpMs.begin(), cpMs.end());
    auto pct = [](const std::vector<double>& v, double p) { return v.empty() ? 0.0 : v[size_t(double(v.size() - 1) * p)]; };
    std::printf("{\"events\":%lld,\"streams\":%lld,\"openMs\":%.2f,\"infoMs\":%.2f,\"streamsMs\":%.2f,"
                "\"scanSeconds\":%.3f,\"scanRowsPerSecond\":%.0f,\"scanDataMB\":%.1f,"
                "\"streamReadMsP50\":%.3f,\"streamReadMsP99\":%.3f,\"checkpointMsP50\":%.3f,\"checkpointMsP99\":%.3f,"
                "\"checkpointsFound\":%d}\n",
                static_cast<long long>(info.events), static_cast<long long>(streams.size()), openMs, infoMs, streamsMs,
                scanS, double(rows) / scanS, double(bytes) / 1e6, pct(streamMs, 0.5), pct(streamMs, 0.99), pct(cpMs, 0.5),
                pct(cpMs, 0.99), found);
    return 0;
}
