// Kafka read budgets (docs/remote.md "Kafka" -> "Budgets") on librdkafka's mock cluster on loopback, run as
// its own process (tests/fixtures/kafka_mock_cluster, built with tst_kafka) so its copy of the topic does
// not count in this process's memory:
//   bench_kafka [--messages N] [--partitions P] [--keys K] [--raw]
// The mock keeps a bounded log per partition (older record sets are dropped, its start offset moves on: about
// 80k records of this size per partition), so "read" can be less than "records": it is what the topic holds.
// Reads the topic into a cache store with fetchRemote (as the app does: live cache, commit per 200 ms),
// then follows it and measures a record produced now until it is committed to the cache.

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"
#include "threadcpu.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <sys/resource.h>

#include <atomic>
#include <cstdio>

using namespace chronoscope;

namespace {

long peakRssMb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:")) return line.mid(6).trimmed().split(' ').value(0).toLong() / 1024;
    return -1;
}

/// CPU seconds this process has used (all threads): on a loaded machine records per CPU-second says what the
/// code costs, where records per wall-clock second says how much of a core the scheduler gave it.
double cpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption({QStringLiteral("messages"), QStringLiteral("records in the topic"), QStringLiteral("N"),
                      QStringLiteral("1000000")});
    parser.addOption({QStringLiteral("partitions"), QStringLiteral("partitions of the topic"),
                      QStringLiteral("P"), QStringLiteral("4")});
    parser.addOption({QStringLiteral("keys"), QStringLiteral("distinct keys (streams)"), QStringLiteral("K"),
                      QStringLiteral("10000")});
    parser.addOption(
        {QStringLiteral("raw"),
         QStringLiteral("first read with the client alone (pages dropped), as bench_remote --raw")});
    parser.process(app);
    const qint64 n = parser.value(QStringLiteral("messages")).toLongLong();
    const int partitions = parser.value(QStringLiteral("partitions")).toInt();

    QProcess mock;
    mock.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer fill;
    fill.start();
    mock.start(
        QStringLiteral(CHRONOSCOPE_BINARY_DIR "/tests/kafka_mock_cluster"),
        {QStringLiteral("--topic"),
         QStringLiteral("bench:%1:%2:%3").arg(partitions).arg(n).arg(parser.value(QStringLiteral("keys")))});
    if (!mock.waitForStarted() || !mock.waitForReadyRead(600000)) {
        std::fprintf(stderr, "kafka_mock_cluster did not start (build the target kafka_mock_cluster)\n");
        return 2;
    }
    const QString bootstrap = QString::fromLatin1(mock.readLine().trimmed());
    std::printf("mock cluster %s filled with %lld records in %d partitions in %.1f s\n",
                qPrintable(bootstrap), n, partitions, fill.elapsed() / 1000.0);

    QTemporaryDir dir;
    const QString uri = QStringLiteral("kafka://%1/bench").arg(bootstrap);
    if (parser.isSet(QStringLiteral("raw"))) {
        // The client alone (no cache store): what librdkafka and the mapping cost.
        RemoteEndpoint ep;
        QString err;
        RemoteEndpoint::parse(uri, &ep, &err);
        auto client = createRemoteClient(ep, &err);
        qint64 got = 0;
        QElapsedTimer c;
        c.start();
        const double cpu0 = cpuSeconds();
        client->read(
            {},
            [&](const QList<Event>& page) {
                got += page.size();
                return true;
            },
            &err);
        const double cpu = cpuSeconds() - cpu0;
        std::printf(
            "client alone: %lld records in %lld ms (%.0f/s; %.1f CPU s, %.0f records per CPU second) %s\n",
            got, c.elapsed(), got * 1000.0 / std::max<qint64>(1, c.elapsed()), cpu,
            got / std::max(0.001, cpu), qPrintable(err));
    }
    RemoteFetchOptions o;
    o.live = true;
    o.follow = true;
    o.commitIntervalMs = 200;
    QElapsedTimer t;
    std::atomic<qint64> firstPageMs{-1}, readMs{-1}, committedEvents{0};
    std::atomic<bool> following{false};
    double cpuRead0 = 0;
    std::atomic<double> cpuRead{0};
    benchcpu::Sample threads0, threadsRead;
    o.committed = [&](qint64 events, qint64) {
        if (firstPageMs < 0) firstPageMs = t.elapsed();
        committedEvents = events;
    };
    o.progress = [&](qint64, qint64, const QString& what) {
        if (what == u"following" && !following) {
            readMs = t.elapsed();
            cpuRead = cpuSeconds() - cpuRead0;
            threadsRead = benchcpu::sample();  // the writer thread still lives: it ends with the read
            following = true;
        }
    };
    RemoteFetchResult result;
    threads0 = benchcpu::sample();
    cpuRead0 = cpuSeconds();
    t.start();
    QThread* worker = QThread::create(
        [&] { fetchRemote(uri, dir.filePath(QStringLiteral("cache.chronoscope")), o, &result); });
    worker->start();
    while (!following && worker->isRunning())
        QThread::msleep(5);
    const qint64 read = committedEvents;
    // Live: produce one record stamped now, wait until the cache has it.
    qint64 liveWorst = -1;
    for (int i = 0; i < 5 && following; ++i) {
        const qint64 before = committedEvents;
        QElapsedTimer live;
        mock.write(QByteArrayLiteral("produce bench live-") + QByteArray::number(i) +
                   " {\"live\":" + QByteArray::number(i) + "}\n");
        mock.waitForBytesWritten(1000);
        live.start();
        while (committedEvents <= before && live.elapsed() < 5000)
            QThread::usleep(500);
        liveWorst = std::max(liveWorst, live.elapsed());
        mock.waitForReadyRead(1000);
        mock.readAll();
    }
    o.cancel.cancel();
    worker->wait();
    delete worker;
    const double rate = readMs > 0 ? read * 1000.0 / double(readMs) : 0;
    std::printf("{\"records\":%lld,\"read\":%lld,\"readMs\":%lld,\"perSecond\":%.0f,\"cpuSeconds\":%.1f,"
                "\"perCpuSecond\":%.0f,\"firstPageMs\":%lld,\"liveWorstMs\":%lld,\"peakRssMb\":%ld}\n",
                n, read, qint64(readMs), rate, double(cpuRead), read / std::max(0.001, double(cpuRead)),
                qint64(firstPageMs), liveWorst, peakRssMb());
    const benchcpu::Split split = benchcpu::split(threads0, threadsRead);
    std::printf("threads: reader (client, librdkafka, this process's others) %.2f CPU s = %.2f us/record, "
                "cache-writer %.2f CPU s = %.2f us/record\n",
                split.reader, split.reader * 1e6 / std::max<qint64>(1, read), split.writer,
                split.writer * 1e6 / std::max<qint64>(1, read));
    std::printf(
        "budgets: >= 100000 records/s %s, first page <= 300 ms %s, live <= 200 ms %s, memory <= 300 MB %s\n",
        rate >= 100000 ? "met" : "MISSED", firstPageMs <= 300 ? "met" : "MISSED",
        liveWorst >= 0 && liveWorst <= 200 ? "met" : "MISSED", peakRssMb() <= 300 ? "met" : "MISSED");
    mock.closeWriteChannel();
    mock.waitForFinished(10000);
    return 0;
}
