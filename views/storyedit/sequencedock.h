#pragma once
// The Sequence dock: a correlation chain, or the events of chosen streams around the cursor, as a sequence
// diagram (lifelines per actor, an arrow from each event's causation parent; story/sequencelayout.h, the
// same pure layout the story pages draw). Synchronised with the replay cursor both ways: a click on a
// message puts the cursor on its event; when the cursor moves, the row holding it is highlighted and
// scrolled into view. With a story open its glossary names the actors and words the messages.
// Events are read on a worker thread with a reader of its own (JobTracker).

#include "model/event.h"
#include "story/sequencelayout.h"
#include "story/story.h"
#include "util/jobtracker.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QScrollArea;

namespace chronoscope {

class EventInspector;
class EventReader;
class ReplayController;
class TimelineIndex;

class SequenceView;

class SequenceDock : public QWidget
{
    Q_OBJECT
public:
    enum class Mode { Correlation, Streams };
    /// Events read around the cursor in Streams mode, at most.
    static constexpr int kStreamWindow = 400;
    /// Events of one correlation chain, at most.
    static constexpr int kMaxChain = 2000;

    explicit SequenceDock(ReplayController* controller, QWidget* parent = nullptr);
    ~SequenceDock() override;

    /// "Use selection" reads the selected event's correlation id from here.
    void attach(EventInspector* inspector) { m_inspector = inspector; }
    void setStore(const std::shared_ptr<EventReader>& reader,
                  const std::shared_ptr<const TimelineIndex>& index);
    /// Actors and sentences from a story's glossary (an empty glossary: the defaults).
    void setGlossary(const story::Glossary& glossary);

    Mode mode() const { return m_mode; }
    const story::SequenceLayout& layout() const { return m_layout; }
    /// Positions of the beats the layout was made from (layout rows index into it).
    const QList<qint64>& positions() const { return m_positions; }
    /// The highlighted row (-1: none).
    int highlightRow() const;
    bool isLoading() const;
    QString statusText() const;
    SequenceView* view() const { return m_view; }

public Q_SLOTS:
    void showCorrelation(const QString& id);
    /// Streams matching these globs, the kStreamWindow events nearest the cursor.
    void showStreams(const QStringList& globs);
    /// Fills the query from the selection (the selected event's correlation, or the selected stream).
    void useSelection();
    /// The row's event under the cursor (a folded row: its first event).
    void activateRow(int row);

Q_SIGNALS:
    void loaded();

protected:
    void resizeEvent(QResizeEvent*) override;

private:
    void reload();
    void cursorMoved(qint64 position);

    ReplayController* m_controller;
    EventInspector* m_inspector = nullptr;
    std::shared_ptr<EventReader> m_reader;
    std::shared_ptr<const TimelineIndex> m_index;
    story::Glossary m_glossary;
    Mode m_mode = Mode::Correlation;
    QString m_query;
    qint64 m_anchor = 0; ///< the cursor the stream window was read around
    story::SequenceLayout m_layout;
    QList<qint64> m_positions;
    QString m_status;

    QComboBox* m_modeBox;
    QLineEdit* m_queryEdit;
    QLabel* m_statusLabel;
    QScrollArea* m_scroll;
    SequenceView* m_view;
    quint64 m_job = 0;
    JobTracker m_jobs; ///< last: stops (and waits for) the work first
};

/// The painted diagram (public for tests: rowAt, rowRect).
class SequenceView : public QWidget
{
    Q_OBJECT
public:
    explicit SequenceView(QWidget* parent = nullptr);
    void setSequence(const story::SequenceLayout& layout);
    void setHighlight(int row);
    int highlight() const { return m_highlight; }
    int rowAt(const QPoint& p) const;
    QRect rowRect(int row) const;
    QSize sizeHint() const override;
    /// The lifelines share this width (the scroll area's viewport), each 110–240 px.
    void setAvailableWidth(int width);
    int laneWidth() const;

Q_SIGNALS:
    void rowClicked(int row);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;

private:
    double laneX(int lane) const;
    int headerHeight() const;
    int rowHeight() const;

    story::SequenceLayout m_layout;
    int m_highlight = -1;
    int m_available = 0;
};

} // namespace chronoscope
