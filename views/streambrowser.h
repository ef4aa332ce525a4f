#pragma once
// The stream browser dock's contents: a search box (glob or regular expression), the streams grouped by
// category, a pin button. Selecting streams chooses the timeline's lanes; pinned streams always stay.

#include "timelineindex.h"

#include <QWidget>

#include <functional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;
class QTreeView;

namespace chronoscope {

class ReplayController;
class StreamFilterProxy;
class StreamTreeModel;

class StreamBrowser : public QWidget
{
    Q_OBJECT
public:
    explicit StreamBrowser(ReplayController* controller, QWidget* parent = nullptr);

    /// A different store: pins, selection and expansion start over.
    void setIndex(std::shared_ptr<const TimelineIndex> index);
    /// The same store, grown (a live tail). New streams apply at once (they renumber lanes) keeping pins,
    /// selection and expanded categories; otherwise counts and times refresh at most twice a second.
    /// `change`: what TimelineIndex::append() added to the same index (only those lanes are looked at).
    void updateIndex(std::shared_ptr<const TimelineIndex> index, const TimelineAppend& change = {});
    static constexpr int kUpdateIntervalMs = 500;
    /// The lanes the timeline should show: pinned first, then the selection (or, with no selection,
    /// every stream the search matches). Empty: all streams.
    QList<int> lanes() const;
    QList<int> pinnedLanes() const;

    QLineEdit* searchBox() const { return m_search; }
    QTreeView* view() const { return m_view; }
    StreamTreeModel* model() const { return m_model; }

public Q_SLOTS:
    void setPattern(const QString& pattern, bool regex);
    /// Selects one stream (as a click would).
    void selectStream(const QString& stream);
    void togglePinSelected();
    void clearSelection();

Q_SIGNALS:
    void lanesChanged(const QList<int>& lanes, const QList<int>& pinned);

private:
    void applyFilter();
    void emitLanes();
    void applyPendingIndex();
    /// Runs `change` (a reset, or another model shown) keeping selection, current stream and expansion by name.
    void keepingView(const std::function<void()>& change);
    /// The model itself when it shows what is wanted (no filter, name ascending), otherwise the proxy.
    void chooseModel();
    void connectSelection();
    QModelIndex toView(const QModelIndex& source) const;
    QModelIndex toSource(const QModelIndex& shown) const;
    bool newLanesShown(const TimelineIndex& index, const QList<int>& newLanes) const;

    ReplayController* m_controller;
    StreamTreeModel* m_model;
    StreamFilterProxy* m_proxy;
    QLineEdit* m_search;
    QCheckBox* m_regex;
    QLabel* m_status;
    QTreeView* m_view;
    QPushButton* m_pin;
    QPushButton* m_showAll;
    QTimer* m_throttle;
    std::shared_ptr<const TimelineIndex> m_pending;
    TimelineAppend m_pendingChange;  ///< grown in place: the lanes with new events not yet shown
    bool m_updating = false;
};

} // namespace chronoscope
