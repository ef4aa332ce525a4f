#pragma once
// File import (docs/import.md): NDJSON / JSON Lines, a JSON array, CloudEvents (structured or batch),
// each optionally gzip-compressed, streamed into a new native store file. Never holds a whole file.

#include "util/progress.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace chronoscope {

class StoreWriter;

struct ImportOptions
{
    /// canonical field -> source field: stream, type, time, version, position, id, data, metadata.
    /// Fields not given are detected per event from the usual names (docs/import.md).
    QHash<QString, QString> mapping;
    CancelToken cancel;
    ProgressFn progress;
    /// Largest NDJSON line or event (bytes of JSON text, after decompression). A longer line is skipped
    /// and reported as an issue (the rest of the file imports); a longer event in a JSON array or a
    /// pretty-printed file ends the reading of that file with an issue. Bounds the memory a hostile file
    /// (e.g. a small .gz that expands to one endless line) can take: about twice this.
    qint64 maxEventBytes = kDefaultMaxEventBytes;
    static constexpr qint64 kDefaultMaxEventBytes = 64 * 1024 * 1024;
};

struct ImportIssue
{
    QString file;
    qint64 line = 0;
    QString message;
};

struct ImportSummary
{
    qint64 events = 0;
    qint64 skipped = 0;
    qint64 bytes = 0;                ///< JSON text read (after decompression)
    qint64 streams = 0;
    QString format;                  ///< "ndjson", "json-array", "cloudevents", "cloudevents-batch", "+gzip", "mixed"
    QList<ImportIssue> issues;       ///< first 1000 kept; skipped counts all
    bool cancelled = false;
    double seconds = 0;
};

/// Canonical fields a mapping may name.
QStringList mappingFields();

/// Imports one or more files into a new store file. Returns false with *error only for a fatal problem
/// (unreadable file, not JSON at all, cannot write the store, cancelled); skipped events are reported in
/// the summary and recorded in the store's issues table. Refuses to overwrite storePath unless overwrite.
bool importFiles(const QStringList& inputs, const QString& storePath, const ImportOptions& options,
                 ImportSummary* summary, QString* error, bool overwrite = false);

/// The same into a writer the caller created (and finishes): the file source uses it for its caches.
bool importInto(StoreWriter& writer, const QStringList& inputs, const ImportOptions& options, ImportSummary* summary,
                QString* error);

/// Best guess of what a file head holds, for probing: "ndjson", "json-array", "cloudevents", or empty.
QString sniffJsonFormat(const QByteArray& head);

} // namespace chronoscope
