#include "jsontreemodel.h"

#include "diff/jsondiff.h"
#include "jsonpointer.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QJsonArray>
#include <QJsonObject>

namespace chronoscope {

struct JsonTreeModel::Node
{
    Node* parent = nullptr;
    int row = 0;
    QString key;
    QString path;
    QJsonValue value;
    bool populated = false;
    std::vector<std::unique_ptr<Node>> children;
};

JsonTreeModel::JsonTreeModel(QObject* parent) : QAbstractItemModel(parent), m_root(std::make_unique<Node>()) {}

JsonTreeModel::~JsonTreeModel() = default;

void JsonTreeModel::setValue(const QJsonValue& value, const QStringList& highlightedPaths)
{
    beginResetModel();
    m_value = value;
    m_root = std::make_unique<Node>();
    m_root->value = value;
    m_highlighted = QSet<QString>(highlightedPaths.begin(), highlightedPaths.end());
    m_ancestors.clear();
    for (const QString& p : highlightedPaths) {
        for (qsizetype i = p.lastIndexOf(QLatin1Char('/')); i > 0; i = p.lastIndexOf(QLatin1Char('/'), i - 1))
            m_ancestors.insert(p.left(i));
    }
    endResetModel();
}

void JsonTreeModel::populate(Node* node) const
{
    if (node->populated)
        return;
    node->populated = true;
    auto add = [node](const QString& key, const QJsonValue& v) {
        auto child = std::make_unique<Node>();
        child->parent = node;
        child->row = int(node->children.size());
        child->key = key;
        child->path = node->path + QLatin1Char('/') + escapeJsonPointerToken(key);
        child->value = v;
        node->children.push_back(std::move(child));
    };
    if (node->value.isObject()) {
        const QJsonObject o = node->value.toObject();
        node->children.reserve(size_t(o.size()));
        for (auto it = o.begin(); it != o.end(); ++it)
            add(it.key(), it.value());
    } else if (node->value.isArray()) {
        const QJsonArray a = node->value.toArray();
        node->children.reserve(size_t(a.size()));
        for (int i = 0; i < a.size(); ++i)
            add(QString::number(i), a.at(i));
    }
}

JsonTreeModel::Node* JsonTreeModel::nodeOf(const QModelIndex& index) const
{
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : m_root.get();
}

QModelIndex JsonTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= 2 || row < 0 || (parent.isValid() && parent.column() != 0))
        return {};
    Node* p = nodeOf(parent);
    populate(p);
    if (row >= int(p->children.size()))
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex JsonTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid())
        return {};
    Node* n = nodeOf(child);
    Node* p = n->parent;
    if (!p || p == m_root.get())
        return {};
    return createIndex(p->row, 0, p);
}

int JsonTreeModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    Node* n = nodeOf(parent);
    if (!n->value.isObject() && !n->value.isArray())
        return 0;
    populate(n);
    return int(n->children.size());
}

int JsonTreeModel::columnCount(const QModelIndex&) const
{
    return 2;
}

bool JsonTreeModel::hasChildren(const QModelIndex& parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return false;
    const Node* n = nodeOf(parent);
    if (n->value.isObject())
        return !n->value.toObject().isEmpty();
    if (n->value.isArray())
        return !n->value.toArray().isEmpty();
    return false;
}

QVariant JsonTreeModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid())
        return {};
    const Node* n = nodeOf(index);
    const int hl = m_highlighted.contains(n->path) ? Changed : (m_ancestors.contains(n->path) ? ContainsChange : None);
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == 0)
            return n->key;
        if (n->value.isObject())
        {
            const qsizetype k = n->value.toObject().size();
            return k == 1 ? tr("{1 key}") : tr("{%1 keys}").arg(k);
        }
        if (n->value.isArray())
        {
            const qsizetype k = n->value.toArray().size();
            return k == 1 ? tr("[1 item]") : tr("[%1 items]").arg(k);
        }
        return jsonPreview(n->value, 300);
    case Qt::ToolTipRole:
        return n->path + QStringLiteral("\n") + jsonPreview(n->value, 2000);
    case Qt::BackgroundRole:
        if (hl == Changed)
            return QBrush(QColor(255, 193, 7, 110));
        return {};
    case Qt::FontRole:
        if (hl != None) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case PathRole:
        return n->path;
    case ValueRole:
        return QVariant::fromValue(n->value);
    case HighlightRole:
        return hl;
    default:
        return {};
    }
}

QVariant JsonTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == 0 ? tr("Key") : tr("Value");
}

QModelIndex JsonTreeModel::indexForPath(const QString& pointer)
{
    const auto tokens = parseJsonPointer(pointer);
    if (!tokens || tokens->isEmpty())
        return {};
    QModelIndex cur;
    for (const QString& t : *tokens) {
        Node* n = nodeOf(cur);
        populate(n);
        int found = -1;
        for (size_t i = 0; i < n->children.size(); ++i)
            if (n->children[i]->key == t) {
                found = int(i);
                break;
            }
        if (found < 0)
            return {};
        cur = index(found, 0, cur);
    }
    return cur;
}

} // namespace chronoscope
