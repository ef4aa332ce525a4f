// JavaScript projections on the command line:
//   state URI --projection FILE [--partition P] [--at-position N | --at-time T]
//   diff URI --projection A.js --projection-b B.js [--partition P] [--to-position N | --to-time T]
//   blame URI --projection FILE --path /pointer [--at-position N | --at-time T]
//   divergence URI --projection A.js --projection-b B.js [--partition P] [--to-position N]
//   watch URI --projection FILE --until PREDICATE [--from-position N | --from-time T] [--backward] [--level]
// `state`, `diff` and `blame` get their projection flags as command extensions (their files stay untouched).
#include "commands.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"
#include "projection/divergence.h"
#include "projection/projectionreplay.h"
#include "sources/sourceregistry.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope::cli {

namespace {

constexpr int kMaxListed = 100;  // "would emit" records and log lines printed per run

QList<OptionSpec> limitOptions()
{
    return {
        {QStringLiteral("timeout-ms"), QStringLiteral("MS"),
         QStringLiteral("longest a projection's handlers may run for one event (default 2000)")},
        {QStringLiteral("max-state-mb"), QStringLiteral("MB"),
         QStringLiteral("largest serialized projection state, and largest result of one built-in call (default 100)")},
        {QStringLiteral("max-array-length"), QStringLiteral("N"),
         QStringLiteral("longest array a built-in that cannot be interrupted (fill, join, sort, ...) may work on "
                        "(default 1000000)")},
        {QStringLiteral("max-memory-mb"), QStringLiteral("MB"),
         QStringLiteral("Linux: stop a call into a projection that makes the process grow by more than this "
                        "(default 2048; 0: off)")},
        {QStringLiteral("v8-handler-order"), {},
         QStringLiteral("run every $any, then the type handler, as servers before the Jint runtime (the V8 prelude) "
                        "did; default: the type handler if there is one, else $any, as current servers do")},
    };
}

std::optional<ProjectionLimits> limitsFrom(Invocation& inv)
{
    ProjectionLimits l;
    const auto timeout = inv.integer(QStringLiteral("timeout-ms"), l.handlerTimeoutMs, 1);
    const auto state = inv.integer(QStringLiteral("max-state-mb"), l.maxStateBytes / (1024 * 1024), 1);
    const auto array = inv.integer(QStringLiteral("max-array-length"), l.maxArrayLength, 1);
    const auto memory = inv.integer(QStringLiteral("max-memory-mb"), l.maxHandlerMemoryBytes / (1024 * 1024), 0);
    if (!timeout || !state || !array || !memory)
        return std::nullopt;
    l.handlerTimeoutMs = *timeout;
    l.maxStateBytes = *state * 1024 * 1024;
    l.maxArrayLength = *array;
    l.maxHandlerMemoryBytes = *memory * 1024 * 1024;
    if (inv.has(QStringLiteral("v8-handler-order")))
        l.handlerOrder = HandlerOrder::V8AnyThenType;
    return l;
}

/// The server's delivery rule surprises people: say on stderr which events never reach $any.
void warnAboutHandlers(const JsProjection& p)
{
    const QString w = p.definition().handlerWarning();
    if (!w.isEmpty())
        std::fprintf(stderr, "chronoscope-cli: warning: %s: %s\n", qPrintable(p.fileName()), qPrintable(w));
}

int projectionError(const ProjectionError& e)
{
    // Cancellation is not the projection's fault, but it is still not a result: report it the same way.
    endProgress();
    std::fprintf(stderr, "chronoscope-cli: %s\n", qPrintable(e.message));
    return ExitInput;
}

QJsonValue eventJson(const Event& e)
{
    return parseJsonValue(e.toCanonicalJson());
}

QJsonValue orNull(const QJsonValue& v)
{
    return v.isUndefined() ? QJsonValue(QJsonValue::Null) : v;
}

/// The state to print: one partition when asked, else the whole view.
QJsonValue chosenState(const ProjectionSnapshot& s, const QString& partition, bool hasPartition)
{
    return hasPartition ? orNull(s.partition(partition)) : s.view();
}

// The output rule shared with state/diff/blame on streams (cmd_state.cpp): the answer itself by default;
// --envelope wraps it as {source, projection (or a, b), position, ..., <answer>}.
bool wantsEnvelope(Invocation& inv)
{
    return inv.has(QStringLiteral("envelope"));
}

/// Prints the answer alone, or the envelope (with the source first) when --envelope was given.
int printAnswer(Invocation& inv, const QJsonValue& answer, QJsonObject envelope)
{
    if (!wantsEnvelope(inv)) {
        writeLine(jsonText(answer));
    } else {
        envelope.insert(QStringLiteral("source"), redactUri(inv.positional().first()));
        writeLine(jsonText(envelope));
    }
    flushOut();
    return ExitOk;
}

QJsonObject recorded(ProjectionReplay& replay)
{
    qint64 emitTotal = 0, logTotal = 0;
    const QList<EmittedEvent> emitted = replay.takeEmitted(&emitTotal);
    const QList<ProjectionLogLine> logs = replay.takeLogs(&logTotal);
    QJsonArray e, l;
    for (int i = 0; i < emitted.size() && i < kMaxListed; ++i) {
        const EmittedEvent& x = emitted[i];
        e.append(QJsonObject{{QStringLiteral("kind"), x.kind}, {QStringLiteral("position"), x.position},
                             {QStringLiteral("stream"), x.stream}, {QStringLiteral("type"), x.type},
                             {QStringLiteral("body"), orNull(x.body)}, {QStringLiteral("metadata"), orNull(x.metadata)}});
    }
    for (int i = 0; i < logs.size() && i < kMaxListed; ++i)
        l.append(QJsonObject{{QStringLiteral("position"), logs[i].position}, {QStringLiteral("text"), logs[i].text}});
    return {{QStringLiteral("wouldEmit"), QJsonObject{{QStringLiteral("total"), emitTotal}, {QStringLiteral("items"), e}}},
            {QStringLiteral("log"), QJsonObject{{QStringLiteral("total"), logTotal}, {QStringLiteral("items"), l}}}};
}

struct Loaded
{
    std::unique_ptr<EventReader> reader;
    std::unique_ptr<JsProjection> a;
    std::unique_ptr<JsProjection> b;
};

/// Opens the store and loads --projection (and --projection-b when wantB). nullopt with *exit set on failure.
std::optional<Loaded> loadAll(Invocation& inv, bool wantB, int* exit)
{
    const QString fileA = inv.value(QStringLiteral("projection"));
    const QString fileB = inv.value(QStringLiteral("projection-b"));
    if (fileA.isEmpty()) {
        *exit = inv.usageError(QStringLiteral("give the projection with --projection FILE.js"));
        return std::nullopt;
    }
    if (wantB && fileB.isEmpty()) {
        *exit = inv.usageError(QStringLiteral("give the second projection with --projection-b FILE.js"));
        return std::nullopt;
    }
    const std::optional<ProjectionLimits> limits = limitsFrom(inv);
    if (!limits) {
        *exit = ExitUsage;
        return std::nullopt;
    }
    Loaded l;
    ProjectionError err;
    l.a = JsProjection::fromFile(fileA, *limits, &err);
    if (!l.a) {
        *exit = projectionError(err);
        return std::nullopt;
    }
    warnAboutHandlers(*l.a);
    if (wantB) {
        l.b = JsProjection::fromFile(fileB, *limits, &err);
        if (!l.b) {
            *exit = projectionError(err);
            return std::nullopt;
        }
        warnAboutHandlers(*l.b);
    }
    l.reader = inv.openReader(inv.positional().first(), exit);
    if (!l.reader)
        return std::nullopt;
    return l;
}

/// --<prefix>-position / --<prefix>-time as a global position (kNoLimit: the end). nullopt on a usage error.
std::optional<qint64> positionFrom(Invocation& inv, const QString& prefix, ProjectionReplay& replay, int* exit)
{
    if (inv.has(prefix + QStringLiteral("-version"))) {
        *exit = inv.usageError(QStringLiteral("--%1-version does not apply to a projection (it reads many streams): "
                                              "use --%1-position or --%1-time").arg(prefix));
        return std::nullopt;
    }
    const std::optional<Point> p = inv.point(prefix);
    if (!p) {
        *exit = ExitUsage;
        return std::nullopt;
    }
    if (p->kind == Point::Position)
        return p->value;
    if (p->kind == Point::Time) {
        QString error;
        const qint64 pos = replay.positionAtTime(p->value, &error);
        if (!error.isEmpty()) {
            *exit = inv.inputError(error);
            return std::nullopt;
        }
        return pos;
    }
    return kNoLimit;
}

QString atPrefix(Invocation& inv)
{
    // `diff` may name its point --to-…; `state` names it --at-….
    for (const QString& p : {QStringLiteral("at"), QStringLiteral("to")})
        if (inv.has(p + QStringLiteral("-position")) || inv.has(p + QStringLiteral("-time")) ||
            inv.has(p + QStringLiteral("-version")))
            return p;
    return QStringLiteral("at");
}

std::optional<int> runStateProjection(Invocation& inv)
{
    if (!inv.has(QStringLiteral("projection")))
        return std::nullopt;
    int exit = ExitOk;
    std::optional<Loaded> l = loadAll(inv, false, &exit);
    if (!l)
        return exit;
    ProjectionReplay replay(l->a.get(), l->reader.get());
    const std::optional<qint64> at = positionFrom(inv, atPrefix(inv), replay, &exit);
    if (!at)
        return exit;
    const CancelToken cancel = cancelOnInterrupt();
    ProjectionSnapshot snap;
    ProjectionError err;
    if (!replay.stateAt(*at, &snap, &err, cancel, inv.wantsProgress() ? stderrProgress() : ProgressFn()))
        return projectionError(err);
    endProgress();
    const bool hasPartition = inv.has(QStringLiteral("partition"));
    const QString partition = inv.value(QStringLiteral("partition"));
    if (hasPartition && !snap.partitioned)
        return inv.usageError(QStringLiteral("--partition: %1 is not partitioned (it has no partitionBy() or foreachStream())")
                                  .arg(l->a->fileName()));
    QJsonObject o{{QStringLiteral("projection"), l->a->fileName()},
                  {QStringLiteral("selector"), l->a->definition().describe()},
                  {QStringLiteral("position"), snap.position},
                  {QStringLiteral("lastEventPosition"), snap.lastEventPosition},
                  {QStringLiteral("state"), chosenState(snap, partition, hasPartition)}};
    if (hasPartition) {
        o.insert(QStringLiteral("partition"), partition);
        if (snap.partition(partition).isUndefined())
            std::fprintf(stderr, "chronoscope-cli: no partition '%s' at position %lld\n", qPrintable(partition),
                         static_cast<long long>(snap.position));
    }
    if (!snap.result.isUndefined())
        o.insert(QStringLiteral("result"), hasPartition ? orNull(snap.result.toObject().value(partition)) : snap.result);
    const QJsonObject rec = recorded(replay);
    for (auto it = rec.begin(); it != rec.end(); ++it)
        o.insert(it.key(), it.value());
    return printAnswer(inv, o.value(QStringLiteral("state")), o);
}

std::optional<int> runDiffProjection(Invocation& inv)
{
    if (!inv.has(QStringLiteral("projection")) && !inv.has(QStringLiteral("projection-b")))
        return std::nullopt;
    int exit = ExitOk;
    std::optional<Loaded> l = loadAll(inv, true, &exit);
    if (!l)
        return exit;
    QString error;
    std::unique_ptr<EventReader> readerB = l->reader->clone(&error);
    if (!readerB)
        return inv.inputError(error);
    ProjectionReplay ra(l->a.get(), l->reader.get());
    ProjectionReplay rb(l->b.get(), readerB.get());
    const std::optional<qint64> at = positionFrom(inv, atPrefix(inv), ra, &exit);
    if (!at)
        return exit;
    const CancelToken cancel = cancelOnInterrupt();
    const ProgressFn progress = inv.wantsProgress() ? stderrProgress() : ProgressFn();
    ProjectionSnapshot a, b;
    ProjectionError err;
    if (!ra.stateAt(*at, &a, &err, cancel, progress))
    {
        err.message = QStringLiteral("projection A: ") + err.message;
        return projectionError(err);
    }
    if (!rb.stateAt(*at, &b, &err, cancel, progress)) {
        err.message = QStringLiteral("projection B: ") + err.message;
        return projectionError(err);
    }
    endProgress();
    const bool hasPartition = inv.has(QStringLiteral("partition"));
    const QString partition = inv.value(QStringLiteral("partition"));
    const QJsonValue sa = chosenState(a, partition, hasPartition);
    const QJsonValue sb = chosenState(b, partition, hasPartition);
    QJsonObject o{{QStringLiteral("a"), l->a->fileName()},
                  {QStringLiteral("b"), l->b->fileName()},
                  {QStringLiteral("position"), a.position},
                  {QStringLiteral("equal"), sa == sb},
                  {QStringLiteral("patch"), diffJson(sa, sb)},
                  {QStringLiteral("stateA"), sa},
                  {QStringLiteral("stateB"), sb}};
    if (hasPartition)
        o.insert(QStringLiteral("partition"), partition);
    return printAnswer(inv, o.value(QStringLiteral("patch")), o);
}

std::optional<int> runBlameProjection(Invocation& inv)
{
    if (!inv.has(QStringLiteral("projection")))
        return std::nullopt;
    const QString path = inv.value(QStringLiteral("path"));
    if (!inv.has(QStringLiteral("path")))
        return inv.usageError(QStringLiteral("--path /json/pointer is required (into the projection's state, e.g. "
                                             "/total or /partitions/<name>/total)"));
    int exit = ExitOk;
    std::optional<Loaded> l = loadAll(inv, false, &exit);
    if (!l)
        return exit;
    ProjectionReplay replay(l->a.get(), l->reader.get());
    const std::optional<qint64> at = positionFrom(inv, QStringLiteral("at"), replay, &exit);
    if (!at)
        return exit;
    ProjectionBlame b;
    ProjectionError err;
    if (!replay.blame(*at, path, &b, &err, cancelOnInterrupt(), inv.wantsProgress() ? stderrProgress() : ProgressFn()))
        return projectionError(err);
    endProgress();
    if (!b.found)
        return inv.inputError(QStringLiteral("no event's handlers changed %1 in %2 (the value comes from $init, or "
                                             "there is none)").arg(path, l->a->fileName()));
    return printAnswer(inv, eventJson(b.event),
                       QJsonObject{{QStringLiteral("projection"), l->a->fileName()},
                                   {QStringLiteral("path"), path},
                                   {QStringLiteral("position"), *at == kNoLimit ? QJsonValue(QJsonValue::Null) : QJsonValue(*at)},
                                   {QStringLiteral("value"), orNull(b.value)},
                                   {QStringLiteral("event"), eventJson(b.event)}});
}

int runDivergence(Invocation& inv)
{
    int exit = ExitOk;
    std::optional<Loaded> l = loadAll(inv, true, &exit);
    if (!l)
        return exit;
    const auto to = inv.integer(QStringLiteral("to-position"), kNoLimit, 0);
    if (!to)
        return ExitUsage;
    const CancelToken cancel = cancelOnInterrupt();
    QElapsedTimer timer;
    timer.start();
    DivergenceResult d;
    ProjectionError err;
    if (!findDivergence(*l->a, *l->b, *l->reader, &d, &err, cancel,
                        inv.wantsProgress() ? stderrProgress() : ProgressFn(), *to))
        return projectionError(err);
    endProgress();
    const bool hasPartition = inv.has(QStringLiteral("partition"));
    const QString partition = hasPartition ? inv.value(QStringLiteral("partition")) : d.partition;
    // The differing partition's states when partitioned, else the whole states.
    const bool onePartition = hasPartition || (d.found && !d.initial && (d.a.partitioned || d.b.partitioned));
    auto pick = [&](const ProjectionSnapshot& s) {
        return onePartition && s.partitioned ? orNull(s.partition(partition)) : s.view();
    };
    const QJsonValue sa = pick(d.a), sb = pick(d.b);
    QJsonObject o{{QStringLiteral("a"), l->a->fileName()},
                  {QStringLiteral("b"), l->b->fileName()},
                  {QStringLiteral("diverged"), d.found},
                  {QStringLiteral("eventsRead"), d.eventsRead},
                  {QStringLiteral("eventsHandled"), d.eventsHandled},
                  {QStringLiteral("seconds"), double(timer.elapsed()) / 1000.0}};
    if (d.found) {
        o.insert(QStringLiteral("initial"), d.initial);
        o.insert(QStringLiteral("position"), d.initial ? 0 : d.event.position);
        o.insert(QStringLiteral("event"), d.initial ? QJsonValue(QJsonValue::Null) : eventJson(d.event));
        if (onePartition)
            o.insert(QStringLiteral("partition"), partition);
        o.insert(QStringLiteral("stateA"), sa);
        o.insert(QStringLiteral("stateB"), sb);
        o.insert(QStringLiteral("patch"), diffJson(sa, sb));
    } else {
        o.insert(QStringLiteral("position"), d.a.position);
    }
    // The answer: the event after which the states first differ; null when they agree to the end; "$init"
    // when they differ before the first event (their $init states).
    const QJsonValue answer = !d.found ? QJsonValue(QJsonValue::Null)
                              : d.initial ? QJsonValue(QStringLiteral("$init"))
                                          : o.value(QStringLiteral("event"));
    return printAnswer(inv, answer, o);
}

int runWatch(Invocation& inv)
{
    const QString predicate = inv.value(QStringLiteral("until"));
    if (predicate.trimmed().isEmpty())
        return inv.usageError(QStringLiteral("give the condition with --until 'state.balance < 0'"));
    int exit = ExitOk;
    std::optional<Loaded> l = loadAll(inv, false, &exit);
    if (!l)
        return exit;
    ProjectionReplay replay(l->a.get(), l->reader.get());
    const bool backward = inv.has(QStringLiteral("backward"));
    std::optional<qint64> from = positionFrom(inv, QStringLiteral("from"), replay, &exit);
    if (!from)
        return exit;
    if (*from == kNoLimit)
        from = backward ? kNoLimit : 0;
    const CancelToken cancel = cancelOnInterrupt();
    WatchHit hit;
    ProjectionError err;
    if (!replay.watch(predicate, *from, backward, inv.has(QStringLiteral("level")), &hit, &err, cancel,
                      inv.wantsProgress() ? stderrProgress() : ProgressFn()))
        return projectionError(err);
    endProgress();
    QJsonObject o{{QStringLiteral("projection"), l->a->fileName()},
                  {QStringLiteral("until"), predicate},
                  {QStringLiteral("direction"), backward ? QStringLiteral("backward") : QStringLiteral("forward")},
                  {QStringLiteral("found"), hit.found}};
    if (hit.found) {
        o.insert(QStringLiteral("position"), hit.event.position);
        o.insert(QStringLiteral("event"), eventJson(hit.event));
        if (hit.snapshot.partitioned)
            o.insert(QStringLiteral("partition"), hit.partition);
        o.insert(QStringLiteral("state"), hit.snapshot.partitioned ? orNull(hit.snapshot.partition(hit.partition))
                                                                   : hit.snapshot.view());
    }
    // The answer: the event where the condition holds; null when there is none.
    return printAnswer(inv, hit.found ? o.value(QStringLiteral("event")) : QJsonValue(QJsonValue::Null), o);
}

OptionSpec envelopeOption()
{
    return {QStringLiteral("envelope"), {},
            QStringLiteral("wrap the answer with the source, the projections, the position and the states")};
}

QList<OptionSpec> projectionOption()
{
    return {{QStringLiteral("projection"), QStringLiteral("FILE.js"),
             QStringLiteral("a KurrentDB-style JavaScript projection (fromAll/fromCategory/…/when)")}};
}

QList<OptionSpec> twoProjectionOptions()
{
    return projectionOption() + QList<OptionSpec>{
        {QStringLiteral("projection-b"), QStringLiteral("FILE.js"), QStringLiteral("the second version to compare with")},
        {QStringLiteral("partition"), QStringLiteral("P"), QStringLiteral("compare one partition of a partitioned projection")}};
}

const CommandRegistration stateExtension(CommandExtension{
    QStringLiteral("state"),
    projectionOption() + QList<OptionSpec>{{QStringLiteral("partition"), QStringLiteral("P"),
                                            QStringLiteral("with --projection: one partition's state")}} + limitOptions(),
    runStateProjection});

const CommandRegistration diffExtension(CommandExtension{
    QStringLiteral("diff"),
    QList<OptionSpec>{{QStringLiteral("projection"), QStringLiteral("A.js"), QStringLiteral("projection A (with --projection-b)")},
                      {QStringLiteral("projection-b"), QStringLiteral("B.js"),
                       QStringLiteral("projection B: prints A's state against B's at one point as an RFC 6902 patch")},
                      {QStringLiteral("partition"), QStringLiteral("P"), QStringLiteral("with --projection: one partition")}}
        + limitOptions(),
    runDiffProjection});

const CommandRegistration blameExtension(CommandExtension{
    QStringLiteral("blame"),
    projectionOption() + limitOptions(),
    runBlameProjection});

const CommandRegistration divergenceCommand(CommandSpec{
    QStringLiteral("divergence"),
    QStringLiteral("first event after which two versions of a projection disagree"),
    QStringLiteral("divergence URI --projection A.js --projection-b B.js [--to-position N]"),
    QStringLiteral("Runs both projections over the same events from the start and prints the first position after\n"
                   "which their states differ, the event there, both states (the differing partition's when\n"
                   "partitioned) and the RFC 6902 patch from A's to B's. Prints that event (null when they agree, \"$init\"\n"
                   "when their $init states differ); --envelope: {source, a, b, diverged, position, event, stateA, ...}."),
    1, 1,
    twoProjectionOptions() + QList<OptionSpec>{{QStringLiteral("to-position"), QStringLiteral("N"),
                                                QStringLiteral("stop comparing after position N")},
                                               envelopeOption()}
        + limitOptions(),
    runDivergence});

const CommandRegistration watchCommand(CommandSpec{
    QStringLiteral("watch"),
    QStringLiteral("run a projection to the next event where a condition on its state becomes true"),
    QStringLiteral("watch URI --projection F.js --until PREDICATE [--from-position N | --from-time T] [--backward] [--level]"),
    QStringLiteral("PREDICATE is a JavaScript expression over `state` and `event` (as the handlers see them, the\n"
                   "event's partition's state for a partitioned projection), e.g. 'state.balance < 0', or a\n"
                   "function text. Stops at the first event after --from (forward) or the last before it\n"
                   "(--backward) after which the predicate is true and before which it was false (with --level:\n"
                   "true at all). Prints that event (null when there is none); --envelope adds the source, the\n"
                   "projection, the predicate, its partition and the state right after it."),
    1, 1,
    projectionOption() + QList<OptionSpec>{
        {QStringLiteral("until"), QStringLiteral("PREDICATE"), QStringLiteral("the condition to stop at")},
        {QStringLiteral("from-position"), QStringLiteral("N"), QStringLiteral("start after (or, backward, before) position N")},
        {QStringLiteral("from-time"), QStringLiteral("T"), QStringLiteral("start at the last event at or before time T")},
        {QStringLiteral("backward"), {}, QStringLiteral("search toward the start of the log")},
        {QStringLiteral("level"), {}, QStringLiteral("stop wherever the predicate is true, not only where it turns true")},
        envelopeOption()}
        + limitOptions(),
    runWatch});

} // namespace

} // namespace chronoscope::cli
