// Present mode (docs/present.md) driven by the keys a presentation remote sends, offscreen: the shipped story
// on the bundled demo store, checked through what the audience frame and the presenter's view show (chapter,
// step, caption, facts ✓/✗, notes, raw event while D is held, blank). Bad input: a missing story, chapters out
// of range, a story that does not match the store, malformed live keys. Live chapters against the loopback
// Redis fixture: the recorded events when nothing matches in time, the live event when one comes.

#include "livecontroller.h"
#include "mainwindow.h"
#include "presentsession.h"
#include "presentwindows.h"
#include "story/storyrender.h"

#include "fixtures/remotefixture.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextLayout>

#include <hiredis.h>

#include <cmath>

using namespace chronoscope;
using namespace chronoscope::present;

namespace {

const QString kStory = QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/stories/payment-outage.chronostory.json");
const QString kStore = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/resources/demo.chronoscope");

const QByteArray kSecret = "S3cret-pw!"; // the password of the Redis fixture's second server (port-auth)

/// XADD on the loopback Redis fixture (AUTH first when a password is given).
bool redisAdd(int port, const QByteArray& key, const QByteArray& type, int n, const QByteArray& password = {})
{
    redisContext* c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        if (c) redisFree(c);
        return false;
    }
    if (!password.isEmpty())
        freeReplyObject(redisCommand(c, "AUTH %b", password.constData(), size_t(password.size())));
    const QByteArray data = "{\"n\":" + QByteArray::number(n) + "}";
    auto* r = static_cast<redisReply*>(redisCommand(c, "XADD %b * type %b data %b", key.constData(),
                                                    size_t(key.size()), type.constData(), size_t(type.size()),
                                                    data.constData(), size_t(data.size())));
    const bool ok = r && r->type == REDIS_REPLY_STRING;
    freeReplyObject(r);
    redisFree(c);
    return ok;
}

/// A story with a recorded chapter and a live one waiting for a "Shipped" event.
const QByteArray kLiveStory =
    R"({"chronostory":1,"title":"Live","glossary":{"events":{"Shipped":{"say":"Parcel {/n} ships","tone":"good"}}},
    "chapters":[{"id":"before","title":"Before","caption":"{count} orders"},
                {"id":"live","title":"Now, live","range":{"fromPosition":0},
                 "live":{"match":{"type":"Shipped"},"timeout":"0.6s"}}]})";

bool fileContains(const QString& path, const QByteArray& needle)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) && f.readAll().contains(needle);
}

/// WCAG 2 contrast ratio of two colours.
double contrast(const QColor& a, const QColor& b)
{
    auto lum = [](const QColor& c) {
        auto ch = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF());
    };
    const double x = lum(a), y = lum(b);
    return (std::max(x, y) + 0.05) / (std::min(x, y) + 0.05);
}

QString plain(const QString& markdown)
{
    QString s = markdown;
    return s.remove(QStringLiteral("**"));
}

} // namespace

class TstAppPresent : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::unique_ptr<PresentWindows> m_shared;

    /// A presentation of `story` on `store` in windows that are shown (offscreen) but not full screen.
    std::unique_ptr<PresentWindows> present(const QString& story = kStory, const QString& store = kStore,
                                            int chapter = 0, int beat = 0)
    {
        auto* p = new Presentation;
        QString error;
        if (!p->loadStory(story, &error)) {
            delete p;
            qWarning("%s", qPrintable(error));
            return {};
        }
        p->setStoreUri(store);
        PresentWindows::Options o;
        o.fullScreen = false;
        o.size = QSize(960, 540);
        auto w = std::make_unique<PresentWindows>(p, o);
        if (!p->start(chapter, beat, &error)) return {};
        return w;
    }

    static void key(PresentWindows& w, Qt::Key k, Qt::KeyboardModifiers m = Qt::NoModifier)
    {
        QTest::keyClick(w.audience(), k, m);
    }

    static void keys(PresentWindows& w, const QString& seq)
    {
        // "n" Space/next, "p" previous, "N" PgDn, "P" PgUp, digits, "e" Enter.
        for (QChar c : seq) {
            if (c == u'n') key(w, Qt::Key_Space);
            else if (c == u'r') key(w, Qt::Key_Right);
            else if (c == u'p') key(w, Qt::Key_Left);
            else if (c == u'N') key(w, Qt::Key_PageDown);
            else if (c == u'P') key(w, Qt::Key_PageUp);
            else if (c == u'e') key(w, Qt::Key_Return);
            else if (c == u'h') key(w, Qt::Key_Home);
            else if (c.isDigit()) key(w, Qt::Key(Qt::Key_0 + c.digitValue()));
            QTRY_VERIFY_WITH_TIMEOUT(w.presentation()->isIdle(), 20000);
        }
    }

    QString writeStory(const QString& name, const QByteArray& text)
    {
        const QString path = m_tmp.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(text);
        return path;
    }

    /// The shipped story with `from` replaced by `to` (a fact that does not hold, an id not in the store).
    QString shippedWith(const QString& name, const QByteArray& from, const QByteArray& to)
    {
        QFile f(kStory);
        if (!f.open(QIODevice::ReadOnly)) return {};
        QByteArray text = f.readAll();
        if (!text.contains(from)) return {};
        text.replace(from, to);
        // Relative paths (source, projections) resolve against the story's folder: point them at the repo.
        text.replace("\"../", "\"" CHRONOSCOPE_SOURCE_DIR "/resources/");
        return writeStory(name, text);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("chronoscope-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_app_present"));
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFile::exists(kStore), "the bundled demo store is built by the demo_store target");
    }

    void firstChapterShows()
    {
        m_shared = present();
        PresentWindows* w = m_shared.get();
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        Presentation& p = *w->presentation();
        QCOMPARE(p.chapter(), 0);
        QCOMPARE(p.beat(), 0);
        const AudienceFrame f = p.audienceFrame();
        QCOMPARE(f.page.number, 1);
        QCOMPARE(f.page.count, 6);
        QCOMPARE(f.page.title, QStringLiteral("A normal order, 2 March"));
        QVERIFY(plain(f.page.caption).startsWith(QStringLiteral("On an ordinary day an order goes from basket to doorstep")));
        QCOMPARE(f.page.highlightRow, 0);
        QCOMPARE(f.beats, p.beatCount());
        QVERIFY(p.beatCount() > 3);
        // One screen (offscreen): the presenter's view is docked beside the audience frame.
        QVERIFY(w->presenterDocked());
        PresenterPanel& pr = *w->presenter();
        QVERIFY2(pr.headerText().startsWith(QStringLiteral("Chapter 1 of 6: A normal order, 2 March · step 1 of")),
                 qPrintable(pr.headerText()));
        QVERIFY(pr.notesText().contains(QStringLiteral("Point at the single payment attempt")));
        QCOMPARE(pr.factTexts(), QStringList({QStringLiteral("✓ order-4 /status = completed"),
                                              QStringLiteral("✓ PaymentFailed events = 0"),
                                              QStringLiteral("✓ OrderPaid events = 1")}));
        QCOMPARE(pr.beatTexts().size(), p.beatCount());
        QCOMPARE(pr.currentBeatRow(), 0);
        QVERIFY(pr.modeText().startsWith(QStringLiteral("Step by step")));
        QVERIFY(pr.clockText().startsWith(QStringLiteral("Elapsed 00:0")));
        QTRY_VERIFY_WITH_TIMEOUT(pr.hasThumbnail(), 20000);
        QCOMPARE(pr.nextText(), QStringLiteral("2. 13:40: the card provider goes silent"));
        // Type for the back of the room: at least 28 px at 1080p.
        QVERIFY(audienceMinTextPx(1080) >= 28);
    }

    void keys_data()
    {
        QTest::addColumn<QString>("sequence");
        QTest::addColumn<int>("chapter"); // 0-based
        QTest::addColumn<int>("beat");    // -1: the chapter's last
        QTest::addColumn<QString>("caption");
        QTest::newRow("space steps") << "nn" << 0 << 2 << "On an ordinary day";
        QTest::newRow("right then left") << "rrp" << 0 << 1 << "On an ordinary day";
        QTest::newRow("page down") << "N" << 1 << 0 << "For ";
        QTest::newRow("page down twice, page up") << "NNP" << 1 << 0 << "For ";
        QTest::newRow("left at a chapter's start: the previous chapter's end") << "NNp" << 1 << -1 << "payment attempts fail";
        QTest::newRow("4 Enter") << "4e" << 3 << 0 << "timeouts the order is cancelled";
        QTest::newRow("6 Enter, then space at the end stays") << "6eN" << 5 << 0 << "Version 1 of the revenue report";
        QTest::newRow("out of range: 9 Enter changes nothing") << "n9e" << 0 << 1 << "On an ordinary day";
        QTest::newRow("0 Enter changes nothing") << "0e" << 0 << 0 << "On an ordinary day";
    }

    void keys()
    {
        QFETCH(QString, sequence);
        QFETCH(int, chapter);
        QFETCH(int, beat);
        QFETCH(QString, caption);
        // One presentation for the whole table (quick): Home takes it back to the first step of chapter 1.
        if (!m_shared) m_shared = present();
        QVERIFY(m_shared);
        PresentWindows* w = m_shared.get();
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        keys(*w, QStringLiteral("h"));
        QCOMPARE(w->presentation()->chapter(), 0);
        QCOMPARE(w->presentation()->beat(), 0);
        keys(*w, sequence);
        Presentation& p = *w->presentation();
        QCOMPARE(p.chapter(), chapter);
        QCOMPARE(p.beat(), beat < 0 ? p.beatCount() - 1 : beat);
        const AudienceFrame f = p.audienceFrame();
        QCOMPARE(f.page.number, chapter + 1);
        QCOMPARE(f.beat, p.beat());
        QVERIFY2(plain(f.page.caption).contains(caption), qPrintable(f.page.caption));
        QVERIFY(!f.blank);
        const QString header = w->presenter()->headerText();
        QVERIFY2(header.startsWith(QStringLiteral("Chapter %1 of 6").arg(chapter + 1)), qPrintable(header));
        QVERIFY2(header.endsWith(QStringLiteral("step %1 of %2").arg(p.beat() + 1).arg(p.beatCount())), qPrintable(header));
        QCOMPARE(w->presenter()->currentBeatRow(), p.beat());
        if (sequence.contains(QStringLiteral("9e")))
            QCOMPARE(w->presenter()->messageText(), QStringLiteral("There is no chapter 9: the story has 6"));
    }

    void chapterChangeKeepsThePreviousFrame()
    {
        auto w = present();
        QVERIFY(w);
        Presentation& p = *w->presentation();
        // Before the first frame: the story's title, not an empty screen.
        QCOMPARE(p.audienceFrame().page.title, QStringLiteral("How an order survives a payment outage"));
        QTRY_COMPARE_WITH_TIMEOUT(p.chapter(), 0, 20000);
        QStringList titles;
        connect(&p, &Presentation::audienceChanged, this, [&] { titles << p.audienceFrame().page.title; });
        // Straight to a chapter that is (most likely) not laid out yet: until it is, chapter 1 stays on screen.
        key(*w, Qt::Key_5);
        key(*w, Qt::Key_Return);
        if (p.chapter() != 4) {
            QCOMPARE(p.audienceFrame().page.number, 1);
            QVERIFY(!p.audienceFrame().page.sequence.rows.isEmpty());
            QVERIFY(!p.isIdle());
        }
        QTRY_COMPARE_WITH_TIMEOUT(p.chapter(), 4, 20000);
        for (const QString& t : std::as_const(titles))
            QVERIFY2(!t.isEmpty(), "a frame without a chapter was shown");
        QCOMPARE(titles.last(), QStringLiteral("14:25: payments flow again, late charges are refunded"));
        QVERIFY(!p.audienceFrame().page.kpis.isEmpty()); // the KPI ribbon: three tiles
        QCOMPARE(p.audienceFrame().page.kpis.size(), 3);
        QCOMPARE(w->presenter()->factTexts().size(), 3);
        for (const QString& f : w->presenter()->factTexts())
            QVERIFY2(f.startsWith(QStringLiteral("✓ ")), qPrintable(f));
    }

    void peekAndBlank()
    {
        if (!m_shared) m_shared = present();
        PresentWindows* w = m_shared.get();
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        keys(*w, QStringLiteral("h"));
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        Presentation& p = *w->presentation();
        QVERIFY(!p.audienceFrame().peek);
        QTest::keyPress(w->audience(), Qt::Key_D);
        AudienceFrame f = p.audienceFrame();
        QVERIFY(f.peek);
        QVERIFY(f.rawJson.contains(QStringLiteral("\"type\": \"OrderPlaced\"")));
        // The raw event is redacted like every story view: the customer id is hashed (glossary), not as stored.
        QVERIFY(f.rawJson.contains(QStringLiteral("\"customerId\"")));
        QVERIFY(!f.rawJson.contains(QStringLiteral("\"customerId\": \"cust-")));
        const QImage peeking = w->audience()->render(QSize(480, 270));
        QTest::keyRelease(w->audience(), Qt::Key_D);
        QVERIFY(!p.audienceFrame().peek);
        QVERIFY(w->audience()->render(QSize(480, 270)) != peeking);
        key(*w, Qt::Key_B);
        QVERIFY(p.audienceFrame().blank);
        const QImage blank = w->audience()->render(QSize(64, 36));
        for (int y = 0; y < blank.height(); ++y)
            for (int x = 0; x < blank.width(); ++x)
                QCOMPARE(blank.pixel(x, y), qRgb(0, 0, 0));
        QVERIFY(w->presenter()->modeText().contains(QStringLiteral("blanked")));
        key(*w, Qt::Key_B);
        QVERIFY(!p.audienceFrame().blank);
    }

    void realTimeAndSpeed()
    {
        if (!m_shared) m_shared = present();
        PresentWindows* w = m_shared.get();
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        keys(*w, QStringLiteral("h"));
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        Presentation& p = *w->presentation();
        QVERIFY(!p.realtime());
        key(*w, Qt::Key_Plus);
        QCOMPARE(p.speed(), 2.0);
        key(*w, Qt::Key_Minus);
        key(*w, Qt::Key_Minus);
        QCOMPARE(p.speed(), 0.5);
        // Chapter 2 is paced in real time at ×60 (its gaps shortened to 3 min): it plays on its own.
        keys(*w, QStringLiteral("N"));
        QVERIFY(p.realtime());
        QCOMPARE(p.speed(), 60.0);
        QVERIFY(w->presenter()->modeText().startsWith(QStringLiteral("Real time ×60")));
        key(*w, Qt::Key_Plus);
        key(*w, Qt::Key_Plus);
        key(*w, Qt::Key_Plus); // ×480: a 3-minute gap takes under half a second
        QTRY_VERIFY_WITH_TIMEOUT(p.beat() >= 2, 10000);
        // T: back to step by step; the beat stays.
        key(*w, Qt::Key_T);
        QVERIFY(!p.realtime());
        const int at = p.beat();
        QTest::qWait(300);
        QTRY_VERIFY(p.isIdle());
        QVERIFY(p.beat() <= at + 1); // at most the step that was already asked for
        QVERIFY(w->presenter()->modeText().startsWith(QStringLiteral("Step by step")));
    }

    void escapeLeaves()
    {
        if (!m_shared) m_shared = present();
        PresentWindows* w = m_shared.get();
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        keys(*w, QStringLiteral("h"));
        QSignalSpy closed(w, &PresentWindows::closed);
        key(*w, Qt::Key_4);
        key(*w, Qt::Key_Escape); // first Esc drops the typed digits
        QCOMPARE(closed.size(), 0);
        QVERIFY(w->presentation()->digits().isEmpty());
        key(*w, Qt::Key_Escape);
        QCOMPARE(closed.size(), 1);
        QVERIFY(!w->audienceWindow()->isVisible());
        m_shared.reset();
    }

    void factThatDoesNotHold()
    {
        const QString story = shippedWith(QStringLiteral("failing.chronostory.json"),
                                          "{ \"count\": \"PaymentFailed\", \"equals\": 2 }",
                                          "{ \"count\": \"PaymentFailed\", \"equals\": 99 }");
        QVERIFY(!story.isEmpty());
        auto w = present(story, kStore, 2);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        QCOMPARE(w->presentation()->chapter(), 2);
        const QStringList facts = w->presenter()->factTexts();
        QCOMPARE(facts.size(), 4);
        QCOMPARE(facts[0], QStringLiteral("✓ order-858 /status = completed"));
        QCOMPARE(facts[2], QStringLiteral("✗ PaymentFailed events = 99 — the store has 2"));

        // ✓ and ✗ read on the presenter's light and dark palettes (WCAG contrast ≥ 4.5 against the list).
        PresenterPanel& pr = *w->presenter();
        for (const bool dark : {false, true}) {
            QPalette pal =
                dark ? QPalette(QColor(0x2b, 0x2f, 0x36), QColor(0x1f, 0x23, 0x29)) : QPalette(Qt::white);
            pal.setColor(QPalette::Base, dark ? QColor(0x1f, 0x23, 0x29) : QColor(Qt::white));
            pr.setPalette(pal);
            const QList<QColor> colours = pr.factColours();
            QCOMPARE(colours.size(), 4);
            QVERIFY(colours[0] != colours[2]); // holds / does not hold
            for (const QColor& c : colours)
                QVERIFY2(contrast(c, pal.color(QPalette::Base)) >= 4.5,
                         qPrintable(
                             QStringLiteral("%1 on %2 (%3)")
                                 .arg(c.name(), pal.color(QPalette::Base).name(), dark ? "dark" : "light")));
        }
    }

    void factValuesAsTheAudienceSeesThem_data()
    {
        QTest::addColumn<int>("chapter");
        QTest::addColumn<QByteArray>("from");
        QTest::addColumn<QByteArray>("to");
        QTest::addColumn<int>("row");
        QTest::addColumn<QString>("fact");
        // A KPI fact in its KPI's format (money:EUR), as the KPI ribbon shows the same KPI.
        QTest::newRow("kpi fails") << 5 << QByteArray("\"equals\": 130223.54")
                                   << QByteArray("\"equals\": 130223.5") << 1
                                   << QStringLiteral(
                                          "✗ Revenue 3 March (v1) = €130,223.50 — the store has €130,223.54");
        // A stream-state fact in the glossary's format for its pointer (/refunded: money:EUR), as the cards.
        QTest::newRow("field fails") << 3 << QByteArray("\"equals\": 750.59")
                                     << QByteArray("\"equals\": 75.9") << 5
                                     << QStringLiteral(
                                            "✗ payment-865 /refunded = €75.90 — the store has €750.59");
        // No format: as stored.
        QTest::newRow("count") << 4 << QByteArray() << QByteArray() << 1
                               << QStringLiteral("✓ PaymentFailed events ≤ 3");
    }

    void factValuesAsTheAudienceSeesThem()
    {
        QFETCH(int, chapter);
        QFETCH(QByteArray, from);
        QFETCH(QByteArray, to);
        QFETCH(int, row);
        QFETCH(QString, fact);
        const QString story =
            from.isEmpty() ? kStory : shippedWith(QStringLiteral("formats.chronostory.json"), from, to);
        QVERIFY(!story.isEmpty());
        auto w = present(story, kStore, chapter, -1);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(w->presenter()->factTexts().size() > row, 20000);
        QCOMPARE(w->presenter()->factTexts()[row], fact);
        // The same value reads the same on the audience frame: the KPI tile of the KPI the fact names.
        if (fact.contains(QStringLiteral("Revenue 3 March (v1)"))) {
            const story::ChapterPage& page = w->presentation()->shownFrame().audience.page;
            const auto tile = std::find_if(page.kpis.begin(), page.kpis.end(), [](const story::KpiTile& k) {
                return k.label == QLatin1String("Revenue 3 March (v1)");
            });
            QVERIFY(tile != page.kpis.end());
            QVERIFY2(fact.endsWith(tile->value), qPrintable(tile->value));
        }
    }

    void captionBoldRunKeepsItsSpace_data()
    {
        QTest::addColumn<QString>("caption");
        QTest::addColumn<QSize>("frame");
        // The shipped story's captions as rendered: bold numbers after regular words, at projector, laptop,
        // docked-presenter and thumbnail sizes.
        const QString refunds =
            QStringLiteral("The provider is back. **19** payments are collected in 20 min, and **5** "
                           "refunds worth **€1,874.13** go out for orders that had been cancelled.");
        const QString confirmed =
            QStringLiteral("The customer confirmed **€933.67** at 13:45:17. Two attempts fail, the "
                           "third is authorised at 13:52:40.");
        for (const QSize frame : {QSize(1920, 1080), QSize(1280, 720), QSize(960, 540), QSize(640, 360)}) {
            const QByteArray size =
                QByteArray::number(frame.width()) + 'x' + QByteArray::number(frame.height());
            QTest::newRow("refunds " + size) << refunds << frame;
            QTest::newRow("confirmed " + size) << confirmed << frame;
        }
    }

    void captionBoldRunKeepsItsSpace()
    {
        // A bold run after a regular word starts at least one space's advance after that word, and the pixels
        // painted leave a visible gap between them (the caption is laid out and painted as the frame does
        // it).
        QFETCH(QString, caption);
        QFETCH(QSize, frame);
        const qreal u = audienceUnit(QRectF(QPointF(0, 0), QSizeF(frame)));
        const qreal px = audienceCaptionPx(u);
        QTextDocument doc;
        story::layoutCaption(doc, caption, px, 100 * u, Qt::black);
        const qreal space = QFontMetricsF(story::storyFont(px)).horizontalAdvance(u' ');
        QVERIFY(space > 0);
        QImage img(QSize(int(102 * u), int(std::ceil(doc.size().height())) + 2), QImage::Format_RGB32);
        img.fill(Qt::white);
        {
            QPainter p(&img);
            p.setRenderHint(QPainter::TextAntialiasing);
            story::drawDocument(p, QPointF(0, 0), QSizeF(img.size()), doc, Qt::black);
        }
        auto inkIn = [&](int x, int top, int bottom) {
            for (int y = std::max(0, top); y < std::min(img.height(), bottom); ++y)
                if (qGray(img.pixel(x, y)) < 160) return true;
            return false;
        };
        int checked = 0;
        for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                const QTextFragment f = it.fragment();
                const int at = f.position() - b.position();
                if (f.charFormat().fontWeight() <= QFont::Normal || at == 0) continue;
                // Every bold run of these captions follows a space in the markdown: the layout keeps it.
                QCOMPARE(b.text().at(at - 1), QChar(u' '));
                const QTextLine line = b.layout()->lineForTextPosition(at);
                QVERIFY(line.isValid());
                if (line.textStart() >= at - 1) continue; // the bold run starts a line
                const qreal wordEnd = line.cursorToX(at - 1), boldX = line.cursorToX(at);
                QVERIFY2(boldX >= wordEnd + space - 0.01,
                         qPrintable(QStringLiteral("%1: bold at %2, word ends at %3, space %4")
                                        .arg(f.text())
                                        .arg(boldX)
                                        .arg(wordEnd)
                                        .arg(space)));
                // The painted gap: the last inked column of the word and the first of the bold run.
                const int top = int(b.layout()->position().y() + line.y());
                const int bottom = int(std::ceil(top + line.height()));
                const int mid = int((wordEnd + boldX) / 2);
                int wordInk = mid, boldInk = mid;
                while (wordInk > int(wordEnd - space) && !inkIn(wordInk, top, bottom))
                    --wordInk;
                while (boldInk < int(boldX + space) && !inkIn(boldInk, top, bottom))
                    ++boldInk;
                QVERIFY2(boldInk - wordInk - 1 >= space * 0.5,
                         qPrintable(QStringLiteral("%1: %2 px of paper before it, space %3")
                                        .arg(f.text())
                                        .arg(boldInk - wordInk - 1)
                                        .arg(space)));
                ++checked;
            }
        }
        QVERIFY(checked >= 1);
    }

    void earlierEventsAddUp()
    {
        // "↑ N earlier events" counts the events above the rows on screen: folded runs by their events, the
        // "… 12 min later …" rows not at all.
        story::SequenceLayout s;
        auto row = [](story::SequenceRow::Kind k, int count) {
            story::SequenceRow r;
            r.kind = k;
            r.count = count;
            return r;
        };
        using K = story::SequenceRow::Kind;
        s.rows = {row(K::Arrow, 1), row(K::Gap, 0), row(K::Note, 3), row(K::Gap, 0), row(K::Arrow, 1)};
        QCOMPARE(audienceEventsInRows(s, 0), 0);
        QCOMPARE(audienceEventsInRows(s, 2), 1);
        QCOMPARE(audienceEventsInRows(s, 4), 4);
        QCOMPARE(audienceEventsInRows(s, 5), 5);
        QCOMPARE(audienceEventsInRows(s, 99), 5);
        // The shipped story's last chapter at its last step: the rows hold the chapter's "N events".
        auto w = present(kStory, kStore, 5, -1);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        const story::ChapterPage& page = w->presentation()->shownFrame().audience.page;
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("· (\\d+) events ·")).match(page.subtitle);
        QVERIFY2(m.hasMatch(), qPrintable(page.subtitle));
        QVERIFY(page.sequence.rows.size() > 30); // more rows than fit: the frame shows "↑ N earlier events"
        QCOMPARE(audienceEventsInRows(page.sequence, int(page.sequence.rows.size())), m.captured(1).toInt());
    }

    void presentActionIsF5()
    {
        QWidget window;
        QAction* a = makePresentAction(&window, [] { return std::shared_ptr<EventReader>(); });
        QCOMPARE(a->shortcut(), QKeySequence(Qt::Key_F5));
        QCOMPARE(a->text(), QStringLiteral("&Present Story…"));
    }

    void missingStory()
    {
        Presentation p;
        QString error;
        QVERIFY(!p.loadStory(m_tmp.filePath(QStringLiteral("nothing.chronostory.json")), &error));
        QVERIFY2(error.contains(QStringLiteral("nothing.chronostory.json")), qPrintable(error));
        QVERIFY(!p.start(0, 0, &error));
    }

    void chapterOutOfRange()
    {
        Presentation p;
        QString error;
        QVERIFY(p.loadStory(kStory, &error));
        QVERIFY(!p.start(6, 0, &error));
        QCOMPARE(error, QStringLiteral("there is no chapter 7: the story has 6"));
        QVERIFY(!p.start(-1, 0, &error));
    }

    void storyNotMatchingTheStore()
    {
        // Chapter 3's correlation id is not in the store: its frame cannot be laid out.
        const QString story = shippedWith(QStringLiteral("mismatch.chronostory.json"),
                                          "c5b560e3-18f2-468e-b56a-9acac0e41d82",
                                          "00000000-0000-0000-0000-000000000000");
        QVERIFY(!story.isEmpty());
        auto w = present(story);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        Presentation& p = *w->presentation();
        keys(*w, QStringLiteral("3e"));
        // The audience keeps chapter 1; the presenter says why.
        QCOMPARE(p.chapter(), 0);
        QCOMPARE(p.audienceFrame().page.number, 1);
        QVERIFY2(w->presenter()->messageText().startsWith(QStringLiteral("Chapter 3 cannot be shown: ")),
                 qPrintable(w->presenter()->messageText()));
        QVERIFY(w->presenter()->messageText().contains(QStringLiteral("00000000-0000-0000-0000-000000000000")));
        // A story whose first chapter fails: its title and a banner, never a blank frame.
        auto first = present(story, kStore, 2);
        QVERIFY(first);
        QTRY_VERIFY_WITH_TIMEOUT(first->presentation()->isIdle(), 20000);
        QCOMPARE(first->presentation()->audienceFrame().page.title, QStringLiteral("Order 858 gets through on the third try"));
        QCOMPARE(first->presentation()->audienceFrame().banner, QStringLiteral("This chapter cannot be shown"));
        // And a store that is not there at all.
        auto none = present(kStory, m_tmp.filePath(QStringLiteral("missing.chronoscope")));
        QVERIFY(none);
        QTRY_VERIFY_WITH_TIMEOUT(none->presentation()->isIdle(), 20000);
        QVERIFY(none->presenter()->messageText().contains(QStringLiteral("missing.chronoscope")));
    }

    void liveKey_data()
    {
        QTest::addColumn<QByteArray>("live");
        QTest::addColumn<QString>("error"); // "" : valid
        QTest::newRow("valid") << QByteArray(R"({"match":{"type":"Order*","stream":"order-*"},"timeout":"20s"})") << QString();
        QTest::newRow("pointer and equals") << QByteArray(R"({"match":{"pointer":"/n","equals":3},"timeout":2})") << QString();
        QTest::newRow("no match") << QByteArray(R"({"timeout":"20s"})") << QStringLiteral("/chapters/0/live: a live chapter needs \"match\"");
        QTest::newRow("empty match") << QByteArray(R"({"match":{}})") << QStringLiteral("/chapters/0/live/match: a live match names");
        QTest::newRow("unknown key") << QByteArray(R"({"match":{"kind":"x"}})") << QStringLiteral("/chapters/0/live/match/kind: unknown key");
        QTest::newRow("pointer without equals") << QByteArray(R"({"match":{"pointer":"/n"}})") << QStringLiteral("/chapters/0/live/match: \"pointer\" and \"equals\" go together");
        QTest::newRow("bad pointer") << QByteArray(R"({"match":{"pointer":"n","equals":1}})") << QStringLiteral("/chapters/0/live/match/pointer: 'n' is not a JSON Pointer");
        QTest::newRow("bad timeout") << QByteArray(R"({"match":{"type":"A"},"timeout":"soon"})") << QStringLiteral("/chapters/0/live/timeout: must be a duration");
        QTest::newRow("hour timeout") << QByteArray(R"({"match":{"type":"A"},"timeout":"1h"})") << QStringLiteral("/chapters/0/live/timeout: must be at most 10 minutes");
        QTest::newRow("not an object") << QByteArray(R"(true)") << QStringLiteral("/chapters/0/live: must be an object");
    }

    void liveKey()
    {
        QFETCH(QByteArray, live);
        QFETCH(QString, error);
        const QByteArray text = R"({"chronostory":1,"title":"t","chapters":[{"id":"a","live":)" + live + "}]}";
        story::Story s;
        QString why;
        const bool ok = story::parseStory(text, m_tmp.path(), &s, &why);
        if (error.isEmpty()) {
            QVERIFY2(ok, qPrintable(why));
            QVERIFY(s.chapters[0].live.enabled);
        } else {
            QVERIFY(!ok);
            QVERIFY2(why.contains(error), qPrintable(why));
        }
    }

    void liveChapterOnALocalStorePlaysTheRecording()
    {
        const QString story = shippedWith(QStringLiteral("local-live.chronostory.json"),
                                          "\"id\": \"outage\",",
                                          "\"id\": \"outage\", \"live\": {\"match\": {\"type\": \"PaymentFailed\"}, \"timeout\": \"30s\"},");
        QVERIFY(!story.isEmpty());
        auto w = present(story, kStore, 1);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        QVERIFY(!w->presentation()->isWaitingLive());
        QVERIFY(w->presentation()->audienceFrame().banner.isEmpty());
        QVERIFY2(w->presenter()->messageText().contains(QStringLiteral("no live tail")), qPrintable(w->presenter()->messageText()));
        QCOMPARE(w->presentation()->chapter(), 1);
    }

    void liveChapterOnRedis()
    {
        QString error;
        const int port = testing::remoteFixturePort(QStringLiteral("redis"), &error);
        QVERIFY2(port > 0, qPrintable(error));
        const QByteArray prefix = "present" + QByteArray::number(QCoreApplication::applicationPid()) + ".";
        auto xadd = [&](const QByteArray& type, int n) {
            redisContext* c = redisConnect("127.0.0.1", port);
            if (!c || c->err) return false;
            const QByteArray key = prefix + "order-1";
            const QByteArray data = "{\"n\":" + QByteArray::number(n) + "}";
            auto* r = static_cast<redisReply*>(redisCommand(c, "XADD %b * type %b data %b", key.constData(), size_t(key.size()),
                                                            type.constData(), size_t(type.size()), data.constData(), size_t(data.size())));
            const bool ok = r && r->type == REDIS_REPLY_STRING;
            freeReplyObject(r);
            redisFree(c);
            return ok;
        };
        for (int i = 0; i < 3; ++i)
            QVERIFY(xadd("Placed", i));
        const QString uri = QStringLiteral("redis://127.0.0.1:%1/0?block=50&streams=%2*").arg(port).arg(QString::fromLatin1(prefix));
        const QByteArray text = R"({"chronostory":1,"title":"Live","glossary":{"events":{"Shipped":{"say":"Parcel {/n} ships","tone":"good"}}},
            "chapters":[{"id":"before","title":"Before","caption":"{count} orders"},
                        {"id":"live","title":"Now, live","range":{"fromPosition":0},
                         "live":{"match":{"type":"Shipped"},"timeout":"0.6s"}}]})";
        const QString story = writeStory(QStringLiteral("live.chronostory.json"), text);
        auto w = present(story, uri);
        QVERIFY(w);
        QTRY_VERIFY_WITH_TIMEOUT(w->presentation()->isIdle(), 20000);
        Presentation& p = *w->presentation();
        QCOMPARE(p.audienceFrame().page.caption, QStringLiteral("3 orders"));
        // Nothing matches within 0.6 s: the recorded events play.
        keys(*w, QStringLiteral("N"));
        QCOMPARE(p.chapter(), 1);
        QVERIFY2(p.isWaitingLive(), qPrintable(w->presenter()->messageText()));
        QVERIFY(p.audienceFrame().banner.startsWith(QStringLiteral("Waiting for a live event: Shipped")));
        QTRY_VERIFY_WITH_TIMEOUT(!p.isWaitingLive(), 5000);
        QVERIFY(p.audienceFrame().banner.isEmpty());
        QVERIFY(!p.audienceFrame().live);
        QCOMPARE(w->presenter()->messageText(), QStringLiteral("No live event in time: playing the recorded events"));
        // Again, and this time a matching event comes in: the audience shows it, live.
        keys(*w, QStringLiteral("2e"));
        QTRY_VERIFY(p.isWaitingLive());
        QVERIFY(xadd("Placed", 7));
        QVERIFY(xadd("Shipped", 8));
        QTRY_VERIFY_WITH_TIMEOUT(p.audienceFrame().live, 10000);
        QVERIFY(!p.isWaitingLive());
        const AudienceFrame f = p.audienceFrame();
        QVERIFY(!f.page.cards.isEmpty());
        QCOMPARE(f.page.cards.first().sentence, QStringLiteral("Parcel 8 ships"));
        QCOMPARE(f.beats, 1); // the matching event; the one before it is not part of the live chapter
        QVERIFY(w->presenter()->headerText().contains(QStringLiteral("live: 1 new events")));
    }

    void presentFromTheMainWindowFollowsItsRemoteStore_data()
    {
        QTest::addColumn<bool>(
            "openRemote"); // true: File ▸ Open Remote… (URI and scope apart); false: a URI opened
        QTest::newRow("Open Remote (live controller)") << true;
        QTest::newRow("remote URI opened") << false;
    }

    void presentFromTheMainWindowFollowsItsRemoteStore()
    {
        // F5 in the main window on a remote store behind a password: the live chapter's tail follows the
        // window's store with its secret (a redacted URI could not log in) and its scope, and nothing of the
        // secret reaches the settings or what the presenter is shown.
        QFETCH(bool, openRemote);
        QString error;
        const int port =
            testing::remoteFixturePort(QStringLiteral("redis"), &error, QStringLiteral("port-auth"));
        QVERIFY2(port > 0, qPrintable(error));
        const QByteArray prefix = "presentf5" + QByteArray::number(QCoreApplication::applicationPid()) + "." +
                                  QByteArray(openRemote ? "a" : "b") + ".";
        for (int i = 0; i < 3; ++i)
            QVERIFY(redisAdd(port, prefix + "order-1", "Placed", i, kSecret));
        const QString auth = QString::fromLatin1(QUrl::toPercentEncoding(QString::fromLatin1(kSecret)));
        const QString base = QStringLiteral("redis://:%1@127.0.0.1:%2/0?block=50").arg(auth).arg(port);
        const QString glob = QString::fromLatin1(prefix) + QStringLiteral("order-*");
        const QString story = writeStory(QStringLiteral("f5-live.chronostory.json"), kLiveStory);

        MainWindow w;
        w.setInteractive(false);
        QSignalSpy opened(&w, &MainWindow::storeOpened);
        if (openRemote) {
            RemoteScope scope;
            scope.streams = glob;
            w.live()->start(base, scope, true, m_tmp.filePath(QStringLiteral("cache")));
        } else {
            w.open(base + QStringLiteral("&streams=") + QString::fromLatin1(QUrl::toPercentEncoding(glob)));
        }
        QTRY_VERIFY_WITH_TIMEOUT(opened.size() == 1, 20000);
        QCOMPARE(w.index()->size(), qint64(3));
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));

        // F5 asks for the story (the file dialog, answered here) and presents it.
        QTimer answer;
        QString unexpected;
        QObject::connect(&answer, &QTimer::timeout, &answer, [&] {
            QWidget* modal = QApplication::activeModalWidget();
            if (auto* d = qobject_cast<QFileDialog*>(modal)) {
                // As a user does: the story's folder, its name typed, Open.
                d->setDirectory(QFileInfo(story).absolutePath());
                if (auto* name = d->findChild<QLineEdit*>(QStringLiteral("fileNameEdit")))
                    name->setText(QFileInfo(story).fileName());
                QMetaObject::invokeMethod(d, "accept");
            } else if (auto* box = qobject_cast<QDialog*>(modal)) {
                unexpected =
                    box->findChild<QLabel*>() ? box->findChild<QLabel*>()->text() : box->windowTitle();
                box->reject();
            }
        });
        answer.start(20);
        QTest::keyClick(&w, Qt::Key_F5);
        answer.stop();
        QVERIFY2(unexpected.isEmpty(), qPrintable(unexpected));
        auto* windows = w.findChild<PresentWindows*>();
        QVERIFY(windows);
        Presentation& p = *windows->presentation();
        QTRY_VERIFY_WITH_TIMEOUT(p.isIdle(), 20000);
        QCOMPARE(p.chapter(), 0);
        QCOMPARE(p.audienceFrame().page.caption, QStringLiteral("3 orders")); // the window's store, cloned
        QVERIFY(p.hasLiveTail());
        auto key = [&](Qt::Key k) {
            QTest::keyClick(windows->audience(), k);
            QTRY_VERIFY_WITH_TIMEOUT(p.isIdle(), 20000);
        };

        // Nothing matches in time: the recorded events play.
        key(Qt::Key_PageDown);
        QCOMPARE(p.chapter(), 1);
        QVERIFY2(p.isWaitingLive(), qPrintable(windows->presenter()->messageText()));
        QTRY_VERIFY_WITH_TIMEOUT(!p.isWaitingLive(), 5000);
        QVERIFY(!p.audienceFrame().live);
        QCOMPARE(windows->presenter()->messageText(),
                 QStringLiteral("No live event in time: playing the recorded events"));

        // Again; a matching event outside the window's scope is not followed, the one inside makes it live.
        key(Qt::Key_2);
        key(Qt::Key_Return);
        QTRY_VERIFY(p.isWaitingLive());
        QVERIFY(redisAdd(port, prefix + "audit-1", "Shipped", 8, kSecret));
        QVERIFY(redisAdd(port, prefix + "order-1", "Shipped", 9, kSecret));
        QTRY_VERIFY_WITH_TIMEOUT(p.audienceFrame().live, 10000);
        const AudienceFrame f = p.audienceFrame();
        QVERIFY(!f.page.cards.isEmpty());
        QCOMPARE(f.page.cards.first().sentence, QStringLiteral("Parcel 9 ships"));
        QCOMPARE(f.beats, 1);
        QVERIFY(windows->presenter()->headerText().contains(QStringLiteral("live: 1 new events")));

        // The secret stays in memory: not in the settings, not in anything the presenter or the window shows.
        for (const QString& text : {windows->presenter()->messageText(), windows->presenter()->headerText(),
                                    windows->presenter()->modeText(), w.windowTitle()})
            QVERIFY2(!text.toUtf8().contains(kSecret) && !text.contains(auth), qPrintable(text));
        QSettings settings;
        settings.sync();
        for (const QString& k : settings.allKeys())
            QVERIFY2(!settings.value(k).toString().contains(auth) &&
                         !settings.value(k).toStringList().join(u' ').contains(auth),
                     qPrintable(k));
        QVERIFY(!fileContains(settings.fileName(), kSecret));
        QVERIFY(!fileContains(settings.fileName(), auth.toUtf8()));
        QTest::keyClick(windows->audience(), Qt::Key_Escape);
        QTRY_VERIFY(!windows->audienceWindow()->isVisible());
    }

    void screenshotCommandLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("stderrText");
        QTest::newRow("chapter 2") << QStringList{QStringLiteral("--screenshot-chapter"), QStringLiteral("2"), QStringLiteral("OUT")} << 0 << QString();
        QTest::newRow("chapter 9") << QStringList{QStringLiteral("--screenshot-chapter"), QStringLiteral("9"), QStringLiteral("OUT")} << 1 << QStringLiteral("the story has chapters 1 to 6");
        QTest::newRow("no file") << QStringList{QStringLiteral("--screenshot-chapter"), QStringLiteral("1")} << 1 << QStringLiteral("the file is missing");
    }

    void screenshotCommandLine()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, stderrText);
        const QString out = m_tmp.filePath(QStringLiteral("%1.png").arg(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-')));
        args.replaceInStrings(QStringLiteral("OUT"), out);
        QProcess proc;
        proc.setProcessEnvironment(QProcessEnvironment::systemEnvironment());
        proc.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope"),
                   QStringList{QStringLiteral("--present"), kStory, QStringLiteral("--store"), kStore} + args);
        QVERIFY(proc.waitForFinished(60000));
        const QString err = QString::fromUtf8(proc.readAllStandardError());
        QCOMPARE(proc.exitCode(), exitCode);
        if (!stderrText.isEmpty()) QVERIFY2(err.contains(stderrText), qPrintable(err));
        if (exitCode == 0) {
            const QImage img(out);
            QVERIFY(!img.isNull());
            QCOMPARE(img.size(), args.contains(QStringLiteral("--presenter")) ? QSize(1600, 1000) : QSize(1920, 1080));
        }
    }

    void shippedStoryWithoutStoreUsesTheDemoStore()
    {
        // In a source checkout the shipped story's ../demo.chronoscope is not there (it is built under
        // build/<preset>/resources/): present mode says so and uses the app's demo store.
        if (QFile::exists(QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/demo.chronoscope")))
            QSKIP("a demo store sits in the source tree's resources/");
        const QString out = m_tmp.filePath(QStringLiteral("fallback.png"));
        QProcess proc;
        proc.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope"),
                   {QStringLiteral("--present"), kStory, QStringLiteral("--screenshot-chapter"), QStringLiteral("1"), out});
        QVERIFY(proc.waitForFinished(60000));
        const QString err = QString::fromUtf8(proc.readAllStandardError());
        QCOMPARE(proc.exitCode(), 0);
        QVERIFY2(err.contains(QStringLiteral("presenting on the app's demo store")), qPrintable(err));
        QCOMPARE(QImage(out).size(), QSize(1920, 1080));
    }

    void missingStoryCommandLine()
    {
        QProcess proc;
        proc.start(QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope"),
                   {QStringLiteral("--present"), m_tmp.filePath(QStringLiteral("gone.chronostory.json")),
                    QStringLiteral("--screenshot-chapter"), QStringLiteral("1"), m_tmp.filePath(QStringLiteral("x.png"))});
        QVERIFY(proc.waitForFinished(60000));
        QCOMPARE(proc.exitCode(), 2);
        QVERIFY(QString::fromUtf8(proc.readAllStandardError()).contains(QStringLiteral("gone.chronostory.json")));
    }
};

QTEST_MAIN(TstAppPresent)
#include "tst_app_present.moc"
