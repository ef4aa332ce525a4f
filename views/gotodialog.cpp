#include "gotodialog.h"

#include "replaycontroller.h"

#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace chronoscope {

GoToDialog::GoToDialog(ReplayController* controller, QWidget* parent)
    : QDialog(parent), m_controller(controller), m_mode(new QComboBox(this)), m_pages(new QStackedWidget(this)),
      m_position(new QLineEdit(this)), m_stream(new QLineEdit(this)), m_version(new QLineEdit(this)),
      m_time(new QLineEdit(this)), m_error(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Go to"));
    m_mode->addItems({tr("Global position"), tr("Stream version"), tr("Date and time (UTC)")});
    const auto index = controller->index();

    auto* posPage = new QWidget;
    auto* posForm = new QFormLayout(posPage);
    m_position->setPlaceholderText(index ? tr("%1 – %2").arg(index->info.firstPosition).arg(index->info.lastPosition) : QString());
    posForm->addRow(tr("Position:"), m_position);

    auto* verPage = new QWidget;
    auto* verForm = new QFormLayout(verPage);
    m_stream->setText(controller->selectedStream());
    if (index) {
        auto* completer = new QCompleter(index->streams, m_stream);
        completer->setCaseSensitivity(Qt::CaseInsensitive);
        completer->setFilterMode(Qt::MatchContains);
        m_stream->setCompleter(completer);
    }
    verForm->addRow(tr("Stream:"), m_stream);
    verForm->addRow(tr("Version:"), m_version);

    auto* timePage = new QWidget;
    auto* timeForm = new QFormLayout(timePage);
    m_time->setPlaceholderText(QStringLiteral("2026-01-05T10:00:00Z"));
    if (index && index->timeKnown)
        m_time->setText(formatTime(controller->cursorTime()));
    timeForm->addRow(tr("Time:"), m_time);
    // Wide enough for a whole date-time with milliseconds (and a stream name) without scrolling the field.
    const int dateWidth = m_time->fontMetrics().horizontalAdvance(QStringLiteral("0000-00-00T00:00:00.000Z")) + 24;
    for (QLineEdit* e : {m_position, m_stream, m_version, m_time})
        e->setMinimumWidth(dateWidth);

    m_pages->addWidget(posPage);
    m_pages->addWidget(verPage);
    m_pages->addWidget(timePage);
    m_error->setStyleSheet(QStringLiteral("color: #d62728;"));
    m_error->setWordWrap(true);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_mode);
    layout->addWidget(m_pages);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    const int remembered = QSettings().value(QStringLiteral("goTo/mode"), int(Position)).toInt();
    m_mode->setCurrentIndex(remembered >= Position && remembered <= DateTime ? remembered : int(Position));
    m_pages->setCurrentIndex(m_mode->currentIndex());
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this](int mode) {
        m_pages->setCurrentIndex(mode);
        QSettings().setValue(QStringLiteral("goTo/mode"), mode);
        if (isVisible())
            focusField();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &GoToDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &GoToDialog::reject);
    for (QLineEdit* e : {m_position, m_stream, m_version, m_time})
        connect(e, &QLineEdit::textChanged, m_error, &QLabel::clear);
}

void GoToDialog::setMode(Mode mode)
{
    m_mode->setCurrentIndex(int(mode));
}

GoToDialog::Mode GoToDialog::mode() const
{
    return Mode(m_mode->currentIndex());
}

void GoToDialog::showEvent(QShowEvent* event)
{
    QDialog::showEvent(event);
    focusField();
}

void GoToDialog::focusField()
{
    QLineEdit* field = m_position;
    if (mode() == Version)
        field = m_stream->text().isEmpty() ? m_stream : m_version;
    else if (mode() == DateTime)
        field = m_time;
    field->setFocus(Qt::OtherFocusReason);
    field->selectAll();
}

bool GoToDialog::validate(QString* message) const
{
    const auto index = m_controller->index();
    if (!index || index->isEmpty()) {
        *message = tr("No events to go to.");
        return false;
    }
    switch (m_mode->currentIndex()) {
    case Position: {
        bool ok = false;
        const qint64 p = m_position->text().trimmed().toLongLong(&ok);
        if (!ok || p < 0) {
            *message = tr("Enter a position as a whole number.");
            return false;
        }
        if (p > index->info.lastPosition || p < index->info.firstPosition) {
            *message = tr("Position %1 is outside the store (%2 – %3).").arg(p).arg(index->info.firstPosition).arg(index->info.lastPosition);
            return false;
        }
        return true;
    }
    case Version: {
        const int lane = index->laneOf(m_stream->text().trimmed());
        if (lane < 0) {
            *message = tr("There is no stream named “%1”.").arg(m_stream->text().trimmed());
            return false;
        }
        bool ok = false;
        const qint64 v = m_version->text().trimmed().toLongLong(&ok);
        const StreamInfo& s = index->streamInfos[lane];
        if (!ok || v < s.firstVersion || v > s.lastVersion) {
            *message = tr("%1 has versions %2 – %3.").arg(s.stream).arg(s.firstVersion).arg(s.lastVersion);
            return false;
        }
        return true;
    }
    case DateTime: {
        if (!index->timeKnown) {
            *message = tr("This store records no event times; go to a position instead.");
            return false;
        }
        QString why;
        if (!parseTime(m_time->text().trimmed(), &why)) {
            *message = tr("“%1” is not a date-time: %2.").arg(m_time->text().trimmed(), why);
            return false;
        }
        return true;
    }
    }
    return false;
}

bool GoToDialog::apply()
{
    QString message;
    if (!validate(&message)) {
        m_error->setText(message);
        return false;
    }
    switch (m_mode->currentIndex()) {
    case Position:
        m_controller->setCursor(m_position->text().trimmed().toLongLong());
        break;
    case Version:
        if (!m_controller->setCursorToVersion(m_stream->text().trimmed(), m_version->text().trimmed().toLongLong())) {
            m_error->setText(tr("That version is missing from the stream (a gap in its versions)."));
            return false;
        }
        break;
    case DateTime:
        m_controller->setCursorTime(*parseTime(m_time->text().trimmed()));
        break;
    }
    m_controller->flush();
    return true;
}

void GoToDialog::accept()
{
    if (apply())
        QDialog::accept();
}

} // namespace chronoscope
