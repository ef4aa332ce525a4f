#pragma once
// Present mode's windows (docs/present.md): the audience window (full screen on the chosen screen, no
// chrome, paints present::paintAudienceFrame) and the presenter's view (speaker notes, the next chapter's
// thumbnail, elapsed and planned time, the beat list, the chapter's facts with ✓/✗, the key map) in a
// window of its own on another screen, or docked beside the audience frame when there is one screen.
// Keys reach the Presentation from either window.

#include "presentsession.h"

#include <QMainWindow>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>

class QLabel;
class QListWidget;
class QTextBrowser;
class QDockWidget;
class QAction;

namespace chronoscope::present {

class AudienceView : public QWidget
{
    Q_OBJECT
public:
    AudienceView(Presentation* p, QWidget* parent = nullptr);
    void setDark(bool dark);
    bool isDark() const { return m_dark; }
    /// The frame as the audience sees it, at any size (screenshots, benchmarks).
    QImage render(QSize size) const;

protected:
    void paintEvent(QPaintEvent*) override;

private:
    Presentation* m_presentation;
    bool m_dark = false;
};

class PresenterPanel : public QWidget
{
    Q_OBJECT
public:
    PresenterPanel(Presentation* p, AudienceView* audience, QWidget* parent = nullptr);
    void refresh();

    // What the presenter sees (tests).
    QString headerText() const;
    QString notesText() const;
    QStringList factTexts() const;     ///< "✓ …" / "✗ …"
    QList<QColor> factColours() const;
    QStringList beatTexts() const;
    int currentBeatRow() const;
    QString clockText() const;
    QString modeText() const;
    QString messageText() const;
    QString nextText() const;
    bool hasThumbnail() const;

protected:
    void changeEvent(QEvent* e) override;

private:
    void applyTones();
    QColor factColour(bool holds) const;

    Presentation* m_presentation;
    AudienceView* m_audience;
    QLabel* m_header;
    QLabel* m_clock;
    QLabel* m_mode;
    QLabel* m_message;
    QTextBrowser* m_notes;
    QListWidget* m_facts;
    QListWidget* m_beats;
    QLabel* m_next;
    QLabel* m_nextTitle;
    QLabel* m_keys;
    int m_beatsChapter = -1;
    int m_factsChapter = -1;
    int m_thumbChapter = -1;
    bool m_thumbDark = false;
};

/// The two windows and their placement. Owns the Presentation.
class PresentWindows : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int screen = -1;      ///< the audience's screen (-1: the last one; the presenter takes another)
        bool dark = false;
        bool show = true;     ///< false: nothing is shown (screenshots render offscreen)
        bool fullScreen = true;
        QSize size{1920, 1080}; ///< when not full screen
        bool presenterWindow = false; ///< the presenter's view in a window of its own even on one screen
    };

    explicit PresentWindows(Presentation* presentation, const Options& options, QObject* parent = nullptr);
    ~PresentWindows() override;

    Presentation* presentation() const { return m_presentation; }
    QWidget* audienceWindow() const { return m_audienceWindow; }
    AudienceView* audience() const { return m_audience; }
    PresenterPanel* presenter() const { return m_presenter; }
    /// True when the presenter's view is a dock in the audience window (one screen).
    bool presenterDocked() const { return m_dock != nullptr; }
    QWidget* presenterWindow() const;

Q_SIGNALS:
    void closed();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    bool ours(QObject* o) const;

    Presentation* m_presentation;
    QMainWindow* m_audienceWindow;
    AudienceView* m_audience;
    PresenterPanel* m_presenter;
    QDockWidget* m_dock = nullptr;
    QPointer<QWidget> m_presenterWindow;
};

/// The remote store a main window shows, for live chapters: its URI as read (secret included: memory only)
/// and the scope read, when the window was given one apart from the URI. Empty uri: a local store.
struct LiveSource
{
    QString uri;
    std::optional<RemoteScope> scope;
};

/// View ▸ Present Story… (F5) of a main window: asks for a story and presents it on the window's open store
/// (a clone of its reader), or on the story's own source when no store is open. When the window shows a
/// remote store (`live`), live chapters follow it, as `--present STORY --store URI` does.
QAction* makePresentAction(QWidget* window, std::function<std::shared_ptr<EventReader>()> reader,
                           std::function<LiveSource()> live = {});

/// `chronoscope --present STORY [--store URI] [--screenshot-chapter N FILE [--presenter]]` (docs/present.md).
struct PresentArgs
{
    QString story;
    QString store;
    int screenshotChapter = 0; ///< 1-based; 0: present interactively
    QString file;
    bool presenter = false;
    int screen = -1;
    bool dark = false;
};
/// The app's demo store when `story` names a demo.chronoscope beside its folder that is not there (the
/// shipped stories in a source checkout, whose demo store is built under build/<preset>/resources/); else
/// empty.
QString demoStoreFallback(const story::Story& story);
/// Runs present mode; the process's exit code (0, 1 usage, 2 unreadable story or store, chapter not shown).
int runPresentMode(const PresentArgs& args);

} // namespace chronoscope::present
