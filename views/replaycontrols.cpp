#include "replaycontrols.h"

#include "replaycontroller.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QEvent>
#include <QLocale>
#include <QPainter>
#include <QSlider>
#include <QStyle>
#include <QTimer>
#include <QToolButton>

namespace chronoscope {

namespace {

enum class Glyph { First, Previous, Play, Pause, Next, Last };

// Media glyphs drawn in the palette's text colour: the style's stock icons are dark and vanish on a
// dark palette.
QIcon glyphIcon(Glyph g, const QColor& color)
{
    QPixmap pm(32, 32);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(color);
    auto triangle = [&p](double x0, double x1, bool right) {
        QPolygonF t;
        if (right)
            t << QPointF(x0, 7) << QPointF(x1, 16) << QPointF(x0, 25);
        else
            t << QPointF(x1, 7) << QPointF(x0, 16) << QPointF(x1, 25);
        p.drawPolygon(t);
    };
    switch (g) {
    case Glyph::First:
        p.drawRect(QRectF(7, 7, 3, 18));
        triangle(10, 24, false);
        break;
    case Glyph::Previous:
        triangle(4, 16, false);
        triangle(16, 28, false);
        break;
    case Glyph::Play:
        triangle(9, 25, true);
        break;
    case Glyph::Pause:
        p.drawRect(QRectF(9, 7, 5, 18));
        p.drawRect(QRectF(18, 7, 5, 18));
        break;
    case Glyph::Next:
        triangle(4, 16, true);
        triangle(16, 28, true);
        break;
    case Glyph::Last:
        triangle(8, 22, true);
        p.drawRect(QRectF(22, 7, 3, 18));
        break;
    }
    return QIcon(pm);
}

QString gapText(qint64 ms)
{
    if (ms >= 86'400'000)
        return QObject::tr("%1 d").arg(double(ms) / 86'400'000, 0, 'f', 1);
    if (ms >= 3'600'000)
        return QObject::tr("%1 h").arg(double(ms) / 3'600'000, 0, 'f', 1);
    if (ms >= 60'000)
        return QObject::tr("%1 min").arg(double(ms) / 60'000, 0, 'f', 1);
    return QObject::tr("%1 s").arg(double(ms) / 1000, 0, 'f', 1);
}
}

ReplayControls::ReplayControls(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller)
{
    setObjectName(QStringLiteral("replayControls"));
    auto button = [this](QStyle::StandardPixmap, const QString& tip, const char* name) {
        auto* b = new QToolButton(this);
        b->setToolTip(tip);
        b->setObjectName(QLatin1String(name));
        b->setAutoRaise(true);
        return b;
    };
    m_first = button(QStyle::SP_MediaSkipBackward, tr("First event (Home)"), "first");
    m_prev = button(QStyle::SP_MediaSeekBackward, tr("Previous event (Left)"), "previous");
    m_play = button(QStyle::SP_MediaPlay, tr("Play / pause (Space)"), "play");
    m_next = button(QStyle::SP_MediaSeekForward, tr("Next event (Right)"), "next");
    m_last = button(QStyle::SP_MediaSkipForward, tr("Last event (End)"), "last");

    m_speed = new QComboBox(this);
    m_speed->setObjectName(QStringLiteral("speed"));
    for (double s : ReplayController::speeds())
        m_speed->addItem(QStringLiteral("%1×").arg(s), s);
    m_speed->setCurrentIndex(int(ReplayController::speeds().indexOf(1.0)));
    m_speed->setToolTip(tr("Playback speed. Without real time, 1× plays %1 events a second.").arg(ReplayController::kEventsPerSecond));

    m_realTime = new QCheckBox(tr("Real time"), this);
    m_realTime->setObjectName(QStringLiteral("realTime"));
    m_realTime->setToolTip(tr("Follow the events' timestamps; quiet stretches longer than a moment are skipped and shown"));

    m_scope = new QComboBox(this);
    m_scope->setObjectName(QStringLiteral("scope"));
    m_scope->addItem(tr("All streams"));
    m_scope->addItem(tr("Selected stream"));
    m_scope->setToolTip(tr("Step through every event, or only the selected stream's"));

    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setObjectName(QStringLiteral("cursorSlider"));
    m_slider->setMinimumWidth(200);
    m_slider->setToolTip(tr("Replay cursor: drag to move through the whole store"));

    m_where = new QLabel(this);
    m_where->setObjectName(QStringLiteral("cursorLabel"));
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_where->setMinimumWidth(m_where->fontMetrics().horizontalAdvance(QStringLiteral("#0000000 / 0000000  2026-01-05T10:00:00.000Z")));
    m_gap = new QLabel(this);
    m_gap->setObjectName(QStringLiteral("gapLabel"));
    m_gap->setStyleSheet(QStringLiteral("color: #e8590c; font-weight: bold;"));

    m_goTo = new QToolButton(this);
    m_goTo->setText(tr("Go to…"));
    m_goTo->setToolTip(tr("Go to a position, stream version or date-time (Ctrl+G)"));
    m_setA = new QToolButton(this);
    m_setA->setText(tr("Set A"));
    m_setA->setObjectName(QStringLiteral("setA"));
    m_setA->setToolTip(tr("Mark the cursor as diff point A"));
    m_setB = new QToolButton(this);
    m_setB->setText(tr("Set B"));
    m_setB->setObjectName(QStringLiteral("setB"));
    m_setB->setToolTip(tr("Mark the cursor as diff point B"));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 2, 6, 2);
    for (QWidget* w : {static_cast<QWidget*>(m_first), static_cast<QWidget*>(m_prev), static_cast<QWidget*>(m_play),
                       static_cast<QWidget*>(m_next), static_cast<QWidget*>(m_last)})
        layout->addWidget(w);
    layout->addWidget(m_speed);
    layout->addWidget(m_realTime);
    layout->addWidget(m_scope);
    layout->addWidget(m_slider, 1);
    layout->addWidget(m_where);
    layout->addWidget(m_gap);
    layout->addWidget(m_goTo);
    layout->addWidget(m_setA);
    layout->addWidget(m_setB);

    connect(m_first, &QToolButton::clicked, m_controller, &ReplayController::first);
    connect(m_prev, &QToolButton::clicked, m_controller, &ReplayController::stepPrevious);
    connect(m_play, &QToolButton::clicked, m_controller, &ReplayController::togglePlay);
    connect(m_next, &QToolButton::clicked, m_controller, &ReplayController::stepNext);
    connect(m_last, &QToolButton::clicked, m_controller, &ReplayController::last);
    connect(m_goTo, &QToolButton::clicked, this, &ReplayControls::goToRequested);
    connect(m_setA, &QToolButton::clicked, this, [this] { m_controller->setMarkerA(m_controller->cursor()); });
    connect(m_setB, &QToolButton::clicked, this, [this] { m_controller->setMarkerB(m_controller->cursor()); });
    connect(m_speed, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i >= 0)
            m_controller->setSpeed(m_speed->itemData(i).toDouble());
    });
    connect(m_realTime, &QCheckBox::toggled, m_controller, &ReplayController::setRealTime);
    connect(m_scope, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_controller->setStepScope(i == 1 ? ReplayController::StepScope::SelectedStream : ReplayController::StepScope::AllStreams);
    });
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (m_updating || !m_controller->index())
            return;
        // Slider value = entry row + 1 (0 = before the first event).
        const auto index = m_controller->index();
        m_controller->setCursor(v <= 0 ? 0 : index->entries[size_t(std::min<qint64>(v, index->size()) - 1)].position);
    });
    connect(m_controller, &ReplayController::cursorChanged, this, &ReplayControls::updateCursor);
    connect(m_controller, &ReplayController::playingChanged, this, &ReplayControls::updatePlaying);
    connect(m_controller, &ReplayController::speedChanged, this, [this](double s) {
        const int i = m_speed->findData(s);
        if (i >= 0 && i != m_speed->currentIndex())
            m_speed->setCurrentIndex(i);
    });
    connect(m_controller, &ReplayController::realTimeChanged, m_realTime, &QCheckBox::setChecked);
    connect(m_controller, &ReplayController::stepScopeChanged, this, [this](ReplayController::StepScope s) {
        m_scope->setCurrentIndex(s == ReplayController::StepScope::SelectedStream ? 1 : 0);
    });
    auto* gapTimer = new QTimer(this);
    gapTimer->setSingleShot(true);
    gapTimer->setInterval(2500);
    connect(gapTimer, &QTimer::timeout, m_gap, &QLabel::clear);
    connect(m_controller, &ReplayController::gapSkipped, this, [this, gapTimer](qint64 ms) {
        m_gap->setText(tr("⏩ skipped %1 of quiet").arg(gapText(ms)));
        gapTimer->start();
    });
    updateIcons();
    indexChanged();
}

void ReplayControls::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::PaletteChange || e->type() == QEvent::EnabledChange)
        updateIcons();
}

void ReplayControls::updateIcons()
{
    const QColor c = palette().color(isEnabled() ? QPalette::Active : QPalette::Disabled, QPalette::ButtonText);
    m_first->setIcon(glyphIcon(Glyph::First, c));
    m_prev->setIcon(glyphIcon(Glyph::Previous, c));
    m_next->setIcon(glyphIcon(Glyph::Next, c));
    m_last->setIcon(glyphIcon(Glyph::Last, c));
    m_play->setIcon(glyphIcon(m_controller->isPlaying() ? Glyph::Pause : Glyph::Play, c));
}

void ReplayControls::indexChanged()
{
    const auto index = m_controller->index();
    m_updating = true;
    const qint64 n = index ? index->size() : 0;
    m_slider->setRange(0, int(std::min<qint64>(n, std::numeric_limits<int>::max())));
    m_slider->setPageStep(std::max<int>(1, int(n / 50)));
    m_updating = false;
    setEnabled(n > 0);
    updateCursor();
}

void ReplayControls::updateCursor()
{
    const auto index = m_controller->index();
    if (!index) {
        m_where->clear();
        return;
    }
    m_updating = true;
    m_slider->setValue(int(m_controller->cursorRow() + 1));
    m_updating = false;
    const QLocale loc;
    const QString when = m_controller->cursorRow() < 0 ? tr("before the first event")
                         : index->timeKnown            ? formatTime(m_controller->cursorTime())
                                                       : QString();
    m_where->setText(tr("#%1 / %2  %3").arg(loc.toString(m_controller->cursor()), loc.toString(index->info.lastPosition), when));
}

void ReplayControls::updatePlaying()
{
    updateIcons();
}

} // namespace chronoscope
