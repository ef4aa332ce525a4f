#pragma once
// The event table dock's contents: filters (stream glob, type), "follow cursor", and the lazy table.
// Clicking a row moves the replay cursor onto that event.

#include "timelineindex.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace chronoscope {

class EventTableModel;
class ReplayController;

class EventTableView : public QWidget
{
    Q_OBJECT
public:
    explicit EventTableView(ReplayController* controller, QWidget* parent = nullptr);

    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// More events at the end of the same store (a live tail): the filters stay.
    /// `change`: what TimelineIndex::append() added when the same index grew in place.
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    EventTableModel* model() const { return m_model; }
    QTableView* view() const { return m_view; }
    QLineEdit* streamFilter() const { return m_stream; }
    QComboBox* typeFilter() const { return m_type; }
    QCheckBox* followCursor() const { return m_follow; }

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void applyFilter();
    void followTo(qint64 position);

    ReplayController* m_controller;
    EventTableModel* m_model;
    QLineEdit* m_stream;
    QComboBox* m_type;
    QCheckBox* m_follow;
    QLabel* m_count;
    QTableView* m_view;
    bool m_syncing = false;
};

} // namespace chronoscope
