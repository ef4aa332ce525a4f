#pragma once
// Lets the main "State at cursor" inspector show a loaded JS projection (or one partition of a
// partitioned one) instead of the selected stream's merged state. It offers the projections loaded in
// the projections dock as sources in the inspector's chooser and, while one is chosen, shows its state
// at the replay cursor with the paths that the projection's last handled event changed highlighted.
// It runs its own ProjectionService (one engine for the chosen projection only), so its requests never
// displace the dock's own state requests for the same projection.

#include "projection/projectionservice.h"

#include <QHash>
#include <QObject>

namespace chronoscope {

class ProjectionsDock;
class ReplayController;
class StateInspector;

class ProjectionStateLink : public QObject
{
    Q_OBJECT
public:
    ProjectionStateLink(ProjectionsDock* dock, StateInspector* inspector, ReplayController* controller,
                        QObject* parent = nullptr);

    void setReader(std::unique_ptr<EventReader> reader);
    /// A projection is chosen (the window must then leave the inspector alone).
    bool active() const { return !m_projection.isEmpty(); }
    QString projection() const { return m_projection; }
    QString partition() const { return m_partition; }
    /// The chooser key for a projection (and partition).
    static QString key(const QString& projection, const QString& partition = {});
    /// The partitions seen so far in the chosen projection's states (offered in the chooser).
    QStringList partitions(const QString& projection) const { return m_partitions.value(projection); }

Q_SIGNALS:
    /// The inspector went back to the default source: the window shows the stream's state again.
    void defaultChosen();
    void stateShown(const QString& projection, const QString& partition, qint64 position);

private:
    void refreshSources();
    void choose(const QString& key);
    void ensureLoaded();
    void request();
    QJsonValue shownValue(const ProjectionSnapshot& snapshot) const;
    void show(const QStringList& changed);

    ProjectionsDock* m_dock;
    StateInspector* m_inspector;
    ReplayController* m_controller;
    ProjectionService* m_service;
    bool m_hasReader = false;

    QString m_projection;  ///< chosen; empty: the default source
    QString m_partition;
    QString m_loadedName;
    QString m_loadedSource;
    QHash<QString, QStringList> m_partitions;

    quint64 m_request = 0;        ///< the state at the cursor
    quint64 m_beforeRequest = 0;  ///< the state before the projection's last handled event
    ProjectionSnapshot m_after;
};

} // namespace chronoscope
