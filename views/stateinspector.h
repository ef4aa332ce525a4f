#pragma once
// The state inspector: the selected stream's state at the replay cursor as a tree, with the paths the
// stream's latest applied event changed highlighted (and their parents opened so the change is visible).

#include <QJsonValue>
#include <QWidget>

class QComboBox;
class QLabel;
class QTreeView;

namespace chronoscope {

class JsonTreeModel;

class StateInspector : public QWidget
{
    Q_OBJECT
public:
    explicit StateInspector(QWidget* parent = nullptr);

    /// caption: what the state is ("order-1 after v3 OrderPaid, position 812"); changedPaths: JSON pointers.
    void setState(const QJsonValue& state, const QString& caption, const QStringList& changedPaths);
    void setMessage(const QString& message);
    void setError(const QString& message);
    /// Shows that a newer state is being computed (keeps the old one visible meanwhile).
    void setBusy(bool busy);

    /// What the inspector can show, as (label, key) pairs; the key "" is the default (the selected stream's
    /// merged state). The chooser above the tree is shown only when there is more than the default.
    /// The current choice is kept when its key is still offered, else the default is chosen.
    void setSources(const QList<QPair<QString, QString>>& sources);
    QString currentSource() const;
    /// false when no source has that key.
    bool setCurrentSource(const QString& key);
    QComboBox* sourceBox() const { return m_source; }

    JsonTreeModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    QString caption() const;

Q_SIGNALS:
    /// The user (or setCurrentSource / setSources) chose another source.
    void sourceChanged(const QString& key);

private:
    QComboBox* m_source;
    QLabel* m_caption;
    QTreeView* m_view;
    JsonTreeModel* m_model;
};

} // namespace chronoscope
