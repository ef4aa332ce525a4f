#pragma once
// The import's parsing thread (internal to core/import): reads a file (inputfile_p.h), scans its JSON
// (json/jsonscan.h), maps each object's fields to an event (fieldmap_p.h) and hands records in batches
// to the writing thread (batchqueue_p.h, importer.cpp).

#include "import/batchqueue_p.h"
#include "import/fieldmap_p.h"
#include "import/importer.h"
#include "json/jsonscan.h"
#include "store/storewriter.h"

#include <QString>
#include <QStringList>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace chronoscope::importer {

using jsonscan::Member;
using jsonscan::Status;

constexpr qsizetype kReadChunk = 4 * 1024 * 1024;
constexpr int kMaxIssues = 1000;

class InputFile;

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
    std::unique_ptr<Batch> m_batch = m_queue.fresh();  // m_queue is declared (so initialised) first
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

} // namespace chronoscope::importer
