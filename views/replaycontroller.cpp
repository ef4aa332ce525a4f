#include "replaycontroller.h"

#include <algorithm>
#include <cmath>

namespace chronoscope {

namespace {
constexpr int kThrottleMs = 16;
constexpr int kPlayIntervalMs = 33;
}

ReplayController::ReplayController(QObject* parent) : QObject(parent)
{
    m_throttle.setSingleShot(true);
    m_throttle.setInterval(kThrottleMs);
    connect(&m_throttle, &QTimer::timeout, this, [this] {
        if (m_pending)
            emitCursor();
    });
    m_playTimer.setInterval(kPlayIntervalMs);
    m_playTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_playTimer, &QTimer::timeout, this, &ReplayController::tick);
}

void ReplayController::setIndex(std::shared_ptr<const TimelineIndex> index)
{
    pause();
    m_index = std::move(index);
    m_selectedEvent = 0;
    m_markerA = m_markerB = 0;
    if (!m_selectedStream.isEmpty() && (!m_index || m_index->laneOf(m_selectedStream) < 0))
        m_selectedStream.clear();
    m_cursorRow = -1;
    m_cursor = 0;
    m_lastEmitted = -1;
    // A new store starts at its end: the state people usually want to see first.
    if (m_index && !m_index->isEmpty())
        moveToRow(m_index->size() - 1);
    else
        emitCursor();
    Q_EMIT selectedStreamChanged(m_selectedStream);
    Q_EMIT selectedEventChanged(0);
    Q_EMIT markersChanged(0, 0);
    flush();
}

void ReplayController::updateIndex(std::shared_ptr<const TimelineIndex> index)
{
    // Rows of the events already indexed keep their numbers, so the cursor row stays right.
    m_index = std::move(index);
    m_cursorRow = (m_index && m_cursor > 0) ? m_index->rowAtOrBefore(m_cursor) : -1;
}

qint64 ReplayController::cursorTime() const
{
    if (!m_index || m_index->isEmpty())
        return 0;
    if (m_cursorRow < 0)
        return m_index->firstTime();
    return m_index->entries[size_t(m_cursorRow)].time;
}

void ReplayController::moveToRow(qint64 row)
{
    if (!m_index)
        return;
    row = std::clamp<qint64>(row, -1, m_index->size() - 1);
    m_cursorRow = row;
    m_cursor = row < 0 ? 0 : m_index->entries[size_t(row)].position;
    if (m_cursor == m_lastEmitted && !m_pending)
        return;
    if (m_throttle.isActive()) {
        m_pending = true;
        return;
    }
    emitCursor();
    m_throttle.start();
}

void ReplayController::emitCursor()
{
    m_pending = false;
    if (m_cursor == m_lastEmitted)
        return;
    m_lastEmitted = m_cursor;
    Q_EMIT cursorChanged(m_cursor);
}

void ReplayController::flush()
{
    m_throttle.stop();
    if (m_pending || m_cursor != m_lastEmitted)
        emitCursor();
}

void ReplayController::setCursor(qint64 position)
{
    if (!m_index)
        return;
    moveToRow(position <= 0 ? -1 : m_index->rowAtOrBefore(position));
}

void ReplayController::setCursorTime(qint64 t)
{
    if (!m_index)
        return;
    // Events sharing the cursor's time all count as "at or before".
    const qint64 row = m_index->rowAtTime(t);
    moveToRow(row);
}

bool ReplayController::setCursorToVersion(const QString& stream, qint64 version)
{
    if (!m_index)
        return false;
    const int lane = m_index->laneOf(stream);
    if (lane < 0)
        return false;
    const auto& rows = m_index->laneRows[size_t(lane)];
    qint64 best = -1;
    for (quint32 r : rows) {
        const auto& e = m_index->entries[r];
        if (e.version == version) {
            best = r;
            break;
        }
    }
    if (best < 0)
        return false;
    setSelectedStream(stream);
    selectEvent(m_index->entries[size_t(best)].position);
    moveToRow(best);
    return true;
}

qint64 ReplayController::laneStep(int direction) const
{
    const int lane = m_index->laneOf(m_selectedStream);
    if (lane < 0)
        return -2;
    // Lane rows are in time order; stepping follows position order within the stream, which for one
    // stream is the same order in every source we read (a stream is appended in order).
    const auto& rows = m_index->laneRows[size_t(lane)];
    std::vector<quint32> sorted; // only when the lane's time order differs from its position order
    const std::vector<quint32>* order = &rows;
    if (!std::is_sorted(rows.begin(), rows.end())) {
        sorted = rows;
        std::sort(sorted.begin(), sorted.end());
        order = &sorted;
    }
    if (direction > 0) {
        auto it = std::upper_bound(order->begin(), order->end(), m_cursorRow,
                                   [](qint64 v, quint32 r) { return v < qint64(r); });
        return it == order->end() ? -2 : qint64(*it);
    }
    auto it = std::lower_bound(order->begin(), order->end(), m_cursorRow,
                               [](quint32 r, qint64 v) { return qint64(r) < v; });
    return it == order->begin() ? -1 : qint64(*(it - 1));
}

void ReplayController::stepNext()
{
    if (!m_index || m_index->isEmpty())
        return;
    if (m_scope == StepScope::SelectedStream && !m_selectedStream.isEmpty()) {
        const qint64 row = laneStep(+1);
        if (row >= 0)
            moveToRow(row);
        return;
    }
    if (m_cursorRow + 1 < m_index->size())
        moveToRow(m_cursorRow + 1);
}

void ReplayController::stepPrevious()
{
    if (!m_index || m_index->isEmpty())
        return;
    if (m_scope == StepScope::SelectedStream && !m_selectedStream.isEmpty()) {
        const qint64 row = laneStep(-1);
        if (row >= -1)
            moveToRow(row);
        return;
    }
    if (m_cursorRow >= 0)
        moveToRow(m_cursorRow - 1);
}

void ReplayController::first()
{
    if (!m_index || m_index->isEmpty())
        return;
    if (m_scope == StepScope::SelectedStream && m_index->laneOf(m_selectedStream) >= 0) {
        const auto& rows = m_index->laneRows[size_t(m_index->laneOf(m_selectedStream))];
        moveToRow(*std::min_element(rows.begin(), rows.end()));
        return;
    }
    moveToRow(0);
}

void ReplayController::last()
{
    if (!m_index || m_index->isEmpty())
        return;
    if (m_scope == StepScope::SelectedStream && m_index->laneOf(m_selectedStream) >= 0) {
        const auto& rows = m_index->laneRows[size_t(m_index->laneOf(m_selectedStream))];
        moveToRow(*std::max_element(rows.begin(), rows.end()));
        return;
    }
    moveToRow(m_index->size() - 1);
}

void ReplayController::play()
{
    if (m_playing || !m_index || m_index->isEmpty())
        return;
    // Playing from the end starts over, as a media player does.
    if (m_cursorRow >= m_index->size() - 1)
        moveToRow(-1);
    m_playing = true;
    m_carry = 0;
    m_virtualTime = double(cursorTime());
    m_clock.start();
    m_playTimer.start();
    Q_EMIT playingChanged(true);
}

void ReplayController::pause()
{
    if (!m_playing)
        return;
    m_playing = false;
    m_playTimer.stop();
    flush();
    Q_EMIT playingChanged(false);
}

void ReplayController::togglePlay()
{
    if (m_playing)
        pause();
    else
        play();
}

void ReplayController::setSpeed(double speed)
{
    speed = std::clamp(speed, 0.25, 64.0);
    if (qFuzzyCompare(speed, m_speed))
        return;
    m_speed = speed;
    Q_EMIT speedChanged(speed);
}

void ReplayController::setRealTime(bool on)
{
    if (on == m_realTime)
        return;
    m_realTime = on;
    m_virtualTime = double(cursorTime());
    m_carry = 0;
    Q_EMIT realTimeChanged(on);
}

void ReplayController::setStepScope(StepScope scope)
{
    if (scope == m_scope)
        return;
    m_scope = scope;
    Q_EMIT stepScopeChanged(scope);
}

void ReplayController::setSelectedStream(const QString& stream)
{
    if (stream == m_selectedStream)
        return;
    m_selectedStream = stream;
    Q_EMIT selectedStreamChanged(stream);
}

void ReplayController::selectEvent(qint64 position)
{
    if (position == m_selectedEvent)
        return;
    m_selectedEvent = position;
    Q_EMIT selectedEventChanged(position);
}

void ReplayController::jumpToEvent(qint64 position)
{
    if (!m_index)
        return;
    const qint64 row = m_index->rowOfPosition(position);
    if (row < 0)
        return;
    setSelectedStream(m_index->streams[m_index->laneOfRow(row)]);
    selectEvent(position);
    moveToRow(row);
}

void ReplayController::moveToEvent(qint64 position)
{
    if (!m_index)
        return;
    const qint64 row = m_index->rowOfPosition(position);
    if (row < 0)
        return;
    selectEvent(position);
    moveToRow(row);
}

void ReplayController::setMarkerA(qint64 position)
{
    m_markerA = position;
    Q_EMIT markersChanged(m_markerA, m_markerB);
}

void ReplayController::setMarkerB(qint64 position)
{
    m_markerB = position;
    Q_EMIT markersChanged(m_markerA, m_markerB);
}

void ReplayController::clearMarkers()
{
    m_markerA = m_markerB = 0;
    Q_EMIT markersChanged(0, 0);
}

void ReplayController::tick()
{
    if (!m_index || m_index->isEmpty()) {
        pause();
        return;
    }
    const double elapsedMs = double(m_clock.restart());
    if (!m_realTime) {
        m_carry += elapsedMs / 1000.0 * kEventsPerSecond * m_speed;
        const int steps = int(std::floor(m_carry));
        m_carry -= steps;
        for (int i = 0; i < steps; ++i) {
            const qint64 was = m_cursorRow;
            stepNext();
            if (m_cursorRow == was) { // reached the end (of the store or of the selected stream)
                pause();
                return;
            }
        }
        return;
    }
    // Real time: the replay clock runs at `speed` times wall-clock; the cursor is the last event at or
    // before it. A quiet stretch longer than kMaxGapWallMs at this speed is skipped and reported.
    m_virtualTime += elapsedMs * m_speed;
    const qint64 next = m_index->timeLowerBound(qint64(std::floor(m_virtualTime)) + 1);
    if (next >= qint64(m_index->byTime.size())) {
        moveToRow(m_index->size() - 1);
        pause();
        return;
    }
    const double nextTime = double(m_index->entries[m_index->byTime[size_t(next)]].time);
    const double gapWall = (nextTime - m_virtualTime) / m_speed;
    if (gapWall > kMaxGapWallMs) {
        const double skip = nextTime - m_virtualTime - kEventsPerSecond; // land just before the next event
        m_virtualTime += skip;
        Q_EMIT gapSkipped(qint64(skip));
    }
    const qint64 row = m_index->rowAtTime(qint64(std::floor(m_virtualTime)));
    if (row >= 0 && row != m_cursorRow)
        moveToRow(row);
}

} // namespace chronoscope
