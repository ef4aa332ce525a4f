#pragma once
// One forward read of the store shared by the projection threads of a story check (docs/stories.md,
// "Checking"): a thread of its own reads and decodes the events once and hands each consumer the events
// of the types its projection reads, in position order, through a bounded queue. A consumer's reader
// (attach()) serves its forward pass from that queue and every other read (checkpoint restores, a stream,
// a range the scan did not reach) from the consumer's own reader, so what it reads is exactly what the
// own reader would have given.

#include "store/eventreader.h"

#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace chronoscope::story {

class SharedScan
{
public:
    /// `reader` is used only on the scan's thread. `consumers` threads each call attach() or decline()
    /// once; the read starts when all have (and only when one attached).
    SharedScan(std::unique_ptr<EventReader> reader, int consumers);
    /// Stops the read and waits for its thread (finish()). Readers handed out stay usable (their own reader).
    ~SharedScan();
    /// Stops the read (every consumer is detached) and waits for its thread; then the figures below are
    /// final.
    void finish();
    SharedScan(const SharedScan&) = delete;
    SharedScan& operator=(const SharedScan&) = delete;

    /// A reader for the calling consumer: plain forward reads of exactly `types` (empty: every type)
    /// with no stream, time, version or limit come from the shared read, everything else from `own`.
    /// Destroying it (or detach()) tells the scan this consumer needs no more events.
    std::unique_ptr<EventReader> attach(const QStringList& types, std::unique_ptr<EventReader> own);
    void decline();

    /// Detaches a reader returned by attach(): its later reads all go to its own reader.
    static void detach(EventReader* attached);

    qint64 eventsRead() const { return m_eventsRead.load(); }
    double threadCpuMs() const { return m_cpuMs.load(); }

    struct Channel;

private:
    void run();

    std::unique_ptr<EventReader> m_reader;
    std::mutex m_mutex;
    std::condition_variable m_ready;
    int m_pending = 0;
    bool m_stop = false;
    std::vector<std::shared_ptr<Channel>> m_channels;
    std::atomic<qint64> m_eventsRead{0};
    std::atomic<double> m_cpuMs{0};
    std::thread m_thread;
    std::mutex m_finishing;
};

/// A reader that forwards everything to `reader` but answers info() with `info` (what it said once):
/// the native store's info() aggregates its whole streams table (about 0.15 s of CPU on the 1M-event demo
/// with 200,000 streams), and every projection replay, the correlation index and the engine ask for it.
std::unique_ptr<EventReader> withKnownInfo(std::unique_ptr<EventReader> reader, const StoreInfo& info);
/// The same for a reader owned elsewhere (it must outlive the result).
std::unique_ptr<EventReader> withKnownInfo(EventReader& reader, const StoreInfo& info);

} // namespace chronoscope::story
