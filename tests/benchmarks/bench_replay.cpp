// Replay budgets (issue 2): state at any point of a 1M-event store, p99 <= 20 ms in process.
//
// Usage: bench_replay [STORE] [--events N] [--seeks N] [--seed S] [--wide-keys N]
//   STORE missing or not yet a file: the demo generator writes N events (default 1,000,000) into it
//   (into a temporary directory when STORE is not given); an existing STORE is opened read-only.
//
// Prints, for random stateAt seeks over random streams and point kinds:
//   cold  - a new ReplayEngine per seek (only the store's persisted checkpoints help: the CLI's case)
//   warm  - one engine for all seeks (its in-memory checkpoint cache fills as it goes: the GUI's case)
//   long  - seeks into the longest streams only, cold
// then parseJsonValue alone over the store's event data ("parse"), then a stream whose state grows to
// --wide-keys members (default 50,000): folding it and diffing two
// of its states.
#include "demo/demogenerator.h"
#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/replayengine.h"
#include "store/memoryreader.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>

using namespace chronoscope;

namespace {

struct Slow
{
    double ms;
    QString stream;
    qint64 streamEvents;
    Point point;
    qint64 folded;
};

double threadCpuMs()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double percentile(QList<double> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.at(std::min<qsizetype>(v.size() - 1, qsizetype(p * double(v.size()))));
}

struct Stats
{
    QList<double> ms;
    QList<double> cpuMs;  ///< this thread's CPU time: what the seek costs, without the waits of a busy machine
    QList<Slow> slowest;
    qint64 applied = 0;
    qint64 fromCheckpoint = 0;
    qint64 errors = 0;

    double pct(double p) const { return percentile(ms, p); }
    void print(const char* name) const
    {
        std::printf("%-6s seeks=%lld wall p50=%.3fms p99=%.3fms max=%.3fms | cpu p50=%.3fms p99=%.3fms max=%.3fms | "
                    "avg_events_folded=%.1f from_checkpoint=%lld errors=%lld\n",
                    name, static_cast<long long>(ms.size()), pct(0.5), pct(0.99), pct(1.0), percentile(cpuMs, 0.5),
                    percentile(cpuMs, 0.99), percentile(cpuMs, 1.0),
                    ms.isEmpty() ? 0.0 : double(applied) / double(ms.size()), static_cast<long long>(fromCheckpoint),
                    static_cast<long long>(errors));
        static const char* kinds[] = {"end", "version", "position", "time"};
        for (const Slow& w : slowest)
            std::printf("         slowest: %.3fms %s (%lld events) at %s %lld, folded %lld\n", w.ms, qPrintable(w.stream),
                        static_cast<long long>(w.streamEvents), kinds[w.point.kind], static_cast<long long>(w.point.value),
                        static_cast<long long>(w.folded));
    }
};

Point randomPoint(QRandomGenerator& rng, const StreamInfo& s)
{
    auto between = [&rng](qint64 lo, qint64 hi) { return hi <= lo ? lo : lo + qint64(rng.bounded(quint64(hi - lo + 1))); };
    switch (rng.bounded(4)) {
    case 0: return Point::end();
    case 1: return Point::atVersion(between(s.firstVersion, s.lastVersion));
    case 2: return Point::atPosition(between(s.firstPosition, s.lastPosition));
    default:
        if (s.firstTime == kNoTime)
            return Point::end();
        return Point::atTime(between(s.firstTime, s.lastTime));
    }
}

void seek(ReplayEngine& engine, const StreamInfo& s, const Point& p, Stats& stats, Stats* also = nullptr)
{
    if (also) {
        const qsizetype before = stats.ms.size();
        const qint64 applied = stats.applied, fromCheckpoint = stats.fromCheckpoint, errors = stats.errors;
        seek(engine, s, p, stats);
        also->ms.append(stats.ms.at(before));
        also->cpuMs.append(stats.cpuMs.at(before));
        also->applied += stats.applied - applied;
        also->fromCheckpoint += stats.fromCheckpoint - fromCheckpoint;
        also->errors += stats.errors - errors;
        return;
    }
    QElapsedTimer t;
    const double cpu0 = threadCpuMs();
    t.start();
    const StateResult r = engine.stateAt(s.stream, p);
    const double ms = t.nsecsElapsed() / 1e6;
    stats.cpuMs.append(threadCpuMs() - cpu0);
    stats.ms.append(ms);
    stats.slowest.append(Slow{ms, s.stream, s.events, p, r.eventsApplied});
    std::sort(stats.slowest.begin(), stats.slowest.end(), [](const Slow& a, const Slow& b) { return a.ms > b.ms; });
    if (stats.slowest.size() > 3)
        stats.slowest.resize(3);
    stats.applied += r.eventsApplied;
    stats.fromCheckpoint += r.fromCheckpoint ? 1 : 0;
    stats.errors += r.ok() ? 0 : 1;
}

bool generateStore(const QString& path, qint64 events)
{
    QString err;
    QElapsedTimer t;
    t.start();
    auto writer = StoreWriter::create(path, StoreWriter::Options{}, &err);
    if (!writer) {
        std::fprintf(stderr, "cannot create %s: %s\n", qPrintable(path), qPrintable(err));
        return false;
    }
    DemoOptions o;
    o.events = events;
    bool ok = generateDemoEvents(o, [&](const Event& e) { return writer->append(e, &err); });
    ok = ok && writer->finish(&err);
    if (!ok) {
        std::fprintf(stderr, "writing %s: %s\n", qPrintable(path), qPrintable(err));
        return false;
    }
    std::printf("generated %lld demo events into %s in %.1fs\n", static_cast<long long>(events), qPrintable(path),
                t.nsecsElapsed() / 1e9);
    return true;
}

// The store without its persisted checkpoints: what a reader of a foreign layout looks like to the
// engine, so that only the in-memory checkpoint cache bounds the seeks.
class NoCheckpoints : public EventReader
{
public:
    explicit NoCheckpoints(EventReader& inner) : m_inner(inner) {}
    StoreInfo info() override { return m_inner.info(); }
    QList<StreamInfo> streams() override { return m_inner.streams(); }
    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override { return m_inner.read(q, sink, error); }
    qint64 count(const EventQuery& q, QString* error) override { return m_inner.count(q, error); }
    std::unique_ptr<EventReader> clone(QString* error) override { return m_inner.clone(error); }

private:
    EventReader& m_inner;
};

// parseJsonValue alone over the store's event data (up to 200,000 events, best of 5 runs of thread
// CPU time): the cost of reading numbers as written (docs/replay.md, "Numbers") is in this figure.
void parseCost(EventReader& reader)
{
    QList<QByteArray> data;
    qint64 bytes = 0;
    reader.read(EventQuery{}, [&](const Event& e) {
        data.append(e.data);
        bytes += e.data.size();
        return data.size() < 200000;
    });
    if (data.isEmpty())
        return;
    double best = 1e300;
    qint64 objects = 0;
    for (int run = 0; run < 5; ++run) {
        const double t0 = threadCpuMs();
        for (const QByteArray& d : data)
            objects += parseJsonValue(d).isObject() ? 1 : 0;
        best = std::min(best, threadCpuMs() - t0);
    }
    std::printf("parse  events=%lld avg_bytes=%.0f cpu=%.3fus/event (best of 5; %lld objects)\n",
                static_cast<long long>(data.size()), double(bytes) / double(data.size()),
                best * 1000.0 / double(data.size()), static_cast<long long>(objects / 5));
}

void wideState(int keys)
{
    // One stream: events add 100 members each until the state has `keys`, then 512 events change a few.
    QList<Event> events;
    qint64 v = 0;
    for (int k = 0; k < keys; k += 100) {
        QJsonObject patch;
        for (int i = k; i < std::min(keys, k + 100); ++i)
            patch.insert(QStringLiteral("member%1").arg(i), QJsonObject{{QStringLiteral("n"), i}, {QStringLiteral("s"), QStringLiteral("x")}});
        Event e;
        e.stream = QStringLiteral("wide-1");
        e.version = v++;
        e.data = toJsonText(patch);
        events << e;
    }
    const qint64 built = v;
    for (int i = 0; i < 512; ++i) {
        Event e;
        e.stream = QStringLiteral("wide-1");
        e.version = v++;
        e.data = QStringLiteral(R"({"member%1":{"n":-1},"extra%2":true})").arg((i * 7919) % keys).arg(i).toUtf8();
        events << e;
    }
    MemoryReader reader(events);
    ReplayEngine engine(reader);
    QElapsedTimer t;
    t.start();
    const StateResult full = engine.stateAt(QStringLiteral("wide-1"), Point::end());
    const double foldMs = t.nsecsElapsed() / 1e6;
    t.restart();
    const StateResult mid = engine.stateAt(QStringLiteral("wide-1"), Point::atVersion(built + 200));
    const double seekMs = t.nsecsElapsed() / 1e6;
    t.restart();
    const QJsonArray patch = diffJson(mid.state, full.state);
    const double diffMs = t.nsecsElapsed() / 1e6;
    // Two independently parsed states (no shared structure to short-cut on): the worst case.
    const QJsonValue a = parseJsonValue(toJsonText(mid.state));
    const QJsonValue b = parseJsonValue(toJsonText(full.state));
    t.restart();
    const QJsonArray patch2 = diffJson(a, b);
    const double diffParsedMs = t.nsecsElapsed() / 1e6;
    QJsonValue applied = a;
    t.restart();
    const bool ok = applyJsonPatch(applied, patch2) && applied == b;
    const double applyMs = t.nsecsElapsed() / 1e6;
    std::printf("wide   members=%lld events=%lld fold_all=%.1fms seek_from_checkpoint=%.1fms (folded %lld) "
                "diff=%.1fms diff_unshared=%.1fms ops=%lld apply=%.1fms roundtrip=%s\n",
                static_cast<long long>(full.state.toObject().size()), static_cast<long long>(v), foldMs, seekMs,
                static_cast<long long>(mid.eventsApplied), diffMs, diffParsedMs, static_cast<long long>(patch.size()),
                applyMs, ok ? "ok" : "FAILED");
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QString storePath;
    qint64 events = 1000000;
    int seeks = 2000;
    quint32 seed = 1;
    int wideKeys = 50000;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args.at(i);
        auto next = [&]() { return i + 1 < args.size() ? args.at(++i) : QString(); };
        if (a == QLatin1String("--events"))
            events = next().toLongLong();
        else if (a == QLatin1String("--seeks"))
            seeks = next().toInt();
        else if (a == QLatin1String("--seed"))
            seed = next().toUInt();
        else if (a == QLatin1String("--wide-keys"))
            wideKeys = next().toInt();
        else if (a.startsWith(QLatin1String("--"))) {
            std::fprintf(stderr, "usage: bench_replay [STORE] [--events N] [--seeks N] [--seed S] [--wide-keys N]\n");
            return 1;
        } else
            storePath = a;
    }
    QTemporaryDir tmp;
    if (storePath.isEmpty())
        storePath = tmp.filePath(QStringLiteral("bench.chronoscope"));
    if (!QFileInfo::exists(storePath) && !generateStore(storePath, events))
        return 2;

    QString err;
    auto reader = SqliteStoreReader::open(storePath, &err);
    if (!reader) {
        std::fprintf(stderr, "%s\n", qPrintable(err));
        return 2;
    }
    const StoreInfo info = reader->info();
    QList<StreamInfo> streams = reader->streams();
    if (streams.isEmpty()) {
        std::fprintf(stderr, "%s has no streams\n", qPrintable(storePath));
        return 2;
    }
    std::sort(streams.begin(), streams.end(), [](const StreamInfo& a, const StreamInfo& b) { return a.events > b.events; });
    std::printf("store %s: %lld events, %lld streams, longest stream %s with %lld events\n", qPrintable(storePath),
                static_cast<long long>(info.events), static_cast<long long>(streams.size()),
                qPrintable(streams.first().stream), static_cast<long long>(streams.first().events));

    parseCost(*reader);

    QRandomGenerator rng(seed);
    Stats cold, warm, longest;
    Stats longByKind[4];
    for (int i = 0; i < seeks; ++i) {
        const StreamInfo& s = streams.at(rng.bounded(int(streams.size())));
        const Point p = randomPoint(rng, s);
        ReplayEngine engine(*reader);
        seek(engine, s, p, cold);
    }
    ReplayEngine shared(*reader);
    for (int i = 0; i < seeks; ++i) {
        const StreamInfo& s = streams.at(rng.bounded(int(streams.size())));
        seek(shared, s, randomPoint(rng, s), warm);
    }
    const int top = std::min<int>(20, int(streams.size()));
    for (int i = 0; i < std::min(seeks, 500); ++i) {
        const StreamInfo& s = streams.at(rng.bounded(top));
        ReplayEngine engine(*reader);
        const Point p = randomPoint(rng, s);
        seek(engine, s, p, longest, &longByKind[p.kind]);
    }
    // Long streams on a reader without persisted checkpoints, one engine: the first seek into a
    // stream folds it whole, later ones at most one 256-version block.
    NoCheckpoints bare(*reader);
    ReplayEngine lruOnly(bare);
    Stats lruFirst, lruLater;
    QSet<QString> seen;
    for (int i = 0; i < std::min(seeks, 500); ++i) {
        const StreamInfo& s = streams.at(rng.bounded(top));
        const bool first = !seen.contains(s.stream);
        seen.insert(s.stream);
        seek(lruOnly, s, randomPoint(rng, s), first ? lruFirst : lruLater);
    }
    cold.print("cold");
    warm.print("warm");
    longest.print("long");
    longByKind[Point::End].print(" end");
    longByKind[Point::Version].print(" ver");
    longByKind[Point::Position].print(" pos");
    longByKind[Point::Time].print(" time");
    lruFirst.print("nocp1");
    lruLater.print("nocp");
    std::printf("no-checkpoint engine cache: %lld checkpoints, ~%lld KB\n", static_cast<long long>(lruOnly.cachedCheckpoints()),
                static_cast<long long>(lruOnly.cachedBytes() / 1024));
    std::printf("warm engine cache: %lld checkpoints, ~%lld KB\n", static_cast<long long>(shared.cachedCheckpoints()),
                static_cast<long long>(shared.cachedBytes() / 1024));
    // Blame every top-level member of the longest streams' final states, with a fresh engine (store
    // checkpoints only) and with one warm engine.
    {
        QList<double> coldMs, warmMs;
        qint64 found = 0;
        ReplayEngine warmEngine(*reader);
        for (int i = 0; i < std::min(top, 5); ++i) {
            const QString stream = streams.at(i).stream;
            const StateResult end = warmEngine.stateAt(stream, Point::end());
            for (const QString& key : end.state.toObject().keys()) {
                const QString pointer = makeJsonPointer({key});
                QElapsedTimer t;
                t.start();
                ReplayEngine fresh(*reader);
                const BlameResult a = fresh.blame(stream, pointer, Point::end());
                coldMs.append(t.nsecsElapsed() / 1e6);
                t.restart();
                const BlameResult b = warmEngine.blame(stream, pointer, Point::end());
                warmMs.append(t.nsecsElapsed() / 1e6);
                found += (a.ok() && b.ok() && a.event->position == b.event->position) ? 1 : 0;
            }
        }
        std::printf("blame  pointers=%lld agree=%lld cold p50=%.3fms p99=%.3fms max=%.3fms | warm p50=%.3fms p99=%.3fms max=%.3fms\n",
                    static_cast<long long>(coldMs.size()), static_cast<long long>(found), percentile(coldMs, 0.5),
                    percentile(coldMs, 0.99), percentile(coldMs, 1.0), percentile(warmMs, 0.5), percentile(warmMs, 0.99),
                    percentile(warmMs, 1.0));
    }
    if (wideKeys > 0)
        wideState(wideKeys);
    return cold.errors + warm.errors + longest.errors ? 3 : 0;
}
