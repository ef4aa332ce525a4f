#include "eventtablemodel.h"

#include "typecolors.h"

#include <QColor>

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
    // Position order: the rows shown keep their numbers and the new events come after them, so rows are
    // inserted rather than the model reset (the view keeps its scroll and selection). With a filter, the
    // index grown in place tells which entries are new: only those are matched.
    const bool inPlace = change.known && index && index == m_index;
    if (m_index && index && !m_byTime && !m_descending && (!m_filtered || inPlace) && index->size() >= m_index->size()) {
        if (m_filtered) {
            const bool wildcard = m_streamPattern.contains(QLatin1Char('*')) || m_streamPattern.contains(QLatin1Char('?'))
                                  || m_streamPattern.contains(QLatin1Char('['));
            const int type = m_type.isEmpty() ? -1 : index->typeOf(m_type);
            if (m_type.isEmpty() || type >= 0) {
                for (qint64 row = change.rowsBefore; row < index->size(); ++row) {
                    const auto& e = index->entries[size_t(row)];
                    if (type >= 0 && int(e.type) != type)
                        continue;
                    const QString& s = index->streams[index->laneOfRow(row)];
                    if (m_streamPattern.isEmpty()
                        || (wildcard ? globMatch(m_streamPattern, s) : s.contains(m_streamPattern, Qt::CaseInsensitive)))
                        m_rows.push_back(quint32(row));
                }
            }
        }
        m_index = std::move(index);
        const int target = int(std::min<qint64>(totalRows(), kPageSize));
        if (target > m_loaded) {
            m_fetching = true;
            beginInsertRows({}, m_loaded, target - 1);
            m_loaded = target;
            endInsertRows();
            m_fetching = false;
        }
        return; // beyond the first page, canFetchMore() brings the rest in as the view scrolls
    }
    m_index = std::move(index);
    rebuild();
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
    m_loaded = int(std::min<qint64>(kPageSize, totalRows()));
    endResetModel();
    m_fetching = false;
}

qint64 EventTableModel::totalRows() const
{
    if (!m_index)
        return 0;
    return m_filtered ? qint64(m_rows.size()) : m_index->size();
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
    return m_index->entries[entryAt(row)].position;
}

int EventTableModel::rowOfPosition(qint64 position)
{
    if (!m_index)
        return -1;
    const qint64 entry = m_index->rowOfPosition(position);
    if (entry < 0)
        return -1;
    qint64 orderRow = -1;
    if (!m_filtered && !m_byTime) {
        orderRow = entry;
    } else {
        const qint64 n = totalRows();
        for (qint64 i = 0; i < n; ++i) {
            const quint32 e = m_filtered ? m_rows[size_t(i)] : m_index->byTime[size_t(i)];
            if (e == quint32(entry)) {
                orderRow = i;
                break;
            }
        }
        if (orderRow < 0)
            return -1;
    }
    if (m_descending)
        orderRow = totalRows() - 1 - orderRow;
    if (orderRow >= m_loaded) {
        // Load whole pages up to the row so the view's scrollbar grows the way it does when scrolling.
        const int target = int(std::min<qint64>(totalRows(), (orderRow / kPageSize + 1) * kPageSize));
        m_fetching = true;
        beginInsertRows({}, m_loaded, target - 1);
        m_loaded = target;
        endInsertRows();
        m_fetching = false;
    }
    return int(orderRow);
}

int EventTableModel::rowNearPosition(qint64 position)
{
    if (!m_index || position <= 0)
        return -1;
    const int exact = rowOfPosition(position);
    if (exact >= 0 || !m_filtered)
        return exact;
    // The cursor's event is filtered out: use the last shown event before it.
    qint64 best = -1;
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_index->entries[m_rows[i]].position <= position)
            best = std::max<qint64>(best, m_index->entries[m_rows[i]].position);
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
    const auto& e = m_index->entries[entryAt(index.row())];
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
    return !parent.isValid() && !m_fetching && m_loaded < totalRows();
}

void EventTableModel::fetchMore(const QModelIndex& parent)
{
    if (parent.isValid() || m_fetching)
        return;
    const int target = int(std::min<qint64>(totalRows(), qint64(m_loaded) + kPageSize));
    if (target <= m_loaded)
        return;
    m_fetching = true;
    beginInsertRows({}, m_loaded, target - 1);
    m_loaded = target;
    endInsertRows();
    m_fetching = false;
}

} // namespace chronoscope
