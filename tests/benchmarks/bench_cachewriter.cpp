// The remote cache's writer alone: what fetchRemote's cache-writer thread does for a live cache (an empty
// finished store, openForAppend without syncs, indexes suspended, events appended page by page of 5000, a commit
// after the page that reaches --commit-every events (default 16,000: fetchRemote commits every 200 ms, 16,000
// events at 80k events/s), the indexes built at the end, finish()), with
// events shaped like the KurrentDB bulk server's (tests/benchmarks/kurrentgrpc_bulkserver.cpp: 1000 streams,
// two types, one event a millisecond, ~100 B of data, ~90 B of metadata). No network, no client: the figure
// is the writer's own cost per event (docs/remote.md "Budgets"), split into append() and commit().
//   bench_cachewriter [--events N] [--streams S] [--types T] [--commit-every N]
// Prints one JSON line.

#include "store/eventreader.h"
#include "store/storewriter.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cstdio>
#include <ctime>

using namespace chronoscope;

namespace {

double threadCpu()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    auto opt = [&](const char* name, qint64 def) {
        const qsizetype i = args.indexOf(QLatin1String(name));
        return i > 0 && i + 1 < args.size() ? args[i + 1].toLongLong() : def;
    };
    const qint64 n = opt("--events", 1000000);
    const qint64 streams = std::max<qint64>(1, opt("--streams", 1000));
    const qint64 types = std::max<qint64>(1, opt("--types", 2));
    const qint64 commitEvery = std::max<qint64>(1, opt("--commit-every", 16000));
    constexpr int kPage = 5000;  // RemoteFetchOptions::pageSize

    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("cache.chronoscope"));
    QString err;
    {
        StoreWriter::Options o;
        o.bulk = false;
        auto w = StoreWriter::create(path, o, &err);
        if (!w || !w->finish(&err)) {
            std::fprintf(stderr, "%s\n", qPrintable(err));
            return 2;
        }
    }
    // The page the reader would hand over, built before the clock starts (the reader's cost is not measured).
    constexpr qint64 kBaseMs = 1767607200000LL;
    QList<QString> streamNames, typeNames;
    for (qint64 s = 0; s < streams; ++s)
        streamNames << QStringLiteral("order-%1").arg(s);
    for (qint64 t = 0; t < types; ++t)
        typeNames << (t == 0 ? QStringLiteral("OrderPlaced") : t == 1 ? QStringLiteral("OrderPaid") : QStringLiteral("Type%1").arg(t));
    auto eventAt = [&](qint64 i) {
        Event e;
        e.position = 1000 + i * 160 + 1;
        e.stream = streamNames[int(i % streams)];
        e.version = i / streams;
        e.type = typeNames[int(i % types)];
        e.time = kBaseMs + i;
        e.id = QStringLiteral("00000000-0000-4000-8000-%1").arg(i, 12, 16, QLatin1Char('0'));
        e.data = "{\"i\":" + QByteArray::number(i) + ",\"amount\":" + QByteArray::number(double(i % 997) / 100) + "}";
        e.metadata = "{\"kurrentdb\":{\"commitPosition\":" + QByteArray::number(1000 + i * 160) +
                     ",\"preparePosition\":" + QByteArray::number(1000 + i * 160) +
                     ",\"contentType\":\"application/json\"}}";
        return e;
    };

    QElapsedTimer wall;
    wall.start();
    double cpu0 = threadCpu();
    auto w = StoreWriter::openForAppend(path, &err, /*durable=*/false);
    if (!w || !w->suspendIndexes(&err)) {
        std::fprintf(stderr, "%s\n", qPrintable(err));
        return 2;
    }
    const double openCpu = threadCpu() - cpu0;
    double appendCpu = 0, commitCpu = 0;
    qint64 commits = 0, sinceCommit = 0;
    QElapsedTimer sinceCommitTimer;
    sinceCommitTimer.start();
    QList<Event> page;
    for (qint64 i = 0; i < n; i += kPage) {
        page.clear();
        for (qint64 j = i; j < std::min(n, i + kPage); ++j)
            page.append(eventAt(j));
        const double a = threadCpu();
        for (const Event& e : page)
            if (!w->append(e, &err)) {
                std::fprintf(stderr, "%s\n", qPrintable(err));
                return 2;
            }
        const double b = threadCpu();
        appendCpu += b - a;
        sinceCommit += page.size();
        if (commits == 0 || sinceCommit >= commitEvery) {
            if (!w->commit(&err)) {
                std::fprintf(stderr, "%s\n", qPrintable(err));
                return 2;
            }
            commitCpu += threadCpu() - b;
            ++commits;
            sinceCommit = 0;
        }
    }
    const double c0 = threadCpu();
    if (!w->commit(&err)) {
        std::fprintf(stderr, "%s\n", qPrintable(err));
        return 2;
    }
    commitCpu += threadCpu() - c0;
    ++commits;
    const double readCpu = openCpu + appendCpu + commitCpu;
    const double i0 = threadCpu();
    if (!w->buildIndexes(&err) || !w->finish(&err)) {
        std::fprintf(stderr, "%s\n", qPrintable(err));
        return 2;
    }
    const double finishCpu = threadCpu() - i0;
    const double seconds = wall.nsecsElapsed() / 1e9;
    std::printf("{\"events\":%lld,\"streams\":%lld,\"types\":%lld,\"commits\":%lld,\"appendUsPerEvent\":%.3f,"
                "\"commitUsPerEvent\":%.3f,\"writerUsPerEvent\":%.3f,\"indexesAndFinishSeconds\":%.2f,"
                "\"wallSeconds\":%.2f}\n",
                static_cast<long long>(n), static_cast<long long>(streams), static_cast<long long>(types),
                static_cast<long long>(commits), appendCpu * 1e6 / double(n), commitCpu * 1e6 / double(n),
                readCpu * 1e6 / double(n), finishCpu, seconds);
    return 0;
}
