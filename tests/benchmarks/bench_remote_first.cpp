// Remote-first budget (issue 13 item 5, docs/remote.md "Remote-first mode"): opens a PostgreSQL store
// remote-first and times what the timeline needs, in the order the app asks for it:
//   open (connect, layout, catalog) -> summary -> estimated density (first paint) -> first stream page
//   -> a window of events on screen -> the cursor's neighbourhood -> scrubbing end to end
//   -> exact density (counted by the server; the app runs it in the background).
// Then the LRU's size against its limit, and this process's peak RSS.
//   bench_remote_first URI [--bins N] [--scrub N] [--no-exact]
// The data: tests/benchmarks/remote_first_messagedb.sh load N (a Message DB filled by a bulk COPY).

#include "sources/remote/remotefirst.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QStringList>

#include <cstdio>

using namespace chronoscope;

namespace {

qint64 peakRssKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:")) return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

int fail(const QString& what, const QString& error)
{
    std::fprintf(stderr, "%s failed: %s\n", qPrintable(what), qPrintable(error));
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // each figure as it is measured, also into a pipe
    QStringList args = app.arguments().mid(1);
    if (args.isEmpty()) {
        std::fprintf(stderr, "usage: bench_remote_first URI [--bins N] [--scrub N] [--no-exact]\n");
        return 2;
    }
    const QString uri = args.takeFirst();
    int bins = 1000, scrub = 200;
    bool exact = true;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == u"--bins")
            bins = args.value(++i).toInt();
        else if (args[i] == u"--scrub")
            scrub = args.value(++i).toInt();
        else if (args[i] == u"--no-exact")
            exact = false;
    }
    QElapsedTimer total;
    total.start();
    QElapsedTimer step;
    auto lap = [&](const char* what) {
        std::printf("%-34s %8.1f ms  (since open %8.1f ms)\n", what, step.nsecsElapsed() / 1e6,
                    total.nsecsElapsed() / 1e6);
        step.restart();
    };
    step.start();
    QString error;
    RemoteFirstOptions options;
    auto src = createRemoteFirstSource(uri, options, &error);
    if (!src || !src->open(&error)) return fail(QStringLiteral("open"), error);
    lap("open (connect, layout, catalog)");
    RemoteSummary s;
    if (!src->summary(&s, &error)) return fail(QStringLiteral("summary"), error);
    lap("summary (keys, statistics)");
    const bool timeAxis = s.axis == RemoteAxis::Time;
    const qint64 from = timeAxis ? s.firstTime : s.firstPosition, to = timeAxis ? s.lastTime : s.lastPosition;
    RemoteDensity estimate;
    if (!src->estimatedDensity(from, to, bins, &estimate, &error))
        std::printf("estimated density unavailable: %s\n", qPrintable(error));
    lap("estimated density (first paint)");
    const double firstPaintMs = total.nsecsElapsed() / 1e6;
    QList<RemoteStreamCount> streams;
    if (!src->streams(QString(), 200, &streams, &error)) return fail(QStringLiteral("streams"), error);
    lap("stream list, first 200");
    const double streamsMs = total.nsecsElapsed() / 1e6;
    const qint64 mid = from + (to - from) / 2;
    QList<Event> events;
    bool truncated = false;
    const qint64 binWidth = std::max<qint64>(1, (to - from + 1) / bins);
    if (!src->window(mid, mid + binWidth - 1, 500, &events, &truncated, &error))
        return fail(QStringLiteral("window"), error);
    lap("window on screen (one bin, <=500)");
    const qint64 cursor =
        events.isEmpty() ? s.firstPosition + (s.lastPosition - s.firstPosition) / 2 : events.first().position;
    if (!src->around(cursor, 100, 100, &events, &error)) return fail(QStringLiteral("around"), error);
    lap("cursor neighbourhood (100+100)");
    {
        // Zoomed in to 1% of the range: the exact counts of what is on screen.
        RemoteDensity zoomed;
        const qint64 span = std::max<qint64>(1, (to - from) / 100);
        if (!src->density(mid, mid + span, 200, &zoomed, &error))
            std::printf("zoomed density failed: %s\n", qPrintable(error));
        lap("exact density, zoomed to 1%");
    }
    qint64 maxCache = 0;
    for (int i = 0; i < scrub; ++i) {
        const qint64 at = from + (to - from) / std::max(1, scrub) * i;
        if (!src->window(at, at + binWidth - 1, 500, &events, &truncated, &error))
            return fail(QStringLiteral("scrub window"), error);
        maxCache = std::max(maxCache, src->cache().bytes());
    }
    std::printf("scrub: %d windows end to end        %8.1f ms  (%.1f ms a window)\n", scrub,
                step.nsecsElapsed() / 1e6, step.nsecsElapsed() / 1e6 / std::max(1, scrub));
    step.restart();
    if (exact) {
        RemoteDensity d;
        if (!src->density(from, to, bins, &d, &error)) return fail(QStringLiteral("density"), error);
        lap("exact density (server GROUP BY)");
        double worst = 0, sumErr = 0, sum = 0;
        for (int i = 0; i < d.counts.size() && i < estimate.counts.size(); ++i) {
            if (d.counts[i] > 0)
                worst =
                    std::max(worst, std::abs(double(estimate.counts[i] - d.counts[i])) / double(d.counts[i]));
            sumErr += std::abs(double(estimate.counts[i] - d.counts[i]));
            sum += double(d.counts[i]);
        }
        std::printf(
            "events counted: %lld (estimated %lld); estimate off by %.1f%% of the events over all bins, "
            "%.1f%% in the worst bin\n",
            static_cast<long long>(d.total()), static_cast<long long>(s.estimatedEvents),
            sum > 0 ? sumErr / sum * 100 : 0.0, worst * 100);
    }
    std::printf("layout: %s; positions %lld..%lld; ~%lld streams\n", qPrintable(src->describe()),
                static_cast<long long>(s.firstPosition), static_cast<long long>(s.lastPosition),
                static_cast<long long>(s.estimatedStreams));
    std::printf("open -> first paint (estimated density): %.1f ms; open -> stream list: %.1f ms\n",
                firstPaintMs, streamsMs);
    std::printf("cache: %.1f MB now, %.1f MB at most, limit %.1f MB, %d windows, %lld hits\n",
                src->cache().bytes() / 1048576.0, maxCache / 1048576.0, src->cache().limit() / 1048576.0,
                src->cache().entries(), static_cast<long long>(src->cache().hits()));
    std::printf("peak RSS of this process: %.1f MB\n", peakRssKb() / 1024.0);
    for (const IndexAdvice& a : src->advice())
        std::printf("advice: %s\n", qPrintable(a.text()));
    return 0;
}
