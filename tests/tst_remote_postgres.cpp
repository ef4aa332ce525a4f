// PostgreSQL stores against a real PostgreSQL 15 on loopback (tests/fixtures/remote_postgres.sh): the real
// Message DB installed from its npm package and written with its own write_message function; Marten,
// Emmett and Python eventsourcing tables created in their exact layouts.

#include "sources/remote/remoteclient.h"

#include "fixtures/eventsourcing_encoding.h"
#include "fixtures/globcases.h"
#include "fixtures/postgresfixture.h"
#include "fixtures/watchdog.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <libpq-fe.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>
#include <QRegularExpression>

using namespace chronoscope;

namespace {

/// Cancels a client after a delay unless disarmed: keeps a broken tail from hanging the suite.
struct Expected
{
    qint64 position;
    QString stream;
    qint64 version;
    QString type;
    TimeMs time;
    QString id;
    QByteArray data;
    QByteArray metadata;
};

bool sameJson(const QByteArray& a, const QByteArray& b)
{
    return QJsonDocument::fromJson(a) == QJsonDocument::fromJson(b) && !QJsonDocument::fromJson(a).isNull();
}

} // namespace

class TestRemotePostgres : public QObject
{
    Q_OBJECT

    int m_port = 0;
    QString m_db, m_layoutsDb;
    QList<Expected> m_expected;
    TimeMs m_base = 0;
    QHash<QString, QString> m_globDb;  ///< server encoding -> database holding testing::globNames()

    PGconn* connectTo(const QString& db) { return testing::postgresConnect(m_port, db); }
    static bool run(PGconn* c, const QString& sql, const QList<QByteArray>& params = {}, QList<QStringList>* rows = nullptr)
    {
        return testing::postgresExec(c, sql, params, rows);
    }
    QString uri(const QString& db, const QString& query = {}, const QString& user = QStringLiteral("postgres")) const
    {
        return testing::postgresUri(m_port, db, query, user);
    }
    std::unique_ptr<RemoteClient> client(const QString& u, QString* error)
    {
        RemoteEndpoint ep;
        if (!RemoteEndpoint::parse(u, &ep, error))
            return nullptr;
        return createRemoteClient(ep, error);
    }
    static QList<Event> readAll(RemoteClient* c, const RemoteScope& scope, bool* ok, QString* error, int* pages = nullptr)
    {
        QList<Event> out;
        int n = 0;
        *ok = c->read(scope, [&](const QList<Event>& page) { out += page; ++n; return true; }, error);
        if (pages)
            *pages = n;
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_port = testing::postgresFixturePort(&error);
        QVERIFY2(m_port > 0, qPrintable(error));
        const QString suffix = QString::number(QCoreApplication::applicationPid());
        m_db = QStringLiteral("tst_mdb_") + suffix;
        m_layoutsDb = QStringLiteral("tst_layouts_") + suffix;
        QVERIFY(testing::postgresCreateDatabase(m_port, m_db, QStringLiteral("TEMPLATE message_store")));
        QVERIFY(testing::postgresCreateDatabase(m_port, m_layoutsDb, QStringLiteral("TEMPLATE template0")));

        // Message DB, written through its own write_message().
        PGconn* c = connectTo(m_db);
        QVERIFY(run(c, QStringLiteral("SET search_path = message_store, public")));
        const QStringList streams = {QStringLiteral("account-1"), QStringLiteral("account-2"), QStringLiteral("order-1"),
                                     QStringLiteral("account-1"), QStringLiteral("order-1"), QStringLiteral("account-1"),
                                     QStringLiteral("account-2"), QStringLiteral("order-1"), QStringLiteral("account-1"),
                                     QStringLiteral("account-2"), QStringLiteral("order-1"), QStringLiteral("account-1")};
        QHash<QString, qint64> versions;
        for (int i = 0; i < streams.size(); ++i) {
            const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            const QString type = i % 2 ? QStringLiteral("Withdrawn") : QStringLiteral("Deposited");
            const QByteArray data = QStringLiteral("{\"amount\": %1, \"note\": \"h\u00e9llo \\\"q\\\"\", \"nested\": {\"list\": [1, 2.5, null, true]}}")
                                        .arg(i * 10)
                                        .toUtf8();
            const QByteArray meta = QStringLiteral("{\"correlationStreamName\": \"flow-%1\", \"causationMessagePosition\": %2}")
                                        .arg(i % 3)
                                        .arg(i)
                                        .toUtf8();
            QList<QStringList> rows;
            QVERIFY(run(c, QStringLiteral("SELECT write_message($1, $2, $3, $4::jsonb, $5::jsonb)"),
                        {id.toUtf8(), streams[i].toUtf8(), type.toUtf8(), data, meta}, &rows));
            QCOMPARE(rows.value(0).value(0).toLongLong(), versions.value(streams[i]));
            rows.clear();
            QVERIFY(run(c, QStringLiteral("SELECT global_position FROM messages WHERE id = $1"), {id.toUtf8()}, &rows));
            m_expected.append({rows[0][0].toLongLong(), streams[i], versions[streams[i]]++, type, 0, id, data, meta});
        }
        // Known times: one minute apart from 2026-01-05 10:00 UTC.
        QVERIFY(run(c, QStringLiteral("UPDATE messages SET time = timestamp '2026-01-05 10:00:00.123' + global_position * interval '1 minute'")));
        m_base = *parseTime(u"2026-01-05T10:00:00.123Z");
        for (Expected& e : m_expected)
            e.time = m_base + e.position * 60000;
        PQfinish(c);

        // The glob table's names, one message each, in a UTF8 database and in a SQL_ASCII one (where a
        // character is a byte to the server, so the glob can only be filtered here).
        for (const QString& encoding : {QStringLiteral("UTF8"), QStringLiteral("SQL_ASCII")}) {
            const QString db = QStringLiteral("tst_glob_%1_%2").arg(encoding.toLower(), suffix);
            m_globDb.insert(encoding, db);
            QVERIFY(testing::postgresCreateDatabase(
                m_port, db,
                QStringLiteral("TEMPLATE template0 ENCODING '%1' LC_COLLATE 'C' LC_CTYPE 'C'")
                    .arg(encoding)));
            PGconn* g = connectTo(db);
            QVERIFY(run(g, QStringLiteral("CREATE TABLE messages (global_position bigint PRIMARY KEY, stream_name text NOT "
                                          "NULL, position bigint NOT NULL, type text NOT NULL, time timestamp NOT NULL, "
                                          "id uuid, data jsonb, metadata jsonb)")));
            const QStringList names = testing::globNames();
            for (int i = 0; i < names.size(); ++i)
                QVERIFY(run(g, QStringLiteral("INSERT INTO messages VALUES ($1, $2, 0, 'T', timestamp '2026-01-05 10:00:00' "
                                              "+ $1::bigint * interval '1 minute', NULL, '{}', '{}')"),
                            {QByteArray::number(i + 1), names[i].toUtf8()}));
            PQfinish(g);
        }
    }

    void cleanupTestCase()
    {
        if (!m_port)
            return;
        testing::postgresDropDatabases(m_port, QStringList(m_globDb.values()) << m_db << m_layoutsDb);
    }

    void messageDbIsDetectedAndReadWhole()
    {
        QString error;
        auto c = client(uri(m_db), &error);
        QVERIFY2(c, qPrintable(error));
        QVERIFY2(c->connect(&error), qPrintable(error));
        QCOMPARE(c->layout(), QStringLiteral("message-db"));
        bool ok = false;
        const QList<Event> got = readAll(c.get(), {}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), m_expected.size());
        for (int i = 0; i < got.size(); ++i) {
            const Event& e = got[i];
            const Expected& x = m_expected[i];
            QCOMPARE(e.position, x.position);
            QCOMPARE(e.stream, x.stream);
            QCOMPARE(e.version, x.version);
            QCOMPARE(e.type, x.type);
            QCOMPARE(formatTime(e.time), formatTime(x.time));
            QCOMPARE(e.id, x.id);
            QVERIFY2(sameJson(e.data, x.data), e.data.constData());
            QVERIFY2(sameJson(e.metadata, x.metadata), e.metadata.constData());
            QVERIFY(e.dataIsJson);
            QVERIFY2(!e.data.contains(": ") && !e.data.contains(", "), "data must be compact JSON");
        }
    }

    void scope_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<int>("sinceMinute");  // -1: none
        QTest::addColumn<int>("untilMinute");
        QTest::addColumn<int>("last");
        QTest::newRow("exact stream") << "order-1" << -1 << -1 << -1;
        QTest::newRow("category glob") << "account-*" << -1 << -1 << -1;
        QTest::newRow("question mark") << "account-?" << -1 << -1 << -1;
        QTest::newRow("character class") << "[ao]*-1" << -1 << -1 << -1;
        QTest::newRow("no match") << "nothing-*" << -1 << -1 << -1;
        QTest::newRow("since") << "" << 5 << -1 << -1;
        QTest::newRow("until") << "" << -1 << 4 << -1;
        QTest::newRow("window") << "" << 3 << 8 << -1;
        QTest::newRow("last 4") << "" << -1 << -1 << 4;
        QTest::newRow("last 2 of a category") << "account-*" << -1 << -1 << 2;
        QTest::newRow("last more than there are") << "order-*" << -1 << -1 << 100;
        QTest::newRow("last 0") << "" << -1 << -1 << 0;
        QTest::newRow("window and last") << "account-*" << 2 << 10 << 3;
        QTest::newRow("empty window") << "" << 100 << 200 << -1;
    }

    void scope()
    {
        QFETCH(QString, streams);
        QFETCH(int, sinceMinute);
        QFETCH(int, untilMinute);
        QFETCH(int, last);
        RemoteScope s;
        s.streams = streams;
        if (sinceMinute >= 0)
            s.since = m_base + sinceMinute * 60000;
        if (untilMinute >= 0)
            s.until = m_base + untilMinute * 60000;
        s.last = last;
        // The oracle: filter the written messages here, independently of the SQL.
        QList<qint64> want;
        for (const Expected& x : m_expected) {
            if (!streams.isEmpty() && !globMatch(streams, x.stream))
                continue;
            if (s.since != kNoTime && x.time < s.since)
                continue;
            if (s.until != kNoTime && x.time > s.until)
                continue;
            want << x.position;
        }
        if (last >= 0)
            want = want.mid(std::max<qsizetype>(0, want.size() - last));
        QString error;
        auto c = client(uri(m_db), &error);
        QVERIFY(c);
        c->setPageSize(2, 3);
        bool ok = false;
        const QList<Event> got = readAll(c.get(), s, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QList<qint64> positions;
        for (const Event& e : got)
            positions << e.position;
        QCOMPARE(positions, want);
    }

    // The shared glob table (tests/fixtures/globcases.h): the server selects exactly what the local
    // matcher selects, in a UTF8 database (the glob translated to SQL) and a SQL_ASCII one (filtered here).
    void globTable_data()
    {
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QStringList>("names");
        for (const QString& encoding : {QStringLiteral("UTF8"), QStringLiteral("SQL_ASCII")})
            for (const testing::GlobCase& c : testing::globCases())
                QTest::addRow("%s %s", qPrintable(encoding), c.tag) << encoding << c.pattern << c.names;
    }
    void globTable()
    {
        QFETCH(QString, encoding);
        QFETCH(QString, pattern);
        QFETCH(QStringList, names);
        QString error;
        auto c = client(uri(m_globDb.value(encoding)), &error);
        QVERIFY2(c, qPrintable(error));
        c->setPageSize(2, 3);  // small pages: some are filtered out whole
        RemoteScope s;
        s.streams = pattern;
        bool ok = false;
        const QList<Event> got = readAll(c.get(), s, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QStringList streams;
        for (const Event& e : got)
            streams << e.stream;
        streams.sort();
        QCOMPARE(streams, names);
    }

    // --last N with a glob: the N newest matching events, whether the server or this side decides the glob.
    void globWindow_data()
    {
        QTest::addColumn<QString>("encoding");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<int>("last");
        for (const QString& encoding : {QStringLiteral("UTF8"), QStringLiteral("SQL_ASCII")}) {
            QTest::addRow("%s one character, last 3", qPrintable(encoding)) << encoding << "g-?" << 3;
            QTest::addRow("%s negated set, last 4", qPrintable(encoding)) << encoding << "g-[!0-3a-z]" << 4;
            QTest::addRow("%s fewer than asked", qPrintable(encoding)) << encoding << "G-*" << 10;
            QTest::addRow("%s none", qPrintable(encoding)) << encoding << "q-*" << 2;
        }
    }
    void globWindow()
    {
        QFETCH(QString, encoding);
        QFETCH(QString, pattern);
        QFETCH(int, last);
        QStringList want;
        for (const QString& n : testing::globNames())
            if (globMatch(pattern, n))
                want << n;
        want = want.mid(std::max<qsizetype>(0, want.size() - last));
        QString error;
        auto c = client(uri(m_globDb.value(encoding)), &error);
        QVERIFY2(c, qPrintable(error));
        c->setPageSize(2, 2);
        RemoteScope s;
        s.streams = pattern;
        s.last = last;
        bool ok = false;
        const QList<Event> got = readAll(c.get(), s, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QStringList streams;
        for (const Event& e : got)
            streams << e.stream;
        QCOMPARE(streams, want);
    }

    void pagesAreSmallFirstThenBig()
    {
        QString error;
        auto c = client(uri(m_db), &error);
        c->setPageSize(1, 4);
        QList<int> sizes;
        QVERIFY(c->read({}, [&](const QList<Event>& p) { sizes << int(p.size()); return true; }, &error));
        QCOMPARE(sizes, (QList<int>{1, 4, 4, 3}));
        // A sink that says stop ends the read after that page.
        sizes.clear();
        auto c2 = client(uri(m_db), &error);
        c2->setPageSize(2, 2);
        QVERIFY(c2->read({}, [&](const QList<Event>& p) { sizes << int(p.size()); return sizes.size() < 2; }, &error));
        QCOMPARE(sizes.size(), 2);
    }

    void tailDeliversNewMessages()
    {
        QString error;
        auto c = client(uri(m_db, QStringLiteral("?poll=50")), &error);
        bool ok = false;
        RemoteScope scope;
        scope.streams = QStringLiteral("tail-*");
        const QList<Event> before = readAll(c.get(), scope, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(before.size(), 0);
        // Written from another connection while the tail polls.
        std::thread writer([this] {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            PGconn* w = connectTo(m_db);
            run(w, QStringLiteral("SET search_path = message_store, public"));
            for (int i = 0; i < 3; ++i)
                run(w, QStringLiteral("SELECT write_message(gen_random_uuid()::text, 'tail-1', 'Ticked', '{\"n\": %1}')").arg(i));
            run(w, QStringLiteral("SELECT write_message(gen_random_uuid()::text, 'other-1', 'Ignored', '{}')"));
            PQfinish(w);
        });
        QList<Event> got;
        testing::Watchdog dog(c.get(), 10000);
        ok = c->tail([&](const QList<Event>& page) { got += page; return got.size() < 3; }, &error);
        writer.join();
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(!dog.fired());
        QCOMPARE(got.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(got[i].stream, QStringLiteral("tail-1"));
            QCOMPARE(got[i].version, qint64(i));
            QCOMPARE(got[i].data, QStringLiteral("{\"n\":%1}").arg(i).toUtf8());
        }
    }

    void cancelEndsTailAtOnce()
    {
        QString error;
        auto c = client(uri(m_db, QStringLiteral("?poll=5000")), &error);
        bool ok = false;
        readAll(c.get(), {}, &ok, &error);
        QVERIFY(ok);
        const qint64 reaction = testing::cancelReaction(c.get(), 200, [&] { ok = c->tail([](const QList<Event>&) { return true; }, &error); });
        QVERIFY(ok);
        QVERIFY2(reaction >= 0 && reaction < testing::kCancelReactionMs, qPrintable(QStringLiteral("tail took %1 ms to stop").arg(reaction)));
    }

    void lostConnectionResumesExactly_data()
    {
        QTest::addColumn<int>("retries");
        QTest::newRow("resumes") << 2;
        QTest::newRow("gives up and keeps what it read") << 0;
    }

    void lostConnectionResumesExactly()
    {
        QFETCH(int, retries);
        QString error;
        auto c = client(uri(m_db, QStringLiteral("?retries=%1").arg(retries)), &error);
        c->setPageSize(3, 3);
        QList<Event> got;
        bool killed = false;
        const bool ok = c->read({}, [&](const QList<Event>& page) {
            got += page;
            if (!killed) {
                // The server drops the connection between two pages.
                PGconn* admin = connectTo(QStringLiteral("postgres"));
                run(admin, QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                                          "application_name = 'chronoscope' AND datname = '%1'").arg(m_db));
                PQfinish(admin);
                killed = true;
            }
            return true;
        }, &error);
        if (retries > 0) {
            QVERIFY2(ok, qPrintable(error));
            QVERIFY(got.size() >= m_expected.size());
            for (int i = 1; i < got.size(); ++i)
                QVERIFY2(got[i].position > got[i - 1].position, "no event twice, none skipped");
        } else {
            QVERIFY(!ok);
            QVERIFY2(error.contains(QLatin1String("lost the connection")), qPrintable(error));
            QVERIFY2(error.contains(QLatin1String("kept")), qPrintable(error));
            QCOMPARE(got.size(), 3);  // the page before the drop stays
        }
    }

    void layouts_data()
    {
        QTest::addColumn<QString>("schema");
        QTest::addColumn<QString>("layout");
        QTest::newRow("marten") << "martenstore" << "marten";
        QTest::newRow("emmett") << "emmettstore" << "emmett-postgresql";
        QTest::newRow("python eventsourcing") << "esstore" << "eventsourcing-postgresql";
    }

    void layouts()
    {
        QFETCH(QString, schema);
        QFETCH(QString, layout);
        PGconn* c = connectTo(m_layoutsDb);
        QVERIFY(PQstatus(c) == CONNECTION_OK);
        run(c, QStringLiteral("DROP SCHEMA IF EXISTS %1 CASCADE").arg(schema));
        QVERIFY(run(c, QStringLiteral("CREATE SCHEMA %1").arg(schema)));
        QVERIFY(run(c, QStringLiteral("SET search_path = %1").arg(schema)));
        if (layout == u"marten") {
            QVERIFY(run(c, QStringLiteral(
                "CREATE TABLE mt_streams (id uuid NOT NULL, type varchar NULL, version bigint NULL, "
                "timestamp timestamptz NOT NULL DEFAULT (now()), snapshot jsonb NULL, snapshot_version integer NULL, "
                "created timestamptz NOT NULL DEFAULT (now()), tenant_id varchar NULL DEFAULT '*DEFAULT*', "
                "is_archived bool NULL DEFAULT FALSE, CONSTRAINT pkey_mt_streams_id PRIMARY KEY (id));"
                "CREATE SEQUENCE mt_events_sequence;"
                "CREATE TABLE mt_events (seq_id bigint NOT NULL, id uuid NOT NULL, stream_id uuid NULL, "
                "version bigint NOT NULL, data jsonb NOT NULL, type varchar(500) NOT NULL, "
                "timestamp timestamptz NOT NULL DEFAULT '(now())', tenant_id varchar NULL DEFAULT '*DEFAULT*', "
                "mt_dotnet_type varchar NULL, correlation_id varchar NULL, causation_id varchar NULL, headers jsonb NULL, "
                "is_archived bool NULL DEFAULT FALSE, CONSTRAINT pkey_mt_events_seq_id PRIMARY KEY (seq_id), "
                "CONSTRAINT fkey_mt_events_stream_id FOREIGN KEY (stream_id) REFERENCES mt_streams(id) ON DELETE CASCADE);"
                "ALTER SEQUENCE mt_events_sequence OWNED BY mt_events.seq_id;"
                "CREATE UNIQUE INDEX pk_mt_events_stream_and_version ON mt_events USING btree (stream_id, version);"
                "INSERT INTO mt_streams (id, type, version) VALUES ('11111111-1111-1111-1111-111111111111', 'Trip', 2),"
                " ('22222222-2222-2222-2222-222222222222', 'Trip', 1);"
                "INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, timestamp, mt_dotnet_type, "
                "correlation_id, headers) VALUES "
                "(nextval('mt_events_sequence'), gen_random_uuid(), '11111111-1111-1111-1111-111111111111', 1, "
                "'{\"Day\": 1}', 'trip_started', '2026-01-05 10:00:00.5+00', 'Trips.TripStarted, Trips', 'corr-1', "
                "'{\"origin\": \"test\"}'),"
                "(nextval('mt_events_sequence'), gen_random_uuid(), '22222222-2222-2222-2222-222222222222', 1, "
                "'{\"Day\": 2}', 'trip_started', '2026-01-05 10:01:00+01', 'Trips.TripStarted, Trips', NULL, NULL),"
                "(nextval('mt_events_sequence'), gen_random_uuid(), '11111111-1111-1111-1111-111111111111', 2, "
                "'{\"Miles\": 12.5}', 'travel', '2026-01-05 10:02:00+00', 'Trips.Travel, Trips', 'corr-1', NULL)")));
        } else if (layout == u"emmett-postgresql") {
            QVERIFY(run(c, QStringLiteral(
                "CREATE TABLE emt_streams(stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL, partition TEXT "
                "NOT NULL DEFAULT 'emt:default', stream_type TEXT NOT NULL, stream_metadata JSONB NOT NULL, "
                "is_archived BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (stream_id, partition, is_archived)) "
                "PARTITION BY LIST (partition);"
                "CREATE SEQUENCE emt_global_message_position;"
                "CREATE TABLE emt_messages(stream_position BIGINT NOT NULL, global_position BIGINT DEFAULT "
                "nextval('emt_global_message_position'), transaction_id XID8 NOT NULL, created TIMESTAMPTZ NOT NULL "
                "DEFAULT now(), is_archived BOOLEAN NOT NULL DEFAULT FALSE, message_kind VARCHAR(1) NOT NULL DEFAULT "
                "'E', stream_id TEXT NOT NULL, partition TEXT NOT NULL DEFAULT 'emt:default', message_schema_version "
                "TEXT NOT NULL, message_id TEXT NOT NULL, message_type TEXT NOT NULL, message_data JSONB NOT NULL, "
                "message_metadata JSONB NOT NULL, PRIMARY KEY (stream_id, stream_position, partition, is_archived)) "
                "PARTITION BY LIST (partition);"
                "CREATE TABLE emt_messages_emt_default PARTITION OF emt_messages FOR VALUES IN ('emt:default') "
                "PARTITION BY LIST (is_archived);"
                "CREATE TABLE emt_messages_emt_default_active PARTITION OF emt_messages_emt_default FOR VALUES IN (FALSE);"
                "CREATE TABLE emt_messages_emt_default_archived PARTITION OF emt_messages_emt_default FOR VALUES IN (TRUE);"
                "CREATE TABLE emt_streams_emt_default PARTITION OF emt_streams FOR VALUES IN ('emt:default') "
                "PARTITION BY LIST (is_archived);"
                "CREATE TABLE emt_streams_emt_default_active PARTITION OF emt_streams_emt_default FOR VALUES IN (FALSE);"
                "CREATE TABLE emt_streams_emt_default_archived PARTITION OF emt_streams_emt_default FOR VALUES IN (TRUE);"
                "INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, "
                "message_schema_version, message_type, message_id, transaction_id, created) VALUES "
                "('cart-1', 1, '{\"sku\": \"a\"}', '{\"streamName\": \"cart-1\", \"correlationId\": \"c-9\"}', '1', "
                "'ItemAdded', 'm-1', pg_current_xact_id(), '2026-01-05 10:00:00.5+00'),"
                "('cart-2', 1, '{\"sku\": \"b\"}', '{\"streamName\": \"cart-2\"}', '1', 'ItemAdded', 'm-2', "
                "pg_current_xact_id(), '2026-01-05 09:01:00+00'),"
                "('cart-1', 2, '{}', '{\"streamName\": \"cart-1\"}', '1', 'CartClosed', 'm-3', pg_current_xact_id(), "
                "'2026-01-05 10:02:00+00')")));
        } else {
            QVERIFY(run(c, QStringLiteral(
                "CREATE TABLE IF NOT EXISTS stored_events (originator_id uuid NOT NULL, originator_version bigint NOT "
                "NULL, topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, "
                "originator_version)) WITH (autovacuum_enabled=false);"
                "CREATE UNIQUE INDEX IF NOT EXISTS stored_events_notification_id_idx ON stored_events "
                "(notification_id ASC);")));
            const QByteArray s1 = "{\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"2026-01-05T10:00:00.500000+00:00\"},\"originator_topic\":\"shop.domain:Order\",\"item\":\"a\"}";
            const QByteArray s2 = "{\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"2026-01-05T10:01:00+01:00\"},\"item\":\"b\"}";
            const QByteArray s3 = qCompress("{\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"2026-01-05T10:02:00+00:00\"},\"paid\":true}").mid(4);
            const QByteArray ins = "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES ($1, $2, $3, $4::bytea)";
            QVERIFY(run(c, QString::fromLatin1(ins), {"11111111-1111-1111-1111-111111111111", "1", "shop.domain:Order.Created", "\\x" + s1.toHex()}));
            QVERIFY(run(c, QString::fromLatin1(ins), {"22222222-2222-2222-2222-222222222222", "1", "shop.domain:Order.Created", "\\x" + s2.toHex()}));
            QVERIFY(run(c, QString::fromLatin1(ins), {"11111111-1111-1111-1111-111111111111", "2", "shop.domain:Order.Paid", "\\x" + s3.toHex()}));
        }
        PQfinish(c);

        QString error;
        auto cl = client(uri(m_layoutsDb, QStringLiteral("?schema=") + schema), &error);
        QVERIFY2(cl->connect(&error), qPrintable(error));
        QCOMPARE(cl->layout(), layout);
        bool ok = false;
        const QList<Event> got = readAll(cl.get(), {}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), 3);
        QCOMPARE(got[0].position, qint64(1));
        QCOMPARE(got[2].position, qint64(3));
        QCOMPARE(formatTime(got[0].time), QStringLiteral("2026-01-05T10:00:00.500Z"));
        QCOMPARE(formatTime(got[1].time), QStringLiteral("2026-01-05T09:01:00.000Z"));
        QCOMPARE(formatTime(got[2].time), QStringLiteral("2026-01-05T10:02:00.000Z"));
        QCOMPARE(got[0].stream, got[2].stream);
        QVERIFY(got[0].stream != got[1].stream);
        QCOMPARE(got[2].version, got[0].version + 1);
        if (layout == u"marten") {
            QCOMPARE(got[0].stream, QStringLiteral("11111111-1111-1111-1111-111111111111"));
            QCOMPARE(got[0].type, QStringLiteral("trip_started"));
            QCOMPARE(got[0].version, qint64(1));
            QCOMPARE(got[2].data, QByteArray("{\"Miles\":12.5}"));
            QCOMPARE(got[0].correlationId(), QStringLiteral("corr-1"));
            QVERIFY2(got[0].metadata.contains("\"origin\":\"test\""), got[0].metadata.constData());
            QVERIFY(got[0].metadata.contains("Trips.TripStarted"));
        } else if (layout == u"emmett-postgresql") {
            QCOMPARE(got[0].stream, QStringLiteral("cart-1"));
            QCOMPARE(got[0].type, QStringLiteral("ItemAdded"));
            QCOMPARE(got[0].id, QStringLiteral("m-1"));
            QCOMPARE(got[0].correlationId(), QStringLiteral("c-9"));
            QCOMPARE(got[2].type, QStringLiteral("CartClosed"));
        } else {
            QCOMPARE(got[0].type, QStringLiteral("Created"));
            QCOMPARE(got[2].type, QStringLiteral("Paid"));
            QVERIFY2(got[2].dataIsJson, got[2].data.constData());
            QVERIFY2(got[2].data.contains("\"paid\":true"), got[2].data.constData());  // zlib-compressed state
            QVERIFY(got[0].metadata.contains("shop.domain:Order.Created"));
        }
        // Scope on these layouts too.
        RemoteScope scope;
        scope.since = *parseTime(u"2026-01-05T10:00:00Z");
        auto cl2 = client(uri(m_layoutsDb, QStringLiteral("?schema=") + schema), &error);
        const QList<Event> windowed = readAll(cl2.get(), scope, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(windowed.size(), 2);
        QCOMPARE(windowed[0].position, qint64(1));
        QCOMPARE(windowed[1].position, qint64(3));
    }

    // Python eventsourcing over PostgreSQL decodes states with the SQLite reader's decoder: plain, zlib,
    // AES-GCM (CIPHER_KEY) and zlib then AES-GCM, written exactly as eventsourcing's Mapper/AESCipher write them.
    void eventsourcingEncodedStates_data()
    {
        QTest::addColumn<bool>("compress");
        QTest::addColumn<int>("keyBytes");     // 0: not encrypted
        QTest::addColumn<bool>("giveKey");
        QTest::newRow("plain") << false << 0 << false;
        QTest::newRow("zlib") << true << 0 << false;
        QTest::newRow("aes-128") << false << 16 << true;
        QTest::newRow("aes-256") << false << 32 << true;
        QTest::newRow("zlib+aes-192") << true << 24 << true;
        QTest::newRow("zlib+aes-256 without CIPHER_KEY") << true << 32 << false;
    }

    void eventsourcingEncodedStates()
    {
        QFETCH(bool, compress);
        QFETCH(int, keyBytes);
        QFETCH(bool, giveKey);
        QByteArray key;
        for (int i = 0; i < keyBytes; ++i)
            key += char(3 + i * 11);
        auto encode = [&](const QByteArray& json) {
            QByteArray s = json;
            if (compress)
                s = zlibCompress(s);
            if (keyBytes)
                s = aesGcmEncrypt(key, s);
            return s;
        };
        const QString schema = QStringLiteral("esenc_%1").arg(QTest::currentDataTag()).replace(QRegularExpression(QStringLiteral("[^a-z0-9_]")), QStringLiteral("_"));
        PGconn* c = connectTo(m_layoutsDb);
        QVERIFY(PQstatus(c) == CONNECTION_OK);
        run(c, QStringLiteral("DROP SCHEMA IF EXISTS %1 CASCADE").arg(schema));
        QVERIFY(run(c, QStringLiteral("CREATE SCHEMA %1").arg(schema)));
        QVERIFY(run(c, QStringLiteral("SET search_path = %1").arg(schema)));
        QVERIFY(run(c, QStringLiteral(
            "CREATE TABLE stored_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, topic text, "
            "state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version));"
            "CREATE UNIQUE INDEX stored_events_notification_id_idx ON stored_events (notification_id ASC);")));
        const QByteArray states[] = {
            R"({"originator_topic":"shop.domain:Order","timestamp":{"_type_":"datetime_iso","_data_":"2026-01-05T10:00:00.250000+00:00"},"total":{"_type_":"decimal_str","_data_":"19.90"}})",
            R"({"item":{"sku":"x-1","qty":2},"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-05T10:00:01+00:00"},"class_version":2})",
        };
        const QByteArray ins = "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES ($1, $2, $3, $4::bytea)";
        QVERIFY(run(c, QString::fromLatin1(ins), {"0f0e0d0c-0b0a-0908-0706-050403020100", "1", "shop.domain:Order.Created", "\\x" + encode(states[0]).toHex()}));
        QVERIFY(run(c, QString::fromLatin1(ins), {"0f0e0d0c-0b0a-0908-0706-050403020100", "2", "shop.domain:Order.ItemAdded", "\\x" + encode(states[1]).toHex()}));
        PQfinish(c);

        const QByteArray saved = qgetenv("CIPHER_KEY");
        if (giveKey)
            qputenv("CIPHER_KEY", key.toBase64());
        else
            qunsetenv("CIPHER_KEY");
        QString error;
        auto cl = client(uri(m_layoutsDb, QStringLiteral("?schema=") + schema), &error);
        bool ok = false;
        QList<Event> got;
        if (cl && cl->connect(&error))
            got = readAll(cl.get(), {}, &ok, &error);
        if (saved.isEmpty())
            qunsetenv("CIPHER_KEY");
        else
            qputenv("CIPHER_KEY", saved);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(cl->layout(), QStringLiteral("eventsourcing-postgresql"));
        QCOMPARE(got.size(), 2);
        QCOMPARE(got[0].stream, QStringLiteral("0f0e0d0c-0b0a-0908-0706-050403020100"));
        QCOMPARE(got[0].type, QStringLiteral("Created"));
        QCOMPARE(got[1].type, QStringLiteral("ItemAdded"));
        if (keyBytes && !giveKey) {
            // Said plainly in the event, never a placeholder that looks like data.
            for (const Event& e : got) {
                QVERIFY(!e.dataIsJson);
                QVERIFY2(e.metadata.contains("CIPHER_KEY is not set"), e.metadata.constData());
            }
            return;
        }
        // The same events the SQLite reader makes of these states (tst_layouts_eventsourcing).
        QCOMPARE(got[0].data, QByteArray(R"({"originator_topic":"shop.domain:Order","total":"19.90"})"));
        QCOMPARE(got[0].metadata, QByteArray(R"({"topic":"shop.domain:Order.Created","timestamp":"2026-01-05T10:00:00.250000+00:00"})"));
        QCOMPARE(formatTime(got[0].time), QStringLiteral("2026-01-05T10:00:00.250Z"));
        QCOMPARE(got[1].data, QByteArray(R"({"item":{"sku":"x-1","qty":2}})"));
        QCOMPARE(got[1].metadata, QByteArray(R"({"topic":"shop.domain:Order.ItemAdded","timestamp":"2026-01-05T10:00:01+00:00","class_version":2})"));
        QVERIFY(got[0].dataIsJson && got[1].dataIsJson);
    }

    void eventsourcingBadCipherKeyIsRefused()
    {
        const QByteArray saved = qgetenv("CIPHER_KEY");
        qputenv("CIPHER_KEY", "bm90IGEga2V5"); // base64 of 9 bytes
        QString error;
        auto cl = client(uri(m_layoutsDb, QStringLiteral("?schema=esenc_aes_128")), &error);
        const bool connected = cl && cl->connect(&error);
        if (saved.isEmpty())
            qunsetenv("CIPHER_KEY");
        else
            qputenv("CIPHER_KEY", saved);
        QVERIFY(!connected);
        QVERIFY2(error.contains(QLatin1String("CIPHER_KEY is not an AES key")), qPrintable(error));
    }

    void userWithoutRights()
    {
        QString error;
        auto c = client(uri(m_db, {}, QStringLiteral("norights")), &error);
        QVERIFY(c);
        QVERIFY(!c->connect(&error));
        QVERIFY2(error.contains(QLatin1String("no right")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("norights")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("message_store.messages")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("GRANT")), qPrintable(error));
    }

    void faults_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("expect");
        // A port nothing listens on: bind, note, close.
        QTcpServerLite s;
        QTest::newRow("connection refused") << QStringLiteral("postgresql://postgres@127.0.0.1:%1/x?retries=1&timeout=2000").arg(s.freePort()) << "connection refused";
        QTest::newRow("dns failure") << QStringLiteral("postgresql://postgres@no-such-host.invalid/x?timeout=3000") << "could not be found";
        QTest::newRow("no such database") << uri(QStringLiteral("no_such_db_here")) << "does not exist";
        QTest::newRow("database without event tables") << uri(QStringLiteral("postgres")) << "no event store tables";
        QTest::newRow("wrong schema") << uri(m_db, QStringLiteral("?schema=nope")) << "schema 'nope'";
    }

    void faults()
    {
        QFETCH(QString, uri);
        QFETCH(QString, expect);
        QString error;
        auto c = client(uri, &error);
        QVERIFY2(c, qPrintable(error));
        QElapsedTimer t;
        t.start();
        QVERIFY(!c->connect(&error));
        QVERIFY2(error.contains(expect, Qt::CaseInsensitive), qPrintable(error));
        QVERIFY2(t.elapsed() < 8000, "faults must be reported quickly");
        bool ok = true;
        readAll(c.get(), {}, &ok, &error);
        QVERIFY(!ok);
    }

    void credentials()
    {
        const QString secret = QStringLiteral("S3cret-pw!");
        QString error;
        // No password: a clear message that says where to give it, and it is not in any message.
        auto none = client(uri(m_db, {}, QStringLiteral("pwuser")), &error);
        QVERIFY(!none->connect(&error));
        QVERIFY2(error.contains(QLatin1String("CHRONOSCOPE_PASSWORD")), qPrintable(error));
        // Wrong password in the URI: refused, the wrong secret is not echoed.
        const QString wrong = QStringLiteral("postgresql://pwuser:Wr0ng-pass@127.0.0.1:%1/%2").arg(m_port).arg(m_db);
        auto bad = client(wrong, &error);
        QVERIFY(!bad->connect(&error));
        QVERIFY(!error.contains(QLatin1String("Wr0ng-pass")));
        QVERIFY(!bad->describe().contains(QLatin1String("Wr0ng-pass")));
        // From the URI.
        const QString withPw = QStringLiteral("postgresql://pwuser:%1@127.0.0.1:%2/%3").arg(QString::fromLatin1(QUrl::toPercentEncoding(secret))).arg(m_port).arg(m_db);
        auto fromUri = client(withPw, &error);
        QVERIFY2(fromUri->connect(&error), qPrintable(error));
        QVERIFY(!fromUri->describe().contains(secret));
        QVERIFY(!fromUri->endpoint().display.contains(secret));
        // From the environment.
        qputenv("CHRONOSCOPE_PASSWORD", secret.toUtf8());
        auto fromEnv = client(uri(m_db, {}, QStringLiteral("pwuser")), &error);
        qunsetenv("CHRONOSCOPE_PASSWORD");
        QVERIFY2(fromEnv->connect(&error), qPrintable(error));
        // From a prompt, asked only because the server wants a password.
        RemoteEndpoint ep;
        int asked = 0;
        ep.prompt = [&](const QString& endpoint, const QString& user, QString* s) {
            ++asked;
            if (endpoint.contains(secret) || user != u"pwuser")
                return false;
            *s = secret;
            return true;
        };
        QVERIFY(RemoteEndpoint::parse(uri(m_db, {}, QStringLiteral("pwuser")), &ep, &error));
        auto prompted = createRemoteClient(ep, &error);
        QVERIFY2(prompted->connect(&error), qPrintable(error));
        QCOMPARE(asked, 1);
    }

private:
    struct QTcpServerLite
    {
        int freePort()
        {
            QProcess p;
            p.start(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")});
            p.waitForFinished();
            return p.readAll().trimmed().toInt();
        }
    };
};

QTEST_GUILESS_MAIN(TestRemotePostgres)
#include "tst_remote_postgres.moc"
