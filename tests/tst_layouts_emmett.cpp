// Emmett's SQLite layout (emt_messages), read in place: fixtures use Emmett 0.42's exact DDL and the rows its
// appendToStream writes; an optional store is written by the real npm package (tst_layouts_emmett.cmake).
#include "sources/emmettsqlite.h"
#include "sources/sourceregistry.h"
#include "tst_layouts_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace chronoscope;
using namespace layouts_test;

namespace {

// Emmett 0.42 (src/packages/emmett-sqlite/src/eventStore/schema/tables.ts), verbatim but for the identifiers.
const char* const kSchema = R"(
CREATE TABLE IF NOT EXISTS emt_streams(
      stream_id         TEXT                      NOT NULL,
      stream_position   BIGINT                    NOT NULL DEFAULT 0,
      partition         TEXT                      NOT NULL DEFAULT 'global',
      stream_type       TEXT                      NOT NULL,
      stream_metadata   JSONB                     NOT NULL,
      is_archived       BOOLEAN                   NOT NULL DEFAULT FALSE,
      PRIMARY KEY (stream_id, partition, is_archived),
      UNIQUE (stream_id, partition, is_archived)
  );
CREATE TABLE IF NOT EXISTS emt_messages(
      stream_id              TEXT                      NOT NULL,
      stream_position        BIGINT                    NOT NULL,
      partition              TEXT                      NOT NULL DEFAULT 'global',
      message_kind           CHAR(1)                   NOT NULL DEFAULT 'E',
      message_data           JSONB                     NOT NULL,
      message_metadata       JSONB                     NOT NULL,
      message_schema_version TEXT                      NOT NULL,
      message_type           TEXT                      NOT NULL,
      message_id             TEXT                      NOT NULL,
      is_archived            BOOLEAN                   NOT NULL DEFAULT FALSE,
      global_position        INTEGER                   PRIMARY KEY,
      created                DATETIME                  DEFAULT CURRENT_TIMESTAMP,
      UNIQUE (stream_id, stream_position, partition, is_archived)
  );
CREATE TABLE IF NOT EXISTS emt_processors(
      processor_id                 TEXT                  NOT NULL,
      version                      INTEGER               NOT NULL DEFAULT 1,
      partition                    TEXT                  NOT NULL DEFAULT 'global',
      status                       TEXT                  NOT NULL DEFAULT 'stopped',
      last_processed_checkpoint    TEXT                  NOT NULL,
      processor_instance_id        TEXT                  DEFAULT 'emt:unknown',
      PRIMARY KEY (processor_id, partition, version)
  );
CREATE TABLE IF NOT EXISTS emt_projections(
      name                         TEXT                  NOT NULL,
      version                      INTEGER               NOT NULL DEFAULT 1,
      partition                    TEXT                  NOT NULL DEFAULT 'global',
      type                         CHAR(1)               NOT NULL,
      kind                         TEXT                  NOT NULL,
      status                       TEXT                  NOT NULL,
      definition                   JSONB                 NOT NULL DEFAULT '{}',
      PRIMARY KEY (name, partition, version)
  );
)";

struct Row
{
    qint64 globalPosition;
    QString stream;
    qint64 streamPosition;
    QString kind;
    QString type;
    QString data;
    QString metadata;
    QString created;
    bool archived = false;
};

void insertRow(FixtureDb& db, const Row& r)
{
    db.run("INSERT INTO emt_messages (stream_id, stream_position, partition, message_kind, message_data, "
           "message_metadata, message_schema_version, message_type, message_id, is_archived, global_position, created) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
           {r.stream, r.streamPosition, QStringLiteral("emt:default"), r.kind, r.data, r.metadata,
            QString::number(r.streamPosition - 1), r.type, QStringLiteral("msg-%1").arg(r.globalPosition),
            qint64(r.archived), r.globalPosition, r.created});
}

QString meta(const QString& stream, qint64 gp, qint64 pos, const QString& extra = {})
{
    return QStringLiteral(R"({"streamName":"%1","messageId":"msg-%2","streamPosition":"%3"%4})")
        .arg(stream)
        .arg(gp)
        .arg(pos)
        .arg(extra);
}

Event expected(qint64 pos, const QString& stream, qint64 version, const QString& type, const QByteArray& data,
               const QByteArray& metadata, const char* time)
{
    Event e;
    e.position = pos;
    e.stream = stream;
    e.version = version;
    e.type = type;
    e.data = data;
    e.metadata = metadata;
    e.id = QStringLiteral("msg-%1").arg(pos);
    e.time = *parseTime(QString::fromLatin1(time));
    return e;
}

} // namespace

class TstLayoutsEmmett : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_path;
    QList<Event> m_expected;
    std::unique_ptr<EventReader> m_reader;

    QString writeStore(const QString& name, const QList<Row>& rows, bool wal = true)
    {
        const QString path = m_dir.filePath(name);
        FixtureDb db(path);
        if (wal)
            db.exec("PRAGMA journal_mode=WAL");
        db.exec(kSchema);
        db.exec("BEGIN");
        QHash<QString, qint64> last;
        for (const Row& r : rows) {
            insertRow(db, r);
            last[r.stream] = std::max(last.value(r.stream), r.streamPosition);
        }
        // Emmett 0.42.4 writes the partition of emt_streams as the text "[object Object]".
        for (auto it = last.cbegin(); it != last.cend(); ++it)
            db.run("INSERT INTO emt_streams (stream_id, stream_position, partition, stream_type, stream_metadata, "
                   "is_archived) VALUES (?,?,'[object Object]',?,'[]',false)",
                   {it.key(), it.value(), it.key().section(u'-', 0, 0)});
        db.exec("COMMIT");
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QList<Row> rows = {
            {1, "shopping_cart-1", 1, "E", "ProductItemAdded", R"({"productId":"p1","quantity":2,"price":10.5})",
             meta("shopping_cart-1", 1, 1, R"(,"correlationId":"c-1")"), "2026-01-05 10:00:00"},
            // Whitespace in stored JSON (another writer): the canonical data is compact.
            {2, "shopping_cart-1", 2, "E", "ProductItemAdded", "{ \"productId\": \"p2\",\n \"quantity\": 1 }",
             meta("shopping_cart-1", 2, 2), "2026-01-05 10:00:01"},
            {3, "shopping_cart-2", 1, "E", "ProductItemAdded", R"({"productId":"p9","quantity":5})",
             meta("shopping_cart-2", 3, 1), "2026-01-05 10:05:00"},
            // A command shares the table but is not an event.
            {4, "shopping_cart-2", 2, "C", "AddProductItem", R"({"productId":"p3"})", meta("shopping_cart-2", 4, 2),
             "2026-01-05 10:06:00"},
            {5, "shopping_cart-1", 3, "E", "ShoppingCartConfirmed", R"({"confirmedAt":"2026-01-05T11:00:00.000Z"})",
             meta("shopping_cart-1", 5, 1, R"(,"causationId":"msg-2")"), "2026-01-05 11:00:00"},
            // Archived messages are not read by Emmett itself.
            {6, "shopping_cart-3", 1, "E", "ProductItemAdded", R"({"productId":"old"})", meta("shopping_cart-3", 6, 1),
             "2026-01-05 11:30:00", true},
            {7, "order-1", 1, "E", "OrderPlaced", R"({"nested":{"a":[1,2.5e3,{"b":null}]},"unicode":"é✓"})",
             meta("order-1", 7, 1), "2026-01-06 09:30:15"},
        };
        m_path = writeStore(QStringLiteral("emmett.sqlite"), rows);
        m_expected = {
            expected(1, "shopping_cart-1", 1, "ProductItemAdded", R"({"productId":"p1","quantity":2,"price":10.5})",
                     meta("shopping_cart-1", 1, 1, R"(,"correlationId":"c-1")").toUtf8(), "2026-01-05T10:00:00Z"),
            expected(2, "shopping_cart-1", 2, "ProductItemAdded", R"({"productId":"p2","quantity":1})",
                     meta("shopping_cart-1", 2, 2).toUtf8(), "2026-01-05T10:00:01Z"),
            expected(3, "shopping_cart-2", 1, "ProductItemAdded", R"({"productId":"p9","quantity":5})",
                     meta("shopping_cart-2", 3, 1).toUtf8(), "2026-01-05T10:05:00Z"),
            expected(5, "shopping_cart-1", 3, "ShoppingCartConfirmed", R"({"confirmedAt":"2026-01-05T11:00:00.000Z"})",
                     meta("shopping_cart-1", 5, 1, R"(,"causationId":"msg-2")").toUtf8(), "2026-01-05T11:00:00Z"),
            expected(7, "order-1", 1, "OrderPlaced", R"({"nested":{"a":[1,2.5e3,{"b":null}]},"unicode":"é✓"})",
                     meta("order-1", 7, 1).toUtf8(), "2026-01-06T09:30:15Z"),
        };
        QString error;
        m_reader = openSource(m_path, {}, &error);
        QVERIFY2(m_reader, qPrintable(error));
    }

    void detectedThroughTheRegistry()
    {
        SourceProbe probe;
        QString error;
        QVERIFY(probeSource(m_path, &probe, &error));
        QVERIFY(probeEmmettSqlite(probe) > 0);
        const StoreInfo info = m_reader->info();
        QCOMPARE(info.layout, QStringLiteral("emmett-sqlite"));
        QCOMPARE(info.location, m_path);
    }

    void info()
    {
        const StoreInfo info = m_reader->info();
        QCOMPARE(info.events, qint64(5));
        QCOMPARE(info.streams, qint64(3));
        QCOMPARE(info.firstPosition, qint64(1));
        QCOMPARE(info.lastPosition, qint64(7));
        QCOMPARE(info.firstTime, *parseTime(u"2026-01-05T10:00:00Z"));
        QCOMPARE(info.lastTime, *parseTime(u"2026-01-06T09:30:15Z"));
        QVERIFY(info.timeKnown);
        // The command and the archived message are left out, and said so.
        const QString all = info.warnings.join(u'\n');
        QVERIFY2(all.contains(QLatin1String("2 row(s) of emt_messages are not shown")), qPrintable(all));
    }

    void streams()
    {
        const QList<StreamInfo> streams = m_reader->streams();
        QCOMPARE(streams.size(), 3);
        QCOMPARE(streams[0].stream, QStringLiteral("order-1"));
        QCOMPARE(streams[1].stream, QStringLiteral("shopping_cart-1"));
        QCOMPARE(streams[2].stream, QStringLiteral("shopping_cart-2"));
        const StreamInfo& cart = streams[1];
        QCOMPARE(cart.events, qint64(3));
        QCOMPARE(cart.firstVersion, qint64(1));
        QCOMPARE(cart.lastVersion, qint64(3));
        QCOMPARE(cart.firstPosition, qint64(1));
        QCOMPARE(cart.lastPosition, qint64(5));
        QCOMPARE(cart.firstTime, *parseTime(u"2026-01-05T10:00:00Z"));
        QCOMPARE(cart.lastTime, *parseTime(u"2026-01-05T11:00:00Z"));
        QCOMPARE(streams[2].events, qint64(1)); // the command is not counted
        // Same summary as the oracle computes from the expected events.
        MemoryReader oracle(m_expected);
        const QList<StreamInfo> want = oracle.streams();
        for (qsizetype i = 0; i < want.size(); ++i) {
            QCOMPARE(streams[i].stream, want[i].stream);
            QCOMPARE(streams[i].events, want[i].events);
            QCOMPARE(streams[i].lastPosition, want[i].lastPosition);
            QCOMPARE(streams[i].lastTime, want[i].lastTime);
        }
    }

    void streamsWhenEveryRowIsAnEvent()
    {
        // No commands, nothing archived: the summary comes from the index and per-stream time lookups.
        QList<Row> rows;
        QList<Event> expectedEvents;
        for (int i = 1; i <= 30; ++i) {
            const QString stream = QStringLiteral("cart-%1").arg(i % 4);
            const QString created = QStringLiteral("2026-01-05 10:%1:00").arg(i, 2, 10, QLatin1Char('0'));
            rows.append({i, stream, (i + 3) / 4, "E", "T", QStringLiteral("{\"i\":%1}").arg(i), meta(stream, i, 1), created});
            Event e;
            e.position = i;
            e.stream = stream;
            e.version = (i + 3) / 4;
            e.time = *parseTime(created);
            expectedEvents << e;
        }
        const QString path = writeStore(QStringLiteral("events-only.sqlite"), rows, false);
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<StreamInfo> got = reader->streams();
        const QList<StreamInfo> want = MemoryReader(expectedEvents).streams();
        QCOMPARE(got.size(), want.size());
        for (qsizetype i = 0; i < want.size(); ++i) {
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].events, want[i].events);
            QCOMPARE(got[i].firstVersion, want[i].firstVersion);
            QCOMPARE(got[i].lastVersion, want[i].lastVersion);
            QCOMPARE(got[i].firstPosition, want[i].firstPosition);
            QCOMPARE(got[i].lastPosition, want[i].lastPosition);
            QCOMPARE(got[i].firstTime, want[i].firstTime);
            QCOMPARE(got[i].lastTime, want[i].lastTime);
        }
        QVERIFY(reader->info().warnings.isEmpty());
        QCOMPARE(reader->info().events, qint64(30));
    }

    void canonicalEvent()
    {
        const auto e = m_reader->eventAt(1);
        QVERIFY(e);
        QCOMPARE(e->toCanonicalJson(),
                 QByteArray(R"({"position":1,"stream":"shopping_cart-1","version":1,"type":"ProductItemAdded",)"
                            R"("time":"2026-01-05T10:00:00.000Z","id":"msg-1","data":{"productId":"p1","quantity":2,)"
                            R"("price":10.5},"metadata":{"streamName":"shopping_cart-1","messageId":"msg-1",)"
                            R"("streamPosition":"1","correlationId":"c-1"}})"));
        QCOMPARE(e->correlationId(), QStringLiteral("c-1"));
        QVERIFY(!m_reader->eventAt(4)); // the command's position holds no event
        QVERIFY(!m_reader->eventAt(6)); // archived
        QCOMPARE(m_reader->eventAt(7)->type, QStringLiteral("OrderPlaced"));
    }

    void read_data() { addQueryRows(m_expected, true); }
    void read()
    {
        QFETCH(EventQuery, query);
        MemoryReader oracle(m_expected);
        QString error;
        const QList<Event> got = m_reader->readAll(query, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString diff = diffEvents(got, oracle.readAll(query));
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(m_reader->count(query, &error), oracle.count(query));
    }

    void readStopsWhenTheSinkSaysSo()
    {
        int seen = 0;
        QVERIFY(m_reader->read({}, [&](const Event&) { return ++seen < 2; }, nullptr));
        QCOMPARE(seen, 2);
    }

    void cloneReadsTheSame()
    {
        QString error;
        auto other = m_reader->clone(&error);
        QVERIFY2(other, qPrintable(error));
        QCOMPARE(diffEvents(other->readAll({}), m_expected), QString());
    }

    void sourceFileUnchanged()
    {
        // Emmett's connection leaves the file in WAL mode: reading it must not create -wal/-shm files either.
        const QString path = m_dir.filePath(QStringLiteral("untouched/emmett.sqlite"));
        QVERIFY(QDir().mkpath(QFileInfo(path).path()));
        QVERIFY(QFile::copy(m_path, path));
        const QByteArray before = fileDigest(path);
        const QStringList folderBefore = folderState(QFileInfo(path).path());
        {
            QString error;
            auto reader = openSource(path, {}, &error);
            QVERIFY2(reader, qPrintable(error));
            reader->info();
            reader->streams();
            QCOMPARE(reader->readAll({}).size(), m_expected.size());
            EventQuery q;
            q.stream = QStringLiteral("shopping_cart-1");
            q.since = 1;
            reader->count(q);
            auto clone = reader->clone(&error);
            QVERIFY(clone);
            clone->eventAt(3);
        }
        QCOMPARE(fileDigest(path), before);
        QCOMPARE(folderState(QFileInfo(path).path()), folderBefore);
    }

    void wrongColumnTypes()
    {
        // A row with a textual stream_position is skipped and counted; a non-JSON payload is kept as text.
        const QString path = writeStore(QStringLiteral("types.sqlite"),
                                        {{1, "a-1", 1, "E", "T", R"({"x":1})", meta("a-1", 1, 1), "2026-01-05 10:00:00"},
                                         {2, "a-1", 2, "E", "T", "not json {", meta("a-1", 2, 2), "2026-01-05 10:00:01"},
                                         {3, "a-1", 3, "E", "T", R"({"x":3})", "[broken", "not a time"}},
                                        false);
        {
            FixtureDb db(path);
            db.run("INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, "
                   "message_schema_version, message_type, message_id, global_position) VALUES (?,?,?,?,?,?,?,?)",
                   {QStringLiteral("a-1"), QStringLiteral("four"), QStringLiteral("{}"), QStringLiteral("{}"),
                    QStringLiteral("0"), QStringLiteral("T"), QStringLiteral("m4"), qint64(4)});
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 3);
        QCOMPARE(events[1].dataIsJson, false);
        QCOMPARE(events[1].data, QByteArray("\"not json {\""));
        QCOMPARE(events[2].metadata, QByteArray("{\"chronoscope.rawMetadata\":\"[broken\"}"));
        QCOMPARE(events[2].time, kNoTime);
        const QString warnings = reader->info().warnings.join(u'\n');
        QVERIFY2(warnings.contains(QLatin1String("1 row(s) of emt_messages are not shown")), qPrintable(warnings));
        QVERIFY2(warnings.contains(QLatin1String("global_position 2 (stream a-1 version 2): message_data is not JSON")),
                 qPrintable(warnings));
        QCOMPARE(reader->streams().value(0).events, qint64(3));
    }

    void missingColumns()
    {
        const QString path = m_dir.filePath(QStringLiteral("columns.sqlite"));
        {
            FixtureDb db(path);
            db.exec("CREATE TABLE emt_messages(stream_id TEXT, stream_position BIGINT, message_data TEXT)");
        }
        QString error;
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(path) && error.contains(QLatin1String("global_position, message_type")),
                 qPrintable(error));
    }

    void truncatedFile()
    {
        QList<Row> rows;
        const QString pad(400, u'x');
        for (int i = 1; i <= 2000; ++i)
            rows.append({i, QStringLiteral("s-%1").arg(i % 7), i, "E", "T",
                         QStringLiteral(R"({"i":%1,"pad":"%2"})").arg(i).arg(pad), meta("s", i, i), "2026-01-05 10:00:00"});
        const QString path = writeStore(QStringLiteral("truncated.sqlite"), rows, false);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        const qint64 full = f.size();
        QVERIFY(f.resize(full * 2 / 5));
        f.close();
        const QByteArray before = fileDigest(path);

        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error)); // the schema page is intact: it opens and says what is wrong
        QVERIFY2(reader->info().warnings.join(u'\n').contains(QLatin1String("truncated")),
                 qPrintable(reader->info().warnings.join(u'\n')));
        qint64 delivered = 0;
        QVERIFY(!reader->read({}, [&](const Event&) { ++delivered; return true; }, &error));
        QVERIFY2(error.contains(path) && error.contains(QLatin1String("damaged or truncated")), qPrintable(error));
        QVERIFY(delivered > 0);     // what the file still holds is read
        QVERIFY(delivered < 2000);
        QCOMPARE(fileDigest(path), before);
    }

    void corruptPage()
    {
        QList<Row> rows;
        const QString pad(300, u'y');
        for (int i = 1; i <= 1500; ++i)
            rows.append({i, QStringLiteral("s-%1").arg(i % 5), i, "E", "T",
                         QStringLiteral(R"({"i":%1,"pad":"%2"})").arg(i).arg(pad), meta("s", i, i), "2026-01-05 10:00:00"});
        const QString path = writeStore(QStringLiteral("corrupt.sqlite"), rows, false);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        // Break the header of a table leaf page (type 0x0D) in the middle of the file.
        QList<qint64> leaves;
        for (qint64 page = 1; page * 4096 < bytes.size(); ++page)
            if (bytes[page * 4096] == 0x0D)
                leaves << page;
        QVERIFY(leaves.size() > 10);
        const qint64 victim = leaves[leaves.size() / 2] * 4096;
        for (int i = 0; i < 8; ++i)
            bytes[victim + i] = char(0xFF);
        f.seek(0);
        f.write(bytes);
        f.close();

        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        qint64 delivered = 0;
        QVERIFY(!reader->read({}, [&](const Event&) { ++delivered; return true; }, &error));
        QVERIFY2(error.contains(path) && error.contains(QLatin1String("damaged")), qPrintable(error));
        QVERIFY(delivered > 0 && delivered < 1500);
        // A read that never touches the broken page still works.
        EventQuery q;
        q.fromPosition = 1;
        q.toPosition = 5;
        error.clear();
        QCOMPARE(reader->readAll(q, &error).size(), 5);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void notSqliteAndUnknownLayout()
    {
        const QString fake = m_dir.filePath(QStringLiteral("fake.sqlite"));
        QFile f(fake);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a database\n");
        f.close();
        QString error;
        QVERIFY(!openSource(fake, {}, &error));
        QVERIFY2(error.contains(fake), qPrintable(error));

        const QString other = m_dir.filePath(QStringLiteral("other.sqlite"));
        {
            FixtureDb db(other);
            db.exec("CREATE TABLE messages(id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE users(name TEXT)");
        }
        QVERIFY(!openSource(other, {}, &error));
        QVERIFY2(error.contains(QLatin1String("unknown layout; tables found: messages, users")), qPrintable(error));
    }

    void realEmmettPackage()
    {
        const QString dir = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/tests/emmett-npm");
        QFile skip(dir + QLatin1String("/skip-reason.txt"));
        const QString path = dir + QLatin1String("/store.sqlite");
        QString missing;
        if (skip.open(QIODevice::ReadOnly))
            missing = QStringLiteral("no store from the real Emmett package: %1").arg(QString::fromUtf8(skip.readAll()).trimmed());
        else if (!QFile::exists(path))
            missing = QStringLiteral("no store from the real Emmett package (run the tst_layouts_emmett_npm_setup fixture through ctest)");
        if (!missing.isEmpty()) {
            // A developer offline may skip; CI (.ci/dev test exports CI=true) must check the real package.
            if (qEnvironmentVariable("CI") == QLatin1String("true"))
                QFAIL(qPrintable(missing + QStringLiteral(" (CI=true: the real package is required)")));
            QSKIP(qPrintable(missing));
        }
        // Work on a copy: the fixture folder is shared by reruns.
        const QString copy = m_dir.filePath(QStringLiteral("real/store.sqlite"));
        QVERIFY(QDir().mkpath(QFileInfo(copy).path()));
        QFile::remove(copy);
        QVERIFY(QFile::copy(path, copy));
        const QByteArray before = fileDigest(copy);
        const QStringList folderBefore = folderState(QFileInfo(copy).path());

        QString error;
        auto reader = openSource(copy, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const StoreInfo info = reader->info();
        QCOMPARE(info.layout, QStringLiteral("emmett-sqlite"));
        QCOMPARE(info.events, qint64(4)); // the script appends 4 events and 1 command
        QCOMPARE(info.streams, qint64(2));
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 4);
        QStringList summary;
        for (const Event& e : events)
            summary << QStringLiteral("%1 %2 v%3 %4 %5").arg(e.position).arg(e.stream).arg(e.version).arg(e.type,
                                                                                                       QString::fromUtf8(e.data));
        QCOMPARE(summary.join(u'\n'),
                 QStringLiteral("1 shopping_cart-1 v1 ProductItemAdded {\"productId\":\"p1\",\"quantity\":2,\"price\":10.5}\n"
                                "2 shopping_cart-1 v2 ProductItemAdded {\"productId\":\"p2\",\"quantity\":1}\n"
                                "3 shopping_cart-2 v1 ProductItemAdded {\"productId\":\"p9\",\"quantity\":5}\n"
                                "5 shopping_cart-1 v3 ShoppingCartConfirmed {\"confirmedAt\":\"2026-01-05T10:00:00.000Z\"}"));
        QCOMPARE(events[0].correlationId(), QStringLiteral("c-1"));
        QCOMPARE(QJsonDocument::fromJson(events[0].metadata).object().value(QLatin1String("streamName")).toString(),
                 QStringLiteral("shopping_cart-1"));
        QVERIFY(!events[0].id.isEmpty());
        // created is written by SQLite at append time (UTC): it must be a real, recent time.
        QVERIFY(events[0].time != kNoTime);
        QVERIFY(qAbs(events[0].time - QDateTime::currentMSecsSinceEpoch()) < 7LL * 24 * 3600 * 1000);
        QVERIFY(info.warnings.join(u'\n').contains(QLatin1String("1 row(s) of emt_messages are not shown")));
        EventQuery q;
        q.stream = QStringLiteral("shopping_cart-1");
        q.fromVersion = 2;
        QCOMPARE(reader->count(q), qint64(2));
        reader.reset();
        QCOMPARE(fileDigest(copy), before);
        QCOMPARE(folderState(QFileInfo(copy).path()), folderBefore);
    }
};

QTEST_GUILESS_MAIN(TstLayoutsEmmett)
#include "tst_layouts_emmett.moc"
