// store::namesWithPrefix (core/store/storenames.h): the stream and type names shell completion offers, read
// by an index range scan. Prefix edges (empty, multi-byte, 0xFF bytes), the truncated list that keeps the
// right common prefix, and files that are not native stores (foreign SQLite, crafted views, truncated,
// missing, NDJSON) each get a clear answer and never a crash.

#include "store/storenames.h"
#include "store/storewriter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace chronoscope;
using namespace chronoscope::store;

namespace {

QString makeStore(const QString& path, const QStringList& streams, const QStringList& types = {QStringLiteral("Happened")})
{
    QString err;
    auto w = StoreWriter::create(path, {}, &err);
    if (!w)
        return err;
    qint64 i = 0;
    for (const QString& s : streams) {
        Event e;
        e.stream = s;
        e.type = types.at(i++ % types.size());
        e.data = "{}";
        e.metadata = "{}";
        if (!w->append(e, &err))
            return err;
    }
    return w->finish(&err) ? QString() : err;
}

bool execSql(const QString& path, const char* sql)
{
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(QFile::encodeName(path).constData(), &db) == SQLITE_OK &&
              sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

} // namespace

class TestStoreNames : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_store;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(QStringLiteral("names.chronoscope"));
        const QStringList streams{QStringLiteral("order-1"),     QStringLiteral("order-10"),   QStringLiteral("order-2"),
                                  QStringLiteral("payment-1"),   QStringLiteral("payment-2"),  QStringLiteral("pay"),
                                  QStringLiteral("café-1"),      QStringLiteral("café-2"),     QStringLiteral("cafe-1"),
                                  QStringLiteral("$ce-order"),   QStringLiteral("a b:c=d"),    QStringLiteral("日本-1")};
        QCOMPARE(makeStore(m_store, streams, {QStringLiteral("OrderPlaced"), QStringLiteral("PaymentFailed")}), QString());
    }

    void prefixes_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("empty: every name in byte order")
            << QString() << QStringList{QStringLiteral("$ce-order"), QStringLiteral("a b:c=d"), QStringLiteral("cafe-1"),
                                        QStringLiteral("café-1"), QStringLiteral("café-2"), QStringLiteral("order-1"),
                                        QStringLiteral("order-10"), QStringLiteral("order-2"), QStringLiteral("pay"),
                                        QStringLiteral("payment-1"), QStringLiteral("payment-2"), QStringLiteral("日本-1")};
        QTest::newRow("pay: the name itself and longer ones")
            << QStringLiteral("pay") << QStringList{QStringLiteral("pay"), QStringLiteral("payment-1"), QStringLiteral("payment-2")};
        QTest::newRow("order-1: order-10 but not order-2")
            << QStringLiteral("order-1") << QStringList{QStringLiteral("order-1"), QStringLiteral("order-10")};
        QTest::newRow("multi-byte prefix") << QStringLiteral("café") << QStringList{QStringLiteral("café-1"), QStringLiteral("café-2")};
        QTest::newRow("caf: both spellings") << QStringLiteral("caf")
                                             << QStringList{QStringLiteral("cafe-1"), QStringLiteral("café-1"), QStringLiteral("café-2")};
        QTest::newRow("CJK") << QStringLiteral("日") << QStringList{QStringLiteral("日本-1")};
        QTest::newRow("spaces, colon, equals") << QStringLiteral("a b:") << QStringList{QStringLiteral("a b:c=d")};
        QTest::newRow("dollar") << QStringLiteral("$") << QStringList{QStringLiteral("$ce-order")};
        QTest::newRow("case matters") << QStringLiteral("Order") << QStringList{};
        QTest::newRow("no match") << QStringLiteral("zzz") << QStringList{};
        QTest::newRow("LIKE wildcards are plain text") << QStringLiteral("%") << QStringList{};
        QTest::newRow("underscore is plain text") << QStringLiteral("order_") << QStringList{};
        QTest::newRow("a huge prefix") << QString(100000, u'x') << QStringList{};
    }
    void prefixes()
    {
        QFETCH(QString, prefix);
        QFETCH(QStringList, expected);
        QString error;
        const auto m = namesWithPrefix(m_store, NameTable::Streams, prefix, 100, &error);
        QVERIFY2(m, qPrintable(error));
        QCOMPARE(m->names, expected);
        QVERIFY(!m->truncated);
    }

    void types()
    {
        QString error;
        const auto m = namesWithPrefix(m_store, NameTable::Types, QStringLiteral("Pay"), 100, &error);
        QVERIFY2(m, qPrintable(error));
        QCOMPARE(m->names, QStringList{QStringLiteral("PaymentFailed")});
    }

    // Over the limit: the first limit-1 names and the last, so the common prefix of the list ("order-") is the
    // common prefix of all matches, not of the first few ("order-1").
    void truncatedKeepsCommonPrefix()
    {
        const QString path = m_dir.filePath(QStringLiteral("many.chronoscope"));
        QStringList streams;
        for (int i = 1; i <= 300; ++i)
            streams << QStringLiteral("order-%1").arg(i);
        QCOMPARE(makeStore(path, streams), QString());
        QString error;
        const auto m = namesWithPrefix(path, NameTable::Streams, QStringLiteral("order-"), 10, &error);
        QVERIFY2(m, qPrintable(error));
        QVERIFY(m->truncated);
        QCOMPARE(m->names.size(), 10);
        QCOMPARE(m->names.first(), QStringLiteral("order-1"));
        QCOMPARE(m->names.last(), QStringLiteral("order-99")); // the largest in byte order
        QVERIFY(!m->names.mid(0, 9).contains(QStringLiteral("order-99")));
        // Exactly the limit: nothing is left out.
        const auto all = namesWithPrefix(path, NameTable::Streams, QStringLiteral("order-29"), 11, &error);
        QVERIFY(all);
        QCOMPARE(all->names.size(), 11); // order-29, order-290..299
        QVERIFY(!all->truncated);
        // A limit below two still leaves two names (one name would be completed as the only match).
        const auto two = namesWithPrefix(path, NameTable::Streams, QStringLiteral("order-"), 1, &error);
        QVERIFY(two);
        QCOMPARE(two->names.size(), 2);
    }

    void upperBound_data()
    {
        QTest::addColumn<QByteArray>("prefix");
        QTest::addColumn<QByteArray>("upper");
        QTest::newRow("plain") << QByteArray("pay") << QByteArray("paz");
        QTest::newRow("empty: none") << QByteArray() << QByteArray();
        QTest::newRow("trailing 0xFF carries") << QByteArray("a\xFF", 2) << QByteArray("b");
        QTest::newRow("all 0xFF: none") << QByteArray("\xFF\xFF", 2) << QByteArray();
        QTest::newRow("multi-byte") << QByteArray("caf\xC3\xA9") << QByteArray("caf\xC3\xAA");
    }
    void upperBound()
    {
        QFETCH(QByteArray, prefix);
        QFETCH(QByteArray, upper);
        QCOMPARE(prefixUpperBound(prefix), upper);
    }

    // Files that are not native stores: *notStore tells "not ours" (a foreign layout may still be read by its
    // reader) from "cannot read"; nothing crashes and nothing is written.
    void notStores_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("notStore");
        QTest::newRow("missing file") << QStringLiteral("missing") << false;
        QTest::newRow("NDJSON") << QStringLiteral("ndjson") << true;
        QTest::newRow("empty file") << QStringLiteral("empty") << true;
        QTest::newRow("foreign SQLite with a streams table") << QStringLiteral("foreign") << true;
        QTest::newRow("streams is a view") << QStringLiteral("view") << true;
        QTest::newRow("truncated store") << QStringLiteral("truncated") << false;
        QTest::newRow("a folder") << QStringLiteral("folder") << false;
    }
    void notStores()
    {
        QFETCH(QString, kind);
        QFETCH(bool, notStore);
        const QString path = m_dir.filePath(kind + QStringLiteral(".bad"));
        if (kind == QLatin1String("ndjson") || kind == QLatin1String("empty")) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            if (kind == QLatin1String("ndjson"))
                f.write("{\"stream\":\"pay-1\",\"type\":\"X\"}\n");
        } else if (kind == QLatin1String("foreign")) {
            QVERIFY(execSql(path, "CREATE TABLE streams(name TEXT); INSERT INTO streams VALUES('pay-1');"));
        } else if (kind == QLatin1String("view")) {
            QCOMPARE(makeStore(path, {QStringLiteral("pay-1")}), QString());
            QVERIFY(execSql(path, "ALTER TABLE streams RENAME TO s2; CREATE VIEW streams AS SELECT 'pay-evil' AS name;"));
        } else if (kind == QLatin1String("truncated")) {
            const QString full = m_dir.filePath(QStringLiteral("full.chronoscope"));
            QStringList many;
            for (int i = 0; i < 2000; ++i)
                many << QStringLiteral("pay-%1").arg(i);
            QCOMPARE(makeStore(full, many), QString());
            QFile f(full);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray head = f.read(4096 + 100); // page 1 and a bit: the schema, no name pages
            QFile out(path);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(head);
        } else if (kind == QLatin1String("folder")) {
            QVERIFY(QDir().mkpath(path));
        }
        const QByteArray before = QFile::exists(path) && QFileInfo(path).isFile()
                                      ? [&] { QFile f(path); f.open(QIODevice::ReadOnly); return f.readAll(); }()
                                      : QByteArray();
        QString error;
        bool isNotStore = !notStore;
        const auto m = namesWithPrefix(path, NameTable::Streams, QStringLiteral("pay"), 100, &error, &isNotStore);
        QVERIFY(!m);
        QVERIFY(!error.isEmpty());
        QCOMPARE(isNotStore, notStore);
        if (!before.isEmpty()) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(f.readAll(), before);
        }
        QVERIFY(!QFile::exists(path + QStringLiteral("-journal")));
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }
};

QTEST_GUILESS_MAIN(TestStoreNames)
#include "tst_storenames.moc"
