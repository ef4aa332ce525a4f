#pragma once
// One JavaScript projection in its own QJSEngine: the KurrentDB projection API, a sandbox (no file,
// network or module access; a watchdog bounds every call into the engine; built-ins that run to
// completion refuse oversized work; the state's JSON has a size limit), and the per-event driver. Single-threaded: create and use it on one thread
// (a worker thread in the app). Knows nothing about readers or seeking: see ProjectionReplay.

#include "projection/projectiontypes.h"

#include <QByteArray>
#include <QJSValue>

#include <memory>
#include <optional>

class QJSEngine;

namespace chronoscope {

class HandlerWatchdog;

class JsProjection
{
public:
    /// Reads, compiles and defines a projection. Null with *error (kind Load/Syntax/Definition) on failure.
    static std::unique_ptr<JsProjection> fromFile(const QString& path, const ProjectionLimits& limits,
                                                  ProjectionError* error);
    /// fileName is used in messages only.
    static std::unique_ptr<JsProjection> fromSource(const QString& source, const QString& fileName,
                                                    const ProjectionLimits& limits, ProjectionError* error);
    ~JsProjection();
    JsProjection(const JsProjection&) = delete;
    JsProjection& operator=(const JsProjection&) = delete;

    const ProjectionDefinition& definition() const { return m_definition; }
    const ProjectionLimits& limits() const { return m_limits; }
    QString fileName() const { return m_fileName; }
    QString source() const { return m_source; }

    /// Whether the selector takes this event (streams, categories, link events). fromStreamsMatching's
    /// function and per-type filtering are applied by process().
    bool selects(const Event& event) const;

    enum class Outcome { Skipped, Handled, Failed };
    /// Runs the handlers for one selected event. *partition: the partition it went to ("" unpartitioned).
    Outcome process(const Event& event, QString* partition, ProjectionError* error);
    /// As process(), and returns the touched partition's state serialized (for comparing two versions).
    Outcome processCompare(const Event& event, QString* partition, QString* stateJson, ProjectionError* error);
    /// As process(), evaluating the watch predicate on the partition's state before and after the handlers.
    Outcome processWatch(const Event& event, bool* before, bool* after, ProjectionError* error);

    /// The partition of the last handled event.
    QString lastPartition();

    /// Blame support: whether the handlers changed the JSON at `tokens` inside `partition`'s state
    /// (any partition when partition is null; the shared state when shared is true).
    void setTrackedPath(const std::optional<QString>& partition, bool shared, const QStringList& tokens);
    Outcome processTrack(const Event& event, bool* changed, ProjectionError* error);

    /// A predicate over (state, event): an expression (`state.total < 0`) or a function text.
    bool setWatchPredicate(const QString& text, ProjectionError* error);

    /// The whole state (all partitions, shared state) as compact JSON; fails beyond limits().maxStateBytes
    /// or when a state is not JSON. `position` is only used in messages.
    bool serialize(QByteArray* out, qint64 position, ProjectionError* error);
    bool restore(const QByteArray& serialized, ProjectionError* error);
    void reset();  ///< back to "no event handled yet"

    /// Turns a serialize() text into a snapshot (applies transformBy/filterBy for the result).
    bool snapshotFrom(const QByteArray& serialized, ProjectionSnapshot* out, ProjectionError* error);
    /// The state of one partition now, serialized ("" when the partition does not exist, or on failure with *error).
    QString partitionState(const QString& partition, ProjectionError* error = nullptr);
    /// The shared state of a bi-state projection now, serialized ("" when it has none, or on failure with *error).
    QString sharedState(ProjectionError* error = nullptr);

    /// "Would emit" records and log() lines since the last take; *total counts those not kept too.
    QList<EmittedEvent> takeEmitted(qint64* total = nullptr);
    QList<ProjectionLogLine> takeLogs(qint64* total = nullptr);

private:
    JsProjection() = default;
    bool load(const QString& source, const QString& fileName, const ProjectionLimits& limits, ProjectionError* error);
    QJSValue callProcess(int mode, const Event& event);
    /// Every call into the engine goes through here or callProcess(): under the watchdog (timeoutMs 0: the
    /// handler limit), failures and interrupts turned into *error (may be null).
    bool invoke(const QString& hostFunction, const QJSValueList& args, QJSValue* result, ProjectionError* error,
                const Event* event = nullptr, qint64 timeoutMs = 0);
    qint64 serializeTimeoutMs() const;
    bool checkCall(const QJSValue& result, const Event* event, ProjectionError* error);
    ProjectionError errorFromJs(const QJSValue& jsError, const Event* event, ProjectionError::Kind kind);
    int lineFromStack(const QString& stack) const;
    QString where(const Event* event) const;

    std::unique_ptr<QJSEngine> m_engine;
    std::unique_ptr<HandlerWatchdog> m_watchdog;
    QJSValue m_host;
    QJSValue m_process;
    QJSValue m_lastError;
    QJSValue m_handlerName;
    QJSValue m_null;
    ProjectionDefinition m_definition;
    ProjectionLimits m_limits;
    QString m_fileName;
    QString m_source;
    bool m_hasWatch = false;
    bool m_hasTrack = false;
};

} // namespace chronoscope
