// chronoscope-cli story end to end: the real binary on a demo store this test generates, the shipped
// story (resources/stories), and bad stories. Exit codes: 0 fine, 1 usage, 2 unreadable story or store,
// 3 a fact does not hold. The source store is never written.

#include "story/storyexport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>

namespace {

const QString kCli = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli");
const QString kShipped =
    QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/stories/payment-outage.chronostory.json");

struct Run
{
    int exit = -1;
    QByteArray out;
    QByteArray err;
};

Run run(const QStringList& args, int timeoutMs = 60000)
{
    QProcess p;
    p.start(kCli, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.exit = -3; // a hang
        return r;
    }
    r.exit = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2; // -2: a crash
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QByteArray sha(const QString& path)
{
    QFile f(path);
    f.open(QIODevice::ReadOnly);
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
}

} // namespace

class TestStoryCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void shippedStoryChecks();
    void failingFactExitsThree();
    void badInput_data();
    void badInput();
    void usageErrors_data();
    void usageErrors();
    void shaMismatchWarns();
    void renderEveryFormat();
    void bundleRedactsBytesAndLeavesSourceAlone();
    void draftChecksGreen();

private:
    QString story(const QString& name, const QByteArray& bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(bytes);
        return path;
    }
    QTemporaryDir m_dir;
    QString m_store;
    QByteArray m_storeSha;
};

void TestStoryCli::initTestCase()
{
    QVERIFY(QFileInfo::exists(kCli));
    m_store = m_dir.filePath(QStringLiteral("demo.chronoscope"));
    const Run r = run({QStringLiteral("demo"), QStringLiteral("-o"), m_store});
    QVERIFY2(r.exit == 0, r.err.constData());
    m_storeSha = sha(m_store);
}

void TestStoryCli::shippedStoryChecks()
{
    const Run r =
        run({QStringLiteral("story"), QStringLiteral("check"), kShipped, QStringLiteral("--store"), m_store});
    QVERIFY2(r.exit == 0, r.out.constData());
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QVERIFY(lines.size() >= 15);
    for (const QByteArray& l : lines) {
        const QJsonObject o = QJsonDocument::fromJson(l).object();
        QVERIFY2(o.contains(QStringLiteral("chapter")) && o.contains(QStringLiteral("fact")) &&
                     o.contains(QStringLiteral("actual")) && o.value(QStringLiteral("holds")).toBool(),
                 l.constData());
    }
    const Run lint =
        run({QStringLiteral("story"), QStringLiteral("lint"), kShipped, QStringLiteral("--store"), m_store});
    QCOMPARE(lint.exit, 0);
    QVERIFY2(lint.out.isEmpty(), lint.out.constData());
}

void TestStoryCli::failingFactExitsThree()
{
    const QString s = story(QStringLiteral("fails.chronostory.json"), R"({"chronostory":1,"chapters":[
        {"id":"outage","range":{"fromTime":"2026-03-03T13:40:00Z","toTime":"2026-03-03T14:25:00Z"},
         "expect":[{"count":"PaymentFailed","equals":1},{"count":"PaymentFailed","atLeast":1}]}]})");
    const Run r =
        run({QStringLiteral("story"), QStringLiteral("check"), s, QStringLiteral("--store"), m_store});
    QCOMPARE(r.exit, 3);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QVERIFY(lines[0].contains("\"holds\":false"));
    QVERIFY(lines[1].contains("\"holds\":true"));
}

void TestStoryCli::badInput_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("alsoRender"); // the resolving errors are checked through render too
    const QByteArray js = "{\"chronostory\":1,\"chapters\":";
    QTest::newRow("invalid json") << QByteArray("{\"chronostory\":1,,}") << "not valid JSON at line 1"
                                  << false;
    QTest::newRow("100000 levels deep") << QByteArray(100000, '{') << "nests deeper than 64 levels" << false;
    QTest::newRow("50 MB caption") << js + "[{\"caption\":\"" + QByteArray(50 * 1024 * 1024, 'a') + "\"}]}"
                                   << "/chapters/0/caption: is 52428800 bytes long" << false;
    QTest::newRow("unknown anchor") << js + R"([{"anchor":{"position":1}}]})"
                                    << "/chapters/0/anchor: unknown key" << false;
    QTest::newRow("unbalanced braces") << js + R"([{"caption":"{count"}]})"
                                       << "'{' is never closed" << false;
    QTest::newRow("unknown formatter") << js + R"([{"caption":"{count|shout}"}]})"
                                       << "unknown formatter 'shout'" << false;
    QTest::newRow("chapter with no beats") << js + R"([{"id":"none","focus":{"correlation":"no-such-id"}}]})"
                                           << "chapter 'none' (/chapters/0) has no beats" << true;
    QTest::newRow("kpi projection throws")
        << js +
               R"([{"id":"k","range":{"toPosition":200},"kpis":["bad"],"expect":[{"kpi":"bad","atLeast":0}]}],
                 "kpis":[{"id":"bad","projection":"throws.js","pointer":"/n"}]})"
        << "KPI 'bad'" << true;
    QTest::newRow("missing projection") << js + R"([{"watch":{"projection":"nope.js","predicate":"true"}}]})"
                                        << "nope.js" << true;
}

void TestStoryCli::badInput()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    QFETCH(bool, alsoRender);
    story(QStringLiteral("throws.js"),
          "fromAll().when({$init:function(){return {n:0}},$any:function(s,e){throw new Error('boom')}});");
    const QString s = story(QStringLiteral("bad.chronostory.json"), text);
    QFile::remove(m_dir.filePath(QStringLiteral("bad.md")));
    for (const char* sub : {"check", "render"}) {
        if (!alsoRender && QByteArray(sub) == "render") continue;
        QStringList args{QStringLiteral("story"), QLatin1String(sub), s, QStringLiteral("--store"), m_store};
        if (QByteArray(sub) == "render")
            args << QStringLiteral("--markdown") << m_dir.filePath(QStringLiteral("bad.md"));
        const Run r = run(args);
        QVERIFY2(r.exit == 2, qPrintable(QStringLiteral("%1: exit %2: %3")
                                             .arg(QLatin1String(sub))
                                             .arg(r.exit)
                                             .arg(QString::fromUtf8(r.err))));
        QVERIFY2(QString::fromUtf8(r.err).contains(expected), r.err.constData());
    }
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("bad.md"))));
}

void TestStoryCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no subcommand") << QStringList{QStringLiteral("story")};
    QTest::newRow("unknown subcommand")
        << QStringList{QStringLiteral("story"), QStringLiteral("tell"), QStringLiteral("x")};
    QTest::newRow("render without format")
        << QStringList{QStringLiteral("story"), QStringLiteral("render"), kShipped};
    QTest::newRow("render two formats") << QStringList{
        QStringLiteral("story"), QStringLiteral("render"), kShipped,           QStringLiteral("--pdf"),
        QStringLiteral("a"),     QStringLiteral("--html"), QStringLiteral("b")};
    QTest::newRow("draft without correlation")
        << QStringList{QStringLiteral("story"), QStringLiteral("draft"), QStringLiteral("x"),
                       QStringLiteral("-o"), QStringLiteral("y")};
    QTest::newRow("bundle without output")
        << QStringList{QStringLiteral("story"), QStringLiteral("bundle"), kShipped};
}

void TestStoryCli::usageErrors()
{
    QFETCH(QStringList, args);
    const Run r = run(args);
    QVERIFY2(r.exit == 1, r.err.constData());
}

void TestStoryCli::shaMismatchWarns()
{
    const QString s = story(QStringLiteral("sha.chronostory.json"), R"({"chronostory":1,
        "source":{"uri":"demo.chronoscope","sha256":"0000000000000000000000000000000000000000000000000000000000000000"},
        "chapters":[{"range":{"toPosition":1000},"expect":[{"count":"OrderPlaced","atLeast":1}]}]})");
    const Run r =
        run({QStringLiteral("story"), QStringLiteral("check"), s}); // source.uri, relative to the story
    QCOMPARE(r.exit, 0);
    QVERIFY2(r.err.contains("warning") && r.err.contains(m_storeSha), r.err.constData());
}

void TestStoryCli::renderEveryFormat()
{
    const QString pdf = m_dir.filePath(QStringLiteral("s.pdf"));
    Run r = run({QStringLiteral("story"), QStringLiteral("render"), kShipped, QStringLiteral("--store"),
                 m_store, QStringLiteral("--pdf"), pdf});
    QVERIFY2(r.exit == 0, r.err.constData());
    QFile f(pdf);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QVERIFY(bytes.startsWith("%PDF"));
    QCOMPARE(bytes.count("/Type /Page\n") + bytes.count("/Type /Page\r") + bytes.count("/Type /Page "),
             7); // title + 6 chapters

    const QString html = m_dir.filePath(QStringLiteral("s.html"));
    r = run({QStringLiteral("story"), QStringLiteral("render"), kShipped, QStringLiteral("--store"), m_store,
             QStringLiteral("--html"), html});
    QVERIFY2(r.exit == 0, r.err.constData());
    QFile h(html);
    QVERIFY(h.open(QIODevice::ReadOnly));
    const QByteArray page = h.readAll();
    QVERIFY(page.count("<svg") >= 6);
    QVERIFY(page.contains("ArrowRight"));
    QVERIFY(!page.contains("http://") || !page.contains("src=\"http")); // no network fetches
    QVERIFY(!page.contains("customer-358")); // /customerId is hashed in the shipped glossary

    const QString dir = m_dir.filePath(QStringLiteral("png"));
    r = run({QStringLiteral("story"), QStringLiteral("render"), kShipped, QStringLiteral("--store"), m_store,
             QStringLiteral("--png"), dir});
    QVERIFY2(r.exit == 0, r.err.constData());
    const QStringList pngs = QDir(dir).entryList({QStringLiteral("*.png")});
    QCOMPARE(pngs.size(), 6);
    QFile png(QDir(dir).filePath(pngs.first()));
    QVERIFY(png.open(QIODevice::ReadOnly));
    const QByteArray head = png.read(24); // signature, IHDR: width and height, big-endian
    QVERIFY(head.startsWith("\x89PNG"));
    QCOMPARE(qFromBigEndian<quint32>(head.constData() + 16), 1920u);
    QCOMPARE(qFromBigEndian<quint32>(head.constData() + 20), 1080u);

    const QString md = m_dir.filePath(QStringLiteral("s.md"));
    r = run({QStringLiteral("story"), QStringLiteral("render"), kShipped, QStringLiteral("--store"), m_store,
             QStringLiteral("--markdown"), md});
    QVERIFY2(r.exit == 0, r.err.constData());
    QFile m(md);
    QVERIFY(m.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(m.readAll());
    QVERIFY(text.startsWith(QStringLiteral("# How an order survives a payment outage")));
    QVERIFY(text.contains(QStringLiteral("| # | Time | Actor | What happened |")));
    QVERIFY(text.contains(QStringLiteral("**Revenue 3 March (v1)**: €130,223.54")));
    QCOMPARE(sha(m_store), m_storeSha);
}

void TestStoryCli::bundleRedactsBytesAndLeavesSourceAlone()
{
    const QString out = m_dir.filePath(QStringLiteral("bundle.chronoscope"));
    Run r = run({QStringLiteral("story"), QStringLiteral("bundle"), kShipped, QStringLiteral("--store"),
                 m_store, QStringLiteral("-o"), out});
    QVERIFY2(r.exit == 0, r.err.constData());
    QVERIFY(r.out.contains("\"/customerId\""));
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    // Values of the chapters' events that the glossary hashes, masks, drops or hides.
    for (const QByteArray& original :
         {QByteArray("customer-358"), QByteArray("customer-105"), QByteArray("TRK1017278924"),
          QByteArray("245E45"), QByteArray("did not answer within 10 s")})
        QVERIFY2(!bytes.contains(original), original.constData());
    QVERIFY(bytes.contains("PaymentFailed"));
    QCOMPARE(sha(m_store), m_storeSha);
    // The bundle is a store: the story checks against it.
    r = run({QStringLiteral("info"), out});
    QCOMPARE(r.exit, 0);
    QVERIFY(r.out.contains("story_manifest"));
    // Never over an existing file.
    r = run({QStringLiteral("story"), QStringLiteral("bundle"), kShipped, QStringLiteral("--store"), m_store,
             QStringLiteral("-o"), m_store});
    QCOMPARE(r.exit, 2);
    QCOMPARE(sha(m_store), m_storeSha);
}

void TestStoryCli::draftChecksGreen()
{
    const QString out = m_dir.filePath(QStringLiteral("draft.chronostory.json"));
    Run r = run({QStringLiteral("story"), QStringLiteral("draft"), m_store, QStringLiteral("--correlation"),
                 QStringLiteral("cf167ff9-3d22-4b1d-b2f1-4758b5e23725"), QStringLiteral("-o"), out});
    QVERIFY2(r.exit == 0, r.err.constData());
    r = run({QStringLiteral("story"), QStringLiteral("check"), out});
    QVERIFY2(r.exit == 0, (r.out + r.err).constData());
    QVERIFY(r.out.count('\n') >= 5);
    r = run({QStringLiteral("story"), QStringLiteral("draft"), m_store, QStringLiteral("--correlation"),
             QStringLiteral("nobody"), QStringLiteral("-o"), m_dir.filePath(QStringLiteral("none.json"))});
    QCOMPARE(r.exit, 2);
}

QTEST_GUILESS_MAIN(TestStoryCli)
#include "tst_story_cli.moc"
