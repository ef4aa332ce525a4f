// projections URI [--state NAME | --result NAME | --compare NAME --projection FILE.js] [--partition P]: a
// KurrentDB server's projections over gRPC (Projections.Statistics, State, Result; read-only). Lists one
// JSON line per projection, prints a projection's state or result, or compares the server's state with a
// local replay of the projection's JavaScript up to the server's checkpoint (exit 0 agree, 3 differ).
#include "commands.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "model/event.h"
#include "projection/jsprojection.h"
#include "projection/projectionreplay.h"
#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace chronoscope::cli {

namespace {

enum { ExitDiffer = 3 };

// Numbers compared by value: the server's state travels as google.protobuf.Value (doubles), so the local
// state's kept number texts ("1.10") are read as doubles too before the diff.
QJsonValue plain(const QByteArray& json)
{
    return QJsonDocument::fromJson("[" + json + "]").array().at(0);
}

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
    QList<kurrent::ServerProjection> list;
    if (!kurrent::listProjections(uri, &list, &error)) return inv.inputError(error);
    const auto it = std::find_if(list.cbegin(), list.cend(), [&](const auto& p) { return p.name == name; });
    if (it == list.cend())
        return inv.inputError(QStringLiteral("the server has no projection '%1'").arg(name));
    // The checkpoint "C:commit/P:prepare": the server's state covers the events up to that prepare position;
    // Chronoscope's positions are prepare + 1.
    static const QRegularExpression prepareRe(QStringLiteral("P:(\\d+)"));
    const auto m = prepareRe.match(it->lastCheckpoint.isEmpty() ? it->position : it->lastCheckpoint);
    if (!m.hasMatch())
        return inv.inputError(QStringLiteral("projection '%1' has no checkpoint position yet (position '%2')")
                                  .arg(name, it->position));
    const qint64 upTo = m.captured(1).toLongLong() + 1;
    QByteArray serverJson;
    if (!kurrent::projectionState(uri, name, partition, false, &serverJson, &error))
        return inv.inputError(error);

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
    int exit = ExitOk;
    auto reader = inv.openReader(uri, &exit); // the server's events, read into the cache
    if (!reader) return exit;
    ProjectionReplay replay(js.get(), reader.get());
    ProjectionSnapshot snap;
    if (!replay.stateAt(upTo, &snap, &perr, cancelOnInterrupt(),
                        inv.wantsProgress() ? stderrProgress() : ProgressFn())) {
        endProgress();
        return inv.inputError(perr.message);
    }
    endProgress();
    if (snap.partitioned && !hasPartition)
        return inv.usageError(
            QStringLiteral("%1 is partitioned: give --partition P (the server's states are per partition)")
                .arg(file));
    const QJsonValue local = hasPartition ? snap.partition(partition) : snap.view();
    const QJsonValue localPlain = plain(toJsonText(local.isUndefined() ? QJsonValue() : local));
    const QJsonValue serverPlain = plain(serverJson);
    const QJsonArray patch = diffJson(localPlain, serverPlain);
    QJsonObject o{
        {QStringLiteral("projection"), name},
        {QStringLiteral("checkpoint"), it->lastCheckpoint.isEmpty() ? it->position : it->lastCheckpoint},
        {QStringLiteral("position"), upTo},
        {QStringLiteral("agree"), patch.isEmpty()},
        {QStringLiteral("local"), localPlain},
        {QStringLiteral("server"), serverPlain},
        {QStringLiteral("patch"), patch}};
    if (hasPartition) o.insert(QStringLiteral("partition"), partition);
    writeJsonLine(QJsonDocument(o).toJson(QJsonDocument::Compact));
    return patch.isEmpty() ? ExitOk : ExitDiffer;
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
         "server's: exit 0 when they agree, 3 when they differ. Read-only."),
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
