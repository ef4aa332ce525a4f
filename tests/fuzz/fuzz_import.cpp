// Harness for the whole file import (core/import/importer.cpp on top of the scanner): the input is written
// to a file (NDJSON, a JSON array, CloudEvents, or gzip of any of them, as the importer detects) and imported
// into a new store, which is then opened and read back. Properties:
// - no crash, UB or leak in the reading thread or the writing thread;
// - a refused import says why;
// - an accepted import's summary matches the store: the events it counted are the events read back and
//   the events the stream summary holds.
#include "fuzz_support.h"

#include "import/importer.h"
#include "sources/sourceregistry.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

using namespace chronoscope;

namespace {

QTemporaryDir& workDir()
{
    static QTemporaryDir dir(QDir::tempPath() + QLatin1String("/chronoscope-fuzz-import-XXXXXX"));
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz::ensureApp();
    qputenv("QT_LOGGING_RULES", "*.debug=false;*.warning=false");
    return workDir().isValid() ? 0 : 1;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QDir dir(workDir().path());
    const QString in = dir.filePath(QStringLiteral("events.ndjson"));
    const QString out = dir.filePath(QStringLiteral("store.chronoscope"));
    {
        QFile f(in);
        FUZZ_CHECK(f.open(QIODevice::WriteOnly | QIODevice::Truncate), "cannot write %s", qPrintable(in));
        f.write(reinterpret_cast<const char*>(data), qsizetype(size));
    }
    ImportSummary summary;
    QString error;
    if (importFiles({in}, out, {}, &summary, &error, true)) {
        auto reader = openSource(out, {}, &error);
        FUZZ_CHECK(reader, "the imported store does not open: %s", qPrintable(error));
        const QList<Event> events = reader->readAll({}, &error);
        FUZZ_CHECK(error.isEmpty(), "reading the imported store failed: %s", qPrintable(error));
        FUZZ_CHECK(events.size() == summary.events, "the summary says %lld events, the store has %lld",
                   static_cast<long long>(summary.events), static_cast<long long>(events.size()));
        qint64 inStreams = 0;
        for (const StreamInfo& s : reader->streams())
            inStreams += s.events;
        FUZZ_CHECK(inStreams == summary.events, "the streams hold %lld events, the summary says %lld",
                   static_cast<long long>(inStreams), static_cast<long long>(summary.events));
    } else {
        FUZZ_CHECK(!error.isEmpty(), "the import failed without a message");
    }
    QFile::remove(out);
    return 0;
}
