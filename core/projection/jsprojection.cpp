#include "projection/jsprojection.h"

#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "projection/prelude.h"
#include "projection/watchdog.h"

#include <QFile>
#include <QFileInfo>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace chronoscope {

namespace {

constexpr int kSkip = -1;
constexpr int kFailed = -2;
constexpr char kPreludeName[] = "chronoscope-projection-prelude.js";

QString mb(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', bytes % (1024 * 1024) == 0 ? 0 : 1) + QStringLiteral(" MB");
}

QStringList toStringList(const QJSValue& array)
{
    QStringList out;
    const int n = array.property(QStringLiteral("length")).toInt();
    for (int i = 0; i < n; ++i)
        out << array.property(quint32(i)).toString();
    return out;
}

QString quoteList(const QStringList& list)
{
    QStringList q;
    for (const QString& s : list)
        q << QLatin1Char('\'') + s + QLatin1Char('\'');
    return q.join(QStringLiteral(", "));
}

} // namespace

QString ProjectionError::kindName(Kind k)
{
    switch (k) {
    case None: return QStringLiteral("none");
    case Load: return QStringLiteral("load");
    case Syntax: return QStringLiteral("syntax");
    case Definition: return QStringLiteral("definition");
    case Runtime: return QStringLiteral("runtime");
    case Timeout: return QStringLiteral("timeout");
    case Memory: return QStringLiteral("memory");
    case StateTooLarge: return QStringLiteral("state-too-large");
    case StateNotJson: return QStringLiteral("state-not-json");
    case Predicate: return QStringLiteral("predicate");
    case Read: return QStringLiteral("read");
    case Cancelled: return QStringLiteral("cancelled");
    }
    return {};
}

QString ProjectionDefinition::describe() const
{
    QString s;
    switch (selector) {
    case NoSelector: s = QStringLiteral("(no selector)"); break;
    case All: s = QStringLiteral("fromAll()"); break;
    case Streams:
        s = streams.size() == 1 ? QStringLiteral("fromStream(%1)").arg(quoteList(streams))
                                : QStringLiteral("fromStreams(%1)").arg(quoteList(streams));
        break;
    case Categories:
        s = QStringLiteral("fromCategory(%1)").arg(quoteList(categories));
        break;
    case StreamsMatching: s = QStringLiteral("fromStreamsMatching(…)"); break;
    }
    if (byStream)
        s += QStringLiteral(".foreachStream()");
    if (byCustomPartition)
        s += QStringLiteral(".partitionBy(…)");
    return s;
}

QString ProjectionDefinition::handlerWarning() const
{
    if (!hasAny || eventTypes.isEmpty())
        return {};
    // Loaded at all means $any came first (the other order is refused): the type handlers turned "all events" off.
    QString w = QStringLiteral("$any is listed before type handlers, so only events of types %1 are delivered; "
                               "other events never reach $any").arg(eventTypes.join(QStringLiteral(", ")));
    if (handlerOrder == HandlerOrder::TypeElseAny)
        w += QStringLiteral(", and each delivered event runs its own type handler, so $any runs for none");
    return w;
}

QJsonValue ProjectionSnapshot::view() const
{
    if (!partitioned && !biState)
        return state;
    QJsonObject o;
    o.insert(partitioned ? QStringLiteral("partitions") : QStringLiteral("state"), state);
    if (biState)
        o.insert(QStringLiteral("shared"), shared);
    return o;
}

QJsonValue ProjectionSnapshot::partition(const QString& name) const
{
    if (!partitioned)
        return name.isEmpty() ? state : QJsonValue(QJsonValue::Undefined);
    return state.toObject().value(name);
}

std::unique_ptr<JsProjection> JsProjection::fromFile(const QString& path, const ProjectionLimits& limits,
                                                     ProjectionError* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error) {
            *error = {};
            error->kind = ProjectionError::Load;
            error->file = path;
            error->message = QStringLiteral("%1: cannot read the projection file: %2").arg(path, f.errorString());
        }
        return nullptr;
    }
    const QByteArray bytes = f.readAll();
    return fromSource(QString::fromUtf8(bytes), path, limits, error);
}

std::unique_ptr<JsProjection> JsProjection::fromSource(const QString& source, const QString& fileName,
                                                       const ProjectionLimits& limits, ProjectionError* error)
{
    std::unique_ptr<JsProjection> p(new JsProjection);
    ProjectionError local;
    if (!p->load(source, fileName, limits, &local)) {
        if (error)
            *error = local;
        return nullptr;
    }
    return p;
}

JsProjection::~JsProjection()
{
    // The watchdog holds a pointer to the engine: stop it first.
    m_watchdog.reset();
}

bool JsProjection::load(const QString& source, const QString& fileName, const ProjectionLimits& limits,
                        ProjectionError* error)
{
    m_limits = limits;
    m_fileName = fileName.isEmpty() ? QStringLiteral("projection.js") : fileName;
    m_source = source;
    m_engine = std::make_unique<QJSEngine>();
    m_watchdog = std::make_unique<HandlerWatchdog>(m_engine.get(), limits.handlerTimeoutMs, limits.maxHandlerMemoryBytes);
    m_null = QJSValue(QJSValue::NullValue);

    const QJSValue preludeFn = m_engine->evaluate(QString::fromUtf8(projectionPreludeSource()), QString::fromLatin1(kPreludeName));
    if (preludeFn.isError()) {
        error->kind = ProjectionError::Load;
        error->message = QStringLiteral("internal error in the projection prelude: %1 (line %2)")
                             .arg(preludeFn.toString())
                             .arg(preludeFn.property(QStringLiteral("lineNumber")).toInt());
        return false;
    }
    m_watchdog->arm();
    m_host = preludeFn.call({m_engine->globalObject(), QJSValue(double(std::max<qint64>(1, limits.maxArrayLength))),
                             QJSValue(double(std::max<qint64>(1, limits.maxStateBytes)))});
    m_watchdog->disarm();
    if (m_host.isError() || !m_host.isObject()) {
        error->kind = ProjectionError::Load;
        error->message = QStringLiteral("internal error starting the projection prelude: %1").arg(m_host.toString());
        return false;
    }
    m_process = m_host.property(QStringLiteral("process"));
    m_lastError = m_host.property(QStringLiteral("lastError"));
    m_handlerName = m_host.property(QStringLiteral("handlerName"));

    // The user's script runs at global scope (as on the server): its top-level functions are globals.
    m_watchdog->arm();
    const QJSValue result = m_engine->evaluate(source, m_fileName);
    const HandlerWatchdog::Reason fired = m_watchdog->disarm();
    if (fired != HandlerWatchdog::NotFired) {
        error->kind = fired == HandlerWatchdog::Time ? ProjectionError::Timeout : ProjectionError::Memory;
        error->file = m_fileName;
        error->message = fired == HandlerWatchdog::Time
            ? QStringLiteral("%1: interrupted after %2 ms while defining the projection (the script's top level runs too long)")
                  .arg(m_fileName).arg(m_watchdog->elapsedMs())
            : QStringLiteral("%1: interrupted while defining the projection: it used more than %2 of memory")
                  .arg(m_fileName, mb(m_limits.maxHandlerMemoryBytes));
        return false;
    }
    if (result.isError()) {
        const QString name = result.property(QStringLiteral("name")).toString();
        *error = errorFromJs(result, nullptr,
                             name == QLatin1String("SyntaxError") ? ProjectionError::Syntax : ProjectionError::Definition);
        static const QRegularExpression importUse(QStringLiteral(R"((^|[;{}\s])import\s*[\(\{\*'"a-zA-Z_$])"));
        if (error->kind == ProjectionError::Syntax && importUse.match(source).hasMatch())
            error->message += QStringLiteral(" (import is not available: projections cannot load modules)");
        return false;
    }

    QJSValue def;
    if (!invoke(QStringLiteral("finishDefinition"),
                {QJSValue(limits.handlerOrder == HandlerOrder::V8AnyThenType), QJSValue(limits.maxRecordedEmits),
                 QJSValue(limits.maxRecordedLogLines)},
                &def, error)) {
        if (error->kind == ProjectionError::Runtime)
            error->kind = ProjectionError::Definition;
        return false;
    }
    ProjectionDefinition& d = m_definition;
    const QString selector = def.property(QStringLiteral("selector")).toString();
    if (selector == QLatin1String("fromAll"))
        d.selector = ProjectionDefinition::All;
    else if (selector == QLatin1String("fromStream") || selector == QLatin1String("fromStreams"))
        d.selector = ProjectionDefinition::Streams;
    else if (selector == QLatin1String("fromCategory") || selector == QLatin1String("fromCategories"))
        d.selector = ProjectionDefinition::Categories;
    else if (selector == QLatin1String("fromStreamsMatching"))
        d.selector = ProjectionDefinition::StreamsMatching;
    d.streams = toStringList(def.property(QStringLiteral("streams")));
    d.categories = toStringList(def.property(QStringLiteral("categories")));
    d.byStream = def.property(QStringLiteral("byStream")).toBool();
    d.byCustomPartition = def.property(QStringLiteral("byCustomPartition")).toBool();
    d.biState = def.property(QStringLiteral("biState")).toBool();
    d.hasInit = def.property(QStringLiteral("hasInit")).toBool();
    d.hasAny = def.property(QStringLiteral("hasAny")).toBool();
    d.hasCreated = def.property(QStringLiteral("hasCreated")).toBool();
    d.hasDeleted = def.property(QStringLiteral("hasDeleted")).toBool();
    d.eventTypes = toStringList(def.property(QStringLiteral("eventTypes")));
    d.allEvents = def.property(QStringLiteral("allEvents")).toBool();
    d.handlerOrder = limits.handlerOrder;
    d.transforms = def.property(QStringLiteral("transforms")).toInt();
    d.outputState = def.property(QStringLiteral("outputState")).toBool();
    d.includeLinks = def.property(QStringLiteral("includeLinks")).toBool();
    d.resultStreamName = def.property(QStringLiteral("resultStreamName")).toString();

    if (d.selector == ProjectionDefinition::NoSelector) {
        error->kind = ProjectionError::Definition;
        error->file = m_fileName;
        error->message = QStringLiteral("%1: the projection selects no events: start it with fromAll(), fromStream(…), "
                                        "fromStreams(…), fromCategory(…) or fromStreamsMatching(…)").arg(m_fileName);
        return false;
    }
    // KurrentDB's ReaderStrategy refuses a source definition with "all events" and a type filter, which is what
    // when() builds when a type handler comes before $any (see docs/projections.md).
    if (d.allEvents && !d.eventTypes.isEmpty()) {
        const QString typed = def.property(QStringLiteral("typeBeforeAny")).toString();
        error->kind = ProjectionError::Definition;
        error->file = m_fileName;
        error->handler = QStringLiteral("$any");
        error->message = QStringLiteral("%1: Both AllEvents and specific event filters cannot be set: the type handler "
                                        "'%2' is listed before $any, and the server refuses such a projection (list "
                                        "$any first to receive only events of the handled types, or drop the type "
                                        "handlers to receive every event)")
                             .arg(m_fileName, typed.isEmpty() ? d.eventTypes.constFirst() : typed);
        return false;
    }
    // Same place in the server (ReaderStrategy.Create): a $deleted handler needs foreachStream().
    if (d.hasDeleted && !d.byStream) {
        error->kind = ProjectionError::Definition;
        error->file = m_fileName;
        error->handler = QStringLiteral("$deleted");
        error->message = QStringLiteral("%1: Deleted stream notifications are only supported with foreachStream() "
                                        "(the server refuses a $deleted handler without it)").arg(m_fileName);
        return false;
    }
    if (d.byStream && d.byCustomPartition) {
        error->kind = ProjectionError::Definition;
        error->file = m_fileName;
        error->message = QStringLiteral("%1: foreachStream() and partitionBy() cannot be combined").arg(m_fileName);
        return false;
    }
    return true;
}

bool JsProjection::selects(const Event& e) const
{
    if (!m_definition.includeLinks && e.type == QLatin1String("$>"))
        return false;
    switch (m_definition.selector) {
    case ProjectionDefinition::All:
    case ProjectionDefinition::StreamsMatching:
        return true;
    case ProjectionDefinition::Streams:
        return m_definition.streams.contains(e.stream);
    case ProjectionDefinition::Categories:
        for (const QString& c : m_definition.categories) {
            if (e.stream.size() > c.size() && e.stream.startsWith(c) && e.stream.at(c.size()) == QLatin1Char('-'))
                return true;
        }
        return false;
    case ProjectionDefinition::NoSelector:
        return false;
    }
    return false;
}

QJSValue JsProjection::callProcess(int mode, const Event& e)
{
    QString body;
    if (e.dataIsJson) {
        body = QString::fromUtf8(e.data);
    } else {
        // The canonical model keeps a non-JSON payload as a JSON string: hand the raw text over.
        body = jsonStringValue(parseJsonValue(e.data));
    }
    const int dash = e.stream.indexOf(QLatin1Char('-'));
    const QJSValue category = dash > 0 ? QJSValue(e.stream.left(dash)) : m_null;
    const QJSValue time = e.time == kNoTime ? m_null : QJSValue(double(e.time));
    m_watchdog->arm();
    QJSValue r = m_process.call({QJSValue(mode), QJSValue(body), QJSValue(e.dataIsJson), QJSValue(e.type),
                                 QJSValue(e.stream), QJSValue(double(e.version)),
                                 QJSValue(e.metadata.isEmpty() ? QStringLiteral("{}") : QString::fromUtf8(e.metadata)),
                                 QJSValue(e.id), QJSValue(double(e.position)), time, category});
    return r;
}

QString JsProjection::where(const Event* e) const
{
    if (!e)
        return {};
    return QStringLiteral(" for event at position %1 (stream '%2', type '%3')").arg(e->position).arg(e->stream, e->type);
}

int JsProjection::lineFromStack(const QString& stack) const
{
    // Frames look like "fn@file:///path/p.js:12" (or "@file:p.js:12"): take the first in the user's file.
    const QStringList frames = stack.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString& frame : frames) {
        if (frame.contains(QLatin1String(kPreludeName)))
            continue;
        const int colon = frame.lastIndexOf(QLatin1Char(':'));
        bool ok = false;
        const int line = frame.mid(colon + 1).toInt(&ok);
        if (colon > 0 && ok)
            return line;
    }
    return 0;
}

ProjectionError JsProjection::errorFromJs(const QJSValue& v, const Event* e, ProjectionError::Kind kind)
{
    ProjectionError err;
    err.kind = kind;
    err.file = m_fileName;
    QString message;
    QString fileName;
    int line = 0;
    QString stack;
    if (v.isError()) {
        message = v.toString();
        fileName = v.property(QStringLiteral("fileName")).toString();
        line = v.property(QStringLiteral("lineNumber")).toInt();
        stack = v.property(QStringLiteral("stack")).toString();
    } else if (v.isObject()) {  // the prelude's record of a caught exception
        message = v.property(QStringLiteral("message")).toString();
        fileName = v.property(QStringLiteral("file")).toString();
        line = v.property(QStringLiteral("line")).toInt();
        stack = v.property(QStringLiteral("stack")).toString();
        err.handler = v.property(QStringLiteral("handler")).toString();
    } else {
        message = v.toString();
    }
    if (fileName.contains(QLatin1String(kPreludeName)) || fileName.isEmpty())
        line = lineFromStack(stack);
    err.line = line;
    if (e) {
        err.position = e->position;
        err.stream = e->stream;
        err.type = e->type;
    }
    QString handler = err.handler.isEmpty() ? QString() : QStringLiteral(" in handler %1").arg(err.handler);
    const QString loc = line > 0 ? QStringLiteral("%1:%2").arg(m_fileName).arg(line) : m_fileName;
    err.message = QStringLiteral("%1: %2%3%4").arg(loc, message, handler, where(e));
    return err;
}

bool JsProjection::invoke(const QString& hostFunction, const QJSValueList& args, QJSValue* result,
                          ProjectionError* error, const Event* event, qint64 timeoutMs)
{
    const QJSValue fn = m_host.property(hostFunction);
    m_watchdog->arm(timeoutMs);
    const QJSValue r = fn.call(args);
    ProjectionError local;
    if (!checkCall(r, event, error ? error : &local))
        return false;
    if (result)
        *result = r;
    return true;
}

bool JsProjection::checkCall(const QJSValue& r, const Event* e, ProjectionError* error)
{
    const HandlerWatchdog::Reason fired = m_watchdog->disarm();
    if (fired != HandlerWatchdog::NotFired) {
        ProjectionError err;
        err.kind = fired == HandlerWatchdog::Time ? ProjectionError::Timeout : ProjectionError::Memory;
        err.file = m_fileName;
        err.handler = m_handlerName.call().toString();
        if (err.handler.isEmpty())
            err.handler = QStringLiteral("(projection code)");
        if (e) {
            err.position = e->position;
            err.stream = e->stream;
            err.type = e->type;
        }
        err.message = fired == HandlerWatchdog::Time
            ? QStringLiteral("%1: interrupted after %2 ms in handler %3%4 (%5 may run at most %6 ms)")
                  .arg(m_fileName).arg(m_watchdog->elapsedMs()).arg(err.handler, where(e))
                  .arg(err.handler == QLatin1String("state serialization") ? QStringLiteral("serializing the state")
                                                                           : QStringLiteral("a handler"))
                  .arg(m_watchdog->timeoutMs())
            : QStringLiteral("%1: interrupted in handler %2%3: it made the process grow by more than %4 (while it "
                             "was the only projection call running)")
                  .arg(m_fileName, err.handler, where(e), mb(m_limits.maxHandlerMemoryBytes));
        m_lastError.call();  // drop whatever the prelude recorded
        *error = err;
        return false;
    }
    if (r.isError()) {  // an exception the prelude could not catch (e.g. stack exhausted in the prelude itself)
        *error = errorFromJs(r, e, ProjectionError::Runtime);
        return false;
    }
    if (r.isNumber() && r.toInt() == kFailed) {
        const QJSValue record = m_lastError.call();
        ProjectionError::Kind kind = ProjectionError::Runtime;
        if (record.property(QStringLiteral("limit")).toBool())
            kind = ProjectionError::Memory;
        else if (record.property(QStringLiteral("tooLarge")).toBool())
            kind = ProjectionError::StateTooLarge;
        *error = errorFromJs(record, e, kind);
        return false;
    }
    return true;
}

JsProjection::Outcome JsProjection::process(const Event& e, QString* partition, ProjectionError* error)
{
    const QJSValue r = callProcess(0, e);
    if (!checkCall(r, &e, error))
        return Outcome::Failed;
    if (r.isNumber())
        return Outcome::Skipped;
    if (partition)
        *partition = r.toString();
    return Outcome::Handled;
}

JsProjection::Outcome JsProjection::processCompare(const Event& e, QString* partition, QString* stateJson,
                                                   ProjectionError* error)
{
    const QJSValue r = callProcess(1, e);
    if (!checkCall(r, &e, error))
        return Outcome::Failed;
    if (r.isNumber())
        return Outcome::Skipped;
    const QString s = r.toString();
    const int sep = s.indexOf(QChar(0));
    *partition = s.left(sep);
    *stateJson = s.mid(sep + 1);
    return Outcome::Handled;
}

JsProjection::Outcome JsProjection::processWatch(const Event& e, bool* before, bool* after, ProjectionError* error)
{
    if (!m_hasWatch) {
        error->kind = ProjectionError::Predicate;
        error->message = QStringLiteral("no watch predicate is set");
        return Outcome::Failed;
    }
    const QJSValue r = callProcess(2, e);
    if (!checkCall(r, &e, error)) {
        if (error->handler == QLatin1String("watch predicate") && error->kind == ProjectionError::Runtime)
            error->kind = ProjectionError::Predicate;
        return Outcome::Failed;
    }
    const int code = r.toInt();
    if (code == kSkip)
        return Outcome::Skipped;
    *after = code & 1;
    *before = code & 2;
    return Outcome::Handled;
}

void JsProjection::setTrackedPath(const std::optional<QString>& partition, bool shared, const QStringList& tokens)
{
    QJSValue list = m_engine->newArray(quint32(tokens.size()));
    for (int i = 0; i < tokens.size(); ++i)
        list.setProperty(quint32(i), tokens.at(i));
    invoke(QStringLiteral("setTrack"), {partition ? QJSValue(*partition) : m_null, QJSValue(shared), list}, nullptr, nullptr);
    m_hasTrack = true;
}

JsProjection::Outcome JsProjection::processTrack(const Event& e, bool* changed, ProjectionError* error)
{
    if (!m_hasTrack) {
        error->kind = ProjectionError::Predicate;
        error->message = QStringLiteral("no tracked path is set");
        return Outcome::Failed;
    }
    const QJSValue r = callProcess(3, e);
    if (!checkCall(r, &e, error))
        return Outcome::Failed;
    const int code = r.toInt();
    if (code == kSkip)
        return Outcome::Skipped;
    *changed = code == 1;
    return Outcome::Handled;
}

bool JsProjection::setWatchPredicate(const QString& text, ProjectionError* error)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        error->kind = ProjectionError::Predicate;
        error->message = QStringLiteral("the watch predicate is empty");
        return false;
    }
    // Compiled inside the engine as the body of a function of (state, event), under the watchdog: nothing of the
    // text runs before the first event, and the prelude refuses a text that is not one expression (see compileWatch).
    m_hasWatch = false;
    if (!invoke(QStringLiteral("compileWatch"), {QJSValue(trimmed)}, nullptr, error)) {
        if (error->kind == ProjectionError::Runtime) {
            error->kind = ProjectionError::Predicate;
            QString why = error->message.section(QStringLiteral(": "), 1);
            why.remove(QStringLiteral(" in handler watch predicate"));
            error->message = QStringLiteral("the watch predicate is not a single JavaScript expression: %1 (it is an "
                                            "expression over `state` and `event`, e.g. state.balance < 0, or a "
                                            "function text)").arg(why);
        }
        error->handler = QStringLiteral("watch predicate");
        return false;
    }
    m_hasWatch = true;
    return true;
}

qint64 JsProjection::serializeTimeoutMs() const
{
    // Serializing a state near the size limit legitimately takes a while (25 MB/s, counting included, is a slow
    // machine's pace); a toJSON() that never returns gets no more than that.
    return m_limits.handlerTimeoutMs + m_limits.maxStateBytes / 25000;
}

bool JsProjection::serialize(QByteArray* out, qint64 position, ProjectionError* error)
{
    QJSValue r;
    const bool ok = invoke(QStringLiteral("serialize"), {}, &r, error, nullptr, serializeTimeoutMs());
    const qint64 chars = ok ? qint64(r.toString().size()) : 0;
    if (!ok && error->kind == ProjectionError::Runtime) {
        error->kind = ProjectionError::StateNotJson;
        error->position = position;
        error->message = QStringLiteral("%1: the state after position %2 cannot be serialized as JSON: %3")
                             .arg(m_fileName).arg(position).arg(error->message.section(QStringLiteral(": "), 1));
        return false;
    }
    // Counted while the text is made (the prelude stops before it passes the limit), then measured exactly.
    if ((!ok && error->kind == ProjectionError::StateTooLarge) || chars > m_limits.maxStateBytes) {
        error->kind = ProjectionError::StateTooLarge;
        error->file = m_fileName;
        error->position = position;
        error->message = QStringLiteral("%1: the projection's state grew beyond %2%3 after position %4; "
                                        "stopped (a projection keeps a summary, not a copy of the log)")
                             .arg(m_fileName, mb(m_limits.maxStateBytes),
                                  ok ? QStringLiteral(" (serialized: %1)").arg(mb(chars)) : QString())
                             .arg(position);
        return false;
    }
    if (!ok) {
        error->position = position;
        return false;
    }
    *out = r.toString().toUtf8();
    return true;
}

bool JsProjection::restore(const QByteArray& serialized, ProjectionError* error)
{
    if (!invoke(QStringLiteral("restore"), {QJSValue(QString::fromUtf8(serialized))}, nullptr, error, nullptr,
                serializeTimeoutMs())) {
        error->kind = ProjectionError::Load;
        error->message = QStringLiteral("%1: cannot restore a checkpoint: %2").arg(m_fileName, error->message);
        return false;
    }
    return true;
}

void JsProjection::reset()
{
    invoke(QStringLiteral("reset"), {}, nullptr, nullptr);
}

bool JsProjection::snapshotFrom(const QByteArray& serialized, ProjectionSnapshot* out, ProjectionError* error)
{
    // Read with the number-keeping parser so the state shows the numbers as JavaScript wrote them (1e-7, not
    // Qt's 1e-07).
    const std::optional<QJsonValue> doc = parseJsonStrict(serialized);
    if (!doc || !doc->isObject()) {
        QJsonParseError pe;
        QJsonDocument::fromJson(serialized, &pe);
        error->kind = ProjectionError::StateNotJson;
        error->file = m_fileName;
        error->message = QStringLiteral("%1: the state cannot be read back as JSON: %2")
                             .arg(m_fileName, doc ? QStringLiteral("not an object") : pe.errorString());
        return false;
    }
    const QJsonObject o = doc->toObject();
    out->partitioned = m_definition.partitioned();
    out->biState = m_definition.biState;
    out->state = out->partitioned ? o.value(QStringLiteral("parts")) : o.value(QStringLiteral("root"));
    if (out->partitioned && !out->state.isObject())
        out->state = QJsonObject();
    out->shared = m_definition.biState ? o.value(QStringLiteral("shared")) : QJsonValue(QJsonValue::Undefined);
    out->result = QJsonValue(QJsonValue::Undefined);
    if (m_definition.transforms > 0) {
        auto apply = [&](const QJsonValue& state, QJsonValue* result) {
            QJSValue r;
            if (!invoke(QStringLiteral("transform"), {QJSValue(QString::fromUtf8(toJsonText(state)))}, &r, error))
                return false;
            *result = parseJsonValue(r.toString().toUtf8());
            return true;
        };
        if (out->partitioned) {
            QJsonObject results;
            const QJsonObject parts = out->state.toObject();
            for (auto it = parts.begin(); it != parts.end(); ++it) {
                QJsonValue r;
                if (!apply(it.value(), &r))
                    return false;
                results.insert(it.key(), r);
            }
            out->result = results;
        } else if (!apply(out->state, &out->result)) {
            return false;
        }
    }
    return true;
}

QString JsProjection::lastPartition()
{
    QJSValue r;
    return invoke(QStringLiteral("lastPartition"), {}, &r, nullptr) ? r.toString() : QString();
}

QString JsProjection::partitionState(const QString& partition, ProjectionError* error)
{
    QJSValue r;
    if (!invoke(QStringLiteral("partitionState"), {QJSValue(partition)}, &r, error, nullptr, serializeTimeoutMs()))
        return {};
    return r.toString();
}

QString JsProjection::sharedState(ProjectionError* error)
{
    if (!m_definition.biState)
        return {};
    QJSValue r;
    if (!invoke(QStringLiteral("sharedState"), {}, &r, error, nullptr, serializeTimeoutMs()))
        return {};
    return r.toString();
}

namespace {

QJsonValue jsonOrNull(const QJSValue& text)
{
    return text.isString() ? parseJsonValue(text.toString().toUtf8()) : QJsonValue(QJsonValue::Null);
}

} // namespace

QList<EmittedEvent> JsProjection::takeEmitted(qint64* total)
{
    QJSValue r;
    if (total)
        *total = 0;
    if (!invoke(QStringLiteral("takeEmitted"), {}, &r, nullptr))
        return {};
    if (total)
        *total = qint64(r.property(QStringLiteral("total")).toNumber());
    const QJSValue items = r.property(QStringLiteral("items"));
    const quint32 n = items.property(QStringLiteral("length")).toUInt();
    QList<EmittedEvent> out;
    out.reserve(int(n));
    for (quint32 i = 0; i < n; ++i) {
        const QJSValue x = items.property(i);
        EmittedEvent e;
        e.kind = x.property(QStringLiteral("kind")).toString();
        e.position = qint64(x.property(QStringLiteral("position")).toNumber());
        e.stream = x.property(QStringLiteral("stream")).toString();
        e.type = x.property(QStringLiteral("type")).toString();
        e.body = jsonOrNull(x.property(QStringLiteral("body")));
        e.metadata = jsonOrNull(x.property(QStringLiteral("metadata")));
        out << e;
    }
    return out;
}

QList<ProjectionLogLine> JsProjection::takeLogs(qint64* total)
{
    QJSValue r;
    if (total)
        *total = 0;
    if (!invoke(QStringLiteral("takeLogs"), {}, &r, nullptr))
        return {};
    if (total)
        *total = qint64(r.property(QStringLiteral("total")).toNumber());
    const QJSValue items = r.property(QStringLiteral("items"));
    const quint32 n = items.property(QStringLiteral("length")).toUInt();
    QList<ProjectionLogLine> out;
    out.reserve(int(n));
    for (quint32 i = 0; i < n; ++i) {
        const QJSValue x = items.property(i);
        out << ProjectionLogLine{qint64(x.property(QStringLiteral("position")).toNumber()),
                                 x.property(QStringLiteral("text")).toString()};
    }
    return out;
}

} // namespace chronoscope
