#pragma once
// A story file (*.chronostory.json, the contract in docs/stories.md): chapters bound to recorded events,
// a glossary that turns event types into sentences and streams into actors, KPIs computed by projections,
// and facts checked against the store. This header is the parsed, validated model; loading never runs
// JavaScript and never touches a store. nlohmann_json stays inside story.cpp.

#include "model/event.h"
#include "story/storytemplate.h"

#include <QHash>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace chronoscope::story {

enum class Tone { Neutral, Good, Warn, Bad };
QString toneName(Tone t);

struct FieldRule
{
    QString pointer; ///< a JSON Pointer into event data; `*` (one level) and `**` (any depth) allowed
    QString label;   ///< "" : the last token split into words
    QString format;  ///< a formatter chain, e.g. "money:EUR" ("" : as stored)
    enum class Redact { None, Mask, Drop, Hash };
    Redact redact = Redact::None;
};

struct EventWording
{
    QString say; ///< a template; "" : the type split into words
    Template sayTemplate;
    Tone tone = Tone::Neutral;
};

class Glossary
{
public:
    QList<QPair<QString, QString>> actors; ///< stream glob -> business name, first match wins
    QHash<QString, EventWording> events;
    QList<FieldRule> fields;
    QStringList hide; ///< pointer globs

    /// The business name of a stream's actor (default: its category, capitalised).
    QString actorOf(const QString& stream) const;
    Tone toneOf(const QString& type) const;
    /// "PaymentFailed" -> "Payment failed".
    static QString defaultSentence(const QString& type);
    /// The rule whose pointer matches (first one), or null.
    const FieldRule* ruleFor(const QStringList& tokens) const;
    bool isHidden(const QStringList& tokens) const;
    /// The label shown for a field (the rule's label, else the last token in words).
    QString labelFor(const QStringList& tokens) const;
    /// Event data as story views may show it: hidden paths removed, redaction applied.
    QJsonValue present(const QJsonValue& data) const;
    /// Metadata as story exports may show it: hidden paths (written "/metadata/…") removed.
    QJsonValue presentMetadata(const QJsonValue& metadata) const;
    /// Every redacted or hidden path seen in `data` (pointers), for the bundle's manifest.
    void collectRedacted(const QJsonValue& data, QStringList* paths) const;

private:
    QJsonValue presentAt(const QJsonValue& v, QStringList& path, bool* drop) const;
};

/// Matches a pointer glob ("/a/*/b", "/**/x") against a pointer's tokens.
bool pointerGlobMatch(const QString& glob, const QStringList& tokens);

struct Kpi
{
    QString id;
    QString label;
    QString projection; ///< absolute path
    QString pointer;    ///< into ProjectionSnapshot::view() ("" : the whole state)
    QString format;
};

struct Fact
{
    enum class Kind { StreamState, Kpi, Count, Projection };
    Kind kind = Kind::Count;
    QString stream;     ///< StreamState
    QString kpi;        ///< Kpi
    QString type;       ///< Count
    QString projection; ///< Projection (absolute path)
    QString pointer;
    std::optional<QJsonValue> equals, atLeast, atMost;
    QJsonValue written; ///< the fact as written in the story (for check's output)
    QString where;      ///< "/chapters/1/expect/0"
};

struct Anchor
{
    enum class Kind { Continue, Range, Correlation, Streams, Watch, Annotation };
    Kind kind = Kind::Continue;
    qint64 fromPosition = 0;
    qint64 toPosition = kNoLimit;
    TimeMs fromTime = kNoTime;
    TimeMs toTime = kNoTime;
    QString correlation;
    QStringList streams; ///< focus.streams
    QString projection;  ///< watch (absolute path)
    QString predicate;
    int context = 3;
    /// Kind::Annotation: the id of a note of the store (docs/findings.md, "Notes"). `"range":
    /// {"annotation": ID}` covers the note's time range; `"focus": {"annotation": ID}` (annotationFocus)
    /// the correlation chain of the event the note is pinned to.
    QString annotation;
    bool annotationFocus = false;
};

/// A live chapter (`"live": {"match": {...}, "timeout": "20s"}`): when presenting against a remote store
/// with a live tail, the chapter waits for a new event that matches; when none comes within `timeoutMs`,
/// it plays its recorded beats. Exports and `story check` ignore it (they play the recorded beats).
struct LiveMatch
{
    bool enabled = false;
    QString type;    ///< event type glob ("" : any)
    QString stream;  ///< stream glob ("" : any)
    QString pointer; ///< with `equals`: a field of the event's data
    std::optional<QJsonValue> equals;
    qint64 timeoutMs = 20000;

    /// Whether `e` is the event the chapter waits for (numbers compare by value).
    bool matches(const Event& e) const;
};

struct Chapter
{
    QString id;
    QString title;
    Anchor anchor;
    QStringList streams; ///< narrowing globs (empty: none)
    bool realtime = false;
    double speed = 1;
    qint64 maxGapMs = -1; ///< -1: not given (the layout then folds gaps over one minute)
    QString caption;
    QString notes;
    Template captionTemplate;
    Template notesTemplate;
    QStringList kpis;
    QString compareA; ///< absolute paths ("" : no comparison)
    QString compareB;
    QList<Fact> expect;
    LiveMatch live;
    QString where; ///< "/chapters/N"
};

struct Story
{
    int version = 1;
    QString title;
    QString audience;
    QString locale = QStringLiteral("en-GB");
    QString sourceUri;    ///< as written (relative to the story's folder when relative)
    QString sourceSha256; ///< lowercase hex, "" when not given
    QString folder;       ///< the story file's folder (relative paths resolve against it)
    QString path;
    Glossary glossary;
    QList<Kpi> kpis;
    QList<Chapter> chapters;
    QStringList warnings; ///< not errors: reported by lint
    QByteArray text;      ///< the file's bytes (bundled as they are)

    const Kpi* kpi(const QString& id) const;
    /// source.uri resolved against the folder (a URI with a scheme stays as it is).
    QString resolvedSourceUri() const;
};

/// Limits on what a story file may hold (a story is a small text file; these stop hostile ones).
inline constexpr qint64 kMaxStoryBytes = 64LL * 1024 * 1024;
inline constexpr int kMaxStoryDepth = 64;
inline constexpr int kMaxTextChars = 64 * 1024; ///< one caption, note, sentence or label

/// Parses and validates. On failure returns false and *error names the JSON pointer (or line and column
/// for JSON syntax) and says what is wrong.
bool parseStory(const QByteArray& text, const QString& folder, Story* out, QString* error);
bool loadStory(const QString& path, Story* out, QString* error);

/// "3s", "500ms", "2m", "1h", "1d" or a number of seconds; nullopt when malformed.
std::optional<qint64> parseDurationMs(const QString& text);

} // namespace chronoscope::story
