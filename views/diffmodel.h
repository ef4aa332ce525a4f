#pragma once
// The diff between the states at A and B, one row per RFC 6902 operation: path, kind, the value at A and
// the value at B side by side, coloured (added green, removed red, changed amber).

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonValue>

namespace chronoscope {

class DiffModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Columns { PathColumn, ChangeColumn, AColumn, BColumn, ColumnCount };
    enum Roles { PathRole = Qt::UserRole + 1, OpRole };

    explicit DiffModel(QObject* parent = nullptr);

    /// patch: RFC 6902 operations turning stateA into stateB.
    void setDiff(const QJsonValue& stateA, const QJsonValue& stateB, const QJsonArray& patch);
    void clear();
    QString pathAt(int row) const;
    QString opAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Row
    {
        QString op, path;
        QJsonValue a, b;
        bool hasA = false, hasB = false;
    };
    QList<Row> m_rows;
};

} // namespace chronoscope
