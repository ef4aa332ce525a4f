// projections URI [--state NAME | --result NAME] [--partition P]: a KurrentDB server's projections over
// gRPC (Projections.Statistics, State, Result; read-only). Lists one JSON line per projection (name, mode,
// status, position, progress, ...), or prints a projection's state or result.
#include "commands.h"

#include "model/event.h"
#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

namespace chronoscope::cli {

namespace {

int runProjections(Invocation& inv)
{
    const QString uri = inv.positional().first();
    if (!kurrent::isKurrentScheme(kurrent::schemeOf(uri)))
        return inv.usageError(QStringLiteral("projections reads a KurrentDB server: give a kurrentdb:// or esdb:// connection string"));
    if (inv.has(QStringLiteral("state")) && inv.has(QStringLiteral("result")))
        return inv.usageError(QStringLiteral("give --state NAME or --result NAME, not both"));
    QString error;
    if (inv.has(QStringLiteral("state")) || inv.has(QStringLiteral("result"))) {
        const bool result = inv.has(QStringLiteral("result"));
        const QString name = inv.value(result ? QStringLiteral("result") : QStringLiteral("state"));
        QByteArray json;
        if (!kurrent::projectionState(uri, name, inv.value(QStringLiteral("partition")), result, &json, &error))
            return inv.inputError(error);
        writeJsonLine(json);
        return ExitOk;
    }
    QList<kurrent::ServerProjection> list;
    if (!kurrent::listProjections(uri, &list, &error))
        return inv.inputError(error);
    for (const auto& p : list) {
        QByteArray line = "{\"name\":" + remote::jsonString(p.name) + ",\"mode\":" + remote::jsonString(p.mode) +
                          ",\"status\":" + remote::jsonString(p.status) + ",\"position\":" + remote::jsonString(p.position) +
                          ",\"progress\":" + QByteArray::number(double(p.progress)) +
                          ",\"lastCheckpoint\":" + remote::jsonString(p.lastCheckpoint) +
                          ",\"eventsProcessedAfterRestart\":" + QByteArray::number(p.eventsProcessedAfterRestart);
        if (!p.stateReason.isEmpty())
            line += ",\"stateReason\":" + remote::jsonString(p.stateReason);
        writeJsonLine(line + '}');
    }
    return ExitOk;
}

const CommandRegistration projectionsCommand({
    QStringLiteral("projections"),
    QStringLiteral("a KurrentDB server's projections (list, state, result) over gRPC"),
    QStringLiteral("projections URI [--state NAME | --result NAME] [--partition P]"),
    QStringLiteral("Lists the projections of the KurrentDB server at URI (a kurrentdb:// or esdb:// connection\n"
                   "string), one JSON line each: name, mode, status, position, progress, lastCheckpoint. With\n"
                   "--state or --result, prints that projection's state or result (for --partition P). Read-only."),
    1, 1,
    {{QStringLiteral("state"), QStringLiteral("NAME"), QStringLiteral("print the state of projection NAME")},
     {QStringLiteral("result"), QStringLiteral("NAME"), QStringLiteral("print the result of projection NAME")},
     {QStringLiteral("partition"), QStringLiteral("P"), QStringLiteral("the partition (default: the projection's only one)")}},
    runProjections});

} // namespace

} // namespace chronoscope::cli
