// The demo generator: determinism, exact sizes, the incident, causal links and gapless versions.
#include "demo/demogenerator.h"
#include "json/mergepatch.h"
#include "store/sqlitestore.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace chronoscope;

namespace {

QList<Event> generate(const DemoOptions& o)
{
    QList<Event> out;
    QString err;
    const bool ok = generateDemoEvents(o, [&](const Event& e) { out.append(e); return true; }, {}, {}, &err);
    if (!ok)
        qWarning() << "generator failed:" << err;
    return out;
}

QJsonObject object(const QByteArray& json) { return QJsonDocument::fromJson(json).object(); }

} // namespace

class TstDemo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        DemoOptions o; // the default demo, shared by the content checks
        m_default = generate(o);
        QCOMPARE(m_default.size(), o.events);
    }

    void deterministic_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::addColumn<qint64>("events");
        QTest::newRow("seed 42") << 42u << qint64(4000);
        QTest::newRow("seed 7") << 7u << qint64(4000);
        QTest::newRow("seed 0") << 0u << qint64(500);
    }
    void deterministic()
    {
        QFETCH(quint32, seed);
        QFETCH(qint64, events);
        DemoOptions o;
        o.seed = seed;
        o.events = events;
        const QList<Event> a = generate(o), b = generate(o);
        QCOMPARE(a.size(), b.size());
        for (qsizetype i = 0; i < a.size(); ++i)
            QCOMPARE(a[i].toCanonicalJson(), b[i].toCanonicalJson());
        // Another seed gives another history.
        o.seed = seed + 1;
        const QList<Event> c = generate(o);
        qsizetype same = 0;
        for (qsizetype i = 0; i < std::min(a.size(), c.size()); ++i)
            same += a[i].toCanonicalJson() == c[i].toCanonicalJson();
        QVERIFY2(same < a.size() / 2, qPrintable(QStringLiteral("%1 of %2 events equal").arg(same).arg(a.size())));
    }

    void sizes_data()
    {
        QTest::addColumn<qint64>("events");
        QTest::addColumn<int>("days");
        QTest::newRow("none") << qint64(0) << 3;
        QTest::newRow("one") << qint64(1) << 3;
        QTest::newRow("small") << qint64(137) << 3;
        QTest::newRow("one day") << qint64(3000) << 1;
        QTest::newRow("a week") << qint64(20000) << 7;
    }
    void sizes()
    {
        QFETCH(qint64, events);
        QFETCH(int, days);
        DemoOptions o;
        o.events = events;
        o.days = days;
        const QList<Event> all = generate(o);
        QCOMPARE(all.size(), events);
        TimeMs prev = o.start;
        qint64 bytes = 0;
        for (qsizetype i = 0; i < all.size(); ++i) {
            const Event& e = all[i];
            QCOMPARE(e.position, i + 1);
            QVERIFY2(e.time >= prev, qPrintable(QStringLiteral("time goes back at position %1").arg(e.position)));
            prev = e.time;
            QVERIFY(!e.id.isEmpty());
            QCOMPARE(parseJsonValue(e.data).isObject(), true);
            bytes += e.toCanonicalJson().size() + 1;
        }
        if (events >= 3000) {
            // Spread over the requested days, not bunched at the start nor running far past the end.
            QVERIFY(all.last().time > o.start + (days - 1) * 86400000LL);
            QVERIFY(all.last().time < o.start + (days + 1) * 86400000LL);
            const double avg = double(bytes) / double(events);
            QVERIFY2(avg > 250 && avg < 450, qPrintable(QString::number(avg)));
        }
    }

    void daysArePickedFromTheEvents_data()
    {
        QTest::addColumn<qint64>("events");
        QTest::addColumn<int>("days");     ///< given (0: picked)
        QTest::addColumn<int>("expected");
        QTest::newRow("default demo") << qint64(30000) << 0 << 3;
        QTest::newRow("10M, as before") << qint64(10000000) << 0 << 3;
        QTest::newRow("10.5M, the last of 3 days") << qint64(10500000) << 0 << 3;
        QTest::newRow("one more") << qint64(10500001) << 0 << 4;
        QTest::newRow("50M") << qint64(50000000) << 0 << 15;
        QTest::newRow("given days are kept") << qint64(50000000) << 3 << 3;
        QTest::newRow("100 billion stops at ten years") << qint64(100000000000) << 0 << 3650;
    }
    void daysArePickedFromTheEvents()
    {
        QFETCH(qint64, events);
        QFETCH(int, days);
        QFETCH(int, expected);
        DemoOptions o;
        o.events = events;
        o.days = days;
        QCOMPARE(demoDays(o), expected);
    }

    void inFlightOrdersDoNotGrowWithTheEvents()
    {
        // The generator holds only the orders in flight, and picked days keep the events a day under the cap:
        // four times the events (at a small cap, so the test stays small) hold about as many orders at once.
        // Given days do not (the same events in fewer days are busier), which is what the cap is for.
        auto peak = [](qint64 events, int days) {
            DemoOptions o;
            o.events = events;
            o.days = days;
            o.maxEventsPerDay = 20000;
            DemoStats stats;
            QString error;
            const bool ok = generateDemoEvents(o, [](const Event&) { return true; }, {}, {}, &error, &stats);
            return ok ? stats.peakFlows : qint64(-1);
        };
        const qint64 small = peak(60000, 0), large = peak(240000, 0), crowded = peak(240000, 3);
        QVERIFY(small > 0 && large > 0 && crowded > 0);
        QVERIFY2(large < small * 5 / 4,
                 qPrintable(QStringLiteral("%1 flows at 60k events, %2 at 240k").arg(small).arg(large)));
        QVERIFY2(crowded > large * 3,
                 qPrintable(QStringLiteral("%1 flows at 240k events over 3 days, %2 over 12").arg(crowded).arg(large)));
    }

    void customersStopAtTheirCap()
    {
        // Above the cap a bigger demo has more returning customers, not more customers.
        auto customers = [](qint64 cap) {
            DemoOptions o;
            o.events = 60000;
            o.maxCustomers = cap;
            QSet<QString> names;
            QString error;
            generateDemoEvents(o, [&](const Event& e) {
                if (e.stream.startsWith(QLatin1String("customer-")))
                    names.insert(e.stream);
                return true;
            }, {}, {}, &error);
            return names.size();
        };
        const qsizetype free = customers(1000000), capped = customers(150);
        QVERIFY2(free > 600, qPrintable(QString::number(free)));
        QVERIFY2(capped > 100 && capped <= 150, qPrintable(QString::number(capped)));
    }

    void stopsWhenAsked()
    {
        DemoOptions o;
        o.events = 5000;
        qint64 seen = 0;
        QString err;
        QVERIFY(!generateDemoEvents(o, [&](const Event&) { return ++seen < 100; }, {}, {}, &err));
        QCOMPARE(seen, 100);
        QVERIFY(!err.isEmpty());

        CancelToken cancel;
        cancel.cancel();
        seen = 0;
        o.events = 200000;
        QVERIFY(!generateDemoEvents(o, [&](const Event&) { ++seen; return true; }, {}, cancel, &err));
        QVERIFY(seen < o.events);
        QVERIFY(err.contains(QLatin1String("cancel")));

        o.events = -1;
        QVERIFY(!generateDemoEvents(o, [&](const Event&) { return true; }, {}, {}, &err));
    }

    void progressReported()
    {
        DemoOptions o;
        o.events = 70000;
        qint64 last = -1, calls = 0;
        generateDemoEvents(o, [](const Event&) { return true; }, [&](qint64 done, qint64 total, const QString&) {
            QCOMPARE(total, o.events);
            QVERIFY(done >= last);
            last = done;
            ++calls;
        });
        QVERIFY(calls >= 2);
        QCOMPARE(last, o.events);
    }

    void versionsGaplessPerStream()
    {
        QHash<QString, qint64> next;
        for (const Event& e : m_default) {
            const qint64 expected = next.value(e.stream, 0);
            QVERIFY2(e.version == expected, qPrintable(QStringLiteral("%1 version %2, expected %3")
                                                            .arg(e.stream).arg(e.version).arg(expected)));
            next[e.stream] = expected + 1;
        }
        QSet<QString> categories;
        qint64 longest = 0;
        for (auto it = next.begin(); it != next.end(); ++it) {
            categories.insert(Event::categoryOf(it.key()));
            if (it.key().startsWith(QLatin1String("inventory-")))
                longest = std::max(longest, it.value());
        }
        QCOMPARE(categories, (QSet<QString>{"order", "payment", "shipment", "inventory", "customer"}));
        QVERIFY2(longest > 300, qPrintable(QString::number(longest))); // long streams, where checkpoints matter
    }

    void causalLinksResolve()
    {
        QHash<QString, qint64> positionOfId;
        for (const Event& e : m_default) {
            QVERIFY2(!positionOfId.contains(e.id), qPrintable(e.id));
            positionOfId.insert(e.id, e.position);
        }
        qint64 withCause = 0, crossStream = 0;
        QHash<qint64, const Event*> byPos;
        for (const Event& e : m_default)
            byPos.insert(e.position, &e);
        for (const Event& e : m_default) {
            const QString corr = e.correlationId();
            QVERIFY2(positionOfId.contains(corr), qPrintable(QString::number(e.position)));
            QVERIFY(positionOfId.value(corr) <= e.position);
            // Correlation roots are the orders' OrderPlaced or the opening stock counts.
            const QString rootType = byPos.value(positionOfId.value(corr))->type;
            QVERIFY2(rootType == QLatin1String("OrderPlaced") || rootType == QLatin1String("StockReplenished"),
                     qPrintable(rootType));
            const QString cause = e.causationId();
            if (cause.isEmpty()) {
                QVERIFY2(e.type == QLatin1String("OrderPlaced") || e.type == QLatin1String("StockReplenished"),
                         qPrintable(e.type));
                continue;
            }
            ++withCause;
            QVERIFY2(positionOfId.contains(cause), qPrintable(cause));
            const Event* c = byPos.value(positionOfId.value(cause));
            QVERIFY(c->position < e.position);
            QVERIFY(c->time <= e.time);
            crossStream += c->stream != e.stream;
        }
        QVERIFY(withCause > m_default.size() * 9 / 10);
        QVERIFY(crossStream > m_default.size() / 4);
    }

    void incidentIsThere()
    {
        const DemoIncident inc = demoIncident(DemoOptions());
        QCOMPARE(formatTime(inc.begin), QStringLiteral("2026-03-03T13:40:00.000Z"));
        QCOMPARE(formatTime(inc.end), QStringLiteral("2026-03-03T14:25:00.000Z"));

        qint64 timeoutsIn = 0, timeoutsOut = 0, retries = 0, cancelled = 0, released = 0, refunds = 0, eventsIn = 0;
        qint64 finalTimeouts = 0;
        for (const Event& e : m_default) {
            const bool in = e.time >= inc.begin && e.time < inc.end + 10 * 60000;
            eventsIn += e.time >= inc.begin && e.time < inc.end;
            const QJsonObject d = object(e.data);
            if (e.type == QLatin1String("PaymentFailed") &&
                d.value(QLatin1String("lastError")).toObject().value(QLatin1String("code")) ==
                    QLatin1String("PROVIDER_TIMEOUT")) {
                (in ? timeoutsIn : timeoutsOut)++;
                finalTimeouts += d.value(QLatin1String("final")).toBool();
                QVERIFY(d.value(QLatin1String("attempts")).toInt() >= 1);
                QVERIFY(d.value(QLatin1String("attempts")).toInt() <= 4);
            }
            if (e.type == QLatin1String("PaymentRetried") && in)
                ++retries;
            if (e.type == QLatin1String("OrderCancelled") && in &&
                d.value(QLatin1String("cancelReason")) == QLatin1String("payment-failed"))
                ++cancelled;
            if (e.type == QLatin1String("StockReleased") && in)
                ++released;
            if (e.type == QLatin1String("RefundIssued")) {
                QVERIFY(e.time >= inc.end); // the late settlements come after the provider is back
                ++refunds;
            }
        }
        QVERIFY(eventsIn > 100);
        QVERIFY2(timeoutsIn > 20 && timeoutsIn > 10 * timeoutsOut,
                 qPrintable(QStringLiteral("%1 in, %2 out").arg(timeoutsIn).arg(timeoutsOut)));
        QVERIFY(retries > 10);
        QVERIFY(finalTimeouts > 5);
        QVERIFY(cancelled >= finalTimeouts);
        QVERIFY(released >= cancelled);
        QVERIFY(refunds >= 1);
    }

    void statesAreMeaningful()
    {
        // Fold every order and payment stream with the default projection; the states read like a shop.
        QHash<QString, QJsonValue> states;
        for (const Event& e : m_default) {
            if (!e.stream.startsWith(QLatin1String("order-")) && !e.stream.startsWith(QLatin1String("payment-")))
                continue;
            QJsonValue& s = states[e.stream];
            if (s.isUndefined())
                s = QJsonObject();
            applyMergePatch(s, parseJsonValue(e.data));
        }
        const QSet<QString> orderStatuses{"placed", "confirmed", "paid", "completed", "cancelled"};
        const QSet<QString> paymentStatuses{"requested", "retrying", "failed", "authorized", "captured", "refunded"};
        QSet<QString> seenOrder, seenPayment;
        for (auto it = states.begin(); it != states.end(); ++it) {
            const QJsonObject o = it.value().toObject();
            const QString status = o.value(QLatin1String("status")).toString();
            if (it.key().startsWith(QLatin1String("order-"))) {
                QVERIFY2(orderStatuses.contains(status), qPrintable(it.key() + u' ' + status));
                seenOrder.insert(status);
                const QJsonArray items = o.value(QLatin1String("items")).toArray();
                double sum = 0;
                QSet<QString> ids;
                for (const QJsonValue& item : items) {
                    const QString id = item.toObject().value(QLatin1String("id")).toString();
                    QVERIFY2(!ids.contains(id), qPrintable(it.key() + u' ' + id)); // ids identify the items
                    ids.insert(id);
                    QVERIFY(item.toObject().value(QLatin1String("id")).toString().startsWith(QLatin1String("SKU-")));
                    // Prices keep their text ("157.90" is a kept number): read them as numbers.
                    sum += jsonNumberToDouble(item[QLatin1String("qty")]) * jsonNumberToDouble(item[QLatin1String("unitPrice")]);
                }
                QVERIFY(qAbs(sum - jsonNumberToDouble(o.value(QLatin1String("total")))) < 0.005);
            } else {
                QVERIFY2(paymentStatuses.contains(status), qPrintable(it.key() + u' ' + status));
                seenPayment.insert(status);
                if (status == QLatin1String("authorized") || status == QLatin1String("captured"))
                    QVERIFY(!o.contains(QLatin1String("lastError"))); // a retried payment's error is cleared
            }
        }
        // Confirmed and placed last seconds to minutes, so only the settled statuses are sure to be there at the end.
        QVERIFY(seenOrder.contains(QStringLiteral("completed")));
        QVERIFY(seenOrder.contains(QStringLiteral("paid")));
        QVERIFY(seenOrder.contains(QStringLiteral("cancelled")));
        QVERIFY(seenPayment.contains(QStringLiteral("refunded")));
        QVERIFY(seenPayment.contains(QStringLiteral("captured")));
    }

    void storeHoldsTheSameEvents()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("demo.chronoscope"));
        DemoOptions o;
        o.events = 3000;
        o.seed = 11;
        QString err;
        QVERIFY2(generateDemoStore(path, o, {}, {}, &err), qPrintable(err));
        auto reader = SqliteStoreReader::open(path, &err);
        QVERIFY2(reader, qPrintable(err));
        const QList<Event> stored = reader->readAll(EventQuery());
        const QList<Event> expected = generate(o);
        QCOMPARE(stored.size(), expected.size());
        for (qsizetype i = 0; i < stored.size(); ++i)
            QCOMPARE(QJsonDocument::fromJson(stored[i].toCanonicalJson()),
                     QJsonDocument::fromJson(expected[i].toCanonicalJson()));
        QCOMPARE(reader->meta().value(QStringLiteral("demo_seed")), QStringLiteral("11"));

        // An existing file is refused without overwrite, and left as it was.
        QVERIFY(!generateDemoStore(path, o, {}, {}, &err));
        QVERIFY(!err.isEmpty());
        QVERIFY(generateDemoStore(path, o, {}, {}, &err, true));

        // Cancelled: no file, not even a partial one.
        CancelToken cancel;
        cancel.cancel();
        const QString other = dir.filePath(QStringLiteral("cancelled.chronoscope"));
        o.events = 100000;
        QVERIFY(!generateDemoStore(other, o, {}, cancel, &err));
        QVERIFY(!QFile::exists(other));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("demo.chronoscope")});
    }

private:
    QList<Event> m_default;
};

QTEST_GUILESS_MAIN(TstDemo)
#include "tst_demo.moc"
