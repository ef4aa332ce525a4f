// The native store file: schema and versioning, every EventReader query against the MemoryReader
// oracle, stream summaries, checkpoints, the writer's partial-file discipline, append mode, and bad files.
#include "json/mergepatch.h"
#include "sources/sourceregistry.h"
#include "store/memoryreader.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include "fixtures/unreadablecheck.h"

#include <sqlite3.h>
#include <algorithm>
#include <limits>
#include <optional>
#include <unistd.h>

using namespace chronoscope;

Q_DECLARE_METATYPE(chronoscope::EventQuery)

namespace {

const TimeMs kT0 = 1767607200000; // 2026-01-05T10:00:00Z

// A deterministic mix: interleaved streams of different lengths, some events without time, ids,
// metadata, a non-JSON payload, and types shared across streams.
QList<Event> sampleEvents(int n = 600)
{
    const QStringList streams{"order-1", "order-2", "payment-1", "shipment-7", "inventory-x", "order-3", "long-1"};
    const QStringList types{"Created", "Updated", "Paid", "Shipped"};
    QHash<QString, qint64> nextVersion;
    QList<Event> out;
    quint32 seed = 12345;
    auto rnd = [&seed]() {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 16) & 0x7fff;
    };
    for (int i = 0; i < n; ++i) {
        Event e;
        // Half of all events go to long-1 so it gets checkpoints.
        e.stream = (i % 2 == 0) ? QStringLiteral("long-1") : streams[rnd() % (streams.size() - 1)];
        e.version = nextVersion[e.stream]++;
        e.type = types[rnd() % types.size()];
        e.time = (i % 37 == 5) ? kNoTime : kT0 + i * 1000 + (rnd() % 500);
        e.id = (i % 11 == 0) ? QString() : QStringLiteral("id-%1").arg(i);
        e.data = QStringLiteral(R"({"n":%1,"k%2":"v","nested":{"a":%3}})").arg(i).arg(i % 5).arg(rnd() % 9).toUtf8();
        if (i % 53 == 7) {
            e.data = R"("not json \u00e9")";
            e.dataIsJson = false;
        }
        e.metadata = (i % 3 == 0) ? QByteArray("{}") : QStringLiteral(R"({"correlationId":"c-%1"})").arg(i % 17).toUtf8();
        out.append(e);
    }
    // A stream whose versions start below zero: version bounds must still cut exactly.
    for (qint64 v = -3; v <= 2; ++v) {
        Event e;
        e.stream = QStringLiteral("negative");
        e.version = v;
        e.type = QStringLiteral("Created");
        e.time = kT0 + 700000 + v;
        e.data = QStringLiteral(R"({"v":%1})").arg(v).toUtf8();
        out.append(e);
    }
    // Positions 1..n with a gap in the middle, as a source's global positions may have.
    for (int i = 0; i < out.size(); ++i)
        out[i].position = i < n / 2 ? i + 1 : i + 101;
    return out;
}

QByteArray canon(const QList<Event>& events)
{
    QByteArray out;
    for (const Event& e : events)
        out += e.toCanonicalJson() + '\n';
    return out;
}

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

bool writeStore(const QString& path, const QList<Event>& events, StoreWriter::Options o = {}, QString* error = nullptr)
{
    QString err;
    auto w = StoreWriter::create(path, o, &err);
    if (!w) {
        if (error)
            *error = err;
        return false;
    }
    for (const Event& e : events)
        if (!w->append(e, &err)) {
            if (error)
                *error = err;
            return false;
        }
    return w->finish(error);
}

QStringList sqlColumn(const QString& path, const char* sql)
{
    sqlite3* db = nullptr;
    QStringList out;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK)
            while (sqlite3_step(st) == SQLITE_ROW)
                out << QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

QByteArray foldMerge(const QList<Event>& events, const QString& stream, qint64 upToVersion)
{
    QJsonValue state = QJsonObject();
    for (const Event& e : events)
        if (e.stream == stream && e.version <= upToVersion)
            applyMergePatch(state, parseJsonValue(e.data));
    return toJsonText(state);
}

/// Run by unreadableFile(), directly or as an unprivileged child process: an unreadable store file is
/// refused with a message naming it, by the store reader and by openSource().
QString unreadableStoreCheck(const QString& path)
{
    QString err;
    if (SqliteStoreReader::open(path, &err))
        return QStringLiteral("the store reader opened %1").arg(path);
    if (!err.contains(QLatin1String("cannot be read")) || !err.contains(path))
        return QStringLiteral("store reader: %1").arg(err);
    if (openSource(path, {}, &err))
        return QStringLiteral("openSource opened %1").arg(path);
    if (!err.contains(QLatin1String("cannot be read")) || !err.contains(path))
        return QStringLiteral("openSource: %1").arg(err);
    return {};
}

} // namespace

class TstStore : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_store;
    QList<Event> m_events;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_events = sampleEvents();
        m_store = m_dir.filePath("sample.chronoscope");
        StoreWriter::Options o;
        o.checkpointEvery = 100;
        o.meta.insert("source_uri", "postgresql://alice:s3cret@db.example/shop?password=hunter2");
        o.meta.insert("scope", "all");
        QString err;
        QVERIFY2(writeStore(m_store, m_events, o, &err), qPrintable(err));
    }

    void schemaAndVersion()
    {
        QCOMPARE(sqlColumn(m_store, "PRAGMA user_version"), QStringList{"2"});
        const QStringList tables = sqlColumn(m_store, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        QCOMPARE(tables, (QStringList{"checkpoints", "events", "issues", "meta", "streams", "timeline_bins", "types"}));
        const QStringList indexes = sqlColumn(m_store, "SELECT name FROM sqlite_master WHERE type='index' AND name "
                                                       "NOT LIKE 'sqlite_%' ORDER BY name");
        QCOMPARE(indexes, (QStringList{"events_stream_version", "events_time", "streams_listing"}));
        QCOMPARE(sqlColumn(m_store, "PRAGMA journal_mode"), QStringList{"delete"});
        // Streams and types are referenced by integer ids.
        QCOMPARE(sqlColumn(m_store, "SELECT DISTINCT typeof(stream) || typeof(type) FROM events"), QStringList{"integerinteger"});

        QString err;
        auto r = SqliteStoreReader::open(m_store, &err);
        QVERIFY2(r, qPrintable(err));
        const auto meta = r->meta();
        QCOMPARE(meta.value("format"), QStringLiteral("chronoscope"));
        QCOMPARE(meta.value("schema_version"), QStringLiteral("2"));
        QCOMPARE(meta.value("scope"), QStringLiteral("all"));
        QVERIFY(!meta.value("created_at").isEmpty());
        QVERIFY(meta.value("source_uri").contains("db.example"));
        QVERIFY2(!meta.value("source_uri").contains("s3cret"), qPrintable(meta.value("source_uri")));
        QVERIFY2(!meta.value("source_uri").contains("hunter2"), qPrintable(meta.value("source_uri")));
    }

    void queries_data()
    {
        QTest::addColumn<EventQuery>("query");
        auto row = [](const char* name, auto f) {
            EventQuery q;
            f(q);
            QTest::newRow(name) << q;
        };
        row("all", [](EventQuery&) {});
        row("backward", [](EventQuery& q) { q.backward = true; });
        row("limit", [](EventQuery& q) { q.limit = 17; });
        row("limit 0", [](EventQuery& q) { q.limit = 0; });
        row("backward limit", [](EventQuery& q) { q.backward = true; q.limit = 9; });
        row("stream", [](EventQuery& q) { q.stream = "order-2"; });
        row("stream backward", [](EventQuery& q) { q.stream = "long-1"; q.backward = true; });
        row("stream versions", [](EventQuery& q) { q.stream = "long-1"; q.fromVersion = 100; q.toVersion = 160; });
        row("stream to version", [](EventQuery& q) { q.stream = "long-1"; q.toVersion = 3; });
        row("negative versions", [](EventQuery& q) { q.stream = "negative"; });
        row("negative versions from 0", [](EventQuery& q) { q.stream = "negative"; q.fromVersion = 0; q.toVersion = 1; });
        row("negative versions from -2", [](EventQuery& q) { q.stream = "negative"; q.fromVersion = -2; });
        row("unknown stream", [](EventQuery& q) { q.stream = "nope"; });
        row("one type", [](EventQuery& q) { q.types = {"Paid"}; });
        row("two types", [](EventQuery& q) { q.types = {"Paid", "Shipped"}; });
        row("unknown type", [](EventQuery& q) { q.types = {"Nope"}; });
        row("known and unknown type", [](EventQuery& q) { q.types = {"Nope", "Created"}; });
        row("positions", [](EventQuery& q) { q.fromPosition = 250; q.toPosition = 420; });
        row("positions in gap", [](EventQuery& q) { q.fromPosition = 301; q.toPosition = 400; });
        row("from position", [](EventQuery& q) { q.fromPosition = 590; });
        row("since", [](EventQuery& q) { q.since = kT0 + 100000; });
        row("until", [](EventQuery& q) { q.until = kT0 + 50000; });
        row("time window", [](EventQuery& q) { q.since = kT0 + 20000; q.until = kT0 + 90000; });
        row("everything", [](EventQuery& q) {
            q.stream = "long-1"; q.types = {"Created", "Paid"}; q.fromPosition = 20; q.toPosition = 500;
            q.fromVersion = 5; q.toVersion = 200; q.since = kT0 + 10000; q.until = kT0 + 400000; q.limit = 30;
        });
        row("everything backward", [](EventQuery& q) {
            q.stream = "long-1"; q.types = {"Created", "Paid"}; q.fromPosition = 20; q.toPosition = 500;
            q.since = kT0 + 10000; q.limit = 30; q.backward = true;
        });
    }
    void queries()
    {
        QFETCH(EventQuery, query);
        MemoryReader oracle(m_events);
        QString err;
        auto r = SqliteStoreReader::open(m_store, &err);
        QVERIFY2(r, qPrintable(err));
        const QList<Event> expected = oracle.readAll(query);
        const QList<Event> got = r->readAll(query, &err);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        QCOMPARE(got.size(), expected.size());
        QCOMPARE(canon(got), canon(expected));
        QCOMPARE(r->count(query, &err), oracle.count(query));
        // The same through a clone, as a worker thread would read.
        auto c = r->clone(&err);
        QVERIFY2(c, qPrintable(err));
        QCOMPARE(canon(c->readAll(query)), canon(expected));
    }

    void eventAtAndEarlyStop()
    {
        QString err;
        auto r = SqliteStoreReader::open(m_store, &err);
        QVERIFY(r);
        MemoryReader oracle(m_events);
        for (qint64 p : {qint64(1), qint64(300), qint64(301), qint64(350), qint64(401), qint64(700), qint64(701)}) {
            const auto a = r->eventAt(p), b = oracle.eventAt(p);
            QCOMPARE(a.has_value(), b.has_value());
            if (a)
                QCOMPARE(a->toCanonicalJson(), b->toCanonicalJson());
        }
        int seen = 0;
        QVERIFY(r->read({}, [&seen](const Event&) { return ++seen < 5; }));
        QCOMPARE(seen, 5);
    }

    void summary()
    {
        QString err;
        auto r = SqliteStoreReader::open(m_store, &err);
        QVERIFY(r);
        MemoryReader oracle(m_events);
        const auto a = r->streams(), b = oracle.streams();
        QCOMPARE(a.size(), b.size());
        for (int i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].stream, b[i].stream);
            QCOMPARE(a[i].events, b[i].events);
            QCOMPARE(a[i].firstVersion, b[i].firstVersion);
            QCOMPARE(a[i].lastVersion, b[i].lastVersion);
            QCOMPARE(a[i].firstPosition, b[i].firstPosition);
            QCOMPARE(a[i].lastPosition, b[i].lastPosition);
            QCOMPARE(a[i].firstTime, b[i].firstTime);
            QCOMPARE(a[i].lastTime, b[i].lastTime);
        }
        const StoreInfo si = r->info(), so = oracle.info();
        QCOMPARE(si.layout, QStringLiteral("chronoscope"));
        QCOMPARE(si.location, m_store);
        QCOMPARE(si.events, so.events);
        QCOMPARE(si.streams, so.streams);
        QCOMPARE(si.firstPosition, so.firstPosition);
        QCOMPARE(si.lastPosition, so.lastPosition);
        QCOMPARE(si.firstTime, so.firstTime);
        QCOMPARE(si.lastTime, so.lastTime);
        QVERIFY(si.timeKnown);
        QVERIFY(si.warnings.isEmpty());
    }

    // The listing one stream at a time (the CLI's streams): the same streams in the same order as streams(), from a
    // trusted summary and from a damaged one (recomputed from the events), and a sink that stops ends it.
    void forEachStreamMatchesStreams_data()
    {
        QTest::addColumn<QByteArray>("damage");
        QTest::newRow("summary") << QByteArray();
        QTest::newRow("damaged summary") << QByteArray("UPDATE streams SET events = events + 3 WHERE id = (SELECT max(id) FROM streams)");
    }

    void forEachStreamMatchesStreams()
    {
        QFETCH(QByteArray, damage);
        QString path = m_store;
        if (!damage.isEmpty()) {
            path = m_dir.filePath(QStringLiteral("listing-damaged.chronoscope"));
            QVERIFY(writeStore(path, m_events));
            sqlite3* db = nullptr;
            QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db, damage.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        const QList<StreamInfo> want = MemoryReader(m_events).streams();
        QList<StreamInfo> got;
        QVERIFY2(r->forEachStream([&](const StreamInfo& s) {
            got.append(s);
            return true;
        }, &err), qPrintable(err));
        QCOMPARE(got.size(), want.size());
        QVERIFY(want.size() > 3);
        for (qsizetype i = 0; i < got.size(); ++i) {
            QCOMPARE(got[i].stream, want[i].stream);
            QCOMPARE(got[i].events, want[i].events);
            QCOMPARE(got[i].firstVersion, want[i].firstVersion);
            QCOMPARE(got[i].lastVersion, want[i].lastVersion);
            QCOMPARE(got[i].firstPosition, want[i].firstPosition);
            QCOMPARE(got[i].lastPosition, want[i].lastPosition);
            QCOMPARE(got[i].firstTime, want[i].firstTime);
            QCOMPARE(got[i].lastTime, want[i].lastTime);
        }
        int seen = 0;
        QVERIFY(r->forEachStream([&](const StreamInfo&) { return ++seen < 3; }, &err));
        QCOMPARE(seen, 3);
        // The default (a reader without its own listing) walks streams(): same result.
        MemoryReader memory(m_events);
        int memorySeen = 0;
        QVERIFY(memory.forEachStream([&](const StreamInfo& s) { return s.stream == want[memorySeen++].stream; }));
        QCOMPARE(memorySeen, want.size());
    }

    void checkpoints()
    {
        QString err;
        auto r = SqliteStoreReader::open(m_store, &err);
        QVERIFY(r);
        // long-1 has 300 events (versions 0..299): checkpoints after every 100th, i.e. versions 99, 199, 299.
        QCOMPARE(sqlColumn(m_store, "SELECT c.version FROM checkpoints c JOIN streams s ON s.id=c.stream WHERE "
                                    "s.name='long-1' AND projection='merge' ORDER BY c.version"),
                 (QStringList{"99", "199", "299"}));
        // Short streams (<= 100 events) get none.
        QCOMPARE(sqlColumn(m_store, "SELECT COUNT(*) FROM checkpoints c JOIN streams s ON s.id=c.stream WHERE "
                                    "s.name!='long-1'"),
                 QStringList{"0"});
        for (qint64 v : {qint64(0), qint64(98), qint64(99), qint64(100), qint64(250), qint64(299), qint64(5000)}) {
            const auto cp = r->checkpointBefore("merge", "long-1", Point::atVersion(v));
            if (v < 99) {
                QVERIFY(!cp);
                continue;
            }
            QVERIFY(cp);
            QVERIFY(cp->version <= v);
            QVERIFY(cp->version > std::min<qint64>(v, 299) - 100);
            QCOMPARE(cp->stream, QStringLiteral("long-1"));
            QCOMPARE(cp->state, foldMerge(m_events, "long-1", cp->version));
        }
        // By position: the checkpoint's events all lie at or before the position.
        const auto byPos = r->checkpointBefore("merge", "long-1", Point::atPosition(450));
        QVERIFY(byPos);
        QVERIFY(byPos->position <= 450);
        const auto next = r->checkpointBefore("merge", "long-1", Point::atVersion(byPos->version + 100));
        QVERIFY(next && next->position > 450);
        const auto byTime = r->checkpointBefore("merge", "long-1", Point::atTime(kT0 + 200000));
        QVERIFY(byTime && byTime->time <= kT0 + 200000);
        QCOMPARE(r->checkpointBefore("merge", "long-1", Point::end())->version, qint64(299));
        QVERIFY(!r->checkpointBefore("merge", "order-1", Point::end()));
        QVERIFY(!r->checkpointBefore("other", "long-1", Point::end()));
        QVERIFY(!r->checkpointBefore("merge", "no-such-stream", Point::end()));
    }

    void openingNeverWrites()
    {
        const QByteArray before = fileHash(m_store);
        const QDateTime mtime = QFileInfo(m_store).lastModified();
        {
            QString err;
            auto r = openSource(m_store, {}, &err);
            QVERIFY2(r, qPrintable(err));
            QCOMPARE(r->info().layout, QStringLiteral("chronoscope"));
            r->streams();
            r->readAll({});
            r->count({});
            r->checkpointBefore("merge", "long-1", Point::end());
            auto c = r->clone();
            QVERIFY(c);
        }
        QCOMPARE(fileHash(m_store), before);
        QCOMPARE(QFileInfo(m_store).lastModified(), mtime);
        const QStringList files = QDir(m_dir.path()).entryList(QDir::Files);
        for (const QString& f : files)
            QVERIFY2(!f.endsWith("-journal") && !f.endsWith("-wal") && !f.endsWith("-shm"), qPrintable(f));
    }

    void emptyStore()
    {
        const QString path = m_dir.filePath("empty.chronoscope");
        QString err;
        QVERIFY2(writeStore(path, {}, {}, &err), qPrintable(err));
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        const StoreInfo s = r->info();
        QCOMPARE(s.events, 0);
        QCOMPARE(s.streams, 0);
        QVERIFY(r->streams().isEmpty());
        QVERIFY(r->readAll({}).isEmpty());
        QCOMPARE(r->count({}), 0);
    }

    void abortLeavesNothing_data()
    {
        QTest::addColumn<bool>("explicitAbort");
        QTest::newRow("abort()") << true;
        QTest::newRow("destroyed unfinished") << false;
    }
    void abortLeavesNothing()
    {
        QFETCH(bool, explicitAbort);
        const QString path = m_dir.filePath(QStringLiteral("aborted-%1.chronoscope").arg(explicitAbort));
        QString err;
        {
            auto w = StoreWriter::create(path, {}, &err);
            QVERIFY2(w, qPrintable(err));
            for (const Event& e : m_events)
                QVERIFY(w->append(e, &err));
            QVERIFY(w->commit(&err));
            // While writing, only the .partial exists: nothing that looks like a finished store.
            QVERIFY(!QFileInfo::exists(path));
            QVERIFY(QFileInfo::exists(path + ".partial"));
            if (explicitAbort)
                w->abort();
        }
        QVERIFY(!QFileInfo::exists(path));
        QVERIFY(!QFileInfo::exists(path + ".partial"));
    }

    // Bulk create folds the long streams' checkpoints on a second thread during the index build, from rows read by
    // the positions logged during the load; the connection path (bulk off: the index exists from the start) folds
    // them after. Both must write the same checkpoints table, byte for byte, whatever the events hold.
    void checkpointsFoldedDuringIndexBuild_data()
    {
        QTest::addColumn<QString>("events");
        QTest::addColumn<qint64>("logLimit");
        QTest::addColumn<qint64>("readLimit");
        QTest::addColumn<int>("foldedAside");  // long streams folded on the second thread (of 4; -1: 1 to 3)
        const qint64 noLimit = StoreWriter::kDefaultFoldReadLimit;
        QTest::newRow("in order") << "plain" << StoreWriter::kDefaultFoldLogLimit << noLimit << 4;
        QTest::newRow("versions with gaps, arriving backwards") << "gaps" << StoreWriter::kDefaultFoldLogLimit << noLimit << 4;
        QTest::newRow("deletes, nulls, scalars, non-JSON") << "patches" << StoreWriter::kDefaultFoldLogLimit << noLimit << 4;
        // The log fills after 900 events: it is given back at once (a load that big does not hold it to the end),
        // and every long stream folds after the index build.
        QTest::newRow("log full during the load") << "plain" << qint64(900) << noLimit << 0;
        QTest::newRow("no log") << "plain" << qint64(0) << noLimit << 0;
        // Rows held for the second thread (copied during the load or read back) within a limit: none, or about a
        // long stream's worth (-1: the first long stream's data bytes): some long streams fold aside, not all.
        QTest::newRow("read limit 0") << "patches" << StoreWriter::kDefaultFoldLogLimit << qint64(0) << 0;
        QTest::newRow("read limit") << "patches" << StoreWriter::kDefaultFoldLogLimit << qint64(-1) << -1;
    }
    void checkpointsFoldedDuringIndexBuild()
    {
        QFETCH(QString, events);
        QFETCH(qint64, logLimit);
        QFETCH(qint64, readLimit);
        QFETCH(int, foldedAside);
        // Four long streams (one only at the start, so it is complete when a short log fills), many short ones.
        QList<Event> all;
        QHash<QString, qint64> next;
        quint32 seed = 7;
        auto rnd = [&seed]() {
            seed = seed * 1103515245u + 12345u;
            return (seed >> 16) & 0x7fff;
        };
        for (int i = 0; i < 4000; ++i) {
            Event e;
            const int pick = int(rnd() % 8);
            e.stream = i < 400 ? QStringLiteral("early") : pick < 3 ? QStringLiteral("long-%1").arg(pick)
                                                                    : QStringLiteral("short-%1").arg(rnd() % 500);
            if (events == "gaps")
                e.version = 100000 - 3 * next[e.stream]++;  // descending, every third version
            else
                e.version = next[e.stream]++;
            e.type = QStringLiteral("T%1").arg(i % 3);
            e.time = i % 13 == 4 ? kNoTime : kT0 + qint64(i) * 1000 - qint64(rnd() % 3000);
            e.data = QStringLiteral(R"({"n":%1,"k%2":{"a":%3,"b":[1,2]}})").arg(i).arg(i % 4).arg(rnd() % 9).toUtf8();
            if (events == "patches") {
                switch (i % 17) {
                case 1: e.data = R"({"k1":null,"n":1.50e3})"; break;          // delete a member; a number's text kept
                case 2: e.data = QByteArray(); break;                           // no data: folds as null
                case 3: e.data = "null"; break;                                  // tombstone: state becomes null
                case 4: e.data = "[1,{\"x\":null}]"; break;                     // an array replaces the state
                case 5: e.data = "\"text\""; break;                             // a scalar replaces it
                case 6: e.data = R"("not json \u00e9")"; e.dataIsJson = false; break;
                case 7: e.data = R"({"k2":{"a":null,"c":18446744073709551617}})"; break;  // nested delete, big integer
                default: break;
                }
            }
            e.position = i + 1 + (i > 2000 ? 50 : 0);  // a gap in the positions
            all.append(e);
        }
        if (readLimit < 0) {
            readLimit = 0;
            for (const Event& e : all)
                if (e.stream == "early")
                    readLimit += e.data.size() + 64;  // and about the bookkeeping of a row
        }
        auto write = [&](const QString& path, bool bulk, qint64* aside) {
            StoreWriter::Options o;
            o.bulk = bulk;
            o.checkpointEvery = 50;
            QString err;
            auto w = StoreWriter::create(path, o, &err, true);
            QVERIFY2(w, qPrintable(err));
            w->setCheckpointFoldLimits(logLimit, readLimit);
            for (const Event& e : all)
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
            *aside = w->checkpointStreamsFoldedDuringIndexBuild();
        };
        const QString threaded = m_dir.filePath(QStringLiteral("fold-aside.chronoscope"));
        const QString connection = m_dir.filePath(QStringLiteral("fold-connection.chronoscope"));
        qint64 asideThreaded = -1, asideConnection = -1;
        write(threaded, true, &asideThreaded);
        write(connection, false, &asideConnection);
        if (foldedAside < 0)
            QVERIFY2(asideThreaded >= 1 && asideThreaded <= 3, qPrintable(QString::number(asideThreaded)));
        else
            QCOMPARE(asideThreaded, qint64(foldedAside));
        QCOMPARE(asideConnection, qint64(0));
        const char* dump = "SELECT c.projection || ' ' || s.name || ' ' || c.version || ' ' || c.position || ' ' || "
                           "ifnull(c.time, 'null') || ' ' || hex(c.state) FROM checkpoints c JOIN streams s "
                           "ON s.id = c.stream ORDER BY s.name, c.version";
        const QStringList a = sqlColumn(threaded, dump), b = sqlColumn(connection, dump);
        QCOMPARE(sqlColumn(threaded, "SELECT count(DISTINCT stream) FROM checkpoints"), QStringList{"4"});
        QVERIFY(a.size() >= 30);  // 8 for early, about 9 for each other long stream
        QCOMPARE(a, b);
        // And the state is the fold of the events up to the checkpoint's version (the test's own fold, in version order).
        QList<Event> byVersion = all;
        std::stable_sort(byVersion.begin(), byVersion.end(), [](const Event& x, const Event& y) { return x.version < y.version; });
        const QStringList early = sqlColumn(threaded, "SELECT c.version || ' ' || CAST(c.state AS TEXT) FROM checkpoints c "
                                                      "JOIN streams s ON s.id = c.stream WHERE s.name = 'early'");
        QVERIFY(!early.isEmpty());
        for (const QString& row : early) {
            const qsizetype space = row.indexOf(' ');
            QCOMPARE(row.mid(space + 1).toUtf8(), foldMerge(byVersion, "early", row.left(space).toLongLong()));
        }
    }

    void timeIndexDuringBulkLoad_data()
    {
        QTest::addColumn<QString>("order");
        QTest::addColumn<bool>("keptDuringLoad");
        // In order (and jittered within a few hundred events): the index is kept from the start; shuffled or
        // newest first: dropped at the first check (16,384 timed events) and built by finish() instead.
        QTest::newRow("in order") << "ascending" << true;
        QTest::newRow("jittered") << "jitter" << true;
        QTest::newRow("shuffled") << "shuffled" << false;
        QTest::newRow("newest first") << "descending" << false;
    }
    void timeIndexDuringBulkLoad()
    {
        QFETCH(QString, order);
        QFETCH(bool, keptDuringLoad);
        const int n = 20000;
        std::vector<TimeMs> times(static_cast<size_t>(n));
        quint32 seed = 99;
        auto rnd = [&seed]() {
            seed = seed * 1103515245u + 12345u;
            return (seed >> 16) & 0x7fff;
        };
        for (int i = 0; i < n; ++i)
            times[size_t(i)] = kT0 + qint64(i) * 1000;
        if (order == "jitter")
            for (TimeMs& t : times)
                t += qint64(rnd() % 200) * 1000;  // up to 200 events back
        else if (order == "descending")
            std::reverse(times.begin(), times.end());
        else if (order == "shuffled")
            for (int i = n - 1; i > 0; --i)
                std::swap(times[size_t(i)], times[size_t((rnd() << 15 | rnd()) % quint32(i + 1))]);
        const QString path = m_dir.filePath(QStringLiteral("timeindex-%1.chronoscope").arg(order));
        QString err;
        auto w = StoreWriter::create(path, {}, &err, true);
        QVERIFY2(w, qPrintable(err));
        QVERIFY(w->timeIndexKeptDuringLoad());
        for (int i = 0; i < n; ++i) {
            Event e;
            e.stream = QStringLiteral("s-%1").arg(i % 7);
            e.version = i / 7;
            e.type = QStringLiteral("T");
            e.time = i % 101 == 3 ? kNoTime : times[size_t(i)];  // untimed events go in too
            e.data = "{}";
            QVERIFY2(w->append(e, &err), qPrintable(err));
        }
        QCOMPARE(w->timeIndexKeptDuringLoad(), keptDuringLoad);
        QVERIFY2(w->finish(&err), qPrintable(err));
        // The same schema either way, and the index holds exactly the table's rows in (time, position) order.
        QCOMPARE(sqlColumn(path, "SELECT name FROM sqlite_master WHERE type='index' AND name NOT LIKE 'sqlite_%' "
                                 "ORDER BY name"),
                 (QStringList{"events_stream_version", "events_time", "streams_listing"}));
        QCOMPARE(sqlColumn(path, "SELECT sql FROM sqlite_master WHERE name='events_time'"),
                 QStringList{"CREATE INDEX events_time ON events(time)"});
        QCOMPARE(sqlColumn(path, "PRAGMA integrity_check"), QStringList{"ok"});
        const QStringList byIndex = sqlColumn(path, "SELECT position FROM events INDEXED BY events_time WHERE time >= 0 "
                                                    "ORDER BY time, position");
        const QStringList byTable = sqlColumn(path, "SELECT position FROM events NOT INDEXED WHERE time >= 0 "
                                                    "ORDER BY time, position");
        QCOMPARE(byIndex.size(), n - (n + 97) / 101);
        QCOMPARE(byIndex, byTable);
        QCOMPARE(sqlColumn(path, "SELECT count(*) FROM events INDEXED BY events_time WHERE time IS NULL"),
                 QStringList{QString::number((n + 97) / 101)});
    }

    void streamVersionIndexFromLog_data()
    {
        QTest::addColumn<QString>("versions");
        QTest::addColumn<qint64>("logLimit");
        QTest::addColumn<qint64>("cacheLimit");
        QTest::addColumn<bool>("bulk");
        QTest::addColumn<bool>("fromLog");
        const qint64 logAll = StoreWriter::kDefaultFoldLogLimit, cacheAll = StoreWriter::kDefaultStreamCacheLimit;
        QTest::newRow("in order") << "ordered" << logAll << cacheAll << true << true;
        // Versions backwards, with gaps, negative and at both ends of the range: those streams are sorted by version.
        QTest::newRow("versions out of order") << "mixed" << logAll << cacheAll << true << true;
        // Streams written out of a 16-stream cache and read back by name keep their ids.
        QTest::newRow("streams spilled from the cache") << "ordered" << logAll << qint64(16) << true << true;
        // Streams with gaps fill that cache: the index is built during the load and checks duplicates from there.
        QTest::newRow("gaps fill the cache") << "mixed" << logAll << qint64(16) << true << false;
        // A log that filled during the load: CREATE INDEX, as before.
        QTest::newRow("log full") << "mixed" << qint64(500) << cacheAll << true << false;
        // Not a bulk load: the index exists from the start.
        QTest::newRow("not bulk") << "mixed" << logAll << cacheAll << false << false;
        // SQLite refuses the schema swap (defensive mode): the table goes, CREATE INDEX builds the same index.
        QTest::newRow("swap refused") << "mixed" << logAll << cacheAll << true << false;
    }
    void streamVersionIndexFromLog()
    {
        QFETCH(QString, versions);
        QFETCH(qint64, logLimit);
        QFETCH(qint64, cacheLimit);
        QFETCH(bool, bulk);
        QFETCH(bool, fromLog);
        const int n = 3000;
        QList<Event> all;
        QHash<int, qint64> count;
        quint32 seed = 11;
        auto rnd = [&seed]() {
            seed = seed * 1103515245u + 12345u;
            return (seed >> 16) & 0x7fff;
        };
        for (int i = 0; i < n; ++i) {
            const int k = int(rnd() % 97);
            const qint64 c = count[k]++;
            Event e;
            e.stream = QStringLiteral("s-%1").arg(k);
            e.type = QStringLiteral("T");
            e.time = kT0 + qint64(i) * 1000;
            e.data = "{}";
            e.position = i + 1 + (i >= 1500 ? 100 : 0);  // a gap in the positions
            e.version = c;
            if (versions == "mixed") {
                switch (k % 5) {
                case 1: e.version = 1000 - c; break;      // backwards
                case 2: e.version = c * 3 - 20; break;    // gaps, negative first
                case 3:                                   // the extremes of the range, then the middle
                    e.version = c == 0 ? std::numeric_limits<qint64>::max() : c == 1 ? std::numeric_limits<qint64>::min() : c;
                    break;
                case 4: e.version = (c % 2) ? c : 10000 - c; break;  // alternating
                default: break;
                }
            }
            all.append(e);
        }
        auto write = [&](const QString& path, bool bulkLoad, bool* usedLog) {
            StoreWriter::Options o;
            o.bulk = bulkLoad;
            QString err;
            auto w = StoreWriter::create(path, o, &err, true);
            QVERIFY2(w, qPrintable(err));
            w->setCheckpointFoldLimits(logLimit);
            w->setStreamCacheLimit(cacheLimit);
            if (QByteArrayView(QTest::currentDataTag()) == "swap refused")
                w->refuseIndexSwapForTests();
            for (const Event& e : all)
                QVERIFY2(w->append(e, &err), qPrintable(err));
            QVERIFY2(w->finish(&err), qPrintable(err));
            *usedLog = w->streamVersionIndexFromLog();
        };
        const QString path = m_dir.filePath(QStringLiteral("svlog.chronoscope"));
        const QString reference = m_dir.filePath(QStringLiteral("svlog-reference.chronoscope"));
        bool usedLog = false, referenceLog = true;
        write(path, bulk, &usedLog);
        write(reference, false, &referenceLog);
        QCOMPARE(usedLog, fromLog);
        QVERIFY(!referenceLog);
        QCOMPARE(sqlColumn(path, "PRAGMA integrity_check"), QStringList{"ok"});
        // The same schema as a store whose index SQLite kept from the start (every object, its table and its text).
        const char* schema = "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || ifnull(sql, '') FROM sqlite_master "
                             "WHERE name <> 'sqlite_stat1' ORDER BY name";
        QCOMPARE(sqlColumn(path, schema), sqlColumn(reference, schema));
        // The index holds exactly the table's rows, in (stream, version) order; the reference's are the same.
        const char* byIndex = "SELECT stream || ' ' || version || ' ' || position FROM events INDEXED BY "
                              "events_stream_version ORDER BY stream, version";
        const QStringList entries = sqlColumn(path, byIndex);
        QCOMPARE(entries.size(), n);
        QCOMPARE(entries, sqlColumn(path, "SELECT stream || ' ' || version || ' ' || position FROM events NOT INDEXED "
                                          "ORDER BY stream, version"));
        QCOMPARE(entries, sqlColumn(reference, byIndex));
        // The reader finds a stream's events through it, all of them.
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        EventQuery q;
        q.stream = QStringLiteral("s-3");  // versions at both ends of the range
        q.fromVersion = std::numeric_limits<qint64>::min();
        const QList<Event> got = r->readAll(q, &err);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        QList<Event> expected;
        for (const Event& e : all)
            if (e.stream == q.stream)
                expected.append(e);
        QCOMPARE(got.size(), expected.size());  // in position order
        for (qsizetype i = 0; i < got.size(); ++i)
            QCOMPARE(got[i].position, expected[i].position);
        r.reset();
        // And it is unique: a second event at a stream's existing version is refused by SQLite itself.
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        char* msg = nullptr;
        const int rc = sqlite3_exec(db, "INSERT INTO events(position, stream, version, type) SELECT 100000, stream, "
                                        "version, type FROM events WHERE position = 7", nullptr, nullptr, &msg);
        const QString why = QString::fromUtf8(msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(db);
        QCOMPARE(rc, SQLITE_CONSTRAINT);
        QVERIFY2(why.contains(QLatin1String("UNIQUE")), qPrintable(why));
    }

    void refusesToOverwrite()
    {
        const QString path = m_dir.filePath("exists.chronoscope");
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("precious");
        }
        QString err;
        QVERIFY(!StoreWriter::create(path, {}, &err));
        QVERIFY2(err.contains("already exists"), qPrintable(err));
        QCOMPARE(fileHash(path), QCryptographicHash::hash("precious", QCryptographicHash::Sha256).toHex());
        auto w = StoreWriter::create(path, {}, &err, true);
        QVERIFY2(w, qPrintable(err));
        QVERIFY(w->append(m_events.first(), &err));
        QVERIFY2(w->finish(&err), qPrintable(err));
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        QCOMPARE(r->info().events, 1);
    }

    void duplicatesAndOrder_data()
    {
        QTest::addColumn<bool>("bulk");
        QTest::newRow("bulk") << true;
        QTest::newRow("indexed") << false;
    }
    void duplicatesAndOrder()
    {
        QFETCH(bool, bulk);
        const QString path = m_dir.filePath(QStringLiteral("dups-%1.chronoscope").arg(bulk));
        StoreWriter::Options o;
        o.bulk = bulk;
        QString err;
        auto w = StoreWriter::create(path, o, &err);
        QVERIFY(w);
        auto ev = [](const char* stream, qint64 version, qint64 position = 0) {
            Event e;
            e.stream = stream;
            e.version = version;
            e.position = position;
            e.type = "T";
            e.data = "{}";
            return e;
        };
        QVERIFY(w->append(ev("a", 0), &err));
        QVERIFY(w->append(ev("a", 1), &err));
        QVERIFY(!w->append(ev("a", 1), &err));
        QVERIFY(w->lastWasDuplicate());
        QVERIFY2(err.contains("already has version 1"), qPrintable(err));
        QVERIFY(w->append(ev("a", 5), &err));    // a gap
        QVERIFY(!w->append(ev("a", 0), &err));   // duplicate after the gap
        QVERIFY(w->lastWasDuplicate());
        QVERIFY(w->append(ev("a", 3), &err));    // out of order, but new
        QVERIFY(!w->append(ev("a", 5), &err));
        QVERIFY(w->lastWasDuplicate());
        QVERIFY(w->append(ev("b", 7, 100), &err));
        QVERIFY(!w->append(ev("b", 8, 100), &err));  // position must increase
        QVERIFY(!w->lastWasDuplicate());
        QVERIFY(w->append(ev("b", 8), &err));
        QVERIFY2(w->finish(&err), qPrintable(err));
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY(r);
        QList<qint64> positions, versions;
        for (const Event& e : r->readAll({})) {
            positions << e.position;
            versions << e.version;
        }
        QCOMPARE(positions, (QList<qint64>{1, 2, 3, 4, 100, 101}));
        QCOMPARE(versions, (QList<qint64>{0, 1, 5, 3, 7, 8}));
        QCOMPARE(r->count({}), 6);
    }

    // Versions and positions at the ends of qint64: never wrapped (UBSan), one refused event never fails
    // the store, and duplicates are still found after the extremes.
    void versionAndPositionLimits_data()
    {
        QTest::addColumn<bool>("bulk");
        QTest::newRow("bulk") << true;
        QTest::newRow("indexed") << false;
    }
    void versionAndPositionLimits()
    {
        QFETCH(bool, bulk);
        constexpr qint64 kMax = std::numeric_limits<qint64>::max(), kMin = std::numeric_limits<qint64>::min();
        const QString path = m_dir.filePath(QStringLiteral("limits-%1.chronoscope").arg(bulk));
        StoreWriter::Options o;
        o.bulk = bulk;
        QString err;
        auto w = StoreWriter::create(path, o, &err);
        QVERIFY(w);
        auto raw = [&](const char* stream, std::optional<qint64> version, qint64 position = 0) {
            StoreWriter::RawEvent e;
            e.stream = QByteArrayView(stream);
            e.hasVersion = version.has_value();
            e.version = version.value_or(0);
            e.position = position;
            e.type = QByteArrayView("T");
            err.clear();
            return w->appendRaw(e, &err);
        };
        using St = StoreWriter::Status;
        QCOMPARE(raw("a", kMax), St::Ok);
        // The next version of 2^63 - 1 does not exist: this event is refused, the writer goes on.
        const St next = raw("a", std::nullopt);
        QVERIFY2(next != St::Ok && next != St::Error, qPrintable(err));
        QVERIFY2(err.contains("largest version"), qPrintable(err));
        QCOMPARE(raw("a", kMin), St::Ok);
        QCOMPARE(raw("a", 0), St::Ok);          // between the extremes, but new
        QCOMPARE(raw("a", kMax), St::Duplicate);
        QCOMPARE(raw("a", kMin), St::Duplicate);
        QCOMPARE(raw("a", 0), St::Duplicate);
        QCOMPARE(raw("b", 5, kMax), St::Ok);     // the source's position 2^63 - 1
        const St after = raw("c", 0);          // no position after it
        QVERIFY2(after != St::Ok && after != St::Error, qPrintable(err));
        QVERIFY2(err.contains("largest position"), qPrintable(err));
        QVERIFY2(w->finish(&err), qPrintable(err));
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        QList<qint64> versions, positions;
        for (const Event& e : r->readAll({})) {
            versions << e.version;
            positions << e.position;
        }
        QCOMPARE(versions, (QList<qint64>{kMax, kMin, 0, 5}));
        QCOMPARE(positions, (QList<qint64>{1, 2, 3, kMax}));
        const QList<StreamInfo> streams = r->streams();
        QCOMPARE(streams.size(), 2);
        QCOMPARE(streams[0].firstVersion, kMin);
        QCOMPARE(streams[0].lastVersion, kMax);
        QCOMPARE(streams[0].events, 3);
    }

    void appendMode()
    {
        const QString path = m_dir.filePath("append.chronoscope");
        const QList<Event> first = m_events.mid(0, 400), second = m_events.mid(400);
        StoreWriter::Options o;
        o.checkpointEvery = 50;
        QString err;
        QVERIFY(writeStore(path, first, o, &err));
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY(reader);
        QCOMPARE(reader->info().events, 400);

        auto w = StoreWriter::openForAppend(path, &err);
        QVERIFY2(w, qPrintable(err));
        QCOMPARE(w->eventCount(), 400);
        for (int i = 0; i < second.size(); ++i) {
            QVERIFY2(w->append(second[i], &err), qPrintable(err));
            if (i == 99)
                QVERIFY(w->commit(&err));
        }
        Event extra;
        extra.stream = "brand-new";
        extra.type = "NewType";
        extra.data = R"({"x":1})";
        QVERIFY(w->append(extra, &err));
        QVERIFY(!w->append(first.first(), &err)); // already in the store: position not after the last
        Event dup = second.first();
        dup.position = 0;
        QVERIFY(!w->append(dup, &err));
        QVERIFY(w->lastWasDuplicate());
        QVERIFY(w->commit(&err));
        // A reader opened before the append sees the committed events and the new summary.
        QList<Event> all = m_events;
        extra.position = m_events.last().position + 1;
        extra.metadata = "{}";
        all << extra;
        MemoryReader oracle(all);
        QCOMPARE(canon(reader->readAll({})), canon(oracle.readAll({})));
        QCOMPARE(reader->info().events, oracle.info().events);
        QCOMPARE(reader->streams().size(), oracle.streams().size());
        EventQuery byType;
        byType.types = {"NewType"};
        QCOMPARE(reader->readAll(byType).size(), 1);
        QVERIFY2(w->finish(&err), qPrintable(err));
        // Checkpoints now cover the appended part of long-1 too.
        QCOMPARE(reader->checkpointBefore("merge", "long-1", Point::end())->version, qint64(299));
        QCOMPARE(reader->checkpointBefore("merge", "long-1", Point::end())->state, foldMerge(all, "long-1", 299));
        QVERIFY(SqliteStoreReader::open(path, &err)->meta().contains("updated_at"));
    }

    void manyStreamsAndLateNames()
    {
        // More streams than the reader looks up one by one: it switches to loading all names, and a stream
        // appended after that (live tail) is still named right.
        const QString path = m_dir.filePath("many.chronoscope");
        QList<Event> events;
        for (int i = 0; i < 1500; ++i) {
            Event e;
            e.stream = QStringLiteral("s-%1").arg(i % 700);
            e.version = i / 700;
            e.type = QStringLiteral("T%1").arg(i % 3);
            e.data = "{}";
            events << e;
        }
        QVERIFY(writeStore(path, events));
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        MemoryReader oracle(events);
        QCOMPARE(canon(r->readAll({})), canon(oracle.readAll({})));
        auto w = StoreWriter::openForAppend(path, &err);
        QVERIFY2(w, qPrintable(err));
        Event late;
        late.stream = "late-stream";
        late.type = "LateType";
        late.data = "{}";
        QVERIFY(w->append(late, &err));
        QVERIFY(w->commit(&err));
        EventQuery last;
        last.fromPosition = 1501;
        const auto got = r->readAll(last);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first().stream, QStringLiteral("late-stream"));
        QCOMPARE(got.first().type, QStringLiteral("LateType"));
        QVERIFY(w->finish(&err));
    }

    void appendRefusesForeignFiles()
    {
        const QString path = m_dir.filePath("foreign.sqlite");
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        sqlite3_exec(db, "CREATE TABLE events(x); INSERT INTO events VALUES(1);", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        const QByteArray before = fileHash(path);
        QString err;
        QVERIFY(!StoreWriter::openForAppend(path, &err));
        QVERIFY2(err.contains("only stores Chronoscope created"), qPrintable(err));
        QCOMPARE(fileHash(path), before);
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains("not a Chronoscope store") && err.contains("events"), qPrintable(err));
    }

    void unknownSqliteLayout()
    {
        // A SQLite file that is not a store: the native kind must not claim it, and the error lists its tables.
        const QString path = m_dir.filePath("unknown.sqlite");
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        sqlite3_exec(db, "CREATE TABLE customers(id); CREATE TABLE invoices(id);", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        const QByteArray before = fileHash(path);
        QString err;
        QVERIFY(!openSource(path, {}, &err));
        QVERIFY2(err.contains("customers") && err.contains("invoices"), qPrintable(err));
        // A native store missing one of its tables is not claimed either.
        const QString partial = m_dir.filePath("missing-table.chronoscope");
        QVERIFY(writeStore(partial, m_events.mid(0, 5)));
        QCOMPARE(sqlite3_open(QFile::encodeName(partial).constData(), &db), SQLITE_OK);
        sqlite3_exec(db, "DROP TABLE checkpoints;", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        QVERIFY(!SqliteStoreReader::open(partial, &err));
        QVERIFY2(err.contains("table 'checkpoints' is missing"), qPrintable(err));
        QCOMPARE(fileHash(path), before);
    }

    void badFiles_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text named .sqlite") << QByteArray("hello, I am not a database\n") << "not a SQLite database";
        QTest::newRow("empty") << QByteArray() << "empty";
        QTest::newRow("truncated header") << QByteArray("SQLite form") << "not a SQLite database";
    }
    void badFiles()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("bad-%1.sqlite").arg(QTest::currentDataTag()).replace(' ', '_'));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
        }
        QString err;
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains(expected) && err.contains(path), qPrintable(err));
        QVERIFY(!openSource(path, {}, &err));
        QVERIFY2(err.contains(path), qPrintable(err));
        QCOMPARE(QFileInfo(path).size(), content.size());
    }

    void newerSchemaIsRefused()
    {
        const QString path = m_dir.filePath("newer.chronoscope");
        QVERIFY(writeStore(path, m_events.mid(0, 10)));
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
        sqlite3_close(db);
        QString err;
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains("newer Chronoscope") && err.contains("99"), qPrintable(err));
    }

    void corruptPage()
    {
        const QString path = m_dir.filePath("corrupt.chronoscope");
        QList<Event> many;
        for (int i = 0; i < 5000; ++i) {
            Event e = m_events[i % m_events.size()];
            e.stream = QStringLiteral("s-%1").arg(i % 40);
            e.version = i / 40;
            e.position = 0;
            many << e;
        }
        QVERIFY(writeStore(path, many));
        const qint64 size = QFileInfo(path).size();
        // Scribble over a run of pages in the middle of the file, which the events table fills (the page size is
        // the writer's choice: read from the header, bytes 16-17 big-endian).
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            const QByteArray header = f.read(100);
            const qint64 pageSize = (uchar(header[16]) << 8) | uchar(header[17]);
            QVERIFY2(size > 20 * pageSize, qPrintable(QString::number(size)));
            f.seek((size / pageSize / 2) * pageSize);
            f.write(QByteArray(3 * pageSize, '\xa5'));
        }
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        if (!r) {
            QVERIFY2(err.contains("damaged") && err.contains(path), qPrintable(err));
            return;
        }
        bool ok = true;
        for (int round = 0; round < 2 && ok; ++round) {
            EventQuery q;
            q.backward = round == 1;
            err.clear();
            ok = r->read(q, [](const Event&) { return true; }, &err);
        }
        QVERIFY(!ok);
        QVERIFY2(err.contains("damaged") && err.contains(path), qPrintable(err));
    }

    void corruptHeaderPage()
    {
        const QString path = m_dir.filePath("corrupt-schema.chronoscope");
        QVERIFY(writeStore(path, m_events.mid(0, 50)));
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.seek(100);
            f.write(QByteArray(3000, '\x5a'));
        }
        QString err;
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains(path) && (err.contains("damaged") || err.contains("not a")), qPrintable(err));
        QVERIFY(!openSource(path, {}, &err));
        QVERIFY2(err.contains(path), qPrintable(err));
    }

    // A file with the native tables whose schema Chronoscope never writes: a view standing in for a table, a
    // trigger, columns declared with other types. Opening it is refused with a message that says which.
    void craftedStores_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QString>("expected");
        QTest::newRow("events is a view") << QByteArray("ALTER TABLE events RENAME TO events_real; CREATE VIEW events AS "
                                                        "SELECT * FROM events_real;")
                                          << "'events' is a view, not a table";
        QTest::newRow("streams is a view over a function")
            << QByteArray("ALTER TABLE streams RENAME TO s0; CREATE VIEW streams AS SELECT id, name, events, "
                          "first_version, last_version, first_position, last_position, first_time, last_time FROM s0 "
                          "WHERE randomblob(1000000000) IS NOT NULL;")
            << "'streams' is a view, not a table";
        QTest::newRow("trigger on meta") << QByteArray("CREATE TRIGGER t_meta AFTER INSERT ON meta BEGIN SELECT 1; END;")
                                         << "trigger 't_meta' on 'meta'";
        QTest::newRow("trigger on events") << QByteArray("CREATE TRIGGER boom BEFORE DELETE ON events BEGIN "
                                                         "SELECT RAISE(ABORT, 'x'); END;")
                                           << "trigger 'boom' on 'events'";
        QTest::newRow("position declared TEXT")
            << QByteArray("ALTER TABLE events RENAME TO e0; CREATE TABLE events(position TEXT PRIMARY KEY, stream "
                          "INTEGER NOT NULL, version INTEGER NOT NULL, type INTEGER NOT NULL, time INTEGER, id TEXT, "
                          "data TEXT, metadata TEXT, flags INTEGER NOT NULL DEFAULT 0); INSERT INTO events SELECT * "
                          "FROM e0; DROP TABLE e0;")
            << "column events.position is declared TEXT, not INTEGER";
        QTest::newRow("untyped stream column")
            << QByteArray("ALTER TABLE events RENAME TO e0; CREATE TABLE events(position INTEGER PRIMARY KEY, stream, "
                          "version INTEGER NOT NULL, type INTEGER NOT NULL, time INTEGER, id TEXT, data TEXT, metadata "
                          "TEXT, flags INTEGER NOT NULL DEFAULT 0); INSERT INTO events SELECT * FROM e0; DROP TABLE e0;")
            << "column events.stream is declared without a type, not INTEGER";
        QTest::newRow("missing column") << QByteArray("ALTER TABLE issues DROP COLUMN line;")
                                        << "table 'issues' has no column 'line'";
    }

    void craftedStores()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("crafted-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        QVERIFY(writeStore(path, m_events.mid(0, 20)));
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        char* msg = nullptr;
        const int rc = sqlite3_exec(db, sql.constData(), nullptr, nullptr, &msg);
        const QString why = QString::fromUtf8(msg ? msg : "");
        sqlite3_free(msg);
        sqlite3_close(db);
        QVERIFY2(rc == SQLITE_OK, qPrintable(why));
        const QByteArray before = fileHash(path);
        QString err;
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains(path) && err.contains(QLatin1String("refused")) && err.contains(expected), qPrintable(err));
        err.clear();
        QVERIFY(!openSource(path, {}, &err)); // recognised as a native store, then refused with the same words
        QVERIFY2(err.contains(expected), qPrintable(err));
        QCOMPARE(fileHash(path), before);
    }

    // The summary table is believed only when it agrees with the events table; a damaged one is said so.
    void damagedSummary_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::newRow("negative count") << QByteArray("UPDATE streams SET events = -425 WHERE id = (SELECT min(id) FROM streams)");
        QTest::newRow("count too high") << QByteArray("UPDATE streams SET events = events + 7 WHERE id = (SELECT max(id) FROM streams)");
        QTest::newRow("summary row lost") << QByteArray("UPDATE streams SET events = 0, first_position = 0, last_position = 0 "
                                                        "WHERE id = (SELECT stream FROM events WHERE position = 1)");
        QTest::newRow("last position wrong") << QByteArray("UPDATE streams SET last_position = 99999");
    }

    void damagedSummary()
    {
        QFETCH(QByteArray, sql);
        const QString path = m_dir.filePath(QStringLiteral("summary-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        const QList<Event> events = m_events.mid(0, 60);
        QVERIFY(writeStore(path, events));
        MemoryReader truth(events);
        const StoreInfo want = truth.info();
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, sql.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        const StoreInfo got = r->info();
        QVERIFY2(got.warnings.join(u'\n').contains(QLatin1String("summary table disagrees")), qPrintable(got.warnings.join(u'\n')));
        QCOMPARE(got.events, want.events);
        QCOMPARE(got.firstPosition, want.firstPosition);
        QCOMPARE(got.lastPosition, want.lastPosition);
        QCOMPARE(got.streams, want.streams);
        // streams() and the whole-stream count() are recomputed too.
        const QList<StreamInfo> streams = r->streams();
        const QList<StreamInfo> wantStreams = truth.streams();
        QCOMPARE(streams.size(), wantStreams.size());
        for (qsizetype i = 0; i < streams.size(); ++i) {
            QCOMPARE(streams[i].stream, wantStreams[i].stream);
            QCOMPARE(streams[i].events, wantStreams[i].events);
            QCOMPARE(streams[i].lastPosition, wantStreams[i].lastPosition);
            EventQuery q;
            q.stream = streams[i].stream;
            QCOMPARE(r->count(q), wantStreams[i].events);
        }
    }

    // Rows whose ids are not integers or name nothing are reported, never dropped silently or shown with a
    // made-up stream: the read delivers the other events and fails with a message naming the first bad row.
    void badRows_data()
    {
        QTest::addColumn<QByteArray>("sql");
        QTest::addColumn<QString>("expected");
        QTest::newRow("stream id names no stream") << QByteArray("UPDATE events SET stream = 987654 WHERE position = 3")
                                                   << "stream id 987654 names no stream";
        QTest::newRow("stream id is text") << QByteArray("UPDATE events SET stream = 'abc' WHERE position = 3")
                                           << "its stream is the text 'abc', not an integer";
        QTest::newRow("stream id is real") << QByteArray("UPDATE events SET stream = stream + 0.5 WHERE position = 3")
                                           << "its stream is the real number";
        QTest::newRow("version is text") << QByteArray("UPDATE events SET version = 'v1' WHERE position = 3")
                                         << "its version is the text 'v1'";
        QTest::newRow("type id names no type") << QByteArray("UPDATE events SET type = 4242 WHERE position = 3")
                                               << "type id 4242 names no type";
        QTest::newRow("time is a blob") << QByteArray("UPDATE events SET time = x'0102' WHERE position = 3")
                                        << "its time is a blob of 2 bytes";
    }

    void badRows()
    {
        QFETCH(QByteArray, sql);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("badrow-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        const QList<Event> events = m_events.mid(0, 30);
        QVERIFY(writeStore(path, events));
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, sql.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
        QString err;
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        for (bool backward : {false, true}) {
            EventQuery q;
            q.backward = backward;
            QList<qint64> positions;
            err.clear();
            const bool ok = r->read(q, [&](const Event& e) { positions << e.position; return true; }, &err);
            QVERIFY(!ok);
            QVERIFY2(err.contains(path) && err.contains(QLatin1String("position 3")) && err.contains(expected) &&
                         err.contains(QLatin1String("1 row(s)")),
                     qPrintable(err));
            QCOMPARE(positions.size(), events.size() - 1); // every other event is read
            QVERIFY(!positions.contains(3));
        }
        QVERIFY2(r->info().warnings.join(u'\n').contains(expected), qPrintable(r->info().warnings.join(u'\n')));
    }

    void unreadableFile()
    {
        const QString path = m_dir.filePath("locked.chronoscope");
        QVERIFY(writeStore(path, m_events.mid(0, 10)));
        QVERIFY(QFile::setPermissions(path, QFileDevice::Permissions()));
        bool impossible = false;
        const QString failure = runUnreadableCheck(unreadableStoreCheck, path, m_dir.path(), &impossible);
        if (impossible)
            QSKIP("running as root without setpriv: an unreadable file cannot be produced");
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }
};

CHRONOSCOPE_UNREADABLE_MAIN(TstStore, unreadableStoreCheck)
#include "tst_store.moc"
