// Remote reads into the local cache store and captures, against the loopback PostgreSQL (Message DB) and
// Redis fixtures: first page readable before the rest, live follow, partial reads kept, no secret in any
// file, openSource() for remote URIs, and the CLI's capture command.

#include "sources/remote/pagepipe_p.h"
#include "sources/remote/remotesource.h"
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"

#include "fixtures/remotefixture.h"
#include "fixtures/watchdog.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

#include <hiredis.h>
#include <libpq-fe.h>
#include <sqlite3.h>

using namespace chronoscope;

namespace {

const QString kSecret = QStringLiteral("S3cret-pw!");

bool fileContains(const QString& path, const QByteArray& needle)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    return f.readAll().contains(needle);
}

/// Every row of a store's tables and its index definitions, as text (positions, ids, payload bytes, NULLs): two
/// stores with the same dump hold the same content.
QStringList dumpStore(const QString& path)
{
    QStringList out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return {QStringLiteral("cannot open ") + path};
    }
    for (const char* sql : {"SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
                            "SELECT * FROM events ORDER BY position", "SELECT * FROM streams ORDER BY id",
                            "SELECT * FROM types ORDER BY id", "SELECT * FROM checkpoints ORDER BY projection, stream, version",
                            "SELECT * FROM issues ORDER BY rowid",
                            "SELECT key, value FROM meta WHERE key NOT IN ('captured_at', 'created_at', 'updated_at') ORDER BY key"}) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
            out << QStringLiteral("error: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)));
            continue;
        }
        while (sqlite3_step(st) == SQLITE_ROW) {
            QString row;
            for (int c = 0; c < sqlite3_column_count(st); ++c) {
                const int t = sqlite3_column_type(st, c);
                row += t == SQLITE_NULL ? QStringLiteral("NULL")
                                        : QStringLiteral("%1:%2").arg(t).arg(QString::fromUtf8(
                                              static_cast<const char*>(sqlite3_column_blob(st, c)), sqlite3_column_bytes(st, c)));
                row += u'|';
            }
            out << row;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

} // namespace

class TestRemoteCache : public QObject
{
    Q_OBJECT

    int m_pg = 0, m_redis = 0;
    QString m_db;
    QString m_prefix;
    QTemporaryDir m_tmp;
    static constexpr int kMessages = 3000;

    bool pgRun(const QString& db, const QString& sql)
    {
        const QByteArray info = QStringLiteral("host=127.0.0.1 port=%1 user=postgres dbname=%2 options='-c client_min_messages=warning'").arg(m_pg).arg(db).toUtf8();
        PGconn* c = PQconnectdb(info.constData());
        PGresult* r = PQexec(c, sql.toUtf8().constData());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
            qWarning() << PQresultErrorMessage(r) << PQerrorMessage(c);
        PQclear(r);
        PQfinish(c);
        return ok;
    }
    QString pgUri(const QString& query = {}, bool withSecret = false) const
    {
        return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3%4")
            .arg(withSecret ? QStringLiteral("pwuser:") + QString::fromLatin1(QUrl::toPercentEncoding(kSecret)) : QStringLiteral("postgres"))
            .arg(m_pg)
            .arg(m_db, query);
    }
    bool xadd(const QByteArray& key, const QByteArray& data)
    {
        redisContext* c = redisConnect("127.0.0.1", m_redis);
        if (!c || c->err)
            return false;
        auto* r = static_cast<redisReply*>(redisCommand(c, "XADD %b * type Ticked data %b", key.constData(), size_t(key.size()),
                                                        data.constData(), size_t(data.size())));
        const bool ok = r && r->type == REDIS_REPLY_STRING;
        freeReplyObject(r);
        redisFree(c);
        return ok;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QString error;
        m_pg = testing::remoteFixturePort(QStringLiteral("postgres"), &error);
        QVERIFY2(m_pg > 0, qPrintable(error));
        m_redis = testing::remoteFixturePort(QStringLiteral("redis"), &error);
        QVERIFY2(m_redis > 0, qPrintable(error));
        m_db = QStringLiteral("tst_cache_%1").arg(QCoreApplication::applicationPid());
        m_prefix = QStringLiteral("c%1.").arg(QCoreApplication::applicationPid());
        pgRun(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(m_db));
        QVERIFY(pgRun(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE message_store").arg(m_db)));
        QVERIFY(pgRun(m_db, QStringLiteral("SET search_path = message_store, public; SELECT write_message(gen_random_uuid()::text, "
                                           "'order-' || (i % 7), 'Placed', jsonb_build_object('n', i, 'secretless', true)) "
                                           "FROM generate_series(1, %1) i").arg(kMessages)));
        qputenv("CHRONOSCOPE_CACHE_DIR", m_tmp.filePath(QStringLiteral("cache")).toUtf8());
    }

    void cleanupTestCase()
    {
        if (m_pg)
            pgRun(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_db));
    }

    // The pipe between the client's thread and the cache writer holds at most capacity() pages: a reader that
    // outruns the writer waits instead of queueing the topic in memory. Structural (no timing): the writer side
    // checks the bound at every page; all pages arrive in order; a closed pipe refuses pages and frees drain().
    void pagePipeIsBounded_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::newRow("one page") << 1;
        QTest::newRow("four pages") << 4;
        QTest::newRow("zero means one") << 0;
    }

    void pagePipeIsBounded()
    {
        QFETCH(int, capacity);
        remote::PagePipe<QList<int>> pipe(size_t(std::max(0, capacity)));
        QCOMPARE(pipe.capacity(), size_t(std::max(1, capacity)));
        constexpr int kPages = 200;
        size_t mostWaiting = 0;
        QList<int> got;
        std::thread writer([&] {
            while (std::optional<QList<int>> page = pipe.pop()) {
                mostWaiting = std::max(mostWaiting, pipe.waiting() + 1);  // this page and those behind it
                got += *page;
                pipe.done();
            }
        });
        for (int i = 0; i < kPages; ++i) {
            QVERIFY(pipe.push({i, i}));
            QVERIFY(pipe.waiting() <= pipe.capacity());
        }
        pipe.drain();
        QCOMPARE(got.size(), 2 * kPages);  // drain() returned: every page pushed is written
        pipe.close();
        writer.join();
        QVERIFY(mostWaiting <= pipe.capacity() + 1);
        for (int i = 0; i < kPages; ++i)
            QCOMPARE(got[2 * i], i);
        QVERIFY(!pipe.push({kPages}));  // closed: refused, not queued
        QCOMPARE(pipe.waiting(), size_t(0));

        // A writer that fails closes the pipe dropping what waits: the reader's next push fails, drain() returns.
        remote::PagePipe<QList<int>> failing(size_t(std::max(1, capacity)));
        for (size_t i = 0; i < failing.capacity(); ++i)
            QVERIFY(failing.push({int(i)}));
        std::thread broken([&] {
            (void)failing.pop();
            failing.close(/*dropQueued=*/true);
        });
        failing.drain();
        broken.join();
        QVERIFY(failing.closed());
        QVERIFY(!failing.push({1}));
        QCOMPARE(failing.waiting(), size_t(0));
    }

    void openSourceReadsIntoTheCache()
    {
        OpenOptions o;
        o.cacheDir = m_tmp.filePath(QStringLiteral("cache"));
        o.params.insert(QStringLiteral("streams"), QStringLiteral("order-3"));
        QString error;
        auto reader = openSource(pgUri({}, true), o, &error);
        QVERIFY2(reader, qPrintable(error));
        const StoreInfo info = reader->info();
        QCOMPARE(info.layout, QStringLiteral("message-db"));
        QVERIFY2(!info.location.contains(kSecret), qPrintable(info.location));
        QVERIFY(info.location.contains(QLatin1String("pwuser@127.0.0.1")));
        QCOMPARE(info.events, qint64(kMessages / 7 + (kMessages % 7 >= 3 ? 1 : 0)));
        QCOMPARE(reader->streams().size(), 1);
        QCOMPARE(reader->streams().first().stream, QStringLiteral("order-3"));
        // The cache lives in the cache dir, named without the host, and holds no secret.
        const QString path = remoteCachePath(pgUri({}, true), RemoteScope{QStringLiteral("order-3")}, o.cacheDir);
        QVERIFY2(QFileInfo::exists(path), qPrintable(path));
        QVERIFY(path.startsWith(o.cacheDir));
        QVERIFY(!path.contains(QLatin1String("127.0.0.1")));
        QVERIFY(!fileContains(path, kSecret.toUtf8()));
        QVERIFY(fileContains(path, "pwuser@127.0.0.1"));  // the redacted URI is there
        // The scope can also ride in the URI.
        auto viaUri = openSource(pgUri(QStringLiteral("?streams=order-*&last=10")), OpenOptions{}, &error);
        QVERIFY2(viaUri, qPrintable(error));
        QCOMPARE(viaUri->info().events, qint64(10));
        QCOMPARE(viaUri->info().lastPosition, qint64(kMessages));
        QVERIFY(QDir(m_tmp.filePath(QStringLiteral("cache/remote"))).entryList(QDir::Files).size() >= 2);  // $CHRONOSCOPE_CACHE_DIR
    }

    void openSourceReportsAFailedEndpoint()
    {
        QString error;
        auto reader = openSource(QStringLiteral("redis://127.0.0.1:%1/0?streams=%2nothing").arg(m_redis).arg(m_prefix), OpenOptions{}, &error);
        QVERIFY(!reader);
        QVERIFY2(error.contains(QLatin1String("no key named")), qPrintable(error));
    }

    void captureRecordsSourceAndScopeWithoutSecrets()
    {
        const QString path = m_tmp.filePath(QStringLiteral("capture.chronoscope"));
        RemoteFetchOptions o;
        o.scope.streams = QStringLiteral("order-*");
        o.scope.last = 100;
        o.scope.since = *parseTime(u"2000-01-01T00:00:00Z");
        RemoteFetchResult r;
        QVERIFY2(fetchRemote(pgUri({}, true), path, o, &r), qPrintable(r.error));
        QCOMPARE(r.events, qint64(100));
        QVERIFY(!fileContains(path, kSecret.toUtf8()));
        QVERIFY(!fileContains(path, QUrl::toPercentEncoding(kSecret)));
        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        const auto meta = reader->meta();
        QCOMPARE(meta.value(QStringLiteral("source_uri")), QStringLiteral("postgresql://pwuser@127.0.0.1:%1/%2").arg(m_pg).arg(m_db));
        QCOMPARE(meta.value(QStringLiteral("source_layout")), QStringLiteral("message-db"));
        QCOMPARE(meta.value(QStringLiteral("remote_complete")), QStringLiteral("true"));
        const QJsonObject scope = QJsonDocument::fromJson(meta.value(QStringLiteral("scope")).toUtf8()).object();
        QCOMPARE(scope.value(QStringLiteral("streams")).toString(), QStringLiteral("order-*"));
        QCOMPARE(scope.value(QStringLiteral("last")).toInteger(), qint64(100));
        QCOMPARE(scope.value(QStringLiteral("since")).toString(), QStringLiteral("2000-01-01T00:00:00.000Z"));
        QCOMPARE(reader->info().firstPosition, qint64(kMessages - 99));
        // Save capture as…: the cache copied into a new store with its meta.
        const QString copy = m_tmp.filePath(QStringLiteral("copy.chronoscope"));
        QVERIFY2(saveCapture(*reader, copy, meta, &error), qPrintable(error));
        auto copied = SqliteStoreReader::open(copy, &error);
        QVERIFY2(copied, qPrintable(error));
        QCOMPARE(copied->info().events, qint64(100));
        QCOMPARE(copied->meta().value(QStringLiteral("scope")), meta.value(QStringLiteral("scope")));
        QVERIFY(!saveCapture(*reader, copy, meta, &error));  // never overwrites without being asked
    }

    void firstPageIsReadableBeforeTheRest()
    {
        const QString path = m_tmp.filePath(QStringLiteral("live.chronoscope"));
        RemoteFetchOptions o;
        o.live = true;
        o.firstPage = 100;
        o.pageSize = 500;
        QList<qint64> seenByReader;
        o.committed = [&](qint64 events, qint64) {
            if (!seenByReader.isEmpty())
                return;
            // Another reader opens the file while the read goes on.
            QString error;
            auto r = SqliteStoreReader::open(path, &error);
            seenByReader << (r ? r->info().events : -1) << events << (r ? qint64(r->streams().size()) : -1);
        };
        RemoteFetchResult r;
        QVERIFY2(fetchRemote(pgUri(), path, o, &r), qPrintable(r.error));
        QCOMPARE(seenByReader.value(0), qint64(100));
        QCOMPARE(seenByReader.value(1), qint64(100));
        QVERIFY(seenByReader.value(2) > 0);
        QCOMPARE(r.events, qint64(kMessages));
        QString error;
        QCOMPARE(SqliteStoreReader::open(path, &error)->info().events, qint64(kMessages));
    }

    void cancelKeepsWhatWasRead()
    {
        const QString path = m_tmp.filePath(QStringLiteral("cancelled.chronoscope"));
        RemoteFetchOptions o;
        o.firstPage = 100;
        o.pageSize = 100;
        o.commitIntervalMs = 0;
        int pages = 0;
        o.committed = [&](qint64, qint64) {
            if (++pages == 3)
                o.cancel.cancel();
        };
        RemoteFetchResult r;
        QVERIFY(!fetchRemote(pgUri(), path, o, &r));
        QVERIFY(r.cancelled);
        // The cache is written on its own thread behind a bounded page queue (pagepipe_p.h): the client may have
        // read a few pages beyond the third commit when the cancel lands, and those pages are kept too. So: at
        // least the three committed pages, whole pages only, far from the whole table, and the file holds exactly
        // what the result reports.
        QVERIFY2(r.events >= 300, qPrintable(QString::number(r.events)));
        QCOMPARE(r.events % 100, qint64(0));
        QVERIFY2(r.events <= 300 + 100 * 8, qPrintable(QString::number(r.events)));
        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->info().events, r.events);
        QCOMPARE(reader->meta().value(QStringLiteral("remote_complete")), QStringLiteral("false"));
        QVERIFY(!reader->info().warnings.isEmpty());
    }

    // The app's cache appends its initial read without the secondary indexes and builds them at the end: the file it
    // leaves must be the one the row-by-row path (indexes maintained on every insert, a commit per page) leaves.
    void fastCacheEqualsRowByRow_data()
    {
        QTest::addColumn<qint64>("last");
        QTest::newRow("whole read") << qint64(-1);
        QTest::newRow("last 1000") << qint64(1000);
    }

    void fastCacheEqualsRowByRow()
    {
        QFETCH(qint64, last);
        const QString uri = pgUri();
        const QString fast = m_tmp.filePath(QStringLiteral("fast.chronoscope"));
        RemoteFetchOptions o;
        o.live = true;
        o.pageSize = 700;
        o.scope.last = last;
        RemoteFetchResult r;
        fetchRemote(uri, fast, o, &r);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.events, last < 0 ? qint64(kMessages) : last);

        // Row by row: the same pages through a store that keeps its indexes from the start.
        const QString slow = m_tmp.filePath(QStringLiteral("slow.chronoscope"));
        RemoteEndpoint ep;
        QString error;
        QVERIFY(RemoteEndpoint::parse(uri, &ep, &error));
        auto client = createRemoteClient(ep, &error);
        QVERIFY2(client && client->connect(&error), qPrintable(error));
        client->setPageSize(200, 700);
        StoreWriter::Options wo;
        wo.meta.insert(QStringLiteral("source_uri"), ep.display);
        wo.meta.insert(QStringLiteral("source_layout"), client->layout());
        wo.meta.insert(QStringLiteral("scope"), QString::fromUtf8(QJsonDocument(o.scope.toJson()).toJson(QJsonDocument::Compact)));
        wo.meta.insert(QStringLiteral("remote_complete"), QStringLiteral("false"));
        auto created = StoreWriter::create(slow, wo, &error, true);
        QVERIFY2(created && created->finish(&error), qPrintable(error));
        auto writer = StoreWriter::openForAppend(slow, &error, false);
        QVERIFY2(writer && !writer->indexesSuspended(), qPrintable(error));
        QVERIFY(client->read(
            o.scope,
            [&](const QList<Event>& page) {
                for (const Event& e : page)
                    if (!writer->append(e, &error))
                        return false;
                return writer->commit(&error);
            },
            &error));
        writer->setMeta(QStringLiteral("remote_complete"), QStringLiteral("true"));
        QVERIFY2(writer->finish(&error), qPrintable(error));

        const QStringList a = dumpStore(fast), b = dumpStore(slow);
        QVERIFY(a.size() > kMessages / 3);
        QVERIFY(a.filter(QStringLiteral("events_stream_version")).size() == 1);
        QVERIFY(a.filter(QStringLiteral("events_time")).size() == 1);
        QCOMPARE(a.size(), b.size());
        for (qsizetype i = 0; i < a.size(); ++i)
            QCOMPARE(a[i], b[i]);
    }

    // Indexes suspended in a store with events: duplicates are still refused (from memory, also in a stream whose
    // versions have gaps), the store stays readable meanwhile, and the rebuilt unique index agrees.
    void suspendedIndexesStillRefuseDuplicates()
    {
        const QString path = m_tmp.filePath(QStringLiteral("suspend.chronoscope"));
        QString error;
        auto created = StoreWriter::create(path, {}, &error, true);
        QVERIFY2(created && created->finish(&error), qPrintable(error));
        auto w = StoreWriter::openForAppend(path, &error, false);
        QVERIFY2(w, qPrintable(error));
        auto event = [](const QString& stream, qint64 version) {
            Event e;
            e.stream = stream;
            e.version = version;
            e.type = QStringLiteral("T");
            e.data = "{}";
            return e;
        };
        QVERIFY(w->append(event(QStringLiteral("a"), 0)) && w->append(event(QStringLiteral("a"), 1)));
        QVERIFY(w->append(event(QStringLiteral("gap"), 0)) && w->append(event(QStringLiteral("gap"), 5)));
        QVERIFY(w->commit(&error));
        QVERIFY2(w->suspendIndexes(&error), qPrintable(error));
        QVERIFY(w->indexesSuspended());
        QVERIFY(!w->append(event(QStringLiteral("a"), 1)) && w->lastWasDuplicate());
        QVERIFY(!w->append(event(QStringLiteral("gap"), 5)) && w->lastWasDuplicate());
        QVERIFY(!w->append(event(QStringLiteral("gap"), 0)) && w->lastWasDuplicate());
        QVERIFY(w->append(event(QStringLiteral("gap"), 3)));
        QVERIFY(w->append(event(QStringLiteral("a"), 2)));
        QVERIFY(w->commit(&error));
        {
            auto reader = SqliteStoreReader::open(path, &error);
            QVERIFY2(reader, qPrintable(error));
            EventQuery q;
            q.stream = QStringLiteral("gap");
            QCOMPARE(reader->readAll(q).size(), 3);
        }
        QVERIFY2(w->buildIndexes(&error), qPrintable(error));
        QVERIFY(!w->indexesSuspended());
        QVERIFY(!w->append(event(QStringLiteral("gap"), 3)) && w->lastWasDuplicate());
        QVERIFY(w->append(event(QStringLiteral("a"), 3)));
        QVERIFY2(w->finish(&error), qPrintable(error));
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->info().events, qint64(7));
    }

    void failurePartWayKeepsWhatWasRead_data()
    {
        QTest::addColumn<bool>("live");
        QTest::newRow("capture") << false;
        QTest::newRow("live cache") << true;
    }

    void failurePartWayKeepsWhatWasRead()
    {
        QFETCH(bool, live);
        const QString path = m_tmp.filePath(live ? QStringLiteral("partial-live.chronoscope") : QStringLiteral("partial.chronoscope"));
        RemoteFetchOptions o;
        o.live = live;
        o.firstPage = 200;
        o.pageSize = 200;
        bool killed = false;
        o.committed = [&](qint64, qint64) {
            if (!killed)
                pgRun(QStringLiteral("postgres"), QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                                                 "application_name = 'chronoscope' AND datname = '%1'").arg(m_db));
            killed = true;
        };
        RemoteFetchResult r;
        QVERIFY(!fetchRemote(pgUri(QStringLiteral("?retries=0")), path, o, &r));
        QVERIFY2(r.error.contains(QLatin1String("lost the connection")), qPrintable(r.error));
        // The client reads ahead of the cache writer by at most the pipe's few pages: the pages read before the
        // connection died are all kept (at least the first one, never the whole table).
        QVERIFY2(r.events >= 200 && r.events % 200 == 0 && r.events < kMessages, qPrintable(QString::number(r.events)));
        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->info().events, r.events);
        QVERIFY2(reader->info().warnings.join(u'\n').contains(QLatin1String("lost the connection")),
                 qPrintable(reader->info().warnings.join(u'\n')));
        // The live cache's indexes, suspended for the read, are built when it ends early too.
        const QStringList dump = dumpStore(path);
        QCOMPARE(dump.filter(QStringLiteral("CREATE UNIQUE INDEX events_stream_version")).size(), 1);
        QCOMPARE(dump.filter(QStringLiteral("CREATE INDEX events_time")).size(), 1);
    }

    void sessionFollowsNewEvents()
    {
        const QByteArray key = (m_prefix + QStringLiteral("follow-1")).toUtf8();
        QVERIFY(xadd(key, "{\"n\":0}"));
        RemoteSession session;
        QSignalSpy committed(&session, &RemoteSession::pagesCommitted);
        QSignalSpy finished(&session, &RemoteSession::finished);
        QSignalSpy connected(&session, &RemoteSession::connected);
        RemoteScope scope;
        scope.streams = m_prefix + QStringLiteral("follow-*");
        session.start(QStringLiteral("redis://127.0.0.1:%1/0?block=50").arg(m_redis), scope, true, m_tmp.filePath(QStringLiteral("cache")));
        QTRY_COMPARE(committed.size(), 1);
        QCOMPARE(connected.size(), 1);
        QCOMPARE(connected.first().at(0).toString(), QStringLiteral("redis-streams"));
        QVERIFY(session.isRunning());  // still following
        QVERIFY(xadd(key, "{\"n\":1}"));
        QVERIFY(xadd(key, "{\"n\":2}"));
        QTRY_VERIFY(committed.last().at(0).toLongLong() == 3);
        QString error;
        auto reader = session.openReader(&error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({});
        QCOMPARE(events.size(), 3);
        QCOMPARE(events.last().data, QByteArray("{\"n\":2}"));
        QCOMPARE(events.last().version, qint64(2));
        QCOMPARE(committed.last().at(1).toLongLong(), events.last().position);
        session.cancel();
        // Following never ends by itself: finished() within the bound means cancel() stopped it.
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, int(testing::kCancelReactionMs));
        QVERIFY(finished.first().at(0).toBool());  // ending a follow is not a failure
        QVERIFY(session.wait(1000));
    }

    void cliCapture_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("expect");  // in stdout (exit 0) or stderr
        QTest::newRow("postgres window") << QStringList{QStringLiteral("--streams"), QStringLiteral("order-1"), QStringLiteral("--last"), QStringLiteral("5")} << 0 << "\"events\":5";
        QTest::newRow("bad last") << QStringList{QStringLiteral("--last"), QStringLiteral("-3")} << 1 << "whole number";
        QTest::newRow("bad since") << QStringList{QStringLiteral("--since"), QStringLiteral("yesterday-ish")} << 1 << "not a time";
        QTest::newRow("refused") << QStringList{QStringLiteral("URI=redis://127.0.0.1:1/0?retries=0")} << 2 << "connection refused";
    }

    void cliCapture()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, expect);
        const QString out = m_tmp.filePath(QStringLiteral("cli-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        QString uri = pgUri({}, true);
        if (!args.isEmpty() && args.first().startsWith(QLatin1String("URI="))) {
            uri = args.takeFirst().mid(4);
        }
        QProcess p;
        p.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli"),
                QStringList{QStringLiteral("capture"), uri, QStringLiteral("-o"), out} + args);
        QVERIFY(p.waitForFinished(30000));
        const QString stdoutText = QString::fromUtf8(p.readAllStandardOutput());
        const QString stderrText = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), exitCode);
        QVERIFY2((exitCode == 0 ? stdoutText : stderrText).contains(expect), qPrintable(stdoutText + stderrText));
        QVERIFY(!stdoutText.contains(kSecret) && !stderrText.contains(kSecret));
        if (exitCode == 0) {
            QVERIFY(!fileContains(out, kSecret.toUtf8()));
            QString error;
            auto r = SqliteStoreReader::open(out, &error);
            QVERIFY2(r, qPrintable(error));
            QCOMPARE(r->meta().value(QStringLiteral("scope")), QStringLiteral("{\"last\":5,\"streams\":\"order-1\"}"));
            // The same name again refuses to overwrite.
            QProcess again;
            again.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli"), {QStringLiteral("capture"), uri, QStringLiteral("-o"), out});
            QVERIFY(again.waitForFinished(30000));
            QCOMPARE(again.exitCode(), 2);
        }
    }
};

QTEST_GUILESS_MAIN(TestRemoteCache)
#include "tst_remote_cache.moc"
