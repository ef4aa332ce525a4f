// ReplayController and the TimelineIndex it steps over: cursor moves, stream-scoped steps, markers,
// play in event and real-time mode, throttling, and the index's lookups.
#include "replaycontroller.h"
#include "views_fixtures.h"

#include <QSignalSpy>
#include <QTest>

using namespace chronoscope;
using namespace chronoscope::fixtures;

class TstViewsReplayController : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void indexLookups()
    {
        auto index = indexOf(shopEvents());
        QVERIFY(index);
        QCOMPARE(index->size(), 7);
        QCOMPARE(index->streams, (QStringList{"order-1", "order-2", "payment-1"}));
        QCOMPARE(index->types.size(), 6);
        QCOMPARE(index->laneRows[0].size(), size_t(3));
        QCOMPARE(index->rowOfPosition(4), 3);
        QCOMPARE(index->rowOfPosition(99), -1);
        QCOMPARE(index->rowAtOrBefore(0), -1);
        QCOMPARE(index->rowAtOrBefore(100), 6);
        // Two events share kT0 + 9000: "at time" is the later of them.
        QCOMPARE(index->rowAtTime(kT0 + 9000), 5);
        QCOMPARE(index->rowAtTime(kT0 - 1), -1);
        QCOMPARE(index->timeLowerBound(kT0 + 9000), 4);
        QCOMPARE(index->laneLowerBound(0, kT0 + 1), 1);
        QCOMPARE(index->firstTime(), kT0);
        QCOMPARE(index->lastTime(), kT0 + 60000);
        QCOMPARE(index->typeCounts[size_t(index->typeOf("OrderPlaced"))], 2);
    }

    void indexUnorderedTimes()
    {
        // Positions ascending but times going backwards (clock skew between writers).
        QList<Event> ev;
        ev << makeEvent("a-1", 0, "X", kT0 + 3000, {}) << makeEvent("b-1", 0, "X", kT0 + 1000, {})
           << makeEvent("a-1", 1, "X", kT0 + 2000, {});
        auto index = indexOf(ev);
        QCOMPARE(index->byTime, (std::vector<quint32>{1, 2, 0}));
        QCOMPARE(index->laneRows[0], (std::vector<quint32>{2, 0}));
        ReplayController c;
        c.setIndex(index);
        c.setSelectedStream("a-1");
        c.setStepScope(ReplayController::StepScope::SelectedStream);
        c.first();
        QCOMPARE(c.cursor(), 1); // first by position within the stream, not by time
        c.stepNext();
        QCOMPARE(c.cursor(), 3);
    }

    void indexWithoutTimes()
    {
        QList<Event> ev;
        ev << makeEvent("a", 0, "X", kNoTime, {}) << makeEvent("a", 1, "Y", kNoTime, {});
        auto index = indexOf(ev);
        QVERIFY(!index->timeKnown);
        QCOMPARE(index->entries[1].time, 2); // the axis counts positions
    }

    void indexCancel()
    {
        MemoryReader reader(manyEvents(50000, 5));
        CancelToken cancel;
        cancel.cancel();
        QString error;
        QVERIFY(!buildTimelineIndex(reader, cancel, {}, &error));
        QVERIFY(!error.isEmpty());
    }

    void steps_data()
    {
        QTest::addColumn<QString>("stream");
        QTest::addColumn<QList<qint64>>("forward");
        QTest::newRow("all streams") << QString() << QList<qint64>{1, 2, 3, 4, 5, 6, 7};
        QTest::newRow("order-1") << "order-1" << QList<qint64>{1, 5, 7};
        QTest::newRow("payment-1") << "payment-1" << QList<qint64>{3, 4};
    }
    void steps()
    {
        QFETCH(QString, stream);
        QFETCH(QList<qint64>, forward);
        ReplayController c;
        c.setIndex(indexOf(shopEvents()));
        QCOMPARE(c.cursor(), 7); // a store opens at its end
        if (!stream.isEmpty()) {
            c.setSelectedStream(stream);
            c.setStepScope(ReplayController::StepScope::SelectedStream);
        }
        c.setCursor(0);
        QList<qint64> seen;
        for (int i = 0; i < 10; ++i) {
            c.stepNext();
            if (!seen.isEmpty() && seen.last() == c.cursor())
                break;
            seen << c.cursor();
        }
        QCOMPARE(seen, forward);
        QList<qint64> back;
        for (int i = 0; i < 10; ++i) {
            c.stepPrevious();
            if (c.cursor() == 0 || (!back.isEmpty() && back.last() == c.cursor()))
                break;
            back << c.cursor();
        }
        std::reverse(back.begin(), back.end());
        QCOMPARE(back, forward.mid(0, forward.size() - 1));
        c.last();
        QCOMPARE(c.cursor(), forward.last());
        c.first();
        QCOMPARE(c.cursor(), forward.first());
    }

    void setCursorSnaps()
    {
        QList<Event> ev = shopEvents();
        ev[3].position = 10; // a gap in positions: 1 2 3 10 11 12 13
        ev[4].position = 11;
        ev[5].position = 12;
        ev[6].position = 13;
        ReplayController c;
        c.setIndex(indexOf(ev));
        c.setCursor(7);
        QCOMPARE(c.cursor(), 3);
        c.setCursor(-5);
        QCOMPARE(c.cursor(), 0);
        QCOMPARE(c.cursorRow(), -1);
        c.setCursor(1000);
        QCOMPARE(c.cursor(), 13);
        c.setCursorTime(kT0 + 4999);
        QCOMPARE(c.cursor(), 3);
        c.setCursorTime(kT0 + 5000);
        QCOMPARE(c.cursor(), 10);
        QVERIFY(c.setCursorToVersion("order-1", 1));
        QCOMPARE(c.cursor(), 11);
        QCOMPARE(c.selectedStream(), QStringLiteral("order-1"));
        QCOMPARE(c.selectedEvent(), 11);
        QVERIFY(!c.setCursorToVersion("order-1", 99));
        QVERIFY(!c.setCursorToVersion("nope", 0));
    }

    void throttled()
    {
        ReplayController c;
        c.setIndex(indexOf(manyEvents(1000, 3)));
        QSignalSpy spy(&c, &ReplayController::cursorChanged);
        c.setCursor(1);
        QCOMPARE(spy.count(), 1); // leading edge: at once
        for (int p = 2; p <= 500; ++p)
            c.setCursor(p);
        QCOMPARE(spy.count(), 1); // the burst is held back...
        QTRY_COMPARE(spy.count(), 2); // ...and delivered once, with the latest value
        QCOMPARE(spy.last().at(0).toLongLong(), 500);
        c.setCursor(500);
        QTest::qWait(40);
        QCOMPARE(spy.count(), 2); // no signal for no change
    }

    void markersAndJump()
    {
        ReplayController c;
        c.setIndex(indexOf(shopEvents()));
        QSignalSpy markers(&c, &ReplayController::markersChanged);
        c.setMarkerA(2);
        c.setMarkerB(6);
        QCOMPARE(markers.count(), 2);
        QCOMPARE(c.markerA(), 2);
        QCOMPARE(c.markerB(), 6);
        c.jumpToEvent(4);
        QCOMPARE(c.cursor(), 4);
        QCOMPARE(c.selectedStream(), QStringLiteral("payment-1"));
        c.jumpToEvent(99); // unknown: nothing moves
        QCOMPARE(c.cursor(), 4);
        c.setIndex(indexOf(manyEvents(10, 2))); // a new store clears markers and selection
        QCOMPARE(c.markerA(), 0);
        QCOMPARE(c.selectedStream(), QString());
    }

    void playEvents()
    {
        ReplayController c;
        c.setIndex(indexOf(manyEvents(200, 4)));
        c.setCursor(0);
        c.setSpeed(64); // 640 events/s
        QCOMPARE(c.speed(), 64.0);
        QSignalSpy playing(&c, &ReplayController::playingChanged);
        c.play();
        QVERIFY(c.isPlaying());
        QTRY_VERIFY(c.cursor() > 20);
        c.togglePlay();
        QVERIFY(!c.isPlaying());
        const qint64 stopped = c.cursor();
        QTest::qWait(100);
        QCOMPARE(c.cursor(), stopped);
        c.play();
        QTRY_VERIFY_WITH_TIMEOUT(!c.isPlaying(), 3000); // stops by itself at the end
        QCOMPARE(c.cursor(), 200);
        QCOMPARE(playing.count(), 4);
        c.setSpeed(1000);
        QCOMPARE(c.speed(), 64.0);
        c.setSpeed(0);
        QCOMPARE(c.speed(), 0.25);
    }

    void playRealTimeSkipsGaps()
    {
        // Three events a day apart: real time at 1x would take days; the gaps are skipped and reported.
        QList<Event> ev;
        ev << makeEvent("a", 0, "X", kT0, {}) << makeEvent("a", 1, "X", kT0 + 86'400'000, {})
           << makeEvent("a", 2, "X", kT0 + 2 * 86'400'000, {});
        ReplayController c;
        c.setIndex(indexOf(ev));
        c.setCursor(1);
        c.setRealTime(true);
        QSignalSpy gaps(&c, &ReplayController::gapSkipped);
        c.play();
        QTRY_VERIFY_WITH_TIMEOUT(!c.isPlaying(), 5000);
        QCOMPARE(c.cursor(), 3);
        QCOMPARE(gaps.count(), 2);
        QVERIFY(gaps.at(0).at(0).toLongLong() > 86'000'000);
    }

    void emptyStore()
    {
        ReplayController c;
        c.setIndex(indexOf({}));
        c.stepNext();
        c.stepPrevious();
        c.first();
        c.last();
        c.play();
        QVERIFY(!c.isPlaying());
        QCOMPARE(c.cursor(), 0);
    }
};

QTEST_GUILESS_MAIN(TstViewsReplayController)
#include "tst_views_replaycontroller.moc"
