#pragma once
// "Server Projections": the projections of the KurrentDB server the window has open over gRPC (name, mode,
// status, position, progress), a projection's state or result for a partition, and the server-vs-local
// comparison: the projection's JavaScript replayed locally up to the server's checkpoint, the RFC 6902
// patch from the local state to the server's, each path blamed on the local side. Every server call and the
// comparison run on a JobTracker (util/jobtracker.h), so the window never waits; the comparison shows its
// progress and stops on Cancel. Read-only, like everything that talks to a server. The connection string
// (with its secret) lives in memory only; the panel shows the redacted one.

#include "util/jobtracker.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTreeWidget;

namespace chronoscope {

class ServerProjectionsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ServerProjectionsPanel(QWidget* parent = nullptr);
    ~ServerProjectionsPanel() override;

    /// The server to ask (a kurrentdb:// or esdb:// connection string, secret included); empty: none. Lists
    /// its projections at once.
    void setConnection(const QString& uri);
    bool hasConnection() const { return !m_uri.isEmpty(); }
    /// Where the comparison's events are read to (the window's cache root; empty: the default one).
    void setCacheDir(const QString& dir) { m_cacheDir = dir; }

    /// Lists the server's projections again.
    void refresh();
    /// Shows the selected projection's state (or result) for the partition in the partition field.
    void showState(bool result);
    /// Compares the selected projection with a local replay of the script in the script field.
    void compare();
    void cancelCompare();
    bool isBusy() const;

Q_SIGNALS:
    void listed(int count, const QString& error);
    void stateShown(const QString& error);
    /// ok: the comparison ran (agree tells the outcome); else error ("cancelled" when cancelled).
    void compareFinished(bool ok, bool agree, const QString& error);
    /// A blamed event was activated (double click): the window moves its cursor there.
    void eventActivated(qint64 position);

private:
    QString selectedName() const;
    void setBusy(bool busy);
    void updateButtons();

    QString m_uri;
    QString m_cacheDir;
    QLabel* m_status;
    QPushButton* m_refresh;
    QTreeWidget* m_list;
    QLineEdit* m_partition;
    QPushButton* m_state;
    QPushButton* m_result;
    QLineEdit* m_script;
    QPushButton* m_browse;
    QPushButton* m_compare;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QPlainTextEdit* m_output;
    QTreeWidget* m_diff;
    quint64 m_compareId = 0;
    JobTracker m_jobs; ///< last: its destructor cancels and waits for the jobs, which use nothing of this
};

} // namespace chronoscope
