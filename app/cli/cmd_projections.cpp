// projections URI [--state NAME | --result NAME | --compare NAME --projection FILE.js] [--partition P]: a
// KurrentDB server's projections over gRPC (Projections.Statistics, State, Result; read-only). Lists one
// JSON line per projection, prints a projection's state or result, or compares the server's state with a
// local replay of the projection's JavaScript up to the server's checkpoint (exit 0 agree, 3 differ).
#include "commands.h"

#include "model/event.h"
#include "projection/jsprojection.h"
#include "projection/statecompare.h"
#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

#include <QCoreApplication>
#include <QJsonDocument>

namespace chronoscope::cli {

namespace {

enum { ExitDiffer = 3 };

int runCompare(Invocation& inv, const QString& uri)
{
    const QString name = inv.value(QStringLiteral("compare"));
    const QString file = inv.value(QStringLiteral("projection"));
    if (file.isEmpty())
        return inv.usageError(
            QStringLiteral("--compare NAME needs --projection FILE.js (the projection's JavaScript)"));
    const bool hasPartition = inv.has(QStringLiteral("partition"));
    const QString partition = inv.value(QStringLiteral("partition"));
    QString error;
    kurrent::ServerCheckpoint server;
    if (!kurrent::fetchCheckpoint(uri, name, partition, &server, &error)) return inv.inputError(error);

    // QJSEngine needs a QCoreApplication; main() creates none (most commands need none).
    if (!QCoreApplication::instance()) {
        static int argc = 1;
        static char arg0[] = "chronoscope-cli";
        static char* argv[] = {arg0, nullptr};
        static QCoreApplication app(argc, argv);
    }
    ProjectionError perr;
    auto js = JsProjection::fromFile(file, ProjectionLimits{}, &perr);
    if (!js) return inv.inputError(perr.message);
    // The server's events up to the checkpoint (no further: the read stops there) go into the cache while the
    // projection replays them (kurrent::CheckpointRead). Ctrl-C cancels the read and the replay alike (exit
    // 130 through inputError's "cancelled").
    const CancelToken cancel = cancelOnInterrupt();
    const ProgressFn progress = inv.wantsProgress() ? stderrProgress() : ProgressFn();
    kurrent::CheckpointRead read(uri, server.position, QString(), cancel, progress);
    auto reader = read.open(&error);
    if (!reader) {
        endProgress();
        return inv.inputError(error);
    }
    StateCompareOptions options;
    if (hasPartition) options.partition = partition;
    options.growing = [&read](qint64 after, qint64* have, QString* why) {
        return read.wait(after, have, why);
    };
    StateCompareResult r;
    const bool ok = compareProjectionState(js.get(), reader.get(), server.position, server.state, options, &r,
                                           &perr, cancel, progress);
    endProgress();
    if (!ok) return inv.inputError(perr.message);
    if (r.needsPartition)
        return inv.usageError(
            QStringLiteral("%1 is partitioned: give --partition P (the server's states are per partition)")
                .arg(file));
    QJsonObject o = r.toJson();
    o.insert(QStringLiteral("projection"), name);
    o.insert(QStringLiteral("checkpoint"), kurrent::checkpointText(server.projection));
    if (hasPartition) o.insert(QStringLiteral("partition"), partition);
    writeJsonLine(QJsonDocument(o).toJson(QJsonDocument::Compact));
    return r.agree ? int(ExitOk) : int(ExitDiffer);
}

int runProjections(Invocation& inv)
{
    const QString uri = inv.positional().first();
    if (!kurrent::isKurrentScheme(kurrent::schemeOf(uri)))
        return inv.usageError(QStringLiteral(
            "projections reads a KurrentDB server: give a kurrentdb:// or esdb:// connection string"));
    if (inv.has(QStringLiteral("state")) && inv.has(QStringLiteral("result")))
        return inv.usageError(QStringLiteral("give --state NAME or --result NAME, not both"));
    if (inv.has(QStringLiteral("compare"))) return runCompare(inv, uri);
    QString error;
    if (inv.has(QStringLiteral("state")) || inv.has(QStringLiteral("result"))) {
        const bool result = inv.has(QStringLiteral("result"));
        const QString name = inv.value(result ? QStringLiteral("result") : QStringLiteral("state"));
        QByteArray json;
        if (!kurrent::projectionState(uri, name, inv.value(QStringLiteral("partition")), result, &json,
                                      &error))
            return inv.inputError(error);
        writeJsonLine(json);
        return ExitOk;
    }
    QList<kurrent::ServerProjection> list;
    if (!kurrent::listProjections(uri, &list, &error)) return inv.inputError(error);
    for (const auto& p : list) {
        QByteArray line =
            "{\"name\":" + remote::jsonString(p.name) + ",\"mode\":" + remote::jsonString(p.mode) +
            ",\"status\":" + remote::jsonString(p.status) +
            ",\"position\":" + remote::jsonString(p.position) +
            ",\"progress\":" + QByteArray::number(double(p.progress)) +
            ",\"lastCheckpoint\":" + remote::jsonString(p.lastCheckpoint) +
            ",\"eventsProcessedAfterRestart\":" + QByteArray::number(p.eventsProcessedAfterRestart);
        if (!p.stateReason.isEmpty()) line += ",\"stateReason\":" + remote::jsonString(p.stateReason);
        writeJsonLine(line + '}');
    }
    return ExitOk;
}

const CommandRegistration projectionsCommand(
    {QStringLiteral("projections"),
     QStringLiteral("a KurrentDB server's projections (list, state, result) over gRPC"),
     QStringLiteral("projections URI [--state NAME | --result NAME | --compare NAME --projection FILE.js] "
                    "[--partition P]"),
     QStringLiteral(
         "Lists the projections of the KurrentDB server at URI (a kurrentdb:// or esdb:// connection\n"
         "string), one JSON line each: name, mode, status, position, progress, lastCheckpoint. With\n"
         "--state or --result, prints that projection's state or result (for --partition P). With\n"
         "--compare NAME --projection FILE.js, replays FILE.js locally over the server's events up to\n"
         "the projection's checkpoint and prints the RFC 6902 patch from the local state to the\n"
         "server's, each path blamed on the local side (the event that last set it): exit 0 when\n"
         "they agree, 3 when they differ. Progress on stderr; Ctrl-C cancels. Read-only."),
     1,
     1,
     {{QStringLiteral("state"), QStringLiteral("NAME"), QStringLiteral("print the state of projection NAME")},
      {QStringLiteral("result"), QStringLiteral("NAME"),
       QStringLiteral("print the result of projection NAME")},
      {QStringLiteral("partition"), QStringLiteral("P"),
       QStringLiteral("the partition (default: the projection's only one)")},
      {QStringLiteral("compare"), QStringLiteral("NAME"),
       QStringLiteral("compare projection NAME with a local replay of --projection")},
      {QStringLiteral("projection"), QStringLiteral("FILE.js"),
       QStringLiteral("the projection's JavaScript (with --compare)")},
      {QStringLiteral("progress"),
       {},
       QStringLiteral("report progress on stderr even when it is not a terminal")}},
     runProjections});

} // namespace

} // namespace chronoscope::cli
