#include "sources/sourceregistry.h"

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/sqlitelayout.h"
#include "util/filekind.h"

#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QUrlQuery>

#include <zlib.h>

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

bool looksLikeUri(const QString& s)
{
    const qsizetype colon = s.indexOf(QLatin1String("://"));
    if (colon <= 1)
        return false;
    for (qsizetype i = 0; i < colon; ++i) {
        const QChar c = s[i];
        if (!c.isLetterOrNumber() && c != u'+' && c != u'-' && c != u'.')
            return false;
    }
    return true;
}

QByteArray gunzipHead(const QByteArray& compressed, int maxOut)
{
    QByteArray out(maxOut, Qt::Uninitialized);
    z_stream zs{};
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return {};
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    zs.avail_in = uInt(compressed.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    inflate(&zs, Z_SYNC_FLUSH);
    out.truncate(qsizetype(zs.total_out));
    inflateEnd(&zs);
    return out;
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

QString singleHostUri(const QString& uri, QString* extraHosts)
{
    if (extraHosts)
        extraHosts->clear();
    const qsizetype sep = uri.indexOf(QLatin1String("://"));
    if (sep < 0 || !looksLikeUri(uri))
        return uri;
    const qsizetype from = sep + 3;
    qsizetype to = from;
    while (to < uri.size() && uri[to] != u'/' && uri[to] != u'?' && uri[to] != u'#')
        ++to;
    const qsizetype at = uri.lastIndexOf(u'@', to - 1);
    const qsizetype hostFrom = at >= from ? at + 1 : from;
    const qsizetype comma = uri.indexOf(u',', hostFrom);
    if (comma < 0 || comma >= to)
        return uri;
    if (extraHosts)
        *extraHosts = uri.mid(comma, to - comma);
    return uri.left(comma) + uri.mid(to);
}

QString redactUri(const QString& uri)
{
    if (!looksLikeUri(uri))
        return uri;
    if (kurrent::isKurrentScheme(kurrent::schemeOf(uri)))
        return kurrent::redactConnectionString(uri);  // several hosts: not a URL
    QString extra;
    const QString single = singleHostUri(uri, &extra);
    if (!extra.isEmpty()) {
        // Redact the one-host form, then put the other hosts back after the first.
        const QString r = redactUri(single);
        const qsizetype sep = r.indexOf(QLatin1String("://"));
        qsizetype to = sep < 0 ? r.size() : sep + 3;
        while (to < r.size() && r[to] != u'/' && r[to] != u'?' && r[to] != u'#')
            ++to;
        return r.left(to) + extra + r.mid(to);
    }
    QUrl url(uri);
    if (!url.isValid())
        return QStringLiteral("<invalid URI>");
    url.setPassword({});
    QUrlQuery q(url);
    for (const auto& item : q.queryItems()) {
        const QString k = item.first.toLower();
        if (k.contains(u"pass") || k.contains(u"token") || k.contains(u"secret") || k.contains(u"key") ||
            k.contains(u"auth"))
            q.removeAllQueryItems(item.first);
    }
    url.setQuery(q);
    return url.toString();
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
        probe->head = gunzipHead(probe->head, 64 * 1024);
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
