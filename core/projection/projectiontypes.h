#pragma once
// Plain value types of the JavaScript projection runtime: limits, errors, what a projection declared,
// its state at a point, and what it would have emitted. Cheap to copy, safe to pass between threads.

#include "model/event.h"

#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace chronoscope {

/// Which handlers run for an event when a projection defines both `$any` and a handler for its type.
enum class HandlerOrder {
    AnyThenType,   ///< the classic server prelude (and FORMATS.md): every `$any`, then the type handler
    TypeElseAny,   ///< KurrentDB's current (Jint) runtime: the type handler if there is one, else `$any`
};

struct ProjectionLimits
{
    qint64 handlerTimeoutMs = 2000;            ///< one event's handlers (or one predicate call) may run this long
    qint64 maxStateBytes = 100LL * 1024 * 1024;///< serialized state (all partitions) beyond this stops the projection
    qint64 maxHandlerMemoryBytes = 2LL * 1024 * 1024 * 1024; ///< process growth during one handler call beyond this interrupts it
    int maxRecordedEmits = 10000;              ///< "would emit" records kept (the count goes on)
    int maxRecordedLogLines = 10000;           ///< log() lines kept (the count goes on)
    HandlerOrder handlerOrder = HandlerOrder::AnyThenType;
};

/// Why a projection stopped. Every error names the file, and where known the line and the event.
struct ProjectionError
{
    enum Kind { None, Load, Syntax, Definition, Runtime, Timeout, Memory, StateTooLarge, StateNotJson, Predicate, Read, Cancelled };
    Kind kind = None;
    QString message;     ///< full sentence in the user's words (file, line, handler, event included)
    QString file;
    int line = 0;        ///< 0 when unknown
    QString handler;     ///< "$any", "OrderPlaced", "partitionBy", "$init", "transformBy", "watch predicate", ...
    qint64 position = 0; ///< event the projection failed on (0: not at an event)
    QString stream;
    QString type;

    bool isError() const { return kind != None; }
    static QString kindName(Kind k);
};

/// What the script declared (selector, partitioning, handlers, output).
struct ProjectionDefinition
{
    enum Selector { NoSelector, All, Streams, Categories, StreamsMatching };
    Selector selector = NoSelector;
    QStringList streams;        ///< fromStream / fromStreams
    QStringList categories;     ///< fromCategory (one or several)
    bool byStream = false;      ///< foreachStream()
    bool byCustomPartition = false; ///< partitionBy(fn)
    bool biState = false;       ///< $initShared (or options({biState:true})): handlers get [state, shared]
    bool hasInit = false;
    bool hasAny = false;
    bool hasCreated = false;
    bool hasDeleted = false;
    QStringList eventTypes;     ///< per-type handlers, in declaration order
    int transforms = 0;         ///< transformBy / filterBy count
    bool outputState = false;
    bool includeLinks = false;  ///< options({$includeLinks: true})
    QString resultStreamName;

    bool partitioned() const { return byStream || byCustomPartition; }
    /// True when only events of eventTypes can change the state (no $any, no default handler).
    bool onlyTypedHandlers() const { return !hasAny && !eventTypes.isEmpty(); }
    QString describe() const;   ///< "fromCategory('order').foreachStream()" (for messages and the CLI)
};

/// One emit / linkTo / copyTo / linkStreamTo call: recorded and shown, never written.
struct EmittedEvent
{
    QString kind;        ///< "emit", "linkTo", "copyTo", "linkStreamTo"
    qint64 position = 0; ///< the event being handled when it was called
    QString stream;      ///< target stream
    QString type;        ///< event type that would be written ("$>" for linkTo, "$@" for linkStreamTo)
    QJsonValue body;
    QJsonValue metadata;
};

struct ProjectionLogLine
{
    qint64 position = 0;
    QString text;
};

/// A projection's state at a point of the log.
struct ProjectionSnapshot
{
    qint64 position = 0;          ///< the state after every event with position <= this
    qint64 lastEventPosition = 0; ///< the last event the projection handled (0: none yet)
    bool partitioned = false;
    bool biState = false;
    QJsonValue state;             ///< unpartitioned: the state; partitioned: object partition -> state
    QJsonValue shared;            ///< bi-state only
    QJsonValue result;            ///< transformBy / filterBy output (Undefined when there are none; Null when filtered out)

    /// The one JSON value diff, blame and watch paths address:
    /// unpartitioned: the state ({"state":…, "shared":…} when bi-state);
    /// partitioned: {"partitions": {name: state…}} plus "shared" when bi-state.
    QJsonValue view() const;
    /// The state of one partition (Undefined when it does not exist).
    QJsonValue partition(const QString& name) const;
};

} // namespace chronoscope

Q_DECLARE_METATYPE(chronoscope::ProjectionError)
Q_DECLARE_METATYPE(chronoscope::ProjectionDefinition)
Q_DECLARE_METATYPE(chronoscope::EmittedEvent)
Q_DECLARE_METATYPE(chronoscope::ProjectionLogLine)
Q_DECLARE_METATYPE(chronoscope::ProjectionSnapshot)
