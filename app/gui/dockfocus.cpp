#include "dockfocus.h"

#include <QAbstractItemView>
#include <QAction>
#include <QDockWidget>
#include <QMainWindow>
#include <QMenu>

#include <algorithm>

namespace chronoscope {

namespace {

/// Reading order of the dock areas: the left column, the right column, then the rows below and above.
int areaRank(Qt::DockWidgetArea area)
{
    switch (area) {
    case Qt::LeftDockWidgetArea:
        return 0;
    case Qt::RightDockWidgetArea:
        return 1;
    case Qt::BottomDockWidgetArea:
        return 2;
    default:
        return 3;
    }
}

bool takesTab(const QWidget* w)
{
    return w->isVisibleTo(w->window()) && w->isEnabled() && (w->focusPolicy() & Qt::TabFocus) == Qt::TabFocus;
}

} // namespace

QWidget* dockFocusTarget(QDockWidget* dock)
{
    QWidget* content = dock->widget();
    if (!content)
        return dock;
    // The main view is what a person wants to move in (the stream tree, the findings list, the event table).
    for (auto* view : content->findChildren<QAbstractItemView*>())
        if (takesTab(view) && view->isVisible())
            return view;
    if (takesTab(content))
        return content;
    // Else the first control in the Tab order that lies in this dock.
    for (QWidget* w = content->nextInFocusChain(); w && w != content; w = w->nextInFocusChain())
        if (content->isAncestorOf(w) && takesTab(w))
            return w;
    return content;
}

void focusDock(QDockWidget* dock)
{
    dock->show();
    dock->raise();  // a tabified dock comes to the front
    dockFocusTarget(dock)->setFocus(Qt::ShortcutFocusReason);
}

QList<QAction*> installDockShortcuts(QMainWindow* window, QMenu* menu)
{
    for (QAction* old : menu->actions()) {
        window->removeAction(old);
        delete old;
    }
    QList<QDockWidget*> docks = window->findChildren<QDockWidget*>(Qt::FindDirectChildrenOnly);
    // Reading order: area, then top to bottom and left to right inside it.
    // A dock tabbed behind another is moved out of the window (it stays "visible"): it takes the place of
    // the tab shown, and the tab in front comes first within its group.
    auto place = [window](QDockWidget* d) {
        QList<QDockWidget*> group = window->tabifiedDockWidgets(d);
        group.prepend(d);
        for (QDockWidget* member : group)
            if (member->isVisible() && member->x() >= 0 && member->y() >= 0)
                return member->pos();
        return QPoint();
    };
    // Docks the person closed (or that only some stores show, such as Server Projections) come last, so the
    // numbers Alt+1… go to what is on screen and stay the same whichever optional docks exist.
    std::stable_sort(docks.begin(), docks.end(), [window, place](QDockWidget* a, QDockWidget* b) {
        if (a->isHidden() != b->isHidden())
            return !a->isHidden();
        const int ra = areaRank(window->dockWidgetArea(a)), rb = areaRank(window->dockWidgetArea(b));
        if (ra != rb)
            return ra < rb;
        const QPoint pa = place(a), pb = place(b);
        if (pa == pb) {  // one tab group: the tab in front first
            const bool fa = a->x() >= 0 && a->y() >= 0, fb = b->x() >= 0 && b->y() >= 0;
            return fa && !fb;
        }
        if (window->dockWidgetArea(a) == Qt::BottomDockWidgetArea || window->dockWidgetArea(a) == Qt::TopDockWidgetArea)
            return pa.x() < pb.x();
        return pa.y() < pb.y();
    });
    QList<QAction*> actions;
    for (QDockWidget* dock : docks) {
        QAction* a = menu->addAction(dock->windowTitle());
        a->setObjectName(QStringLiteral("focus_") + dock->objectName());
        if (actions.size() < 9 && !dock->isHidden())
            a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + int(actions.size()))));
        a->setShortcutContext(Qt::WindowShortcut);
        QObject::connect(a, &QAction::triggered, dock, [dock] { focusDock(dock); });
        window->addAction(a);
        actions << a;
    }
    return actions;
}

} // namespace chronoscope
