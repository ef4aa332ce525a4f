#include "projections/projectionsdock.h"

#include "projections/jshighlighter.h"
#include "projections/projectiondifflink.h"
#include "projections/projectionstatelink.h"
#include "replaycontroller.h"
#include "stateinspector.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QResizeEvent>
#include <QFormLayout>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTabWidget>
#include <QTextBlock>
#include <QVBoxLayout>

#include <algorithm>

namespace chronoscope {

namespace {

const char kTemplate[] = R"(// A KurrentDB-style projection: select events, then fold them into a state.
fromAll()
    .when({
        $init: function () {
            return { count: 0 };
        },
        $any: function (state, event) {
            state.count++;
        }
    });
)";

QString compact(const QJsonValue& v)
{
    // Strings bare; everything else as JSON text, numbers as written (QString::number(double) would
    // show 1234567 as 1.23457e+06).
    if (isJsonString(v))
        return jsonStringValue(v);
    return QString::fromUtf8(toJsonText(v));
}

/// A divergence as a person reads it: one line per path that differs, "path: A value → B value", the
/// first few only; not the two whole states as one line of JSON.
QString divergenceLines(const QJsonValue& a, const QJsonValue& b)
{
    constexpr int kShown = 5;
    constexpr int kValueChars = 80;
    const QJsonArray patch = diffJson(a, b);
    auto value = [](const std::optional<QJsonValue>& v) {
        if (!v)
            return QObject::tr("<i>absent</i>");
        const QString text = compact(*v);
        return QStringLiteral("<code>%1</code>").arg((text.size() > kValueChars ? text.left(kValueChars) + QStringLiteral("…") : text).toHtmlEscaped());
    };
    QString lines;
    for (int i = 0; i < patch.size() && i < kShown; ++i) {
        const QString path = patch[i].toObject().value(QLatin1String("path")).toString();
        const QString shownPath = path.isEmpty() ? QObject::tr("(the whole state)") : path;
        lines += QStringLiteral("<br>%1: A %2 → B %3").arg(shownPath.toHtmlEscaped(), value(valueAtPointer(a, path)), value(valueAtPointer(b, path)));
    }
    if (patch.size() > kShown)
        lines += QObject::tr("<br>… and %n more path(s) (compare them in the Diff dock)", nullptr, int(patch.size() - kShown));
    return lines;
}

} // namespace

ProjectionsDock::ProjectionsDock(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_service(new ProjectionService(this)),
      m_watcher(new QFileSystemWatcher(this)), m_list(new QListWidget(this)), m_editor(new QPlainTextEdit(this)),
      m_status(new QLabel(this)), m_state(new StateInspector(this)), m_console(new QPlainTextEdit(this)),
      m_a(new QComboBox(this)), m_b(new QComboBox(this)), m_divergeButton(new QPushButton(tr("Find first divergence"), this)),
      m_predicate(new QLineEdit(this)), m_level(new QCheckBox(tr("while true"), this)),
      m_back(new QPushButton(tr("◀ Previous"), this)), m_forward(new QPushButton(tr("Next ▶"), this)),
      m_progress(new QProgressBar(this)), m_cancel(new QPushButton(tr("Cancel"), this)), m_watchList(new QListWidget(this))
{
    setObjectName(QStringLiteral("projections"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_editor->setFont(mono);
    m_editor->setObjectName(QStringLiteral("projectionEditor"));
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    new JsHighlighter(m_editor->document());
    m_console->setReadOnly(true);
    m_console->setTabChangesFocus(true); // read-only: Tab moves on to the next control
    m_console->setFont(mono);
    m_console->setMaximumBlockCount(5000);
    m_console->setObjectName(QStringLiteral("projectionConsole"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_list->setObjectName(QStringLiteral("projectionList"));
    m_predicate->setPlaceholderText(tr("watch: e.g. state.balance < 0"));
    m_level->setToolTip(tr("Stop wherever the condition is true, not only where it becomes true"));
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    m_state->setMessage(tr("<i>Load a projection (Open…) to see its state at the cursor.</i>"));

    auto* open = new QPushButton(tr("Open…"), this);
    auto* add = new QPushButton(tr("New"), this);
    auto* reload = new QPushButton(tr("Reload"), this);
    reload->setToolTip(tr("Apply the editor's text (Ctrl+R)"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(open);
    buttons->addWidget(add);
    buttons->addWidget(reload);
    buttons->addStretch(1);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_list, 1);

    // Compare and Watch are pages beside the state and script: the dock then fits its share of a 1280x720
    // window (tabbed with the state dock) without a scroll area, and no control row forces the column wider.
    auto* comparePage = new QWidget(this);
    auto* watchPage = new QWidget(this);
    auto* tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("projectionTabs"));
    tabs->addTab(m_state, tr("State"));
    tabs->addTab(m_editor, tr("Script"));
    tabs->addTab(m_console, tr("Log"));
    tabs->addTab(comparePage, tr("Compare A/B"));
    tabs->addTab(watchPage, tr("Watch"));
    m_tabs = tabs;

    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(left);
    split->addWidget(tabs);
    split->setStretchFactor(1, 3);
    split->setSizes({160, 540});
    split->setChildrenCollapsible(false);
    m_split = split;

    // Long projection names must not widen the dock: the boxes show what fits and the rest on hover.
    for (QComboBox* box : {m_a, m_b}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(8);
    }
    m_compareInDiff = new QCheckBox(tr("Show A against B in the Diff dock"), this);
    m_compareInDiff->setObjectName(QStringLiteral("compareInDiff"));
    m_compareInDiff->setToolTip(tr("Show A's state against B's at the cursor in the Diff dock"));
    m_compareInDiff->setVisible(false);  // until a Diff dock is attached
    auto* compareForm = new QFormLayout(comparePage);
    compareForm->setContentsMargins(6, 6, 6, 6);
    compareForm->addRow(tr("A:"), m_a);
    compareForm->addRow(tr("B:"), m_b);
    compareForm->addRow(QString(), m_divergeButton);
    compareForm->addRow(QString(), m_compareInDiff);
    auto* compareHelp = new QLabel(tr("Runs A and B side by side from the first event and stops where their "
                                      "states first differ; the result shows below."), this);
    compareHelp->setWordWrap(true);
    compareHelp->setForegroundRole(QPalette::PlaceholderText);
    compareForm->addRow(compareHelp);
    connect(m_compareInDiff, &QCheckBox::toggled, this, [this](bool on) {
        if (m_diffLink) {
            m_diffLink->setProjections(m_a->currentText(), m_b->currentText());
            m_diffLink->setActive(on);
        }
    });
    for (QComboBox* box : {m_a, m_b})
        connect(box, &QComboBox::currentTextChanged, this, [this] {
            if (m_diffLink)
                m_diffLink->setProjections(m_a->currentText(), m_b->currentText());
        });
    // Several watchpoints: Next/Previous run the selected one; each match becomes a timeline marker.
    m_watchList->setObjectName(QStringLiteral("watchpointList"));
    m_watchList->setToolTip(tr("Watchpoints: Next/Previous run the selected one; matches are marked on the timeline"));
    auto* addWatch = new QPushButton(tr("Add"), this);
    addWatch->setToolTip(tr("Add the condition as a watchpoint on the selected projection"));
    auto* removeWatch = new QPushButton(tr("Remove"), this);
    auto* clearMarks = new QPushButton(tr("Clear marks"), this);
    auto* condition = new QHBoxLayout;
    condition->addWidget(m_predicate, 1);
    condition->addWidget(addWatch);
    auto* run = new QHBoxLayout;
    run->addWidget(m_level);
    run->addStretch(1);
    run->addWidget(m_back);
    run->addWidget(m_forward);
    auto* watchButtons = new QVBoxLayout;
    watchButtons->addWidget(removeWatch);
    watchButtons->addWidget(clearMarks);
    watchButtons->addStretch(1);
    auto* watchRow = new QHBoxLayout;
    watchRow->addWidget(m_watchList, 1);
    watchRow->addLayout(watchButtons);
    auto* watchLayout = new QVBoxLayout(watchPage);
    watchLayout->setContentsMargins(6, 6, 6, 6);
    watchLayout->addLayout(condition);
    watchLayout->addLayout(run);
    watchLayout->addLayout(watchRow, 1);
    connect(addWatch, &QPushButton::clicked, this, [this] {
        if (!m_predicate->text().trimmed().isEmpty())
            addWatchpoint(m_predicate->text());
    });
    connect(removeWatch, &QPushButton::clicked, this, [this] {
        const int row = m_watchList->currentRow();
        if (row < 0 || row >= m_watchpoints.size() || m_longRequest != 0)
            return;
        m_watchpoints.removeAt(row);
        refreshWatchList();
        Q_EMIT markersChanged(markers());
    });
    connect(clearMarks, &QPushButton::clicked, this, &ProjectionsDock::clearMatches);
    connect(m_watchList, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < m_watchpoints.size())
            m_predicate->setText(m_watchpoints[row].predicate);
    });
    // Typing a new condition leaves the selected watchpoint alone: the next run adds the new one.
    connect(m_predicate, &QLineEdit::textEdited, this, [this] {
        m_watchList->blockSignals(true);
        m_watchList->setCurrentRow(-1);
        m_watchList->blockSignals(false);
    });
    auto* busy = new QHBoxLayout;
    busy->addWidget(m_progress, 1);
    busy->addWidget(m_cancel);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    layout->addLayout(busy);

    connect(open, &QPushButton::clicked, this, &ProjectionsDock::openDialog);
    connect(add, &QPushButton::clicked, this, [this] {
        int n = 1;
        while (entry(QStringLiteral("projection-%1.js").arg(n)))
            ++n;
        loadSource(QStringLiteral("projection-%1.js").arg(n), QString::fromUtf8(kTemplate));
    });
    connect(reload, &QPushButton::clicked, this, &ProjectionsDock::reload);
    auto* shortcut = new QShortcut(QKeySequence(QStringLiteral("Ctrl+R")), this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &ProjectionsDock::reload);
    connect(m_list, &QListWidget::currentTextChanged, this, [this](const QString& text) {
        showEntry(text);
    });
    connect(m_divergeButton, &QPushButton::clicked, this, [this] { findDivergence(); });
    connect(m_forward, &QPushButton::clicked, this, &ProjectionsDock::watchForward);
    connect(m_back, &QPushButton::clicked, this, &ProjectionsDock::watchBackward);
    connect(m_predicate, &QLineEdit::returnPressed, this, &ProjectionsDock::watchForward);
    connect(m_cancel, &QPushButton::clicked, this, &ProjectionsDock::cancel);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &ProjectionsDock::fileChanged);
    if (m_controller)
        connect(m_controller, &ReplayController::cursorChanged, this, [this] { requestState(); });

    connect(m_service, &ProjectionService::loaded, this, [this](quint64 id, const QString& name, const ProjectionDefinition& d) {
        m_loadRequests.remove(id);
        if (Entry* e = entry(name)) {
            e->ok = true;
            e->error = {};
            e->description = d.describe();
            e->warning = d.handlerWarning();
        }
        refreshList();
        if (name == currentName()) {
            m_editor->setExtraSelections({});
            if (const Entry* e = entry(name))
                m_status->setText(loadedStatus(*e));
            requestState();
        }
        Q_EMIT projectionLoaded(name);
    });
    connect(m_service, &ProjectionService::failed, this, [this](quint64 id, const QString& name, const ProjectionError& err) {
        if (m_loadRequests.contains(id)) {
            m_loadRequests.remove(id);
            if (Entry* e = entry(name)) {
                e->ok = false;
                e->error = err;
            }
            refreshList();
        }
        if (id == m_longRequest) {
            m_longRequest = 0;
            setBusy(false);
        } else if (id != m_stateRequest && !m_loadRequests.isEmpty()) {
            return;
        }
        if (err.kind == ProjectionError::Cancelled) {
            m_status->setText(tr("Cancelled."));
            return;
        }
        if (name == currentName() || id == m_stateRequest) {
            m_state->setError(err.message);
            markError(err);
        }
        m_status->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(err.message.toHtmlEscaped()));
        Q_EMIT projectionFailed(name, err.message);
    });
    connect(m_service, &ProjectionService::stateReady, this,
            [this](quint64 id, const QString& name, const ProjectionSnapshot& snap, const QList<ProjectionLogLine>& logs,
                   const QList<EmittedEvent>& emitted) {
        if (id != m_stateRequest)
            return;
        QString caption = tr("<b>%1</b> after position %2").arg(name.toHtmlEscaped()).arg(snap.position);
        if (snap.lastEventPosition > 0)
            caption += tr(" (its last event: %1)").arg(snap.lastEventPosition);
        QJsonValue shown = snap.view();
        if (!snap.result.isUndefined())
            caption += tr(" — transformBy result under <i>result</i>");
        if (!snap.result.isUndefined()) {
            QJsonObject o;
            o.insert(QStringLiteral("state"), shown);
            o.insert(QStringLiteral("result"), snap.result);
            shown = o;
        }
        m_state->setState(shown, caption, {});
        for (const ProjectionLogLine& l : logs)
            m_console->appendPlainText(QStringLiteral("[%1] %2").arg(l.position).arg(l.text));
        for (const EmittedEvent& e : emitted)
            m_console->appendPlainText(tr("[%1] would %2 %3 to %4: %5")
                                           .arg(e.position).arg(e.kind, e.type, e.stream, compact(e.body)));
        Q_EMIT stateShown(name, snap.position);
    });
    connect(m_service, &ProjectionService::progress, this, [this](quint64 id, qint64 done, qint64 total) {
        if (id != m_longRequest || total <= 0)
            return;
        m_progress->setMaximum(1000);
        m_progress->setValue(int(std::min<qint64>(1000, done * 1000 / total)));
    });
    connect(m_service, &ProjectionService::divergenceReady, this, [this](quint64 id, const DivergenceResult& d) {
        if (id != m_longRequest)
            return;
        m_longRequest = 0;
        setBusy(false);
        if (!d.found) {
            m_status->setText(tr("A and B agree on every event (%1 events compared).").arg(d.eventsHandled));
            Q_EMIT divergenceShown(false, 0);
            return;
        }
        if (d.initial) {
            m_status->setText(tr("A and B differ before the first event: their $init states differ."));
            if (m_controller)
                m_controller->setCursor(0);
            Q_EMIT divergenceShown(true, 0);
            return;
        }
        const QString where = d.partition.isEmpty() ? QString() : tr(", partition %1").arg(d.partition.toHtmlEscaped());
        m_status->setText(tr("<b>A and B first differ after position %1</b> (%2 in %3%4):").arg(d.event.position)
                              .arg(d.event.type.toHtmlEscaped(), d.event.stream.toHtmlEscaped(), where)
                          + divergenceLines(d.a.partitioned ? d.a.partition(d.partition) : d.a.view(),
                                            d.b.partitioned ? d.b.partition(d.partition) : d.b.view()));
        if (m_controller)
            m_controller->jumpToEvent(d.event.position);
        Q_EMIT divergenceShown(true, d.event.position);
    });
    connect(m_service, &ProjectionService::watchReady, this, [this](quint64 id, const QString&, const WatchHit& hit) {
        if (id != m_longRequest)
            return;
        m_longRequest = 0;
        setBusy(false);
        if (hit.found && m_watchRunning >= 0 && m_watchRunning < m_watchpoints.size()) {
            QList<qint64>& matches = m_watchpoints[m_watchRunning].matches;
            const auto at = std::lower_bound(matches.begin(), matches.end(), hit.event.position);
            if (at == matches.end() || *at != hit.event.position) {
                matches.insert(at, hit.event.position);
                refreshWatchList();
                Q_EMIT markersChanged(markers());
            }
        }
        m_watchRunning = -1;
        if (!hit.found) {
            m_status->setText(tr("The condition does not become true in that direction."));
            Q_EMIT watchFinished(false, 0);
            return;
        }
        m_status->setText(tr("Became true after position %1 (%2 in %3%4).")
                              .arg(hit.event.position).arg(hit.event.type, hit.event.stream,
                                                           hit.partition.isEmpty() ? QString() : tr(", partition %1").arg(hit.partition)));
        if (m_controller)
            m_controller->jumpToEvent(hit.event.position);
        Q_EMIT watchFinished(true, hit.event.position);
    });
    refreshList();
}

ProjectionsDock::~ProjectionsDock() = default;

void ProjectionsDock::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    // Narrow (a side dock): the list above the tabs; wide (a bottom dock): beside them.
    const Qt::Orientation wanted = width() < 600 ? Qt::Vertical : Qt::Horizontal;
    if (m_split && m_split->orientation() != wanted) {
        m_split->setOrientation(wanted);
        m_split->setSizes(wanted == Qt::Vertical ? QList<int>{90, 400} : QList<int>{160, 540});
    }
}

ProjectionDiffLink* ProjectionsDock::attachDiffInspector(DiffInspector* inspector)
{
    if (!m_diffLink) {
        m_diffLink = new ProjectionDiffLink(this, inspector, m_controller, this);
        m_diffLink->setProjections(m_a->currentText(), m_b->currentText());
        connect(this, &ProjectionsDock::projectionLoaded, m_diffLink, &ProjectionDiffLink::projectionReloaded);
        m_compareInDiff->setVisible(true);
    }
    return m_diffLink;
}

void ProjectionsDock::setCompareInDiff(bool on)
{
    m_compareInDiff->setChecked(on);
}

void ProjectionsDock::setCompared(const QString& a, const QString& b)
{
    m_a->setCurrentText(a);
    m_b->setCurrentText(b);
}

ProjectionStateLink* ProjectionsDock::attachStateInspector(StateInspector* inspector)
{
    if (!m_link)
        m_link = new ProjectionStateLink(this, inspector, m_controller, this);
    return m_link;
}

QString ProjectionsDock::sourceOf(const QString& name) const
{
    for (const Entry& e : m_entries)
        if (e.name == name)
            return e.source;
    return {};
}

QString ProjectionsDock::pathOf(const QString& name) const
{
    for (const Entry& e : m_entries)
        if (e.name == name)
            return e.path;
    return {};
}

void ProjectionsDock::setReader(std::unique_ptr<EventReader> reader)
{
    if (m_link && reader) {
        QString error;
        m_link->setReader(reader->clone(&error));
    }
    if (m_diffLink && reader) {
        QString error;
        m_diffLink->setReader(reader->clone(&error));
    }
    m_service->setReader(std::move(reader));  // every engine starts over (and a running divergence/watch stops)
    // Nothing computed on the previous store stays on screen or is answered any more: state, log, the
    // divergence or watch result, the watchpoints' matches (positions of another store).
    m_stateRequest = 0;
    if (m_longRequest != 0) {
        m_longRequest = 0;
        m_watchRunning = -1;
        setBusy(false);
    }
    m_console->clear();
    m_status->clear();
    m_state->setMessage(tr("<i>Load a projection (Open…) to see its state at the cursor.</i>"));
    clearMatches();
    requestState();
}

ProjectionsDock::Entry* ProjectionsDock::entry(const QString& name)
{
    for (Entry& e : m_entries)
        if (e.name == name)
            return &e;
    return nullptr;
}

QStringList ProjectionsDock::names() const
{
    QStringList out;
    for (const Entry& e : m_entries)
        out << e.name;
    return out;
}

QString ProjectionsDock::currentName() const
{
    return m_list->currentItem() ? m_list->currentItem()->data(Qt::UserRole).toString() : QString();
}

void ProjectionsDock::selectProjection(const QString& name)
{
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(Qt::UserRole).toString() == name)
            m_list->setCurrentRow(i);
}

void ProjectionsDock::addOrUpdate(const QString& name, const QString& path, const QString& source)
{
    Entry* e = entry(name);
    if (!e) {
        m_entries.append({name, path, source, false, {}, {}, {}});
        e = &m_entries.last();
    }
    e->path = path;
    e->source = source;
    m_loadRequests.insert(m_service->load(name, source, path.isEmpty() ? name : path), name);
    refreshList();
}

void ProjectionsDock::loadFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        m_status->setText(tr("%1: cannot read it (%2)").arg(path, f.errorString()));
        Q_EMIT projectionFailed(QFileInfo(path).fileName(), f.errorString());
        return;
    }
    const QString name = QFileInfo(path).fileName();
    addOrUpdate(name, path, QString::fromUtf8(f.readAll()));
    if (!m_watcher->files().contains(path))
        m_watcher->addPath(path);
    selectProjection(name);
}

void ProjectionsDock::loadSource(const QString& name, const QString& source)
{
    addOrUpdate(name, QString(), source);
    selectProjection(name);
}

void ProjectionsDock::fileChanged(const QString& path)
{
    // Keep the revision we had as "<name> (previous)", so the two can be compared side by side.
    const QString name = QFileInfo(path).fileName();
    Entry* e = entry(name);
    QFile f(path);
    if (!e || !f.open(QIODevice::ReadOnly))
        return;
    const QString text = QString::fromUtf8(f.readAll());
    if (text == e->source)
        return;
    const QString previous = e->source;
    addOrUpdate(name + tr(" (previous)"), QString(), previous);
    addOrUpdate(name, path, text);
    if (!m_watcher->files().contains(path))
        m_watcher->addPath(path);  // editors that replace the file drop the watch
    if (name == currentName())
        m_editor->setPlainText(text);
}

void ProjectionsDock::refreshList()
{
    const QString current = currentName();
    const QString a = m_a->currentText(), b = m_b->currentText();
    m_list->blockSignals(true);
    m_list->clear();
    for (const Entry& e : m_entries) {
        auto* item = new QListWidgetItem(e.ok ? e.name : e.name + (e.error.isError() ? tr("  ⚠") : QString()), m_list);
        item->setData(Qt::UserRole, e.name);
        if (e.error.isError())
            item->setToolTip(e.error.message);
    }
    m_list->blockSignals(false);
    // Rebuilt quietly: the Diff link hears about the final A and B only.
    const QSignalBlocker blockA(m_a), blockB(m_b);
    m_a->clear();
    m_b->clear();
    m_a->addItems(names());
    m_b->addItems(names());
    if (!a.isEmpty())
        m_a->setCurrentText(a);
    if (!b.isEmpty())
        m_b->setCurrentText(b);
    if (m_b->count() > 1 && m_b->currentText() == m_a->currentText())
        m_b->setCurrentIndex(m_a->currentIndex() == 0 ? 1 : 0);
    if (m_diffLink)
        m_diffLink->setProjections(m_a->currentText(), m_b->currentText());
    if (!current.isEmpty())
        selectProjection(current);
}

void ProjectionsDock::showEntry(const QString& text)
{
    Q_UNUSED(text);
    const Entry* e = entry(currentName());
    if (!e)
        return;
    if (m_editor->toPlainText() != e->source)
        m_editor->setPlainText(e->source);
    m_editor->setExtraSelections({});
    m_status->setText(e->ok ? loadedStatus(*e) : QString());
    if (e->error.isError()) {
        m_status->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(e->error.message.toHtmlEscaped()));
        markError(e->error);
        m_state->setError(e->error.message);
        return;
    }
    requestState();
}

QString ProjectionsDock::loadedStatus(const Entry& e) const
{
    const QString head = tr("%1: %2").arg(e.name, e.description);
    if (e.warning.isEmpty())
        return head;
    // The server's delivery rule surprises people (docs/projections.md): say it where the script is edited.
    return head.toHtmlEscaped() + QStringLiteral("<br><span style='color:#b9770e'>⚠ %1</span>").arg(e.warning.toHtmlEscaped());
}

void ProjectionsDock::requestState()
{
    const Entry* e = entry(currentName());
    if (!e || !e->ok || !m_service->hasReader())
        return;
    m_state->setBusy(true);
    m_stateRequest = m_service->requestState(e->name, m_controller ? m_controller->cursor() : kNoLimit);
}

void ProjectionsDock::markError(const ProjectionError& error)
{
    QList<QTextEdit::ExtraSelection> marks;
    if (error.line > 0) {
        const QTextBlock block = m_editor->document()->findBlockByNumber(error.line - 1);
        if (block.isValid()) {
            QTextEdit::ExtraSelection sel;
            sel.cursor = QTextCursor(block);
            sel.format.setBackground(QColor(0xfa, 0xdb, 0xd8));
            sel.format.setProperty(QTextFormat::FullWidthSelection, true);
            sel.format.setToolTip(error.message);
            marks << sel;
        }
    }
    m_editor->setExtraSelections(marks);
}

void ProjectionsDock::openDialog()
{
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Open projections"), QString(),
                                                            tr("JavaScript projections (*.js);;All files (*)"));
    for (const QString& f : files)
        loadFile(f);
}

void ProjectionsDock::reload()
{
    const QString name = currentName();
    Entry* e = entry(name);
    if (!e)
        return;
    m_status->setText(tr("Reloading %1…").arg(name));
    addOrUpdate(name, e->path, m_editor->toPlainText());
}

void ProjectionsDock::setBusy(bool busy, const QString& what)
{
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    m_progress->setMaximum(0);  // busy indicator until the first progress report
    m_divergeButton->setEnabled(!busy);
    m_forward->setEnabled(!busy);
    m_back->setEnabled(!busy);
    if (busy)
        m_status->setText(what);
}

void ProjectionsDock::findDivergence(const QString& a, const QString& b)
{
    const QString na = a.isEmpty() ? m_a->currentText() : a;
    const QString nb = b.isEmpty() ? m_b->currentText() : b;
    if (na.isEmpty() || nb.isEmpty() || na == nb) {
        m_status->setText(tr("Choose two different projections as A and B."));
        return;
    }
    setBusy(true, tr("Comparing %1 with %2…").arg(na, nb));
    m_longRequest = m_service->requestDivergence(na, nb);
}

void ProjectionsDock::runWatch(bool backward)
{
    const QString predicate = m_predicate->text().trimmed();
    const int selected = m_watchList->currentRow();
    // The selected watchpoint runs on its own projection; a typed condition on the selected projection.
    const bool useSelected = selected >= 0 && selected < m_watchpoints.size() && m_watchpoints[selected].predicate == predicate;
    const QString name = useSelected ? m_watchpoints[selected].projection : currentName();
    if (name.isEmpty() || predicate.isEmpty()) {
        m_status->setText(tr("Select a projection and type a condition, e.g. state.balance < 0."));
        return;
    }
    if (m_longRequest != 0)
        return;
    const int row = useSelected ? selected : addWatchpoint(predicate, name);
    setBusy(true, tr("Running %1 %2 to where %3 becomes true…")
                      .arg(name, backward ? tr("backward") : tr("forward"), predicate));
    m_watchRunning = row;
    m_longRequest = m_service->requestWatch(name, predicate, m_controller ? m_controller->cursor() : 0, backward,
                                            m_level->isChecked());
}

int ProjectionsDock::addWatchpoint(const QString& predicate, const QString& projection)
{
    const QString name = projection.isEmpty() ? currentName() : projection;
    const QString text = predicate.trimmed();
    int row = -1;
    for (int i = 0; i < m_watchpoints.size(); ++i)
        if (m_watchpoints[i].projection == name && m_watchpoints[i].predicate == text)
            row = i;
    if (row < 0) {
        // Colours apart from the cursor (orange), A (blue) and B (purple).
        static const QColor kColours[] = {QColor(0x2b8a3e), QColor(0xc2255c), QColor(0x0c8599),
                                          QColor(0x5c940d), QColor(0x862e9c), QColor(0x8d6e63)};
        m_watchpoints.append({name, text, kColours[m_nextColour++ % 6], {}});
        row = int(m_watchpoints.size()) - 1;
        refreshWatchList();
    }
    selectWatchpoint(row);
    return row;
}

void ProjectionsDock::selectWatchpoint(int row)
{
    m_watchList->setCurrentRow(row);
}

void ProjectionsDock::refreshWatchList()
{
    const int current = m_watchList->currentRow();
    m_watchList->blockSignals(true);
    m_watchList->clear();
    for (const Watchpoint& w : m_watchpoints) {
        const QString count = w.matches.size() == 1 ? tr("1 match") : tr("%1 matches").arg(w.matches.size());
        auto* item = new QListWidgetItem(tr("● %1 — %2 (%3)").arg(w.predicate, w.projection, count), m_watchList);
        item->setForeground(w.colour);
    }
    m_watchList->setCurrentRow(std::min(current, int(m_watchpoints.size()) - 1));
    m_watchList->blockSignals(false);
}

QList<TimelineMarker> ProjectionsDock::markers() const
{
    QList<TimelineMarker> out;
    for (const Watchpoint& w : m_watchpoints)
        for (qint64 p : w.matches)
            out.append({p, tr("%1 (%2) true after position %3").arg(w.predicate, w.projection).arg(p), w.colour});
    return out;
}

void ProjectionsDock::clearMatches()
{
    for (Watchpoint& w : m_watchpoints)
        w.matches.clear();
    refreshWatchList();
    Q_EMIT markersChanged(markers());
}

void ProjectionsDock::watchForward()
{
    runWatch(false);
}

void ProjectionsDock::watchBackward()
{
    runWatch(true);
}

void ProjectionsDock::cancel()
{
    m_service->cancel();
}

} // namespace chronoscope
