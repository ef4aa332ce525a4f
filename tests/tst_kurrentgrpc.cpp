// KurrentDB over gRPC against the stand-in (tests/fixtures/kurrentgrpc_standin.mjs, started by ctest through
// tests/fixtures/remote_kurrentgrpc.sh): reads of a stream, $all, $ce- with links resolved, scopes, server
// filters, binary payloads, numbers as written, +discover with a dead seed, TLS with a CA made by openssl,
// the live subscription (resubscribe after a lost connection, error when the server drops it), every
// error of the issue's item 6 (exit 2 through the CLI), and the CLI commands on a kurrentdb:// URI.

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"

#include "fixtures/remotefixture.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace chronoscope;

namespace {

const QString kCli = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli");

QString fileText(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).trimmed() : QString();
}

} // namespace

class TestKurrentGrpc : public QObject
{
    Q_OBJECT

    int m_port = 0;
    int m_tlsPort = 0;
    int m_livePort = 0;
    int m_control = 0;
    int m_http1Port = 0;
    QString m_ca;
    QString m_skip;

    QString plain(const QString& query = {}, const QString& creds = QStringLiteral("admin:changeit@")) const
    {
        return QStringLiteral("kurrentdb://") + creds + QStringLiteral("127.0.0.1:%1?tls=false").arg(m_port) +
               query;
    }
    QString secure(const QString& creds, const QString& query = {}) const
    {
        return QStringLiteral("kurrentdb://") + creds +
               QStringLiteral("127.0.0.1:%1?tlsCaFile=").arg(m_tlsPort) +
               QString::fromLatin1(QUrl::toPercentEncoding(m_ca)) + query;
    }
    QString live(const QString& query = {}) const
    {
        return QStringLiteral("kurrentdb://admin:changeit@127.0.0.1:%1?tls=false").arg(m_livePort) + query;
    }

    static std::unique_ptr<RemoteClient> client(const QString& uri, QString* error)
    {
        RemoteEndpoint ep;
        if (!RemoteEndpoint::parse(uri, &ep, error)) return nullptr;
        return createRemoteClient(ep, error);
    }
    static QList<Event> read(const QString& uri, const RemoteScope& scope, bool* ok, QString* error,
                             RemoteClient** keep = nullptr)
    {
        QList<Event> out;
        static std::unique_ptr<RemoteClient> kept;
        auto c = client(uri, error);
        *ok = false;
        if (!c) return out;
        c->setPageSize(2, 3); // small pages: the paging itself is under test
        *ok = c->connect(error) && c->read(
                                       scope,
                                       [&](const QList<Event>& p) {
                                           out += p;
                                           return true;
                                       },
                                       error);
        if (keep) {
            kept = std::move(c);
            *keep = kept.get();
        }
        return out;
    }
    static QStringList names(const QList<Event>& events)
    {
        QStringList out;
        for (const Event& e : events)
            out << e.stream + u'/' + QString::number(e.version) + u'/' + e.type;
        return out;
    }
    bool control(const QString& path, const QJsonObject& body, QJsonObject* answer = nullptr)
    {
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_control).arg(path)));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        QNetworkReply* r = nam.post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
        QEventLoop loop;
        QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const QByteArray bytes = r->readAll();
        r->deleteLater();
        if (answer) *answer = QJsonDocument::fromJson(bytes).object();
        return r->error() == QNetworkReply::NoError;
    }
    struct CliResult
    {
        int exit = -1;
        QByteArray out;
        QByteArray err;
    };
    static CliResult cli(const QStringList& args, const QString& cacheDir)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CHRONOSCOPE_CACHE_DIR"), cacheDir);
        p.setProcessEnvironment(env);
        p.start(kCli, args);
        p.waitForFinished(60000);
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
                p.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
#ifndef CHRONOSCOPE_TEST_HAVE_GRPC
        QSKIP("this build has no gRPC client (gRPC C++ was not found)");
#endif
        QString error;
        m_port = testing::remoteFixturePort(QStringLiteral("kurrentgrpc"), &error);
        const QString dir = testing::remoteFixtureDir(QStringLiteral("kurrentgrpc"));
        m_skip = fileText(dir + QStringLiteral("/skip-reason.txt"));
        if (!m_skip.isEmpty()) QSKIP(qPrintable(m_skip));
        QVERIFY2(m_port > 0, qPrintable(error));
        m_tlsPort = fileText(dir + QStringLiteral("/port-tls")).toInt();
        m_livePort = fileText(dir + QStringLiteral("/port-live")).toInt();
        m_control = fileText(dir + QStringLiteral("/control-live")).toInt();
        m_http1Port = fileText(dir + QStringLiteral("/port-http1")).toInt();
        m_ca = dir + QStringLiteral("/ca.pem");
        QVERIFY(m_tlsPort > 0 && m_livePort > 0 && m_control > 0 && m_http1Port > 0);
        QVERIFY(QFile::exists(m_ca));
    }

    void readsAStream()
    {
        bool ok = false;
        QString error;
        RemoteClient* c = nullptr;
        const auto events = read(plain(), RemoteScope{QStringLiteral("order-1")}, &ok, &error, &c);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(c->layout(), QStringLiteral("kurrentdb-grpc"));
        QVERIFY2(c->describe().contains(QLatin1String("24.10.0-standin")),
                 qPrintable(c->describe())); // ServerFeatures
        QCOMPARE(names(events), (QStringList{QStringLiteral("order-1/0/OrderPlaced"),
                                             QStringLiteral("order-1/1/OrderPaid")}));
        const Event& e = events.first();
        // Numbers shown as stored: the JSON text as written.
        QCOMPARE(e.data,
                 QByteArray(R"({"orderId":"o-1","total":1.10,"qty":1e2,"big":12345678901234567890})"));
        QVERIFY(e.dataIsJson);
        QCOMPARE(e.correlationId(), QStringLiteral("corr-1"));
        QCOMPARE(e.causationId(), QStringLiteral("cause-0"));
        QCOMPARE(e.time, *parseTime(u"2026-01-05T10:00:00Z"));
        QCOMPARE(e.id.size(), 36);
        const QJsonObject meta = QJsonDocument::fromJson(e.metadata).object();
        QCOMPARE(meta.value(QStringLiteral("user")).toString(), QStringLiteral("ann"));
        const QJsonObject k = meta.value(QStringLiteral("kurrentdb")).toObject();
        QCOMPARE(qint64(k.value(QStringLiteral("preparePosition")).toDouble()) + 1, e.position);
        QVERIFY(k.contains(QStringLiteral("commitPosition")));
        QCOMPARE(k.value(QStringLiteral("contentType")).toString(), QStringLiteral("application/json"));
        QVERIFY(events[1].position > events[0].position);
    }

    void scopes_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("streams");
        QTest::addColumn<QString>("since");
        QTest::addColumn<QString>("until");
        QTest::addColumn<int>("last");
        QTest::addColumn<QStringList>("expected");
        const QStringList all = {"order-1/0/OrderPlaced", "order-1/1/OrderPaid",  "payment-1/0/PaymentTaken",
                                 "order-2/0/OrderPlaced", "blob-1/0/Thumbnail",   "order-2/1/OrderShipped",
                                 "gone-1/0/Created",      "order-3/0/OrderPlaced"};
        QTest::newRow("$all without system streams") << ""
                                                     << ""
                                                     << ""
                                                     << "" << -1 << all;
        QTest::newRow("glob pushed as a stream prefix")
            << ""
            << "order-*"
            << ""
            << "" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-1/1/OrderPaid", "order-2/0/OrderPlaced",
                           "order-2/1/OrderShipped", "order-3/0/OrderPlaced"};
        QTest::newRow("glob with a set")
            << ""
            << "order-[!2]"
            << ""
            << "" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-1/1/OrderPaid", "order-3/0/OrderPlaced"};
        QTest::newRow("$ce- with links resolved")
            << ""
            << "$ce-order"
            << ""
            << "" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-1/1/OrderPaid", "order-2/0/OrderPlaced",
                           "order-2/1/OrderShipped", "order-3/0/OrderPlaced"};
        QTest::newRow("$et- with links resolved")
            << ""
            << "$et-OrderPlaced"
            << ""
            << "" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-2/0/OrderPlaced", "order-3/0/OrderPlaced"};
        QTest::newRow("last N of a glob")
            << ""
            << "order-*"
            << ""
            << "" << 2 << QStringList{"order-2/1/OrderShipped", "order-3/0/OrderPlaced"};
        QTest::newRow("last N of a stream") << ""
                                            << "order-1"
                                            << ""
                                            << "" << 1 << QStringList{"order-1/1/OrderPaid"};
        QTest::newRow("last 0") << ""
                                << ""
                                << ""
                                << "" << 0 << QStringList{};
        QTest::newRow("since on a stream (bisection)") << ""
                                                       << "order-2"
                                                       << "2026-01-05T10:05:00Z"
                                                       << "" << -1 << QStringList{"order-2/1/OrderShipped"};
        QTest::newRow("until stops $all")
            << ""
            << ""
            << ""
            << "2026-01-05T10:02:00Z" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-1/1/OrderPaid", "payment-1/0/PaymentTaken"};
        QTest::newRow("since and last")
            << ""
            << ""
            << "2026-01-05T10:03:00Z"
            << "" << 10
            << QStringList{"order-2/0/OrderPlaced", "blob-1/0/Thumbnail", "order-2/1/OrderShipped",
                           "gone-1/0/Created", "order-3/0/OrderPlaced"};
        QTest::newRow("server filter: type prefix")
            << "&typePrefix=OrderP"
            << ""
            << ""
            << "" << -1
            << QStringList{"order-1/0/OrderPlaced", "order-1/1/OrderPaid", "order-2/0/OrderPlaced",
                           "order-3/0/OrderPlaced"};
        QTest::newRow("server filter: type regex") << "&typeRegex=Shipped$"
                                                   << ""
                                                   << ""
                                                   << "" << -1 << QStringList{"order-2/1/OrderShipped"};
        QTest::newRow("server filter: stream regex") << "&streamRegex=%5Epay"
                                                     << ""
                                                     << ""
                                                     << "" << -1 << QStringList{"payment-1/0/PaymentTaken"};
        QTest::newRow("system streams when asked")
            << "&system=true&typeRegex=%5E%5C%24stats"
            << ""
            << ""
            << "" << -1 << QStringList{"$stats-127.0.0.1:2113/0/$statsCollected"};
    }

    void scopes()
    {
        QFETCH(QString, query);
        QFETCH(QString, streams);
        QFETCH(QString, since);
        QFETCH(QString, until);
        QFETCH(int, last);
        QFETCH(QStringList, expected);
        RemoteScope s;
        s.streams = streams;
        if (!since.isEmpty()) s.since = *parseTime(since);
        if (!until.isEmpty()) s.until = *parseTime(until);
        s.last = last;
        bool ok = false;
        QString error;
        const auto events = read(plain(query), s, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(names(events), expected);
        for (qsizetype i = 1; i < events.size(); ++i)
            QVERIFY(events[i].position > events[i - 1].position); // the order of $all
    }

    void linksKeptInMetadata()
    {
        bool ok = false;
        QString error;
        const auto events = read(plain(), RemoteScope{QStringLiteral("$ce-order")}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(!events.isEmpty());
        const QJsonObject link = QJsonDocument::fromJson(events[1].metadata)
                                     .object()
                                     .value(QStringLiteral("kurrentdb"))
                                     .toObject()
                                     .value(QStringLiteral("link"))
                                     .toObject();
        QCOMPARE(link.value(QStringLiteral("stream")).toString(), QStringLiteral("$ce-order"));
        QCOMPARE(link.value(QStringLiteral("revision")).toInt(), 1);
        QCOMPARE(link.value(QStringLiteral("type")).toString(), QStringLiteral("$>"));
        QCOMPARE(events[1].stream, QStringLiteral("order-1")); // shown where it lives
    }

    void binaryPayload()
    {
        bool ok = false;
        QString error;
        const auto events = read(plain(), RemoteScope{QStringLiteral("blob-1")}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(events.size(), 1);
        QVERIFY(!events[0].dataIsJson);
        QCOMPARE(events[0].data, QByteArray("\"AAEC+vv8/f7/\""));
        const QJsonObject k = QJsonDocument::fromJson(events[0].metadata)
                                  .object()
                                  .value(QStringLiteral("kurrentdb"))
                                  .toObject();
        QCOMPARE(k.value(QStringLiteral("dataSize")).toInt(), 9);
        QCOMPARE(k.value(QStringLiteral("dataEncoding")).toString(), QStringLiteral("base64"));
        QCOMPARE(k.value(QStringLiteral("contentType")).toString(),
                 QStringLiteral("application/octet-stream"));
    }

    void discover_data()
    {
        QTest::addColumn<QString>("scheme");
        QTest::newRow("kurrentdb+discover") << "kurrentdb+discover";
        QTest::newRow("esdb+discover") << "esdb+discover";
        QTest::newRow("several hosts without +discover") << "esdb";
    }

    void discover()
    {
        QFETCH(QString, scheme);
        // The first seed is dead: gossip moves on to the next, which names itself the leader.
        const QString uri =
            QStringLiteral("%1://admin:changeit@127.0.0.1:1,127.0.0.1:%2?tls=false&nodePreference=leader")
                .arg(scheme)
                .arg(m_port);
        bool ok = false;
        QString error;
        RemoteClient* c = nullptr;
        const auto events = read(uri, RemoteScope{QStringLiteral("order-1")}, &ok, &error, &c);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(events.size(), 2);
        QVERIFY2(c->describe().contains(QLatin1String("chosen by gossip")), qPrintable(c->describe()));
    }

    void discoverFindsNoMember()
    {
        bool ok = false;
        QString error;
        read(QStringLiteral("kurrentdb+discover://"
                            "127.0.0.1:1,127.0.0.1:2?tls=false&maxDiscoverAttempts=2&discoveryInterval=10"),
             {}, &ok, &error);
        QVERIFY(!ok);
        QVERIFY2(error.contains(QLatin1String("no cluster member found by gossip")) &&
                     error.contains(QLatin1String("127.0.0.1:2")),
                 qPrintable(error));
    }

    void tls_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("plainServer");
        QTest::addColumn<QString>("expect"); // empty: the read works
        QTest::newRow("verified with the test CA") << "?tlsCaFile=CA" << false << "";
        QTest::newRow("tls=true is the default: CA not given") << "" << false << "could not be verified";
        QTest::newRow("tlsVerifyCert=false written by the user") << "?tlsVerifyCert=false" << false << "";
        QTest::newRow("plaintext to a TLS server") << "?tls=false" << false << "speaks TLS";
        QTest::newRow("TLS to a plaintext server") << "?tlsCaFile=CA" << true << "does not speak TLS";
        QTest::newRow("unreadable CA file")
            << "?tlsCaFile=%2Fnonexistent%2Fca.pem" << false << "cannot be read";
    }

    void tls()
    {
        QFETCH(QString, query);
        QFETCH(bool, plainServer);
        QFETCH(QString, expect);
        query.replace(QLatin1String("CA"), QString::fromLatin1(QUrl::toPercentEncoding(m_ca)));
        const QString uri = QStringLiteral("kurrentdb://admin:changeit@127.0.0.1:%1%2")
                                .arg(plainServer ? m_port : m_tlsPort)
                                .arg(query);
        bool ok = false;
        QString error;
        RemoteClient* c = nullptr;
        const auto events = read(uri, RemoteScope{QStringLiteral("order-1")}, &ok, &error, &c);
        if (expect.isEmpty()) {
            QVERIFY2(ok, qPrintable(error));
            QCOMPARE(events.size(), 2);
            // An unverified certificate is never silent: the description (status bar) says so.
            QCOMPARE(c->describe().contains(QLatin1String("NOT verified")),
                     query.contains(QLatin1String("tlsVerifyCert=false")));
        } else {
            QVERIFY(!ok);
            QVERIFY2(error.contains(expect), qPrintable(error));
            QVERIFY(events.isEmpty());
        }
    }

    void errors_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("streams");
        QTest::addColumn<QString>("expect");
        QTest::newRow("no server") << "kurrentdb://127.0.0.1:1?tls=false"
                                   << ""
                                   << "no server at 127.0.0.1:1 (connection refused)";
        QTest::newRow("HTTP/1 only") << "HTTP1"
                                     << ""
                                     << "speaks HTTP/1 only, not gRPC";
        QTest::newRow("wrong credentials") << "CREDS admin:wrong@"
                                           << ""
                                           << "refused the credentials of user 'admin'";
        QTest::newRow("no rights to $all") << "CREDS ops:changeit@"
                                           << ""
                                           << "user 'ops' may not read $all (access denied)";
        QTest::newRow("stream not found") << ""
                                          << "nope-1"
                                          << "there is no stream 'nope-1'";
        QTest::newRow("tombstoned stream") << ""
                                           << "gone-1"
                                           << "the stream 'gone-1' has been deleted (tombstoned)";
        QTest::newRow("three server filters at once") << "&typePrefix=a&typeRegex=b"
                                                      << ""
                                                      << "give one of streamRegex";
    }

    void errors()
    {
        QFETCH(QString, uri);
        QFETCH(QString, streams);
        QFETCH(QString, expect);
        if (uri == u"HTTP1")
            uri = QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(m_http1Port);
        else if (uri.startsWith(QLatin1String("CREDS ")))
            uri = secure(uri.mid(6)); // an insecure server checks no credentials (as KurrentDB --insecure)
        else if (!uri.startsWith(QLatin1String("kurrentdb://")))
            uri = plain(uri);
        bool ok = false;
        QString error;
        QElapsedTimer t;
        t.start();
        const auto events = read(uri, RemoteScope{streams}, &ok, &error);
        QVERIFY(!ok);
        QVERIFY2(error.contains(expect), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("changeit")) && !error.contains(QLatin1String(":wrong")),
                 qPrintable(error));
        QVERIFY(events.isEmpty());
        QVERIFY2(t.elapsed() < 10000, "errors come in seconds");
    }

    void deadlineMidReadKeepsWhatWasRead()
    {
        QVERIFY(control(QStringLiteral("/fault"), {{QStringLiteral("deadlineAfter"), 4}}));
        bool ok = false;
        QString error;
        const auto events = read(live(QStringLiteral("&defaultDeadline=600")),
                                 RemoteScope{QStringLiteral("order-*")}, &ok, &error);
        QVERIFY(control(QStringLiteral("/fault"), {}));
        QVERIFY(!ok);
        QVERIFY2(error.contains(QLatin1String("no answer within the deadline of 600 ms")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("are kept")), qPrintable(error));
        // Pages of 2 then 3: the first page (2), then the second page's repeat of the last event and one new
        // event were sent (4 in all) before the server stalled.
        QCOMPARE(events.size(), 3);
    }

    // Read calls ask for more than a page once the first page is in (each call is a new HTTP/2 stream: fewer of them
    // cost less CPU on both ends, docs/remote.md "Budgets"), while the pages handed on keep their size: every event
    // once, in $all order, in pages of at most the page size.
    void readCallsSpanPages()
    {
        QJsonObject answer;
        QNetworkAccessManager nam;
        for (int i = 0; i < 20; ++i)
            QVERIFY(control(QStringLiteral("/append"), {{QStringLiteral("stream"), QStringLiteral("calls-%1").arg(i % 3)},
                                                        {QStringLiteral("type"), QStringLiteral("Called")},
                                                        {QStringLiteral("data"), QJsonObject{{QStringLiteral("i"), i}}}}));
        QVERIFY(control(QStringLiteral("/reads"), {}));  // start counting
        QString error;
        auto c = client(live(), &error);
        QVERIFY2(c, qPrintable(error));
        c->setPageSize(2, 3);
        QList<qsizetype> pages;
        QList<Event> events;
        const bool ok = c->connect(&error) && c->read(
                                                  RemoteScope{QStringLiteral("calls-*")},
                                                  [&](const QList<Event>& p) {
                                                      pages << p.size();
                                                      events += p;
                                                      return true;
                                                  },
                                                  &error);
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(control(QStringLiteral("/reads"), {}, &answer));
        const QJsonArray counts = answer.value(QStringLiteral("counts")).toArray();
        // What the server holds in those streams.
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/log").arg(m_control)));
        QNetworkReply* r = nam.post(req, QByteArray("{}"));
        QEventLoop loop;
        QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        QStringList want;
        for (const QJsonValue v : QJsonDocument::fromJson(r->readAll()).array()) {
            const QJsonObject o = v.toObject();
            const QString stream = o.value(QStringLiteral("stream")).toString(), type = o.value(QStringLiteral("type")).toString();
            if (stream.startsWith(QLatin1String("calls-")))
                want << stream + u'/' + o.value(QStringLiteral("revision")).toString() + u'/' + type;
        }
        r->deleteLater();
        QCOMPARE(want.size(), 20);
        QCOMPARE(names(events), want);
        QVERIFY(!pages.isEmpty());
        QVERIFY2(pages.first() <= 2, qPrintable(QString::number(pages.first())));
        for (qsizetype n : pages)
            QVERIFY2(n >= 1 && n <= 3, qPrintable(QString::number(n)));
        // The first call asks for the first page; the next one for more than a page (plus the repeat of the
        // position it starts at): its size follows the first call's pace, a quarter of the 10 s deadline.
        QVERIFY2(counts.size() >= 2, qPrintable(QJsonDocument(counts).toJson(QJsonDocument::Compact)));
        QCOMPARE(counts.at(0).toInt(), 2);
        QVERIFY2(counts.at(1).toInt() > 3 + 1, qPrintable(QJsonDocument(counts).toJson(QJsonDocument::Compact)));
        QVERIFY2(counts.size() < pages.size(), "fewer calls than pages");
    }

    void subscriptionFollowsAndResubscribes()
    {
        QString error;
        auto c = client(live(), &error);
        QVERIFY2(c, qPrintable(error));
        QVERIFY2(c->connect(&error), qPrintable(error));
        QList<Event> got;
        QVERIFY2(c->read(
                     RemoteScope{QStringLiteral("live-*")},
                     [&](const QList<Event>& p) {
                         got += p;
                         return true;
                     },
                     &error),
                 qPrintable(error));
        const qsizetype before = got.size();
        std::atomic<int> seen{0};
        QMutex mutex;
        QList<Event> live;
        bool tailOk = false;
        QString tailError;
        std::thread follower([&] {
            tailOk = c->tail(
                [&](const QList<Event>& p) {
                    QMutexLocker l(&mutex);
                    live += p;
                    seen += int(p.size());
                    return true;
                },
                &tailError);
        });
        auto waitFor = [&](int n) {
            for (int i = 0; i < 200 && seen.load() < n; ++i)
                QTest::qWait(25);
            return seen.load() >= n;
        };
        QVERIFY(control(QStringLiteral("/append"),
                        {{QStringLiteral("stream"), QStringLiteral("live-1")},
                         {QStringLiteral("type"), QStringLiteral("Ticked")},
                         {QStringLiteral("data"), QJsonObject{{QStringLiteral("n"), 1}}}}));
        QVERIFY(waitFor(1));
        // The connection is lost after the next event: the client subscribes again from the last event.
        QVERIFY(
            control(QStringLiteral("/fault"), {{QStringLiteral("dropSubscriptionAfter"), 1},
                                               {QStringLiteral("dropHow"), QStringLiteral("unavailable")}}));
        for (int n = 2; n <= 4; ++n)
            QVERIFY(control(QStringLiteral("/append"),
                            {{QStringLiteral("stream"), QStringLiteral("live-1")},
                             {QStringLiteral("type"), QStringLiteral("Ticked")},
                             {QStringLiteral("data"), QJsonObject{{QStringLiteral("n"), n}}}}));
        QVERIFY(waitFor(4));
        QTest::qWait(200);
        {
            QMutexLocker l(&mutex);
            QStringList ns;
            for (const Event& e : live)
                ns << QString::fromUtf8(e.data);
            QCOMPARE(
                ns, (QStringList{"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"})); // no repeats, no gaps
        }
        // Now the server drops the subscription on purpose: an error, what was read is kept.
        QVERIFY(control(QStringLiteral("/fault"), {{QStringLiteral("dropSubscriptionAfter"), 1}}));
        QVERIFY(control(QStringLiteral("/append"),
                        {{QStringLiteral("stream"), QStringLiteral("live-1")},
                         {QStringLiteral("type"), QStringLiteral("Ticked")},
                         {QStringLiteral("data"), QJsonObject{{QStringLiteral("n"), 5}}}}));
        follower.join();
        QVERIFY(control(QStringLiteral("/fault"), {}));
        QVERIFY(!tailOk);
        QVERIFY2(tailError.contains(QLatin1String("subscription dropped")), qPrintable(tailError));
        QCOMPARE(seen.load(), 5);
        QVERIFY(before >= 0);
    }

    void cancelStopsTheSubscription()
    {
        QString error;
        auto c = client(live(), &error);
        QVERIFY2(c && c->connect(&error), qPrintable(error));
        QVERIFY(c->read(
            RemoteScope{QStringLiteral("nothing-*")}, [](const QList<Event>&) { return true; }, &error));
        bool tailOk = false;
        QElapsedTimer t;
        std::thread follower([&] { tailOk = c->tail([](const QList<Event>&) { return true; }, &error); });
        QTest::qWait(300);
        t.start();
        c->cancel();
        follower.join();
        QVERIFY2(tailOk, qPrintable(error)); // ending a follow is not a failure
        QVERIFY(t.elapsed() < 2000);
    }

    void cliCommands()
    {
        QTemporaryDir tmp;
        const QString uri = plain();
        const CliResult info = cli({QStringLiteral("info"), uri}, tmp.path());
        QVERIFY2(info.exit == 0, info.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(info.out).object();
        QCOMPARE(o.value(QStringLiteral("layout")).toString(), QStringLiteral("kurrentdb-grpc"));
        QCOMPARE(o.value(QStringLiteral("events")).toInt(), 8);
        QVERIFY(!info.out.contains("changeit") && !info.err.contains("changeit"));
        const CliResult streams = cli({QStringLiteral("streams"), uri}, tmp.path());
        QVERIFY2(streams.exit == 0, streams.err.constData());
        QCOMPARE(streams.out.count('\n'), 6);
        const CliResult events =
            cli({QStringLiteral("events"), uri, QStringLiteral("--stream"), QStringLiteral("order-1")},
                tmp.path());
        QVERIFY2(events.exit == 0, events.err.constData());
        QVERIFY(events.out.contains(R"("total":1.10,"qty":1e2,"big":12345678901234567890)"));
        const CliResult state =
            cli({QStringLiteral("state"), uri, QStringLiteral("--stream"), QStringLiteral("order-1")},
                tmp.path());
        QVERIFY2(state.exit == 0, state.err.constData());
        QVERIFY2(state.out.contains(R"("amount": 1.10)") || state.out.contains(R"("amount":1.10)"),
                 state.out.constData());
        const QString out = tmp.filePath(QStringLiteral("capture.chronoscope"));
        const CliResult capture =
            cli({QStringLiteral("capture"),
                 QStringLiteral("esdb://admin:changeit@127.0.0.1:%1?tls=false").arg(m_port),
                 QStringLiteral("--streams"), QStringLiteral("order-*"), QStringLiteral("-o"), out},
                tmp.path());
        QVERIFY2(capture.exit == 0, capture.err.constData());
        QCOMPARE(QJsonDocument::fromJson(capture.out).object().value(QStringLiteral("events")).toInt(), 5);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(!f.readAll().contains("changeit")); // the secret never reaches a file
        // +discover and TLS forms through the CLI too.
        const CliResult discover =
            cli({QStringLiteral("info"),
                 QStringLiteral("kurrentdb+discover://admin:changeit@127.0.0.1:1,127.0.0.1:%1?tls=false")
                     .arg(m_port)},
                tmp.path());
        QVERIFY2(discover.exit == 0, discover.err.constData());
        const CliResult tls = cli(
            {QStringLiteral("info"), QStringLiteral("kurrentdb://admin:changeit@127.0.0.1:%1?tlsCaFile=%2")
                                         .arg(m_tlsPort)
                                         .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_ca)))},
            tmp.path());
        QVERIFY2(tls.exit == 0, tls.err.constData());
    }

    void clientCertificates_data()
    {
        QTest::addColumn<QString>("query"); // after ?tlsCaFile=CA; USER/KEY/CA are the fixture's files
        QTest::addColumn<QString>("expect"); // empty: the read succeeds
        QTest::newRow("certificate and key") << "&userCertFile=USER.pem&userKeyFile=USER.key" << "";
        QTest::newRow("no certificate") << "" << "If the server requires a client certificate";
        QTest::newRow("certificate only") << "&userCertFile=USER.pem"
                                          << "both userCertFile and userKeyFile must be set";
        QTest::newRow("key file missing") << "&userCertFile=USER.pem&userKeyFile=USER.nope"
                                          << "the userKeyFile does not exist";
        QTest::newRow("not PEM") << "&userCertFile=USER.ext&userKeyFile=USER.key" << "is not a PEM file";
        QTest::newRow("plaintext") << "&tls=false&userCertFile=USER.pem&userKeyFile=USER.key" << "tls=false";
    }

    void clientCertificates()
    {
        QFETCH(QString, query);
        QFETCH(QString, expect);
        const QString dir = testing::remoteFixtureDir(QStringLiteral("kurrentgrpc"));
        const int port = fileText(dir + QStringLiteral("/port-mtls")).toInt();
        QVERIFY(port > 0);
        auto file = [&](const char* name) {
            return QString::fromLatin1(QUrl::toPercentEncoding(dir + u'/' + QLatin1String(name)));
        };
        query.replace(QStringLiteral("USER."), file("user."));
        const QString uri = QStringLiteral("kurrentdb://127.0.0.1:%1?tlsCaFile=%2").arg(port).arg(file("ca.pem")) +
                            query + QStringLiteral("&defaultDeadline=3000");
        bool ok = false;
        QString error;
        const auto events = read(uri, RemoteScope{QStringLiteral("order-1")}, &ok, &error);
        if (expect.isEmpty()) {
            QVERIFY2(ok, qPrintable(error));
            QCOMPARE(events.size(), 2);
            return;
        }
        QVERIFY(!ok);
        QVERIFY(!error.isEmpty());
        if (expect != u"*") QVERIFY2(error.contains(expect), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("BEGIN")), qPrintable(error)); // never a key's text
    }

    void serverProjections()
    {
        QTemporaryDir tmp;
        const CliResult list = cli({QStringLiteral("projections"), plain()}, tmp.path());
        QVERIFY2(list.exit == 0, list.err.constData());
        const QList<QByteArray> lines = list.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 4);
        const QJsonObject p = QJsonDocument::fromJson(lines.first()).object();
        QCOMPARE(p.value(QStringLiteral("name")).toString(), QStringLiteral("order-totals"));
        QCOMPARE(p.value(QStringLiteral("mode")).toString(), QStringLiteral("Continuous"));
        QCOMPARE(p.value(QStringLiteral("status")).toString(), QStringLiteral("Running"));
        QCOMPARE(p.value(QStringLiteral("position")).toString(), QStringLiteral("C:2000/P:2000"));
        QCOMPARE(p.value(QStringLiteral("progress")).toDouble(), 100.0);
        const CliResult state = cli({QStringLiteral("projections"), plain(), QStringLiteral("--state"),
                                     QStringLiteral("order-totals")},
                                    tmp.path());
        QVERIFY2(state.exit == 0, state.err.constData());
        const QJsonObject st = QJsonDocument::fromJson(state.out.trimmed()).object();
        QCOMPARE(st.value(QStringLiteral("count")).toInt(), 3);
        QCOMPARE(st.value(QStringLiteral("total")).toDouble(), 1.1);
        const CliResult missing =
            cli({QStringLiteral("projections"), plain(), QStringLiteral("--result"), QStringLiteral("nope")},
                tmp.path());
        QCOMPARE(missing.exit, 2);
        QVERIFY2(missing.err.contains("the server has no projection 'nope'"), missing.err.constData());
        // Server vs local: the projection's JavaScript replayed up to the server's checkpoint.
        const QString js = tmp.filePath(QStringLiteral("placed.js"));
        QFile f(js);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("fromAll().when({\n  $init: function () { return { count: 0 }; },\n"
                "  OrderPlaced: function (s, e) { s.count += 1; return s; }\n});\n");
        f.close();
        const CliResult agree = cli({QStringLiteral("projections"), plain(), QStringLiteral("--compare"),
                                     QStringLiteral("orders-placed"), QStringLiteral("--projection"), js},
                                    tmp.path());
        QVERIFY2(agree.exit == 0, agree.err.constData());
        const QJsonObject a = QJsonDocument::fromJson(agree.out.trimmed()).object();
        QVERIFY(a.value(QStringLiteral("agree")).toBool());
        QCOMPARE(a.value(QStringLiteral("local")).toObject().value(QStringLiteral("count")).toInt(),
                 2); // not 3: up to the checkpoint
        const CliResult differ =
            cli({QStringLiteral("projections"), plain(), QStringLiteral("--compare"),
                 QStringLiteral("orders-placed-stale"), QStringLiteral("--projection"), js},
                tmp.path());
        QCOMPARE(differ.exit, 3);
        const QJsonArray patch =
            QJsonDocument::fromJson(differ.out.trimmed()).object().value(QStringLiteral("patch")).toArray();
        QCOMPARE(patch.size(), 1);
        QCOMPARE(patch[0].toObject().value(QStringLiteral("path")).toString(), QStringLiteral("/count"));
        QCOMPARE(patch[0].toObject().value(QStringLiteral("value")).toInt(), 5);
        // Blamed on the local side: order-2's OrderPlaced made the local count 2.
        const QJsonArray blame =
            QJsonDocument::fromJson(differ.out.trimmed()).object().value(QStringLiteral("blame")).toArray();
        QCOMPARE(blame.size(), 1);
        const QJsonObject blamed = blame[0].toObject().value(QStringLiteral("event")).toObject();
        QCOMPARE(blamed.value(QStringLiteral("stream")).toString(), QStringLiteral("order-2"));
        QCOMPARE(blamed.value(QStringLiteral("type")).toString(), QStringLiteral("OrderPlaced"));

        // A partitioned projection: state and result per partition, compared per partition.
        const CliResult part = cli({QStringLiteral("projections"), plain(), QStringLiteral("--result"),
                                    QStringLiteral("order-events"), QStringLiteral("--partition"),
                                    QStringLiteral("order-1")},
                                   tmp.path());
        QVERIFY2(part.exit == 0, part.err.constData());
        QCOMPARE(part.out.trimmed(), QByteArray(R"({"seen":"twice"})"));
        const QString perStream = tmp.filePath(QStringLiteral("perstream.js"));
        QFile g(perStream);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write("fromCategory('order').foreachStream().when({\n"
                "  $init: function () { return { events: 0 }; },\n"
                "  $any: function (s, e) { s.events += 1; return s; }\n});\n");
        g.close();
        auto compare = [&](const QString& partition) {
            QStringList args{QStringLiteral("projections"), plain(), QStringLiteral("--compare"),
                             QStringLiteral("order-events"), QStringLiteral("--projection"), perStream};
            if (!partition.isNull()) args << QStringLiteral("--partition") << partition;
            return cli(args, tmp.path());
        };
        const CliResult one = compare(QStringLiteral("order-1"));
        QVERIFY2(one.exit == 0, one.err.constData() + one.out);
        const CliResult two = compare(QStringLiteral("order-2"));
        QCOMPARE(two.exit, 3);
        const QJsonObject t = QJsonDocument::fromJson(two.out.trimmed()).object();
        QCOMPARE(t.value(QStringLiteral("local")).toObject().value(QStringLiteral("events")).toInt(), 2);
        const QJsonObject b2 = t.value(QStringLiteral("blame")).toArray().at(0).toObject();
        QCOMPARE(b2.value(QStringLiteral("path")).toString(), QStringLiteral("/events"));
        QCOMPARE(b2.value(QStringLiteral("event")).toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("OrderShipped"));
        const CliResult noPartition = compare(QString());
        QCOMPARE(noPartition.exit, 1);
        QVERIFY2(noPartition.err.contains("is partitioned"), noPartition.err.constData());
        const CliResult noJs = cli({QStringLiteral("projections"), plain(), QStringLiteral("--compare"),
                                    QStringLiteral("orders-placed")},
                                   tmp.path());
        QCOMPARE(noJs.exit, 1);
        const CliResult notKurrent =
            cli({QStringLiteral("projections"), QStringLiteral("redis://127.0.0.1:1/0")}, tmp.path());
        QCOMPARE(notKurrent.exit, 1);
        const CliResult down = cli(
            {QStringLiteral("projections"), QStringLiteral("kurrentdb://127.0.0.1:1?tls=false")}, tmp.path());
        QCOMPARE(down.exit, 2);
        QVERIFY2(down.err.contains("connection refused"), down.err.constData());
    }

    void cliErrorsExit2_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("expect");
        QTest::newRow("no server") << "kurrentdb://127.0.0.1:1?tls=false"
                                   << "connection refused";
        QTest::newRow("HTTP/1 only") << "HTTP1"
                                     << "speaks HTTP/1 only";
        QTest::newRow("TLS to plaintext") << "TLS-TO-PLAIN"
                                          << "does not speak TLS";
        QTest::newRow("plaintext to TLS") << "PLAIN-TO-TLS"
                                          << "speaks TLS";
        QTest::newRow("certificate not verified") << "UNVERIFIED"
                                                  << "could not be verified";
        QTest::newRow("wrong credentials") << "WRONG"
                                           << "refused the credentials";
        QTest::newRow("no rights to $all") << "OPS"
                                           << "access denied";
        QTest::newRow("stream not found") << "NOPE"
                                          << "there is no stream";
        QTest::newRow("tombstoned") << "GONE"
                                    << "deleted (tombstoned)";
        QTest::newRow("bad connection string") << "kurrentdb://h?tls=maybe"
                                               << "expected true or false";
    }

    void cliErrorsExit2()
    {
        QFETCH(QString, uri);
        QFETCH(QString, expect);
        const QHash<QString, QString> uris = {
            {QStringLiteral("HTTP1"), QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(m_http1Port)},
            {QStringLiteral("TLS-TO-PLAIN"), QStringLiteral("kurrentdb://127.0.0.1:%1").arg(m_port)},
            {QStringLiteral("PLAIN-TO-TLS"),
             QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false").arg(m_tlsPort)},
            {QStringLiteral("UNVERIFIED"), QStringLiteral("kurrentdb://127.0.0.1:%1").arg(m_tlsPort)},
            {QStringLiteral("WRONG"), secure(QStringLiteral("admin:wrong@"))},
            {QStringLiteral("OPS"), secure(QStringLiteral("ops:changeit@"))},
            {QStringLiteral("NOPE"), plain(QStringLiteral("&streams=nope-1"))},
            {QStringLiteral("GONE"), plain(QStringLiteral("&streams=gone-1"))},
        };
        QTemporaryDir tmp;
        const CliResult r = cli({QStringLiteral("info"), uris.value(uri, uri)}, tmp.path());
        QCOMPARE(r.exit, 2);
        QVERIFY2(r.err.contains(expect.toUtf8()), r.err.constData());
        QVERIFY(!r.err.contains("changeit"));
        QVERIFY2(!r.err.contains("ssl_transport_security"),
                 "gRPC's own diagnostics stay out of the user's messages");
    }
};

QTEST_GUILESS_MAIN(TestKurrentGrpc)
#include "tst_kurrentgrpc.moc"
