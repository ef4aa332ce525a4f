#include "eventinspector.h"

#include "json/mergepatch.h"
#include "jsontreemodel.h"
#include "replaycontroller.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTreeView>
#include <QUrl>
#include <QToolButton>
#include <QVBoxLayout>

namespace chronoscope {

namespace {
QTreeView* makeTree(QAbstractItemModel* model, QWidget* parent)
{
    auto* v = new QTreeView(parent);
    v->setModel(model);
    v->setUniformRowHeights(true);
    v->setAlternatingRowColors(true);
    v->header()->setSectionResizeMode(0, QHeaderView::Interactive);
    v->header()->resizeSection(0, 180);
    return v;
}

QString prettyJson(const QByteArray& compact)
{
    // Numbers keep the event's text (QJsonDocument alone would show 1.10 as 1.1).
    const std::optional<QByteArray> pretty = prettyJsonText(compact);
    return QString::fromUtf8(pretty ? *pretty : compact);
}
}

EventInspector::EventInspector(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_header(new QLabel(this)), m_links(new QLabel(this)),
      m_tabs(new QTabWidget(this)), m_dataModel(new JsonTreeModel(this)), m_metaModel(new JsonTreeModel(this)),
      m_raw(new QPlainTextEdit(this)), m_relatedTitle(new QLabel(this)), m_related(new QListWidget(this)),
      m_copyData(new QPushButton(tr("Copy data"), this)), m_copyEvent(new QPushButton(tr("Copy event JSON"), this))
{
    setObjectName(QStringLiteral("eventInspector"));
    m_header->setWordWrap(true);
    m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_links->setObjectName(QStringLiteral("eventLinks"));
    m_links->setWordWrap(true);
    m_links->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    // An id or stream name is one long word that wrapping cannot break: with its width as the labels' minimum,
    // following a link would widen the whole right column and squeeze the timeline. The dock's width decides;
    // what does not fit is cut at the edge (the Raw JSON tab and Copy event JSON have it whole).
    for (QLabel* label : {m_header, m_links, m_relatedTitle}) {
        label->setMinimumWidth(1);
        label->setWordWrap(true);
    }
    m_dataView = makeTree(m_dataModel, this);
    m_metaView = makeTree(m_metaModel, this);
    m_raw->setReadOnly(true);
    m_raw->setTabChangesFocus(true); // read-only: Tab moves on to the next control
    m_raw->setLineWrapMode(QPlainTextEdit::NoWrap);
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::Monospace);
    m_raw->setFont(mono);
    m_tabs->addTab(m_dataView, tr("Data"));
    m_tabs->addTab(m_metaView, tr("Metadata"));
    m_tabs->addTab(m_raw, tr("Raw JSON"));
    m_relatedTitle->setVisible(false);
    m_related->setVisible(false);
    m_related->setMaximumHeight(120);
    m_related->setObjectName(QStringLiteral("relatedEvents"));

    auto* buttons = new QHBoxLayout;
    m_buttons = buttons;
    buttons->addWidget(m_copyData);
    buttons->addWidget(m_copyEvent);
    buttons->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_header);
    layout->addWidget(m_links);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_relatedTitle);
    layout->addWidget(m_related);
    layout->addLayout(buttons);

    connect(m_copyData, &QPushButton::clicked, this, [this] {
        if (m_event)
            QApplication::clipboard()->setText(prettyJson(m_event->data));
    });
    connect(m_copyEvent, &QPushButton::clicked, this, [this] {
        if (m_event)
            QApplication::clipboard()->setText(prettyJson(m_event->toCanonicalJson()));
    });
    connect(m_links, &QLabel::linkActivated, this, [this](const QString& link) {
        const QUrl url(link);
        const QString id = url.path();
        if (url.scheme() == QLatin1String("causation"))
            Q_EMIT causationRequested(id);
        else if (url.scheme() == QLatin1String("correlation"))
            Q_EMIT correlationRequested(id);
    });
    // A related event moves the cursor; the selected stream stays, so the diff being read keeps its stream.
    connect(m_related, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (m_controller)
            m_controller->moveToEvent(item->data(Qt::UserRole).toLongLong());
    });
    connect(m_related, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        if (m_controller)
            m_controller->moveToEvent(item->data(Qt::UserRole).toLongLong());
    });
    clear();
}

void EventInspector::clear(const QString& message)
{
    m_event.reset();
    m_header->setText(message.isEmpty() ? tr("<i>Click an event on the timeline or in the table.</i>") : message);
    m_links->clear();
    m_links->setVisible(false);
    m_dataModel->setValue(QJsonValue());
    m_metaModel->setValue(QJsonValue());
    m_raw->clear();
    m_copyData->setEnabled(false);
    m_copyEvent->setEnabled(false);
    m_related->clear();
    m_related->setVisible(false);
    m_relatedTitle->setVisible(false);
}

void EventInspector::setError(const QString& message)
{
    clear(QStringLiteral("<span style='color:#d62728'>%1</span>").arg(message.toHtmlEscaped()));
}

void EventInspector::setEvent(const Event& e)
{
    const bool sameEvent = m_event && m_event->position == e.position;
    m_event = e;
    m_header->setText(tr("<b>%1</b><br>%2 &nbsp;v%3 &nbsp;·&nbsp; position %4<br>%5%6")
                          .arg(e.type.toHtmlEscaped(), e.stream.toHtmlEscaped())
                          .arg(e.version)
                          .arg(e.position)
                          .arg(e.time == kNoTime ? tr("no time recorded") : formatTime(e.time))
                          .arg(e.id.isEmpty() ? QString() : tr("<br>id %1").arg(e.id.toHtmlEscaped())));
    QStringList links;
    const QString corr = e.correlationId();
    const QString cause = e.causationId();
    if (!cause.isEmpty())
        links << tr("caused by <a href=\"causation:%1\">%2</a>").arg(QString::fromUtf8(QUrl::toPercentEncoding(cause)), cause.toHtmlEscaped());
    if (!corr.isEmpty())
        links << tr("correlation <a href=\"correlation:%1\">%2</a>").arg(QString::fromUtf8(QUrl::toPercentEncoding(corr)), corr.toHtmlEscaped());
    m_links->setText(links.join(QStringLiteral(" &nbsp;·&nbsp; ")));
    m_links->setVisible(!links.isEmpty());
    m_links->setToolTip(tr("Follow a link to list and select the related events"));

    const QJsonValue data = e.dataIsJson ? parseJsonValue(e.data) : makeJsonString(QString::fromUtf8(e.data));
    m_dataModel->setValue(data);
    m_metaModel->setValue(parseJsonValue(e.metadata.isEmpty() ? QByteArray("{}") : e.metadata));
    if (m_dataModel->rowCount() <= 40)
        m_dataView->expandToDepth(1);
    m_metaView->expandToDepth(0);
    QString raw = prettyJson(e.toCanonicalJson());
    if (raw.size() > kMaxRawChars)
        raw = raw.left(kMaxRawChars) + tr("\n… (%1 more characters; Copy event JSON copies all of it)").arg(raw.size() - kMaxRawChars);
    m_raw->setPlainText(raw);
    m_copyData->setEnabled(true);
    m_copyEvent->setEnabled(true);
    if (!sameEvent) {
        m_related->clear();
        m_related->setVisible(false);
        m_relatedTitle->setVisible(false);
    }
}

void EventInspector::setRelated(const QString& title, const QList<QPair<qint64, QString>>& events)
{
    m_related->clear();
    for (const auto& [position, text] : events) {
        auto* item = new QListWidgetItem(text, m_related);
        item->setData(Qt::UserRole, position);
        if (m_event && position == m_event->position)
            item->setFont([] { QFont f; f.setBold(true); return f; }());
    }
    m_relatedTitle->setText(events.isEmpty() ? tr("%1: no events found").arg(title) : title);
    m_relatedTitle->setVisible(true);
    m_related->setVisible(!events.isEmpty());
}

void EventInspector::addEventAction(QAction* action)
{
    auto* button = new QToolButton(this);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_buttons->insertWidget(m_buttons->count() - 1, button); // before the stretch
}

} // namespace chronoscope
