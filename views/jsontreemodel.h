#pragma once
// A JSON value as a tree (key, value), built lazily: a level is materialised only when a view asks for it,
// so a state with 50,000 keys costs nothing until it is expanded. Paths can be highlighted (the paths the
// event at the cursor changed), with their ancestors marked so a collapsed change is still visible.

#include <QAbstractItemModel>
#include <QJsonValue>
#include <QSet>

#include <memory>
#include <vector>

namespace chronoscope {

class JsonTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Roles { PathRole = Qt::UserRole + 1, ValueRole, HighlightRole };
    enum Highlight { None = 0, Changed = 1, ContainsChange = 2 };

    explicit JsonTreeModel(QObject* parent = nullptr);
    ~JsonTreeModel() override;

    void setValue(const QJsonValue& value, const QStringList& highlightedPaths = {});
    QJsonValue value() const { return m_value; }
    QStringList highlightedPaths() const { return m_highlighted.values(); }

    /// The index of the row at a JSON pointer (materialising the levels on the way); invalid when absent.
    QModelIndex indexForPath(const QString& pointer);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Node;
    Node* nodeOf(const QModelIndex& index) const;
    void populate(Node* node) const;

    QJsonValue m_value;
    std::unique_ptr<Node> m_root;
    QSet<QString> m_highlighted;
    QSet<QString> m_ancestors;
};

} // namespace chronoscope
