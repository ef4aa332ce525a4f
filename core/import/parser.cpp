#include "import/parser_p.h"

#include "import/inputfile_p.h"
#include "model/event.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

namespace chronoscope::importer {

namespace {

// A compact JSON object of the members no canonical field claimed, written to out.
void unclaimedMembers(const std::vector<Member>& members, std::string& out, std::string& scratch)
{
    out.assign(1, '{');
    for (const Member& x : members) {
        if (x.claimedBy >= 0)
            continue;
        if (out.size() > 1)
            out += ',';
        out += '"';
        out.append(x.key);
        out += "\":";
        if (x.spaced) {
            jsonscan::compact(x.value, scratch);
            out += scratch;
        } else {
            out.append(x.value);
        }
    }
    out += '}';
}

} // namespace

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
    // An event that does not fit what the arena holds goes into the next batch: growing the arena would copy it.
    const size_t size = size_t(e.stream.size() + e.type.size() + e.id.size() + e.data.size() + e.metadata.size());
    if (!m_batch->records.empty() && m_batch->arena.size() + size > m_batch->arena.capacity())
        flushBatch();
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
    if (m_batch->arena.size() >= BatchQueue::kBatchBytes || m_batch->records.size() >= BatchQueue::kBatchRecords)
        flushBatch();
}

void Importer::flushBatch(bool last)
{
    m_batch->file = m_fileIndex;
    m_batch->rawDone = m_rawDoneBefore + (m_in ? m_in->rawDone() : 0);
    m_batch->last = last;
    m_queue.push(std::move(m_batch));
    m_batch = m_queue.fresh();
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
        unclaimedMembers(members, m_dataText, m_scratch[2]);
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
        unclaimedMembers(members, m_metaText, m_scratch[3]);
        e.metadata = QByteArrayView(m_metaText.data(), qsizetype(m_metaText.size()));
    }

    emitEvent(e, line);
}
} // namespace chronoscope::importer

namespace chronoscope {

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

} // namespace chronoscope
