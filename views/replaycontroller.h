#pragma once
// The one owner of the replay cursor. Every view follows it (timeline marker, state inspector, event table,
// status bar): views call the slots, listen to the signals, and never keep a cursor of their own.
// The cursor is a global position: the state shown is the state after the event at that position
// (0 = before the first event). cursorChanged is throttled (leading and trailing edge, ~60 Hz) so dragging
// the slider or playing at 64x never floods the views with more requests than they can paint.

#include "timelineindex.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

#include <memory>

namespace chronoscope {

class ReplayController : public QObject
{
    Q_OBJECT
public:
    enum class StepScope { AllStreams, SelectedStream };
    Q_ENUM(StepScope)

    explicit ReplayController(QObject* parent = nullptr);

    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// The same store with more events at its end (a live tail): cursor, selection and markers stay.
    void updateIndex(std::shared_ptr<const TimelineIndex> index);
    std::shared_ptr<const TimelineIndex> index() const { return m_index; }

    qint64 cursor() const { return m_cursor; }
    /// Row in index()->entries of the cursor's event, -1 when before the first event.
    qint64 cursorRow() const { return m_cursorRow; }
    /// Time of the cursor's event (the first event's time when before it).
    qint64 cursorTime() const;

    QString selectedStream() const { return m_selectedStream; }
    qint64 selectedEvent() const { return m_selectedEvent; }
    qint64 markerA() const { return m_markerA; }
    qint64 markerB() const { return m_markerB; }

    bool isPlaying() const { return m_playing; }
    double speed() const { return m_speed; }
    bool realTime() const { return m_realTime; }
    StepScope stepScope() const { return m_scope; }

    /// Events per second at 1x when not in real-time mode.
    static constexpr double kEventsPerSecond = 10.0;
    /// In real-time mode, a quiet stretch longer than this (wall-clock ms, at the current speed) is skipped.
    static constexpr double kMaxGapWallMs = 1500.0;
    static QList<double> speeds() { return {0.25, 0.5, 1, 2, 4, 8, 16, 32, 64}; }

    /// Emits the throttled cursorChanged now if one is pending (tests, screenshots).
    void flush();

public Q_SLOTS:
    /// Moves the cursor to the last event at or before `position` (0: before the first event).
    void setCursor(qint64 position);
    /// Moves the cursor to the last event at or before time t.
    void setCursorTime(qint64 t);
    /// Moves the cursor to version `version` of a stream; false when the stream or version is unknown.
    bool setCursorToVersion(const QString& stream, qint64 version);
    void stepNext();
    void stepPrevious();
    void first();
    void last();
    void play();
    void pause();
    void togglePlay();
    void setSpeed(double speed);
    void setRealTime(bool on);
    void setStepScope(chronoscope::ReplayController::StepScope scope);
    void setSelectedStream(const QString& stream);
    /// Selects an event (inspector, table, timeline highlight) without moving the cursor.
    void selectEvent(qint64 position);
    /// Selects an event, makes its stream the selected one and moves the cursor onto it.
    void jumpToEvent(qint64 position);
    /// Selects an event and moves the cursor onto it; the selected stream stays (following a link from the
    /// event panel: the state and the A → B diff being read keep their stream).
    void moveToEvent(qint64 position);
    void setMarkerA(qint64 position);
    void setMarkerB(qint64 position);
    void clearMarkers();

Q_SIGNALS:
    void cursorChanged(qint64 position);
    void selectedStreamChanged(const QString& stream);
    void selectedEventChanged(qint64 position);
    void markersChanged(qint64 a, qint64 b);
    void playingChanged(bool playing);
    void speedChanged(double speed);
    void realTimeChanged(bool on);
    void stepScopeChanged(chronoscope::ReplayController::StepScope scope);
    /// Real-time playback skipped a quiet stretch of `ms` (shown to the user so time is not misread).
    void gapSkipped(qint64 ms);

private:
    void moveToRow(qint64 row);
    void emitCursor();
    void tick();
    qint64 laneStep(int direction) const;

    std::shared_ptr<const TimelineIndex> m_index;
    qint64 m_cursor = 0;
    qint64 m_cursorRow = -1;
    QString m_selectedStream;
    qint64 m_selectedEvent = 0;
    qint64 m_markerA = 0;
    qint64 m_markerB = 0;
    bool m_playing = false;
    double m_speed = 1.0;
    bool m_realTime = false;
    StepScope m_scope = StepScope::AllStreams;

    QTimer m_throttle;
    bool m_pending = false;
    qint64 m_lastEmitted = -1;

    QTimer m_playTimer;
    QElapsedTimer m_clock;
    double m_carry = 0;        ///< fractional events (or ms) owed to the next tick
    double m_virtualTime = 0;  ///< real-time mode: the replay clock, in event time
};

} // namespace chronoscope
