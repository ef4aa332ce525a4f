// Remote-first reading (core/sources/remote/remotefirst.h) against a real PostgreSQL 15 on loopback
// (tests/fixtures/remote_postgres.sh) with the real Message DB, written through its own write_message:
// the server's aggregates equal the counts of a full read, the LRU keeps to its limit, a missing index
// is named, a dead server gives a clear error.

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotefirst.h"

#include "fixtures/postgresfixture.h"

#include <QElapsedTimer>
#include <QTcpServer>
#include <QTest>

#include <libpq-fe.h>

#include <limits>
#include <map>

using namespace chronoscope;

class TestRemoteFirst : public QObject
{
    Q_OBJECT

    int m_port = 0;
    QString m_db, m_bareDb;
    QList<Event> m_all; ///< the whole store, read by the cached client (the reference)

    bool run(const QString& db, const QString& sql) { return testing::postgresExec(m_port, db, sql); }
    QString uri(const QString& db, const QString& query = {}) const
    {
        return testing::postgresUri(m_port, db, query);
    }
    std::unique_ptr<RemoteFirstSource> open(const QString& u, QString* error, RemoteFirstOptions options = {})
    {
        auto s = createRemoteFirstSource(u, options, error);
        if (s && !s->open(error)) return nullptr;
        return s;
    }
    QList<Event> readAll(const QString& u)
    {
        RemoteEndpoint ep;
        QString error;
        if (!RemoteEndpoint::parse(u, &ep, &error)) return {};
        auto c = createRemoteClient(ep, &error);
        QList<Event> out;
        if (!c || !c->read(
                      {},
                      [&](const QList<Event>& page) {
                          out += page;
                          return true;
                      },
                      &error))
            qWarning() << error;
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_port = testing::postgresFixturePort(&error);
        QVERIFY2(m_port > 0, qPrintable(error));
        const QString suffix = QString::number(QCoreApplication::applicationPid());
        m_db = QStringLiteral("tst_rf_mdb_") + suffix;
        m_bareDb = QStringLiteral("tst_rf_bare_") + suffix;
        QVERIFY(testing::postgresCreateDatabase(m_port, m_db, QStringLiteral("TEMPLATE message_store")));
        QVERIFY(testing::postgresCreateDatabase(m_port, m_bareDb, QStringLiteral("TEMPLATE template0")));
        // 400 messages through Message DB's own write_message, over 12 streams of 3 categories; then uneven
        // times (quadratic, so the bins differ) and the statistics an autovacuum would have gathered.
        QVERIFY(run(m_db,
                    QStringLiteral("SET search_path = message_store, public; SELECT "
                                   "message_store.write_message(gen_random_uuid()::text, 'cat' || (i % 3) || "
                                   "'-' || (i % 4), 'Type' || (i % 5), jsonb_build_object('i', i)) FROM "
                                   "generate_series(1, 400) i")));
        QVERIFY(run(
            m_db, QStringLiteral("UPDATE message_store.messages SET time = timestamp '2026-03-01 00:00:00' + "
                                 "(global_position * global_position) * interval '1 second'; ANALYZE "
                                 "message_store.messages")));
        // A bare table in Message DB's layout with only its primary key: no index on stream or time.
        QVERIFY(run(
            m_bareDb,
            QStringLiteral("CREATE TABLE messages (global_position bigint PRIMARY KEY, position bigint NOT "
                           "NULL, time timestamp NOT NULL, stream_name text NOT NULL, type text NOT "
                           "NULL, data jsonb, metadata jsonb, id uuid NOT NULL); INSERT INTO messages "
                           "SELECT i, 0, timestamp '2026-03-01' + i * interval '1 minute', 's-' || i, "
                           "'T', '{}', '{}', gen_random_uuid() FROM generate_series(1, 50) i; ANALYZE "
                           "messages")));
        // Python eventsourcing's table (its time lives inside the state): the position axis.
        QVERIFY(run(
            m_bareDb,
            QStringLiteral("CREATE TABLE shop_events (originator_id uuid NOT NULL, originator_version "
                           "integer NOT NULL, topic text, state bytea, notification_id bigserial, PRIMARY "
                           "KEY (originator_id, originator_version)); CREATE UNIQUE INDEX "
                           "shop_events_notification_id_idx ON shop_events (notification_id); INSERT "
                           "INTO shop_events (originator_id, originator_version, topic, state) SELECT "
                           "md5((i % 6)::text)::uuid, i, 'shop.domain:Cart.ItemAdded', "
                           "convert_to('{\"n\":' || i || '}', 'UTF8') FROM generate_series(1, 90) i; "
                           "ANALYZE shop_events")));
        m_all = readAll(uri(m_db));
        QCOMPARE(m_all.size(), 400);
    }

    void cleanupTestCase()
    {
        if (!m_port) return;
        testing::postgresDropDatabases(m_port, {m_db, m_bareDb});
    }

    void densityEqualsFullRead_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<int>("bins");
        QTest::addColumn<bool>("whole");
        QTest::newRow("all, 1 bin") << QString() << 1 << true;
        QTest::newRow("all, 7 bins") << QString() << 7 << true;
        QTest::newRow("all, 500 bins") << QString() << 500 << true;
        QTest::newRow("window, 13 bins") << QString() << 13 << false;
        QTest::newRow("cat1-*, 9 bins") << QStringLiteral("cat1-*") << 9 << true;
        QTest::newRow("cat2-3 window, 4 bins") << QStringLiteral("cat2-3") << 4 << false;
    }
    void densityEqualsFullRead()
    {
        QFETCH(QString, streams);
        QFETCH(int, bins);
        QFETCH(bool, whole);
        QString error;
        auto src =
            open(uri(m_db, streams.isEmpty() ? QString() : QStringLiteral("?streams=") + streams), &error);
        QVERIFY2(src, qPrintable(error));
        QCOMPARE(src->axis(), RemoteAxis::Time);
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QList<Event> expected;
        for (const Event& e : std::as_const(m_all))
            if (streams.isEmpty() || e.stream == streams ||
                (streams.endsWith(u'*') && e.stream.startsWith(streams.chopped(1))))
                expected << e;
        QVERIFY(!expected.isEmpty());
        QCOMPARE(s.firstPosition, expected.first().position);
        QCOMPARE(s.lastPosition, expected.last().position);
        // A window in the middle third, ends inside bins, or the whole range.
        const TimeMs t0 = m_all.first().time, t1 = m_all.last().time;
        const qint64 from = whole ? s.firstTime : t0 + (t1 - t0) / 3 + 777;
        const qint64 to = whole ? s.lastTime : t0 + 2 * (t1 - t0) / 3 - 555;
        RemoteDensity d;
        QVERIFY2(src->density(from, to, bins, &d, &error), qPrintable(error));
        QVERIFY(!d.estimated);
        QVERIFY(d.counts.size() <= bins);
        QList<qint64> want(d.counts.size(), 0);
        qint64 inRange = 0;
        for (const Event& e : std::as_const(expected))
            if (e.time >= from && e.time <= to) {
                ++want[int((e.time - from) / d.binWidth)];
                ++inRange;
            }
        QCOMPARE(d.counts, want);
        QCOMPARE(d.total(), whole ? qint64(expected.size()) : inRange);
    }

    void positionAxisEqualsFullRead()
    {
        QString error;
        const QString u = uri(m_bareDb, QStringLiteral("?layout=eventsourcing"));
        auto src = open(u, &error);
        QVERIFY2(src, qPrintable(error));
        QCOMPARE(src->layout(), QStringLiteral("eventsourcing-postgresql"));
        QCOMPARE(src->axis(), RemoteAxis::Position);
        const QList<Event> all = readAll(u);
        QCOMPARE(all.size(), 90);
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QCOMPARE(s.firstPosition, all.first().position);
        QCOMPARE(s.lastPosition, all.last().position);
        RemoteDensity d;
        QVERIFY2(src->density(s.firstPosition + 5, s.lastPosition - 3, 8, &d, &error), qPrintable(error));
        QList<qint64> want(d.counts.size(), 0);
        for (const Event& e : all)
            if (e.position >= d.from && e.position <= d.to) ++want[int((e.position - d.from) / d.binWidth)];
        QCOMPARE(d.counts, want);
        QList<RemoteStreamCount> streams;
        QVERIFY2(src->streams(QString(), 100, &streams, &error), qPrintable(error));
        QCOMPARE(streams.size(), 6);
        QCOMPARE(streams.first().events, qint64(15));
        // The primary key serves position windows: no advice about the axis.
        for (const IndexAdvice& a : src->advice())
            QVERIFY2(a.column != u"notification_id", qPrintable(a.text()));
        QList<Event> got;
        bool truncated = false;
        QVERIFY2(src->window(all[10].position, all[19].position, 100, &got, &truncated, &error),
                 qPrintable(error));
        QCOMPARE(got.size(), 10);
        QCOMPARE(got.first().data, all[10].data);
        // A lane's ticks on the position axis: the type as the cached read shows it, from the topic.
        QList<RemoteTick> ticks;
        QVERIFY2(
            src->laneTicks(all[0].stream, s.firstPosition, s.lastPosition, 100, &ticks, &truncated, &error),
            qPrintable(error));
        QCOMPARE(ticks.size(), 15);
        QCOMPARE(ticks.first().position, all[0].position);
        QCOMPARE(ticks.first().type, all[0].type);
        QVERIFY(src->streamEvents(all[0].stream, all[40].position, 100, &got, &truncated, &error));
        QVERIFY(!got.isEmpty() && got.last().position <= all[40].position);
        QCOMPARE(got.first().data, all[0].data);
    }

    void streamListEqualsFullRead_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<int>("page");
        QTest::newRow("all, pages of 5") << QString() << 5;
        QTest::newRow("all, one page") << QString() << 1000;
        QTest::newRow("cat0-*, pages of 1") << QStringLiteral("cat0-*") << 1;
    }
    void streamListEqualsFullRead()
    {
        QFETCH(QString, streams);
        QFETCH(int, page);
        QString error;
        auto src =
            open(uri(m_db, streams.isEmpty() ? QString() : QStringLiteral("?streams=") + streams), &error);
        QVERIFY2(src, qPrintable(error));
        std::map<QString, std::pair<qint64, qint64>> want; // stream -> (events, last version)
        for (const Event& e : std::as_const(m_all))
            if (streams.isEmpty() || e.stream.startsWith(streams.chopped(1))) {
                auto& w = want[e.stream];
                ++w.first;
                w.second = std::max(w.second, e.version);
            }
        std::map<QString, std::pair<qint64, qint64>> got;
        QString after;
        for (int guard = 0; guard < 100; ++guard) {
            QList<RemoteStreamCount> list;
            QVERIFY2(src->streams(after, page, &list, &error), qPrintable(error));
            QVERIFY(list.size() <= page);
            for (const RemoteStreamCount& c : list)
                got[c.stream] = {c.events, c.lastVersion};
            if (list.size() < page) break;
            after = list.last().stream;
        }
        QCOMPARE(got, want);
    }

    void estimatedDensityIsMarkedAndClose()
    {
        QString error;
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QCOMPARE(s.estimatedEvents, qint64(400));
        QVERIFY2(s.estimatedStreams >= 10 && s.estimatedStreams <= 14,
                 qPrintable(QString::number(s.estimatedStreams)));
        RemoteDensity e;
        QVERIFY2(src->estimatedDensity(s.firstTime, s.lastTime, 10, &e, &error), qPrintable(error));
        QVERIFY(e.estimated);
        QVERIFY2(qAbs(e.total() - 400) <= 10, qPrintable(QString::number(e.total())));
        // Times grow quadratically with the position: the first bin holds far more events than the last.
        QVERIFY(e.counts.first() > 2 * e.counts.last());
        // The statistics describe the whole table: a stream scope gets a clear refusal.
        auto scoped = open(uri(m_db, QStringLiteral("?streams=cat1-*")), &error);
        QVERIFY2(scoped, qPrintable(error));
        QVERIFY(!scoped->estimatedDensity(s.firstTime, s.lastTime, 10, &e, &error));
        QVERIFY2(error.contains(QLatin1String("statistics")), qPrintable(error));
    }

    void windowAndNeighbourhoodEqualFullRead()
    {
        QString error;
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        const TimeMs from = m_all[100].time, to = m_all[140].time;
        QList<Event> got;
        bool truncated = true;
        QVERIFY2(src->window(from, to, 1000, &got, &truncated, &error), qPrintable(error));
        QVERIFY(!truncated);
        QCOMPARE(got.size(), 41);
        QCOMPARE(got.first().position, m_all[100].position);
        QCOMPARE(got.last().data, m_all[140].data);
        QVERIFY2(src->window(from, to, 10, &got, &truncated, &error), qPrintable(error));
        QVERIFY(truncated);
        QCOMPARE(got.size(), 10);
        QVERIFY2(src->around(m_all[200].position, 3, 2, &got, &error), qPrintable(error));
        QCOMPARE(got.size(), 5);
        QCOMPARE(got.first().position, m_all[198].position);
        QCOMPARE(got.last().position, m_all[202].position);
        QCOMPARE(got[2].stream, m_all[200].stream);
        QCOMPARE(got[2].type, m_all[200].type);
        // The same window again comes from the cache.
        const qint64 hits = src->cache().hits();
        QVERIFY(src->around(m_all[200].position, 3, 2, &got, &error));
        QCOMPARE(src->cache().hits(), hits + 1);
    }

    void searchStreamsInTheServer_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("page");
        QTest::newRow("any case") << QStringLiteral("CAT1") << 100;
        QTest::newRow("any case, paged by 1") << QStringLiteral("Cat2-") << 1;
        QTest::newRow("digits") << QStringLiteral("1-2") << 100;
        QTest::newRow("percent is literal") << QStringLiteral("%") << 100;
        QTest::newRow("underscore is literal") << QStringLiteral("_") << 100;
        QTest::newRow("empty: every stream") << QString() << 5;
    }
    void searchStreamsInTheServer()
    {
        QFETCH(QString, text);
        QFETCH(int, page);
        QString error;
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        std::map<QString, std::pair<qint64, qint64>> want;
        for (const Event& e : std::as_const(m_all))
            if (e.stream.contains(text, Qt::CaseInsensitive)) {
                auto& w = want[e.stream];
                ++w.first;
                w.second = std::max(w.second, e.version);
            }
        std::map<QString, std::pair<qint64, qint64>> got;
        QString after;
        for (int guard = 0; guard < 100; ++guard) {
            QList<RemoteStreamCount> list;
            QVERIFY2(src->searchStreams(text, after, page, &list, &error), qPrintable(error));
            QVERIFY(list.size() <= page);
            for (const RemoteStreamCount& c : list)
                got[c.stream] = {c.events, c.lastVersion};
            if (list.size() < page) break;
            after = list.last().stream;
        }
        QCOMPARE(got, want);
    }

    void laneTicksAndStreamEventsEqualFullRead()
    {
        QString error;
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        const QString stream = QStringLiteral("cat1-2");
        QList<Event> lane;
        for (const Event& e : std::as_const(m_all))
            if (e.stream == stream) lane << e;
        QVERIFY(lane.size() > 10);
        // Ticks of the lane's middle third, in version order, without payloads.
        const TimeMs from = lane[lane.size() / 3].time, to = lane[2 * lane.size() / 3].time;
        QList<Event> want;
        for (const Event& e : std::as_const(lane))
            if (e.time >= from && e.time <= to) want << e;
        QList<RemoteTick> ticks;
        bool truncated = true;
        QVERIFY2(src->laneTicks(stream, from, to, 1000, &ticks, &truncated, &error), qPrintable(error));
        QVERIFY(!truncated);
        QCOMPARE(ticks.size(), want.size());
        for (int i = 0; i < want.size(); ++i) {
            QCOMPARE(ticks[i].position, want[i].position);
            QCOMPARE(ticks[i].time, want[i].time);
            QCOMPARE(ticks[i].version, want[i].version);
            QCOMPARE(ticks[i].type, want[i].type);
        }
        QVERIFY(src->laneTicks(stream, from, to, 2, &ticks, &truncated, &error));
        QVERIFY(truncated);
        QCOMPARE(ticks.size(), 2);
        QCOMPARE(ticks.last().position, want[1].position);
        // The newest 3 events at or before a cursor, in version order, payloads included.
        const qint64 cursor = m_all[200].position;
        QList<Event> upTo;
        for (const Event& e : std::as_const(lane))
            if (e.position <= cursor) upTo << e;
        QVERIFY(upTo.size() > 3);
        QList<Event> got;
        QVERIFY2(src->streamEvents(stream, cursor, 3, &got, &truncated, &error), qPrintable(error));
        QVERIFY(truncated);
        QCOMPARE(got.size(), 3);
        for (int i = 0; i < 3; ++i) {
            const Event& w = upTo[upTo.size() - 3 + i];
            QCOMPARE(got[i].position, w.position);
            QCOMPARE(got[i].version, w.version);
            QCOMPARE(got[i].data, w.data);
            QCOMPARE(got[i].metadata, w.metadata);
        }
        QVERIFY(src->streamEvents(stream, cursor, 1000, &got, &truncated, &error));
        QVERIFY(!truncated);
        QCOMPARE(got.size(), upTo.size());
        // An unknown stream: nothing, no error.
        QVERIFY2(src->laneTicks(QStringLiteral("no-such"), from, to, 10, &ticks, &truncated, &error),
                 qPrintable(error));
        QVERIFY(ticks.isEmpty());
        QVERIFY(src->streamEvents(QStringLiteral("no-such"), cursor, 10, &got, &truncated, &error));
        QVERIFY(got.isEmpty());
    }

    void lruKeepsToItsLimit()
    {
        QString error;
        auto src = open(uri(m_db, QStringLiteral("?cache=8k")), &error);
        QVERIFY2(src, qPrintable(error));
        QCOMPARE(src->cache().limit(), qint64(8192));
        qint64 fetched = 0;
        for (int i = 0; i < 60; ++i) {
            QList<Event> got;
            QVERIFY2(src->around(m_all[i * 6].position, 2, 2, &got, &error), qPrintable(error));
            for (const Event& e : got)
                fetched += EventLruCache::eventBytes(e);
            QVERIFY2(src->cache().bytes() <= src->cache().limit(),
                     qPrintable(QString::number(src->cache().bytes())));
        }
        QVERIFY(fetched > 3 * src->cache().limit()); // it had to evict
        QVERIFY(src->cache().entries() > 1);
        // The most recent window stayed, the oldest went.
        const qint64 hits = src->cache().hits();
        QList<Event> got;
        QVERIFY(src->around(m_all[59 * 6].position, 2, 2, &got, &error));
        QCOMPARE(src->cache().hits(), hits + 1);
        QVERIFY(src->around(m_all[0].position, 2, 2, &got, &error));
        QCOMPARE(src->cache().hits(), hits + 1);
        // Lowering the limit evicts at once; an entry bigger than the limit is used, not kept.
        src->cache().setLimit(100);
        QCOMPARE(src->cache().entries(), 0);
        QVERIFY(src->around(m_all[10].position, 2, 2, &got, &error));
        QCOMPARE(got.size(), 4); // two at or before the cursor, two after
        QCOMPARE(src->cache().bytes(), qint64(0));
    }

    void cacheSizes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes"); // -1: refused
        QTest::newRow("bytes") << QStringLiteral("1048576") << qint64(1048576);
        QTest::newRow("k") << QStringLiteral("500k") << qint64(512000);
        QTest::newRow("MB") << QStringLiteral("64MB") << qint64(64) * 1048576;
        QTest::newRow("MiB") << QStringLiteral("1.5MiB") << qint64(1572864);
        QTest::newRow("GB") << QStringLiteral("2GB") << qint64(2) * 1073741824;
        QTest::newRow("empty") << QString() << qint64(-1);
        QTest::newRow("negative") << QStringLiteral("-5MB") << qint64(-1);
        QTest::newRow("word") << QStringLiteral("lots") << qint64(-1);
        QTest::newRow("unit only") << QStringLiteral("MB") << qint64(-1);
        QTest::newRow("huge") << QStringLiteral("99999999999GB") << qint64(-1);
        QTest::newRow("trailing junk") << QStringLiteral("5MBx") << qint64(-1);
    }
    void cacheSizes()
    {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        qint64 got = -7;
        QString error;
        QCOMPARE(parseCacheSize(text, &got, &error), bytes >= 0);
        if (bytes >= 0)
            QCOMPARE(got, bytes);
        else
            QVERIFY(!error.isEmpty());
    }

    void missingIndexIsNamed()
    {
        QString error;
        // Message DB has no index on time: both time-window queries are named, with a BRIN index (its time
        // follows the physical order); its stream index serves the stream list.
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        QStringList queries;
        for (const IndexAdvice& a : src->advice()) {
            queries << a.query;
            QCOMPARE(a.column, QStringLiteral("time"));
            QVERIFY2(a.createIndex.contains(QLatin1String("USING brin (\"time\")")),
                     qPrintable(a.createIndex));
            QVERIFY2(a.plan.contains(QLatin1String("Seq Scan")), qPrintable(a.plan));
            QCOMPARE(a.rows, qint64(400)); // a sequential scan reads the whole table
            QVERIFY(a.text().contains(a.createIndex));
        }
        QCOMPARE(queries,
                 (QStringList{QStringLiteral("time-window density"), QStringLiteral("time-window events")}));
        // The bare table lacks the stream index too.
        auto bare = open(uri(m_bareDb), &error);
        QVERIFY2(bare, qPrintable(error));
        QStringList columns;
        for (const IndexAdvice& a : bare->advice())
            columns << a.column;
        QVERIFY2(columns.contains(QStringLiteral("stream_name")), qPrintable(columns.join(u',')));
        // fullscan=refuse: the query is not run and the error names the index; the whole-range density
        // (which reads every row whatever the indexes) still runs.
        auto strict = open(uri(m_db, QStringLiteral("?fullscan=refuse")), &error);
        QVERIFY2(strict, qPrintable(error));
        RemoteDensity d;
        QVERIFY(!strict->density(m_all[10].time, m_all[20].time, 5, &d, &error));
        QVERIFY2(error.contains(QLatin1String("CREATE INDEX CONCURRENTLY")) &&
                     error.contains(QLatin1String("time")),
                 qPrintable(error));
        RemoteSummary s;
        QVERIFY(strict->summary(&s, &error));
        QVERIFY2(strict->density(s.firstTime, s.lastTime, 5, &d, &error), qPrintable(error));
        QCOMPARE(d.total(), qint64(400));
        // Once an administrator adds the index, the advice goes and the window query runs.
        QVERIFY(run(
            m_db,
            QStringLiteral("CREATE INDEX messages_time_test ON message_store.messages USING brin (time)")));
        auto after = open(uri(m_db, QStringLiteral("?fullscan=refuse")), &error);
        QVERIFY2(after, qPrintable(error));
        QVERIFY(after->advice().isEmpty());
        QVERIFY2(after->density(m_all[10].time, m_all[20].time, 5, &d, &error), qPrintable(error));
        QCOMPARE(d.total(), qint64(11));
        QList<Event> got;
        bool truncated = true;
        QVERIFY2(after->window(m_all[10].time, m_all[20].time, 4, &got, &truncated, &error),
                 qPrintable(error));
        QVERIFY(truncated);
        QCOMPARE(got.size(), 4);
        QCOMPARE(got.first().position, m_all[10].position); // oldest first, by position
        QCOMPARE(got.last().position, m_all[13].position);
        QVERIFY(run(m_db, QStringLiteral("DROP INDEX message_store.messages_time_test")));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("message");
        QTest::newRow("bad cache size")
            << QStringLiteral("?cache=lots") << QStringLiteral("not a cache size");
        QTest::newRow("bad fullscan")
            << QStringLiteral("?fullscan=sometimes") << QStringLiteral("fullscan must be");
        QTest::newRow("last") << QStringLiteral("?last=5") << QStringLiteral("'last' applies to cached");
        QTest::newRow("no such database") << QStringLiteral("_nope") << QStringLiteral("does not exist");
    }
    void badInput()
    {
        QFETCH(QString, query);
        QFETCH(QString, message);
        QString error;
        const QString u = query.startsWith(u'?') ? uri(m_db, query) : uri(m_db + query);
        QVERIFY(!open(u, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("postgres@")) || error.contains(QLatin1String("127.0.0.1")),
                 qPrintable(error));
        // Other schemes are not remote-first sources.
        QVERIFY(!createRemoteFirstSource(QStringLiteral("redis://127.0.0.1:1"), {}, &error));
        QVERIFY2(error.contains(QLatin1String("PostgreSQL")), qPrintable(error));
        // Bins out of range.
        auto src = open(uri(m_db), &error);
        QVERIFY(src);
        RemoteDensity d;
        QVERIFY(!src->density(10, 5, 3, &d, &error));
        QVERIFY(!src->estimatedDensity(0, 100, 0, &d, &error));
        QVERIFY2(error.contains(QLatin1String("bins")), qPrintable(error));
    }

    void emptyStoreAnswersEmpty()
    {
        // A Message DB without a message: the summary says so, every density is zero and every window empty,
        // whatever range is asked (the empty summary's kNoTime ends included), and nothing fails.
        const QString db = m_db + QStringLiteral("_empty");
        QVERIFY(testing::postgresCreateDatabase(m_port, db, QStringLiteral("TEMPLATE message_store")));
        struct Drop
        {
            TestRemoteFirst* t;
            QString db;
            ~Drop() { testing::postgresDropDatabases(t->m_port, {db}); }
        } drop{this, db};
        QString error;
        auto src = open(uri(db), &error);
        QVERIFY2(src, qPrintable(error));
        RemoteSummary s;
        QVERIFY2(src->summary(&s, &error), qPrintable(error));
        QVERIFY(s.empty);
        QCOMPARE(s.axis, RemoteAxis::Time);
        QCOMPARE(s.firstTime, kNoTime);
        for (const auto& [from, to] : {std::pair{kNoTime, kNoTime}, std::pair{qint64(0), qint64(1000)}}) {
            RemoteDensity d;
            QVERIFY2(src->estimatedDensity(from, to, 50, &d, &error), qPrintable(error));
            QCOMPARE(d.total(), qint64(0));
            QVERIFY2(src->density(from, to, 50, &d, &error), qPrintable(error));
            QCOMPARE(d.total(), qint64(0));
            QVERIFY(!d.counts.isEmpty());
            QList<Event> got{Event{}};
            bool truncated = true;
            QVERIFY2(src->window(from, to, 10, &got, &truncated, &error), qPrintable(error));
            QVERIFY(got.isEmpty());
            QVERIFY(!truncated);
        }
        QList<RemoteStreamCount> streams;
        QVERIFY2(src->streams(QString(), 10, &streams, &error), qPrintable(error));
        QVERIFY(streams.isEmpty());
    }

    void windowEndsBeyondTimestampRange()
    {
        // Open ends (kNoTime, the largest qint64) reach past what a PostgreSQL timestamp holds: the query moves
        // them to its limits instead of failing with "timestamp out of range".
        QString error;
        auto src = open(uri(m_db), &error);
        QVERIFY2(src, qPrintable(error));
        QList<Event> got;
        bool truncated = false;
        QVERIFY2(src->window(kNoTime, std::numeric_limits<qint64>::max(), 5, &got, &truncated, &error),
                 qPrintable(error));
        QVERIFY(truncated);
        QCOMPARE(got.size(), 5);
        QCOMPARE(got.first().position, m_all.first().position);
        QVERIFY2(src->window(kNoTime, kNoTime, 5, &got, &truncated, &error), qPrintable(error));
        QVERIFY(got.isEmpty());
    }

    void deadServerGivesClearError()
    {
        // Nothing listens on this port: open fails at once, naming the endpoint and the cause.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 dead = probe.serverPort();
        probe.close();
        QString error;
        QElapsedTimer t;
        t.start();
        QVERIFY(!open(QStringLiteral("postgresql://postgres@127.0.0.1:%1/x?timeout=2000").arg(dead), &error));
        QVERIFY2(error.contains(QLatin1String("connection refused")) && error.contains(QString::number(dead)),
                 qPrintable(error));
        QVERIFY2(t.elapsed() < 8000, "a dead server must be reported quickly");
        // The server ends the session mid-way: the next query fails with a message, no crash, and what was
        // cached stays readable.
        auto src = open(uri(m_db, QStringLiteral("?retries=0")), &error);
        QVERIFY2(src, qPrintable(error));
        QList<Event> got;
        QVERIFY(src->around(m_all[5].position, 1, 1, &got, &error));
        QVERIFY(run(QStringLiteral("postgres"),
                    QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                   "datname = '%1' AND application_name = 'chronoscope'")
                        .arg(m_db)));
        QList<RemoteStreamCount> streams;
        QVERIFY(!src->streams(QString(), 10, &streams, &error));
        QVERIFY2(error.contains(QLatin1String("127.0.0.1")) && !error.isEmpty(), qPrintable(error));
        QVERIFY(src->around(m_all[5].position, 1, 1, &got, &error));
        QCOMPARE(got.size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestRemoteFirst)
#include "tst_remote_first.moc"
