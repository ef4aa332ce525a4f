// Python eventsourcing's SQLite layout (stored_events), read in place. Python eventsourcing cannot be installed
// here, so fixtures use its recorder's exact DDL and write states the way its Mapper does: JSON (transcoder
// wrappers included), then zlib (zlib here), then AES-GCM as nonce|tag|ciphertext (OpenSSL here). One state
// was produced by Python's own zlib and `cryptography` AESGCM following eventsourcing's cipher code.
#include "sources/eventsourcingsqlite.h"
#include "sources/sourceregistry.h"
#include "fixtures/eventsourcing_encoding.h"
#include "tst_layouts_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

using namespace chronoscope;
using namespace layouts_test;

namespace {

// SQLiteApplicationRecorder / SQLiteProcessRecorder (events, tracking) and the aggregate recorder used for
// snapshots (WITHOUT ROWID), as eventsourcing 9 creates them.
const char* const kSchema =
    "CREATE TABLE IF NOT EXISTS stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version));"
    "CREATE TABLE IF NOT EXISTS stored_snapshots (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tracking (application_name TEXT, notification_id INTEGER, "
    "PRIMARY KEY (application_name)) WITHOUT ROWID;";

const char* const kIdA = "0123456789abcdef0123456789abcdef";
const char* const kIdB = "fedcba9876543210fedcba9876543210";
const char* const kStreamA = "01234567-89ab-cdef-0123-456789abcdef";
const char* const kStreamB = "fedcba98-7654-3210-fedc-ba9876543210";
const char* const kCustomer = "5c3a1f2e9b8d4c7a8e6f1a2b3c4d5e6f";

// Key bytes 0..31; the Python-made state below was encrypted with it (nonce 07 x 12), zlib first.
const char* const kPythonKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const char* const kPythonState =
    "0707070707070707070707074a2046d6e4a9d2b8620a8f9e450f06e077f6bb965e0115c4ca98c32bd40f550eba559dca8cbcc6bd36d152"
    "9e4cc2177d67111e30d3abdb6cfd9381d87e54fbb3591cc11114af51340fcfce732f0a0c12fc6589328459819380965ba01314c9af2871"
    "eb4f98faa2fa5ab8e99bc89e89b341f7d4cbbd5a4fa93cbdbe8173414ba08ffb9399d9397c7e1eb657ddd65da48f";

QByteArray ts(const char* iso)
{
    return QByteArray(R"({"_type_":"datetime_iso","_data_":")") + iso + "\"}";
}

struct StoredRow
{
    QString id;
    qint64 version;
    QString topic;
    QByteArray json;
};

// The rows of the main fixture, in insertion (rowid) order; some JSON uses Python's default ", " / ": ".
QList<StoredRow> rows()
{
    return {
        {kIdA, 1, "shop.domain:Order.Created",
         R"({"originator_topic": "shop.domain:Order", "timestamp": )" + ts("2026-01-05T10:00:00.123456+00:00") +
             R"(, "customer_id": {"_type_": "uuid_hex", "_data_": ")" + QByteArray(kCustomer) +
             R"("}, "total": {"_type_": "decimal_str", "_data_": "19.99"}})"},
        {kIdB, 1, "shop.domain:Order.Created",
         R"({"originator_topic":"shop.domain:Order","timestamp":)" + ts("2026-01-05T10:00:01+00:00") + "}"},
        {kIdA, 2, "shop.domain:Order.ItemAdded",
         R"({"item":{"sku":"x-1","qty":2,"price":{"_type_":"decimal_str","_data_":"9.50"}},"timestamp":)" +
             ts("2026-01-05T10:00:02.5+00:00") + "}"},
        {kIdA, 3, "shop.domain:Order.Paid",
         R"({"amount":{"_type_":"decimal_str","_data_":"19.99"},"class_version":2,"timestamp":)" +
             ts("2026-01-05T10:05:00+00:00") + "}"},
        {kIdB, 2, "shop.domain:Order.Cancelled",
         R"({"reason":"changed mind","tags":[{"_type_":"uuid_hex","_data_":")" + QByteArray(kIdA) +
             R"("}],"timestamp":)" + ts("2026-01-06T08:00:00+01:00") + "}"},
    };
}

Event expectedEvent(qint64 pos, const char* stream, qint64 version, const char* type, const QByteArray& data,
                    const QByteArray& metadata, const char* time)
{
    Event e;
    e.position = pos;
    e.stream = QString::fromLatin1(stream);
    e.version = version;
    e.type = QString::fromLatin1(type);
    e.data = data;
    e.metadata = metadata;
    e.time = *parseTime(QString::fromLatin1(time));
    return e;
}

// Members keep the stored order; the time and the class version move to metadata.
QList<Event> expectedEvents()
{
    return {
        expectedEvent(1, kStreamA, 1, "Created",
                      R"({"originator_topic":"shop.domain:Order","customer_id":"5c3a1f2e-9b8d-4c7a-8e6f-1a2b3c4d5e6f","total":"19.99"})",
                      R"({"topic":"shop.domain:Order.Created","timestamp":"2026-01-05T10:00:00.123456+00:00"})",
                      "2026-01-05T10:00:00.123Z"),
        expectedEvent(2, kStreamB, 1, "Created", R"({"originator_topic":"shop.domain:Order"})",
                      R"({"topic":"shop.domain:Order.Created","timestamp":"2026-01-05T10:00:01+00:00"})",
                      "2026-01-05T10:00:01Z"),
        expectedEvent(3, kStreamA, 2, "ItemAdded", R"({"item":{"sku":"x-1","qty":2,"price":"9.50"}})",
                      R"({"topic":"shop.domain:Order.ItemAdded","timestamp":"2026-01-05T10:00:02.5+00:00"})",
                      "2026-01-05T10:00:02.500Z"),
        expectedEvent(4, kStreamA, 3, "Paid", R"({"amount":"19.99"})",
                      R"({"topic":"shop.domain:Order.Paid","class_version":2,"timestamp":"2026-01-05T10:05:00+00:00"})",
                      "2026-01-05T10:05:00Z"),
        expectedEvent(5, kStreamB, 2, "Cancelled", R"({"reason":"changed mind","tags":["01234567-89ab-cdef-0123-456789abcdef"]})",
                      R"({"topic":"shop.domain:Order.Cancelled","timestamp":"2026-01-06T08:00:00+01:00"})",
                      "2026-01-06T07:00:00Z"),
    };
}

struct Codec
{
    QString name;
    bool compress = false;
    int keyBytes = 0; // 0: not encrypted
};

QByteArray keyFor(int bytes, char seed = 1)
{
    QByteArray k;
    for (int i = 0; i < bytes; ++i)
        k += char(seed + i * 7);
    return k;
}

QByteArray encode(const Codec& c, const QByteArray& json)
{
    QByteArray s = json;
    if (c.compress)
        s = zlibCompress(s);
    if (c.keyBytes)
        s = aesGcmEncrypt(keyFor(c.keyBytes), s);
    return s;
}

const QList<Codec> kCodecs = {
    {"plain", false, 0}, {"zlib", true, 0}, {"aes-128", false, 16}, {"aes-256", false, 32}, {"zlib+aes-192", true, 24},
};

} // namespace

class TstLayoutsEventsourcing : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QHash<QString, QString> m_paths; // codec -> file
    QList<Event> m_expected;

    QString writeStore(const QString& file, const Codec& codec, const QList<StoredRow>& stored)
    {
        const QString path = m_dir.filePath(file);
        FixtureDb db(path);
        db.exec("PRAGMA journal_mode=WAL"); // eventsourcing's SQLiteDatastore switches files to WAL
        db.exec(kSchema);
        for (const StoredRow& r : stored)
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)", {r.id, r.version, r.topic, encode(codec, r.json)});
        // A snapshot and a tracking row, which the reader leaves alone.
        db.run("INSERT INTO stored_snapshots VALUES (?,?,?,?)",
               {QString::fromLatin1(kIdA), qint64(3), QStringLiteral("eventsourcing.domain:Snapshot"),
                encode(codec, R"({"state":{"total":"19.99"}})")});
        db.run("INSERT INTO tracking VALUES (?,?)", {QStringLiteral("Upstream"), qint64(42)});
        return path;
    }

    std::unique_ptr<EventReader> open(const QString& codecName, QString* error)
    {
        for (const Codec& c : kCodecs)
            if (c.name == codecName)
                return openEventsourcingSqlite(m_paths.value(codecName),
                                               c.keyBytes ? keyFor(c.keyBytes).toBase64() : QByteArray(), error);
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const Codec& c : kCodecs)
            m_paths.insert(c.name, writeStore(c.name + QLatin1String(".sqlite"), c, rows()));
        m_expected = expectedEvents();
    }

    void helpers()
    {
        QCOMPARE(eventsourcingStreamName(QString::fromLatin1(kIdA)), QString::fromLatin1(kStreamA));
        // uuid.hex writes lowercase; an id in capitals is a text id of its own, kept as written.
        QCOMPARE(eventsourcingStreamName(QStringLiteral("0123456789ABCDEF0123456789ABCDEF")),
                 QStringLiteral("0123456789ABCDEF0123456789ABCDEF"));
        QCOMPARE(eventsourcingStreamName(QStringLiteral("order-42")), QStringLiteral("order-42"));
        QCOMPARE(eventsourcingTopicType(u"shop.domain:Order.Created"), QStringLiteral("Created"));
        QCOMPARE(eventsourcingTopicType(u"bank:Deposited"), QStringLiteral("Deposited"));
        QCOMPARE(eventsourcingTopicType(u"Plain"), QStringLiteral("Plain"));
    }

    void detectedThroughTheRegistry()
    {
        QString error;
        auto reader = openSource(m_paths.value(QStringLiteral("zlib")), {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const StoreInfo info = reader->info();
        QCOMPARE(info.layout, QStringLiteral("eventsourcing-sqlite"));
        QCOMPARE(info.events, qint64(5));
        QCOMPARE(info.streams, qint64(2));
        QCOMPARE(info.firstPosition, qint64(1));
        QCOMPARE(info.lastPosition, qint64(5));
        QCOMPARE(info.firstTime, *parseTime(u"2026-01-05T10:00:00.123Z"));
        QCOMPARE(info.lastTime, *parseTime(u"2026-01-06T07:00:00Z"));
        QVERIFY(info.timeKnown);
        QVERIFY2(info.warnings.isEmpty(), qPrintable(info.warnings.join(u'\n')));
    }

    void streams_data()
    {
        QTest::addColumn<QString>("codec");
        for (const Codec& c : kCodecs)
            QTest::newRow(qPrintable(c.name)) << c.name;
    }
    void streams()
    {
        QFETCH(QString, codec);
        QString error;
        auto reader = open(codec, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<StreamInfo> streams = reader->streams();
        QCOMPARE(streams.size(), 2);
        QCOMPARE(streams[0].stream, QString::fromLatin1(kStreamA));
        QCOMPARE(streams[0].events, qint64(3));
        QCOMPARE(streams[0].firstVersion, qint64(1));
        QCOMPARE(streams[0].lastVersion, qint64(3));
        QCOMPARE(streams[0].firstPosition, qint64(1));
        QCOMPARE(streams[0].lastPosition, qint64(4));
        QCOMPARE(streams[0].firstTime, *parseTime(u"2026-01-05T10:00:00.123Z"));
        QCOMPARE(streams[0].lastTime, *parseTime(u"2026-01-05T10:05:00Z"));
        QCOMPARE(streams[1].stream, QString::fromLatin1(kStreamB));
        QCOMPARE(streams[1].lastTime, *parseTime(u"2026-01-06T07:00:00Z"));
    }

    void read_data()
    {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<EventQuery>("query");
        for (const Codec& c : kCodecs)
            for (const auto& [name, q] : queryCases(expectedEvents(), true))
                QTest::newRow(qPrintable(c.name + QLatin1String(": ") + name)) << c.name << q;
        // The stream is shown as a dashed UUID; the stored 32-digit form finds it too.
        EventQuery q;
        q.stream = QString::fromLatin1(kIdA);
        QTest::newRow("plain: stream as stored") << QStringLiteral("plain") << q;
        q.stream = QString::fromLatin1(kStreamA).toUpper();
        QTest::newRow("plain: stream in capitals is another stream") << QStringLiteral("plain") << q;
        q.stream = QString::fromLatin1(kIdA).toUpper();
        QTest::newRow("plain: stored form in capitals is another stream") << QStringLiteral("plain") << q;
    }
    void read()
    {
        QFETCH(QString, codec);
        QFETCH(EventQuery, query);
        QString error;
        auto reader = open(codec, &error);
        QVERIFY2(reader, qPrintable(error));
        EventQuery oracleQuery = query;
        if (!query.stream.isEmpty() && query.stream.size() >= 32 && query.stream != QLatin1String("no-such-stream"))
            oracleQuery.stream = eventsourcingStreamName(QString(query.stream).remove(u'-'));
        MemoryReader oracle(m_expected);
        const QList<Event> want = oracle.readAll(oracleQuery);
        const QList<Event> got = reader->readAll(query, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString diff = diffEvents(got, want);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(reader->count(query, &error), oracle.count(oracleQuery)); // count ignores the limit
        QVERIFY2(reader->info().warnings.isEmpty(), qPrintable(reader->info().warnings.join(u'\n')));
    }

    void eventAtAndClone()
    {
        QString error;
        auto reader = open(QStringLiteral("zlib+aes-192"), &error);
        QVERIFY2(reader, qPrintable(error));
        const auto e = reader->eventAt(3);
        QVERIFY(e);
        QCOMPARE(e->type, QStringLiteral("ItemAdded"));
        QCOMPARE(e->data, QByteArray(R"({"item":{"sku":"x-1","qty":2,"price":"9.50"}})"));
        QVERIFY(!reader->eventAt(6));
        auto clone = reader->clone(&error);
        QVERIFY2(clone, qPrintable(error));
        QCOMPARE(diffEvents(clone->readAll({}), m_expected), QString());
    }

    void statePythonWrote()
    {
        // zlib.compress + AESGCM from Python, in eventsourcing's order: nonce | tag | ciphertext.
        const QString path = m_dir.filePath(QStringLiteral("python.sqlite"));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QString::fromLatin1(kIdA), qint64(1), QStringLiteral("shop.domain:Order.Noted"),
                    QByteArray::fromHex(kPythonState)});
        }
        QString error;
        auto reader = openEventsourcingSqlite(path, kPythonKey, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].data, QByteArray(R"({"originator_topic":"shop.domain:Order","note":"caf\u00e9"})"));
        QCOMPARE(events[0].time, *parseTime(u"2026-01-07T12:00:00.250Z"));
        QCOMPARE(events[0].type, QStringLiteral("Noted"));
    }

    void ciphertextThatLooksLikeJson()
    {
        // One encrypted state in 256 starts with '{': it must still be decrypted (and its wrappers decoded).
        const QString path = m_dir.filePath(QStringLiteral("brace.sqlite"));
        const QByteArray key = keyFor(32);
        {
            FixtureDb db(path);
            db.exec(kSchema);
            const QList<StoredRow> stored = rows();
            for (int i = 0; i < stored.size(); ++i)
                db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                       {stored[i].id, stored[i].version, stored[i].topic,
                        aesGcmEncrypt(key, stored[i].json, QByteArray("{\"nonce-") + char('a' + i) + "\":1")});
        }
        QString error;
        auto reader = openEventsourcingSqlite(path, key.toBase64(), &error);
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(diffEvents(reader->readAll({}, &error), m_expected), QString());
        QVERIFY2(reader->info().warnings.isEmpty(), qPrintable(reader->info().warnings.join(u'\n')));
        // Without the key it is still recognised as an encrypted store.
        QVERIFY(!openEventsourcingSqlite(path, {}, &error));
        QVERIFY2(error.contains(QLatin1String("set the CIPHER_KEY")), qPrintable(error));
    }

    void keyErrors_data()
    {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QString>("message");
        QTest::newRow("no key") << "aes-128" << QByteArray() << "set the CIPHER_KEY environment variable";
        QTest::newRow("wrong key") << "aes-256" << keyFor(32, 9).toBase64() << "CIPHER_KEY does not decrypt the events";
        QTest::newRow("right size, wrong length for the store") << "aes-256" << keyFor(16).toBase64()
                                                                 << "CIPHER_KEY does not decrypt the events";
        QTest::newRow("not base64") << "aes-128" << QByteArray("not*base64!") << "CIPHER_KEY is not valid base64";
        QTest::newRow("bad length") << "aes-128" << QByteArray("AAECAwQ=") << "it decodes to 5 bytes";
    }
    void keyErrors()
    {
        QFETCH(QString, codec);
        QFETCH(QByteArray, key);
        QFETCH(QString, message);
        const QString path = m_paths.value(codec);
        QString error;
        QVERIFY(!openEventsourcingSqlite(path, key, &error));
        QVERIFY2(error.contains(message) && error.contains(path), qPrintable(error));
        QVERIFY2(key.isEmpty() || !error.contains(QString::fromLatin1(key)), "the key must never be echoed");
    }

    void keyFromTheEnvironment()
    {
        const QString path = m_paths.value(QStringLiteral("aes-128"));
        QString error;
        qunsetenv("CIPHER_KEY");
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(QLatin1String("set the CIPHER_KEY environment variable")), qPrintable(error));
        qputenv("CIPHER_KEY", keyFor(16).toBase64());
        auto reader = openSource(path, {}, &error);
        qunsetenv("CIPHER_KEY");
        QVERIFY2(reader, qPrintable(error));
        QCOMPARE(reader->readAll({}).size(), 5);
    }

    void damagedStateIsShownNotDropped_data()
    {
        QTest::addColumn<QString>("codec");
        QTest::addColumn<QString>("why");
        QTest::newRow("ciphertext") << "aes-256" << "cannot be decrypted with CIPHER_KEY";
        QTest::newRow("compressed") << "zlib" << "not a complete zlib stream";
        QTest::newRow("json") << "plain" << "not valid JSON";
    }
    void damagedStateIsShownNotDropped()
    {
        QFETCH(QString, codec);
        QFETCH(QString, why);
        Codec c;
        for (const Codec& k : kCodecs)
            if (k.name == codec)
                c = k;
        QList<StoredRow> stored = rows();
        const QString path = m_dir.filePath(QStringLiteral("damaged-%1.sqlite").arg(codec));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            for (int i = 0; i < stored.size(); ++i) {
                QByteArray state = encode(c, stored[i].json);
                if (i == 2) {
                    if (c.keyBytes)
                        state[40] = char(state[40] ^ 0x55); // a flipped ciphertext bit fails the GCM tag
                    else if (c.compress)
                        state = state.left(state.size() / 2); // a cut zlib stream
                    else
                        state = R"({"item": {"sku": "x-1", )"; // a cut JSON text
                }
                db.run("INSERT INTO stored_events VALUES (?,?,?,?)", {stored[i].id, stored[i].version, stored[i].topic, state});
            }
        }
        QString error;
        auto reader = openEventsourcingSqlite(path, c.keyBytes ? keyFor(c.keyBytes).toBase64() : QByteArray(), &error);
        QVERIFY2(reader, qPrintable(error)); // one bad event does not stop the store from opening
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 5);
        for (int i : {0, 1, 3, 4})
            QCOMPARE(events[i].toCanonicalJson(), m_expected[i].toCanonicalJson());
        const Event& bad = events[2];
        QCOMPARE(bad.position, qint64(3));
        QCOMPARE(bad.stream, QString::fromLatin1(kStreamA));
        QCOMPARE(bad.version, qint64(2));
        QCOMPARE(bad.type, QStringLiteral("ItemAdded"));
        QCOMPARE(bad.dataIsJson, false);
        QCOMPARE(bad.time, kNoTime);
        const QString reason = QJsonDocument::fromJson(bad.metadata).object().value(QLatin1String("chronoscope.error")).toString();
        QVERIFY2(!reason.isEmpty() && reason.contains(why), qPrintable(reason));
        const QString warnings = reader->info().warnings.join(u'\n');
        QVERIFY2(warnings.contains(QStringLiteral("stored_events rowid 3 (stream %1 version 2, shop.domain:Order.ItemAdded)")
                                       .arg(QLatin1String(kStreamA))),
                 qPrintable(warnings));
    }

    void transcodings()
    {
        // Wrappers nest (a tuple of UUIDs); an ordinary object whose first member is "_type_" is left alone.
        const QString path = m_dir.filePath(QStringLiteral("transcodings.sqlite"));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QString::fromLatin1(kIdA), qint64(1), QStringLiteral("app:Thing.Made"),
                    QByteArray("{\"a\": {\"_type_\": \"x\", \"other\": 1}, \"b\": {\"_type_\": \"tuple_as_list\", "
                               "\"_data_\": [{\"_type_\": \"uuid_hex\", \"_data_\": \"fedcba9876543210fedcba9876543210\"}, "
                               "2]}, \"c\": {\"_type_\": \"decimal_str\", \"_data_\": \"1.10\"}, \"timestamp\": ") +
                        ts("2026-01-05T10:00:00+00:00") + "}"});
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].data, QByteArray("{\"a\":{\"_type_\":\"x\",\"other\":1},\"b\":[\"") + kStreamB +
                                     "\",2],\"c\":\"1.10\"}");
        QCOMPARE(events[0].time, *parseTime(u"2026-01-05T10:00:00Z"));
    }

    void textOriginatorIds()
    {
        // ORIGINATOR_ID_TYPE=text: ids are kept as written.
        const QString path = m_dir.filePath(QStringLiteral("text-ids.sqlite"));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QStringLiteral("order-42"), qint64(1), QStringLiteral("app:Order.Created"),
                    QByteArray(R"({"timestamp":)" + ts("2026-01-05T10:00:00+00:00") + "}")});
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QString::fromLatin1(kIdA).toUpper(), qint64(1), QStringLiteral("app:Order.Created"), QByteArray("{}")});
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        EventQuery q;
        q.stream = QStringLiteral("01234567-89AB-CDEF-0123-456789ABCDEF");
        QCOMPARE(reader->readAll(q).size(), 0); // a text id in capitals is shown and found as written, only so
        q.stream = QString::fromLatin1(kStreamA);
        QCOMPARE(reader->readAll(q).size(), 0);
        q.stream = QString::fromLatin1(kIdA).toUpper();
        QCOMPARE(reader->readAll(q).size(), 1);
        QCOMPARE(reader->streams().value(0).stream, QString::fromLatin1(kIdA).toUpper());
        q.stream = QStringLiteral("order-42");
        const QList<Event> events = reader->readAll(q, &error);
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].stream, QStringLiteral("order-42"));
        QCOMPARE(events[0].data, QByteArray("{}"));
    }

    // eventsourcing compares originator ids as text: ids that differ only by case are two aggregates, and so two
    // streams here, whether they are hex UUIDs or the application's own text ids.
    void idsDifferingOnlyByCase_data()
    {
        QTest::addColumn<QString>("lower");
        QTest::addColumn<QString>("upper");
        QTest::addColumn<QString>("lowerName"); // the name the lowercase id is shown under
        QTest::newRow("hex uuid") << QString::fromLatin1(kIdA) << QString::fromLatin1(kIdA).toUpper()
                                  << QString::fromLatin1(kStreamA);
        QTest::newRow("mixed-case hex") << QString::fromLatin1(kIdB) << QStringLiteral("FEDCBA9876543210fedcba9876543210")
                                        << QString::fromLatin1(kStreamB);
        QTest::newRow("dashed uuid text ids") << QString::fromLatin1(kStreamA) << QString::fromLatin1(kStreamA).toUpper()
                                              << QString::fromLatin1(kStreamA);
        QTest::newRow("text ids") << QStringLiteral("order-a") << QStringLiteral("Order-A") << QStringLiteral("order-a");
    }

    void idsDifferingOnlyByCase()
    {
        QFETCH(QString, lower);
        QFETCH(QString, upper);
        QFETCH(QString, lowerName);
        const QString path = m_dir.filePath(QStringLiteral("case-%1.sqlite").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            for (int v = 1; v <= 3; ++v)
                db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                       {lower, qint64(v), QStringLiteral("app:Lower.Happened"), QByteArray(R"({"who":"lower"})")});
            for (int v = 1; v <= 2; ++v)
                db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                       {upper, qint64(v), QStringLiteral("app:Upper.Happened"), QByteArray(R"({"who":"upper"})")});
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<StreamInfo> streams = reader->streams();
        QCOMPARE(streams.size(), 2);
        QStringList names{streams[0].stream, streams[1].stream};
        QVERIFY2(names.contains(lowerName) && names.contains(upper), qPrintable(names.join(u' ')));
        for (const StreamInfo& s : streams)
            QCOMPARE(s.events, s.stream == upper ? 2 : 3);
        EventQuery q;
        q.stream = lowerName;
        const QList<Event> lowers = reader->readAll(q, &error);
        QCOMPARE(lowers.size(), 3);
        for (const Event& e : lowers) {
            QCOMPARE(e.stream, lowerName);
            QCOMPARE(e.data, QByteArray(R"({"who":"lower"})"));
        }
        QCOMPARE(reader->count(q), 3);
        q.stream = upper;
        const QList<Event> uppers = reader->readAll(q, &error);
        QCOMPARE(uppers.size(), 2);
        for (const Event& e : uppers) {
            QCOMPARE(e.stream, upper);
            QCOMPARE(e.data, QByteArray(R"({"who":"upper"})"));
        }
        QCOMPARE(reader->count(q), 2);
        // Every event of a full read carries the name its own id maps to.
        for (const Event& e : reader->readAll({}, &error))
            QCOMPARE(e.stream, e.data.contains("upper") ? upper : lowerName);
    }

    void wrongSchema_data()
    {
        QTest::addColumn<QByteArray>("ddl");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing columns") << QByteArray("CREATE TABLE stored_events (originator_id TEXT, state BLOB)")
                                         << "lacks the column(s) originator_version, topic";
        QTest::newRow("without rowid") << QByteArray("CREATE TABLE stored_events (originator_id TEXT, originator_version "
                                                     "INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, "
                                                     "originator_version)) WITHOUT ROWID")
                                       << "WITHOUT ROWID table";
    }
    void wrongSchema()
    {
        QFETCH(QByteArray, ddl);
        QFETCH(QString, message);
        const QString path = m_dir.filePath(QStringLiteral("schema-%1.sqlite").arg(QTest::currentDataTag()));
        {
            FixtureDb db(path);
            db.exec(ddl);
        }
        QString error;
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(message) && error.contains(path), qPrintable(error));
    }

    void wrongColumnTypes()
    {
        const QString path = m_dir.filePath(QStringLiteral("types.sqlite"));
        {
            FixtureDb db(path);
            db.exec(kSchema);
            QList<StoredRow> stored = rows();
            for (const StoredRow& r : stored)
                db.run("INSERT INTO stored_events VALUES (?,?,?,?)", {r.id, r.version, r.topic, r.json});
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QString::fromLatin1(kIdB), QStringLiteral("three"), QStringLiteral("x:Y"), QByteArray("{}")});
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)", {QVariant(), qint64(9), QStringLiteral("x:Y"), QByteArray("{}")});
            db.run("INSERT INTO stored_events VALUES (?,?,?,?)",
                   {QString::fromLatin1(kIdB), qint64(4), QVariant(), QVariant()}); // NULL topic and state
        }
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 6);
        QCOMPARE(diffEvents(events.mid(0, 5), m_expected), QString());
        QCOMPARE(events[5].position, qint64(8));
        QCOMPARE(events[5].dataIsJson, false);
        QCOMPARE(events[5].type, QString());
        const QString warnings = reader->info().warnings.join(u'\n');
        QVERIFY2(warnings.contains(QLatin1String("2 row(s) of stored_events are not shown")), qPrintable(warnings));
        QCOMPARE(reader->streams().size(), 2);
    }

    void sourceFileUnchanged()
    {
        const QString dir = m_dir.filePath(QStringLiteral("untouched"));
        QVERIFY(QDir().mkpath(dir));
        const QString path = dir + QLatin1String("/app.sqlite");
        QVERIFY(QFile::copy(m_paths.value(QStringLiteral("zlib+aes-192")), path));
        const QByteArray before = fileDigest(path);
        const QStringList folderBefore = folderState(dir);
        {
            QString error;
            auto reader = openEventsourcingSqlite(path, keyFor(24).toBase64(), &error);
            QVERIFY2(reader, qPrintable(error));
            reader->info();
            EventQuery q;
            q.types = {QStringLiteral("Paid")};
            q.since = 1;
            QCOMPARE(reader->readAll(q).size(), 1);
            auto clone = reader->clone(&error);
            QVERIFY(clone);
            clone->streams();
        }
        QCOMPARE(fileDigest(path), before);
        QCOMPARE(folderState(dir), folderBefore); // no -wal/-shm appeared next to the WAL-mode file
    }
};

QTEST_GUILESS_MAIN(TstLayoutsEventsourcing)
#include "tst_layouts_eventsourcing.moc"
