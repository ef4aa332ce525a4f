// The benchmarks' fast stand-in (tests/benchmarks/kurrentgrpc_bulkserver.cpp, gRPC C++) serves the same log
// as the Node stand-in's bulk seed (tests/fixtures/kurrentgrpc_standin.mjs --seed bulk:N, itself proven
// against the official client by tst_kurrentgrpc_official): the same reads through Chronoscope's client give
// the same events, field by field, from both servers. So throughput measured against the C++ server is the
// client's reading of what a KurrentDB-speaking server sends. Also: a bad --events and a stream that does
// not exist; and server vs local with the replay following the read (kurrent::CheckpointRead): events in
// order up to the checkpoint, cancel mid-read, a server that dies mid-stream.

#include "projection/jsprojection.h"
#include "projection/statecompare.h"
#include "sources/remote/kurrentgrpc/kurrentgrpc.h"
#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"
#include "store/sqlitestore.h"

#include "fixtures/remotefixture.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace chronoscope;

namespace {

constexpr int kEvents = 1500; // streams order-0 … order-999: order-K holds K, K + 1000 (K < 500)

struct Server
{
    QProcess process;
    int port = 0;
    bool start(const QString& program, const QStringList& args, const QString& dir, QString* error)
    {
        process.setWorkingDirectory(dir);
        process.start(program, args);
        if (!process.waitForStarted(10000) || !process.waitForReadyRead(60000)) {
            *error = program + QStringLiteral(" did not start: ") +
                     QString::fromUtf8(process.readAllStandardError());
            return false;
        }
        port = QJsonDocument::fromJson(process.readLine()).object().value(QStringLiteral("port")).toInt();
        return port > 0;
    }
    ~Server()
    {
        process.terminate();
        process.waitForFinished(5000);
    }
};

QList<Event> readAll(int port, const RemoteScope& scope, const QString& query, QString* error)
{
    QList<Event> out;
    RemoteEndpoint ep;
    if (!RemoteEndpoint::parse(QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(port) + query, &ep,
                               error))
        return out;
    auto c = createRemoteClient(ep, error);
    if (!c) return out;
    c->setPageSize(200, 700); // several pages: reads from a position are under test too
    if (!c->connect(error) || !c->read(
                                  scope,
                                  [&](const QList<Event>& p) {
                                      out += p;
                                      return true;
                                  },
                                  error))
        out.clear();
    return out;
}

// Counts the events it sees and the ones that come out of order (the bulk log's data.i is the event's index).
const char* const kOrderJs = "fromAll().when({\n"
                             "  $init: function () { return { count: 0, next: 0, outOfOrder: 0 }; },\n"
                             "  $any: function (s, e) {\n"
                             "    if (e.data.i !== s.next) s.outOfOrder += 1;\n"
                             "    s.next = e.data.i + 1; s.count += 1; return s; } });";

struct CompareRun
{
    bool ok = false;
    ProjectionError error;
    StateCompareResult result;
    double seconds = 0;
};

// What the CLI and the panel do: the read into the cache on its own thread, the replay following it.
CompareRun compareFollowingRead(int port, const kurrent::ServerCheckpoint& server, const QString& cacheDir,
                                const CancelToken& cancel = {}, const ProgressFn& progress = {})
{
    CompareRun run;
    QElapsedTimer t;
    t.start();
    auto js = JsProjection::fromSource(QString::fromLatin1(kOrderJs), QStringLiteral("order.js"),
                                       ProjectionLimits{}, &run.error);
    if (!js) return run;
    const QString uri = QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(port);
    {
        kurrent::CheckpointRead read(uri, server.position, cacheDir, cancel, progress);
        auto reader = read.open(&run.error.message);
        if (reader) {
            StateCompareOptions o;
            o.growing = [&read](qint64 after, qint64* have, QString* why) {
                return read.wait(after, have, why);
            };
            run.ok = compareProjectionState(js.get(), reader.get(), server.position, server.state, o,
                                            &run.result, &run.error, cancel, progress);
        }
    } // the read's thread has ended here
    run.seconds = t.nsecsElapsed() / 1e9;
    return run;
}

} // namespace

class TestKurrentGrpcBulkServer : public QObject
{
    Q_OBJECT

    Server m_node;
    Server m_cpp;

private Q_SLOTS:
    void initTestCase()
    {
#ifndef CHRONOSCOPE_TEST_HAVE_GRPC
        QSKIP("this build has no gRPC client (gRPC C++ was not found)");
#else
        QString error;
        const int fixture = testing::remoteFixturePort(QStringLiteral("kurrentgrpc"), &error);
        QFile skip(testing::remoteFixtureDir(QStringLiteral("kurrentgrpc")) +
                   QStringLiteral("/skip-reason.txt"));
        if (skip.open(QIODevice::ReadOnly)) QSKIP(skip.readAll().constData());
        QVERIFY2(fixture > 0, qPrintable(error));
        const QString npm =
            testing::remoteFixtureDir(QStringLiteral("kurrentgrpc")) + QStringLiteral("/../kurrentgrpc-npm");
        QVERIFY2(
            m_node.start(QStringLiteral("node"),
                         {QStringLiteral("kurrentgrpc_standin.mjs"), QStringLiteral("--proto"),
                          QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/core/sources/remote/kurrentgrpc/proto"),
                          QStringLiteral("--seed"), QStringLiteral("bulk:%1").arg(kEvents)},
                         npm, &error),
            qPrintable(error));
        QVERIFY2(m_cpp.start(QStringLiteral(BULKSERVER),
                             {QStringLiteral("--events"), QString::number(kEvents)}, {}, &error),
                 qPrintable(error));
#endif
    }

    void sameEventsFromBoth_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<qint64>("last");
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("expected");
        QTest::newRow("$all") << "" << qint64(-1) << "" << kEvents;
        QTest::newRow("$all, last 300 (backwards)") << "" << qint64(300) << "" << 300;
        QTest::newRow("a stream") << "order-7" << qint64(-1) << "" << 2;
        QTest::newRow("a stream's last 1") << "order-7" << qint64(1) << "" << 1;
        QTest::newRow("type prefix filter") << "" << qint64(-1) << "&typePrefix=OrderPaid" << kEvents / 2;
        QTest::newRow("stream regex filter") << "" << qint64(-1) << "&streamRegex=^order-1[0-9]$" << 20;
        QTest::newRow("glob (prefix filter)") << "order-99*" << qint64(-1) << "" << 12;
        QTest::newRow("up to a position") << "" << qint64(-1) << "&toPosition=100000" << -1;
    }

    void sameEventsFromBoth()
    {
        QFETCH(QString, streams);
        QFETCH(qint64, last);
        QFETCH(QString, query);
        QFETCH(int, expected);
        RemoteScope scope;
        scope.streams = streams;
        scope.last = last;
        QString error;
        const QList<Event> fromNode = readAll(m_node.port, scope, query, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QList<Event> fromCpp = readAll(m_cpp.port, scope, query, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        if (expected >= 0)
            QCOMPARE(fromNode.size(), expected);
        else
            QVERIFY(fromNode.size() > 100 && fromNode.size() < kEvents);
        QCOMPARE(fromCpp.size(), fromNode.size());
        for (int i = 0; i < fromNode.size(); ++i) {
            const Event& a = fromNode[i];
            const Event& b = fromCpp[i];
            const QByteArray where =
                QByteArray::number(i) + ": " + a.toCanonicalJson() + " vs " + b.toCanonicalJson();
            QVERIFY2(a.position == b.position && a.stream == b.stream && a.version == b.version &&
                         a.type == b.type && a.time == b.time && a.id == b.id && a.data == b.data &&
                         a.metadata == b.metadata && a.dataIsJson == b.dataIsJson,
                     where.constData());
        }
    }

    void streamThatDoesNotExist()
    {
        for (int port : {m_node.port, m_cpp.port}) {
            QString error;
            RemoteScope scope;
            scope.streams = QStringLiteral("order-x");
            QVERIFY(readAll(port, scope, {}, &error).isEmpty());
            QVERIFY2(error.contains(QLatin1String("there is no stream 'order-x'")), qPrintable(error));
        }
    }

    // The replay follows the read page by page: every event once, in $all order, and none after the
    // checkpoint; the same answer as the server's state there.
    void compareFollowsTheRead_data()
    {
        QTest::addColumn<int>("events");
        QTest::addColumn<int>("checkpointAt"); // the server's checkpoint: after this many events
        QTest::newRow("checkpoint inside the log") << 8000 << 6001;
        QTest::newRow("checkpoint at the first event") << 3000 << 1;
        QTest::newRow("checkpoint at the end") << 3000 << 3000;
    }
    void compareFollowsTheRead()
    {
        QFETCH(int, events);
        QFETCH(int, checkpointAt);
        Server cpp;
        QString error;
        QVERIFY2(cpp.start(QStringLiteral(BULKSERVER), {QStringLiteral("--events"), QString::number(events)},
                           {}, &error),
                 qPrintable(error));
        RemoteScope all;
        const QList<Event> log = readAll(cpp.port, all, {}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(log.size(), events);
        kurrent::ServerCheckpoint server;
        server.position = log[checkpointAt - 1].position;
        server.state = QStringLiteral(R"({"count":%1,"next":%1,"outOfOrder":0})").arg(checkpointAt).toUtf8();
        QTemporaryDir tmp;
        const CompareRun run = compareFollowingRead(cpp.port, server, tmp.path());
        QVERIFY2(run.ok, qPrintable(run.error.message));
        QVERIFY2(run.result.agree, QJsonDocument(run.result.toJson()).toJson().constData());
        QCOMPARE(run.result.position, server.position);
        // A state one off: the diff and its blame (the last event before the checkpoint) still work.
        server.state = QStringLiteral(R"({"count":%1,"next":%2,"outOfOrder":0})")
                           .arg(checkpointAt + 1)
                           .arg(checkpointAt)
                           .toUtf8();
        const CompareRun differ = compareFollowingRead(cpp.port, server, tmp.path());
        QVERIFY2(differ.ok, qPrintable(differ.error.message));
        QCOMPARE(differ.result.patch.size(), 1);
        QCOMPARE(differ.result.blames.size(), 1);
        QVERIFY(differ.result.blames[0].found);
        QCOMPARE(differ.result.blames[0].event.position, server.position);
    }

    // Cancel while the read is still going: the comparison ends at once as cancelled, and so does the read.
    void compareCancelledMidRead()
    {
        Server cpp;
        QString error;
        QVERIFY2(cpp.start(QStringLiteral(BULKSERVER), {QStringLiteral("--events"), QStringLiteral("400000")},
                           {}, &error),
                 qPrintable(error));
        kurrent::ServerCheckpoint server;
        server.position = std::numeric_limits<qint64>::max() / 2;
        server.state = "{}";
        CancelToken cancel;
        qint64 readWhenCancelled = -1;
        const ProgressFn progress = [&](qint64 done, qint64, const QString& what) {
            if (readWhenCancelled < 0 && what.contains(QLatin1String("events read")) && done >= 1000) {
                readWhenCancelled = done;
                cancel.cancel();
            }
        };
        QTemporaryDir tmp;
        const CompareRun run = compareFollowingRead(cpp.port, server, tmp.path(), cancel, progress);
        QVERIFY(readWhenCancelled > 0);
        QVERIFY(!run.ok);
        QCOMPARE(run.error.kind, ProjectionError::Cancelled);
        // The read stopped too: far from the 400000 events (the bulk server serves them in seconds, not
        // less).
        auto cache = SqliteStoreReader::open(
            remoteCachePath(
                kurrent::boundedUri(QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(cpp.port),
                                    server.position),
                {}, tmp.path()),
            &error);
        QVERIFY2(cache, qPrintable(error));
        QVERIFY2(cache->info().events < 400000, qPrintable(QString::number(cache->info().events)));
    }

    // The server dies mid-stream: a clear error naming the lost connection, and what was read stays in the
    // cache.
    void compareWhenTheServerDies()
    {
        Server cpp;
        QString error;
        QVERIFY2(cpp.start(QStringLiteral(BULKSERVER),
                           {QStringLiteral("--events"), QStringLiteral("50000"),
                            QStringLiteral("--die-after"), QStringLiteral("7000")},
                           {}, &error),
                 qPrintable(error));
        kurrent::ServerCheckpoint server;
        server.position = std::numeric_limits<qint64>::max() / 2;
        server.state = "{}";
        QTemporaryDir tmp;
        const CompareRun run = compareFollowingRead(cpp.port, server, tmp.path());
        QVERIFY(!run.ok);
        QCOMPARE(run.error.kind, ProjectionError::Read);
        QVERIFY2(run.error.message.contains(QLatin1String("127.0.0.1")) &&
                     run.error.message.contains(QLatin1String("events read before are kept")),
                 qPrintable(run.error.message));
        auto cache = SqliteStoreReader::open(
            remoteCachePath(
                kurrent::boundedUri(QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(cpp.port),
                                    server.position),
                {}, tmp.path()),
            &error);
        QVERIFY2(cache, qPrintable(error));
        const qint64 kept = cache->info().events;
        QVERIFY2(kept > 0 && kept <= 7000, qPrintable(QString::number(kept)));
    }
};

QTEST_MAIN(TestKurrentGrpcBulkServer)
#include "tst_kurrentgrpc_bulkserver.moc"
