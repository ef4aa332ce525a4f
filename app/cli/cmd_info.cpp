// info URI, streams URI [--match GLOB]
#include "commands.h"

#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"

#include <algorithm>

namespace chronoscope::cli {

namespace {

int runInfo(Invocation& inv)
{
    int exit = ExitOk;
    const QString uri = inv.positional().first();
    auto reader = inv.openReader(uri, &exit);
    if (!reader)
        return exit;
    const StoreInfo s = reader->info();
    QByteArray out = "{\"uri\":";
    appendJsonString(out, redactUri(uri));
    out += ",\"layout\":";
    appendJsonString(out, s.layout);
    out += ",\"location\":";
    appendJsonString(out, s.location.isEmpty() ? redactUri(uri) : s.location);
    out += ",\"events\":" + QByteArray::number(s.events);
    out += ",\"streams\":" + QByteArray::number(s.streams);
    out += ",\"firstPosition\":" + QByteArray::number(s.firstPosition);
    out += ",\"lastPosition\":" + QByteArray::number(s.lastPosition);
    out += ",\"firstTime\":";
    appendJsonTime(out, s.firstTime);
    out += ",\"lastTime\":";
    appendJsonTime(out, s.lastTime);
    out += ",\"timeKnown\":";
    out += s.timeKnown ? "true" : "false";
    out += ",\"warnings\":[";
    for (qsizetype i = 0; i < s.warnings.size(); ++i) {
        if (i)
            out += ',';
        appendJsonString(out, s.warnings[i]);
    }
    out += ']';
    // Native stores (and the caches of indexed files) record where they came from: show it.
    if (auto* native = dynamic_cast<SqliteStoreReader*>(reader.get())) {
        const QHash<QString, QString> meta = native->meta();
        QStringList keys = meta.keys();
        std::sort(keys.begin(), keys.end());
        out += ",\"meta\":{";
        for (qsizetype i = 0; i < keys.size(); ++i) {
            if (i)
                out += ',';
            appendJsonString(out, keys[i]);
            out += ':';
            appendJsonString(out, meta.value(keys[i]));
        }
        out += '}';
    }
    out += '}';
    writeJsonLine(out);
    return ExitOk;
}

int runStreams(Invocation& inv)
{
    int exit = ExitOk;
    auto reader = inv.openReader(inv.positional().first(), &exit);
    if (!reader)
        return exit;
    const QString pattern = inv.value(QStringLiteral("match"));
    const bool filter = inv.has(QStringLiteral("match"));
    QByteArray& line = outputBuffer(); // 200,000 streams: build each line in place
    // One stream at a time from the store: 2M streams list without holding them all.
    QString error;
    const bool ok = reader->forEachStream([&](const StreamInfo& s) {
        if (filter && !globMatch(pattern, s.stream))
            return true;
        line += "{\"stream\":";
        appendJsonString(line, s.stream);
        line += ",\"events\":";
        appendInt(line, s.events);
        line += ",\"firstVersion\":";
        appendInt(line, s.firstVersion);
        line += ",\"lastVersion\":";
        appendInt(line, s.lastVersion);
        line += ",\"firstPosition\":";
        appendInt(line, s.firstPosition);
        line += ",\"lastPosition\":";
        appendInt(line, s.lastPosition);
        line += ",\"firstTime\":";
        appendJsonTime(line, s.firstTime);
        line += ",\"lastTime\":";
        appendJsonTime(line, s.lastTime);
        line += "}\n";
        flushIfFull();
        return true;
    }, &error);
    if (!ok)
        return inv.inputError(error);
    return ExitOk;
}

const CommandRegistration infoCommand({
    QStringLiteral("info"),
    QStringLiteral("summary of a store: layout, event and stream counts, first/last position and time"),
    QStringLiteral("info URI"),
    QStringLiteral("Prints one JSON object: uri, layout, location, events, streams, firstPosition, lastPosition,\n"
                   "firstTime, lastTime, timeKnown, warnings, and for native stores meta (where the store came from:\n"
                   "source_uri, created_at, format, schema_version, ...)."),
    1, 1, {}, runInfo});

const CommandRegistration streamsCommand({
    QStringLiteral("streams"),
    QStringLiteral("every stream with its event count, first/last version and time (NDJSON)"),
    QStringLiteral("streams URI [--match GLOB]"),
    QStringLiteral("Prints one JSON object per stream, ordered by name: stream, events, firstVersion, lastVersion,\n"
                   "firstPosition, lastPosition, firstTime, lastTime."),
    1, 1,
    {{QStringLiteral("match"), QStringLiteral("GLOB"),
      QStringLiteral("only streams whose name matches GLOB (*, ?, [a-z]; e.g. 'order-*')")}},
    runStreams});

} // namespace

} // namespace chronoscope::cli
