// The Kafka source (docs/remote.md "Kafka") against librdkafka's mock cluster, started by this test in its
// own process (tests/fixtures/kafkamock.h): mapping, global order, scope push-down, read-only proof, live
// tail, schema'd values with a registry stand-in, the CLI, and every fault of the issue. One test
// produces through Confluent's official Python client.

#include "sources/kafka/kafkatopics.h"
#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <thread>

#ifdef CHRONOSCOPE_TEST_RDKAFKA // tests/tst_kafka.cmake, when librdkafka is found
#include "fixtures/kafkamock.h"

using namespace chronoscope;
using kafkatest::Message;

namespace {

QJsonObject obj(const QByteArray& json)
{
    return QJsonDocument::fromJson(json).object();
}

struct ReadResult
{
    bool ok = false;
    QString error;
    QList<Event> events;
    QStringList warnings;
};

ReadResult readAll(const QString& uri, const RemoteScope& scope = {}, std::function<bool(int)> afterPage = {})
{
    ReadResult r;
    RemoteEndpoint ep;
    if (!RemoteEndpoint::parse(uri, &ep, &r.error)) return r;
    auto client = createRemoteClient(ep, &r.error);
    if (!client) return r;
    client->setPageSize(50, 500);
    int pages = 0;
    r.ok = client->read(
        scope,
        [&](const QList<Event>& page) {
            r.events += page;
            return afterPage ? afterPage(++pages) : true;
        },
        &r.error);
    r.warnings = client->warnings();
    return r;
}

Message msg(const QByteArray& topic, int partition, const char* key, const QByteArray& value, qint64 ts,
            QList<QPair<QByteArray, QByteArray>> headers = {})
{
    Message m;
    m.topic = topic;
    m.partition = partition;
    if (key) m.key = QByteArray(key);
    m.value = value;
    m.timestamp = ts;
    m.headers = headers;
    return m;
}

// Kafka protocol API keys (the protocol guide, kafka.apache.org/protocol#protocol_api_keys).
enum ApiKey : int16_t {
    Produce = 0,
    Fetch = 1,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    JoinGroup = 11,
    Heartbeat = 12,
    SyncGroup = 14,
    CreateTopics = 19,
    InitProducerId = 22
};

/// Cancels a client's tail after ms, so a tail that never gets what it waits for fails instead of hanging.
class Watchdog
{
public:
    Watchdog(RemoteClient* c, int ms)
        : m_thread([this, c, ms] {
              std::unique_lock lock(m_mutex);
              if (!m_cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return m_done; })) c->cancel();
          })
    {}
    ~Watchdog()
    {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_done = false;
    std::thread m_thread;
};

constexpr qint64 kT0 = 1767607200000; // 2026-01-05T10:00:00Z

/// Encodes an Avro long (zigzag varint).
QByteArray avroLong(qint64 v)
{
    quint64 z = (quint64(v) << 1) ^ quint64(v >> 63);
    QByteArray out;
    while (z & ~0x7FULL) {
        out += char((z & 0x7F) | 0x80);
        z >>= 7;
    }
    out += char(z);
    return out;
}

QByteArray wire(int id, const QByteArray& body)
{
    QByteArray out(5, '\0');
    out[1] = char(id >> 24);
    out[2] = char(id >> 16);
    out[3] = char(id >> 8);
    out[4] = char(id);
    return out + body;
}

} // namespace

class TestKafka : public QObject
{
    Q_OBJECT

    std::unique_ptr<kafkatest::MockCluster> m_mock;

private Q_SLOTS:
    void initTestCase()
    {
        m_mock = std::make_unique<kafkatest::MockCluster>(2);
        QVERIFY(m_mock->createTopic("orders", 2));
        QVERIFY(m_mock->createTopic("payments", 1));
        QVERIFY(m_mock->createTopic("empty", 1));
        // orders: two partitions whose times interleave, so the merge is visible.
        QList<Message> ms;
        ms << msg("orders", 0, "order-1", R"({"status":"placed","total":1.10})", kT0 + 0,
                  {{"ce_type", "OrderPlaced"}, {"correlationId", "corr-1"}});
        ms << msg("orders", 1, "order-2", R"({"status":"placed","total":2.50})", kT0 + 1,
                  {{"type", "OrderPlaced"}});
        ms << msg("orders", 0, "order-1", R"({"status":"paid"})", kT0 + 3,
                  {{"eventType", "OrderPaid"},
                   {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
        ms << msg("orders", 1, "order-2", R"({"status":"paid"})", kT0 + 2, {{"type", "OrderPaid"}});
        Message tomb = msg("orders", 0, "order-1", {}, kT0 + 5);
        tomb.value.reset();
        ms << tomb;
        // Same timestamp in both partitions: partition decides, then offset.
        ms << msg("orders", 1, "order-3", R"({"n":1})", kT0 + 10);
        ms << msg("orders", 0, "order-4", R"({"n":2})", kT0 + 10);
        ms << msg("orders", 0, "order-4", R"({"n":3})", kT0 + 10);
        QVERIFY(m_mock->produce(ms));
        // payments: keyless, text, binary, CloudEvents, headers with invalid UTF-8.
        QList<Message> ps;
        ps << msg("payments", 0, nullptr, R"({"amount":100.00,"big":12345678901234567890})", kT0 + 100);
        ps << msg("payments", 0, "pay-1", "not json at all", kT0 + 101);
        ps << msg("payments", 0, "pay-1", QByteArray("\xff\x00\x01\xfe", 4), kT0 + 102);
        ps << msg(
            "payments", 0, "pay-2",
            R"({"specversion":"1.0","type":"PaymentTaken","source":"/pay","id":"ce-7","time":"2026-01-05T11:00:00Z","correlationid":"c-9","data":{"amount":7.50}})",
            kT0 + 103);
        ps << msg("payments", 0, "pay-3", R"({"ok":true})", kT0 + 104,
                  {{"bin", QByteArray("\xc3\x28", 2)}, {"ce_type", "Checked"}});
        QVERIFY(m_mock->produce(ps));
    }

    void cleanupTestCase() { m_mock.reset(); }

    void mapping()
    {
        const ReadResult r = readAll(m_mock->uri(QStringLiteral("orders")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 8);
        const Event& first = r.events[0];
        QCOMPARE(first.stream, QStringLiteral("order-1"));
        QCOMPARE(first.type, QStringLiteral("OrderPlaced"));
        QCOMPARE(first.time, kT0);
        QCOMPARE(first.data, QByteArray(R"({"status":"placed","total":1.10})")); // the number as written
        QCOMPARE(first.correlationId(), QStringLiteral("corr-1"));
        const QJsonObject m = obj(first.metadata);
        QCOMPARE(m.value("topic").toString(), QStringLiteral("orders"));
        QCOMPARE(m.value("partition").toInt(), 0);
        QCOMPARE(m.value("offset").toInt(), 0);
        QCOMPARE(m.value("headers").toObject().value("ce_type").toString(), QStringLiteral("OrderPlaced"));
        // Types from type / eventType headers; traceparent gives correlation (trace id) and causation (parent
        // id).
        const Event& paid = r.events[3];
        QCOMPARE(paid.type, QStringLiteral("OrderPaid"));
        QCOMPARE(paid.correlationId(), QStringLiteral("0af7651916cd43dd8448eb211c80319c"));
        QCOMPARE(paid.causationId(), QStringLiteral("b7ad6b7169203331"));
        // The tombstone: a deletion whose data is null, so the state after it is empty.
        const Event& tomb = r.events[4];
        QCOMPARE(tomb.stream, QStringLiteral("order-1"));
        QCOMPARE(tomb.type, QStringLiteral("$tombstone"));
        QCOMPARE(tomb.data, QByteArray("null"));
        QVERIFY(obj(tomb.metadata).value("tombstone").toBool());
        // Versions count per key in the canonical order.
        QCOMPARE(tomb.version, 2);
        for (int i = 0; i < r.events.size(); ++i)
            QCOMPARE(r.events[i].position, i + 1);
    }

    void globalOrderIsTimePartitionOffset()
    {
        const ReadResult r = readAll(m_mock->uri(QStringLiteral("orders")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QStringList got;
        for (const Event& e : r.events) {
            const QJsonObject m = obj(e.metadata);
            got << QStringLiteral("%1:%2/%3")
                       .arg(e.time - kT0)
                       .arg(m.value("partition").toInt())
                       .arg(m.value("offset").toInt());
        }
        // Times 0,1,2,3,5 then three at 10: partition 0 (offsets 3, 4) before partition 1.
        QCOMPARE(got,
                 QStringList({"0:0/0", "1:1/0", "2:1/1", "3:0/1", "5:0/2", "10:0/3", "10:0/4", "10:1/2"}));
    }

    void payloads()
    {
        const ReadResult r = readAll(m_mock->uri(QStringLiteral("payments")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 5);
        // Keyless: topic/partition; the type is the topic; big numbers kept as written.
        QCOMPARE(r.events[0].stream, QStringLiteral("payments/0"));
        QCOMPARE(r.events[0].type, QStringLiteral("payments"));
        QCOMPARE(r.events[0].data, QByteArray(R"({"amount":100.00,"big":12345678901234567890})"));
        // Not JSON: a string, said so.
        QVERIFY(!r.events[1].dataIsJson);
        QCOMPARE(r.events[1].data, QByteArray("\"not json at all\""));
        QCOMPARE(obj(r.events[1].metadata).value("valueFormat").toString(), QStringLiteral("text"));
        // Binary: base64 with its size.
        QVERIFY(!r.events[2].dataIsJson);
        QCOMPARE(r.events[2].data, QByteArray("\"/wAB/g==\""));
        QCOMPARE(obj(r.events[2].metadata).value("valueSize").toInt(), 4);
        // Structured CloudEvent: its type, time, id, correlation and data.
        const Event& ce = r.events[3];
        QCOMPARE(ce.type, QStringLiteral("PaymentTaken"));
        QCOMPARE(ce.id, QStringLiteral("ce-7"));
        QCOMPARE(formatTime(ce.time), QStringLiteral("2026-01-05T11:00:00.000Z"));
        QCOMPARE(ce.data, QByteArray(R"({"amount":7.50})"));
        QCOMPARE(ce.correlationId(), QStringLiteral("c-9"));
        // A header that is not UTF-8: base64 with its size, the rest of the record intact.
        const QJsonObject h = obj(r.events[4].metadata).value("headers").toObject();
        QCOMPARE(h.value("bin").toObject().value("base64").toString(), QStringLiteral("wyg="));
        QCOMPARE(h.value("bin").toObject().value("size").toInt(), 2);
        QCOMPARE(r.events[4].type, QStringLiteral("Checked"));
    }

    void hostileRecords()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("hostile", 1));
        const QByteArray deep = QByteArray(600, '[') + QByteArray(600, ']'); // deeper than the JSON limit
        const QByteArray open = QByteArray(100000, '[');                     // never closed
        QByteArray big = "{\"blob\":\"" + QByteArray(900000, 'x') + "\",\"n\":1.50}";
        Message badKey = msg("hostile", 0, nullptr, R"({"k":1})", kT0 + 3);
        badKey.key = QByteArray("\xff\xfe", 2);
        Message typed = msg("hostile", 0, "k", R"({})", kT0 + 4, {{"ce_type", "X"}});
        QVERIFY(mock.produce(
            {msg("hostile", 0, "k", deep, kT0), msg("hostile", 0, "k", open, kT0 + 1),
             msg("hostile", 0, "k", big, kT0 + 2), badKey, typed,
             msg("hostile", 0, "k", R"({"specversion":"1.0","type":7,"time":"not a time"})", kT0 + 5)}));
        const ReadResult r = readAll(mock.uri(QStringLiteral("hostile")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 6);
        QVERIFY(!r.events[0].dataIsJson); // kept as text, not parsed past the limit
        QVERIFY(!r.events[1].dataIsJson);
        QVERIFY(r.events[2].dataIsJson);
        QVERIFY(r.events[2].data.endsWith(R"("n":1.50})"));
        QCOMPARE(r.events[3].stream, QStringLiteral("base64://4="));
        QCOMPARE(obj(r.events[3].metadata).value("key").toObject().value("size").toInt(), 2);
        // A CloudEvent whose type is not a string and whose time does not parse: the topic and the record's
        // time.
        QCOMPARE(r.events[5].type, QStringLiteral("hostile"));
        QCOMPARE(r.events[5].time, kT0 + 5);
    }

    void streamByPartitionAndTypeHeader()
    {
        const ReadResult r =
            readAll(m_mock->uri(QStringLiteral("orders?stream=partition&typeHeader=correlationId")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events[0].stream, QStringLiteral("orders/0"));
        QCOMPARE(r.events[0].type, QStringLiteral("corr-1"));
        QCOMPARE(r.events[1].stream, QStringLiteral("orders/1"));
    }

    void scope_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("streams");
        QTest::addColumn<qint64>("since");
        QTest::addColumn<qint64>("until");
        QTest::addColumn<qint64>("last");
        QTest::addColumn<int>("count");
        QTest::newRow("all") << "orders"
                             << "" << kNoTime << kNoTime << qint64(-1) << 8;
        QTest::newRow("two topics") << "orders,payments"
                                    << "" << kNoTime << kNoTime << qint64(-1) << 13;
        QTest::newRow("topic glob") << "pay*"
                                    << "" << kNoTime << kNoTime << qint64(-1) << 5;
        QTest::newRow("glob set") << "[op]*"
                                  << "" << kNoTime << kNoTime << qint64(-1) << 13;
        QTest::newRow("empty topic") << "empty"
                                     << "" << kNoTime << kNoTime << qint64(-1) << 0;
        QTest::newRow("since") << "orders"
                               << "" << kT0 + 3 << kNoTime << qint64(-1) << 5;
        QTest::newRow("until") << "orders"
                               << "" << kNoTime << kT0 + 2 << qint64(-1) << 3;
        QTest::newRow("window") << "orders"
                                << "" << kT0 + 1 << kT0 + 5 << qint64(-1) << 4;
        QTest::newRow("last 3") << "orders"
                                << "" << kNoTime << kNoTime << qint64(3) << 3;
        QTest::newRow("last 0") << "orders"
                                << "" << kNoTime << kNoTime << qint64(0) << 0;
        QTest::newRow("streams glob") << "orders"
                                      << "order-[12]" << kNoTime << kNoTime << qint64(-1) << 5;
    }

    void scope()
    {
        QFETCH(QString, path);
        QFETCH(QString, streams);
        QFETCH(qint64, since);
        QFETCH(qint64, until);
        QFETCH(qint64, last);
        QFETCH(int, count);
        RemoteScope s;
        s.streams = streams;
        s.since = since;
        s.until = until;
        s.last = last;
        const ReadResult r = readAll(m_mock->uri(path), s);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), count);
        for (const Event& e : r.events) {
            QVERIFY(since == kNoTime || e.time >= since);
            QVERIFY(until == kNoTime || e.time <= until);
        }
        if (last == 3) // the newest three overall
            QCOMPARE(r.events.first().time, kT0 + 10);
    }

    void readOnly()
    {
        // Every request that would write (produce, commit, join a group, find a coordinator, start a
        // producer) gets a stacked error on every broker; a read that sent one would use it up.
        const int apis[] = {Produce,         OffsetCommit,   JoinGroup,   SyncGroup,   Heartbeat,
                            FindCoordinator, InitProducerId, OffsetFetch, CreateTopics};
        for (int broker = 1; broker <= 2; ++broker)
            for (int api : apis)
                QCOMPARE(rd_kafka_mock_broker_push_request_error_rtts(m_mock->cluster(), broker, int16_t(api),
                                                                      1, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
                                                                      0),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        const ReadResult r = readAll(m_mock->uri(QStringLiteral("orders,payments")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(!readAll(m_mock->uri(QStringLiteral("no-such-topic"))).ok);
        for (int broker = 1; broker <= 2; ++broker)
            for (int api : apis) {
                size_t left = 0;
                QCOMPARE(rd_kafka_mock_broker_error_stack_cnt(m_mock->cluster(), broker, int16_t(api), &left),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
                QVERIFY2(left == 1, qPrintable(QStringLiteral("broker %1 got API %2").arg(broker).arg(api)));
            }
        // No topic was created by asking for a missing one.
        QList<KafkaTopicInfo> topics;
        QString err;
        QVERIFY2(listKafkaTopics(m_mock->uri({}), &topics, &err), qPrintable(err));
        QStringList names;
        for (const auto& t : topics)
            names << t.name;
        QVERIFY(!names.contains(QStringLiteral("no-such-topic")));
        for (int broker = 1; broker <= 2; ++broker)
            for (int api : apis)
                rd_kafka_mock_broker_push_request_error_rtts(m_mock->cluster(), broker, int16_t(api), 0,
                                                             RD_KAFKA_RESP_ERR_NO_ERROR, 0);
    }

    void topicList()
    {
        QList<KafkaTopicInfo> topics;
        QString err;
        QVERIFY2(listKafkaTopics(m_mock->uri({}), &topics, &err), qPrintable(err));
        QHash<QString, KafkaTopicInfo> byName;
        for (const auto& t : topics)
            byName.insert(t.name, t);
        QCOMPARE(byName.value("orders").partitions, 2);
        QCOMPARE(byName.value("orders").messages, 8);
        QCOMPARE(byName.value("payments").messages, 5);
        QCOMPARE(byName.value("empty").messages, 0);
    }

    void liveTail()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("live", 2));
        QVERIFY(mock.produce({msg("live", 0, "a", R"({"n":0})", 0)}));
        RemoteEndpoint ep;
        QString err;
        QVERIFY(RemoteEndpoint::parse(mock.uri(QStringLiteral("live")), &ep, &err));
        auto client = createRemoteClient(ep, &err);
        QVERIFY(client);
        QList<Event> got;
        QVERIFY2(client->read(
                     {},
                     [&](const QList<Event>& p) {
                         got += p;
                         return true;
                     },
                     &err),
                 qPrintable(err));
        QCOMPARE(got.size(), 1);
        std::optional<Watchdog> guard;
        guard.emplace(client.get(), 10000);
        std::thread producer([&] {
            QThread::msleep(200);
            mock.produce({msg("live", 1, "b", R"({"n":1})", 0), msg("live", 0, "a", R"({"n":2})", 0)});
        });
        QVERIFY2(client->tail(
                     [&](const QList<Event>& p) {
                         got += p;
                         return got.size() < 3;
                     },
                     &err),
                 qPrintable(err));
        producer.join();
        QCOMPARE(got.size(), 3);
        QCOMPARE(got[2].position, 3);
        // A topic created while following joins the tail when the URI names topics by a glob.
        RemoteEndpoint globEp;
        QVERIFY(RemoteEndpoint::parse(mock.uri(QStringLiteral("live*")), &globEp, &err));
        auto follower = createRemoteClient(globEp, &err);
        QList<Event> more;
        QVERIFY2(follower->read(
                     {},
                     [&](const QList<Event>& p) {
                         more += p;
                         return true;
                     },
                     &err),
                 qPrintable(err));
        QCOMPARE(more.size(), 3);
        Watchdog followerGuard(follower.get(), 10000);
        std::thread creator([&] {
            QThread::msleep(100);
            mock.createTopic("live-late", 1);
            mock.produce({msg("live-late", 0, "c", R"({"late":true})", 0)});
        });
        QVERIFY2(follower->tail(
                     [&](const QList<Event>& p) {
                         more += p;
                         return more.size() < 4;
                     },
                     &err),
                 qPrintable(err));
        creator.join();
        QCOMPARE(more.size(), 4);
        QCOMPARE(obj(more.last().metadata).value("topic").toString(), QStringLiteral("live-late"));
        QCOMPARE(got.last().stream == QStringLiteral("a") ? got.last().version : got[1].version, 1);
    }

    void pythonProducer()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("py", 1));
        QProcess p;
        // Debian's python3 (python3-confluent-kafka), not another one first on PATH.
        p.start(QFile::exists("/usr/bin/python3") ? QStringLiteral("/usr/bin/python3")
                                                  : QStringLiteral("python3"),
                {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/kafka_produce.py"), mock.bootstrap(),
                 QStringLiteral("py")});
        QVERIFY(p.waitForStarted());
        p.write(
            R"({"key":"cart-1","value":"{\"items\":[1,2],\"price\":9.90}","timestamp":1767607200000,"headers":[["ce_type","CartUpdated"]]})"
            "\n");
        p.write(R"({"key":"cart-1","value":null,"timestamp":1767607201000})"
                "\n");
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        if (out.contains("No module named")) QSKIP("python3-confluent-kafka is not installed");
        QVERIFY2(out.contains("PRODUCED 2"), out.constData());
        const ReadResult r = readAll(mock.uri(QStringLiteral("py")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 2);
        QCOMPARE(r.events[0].type, QStringLiteral("CartUpdated"));
        QCOMPARE(r.events[0].data, QByteArray(R"({"items":[1,2],"price":9.90})"));
        QCOMPARE(r.events[0].time, kT0);
        QCOMPARE(r.events[1].type, QStringLiteral("$tombstone"));
    }

    void schemaRegistry()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("avro", 1));
        const QByteArray avroBody = avroLong(7) + "order-7" + avroLong(-3); // {"id":"order-7","qty":-3}
        QVERIFY(mock.produce({msg("avro", 0, "k", wire(1, avroBody), kT0),
                              msg("avro", 0, "k", wire(2, R"({"a":1.50})"), kT0 + 1),
                              msg("avro", 0, "k", wire(99, avroBody), kT0 + 2),
                              msg("avro", 0, "k", wire(1, QByteArray("\x09", 1)), kT0 + 3)})); // truncated
        QTemporaryDir dir;
        QFile f(dir.filePath("schemas.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            R"({"1":{"schema":"{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"qty\",\"type\":\"long\"}]}"},
                    "2":{"schemaType":"JSON","schema":"{\"type\":\"object\"}"}})");
        f.close();
        QProcess reg;
        reg.start(QStringLiteral("python3"),
                  {QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/tests/fixtures/kafka_schema_registry.py"),
                   f.fileName()});
        QVERIFY(reg.waitForReadyRead(10000));
        const QByteArray line = reg.readLine().trimmed();
        QVERIFY2(line.startsWith("PORT "), line.constData());
        const QString registry = QStringLiteral("http://127.0.0.1:") + QString::fromLatin1(line.mid(5));
        // Without a registry: detected and shown as such.
        ReadResult plain = readAll(mock.uri(QStringLiteral("avro")));
        QVERIFY2(plain.ok, qPrintable(plain.error));
        QCOMPARE(obj(plain.events[0].metadata).value("valueFormat").toString(),
                 QStringLiteral("confluent-wire-format"));
        QCOMPARE(obj(plain.events[0].metadata).value("schemaId").toInt(), 1);
        QVERIFY(!plain.events[0].dataIsJson);
        // With one: Avro and JSON Schema decoded; an unknown id and a bad value stay undecoded, with why.
        ReadResult r = readAll(mock.uri(QStringLiteral("avro?schemaRegistry=") + registry));
        reg.closeWriteChannel();
        reg.waitForFinished(5000);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 4);
        QCOMPARE(r.events[0].data, QByteArray(R"({"id":"order-7","qty":-3})"));
        QCOMPARE(obj(r.events[0].metadata).value("valueFormat").toString(), QStringLiteral("confluent-avro"));
        QCOMPARE(r.events[1].data, QByteArray(R"({"a":1.50})"));
        QVERIFY(obj(r.events[2].metadata).value("undecoded").toString().contains("99"));
        QVERIFY(!r.events[3].dataIsJson);
        QVERIFY(obj(r.events[3].metadata).value("undecoded").toString().contains("Avro"));
    }

    void faults_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no broker") << "nobroker"
                                   << "no Kafka broker answers";
        QTest::newRow("topic not found") << "missing"
                                         << "does not exist";
        QTest::newRow("unauthorised topic") << "unauthorised"
                                            << "not authorised to read the topic 'secret'";
        QTest::newRow("SASL failure") << "sasl"
                                      << "SASL authentication failed";
        QTest::newRow("TLS failure") << "tls"
                                     << "TLS handshake failed";
        QTest::newRow("group.id refused") << "group"
                                          << "read-only";
        QTest::newRow("bad setting") << "badkey"
                                     << "no.such.setting";
    }

    void faults()
    {
        QFETCH(QString, what);
        QFETCH(QString, expected);
        QString uri;
        QTcpServer closed;
        if (what == u"nobroker") {
            QVERIFY(closed.listen(QHostAddress::LocalHost));
            const quint16 port = closed.serverPort();
            closed.close(); // a port nothing listens on
            uri = QStringLiteral("kafka://127.0.0.1:%1/orders?timeout=3000").arg(port);
        } else if (what == u"missing") {
            uri = m_mock->uri(QStringLiteral("nope"));
        } else if (what == u"unauthorised") {
            QVERIFY(m_mock->createTopic("secret", 1));
            rd_kafka_mock_topic_set_error(m_mock->cluster(), "secret",
                                          RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
            uri = m_mock->uri(QStringLiteral("secret"));
        } else if (what == u"sasl") {
            // The mock has no SASL: a SASL client meets a broker that does not offer it.
            uri = m_mock
                      ->uri(QStringLiteral(
                          "orders?security.protocol=SASL_PLAINTEXT&sasl.mechanism=PLAIN&timeout=4000"))
                      .replace(QLatin1String("kafka://"), QLatin1String("kafka://alice:wrong@"));
        } else if (what == u"tls") {
            // A TLS client against the plain-text mock broker.
            uri = m_mock->uri(QStringLiteral("orders?security.protocol=SSL&timeout=4000"));
        } else if (what == u"group") {
            uri = m_mock->uri(QStringLiteral("orders?group.id=mine"));
        } else if (what == u"badkey") {
            uri = m_mock->uri(QStringLiteral("orders?no.such.setting=1"));
        }
        QElapsedTimer t;
        t.start();
        const ReadResult r = readAll(uri);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(expected), qPrintable(r.error));
        QVERIFY2(!r.error.contains(QLatin1String("wrong")), qPrintable(r.error)); // never the password
        QVERIFY2(t.elapsed() < 15000, "a fault must end the read promptly");
    }

    void brokerGoesAwayMidRead()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("big", 1));
        // Many small producer batches: the mock fetches whole batches, so one batch would be one fetch.
        for (int b = 0; b < 100; ++b) {
            QList<Message> ms;
            for (int i = b * 10; i < b * 10 + 10; ++i)
                ms << msg("big", 0, "k", "{\"i\":" + QByteArray::number(i) + '}', kT0 + i);
            QVERIFY(mock.produce(ms));
        }
        QTemporaryDir dir;
        const QString path = dir.filePath("cache.chronoscope");
        RemoteFetchOptions o;
        o.live = true;
        o.firstPage = 10;
        o.pageSize = 10;
        int pages = 0;
        o.committed = [&](qint64, qint64) {
            if (++pages == 1) rd_kafka_mock_broker_set_down(mock.cluster(), 1);
        };
        // Small fetches so the read cannot have everything before the broker goes.
        RemoteFetchResult r;
        fetchRemote(mock.uri(QStringLiteral(
                        "big?timeout=2000&fetch.max.bytes=2000&message.max.bytes=1000&max.partition.fetch."
                        "bytes=200&queued.max.messages.kbytes=1&queued.min.messages=1")),
                    path, o, &r);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.contains(QLatin1String("what was read is kept")), qPrintable(r.error));
        QVERIFY(r.events > 0);
        QVERIFY(r.events < 1000);
        QString err;
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        QCOMPARE(reader->info().events, r.events);
    }

    void truncatedWhileReadingIsReported()
    {
        kafkatest::MockCluster mock;
        QVERIFY(mock.createTopic("ret", 1));
        QList<Message> ms;
        for (int i = 0; i < 20; ++i)
            ms << msg("ret", 0, "k", "{}", kT0 + i);
        QVERIFY(mock.produce(ms));
        // The broker answers the first fetch "offset out of range", as it does when retention removed it.
        rd_kafka_resp_err_t errs[] = {RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE};
        rd_kafka_mock_push_request_errors_array(mock.cluster(), Fetch, 1, errs);
        const ReadResult r = readAll(mock.uri(QStringLiteral("ret")));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.events.size(), 20);
        QCOMPARE(r.warnings.size(), 1);
        QVERIFY2(r.warnings[0].contains(QLatin1String("ret/0")), qPrintable(r.warnings[0]));
    }

    void passwordNeverShown()
    {
        const QString uri = m_mock->uri(QStringLiteral("orders?sasl.password=hunter2&sasl.username=u"));
        const QString shown = redactUri(uri);
        QVERIFY(!shown.contains(QLatin1String("hunter2")));
        QVERIFY(shown.contains(m_mock->bootstrap())); // every broker of the list stays
        const QString withUser = QStringLiteral("kafka://u:hunter2@127.0.0.1:1,127.0.0.1:2/t");
        QCOMPARE(redactUri(withUser), QStringLiteral("kafka://u@127.0.0.1:1,127.0.0.1:2/t"));
    }

    void cli_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("info") << QStringList{"info"} << QByteArray("\"events\":8");
        QTest::newRow("streams") << QStringList{"streams"} << QByteArray("order-4");
        QTest::newRow("events") << QStringList{"events"} << QByteArray("OrderPaid");
        QTest::newRow("state") << QStringList{"state", "", "--stream", "order-2"}
                               << QByteArray("\"total\":2.50");
        QTest::newRow("capture") << QStringList{"capture", "", "-o", "@/capture.chronoscope"}
                                 << QByteArray("");
    }

    void cli()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, expected);
        QTemporaryDir cache;
        const QString uri = m_mock->uri(QStringLiteral("orders"));
        if (args.size() > 1 && args[1].isEmpty())
            args[1] = uri;
        else
            args.insert(1, uri);
        for (QString& a : args)
            a.replace(u'@', cache.path());
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CHRONOSCOPE_CACHE_DIR"), cache.path());
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli"), args);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput();
        QVERIFY2(p.exitCode() == 0, (out + p.readAllStandardError()).constData());
        QVERIFY2(out.contains(expected), out.constData());
        if (args[0] == u"capture") {
            QString err;
            auto reader =
                SqliteStoreReader::open(cache.path() + QStringLiteral("/capture.chronoscope"), &err);
            QVERIFY2(reader, qPrintable(err));
            QCOMPARE(reader->info().events, 8);
        }
    }
};

#else
// Built without librdkafka: kafka:// URIs must say so (the stub in core/sources/kafka/kafkaunavailable.cpp).
class TestKafka : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void withoutLibrdkafkaTheErrorSaysSo()
    {
        QList<chronoscope::KafkaTopicInfo> topics;
        QString error;
        QVERIFY(!chronoscope::listKafkaTopics(QStringLiteral("kafka://127.0.0.1:9092/t"), &topics, &error));
        QVERIFY2(error.contains(QLatin1String("no Kafka support")), qPrintable(error));
    }
};
#endif

QTEST_GUILESS_MAIN(TestKafka)
#include "tst_kafka.moc"
