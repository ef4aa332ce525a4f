#include "remote/openremotedialog.h"

#include "sources/remote/kurrentgrpc/connectionstring.h"
#include "sources/kafka/kafkatopics.h"
#include "sources/sourceregistry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QUrlQuery>
#include <QVBoxLayout>

namespace chronoscope {

namespace {

const char* kRecentKey = "remote/recent";

/// The URI as a QUrl, with a broker list (kafka://b1:9092,b2:9092/...) parsed on its first host; withHosts()
/// puts the others back.
QUrl parseUri(const QString& text, QString* extraHosts)
{
    return QUrl(singleHostUri(text.trimmed(), extraHosts));
}

QString withHosts(const QUrl& url, const QString& extraHosts)
{
    QString s = url.toString();
    if (extraHosts.isEmpty())
        return s;
    qsizetype to = s.indexOf(QLatin1String("://"));
    to = to < 0 ? s.size() : to + 3;
    while (to < s.size() && s[to] != u'/' && s[to] != u'?' && s[to] != u'#')
        ++to;
    return s.left(to) + extraHosts + s.mid(to);
}

} // namespace

OpenRemoteDialog::OpenRemoteDialog(QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Open Remote Store"));
    auto* layout = new QVBoxLayout(this);

    auto* where = new QFormLayout;
    m_uri = new QComboBox;
    m_uri->setEditable(true);
    m_uri->addItems(recentUris());
    m_uri->setCurrentText(QString());
    m_uri->lineEdit()->setPlaceholderText(QStringLiteral("postgresql://user@host/db, redis://host:6379/0, "
                                                         "kurrentdb://host:2113, eventsourcingdb://host:3000, "
                                                         "kafka://broker:9092/orders,payments"));
    m_uri->setToolTip(tr("kurrentdb:// (esdb://) ?tls=false&tlsCaFile=PATH, eventsourcingdb:// ?token=…, "
                         "postgresql:// ?schema=NAME, redis://host/DB, kafka://b1:9092,b2:9092/TOPICS "
                         "?security.protocol=SASL_SSL&stream=partition"));
    where->addRow(tr("&URI:"), m_uri);
    m_user = new QLineEdit;
    m_user->setPlaceholderText(tr("from the URI or $CHRONOSCOPE_USER"));
    where->addRow(tr("U&ser:"), m_user);
    m_password = new QLineEdit;
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("password or token (never saved)"));
    where->addRow(tr("&Password / token:"), m_password);
    layout->addLayout(where);

    auto* scopeBox = new QGroupBox(tr("What to read"));
    auto* scope = new QFormLayout(scopeBox);
    m_streams = new QLineEdit;
    m_streams->setPlaceholderText(tr("all streams; a glob such as order-* or /books/*"));
    scope->addRow(tr("S&treams:"), m_streams);
    m_since = new QLineEdit;
    m_since->setPlaceholderText(tr("2026-01-05T10:00:00Z"));
    scope->addRow(tr("S&ince:"), m_since);
    m_until = new QLineEdit;
    scope->addRow(tr("U&ntil:"), m_until);
    m_last = new QLineEdit;
    m_last->setPlaceholderText(tr("all; or only the newest N events"));
    scope->addRow(tr("&Last N events:"), m_last);
    m_follow = new QCheckBox(tr("&Follow new events (live tail)"));
    scope->addRow(m_follow);
    m_inPlace = new QCheckBox(tr("Explore in &place (nothing copied)"));
    m_inPlace->setToolTip(tr("PostgreSQL stores: the server counts and lists, only what is on screen comes over; "
                             "no copy of the store is made (docs/app.md, \"In place\")."));
    scope->addRow(m_inPlace);
    layout->addWidget(scopeBox);

    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
    m_ok = buttons->button(QDialogButtonBox::Open);
    m_test = buttons->addButton(tr("&Test connection"), QDialogButtonBox::ActionRole);
    m_topics = buttons->addButton(tr("T&opics…"), QDialogButtonBox::ActionRole);
    m_topics->setToolTip(tr("Kafka: pick topics from the cluster's list"));
    connect(m_topics, &QPushButton::clicked, this, &OpenRemoteDialog::pickTopics);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &OpenRemoteDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_test, &QPushButton::clicked, this, &OpenRemoteDialog::testConnection);
    for (QLineEdit* e : {m_uri->lineEdit(), m_user, m_password, m_streams, m_since, m_until, m_last})
        connect(e, &QLineEdit::textChanged, this, &OpenRemoteDialog::updateState);
    for (QCheckBox* c : {m_follow, m_inPlace})
        connect(c, &QCheckBox::toggled, this, &OpenRemoteDialog::updateState);
    updateState();
}

OpenRemoteDialog::~OpenRemoteDialog() = default;  // the tracker cancels a test in progress and waits for it

QString OpenRemoteDialog::uri() const
{
    const QString text = m_uri->currentText().trimmed();
    if (kurrent::isKurrentScheme(kurrent::schemeOf(text)))  // several hosts: not a URL
        return redactUri(kurrent::withCredentials(text, m_user->text(), {}));
    QString extra;
    QUrl url = parseUri(text, &extra);
    if (!m_user->text().isEmpty())
        url.setUserName(m_user->text());
    url.setPassword({});
    return withHosts(url, extra);
}

QString OpenRemoteDialog::uriWithSecret() const
{
    const QString text = m_uri->currentText().trimmed();
    if (kurrent::isKurrentScheme(kurrent::schemeOf(text))) {
        if (m_password->text().isEmpty())
            return kurrent::withCredentials(text, m_user->text(), {});
        kurrent::ConnectionSettings cs;
        QString ignored;
        const QString user = !m_user->text().isEmpty() ? m_user->text()
                             : kurrent::parseConnectionString(text, &cs, &ignored) ? cs.user : QString();
        return kurrent::withCredentials(text, user, m_password->text());
    }
    QString extra;
    QUrl url = parseUri(text, &extra);
    if (!m_user->text().isEmpty())
        url.setUserName(m_user->text());
    if (!m_password->text().isEmpty())
        url.setPassword(m_password->text());
    return withHosts(url, extra);
}

QString OpenRemoteDialog::openUri() const
{
    if (kurrent::isKurrentScheme(kurrent::schemeOf(uriWithSecret()))) {
        const RemoteScope s = scope();
        QList<QPair<QString, QString>> items;
        if (!s.streams.isEmpty())
            items.append({QStringLiteral("streams"), s.streams});
        if (s.since != kNoTime)
            items.append({QStringLiteral("since"), formatTime(s.since)});
        if (s.until != kNoTime)
            items.append({QStringLiteral("until"), formatTime(s.until)});
        if (s.last >= 0)
            items.append({QStringLiteral("last"), QString::number(s.last)});
        return kurrent::withQueryItems(uriWithSecret(),
                                       {QStringLiteral("streams"), QStringLiteral("since"), QStringLiteral("until"),
                                        QStringLiteral("last")},
                                       items);
    }
    QString extra;
    QUrl url = parseUri(uriWithSecret(), &extra);
    QUrlQuery q(url);
    const RemoteScope s = scope();
    for (const char* k : {"streams", "since", "until", "last"})
        q.removeAllQueryItems(QLatin1String(k));
    if (!s.streams.isEmpty())
        q.addQueryItem(QStringLiteral("streams"), s.streams);
    if (s.since != kNoTime)
        q.addQueryItem(QStringLiteral("since"), formatTime(s.since));
    if (s.until != kNoTime)
        q.addQueryItem(QStringLiteral("until"), formatTime(s.until));
    if (s.last >= 0)
        q.addQueryItem(QStringLiteral("last"), QString::number(s.last));
    url.setQuery(q);
    return withHosts(url, extra);
}

RemoteScope OpenRemoteDialog::scope() const
{
    QHash<QString, QString> params{{QStringLiteral("streams"), m_streams->text()},
                                   {QStringLiteral("since"), m_since->text()},
                                   {QStringLiteral("until"), m_until->text()},
                                   {QStringLiteral("last"), m_last->text()}};
    RemoteScope s;
    QString error;
    RemoteScope::fromParams(params, &s, &error);
    return s;
}

bool OpenRemoteDialog::follow() const
{
    return m_follow->isChecked();
}

bool OpenRemoteDialog::inPlace() const
{
    return m_inPlace->isChecked() && m_inPlace->isEnabled();
}

void OpenRemoteDialog::setInPlace(bool on)
{
    m_inPlace->setChecked(on);
}

QString OpenRemoteDialog::inPlaceUri() const
{
    QString extra;
    QUrl url = parseUri(openUri(), &extra);
    QUrlQuery q(url);
    q.removeAllQueryItems(QStringLiteral("mode"));
    q.addQueryItem(QStringLiteral("mode"), QStringLiteral("inplace"));
    url.setQuery(q);
    return withHosts(url, extra);
}

QString OpenRemoteDialog::validationError() const
{
    const QString text = m_uri->currentText().trimmed();
    if (text.isEmpty())
        return tr("Enter the URI of the store.");
    kurrent::ConnectionSettings cs;
    QString why;
    if (kurrent::isKurrentScheme(kurrent::schemeOf(text))) {
        if (!kurrent::parseConnectionString(text, &cs, &why))
            return tr("Not a valid KurrentDB connection string: %1").arg(why);
    } else {
        const QUrl url = parseUri(text, nullptr);
        if (!url.isValid() || url.host().isEmpty() || !isRemoteScheme(url.scheme()))
            return tr("Not a remote store URI: use kurrentdb://, esdb://, eventsourcingdb://, postgresql://, redis:// "
                      "or kafka://.");
    }
    QHash<QString, QString> params{{QStringLiteral("streams"), m_streams->text()},
                                   {QStringLiteral("since"), m_since->text()},
                                   {QStringLiteral("until"), m_until->text()},
                                   {QStringLiteral("last"), m_last->text()}};
    RemoteScope s;
    QString error;
    if (!RemoteScope::fromParams(params, &s, &error))
        return error.replace(QStringLiteral("--"), QString());
    if (inPlace() && (s.last >= 0 || m_follow->isChecked()))
        return tr("In place shows the whole store as it is: leave \"Last N events\" empty and \"Follow\" off.");
    return {};
}

void OpenRemoteDialog::updateState()
{
    const QString scheme = m_uri->currentText().trimmed().section(QLatin1Char(':'), 0, 0).toLower();
    m_inPlace->setEnabled(scheme == u"postgresql" || scheme == u"postgres");
    const QString error = validationError();
    m_ok->setEnabled(error.isEmpty());
    m_test->setEnabled(error.isEmpty() && !testing());
    m_topics->setVisible(m_uri->currentText().trimmed().startsWith(QLatin1String("kafka://"), Qt::CaseInsensitive));
    m_topics->setEnabled(error.isEmpty() && !testing());
    if (!testing())
        m_status->setText(error);
}

void OpenRemoteDialog::testConnection()
{
    if (testing() || !validationError().isEmpty())
        return;
    m_status->setText(tr("Connecting to %1…").arg(redactUri(uri())));
    m_test->setEnabled(false);
    const QString target = uriWithSecret();
    // connect() blocks (network, timeouts): it runs as a job on a thread of its own; the dialog stays responsive.
    m_testId = m_testJobs.start(
        JobTracker::NoLane,
        [target](const JobHandle& job) -> std::pair<bool, QString> {
            RemoteEndpoint ep;
            ep.cancel = job.token();
            QString error;
            if (!RemoteEndpoint::parse(target, &ep, &error))
                return {false, error};
            auto client = createRemoteClient(ep, &error);
            if (client && client->connect(&error))
                return {true, client->describe()};
            return {false, error};
        },
        [this](quint64, const std::pair<bool, QString>& result) {
            const QString message = result.first ? tr("Connected: %1").arg(result.second) : result.second;
            m_status->setText(message);
            m_test->setEnabled(validationError().isEmpty());
            Q_EMIT testFinished(result.first, message);
        });
}

void OpenRemoteDialog::pickTopics()
{
    if (testing() || !validationError().isEmpty())
        return;
    m_status->setText(tr("Listing the topics of %1…").arg(redactUri(uri())));
    m_topics->setEnabled(false);
    const QString target = uriWithSecret();
    using Topics = std::tuple<bool, QList<KafkaTopicInfo>, QString>;
    // Listing asks the cluster's metadata (network, timeouts): a job on the dialog's own thread, like the test.
    m_testId = m_testJobs.start(
        JobTracker::NoLane,
        [target](const JobHandle&) -> Topics {
            QList<KafkaTopicInfo> topics;
            QString error;
            const bool ok = listKafkaTopics(target, &topics, &error);
            return {ok, topics, error};
        },
        [this](quint64, const Topics& result) {
        m_testId = 0;
        updateState();
        const auto& [ok, topics, error] = result;
        if (!ok) {
            m_status->setText(error);
            return;
        }
        m_status->clear();
        // The picker: one checkable row per topic, the ones already in the URI checked.
        QString extra;
        QUrl url = parseUri(m_uri->currentText(), &extra);
        const QStringList current = url.path().mid(1).split(u',', Qt::SkipEmptyParts);
        QDialog picker(this);
        picker.setWindowTitle(tr("Kafka topics"));
        auto* layout = new QVBoxLayout(&picker);
        auto* list = new QListWidget;
        for (const KafkaTopicInfo& t : topics) {
            QString text = tr("%1 — %n partition(s)", nullptr, t.partitions).arg(t.name);
            if (!t.error.isEmpty())
                text += QStringLiteral(", ") + t.error;
            else if (t.messages >= 0)
                text += tr(", %n message(s)", nullptr, int(std::min<qint64>(t.messages, INT_MAX)));
            auto* item = new QListWidgetItem(text, list);
            item->setData(Qt::UserRole, t.name);
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(current.contains(t.name) ? Qt::Checked : Qt::Unchecked);
        }
        layout->addWidget(list);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
        connect(buttons, &QDialogButtonBox::accepted, &picker, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &picker, &QDialog::reject);
        layout->addWidget(buttons);
        if (picker.exec() != QDialog::Accepted)
            return;
        QStringList picked;
        for (int i = 0; i < list->count(); ++i)
            if (list->item(i)->checkState() == Qt::Checked)
                picked << list->item(i)->data(Qt::UserRole).toString();
        url.setPath(u'/' + picked.join(u','));
        m_uri->setCurrentText(withHosts(url, extra));
    });
    updateState();
}

void OpenRemoteDialog::setUri(const QString& uri)
{
    m_uri->setCurrentText(uri);
}

QStringList OpenRemoteDialog::recentUris()
{
    return QSettings().value(QLatin1String(kRecentKey)).toStringList();
}

void OpenRemoteDialog::rememberUri(const QString& uri)
{
    const QString safe = redactUri(uri);
    QStringList recent = recentUris();
    recent.removeAll(safe);
    recent.prepend(safe);
    QSettings().setValue(QLatin1String(kRecentKey), recent.mid(0, 10));
}

void OpenRemoteDialog::accept()
{
    if (!validationError().isEmpty())
        return;
    rememberUri(uri());
    QDialog::accept();
}

} // namespace chronoscope
