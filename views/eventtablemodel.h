#pragma once
// The event table: every event of the store, one row each, served from the TimelineIndex (no store query).
// The model shows a window of at most kWindowRows consecutive rows of the table's order (windowStart() is
// the order row of model row 0), handed to the view in pages: fetchMore() grows it at the end and
// fetchPrevious() at the start, each dropping as many rows from the other end once the window is full, and
// a jump far away (following the cursor to a live tail's head) moves it. A view's work per change (its
// header keeps one section per model row and walks them all when rows come or go) is thus bounded by the
// window, never by the events loaded. No row object is ever built (each cell is computed from the index).
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
    /// The most rows shown at once (16 pages).
    static constexpr int kWindowRows = 16 * kPageSize;

    explicit EventTableModel(QObject* parent = nullptr);

    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// The same store with more events (a live tail): keeps the filter.
    /// `change`: what TimelineIndex::append() added when the same index grew in place.
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    /// Stream glob (empty: all; no wildcard: substring) and exact type name (empty: all).
    void setFilter(const QString& streamPattern, const QString& type);
    QString streamFilter() const { return m_streamPattern; }
    QString typeFilter() const { return m_type; }

    /// Rows matching the filter (the model exposes a window of them: rowCount() <= min(totalRows(), kWindowRows)).
    qint64 totalRows() const;
    /// The order row (0 to totalRows() - 1) of model row 0.
    qint64 windowStart() const { return m_first; }
    /// Rows before the window: a view scrolled to its top asks for them.
    bool canFetchPrevious() const { return !m_fetching && m_first > 0; }
    /// One page more at the start of the window (and, when it is full, as many fewer at its end).
    void fetchPrevious();
    qint64 positionAt(int row) const;
    /// The row showing the event at `position`, moving the window to it; -1 when the filter hides it.
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

Q_SIGNALS:
    /// The window moved without a reset: `rows` rows left its start (negative: came in at its start). The
    /// rows still shown have new row numbers; a view keeps its place by scrolling as many rows.
    void windowShifted(int rows);

private:
    quint32 entryAt(qint64 orderRow) const;
    /// The event's row in the current order (0 to totalRows() - 1), -1 when the filter hides it.
    qint64 orderRowOfEntry(qint64 entry) const;
    /// Moves the window so it holds `orderRow`; returns its model row.
    int showOrderRow(qint64 orderRow);
    void insertAtEnd(int rows);
    void insertAtStart(int rows);
    void dropAtStart(int rows);
    void dropAtEnd(int rows);
    /// Starts over (another index, filter or order): the first page.
    void rebuild();
    /// A far jump: a window of `rows` rows from order row `first` (a reset, but no filtering again).
    void moveWindow(qint64 first, int rows);

    std::shared_ptr<const TimelineIndex> m_index;
    QString m_streamPattern;
    QString m_type;
    bool m_byTime = false;
    bool m_descending = false;
    bool m_filtered = false;
    std::vector<quint32> m_rows; ///< only when filtered: matching entries in the current order
    qint64 m_count = 0; ///< rows in the order (totalRows()): announced to views, even while the index grows in place
    qint64 m_first = 0; ///< the order row of model row 0
    int m_loaded = 0;   ///< rows in the window (rowCount())
    bool m_fetching = false; ///< a view may ask for more while rows are being inserted
};

} // namespace chronoscope
