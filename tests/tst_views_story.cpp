// Story pages painted by views/story: the same paint code on an image (1080p and the A4-landscape page
// size the PDF uses), in SVG and in a PDF; what is hidden or redacted never reaches the painted text.
// Set STORY_PAGE_DUMP=DIR to keep the images for a look.

#include "store/memoryreader.h"
#include "story/storyengine.h"
#include "story/storyrender.h"

#include <QBuffer>
#include <QDir>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>
#include <QTemporaryDir>
#include <QtTest>

using namespace chronoscope;
using namespace chronoscope::story;

namespace {

const TimeMs kT0 = 1772548800000LL;

QList<Event> events()
{
    QList<Event> out;
    auto add = [&](const char* stream, const char* type, qint64 dt, const QByteArray& data, const char* id,
                   const char* cause) {
        Event e;
        e.position = out.size() + 1;
        e.stream = QLatin1String(stream);
        e.version = out.size();
        e.type = QLatin1String(type);
        e.time = kT0 + dt * 1000;
        e.id = QLatin1String(id);
        e.data = data;
        e.metadata = "{\"correlationId\":\"A\"" +
                     (cause ? ",\"causationId\":\"" + QByteArray(cause) + "\"" : QByteArray()) + "}";
        out << e;
    };
    add("order-1", "OrderPlaced", 0, R"({"email":"anna@example.com","total":12.50})", "e1", nullptr);
    add("payment-1", "PaymentRequested", 1, R"({"amount":12.50})", "e2", "e1");
    for (int i = 0; i < 4; ++i)
        add("payment-1", "PaymentFailed", 10 + i * 40,
            R"({"attempt":1,"lastError":{"code":"TIMEOUT","message":"topsecret"}})",
            QByteArray("f" + QByteArray::number(i)).constData(), "e2");
    add("order-1", "OrderCancelled", 2000, R"({"status":"cancelled"})", "e9", "f3");
    return out;
}

const QByteArray kStory = R"x({"chronostory":1,"title":"Page test","chapters":[{"id":"a","title":"One order",
  "focus":{"correlation":"A"},"caption":"**{count(PaymentFailed)}** failures in {duration}.",
  "pace":{"maxGap":"1m"}}],
  "glossary":{"fields":{"/email":{"redact":"mask"},"/total":{"label":"Total","format":"money:EUR"}},
              "hide":["/lastError/message"],
              "events":{"OrderPlaced":{"say":"{/email} orders {/total}","tone":"good"},
                        "PaymentFailed":{"say":"No answer ({/lastError/code})","tone":"bad"}}}})x";

} // namespace

class TestViewsStory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void paintsAtEverySize_data();
    void paintsAtEverySize();
    void svgHasTextButNoHiddenValues();
    void pdfHasTitleAndChapterPages();

private:
    Story m_story;
    std::unique_ptr<MemoryReader> m_reader;
    ChapterPage m_page;
};

void TestViewsStory::initTestCase()
{
    QString error;
    QVERIFY2(parseStory(kStory, QDir::tempPath(), &m_story, &error), qPrintable(error));
    m_reader = std::make_unique<MemoryReader>(events());
    StoryEngine engine(m_story, *m_reader);
    QVERIFY2(engine.page(0, &m_page, &error), qPrintable(error));
    QCOMPARE(m_page.sequence.actors, (QStringList{QStringLiteral("Order"), QStringLiteral("Payment")}));
    // Note (placed), arrow, folded failures "× 4", the gap, the cancellation.
    QCOMPARE(m_page.sequence.rows.size(), 5);
    QCOMPARE(m_page.sequence.rows[2].count, 4);
    QCOMPARE(m_page.sequence.rows[3].kind, SequenceRow::Kind::Gap);
}

void TestViewsStory::paintsAtEverySize_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1080p") << QSize(1920, 1080);
    QTest::newRow("A4 landscape at 96 dpi") << QSize(1123, 794);
    QTest::newRow("tiny") << QSize(160, 90);
}

void TestViewsStory::paintsAtEverySize()
{
    QFETCH(QSize, size);
    const QImage img = renderChapterImage(m_page, size);
    QCOMPARE(img.size(), size);
    // Something was drawn: ink in the header (the title) and in the sequence area.
    auto inked = [&](QRect r) {
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                if (qGray(img.pixel(x, y)) < 128) return true;
        return false;
    };
    QVERIFY(inked(QRect(0, 0, size.width() / 2, size.height() / 8)));
    QVERIFY(inked(QRect(0, size.height() / 8, size.width() / 2, size.height() / 2)));
    const QByteArray dump = qgetenv("STORY_PAGE_DUMP");
    if (!dump.isEmpty())
        img.save(QDir(QString::fromLocal8Bit(dump))
                     .filePath(QStringLiteral("page-%1x%2.png").arg(size.width()).arg(size.height())));
}

void TestViewsStory::svgHasTextButNoHiddenValues()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(QSize(1600, 900));
    {
        QPainter p(&svg);
        paintChapterPage(p, QRectF(0, 0, 1600, 900), m_page);
    }
    const QByteArray text = buffer.data();
    QVERIFY(text.contains("One order"));
    QVERIFY(text.contains("No answer (TIMEOUT)"));
    QVERIFY(text.contains("xxxx@xxxxxxx.xxx orders"));
    QVERIFY(text.contains("because"));
    QVERIFY(!text.contains("anna@example.com"));
    QVERIFY(!text.contains("topsecret"));
}

void TestViewsStory::pdfHasTitleAndChapterPages()
{
    QTemporaryDir dir;
    StoryEngine engine(m_story, *m_reader);
    QString error;
    const QString path = dir.filePath(QStringLiteral("s.pdf"));
    QVERIFY2(renderPdf(engine, path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray pdf = f.readAll();
    QVERIFY(pdf.startsWith("%PDF"));
    QCOMPARE(pdf.count("/Type /Page\n") + pdf.count("/Type /Page\r") + pdf.count("/Type /Page "), 2);
    QVERIFY(!QFile::exists(path + QStringLiteral(".partial")));
    QByteArray html;
    QVERIFY2(renderHtml(engine, &html, &error), qPrintable(error));
    QVERIFY(html.count("<svg") >= 2); // one frame per step
    QVERIFY(!html.contains("anna@example.com"));
    QVERIFY(!html.contains("<script src"));
}

QTEST_MAIN(TestViewsStory)
#include "tst_views_story.moc"
