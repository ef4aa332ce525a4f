#include "findings/findingsdock.h"

#include "eventinspector.h"
#include "replaycontroller.h"
#include "store/eventreader.h"
#include "store/sqlitestore.h"
#include "streambrowser.h"
#include "timelineindex.h"
#include "timelinewidget.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QThread>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace chronoscope {

namespace {

QColor kindColour(const QString& kind)
{
    if (kind == QLatin1String("burst")) return QColor(0xd62728); // the timeline's failure red
    if (kind == QLatin1String("silence")) return QColor(0x9467bd);
    if (kind == QLatin1String("integrity")) return QColor(0xff7f0e);
    if (kind == QLatin1String("loop")) return QColor(0xe377c2);
    return QColor(0x8c564b); // slow chains
}

const QColor kNoteColour(0x1f77b4);

QString shortRange(TimeMs from, TimeMs to)
{
    if (from == kNoTime) return QObject::tr("no time");
    const QDateTime a = QDateTime::fromMSecsSinceEpoch(from, Qt::UTC);
    const QDateTime b = QDateTime::fromMSecsSinceEpoch(to == kNoTime ? from : to, Qt::UTC);
    const QString day = a.toString(QStringLiteral("MMM d "));
    if (a.date() == b.date())
        return day + a.toString(QStringLiteral("HH:mm")) + QStringLiteral("–") +
               b.toString(QStringLiteral("HH:mm"));
    return day + a.toString(QStringLiteral("HH:mm")) + QStringLiteral(" – ") +
           b.toString(QStringLiteral("MMM d HH:mm"));
}

} // namespace

FindingsDock::FindingsDock(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_status(new QLabel(this)),
      m_progress(new QProgressBar(this)), m_list(new QTreeWidget(this)), m_detail(new QLabel(this)),
      m_notesList(new QTreeWidget(this)), m_pin(new QPushButton(tr("Pin a note…"), this)),
      m_unpin(new QPushButton(tr("Remove"), this))
{
    setObjectName(QStringLiteral("findings"));
    m_status->setObjectName(QStringLiteral("findingsStatus"));
    m_status->setWordWrap(true);
    m_status->setText(tr("Open a store: what looks unusual in it is listed here."));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(6);
    m_progress->hide();

    m_list->setObjectName(QStringLiteral("findingsList"));
    // One column, two lines a finding (what, then when and how strongly): the title keeps the dock's
    // whole width, which a narrow dock at 1280x720 needs.
    m_list->setHeaderHidden(true);
    m_list->setColumnCount(1);
    m_list->setRootIsDecorated(false);
    m_list->setAlternatingRowColors(true);
    m_list->setTextElideMode(Qt::ElideRight);
    m_list->setWordWrap(false);
    m_list->setFocusPolicy(Qt::StrongFocus);

    m_detail->setObjectName(QStringLiteral("findingsDetail"));
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detail->setMargin(4);
    m_detail->setAlignment(Qt::AlignTop | Qt::AlignLeft);

    m_notesList->setObjectName(QStringLiteral("notesList"));
    m_notesList->setHeaderLabels({tr("Note"), tr("When (UTC)")});
    m_notesList->setRootIsDecorated(false);
    m_notesList->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_notesList->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_notesList->header()->setStretchLastSection(false);
    m_pin->setObjectName(QStringLiteral("pinNote"));
    m_pin->setToolTip(
        tr("Pin a note to the event at the cursor, or to the time range chosen with Shift+drag"));
    m_unpin->setObjectName(QStringLiteral("removeNote"));
    m_pin->setEnabled(false);
    m_unpin->setEnabled(false);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(2);
    topLayout->addWidget(m_status);
    topLayout->addWidget(m_progress);
    topLayout->addWidget(m_list, 3);
    topLayout->addWidget(m_detail, 1);

    auto* bottom = new QWidget(this);
    auto* bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->setSpacing(2);
    auto* notesHeader = new QHBoxLayout;
    auto* notesTitle = new QLabel(tr("<b>Notes</b>"), bottom);
    notesHeader->addWidget(notesTitle);
    notesHeader->addStretch(1);
    notesHeader->addWidget(m_pin);
    notesHeader->addWidget(m_unpin);
    bottomLayout->addLayout(notesHeader);
    bottomLayout->addWidget(m_notesList);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    split->setChildrenCollapsible(false);
    split->setSizes({400, 80}); // the notes start small: at 1280x720 the findings need the height
    m_notesList->setMinimumHeight(40);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);

    connect(m_list, &QTreeWidget::itemClicked, this,
            [this](QTreeWidgetItem* item) { activate(m_list->indexOfTopLevelItem(item)); });
    connect(m_list, &QTreeWidget::itemActivated, this,
            [this](QTreeWidgetItem* item) { activate(m_list->indexOfTopLevelItem(item)); });
    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        const int row = item ? m_list->indexOfTopLevelItem(item) : -1;
        m_detail->setText(row >= 0 && row < m_findings.size() ? m_findings[row].explanation : QString());
    });
    connect(m_notesList, &QTreeWidget::itemClicked, this,
            [this](QTreeWidgetItem* item) { activateNote(m_notesList->indexOfTopLevelItem(item)); });
    connect(m_notesList, &QTreeWidget::currentItemChanged, this,
            [this](QTreeWidgetItem* item) { m_unpin->setEnabled(item != nullptr); });
    connect(m_pin, &QPushButton::clicked, this, &FindingsDock::pinNoteFromUi);
    // A live tail grows the index in place (TimelineIndex::generation): new events reach the findings
    // within about a second (this check, then the analyzer's update on a worker).
    auto* live = new QTimer(this);
    live->setInterval(500);
    connect(live, &QTimer::timeout, this, &FindingsDock::checkForAppends);
    live->start();
    connect(m_unpin, &QPushButton::clicked, this, [this] {
        if (QTreeWidgetItem* item = m_notesList->currentItem())
            removeNote(item->data(0, Qt::UserRole).toString());
    });
}

FindingsDock::~FindingsDock()
{
    m_cancel.cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

void FindingsDock::attach(TimelineWidget* timeline, StreamBrowser* browser, EventInspector* inspector)
{
    m_timeline = timeline;
    m_browser = browser;
    m_inspector = inspector;
    if (m_timeline)
        connect(this, &FindingsDock::rangeMarksChanged, m_timeline, &TimelineWidget::setRangeMarks);
}

void FindingsDock::setStore(const std::shared_ptr<EventReader>& reader,
                            const std::shared_ptr<const TimelineIndex>& index, const QString& displayUri)
{
    m_reader = reader;
    m_index = index;
    m_analyzer.reset();
    m_findings.clear();
    m_list->clear();
    m_detail->clear();
    m_notesError.clear();
    const QString identity = AnnotationSet::storeIdentity(displayUri);
    m_notes = AnnotationSet::load(identity, &m_notesError);
    // A capture carries the notes of the store it was saved from (meta row "annotations"): shown until this
    // store gets notes of its own (the sidecar is written only when a note is added or removed).
    if (m_notes.notes().isEmpty() && m_notesError.isEmpty()) {
        if (auto* native = dynamic_cast<SqliteStoreReader*>(m_reader.get())) {
            const QString carried = native->meta().value(QStringLiteral("annotations"));
            if (!carried.isEmpty()) {
                QString why;
                AnnotationSet set = AnnotationSet::fromJson(carried.toUtf8(), identity, &why);
                if (why.isEmpty())
                    m_notes = set;
                else
                    m_notesError =
                        tr("The notes saved in this capture are damaged (%1); none are shown").arg(why);
            }
        }
    }
    m_pin->setEnabled(m_reader != nullptr);
    rebuildNotes();
    startCompute();
}

QString FindingsDock::statusText() const
{
    return m_status->text();
}

void FindingsDock::startCompute()
{
    m_cancel.cancel(); // a computation for the previous store stops; its answer is dropped by generation
    m_cancel = CancelToken();
    const quint64 generation = ++m_generation;
    if (!m_reader) {
        emitMarks();
        return;
    }
    QString error;
    std::shared_ptr<EventReader> worker(m_reader->clone(&error));
    if (!worker) {
        m_status->setText(tr("Findings could not be computed: %1").arg(error));
        return;
    }
    m_status->setText(tr("Finding what is unusual…"));
    m_progress->setValue(0);
    m_progress->show();
    const CancelToken cancel = m_cancel;
    m_analyzer.reset();
    const qint64 total = m_index ? m_index->size() : -1;
    QThread* thread = QThread::create([this, worker, cancel, generation, total] {
        QElapsedTimer t;
        t.start();
        // One pass through an analyzer that is kept: a live tail later feeds it only what is appended.
        auto analyzer = std::make_shared<FindingsAnalyzer>();
        analyzer->reserve(total);
        QString err;
        qint64 done = 0, lastShown = -1;
        bool cancelled = false;
        const bool ok = worker->read(
            EventQuery{},
            [&](const Event& e) {
                if ((done & 0x3ff) == 0 && cancel.isCancelled()) {
                    cancelled = true;
                    return false;
                }
                analyzer->add(e);
                if ((++done & 0x3fff) == 0 && total > 0) {
                    const qint64 permille = std::min<qint64>(1000, 1000 * done / total);
                    if (permille != lastShown) {
                        lastShown = permille;
                        QMetaObject::invokeMethod(
                            this,
                            [this, permille, generation] {
                                if (generation == m_generation) m_progress->setValue(int(permille));
                            },
                            Qt::QueuedConnection);
                    }
                }
                return true;
            },
            &err);
        QList<Finding> found;
        if (ok && !cancelled)
            found = analyzer->findings();
        else if (cancelled)
            err = tr("cancelled");
        const qint64 ms = t.elapsed();
        const bool good = ok && !cancelled;
        QMetaObject::invokeMethod(
            this,
            [this, generation, found, err, good, ms, analyzer] {
                finished(generation, found, good ? QString() : err, ms, good ? analyzer : nullptr, false);
            },
            Qt::QueuedConnection);
    });
    // One worker at a time: a superseded one is cancelled and waited for (it stops within 1,024 events).
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
    m_thread = thread;
    thread->start(QThread::LowPriority);
}

void FindingsDock::checkForAppends()
{
    if (m_thread || !m_analyzer || !m_index || !m_reader || m_index->size() == 0) return;
    if (m_index->generation == m_seenIndexGeneration) return;
    m_seenIndexGeneration = m_index->generation;
    const qint64 last = m_index->entries.back().position;
    const qint64 from = m_analyzer->lastPosition();
    if (last <= from) return;
    QString error;
    std::shared_ptr<EventReader> worker(m_reader->clone(&error));
    if (!worker) return;
    const quint64 generation = m_generation;
    const CancelToken cancel = m_cancel;
    std::shared_ptr<FindingsAnalyzer> analyzer = m_analyzer;
    m_thread = QThread::create([this, worker, analyzer, from, cancel, generation] {
        QElapsedTimer t;
        t.start();
        EventQuery q;
        q.fromPosition = from + 1;
        QString err;
        const bool ok = worker->read(
            q,
            [&](const Event& e) {
                analyzer->add(e);
                return !cancel.isCancelled();
            },
            &err);
        const QList<Finding> found = analyzer->findings();
        const qint64 ms = t.elapsed();
        QMetaObject::invokeMethod(
            this,
            [this, generation, found, err, ok, ms, analyzer] {
                finished(generation, found, ok ? QString() : err, ms, analyzer, true);
            },
            Qt::QueuedConnection);
    });
    m_thread->start(QThread::LowPriority);
}

void FindingsDock::finished(quint64 generation, const QList<Finding>& found, const QString& error, qint64 ms,
                            const std::shared_ptr<FindingsAnalyzer>& analyzer, bool update)
{
    if (generation != m_generation) return;
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    m_progress->hide();
    if (!error.isEmpty()) {
        m_status->setText(tr("Findings could not be computed: %1").arg(error));
        return;
    }
    m_analyzer = analyzer;
    if (m_index && !update) m_seenIndexGeneration = m_index->generation;
    const int keepRow =
        update && m_list->currentItem() ? m_list->indexOfTopLevelItem(m_list->currentItem()) : 0;
    m_findings = found;
    m_list->clear();
    QList<QTreeWidgetItem*> items;
    for (qsizetype i = 0; i < found.size(); ++i) {
        const Finding& f = found[i];
        const QString when = f.from == kNoTime ? tr("no time") : shortRange(f.from, f.to) + tr(" UTC");
        auto* item = new QTreeWidgetItem({QStringLiteral("%1. %2\n%3 · %4 · score %5")
                                              .arg(i + 1)
                                              .arg(f.title, when, f.kind)
                                              .arg(f.score, 0, 'f', 0)});
        item->setToolTip(0, f.explanation);
        item->setData(0, Qt::DecorationRole, kindColour(f.kind));
        items << item;
    }
    m_list->addTopLevelItems(items);
    const QString took = ms < 1000 ? tr("%1 ms").arg(ms) : tr("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    m_status->setText(found.isEmpty() ? tr("Nothing unusual found (%1 events read in %2).")
                                            .arg(QLocale().toString(m_index ? m_index->size() : 0), took)
                                      : tr("%n finding(s), most telling first; click one to go there.",
                                           nullptr, int(found.size())));
    if (!m_notesError.isEmpty()) m_status->setText(m_status->text() + QLatin1Char('\n') + m_notesError);
    if (update && m_analyzer)
        m_status->setText(m_status->text() + tr(" Kept up to date with the events that arrive (%1 read).")
                                                 .arg(QLocale().toString(m_analyzer->eventCount())));
    if (!found.isEmpty()) {
        const QSignalBlocker block(m_list); // showing a finding's text is not a click
        const int row = std::clamp(keepRow, 0, int(found.size()) - 1);
        m_list->setCurrentItem(m_list->topLevelItem(row));
        m_detail->setText(found[row].explanation);
    }
    emitMarks();
    Q_EMIT findingsReady(int(found.size()));
}

void FindingsDock::focusRange(TimeMs from, TimeMs to)
{
    if (!m_timeline || from == kNoTime) return;
    if (to == kNoTime || to < from) to = from;
    const double span = double(to - from);
    const double pad = std::max(span * 0.15, 30'000.0);
    m_timeline->setVisibleRange(double(from) - pad, double(to) + pad);
}

void FindingsDock::activate(int row)
{
    if (row < 0 || row >= m_findings.size()) return;
    const Finding& f = m_findings[row];
    m_detail->setText(f.explanation);
    focusRange(f.from, f.to);
    if (m_browser && !f.streams.isEmpty()) {
        QStringList escaped;
        for (const QString& s : f.streams)
            escaped << QRegularExpression::escape(s);
        m_browser->setPattern(QStringLiteral("^(%1)$").arg(escaped.join(u'|')), true);
    }
    if (m_controller && f.firstPosition > 0) m_controller->jumpToEvent(f.firstPosition);
    if (m_inspector && !f.correlation.isEmpty())
        Q_EMIT m_inspector->correlationRequested(f.correlation); // the Event dock lists the chain
    Q_EMIT findingActivated(row);
}

void FindingsDock::activateNote(int row)
{
    if (row < 0 || row >= m_notes.notes().size()) return;
    const Annotation& a = m_notes.notes()[row];
    focusRange(a.from, a.to);
    if (m_controller && a.position > 0)
        m_controller->jumpToEvent(a.position);
    else if (m_controller && a.from != kNoTime)
        m_controller->setCursorTime(a.from);
}

QString FindingsDock::addNote(const QString& text, qint64 position, TimeMs from, TimeMs to)
{
    if (text.trimmed().isEmpty()) return {};
    Annotation a;
    a.text = text.trimmed().split(u'\n').first();
    a.position = position;
    a.from = from;
    a.to = to == kNoTime ? from : to;
    if (position > 0 && m_index) {
        const qint64 row = m_index->rowOfPosition(position);
        if (row >= 0) {
            a.stream = m_index->streams.value(m_index->laneOfRow(row));
            if (a.from == kNoTime) {
                a.from = a.to = m_index->entries[size_t(row)].time;
            }
        }
        if (m_reader) {
            QString err;
            if (const auto e = m_reader->eventAt(position, &err)) a.eventId = e->id;
        }
    }
    const QString id = m_notes.add(a);
    QString error;
    if (!m_notes.save(&error)) m_status->setText(error);
    rebuildNotes();
    emitMarks();
    Q_EMIT notesChanged();
    return id;
}

bool FindingsDock::removeNote(const QString& id)
{
    if (!m_notes.remove(id)) return false;
    QString error;
    if (!m_notes.save(&error)) m_status->setText(error);
    rebuildNotes();
    emitMarks();
    Q_EMIT notesChanged();
    return true;
}

void FindingsDock::pinNoteFromUi()
{
    if (!m_reader) return;
    TimeMs from = kNoTime, to = kNoTime;
    qint64 position = 0;
    QString where;
    if (m_timeline && m_timeline->hasSelectionRange()) {
        from = TimeMs(m_timeline->selectionStart());
        to = TimeMs(m_timeline->selectionEnd());
        where = tr("%1 (the selected range)").arg(shortRange(from, to));
    } else if (m_controller && m_controller->cursor() > 0) {
        position = m_controller->cursor();
        where = tr("the event at position %1").arg(position);
    }
    if (position <= 0 && from == kNoTime) return;
    bool ok = false;
    const QString text = QInputDialog::getText(this, tr("Pin a note"), tr("Note on %1:").arg(where),
                                               QLineEdit::Normal, QString(), &ok);
    if (ok) addNote(text, position, from, to);
}

void FindingsDock::rebuildNotes()
{
    m_notesList->clear();
    for (const Annotation& a : m_notes.notes()) {
        auto* item = new QTreeWidgetItem({a.text, shortRange(a.from, a.to)});
        item->setData(0, Qt::UserRole, a.id);
        item->setToolTip(
            0, a.stream.isEmpty() ? a.text : tr("%1\n%2, position %3").arg(a.text, a.stream).arg(a.position));
        m_notesList->addTopLevelItem(item);
    }
    m_unpin->setEnabled(m_notesList->currentItem() != nullptr);
}

void FindingsDock::emitMarks()
{
    QList<TimelineRangeMark> marks;
    for (qsizetype i = 0; i < m_findings.size(); ++i) {
        const Finding& f = m_findings[i];
        if (f.from == kNoTime) continue;
        marks << TimelineRangeMark{double(f.from), double(f.to), QString::number(i + 1),
                                   QStringLiteral("%1. %2\n%3").arg(i + 1).arg(f.title, f.explanation),
                                   kindColour(f.kind)};
    }
    for (const Annotation& a : m_notes.notes()) {
        if (a.from == kNoTime) continue;
        marks << TimelineRangeMark{double(a.from), double(a.to), QStringLiteral("✎"), a.text, kNoteColour};
    }
    Q_EMIT rangeMarksChanged(marks);
}

} // namespace chronoscope
