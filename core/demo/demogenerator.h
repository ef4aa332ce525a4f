#pragma once
// The demo domain: a deterministic generator of an online shop's event log (orders, payments,
// shipments, inventory, customers) with correlation/causation ids across streams and an incident
// (a payment-provider outage on day 2, 13:40-14:25 UTC) that causes timeouts, retries with backoff,
// failures and compensations. Events are produced one at a time in time order, so any size streams
// through bounded memory: only the orders still in flight are held, and the picked days cap the events a day
// (demoDays). See docs/cli.md.

#include "model/event.h"
#include "util/progress.h"

#include <functional>

namespace chronoscope {

class StoreWriter;

struct DemoOptions
{
    qint64 events = 30000;
    quint32 seed = 42;
    TimeMs start = 1772438400000LL; ///< 2026-03-02T08:00:00Z
    /// Days the events span; 0 (the default) picks them: 3, or more when the events would exceed
    /// maxEventsPerDay (demoDays).
    int days = 0;
    /// The busiest the shop gets when the days are picked: the orders in flight (the generator's memory) grow
    /// with the events a day, not with the events, so any size of demo is written in bounded memory.
    qint64 maxEventsPerDay = 3'500'000;
    /// The most customers (two for every five orders below it; reached at about 38M events): the customer table
    /// is the other part of the generator's memory that would grow with the events.
    qint64 maxCustomers = 1'000'000;
};

/// The days a demo spans: options.days when given, else max(3, ceil(events / maxEventsPerDay)). The default
/// demo and any up to 10.5M events span 3 days.
int demoDays(const DemoOptions& options);

/// What a generation held at most (for the memory bound's test and the benchmarks).
struct DemoStats
{
    qint64 peakFlows = 0; ///< orders (and replenishments) in flight at once
};

/// The outage window of the demo incident for given options: day 2 of the capture, 13:40 to 14:25 UTC.
struct DemoIncident
{
    TimeMs begin = kNoTime;
    TimeMs end = kNoTime;
    QString provider;
};
DemoIncident demoIncident(const DemoOptions& options);

/// Receives each event (position 1..n, time order). Return false to stop early.
using DemoEventFn = std::function<bool(const Event&)>;

/// Produces exactly options.events canonical events (fewer only if the callback or cancel stops it).
/// Deterministic: the same options give the same events, byte for byte. Returns false when stopped early
/// (*error says why).
bool generateDemoEvents(const DemoOptions& options, const DemoEventFn& sink, const ProgressFn& progress = {},
                        const CancelToken& cancel = {}, QString* error = nullptr, DemoStats* stats = nullptr);

/// Appends the demo events to a store being written (the caller finishes or aborts the writer).
bool generateDemo(StoreWriter& writer, const DemoOptions& options, const ProgressFn& progress,
                  const CancelToken& cancel, QString* error);

/// Creates a native store file at path holding the demo (refuses an existing file unless overwrite).
/// On failure or cancel no file is left behind.
bool generateDemoStore(const QString& path, const DemoOptions& options, const ProgressFn& progress = {},
                       const CancelToken& cancel = {}, QString* error = nullptr, bool overwrite = false);

} // namespace chronoscope
