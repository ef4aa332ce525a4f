#pragma once
// The event inspector: the selected event's data and metadata as trees and as raw JSON, copy buttons, and
// its correlation and causation ids as links. Following a link asks the composition (which owns the store
// readers) to find the related events; they are listed here and clicking one selects it.

#include "model/event.h"

#include <QWidget>

class QAction;
class QHBoxLayout;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTreeView;

namespace chronoscope {

class JsonTreeModel;
class ReplayController;

class EventInspector : public QWidget
{
    Q_OBJECT
public:
    /// Raw JSON longer than this is shown cut (Copy still copies all of it).
    static constexpr int kMaxRawChars = 1'000'000;

    explicit EventInspector(ReplayController* controller, QWidget* parent = nullptr);

    void setEvent(const Event& event);
    void clear(const QString& message = {});
    void setError(const QString& message);
    std::optional<Event> event() const { return m_event; }

    /// Events found for a followed link: (position, one-line description).
    void setRelated(const QString& title, const QList<QPair<qint64, QString>>& events);

    /// A button for another panel's action in the row under the event (e.g. "Draft story from this
    /// correlation"); the action reads event() when triggered.
    void addEventAction(QAction* action);

    JsonTreeModel* dataModel() const { return m_dataModel; }
    JsonTreeModel* metadataModel() const { return m_metaModel; }
    QLabel* linksLabel() const { return m_links; }
    QListWidget* relatedList() const { return m_related; }
    QPlainTextEdit* rawView() const { return m_raw; }

Q_SIGNALS:
    /// The user followed the causation link: find the event whose id is `id`.
    void causationRequested(const QString& id);
    /// The user followed the correlation link: find the events sharing `id`.
    void correlationRequested(const QString& id);

private:
    ReplayController* m_controller;
    std::optional<Event> m_event;
    QLabel* m_header;
    QLabel* m_links;
    QTabWidget* m_tabs;
    QTreeView* m_dataView;
    QTreeView* m_metaView;
    JsonTreeModel* m_dataModel;
    JsonTreeModel* m_metaModel;
    QPlainTextEdit* m_raw;
    QLabel* m_relatedTitle;
    QListWidget* m_related;
    QPushButton* m_copyData;
    QPushButton* m_copyEvent;
    QHBoxLayout* m_buttons = nullptr;
};

} // namespace chronoscope
