#include "eventtablemodel.h"

#include "typecolors.h"

#include <QColor>

#include <algorithm>

namespace chronoscope {

EventTableModel::EventTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void EventTableModel::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    m_index = std::move(index);
    m_streamPattern.clear();
    m_type.clear();
    rebuild();
}

void EventTableModel::updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change)
{
    // New events come after the others in position order (and in time order unless a time went back), so
    // rows are added rather than the model reset: the view keeps its scroll and selection, and its work is
    // the batch's, not the table's. With a filter, the index grown in place tells which entries are new:
    // only those are matched.
    const bool inPlace = change.known && index && index == m_index;
    bool appendable = m_index && index && index->size() >= m_index->size();
    if (m_byTime || m_descending || m_filtered)
        appendable = appendable && inPlace && (!m_byTime || change.firstTimeSlotChanged >= change.rowsBefore);
    if (!appendable) {
        m_index = std::move(index);
        rebuild();
        return;
    }
    // The rows the model has announced so far (the index itself may have grown already, in place).
    const qint64 before = m_count;
    std::vector<quint32> matched;
    if (m_filtered) {
        const bool wildcard = m_streamPattern.contains(QLatin1Char('*')) || m_streamPattern.contains(QLatin1Char('?'))
                              || m_streamPattern.contains(QLatin1Char('['));
        const int type = m_type.isEmpty() ? -1 : index->typeOf(m_type);
        if (m_type.isEmpty() || type >= 0) {
            for (qint64 k = inPlace ? change.rowsBefore : m_index->size(); k < index->size(); ++k) {
                // Time order: the new slots at the end of byTime are the new entries in time order.
                const quint32 row = m_byTime ? index->byTime[size_t(k)] : quint32(k);
                const auto& e = index->entries[row];
                if (type >= 0 && int(e.type) != type)
                    continue;
                const QString& s = index->streams[int(e.lane)];
                if (m_streamPattern.isEmpty()
                    || (wildcard ? globMatch(m_streamPattern, s) : s.contains(m_streamPattern, Qt::CaseInsensitive)))
                    matched.push_back(row);
            }
        }
    }
    m_index = std::move(index);
    const qint64 added = m_filtered ? qint64(matched.size()) : m_index->size() - before;
    if (added <= 0)
        return;
    // The rows and the count change together, inside the signals that announce them.
    auto grow = [&] {
        m_rows.insert(m_rows.end(), matched.begin(), matched.end());
        m_count += added;
    };
    if (!m_descending) {
        // The new rows come last: shown at once only to fill the first page (like a fresh open); beyond,
        // fetchMore() or following the cursor brings them in.
        const int shown = m_first + m_loaded == before && m_loaded < kPageSize ? int(std::min<qint64>(added, kPageSize - m_loaded)) : 0;
        if (shown == 0) {
            grow();
            return;
        }
        m_fetching = true;
        beginInsertRows({}, m_loaded, m_loaded + shown - 1);
        grow();
        m_loaded += shown;
        endInsertRows();
        m_fetching = false;
        return;
    }
    // Newest first: the new rows come first, and every row's number in the order moves by `added`.
    if (m_first > 0) {
        grow();
        m_first += added; // the same events stay in the window, under the same model rows
        return;
    }
    if (added > kWindowRows) {
        grow();
        moveWindow(0, kPageSize);
        return;
    }
    m_fetching = true;
    beginInsertRows({}, 0, int(added) - 1);
    grow();
    m_loaded += int(added);
    endInsertRows();
    m_fetching = false;
    if (m_loaded > kWindowRows)
        dropAtEnd(m_loaded - kWindowRows);
}

void EventTableModel::setFilter(const QString& streamPattern, const QString& type)
{
    m_streamPattern = streamPattern.trimmed();
    m_type = type.trimmed();
    rebuild();
}

void EventTableModel::sort(int column, Qt::SortOrder order)
{
    // Only position and time have an order worth having over a million rows; other columns keep the current one.
    if (column != PositionColumn && column != TimeColumn)
        return;
    const bool byTime = column == TimeColumn;
    const bool desc = order == Qt::DescendingOrder;
    if (byTime == m_byTime && desc == m_descending)
        return;
    m_byTime = byTime;
    m_descending = desc;
    rebuild();
}

void EventTableModel::rebuild()
{
    // Views (and the model tester) may ask for more rows while the reset is being announced: not then.
    m_fetching = true;
    beginResetModel();
    m_rows.clear();
    m_rows.shrink_to_fit();
    m_first = 0;
    m_loaded = 0;
    m_filtered = false;
    if (m_index && (!m_streamPattern.isEmpty() || !m_type.isEmpty())) {
        m_filtered = true;
        std::vector<char> laneOk(size_t(m_index->streams.size()), 0);
        const bool wildcard = m_streamPattern.contains(QLatin1Char('*')) || m_streamPattern.contains(QLatin1Char('?'))
                              || m_streamPattern.contains(QLatin1Char('['));
        for (int l = 0; l < m_index->streams.size(); ++l) {
            const QString& s = m_index->streams[l];
            laneOk[size_t(l)] = m_streamPattern.isEmpty()
                                || (wildcard ? globMatch(m_streamPattern, s) : s.contains(m_streamPattern, Qt::CaseInsensitive));
        }
        const int type = m_type.isEmpty() ? -1 : m_index->typeOf(m_type);
        const bool typeUnknown = !m_type.isEmpty() && type < 0;
        if (!typeUnknown) {
            const auto& entries = m_index->entries;
            auto accept = [&](quint32 row) {
                const auto& e = entries[row];
                return laneOk[e.lane] && (type < 0 || int(e.type) == type);
            };
            if (m_byTime) {
                for (quint32 row : m_index->byTime)
                    if (accept(row))
                        m_rows.push_back(row);
            } else {
                for (quint32 row = 0; row < quint32(entries.size()); ++row)
                    if (accept(row))
                        m_rows.push_back(row);
            }
        }
    }
    m_count = m_filtered ? qint64(m_rows.size()) : (m_index ? m_index->size() : 0);
    m_loaded = int(std::min<qint64>(kPageSize, m_count));
    endResetModel();
    m_fetching = false;
}

void EventTableModel::moveWindow(qint64 first, int rows)
{
    m_fetching = true;
    beginResetModel();
    m_first = std::clamp<qint64>(first, 0, std::max<qint64>(0, totalRows() - 1));
    m_loaded = int(std::clamp<qint64>(totalRows() - m_first, 0, rows));
    endResetModel();
    m_fetching = false;
}

qint64 EventTableModel::totalRows() const
{
    return m_count;
}

quint32 EventTableModel::entryAt(qint64 orderRow) const
{
    const qint64 n = totalRows();
    const qint64 i = m_descending ? n - 1 - orderRow : orderRow;
    if (m_filtered)
        return m_rows[size_t(i)];
    return m_byTime ? m_index->byTime[size_t(i)] : quint32(i);
}

qint64 EventTableModel::positionAt(int row) const
{
    if (row < 0 || row >= m_loaded)
        return 0;
    return m_index->entries[entryAt(m_first + row)].position;
}

qint64 EventTableModel::orderRowOfEntry(qint64 entry) const
{
    // Binary searches: following the cursor asks this on every refresh of a live tail.
    const auto& entries = m_index->entries;
    const TimelineIndex::Entry& target = entries[size_t(entry)];
    auto timeLess = [&](quint32 row, const TimelineIndex::Entry& e) {
        const auto& r = entries[row];
        return r.time < e.time || (r.time == e.time && r.position < e.position);
    };
    qint64 ascending = -1;
    if (!m_filtered) {
        if (!m_byTime) {
            ascending = entry;
        } else {
            const auto it = std::lower_bound(m_index->byTime.begin(), m_index->byTime.end(), target, timeLess);
            if (it != m_index->byTime.end() && *it == quint32(entry))
                ascending = qint64(it - m_index->byTime.begin());
        }
    } else {
        const auto it = m_byTime ? std::lower_bound(m_rows.begin(), m_rows.end(), target, timeLess)
                                 : std::lower_bound(m_rows.begin(), m_rows.end(), quint32(entry));
        if (it != m_rows.end() && *it == quint32(entry))
            ascending = qint64(it - m_rows.begin());
    }
    if (ascending < 0)
        return -1;
    return m_descending ? totalRows() - 1 - ascending : ascending;
}

int EventTableModel::rowOfPosition(qint64 position)
{
    if (!m_index)
        return -1;
    const qint64 entry = m_index->rowOfPosition(position);
    if (entry < 0)
        return -1;
    const qint64 orderRow = orderRowOfEntry(entry);
    return orderRow < 0 ? -1 : showOrderRow(orderRow);
}

int EventTableModel::showOrderRow(qint64 orderRow)
{
    const qint64 end = m_first + m_loaded;
    if (orderRow >= m_first && orderRow < end)
        return int(orderRow - m_first);
    const qint64 total = totalRows();
    if (orderRow >= end && orderRow < end + kWindowRows / 2) {
        // Just after the window (a live tail's head): whole pages up to it, as scrolling down would load,
        // and as many rows fewer at the start once the window is full.
        const qint64 target = std::min(total, m_first + ((orderRow - m_first) / kPageSize + 1) * kPageSize);
        insertAtEnd(int(target - end));
        if (m_loaded > kWindowRows)
            dropAtStart(m_loaded - kWindowRows);
    } else if (orderRow < m_first && orderRow >= m_first - kWindowRows / 2) {
        const qint64 pages = (m_first - orderRow + kPageSize - 1) / kPageSize;
        insertAtStart(int(m_first - std::max<qint64>(0, m_first - pages * kPageSize)));
        if (m_loaded > kWindowRows)
            dropAtEnd(m_loaded - kWindowRows);
    } else {
        // Far away: a new window with the row in its middle.
        moveWindow(std::max<qint64>(0, orderRow - kWindowRows / 4), kWindowRows / 2);
    }
    return int(orderRow - m_first);
}

void EventTableModel::insertAtEnd(int rows)
{
    if (rows <= 0)
        return;
    m_fetching = true;
    beginInsertRows({}, m_loaded, m_loaded + rows - 1);
    m_loaded += rows;
    endInsertRows();
    m_fetching = false;
}

void EventTableModel::insertAtStart(int rows)
{
    if (rows <= 0)
        return;
    m_fetching = true;
    beginInsertRows({}, 0, rows - 1);
    m_first -= rows;
    m_loaded += rows;
    endInsertRows();
    m_fetching = false;
    Q_EMIT windowShifted(-rows);
}

void EventTableModel::dropAtStart(int rows)
{
    if (rows <= 0)
        return;
    m_fetching = true;
    beginRemoveRows({}, 0, rows - 1);
    m_first += rows;
    m_loaded -= rows;
    endRemoveRows();
    m_fetching = false;
    Q_EMIT windowShifted(rows);
}

void EventTableModel::dropAtEnd(int rows)
{
    if (rows <= 0)
        return;
    m_fetching = true;
    beginRemoveRows({}, m_loaded - rows, m_loaded - 1);
    m_loaded -= rows;
    endRemoveRows();
    m_fetching = false;
}

int EventTableModel::rowNearPosition(qint64 position)
{
    if (!m_index || position <= 0)
        return -1;
    const int exact = rowOfPosition(position);
    if (exact >= 0 || !m_filtered || m_rows.empty())
        return exact;
    // The cursor's event is filtered out: use the last shown event before it.
    const auto& entries = m_index->entries;
    qint64 best = -1;
    if (!m_byTime) {
        // Rows are in position order: the last one before the cursor's.
        const auto it = std::upper_bound(m_rows.begin(), m_rows.end(), position,
                                         [&](qint64 p, quint32 row) { return p < entries[row].position; });
        if (it != m_rows.begin())
            best = entries[*(it - 1)].position;
    } else {
        for (quint32 row : m_rows)
            if (entries[row].position <= position)
                best = std::max<qint64>(best, entries[row].position);
    }
    return best > 0 ? rowOfPosition(best) : -1;
}

int EventTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_loaded;
}

int EventTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || !m_index || index.row() >= m_loaded)
        return {};
    const auto& e = m_index->entries[entryAt(m_first + index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PositionColumn:
            return e.position;
        case TimeColumn:
            return m_index->timeKnown ? formatTime(e.time) : QString();
        case StreamColumn:
            return m_index->streams[int(e.lane)];
        case VersionColumn:
            return e.version;
        case TypeColumn:
            return m_index->types[int(e.type)];
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() == TypeColumn)
            return typeColor(int(e.type), m_index->types[int(e.type)]);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == PositionColumn || index.column() == VersionColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case PositionRole:
        return e.position;
    default:
        return {};
    }
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PositionColumn:
        return tr("Position");
    case TimeColumn:
        return tr("Time (UTC)");
    case StreamColumn:
        return tr("Stream");
    case VersionColumn:
        return tr("Version");
    case TypeColumn:
        return tr("Type");
    }
    return {};
}

bool EventTableModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && !m_fetching && m_first + m_loaded < totalRows();
}

void EventTableModel::fetchMore(const QModelIndex& parent)
{
    if (parent.isValid() || m_fetching)
        return;
    insertAtEnd(int(std::min<qint64>(totalRows() - m_first - m_loaded, kPageSize)));
    if (m_loaded > kWindowRows)
        dropAtStart(m_loaded - kWindowRows);
}

void EventTableModel::fetchPrevious()
{
    if (m_fetching || m_first <= 0)
        return;
    insertAtStart(int(std::min<qint64>(m_first, kPageSize)));
    if (m_loaded > kWindowRows)
        dropAtEnd(m_loaded - kWindowRows);
}

} // namespace chronoscope
