#include "streambrowser.h"

#include "replaycontroller.h"
#include "streambrowserdelegate.h"
#include "streamtreemodel.h"

#include <QAction>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include <functional>
#include <set>
#include <utility>

namespace chronoscope {

StreamBrowser::StreamBrowser(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_model(new StreamTreeModel(this)), m_proxy(new StreamFilterProxy(this)),
      m_search(new QLineEdit(this)), m_regex(new QCheckBox(tr("Regex"), this)), m_status(new QLabel(this)),
      m_view(new QTreeView(this)), m_pin(new QPushButton(tr("Pin"), this)), m_showAll(new QPushButton(tr("Show all"), this)),
      m_throttle(new QTimer(this))
{
    setObjectName(QStringLiteral("streamBrowser"));
    m_search->setPlaceholderText(tr("Filter: order-*, 42, or a regex"));
    m_search->setClearButtonEnabled(true);
    m_search->setObjectName(QStringLiteral("streamSearch"));
    m_regex->setToolTip(tr("Treat the filter as a regular expression instead of a glob"));
    m_status->setWordWrap(true);
    m_status->setVisible(false);
    // The view shows the model itself (its rows are in name order); the proxy only while filtering or sorted
    // otherwise (see chooseModel()).
    m_view->setModel(m_model);
    m_view->setItemDelegate(new StreamItemDelegate(m_view));
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setUniformRowHeights(true);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(StreamTreeModel::NameColumn, Qt::AscendingOrder);
    m_view->setAlternatingRowColors(true);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(QHeaderView::Interactive);
    // Names get whatever the number and time columns leave, so the dock's default width shows every column.
    m_view->header()->setSectionResizeMode(StreamTreeModel::NameColumn, QHeaderView::Stretch);
    m_view->header()->resizeSection(StreamTreeModel::EventsColumn, m_view->fontMetrics().horizontalAdvance(QStringLiteral("1,000,000")) + 14);
    const int timeWidth = m_view->fontMetrics().horizontalAdvance(QStringLiteral("Mar 30 23:59")) + 14;
    m_view->header()->resizeSection(StreamTreeModel::FirstColumn, timeWidth);
    m_view->header()->resizeSection(StreamTreeModel::LastColumn, timeWidth);
    // The dock is narrow: First starts hidden (it is in every row's tooltip) and long names keep their
    // distinguishing end ("inventory…1024"). Right-click the header to show or hide a column.
    m_view->header()->setSectionHidden(StreamTreeModel::FirstColumn, true);
    m_view->setTextElideMode(Qt::ElideMiddle);
    m_view->header()->setContextMenuPolicy(Qt::ActionsContextMenu);
    for (int column = StreamTreeModel::EventsColumn; column < StreamTreeModel::ColumnCount; ++column) {
        auto* toggle = new QAction(m_model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString(), m_view->header());
        toggle->setCheckable(true);
        toggle->setChecked(!m_view->header()->isSectionHidden(column));
        connect(toggle, &QAction::toggled, this, [this, column](bool on) { m_view->header()->setSectionHidden(column, !on); });
        m_view->header()->addAction(toggle);
    }
    m_pin->setToolTip(tr("Pin the selected streams: they stay on the timeline whatever is selected or filtered"));
    m_showAll->setToolTip(tr("Clear the selection and show every stream the filter matches"));
    m_throttle->setSingleShot(true);
    m_throttle->setInterval(kUpdateIntervalMs);
    connect(m_throttle, &QTimer::timeout, this, &StreamBrowser::applyPendingIndex);

    auto* top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    top->addWidget(m_regex);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_pin);
    buttons->addWidget(m_showAll);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_status);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);

    // Typing is debounced: with hundreds of thousands of streams a filter pass takes tens of milliseconds.
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(120);
    connect(debounce, &QTimer::timeout, this, &StreamBrowser::applyFilter);
    connect(m_search, &QLineEdit::textEdited, debounce, qOverload<>(&QTimer::start));
    connect(m_regex, &QCheckBox::toggled, this, &StreamBrowser::applyFilter);
    connect(m_pin, &QPushButton::clicked, this, &StreamBrowser::togglePinSelected);
    connect(m_showAll, &QPushButton::clicked, this, &StreamBrowser::clearSelection);
    connectSelection();
    connect(m_view->header(), &QHeaderView::sortIndicatorChanged, this, [this] { chooseModel(); });
    if (m_controller)
        connect(m_controller, &ReplayController::selectedStreamChanged, this, [this](const QString& stream) {
            // Follow the controller without changing which lanes are shown.
            const QModelIndex src = m_model->indexOfStream(stream);
            const QModelIndex idx = toView(src);
            if (!idx.isValid())
                return;
            m_updating = true;
            m_view->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::NoUpdate);
            m_view->scrollTo(idx);
            m_updating = false;
        });
}

void StreamBrowser::connectSelection()
{
    // setModel() gives the view a new selection model: connected again after each switch.
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (m_updating)
            return;
        // The stream clicked last becomes the one replay steps through and the state inspector shows.
        const QModelIndex cur = m_view->currentIndex();
        const QString stream = cur.data(StreamTreeModel::StreamRole).toString();
        if (m_controller && !stream.isEmpty() && m_view->selectionModel()->isSelected(cur))
            m_controller->setSelectedStream(stream);
        emitLanes();
    });
}

QModelIndex StreamBrowser::toView(const QModelIndex& source) const
{
    return m_view->model() == m_proxy ? m_proxy->mapFromSource(source) : source;
}

QModelIndex StreamBrowser::toSource(const QModelIndex& shown) const
{
    return shown.model() == m_proxy ? m_proxy->mapToSource(shown) : shown;
}

void StreamBrowser::chooseModel()
{
    // The proxy costs every inserted stream a pass over its category's mapping (O(streams), two of them for
    // a row inserted in the middle): a live tail into a category of 200,000 streams paid milliseconds per
    // refresh. It is in between only while it does something, filtering or an order other than the model's.
    const QHeaderView* header = m_view->header();
    const bool sorted = header->sortIndicatorSection() != StreamTreeModel::NameColumn
                        || header->sortIndicatorOrder() != Qt::AscendingOrder;
    QAbstractItemModel* want = (m_proxy->isFiltering() || sorted) ? static_cast<QAbstractItemModel*>(m_proxy) : m_model;
    if (m_view->model() == want)
        return;
    keepingView([&] {
        if (want == m_proxy)
            m_proxy->setSourceModel(m_model);
        QItemSelectionModel* old = m_view->selectionModel();
        m_view->setModel(want); // sorts the proxy by the header's indicator (sorting is enabled)
        delete old;             // setModel() made a new one; the old one would still hold our connection
        if (want != m_proxy)
            m_proxy->setSourceModel(nullptr);
        connectSelection();
    });
}

void StreamBrowser::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    m_throttle->stop();
    m_pending.reset();
    m_pendingChange = {};
    m_updating = true;
    // A filter typed for the last store would silently hide this one's streams ("No streams to show"):
    // another store starts unfiltered.
    if (index != m_model->timelineIndex()) {
        const QSignalBlocker blockSearch(m_search), blockRegex(m_regex);
        m_search->clear();
        m_regex->setChecked(false);
    }
    m_model->setIndex(std::move(index));
    // Few categories and streams: open them all; many: leave them closed so the list stays scannable
    // (and expanding hundreds of thousands of rows would stall the window).
    if (m_view->model()->rowCount() <= 12 && m_model->timelineIndex() && m_model->timelineIndex()->streams.size() <= 2000)
        m_view->expandAll();
    m_updating = false;
    applyFilter();
}

void StreamBrowser::updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change)
{
    const auto shown = m_model->timelineIndex();
    if (!shown || !index) {
        setIndex(std::move(index));
        return;
    }
    if (change.known && index == shown) {
        // Grown in place (a live tail): collect the lanes with new events for the next throttled refresh.
        // New streams apply at once: lane numbers never change, so a new stream is a row inserted at its
        // place in name order, a new category too (selection and expansion stay by themselves).
        QSet<int> lanes(m_pendingChange.changedLanes.begin(), m_pendingChange.changedLanes.end());
        for (int l : change.changedLanes)
            lanes.insert(l);
        m_pendingChange.known = true;
        m_pendingChange.changedLanes = QList<int>(lanes.begin(), lanes.end());
        std::sort(m_pendingChange.changedLanes.begin(), m_pendingChange.changedLanes.end());
        if (change.newLanes.isEmpty()) {
            m_pending = std::move(index);
            if (!m_throttle->isActive())
                m_throttle->start();
            return;
        }
        m_throttle->stop();
        TimelineAppend now = std::exchange(m_pendingChange, {});
        now.newLanes = change.newLanes;
        m_pending.reset();
        const bool shown = newLanesShown(*index, change.newLanes);
        m_model->updateIndex(std::move(index), now);
        if (shown)
            emitLanes();
        return;
    }
    m_pending = std::move(index);
    if (m_pending->streams.size() != shown->streams.size()) {
        m_throttle->stop(); // lane numbers moved: the timeline must not wait for our lane list
        applyPendingIndex();
    } else if (!m_throttle->isActive()) {
        m_throttle->start();
    }
}

void StreamBrowser::applyPendingIndex()
{
    if (!m_pending)
        return;
    const auto shown = m_model->timelineIndex();
    std::shared_ptr<const TimelineIndex> index = std::move(m_pending);
    m_pending.reset();
    if (m_pendingChange.known && index == shown) {
        const TimelineAppend change = std::exchange(m_pendingChange, {});
        m_model->updateIndex(std::move(index), change); // dataChanged on the rows that changed
        return;
    }
    if (!shown || index->streams.size() == shown->streams.size()) {
        m_model->updateIndex(std::move(index)); // dataChanged only: selection and expansion stay by themselves
        return;
    }
    keepingView([&] { m_model->updateIndex(std::move(index)); });
    emitLanes(); // same streams, new lane numbers
}

void StreamBrowser::keepingView(const std::function<void()>& change)
{
    // The tree is reset (another index with new streams) or shown through another model: remember the
    // selection, the current stream and the open categories by name, and put them back.
    QStringList selectedStreams, selectedCategories, expanded;
    const auto rows = m_view->selectionModel()->selectedRows();
    for (const QModelIndex& r : rows) {
        const QString stream = r.data(StreamTreeModel::StreamRole).toString();
        if (stream.isEmpty())
            selectedCategories << r.data(StreamTreeModel::CategoryRole).toString();
        else
            selectedStreams << stream;
    }
    for (int c = 0; c < m_view->model()->rowCount(); ++c)
        if (m_view->isExpanded(m_view->model()->index(c, 0)))
            expanded << m_view->model()->index(c, 0).data(StreamTreeModel::CategoryRole).toString();
    const QString current = m_view->currentIndex().data(StreamTreeModel::StreamRole).toString();

    m_updating = true;
    change();
    auto categoryRow = [this](const QString& name) {
        const QAbstractItemModel* shown = m_view->model();
        for (int c = 0; c < shown->rowCount(); ++c)
            if (shown->index(c, 0).data(StreamTreeModel::CategoryRole).toString() == name)
                return shown->index(c, 0);
        return QModelIndex();
    };
    for (const QString& name : std::as_const(expanded))
        m_view->expand(categoryRow(name));
    QItemSelection selection;
    for (const QString& name : std::as_const(selectedCategories)) {
        const QModelIndex idx = categoryRow(name);
        if (idx.isValid())
            selection.select(idx, idx);
    }
    for (const QString& stream : std::as_const(selectedStreams)) {
        const QModelIndex idx = toView(m_model->indexOfStream(stream));
        if (idx.isValid())
            selection.select(idx, idx);
    }
    const QModelIndex cur = toView(m_model->indexOfStream(current));
    if (cur.isValid())
        m_view->selectionModel()->setCurrentIndex(cur, QItemSelectionModel::NoUpdate);
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_updating = false;
}

bool StreamBrowser::newLanesShown(const TimelineIndex& index, const QList<int>& newLanes) const
{
    // Whether the timeline's lane list must grow: with no selection, no filter and no pins it is "every
    // lane" (the timeline reads them from the index); a selected category, a matching filter or an explicit
    // list of every lane (pins, no selection) takes new streams in.
    const auto rows = m_view->selectionModel()->selectedRows();
    if (!rows.isEmpty()) {
        for (const QModelIndex& r : rows) {
            const QString category = r.data(StreamTreeModel::CategoryRole).toString();
            if (!r.data(StreamTreeModel::StreamRole).toString().isEmpty())
                continue;
            for (int l : newLanes)
                if (Event::categoryOf(index.streams[l]) == category)
                    return true;
        }
        return false;
    }
    if (m_proxy->isFiltering()) {
        for (int l : newLanes)
            if (m_proxy->matches(index.streams[l]))
                return true;
        return false;
    }
    return !m_model->pinnedLanes().isEmpty();
}

void StreamBrowser::setPattern(const QString& pattern, bool regex)
{
    const QSignalBlocker block(m_regex);
    m_regex->setChecked(regex);
    m_search->setText(pattern);
    applyFilter();
}

void StreamBrowser::applyFilter()
{
    const bool ok = m_proxy->setPattern(m_search->text(), m_regex->isChecked());
    m_status->setText(m_proxy->errorString());
    m_status->setVisible(!ok);
    m_search->setStyleSheet(ok ? QString() : QStringLiteral("QLineEdit { border: 1px solid #d62728; }"));
    chooseModel();
    if (m_proxy->isFiltering() && m_proxy->rowCount() <= 12) {
        int rows = 0;
        for (int c = 0; c < m_proxy->rowCount(); ++c)
            rows += m_proxy->rowCount(m_proxy->index(c, 0));
        if (rows <= 2000)
            m_view->expandAll();
    }
    emitLanes();
}

void StreamBrowser::selectStream(const QString& stream)
{
    const QModelIndex idx = toView(m_model->indexOfStream(stream));
    if (!idx.isValid())
        return;
    m_view->scrollTo(idx);
    m_view->selectionModel()->setCurrentIndex(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

void StreamBrowser::togglePinSelected()
{
    const auto rows = m_view->selectionModel()->selectedRows();
    QList<int> lanes;
    for (const QModelIndex& r : rows)
        lanes += m_model->lanesOf(toSource(r));
    if (lanes.isEmpty() && m_controller) {
        const int lane = m_model->timelineIndex() ? m_model->timelineIndex()->laneOf(m_controller->selectedStream()) : -1;
        if (lane >= 0)
            lanes << lane;
    }
    if (lanes.isEmpty())
        return;
    // Pin all when any is unpinned; unpin all when every one is pinned.
    bool allPinned = true;
    for (int l : lanes)
        allPinned = allPinned && m_model->isPinned(l);
    for (int l : lanes)
        m_model->setPinned(l, !allPinned);
    emitLanes();
}

void StreamBrowser::clearSelection()
{
    m_view->clearSelection();
    emitLanes();
}

QList<int> StreamBrowser::pinnedLanes() const
{
    return m_model->pinnedLanes();
}

QList<int> StreamBrowser::lanes() const
{
    auto index = m_model->timelineIndex();
    if (!index)
        return {};
    QList<int> out = m_model->pinnedLanes();
    std::set<int> seen(out.begin(), out.end());
    auto add = [&](int lane) {
        if (seen.insert(lane).second)
            out.append(lane);
    };
    const auto rows = m_view->selectionModel()->selectedRows();
    if (!rows.isEmpty()) {
        QList<int> chosen;
        for (const QModelIndex& r : rows)
            chosen += m_model->lanesOf(toSource(r));
        index->sortLanes(chosen);
        for (int l : chosen)
            add(l);
        return out;
    }
    if (!m_proxy->isFiltering())
        return out.size() == 0 ? QList<int>{} : [&] {
            for (quint32 l : index->laneOrder)
                add(int(l));
            return out;
        }();
    for (quint32 l : index->laneOrder)
        if (m_proxy->matches(index->streams[int(l)]))
            add(int(l));
    if (out.isEmpty())
        out.append(-1); // the filter matches nothing: show no lanes rather than all
    return out;
}

void StreamBrowser::emitLanes()
{
    if (m_updating)
        return;
    Q_EMIT lanesChanged(lanes(), pinnedLanes());
}

} // namespace chronoscope
