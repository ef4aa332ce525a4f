#pragma once
// Resolves a story against a store: each chapter's anchor to its beats (through EventReader and the
// replay engines), the glossary's words for each beat, templates, KPIs evaluated by the projection
// engine at any beat (server handler order), facts, and the page model every renderer draws.
// Single-threaded; resolved chapters, projections and the correlation index are cached, so the first
// chapter pays for the scans and later ones are cheap.

#include "store/eventreader.h"
#include "story/sequencelayout.h"
#include "story/story.h"

#include <QHash>

#include <map>
#include <memory>

namespace chronoscope {
class AnnotationSet;
class ReplayEngine;
struct Annotation;
}

namespace chronoscope::story {

class CorrelationIndex;

inline constexpr qint64 kMaxBeats = 200000;

struct ResolvedChapter
{
    int index = 0;
    QList<Event> beats;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
};

struct FactResult
{
    const Chapter* chapter = nullptr;
    const Fact* fact = nullptr;
    bool holds = false;
    QJsonValue actual; ///< Undefined when nothing was found
};

struct CardModel
{
    qint64 position = 0;
    QString sentence;
    QString actor;
    int actorIndex = 0;
    Tone tone = Tone::Neutral;
    QString time;                          ///< "13:41:07"
    QString relative;                      ///< "+1 min 12 s" since the chapter began
    QList<QPair<QString, QString>> fields; ///< up to four (label, value)
    QString because;                       ///< the causation parent's sentence ("" when none)
};

struct KpiTile
{
    QString label;
    QString value;
    QString change;    ///< since the chapter began ("" when unchanged or not numeric)
    int direction = 0; ///< -1 down, 0 same, +1 up
    QString error;
};

struct ComparePanel
{
    bool present = false;
    QString nameA, nameB; ///< file names
    QString divergence;   ///< "first divergence: <sentence> (position N, 13:52:10)" or "the versions agree"
};

struct ChapterPage
{
    QString storyTitle;
    QString audience;
    int number = 0; ///< 1-based
    int count = 0;
    QString id;
    QString title;
    QString subtitle; ///< "14:03–14:25 UTC · 52 events · 3 actors"
    SequenceLayout sequence;
    QList<int> sequenceTones;
    int highlightRow = -1;  ///< the row of the current beat (frames of the HTML)
    QList<CardModel> cards; ///< the latest first
    QList<KpiTile> kpis;
    ComparePanel compare;
    QString caption; ///< Markdown (rendered templates)
    QString notes;
};

class StoryEngine
{
public:
    /// Neither is owned; both must outlive the engine.
    StoryEngine(const Story& story, EventReader& reader);
    ~StoryEngine();

    /// The store's URI as the user gave it, without secrets: the identity its notes are kept under
    /// (annotation anchors; AnnotationSet::storeIdentity). Default: the reader's location.
    void setStoreUri(const QString& uri) { m_storeUri = uri; }
    /// Where the correlation index is kept ("" = the cache root, util/cacheroot.h).
    void setCacheDir(const QString& dir) { m_cacheDir = dir; }
    /// The correlation index used so far (null until a correlation anchor was resolved).
    const CorrelationIndex* correlationIndex() const { return m_correlationIndex.get(); }

    const Story& story() const { return m_story; }
    EventReader& reader() { return m_reader; }
    QLocale locale() const { return m_locale; }

    /// The chapter's beats; null with *error when the anchor finds nothing or the store fails.
    const ResolvedChapter* chapter(int index, QString* error);

    /// Glossary words for one event.
    QString actorOf(const QString& stream) const { return m_story.glossary.actorOf(stream); }
    QString sentence(const Event& e, QStringList* misses = nullptr);
    QJsonValue presented(const Event& e);
    /// The event this one reacts to, when it is among the beats resolved so far.
    const Event* causationParent(const Event& e) const;

    /// A KPI's value after every event with position <= `position` (Undefined when the pointer finds
    /// nothing).
    bool kpiAt(const QString& id, qint64 position, QJsonValue* value, QString* error);
    bool projectionAt(const QString& file, const QString& pointer, qint64 position, QJsonValue* value,
                      QString* error);
    bool streamStateAt(const QString& stream, const QString& pointer, qint64 position, QJsonValue* value,
                       QString* error);

    /// The chapter's facts at its last beat. The first call works out the KPI and projection facts of
    /// every chapter ahead (see setConcurrentChecks).
    bool check(int chapter, QList<FactResult>* out, QString* error);
    /// On (the default): check() starts one thread per projection file a fact names, each with its own
    /// JS engine and reader clone, which replays while this thread resolves the chapters, then reads the
    /// values at the chapters' last beats. Off: each value is computed on this thread when asked. The
    /// results are the same; a value the threads could not compute is computed here (same errors).
    void setConcurrentChecks(bool on) { m_concurrentChecks = on; }
    /// With concurrent checks, on (the default): the projection threads that read whole categories or
    /// the whole store share one read of it (a thread of its own decodes each event once and hands it to
    /// those that read its type; story/sharedscan.h). Off: each reads the store itself. Same results.
    void setSharedRead(bool on) { m_sharedRead = on; }
    /// CPU time of each of those threads (projection file, ms), for benchmarks.
    QList<QPair<QString, double>> factThreadCpuMs() const { return m_factThreadCpuMs; }
    /// A value a fact tests or finds, in the words the audience frame uses for it: a KPI fact in its KPI's
    /// format (as the KPI ribbon), a stream-state fact in the glossary's format for its pointer (as the event
    /// cards), other values as stored; "—" for Undefined. The presenter's fact list shows these.
    QString factValueText(const Fact& fact, const QJsonValue& value) const;
    /// Captions and notes at the chapter's last beat (or at `upto`), templates rendered.
    QString caption(int chapter, QStringList* misses = nullptr, qint64 upto = kNoLimit);
    QString notes(int chapter, QStringList* misses = nullptr);

    /// The chapter's sequence diagram (up to and including position `upto`).
    SequenceLayout layout(int chapter, QString* error, qint64 upto = kNoLimit);
    /// Everything a chapter page shows (as of `upto`). False with *error when the chapter cannot be resolved
    /// or a KPI's projection fails.
    bool page(int chapter, ChapterPage* out, QString* error, qint64 upto = kNoLimit, int maxCards = 4);

    /// Captions, a table of the beats per chapter and KPI values.
    bool markdown(QByteArray* out, QString* error);

    /// Every rendered template that found nothing, per chapter (for lint), and values that look personal.
    QStringList lint();

private:
    struct Projection;
    struct IndexBuild;
    Projection* projection(const QString& file, QString* error);
    void startIndexBuild();
    /// The store's info(), asked once (from the index's thread when it runs): the native store aggregates
    /// its streams table for it. knownInfoReader(): m_reader answering info() with it.
    const StoreInfo& storeInfo();
    EventReader& knownInfoReader();
    void prefetchFacts();
    bool ensureCorrelations(QString* error);
    const Annotation* note(const QString& id, QString* error);
    const Event* annotationEvent(int chapter, QString* error);
    bool readRange(const EventQuery& q, const QStringList& narrow, QList<Event>* out, QString* error);
    TemplateContext context(const ResolvedChapter& ch, const Event* current, qint64 upto);
    QString kpiText(const Kpi& k, const QJsonValue& v) const;
    /// A scalar field of event data in the glossary's format for its path (the event cards' values).
    QString fieldText(const QStringList& tokens, const QJsonValue& v) const;

    const Story& m_story;
    EventReader& m_reader;
    QLocale m_locale;
    std::map<int, ResolvedChapter> m_chapters;
    QHash<QString, Event> m_byId; ///< beats resolved so far, for causation parents
    QHash<qint64, QJsonValue> m_presented;
    std::map<QString, std::unique_ptr<Projection>> m_projections;
    std::unique_ptr<ReplayEngine> m_replay;
    std::map<int, ComparePanel> m_compare;
    bool m_correlationsRead = false;
    QHash<QString, QList<Event>> m_correlations;
    QList<StreamInfo> m_streams;
    bool m_streamsRead = false;
    QString m_storeUri;
    QString m_cacheDir;
    bool m_concurrentChecks = true;
    bool m_sharedRead = true;
    bool m_factsPrefetched = false;
    QList<QPair<QString, double>> m_factThreadCpuMs;
    QHash<QString, QJsonValue> m_prefetched; ///< file, pointer, position (prefetchKey) -> value
    std::unique_ptr<CorrelationIndex> m_correlationIndex;
    std::unique_ptr<IndexBuild> m_indexBuild; ///< the index built on a thread of its own (concurrent checks)
    std::optional<StoreInfo> m_info;
    std::unique_ptr<EventReader> m_infoReader;
    std::unique_ptr<AnnotationSet> m_notes;
    QString m_notesError;
    std::map<int, Event> m_annotationEvents;
};

/// Compares two JSON values; numbers compare by value (1.0 equals 1).
bool jsonEqualByValue(const QJsonValue& a, const QJsonValue& b);

} // namespace chronoscope::story
