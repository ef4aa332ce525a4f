#include "eventtableview.h"

#include "eventtablemodel.h"
#include "replaycontroller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QTableView>
#include <QVBoxLayout>

namespace chronoscope {

EventTableView::EventTableView(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_model(new EventTableModel(this)), m_stream(new QLineEdit(this)),
      m_type(new QComboBox(this)), m_follow(new QCheckBox(tr("Follow cursor"), this)), m_count(new QLabel(this)),
      m_view(new QTableView(this))
{
    setObjectName(QStringLiteral("eventTable"));
    m_stream->setPlaceholderText(tr("Stream: order-* or part of a name"));
    m_stream->setClearButtonEnabled(true);
    m_type->setMinimumContentsLength(18);
    m_follow->setChecked(true);
    m_view->setModel(m_model);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(EventTableModel::PositionColumn, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->setAlternatingRowColors(true);
    // Tab leaves the table for the next dock (arrows move between rows); a table that takes Tab traps the
    // keyboard and moves the replay cursor on every press.
    m_view->setTabKeyNavigation(false);
    m_view->installEventFilter(this);
    auto* header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->resizeSection(EventTableModel::PositionColumn, 90);
    header->resizeSection(EventTableModel::TimeColumn, 200);
    header->resizeSection(EventTableModel::StreamColumn, 200);
    header->resizeSection(EventTableModel::VersionColumn, 70);
    header->setStretchLastSection(true);

    auto* filters = new QHBoxLayout;
    filters->addWidget(m_stream, 2);
    filters->addWidget(m_type, 1);
    filters->addWidget(m_follow);
    filters->addWidget(m_count);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(filters);
    layout->addWidget(m_view, 1);

    // The model shows a window of the rows (see EventTableModel): when it moves without a reset, the view
    // scrolls by as many rows so the same events stay under the pointer; scrolled to the top, it asks for
    // the rows before (fetchMore() asks for those after by itself).
    connect(m_model, &EventTableModel::windowShifted, this, [this](int rows) {
        QScrollBar* bar = m_view->verticalScrollBar();
        const int step = m_view->verticalScrollMode() == QAbstractItemView::ScrollPerItem ? 1 : m_view->verticalHeader()->defaultSectionSize();
        bar->setValue(bar->value() - rows * step);
    });
    connect(m_view->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        if (value == m_view->verticalScrollBar()->minimum() && m_model->canFetchPrevious())
            m_model->fetchPrevious();
    });
    connect(m_stream, &QLineEdit::textChanged, this, &EventTableView::applyFilter);
    connect(m_type, &QComboBox::currentIndexChanged, this, &EventTableView::applyFilter);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& cur) {
        if (m_syncing || !cur.isValid())
            return;
        m_controller->jumpToEvent(m_model->positionAt(cur.row()));
    });
    connect(m_controller, &ReplayController::cursorChanged, this, [this](qint64 p) {
        if (m_follow->isChecked())
            followTo(p);
    });
    connect(m_follow, &QCheckBox::toggled, this, [this](bool on) {
        if (on)
            followTo(m_controller->cursor());
    });
}

bool EventTableView::eventFilter(QObject* watched, QEvent* event)
{
    // Focus arriving (Tab, Alt+N) makes a table without a current row pick its first one; that is not the
    // user choosing an event, so it must not move the cursor: the row at the cursor becomes current quietly.
    if (watched == m_view && event->type() == QEvent::FocusIn && !m_view->currentIndex().isValid() && m_model->rowCount() > 0) {
        m_syncing = true;
        const int row = m_model->rowNearPosition(m_controller->cursor());
        m_view->selectionModel()->setCurrentIndex(m_model->index(std::max(row, 0), 0), QItemSelectionModel::NoUpdate);
        m_syncing = false;
    }
    return QWidget::eventFilter(watched, event);
}

void EventTableView::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    m_syncing = true;
    m_type->clear();
    m_type->addItem(tr("All types"), QString());
    if (index) {
        QStringList types = index->types;
        types.sort();
        for (const QString& t : types)
            m_type->addItem(t, t);
    }
    m_stream->clear();
    m_model->setIndex(std::move(index));
    m_syncing = false;
    applyFilter();
}

void EventTableView::updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change)
{
    if (index && int(index->types.size()) + 1 != m_type->count()) {
        const QSignalBlocker block(m_type);
        const QString current = m_type->currentData().toString();
        m_type->clear();
        m_type->addItem(tr("All types"), QString());
        QStringList types = index->types;
        types.sort();
        for (const QString& t : types)
            m_type->addItem(t, t);
        m_type->setCurrentIndex(std::max(0, m_type->findData(current)));
    }
    m_model->updateIndex(std::move(index), change);
    m_count->setText(tr("%1 events").arg(QLocale().toString(m_model->totalRows())));
    if (m_follow->isChecked())
        followTo(m_controller->cursor());
}

void EventTableView::applyFilter()
{
    if (m_syncing)
        return;
    m_model->setFilter(m_stream->text(), m_type->currentData().toString());
    m_count->setText(tr("%1 events").arg(QLocale().toString(m_model->totalRows())));
    if (m_follow->isChecked())
        followTo(m_controller->cursor());
}

void EventTableView::followTo(qint64 position)
{
    const int row = m_model->rowNearPosition(position);
    if (row < 0)
        return;
    m_syncing = true;
    const QModelIndex idx = m_model->index(row, 0);
    m_view->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->scrollTo(idx, QAbstractItemView::PositionAtCenter);
    m_syncing = false;
}

} // namespace chronoscope
