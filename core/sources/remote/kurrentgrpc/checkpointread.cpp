// The read behind a server-vs-local comparison (kurrentgrpc.h CheckpointRead): fetchRemote in live-cache mode
// on a thread of its own (its client thread plus its cache writer), followed by the thread that replays the
// projection, so on two cores the comparison takes about as long as the longer of the read and the replay
// instead of their sum (docs/remote.md "Budgets").

#include "sources/remote/kurrentgrpc/kurrentgrpc.h"

#include "sources/remote/remotesource.h"
#include "store/sqlitestore.h"
#include "util/uri.h"

#include <QElapsedTimer>
#include <QUrl>
#include <QUrlQuery>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace chronoscope::kurrent {

namespace {

// The cache is a rollback-journal SQLite file: a query holds its shared lock until it ends, and the writer's
// commit waits for it (SQLite's busy handler sleeps meanwhile). A replay runs JavaScript for every event it
// reads, so a query of its would keep the read waiting for as long as the handlers take. Reads are therefore
// done in slices copied out of SQLite first, and the handlers run with no lock held.
class SlicedReader : public EventReader
{
public:
    explicit SlicedReader(std::unique_ptr<SqliteStoreReader> inner) : m_inner(std::move(inner)) {}

    StoreInfo info() override { return m_inner->info(); }
    QList<StreamInfo> streams() override { return m_inner->streams(); }
    bool forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error) override
    {
        return m_inner->forEachStream(sink, error);
    }
    qint64 count(const EventQuery& query, QString* error) override { return m_inner->count(query, error); }
    std::optional<Event> eventAt(qint64 position, QString* error) override
    {
        return m_inner->eventAt(position, error);
    }
    std::unique_ptr<EventReader> clone(QString* error) override { return m_inner->clone(error); }

    bool read(const EventQuery& query, const EventCallback& sink, QString* error) override
    {
        constexpr qint64 kSlice = 2048;
        EventQuery q = query;
        qint64 left = query.limit; // < 0: no limit
        std::vector<Event> slice;
        slice.reserve(size_t(kSlice));
        while (left != 0) {
            q.limit = left < 0 ? kSlice : std::min(left, kSlice);
            slice.clear();
            if (!m_inner->read(
                    q,
                    [&](const Event& e) {
                        slice.push_back(e);
                        return true;
                    },
                    error))
                return false;
            for (const Event& e : slice)
                if (!sink(e)) return true;
            if (qint64(slice.size()) < q.limit) return true;
            if (left > 0) left -= qint64(slice.size());
            if (query.backward)
                q.toPosition = slice.back().position - 1;
            else
                q.fromPosition = slice.back().position + 1;
        }
        return true;
    }

private:
    std::unique_ptr<SqliteStoreReader> m_inner;
};

} // namespace

struct CheckpointRead::Private
{
    QString display;
    QString path;
    QString scopeError;
    CancelToken cancel;   ///< the caller's
    CancelToken stopRead; ///< the read's own: the caller's cancel, or the comparison ending early
    ProgressFn progress;
    RemoteFetchOptions options;
    RemoteFetchResult fetched; ///< written by the reading thread; read here once `done` was seen
    std::thread reading;

    std::mutex mutex;
    std::condition_variable changed;
    qint64 lastPosition = 0; ///< committed, so readable by another connection
    bool committed = false;
    bool done = false;
    qint64 read = 0; ///< the read's progress
    QString readWhat;
    QElapsedTimer sinceReport;

    // Waits (reporting the read's progress on the caller's thread) until `ready` holds; false when cancelled.
    template <typename Ready> bool waitFor(std::unique_lock<std::mutex>& lock, Ready ready)
    {
        while (!ready()) {
            changed.wait_for(lock, std::chrono::milliseconds(50));
            if (cancel.isCancelled()) {
                stopRead.cancel();
                return false;
            }
            if (progress && sinceReport.elapsed() >= 100) {
                sinceReport.restart();
                const qint64 n = read;
                const QString what = readWhat;
                lock.unlock();
                progress(n, -1, what);
                lock.lock();
            }
        }
        return true;
    }
    QString failure() const
    {
        if (cancel.isCancelled() || fetched.cancelled) return QStringLiteral("cancelled");
        return fetched.error.isEmpty() ? QStringLiteral("%1: the read ended without events").arg(display)
                                       : fetched.error;
    }
};

CheckpointRead::CheckpointRead(const QString& uri, qint64 toPosition, const QString& cacheDir,
                               const CancelToken& cancel, const ProgressFn& progress)
    : d(std::make_unique<Private>())
{
    const QString bounded = boundedUri(uri, toPosition);
    d->display = redactUri(uri);
    d->cancel = cancel;
    d->progress = progress;
    d->sinceReport.start();
    // The scope may ride in the URI (?streams=order-*&since=…), as for every remote source (openSource).
    QHash<QString, QString> params;
    const QUrlQuery query{QUrl(bounded)};
    for (const char* k : {"streams", "since", "until", "last"})
        if (query.hasQueryItem(QLatin1String(k)))
            params.insert(QLatin1String(k), query.queryItemValue(QLatin1String(k), QUrl::FullyDecoded));
    if (!RemoteScope::fromParams(params, &d->options.scope, &d->scopeError)) {
        d->done = true;
        return;
    }
    d->path = remoteCachePath(bounded, d->options.scope, cacheDir);
    RemoteFetchOptions& o = d->options;
    o.live = true;
    o.cancel = d->stopRead;
    Private* p = d.get();
    o.progress = [p](qint64 done, qint64, const QString& what) {
        std::lock_guard lock(p->mutex);
        p->read = done;
        p->readWhat = what;
    };
    o.committed = [p](qint64, qint64 last) {
        std::lock_guard lock(p->mutex);
        p->lastPosition = last;
        p->committed = true;
        p->changed.notify_all();
    };
    d->reading = std::thread([p, bounded] {
        fetchRemote(bounded, p->path, p->options, &p->fetched);
        std::lock_guard lock(p->mutex);
        p->done = true;
        p->changed.notify_all();
    });
}

CheckpointRead::~CheckpointRead()
{
    if (d->reading.joinable()) {
        d->stopRead.cancel();
        d->reading.join();
    }
}

std::unique_ptr<EventReader> CheckpointRead::open(QString* error)
{
    if (!d->scopeError.isEmpty()) {
        *error = d->scopeError;
        return nullptr;
    }
    {
        std::unique_lock lock(d->mutex);
        if (!d->waitFor(lock, [&] { return d->committed || d->done; })) {
            *error = QStringLiteral("cancelled");
            return nullptr;
        }
        if (!d->committed) {
            *error = d->failure();
            return nullptr;
        }
    }
    QString why;
    auto reader = SqliteStoreReader::open(d->path, &why);
    if (!reader) {
        *error = QStringLiteral("%1: the cache %2 cannot be read: %3").arg(d->display, d->path, why);
        return nullptr;
    }
    reader->setLocation(d->display);
    return std::make_unique<SlicedReader>(std::move(reader));
}

bool CheckpointRead::wait(qint64 after, qint64* have, QString* error)
{
    std::unique_lock lock(d->mutex);
    if (!d->waitFor(lock, [&] { return d->lastPosition > after || d->done; })) {
        *error = QStringLiteral("cancelled");
        return false;
    }
    *have = d->lastPosition;
    if (d->lastPosition > after) return true;
    // The read ended and everything it committed has been seen.
    lock.unlock();
    if (d->reading.joinable()) d->reading.join();
    if (!d->fetched.ok) {
        *error = d->failure();
        return false;
    }
    return true;
}

} // namespace chronoscope::kurrent
