#include "import/importer.h"

#include "import/jsonscan.h"
#include "model/event.h"
#include "store/storewriter.h"
#include "util/filekind.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <array>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace chronoscope {

namespace {

using jsonscan::Member;
using jsonscan::Status;

constexpr qsizetype kReadChunk = 4 * 1024 * 1024;
constexpr int kMaxIssues = 1000;

// ---------------------------------------------------------------------------------------------
// Input: a plain or gzip-compressed file, read in chunks.

class InputFile
{
public:
    ~InputFile()
    {
        if (m_zInit)
            inflateEnd(&m_z);
    }

    bool open(const QString& path, QString* error)
    {
        // Only regular files: a FIFO without a writer would block open() forever (util/filekind.h).
        if (!openRegularFile(m_file, path, error))
            return false;
        m_size = m_file.size();
        char magic[2] = {0, 0};
        const qint64 n = m_file.peek(magic, 2);
        if (n == 2 && uchar(magic[0]) == 0x1f && uchar(magic[1]) == 0x8b) {
            m_gzip = true;
            m_z = z_stream{};
            if (inflateInit2(&m_z, 15 + 32) != Z_OK) {
                *error = QStringLiteral("%1: cannot start gzip decompression").arg(path);
                return false;
            }
            m_zInit = true;
            m_in.resize(1024 * 1024);
        }
        return true;
    }

    bool gzip() const { return m_gzip; }
    qint64 rawDone() const { return m_rawDone; }
    qint64 rawSize() const { return m_size; }
    /// A problem found while reading (corrupt or cut-short gzip); what was read before stays valid.
    QString problem() const { return m_problem; }

    /// Up to max bytes of JSON text; 0 at the end (or after a problem); -1 on a read error.
    qint64 read(char* dst, qint64 max)
    {
        if (!m_gzip) {
            const qint64 n = m_file.read(dst, max);
            if (n > 0)
                m_rawDone += n;
            if (n < 0)
                m_problem = m_file.errorString();
            return n;
        }
        if (m_finished)
            return 0;
        m_z.next_out = reinterpret_cast<Bytef*>(dst);
        m_z.avail_out = uInt(std::min<qint64>(max, 1 << 30));
        while (m_z.avail_out > 0) {
            if (m_z.avail_in == 0) {
                const qint64 n = m_file.read(m_in.data(), m_in.size());
                if (n < 0) {
                    m_problem = m_file.errorString();
                    return -1;
                }
                if (n == 0) {
                    if (!m_memberDone)
                        m_problem = QStringLiteral("the gzip data is cut short (the file ends inside it)");
                    m_finished = true;
                    break;
                }
                m_rawDone += n;
                m_z.next_in = reinterpret_cast<Bytef*>(m_in.data());
                m_z.avail_in = uInt(n);
            }
            if (m_memberDone) {
                // Concatenated gzip members (as `cat a.gz b.gz` makes) decompress as one text.
                inflateReset(&m_z);
                m_memberDone = false;
            }
            const int rc = inflate(&m_z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                m_memberDone = true;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                m_problem = QStringLiteral("the gzip data is corrupt (%1); the rest of the file was not read")
                                .arg(QString::fromLatin1(m_z.msg ? m_z.msg : "inflate failed"));
                m_finished = true;
                break;
            }
        }
        return qint64(m_z.next_out - reinterpret_cast<Bytef*>(dst));
    }

private:
    QFile m_file;
    qint64 m_size = 0;
    qint64 m_rawDone = 0;
    bool m_gzip = false;
    bool m_zInit = false;
    bool m_memberDone = false;
    bool m_finished = false;
    z_stream m_z{};
    QByteArray m_in;
    QString m_problem;
};

// ---------------------------------------------------------------------------------------------
// Field mapping.

enum Field { FStream, FType, FTime, FVersion, FPosition, FId, FData, FMetadata, FieldCount };
const std::array<const char*, FieldCount> kFieldNames{"stream", "type", "time", "version", "position", "id", "data", "metadata"};

struct Candidate
{
    Field field;
    int priority; ///< lower wins
};

// The names events carry their fields under in common stores and exports, best first.
const std::unordered_map<std::string_view, Candidate>& candidates()
{
    static const std::unordered_map<std::string_view, Candidate> table = [] {
        std::unordered_map<std::string_view, Candidate> t;
        auto add = [&t](Field f, std::initializer_list<const char*> names) {
            int prio = 0;
            for (const char* n : names)
                t.emplace(n, Candidate{f, prio++});
        };
        add(FStream, {"stream", "streamId", "stream_id", "streamName", "stream_name", "streamid", "aggregateId",
                      "aggregate_id", "aggregateID", "aggregate", "originator_id", "originatorId", "subject", "entityId",
                      "entity_id"});
        add(FType, {"type", "eventType", "event_type", "eventtype", "messageType", "message_type", "event"});
        add(FTime, {"time", "timestamp", "created", "createdAt", "created_at", "occurredAt", "occurred_at",
                    "occurredOn", "occurred_on", "recorded", "recordedAt", "recorded_at", "eventTime", "event_time",
                    "date", "ts"});
        add(FVersion, {"version", "streamVersion", "stream_version", "eventNumber", "event_number", "streamPosition",
                       "stream_position", "sequence", "sequenceNumber", "sequence_number", "seq", "originator_version",
                       "originatorVersion"});
        add(FPosition, {"global_position", "globalPosition", "commit_position", "commitPosition", "log_position",
                        "logPosition", "position"});
        add(FId, {"id", "eventId", "event_id", "eventID", "messageId", "message_id", "uuid"});
        add(FData, {"data", "payload", "body", "eventData", "event_data", "message_data", "messageData", "content"});
        add(FMetadata, {"metadata", "meta", "metaData", "meta_data", "headers", "message_metadata", "messageMetadata",
                        "event_metadata", "eventMetadata"});
        return t;
    }();
    return table;
}

// Case-insensitive second chance (StreamId, EventType, ...).
const std::unordered_map<std::string, Candidate>& lowerCandidates()
{
    static const std::unordered_map<std::string, Candidate> table = [] {
        std::unordered_map<std::string, Candidate> t;
        for (const auto& [k, v] : candidates()) {
            std::string lower(k);
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
            auto it = t.find(lower);
            if (it == t.end() || it->second.priority > v.priority)
                t[lower] = v;
        }
        return t;
    }();
    return table;
}

// ---------------------------------------------------------------------------------------------
// Values.

/// A JSON integer in the range of qint64; nullopt for anything else (a fraction, an exponent, a value
/// that does not fit: 9223372036854775808 must not wrap to -2^63).
std::optional<qint64> parseInteger(std::string_view s)
{
    if (s.empty())
        return std::nullopt;
    size_t i = 0;
    const bool negative = s[0] == '-';
    if (negative && s.size() == 1)
        return std::nullopt;
    i = negative ? 1 : 0;
    // Accumulated as a negative number: its range reaches -2^63, the positive one stops at 2^63 - 1.
    constexpr qint64 kMin = std::numeric_limits<qint64>::min();
    qint64 v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9')
            return std::nullopt;
        const int digit = s[i] - '0';
        if (v < (kMin + digit) / 10)
            return std::nullopt;
        v = v * 10 - digit;
    }
    if (negative)
        return v;
    if (v == kMin)
        return std::nullopt;
    return -v;
}

/// Whether a JSON string's text (escapes not yet decoded) has a \u escape of a lone surrogate: decoded
/// it would become U+FFFD and different names would merge into one.
bool hasLoneSurrogate(std::string_view raw)
{
    auto hex = [&raw](size_t at, unsigned& out) {
        if (at + 4 > raw.size())
            return false;
        out = 0;
        for (size_t k = at; k < at + 4; ++k) {
            const char c = raw[k];
            const unsigned d = c >= '0' && c <= '9' ? unsigned(c - '0')
                               : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                               : c >= 'A' && c <= 'F' ? unsigned(c - 'A' + 10)
                                                      : 16u;
            if (d > 15)
                return false;
            out = out * 16 + d;
        }
        return true;
    };
    for (size_t i = 0; i + 1 < raw.size(); ++i) {
        if (raw[i] != '\\')
            continue;
        if (raw[i + 1] != 'u') {
            ++i;  // an escaped character, maybe a backslash
            continue;
        }
        unsigned cu = 0;
        if (!hex(i + 2, cu))
            return true;  // not valid JSON anyway
        i += 5;
        if (cu >= 0xDC00 && cu <= 0xDFFF)
            return true;
        if (cu >= 0xD800 && cu <= 0xDBFF) {
            unsigned lo = 0;
            if (i + 2 >= raw.size() || raw[i + 1] != '\\' || raw[i + 2] != 'u' || !hex(i + 3, lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return true;
            i += 6;
        }
    }
    return false;
}

const char* kindName(char kind)
{
    switch (kind) {
    case '[': return "a JSON array";
    case '"': return "a string";
    case 'n': return "a number";
    case 't':
    case 'f': return "a boolean";
    case 'z': return "null";
    default: return "not an object";
    }
}

// ---------------------------------------------------------------------------------------------
// The importer is a pipeline of two threads: the parser (reading, scanning, mapping) fills batches of
// records, the calling thread writes them to the store. Records keep file order, and issues travel
// in the same stream, so the summary lists them in file order.

struct Record
{
    enum Kind : quint8 { EventRecord, IssueRecord } kind = EventRecord;
    bool hasVersion = false;
    bool dataIsJson = true;
    bool skipped = false;     ///< issue: the event was skipped
    bool hasId = false;
    qint64 line = 0;
    qint64 version = 0;
    qint64 position = 0;      ///< the source's global position, 0 if none
    TimeMs time = kNoTime;
    // Offsets into Batch::arena.
    quint32 stream = 0, streamLen = 0, type = 0, typeLen = 0, id = 0, idLen = 0;
    size_t data = 0, dataLen = 0, meta = 0, metaLen = 0; ///< issue: data/dataLen hold the message
};

struct Batch
{
    int file = 0;             ///< index into the inputs
    qint64 rawDone = 0;       ///< input bytes read so far (for progress)
    std::string arena;
    std::vector<Record> records;
    bool last = false;        ///< no more batches
};

class BatchQueue
{
public:
    void push(std::unique_ptr<Batch> b)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [this] { return m_items.size() < kCapacity || m_closed; });
        if (m_closed)
            return;
        m_items.push_back(std::move(b));
        m_notEmpty.notify_one();
    }
    std::unique_ptr<Batch> pop()
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [this] { return !m_items.empty(); });
        auto b = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return b;
    }
    /// The consumer gives up: wakes a waiting producer, drops whatever it pushes from now on.
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_items.clear();
        m_notFull.notify_all();
    }
    bool closed()
    {
        std::lock_guard lock(m_mutex);
        return m_closed;
    }

private:
    static constexpr size_t kCapacity = 4;
    std::mutex m_mutex;
    std::condition_variable m_notFull, m_notEmpty;
    std::deque<std::unique_ptr<Batch>> m_items;
    bool m_closed = false;
};

class Importer
{
public:
    Importer(const ImportOptions& options, BatchQueue& queue) : m_options(options), m_queue(queue) {}

    bool setMapping(QString* error)
    {
        const QStringList fields = mappingFields();
        for (auto it = m_options.mapping.cbegin(); it != m_options.mapping.cend(); ++it) {
            const int f = int(fields.indexOf(it.key()));
            if (f < 0) {
                *error = QStringLiteral("unknown field '%1' in the mapping (known: %2)").arg(it.key(), fields.join(QLatin1String(", ")));
                return false;
            }
            if (it.value().isEmpty()) {
                *error = QStringLiteral("the mapping for '%1' names no source field").arg(it.key());
                return false;
            }
            m_explicit[size_t(f)] = it.value().toStdString();
            m_hasExplicit[size_t(f)] = true;
        }
        return true;
    }

    /// false only for a fatal problem.
    bool importFile(const QString& path, int fileIndex, QString* error);
    /// Hands the last batch over, marked as the end.
    void finishBatches();

    QStringList formats;
    qint64 bytes = 0;

private:
    void issue(qint64 line, const QString& message, bool skipped);
    void processObject(std::vector<Member>& members, qint64 line);
    bool fill(bool grow);
    void advance(size_t to);
    void skipToNextLine();
    /// The event or line being read is longer than ImportOptions::maxEventBytes.
    bool overLimit() const;
    QString limitText() const;
    void emitEvent(const StoreWriter::RawEvent& e, qint64 line);
    void flushBatch(bool last = false);
    bool stopped() const { return m_options.cancel.isCancelled() || m_queue.closed(); }

    const ImportOptions& m_options;
    BatchQueue& m_queue;
    std::unique_ptr<Batch> m_batch = std::make_unique<Batch>();
    int m_fileIndex = 0;
    std::array<std::string, FieldCount> m_explicit;
    std::array<bool, FieldCount> m_hasExplicit{};

    // Per file.
    InputFile* m_in = nullptr;
    QString m_file;
    std::vector<char> m_buf;
    size_t m_begin = 0, m_end = 0;
    bool m_eof = false;
    qint64 m_line = 1;
    QString m_fatal;

    // Across files.
    qint64 m_objects = 0;
    qint64 m_cloudEvents = 0;
    qint64 m_rawDoneBefore = 0;
    std::vector<Member> m_members;
    std::string m_scratch[4];
    std::string m_dataText, m_metaText, m_streamText, m_typeText, m_idText, m_timeText;

};

void Importer::issue(qint64 line, const QString& message, bool skipped)
{
    Record r;
    r.kind = Record::IssueRecord;
    r.line = line;
    r.skipped = skipped;
    const QByteArray utf8 = message.toUtf8();
    r.data = m_batch->arena.size();
    r.dataLen = size_t(utf8.size());
    m_batch->arena.append(utf8.constData(), size_t(utf8.size()));
    m_batch->records.push_back(r);
}

void Importer::emitEvent(const StoreWriter::RawEvent& e, qint64 line)
{
    std::string& a = m_batch->arena;
    auto put = [&a](QByteArrayView v, auto& offset, auto& length) {
        offset = std::remove_reference_t<decltype(offset)>(a.size());
        length = std::remove_reference_t<decltype(length)>(v.size());
        a.append(v.data(), size_t(v.size()));
    };
    Record r;
    r.line = line;
    r.hasVersion = e.hasVersion;
    r.version = e.version;
    r.position = e.position;
    r.time = e.time;
    r.dataIsJson = e.dataIsJson;
    r.hasId = !e.id.isNull();
    put(e.stream, r.stream, r.streamLen);
    put(e.type, r.type, r.typeLen);
    put(e.id, r.id, r.idLen);
    put(e.data, r.data, r.dataLen);
    put(e.metadata, r.meta, r.metaLen);
    m_batch->records.push_back(r);
    if (m_batch->arena.size() >= (2u << 20) || m_batch->records.size() >= 8192)
        flushBatch();
}

void Importer::flushBatch(bool last)
{
    m_batch->file = m_fileIndex;
    m_batch->rawDone = m_rawDoneBefore + (m_in ? m_in->rawDone() : 0);
    m_batch->last = last;
    m_queue.push(std::move(m_batch));
    m_batch = std::make_unique<Batch>();
    m_batch->arena.reserve(2u << 20);
}

void Importer::finishBatches()
{
    flushBatch(true);
}

bool Importer::fill(bool grow)
{
    if (m_begin > 0) {
        std::memmove(m_buf.data(), m_buf.data() + m_begin, m_end - m_begin);
        m_end -= m_begin;
        m_begin = 0;
    }
    // Grow when less than half is free, so re-scanning a long value after each read stays linear overall.
    if (m_buf.size() < size_t(kReadChunk) || (grow && m_buf.size() - m_end < m_buf.size() / 2))
        m_buf.resize(std::max(m_buf.size() * 2, size_t(kReadChunk)));
    const qint64 n = m_in->read(m_buf.data() + m_end, qint64(m_buf.size() - m_end));
    if (n < 0) {
        m_fatal = QStringLiteral("%1: read error (%2)").arg(m_file, m_in->problem());
        return false;
    }
    if (n == 0)
        m_eof = true;
    m_end += size_t(n);
    bytes += n;
    return true;
}

void Importer::advance(size_t to)
{
    const char* p = m_buf.data() + m_begin;
    const char* e = m_buf.data() + to;
    while ((p = static_cast<const char*>(std::memchr(p, '\n', size_t(e - p))))) {
        ++m_line;
        ++p;
    }
    m_begin = to;
}

void Importer::skipToNextLine()
{
    for (;;) {
        const void* nl = std::memchr(m_buf.data() + m_begin, '\n', m_end - m_begin);
        if (nl) {
            advance(size_t(static_cast<const char*>(nl) - m_buf.data()) + 1);
            return;
        }
        m_begin = m_end;
        if (m_eof || stopped() || !fill(false))
            return;
    }
}

bool Importer::overLimit() const
{
    return m_options.maxEventBytes > 0 && qint64(m_end - m_begin) > m_options.maxEventBytes;
}

QString Importer::limitText() const
{
    const qint64 n = m_options.maxEventBytes;
    const QString size = n % (1024 * 1024) == 0 ? QStringLiteral("%1 MiB").arg(n / (1024 * 1024))
                         : n % 1024 == 0        ? QStringLiteral("%1 KiB").arg(n / 1024)
                                                : QStringLiteral("%1 bytes").arg(n);
    return QStringLiteral("the limit of %1 (--max-event-size)").arg(size);
}

bool Importer::importFile(const QString& path, int fileIndex, QString* error)
{
    // A batch never spans two files (it carries its file's index).
    if (!m_batch->records.empty())
        flushBatch();
    m_fileIndex = fileIndex;
    InputFile in;
    if (!in.open(path, error))
        return false;
    m_in = &in;
    // Every return below must drop the pointer: finishBatches() reads m_in after this function returned.
    const auto forgetInput = qScopeGuard([this] { m_in = nullptr; });
    m_file = path;
    m_buf.clear();
    m_begin = m_end = 0;
    m_eof = false;
    m_line = 1;
    m_fatal.clear();

    enum Mode { Unknown, Objects, Array } mode = Unknown;
    enum LineMode { Undecided, Lines, MultiLine } lineMode = Undecided;
    bool expectComma = false, arrayClosed = false, abandoned = false;
    const qint64 objectsBefore = m_objects, ceBefore = m_cloudEvents;
    bool first = true;

    for (;;) {
        if (stopped())
            return true;
        while (m_begin < m_end && jsonscan::isSpace(m_buf[m_begin])) {
            if (m_buf[m_begin] == '\n')
                ++m_line;
            ++m_begin;
        }
        if (m_begin == m_end) {
            if (m_eof)
                break;
            if (!fill(false)) {
                *error = m_fatal;
                return false;
            }
            if (first && m_end >= 3 && std::memcmp(m_buf.data(), "\xEF\xBB\xBF", 3) == 0)
                m_begin = 3; // UTF-8 byte order mark
            first = false;
            continue;
        }
        const char c = m_buf[m_begin];
        if (mode == Unknown) {
            if (c == '[') {
                mode = Array;
                ++m_begin;
                continue;
            }
            if (c != '{') {
                const QString shown = (uchar(c) >= 0x20 && uchar(c) < 0x7f) ? QStringLiteral("'%1'").arg(QLatin1Char(c))
                                                                             : QStringLiteral("byte 0x%1").arg(uchar(c), 2, 16, QLatin1Char('0'));
                *error = QStringLiteral("%1:%2: not JSON (it starts with %3; expected NDJSON, a JSON array or "
                                        "CloudEvents)")
                             .arg(path)
                             .arg(m_line)
                             .arg(shown);
                return false;
            }
            mode = Objects;
        }
        if (mode == Array) {
            if (arrayClosed) {
                issue(m_line, QStringLiteral("content after the closing ']' of the array is ignored"), false);
                break;
            }
            if (expectComma) {
                if (c == ',') {
                    ++m_begin;
                    expectComma = false;
                    continue;
                }
                if (c == ']') {
                    ++m_begin;
                    arrayClosed = true;
                    continue;
                }
                issue(m_line, QStringLiteral("expected ',' or ']' between array elements; skipped to the next line"), true);
                skipToNextLine();
                expectComma = false;
                continue;
            }
            if (c == ']') {
                ++m_begin;
                arrayClosed = true;
                continue;
            }
        }

        // NDJSON (decided by the first event: it ends on its own line) is scanned one line at a time, so a
        // line cut short never swallows the next one. Pretty-printed objects and array elements span lines.
        size_t limit = m_end;
        bool lineLimited = false;
        if (mode == Objects && lineMode != MultiLine) {
            const void* nl = std::memchr(m_buf.data() + m_begin, '\n', m_end - m_begin);
            if (!nl && !m_eof && overLimit()) {
                // Skipped through to its end in fixed-size reads: memory stays bounded however long it is.
                const qint64 line = m_line;
                skipToNextLine();
                issue(line, QStringLiteral("the line is longer than %1; skipped%2")
                                .arg(limitText(), m_eof && m_begin == m_end ? QStringLiteral(" (it runs to the end of the file)")
                                                                            : QString()),
                      true);
                if (!m_fatal.isEmpty()) {
                    *error = m_fatal;
                    return false;
                }
                continue;
            }
            if (!nl && !m_eof) {
                if (!fill(true)) {
                    *error = m_fatal;
                    return false;
                }
                continue;
            }
            if (nl) {
                // The line break is part of the scan: it ends a number and is an error inside a string.
                limit = size_t(static_cast<const char*>(nl) - m_buf.data()) + 1;
                lineLimited = true;
                if (m_options.maxEventBytes > 0 && qint64(limit - 1 - m_begin) > m_options.maxEventBytes) {
                    issue(m_line, QStringLiteral("the line is longer than %1; skipped").arg(limitText()), true);
                    advance(limit);
                    continue;
                }
            }
        }
        bool isObject = false;
        const char* start = m_buf.data() + m_begin;
        const jsonscan::Result r = jsonscan::scanTopValue(start, m_buf.data() + limit, m_members, &isObject);
        if (r.status == Status::Incomplete) {
            if (mode == Objects && lineMode == Undecided && lineLimited) {
                lineMode = MultiLine; // the first event spans lines: a pretty-printed file
                continue;
            }
            if (lineLimited) {
                issue(m_line, QStringLiteral("the line ends before its event does (cut short)"), true);
                advance(limit);
                continue;
            }
            if (!m_eof && overLimit()) {
                // A JSON array element or a pretty-printed event has no line to resume at: stop this file.
                issue(m_line, QStringLiteral("the event is longer than %1; it and the rest of the file were not read")
                                  .arg(limitText()),
                      true);
                m_begin = m_end;
                abandoned = true;
                break;
            }
            if (!m_eof) {
                if (!fill(true)) {
                    *error = m_fatal;
                    return false;
                }
                continue;
            }
            issue(m_line, QStringLiteral("the file ends inside this event (truncated)"), true);
            m_begin = m_end;
            break;
        }
        if (mode == Objects && lineMode == Undecided)
            lineMode = Lines;
        if (r.status == Status::Error) {
            const size_t errAt = size_t(r.errorAt - m_buf.data());
            // Line and column of the error, for the message.
            qint64 errLine = m_line;
            for (size_t i = m_begin; i < errAt; ++i)
                if (m_buf[i] == '\n')
                    ++errLine;
            size_t lineStart = errAt;
            while (lineStart > 0 && m_buf[lineStart - 1] != '\n')
                --lineStart;
            QString msg = QString::fromLatin1(r.message);
            if (errLine != m_line)
                msg += QStringLiteral(" (at line %1, column %2)").arg(errLine).arg(errAt - lineStart + 1);
            else
                msg += QStringLiteral(" (column %1)").arg(errAt - lineStart + 1);
            issue(m_line, msg, true);
            if (mode == Array)
                expectComma = false;
            if (lineStart > m_begin) {
                // The event broke off and a later line starts fresh (a cut-short line): resume there.
                advance(lineStart);
            } else {
                advance(errAt);
                skipToNextLine();
            }
            continue;
        }
        if (lineLimited) {
            size_t rest = size_t(r.end - m_buf.data());
            while (rest < limit && jsonscan::isSpace(m_buf[rest]))
                ++rest;
            if (rest < limit) {
                size_t lineStart = m_begin;
                while (lineStart > 0 && m_buf[lineStart - 1] != '\n')
                    --lineStart;
                issue(m_line, QStringLiteral("unexpected text after the event (column %1)").arg(rest - lineStart + 1), true);
                advance(limit);
                continue;
            }
        }
        if (m_options.maxEventBytes > 0 && r.end - start > m_options.maxEventBytes) {
            issue(m_line, QStringLiteral("the event is longer than %1; skipped").arg(limitText()), true);
        } else if (!isObject) {
            issue(m_line, QStringLiteral("%1, not an event object").arg(QLatin1String(kindName(c == '-' || (c >= '0' && c <= '9') ? 'n' : (c == 'n' ? 'z' : c)))), true);
        } else {
            processObject(m_members, m_line);
        }
        advance(size_t(r.end - m_buf.data()));
        if (mode == Array)
            expectComma = true;
    }
    if (!in.problem().isEmpty())
        issue(m_line, in.problem(), false);
    if (mode == Array && !arrayClosed && !stopped() && !abandoned)
        issue(m_line, QStringLiteral("the array is not closed (the file may be cut short)"), false);
    if (mode == Unknown)
        issue(0, QStringLiteral("the file is empty (no events)"), false);

    QString format;
    const qint64 objects = m_objects - objectsBefore, ces = m_cloudEvents - ceBefore;
    const bool ce = objects > 0 && ces == objects;
    if (mode == Array)
        format = ce ? QStringLiteral("cloudevents-batch") : QStringLiteral("json-array");
    else if (mode == Objects)
        format = ce ? QStringLiteral("cloudevents") : QStringLiteral("ndjson");
    else
        format = QStringLiteral("empty");
    if (in.gzip())
        format += QStringLiteral("+gzip");
    formats << format;
    flushBatch();
    m_rawDoneBefore += in.rawSize();
    m_in = nullptr;
    return true;
}

void Importer::processObject(std::vector<Member>& members, qint64 line)
{
    ++m_objects;
    // Which member feeds which canonical field.
    std::array<int, FieldCount> chosen;
    chosen.fill(-1);
    std::string keyScratch;
    auto keyOf = [&](const Member& m) -> std::string_view {
        if (!m.keyEscaped)
            return m.key;
        jsonscan::decodeString(m.key, keyScratch);
        return keyScratch;
    };

    bool cloudEvent = false;
    for (const Member& m : members)
        if (!m.keyEscaped && m.key == "specversion") {
            cloudEvent = true;
            break;
        }
    for (Member& m : members)
        m.claimedBy = -1;

    // 1. Explicit mapping.
    for (int f = 0; f < FieldCount; ++f) {
        if (!m_hasExplicit[size_t(f)])
            continue;
        for (size_t i = 0; i < members.size(); ++i)
            if (members[i].claimedBy < 0 && keyOf(members[i]) == m_explicit[size_t(f)]) {
                chosen[size_t(f)] = int(i);
                members[i].claimedBy = f;
                break;
            }
    }

    int dataBase64 = -1;
    int dataContentType = -1;
    if (cloudEvent) {
        ++m_cloudEvents;
        // CloudEvents: the attribute names are fixed by the spec.
        int subject = -1, source = -1;
        for (size_t i = 0; i < members.size(); ++i) {
            Member& m = members[i];
            if (m.claimedBy >= 0)
                continue;
            const std::string_view k = keyOf(m);
            auto take = [&](Field f) {
                if (!m_hasExplicit[size_t(f)] && chosen[size_t(f)] < 0) {
                    chosen[size_t(f)] = int(i);
                    m.claimedBy = f;
                }
            };
            if (k == "subject")
                subject = int(i);
            else if (k == "source")
                source = int(i);
            else if (k == "type")
                take(FType);
            else if (k == "time")
                take(FTime);
            else if (k == "id")
                take(FId);
            else if (k == "data")
                take(FData);
            else if (k == "data_base64")
                dataBase64 = int(i);
            else if (k == "specversion")
                m.claimedBy = FieldCount; // not copied into metadata
            if (k == "datacontenttype")
                dataContentType = int(i);
        }
        if (!m_hasExplicit[FStream] && chosen[FStream] < 0) {
            const int s = subject >= 0 ? subject : source;
            if (s >= 0) {
                chosen[FStream] = s;
                members[size_t(s)].claimedBy = FStream;
            }
        }
        if (chosen[FData] < 0 && dataBase64 >= 0 && !m_hasExplicit[FData]) {
            chosen[FData] = dataBase64;
            members[size_t(dataBase64)].claimedBy = FData;
        }
    } else {
        // 2. Detection by name; the best-ranked name wins each field.
        std::array<int, FieldCount> prio;
        prio.fill(1 << 20);
        int positionLoser = -1;
        for (size_t i = 0; i < members.size(); ++i) {
            Member& m = members[i];
            if (m.claimedBy >= 0)
                continue;
            const std::string_view k = keyOf(m);
            const Candidate* c = nullptr;
            auto it = candidates().find(k);
            if (it != candidates().end()) {
                c = &it->second;
            } else if (k.size() <= 40) {
                char lower[41];
                for (size_t j = 0; j < k.size(); ++j)
                    lower[j] = char(std::tolower(uchar(k[j])));
                auto lt = lowerCandidates().find(std::string(lower, k.size()));
                if (lt != lowerCandidates().end())
                    c = &lt->second;
            }
            if (!c || m_hasExplicit[size_t(c->field)])
                continue;
            if (c->priority < prio[size_t(c->field)]) {
                if (c->field == FPosition && chosen[FPosition] >= 0 && keyOf(members[size_t(chosen[FPosition])]) == "position")
                    positionLoser = chosen[FPosition];
                prio[size_t(c->field)] = c->priority;
                chosen[size_t(c->field)] = int(i);
            } else if (c->field == FPosition && k == "position") {
                positionLoser = int(i);
            }
        }
        // "position" next to a global position is the stream version (Message DB's naming).
        if (positionLoser >= 0 && chosen[FVersion] < 0 && !m_hasExplicit[FVersion])
            chosen[FVersion] = positionLoser;
        for (int f = 0; f < FieldCount; ++f)
            if (chosen[size_t(f)] >= 0)
                members[size_t(chosen[size_t(f)])].claimedBy = f;
    }

    auto member = [&](Field f) -> const Member* {
        return chosen[size_t(f)] >= 0 ? &members[size_t(chosen[size_t(f)])] : nullptr;
    };
    // A string or number as UTF-8 text (escapes decoded).
    auto textOf = [](const Member* m, std::string& scratch) -> std::optional<std::string_view> {
        if (!m)
            return std::nullopt;
        if (m->kind == 'n')
            return m->value;
        if (m->kind != '"')
            return std::nullopt;
        const std::string_view raw = m->value.substr(1, m->value.size() - 2);
        if (raw.find('\\') == std::string_view::npos)
            return raw;
        jsonscan::decodeString(raw, scratch);
        return std::string_view(scratch);
    };

    StoreWriter::RawEvent e;
    const auto stream = textOf(member(FStream), m_streamText);
    if (!stream || stream->empty()) {
        const Member* m = member(FStream);
        if (m)
            issue(line, QStringLiteral("the stream field '%1' is %2; the event needs a stream name")
                            .arg(QString::fromUtf8(keyOf(*m).data(), qsizetype(keyOf(*m).size())))
                            .arg(m->kind == '"' ? QStringLiteral("empty") : QString::fromLatin1(kindName(m->kind))),
                  true);
        else if (m_hasExplicit[FStream])
            issue(line, QStringLiteral("no field '%1' (mapped to stream)").arg(QString::fromStdString(m_explicit[FStream])), true);
        else
            issue(line,
                  QStringLiteral("no stream field (looked for stream, streamId, stream_name, aggregateId, subject, ...); "
                                 "give the mapping for stream"),
                  true);
        return;
    }
    if (member(FStream)->kind == '"' && hasLoneSurrogate(member(FStream)->value)) {
        // Decoded, the half pair would become U+FFFD, the same name as every other such stream's.
        issue(line,
              QStringLiteral("the stream name %1 has an unpaired UTF-16 surrogate escape (\\uD800 to \\uDFFF "
                             "without its other half): it is not Unicode text and would merge with other streams")
                  .arg(QString::fromUtf8(member(FStream)->value.data(),
                                         qsizetype(std::min<size_t>(member(FStream)->value.size(), 80)))),
              true);
        return;
    }
    e.stream = QByteArrayView(stream->data(), qsizetype(stream->size()));
    if (const auto type = textOf(member(FType), m_typeText))
        e.type = QByteArrayView(type->data(), qsizetype(type->size()));
    else
        e.type = QByteArrayView("", 0);
    if (const auto id = textOf(member(FId), m_idText))
        e.id = QByteArrayView(id->data(), qsizetype(id->size()));

    if (const Member* m = member(FVersion)) {
        std::optional<qint64> v;
        if (const auto t = textOf(m, m_scratch[0]))
            v = parseInteger(*t);
        if (!v) {
            const QString shown = QString::fromUtf8(m->value.data(), qsizetype(std::min<size_t>(m->value.size(), 40)));
            const std::string_view digits = m->kind == 'n' ? m->value : std::string_view();
            const bool integral = !digits.empty() && digits.find_first_of(".eE") == std::string_view::npos;
            issue(line,
                  integral ? QStringLiteral("the version %1 is out of range (-9223372036854775808 to "
                                            "9223372036854775807)")
                                 .arg(shown)
                           : QStringLiteral("the version %1 is not an integer").arg(shown),
                  true);
            return;
        }
        e.version = *v;
        e.hasVersion = true;
    } else {
        e.hasVersion = false;
    }

    if (const Member* m = member(FPosition)) {
        // Whether it is used is decided where events are written (it must exceed the previous one).
        std::optional<qint64> p;
        if (const auto t = textOf(m, m_scratch[1]))
            p = parseInteger(*t);
        if (p && *p > 0)
            e.position = *p;
    }

    if (const Member* m = member(FTime)) {
        std::optional<TimeMs> t;
        // The one time parser, on the bytes: a string as written, a number as epoch seconds/milliseconds.
        QString why;
        if (m->kind == '"' || m->kind == 'n')
            t = parseTime(m->kind == 'n' ? m->value : *textOf(m, m_timeText), &why);
        if (t)
            e.time = *t;
        else if (m->kind != 'z')
            issue(line,
                  QStringLiteral("the time %1 is not understood (%2); the event is kept without a time")
                      .arg(QString::fromUtf8(m->value.data(), qsizetype(std::min<size_t>(m->value.size(), 60))),
                           why.isEmpty() ? QStringLiteral("not a string or a number") : why),
                  false);
    }

    // data: the mapped member, else (outside CloudEvents) the members no canonical field took.
    if (const Member* m = member(FData)) {
        if (m->spaced) {
            jsonscan::compact(m->value, m_dataText);
            e.data = QByteArrayView(m_dataText.data(), qsizetype(m_dataText.size()));
        } else {
            e.data = QByteArrayView(m->value.data(), qsizetype(m->value.size()));
        }
        if (chosen[FData] == dataBase64)
            e.dataIsJson = false; // binary payload kept as its base64 string
        else if (dataContentType >= 0 && m->kind == '"') {
            const std::string_view ct = members[size_t(dataContentType)].value;
            if (ct.find("json") == std::string_view::npos)
                e.dataIsJson = false;
        }
    } else if (!cloudEvent) {
        m_dataText.assign(1, '{');
        for (const Member& x : members) {
            if (x.claimedBy >= 0)
                continue;
            if (m_dataText.size() > 1)
                m_dataText += ',';
            m_dataText += '"';
            m_dataText.append(x.key);
            m_dataText += "\":";
            if (x.spaced) {
                jsonscan::compact(x.value, m_scratch[2]);
                m_dataText += m_scratch[2];
            } else {
                m_dataText.append(x.value);
            }
        }
        m_dataText += '}';
        e.data = QByteArrayView(m_dataText.data(), qsizetype(m_dataText.size()));
    } else {
        e.data = QByteArrayView("null", 4);
    }

    // metadata: the mapped member; for CloudEvents the remaining attributes (extensions, source, ...).
    if (const Member* m = member(FMetadata)) {
        if (m->spaced) {
            jsonscan::compact(m->value, m_metaText);
            e.metadata = QByteArrayView(m_metaText.data(), qsizetype(m_metaText.size()));
        } else {
            e.metadata = QByteArrayView(m->value.data(), qsizetype(m->value.size()));
        }
    } else if (cloudEvent) {
        m_metaText.assign(1, '{');
        for (const Member& x : members) {
            if (x.claimedBy >= 0)
                continue;
            if (m_metaText.size() > 1)
                m_metaText += ',';
            m_metaText += '"';
            m_metaText.append(x.key);
            m_metaText += "\":";
            if (x.spaced) {
                jsonscan::compact(x.value, m_scratch[3]);
                m_metaText += m_scratch[3];
            } else {
                m_metaText.append(x.value);
            }
        }
        m_metaText += '}';
        e.metadata = QByteArrayView(m_metaText.data(), qsizetype(m_metaText.size()));
    }

    emitEvent(e, line);
}

} // namespace

QStringList mappingFields()
{
    QStringList out;
    for (const char* n : kFieldNames)
        out << QString::fromLatin1(n);
    return out;
}

QString sniffJsonFormat(const QByteArray& head)
{
    qsizetype i = head.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    while (i < head.size() && jsonscan::isSpace(head[i]))
        ++i;
    if (i >= head.size())
        return {};
    const char c = head[i];
    if (c != '{' && c != '[')
        return {};
    // Look for a member name right after the bracket, so "[1,2]" or "{garbage" do not pass for events.
    qsizetype j = i + 1;
    while (j < head.size() && jsonscan::isSpace(head[j]))
        ++j;
    if (c == '[') {
        while (j < head.size() && jsonscan::isSpace(head[j]))
            ++j;
        if (j < head.size() && head[j] != '{' && head[j] != ']')
            return {};
        if (j + 1 < head.size() && head[j] == '{') {
            qsizetype k = j + 1;
            while (k < head.size() && jsonscan::isSpace(head[k]))
                ++k;
            if (k < head.size() && head[k] != '"' && head[k] != '}')
                return {};
        }
        return head.contains("\"specversion\"") ? QStringLiteral("cloudevents-batch") : QStringLiteral("json-array");
    }
    if (j < head.size() && head[j] != '"' && head[j] != '}')
        return {};
    return head.contains("\"specversion\"") ? QStringLiteral("cloudevents") : QStringLiteral("ndjson");
}

bool importInto(StoreWriter& writer, const QStringList& inputs, const ImportOptions& options, ImportSummary* summaryOut,
                QString* error)
{
    QElapsedTimer timer;
    timer.start();
    ImportSummary local;
    ImportSummary& summary = summaryOut ? *summaryOut : local;
    summary = ImportSummary{};
    QString err;
    auto done = [&](bool ok) {
        summary.seconds = double(timer.nsecsElapsed()) / 1e9;
        if (!ok && error)
            *error = err;
        return ok;
    };
    if (inputs.isEmpty()) {
        err = QStringLiteral("no input files given");
        return done(false);
    }
    qint64 rawTotal = 0;
    for (const QString& path : inputs) {
        const QFileInfo fi(path);
        if (!fi.exists()) {
            err = QStringLiteral("%1: no such file").arg(path);
            return done(false);
        }
        if (fi.isDir()) {
            err = QStringLiteral("%1 is a folder, not a file").arg(path);
            return done(false);
        }
        if (const QString kind = nonRegularKind(path); !kind.isEmpty()) {
            err = QStringLiteral("%1 is %2, not a regular file: inputs are read from files (save a stream first, "
                                 "e.g. cat PIPE > FILE)").arg(path, kind);
            return done(false);
        }
        rawTotal += fi.size();
    }
    BatchQueue queue;
    Importer parser(options, queue);
    if (!parser.setMapping(&err))
        return done(false);

    // Producer: reads and maps every input, in order.
    QString parseError;
    std::thread producer([&] {
        for (int i = 0; i < inputs.size(); ++i) {
            if (!parser.importFile(inputs[i], i, &parseError))
                break;
            if (options.cancel.isCancelled() || queue.closed())
                break;
        }
        parser.finishBatches();
    });

    // Consumer (this thread): writes events, records issues, reports progress.
    bool useSourcePositions = true;
    QString writeError;
    auto issue = [&](const QString& file, qint64 line, const QString& message, bool skipped) {
        if (skipped)
            ++summary.skipped;
        if (summary.issues.size() >= kMaxIssues)
            return;
        summary.issues.append({file, line, message});
        writer.addIssue(file, line, message);
    };
    const QString prefix = writer.path() + QStringLiteral(": ");
    for (;;) {
        std::unique_ptr<Batch> batch = queue.pop();
        const QString& file = inputs[batch->file];
        const char* arena = batch->arena.data();
        for (const Record& r : batch->records) {
            if (r.kind == Record::IssueRecord) {
                issue(file, r.line, QString::fromUtf8(arena + r.data, qsizetype(r.dataLen)), r.skipped);
                continue;
            }
            StoreWriter::RawEvent e;
            e.stream = QByteArrayView(arena + r.stream, r.streamLen);
            e.type = QByteArrayView(arena + r.type, r.typeLen);
            if (r.hasId)
                e.id = QByteArrayView(arena + r.id, r.idLen);
            e.data = QByteArrayView(arena + r.data, qsizetype(r.dataLen));
            e.metadata = QByteArrayView(arena + r.meta, qsizetype(r.metaLen));
            e.hasVersion = r.hasVersion;
            e.version = r.version;
            e.time = r.time;
            e.dataIsJson = r.dataIsJson;
            if (r.position > 0 && useSourcePositions) {
                if (r.position <= writer.lastPosition()) {
                    useSourcePositions = false;
                    issue(file, r.line,
                          QStringLiteral("position %1 is not after the previous event's position %2; from here on "
                                         "events are numbered in import order")
                              .arg(r.position)
                              .arg(writer.lastPosition()),
                          false);
                } else {
                    e.position = r.position;
                }
            }
            QString ae;
            const StoreWriter::Status st = writer.appendRaw(e, &ae);
            if (st == StoreWriter::Status::Ok) {
                ++summary.events;
            } else if (st == StoreWriter::Status::Duplicate) {
                issue(file, r.line,
                      QStringLiteral("duplicate: %1; the first one is kept").arg(ae.startsWith(prefix) ? ae.mid(prefix.size()) : ae),
                      true);
            } else if (st == StoreWriter::Status::Refused) {
                issue(file, r.line, QStringLiteral("%1; the event is skipped").arg(ae.startsWith(prefix) ? ae.mid(prefix.size()) : ae), true);
            } else {
                writeError = ae;
                break;
            }
        }
        if (options.progress && !batch->last)
            options.progress(batch->rawDone, rawTotal, QStringLiteral("Importing %1").arg(QFileInfo(file).fileName()));
        if (batch->last || !writeError.isEmpty() || options.cancel.isCancelled()) {
            if (batch->last && options.progress)
                options.progress(batch->rawDone, rawTotal, QStringLiteral("Importing %1").arg(QFileInfo(file).fileName()));
            break;
        }
    }
    queue.close();
    producer.join();
    summary.bytes = parser.bytes;

    if (!writeError.isEmpty()) {
        err = writeError;
        return done(false);
    }
    if (!parseError.isEmpty()) {
        err = parseError;
        return done(false);
    }
    if (options.cancel.isCancelled()) {
        summary.cancelled = true;
        err = QStringLiteral("import cancelled");
        return done(false);
    }
    parser.formats.removeDuplicates();
    summary.format = parser.formats.size() == 1 ? parser.formats.first() : QStringLiteral("mixed");
    return done(true);
}

bool importFiles(const QStringList& inputs, const QString& storePath, const ImportOptions& options,
                 ImportSummary* summaryOut, QString* error, bool overwrite)
{
    ImportSummary local;
    ImportSummary& summary = summaryOut ? *summaryOut : local;
    StoreWriter::Options wo;
    QStringList sources;
    const QString target = QFileInfo(storePath).absoluteFilePath();
    for (const QString& in : inputs) {
        sources << QFileInfo(in).absoluteFilePath();
        if (sources.last() == target ||
            (QFileInfo::exists(storePath) && QFileInfo(in).canonicalFilePath() == QFileInfo(storePath).canonicalFilePath())) {
            if (error)
                *error = QStringLiteral("%1: the output store would replace this input file; choose another output").arg(in);
            return false;
        }
    }
    wo.meta.insert(QStringLiteral("source_uri"), sources.join(QLatin1Char('\n')));
    wo.meta.insert(QStringLiteral("created_by"), QStringLiteral("chronoscope import"));
    if (!options.mapping.isEmpty()) {
        QStringList m;
        for (auto it = options.mapping.cbegin(); it != options.mapping.cend(); ++it)
            m << it.key() + QLatin1Char('=') + it.value();
        m.sort();
        wo.meta.insert(QStringLiteral("mapping"), m.join(QLatin1Char(',')));
    }
    auto writer = StoreWriter::create(storePath, wo, error, overwrite);
    if (!writer)
        return false;
    QString err;
    if (!importInto(*writer, inputs, options, &summary, &err)) {
        writer->abort();
        if (error)
            *error = err;
        return false;
    }
    writer->setMeta(QStringLiteral("source_format"), summary.format);
    writer->setMeta(QStringLiteral("import_skipped"), QString::number(summary.skipped));
    QElapsedTimer t;
    t.start();
    if (!writer->finish(&err)) {
        if (error)
            *error = err;
        return false;
    }
    summary.seconds += double(t.nsecsElapsed()) / 1e9;
    summary.streams = writer->streamCount();
    return true;
}

} // namespace chronoscope
