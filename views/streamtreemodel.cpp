#include "streamtreemodel.h"

#include <QDateTime>
#include <QFont>
#include <QTimeZone>
#include <QLocale>
#include <QMap>

#include <algorithm>
#include <utility>

namespace chronoscope {

namespace {
// internalId 0 marks a category row; a stream row stores its category's id + 1 (ids stay when categories
// are inserted, rows do not).
constexpr quintptr kCategoryId = 0;
}

StreamTreeModel::StreamTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void StreamTreeModel::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    beginResetModel();
    m_index = std::move(index);
    m_pinned.clear();
    rebuild();
    endResetModel();
}

void StreamTreeModel::updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change)
{
    if (!m_index || !index) {
        setIndex(std::move(index));
        return;
    }
    if (change.known && index == m_index) {
        // Grown in place: the change says which lanes are new and which have new events. Each new stream goes
        // in at its row in name order (rows never need sorting by a proxy), a new category at its row among
        // the categories: inserts, never a reset, so selection, expansion and scrolling stay by themselves.
        m_categoryOfLane.resize(size_t(m_index->streams.size()), -1);
        QMap<QString, QList<int>> added; // category -> its new lanes
        for (int lane : change.newLanes)
            if (lane >= 0 && lane < m_index->streams.size() && m_categoryOfLane[size_t(lane)] < 0)
                added[Event::categoryOf(m_index->streams[lane])].append(lane);
        for (auto it = added.cbegin(); it != added.cend(); ++it)
            insertLanes(it.key(), it.value());
        // Counts and times: only the categories with new events, and in each only the rows that changed.
        QMap<int, QList<int>> rowsByCategory;
        for (int lane : change.changedLanes) {
            const auto [cat, row] = rowOf(lane);
            if (cat >= 0)
                rowsByCategory[cat].append(row);
        }
        for (auto it = rowsByCategory.cbegin(); it != rowsByCategory.cend(); ++it)
            refreshCategory(it.key(), it.value(), true);
        return;
    }
    const std::shared_ptr<const TimelineIndex> old = std::exchange(m_index, std::move(index));
    if (m_index->streams.size() != old->streams.size()) {
        // Lanes are in name order, so a new stream moves the lanes after it: carry the pins over by name.
        beginResetModel();
        QSet<int> pinned;
        for (int lane : std::as_const(m_pinned)) {
            const int now = lane < old->streams.size() ? m_index->laneOf(old->streams[lane]) : -1;
            if (now >= 0)
                pinned.insert(now);
        }
        m_pinned = pinned;
        rebuild();
        endResetModel();
        return;
    }
    // Same streams (extended() only adds): refresh the category totals, signal only the rows that moved.
    for (int c = 0; c < m_categories.size(); ++c) {
        const Category& cat = m_categories[c];
        QList<int> changed;
        int i = 0;
        for (auto it = cat.lanes.begin(); it != cat.lanes.end(); ++it, ++i) {
            const StreamInfo& s = m_index->streamInfos[*it];
            const StreamInfo& was = old->streamInfos[*it];
            if (s.events != was.events || s.firstTime != was.firstTime || s.lastTime != was.lastTime
                || s.lastVersion != was.lastVersion)
                changed.append(i);
        }
        if (!changed.isEmpty())
            refreshCategory(c, changed, false);
    }
}

bool StreamTreeModel::hasCategory(const QString& name) const
{
    const auto at = std::lower_bound(m_categories.begin(), m_categories.end(), name,
                                     [](const Category& c, const QString& n) { return c.name < n; });
    return at != m_categories.end() && at->name == name;
}

QPair<int, int> StreamTreeModel::rowOf(int lane) const
{
    if (!m_index || lane < 0 || size_t(lane) >= m_categoryOfLane.size() || m_categoryOfLane[size_t(lane)] < 0)
        return {-1, -1};
    const int c = m_rowOfCategoryId[size_t(m_categoryOfLane[size_t(lane)])];
    const ChunkedList<int>& lanes = m_categories[c].lanes;
    const QString& name = m_index->streams[lane];
    // Names that compare equal in natural order ("a-01", "a-1") form a run: the lane is somewhere in it.
    auto at = lanes.iteratorAt(lanes.lowerBound(name, [this](int l, const QString& n) { return naturalLess(m_index->streams[l], n); }));
    for (; at != lanes.end(); ++at) {
        if (*at == lane)
            return {c, int(at.index())};
        if (naturalLess(name, m_index->streams[*at]))
            break;
    }
    return {-1, -1};
}

void StreamTreeModel::insertLanes(const QString& category, QList<int> lanes)
{
    const auto less = [this](int a, int b) { return naturalLess(m_index->streams[a], m_index->streams[b]); };
    std::sort(lanes.begin(), lanes.end(), less);
    const auto at = std::lower_bound(m_categories.begin(), m_categories.end(), category,
                                     [](const Category& c, const QString& n) { return c.name < n; });
    const int c = int(at - m_categories.begin());
    if (at == m_categories.end() || at->name != category) {
        // A new category: one top-level row inserted. Ids stay, rows after it move by one.
        Category cat;
        cat.id = int(m_rowOfCategoryId.size());
        cat.name = category;
        cat.lanes.assign(lanes.begin(), lanes.end());
        beginInsertRows(QModelIndex(), c, c);
        m_categories.insert(c, cat);
        m_rowOfCategoryId.push_back(c);
        for (int r = c + 1; r < m_categories.size(); ++r)
            m_rowOfCategoryId[size_t(m_categories[r].id)] = r;
        for (int lane : std::as_const(lanes))
            m_categoryOfLane[size_t(lane)] = cat.id;
        endInsertRows();
        return;
    }
    // A known category: each new stream at its row (upper bound: after names equal in natural order); new
    // streams that fall between the same two rows go in one insert.
    Category& cat = m_categories[c];
    const QModelIndex parent = index(c, 0);
    for (qsizetype i = 0; i < lanes.size();) {
        const int row = int(cat.lanes.upperBound(lanes[i], less));
        qsizetype j = i + 1;
        while (j < lanes.size() && (size_t(row) == cat.lanes.size() || less(lanes[j], cat.lanes[size_t(row)])))
            ++j;
        beginInsertRows(parent, row, row + int(j - i) - 1);
        for (qsizetype k = i; k < j; ++k) {
            cat.lanes.insert(size_t(row) + size_t(k - i), lanes[k]);
            m_categoryOfLane[size_t(lanes[k])] = cat.id;
        }
        endInsertRows();
        i = j;
    }
}

void StreamTreeModel::refreshCategory(int c, const QList<int>& changedRows, bool incremental)
{
    // The totals of one category. A grown index only adds events, so its streams' counts only grow and
    // their first/last times only widen: the changed streams alone update the totals (a category may hold
    // 100,000 streams). Otherwise they are summed again from every stream.
    Category& cat = m_categories[c];
    if (m_counted.size() < size_t(m_index->streams.size()))
        m_counted.resize(size_t(m_index->streams.size()), 0);
    auto account = [&](int lane) {
        const StreamInfo& s = m_index->streamInfos[lane];
        cat.events += s.events - m_counted[size_t(lane)];
        m_counted[size_t(lane)] = s.events;
        if (s.firstTime != kNoTime && (cat.firstTime == kNoTime || s.firstTime < cat.firstTime))
            cat.firstTime = s.firstTime;
        if (s.lastTime != kNoTime && (cat.lastTime == kNoTime || s.lastTime > cat.lastTime))
            cat.lastTime = s.lastTime;
    };
    if (incremental) {
        for (int row : changedRows)
            account(cat.lanes[size_t(row)]);
    } else {
        cat.events = 0;
        cat.firstTime = cat.lastTime = kNoTime;
        for (int lane : std::as_const(cat.lanes)) {
            m_counted[size_t(lane)] = 0;
            account(lane);
        }
    }
    // Only the count and time columns changed: leaving the name column out keeps a proxy sorted or
    // filtered by name from sorting and filtering the rows again (a category may hold 100,000 streams).
    const QModelIndex parent = this->index(c, 0);
    Q_EMIT dataChanged(parent.siblingAtColumn(EventsColumn), parent.siblingAtColumn(ColumnCount - 1));
    // One signal per run of adjacent rows, not one spanning the first to the last changed row: views
    // visit every row of a range (QTreeView computes its rectangle), and changes are spread over the category.
    QList<int> rows = changedRows;
    std::sort(rows.begin(), rows.end());
    for (qsizetype i = 0; i < rows.size();) {
        qsizetype j = i;
        while (j + 1 < rows.size() && rows[j + 1] <= rows[j] + 1)
            ++j;
        Q_EMIT dataChanged(this->index(rows[i], EventsColumn, parent), this->index(rows[j], ColumnCount - 1, parent));
        i = j + 1;
    }
}

void StreamTreeModel::rebuild()
{
    m_categories.clear();
    m_rowOfCategoryId.clear();
    const size_t lanes = m_index ? size_t(m_index->streams.size()) : 0;
    // Room for a live tail's new streams (as TimelineIndex::reserveAhead()): growing these per-lane arrays
    // in a refresh would copy one entry per stream on the GUI thread.
    const size_t room = lanes + std::max(lanes, TimelineIndex::kLanesAhead);
    m_categoryOfLane.reserve(room);
    m_counted.reserve(room);
    m_categoryOfLane.assign(lanes, -1);
    m_counted.assign(lanes, 0);
    if (m_index) {
        QMap<QString, Category> byName;
        for (quint32 ordered : m_index->laneOrder) {  // name order, so each category's rows are too
            const int lane = int(ordered);
            const StreamInfo& s = m_index->streamInfos[lane];
            Category& c = byName[Event::categoryOf(s.stream)];
            c.lanes.push_back(lane);
            c.events += s.events;
            m_counted[size_t(lane)] = s.events;
            if (s.firstTime != kNoTime && (c.firstTime == kNoTime || s.firstTime < c.firstTime))
                c.firstTime = s.firstTime;
            if (s.lastTime != kNoTime && (c.lastTime == kNoTime || s.lastTime > c.lastTime))
                c.lastTime = s.lastTime;
        }
        for (auto it = byName.begin(); it != byName.end(); ++it) {
            it->name = it.key();
            it->id = int(m_categories.size());
            for (int lane : std::as_const(it->lanes))
                m_categoryOfLane[size_t(lane)] = it->id;
            m_rowOfCategoryId.push_back(it->id);
            m_categories.append(*it);
        }
    }
}

void StreamTreeModel::setPinned(int lane, bool pinned)
{
    const auto [cat, row] = rowOf(lane);
    if (pinned == m_pinned.contains(lane) || cat < 0)
        return;
    if (pinned)
        m_pinned.insert(lane);
    else
        m_pinned.remove(lane);
    const QModelIndex i = index(row, 0, index(cat, 0));
    Q_EMIT dataChanged(i, i.siblingAtColumn(ColumnCount - 1));
}

QList<int> StreamTreeModel::pinnedLanes() const
{
    QList<int> out(m_pinned.begin(), m_pinned.end());
    if (m_index)
        m_index->sortLanes(out);
    return out;
}

QModelIndex StreamTreeModel::indexOfStream(const QString& stream) const
{
    if (!m_index)
        return {};
    const auto [cat, row] = rowOf(m_index->laneOf(stream));
    if (cat < 0)
        return {};
    return index(row, 0, index(cat, 0));
}

QList<int> StreamTreeModel::lanesOf(const QModelIndex& idx) const
{
    if (!idx.isValid() || idx.model() != this)
        return {};
    if (idx.internalId() == kCategoryId)
        return QList<int>(m_categories[idx.row()].lanes.begin(), m_categories[idx.row()].lanes.end());
    return {m_categories[m_rowOfCategoryId[size_t(idx.internalId() - 1)]].lanes[size_t(idx.row())]};
}

QModelIndex StreamTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < m_categories.size() ? createIndex(row, column, kCategoryId) : QModelIndex();
    if (parent.internalId() != kCategoryId || parent.column() != 0)
        return {};
    if (size_t(row) >= m_categories[parent.row()].lanes.size())
        return {};
    return createIndex(row, column, quintptr(m_categories[parent.row()].id + 1));
}

QModelIndex StreamTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == kCategoryId)
        return {};
    return createIndex(m_rowOfCategoryId[size_t(child.internalId() - 1)], 0, kCategoryId);
}

int StreamTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return int(m_categories.size());
    if (parent.internalId() != kCategoryId || parent.column() != 0)
        return 0;
    return int(m_categories[parent.row()].lanes.size());
}

int StreamTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QVariant StreamTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_index)
        return {};
    const bool isCategory = index.internalId() == kCategoryId;
    const Category& cat = m_categories[isCategory ? index.row() : m_rowOfCategoryId[size_t(index.internalId() - 1)]];
    const int lane = isCategory ? -1 : cat.lanes[size_t(index.row())];
    const qint64 events = isCategory ? cat.events : m_index->streamInfos[lane].events;
    const qint64 first = isCategory ? cat.firstTime : m_index->streamInfos[lane].firstTime;
    const qint64 last = isCategory ? cat.lastTime : m_index->streamInfos[lane].lastTime;
    auto timeText = [this](qint64 t) {
        if (t == kNoTime)
            return QString();
        // Compact in the cell (the tooltip and the table carry full ISO times).
        return m_index->timeKnown
                   ? QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc()).toString(QStringLiteral("MMM d HH:mm"))
                   : QStringLiteral("#%1").arg(t);
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            if (isCategory) // the stream count is in the tooltip: the name column is narrow in the dock
                return cat.name;
            return (m_pinned.contains(lane) ? QStringLiteral("\u2691 ") : QString()) + m_index->streams[lane];
        case EventsColumn:
            return QLocale().toString(events);
        case FirstColumn:
            return timeText(first);
        case LastColumn:
            return timeText(last);
        }
        return {};
    case SortRole:
        switch (index.column()) {
        case NameColumn:
            // The lane's place in natural name order: order-2 before order-10.
            return isCategory ? QVariant(cat.name) : QVariant(m_index->rankOfLane(lane));
        case EventsColumn:
            return events;
        case FirstColumn:
            return first;
        case LastColumn:
            return last;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == EventsColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::FontRole:
        if (isCategory || m_pinned.contains(lane)) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (isCategory)
            return tr("Category %1: %2 streams, %3 events\nfirst %4\nlast %5")
                .arg(cat.name, QLocale().toString(qint64(cat.lanes.size())), QLocale().toString(events))
                .arg(formatTime(first), formatTime(last));
        return tr("%1: %2 events, versions %3–%4\nfirst %5\nlast %6")
            .arg(m_index->streams[lane])
            .arg(events)
            .arg(m_index->streamInfos[lane].firstVersion)
            .arg(m_index->streamInfos[lane].lastVersion)
            .arg(formatTime(first), formatTime(last));
    case LaneRole:
        return lane;
    case StreamRole:
        return isCategory ? QString() : m_index->streams[lane];
    case CategoryRole:
        return cat.name;
    case PinnedRole:
        return !isCategory && m_pinned.contains(lane);
    default:
        return {};
    }
}

QVariant StreamTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Stream");
    case EventsColumn:
        return tr("Events");
    case FirstColumn:
        return tr("First");
    case LastColumn:
        return tr("Last");
    }
    return {};
}

StreamFilterProxy::StreamFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setRecursiveFilteringEnabled(true);
    setSortRole(StreamTreeModel::SortRole);
}

void StreamFilterProxy::sort(int column, Qt::SortOrder order)
{
    // The source keeps categories and streams in name order: sorting again would cost every inserted
    // stream a sorted insert in the proxy's mapping (and a rank lookup per comparison).
    if (column == StreamTreeModel::NameColumn && order == Qt::AscendingOrder)
        column = -1;
    QSortFilterProxyModel::sort(column, order);
}

bool StreamFilterProxy::setPattern(const QString& pattern, bool regex)
{
    m_pattern = pattern.trimmed();
    m_regex = regex;
    m_error.clear();
    if (m_regex && !m_pattern.isEmpty()) {
        m_re = QRegularExpression(m_pattern, QRegularExpression::CaseInsensitiveOption);
        if (!m_re.isValid())
            m_error = tr("Invalid regular expression at offset %1: %2").arg(m_re.patternErrorOffset()).arg(m_re.errorString());
    }
    invalidateFilter();
    return m_error.isEmpty();
}

bool StreamFilterProxy::matches(const QString& stream) const
{
    if (m_pattern.isEmpty() || !m_error.isEmpty())
        return true;
    if (m_regex)
        return m_re.match(stream).hasMatch();
    static const QString wild = QStringLiteral("*?[");
    bool hasWildcard = false;
    for (QChar c : m_pattern)
        hasWildcard = hasWildcard || wild.contains(c);
    if (!hasWildcard)
        return stream.contains(m_pattern, Qt::CaseInsensitive);
    return globMatch(m_pattern, stream);
}

bool StreamFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!sourceParent.isValid())
        return false; // a category is shown when one of its streams is (recursive filtering)
    const QModelIndex idx = sourceModel()->index(sourceRow, 0, sourceParent);
    if (idx.data(StreamTreeModel::PinnedRole).toBool())
        return true;
    return matches(idx.data(StreamTreeModel::StreamRole).toString());
}

} // namespace chronoscope
