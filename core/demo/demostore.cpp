// The demo domain written into a native store (the bundled demo store, benchmarks' 1M/10M stores).
#include "demo/demogenerator.h"

#include "store/storewriter.h"

#include <QFileInfo>

namespace chronoscope {

bool generateDemo(StoreWriter& writer, const DemoOptions& options, const ProgressFn& progress,
                  const CancelToken& cancel, QString* error)
{
    QString writeError;
    const bool ok = generateDemoEvents(options, [&](const Event& e) {
        return writer.append(e, &writeError);
    }, progress, cancel, error);
    if (!writeError.isEmpty() && error)
        *error = writeError;
    return ok;
}

bool generateDemoStore(const QString& path, const DemoOptions& options, const ProgressFn& progress,
                       const CancelToken& cancel, QString* error, bool overwrite)
{
    StoreWriter::Options so;
    so.bulk = true;
    so.meta.insert(QStringLiteral("source_uri"), QStringLiteral("demo:seed=%1,events=%2,days=%3")
                                                     .arg(options.seed).arg(options.events).arg(demoDays(options)));
    so.meta.insert(QStringLiteral("generator"), QStringLiteral("chronoscope demo"));
    so.meta.insert(QStringLiteral("demo_seed"), QString::number(options.seed));
    so.meta.insert(QStringLiteral("demo_events"), QString::number(options.events));
    so.meta.insert(QStringLiteral("demo_start"), formatTime(options.start));
    so.meta.insert(QStringLiteral("demo_days"), QString::number(demoDays(options)));
    std::unique_ptr<StoreWriter> writer = StoreWriter::create(path, so, error, overwrite);
    if (!writer)
        return false;
    if (!generateDemo(*writer, options, progress, cancel, error)) {
        writer->abort();
        return false;
    }
    if (!writer->finish(error)) {
        writer->abort();
        return false;
    }
    return true;
}

} // namespace chronoscope
