// state, diff, blame: the replay engine behind the command line.
#include "commands.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "replay/replayengine.h"
#include "sources/sourceregistry.h"

#include <QJsonObject>

namespace chronoscope::cli {

namespace {

QByteArray pointJson(const Point& p)
{
    switch (p.kind) {
    case Point::End: return "{\"kind\":\"end\"}";
    case Point::Version: return "{\"kind\":\"version\",\"value\":" + QByteArray::number(p.value) + '}';
    case Point::Position: return "{\"kind\":\"position\",\"value\":" + QByteArray::number(p.value) + '}';
    case Point::Time: {
        QByteArray out = "{\"kind\":\"time\",\"value\":";
        appendJsonTime(out, p.value);
        return out + '}';
    }
    }
    return "null";
}

// The one output rule of state, diff and blame (and their --projection forms, watch and divergence):
// the answer itself by default; --envelope wraps it as {source, stream, <the point(s)>, ..., <answer>}.
QByteArray envelopeStart(Invocation& inv, const QString& stream)
{
    QByteArray out = "{\"source\":";
    appendJsonString(out, redactUri(inv.positional().first()));
    out += ",\"stream\":";
    appendJsonString(out, stream);
    return out;
}

QString requiredStream(Invocation& inv, int* exit)
{
    const QString stream = inv.value(QStringLiteral("stream"));
    if (stream.isEmpty())
        *exit = inv.usageError(QStringLiteral("--stream S is required"));
    return stream;
}

int runState(Invocation& inv)
{
    int exit = ExitOk;
    const QString stream = requiredStream(inv, &exit);
    if (exit != ExitOk)
        return exit;
    const std::optional<Point> point = inv.point(QStringLiteral("at"));
    if (!point)
        return ExitUsage;
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader)
        return exit;
    ReplayEngine engine(*reader);
    const StateResult r = engine.stateAt(stream, *point);
    if (!r.ok())
        return inv.inputError(r.error);
    if (!inv.has(QStringLiteral("envelope"))) {
        writeLine(jsonText(r.state));
        return ExitOk;
    }
    QByteArray out = envelopeStart(inv, stream);
    out += ",\"point\":" + pointJson(*point);
    out += ",\"event\":";
    out += r.lastEvent ? r.lastEvent->toCanonicalJson() : QByteArray("null");
    out += ",\"eventsApplied\":" + QByteArray::number(r.eventsApplied);
    out += ",\"fromCheckpoint\":";
    out += r.fromCheckpoint ? "true" : "false";
    out += ",\"state\":" + toJsonText(r.state) + '}';
    writeJsonLine(out);
    return ExitOk;
}

int runDiff(Invocation& inv)
{
    int exit = ExitOk;
    const QString stream = requiredStream(inv, &exit);
    if (exit != ExitOk)
        return exit;
    const std::optional<Point> from = inv.point(QStringLiteral("from"));
    const std::optional<Point> to = from ? inv.point(QStringLiteral("to")) : std::nullopt;
    if (!from || !to)
        return ExitUsage;
    if (from->kind == Point::End)
        return inv.usageError(
            QStringLiteral("give the first point with --from-version, --from-position or --from-time"));
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader)
        return exit;
    ReplayEngine engine(*reader);
    const StateDiff d = engine.diff(stream, *from, *to);
    if (!d.ok())
        return inv.inputError(d.error);
    if (!inv.has(QStringLiteral("envelope"))) {
        writeLine(jsonText(d.patch));
        return ExitOk;
    }
    QByteArray out = envelopeStart(inv, stream);
    out += ",\"from\":" + pointJson(*from) + ",\"to\":" + pointJson(*to);
    out += ",\"patch\":" + toJsonText(d.patch) + '}';
    writeJsonLine(out);
    return ExitOk;
}

int runBlame(Invocation& inv)
{
    int exit = ExitOk;
    const QString stream = requiredStream(inv, &exit);
    if (exit != ExitOk)
        return exit;
    if (!inv.has(QStringLiteral("path")))
        return inv.usageError(QStringLiteral("--path /json/pointer is required"));
    const QString path = inv.value(QStringLiteral("path"));
    QString pointerError;
    if (!parseJsonPointer(path, &pointerError))
        return inv.usageError(QStringLiteral("--path: '%1' is not a JSON Pointer (%2)").arg(path, pointerError));
    const std::optional<Point> point = inv.point(QStringLiteral("at"));
    if (!point)
        return ExitUsage;
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader)
        return exit;
    ReplayEngine engine(*reader);
    const BlameResult b = engine.blame(stream, path, *point);
    if (!b.ok())
        return inv.inputError(QStringLiteral("%1 %2: %3").arg(stream, path, b.error));
    if (!b.event)
        return inv.inputError(QStringLiteral("no event of %1 changed %2").arg(stream, path));
    if (!inv.has(QStringLiteral("envelope"))) {
        writeJsonLine(b.event->toCanonicalJson());
        return ExitOk;
    }
    QByteArray out = envelopeStart(inv, stream);
    out += ",\"path\":";
    appendJsonString(out, path);
    out += ",\"point\":" + pointJson(*point) + ",\"event\":" + b.event->toCanonicalJson() + '}';
    writeJsonLine(out);
    return ExitOk;
}

QList<OptionSpec> streamOption()
{
    return {{QStringLiteral("stream"), QStringLiteral("S"), QStringLiteral("the stream (required)")}};
}

const CommandRegistration stateCommand({
    QStringLiteral("state"),
    QStringLiteral("state of a stream at a point (default projection: RFC 7386 merge of each event's data)"),
    QStringLiteral("state URI --stream S [--at-version V | --at-position P | --at-time T] [--envelope]"),
    QStringLiteral("Prints the state after the stream's last event at or before the point (default: the end).\n"
                   "With --envelope: {source, stream, point, event, eventsApplied, fromCheckpoint, state}."),
    1, 1,
    streamOption() + pointOptions(QStringLiteral("at"), QStringLiteral("the state")) +
        QList<OptionSpec>{{QStringLiteral("envelope"), {},
                           QStringLiteral("wrap the state with the event it ends at and replay facts")}},
    runState});

const CommandRegistration diffCommand({
    QStringLiteral("diff"),
    QStringLiteral("JSON Patch (RFC 6902) from a stream's state at one point to another"),
    QStringLiteral("diff URI --stream S (--from-version V | --from-position P | --from-time T) "
                   "[--to-version V | --to-position P | --to-time T] [--envelope]"),
    QStringLiteral("Prints the RFC 6902 patch that turns the state at the first point into the state at the\n"
                   "second (default: the end). Array elements with the same \"id\" are the same element."),
    1, 1,
    streamOption() + pointOptions(QStringLiteral("from"), QStringLiteral("from the state")) +
        pointOptions(QStringLiteral("to"), QStringLiteral("to the state")) +
        QList<OptionSpec>{{QStringLiteral("envelope"), {},
                           QStringLiteral("wrap the patch: {source, stream, from, to, patch}")}},
    runDiff});

const CommandRegistration blameCommand({
    QStringLiteral("blame"),
    QStringLiteral("the event that last changed a JSON Pointer path of a stream's state"),
    QStringLiteral("blame URI --stream S --path /json/pointer [--at-version V | --at-position P | --at-time T] [--envelope]"),
    QStringLiteral("Prints the canonical event whose data last changed the value at the path, in the state at\n"
                   "the point (default: the end)."),
    1, 1,
    streamOption() +
        QList<OptionSpec>{{QStringLiteral("path"), QStringLiteral("POINTER"),
                           QStringLiteral("RFC 6901 JSON Pointer into the state, e.g. /items/0/qty")}} +
        pointOptions(QStringLiteral("at"), QStringLiteral("blame in the state")) +
        QList<OptionSpec>{{QStringLiteral("envelope"), {},
                           QStringLiteral("wrap the event: {source, stream, path, point, event}")}},
    runBlame});

} // namespace

} // namespace chronoscope::cli
