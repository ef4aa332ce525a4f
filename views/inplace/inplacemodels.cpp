#include "inplace/inplacemodels.h"

#include "typecolors.h"

#include <QDateTime>
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

} // namespace chronoscope
