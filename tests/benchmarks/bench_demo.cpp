// Demo generator throughput and shape: events/s, average canonical line size, time span, type mix.
// Usage: bench_demo [events] [seed]
#include "demo/demogenerator.h"

#include <QElapsedTimer>
#include <QMap>

#include <cstdio>

using namespace chronoscope;

int main(int argc, char** argv)
{
    DemoOptions o;
    if (argc > 1)
        o.events = QByteArray(argv[1]).toLongLong();
    if (argc > 2)
        o.seed = QByteArray(argv[2]).toUInt();
    qint64 bytes = 0, n = 0;
    TimeMs first = kNoTime, last = kNoTime;
    QMap<QString, qint64> types;
    const DemoIncident inc = demoIncident(o);
    qint64 inIncident = 0;
    QElapsedTimer timer;
    timer.start();
    const bool ok = generateDemoEvents(o, [&](const Event& e) {
        bytes += e.toCanonicalJson().size() + 1;
        if (first == kNoTime)
            first = e.time;
        last = e.time;
        ++types[e.type];
        if (e.time >= inc.begin && e.time < inc.end)
            ++inIncident;
        ++n;
        return true;
    });
    const double s = timer.nsecsElapsed() / 1e9;
    std::printf("ok=%d events=%lld seconds=%.3f events/s=%.0f avg_line_bytes=%.1f first=%s last=%s in_incident=%lld\n",
                ok, static_cast<long long>(n), s, n / s, double(bytes) / double(std::max<qint64>(1, n)),
                qPrintable(formatTime(first)), qPrintable(formatTime(last)), static_cast<long long>(inIncident));
    for (auto it = types.begin(); it != types.end(); ++it)
        std::printf("  %-22s %lld\n", qPrintable(it.key()), static_cast<long long>(it.value()));
    return ok ? 0 : 1;
}
