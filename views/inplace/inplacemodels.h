#pragma once
// The in-place mode's list models. InPlaceStreamModel pages through the store's streams as a view scrolls
// (canFetchMore/fetchMore: one page of the store's own listing, keyset-paged by name; a filter is a search
// run in the store), so 2M streams list without holding them: only the pages scrolled past are kept.
// InPlaceEventModel holds the events of the visible window (at most its limit; it says how many more).

#include "inplace/inplaceservice.h"

#include <QAbstractTableModel>

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

} // namespace chronoscope
