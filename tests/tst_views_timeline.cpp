// TimelineWidget: painting from the index (ticks per event, density when crowded, failures in red), many
// lanes scrolling, identical timestamps, hit-testing, wheel zoom, drag pan, Shift+drag zoom to selection.
#include "replaycontroller.h"
#include "timelinewidget.h"
#include "typecolors.h"
#include "views_fixtures.h"

#include <QApplication>
#include <QPainter>
#include <QScrollBar>
#include <QTest>
#include <QWheelEvent>

#include <algorithm>

using namespace chronoscope;
using namespace chronoscope::fixtures;

namespace {

QImage renderOf(TimelineWidget& t, QSize size = QSize(1000, 500))
{
    QImage img(size, QImage::Format_ARGB32_Premultiplied);
    QPainter p(&img);
    t.render(p, size);
    return img;
}

Event positioned(Event e, qint64 position)
{
    e.position = position;
    return e;
}

void wheel(QWidget* w, QPoint at, int delta, Qt::KeyboardModifiers mods = {})
{
    QWheelEvent e(at, w->mapToGlobal(at), {}, QPoint(0, delta), Qt::NoButton, mods, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &e);
}

/// Counts the paint events a widget receives.
class PaintCounter : public QObject
{
public:
    int paints = 0;
    bool eventFilter(QObject*, QEvent* e) override
    {
        if (e->type() == QEvent::Paint)
            ++paints;
        return false;
    }
};

} // namespace

class TstViewsTimeline : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void paintsEventsInTheirLaneAndColour()
    {
        ReplayController c;
        TimelineWidget t(&c);
        t.resize(1000, 500);
        auto index = indexOf(shopEvents());
        c.setIndex(index);
        t.setIndex(index);
        const QImage img = renderOf(t);
        // PaymentFailed (position 4, payment-1 at kT0+5s) is drawn in its type's colour at its x, in its lane.
        const int type = index->typeOf("PaymentFailed");
        const QColor expected = typeColor(type, "PaymentFailed");
        QVERIFY(isFailureType("PaymentFailed"));
        const int x = int(t.xForTime(double(kT0 + 5000)));
        const int y = t.yForLane(index->laneOf("payment-1"));
        QVERIFY(y > 0);
        QCOMPARE(img.pixelColor(x, y), expected);
        // The other lanes have nothing at that x.
        QVERIFY(img.pixelColor(x, t.yForLane(index->laneOf("order-2"))) != expected);
        QCOMPARE(t.eventAt(QPoint(x, y)), 4);
        QCOMPARE(t.eventAt(QPoint(x, t.yForLane(index->laneOf("order-2")))), 0);
        QCOMPARE(t.laneAt(y), index->laneOf("payment-1"));
    }

    void highDpi()
    {
        ReplayController c;
        TimelineWidget t(&c);
        t.resize(1000, 500);
        auto index = indexOf(shopEvents());
        t.setIndex(index);
        QImage img(QSize(2000, 1000), QImage::Format_ARGB32_Premultiplied);
        img.setDevicePixelRatio(2.0);
        {
            QPainter p(&img);
            t.render(p, QSize(1000, 500));
        }
        // The event sits at twice its logical coordinates, in its colour, with a tick 2 device pixels wide.
        const QColor expected = typeColor(index->typeOf("PaymentFailed"), "PaymentFailed");
        const int x = int(t.xForTime(double(kT0 + 5000)) * 2);
        const int y = t.yForLane(index->laneOf("payment-1")) * 2;
        QCOMPARE(img.pixelColor(x, y), expected);
        QCOMPARE(img.pixelColor(x + 1, y), expected);
        // A logical-size paint afterwards rebuilds the lanes at 1x.
        const QImage one = renderOf(t);
        QCOMPARE(one.pixelColor(int(t.xForTime(double(kT0 + 5000))), y / 2), expected);
    }

    void noStoreAndNoLanes()
    {
        TimelineWidget t(nullptr);
        t.resize(600, 300);
        QImage blank = renderOf(t, QSize(600, 300)); // no index: a message, no crash
        QVERIFY(!blank.isNull());
        auto index = indexOf(shopEvents());
        t.setIndex(index);
        t.setLanes({-1}); // a filter that matches nothing
        QCOMPARE(t.laneCount(), 0);
        QVERIFY(t.lanes().isEmpty());
        renderOf(t, QSize(600, 300));
        QCOMPARE(t.laneAt(TimelineWidget::kAxisHeight + TimelineWidget::kOverviewHeight + 10), -1);
        t.setLanes({2, 0});
        QCOMPARE(t.lanes(), (QList<int>{2, 0}));
        t.setIndex(indexOf({})); // an empty store
        renderOf(t, QSize(600, 300));
        QCOMPARE(t.laneCount(), 0);
    }

    void crowdedLaneShowsDensity()
    {
        // 100,000 events in one stream, 1 ms apart: far more than pixels, so columns are binned.
        auto index = indexOf(manyEvents(100000, 1, 1));
        ReplayController c;
        TimelineWidget t(&c);
        t.resize(1000, 300);
        t.setIndex(index);
        c.setIndex(index);
        const QImage img = renderOf(t, QSize(1000, 300));
        const int y = t.yForLane(0);
        const int top = y - TimelineWidget::kLaneHeight / 2 + 3;
        int filledColumns = 0;
        for (int x = int(t.mapping().left); x < int(t.mapping().left + t.mapping().width); ++x)
            if (img.pixelColor(x, top + TimelineWidget::kLaneHeight - 8) != img.pixelColor(5, top + TimelineWidget::kLaneHeight - 8))
                ++filledColumns;
        // Every column of the plot (less the 2% fit margins) holds events.
        QVERIFY2(filledColumns > int(0.9 * t.mapping().width), qPrintable(QString::number(filledColumns)));
        // Failures ("Failed" every 4th event) colour the columns they fall in.
        const QColor failed = typeColor(index->typeOf("Failed"), "Failed");
        QCOMPARE(img.pixelColor(int(t.mapping().left) + 500, top + TimelineWidget::kLaneHeight - 8), failed);
        QVERIFY(t.eventAt(QPoint(int(t.mapping().left) + 500, y)) > 0);
    }

    void identicalTimestamps()
    {
        QList<Event> ev;
        for (int i = 0; i < 1000; ++i)
            ev << makeEvent("burst-1", i, "Tick", kT0, {{"i", i}});
        auto index = indexOf(ev);
        ReplayController c;
        c.setIndex(index);
        TimelineWidget t(&c);
        t.resize(800, 300);
        t.setIndex(index);
        renderOf(t, QSize(800, 300));
        // All at one instant: the view still has a span and the events are found under the mouse.
        QVERIFY(t.mapping().span() >= TimeMapping::kMinSpan);
        const QPoint at(int(t.xForTime(double(kT0))), t.yForLane(0));
        QVERIFY(t.eventAt(at) > 0);
        c.setCursorTime(kT0);
        QCOMPARE(c.cursor(), 1000);
    }

    void manyLanesScroll()
    {
        auto index = indexOf(manyEvents(3000, 300));
        ReplayController c;
        TimelineWidget t(&c);
        t.resize(900, 400);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        t.setIndex(index);
        QCOMPARE(t.laneCount(), 300);
        auto* bar = t.findChild<QScrollBar*>();
        QVERIFY(bar && bar->isVisible() && bar->maximum() > 0);
        const int firstY = TimelineWidget::kAxisHeight + TimelineWidget::kOverviewHeight + 10;
        QCOMPARE(t.laneAt(firstY), 0);
        wheel(&t, QPoint(50, firstY), -120); // over the names: scrolls lanes
        QVERIFY(bar->value() > 0);
        QVERIFY(t.laneAt(firstY) > 0);
        t.ensureLaneVisible(299);
        QVERIFY(t.yForLane(299) > 0);
        QCOMPARE(t.yForLane(0), -1);
        renderOf(t, QSize(900, 400));
    }

    void liveBatchPaintsOnceAndLikeAFreshOpen_data()
    {
        QTest::addColumn<int>("events");
        QTest::addColumn<int>("streams");
        QTest::addColumn<int>("split");
        QTest::addColumn<QString>("kind");
        // Crowded lanes (bars of many heights), sparse lanes (ticks), a new stream, a time that goes back,
        // a batch of one, and a huge batch (more than the loaded part).
        QTest::newRow("crowded, 200 new") << 20000 << 3 << 19800 << "";
        QTest::newRow("sparse, 20 new") << 400 << 40 << 380 << "";
        QTest::newRow("new stream") << 5000 << 4 << 4900 << "newStream";
        QTest::newRow("time goes back") << 5000 << 4 << 4900 << "backInTime";
        QTest::newRow("one event") << 5000 << 4 << 4999 << "";
        QTest::newRow("bigger than loaded") << 30000 << 5 << 100 << "";
    }

    void liveBatchesCoalesceIntoOnePaint()
    {
        // Several batches in a row (a backlog read in pieces), each with the cursor following the head:
        // one paint for all of them, when the coalescing timer fires, not one per batch.
        const QList<Event> all = MemoryReader(manyEvents(6000, 5, 7)).readAll({});
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all.mid(0, 5000)));
        ReplayController c;
        c.setIndex(index);
        TimelineWidget t(&c);
        t.resize(1000, 500);
        t.setIndex(index);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        QCoreApplication::processEvents();
        PaintCounter counter;
        t.installEventFilter(&counter);
        const int before = t.liveRepaints();
        for (int from = 5000; from < all.size(); from += 200) {
            const TimelineAppend change = index->append(all.mid(from, 200));
            c.updateIndex(index);
            t.updateIndex(index, change);
            c.setCursor(index->info.lastPosition);
            c.flush();
        }
        QCOMPARE(counter.paints, 0);
        QTRY_COMPARE(t.liveRepaints(), before + 1);
        QTRY_COMPARE(counter.paints, 1);
        QTest::qWait(2 * TimelineWidget::kLiveRepaintMs);
        QCOMPARE(counter.paints, 1);
        QVERIFY(t.mapping().end >= double(index->lastTime()));
    }

    void rankOfLaneAfterNewStreams_data()
    {
        QTest::addColumn<int>("lookups"); // lookups after the append: a few are searched by name, many rebuild
        QTest::newRow("one lookup") << 1;
        QTest::newRow("past the rebuild") << 1000;
    }

    void rankOfLaneAfterNewStreams()
    {
        // A live tail's new streams go into laneOrder at their place: every lane's rank is its place there,
        // whether the answer comes from a name search (the cache stale) or the rebuilt cache. Names equal in
        // natural order ("item-07", "item-7") are told apart by lane.
        QFETCH(int, lookups);
        QList<Event> events;
        for (int i = 0; i < 300; ++i)
            events << positioned(makeEvent(QStringLiteral("item-%1").arg(i * 3), 0, "Created", kT0 + i, {}), i + 1);
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(events));
        QCOMPARE(index->rankOfLane(index->laneOf("item-3")), 1); // the cache, built
        QList<Event> fresh;
        for (const QString& name : {"item-7", "item-07", "item-1000", "a-1", "item-0"})
            fresh << positioned(makeEvent(name, 0, "Created", kT0 + 1000 + fresh.size(), {}), 400 + fresh.size());
        const TimelineAppend change = index->append(fresh);
        QCOMPARE(change.newLanes.size(), 4); // item-0 is known
        auto rankIn = [&](int lane) {
            return int(std::find(index->laneOrder.begin(), index->laneOrder.end(), quint32(lane)).index());
        };
        for (int k = 0; k < lookups; ++k) {
            const int lane = int(index->laneOrder[size_t(k * 7 % index->laneOrder.size())]);
            QCOMPARE(index->rankOfLane(lane), rankIn(lane));
        }
        for (int lane : change.newLanes)
            QCOMPARE(index->rankOfLane(lane), rankIn(lane));
        QCOMPARE(index->rankOfLane(index->laneOf("a-1")), 0);
        QCOMPARE(index->rankOfLane(-1), -1);
        QCOMPARE(index->rankOfLane(int(index->streams.size())), -1);
        QList<int> lanes{index->laneOf("item-1000"), index->laneOf("item-07"), index->laneOf("a-1"), index->laneOf("item-7")};
        index->sortLanes(lanes);
        for (int i = 1; i < lanes.size(); ++i)
            QVERIFY(rankIn(lanes[i - 1]) < rankIn(lanes[i]));
    }

    void liveBatchPaintsOnceAndLikeAFreshOpen()
    {
        // The live tail: the index grows in place and the views are told what changed. The shown timeline
        // repaints once for the whole batch (index, range and cursor updates coalesce), and what it paints
        // is exactly what a fresh window opened on all the events shows at the same range and cursor (the
        // lane image, the overview's failure counts and the bar heights are derived again, not stale).
        QFETCH(int, events);
        QFETCH(int, streams);
        QFETCH(int, split);
        QFETCH(QString, kind);
        QList<Event> all = MemoryReader(manyEvents(events, streams, 7)).readAll({});
        if (kind == QLatin1String("newStream"))
            all[split + 5].stream = QStringLiteral("item-new");
        if (kind == QLatin1String("backInTime"))
            all[split + 5].time = all[split / 2].time + 3;
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all.mid(0, split)));
        QVERIFY(index);
        ReplayController c;
        c.setIndex(index);
        TimelineWidget t(&c);
        t.resize(1000, 500);
        t.setIndex(index);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        c.setCursor(index->info.lastPosition);
        c.flush();
        QCoreApplication::processEvents();

        PaintCounter counter;
        t.installEventFilter(&counter);
        const TimelineAppend change = index->append(all.mid(split));
        QVERIFY(change.known);
        c.updateIndex(index);
        t.updateIndex(index, change);
        c.setCursor(index->info.lastPosition); // following the head
        c.flush();
        QTRY_VERIFY(counter.paints >= 1);
        QTest::qWait(50); // nothing more is queued for this batch
        QCOMPARE(counter.paints, 1);
        QVERIFY(t.mapping().end >= double(index->lastTime())); // the new end is in view

        const auto fresh = indexOf(all);
        QVERIFY(fresh);
        QCOMPARE(fresh->size(), index->size());
        ReplayController c2;
        c2.setIndex(fresh);
        c2.setCursor(c.cursor());
        c2.flush();
        TimelineWidget t2(&c2);
        t2.resize(t.size());
        t2.setIndex(fresh);
        t2.setVisibleRange(t.mapping().start, t.mapping().end);
        const QImage live = renderOf(t, t.size());
        const QImage reopened = renderOf(t2, t2.size());
        QCOMPARE(live.size(), reopened.size());
        QVERIFY2(live == reopened, "the timeline after a live batch differs from a fresh open of the same events");
    }

    void zoomPanSelect()
    {
        auto index = indexOf(manyEvents(100, 3, 60'000));
        ReplayController c;
        c.setIndex(index);
        TimelineWidget t(&c);
        t.resize(1000, 400);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        t.setIndex(index);
        const double span = t.mapping().span();
        const QPoint mid(int(t.mapping().left + 300), TimelineWidget::kAxisHeight + TimelineWidget::kOverviewHeight + 10);
        const double anchor = t.mapping().timeAt(mid.x());
        wheel(&t, mid, 120);
        QVERIFY(t.mapping().span() < span);
        QVERIFY(qAbs(t.mapping().timeAt(mid.x()) - anchor) < 1.0);
        wheel(&t, mid, -240);
        QVERIFY(t.mapping().span() > span * 0.9);
        // Zooming far in stops at the minimum span.
        for (int i = 0; i < 200; ++i)
            wheel(&t, mid, 120);
        QCOMPARE(t.mapping().span(), TimeMapping::kMinSpan);
        t.fitAll();
        QCOMPARE(t.mapping().span(), span);

        // Shift+drag chooses a range; zoom to selection shows exactly it.
        const QPoint a = mid, b = mid + QPoint(200, 0);
        const double ta = t.mapping().timeAt(a.x()), tb = t.mapping().timeAt(b.x());
        QTest::mousePress(&t, Qt::LeftButton, Qt::ShiftModifier, a);
        QTest::mouseMove(&t, b);
        QTest::mouseRelease(&t, Qt::LeftButton, Qt::ShiftModifier, b);
        QVERIFY(t.hasSelectionRange());
        t.zoomToSelection();
        QVERIFY(qAbs(t.mapping().start - ta) < 1 && qAbs(t.mapping().end - tb) < 1);
        QVERIFY(!t.hasSelectionRange());

        // Clicking the axis scrubs the cursor to that time.
        t.fitAll();
        const double tClick = t.mapping().timeAt(mid.x());
        QTest::mouseClick(&t, Qt::LeftButton, {}, QPoint(mid.x(), 20));
        QCOMPARE(c.cursor(), index->entries[size_t(index->rowAtTime(qint64(tClick)))].position);
    }
};

QTEST_MAIN(TstViewsTimeline)
#include "tst_views_timeline.moc"
