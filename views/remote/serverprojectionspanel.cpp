#include "remote/serverprojectionspanel.h"

#include "diff/jsondiff.h"
#include "projection/jsprojection.h"
#include "projection/statecompare.h"
#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/remote/kurrentgrpc/kurrentgrpc.h"
#include "sources/sourceregistry.h"
#include "store/eventreader.h"
#include "json/jsonvalue.h"

#include <QElapsedTimer>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace chronoscope {

namespace {

enum Lane { ListLane, StateLane, CompareLane };

struct Listing
{
    QList<kurrent::ServerProjection> projections;
    QString error;
};

struct StateAnswer
{
    QByteArray json;
    QString error;
};

struct CompareAnswer
{
    bool ok = false;
    QString error;
    QString checkpoint;
    StateCompareResult result;
};

QString valueText(const QJsonValue& v)
{
    return v.isUndefined() ? QStringLiteral("(absent)") : QString::fromUtf8(toJsonText(v));
}

} // namespace

ServerProjectionsPanel::ServerProjectionsPanel(QWidget* parent)
    : QWidget(parent), m_status(new QLabel(this)), m_refresh(new QPushButton(tr("Refresh"), this)),
      m_list(new QTreeWidget(this)), m_partition(new QLineEdit(this)),
      m_state(new QPushButton(tr("State"), this)), m_result(new QPushButton(tr("Result"), this)),
      m_script(new QLineEdit(this)), m_browse(new QPushButton(tr("…"), this)),
      m_compare(new QPushButton(tr("Compare with local"), this)), m_progress(new QProgressBar(this)),
      m_cancel(new QPushButton(tr("Cancel"), this)), m_output(new QPlainTextEdit(this)),
      m_diff(new QTreeWidget(this)), m_jobs(this, JobTracker::Threads::Shared)
{
    setObjectName(QStringLiteral("serverProjections"));
    m_status->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("serverProjectionsStatus"));
    m_list->setObjectName(QStringLiteral("serverProjectionsList"));
    m_list->setRootIsDecorated(false);
    m_list->setHeaderLabels({tr("Name"), tr("Mode"), tr("Status"), tr("Position"), tr("Progress")});
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_partition->setObjectName(QStringLiteral("serverProjectionsPartition"));
    m_partition->setPlaceholderText(tr("partition (empty: the only one)"));
    m_script->setObjectName(QStringLiteral("serverProjectionsScript"));
    m_script->setPlaceholderText(tr("the projection's JavaScript (FILE.js)"));
    m_browse->setToolTip(tr("Choose the projection's JavaScript file"));
    m_compare->setToolTip(
        tr("Replay the JavaScript locally up to the server's checkpoint and show where the "
           "server's state differs, each difference blamed on the local event that set it"));
    m_progress->setObjectName(QStringLiteral("serverProjectionsProgress"));
    m_cancel->setObjectName(QStringLiteral("serverProjectionsCancel"));
    m_output->setObjectName(QStringLiteral("serverProjectionsOutput"));
    m_output->setReadOnly(true);
    m_output->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_diff->setObjectName(QStringLiteral("serverProjectionsDiff"));
    m_diff->setRootIsDecorated(false);
    m_diff->setHeaderLabels({tr("Op"), tr("Path"), tr("Local"), tr("Server"), tr("Last set locally by")});
    m_diff->setToolTip(tr("Double-click a row to move the cursor to the event that set the local value"));

    auto* top = new QHBoxLayout;
    top->addWidget(m_status, 1);
    top->addWidget(m_refresh);
    auto* stateRow = new QHBoxLayout;
    stateRow->addWidget(m_partition, 1);
    stateRow->addWidget(m_state);
    stateRow->addWidget(m_result);
    auto* compareRow = new QHBoxLayout;
    compareRow->addWidget(m_script, 1);
    compareRow->addWidget(m_browse);
    compareRow->addWidget(m_compare);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_list);
    split->addWidget(m_output);
    split->addWidget(m_diff);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);
    layout->addLayout(stateRow);
    layout->addLayout(compareRow);
    layout->addLayout(progressRow);

    connect(m_refresh, &QPushButton::clicked, this, &ServerProjectionsPanel::refresh);
    connect(m_state, &QPushButton::clicked, this, [this] { showState(false); });
    connect(m_result, &QPushButton::clicked, this, [this] { showState(true); });
    connect(m_compare, &QPushButton::clicked, this, &ServerProjectionsPanel::compare);
    connect(m_cancel, &QPushButton::clicked, this, &ServerProjectionsPanel::cancelCompare);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Projection JavaScript"), m_script->text(),
                                                       tr("JavaScript (*.js);;All files (*)"));
        if (!f.isEmpty()) m_script->setText(f);
    });
    connect(m_list, &QTreeWidget::itemSelectionChanged, this, &ServerProjectionsPanel::updateButtons);
    connect(m_script, &QLineEdit::textChanged, this, &ServerProjectionsPanel::updateButtons);
    connect(m_diff, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item) {
        const qint64 position = item->data(4, Qt::UserRole).toLongLong();
        if (position > 0) Q_EMIT eventActivated(position);
    });
    setConnection({});
}

ServerProjectionsPanel::~ServerProjectionsPanel() = default;

void ServerProjectionsPanel::setConnection(const QString& uri)
{
    m_jobs.cancelAll();
    m_uri = uri;
    m_list->clear();
    m_output->clear();
    m_diff->clear();
    setBusy(false);
    if (m_uri.isEmpty()) {
        m_status->setText(
            tr("Open a KurrentDB server over gRPC (File ▸ Open Remote, kurrentdb://…) to see its "
               "projections."));
        updateButtons();
        return;
    }
    refresh();
}

void ServerProjectionsPanel::refresh()
{
    if (m_uri.isEmpty()) return;
    const QString display = kurrent::redactConnectionString(m_uri);
    m_status->setText(tr("Asking %1 for its projections…").arg(display));
    m_jobs.start(
        ListLane,
        [uri = m_uri](const JobHandle&) {
            Listing l;
            kurrent::listProjections(uri, &l.projections, &l.error);
            return l;
        },
        [this, display](quint64, const Listing& l) {
            const QString keep = selectedName();
            m_list->clear();
            if (!l.error.isEmpty()) {
                m_status->setText(l.error);
                updateButtons();
                Q_EMIT listed(0, l.error);
                return;
            }
            for (const kurrent::ServerProjection& p : l.projections) {
                auto* item = new QTreeWidgetItem(m_list, {p.name, p.mode, p.status, p.position,
                                                          QStringLiteral("%1 %").arg(double(p.progress))});
                item->setToolTip(2, p.stateReason);
                item->setToolTip(3, tr("last checkpoint %1").arg(p.lastCheckpoint));
                if (p.name == keep) item->setSelected(true);
            }
            if (!m_list->selectedItems().isEmpty())
                m_list->setCurrentItem(m_list->selectedItems().first());
            else if (m_list->topLevelItemCount() > 0)
                m_list->setCurrentItem(m_list->topLevelItem(0));
            const qsizetype n = l.projections.size();
            m_status->setText(
                (n == 1 ? tr("1 projection on %1") : tr("%1 projections on %2").arg(n)).arg(display));
            updateButtons();
            Q_EMIT listed(int(l.projections.size()), {});
        });
}

QString ServerProjectionsPanel::selectedName() const
{
    const QTreeWidgetItem* item = m_list->currentItem();
    return item ? item->text(0) : QString();
}

void ServerProjectionsPanel::showState(bool result)
{
    const QString name = selectedName();
    if (m_uri.isEmpty() || name.isEmpty()) return;
    const QString partition = m_partition->text();
    m_output->setPlainText(result ? tr("Asking for the result of %1…").arg(name)
                                  : tr("Asking for the state of %1…").arg(name));
    m_jobs.start(
        StateLane,
        [uri = m_uri, name, partition, result](const JobHandle&) {
            StateAnswer a;
            kurrent::projectionState(uri, name, partition, result, &a.json, &a.error);
            return a;
        },
        [this, name, partition, result](quint64, const StateAnswer& a) {
            if (!a.error.isEmpty()) {
                m_output->setPlainText(a.error);
            } else {
                const QString what = result ? tr("result") : tr("state");
                const QString where = partition.isEmpty() ? QString() : tr(", partition %1").arg(partition);
                // The server's own text (numbers as it sent them), only indented.
                m_output->setPlainText(QStringLiteral("// %1 of %2%3\n").arg(what, name, where) +
                                       QString::fromUtf8(toJsonTextIndented(parseJsonValue(a.json))));
            }
            Q_EMIT stateShown(a.error);
        });
}

void ServerProjectionsPanel::compare()
{
    const QString name = selectedName();
    const QString script = m_script->text().trimmed();
    if (m_uri.isEmpty() || name.isEmpty() || script.isEmpty()) return;
    const QString partition = m_partition->text();
    m_diff->clear();
    m_output->setPlainText(tr("Comparing %1 with a local replay of %2…").arg(name, script));
    setBusy(true);
    m_progress->setRange(0, 0);
    m_compareId = m_jobs.start(
        CompareLane,
        [uri = m_uri, cacheDir = m_cacheDir, name, partition, script, this](const JobHandle& h) {
            CompareAnswer a;
            // Progress is posted at most every 50 ms (the window repaints, the work does not wait).
            auto clock = std::make_shared<QElapsedTimer>();
            clock->start();
            auto report = [h, this, clock](qint64 done, qint64 total, const QString& what) {
                if (clock->elapsed() < 50 && done != total) return;
                clock->restart();
                h.post([this, done, total, what] {
                    m_progress->setRange(0, total > 0 ? 1000 : 0);
                    if (total > 0) m_progress->setValue(int(std::min<qint64>(done * 1000 / total, 1000)));
                    m_progress->setFormat(what);
                    m_progress->setTextVisible(true);
                    m_progress->setToolTip(what);
                });
            };
            kurrent::ServerCheckpoint server;
            if (!kurrent::fetchCheckpoint(uri, name, partition, &server, &a.error)) return a;
            a.checkpoint = kurrent::checkpointText(server.projection);
            ProjectionError perr;
            auto js = JsProjection::fromFile(script, ProjectionLimits{}, &perr);
            if (!js) {
                a.error = perr.message;
                return a;
            }
            // The read and the replay overlap (kurrent::CheckpointRead); its progress comes on this thread.
            kurrent::CheckpointRead read(uri, server.position, cacheDir, h.token(), report);
            auto reader = read.open(&a.error);
            if (h.isCancelled()) {
                a.error = QStringLiteral("cancelled");
                return a;
            }
            if (!reader) return a;
            StateCompareOptions o;
            if (!partition.isEmpty()) o.partition = partition;
            o.growing = [&read](qint64 after, qint64* have, QString* why) {
                return read.wait(after, have, why);
            };
            if (!compareProjectionState(js.get(), reader.get(), server.position, server.state, o, &a.result,
                                        &perr, h.token(), report)) {
                a.error = perr.kind == ProjectionError::Cancelled || h.isCancelled()
                              ? QStringLiteral("cancelled")
                              : perr.message;
                return a;
            }
            if (a.result.needsPartition) {
                a.error = tr("%1 is partitioned: give the partition to compare (the server's states are per "
                             "partition)")
                              .arg(script);
                return a;
            }
            a.ok = true;
            return a;
        },
        [this, name](quint64, const CompareAnswer& a) {
            setBusy(false);
            if (!a.ok) {
                m_output->setPlainText(a.error == u"cancelled" ? tr("The comparison was cancelled.")
                                                               : a.error);
                Q_EMIT compareFinished(false, false, a.error);
                return;
            }
            const StateCompareResult& r = a.result;
            QString text = r.agree ? tr("%1: the server's state and the local replay agree at checkpoint %2 "
                                        "(position %3).")
                                         .arg(name, a.checkpoint)
                                         .arg(r.position)
                                   : tr("%1: %2 at checkpoint %3 (position %4), from the local state to the "
                                        "server's:")
                                         .arg(name,
                                              r.patch.size() == 1 ? tr("1 difference")
                                                                  : tr("%1 differences").arg(r.patch.size()),
                                              a.checkpoint)
                                         .arg(r.position);
            text += QStringLiteral("\n\n// local\n") + QString::fromUtf8(toJsonTextIndented(r.local)) +
                    QStringLiteral("\n// server\n") + QString::fromUtf8(toJsonTextIndented(r.server));
            m_output->setPlainText(text);
            for (int i = 0; i < r.patch.size(); ++i) {
                const QJsonObject op = r.patch.at(i).toObject();
                const QString path = op.value(QStringLiteral("path")).toString();
                const QJsonValue localValue =
                    valueAtPointer(r.local, path).value_or(QJsonValue(QJsonValue::Undefined));
                auto* item = new QTreeWidgetItem(m_diff, {op.value(QStringLiteral("op")).toString(), path,
                                                          valueText(localValue),
                                                          valueText(op.value(QStringLiteral("value")))});
                if (i < r.blames.size()) {
                    const StateCompareBlame& b = r.blames.at(i);
                    if (b.found) {
                        item->setText(4, tr("%1 @%2 %3 (position %4)")
                                             .arg(b.event.stream)
                                             .arg(b.event.version)
                                             .arg(b.event.type)
                                             .arg(b.event.position));
                        item->setData(4, Qt::UserRole, b.event.position);
                    } else {
                        item->setText(4, b.error.isEmpty() ? tr("no event ($init or never set)") : b.error);
                    }
                } else {
                    item->setText(4, tr("(not blamed: more than %1 differences)").arg(r.blames.size()));
                }
            }
            Q_EMIT compareFinished(true, r.agree, {});
        });
}

void ServerProjectionsPanel::cancelCompare()
{
    // interrupt, not cancel: the job still answers, so the panel says "cancelled" and leaves the busy state.
    if (m_compareId) m_jobs.interrupt(m_compareId);
}

bool ServerProjectionsPanel::isBusy() const
{
    return m_compareId && m_jobs.isCurrent(m_compareId);
}

void ServerProjectionsPanel::setBusy(bool busy)
{
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    if (!busy) {
        m_progress->reset();
        m_progress->setFormat(QString());
    }
    updateButtons();
}

void ServerProjectionsPanel::updateButtons()
{
    const bool have = !m_uri.isEmpty() && !selectedName().isEmpty();
    m_refresh->setEnabled(!m_uri.isEmpty());
    m_state->setEnabled(have);
    m_result->setEnabled(have);
    m_compare->setEnabled(have && !m_script->text().trimmed().isEmpty() && !m_cancel->isVisible());
}

} // namespace chronoscope
