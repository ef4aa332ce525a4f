// The benchmarks' fast stand-in (tests/benchmarks/kurrentgrpc_bulkserver.cpp, gRPC C++) serves the same log
// as the Node stand-in's bulk seed (tests/fixtures/kurrentgrpc_standin.mjs --seed bulk:N, itself proven
// against the official client by tst_kurrentgrpc_official): the same reads through Chronoscope's client give
// the same events, field by field, from both servers. So throughput measured against the C++ server is the
// client's reading of what a KurrentDB-speaking server sends. Also: a bad --events and a stream that does
// not exist.

#include "sources/remote/remoteclient.h"

#include "fixtures/remotefixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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
};

QTEST_MAIN(TestKurrentGrpcBulkServer)
#include "tst_kurrentgrpc_bulkserver.moc"
