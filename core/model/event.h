#pragma once
// The canonical event and the plain value types every part of Chronoscope speaks.
// Cheap to copy (implicitly shared Qt members), safe to pass between threads.

#include "json/jsontext.h"  // appendJsonString: how event JSON writes its strings

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace chronoscope {

/// Milliseconds since the Unix epoch, UTC. kNoTime where the source gives no time (cqrs-es, say).
using TimeMs = qint64;
inline constexpr TimeMs kNoTime = std::numeric_limits<qint64>::min();
inline constexpr qint64 kNoLimit = std::numeric_limits<qint64>::max();

struct Event
{
    qint64 position = 0;  ///< global order, 1-based
    QString stream;
    qint64 version = 0;   ///< stream version as the source gave it (else 0-based in file order)
    QString type;
    TimeMs time = kNoTime;
    QString id;
    QByteArray data;      ///< compact JSON text; a non-JSON payload is a JSON string and dataIsJson=false
    QByteArray metadata;  ///< compact JSON text, "{}" when there is none
    bool dataIsJson = true;

    /// Correlation / causation ids read from metadata under the usual names (empty if absent).
    QString correlationId() const;
    QString causationId() const;

    /// The canonical JSON object of DESIGN.md, compact, one line (for NDJSON out).
    QByteArray toCanonicalJson() const;

    /// The category: the part of the stream name before the first '-' (the whole name when none).
    QString category() const { return categoryOf(stream); }
    static QString categoryOf(const QString& stream);
};

struct StreamInfo
{
    QString stream;
    qint64 events = 0;
    qint64 firstVersion = 0;
    qint64 lastVersion = 0;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    TimeMs firstTime = kNoTime;
    TimeMs lastTime = kNoTime;
};

struct StoreInfo
{
    QString layout;      ///< "chronoscope", "emmett-sqlite", "eventsourcing-sqlite", "cqrs-es-sqlite", "ndjson", ...
    QString location;    ///< what was opened, without secrets
    qint64 events = 0;
    qint64 streams = 0;
    qint64 firstPosition = 0;
    qint64 lastPosition = 0;
    TimeMs firstTime = kNoTime;
    TimeMs lastTime = kNoTime;
    bool timeKnown = true;       ///< false when the layout stores no timestamps
    QStringList warnings;        ///< e.g. lines skipped on import
};

/// A filter over the event log. Ranges are inclusive. Every source pushes as much of it down as it can.
struct EventQuery
{
    QString stream;                 ///< empty: all streams
    QStringList types;              ///< empty: all types
    qint64 fromPosition = 0;
    qint64 toPosition = kNoLimit;
    qint64 fromVersion = 0;         ///< only meaningful with stream
    qint64 toVersion = kNoLimit;
    TimeMs since = kNoTime;
    TimeMs until = kNoTime;
    qint64 limit = -1;              ///< -1: no limit
    bool backward = false;          ///< newest first
};

/// A point in a stream's history. End means "after the last event".
struct Point
{
    enum Kind { End, Version, Position, Time };
    Kind kind = End;
    qint64 value = 0;

    static Point end() { return {}; }
    static Point atVersion(qint64 v) { return {Version, v}; }
    static Point atPosition(qint64 p) { return {Position, p}; }
    static Point atTime(TimeMs t) { return {Time, t}; }
};

/// ISO 8601 UTC with milliseconds: 2026-01-05T10:00:00.123Z ("" for kNoTime).
QString formatTime(TimeMs t);
/// The one time parser (every source, the importer and every option use it; docs/cli.md "Times").
/// Accepts RFC 3339 / ISO 8601 (any number of fraction digits, `Z`, `+HH`, `+HHMM` or `+HH:MM`, a date
/// alone), "YYYY-MM-DD HH:MM:SS" (no zone: UTC), integer epoch seconds (fewer than 12 digits) or
/// milliseconds, and decimal epoch seconds (`1767607200.5`, `1.7676072e9`). Refuses impossible dates
/// (2026-02-31), fields out of range (hour 24, offset +99:99), non-ASCII digits and anything outside
/// the years 0000 to 9999; then returns nullopt and, with `why`, says what is wrong (a clause for
/// "'X' is not a time: <why>").
std::optional<TimeMs> parseTime(QStringView text, QString* why = nullptr);
/// The same on UTF-8 (or ASCII) bytes, without building a QString (the importer's path).
std::optional<TimeMs> parseTime(std::string_view text, QString* why = nullptr);

/// Glob match used by --match, --streams and the stream browser, the reference every source follows
/// (docs/remote.md "Stream globs"; the grammar is in model/glob.h): `*` any run of characters, `?` one
/// character, `[a-z]` `[!a-z]` `[^a-z]` sets, `\x` the character x itself. Case-sensitive, by code point.
bool globMatch(QStringView pattern, QStringView text);

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::Event)
Q_DECLARE_METATYPE(chronoscope::StreamInfo)
Q_DECLARE_METATYPE(chronoscope::StoreInfo)
