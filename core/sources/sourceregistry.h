#pragma once
// One syntax for every source (DESIGN.md "Source URIs"). Each kind of source registers itself
// (a static SourceRegistration in its own .cpp); openSource() probes the URI and asks every kind
// for a score, then opens with the best one. Adding a source touches no shared file.

#include "store/eventreader.h"
#include "util/progress.h"
#include "util/uri.h"  // redactUri, for every user of a SourceProbe

#include <QHash>
#include <QUrl>

namespace chronoscope {

/// What is known about a URI before opening it. Filled once by openSource().
struct SourceProbe
{
    QString uri;             ///< as the user gave it (may hold secrets: never log it, use displayUri)
    QString displayUri;      ///< the URI without password/token, safe for logs, titles, recent lists
    QUrl url;                ///< parsed (scheme lowercased); for plain paths scheme is "file"
    QString scheme;          ///< "file", "kurrentdb", "esdb", "eventsourcingdb", "postgresql", "redis", ...
    QString path;            ///< local file path for scheme "file"
    QByteArray head;         ///< first 64 KiB of a local file (decompressed if gzip)
    bool gzip = false;
    bool isSqlite = false;   ///< local file starts with the SQLite header
    QStringList sqliteTables;///< table and view names of a SQLite file, read read-only
    QString sqliteError;     ///< set when the file has a SQLite header but cannot be read
};

/// Options for opening. Field mapping for file imports: empty = detect.
struct OpenOptions
{
    CancelToken cancel;
    ProgressFn progress;
    QString cacheDir;                  ///< the cache root (util/cacheroot.h); empty = the default one
    QHash<QString, QString> mapping;   ///< canonical field -> source field ("stream" -> "aggregate")
    QHash<QString, QString> params;    ///< source-specific options (scope: "streams", "since", "last"...)
};

struct SourceKind
{
    QString name;
    /// 0: cannot open; higher wins. Must be cheap and must not write anything.
    std::function<int(const SourceProbe&)> probe;
    std::function<std::unique_ptr<EventReader>(const SourceProbe&, const OpenOptions&, QString* error)> open;
};

class SourceRegistry
{
public:
    static bool add(SourceKind kind);
    static QList<SourceKind> kinds();
};

/// Fills a SourceProbe for a URI or path. Returns false with *error when a local file cannot be read.
bool probeSource(const QString& uri, SourceProbe* probe, QString* error);

/// Opens any source read-only. On failure returns null and *error names what is wrong in the user's words.
std::unique_ptr<EventReader> openSource(const QString& uri, const OpenOptions& options, QString* error);

} // namespace chronoscope
