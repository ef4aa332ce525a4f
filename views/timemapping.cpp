#include "timemapping.h"

#include <QDateTime>
#include <QTimeZone>

#include <algorithm>
#include <array>
#include <cmath>

namespace chronoscope {

void TimeMapping::zoomAround(double x, double factor, double maxSpan)
{
    if (!(factor > 0) || width <= 0)
        return;
    const double anchor = timeAt(x);
    double newSpan = span() * factor;
    newSpan = std::max(newSpan, kMinSpan);
    if (maxSpan > 0)
        newSpan = std::min(newSpan, maxSpan);
    const double frac = (x - left) / width;
    start = anchor - frac * newSpan;
    end = start + newSpan;
}

void TimeMapping::panPixels(double dx)
{
    const double dt = dx * unitsPerPixel();
    start -= dt;
    end -= dt;
}

void TimeMapping::fit(double a, double b, double marginFraction)
{
    if (b < a)
        std::swap(a, b);
    double s = b - a;
    if (s < kMinSpan) {
        const double mid = (a + b) / 2;
        a = mid - kMinSpan / 2;
        b = mid + kMinSpan / 2;
        s = kMinSpan;
    }
    start = a - s * marginFraction;
    end = b + s * marginFraction;
}

namespace {

constexpr double kSecond = 1000.0;
constexpr double kMinute = 60 * kSecond;
constexpr double kHour = 60 * kMinute;
constexpr double kDay = 24 * kHour;

// Steps that read well on a clock: sub-second decimals, then clock units.
constexpr std::array<double, 25> kTimeSteps = {
    1, 2, 5, 10, 20, 50, 100, 200, 500,
    kSecond, 2 * kSecond, 5 * kSecond, 10 * kSecond, 15 * kSecond, 30 * kSecond,
    kMinute, 2 * kMinute, 5 * kMinute, 10 * kMinute, 15 * kMinute, 30 * kMinute,
    kHour, 3 * kHour, 6 * kHour, 12 * kHour};

double niceDecimal(double raw)
{
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= raw)
            return m * p;
    return 10 * p;
}

} // namespace

double TimeMapping::tickStep(double minSpacing) const
{
    const double raw = std::max(unitsPerPixel() * minSpacing, 1e-9);
    if (!timeAxis)
        return std::max(1.0, niceDecimal(raw));
    for (double s : kTimeSteps)
        if (s >= raw)
            return s;
    if (raw <= kDay)
        return kDay;
    return niceDecimal(raw / kDay) * kDay;
}

QString TimeMapping::label(double t, double step) const
{
    if (!timeAxis)
        return QStringLiteral("#%1").arg(qint64(std::llround(t)));
    const QDateTime dt = QDateTime::fromMSecsSinceEpoch(qint64(std::floor(t)), QTimeZone::utc());
    if (step < kSecond)
        return dt.toString(QStringLiteral("HH:mm:ss.zzz"));
    if (step < kMinute)
        return dt.toString(QStringLiteral("HH:mm:ss"));
    if (step < kDay) {
        // Midnight gets the date so a multi-day view stays readable.
        if (dt.time().msecsSinceStartOfDay() == 0)
            return dt.toString(QStringLiteral("MMM d"));
        return dt.toString(QStringLiteral("HH:mm"));
    }
    return dt.toString(QStringLiteral("MMM d"));
}

QList<TimeMapping::Tick> TimeMapping::ticks(double minSpacing) const
{
    QList<Tick> out;
    if (width <= 0 || !(span() > 0))
        return out;
    const double step = tickStep(minSpacing);
    const double first = std::ceil(start / step) * step;
    const double majorStep = timeAxis ? (step < kDay ? kDay : step * 7) : step * 10;
    for (double t = first; t <= end && out.size() < 1000; t += step) {
        Tick tick;
        tick.t = t;
        tick.label = label(t, step);
        tick.major = std::fmod(t, majorStep) == 0;
        out.append(tick);
    }
    return out;
}

QString TimeMapping::caption() const
{
    if (!timeAxis)
        return QStringLiteral("global position");
    const QDateTime a = QDateTime::fromMSecsSinceEpoch(qint64(start), QTimeZone::utc());
    const QDateTime b = QDateTime::fromMSecsSinceEpoch(qint64(end), QTimeZone::utc());
    if (a.date() == b.date())
        return a.toString(QStringLiteral("yyyy-MM-dd")) + QStringLiteral(" UTC");
    return a.toString(QStringLiteral("yyyy-MM-dd")) + QStringLiteral(" – ") + b.toString(QStringLiteral("yyyy-MM-dd"))
        + QStringLiteral(" UTC");
}

} // namespace chronoscope
