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

/// Which handlers run for a delivered event when a projection defines both `$any` and a handler for its type.
enum class HandlerOrder {
    TypeElseAny,    ///< current servers (KurrentDB's Jint runtime): the type handler if there is one, else `$any`
    V8AnyThenType,  ///< servers before the Jint runtime (the V8 prelude): every `$any`, then the type handler
};

struct ProjectionLimits
{
    qint64 handlerTimeoutMs = 2000;            ///< one event's handlers (or one predicate call) may run this long
    qint64 maxStateBytes = 100LL * 1024 * 1024;///< serialized state (all partitions) beyond this stops the projection
    qint64 maxHandlerMemoryBytes = 2LL * 1024 * 1024 * 1024; ///< backstop (Linux): process growth during one call beyond this interrupts it
    qint64 maxArrayLength = 1000000;           ///< longest array a built-in that runs to completion (fill, join, sort/8, …) may work on
    int maxRecordedEmits = 10000;              ///< "would emit" records kept (the count goes on)
    int maxRecordedLogLines = 10000;           ///< log() lines kept (the count goes on)
    HandlerOrder handlerOrder = HandlerOrder::TypeElseAny;
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
    /// The source definition's "all events" (KurrentDB's SourceDefinitionBuilder): true with no type handler;
    /// false when type handlers are listed (then only eventTypes are delivered, also to `$any`).
    bool allEvents = true;
    HandlerOrder handlerOrder = HandlerOrder::TypeElseAny;  ///< the order it was loaded with
    int transforms = 0;         ///< transformBy / filterBy count
    bool outputState = false;
    bool includeLinks = false;  ///< options({$includeLinks: true})
    QString resultStreamName;

    bool partitioned() const { return byStream || byCustomPartition; }
    /// True when only events of eventTypes are delivered (the source definition is not "all events").
    bool onlyTypedHandlers() const { return !allEvents; }
    QString describe() const;   ///< "fromCategory('order').foreachStream()" (for messages and the CLI)
    /// When `$any` is mixed with type handlers: which events never reach `$any` ("" otherwise).
    QString handlerWarning() const;
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
