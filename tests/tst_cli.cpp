// chronoscope-cli end to end: the real binary (QProcess) on stores this test builds. Every command with
// good and bad input: exit codes, JSON shapes, filters, and results checked against folds computed here.
#include "demo/demogenerator.h"
#include "diff/jsondiff.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"
#include "json/jsontext.h"
#include "json/mergepatch.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include "fixtures/stopwithsignal.h"
#include "number_texts.h"

#include <sqlite3.h>

#include <csignal>
#include <functional>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace chronoscope;

namespace {

const QString kCli = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli");

struct Run
{
    int exit = -1;
    QByteArray out;
    QByteArray err;
    QList<QByteArray> lines() const
    {
        QList<QByteArray> l = out.split('\n');
        while (!l.isEmpty() && l.last().isEmpty())
            l.removeLast();
        return l;
    }
    QJsonValue json() const { return parseJsonValue(out.trimmed()); }
};

Run cli(const QStringList& args)
{
    QProcess p;
    p.start(kCli, args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exit = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

QJsonValue fold(const QList<Event>& events, const std::function<bool(const Event&)>& upTo)
{
    QJsonValue state = QJsonObject();
    for (const Event& e : events)
        if (upTo(e))
            applyMergePatch(state, parseJsonValue(e.data));
    return state;
}

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TstCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli));
        QVERIFY(m_dir.isValid());
        m_opts.events = 4000;
        m_opts.seed = 7;
        generateDemoEvents(m_opts, [this](const Event& e) {
            m_events.append(e);
            m_byStream[e.stream].append(e);
            return true;
        });
        QCOMPARE(m_events.size(), 4000);
        m_store = m_dir.filePath(QStringLiteral("demo.chronoscope"));
        const Run r = cli({"demo", "-o", m_store, "--events", "4000", "--seed", "7"});
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject s = r.json().toObject();
        QCOMPARE(s.value("events").toInteger(), 4000);
        QCOMPARE(s.value("format").toString(), QStringLiteral("chronoscope"));
        QCOMPARE(s.value("incident").toObject().value("begin").toString(), QStringLiteral("2026-03-03T13:40:00.000Z"));
        m_storeHash = fileHash(m_store);
        // A long stream (inventory) and an order that went through the whole flow.
        for (auto it = m_byStream.begin(); it != m_byStream.end(); ++it) {
            if (it.key().startsWith("inventory-") && it.value().size() > m_byStream.value(m_long).size())
                m_long = it.key();
            if (it.key().startsWith("order-") && m_order.isEmpty() && it.value().last().type == "OrderCompleted")
                m_order = it.key();
        }
        QVERIFY(!m_order.isEmpty());
        QVERIFY(m_byStream.value(m_long).size() > 50);
    }

    void cleanupTestCase()
    {
        // Reading never writes: the store's bytes are unchanged after every command above.
        QCOMPARE(fileHash(m_store), m_storeHash);
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString s = QStringLiteral("@store");
        QTest::newRow("no command") << QStringList{} << "Usage";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
        QTest::newRow("flag before command") << QStringList{"--limit", "3"} << "expected a command";
        QTest::newRow("missing URI") << QStringList{"info"} << "missing argument";
        QTest::newRow("extra argument") << QStringList{"info", s, "other"} << "unexpected argument 'other'";
        QTest::newRow("unknown flag") << QStringList{"streams", s, "--bogus"} << "unknown option '--bogus'";
        QTest::newRow("unknown short flag") << QStringList{"streams", s, "-x"} << "unknown option '-x'";
        QTest::newRow("flag without value") << QStringList{"events", s, "--limit"} << "--limit needs a value";
        QTest::newRow("value for a flag") << QStringList{"state", s, "--stream", "a", "--envelope=yes"} << "takes no value";
        QTest::newRow("bad number") << QStringList{"events", s, "--limit", "ten"} << "'ten' is not a whole number";
        QTest::newRow("negative limit") << QStringList{"events", s, "--limit", "-1"} << "less than 0";
        QTest::newRow("bad time") << QStringList{"events", s, "--since", "yesterday"} << "'yesterday' is not a time";
        // Impossible dates and out-of-range fields are refused with the reason, never rolled over.
        QTest::newRow("impossible date") << QStringList{"events", s, "--since", "2026-02-31T00:00:00Z"}
                                         << "'2026-02-31T00:00:00Z' is not a time: no such date: February 2026 has 28 days";
        QTest::newRow("impossible date in a point") << QStringList{"state", s, "--stream", "a", "--at-time", "2026-04-31"}
                                                    << "April 2026 has 30 days";
        QTest::newRow("offset out of range") << QStringList{"events", s, "--until", "2026-03-03T10:00:00+99:99"}
                                             << "the offset +99:99 is out of range";
        QTest::newRow("non-ASCII digits") << QStringList{"events", s, "--since", QString::fromUtf8("2026-03-03T10:00:00.\u0661Z")}
                                          << "non-ASCII character U+0661";
        QTest::newRow("repeated flag") << QStringList{"events", s, "--stream", "a", "--stream", "b"} << "more than once";
        QTest::newRow("state without stream") << QStringList{"state", s} << "--stream S is required";
        QTest::newRow("two points") << QStringList{"state", s, "--stream", "a", "--at-version", "1", "--at-position", "3"}
                                    << "give only one of";
        QTest::newRow("diff without from") << QStringList{"diff", s, "--stream", "a"} << "--from-version";
        QTest::newRow("blame without path") << QStringList{"blame", s, "--stream", "a"} << "--path";
        QTest::newRow("blame bad pointer") << QStringList{"blame", s, "--stream", "a", "--path", "status"}
                                           << "not a JSON Pointer";
        QTest::newRow("import without output") << QStringList{"import", s} << "-o STORE";
        QTest::newRow("import without input") << QStringList{"import", "-o", "x.chronoscope"} << "missing argument";
        QTest::newRow("export without output") << QStringList{"export", s} << "-o FILE";
        QTest::newRow("demo without output") << QStringList{"demo"} << "-o STORE";
        QTest::newRow("demo bad size") << QStringList{"demo", "-o", "x", "--events", "many"} << "not a whole number";
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        args.replaceInStrings(QStringLiteral("@store"), m_store);
        const Run r = cli(args);
        QCOMPARE(r.exit, 1);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    void inputErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing file") << QStringList{"info", "@dir/nope.chronoscope"} << "nope.chronoscope: no such file";
        QTest::newRow("folder") << QStringList{"streams", "@dir"} << "is a folder";
        QTest::newRow("text named .sqlite") << QStringList{"info", "@dir/text.sqlite"} << "text.sqlite";
        QTest::newRow("damaged SQLite") << QStringList{"info", "@dir/damaged.sqlite"} << "damaged.sqlite";
        QTest::newRow("unknown layout") << QStringList{"info", "@dir/unknown.sqlite"} << "tables found: accounts, ledger";
        QTest::newRow("unknown stream state") << QStringList{"state", "@store", "--stream", "order-nope"} << "order-nope";
        QTest::newRow("unknown stream blame")
            << QStringList{"blame", "@store", "--stream", "order-nope", "--path", "/status"} << "order-nope";
        QTest::newRow("unknown stream diff")
            << QStringList{"diff", "@store", "--stream", "order-nope", "--from-version", "0"} << "order-nope";
        QTest::newRow("import of a text file") << QStringList{"import", "@dir/text.sqlite", "-o", "@dir/new.chronoscope"}
                                               << "text.sqlite";
        QTest::newRow("export to a missing folder")
            << QStringList{"export", "@store", "-o", "@dir/no/such/folder/x.ndjson"} << "x.ndjson";
        QTest::newRow("demo to a missing folder") << QStringList{"demo", "-o", "@dir/no/such/folder/x.chronoscope"}
                                                  << "x.chronoscope";
        QTest::newRow("path not in state")
            << QStringList{"blame", "@store", "--stream", "@order", "--path", "/no/such/field"} << "/no/such/field";
        QTest::newRow("import missing input") << QStringList{"import", "@dir/missing.ndjson", "-o", "@dir/new.chronoscope"}
                                              << "missing.ndjson: no such file";
        QTest::newRow("import over existing") << QStringList{"import", "@dir/good.ndjson", "-o", "@store"}
                                              << "already exists";
        QTest::newRow("demo over existing") << QStringList{"demo", "-o", "@store"} << "already exists";
        QTest::newRow("export over existing") << QStringList{"export", "@store", "-o", "@store"} << "already exists";
    }
    void inputErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        writeFixtures();
        args.replaceInStrings(QStringLiteral("@store"), m_store);
        args.replaceInStrings(QStringLiteral("@order"), m_order);
        args.replaceInStrings(QStringLiteral("@dir"), m_dir.path());
        const Run r = cli(args);
        QCOMPARE(r.exit, 2);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(r.out.isEmpty());
        QCOMPARE(fileHash(m_store), m_storeHash);
        QVERIFY(!QFile::exists(m_dir.filePath("new.chronoscope")));
    }

    void help_data()
    {
        QTest::addColumn<QString>("command");
        for (const char* c : {"info", "streams", "events", "state", "diff", "blame", "import", "export", "demo"})
            QTest::newRow(c) << QString::fromLatin1(c);
    }
    void help()
    {
        QFETCH(QString, command);
        const Run r = cli({command, "--help"});
        QCOMPARE(r.exit, 0);
        QVERIFY(r.out.startsWith("Usage: chronoscope-cli " + command.toUtf8()));
        const Run all = cli({"--help"});
        QCOMPARE(all.exit, 0);
        QVERIFY(all.out.contains("  " + command.toUtf8() + ' '));
    }

    void info()
    {
        const Run r = cli({"info", m_store});
        QVERIFY2(r.exit == 0, r.err.constData());
        QCOMPARE(r.lines().size(), 1);
        const QJsonObject o = r.json().toObject();
        QCOMPARE(o.value("layout").toString(), QStringLiteral("chronoscope"));
        QCOMPARE(o.value("events").toInteger(), m_events.size());
        QCOMPARE(o.value("streams").toInteger(), m_byStream.size());
        QCOMPARE(o.value("firstPosition").toInteger(), 1);
        QCOMPARE(o.value("lastPosition").toInteger(), m_events.size());
        QCOMPARE(o.value("firstTime").toString(), formatTime(m_events.first().time));
        QCOMPARE(o.value("lastTime").toString(), formatTime(m_events.last().time));
        QCOMPARE(o.value("timeKnown").toBool(), true);
        QVERIFY(o.value("warnings").isArray());
        const QJsonObject meta = o.value("meta").toObject();
        QCOMPARE(meta.value("demo_seed").toString(), QStringLiteral("7"));
        QCOMPARE(meta.value("demo_events").toString(), QStringLiteral("4000"));
        QVERIFY(meta.value("source_uri").toString().startsWith("demo:"));

        const Run pretty = cli({"info", m_store, "--pretty"});
        QCOMPARE(pretty.exit, 0);
        QVERIFY(pretty.lines().size() > 5);
        QCOMPARE(pretty.json(), r.json());
    }

    void streams_data()
    {
        QTest::addColumn<QString>("glob");
        QTest::newRow("all") << QString();
        QTest::newRow("inventory") << QStringLiteral("inventory-*");
        QTest::newRow("one") << m_order;
        QTest::newRow("set") << QStringLiteral("payment-[12]?");
        QTest::newRow("none") << QStringLiteral("nothing-*");
    }
    void streams()
    {
        QFETCH(QString, glob);
        QStringList args{"streams", m_store};
        if (!glob.isEmpty())
            args << "--match" << glob;
        const Run r = cli(args);
        QVERIFY2(r.exit == 0, r.err.constData());
        QStringList expected;
        for (auto it = m_byStream.begin(); it != m_byStream.end(); ++it)
            if (glob.isEmpty() || globMatch(glob, it.key()))
                expected << it.key();
        QStringList got;
        for (const QByteArray& line : r.lines()) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            const QString name = o.value("stream").toString();
            got << name;
            const QList<Event>& evs = m_byStream.value(name);
            QVERIFY2(!evs.isEmpty(), qPrintable(name));
            QCOMPARE(o.value("events").toInteger(), evs.size());
            QCOMPARE(o.value("firstVersion").toInteger(), evs.first().version);
            QCOMPARE(o.value("lastVersion").toInteger(), evs.last().version);
            QCOMPARE(o.value("firstPosition").toInteger(), evs.first().position);
            QCOMPARE(o.value("lastPosition").toInteger(), evs.last().position);
            QCOMPARE(o.value("firstTime").toString(), formatTime(evs.first().time));
            QCOMPARE(o.value("lastTime").toString(), formatTime(evs.last().time));
        }
        QCOMPARE(got, expected); // QMap order: by name
    }

    // A small native store for the listing tests: names and times that need escaping or care, two events
    // each.
    QString writeListingStore(const QString& file, const QStringList& names)
    {
        const QString path = m_dir.filePath(file);
        QFile::remove(path);
        QString error;
        auto w = StoreWriter::create(path, StoreWriter::Options{}, &error);
        if (!w) return {};
        const QList<TimeMs> times{kNoTime, -86400000LL * 3650 - 1, 0, 1772438400123LL, 253402300799999LL, -1};
        qint64 position = 0;
        for (int i = 0; i < names.size(); ++i)
            for (int k = 0; k < 2; ++k) {
                Event e;
                e.position = ++position;
                e.stream = names[i];
                e.version = k;
                e.type = QStringLiteral("T");
                e.time = times[(i + k) % times.size()];
                e.data = "{}";
                e.metadata = "{}";
                if (!w->append(e, &error)) return {};
            }
        return w->finish(&error) ? path : QString();
    }

    static bool craft(const QString& path, const QString& sql)
    {
        if (sql.isEmpty()) return true;
        sqlite3* db = nullptr;
        const bool ok = sqlite3_open(QFile::encodeName(path).constData(), &db) == SQLITE_OK &&
                        sqlite3_exec(db, sql.toUtf8().constData(), nullptr, nullptr, nullptr) == SQLITE_OK;
        sqlite3_close(db);
        return ok;
    }

    static const QStringList& listingNames()
    {
        static const QStringList names{
            QStringLiteral("plain-1"),   QStringLiteral("quote\"d"),  QStringLiteral("back\\slash"),
            QStringLiteral("tab\there"), QStringLiteral("new\nline"), QStringLiteral("ctl\x01x"),
            QStringLiteral("ünïcode"),   QStringLiteral("日本-1"),    QStringLiteral("mixed é\"\t"),
            QStringLiteral("plain-2"),   QStringLiteral("plain-3")};
        return names;
    }

    void streamsListingIsByteIdentical_data()
    {
        // `streams` of a native store writes SQLite's bytes on a second thread (no QString per stream); the
        // expected bytes here come from the library's StreamInfo listing, formatted by the test itself.
        QTest::addColumn<QString>("sql");   // run on the written store (legacy or damaged content)
        QTest::addColumn<QString>("match"); // --match GLOB, or none
        QTest::newRow("as written") << QString() << QString();
        QTest::newRow("--match *") << QString() << QStringLiteral("*");
        QTest::newRow("--match subset") << QString() << QStringLiteral("*e*");
        QTest::newRow("--match escaped name") << QString() << QStringLiteral("quote\"d");
        QTest::newRow("--match none") << QString() << QStringLiteral("nothing-*");
        // Values SQLite keeps as text or real in INTEGER columns (a store written by hand or an older tool).
        QTest::newRow("text and real columns")
            << QStringLiteral(
                   "UPDATE streams SET events = '2x', first_version = 0.5, last_position = last_position + "
                   "0.25, "
                   "first_time = '1772438400999 ms', last_time = 1772438400123.75 WHERE name LIKE 'plain-%'")
            << QString();
        QTest::newRow("text columns, --match")
            << QStringLiteral("UPDATE streams SET last_version = 'one' WHERE name = 'plain-2'")
            << QStringLiteral("plain-*");
        QTest::newRow("name not UTF-8")
            << QStringLiteral(
                   "UPDATE streams SET name = CAST(X'626164ff2d31' AS TEXT) WHERE name = 'plain-1'")
            << QString();
        QTest::newRow("name with NUL")
            << QStringLiteral(
                   "UPDATE streams SET name = CAST(X'6e756c00622d31' AS TEXT) WHERE name = 'plain-1'")
            << QString();
        // Then the figures are recomputed from the events (the GROUP BY query).
        QTest::newRow("summary disagrees")
            << QStringLiteral("UPDATE streams SET events = events + 5 WHERE name = 'plain-3'") << QString();
        QTest::newRow("summary disagrees, --match")
            << QStringLiteral("UPDATE streams SET events = -1 WHERE name = 'plain-3'")
            << QStringLiteral("plain-?");
    }
    void streamsListingIsByteIdentical()
    {
        QFETCH(QString, sql);
        QFETCH(QString, match);
        const QString path = writeListingStore(QStringLiteral("raw-names.chronoscope"), listingNames());
        QVERIFY(!path.isEmpty());
        QVERIFY(craft(path, sql));
        QString error;
        auto reader = SqliteStoreReader::open(path, &error);
        QVERIFY2(reader, qPrintable(error));
        QByteArray expected;
        int lines = 0;
        QVERIFY(reader->forEachStream(
            [&](const StreamInfo& s) {
                if (!match.isEmpty() && !globMatch(match, s.stream)) return true;
                auto time = [](TimeMs t) {
                    return t == kNoTime ? QByteArray("null") : jsonStringLiteral(formatTime(t));
                };
                expected += "{\"stream\":" + jsonStringLiteral(s.stream) +
                            ",\"events\":" + QByteArray::number(s.events) +
                            ",\"firstVersion\":" + QByteArray::number(s.firstVersion) +
                            ",\"lastVersion\":" + QByteArray::number(s.lastVersion) +
                            ",\"firstPosition\":" + QByteArray::number(s.firstPosition) +
                            ",\"lastPosition\":" + QByteArray::number(s.lastPosition) +
                            ",\"firstTime\":" + time(s.firstTime) + ",\"lastTime\":" + time(s.lastTime) +
                            "}\n";
                ++lines;
                return true;
            },
            &error));
        QStringList args{"streams", path};
        if (!match.isEmpty()) args << "--match" << match;
        const Run r = cli(args);
        QVERIFY2(r.exit == 0, r.err.constData());
        QCOMPARE(r.out, expected);
        if (match.isEmpty() || match == QLatin1String("*")) QCOMPARE(lines, listingNames().size());
    }

    void streamsStopsWhenStdoutFails_data()
    {
        QTest::addColumn<bool>("closeStdout"); // else stdout is /dev/full
        QTest::addColumn<QString>("needle");
        QTest::newRow("> /dev/full") << false << "No space left on device";
        QTest::newRow("stdout closed") << true << "Bad file descriptor";
    }
    void streamsStopsWhenStdoutFails()
    {
        // 30,000 streams make about 6 MB of listing: the first 1 MB write fails while the SQLite thread is
        // still reading, so the writer must stop it (not wait for a batch that never comes) and report the
        // error.
        QFETCH(bool, closeStdout);
        QFETCH(QString, needle);
        const QString path = m_dir.filePath(QStringLiteral("many-streams.chronoscope"));
        if (!QFile::exists(path)) {
            QString error;
            auto w = StoreWriter::create(path, StoreWriter::Options{}, &error);
            QVERIFY2(w, qPrintable(error));
            for (int i = 0; i < 30000; ++i) {
                Event e;
                e.position = i + 1;
                e.stream = QStringLiteral("stream-%1").arg(i, 6, 10, QLatin1Char('0'));
                e.version = 0;
                e.type = QStringLiteral("T");
                e.time = 1772438400000LL + i;
                e.data = "{}";
                e.metadata = "{}";
                QVERIFY2(w->append(e, &error), qPrintable(error));
            }
            QVERIFY2(w->finish(&error), qPrintable(error));
        }
        const Run all = cli({"streams", path});
        QCOMPARE(all.exit, 0);
        QCOMPARE(all.lines().size(), 30000);
        QVERIFY(all.out.size() > 3 * (1 << 20));
        QProcess p;
        if (closeStdout) {
            p.start("/bin/sh", QStringList{"-c", "exec \"$0\" \"$@\" >&-", kCli, "streams", path});
        } else {
            p.setStandardOutputFile("/dev/full");
            p.start(kCli, {"streams", path});
        }
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 2, err.constData());
        QVERIFY2(err.contains(needle.toUtf8()), err.constData());
    }

    void streamsSummaryCheckInTwoHalvesAgrees_data()
    {
        // A listing checks the streams summary in two halves of the ids at once (two threads, two
        // connections). Whatever the content, it must come to the verdict of the one-query check (info()
        // first).
        QTest::addColumn<QString>("sql");
        QTest::addColumn<bool>("disagrees"); // what the one-query check says (so the rows test both verdicts)
        // The last stream moves to id 200000: the ids span more than kSplitSummaryCheckAt, so the check
        // splits.
        const QString far =
            QStringLiteral("UPDATE events SET stream = 200000 WHERE stream = (SELECT MAX(id) FROM streams); "
                           "UPDATE streams SET id = 200000 WHERE id = (SELECT MAX(id) FROM streams);");
        QTest::newRow("trusted") << far << false;
        QTest::newRow("count off in the upper half")
            << far + "UPDATE streams SET events = events + 1 WHERE id = 200000" << true;
        QTest::newRow("count off in the lower half")
            << far + "UPDATE streams SET events = events - 1 WHERE id = 1" << true;
        QTest::newRow("negative count in the upper half")
            << far + "UPDATE streams SET events = -2 WHERE id = 200000; UPDATE streams SET events = events + "
                     "4 WHERE id = 1"
            << true;
        QTest::newRow("text first position in the upper half")
            << far + "UPDATE streams SET first_position = 'zz' WHERE id = 200000" << false;
        QTest::newRow("text first position in the lower half")
            << far + "UPDATE streams SET first_position = 'zz' WHERE id = 1" << true;
        QTest::newRow("last position off in the lower half")
            << far + "UPDATE streams SET last_position = last_position + 100 WHERE id = 1" << true;
        QTest::newRow("real count in the upper half")
            << far + "UPDATE streams SET events = events + 0.5 WHERE id = 200000" << false;
        QTest::newRow("ids spanning more than a qint64")
            << QStringLiteral("UPDATE events SET stream = -9000000000000000000 WHERE stream = 1; "
                              "UPDATE streams SET id = -9000000000000000000 WHERE id = 1;") +
                   QString(far).replace("200000", "9000000000000000000")
            << false;
        // The split check counts the events by two ranges of stream ids and sums the streams on either side of
        // a name over the listing index: rows outside the ranges, names of other types, no listing index.
        QTest::newRow("an event of no stream id")
            << far + "UPDATE events SET stream = 999999 WHERE position = (SELECT MAX(position) FROM events)" << false;
        QTest::newRow("an event whose stream is text")
            << far + "UPDATE events SET stream = 'x' WHERE position = (SELECT MIN(position) FROM events)" << false;
        QTest::newRow("an event gone, its stream's count kept")
            << far + "DELETE FROM events WHERE position = (SELECT MAX(position) FROM events WHERE stream = 1)"
            << true;
        QTest::newRow("a blob name and an integer name")
            << far + "UPDATE streams SET name = x'00ff' WHERE id = 200000; UPDATE streams SET name = 7 WHERE id = 1"
            << false;
        QTest::newRow("no listing index, count off")
            << far + "DROP INDEX streams_listing; UPDATE streams SET events = events + 1 WHERE id = 200000" << true;
        QTest::newRow("no listing index, trusted") << far + "DROP INDEX streams_listing" << false;
        QTest::newRow("empty upper half")
            << QStringLiteral("DELETE FROM events WHERE stream = (SELECT MAX(id) FROM streams); "
                              "DELETE FROM streams WHERE id = (SELECT MAX(id) FROM streams);") +
                   far
            << false;
    }
    void streamsSummaryCheckInTwoHalvesAgrees()
    {
        QFETCH(QString, sql);
        QFETCH(bool, disagrees);
        const QString path = writeListingStore(QStringLiteral("split-check.chronoscope"), listingNames());
        QVERIFY(!path.isEmpty());
        QVERIFY(craft(path, sql));
        QString error;
        auto one = SqliteStoreReader::open(path, &error);
        QVERIFY2(one, qPrintable(error));
        const StoreInfo oneInfo = one->info(); // the one-query check
        QCOMPARE(oneInfo.warnings.join('\n').contains(QLatin1String("disagrees with the events table")),
                 disagrees);
        QList<StreamInfo> oneRows;
        QVERIFY(one->forEachStream(
            [&](const StreamInfo& s) {
                oneRows << s;
                return true;
            },
            &error));

        auto two = SqliteStoreReader::open(path, &error);
        QVERIFY2(two, qPrintable(error));
        QList<StreamInfo> twoRows;
        QVERIFY2(two->forEachStreamRaw(
                     [&](const SqliteStoreReader::RawStreamRow& r) {
                         StreamInfo s;
                         s.stream = QString::fromUtf8(r.name);
                         s.events = r.events;
                         s.firstVersion = r.firstVersion;
                         s.lastVersion = r.lastVersion;
                         s.firstPosition = r.firstPosition;
                         s.lastPosition = r.lastPosition;
                         s.firstTime = r.firstTime;
                         s.lastTime = r.lastTime;
                         twoRows << s;
                         return true;
                     },
                     &error),
                 qPrintable(error));
        const StoreInfo twoInfo = two->info(); // the verdict of the split check, remembered
        QCOMPARE(twoInfo.warnings, oneInfo.warnings);
        QCOMPARE(twoInfo.events, oneInfo.events);
        QCOMPARE(twoRows.size(), oneRows.size());
        QVERIFY(!twoRows.isEmpty());
        for (qsizetype i = 0; i < oneRows.size(); ++i) {
            QCOMPARE(twoRows[i].stream, oneRows[i].stream);
            QCOMPARE(twoRows[i].events, oneRows[i].events);
            QCOMPARE(twoRows[i].firstVersion, oneRows[i].firstVersion);
            QCOMPARE(twoRows[i].lastPosition, oneRows[i].lastPosition);
            QCOMPARE(twoRows[i].firstTime, oneRows[i].firstTime);
        }
        // And the CLI (which lists through the split check) prints what the library lists.
        const Run r = cli({"streams", path});
        QVERIFY2(r.exit == 0, r.err.constData());
        QCOMPARE(r.lines().size(), oneRows.size());
        for (qsizetype i = 0; i < oneRows.size(); ++i)
            QCOMPARE(QJsonDocument::fromJson(r.lines()[i]).object().value("events").toInteger(),
                     oneRows[i].events);
    }

    void events_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("filter");
        QTest::newRow("all") << QStringList{} << 0;
        QTest::newRow("stream") << QStringList{"--stream", "@long"} << 1;
        QTest::newRow("type") << QStringList{"--type", "PaymentFailed"} << 2;
        QTest::newRow("two types") << QStringList{"--type", "OrderPlaced,OrderPaid"} << 3;
        QTest::newRow("types repeated") << QStringList{"--type", "OrderPlaced", "--type", "OrderPaid"} << 3;
        QTest::newRow("positions") << QStringList{"--from-position", "100", "--to-position", "250"} << 4;
        QTest::newRow("times") << QStringList{"--since", "2026-03-03T13:40:00Z", "--until", "2026-03-03T14:25:00Z"} << 5;
        QTest::newRow("limit") << QStringList{"--limit", "7"} << 6;
        QTest::newRow("limit zero") << QStringList{"--limit", "0"} << 7;
        QTest::newRow("stream and type") << QStringList{"--stream", "@long", "--type", "StockReserved", "--limit", "5"} << 8;
        QTest::newRow("empty range") << QStringList{"--from-position", "300", "--to-position", "200"} << 7;
    }
    void events()
    {
        QFETCH(QStringList, args);
        QFETCH(int, filter);
        args.replaceInStrings(QStringLiteral("@long"), m_long);
        const TimeMs since = *parseTime(u"2026-03-03T13:40:00Z"), until = *parseTime(u"2026-03-03T14:25:00Z");
        QList<Event> expected;
        for (const Event& e : m_events) {
            bool keep = true;
            switch (filter) {
            case 1: keep = e.stream == m_long; break;
            case 2: keep = e.type == "PaymentFailed"; break;
            case 3: keep = e.type == "OrderPlaced" || e.type == "OrderPaid"; break;
            case 4: keep = e.position >= 100 && e.position <= 250; break;
            case 5: keep = e.time >= since && e.time <= until; break;
            case 6: keep = expected.size() < 7; break;
            case 7: keep = false; break;
            case 8: keep = e.stream == m_long && e.type == "StockReserved" && expected.size() < 5; break;
            }
            if (keep)
                expected << e;
        }
        const Run r = cli(QStringList{"events", m_store} + args);
        QVERIFY2(r.exit == 0, r.err.constData());
        const QList<QByteArray> lines = r.lines();
        QCOMPARE(lines.size(), expected.size());
        for (qsizetype i = 0; i < lines.size(); ++i)
            QCOMPARE(QJsonDocument::fromJson(lines[i]), QJsonDocument::fromJson(expected[i].toCanonicalJson()));
        if (filter == 5)
            QVERIFY(expected.size() > 20); // the incident window is not empty
    }

    void state_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("index"); // which event of the stream the point is at (-1: before the first)
        for (const char* w : {"long", "order"}) {
            QTest::addRow("%s end", w) << w << "end" << 0;
            for (const char* k : {"version", "position", "time"}) {
                QTest::addRow("%s %s first", w, k) << w << k << 0;
                QTest::addRow("%s %s middle", w, k) << w << k << 3;
                QTest::addRow("%s %s last", w, k) << w << k << 1000000;
                QTest::addRow("%s %s before", w, k) << w << k << -1;
            }
        }
    }
    void state()
    {
        QFETCH(QString, which);
        QFETCH(QString, kind);
        QFETCH(int, index);
        const QString stream = which == "long" ? m_long : m_order;
        const QList<Event>& evs = m_byStream.value(stream);
        const int i = std::min<int>(index, int(evs.size()) - 1);
        const Event* at = i >= 0 ? &evs[i] : nullptr;
        QStringList args{"state", m_store, "--stream", stream, "--envelope"};
        std::function<bool(const Event&)> upTo = [](const Event&) { return true; };
        if (kind == "version") {
            const qint64 v = at ? at->version : evs.first().version - 1;
            args << "--at-version" << QString::number(v);
            upTo = [v](const Event& e) { return e.version <= v; };
        } else if (kind == "position") {
            // A position between this event and the stream's next one (other streams' events lie between).
            const qint64 p = at ? (i + 1 < evs.size() ? evs[i + 1].position - 1 : at->position + 5) : evs.first().position - 1;
            args << "--at-position" << QString::number(p);
            upTo = [p](const Event& e) { return e.position <= p; };
        } else if (kind == "time") {
            const TimeMs t = at ? at->time : evs.first().time - 1;
            args << "--at-time" << formatTime(t);
            upTo = [t](const Event& e) { return e.time <= t; };
        }
        const Run r = cli(args);
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject o = r.json().toObject();
        const QJsonValue expected = fold(evs, upTo);
        QCOMPARE(o.value("state"), expected);
        QCOMPARE(o.value("stream").toString(), stream);
        QCOMPARE(o.value("point").toObject().value("kind").toString(), kind);
        qint64 lastPos = 0;
        for (const Event& e : evs)
            if (upTo(e))
                lastPos = e.position;
        if (lastPos)
            QCOMPARE(o.value("event").toObject().value("position").toInteger(), lastPos);
        else
            QVERIFY(o.value("event").isNull());

        // Without --envelope: the state alone.
        args.removeAll("--envelope");
        const Run plain = cli(args);
        QCOMPARE(plain.exit, 0);
        QCOMPARE(plain.json(), expected);
    }

    void diff_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("from");
        QTest::addColumn<int>("to"); // -1: the end (no --to-*)
        QTest::newRow("order versions") << "order" << "version" << 0 << 4;
        QTest::newRow("order to end") << "order" << "version" << 1 << -1;
        QTest::newRow("order backwards") << "order" << "version" << 4 << 1;
        QTest::newRow("long positions") << "long" << "position" << 2 << 40;
        QTest::newRow("long times") << "long" << "time" << 10 << 30;
        QTest::newRow("same point") << "long" << "version" << 5 << 5;
    }
    void diff()
    {
        QFETCH(QString, which);
        QFETCH(QString, kind);
        QFETCH(int, from);
        QFETCH(int, to);
        const QString stream = which == "long" ? m_long : m_order;
        const QList<Event>& evs = m_byStream.value(stream);
        QVERIFY(evs.size() > std::max(from, to));
        auto value = [&](int i) -> QString {
            const Event& e = evs[i];
            return kind == "version" ? QString::number(e.version)
                   : kind == "position" ? QString::number(e.position) : formatTime(e.time);
        };
        auto upTo = [&](int i) -> std::function<bool(const Event&)> {
            if (i < 0)
                return [](const Event&) { return true; };
            const Event& at = evs[i];
            if (kind == "version")
                return [v = at.version](const Event& e) { return e.version <= v; };
            if (kind == "position")
                return [p = at.position](const Event& e) { return e.position <= p; };
            return [t = at.time](const Event& e) { return e.time <= t; };
        };
        QStringList args{"diff", m_store, "--stream", stream, "--from-" + kind, value(from)};
        if (to >= 0)
            args << "--to-" + kind << value(to);
        const Run r = cli(args);
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonArray patch = r.json().toArray();
        QJsonValue doc = fold(evs, upTo(from));
        const QJsonValue target = fold(evs, upTo(to));
        QString err;
        QVERIFY2(applyJsonPatch(doc, patch, &err), qPrintable(err));
        QCOMPARE(doc, target);
        QCOMPARE(patch.isEmpty(), fold(evs, upTo(from)) == target);
        for (const QJsonValue& op : patch)
            QVERIFY(QSet<QString>({"add", "remove", "replace"}).contains(op[QLatin1String("op")].toString()));
    }

    void blame_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("at"); // index of the event the point is at; -1: the end
        QTest::newRow("order status") << "order" << "/status" << -1;
        QTest::newRow("order status earlier") << "order" << "/status" << 4;
        QTest::newRow("order total") << "order" << "/total" << -1;
        QTest::newRow("order first item") << "order" << "/items/0/qty" << -1;
        QTest::newRow("stock available") << "long" << "/available" << -1;
        QTest::newRow("stock available mid") << "long" << "/available" << 20;
        QTest::newRow("sku name") << "long" << "/name" << -1;
    }
    void blame()
    {
        QFETCH(QString, which);
        QFETCH(QString, path);
        QFETCH(int, at);
        const QString stream = which == "long" ? m_long : m_order;
        const QList<Event>& evs = m_byStream.value(stream);
        // Oracle: fold, and remember the last event after which the value at the path differs.
        QJsonValue state = QJsonObject();
        std::optional<QJsonValue> before;
        qint64 lastChange = 0;
        const int last = at < 0 ? int(evs.size()) - 1 : at;
        for (int i = 0; i <= last; ++i) {
            applyMergePatch(state, parseJsonValue(evs[i].data));
            const std::optional<QJsonValue> now = valueAtPointer(state, path);
            if (now != before)
                lastChange = evs[i].position;
            before = now;
        }
        QVERIFY(lastChange > 0);
        QStringList args{"blame", m_store, "--stream", stream, "--path", path};
        if (at >= 0)
            args << "--at-version" << QString::number(evs[at].version);
        const Run r = cli(args);
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject e = r.json().toObject();
        QCOMPARE(e.value("position").toInteger(), lastChange);
        QCOMPARE(e.value("stream").toString(), stream);
        QVERIFY(!e.value("id").toString().isEmpty());
    }

    void exportImportRoundTrip()
    {
        const QString ndjson = m_dir.filePath("all.ndjson");
        Run r = cli({"export", m_store, "-o", ndjson});
        QVERIFY2(r.exit == 0, r.err.constData());
        QCOMPARE(r.json().toObject().value("events").toInteger(), m_events.size());
        QCOMPARE(r.json().toObject().value("bytes").toInteger(), QFileInfo(ndjson).size());

        const QString copy = m_dir.filePath("copy.chronoscope");
        r = cli({"import", ndjson, "-o", copy});
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject summary = r.json().toObject();
        QCOMPARE(summary.value("events").toInteger(), m_events.size());
        QCOMPARE(summary.value("skipped").toInteger(), 0);
        QCOMPARE(summary.value("streams").toInteger(), m_byStream.size());
        QCOMPARE(summary.value("issues").toArray().size(), 0);

        const Run a = cli({"events", m_store});
        const Run b = cli({"events", copy});
        QCOMPARE(a.exit, 0);
        QCOMPARE(b.exit, 0);
        const QList<QByteArray> la = a.lines(), lb = b.lines();
        QCOMPARE(la.size(), lb.size());
        for (qsizetype i = 0; i < la.size(); ++i)
            QCOMPARE(QJsonDocument::fromJson(lb[i]), QJsonDocument::fromJson(la[i]));

        // A filtered export, to stdout.
        r = cli({"export", m_store, "-o", "-", "--stream", m_order});
        QCOMPARE(r.exit, 0);
        QCOMPARE(r.lines().size(), m_byStream.value(m_order).size());
        QVERIFY(r.err.contains("\"events\":"));

        // The NDJSON file itself is a source: events straight from it equal the store's.
        const Run c = cli({"events", ndjson, "--stream", m_long});
        QVERIFY2(c.exit == 0, c.err.constData());
        QCOMPARE(c.lines().size(), m_byStream.value(m_long).size());
    }

    // state, diff, blame, events and export print every number as the event wrote it, compact and
    // --pretty, from the NDJSON file itself and from a store imported from it.
    void numbersAsWritten_data()
    {
        QTest::addColumn<QByteArray>("text");
        for (const QByteArray& t : testdata::numberTexts())
            QTest::newRow(t.constData()) << t;
    }
    void numbersAsWritten()
    {
        QFETCH(QByteArray, text);
        const QString in = m_dir.filePath("numbers.ndjson");
        const QByteArray head = "{\"stream\":\"n-1\",\"type\":\"Set\",\"time\":\"2026-01-01T00:00:0";
        writeFile(in, head + "0Z\",\"version\":0,\"data\":{\"p\":" + text + ",\"q\":1.10}}\n" + head
                          + "1Z\",\"version\":1,\"data\":{\"n\":1}}\n" + head
                          + "2Z\",\"version\":2,\"data\":{\"q\":1.20}}\n");
        const QString store = m_dir.filePath("numbers.chronoscope");
        Run r = cli({"import", in, "-o", store, "--force"});
        QVERIFY2(r.exit == 0, r.err.constData());
        const QByteArray state = "{\"n\":1,\"p\":" + text + ",\"q\":1.20}";
        for (const QString& source : {in, store}) {
            r = cli({"state", source, "--stream", "n-1"});
            QVERIFY2(r.exit == 0, r.err.constData());
            QCOMPARE(r.out.trimmed(), state);
            r = cli({"state", source, "--stream", "n-1", "--pretty"});
            QCOMPARE(r.exit, 0);
            QVERIFY2(r.out.contains("    \"p\": " + text + ",\n"), r.out.constData());
            r = cli({"state", source, "--stream", "n-1", "--envelope"});
            QCOMPARE(r.exit, 0);
            QVERIFY2(r.out.contains(",\"state\":" + state + "}"), r.out.constData());
            r = cli({"diff", source, "--stream", "n-1", "--from-version", "1"});
            QCOMPARE(r.exit, 0);
            QCOMPARE(r.out.trimmed(), QByteArray(R"([{"op":"replace","path":"/q","value":1.20}])"));
            r = cli({"diff", source, "--stream", "n-1", "--from-version", "-1", "--to-version", "0"});
            QCOMPARE(r.exit, 0);
            QCOMPARE(r.out.trimmed(), R"([{"op":"add","path":"/p","value":)" + text
                                         + R"(},{"op":"add","path":"/q","value":1.10}])");
            r = cli({"blame", source, "--stream", "n-1", "--path", "/p"});
            QVERIFY2(r.exit == 0, r.err.constData());
            QVERIFY2(r.out.contains("\"version\":0,") && r.out.contains("\"data\":{\"p\":" + text + ","), r.out.constData());
            r = cli({"events", source, "--stream", "n-1", "--pretty"});  // NDJSON: one line per event
            QCOMPARE(r.exit, 0);
            QVERIFY2(r.out.contains("\"data\":{\"p\":" + text + ",\"q\":1.10}"), r.out.constData());
        }
        r = cli({"export", store, "-o", "-"});
        QCOMPARE(r.exit, 0);
        QVERIFY2(r.out.contains("\"data\":{\"p\":" + text + ",\"q\":1.10}"), r.out.constData());
    }

    void importMappingAndBadLines()
    {
        const QString in = m_dir.filePath("mapped.ndjson");
        writeFile(in, "{\"aggregate\":\"acc-1\",\"kind\":\"Opened\",\"at\":\"2026-01-01T00:00:00Z\",\"seq\":0,"
                      "\"body\":{\"balance\":0,\"owner\":\"ann\"}}\n"
                      "{\"aggregate\":\"acc-1\",\"kind\":\"Deposited\",\"at\":\"2026-01-01T00:01:00Z\",\"seq\":1,"
                      "\"body\":{\"balance\":50}}\n"
                      "{this is not json\n"
                      "{\"aggregate\":\"acc-2\",\"kind\":\"Opened\",\"at\":\"2026-01-01T00:02:00Z\",\"seq\":0,"
                      "\"body\":{\"balance\":5,\"owner\":\"bo\"}}\n");
        const QString out = m_dir.filePath("mapped.chronoscope");
        Run r = cli({"import", in, "-o", out, "--map-stream", "aggregate", "--map-type", "kind", "--map-time", "at",
                     "--map-version", "seq", "--map-data", "body"});
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject s = r.json().toObject();
        QCOMPARE(s.value("events").toInteger(), 3);
        QCOMPARE(s.value("skipped").toInteger(), 1);
        QCOMPARE(s.value("streams").toInteger(), 2);
        const QJsonArray issues = s.value("issues").toArray();
        QCOMPARE(issues.size(), 1);
        QCOMPARE(issues[0][QLatin1String("line")].toInteger(), 3);
        QVERIFY(issues[0][QLatin1String("file")].toString().endsWith("mapped.ndjson"));

        r = cli({"state", out, "--stream", "acc-1"});
        QCOMPARE(r.exit, 0);
        QCOMPARE(r.json(), parseJsonValue("{\"balance\":50,\"owner\":\"ann\"}"));
        r = cli({"events", out, "--type", "Opened"});
        QCOMPARE(r.lines().size(), 2);
        QCOMPARE(QJsonDocument::fromJson(r.lines()[1]).object().value("time").toString(),
                 QStringLiteral("2026-01-01T00:02:00.000Z"));

        // --force replaces the store; without it the existing store stays.
        r = cli({"import", in, "-o", out, "--force"});
        QCOMPARE(r.exit, 0);
    }

    void namesNeedingEscapes()
    {
        // Stream and type names with quotes, backslashes, control characters and non-ASCII letters
        // come out as valid JSON that reads back to the same names.
        const QString stream = QString::fromUtf8("caf\xc3\xa9-\"1\"\\x\t\xe2\x82\xac");
        const QString type = QString::fromUtf8("\xc3\x9c" "berwiesen");
        QJsonObject e{{"stream", stream}, {"type", type}, {"data", QJsonObject{{"n", 1}}}};
        const QString in = m_dir.filePath("names.ndjson");
        writeFile(in, QJsonDocument(e).toJson(QJsonDocument::Compact) + '\n');
        const QString out = m_dir.filePath("names.chronoscope");
        QCOMPARE(cli({"import", in, "-o", out}).exit, 0);
        Run r = cli({"streams", out});
        QCOMPARE(r.exit, 0);
        QCOMPARE(r.lines().size(), 1);
        QCOMPARE(QJsonDocument::fromJson(r.lines()[0]).object().value("stream").toString(), stream);
        r = cli({"events", out, "--stream", stream});
        QCOMPARE(r.lines().size(), 1);
        QCOMPARE(QJsonDocument::fromJson(r.lines()[0]).object().value("type").toString(), type);
        r = cli({"info", out});
        QCOMPARE(r.exit, 0);
        QVERIFY(r.json().isObject());
    }

    void demoDeterministic()
    {
        const QString a = m_dir.filePath("a.chronoscope"), b = m_dir.filePath("b.chronoscope");
        const QString nd = m_dir.filePath("demo.ndjson");
        QCOMPARE(cli({"demo", "-o", a, "--events", "600", "--seed", "3"}).exit, 0);
        QCOMPARE(cli({"demo", "-o", b, "--events", "600", "--seed", "3"}).exit, 0);
        QCOMPARE(cli({"demo", "-o", nd, "--events", "600", "--seed", "3"}).exit, 0);
        const Run ea = cli({"events", a}), eb = cli({"events", b});
        QCOMPARE(ea.exit, 0);
        QCOMPARE(ea.lines().size(), 600);
        QCOMPARE(ea.out, eb.out);
        // The NDJSON form is the generator's canonical output, byte for byte.
        DemoOptions o;
        o.events = 600;
        o.seed = 3;
        QByteArray expected;
        generateDemoEvents(o, [&](const Event& e) { expected += e.toCanonicalJson() + '\n'; return true; });
        QFile f(nd);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), expected);
        // A different seed gives a different store.
        QCOMPARE(cli({"demo", "-o", b, "--events", "600", "--seed", "4", "--force"}).exit, 0);
        QVERIFY(cli({"events", b}).out != ea.out);
    }

    void progressOnlyOnRequest()
    {
        // stderr is a pipe here: no progress unless --progress; stdout holds only the summary either way.
        const QString a = m_dir.filePath("quiet.chronoscope"), b = m_dir.filePath("loud.chronoscope");
        const Run quiet = cli({"demo", "-o", a, "--events", "70000"});
        QCOMPARE(quiet.exit, 0);
        QVERIFY(quiet.err.isEmpty());
        const Run loud = cli({"demo", "-o", b, "--events", "70000", "--progress"});
        QCOMPARE(loud.exit, 0);
        QVERIFY2(loud.err.contains("generating demo events"), loud.err.constData());
        QVERIFY(loud.err.contains("100%"));
        QCOMPARE(loud.lines().size(), 1);
        QCOMPARE(loud.json().toObject().value("events").toInteger(), 70000);
    }

    void interruptLeavesNoFile_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("store") << QStringLiteral("interrupted.chronoscope");
        QTest::newRow("ndjson") << QStringLiteral("interrupted.ndjson");
    }
    void interruptLeavesNoFile()
    {
        // Ctrl-C during a long demo: the command stops with an input error and leaves no file behind
        // (no store, no .partial, no temporary NDJSON).
        QFETCH(QString, name);
        QTemporaryDir dir;
        const QString out = dir.filePath(name);
        QProcess p;
        p.start(kCli, {"demo", "-o", out, "--events", "20000000", "--progress"});
        QVERIFY(p.waitForStarted());
        // The first progress line comes once generation runs, i.e. after the interrupt handler is set.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("generating demo events"), 30000);
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130); // 128 + SIGINT, as a shell reports a command ended by Ctrl-C
        err += p.readAllStandardError();
        QVERIFY2(err.contains("stopped by SIGINT"), err.constData());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList());
    }

    void signalEndsAnyCommand_data()
    {
        // SIGTERM and SIGINT end a running command within a few seconds with 143 / 130, and leave no output
        // file (nor its .partial) behind: an import of a long (gzip-compressed) input, an export, a demo,
        // and commands blocked on a remote server that accepts the connection and never answers.
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("signal");
        for (const char* c : {"import", "export", "demo", "remote events", "remote capture"}) {
            QTest::addRow("%s SIGTERM", c) << c << int(SIGTERM);
            QTest::addRow("%s SIGINT", c) << c << int(SIGINT);
        }
    }
    void signalEndsAnyCommand()
    {
        QFETCH(QString, command);
        QFETCH(int, signal);
        QTemporaryDir dir;
        const QString out = dir.filePath(command == "export" ? "out.ndjson" : "out.chronoscope");
        QTcpServer server; // listens (the kernel completes the handshake) but never reads or answers
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const QString remote = QStringLiteral("kurrentdb://127.0.0.1:%1").arg(server.serverPort());
        QStringList args;
        if (command == "import")
            args = {"import", endlessGzip(), "-o", out};
        else if (command == "export")
            args = {"export", endlessGzip(), "-o", out}; // stopped while the source file is being indexed
        else if (command == "demo")
            args = {"demo", "-o", out, "--events", "50000000"};
        else if (command == "remote events")
            args = {"events", remote};
        else
            args = {"capture", remote, "-o", out};
        QTemporaryDir cache; // the index of a file source is built here: no partial index may stay either
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CHRONOSCOPE_CACHE_DIR", cache.path());
        p.setProcessEnvironment(env);
        p.start(kCli, args);
        QVERIFY(p.waitForStarted());
        QTest::qWait(1000); // well into the work
        QCOMPARE(p.state(), QProcess::Running);
        const QString stopped = stopWithSignal(p, signal);
        QVERIFY2(stopped.isEmpty(), qPrintable(stopped));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList());
        QDirIterator it(cache.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            QVERIFY2(!f.contains(".partial"), qPrintable(f));
        }
    }

    void writeFailuresAreErrors_data()
    {
        // A full disk or a closed stdout fails the command with a message and exit 2 (it used to exit 0).
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<bool>("closeStdout"); // else stdout is /dev/full
        QTest::addColumn<QString>("needle");
        const QString s = QStringLiteral("@store");
        QTest::newRow("events > /dev/full") << QStringList{"events", s} << false << "No space left on device";
        QTest::newRow("info > /dev/full") << QStringList{"info", s} << false << "No space left on device";
        QTest::newRow("state > /dev/full") << QStringList{"state", s, "--stream", "@order"} << false << "No space left";
        QTest::newRow("export -o - > /dev/full") << QStringList{"export", s, "-o", "-"} << false << "No space left";
        QTest::newRow("demo -o - > /dev/full") << QStringList{"demo", "-o", "-", "--events", "3000"} << false
                                               << "No space left";
        QTest::newRow("help > /dev/full") << QStringList{"--help"} << false << "No space left";
        QTest::newRow("events, stdout closed") << QStringList{"events", s} << true << "Bad file descriptor";
        QTest::newRow("streams, stdout closed") << QStringList{"streams", s} << true << "Bad file descriptor";
    }
    void writeFailuresAreErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(bool, closeStdout);
        QFETCH(QString, needle);
        args.replaceInStrings("@store", m_store);
        args.replaceInStrings("@order", m_order);
        QProcess p;
        if (closeStdout) {
            // sh closes fd 1 before exec: every write to stdout fails with EBADF.
            p.start("/bin/sh", QStringList{"-c", "exec \"$0\" \"$@\" >&-", kCli} + args);
        } else {
            p.setStandardOutputFile("/dev/full");
            p.start(kCli, args);
        }
        QVERIFY(p.waitForFinished(60000));
        const QByteArray err = p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 2, err.constData());
        QVERIFY2(err.contains(needle.toUtf8()), err.constData());
    }

    void fullDiskIsAnError_data()
    {
        // -o on a full file system (a 512 KiB tmpfs; needs root): exit 2, a message that says the disk is full,
        // and nothing left behind, neither the output nor its .partial.
        QTest::addColumn<QString>("command");
        QTest::newRow("export") << "export";
        QTest::newRow("demo ndjson") << "demo ndjson";
        QTest::newRow("demo store") << "demo store";
        QTest::newRow("import") << "import";
    }
    void fullDiskIsAnError()
    {
        QFETCH(QString, command);
        QTemporaryDir dir;
        if (::geteuid() != 0 || QProcess::execute("mount", {"-t", "tmpfs", "-o", "size=512k", "tmpfs", dir.path()}) != 0)
            QSKIP("needs root and mount for a small file system");
        const auto unmount = qScopeGuard([&] { QProcess::execute("umount", {dir.path()}); });
        QStringList args;
        if (command == "export")
            args = {"export", m_store, "-o", dir.filePath("out.ndjson")};
        else if (command == "demo ndjson")
            args = {"demo", "-o", dir.filePath("out.ndjson"), "--events", "20000"};
        else if (command == "demo store")
            args = {"demo", "-o", dir.filePath("out.chronoscope"), "--events", "20000"};
        else
            args = {"import", endlessGzip(), "-o", dir.filePath("out.chronoscope")};
        const Run r = cli(args);
        QCOMPARE(r.exit, 2);
        QVERIFY2(r.err.contains("No space left on device") || r.err.contains("disk is full"), r.err.constData());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    void outputMustBeRegularFile_data()
    {
        // -o never replaces anything but a regular file, even with --force: a device node, a FIFO, a folder,
        // or a symbolic link to one of them gets a clear error and stays what it was.
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("target");
        for (const char* c : {"import", "demo", "demo-ndjson", "export", "capture"})
            for (const char* t : {"device", "fifo", "folder", "link to device", "link to fifo"})
                QTest::addRow("%s -o %s", c, t) << c << t;
    }
    void outputMustBeRegularFile()
    {
        QFETCH(QString, command);
        QFETCH(QString, target);
        QTemporaryDir dir;
        const QByteArray ndjsonSuffix = command == "demo-ndjson" || command == "export" ? ".ndjson" : "";
        QString path = dir.filePath("target" + ndjsonSuffix);
        mode_t expected = 0;
        QString what;
        if (target.contains("device")) {
            // A character device like /dev/null (1,3) in our own folder, so nothing of the system is at stake.
            if (::geteuid() != 0 || ::mknod(QFile::encodeName(path).constData(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
                path = QStringLiteral("/dev/null");
                if (target.contains("link"))
                    QSKIP("needs root for a device node of its own");
            }
            expected = S_IFCHR;
            what = "a character device";
        } else if (target.contains("fifo")) {
            QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
            expected = S_IFIFO;
            what = "a FIFO (named pipe)";
        } else {
            QVERIFY(QDir(dir.path()).mkdir("target" + ndjsonSuffix));
            expected = S_IFDIR;
            what = "a folder";
        }
        QString out = path;
        if (target.startsWith("link")) {
            out = dir.filePath("link" + ndjsonSuffix);
            QVERIFY(QFile::link(path, out));
        }
        QStringList args;
        if (command == "import")
            args = {"import", m_dir.filePath("all.ndjson"), "-o", out, "--force"};
        else if (command.startsWith("demo"))
            args = {"demo", "-o", out, "--events", "100", "--force"};
        else if (command == "export")
            args = {"export", m_store, "-o", out, "--force", "--limit", "10"};
        else
            args = {"capture", m_store, "-o", out, "--force", "--last", "10"};
        if (command == "import" && !QFile::exists(args[1]))
            QCOMPARE(cli({"export", m_store, "-o", args[1]}).exit, 0);
        const Run r = cli(args);
        QCOMPARE(r.exit, 2);
        QVERIFY2(r.err.contains(what.toUtf8() + ", not a regular file"), r.err.constData());
        struct stat st;
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
        QCOMPARE(st.st_mode & S_IFMT, expected);
        if (target.startsWith("link")) {
            QCOMPARE(::lstat(QFile::encodeName(out).constData(), &st), 0);
            QVERIFY(S_ISLNK(st.st_mode));
        }
        // A regular file is still replaced with --force.
        if (target == "folder") {
            const QString file = dir.filePath("regular" + ndjsonSuffix);
            writeFile(file, "old");
            args.replaceInStrings(out, file);
            const Run ok = cli(args);
            QVERIFY2(ok.exit == 0, ok.err.constData());
            QVERIFY(QFileInfo(file).size() > 3);
        }
    }

    void nonRegularInputsFailFast_data()
    {
        QTest::addColumn<QString>("command");
        for (const char* c : {"info", "events", "streams", "state", "import"})
            QTest::newRow(c) << c;
    }
    void nonRegularInputsFailFast()
    {
        // A FIFO with no writer used to block the CLI forever (open() waits for a writer): now a clear error.
        QFETCH(QString, command);
        QTemporaryDir dir;
        const QString fifo = dir.filePath("events.ndjson");
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QStringList args{command, fifo};
        if (command == "state")
            args << "--stream" << "a";
        if (command == "import")
            args << "-o" << dir.filePath("out.chronoscope");
        QProcess p;
        p.start(kCli, args);
        const bool ended = p.waitForFinished(5000);
        if (!ended) {
            p.kill();
            p.waitForFinished();
        }
        QVERIFY2(ended, "blocked on the FIFO");
        QCOMPARE(p.exitCode(), 2);
        const QByteArray err = p.readAllStandardError();
        QVERIFY2(err.contains("is a FIFO (named pipe), not a regular file"), err.constData());
        QVERIFY(p.readAllStandardOutput().isEmpty());
    }

    void importMaxEventSize()
    {
        // A small .gz that expands to a 6 MiB line: with --max-event-size 64K the line is skipped and listed
        // as file:line, the events around it are imported; a bad size is a usage error.
        QTemporaryDir dir;
        const QString in = dir.filePath("long.ndjson");
        writeFile(in, "{\"stream\":\"a\",\"type\":\"T\"}\n{\"stream\":\"b\",\"data\":\"" +
                          QByteArray(6 * 1024 * 1024, 'x') + "\"}\n{\"stream\":\"c\",\"type\":\"T\"}\n");
        QCOMPARE(QProcess::execute("gzip", {"-f", in}), 0);
        QVERIFY(QFileInfo(in + ".gz").size() < 64 * 1024);
        const Run r = cli({"import", in + ".gz", "-o", dir.filePath("out.chronoscope"), "--max-event-size", "64K"});
        QVERIFY2(r.exit == 0, r.err.constData());
        const QJsonObject s = r.json().toObject();
        QCOMPARE(s.value("events").toInteger(), 2);
        QCOMPARE(s.value("skipped").toInteger(), 1);
        const QJsonArray issues = s.value("issues").toArray();
        QCOMPARE(issues.size(), 1);
        QCOMPARE(issues[0][QLatin1String("line")].toInteger(), 2);
        QVERIFY2(issues[0][QLatin1String("message")].toString().contains("longer than the limit of 64 KiB"),
                 qPrintable(issues[0][QLatin1String("message")].toString()));
        const Run bad = cli({"import", in + ".gz", "-o", dir.filePath("bad.chronoscope"), "--max-event-size", "lots"});
        QCOMPARE(bad.exit, 1);
        QVERIFY(bad.err.contains("--max-event-size"));
    }

    void envelopes_data()
    {
        // One rule for state, diff and blame: the answer itself by default, --envelope wraps it with the source,
        // the stream and the point(s).
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("answerKey");
        QTest::newRow("state") << "state" << "state";
        QTest::newRow("diff") << "diff" << "patch";
        QTest::newRow("blame") << "blame" << "event";
    }
    void envelopes()
    {
        QFETCH(QString, command);
        QFETCH(QString, answerKey);
        QStringList args{command, m_store, "--stream", m_order};
        if (command == "diff")
            args << "--from-version" << "1";
        if (command == "blame")
            args << "--path" << "/status";
        const Run plain = cli(args);
        QVERIFY2(plain.exit == 0, plain.err.constData());
        const Run wrapped = cli(args + QStringList{"--envelope"});
        QVERIFY2(wrapped.exit == 0, wrapped.err.constData());
        const QJsonObject o = wrapped.json().toObject();
        QCOMPARE(o.value("source").toString(), m_store);
        QCOMPARE(o.value("stream").toString(), m_order);
        QCOMPARE(o.value(answerKey), plain.json());
        if (command == "diff") {
            QCOMPARE(o.value("from").toObject().value("kind").toString(), QStringLiteral("version"));
            QCOMPARE(o.value("to").toObject().value("kind").toString(), QStringLiteral("end"));
            QVERIFY(plain.json().isArray());
        } else {
            QCOMPARE(o.value("point").toObject().value("kind").toString(), QStringLiteral("end"));
            QVERIFY(plain.json().isObject());
        }
        if (command == "blame")
            QCOMPARE(o.value("path").toString(), QStringLiteral("/status"));
    }

    void unknownLayoutNamesTables()
    {
        writeFixtures();
        const QString path = m_dir.filePath("unknown.sqlite");
        const QByteArray before = fileHash(path);
        const Run r = cli({"streams", path});
        QCOMPARE(r.exit, 2);
        QVERIFY(r.err.contains("accounts"));
        QCOMPARE(fileHash(path), before);
    }

private:
    // A gzip file of 3 MB that expands to 440 MB (10 million events) of valid NDJSON: the same compressed
    // member repeated (concatenated gzip members read as one text), so an import of it runs long enough
    // to be interrupted.
    QString endlessGzip()
    {
        const QString path = m_dir.filePath("endless.ndjson.gz");
        if (QFile::exists(path))
            return path;
        QByteArray chunk;
        for (int i = 0; chunk.size() < 2 * 1024 * 1024; ++i)
            chunk += "{\"stream\":\"s-" + QByteArray::number(i % 100) + "\",\"type\":\"T\",\"data\":{\"n\":1}}\n";
        QProcess gz;
        gz.start("gzip", {"-c"});
        gz.write(chunk);
        gz.closeWriteChannel();
        if (!gz.waitForFinished(30000))
            return {};
        const QByteArray member = gz.readAllStandardOutput();
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        for (int i = 0; i < 200; ++i)
            f.write(member);
        return path;
    }

    void writeFixtures()
    {
        if (m_fixtures)
            return;
        m_fixtures = true;
        writeFile(m_dir.filePath("text.sqlite"), "this is a text file, not a database\n");
        QByteArray damaged("SQLite format 3\0", 16);
        damaged += QByteArray(4080, '\xab');
        writeFile(m_dir.filePath("damaged.sqlite"), damaged);
        writeFile(m_dir.filePath("good.ndjson"), "{\"stream\":\"s-1\",\"type\":\"A\",\"data\":{}}\n");
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(m_dir.filePath("unknown.sqlite").toUtf8().constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "CREATE TABLE ledger(id INTEGER PRIMARY KEY, amount INT);"
                                  "CREATE TABLE accounts(id TEXT PRIMARY KEY);"
                                  "INSERT INTO ledger(amount) VALUES (5);",
                              nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
    }

    QTemporaryDir m_dir;
    DemoOptions m_opts;
    QList<Event> m_events;
    QMap<QString, QList<Event>> m_byStream;
    QString m_store;
    QByteArray m_storeHash;
    QString m_long;
    QString m_order;
    bool m_fixtures = false;
};

QTEST_GUILESS_MAIN(TstCli)
#include "tst_cli.moc"
