// The shared read behind `story check` (story/sharedscan.h, docs/stories.md "Checking a story"): the
// projection threads that share one read of the store give exactly the facts of the one-by-one path, with
// several KPIs, a KPI whose projection throws, a projection of named streams (which reads on its own), a
// pass stopped part way and resumed, a consumer that leaves early, and a scan whose read fails.
#include "projection/jsprojection.h"
#include "projection/projectionreplay.h"
#include "store/memoryreader.h"
#include "story/sharedscan.h"
#include "story/storyengine.h"

#include "diff/jsondiff.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <future>

using namespace chronoscope;
using namespace chronoscope::story;

namespace {

constexpr TimeMs kT0 = 1772438400000; // 2026-03-02T08:00:00Z

/// `orders` orders over 50 streams each: OrderPlaced, PaymentCaptured, and a RefundIssued for every
/// seventh, so a projection of every type gets several times the scan's batch and queue bound.
QList<Event> payments(int orders)
{
    QList<Event> events;
    QHash<QString, qint64> versions;
    auto add = [&](const QString& stream, const char* type, const QByteArray& data) {
        Event e;
        e.stream = stream;
        e.version = versions[stream]++;
        e.type = QLatin1String(type);
        e.time = kT0 + qint64(events.size()) * 1000;
        e.id = QStringLiteral("e%1").arg(events.size() + 1);
        e.data = data;
        e.metadata = "{}";
        events << e;
    };
    for (int i = 0; i < orders; ++i) {
        const QString n = QString::number(i % 50);
        const QByteArray amount = QByteArray::number(10 + i % 17) + "." + QByteArray::number(i % 10) + "5";
        add(QStringLiteral("order-") + n, "OrderPlaced", R"({"total":)" + amount + "}");
        add(QStringLiteral("payment-") + n, "PaymentCaptured", R"({"captured":)" + amount + "}");
        if (i % 7 == 3) add(QStringLiteral("payment-") + n, "RefundIssued", R"({"refunded":)" + amount + "}");
    }
    for (qsizetype i = 0; i < events.size(); ++i)
        events[i].position = i + 1;
    return events;
}

/// Serves `inner` but fails every read once it has delivered events past `failAfter`.
class FailingReader final : public EventReader
{
public:
    FailingReader(std::unique_ptr<EventReader> inner, qint64 failAfter)
        : m_inner(std::move(inner)), m_failAfter(failAfter)
    {}
    StoreInfo info() override { return m_inner->info(); }
    QList<StreamInfo> streams() override { return m_inner->streams(); }
    bool read(const EventQuery& q, const EventCallback& sink, QString* error) override
    {
        bool failed = false;
        const bool ok = m_inner->read(
            q,
            [&](const Event& e) {
                if (e.position > m_failAfter) {
                    failed = true;
                    return false;
                }
                return sink(e);
            },
            error);
        if (failed && error) *error = QStringLiteral("the disk went away");
        return ok && !failed;
    }
    std::unique_ptr<EventReader> clone(QString* error) override
    {
        auto inner = m_inner->clone(error);
        return inner ? std::make_unique<FailingReader>(std::move(inner), m_failAfter) : nullptr;
    }

private:
    std::unique_ptr<EventReader> m_inner;
    qint64 m_failAfter;
};

} // namespace

class TestStorySharedRead : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void checksAgree_data();
    void checksAgree();
    void scanConsumers_data();
    void scanConsumers();
    void servesOnlyPlainForwardReads();

private:
    void writeFile(const QString& name, const QByteArray& text);
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestStorySharedRead::writeFile(const QString& name, const QByteArray& text)
{
    QFile f(m_dir.filePath(name));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(text);
}

void TestStorySharedRead::initTestCase()
{
    QVERIFY(m_dir.isValid());
    writeFile(QStringLiteral("revenue.js"),
              R"(fromCategory('payment').when({$init:function(){return {total:0,n:0}},
        PaymentCaptured:function(s,e){s.total=Math.round((s.total+e.data.captured)*100)/100;s.n++}});)");
    writeFile(QStringLiteral("refunds.js"),
              R"(fromCategory('payment').when({$init:function(){return {n:0,sum:0}},
        RefundIssued:function(s,e){s.n++;s.sum=Math.round((s.sum+e.data.refunded)*100)/100}});)");
    writeFile(QStringLiteral("count.js"), R"(fromAll().when({$init:function(){return {n:0,types:{}}},
        $any:function(s,e){s.n++;s.types[e.eventType]=(s.types[e.eventType]||0)+1}});)");
    writeFile(QStringLiteral("two.js"),
              R"(fromStreams(['order-1','order-2']).when({$init:function(){return {n:0}},
        OrderPlaced:function(s,e){s.n++}});)");
    // Throws at the 2,500th capture (position 5,357 of payments(4000)): values before it are fine.
    writeFile(QStringLiteral("throws.js"), R"(fromAll().when({$init:function(){return {n:0}},
        PaymentCaptured:function(s,e){if(++s.n===2500)throw new Error('boom at capture 2500')}});)");
}

void TestStorySharedRead::checksAgree_data()
{
    QTest::addColumn<QByteArray>("chapters");
    QTest::addColumn<QString>("error"); // in a chapter's error ("" for none)
    // Position ranges out of order, so some positions are behind where a pass stopped (a checkpoint is
    // restored) and others ahead of it (the shared read goes on).
    const QByteArray four = R"(
        {"id":"late","range":{"fromPosition":8000,"toPosition":8400},"expect":[{"kpi":"rev","atLeast":1},
            {"kpi":"refunds","atLeast":1},{"kpi":"all","pointer":"/types/RefundIssued","atLeast":1},{"kpi":"two","equals":158}]},
        {"id":"early","range":{"fromPosition":10,"toPosition":40},"expect":[{"kpi":"rev","equals":324.2},
            {"kpi":"all","pointer":"/n","equals":40},{"kpi":"two","atMost":2}]},
        {"id":"middle","range":{"fromPosition":4400,"toPosition":4500},"expect":[{"kpi":"refunds","atLeast":200},
            {"projection":"count.js","pointer":"/types/PaymentCaptured","atLeast":1000},{"kpi":"rev","equals":38814}]},
        {"id":"end","range":{"fromPosition":8500},"expect":[{"kpi":"all","pointer":"/n","equals":8571},{"kpi":"rev","atLeast":0}]})";
    QTest::newRow("four projections, one of named streams") << QByteArray("[" + four + "]") << QString();
    QTest::newRow("a KPI whose projection throws") << QByteArray("[" + four + R"(,
        {"id":"before-boom","range":{"fromPosition":100,"toPosition":200},"expect":[{"kpi":"boom","equals":93}]},
        {"id":"after-boom","range":{"fromPosition":6000,"toPosition":6100},"expect":[{"kpi":"boom","atLeast":0}]}])")
                                                   << QStringLiteral("boom at capture 2500");
    QTest::newRow("only the throwing one fails")
        << QByteArray(
               R"([{"id":"after-boom","range":{"fromPosition":7000},"expect":[{"kpi":"boom","atLeast":0}]},
        {"id":"fine","range":{"fromPosition":7000},"expect":[{"kpi":"rev","atLeast":1},{"kpi":"refunds","atLeast":1}]}])")
        << QStringLiteral("boom at capture 2500");
}

// The facts of a story with several KPIs are the same one by one on the calling thread, on threads that
// each read the store, and on threads that share one read: values, verdicts and errors.
void TestStorySharedRead::checksAgree()
{
    QFETCH(QByteArray, chapters);
    QFETCH(QString, error);
    const QByteArray kpis = R"("kpis":[{"id":"rev","projection":"revenue.js","pointer":"/total"},
        {"id":"refunds","projection":"refunds.js","pointer":"/n"},{"id":"all","projection":"count.js","pointer":""},
        {"id":"two","projection":"two.js","pointer":"/n"},{"id":"boom","projection":"throws.js","pointer":"/n"}],)";
    Story s;
    QString parseError;
    QVERIFY2(parseStory(R"({"chronostory":1,"title":"T",)" + kpis + R"("chapters":)" + chapters + "}",
                        m_dir.path(), &s, &parseError),
             qPrintable(parseError));
    const QList<Event> events = payments(4000);
    QCOMPARE(events.size(), 8571);
    enum Mode { OneByOne, OwnReads, Shared };
    auto run = [&](Mode mode, QStringList* threads) {
        MemoryReader reader(events);
        StoryEngine engine(s, reader);
        engine.setConcurrentChecks(mode != OneByOne);
        engine.setSharedRead(mode == Shared);
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
        for (const auto& [name, ms] : engine.factThreadCpuMs())
            *threads << name;
        return lines;
    };
    QStringList threads;
    const QStringList oneByOne = run(OneByOne, &threads);
    QVERIFY(threads.isEmpty());
    const QStringList ownReads = run(OwnReads, &threads);
    QVERIFY(!threads.isEmpty() && !threads.contains(QStringLiteral("shared read")));
    threads.clear();
    const QStringList shared = run(Shared, &threads);
    QVERIFY2(threads.contains(QStringLiteral("shared read")), qPrintable(threads.join(u", ")));
    QCOMPARE(shared, oneByOne);
    QCOMPARE(ownReads, oneByOne);

    const QString all = oneByOne.join(QLatin1Char('\n'));
    QVERIFY2(!all.contains(QStringLiteral(" fails ")), qPrintable(all)); // the facts were written to hold
    if (error.isEmpty()) {
        QVERIFY2(!all.contains(QStringLiteral("error: ")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("/chapters/1/expect/0 holds [324.2]")), qPrintable(all));
    } else {
        QVERIFY2(all.contains(QStringLiteral("error: ")) && all.contains(error), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("holds")), qPrintable(all)); // the other chapters still check
    }
}

void TestStorySharedRead::scanConsumers_data()
{
    QTest::addColumn<qint64>("scanFailsAfter"); // the scan's reader fails past this position (0: never)
    QTest::newRow("the scan reads the whole store") << qint64(0);
    QTest::newRow("the scan's read fails part way") << qint64(3000);
    QTest::newRow("the scan fails at once") << qint64(1);
}

// Consumers of one SharedScan, each on its thread: a replay stopped part way (cancel) that then asks
// for states behind and ahead of where it stopped; a replay of every type that runs to the end; one that
// leaves after a few events; one that declines. Each state equals a replay on a reader of its own, and
// nobody waits for a consumer that left.
void TestStorySharedRead::scanConsumers()
{
    QFETCH(qint64, scanFailsAfter);
    const QList<Event> events = payments(4000);
    MemoryReader store(events);
    auto referenceAt = [&](const QString& file, const QList<qint64>& positions) {
        ProjectionError e;
        auto js = JsProjection::fromFile(path(file), ProjectionLimits{}, &e);
        MemoryReader reader(events);
        ProjectionReplay replay(js.get(), &reader);
        QList<QJsonValue> out;
        for (const qint64 p : positions) {
            ProjectionSnapshot snap;
            out << (replay.stateAt(p, &snap, &e) ? snap.view() : QJsonValue(e.message));
        }
        return out;
    };
    const QList<qint64> positions = {7000, 1200, 3500, 8571, 6999, 20};
    const QList<QJsonValue> revenueRef = referenceAt(QStringLiteral("revenue.js"), positions);
    const QList<QJsonValue> countRef = referenceAt(QStringLiteral("count.js"), {8571, 100});
    QCOMPARE(revenueRef.at(3).toObject().value(QStringLiteral("n")).toInt(), 4000);

    QString why;
    std::unique_ptr<EventReader> scanReader = store.clone(&why);
    if (scanFailsAfter > 0)
        scanReader = std::make_unique<FailingReader>(std::move(scanReader), scanFailsAfter);
    SharedScan scan(std::move(scanReader), 4);

    auto consume = [&](const QString& file, const QList<qint64>& asked, qint64 stopAt) {
        ProjectionError e;
        auto js = JsProjection::fromFile(path(file), ProjectionLimits{}, &e);
        const SelectionPlan plan = SelectionPlan::forDefinition(js->definition());
        QString err;
        auto reader = scan.attach(plan.types, store.clone(&err));
        ProjectionReplay replay(js.get(), reader.get());
        CancelToken stop;
        const bool passed = replay.seek(kNoLimit, &e, stop, [&](qint64 position, qint64, const QString&) {
            if (position >= stopAt) stop.cancel();
        });
        QList<QJsonValue> out;
        out << QJsonValue(passed ? QStringLiteral("to the end") : e.message);
        for (const qint64 p : asked) {
            ProjectionSnapshot snap;
            out << (replay.stateAt(p, &snap, &e) ? snap.view() : QJsonValue(e.message));
        }
        return out;
    };
    auto stopped = std::async(std::launch::async,
                              [&] { return consume(QStringLiteral("revenue.js"), positions, 4000); });
    auto whole = std::async(std::launch::async, [&] {
        return consume(QStringLiteral("count.js"), {8571, 100}, kNoLimit);
    });
    auto leaves = std::async(std::launch::async, [&] {
        QString err;
        auto reader = scan.attach({QStringLiteral("OrderPlaced")}, store.clone(&err));
        EventQuery q;
        q.types = {QStringLiteral("OrderPlaced")};
        int seen = 0;
        reader->read(
            q, [&](const Event&) { return ++seen < 100; }, &err);
        return seen; // the reader is destroyed here: the scan stops feeding it
    });
    auto declines = std::async(std::launch::async, [&] { scan.decline(); });
    for (auto* f : {&stopped, &whole}) // a hang here is a consumer waiting for nothing
        QVERIFY(f->wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    QVERIFY(leaves.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    declines.wait();

    const QList<QJsonValue> got = stopped.get();
    QCOMPARE(got.first().toString(), QStringLiteral("cancelled"));
    QCOMPARE(got.mid(1), revenueRef);
    const QList<QJsonValue> all = whole.get();
    QCOMPARE(all.first().toString(), QStringLiteral("to the end"));
    QCOMPARE(all.mid(1), countRef);
    QCOMPARE(leaves.get(), 100);
    scan.finish();
    if (scanFailsAfter == 0) QCOMPARE(scan.eventsRead() > 0, true);
    QVERIFY(scan.eventsRead() <= events.size());
}

// Reads that are not the plain forward read of the consumer's types (a stream, a time range, backwards,
// a limit, other types, a position already passed) come from its own reader, unchanged.
void TestStorySharedRead::servesOnlyPlainForwardReads()
{
    const QList<Event> events = payments(300);
    MemoryReader store(events);
    QString why;
    SharedScan scan(store.clone(&why), 1);
    auto reader = scan.attach({QStringLiteral("PaymentCaptured")}, store.clone(&why));
    auto positions = [&](const EventQuery& q) {
        QList<qint64> out;
        reader->read(
            q,
            [&](const Event& e) {
                out << e.position;
                return true;
            },
            &why);
        return out;
    };
    auto expected = [&](const EventQuery& q) {
        QList<qint64> out;
        for (const Event& e : store.readAll(q))
            out << e.position;
        return out;
    };
    EventQuery forward;
    forward.types = {QStringLiteral("PaymentCaptured")};
    forward.fromPosition = 1;
    forward.toPosition = 300;
    QCOMPARE(positions(forward), expected(forward)); // from the scan
    QList<EventQuery> others;
    EventQuery q = forward;
    q.stream = QStringLiteral("payment-3");
    others << q;
    q = forward;
    q.since = kT0 + 100000;
    others << q;
    q = forward;
    q.backward = true;
    others << q;
    q = forward;
    q.limit = 5;
    others << q;
    q = forward;
    q.types = {QStringLiteral("OrderPlaced")};
    others << q;
    q = forward;
    q.fromPosition = 50; // already passed
    others << q;
    for (const EventQuery& o : std::as_const(others))
        QCOMPARE(positions(o), expected(o));
    forward.fromPosition = 301; // the rest, from the scan again
    forward.toPosition = kNoLimit;
    QCOMPARE(positions(forward), expected(forward));
    EventQuery none = forward;
    none.fromPosition = 1000000; // past the end: nothing, from either
    QCOMPARE(positions(none), QList<qint64>());
}

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv); // QJSEngine needs one
    TestStorySharedRead t;
    return QTest::qExec(&t, argc, argv);
}

#include "tst_story_sharedread.moc"
