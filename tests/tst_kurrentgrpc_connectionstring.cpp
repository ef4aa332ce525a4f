// KurrentDB connection strings, parsed as the official clients parse them (parseConnectionString.ts of the
// Node client): schemes, credentials, several hosts, keys matched without case, '-' or '_', defaults,
// and the official error messages (never with the password). Also: redaction, and what a URI gives
// RemoteEndpoint (so the AtomPub fallback sees host, port and tls).

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/remote/remoteclient.h"
#include "sources/sourceregistry.h"

#include <QTest>

using namespace chronoscope;
using namespace chronoscope::kurrent;

class TestKurrentGrpcConnectionString : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void valid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("discover");
        QTest::addColumn<QString>("hosts"); // host:port,host:port
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<bool>("tls");
        QTest::addColumn<bool>("verify");
        QTest::addColumn<QString>("preference");
        QTest::addColumn<qint64>("deadline");
        QTest::addColumn<qint64>("keepAlive");

        QTest::newRow("the issue's string")
            << "kurrentdb://admin:changeit@localhost:2113?tls=false" << false << "localhost:2113"
            << "admin"
            << "changeit" << false << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("defaults: port 2113, tls on")
            << "kurrentdb://localhost" << false << "localhost:2113"
            << ""
            << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("esdb is the same") << "esdb://db.example:1234" << false << "db.example:1234"
                                          << ""
                                          << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("+discover, several seeds")
            << "kurrentdb+discover://admin:changeit@node1:2113,node2:2114,node3?nodePreference=follower"
            << true << "node1:2113,node2:2114,node3:2113"
            << "admin"
            << "changeit" << true << true << "follower" << qint64(10000) << qint64(10000);
        QTest::newRow("esdb+discover") << "esdb+discover://cluster.dns:2113" << true << "cluster.dns:2113"
                                       << ""
                                       << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("kurrent and kdb") << "kdb://h1" << false << "h1:2113"
                                         << ""
                                         << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("keys without case, - or _")
            << "kurrentdb://"
               "h?TLS=false&TLS_VERIFY_CERT=false&node-preference=readOnlyReplica&DefaultDeadline=2500&"
               "keepAliveInterval=-1"
            << false << "h:2113"
            << ""
            << "" << false << false << "readOnlyReplica" << qint64(2500) << qint64(-1);
        QTest::newRow("random, read_only_replica spelling")
            << "kurrentdb://h?nodePreference=RANDOM" << false << "h:2113"
            << ""
            << "" << true << true << "random" << qint64(10000) << qint64(10000);
        QTest::newRow("percent-encoded credentials")
            << "kurrentdb://ad%40min:p%40ss%2Fword@h:2113" << false << "h:2113"
            << "ad@min"
            << "p@ss/word" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("user without password (asked for)")
            << "kurrentdb://admin@h:2113" << false << "h:2113"
            << "admin"
            << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("trailing slashes and spaces")
            << "  kurrentdb://h:2113///  " << false << "h:2113"
            << ""
            << "" << true << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("slash before the query")
            << "kurrentdb://h:2113/?tls=false" << false << "h:2113"
            << ""
            << "" << false << true << "leader" << qint64(10000) << qint64(10000);
        QTest::newRow("integer like parseInt")
            << "kurrentdb://h?defaultDeadline=1500ms" << false << "h:2113"
            << ""
            << "" << true << true << "leader" << qint64(1500) << qint64(10000);
    }

    void valid()
    {
        QFETCH(QString, text);
        QFETCH(bool, discover);
        QFETCH(QString, hosts);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(bool, tls);
        QFETCH(bool, verify);
        QFETCH(QString, preference);
        QFETCH(qint64, deadline);
        QFETCH(qint64, keepAlive);
        ConnectionSettings s;
        QString error;
        QVERIFY2(parseConnectionString(text, &s, &error), qPrintable(error));
        QCOMPARE(s.discover, discover);
        QStringList hp;
        for (const auto& h : s.hosts)
            hp << h.toString();
        QCOMPARE(hp.join(u','), hosts);
        QCOMPARE(s.user, user);
        QCOMPARE(s.password, password);
        QCOMPARE(s.hasCredentials, !user.isEmpty());
        QCOMPARE(s.tls, tls);
        QCOMPARE(s.tlsVerifyCert, verify);
        QCOMPARE(nodePreferenceName(s.nodePreference), preference);
        QCOMPARE(s.defaultDeadlineMs, deadline);
        QCOMPARE(s.keepAliveIntervalMs, keepAlive);
        QCOMPARE(s.isCluster(), discover || s.hosts.size() > 1);
    }

    void otherKeys()
    {
        ConnectionSettings s;
        QString error;
        QVERIFY(parseConnectionString(
            QStringLiteral("kurrentdb://h?tlsCAFile=%2Fetc%2Fca.pem&protocol=atompub&streams=order-*"
                           "&last=5&mystery=1&connectionName=app&user-cert-file=%2Fcerts%2Fuser%20a.pem"
                           "&USERKEYFILE=/certs/user.key"),
            &s, &error));
        QCOMPARE(s.tlsCaFile, QStringLiteral("/etc/ca.pem"));
        // X.509 user authentication: percent-decoded like tlsCAFile (the Node client's decodeURIComponent),
        // keys compared without case, '-' or '_'.
        QCOMPARE(s.userCertFile, QStringLiteral("/certs/user a.pem"));
        QCOMPARE(s.userKeyFile, QStringLiteral("/certs/user.key"));
        QCOMPARE(s.connectionName, QStringLiteral("app"));
        QCOMPARE(s.extra.value(QStringLiteral("protocol")), QStringLiteral("atompub"));
        QCOMPARE(s.extra.value(QStringLiteral("streams")), QStringLiteral("order-*"));
        QCOMPARE(s.extra.value(QStringLiteral("last")), QStringLiteral("5"));
        QVERIFY(!s.tlsVerifyCertWritten);
        // Unknown keys are ignored with the official clients' warning, not refused.
        QCOMPARE(s.warnings,
                 QStringList{QStringLiteral("Unknown option key \"mystery\", setting will be ignored.")});
        QVERIFY(parseConnectionString(QStringLiteral("kurrentdb://h?tlsVerifyCert=true"), &s, &error));
        QVERIFY(s.tlsVerifyCertWritten);
    }

    void invalid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("no scheme") << "localhost:2113"
                                   << "Unexpected \"l\" at position 0, expected kurrentdb://";
        QTest::newRow("another scheme") << "http://localhost:2113"
                                        << "Unexpected \"http://\" at position 0, expected kurrentdb://";
        QTest::newRow("upper-case scheme") << "KurrentDB://h"
                                           << "Unexpected \"KurrentDB://\" at position 0";
        // Trailing slashes are trimmed first, as the official parser does, so "kurrentdb://" has no "://"
        // left.
        QTest::newRow("nothing after the scheme") << "kurrentdb://"
                                                  << "Unexpected \"k\" at position 0, expected kurrentdb://";
        QTest::newRow("no host after credentials") << "kurrentdb://admin:changeit@?tls=false"
                                                   << "Unexpected \"?\" at position 27, expected host.";
        QTest::newRow("port not a number") << "kurrentdb://h:abc"
                                           << "Unexpected \"abc\" at position 14, expected port number.";
        QTest::newRow("port out of range") << "kurrentdb://h:70000"
                                           << "expected port number from 1 to 65535.";
        QTest::newRow("two colons") << "kurrentdb://h:1:2"
                                    << "expected , or ?key=value.";
        QTest::newRow("tls not a boolean") << "kurrentdb://h?tls=yes"
                                           << "Unexpected \"yes\" at position 18, expected true or false.";
        QTest::newRow("tls upper case") << "kurrentdb://h?tls=TRUE"
                                        << "expected true or false.";
        QTest::newRow("node preference") << "kurrentdb://h?nodePreference=nearest"
                                         << "expected leader or follower or readOnlyReplica or random.";
        QTest::newRow("deadline not an integer") << "kurrentdb://h?defaultDeadline=soon"
                                                 << "expected Integer.";
        QTest::newRow("empty value") << "kurrentdb://h?tls="
                                     << "Unexpected \"?\" at position 13, expected ?key=value.";
        QTest::newRow("second ? instead of &") << "kurrentdb://h?tls=false?x=1"
                                               << "expected &key=value.";
        QTest::newRow("bad host character") << "kurrentdb://h%20x"
                                            << "expected ?key=value.";
        QTest::newRow("password never shown") << "kurrentdb://admin:s3cret-pw@h:abc"
                                              << "Unexpected \"abc\" at position 30, expected port number.";
    }

    void invalid()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        ConnectionSettings s;
        QString error;
        QVERIFY(!parseConnectionString(text, &s, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("s3cret-pw")), qPrintable(error));
        QVERIFY(s.hosts.isEmpty());
        QVERIFY(s.password.isEmpty());
        // RemoteEndpoint refuses it with the same reason, naming the redacted string.
        RemoteEndpoint ep;
        QString epError;
        if (isKurrentScheme(schemeOf(text))) {
            QVERIFY(!RemoteEndpoint::parse(text, &ep, &epError));
            QVERIFY2(epError.contains(message), qPrintable(epError));
            QVERIFY2(!epError.contains(QLatin1String("s3cret-pw")), qPrintable(epError));
        }
    }

    void redaction_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("redacted");
        QTest::newRow("password") << "kurrentdb://admin:changeit@h:2113?tls=false"
                                  << "kurrentdb://admin@h:2113?tls=false";
        QTest::newRow("several hosts") << "esdb+discover://u:p%40ss@a:1,b:2"
                                       << "esdb+discover://u@a:1,b:2";
        QTest::newRow("secret-like items") << "kurrentdb://h?password=x&tls=false&token=y"
                                           << "kurrentdb://h?tls=false";
        QTest::newRow("nothing secret") << "kurrentdb://h:2113"
                                        << "kurrentdb://h:2113";
    }

    void redaction()
    {
        QFETCH(QString, text);
        QFETCH(QString, redacted);
        QCOMPARE(redactConnectionString(text), redacted);
        QCOMPARE(redactUri(text), redacted); // the one helper every message and meta field uses
    }

    void endpointFromConnectionString()
    {
        RemoteEndpoint ep;
        QString error;
        QVERIFY2(
            RemoteEndpoint::parse(
                QStringLiteral("kurrentdb+discover://admin:changeit@n1:2115,n2:2116?tls=false&pagesize=9"),
                &ep, &error),
            qPrintable(error));
        QCOMPARE(ep.scheme, QStringLiteral("kurrentdb+discover"));
        QCOMPARE(ep.host, QStringLiteral("n1"));
        QCOMPARE(ep.port, 2115);
        QCOMPARE(ep.user, QStringLiteral("admin"));
        QCOMPARE(ep.secret, QStringLiteral("changeit"));
        QCOMPARE(ep.option(QStringLiteral("tls")), QStringLiteral("false"));
        QCOMPARE(ep.option(QStringLiteral("pagesize")), QStringLiteral("9"));
        QVERIFY(!ep.display.contains(QLatin1String("changeit")));
        QVERIFY(isRemoteScheme(QStringLiteral("esdb+discover")));
        QVERIFY(isRemoteScheme(QStringLiteral("kurrentdb")));
        QVERIFY(!isRemoteScheme(QStringLiteral("kurrentdbx")));
    }

    void protocolChoice()
    {
        RemoteEndpoint ep;
        QString error;
        QVERIFY(
            RemoteEndpoint::parse(QStringLiteral("kurrentdb://h:2113?protocol=carrier-pigeon"), &ep, &error));
        QVERIFY(!createRemoteClient(ep, &error));
        QVERIFY2(error.contains(QLatin1String("?protocol=carrier-pigeon is not known")), qPrintable(error));
        QVERIFY(RemoteEndpoint::parse(QStringLiteral("kurrentdb://a:1,b:2?protocol=atompub"), &ep, &error));
        QVERIFY(!createRemoteClient(ep, &error));
        QVERIFY2(error.contains(QLatin1String("AtomPub reads one node")), qPrintable(error));
        QVERIFY(RemoteEndpoint::parse(QStringLiteral("kurrentdb://h:2113?protocol=atompub"), &ep, &error));
        auto atompub = createRemoteClient(ep, &error);
        QVERIFY(atompub);
        QCOMPARE(atompub->layout(), QStringLiteral("kurrentdb-atompub"));
    }
};

QTEST_GUILESS_MAIN(TestKurrentGrpcConnectionString)
#include "tst_kurrentgrpc_connectionstring.moc"
