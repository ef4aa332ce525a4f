#pragma once
// Streams grouped by category (the part of the name before the first '-'), with event counts and first/last
// times, read from the TimelineIndex. StreamFilterProxy filters by glob or regular expression.

#include "timelineindex.h"

#include <QAbstractItemModel>
#include <QRegularExpression>
#include <QSet>
#include <QSortFilterProxyModel>

#include <memory>

namespace chronoscope {

class StreamTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Columns { NameColumn, EventsColumn, FirstColumn, LastColumn, ColumnCount };
    enum Roles { LaneRole = Qt::UserRole + 1, StreamRole, CategoryRole, PinnedRole, SortRole };

    explicit StreamTreeModel(QObject* parent = nullptr);

    /// A different store: rebuilds the tree and clears the pins.
    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// The same store, grown (a live tail). Without new streams only counts and times change: dataChanged for
    /// the rows that changed, no reset. With `change` (the index grown in place by TimelineIndex::append())
    /// only the lanes it names are looked at: a new stream is inserted at its row in natural name order (a
    /// binary search; new streams that fall between the same two rows go in one insert), a new category is
    /// inserted at its row among the categories. Rows are always in name order, so a view needs no sorting
    /// proxy for the default order. A different index object with other streams resets the tree with the
    /// pins kept by name.
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    std::shared_ptr<const TimelineIndex> timelineIndex() const { return m_index; }

    void setPinned(int lane, bool pinned);
    bool isPinned(int lane) const { return m_pinned.contains(lane); }
    bool hasCategory(const QString& name) const;
    /// Pinned lanes in stream-name order.
    QList<int> pinnedLanes() const;
    /// Model index of a stream's row.
    QModelIndex indexOfStream(const QString& stream) const;
    /// Lanes under an index: the stream itself, or every stream of a category.
    QList<int> lanesOf(const QModelIndex& index) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    void rebuild();
    /// (category row, row within it) of a lane, or (-1, -1): a binary search in its category's rows.
    QPair<int, int> rowOf(int lane) const;
    /// Inserts new lanes of one category (a new category when it has none yet) at their rows in name order.
    void insertLanes(const QString& category, QList<int> lanes);
    /// Totals of a category and dataChanged for its changed rows; `incremental`: only those rows' streams
    /// are added in (a grown index), otherwise every stream of the category is summed.
    void refreshCategory(int category, const QList<int>& changedRows, bool incremental);
    struct Category
    {
        int id = 0;        ///< stable while the index is the same (children's internalId is id + 1): rows move
        QString name;
        /// In natural name order (naturalLess), as the view shows them. Chunked: a live tail's new stream in a
        /// category of 200,000 goes in at its row without moving every row after it.
        ChunkedList<int> lanes;
        qint64 events = 0;
        qint64 firstTime = kNoTime;
        qint64 lastTime = kNoTime;
    };
    std::shared_ptr<const TimelineIndex> m_index;
    QList<Category> m_categories;
    std::vector<int> m_rowOfCategoryId;       ///< category id -> its row (categories are inserted in name order)
    std::vector<int> m_categoryOfLane;        ///< lane -> its category's id, -1 when not in the tree
    std::vector<qint64> m_counted;            ///< lane -> its events already in its category's total
    QSet<int> m_pinned;
};

/// Filters streams by a pattern, and sorts by another column on request. Sorted by name ascending (the
/// default) it keeps the source model's order (already natural name order) instead of sorting: an inserted
/// stream then costs the proxy no sort. Glob mode: a pattern without wildcards matches anywhere in the name
/// ("42" finds "order-42"), with wildcards it must match the whole name ("order-*"). Regex mode:
/// QRegularExpression, searched anywhere in the name. Pinned streams always stay visible.
class StreamFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit StreamFilterProxy(QObject* parent = nullptr);

    /// Returns false (and filters nothing out) when a regular expression is invalid; see errorString().
    bool setPattern(const QString& pattern, bool regex);
    QString errorString() const { return m_error; }
    bool isFiltering() const { return !m_pattern.isEmpty() && m_error.isEmpty(); }
    bool matches(const QString& stream) const;
    /// Name ascending: the source order (no sorting); any other column or order: sorted by SortRole.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_pattern;
    bool m_regex = false;
    QRegularExpression m_re;
    QString m_error;
};

} // namespace chronoscope
