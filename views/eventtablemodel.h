#pragma once
// The event table: every event of the store, one row each, served from the TimelineIndex (no store query).
// Rows are handed to the view in pages through canFetchMore/fetchMore, so a million-event store costs the
// view nothing until it scrolls; no row object is ever built (each cell is computed from the index).
// Sortable by position and by time, either way; filtered by stream (glob) and type.

#include "timelineindex.h"

#include <QAbstractTableModel>

#include <memory>
#include <vector>

namespace chronoscope {

class EventTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Columns { PositionColumn, TimeColumn, StreamColumn, VersionColumn, TypeColumn, ColumnCount };
    enum Roles { PositionRole = Qt::UserRole + 1 };
    static constexpr int kPageSize = 256;

    explicit EventTableModel(QObject* parent = nullptr);

    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// The same store with more events (a live tail): keeps the filter.
    /// `change`: what TimelineIndex::append() added when the same index grew in place.
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    /// Stream glob (empty: all; no wildcard: substring) and exact type name (empty: all).
    void setFilter(const QString& streamPattern, const QString& type);
    QString streamFilter() const { return m_streamPattern; }
    QString typeFilter() const { return m_type; }

    /// Rows matching the filter (the model exposes them progressively: rowCount() <= totalRows()).
    qint64 totalRows() const;
    qint64 positionAt(int row) const;
    /// The row showing the event at `position`, loading pages up to it; -1 when the filter hides it.
    int rowOfPosition(qint64 position);
    /// The row of the last event at or before `position` in the current order's sense (for following the cursor).
    int rowNearPosition(qint64 position);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    quint32 entryAt(qint64 orderRow) const;
    void rebuild();

    std::shared_ptr<const TimelineIndex> m_index;
    QString m_streamPattern;
    QString m_type;
    bool m_byTime = false;
    bool m_descending = false;
    bool m_filtered = false;
    std::vector<quint32> m_rows; ///< only when filtered: matching entries in the current order
    int m_loaded = 0;
    bool m_fetching = false; ///< a view may ask for more while rows are being inserted
};

} // namespace chronoscope
