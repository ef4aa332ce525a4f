#include "mainwindow.h"
#include "findings/findingsdock.h"
#include "projections/projectiondifflink.h"
#include "projections/projectionsdock.h"
#include "projections/projectionstatelink.h"
#include "remote/openremotedialog.h"
#include "remote/serverprojectionspanel.h"
#include "inplace/inplacewindow.h"
#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "storyedit/sequencedock.h"
#include "storyedit/storydock.h"
#include "storywiring.h"

#include "json/mergepatch.h"
#include "diffinspector.h"
#include "dockfocus.h"
#include "eventinspector.h"
#include "eventlookup.h"
#include "eventtableview.h"
#include "gotodialog.h"
#include "jsonpointer.h"
#include "livecontroller.h"
#include "presentwindows.h"
#include "replay/replayservice.h"
#include "replaycontrols.h"
#include "replaycontroller.h"
#include "stateinspector.h"
#include "streambrowser.h"
#include "theme.h"
#include "timelinewidget.h"
#include "util/cacheroot.h"
#include "util/uri.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QCoreApplication>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressDialog>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QTimer>
#include <QVBoxLayout>

namespace chronoscope {

namespace {
constexpr int kMaxRecent = 10;
const char* const kSettingRecent = "recentFiles";
const char* const kSettingReopen = "reopenLast";
const char* const kSettingLast = "lastStore";
const char* const kSettingGeometry = "window/geometry";
const char* const kSettingState = "window/state";
const char* const kSettingTheme = "theme";
constexpr int kStateVersion = 1;
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_controller(new ReplayController(this)), m_timeline(new TimelineWidget(m_controller)),
      m_controls(new ReplayControls(m_controller)), m_browser(new StreamBrowser(m_controller)),
      m_eventInspector(new EventInspector(m_controller)), m_stateInspector(new StateInspector),
      m_diffInspector(new DiffInspector(m_controller)), m_eventTable(new EventTableView(m_controller)),
      m_storeLabel(new QLabel(this)), m_cursorLabel(new QLabel(this)), m_live(new LiveController(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Chronoscope"));
    setWindowIcon(QIcon(QStringLiteral(":/chronoscope/chronoscope.svg")));
    setAcceptDrops(true);
    setDockNestingEnabled(true);

    // The replay bar spans the whole window (a toolbar), so its width never squeezes the docks.
    auto* bar = new QToolBar(tr("Replay"), this);
    bar->setObjectName(QStringLiteral("replayToolBar"));
    bar->setMovable(false);
    bar->addWidget(m_controls);
    bar->addAction(m_live->followHeadAction());
    addToolBar(Qt::TopToolBarArea, bar);
    setCentralWidget(m_timeline);

    buildDocks();
    buildMenus();
    // The projections dock is self-contained (views/projections); it shares the state dock's place.
    auto* projectionsDock = new ProjectionsDock(m_controller);
    connect(projectionsDock, &ProjectionsDock::markersChanged, m_timeline, &TimelineWidget::setMarkers);
    // The state dock can show a loaded projection instead of the stream's merged state (its chooser).
    connect(projectionsDock->attachStateInspector(m_stateInspector), &ProjectionStateLink::defaultChosen, this,
            &MainWindow::requestState);
    ProjectionDiffLink* diffLink = projectionsDock->attachDiffInspector(m_diffInspector);
    connect(diffLink, &ProjectionDiffLink::deactivated, this, &MainWindow::requestDiff);
    connect(diffLink, &ProjectionDiffLink::blameShown, this, &MainWindow::blameShown);
    if (QDockWidget* projections = addPanel(tr("Projections"), projectionsDock, Qt::RightDockWidgetArea)) {
        if (auto* state = findChild<QDockWidget*>(QStringLiteral("stateDock"))) {
            tabifyDockWidget(state, projections);
            state->raise();
        }
    }
    // A KurrentDB server's own projections (views/remote): listed when the window reads one over gRPC.
    auto* serverProjections = new ServerProjectionsPanel;
    serverProjections->setCacheDir(cacheDir());
    connect(serverProjections, &ServerProjectionsPanel::eventActivated, m_controller, &ReplayController::setCursor);
    serverProjections->setObjectName(QStringLiteral("serverProjections"));
    QDockWidget* server = addPanel(tr("Server Projections"), serverProjections, Qt::RightDockWidgetArea);
    if (auto* projections = findChild<QDockWidget*>(QStringLiteral("projectionsDock")))
        tabifyDockWidget(projections, server);
    if (auto* state = findChild<QDockWidget*>(QStringLiteral("stateDock")))
        state->raise();
    server->hide();  // shown only while the window reads a KurrentDB server over gRPC (below)
    connect(m_live, &LiveController::stateChanged, serverProjections, [this, serverProjections, server](LiveController::State s) {
        if (s != LiveController::State::Connecting)
            return;
        const QString uri = m_live->uri();
        const bool grpc = kurrent::isKurrentScheme(kurrent::schemeOf(uri)) &&
                          !uri.contains(QLatin1String("protocol=atompub"), Qt::CaseInsensitive);
        serverProjections->setConnection(grpc ? uri : QString());
        server->setVisible(grpc);
    });
    // Findings and notes (views/findings): computed when a store opens; a click zooms, filters and moves the cursor.
    auto* findingsDock = new FindingsDock(m_controller);
    findingsDock->attach(m_timeline, m_browser, m_eventInspector);
    if (QDockWidget* findings = addPanel(tr("Findings"), findingsDock, Qt::LeftDockWidgetArea)) {
        if (auto* streams = findChild<QDockWidget*>(QStringLiteral("streamsDock")))
            splitDockWidget(streams, findings, Qt::Vertical);
    }
    connect(this, &MainWindow::storeOpened, findingsDock,
            [this, findingsDock] { findingsDock->setStore(m_reader, m_index, m_displayUri); });
    // Stories (views/storyedit, app/gui/storywiring): the Story and Sequence docks, Open Story, Export Story as.
    new StoryWiring(this);
    statusBar()->addPermanentWidget(m_live->statusLabel());
    statusBar()->addPermanentWidget(m_cursorLabel);
    statusBar()->addPermanentWidget(m_storeLabel);
    m_cursorLabel->setObjectName(QStringLiteral("statusCursor"));
    m_storeLabel->setObjectName(QStringLiteral("statusStore"));

    // The inspectors follow the one cursor: the event at the cursor is the selected event.
    connect(m_controller, &ReplayController::cursorChanged, this, [this](qint64 p) {
        if (p > 0)
            m_controller->selectEvent(p);
        requestState();
        updateStatus();
    });
    connect(m_controller, &ReplayController::selectedStreamChanged, this, [this] {
        requestState();
        requestDiff();
    });
    connect(m_controller, &ReplayController::markersChanged, this, [this] { requestDiff(); });
    connect(m_controller, &ReplayController::selectedEventChanged, this, [this](qint64 p) {
        if (!m_lookup || p <= 0)
            return;
        m_fetchRequest = m_lookup->fetch(p);
        const qint64 row = m_index ? m_index->rowOfPosition(p) : -1;
        if (row >= 0)
            m_timeline->ensureLaneVisible(m_index->laneOfRow(row));
    });
    connect(m_controller, &ReplayController::gapSkipped, this, [this](qint64 ms) {
        statusBar()->showMessage(tr("Real time: skipped %1 s with no events").arg(ms / 1000), 3000);
    });
    connect(m_browser, &StreamBrowser::lanesChanged, this, [this](const QList<int>& lanes, const QList<int>& pinned) {
        m_timeline->setLanes(lanes);
        m_timeline->setPinnedLanes(pinned);
    });
    connect(m_controls, &ReplayControls::goToRequested, this, &MainWindow::goToDialog);
    connect(m_diffInspector, &DiffInspector::blameRequested, this, [this](const QString& path) {
        // The Diff dock shows either two projections (their link blames in the projection) or the stream's
        // states at A and B; a path of one is meaningless in the other.
        auto* projections = findChild<ProjectionsDock*>();
        if (projections && projections->diffLink() && projections->diffLink()->active()) {
            m_blameRequest = 0;
            if (!projections->diffLink()->blame(path))
                m_diffInspector->setBlameResult(tr("Wait for the comparison to be shown, then click a path."));
            return;
        }
        if (!m_service || m_diffStream.isEmpty() || m_controller->markerB() <= 0)
            return;
        m_blameRequest = m_service->requestBlame(m_diffStream, path, Point::atPosition(m_controller->markerB()));
    });
    connect(m_eventInspector, &EventInspector::causationRequested, this, [this](const QString& id) {
        if (!m_lookup)
            return;
        m_searchTitle = tr("Caused by %1").arg(id);
        m_eventInspector->setRelated(tr("Looking for event %1…").arg(id), {});
        m_searchRequest = m_lookup->findById(id);
    });
    connect(m_eventInspector, &EventInspector::correlationRequested, this, [this](const QString& id) {
        if (!m_lookup)
            return;
        m_searchTitle = tr("Correlation %1").arg(id);
        m_eventInspector->setRelated(tr("Looking for events of correlation %1…").arg(id), {});
        m_searchRequest = m_lookup->findCorrelated(id);
    });

    m_panelMenu = m_viewMenu->addMenu(tr("&Go to Panel"));
    installDockShortcuts(this, m_panelMenu);

    QSettings settings;
    applyTheme(themeFromName(settings.value(kSettingTheme).toString()));
    resize(1400, 900);
    restoreGeometry(settings.value(kSettingGeometry).toByteArray());
    m_restoredState = restoreState(settings.value(kSettingState).toByteArray(), kStateVersion);
    updateStatus();
}

MainWindow::~MainWindow()
{
    if (m_job)
        m_job->cancel();
    delete m_service;
    delete m_lookup;
}

QString MainWindow::bundledDemoPath()
{
    // The build tree (<build>/app/chronoscope, <build>/resources/) or an installed tree (<prefix>/bin/chronoscope,
    // <prefix>/share/chronoscope/, docs/packaging.md); relative to the executable so an unpacked package works too.
    const QString dir = QCoreApplication::applicationDirPath();
    const QString built = dir + QStringLiteral("/../resources/demo.chronoscope");
    const QString installed = dir + QStringLiteral("/../share/chronoscope/demo.chronoscope");
    return QFileInfo::exists(built) || !QFileInfo::exists(installed) ? built : installed;
}

QString MainWindow::cacheDir()
{
    return cacheRoot();  // util/cacheroot.h: shared with the CLI
}

QString MainWindow::storeTitle(const QString& displayUri)
{
    if (!looksLikeUri(displayUri)) {
        const QString name = QFileInfo(displayUri).fileName();
        return name.isEmpty() ? displayUri : name;
    }
    QString title = displayUri.section(QLatin1Char('?'), 0, 0).section(QLatin1Char('#'), 0, 0);
    static const QRegularExpression userInfo(QStringLiteral("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@"));
    title.replace(userInfo, QStringLiteral("\\1"));
    while (title.endsWith(QLatin1Char('/')))
        title.chop(1);
    return title;
}

QString MainWindow::cacheDemoPath()
{
    return cacheDir() + QStringLiteral("/demo.chronoscope");
}

void MainWindow::buildDocks()
{
    auto dock = [this](const QString& title, const char* name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(QLatin1String(name));
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    auto* streams = dock(tr("Streams"), "streamsDock", m_browser, Qt::LeftDockWidgetArea);
    auto* state = dock(tr("State at cursor"), "stateDock", m_stateInspector, Qt::RightDockWidgetArea);
    auto* event = dock(tr("Event"), "eventDock", m_eventInspector, Qt::RightDockWidgetArea);
    auto* table = dock(tr("Events"), "eventTableDock", m_eventTable, Qt::BottomDockWidgetArea);
    auto* diff = dock(tr("Diff A → B"), "diffDock", m_diffInspector, Qt::BottomDockWidgetArea);
    splitDockWidget(state, event, Qt::Vertical);
    splitDockWidget(table, diff, Qt::Horizontal);
    Q_UNUSED(streams);
    Q_UNUSED(state);
}

void MainWindow::showEvent(QShowEvent* e)
{
    QMainWindow::showEvent(e);
    // Default dock sizes need a laid-out window; a saved layout wins over them.
    if (!m_restoredState) {
        m_restoredState = true;
        QTimer::singleShot(0, this, &MainWindow::applyDefaultDockSizes);
    }
    // Alt+1 … in the docks' reading order, now that they are laid out (and with docks added since).
    QTimer::singleShot(0, this, [this] { installDockShortcuts(this, m_panelMenu); });
}

void MainWindow::applyDefaultDockSizes()
{
    {
        auto* streams = findChild<QDockWidget*>(QStringLiteral("streamsDock"));
        auto* state = findChild<QDockWidget*>(QStringLiteral("stateDock"));
        auto* event = findChild<QDockWidget*>(QStringLiteral("eventDock"));
        auto* table = findChild<QDockWidget*>(QStringLiteral("eventTableDock"));
        auto* diff = findChild<QDockWidget*>(QStringLiteral("diffDock"));
        resizeDocks({streams, state}, {width() * 25 / 100, width() * 26 / 100}, Qt::Horizontal);
        resizeDocks({table}, {height() * 30 / 100}, Qt::Vertical);
        resizeDocks({state, event}, {height() * 30 / 100, height() * 30 / 100}, Qt::Vertical);
        resizeDocks({table, diff}, {width() / 2, width() / 2}, Qt::Horizontal);
    }
}

QDockWidget* MainWindow::addPanel(const QString& title, QWidget* panel, Qt::DockWidgetArea area)
{
    auto* d = new QDockWidget(title, this);
    d->setObjectName(panel->objectName().isEmpty() ? title : panel->objectName() + QStringLiteral("Dock"));
    d->setWidget(panel);
    addDockWidget(area, d);
    if (m_viewMenu)
        m_viewMenu->addAction(d->toggleViewAction());
    return d;
}

void MainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openAct = file->addAction(tr("&Open…"), this, &MainWindow::openFileDialog);
    openAct->setShortcut(QKeySequence::Open);
    // Remote stores: read into the cache by a session, shown from the first page on, optionally followed.
    file->addAction(tr("Open Re&mote…"), this, [this] {
        OpenRemoteDialog dialog(this);
        if (dialog.exec() != QDialog::Accepted)
            return;
        if (dialog.inPlace())
            openInPlace(dialog.inPlaceUri());
        else
            m_live->start(dialog.uriWithSecret(), dialog.scope(), dialog.follow(), cacheDir());
    });
    file->addAction(m_live->saveCaptureAction());
    file->addAction(m_live->stopAction());
    file->addAction(tr("Open &Demo Store"), this, &MainWindow::openDemo);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    QAction* reopen = file->addAction(tr("Reopen Last Store on Start"));
    reopen->setCheckable(true);
    reopen->setChecked(QSettings().value(kSettingReopen, false).toBool());
    connect(reopen, &QAction::toggled, this, [](bool on) { QSettings().setValue(kSettingReopen, on); });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    rebuildRecentMenu();

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    QAction* fit = m_viewMenu->addAction(tr("&Fit All"), m_timeline, &TimelineWidget::fitAll);
    fit->setShortcut(Qt::CTRL | Qt::Key_0);
    m_viewMenu->addAction(m_live->followHeadAction());
    QAction* zoomSel = m_viewMenu->addAction(tr("Zoom to &Selection (Shift+drag)"), m_timeline, &TimelineWidget::zoomToSelection);
    zoomSel->setShortcut(Qt::CTRL | Qt::Key_E);
    QAction* zin = m_viewMenu->addAction(tr("Zoom &In"), m_timeline, &TimelineWidget::zoomIn);
    zin->setShortcut(QKeySequence::ZoomIn);
    QAction* zout = m_viewMenu->addAction(tr("Zoom &Out"), m_timeline, &TimelineWidget::zoomOut);
    zout->setShortcut(QKeySequence::ZoomOut);
    m_viewMenu->addSeparator();
    // F5 (docs/present.md): on the open store; live chapters follow it when it is remote (the live
    // controller's URI and scope, or the URI a remote store was opened with).
    m_viewMenu->addAction(present::makePresentAction(
        this, [this] { return m_reader; },
        [this] {
            present::LiveSource s;
            if (m_live->showsStore()) {
                s.uri = m_live->uri();
                s.scope = m_live->scope();
            } else if (looksLikeUri(m_openUri)) {
                s.uri = m_openUri;
            }
            return s;
        }));
    QMenu* themeMenu = m_viewMenu->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    const Theme current = themeFromName(QSettings().value(kSettingTheme).toString());
    for (Theme t : {Theme::System, Theme::Light, Theme::Dark}) {
        QAction* a = themeMenu->addAction(t == Theme::System ? tr("System") : t == Theme::Light ? tr("Light") : tr("Dark"));
        a->setCheckable(true);
        a->setChecked(t == current);
        themes->addAction(a);
        connect(a, &QAction::triggered, this, [t] {
            applyTheme(t);
            QSettings().setValue(kSettingTheme, themeName(t));
        });
    }
    m_viewMenu->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>())
        m_viewMenu->addAction(d->toggleViewAction());

    QMenu* replay = menuBar()->addMenu(tr("&Replay"));
    auto add = [this, replay](const QString& text, const QKeySequence& key, auto slot) {
        QAction* a = replay->addAction(text);
        a->setShortcut(key);
        // Window-wide, except where a text field wants the key (QLineEdit claims Space and arrows itself).
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    add(tr("Play / Pause"), QKeySequence(Qt::Key_Space), [this] { m_controller->togglePlay(); });
    add(tr("Previous Event"), QKeySequence(Qt::Key_Left), [this] { m_controller->stepPrevious(); });
    add(tr("Next Event"), QKeySequence(Qt::Key_Right), [this] { m_controller->stepNext(); });
    add(tr("First Event"), QKeySequence(Qt::Key_Home), [this] { m_controller->first(); });
    add(tr("Last Event"), QKeySequence(Qt::Key_End), [this] { m_controller->last(); });
    add(tr("Go To…"), QKeySequence(Qt::CTRL | Qt::Key_G), [this] { goToDialog(); });
    replay->addSeparator();
    add(tr("Set A at Cursor"), QKeySequence(Qt::Key_A), [this] { m_controller->setMarkerA(m_controller->cursor()); });
    add(tr("Set B at Cursor"), QKeySequence(Qt::Key_B), [this] { m_controller->setMarkerB(m_controller->cursor()); });
    add(tr("Clear A and B"), QKeySequence(), [this] { m_controller->clearMarkers(); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Chronoscope"), this, &MainWindow::showAbout);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = recentFiles();
    for (const QString& uri : recent)
        m_recentMenu->addAction(uri, this, [this, uri] { open(uri); });
    if (recent.isEmpty())
        m_recentMenu->addAction(tr("(none yet)"))->setEnabled(false);
}

QStringList MainWindow::recentFiles() const
{
    return QSettings().value(kSettingRecent).toStringList();
}

void MainWindow::addRecent(const QString& displayUri)
{
    // Only the redacted form is ever stored: a password in a URI must not reach the settings file.
    QSettings settings;
    QStringList recent = settings.value(kSettingRecent).toStringList();
    recent.removeAll(displayUri);
    recent.prepend(displayUri);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue(kSettingRecent, recent);
    settings.setValue(kSettingLast, displayUri);
    rebuildRecentMenu();
}

void MainWindow::openDemo()
{
    const QString bundled = bundledDemoPath();
    if (QFileInfo::exists(bundled)) {
        open(QFileInfo(bundled).canonicalFilePath());
        return;
    }
    // No bundled store (an installed binary without resources): generate one into the cache, with progress.
    if (m_job)
        m_job->cancel();
    delete m_job;
    m_job = new OpenJob(cacheDemoPath(), cacheDir(), cacheDemoPath(), this);
    connect(m_job, &OpenJob::finished, this, &MainWindow::applyOpen);
    if (m_interactive) {
        m_progress = new QProgressDialog(tr("Creating the demo store…"), tr("Cancel"), 0, 100, this);
        m_progress->setWindowModality(Qt::WindowModal);
        m_progress->setMinimumDuration(300);
        connect(m_progress, &QProgressDialog::canceled, m_job, &OpenJob::cancel);
        connect(m_job, &OpenJob::progress, m_progress, [this](qint64 done, qint64 total, const QString& what) {
            if (!m_progress)
                return;
            m_progress->setLabelText(what);
            m_progress->setValue(total > 0 ? int(100 * done / total) : 0);
        });
    }
    m_job->start();
}

void MainWindow::openInPlace(const QString& uri)
{
    const QString display = redactUri(uri); // the only form that reaches the title, the status bar and settings
    auto* w = new InPlaceMainWindow;
    w->setAttribute(Qt::WA_DeleteOnClose);
    QString error;
    if (!w->openUri(uri, storeTitle(display), &error)) {
        delete w;
        report(tr("Could not open %1 in place").arg(display), error);
        Q_EMIT openFailed(display, error);
        return;
    }
    w->resize(size());
    w->move(pos() + QPoint(40, 40));
    w->show();
    addRecent(display);
    statusBar()->showMessage(tr("%1 opens in place in a window of its own").arg(display), 8000);
}

void MainWindow::open(const QString& uri)
{
    if (uri.trimmed().isEmpty())
        return;
    // In place: asked for by the URI, or a native store bigger than the setting (docs/app.md "In place").
    if (InPlaceMainWindow::isInPlaceUri(uri) || InPlaceMainWindow::opensInPlaceBySize(uri)) {
        openInPlace(uri);
        return;
    }
    if (m_job) {
        m_job->cancel();
        m_job->disconnect(this);
        m_job->deleteLater();
        m_job = nullptr;
    }
    if (m_progress)
        m_progress->close();
    m_job = new OpenJob(uri, cacheDir(), {}, this);
    connect(m_job, &OpenJob::finished, this, &MainWindow::applyOpen);
    statusBar()->showMessage(tr("Opening %1…").arg(m_job->displayUri()));
    if (m_interactive) {
        m_progress = new QProgressDialog(tr("Opening %1…").arg(m_job->displayUri()), tr("Cancel"), 0, 1000, this);
        m_progress->setWindowTitle(tr("Opening"));
        m_progress->setWindowModality(Qt::WindowModal);
        m_progress->setMinimumDuration(400);
        m_progress->setAutoClose(false);
        m_progress->setAutoReset(false);
        OpenJob* job = m_job;
        connect(m_progress, &QProgressDialog::canceled, job, &OpenJob::cancel);
        connect(job, &OpenJob::progress, m_progress, [this](qint64 done, qint64 total, const QString& what) {
            if (!m_progress)
                return;
            m_progress->setLabelText(openProgressText(done, total, what));
            if (total > 0) {
                m_progress->setMaximum(1000);
                m_progress->setValue(int(1000 * std::min(done, total) / total));
            } else {
                m_progress->setMaximum(0); // busy indicator when the size is unknown
            }
        });
    }
    m_job->start();
}

void MainWindow::cancelOpen()
{
    if (m_job)
        m_job->cancel();
}

void MainWindow::applyOpen(const OpenResult& r)
{
    if (m_progress) {
        m_progress->close();
        m_progress->deleteLater();
    }
    if (m_job) {
        m_job->deleteLater();
        m_job = nullptr;
    }
    if (!r.ok()) {
        statusBar()->showMessage(r.cancelled ? tr("Opening %1 cancelled").arg(r.displayUri) : tr("Could not open %1").arg(r.displayUri), 8000);
        if (!r.cancelled)
            report(tr("Could not open %1").arg(r.displayUri), r.error);
        Q_EMIT openFailed(r.displayUri, r.cancelled ? tr("cancelled") : r.error);
        return;
    }
    // Replace the open store only now that the new one is ready: a failed open keeps the old one usable.
    delete m_service;
    delete m_lookup;
    m_service = nullptr;
    m_lookup = nullptr;
    m_stateRequest = m_diffRequest = m_blameRequest = m_fetchRequest = m_searchRequest = 0;
    m_diffStream.clear();
    m_stateStreamShown.clear();
    m_reader = r.reader;
    m_index = r.index;
    m_displayUri = r.displayUri;
    m_openUri = r.uri;
    QString error;
    m_service = new ReplayService(m_reader->clone(&error), this);
    m_lookup = new EventLookup(m_reader, this);
    wireServices();
    if (auto* projections = findChild<ProjectionsDock*>())
        projections->setReader(m_reader->clone(&error));

    m_timeline->setIndex(m_index);
    m_browser->setIndex(m_index);
    m_eventTable->setIndex(m_index);
    m_eventInspector->clear();
    m_stateInspector->setMessage(tr("<i>Select a stream to see its state at the cursor.</i>"));
    m_diffInspector->setMessage(tr("<i>Set A and B (buttons above, the replay bar, or right-click the timeline) to "
                                   "compare the selected stream's state at two moments.</i>"));
    m_controller->setIndex(m_index);
    m_controls->indexChanged();
    setWindowTitle(tr("%1 — Chronoscope").arg(storeTitle(r.displayUri)));
    addRecent(r.displayUri);
    updateStatus();
    QStringList notes = m_index->info.warnings;
    statusBar()->showMessage(tr("Opened %1 in %2 ms").arg(r.displayUri).arg(r.elapsedMs)
                                 + (notes.isEmpty() ? QString() : tr(" — %n warning(s): ", nullptr, int(notes.size())) + notes.first()),
                             8000);
    m_live->storeOpened();
    Q_EMIT storeOpened(r.displayUri);
}

void MainWindow::indexGrew(const TimelineAppend& change)
{
    m_controller->updateIndex(m_index);
    m_timeline->updateIndex(m_index, change);
    m_browser->updateIndex(m_index, change); // counts throttled; new streams at once, pins and selection kept
    m_eventTable->updateIndex(m_index, change);
    m_controls->indexChanged();
    updateStatus();
}

void MainWindow::wireServices()
{
    connect(m_service, &ReplayService::stateReady, this, [this](quint64 id, const StateResult& r) {
        if (id != m_stateRequest)
            return;
        const QString stream = m_stateStreamShown;
        QString caption;
        QStringList changed;
        if (r.lastEvent) {
            const Event& e = *r.lastEvent;
            caption = tr("<b>%1</b> after v%2 <b>%3</b> (position %4, %5)")
                          .arg(stream.toHtmlEscaped())
                          .arg(e.version)
                          .arg(e.type.toHtmlEscaped())
                          .arg(e.position)
                          .arg(e.time == kNoTime ? tr("no time") : formatTime(e.time));
            if (e.position == m_controller->cursor())
                caption += tr("<br><span style='color:#b8860b'>Highlighted: what this event changed.</span>");
            else
                caption += tr("<br>Highlighted: what the stream's latest event before the cursor changed.");
            changed = mergePatchPaths(parseJsonValue(e.data));
        } else {
            caption = tr("<b>%1</b> has no events yet at the cursor: its state is empty.").arg(stream.toHtmlEscaped());
        }
        m_stateInspector->setState(r.state, caption, changed);
        Q_EMIT stateShown();
    });
    connect(m_service, &ReplayService::diffReady, this,
            [this](quint64 id, const QJsonValue& a, const QJsonValue& b, const QJsonArray& patch) {
                if (id != m_diffRequest)
                    return;
                m_diffInspector->setDiff(tr("<b>%1</b>: A = %2 → B = %3")
                                             .arg(m_diffStream.toHtmlEscaped(), describePosition(m_controller->markerA()),
                                                  describePosition(m_controller->markerB())),
                                         a, b, patch);
                Q_EMIT diffShown();
            });
    connect(m_service, &ReplayService::blameReady, this, [this](quint64 id, const BlameResult& r) {
        if (id != m_blameRequest)
            return;
        if (!r.event) {
            m_diffInspector->setBlameResult(tr("No event changed that path: %1").arg(r.error));
            return;
        }
        const Event& e = *r.event;
        m_diffInspector->setBlameResult(tr("Last %1 by <b>%2</b> v%3 at position %4 (%5) — selected.")
                                            .arg(r.removed ? tr("removed") : tr("changed"), e.type.toHtmlEscaped())
                                            .arg(e.version)
                                            .arg(e.position)
                                            .arg(formatTime(e.time)));
        // The whole window goes to that event: cursor, state, event table and the event panel.
        m_controller->jumpToEvent(e.position);
        Q_EMIT blameShown(e.position);
    });
    connect(m_service, &ReplayService::failed, this, [this](quint64 id, const QString& message) {
        if (id == m_stateRequest)
            m_stateInspector->setError(message);
        else if (id == m_diffRequest)
            m_diffInspector->setError(message);
        else if (id == m_blameRequest)
            m_diffInspector->setBlameResult(message.toHtmlEscaped());
    });
    connect(m_lookup, &EventLookup::eventReady, this, [this](quint64 id, const Event& e) {
        if (id != m_fetchRequest)
            return;
        m_eventInspector->setEvent(e);
        m_fetchRequest = 0;
        Q_EMIT eventShown(e.position);
    });
    connect(m_lookup, &EventLookup::searchReady, this, [this](quint64 id, const QList<Event>& events, bool truncated) {
        if (id != m_searchRequest)
            return;
        QList<QPair<qint64, QString>> items;
        for (const Event& e : events)
            items.append({e.position, tr("#%1  %2  %3 v%4  %5").arg(e.position).arg(formatTime(e.time), e.stream).arg(e.version).arg(e.type)});
        m_eventInspector->setRelated(m_searchTitle + (truncated ? tr(" (first %1 shown)").arg(events.size()) : QString()), items);
        if (events.size() == 1)
            m_controller->moveToEvent(events.first().position); // the selected stream (and its diff) stays
    });
    connect(m_lookup, &EventLookup::failed, this, [this](quint64 id, const QString& message) {
        if (id == m_fetchRequest) {
            m_fetchRequest = 0;
            m_eventInspector->setError(message);
        } else if (id == m_searchRequest) {
            m_eventInspector->setRelated(message, {});
        }
    });
}

QString MainWindow::stateStream() const
{
    // The selected stream; with none, the stream of the event at the cursor, so stepping always shows a state.
    if (!m_controller->selectedStream().isEmpty())
        return m_controller->selectedStream();
    const qint64 row = m_controller->cursorRow();
    if (!m_index || row < 0)
        return {};
    return m_index->streams[m_index->laneOfRow(row)];
}

void MainWindow::requestState()
{
    const auto* projections = findChild<ProjectionsDock*>();
    if (projections && projections->stateLink() && projections->stateLink()->active()) {
        m_stateRequest = 0;  // the inspector shows a projection (ProjectionStateLink)
        return;
    }
    if (!m_service)
        return;
    const QString stream = stateStream();
    if (stream.isEmpty()) {
        m_stateInspector->setMessage(tr("<i>Select a stream to see its state at the cursor.</i>"));
        return;
    }
    m_stateStreamShown = stream;
    m_stateRequest = m_service->requestState(stream, Point::atPosition(m_controller->cursor()));
}

void MainWindow::requestDiff()
{
    const auto* projections = findChild<ProjectionsDock*>();
    if (projections && projections->diffLink() && projections->diffLink()->active()) {
        m_diffRequest = 0;  // the Diff dock compares two projections (ProjectionDiffLink)
        m_diffStream.clear();
        return;
    }
    if (!m_service)
        return;
    const qint64 a = m_controller->markerA(), b = m_controller->markerB();
    if (a <= 0 || b <= 0) {
        m_diffRequest = 0;
        m_diffInspector->setMessage(a > 0 ? tr("A is %1. Now set B.").arg(describePosition(a))
                                    : b > 0 ? tr("B is %1. Now set A.").arg(describePosition(b))
                                            : tr("<i>Set A and B (buttons above, the replay bar, or right-click the "
                                                 "timeline) to compare the selected stream's state at two moments.</i>"));
        return;
    }
    const QString stream = stateStream();
    if (stream.isEmpty()) {
        m_diffInspector->setMessage(tr("Select a stream to compare its state at A and B."));
        return;
    }
    m_diffStream = stream;
    m_diffRequest = m_service->requestDiff(stream, Point::atPosition(a), Point::atPosition(b));
}

QString MainWindow::describePosition(qint64 position) const
{
    if (!m_index || position <= 0)
        return tr("the start");
    const qint64 row = m_index->rowAtOrBefore(position);
    if (row < 0 || !m_index->timeKnown)
        return tr("#%1").arg(position);
    return tr("#%1 (%2)").arg(position).arg(formatTime(m_index->entries[size_t(row)].time));
}

void MainWindow::updateStatus()
{
    if (!m_index) {
        m_storeLabel->setText(tr("No store open"));
        m_cursorLabel->clear();
        return;
    }
    const QLocale loc;
    m_storeLabel->setText(tr("%1 · %2 · %3 events · %4 streams")
                              .arg(storeTitle(m_displayUri), m_index->info.layout, loc.toString(m_index->size()), loc.toString(qint64(m_index->streams.size()))));
    const qint64 c = m_controller->cursor();
    m_cursorLabel->setText(c <= 0 ? tr("Cursor: before the first event")
                                  : tr("Cursor: #%1  %2").arg(loc.toString(c),
                                                            m_index->timeKnown ? formatTime(m_controller->cursorTime()) : QString()));
}

bool MainWindow::isIdle() const
{
    if (m_job)
        return false;
    if (m_service && (m_service->isPending(m_stateRequest) || m_service->isPending(m_diffRequest)
                      || m_service->isPending(m_blameRequest)))
        return false;
    if (const auto* projections = findChild<ProjectionsDock*>(); projections && projections->diffLink()
                                                                && projections->diffLink()->isBlaming())
        return false;
    if (const auto* findings = findChild<FindingsDock*>(); findings && findings->isComputing())
        return false;
    if (const auto* story = findChild<StoryDock*>(); story && story->isResolving())
        return false;
    if (const auto* sequence = findChild<SequenceDock*>(); sequence && sequence->isLoading())
        return false;
    return m_fetchRequest == 0;
}

void MainWindow::liveOpenFailed(const QString& displayUri, const QString& error)
{
    statusBar()->showMessage(tr("Could not open %1").arg(displayUri), 8000);
    report(tr("Could not open %1").arg(displayUri), error);
    Q_EMIT openFailed(displayUri, error);
}

void MainWindow::report(const QString& title, const QString& error)
{
    if (!m_interactive)
        return;
    QMessageBox box(QMessageBox::Warning, tr("Chronoscope"), title, QMessageBox::Ok, this);
    // The first line goes in the box; everything (file, line, what was expected) in the details.
    box.setInformativeText(error.section(QLatin1Char('\n'), 0, 0));
    if (error.contains(QLatin1Char('\n')) || error.size() > 200)
        box.setDetailedText(error);
    box.exec();
}

void MainWindow::openFileDialog()
{
    const QString filter = tr("Event stores and logs (*.chronoscope *.sqlite *.sqlite3 *.db *.ndjson *.jsonl *.json *.gz);;"
                              "Native stores (*.chronoscope);;SQLite files (*.sqlite *.sqlite3 *.db);;"
                              "NDJSON / JSON / CloudEvents (*.ndjson *.jsonl *.json *.gz);;All files (*)");
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Event Store"), QString(), filter);
    if (!path.isEmpty())
        open(path);
}

void MainWindow::goToDialog()
{
    if (!m_index)
        return;
    GoToDialog dialog(m_controller, this);
    dialog.exec();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About Chronoscope"),
                       tr("<h3>Chronoscope %1</h3>"
                          "<p>A desktop explorer for event-sourced systems: every stream on one time axis, a replay "
                          "cursor, the state at any moment, and diffs between two moments.</p>"
                          "<p>Built with Qt %2.</p>")
                           .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
}

bool MainWindow::saveScreenshot(const QString& path, const QSize& size)
{
    if (this->size() != size) {
        resize(size);
        QCoreApplication::processEvents();
        applyDefaultDockSizes();
        QCoreApplication::processEvents();
    }
    m_controller->flush();
    QCoreApplication::processEvents();
    const QPixmap pixmap = grab();
    return pixmap.save(path, "PNG");
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    QSettings settings;
    settings.setValue(kSettingGeometry, saveGeometry());
    settings.setValue(kSettingState, saveState(kStateVersion));
    QMainWindow::closeEvent(e);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e)
{
    if (e->mimeData()->hasUrls())
        e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e)
{
    const auto urls = e->mimeData()->urls();
    if (urls.isEmpty())
        return;
    const QUrl url = urls.first();
    open(url.isLocalFile() ? url.toLocalFile() : url.toString());
    e->acceptProposedAction();
}

} // namespace chronoscope
