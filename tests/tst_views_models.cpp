// The views' item models under QAbstractItemModelTester: streams (grouping, counts, glob/regex filter, pins),
// the lazy event table (pages, sort, filter), the JSON tree (lazy levels, highlights, 50,000 keys, deep
// nesting) and the diff table; plus the JSON pointer helpers they rely on.
#include "diffmodel.h"
#include "eventinspector.h"
#include "eventtablemodel.h"
#include "eventtableview.h"
#include "jsonpointer.h"
#include "jsontreemodel.h"
#include "replaycontroller.h"
#include "streambrowser.h"
#include "streambrowserdelegate.h"
#include "streamtreemodel.h"
#include "views_fixtures.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "number_texts.h"
#include "replay/replayengine.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QHeaderView>
#include <QScrollBar>
#include <QTableView>
#include <QJsonArray>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>
#include <QItemSelectionModel>

using namespace chronoscope;
using namespace chronoscope::fixtures;

static Event at(Event e, qint64 position)
{
    e.position = position;
    return e;
}

class TstViewsModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void streamTree()
    {
        StreamTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(indexOf(shopEvents()));
        QCOMPARE(model.rowCount(), 2); // order, payment
        const QModelIndex order = model.index(0, 0);
        QCOMPARE(order.data(StreamTreeModel::CategoryRole).toString(), QStringLiteral("order"));
        QCOMPARE(model.rowCount(order), 2);
        QCOMPARE(model.index(0, StreamTreeModel::EventsColumn).data().toString(), QStringLiteral("5"));
        const QModelIndex o1 = model.index(0, 0, order);
        QCOMPARE(o1.data(StreamTreeModel::StreamRole).toString(), QStringLiteral("order-1"));
        QCOMPARE(o1.siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), QStringLiteral("3"));
        QCOMPARE(o1.siblingAtColumn(StreamTreeModel::FirstColumn).data().toString(), QStringLiteral("Jan 5 10:00"));
        QCOMPARE(o1.siblingAtColumn(StreamTreeModel::LastColumn).data().toString(), QStringLiteral("Jan 5 10:01"));
        QCOMPARE(model.lanesOf(order), (QList<int>{0, 1}));
        QCOMPARE(model.indexOfStream("payment-1").data(StreamTreeModel::LaneRole).toInt(), 2);
        QVERIFY(!model.indexOfStream("nope").isValid());

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setPinned(2, true);
        QCOMPARE(changed.count(), 1);
        QVERIFY(model.indexOfStream("payment-1").data(StreamTreeModel::PinnedRole).toBool());
        QCOMPARE(model.pinnedLanes(), QList<int>{2});
        model.setPinned(2, true); // no change, no signal
        QCOMPARE(changed.count(), 1);
        model.setIndex(nullptr);
        QCOMPARE(model.rowCount(), 0);
    }

    void streamTreeUpdateIndex()
    {
        // A live tail grows the index: same streams -> dataChanged only; a new stream -> pins kept by name.
        const QList<Event> all = MemoryReader(shopEvents()).readAll({}); // with positions
        StreamTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto base = indexOf(all.mid(0, 4)); // order-1, order-2, payment-1
        model.setIndex(base);
        model.setPinned(model.indexOfStream("payment-1").data(StreamTreeModel::LaneRole).toInt(), true);
        QCOMPARE(model.indexOfStream("order-1").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "1");
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const auto grown = base->extended(all.mid(4, 1)); // order-1 v1
        model.updateIndex(grown);
        QCOMPARE(reset.size(), 0);
        QCOMPARE(changed.size(), 2); // the order category and order-1; payment untouched
        QCOMPARE(model.indexOfStream("order-1").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "2");
        QCOMPARE(model.index(0, StreamTreeModel::EventsColumn).data().toString(), "3");
        QCOMPARE(model.indexOfStream("order-1").siblingAtColumn(StreamTreeModel::LastColumn).data().toString(), "Jan 5 10:00");
        QVERIFY(model.indexOfStream("payment-1").data(StreamTreeModel::PinnedRole).toBool());

        // "order-10" sorts before payment-1 and shifts its lane.
        const auto withNew = grown->extended({at(makeEvent("order-10", 0, "OrderPlaced", kT0 + 70000, {}), 100),
                                               at(makeEvent("order-1", 2, "OrderShipped", kT0 + 80000, {}), 101)});
        model.updateIndex(withNew);
        QCOMPARE(reset.size(), 1);
        QCOMPARE(model.rowCount(model.index(0, 0)), 3);
        const int paymentLane = withNew->laneOf("payment-1");
        QCOMPARE(model.pinnedLanes(), QList<int>{paymentLane});
        QVERIFY(model.indexOfStream("payment-1").data(StreamTreeModel::PinnedRole).toBool());
        QVERIFY(!model.indexOfStream("order-10").data(StreamTreeModel::PinnedRole).toBool());
        QCOMPARE(model.indexOfStream("order-1").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "3");
        QCOMPARE(model.indexOfStream("order-1").siblingAtColumn(StreamTreeModel::LastColumn).data().toString(), "Jan 5 10:01");
        // The category row shows its name alone (the count would be elided in the dock); the tooltip counts.
        QCOMPARE(model.index(0, 0).data().toString(), "order");
        QVERIFY(model.index(0, 0).data(Qt::ToolTipRole).toString().contains("3 streams"));
    }

    void streamBrowserKeepsStateWhileTailing()
    {
        const QList<Event> all = MemoryReader(shopEvents()).readAll({});
        StreamBrowser browser(nullptr);
        QAbstractItemModelTester tester(browser.view()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto base = indexOf(all.mid(0, 4));
        browser.setIndex(base);
        browser.selectStream("order-2");
        QVERIFY(browser.view()->selectionModel()->selectedRows().size() == 1);
        browser.view()->collapse(browser.view()->model()->index(1, 0)); // payment closed, order open
        QVERIFY(browser.view()->isExpanded(browser.view()->model()->index(0, 0)));
        browser.view()->selectionModel()->select(browser.view()->model()->index(0, 0, browser.view()->model()->index(1, 0)),
                                                 QItemSelectionModel::Select | QItemSelectionModel::Rows);
        browser.togglePinSelected(); // pins order-2 and payment-1
        browser.view()->selectionModel()->select(browser.view()->model()->index(0, 0, browser.view()->model()->index(1, 0)),
                                                 QItemSelectionModel::Deselect | QItemSelectionModel::Rows);
        QCOMPARE(browser.pinnedLanes(), (QList<int>{1, 2}));
        QSignalSpy lanes(&browser, &StreamBrowser::lanesChanged);

        // Same streams: nothing changes at once; the counts follow within the throttle interval.
        const auto grown = base->extended(all.mid(4, 2));
        browser.updateIndex(grown);
        QCOMPARE(browser.model()->indexOfStream("order-2").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "1");
        browser.updateIndex(grown->extended(all.mid(6))); // coalesced with the one before
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->indexOfStream("order-2").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(),
                                  QStringLiteral("2"), 3 * StreamBrowser::kUpdateIntervalMs);
        QCOMPARE(browser.model()->indexOfStream("order-1").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "3");
        QCOMPARE(browser.pinnedLanes(), (QList<int>{1, 2}));
        QCOMPARE(lanes.size(), 0); // no lane moved

        // A new stream: applied at once, a lane of its own (no lane renumbered), pins/selection/expansion kept.
        const auto withNew = browser.model()->timelineIndex()->extended({at(makeEvent("order-10", 0, "OrderPlaced", kT0 + 70000, {}), 100)});
        browser.updateIndex(withNew);
        QCOMPARE(browser.model()->timelineIndex(), withNew);
        const QList<int> pinned{withNew->laneOf("order-2"), withNew->laneOf("payment-1")};
        QCOMPARE(browser.pinnedLanes(), pinned);
        QCOMPARE(pinned, (QList<int>{1, 2}));
        QCOMPARE(withNew->laneOf("order-10"), 3);
        QCOMPARE(withNew->laneOrder.toVector(), (std::vector<quint32>{0, 1, 3, 2})); // order-1, order-2, order-10, payment-1
        const auto rows = browser.view()->selectionModel()->selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().data(StreamTreeModel::StreamRole).toString(), QStringLiteral("order-2"));
        QVERIFY(browser.view()->isExpanded(browser.view()->model()->index(0, 0)));
        QVERIFY(!browser.view()->isExpanded(browser.view()->model()->index(1, 0)));
        QCOMPARE(lanes.size(), 1);
        QCOMPARE(browser.lanes(), (QList<int>{1, 2})); // pinned, then the selection (order-2, already in)

        // Opening another store starts over.
        browser.setIndex(base);
        QVERIFY(browser.pinnedLanes().isEmpty());
    }


    void streamBrowserGrowsInPlace()
    {
        // The live tail grows the window's index in place and hands the views the change: the tree gets the
        // new stream as an inserted row (no reset), counts change without a reset, and pins, selection
        // and expansion stay; a new category is an inserted top-level row, not a reset.
        const QList<Event> all = MemoryReader(shopEvents()).readAll({});
        StreamBrowser browser(nullptr);
        QAbstractItemModelTester tester(browser.view()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto index = std::make_shared<TimelineIndex>(*indexOf(all.mid(0, 5)));
        browser.setIndex(index);
        browser.view()->expandAll();
        browser.selectStream("order-2");
        browser.togglePinSelected();
        QCOMPARE(browser.pinnedLanes(), (QList<int>{1}));
        QSignalSpy resets(browser.model(), &QAbstractItemModel::modelReset);
        QSignalSpy inserted(browser.model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy lanes(&browser, &StreamBrowser::lanesChanged);

        // Known streams: counts follow within the throttle interval, without a reset.
        TimelineAppend change = index->append(all.mid(5));
        browser.updateIndex(index, change);
        QSignalSpy changed(browser.model(), &QAbstractItemModel::dataChanged);
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->index(0, StreamTreeModel::EventsColumn).data().toString(), QStringLiteral("5"),
                                  3 * StreamBrowser::kUpdateIntervalMs); // order: 3 + 2
        QCOMPARE(browser.model()->indexOfStream("order-2").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "2");
        QVERIFY(!changed.isEmpty());
        QCOMPARE(resets.size(), 0);

        // A new stream of a known category: one row inserted at its place in name order, at once.
        change = index->append({at(makeEvent("order-10", 0, "OrderPlaced", kT0 + 70000, {}), 100),
                                at(makeEvent("order-1", 3, "OrderDelivered", kT0 + 71000, {}), 101)});
        QCOMPARE(change.newLanes, (QList<int>{3}));
        browser.updateIndex(index, change);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(inserted.size(), 1);
        const QModelIndex order = browser.model()->index(0, 0);
        QCOMPARE(browser.model()->rowCount(order), 3);
        QCOMPARE(browser.model()->index(2, 0, order).data(StreamTreeModel::StreamRole).toString(), QStringLiteral("order-10"));
        QCOMPARE(browser.model()->indexOfStream("order-10").row(), 2);
        QCOMPARE(browser.model()->indexOfStream("order-1").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "4");
        QCOMPARE(browser.pinnedLanes(), (QList<int>{1}));
        const auto rows = browser.view()->selectionModel()->selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().data(StreamTreeModel::StreamRole).toString(), QStringLiteral("order-2"));
        // The selection (order-2) does not take the new stream: the lanes shown did not change.
        QCOMPARE(lanes.size(), 0);

        // A new category: a top-level row inserted at its place in name order, no reset; the categories after
        // it move down a row with their expansion, and pins and selection stay.
        QSignalSpy shownInserted(browser.view()->model(), &QAbstractItemModel::rowsInserted);
        change = index->append({at(makeEvent("account-1", 0, "Opened", kT0 + 72000, {}), 102)});
        browser.updateIndex(index, change);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(inserted.size(), 2);
        QCOMPARE(inserted.last().at(0).value<QModelIndex>(), QModelIndex());
        QCOMPARE(inserted.last().at(1).toInt(), 0);
        QCOMPARE(shownInserted.size(), 1);
        QCOMPARE(browser.model()->index(0, 0).data(StreamTreeModel::CategoryRole).toString(), QStringLiteral("account"));
        QCOMPARE(browser.model()->index(1, 0).data(StreamTreeModel::CategoryRole).toString(), QStringLiteral("order"));
        QVERIFY(browser.view()->isExpanded(browser.view()->model()->index(1, 0)));
        QCOMPARE(browser.model()->indexOfStream("order-10").parent().row(), 1);
        QCOMPARE(browser.model()->indexOfStream("order-10").data(StreamTreeModel::StreamRole).toString(), QStringLiteral("order-10"));
        QCOMPARE(browser.pinnedLanes(), (QList<int>{1}));
        QCOMPARE(browser.view()->selectionModel()->selectedRows().value(0).data(StreamTreeModel::StreamRole).toString(),
                 QStringLiteral("order-2"));
        QVERIFY(browser.model()->indexOfStream("account-1").isValid());
        QCOMPARE(browser.model()->index(0, StreamTreeModel::EventsColumn).data().toString(), QStringLiteral("1"));
        QCOMPARE(browser.lanes(), (QList<int>{1}));
    }
    void streamFilter_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<bool>("regex");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QStringList>("visible");
        const QStringList all{"order-1", "order-2", "payment-1"};
        QTest::newRow("empty") << "" << false << true << all;
        QTest::newRow("substring") << "2" << false << true << QStringList{"order-2"};
        QTest::newRow("substring any case") << "PAY" << false << true << QStringList{"payment-1"};
        QTest::newRow("glob") << "order-*" << false << true << QStringList{"order-1", "order-2"};
        QTest::newRow("glob whole name") << "*-1" << false << true << QStringList{"order-1", "payment-1"};
        QTest::newRow("glob no match") << "x*" << false << true << QStringList{};
        QTest::newRow("regex") << "^(order|payment)-1$" << true << true << QStringList{"order-1", "payment-1"};
        QTest::newRow("regex anywhere") << "ment" << true << true << QStringList{"payment-1"};
        QTest::newRow("bad regex shows all") << "order-(" << true << false << all;
    }
    void streamFilter()
    {
        QFETCH(QString, pattern);
        QFETCH(bool, regex);
        QFETCH(bool, valid);
        QFETCH(QStringList, visible);
        StreamTreeModel model;
        model.setIndex(indexOf(shopEvents()));
        StreamFilterProxy proxy;
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setSourceModel(&model);
        QCOMPARE(proxy.setPattern(pattern, regex), valid);
        QCOMPARE(proxy.errorString().isEmpty(), valid);
        QStringList seen;
        for (int c = 0; c < proxy.rowCount(); ++c) {
            const QModelIndex cat = proxy.index(c, 0);
            QVERIFY(proxy.rowCount(cat) > 0); // no empty categories
            for (int r = 0; r < proxy.rowCount(cat); ++r)
                seen << proxy.index(r, 0, cat).data(StreamTreeModel::StreamRole).toString();
        }
        QCOMPARE(seen, visible);
    }

    void streamFilterKeepsPinned()
    {
        StreamTreeModel model;
        model.setIndex(indexOf(shopEvents()));
        StreamFilterProxy proxy;
        proxy.setSourceModel(&model);
        model.setPinned(0, true);
        proxy.setPattern("payment", false);
        proxy.invalidate();
        QCOMPARE(proxy.rowCount(), 2); // order (for the pinned order-1) and payment
    }

    void eventTablePages()
    {
        EventTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(indexOf(manyEvents(1000, 10)));
        QCOMPARE(model.totalRows(), 1000);
        QCOMPARE(model.rowCount(), EventTableModel::kPageSize); // never everything at once
        QVERIFY(model.canFetchMore({}));
        model.fetchMore({});
        QCOMPARE(model.rowCount(), 2 * EventTableModel::kPageSize);
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), 1000);
        QCOMPARE(model.index(999, EventTableModel::PositionColumn).data().toLongLong(), 1000);
        QCOMPARE(model.index(3, EventTableModel::StreamColumn).data().toString(), QStringLiteral("item-3"));
        QCOMPARE(model.index(3, EventTableModel::TypeColumn).data().toString(), QStringLiteral("Closed"));
        QCOMPARE(model.index(3, EventTableModel::TimeColumn).data().toString(), QStringLiteral("2026-01-05T10:00:03.000Z"));
    }

    void eventTableUpdateIndex_data()
    {
        QTest::addColumn<QString>("streamFilter");
        QTest::addColumn<bool>("descending");
        QTest::addColumn<int>("resets"); // appending needs no reset in position order without a filter
        QTest::newRow("position order") << QString() << false << 0;
        QTest::newRow("filtered") << QStringLiteral("item-1") << false << 1;
        QTest::newRow("newest first") << QString() << true << 1;
    }

    void eventTableUpdateIndex()
    {
        QFETCH(QString, streamFilter);
        QFETCH(bool, descending);
        QFETCH(int, resets);
        const QList<Event> all = MemoryReader(manyEvents(300, 3)).readAll({});
        EventTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(indexOf(all.mid(0, 100)));
        model.setFilter(streamFilter, {});
        if (descending)
            model.sort(EventTableModel::PositionColumn, Qt::DescendingOrder);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        const auto grown = indexOf(all.mid(0, 100))->extended(all.mid(100));
        QVERIFY(grown);
        model.updateIndex(grown);
        QCOMPARE(reset.size(), resets);
        QCOMPARE(model.streamFilter(), streamFilter); // the filter stays
        QCOMPARE(model.totalRows(), streamFilter.isEmpty() ? 300 : 100);
        while (model.canFetchMore({}))
            model.fetchMore({});
        QCOMPARE(model.rowCount(), model.totalRows());
        const qint64 last = model.index(model.rowCount() - 1, EventTableModel::PositionColumn).data().toLongLong();
        QCOMPARE(last, descending ? 1 : (streamFilter.isEmpty() ? 300 : 299)); // item-1: events 1, 4, …, 298 (positions +1)
    }

    void eventTableSortAndFilter_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("order");
        QTest::addColumn<QString>("stream");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QList<qint64>>("positions");
        QTest::newRow("position asc") << 0 << int(Qt::AscendingOrder) << "" << "" << QList<qint64>{1, 2, 3, 4, 5, 6, 7};
        QTest::newRow("position desc") << 0 << int(Qt::DescendingOrder) << "" << "" << QList<qint64>{7, 6, 5, 4, 3, 2, 1};
        // Event 2 happens last (times out of position order), so time order differs.
        QTest::newRow("time asc") << 1 << int(Qt::AscendingOrder) << "" << "" << QList<qint64>{1, 3, 4, 5, 6, 7, 2};
        QTest::newRow("time desc") << 1 << int(Qt::DescendingOrder) << "" << "" << QList<qint64>{2, 7, 6, 5, 4, 3, 1};
        QTest::newRow("stream glob") << 0 << int(Qt::AscendingOrder) << "order-*" << "" << QList<qint64>{1, 2, 5, 6, 7};
        QTest::newRow("stream substring") << 0 << int(Qt::AscendingOrder) << "pay" << "" << QList<qint64>{3, 4};
        QTest::newRow("type") << 0 << int(Qt::AscendingOrder) << "" << "OrderPlaced" << QList<qint64>{1, 2};
        QTest::newRow("type and stream, by time") << 1 << int(Qt::DescendingOrder) << "order-2" << "OrderPlaced" << QList<qint64>{2};
        QTest::newRow("unknown type") << 0 << int(Qt::AscendingOrder) << "" << "Nope" << QList<qint64>{};
        QTest::newRow("other column keeps order") << 4 << int(Qt::DescendingOrder) << "" << "" << QList<qint64>{1, 2, 3, 4, 5, 6, 7};
    }
    void eventTableSortAndFilter()
    {
        QFETCH(int, column);
        QFETCH(int, order);
        QFETCH(QString, stream);
        QFETCH(QString, type);
        QFETCH(QList<qint64>, positions);
        QList<Event> ev = shopEvents();
        ev[1].time = kT0 + 3'600'000;
        EventTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(indexOf(ev));
        model.sort(column, Qt::SortOrder(order));
        model.setFilter(stream, type);
        QList<qint64> seen;
        for (int r = 0; r < model.rowCount(); ++r)
            seen << model.index(r, 0).data(EventTableModel::PositionRole).toLongLong();
        QCOMPARE(seen, positions);
        for (int i = 0; i < positions.size(); ++i)
            QCOMPARE(model.rowOfPosition(positions[i]), i);
    }

    void eventTableRowOfPositionLoadsPages()
    {
        EventTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(indexOf(manyEvents(2000, 7)));
        QCOMPARE(model.rowOfPosition(1500), 1499);
        QVERIFY(model.rowCount() >= 1500 && model.rowCount() < 2000);
        QCOMPARE(model.positionAt(1499), 1500);
        QCOMPARE(model.rowOfPosition(99999), -1);
        model.setFilter("item-3", "");
        // Position 1500 is in item-1 (position p is in item-((p-1)%7)); the nearest item-3 event before it is 1495.
        QCOMPARE(model.positionAt(model.rowNearPosition(1500)), 1495);
    }

    void eventTableFollowsLiveHeadInABoundedWindow()
    {
        // A live tail with the table following the cursor at the head: each refresh hands the view the
        // batch's rows and drops as many at the window's start, so its header (one section per row, all
        // walked on every change) never holds more than kWindowRows, whatever the events loaded; no reset
        // after the first jump; the current row is the newest event.
        const QList<Event> all = MemoryReader(manyEvents(13000, 50)).readAll({});
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all.mid(0, 7000)));
        ReplayController controller;
        controller.setIndex(index);
        EventTableView table(&controller);
        table.setIndex(index);
        table.resize(600, 400);
        table.show();
        QVERIFY(QTest::qWaitForWindowExposed(&table));
        controller.setCursor(index->info.lastPosition);
        controller.flush();
        QCoreApplication::processEvents();
        QCOMPARE(table.model()->positionAt(table.view()->currentIndex().row()), index->info.lastPosition);

        QSignalSpy resets(table.model(), &QAbstractItemModel::modelReset);
        QSignalSpy inserted(table.model(), &QAbstractItemModel::rowsInserted);
        const int batch = 200;
        for (int from = 7000; from < all.size(); from += batch) {
            inserted.clear();
            const TimelineAppend change = index->append(all.mid(from, batch));
            controller.updateIndex(index);
            table.updateIndex(index, change);
            controller.setCursor(index->info.lastPosition); // following the head
            controller.flush();
            QCoreApplication::processEvents();
            qint64 rows = 0;
            for (const auto& args : std::as_const(inserted))
                rows += args.at(2).toInt() - args.at(1).toInt() + 1;
            QVERIFY2(rows <= batch + EventTableModel::kPageSize, qPrintable(QString::number(rows)));
            QVERIFY(table.model()->rowCount() <= EventTableModel::kWindowRows);
            QVERIFY(table.view()->verticalHeader()->count() <= EventTableModel::kWindowRows);
            QCOMPARE(table.model()->positionAt(table.view()->currentIndex().row()), index->info.lastPosition);
        }
        QCOMPARE(resets.size(), 0);
        QCOMPARE(table.model()->totalRows(), qint64(all.size()));
        QCOMPARE(table.model()->windowStart() + table.model()->rowCount(), qint64(all.size()));
    }

    void eventTableViewKeepsItsPlaceWhenTheWindowMoves()
    {
        // Scrolled to the bottom of a full window, the view asks for more: rows come in at the end and as
        // many leave at the start, and the view scrolls by as many rows, so the events on screen stay put;
        // scrolled to the top, the rows before come back the same way.
        ReplayController controller;
        auto index = indexOf(manyEvents(3 * EventTableModel::kWindowRows, 7));
        controller.setIndex(index);
        EventTableView table(&controller);
        table.followCursor()->setChecked(false);
        table.setIndex(index);
        table.resize(600, 400);
        table.show();
        QVERIFY(QTest::qWaitForWindowExposed(&table));
        QScrollBar* bar = table.view()->verticalScrollBar();
        auto topPosition = [&] { return table.model()->positionAt(table.view()->rowAt(0)); };
        while (table.model()->windowStart() == 0) {
            bar->setValue(bar->maximum());
            QCoreApplication::processEvents();
        }
        QVERIFY(table.model()->rowCount() <= EventTableModel::kWindowRows);
        for (int k = 0; k < 3; ++k) {
            bar->setValue(bar->maximum() - 1);
            QCoreApplication::processEvents();
            const qint64 before = topPosition(), start = table.model()->windowStart();
            bar->setValue(bar->maximum());
            QCoreApplication::processEvents();
            QVERIFY(table.model()->windowStart() > start);
            QCOMPARE(topPosition(), before + 1); // one step down, and nothing else moved
        }
        const qint64 start = table.model()->windowStart();
        bar->setValue(1);
        QCoreApplication::processEvents();
        const qint64 before = topPosition();
        bar->setValue(0);
        QCoreApplication::processEvents();
        QVERIFY(table.model()->windowStart() < start);
        QCOMPARE(topPosition(), before - 1);
    }

    void eventTableWindowMoves_data()
    {
        QTest::addColumn<QString>("move");
        QTest::addColumn<bool>("descending");
        QTest::newRow("scroll down past the window") << "down" << false;
        QTest::newRow("scroll down, newest first") << "down" << true;
        QTest::newRow("scroll down, then back up") << "up" << false;
        QTest::newRow("jump far") << "jump" << false;
        QTest::newRow("jump far, newest first") << "jump" << true;
    }

    void eventTableWindowMoves()
    {
        // The rows shown are always the window [windowStart(), windowStart() + rowCount()) of the table's
        // order, at most kWindowRows long, however it got there.
        QFETCH(QString, move);
        QFETCH(bool, descending);
        const int n = 3 * EventTableModel::kWindowRows + 77;
        EventTableModel model;
        // The model tester checks every row on every change: on while the window moves, not while it fills.
        std::unique_ptr<QAbstractItemModelTester> tester;
        auto test = [&](bool on) {
            tester.reset(on ? new QAbstractItemModelTester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest) : nullptr);
        };
        model.setIndex(indexOf(manyEvents(n, 7)));
        if (descending)
            model.sort(EventTableModel::PositionColumn, Qt::DescendingOrder);
        QSignalSpy shifted(&model, &EventTableModel::windowShifted);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        auto positionOfOrderRow = [&](qint64 orderRow) { return descending ? n - orderRow : orderRow + 1; };
        if (move == QLatin1String("down") || move == QLatin1String("up")) {
            while (model.rowCount() < EventTableModel::kWindowRows)
                model.fetchMore({});
            QCOMPARE(model.windowStart(), 0);
            test(true);
            for (int k = 0; k < 3; ++k)
                model.fetchMore({});
            test(false);
            while (model.canFetchMore({}))
                model.fetchMore({});
            QCOMPARE(model.rowCount(), EventTableModel::kWindowRows);
            QCOMPARE(model.windowStart() + model.rowCount(), qint64(n));
            QVERIFY(!shifted.isEmpty());
            int dropped = 0;
            for (const auto& args : std::as_const(shifted))
                dropped += args.at(0).toInt();
            QCOMPARE(qint64(dropped), model.windowStart());
            if (move == QLatin1String("up")) {
                test(true);
                for (int k = 0; k < 3; ++k)
                    model.fetchPrevious();
                test(false);
                while (model.canFetchPrevious())
                    model.fetchPrevious();
                QCOMPARE(model.windowStart(), 0);
                QCOMPARE(model.rowCount(), EventTableModel::kWindowRows);
                QVERIFY(model.canFetchMore({}));
            }
        } else {
            test(true);
            const qint64 target = positionOfOrderRow(2 * EventTableModel::kWindowRows + 5);
            const int row = model.rowOfPosition(target);
            QVERIFY(row >= 0);
            QCOMPARE(model.positionAt(row), target);
            QCOMPARE(resets.size(), 1); // a far jump moves the window in one go
            QVERIFY(model.windowStart() > 0);
        }
        QVERIFY(model.rowCount() <= EventTableModel::kWindowRows);
        for (int r : {0, model.rowCount() / 2, model.rowCount() - 1})
            QCOMPARE(model.index(r, EventTableModel::PositionColumn).data().toLongLong(), positionOfOrderRow(model.windowStart() + r));
    }

    void eventTableGrowsInPlace_data()
    {
        QTest::addColumn<QString>("streamFilter");
        QTest::addColumn<int>("column");
        QTest::addColumn<bool>("descending");
        QTest::newRow("position order") << QString() << int(EventTableModel::PositionColumn) << false;
        QTest::newRow("newest first") << QString() << int(EventTableModel::PositionColumn) << true;
        QTest::newRow("filtered") << QStringLiteral("item-1") << int(EventTableModel::PositionColumn) << false;
        QTest::newRow("filtered, newest first") << QStringLiteral("item-1") << int(EventTableModel::PositionColumn) << true;
        QTest::newRow("by time, filtered") << QStringLiteral("item-2") << int(EventTableModel::TimeColumn) << false;
    }

    void eventTableGrowsInPlace()
    {
        // The index grown in place (a live tail): every order and filter takes the new events without a
        // reset, and the rows are those a fresh model over all the events shows.
        QFETCH(QString, streamFilter);
        QFETCH(int, column);
        QFETCH(bool, descending);
        const QList<Event> all = MemoryReader(manyEvents(900, 3)).readAll({});
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all.mid(0, 600)));
        EventTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setIndex(index);
        model.sort(column, descending ? Qt::DescendingOrder : Qt::AscendingOrder);
        model.setFilter(streamFilter, {});
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        for (int from = 600; from < all.size(); from += 100)
            model.updateIndex(index, index->append(all.mid(from, 100)));
        QCOMPARE(resets.size(), 0);
        EventTableModel fresh;
        fresh.setIndex(indexOf(all));
        fresh.sort(column, descending ? Qt::DescendingOrder : Qt::AscendingOrder);
        fresh.setFilter(streamFilter, {});
        QCOMPARE(model.totalRows(), fresh.totalRows());
        while (model.canFetchMore({}))
            model.fetchMore({});
        while (fresh.canFetchMore({}))
            fresh.fetchMore({});
        QCOMPARE(model.rowCount(), fresh.rowCount());
        for (int r = 0; r < model.rowCount(); ++r)
            QCOMPARE(model.positionAt(r), fresh.positionAt(r));
    }

    void streamBrowserNewStreamsInsertedInNameOrder()
    {
        // New streams of known categories: each goes in at its row in natural name order in the source model
        // (streams falling between the same two rows in one insert), and the proxy keeps the source's order
        // (no sorting: the view shows the same rows, inserted at the same places). Count updates signal runs
        // of adjacent rows.
        QList<Event> all;
        for (int i = 0; i < 400; ++i)
            all << makeEvent(QStringLiteral("%1-%2").arg(i % 2 ? "order" : "item").arg(i * 10), 0, "Created", kT0 + i * 1000, {});
        all = MemoryReader(all).readAll({});
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all));
        StreamBrowser browser(nullptr);
        QAbstractItemModelTester tester(browser.view()->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        browser.setIndex(index);
        const QAbstractItemModel* shown = browser.view()->model();
        QSignalSpy sourceInserts(browser.model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy shownInserts(shown, &QAbstractItemModel::rowsInserted);
        QSignalSpy shownLayouts(shown, &QAbstractItemModel::layoutChanged);
        QSignalSpy resets(browser.model(), &QAbstractItemModel::modelReset);
        QList<Event> batch;
        const QList<int> ks{55, 1005, 3, 2999, 777, 56}; // 55 and 56 fall between the same two rows
        for (int k : ks)
            for (const char* category : {"item", "order"})
                batch << at(makeEvent(QStringLiteral("%1-%2").arg(category).arg(k), 0, "Created", kT0 + 500000 + k, {}),
                            all.size() + batch.size() + 1);
        const TimelineAppend change = index->append(batch);
        QCOMPARE(change.newLanes.size(), 12);
        browser.updateIndex(index, change);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(shownLayouts.size(), 0);
        QCOMPARE(sourceInserts.size(), 10); // 5 gaps per category
        QCOMPARE(shownInserts.size(), 10);
        int twoRowInserts = 0;
        for (int i = 0; i < sourceInserts.size(); ++i) {
            const QModelIndex parent = sourceInserts[i].at(0).value<QModelIndex>();
            const int first = sourceInserts[i].at(1).toInt(), last = sourceInserts[i].at(2).toInt();
            twoRowInserts += last - first == 1;
            // Where the source inserted, the view's model inserted too (the same rows, nothing re-sorted).
            QCOMPARE(shownInserts[i].at(1).toInt(), first);
            QCOMPARE(shownInserts[i].at(2).toInt(), last);
            const QString name = browser.model()->index(first, 0, parent).data(StreamTreeModel::StreamRole).toString();
            QVERIFY(name.endsWith(QLatin1String("-55")) || !name.endsWith(QLatin1String("-56")));
        }
        QCOMPARE(twoRowInserts, 2);
        for (const QAbstractItemModel* model : {static_cast<const QAbstractItemModel*>(browser.model()), shown}) {
            for (int c = 0; c < model->rowCount(); ++c) {
                const QModelIndex category = model->index(c, 0);
                QCOMPARE(model->rowCount(category), 206);
                for (int r = 1; r < model->rowCount(category); ++r)
                    QVERIFY(naturalLess(model->index(r - 1, 0, category).data(StreamTreeModel::StreamRole).toString(),
                                        model->index(r, 0, category).data(StreamTreeModel::StreamRole).toString()));
            }
        }
        QCOMPARE(browser.model()->indexOfStream("item-56").row(), browser.model()->indexOfStream("item-55").row() + 1);

        // One more event on each new stream: the throttled count refresh signals those rows alone.
        QSignalSpy changed(shown, &QAbstractItemModel::dataChanged);
        QList<Event> more;
        for (int k : ks)
            for (const char* category : {"item", "order"})
                more << at(makeEvent(QStringLiteral("%1-%2").arg(category).arg(k), 1, "Updated", kT0 + 600000 + k, {}),
                           all.size() + batch.size() + more.size() + 1);
        browser.updateIndex(index, index->append(more));
        QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), 3 * StreamBrowser::kUpdateIntervalMs);
        int streamRows = 0, streamSignals = 0;
        for (const auto& args : std::as_const(changed)) {
            const QModelIndex top = args.at(0).value<QModelIndex>(), bottom = args.at(1).value<QModelIndex>();
            if (top.parent().isValid()) {
                streamRows += bottom.row() - top.row() + 1;
                ++streamSignals;
            }
        }
        QCOMPARE(streamRows, 12);
        QCOMPARE(streamSignals, 10); // -55 and -56 are adjacent: one signal each category
        QCOMPARE(browser.model()->indexOfStream("item-2999").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(), "2");
    }

    void streamTreeDelegateCachesText()
    {
        // The stream tree paints text from a cache: painting the same rows again lays out nothing new, a
        // changed count adds its new text (a long name in the tree does not break it).
        QList<Event> all;
        for (int i = 0; i < 20; ++i)
            all << makeEvent(QStringLiteral("order-%1").arg(i), 0, "Created", kT0 + i * 1000, {});
        all << makeEvent(QStringLiteral("order-with-a-very-long-name-that-cannot-fit-%1").arg(QString(200, QLatin1Char('x'))), 0,
                         "Created", kT0 + 99000, {});
        all = MemoryReader(all).readAll({});
        auto index = std::const_pointer_cast<TimelineIndex>(indexOf(all));
        StreamBrowser browser(nullptr);
        auto* delegate = qobject_cast<StreamItemDelegate*>(browser.view()->itemDelegate());
        QVERIFY(delegate);
        browser.resize(300, 800);
        browser.setIndex(index);
        browser.view()->expandAll();
        browser.show();
        QVERIFY(QTest::qWaitForWindowExposed(&browser));
        QCoreApplication::processEvents();
        QImage first(browser.size(), QImage::Format_ARGB32_Premultiplied);
        browser.render(&first);
        const int laidOut = delegate->cachedTexts();
        QVERIFY2(laidOut >= 22, qPrintable(QString::number(laidOut))); // every name and the category at least
        QImage again(browser.size(), QImage::Format_ARGB32_Premultiplied);
        browser.render(&again);
        QCOMPARE(delegate->cachedTexts(), laidOut);
        QCOMPARE(again, first);
        browser.updateIndex(index, index->append({at(makeEvent("order-3", 1, "Updated", kT0 + 200000, {}), all.size() + 1)}));
        QTRY_COMPARE_WITH_TIMEOUT(browser.model()->indexOfStream("order-3").siblingAtColumn(StreamTreeModel::EventsColumn).data().toString(),
                                  QStringLiteral("2"), 3 * StreamBrowser::kUpdateIntervalMs);
        browser.render(&again);
        QVERIFY(delegate->cachedTexts() > laidOut); // "2" in the count column, and the category's new total
        QVERIFY(again != first);
    }

    void streamBrowserSortsOnlyOnRequest()
    {
        // Name ascending (the default) shows the source order; another order sorts, and back again.
        QList<Event> all;
        for (int i : {10, 2, 33, 1})
            all << makeEvent(QStringLiteral("order-%1").arg(i), 0, "Created", kT0 + i * 1000, {});
        for (int i = 0; i < 5; ++i) // order-1 gets the most events
            all << makeEvent(QStringLiteral("order-1"), i + 1, "Updated", kT0 + 90000 + i, {});
        all = MemoryReader(all).readAll({});
        StreamBrowser browser(nullptr);
        browser.setIndex(indexOf(all));
        // Name ascending and no filter: the view shows the model itself (the proxy would only cost inserts).
        QCOMPARE(browser.view()->model(), static_cast<QAbstractItemModel*>(browser.model()));
        auto names = [&] {
            const QAbstractItemModel* shown = browser.view()->model();
            QStringList out;
            const QModelIndex category = shown->index(0, 0);
            for (int r = 0; r < shown->rowCount(category); ++r)
                out << shown->index(r, 0, category).data(StreamTreeModel::StreamRole).toString();
            return out;
        };
        QCOMPARE(names(), (QStringList{"order-1", "order-2", "order-10", "order-33"}));
        browser.view()->expandAll();
        browser.selectStream("order-10");
        browser.view()->sortByColumn(StreamTreeModel::NameColumn, Qt::DescendingOrder);
        QVERIFY(browser.view()->model() != static_cast<QAbstractItemModel*>(browser.model()));
        QCOMPARE(names(), (QStringList{"order-33", "order-10", "order-2", "order-1"}));
        // The selection and the open category came along; a click still chooses lanes.
        QCOMPARE(browser.view()->selectionModel()->selectedRows().value(0).data(StreamTreeModel::StreamRole).toString(), "order-10");
        QVERIFY(browser.view()->isExpanded(browser.view()->model()->index(0, 0)));
        QSignalSpy lanes(&browser, &StreamBrowser::lanesChanged);
        browser.selectStream("order-2");
        QCOMPARE(lanes.size(), 1);
        QCOMPARE(browser.lanes(), (QList<int>{browser.model()->timelineIndex()->laneOf("order-2")}));
        browser.view()->sortByColumn(StreamTreeModel::EventsColumn, Qt::DescendingOrder);
        QCOMPARE(names().first(), QStringLiteral("order-1"));
        browser.view()->sortByColumn(StreamTreeModel::NameColumn, Qt::AscendingOrder);
        QCOMPARE(browser.view()->model(), static_cast<QAbstractItemModel*>(browser.model()));
        QCOMPARE(names(), (QStringList{"order-1", "order-2", "order-10", "order-33"}));
        QCOMPARE(browser.view()->selectionModel()->selectedRows().value(0).data(StreamTreeModel::StreamRole).toString(), "order-2");
        // A filter puts the proxy in between, clearing it takes it out again.
        browser.setPattern("1", false);
        QVERIFY(browser.view()->model() != static_cast<QAbstractItemModel*>(browser.model()));
        QCOMPARE(names(), (QStringList{"order-1", "order-10"}));
        browser.setPattern("", false);
        QCOMPARE(browser.view()->model(), static_cast<QAbstractItemModel*>(browser.model()));
        QCOMPARE(names().size(), 4);
    }

    void jsonTree()
    {
        JsonTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QJsonObject state{{"status", "paid"}, {"lines", QJsonArray{QJsonObject{{"sku", "A"}}, 2}},
                                {"a/b", QJsonObject{{"~x", true}}}, {"empty", QJsonObject{}}};
        model.setValue(state, {"/status", "/a~1b/~0x"});
        QCOMPARE(model.rowCount(), 4);
        const QModelIndex status = model.indexForPath("/status");
        QVERIFY(status.isValid());
        QCOMPARE(status.siblingAtColumn(1).data().toString(), QStringLiteral("\"paid\""));
        QCOMPARE(status.data(JsonTreeModel::HighlightRole).toInt(), int(JsonTreeModel::Changed));
        const QModelIndex ab = model.indexForPath("/a~1b");
        QCOMPARE(ab.data().toString(), QStringLiteral("a/b"));
        QCOMPARE(ab.data(JsonTreeModel::HighlightRole).toInt(), int(JsonTreeModel::ContainsChange));
        QCOMPARE(model.indexForPath("/a~1b/~0x").data(JsonTreeModel::PathRole).toString(), QStringLiteral("/a~1b/~0x"));
        const QModelIndex lines = model.indexForPath("/lines");
        QCOMPARE(lines.siblingAtColumn(1).data().toString(), QStringLiteral("[2 items]"));
        QCOMPARE(model.rowCount(lines), 2);
        QCOMPARE(model.indexForPath("/lines/0/sku").siblingAtColumn(1).data().toString(), QStringLiteral("\"A\""));
        QVERIFY(!model.hasChildren(model.indexForPath("/empty")));
        QVERIFY(!model.indexForPath("/lines/7").isValid());
        QVERIFY(!model.indexForPath("status").isValid());
        model.setValue(QJsonValue(42)); // a scalar state has no rows
        QCOMPARE(model.rowCount(), 0);
    }

    void jsonTreeLarge()
    {
        QJsonObject big;
        for (int i = 0; i < 50000; ++i)
            big.insert(QStringLiteral("k%1").arg(i, 5, 10, QLatin1Char('0')), i);
        JsonTreeModel model;
        model.setValue(big, {"/k49999"});
        QCOMPARE(model.rowCount(), 50000);
        QCOMPARE(model.indexForPath("/k49999").siblingAtColumn(1).data().toString(), QStringLiteral("49999"));

        // Deep nesting: levels are built only when asked for, so a deep value costs nothing up front.
        QJsonValue deep = QJsonValue(1);
        for (int i = 0; i < 200; ++i)
            deep = QJsonObject{{"d", deep}};
        model.setValue(deep);
        QModelIndex cur;
        int depth = 0;
        while (model.rowCount(cur) > 0) {
            cur = model.index(0, 0, cur);
            ++depth;
        }
        QCOMPARE(depth, 200);
        QCOMPARE(cur.siblingAtColumn(1).data().toString(), QStringLiteral("1"));
    }

    void jsonTreeTester()
    {
        JsonTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setValue(QJsonObject{{"x", QJsonArray{1, QJsonObject{{"y", QJsonArray{}}}}}});
        model.setValue(QJsonArray{});
        model.setValue(QJsonObject{{"a", 1}}, {"/a"});
    }

    void diff()
    {
        DiffModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QJsonObject a{{"status", "placed"}, {"total", 30}, {"note", "x"}};
        const QJsonObject b{{"status", "paid"}, {"total", 30}, {"paidAt", "10:00"}};
        const QJsonArray patch{QJsonObject{{"op", "replace"}, {"path", "/status"}, {"value", "paid"}},
                               QJsonObject{{"op", "remove"}, {"path", "/note"}},
                               QJsonObject{{"op", "add"}, {"path", "/paidAt"}, {"value", "10:00"}}};
        model.setDiff(a, b, patch);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, DiffModel::ChangeColumn).data().toString(), QStringLiteral("changed"));
        QCOMPARE(model.index(0, DiffModel::AColumn).data().toString(), QStringLiteral("\"placed\""));
        QCOMPARE(model.index(0, DiffModel::BColumn).data().toString(), QStringLiteral("\"paid\""));
        QCOMPARE(model.index(1, DiffModel::AColumn).data().toString(), QStringLiteral("\"x\""));
        QCOMPARE(model.index(1, DiffModel::BColumn).data().toString(), QStringLiteral("—"));
        QCOMPARE(model.index(2, DiffModel::AColumn).data().toString(), QStringLiteral("—"));
        QCOMPARE(model.index(2, DiffModel::ChangeColumn).data().toString(), QStringLiteral("added"));
        QCOMPARE(model.pathAt(1), QStringLiteral("/note"));
        QCOMPARE(model.opAt(2), QStringLiteral("add"));
        QVERIFY(model.index(1, DiffModel::AColumn).data(Qt::BackgroundRole).isValid());
        QVERIFY(!model.index(1, DiffModel::BColumn).data(Qt::BackgroundRole).isValid());
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    // The state tree, its tooltips, table previews and the diff table show each number with the text
    // the event wrote (QJsonValue alone would show 1.10 as 1.1 and 1e400 as a string).
    void numbersShownAsWritten_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const QByteArray& t : testdata::numberTexts())
            QTest::newRow(t.constData()) << t;
    }
    void numbersShownAsWritten()
    {
        QFETCH(QByteArray, text);
        const QString shown = QString::fromLatin1(text);
        Event e0, e1;
        e0.stream = e1.stream = QStringLiteral("n-1");
        e0.version = 0;
        e0.position = 1;
        e0.data = "{\"p\":" + text + ",\"l\":[" + text + ",\"" + text + "\"],\"q\":1.10}";
        e1.version = 1;
        e1.position = 2;
        e1.data = R"({"q":1.20})";
        MemoryReader reader({e0, e1});
        ReplayEngine engine(reader);
        const StateResult st = engine.stateAt(QStringLiteral("n-1"), Point::end());
        QVERIFY2(st.ok(), qPrintable(st.error));

        JsonTreeModel tree;
        QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
        tree.setValue(st.state, {QStringLiteral("/q")});
        QCOMPARE(tree.rowCount(), 3);
        const QModelIndex p = tree.indexForPath(QStringLiteral("/p"));
        QVERIFY(p.isValid());
        QCOMPARE(p.siblingAtColumn(1).data().toString(), shown);
        QCOMPARE(p.siblingAtColumn(1).data(Qt::ToolTipRole).toString(), QStringLiteral("/p\n") + shown);
        QCOMPARE(tree.indexForPath(QStringLiteral("/l/0")).siblingAtColumn(1).data().toString(), shown);
        QCOMPARE(tree.indexForPath(QStringLiteral("/l/1")).siblingAtColumn(1).data().toString(), "\"" + shown + "\"");
        QCOMPARE(tree.indexForPath(QStringLiteral("/q")).siblingAtColumn(1).data().toString(), QStringLiteral("1.20"));
        const QJsonValue l = tree.indexForPath(QStringLiteral("/l")).data(JsonTreeModel::ValueRole).value<QJsonValue>();
        QCOMPARE(jsonPreview(l), "[" + shown + ",\"" + shown + "\"]");
        // Bare previews (table cells) unquote strings only: the number and the string of it look alike.
        QCOMPARE(jsonPreview(parseJsonValue(text), 200, true), shown);
        QCOMPARE(jsonPreview(parseJsonValue("\"" + text + "\""), 200, true), shown);

        // The diff table between the states before and after the second event.
        const EventChange change = engine.changeAt(QStringLiteral("n-1"), 1);
        QVERIFY2(change.ok(), qPrintable(change.error));
        DiffModel diff;
        diff.setDiff(change.before, change.after, change.patch);
        QCOMPARE(diff.rowCount(), 1);
        QCOMPARE(diff.index(0, DiffModel::PathColumn).data().toString(), QStringLiteral("/q"));
        QCOMPARE(diff.index(0, DiffModel::AColumn).data().toString(), QStringLiteral("1.10"));
        QCOMPARE(diff.index(0, DiffModel::BColumn).data().toString(), QStringLiteral("1.20"));
        // A change of the number itself, old and new text side by side.
        const QJsonValue a = parseJsonValue("{\"p\":" + text + "}");
        const QJsonValue b = parseJsonValue(R"({"p":"other"})");
        diff.setDiff(a, b, diffJson(a, b));
        QCOMPARE(diff.index(0, DiffModel::AColumn).data().toString(), shown);
        QCOMPARE(diff.index(0, DiffModel::AColumn).data(Qt::ToolTipRole).toString(), shown);

        // The event inspector's raw JSON (also what "Copy data" / "Copy event JSON" copy) is indented
        // with the event's texts.
        ReplayController controller;
        EventInspector inspector(&controller);
        inspector.setEvent(e0);
        const QString raw = inspector.rawView()->toPlainText();
        QVERIFY2(raw.contains(QStringLiteral("\"p\": ") + shown + QStringLiteral(",\n")), qPrintable(raw));
        QVERIFY2(raw.contains(QStringLiteral("\"q\": 1.10\n")), qPrintable(raw));
    }

    void mergePatchPathsOfEvent()
    {
        const QJsonObject patch{{"status", "paid"}, {"address", QJsonObject{{"city", "Oslo"}, {"zip", QJsonValue()}}},
                                {"tags", QJsonArray{1}}, {"meta", QJsonObject{}}};
        QStringList paths = mergePatchPaths(patch);
        paths.sort();
        QCOMPARE(paths, (QStringList{"/address/city", "/address/zip", "/meta", "/status", "/tags"}));
        QCOMPARE(mergePatchPaths(QJsonValue(5)), QStringList{""});
    }
};

QTEST_MAIN(TstViewsModels)
#include "tst_views_models.moc"
