#include "diffmodel.h"

#include "diff/jsondiff.h"
#include "jsonpointer.h"

#include <QBrush>
#include <QColor>
#include <QJsonObject>

namespace chronoscope {

DiffModel::DiffModel(QObject* parent) : QAbstractTableModel(parent) {}

void DiffModel::setDiff(const QJsonValue& stateA, const QJsonValue& stateB, const QJsonArray& patch)
{
    beginResetModel();
    m_rows.clear();
    for (const QJsonValue& v : patch) {
        const QJsonObject op = v.toObject();
        Row r;
        r.op = op.value(QLatin1String("op")).toString();
        r.path = op.value(QLatin1String("path")).toString();
        if (const auto a = valueAtPointer(stateA, r.path); a && r.op != QLatin1String("add")) {
            r.a = *a;
            r.hasA = true;
        }
        if (op.contains(QLatin1String("value"))) {
            r.b = op.value(QLatin1String("value"));
            r.hasB = true;
        } else if (const auto b = valueAtPointer(stateB, r.path); b && r.op != QLatin1String("remove")) {
            r.b = *b;
            r.hasB = true;
        }
        m_rows.append(r);
    }
    endResetModel();
}

void DiffModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

QString DiffModel::pathAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].path : QString();
}

QString DiffModel::opAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].op : QString();
}

int DiffModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int DiffModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DiffModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row& r = m_rows[index.row()];
    const bool added = r.op == QLatin1String("add");
    const bool removed = r.op == QLatin1String("remove");
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PathColumn:
            return r.path.isEmpty() ? QStringLiteral("(whole state)") : r.path;
        case ChangeColumn:
            return added ? tr("added") : removed ? tr("removed") : r.op == QLatin1String("replace") ? tr("changed") : r.op;
        case AColumn:
            return r.hasA ? jsonPreview(r.a) : QStringLiteral("—");
        case BColumn:
            return r.hasB ? jsonPreview(r.b) : QStringLiteral("—");
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == AColumn && r.hasA)
            return jsonPreview(r.a, 4000);
        if (index.column() == BColumn && r.hasB)
            return jsonPreview(r.b, 4000);
        return tr("Click to find the event that last changed %1 (blame)").arg(r.path);
    case Qt::BackgroundRole: {
        // Translucent so both light and dark palettes keep their text readable.
        const QColor green(46, 160, 67, 90), red(218, 54, 51, 90), amber(255, 193, 7, 90);
        if (index.column() == AColumn && (removed || r.op == QLatin1String("replace")))
            return QBrush(removed ? red : amber);
        if (index.column() == BColumn && (added || r.op == QLatin1String("replace")))
            return QBrush(added ? green : amber);
        if (index.column() == ChangeColumn)
            return QBrush(added ? green : removed ? red : amber);
        return {};
    }
    case PathRole:
        return r.path;
    case OpRole:
        return r.op;
    default:
        return {};
    }
}

QVariant DiffModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PathColumn:
        return tr("Path");
    case ChangeColumn:
        return tr("Change");
    case AColumn:
        return tr("At A");
    case BColumn:
        return tr("At B");
    }
    return {};
}

} // namespace chronoscope
