#pragma once
// The in-place mode's list models. InPlaceStreamModel pages through the store's streams as a view scrolls
// (canFetchMore/fetchMore: one page of the store's own listing, keyset-paged by name; a filter is a search
// run in the store), so 2M streams list without holding them: only the pages scrolled past are kept.
// InPlaceEventModel holds the events of the visible window (at most its limit; it says how many more).

#include "inplace/inplaceservice.h"

#include <QAbstractItemModel>
#include <QAbstractTableModel>
#include <QStringList>

class QTimer;

namespace chronoscope {

class InPlaceStreamModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    static constexpr int kPageSize = 200;
    /// Filter keystrokes are coalesced: the search runs in the store this long after the last one.
    static constexpr int kFilterDebounceMs = 250;
    enum Column { Stream, Events, LastVersion, ColumnCount };

    explicit InPlaceStreamModel(InPlaceService* service, QObject* parent = nullptr);

    /// Restarts the listing with streams whose names contain text (case-insensitive), after the debounce.
    void setFilter(const QString& text);
    /// The same, now (tests, screenshots).
    void applyFilterNow(const QString& text);
    QString filter() const { return m_filter; }
    /// Lists from the start again (the store opened).
    void reset();
    bool isComplete() const { return m_complete; }
    bool isLoading() const { return m_loading; }
    QString streamAt(int row) const;
    int rowOf(const QString& stream) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The last row a view shows: pages are fetched only up to a page beyond it (a view's own heuristics
    /// may ask for more while it is laid out; the listing must never run away through millions of names).
    void setLastVisibleRow(int row);
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

Q_SIGNALS:
    void pageLoaded();

private:
    InPlaceService* m_service;
    QList<RemoteStreamCount> m_rows;
    QString m_filter, m_pendingFilter;
    bool m_complete = false;
    bool m_loading = false;
    int m_lastVisible = 0;
    QTimer* m_debounce;
};

class InPlaceEventModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Position, Time, Stream, Version, Type, ColumnCount };
    explicit InPlaceEventModel(QObject* parent = nullptr);

    void setWindow(const InPlaceWindow& window);
    const InPlaceWindow& window() const { return m_window; }
    const Event* eventAt(int row) const;
    int rowOfPosition(qint64 position) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    InPlaceWindow m_window;
};

// ---- The category tree (issue 13 item 3) --------------------------------------------------------------------
/// The in-place stream browser as a tree that loads lazily: the top level is the store's categories (paged
/// from the store's own listing, RemoteFirstSource::categories), a category's streams are asked for only when
/// it is expanded (categoryStreams, keyset-paged: a "more…" row stands for the next page and is fetched when
/// it scrolls into view), and a category's counts only when it is in view (categoryCounts, "…" until known).
/// Nothing holds every name: the categories listed and the pages of the expanded ones.
class InPlaceCategoryModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    static constexpr int kCategoryPageSize = 200;
    static constexpr int kStreamPageSize = 200;
    enum Column { Name, Events, LastVersion, ColumnCount };
    enum Role { StreamRole = Qt::UserRole + 1, CategoryRole, MoreRole };

    explicit InPlaceCategoryModel(InPlaceService* service, QObject* parent = nullptr);

    /// Lists from the start again (the store opened).
    void reset();
    /// A page of categories or of an expanded category's streams is on its way.
    bool isLoading() const;
    bool isComplete() const { return m_complete; }
    /// The store cannot list categories (failed("categories") before any came): the window shows the flat list.
    bool isUnavailable() const { return m_unavailable; }
    QString error() const { return m_error; }

    int categoryCount() const { return int(m_cats.size()); }
    QString categoryAt(int row) const;
    QModelIndex categoryIndex(const QString& category) const;
    /// The row of a stream already loaded under its category (invalid when its page is not loaded).
    QModelIndex streamIndex(const QString& stream) const;
    /// The stream of a row, empty for a category or a "more…" row.
    QString streamAt(const QModelIndex& index) const;
    bool isMoreRow(const QModelIndex& index) const;
    /// The streams loaded under a category (tests).
    QList<RemoteStreamCount> loadedStreams(const QString& category) const;
    /// A category's counts when known (-1 while not).
    RemoteCategory counts(const QString& category) const;
    /// Asks for the counts of the first category in `inView` not counted yet (one at a time; the next when it
    /// arrives; a newer call replaces the list, and a count no longer in view is not waited for).
    void countCategories(const QStringList& inView);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The top level's next page, or a category's first page (on expand).
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;
    /// A category's next page of streams (its "more…" row is in view or was clicked).
    void fetchNextPage(const QModelIndex& category);

Q_SIGNALS:
    void categoriesLoaded();
    void streamsLoaded(const QString& category);

private:
    struct Cat
    {
        RemoteCategory info;
        QList<RemoteStreamCount> streams;
        bool loading = false;
        bool complete = false;
        bool countFailed = false;
    };
    int rowOfCategory(const QString& category) const;
    void askNextCount();

    InPlaceService* m_service;
    QList<Cat> m_cats;
    bool m_loading = false;
    bool m_complete = false;
    bool m_unavailable = false;
    QString m_error;
    QString m_streamsFor;  ///< the category whose page the service's lane is loading
    QString m_countingFor; ///< the category being counted (empty: none)
    QStringList m_toCount; ///< the categories in view, in their order
    bool m_nextPage = false; ///< fetchMore() called from fetchNextPage()
};
// ---- end of the category tree ----

} // namespace chronoscope
