#include "storyedit/sequencedock.h"

#include "eventinspector.h"
#include "replaycontroller.h"
#include "store/eventreader.h"
#include "story/storyengine.h"
#include "story/storyrender.h"
#include "timelineindex.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QRegularExpression>
#include <QResizeEvent>
#include <QScrollArea>
#include <QScrollBar>
#include <QVBoxLayout>

namespace chronoscope {

using namespace story;

namespace {

constexpr int kMargin = 12;
constexpr qint64 kFoldGapMs = 60'000; // a quiet minute becomes a "… later …" row, as on the story pages

bool globMatch(const QStringList& globs, const QString& stream)
{
    for (const QString& g : globs) {
        const QRegularExpression re(QRegularExpression::wildcardToRegularExpression(
                                        g, QRegularExpression::UnanchoredWildcardConversion),
                                    QRegularExpression::NoPatternOption);
        if (QRegularExpression(QLatin1Char('^') + re.pattern() + QLatin1Char('$')).match(stream).hasMatch())
            return true;
    }
    return false;
}

struct Loaded
{
    SequenceLayout layout;
    QList<qint64> positions;
    QString error;
    bool truncated = false;
};

/// Events to beats with the glossary's words (a story engine on an empty story carries the glossary).
Loaded lay(const QList<Event>& events, const Glossary& glossary, EventReader& reader)
{
    Loaded out;
    Story s;
    s.glossary = glossary;
    StoryEngine engine(s, reader);
    QHash<QString, QString> actorOfId;
    QList<SequenceBeat> beats;
    for (const Event& e : events) {
        SequenceBeat b;
        b.actor = glossary.actorOf(e.stream);
        const QString cause = e.causationId();
        b.parentActor = cause.isEmpty() ? QString() : actorOfId.value(cause);
        b.type = e.type;
        b.label = engine.sentence(e);
        b.foldLabel = Glossary::defaultSentence(e.type);
        b.time = e.time;
        b.tone = int(glossary.toneOf(e.type));
        beats << b;
        out.positions << e.position;
        if (!e.id.isEmpty()) actorOfId.insert(e.id, b.actor);
    }
    out.layout = layoutSequence(beats, kFoldGapMs, true);
    return out;
}

} // namespace

SequenceDock::SequenceDock(ReplayController* controller, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_modeBox(new QComboBox(this)),
      m_queryEdit(new QLineEdit(this)), m_statusLabel(new QLabel(this)), m_scroll(new QScrollArea(this)),
      m_view(new SequenceView), m_jobs(this, JobTracker::Threads::Shared)
{
    setObjectName(QStringLiteral("sequence"));
    m_modeBox->addItem(tr("Correlation chain"));
    m_modeBox->addItem(tr("Streams near the cursor"));
    m_modeBox->setObjectName(QStringLiteral("sequenceMode"));
    m_queryEdit->setObjectName(QStringLiteral("sequenceQuery"));
    m_queryEdit->setPlaceholderText(tr("correlation id"));
    m_queryEdit->setClearButtonEnabled(true);
    auto* use = new QPushButton(tr("Use Selection"), this);
    use->setToolTip(tr("The selected event's correlation chain, or the selected stream"));
    m_statusLabel->setObjectName(QStringLiteral("sequenceStatus"));
    m_statusLabel->setWordWrap(true);
    m_scroll->setWidget(m_view);
    m_scroll->setWidgetResizable(true);
    m_scroll->setBackgroundRole(QPalette::Base);

    auto* row = new QHBoxLayout;
    row->addWidget(m_modeBox);
    row->addWidget(m_queryEdit, 1);
    row->addWidget(use);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(row);
    layout->addWidget(m_statusLabel);
    layout->addWidget(m_scroll, 1);

    connect(m_modeBox, &QComboBox::activated, this, [this](int k) {
        m_mode = k == 0 ? Mode::Correlation : Mode::Streams;
        m_queryEdit->setPlaceholderText(k == 0 ? tr("correlation id")
                                               : tr("streams (globs, comma-separated)"));
        m_queryEdit->clear();
        useSelection();
    });
    connect(m_queryEdit, &QLineEdit::returnPressed, this, [this] {
        if (m_mode == Mode::Correlation)
            showCorrelation(m_queryEdit->text().trimmed());
        else
            showStreams(m_queryEdit->text().split(QLatin1Char(','), Qt::SkipEmptyParts));
    });
    connect(use, &QPushButton::clicked, this, &SequenceDock::useSelection);
    connect(m_view, &SequenceView::rowClicked, this, &SequenceDock::activateRow);
    connect(m_controller, &ReplayController::cursorChanged, this, &SequenceDock::cursorMoved);
    m_status = tr("Choose a correlation chain (select an event, then Use Selection) or streams.");
    m_statusLabel->setText(m_status);
}

SequenceDock::~SequenceDock() = default;

void SequenceDock::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    m_view->setAvailableWidth(m_scroll->viewport()->width());
}

void SequenceDock::setStore(const std::shared_ptr<EventReader>& reader,
                            const std::shared_ptr<const TimelineIndex>& index)
{
    m_reader = reader;
    m_index = index;
    m_layout = {};
    m_positions.clear();
    m_view->setSequence(m_layout);
    if (!m_query.isEmpty()) reload();
}

void SequenceDock::setGlossary(const Glossary& glossary)
{
    m_glossary = glossary;
    if (!m_query.isEmpty()) reload();
}

bool SequenceDock::isLoading() const
{
    return m_jobs.isCurrent(m_job);
}

QString SequenceDock::statusText() const
{
    return m_status;
}

int SequenceDock::highlightRow() const
{
    return m_view->highlight();
}

void SequenceDock::useSelection()
{
    if (m_mode == Mode::Correlation) {
        const auto e = m_inspector ? m_inspector->event() : std::nullopt;
        if (e && (!e->correlationId().isEmpty() || !e->id.isEmpty()))
            showCorrelation(e->correlationId().isEmpty() ? e->id : e->correlationId());
        else {
            m_status = tr("Select an event with a correlation id first.");
            m_statusLabel->setText(m_status);
        }
    } else {
        QString stream = m_controller->selectedStream();
        if (stream.isEmpty() && m_index && m_controller->cursorRow() >= 0)
            stream = m_index->streams[m_index->laneOfRow(m_controller->cursorRow())];
        if (!stream.isEmpty()) showStreams({stream});
    }
}

void SequenceDock::showCorrelation(const QString& id)
{
    m_mode = Mode::Correlation;
    m_modeBox->setCurrentIndex(0);
    m_query = id;
    m_queryEdit->setText(id);
    reload();
}

void SequenceDock::showStreams(const QStringList& globs)
{
    m_mode = Mode::Streams;
    m_modeBox->setCurrentIndex(1);
    QStringList trimmed;
    for (const QString& g : globs)
        if (!g.trimmed().isEmpty()) trimmed << g.trimmed();
    m_query = trimmed.join(QStringLiteral(", "));
    m_queryEdit->setText(m_query);
    reload();
}

void SequenceDock::reload()
{
    if (!m_reader || m_query.isEmpty()) return;
    m_status = tr("Reading…");
    m_statusLabel->setText(m_status);
    const std::shared_ptr<EventReader> source = m_reader;
    const Glossary glossary = m_glossary;
    const Mode mode = m_mode;
    const QString query = m_query;
    m_anchor = std::max<qint64>(1, m_controller->cursor());
    const qint64 anchor = m_anchor;
    QStringList lanes;
    if (mode == Mode::Streams && m_index) {
        const QStringList globs = query.split(QStringLiteral(", "));
        for (const QString& s : m_index->streams)
            if (globMatch(globs, s)) lanes << s;
    }
    m_job = m_jobs.start(
        0,
        [source, glossary, mode, query, anchor, lanes](const JobHandle& job) {
            Loaded out;
            std::unique_ptr<EventReader> reader = source->clone(&out.error);
            if (!reader) return out;
            QList<Event> events;
            bool ok = true;
            if (mode == Mode::Correlation) {
                const QByteArray needle = query.toUtf8();
                qint64 scanned = 0;
                ok = reader->read(
                    EventQuery{},
                    [&](const Event& e) {
                        if ((++scanned & 0xfff) == 0 && job.isCancelled()) return false;
                        if (e.id == query || (e.metadata.contains(needle) && e.correlationId() == query))
                            events << e;
                        if (events.size() >= kMaxChain) {
                            out.truncated = true;
                            return false;
                        }
                        return true;
                    },
                    &out.error);
            } else if (!lanes.isEmpty()) {
                // The window: up to half before the anchor and the rest after it, per matching stream,
                // merged.
                const QSet<QString> wanted(lanes.begin(), lanes.end());
                QList<Event> before, after;
                EventQuery back;
                back.toPosition = anchor;
                back.backward = true;
                ok = reader->read(
                    back,
                    [&](const Event& e) {
                        if (job.isCancelled()) return false;
                        if (wanted.contains(e.stream)) before.prepend(e);
                        return before.size() < kStreamWindow / 2;
                    },
                    &out.error);
                EventQuery fwd;
                fwd.fromPosition = anchor + 1;
                ok = ok && reader->read(
                               fwd,
                               [&](const Event& e) {
                                   if (job.isCancelled()) return false;
                                   if (wanted.contains(e.stream)) after << e;
                                   return before.size() + after.size() < kStreamWindow;
                               },
                               &out.error);
                events = before + after;
            }
            if (!ok || job.isCancelled()) return out;
            std::sort(events.begin(), events.end(),
                      [](const Event& a, const Event& b) { return a.position < b.position; });
            Loaded laid = lay(events, glossary, *reader);
            laid.truncated = out.truncated;
            return laid;
        },
        [this, mode, query](quint64, Loaded r) {
            m_layout = r.layout;
            m_positions = r.positions;
            if (!r.error.isEmpty())
                m_status = tr("Could not read the events: %1").arg(r.error);
            else if (m_positions.isEmpty())
                m_status = mode == Mode::Correlation
                               ? tr("No event carries the correlation id %1.").arg(query)
                               : tr("No events of %1 near the cursor.").arg(query);
            else
                m_status = tr("%n event(s)", nullptr, int(m_positions.size())) +
                           tr(", %n actor(s)", nullptr, int(m_layout.actors.size())) +
                           (r.truncated ? tr(" (the first %1 shown)").arg(kMaxChain) : QString()) +
                           tr(" — click a message to move the cursor there");
            m_statusLabel->setText(m_status);
            m_view->setSequence(m_layout);
            cursorMoved(m_controller->cursor());
            Q_EMIT loaded();
        });
}

void SequenceDock::activateRow(int row)
{
    if (row < 0 || row >= m_layout.rows.size()) return;
    const SequenceRow& r = m_layout.rows[row];
    const int beat = r.kind == SequenceRow::Kind::Gap ? r.lastBeat : r.firstBeat;
    if (beat >= 0 && beat < m_positions.size()) m_controller->jumpToEvent(m_positions[beat]);
}

void SequenceDock::cursorMoved(qint64 position)
{
    // The row holding the cursor's event; between two rows, the latest row before the cursor.
    int best = -1;
    for (int k = 0; k < m_layout.rows.size(); ++k) {
        const SequenceRow& r = m_layout.rows[k];
        if (r.kind == SequenceRow::Kind::Gap || r.firstBeat < 0 || r.firstBeat >= m_positions.size())
            continue;
        if (m_positions[r.firstBeat] <= position) best = k;
    }
    m_view->setHighlight(best);
    if (best >= 0) {
        const QRect rr = m_view->rowRect(best);
        m_scroll->ensureVisible(rr.center().x(), rr.center().y(), 0, rr.height());
    }
}

// --- the painted diagram ---

SequenceView::SequenceView(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("sequenceView"));
    setMouseTracking(false);
    setBackgroundRole(QPalette::Base);
    setAutoFillBackground(true);
}

int SequenceView::headerHeight() const
{
    return fontMetrics().height() * 2 + 8;
}

int SequenceView::rowHeight() const
{
    return fontMetrics().height() * 2 + 6;
}

void SequenceView::setAvailableWidth(int width)
{
    if (width == m_available) return;
    m_available = width;
    setMinimumSize(sizeHint());
    updateGeometry();
    update();
}

int SequenceView::laneWidth() const
{
    const int n = int(std::max<qsizetype>(1, m_layout.actors.size()));
    return std::clamp((m_available - 2 * kMargin) / n, 110, 240);
}

double SequenceView::laneX(int lane) const
{
    return kMargin + laneWidth() / 2.0 + lane * laneWidth();
}

QSize SequenceView::sizeHint() const
{
    return {kMargin * 2 + int(std::max<qsizetype>(1, m_layout.actors.size())) * laneWidth(),
            headerHeight() + int(m_layout.rows.size()) * rowHeight() + kMargin};
}

void SequenceView::setSequence(const SequenceLayout& layout)
{
    m_layout = layout;
    m_highlight = -1;
    setMinimumSize(sizeHint());
    updateGeometry();
    update();
}

void SequenceView::setHighlight(int row)
{
    if (row == m_highlight) return;
    m_highlight = row;
    update();
}

QRect SequenceView::rowRect(int row) const
{
    return QRect(0, headerHeight() + row * rowHeight(), width(), rowHeight());
}

int SequenceView::rowAt(const QPoint& p) const
{
    if (p.y() < headerHeight()) return -1;
    const int row = (p.y() - headerHeight()) / rowHeight();
    return row < m_layout.rows.size() ? row : -1;
}

void SequenceView::mousePressEvent(QMouseEvent* e)
{
    const int row = rowAt(e->position().toPoint());
    if (row >= 0 && e->button() == Qt::LeftButton) Q_EMIT rowClicked(row);
}

void SequenceView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette& pal = palette();
    const QFontMetrics fm = fontMetrics();
    if (m_layout.actors.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(8, 8, -8, -8), Qt::AlignTop | Qt::AlignLeft | Qt::TextWordWrap,
                   tr("No sequence yet: choose a correlation chain or streams above."));
        return;
    }
    const int top = headerHeight();
    const int bottom = top + int(m_layout.rows.size()) * rowHeight();
    if (m_highlight >= 0) {
        QColor h = pal.color(QPalette::Highlight);
        h.setAlpha(60);
        p.fillRect(rowRect(m_highlight), h);
        p.fillRect(QRect(0, rowRect(m_highlight).top(), 4, rowHeight()), pal.color(QPalette::Highlight));
    }
    // Lifelines and their heads.
    QFont bold = font();
    bold.setBold(true);
    for (int k = 0; k < m_layout.actors.size(); ++k) {
        const QColor c = actorColour(k);
        const double x = laneX(k);
        p.setPen(QPen(c, 1.5, Qt::DashLine));
        p.drawLine(QPointF(x, top - 4), QPointF(x, bottom));
        const QRectF head(x - laneWidth() / 2.0 + 6, 4, laneWidth() - 12, top - 10);
        p.setPen(Qt::NoPen);
        p.setBrush(c);
        p.drawRoundedRect(head, 4, 4);
        p.setFont(bold);
        p.setPen(Qt::white);
        p.drawText(head, Qt::AlignCenter,
                   QFontMetrics(bold).elidedText(m_layout.actors[k], Qt::ElideRight, int(head.width()) - 6));
        p.setFont(font());
    }
    for (int r = 0; r < m_layout.rows.size(); ++r) {
        const SequenceRow& row = m_layout.rows[r];
        const QRect rr = rowRect(r);
        const double y = rr.top() + rowHeight() * 0.72;
        const QColor tone = toneColour(Tone(row.tone));
        const QColor ink = row.tone == int(Tone::Neutral) ? pal.color(QPalette::Text) : tone;
        QString label = row.label;
        if (row.kind == SequenceRow::Kind::Gap) {
            p.setPen(pal.color(QPalette::PlaceholderText));
            p.drawText(rr, Qt::AlignCenter, label);
            continue;
        }
        const double x1 = laneX(row.to);
        if (row.kind == SequenceRow::Kind::Arrow && row.from >= 0 && row.from != row.to) {
            const double x0 = laneX(row.from);
            p.setPen(QPen(ink, 1.6));
            p.drawLine(QPointF(x0, y), QPointF(x1, y));
            const double dir = x1 > x0 ? -1 : 1;
            QPainterPath head;
            head.moveTo(x1, y);
            head.lineTo(x1 + dir * 8, y - 4);
            head.lineTo(x1 + dir * 8, y + 4);
            head.closeSubpath();
            p.fillPath(head, ink);
            // The label starts over the arrow and may run past its head (lifelines are thin dashes).
            const double left = std::min(x0, x1);
            const int room = std::max(laneWidth(), width() - int(left) - 8);
            p.setPen(ink);
            p.drawText(QRectF(left + 4, rr.top() + 2, room, y - rr.top() - 4),
                       Qt::AlignLeft | Qt::AlignBottom, fm.elidedText(label, Qt::ElideRight, room));
        } else {
            // A self-message or a note: a small loop on the lifeline, the label to its right.
            p.setPen(QPen(ink, 1.6));
            p.setBrush(Qt::NoBrush);
            QPainterPath loop;
            loop.moveTo(x1, y - 9);
            loop.lineTo(x1 + 14, y - 9);
            loop.lineTo(x1 + 14, y);
            loop.lineTo(x1 + 2, y);
            p.drawPath(loop);
            p.setPen(ink);
            const int room = width() - int(x1) - 22;
            p.drawText(QRectF(x1 + 20, rr.top(), room, rr.height()), Qt::AlignLeft | Qt::AlignVCenter,
                       fm.elidedText(label, Qt::ElideRight, room));
        }
    }
}

} // namespace chronoscope
