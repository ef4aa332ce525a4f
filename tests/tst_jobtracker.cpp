// JobTracker: ids only grow, a newer job in a lane cancels the older one and its answer is dropped, the
// worker sees cancel, interrupted jobs still answer, answers arrive on the owner's thread, a dedicated
// tracker runs its jobs in order on one thread, and destroying a tracker (or its owner) while jobs run or
// wait is safe: the running one is told to stop, the queued ones never start, nothing is delivered after.
#include "util/jobtracker.h"

#include <QSemaphore>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

using namespace chronoscope;

namespace {

/// Spins until the job is cancelled (or a generous bound passes, so a broken tracker fails, not hangs).
bool waitForCancel(const JobHandle& job)
{
    QDeadlineTimer bound(10'000);
    while (!job.isCancelled() && !bound.hasExpired())
        QThread::msleep(1);
    return job.isCancelled();
}

} // namespace

class TestJobTracker : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void idsGrowAcrossLanes();
    void answerArrivesOnOwnersThread();
    void staleAnswerIsDropped_data();
    void staleAnswerIsDropped();
    void cancelIsSeenByWorker();
    void cancelledWhileQueuedNeverRuns();
    void interruptStillAnswers();
    void postedNewsStopsWhenSuperseded();
    void dedicatedRunsInOrderOnOneThread();
    void moveOnlyResult();
    void destructionWhileRunning();
    void destructionWithQueuedJobs();
    void ownerDestroyedBeforeAnswer();
    void waitForDoneTimesOut();
};

void TestJobTracker::idsGrowAcrossLanes()
{
    QObject owner;
    JobTracker jobs(&owner);
    QCOMPARE(jobs.lastId(), quint64(0));
    quint64 last = 0;
    for (int lane : {0, 1, JobTracker::NoLane, 0, 1}) {
        const quint64 id = jobs.start(lane, [](const JobHandle&) { return 1; }, [](quint64, int) {});
        QVERIFY(id > last);
        last = id;
    }
    QCOMPARE(jobs.lastId(), last);
    QVERIFY(jobs.waitForDone(10'000));
}

void TestJobTracker::answerArrivesOnOwnersThread()
{
    QObject owner;
    JobTracker jobs(&owner);
    QThread* workThread = nullptr;
    QThread* answerThread = nullptr;
    quint64 answeredId = 0;
    int answer = 0;
    const quint64 id = jobs.start(
        0,
        [&](const JobHandle& job) {
            workThread = QThread::currentThread();
            return int(job.id()) * 10;
        },
        [&](quint64 id, int value) {
            answerThread = QThread::currentThread();
            answeredId = id;
            answer = value;
        });
    QVERIFY(jobs.isCurrent(id));
    QTRY_COMPARE(answeredId, id);
    QCOMPARE(answer, int(id) * 10);
    QVERIFY(workThread && workThread != QThread::currentThread());
    QCOMPARE(answerThread, QThread::currentThread());
    QVERIFY(!jobs.isCurrent(id));  // answered: no longer outstanding
    QVERIFY(!jobs.hasCurrent());
}

void TestJobTracker::staleAnswerIsDropped_data()
{
    QTest::addColumn<bool>("dedicated");
    QTest::addColumn<bool>("olderFinishesFirst");
    QTest::newRow("shared pool, older done first") << false << true;
    QTest::newRow("shared pool, newer done first") << false << false;
    QTest::newRow("dedicated, older done first") << true << true;
}

void TestJobTracker::staleAnswerIsDropped()
{
    QFETCH(bool, dedicated);
    QFETCH(bool, olderFinishesFirst);
    QObject owner;
    JobTracker jobs(&owner, dedicated ? JobTracker::Threads::Dedicated : JobTracker::Threads::Shared);
    QSemaphore olderStarted, releaseOlder;
    QList<quint64> answers;
    // The older job ignores its flag on purpose: even an answer computed to the end is dropped when stale.
    const quint64 older = jobs.start(
        0,
        [&](const JobHandle&) {
            olderStarted.release();
            releaseOlder.acquire();
            return QStringLiteral("old");
        },
        [&](quint64 id, const QString&) { answers << id; });
    QVERIFY(olderStarted.tryAcquire(1, 10'000));
    const quint64 newer = jobs.start(0, [](const JobHandle&) { return QStringLiteral("new"); },
                                     [&](quint64 id, const QString&) { answers << id; });
    QVERIFY(!jobs.isCurrent(older));
    QVERIFY(jobs.isCurrent(newer));
    if (olderFinishesFirst) {
        releaseOlder.release();
        QTRY_COMPARE(answers.size(), 1);
    } else {
        QTRY_COMPARE(answers.size(), 1);
        releaseOlder.release();
    }
    QVERIFY(jobs.waitForDone(10'000));
    QCoreApplication::processEvents();  // a stale answer would be queued by now
    QCOMPARE(answers, QList<quint64>{newer});
}

void TestJobTracker::cancelIsSeenByWorker()
{
    QObject owner;
    JobTracker jobs(&owner);
    QSemaphore started;
    std::atomic<bool> sawCancel{false};
    bool answered = false;
    const quint64 id = jobs.start(
        JobTracker::NoLane,
        [&](const JobHandle& job) {
            started.release();
            sawCancel = waitForCancel(job);
            return 0;
        },
        [&](quint64, int) { answered = true; });
    QVERIFY(started.tryAcquire(1, 10'000));
    jobs.cancel(id);
    QVERIFY(jobs.waitForDone(10'000));
    QVERIFY(sawCancel);
    QCoreApplication::processEvents();
    QVERIFY(!answered);
    QVERIFY(!jobs.isCurrent(id));
}

void TestJobTracker::cancelledWhileQueuedNeverRuns()
{
    QObject owner;
    JobTracker jobs(&owner, JobTracker::Threads::Dedicated);
    QSemaphore started, release;
    std::atomic<int> ran{0};
    jobs.post([&](const JobHandle&) {
        started.release();
        release.acquire();
    });
    QVERIFY(started.tryAcquire(1, 10'000));
    // Queued behind the blocked job: superseded ones (lane 3) and a cancelled one never do any work.
    jobs.start(3, [&](const JobHandle&) { ++ran; return 0; }, [](quint64, int) {});
    jobs.start(3, [&](const JobHandle&) { ++ran; return 0; }, [](quint64, int) {});
    const quint64 cancelled = jobs.start(JobTracker::NoLane, [&](const JobHandle&) { ++ran; return 0; }, [](quint64, int) {});
    int lastAnswer = 0;
    const quint64 last = jobs.start(3, [&](const JobHandle&) { ++ran; return 7; }, [&](quint64, int v) { lastAnswer = v; });
    jobs.cancel(cancelled);
    release.release();
    QTRY_COMPARE(lastAnswer, 7);
    QVERIFY(jobs.waitForDone(10'000));
    QCOMPARE(ran.load(), 1);
    QVERIFY(!jobs.isCurrent(last));
}

void TestJobTracker::interruptStillAnswers()
{
    QObject owner;
    JobTracker jobs(&owner);
    QSemaphore started;
    QString answer;
    const quint64 id = jobs.start(
        0,
        [&](const JobHandle& job) {
            started.release();
            return waitForCancel(job) ? QStringLiteral("cancelled") : QStringLiteral("timed out");
        },
        [&](quint64, const QString& a) { answer = a; });
    QVERIFY(started.tryAcquire(1, 10'000));
    jobs.interrupt(id);
    QVERIFY(jobs.isCurrent(id));  // still wanted: the caller waits for its "cancelled"
    QTRY_COMPARE(answer, QStringLiteral("cancelled"));
}

void TestJobTracker::postedNewsStopsWhenSuperseded()
{
    QObject owner;
    JobTracker jobs(&owner);
    QSemaphore firstPosted, goOn;
    QList<int> news;
    jobs.start(
        0,
        [&](const JobHandle& job) {
            job.post([&] { news << 1; });
            firstPosted.release();
            goOn.acquire();
            job.post([&] { news << 2; });  // after being superseded: dropped
            return 0;
        },
        [](quint64, int) {});
    QVERIFY(firstPosted.tryAcquire(1, 10'000));
    QTRY_COMPARE(news, QList<int>{1});
    jobs.start(0, [](const JobHandle&) { return 0; }, [](quint64, int) {});
    goOn.release();
    QVERIFY(jobs.waitForDone(10'000));
    QCoreApplication::processEvents();
    QCOMPARE(news, QList<int>{1});
}

void TestJobTracker::dedicatedRunsInOrderOnOneThread()
{
    QObject owner;
    JobTracker jobs(&owner, JobTracker::Threads::Dedicated);
    QList<int> order;  // touched only by the one worker thread
    QSet<QThread*> threads;
    for (int i = 0; i < 20; ++i)
        jobs.post([&, i](const JobHandle&) {
            order << i;
            threads << QThread::currentThread();
        });
    QVERIFY(jobs.waitForDone(10'000));
    QCOMPARE(order.size(), 20);
    for (int i = 0; i < 20; ++i)
        QCOMPARE(order.at(i), i);
    QCOMPARE(threads.size(), 1);
    QVERIFY(!threads.contains(QThread::currentThread()));
}

void TestJobTracker::moveOnlyResult()
{
    QObject owner;
    JobTracker jobs(&owner);
    auto input = std::make_unique<int>(41);
    int answer = 0;
    jobs.start(
        0, [input = std::move(input)](const JobHandle&) { return std::make_unique<int>(*input + 1); },
        [&](quint64, std::unique_ptr<int> r) { answer = *r; });
    QTRY_COMPARE(answer, 42);
}

void TestJobTracker::destructionWhileRunning()
{
    auto owner = std::make_unique<QObject>();
    auto jobs = std::make_unique<JobTracker>(owner.get());
    QSemaphore started;
    std::atomic<bool> sawCancel{false}, returned{false};
    bool answered = false;
    jobs->start(
        0,
        [&](const JobHandle& job) {
            started.release();
            sawCancel = waitForCancel(job);
            QThread::msleep(20);  // the destructor must wait for this too
            returned = true;
            return 0;
        },
        [&](quint64, int) { answered = true; });
    QVERIFY(started.tryAcquire(1, 10'000));
    jobs.reset();
    QVERIFY(sawCancel);
    QVERIFY(returned);  // the destructor returned only after the work did
    QCoreApplication::processEvents();
    QVERIFY(!answered);
}

void TestJobTracker::destructionWithQueuedJobs()
{
    QObject owner;
    auto jobs = std::make_unique<JobTracker>(&owner, JobTracker::Threads::Dedicated);
    QSemaphore started;
    std::atomic<int> ran{0};
    jobs->post([&](const JobHandle& job) {
        started.release();
        waitForCancel(job);
    });
    for (int i = 0; i < 5; ++i)
        jobs->start(JobTracker::NoLane, [&](const JobHandle&) { ++ran; return 0; }, [](quint64, int) {});
    QVERIFY(started.tryAcquire(1, 10'000));
    jobs.reset();
    QCOMPARE(ran.load(), 0);
}

void TestJobTracker::ownerDestroyedBeforeAnswer()
{
    // The tracker outlives its owner here (unusual, but a shared pool job may still be running): the answer
    // is dropped, nothing touches the dead owner.
    auto owner = std::make_unique<QObject>();
    JobTracker jobs(owner.get());
    QSemaphore started, release;
    bool answered = false;
    jobs.start(
        0,
        [&](const JobHandle&) {
            started.release();
            release.acquire();
            return 0;
        },
        [&](quint64, int) { answered = true; });
    QVERIFY(started.tryAcquire(1, 10'000));
    owner.reset();
    release.release();
    QVERIFY(jobs.waitForDone(10'000));
    QCoreApplication::processEvents();
    QVERIFY(!answered);
}

void TestJobTracker::waitForDoneTimesOut()
{
    QObject owner;
    JobTracker jobs(&owner);
    QSemaphore release;
    jobs.post([&](const JobHandle&) { release.acquire(); });
    QVERIFY(!jobs.waitForDone(20));
    release.release();
    QVERIFY(jobs.waitForDone(10'000));
}

QTEST_GUILESS_MAIN(TestJobTracker)
#include "tst_jobtracker.moc"
