#include "import/importer.h"

#include "import/batchqueue_p.h"
#include "import/parser_p.h"
#include "store/storewriter.h"
#include "util/filekind.h"
#include "util/stagetimes.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>

#include <algorithm>
#include <thread>

namespace chronoscope {

using namespace importer;

namespace {
// How far ahead the writer's stream lookups are prefetched (events): far enough for a cache miss to complete, near
// enough that the lines are still cached when used.
constexpr size_t kPrefetchSlots = 16;
constexpr size_t kPrefetchStates = 4;
} // namespace

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
    StageTimes times("import");
    std::thread producer([&] {
        StageTimes parsing("import");
        for (int i = 0; i < inputs.size(); ++i) {
            if (!parser.importFile(inputs[i], i, &parseError))
                break;
            if (options.cancel.isCancelled() || queue.closed())
                break;
        }
        parser.finishBatches();
        parsing.mark("parsing thread");
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
        const std::vector<Record>& records = batch->records;
        // The writer looks each event's stream up in a table far bigger than the CPU's cache: the lookups of the
        // events a little ahead are started now (two steps: the table's slot, then the stream's state).
        auto prefetch = [&](size_t at, bool state) {
            if (at < records.size() && records[at].kind == Record::EventRecord)
                writer.prefetchStream(QByteArrayView(arena + records[at].stream, records[at].streamLen), state);
        };
        for (size_t j = 0; j < std::min<size_t>(records.size(), kPrefetchSlots); ++j)
            prefetch(j, j < kPrefetchStates);
        for (size_t j = 0; j < records.size(); ++j) {
            const Record& r = records[j];
            prefetch(j + kPrefetchSlots, false);
            prefetch(j + kPrefetchStates, true);
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
        // done/total are bytes read; the events written so far ride in the text (the app shows both).
        const QString what = QStringLiteral("Importing %1 (%2 events)").arg(QFileInfo(file).fileName()).arg(summary.events);
        if (options.progress && !batch->last)
            options.progress(batch->rawDone, rawTotal, what);
        if (batch->last || !writeError.isEmpty() || options.cancel.isCancelled()) {
            if (batch->last && options.progress)
                options.progress(batch->rawDone, rawTotal, what);
            break;
        }
        queue.recycle(std::move(batch));
    }
    times.mark("writing thread");
    queue.close();
    producer.join();
    times.note("writing thread waited for batches", queue.popWait * 1e3);
    times.note("parsing thread waited for room", queue.pushWait * 1e3);
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
