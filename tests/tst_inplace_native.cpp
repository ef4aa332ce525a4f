// In-place exploration of native stores (core/sources/nativeinplace.h) on real SQLite files written by
// StoreWriter and the demo generator: every call equals what a full read of the same store counts or returns
// (densities whole and windowed, with and without the fine bins, from the writer's timeline_bins, from the
// cache), stream paging and search, a lane's ticks and a stream's events up to the cursor, the density cache
// (reused, damaged, stale), cancel, and bad files.

#include "demo/demogenerator.h"
#include "import/importer.h"
#include "replay/replayengine.h"
#include "sources/nativeinplace.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"
#include "json/jsonvalue.h"
#include "json/mergepatch.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <map>

using namespace chronoscope;

namespace {

bool sql(const QString& path, const QByteArray& statement);

/// A store as the writer makes it. Without `keepSummary` the writer's timeline summary is taken out again, so
/// the store is like one written before the summary existed (the scan and cache paths); the tests that read
/// the summary either keep the writer's or put in their own (addTimelineBins).
bool writeStore(const QString& path, const QList<Event>& events, int checkpointEvery = 1000, bool keepSummary = false)
{
    QString error;
    StoreWriter::Options options;
    options.checkpointEvery = checkpointEvery;
    auto w = StoreWriter::create(path, options, &error);
    if (!w) {
        qWarning() << error;
        return false;
    }
    for (const Event& e : events)
        if (!w->append(e, &error)) {
            qWarning() << error;
            return false;
        }
    if (!w->finish(&error)) {
        qWarning() << error;
        return false;
    }
    w.reset();
    return keepSummary ||
           sql(path, "DROP TABLE IF EXISTS timeline_bins; DELETE FROM meta WHERE key = 'timeline_bins'; VACUUM;");
}

QList<Event> readAll(const QString& path)
{
    QString error;
    auto r = SqliteStoreReader::open(path, &error);
    QList<Event> out;
    if (!r || !r->read(
                  {},
                  [&](const Event& e) {
                      out << e;
                      return true;
                  },
                  &error))
        qWarning() << error;
    return out;
}

bool sql(const QString& path, const QByteArray& statement)
{
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(path.toUtf8().constData(), &db) == SQLITE_OK;
    char* msg = nullptr;
    ok = ok && sqlite3_exec(db, statement.constData(), nullptr, nullptr, &msg) == SQLITE_OK;
    if (!ok) qWarning() << statement << (msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
    return ok;
}

qint64 axisValue(const Event& e, RemoteAxis axis)
{
    return axis == RemoteAxis::Time ? e.time : e.position;
}

/// The counts a full read gives for the bins of d.
QList<qint64> expectedCounts(const QList<Event>& all, const RemoteDensity& d)
{
    QList<qint64> want(d.counts.size(), 0);
    for (const Event& e : all) {
        if (d.axis == RemoteAxis::Time && e.time == kNoTime) continue;
        const qint64 v = axisValue(e, d.axis);
        if (v >= d.from && v <= d.to) ++want[int((v - d.from) / d.binWidth)];
    }
    return want;
}

} // namespace

class TestInPlaceNative : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QMap<QString, QString> m_stores;      ///< kind -> path
    QString m_written;                    ///< the demo store with the summary its writer kept
    QMap<QString, QList<Event>> m_events; ///< kind -> full read

    QString cacheDir(const QString& name) const { return m_dir.filePath(QStringLiteral("cache-") + name); }

    std::unique_ptr<NativeInPlaceSource> openSource(const QString& path, const QString& cache, QString* error,
                                                    RemoteFirstOptions options = {})
    {
        auto s = std::make_unique<NativeInPlaceSource>(path, options, cache);
        if (!s->open(error)) return nullptr;
        return s;
    }

    QString copyOf(const QString& kind, const QString& name)
    {
        const QString to = m_dir.filePath(name);
        QFile::remove(to);
        return QFile::copy(m_stores.value(kind), to) ? to : QString();
    }

    /// A timeline_bins table (bins.md) computed from the full read, at a given width.
    bool addTimelineBins(const QString& path, const QList<Event>& all, qint64 width, qint64 lastPosition,
                         qint64 events, qint64 bogus = 0)
    {
        std::map<std::pair<qint64, QString>, qint64> bins;
        qint64 untimed = 0;
        bool anyTime = false;
        for (const Event& e : all)
            anyTime = anyTime || e.time != kNoTime;
        for (const Event& e : all) {
            if (anyTime && e.time == kNoTime) {
                ++untimed;
                continue;
            }
            const qint64 v = anyTime ? e.time : e.position;
            qint64 b = v / width;
            if (v % width != 0 && v < 0) --b;
            ++bins[{b, e.type}];
        }
        QByteArray s = "BEGIN; CREATE TABLE timeline_bins(bin INTEGER NOT NULL, type INTEGER NOT NULL, "
                       "events INTEGER NOT "
                       "NULL, PRIMARY KEY(bin, type)) WITHOUT ROWID;";
        for (const auto& [key, n] : bins)
            s += "INSERT INTO timeline_bins SELECT " + QByteArray::number(key.first) + ", id, " +
                 QByteArray::number(n + bogus) + " FROM types WHERE name = '" + key.second.toUtf8() + "';";
        s += "INSERT INTO meta VALUES('timeline_bins', '{\"axis\":\"" +
             QByteArray(anyTime ? "time" : "position") + "\",\"width\":" + QByteArray::number(width) +
             ",\"events\":" + QByteArray::number(events) +
             ",\"last_position\":" + QByteArray::number(lastPosition) +
             ",\"untimed\":" + QByteArray::number(untimed) + "}'); COMMIT;";
        return sql(path, s);
    }

    /// Every density of the plan equals the full read's counts.
    void checkDensities(NativeInPlaceSource& src, const QList<Event>& all, const QList<int>& binsList,
                        bool windowsOnly = false)
    {
        QString error;
        RemoteSummary s;
        QVERIFY2(src.summary(&s, &error), qPrintable(error));
        const bool time = s.axis == RemoteAxis::Time;
        const qint64 lo = time ? s.firstTime : s.firstPosition, hi = time ? s.lastTime : s.lastPosition;
        qint64 inAxis = 0;
        for (const Event& e : all)
            inAxis += !time || e.time != kNoTime;
        for (int bins : binsList) {
            const QList<std::pair<qint64, qint64>> ranges{
                {lo, hi},
                {lo - 1000, hi + 1000},
                {lo + (hi - lo) / 3 + 7, lo + 2 * (hi - lo) / 3 - 5},
                {lo + (hi - lo) / 2, lo + (hi - lo) / 2 + (hi - lo) / 97 + 1},
                {hi - 3, hi}};
            for (int r = windowsOnly ? 2 : 0; r < ranges.size(); ++r) {
                const auto [from, to] = ranges[r];
                RemoteDensity d;
                QVERIFY2(src.density(from, to, bins, &d, &error), qPrintable(error));
                QVERIFY(!d.estimated);
                QVERIFY(d.counts.size() <= bins);
                QCOMPARE(d.axis, s.axis);
                const QList<qint64> want = expectedCounts(all, d);
                if (d.counts != want)
                    qWarning() << "bins" << bins << "range" << from << to << "via" << src.finesSource();
                QCOMPARE(d.counts, want);
                if (r < 2) QCOMPARE(d.total(), inAxis);
            }
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QString error;
        DemoOptions demo;
        demo.events = 3000;
        demo.days = 1;
        m_stores[QStringLiteral("demo")] = m_dir.filePath(QStringLiteral("demo.chronoscope"));
        QVERIFY2(generateDemoStore(m_stores[QStringLiteral("demo")], demo, {}, {}, &error),
                 qPrintable(error));
        // As a store from before the writer kept a timeline summary (the scan and cache paths are tested on it;
        // writersSummaryIsUsed keeps the writer's).
        m_written = m_dir.filePath(QStringLiteral("demo-as-written.chronoscope"));
        QVERIFY(QFile::copy(m_stores[QStringLiteral("demo")], m_written));
        QVERIFY(sql(m_stores[QStringLiteral("demo")],
                    "DROP TABLE timeline_bins; DELETE FROM meta WHERE key = 'timeline_bins'; VACUUM;"));

        // Positions only (no event has a time), dense: positions 1..n.
        QList<Event> untimed;
        for (int i = 1; i <= 300; ++i) {
            Event e;
            e.position = i;
            e.stream = QStringLiteral("lane-%1").arg(i % 7);
            e.version = (i - 1) / 7;
            e.type = QStringLiteral("T%1").arg(i % 3);
            e.data = "{\"i\":" + QByteArray::number(i) + "}";
            e.metadata = "{}";
            untimed << e;
        }
        m_stores[QStringLiteral("untimed")] = m_dir.filePath(QStringLiteral("untimed.chronoscope"));
        QVERIFY(writeStore(m_stores[QStringLiteral("untimed")], untimed));
        // The same with gaps between positions: counted, not computed.
        for (int i = 0; i < untimed.size(); ++i)
            untimed[i].position = 3 * (i + 1) + (i % 5 == 0 ? 1 : 0);
        m_stores[QStringLiteral("gaps")] = m_dir.filePath(QStringLiteral("gaps.chronoscope"));
        QVERIFY(writeStore(m_stores[QStringLiteral("gaps")], untimed));

        // Times before and after 1970, clustered, some events without a time, positions with gaps, times not
        // in position order, and names that need care.
        QList<Event> mixed;
        const QStringList names{
            QStringLiteral("order-1"),   QStringLiteral("order-10"),  QStringLiteral("order-2"),
            QStringLiteral("Order-ÄÖ"),  QStringLiteral("café-Über"), QStringLiteral("100%_done"),
            QStringLiteral("100x_done"), QStringLiteral("a_b"),       QStringLiteral("axb"),
            QStringLiteral("ÉCOLE-7"),   QStringLiteral("日本-1"),    QStringLiteral("")};
        QHash<QString, qint64> versions;
        for (int i = 0; i < 900; ++i) {
            Event e;
            e.position = 2 * i + 1 + (i % 11 == 0 ? 1 : 0);
            e.stream = names[(i * 7) % names.size()];
            e.version = versions[e.stream]++;
            e.type = QStringLiteral("Type%1").arg(i % 4);
            if (i % 45 != 0)
                e.time = -3600000 + qint64(i) * qint64(i) * 977 + (i % 3) * 5000 - (i % 13 == 0 ? 400000 : 0);
            e.id = QStringLiteral("id-%1").arg(i);
            e.data = i % 17 == 0 ? QByteArray("\"not json\"") : "{\"n\":" + QByteArray::number(i) + "}";
            e.dataIsJson = i % 17 != 0;
            e.metadata = i % 5 == 0 ? QByteArray("{\"correlationId\":\"c\"}") : QByteArray("{}");
            mixed << e;
        }
        m_stores[QStringLiteral("mixed")] = m_dir.filePath(QStringLiteral("mixed.chronoscope"));
        QVERIFY(writeStore(m_stores[QStringLiteral("mixed")], mixed));

        // Long streams with merge checkpoints every 10 versions: nested objects, deletions (null), numbers
        // whose text matters (1.10, 1e2, 2^63 + 1), versions with gaps, streams interleaved.
        QList<Event> checkpointed;
        QHash<QString, qint64> next;
        for (int i = 0; i < 410; ++i) {
            Event e;
            e.position = 10 + 3 * i;
            e.stream = i % 4 == 3 ? QStringLiteral("gaps") : QStringLiteral("long-%1").arg(i % 2);
            qint64& v = next[e.stream];
            e.version = v;
            v += e.stream == QLatin1String("gaps") ? 1 + (i % 5) : 1;
            e.type = QStringLiteral("Changed");
            e.time = 1700000000000 + qint64(i) * 1000;
            e.data = "{\"n\":" + QByteArray::number(i) +
                     ",\"price\":1.10,\"big\":9223372036854775809,\"e\":1e2," + "\"k" +
                     QByteArray::number(i % 7) + "\":{\"x\":" + QByteArray::number(i) + "}," + "\"k" +
                     QByteArray::number((i + 3) % 7) + "\":null}";
            e.metadata = "{}";
            checkpointed << e;
        }
        m_stores[QStringLiteral("checkpointed")] = m_dir.filePath(QStringLiteral("checkpointed.chronoscope"));
        QVERIFY(writeStore(m_stores[QStringLiteral("checkpointed")], checkpointed, 10));

        for (auto it = m_stores.cbegin(); it != m_stores.cend(); ++it) {
            m_events[it.key()] = readAll(it.value());
            QVERIFY(!m_events[it.key()].isEmpty());
        }
    }

    void densityEqualsFullRead_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<RemoteAxis>("axis");
        QTest::newRow("demo store") << QStringLiteral("demo") << RemoteAxis::Time;
        QTest::newRow("no times, dense positions") << QStringLiteral("untimed") << RemoteAxis::Position;
        QTest::newRow("no times, positions with gaps") << QStringLiteral("gaps") << RemoteAxis::Position;
        QTest::newRow("times around 1970, some missing") << QStringLiteral("mixed") << RemoteAxis::Time;
    }
    void densityEqualsFullRead()
    {
        QFETCH(QString, kind);
        QFETCH(RemoteAxis, axis);
        const QList<Event>& all = m_events[kind];
        const QString cache = cacheDir(QStringLiteral("density-") + kind);
        QDir(cache).removeRecursively();
        QString error;
        auto src = openSource(m_stores[kind], cache, &error);
        QVERIFY2(src, qPrintable(error));
        QCOMPARE(src->axis(), axis);
        QVERIFY2(src->advice().isEmpty(), qPrintable(src->advice().value(0).text()));
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        qint64 firstPos = all.first().position, lastPos = all.last().position;
        QCOMPARE(s.firstPosition, firstPos);
        QCOMPARE(s.lastPosition, lastPos);
        if (axis == RemoteAxis::Time) {
            TimeMs t0 = std::numeric_limits<qint64>::max(), t1 = std::numeric_limits<qint64>::min();
            qint64 untimed = 0;
            for (const Event& e : all) {
                if (e.time == kNoTime) {
                    ++untimed;
                    continue;
                }
                t0 = std::min(t0, e.time);
                t1 = std::max(t1, e.time);
            }
            QCOMPARE(s.firstTime, t0);
            QCOMPARE(s.lastTime, t1);
            QVERIFY(s.exactTimeRange);
            QCOMPARE(s.untimedEvents, untimed);
        }
        // Windows first: counted over their range only (no fine bins yet).
        checkDensities(*src, all, {1, 7, 500}, true);
        QVERIFY(src->finesSource().isEmpty());
        // The whole store: one pass that also keeps the fine bins; windows then come from them.
        checkDensities(*src, all, {1, 2, 7, 64, 333, 500});
        if (kind != QLatin1String("untimed")) // dense positions are computed, never counted
            QCOMPARE(src->finesSource(), QStringLiteral("scan"));
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QVERIFY(s.eventsExact);
        QCOMPARE(s.estimatedEvents, qint64(all.size()));
        // A later open: the fine bins from the cache file.
        auto again = openSource(m_stores[kind], cache, &error);
        QVERIFY2(again, qPrintable(error));
        if (kind != QLatin1String("untimed")) QCOMPARE(again->finesSource(), QStringLiteral("cache"));
        checkDensities(*again, all, {1, 3, 250, 500});
    }

    void estimatedDensityIsMarkedAndClose()
    {
        const QList<Event>& all = m_events[QStringLiteral("demo")];
        QString error;
        const QString cache = cacheDir(QStringLiteral("estimate"));
        QDir(cache).removeRecursively();
        auto src = openSource(m_stores[QStringLiteral("demo")], cache, &error);
        QVERIFY2(src, qPrintable(error));
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        // From a sample of the events (sampledEstimateIsMarkedAndClose): marked, total kept.
        RemoteDensity e;
        QVERIFY2(src->estimatedDensity(s.firstTime, s.lastTime, 50, &e, &error), qPrintable(error));
        QVERIFY(e.estimated);
        QVERIFY2(qAbs(e.total() - all.size()) <= 50, qPrintable(QString::number(e.total())));
        // From the fine bins after a whole pass: close to the exact counts, marked while a fine bin
        // straddles.
        RemoteDensity exact;
        QVERIFY2(src->density(s.firstTime, s.lastTime, 50, &exact, &error), qPrintable(error));
        QVERIFY2(src->estimatedDensity(s.firstTime, s.lastTime, 50, &e, &error), qPrintable(error));
        QVERIFY(e.estimated);
        QVERIFY2(qAbs(e.total() - all.size()) <= 50, qPrintable(QString::number(e.total())));
        qint64 off = 0;
        for (int i = 0; i < e.counts.size(); ++i)
            off += qAbs(e.counts[i] - exact.counts[i]);
        QVERIFY2(off <= all.size() / 20, qPrintable(QString::number(off)));
        // One bin over the whole store: no fine bin straddles, so the estimate is the count.
        QVERIFY2(src->estimatedDensity(s.firstTime, s.lastTime, 1, &e, &error), qPrintable(error));
        QVERIFY(!e.estimated);
        QCOMPARE(e.total(), qint64(all.size()));
        // Dense positions are computed: exact.
        auto dense = openSource(m_stores[QStringLiteral("untimed")], cache, &error);
        QVERIFY2(dense, qPrintable(error));
        QVERIFY2(dense->estimatedDensity(1, 300, 7, &e, &error), qPrintable(error));
        QVERIFY(!e.estimated);
        QCOMPARE(e.counts, expectedCounts(m_events[QStringLiteral("untimed")], e));
    }

    void sampledEstimateIsMarkedAndClose_data()
    {
        QTest::addColumn<int>("samples");
        QTest::addColumn<int>("bins");
        QTest::addColumn<int>("maxOffPercent"); ///< sum of |estimate - exact| over the bins, in % of the events
        // The demo store holds 3000 events: fewer probes than events, so it samples.
        QTest::newRow("300 probes, 10 bins") << 300 << 10 << 15;
        QTest::newRow("1000 probes, 50 bins") << 1000 << 50 << 15;
        QTest::newRow("1000 probes, 1 bin") << 1000 << 1 << 2;
        QTest::newRow("every event, 20 bins") << 100000 << 20 << 2;
    }

    void sampledEstimateIsMarkedAndClose()
    {
        // Neither timeline_bins nor a cache: the estimate probes the position index at evenly spaced
        // positions (a few thousand probes whatever the store's size).
        QFETCH(int, samples);
        QFETCH(int, bins);
        QFETCH(int, maxOffPercent);
        const QList<Event>& all = m_events[QStringLiteral("demo")];
        QString error;
        const QString cache = cacheDir(QStringLiteral("sampled"));
        QDir(cache).removeRecursively();
        // A store as older writers left it: no timeline_bins.
        const QString path = copyOf(QStringLiteral("demo"), QStringLiteral("sampled.chronoscope"));
        QVERIFY(!path.isEmpty());
        QVERIFY(sql(path, "DROP TABLE IF EXISTS timeline_bins; DELETE FROM meta WHERE key = 'timeline_bins';"));
        auto src = openSource(path, cache, &error);
        QVERIFY2(src, qPrintable(error));
        QVERIFY(src->finesSource().isEmpty());
        src->setEstimateSamples(samples);
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        RemoteDensity e;
        QVERIFY2(src->estimatedDensity(s.firstTime, s.lastTime, bins, &e, &error), qPrintable(error));
        QVERIFY(e.estimated);
        QCOMPARE(e.counts.size(), bins);
        const QList<qint64> exact = expectedCounts(all, e);
        qint64 off = 0;
        for (int i = 0; i < e.counts.size(); ++i) {
            QVERIFY(e.counts[i] >= 0);
            off += qAbs(e.counts[i] - exact[i]);
        }
        QVERIFY2(off * 100 <= qint64(all.size()) * maxOffPercent,
                 qPrintable(QStringLiteral("off by %1 of %2 events").arg(off).arg(all.size())));
        // It read no whole table: nothing was counted or cached.
        QVERIFY(src->finesSource().isEmpty());
        QVERIFY(!QFile::exists(src->cacheFile()));
    }

    void timelineBinsAreUsedWhenCurrent_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("widthShift"); ///< the table's width: the reader's rule times 2^shift
        QTest::addColumn<QString>(
            "stale"); ///< "": current; "appended": last_position behind; "count": N wrong
        QTest::newRow("demo, current") << QStringLiteral("demo") << 0 << QString();
        QTest::newRow("demo, coarser bins") << QStringLiteral("demo") << 3 << QString();
        QTest::newRow("mixed, current") << QStringLiteral("mixed") << 1 << QString();
        QTest::newRow("gaps, position axis") << QStringLiteral("gaps") << 0 << QString();
        QTest::newRow("demo, stale: appended since")
            << QStringLiteral("demo") << 0 << QStringLiteral("appended");
        QTest::newRow("demo, stale: count differs") << QStringLiteral("demo") << 0 << QStringLiteral("count");
    }
    void timelineBinsAreUsedWhenCurrent()
    {
        QFETCH(QString, kind);
        QFETCH(int, widthShift);
        QFETCH(QString, stale);
        const QList<Event>& all = m_events[kind];
        const QString path = copyOf(
            kind, QStringLiteral("bins-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'_'));
        QVERIFY(!path.isEmpty());
        bool anyTime = false;
        qint64 lo = std::numeric_limits<qint64>::max(), hi = std::numeric_limits<qint64>::min();
        for (const Event& e : all)
            anyTime = anyTime || e.time != kNoTime;
        for (const Event& e : all) {
            if (anyTime && e.time == kNoTime) continue;
            lo = std::min(lo, anyTime ? e.time : e.position);
            hi = std::max(hi, anyTime ? e.time : e.position);
        }
        const qint64 width = NativeInPlaceSource::fineWidth(lo, hi) << widthShift;
        const qint64 lastPosition = all.last().position - (stale == QLatin1String("appended") ? 1 : 0);
        const qint64 events = all.size() + (stale == QLatin1String("count") ? 1 : 0);
        // A stale table carries wrong counts too: using it would show.
        QVERIFY(addTimelineBins(path, all, width, lastPosition, events, stale.isEmpty() ? 0 : 3));
        const QString cache = cacheDir(QStringLiteral("bins"));
        QDir(cache).removeRecursively();
        QString error;
        auto src = openSource(path, cache, &error);
        QVERIFY2(src, qPrintable(error));
        // The open reads the summary but does not count the events (seconds on a big store): the first exact
        // density checks it. Until then estimates use it, marked estimated.
        QVERIFY(src->finesSource().isEmpty());
        RemoteSummary opened;
        QVERIFY2(src->summary(&opened, &error), qPrintable(error));
        QVERIFY(!opened.eventsExact);
        if (stale.isEmpty()) {
            QVERIFY(src->notes().isEmpty());
            RemoteDensity early;
            QVERIFY2(src->estimatedDensity(opened.axis == RemoteAxis::Time ? opened.firstTime : opened.firstPosition,
                                           opened.axis == RemoteAxis::Time ? opened.lastTime : opened.lastPosition,
                                           50, &early, &error),
                     qPrintable(error));
            QVERIFY(early.estimated);
        }
        checkDensities(*src, all, {1, 5, 77, 500});
        if (!stale.isEmpty()) {
            QVERIFY(src->finesSource() != QLatin1String("timeline_bins"));
            QVERIFY2(src->notes().join(u' ').contains(QLatin1String("timeline_bins) is ignored")),
                     qPrintable(src->notes().join(u' ')));
        }
        if (stale.isEmpty()) {
            QVERIFY2(src->notes().isEmpty(), qPrintable(src->notes().join(u' ')));
            QCOMPARE(src->finesSource(), QStringLiteral("timeline_bins"));
            // Kept in the cache: a later open reads neither the table nor the events' count.
            auto again = openSource(path, cache, &error);
            QVERIFY2(again, qPrintable(error));
            QCOMPARE(again->finesSource(), QStringLiteral("cache"));
        }
    }

    /// The summary the store writer keeps as it writes is current, so no pass over the events is made: after one
    /// count (the first exact density's check) the densities come from it and equal a full read.
    void writersSummaryIsUsed_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("demo generator") << QStringLiteral("demo");
        QTest::newRow("times, some missing") << QStringLiteral("mixed");
        QTest::newRow("no times") << QStringLiteral("untimed");
    }
    void writersSummaryIsUsed()
    {
        QFETCH(QString, kind);
        const QList<Event>& all = m_events[kind];
        QString path = m_written;
        if (kind != QLatin1String("demo")) {
            path = m_dir.filePath(QStringLiteral("as-written-%1.chronoscope").arg(kind));
            QFile::remove(path);
            QVERIFY(writeStore(path, all, 1000, true));
        }
        const QString cache = cacheDir(QStringLiteral("written-") + kind);
        QDir(cache).removeRecursively();
        QString error;
        auto src = openSource(path, cache, &error);
        QVERIFY2(src, qPrintable(error));
        checkDensities(*src, all, {1, 5, 77, 500});
        QCOMPARE(src->finesSource(), QStringLiteral("timeline_bins")); // checked by the first exact density
        QVERIFY2(src->notes().isEmpty(), qPrintable(src->notes().join(u' ')));
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QVERIFY(s.eventsExact);
        QCOMPARE(s.estimatedEvents, qint64(all.size()));
    }

    /// The in-place window has two sources on one store (the second runs the exact pass): the one that checks
    /// the writer's summary keeps it in the cache file, and the other finds it there instead of counting again.
    void summaryCheckedByOneSourceIsFoundByTheOther()
    {
        const QString cache = cacheDir(QStringLiteral("two-sources"));
        QDir(cache).removeRecursively();
        QString error;
        auto first = openSource(m_written, cache, &error);
        QVERIFY2(first, qPrintable(error));
        auto second = openSource(m_written, cache, &error);
        QVERIFY2(second, qPrintable(error));
        RemoteSummary s;
        QVERIFY2(second->summary(&s, &error), qPrintable(error));
        RemoteDensity d;
        QVERIFY2(second->density(s.firstTime, s.lastTime, 100, &d, &error), qPrintable(error));
        QVERIFY(!d.estimated);
        QCOMPARE(second->finesSource(), QStringLiteral("timeline_bins"));
        QVERIFY(QFile::exists(second->cacheFile()));
        RemoteDensity again;
        QVERIFY2(first->density(s.firstTime, s.lastTime, 100, &again, &error), qPrintable(error));
        QCOMPARE(first->finesSource(), QStringLiteral("cache"));
        QCOMPARE(again.counts, d.counts);
        QVERIFY(!again.estimated);
    }

    void streamPagingEqualsFullList_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("page");
        QTest::newRow("mixed names, pages of 1") << QStringLiteral("mixed") << 1;
        QTest::newRow("mixed names, pages of 5") << QStringLiteral("mixed") << 5;
        QTest::newRow("demo, pages of 37") << QStringLiteral("demo") << 37;
        QTest::newRow("demo, one page") << QStringLiteral("demo") << 100000;
    }
    void streamPagingEqualsFullList()
    {
        QFETCH(QString, kind);
        QFETCH(int, page);
        QString error;
        auto reader = SqliteStoreReader::open(m_stores[kind], &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<StreamInfo> want = reader->streams();
        auto src = openSource(m_stores[kind], cacheDir(QStringLiteral("streams")), &error);
        QVERIFY2(src, qPrintable(error));
        QList<RemoteStreamCount> got;
        QString after;
        for (int guard = 0; guard < 100000; ++guard) {
            QList<RemoteStreamCount> list;
            QVERIFY2(src->streams(after, page, &list, &error), qPrintable(error));
            QVERIFY(list.size() <= page);
            got += list;
            if (list.size() < page) break;
            after = list.last().stream;
        }
        // The empty name sorts first and pages like any other.
        QCOMPARE(got.size(), want.size());
        for (int i = 0; i < want.size(); ++i) {
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].events, want[i].events);
            QCOMPARE(got[i].lastVersion, want[i].lastVersion);
        }
    }

    void searchRunsInTheStore_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("want");
        QTest::addColumn<int>("page");
        QTest::newRow("ASCII, any case") << QStringLiteral("ORDER")
                                         << QStringList{QStringLiteral("Order-ÄÖ"), QStringLiteral("order-1"),
                                                        QStringLiteral("order-10"), QStringLiteral("order-2")}
                                         << 100;
        QTest::newRow("ASCII, paged by 1")
            << QStringLiteral("order")
            << QStringList{QStringLiteral("Order-ÄÖ"), QStringLiteral("order-1"), QStringLiteral("order-10"),
                           QStringLiteral("order-2")}
            << 1;
        QTest::newRow("digits") << QStringLiteral("10")
                                << QStringList{QStringLiteral("100%_done"), QStringLiteral("100x_done"),
                                               QStringLiteral("order-10")}
                                << 2;
        QTest::newRow("percent is literal")
            << QStringLiteral("%") << QStringList{QStringLiteral("100%_done")} << 100;
        QTest::newRow("underscore is literal")
            << QStringLiteral("_")
            << QStringList{QStringLiteral("100%_done"), QStringLiteral("100x_done"), QStringLiteral("a_b")}
            << 100;
        QTest::newRow("x_ is not x-anything")
            << QStringLiteral("x_") << QStringList{QStringLiteral("100x_done")} << 100;
        QTest::newRow("unicode, any case")
            << QStringLiteral("é") << QStringList{QStringLiteral("café-Über"), QStringLiteral("ÉCOLE-7")}
            << 100;
        QTest::newRow("unicode upper finds lower")
            << QStringLiteral("ÜBER") << QStringList{QStringLiteral("café-Über")} << 1;
        QTest::newRow("CJK") << QStringLiteral("日本") << QStringList{QStringLiteral("日本-1")} << 100;
        QTest::newRow("nothing") << QStringLiteral("zzz") << QStringList{} << 100;
    }
    void searchRunsInTheStore()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, want);
        QFETCH(int, page);
        QString error;
        auto src = openSource(m_stores[QStringLiteral("mixed")], cacheDir(QStringLiteral("search")), &error);
        QVERIFY2(src, qPrintable(error));
        QStringList got;
        QString after;
        for (int guard = 0; guard < 100; ++guard) {
            QList<RemoteStreamCount> list;
            QVERIFY2(src->searchStreams(text, after, page, &list, &error), qPrintable(error));
            QVERIFY(list.size() <= page);
            for (const RemoteStreamCount& c : list) {
                got << c.stream;
                QVERIFY(c.events > 0);
            }
            if (list.size() < page) break;
            after = list.last().stream;
        }
        // Name order is the store's (UTF-8 bytes): uppercase ASCII first.
        std::sort(want.begin(), want.end(),
                  [](const QString& a, const QString& b) { return a.toUtf8() < b.toUtf8(); });
        QCOMPARE(got, want);
        // The empty text lists every stream.
        QList<RemoteStreamCount> every;
        QVERIFY(src->searchStreams(QString(), QString(), 1000, &every, &error));
        QCOMPARE(every.size(), 12);
    }

    void laneTicksEqualFullRead()
    {
        const QList<Event>& all = m_events[QStringLiteral("mixed")];
        QString error;
        auto src = openSource(m_stores[QStringLiteral("mixed")], cacheDir(QStringLiteral("ticks")), &error);
        QVERIFY2(src, qPrintable(error));
        for (const QString& stream : {QStringLiteral("order-1"), QStringLiteral("café-Über"), QString()}) {
            QList<Event> lane;
            for (const Event& e : all)
                if (e.stream == stream) lane << e;
            std::sort(lane.begin(), lane.end(),
                      [](const Event& a, const Event& b) { return a.version < b.version; });
            QVERIFY(lane.size() > 10);
            // A window of the lane's middle (events without a time are outside every time window).
            const TimeMs from = lane[lane.size() / 4].time == kNoTime ? lane[lane.size() / 4 + 1].time
                                                                      : lane[lane.size() / 4].time;
            const TimeMs to = from + 5000000;
            QList<Event> want;
            for (const Event& e : lane)
                if (e.time != kNoTime && e.time >= from && e.time <= to) want << e;
            QList<RemoteTick> ticks;
            bool truncated = true;
            QVERIFY2(src->laneTicks(stream, from, to, 10000, &ticks, &truncated, &error), qPrintable(error));
            QVERIFY(!truncated);
            QCOMPARE(ticks.size(), want.size());
            for (int i = 0; i < want.size(); ++i) {
                QCOMPARE(ticks[i].position, want[i].position);
                QCOMPARE(ticks[i].time, want[i].time);
                QCOMPARE(ticks[i].version, want[i].version);
                QCOMPARE(ticks[i].type, want[i].type);
            }
            // A limit keeps the oldest and says there were more.
            if (want.size() > 3) {
                QVERIFY(src->laneTicks(stream, from, to, 3, &ticks, &truncated, &error));
                QVERIFY(truncated);
                QCOMPARE(ticks.size(), 3);
                QCOMPARE(ticks.last().position, want[2].position);
            }
            // Exactly the limit: not truncated.
            QVERIFY(src->laneTicks(stream, from, to, int(want.size()), &ticks, &truncated, &error));
            QVERIFY(!truncated);
        }
        // Position axis.
        auto gaps = openSource(m_stores[QStringLiteral("gaps")], cacheDir(QStringLiteral("ticks")), &error);
        QVERIFY2(gaps, qPrintable(error));
        QList<RemoteTick> ticks;
        bool truncated = true;
        QVERIFY(gaps->laneTicks(QStringLiteral("lane-3"), 100, 500, 1000, &ticks, &truncated, &error));
        qint64 n = 0;
        for (const Event& e : m_events[QStringLiteral("gaps")])
            n += e.stream == u"lane-3" && e.position >= 100 && e.position <= 500;
        QCOMPARE(qint64(ticks.size()), n);
        // An unknown stream has no ticks.
        QVERIFY(src->laneTicks(QStringLiteral("no-such"), -1e15, 1e15, 10, &ticks, &truncated, &error));
        QVERIFY(ticks.isEmpty());
        QVERIFY(!truncated);
    }

    void lanesTicksEqualFullRead_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<int>("strategy");
        using S = NativeInPlaceSource::LaneStrategy;
        for (const char* store : {"demo", "mixed", "gaps", "checkpointed", "untimed"})
            for (const auto& [name, strategy] :
                 {std::pair{"auto", S::Auto}, std::pair{"per lane", S::PerLane}, std::pair{"scan", S::Scan}})
                QTest::addRow("%s, %s", store, name) << QString::fromLatin1(store) << int(strategy);
    }

    // Every way lanesTicks reads (lane by lane within the window's position bounds, or one pass over the rows
    // between them) gives each lane what a full read gives: its events in the window by version, the first
    // `limit`, truncated when there are more. Windows: the whole store, quarters, a narrow one, an empty one;
    // times out of position order and untimed events in "mixed", version gaps in "checkpointed".
    void lanesTicksEqualFullRead()
    {
        QFETCH(QString, store);
        QFETCH(int, strategy);
        const QList<Event>& all = m_events[store];
        QString error;
        auto src = openSource(m_stores[store], cacheDir(QStringLiteral("lanes")), &error);
        QVERIFY2(src, qPrintable(error));
        src->setLaneStrategy(NativeInPlaceSource::LaneStrategy(strategy));
        const bool time = src->axis() == RemoteAxis::Time;
        auto value = [time](const Event& e) { return time ? e.time : e.position; };
        qint64 lo = std::numeric_limits<qint64>::max(), hi = std::numeric_limits<qint64>::min();
        QStringList streams;
        for (const Event& e : all) {
            if (!streams.contains(e.stream) && streams.size() < 40) streams << e.stream;
            if (value(e) == kNoTime) continue;
            lo = std::min(lo, value(e));
            hi = std::max(hi, value(e));
        }
        // A missing stream and a lane asked twice.
        streams << QStringLiteral("no-such") << streams.first();
        const qint64 q = (hi - lo) / 4;
        const QList<std::pair<qint64, qint64>> windows{
            {lo, hi}, {lo - 1000, hi + 1000}, {lo, lo + q}, {lo + q, lo + 3 * q}, {hi - q, hi},
            {lo + 2 * q, lo + 2 * q + std::max<qint64>(1, q / 20)}, {hi + 1, hi + 100}};
        QSet<int> used;
        for (const auto& [from, to] : windows) {
            for (int limit : {1, 3, 10000}) {
                QList<RemoteLaneTicks> lanes;
                QVERIFY2(src->lanesTicks(streams, from, to, limit, &lanes, &error), qPrintable(error));
                used.insert(int(src->lastLaneStrategy()));
                QCOMPARE(lanes.size(), streams.size());
                for (int i = 0; i < streams.size(); ++i) {
                    QList<Event> want;
                    for (const Event& e : all)
                        if (e.stream == streams[i] && value(e) != kNoTime && value(e) >= from && value(e) <= to)
                            want << e;
                    std::sort(want.begin(), want.end(),
                              [](const Event& a, const Event& b) { return a.version < b.version; });
                    const RemoteLaneTicks& got = lanes[i];
                    const QByteArray where = QStringLiteral("lane %1 window %2..%3 limit %4")
                                                 .arg(streams[i])
                                                 .arg(from)
                                                 .arg(to)
                                                 .arg(limit)
                                                 .toUtf8();
                    QVERIFY2(got.stream == streams[i], where.constData());
                    QVERIFY2(got.truncated == (want.size() > limit), where.constData());
                    QVERIFY2(got.ticks.size() == std::min<qsizetype>(limit, want.size()), where.constData());
                    for (int k = 0; k < got.ticks.size(); ++k) {
                        QVERIFY2(got.ticks[k].position == want[k].position, where.constData());
                        QVERIFY2(got.ticks[k].time == want[k].time, where.constData());
                        QVERIFY2(got.ticks[k].version == want[k].version, where.constData());
                        QVERIFY2(got.ticks[k].type == want[k].type, where.constData());
                    }
                }
            }
        }
        // A forced strategy is the one used; Auto picks by cost.
        if (NativeInPlaceSource::LaneStrategy(strategy) != NativeInPlaceSource::LaneStrategy::Auto)
            QCOMPARE(used, QSet<int>{strategy});
    }

    void streamEventsUpToTheCursor_data()
    {
        QTest::addColumn<QString>("stream");
        QTest::addColumn<int>("cursorIndex"); ///< index into the full read
        QTest::addColumn<int>("limit");
        QTest::newRow("all up to the middle") << QStringLiteral("order-10") << 450 << 10000;
        QTest::newRow("newest 5 up to the middle") << QStringLiteral("order-10") << 450 << 5;
        QTest::newRow("up to the end") << QStringLiteral("日本-1") << 899 << 10000;
        QTest::newRow("before the stream's first event") << QStringLiteral("axb") << 0 << 100;
        QTest::newRow("limit 1") << QStringLiteral("a_b") << 700 << 1;
    }
    void streamEventsUpToTheCursor()
    {
        QFETCH(QString, stream);
        QFETCH(int, cursorIndex);
        QFETCH(int, limit);
        const QList<Event>& all = m_events[QStringLiteral("mixed")];
        const qint64 cursor = all[cursorIndex].position;
        QList<Event> want;
        for (const Event& e : all)
            if (e.stream == stream && e.position <= cursor) want << e;
        const bool cut = want.size() > limit;
        if (cut) want = want.mid(want.size() - limit);
        QString error;
        auto src = openSource(m_stores[QStringLiteral("mixed")], cacheDir(QStringLiteral("events")), &error);
        QVERIFY2(src, qPrintable(error));
        QList<Event> got;
        bool truncated = !cut;
        QVERIFY2(src->streamEvents(stream, cursor, limit, &got, &truncated, &error), qPrintable(error));
        QCOMPARE(truncated, cut);
        QCOMPARE(got.size(), want.size());
        for (int i = 0; i < want.size(); ++i) {
            QCOMPARE(got[i].position, want[i].position);
            QCOMPARE(got[i].version, want[i].version);
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].type, want[i].type);
            QCOMPARE(got[i].time, want[i].time);
            QCOMPARE(got[i].id, want[i].id);
            QCOMPARE(got[i].data, want[i].data);
            QCOMPARE(got[i].metadata, want[i].metadata);
            QCOMPARE(got[i].dataIsJson, want[i].dataIsJson);
        }
    }

    /// The fold stateAt's answer gives (checkpoint's state + events after it, or events from {}).
    static QJsonValue foldOf(const StreamStateAt& at)
    {
        QJsonValue state = at.fromCheckpoint ? at.start : QJsonValue(QJsonObject());
        for (const Event& e : at.events)
            applyMergePatch(state, parseJsonValue(e.data));
        return state;
    }

    void stateAtStartsFromTheCheckpoint_data()
    {
        QTest::addColumn<QString>("stream");
        QTest::addColumn<int>("nth");   ///< the cursor at the stream's nth event (in version order)
        QTest::addColumn<int>("shift"); ///< added to that event's position (1: between two events)
        QTest::addColumn<bool>("fromCheckpoint");
        QTest::newRow("before the first checkpoint") << QStringLiteral("long-0") << 4 << 0 << false;
        QTest::newRow("exactly at the first checkpoint") << QStringLiteral("long-0") << 9 << 0 << false;
        QTest::newRow("just after the first checkpoint") << QStringLiteral("long-0") << 10 << 0 << true;
        QTest::newRow("exactly at the second checkpoint") << QStringLiteral("long-1") << 19 << 0 << true;
        QTest::newRow("between checkpoints, between events") << QStringLiteral("long-1") << 34 << 1 << true;
        QTest::newRow("after the last checkpoint") << QStringLiteral("long-0") << 203 << 0 << true;
        QTest::newRow("the stream's last event") << QStringLiteral("long-1") << 102 << 0 << true;
        QTest::newRow("past the store's end") << QStringLiteral("long-0") << 204 << 100000 << true;
        QTest::newRow("version gaps, between") << QStringLiteral("gaps") << 57 << 2 << true;
        QTest::newRow("version gaps, at a checkpoint") << QStringLiteral("gaps") << 49 << 0 << true;
        QTest::newRow("before the stream's first event") << QStringLiteral("gaps") << 0 << -5 << false;
    }
    void stateAtStartsFromTheCheckpoint()
    {
        QFETCH(QString, stream);
        QFETCH(int, nth);
        QFETCH(int, shift);
        QFETCH(bool, fromCheckpoint);
        const QString path = m_stores[QStringLiteral("checkpointed")];
        QList<Event> ofStream;
        for (const Event& e : m_events[QStringLiteral("checkpointed")])
            if (e.stream == stream) ofStream << e;
        QVERIFY(nth < ofStream.size());
        const qint64 cursor = ofStream[nth].position + shift;
        // Expected: the fold of the full read's events up to the cursor, and the replay engine's state.
        QJsonValue want = QJsonObject();
        int folded = 0;
        for (const Event& e : ofStream)
            if (e.position <= cursor) {
                applyMergePatch(want, parseJsonValue(e.data));
                ++folded;
            }
        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        ReplayEngine engine(*reader);
        const StateResult replay = engine.stateAt(stream, Point::atPosition(cursor));
        QVERIFY2(replay.ok(), qPrintable(replay.error));
        QCOMPARE(toJsonText(replay.state), toJsonText(want));

        auto src = openSource(path, cacheDir(QStringLiteral("stateat")), &error);
        QVERIFY2(src, qPrintable(error));
        StreamStateAt at;
        QVERIFY2(src->stateAt(stream, cursor, 100000, &at, &error), qPrintable(error));
        QCOMPARE(at.fromCheckpoint, fromCheckpoint);
        QVERIFY(at.note.isEmpty());
        QVERIFY(!at.truncated);
        QCOMPARE(toJsonText(foldOf(at)), toJsonText(want));
        if (folded > 0) // numbers as stored (1.10 stays 1.10: a state with Qt's number texts would fail)
            QVERIFY(toJsonText(foldOf(at)).contains("\"price\":1.10"));
        if (fromCheckpoint) {
            QVERIFY(at.checkpointPosition <= cursor);
            QVERIFY(at.events.size() >= 1 && at.events.size() <= 10); // at most one interval, never 0
            QVERIFY(at.events.first().version > at.checkpointVersion);
        } else {
            QCOMPARE(at.events.size(), folded);
        }
        if (folded > 0) {
            QVERIFY(!at.events.isEmpty()); // the last event and what it changed can be shown
            QCOMPARE(at.events.last().position, replay.lastEvent->position);
        }
        for (const Event& e : at.events)
            QVERIFY(e.position <= cursor);
        // A stream the store does not have: no events, no state, no error.
        QVERIFY(src->stateAt(QStringLiteral("no-such"), cursor, 10, &at, &error));
        QVERIFY(at.events.isEmpty() && !at.fromCheckpoint);
    }

    // The cursor's state is folded from the newest checkpoint at or before it, so how far apart the writer puts
    // checkpoints bounds how many rows a jump reads: on a cold page cache each is a random read of its own
    // (docs/scale.md "Cursor on a cold page cache"). A store written with the default options, by the writer's
    // own path and by an import, folds at most 100 events for any cursor, and the state is the full fold's.
    void defaultCheckpointsBoundEveryFold_data()
    {
        QTest::addColumn<bool>("imported");
        QTest::newRow("written by the writer") << false;
        QTest::newRow("imported from NDJSON") << true;
    }
    void defaultCheckpointsBoundEveryFold()
    {
        QFETCH(bool, imported);
        constexpr int kBound = 100;
        QVERIFY(StoreWriter::Options{}.checkpointEvery <= kBound);
        QList<Event> events;
        qint64 position = 0, small = 0;
        for (int i = 0; i < 1234; ++i) {
            Event e;
            e.position = ++position;
            e.stream = QStringLiteral("account-1");
            e.version = i;
            e.type = QStringLiteral("Changed");
            e.time = 1700000000000 + position * 1000;
            e.id = QStringLiteral("id-%1").arg(position);
            e.data = "{\"n\":" + QByteArray::number(i) + ",\"k" + QByteArray::number(i % 13) + "\":" +
                     (i % 5 == 0 ? QByteArray("null") : QByteArray::number(i) + ".50") + "}";
            e.metadata = "{}";
            events << e;
            if (i % 3 == 0) { // other streams in between, so the long one's events are not adjacent
                Event o = e;
                o.position = ++position;
                o.stream = QStringLiteral("other-%1").arg(small % 40);
                o.version = small++ / 40;
                o.id = QStringLiteral("id-%1").arg(o.position);
                o.data = "{\"o\":1}";
                events << o;
            }
        }
        const QString path = m_dir.filePath(imported ? QStringLiteral("default-imported.chronoscope")
                                                     : QStringLiteral("default-written.chronoscope"));
        QString error;
        if (imported) {
            const QString ndjson = m_dir.filePath(QStringLiteral("default.ndjson"));
            QFile f(ndjson);
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (const Event& e : events)
                f.write("{\"stream\":\"" + e.stream.toUtf8() + "\",\"version\":" + QByteArray::number(e.version) +
                        ",\"position\":" + QByteArray::number(e.position) + ",\"type\":\"" + e.type.toUtf8() +
                        "\",\"time\":" + QByteArray::number(e.time) + ",\"id\":\"" + e.id.toUtf8() +
                        "\",\"data\":" + e.data + "}\n");
            f.close();
            ImportSummary summary;
            QVERIFY2(importFiles({ndjson}, path, ImportOptions{}, &summary, &error), qPrintable(error));
            QCOMPARE(summary.events, qint64(events.size()));
        } else {
            auto w = StoreWriter::create(path, StoreWriter::Options{}, &error);
            QVERIFY2(w, qPrintable(error));
            for (const Event& e : events)
                QVERIFY2(w->append(e, &error), qPrintable(error));
            QVERIFY2(w->finish(&error), qPrintable(error));
        }
        auto src = openSource(path, cacheDir(imported ? QStringLiteral("bound-i") : QStringLiteral("bound-w")), &error);
        QVERIFY2(src, qPrintable(error));
        QList<Event> ofStream;
        for (const Event& e : events)
            if (e.stream == QLatin1String("account-1")) ofStream << e;
        int fromCheckpoint = 0;
        for (int nth = 0; nth < ofStream.size(); nth += 7) {
            const qint64 cursor = ofStream[nth].position;
            QJsonValue want = QJsonObject();
            for (int j = 0; j <= nth; ++j)
                applyMergePatch(want, parseJsonValue(ofStream[j].data));
            StreamStateAt at;
            QVERIFY2(src->stateAt(QStringLiteral("account-1"), cursor, 100000, &at, &error), qPrintable(error));
            QVERIFY2(at.events.size() <= kBound, qPrintable(QStringLiteral("%1 events folded at version %2")
                                                                 .arg(at.events.size()).arg(nth)));
            QCOMPARE(at.events.last().position, cursor);
            QCOMPARE(toJsonText(foldOf(at)), toJsonText(want));
            fromCheckpoint += at.fromCheckpoint ? 1 : 0;
        }
        QVERIFY(fromCheckpoint > 150); // all but the first interval's cursors start at a checkpoint
    }

    void stateAtFallsBackFromAnUnusableCheckpoint_data()
    {
        QTest::addColumn<QByteArray>("damage");
        QTest::addColumn<bool>("noted");
        QTest::newRow("truncated state")
            << QByteArray("UPDATE checkpoints SET state = substr(state, 1, 20)") << true;
        QTest::newRow("not JSON") << QByteArray("UPDATE checkpoints SET state = x'00ff7b'") << true;
        QTest::newRow("empty state") << QByteArray("UPDATE checkpoints SET state = ''") << true;
        QTest::newRow("position as text")
            << QByteArray("UPDATE checkpoints SET position = 'x' || position") << false;
        QTest::newRow("numbers not kept (older writer)")
            << QByteArray("DELETE FROM meta WHERE key = 'checkpoint_numbers'") << false;
        QTest::newRow("checkpoints dropped") << QByteArray("DELETE FROM checkpoints") << false;
    }
    void stateAtFallsBackFromAnUnusableCheckpoint()
    {
        QFETCH(QByteArray, damage);
        QFETCH(bool, noted);
        // Documented: a checkpoint that cannot be used is skipped and the state is folded from the stream's
        // first event (as the replay engine does), with a note saying so when the stored state is damaged.
        const QString path =
            copyOf(QStringLiteral("checkpointed"), QStringLiteral("damaged-checkpoint.chronoscope"));
        QVERIFY(!path.isEmpty());
        QVERIFY(sql(path, damage));
        const QString stream = QStringLiteral("long-0");
        QList<Event> ofStream;
        for (const Event& e : m_events[QStringLiteral("checkpointed")])
            if (e.stream == stream) ofStream << e;
        const qint64 cursor = ofStream[123].position;
        QJsonValue want = QJsonObject();
        for (const Event& e : ofStream.mid(0, 124))
            applyMergePatch(want, parseJsonValue(e.data));
        QString error;
        auto src = openSource(path, cacheDir(QStringLiteral("damaged")), &error);
        QVERIFY2(src, qPrintable(error));
        StreamStateAt at;
        QVERIFY2(src->stateAt(stream, cursor, 100000, &at, &error), qPrintable(error));
        QVERIFY(!at.fromCheckpoint);
        QCOMPARE(at.events.size(), 124);
        QCOMPARE(toJsonText(foldOf(at)), toJsonText(want));
        QCOMPARE(!at.note.isEmpty(), noted);
        if (noted) QVERIFY2(at.note.contains(QLatin1String("damaged")), qPrintable(at.note));
    }

    void windowEqualsFullReadEveryPlan_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<bool>("lanesFirst");
        for (const char* store : {"demo", "mixed"})
            for (bool lanesFirst : {false, true})
                QTest::addRow("%s%s", store, lanesFirst ? ", lanes first (position bounds known)" : "")
                    << QString::fromLatin1(store) << lanesFirst;
    }

    // The events of a window in position order, the first `limit`, whichever way they are read: the time index
    // (a part of the store), the rows in position order (the whole store, or between the lanes' position
    // bounds). "mixed" has times out of position order and events without a time.
    void windowEqualsFullReadEveryPlan()
    {
        QFETCH(QString, store);
        QFETCH(bool, lanesFirst);
        const QList<Event>& all = m_events[store];
        QString error;
        auto src = openSource(m_stores[store], cacheDir(QStringLiteral("windowplans")), &error);
        QVERIFY2(src, qPrintable(error));
        qint64 lo = std::numeric_limits<qint64>::max(), hi = std::numeric_limits<qint64>::min();
        for (const Event& e : all) {
            if (e.time == kNoTime) continue;
            lo = std::min(lo, e.time);
            hi = std::max(hi, e.time);
        }
        const qint64 q = (hi - lo) / 4;
        const QList<std::pair<qint64, qint64>> windows{{lo, hi}, {lo - 1, hi + 1}, {lo, lo + q}, {lo + q, hi - q},
                                                       {hi - q / 10, hi}};
        for (const auto& [from, to] : windows) {
            if (lanesFirst) {
                QList<RemoteLaneTicks> lanes;
                QVERIFY2(src->lanesTicks({all.first().stream}, from, to, 10, &lanes, &error), qPrintable(error));
            }
            QList<Event> want;
            for (const Event& e : all)
                if (e.time != kNoTime && e.time >= from && e.time <= to) want << e;
            for (int limit : {5, 100000}) {
                QList<Event> got;
                bool truncated = false;
                QVERIFY2(src->window(from, to, limit, &got, &truncated, &error), qPrintable(error));
                QCOMPARE(truncated, want.size() > limit);
                QCOMPARE(got.size(), std::min<qsizetype>(limit, want.size()));
                for (int i = 0; i < got.size(); ++i)
                    QCOMPARE(got[i].position, want[i].position);
            }
        }
    }

    void windowAndNeighbourhoodEqualFullRead()
    {
        const QList<Event>& all = m_events[QStringLiteral("demo")];
        QString error;
        auto src = openSource(m_stores[QStringLiteral("demo")], cacheDir(QStringLiteral("window")), &error);
        QVERIFY2(src, qPrintable(error));
        const TimeMs from = all[1000].time, to = all[1100].time;
        QList<Event> want;
        for (const Event& e : all)
            if (e.time >= from && e.time <= to) want << e;
        QList<Event> got;
        bool truncated = true;
        QVERIFY2(src->window(from, to, 100000, &got, &truncated, &error), qPrintable(error));
        QVERIFY(!truncated);
        QCOMPARE(got.size(), want.size());
        for (int i = 0; i < want.size(); ++i) {
            QCOMPARE(got[i].position, want[i].position);
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].data, want[i].data);
        }
        QVERIFY(src->window(from, to, 10, &got, &truncated, &error));
        QVERIFY(truncated);
        QCOMPARE(got.size(), 10);
        QCOMPARE(got.last().position, want[9].position);
        QVERIFY2(src->around(all[500].position, 3, 2, &got, &error), qPrintable(error));
        QCOMPARE(got.size(), 5);
        QCOMPARE(got.first().position, all[498].position);
        QCOMPARE(got.last().position, all[502].position);
        QCOMPARE(got[2].type, all[500].type);
        const qint64 hits = src->cache().hits();
        QVERIFY(src->around(all[500].position, 3, 2, &got, &error));
        QCOMPARE(src->cache().hits(), hits + 1);
    }

    void cacheFileIsReusedAndCheckedAndKeyed()
    {
        const QList<Event>& all = m_events[QStringLiteral("demo")];
        const QString path = copyOf(QStringLiteral("demo"), QStringLiteral("cached.chronoscope"));
        const QString cache = cacheDir(QStringLiteral("file"));
        QDir(cache).removeRecursively();
        QString error;
        RemoteDensity first;
        QString file;
        {
            auto src = openSource(path, cache, &error);
            QVERIFY2(src, qPrintable(error));
            file = src->cacheFile();
            QVERIFY(file.startsWith(cache));
            QVERIFY(!QFile::exists(file));
            RemoteSummary s;
            QVERIFY(src->summary(&s, &error));
            QVERIFY2(src->density(s.firstTime, s.lastTime, 100, &first, &error), qPrintable(error));
            QVERIFY(QFile::exists(file));
        }
        {
            auto src = openSource(path, cache, &error);
            QVERIFY2(src, qPrintable(error));
            QCOMPARE(src->finesSource(), QStringLiteral("cache"));
        }
        // A damaged cache file: refused with a note, counted again, written again.
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(f.size() / 2);
            const char c = f.peek(1).at(0);
            f.write(QByteArray(1, char(c ^ 0x5a)));
        }
        {
            auto src = openSource(path, cache, &error);
            QVERIFY2(src, qPrintable(error));
            QVERIFY(src->finesSource().isEmpty());
            QVERIFY2(src->notes().join(u' ').contains(QLatin1String("damaged")),
                     qPrintable(src->notes().join(u' ')));
            checkDensities(*src, all, {100});
            QCOMPARE(src->finesSource(), QStringLiteral("scan"));
        }
        // Cut short, or garbage: refused the same way.
        for (const QByteArray& bytes : {QByteArray("short"), QByteArray(5000, 'x')}) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bytes);
            f.close();
            auto src = openSource(path, cache, &error);
            QVERIFY2(src, qPrintable(error));
            QVERIFY(src->finesSource().isEmpty());
            checkDensities(*src, all, {100});
        }
        // The store changed (its modification time): the cache describes another store, it is not used.
        {
            auto src = openSource(path, cache, &error);
            QCOMPARE(src->finesSource(), QStringLiteral("cache"));
        }
        QFile store(path);
        QVERIFY(store.open(QIODevice::ReadWrite));
        QVERIFY(store.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-3600),
                                  QFileDevice::FileModificationTime));
        store.close();
        auto src = openSource(path, cache, &error);
        QVERIFY2(src, qPrintable(error));
        QVERIFY(src->finesSource().isEmpty());
    }

    void cancelStopsAndAFreshTokenGoesOn()
    {
        QString error;
        const QString cache = cacheDir(QStringLiteral("cancel"));
        QDir(cache).removeRecursively();
        CancelToken token;
        RemoteFirstOptions options;
        options.cancel = token;
        auto src = openSource(m_stores[QStringLiteral("demo")], cache, &error, options);
        QVERIFY2(src, qPrintable(error));
        RemoteSummary s;
        QVERIFY(src->summary(&s, &error));
        token.cancel();
        RemoteDensity d;
        QVERIFY(!src->density(s.firstTime, s.lastTime, 100, &d, &error));
        QVERIFY2(error.contains(QLatin1String("cancelled")), qPrintable(error));
        QVERIFY(src->finesSource().isEmpty());
        QList<RemoteStreamCount> found;
        QVERIFY(!src->searchStreams(QStringLiteral("zzz"), QString(), 10, &found, &error));
        QVERIFY2(error.contains(QLatin1String("cancelled")), qPrintable(error));
        QVERIFY(!QFile::exists(src->cacheFile()));
        src->setCancelToken(CancelToken());
        QVERIFY2(src->density(s.firstTime, s.lastTime, 100, &d, &error), qPrintable(error));
        QCOMPARE(d.total(), qint64(m_events[QStringLiteral("demo")].size()));
    }

    void missingIndexIsNamed()
    {
        const QList<Event>& all = m_events[QStringLiteral("demo")];
        const QString path = copyOf(QStringLiteral("demo"), QStringLiteral("noindex.chronoscope"));
        // As a bulk load leaves a store before its indexes are built.
        QVERIFY(sql(path,
                    "DROP INDEX events_time; DROP INDEX events_stream_version; DROP INDEX streams_listing;"));
        QString error;
        auto src = openSource(path, cacheDir(QStringLiteral("noindex")), &error);
        QVERIFY2(src, qPrintable(error));
        QStringList columns, text;
        for (const IndexAdvice& a : src->advice()) {
            columns << a.column;
            text << a.text();
            QVERIFY2(a.plan.contains(QLatin1String("SCAN")), qPrintable(a.plan));
        }
        // (Without streams_listing the list still walks the name's unique index: no advice for it.)
        QCOMPARE(columns, (QStringList{QStringLiteral("time"), QStringLiteral("stream, version")}));
        QVERIFY2(text.join(u' ').contains(QLatin1String("CREATE INDEX events_time ON events(time);")),
                 qPrintable(text.join(u' ')));
        // fullscan=warn: still answered, and right.
        checkDensities(*src, all, {13});
        QList<RemoteTick> ticks;
        bool truncated = false;
        QVERIFY(src->laneTicks(all[10].stream, all.first().time, all.last().time, 10000, &ticks, &truncated,
                               &error));
        qint64 n = 0;
        for (const Event& e : all)
            n += e.stream == all[10].stream;
        QCOMPARE(qint64(ticks.size()), n);
        // fullscan=refuse (through the URI): the advice is the error.
        RemoteFirstOptions options;
        auto refusing = createRemoteFirstSource(
            QUrl::fromLocalFile(path).toString() + QStringLiteral("?fullscan=refuse"), options, &error);
        QVERIFY2(refusing, qPrintable(error));
        QVERIFY2(refusing->open(&error), qPrintable(error));
        QList<Event> events;
        QVERIFY(!refusing->window(all[5].time, all[50].time, 10, &events, &truncated, &error));
        QVERIFY2(error.contains(QLatin1String("fullscan=refuse")) &&
                     error.contains(QLatin1String("events_time")),
                 qPrintable(error));
        QVERIFY(!refusing->laneTicks(all[10].stream, 0, 1, 10, &ticks, &truncated, &error));
        QVERIFY2(error.contains(QLatin1String("events_stream_version")), qPrintable(error));
    }

    // ---- The category tree (issue 13 item 3) ----
    /// A store whose names try the category rule's corners: no '-', several, a leading one, the empty name,
    /// bytes below '-' right after a category ("a!x", "a%b"), LIKE/GLOB metacharacters, unicode.
    QString treeStore(QList<Event>* all = nullptr)
    {
        static const QStringList names{
            QString(""),  "-x",    "-a-b",    "a",        "a!x-1",  "a%b-1", "a-1",   "a-2",  "a--3", "a.c",
            "a_b-1",      "a*c-2", "a*c",     "b-1",      "b!x",    "b",     "café-Über", "café-2", "日本-1",
            "x",          "x-",    "%-1",     "_-2",      "*-3",    "y-1",   "y-2",   "y-3",  "y-4",  "y-5",
            "y-6",        "y-7",   "y.z-1",   "y,z-1",    "Y-1",    "ÿ-1",   "z-é-ü"};
        const QString path = m_dir.filePath(QStringLiteral("tree.chronoscope"));
        QList<Event> events;
        qint64 position = 0;
        for (int i = 0; i < names.size(); ++i)
            for (int v = 1; v <= 1 + i % 3; ++v) {
                Event e;
                e.position = ++position;
                e.stream = names[i];
                e.version = v;
                e.type = QStringLiteral("T");
                e.time = 1000 * position;
                e.data = "{}";
                events << e;
            }
        if (all)
            *all = events;
        if (!QFile::exists(path) && !writeStore(path, events))
            return {};
        return path;
    }

    void categoriesAreTheGroupingOfTheNames_data()
    {
        QTest::addColumn<int>("page");
        QTest::newRow("pages of 1") << 1;
        QTest::newRow("pages of 3") << 3;
        QTest::newRow("pages of 7") << 7;
        QTest::newRow("one page") << 1000;
    }
    void categoriesAreTheGroupingOfTheNames()
    {
        QFETCH(int, page);
        QList<Event> all;
        const QString path = treeStore(&all);
        QVERIFY(!path.isEmpty());
        // The reference: GROUP BY Event::categoryOf over the names, categories in the order of their first name
        // (UTF-8 bytes, the store's BINARY order), streams in name order, counts summed.
        std::map<QByteArray, qint64> perName;
        for (const Event& e : all)
            ++perName[e.stream.toUtf8()];
        QStringList wantOrder;
        std::map<QString, QList<QPair<QString, qint64>>> wantStreams;
        for (const auto& [name, n] : perName) {
            const QString stream = QString::fromUtf8(name);
            const QString cat = Event::categoryOf(stream);
            if (!wantOrder.contains(cat))
                wantOrder << cat;
            wantStreams[cat] << qMakePair(stream, n);
        }
        QString error;
        auto src = openSource(path, cacheDir(QStringLiteral("tree")), &error);
        QVERIFY2(src, qPrintable(error));
        QStringList got;
        QString after;
        for (int guard = 0; guard < 1000; ++guard) {
            QList<RemoteCategory> list;
            QVERIFY2(src->categories(after, page, &list, &error), qPrintable(error));
            QVERIFY(list.size() <= page);
            for (const RemoteCategory& c : list) {
                got << c.name;
                QCOMPARE(c.streams, -1); // counts are asked separately
            }
            if (list.size() < page)
                break;
            after = list.last().name;
        }
        QCOMPARE(got, wantOrder);
        QVERIFY(got.contains(QStringLiteral("a%b")) && got.contains(QStringLiteral("a!x")) && got.contains(QString("")));
        for (const QString& cat : std::as_const(got)) {
            QList<QPair<QString, qint64>> streams;
            QString afterStream;
            for (int guard = 0; guard < 1000; ++guard) {
                QList<RemoteStreamCount> list;
                QVERIFY2(src->categoryStreams(cat, afterStream, page, &list, &error), qPrintable(error));
                QVERIFY(list.size() <= page);
                for (const RemoteStreamCount& s : list)
                    streams << qMakePair(s.stream, s.events);
                if (list.size() < page)
                    break;
                afterStream = list.last().stream;
            }
            QCOMPARE(streams, wantStreams[cat]);
            RemoteCategory counts;
            QVERIFY2(src->categoryCounts(cat, &counts, &error), qPrintable(error));
            qint64 events = 0;
            for (const auto& s : streams)
                events += s.second;
            QCOMPARE(counts.name, cat);
            QCOMPARE(counts.streams, qint64(streams.size()));
            QCOMPARE(counts.events, events);
        }
        // A category that does not exist, and metacharacters taken literally.
        QList<RemoteStreamCount> none;
        QVERIFY(src->categoryStreams(QStringLiteral("nobody"), QString(), 10, &none, &error));
        QVERIFY(none.isEmpty());
        QVERIFY(src->categoryStreams(QStringLiteral("%"), QString(), 10, &none, &error));
        QCOMPARE(none.size(), 1);
        QCOMPARE(none.first().stream, QStringLiteral("%-1"));
        RemoteCategory zero;
        QVERIFY(src->categoryCounts(QStringLiteral("nobody"), &zero, &error));
        QCOMPARE(zero.streams, 0);
        QCOMPARE(zero.events, 0);
    }

    void categoryCountsCancel()
    {
        const QString path = treeStore();
        QVERIFY(!path.isEmpty());
        QString error;
        CancelToken token;
        RemoteFirstOptions options;
        options.cancel = token;
        auto src = openSource(path, cacheDir(QStringLiteral("treecancel")), &error, options);
        QVERIFY2(src, qPrintable(error));
        token.cancel();
        RemoteCategory c;
        QVERIFY(!src->categoryCounts(QStringLiteral("y"), &c, &error));
        QVERIFY2(error.contains(QLatin1String("cancelled")), qPrintable(error));
        QList<RemoteCategory> cats;
        QVERIFY(!src->categories(QString(), 10, &cats, &error));
        src->setCancelToken(CancelToken());
        QVERIFY2(src->categoryCounts(QStringLiteral("y"), &c, &error), qPrintable(error));
        QCOMPARE(c.streams, 7);
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("message"); ///< in the error of open() (empty: open may succeed)
        QTest::newRow("no such file") << QStringLiteral("missing") << QStringLiteral("no such file");
        QTest::newRow("a folder") << QStringLiteral("folder") << QStringLiteral("folder");
        QTest::newRow("empty file") << QStringLiteral("empty") << QStringLiteral("empty");
        QTest::newRow("not SQLite") << QStringLiteral("text") << QStringLiteral("not a SQLite database");
        QTest::newRow("foreign layout")
            << QStringLiteral("foreign") << QStringLiteral("not a Chronoscope store");
        QTest::newRow("truncated") << QStringLiteral("truncated") << QString();
    }
    void badInput()
    {
        QFETCH(QString, what);
        QFETCH(QString, message);
        QString path = m_dir.filePath(QStringLiteral("bad-") + what);
        QFile::remove(path);
        if (what == u"folder") {
            QDir().mkpath(path);
        } else if (what == u"empty" || what == u"text") {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            if (what == u"text") f.write("this is not a database, only some text\n");
        } else if (what == u"foreign") {
            QVERIFY(sql(path,
                        "CREATE TABLE messages(id INTEGER PRIMARY KEY, stream TEXT, data TEXT); INSERT INTO "
                        "messages VALUES(1, 's', '{}');"));
        } else if (what == u"truncated") {
            QFile in(m_stores[QStringLiteral("demo")]);
            QVERIFY(in.open(QIODevice::ReadOnly));
            QFile out(path);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(in.read(in.size() * 2 / 5));
        }
        QString error;
        auto src = std::make_unique<NativeInPlaceSource>(path, RemoteFirstOptions{},
                                                         cacheDir(QStringLiteral("bad")));
        const bool opened = src->open(&error);
        if (!message.isEmpty()) {
            QVERIFY(!opened);
            QVERIFY2(error.contains(message, Qt::CaseInsensitive) && error.contains(path), qPrintable(error));
            return;
        }
        // A store cut short may open (its schema pages are there); each call then answers or says why.
        if (!opened) {
            QVERIFY2(error.contains(path), qPrintable(error));
            return;
        }
        RemoteSummary s;
        RemoteDensity d;
        QList<RemoteStreamCount> list;
        QList<Event> events;
        bool truncated = false;
        bool anyFailed = false;
        for (int step = 0; step < 4; ++step) {
            error.clear();
            bool ok = true;
            switch (step) {
            case 0:
                ok = src->summary(&s, &error);
                break;
            case 1:
                ok = src->density(s.firstTime, s.lastTime, 100, &d, &error);
                break;
            case 2:
                ok = src->streams(QString(), 100000, &list, &error);
                break;
            case 3:
                ok = src->window(s.firstTime, s.lastTime, 100000, &events, &truncated, &error);
                break;
            }
            if (!ok) {
                anyFailed = true;
                QVERIFY2(error.contains(path) && !error.endsWith(QLatin1String(": ")), qPrintable(error));
            }
        }
        QVERIFY(anyFailed); // three fifths of the file are missing: something must notice
    }

    void badArguments()
    {
        QString error;
        auto src = openSource(m_stores[QStringLiteral("demo")], cacheDir(QStringLiteral("args")), &error);
        QVERIFY2(src, qPrintable(error));
        RemoteDensity d;
        QVERIFY(!src->density(0, 100, 0, &d, &error));
        QVERIFY2(error.contains(QLatin1String("1 to 100000 bins")), qPrintable(error));
        QVERIFY(!src->density(0, 100, 100001, &d, &error));
        QVERIFY(!src->estimatedDensity(100, 0, 10, &d, &error));
        QVERIFY(!src->density(std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max(), 10, &d,
                              &error));
        // Through the factory: a bad option of a file: URI.
        QVERIFY(
            !createRemoteFirstSource(QStringLiteral("file:///tmp/x.chronoscope?fullscan=maybe"), {}, &error));
        QVERIFY2(error.contains(QLatin1String("fullscan")), qPrintable(error));
        QVERIFY(!createRemoteFirstSource(QStringLiteral("file:///tmp/x.chronoscope?cache=lots"), {}, &error));
        QVERIFY2(error.contains(QLatin1String("cache size")), qPrintable(error));
        // A plain path gives the native source.
        auto byPath = createRemoteFirstSource(m_stores[QStringLiteral("demo")], {}, &error);
        QVERIFY2(byPath && byPath->open(&error), qPrintable(error));
        QCOMPARE(byPath->layout(), QStringLiteral("chronoscope"));
    }
};

QTEST_GUILESS_MAIN(TestInPlaceNative)
#include "tst_inplace_native.moc"
