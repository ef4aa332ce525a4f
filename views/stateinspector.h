#pragma once
// The state inspector: the selected stream's state at the replay cursor as a tree, with the paths the
// stream's latest applied event changed highlighted (and their parents opened so the change is visible).

#include <QJsonValue>
#include <QWidget>

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

    JsonTreeModel* model() const { return m_model; }
    QTreeView* view() const { return m_view; }
    QString caption() const;

private:
    QLabel* m_caption;
    QTreeView* m_view;
    JsonTreeModel* m_model;
};

} // namespace chronoscope
