#pragma once
// Go to...: a global position, a stream's version, or a date-time. Validates as the user types and
// moves the replay cursor on OK.

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace chronoscope {

class ReplayController;

class GoToDialog : public QDialog
{
    Q_OBJECT
public:
    enum Mode { Position, Version, DateTime };
    explicit GoToDialog(ReplayController* controller, QWidget* parent = nullptr);

    /// The mode last used is remembered (settings) and comes back the next time the dialog opens.
    void setMode(Mode mode);
    Mode mode() const;
    QLineEdit* positionEdit() const { return m_position; }
    QLineEdit* streamEdit() const { return m_stream; }
    QLineEdit* versionEdit() const { return m_version; }
    QLineEdit* timeEdit() const { return m_time; }
    /// Applies the entered target to the controller; false (with a message shown) when it is invalid.
    bool apply();

    void accept() override;

protected:
    void showEvent(QShowEvent* event) override;

private:
    bool validate(QString* message) const;
    /// Puts the keyboard in the current mode's field, its text selected so typing replaces it.
    void focusField();

    ReplayController* m_controller;
    QComboBox* m_mode;
    QStackedWidget* m_pages;
    QLineEdit* m_position;
    QLineEdit* m_stream;
    QLineEdit* m_version;
    QLineEdit* m_time;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
};

} // namespace chronoscope
