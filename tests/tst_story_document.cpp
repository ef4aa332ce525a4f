// The story file as edited text (core/story/storydocument): read → write without edits gives the same
// bytes (the shipped story, compact and oddly spaced files); an edit changes only the lines it should; a
// reorder moves whole chapters; new values get two-space indentation; malformed text gets a line and
// column and no crash.

#include "story/story.h"
#include "story/storydocument.h"

#include <QFile>
#include <QtTest>

using namespace chronoscope::story;

namespace {

const QString kShipped =
    QStringLiteral(CHRONOSCOPE_SOURCE_DIR "/resources/stories/payment-outage.chronostory.json");

QByteArray readShipped()
{
    QFile f(kShipped);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Lines of b that are not at the same place in a (a and b of the same length), or the added ones.
QList<int> changedLines(const QByteArray& a, const QByteArray& b)
{
    const QList<QByteArray> la = a.split('\n'), lb = b.split('\n');
    QList<int> out;
    for (int k = 0; k < std::max(la.size(), lb.size()); ++k)
        if (k >= la.size() || k >= lb.size() || la[k] != lb[k]) out.append(k + 1);
    return out;
}

} // namespace

class TestStoryDocument : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data();
    void roundTrip();
    void shippedRoundTripIsByteIdentical();
    void editOneSentenceChangesOneLine();
    void editChapterTitleChangesOneLine();
    void addedGlossaryEntry();
    void reorderChaptersMovesWholeBlocks();
    void newChapterIsTwoSpaceIndented();
    void removeItems();
    void inlineArrayEdits();
    void stringsAreEscaped();
    void badPointers();
    void malformed_data();
    void malformed();
};

void TestStoryDocument::roundTrip_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("compact") << QByteArray(R"({"a":1,"b":[1,2.50,-3e+2],"c":{"d":null,"e":true}})");
    QTest::newRow("odd spacing") << QByteArray("  {\n\t\"a\" :  1 ,\"b\":[ ] ,\"c\" : {  } }\n\n");
    QTest::newRow("escapes") << QByteArray(R"({"s":"a\"b\\c\u00e9\ud83d\ude00\/\n"})");
    QTest::newRow("utf8") << QByteArray("{\"s\": \"Grüße → €\"}\n");
    QTest::newRow("crlf") << QByteArray("{\r\n  \"a\": 1\r\n}\r\n");
}

void TestStoryDocument::roundTrip()
{
    QFETCH(QByteArray, text);
    StoryDocument doc;
    QString error;
    QVERIFY2(doc.parse(text, &error), qPrintable(error));
    QCOMPARE(doc.text(), text);
}

void TestStoryDocument::shippedRoundTripIsByteIdentical()
{
    const QByteArray text = readShipped();
    QVERIFY(!text.isEmpty());
    StoryDocument doc;
    QString error;
    QVERIFY2(doc.parse(text, &error), qPrintable(error));
    QCOMPARE(doc.text(), text);
    QCOMPARE(doc.sizeAt(QStringLiteral("/chapters")), 6);
    QCOMPARE(doc.stringAt(QStringLiteral("/chapters/0/id")), QStringLiteral("happy"));
    QCOMPARE(doc.stringAt(QStringLiteral("/glossary/events/PaymentFailed/tone")), QStringLiteral("bad"));
    QCOMPARE(doc.stringAt(QStringLiteral("/glossary/fields/~1lastError~1code/label")),
             QStringLiteral("Error"));
}

void TestStoryDocument::editOneSentenceChangesOneLine()
{
    const QByteArray text = readShipped();
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    QVERIFY(doc.setString(QStringLiteral("/glossary/events/PaymentFailed/say"),
                          QStringLiteral("The provider is silent"), &error));
    const QByteArray out = doc.text();
    const QList<int> lines = changedLines(text, out);
    QCOMPARE(lines.size(), 1);
    const QByteArray line = out.split('\n')[lines.first() - 1];
    // The author's alignment stays; only the sentence changed.
    QCOMPARE(
        line,
        QByteArray(R"(      "PaymentFailed":       { "say": "The provider is silent", "tone": "bad" },)"));
    Story story;
    QVERIFY2(parseStory(out, QFileInfo(kShipped).absolutePath(), &story, &error), qPrintable(error));
    QCOMPARE(story.glossary.events.value(QStringLiteral("PaymentFailed")).say,
             QStringLiteral("The provider is silent"));
}

void TestStoryDocument::editChapterTitleChangesOneLine()
{
    const QByteArray text = readShipped();
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    QVERIFY(doc.setString(QStringLiteral("/chapters/1/title"), QStringLiteral("13:40: silence"), &error));
    const QByteArray out = doc.text();
    QCOMPARE(changedLines(text, out), QList<int>{80});
    QCOMPARE(out.split('\n')[79], QByteArray(R"(      "title": "13:40: silence",)"));
}

void TestStoryDocument::addedGlossaryEntry()
{
    // A new member after the last: that line gets its comma, one line is added, nothing else moves.
    const QByteArray text = R"({
  "events": {
    "A": { "say": "a" },
    "B": { "say": "b" }
  }
}
)";
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    QVERIFY(doc.set(QStringLiteral("/events/C"),
                    StoryNode::object({{QStringLiteral("say"), StoryNode::string(QStringLiteral("c"))},
                                       {QStringLiteral("tone"), StoryNode::string(QStringLiteral("good"))}}),
                    &error));
    QCOMPARE(doc.text(), QByteArray(R"({
  "events": {
    "A": { "say": "a" },
    "B": { "say": "b" },
    "C": { "say": "c", "tone": "good" }
  }
}
)"));
    // Into an empty object: the new member gets its own line at two more spaces.
    QVERIFY(doc.parse("{\n  \"events\": {}\n}\n", &error));
    QVERIFY(doc.setString(QStringLiteral("/events/A"), QStringLiteral("x")));
    QCOMPARE(doc.text(), QByteArray("{\n  \"events\": {\n    \"A\": \"x\"\n  }\n}\n"));
}

void TestStoryDocument::reorderChaptersMovesWholeBlocks()
{
    const QByteArray text = readShipped();
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    QVERIFY(doc.move(QStringLiteral("/chapters"), 0, 2, &error));
    const QByteArray out = doc.text();
    QCOMPARE(out.size(), text.size());
    QList<QByteArray> a = text.split('\n'), b = out.split('\n');
    // Same lines, except the comma moved off the closing brace of the block that is now last... none here:
    // the moved chapter was not the last, so every line is still there.
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    QCOMPARE(a, b);
    Story story;
    QVERIFY2(parseStory(out, QFileInfo(kShipped).absolutePath(), &story, &error), qPrintable(error));
    QCOMPARE(story.chapters[0].id, QStringLiteral("outage"));
    QCOMPARE(story.chapters[1].id, QStringLiteral("survivor"));
    QCOMPARE(story.chapters[2].id, QStringLiteral("happy"));
    // And back: the original bytes.
    QVERIFY(doc.move(QStringLiteral("/chapters"), 2, 0, &error));
    QCOMPARE(doc.text(), text);
}

void TestStoryDocument::newChapterIsTwoSpaceIndented()
{
    const QByteArray text = readShipped();
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    const StoryNode chapter = StoryNode::object({
        {QStringLiteral("id"), StoryNode::string(QStringLiteral("new"))},
        {QStringLiteral("title"), StoryNode::string(QStringLiteral("A new chapter"))},
        {QStringLiteral("range"), StoryNode::object({{QStringLiteral("fromPosition"), StoryNode::number(10)},
                                                     {QStringLiteral("toPosition"), StoryNode::number(20)}})},
        {QStringLiteral("caption"), StoryNode::string(QStringLiteral("{count} events."))},
        {QStringLiteral("expect"),
         StoryNode::array(
             {StoryNode::object({{QStringLiteral("count"), StoryNode::string(QStringLiteral("OrderPaid"))},
                                 {QStringLiteral("atLeast"), StoryNode::number(1)}})})},
    });
    QVERIFY(doc.insert(QStringLiteral("/chapters"), 6, chapter, &error));
    const QByteArray out = doc.text();
    QVERIFY(out.startsWith(text.left(text.lastIndexOf("    }\n  ]"))));
    QVERIFY2(out.contains(R"(    },
    {
      "id": "new",
      "title": "A new chapter",
      "range": { "fromPosition": 10, "toPosition": 20 },
      "caption": "{count} events.",
      "expect": [
        { "count": "OrderPaid", "atLeast": 1 }
      ]
    }
  ]
)"),
             out.right(400).constData());
    Story story;
    QVERIFY2(parseStory(out, QFileInfo(kShipped).absolutePath(), &story, &error), qPrintable(error));
    QCOMPARE(story.chapters.size(), 7);
    QCOMPARE(story.chapters.last().anchor.toPosition, 20);
}

void TestStoryDocument::removeItems()
{
    const QByteArray text = "{\n  \"a\": [\n    1,\n    2,\n    3\n  ],\n  \"b\": 1,\n  \"c\": 2\n}";
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(text, &error));
    QVERIFY(doc.remove(QStringLiteral("/a/0"), &error));
    QVERIFY(doc.remove(QStringLiteral("/b"), &error));
    QCOMPARE(doc.text(), QByteArray("{\n  \"a\": [\n    2,\n    3\n  ],\n  \"c\": 2\n}"));
    QVERIFY(doc.remove(QStringLiteral("/a/1")));
    QVERIFY(doc.remove(QStringLiteral("/a/0")));
    QCOMPARE(doc.text(), QByteArray("{\n  \"a\": [],\n  \"c\": 2\n}"));
    QVERIFY(!doc.remove(QStringLiteral("/a/0"), &error));
    QVERIFY(error.contains(QLatin1String("not found")));
}

void TestStoryDocument::inlineArrayEdits()
{
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(R"({ "s": ["a", "b"] })", &error));
    QVERIFY(doc.move(QStringLiteral("/s"), 1, 0));
    QCOMPARE(doc.text(), QByteArray(R"({ "s": ["b", "a"] })"));
    QVERIFY(doc.insert(QStringLiteral("/s"), 0, StoryNode::string(QStringLiteral("z"))));
    QCOMPARE(doc.text(), QByteArray(R"({ "s": ["z", "b", "a"] })"));
    QVERIFY(doc.set(QStringLiteral("/t"), StoryNode::number(3)));
    QCOMPARE(doc.text(), QByteArray(R"({ "s": ["z", "b", "a"], "t": 3 })"));
}

void TestStoryDocument::stringsAreEscaped()
{
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse("{\"a\": \"\"}", &error));
    const QString nasty = QStringLiteral("quote \" backslash \\ newline \n tab \t bell \x07 emoji 😀 €");
    QVERIFY(doc.setString(QStringLiteral("/a"), nasty));
    StoryDocument again;
    QVERIFY2(again.parse(doc.text(), &error), qPrintable(error));
    QCOMPARE(again.stringAt(QStringLiteral("/a")), nasty);
    QVERIFY(doc.text().contains("\\u0007"));
    QVERIFY(doc.text().contains("😀"));
}

void TestStoryDocument::badPointers()
{
    StoryDocument doc;
    QString error;
    QVERIFY(doc.parse(R"({"a": [1], "b": "x"})", &error));
    QVERIFY(!doc.set(QStringLiteral("/nope/x"), StoryNode::number(1), &error));
    QVERIFY(!doc.set(QStringLiteral("/b/x"), StoryNode::number(1), &error));
    QVERIFY(error.contains(QLatin1String("not an object")));
    QVERIFY(!doc.set(QStringLiteral("/a/5"), StoryNode::number(1), &error));
    QVERIFY(!doc.set(QStringLiteral("/a/01"), StoryNode::number(1), &error));
    QVERIFY(!doc.move(QStringLiteral("/a"), 0, 3, &error));
    QVERIFY(!doc.insert(QStringLiteral("/b"), 0, StoryNode::number(1), &error));
    QVERIFY(!doc.set(QStringLiteral("x"), StoryNode::number(1), &error));
    QCOMPARE(doc.text(), QByteArray(R"({"a": [1], "b": "x"})"));
}

void TestStoryDocument::malformed_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("line 1, column 1");
    QTest::newRow("truncated") << readShipped().left(2000) << QStringLiteral("line ");
    QTest::newRow("unclosed string") << QByteArray("{\n  \"a\": \"x\n}") << QStringLiteral("line 2");
    QTest::newRow("trailing comma") << QByteArray("{\"a\": 1,}") << QStringLiteral("column 9");
    QTest::newRow("duplicate key") << QByteArray("{\"a\": 1, \"a\": 2}") << QStringLiteral("twice");
    QTest::newRow("bad escape") << QByteArray(R"({"a": "\q"})") << QStringLiteral("escape");
    QTest::newRow("bad number") << QByteArray(R"({"a": 1.})") << QStringLiteral("digits");
    QTest::newRow("two documents") << QByteArray("{} {}") << QStringLiteral("after the end");
    QTest::newRow("deep") << QByteArray(100000, '[') << QStringLiteral("levels");
    QTest::newRow("not json") << QByteArray("chapters: 1") << QStringLiteral("a value was expected");
}

void TestStoryDocument::malformed()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, where);
    StoryDocument doc;
    QString error;
    QVERIFY(!doc.parse(text, &error));
    QVERIFY2(error.contains(where), qPrintable(error));
    QVERIFY(doc.isNull());
}

QTEST_GUILESS_MAIN(TestStoryDocument)
#include "tst_story_document.moc"
