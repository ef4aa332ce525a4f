#pragma once
// Findings: what is unusual in a store, computed in one pass over its events (docs/findings.md).
// Bursts of failure-like events, silences, retries and loops, integrity faults and slow correlation
// chains, each with a time range, the streams and events involved, a one-line explanation whose numbers a
// person can check by clicking through, and a score that ranks them. No GUI here: the CLI
// (`chronoscope-cli findings`) and the desktop app's Findings dock share this code.
//
// FindingsAnalyzer is incremental: add() events in position order (a whole store, then whatever a live
// tail appends) and findings() recomputes the list from the aggregates it keeps (per type and category
// times, per stream state, per chain summary), never from the events again.

#include "model/event.h"
#include "store/eventreader.h"
#include "util/progress.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace chronoscope {

struct FindingsFeed;

struct Finding
{
    /// The rule that found it: "burst", "silence", "retry", "bounce", "version-gap", "version-duplicate",
    /// "duplicate-id", "dangling-causation", "time-backwards", "hash-chain", "slow-chain".
    QString rule;
    /// "burst", "silence", "loop" (retry, bounce), "integrity", "slow-chain".
    QString kind;
    double score = 0;         ///< 0..100, higher first (docs/findings.md, "Scores")
    QString title;            ///< a few words: "Burst of PaymentFailed"
    QString explanation;      ///< one line with the numbers it rests on
    QStringList subjects;     ///< the types, categories or type pairs concerned
    TimeMs from = kNoTime;    ///< first event concerned (or the start of a silence)
    TimeMs to = kNoTime;      ///< last event concerned (or the end of a silence)
    qint64 firstPosition = 0; ///< the event to put the cursor on
    qint64 lastPosition = 0;
    QStringList streams;     ///< streams involved (at most kMaxListed)
    qint64 streamCount = 0;  ///< how many streams in all
    QList<qint64> positions; ///< events involved, in position order (at most kMaxListed)
    qint64 eventCount = 0;   ///< how many events in all
    QString correlation;     ///< the correlation chain to select (empty when the finding has none)

    static constexpr int kMaxListed = 100;
};

struct FindingsOptions
{
    /// Event type -> tone ("good", "warn", "bad", "neutral") from a story glossary; "bad" types count as
    /// failure-like in bursts (STORY.md, glossary events).
    QHash<QString, QString> tones;
    /// At most this many findings of one rule (the best ones).
    int maxPerRule = 10;
};

class FindingsAnalyzer
{
public:
    explicit FindingsAnalyzer(FindingsOptions options = {});
    ~FindingsAnalyzer();
    FindingsAnalyzer(const FindingsAnalyzer&) = delete;
    FindingsAnalyzer& operator=(const FindingsAnalyzer&) = delete;

    /// Takes one event; events come in global position order (a live tail appends after the last one).
    void add(const Event& event);
    /// The findings over everything added so far, ranked (score, then time). Costs what the aggregates
    /// hold, not what was added.
    QList<Finding> findings() const;

    /// Sizes the id table for about this many events (saves rehashing on a big store).
    void reserve(qint64 events);
    qint64 eventCount() const;
    qint64 lastPosition() const;

private:
    friend struct FindingsFeed; // computeFindings' two-thread feed (findings.cpp)
    struct Impl;
    std::unique_ptr<Impl> d;
};

/// How computeFindings runs. Pipelined: the calling thread reads the store (and works out each event's
/// keys) while one more thread adds the events to the analyzer in position order, through a bounded
/// queue of event batches; the findings are the same as Sequential's, which does everything on the
/// calling thread.
enum class FindingsMode { Pipelined, Sequential };

/// One pass over the whole store (reader on the calling thread; use EventReader::clone() for a worker).
/// Progress and the reader's callbacks run on the calling thread. Returns false with *error when the
/// read fails or is cancelled.
bool computeFindings(EventReader& reader, const FindingsOptions& options, QList<Finding>* out,
                     const ProgressFn& progress = {}, const CancelToken& cancel = {},
                     QString* error = nullptr, FindingsMode mode = FindingsMode::Pipelined);

/// Reads the tones of a story file's glossary (`glossary.events.<Type>.tone`). A missing or malformed
/// file gives false and *error; the findings are then computed without tones.
bool loadStoryTones(const QString& storyPath, QHash<QString, QString>* tones, QString* error = nullptr);

/// One finding as a compact JSON object (one NDJSON line, no newline).
QByteArray findingToJson(const Finding& finding, int rank);

/// "45 min", "3 h 05 min", "2 d 4 h", "850 ms": the durations the explanations print.
QString formatDuration(qint64 ms);

} // namespace chronoscope
