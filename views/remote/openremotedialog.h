#pragma once
// "Open Remote…": URI, credentials, scope and a Test connection button. The password lives only in the
// widgets and in uriWithSecret() (memory); the recent list keeps redacted URIs.

#include "sources/remote/remoteclient.h"
#include "util/jobtracker.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace chronoscope {

class OpenRemoteDialog : public QDialog
{
    Q_OBJECT
public:
    explicit OpenRemoteDialog(QWidget* parent = nullptr);
    ~OpenRemoteDialog() override;

    /// The URI as typed, with the user field merged in (no password).
    QString uri() const;
    /// The URI with user and password: for opening only, never to be stored or shown.
    QString uriWithSecret() const;
    RemoteScope scope() const;
    /// uriWithSecret() with the scope as query items (streams, since, until, last): what openSource() and
    /// the app's open job take, since remote sources read their scope from the URI too.
    QString openUri() const;
    bool follow() const;
    /// "Explore in place (nothing copied)": PostgreSQL stores only; the store is then opened in the in-place
    /// window (views/inplace) with openUri() + mode=inplace (inPlaceUri()), not read into the cache.
    bool inPlace() const;
    void setInPlace(bool on);
    QString inPlaceUri() const;
    /// Empty when the form is valid; else what is wrong (also shown in the dialog).
    QString validationError() const;

    void setUri(const QString& uri);
    /// Recent URIs (redacted), newest first, from QSettings "remote/recent".
    static QStringList recentUris();
    /// Adds a URI (redacted before it is stored) to the recent list.
    static void rememberUri(const QString& uri);

    /// Kafka: lists the cluster's topics (with partition and message counts) and lets the user pick some;
    /// the picked topics become the URI's path. Also what the Topics button does.
    void pickTopics();

    /// Starts the connection test (also what the button does); testFinished reports the result.
    void testConnection();
    /// Remembers the URI (redacted) and closes, when the form is valid.
    void accept() override;

Q_SIGNALS:
    void testFinished(bool ok, const QString& message);

private:
    void updateState();

    QComboBox* m_uri;
    QLineEdit* m_user;
    QLineEdit* m_password;
    QLineEdit* m_streams;
    QLineEdit* m_since;
    QLineEdit* m_until;
    QLineEdit* m_last;
    QCheckBox* m_follow;
    QCheckBox* m_inPlace;
    QLabel* m_status;
    QPushButton* m_test;
    QPushButton* m_topics;
    QPushButton* m_ok;
    bool testing() const { return m_testId && m_testJobs.isCurrent(m_testId); }
    quint64 m_testId = 0;
    JobTracker m_testJobs{this, JobTracker::Threads::Dedicated, QStringLiteral("connection test")};  ///< last: ends first
};

} // namespace chronoscope
