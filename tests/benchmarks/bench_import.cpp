// Import throughput: NDJSON -> native store, end to end (read, parse, map, insert, indexes,
// summaries, checkpoints, rename).
//
//   build/release/tests/benchmarks/bench_import                 # generates ~1M events (~340 B each) in a temp dir
//   build/release/tests/benchmarks/bench_import --events 200000
//   build/release/tests/benchmarks/bench_import --gzip          # the same file gzip-compressed
//   build/release/tests/benchmarks/bench_import FILE.ndjson     # imports an existing file
//   build/release/tests/benchmarks/bench_import -o STORE        # keeps the store (overwrites STORE)
//   build/release/tests/benchmarks/bench_import --write FILE    # generates into FILE (kept), then imports it
//   build/release/tests/benchmarks/bench_import --parsers [FILE] # only compares JSON parsers on the lines (no store)
//
// Prints one JSON object: bytes, events, seconds, MB/s, events/s (budget: >= 50 MB/s on 1M events).
#include "import/importer.h"
#include "json/jsonscan.h"
#include "store/sqlitestore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <QProcess>

#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

#include <sys/resource.h>

using namespace chronoscope;

namespace {

double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Deterministic, believable events of about 340 bytes: orders, payments and a few long inventory streams.
bool generate(const QString& path, qint64 events, bool gzip)
{
    const QString plain = gzip ? path.chopped(3) : path;
    QFile f(plain);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    static const char* types[] = {"OrderPlaced", "PaymentAuthorized", "ItemReserved", "OrderShipped", "PaymentFailed", "OrderCancelled"};
    QHash<qint64, qint64> versions;
    quint64 seed = 42;
    auto rnd = [&seed]() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        return seed;
    };
    QByteArray chunk;
    chunk.reserve(8 << 20);
    const qint64 t0 = 1767607200000;
    for (qint64 i = 0; i < events; ++i) {
        const bool inventory = rnd() % 20 == 0;
        const qint64 streamNo = inventory ? qint64(rnd() % 20) : qint64(rnd() % 50000);
        const qint64 key = inventory ? -1 - streamNo : streamNo;
        const qint64 version = versions[key]++;
        const char* type = types[rnd() % 6];
        const QString time = formatTime(t0 + i * 250 + qint64(rnd() % 200));
        char line[1024];
        const int n = std::snprintf(
            line, sizeof line,
            "{\"stream\":\"%s-%lld\",\"version\":%lld,\"type\":\"%s\",\"time\":\"%s\",\"id\":\"%08llx-%04llx-4%03llx-a%03llx-%012llx\","
            "\"data\":{\"orderId\":\"order-%lld\",\"amount\":%lld.%02lld,\"currency\":\"EUR\",\"sku\":\"SKU-%05lld\",\"quantity\":%lld,"
            "\"status\":\"%s\"},\"metadata\":{\"correlationId\":\"corr-%lld\",\"causationId\":\"cause-%lld\",\"user\":\"u%lld\"}}\n",
            inventory ? "inventory" : "order", static_cast<long long>(streamNo), static_cast<long long>(version), type,
            time.toLatin1().constData(), static_cast<unsigned long long>(rnd() & 0xffffffff),
            static_cast<unsigned long long>(rnd() & 0xffff), static_cast<unsigned long long>(rnd() & 0xfff),
            static_cast<unsigned long long>(rnd() & 0xfff), static_cast<unsigned long long>(rnd() & 0xffffffffffffULL),
            static_cast<long long>(streamNo), static_cast<long long>(rnd() % 100000), static_cast<long long>(rnd() % 100),
            static_cast<long long>(rnd() % 99999), static_cast<long long>(1 + rnd() % 9), type,
            static_cast<long long>(i / 7), static_cast<long long>(i), static_cast<long long>(rnd() % 5000));
        chunk.append(line, n);
        if (chunk.size() > (7 << 20) || i + 1 == events) {
            f.write(chunk);
            chunk.clear();
        }
    }
    f.close();
    // The benchmark links only the core library, so compression is left to the gzip tool.
    return !gzip || QProcess::execute(QStringLiteral("gzip"), {QStringLiteral("-1"), QStringLiteral("-f"), plain}) == 0;
}

// Parses every line of the file with each parser (the file is read into memory first, so only parsing
// is timed): the numbers behind the importer's choice of a scanner over a tree parser.
int compareParsers(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return 2;
    const QByteArray all = f.readAll();
    QList<QByteArrayView> lines;
    for (qsizetype at = 0; at < all.size();) {
        qsizetype nl = all.indexOf('\n', at);
        if (nl < 0)
            nl = all.size();
        if (nl > at)
            lines << QByteArrayView(all.constData() + at, nl - at);
        at = nl + 1;
    }
    auto run = [&](const char* name, const std::function<bool(QByteArrayView)>& parse) {
        QElapsedTimer t;
        t.start();
        qint64 ok = 0;
        for (const QByteArrayView& l : lines)
            ok += parse(l) ? 1 : 0;
        const double s = double(t.nsecsElapsed()) / 1e9;
        std::printf("{\"parser\":\"%s\",\"lines\":%lld,\"valid\":%lld,\"seconds\":%.3f,\"MBps\":%.1f}\n", name,
                    static_cast<long long>(lines.size()), static_cast<long long>(ok), s, double(all.size()) / 1e6 / s);
    };
    std::vector<jsonscan::Member> members;
    run("chronoscope jsonscan (validate + member spans)", [&](QByteArrayView l) {
        bool isObject = false;
        return jsonscan::scanTopValue(l.data(), l.data() + l.size(), members, &isObject).status == jsonscan::Status::Complete;
    });
    run("QJsonDocument::fromJson (tree)", [](QByteArrayView l) {
        QJsonParseError e;
        QJsonDocument::fromJson(l.toByteArray(), &e);
        return e.error == QJsonParseError::NoError;
    });
    run("nlohmann::json::parse (tree)", [](QByteArrayView l) {
        const auto j = nlohmann::json::parse(l.begin(), l.end(), nullptr, false);
        return !j.is_discarded();
    });
    run("nlohmann::json::accept (validate only)", [](QByteArrayView l) { return nlohmann::json::accept(l.begin(), l.end()); });
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    qint64 events = 1000000;
    bool gzip = false;
    QString input;
    QString keep;
    QString generateTo;
    bool parsers = false;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--events") && i + 1 < args.size())
            events = args[++i].toLongLong();
        else if (args[i] == QLatin1String("-o") && i + 1 < args.size())
            keep = args[++i];
        else if (args[i] == QLatin1String("--write") && i + 1 < args.size())
            generateTo = args[++i];
        else if (args[i] == QLatin1String("--parsers"))
            parsers = true;
        else if (args[i] == QLatin1String("--gzip"))
            gzip = true;
        else
            input = args[i];
    }
    QTemporaryDir dir;
    if (input.isEmpty()) {
        input = !generateTo.isEmpty() ? generateTo : dir.filePath(gzip ? "bench.ndjson.gz" : "bench.ndjson");
        QElapsedTimer g;
        g.start();
        if (!generate(input, events, gzip)) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(input));
            return 2;
        }
        std::fprintf(stderr, "generated %lld events, %.1f MB in %.1f s\n", static_cast<long long>(events),
                     double(QFileInfo(input).size()) / 1e6, double(g.elapsed()) / 1000.0);
    }
    if (parsers)
        return compareParsers(input);
    const QString store = keep.isEmpty() ? dir.filePath("bench.chronoscope") : keep;
    ImportSummary summary;
    QString error;
    QElapsedTimer timer;
    timer.start();
    const double cpu0 = cpuSeconds();
    if (!importFiles({input}, store, {}, &summary, &error, !keep.isEmpty())) {
        std::fprintf(stderr, "import failed: %s\n", qPrintable(error));
        return 2;
    }
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    const double cpu = cpuSeconds() - cpu0;
    const double mb = double(summary.bytes) / 1e6;
    std::printf("{\"input\":\"%s\",\"format\":\"%s\",\"bytes\":%lld,\"events\":%lld,\"skipped\":%lld,\"streams\":%lld,"
                "\"seconds\":%.3f,\"cpuSeconds\":%.3f,\"MBps\":%.1f,\"MBperCpuSecond\":%.1f,\"eventsPerSecond\":%.0f,\"storeBytes\":%lld,\"bytesPerEvent\":%.0f}\n",
                qPrintable(QFileInfo(input).fileName()), qPrintable(summary.format),
                static_cast<long long>(summary.bytes), static_cast<long long>(summary.events),
                static_cast<long long>(summary.skipped), static_cast<long long>(summary.streams), seconds, cpu, mb / seconds,
                mb / cpu,
                double(summary.events) / seconds, static_cast<long long>(QFileInfo(store).size()),
                summary.events ? double(summary.bytes) / double(summary.events) : 0.0);
    return 0;
}
