// EventSourcingDB over its HTTP API, against the mock server tests/fixtures/mock_eventsourcingdb.py
// (EventSourcingDB cannot run here): NDJSON read-events with heartbeats and error lines, subjects as
// streams, observe-events tail, bearer token, the hash chain checked, and injected faults.

#include "sources/remote/remoteclient.h"

#include "fixtures/mockserver.h"
#include "fixtures/watchdog.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <thread>

using namespace chronoscope;
using testing::MockServer;

class TestRemoteEventSourcingDbMock : public QObject
{
    Q_OBJECT

    MockServer m_server;
    QStringList m_subjects;  // by id
    TimeMs m_base = 0;

    QString uri(const QString& query = QStringLiteral("?token=secret-token")) const
    {
        return QStringLiteral("eventsourcingdb://127.0.0.1:%1%2").arg(m_server.port()).arg(query);
    }
    std::unique_ptr<RemoteClient> client(const QString& u, QString* error)
    {
        RemoteEndpoint ep;
        if (!RemoteEndpoint::parse(u, &ep, error))
            return nullptr;
        return createRemoteClient(ep, error);
    }
    static QList<Event> readAll(RemoteClient* c, const RemoteScope& scope, bool* ok, QString* error)
    {
        QList<Event> out;
        *ok = c->read(scope, [&](const QList<Event>& page) { out += page; return true; }, error);
        return out;
    }
    void configure(const QJsonObject& cfg) { m_server.post(QStringLiteral("/_mock/config"), QJsonDocument(cfg)); }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_server.start(QStringLiteral("mock_eventsourcingdb.py"), {}, &error), qPrintable(error));
        m_base = *parseTime(u"2026-01-05T10:00:00Z");
        QJsonArray items;
        for (int i = 0; i < 30; ++i) {
            const QString subject = i % 3 == 0 ? QStringLiteral("/books/%1").arg(i % 4) : QStringLiteral("/readers/%1").arg(i % 2);
            m_subjects << subject;
            items.append(QJsonObject{{QStringLiteral("subject"), subject},
                                     {QStringLiteral("type"), QStringLiteral("io.example.happened")},
                                     {QStringLiteral("data"), QJsonObject{{QStringLiteral("i"), i}, {QStringLiteral("title"), QStringLiteral("<b>Caf\u00e9</b> & \"tea\"")}}}});
        }
        m_server.post(QStringLiteral("/_mock/append"), QJsonDocument(items));
    }

    void init() { configure({{QStringLiteral("heartbeatEvery"), 4}}); }

    void scope_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<int>("sinceSec");
        QTest::addColumn<int>("untilSec");
        QTest::addColumn<int>("last");
        QTest::newRow("everything") << "" << -1 << -1 << -1;
        QTest::newRow("one subject") << "/books/2" << -1 << -1 << -1;
        QTest::newRow("subject tree") << "/books/*" << -1 << -1 << -1;
        QTest::newRow("glob") << "/*/1" << -1 << -1 << -1;
        QTest::newRow("since") << "" << 10 << -1 << -1;
        QTest::newRow("since on a subject") << "/readers/1" << 14 << -1 << -1;
        QTest::newRow("since after the last") << "" << 1000 << -1 << -1;
        QTest::newRow("since and until") << "/books/*" << 4 << 20 << -1;
        QTest::newRow("until") << "/readers/*" << -1 << 12 << -1;
        QTest::newRow("last") << "" << -1 << -1 << 7;
        QTest::newRow("last of a subject") << "/readers/0" << -1 << -1 << 3;
        QTest::newRow("last in a window") << "" << 3 << 20 << 5;
        QTest::newRow("last 0") << "" << -1 << -1 << 0;
    }

    void scope()
    {
        QFETCH(QString, streams);
        QFETCH(int, sinceSec);
        QFETCH(int, untilSec);
        QFETCH(int, last);
        RemoteScope s;
        s.streams = streams;
        // The mock stamps event i at base + i seconds + (i * 1000 + 123) ns.
        s.since = sinceSec >= 0 ? m_base + sinceSec * 1000 : kNoTime;
        s.until = untilSec >= 0 ? m_base + untilSec * 1000 : kNoTime;
        s.last = last;
        QList<qint64> want;
        for (int i = 0; i < m_subjects.size(); ++i) {
            if (!streams.isEmpty() && !globMatch(streams, m_subjects[i]))
                continue;
            const TimeMs t = m_base + i * 1000;
            if (s.since != kNoTime && t < s.since)
                continue;
            if (s.until != kNoTime && t > s.until)
                continue;
            want << i + 1;
        }
        if (last >= 0)
            want = want.mid(std::max<qsizetype>(0, want.size() - last));
        QString error;
        auto c = client(uri(), &error);
        c->setPageSize(2, 3);
        bool ok = false;
        QList<qint64> got;
        for (const Event& e : readAll(c.get(), s, &ok, &error))
            got << e.position;
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got, want);
    }

    void eventsAndHashChain()
    {
        configure({{QStringLiteral("tamper"), 5}, {QStringLiteral("breakChain"), 8}, {QStringLiteral("heartbeatEvery"), 2}});
        QString error;
        auto c = client(uri(), &error);
        bool ok = false;
        const QList<Event> got = readAll(c.get(), {}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), 30);
        for (const Event& e : got) {
            const QJsonObject meta = QJsonDocument::fromJson(e.metadata).object();
            const QString broken = meta.value(QStringLiteral("chainBroken")).toString();
            if (e.id == u"5")
                QVERIFY2(broken.contains(QLatin1String("hash does not match")), qPrintable(broken));
            else if (e.id == u"8")
                QVERIFY2(broken.contains(QLatin1String("predecessorhash")), qPrintable(broken));
            else
                QVERIFY2(broken.isEmpty(), qPrintable(e.id + u' ' + broken));
            QCOMPARE(meta.value(QStringLiteral("source")).toString(), QStringLiteral("https://library.example"));
            QCOMPARE(meta.value(QStringLiteral("hash")).toString().size(), 64);
        }
        const Event& e = got[3];
        QCOMPARE(e.position, qint64(4));
        QCOMPARE(e.id, QStringLiteral("3"));
        QCOMPARE(e.stream, QStringLiteral("/books/3"));
        QCOMPARE(e.version, qint64(0));
        QCOMPARE(e.type, QStringLiteral("io.example.happened"));
        QCOMPARE(formatTime(e.time), QStringLiteral("2026-01-05T10:00:03.000Z"));
        QCOMPARE(QJsonDocument::fromJson(e.data).object().value(QStringLiteral("title")).toString(), QStringLiteral("<b>Caf\u00e9</b> & \"tea\""));
        QCOMPARE(got[15].stream, QStringLiteral("/books/3"));
        QCOMPARE(got[15].version, qint64(1));  // 0-based per subject, in the order read
        QCOMPARE(got[27].stream, QStringLiteral("/books/3"));
        QCOMPARE(got[27].version, qint64(2));
    }

    void tailObservesNewEvents()
    {
        configure({{QStringLiteral("heartbeatSeconds"), 0.1}});
        QString error;
        auto c = client(uri(), &error);
        RemoteScope s;
        s.streams = QStringLiteral("/live/*");
        bool ok = false;
        QCOMPARE(readAll(c.get(), s, &ok, &error).size(), 0);
        QVERIFY2(ok, qPrintable(error));
        std::thread writer([this] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            MockServer::appendFromThread(m_server.port(), R"([{"subject":"/live/1","type":"x","data":{"n":1}},{"subject":"/other","type":"x","data":{}},{"subject":"/live/2","type":"x","data":{"n":2}}])");
        });
        QList<Event> got;
        ok = c->tail([&](const QList<Event>& page) { got += page; return got.size() < 2; }, &error);
        writer.join();
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), 2);
        QCOMPARE(got[0].stream, QStringLiteral("/live/1"));
        QCOMPARE(got[1].data, QByteArray("{\"n\":2}"));
        QVERIFY(m_server.get(QStringLiteral("/_mock/stats")).object().value(QStringLiteral("observes")).toInt() >= 1);
        // Cancel ends the observation at once.
        const qint64 reaction = testing::cancelReaction(c.get(), 300, [&] { ok = c->tail([](const QList<Event>&) { return true; }, &error); });
        QVERIFY(ok);
        QVERIFY2(reaction >= 0 && reaction < testing::kCancelReactionMs, qPrintable(QStringLiteral("%1 ms").arg(reaction)));
    }

    void brokenConnectionsResume_data()
    {
        QTest::addColumn<QJsonObject>("config");
        QTest::newRow("server stops mid-line") << QJsonObject{{QStringLiteral("truncateAfter"), 7}};
        QTest::newRow("server hangs up between lines") << QJsonObject{{QStringLiteral("dropAfter"), 11}};
    }

    void brokenConnectionsResume()
    {
        QFETCH(QJsonObject, config);
        configure(config);
        QString error;
        auto c = client(uri(QStringLiteral("?token=secret-token&retries=2")), &error);
        bool ok = false;
        const QList<Event> got = readAll(c.get(), RemoteScope{QStringLiteral("/[br]*")}, &ok, &error);  // the 30 of initTestCase
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), 30);  // every event once: resumed after the last id read
        for (int i = 0; i < got.size(); ++i)
            QCOMPARE(got[i].position, qint64(i + 1));
    }

    void faults_data()
    {
        QTest::addColumn<QJsonObject>("config");
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("expect");
        QTest::addColumn<int>("kept");
        QTest::newRow("no token") << QJsonObject{} << "" << "needs an API token" << 0;
        QTest::newRow("wrong token (401)") << QJsonObject{} << "?token=Wr0ng-tok" << "refused the API token" << 0;
        QTest::newRow("error line") << QJsonObject{{QStringLiteral("errorAfter"), 4}} << "?token=secret-token" << "disk quota exceeded" << 4;
        QTest::newRow("invalid JSON line") << QJsonObject{{QStringLiteral("invalidAfter"), 6}} << "?token=secret-token" << "not valid JSON" << 6;
        QTest::newRow("HTTP 500") << QJsonObject{{QStringLiteral("status"), 500}} << "?token=secret-token&retries=1" << "HTTP 500" << 0;
        QTest::newRow("HTTP 403") << QJsonObject{{QStringLiteral("status"), 403}} << "?token=secret-token" << "HTTP 403" << 0;
        QTest::newRow("slow server") << QJsonObject{{QStringLiteral("delay"), 2}} << "?token=secret-token&timeout=300&retries=1" << "did not answer" << 0;
        QTest::newRow("connection refused") << QJsonObject{} << "PORT1" << "connection refused" << 0;
        QTest::newRow("dns failure") << QJsonObject{} << "DNS" << "could not be found" << 0;
        QTest::newRow("endless line, per-event limit") << QJsonObject{{QStringLiteral("endlessLineAfter"), 3}}
                                                       << "?token=secret-token&retries=0&maxEvent=1M"
                                                       << "longer than the per-event limit of 1 MiB" << 3;
        QTest::newRow("truncated mid-line, no retries") << QJsonObject{{QStringLiteral("truncateAfter"), 5}} << "?token=secret-token&retries=0" << "kept" << 5;
    }

    void faults()
    {
        QFETCH(QJsonObject, config);
        QFETCH(QString, query);
        QFETCH(QString, expect);
        QFETCH(int, kept);
        configure(config);
        QString u = uri(query);
        if (query == u"PORT1")
            u = QStringLiteral("eventsourcingdb://127.0.0.1:1?token=x&retries=0");
        else if (query == u"DNS")
            u = QStringLiteral("eventsourcingdb://no-such-host.invalid:3000?token=x&retries=0");
        qunsetenv("CHRONOSCOPE_TOKEN");
        QString error;
        auto c = client(u, &error);
        c->setPageSize(1, 1);
        QList<Event> got;
        QElapsedTimer t;
        t.start();
        const bool ok = c->connect(&error) && c->read({}, [&](const QList<Event>& p) { got += p; return true; }, &error);
        QVERIFY(!ok);
        QVERIFY2(error.contains(expect), qPrintable(error));
        QVERIFY(!error.contains(QLatin1String("Wr0ng-tok")));
        QCOMPARE(got.size(), kept);
        QVERIFY2(t.elapsed() < 8000, "faults are reported in seconds");
    }

    void tokenFromEnvironment()
    {
        qputenv("CHRONOSCOPE_TOKEN", "secret-token");
        QString error;
        auto c = client(uri(QString()), &error);
        qunsetenv("CHRONOSCOPE_TOKEN");
        QVERIFY2(c->connect(&error), qPrintable(error));
        QVERIFY(!c->describe().contains(QLatin1String("secret-token")));
    }
};

QTEST_GUILESS_MAIN(TestRemoteEventSourcingDbMock)
#include "tst_remote_eventsourcingdb_mock.moc"
