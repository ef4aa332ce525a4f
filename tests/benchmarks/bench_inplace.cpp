// In-place budget for native stores (issue 13, docs/scale.md "In place: native stores"): opens a .chronoscope
// store in place (core/sources/nativeinplace.h) and times what the in-place view asks, in its order:
//   open -> summary -> first density (estimated, then exact) -> the 40 visible lanes' ticks
//   -> the cursor's stream events (p50/p99 over random cursors) -> a later open (density from the cache)
// and this process's peak RSS.
//   bench_inplace --store PATH [--bins 1600] [--cursors 200] [--lanes 40] [--fresh] [--cache-dir DIR]
// --fresh removes this store's density cache first (a first open ever); without it a cache left by an earlier
// run is used.
//   bench_inplace --store PATH --tree      the category tree only (issue 13 item 3): open -> first page of
//                                          categories, every category, the counts of the first 20, a first page
//                                          of streams of each of them, and the peak RSS

#include "sources/nativeinplace.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QStringList>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

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

double ms(const QElapsedTimer& t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

/// The category tree's calls in the order the in-place window makes them (issue 13 item 3).
int benchTree(NativeInPlaceSource& src, const QElapsedTimer& total)
{
    QString error;
    QElapsedTimer t;
    t.start();
    QList<RemoteCategory> first;
    if (!src.categories(QString(), 200, &first, &error)) return fail(QStringLiteral("categories"), error);
    std::printf("open -> first page of categories (%d): %.1f ms since the process started, the page %.1f ms\n",
                int(first.size()), ms(total), ms(t));
    t.restart();
    qint64 all = 0;
    QString after;
    for (;;) {
        QList<RemoteCategory> page;
        if (!src.categories(after, 1000, &page, &error)) return fail(QStringLiteral("categories"), error);
        all += page.size();
        if (page.size() < 1000) break;
        after = page.last().name;
    }
    std::printf("every category (%lld), pages of 1000: %.1f ms\n", (long long)all, ms(t));
    double worst = 0, sum = 0;
    qint64 streams = 0;
    for (int i = 0; i < std::min<qsizetype>(20, first.size()); ++i) {
        t.restart();
        RemoteCategory c;
        if (!src.categoryCounts(first[i].name, &c, &error)) return fail(QStringLiteral("counts"), error);
        const double took = ms(t);
        worst = std::max(worst, took);
        sum += took;
        streams += c.streams;
        t.restart();
        QList<RemoteStreamCount> page;
        if (!src.categoryStreams(first[i].name, QString(), 200, &page, &error))
            return fail(QStringLiteral("category streams"), error);
        std::printf("  %s: %lld streams, %lld events (counted in %.1f ms); first 200 streams %.1f ms\n",
                    qPrintable(first[i].name), (long long)c.streams, (long long)c.events, took, ms(t));
    }
    std::printf("counts of the first %d categories: %.1f ms in all, the slowest %.1f ms (%lld streams)\n",
                int(std::min<qsizetype>(20, first.size())), sum, worst, (long long)streams);
    std::printf("peak RSS: %.1f MB; whole bench %.1f s\n", double(peakRssKb()) / 1024.0, ms(total) / 1000.0);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const QStringList args = app.arguments().mid(1);
    QString store, cacheDir;
    int bins = 1600, cursors = 200, lanes = 40;
    bool treeOnly = false;
    bool fresh = false, dropCaches = false;
    QString lanesFrom;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == u"--store")
            store = args.value(++i);
        else if (args[i] == u"--bins")
            bins = args.value(++i).toInt();
        else if (args[i] == u"--cursors")
            cursors = args.value(++i).toInt();
        else if (args[i] == u"--lanes")
            lanes = args.value(++i).toInt();
        else if (args[i] == u"--cache-dir")
            cacheDir = args.value(++i);
        else if (args[i] == u"--fresh")
            fresh = true;
        else if (args[i] == u"--tree")
            treeOnly = true;
        else if (args[i] == u"--lanes-from")
            lanesFrom = args.value(++i);
        else if (args[i] == u"--drop-caches")
            dropCaches = true;
    }
    if (store.isEmpty()) {
        std::fprintf(stderr,
                     "usage: bench_inplace --store PATH [--bins 1600] [--cursors 200] [--lanes 40] [--fresh] "
                     "[--cache-dir DIR]\n");
        return 2;
    }
    QString error;
    QElapsedTimer total;
    total.start();
    QElapsedTimer t;
    t.start();
    auto src = std::make_unique<NativeInPlaceSource>(store, RemoteFirstOptions{}, cacheDir);
    if (fresh) QFile::remove(src->cacheFile());
    if (!src->open(&error)) return fail(QStringLiteral("open"), error);
    std::printf("open: %.1f ms (fine bins: %s)\n", ms(t),
                qPrintable(src->finesSource().isEmpty() ? QStringLiteral("none") : src->finesSource()));
    for (const QString& n : src->notes())
        std::printf("  note: %s\n", qPrintable(n));
    for (const IndexAdvice& a : src->advice())
        std::printf("  advice: %s\n", qPrintable(a.text()));
    if (treeOnly) return benchTree(*src, total);
    t.restart();
    RemoteSummary s;
    if (!src->summary(&s, &error)) return fail(QStringLiteral("summary"), error);
    const bool time = s.axis == RemoteAxis::Time;
    const qint64 lo = time ? s.firstTime : s.firstPosition, hi = time ? s.lastTime : s.lastPosition;
    std::printf("summary: %.1f ms (positions %lld..%lld, %s %lld events, %lld streams)\n", ms(t),
                (long long)s.firstPosition, (long long)s.lastPosition, s.eventsExact ? "exactly" : "about",
                (long long)s.estimatedEvents, (long long)s.estimatedStreams);
    t.restart();
    RemoteDensity est;
    if (src->estimatedDensity(lo, hi, bins, &est, &error))
        std::printf("estimated density (%d bins): %.1f ms (total %lld, estimated %d)\n", bins, ms(t),
                    (long long)est.total(), int(est.estimated));
    else
        std::printf("estimated density: none (%s)\n", qPrintable(error));
    const double firstPaint = ms(total);
    t.restart();
    RemoteDensity d;
    if (!src->density(lo, hi, bins, &d, &error)) return fail(QStringLiteral("density"), error);
    std::printf("exact density (%d bins): %.1f ms (total %lld, fine bins from %s)\n", bins, ms(t),
                (long long)d.total(), qPrintable(src->finesSource()));
    std::printf("open -> first density shown: %.1f ms (estimate when there is one, else exact: %.1f ms)\n",
                firstPaint, ms(total));
    if (!lanesFrom.isEmpty()) {
        // The lanes of the 28 streams after a name (e.g. the long inventory-SKU-* streams of the demo) at five
        // zooms around the middle, each way lanesTicks reads (Auto picks one), each after dropping the OS page
        // cache when --drop-caches is given (root): the cold case.
        QList<RemoteStreamCount> page;
        if (!src->streams(lanesFrom, 28, &page, &error)) return fail(QStringLiteral("streams"), error);
        QStringList names;
        for (const RemoteStreamCount& c : std::as_const(page))
            names << c.stream;
        using S = NativeInPlaceSource::LaneStrategy;
        for (int zoom : {1, 10, 100, 1000, 10000}) {
            const qint64 half = (hi - lo) / zoom / 2, mid = lo + (hi - lo) / 2;
            const qint64 a = zoom == 1 ? lo : mid - half, b = zoom == 1 ? hi : mid + half;
            for (S strategy : {S::Auto, S::PerLane, S::Scan}) {
                if (strategy == S::Scan && (b - a) > (hi - lo) / 50) continue; // a pass over most of the store
                if (dropCaches) {
                    std::system("sync");
                    QFile drop(QStringLiteral("/proc/sys/vm/drop_caches"));
                    if (!drop.open(QIODevice::WriteOnly) || drop.write("3\n") != 2)
                        return fail(QStringLiteral("drop caches"), drop.errorString());
                }
                auto fresh = std::make_unique<NativeInPlaceSource>(store, RemoteFirstOptions{}, cacheDir);
                if (!fresh->open(&error)) return fail(QStringLiteral("open"), error);
                fresh->setLaneStrategy(strategy);
                QList<RemoteLaneTicks> lanes;
                QElapsedTimer c;
                c.start();
                if (!fresh->lanesTicks(names, a, b, 2 * 1378, &lanes, &error))
                    return fail(QStringLiteral("lanesTicks"), error);
                qint64 n = 0;
                for (const RemoteLaneTicks& l : std::as_const(lanes))
                    n += l.ticks.size();
                const char* how = fresh->lastLaneStrategy() == S::Scan ? "scan" : "per lane";
                std::printf("lanes from %s, zoom 1/%-5d %-8s%s: %8.1f ms (%lld ticks)\n", qPrintable(lanesFrom), zoom,
                            strategy == S::Auto ? "auto ->" : "", how, double(c.nsecsElapsed()) / 1e6,
                            (long long)n);
            }
        }
        return 0;
    }
    // A zoomed window: a tenth of the range in the middle.
    t.restart();
    RemoteDensity z;
    if (!src->density(lo + (hi - lo) * 45 / 100, lo + (hi - lo) * 55 / 100, bins, &z, &error))
        return fail(QStringLiteral("window density"), error);
    std::printf("window density (a tenth, %d bins): %.1f ms (total %lld)\n", bins, ms(t),
                (long long)z.total());

    t.restart();
    QList<RemoteStreamCount> page;
    if (!src->streams(QString(), lanes, &page, &error)) return fail(QStringLiteral("streams"), error);
    std::printf("first %d streams: %.1f ms\n", int(page.size()), ms(t));
    t.restart();
    qint64 ticks = 0;
    for (const RemoteStreamCount& c : std::as_const(page)) {
        QList<RemoteTick> lane;
        bool truncated = false;
        if (!src->laneTicks(c.stream, lo, hi, 5000, &lane, &truncated, &error))
            return fail(QStringLiteral("laneTicks"), error);
        ticks += lane.size();
    }
    std::printf("%d lanes' ticks: %.1f ms (%lld ticks)\n", int(page.size()), ms(t), (long long)ticks);
    t.restart();
    QList<RemoteStreamCount> found;
    if (!src->searchStreams(QStringLiteral("zz-none"), QString(), 100, &found, &error))
        return fail(QStringLiteral("searchStreams"), error);
    std::printf("search for a text no stream has (every name read): %.1f ms\n", ms(t));

    // The cursor: a random position; its stream's events up to it (what the state at the cursor needs).
    // Twice over the same cursors: the first visit reads the store's pages from disk (or the OS cache), the
    // second finds them in SQLite's page cache and the LRU.
    for (int pass = 0; pass < 2; ++pass) {
        std::vector<double> cursorMs;
        QRandomGenerator rng(42);
        qint64 events = 0;
        for (int i = 0; i < cursors && s.lastPosition > 0; ++i) {
            const qint64 pos =
                s.firstPosition + qint64(rng.bounded(quint64(s.lastPosition - s.firstPosition + 1)));
            QElapsedTimer c;
            c.start();
            QList<Event> near;
            if (!src->around(pos, 1, 0, &near, &error)) return fail(QStringLiteral("around"), error);
            if (near.isEmpty()) continue;
            QList<Event> state;
            bool truncated = false;
            if (!src->streamEvents(near.first().stream, pos, 1000, &state, &truncated, &error))
                return fail(QStringLiteral("streamEvents"), error);
            events += state.size();
            cursorMs.push_back(ms(c));
        }
        std::printf("cursor -> its stream's events (%s, %d cursors, %lld events): p50 %.2f ms, p99 %.2f ms, "
                    "max %.2f ms\n",
                    pass == 0 ? "first visit" : "again", int(cursorMs.size()), (long long)events,
                    percentile(cursorMs, 0.5), percentile(cursorMs, 0.99), percentile(cursorMs, 1.0));
    }
    src.reset();

    t.restart();
    NativeInPlaceSource again(store, RemoteFirstOptions{}, cacheDir);
    RemoteSummary s2;
    RemoteDensity d2;
    if (!again.open(&error) || !again.summary(&s2, &error) || !again.density(lo, hi, bins, &d2, &error))
        return fail(QStringLiteral("later open"), error);
    std::printf("later open -> exact density: %.1f ms (fine bins from %s, same counts: %s)\n", ms(t),
                qPrintable(again.finesSource()), d2.counts == d.counts ? "yes" : "NO");
    std::printf("peak RSS: %.1f MB; whole bench %.1f s\n", double(peakRssKb()) / 1024.0, ms(total) / 1000.0);
    return d2.counts == d.counts ? 0 : 1;
}
