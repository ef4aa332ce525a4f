// The live tail's cost per commit: TimelineIndex::extended() on an index of N events with a page of P new
// events (known streams and times forward: the append path; and with a new stream: the re-sort path),
// against building the index again from all events (what the window would do without extended()).
//
//   bench_views_liveindex [--events N] [--page P] [--streams S]

#include "store/memoryreader.h"
#include "timelineindex.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <functional>

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

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    qint64 n = 1000000;
    int page = 5000, streams = 1000;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--events"))
            n = args[++i].toLongLong();
        else if (args[i] == QLatin1String("--page"))
            page = args[++i].toInt();
        else if (args[i] == QLatin1String("--streams"))
            streams = args[++i].toInt();
    }
    TimelineIndexBuilder builder(StoreInfo{}, n);
    for (qint64 i = 0; i < n; ++i)
        builder.add(makeEvent(i, streams));
    const auto base = builder.finish();
    QList<Event> tail, tailNewStream;
    for (qint64 i = n; i < n + page; ++i) {
        tail << makeEvent(i, streams);
        Event e = makeEvent(i, streams);
        if (i == n)
            e.stream = QStringLiteral("zz-new");
        tailNewStream << e;
    }
    std::shared_ptr<const TimelineIndex> out;
    const double append = medianMs([&] { out = base->extended(tail); });
    const double resort = medianMs([&] { out = base->extended(tailNewStream); });
    const double rebuild = medianMs([&] {
        TimelineIndexBuilder b(StoreInfo{}, n + page);
        for (qint64 i = 0; i < n + page; ++i)
            b.add(makeEvent(i, streams));
        out = b.finish();
    }, 3);
    std::printf("index %lld events, %d streams, page %d\n", n, streams, page);
    std::printf("extended (append path):     %8.1f ms\n", append);
    std::printf("extended (new stream):      %8.1f ms\n", resort);
    std::printf("rebuild from events:        %8.1f ms (without reading a store)\n", rebuild);
    return 0;
}
