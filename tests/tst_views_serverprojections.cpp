// The Server Projections panel (views/remote/serverprojectionspanel.h) against the KurrentDB gRPC stand-in
// (tests/fixtures/kurrentgrpc_standin.mjs, started by ctest through tests/fixtures/remote_kurrentgrpc.sh):
// the list (name, mode, status, position, progress), state and result per partition, the server-vs-local
// comparison with its diff blamed on local events, errors (no script, a script that does not compile, a
// partitioned projection without a partition, a dead server), and Cancel of a comparison whose read the
// server stalls (a stand-in of the test's own, so the shared ones never see the fault).

#include "remote/serverprojectionspanel.h"

#include "fixtures/remotefixture.h"

#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace chronoscope;

class TestViewsServerProjections : public QObject
{
    Q_OBJECT

    int m_port = 0;
    QTemporaryDir m_tmp;

    QString plain() const
    {
        return QStringLiteral("kurrentdb://admin:changeit@127.0.0.1:%1?tls=false").arg(m_port);
    }
    QString script(const QString& name, const QByteArray& text)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly)) f.write(text);
        return path;
    }
    QString perStream()
    {
        return script(QStringLiteral("perstream.js"),
                      "fromCategory('order').foreachStream().when({\n"
                      "  $init: function () { return { events: 0 }; },\n"
                      "  $any: function (s, e) { s.events += 1; return s; }\n});\n");
    }
    QString placed()
    {
        return script(QStringLiteral("placed.js"),
                      "fromAll().when({\n  $init: function () { return { count: 0 }; },\n"
                      "  OrderPlaced: function (s, e) { s.count += 1; return s; }\n});\n");
    }
    template <typename T> static T* child(QWidget& w, const char* name)
    {
        return w.findChild<T*>(QLatin1String(name));
    }
    static QPushButton* button(QWidget& w, const QString& text)
    {
        for (QPushButton* b : w.findChildren<QPushButton*>())
            if (b->text() == text) return b;
        return nullptr;
    }
    /// A panel connected to `uri` with its list shown and `name` selected.
    bool open(ServerProjectionsPanel& panel, const QString& uri, const QString& name = {})
    {
        QSignalSpy listed(&panel, &ServerProjectionsPanel::listed);
        panel.setCacheDir(m_tmp.path());
        panel.setConnection(uri);
        if (!listed.wait(20000)) return false;
        if (name.isEmpty()) return true;
        auto* list = child<QTreeWidget>(panel, "serverProjectionsList");
        const auto items = list->findItems(name, Qt::MatchExactly, 0);
        if (items.isEmpty()) return false;
        list->setCurrentItem(items.first());
        return true;
    }
    struct Compared
    {
        bool finished = false;
        bool ok = false;
        bool agree = false;
        QString error;
    };
    Compared runCompare(ServerProjectionsPanel& panel, const QString& js, const QString& partition)
    {
        child<QLineEdit>(panel, "serverProjectionsScript")->setText(js);
        child<QLineEdit>(panel, "serverProjectionsPartition")->setText(partition);
        QSignalSpy done(&panel, &ServerProjectionsPanel::compareFinished);
        QTest::mouseClick(button(panel, QStringLiteral("Compare with local")), Qt::LeftButton);
        Compared c;
        c.finished = done.wait(30000);
        if (c.finished) {
            c.ok = done.first().at(0).toBool();
            c.agree = done.first().at(1).toBool();
            c.error = done.first().at(2).toString();
        }
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
#ifndef CHRONOSCOPE_TEST_HAVE_GRPC
        QSKIP("this build has no gRPC client (gRPC C++ was not found)");
#endif
        QString error;
        m_port = testing::remoteFixturePort(QStringLiteral("kurrentgrpc"), &error);
        QFile skip(testing::remoteFixtureDir(QStringLiteral("kurrentgrpc")) +
                   QStringLiteral("/skip-reason.txt"));
        if (skip.open(QIODevice::ReadOnly)) QSKIP(skip.readAll().constData());
        QVERIFY2(m_port > 0, qPrintable(error));
        QVERIFY(m_tmp.isValid());
    }

    void listsTheServersProjections()
    {
        ServerProjectionsPanel panel;
        QVERIFY(!button(panel, QStringLiteral("Refresh"))->isEnabled()); // no server yet
        QVERIFY(open(panel, plain()));
        auto* list = child<QTreeWidget>(panel, "serverProjectionsList");
        QCOMPARE(list->topLevelItemCount(), 4);
        const auto items = list->findItems(QStringLiteral("order-events"), Qt::MatchExactly, 0);
        QCOMPARE(items.size(), 1);
        QCOMPARE(items[0]->text(1), QStringLiteral("Continuous"));
        QCOMPARE(items[0]->text(2), QStringLiteral("Stopped"));
        QVERIFY(items[0]->text(3).startsWith(QLatin1String("C:")));
        QCOMPARE(items[0]->text(4), QStringLiteral("75.5 %"));
        // The status shows the redacted string only.
        const QString status = child<QLabel>(panel, "serverProjectionsStatus")->text();
        QVERIFY2(status.contains(QLatin1String("4 projection")), qPrintable(status));
        QVERIFY2(!status.contains(QLatin1String("changeit")), qPrintable(status));
    }

    void stateAndResultPerPartition_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("partition");
        QTest::addColumn<bool>("result");
        QTest::addColumn<QString>("expect");
        QTest::newRow("state") << "order-totals"
                               << "" << false << "\"total\": 1.1";
        QTest::newRow("partition state") << "order-events"
                                         << "order-1" << false << "\"events\": 2";
        QTest::newRow("partition result") << "order-events"
                                          << "order-2" << true << "\"seen\": \"three times\"";
        QTest::newRow("unknown partition") << "order-events"
                                           << "order-9" << false << "null";
    }

    void stateAndResultPerPartition()
    {
        QFETCH(QString, name);
        QFETCH(QString, partition);
        QFETCH(bool, result);
        QFETCH(QString, expect);
        ServerProjectionsPanel panel;
        QVERIFY(open(panel, plain(), name));
        child<QLineEdit>(panel, "serverProjectionsPartition")->setText(partition);
        QSignalSpy shown(&panel, &ServerProjectionsPanel::stateShown);
        QTest::mouseClick(button(panel, result ? QStringLiteral("Result") : QStringLiteral("State")),
                          Qt::LeftButton);
        QVERIFY(shown.wait(20000));
        QCOMPARE(shown.first().at(0).toString(), QString());
        const QString text = child<QPlainTextEdit>(panel, "serverProjectionsOutput")->toPlainText();
        QVERIFY2(text.contains(expect), qPrintable(text));
    }

    void compareShowsTheDiffBlamedLocally()
    {
        ServerProjectionsPanel panel;
        QVERIFY(open(panel, plain(), QStringLiteral("order-events")));
        const Compared c = runCompare(panel, perStream(), QStringLiteral("order-2"));
        QVERIFY(c.finished);
        QVERIFY2(c.ok, qPrintable(c.error));
        QVERIFY(!c.agree);
        auto* diff = child<QTreeWidget>(panel, "serverProjectionsDiff");
        QCOMPARE(diff->topLevelItemCount(), 1);
        QTreeWidgetItem* row = diff->topLevelItem(0);
        QCOMPARE(row->text(0), QStringLiteral("replace"));
        QCOMPARE(row->text(1), QStringLiteral("/events"));
        QCOMPARE(row->text(2), QStringLiteral("2"));
        QCOMPARE(row->text(3), QStringLiteral("3"));
        QVERIFY2(row->text(4).startsWith(QLatin1String("order-2 @1 OrderShipped")), qPrintable(row->text(4)));
        // Activating the row hands the blamed event's position to the window.
        QSignalSpy activated(&panel, &ServerProjectionsPanel::eventActivated);
        Q_EMIT diff->itemActivated(row, 4);
        QCOMPARE(activated.size(), 1);
        QVERIFY(activated.first().at(0).toLongLong() > 0);
        QVERIFY(!child<QWidget>(panel, "serverProjectionsCancel")->isVisible());

        // The other partition agrees; so does the unpartitioned projection whose count matches.
        const Compared one = runCompare(panel, perStream(), QStringLiteral("order-1"));
        QVERIFY2(one.ok && one.agree, qPrintable(one.error));
        QCOMPARE(diff->topLevelItemCount(), 0);
        auto* list = child<QTreeWidget>(panel, "serverProjectionsList");
        list->setCurrentItem(list->findItems(QStringLiteral("orders-placed"), Qt::MatchExactly, 0).first());
        const Compared agree = runCompare(panel, placed(), QString());
        QVERIFY2(agree.ok && agree.agree, qPrintable(agree.error));
        QVERIFY(child<QPlainTextEdit>(panel, "serverProjectionsOutput")
                    ->toPlainText()
                    .contains(QLatin1String("agree")));
    }

    void compareErrors_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("js"); // empty: a file that does not exist
        QTest::addColumn<QString>("partition");
        QTest::addColumn<QString>("expect");
        QTest::newRow("no such file") << "orders-placed" << QByteArray() << ""
                                      << "missing.js";
        QTest::newRow("syntax error")
            << "orders-placed" << QByteArray("fromAll().when({ $init: function ( {") << ""
            << "broken.js";
        QTest::newRow("partitioned, no partition")
            << "order-events"
            << QByteArray(
                   "fromCategory('order').foreachStream().when({ $any: function (s, e) { return s; } });")
            << ""
            << "is partitioned";
    }

    void compareErrors()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, js);
        QFETCH(QString, partition);
        QFETCH(QString, expect);
        ServerProjectionsPanel panel;
        QVERIFY(open(panel, plain(), name));
        const QString path = js.isEmpty() ? m_tmp.filePath(QStringLiteral("missing.js"))
                                          : script(QStringLiteral("broken.js"), js);
        const Compared c = runCompare(panel, path, partition);
        QVERIFY(c.finished);
        QVERIFY(!c.ok);
        QVERIFY2(c.error.contains(expect), qPrintable(c.error));
        QVERIFY(!panel.isBusy());
    }

    void deadServer()
    {
        ServerProjectionsPanel panel;
        QSignalSpy listed(&panel, &ServerProjectionsPanel::listed);
        panel.setConnection(QStringLiteral("kurrentdb://127.0.0.1:1?tls=false"));
        QVERIFY(listed.wait(20000));
        QVERIFY2(listed.first().at(1).toString().contains(QLatin1String("connection refused")),
                 qPrintable(listed.first().at(1).toString()));
        QCOMPARE(child<QTreeWidget>(panel, "serverProjectionsList")->topLevelItemCount(), 0);
        QVERIFY(!button(panel, QStringLiteral("Compare with local"))->isEnabled());
    }

    void cancelStopsAStalledComparison()
    {
        // A stand-in of this test's own whose reads stall after 2 events (the deadline is far away), so only
        // Cancel can end the comparison.
        const QString npm =
            testing::remoteFixtureDir(QStringLiteral("kurrentgrpc")) + QStringLiteral("/../kurrentgrpc-npm");
        QProcess node;
        node.setWorkingDirectory(npm);
        node.start(QStringLiteral("node"),
                   {QStringLiteral("kurrentgrpc_standin.mjs"), QStringLiteral("--proto"),
                    QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/core/sources/remote/kurrentgrpc/proto")});
        QVERIFY(node.waitForStarted());
        QVERIFY(node.waitForReadyRead(20000));
        const QJsonObject ports = QJsonDocument::fromJson(node.readLine()).object();
        const int port = ports.value(QStringLiteral("port")).toInt();
        const int control = ports.value(QStringLiteral("control")).toInt();
        QVERIFY(port > 0 && control > 0);
        {
            QNetworkAccessManager nam;
            QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/fault").arg(control)));
            req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
            QNetworkReply* r = nam.post(req, QByteArray(R"({"deadlineAfter":2})"));
            QEventLoop loop;
            connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
            loop.exec();
            QCOMPARE(r->error(), QNetworkReply::NoError);
            r->deleteLater();
        }
        ServerProjectionsPanel panel;
        panel.show();
        QVERIFY(open(panel,
                     QStringLiteral("kurrentdb://127.0.0.1:%1?tls=false&defaultDeadline=120000").arg(port),
                     QStringLiteral("orders-placed")));
        child<QLineEdit>(panel, "serverProjectionsScript")->setText(placed());
        QSignalSpy done(&panel, &ServerProjectionsPanel::compareFinished);
        QTest::mouseClick(button(panel, QStringLiteral("Compare with local")), Qt::LeftButton);
        auto* cancel = child<QPushButton>(panel, "serverProjectionsCancel");
        QVERIFY(cancel->isVisible());
        QVERIFY(child<QWidget>(panel, "serverProjectionsProgress")->isVisible());
        QVERIFY(!button(panel, QStringLiteral("Compare with local"))->isEnabled()); // one at a time
        QTest::qWait(300); // the read is under way, stalled
        QVERIFY(done.isEmpty());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(done.wait(10000));
        QCOMPARE(done.first().at(0).toBool(), false);
        QCOMPARE(done.first().at(2).toString(), QStringLiteral("cancelled"));
        QVERIFY(!cancel->isVisible());
        QVERIFY(!panel.isBusy());
        QVERIFY(child<QPlainTextEdit>(panel, "serverProjectionsOutput")
                    ->toPlainText()
                    .contains(QLatin1String("cancelled")));
        node.terminate();
        node.waitForFinished(5000);
    }
};

QTEST_MAIN(TestViewsServerProjections)
#include "tst_views_serverprojections.moc"
