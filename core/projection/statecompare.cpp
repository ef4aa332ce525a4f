#include "projection/statecompare.h"

#include "diff/jsondiff.h"
#include "projection/jsprojection.h"
#include "projection/projectionreplay.h"
#include "json/jsonvalue.h"

#include <QJsonDocument>

namespace chronoscope {

namespace {

// Numbers by value: the local state's kept number texts ("1.10") are read as doubles, like the server's.
QJsonValue plain(const QByteArray& json)
{
    return QJsonDocument::fromJson("[" + json + "]").array().at(0);
}

QJsonObject eventJson(const Event& e)
{
    return {{QStringLiteral("position"), e.position},
            {QStringLiteral("stream"), e.stream},
            {QStringLiteral("version"), e.version},
            {QStringLiteral("type"), e.type},
            {QStringLiteral("id"), e.id}};
}

} // namespace

QJsonObject StateCompareResult::toJson() const
{
    QJsonArray blame;
    for (const StateCompareBlame& b : blames) {
        QJsonObject o{{QStringLiteral("op"), b.op},
                      {QStringLiteral("path"), b.path},
                      {QStringLiteral("event"), b.found ? QJsonValue(eventJson(b.event)) : QJsonValue()}};
        if (!b.error.isEmpty()) o.insert(QStringLiteral("error"), b.error);
        blame.append(o);
    }
    QJsonObject o{{QStringLiteral("position"), position}, {QStringLiteral("agree"), agree},
                  {QStringLiteral("local"), local},       {QStringLiteral("server"), server},
                  {QStringLiteral("patch"), patch},       {QStringLiteral("blame"), blame}};
    if (blamesLeftOut > 0) o.insert(QStringLiteral("blameLeftOut"), blamesLeftOut);
    return o;
}

bool compareProjectionState(JsProjection* projection, EventReader* reader, qint64 position,
                            const QByteArray& serverJson, const StateCompareOptions& options,
                            StateCompareResult* out, ProjectionError* error, const CancelToken& cancel,
                            const ProgressFn& progress)
{
    *out = {};
    ProjectionReplay replay(projection, reader);
    if (options.growing) {
        // Follow the filling reader: each step replays the events committed since the last one, while the
        // next ones are being read.
        qint64 have = 0;
        while (have < position) {
            qint64 next = have;
            QString why;
            if (!options.growing(have, &next, &why)) {
                error->kind = cancel.isCancelled() ? ProjectionError::Cancelled : ProjectionError::Read;
                error->message = cancel.isCancelled() ? QStringLiteral("cancelled") : why;
                return false;
            }
            if (next <= have) break;
            have = next;
            if (!replay.seek(std::min(have, position), error, cancel, progress)) return false;
        }
        replay.refresh();
    }
    ProjectionSnapshot snap;
    if (!replay.stateAt(position, &snap, error, cancel, progress)) return false;
    out->position = snap.position;
    if (snap.partitioned && !options.partition) {
        out->needsPartition = true;
        return true;
    }
    // What the patch's paths address, and where that is inside the replay's view() (blame's pointers).
    QJsonValue local;
    QString prefix;
    if (snap.partitioned) {
        local = snap.partition(*options.partition);
        prefix = QStringLiteral("/partitions/") + escapeJsonPointerToken(*options.partition);
    } else {
        local = snap.state;
        if (snap.biState) prefix = QStringLiteral("/state");
    }
    out->local = plain(toJsonText(local.isUndefined() ? QJsonValue() : local));
    out->server = plain(serverJson);
    out->patch = diffJson(out->local, out->server);
    out->agree = out->patch.isEmpty();
    const int total = int(out->patch.size());
    for (int i = 0; i < total; ++i) {
        if (i >= options.maxBlames) {
            out->blamesLeftOut = total - i;
            break;
        }
        if (cancel.isCancelled()) {
            error->kind = ProjectionError::Cancelled;
            error->message = QStringLiteral("cancelled");
            return false;
        }
        const QJsonObject op = out->patch.at(i).toObject();
        StateCompareBlame b;
        b.op = op.value(QStringLiteral("op")).toString();
        b.path = op.value(QStringLiteral("path")).toString();
        if (progress)
            progress(i, total, QStringLiteral("blaming %1 (%2 of %3)").arg(b.path).arg(i + 1).arg(total));
        ProjectionBlame pb;
        ProjectionError be;
        if (replay.blame(position, prefix + b.path, &pb, &be, cancel)) {
            b.found = pb.found;
            b.event = pb.event;
        } else if (be.kind == ProjectionError::Cancelled || cancel.isCancelled()) {
            *error = be;
            error->kind = ProjectionError::Cancelled;
            return false;
        } else {
            b.error = be.message;
        }
        out->blames.append(b);
    }
    out->eventsHandled = replay.eventsHandled();
    return true;
}

} // namespace chronoscope
