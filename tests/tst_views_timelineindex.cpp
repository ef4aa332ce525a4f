// TimelineIndex persistence and ordering: the on-disk cache round-trips, refuses other keys, older formats
// and damaged files; natural stream order.
#include "chunkedlist.h"
#include "timelineindex.h"
#include "views_fixtures.h"

#include <QFile>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace chronoscope;
using namespace chronoscope::fixtures;

class TstViewsTimelineIndex : public QObject
{
    Q_OBJECT
private:
    /// Every ordering, lookup and summary of `ext` equals the index built from all events at once.
    static void compareWithFullBuild(const TimelineIndex& extRef, const TimelineIndex& fullRef)
    {
        const TimelineIndex* ext = &extRef;
        const TimelineIndex* full = &fullRef;
        QCOMPARE(ext->size(), full->size());
        QCOMPARE(ext->streams, full->streams);
        QCOMPARE(ext->types, full->types);
        QCOMPARE(ext->typeCounts, full->typeCounts);
        for (size_t i = 0; i < full->entries.size(); ++i) {
            QCOMPARE(ext->entries[i].position, full->entries[i].position);
            QCOMPARE(ext->entries[i].time, full->entries[i].time);
            QCOMPARE(ext->entries[i].lane, full->entries[i].lane);
            QCOMPARE(ext->laneOfRow(qint64(i)), full->laneOfRow(qint64(i)));
            QCOMPARE(ext->entries[i].type, full->entries[i].type);
        }
        QCOMPARE(ext->byTime, full->byTime);
        QCOMPARE(ext->sortedTimes, full->sortedTimes);
        QCOMPARE(ext->laneRows, full->laneRows);
        QCOMPARE(ext->lanePoints.size(), full->lanePoints.size());
        for (size_t l = 0; l < full->lanePoints.size(); ++l)
            for (size_t k = 0; k < full->lanePoints[l].size(); ++k)
            QCOMPARE(ext->lanePoints[l][k].time, full->lanePoints[l][k].time);
        for (size_t l = 0; l < full->streamInfos.size(); ++l) {
            QCOMPARE(ext->streamInfos[l].stream, full->streamInfos[l].stream);
            QCOMPARE(ext->streamInfos[l].events, full->streamInfos[l].events);
            QCOMPARE(ext->streamInfos[l].lastVersion, full->streamInfos[l].lastVersion);
            QCOMPARE(ext->streamInfos[l].lastPosition, full->streamInfos[l].lastPosition);
            QCOMPARE(ext->streamInfos[l].lastTime, full->streamInfos[l].lastTime);
            QCOMPARE(ext->streamInfos[l].firstTime, full->streamInfos[l].firstTime);
            QCOMPARE(ext->streamInfos[l].firstVersion, full->streamInfos[l].firstVersion);
            QCOMPARE(ext->streamInfos[l].firstPosition, full->streamInfos[l].firstPosition);
        }
        for (const QString& s : full->streams)
            QCOMPARE(ext->laneOf(s), full->laneOf(s));
        QCOMPARE(ext->info.events, full->info.events);
        QCOMPARE(ext->info.lastPosition, full->info.lastPosition);
        QCOMPARE(ext->lastTime(), full->lastTime());
        QCOMPARE(ext->firstTime(), full->firstTime());
        QCOMPARE(ext->info.streams, full->info.streams);
        QCOMPARE(ext->laneOrder.toVector(), full->laneOrder.toVector());
        for (int l = 0; l < full->streams.size(); ++l)
            QCOMPARE(ext->rankOfLane(l), full->rankOfLane(l));
    }

    static QList<Event> withPositions(const QList<Event>& events)
    {
        MemoryReader reader(events);
        return reader.readAll({});
    }

private Q_SLOTS:
    void naturalOrder_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<bool>("less");
        QTest::newRow("2 < 10") << "order-2" << "order-10" << true;
        QTest::newRow("10 > 2") << "order-10" << "order-2" << false;
        QTest::newRow("prefix") << "order" << "order-1" << true;
        QTest::newRow("letters") << "invoice-9" << "order-1" << true;
        QTest::newRow("leading zeros equal value") << "a-01" << "a-1" << false;
        QTest::newRow("leading zeros other way") << "a-1" << "a-01" << true;
        QTest::newRow("equal") << "x" << "x" << false;
        QTest::newRow("big numbers") << "s-99999999999999999999" << "s-100000000000000000000" << true;
        QTest::newRow("mixed runs") << "a1b10" << "a1b9" << false;
    }
    void naturalOrder()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(bool, less);
        QCOMPARE(naturalLess(a, b), less);
    }

    void lanesInNaturalOrder()
    {
        QList<Event> ev;
        for (int i : {10, 2, 1})
            ev << makeEvent(QStringLiteral("order-%1").arg(i), 0, "X", kT0 + i, {});
        auto index = indexOf(ev);
        // Lanes are numbered as streams appear (a live tail never renumbers them); laneOrder is the display order.
        QCOMPARE(index->streams, (QStringList{"order-10", "order-2", "order-1"}));
        QCOMPARE(index->laneOrder.toVector(), (std::vector<quint32>{2, 1, 0}));
        QCOMPARE(index->rankOfLane(0), 2);
        QCOMPARE(index->laneOfRow(0), 0);
        QList<int> lanes{0, 1, 2};
        index->sortLanes(lanes);
        QCOMPARE(lanes, (QList<int>{2, 1, 0}));
    }

    void extendedEqualsAFullBuild_data()
    {
        QTest::addColumn<QList<Event>>("events");
        QTest::addColumn<int>("split");   // events in the base index; the rest arrive as a live tail
        QTest::addColumn<int>("overlap"); // events of the base sent again with the tail (must be skipped)
        QList<Event> later = shopEvents();
        later << makeEvent("order-1", 3, "OrderDelivered", kT0 + 70000, {}) << makeEvent("order-2", 2, "OrderArchived", kT0 + 80000, {});
        QTest::newRow("known streams, times forward") << later << 7 << 0;
        QTest::newRow("pages seen twice") << later << 5 << 3;
        QList<Event> newStream = shopEvents();
        newStream << makeEvent("order-0", 0, "OrderPlaced", kT0 + 70000, {}) << makeEvent("refund-1", 0, "Refunded", kT0 + 71000, {});
        QTest::newRow("new streams") << newStream << 7 << 0;
        QList<Event> back = shopEvents();
        back << makeEvent("order-1", 3, "Late", kT0 + 500, {});
        QTest::newRow("time goes back") << back << 7 << 0;
        QTest::newRow("from empty") << shopEvents() << 0 << 0;
        QTest::newRow("nothing new") << shopEvents() << 7 << 2;
    }

    void extendedEqualsAFullBuild()
    {
        QFETCH(QList<Event>, events);
        QFETCH(int, split);
        QFETCH(int, overlap);
        MemoryReader reader(events);
        const QList<Event> all = reader.readAll({}); // with their positions
        const auto full = indexOf(all);
        const auto base = indexOf(all.mid(0, split));
        QVERIFY(full && base);
        const auto ext = base->extended(all.mid(split - overlap));
        compareWithFullBuild(*ext, *full);
        if (QTest::currentTestFailed())
            return;
        // The base is untouched (views may still hold it).
        QCOMPARE(base->size(), qint64(split));
    }

    void chunkedListLikeAVector_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<bool>("sorted"); // insert at the sorted place (as laneOrder does) or anywhere
        QTest::addColumn<int>("assigned"); // elements given to assign() first
        QTest::newRow("empty") << 0 << true << 0;
        QTest::newRow("one") << 1 << true << 0;
        QTest::newRow("500 sorted inserts") << 500 << true << 0;
        QTest::newRow("500 inserts anywhere") << 500 << false << 0;
        QTest::newRow("300 sorted inserts after assigning 100") << 300 << true << 100;
        QTest::newRow("appends only") << 200 << false << -1;
    }

    void chunkedListLikeAVector()
    {
        // The chunked list behind laneOrder and the stream tree's rows holds what a vector would after the
        // same inserts, finds what std::lower_bound / upper_bound find, and keeps every chunk within its limit.
        QFETCH(int, count);
        QFETCH(bool, sorted);
        QFETCH(int, assigned);
        ChunkedList<int, 8> list;
        std::vector<int> reference;
        quint32 seed = 12345;
        auto next = [&seed] { return int((seed = seed * 1103515245u + 12345u) >> 16) % 1000; };
        for (int i = 0; i < assigned; ++i)
            reference.push_back(i * 10);
        list.assign(reference.begin(), reference.end());
        for (int i = 0; i < count; ++i) {
            const int v = next();
            if (assigned < 0) {
                list.push_back(v);
                reference.push_back(v);
            } else if (sorted) {
                const size_t at = list.upperBound(v, std::less<int>());
                QCOMPARE(at, size_t(std::upper_bound(reference.begin(), reference.end(), v) - reference.begin()));
                list.insert(at, v);
                reference.insert(reference.begin() + std::ptrdiff_t(at), v);
            } else {
                const size_t at = reference.empty() ? 0 : size_t(next()) % (reference.size() + 1);
                list.insert(at, v);
                reference.insert(reference.begin() + std::ptrdiff_t(at), v);
            }
        }
        QCOMPARE(list.size(), reference.size());
        QCOMPARE(list.toVector(), reference);
        QVERIFY(list.largestChunk() <= 8);
        QCOMPARE(list.empty(), reference.empty());
        for (size_t i = 0; i < reference.size(); ++i) {
            QCOMPARE(list[i], reference[i]);
            QCOMPARE(list.iteratorAt(i).index(), i);
            QCOMPARE(*list.iteratorAt(i), reference[i]);
        }
        QVERIFY(list.iteratorAt(reference.size()) == list.end());
        QCOMPARE(list.end().index(), reference.size());
        if (sorted && assigned >= 0) {
            for (int key : {-1, 0, 5, 500, 999, 1000, 5000}) {
                QCOMPARE(list.lowerBound(key, std::less<int>()),
                         size_t(std::lower_bound(reference.begin(), reference.end(), key) - reference.begin()));
                QCOMPARE(list.upperBound(key, std::less<int>()),
                         size_t(std::upper_bound(reference.begin(), reference.end(), key) - reference.begin()));
            }
        }
        // An index past the end inserts at the end, as the list cannot hold a gap.
        list.insert(reference.size() + 100, -7);
        QCOMPARE(list.back(), -7);
        QCOMPARE(list.size(), reference.size() + 1);
        list.clear();
        QVERIFY(list.empty());
        QCOMPARE(list.lowerBound(3, std::less<int>()), size_t(0));
        QVERIFY(list.begin() == list.end());
    }

    void appendInPlace_data()
    {
        QTest::addColumn<QList<Event>>("events");
        QTest::addColumn<int>("split"); // events in the base index; the rest arrive in batches
        QTest::addColumn<int>("batch"); // events per append() call
        QList<Event> later = shopEvents();
        later << makeEvent("order-1", 3, "OrderDelivered", kT0 + 70000, {}) << makeEvent("order-2", 2, "OrderArchived", kT0 + 80000, {});
        QTest::newRow("known streams, one at a time") << later << 7 << 1;
        QList<Event> mixed = shopEvents();
        mixed << makeEvent("order-0", 0, "OrderPlaced", kT0 + 70000, {}) << makeEvent("refund-1", 0, "Refunded", kT0 + 500, {})
              << makeEvent("order-10", 0, "OrderPlaced", kT0 + 100, {}) << makeEvent("order-1", 3, "Late", kT0 + 500, {})
              << makeEvent("a-1", 0, "First", kT0 - 5000, {}) << makeEvent("zz", 0, "Last", kT0 + 90000, {});
        QTest::newRow("new streams before, between and after, times going back, one at a time") << mixed << 7 << 1;
        QTest::newRow("the same in one batch") << mixed << 7 << 100;
        QTest::newRow("from empty, in pairs") << mixed << 0 << 2;
        // Past the first chunk of entries (65,536), with new streams and times going back now and then.
        QList<Event> many;
        for (int i = 0; i < 70000; ++i)
            many << makeEvent(QStringLiteral("item-%1").arg(i % 300 + (i > 60000 ? i / 1000 : 0)), i / 300,
                              i % 97 == 0 ? "Failed" : "Updated", kT0 + i * 10 - (i % 1000 == 999 ? 20000 : 0), {});
        QTest::newRow("70,000 events across a chunk boundary, batches of 2,000") << many << 60000 << 2000;
        // Past a chunk of laneOrder (ChunkedList::kMaxChunk lanes): each new stream goes into a split chunk.
        QList<Event> streams;
        for (int i = 0; i < 5000; ++i)
            streams << makeEvent(QStringLiteral("s-%1").arg((i * 7919) % 5000), 0, "Created", kT0 + i, {});
        QTest::newRow("5,000 new streams in shuffled name order, one at a time") << streams << 100 << 1;
    }

    void appendInPlace()
    {
        // The live tail's append: in place (the same object, nothing moved or copied: the first entry stays at
        // its address), and the result is exactly the index of all events built at once.
        QFETCH(QList<Event>, events);
        QFETCH(int, split);
        QFETCH(int, batch);
        const QList<Event> all = withPositions(events);
        const auto full = indexOf(all);
        const auto base = indexOf(all.mid(0, split));
        QVERIFY(full && base);
        auto index = std::make_shared<TimelineIndex>(*base);
        const TimelineIndex::Entry* first = index->entries.firstAddress();
        quint64 generation = index->generation;
        for (int from = split; from < all.size(); from += batch) {
            const QList<Event> page = all.mid(from, batch);
            const qint64 rowsBefore = index->size();
            const QStringList streamsBefore = index->streams;
            const TimelineAppend change = index->append(page);
            QVERIFY(change.known);
            QCOMPARE(change.rowsBefore, rowsBefore);
            QCOMPARE(index->size(), rowsBefore + page.size());
            QCOMPARE(index->generation, ++generation);
            // What the change says: the new streams' lanes (after the others), the lanes with new events;
            // no lane was renumbered.
            QSet<QString> pageStreams;
            for (const Event& e : page)
                pageStreams.insert(e.stream);
            QList<int> changed;
            QList<int> added;
            for (const QString& st : std::as_const(pageStreams)) {
                changed << index->laneOf(st);
                if (!streamsBefore.contains(st))
                    added << index->laneOf(st);
            }
            std::sort(changed.begin(), changed.end());
            std::sort(added.begin(), added.end());
            QCOMPARE(change.changedLanes, changed);
            QCOMPARE(change.newLanes, added);
            QCOMPARE(index->streams.mid(0, streamsBefore.size()), streamsBefore);
            for (int lane : std::as_const(added))
                QVERIFY(lane >= streamsBefore.size());
            if (rowsBefore > 0 && first)
                QCOMPARE(index->entries.firstAddress(), first);
            if (!first)
                first = index->entries.firstAddress();
        }
        compareWithFullBuild(*index, *full);
        // The display order stays chunked: no chunk grows past its limit however the streams arrive.
        QVERIFY(index->laneOrder.largestChunk() <= decltype(index->laneOrder)::kMaxChunk);
        QVERIFY(index->laneOrder.chunkCount() >= index->laneOrder.size() / decltype(index->laneOrder)::kMaxChunk);
        // Nothing new (a page seen twice): no change.
        const TimelineAppend again = index->append(all.mid(all.size() - 3));
        QVERIFY(again.isEmpty());
        QCOMPARE(index->size(), full->size());
    }

    void appendNeverRegrows_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<bool>("roomExpected");
        QTest::newRow("as built") << "built" << true;
        QTest::newRow("loaded from the cache") << "loaded" << true;
        QTest::newRow("a copy given room again") << "copy+reserve" << true;
        QTest::newRow("a plain copy (no room: regrows)") << "copy" << false;
    }
    void appendNeverRegrows()
    {
        // A live tail appends on the GUI thread: no per-row or per-lane array may reallocate there (a
        // reallocation copies one element per event or stream indexed, a stall at 1M events / 200,000
        // streams). Checked by the arrays' addresses across appends that bring thousands of new streams; a
        // plain copy (capacity == size) is the control that the check sees a reallocation.
        QFETCH(QString, source);
        QFETCH(bool, roomExpected);
        QList<Event> base;
        for (int i = 0; i < 2000; ++i)
            base << makeEvent(QStringLiteral("order-%1").arg(i % 400), i / 400, "Placed", kT0 + i, {});
        std::shared_ptr<TimelineIndex> index = std::const_pointer_cast<TimelineIndex>(indexOf(withPositions(base)));
        QVERIFY(index);
        if (source == QLatin1String("loaded")) {
            QTemporaryDir dir;
            QString error;
            QVERIFY2(saveTimelineIndex(*index, dir.filePath("i.idx"), "k", &error), qPrintable(error));
            index = std::const_pointer_cast<TimelineIndex>(loadTimelineIndex(dir.filePath("i.idx"), "k", &error));
            QVERIFY2(index, qPrintable(error));
        } else if (source.startsWith(QLatin1String("copy"))) {
            index = std::make_shared<TimelineIndex>(*index);
            if (source == QLatin1String("copy+reserve"))
                index->reserveAhead();
        }
        auto addresses = [&index] {
            return QList<const void*>{index->byTime.data(), index->sortedTimes.data(), index->streams.constData(),
                                      index->streamInfos.data(), index->laneRows.data(), index->lanePoints.data()};
        };
        const QList<const void*> before = addresses();
        qint64 position = index->entries.back().position;
        bool moved = false;
        for (int batch = 0; batch < 10; ++batch) {
            QList<Event> page;
            for (int i = 0; i < 400; ++i) {
                // 300 new streams per batch, a time going back now and then (an insertion, not an append).
                const QString stream = i % 4 == 0 ? QStringLiteral("order-%1").arg(i)
                                                  : QStringLiteral("new-%1-%2").arg(batch).arg(i);
                Event e = makeEvent(stream, 0, "Placed", kT0 + 2000 + batch * 400 + (i % 50 == 0 ? -1500 : i), {});
                e.position = ++position;
                page << e;
            }
            const TimelineAppend change = index->append(page);
            QCOMPARE(change.newLanes.size(), 300);
            moved = moved || addresses() != before;
        }
        QCOMPARE(index->streams.size(), 400 + 3000);
        QCOMPARE(index->size(), 2000 + 4000);
        QCOMPARE(!moved, roomExpected);
        if (roomExpected) {
            // The room is as many again, at least kRowsAhead / kLanesAhead more.
            QVERIFY(index->byTime.capacity() >= 2000 + TimelineIndex::kRowsAhead);
            QVERIFY(index->streamInfos.capacity() >= 400 + TimelineIndex::kLanesAhead);
        }
    }

    void cacheRoundTrip()
    {
        QTemporaryDir dir;
        auto index = indexOf(shopEvents());
        const QString path = dir.filePath("shop.idx");
        QString error;
        QVERIFY2(saveTimelineIndex(*index, path, "key-1", &error), qPrintable(error));
        auto loaded = loadTimelineIndex(path, "key-1", &error);
        QVERIFY2(loaded, qPrintable(error));
        QCOMPARE(loaded->streams, index->streams);
        QCOMPARE(loaded->types, index->types);
        QCOMPARE(loaded->typeCounts, index->typeCounts);
        QCOMPARE(loaded->byTime, index->byTime);
        QCOMPARE(loaded->laneRows, index->laneRows);
        QCOMPARE(loaded->laneOrder.toVector(), index->laneOrder.toVector()); // stored, not sorted again
        QCOMPARE(loaded->size(), index->size());
        for (size_t i = 0; i < index->entries.size(); ++i) {
            QCOMPARE(loaded->entries[i].position, index->entries[i].position);
            QCOMPARE(loaded->entries[i].time, index->entries[i].time);
            QCOMPARE(loaded->entries[i].lane, index->entries[i].lane);
            QCOMPARE(loaded->laneOfRow(qint64(i)), index->laneOfRow(qint64(i)));
        }
        QCOMPARE(loaded->info.events, 7);
        QCOMPARE(loaded->streamInfos[0].events, index->streamInfos[0].events);
        QCOMPARE(loaded->laneOf("payment-1"), 2);
        QCOMPARE(loaded->typeOf("OrderPaid"), index->typeOf("OrderPaid"));
    }

    void cacheRefusals_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("other key") << "key";
        QTest::newRow("truncated") << "truncate";
        QTest::newRow("garbage") << "garbage";
        QTest::newRow("empty") << "empty";
        QTest::newRow("lane out of range") << "lane";
        QTest::newRow("format 1 (no display order)") << "format-1";
        QTest::newRow("display order with a lane twice") << "order-twice";
        QTest::newRow("display order not in name order") << "order-swapped";
        QTest::newRow("display order lane out of range") << "order-range";
        QTest::newRow("missing") << "missing";
    }
    void cacheRefusals()
    {
        QFETCH(QString, damage);
        QTemporaryDir dir;
        auto index = indexOf(shopEvents());
        const QString path = dir.filePath("shop.idx");
        QVERIFY(saveTimelineIndex(*index, path, "key-1", nullptr));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        if (damage == "truncate")
            bytes.chop(40);
        else if (damage == "garbage")
            bytes = QByteArray(bytes.size(), 'x');
        else if (damage == "empty")
            bytes.clear();
        else if (damage == "lane") {
            // The entries are the last-but-one block: overwrite one lane id with a huge value.
            const qsizetype byTimeBytes = 8 + qsizetype(index->byTime.size() * 4);
            const qsizetype firstLane = bytes.size() - byTimeBytes - qsizetype(index->entries.size() * 32) + 24;
            bytes[firstLane] = char(0xff);
            bytes[firstLane + 1] = char(0xff);
        } else if (damage == "format-1") {
            QCOMPARE(bytes.mid(4, 4), QByteArray("\0\0\0\2", 4)); // magic, then the format (big-endian)
            bytes[7] = 1;
        } else if (damage.startsWith("order")) {
            // The display order is the block before the entries (lane ids, 4 bytes each).
            const qsizetype byTimeBytes = 8 + qsizetype(index->byTime.size() * 4);
            const qsizetype order = bytes.size() - byTimeBytes - 8 - qsizetype(index->entries.size() * 32)
                                    - qsizetype(index->laneOrder.size() * 4);
            QVERIFY(index->laneOrder.size() >= 2);
            const QByteArray first = bytes.mid(order, 4), second = bytes.mid(order + 4, 4);
            if (damage == "order-twice")
                bytes.replace(order, 4, second);
            else if (damage == "order-swapped")
                bytes.replace(order, 8, second + first);
            else
                bytes.replace(order, 4, QByteArray(4, char(0x7f)));
        }
        f.resize(0);
        f.write(bytes);
        f.close();
        if (damage == "missing")
            QFile::remove(path);
        QString error;
        QVERIFY(!loadTimelineIndex(path, damage == "key" ? "key-2" : "key-1", &error));
        QVERIFY(!error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstViewsTimelineIndex)
#include "tst_views_timelineindex.moc"
