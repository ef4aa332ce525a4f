// The Open Remote dialog: validation of URI and scope, credentials kept out of the URI it stores and of
// the recent list, and Test connection against a refused port and a minimal server that answers PING.

#include "remote/openremotedialog.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>

#include "sources/sourceregistry.h"

using namespace chronoscope;

class TestViewsRemoteDialog : public QObject
{
    Q_OBJECT

    QLineEdit* field(OpenRemoteDialog& d, int index)
    {
        // URI line edit first, then user, password, streams, since, until, last (creation order).
        QList<QLineEdit*> edits = d.findChildren<QLineEdit*>();
        edits.removeAll(d.findChild<QComboBox*>()->lineEdit());
        edits.prepend(d.findChild<QComboBox*>()->lineEdit());
        return edits.value(index);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("chronoscope-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_views_remotedialog"));
        QSettings().clear();
    }

    void validation_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("since");
        QTest::addColumn<QString>("last");
        QTest::addColumn<QString>("expect");  // "" = valid
        QTest::newRow("valid postgres") << "postgresql://me@db.example/shop" << "" << "" << "";
        QTest::newRow("valid with scope") << "redis://127.0.0.1:6379/0" << "2026-01-05T10:00:00Z" << "100" << "";
        QTest::newRow("empty") << "" << "" << "" << "Enter the URI";
        QTest::newRow("file path") << "/tmp/store.sqlite" << "" << "" << "Not a remote store URI";
        QTest::newRow("unknown scheme") << "mysql://host/db" << "" << "" << "Not a remote store URI";
        QTest::newRow("bad time") << "redis://h/0" << "last tuesday" << "" << "not a time";
        QTest::newRow("bad last") << "redis://h/0" << "" << "-5" << "whole number";
        QTest::newRow("kafka broker list") << "kafka://b1:9092,b2:9092/orders,pay*" << "" << "" << "";
    }

    void kafkaBrokerList()
    {
        // A broker list is not a URL host QUrl parses: the dialog keeps every broker, adds the user, password
        // (only in uriWithSecret) and scope, and shows the Topics button only for kafka://.
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("kafka://b1:9092,b2:9093/orders?security.protocol=SASL_SSL"));
        field(d, 1)->setText(QStringLiteral("alice"));
        field(d, 2)->setText(QStringLiteral("K-secret"));
        field(d, 6)->setText(QStringLiteral("10"));
        QCOMPARE(d.uri(), QStringLiteral("kafka://alice@b1:9092,b2:9093/orders?security.protocol=SASL_SSL"));
        QVERIFY(d.uriWithSecret().startsWith(QLatin1String("kafka://alice:K-secret@b1:9092,b2:9093/orders")));
        QVERIFY(d.openUri().contains(QLatin1String(",b2:9093/orders?")));
        QVERIFY(d.openUri().contains(QLatin1String("last=10")));
        QCOMPARE(redactUri(d.openUri()).contains(QLatin1String("K-secret")), false);
        QPushButton* topics = nullptr;
        for (QPushButton* b : d.findChildren<QPushButton*>())
            if (b->text().remove(u'&').contains(QLatin1String("Topics")))
                topics = b;
        QVERIFY(topics);
        QVERIFY(!topics->isHidden());
        d.setUri(QStringLiteral("redis://h/0"));
        QVERIFY(topics->isHidden());
    }

    void validation()
    {
        QFETCH(QString, uri);
        QFETCH(QString, since);
        QFETCH(QString, last);
        QFETCH(QString, expect);
        OpenRemoteDialog d;
        d.setUri(uri);
        field(d, 4)->setText(since);
        field(d, 6)->setText(last);
        const QString error = d.validationError();
        if (expect.isEmpty())
            QVERIFY2(error.isEmpty(), qPrintable(error));
        else
            QVERIFY2(error.contains(expect), qPrintable(error));
        QPushButton* open = nullptr;
        for (QPushButton* b : d.findChildren<QPushButton*>())
            if (b->text().contains(QLatin1String("Open")))
                open = b;
        QVERIFY(open);
        QCOMPARE(open->isEnabled(), expect.isEmpty());
    }

    void credentialsAndScope()
    {
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("kurrentdb://db.example:2113?tls=false"));
        field(d, 1)->setText(QStringLiteral("admin"));
        field(d, 2)->setText(QStringLiteral("S3cret-pw!"));
        field(d, 3)->setText(QStringLiteral("order-*"));
        field(d, 4)->setText(QStringLiteral("2026-01-05T10:00:00Z"));
        field(d, 6)->setText(QStringLiteral("50"));
        QVERIFY(!d.uri().contains(QLatin1String("S3cret")));
        QVERIFY(d.uri().contains(QLatin1String("admin@db.example")));
        QVERIFY(d.uriWithSecret().contains(QLatin1String("S3cret")));
        const RemoteScope s = d.scope();
        QCOMPARE(s.streams, QStringLiteral("order-*"));
        QCOMPARE(formatTime(s.since), QStringLiteral("2026-01-05T10:00:00.000Z"));
        QCOMPARE(s.last, qint64(50));
        // What the app opens: the scope rides in the URI, which openSource() reads back.
        const QUrl open(d.openUri());
        const QUrlQuery q(open);
        QCOMPARE(q.queryItemValue(QStringLiteral("streams")), QStringLiteral("order-*"));
        QCOMPARE(q.queryItemValue(QStringLiteral("last")), QStringLiteral("50"));
        QCOMPARE(q.queryItemValue(QStringLiteral("since")), QStringLiteral("2026-01-05T10:00:00.000Z"));
        QCOMPARE(q.queryItemValue(QStringLiteral("tls")), QStringLiteral("false"));
        QCOMPARE(open.password(), QStringLiteral("S3cret-pw!"));
        QVERIFY(!redactUri(d.openUri()).contains(QLatin1String("S3cret")));
        // Accepting remembers the URI, without the secret, even one typed into the URI itself.
        d.setUri(QStringLiteral("redis://:Typed-Secret@127.0.0.1:6379/0"));
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Accepted));
        const QStringList recent = OpenRemoteDialog::recentUris();
        QVERIFY(!recent.isEmpty());
        for (const QString& r : recent)
            QVERIFY2(!r.contains(QLatin1String("Secret")) && !r.contains(QLatin1String("S3cret")), qPrintable(r));
        QSettings settings;
        settings.sync();
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QVERIFY(!bytes.contains("Secret") && !bytes.contains("S3cret"));
    }

    void testConnectionReportsFailure()
    {
        // A port that refuses: bind, note, close.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("redis://127.0.0.1:%1/0?retries=0").arg(port));
        QSignalSpy spy(&d, &OpenRemoteDialog::testFinished);
        d.testConnection();
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 10000);
        QCOMPARE(spy.first().at(0).toBool(), false);
        QVERIFY2(spy.first().at(1).toString().contains(QLatin1String("connection refused")), qPrintable(spy.first().at(1).toString()));
    }

    void testConnectionSucceeds()
    {
        // A minimal Redis that answers PING: enough for connect().
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        connect(&server, &QTcpServer::newConnection, this, [&server] {
            QTcpSocket* s = server.nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, s, [s] {
                const QByteArray in = s->readAll();
                if (in.contains("PING"))
                    s->write("+PONG\r\n");
            });
        });
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("redis://127.0.0.1:%1/0").arg(server.serverPort()));
        QSignalSpy spy(&d, &OpenRemoteDialog::testFinished);
        d.testConnection();
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 1, 10000);
        QVERIFY2(spy.first().at(0).toBool(), qPrintable(spy.first().at(1).toString()));
        QVERIFY(spy.first().at(1).toString().contains(QLatin1String("Redis Streams")));
    }
};

QTEST_MAIN(TestViewsRemoteDialog)
#include "tst_views_remotedialog.moc"
