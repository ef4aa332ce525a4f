#pragma once
// Keyboard reach of the docks: View ▸ Go to Panel has one action per dock, Alt+1 … Alt+9 in the docks' reading
// order (left column top to bottom, right column, bottom row), each showing and raising its dock and putting
// the keyboard in its main view. Tab moves through the docks' controls; see docs/app.md, "Keyboard".

#include <QList>

class QAction;
class QDockWidget;
class QMainWindow;
class QMenu;
class QWidget;

namespace chronoscope {

/// Builds the Go to Panel actions (window-wide shortcuts) into `menu` for every dock of `window`, in reading
/// order; docks added later are reached by calling it again (it rebuilds the menu).
QList<QAction*> installDockShortcuts(QMainWindow* window, QMenu* menu);
/// The widget Alt+N gives the keyboard to in `dock`: its first visible item view, else its first control
/// that takes Tab focus, else the dock itself.
QWidget* dockFocusTarget(QDockWidget* dock);
/// Shows and raises `dock` (a tab behind another dock comes to the front) and focuses its target.
void focusDock(QDockWidget* dock);

} // namespace chronoscope
