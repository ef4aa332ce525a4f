// capture URI [--streams GLOB] [--since T] [--until T] [--last N] -o STORE [--follow] [--force]
#include "commands.h"

#include "sources/remote/remoteclient.h"
#include "sources/remote/remotesource.h"
#include "sources/sourceregistry.h"
#include "store/storewriter.h"
#include "util/filekind.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>

namespace chronoscope::cli {

namespace {

/// A local source (file): the same scope applied while copying into a new store.
bool captureLocal(Invocation& inv, EventReader& reader, const RemoteScope& scope, const QString& output, bool force,
                  const CancelToken& cancel, qint64* events, QString* error)
{
    EventQuery q;
    q.since = scope.since;
    q.until = scope.until;
    bool wild = false;
    remote::globPrefix(scope.streams, &wild);
    if (!scope.streams.isEmpty() && !wild)
        q.stream = scope.streams;
    auto matches = [&](const Event& e) { return scope.streams.isEmpty() || globMatch(scope.streams, e.stream); };
    qint64 skip = 0;
    if (scope.last >= 0) {
        qint64 n = 0;
        if (!reader.read(q, [&](const Event& e) { n += matches(e); return !cancel.isCancelled(); }, error))
            return false;
        skip = std::max<qint64>(0, n - scope.last);
    }
    StoreWriter::Options wo;
    wo.meta.insert(QStringLiteral("source_uri"), redactUri(inv.positional().first()));
    wo.meta.insert(QStringLiteral("source_layout"), reader.info().layout);
    wo.meta.insert(QStringLiteral("scope"), QString::fromUtf8(QJsonDocument(scope.toJson()).toJson(QJsonDocument::Compact)));
    wo.meta.insert(QStringLiteral("remote_complete"), QStringLiteral("true"));
    auto writer = StoreWriter::create(output, wo, error, force);
    if (!writer)
        return false;
    QString writeError;
    const bool ok = reader.read(q, [&](const Event& e) {
        if (!matches(e))
            return true;
        if (skip > 0) {
            --skip;
            return true;
        }
        return writer->append(e, &writeError) && !cancel.isCancelled();
    }, error);
    if (!ok || !writeError.isEmpty() || cancel.isCancelled()) {
        writer->abort();
        if (!writeError.isEmpty())
            *error = writeError;
        else if (cancel.isCancelled())
            *error = QStringLiteral("cancelled");
        return false;
    }
    *events = writer->eventCount();
    return writer->finish(error);
}

int runCapture(Invocation& inv)
{
    const QString uri = inv.positional().first();
    const QString output = inv.value(QStringLiteral("output"));
    if (output.isEmpty())
        return inv.usageError(QStringLiteral("give the store to create with -o STORE"));
    const bool force = inv.has(QStringLiteral("force"));
    QString pathError;
    if (!checkOutputPath(output, force, &pathError))
        return inv.inputError(pathError);
    QHash<QString, QString> params;
    for (const char* k : {"streams", "since", "until", "last"})
        if (inv.has(QLatin1String(k)))
            params.insert(QLatin1String(k), inv.value(QLatin1String(k)));
    RemoteScope scope;
    QString error;
    if (!RemoteScope::fromParams(params, &scope, &error))
        return inv.usageError(error);
    const bool follow = inv.has(QStringLiteral("follow"));
    // A followed capture is a finished store from the start, committed page by page: Ctrl-C ends it and
    // what was committed stays. Any other capture is written under OUTPUT.partial until it is complete.
    if (!follow)
        removeOutputOnInterrupt(output);
    const CancelToken cancel = cancelOnInterrupt();
    QElapsedTimer timer;
    timer.start();

    SourceProbe probe;
    if (!probeSource(uri, &probe, &error))
        return inv.inputError(error);
    QByteArray out = "{\"output\":";
    appendJsonString(out, output);
    out += ",\"source\":";
    appendJsonString(out, redactUri(uri));

    if (!isRemoteScheme(probe.scheme)) {
        if (follow)
            return inv.usageError(QStringLiteral("--follow needs a remote store (kurrentdb, eventsourcingdb, postgresql, redis)"));
        int exit = ExitOk;
        auto reader = inv.openReader(uri, &exit);
        if (!reader)
            return exit;
        qint64 events = 0;
        if (!captureLocal(inv, *reader, scope, output, force, cancel, &events, &error))
            return inv.inputError(error);
        out += ",\"layout\":";
        appendJsonString(out, reader->info().layout);
        out += ",\"scope\":" + QJsonDocument(scope.toJson()).toJson(QJsonDocument::Compact);
        out += ",\"events\":" + QByteArray::number(events) + ",\"complete\":true";
        out += ",\"seconds\":" + QByteArray::number(timer.nsecsElapsed() / 1e9, 'f', 3) + '}';
        writeJsonLine(out);
        return ExitOk;
    }

    RemoteFetchOptions o;
    o.scope = scope;
    o.live = follow;  // followed captures are committed page by page so they can be opened meanwhile
    o.follow = follow;
    o.overwrite = force;
    o.cancel = cancel;
    if (inv.wantsProgress())
        o.progress = stderrProgress();
    if (follow)
        o.committed = [](qint64 events, qint64) {
            std::fprintf(stderr, "\r%lld events captured (Ctrl-C ends following)   ", static_cast<long long>(events));
        };
    RemoteFetchResult r;
    fetchRemote(uri, output, o, &r);
    endProgress();
    if (follow)
        std::fprintf(stderr, "\n");
    if (r.layout.isEmpty())  // never connected: nothing was written (an existing STORE is untouched)
        return inv.inputError(r.error);
    out += ",\"layout\":";
    appendJsonString(out, r.layout);
    out += ",\"scope\":" + QJsonDocument(scope.toJson()).toJson(QJsonDocument::Compact);
    out += ",\"events\":" + QByteArray::number(r.events);
    out += ",\"complete\":";
    out += r.ok ? "true" : "false";
    if (!r.ok) {
        out += ",\"error\":";
        appendJsonString(out, r.error);
    }
    out += ",\"seconds\":" + QByteArray::number(timer.nsecsElapsed() / 1e9, 'f', 3) + '}';
    writeJsonLine(out);
    if (!r.ok)
        return inv.inputError(QStringLiteral("%1 (the %2 events read before are kept in %3)").arg(r.error).arg(r.events).arg(output));
    return ExitOk;
}

const CommandRegistration captureCommand({
    QStringLiteral("capture"),
    QStringLiteral("save a window of a store (remote or local) as a native store file"),
    QStringLiteral("capture URI [--streams GLOB] [--since T] [--until T] [--last N] -o STORE [--follow] [--force]"),
    QStringLiteral(
        "Reads the scope from URI (kurrentdb://, esdb://, eventsourcingdb://, postgresql://, redis://, kafka://\n"
        "or a file) page by page into STORE. The scope is pushed down to the server where its protocol allows.\n"
        "STORE records the source URI without secrets and the scope in its meta table. A read that fails\n"
        "part way keeps the events read before (exit 2, \"complete\": false). --follow keeps capturing new\n"
        "events until Ctrl-C. Passwords and tokens: in the URI, or $CHRONOSCOPE_PASSWORD / $CHRONOSCOPE_TOKEN\n"
        "(user: $CHRONOSCOPE_USER). Prints a summary object."),
    1, 1,
    {{QStringLiteral("output"), QStringLiteral("STORE"), QStringLiteral("the file to create (required)"), false, u'o'},
     {QStringLiteral("streams"), QStringLiteral("GLOB"), QStringLiteral("only streams matching GLOB (*, ?, [..])")},
     {QStringLiteral("since"), QStringLiteral("T"), QStringLiteral("only events at time T or later")},
     {QStringLiteral("until"), QStringLiteral("T"), QStringLiteral("only events at time T or earlier")},
     {QStringLiteral("last"), QStringLiteral("N"), QStringLiteral("only the newest N events of the window")},
     {QStringLiteral("follow"), {}, QStringLiteral("after the read, keep capturing new events until Ctrl-C")},
     {QStringLiteral("force"), {}, QStringLiteral("overwrite STORE if it exists")},
     {QStringLiteral("progress"), {}, QStringLiteral("report progress on stderr even when it is not a terminal")}},
    runCapture});

} // namespace

} // namespace chronoscope::cli
