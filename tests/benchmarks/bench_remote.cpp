// Remote read budgets on loopback (docs/remote.md): first page after connecting, sustained read into the
// cache store, and peak memory while reading 1M events. Starts its own servers with the test fixture
// scripts (PostgreSQL + Message DB, Redis) and the AtomPub mock, fills them, then reads with fetchRemote.
//   bench_remote [--events N] [--atompub-events N] [--only postgres|redis|atompub|eventsourcingdb]
// Prints one JSON line per source.

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <sys/resource.h>

#include <cstdio>

using namespace chronoscope;

namespace {

QString fixtureDir(const QString& name) { return QStringLiteral(CHRONOSCOPE_BINARY_DIR "/tests/remote-fixtures-bench/") + name; }

int startFixture(const QString& name)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("bash"), {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/remote_%1.sh").arg(name), QStringLiteral("start"), fixtureDir(name)});
    p.waitForFinished(300000);
    QFile f(fixtureDir(name) + QStringLiteral("/port"));
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toInt() : 0;
}

void stopFixture(const QString& name)
{
    QProcess::execute(QStringLiteral("bash"), {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/remote_%1.sh").arg(name), QStringLiteral("stop"), fixtureDir(name)});
}

long peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

long currentRssMb()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.value(1).toLong() * 4096 / (1024 * 1024);
}

struct Figures
{
    double firstPageMs = -1;
    double seconds = 0;
    qint64 events = 0;
    long rssBeforeMb = 0, rssPeakDuringMb = 0;
    QString error;
};

bool g_raw = false;
bool g_bulk = false;

/// The client alone, pages dropped: what the protocol and parsing cost without the cache.
Figures measureRaw(const QString& uri, qint64 expect)
{
    Figures f;
    f.rssBeforeMb = currentRssMb();
    RemoteEndpoint ep;
    QString error;
    RemoteEndpoint::parse(uri, &ep, &error);
    auto c = createRemoteClient(ep, &error);
    QElapsedTimer total;
    total.start();
    c->connect(&error);
    QElapsedTimer connectedAt;
    connectedAt.start();
    qint64 n = 0;
    c->read({}, [&](const QList<Event>& page) {
        if (f.firstPageMs < 0)
            f.firstPageMs = connectedAt.nsecsElapsed() / 1e6;
        n += page.size();
        return true;
    }, &error);
    f.seconds = total.nsecsElapsed() / 1e9;
    f.events = n;
    f.rssPeakDuringMb = currentRssMb();
    if (n != expect)
        f.error = error.isEmpty() ? QStringLiteral("read %1").arg(n) : error;
    return f;
}

Figures measure(const QString& uri, const QString& path, qint64 expect)
{
    if (g_raw)
        return measureRaw(uri, expect);
    Figures f;
    f.rssBeforeMb = currentRssMb();
    RemoteFetchOptions o;
    if (qEnvironmentVariableIsSet("BENCH_PAGE")) o.pageSize = qEnvironmentVariableIntValue("BENCH_PAGE");
    o.live = !g_bulk;  // the app's path: a commit per page, readable while it fills
    QElapsedTimer connectedAt, total;
    total.start();
    long peak = 0;
    int pages = 0;
    o.connected = [&](const QString&, const QString&) { connectedAt.start(); };
    o.committed = [&](qint64, qint64) {
        if (f.firstPageMs < 0)
            f.firstPageMs = connectedAt.nsecsElapsed() / 1e6;
        if (++pages % 20 == 0)
            peak = std::max(peak, currentRssMb());
    };
    RemoteFetchResult r;
    fetchRemote(uri, path, o, &r);
    f.seconds = total.nsecsElapsed() / 1e9;
    f.events = r.events;
    f.rssPeakDuringMb = std::max(peak, currentRssMb());
    if (!r.ok)
        f.error = r.error;
    else if (r.events != expect)
        f.error = QStringLiteral("read %1 events, expected %2").arg(r.events).arg(expect);
    return f;
}

void report(const char* source, qint64 n, const Figures& f)
{
    std::printf("{\"source\":\"%s\",\"events\":%lld,\"firstPageMs\":%.1f,\"seconds\":%.2f,\"eventsPerSecond\":%.0f,"
                "\"rssBeforeMB\":%ld,\"rssPeakDuringMB\":%ld,\"processPeakMB\":%ld%s%s%s}\n",
                source, static_cast<long long>(n), f.firstPageMs, f.seconds, f.events / std::max(1e-9, f.seconds),
                f.rssBeforeMb, f.rssPeakDuringMb, peakRssMb(), f.error.isEmpty() ? "" : ",\"error\":\"",
                qPrintable(f.error), f.error.isEmpty() ? "" : "\"");
    std::fflush(stdout);
}

bool psql(int port, const QString& db, const QString& sql)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGOPTIONS"), QStringLiteral("-c client_min_messages=warning"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral("psql"), {QStringLiteral("-q"), QStringLiteral("-v"), QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"),
                                     QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(port), QStringLiteral("-U"),
                                     QStringLiteral("postgres"), QStringLiteral("-d"), db, QStringLiteral("-c"), sql});
    p.waitForFinished(-1);
    return p.exitCode() == 0;
}

bool fillPostgres(int port, qint64 n)
{
    psql(port, QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS bench_remote WITH (FORCE)"));
    if (!psql(port, QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE bench_remote TEMPLATE message_store")))
        return false;
    // Message DB's own table, filled in bulk (write_message per row would only time the writer).
    return psql(port, QStringLiteral("bench_remote"), QStringLiteral(
        "INSERT INTO message_store.messages (position, time, stream_name, type, data, metadata, id) "
        "SELECT (i / 1000), timestamp '2026-01-05 10:00' + i * interval '10 ms', 'order-' || (i % 1000), "
        "'Placed', jsonb_build_object('n', i, 'amount', i * 1.5, 'note', 'event number ' || i, 'tags', jsonb_build_array('a', 'b')), "
        "jsonb_build_object('correlationStreamName', 'flow-' || (i % 77)), gen_random_uuid() FROM generate_series(0, %1) i").arg(n - 1)) &&
           psql(port, QStringLiteral("bench_remote"), QStringLiteral("VACUUM ANALYZE message_store.messages"));
}

QByteArray resp(const QList<QByteArray>& args)
{
    QByteArray out = '*' + QByteArray::number(args.size()) + "\r\n";
    for (const QByteArray& a : args)
        out += '$' + QByteArray::number(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

bool fillRedis(int port, qint64 n)
{
    // redis-cli --pipe takes the raw protocol: the fastest bulk load there is.
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("redis-cli"), {QStringLiteral("-p"), QString::number(port), QStringLiteral("--pipe")});
    p.waitForStarted();
    QByteArray buf = resp({"FLUSHDB"});
    for (qint64 j = 0; j < n; ++j) {
        const QByteArray data = "{\"n\":" + QByteArray::number(j) + ",\"amount\":" + QByteArray::number(j * 1.5) +
                                ",\"note\":\"event number " + QByteArray::number(j) + "\",\"tags\":[\"a\",\"b\"]}";
        buf += resp({"XADD", "order-" + QByteArray::number(j % 1000), "*", "type", "Placed", "data", data, "metadata",
                     "{\"correlationId\":\"c\"}"});
        if (buf.size() > (1 << 20)) {
            p.write(buf);
            p.waitForBytesWritten(-1);
            buf.clear();
        }
    }
    p.write(buf);
    p.closeWriteChannel();
    p.waitForFinished(-1);
    return p.exitCode() == 0;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser cli;
    cli.addOption({QStringLiteral("events"), QStringLiteral("events for PostgreSQL and Redis"), QStringLiteral("N"), QStringLiteral("1000000")});
    cli.addOption({QStringLiteral("atompub-events"), QStringLiteral("events for the AtomPub mock"), QStringLiteral("N"), QStringLiteral("200000")});
    cli.addOption({QStringLiteral("only"), QStringLiteral("one source"), QStringLiteral("NAME")});
    cli.addOption({QStringLiteral("keep"), QStringLiteral("leave the servers running")});
    cli.addOption({QStringLiteral("raw"), QStringLiteral("client only: pages are dropped, no cache")});
    cli.addOption({QStringLiteral("bulk"), QStringLiteral("write the cache in bulk (a capture) instead of page by page")});
    cli.process(app);
    const qint64 n = cli.value(QStringLiteral("events")).toLongLong();
    const qint64 na = cli.value(QStringLiteral("atompub-events")).toLongLong();
    const QString only = cli.value(QStringLiteral("only"));
    g_raw = cli.isSet(QStringLiteral("raw"));
    g_bulk = cli.isSet(QStringLiteral("bulk"));
    QTemporaryDir tmp;

    if (only.isEmpty() || only == u"postgres") {
        const int port = startFixture(QStringLiteral("postgres"));
        if (!port || !fillPostgres(port, n)) {
            std::fprintf(stderr, "PostgreSQL fixture failed\n");
            return 1;
        }
        const QString uri = QStringLiteral("postgresql://postgres@127.0.0.1:%1/bench_remote").arg(port);
        report("postgresql (Message DB)", n, measure(uri, tmp.filePath(QStringLiteral("pg.chronoscope")), n));
        if (!cli.isSet(QStringLiteral("keep")))
            stopFixture(QStringLiteral("postgres"));
    }
    if (only.isEmpty() || only == u"redis") {
        const int port = startFixture(QStringLiteral("redis"));
        if (!port || !fillRedis(port, n)) {
            std::fprintf(stderr, "Redis fixture failed\n");
            return 1;
        }
        const QString uri = QStringLiteral("redis://127.0.0.1:%1/0").arg(port);
        report("redis streams (1000 keys)", n, measure(uri, tmp.filePath(QStringLiteral("redis.chronoscope")), n));
        if (!cli.isSet(QStringLiteral("keep")))
            stopFixture(QStringLiteral("redis"));
    }
    for (const QString kind : {QStringLiteral("atompub"), QStringLiteral("eventsourcingdb")}) {
        if (!only.isEmpty() && only != kind)
            continue;
        QProcess mock;
        mock.start(QStringLiteral("python3"), {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/mock_%1.py").arg(kind == u"atompub" ? QStringLiteral("kurrentdb") : kind),
                                              QStringLiteral("--seed"), QString::number(na)});
        mock.waitForReadyRead(600000);
        const int port = mock.readLine().trimmed().mid(5).toInt();
        const QString uri = kind == u"atompub" ? QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false&pagesize=1000").arg(port)
                                               : QStringLiteral("eventsourcingdb://127.0.0.1:%1?token=secret-token").arg(port);
        report(kind == u"atompub" ? "kurrentdb atompub (python mock)" : "eventsourcingdb (python mock)", na,
               measure(uri, tmp.filePath(kind + QStringLiteral(".chronoscope")), na));
        mock.kill();
        mock.waitForFinished();
    }
    return 0;
}
