#include "stateinspector.h"

#include "jsontreemodel.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace chronoscope {

StateInspector::StateInspector(QWidget* parent)
    : QWidget(parent), m_source(new QComboBox(this)), m_caption(new QLabel(this)), m_view(new QTreeView(this)), m_model(new JsonTreeModel(this))
{
    setObjectName(QStringLiteral("stateInspector"));
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_caption->setMinimumWidth(1); // a long stream name must not widen the dock (see EventInspector)
    m_source->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_source->setMinimumContentsLength(12);
    m_view->setModel(m_model);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->header()->resizeSection(0, 180);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_source->setObjectName(QStringLiteral("stateSource"));
    m_source->setToolTip(tr("Which projection's state to show"));
    m_source->addItem(tr("Selected stream (merged events)"), QString());
    m_source->setVisible(false);
    connect(m_source, &QComboBox::currentIndexChanged, this, [this] { Q_EMIT sourceChanged(currentSource()); });
    layout->addWidget(m_source);
    layout->addWidget(m_caption);
    layout->addWidget(m_view, 1);
    setMessage(tr("<i>Select a stream to see its state at the cursor.</i>"));
}

void StateInspector::setSources(const QList<QPair<QString, QString>>& sources)
{
    const QString current = currentSource();
    m_source->blockSignals(true);
    m_source->clear();
    m_source->addItem(tr("Selected stream (merged events)"), QString());
    for (const auto& s : sources)
        if (!s.second.isEmpty())
            m_source->addItem(s.first, s.second);
    const int keep = m_source->findData(current);
    m_source->setCurrentIndex(std::max(0, keep));
    m_source->blockSignals(false);
    m_source->setVisible(m_source->count() > 1);
    if (keep < 0 && !current.isEmpty())
        Q_EMIT sourceChanged(QString());
}

QString StateInspector::currentSource() const
{
    return m_source->currentData().toString();
}

bool StateInspector::setCurrentSource(const QString& key)
{
    const int i = m_source->findData(key);
    if (i < 0)
        return false;
    m_source->setCurrentIndex(i);
    return true;
}

QString StateInspector::caption() const
{
    return m_caption->text();
}

void StateInspector::setState(const QJsonValue& state, const QString& caption, const QStringList& changedPaths)
{
    m_caption->setText(caption);
    m_model->setValue(state, changedPaths);
    // Open the way to each change (a bounded number, so a 50,000-key state stays quick).
    if (m_model->rowCount() <= 60)
        m_view->expandToDepth(0);
    QModelIndex firstChanged;
    for (int i = 0; i < changedPaths.size() && i < 50; ++i) {
        const QModelIndex idx = m_model->indexForPath(changedPaths[i]);
        if (!idx.isValid())
            continue;
        for (QModelIndex p = idx.parent(); p.isValid(); p = p.parent())
            m_view->expand(p);
        if (!firstChanged.isValid())
            firstChanged = idx;
    }
    if (firstChanged.isValid())
        m_view->scrollTo(firstChanged);
}

void StateInspector::setMessage(const QString& message)
{
    m_caption->setText(message);
    m_model->setValue(QJsonValue());
}

void StateInspector::setError(const QString& message)
{
    m_caption->setText(QStringLiteral("<span style='color:#d62728'>%1</span>").arg(message.toHtmlEscaped()));
    m_model->setValue(QJsonValue());
}

void StateInspector::setBusy(bool busy)
{
    setCursor(busy ? Qt::BusyCursor : Qt::ArrowCursor);
}

} // namespace chronoscope
