// Story files without a GUI: loading and validation (every error names its JSON pointer), the template
// language and its formatters, the glossary (sentences, actors, redaction, hidden paths), the sequence
// layout, and the engine on an in-memory store (anchors, narrowing, continuation, KPIs, facts, lint).

#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "findings/annotations.h"
#include "store/memoryreader.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"
#include "story/correlationindex.h"
#include "story/sequencelayout.h"
#include "story/story.h"
#include "story/storyengine.h"
#include "story/storyexport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QDir>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace chronoscope;
using namespace chronoscope::story;

namespace {

const TimeMs kT0 = 1772548800000LL; // 2026-03-03T14:40:00Z

Event ev(const char* stream, qint64 version, const char* type, TimeMs t, const QByteArray& data,
         const char* id, const char* correlation, const char* cause = nullptr)
{
    Event e;
    e.stream = QLatin1String(stream);
    e.version = version;
    e.type = QLatin1String(type);
    e.time = t;
    e.id = QLatin1String(id);
    e.data = data;
    e.metadata = "{\"correlationId\":\"" + QByteArray(correlation) + "\"" +
                 (cause ? ",\"causationId\":\"" + QByteArray(cause) + "\"" : QByteArray()) + "}";
    return e;
}

/// Two orders: order-1 survives a failed payment, order-2 is a quiet one later on.
QList<Event> shop()
{
    QList<Event> events = {
        ev("order-1", 0, "OrderPlaced", kT0,
           R"({"customerId":"c-1","email":"anna@example.com","total":1.10})", "e1", "A"),
        ev("payment-1", 0, "PaymentRequested", kT0 + 1000, R"({"amount":1.10,"card":"4111 1111 1111 1111"})",
           "e2", "A", "e1"),
        ev("payment-1", 1, "PaymentFailed", kT0 + 11000,
           R"({"attempts":1,"lastError":{"code":"TIMEOUT","message":"secret"},"backoffSeconds":30})", "e3",
           "A", "e2"),
        ev("payment-1", 2, "PaymentRetried", kT0 + 41000, R"({"attempts":1,"backoffSeconds":30})", "e4", "A",
           "e3"),
        ev("payment-1", 3, "PaymentFailed", kT0 + 51000, R"({"attempts":2,"lastError":{"code":"TIMEOUT"}})",
           "e5", "A", "e4"),
        ev("payment-1", 4, "PaymentCaptured", kT0 + 60000, R"({"attempts":3,"captured":1.10})", "e6", "A",
           "e5"),
        ev("order-1", 1, "OrderPaid", kT0 + 61000, R"({"status":"paid","paid":1.10})", "e7", "A", "e6"),
        ev("order-2", 0, "OrderPlaced", kT0 + 3600000, R"({"customerId":"c-2","total":1E5})", "e8", "B"),
        ev("payment-2", 0, "PaymentCaptured", kT0 + 3601000, R"({"captured":-205.0})", "e9", "B", "e8"),
        ev("order-2", 1, "OrderPaid", kT0 + 3602000, R"({"status":"paid","paid":-205.0})", "e10", "B", "e9"),
    };
    for (qsizetype i = 0; i < events.size(); ++i)
        events[i].position = i + 1;
    return events;
}

QByteArray storyText(const QByteArray& chapters, const QByteArray& extra = {})
{
    return R"({"chronostory":1,"title":"T","locale":"en-GB",)" + extra + R"("chapters":)" + chapters + "}";
}

} // namespace

class TestStory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void invalidStories_data();
    void invalidStories();
    void hugeInputsAreRefusedQuickly_data();
    void hugeInputsAreRefusedQuickly();
    void validStoryParses();
    void templates_data();
    void templates();
    void formatters_data();
    void formatters();
    void defaultSentences_data();
    void defaultSentences();
    void pointerGlobs_data();
    void pointerGlobs();
    void redactionAndHiding();
    void layout_data();
    void layout();
    void layoutIsDeterministic();
    void anchors_data();
    void anchors();
    void emptyChapterIsAnError();
    void facts();
    void kpisAndFailingProjection();
    void watchAnchor();
    void pageModelNeverShowsHiddenOrRedacted();
    void lintFindsMissesAndPersonalData();
    void bundleIsRedactedBytes();
    void draftFromCorrelation();
    void candidateIds_data();
    void candidateIds();
    void correlationIndexColdAndWarmAgree();
    void correlationIndexRebuildsForChangedStore();
    void annotationAnchors_data();
    void annotationAnchors();
    void annotationAnchorErrors_data();
    void annotationAnchorErrors();
    void concurrentChecksAgree_data();
    void concurrentChecksAgree();

private:
    QTemporaryDir m_dir;
    /// A native store file of shop() plus events whose metadata spells the correlation id the hard ways.
    QString writeStore(const QString& name, const QList<Event>& extra = {})
    {
        const QString path = m_dir.filePath(name);
        QString error;
        auto w = StoreWriter::create(path, {}, &error, true);
        if (!w) qFatal("%s", qPrintable(error));
        QList<Event> all = shop();
        auto odd = [&](const char* stream, const QByteArray& metadata) {
            Event e = ev(stream, 0, "Noted", kT0 + 7200000, "{}", "", "");
            e.metadata = metadata;
            all << e;
        };
        odd("odd-1", R"({"correlation\u0049d":"B"})");            // escaped key: B
        odd("odd-2", R"({ "correlationId" : "A" , "x":1})");        // spaces: A
        odd("odd-3", R"({"$correlationId":"B"})");                 // another key name: B
        odd("odd-4", R"({"inner":{"correlationId":"A"}})");        // nested: no correlation
        odd("odd-5", R"({"correlationId":42})");                   // a number: "42"
        odd("odd-6", R"({"note":"correlationId","correlation_id":"A"})");
        all << extra;
        for (qsizetype i = 0; i < all.size(); ++i)
            all[i].position = i + 1;
        for (const Event& e : std::as_const(all))
            if (!w->append(e, &error)) qFatal("%s", qPrintable(error));
        if (!w->finish(&error)) qFatal("%s", qPrintable(error));
        return path;
    }
    /// Positions of the beats of every chapter, one string per chapter.
    QStringList resolveAll(const Story& s, EventReader& reader, const QString& cacheDir,
                           CorrelationIndex::Source* source = nullptr)
    {
        StoryEngine engine(s, reader);
        engine.setCacheDir(cacheDir);
        QStringList out;
        for (int i = 0; i < s.chapters.size(); ++i) {
            QString error;
            const ResolvedChapter* r = engine.chapter(i, &error);
            QStringList got;
            if (r)
                for (const Event& e : r->beats)
                    got << QString::number(e.position);
            out << (r ? got.join(u',') : error);
        }
        if (source) *source = engine.correlationIndex() ? engine.correlationIndex()->source()
                                                        : CorrelationIndex::Source::None;
        return out;
    }
    QString writeFile(const QString& name, const QByteArray& bytes)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(bytes);
        return path;
    }
};

void TestStory::invalidStories_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not json") << QByteArray("{\"chronostory\": 1,\n \"title\": }")
                              << "not valid JSON at line 2";
    QTest::newRow("truncated") << QByteArray("{\"chronostory\": 1, \"chapters\": [") << "not valid JSON";
    QTest::newRow("array root") << QByteArray("[1,2]") << "(the document): must be an object";
    QTest::newRow("no version") << QByteArray(R"({"chapters":[{}]})") << "/chronostory: missing";
    QTest::newRow("newer version") << QByteArray(R"({"chronostory":2,"chapters":[{}]})")
                                   << "/chronostory: version 2 is newer";
    QTest::newRow("no chapters") << QByteArray(R"({"chronostory":1})") << "/chapters: missing";
    QTest::newRow("empty chapters") << storyText("[]") << "/chapters: must be a non-empty array";
    QTest::newRow("empty annotation") << storyText(R"([{"range":{"annotation":""}}])")
                                      << "/chapters/0/range/annotation: must not be empty";
    QTest::newRow("annotation and positions")
        << storyText(R"([{"range":{"annotation":"n1","fromPosition":3}}])")
        << "/chapters/0/range: a range is a note's";
    QTest::newRow("annotation and correlation")
        << storyText(R"([{"focus":{"annotation":"n1","correlation":"A"}}])")
        << "/chapters/0/focus: a focus is {\"correlation\": ID}, {\"streams\": [globs]} or {\"annotation\": ID}";
    QTest::newRow("annotation not a string") << storyText(R"([{"focus":{"annotation":7}}])")
                                             << "/chapters/0/focus/annotation";
    QTest::newRow("unknown anchor key") << storyText(R"([{"id":"a","around":{"position":3}}])")
                                        << "/chapters/0/around: unknown key in a chapter";
    QTest::newRow("unknown focus") << storyText(R"([{"id":"a","focus":{"customer":"x"}}])")
                                   << "/chapters/0/focus/customer: unknown key in a focus";
    QTest::newRow("two anchors") << storyText(R"([{"range":{"fromPosition":1},"focus":{"correlation":"A"}}])")
                                 << "/chapters/0: a chapter has one anchor";
    QTest::newRow("empty range") << storyText(R"([{"range":{}}])") << "/chapters/0/range: a range needs";
    QTest::newRow("bad time") << storyText(R"([{"range":{"fromTime":"2026-02-31T00:00:00Z"}}])")
                              << "/chapters/0/range/fromTime: '2026-02-31T00:00:00Z' is not a time";
    QTest::newRow("reversed range") << storyText(R"([{"range":{"fromPosition":9,"toPosition":2}}])")
                                    << "fromPosition is after toPosition";
    QTest::newRow("unbalanced open")
        << storyText(R"([{"caption":"{count"}])")
        << "/chapters/0/caption: template error at character 1: '{' is never closed";
    QTest::newRow("unbalanced close")
        << storyText(R"([{"caption":"count}"}])")
        << "/chapters/0/caption: template error at character 6: '}' without a '{'";
    QTest::newRow("unknown formatter")
        << storyText(R"([{"caption":"{duration|bold}"}])") << "unknown formatter 'bold'";
    QTest::newRow("money without currency")
        << storyText(R"([{"caption":"{/total|money}"}])") << "money needs a currency";
    QTest::newRow("unknown template")
        << storyText(R"([{"caption":"{weather}"}])") << "unknown template '{weather}'";
    QTest::newRow("unknown kpi in caption") << storyText(R"([{"caption":"{kpi(nope)}"}])")
                                            << "/chapters/0/caption: {kpi(nope)}: no KPI has this id";
    QTest::newRow("unknown kpi in chapter")
        << storyText(R"([{"kpis":["nope"]}])") << "/chapters/0/kpis/0: no KPI has the id 'nope'";
    QTest::newRow("bad say") << storyText(R"([{}])", R"("glossary":{"events":{"X":{"say":"{/a"}}},)")
                             << "/glossary/events/X/say: template error";
    QTest::newRow("bad tone") << storyText(R"([{}])", R"("glossary":{"events":{"X":{"tone":"happy"}}},)")
                              << "/glossary/events/X/tone: 'happy' is not a tone";
    QTest::newRow("bad redact") << storyText(R"([{}])", R"("glossary":{"fields":{"/a":{"redact":"blur"}}},)")
                                << "/glossary/fields/~1a/redact: 'blur' is not a redaction";
    QTest::newRow("bad maxGap") << storyText(R"([{"pace":{"maxGap":"soon"}}])")
                                << "/chapters/0/pace/maxGap: must be a duration";
    QTest::newRow("fact without comparison")
        << storyText(R"([{"expect":[{"count":"X"}]}])") << "/chapters/0/expect/0: needs \"equals\"";
    QTest::newRow("fact two kinds") << storyText(R"([{"expect":[{"count":"X","kpi":"y","equals":1}]}])")
                                    << "/chapters/0/expect/0/kpi: no KPI has the id";
    QTest::newRow("duplicate chapter id") << storyText(R"([{"id":"a"},{"id":"a"}])")
                                          << "/chapters/1/id: another chapter already has the id 'a'";
    QTest::newRow("caption not string")
        << storyText(R"([{"caption":42}])") << "/chapters/0/caption: must be a string, not a number";
}

void TestStory::invalidStories()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    Story s;
    QString error;
    QVERIFY(!parseStory(text, QStringLiteral("/tmp"), &s, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestStory::hugeInputsAreRefusedQuickly_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("100000 levels") << QByteArray(100000, '[') + QByteArray(100000, ']')
                                   << "nests deeper than 64 levels";
    QTest::newRow("100000 levels inside a chapter")
        << storyText("[{\"caption\":" + QByteArray(100000, '[') + QByteArray(100000, ']') + "}]")
        << "nests deeper";
    QTest::newRow("50 MB caption") << storyText("[{\"caption\":\"" + QByteArray(50 * 1024 * 1024, 'x') +
                                                "\"}]")
                                   << "/chapters/0/caption: is 52428800 bytes long";
    QTest::newRow("65 MB file") << QByteArray(65 * 1024 * 1024, ' ') << "a story file is at most";
}

void TestStory::hugeInputsAreRefusedQuickly()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    Story s;
    QString error;
    QElapsedTimer t;
    t.start();
    QVERIFY(!parseStory(text, QStringLiteral("/tmp"), &s, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
}

void TestStory::validStoryParses()
{
    const QByteArray text = R"({
      "chronostory": 1, "title": "T", "audience": "PO", "locale": "de-DE",
      "source": {"uri": "shop.chronoscope"},
      "glossary": {"actors": {"order-*": "Order desk", "*": "Everyone"},
                   "events": {"OrderPlaced": {"say": "{/customerId} ordered {/total}", "tone": "good"}},
                   "fields": {"/total": {"label": "Total", "format": "money:EUR"}, "/email": {"redact": "mask"}},
                   "hide": ["/metadata/**", "/**/backoffSeconds"]},
      "kpis": [{"id": "k", "label": "K", "projection": "p.js", "pointer": "/total", "format": "number"}],
      "chapters": [
        {"id": "a", "focus": {"correlation": "A"}, "pace": {"mode": "step"}, "caption": "{count} in {duration}",
         "expect": [{"stream": "order-1", "pointer": "/status", "equals": "paid"}, {"count": "X", "atMost": 3}]},
        {"id": "b", "range": {"fromTime": "2026-03-03T13:40:00Z", "toTime": "2026-03-03T14:25:00Z"},
         "streams": ["payment-*"], "pace": {"mode": "realtime", "speed": 60, "maxGap": "3s"}, "kpis": ["k"]},
        {"id": "c"},
        {"watch": {"projection": "w.js", "predicate": "s.x > 1", "context": 2}, "$comment": "ignored"}
      ]})";
    Story s;
    QString error;
    QVERIFY2(parseStory(text, QStringLiteral("/stories"), &s, &error), qPrintable(error));
    QCOMPARE(s.chapters.size(), 4);
    QCOMPARE(s.chapters[0].anchor.kind, Anchor::Kind::Correlation);
    QCOMPARE(s.chapters[1].anchor.kind, Anchor::Kind::Range);
    QCOMPARE(s.chapters[1].maxGapMs, 3000);
    QVERIFY(s.chapters[1].realtime);
    QCOMPARE(s.chapters[2].anchor.kind, Anchor::Kind::Continue);
    QCOMPARE(s.chapters[2].id, QStringLiteral("c"));
    QCOMPARE(s.chapters[3].anchor.kind, Anchor::Kind::Watch);
    QCOMPARE(s.chapters[3].anchor.context, 2);
    QCOMPARE(s.chapters[3].anchor.projection, QStringLiteral("/stories/w.js"));
    QCOMPARE(s.kpis[0].projection, QStringLiteral("/stories/p.js"));
    QCOMPARE(s.resolvedSourceUri(), QStringLiteral("/stories/shop.chronoscope"));
    Story placeholder;
    QVERIFY(parseStory(storyText(R"([{}])", R"("source":{"uri":"x","sha256":"…optional…"},)"),
                       QStringLiteral("/"), &placeholder, &error));
    QVERIFY(placeholder.sourceSha256.isEmpty());
    QVERIFY(placeholder.warnings.join(u' ').contains(QStringLiteral("/source/sha256")));
    QCOMPARE(s.glossary.actorOf(QStringLiteral("order-9")), QStringLiteral("Order desk"));
    QCOMPARE(s.glossary.actorOf(QStringLiteral("payment-9")), QStringLiteral("Everyone"));
    QCOMPARE(Glossary().actorOf(QStringLiteral("payment-9")), QStringLiteral("Payment"));
}

void TestStory::templates_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<int>("misses");
    QTest::newRow("pointer") << "{/customerId} ordered"
                             << "c-1 ordered" << 0;
    QTest::newRow("kept number as stored") << "{/total}"
                                           << "1.10" << 0;
    QTest::newRow("nested pointer") << "{/lastError/code}"
                                    << "—" << 1;
    QTest::newRow("event fields") << "{event.type}@{event.stream}#{event.position}"
                                  << "OrderPlaced@order-1#1" << 0;
    QTest::newRow("event time") << "{event.time|time}"
                                << "14:40:00" << 0;
    QTest::newRow("actor") << "{actor}"
                           << "Order" << 0;
    QTest::newRow("count") << "{count} / {count(PaymentFailed)} / {count(Nothing)}"
                           << "7 / 2 / 0" << 0;
    QTest::newRow("sum keeps decimals") << "{sum(PaymentCaptured/captured)}"
                                        << "1.10" << 0;
    QTest::newRow("sum money") << "{sum(PaymentCaptured/captured)|money:EUR}"
                               << "€1.10" << 0;
    QTest::newRow("duration") << "{duration}"
                              << "1 min 1 s" << 0;
    QTest::newRow("first last") << "{first(PaymentFailed).time|time}-{last(PaymentFailed)/attempts}"
                                << "14:40:11-2" << 0;
    QTest::newRow("first missing") << "{first(Refund).time}"
                                   << "—" << 1;
    QTest::newRow("relative") << "{last(OrderPaid).time|relative}"
                              << "1 min 1 s" << 0;
    QTest::newRow("escaped braces") << "{{literal}} {count}"
                                    << "{literal} 7" << 0;
    QTest::newRow("upper") << "{/customerId|upper}"
                           << "C-1" << 0;
    QTest::newRow("missing pointer") << "x{/nothing}y"
                                     << "x—y" << 1;
    QTest::newRow("kpi without engine") << "{kpi(k)}"
                                        << "—" << 1;
}

void TestStory::templates()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QFETCH(int, misses);
    QString error;
    const auto t = Template::parse(text, &error);
    QVERIFY2(t, qPrintable(error));
    const QList<Event> all = shop();
    const QList<Event> beats = all.mid(0, 7);
    TemplateContext ctx;
    ctx.event = &beats[0];
    ctx.data = parseJsonValue(beats[0].data);
    ctx.actor = QStringLiteral("Order");
    ctx.beats = &beats;
    ctx.locale = QLocale(QStringLiteral("en-GB"));
    ctx.chapterStart = beats.first().time;
    QStringList missed;
    QCOMPARE(renderTemplate(*t, ctx, &missed), expected);
    QCOMPARE(missed.size(), misses);
}

void TestStory::formatters_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("locale");
    QTest::addColumn<QString>("expected");
    QTest::newRow("money en") << QByteArray("1234.5") << "money:EUR"
                              << "en-GB"
                              << "€1,234.50";
    QTest::newRow("money de") << QByteArray("1234.5") << "money:EUR"
                              << "de-DE" << QStringLiteral("1.234,50\u00a0€");
    QTest::newRow("money keeps digits") << QByteArray("0.125") << "money:USD"
                                        << "en-US"
                                        << "$0.125";
    QTest::newRow("money negative") << QByteArray("-205.0") << "money:EUR"
                                    << "en-GB"
                                    << "-€205.00";
    QTest::newRow("money big exact") << QByteArray("12345678901234567890.12") << "money:EUR"
                                     << "en-GB"
                                     << "€12,345,678,901,234,567,890.12";
    QTest::newRow("number grouping") << QByteArray("1234567") << "number"
                                     << "en-GB"
                                     << "1,234,567";
    QTest::newRow("number exponent") << QByteArray("1E5") << "number"
                                     << "en-GB"
                                     << "100,000";
    QTest::newRow("number de") << QByteArray("1.10") << "number"
                               << "de-DE"
                               << "1,10";
    QTest::newRow("percent") << QByteArray("0.125") << "percent"
                             << "en-GB"
                             << "12.5%";
    QTest::newRow("count array") << QByteArray("[1,2,3]") << "count"
                                 << "en-GB"
                                 << "3";
    QTest::newRow("date") << QByteArray("\"2026-03-03T13:40:00Z\"") << "date"
                          << "en-GB"
                          << "3 March 2026";
    QTest::newRow("datetime") << QByteArray("\"2026-03-03T13:40:00Z\"") << "datetime"
                              << "en-GB"
                              << "3 Mar 2026, 13:40:00 UTC";
    QTest::newRow("lower") << QByteArray("\"ABC\"") << "lower"
                           << "en-GB"
                           << "abc";
    QTest::newRow("money on text") << QByteArray("\"hello\"") << "money:EUR"
                                   << "en-GB"
                                   << "—";
    QTest::newRow("as stored") << QByteArray("1.10") << ""
                               << "en-GB"
                               << "1.10";
}

void TestStory::formatters()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, format);
    QFETCH(QString, locale);
    QFETCH(QString, expected);
    QString error;
    const auto f = format.isEmpty() ? std::optional<QList<Formatter>>(QList<Formatter>{})
                                    : parseFormatters(format, &error);
    QVERIFY2(f, qPrintable(error));
    QCOMPARE(formatValue(Value::ofJson(parseJsonValue(json)), *f, QLocale(locale)), expected);
}

void TestStory::defaultSentences_data()
{
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("expected");
    QTest::newRow("camel") << "PaymentFailed"
                           << "Payment failed";
    QTest::newRow("acronym") << "SMSSent"
                             << "SMS sent";
    QTest::newRow("snake") << "order_placed"
                           << "Order placed";
    QTest::newRow("dotted") << "com.shop.OrderPlaced"
                            << "Com shop order placed";
    QTest::newRow("single") << "Created"
                            << "Created";
}

void TestStory::defaultSentences()
{
    QFETCH(QString, type);
    QFETCH(QString, expected);
    QCOMPARE(Glossary::defaultSentence(type), expected);
}

void TestStory::pointerGlobs_data()
{
    QTest::addColumn<QString>("glob");
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<bool>("matches");
    QTest::newRow("exact") << "/a/b"
                           << "/a/b" << true;
    QTest::newRow("exact no") << "/a/b"
                              << "/a/c" << false;
    QTest::newRow("star one level") << "/a/*/c"
                                    << "/a/x/c" << true;
    QTest::newRow("star not two") << "/a/*/c"
                                  << "/a/x/y/c" << false;
    QTest::newRow("double star any depth") << "/**/c"
                                           << "/a/x/y/c" << true;
    QTest::newRow("double star zero levels") << "/**/c"
                                             << "/c" << true;
    QTest::newRow("trailing double star") << "/metadata/**"
                                          << "/metadata/a/b" << true;
    QTest::newRow("prefix is not a match") << "/a"
                                           << "/a/b" << false;
    QTest::newRow("escaped slash") << "/a~1b"
                                   << "/a~1b" << true;
}

void TestStory::pointerGlobs()
{
    QFETCH(QString, glob);
    QFETCH(QString, pointer);
    QFETCH(bool, matches);
    QStringList tokens = pointer.mid(1).split(u'/');
    for (QString& t : tokens)
        t.replace(QStringLiteral("~1"), QStringLiteral("/"))
            .replace(QStringLiteral("~0"), QStringLiteral("~"));
    QCOMPARE(pointerGlobMatch(glob, tokens), matches);
}

void TestStory::redactionAndHiding()
{
    Glossary g;
    g.fields = {{QStringLiteral("/email"), {}, {}, FieldRule::Redact::Mask},
                {QStringLiteral("/card"), {}, {}, FieldRule::Redact::Hash},
                {QStringLiteral("/secret"), {}, {}, FieldRule::Redact::Drop},
                {QStringLiteral("/items/*/price"), {}, {}, FieldRule::Redact::Mask}};
    g.hide = {QStringLiteral("/**/backoffSeconds"), QStringLiteral("/lastError/message")};
    const QJsonValue data = parseJsonValue(
        R"({"email":"Anna.B@example.com","card":"4111","secret":"x","keep":1.10,"backoffSeconds":3,)"
        R"("lastError":{"code":"T","message":"m","backoffSeconds":4},"items":[{"price":12.5,"n":"a"}]})");
    const QJsonValue out = g.present(data);
    const QByteArray text = toJsonText(out);
    QCOMPARE(jsonStringValue(out[QStringLiteral("email")]), QStringLiteral("Xxxx.X@xxxxxxx.xxx"));
    QCOMPARE(jsonStringValue(out[QStringLiteral("card")]).size(), 8);
    QCOMPARE(g.present(parseJsonValue(R"({"card":"4111"})"))[QStringLiteral("card")],
             out[QStringLiteral("card")]);
    QVERIFY(!out.toObject().contains(QStringLiteral("secret")));
    QVERIFY(!text.contains("backoffSeconds"));
    QVERIFY(!text.contains("\"m\""));
    QVERIFY(text.contains("\"keep\":1.10"));
    QCOMPARE(jsonStringValue(out[QStringLiteral("items")][0][QStringLiteral("price")]),
             QStringLiteral("##.#"));
    QStringList paths;
    g.collectRedacted(data, &paths);
    QVERIFY(paths.contains(QStringLiteral("/email")));
    QVERIFY(paths.contains(QStringLiteral("/lastError/backoffSeconds")));
}

void TestStory::layout_data()
{
    // beats: "actor:parent:type:time(s)" separated by spaces; rows: kind letters (A arrow, N note, G gap)
    // with counts
    QTest::addColumn<QString>("beats");
    QTest::addColumn<qint64>("maxGap");
    QTest::addColumn<QString>("rows");
    QTest::addColumn<QString>("actors");
    QTest::newRow("note then arrow") << "O::Placed:0 P:O:Requested:1" << qint64(60000) << "N0>0x1 A0>1x1"
                                     << "O,P";
    QTest::newRow("parent actor comes first") << "P:O:Requested:0" << qint64(60000) << "A0>1x1"
                                              << "O,P";
    QTest::newRow("fold same type same actors")
        << "P:P:Failed:0 P:P:Failed:1 P:P:Failed:2" << qint64(60000) << "A0>0x3"
        << "P";
    QTest::newRow("no fold across types")
        << "P:P:Failed:0 P:P:Retried:1 P:P:Failed:2" << qint64(60000) << "A0>0x1 A0>0x1 A0>0x1"
        << "P";
    QTest::newRow("gap row") << "O::Placed:0 O:O:Paid:1200" << qint64(60000) << "N0>0x1 G A0>0x1"
                             << "O";
    QTest::newRow("gap breaks a fold") << "P:P:Failed:0 P:P:Failed:600" << qint64(60000) << "A0>0x1 G A0>0x1"
                                       << "P";
    QTest::newRow("no gaps when off") << "O::Placed:0 O:O:Paid:1200" << qint64(-1) << "N0>0x1 A0>0x1"
                                      << "O";
    QTest::newRow("arrow back") << "O::Placed:0 P:O:Req:1 O:P:Paid:2" << qint64(60000)
                                << "N0>0x1 A0>1x1 A1>0x1"
                                << "O,P";
}

void TestStory::layout()
{
    QFETCH(QString, beats);
    QFETCH(qint64, maxGap);
    QFETCH(QString, rows);
    QFETCH(QString, actors);
    QList<SequenceBeat> in;
    for (const QString& b : beats.split(u' ')) {
        const QStringList f = b.split(u':');
        SequenceBeat s;
        s.actor = f[0];
        s.parentActor = f[1];
        s.type = f[2];
        s.label = f[2];
        s.time = kT0 + f[3].toLongLong() * 1000;
        in << s;
    }
    const SequenceLayout l = layoutSequence(in, maxGap);
    QStringList got;
    for (const SequenceRow& r : l.rows)
        got << (r.kind == SequenceRow::Kind::Gap
                    ? QStringLiteral("G")
                    : QStringLiteral("%1%2>%3x%4")
                          .arg(QChar(r.kind == SequenceRow::Kind::Arrow ? u'A' : u'N'))
                          .arg(r.from)
                          .arg(r.to)
                          .arg(r.count));
    QCOMPARE(got.join(u' '), rows);
    QCOMPARE(l.actors.join(u','), actors);
    for (const SequenceRow& r : l.rows)
        if (r.kind == SequenceRow::Kind::Gap)
            QVERIFY2(r.label.startsWith(QStringLiteral("… ")) && r.label.endsWith(QStringLiteral(" later …")),
                     qPrintable(r.label));
}

void TestStory::layoutIsDeterministic()
{
    QList<SequenceBeat> in;
    for (int i = 0; i < 500; ++i) {
        SequenceBeat b;
        b.actor = QStringLiteral("A%1").arg(i % 7);
        b.parentActor = i % 3 ? QStringLiteral("A%1").arg((i + 2) % 7) : QString();
        b.type = QStringLiteral("T%1").arg(i % 4);
        b.time = kT0 + i * 20000LL * (i % 5);
        in << b;
    }
    const SequenceLayout a = layoutSequence(in, 60000), b = layoutSequence(in, 60000);
    QCOMPARE(a.actors, b.actors);
    QCOMPARE(a.rows.size(), b.rows.size());
    for (int i = 0; i < a.rows.size(); ++i) {
        QCOMPARE(a.rows[i].from, b.rows[i].from);
        QCOMPARE(a.rows[i].count, b.rows[i].count);
        QCOMPARE(a.rows[i].label, b.rows[i].label);
    }
    QCOMPARE(gapText(17 * 60000), QStringLiteral("… 17 min later …"));
}

void TestStory::anchors_data()
{
    QTest::addColumn<QByteArray>("chapters");
    QTest::addColumn<int>("chapter");
    QTest::addColumn<QString>("positions");
    QTest::newRow("range positions") << QByteArray(R"([{"range":{"fromPosition":2,"toPosition":4}}])") << 0
                                     << "2,3,4";
    QTest::newRow("range times")
        << QByteArray(R"([{"range":{"fromTime":"2026-03-03T14:40:11Z","toTime":"2026-03-03T14:40:51Z"}}])")
        << 0 << "3,4,5";
    QTest::newRow("correlation") << QByteArray(R"([{"focus":{"correlation":"B"}}])") << 0 << "8,9,10";
    QTest::newRow("correlation narrowed")
        << QByteArray(R"([{"focus":{"correlation":"A"},"streams":["order-*"]}])") << 0 << "1,7";
    QTest::newRow("focus streams") << QByteArray(R"([{"focus":{"streams":["payment-2","order-2"]}}])") << 0
                                   << "8,9,10";
    QTest::newRow("range narrowed") << QByteArray(R"([{"range":{"fromPosition":1},"streams":["payment-*"]}])")
                                    << 0 << "2,3,4,5,6,9";
    QTest::newRow("continuation") << QByteArray(R"([{"range":{"toPosition":6}},{"streams":["order-*"]}])")
                                  << 1 << "7,8,10";
    QTest::newRow("first chapter continues from the start")
        << QByteArray(R"([{"streams":["order-2"]}])") << 0 << "8,10";
}

void TestStory::anchors()
{
    QFETCH(QByteArray, chapters);
    QFETCH(int, chapter);
    QFETCH(QString, positions);
    Story s;
    QString error;
    QVERIFY2(parseStory(storyText(chapters), m_dir.path(), &s, &error), qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    const ResolvedChapter* r = engine.chapter(chapter, &error);
    QVERIFY2(r, qPrintable(error));
    QStringList got;
    for (const Event& e : r->beats)
        got << QString::number(e.position);
    QCOMPARE(got.join(u','), positions);
}

void TestStory::emptyChapterIsAnError()
{
    Story s;
    QString error;
    QVERIFY(
        parseStory(storyText(R"([{"id":"x","focus":{"correlation":"nobody"}}])"), m_dir.path(), &s, &error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    QVERIFY(!engine.chapter(0, &error));
    QVERIFY2(error.contains(QStringLiteral("chapter 'x' (/chapters/0) has no beats")) &&
                 error.contains(QStringLiteral("nobody")),
             qPrintable(error));
}

void TestStory::facts()
{
    Story s;
    QString error;
    QVERIFY2(parseStory(storyText(R"([{"id":"a","focus":{"correlation":"A"},"expect":[
        {"stream":"order-1","pointer":"/status","equals":"paid"},
        {"stream":"order-1","pointer":"/total","equals":1.1},
        {"stream":"payment-1","pointer":"/attempts","equals":2},
        {"count":"PaymentFailed","equals":2},
        {"count":"PaymentFailed","atLeast":3},
        {"count":"PaymentFailed","atMost":2},
        {"stream":"order-1","pointer":"/nothing","equals":null}]}])"),
                        m_dir.path(), &s, &error),
             qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    QList<FactResult> results;
    QVERIFY2(engine.check(0, &results, &error), qPrintable(error));
    QCOMPARE(results.size(), 7);
    const QList<bool> expected = {true, true, false, true, false, true, false};
    for (int i = 0; i < results.size(); ++i)
        QVERIFY2(results[i].holds == expected[i], qPrintable(QStringLiteral("fact %1").arg(i)));
    QCOMPARE(jsonNumberText(results[1].actual), QByteArray("1.10")); // shown as stored, compared by value
    QCOMPARE(jsonNumberText(results[2].actual), QByteArray("3"));
    QVERIFY(results[6].actual.isUndefined());
}

void TestStory::kpisAndFailingProjection()
{
    writeFile(QStringLiteral("revenue.js"), R"(fromAll().when({$init:function(){return {total:0}},
        PaymentCaptured:function(s,e){s.total=Math.round((s.total+e.data.captured)*100)/100}});)");
    writeFile(QStringLiteral("throws.js"), R"(fromAll().when({$init:function(){return {n:0}},
        PaymentFailed:function(s,e){throw new Error('boom')}});)");
    Story s;
    QString error;
    QVERIFY2(
        parseStory(
            storyText(
                R"([{"id":"a","focus":{"correlation":"A"},"kpis":["rev"],
                "caption":"Revenue {kpi(rev)}","expect":[{"kpi":"rev","equals":1.1}]},
             {"id":"b","focus":{"correlation":"A"},"kpis":["bad"]}])",
                R"("kpis":[{"id":"rev","label":"Revenue","projection":"revenue.js","pointer":"/total","format":"money:EUR"},
                       {"id":"bad","projection":"throws.js","pointer":"/n"}],)"),
            m_dir.path(), &s, &error),
        qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    QList<FactResult> results;
    QVERIFY2(engine.check(0, &results, &error), qPrintable(error));
    QVERIFY(results[0].holds);
    ChapterPage page;
    QVERIFY2(engine.page(0, &page, &error), qPrintable(error));
    QCOMPARE(page.caption, QStringLiteral("Revenue €1.10"));
    QCOMPARE(page.kpis.size(), 1);
    QCOMPARE(page.kpis[0].value, QStringLiteral("€1.10"));
    QCOMPARE(page.kpis[0].direction, 1);
    QVERIFY2(page.kpis[0].change.startsWith(QStringLiteral("+€1.10")), qPrintable(page.kpis[0].change));
    // The throwing projection: a clear error naming the KPI, not a crash.
    QVERIFY(!engine.page(1, &page, &error));
    QVERIFY2(error.contains(QStringLiteral("KPI 'bad'")) && error.contains(QStringLiteral("boom")),
             qPrintable(error));
}

void TestStory::watchAnchor()
{
    writeFile(QStringLiteral("fails.js"), R"(fromAll().when({$init:function(){return {failed:0}},
        PaymentFailed:function(s,e){s.failed++}});)");
    Story s;
    QString error;
    QVERIFY2(
        parseStory(
            storyText(R"([{"watch":{"projection":"fails.js","predicate":"state.failed >= 2","context":1}},
             {"watch":{"projection":"fails.js","predicate":"state.failed >= 9"}}])"),
            m_dir.path(), &s, &error),
        qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    const ResolvedChapter* r = engine.chapter(0, &error);
    QVERIFY2(r, qPrintable(error));
    QCOMPARE(r->beats.size(), 3);
    QCOMPARE(r->beats[1].position, 5); // the second failure
    QVERIFY(!engine.chapter(1, &error));
    QVERIFY2(error.contains(QStringLiteral("never became true")), qPrintable(error));
}

void TestStory::pageModelNeverShowsHiddenOrRedacted()
{
    Story s;
    QString error;
    QVERIFY2(
        parseStory(
            storyText(
                R"([{"focus":{"correlation":"A"}}])",
                R"("glossary":{"fields":{"/email":{"redact":"mask"},"/card":{"redact":"drop"},"/total":{"label":"Total","format":"money:EUR"}},
                                     "hide":["/**/backoffSeconds","/lastError/message"],
                                     "events":{"OrderPlaced":{"say":"{/email} ordered {/total}","tone":"good"}}},)"),
            m_dir.path(), &s, &error),
        qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    ChapterPage page;
    QVERIFY2(engine.page(0, &page, &error, kNoLimit, 10), qPrintable(error));
    QString all = page.caption + page.title;
    for (const CardModel& c : page.cards) {
        all += c.sentence + c.because;
        for (const auto& f : c.fields)
            all += f.first + f.second;
    }
    for (const SequenceRow& r : page.sequence.rows)
        all += r.label;
    QVERIFY(!all.contains(QStringLiteral("anna")));
    QVERIFY(!all.contains(QStringLiteral("4111")));
    QVERIFY(!all.contains(QStringLiteral("secret")));
    QVERIFY(!all.contains(QStringLiteral("Backoff")));
    QVERIFY2(all.contains(QStringLiteral("xxxx@xxxxxxx.xxx ordered €1.10")), qPrintable(all));
    QCOMPARE(page.cards.size(), 7); // newest first
    QCOMPARE(page.cards[5].sentence, QStringLiteral("Payment requested"));
    QCOMPARE(page.cards[5].because, page.cards.last().sentence);
    QCOMPARE(page.cards.first().because, QStringLiteral("Payment captured"));
}

void TestStory::lintFindsMissesAndPersonalData()
{
    Story s;
    QString error;
    QVERIFY(parseStory(
        storyText(R"([{"id":"a","focus":{"correlation":"A"},"caption":"{first(Refund).time} {/nothing}"},
                                    {"id":"b","focus":{"correlation":"nobody"}}])"),
        m_dir.path(), &s, &error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    const QString all = engine.lint().join(u'\n');
    QVERIFY2(all.contains(QStringLiteral("{first(Refund).time} finds nothing")), qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("/email (OrderPlaced) looks like an e-mail address")),
             qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("/card (PaymentRequested) looks like a card number")),
             qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral("chapter 'b' (/chapters/1) has no beats")), qPrintable(all));
}

void TestStory::bundleIsRedactedBytes()
{
    Story s;
    QString error;
    QVERIFY(parseStory(
        storyText(
            R"([{"focus":{"correlation":"A"}}])",
            R"("glossary":{"fields":{"/email":{"redact":"hash"},"/card":{"redact":"mask"}},"hide":["/lastError/message"]},)"),
        m_dir.path(), &s, &error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    const QString out = m_dir.filePath(QStringLiteral("bundle.chronoscope"));
    BundleResult result;
    QVERIFY2(writeBundle(engine, QStringLiteral("postgres://user:pw@host/db?password=x"), QString(), out,
                         &result, &error),
             qPrintable(error));
    QCOMPARE(result.events, 7);
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QVERIFY(!bytes.contains("anna@example.com"));
    QVERIFY(!bytes.contains("4111 1111"));
    QVERIFY(!bytes.contains("secret"));
    QVERIFY(!bytes.contains(":pw@"));
    QVERIFY(bytes.contains("OrderPaid"));
    // A second bundle onto the same path is refused (the bundle is always a new file).
    QVERIFY(!writeBundle(engine, QStringLiteral("x"), QString(), out, &result, &error));
}

void TestStory::draftFromCorrelation()
{
    MemoryReader reader(shop());
    QByteArray text;
    QString error;
    QVERIFY2(draftStory(reader, QStringLiteral("shop.chronoscope"), QStringLiteral("A"), &text, &error),
             qPrintable(error));
    Story s;
    QVERIFY2(parseStory(text, m_dir.path(), &s, &error), qPrintable(error));
    // Order desk, then Payments (gap-free), then Order desk again: three chapters.
    QCOMPARE(s.chapters.size(), 3);
    StoryEngine engine(s, reader);
    for (int i = 0; i < s.chapters.size(); ++i) {
        QList<FactResult> results;
        QVERIFY2(engine.check(i, &results, &error), qPrintable(error));
        for (const FactResult& r : results)
            QVERIFY(r.holds);
    }
    QVERIFY(!draftStory(reader, QStringLiteral("x"), QStringLiteral("nobody"), &text, &error));
    QVERIFY(error.contains(QStringLiteral("nobody")));
}

void TestStory::candidateIds_data()
{
    QTest::addColumn<QByteArray>("metadata");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("compact") << QByteArray(R"({"correlationId":"c-1","causationId":"e"})") << QByteArray("c-1");
    QTest::newRow("spaces") << QByteArray(R"({ "correlationId" :  "c-1" })") << QByteArray("c-1");
    QTest::newRow("dollar key") << QByteArray(R"({"$correlationId":"c-2"})") << QByteArray("c-2");
    QTest::newRow("snake key") << QByteArray(R"({"correlation_id":"c-3"})") << QByteArray("c-3");
    QTest::newRow("ID key") << QByteArray(R"({"correlationID":"c-4"})") << QByteArray("c-4");
    QTest::newRow("none") << QByteArray(R"({"causationId":"e"})") << QByteArray();
    QTest::newRow("as a value only") << QByteArray(R"({"k":"correlationId"})") << QByteArray();
    QTest::newRow("number") << QByteArray(R"({"correlationId":42})") << QByteArray("42");
    QTest::newRow("escaped key") << QByteArray(R"({"correlation\u0049d":"c-5"})") << QByteArray("c-5");
    QTest::newRow("escaped value") << QByteArray(R"({"correlationId":"c\"6"})") << QByteArray("c\"6");
    QTest::newRow("two keys: the first name wins") << QByteArray(R"({"correlation_id":"x","correlationId":"y"})")
                                                   << QByteArray("y");
    QTest::newRow("not JSON") << QByteArray(R"({"correlationId":"c-7)") << QByteArray();
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("truncated key") << QByteArray(R"({"correlation)") << QByteArray();
}

void TestStory::candidateIds()
{
    QFETCH(QByteArray, metadata);
    QFETCH(QByteArray, expected);
    // What the index records must be what Event::correlationId() reads (or a superset, checked on lookup).
    QCOMPARE(CorrelationIndex::candidateId(metadata), expected);
    Event e;
    e.metadata = metadata;
    QCOMPARE(e.correlationId().toUtf8(), expected);
}

void TestStory::correlationIndexColdAndWarmAgree()
{
    const QString path = writeStore(QStringLiteral("index.chronoscope"));
    const QString cache = m_dir.filePath(QStringLiteral("cache-agree"));
    Story s;
    QString error;
    QVERIFY(parseStory(storyText(R"([{"focus":{"correlation":"A"}},{"focus":{"correlation":"B"}},)"
                                 R"({"focus":{"correlation":"42"}},{"focus":{"correlation":"nobody"}}])"),
                       m_dir.path(), &s, &error));
    auto reader = SqliteStoreReader::open(path, &error);
    QVERIFY2(reader, qPrintable(error));
    // The expected beats: every event whose correlationId() is the id, by reading them all.
    QStringList expected;
    for (const char* id : {"A", "B", "42"}) {
        QStringList positions;
        for (const Event& e : reader->readAll(EventQuery{}))
            if (e.correlationId() == QLatin1String(id)) positions << QString::number(e.position);
        expected << positions.join(u',');
    }
    QCOMPARE(expected.at(0), QStringLiteral("1,2,3,4,5,6,7,12,16"));
    CorrelationIndex::Source source;
    const QStringList cold = resolveAll(s, *reader, cache, &source);
    QCOMPARE(source, CorrelationIndex::Source::Built);
    QCOMPARE(cold.mid(0, 3), expected);
    QVERIFY2(cold.at(3).contains(QStringLiteral("no beats")), qPrintable(cold.at(3)));
    const QStringList warm = resolveAll(s, *reader, cache, &source);
    QCOMPARE(source, CorrelationIndex::Source::Loaded);
    QCOMPARE(warm, cold);
    // A store that is not a local file is indexed in memory: the same beats, nothing written.
    MemoryReader memory(reader->readAll(EventQuery{}));
    const QString memoryCache = m_dir.filePath(QStringLiteral("cache-memory"));
    QCOMPARE(resolveAll(s, memory, memoryCache, &source), cold);
    QCOMPARE(source, CorrelationIndex::Source::Built);
    QVERIFY(!QFileInfo::exists(memoryCache));
    // The store's file never changes.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray before = f.readAll();
    resolveAll(s, *reader, cache);
    f.seek(0);
    QCOMPARE(f.readAll(), before);
}

void TestStory::correlationIndexRebuildsForChangedStore()
{
    const QString path = writeStore(QStringLiteral("changing.chronoscope"));
    const QString cache = m_dir.filePath(QStringLiteral("cache-change"));
    Story s;
    QString error;
    QVERIFY(parseStory(storyText(R"([{"focus":{"correlation":"B"}}])"), m_dir.path(), &s, &error));
    CorrelationIndex::Source source;
    {
        auto reader = SqliteStoreReader::open(path, &error);
        QCOMPARE(resolveAll(s, *reader, cache, &source), QStringList{QStringLiteral("8,9,10,11,13")});
        QCOMPARE(source, CorrelationIndex::Source::Built);
    }
    // Events appended after the index was built: detected, rebuilt, found.
    {
        auto w = StoreWriter::openForAppend(path, &error);
        QVERIFY2(w, qPrintable(error));
        QVERIFY(w->append(ev("order-2", 2, "OrderShipped", kT0 + 9000000, "{}", "e99", "B"), &error));
        QVERIFY(w->finish(&error));
    }
    {
        auto reader = SqliteStoreReader::open(path, &error);
        QCOMPARE(resolveAll(s, *reader, cache, &source), QStringList{QStringLiteral("8,9,10,11,13,17")});
        QCOMPARE(source, CorrelationIndex::Source::Rebuilt);
        QCOMPARE(resolveAll(s, *reader, cache, &source), QStringList{QStringLiteral("8,9,10,11,13,17")});
        QCOMPARE(source, CorrelationIndex::Source::Loaded);
    }
    // A damaged index file (cut short, or garbage) is rebuilt, not trusted.
    const QStringList files = QDir(cache + QStringLiteral("/story")).entryList(QDir::Files);
    QCOMPARE(files.size(), 1);
    const QString index = cache + QStringLiteral("/story/") + files.first();
    for (const QByteArray& damage : {QByteArray("CHRCIDX1"), QByteArray(200, 'x')}) {
        QFile f(index);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(damage);
        f.close();
        auto reader = SqliteStoreReader::open(path, &error);
        QCOMPARE(resolveAll(s, *reader, cache, &source), QStringList{QStringLiteral("8,9,10,11,13,17")});
        QCOMPARE(source, CorrelationIndex::Source::Rebuilt);
    }
}

namespace {

/// Saves notes for a store identity in the sidecar the app writes (QStandardPaths test mode).
void saveNotes(const QString& identity, const QList<Annotation>& notes)
{
    AnnotationSet set = AnnotationSet::load(identity);
    for (const Annotation& n : set.notes())
        set.remove(n.id);
    for (const Annotation& n : notes)
        set.add(n);
    QString error;
    if (!set.save(&error)) qFatal("%s", qPrintable(error));
}

Annotation noteOn(const char* id, qint64 position, const char* eventId, TimeMs t)
{
    Annotation a;
    a.id = QLatin1String(id);
    a.text = QStringLiteral("pinned");
    a.position = position;
    a.eventId = QLatin1String(eventId);
    a.from = a.to = t;
    return a;
}

Annotation rangeNote(const char* id, TimeMs from, TimeMs to)
{
    Annotation a;
    a.id = QLatin1String(id);
    a.text = QStringLiteral("13:40 acmepay stops answering");
    a.from = from;
    a.to = to;
    return a;
}

} // namespace

void TestStory::annotationAnchors_data()
{
    QTest::addColumn<QByteArray>("chapters");
    QTest::addColumn<QString>("positions");
    QTest::newRow("range of a range note") << QByteArray(R"([{"range":{"annotation":"outage"}}])") << "3,4,5";
    QTest::newRow("range of a note on an event") << QByteArray(R"([{"range":{"annotation":"failed"}}])") << "3";
    QTest::newRow("range narrowed")
        << QByteArray(R"([{"range":{"annotation":"outage"},"streams":["order-*"]}, {"range":{"annotation":"wide"},"streams":["order-*"]}])")
        << "1,7,8";
    QTest::newRow("focus: the note's chain") << QByteArray(R"([{"focus":{"annotation":"failed"}}])")
                                             << "1,2,3,4,5,6,7";
    QTest::newRow("focus narrowed") << QByteArray(R"([{"focus":{"annotation":"paid"},"streams":["order-*"]}])")
                                    << "8,10";
}

void TestStory::annotationAnchors()
{
    QFETCH(QByteArray, chapters);
    QFETCH(QString, positions);
    const QString uri = QStringLiteral("memory://annotated-shop");
    saveNotes(AnnotationSet::storeIdentity(uri),
              {rangeNote("outage", kT0 + 11000, kT0 + 51000), rangeNote("wide", kT0, kT0 + 3600000),
               noteOn("failed", 3, "e3", kT0 + 11000), noteOn("paid", 10, "e10", kT0 + 3602000)});
    Story s;
    QString error;
    QVERIFY2(parseStory(storyText(chapters), m_dir.path(), &s, &error), qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    engine.setStoreUri(uri);
    engine.setCacheDir(m_dir.filePath(QStringLiteral("cache-notes")));
    const ResolvedChapter* r = engine.chapter(int(s.chapters.size()) - 1, &error);
    QVERIFY2(r, qPrintable(error));
    QStringList got;
    for (const Event& e : r->beats)
        got << QString::number(e.position);
    QCOMPARE(got.join(u','), positions);
}

void TestStory::annotationAnchorErrors_data()
{
    QTest::addColumn<QByteArray>("chapters");
    QTest::addColumn<QByteArray>("sidecar"); // "" : the notes below; else these bytes
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing note")
        << QByteArray(R"([{"id":"x","range":{"annotation":"n9"}}])") << QByteArray()
        << "chapter 'x' (/chapters/0): no note 'n9' among the 2 notes of memory://notes-errors";
    QTest::newRow("missing note, focus") << QByteArray(R"([{"focus":{"annotation":"gone"}}])") << QByteArray()
                                         << "no note 'gone' among the 2 notes";
    QTest::newRow("focus on a range note") << QByteArray(R"([{"focus":{"annotation":"outage"}}])")
                                           << QByteArray() << "note 'outage' marks a time range, not an event";
    QTest::newRow("note's event moved") << QByteArray(R"([{"focus":{"annotation":"moved"}}])") << QByteArray()
                                        << "note 'moved' is pinned to event e3 at position 4";
    QTest::newRow("no notes at all") << QByteArray(R"([{"range":{"annotation":"n1"}}])") << QByteArray("none")
                                     << "no note 'n1': the store memory://notes-errors has no notes";
    QTest::newRow("damaged sidecar") << QByteArray(R"([{"range":{"annotation":"n1"}}])")
                                     << QByteArray("{\"chronoscopeAnnotations\":1,\"notes\":[{")
                                     << "the notes of memory://notes-errors cannot be read";
    QTest::newRow("nothing in the note's range")
        << QByteArray(R"([{"range":{"annotation":"outage"},"streams":["nothing-*"]}])") << QByteArray()
        << "no beats: no event in the store matches its note 'outage'";
}

void TestStory::annotationAnchorErrors()
{
    QFETCH(QByteArray, chapters);
    QFETCH(QByteArray, sidecar);
    QFETCH(QString, expected);
    const QString uri = QStringLiteral("memory://notes-errors");
    const QString identity = AnnotationSet::storeIdentity(uri);
    if (sidecar.isEmpty()) {
        saveNotes(identity, {rangeNote("outage", kT0 + 11000, kT0 + 51000), noteOn("moved", 4, "e3", kT0)});
    } else if (sidecar == "none") {
        QFile::remove(AnnotationSet::sidecarPath(identity));
    } else {
        QFile f(AnnotationSet::sidecarPath(identity));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(sidecar);
    }
    Story s;
    QString error;
    QVERIFY2(parseStory(storyText(chapters), m_dir.path(), &s, &error), qPrintable(error));
    MemoryReader reader(shop());
    StoryEngine engine(s, reader);
    engine.setStoreUri(uri);
    QVERIFY(!engine.chapter(0, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    // check and render report the same error instead of crashing.
    QList<FactResult> results;
    QString checkError;
    QVERIFY(!engine.check(0, &results, &checkError));
    QCOMPARE(checkError, error);
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // QJSEngine (KPIs, watch) needs one
    QStandardPaths::setTestModeEnabled(true); // notes' sidecars go to the test locations
    TestStory t;
    return QTest::qExec(&t, argc, argv);
}

void TestStory::concurrentChecksAgree_data()
{
    QTest::addColumn<QString>("chapters");
    QTest::addColumn<QString>("error"); // expected in the failing chapter's error ("" for none)
    QTest::newRow("kpis and projections") << QStringLiteral(R"([
        {"id":"a","focus":{"correlation":"A"},"kpis":["rev"],"expect":[{"kpi":"rev","equals":1.1},
            {"projection":"count.js","pointer":"/n","atLeast":1},{"count":"PaymentFailed","equals":2}]},
        {"id":"b","focus":{"correlation":"B"},"expect":[{"kpi":"rev","atLeast":0},{"kpi":"whole","pointer":"/n","atLeast":1},
            {"projection":"count.js","pointer":"/types/PaymentCaptured","equals":2}]},
        {"id":"c","focus":{"correlation":"A"},"expect":[{"projection":"count.js","pointer":"/missing","equals":1}]}])")
                                          << QString();
    QTest::newRow("a throwing projection") << QStringLiteral(R"([
        {"id":"a","focus":{"correlation":"A"},"expect":[{"kpi":"rev","equals":1.1}]},
        {"id":"b","focus":{"correlation":"B"},"expect":[{"projection":"throws.js","pointer":"/n","equals":0}]}])")
                                           << QStringLiteral("boom");
    QTest::newRow("a missing projection file") << QStringLiteral(R"([
        {"id":"a","focus":{"correlation":"A"},"expect":[{"projection":"absent.js","pointer":"/n","equals":0}]}])")
                                               << QStringLiteral("absent.js");
}

// check() with the facts worked out ahead on threads of their own gives what the one-thread path gives:
// the same values, the same verdicts, the same errors.
void TestStory::concurrentChecksAgree()
{
    QFETCH(QString, chapters);
    QFETCH(QString, error);
    writeFile(QStringLiteral("revenue.js"), R"(fromAll().when({$init:function(){return {total:0}},
        PaymentCaptured:function(s,e){s.total=Math.round((s.total+e.data.captured)*100)/100}});)");
    writeFile(QStringLiteral("count.js"), R"(fromAll().when({$init:function(){return {n:0,types:{}}},
        $any:function(s,e){s.n++;s.types[e.eventType]=(s.types[e.eventType]||0)+1}});)");
    writeFile(QStringLiteral("throws.js"), R"(fromAll().when({$init:function(){return {n:0}},
        PaymentFailed:function(s,e){throw new Error('boom')}});)");
    Story s;
    QString parseError;
    QVERIFY2(parseStory(storyText(chapters.toUtf8(),
                                  R"("kpis":[{"id":"rev","projection":"revenue.js","pointer":"/total"},
                                             {"id":"whole","projection":"count.js","pointer":""}],)"),
                        m_dir.path(), &s, &parseError),
             qPrintable(parseError));
    auto run = [&](bool concurrent) {
        MemoryReader reader(shop());
        StoryEngine engine(s, reader);
        engine.setConcurrentChecks(concurrent);
        QStringList lines;
        for (int i = 0; i < s.chapters.size(); ++i) {
            QList<FactResult> results;
            QString why;
            if (!engine.check(i, &results, &why)) {
                lines << QStringLiteral("error: ") + why;
                continue;
            }
            for (const FactResult& r : results)
                lines << QStringLiteral("%1 %2 %3")
                             .arg(r.fact->where, r.holds ? QStringLiteral("holds") : QStringLiteral("fails"),
                                  r.actual.isUndefined()
                                      ? QStringLiteral("undefined")
                                      : QString::fromUtf8(QJsonDocument(QJsonArray{r.actual})
                                                              .toJson(QJsonDocument::Compact)));
        }
        return lines;
    };
    const QStringList sequential = run(false), concurrent = run(true);
    QCOMPARE(concurrent, sequential);
    const QString all = sequential.join(QLatin1Char('\n'));
    QVERIFY2(!sequential.isEmpty(), qPrintable(all));
    if (error.isEmpty()) {
        QVERIFY2(!all.contains(QStringLiteral("error: ")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("holds [1.1]")), qPrintable(all));
    } else {
        QVERIFY2(all.contains(QStringLiteral("error: ")) && all.contains(error), qPrintable(all));
    }
}

#include "tst_story.moc"
