// Findings (core/findings): each rule on a small real store written in the test, a clean store with no
// finding, the demo store's first finding, the incremental API, bad input, and the CLI command.
#include "demo/demogenerator.h"
#include "findings/findings.h"
#include "sources/sourceregistry.h"
#include "store/storewriter.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace chronoscope;

namespace {

constexpr TimeMs kStart = 1772438400000LL; // 2026-03-02T08:00:00Z
constexpr TimeMs kMin = 60 * 1000;

/// What a row changes in the clean shop log.
enum class Twist {
    None,
    Burst,
    Silence,
    Retry,
    Bounce,
    VersionGap,
    VersionReorder,
    DuplicateId,
    DanglingCause,
    TimeBackwards,
    HashChain,
    SlowChain,
    ToneBurst
};

QString idOf(qint64 n)
{
    return QStringLiteral("ev-%1").arg(n, 8, 10, QLatin1Char('0'));
}

/// A day of orders, one every 2 minutes: OrderPlaced, PaymentRequested, PaymentAuthorized, OrderPaid, one
/// correlation chain each (correlation = the first event's id, causation = the event before), plus a
/// PaymentFailed / OrderCancelled every 90th order, so failures have a usual rate.
QList<Event> shopLog(Twist twist, qint64* marked = nullptr)
{
    QList<Event> out;
    auto add = [&](const QString& stream, qint64 version, const QString& type, TimeMs t, const QString& corr,
                   const QString& cause, const QByteArray& data = "{}", const QByteArray& extraMeta = {}) {
        Event e;
        e.position = out.size() + 1;
        e.stream = stream;
        e.version = version;
        e.type = type;
        e.time = t;
        e.id = idOf(e.position);
        e.data = data;
        QByteArray meta = "{\"correlationId\":\"" + (corr.isEmpty() ? e.id : corr).toLatin1() + '"';
        if (!cause.isEmpty()) meta += ",\"causationId\":\"" + cause.toLatin1() + '"';
        meta += extraMeta + '}';
        e.metadata = meta;
        out << e;
        return e.id;
    };
    const int orders = 720;
    for (int i = 0; i < orders; ++i) {
        const TimeMs t = kStart + i * 2 * kMin;
        const QString order = QStringLiteral("order-%1").arg(i),
                      payment = QStringLiteral("payment-%1").arg(i);
        const QString c = add(order, 0, QStringLiteral("OrderPlaced"), t, {}, {});
        QString prev = add(payment, 0, QStringLiteral("PaymentRequested"), t + 1000, c, c);
        const bool outage = twist == Twist::Burst && i >= 300 && i < 315;  // 30 min
        const bool quiet = twist == Twist::Silence && i >= 300 && i < 330; // 1 h
        if (outage) {
            for (int k = 0; k < 4; ++k) {
                const QString id = add(payment, 1, QStringLiteral("PaymentFailed"), t + 2000 + k, c, prev,
                                       "{\"status\":\"failed\"}");
                if (marked && *marked == 0) *marked = out.size();
                prev = id;
                // versions must stay distinct per stream: failures go to their own streams
                out.last().stream = QStringLiteral("payment-%1-attempt-%2").arg(i).arg(k);
                out.last().version = 0;
            }
            continue;
        }
        if (i % 90 == 45) {
            prev = add(payment, 1, QStringLiteral("PaymentFailed"), t + 2000, c, prev,
                       "{\"status\":\"failed\"}");
            add(order, 1, QStringLiteral("OrderCancelled"), t + 3000, c, prev, "{\"status\":\"cancelled\"}");
            continue;
        }
        if (twist == Twist::ToneBurst && i >= 300 && i < 315) {
            for (int k = 0; k < 4; ++k) {
                add(QStringLiteral("card-%1-%2").arg(i).arg(k), 0, QStringLiteral("CardBounced"),
                    t + 2000 + k, c, prev);
                if (marked && *marked == 0) *marked = out.size();
            }
        }
        if (quiet) {
            add(order, 1, QStringLiteral("OrderOnHold"), t + 3000, c, prev);
            continue;
        }
        if (twist == Twist::Retry && i == 200) {
            for (int k = 0; k < 4; ++k) {
                prev = add(payment, 1 + k, QStringLiteral("PaymentRetried"), t + 1500 + k * 1000, c, prev);
                if (marked && *marked == 0) *marked = out.size();
            }
            prev = add(payment, 5, QStringLiteral("PaymentAuthorized"), t + 6000, c, prev);
            add(order, 1, QStringLiteral("OrderPaid"), t + 7000, c, prev);
            continue;
        }
        if (twist == Twist::Bounce && i == 200) {
            qint64 v = 1;
            for (int k = 0; k < 4; ++k) {
                prev = add(payment, v++, QStringLiteral("PaymentHeld"), t + 1500 + k * 1000, c, prev);
                if (marked && *marked == 0) *marked = out.size();
                prev = add(payment, v++, QStringLiteral("PaymentReleased"), t + 1800 + k * 1000, c, prev);
            }
            prev = add(payment, v++, QStringLiteral("PaymentAuthorized"), t + 9000, c, prev);
            add(order, 1, QStringLiteral("OrderPaid"), t + 9500, c, prev);
            continue;
        }
        qint64 authVersion = 1;
        TimeMs authTime = t + 1500;
        QByteArray authMeta;
        if (twist == Twist::VersionGap && i == 200) {
            authVersion = 3;
        } else if (twist == Twist::TimeBackwards && i == 200) {
            authTime = t - 5 * kMin;
        }
        prev = add(payment, authVersion, QStringLiteral("PaymentAuthorized"), authTime, c, prev,
                   "{\"status\":\"authorized\"}", authMeta);
        if ((twist == Twist::VersionGap || twist == Twist::TimeBackwards) && i == 200 && marked)
            *marked = out.size();
        if (twist == Twist::Silence && i == 299 && marked) *marked = out.size();
        QString cause = prev;
        if (twist == Twist::DanglingCause && i == 200) cause = QStringLiteral("no-such-event");
        if (twist == Twist::DuplicateId && i == 200) {
            add(order, 1, QStringLiteral("OrderPaid"), t + 2000, c, cause);
            out.last().id = idOf(5); // the id of an earlier event
            if (marked) *marked = out.size();
            continue;
        }
        TimeMs paidTime = t + 2000;
        if (twist == Twist::SlowChain && i == 200) paidTime = t + 6 * 60 * kMin; // six hours, not two seconds
        add(order, 1, QStringLiteral("OrderPaid"), paidTime, c, cause);
        if ((twist == Twist::DanglingCause || twist == Twist::SlowChain) && i == 200 && marked)
            *marked = out.size();
        if (twist == Twist::VersionReorder && i == 200) {
            // order-200 gets version 5, then version 2: the version goes down within the stream.
            out.last().version = 5;
            add(order, 2, QStringLiteral("OrderShipped"), t + 3000, c, out.last().id);
            if (marked) *marked = out.size();
        }
    }
    // Events must be in time order within positions for a store; the slow chain's late event is moved to
    // its place in time, renumbering positions.
    std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
        if (a.time == kNoTime || b.time == kNoTime) return false;
        return a.time < b.time;
    });
    if (twist == Twist::TimeBackwards) // keep file order for this one: the point is a time that goes back
        std::stable_sort(out.begin(), out.end(),
                         [](const Event& a, const Event& b) { return a.position < b.position; });
    if (twist == Twist::HashChain && marked) *marked = 7;
    for (qsizetype i = 0; i < out.size(); ++i) {
        if (marked && out[i].position == *marked) {
            *marked = i + 1;
            marked = nullptr; // mapped once
        }
        out[i].position = i + 1;
    }
    if (twist == Twist::HashChain) {
        // An EventSourcingDB capture keeps each event's hash and its predecessor's; position 7 names the
        // wrong one.
        for (qsizetype i = 0; i < 12; ++i) {
            QByteArray& m = out[i].metadata;
            m.chop(1);
            m += ",\"hash\":\"h" + QByteArray::number(i + 1) + "\",\"predecessorhash\":\"" +
                 (i + 1 == 7 ? QByteArray("bogus") : "h" + QByteArray::number(i)) + "\"}";
        }
    }
    return out;
}

QString writeStore(const QString& path, const QList<Event>& events)
{
    QString err;
    auto w = StoreWriter::create(path, StoreWriter::Options{}, &err, true);
    if (!w) return err;
    for (const Event& e : events)
        if (!w->append(e, &err)) return err;
    if (!w->finish(&err)) return err;
    return {};
}

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                       : QByteArray();
}

QStringList rulesOf(const QList<Finding>& found)
{
    QStringList r;
    for (const Finding& f : found)
        r << f.rule;
    return r;
}

} // namespace

Q_DECLARE_METATYPE(Twist)

class TestFindings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rules_data()
    {
        QTest::addColumn<Twist>("twist");
        QTest::addColumn<QString>("rule");            // the finding the twist must produce ("" for none)
        QTest::addColumn<QString>("explains");        // text its explanation must hold
        QTest::addColumn<QStringList>("alsoAllowed"); // other rules the twist may cause as well
        QTest::addColumn<bool>("withTones");

        QTest::newRow("clean store: nothing")
            << Twist::None << QString() << QString() << QStringList() << false;
        QTest::newRow("burst of PaymentFailed") << Twist::Burst << "burst"
                                                << "60 PaymentFailed in" << QStringList{"silence"} << false;
        QTest::newRow("silence of PaymentAuthorized")
            << Twist::Silence << "silence"
            << "PaymentAuthorized for 1 h 02 min" << QStringList() << false;
        QTest::newRow("retry in one chain") << Twist::Retry << "retry"
                                            << "PaymentRetried repeated" << QStringList() << false;
        QTest::newRow("stream bouncing between two states")
            << Twist::Bounce << "bounce"
            << "alternates PaymentHeld and PaymentReleased 8 times" << QStringList() << false;
        QTest::newRow("version gap") << Twist::VersionGap << "version-gap"
                                     << "version 3 follows 0" << QStringList() << false;
        QTest::newRow("version going down") << Twist::VersionReorder << "version-duplicate"
                                            << "version 2 after 5" << QStringList{"version-gap"} << false;
        QTest::newRow("duplicate event id") << Twist::DuplicateId << "duplicate-id"
                                            << "the same id as position 5" << QStringList() << false;
        QTest::newRow("causation id pointing at no event")
            << Twist::DanglingCause << "dangling-causation"
            << "1 causation id(s) point at no event" << QStringList() << false;
        QTest::newRow("time going backwards in a stream") << Twist::TimeBackwards << "time-backwards"
                                                          << "5 min earlier" << QStringList() << false;
        QTest::newRow("broken hash chain") << Twist::HashChain << "hash-chain"
                                           << "predecessorhash does not match" << QStringList() << false;
        QTest::newRow("slow chain") << Twist::SlowChain << "slow-chain"
                                    << "1 of 720 chains starting with OrderPlaced" << QStringList() << false;
        QTest::newRow("glossary tone bad: burst") << Twist::ToneBurst << "burst"
                                                  << "60 CardBounced in" << QStringList() << true;
        QTest::newRow("no tone: CardBounced is not a failure")
            << Twist::ToneBurst << QString() << QString() << QStringList() << false;
    }

    void rules()
    {
        QFETCH(Twist, twist);
        QFETCH(QString, rule);
        QFETCH(QString, explains);
        QFETCH(QStringList, alsoAllowed);
        QFETCH(bool, withTones);

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("shop.chronoscope"));
        qint64 marked = 0;
        const QList<Event> events = shopLog(twist, &marked);
        const QString err = writeStore(path, events);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QByteArray before = fileHash(path);

        QString error;
        auto reader = openSource(path, OpenOptions{}, &error);
        QVERIFY2(reader, qPrintable(error));
        FindingsOptions options;
        if (withTones) options.tones.insert(QStringLiteral("CardBounced"), QStringLiteral("bad"));
        QList<Finding> found;
        QVERIFY2(computeFindings(*reader, options, &found, {}, {}, &error), qPrintable(error));
        reader.reset();
        QCOMPARE(fileHash(path), before); // the store is only read

        QStringList explained;
        for (const Finding& f : found)
            explained << f.rule + QStringLiteral(": ") + f.explanation;
        const QString all = explained.join(QLatin1Char('\n'));
        if (rule.isEmpty()) {
            QVERIFY2(found.isEmpty(), qPrintable(all));
            return;
        }
        const Finding* hit = nullptr;
        for (const Finding& f : found)
            if (f.rule == rule && !hit) hit = &f;
        QVERIFY2(hit, qPrintable(all));
        QVERIFY2(hit->explanation.contains(explains), qPrintable(hit->explanation));
        QVERIFY2(marked > 0, "the twist marked the event it changed");
        // The event the twist changed is part of the finding (its first event, or among its events).
        QVERIFY2(hit->firstPosition == marked || hit->positions.contains(marked),
                 qPrintable(QStringLiteral("marked %1, finding %2..%3 %4")
                                .arg(marked)
                                .arg(hit->firstPosition)
                                .arg(hit->lastPosition)
                                .arg(all)));
        QVERIFY(hit->score > 0 && hit->score <= 100);
        QVERIFY(!hit->streams.isEmpty());
        for (const QString& r : rulesOf(found))
            QVERIFY2(r == rule || alsoAllowed.contains(r), qPrintable(all));
    }

    void demoStoreOpensWithTheOutageFirst()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("demo.chronoscope"));
        QString error;
        const DemoOptions demo; // the bundled store's options
        QVERIFY2(generateDemoStore(path, demo, {}, {}, &error), qPrintable(error));
        auto reader = openSource(path, OpenOptions{}, &error);
        QVERIFY2(reader, qPrintable(error));
        QList<Finding> found;
        QVERIFY2(computeFindings(*reader, FindingsOptions{}, &found, {}, {}, &error), qPrintable(error));
        QVERIFY(!found.isEmpty());
        const Finding& first = found.first();
        const DemoIncident incident = demoIncident(demo);
        QCOMPARE(first.rule, QStringLiteral("burst"));
        QCOMPARE(first.subjects, QStringList{QStringLiteral("PaymentFailed")});
        QVERIFY2(first.from >= incident.begin && first.to <= incident.end, qPrintable(first.explanation));
        QVERIFY2(first.to - first.from >= 20 * kMin, qPrintable(first.explanation));
        // Every event listed is a PaymentFailed inside the range.
        for (qint64 p : first.positions) {
            const auto e = reader->eventAt(p);
            QVERIFY(e);
            QCOMPARE(e->type, QStringLiteral("PaymentFailed"));
            QVERIFY(e->time >= first.from && e->time <= first.to);
        }
        QCOMPARE(first.eventCount, qint64(first.positions.size()));
        // The count in the explanation is the count in the store.
        const qint64 n = reader->count(EventQuery{
            {}, {QStringLiteral("PaymentFailed")}, 0, kNoLimit, 0, kNoLimit, first.from, first.to});
        QVERIFY2(first.explanation.startsWith(QString::number(n) + QStringLiteral(" PaymentFailed in ")),
                 qPrintable(first.explanation));
    }

    void incrementalEqualsOnePass_data()
    {
        QTest::addColumn<int>("split");
        QTest::newRow("at the start") << 1;
        QTest::newRow("in the burst") << 1250;
        QTest::newRow("near the end") << 2800;
    }

    void incrementalEqualsOnePass()
    {
        QFETCH(int, split);
        const QList<Event> events = shopLog(Twist::Burst);
        FindingsAnalyzer whole;
        for (const Event& e : events)
            whole.add(e);
        FindingsAnalyzer live;
        for (int i = 0; i < split; ++i)
            live.add(events[i]);
        const QList<Finding> early = live.findings(); // asked in between, as a live tail does
        for (qsizetype i = split; i < events.size(); ++i)
            live.add(events[i]);
        QCOMPARE(live.eventCount(), qint64(events.size()));
        QCOMPARE(live.lastPosition(), events.last().position);
        const QList<Finding> a = whole.findings(), b = live.findings();
        QCOMPARE(a.size(), b.size());
        for (qsizetype i = 0; i < a.size(); ++i)
            QCOMPARE(findingToJson(b[i], int(i + 1)), findingToJson(a[i], int(i + 1)));
        QVERIFY(!rulesOf(a).isEmpty());
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("what");
        QTest::newRow("empty store") << "empty";
        QTest::newRow("one event") << "one";
        QTest::newRow("events with no time") << "notime";
        QTest::newRow("huge fields") << "huge";
        QTest::newRow("metadata that is not an object") << "oddmeta";
    }

    void badInput()
    {
        QFETCH(QString, what);
        QList<Event> events;
        QString expectRule;
        auto ev = [&](const QString& stream, qint64 version, TimeMs t) {
            Event e;
            e.position = events.size() + 1;
            e.stream = stream;
            e.version = version;
            e.type = QStringLiteral("Thing");
            e.time = t;
            e.id = idOf(e.position);
            e.data = "{}";
            e.metadata = "{}";
            events << e;
        };
        if (what == QLatin1String("one")) {
            ev(QStringLiteral("a-1"), 0, kStart);
        } else if (what == QLatin1String("notime")) {
            // No time anywhere (cqrs-es stores none): the time rules are silent, the others still work.
            for (int i = 0; i < 50; ++i)
                ev(QStringLiteral("a-%1").arg(i % 5), i / 5 + (i == 47 ? 3 : 0), kNoTime);
            events[20].type = QStringLiteral("ThingFailed");
            expectRule = QStringLiteral("version-gap");
        } else if (what == QLatin1String("huge")) {
            for (int i = 0; i < 30; ++i)
                ev(QStringLiteral("a-%1").arg(i), 0, kStart + i * kMin);
            events[3].data = "{\"status\":\"" + QByteArray(8 * 1024 * 1024, 'x') + "\"}";
            events[4].metadata = "{\"correlationId\":\"" + QByteArray(2 * 1024 * 1024, 'c') +
                                 "\",\"causationId\":\"" + QByteArray(1024 * 1024, 'd') + "\"}";
            events[5].type = QString(100000, u'F');
            events[6].stream = QStringLiteral("s-") + QString(100000, u'x');
        } else if (what == QLatin1String("oddmeta")) {
            for (int i = 0; i < 30; ++i)
                ev(QStringLiteral("a-%1").arg(i), 0, kStart + i * kMin);
            events[1].metadata = "[1,2,3]";
            events[2].metadata = "{\"correlationId\":42,\"causationId\":null}";
            events[3].metadata = "{\"correlationId\":\"with \\\"escape\\\"\"}";
            events[4].metadata = "{\"correlationId\":\"with \\\"escape\\\"\"}";
        }
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.chronoscope"));
        const QString err = writeStore(path, events);
        QVERIFY2(err.isEmpty(), qPrintable(err));
        QString error;
        auto reader = openSource(path, OpenOptions{}, &error);
        QVERIFY2(reader, qPrintable(error));
        QList<Finding> found;
        QVERIFY2(computeFindings(*reader, FindingsOptions{}, &found, {}, {}, &error), qPrintable(error));
        if (expectRule.isEmpty()) {
            QVERIFY2(found.isEmpty(), qPrintable(found.isEmpty() ? QString() : found.first().explanation));
        } else {
            QCOMPARE(rulesOf(found), QStringList{expectRule});
            QCOMPARE(found.first().from, kNoTime);
            QVERIFY(findingToJson(found.first(), 1).contains("\"from\":null"));
        }
    }

    void cancelStops()
    {
        const QList<Event> events = shopLog(Twist::None);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.chronoscope"));
        QVERIFY(writeStore(path, events).isEmpty());
        QString error;
        auto reader = openSource(path, OpenOptions{}, &error);
        CancelToken cancel;
        cancel.cancel();
        QList<Finding> found;
        QVERIFY(!computeFindings(*reader, FindingsOptions{}, &found, {}, cancel, &error));
        QVERIFY2(error.contains(QStringLiteral("cancelled")), qPrintable(error));
    }

    // The two-thread computeFindings (reader + analysis) gives exactly the sequential findings: shop logs
    // with every twist (two batches) and a demo store of many batches.
    void pipelinedEqualsSequential_data()
    {
        QTest::addColumn<int>("twist"); // -1: a 20,000-event demo store (10 batches)
        QTest::newRow("demo store") << -1;
        for (Twist t : {Twist::None, Twist::Burst, Twist::Retry, Twist::Bounce, Twist::VersionGap,
                        Twist::DuplicateId, Twist::DanglingCause, Twist::HashChain, Twist::SlowChain})
            QTest::newRow(qPrintable(QStringLiteral("shop twist %1").arg(int(t)))) << int(t);
    }

    void pipelinedEqualsSequential()
    {
        QFETCH(int, twist);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.chronoscope"));
        QString error;
        if (twist < 0)
            QVERIFY2(generateDemoStore(path, DemoOptions{20000, 11}, {}, {}, &error), qPrintable(error));
        else
            QVERIFY(writeStore(path, shopLog(Twist(twist))).isEmpty());
        auto reader = openSource(path, OpenOptions{}, &error);
        QVERIFY2(reader, qPrintable(error));
        QList<Finding> seq, pipe;
        qint64 lastDone = -1;
        const ProgressFn progress = [&](qint64 done, qint64 total, const QString&) {
            QVERIFY(done >= 0 && done <= total);
            lastDone = done;
        };
        QVERIFY2(computeFindings(*reader, FindingsOptions{}, &seq, {}, {}, &error, FindingsMode::Sequential),
                 qPrintable(error));
        QVERIFY2(
            computeFindings(*reader, FindingsOptions{}, &pipe, progress, {}, &error, FindingsMode::Pipelined),
            qPrintable(error));
        QCOMPARE(lastDone, reader->info().events); // the last report counts every analysed event
        QCOMPARE(pipe.size(), seq.size());
        QVERIFY(twist == int(Twist::None) || !seq.isEmpty());
        for (qsizetype i = 0; i < seq.size(); ++i)
            QCOMPARE(findingToJson(pipe[i], int(i + 1)), findingToJson(seq[i], int(i + 1)));
    }

    // Cancelled mid-way (from the progress report, after 16,384 of 20,000 events), both paths stop with
    // the same error and leave the list alone; the reader then gives the same findings on both paths.
    void cancelMidway_data()
    {
        QTest::addColumn<bool>("pipelined");
        QTest::newRow("sequential") << false;
        QTest::newRow("pipelined") << true;
    }

    void cancelMidway()
    {
        QFETCH(bool, pipelined);
        const FindingsMode mode = pipelined ? FindingsMode::Pipelined : FindingsMode::Sequential;
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("d.chronoscope"));
        QString error;
        QVERIFY2(generateDemoStore(path, DemoOptions{20000, 5}, {}, {}, &error), qPrintable(error));
        auto reader = openSource(path, OpenOptions{}, &error);
        QVERIFY2(reader, qPrintable(error));
        CancelToken cancel;
        int reports = 0;
        const ProgressFn progress = [&](qint64, qint64, const QString&) {
            ++reports;
            cancel.cancel();
        };
        QList<Finding> found{Finding{}};
        error.clear();
        QVERIFY(!computeFindings(*reader, FindingsOptions{}, &found, progress, cancel, &error, mode));
        QCOMPARE(error, QStringLiteral("finding what is unusual was cancelled"));
        QCOMPARE(reports, 1);
        QCOMPARE(found.size(), 1); // untouched
        QList<Finding> again, reference;
        QVERIFY2(computeFindings(*reader, FindingsOptions{}, &again, {}, {}, &error, mode),
                 qPrintable(error));
        QVERIFY2(computeFindings(*reader, FindingsOptions{}, &reference, {}, {}, &error,
                                 pipelined ? FindingsMode::Sequential : FindingsMode::Pipelined),
                 qPrintable(error));
        QCOMPARE(again.size(), reference.size());
        QVERIFY(!again.isEmpty());
        for (qsizetype i = 0; i < again.size(); ++i)
            QCOMPARE(findingToJson(again[i], int(i + 1)), findingToJson(reference[i], int(i + 1)));
    }

    void storyTones_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("message");
        QTest::newRow("tones")
            << QByteArray(
                   R"({"chronostory":1,"glossary":{"events":{"CardBounced":{"say":"x","tone":"bad"},"OrderPlaced":{"tone":"good"}}}})")
            << true << QString();
        QTest::newRow("no glossary") << QByteArray(R"({"chronostory":1})") << true << QString();
        QTest::newRow("truncated") << QByteArray(R"({"chronostory":1,"glossary":{)") << false
                                   << QStringLiteral("is not a JSON object");
        QTest::newRow("an array") << QByteArray("[1,2]") << false << QStringLiteral("is not a JSON object");
        QTest::newRow("missing file") << QByteArray() << false << QStringLiteral("cannot read the story");
    }

    void storyTones()
    {
        QFETCH(QByteArray, content);
        QFETCH(bool, ok);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.chronostory.json"));
        if (!content.isEmpty()) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(content);
        }
        QHash<QString, QString> tones;
        QString error;
        QCOMPARE(loadStoryTones(path, &tones, &error), ok);
        if (!ok) {
            QVERIFY2(error.contains(message), qPrintable(error));
            QVERIFY(tones.isEmpty());
        } else if (content.contains("CardBounced")) {
            QCOMPARE(tones.value(QStringLiteral("CardBounced")), QStringLiteral("bad"));
            QCOMPARE(tones.value(QStringLiteral("OrderPlaced")), QStringLiteral("good"));
        }
    }

    void formatDurations_data()
    {
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QString>("text");
        QTest::newRow("ms") << qint64(850) << "850 ms";
        QTest::newRow("s") << qint64(42000) << "42 s";
        QTest::newRow("min") << qint64(45 * kMin) << "45 min";
        QTest::newRow("h min") << qint64(185 * kMin) << "3 h 05 min";
        QTest::newRow("h") << qint64(120 * kMin) << "2 h";
        QTest::newRow("d h") << qint64((48 + 4) * 60 * kMin) << "2 d 4 h";
        QTest::newRow("negative") << qint64(-5) << "0 ms";
    }

    void formatDurations()
    {
        QFETCH(qint64, ms);
        QFETCH(QString, text);
        QCOMPARE(formatDuration(ms), text);
    }

    void cli_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<int>("lines");
        QTest::addColumn<QString>("stderrHas");
        QTest::newRow("all") << QStringList{} << 0 << -1 << QString();
        QTest::newRow("limit 1") << QStringList{"--limit", "1"} << 0 << 1 << QString();
        QTest::newRow("min-score 101")
            << QStringList{"--min-score", "101"} << 1 << 0 << "--min-score takes a number";
        QTest::newRow("min-score 99") << QStringList{"--min-score", "99"} << 0 << 0 << QString();
        QTest::newRow("limit x") << QStringList{"--limit", "x"} << 1 << 0 << "is not a whole number";
        QTest::newRow("missing story")
            << QStringList{"--story", "/nonexistent/s.json"} << 2 << 0 << "cannot read the story";
        QTest::newRow("not a store") << QStringList{"--not-a-store"} << 2 << 0 << "chronoscope-cli findings:";
    }

    void cli()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(int, lines);
        QFETCH(QString, stderrHas);
        const QString cli = QStringLiteral(CHRONOSCOPE_BINARY_DIR "/app/chronoscope-cli");
        if (!QFile::exists(cli)) QSKIP("chronoscope-cli is not built");
        QTemporaryDir dir;
        QString path = dir.filePath(QStringLiteral("shop.chronoscope"));
        QVERIFY(writeStore(path, shopLog(Twist::Burst)).isEmpty());
        if (args == QStringList{QStringLiteral("--not-a-store")}) {
            path = dir.filePath(QStringLiteral("plain.txt"));
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("not events\n");
            args.clear();
        }
        QProcess p;
        p.start(cli, QStringList{QStringLiteral("findings"), path} + args);
        QVERIFY(p.waitForFinished(60000));
        const QByteArray out = p.readAllStandardOutput();
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), exitCode);
        QVERIFY2(err.contains(stderrHas), qPrintable(err));
        const QList<QByteArray> rows = out.split('\n').mid(0, out.count('\n'));
        if (lines >= 0) QCOMPARE(rows.size(), lines);
        if (exitCode != 0) {
            QVERIFY(out.isEmpty());
            return;
        }
        int rank = 0;
        double lastScore = 101;
        for (const QByteArray& row : rows) {
            QJsonParseError pe;
            const QJsonObject o = QJsonDocument::fromJson(row, &pe).object();
            QVERIFY2(pe.error == QJsonParseError::NoError, row.constData());
            QCOMPARE(o.value(QStringLiteral("rank")).toInt(), ++rank);
            QVERIFY(o.value(QStringLiteral("score")).toDouble() <= lastScore);
            lastScore = o.value(QStringLiteral("score")).toDouble();
            for (const char* key :
                 {"kind", "rule", "title", "explanation", "from", "to", "streams", "positions"})
                QVERIFY2(o.contains(QLatin1String(key)), key);
        }
        if (!rows.isEmpty())
            QCOMPARE(QJsonDocument::fromJson(rows.first()).object().value(QStringLiteral("rule")).toString(),
                     QStringLiteral("burst"));
    }
};

QTEST_GUILESS_MAIN(TestFindings)
#include "tst_findings.moc"
