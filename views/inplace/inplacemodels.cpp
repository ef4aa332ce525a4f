#include "inplace/inplacemodels.h"

#include "typecolors.h"

#include <QDateTime>
#include <QFont>
#include <QPalette>
#include <QLocale>
#include <QTimeZone>
#include <QTimer>

namespace chronoscope {

InPlaceStreamModel::InPlaceStreamModel(InPlaceService* service, QObject* parent)
    : QAbstractTableModel(parent), m_service(service), m_debounce(new QTimer(this))
{
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kFilterDebounceMs);
    connect(m_debounce, &QTimer::timeout, this, [this] { applyFilterNow(m_pendingFilter); });
    connect(m_service, &InPlaceService::streamPage, this, [this](const InPlaceStreamPage& page) {
        // A page for another filter or another place in the listing is an answer nobody waits for.
        const QString after = m_rows.isEmpty() ? QString() : m_rows.last().stream;
        if (page.filter != m_filter || page.after != after)
            return;
        m_loading = false;
        m_complete = page.complete;
        if (!page.streams.isEmpty()) {
            beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + page.streams.size()) - 1);
            m_rows += page.streams;
            endInsertRows();
        }
        Q_EMIT pageLoaded();
    });
    connect(m_service, &InPlaceService::failed, this, [this](const QString& what, const QString&) {
        if (what == u"streams") {
            m_loading = false;
            m_complete = true; // no retry loop against a failing server; the filter box or reopening asks again
        }
    });
}

void InPlaceStreamModel::setFilter(const QString& text)
{
    m_pendingFilter = text;
    m_debounce->start();
}

void InPlaceStreamModel::applyFilterNow(const QString& text)
{
    m_debounce->stop();
    m_pendingFilter = text;
    m_filter = text;
    reset();
}

void InPlaceStreamModel::reset()
{
    beginResetModel();
    m_rows.clear();
    m_complete = false;
    m_loading = false;
    endResetModel();
    fetchMore({});
}

QString InPlaceStreamModel::streamAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].stream : QString();
}

int InPlaceStreamModel::rowOf(const QString& stream) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].stream == stream)
            return i;
    return -1;
}

int InPlaceStreamModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int InPlaceStreamModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InPlaceStreamModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const RemoteStreamCount& s = m_rows[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Stream:
            return s.stream;
        case Events:
            return QLocale().toString(s.events);
        case LastVersion:
            return QString::number(s.lastVersion); // as stored
        }
    } else if (role == Qt::TextAlignmentRole && index.column() != Stream) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::ToolTipRole) {
        return s.stream;
    }
    return {};
}

QVariant InPlaceStreamModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Stream:
        return tr("Stream");
    case Events:
        return tr("Events");
    case LastVersion:
        return tr("Last version");
    }
    return {};
}

void InPlaceStreamModel::setLastVisibleRow(int row)
{
    m_lastVisible = std::max(0, row);
}

bool InPlaceStreamModel::canFetchMore(const QModelIndex& parent) const
{
    return !parent.isValid() && !m_complete && !m_loading && m_service->isOpen() &&
           m_rows.size() < qsizetype(m_lastVisible) + kPageSize;
}

void InPlaceStreamModel::fetchMore(const QModelIndex& parent)
{
    if (!canFetchMore(parent))
        return;
    m_loading = true;
    m_service->requestStreams(m_filter, m_rows.isEmpty() ? QString() : m_rows.last().stream, kPageSize);
}

InPlaceEventModel::InPlaceEventModel(QObject* parent) : QAbstractTableModel(parent)
{
}

void InPlaceEventModel::setWindow(const InPlaceWindow& window)
{
    beginResetModel();
    m_window = window;
    endResetModel();
}

const Event* InPlaceEventModel::eventAt(int row) const
{
    return row >= 0 && row < m_window.events.size() ? &m_window.events[row] : nullptr;
}

int InPlaceEventModel::rowOfPosition(qint64 position) const
{
    const auto& ev = m_window.events;
    const auto it = std::lower_bound(ev.begin(), ev.end(), position,
                                     [](const Event& e, qint64 p) { return e.position < p; });
    return it != ev.end() && it->position == position ? int(it - ev.begin()) : -1;
}

int InPlaceEventModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_window.events.size());
}

int InPlaceEventModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InPlaceEventModel::data(const QModelIndex& index, int role) const
{
    const Event* e = eventAt(index.row());
    if (!e)
        return {};
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Position:
            return QString::number(e->position);
        case Time:
            return e->time == kNoTime ? QString()
                                      : QDateTime::fromMSecsSinceEpoch(e->time, QTimeZone::utc())
                                            .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
        case Stream:
            return e->stream;
        case Version:
            return QString::number(e->version);
        case Type:
            return e->type;
        }
    } else if (role == Qt::TextAlignmentRole && (index.column() == Position || index.column() == Version)) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::UserRole) {
        return e->position;
    }
    return {};
}

QVariant InPlaceEventModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Position:
        return tr("Position");
    case Time:
        return tr("Time (UTC)");
    case Stream:
        return tr("Stream");
    case Version:
        return tr("Version");
    case Type:
        return tr("Type");
    }
    return {};
}

// ---- The category tree (issue 13 item 3) --------------------------------------------------------------------
// internalId 0: a category row; a child row (a stream or the "more…" row) holds its category's row + 1.
// Categories are only ever appended (pages), so the ids stay valid until reset().

InPlaceCategoryModel::InPlaceCategoryModel(InPlaceService* service, QObject* parent)
    : QAbstractItemModel(parent), m_service(service)
{
    connect(m_service, &InPlaceService::categoryPage, this, [this](const InPlaceCategoryPage& page) {
        const QString after = m_cats.isEmpty() ? QString() : m_cats.last().info.name;
        if (!m_loading || page.after != after || page.after.isNull() != after.isNull())
            return; // an answer nobody waits for (a reset came since)
        m_loading = false;
        m_complete = page.complete;
        if (!page.categories.isEmpty()) {
            beginInsertRows({}, int(m_cats.size()), int(m_cats.size() + page.categories.size()) - 1);
            for (const RemoteCategory& c : page.categories)
                m_cats.append(Cat{c, {}, false, false, false});
            endInsertRows();
        }
        Q_EMIT categoriesLoaded();
    });
    connect(m_service, &InPlaceService::categoryStreams, this, [this](const InPlaceCategoryStreams& page) {
        const int row = rowOfCategory(page.category);
        if (row < 0 || !m_cats[row].loading)
            return;
        Cat& c = m_cats[row];
        const QString after = c.streams.isEmpty() ? QString() : c.streams.last().stream;
        if (page.after != after || page.after.isNull() != after.isNull())
            return;
        c.loading = false;
        m_streamsFor.clear();
        const QModelIndex parent = index(row, 0);
        const int n = int(c.streams.size());
        if (!page.streams.isEmpty()) {
            beginInsertRows(parent, n, n + int(page.streams.size()) - 1);
            c.streams += page.streams;
            endInsertRows();
        }
        if (page.complete) {
            // The "more…" row goes.
            const int more = int(c.streams.size());
            beginRemoveRows(parent, more, more);
            c.complete = true;
            endRemoveRows();
        } else {
            const QModelIndex more = index(int(c.streams.size()), 0, parent);
            Q_EMIT dataChanged(more, more.siblingAtColumn(ColumnCount - 1));
        }
        Q_EMIT streamsLoaded(page.category);
    });
    connect(m_service, &InPlaceService::categoryCounted, this, [this](const RemoteCategory& counted) {
        if (counted.name != m_countingFor)
            return;
        m_countingFor.clear();
        const int row = rowOfCategory(counted.name);
        if (row >= 0) {
            m_cats[row].info = counted;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        }
        askNextCount();
    });
    connect(m_service, &InPlaceService::failed, this, [this](const QString& what, const QString& error) {
        // No retry loop against a failing store: reopening (or reset()) asks again.
        if (what == u"categories") {
            m_loading = false;
            m_complete = true;
            m_error = error;
            if (m_cats.isEmpty())
                m_unavailable = true;
            Q_EMIT categoriesLoaded();
        } else if (what == u"category streams") {
            const int row = rowOfCategory(m_streamsFor);
            m_streamsFor.clear();
            if (row >= 0 && m_cats[row].loading) {
                Cat& c = m_cats[row];
                c.loading = false;
                const int more = int(c.streams.size());
                beginRemoveRows(index(row, 0), more, more);
                c.complete = true;
                endRemoveRows();
                m_error = error;
                Q_EMIT streamsLoaded(c.info.name);
            }
        } else if (what == u"category counts") {
            const int row = rowOfCategory(m_countingFor);
            m_countingFor.clear();
            if (row >= 0) {
                m_cats[row].countFailed = true;
                Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            }
            // The next one is not asked: a store that fails one count fails the next (the view asks again
            // when it scrolls).
        }
    });
}

void InPlaceCategoryModel::reset()
{
    beginResetModel();
    m_cats.clear();
    m_loading = false;
    m_complete = false;
    m_unavailable = false;
    m_error.clear();
    m_streamsFor.clear();
    m_countingFor.clear();
    m_toCount.clear();
    endResetModel();
    fetchMore({});
}

bool InPlaceCategoryModel::isLoading() const
{
    if (m_loading)
        return true;
    for (const Cat& c : m_cats)
        if (c.loading)
            return true;
    return false;
}

int InPlaceCategoryModel::rowOfCategory(const QString& category) const
{
    if (category.isNull())
        return -1;
    for (int i = 0; i < m_cats.size(); ++i)
        if (m_cats[i].info.name == category)
            return i;
    return -1;
}

QString InPlaceCategoryModel::categoryAt(int row) const
{
    return row >= 0 && row < m_cats.size() ? m_cats[row].info.name : QString();
}

QModelIndex InPlaceCategoryModel::categoryIndex(const QString& category) const
{
    const int row = rowOfCategory(category);
    return row < 0 ? QModelIndex() : index(row, 0);
}

QModelIndex InPlaceCategoryModel::streamIndex(const QString& stream) const
{
    const int row = rowOfCategory(Event::categoryOf(stream));
    if (row < 0)
        return {};
    const QList<RemoteStreamCount>& list = m_cats[row].streams;
    for (int i = 0; i < list.size(); ++i)
        if (list[i].stream == stream)
            return index(i, 0, index(row, 0));
    return {};
}

QString InPlaceCategoryModel::streamAt(const QModelIndex& index) const
{
    if (!index.isValid() || index.internalId() == 0)
        return {};
    const Cat& c = m_cats[int(index.internalId()) - 1];
    return index.row() < c.streams.size() ? c.streams[index.row()].stream : QString();
}

bool InPlaceCategoryModel::isMoreRow(const QModelIndex& index) const
{
    if (!index.isValid() || index.internalId() == 0)
        return false;
    return index.row() >= m_cats[int(index.internalId()) - 1].streams.size();
}

QList<RemoteStreamCount> InPlaceCategoryModel::loadedStreams(const QString& category) const
{
    const int row = rowOfCategory(category);
    return row < 0 ? QList<RemoteStreamCount>() : m_cats[row].streams;
}

RemoteCategory InPlaceCategoryModel::counts(const QString& category) const
{
    const int row = rowOfCategory(category);
    return row < 0 ? RemoteCategory{category, -1, -1} : m_cats[row].info;
}

void InPlaceCategoryModel::countCategories(const QStringList& inView)
{
    m_toCount = inView;
    // A count running for a category still in view is left to finish; else the next request replaces it.
    if (!m_countingFor.isEmpty() && m_toCount.contains(m_countingFor))
        return;
    m_countingFor.clear();
    askNextCount();
}

void InPlaceCategoryModel::askNextCount()
{
    for (const QString& name : std::as_const(m_toCount)) {
        const int row = rowOfCategory(name);
        if (row < 0 || m_cats[row].info.streams >= 0 || m_cats[row].countFailed)
            continue;
        m_countingFor = name;
        m_service->requestCategoryCounts(name);
        return;
    }
}

QModelIndex InPlaceCategoryModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < m_cats.size() ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (parent.internalId() != 0 || parent.row() >= m_cats.size())
        return {};
    return row < rowCount(parent) ? createIndex(row, column, quintptr(parent.row() + 1)) : QModelIndex();
}

QModelIndex InPlaceCategoryModel::parent(const QModelIndex& child) const
{
    if (!child.isValid() || child.internalId() == 0)
        return {};
    return createIndex(int(child.internalId()) - 1, 0, quintptr(0));
}

int InPlaceCategoryModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return int(m_cats.size());
    if (parent.internalId() != 0 || parent.column() != 0 || parent.row() >= m_cats.size())
        return 0;
    const Cat& c = m_cats[parent.row()];
    // Unloaded or partly loaded: one "more…" row stands for the rest (it makes the category expandable).
    return int(c.streams.size()) + (c.complete ? 0 : 1);
}

int InPlaceCategoryModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

bool InPlaceCategoryModel::hasChildren(const QModelIndex& parent) const
{
    return rowCount(parent) > 0;
}

QVariant InPlaceCategoryModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const bool category = index.internalId() == 0;
    const Cat& c = m_cats[category ? index.row() : int(index.internalId()) - 1];
    if (category) {
        const RemoteCategory& k = c.info;
        if (role == Qt::DisplayRole) {
            switch (index.column()) {
            case Name: {
                // The name as stored; an empty category (a stream named "") says so.
                const QString name = k.name.isEmpty() ? tr("(empty name)") : k.name;
                if (c.countFailed)
                    return tr("%1 (? streams)").arg(name);
                if (k.streams < 0)
                    return tr("%1 (… streams)").arg(name);
                return k.streams == 1 ? tr("%1 (1 stream)").arg(name)
                                      : tr("%1 (%2 streams)").arg(name, QLocale().toString(k.streams));
            }
            case Events:
                return c.countFailed ? QStringLiteral("?") : k.events < 0 ? QStringLiteral("…") : QLocale().toString(k.events);
            default:
                return {};
            }
        }
        if (role == Qt::TextAlignmentRole && index.column() != Name)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (role == CategoryRole)
            return k.name;
        if (role == Qt::ToolTipRole)
            return k.name;
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    }
    if (index.row() >= c.streams.size()) {
        // The "more…" row.
        if (role == Qt::DisplayRole && index.column() == Name)
            return c.loading ? tr("loading…") : tr("more…");
        if (role == MoreRole)
            return true;
        if (role == Qt::ForegroundRole)
            return QPalette().brush(QPalette::PlaceholderText);
        if (role == CategoryRole)
            return c.info.name;
        return {};
    }
    const RemoteStreamCount& s = c.streams[index.row()];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name:
            return s.stream;
        case Events:
            return QLocale().toString(s.events);
        case LastVersion:
            return QString::number(s.lastVersion); // as stored
        }
    } else if (role == Qt::TextAlignmentRole && index.column() != Name) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    } else if (role == Qt::ToolTipRole || role == StreamRole) {
        return s.stream;
    } else if (role == CategoryRole) {
        return c.info.name;
    }
    return {};
}

QVariant InPlaceCategoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Category / stream");
    case Events:
        return tr("Events");
    case LastVersion:
        return tr("Last version");
    }
    return {};
}

bool InPlaceCategoryModel::canFetchMore(const QModelIndex& parent) const
{
    if (!m_service->isOpen())
        return false;
    if (!parent.isValid())
        return !m_complete && !m_loading;
    if (parent.internalId() != 0 || parent.row() >= m_cats.size())
        return false;
    const Cat& c = m_cats[parent.row()];
    // Only the first page through this (QTreeView asks it on expand, and again as it lays rows out: it would
    // run through every page of a category of millions); the next pages come from fetchNextPage(), when the
    // "more…" row is in view.
    return !c.complete && !c.loading && c.streams.isEmpty();
}

void InPlaceCategoryModel::fetchNextPage(const QModelIndex& category)
{
    if (!m_service->isOpen() || !category.isValid() || category.internalId() != 0 || category.row() >= m_cats.size())
        return;
    const Cat& c = m_cats[category.row()];
    if (c.complete || c.loading)
        return;
    m_nextPage = true;
    fetchMore(category);
    m_nextPage = false;
}

void InPlaceCategoryModel::fetchMore(const QModelIndex& parent)
{
    if (!m_nextPage && !canFetchMore(parent))
        return;
    if (!parent.isValid()) {
        m_loading = true;
        m_service->requestCategories(m_cats.isEmpty() ? QString() : m_cats.last().info.name, kCategoryPageSize);
        return;
    }
    // One category's page at a time (the service's lane keeps the newest): a page asked for another category
    // before is dropped, and that category asks again when its "more…" row is next in view.
    if (const int prev = rowOfCategory(m_streamsFor); prev >= 0 && prev != parent.row()) {
        m_cats[prev].loading = false;
        const QModelIndex more = index(int(m_cats[prev].streams.size()), 0, index(prev, 0));
        Q_EMIT dataChanged(more, more);
    }
    Cat& c = m_cats[parent.row()];
    c.loading = true;
    m_streamsFor = c.info.name;
    const QModelIndex more = index(int(c.streams.size()), 0, parent);
    Q_EMIT dataChanged(more, more);
    m_service->requestCategoryStreams(c.info.name, c.streams.isEmpty() ? QString() : c.streams.last().stream,
                                      kStreamPageSize);
}
// ---- end of the category tree ----

} // namespace chronoscope
