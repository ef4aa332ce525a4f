#pragma once
// What LiveController may see and do of the window it serves: the open store (read only), the status bar
// and dialogs' parent, and three hand-overs (show a store it opened, take in an index it grew in place,
// report a failure). MainWindow implements it; the controller reaches nothing else of the window.

#include "openjob.h"

#include <memory>

class QMainWindow;

namespace chronoscope {

class ReplayController;
struct TimelineAppend;

class LiveHost
{
public:
    virtual ~LiveHost() = default;

    /// The window: parent of the controller's dialogs and labels, owner of the status bar.
    virtual QMainWindow* hostWindow() = 0;
    virtual ReplayController* controller() const = 0;
    /// The open store's index and reader (null when none is open).
    virtual std::shared_ptr<const TimelineIndex> index() const = 0;
    virtual std::shared_ptr<EventReader> reader() const = 0;
    virtual QString currentDisplayUri() const = 0;
    /// false: no modal dialogs (tests, screenshots).
    virtual bool isInteractive() const = 0;

    /// Shows a store the controller opened (the first committed page of a remote read).
    virtual void applyOpen(const OpenResult& r) = 0;
    /// The open index grew in place (TimelineIndex::append()): every view takes in the change.
    virtual void indexGrew(const TimelineAppend& change) = 0;
    /// A failure the user should see (a dialog when interactive, the status bar otherwise).
    virtual void report(const QString& title, const QString& error) = 0;
    /// The remote store could not be opened at all (the window's openFailed signal).
    virtual void liveOpenFailed(const QString& displayUri, const QString& error) = 0;
};

} // namespace chronoscope
