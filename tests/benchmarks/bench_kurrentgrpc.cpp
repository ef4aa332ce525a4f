// KurrentDB over gRPC budgets (issue: first page of a 1M-event $all on screen <= 300 ms, >= 100k events/s
// into the cache, <= 300 MB): starts its own stand-in (tests/fixtures/kurrentgrpc_standin.mjs --seed
// bulk:N, the npm packages from the test fixture's folder) and reads $all with fetchRemote in live-cache
// mode (the app's path: a commit per page, readable while it fills).
//   bench_kurrentgrpc [--events N] [--raw]     (--raw: the client alone, pages dropped)
// Prints one JSON line: events, firstPageMs, seconds, eventsPerSecond, rssBeforeMB, rssPeakDuringMB,
// processPeakMB, clientCpuSeconds (this process's CPU: the client and the cache, without the stand-in's).

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>

#include <sys/resource.h>

using namespace chronoscope;

namespace {

long peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

long currentRssMb()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    return f.readAll().split(' ').value(1).toLong() * 4096 / (1024 * 1024);
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    qint64 n = 1000000;
    if (const qsizetype i = args.indexOf(QStringLiteral("--events")); i > 0 && i + 1 < args.size())
        n = args[i + 1].toLongLong();
    const bool raw = args.contains(QStringLiteral("--raw"));

    // The npm packages come from the test fixture (installed once into the build tree).
    const QString fixture = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/tests/remote-fixtures/kurrentgrpc");
    QProcess::execute(QStringLiteral("bash"),
                      {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/remote_kurrentgrpc.sh"),
                       QStringLiteral("start"), fixture});
    const QString npm = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/tests/remote-fixtures/kurrentgrpc-npm");
    if (!QFile::exists(npm + QStringLiteral("/node_modules/.chronoscope-ready"))) {
        std::fprintf(stderr, "the stand-in's npm packages are missing (%s)\n", qPrintable(npm));
        return 2;
    }
    QProcess server;
    server.setWorkingDirectory(npm);
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer seeding;
    seeding.start();
    server.start(QStringLiteral("node"),
                 {QStringLiteral("--max-old-space-size=4096"), QStringLiteral("kurrentgrpc_standin.mjs"),
                  QStringLiteral("--proto"),
                  QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/core/sources/remote/kurrentgrpc/proto"),
                  QStringLiteral("--seed"), QStringLiteral("bulk:%1").arg(n)});
    if (!server.waitForReadyRead(300000)) {
        std::fprintf(stderr, "the stand-in did not start\n");
        return 2;
    }
    const int port =
        QJsonDocument::fromJson(server.readLine()).object().value(QStringLiteral("port")).toInt();
    std::fprintf(stderr, "stand-in with %lld events on port %d (seeded in %.1f s)\n",
                 static_cast<long long>(n), port, seeding.elapsed() / 1000.0);
    const QString uri = QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(port);

    const long rssBefore = currentRssMb();
    double firstPageMs = -1;
    qint64 events = 0;
    long peak = 0;
    QString error;
    QElapsedTimer total, connectedAt;
    total.start();
    if (raw) {
        RemoteEndpoint ep;
        RemoteEndpoint::parse(uri, &ep, &error);
        auto c = createRemoteClient(ep, &error);
        c->connect(&error);
        connectedAt.start();
        c->read(
            {},
            [&](const QList<Event>& page) {
                if (firstPageMs < 0) firstPageMs = connectedAt.nsecsElapsed() / 1e6;
                events += page.size();
                if (events % 100000 < page.size()) peak = std::max(peak, currentRssMb());
                return true;
            },
            &error);
    } else {
        QTemporaryDir tmp;
        RemoteFetchOptions o;
        o.live = true;
        int pages = 0;
        o.connected = [&](const QString&, const QString&) { connectedAt.start(); };
        o.committed = [&](qint64, qint64) {
            if (firstPageMs < 0) firstPageMs = connectedAt.nsecsElapsed() / 1e6;
            if (++pages % 20 == 0) peak = std::max(peak, currentRssMb());
        };
        RemoteFetchResult r;
        fetchRemote(uri, tmp.filePath(QStringLiteral("cache.chronoscope")), o, &r);
        events = r.events;
        if (!r.ok) error = r.error;
    }
    const double seconds = total.nsecsElapsed() / 1e9;
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    const double cpu =
        self.ru_utime.tv_sec + self.ru_stime.tv_sec + (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
    peak = std::max(peak, currentRssMb());
    server.terminate();
    server.waitForFinished(5000);
    std::printf("{\"source\":\"kurrentdb-grpc%s\",\"events\":%lld,\"firstPageMs\":%.1f,\"seconds\":%.2f,"
                "\"eventsPerSecond\":%.0f,"
                "\"rssBeforeMB\":%ld,\"rssPeakDuringMB\":%ld,\"processPeakMB\":%ld,\"clientCpuSeconds\":%.2f%"
                "s%s%s}\n",
                raw ? " (raw)" : "", static_cast<long long>(events), firstPageMs, seconds,
                events / std::max(1e-9, seconds), rssBefore, peak, peakRssMb(), cpu,
                error.isEmpty() ? "" : ",\"error\":\"", qPrintable(error), error.isEmpty() ? "" : "\"");
    return events == n && error.isEmpty() ? 0 : 1;
}
