#include "projections/projectiondifflink.h"

#include "diff/jsondiff.h"
#include "diffinspector.h"
#include "projections/projectionsdock.h"
#include "replaycontroller.h"

#include <QJsonArray>

namespace chronoscope {

ProjectionDiffLink::ProjectionDiffLink(ProjectionsDock* dock, DiffInspector* inspector, ReplayController* controller,
                                       QObject* parent)
    : QObject(parent), m_dock(dock), m_inspector(inspector), m_controller(controller), m_service(new ProjectionService(this))
{
    if (m_controller)
        connect(m_controller, &ReplayController::cursorChanged, this, [this] { request(); });
    connect(m_service, &ProjectionService::stateReady, this,
            [this](quint64 id, const QString&, const ProjectionSnapshot& snap, const QList<ProjectionLogLine>&,
                   const QList<EmittedEvent>&) {
        if (id == m_requestA) {
            m_snapA = snap;
            m_haveA = true;
        } else if (id == m_requestB) {
            m_snapB = snap;
            m_haveB = true;
        } else {
            return;
        }
        showIfComplete();
    });
    connect(m_service, &ProjectionService::failed, this, [this](quint64 id, const QString& name, const ProjectionError& err) {
        if (id != m_requestA && id != m_requestB)
            return;
        m_requestA = m_requestB = 0;
        m_inspector->setError(tr("Projection %1: %2").arg(name, err.message));
    });
}

void ProjectionDiffLink::setReader(std::unique_ptr<EventReader> reader)
{
    m_hasReader = reader != nullptr;
    m_service->setReader(std::move(reader));
    request();
}

void ProjectionDiffLink::setActive(bool on)
{
    if (on == m_active)
        return;
    m_active = on;
    m_requestA = m_requestB = 0;
    if (!on) {
        m_service->unload(m_a);
        m_service->unload(m_b);
        m_sourceA.clear();
        m_sourceB.clear();
        Q_EMIT deactivated();
        return;
    }
    request();
}

void ProjectionDiffLink::setProjections(const QString& a, const QString& b)
{
    if (a == m_a && b == m_b)
        return;
    if (m_active) {
        if (a != m_a && m_a != b) {
            m_service->unload(m_a);
            m_sourceA.clear();
        }
        if (b != m_b && m_b != a) {
            m_service->unload(m_b);
            m_sourceB.clear();
        }
    }
    // Swapped names keep their engines; only the remembered texts follow them.
    if (a == m_b && b == m_a) {
        std::swap(m_sourceA, m_sourceB);
    } else {
        if (a != m_a)
            m_sourceA.clear();
        if (b != m_b)
            m_sourceB.clear();
    }
    m_a = a;
    m_b = b;
    request();
}

void ProjectionDiffLink::projectionReloaded(const QString& name)
{
    if (m_active && (name == m_a || name == m_b))
        request();
}

void ProjectionDiffLink::ensureLoaded(const QString& name, QString* loadedSource)
{
    const QString source = m_dock->sourceOf(name);
    if (source == *loadedSource)
        return;
    *loadedSource = source;
    const QString path = m_dock->pathOf(name);
    m_service->load(name, source, path.isEmpty() ? name : path);  // queued ahead of the state requests
}

void ProjectionDiffLink::request()
{
    if (!m_active || !m_hasReader)
        return;
    m_requestA = m_requestB = 0;
    if (m_a.isEmpty() || m_b.isEmpty() || m_a == m_b) {
        m_inspector->setMessage(tr("Choose two different projections as A and B in the projections dock."));
        return;
    }
    ensureLoaded(m_a, &m_sourceA);
    ensureLoaded(m_b, &m_sourceB);
    m_haveA = m_haveB = false;
    const qint64 at = m_controller ? m_controller->cursor() : kNoLimit;
    m_requestA = m_service->requestState(m_a, at);
    m_requestB = m_service->requestState(m_b, at);
}

void ProjectionDiffLink::showIfComplete()
{
    if (!m_haveA || !m_haveB)
        return;
    m_requestA = m_requestB = 0;
    const QJsonValue a = m_snapA.view(), b = m_snapB.view();
    m_inspector->setDiff(tr("Projections <b>%1</b> (A) → <b>%2</b> (B) after position %3")
                             .arg(m_a.toHtmlEscaped(), m_b.toHtmlEscaped())
                             .arg(m_snapA.position),
                         a, b, diffJson(a, b));
    Q_EMIT diffShown(m_a, m_b, m_snapA.position);
}

} // namespace chronoscope
