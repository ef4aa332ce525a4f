// demo -o STORE [--events N] [--seed S] [--days D]
#include "commands.h"

#include "demo/demogenerator.h"
#include "util/filekind.h"

#include <QElapsedTimer>
#include <QFileInfo>

namespace chronoscope::cli {

namespace {

bool isNdjsonPath(const QString& path)
{
    const QString p = path.toLower();
    return p.endsWith(QLatin1String(".ndjson")) || p.endsWith(QLatin1String(".jsonl")) || path == QLatin1String("-");
}

int runDemo(Invocation& inv)
{
    const QString output = inv.value(QStringLiteral("output"));
    if (output.isEmpty())
        return inv.usageError(QStringLiteral("give the store to create with -o STORE"));
    DemoOptions o;
    const auto events = inv.integer(QStringLiteral("events"), o.events, 0);
    const auto seed = inv.integer(QStringLiteral("seed"), o.seed, 0);
    const auto days = inv.integer(QStringLiteral("days"), 0, 1); // 0: picked from --events (demoDays)
    const auto start = inv.time(QStringLiteral("start"));
    if (!events || !seed || !days || !start)
        return ExitUsage;
    if (*seed > 0xffffffffLL)
        return inv.usageError(QStringLiteral("--seed: %1 is larger than 4294967295").arg(*seed));
    if (*days > 3650)
        return inv.usageError(QStringLiteral("--days: %1 is more than 3650").arg(*days));
    o.events = *events;
    o.seed = quint32(*seed);
    o.days = int(*days);
    if (*start != kNoTime)
        o.start = *start;
    const bool force = inv.has(QStringLiteral("force"));
    const bool ndjson = isNdjsonPath(output);
    QString pathError;
    if (output != QLatin1String("-") && !checkOutputPath(output, force, &pathError))
        return inv.inputError(pathError);
    if (output != QLatin1String("-"))
        removeOutputOnInterrupt(output);

    const CancelToken cancel = cancelOnInterrupt();
    const ProgressFn progress = inv.wantsProgress() ? stderrProgress() : ProgressFn();
    QElapsedTimer timer;
    timer.start();
    QString error;
    qint64 bytes = 0;
    bool ok = false;
    if (ndjson) {
        PartialFile file(output);
        const bool toStdout = output == QLatin1String("-");
        if (!toStdout && !file.open(&error))
            return inv.inputError(error);
        QByteArray buffer;
        bool writeFailed = false;
        auto flush = [&] {
            bytes += buffer.size();
            if (toStdout) {
                writeOut(buffer);
                writeFailed = writeFailed || outputFailed();
            } else if (!file.write(buffer)) {
                writeFailed = true;
            }
            buffer.clear();
        };
        ok = generateDemoEvents(o, [&](const Event& e) {
            buffer += e.toCanonicalJson();
            buffer += '\n';
            if (buffer.size() >= (1 << 20))
                flush();
            return !writeFailed;
        }, progress, cancel, &error);
        flush();
        if (toStdout)
            flushOut();
        if (writeFailed || (toStdout && outputFailed())) {
            error = toStdout ? QStringLiteral("writing the events to stdout failed (%1)").arg(outputError())
                             : QStringLiteral("%1: write failed (%2)").arg(output, file.errorString());
            ok = false;
        } else if (ok && !toStdout && !file.commit(&error)) {
            ok = false;
        }
        if (toStdout) {
            endProgress();
            return ok ? ExitOk : inv.inputError(error);
        }
    } else {
        ok = generateDemoStore(output, o, progress, cancel, &error, force);
        bytes = QFileInfo(output).size();
    }
    endProgress();
    if (!ok)
        return inv.inputError(error.isEmpty() ? QStringLiteral("%1: demo generation failed").arg(output) : error);

    const DemoIncident inc = demoIncident(o);
    QByteArray out = "{\"output\":";
    appendJsonString(out, output);
    out += ",\"format\":";
    out += ndjson ? "\"ndjson\"" : "\"chronoscope\"";
    out += ",\"events\":" + QByteArray::number(o.events) + ",\"seed\":" + QByteArray::number(o.seed) +
           ",\"days\":" + QByteArray::number(demoDays(o)) + ",\"start\":";
    appendJsonTime(out, o.start);
    out += ",\"incident\":{\"provider\":";
    appendJsonString(out, inc.provider);
    out += ",\"begin\":";
    appendJsonTime(out, inc.begin);
    out += ",\"end\":";
    appendJsonTime(out, inc.end);
    out += "},\"bytes\":" + QByteArray::number(bytes) +
           ",\"seconds\":" + QByteArray::number(timer.nsecsElapsed() / 1e9, 'f', 3) + '}';
    writeJsonLine(out);
    return ExitOk;
}

const CommandRegistration demoCommand({
    QStringLiteral("demo"),
    QStringLiteral("generate the demo shop (orders, payments, shipments, inventory) with a payment outage"),
    QStringLiteral("demo -o STORE [--events N] [--seed S] [--days D] [--start T] [--force]"),
    QStringLiteral(
        "Writes a deterministic demo event log: the same options give the same events. STORE ending in\n"
        ".ndjson or .jsonl (or -) gets canonical NDJSON instead of a store file. Any size streams through\n"
        "bounded memory (--events 10000000 works). The incident: the payment provider times out on day 2,\n"
        "13:40-14:25 UTC (retries, failures, released stock, cancelled orders, late captures refunded).\n"
        "Prints a summary object."),
    0, 0,
    {{QStringLiteral("output"), QStringLiteral("STORE"), QStringLiteral("the file to create (required)"), false, u'o'},
     {QStringLiteral("events"), QStringLiteral("N"), QStringLiteral("number of events (default 30000)")},
     {QStringLiteral("seed"), QStringLiteral("S"), QStringLiteral("random seed (default 42)")},
     {QStringLiteral("days"), QStringLiteral("D"), QStringLiteral("days the events span (default 3, or one per 3.5M events when more: the events a day bound the memory)")},
     {QStringLiteral("start"), QStringLiteral("T"), QStringLiteral("first event's time (default 2026-03-02T08:00:00Z)")},
     {QStringLiteral("force"), {}, QStringLiteral("overwrite STORE if it exists")},
     {QStringLiteral("progress"), {}, QStringLiteral("report progress on stderr even when it is not a terminal")}},
    runDemo});

} // namespace

} // namespace chronoscope::cli
