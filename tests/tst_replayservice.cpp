// ReplayService: results arrive on the caller's thread, superseded and cancelled requests stay silent,
// running work is stopped, failures are reported.
#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/replayservice.h"
#include "store/memoryreader.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"

#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace chronoscope;

namespace {

Event ev(const QString& stream, qint64 version, const QByteArray& data)
{
    Event e;
    e.stream = stream;
    e.version = version;
    e.type = QStringLiteral("Changed");
    e.data = data;
    return e;
}

QList<Event> store()
{
    QList<Event> out;
    out << ev(QStringLiteral("order-1"), 0, R"({"status":"new","total":10})");
    out << ev(QStringLiteral("order-1"), 1, R"({"status":"paid"})");
    for (int v = 0; v < 3000; ++v)
        out << ev(QStringLiteral("slow-1"), v, QStringLiteral(R"({"n":%1})").arg(v).toUtf8());
    return out;
}

// Shared between a reader and its clones: lets a test see what the worker thread's reader does,
// and slow it down so that requests are still running when the next one comes.
struct Probe
{
    std::atomic<int> clones{0};
    std::atomic<qint64> delivered{0};
    std::atomic<bool> started{false};
    std::atomic<int> delayUs{0};
    std::atomic<Qt::HANDLE> readThread{nullptr};
};

class ProbedReader : public MemoryReader
{
public:
    ProbedReader(QList<Event> events, std::shared_ptr<Probe> probe) : MemoryReader(std::move(events)), m_probe(std::move(probe)) {}
    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override
    {
        m_probe->readThread = QThread::currentThreadId();
        return MemoryReader::read(
            q,
            [&](const Event& e) {
                m_probe->started = true;
                ++m_probe->delivered;
                if (const int us = m_probe->delayUs)
                    QThread::usleep(us);
                return sink(e);
            },
            error);
    }
    std::unique_ptr<EventReader> clone(QString*) override
    {
        ++m_probe->clones;
        return std::make_unique<ProbedReader>(*this);
    }

private:
    std::shared_ptr<Probe> m_probe;
};

} // namespace

class TstReplayService : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void stateArrivesOnCallerThread()
    {
        auto probe = std::make_shared<Probe>();
        ReplayService service(std::make_unique<ProbedReader>(store(), probe));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        QSignalSpy failed(&service, &ReplayService::failed);
        const quint64 id = service.requestState(QStringLiteral("order-1"), Point::atVersion(0));
        QVERIFY(service.isPending(id));
        QTRY_COMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toULongLong(), id);
        const auto r = ready.at(0).at(1).value<StateResult>();
        QVERIFY(r.ok());
        QCOMPARE(toJsonText(r.state), QByteArray(R"({"status":"new","total":10})"));
        QCOMPARE(r.lastEvent->version, 0);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!service.isPending(id));
        // The work ran on the worker's own clone of the reader, on another thread.
        QCOMPARE(probe->clones.load(), 1);
        QVERIFY(probe->readThread.load() != QThread::currentThreadId());
    }

    void diffBlameAndChange()
    {
        auto probe = std::make_shared<Probe>();
        ReplayService service(std::make_unique<ProbedReader>(store(), probe));
        QSignalSpy diff(&service, &ReplayService::diffReady);
        QSignalSpy blame(&service, &ReplayService::blameReady);
        QSignalSpy change(&service, &ReplayService::changeReady);
        const quint64 d = service.requestDiff(QStringLiteral("order-1"), Point::atVersion(0), Point::end());
        const quint64 b = service.requestBlame(QStringLiteral("order-1"), QStringLiteral("/status"), Point::end());
        const quint64 c = service.requestChange(ev(QStringLiteral("order-1"), 1, R"({"status":"paid"})"));
        // Different kinds do not supersede each other.
        QTRY_COMPARE(diff.count(), 1);
        QTRY_COMPARE(blame.count(), 1);
        QTRY_COMPARE(change.count(), 1);
        QCOMPARE(diff.at(0).at(0).toULongLong(), d);
        QCOMPARE(toJsonText(diff.at(0).at(3).toJsonArray()), QByteArray(R"([{"op":"replace","path":"/status","value":"paid"}])"));
        QCOMPARE(toJsonText(diff.at(0).at(1).toJsonValue()), QByteArray(R"({"status":"new","total":10})"));
        QCOMPARE(blame.at(0).at(0).toULongLong(), b);
        QCOMPARE(blame.at(0).at(1).value<BlameResult>().event->version, 1);
        QCOMPARE(change.at(0).at(0).toULongLong(), c);
        QCOMPARE(toJsonText(change.at(0).at(1).value<EventChange>().patch), QByteArray(R"([{"op":"replace","path":"/status","value":"paid"}])"));
    }

    void failuresAreReported()
    {
        ReplayService service(std::make_unique<MemoryReader>(store()));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        QSignalSpy failed(&service, &ReplayService::failed);
        QSignalSpy blameReady(&service, &ReplayService::blameReady);
        const quint64 s = service.requestState(QStringLiteral("missing-7"), Point::end());
        const quint64 b = service.requestBlame(QStringLiteral("order-1"), QStringLiteral("/nothing"), Point::end());
        QTRY_COMPARE(failed.count(), 2);
        QCOMPARE(ready.count(), 0);
        QCOMPARE(blameReady.count(), 0);
        QMap<quint64, QString> byId;
        for (const auto& args : failed)
            byId.insert(args.at(0).toULongLong(), args.at(1).toString());
        QVERIFY2(byId.value(s).contains(QLatin1String("missing-7")), qPrintable(byId.value(s)));
        QCOMPARE(byId.value(b), QStringLiteral("path not found"));
    }

    // Two requests in a row: only the newer one's result is emitted.
    void supersededResultIsDropped()
    {
        ReplayService service(std::make_unique<MemoryReader>(store()));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        const quint64 first = service.requestState(QStringLiteral("order-1"), Point::atVersion(0));
        const quint64 second = service.requestState(QStringLiteral("order-1"), Point::atVersion(1));
        QVERIFY(!service.isPending(first));
        QTRY_COMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toULongLong(), second);
        QCOMPARE(ready.at(0).at(1).value<StateResult>().state.toObject().value(QLatin1String("status")).toString(), QStringLiteral("paid"));
        // Let anything late for `first` arrive: it must not.
        QTest::qWait(50);
        QCOMPARE(ready.count(), 1);
    }

    // A long-running request is stopped (not just ignored) when a newer one arrives.
    void supersededWorkIsCancelled()
    {
        auto probe = std::make_shared<Probe>();
        probe->delayUs = 1000;  // 3000 events: about 3 s if it ran to the end
        ReplayService service(std::make_unique<ProbedReader>(store(), probe));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        const quint64 slow = service.requestState(QStringLiteral("slow-1"), Point::end());
        QTRY_VERIFY(probe->started.load());
        probe->delayUs = 0;
        const quint64 fast = service.requestState(QStringLiteral("order-1"), Point::end());
        QTRY_COMPARE(ready.count(), 1);
        QCOMPARE(ready.at(0).at(0).toULongLong(), fast);
        QVERIFY(fast != slow);
        QVERIFY2(probe->delivered.load() < 3000, qPrintable(QString::number(probe->delivered.load())));
    }

    void explicitCancel()
    {
        auto probe = std::make_shared<Probe>();
        probe->delayUs = 1000;
        ReplayService service(std::make_unique<ProbedReader>(store(), probe));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        QSignalSpy failed(&service, &ReplayService::failed);
        const quint64 id = service.requestState(QStringLiteral("slow-1"), Point::end());
        QTRY_VERIFY(probe->started.load());
        service.cancel(id);
        QVERIFY(!service.isPending(id));
        // The worker stops soon: the next request (which queues behind it) completes.
        probe->delayUs = 0;
        const quint64 next = service.requestBlame(QStringLiteral("order-1"), QStringLiteral("/total"), Point::end());
        QSignalSpy blame(&service, &ReplayService::blameReady);
        QTRY_COMPARE(blame.count(), 1);
        QCOMPARE(blame.at(0).at(0).toULongLong(), next);
        QTest::qWait(50);
        QCOMPARE(ready.count(), 0);
        QCOMPARE(failed.count(), 0);
        QVERIFY(probe->delivered.load() < 3000);
    }

    // A real store file: the worker clones the SQLite reader on its own thread and answers from it.
    void nativeStoreFile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("svc.chronoscope"));
        {
            QString err;
            auto w = StoreWriter::create(path, StoreWriter::Options{}, &err);
            QVERIFY2(w, qPrintable(err));
            for (const Event& e : store())
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
        }
        QString err;
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        ReplayService service(std::move(reader));
        QSignalSpy ready(&service, &ReplayService::stateReady);
        QSignalSpy blame(&service, &ReplayService::blameReady);
        const quint64 s = service.requestState(QStringLiteral("slow-1"), Point::atVersion(2500));
        const quint64 b = service.requestBlame(QStringLiteral("order-1"), QStringLiteral("/status"), Point::end());
        QTRY_COMPARE(ready.count(), 1);
        QTRY_COMPARE(blame.count(), 1);
        QCOMPARE(ready.at(0).at(0).toULongLong(), s);
        QCOMPARE(toJsonText(ready.at(0).at(1).value<StateResult>().state), QByteArray(R"({"n":2500})"));
        QCOMPARE(blame.at(0).at(0).toULongLong(), b);
        QCOMPARE(blame.at(0).at(1).value<BlameResult>().event->version, 1);
    }

    // Destroying the service while it works neither hangs nor crashes, and emits nothing.
    void destroyWhileWorking()
    {
        auto probe = std::make_shared<Probe>();
        probe->delayUs = 1000;
        auto service = std::make_unique<ReplayService>(std::make_unique<ProbedReader>(store(), probe));
        service->requestState(QStringLiteral("slow-1"), Point::end());
        QTRY_VERIFY(probe->started.load());
        service.reset();
        QVERIFY(probe->delivered.load() < 3000);
    }
};

QTEST_GUILESS_MAIN(TstReplayService)
#include "tst_replayservice.moc"
