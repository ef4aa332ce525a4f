#pragma once
// Time <-> pixel mapping of the timeline, kept apart from the widget so the maths has its own tests.
// Times are milliseconds since the epoch (or global positions, for stores that keep no time), held
// as double so zooming far in stays smooth.

#include <QList>
#include <QString>

namespace chronoscope {

struct TimeMapping
{
    double start = 0;   ///< time at the left edge of the plot
    double end = 1;     ///< time at the right edge of the plot
    double left = 0;    ///< x of the plot's left edge, in pixels
    double width = 1;   ///< plot width in pixels
    bool timeAxis = true; ///< false: the axis counts positions (no timestamps in the store)

    /// Narrowest span a zoom may reach (ms or positions) and the widest.
    static constexpr double kMinSpan = 10.0;

    double span() const { return end - start; }
    double unitsPerPixel() const { return span() / (width > 0 ? width : 1); }
    double xAt(double t) const { return left + (t - start) * width / (span() > 0 ? span() : 1); }
    double timeAt(double x) const { return start + (x - left) * span() / (width > 0 ? width : 1); }

    /// Zooms by factor (<1 zooms in) keeping the time under x where it is.
    /// The span is clamped to [kMinSpan, maxSpan] (maxSpan <= 0: no upper bound).
    void zoomAround(double x, double factor, double maxSpan = 0);
    /// Moves the view by dx pixels (positive dx shows earlier times, as when dragging to the right).
    void panPixels(double dx);
    /// Shows [a, b] with a margin of `marginFraction` of the span on each side.
    void fit(double a, double b, double marginFraction = 0.02);

    struct Tick
    {
        double t = 0;
        QString label;
        bool major = false;
    };
    /// Ticks at a "nice" step (1/2/5 x 10^n ms, seconds, minutes, hours, days) so that labels are at
    /// least minSpacing pixels apart. Labels carry as much of the date as the step needs.
    QList<Tick> ticks(double minSpacing = 90) const;
    /// The step ticks() uses, in the axis' unit.
    double tickStep(double minSpacing = 90) const;
    /// A readable label for a point on the axis at the given step ("10:15:30.250", "Jan 5 10:00", "#1200").
    QString label(double t, double step) const;
    /// The date and time of t, for the axis' left-hand caption ("2026-01-05 10:00 UTC").
    QString caption() const;
};

} // namespace chronoscope
