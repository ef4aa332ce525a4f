// info URI, streams URI [--match GLOB]
#include "commands.h"

#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

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

/// Rows of the listing copied out of SQLite's row buffers: the unit handed from the thread that steps SQLite
/// to the thread that formats and writes (names' bytes side by side, offsets into `names`).
struct RowBatch
{
    struct Row
    {
        qsizetype nameAt = 0, nameSize = 0;
        qint64 events = 0, firstVersion = 0, lastVersion = 0, firstPosition = 0, lastPosition = 0;
        TimeMs firstTime = kNoTime, lastTime = kNoTime;
    };
    std::vector<Row> rows;
    QByteArray names;
    qsizetype worstBytes = 0; ///< room the rows' lines can take at most (rawLineRoom() each)

    static constexpr size_t kRows = 4096;            // rows a batch holds, ...
    static constexpr qsizetype kNameBytes = 1 << 20; // ... or fewer once its names reach 1 MB
    bool full() const { return rows.size() >= kRows || names.size() >= kNameBytes; }
    void clear()
    {
        rows.clear();
        names.resize(0); // keeps the capacity
        worstBytes = 0;
    }
    QByteArrayView name(const Row& r) const
    {
        return QByteArrayView(names.constData() + r.nameAt, r.nameSize);
    }
};

/// The most bytes one line of `streams` can take: every name byte escaped as \u00XX, seven integers of at
/// most 20 characters, two times, the keys and punctuation (under 128 bytes).
qsizetype rawLineRoom(qsizetype nameSize)
{
    return 6 * nameSize + 7 * 24 + 2 * kMaxJsonTimeBytes + 128;
}

/// One line of `streams` from a raw row at p (room for rawLineRoom()). Exactly the bytes of
/// appendStreamLine() below: a name of plain ASCII is escaped here as appendJsonString escapes it; any other
/// name (UTF-8 to validate, the rare case) is left to the StreamInfo path: nullptr, nothing written.
char* writeRawStreamLine(char* p, QByteArrayView name, const RowBatch::Row& r)
{
    auto lit = [&p](const char* s, size_t n) {
        std::memcpy(p, s, n);
        p += n;
    };
    lit("{\"stream\":\"", 11);
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) return nullptr;
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
    return p;
}

StreamInfo streamInfoOf(QByteArrayView name, const RowBatch::Row& r)
{
    StreamInfo s;
    s.stream = QString::fromUtf8(name);
    s.events = r.events;
    s.firstVersion = r.firstVersion;
    s.lastVersion = r.lastVersion;
    s.firstPosition = r.firstPosition;
    s.lastPosition = r.lastPosition;
    s.firstTime = r.firstTime;
    s.lastTime = r.lastTime;
    return s;
}

/// The hand-off between the two threads of a native listing: a fixed pool of batches (so memory stays a few
/// MB whatever the store), full ones in order to the writer, written ones back to the reader.
class BatchPipe
{
public:
    explicit BatchPipe(int batches) : m_pool(size_t(batches))
    {
        for (RowBatch& b : m_pool)
            m_free.push_back(&b);
    }
    /// Reader side: an empty batch to fill; nullptr once the writer has stopped.
    RowBatch* takeEmpty()
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_stopped || !m_free.empty(); });
        if (m_stopped) return nullptr;
        RowBatch* b = m_free.front();
        m_free.pop_front();
        return b;
    }
    void putFull(RowBatch* b)
    {
        {
            std::lock_guard lock(m_mutex);
            m_full.push_back(b);
        }
        m_changed.notify_all();
    }
    /// Reader side: no more batches (the last full one, if any, was put before).
    void finish()
    {
        {
            std::lock_guard lock(m_mutex);
            m_finished = true;
        }
        m_changed.notify_all();
    }
    /// Writer side: the next full batch in order; nullptr when the reader has finished and all were taken.
    RowBatch* takeFull()
    {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_finished || !m_full.empty(); });
        if (m_full.empty()) return nullptr;
        RowBatch* b = m_full.front();
        m_full.pop_front();
        return b;
    }
    void putEmpty(RowBatch* b)
    {
        b->clear();
        {
            std::lock_guard lock(m_mutex);
            m_free.push_back(b);
        }
        m_changed.notify_all();
    }
    /// Writer side: the output failed, the reader stops at its next batch.
    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopped = true;
        }
        m_changed.notify_all();
    }

private:
    std::vector<RowBatch> m_pool;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<RowBatch*> m_free, m_full;
    bool m_finished = false, m_stopped = false;
};

/// `streams` of a native store: one thread steps SQLite over the streams_listing index and copies the rows
/// into batches, this thread formats and writes them (issue 13's budget: 10M streams in well under 10 s; the
/// two halves of the work take about the same time, so each gets a core). Memory: four batches of at most
/// 4096 rows or 1 MB of names, and the 1 MB output buffer. With a pattern, only the names that match.
int listNativeStreams(Invocation& inv, SqliteStoreReader& native, const QString* pattern)
{
    BatchPipe pipe(4);
    QString error;
    bool ok = true;
    std::thread reader([&] {
        RowBatch* batch = pipe.takeEmpty();
        if (batch) {
            ok = native.forEachStreamRaw(
                [&](const SqliteStoreReader::RawStreamRow& r) {
                    RowBatch::Row row;
                    row.nameAt = batch->names.size();
                    row.nameSize = r.name.size();
                    row.events = r.events;
                    row.firstVersion = r.firstVersion;
                    row.lastVersion = r.lastVersion;
                    row.firstPosition = r.firstPosition;
                    row.lastPosition = r.lastPosition;
                    row.firstTime = r.firstTime;
                    row.lastTime = r.lastTime;
                    batch->names.append(r.name);
                    batch->rows.push_back(row);
                    batch->worstBytes += rawLineRoom(row.nameSize);
                    if (batch->full()) {
                        pipe.putFull(batch);
                        batch = pipe.takeEmpty();
                        if (!batch) return false; // the output failed: stop reading
                    }
                    return true;
                },
                &error);
            if (batch && !batch->rows.empty()) pipe.putFull(batch);
        }
        pipe.finish();
    });

    QByteArray& out = outputBuffer();
    while (RowBatch* batch = pipe.takeFull()) {
        // Room for the whole batch at once; a line that cannot be written here is written the StreamInfo way.
        qsizetype left = batch->worstBytes;
        qsizetype at = out.size();
        out.resize(at + left);
        char* p = out.data() + at;
        for (const RowBatch::Row& r : batch->rows) {
            const QByteArrayView name = batch->name(r);
            left -= rawLineRoom(r.nameSize);
            if (pattern && !globMatch(*pattern, QString::fromUtf8(name))) continue;
            if (char* end = writeRawStreamLine(p, name, r)) {
                p = end;
                continue;
            }
            out.resize(p - out.constData());
            appendStreamLine(out, streamInfoOf(name, r));
            at = out.size();
            out.resize(at + left);
            p = out.data() + at;
        }
        out.resize(p - out.constData());
        pipe.putEmpty(batch);
        flushIfFull();
        if (outputFailed()) {
            pipe.stop(); // main() reports the write error
            break;
        }
    }
    reader.join();
    if (!ok) return inv.inputError(error);
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
    if (auto* native = dynamic_cast<SqliteStoreReader*>(reader.get()))
        return listNativeStreams(inv, *native, filter ? &pattern : nullptr);
    // One stream at a time from the store: 2M streams list without holding them all.
    QByteArray& line = outputBuffer();
    QString error;
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
