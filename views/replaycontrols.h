#pragma once
// The replay bar: first/previous/play/next/last, speed (0.25x-64x), real-time mode, step scope, a slider
// over the whole store, the cursor's position and time, Go to..., and Set A / Set B. Everything it does goes
// through the ReplayController; it shows what the controller says.

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;
class QToolButton;

namespace chronoscope {

class ReplayController;

class ReplayControls : public QWidget
{
    Q_OBJECT
public:
    explicit ReplayControls(ReplayController* controller, QWidget* parent = nullptr);

    QSlider* slider() const { return m_slider; }
    QToolButton* playButton() const { return m_play; }
    QComboBox* speedBox() const { return m_speed; }

public Q_SLOTS:
    /// Re-reads the controller's index (range of the slider).
    void indexChanged();

Q_SIGNALS:
    void goToRequested();

protected:
    void changeEvent(QEvent* e) override;

private:
    void updateIcons();
    void updateCursor();
    void updatePlaying();

    ReplayController* m_controller;
    QToolButton* m_first;
    QToolButton* m_prev;
    QToolButton* m_play;
    QToolButton* m_next;
    QToolButton* m_last;
    QComboBox* m_speed;
    QCheckBox* m_realTime;
    QComboBox* m_scope;
    QSlider* m_slider;
    QLabel* m_where;
    QLabel* m_gap;
    QToolButton* m_goTo;
    QToolButton* m_setA;
    QToolButton* m_setB;
    bool m_updating = false;
};

} // namespace chronoscope
