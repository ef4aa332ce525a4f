// TimeMapping: time <-> pixel maths, zoom around a point, pan, fit, tick steps and labels.
#include "timemapping.h"

#include <QTest>

using namespace chronoscope;

class TstViewsTimeMapping : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<double>("start");
        QTest::addColumn<double>("end");
        QTest::addColumn<double>("left");
        QTest::addColumn<double>("width");
        QTest::addColumn<double>("t");
        QTest::addColumn<double>("x");
        QTest::newRow("origin") << 0.0 << 1000.0 << 0.0 << 100.0 << 0.0 << 0.0;
        QTest::newRow("middle") << 0.0 << 1000.0 << 0.0 << 100.0 << 500.0 << 50.0;
        QTest::newRow("offset plot") << 0.0 << 1000.0 << 200.0 << 100.0 << 1000.0 << 300.0;
        QTest::newRow("epoch ms") << 1767607200000.0 << 1767607260000.0 << 10.0 << 600.0 << 1767607230000.0 << 310.0;
        QTest::newRow("left of view") << 100.0 << 200.0 << 0.0 << 100.0 << 50.0 << -50.0;
    }
    void roundTrip()
    {
        QFETCH(double, start);
        QFETCH(double, end);
        QFETCH(double, left);
        QFETCH(double, width);
        QFETCH(double, t);
        QFETCH(double, x);
        TimeMapping m{start, end, left, width};
        QCOMPARE(m.xAt(t), x);
        QCOMPARE(m.timeAt(x), t);
    }

    void zoomKeepsAnchor_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<double>("factor");
        QTest::newRow("in at left") << 0.0 << 0.5;
        QTest::newRow("in at middle") << 300.0 << 0.1;
        QTest::newRow("out at right") << 600.0 << 3.0;
        QTest::newRow("in off-centre") << 123.0 << 0.8;
    }
    void zoomKeepsAnchor()
    {
        QFETCH(double, x);
        QFETCH(double, factor);
        TimeMapping m{1'000'000, 2'000'000, 0, 600};
        const double before = m.timeAt(x);
        m.zoomAround(x, factor);
        QVERIFY(qAbs(m.timeAt(x) - before) < 1e-6);
        QVERIFY(qAbs(m.span() - 1'000'000 * factor) < 1e-6);
    }

    void zoomClamps()
    {
        TimeMapping m{0, 1000, 0, 100};
        m.zoomAround(50, 1e-9);
        QCOMPARE(m.span(), TimeMapping::kMinSpan);
        QCOMPARE(m.timeAt(50), 500.0);
        m.zoomAround(50, 1e9, 5000);
        QCOMPARE(m.span(), 5000.0);
        // A zero or negative factor is ignored rather than inverting the axis.
        const TimeMapping before = m;
        m.zoomAround(50, 0);
        m.zoomAround(50, -2);
        QCOMPARE(m.start, before.start);
        QCOMPARE(m.end, before.end);
    }

    void pan()
    {
        TimeMapping m{0, 1000, 0, 100};
        m.panPixels(10); // drag right: earlier times come into view
        QCOMPARE(m.start, -100.0);
        QCOMPARE(m.end, 900.0);
        m.panPixels(-20);
        QCOMPARE(m.start, 100.0);
    }

    void fit()
    {
        TimeMapping m{0, 1, 0, 500};
        m.fit(1000, 2000, 0.1);
        QCOMPARE(m.start, 900.0);
        QCOMPARE(m.end, 2100.0);
        m.fit(5000, 5000); // a single instant gets the minimum span around it
        QCOMPARE(m.span(), TimeMapping::kMinSpan * 1.04);
        QVERIFY(m.start < 5000 && m.end > 5000);
        m.fit(2000, 1000, 0); // reversed bounds
        QCOMPARE(m.start, 1000.0);
        QCOMPARE(m.end, 2000.0);
    }

    void tickSteps_data()
    {
        QTest::addColumn<double>("span");
        QTest::addColumn<double>("step");
        // 1000 px wide, labels >= 100 px apart: the step is the first nice value >= span/10.
        QTest::newRow("50 ms") << 50.0 << 5.0;
        QTest::newRow("1 s") << 1000.0 << 100.0;
        QTest::newRow("10 s") << 10'000.0 << 1000.0;
        QTest::newRow("3 min") << 180'000.0 << 30'000.0;
        QTest::newRow("2 h") << 7'200'000.0 << 900'000.0;
        QTest::newRow("3 days") << 3 * 86'400'000.0 << 12 * 3'600'000.0;
        QTest::newRow("60 days") << 60 * 86'400'000.0 << 10 * 86'400'000.0;
    }
    void tickSteps()
    {
        QFETCH(double, span);
        QFETCH(double, step);
        TimeMapping m{1767607200000.0, 1767607200000.0 + span, 0, 1000};
        QCOMPARE(m.tickStep(100), step);
        const auto ticks = m.ticks(100);
        QVERIFY(!ticks.isEmpty());
        for (int i = 1; i < ticks.size(); ++i) {
            QCOMPARE(ticks[i].t - ticks[i - 1].t, step);
            QVERIFY(m.xAt(ticks[i].t) - m.xAt(ticks[i - 1].t) >= 100 - 1e-9);
        }
        for (const auto& t : ticks)
            QVERIFY(t.t >= m.start && t.t <= m.end);
    }

    void labels_data()
    {
        QTest::addColumn<double>("t");
        QTest::addColumn<double>("step");
        QTest::addColumn<QString>("label");
        const double t0 = 1767607200000.0; // 2026-01-05 10:00:00 UTC
        QTest::newRow("millis") << t0 + 250 << 50.0 << "10:00:00.250";
        QTest::newRow("seconds") << t0 + 5000 << 1000.0 << "10:00:05";
        QTest::newRow("minutes") << t0 + 60000 << 60000.0 << "10:01";
        QTest::newRow("midnight shows the date") << 1767657600000.0 << 3'600'000.0 << "Jan 6";
        QTest::newRow("days") << t0 << 86'400'000.0 << "Jan 5";
    }
    void labels()
    {
        QFETCH(double, t);
        QFETCH(double, step);
        QFETCH(QString, label);
        TimeMapping m;
        QCOMPARE(m.label(t, step), label);
    }

    void positionAxis()
    {
        TimeMapping m{0, 1000, 0, 500, false};
        QCOMPARE(m.tickStep(100), 200.0);
        QCOMPARE(m.label(400, 200), QStringLiteral("#400"));
        QCOMPARE(m.caption(), QStringLiteral("global position"));
    }

    void degenerate()
    {
        TimeMapping m{100, 100, 0, 0};
        QVERIFY(m.ticks().isEmpty());
        QVERIFY(std::isfinite(m.xAt(150)));
        QVERIFY(std::isfinite(m.timeAt(10)));
    }
};

QTEST_GUILESS_MAIN(TstViewsTimeMapping)
#include "tst_views_timemapping.moc"
