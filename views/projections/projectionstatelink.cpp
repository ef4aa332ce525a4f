#include "projections/projectionstatelink.h"

#include "diff/jsondiff.h"
#include "projections/projectionsdock.h"
#include "replaycontroller.h"
#include "stateinspector.h"

#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

namespace {
constexpr QChar kSep = QChar(0x1f);  // between projection and partition in a chooser key
constexpr int kMaxPartitionsOffered = 200;
} // namespace

ProjectionStateLink::ProjectionStateLink(ProjectionsDock* dock, StateInspector* inspector, ReplayController* controller,
                                         QObject* parent)
    : QObject(parent), m_dock(dock), m_inspector(inspector), m_controller(controller), m_service(new ProjectionService(this))
{
    connect(m_inspector, &StateInspector::sourceChanged, this, &ProjectionStateLink::choose);
    connect(m_dock, &ProjectionsDock::projectionLoaded, this, [this](const QString& name) {
        refreshSources();
        if (name == m_projection) {
            ensureLoaded();  // the dock reloaded it (edited, or changed on disk)
            request();
        }
    });
    // A projection that failed to load is offered too: choosing it shows why it failed.
    connect(m_dock, &ProjectionsDock::projectionFailed, this, [this] { refreshSources(); });
    if (m_controller)
        connect(m_controller, &ReplayController::cursorChanged, this, [this] { request(); });

    connect(m_service, &ProjectionService::stateReady, this,
            [this](quint64 id, const QString&, const ProjectionSnapshot& snap, const QList<ProjectionLogLine>&,
                   const QList<EmittedEvent>&) {
        if (id == m_request) {
            m_request = 0;
            m_after = snap;
            if (snap.partitioned) {
                QStringList names = snap.state.toObject().keys();
                if (names.size() > kMaxPartitionsOffered)
                    names = names.mid(0, kMaxPartitionsOffered);
                if (names != m_partitions.value(m_projection)) {
                    m_partitions.insert(m_projection, names);
                    refreshSources();
                }
            }
            // Highlight what the last handled event changed: compare with the state just before it.
            if (snap.lastEventPosition > 0) {
                m_beforeRequest = m_service->requestState(m_projection, snap.lastEventPosition - 1);
                return;
            }
            show({});
        } else if (id == m_beforeRequest) {
            m_beforeRequest = 0;
            QStringList changed;
            const QJsonArray patch = diffJson(shownValue(snap), shownValue(m_after));
            for (const QJsonValue& op : patch)
                changed << op.toObject().value(QStringLiteral("path")).toString();
            show(changed);
        }
    });
    connect(m_service, &ProjectionService::failed, this, [this](quint64 id, const QString&, const ProjectionError& err) {
        if (id == m_beforeRequest) {
            m_beforeRequest = 0;
            show({});  // the state itself is known; only the highlight is missing
        } else if (id == m_request) {
            m_request = 0;
            m_inspector->setBusy(false);
            m_inspector->setError(tr("Projection %1: %2").arg(m_projection, err.message));
        }
    });
    refreshSources();
}

QString ProjectionStateLink::key(const QString& projection, const QString& partition)
{
    return partition.isEmpty() ? projection : projection + kSep + partition;
}

void ProjectionStateLink::setReader(std::unique_ptr<EventReader> reader)
{
    m_hasReader = reader != nullptr;
    m_request = m_beforeRequest = 0;  // answers about the previous store are dropped
    m_service->setReader(std::move(reader));
    m_partitions.clear();
    refreshSources();
    request();
}

void ProjectionStateLink::refreshSources()
{
    QList<QPair<QString, QString>> sources;
    for (const QString& name : m_dock->names()) {
        sources.append({tr("Projection: %1").arg(name), key(name)});
        for (const QString& p : m_partitions.value(name))
            sources.append({tr("Projection: %1 › partition %2").arg(name, p), key(name, p)});
    }
    // A chosen partition that the new store lacks is still offered, so the choice does not jump.
    if (!m_partition.isEmpty() && !m_partitions.value(m_projection).contains(m_partition))
        sources.append({tr("Projection: %1 › partition %2").arg(m_projection, m_partition), key(m_projection, m_partition)});
    m_inspector->setSources(sources);
}

void ProjectionStateLink::choose(const QString& k)
{
    const int sep = k.indexOf(kSep);
    const QString projection = sep < 0 ? k : k.left(sep);
    const QString partition = sep < 0 ? QString() : k.mid(sep + 1);
    if (projection == m_projection && partition == m_partition)
        return;
    const bool wasActive = active();
    m_projection = projection;
    m_partition = partition;
    m_request = m_beforeRequest = 0;
    if (!active()) {
        m_service->unload(m_loadedName);
        m_loadedName.clear();
        m_loadedSource.clear();
        if (wasActive)
            Q_EMIT defaultChosen();
        return;
    }
    ensureLoaded();
    request();
}

void ProjectionStateLink::ensureLoaded()
{
    const QString source = m_dock->sourceOf(m_projection);
    if (m_projection == m_loadedName && source == m_loadedSource)
        return;
    if (!m_loadedName.isEmpty() && m_loadedName != m_projection)
        m_service->unload(m_loadedName);
    m_loadedName = m_projection;
    m_loadedSource = source;
    // Queued on the worker ahead of the state request below; a load error answers that request too.
    const QString path = m_dock->pathOf(m_projection);
    m_service->load(m_projection, source, path.isEmpty() ? m_projection : path);
}

void ProjectionStateLink::request()
{
    if (!active() || !m_hasReader)
        return;
    m_inspector->setBusy(true);
    m_beforeRequest = 0;
    m_request = m_service->requestState(m_projection, m_controller ? m_controller->cursor() : kNoLimit);
}

QJsonValue ProjectionStateLink::shownValue(const ProjectionSnapshot& snapshot) const
{
    if (!m_partition.isEmpty())
        return snapshot.partition(m_partition);
    QJsonValue shown = snapshot.view();
    if (!snapshot.result.isUndefined())
        shown = QJsonObject{{QStringLiteral("state"), shown}, {QStringLiteral("result"), snapshot.result}};
    return shown;
}

void ProjectionStateLink::show(const QStringList& changed)
{
    const ProjectionSnapshot& s = m_after;
    m_inspector->setBusy(false);
    const QJsonValue value = shownValue(s);
    QString caption = tr("Projection <b>%1</b>").arg(m_projection.toHtmlEscaped());
    if (!m_partition.isEmpty())
        caption += tr(", partition <b>%1</b>").arg(m_partition.toHtmlEscaped());
    caption += tr(" after position %1").arg(s.position);
    if (value.isUndefined()) {
        m_inspector->setMessage(caption + tr("<br><i>This partition has no state yet at the cursor.</i>"));
    } else {
        if (s.lastEventPosition > 0)
            caption += tr("<br>Highlighted: what its last handled event (position %1) changed.").arg(s.lastEventPosition);
        else
            caption += tr("<br>No event handled yet: the $init state.");
        m_inspector->setState(value, caption, changed);
    }
    Q_EMIT stateShown(m_projection, m_partition, s.position);
}

} // namespace chronoscope
