#include "storyedit/storydock.h"

#include "eventinspector.h"
#include "replaycontroller.h"
#include "store/eventreader.h"
#include "story/storyengine.h"
#include "story/storyexport.h"
#include "timelineindex.h"
#include "timelinewidget.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QToolButton>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

namespace chronoscope {

using namespace story;

namespace {

/// One edit: the text before and after (a story is a small file; whole texts keep undo exact).
class TextCommand : public QUndoCommand
{
public:
    TextCommand(StoryDock* dock, const QString& what, QByteArray before, QByteArray after)
        : QUndoCommand(what), m_dock(dock), m_before(std::move(before)), m_after(std::move(after))
    {}
    void undo() override { m_dock->applyText(m_before); }
    void redo() override { m_dock->applyText(m_after); }

private:
    StoryDock* m_dock;
    QByteArray m_before, m_after;
};

QString isoTime(TimeMs t)
{
    return QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate);
}

QString hhmm(TimeMs t)
{
    return QDateTime::fromMSecsSinceEpoch(t, Qt::UTC).toString(QStringLiteral("HH:mm"));
}

const QColor kChapterColours[] = {QColor(0x1f, 0x77, 0xb4), QColor(0x2c, 0xa0, 0x2c),
                                  QColor(0x94, 0x67, 0xbd), QColor(0xd6, 0x27, 0x28),
                                  QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2)};

const QStringList kTones = {QStringLiteral("neutral"), QStringLiteral("good"), QStringLiteral("warn"),
                            QStringLiteral("bad")};

QString anchorText(const Chapter& c)
{
    switch (c.anchor.kind) {
    case Anchor::Kind::Range:
        return QObject::tr("range");
    case Anchor::Kind::Correlation:
        return QObject::tr("correlation");
    case Anchor::Kind::Streams:
        return QObject::tr("streams");
    case Anchor::Kind::Watch:
        return QObject::tr("watch");
    case Anchor::Kind::Continue:
        break;
    }
    return QObject::tr("continues");
}

} // namespace

StoryDock::StoryDock(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_status(new QLabel(this)), m_tabs(new QTabWidget(this)),
      m_chapters(new QListWidget(this)), m_glossary(new QTableWidget(this)), m_lint(new QListWidget(this)),
      m_undo(new QUndoStack(this)), m_newChapter(new QAction(tr("New Chapter from Selection"), this)),
      m_draft(new QAction(tr("Draft Story from This Correlation"), this)),
      m_saveAct(new QAction(tr("Save Story"), this)), m_resolveTimer(new QTimer(this)),
      m_jobs(this, JobTracker::Threads::Shared)
{
    setObjectName(QStringLiteral("story"));
    m_status->setObjectName(QStringLiteral("storyStatus"));
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);
    m_chapters->setObjectName(QStringLiteral("storyChapters"));
    m_glossary->setObjectName(QStringLiteral("storyGlossary"));
    m_lint->setObjectName(QStringLiteral("storyLint"));
    m_lint->setWordWrap(true);

    m_chapters->setDragDropMode(QAbstractItemView::InternalMove);
    m_chapters->setDefaultDropAction(Qt::MoveAction);
    m_chapters->setSelectionMode(QAbstractItemView::SingleSelection);
    m_chapters->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    m_chapters->setToolTip(tr("Drag to reorder; double-click or Enter to go to the chapter; F2 to rename"));
    connect(m_chapters->model(), &QAbstractItemModel::rowsMoved, this,
            [this](const QModelIndex&, int start, int, const QModelIndex&, int row) {
                // Qt gives the row before which the item was dropped; after removal that is one less below.
                chaptersMoved(start, row > start ? row - 1 : row);
            });
    connect(m_chapters, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* item) { goToChapter(m_chapters->row(item)); });
    connect(m_chapters, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        if (m_rebuilding) return;
        const int row = m_chapters->row(item);
        const QString title = item->data(Qt::EditRole).toString().section(QLatin1String(". "), 1).trimmed();
        const QString ptr = QStringLiteral("/chapters/%1/title").arg(row);
        if (!title.isEmpty() && title != m_doc.stringAt(ptr))
            edit(tr("Rename chapter %1").arg(row + 1),
                 [ptr, title](StoryDocument& d, QString* e) { return d.setString(ptr, title, e); });
        else
            QTimer::singleShot(0, this, &StoryDock::rebuildChapters);
    });

    m_glossary->setColumnCount(3);
    m_glossary->setHorizontalHeaderLabels({tr("Event type"), tr("Sentence"), tr("Tone")});
    m_glossary->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_glossary->verticalHeader()->setVisible(false);
    m_glossary->setToolTip(tr("Edit a sentence or a tone (neutral, good, warn, bad). Types marked ⚠ have no "
                              "sentence and read as their name in words."));
    connect(m_glossary, &QTableWidget::cellChanged, this, &StoryDock::glossaryEdited);

    connect(m_lint, &QListWidget::itemActivated, this,
            [this](QListWidgetItem* i) { activateLint(m_lint->row(i)); });
    connect(m_lint, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* i) { activateLint(m_lint->row(i)); });

    m_tabs->addTab(m_chapters, tr("Chapters"));
    m_tabs->addTab(m_glossary, tr("Glossary"));
    m_tabs->addTab(m_lint, tr("Lint"));

    auto button = [this](QAction* a) {
        auto* b = new QToolButton(this);
        b->setDefaultAction(a);
        b->setAutoRaise(true);
        return b;
    };
    auto* openAct = new QAction(tr("Open…"), this);
    openAct->setToolTip(tr("Open a story file (*.chronostory.json)"));
    connect(openAct, &QAction::triggered, this, &StoryDock::openDialog);
    m_saveAct->setText(tr("Save"));
    m_saveAct->setToolTip(tr("Save the story (its unedited lines stay as they are)"));
    connect(m_saveAct, &QAction::triggered, this, [this] {
        QString error;
        if (m_path.isEmpty())
            saveDialog();
        else if (!save(&error))
            fail(error);
    });
    auto* saveAsAct = new QAction(tr("Save As…"), this);
    connect(saveAsAct, &QAction::triggered, this, &StoryDock::saveDialog);
    QAction* undo = m_undo->createUndoAction(this, tr("Undo"));
    QAction* redo = m_undo->createRedoAction(this, tr("Redo"));
    undo->setObjectName(QStringLiteral("storyUndo"));
    redo->setObjectName(QStringLiteral("storyRedo"));
    auto* tools = new QHBoxLayout;
    tools->setContentsMargins(0, 0, 0, 0);
    for (QAction* a : {openAct, m_saveAct, saveAsAct, undo, redo})
        tools->addWidget(button(a));
    tools->addStretch(1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(tools);
    layout->addWidget(m_status);
    layout->addWidget(m_tabs, 1);

    m_newChapter->setToolTip(tr("Add a chapter covering the Shift+drag selection to the open story"));
    connect(m_newChapter, &QAction::triggered, this, [this] {
        QString error;
        if (!m_timeline || !m_timeline->hasSelectionRange())
            fail(tr("Select a time range first (Shift+drag on the timeline)."));
        else if (!newChapterFromRange(TimeMs(m_timeline->selectionStart()),
                                      TimeMs(m_timeline->selectionEnd()), &error))
            fail(error);
    });
    m_draft->setToolTip(tr("Start a story whose chapters follow this event's correlation chain"));
    connect(m_draft, &QAction::triggered, this, [this] {
        const auto e = m_inspector ? m_inspector->event() : std::nullopt;
        const QString id = e ? (e->correlationId().isEmpty() ? e->id : e->correlationId()) : QString();
        if (id.isEmpty())
            fail(tr("Select an event with a correlation id first."));
        else
            draftFromCorrelation(id);
    });
    m_undo->setClean();
    connect(m_undo, &QUndoStack::cleanChanged, this, &StoryDock::setStatus);

    m_resolveTimer->setSingleShot(true);
    m_resolveTimer->setInterval(250); // typing in the glossary does not resolve on every key
    connect(m_resolveTimer, &QTimer::timeout, this, &StoryDock::resolve);
    rebuild();
}

StoryDock::~StoryDock() = default;

void StoryDock::attach(TimelineWidget* timeline, EventInspector* inspector)
{
    m_timeline = timeline;
    m_inspector = inspector;
    if (timeline) {
        timeline->addContextAction(m_newChapter);
        connect(this, &StoryDock::chapterMarksChanged, timeline, &TimelineWidget::setChapterMarks);
    }
    if (inspector) inspector->addEventAction(m_draft);
}

void StoryDock::setStore(const std::shared_ptr<EventReader>& reader,
                         const std::shared_ptr<const TimelineIndex>& index, const QString& displayUri)
{
    m_reader = reader;
    m_index = index;
    m_displayUri = displayUri;
    m_cache.clear();
    rebuildGlossary();
    scheduleResolve();
}

bool StoryDock::isModified() const
{
    return hasStory() && !m_undo->isClean();
}

bool StoryDock::isResolving() const
{
    return m_resolveTimer->isActive() || m_jobs.isCurrent(m_resolveJob);
}

void StoryDock::fail(const QString& text)
{
    m_lastError = text;
    Q_EMIT message(text);
    if (m_interactive) QMessageBox::warning(this, tr("Story"), text);
}

bool StoryDock::confirmDiscard()
{
    if (!isModified() || !m_interactive) return true;
    return QMessageBox::question(this, tr("Story"), tr("Discard the unsaved changes to this story?")) ==
           QMessageBox::Yes;
}

bool StoryDock::openStory(const QString& path, QString* error)
{
    QFile f(path);
    if (QFileInfo(path).size() > kMaxStoryBytes) {
        *error = tr("%1 is larger than %2 MiB: not a story file").arg(path).arg(kMaxStoryBytes >> 20);
        return false;
    }
    if (!f.open(QIODevice::ReadOnly)) {
        *error = tr("Cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    const QByteArray text = f.readAll();
    StoryDocument probe;
    QString why;
    if (!probe.parse(text, &why)) {
        *error = tr("%1 is not a story file: %2").arg(QFileInfo(path).fileName(), why);
        return false;
    }
    m_path = QFileInfo(path).absoluteFilePath();
    m_undo->clear();
    applyText(text);
    m_undo->setClean();
    setStatus();
    Q_EMIT pathChanged(m_path);
    return true;
}

bool StoryDock::save(QString* error)
{
    if (m_path.isEmpty()) {
        *error = tr("The story has no file yet: use Save As.");
        return false;
    }
    return saveAs(m_path, error);
}

bool StoryDock::saveAs(const QString& path, QString* error)
{
    if (!hasStory()) {
        *error = tr("No story is open.");
        return false;
    }
    // QSaveFile writes beside the target and renames: the old file stays whole when anything fails.
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(m_doc.text()) < 0 || !f.commit()) {
        *error = tr("Could not save the story to %1: %2. The story is still open with your changes.")
                     .arg(path, f.errorString());
        return false;
    }
    const QString before = m_path;
    m_path = QFileInfo(path).absoluteFilePath();
    m_undo->setClean();
    if (before != m_path) {
        applyText(m_doc.text()); // relative paths now resolve against the new folder
        Q_EMIT pathChanged(m_path);
    }
    setStatus();
    Q_EMIT message(tr("Saved %1").arg(m_path));
    return true;
}

void StoryDock::openDialog()
{
    if (!confirmDiscard()) return;
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open Story"), QFileInfo(m_path).path(),
                                     tr("Stories (*.chronostory.json *.json);;All files (*)"));
    QString error;
    if (!path.isEmpty() && !openStory(path, &error)) fail(error);
}

void StoryDock::saveDialog()
{
    if (!hasStory()) return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save Story As"), m_path.isEmpty() ? tr("untitled.chronostory.json") : m_path,
        tr("Stories (*.chronostory.json)"));
    QString error;
    if (!path.isEmpty() && !saveAs(path, &error)) fail(error);
}

bool StoryDock::edit(const QString& what, const std::function<bool(StoryDocument&, QString*)>& change,
                     QString* error)
{
    StoryDocument copy;
    QString why;
    const QByteArray before = m_doc.text();
    if (!copy.parse(before, &why) || !change(copy, &why)) {
        if (error) *error = why;
        m_lastError = why;
        return false;
    }
    const QByteArray after = copy.text();
    if (after == before) return true;
    m_undo->push(new TextCommand(this, what, before, after));
    return true;
}

void StoryDock::applyText(const QByteArray& text)
{
    QString why;
    if (!m_doc.parse(text, &why)) {
        m_lastError = why; // cannot happen for texts the dock wrote; kept for safety
        return;
    }
    m_story = Story();
    m_valid = parseStory(text, m_path.isEmpty() ? QDir::currentPath() : QFileInfo(m_path).path(), &m_story,
                         &m_storyError);
    if (m_valid) m_storyError.clear();
    m_story.path = m_path;
    rebuild();
    scheduleResolve();
    Q_EMIT storyChanged();
}

void StoryDock::setStatus()
{
    if (!hasStory()) {
        m_status->setText(
            tr("No story open. Open one, draft one from an event's correlation, or select a time "
               "range and choose New Chapter from Selection."));
        return;
    }
    const QString name = m_path.isEmpty() ? tr("unsaved story") : QFileInfo(m_path).fileName();
    QString text = tr("%1%2 — %n chapter(s)", nullptr, int(m_doc.sizeAt(QStringLiteral("/chapters"))))
                       .arg(name, isModified() ? QStringLiteral(" •") : QString());
    if (!m_valid) text += tr(" — not valid: %1").arg(m_storyError);
    m_status->setText(text);
    m_saveAct->setEnabled(true);
}

void StoryDock::rebuild()
{
    rebuildChapters();
    rebuildGlossary();
    rebuildLint();
    setStatus();
}

void StoryDock::rebuildChapters()
{
    m_rebuilding = true;
    m_chapters->clear();
    const int n = m_doc.sizeAt(QStringLiteral("/chapters"));
    for (int i = 0; i < n; ++i) {
        const QString base = QStringLiteral("/chapters/%1").arg(i);
        QString title = m_doc.stringAt(base + QStringLiteral("/title"));
        if (title.isEmpty()) title = m_doc.stringAt(base + QStringLiteral("/id"));
        auto* item = new QListWidgetItem(tr("%1. %2").arg(i + 1).arg(title));
        item->setFlags(item->flags() | Qt::ItemIsEditable | Qt::ItemIsDragEnabled);
        QString tip = tr("id %1").arg(m_doc.stringAt(base + QStringLiteral("/id")));
        if (m_valid && i < m_story.chapters.size())
            tip += tr(" · anchor: %1").arg(anchorText(m_story.chapters[i]));
        if (i < m_spans.size()) {
            const ChapterSpan& s = m_spans[i];
            if (s.ok)
                tip += tr(" · %n event(s), positions %1–%2", nullptr, s.beats)
                           .arg(s.firstPosition)
                           .arg(s.lastPosition);
            else
                tip += QStringLiteral(" · ") + s.error;
            if (!s.ok) item->setForeground(QColor(0xc0, 0x39, 0x2b));
        }
        item->setToolTip(tip);
        item->setData(Qt::DecorationRole, kChapterColours[i % std::size(kChapterColours)]);
        m_chapters->addItem(item);
    }
    m_rebuilding = false;
}

void StoryDock::rebuildGlossary()
{
    m_rebuilding = true;
    m_glossary->setRowCount(0);
    QStringList types;
    if (m_index) types = m_index->types;
    for (const QString& t : m_doc.keysAt(QStringLiteral("/glossary/events")))
        if (!types.contains(t)) types.append(t);
    types.sort(Qt::CaseInsensitive);
    if (!hasStory()) types.clear();
    m_glossary->setRowCount(int(types.size()));
    int missing = 0;
    for (int r = 0; r < types.size(); ++r) {
        const QString ptr =
            StoryDocument::pointer({QStringLiteral("glossary"), QStringLiteral("events"), types[r]});
        const QString say = m_doc.stringAt(ptr + QStringLiteral("/say"));
        const QString tone = m_doc.stringAt(ptr + QStringLiteral("/tone"));
        auto* type = new QTableWidgetItem(say.isEmpty() ? QStringLiteral("⚠ ") + types[r] : types[r]);
        type->setData(Qt::UserRole, types[r]);
        type->setFlags(type->flags() & ~Qt::ItemIsEditable);
        auto* sentence = new QTableWidgetItem(say);
        auto* toneItem = new QTableWidgetItem(tone);
        if (say.isEmpty()) {
            ++missing;
            const QString shown = Glossary::defaultSentence(types[r]);
            for (QTableWidgetItem* i : {type, sentence})
                i->setToolTip(tr("No sentence: the story says \"%1\". Type one here.").arg(shown));
            type->setForeground(QColor(0xb3, 0x6b, 0x00));
            sentence->setData(Qt::UserRole + 1, true);
        }
        if (!m_index || !m_index->types.contains(types[r])) type->setToolTip(tr("Not in the open store"));
        m_glossary->setItem(r, 0, type);
        m_glossary->setItem(r, 1, sentence);
        m_glossary->setItem(r, 2, toneItem);
    }
    m_glossary->resizeColumnToContents(0);
    m_tabs->setTabText(1, missing ? tr("Glossary (%1 ⚠)").arg(missing) : tr("Glossary"));
    m_rebuilding = false;
}

void StoryDock::glossaryEdited(int row, int column)
{
    if (m_rebuilding || column == 0) return;
    const QString type = m_glossary->item(row, 0)->data(Qt::UserRole).toString();
    const QString value = m_glossary->item(row, column)->text().trimmed();
    const QString key = column == 1 ? QStringLiteral("say") : QStringLiteral("tone");
    if (column == 2 && !value.isEmpty() && !kTones.contains(value)) {
        QTimer::singleShot(0, this, &StoryDock::rebuildGlossary);
        fail(tr("'%1' is not a tone: neutral, good, warn or bad.").arg(value));
        return;
    }
    QString error;
    const bool ok = edit(
        column == 1 ? tr("Sentence of %1").arg(type) : tr("Tone of %1").arg(type),
        [type, key, value](StoryDocument& d, QString* e) {
            const QString events = QStringLiteral("/glossary/events");
            if (!d.at(QStringLiteral("/glossary")) &&
                !d.set(QStringLiteral("/glossary"), StoryNode::object({}), e))
                return false;
            if (!d.at(events) && !d.set(events, StoryNode::object({}), e)) return false;
            const QString ptr =
                StoryDocument::pointer({QStringLiteral("glossary"), QStringLiteral("events"), type});
            const StoryNode* entry = d.at(ptr);
            if (value.isEmpty())
                return !d.at(ptr + QLatin1Char('/') + key) || d.remove(ptr + QLatin1Char('/') + key, e);
            if (!entry || entry->kind != StoryNode::Kind::Object)
                return d.set(ptr, StoryNode::object({{key, StoryNode::string(value)}}), e);
            return d.set(ptr + QLatin1Char('/') + key, StoryNode::string(value), e);
        },
        &error);
    if (!ok) fail(error);
    QTimer::singleShot(0, this, &StoryDock::rebuildGlossary); // not from inside the table's own signal
}

void StoryDock::chaptersMoved(int from, int to)
{
    if (m_rebuilding || from == to) return;
    QString error;
    if (!edit(
            tr("Move chapter %1 to %2").arg(from + 1).arg(to + 1),
            [from, to](StoryDocument& d, QString* e) {
                return d.move(QStringLiteral("/chapters"), from, to, e);
            },
            &error))
        fail(error);
    QTimer::singleShot(0, this, [this, to] {
        rebuildChapters();
        m_chapters->setCurrentRow(to);
    });
}

void StoryDock::rebuildLint()
{
    m_lint->clear();
    if (!hasStory()) {
        m_tabs->setTabText(2, tr("Lint"));
        return;
    }
    if (!m_valid) {
        auto* item = new QListWidgetItem(tr("✗ %1").arg(m_storyError));
        item->setForeground(QColor(0xc0, 0x39, 0x2b));
        item->setData(Qt::UserRole, m_storyError);
        m_lint->addItem(item);
    }
    for (const QString& f : std::as_const(m_lintFindings)) {
        auto* item = new QListWidgetItem(QStringLiteral("⚠ ") + f);
        item->setData(Qt::UserRole, f);
        m_lint->addItem(item);
    }
    if (m_valid && m_lintFindings.isEmpty() && !isResolving() && m_reader) {
        auto* item = new QListWidgetItem(tr("✓ Nothing to report"));
        item->setFlags(Qt::ItemIsEnabled);
        m_lint->addItem(item);
    }
    const int n = int(m_lintFindings.size()) + (m_valid ? 0 : 1);
    m_tabs->setTabText(2, n ? tr("Lint (%1)").arg(n) : tr("Lint"));
}

void StoryDock::activateLint(int row)
{
    QListWidgetItem* item = m_lint->item(row);
    if (!item) return;
    const QString text = item->data(Qt::UserRole).toString();
    static const QRegularExpression chapter(QStringLiteral("/chapters/(\\d+)"));
    const auto m = chapter.match(text);
    if (m.hasMatch()) {
        const int k = m.captured(1).toInt();
        m_chapters->setCurrentRow(k);
        goToChapter(k);
        return;
    }
    static const QRegularExpression type(QStringLiteral("/glossary/events/([^/:\\s]+)"));
    const auto t = type.match(text);
    if (text.contains(QLatin1String("/glossary"))) {
        m_tabs->setCurrentWidget(m_glossary);
        if (t.hasMatch())
            for (int r = 0; r < m_glossary->rowCount(); ++r)
                if (m_glossary->item(r, 0)->data(Qt::UserRole).toString() == t.captured(1))
                    m_glossary->setCurrentCell(r, 1);
    }
}

void StoryDock::goToChapter(int chapter)
{
    if (chapter < 0 || chapter >= m_spans.size() || !m_spans[chapter].ok) {
        Q_EMIT message(tr("Chapter %1 has no events in the open store.").arg(chapter + 1));
        return;
    }
    m_controller->jumpToEvent(m_spans[chapter].firstPosition);
    Q_EMIT chapterActivated(chapter);
    if (m_timeline && m_spans[chapter].from != kNoTime) {
        const double pad =
            std::max<double>(1000.0, double(m_spans[chapter].to - m_spans[chapter].from) * 0.05);
        m_timeline->setVisibleRange(double(m_spans[chapter].from) - pad, double(m_spans[chapter].to) + pad);
    }
}

void StoryDock::scheduleResolve()
{
    if (!hasStory() || !m_reader) return;
    const QByteArray key =
        (m_path.isEmpty() ? QDir::currentPath() : QFileInfo(m_path).path()).toUtf8() + '\n' + m_doc.text();
    for (const auto& [k, cached] : std::as_const(m_cache))
        if (k == key) {
            m_resolveTimer->stop();
            m_jobs.cancelLane(0);
            m_spans = cached.spans;
            m_lintFindings = cached.lint;
            QTimer::singleShot(0, this, [this] {
                rebuildChapters();
                rebuildLint();
                emitMarks();
                Q_EMIT resolved();
            });
            return;
        }
    m_resolveTimer->start();
}

namespace {
struct Resolution
{
    QList<StoryDock::ChapterSpan> spans;
    QStringList lint;
};
} // namespace

void StoryDock::resolve()
{
    if (!hasStory() || !m_reader) return;
    const QByteArray text = m_doc.text();
    const QString folder = m_path.isEmpty() ? QDir::currentPath() : QFileInfo(m_path).path();
    const QByteArray key = folder.toUtf8() + '\n' + text;
    const std::shared_ptr<EventReader> source = m_reader;
    m_resolveJob = m_jobs.start(
        0,
        [text, folder, source](const JobHandle& job) {
            Resolution out;
            Story story;
            QString error;
            if (!parseStory(text, folder, &story, &error)) return out;
            std::unique_ptr<EventReader> reader = source->clone(&error);
            if (!reader) {
                out.lint << error;
                return out;
            }
            StoryEngine engine(story, *reader);
            for (int i = 0; i < story.chapters.size() && !job.isCancelled(); ++i) {
                StoryDock::ChapterSpan s;
                const ResolvedChapter* r = engine.chapter(i, &s.error);
                if (r && !r->beats.isEmpty()) {
                    s.ok = true;
                    s.firstPosition = r->firstPosition;
                    s.lastPosition = r->lastPosition;
                    s.from = r->beats.first().time;
                    s.to = r->beats.last().time;
                    s.beats = int(r->beats.size());
                }
                out.spans << s;
            }
            if (!job.isCancelled()) out.lint = engine.lint();
            return out;
        },
        [this, key](quint64, Resolution r) {
            m_cache.prepend({key, Cached{r.spans, r.lint}});
            if (m_cache.size() > 8) m_cache.removeLast();
            m_spans = r.spans;
            m_lintFindings = r.lint;
            rebuildChapters();
            rebuildLint();
            emitMarks();
            Q_EMIT resolved();
        });
}

void StoryDock::emitMarks()
{
    QList<TimelineRangeMark> marks;
    for (int i = 0; i < m_spans.size(); ++i) {
        const ChapterSpan& s = m_spans[i];
        if (!s.ok || s.from == kNoTime) continue;
        TimelineRangeMark m;
        m.from = double(s.from);
        m.to = double(s.to);
        const QString title = i < m_story.chapters.size() ? m_story.chapters[i].title : QString();
        m.label = tr("%1 %2").arg(i + 1).arg(title);
        m.tooltip = tr("Chapter %1: %2").arg(i + 1).arg(title);
        m.colour = kChapterColours[i % std::size(kChapterColours)];
        marks << m;
    }
    Q_EMIT chapterMarksChanged(marks);
}

bool StoryDock::newChapterFromRange(TimeMs from, TimeMs to, QString* error)
{
    if (from == kNoTime || to == kNoTime || to < from) {
        *error = tr("The selection is not a time range.");
        return false;
    }
    if (!hasStory()) {
        // A new story on the open store, saved where the author says (Save As).
        QByteArray text = "{\n  \"chronostory\": 1,\n  \"title\": " + jsonQuote(tr("Untitled story")) + ",\n";
        if (!m_displayUri.isEmpty())
            text += "  \"source\": { \"uri\": " + jsonQuote(uriWithoutSecrets(m_displayUri)) + " },\n";
        text += "  \"chapters\": []\n}\n";
        m_path.clear();
        m_undo->clear();
        applyText(text);
        m_undo->setClean();
    }
    if (!m_doc.at(QStringLiteral("/chapters")) && !edit(
                                                      tr("Chapters"),
                                                      [](StoryDocument& d, QString* e) {
                                                          return d.set(QStringLiteral("/chapters"),
                                                                       StoryNode::array({}), e);
                                                      },
                                                      error))
        return false;
    QStringList ids;
    const int n = m_doc.sizeAt(QStringLiteral("/chapters"));
    for (int i = 0; i < n; ++i)
        ids << m_doc.stringAt(QStringLiteral("/chapters/%1/id").arg(i));
    QString id;
    for (int k = n + 1; id.isEmpty() || ids.contains(id); ++k)
        id = QStringLiteral("chapter-%1").arg(k);
    const StoryNode chapter = StoryNode::object({
        {QStringLiteral("id"), StoryNode::string(id)},
        {QStringLiteral("title"), StoryNode::string(tr("%1–%2 UTC").arg(hhmm(from), hhmm(to)))},
        {QStringLiteral("range"),
         StoryNode::object({{QStringLiteral("fromTime"), StoryNode::string(isoTime(from))},
                            {QStringLiteral("toTime"), StoryNode::string(isoTime(to))}})},
        {QStringLiteral("pace"),
         StoryNode::object({{QStringLiteral("mode"), StoryNode::string(QStringLiteral("step"))}})},
        {QStringLiteral("caption"), StoryNode::string(tr("{count} events in {duration}."))},
    });
    const bool ok = edit(
        tr("New chapter %1").arg(n + 1),
        [chapter, n](StoryDocument& d, QString* e) {
            return d.insert(QStringLiteral("/chapters"), n, chapter, e);
        },
        error);
    if (ok) {
        m_tabs->setCurrentWidget(m_chapters);
        m_chapters->setCurrentRow(n);
    }
    return ok;
}

void StoryDock::draftFromCorrelation(const QString& correlationId)
{
    if (!m_reader) {
        fail(tr("Open a store first."));
        return;
    }
    if (!confirmDiscard()) return;
    Q_EMIT message(tr("Drafting a story from correlation %1…").arg(correlationId));
    const std::shared_ptr<EventReader> source = m_reader;
    const QString uri = m_displayUri;
    m_jobs.start(
        1,
        [source, uri, correlationId](const JobHandle&) {
            QPair<QByteArray, QString> out;
            std::unique_ptr<EventReader> reader = source->clone(&out.second);
            if (reader && !draftStory(*reader, uri, correlationId, &out.first, &out.second))
                out.first.clear();
            return out;
        },
        [this, correlationId](quint64, QPair<QByteArray, QString> r) {
            if (r.first.isEmpty()) {
                fail(tr("Could not draft a story from correlation %1: %2").arg(correlationId, r.second));
                return;
            }
            m_path.clear();
            m_undo->clear();
            applyText(r.first);
            m_undo->setClean();
            m_undo->resetClean(); // a draft is unsaved
            setStatus();
            Q_EMIT message(tr("Drafted a story of %n chapter(s) from correlation %1; Save As to keep it.",
                              nullptr, m_doc.sizeAt(QStringLiteral("/chapters")))
                               .arg(correlationId));
        });
}

} // namespace chronoscope
