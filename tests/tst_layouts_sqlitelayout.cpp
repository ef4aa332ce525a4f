// The shared plumbing of the foreign-layout readers (core/sources/sqlitelayout.h): the JSON validator and
// compactor, the read-only open rules for WAL files, a store that another process keeps writing, and
// payloads that are huge or absurdly deep.
#include "sources/emmettsqlite.h"
#include "sources/sourceregistry.h"
#include "sources/sqlitelayout.h"
#include "tst_layouts_support.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace chronoscope;
using namespace layouts_test;

namespace {

const char* const kEmmettMessages =
    "CREATE TABLE emt_messages(stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL, partition TEXT NOT NULL "
    "DEFAULT 'global', message_kind CHAR(1) NOT NULL DEFAULT 'E', message_data JSONB NOT NULL, message_metadata "
    "JSONB NOT NULL, message_schema_version TEXT NOT NULL, message_type TEXT NOT NULL, message_id TEXT NOT NULL, "
    "is_archived BOOLEAN NOT NULL DEFAULT FALSE, global_position INTEGER PRIMARY KEY, created DATETIME DEFAULT "
    "CURRENT_TIMESTAMP, UNIQUE (stream_id, stream_position, partition, is_archived))";

void append(FixtureDb& db, qint64 position, const QString& stream, qint64 version, const QByteArray& data)
{
    db.run("INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, "
           "message_schema_version, message_type, message_id, global_position, created) VALUES (?,?,?,'{}','0','T',?,?,"
           "'2026-01-05 10:00:00')",
           {stream, version, QString::fromUtf8(data), QStringLiteral("m%1").arg(position), position});
}

} // namespace

class TstLayoutsSqliteLayout : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    // Files made to look like a layout's store but with a schema no such library writes: the event table is a
    // view, has a trigger, or declares an integer column with another type. Each is refused with a message
    // that names the object; the file is left untouched.
    void craftedLayoutFiles_data()
    {
        QTest::addColumn<QByteArray>("schema");
        QTest::addColumn<QString>("expected");
        const QByteArray es = "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
                              "state BLOB, PRIMARY KEY (originator_id, originator_version));";
        const QByteArray cqrs = "CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT NULL, sequence "
                                "bigint NOT NULL, event_type text NOT NULL, event_version text NOT NULL, payload json NOT "
                                "NULL, metadata json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, sequence));";
        QTest::newRow("emmett: emt_messages is a view")
            << QByteArray(kEmmettMessages).replace("emt_messages(", "emt_real(") +
                   "; CREATE VIEW emt_messages AS SELECT * FROM emt_real WHERE randomblob(1000000000) IS NOT NULL;"
            << "'emt_messages' is a view, not a table";
        QTest::newRow("emmett: trigger") << QByteArray(kEmmettMessages) + "; CREATE TRIGGER tr_msg AFTER INSERT ON "
                                                                        "emt_messages BEGIN SELECT 1; END;"
                                         << "a trigger 'tr_msg' is defined on 'emt_messages'";
        QTest::newRow("emmett: global_position declared TEXT")
            << QByteArray(kEmmettMessages).replace("global_position INTEGER PRIMARY KEY", "global_position TEXT")
            << "column emt_messages.global_position is declared TEXT, which does not hold integers";
        QTest::newRow("emmett: stream_position declared JSON")
            << QByteArray(kEmmettMessages).replace("stream_position BIGINT", "stream_position JSON")
            << "column emt_messages.stream_position is declared JSON";
        QTest::newRow("eventsourcing: stored_events is a view")
            << QByteArray(es).replace("stored_events (", "se_real (") + "CREATE VIEW stored_events AS SELECT * FROM se_real;"
            << "'stored_events' is a view, not a table";
        QTest::newRow("eventsourcing: trigger") << es + "CREATE TRIGGER es_tr BEFORE DELETE ON stored_events BEGIN "
                                                        "SELECT RAISE(ABORT, 'no'); END;"
                                                << "a trigger 'es_tr' is defined on 'stored_events'";
        QTest::newRow("eventsourcing: originator_version declared TEXT")
            << QByteArray(es).replace("originator_version INTEGER", "originator_version TEXT")
            << "column stored_events.originator_version is declared TEXT";
        QTest::newRow("cqrs-es: events is a view")
            << QByteArray(cqrs).replace("events (", "ev_real (") + "CREATE VIEW events AS SELECT * FROM ev_real;"
            << "'events' is a view, not a table";
        QTest::newRow("cqrs-es: trigger") << cqrs + "CREATE TRIGGER ev_tr AFTER UPDATE ON events BEGIN SELECT 1; END;"
                                          << "a trigger 'ev_tr' is defined on 'events'";
        QTest::newRow("cqrs-es: sequence declared REAL") << QByteArray(cqrs).replace("sequence bigint", "sequence real")
                                                         << "column events.sequence is declared REAL, which does not hold integers";
    }

    void craftedLayoutFiles()
    {
        QFETCH(QByteArray, schema);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("crafted-%1.sqlite").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QRegularExpression(QStringLiteral("[^a-z]+")), QStringLiteral("-"))));
        {
            FixtureDb db(path);
            db.exec(schema);
        }
        const QByteArray before = fileDigest(path);
        QString error;
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(path) && error.contains(QLatin1String("refused")) && error.contains(expected),
                 qPrintable(error));
        QCOMPARE(fileDigest(path), before);
    }

    // Emmett numbers streams from 1: an event at stream position -2^63 (or any negative one) is damage. It is
    // left out of reads, counts and the stream summary alike and reported, never shown in one view and
    // missing from another.
    void negativeEmmettPositionsAreReportedEverywhere_data()
    {
        QTest::addColumn<qint64>("streamPosition");
        QTest::addColumn<qint64>("globalPosition");
        QTest::newRow("stream position -2^63") << std::numeric_limits<qint64>::min() << qint64(3);
        QTest::newRow("stream position -1") << qint64(-1) << qint64(3);
        QTest::newRow("global position -2^63") << qint64(3) << std::numeric_limits<qint64>::min();
    }

    void negativeEmmettPositionsAreReportedEverywhere()
    {
        QFETCH(qint64, streamPosition);
        QFETCH(qint64, globalPosition);
        const QString path = m_dir.filePath(QStringLiteral("negative-%1.sqlite").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        {
            FixtureDb db(path);
            db.exec(kEmmettMessages);
            append(db, 1, QStringLiteral("s"), 1, "{\"n\":1}");
            append(db, 2, QStringLiteral("s"), 2, "{\"n\":2}");
            append(db, globalPosition, QStringLiteral("s"), streamPosition, "{\"n\":3}");
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const StoreInfo info = reader->info();
        QVERIFY2(info.warnings.join(u'\n').contains(QLatin1String("1 row(s) of emt_messages are not shown")),
                 qPrintable(info.warnings.join(u'\n')));
        QCOMPARE(info.events, 2);
        const QList<StreamInfo> streams = reader->streams();
        QCOMPARE(streams.size(), 1);
        EventQuery one;
        one.stream = QStringLiteral("s");
        const QList<Event> all = reader->readAll({}, &error);
        const QList<Event> ofStream = reader->readAll(one, &error);
        QCOMPARE(streams.first().events, qint64(all.size()));
        QCOMPARE(qint64(ofStream.size()), streams.first().events);
        QCOMPARE(reader->count(one), streams.first().events);
        QCOMPARE(reader->count({}), qint64(all.size()));
        for (const Event& e : all)
            QVERIFY(e.version >= 0 && e.position >= 0);
    }

    void compactJson_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("compact"); // empty: not JSON
        QTest::newRow("object with spaces") << QByteArray("{ \"a\" : 1 ,\n\t\"b\": [ true, false , null ] }")
                                            << QByteArray("{\"a\":1,\"b\":[true,false,null]}");
        QTest::newRow("string keeps its spaces and escapes") << QByteArray("[ \"a b\\n\\u00e9\\\"\" ]")
                                                             << QByteArray("[\"a b\\n\\u00e9\\\"\"]");
        QTest::newRow("numbers") << QByteArray("[0, -0.5, 1e3, 2E-7, 123456789012345678901234567890]")
                                 << QByteArray("[0,-0.5,1e3,2E-7,123456789012345678901234567890]");
        QTest::newRow("scalar") << QByteArray(" \"x\" ") << QByteArray("\"x\"");
        QTest::newRow("utf-8") << QByteArray("\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"")
                               << QByteArray("\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"");
        QTest::newRow("empty") << QByteArray("") << QByteArray();
        QTest::newRow("trailing comma") << QByteArray("[1,]") << QByteArray();
        QTest::newRow("leading zero") << QByteArray("01") << QByteArray();
        QTest::newRow("lone minus") << QByteArray("-") << QByteArray();
        QTest::newRow("bad escape") << QByteArray("\"\\x\"") << QByteArray();
        QTest::newRow("short unicode escape") << QByteArray("\"\\u12\"") << QByteArray();
        QTest::newRow("control character") << QByteArray("\"a\x01\"") << QByteArray();
        QTest::newRow("overlong utf-8") << QByteArray("\"\xc0\xaf\"") << QByteArray();
        QTest::newRow("utf-16 surrogate in utf-8") << QByteArray("\"\xed\xa0\x80\"") << QByteArray();
        QTest::newRow("cut utf-8") << QByteArray("\"\xe2\x9c\"") << QByteArray();
        QTest::newRow("two values") << QByteArray("{} {}") << QByteArray();
        QTest::newRow("unterminated object") << QByteArray("{\"a\":1") << QByteArray();
        QTest::newRow("single quotes") << QByteArray("{'a':1}") << QByteArray();
        QTest::newRow("NaN") << QByteArray("[NaN]") << QByteArray();
    }
    void compactJson()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, compact);
        QByteArray out;
        QString why;
        const bool ok = chronoscope::compactJson(input, &out, &why);
        QCOMPARE(ok, !compact.isEmpty());
        if (ok)
            QCOMPARE(out, compact);
        else
            QVERIFY(!why.isEmpty());
    }

    void deepNestingIsRefusedNotCrashing()
    {
        const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
        QByteArray out;
        QString why;
        QVERIFY(!chronoscope::compactJson(deep, &out, &why));
        QVERIFY2(why.contains(QLatin1String("nested too deeply")), qPrintable(why));
        const QByteArray ok = QByteArray(500, '[') + QByteArray(500, ']');
        QVERIFY(chronoscope::compactJson(ok, &out, &why));
    }

    void objectMembers()
    {
        QList<std::pair<QByteArray, QByteArray>> members;
        QVERIFY(jsonObjectMembers("{\"a\":1,\"b\\\"c\":{\"x\":[1,{\"y\":\"}\"}]},\"d\":\"s,t\",\"e\":null}", &members));
        QCOMPARE(members.size(), 4);
        QCOMPARE(members[0].first, QByteArray("a"));
        QCOMPARE(members[0].second, QByteArray("1"));
        QCOMPARE(members[1].first, QByteArray("b\\\"c"));
        QCOMPARE(members[1].second, QByteArray("{\"x\":[1,{\"y\":\"}\"}]}"));
        QCOMPARE(members[2].second, QByteArray("\"s,t\""));
        QCOMPARE(members[3].second, QByteArray("null"));
        QVERIFY(jsonObjectMembers("{}", &members));
        QVERIFY(members.isEmpty());
        QVERIFY(!jsonObjectMembers("[1]", &members));
        QCOMPARE(jsonStringLiteral(QStringLiteral("a\"b\\\n\x01")), QByteArray("\"a\\\"b\\\\\\n\\u0001\""));
    }

    void walFileWithoutPendingChangesOpensImmutable()
    {
        const QString path = m_dir.filePath(QStringLiteral("wal-clean.sqlite"));
        {
            FixtureDb db(path);
            db.exec("PRAGMA journal_mode=WAL");
            db.exec(kEmmettMessages);
            append(db, 1, QStringLiteral("s-1"), 1, "{}");
        }
        QVERIFY(!QFile::exists(path + QLatin1String("-wal")));
        QString note;
        QVERIFY(sqliteReadOnlyUri(path, &note).endsWith("&immutable=1"));
        QVERIFY(note.isEmpty());
        const QString plain = m_dir.filePath(QStringLiteral("rollback.sqlite"));
        {
            FixtureDb db(plain);
            db.exec(kEmmettMessages);
        }
        QVERIFY(sqliteReadOnlyUri(plain).endsWith("?mode=ro"));
    }

    void storeBeingWritten()
    {
        // Another process keeps the store open and appends (WAL, -wal and -shm present): reads see each commit,
        // and the cached stream summary follows.
        const QString path = m_dir.filePath(QStringLiteral("live.sqlite"));
        FixtureDb writer(path);
        writer.exec("PRAGMA journal_mode=WAL");
        writer.exec("PRAGMA wal_autocheckpoint=0");
        writer.exec(kEmmettMessages);
        append(writer, 1, QStringLiteral("s-1"), 1, "{\"n\":1}");
        QVERIFY(QFile::exists(path + QLatin1String("-wal")));
        QVERIFY(QFile::exists(path + QLatin1String("-shm")));
        QVERIFY(sqliteReadOnlyUri(path).endsWith("?mode=ro"));

        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->info().events, qint64(1));
        append(writer, 2, QStringLiteral("s-1"), 2, "{\"n\":2}");
        append(writer, 3, QStringLiteral("s-2"), 1, "{\"n\":3}");
        QCOMPARE(reader->readAll({}).size(), 3);
        const QList<StreamInfo> streams = reader->streams();
        QCOMPARE(streams.size(), 2);
        QCOMPARE(streams[0].events, qint64(2));
        QCOMPARE(reader->info().lastPosition, qint64(3));
    }

    void pendingWalWithoutIndexIsReportedNotCreated()
    {
        // A crashed writer can leave a -wal with content but no -shm: reading it would create -shm next to
        // the store, so the main file is read alone and the warning says what is not shown.
        const QString path = m_dir.filePath(QStringLiteral("crashed.sqlite"));
        {
            FixtureDb writer(path);
            writer.exec("PRAGMA journal_mode=WAL");
            writer.exec(kEmmettMessages);
            append(writer, 1, QStringLiteral("s-1"), 1, "{}");
            writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            writer.exec("PRAGMA wal_autocheckpoint=0");
            append(writer, 2, QStringLiteral("s-1"), 2, "{}");
            // Keep the WAL as it is at this moment (closing would checkpoint and delete it).
            QVERIFY(QFile::copy(path, path + QLatin1String(".main")));
            QVERIFY(QFile::copy(path + QLatin1String("-wal"), path + QLatin1String(".wal")));
        }
        QFile::remove(path);
        QFile::remove(path + QLatin1String("-shm"));
        QFile::remove(path + QLatin1String("-wal"));
        QVERIFY(QFile::rename(path + QLatin1String(".main"), path));
        QVERIFY(QFile::rename(path + QLatin1String(".wal"), path + QLatin1String("-wal")));
        const QStringList before = folderState(m_dir.path());

        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const StoreInfo info = reader->info();
        QVERIFY2(info.warnings.join(u'\n').contains(QLatin1String("-wal holds changes not yet in the main file")),
                 qPrintable(info.warnings.join(u'\n')));
        QCOMPARE(info.events, qint64(1));
        reader.reset();
        QCOMPARE(folderState(m_dir.path()), before);
        QVERIFY(!QFile::exists(path + QLatin1String("-shm")));
    }

    void hugeAndDeepPayloads()
    {
        const QString path = m_dir.filePath(QStringLiteral("payloads.sqlite"));
        QByteArray huge = "{\"blob\":\"";
        huge += QByteArray(50 * 1024 * 1024, 'x');
        huge += "\"}";
        const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
        {
            FixtureDb db(path);
            db.exec(kEmmettMessages);
            db.exec("BEGIN");
            append(db, 1, QStringLiteral("s-1"), 1, huge);
            append(db, 2, QStringLiteral("s-1"), 2, deep);
            append(db, 3, QStringLiteral("s-1"), 3, "{\"after\":true}");
            db.exec("COMMIT");
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        QElapsedTimer t;
        t.start();
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 3);
        QCOMPARE(events[0].data.size(), huge.size());
        QVERIFY(events[0].dataIsJson);
        QCOMPARE(events[1].dataIsJson, false); // kept as text, with a warning, never dropped
        QCOMPARE(events[1].data.size(), deep.size() + 2);
        QCOMPARE(events[2].data, QByteArray("{\"after\":true}"));
        QVERIFY2(reader->info().warnings.join(u'\n').contains(QLatin1String("nested too deeply")),
                 qPrintable(reader->info().warnings.join(u'\n')));
    }
};

QTEST_GUILESS_MAIN(TstLayoutsSqliteLayout)
#include "tst_layouts_sqlitelayout.moc"
