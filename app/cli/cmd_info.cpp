// info URI, streams URI [--match GLOB]
#include "commands.h"

#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace chronoscope::cli {

namespace {

void appendStreamLine(QByteArray& line, const StreamInfo& s);

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

char* writeInt(char* p, qint64 v)
{
    return std::to_chars(p, p + 24, v).ptr;
}

/// One line of `streams` from a native store's raw row, written straight into the output buffer. Exactly the
/// bytes of the StreamInfo path below: a name of plain ASCII is escaped here as appendJsonString escapes it;
/// any other name (UTF-8 to validate, the rare case) goes through appendJsonString itself. False when the
/// line was not written (the caller writes it the other way).
bool appendRawStreamLine(QByteArray& out, const SqliteStoreReader::RawStreamRow& r)
{
    const qsizetype at = out.size();
    out.resize(at + 16 + 6 * r.name.size() + 6 * 24 + 2 * kMaxJsonTimeBytes + 128);
    char* const start = out.data() + at;
    char* p = start;
    auto lit = [&p](const char* s, size_t n) {
        std::memcpy(p, s, n);
        p += n;
    };
    lit("{\"stream\":\"", 11);
    for (const char c : r.name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            out.resize(at);
            return false;
        }
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;
        } else if (u < 0x20) {
            switch (c) {
            case '\n': lit("\\n", 2); break;
            case '\r': lit("\\r", 2); break;
            case '\t': lit("\\t", 2); break;
            default:
                std::snprintf(p, 7, "\\u%04x", u);
                p += 6;
            }
        } else {
            *p++ = c;
        }
    }
    lit("\",\"events\":", 11);
    p = writeInt(p, r.events);
    lit(",\"firstVersion\":", 16);
    p = writeInt(p, r.firstVersion);
    lit(",\"lastVersion\":", 15);
    p = writeInt(p, r.lastVersion);
    lit(",\"firstPosition\":", 17);
    p = writeInt(p, r.firstPosition);
    lit(",\"lastPosition\":", 16);
    p = writeInt(p, r.lastPosition);
    lit(",\"firstTime\":", 13);
    p = writeJsonTime(p, r.firstTime);
    lit(",\"lastTime\":", 12);
    p = writeJsonTime(p, r.lastTime);
    lit("}\n", 2);
    out.resize(at + (p - start));
    return true;
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
    QString error;
    if (auto* native = dynamic_cast<SqliteStoreReader*>(reader.get()); native && !filter) {
        // A native store's listing without a QString or StreamInfo per stream (2M streams: issue 13's budget).
        const bool ok = native->forEachStreamRaw([&](const SqliteStoreReader::RawStreamRow& r) {
            if (!appendRawStreamLine(line, r)) {
                StreamInfo s;
                s.stream = QString::fromUtf8(r.name);
                s.events = r.events;
                s.firstVersion = r.firstVersion;
                s.lastVersion = r.lastVersion;
                s.firstPosition = r.firstPosition;
                s.lastPosition = r.lastPosition;
                s.firstTime = r.firstTime;
                s.lastTime = r.lastTime;
                appendStreamLine(line, s);
            }
            flushIfFull();
            return true;
        }, &error);
        if (!ok)
            return inv.inputError(error);
        return ExitOk;
    }
    // One stream at a time from the store: 2M streams list without holding them all.
    const bool ok = reader->forEachStream([&](const StreamInfo& s) {
        if (filter && !globMatch(pattern, s.stream))
            return true;
        appendStreamLine(line, s);
        flushIfFull();
        return true;
    }, &error);
    if (!ok)
        return inv.inputError(error);
    return ExitOk;
}

void appendStreamLine(QByteArray& line, const StreamInfo& s)
{
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
