// Story budgets (issue 11), on the 1M-event demo store:
//   resolving and laying out any chapter <= 100 ms after the first (the first may build indexes);
//   render --pdf of a 20-chapter story <= 3 s; --html <= 3 s and <= 5 MB;
//   check of a 20-chapter story with 60 facts <= 2 s.
//
// Usage: bench_story STORE [--write-story FILE]
//   STORE: a demo store, e.g. `chronoscope-cli demo --events 1000000 -o /tmp/demo-1m.chronoscope` (never
//   committed). The 20-chapter story is built from the store (correlations, time ranges, streams, positions,
//   a watch, a continuation; KPIs from resources/projections) and can be written out to time the CLI too.
// Prints wall-clock and thread CPU time per step (the CPU time is what the budget means on a shared machine).
#include "sources/sourceregistry.h"
#include "story/storyengine.h"
#include "story/storyrender.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <cstdio>
#include <ctime>

using namespace chronoscope;
using namespace chronoscope::story;

namespace {

double cpuMs()
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Clock
{
    QElapsedTimer wall;
    double cpu0 = cpuMs();
    Clock() { wall.start(); }
    void print(const char* what, const char* budget) const
    {
        std::printf("%-44s wall %8.1f ms  cpu %8.1f ms   (budget %s)\n", what,
                    double(wall.nsecsElapsed()) / 1e6, cpuMs() - cpu0, budget);
        std::fflush(stdout);
    }
};

QString iso(TimeMs t)
{
    return formatTime(t);
}

/// A 20-chapter story with 60 facts over this store.
QByteArray buildStory(EventReader& reader, const QString& projections)
{
    const StoreInfo info = reader.info();
    // Correlations of five completed orders spread over the store; their streams for focus.streams.
    QList<Event> completed;
    const qint64 step = std::max<qint64>(1, info.lastPosition / 6);
    for (int k = 1; k <= 5; ++k) {
        EventQuery q;
        q.types = {QStringLiteral("OrderCompleted")};
        q.fromPosition = k * step;
        q.limit = 1;
        for (const Event& e : reader.readAll(q))
            completed << e;
    }
    QByteArray chapters;
    auto add = [&](const QByteArray& c) {
        if (!chapters.isEmpty()) chapters += ",\n";
        chapters += c;
    };
    int n = 0;
    for (const Event& e : completed) { // 5 correlation chapters
        const QByteArray id = e.correlationId().toUtf8();
        add("{\"id\":\"corr-" + QByteArray::number(++n) + "\",\"focus\":{\"correlation\":\"" + id +
            "\"},\"streams\":[\"order-*\",\"payment-*\",\"shipment-*\"],\"caption\":\"{count} events in "
            "{duration}\","
            "\"expect\":[{\"stream\":\"" +
            e.stream.toUtf8() +
            "\",\"pointer\":\"/status\",\"equals\":\"completed\"},"
            "{\"count\":\"OrderPaid\",\"equals\":1},{\"count\":\"PaymentCaptured\",\"atLeast\":1}]}");
    }
    for (const Event& e : completed.mid(0, 4)) { // 4 focus.streams chapters
        const QByteArray num = e.stream.mid(6).toUtf8();
        add("{\"id\":\"streams-" + QByteArray::number(++n) + "\",\"focus\":{\"streams\":[\"order-" + num +
            "\",\"payment-" + num + "\"]},\"expect\":[{\"stream\":\"order-" + num +
            "\",\"pointer\":\"/orderId\",\"equals\":\"order-" + num +
            "\"},{\"count\":\"OrderPlaced\",\"equals\":1},"
            "{\"count\":\"OrderCompleted\",\"equals\":1}]}");
    }
    for (int k = 0; k < 5; ++k) { // 5 two-minute windows of payments, with KPIs
        const TimeMs from = info.firstTime + (k + 1) * (info.lastTime - info.firstTime) / 7;
        add("{\"id\":\"window-" + QByteArray::number(++n) + "\",\"range\":{\"fromTime\":\"" +
            iso(from).toUtf8() + "\",\"toTime\":\"" + iso(from + 120000).toUtf8() +
            "\"},\"streams\":[\"payment-*\"],\"pace\":{\"mode\":\"realtime\",\"maxGap\":\"10s\"},"
            "\"kpis\":[\"revenue-v1\",\"revenue-v2\"],\"caption\":\"{count(PaymentCaptured)} payments, "
            "{kpi(revenue-v2)}\","
            "\"expect\":[{\"count\":\"PaymentRequested\",\"atLeast\":1},{\"kpi\":\"revenue-v2\",\"atLeast\":"
            "0},"
            "{\"kpi\":\"payments\",\"atLeast\":1}]}");
    }
    for (int k = 0; k < 4; ++k) { // 4 position ranges, narrowed
        const qint64 from = (k + 1) * info.lastPosition / 5;
        add("{\"id\":\"positions-" + QByteArray::number(++n) + "\",\"range\":{\"fromPosition\":" +
            QByteArray::number(from) + ",\"toPosition\":" + QByteArray::number(from + 1500) +
            "},\"streams\":[\"order-*\"],"
            "\"expect\":[{\"count\":\"OrderPlaced\",\"atLeast\":1},{\"count\":\"ItemAdded\",\"atLeast\":1},"
            "{\"count\":\"Nothing\",\"equals\":0}]}");
    }
    // A continuation of the last range, narrowed to inventory streams, then a watch.
    add("{\"id\":\"continued\",\"range\":{\"fromPosition\":" + QByteArray::number(info.lastPosition - 3000) +
        "},\"streams\":[\"inventory-*\"],\"expect\":[{\"count\":\"StockReserved\",\"atLeast\":1},"
        "{\"count\":\"StockShipped\",\"atLeast\":0},{\"count\":\"Nothing\",\"atMost\":0}]}");
    add("{\"id\":\"watch\",\"watch\":{\"projection\":\"" + projections.toUtf8() +
        "/revenue-per-day.js\",\"predicate\":\"state.payments >= 500\",\"context\":5},"
        "\"expect\":[{\"count\":\"PaymentCaptured\",\"atLeast\":1},{\"kpi\":\"payments\",\"atLeast\":500},"
        "{\"kpi\":\"payments\",\"atMost\":501}]}");
    const QByteArray kpis =
        "[{\"id\":\"revenue-v1\",\"label\":\"Revenue (v1)\",\"projection\":\"" + projections.toUtf8() +
        "/revenue-per-day.js\",\"pointer\":\"/total\",\"format\":\"money:EUR\"},"
        "{\"id\":\"revenue-v2\",\"label\":\"Revenue (v2)\",\"projection\":\"" +
        projections.toUtf8() +
        "/revenue-per-day-v2.js\",\"pointer\":\"/total\",\"format\":\"money:EUR\"},"
        "{\"id\":\"payments\",\"label\":\"Payments\",\"projection\":\"" +
        projections.toUtf8() + "/revenue-per-day.js\",\"pointer\":\"/payments\",\"format\":\"number\"}]";
    return "{\"chronostory\":1,\"title\":\"Twenty chapters of the 1M "
           "demo\",\"locale\":\"en-GB\",\"glossary\":{"
           "\"fields\":{\"/total\":{\"label\":\"Total\",\"format\":\"money:EUR\"},\"/"
           "customerId\":{\"redact\":\"hash\"}},"
           "\"hide\":[\"/**/backoffSeconds\"]},\"kpis\":" +
           kpis + ",\n\"chapters\":[\n" + chapters + "]}\n";
}

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: bench_story STORE [--write-story FILE]\n");
        return 1;
    }
    QString error;
    auto reader = openSource(args[1], {}, &error);
    if (!reader) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    const QString projections = QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/projections");
    Clock build;
    const QByteArray text = buildStory(*reader, projections);
    build.print("building the 20-chapter story (not budgeted)", "-");
    const qsizetype w = args.indexOf(QStringLiteral("--write-story"));
    if (w > 0 && w + 1 < args.size()) {
        QFile f(args[w + 1]);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(text);
    }
    Story story;
    if (!parseStory(text, QStringLiteral("/"), &story, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    int facts = 0;
    for (const Chapter& c : story.chapters)
        facts += int(c.expect.size());
    std::printf("store %s: %lld events; story: %lld chapters, %d facts\n", qPrintable(args[1]),
                static_cast<long long>(reader->info().events), static_cast<long long>(story.chapters.size()),
                facts);

    { // resolve + layout, each chapter in a fresh engine after the first (its caches would hide the cost)
        StoryEngine engine(story, *reader);
        double worst = 0;
        QString worstId;
        for (int i = 0; i < story.chapters.size(); ++i) {
            Clock c;
            if (!engine.chapter(i, &error)) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                return 2;
            }
            engine.layout(i, &error);
            const double ms = double(c.wall.nsecsElapsed()) / 1e6;
            const double cpu = cpuMs() - c.cpu0;
            std::printf("  resolve+layout %-14s %6lld beats  wall %7.1f ms  cpu %7.1f ms%s\n",
                        qPrintable(story.chapters[i].id),
                        static_cast<long long>(engine.chapter(i, &error)->beats.size()), ms, cpu,
                        i == 0 ? "  (first: builds the correlation index)" : "");
            if (i > 0 && cpu > worst) {
                worst = cpu;
                worstId = story.chapters[i].id;
            }
        }
        std::printf("%-44s cpu %8.1f ms (%s)   (budget 100 ms)\n",
                    "resolve+layout, worst chapter after the first", worst, qPrintable(worstId));
    }
    // Check three times: facts worked out ahead on threads of their own sharing one read of the store (the
    // default), on threads that each read the store, then all on this thread; all must give the same verdicts
    // and values. Process CPU (every thread) next to this thread's.
    QStringList verdicts[3];
    for (const int mode : {0, 1, 2}) {
        const bool concurrent = mode < 2;
        StoryEngine engine(story, *reader);
        engine.setConcurrentChecks(concurrent);
        engine.setSharedRead(mode == 0);
        Clock c;
        const double process0 = double(std::clock()) * 1000.0 / CLOCKS_PER_SEC;
        int held = 0, total = 0;
        for (int i = 0; i < story.chapters.size(); ++i) {
            QList<FactResult> results;
            const double before = cpuMs();
            const bool checked = engine.check(i, &results, &error);
            if (cpuMs() - before > 50)
                std::printf("  check %-14s cpu %7.1f ms\n", qPrintable(story.chapters[i].id),
                            cpuMs() - before);
            if (!checked) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                return 2;
            }
            for (const FactResult& r : results) {
                ++total;
                held += r.holds;
                verdicts[mode] << QStringLiteral("%1 %2 %3")
                                      .arg(r.fact->where)
                                      .arg(r.holds)
                                      .arg(QString::fromUtf8(QJsonDocument(QJsonArray{r.actual})
                                                                 .toJson(QJsonDocument::Compact)));
            }
        }
        c.print(qPrintable(QStringLiteral("check%1: %2 facts (%3 hold)")
                               .arg(mode == 0   ? QStringLiteral(" (threads, shared read)")
                                    : mode == 1 ? QStringLiteral(" (threads, own reads)")
                                                : QStringLiteral(" (one thread)"))
                               .arg(total)
                               .arg(held)),
                "2 s");
        std::printf("  process CPU (all threads) %.1f ms\n",
                    double(std::clock()) * 1000.0 / CLOCKS_PER_SEC - process0);
        for (const auto& [file, ms] : engine.factThreadCpuMs())
            std::printf("  fact thread %-30s cpu %7.1f ms\n", qPrintable(QFileInfo(file).fileName()), ms);
    }
    if (verdicts[0] != verdicts[2] || verdicts[1] != verdicts[2]) {
        std::fprintf(stderr, "bench_story: the shared-read, own-read and one-thread checks differ\n");
        return 3;
    }
    std::printf("  shared-read, own-read and one-thread checks agree\n");
    QTemporaryDir dir;
    {
        StoryEngine engine(story, *reader);
        Clock c;
        if (!renderPdf(engine, dir.filePath(QStringLiteral("s.pdf")), &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 2;
        }
        c.print(qPrintable(QStringLiteral("render --pdf (%1 bytes)")
                               .arg(QFileInfo(dir.filePath(QStringLiteral("s.pdf"))).size())),
                "3 s");
    }
    {
        StoryEngine engine(story, *reader);
        Clock c;
        QByteArray html;
        if (!renderHtml(engine, &html, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 2;
        }
        c.print(qPrintable(QStringLiteral("render --html (%1 bytes)").arg(html.size())), "3 s, 5 MB");
    }
    return 0;
}
