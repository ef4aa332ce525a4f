// Behaviours fixed after the libFuzzer harnesses (tests/fuzz, docs/fuzzing.md) found them. Each case here
// is the readable form of an input kept in tests/fuzz/regressions/<harness>/, which the fuzz stage of
// `.ci/dev test` replays under the sanitizers.
#include "import/importer.h"
#include "sources/sourceregistry.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>

#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace chronoscope;

namespace {

void execSql(const QString& path, const QByteArray& sql)
{
    sqlite3* db = nullptr;
    QVERIFY(sqlite3_open(path.toUtf8().constData(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.constData(), nullptr, nullptr, &err);
    const QByteArray msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, msg.constData());
}

// Sets the SQLite header's write and read version bytes (offsets 18 and 19; 2 = WAL).
void setVersionBytes(const QString& path, char writeVersion, char readVersion)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(18));
    const char bytes[2] = {writeVersion, readVersion};
    QVERIFY(f.write(bytes, 2) == 2);
}

/// Every file of a folder with its size and content hash.
QStringList folderState(const QString& dir)
{
    QStringList out;
    for (const QFileInfo& fi :
         QDir(dir).entryInfoList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name)) {
        QFile f(fi.filePath());
        f.open(QIODevice::ReadOnly);
        out << fi.fileName() + u' ' +
                   QString::fromLatin1(
                       QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha1).toHex());
    }
    return out;
}

} // namespace

class TstFuzzRegressions : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    // fuzz_sqlite, regressions/sqlite/emmett-null-global-position: an emt_messages table whose
    // global_position is not the INTEGER PRIMARY KEY (a crafted or damaged file) held rows without an integer
    // position; they were all shown at position 0, out of order. They must be left out and reported.
    void emmettRowsWithoutPosition_data()
    {
        QTest::addColumn<QByteArray>("badPosition");
        QTest::newRow("null") << QByteArray("NULL");
        QTest::newRow("text") << QByteArray("'seven'");
        QTest::newRow("real") << QByteArray("2.5");
        QTest::newRow("blob") << QByteArray("x'07'");
    }
    void emmettRowsWithoutPosition()
    {
        QFETCH(QByteArray, badPosition);
        const QString path = m_dir.filePath(QStringLiteral("emmett-%1.sqlite").arg(QTest::currentDataTag()));
        execSql(path,
                "CREATE TABLE emt_messages(global_position INTEGER, stream_id TEXT, stream_position BIGINT, "
                "message_type TEXT, message_data TEXT);"
                "INSERT INTO emt_messages VALUES (1, 'a-1', 1, 'Opened', '{\"n\":1}');"
                "INSERT INTO emt_messages VALUES (" +
                    badPosition +
                    ", 'a-1', 2, 'Bad', '{}');"
                    "INSERT INTO emt_messages VALUES (3, 'b-1', 1, 'Opened', '{\"n\":3}');");
        QString error;
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].position, qint64(1));
        QCOMPARE(events[1].position, qint64(3));
        QCOMPARE(reader->count({}, &error), qint64(2));
        const StoreInfo info = reader->info();
        QCOMPARE(info.events, qint64(2));
        const QString warnings = info.warnings.join(u'\n');
        QVERIFY2(warnings.contains(QLatin1String("1 row(s) of emt_messages are not shown")) &&
                     warnings.contains(QLatin1String("global_position")),
                 qPrintable(warnings));
        qint64 inStreams = 0;
        for (const StreamInfo& s : reader->streams())
            inStreams += s.events;
        QCOMPARE(inStreams, qint64(2));
    }

    // fuzz_sqlite, regressions/sqlite/native-types-index-mismatch: a type filter the cached type names did
    // not know was looked up with SQL; when SQL matched a row whose name is not the asked one (a damaged
    // index, or a NOCASE column in a crafted file) the reader dereferenced a missing hash entry (UBSan:
    // member access within null pointer; a crash in a release build). Types must match exactly.
    void nativeTypeFilterMatchesExactly_data()
    {
        QTest::addColumn<QStringList>("types");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("exact") << QStringList{QStringLiteral("Created")} << qint64(2);
        QTest::newRow("other case") << QStringList{QStringLiteral("CREATED")} << qint64(0);
        QTest::newRow("other case and exact")
            << QStringList{QStringLiteral("PAID"), QStringLiteral("Paid")} << qint64(1);
        QTest::newRow("unknown") << QStringList{QStringLiteral("Nope")} << qint64(0);
    }
    void nativeTypeFilterMatchesExactly()
    {
        QFETCH(QStringList, types);
        QFETCH(qint64, expected);
        const QString ndjson = m_dir.filePath(QStringLiteral("types.ndjson"));
        const QString path =
            m_dir.filePath(QStringLiteral("types-%1.chronoscope").arg(QTest::currentDataTag()));
        {
            QFile f(ndjson);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(R"({"stream":"a-1","type":"Created","version":0,"data":{}})"
                    "\n"
                    R"({"stream":"a-1","type":"Paid","version":1,"data":{}})"
                    "\n"
                    R"({"stream":"b-1","type":"Created","version":0,"data":{}})"
                    "\n");
        }
        ImportSummary summary;
        QString error;
        QVERIFY2(importFiles({ndjson}, path, {}, &summary, &error, true), qPrintable(error));
        // The same names, compared without case by SQL (the store's own schema compares them exactly).
        execSql(path, "ALTER TABLE types RENAME TO old_types;"
                      "CREATE TABLE types(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);"
                      "INSERT INTO types SELECT id, name FROM old_types; DROP TABLE old_types;");
        auto reader = openSource(path, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        EventQuery q;
        q.types = types;
        const QList<Event> events = reader->readAll(q, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(qint64(events.size()), expected);
        for (const Event& e : events)
            QVERIFY2(types.contains(e.type), qPrintable(e.type));
        QCOMPARE(reader->count(q, &error), expected);
    }

    // fuzz_sqlite, regressions/sqlite/wal-read-version-only and native-wal: a file whose header says WAL in
    // the read version (byte 19) but not in the write version (byte 18) was opened without "immutable", so
    // SQLite created -wal and -shm files next to the user's file. Opening any store must leave its folder
    // as it was.
    void openingCreatesNothing_data()
    {
        QTest::addColumn<QString>("layout");
        QTest::addColumn<int>("writeVersion");
        QTest::addColumn<int>("readVersion");
        QTest::addColumn<int>("cutAt"); // keep only this many bytes (0: the whole file)
        QTest::newRow("emmett, read version 2 only") << QStringLiteral("emmett") << 1 << 2 << 0;
        QTest::newRow("emmett, WAL") << QStringLiteral("emmett") << 2 << 2 << 0;
        QTest::newRow("emmett, rollback journal") << QStringLiteral("emmett") << 1 << 1 << 0;
        // regressions/sqlite/short-wal-header: the check needed the whole 100-byte header, SQLite only
        // byte 19.
        QTest::newRow("35 bytes, read version 2") << QStringLiteral("emmett") << 2 << 2 << 35;
        QTest::newRow("20 bytes, read version 2") << QStringLiteral("emmett") << 2 << 2 << 20;
        // The native reader opened every file with a plain "?mode=ro" (found by the same harness once the
        // layouts were fixed): a store left in WAL mode by another tool got -wal and -shm files.
        QTest::newRow("native, WAL") << QStringLiteral("native") << 2 << 2 << 0;
        QTest::newRow("native, read version 2 only") << QStringLiteral("native") << 1 << 2 << 0;
        QTest::newRow("native, rollback journal") << QStringLiteral("native") << 1 << 1 << 0;
    }
    void openingCreatesNothing()
    {
        QFETCH(QString, layout);
        QFETCH(int, writeVersion);
        QFETCH(int, readVersion);
        QFETCH(int, cutAt);
        const QString dir =
            m_dir.filePath(QStringLiteral("untouched-%1").arg(QTest::currentDataTag()).replace(u' ', u'_'));
        QVERIFY(QDir().mkpath(dir));
        const QString path = dir + QStringLiteral("/store.sqlite");
        if (layout == QLatin1String("emmett")) {
            execSql(path, "CREATE TABLE emt_messages(global_position INTEGER PRIMARY KEY, stream_id TEXT, "
                          "stream_position BIGINT, message_type TEXT, message_data TEXT);"
                          "INSERT INTO emt_messages VALUES (1, 'a-1', 1, 'Opened', '{}');"
                          "INSERT INTO emt_messages VALUES (2, 'a-1', 2, 'Closed', '{}');"
                          "INSERT INTO emt_messages VALUES (3, 'b-1', 1, 'Opened', '{}');");
        }
        if (layout == QLatin1String("native")) {
            const QString ndjson = m_dir.filePath(QStringLiteral("untouched.ndjson"));
            QFile f(ndjson);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(R"({"stream":"a-1","type":"Opened","version":0,"data":{}})"
                    "\n"
                    R"({"stream":"a-1","type":"Closed","version":1,"data":{}})"
                    "\n"
                    R"({"stream":"b-1","type":"Opened","version":0,"data":{}})"
                    "\n");
            f.close();
            ImportSummary summary;
            QString error;
            QVERIFY2(importFiles({ndjson}, path, {}, &summary, &error, true), qPrintable(error));
        }
        setVersionBytes(path, char(writeVersion), char(readVersion));
        if (cutAt > 0) QVERIFY(QFile::resize(path, cutAt));
        const QStringList before = folderState(dir);
        if (cutAt > 0) {
            QString error;
            QVERIFY(!openSource(path, {}, &error));
            QVERIFY2(error.contains(path), qPrintable(error));
        } else {
            QString error;
            auto reader = openSource(path, {}, &error);
            QVERIFY2(reader, qPrintable(error));
            QCOMPARE(reader->readAll({}, &error).size(), 3);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(reader->info().events, qint64(3));
            auto copy = reader->clone(&error);
            QVERIFY2(copy, qPrintable(error));
            QCOMPARE(copy->streams().size(), 2);
        }
        QCOMPARE(folderState(dir), before);
    }

    // fuzz_sqlite, regressions/sqlite/native-position-not-rowid: a native store whose schema does not make
    // events.position (or streams.id, types.id) the INTEGER PRIMARY KEY is intact for SQLite, but its rows
    // hold NULL there: every event was read at position 0 (or under stream/type id 0). Such a file is refused
    // with a message naming the column.
    void nativeKeysMustBeRowids_data()
    {
        QTest::addColumn<QString>("table");
        QTest::addColumn<QString>("column");
        QTest::newRow("events.position") << QStringLiteral("events") << QStringLiteral("position");
        QTest::newRow("streams.id") << QStringLiteral("streams") << QStringLiteral("id");
        QTest::newRow("types.id") << QStringLiteral("types") << QStringLiteral("id");
    }
    void nativeKeysMustBeRowids()
    {
        QFETCH(QString, table);
        QFETCH(QString, column);
        const QString ndjson = m_dir.filePath(QStringLiteral("keys.ndjson"));
        const QString path = m_dir.filePath(QStringLiteral("keys-%1.chronoscope").arg(table));
        {
            QFile f(ndjson);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(R"({"stream":"a-1","type":"Opened","version":0,"data":{"n":1}})"
                    "\n"
                    R"({"stream":"b-1","type":"Closed","version":0,"data":{"n":2}})"
                    "\n");
        }
        ImportSummary summary;
        QString error;
        QVERIFY2(importFiles({ndjson}, path, {}, &summary, &error, true), qPrintable(error));
        {
            // Before: the file opens and events have their positions.
            auto reader = openSource(path, {}, &error);
            QVERIFY2(reader, qPrintable(error));
            const QList<Event> events = reader->readAll({}, &error);
            QCOMPARE(events.size(), 2);
            QCOMPARE(events[1].position, qint64(2));
        }
        execSql(
            path,
            "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = replace(sql, 'INTEGER PRIMARY KEY', "
            "'INTEGER') WHERE type = 'table' AND name = '" +
                table.toUtf8() + "';");
        error.clear();
        QVERIFY(!openSource(path, {}, &error));
        QVERIFY2(error.contains(path) &&
                     error.contains(
                         QStringLiteral("%1.%2 is not the table's INTEGER PRIMARY KEY").arg(table, column)),
                 qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TstFuzzRegressions)
#include "tst_fuzz_regressions.moc"
