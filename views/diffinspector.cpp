#include "diffinspector.h"

#include "diffmodel.h"
#include "replaycontroller.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace chronoscope {

DiffInspector::DiffInspector(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_caption(new QLabel(this)), m_summary(new QLabel(this)),
      m_view(new QTableView(this)), m_model(new DiffModel(this)), m_blame(new QLabel(this)),
      m_setA(new QPushButton(tr("Set A at cursor"), this)), m_setB(new QPushButton(tr("Set B at cursor"), this)),
      m_swap(new QPushButton(tr("Swap"), this))
{
    setObjectName(QStringLiteral("diffInspector"));
    m_caption->setWordWrap(true);
    m_summary->setObjectName(QStringLiteral("diffSummary"));
    m_blame->setObjectName(QStringLiteral("blameResult"));
    m_blame->setWordWrap(true);
    // Long stream names and paths must not widen the dock (see EventInspector).
    for (QLabel* label : {m_caption, m_summary, m_blame})
        label->setMinimumWidth(1);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionResizeMode(DiffModel::PathColumn, QHeaderView::Interactive);
    m_view->horizontalHeader()->resizeSection(DiffModel::PathColumn, 160);
    m_view->horizontalHeader()->setSectionResizeMode(DiffModel::ChangeColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(DiffModel::AColumn, QHeaderView::Stretch);
    m_view->horizontalHeader()->setSectionResizeMode(DiffModel::BColumn, QHeaderView::Stretch);
    m_view->setWordWrap(false);
    m_setA->setObjectName(QStringLiteral("diffSetA"));
    m_setB->setObjectName(QStringLiteral("diffSetB"));

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_setA);
    buttons->addWidget(m_setB);
    buttons->addWidget(m_swap);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(buttons);
    layout->addWidget(m_caption);
    layout->addWidget(m_summary);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_blame);

    connect(m_setA, &QPushButton::clicked, this, [this] { m_controller->setMarkerA(m_controller->cursor()); });
    connect(m_setB, &QPushButton::clicked, this, [this] { m_controller->setMarkerB(m_controller->cursor()); });
    connect(m_swap, &QPushButton::clicked, this, [this] {
        const qint64 a = m_controller->markerA(), b = m_controller->markerB();
        m_controller->setMarkerA(b);
        m_controller->setMarkerB(a);
    });
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex& idx) {
        const QString path = m_model->pathAt(idx.row());
        m_blame->setText(tr("Finding the event that last changed %1…").arg(path.toHtmlEscaped()));
        Q_EMIT blameRequested(path);
    });
    setMessage(tr("<i>Set A and B (buttons above, the replay bar, or right-click the timeline) to compare the "
                  "selected stream's state at two moments.</i>"));
}

void DiffInspector::setDiff(const QString& caption, const QJsonValue& stateA, const QJsonValue& stateB, const QJsonArray& patch)
{
    m_caption->setText(caption);
    m_model->setDiff(stateA, stateB, patch);
    int added = 0, removed = 0, changed = 0;
    for (const QJsonValue& op : patch) {
        const QString kind = op.toObject().value(QLatin1String("op")).toString();
        if (kind == QLatin1String("add"))
            ++added;
        else if (kind == QLatin1String("remove"))
            ++removed;
        else
            ++changed;
    }
    m_summary->setText(patch.isEmpty() ? tr("No differences.")
                                       : tr("%1 added, %2 removed, %3 changed. Click a path to find the event that changed it.")
                                             .arg(added)
                                             .arg(removed)
                                             .arg(changed));
    m_blame->clear();
}

void DiffInspector::setMessage(const QString& message)
{
    m_caption->setText(message);
    m_summary->clear();
    m_blame->clear();
    m_model->clear();
}

void DiffInspector::setError(const QString& message)
{
    setMessage(QStringLiteral("<span style='color:#d62728'>%1</span>").arg(message.toHtmlEscaped()));
}

void DiffInspector::setBlameResult(const QString& text)
{
    m_blame->setText(text);
}

QString DiffInspector::summary() const
{
    return m_summary->text();
}

} // namespace chronoscope
