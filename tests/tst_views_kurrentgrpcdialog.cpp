// File ▸ Open Remote with KurrentDB connection strings (several hosts, +discover, the official keys): they
// are not URLs, so the dialog validates them with the connection-string parser, merges user and password
// into them, adds the scope as query items, and stores only the redacted string.

#include "remote/openremotedialog.h"
#include "sources/remote/kurrentgrpc/connectionstring.h"

#include <QComboBox>
#include <QLineEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>

using namespace chronoscope;

class TestViewsKurrentGrpcDialog : public QObject
{
    Q_OBJECT

    static QLineEdit* field(OpenRemoteDialog& d, int index)
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
        QCoreApplication::setApplicationName(QStringLiteral("tst_views_kurrentgrpcdialog"));
        QSettings().clear();
    }

    void validation_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("error"); // part of validationError(); empty: valid
        QTest::newRow("the issue's string") << "kurrentdb://admin:changeit@localhost:2113?tls=false"
                                            << "";
        QTest::newRow("several hosts, +discover")
            << "kurrentdb+discover://n1:2113,n2:2113?nodePreference=follower"
            << "";
        QTest::newRow("esdb+discover") << "esdb+discover://cluster.local"
                                       << "";
        QTest::newRow("bad boolean") << "kurrentdb://h?tls=yes"
                                     << "Not a valid KurrentDB connection string: Unexpected \"yes\"";
        QTest::newRow("bad port") << "esdb://h:port"
                                  << "expected port number";
    }

    void validation()
    {
        QFETCH(QString, uri);
        QFETCH(QString, error);
        OpenRemoteDialog d;
        d.setUri(uri);
        if (error.isEmpty())
            QVERIFY2(d.validationError().isEmpty(), qPrintable(d.validationError()));
        else
            QVERIFY2(d.validationError().contains(error), qPrintable(d.validationError()));
    }

    void secretsAndScope()
    {
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("kurrentdb+discover://n1:2113,n2:2114?tls=false&streams=old-*"));
        field(d, 1)->setText(QStringLiteral("admin"));
        field(d, 2)->setText(QStringLiteral("ch@nge:it"));
        field(d, 3)->setText(QStringLiteral("order-*"));
        field(d, 6)->setText(QStringLiteral("10"));
        QCOMPARE(d.uri(),
                 QStringLiteral("kurrentdb+discover://admin@n1:2113,n2:2114?tls=false&streams=old-*"));
        QCOMPARE(d.uriWithSecret(),
                 QStringLiteral(
                     "kurrentdb+discover://admin:ch%40nge%3Ait@n1:2113,n2:2114?tls=false&streams=old-*"));
        const QString open = d.openUri();
        QCOMPARE(open,
                 QStringLiteral("kurrentdb+discover://"
                                "admin:ch%40nge%3Ait@n1:2113,n2:2114?tls=false&streams=order-*&last=10"));
        // What opens it parses back to the same hosts, user and password.
        kurrent::ConnectionSettings s;
        QString error;
        QVERIFY2(kurrent::parseConnectionString(open, &s, &error), qPrintable(error));
        QCOMPARE(s.hosts.size(), 2);
        QCOMPARE(s.user, QStringLiteral("admin"));
        QCOMPARE(s.password, QStringLiteral("ch@nge:it"));
        QCOMPARE(s.extra.value(QStringLiteral("streams")), QStringLiteral("order-*"));
        QVERIFY(!s.tls);
        // Only the redacted string is remembered.
        OpenRemoteDialog::rememberUri(d.uriWithSecret());
        QVERIFY(!OpenRemoteDialog::recentUris().join(u' ').contains(QLatin1String("ch%40nge")));
        QVERIFY(OpenRemoteDialog::recentUris().contains(
            QStringLiteral("kurrentdb+discover://admin@n1:2113,n2:2114?tls=false&streams=old-*")));
    }

    void passwordInTheStringIsKeptForOpening()
    {
        OpenRemoteDialog d;
        d.setUri(QStringLiteral("esdb://admin:changeit@h:2113"));
        QCOMPARE(d.uri(), QStringLiteral("esdb://admin@h:2113"));
        QCOMPARE(d.uriWithSecret(), QStringLiteral("esdb://admin:changeit@h:2113"));
        field(d, 2)->setText(QStringLiteral("other"));
        QCOMPARE(d.uriWithSecret(), QStringLiteral("esdb://admin:other@h:2113")); // the field wins
    }
};

QTEST_MAIN(TestViewsKurrentGrpcDialog)
#include "tst_views_kurrentgrpcdialog.moc"
