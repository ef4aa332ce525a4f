#pragma once
// The diff inspector: points A and B (set from the cursor, the replay bar or the timeline's context menu),
// the paths added, removed and changed between the selected stream's states there, side by side in colour.
// Clicking a path asks for its blame: the event that last changed it, which then gets selected.

#include <QJsonArray>
#include <QJsonValue>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace chronoscope {

class DiffModel;
class ReplayController;

class DiffInspector : public QWidget
{
    Q_OBJECT
public:
    explicit DiffInspector(ReplayController* controller, QWidget* parent = nullptr);

    void setDiff(const QString& caption, const QJsonValue& stateA, const QJsonValue& stateB, const QJsonArray& patch);
    void setMessage(const QString& message);
    void setError(const QString& message);
    void setBlameResult(const QString& text);

    DiffModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QString summary() const;

Q_SIGNALS:
    /// The user clicked a changed path: find the event that last changed it at B.
    void blameRequested(const QString& path);

private:
    ReplayController* m_controller;
    QLabel* m_caption;
    QLabel* m_summary;
    QTableView* m_view;
    DiffModel* m_model;
    QLabel* m_blame;
    QPushButton* m_setA;
    QPushButton* m_setB;
    QPushButton* m_swap;
};

} // namespace chronoscope
