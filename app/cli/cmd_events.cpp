// events URI [filters], export URI -o FILE.ndjson [filters]
#include "commands.h"

#include "sources/sourceregistry.h"
#include "util/filekind.h"


#include <cstdio>

namespace chronoscope::cli {

namespace {

int runEvents(Invocation& inv)
{
    const std::optional<EventQuery> q = inv.eventQuery();
    if (!q)
        return ExitUsage;
    int exit = ExitOk;
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader)
        return exit;
    QString error;
    const CancelToken cancel = cancelOnInterrupt();
    const bool ok = reader->read(*q, [&cancel](const Event& e) {
        writeLine(e.toCanonicalJson());
        // A full disk or closed stdout: stop reading (main reports the write error).
        return !outputFailed() && !cancel.isCancelled();
    }, &error);
    flushOut();
    if (outputFailed())
        return inv.inputError(QStringLiteral("writing the events to stdout failed (%1)").arg(outputError()));
    if (cancel.isCancelled())
        return ExitInput; // main ends with the signal's exit code
    if (!ok)
        return inv.inputError(error);
    return ExitOk;
}

int runExport(Invocation& inv)
{
    const std::optional<EventQuery> q = inv.eventQuery();
    if (!q)
        return ExitUsage;
    const QString output = inv.value(QStringLiteral("output"));
    if (output.isEmpty())
        return inv.usageError(QStringLiteral("give the output file with -o FILE.ndjson (or -o - for stdout)"));
    const bool toStdout = output == QLatin1String("-");
    QString pathError;
    if (!toStdout && !checkOutputPath(output, inv.has(QStringLiteral("force")), &pathError))
        return inv.inputError(pathError);

    int exit = ExitOk;
    const QString uri = inv.positional().first();
    auto reader = inv.openReader(uri, &exit);
    if (!reader)
        return exit;

    // Written under OUTPUT.partial and renamed at the end: a failed or interrupted export never leaves a
    // truncated file under the final name (and a signal's watcher knows the partial name to remove).
    PartialFile file(output);
    if (!toStdout) {
        removeOutputOnInterrupt(output);
        if (!file.open(&pathError))
            return inv.inputError(pathError);
    }
    const qint64 total = inv.wantsProgress() ? reader->count(*q) : -1;
    auto progress = inv.wantsProgress() ? stderrProgress() : nullptr;
    qint64 events = 0, bytes = 0;
    QByteArray buffer;
    buffer.reserve(1 << 20);
    bool writeFailed = false;
    auto flush = [&] {
        if (toStdout) {
            writeOut(buffer);
            writeFailed = writeFailed || outputFailed();
        } else if (!file.write(buffer)) {
            writeFailed = true;
        }
        buffer.clear();
    };
    QString error;
    const CancelToken cancel = cancelOnInterrupt();
    bool cancelled = false;
    const bool ok = reader->read(*q, [&](const Event& e) {
        if (cancel.isCancelled()) {
            cancelled = true;
            return false;
        }
        buffer += e.toCanonicalJson();
        buffer += '\n';
        ++events;
        if (buffer.size() >= (1 << 20)) {
            bytes += buffer.size();
            flush();
            if (progress)
                progress(events, total, QStringLiteral("exporting"));
        }
        return !writeFailed;
    }, &error);
    if (cancelled) {
        endProgress();
        file.discard(); // nothing is left under the output name
        return inv.inputError(QStringLiteral("export cancelled; %1 was not written").arg(output));
    }
    bytes += buffer.size();
    flush();
    endProgress();
    if (toStdout)
        flushOut();
    if (toStdout && outputFailed())
        return inv.inputError(QStringLiteral("writing the events to stdout failed (%1)").arg(outputError()));
    if (writeFailed)
        return inv.inputError(QStringLiteral("%1: write failed (%2)").arg(output, file.errorString()));
    if (!ok)
        return inv.inputError(error);
    if (!toStdout && !file.commit(&error))
        return inv.inputError(error);

    QByteArray summary = "{\"source\":";
    appendJsonString(summary, redactUri(uri));
    summary += ",\"output\":";
    appendJsonString(summary, output);
    summary += ",\"events\":" + QByteArray::number(events) + ",\"bytes\":" + QByteArray::number(bytes) + '}';
    if (toStdout) {
        flushOut();
        std::fprintf(stderr, "%s\n", summary.constData());
    } else {
        writeLine(summary);
    }
    return ExitOk;
}

QList<OptionSpec> exportOptions()
{
    QList<OptionSpec> o = eventFilterOptions();
    o.prepend({QStringLiteral("output"), QStringLiteral("FILE"),
               QStringLiteral("the NDJSON file to write ('-' for stdout)"), false, u'o'});
    o.append({QStringLiteral("force"), {}, QStringLiteral("overwrite FILE if it exists")});
    o.append({QStringLiteral("progress"), {}, QStringLiteral("report progress on stderr even when it is not a terminal")});
    return o;
}

const CommandRegistration eventsCommand({
    QStringLiteral("events"),
    QStringLiteral("canonical events, filtered (NDJSON)"),
    QStringLiteral("events URI [--stream S] [--type T] [--from-position N] [--to-position N] [--since T] [--until T] "
                   "[--limit N]"),
    QStringLiteral("Prints the matching events in global position order, one canonical JSON object per line:\n"
                   "position, stream, version, type, time, id, data, metadata. Ranges are inclusive."),
    1, 1, eventFilterOptions(), runEvents});

const CommandRegistration exportCommand({
    QStringLiteral("export"),
    QStringLiteral("write events (filtered) to an NDJSON file that 'import' reads back"),
    QStringLiteral("export URI -o FILE.ndjson [filters of 'events'] [--force]"),
    QStringLiteral("Writes the matching events as canonical NDJSON and prints a summary object:\n"
                   "source, output, events, bytes. With -o - the events go to stdout and the summary to stderr."),
    1, 1, exportOptions(), runExport});

} // namespace

} // namespace chronoscope::cli
