// The main window's live tail of a remote source against the loopback Redis fixture (a real redis-server):
// new events written while following appear on the timeline, in the event table and in the counts; the
// cursor follows the head while "Follow head" is on and stays where the user put it otherwise; the status
// bar shows the state with the redacted URI; Save capture writes a store with the events and no secret.

#include "eventtablemodel.h"
#include "eventtableview.h"
#include "livecontroller.h"
#include "mainwindow.h"
#include "replaycontroller.h"
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"
#include "timelinewidget.h"

#include "fixtures/mockserver.h"
#include "fixtures/remotefixture.h"

#include <QAction>
#include <QLabel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <hiredis.h>

using namespace chronoscope;

namespace {

const QByteArray kSecret = "S3cret-pw!"; // the password of the fixture's second server

bool fileContains(const QString& path, const QByteArray& needle)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) && f.readAll().contains(needle);
}

} // namespace

class TstAppLive : public QObject
{
    Q_OBJECT

    int m_port = 0, m_authPort = 0;
    QString m_prefix;
    QTemporaryDir m_tmp;

    bool xadd(int port, const QByteArray& key, const QByteArray& type, int n)
    {
        redisContext* c = redisConnect("127.0.0.1", port);
        if (!c || c->err)
            return false;
        if (port == m_authPort)
            freeReplyObject(redisCommand(c, "AUTH %b", kSecret.constData(), size_t(kSecret.size())));
        const QByteArray data = "{\"n\":" + QByteArray::number(n) + "}";
        auto* r = static_cast<redisReply*>(redisCommand(c, "XADD %b * type %b data %b", key.constData(), size_t(key.size()),
                                                        type.constData(), size_t(type.size()), data.constData(), size_t(data.size())));
        const bool ok = r && r->type == REDIS_REPLY_STRING;
        freeReplyObject(r);
        redisFree(c);
        return ok;
    }
    QByteArray key(const QString& name) const { return (m_prefix + name).toUtf8(); }
    QString uri(int port, bool secret = false) const
    {
        const QString auth = secret ? QStringLiteral(":") + QString::fromLatin1(QUrl::toPercentEncoding(QString::fromLatin1(kSecret))) + u'@'
                                    : QString();
        return QStringLiteral("redis://") + auth + QStringLiteral("127.0.0.1:%1/0?block=50").arg(port);
    }
    RemoteScope scope(const QString& glob) const
    {
        RemoteScope s;
        s.streams = m_prefix + glob;
        return s;
    }
    static QString statusText(MainWindow& w) { return w.findChild<QLabel*>(QStringLiteral("statusRemote"))->text(); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("chronoscope-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_app_live"));
        QSettings().clear();
        QVERIFY(m_tmp.isValid());
        QString error;
        m_port = testing::remoteFixturePort(QStringLiteral("redis"), &error);
        QVERIFY2(m_port > 0, qPrintable(error));
        m_authPort = testing::remoteFixturePort(QStringLiteral("redis"), &error, QStringLiteral("port-auth"));
        QVERIFY2(m_authPort > 0, qPrintable(error));
        m_prefix = QStringLiteral("live%1.").arg(QCoreApplication::applicationPid());
    }

    void followAddsEventsAndCursorFollowsHead()
    {
        for (int i = 0; i < 3; ++i)
            QVERIFY(xadd(m_port, key(QStringLiteral("a-1")), "Placed", i));
        MainWindow w;
        w.setInteractive(false);
        LiveController* live = w.live();
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        live->start(uri(m_port), scope(QStringLiteral("a-*")), true, m_tmp.filePath(QStringLiteral("cache")));
        QTRY_VERIFY2(opened.size() == 1, qPrintable(statusText(w)));
        QVERIFY(w.index());
        QCOMPARE(w.index()->size(), qint64(3));
        QTRY_VERIFY2(live->state() == LiveController::State::Following, qPrintable(statusText(w)));
        QVERIFY(live->followHeadAction()->isEnabled());
        QVERIFY(live->followHeadAction()->isChecked());
        QCOMPARE(w.controller()->cursor(), w.index()->info.lastPosition);
        QVERIFY(live->saveCaptureAction()->isEnabled());
        QTRY_VERIFY2(statusText(w).contains(QStringLiteral("following, 3 events")), qPrintable(statusText(w)));
        QVERIFY(statusText(w).contains(QStringLiteral("redis://127.0.0.1:%1").arg(m_port)));

        // New events on a known stream: appended, the cursor moves along.
        const auto before = w.index();
        QVERIFY(xadd(m_port, key(QStringLiteral("a-1")), "Shipped", 3));
        QVERIFY(xadd(m_port, key(QStringLiteral("a-1")), "Shipped", 4));
        QTRY_COMPARE(w.index()->size(), qint64(5));
        QCOMPARE(w.index()->entries[0].position, before->entries[0].position); // extended, rows kept
        // Appended in place, not copied: the same index object, its first entry where it was. The new events
        // were read on the tail thread, never on the GUI thread.
        QCOMPARE(w.index().get(), before.get());
        QVERIFY(live->tailReads() > 0);
        QVERIFY(live->lastTailReadThread() != nullptr);
        QVERIFY(live->lastTailReadThread() != QThread::currentThread());
        QVERIFY(live->lastTailReadThread() != w.thread());
        QCOMPARE(w.index()->types, QStringList({QStringLiteral("Placed"), QStringLiteral("Shipped")}));
        QCOMPARE(w.index()->typeCounts[1], qint64(2));
        QCOMPARE(w.index()->streamInfos[0].events, qint64(5));
        QCOMPARE(w.index()->byTime.size(), size_t(5));
        QCOMPARE(w.index()->info.events, qint64(5));
        QTRY_COMPARE(w.controller()->cursor(), w.index()->info.lastPosition);
        QCOMPARE(w.eventTable()->model()->totalRows(), qint64(5));
        QTRY_VERIFY2(statusText(w).contains(QStringLiteral("following, 5 events")), qPrintable(statusText(w)));

        // A new stream: it gets the next lane number (a-1 keeps lane 0) and its place in name order for
        // display; every lane's rows stay right, and it is the same index object.
        QVERIFY(xadd(m_port, key(QStringLiteral("a-0")), "Placed", 5));
        QTRY_COMPARE(w.index()->size(), qint64(6));
        QCOMPARE(w.index()->streams, QStringList({m_prefix + QStringLiteral("a-1"), m_prefix + QStringLiteral("a-0")}));
        QCOMPARE(w.index()->laneOrder.toVector(), (std::vector<quint32>{1, 0}));
        QCOMPARE(w.timeline()->lanes(), (QList<int>{1, 0}));
        QCOMPARE(w.index()->laneRows[1].size(), size_t(1));
        QCOMPARE(w.index()->laneRows[0].size(), size_t(5));
        QCOMPARE(w.index()->laneOfRow(w.index()->laneRows[1][0]), 1);
        QCOMPARE(w.index().get(), before.get());
        QCOMPARE(w.index()->laneOf(m_prefix + QStringLiteral("a-1")), 0);
        QTRY_COMPARE(w.controller()->cursor(), w.index()->info.lastPosition);

        // Moving the cursor by hand turns Follow head off; the cursor then stays.
        const qint64 chosen = w.index()->entries[1].position;
        w.controller()->setCursor(chosen);
        w.controller()->flush();
        QVERIFY(!live->followHeadAction()->isChecked());
        QVERIFY(xadd(m_port, key(QStringLiteral("a-1")), "Shipped", 6));
        QTRY_COMPARE(w.index()->size(), qint64(7));
        QCOMPARE(w.controller()->cursor(), chosen);
        QCOMPARE(w.controller()->cursorRow(), qint64(1));

        // Turning it on again jumps to the head and follows from there.
        live->followHeadAction()->setChecked(true);
        QCOMPARE(w.controller()->cursor(), w.index()->info.lastPosition);
        QVERIFY(xadd(m_port, key(QStringLiteral("a-1")), "Shipped", 7));
        QTRY_COMPARE(w.index()->size(), qint64(8));
        QTRY_COMPARE(w.controller()->cursor(), w.index()->info.lastPosition);
        QVERIFY(live->followHeadAction()->isChecked());

        // Stopping (File ▸ Stop Remote Read): disconnected, the events stay open.
        QVERIFY(live->stopAction()->isEnabled());
        live->stopAction()->trigger();
        QTRY_COMPARE(live->state(), LiveController::State::Disconnected);
        QVERIFY(!live->followHeadAction()->isEnabled());
        QVERIFY(!live->stopAction()->isEnabled());
        QVERIFY(statusText(w).contains(QStringLiteral("disconnected")));
        QCOMPARE(w.index()->size(), qint64(8));
    }

    void readWithoutFollowCompletes()
    {
        for (int i = 0; i < 4; ++i)
            QVERIFY(xadd(m_port, key(QStringLiteral("b-1")), "Placed", i));
        MainWindow w;
        w.setInteractive(false);
        w.live()->start(uri(m_port), scope(QStringLiteral("b-*")), false, m_tmp.filePath(QStringLiteral("cache")));
        QTRY_VERIFY2(w.live()->state() == LiveController::State::Complete, qPrintable(statusText(w)));
        QCOMPARE(w.index()->size(), qint64(4));
        QVERIFY(!w.live()->followHeadAction()->isEnabled());
        QVERIFY2(statusText(w).contains(QStringLiteral("read 4 events")), qPrintable(statusText(w)));
    }

    void refusedServerIsDisconnected()
    {
        MainWindow w;
        w.setInteractive(false);
        QSignalSpy failed(&w, &MainWindow::openFailed);
        w.live()->start(QStringLiteral("redis://:%1@127.0.0.1:1/0?retries=0").arg(QString::fromLatin1(kSecret)), {}, true);
        QTRY_COMPARE(w.live()->state(), LiveController::State::Disconnected);
        QCOMPARE(failed.size(), 1);
        QVERIFY(!w.index());
        const QString text = statusText(w);
        QVERIFY2(text.contains(QStringLiteral("disconnected")) && text.contains(QStringLiteral("refused")), qPrintable(text));
        QVERIFY2(!text.toUtf8().contains(kSecret), qPrintable(text));
        QVERIFY(!failed.first().at(1).toString().toUtf8().contains(kSecret));
        QVERIFY(!w.live()->saveCaptureAction()->isEnabled());
    }

    void saveCaptureWritesTheWindow_data()
    {
        QTest::addColumn<bool>("stopFirst");
        QTest::newRow("while following") << false;
        QTest::newRow("after stopping") << true;
    }

    void saveCaptureWritesTheWindow()
    {
        QFETCH(bool, stopFirst);
        const QString glob = stopFirst ? QStringLiteral("c2-*") : QStringLiteral("c1-*");
        const QByteArray k = key(glob.left(glob.size() - 1) + QStringLiteral("x"));
        for (int i = 0; i < 5; ++i)
            QVERIFY(xadd(m_authPort, k, i % 2 ? "Paid" : "Placed", i));
        MainWindow w;
        w.setInteractive(false);
        LiveController* live = w.live();
        live->start(uri(m_authPort, true), scope(glob), true, m_tmp.filePath(QStringLiteral("cache")));
        QTRY_VERIFY2(live->state() == LiveController::State::Following, qPrintable(statusText(w)));
        QVERIFY(xadd(m_authPort, k, "Shipped", 5));
        QTRY_COMPARE(w.index()->size(), qint64(6));
        QVERIFY(!statusText(w).toUtf8().contains(kSecret));
        if (stopFirst) {
            live->stop();
            QTRY_COMPARE(live->state(), LiveController::State::Disconnected);
        }
        QSignalSpy saved(live, &LiveController::captureFinished);
        const QString path = m_tmp.filePath(QStringLiteral("capture-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        QVERIFY(live->saveCaptureTo(path));
        QTRY_COMPARE(saved.size(), 1);
        QVERIFY2(saved.first().at(0).toBool(), qPrintable(saved.first().at(2).toString()));

        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({});
        QCOMPARE(events.size(), 6);
        QCOMPARE(events.last().type, QStringLiteral("Shipped"));
        QCOMPARE(events.first().data, QByteArray("{\"n\":0}"));
        for (const Event& e : events)
            QCOMPARE(e.stream, QString::fromUtf8(k));
        const QHash<QString, QString> meta = reader->meta();
        QCOMPARE(meta.value(QStringLiteral("source_uri")), redactUri(uri(m_authPort, true)));
        QVERIFY(meta.value(QStringLiteral("source_uri")).contains(QStringLiteral("127.0.0.1:%1").arg(m_authPort)));
        QCOMPARE(meta.value(QStringLiteral("source_layout")), QStringLiteral("redis-streams"));
        QVERIFY(meta.value(QStringLiteral("scope")).contains(glob));
        QCOMPARE(meta.value(QStringLiteral("remote_complete")), stopFirst ? QStringLiteral("true") : QStringLiteral("false"));
        reader.reset();
        QVERIFY(!fileContains(path, kSecret));
        QVERIFY(!fileContains(live->session()->cachePath(), kSecret));

        // A second save to the same file is refused rather than overwriting it; the first stays intact.
        QVERIFY(live->saveCaptureTo(path));
        QTRY_COMPARE(saved.size(), 2);
        QVERIFY(!saved.last().at(0).toBool());
        QVERIFY(!saved.last().at(2).toString().isEmpty());
        // Writing over the cache being read is refused at once.
        QVERIFY(!live->saveCaptureTo(live->session()->cachePath(), true));
        QCOMPARE(saved.size(), 3);
        QVERIFY(saved.last().at(2).toString().contains(QStringLiteral("cache being read")));
        live->stop();
    }

    // EventSourcingDB cannot run here: the mock server speaks its HTTP API (observe-events for the tail).
    void followEventSourcingDbMock()
    {
        testing::MockServer server;
        QString error;
        QVERIFY2(server.start(QStringLiteral("mock_eventsourcingdb.py"), {}, &error), qPrintable(error));
        QVERIFY(testing::MockServer::appendFromThread(server.port(),
            R"([{"subject":"/books/1","type":"io.example.added","data":{"n":0}},{"subject":"/books/2","type":"io.example.added","data":{"n":1}}])"));
        MainWindow w;
        w.setInteractive(false);
        LiveController* live = w.live();
        const QString esdb = QStringLiteral("eventsourcingdb://127.0.0.1:%1?token=secret-token").arg(server.port());
        RemoteScope s;
        s.streams = QStringLiteral("/books/*");
        live->start(esdb, s, true, m_tmp.filePath(QStringLiteral("cache")));
        QTRY_VERIFY2(live->state() == LiveController::State::Following, qPrintable(statusText(w)));
        QCOMPARE(w.index()->size(), qint64(2));
        QVERIFY(testing::MockServer::appendFromThread(server.port(),
            R"([{"subject":"/books/3","type":"io.example.lent","data":{"n":2}},{"subject":"/other","type":"x","data":{}},{"subject":"/books/1","type":"io.example.lent","data":{"n":3}}])"));
        QTRY_COMPARE(w.index()->size(), qint64(4));
        QCOMPARE(w.index()->streams, QStringList({QStringLiteral("/books/1"), QStringLiteral("/books/2"), QStringLiteral("/books/3")}));
        QTRY_COMPARE(w.controller()->cursor(), w.index()->info.lastPosition);
        QTRY_VERIFY2(statusText(w).contains(QStringLiteral("following, 4 events")), qPrintable(statusText(w)));
        QVERIFY(!statusText(w).contains(QStringLiteral("secret-token")));
        QSignalSpy saved(live, &LiveController::captureFinished);
        const QString path = m_tmp.filePath(QStringLiteral("esdb-capture.chronoscope"));
        QVERIFY(live->saveCaptureTo(path));
        QTRY_COMPARE(saved.size(), 1);
        QVERIFY2(saved.first().at(0).toBool(), qPrintable(saved.first().at(2).toString()));
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->readAll({}).size(), 4);
        QVERIFY(!reader->meta().value(QStringLiteral("source_uri")).contains(QStringLiteral("secret-token")));
        reader.reset();
        QVERIFY(!fileContains(path, "secret-token"));
        live->stop();
        QTRY_COMPARE(live->state(), LiveController::State::Disconnected);
    }

    void noSecretInSettings()
    {
        {
            MainWindow w;
            w.setInteractive(false);
            w.live()->start(uri(m_authPort, true), scope(QStringLiteral("c1-*")), false, m_tmp.filePath(QStringLiteral("cache")));
            QTRY_VERIFY2(w.live()->state() == LiveController::State::Complete, qPrintable(statusText(w)));
            w.close();
        }
        QSettings settings;
        settings.sync();
        QVERIFY(QFileInfo::exists(settings.fileName()));
        QVERIFY(!fileContains(settings.fileName(), kSecret));
        QVERIFY(!fileContains(settings.fileName(), QUrl::toPercentEncoding(QString::fromLatin1(kSecret))));
        QVERIFY(settings.value(QStringLiteral("recentFiles")).toStringList().contains(redactUri(uri(m_authPort, true))));
    }
};

QTEST_MAIN(TstAppLive)
#include "tst_app_live.moc"
