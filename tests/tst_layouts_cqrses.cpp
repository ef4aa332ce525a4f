// cqrs-es's SQLite layout (sqlite-es: table events), read in place. Fixtures use both published DDLs of
// sqlite-es (STRICT with integer/text, and bigint/json) and rows as its SqliteEventRepository inserts them
// (serde's externally tagged enum as JSON text).
#include "sources/cqrsessqlite.h"
#include "sources/sourceregistry.h"
#include "tst_layouts_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace chronoscope;
using namespace layouts_test;

namespace {

// johnbcodes/sqlite-es migrations/..._init.sql
const char* const kStrictSchema = R"(
CREATE TABLE events
(
  aggregate_type text                          NOT NULL,
  aggregate_id   text                          NOT NULL,
  sequence       integer CHECK (sequence >= 0) NOT NULL,
  event_type     text                          NOT NULL,
  event_version  text                          NOT NULL,
  payload        text                          NOT NULL,
  metadata       text                          NOT NULL,
  PRIMARY KEY (aggregate_type, aggregate_id, sequence)
) STRICT;
CREATE TABLE snapshots
(
  aggregate_type   text                                  NOT NULL,
  aggregate_id     text                                  NOT NULL,
  last_sequence    integer CHECK (last_sequence >= 0)    NOT NULL,
  current_snapshot integer CHECK (current_snapshot >= 0) NOT NULL,
  payload          text                                  NOT NULL,
  PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
) STRICT;
)";

// kairsas/sqlite-es db/init.sql (the postgres-es shapes kept: bigint, json)
const char* const kJsonSchema = R"(
CREATE TABLE events
(
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);
CREATE TABLE snapshots
(
    aggregate_type   text                                 NOT NULL,
    aggregate_id     text                                 NOT NULL,
    last_sequence    bigint CHECK (last_sequence >= 0)    NOT NULL,
    current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL,
    payload          json                                 NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);
)";

struct Row
{
    QString type;
    QString id;
    qint64 sequence;
    QString eventType;
    QString payload;
    QString metadata;
    QByteArray data; // expected canonical data
};

QList<Row> rows()
{
    return {
        {"Account", "ACCT-1", 1, "AccountOpened", R"({"AccountOpened":{"account_id":"ACCT-1"}})", R"({"time":"t1"})",
         R"({"account_id":"ACCT-1"})"},
        {"Account", "ACCT-1", 2, "CustomerDepositedMoney", R"({"CustomerDepositedMoney":{"amount":200.0,"balance":200.0}})",
         R"({"time":"t2","correlation_id":"c-9"})", R"({"amount":200.0,"balance":200.0})"},
        {"Customer", "previous_event_in_need_of_upcast", 1, "NameAdded", R"({"NameAdded": {}})", "{}", "{}"},
        {"Account", "ACCT-2", 1, "AccountOpened", R"({"AccountOpened":{"account_id":"ACCT-2"}})", "{}",
         R"({"account_id":"ACCT-2"})"},
        {"bank-account", "7", 1, "Closed", R"("Closed")", "{}", R"("Closed")"},
        {"Account", "ACCT-1", 3, "CustomerWithdrewCash", R"({"CustomerWithdrewCash":{"amount":50.5,"balance":149.5}})",
         R"({"event_version":"0.9"})", R"({"amount":50.5,"balance":149.5})"},
        {"Account", "ACCT-2", 2, "Audited", R"({"a":1,"b":[true,null]})", "{}", R"({"a":1,"b":[true,null]})"},
    };
}

} // namespace

class TstLayoutsCqrsEs : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QHash<QString, QString> m_paths;
    QHash<QString, QList<Event>> m_expected;

    // "sparse" deletes the third row so rowids have a gap: positions stay a gapless rank.
    void build(const QString& variant)
    {
        const QString path = m_dir.filePath(variant + QLatin1String(".sqlite"));
        FixtureDb db(path);
        db.exec(variant.startsWith(QLatin1String("json")) ? kJsonSchema : kStrictSchema);
        const QList<Row> all = rows();
        for (const Row& r : all)
            db.run("INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, "
                   "metadata) VALUES (?,?,?,?,?,?,?)",
                   {r.type, r.id, r.sequence, r.eventType, QStringLiteral("1.0"), r.payload, r.metadata});
        const bool sparse = variant.endsWith(QLatin1String("sparse"));
        if (sparse)
            db.exec("DELETE FROM events WHERE rowid = 3");
        QList<Event> expected;
        qint64 position = 0;
        for (int i = 0; i < all.size(); ++i) {
            if (sparse && i == 2)
                continue;
            const Row& r = all[i];
            Event e;
            e.position = ++position;
            e.stream = r.type + u'-' + r.id;
            e.version = r.sequence;
            e.type = r.eventType;
            e.data = r.data;
            // event_version joins the metadata unless the metadata already has one.
            QByteArray meta = r.metadata.toUtf8();
            if (!meta.contains("event_version"))
                meta = meta == "{}" ? QByteArray(R"({"event_version":"1.0"})")
                                    : QByteArray(R"({"event_version":"1.0",)") + meta.mid(1);
            e.metadata = meta;
            expected << e;
        }
        m_paths.insert(variant, path);
        m_expected.insert(variant, expected);
    }

    std::unique_ptr<EventReader> open(const QString& variant)
    {
        QString error;
        auto reader = openSource(m_paths.value(variant), {}, &error);
        if (!reader)
            qWarning("%s", qPrintable(error));
        return reader;
    }

    static void addVariantColumn()
    {
        QTest::addColumn<QString>("variant");
        for (const char* v : {"strict", "json", "strict-sparse"})
            QTest::newRow(v) << QString::fromLatin1(v);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const char* v : {"strict", "json", "strict-sparse"})
            build(QString::fromLatin1(v));
    }

    void info_data() { addVariantColumn(); }
    void info()
    {
        QFETCH(QString, variant);
        auto reader = open(variant);
        QVERIFY(reader);
        const StoreInfo info = reader->info();
        const QList<Event>& expected = m_expected.value(variant);
        QCOMPARE(info.layout, QStringLiteral("cqrs-es-sqlite"));
        QCOMPARE(info.events, qint64(expected.size()));
        QCOMPARE(info.streams, qint64(variant.endsWith(QLatin1String("sparse")) ? 3 : 4));
        QCOMPARE(info.firstPosition, qint64(1));
        QCOMPARE(info.lastPosition, qint64(expected.size())); // a rank: no gap even when rowids have one
        QCOMPARE(info.timeKnown, false);
        QCOMPARE(info.firstTime, kNoTime);
        QCOMPARE(info.lastTime, kNoTime);
        QVERIFY2(info.warnings.isEmpty(), qPrintable(info.warnings.join(u'\n')));
    }

    void streams_data() { addVariantColumn(); }
    void streams()
    {
        QFETCH(QString, variant);
        auto reader = open(variant);
        QVERIFY(reader);
        MemoryReader oracle(m_expected.value(variant));
        const QList<StreamInfo> got = reader->streams();
        const QList<StreamInfo> want = oracle.streams();
        QCOMPARE(got.size(), want.size());
        for (qsizetype i = 0; i < want.size(); ++i) {
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].events, want[i].events);
            QCOMPARE(got[i].firstVersion, want[i].firstVersion);
            QCOMPARE(got[i].lastVersion, want[i].lastVersion);
            QCOMPARE(got[i].firstPosition, want[i].firstPosition);
            QCOMPARE(got[i].lastPosition, want[i].lastPosition);
            QCOMPARE(got[i].firstTime, kNoTime);
        }
        QCOMPARE(got.first().stream, QStringLiteral("Account-ACCT-1"));
        QCOMPARE(got.first().events, qint64(3));
    }

    void read_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<EventQuery>("query");
        for (const char* v : {"strict", "json", "strict-sparse"}) {
            for (const auto& [name, q] : queryCases(m_expected.value(QString::fromLatin1(v)), false))
                QTest::newRow(qPrintable(QString::fromLatin1(v) + QLatin1String(": ") + name)) << QString::fromLatin1(v) << q;
        }
        EventQuery q;
        q.stream = QStringLiteral("bank-account-7"); // the aggregate type itself holds a '-'
        QTest::newRow("strict: dashed aggregate type") << QStringLiteral("strict") << q;
        q.stream = QStringLiteral("Account"); // a type alone is no stream
        QTest::newRow("strict: type without id") << QStringLiteral("strict") << q;
    }
    void read()
    {
        QFETCH(QString, variant);
        QFETCH(EventQuery, query);
        auto reader = open(variant);
        QVERIFY(reader);
        MemoryReader oracle(m_expected.value(variant));
        QString error;
        const QList<Event> got = reader->readAll(query, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString diff = diffEvents(got, oracle.readAll(query));
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(reader->count(query, &error), oracle.count(query));
    }

    void canonicalEvent()
    {
        auto reader = open(QStringLiteral("strict"));
        QVERIFY(reader);
        const auto e = reader->eventAt(2);
        QVERIFY(e);
        QCOMPARE(e->toCanonicalJson(),
                 QByteArray(R"({"position":2,"stream":"Account-ACCT-1","version":2,"type":"CustomerDepositedMoney",)"
                            R"("time":null,"id":"","data":{"amount":200.0,"balance":200.0},)"
                            R"("metadata":{"event_version":"1.0","time":"t2","correlation_id":"c-9"}})"));
        QCOMPARE(e->correlationId(), QStringLiteral("c-9"));
        QCOMPARE(e->category(), QStringLiteral("Account"));
        auto sparse = open(QStringLiteral("strict-sparse"));
        QVERIFY(sparse);
        QCOMPARE(sparse->eventAt(3)->stream, QStringLiteral("Account-ACCT-2")); // rowid 4 is the third event
        QVERIFY(!sparse->eventAt(7));
        QString error;
        auto clone = sparse->clone(&error);
        QVERIFY2(clone, qPrintable(error));
        QCOMPARE(diffEvents(clone->readAll({}), m_expected.value(QStringLiteral("strict-sparse"))), QString());
    }

    void badRows()
    {
        const QString path = m_dir.filePath(QStringLiteral("bad-rows.sqlite"));
        {
            FixtureDb db(path);
            db.exec(kJsonSchema);
            db.run("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                   {QStringLiteral("A"), QStringLiteral("1"), qint64(1), QStringLiteral("E"), QStringLiteral("1.0"),
                    QStringLiteral("{\"E\":{\"x\":1}}"), QStringLiteral("{}")});
            db.run("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                   {QStringLiteral("A"), QStringLiteral("1"), QStringLiteral("two"), QStringLiteral("E"),
                    QStringLiteral("1.0"), QStringLiteral("{}"), QStringLiteral("{}")});
            db.run("INSERT INTO events VALUES (?,?,?,?,?,?,?)",
                   {QStringLiteral("A"), QStringLiteral("1"), qint64(3), QStringLiteral("E"), QStringLiteral("1.0"),
                    QStringLiteral("{\"E\":"), QStringLiteral("not json")});
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].data, QByteArray(R"({"x":1})"));
        QCOMPARE(events[1].position, qint64(3));
        QCOMPARE(events[1].dataIsJson, false);
        QCOMPARE(events[1].data, QByteArray("\"{\\\"E\\\":\""));
        QCOMPARE(events[1].metadata, QByteArray(R"({"event_version":"1.0","chronoscope.rawMetadata":"not json"})"));
        const QString warnings = reader->info().warnings.join(u'\n');
        QVERIFY2(warnings.contains(QLatin1String("1 row(s) of events are not shown")), qPrintable(warnings));
        QVERIFY2(warnings.contains(QLatin1String("events row 3 (stream A-1 sequence 3): payload is not JSON")),
                 qPrintable(warnings));
    }

    void otherEventsTablesAreNotClaimed()
    {
        // "events" is a common table name: without cqrs-es's columns the file is an unknown layout.
        const QString path = m_dir.filePath(QStringLiteral("other-events.sqlite"));
        {
            FixtureDb db(path);
            db.exec("CREATE TABLE events(id INTEGER PRIMARY KEY, stream TEXT, body TEXT); CREATE TABLE meta(k, v)");
        }
        SourceProbe probe;
        QString error;
        QVERIFY(probeSource(path, &probe, &error));
        QCOMPARE(probeCqrsEsSqlite(probe), 0);
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(QLatin1String("unknown layout; tables found: events, meta")), qPrintable(error));
        QVERIFY(!openCqrsEsSqlite(path, &error));
        QVERIFY2(error.contains(QLatin1String("lacks the column(s) aggregate_type, aggregate_id, sequence, event_type, payload")),
                 qPrintable(error));
    }

    void withoutRowid()
    {
        const QString path = m_dir.filePath(QStringLiteral("norowid.sqlite"));
        {
            FixtureDb db(path);
            db.exec("CREATE TABLE events (aggregate_type text, aggregate_id text, sequence integer, event_type text, "
                    "event_version text, payload text, metadata text, PRIMARY KEY (aggregate_type, aggregate_id, "
                    "sequence)) WITHOUT ROWID");
        }
        QString error;
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(QLatin1String("WITHOUT ROWID")) && error.contains(path), qPrintable(error));
    }

    void sourceFileUnchanged()
    {
        const QString dir = m_dir.filePath(QStringLiteral("untouched"));
        QVERIFY(QDir().mkpath(dir));
        const QString path = dir + QLatin1String("/cqrs.sqlite");
        QVERIFY(QFile::copy(m_paths.value(QStringLiteral("strict-sparse")), path));
        const QByteArray before = fileDigest(path);
        const QStringList folderBefore = folderState(dir);
        {
            QString error;
            auto reader = openSource(path, {}, &error);
            QVERIFY2(reader, qPrintable(error));
            reader->info();
            EventQuery q;
            q.stream = QStringLiteral("Account-ACCT-1");
            q.fromPosition = 2;
            QCOMPARE(reader->readAll(q).size(), 2);
        }
        QCOMPARE(fileDigest(path), before);
        QCOMPARE(folderState(dir), folderBefore);
    }
};

QTEST_GUILESS_MAIN(TstLayoutsCqrsEs)
#include "tst_layouts_cqrses.moc"
