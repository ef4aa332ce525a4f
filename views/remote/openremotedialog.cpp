#include "remote/openremotedialog.h"

#include "sources/sourceregistry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QUrlQuery>
#include <QVBoxLayout>

namespace chronoscope {

namespace {

const char* kRecentKey = "remote/recent";

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
                                                         "kurrentdb://host:2113, eventsourcingdb://host:3000"));
    m_uri->setToolTip(tr("kurrentdb:// (esdb://) ?tls=false&tlsCaFile=PATH, eventsourcingdb:// ?token=…, "
                         "postgresql:// ?schema=NAME, redis://host/DB"));
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
    layout->addWidget(scopeBox);

    m_status = new QLabel;
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);
    m_ok = buttons->button(QDialogButtonBox::Open);
    m_test = buttons->addButton(tr("&Test connection"), QDialogButtonBox::ActionRole);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &OpenRemoteDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_test, &QPushButton::clicked, this, &OpenRemoteDialog::testConnection);
    for (QLineEdit* e : {m_uri->lineEdit(), m_user, m_password, m_streams, m_since, m_until, m_last})
        connect(e, &QLineEdit::textChanged, this, &OpenRemoteDialog::updateState);
    updateState();
}

OpenRemoteDialog::~OpenRemoteDialog() = default;  // the tracker cancels a test in progress and waits for it

QString OpenRemoteDialog::uri() const
{
    QUrl url(m_uri->currentText().trimmed());
    if (!m_user->text().isEmpty())
        url.setUserName(m_user->text());
    url.setPassword({});
    return url.toString();
}

QString OpenRemoteDialog::uriWithSecret() const
{
    QUrl url(m_uri->currentText().trimmed());
    if (!m_user->text().isEmpty())
        url.setUserName(m_user->text());
    if (!m_password->text().isEmpty())
        url.setPassword(m_password->text());
    return url.toString();
}

QString OpenRemoteDialog::openUri() const
{
    QUrl url(uriWithSecret());
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
    return url.toString();
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

QString OpenRemoteDialog::validationError() const
{
    const QString text = m_uri->currentText().trimmed();
    if (text.isEmpty())
        return tr("Enter the URI of the store.");
    const QUrl url(text);
    if (!url.isValid() || url.host().isEmpty() || !isRemoteScheme(url.scheme()))
        return tr("Not a remote store URI: use kurrentdb://, esdb://, eventsourcingdb://, postgresql:// or redis://.");
    QHash<QString, QString> params{{QStringLiteral("streams"), m_streams->text()},
                                   {QStringLiteral("since"), m_since->text()},
                                   {QStringLiteral("until"), m_until->text()},
                                   {QStringLiteral("last"), m_last->text()}};
    RemoteScope s;
    QString error;
    if (!RemoteScope::fromParams(params, &s, &error))
        return error.replace(QStringLiteral("--"), QString());
    return {};
}

void OpenRemoteDialog::updateState()
{
    const QString error = validationError();
    m_ok->setEnabled(error.isEmpty());
    m_test->setEnabled(error.isEmpty() && !testing());
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
