#include "inplace/inplacewindow.h"

#include "inplace/inplacemodels.h"
#include "inplace/inplacetimeline.h"
#include "stateinspector.h"

#include "sources/nativeinplace.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QScrollBar>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QUrl>
#include <QUrlQuery>
#include <QVBoxLayout>

#include <cmath>

namespace chronoscope {

InPlaceMainWindow::InPlaceMainWindow(QWidget* parent)
    : QMainWindow(parent), m_service(new InPlaceService(this)), m_timeline(new InPlaceTimeline(m_service, this)),
      m_streams(new InPlaceStreamModel(m_service, this)), m_events(new InPlaceEventModel(this))
{
    setWindowTitle(tr("In place — Chronoscope"));
    setCentralWidget(m_timeline);
    setDockOptions(AnimatedDocks | AllowTabbedDocks);

    // Streams: a flat list paged from the store (a category tree would need every name first).
    auto* streamsPanel = new QWidget(this);
    auto* sl = new QVBoxLayout(streamsPanel);
    sl->setContentsMargins(4, 4, 4, 4);
    m_filter = new QLineEdit(streamsPanel);
    m_filter->setPlaceholderText(tr("Search stream names in the store…"));
    m_filter->setClearButtonEnabled(true);
    m_streamView = new QTreeView(streamsPanel);
    m_streamView->setRootIsDecorated(false);
    m_streamView->setUniformRowHeights(true);
    m_streamView->setAlternatingRowColors(true);
    m_streamView->setModel(m_streams);
    m_streamView->header()->setStretchLastSection(false);
    m_streamView->header()->setSectionResizeMode(InPlaceStreamModel::Stream, QHeaderView::Stretch);
    m_streamView->header()->setSectionResizeMode(InPlaceStreamModel::Events, QHeaderView::ResizeToContents);
    m_streamView->header()->setSectionResizeMode(InPlaceStreamModel::LastVersion, QHeaderView::ResizeToContents);
    m_streamNote = new QLabel(tr("A flat list paged from the store, by name; the lanes show the rows in view."),
                              streamsPanel);
    m_streamNote->setWordWrap(true);
    m_streamNote->setForegroundRole(QPalette::PlaceholderText);
    sl->addWidget(m_filter);
    sl->addWidget(m_streamView, 1);
    sl->addWidget(m_streamNote);
    auto* streamsDock = new QDockWidget(tr("Streams"), this);
    streamsDock->setObjectName(QStringLiteral("inPlaceStreams"));
    streamsDock->setWidget(streamsPanel);
    addDockWidget(Qt::LeftDockWidgetArea, streamsDock);

    // Events of the visible window.
    auto* eventsPanel = new QWidget(this);
    auto* el = new QVBoxLayout(eventsPanel);
    el->setContentsMargins(4, 4, 4, 4);
    m_eventView = new QTableView(eventsPanel);
    m_eventView->setModel(m_events);
    m_eventView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_eventView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_eventView->verticalHeader()->hide();
    m_eventView->verticalHeader()->setDefaultSectionSize(m_eventView->fontMetrics().height() + 6);
    m_eventView->horizontalHeader()->setStretchLastSection(true);
    m_eventView->setAlternatingRowColors(true);
    m_eventView->setColumnWidth(InPlaceEventModel::Position, 90);
    m_eventView->setColumnWidth(InPlaceEventModel::Time, 190);
    m_eventView->setColumnWidth(InPlaceEventModel::Stream, 260);
    m_eventView->setColumnWidth(InPlaceEventModel::Version, 70);
    m_aroundTimer = new QTimer(this);
    m_aroundTimer->setSingleShot(true);
    m_aroundTimer->setInterval(kAroundDebounceMs);
    connect(m_aroundTimer, &QTimer::timeout, this, &InPlaceMainWindow::requestEvents);
    m_more = new QLabel(eventsPanel);
    m_more->setForegroundRole(QPalette::PlaceholderText);
    el->addWidget(m_eventView, 1);
    el->addWidget(m_more);
    // Titled by what it holds (updateStatus): the events in view, or those around the cursor.
    auto* eventsDock = new QDockWidget(tr("Events in view"), this);
    m_eventsDock = eventsDock;
    eventsDock->setObjectName(QStringLiteral("inPlaceEvents"));
    eventsDock->setWidget(eventsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, eventsDock);

    m_state = new StateInspector(this);
    m_state->setMessage(tr("Select a stream and move the cursor (click an event, or Left/Right) to see its state."));
    auto* stateDock = new QDockWidget(tr("State at cursor"), this);
    stateDock->setObjectName(QStringLiteral("inPlaceState"));
    stateDock->setWidget(m_state);
    addDockWidget(Qt::RightDockWidgetArea, stateDock);
    resizeDocks({streamsDock, stateDock}, {300, 340}, Qt::Horizontal);
    resizeDocks({eventsDock}, {230}, Qt::Vertical);

    m_modeLabel = new QLabel(tr("in place: nothing copied"), this);
    m_modeLabel->setToolTip(tr("The store is explored where it lives: counts come from its engine, events only for "
                               "what is on screen."));
    m_cursorLabel = new QLabel(this);
    m_cacheLabel = new QLabel(this);
    m_progressLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_progressLabel);
    connect(m_timeline, &InPlaceTimeline::progressChanged, this,
            [this] { m_progressLabel->setText(m_timeline->progressText()); });
    statusBar()->addPermanentWidget(m_cursorLabel);
    statusBar()->addPermanentWidget(m_cacheLabel);
    statusBar()->addPermanentWidget(m_modeLabel);
    buildMenus();

    connect(m_filter, &QLineEdit::textChanged, m_streams, &InPlaceStreamModel::setFilter);
    connect(m_streams, &InPlaceStreamModel::pageLoaded, this, [this] {
        syncLanes();
        if (m_streams->rowCount() == 0)
            m_timeline->askExactOverview(); // no lanes will come to wait for
    });
    connect(m_streams, &QAbstractItemModel::modelReset, this, &InPlaceMainWindow::syncLanes);
    connect(m_streamView->verticalScrollBar(), &QScrollBar::valueChanged, this, &InPlaceMainWindow::syncLanes);
    connect(m_timeline, &InPlaceTimeline::scrollLanes, this, [this](int rows) {
        QScrollBar* bar = m_streamView->verticalScrollBar();
        bar->setValue(bar->value() + rows * std::max(1, bar->singleStep()));
        syncLanes();
    });
    connect(m_streamView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                const QString stream = m_streams->streamAt(current.row());
                if (stream.isEmpty() || stream == m_timeline->selectedStream())
                    return;
                m_timeline->setSelectedStream(stream);
                syncLanes(); // its lane moves to the top
                requestState();
            });
    connect(m_timeline, &InPlaceTimeline::streamSelected, this, [this](const QString& stream) {
        const int row = m_streams->rowOf(stream);
        if (row >= 0) {
            const QSignalBlocker block(m_streamView->selectionModel());
            m_streamView->setCurrentIndex(m_streams->index(row, 0));
        }
        syncLanes();
        requestState();
    });
    connect(m_timeline, &InPlaceTimeline::cursorMoved, this, [this](const Event& e) {
        // The table follows the cursor: its row when the table holds it, and its neighbourhood asked for after
        // a short pause in stepping (newest request wins) unless the table already is around it.
        selectCursorRow();
        const InPlaceWindow& w = m_events->window();
        const int row = m_events->rowOfPosition(e.position);
        const bool held = w.around >= 0 && row >= 0 &&
                          (w.around == e.position || (row >= 50 && row < m_events->rowCount() - 50));
        if (!held)
            m_aroundTimer->start();
        requestState();
        updateStatus();
    });
    connect(m_timeline, &InPlaceTimeline::visibleRangeChanged, this, [this](qint64, qint64) {
        // With a cursor, the table stays around it (the view may pan away); without one, the window in view.
        if (!m_timeline->cursorEvent())
            requestEvents();
    });
    connect(m_eventView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (const Event* e = m_events->eventAt(current.row()))
                    m_timeline->setCursorEvent(*e, true);
            });

    connect(m_service, &InPlaceService::opened, this, [this] {
        const RemoteSummary& s = m_service->summary();
        m_streams->reset();
        QString what = tr("Opened %1 in place (%2)").arg(m_title, m_service->layout());
        if (s.estimatedEvents >= 0)
            what += tr(": about %1 events").arg(QLocale().toString(s.estimatedEvents));
        const QList<IndexAdvice> advice = m_service->advice();
        if (!advice.isEmpty())
            what += QStringLiteral(" — ") + advice.first().text();
        statusBar()->showMessage(what, 15000);
        updateStatus();
        Q_EMIT opened();
    });
    connect(m_service, &InPlaceService::window, this, [this](const InPlaceWindow& w) {
        m_events->setWindow(w);
        updateStatus();
        selectCursorRow();
        // Once more after the reset model's rows are laid out (a scroll asked for before that is lost).
        QTimer::singleShot(0, this, &InPlaceMainWindow::selectCursorRow);
        Q_EMIT windowShown();
    });
    connect(m_service, &InPlaceService::viewDensity, this, &InPlaceMainWindow::updateStatus);
    connect(m_service, &InPlaceService::overview, this, &InPlaceMainWindow::updateStatus);
    connect(m_service, &InPlaceService::state, this, [this](const InPlaceState& s) {
        if (s.stream != m_timeline->selectedStream())
            return;
        m_lastState = s;
        QString caption;
        // One arg() pass: a stream or type name holding "%2" must not be taken for a placeholder.
        const QString folded =
            s.events == 1 ? tr("1 event folded") : tr("%1 events folded").arg(QLocale().toString(s.events));
        if (s.lastEvent && s.fromCheckpoint)
            caption = tr("%1 after v%2 %3, position %4 (%5 onto the checkpoint at v%6)")
                          .arg(s.stream, QString::number(s.lastEvent->version), s.lastEvent->type,
                               QString::number(s.lastEvent->position), folded,
                               QString::number(s.checkpointVersion));
        else if (s.lastEvent)
            caption = tr("%1 after v%2 %3, position %4 (%5)")
                          .arg(s.stream, QString::number(s.lastEvent->version), s.lastEvent->type,
                               QString::number(s.lastEvent->position), folded);
        else
            caption = tr("%1 has no events at or before position %2").arg(s.stream).arg(s.position);
        if (s.truncated)
            caption += tr(" — partial: only the newest %1 events were folded")
                           .arg(QLocale().toString(InPlaceService::kStateEventLimit));
        if (!s.note.isEmpty()) caption += QStringLiteral(" — ") + s.note;
        m_state->setState(s.state, caption, s.changedPaths);
        Q_EMIT stateShown();
    });
    connect(m_service, &InPlaceService::failed, this, [this](const QString& what, const QString& error) {
        m_lastError = error;
        if (what == u"overview" && !m_timeline->exactStopped().isEmpty())
            statusBar()->showMessage(tr("The exact density was not counted (%1); the whole-store strip stays estimated").arg(error),
                                     30000);
        else
            statusBar()->showMessage(tr("%1: %2").arg(what, error), 15000);
        if (what == u"state")
            m_state->setError(error);
        else if (what == u"window")
            m_more->setText(tr("Events not listed: %1").arg(error));
        else if (what == u"streams")
            m_streamNote->setText(tr("Streams not listed: %1").arg(error));
        else if (what == u"open")
            Q_EMIT openFailed(error);
    });
    connect(m_service, &InPlaceService::stepEnd, this, [this](int direction) {
        statusBar()->showMessage(m_service->summary().empty ? tr("The store holds no events")
                                 : direction > 0            ? tr("The cursor is at the last event")
                                                            : tr("The cursor is at the first event"),
                                 3000);
    });
    setupCategoryTree(); // the category tree (issue 13 item 3)
}

InPlaceMainWindow::~InPlaceMainWindow() = default;

bool InPlaceMainWindow::isInPlaceUri(const QString& uri)
{
    const QUrl url(uri);
    const QString scheme = url.scheme().toLower();
    if (scheme != u"postgresql" && scheme != u"postgres")
        return false;
    return QUrlQuery(url).queryItemValue(QStringLiteral("mode")).compare(u"inplace", Qt::CaseInsensitive) == 0;
}

qint64 InPlaceMainWindow::threshold()
{
    bool ok = false;
    const qint64 n = QSettings().value(kThresholdSettingKey, kDefaultThreshold).toLongLong(&ok);
    return ok && n >= 0 ? n : kDefaultThreshold;
}

bool InPlaceMainWindow::nativeStoreEvents(const QString& uri, qint64* events)
{
    if (uri.isEmpty() || !isLocalStoreUri(uri))
        return false;
    const QString path = uri.startsWith(QLatin1String("file:"), Qt::CaseInsensitive) ? QUrl(uri).toLocalFile() : uri;
    if (!QFileInfo(path).isFile())
        return false;
    QString error;
    auto source = createRemoteFirstSource(uri, {}, &error);
    RemoteSummary s;
    if (!source || !source->open(&error) || !source->summary(&s, &error))
        return false; // not a native store: the full index (or the file import) handles it
    *events = s.estimatedEvents;
    return true;
}

bool InPlaceMainWindow::opensInPlaceBySize(const QString& uri)
{
    qint64 events = 0;
    return nativeStoreEvents(uri, &events) && events > threshold();
}

QStringList InPlaceMainWindow::unavailableInPlace()
{
    return {
        tr("Diff between A and B and blame (they replay two points of a stream against the full index)"),
        tr("Event search across payloads and Go to by id (they read every event)"),
        tr("Projections (JavaScript) and their divergence and watchpoints"),
        tr("Findings, notes and stories"),
        tr("Present mode and the replay bar's play/real-time modes"),
        tr("Live tail of new events and Save capture as"),
        tr("Type legend for every type (types get colours as they come into view)"),
    };
}

void InPlaceMainWindow::buildMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Close"), QKeySequence::Close, this, &QWidget::close);
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Fit &all"), QKeySequence(Qt::Key_0), m_timeline, &InPlaceTimeline::fitAll);
    view->addAction(tr("Zoom &in"), QKeySequence::ZoomIn, m_timeline, [this] { m_timeline->zoomBy(0.5); });
    view->addAction(tr("Zoom &out"), QKeySequence::ZoomOut, m_timeline, [this] { m_timeline->zoomBy(2.0); });
    view->addSeparator();
    view->addAction(tr("&Next event"), QKeySequence(Qt::ALT | Qt::Key_Right), m_timeline, [this] { m_timeline->step(1); });
    view->addAction(tr("&Previous event"), QKeySequence(Qt::ALT | Qt::Key_Left), m_timeline,
                    [this] { m_timeline->step(-1); });
    view->addSeparator();
    // The full-index docks, shown disabled with the reason (the in-place window does not build them).
    QMenu* missing = view->addMenu(tr("Not available in place"));
    for (const QString& line : unavailableInPlace()) {
        QAction* a = missing->addAction(line);
        a->setEnabled(false);
    }
    missing->addSeparator();
    missing->addAction(tr("Why?"), this, [this] {
        QMessageBox::information(this, tr("In place"),
                                 tr("This store is explored where it lives: the timeline, the stream list, the events "
                                    "of the window in view and the state at the cursor are asked of the store as you "
                                    "look, and nothing else is read. These need an index of every event and are not "
                                    "available in place:\n\n• %1\n\nOpen the store with --full-index (or, for "
                                    "PostgreSQL, without ?mode=inplace) to use them.")
                                     .arg(unavailableInPlace().join(QStringLiteral("\n• "))));
    });
}

bool InPlaceMainWindow::openUri(const QString& uri, const QString& title, QString* error)
{
    RemoteFirstOptions options;
    const QSettings settings;
    const qint64 mb = settings.value(kCacheSettingKey, 200).toLongLong();
    options.cacheLimitBytes = std::clamp<qint64>(mb, 1, 1 << 20) * 1024 * 1024;
    auto source = createRemoteFirstSource(uri, options, error);
    if (!source)
        return false;
    // The exact whole-store pass on a second, read-only source of its own (failing to create one only puts
    // that pass back on the one worker).
    QString ignored;
    auto exact = createRemoteFirstSource(uri, options, &ignored);
    openSource(std::move(source), title, std::move(exact));
    return true;
}

void InPlaceMainWindow::openSource(std::unique_ptr<RemoteFirstSource> source, const QString& title,
                                   std::unique_ptr<RemoteFirstSource> exactSource)
{
    m_title = title;
    setWindowTitle(tr("%1 — in place — Chronoscope").arg(title));
    statusBar()->showMessage(tr("Opening %1 in place…").arg(title));
    m_service->open(std::move(source), title, std::move(exactSource));
}

bool InPlaceMainWindow::isIdle() const
{
    return m_service->isIdle() && !m_streams->isLoading() && !m_timeline->hasPendingRequests() &&
           !(m_tree && m_tree->isLoading());
}

void InPlaceMainWindow::syncLanes()
{
    if (treeShown()) {
        syncTreeLanes(); // the category tree's rows in view (issue 13 item 3)
        return;
    }
    // The lanes are the stream list's rows in view, from the first visible one.
    const int first = std::max(0, m_streamView->indexAt(QPoint(2, 2)).row());
    QStringList streams;
    const int n = m_timeline->laneCapacity();
    const int rowHeight = std::max(1, m_streamView->sizeHintForRow(0));
    m_streams->setLastVisibleRow(first + std::max(n, m_streamView->viewport()->height() / rowHeight));
    // The selected stream's lane is pinned at the top, wherever the list is scrolled (it is not repeated below).
    const QString selected = m_timeline->selectedStream();
    if (!selected.isEmpty())
        streams << selected;
    for (int row = first; row < m_streams->rowCount() && streams.size() < n; ++row)
        if (m_streams->streamAt(row) != selected)
            streams << m_streams->streamAt(row);
    // Near the end of what is loaded: the next page, so the lanes fill as the list scrolls.
    if (first + n >= m_streams->rowCount() && m_streams->canFetchMore({}))
        m_streams->fetchMore({});
    m_timeline->setLaneStreams(streams);
}

void InPlaceMainWindow::requestEvents()
{
    m_aroundTimer->stop();
    if (!m_service->isOpen())
        return;
    if (const auto e = m_timeline->cursorEvent()) {
        m_service->requestAround(e->position, kAroundEach, kAroundEach);
        return;
    }
    const TimeMapping& m = m_timeline->mapping();
    m_service->requestWindow(qint64(std::floor(m.start)), qint64(std::ceil(m.end)), kWindowLimit);
}

void InPlaceMainWindow::selectCursorRow()
{
    if (!m_timeline->cursorEvent())
        return;
    const int row = m_events->rowOfPosition(m_timeline->cursorPosition());
    if (row < 0)
        return;
    const QSignalBlocker block(m_eventView->selectionModel());
    m_eventView->selectRow(row);
    m_eventView->scrollTo(m_events->index(row, 0), QAbstractItemView::PositionAtCenter);
}

void InPlaceMainWindow::requestState()
{
    const QString stream = m_timeline->selectedStream();
    if (stream.isEmpty() || !m_service->isOpen())
        return;
    // Without a cursor: the stream's state at the end of the store.
    const qint64 at = m_timeline->cursorEvent() ? m_timeline->cursorPosition() : m_service->summary().lastPosition;
    m_state->setBusy(true);
    m_service->requestState(stream, at);
}

void InPlaceMainWindow::updateStatus()
{
    if (const auto e = m_timeline->cursorEvent())
        m_cursorLabel->setText(tr("cursor #%1 %2").arg(e->position).arg(e->stream));
    m_cacheLabel->setText(tr("cache %1 of %2 MB")
                              .arg(double(m_service->cacheBytes()) / (1024.0 * 1024.0), 0, 'f', 1)
                              .arg(m_service->cacheLimit() / (1024 * 1024)));
    const InPlaceWindow& w = m_events->window();
    const qint64 inView = m_timeline->countInView();
    m_eventsDock->setWindowTitle(w.around >= 0 ? tr("Events around the cursor") : tr("Events in view"));
    if (w.around >= 0) {
        m_more->setText(tr("%1 events around the cursor #%2 (by position)")
                            .arg(QLocale().toString(w.events.size()))
                            .arg(w.around));
    } else if (!w.truncated) {
        m_more->setText(tr("%1 events in view").arg(QLocale().toString(w.events.size())));
    } else if (inView > w.events.size()) {
        m_more->setText(tr("The first %1 of %2 events in view; %3 more… (zoom in to list them)")
                            .arg(QLocale().toString(w.events.size()), QLocale().toString(inView),
                                 QLocale().toString(inView - w.events.size())));
    } else {
        m_more->setText(tr("The first %1 events in view; more… (zoom in to list them)")
                            .arg(QLocale().toString(w.events.size())));
    }
}

bool InPlaceMainWindow::saveScreenshot(const QString& path, const QSize& size)
{
    resize(size);
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Window));
    QPainter p(&image);
    render(&p);
    p.end();
    return image.save(path, "PNG");
}

// ---- The category tree (issue 13 item 3) --------------------------------------------------------------------
// The Streams dock shows the category tree (InPlaceCategoryModel: categories from the store, a category's
// streams only once it is expanded, counts only for the categories in view) while the search box is empty,
// and the flat list of matches (InPlaceStreamModel, searched in the store) while it is not. A store that
// cannot list categories keeps the flat list.

void InPlaceMainWindow::setupCategoryTree()
{
    m_tree = new InPlaceCategoryModel(m_service, this);
    m_treeView = new QTreeView(this);
    m_treeView->setUniformRowHeights(true);
    m_treeView->setAlternatingRowColors(true);
    m_treeView->setModel(m_tree);
    m_treeView->header()->setStretchLastSection(false);
    m_treeView->header()->setSectionResizeMode(InPlaceCategoryModel::Name, QHeaderView::Stretch);
    m_treeView->header()->setSectionResizeMode(InPlaceCategoryModel::Events, QHeaderView::ResizeToContents);
    m_treeView->header()->setSectionResizeMode(InPlaceCategoryModel::LastVersion, QHeaderView::ResizeToContents);
    // The dock is narrow: names and counts first (the flat list and the State dock show the last version).
    m_treeView->hideColumn(InPlaceCategoryModel::LastVersion);
    // The tree and the flat list share the flat list's place in the dock.
    QWidget* panel = m_streamView->parentWidget();
    m_streamStack = new QStackedWidget(panel);
    delete panel->layout()->replaceWidget(m_streamView, m_streamStack); // the caller owns the replaced item
    m_streamStack->addWidget(m_treeView);
    m_streamStack->addWidget(m_streamView);
    showTreeOrList();

    // Lanes, counts and the next pages follow what is in view; coalesced to once per event-loop turn.
    auto* sync = new QTimer(this);
    sync->setSingleShot(true);
    sync->setInterval(0);
    connect(sync, &QTimer::timeout, this, [this] {
        if (treeShown())
            syncLanes();
    });
    auto later = [sync] { sync->start(); };
    connect(m_tree, &QAbstractItemModel::rowsInserted, this, later);
    connect(m_tree, &QAbstractItemModel::rowsRemoved, this, later);
    connect(m_tree, &QAbstractItemModel::modelReset, this, later);
    connect(m_treeView, &QTreeView::expanded, this, [this, later](const QModelIndex& index) {
        if (m_tree->canFetchMore(index))
            m_tree->fetchMore(index);
        later();
    });
    connect(m_treeView, &QTreeView::collapsed, this, later);
    connect(m_treeView->verticalScrollBar(), &QScrollBar::valueChanged, this, later);
    connect(m_tree, &InPlaceCategoryModel::categoriesLoaded, this, [this] {
        if (m_tree->isUnavailable()) {
            showTreeOrList();
            return;
        }
        if (m_tree->categoryCount() == 0)
            m_timeline->askExactOverview(); // no lanes will come to wait for
        // The first category opens by itself, so the lanes have streams from the start.
        if (!m_expandedFirst && m_tree->categoryCount() > 0) {
            m_expandedFirst = true;
            m_treeView->expand(m_tree->index(0, 0));
        }
    });
    connect(m_tree, &InPlaceCategoryModel::streamsLoaded, this, [this] {
        if (!m_tree->error().isEmpty())
            m_streamNote->setText(tr("Streams not listed: %1").arg(m_tree->error()));
    });
    connect(m_treeView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (m_tree->isMoreRow(current)) {
                    m_tree->fetchNextPage(current.parent());
                    return;
                }
                const QString stream = m_tree->streamAt(current);
                if (stream.isNull() || stream == m_timeline->selectedStream())
                    return;
                // As a row of the flat list: the stream is selected (its lane pinned at the top) and its state asked.
                m_timeline->setSelectedStream(stream);
                syncLanes();
                requestState();
            });
    connect(m_timeline, &InPlaceTimeline::streamSelected, this, [this](const QString& stream) {
        const QModelIndex index = m_tree->streamIndex(stream);
        if (index.isValid()) {
            const QSignalBlocker block(m_treeView->selectionModel());
            m_treeView->setCurrentIndex(index);
        }
    });
    connect(m_timeline, &InPlaceTimeline::scrollLanes, this, [this](int rows) {
        if (!treeShown())
            return;
        QScrollBar* bar = m_treeView->verticalScrollBar();
        bar->setValue(bar->value() + rows * std::max(1, bar->singleStep()));
    });
    connect(m_filter, &QLineEdit::textChanged, this, &InPlaceMainWindow::showTreeOrList);
    connect(m_service, &InPlaceService::opened, this, [this] {
        m_expandedFirst = false;
        m_tree->reset();
        showTreeOrList();
    });
}

bool InPlaceMainWindow::treeShown() const
{
    return m_streamStack && m_streamStack->currentWidget() == m_treeView;
}

void InPlaceMainWindow::showTreeOrList()
{
    // A search shows its matches flat, in name order, as the store finds them (see docs/app.md "In place").
    const bool tree = m_filter->text().isEmpty() && !m_tree->isUnavailable();
    QWidget* want = tree ? static_cast<QWidget*>(m_treeView) : m_streamView;
    if (m_streamStack->currentWidget() != want)
        m_streamStack->setCurrentWidget(want);
    if (tree)
        m_streamNote->setText(tr("Categories from the store; a category's streams load when it is opened. The lanes "
                                 "show the streams in view."));
    else if (m_tree->isUnavailable())
        m_streamNote->setText(tr("A flat list paged from the store (no category tree: %1)").arg(m_tree->error()));
    else
        m_streamNote->setText(tr("Streams whose names contain the text, searched in the store, by name."));
    syncLanes();
}

void InPlaceMainWindow::syncTreeLanes()
{
    // Walk the rows from the first one in view: stream rows become lanes (up to the timeline's capacity), the
    // categories in view are counted, a "more…" row in view fetches its category's next page, and the end of
    // the categories in view fetches the next page of categories.
    const int n = m_timeline->laneCapacity();
    const int bottom = m_treeView->viewport()->height();
    QStringList streams, categories;
    // As in the flat list: the selected stream's lane is pinned at the top and not repeated below.
    const QString selected = m_timeline->selectedStream();
    if (!selected.isEmpty())
        streams << selected;
    QModelIndex index = m_treeView->indexAt(QPoint(2, 2));
    if (!index.isValid() && m_tree->rowCount() > 0)
        index = m_tree->index(0, 0);
    bool lastCategoryInView = m_tree->rowCount() == 0;
    for (int walked = 0; index.isValid() && walked < n + 1000; ++walked) {
        const bool inView = m_treeView->visualRect(index).top() <= bottom;
        if (!inView && streams.size() >= n)
            break;
        if (index.internalId() == 0) {
            if (inView) {
                categories << m_tree->categoryAt(index.row());
                lastCategoryInView = lastCategoryInView || index.row() + 1 >= m_tree->rowCount();
            }
        } else if (m_tree->isMoreRow(index)) {
            if (inView)
                m_tree->fetchNextPage(index.parent());
        } else if (streams.size() < n) {
            const QString stream = m_tree->streamAt(index);
            if (stream != selected)
                streams << stream;
        }
        index = m_treeView->indexBelow(index);
    }
    if (lastCategoryInView && m_tree->canFetchMore({}))
        m_tree->fetchMore({});
    m_tree->countCategories(categories);
    m_timeline->setLaneStreams(streams);
}
// ---- end of the category tree ----

} // namespace chronoscope
