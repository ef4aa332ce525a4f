#pragma once
// Lets the main Diff dock compare two loaded JS projections (the projections dock's A and B) at the
// replay cursor, instead of the selected stream's states at two moments. Like ProjectionStateLink it
// runs its own ProjectionService holding only A and B, so it never displaces the dock's requests.

#include "projection/projectionservice.h"

#include <QObject>

namespace chronoscope {

class DiffInspector;
class ProjectionsDock;
class ReplayController;

class ProjectionDiffLink : public QObject
{
    Q_OBJECT
public:
    ProjectionDiffLink(ProjectionsDock* dock, DiffInspector* inspector, ReplayController* controller,
                       QObject* parent = nullptr);

    void setReader(std::unique_ptr<EventReader> reader);
    /// On: the Diff dock shows A against B at the cursor (while both are set and different).
    void setActive(bool on);
    bool active() const { return m_active; }
    void setProjections(const QString& a, const QString& b);
    QString projectionA() const { return m_a; }
    QString projectionB() const { return m_b; }
    /// A projection was (re)loaded in the dock: reload it here if it is A or B.
    void projectionReloaded(const QString& name);
    /// A path of the shown diff was clicked: find the event whose handlers last changed it in the
    /// projection that holds it (B, or A when the path exists only there) at the diff's position; the
    /// cursor then moves to that event (blameShown). False when no projection diff is shown.
    bool blame(const QString& path);
    bool isBlaming() const { return m_blameRequest != 0; }

Q_SIGNALS:
    /// Turned off: the window shows the stream diff again.
    void deactivated();
    void diffShown(const QString& a, const QString& b, qint64 position);
    void blameShown(qint64 position);

private:
    void ensureLoaded(const QString& name, QString* loadedSource);
    void request();
    void showIfComplete();

    ProjectionsDock* m_dock;
    DiffInspector* m_inspector;
    ReplayController* m_controller;
    ProjectionService* m_service;
    bool m_hasReader = false;
    bool m_active = false;
    QString m_a, m_b;
    QString m_sourceA, m_sourceB;  ///< the texts loaded here, to notice reloads
    quint64 m_requestA = 0, m_requestB = 0;
    bool m_haveA = false, m_haveB = false;
    ProjectionSnapshot m_snapA, m_snapB;
    bool m_shown = false;          ///< m_snapA/m_snapB are the diff on screen
    quint64 m_blameRequest = 0;
    QString m_blamePath, m_blameProjection;
    QString m_blameText;           ///< kept across the diff the cursor move brings
};

} // namespace chronoscope
