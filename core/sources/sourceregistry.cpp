#include "sources/sourceregistry.h"

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/sqlitelayout.h"
#include "util/filekind.h"
#include "util/inflater.h"
#include "util/uri.h"

#include <QFile>
#include <QFileInfo>
#include <QMutex>


namespace chronoscope {

namespace {

QList<SourceKind>& registry()
{
    static QList<SourceKind> kinds;
    return kinds;
}

QMutex& registryMutex()
{
    static QMutex m;
    return m;
}


void readSqliteTables(SourceProbe* probe)
{
    // The same hardened, read-only open as the readers (never a plain "?mode=ro": on a WAL-mode file that would
    // create -wal/-shm files next to the user's store; never with the file's schema trusted).
    QString error;
    auto db = SqliteDb::open(probe->path, &error);
    if (!db) {
        const QString prefix = probe->path + QStringLiteral(": ");
        probe->sqliteError = error.startsWith(prefix) ? error.mid(prefix.size()) : error;
        return;
    }
    probe->sqliteTables = db->tables();
}

} // namespace

bool SourceRegistry::add(SourceKind kind)
{
    QMutexLocker lock(&registryMutex());
    registry().append(std::move(kind));
    return true;
}

QList<SourceKind> SourceRegistry::kinds()
{
    QMutexLocker lock(&registryMutex());
    return registry();
}

bool probeSource(const QString& uri, SourceProbe* probe, QString* error)
{
    probe->uri = uri;
    probe->displayUri = redactUri(uri);
    if (looksLikeUri(uri) && !uri.startsWith(QLatin1String("file://"), Qt::CaseInsensitive)) {
        probe->url = QUrl(singleHostUri(uri));
        if (kurrent::isKurrentScheme(kurrent::schemeOf(uri))) {
            // A connection string (host1:2113,host2:2113); the KurrentDB kind parses it when opening.
            probe->scheme = kurrent::schemeOf(uri);
            return true;
        }
        if (!probe->url.isValid()) {
            if (error)
                *error = QStringLiteral("%1 is not a valid URI: %2").arg(probe->displayUri, probe->url.errorString());
            return false;
        }
        probe->scheme = probe->url.scheme().toLower();
        return true;
    }
    probe->scheme = QStringLiteral("file");
    probe->path = uri.startsWith(QLatin1String("file://"), Qt::CaseInsensitive) ? QUrl(uri).toLocalFile() : uri;
    probe->url = QUrl::fromLocalFile(probe->path);
    const QFileInfo fi(probe->path);
    if (!fi.exists()) {
        if (error)
            *error = QStringLiteral("%1: no such file").arg(probe->path);
        return false;
    }
    if (fi.isDir()) {
        if (error)
            *error = QStringLiteral("%1 is a folder, not an event store file").arg(probe->path);
        return false;
    }
    // Only regular files: a source is read more than once (this head, then SQLite or the indexing), and
    // a FIFO without a writer would block open() forever (util/filekind.h).
    QFile f;
    if (!openRegularFile(f, probe->path, error))
        return false;
    probe->head = f.read(64 * 1024);
    f.close();
    if (probe->head.startsWith("\x1f\x8b")) {
        probe->gzip = true;
        probe->head = Inflater(Inflater::Format::GzipOrZlib).inflateHead(probe->head, 64 * 1024);
    } else if (probe->head.startsWith(QByteArrayLiteral("SQLite format 3\0"))) {
        probe->isSqlite = true;
        readSqliteTables(probe);
    }
    return true;
}

std::unique_ptr<EventReader> openSource(const QString& uri, const OpenOptions& options, QString* error)
{
    SourceProbe probe;
    if (!probeSource(uri, &probe, error))
        return nullptr;
    const QList<SourceKind> kinds = SourceRegistry::kinds();
    const SourceKind* best = nullptr;
    int bestScore = 0;
    for (const SourceKind& k : kinds) {
        const int s = k.probe(probe);
        if (s > bestScore) {
            bestScore = s;
            best = &k;
        }
    }
    if (!best) {
        if (error) {
            if (probe.isSqlite && !probe.sqliteError.isEmpty())
                *error = QStringLiteral("%1: not a readable SQLite database (%2)").arg(probe.path, probe.sqliteError);
            else if (probe.isSqlite)
                *error = QStringLiteral("%1: SQLite file of an unknown layout; tables found: %2")
                             .arg(probe.path,
                                  probe.sqliteTables.isEmpty() ? QStringLiteral("(none)")
                                                               : probe.sqliteTables.join(QLatin1String(", ")));
            else if (probe.scheme != QLatin1String("file"))
                *error = QStringLiteral("%1: no source handles the scheme '%2'").arg(probe.displayUri, probe.scheme);
            else
                *error = QStringLiteral("%1: not a recognised event store (expected a SQLite store, NDJSON, a JSON "
                                        "array or CloudEvents)")
                             .arg(probe.path);
        }
        return nullptr;
    }
    QString err;
    auto reader = best->open(probe, options, &err);
    if (!reader && error)
        *error = err.isEmpty() ? QStringLiteral("%1: could not be opened").arg(probe.displayUri) : err;
    return reader;
}

} // namespace chronoscope
