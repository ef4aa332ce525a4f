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
    connect(m_service, &ProjectionService::blameReady, this, [this](quint64 id, const QString& name, const ProjectionBlame& b) {
        if (id != m_blameRequest)
            return;
        m_blameRequest = 0;
        if (!b.found) {
            m_blameText = tr("No event changed %1 in %2: it comes from its $init state.")
                              .arg(m_blamePath.toHtmlEscaped(), name.toHtmlEscaped());
            m_inspector->setBlameResult(m_blameText);
            m_blameText.clear();
            return;
        }
        const Event& e = b.event;
        m_blameText = tr("%1 in <b>%2</b>: last changed by <b>%3</b> (%4 v%5) at position %6%7 — cursor moved there.")
                          .arg(m_blamePath.toHtmlEscaped(), name.toHtmlEscaped(), e.type.toHtmlEscaped(),
                               e.stream.toHtmlEscaped())
                          .arg(e.version)
                          .arg(e.position)
                          .arg(b.partition.isEmpty() ? QString() : tr(", partition %1").arg(b.partition.toHtmlEscaped()));
        m_inspector->setBlameResult(m_blameText);
        // Like a stream blame: the cursor (and with it the state, event and table) goes to that event. The
        // diff then follows the cursor; the blame line stays until the next click.
        if (m_controller)
            m_controller->jumpToEvent(e.position);
        Q_EMIT blameShown(e.position);
    });
    connect(m_service, &ProjectionService::failed, this, [this](quint64 id, const QString& name, const ProjectionError& err) {
        if (id == m_blameRequest) {
            m_blameRequest = 0;
            m_inspector->setBlameResult(tr("Projection %1: %2").arg(name, err.message).toHtmlEscaped());
            return;
        }
        if (id != m_requestA && id != m_requestB)
            return;
        m_requestA = m_requestB = 0;
        m_inspector->setError(tr("Projection %1: %2").arg(name, err.message));
    });
}

void ProjectionDiffLink::setReader(std::unique_ptr<EventReader> reader)
{
    // Another store: nothing computed on the previous one is shown or answered any more.
    m_requestA = m_requestB = m_blameRequest = 0;
    m_haveA = m_haveB = m_shown = false;
    m_snapA = m_snapB = {};
    m_blameText.clear();
    m_hasReader = reader != nullptr;
    m_service->setReader(std::move(reader));
    request();
}

void ProjectionDiffLink::setActive(bool on)
{
    if (on == m_active)
        return;
    m_active = on;
    m_requestA = m_requestB = m_blameRequest = 0;
    m_shown = false;
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
    m_shown = false;
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
    m_shown = true;
    if (!m_blameText.isEmpty()) {
        m_inspector->setBlameResult(m_blameText);  // the diff at the blamed event, with the answer that led there
        m_blameText.clear();
    }
    Q_EMIT diffShown(m_a, m_b, m_snapA.position);
}

bool ProjectionDiffLink::blame(const QString& path)
{
    if (!m_active || !m_shown || path.isNull())
        return false;
    // The diff compares the projections' views (ProjectionSnapshot::view()), and so do the pointers blame
    // takes: the path is asked of the projection that holds it, at the position the diff was taken.
    QString pointerError;
    const std::optional<QStringList> tokens = parseJsonPointer(path, &pointerError);
    const bool inB = tokens && valueAtPointer(m_snapB.view(), *tokens).has_value();
    m_blameProjection = inB ? m_b : m_a;
    m_blamePath = path;
    m_blameText.clear();
    m_blameRequest = m_service->requestBlame(m_blameProjection, (inB ? m_snapB : m_snapA).position, path);
    return true;
}

} // namespace chronoscope
