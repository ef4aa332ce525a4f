// Source kind "file": NDJSON / JSON array / CloudEvents files, plain or gzip (docs/import.md).
// The file is indexed once into a cache store (a native store file in the cache folder), keyed by its
// absolute path, size, modification time and field mapping; later opens reuse the cache while the file
// is unchanged. The source file itself is only ever read.
#include "import/importer.h"
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"
#include "util/cacheroot.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLockFile>

namespace chronoscope {

namespace {

// Bump when the importer changes what it writes, so old caches are rebuilt.
constexpr int kCacheFormat = 1;

bool jsonExtension(const QString& path)
{
    QString p = path.toLower();
    if (p.endsWith(QLatin1String(".gz")))
        p.chop(3);
    return p.endsWith(QLatin1String(".ndjson")) || p.endsWith(QLatin1String(".jsonl")) ||
           p.endsWith(QLatin1String(".json")) || p.endsWith(QLatin1String(".ldjson"));
}

int probeFile(const SourceProbe& probe)
{
    if (probe.scheme != QLatin1String("file") || probe.isSqlite)
        return 0;
    if (!sniffJsonFormat(probe.head).isEmpty())
        return jsonExtension(probe.path) ? 70 : 60;
    // An empty or broken file with a JSON name: open it anyway, so the user gets the importer's
    // precise message (or an empty store with a warning) instead of "not recognised".
    return jsonExtension(probe.path) ? 5 : 0;
}

QString hashHex(const QByteArray& data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex().left(24));
}

std::unique_ptr<EventReader> openFile(const SourceProbe& probe, const OpenOptions& options, QString* error)
{
    const QFileInfo fi(probe.path);
    const QString absolute = fi.absoluteFilePath();
    const QString cacheDir = cacheRoot(options.cacheDir);
    if (!QDir().mkpath(cacheDir)) {
        *error = QStringLiteral("%1: cannot create the cache folder %2").arg(probe.path, cacheDir);
        return nullptr;
    }

    QStringList mapping;
    for (auto it = options.mapping.cbegin(); it != options.mapping.cend(); ++it)
        mapping << it.key() + QLatin1Char('=') + it.value();
    mapping.sort();
    const QString pathKey = hashHex(absolute.toUtf8());
    const QString stateKey = hashHex(QStringLiteral("%1|%2|%3|%4")
                                         .arg(fi.size())
                                         .arg(fi.lastModified().toMSecsSinceEpoch())
                                         .arg(mapping.join(QLatin1Char(',')))
                                         .arg(kCacheFormat)
                                         .toUtf8());
    const QString cachePath = QStringLiteral("%1/%2-%3.chronoscope").arg(cacheDir, pathKey, stateKey);

    // One indexer per file at a time, across processes; the others wait and then reuse its cache.
    QLockFile lock(QStringLiteral("%1/%2.lock").arg(cacheDir, pathKey));
    lock.setStaleLockTime(0);
    while (!lock.tryLock(200)) {
        if (options.cancel.isCancelled()) {
            *error = QStringLiteral("%1: opening cancelled").arg(probe.path);
            return nullptr;
        }
        if (lock.error() != QLockFile::LockFailedError) {
            *error = QStringLiteral("%1: cannot lock the cache folder %2").arg(probe.path, cacheDir);
            return nullptr;
        }
    }

    QString err;
    if (QFileInfo::exists(cachePath)) {
        auto reader = SqliteStoreReader::open(cachePath, &err);
        if (reader) {
            const auto meta = reader->meta();
            reader->setLayout(meta.value(QStringLiteral("source_format"), QStringLiteral("ndjson")));
            reader->setLocation(probe.path);
            return reader;
        }
        QFile::remove(cachePath); // damaged or from an incompatible build: index again
    }
    // Caches of earlier versions of this file are stale now.
    const QStringList old = QDir(cacheDir).entryList({pathKey + QStringLiteral("-*.chronoscope")}, QDir::Files);
    for (const QString& f : old)
        QFile::remove(cacheDir + QLatin1Char('/') + f);

    StoreWriter::Options wo;
    wo.meta.insert(QStringLiteral("source_uri"), absolute);
    wo.meta.insert(QStringLiteral("source_size"), QString::number(fi.size()));
    wo.meta.insert(QStringLiteral("source_mtime"), formatTime(fi.lastModified().toMSecsSinceEpoch()));
    wo.meta.insert(QStringLiteral("created_by"), QStringLiteral("chronoscope file cache"));
    wo.meta.insert(QStringLiteral("scope"), QStringLiteral("cache"));
    if (!mapping.isEmpty())
        wo.meta.insert(QStringLiteral("mapping"), mapping.join(QLatin1Char(',')));
    auto writer = StoreWriter::create(cachePath, wo, &err, true);
    if (!writer) {
        *error = err;
        return nullptr;
    }
    ImportOptions io;
    io.mapping = options.mapping;
    io.cancel = options.cancel;
    io.progress = options.progress;
    ImportSummary summary;
    if (!importInto(*writer, {probe.path}, io, &summary, &err)) {
        writer->abort();
        *error = summary.cancelled ? QStringLiteral("%1: import cancelled").arg(probe.path) : err;
        return nullptr;
    }
    writer->setMeta(QStringLiteral("source_format"), summary.format);
    writer->setMeta(QStringLiteral("import_skipped"), QString::number(summary.skipped));
    // Building the store's indexes takes a while on a big file: say so rather than sit at "100 %".
    if (options.progress)
        options.progress(summary.events, -1, QStringLiteral("Indexing %1").arg(QFileInfo(probe.path).fileName()));
    if (!writer->finish(&err)) {
        *error = err;
        return nullptr;
    }
    auto reader = SqliteStoreReader::open(cachePath, &err);
    if (!reader) {
        *error = err;
        return nullptr;
    }
    reader->setLayout(summary.format);
    reader->setLocation(probe.path);
    return reader;
}

const bool registered = SourceRegistry::add({QStringLiteral("file"), probeFile, openFile});

} // namespace

} // namespace chronoscope
