#include "sources/remote/remotesource.h"

#include "sources/remote/pagepipe_p.h"
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"
#include "store/storewriter.h"
#include "util/cacheroot.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QMutex>
#include <QScopeGuard>
#include <QUrlQuery>

#include <atomic>
#include <thread>

#include <pthread.h>

namespace chronoscope {

Q_LOGGING_CATEGORY(lcRemote, "chronoscope.remote", QtWarningMsg)

namespace {

QMutex& sessionMutex()
{
    static QMutex m;
    return m;
}

} // namespace

QString remoteCachePath(const QString& uri, const RemoteScope& scope, const QString& cacheDir)
{
    const QString dir = cacheRoot(cacheDir) + QStringLiteral("/remote");
    QDir().mkpath(dir);
    const QByteArray key = redactUri(uri).toUtf8() + '\n' + QJsonDocument(scope.toJson()).toJson(QJsonDocument::Compact);
    const QByteArray hash = QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex().left(24);
    return dir + QStringLiteral("/remote-") + QString::fromLatin1(hash) + QStringLiteral(".chronoscope");
}

bool fetchRemote(const QString& uri, const QString& path, const RemoteFetchOptions& options, RemoteFetchResult* result)
{
    *result = {};
    RemoteEndpoint ep;
    ep.cancel = options.cancel;
    ep.progress = options.progress;
    ep.prompt = options.prompt;
    if (!RemoteEndpoint::parse(uri, &ep, &result->error))
        return false;
    std::unique_ptr<RemoteClient> client = createRemoteClient(ep, &result->error);
    if (!client)
        return false;
    client->setPageSize(options.firstPage, options.pageSize);
    if (!client->connect(&result->error)) {
        result->cancelled = options.cancel.isCancelled();
        return false;
    }
    result->layout = client->layout();
    result->description = client->describe();
    qCDebug(lcRemote) << "connected:" << result->description;
    if (options.connected)
        options.connected(result->layout, result->description);

    StoreWriter::Options wo;
    wo.bulk = !options.live;
    wo.meta.insert(QStringLiteral("source_uri"), ep.display);
    wo.meta.insert(QStringLiteral("source_layout"), result->layout);
    wo.meta.insert(QStringLiteral("scope"),
                   QString::fromUtf8(QJsonDocument(options.scope.toJson()).toJson(QJsonDocument::Compact)));
    wo.meta.insert(QStringLiteral("remote_complete"), QStringLiteral("false"));
    wo.meta.insert(QStringLiteral("captured_at"), formatTime(QDateTime::currentMSecsSinceEpoch()));

    QString err;
    std::unique_ptr<StoreWriter> writer = StoreWriter::create(path, wo, &err, options.overwrite);
    if (writer && options.live) {
        // An empty, finished store first, then appends: a reader can open the file from the start and
        // sees each page as soon as it is committed.
        if (!writer->finish(&err))
            writer.reset();
        else
            writer = StoreWriter::openForAppend(path, &err, /*durable=*/false);  // a cache: rebuilt, never repaired
        // The initial read appends without the secondary indexes and builds them once at its end (before the
        // live tail, which needs them; finish() builds them if the read fails): maintaining two B-trees per row
        // cost more than the insert itself (docs/remote.md "Budgets"). Queries by stream or time during the read
        // scan the rows committed so far.
        if (writer && !writer->suspendIndexes(&err))
            writer.reset();
    }
    if (!writer) {
        result->error = QStringLiteral("%1: cannot write the cache: %2").arg(ep.display, err);
        return false;
    }

    qint64 duplicates = 0;
    QString writeError;
    // Pages become visible by commits. The first at once; then at most every 200 ms, because each commit
    // of the cache costs a sync of the file and readers need no more than a few refreshes a second.
    QElapsedTimer sinceCommit;
    bool committedOnce = false;
    std::atomic<bool> tailing{false};
    qint64 uncommitted = 0;
    auto commitNow = [&]() {
        if (options.live && !writer->commit(&writeError))
            return false;
        committedOnce = true;
        uncommitted = 0;
        sinceCommit.start();
        if (options.committed)
            options.committed(writer->eventCount(), writer->nextPosition() - 1);
        return true;
    };
    // The client reads on this thread; a second thread writes the cache. Pages pass through a bounded pipe, so
    // the next page is fetched and mapped while the last one is inserted (docs/remote.md "Budgets"). Everything
    // the writer touches above (writer, counters, writeError) belongs to the writing thread until drain().
    remote::PagePipe<QList<Event>> pipe(4);
    // Set before an empty page is pushed: the writer builds the indexes it suspended (its CPU, not the reader's).
    std::atomic<bool> buildIndexesNow{false};
    std::thread writing([&] {
        pthread_setname_np(pthread_self(), "cache-writer");  // its CPU shows apart in top, perf and the benchmarks
        while (std::optional<QList<Event>> page = pipe.pop()) {
            bool ok = true;
            for (const Event& e : *page) {
                QString ae;
                if (!writer->append(e, &ae)) {
                    if (writer->lastWasDuplicate()) {
                        ++duplicates;
                        continue;
                    }
                    writeError = ae;
                    ok = false;
                    break;
                }
            }
            if (ok && buildIndexesNow.exchange(false) && !writer->buildIndexes(&writeError))
                ok = false;
            if (ok) {
                uncommitted += page->size();
                // Tailing: every page as it comes (the pipe is empty between live pages anyway).
                if (!committedOnce || (tailing && pipe.waiting() == 0) || sinceCommit.elapsed() >= options.commitIntervalMs)
                    ok = commitNow();
            }
            if (!ok) {
                pipe.close(/*dropQueued=*/true);  // the reading side's next push fails and the read stops
                return;
            }
            pipe.done();
        }
    });
    auto stopWriting = qScopeGuard([&] {
        pipe.close();
        writing.join();
    });
    const PageSink sink = [&](const QList<Event>& page) {
        return pipe.push(page);
    };

    QString readError;
    bool ok = client->read(options.scope, sink, &readError);
    pipe.drain();
    if (writeError.isEmpty() && (uncommitted > 0 || !committedOnce))
        commitNow();
    if (ok && writeError.isEmpty() && options.follow && !options.cancel.isCancelled()) {
        // Before the first live page, on the writing thread (the next push is an empty page that only wakes it).
        buildIndexesNow = true;
        if (!pipe.push({}))
            ok = false;
        pipe.drain();
    }
    if (ok && writeError.isEmpty() && options.follow && !options.cancel.isCancelled()) {
        tailing = true;
        // Tells the app the read is done and the live tail begins (its status bar shows "following").
        if (options.progress)
            options.progress(writer->eventCount(), writer->eventCount(), QStringLiteral("following"));
        ok = client->tail(sink, &readError);
        pipe.drain();
        if (writeError.isEmpty() && uncommitted > 0)
            commitNow();
    }
    stopWriting.dismiss();
    pipe.close();
    writing.join();
    result->cancelled = options.cancel.isCancelled();
    if (!writeError.isEmpty()) {
        ok = false;
        readError = QStringLiteral("%1: writing %2 failed: %3").arg(ep.display, path, writeError);
    }
    const bool complete = ok && !result->cancelled;
    writer->setMeta(QStringLiteral("remote_complete"), complete || (options.follow && ok) ? QStringLiteral("true")
                                                                                          : QStringLiteral("false"));
    for (const QString& w : client->warnings())
        writer->addIssue(ep.display, 0, w);
    if (duplicates > 0)
        writer->addIssue(ep.display, 0, QStringLiteral("%1 events repeated a stream version already read and were skipped").arg(duplicates));
    if (!ok) {
        // What was read so far stays; the file says why it ends there.
        writer->addIssue(ep.display, 0, readError.isEmpty() ? QStringLiteral("the read was cancelled") : readError);
    }
    result->events = writer->eventCount();
    if (!writer->finish(&err)) {
        result->error = QStringLiteral("%1: cannot finish the cache %2: %3").arg(ep.display, path, err);
        return false;
    }
    result->ok = ok && !(result->cancelled && !options.follow);
    if (!ok)
        result->error = readError.isEmpty() ? QStringLiteral("Reading %1 was cancelled").arg(ep.display) : readError;
    qCDebug(lcRemote) << "read" << result->events << "events from" << ep.display << (ok ? "" : qPrintable(result->error));
    return result->ok;
}

bool saveCapture(EventReader& from, const QString& path, const QHash<QString, QString>& meta, QString* error,
                 bool overwrite)
{
    StoreWriter::Options wo;
    wo.bulk = true;
    wo.meta = meta;
    QString err;
    auto writer = StoreWriter::create(path, wo, &err, overwrite);
    if (!writer) {
        if (error)
            *error = err;
        return false;
    }
    QString writeError;
    const bool ok = from.read(EventQuery{}, [&](const Event& e) { return writer->append(e, &writeError); }, &err);
    if (!ok || !writeError.isEmpty()) {
        writer->abort();
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, writeError.isEmpty() ? err : writeError);
        return false;
    }
    if (!writer->finish(&err)) {
        if (error)
            *error = err;
        return false;
    }
    return true;
}

// ---- RemoteSession ------------------------------------------------------------------------------

RemoteSession::RemoteSession(QObject* parent)
    : QObject(parent), m_jobs(this, JobTracker::Threads::Dedicated, QStringLiteral("remote-read"))
{
}

RemoteSession::~RemoteSession() = default;  // the tracker stops the read and waits for it

void RemoteSession::start(const QString& uri, const RemoteScope& scope, bool follow, const QString& cacheDir,
                          const QString& cachePath)
{
    // The read this one replaces is dropped (none of its signals arrive any more) and ends before the new
    // one starts: both may write the same cache file.
    m_jobs.cancelAll();
    m_jobs.waitForDone();
    m_display = redactUri(uri);
    m_cachePath = cachePath.isEmpty() ? remoteCachePath(uri, scope, cacheDir) : cachePath;
    {
        QMutexLocker lock(&sessionMutex());
        m_result = {};
    }
    const QString path = m_cachePath;
    const CredentialsPrompt prompt = m_prompt;
    // The URI (with its secret) lives only in this closure, in memory, for the worker's lifetime.
    m_id = m_jobs.start(
        JobTracker::NoLane,
        [this, uri, path, scope, follow, prompt](const JobHandle& job) {
            RemoteFetchOptions o;
            o.scope = scope;
            o.live = true;
            o.follow = follow;
            o.cancel = job.token();
            o.prompt = prompt;
            o.progress = [this, job](qint64 done, qint64 total, const QString& what) {
                job.post([this, done, total, what] { Q_EMIT progress(done, total, what); });
            };
            o.committed = [this, job](qint64 events, qint64 last) {
                job.post([this, events, last] { Q_EMIT pagesCommitted(events, last); });
            };
            o.connected = [this, job](const QString& layout, const QString& d) {
                job.post([this, layout, d] { Q_EMIT connected(layout, d); });
            };
            RemoteFetchResult r;
            fetchRemote(uri, path, o, &r);
            {
                QMutexLocker lock(&sessionMutex());
                m_result = r;
            }
            return r;
        },
        [this](quint64, const RemoteFetchResult& r) { Q_EMIT finished(r.ok, r.error); });
}

void RemoteSession::cancel()
{
    if (m_id)
        m_jobs.interrupt(m_id);
}

bool RemoteSession::isRunning() const
{
    return m_id && m_jobs.isCurrent(m_id);
}

bool RemoteSession::wait(int ms)
{
    return m_jobs.waitForDone(ms);
}

std::unique_ptr<EventReader> RemoteSession::openReader(QString* error) const
{
    auto r = SqliteStoreReader::open(m_cachePath, error);
    if (!r)
        return nullptr;
    r->setLayout(result().layout.isEmpty() ? QStringLiteral("remote") : result().layout);
    r->setLocation(m_display);
    return r;
}

RemoteFetchResult RemoteSession::result() const
{
    QMutexLocker lock(&sessionMutex());
    return m_result;
}

// ---- source kinds --------------------------------------------------------------------------------

namespace {

std::unique_ptr<EventReader> openRemote(const SourceProbe& probe, const OpenOptions& options, QString* error)
{
    RemoteFetchOptions o;
    // The scope may also ride in the URI (?streams=order-*&last=100), so every command takes it;
    // explicit params win.
    QHash<QString, QString> params = options.params;
    const QUrlQuery query(probe.url);
    for (const char* k : {"streams", "since", "until", "last"})
        if (!params.contains(QLatin1String(k)) && query.hasQueryItem(QLatin1String(k)))
            params.insert(QLatin1String(k), query.queryItemValue(QLatin1String(k), QUrl::FullyDecoded));
    if (!RemoteScope::fromParams(params, &o.scope, error))
        return nullptr;
    o.cancel = options.cancel;
    o.progress = options.progress;
    o.live = false;
    const QString path = remoteCachePath(probe.uri, o.scope, options.cacheDir);
    RemoteFetchResult r;
    fetchRemote(probe.uri, path, o, &r);
    if (!QFileInfo::exists(path) || (!r.ok && r.events == 0)) {
        if (error)
            *error = r.error;
        return nullptr;
    }
    QString err;
    auto reader = SqliteStoreReader::open(path, &err);
    if (!reader) {
        if (error)
            *error = QStringLiteral("%1: the cache %2 cannot be read: %3").arg(probe.displayUri, path, err);
        return nullptr;
    }
    reader->setLayout(r.layout);
    reader->setLocation(probe.displayUri);
    return reader;
}

bool registerRemoteKinds()
{
    const QList<QPair<QString, QStringList>> kinds = {
        {QStringLiteral("kurrentdb"),
         {QStringLiteral("kurrentdb"), QStringLiteral("esdb"), QStringLiteral("eventstoredb"), QStringLiteral("kurrent"),
          QStringLiteral("kdb"), QStringLiteral("kurrentdb+discover"), QStringLiteral("esdb+discover"),
          QStringLiteral("eventstoredb+discover"), QStringLiteral("kurrent+discover"), QStringLiteral("kdb+discover")}},
        {QStringLiteral("eventsourcingdb"), {QStringLiteral("eventsourcingdb")}},
        {QStringLiteral("postgresql"), {QStringLiteral("postgresql"), QStringLiteral("postgres")}},
        {QStringLiteral("redis"), {QStringLiteral("redis")}},
        {QStringLiteral("kafka"), {QStringLiteral("kafka")}},
    };
    for (const auto& [name, schemes] : kinds) {
        SourceKind k;
        k.name = name;
        // An init-capture: clang < 16 cannot capture a structured binding (the fuzz preset uses clang 14).
        k.probe = [schemes = schemes](const SourceProbe& p) { return schemes.contains(p.scheme) ? 100 : 0; };
        k.open = openRemote;
        SourceRegistry::add(std::move(k));
    }
    return true;
}

const bool registered = registerRemoteKinds();

} // namespace

} // namespace chronoscope
