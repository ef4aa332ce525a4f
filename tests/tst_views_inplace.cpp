// The in-place window (views/inplace) against a real PostgreSQL 15 with the real Message DB on loopback
// (tests/fixtures/remote_postgres.sh), messages written through Message DB's own write_message: the strip's
// bins equal the server's density, lanes hold their streams' events, stepping follows positions, the filter
// lists what the store's search returns, the state at the cursor equals the replay engine's on a local
// copy of the same events, stale answers are dropped, a server gone mid-session says so without a crash.

#include "inplace/inplacemodels.h"
#include "inplace/inplacetimeline.h"
#include "inplace/inplacewindow.h"
#include "jsontreemodel.h"
#include "remote/openremotedialog.h"
#include "stateinspector.h"

#include "json/jsonvalue.h"
#include "replay/replayengine.h"
#include "sources/nativeinplace.h"
#include "sources/remote/remoteclient.h"
#include "sources/sourceregistry.h"
#include "store/storewriter.h"

#include "fixtures/remotefixture.h"

#include <QLabel>
#include <QMutex>
#include <QScrollBar>
#include <QTreeView>
#include <QLineEdit>
#include <QPainter>
#include <QSemaphore>
#include <QSet>
#include <QSettings>
#include <QStandardPaths>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTableView>
#include <QTest>
#include <QTreeView>

#include <libpq-fe.h>

#include <atomic>

using namespace chronoscope;

namespace {
/// Held shut until the test opens it (then it stays open): a worker call waits on it.
struct Gate
{
    QSemaphore sem;
    std::atomic<int> entered{0};
    void pass()
    {
        ++entered;
        sem.acquire();
        sem.release();
    }
    void open() { sem.release(); }
};

/// A real native store in place whose lane ticks and/or exact density wait on a gate (the slow store of a
/// first open, held as long as the test wants).
class GatedSource : public NativeInPlaceSource
{
public:
    GatedSource(const QString& path, std::shared_ptr<Gate> lanes, std::shared_ptr<Gate> density)
        : NativeInPlaceSource(path, {}), m_lanes(std::move(lanes)), m_density(std::move(density))
    {
    }
    bool lanesTicks(const QStringList& streams, qint64 from, qint64 to, int limit, QList<RemoteLaneTicks>* out,
                    QString* error) override
    {
        if (m_lanes)
            m_lanes->pass();
        return NativeInPlaceSource::lanesTicks(streams, from, to, limit, out, error);
    }
    bool density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override
    {
        if (m_density)
            m_density->pass();
        return NativeInPlaceSource::density(from, to, bins, out, error);
    }

private:
    std::shared_ptr<Gate> m_lanes, m_density;
};
/// A real native store whose whole-store density comes only as an estimate and, with `failExact`, whose exact
/// counts fail the way a server's statement timeout does (the exact pass over a 20M-message Message DB stopped
/// by the 30 s timeout).
class EstimateOnlySource : public NativeInPlaceSource
{
public:
    EstimateOnlySource(const QString& path, bool failExact) : NativeInPlaceSource(path, {}), m_failExact(failExact) {}
    bool estimatedDensity(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override
    {
        if (!NativeInPlaceSource::density(from, to, bins, out, error))
            return false;
        out->estimated = true;
        return true;
    }
    bool density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override
    {
        if (m_failExact) {
            *error = QStringLiteral("the query took too long and was stopped (more than 30 s)");
            return false;
        }
        return NativeInPlaceSource::density(from, to, bins, out, error);
    }

private:
    bool m_failExact;
};

/// A real native store in place that counts the category tree's calls (which category's streams were asked
/// for, how many counts) and can refuse categories (a layout without them).
class CountingTreeSource : public NativeInPlaceSource
{
public:
    struct Calls
    {
        std::atomic<int> categories{0}, counts{0};
        QMutex lock;
        QStringList streamsAskedFor; ///< one entry per categoryStreams call
    };
    CountingTreeSource(const QString& path, std::shared_ptr<Calls> calls, bool refuse = false)
        : NativeInPlaceSource(path, {}), m_calls(std::move(calls)), m_refuse(refuse)
    {
    }
    bool categories(const QString& after, int limit, QList<RemoteCategory>* out, QString* error) override
    {
        ++m_calls->categories;
        if (m_refuse)
            return RemoteFirstSource::categories(after, limit, out, error);
        return NativeInPlaceSource::categories(after, limit, out, error);
    }
    bool categoryStreams(const QString& category, const QString& after, int limit, QList<RemoteStreamCount>* out,
                         QString* error) override
    {
        {
            QMutexLocker l(&m_calls->lock);
            m_calls->streamsAskedFor << category;
        }
        return NativeInPlaceSource::categoryStreams(category, after, limit, out, error);
    }
    bool categoryCounts(const QString& category, RemoteCategory* out, QString* error) override
    {
        ++m_calls->counts;
        return NativeInPlaceSource::categoryCounts(category, out, error);
    }

private:
    std::shared_ptr<Calls> m_calls;
    bool m_refuse;
};
} // namespace

class TestViewsInPlace : public QObject
{
    Q_OBJECT

    int m_port = 0;
    QString m_db;
    QList<Event> m_all; ///< the whole store, read by the cached client (the reference)
    QTemporaryDir m_tmp;
    QString m_localStore; ///< the same events in a native store, for the replay engine
    QString m_checkpointedStore; ///< the same events with merge checkpoints every 5 versions

    bool run(const QString& db, const QString& sql)
    {
        const QByteArray info = QStringLiteral("host=127.0.0.1 port=%1 user=postgres dbname=%2 options='-c "
                                               "client_min_messages=warning'")
                                    .arg(m_port)
                                    .arg(db)
                                    .toUtf8();
        PGconn* c = PQconnectdb(info.constData());
        PGresult* r = PQexec(c, sql.toUtf8().constData());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok)
            qWarning() << sql << PQresultErrorMessage(r);
        PQclear(r);
        PQfinish(c);
        return ok;
    }
    QString uri(const QString& query = QStringLiteral("?mode=inplace")) const
    {
        return QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2%3").arg(m_port).arg(m_db, query);
    }
    /// A window with the store open (or null, with the failure logged).
    std::unique_ptr<InPlaceMainWindow> openWindow(const QString& u = {})
    {
        auto w = std::make_unique<InPlaceMainWindow>();
        w->resize(1400, 900);
        QSignalSpy opened(w.get(), &InPlaceMainWindow::opened);
        QString error;
        if (!w->openUri(u.isEmpty() ? uri() : u, QStringLiteral("test"), &error)) {
            qWarning() << error;
            return nullptr;
        }
        if (!opened.wait(10000))
            return nullptr;
        return w;
    }
    static bool settle(InPlaceMainWindow* w, int ms = 10000)
    {
        return QTest::qWaitFor([w] { return w->isIdle(); }, ms);
    }
    QList<Event> streamOf(const QString& stream) const
    {
        QList<Event> out;
        for (const Event& e : m_all)
            if (e.stream == stream)
                out << e;
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // the settings written here never reach the user's
        qputenv("CHRONOSCOPE_CACHE_DIR", m_tmp.filePath(QStringLiteral("cache")).toUtf8());
        QString error;
        m_port = testing::remoteFixturePort(QStringLiteral("postgres"), &error);
        QVERIFY2(m_port > 0, qPrintable(error));
        m_db = QStringLiteral("tst_vip_") + QString::number(QCoreApplication::applicationPid());
        run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(m_db));
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE message_store").arg(m_db)));
        // 300 messages over 8 streams of 2 categories and 4 types; the data carries numbers Qt's writer would
        // change (1.10, which jsonb keeps; jsonb itself turns 1E5 into 100000 and -0.0 into 0.0) and a member set
        // to null (removed by the merge).
        QVERIFY(run(m_db, QStringLiteral(
                              "SET search_path = message_store, public; SELECT message_store.write_message("
                              "gen_random_uuid()::text, (CASE WHEN i % 2 = 0 THEN 'Account' ELSE 'cart' END) || '-' "
                              "|| (i % 8), 'Type' || (i % 4), (CASE WHEN i % 5 = 0 THEN '{\"price\": 1.10, \"tax\": "
                              "-0.0, \"big\": 1E5, \"note\": null}' ELSE '{\"i\": ' || i || ', \"note\": \"n' || i || "
                              "'\"}' END)::jsonb) FROM generate_series(1, 300) i")));
        QVERIFY(run(m_db, QStringLiteral("UPDATE message_store.messages SET time = timestamp '2026-03-01 00:00:00' + "
                                         "(global_position * global_position) * interval '1 second'; ANALYZE "
                                         "message_store.messages")));
        RemoteEndpoint ep;
        QVERIFY(RemoteEndpoint::parse(uri(QString()), &ep, &error));
        auto client = createRemoteClient(ep, &error);
        QVERIFY2(client, qPrintable(error));
        QVERIFY2(client->read({}, [&](const QList<Event>& page) { m_all += page; return true; }, &error),
                 qPrintable(error));
        QCOMPARE(m_all.size(), 300);
        // The same events in a native store: the replay engine's reference for the state at the cursor.
        m_localStore = m_tmp.filePath(QStringLiteral("local.chronoscope"));
        auto writer = StoreWriter::create(m_localStore, {}, &error);
        QVERIFY2(writer, qPrintable(error));
        for (const Event& e : std::as_const(m_all))
            QVERIFY2(writer->append(e, &error), qPrintable(error));
        QVERIFY2(writer->finish(&error), qPrintable(error));
        // The same again with merge checkpoints every 5 versions: explored in place, its state starts from
        // them.
        m_checkpointedStore = m_tmp.filePath(QStringLiteral("checkpointed.chronoscope"));
        StoreWriter::Options often;
        often.checkpointEvery = 5;
        auto cw = StoreWriter::create(m_checkpointedStore, often, &error);
        QVERIFY2(cw, qPrintable(error));
        for (const Event& e : std::as_const(m_all))
            QVERIFY2(cw->append(e, &error), qPrintable(error));
        QVERIFY2(cw->finish(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        if (m_port)
            run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_db));
    }

    void inPlaceUris_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<bool>("inPlace");
        QTest::newRow("postgresql in place") << "postgresql://u@h/db?mode=inplace" << true;
        QTest::newRow("postgres, other case") << "postgres://h/db?streams=a-*&mode=InPlace" << true;
        QTest::newRow("no mode") << "postgresql://u@h/db" << false;
        QTest::newRow("other mode") << "postgresql://u@h/db?mode=cached" << false;
        QTest::newRow("redis") << "redis://h:6379/0?mode=inplace" << false;
        QTest::newRow("a path") << "/tmp/store.chronoscope" << false;
        QTest::newRow("garbage") << "::%%mode=inplace" << false;
    }
    void inPlaceUris()
    {
        QFETCH(QString, uri);
        QFETCH(bool, inPlace);
        QCOMPARE(InPlaceMainWindow::isInPlaceUri(uri), inPlace);
    }

    void stripBinsEqualDensity()
    {
        auto w = openWindow();
        QVERIFY(w);
        InPlaceTimeline* t = w->timeline();
        // The exact counts replace the estimate (which is marked as one while it is shown).
        QVERIFY(QTest::qWaitFor([t] { return t->hasOverview() && !t->overview().estimated; }, 10000));
        const RemoteDensity shown = t->overview();
        QString error;
        auto source = createRemoteFirstSource(uri(), {}, &error);
        QVERIFY(source && source->open(&error));
        RemoteDensity d;
        QVERIFY2(source->density(shown.from, shown.to, InPlaceTimeline::kOverviewBins, &d, &error), qPrintable(error));
        QCOMPARE(shown.counts, d.counts);
        QCOMPARE(shown.total() + shown.before + shown.after, qint64(m_all.size()));
        // ... and the events table says how many the view holds.
        QVERIFY(settle(w.get()));
        QCOMPARE(t->countInView(), qint64(m_all.size()));
    }

    void lanesShowTheirStreamsTicks_data()
    {
        QTest::addColumn<QStringList>("streams");
        QTest::addColumn<int>("zoomPercent"); // the visible range: this share of the store, from its start
        QTest::newRow("two streams, whole store") << QStringList{"Account-0", "cart-1"} << 100;
        QTest::newRow("four streams, first tenth") << QStringList{"Account-2", "Account-4", "cart-3", "cart-7"} << 10;
        QTest::newRow("a stream that does not exist") << QStringList{"nobody-0"} << 100;
    }
    void lanesShowTheirStreamsTicks()
    {
        QFETCH(QStringList, streams);
        QFETCH(int, zoomPercent);
        auto w = openWindow();
        QVERIFY(w);
        QVERIFY(settle(w.get())); // the stream list's first page is in (it points the lanes at its rows)
        InPlaceTimeline* t = w->timeline();
        const RemoteSummary s = w->service()->summary();
        const double to = double(s.firstTime) + double(s.lastTime - s.firstTime) * zoomPercent / 100.0;
        t->setVisibleRange(double(s.firstTime), to);
        t->setLaneStreams(streams);
        QSignalSpy lanes(w->service(), &InPlaceService::lanes);
        t->flushRequests();
        QVERIFY(lanes.wait(10000) || lanes.size() > 0);
        QVERIFY(settle(w.get()));
        QCOMPARE(t->lanes().size(), streams.size());
        const qint64 lo = qint64(std::floor(t->mapping().start)), hi = qint64(std::ceil(t->mapping().end));
        for (int i = 0; i < streams.size(); ++i) {
            const InPlaceLane& lane = t->lanes()[i];
            QCOMPARE(lane.stream, streams[i]);
            QList<qint64> expected, got;
            for (const Event& e : streamOf(streams[i]))
                if (e.time >= lo && e.time <= hi)
                    expected << e.position;
            for (const RemoteTick& tick : lane.ticks) {
                got << tick.position;
                QVERIFY(!tick.type.isEmpty());
            }
            QCOMPARE(got, expected);
            QVERIFY(!lane.truncated);
        }
        // Memory: the ticks held are those of the visible lanes only.
        qint64 held = 0;
        for (const QString& st : streams)
            held += streamOf(st).size();
        QVERIFY(t->heldTicks() <= held);
    }

    void laneOverItsLimitIsTruncated()
    {
        QString error;
        auto source = createRemoteFirstSource(uri(), {}, &error);
        QVERIFY(source && source->open(&error));
        QList<RemoteTick> ticks;
        bool truncated = false;
        const QList<Event> all = streamOf(QStringLiteral("cart-1"));
        QVERIFY(source->laneTicks(QStringLiteral("cart-1"), all.first().time, all.last().time, 5, &ticks, &truncated,
                                  &error));
        QCOMPARE(ticks.size(), 5);
        QVERIFY(truncated);
        QCOMPARE(ticks.first().position, all.first().position);
    }

    void steppingFollowsPositions_data()
    {
        QTest::addColumn<int>("startIndex");
        QTest::addColumn<int>("steps"); // > 0: Right, < 0: Left
        QTest::newRow("first, 3 right") << 0 << 3;
        QTest::newRow("middle, 5 left") << 150 << -5;
        QTest::newRow("last, 1 right (stays)") << 299 << 1;
        QTest::newRow("first, 1 left (stays)") << 0 << -1;
    }
    void steppingFollowsPositions()
    {
        QFETCH(int, startIndex);
        QFETCH(int, steps);
        auto w = openWindow();
        QVERIFY(w);
        InPlaceTimeline* t = w->timeline();
        t->setCursorEvent(m_all[startIndex]);
        int index = startIndex;
        for (int i = 0; i < std::abs(steps); ++i) {
            QSignalSpy moved(t, &InPlaceTimeline::cursorMoved);
            QSignalSpy end(w->service(), &InPlaceService::stepEnd);
            QTest::keyClick(t, steps > 0 ? Qt::Key_Right : Qt::Key_Left);
            QVERIFY(QTest::qWaitFor([&] { return moved.size() + end.size() > 0; }, 10000));
            const int next = index + (steps > 0 ? 1 : -1);
            if (next < 0 || next >= m_all.size()) {
                QCOMPARE(end.size(), 1);
                QCOMPARE(moved.size(), 0);
            } else {
                index = next;
            }
            QCOMPARE(t->cursorPosition(), m_all[index].position);
        }
        QCOMPARE(t->cursorEvent()->stream, m_all[index].stream);
        QCOMPARE(t->selectedStream(), m_all[index].stream);
    }

    void filterListsWhatTheStoreFinds_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::newRow("everything") << QString();
        QTest::newRow("a category") << "cart";
        QTest::newRow("case-insensitive") << "ACCOUNT";
        QTest::newRow("a digit") << "-3";
        QTest::newRow("nothing matches") << "zzz";
        QTest::newRow("pattern characters are plain") << "%_";
    }
    void filterListsWhatTheStoreFinds()
    {
        QFETCH(QString, filter);
        auto w = openWindow();
        QVERIFY(w);
        QVERIFY(settle(w.get()));
        QSignalSpy loaded(w->streamModel(), &InPlaceStreamModel::pageLoaded);
        // Keystrokes are debounced: one search in the store after the last one.
        w->filterBox()->setText(QStringLiteral("typing"));
        w->filterBox()->setText(filter);
        QVERIFY(loaded.wait(5000));
        QCOMPARE(w->streamModel()->filter(), filter);
        QStringList shown;
        for (int i = 0; i < w->streamModel()->rowCount(); ++i)
            shown << w->streamModel()->streamAt(i);
        QString error;
        auto source = createRemoteFirstSource(uri(), {}, &error);
        QVERIFY(source && source->open(&error));
        QList<RemoteStreamCount> found;
        QVERIFY2(source->searchStreams(filter, QString(), 1000, &found, &error), qPrintable(error));
        QStringList expected;
        for (const RemoteStreamCount& c : found)
            expected << c.stream;
        QCOMPARE(shown, expected);
        // And the store's answer is the names that contain the text.
        QSet<QString> local;
        for (const Event& e : std::as_const(m_all))
            if (e.stream.contains(filter, Qt::CaseInsensitive))
                local.insert(e.stream);
        QCOMPARE(QSet<QString>(expected.begin(), expected.end()), local);
    }

    void stateEqualsLocalReplay_data()
    {
        QTest::addColumn<QString>("stream");
        QTest::addColumn<int>("cursorIndex");
        QTest::newRow("Account-0 early") << "Account-0" << 20;
        QTest::newRow("cart-5 middle (kept numbers)") << "cart-5" << 160;
        QTest::newRow("Account-4 at the end") << "Account-4" << 299;
        QTest::newRow("cart-7 before its first event") << "cart-7" << 0;
    }
    void stateEqualsLocalReplay()
    {
        QFETCH(QString, stream);
        QFETCH(int, cursorIndex);
        auto w = openWindow();
        QVERIFY(w);
        QSignalSpy shown(w.get(), &InPlaceMainWindow::stateShown);
        w->timeline()->setSelectedStream(stream);
        Event cursor = m_all[cursorIndex];
        cursor.stream = stream; // the cursor's position, the selected stream's state
        w->timeline()->setCursorEvent(cursor, false);
        QVERIFY(shown.wait(10000));
        QVERIFY(settle(w.get()));
        const InPlaceState s = w->lastState();
        QCOMPARE(s.stream, stream);
        QString error;
        auto reader = openSource(m_localStore, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        ReplayEngine engine(*reader);
        const StateResult expected = engine.stateAt(stream, Point::atPosition(cursor.position));
        QVERIFY2(expected.ok(), qPrintable(expected.error));
        QCOMPARE(toJsonText(s.state), toJsonText(expected.state));
        QCOMPARE(s.lastEvent.has_value(), expected.lastEvent.has_value());
        if (s.lastEvent)
            QCOMPARE(s.lastEvent->position, expected.lastEvent->position);
        // Numbers are shown as stored.
        const QByteArray text = toJsonText(s.state);
        if (text.contains("price")) {
            QVERIFY(text.contains("\"price\":1.10"));
            JsonTreeModel* model = w->stateInspector()->model();
            QString priceShown;
            for (int i = 0; i < model->rowCount(); ++i)
                if (model->data(model->index(i, 0), Qt::DisplayRole).toString() == u"price")
                    priceShown = model->data(model->index(i, 1), Qt::DisplayRole).toString();
            QCOMPARE(priceShown, QStringLiteral("1.10"));
        }
    }

    void nativeStateStartsFromTheCheckpoint_data()
    {
        QTest::addColumn<QString>("stream");
        QTest::addColumn<int>("cursorIndex");
        QTest::addColumn<bool>("fromCheckpoint");
        QTest::newRow("Account-0 before its first checkpoint") << "Account-0" << 20 << false;
        QTest::newRow("cart-5 middle (kept numbers)") << "cart-5" << 160 << true;
        QTest::newRow("Account-4 at the end") << "Account-4" << 299 << true;
        QTest::newRow("cart-7 before its first event") << "cart-7" << 0 << false;
    }
    void nativeStateStartsFromTheCheckpoint()
    {
        QFETCH(QString, stream);
        QFETCH(int, cursorIndex);
        QFETCH(bool, fromCheckpoint);
        auto w = openWindow(m_checkpointedStore);
        QVERIFY(w);
        QSignalSpy shown(w.get(), &InPlaceMainWindow::stateShown);
        w->timeline()->setSelectedStream(stream);
        Event cursor = m_all[cursorIndex];
        cursor.stream = stream;
        w->timeline()->setCursorEvent(cursor, false);
        QVERIFY(shown.wait(10000));
        QVERIFY(settle(w.get()));
        const InPlaceState s = w->lastState();
        QCOMPARE(s.stream, stream);
        QCOMPARE(s.fromCheckpoint, fromCheckpoint);
        QVERIFY(s.note.isEmpty());
        // The reference: the replay engine on the store without checkpoints (it folds every event from {}).
        QString error;
        auto reader = openSource(m_localStore, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        ReplayEngine engine(*reader);
        const StateResult expected = engine.stateAt(stream, Point::atPosition(cursor.position));
        QVERIFY2(expected.ok(), qPrintable(expected.error));
        QVERIFY(!expected.fromCheckpoint);
        QCOMPARE(toJsonText(s.state), toJsonText(expected.state));
        QCOMPARE(s.lastEvent.has_value(), expected.lastEvent.has_value());
        if (s.lastEvent) QCOMPARE(s.lastEvent->position, expected.lastEvent->position);
        if (fromCheckpoint) QVERIFY(s.events <= 5 && s.events < expected.eventsApplied);
    }

    void staleAnswersAreDropped()
    {
        // The service alone (a window would send lane requests of its own meanwhile).
        InPlaceService service;
        QString error;
        auto source = createRemoteFirstSource(uri(), {}, &error);
        QVERIFY(source);
        QSignalSpy opened(&service, &InPlaceService::opened);
        service.open(std::move(source), QStringLiteral("test"));
        QVERIFY(opened.wait(10000));
        const RemoteSummary s = service.summary();
        QList<InPlaceLanes> got;
        connect(&service, &InPlaceService::lanes, this, [&](const InPlaceLanes& l) { got << l; });
        // Three requests in a row: only the last one's answer arrives.
        service.requestLanes({QStringLiteral("Account-0")}, s.firstTime, s.lastTime, 100);
        service.requestLanes({QStringLiteral("cart-1")}, s.firstTime, s.lastTime, 100);
        service.requestLanes({QStringLiteral("Account-2"), QStringLiteral("cart-3")}, s.firstTime, s.lastTime, 100);
        QVERIFY(QTest::qWaitFor([&service] { return service.isIdle(); }, 10000));
        QTest::qWait(100);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got[0].lanes.size(), 2);
        QCOMPARE(got[0].lanes[0].stream, QStringLiteral("Account-2"));
    }

    void stripPaintsBeforeLanes()
    {
        // Lanes held on the store: the strip, the axis and the lane rows ("loading…") are there meanwhile.
        auto gate = std::make_shared<Gate>();
        auto w = std::make_unique<InPlaceMainWindow>();
        w->resize(1400, 900);
        QSignalSpy opened(w.get(), &InPlaceMainWindow::opened);
        w->openSource(std::make_unique<GatedSource>(m_localStore, gate, nullptr), QStringLiteral("gated"),
                      std::make_unique<GatedSource>(m_localStore, nullptr, nullptr));
        struct Release
        {
            Gate* g;
            ~Release() { g->open(); } // a failed check never leaves the worker stuck
        } release{gate.get()};
        QVERIFY(opened.wait(10000));
        InPlaceTimeline* t = w->timeline();
        QVERIFY(QTest::qWaitFor([&] { return t->hasOverview() && gate->entered > 0; }, 10000));
        QVERIFY(t->lanes().isEmpty());
        QVERIFY(t->lanesPending());
        QVERIFY(!t->laneStreams().isEmpty());
        QCOMPARE(t->loadingLanes(), t->laneStreams().mid(0, t->laneCapacity()));
        QVERIFY(t->progressText().contains(QStringLiteral("Loading lanes")));
        // The strip is painted: its row holds the density's bars (not only the background).
        QImage image(t->size(), QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::white);
        {
            QPainter p(&image);
            t->render(p, image.size());
        }
        const QRect strip(InPlaceTimeline::kGutterWidth, 2, t->width() - InPlaceTimeline::kGutterWidth - 20,
                          InPlaceTimeline::kOverviewHeight - 4);
        QSet<QRgb> colours;
        for (int y = strip.top(); y <= strip.bottom(); ++y)
            for (int x = strip.left(); x <= strip.right(); ++x)
                colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 1, "the strip row is blank");
        // Released: each lane gets its stream's ticks and nothing says loading.
        gate->open();
        QVERIFY(QTest::qWaitFor([&] { return !t->lanesPending() && !t->lanes().isEmpty(); }, 10000));
        QVERIFY(t->loadingLanes().isEmpty());
        for (const InPlaceLane& lane : t->lanes()) {
            QList<qint64> expected, got;
            for (const Event& e : streamOf(lane.stream))
                expected << e.position;
            for (const RemoteTick& tick : lane.ticks)
                got << tick.position;
            QCOMPARE(got, expected);
        }
        QVERIFY(settle(w.get()));
        QVERIFY(t->progressText().isEmpty());
    }

    void exactPassDoesNotDelayLanes()
    {
        // The exact whole-store density held on its own source: a lane request is answered meanwhile.
        auto gate = std::make_shared<Gate>();
        InPlaceService service;
        QSignalSpy opened(&service, &InPlaceService::opened);
        service.open(std::make_unique<GatedSource>(m_localStore, nullptr, nullptr), QStringLiteral("test"),
                     std::make_unique<GatedSource>(m_localStore, nullptr, gate));
        struct Release
        {
            Gate* g;
            ~Release() { g->open(); }
        } release{gate.get()};
        QVERIFY(opened.wait(10000));
        QVERIFY(service.hasExactWorker());
        const RemoteSummary s = service.summary();
        QList<RemoteDensity> overviews;
        connect(&service, &InPlaceService::overview, this, [&](const RemoteDensity& d) { overviews << d; });
        service.requestExactOverview(100);
        QVERIFY(QTest::qWaitFor([&] { return gate->entered > 0; }, 10000));
        QSignalSpy lanes(&service, &InPlaceService::lanes);
        service.requestLanes({QStringLiteral("Account-0")}, s.firstTime, s.lastTime, 1000);
        QVERIFY(lanes.wait(10000));
        QVERIFY(service.exactPending());
        QVERIFY(!service.isIdle());
        const auto got = lanes.first().at(0).value<InPlaceLanes>();
        QCOMPARE(got.lanes.size(), 1);
        QCOMPARE(got.lanes[0].ticks.size(), streamOf(QStringLiteral("Account-0")).size());
        QVERIFY(overviews.isEmpty() || overviews.last().estimated);
        // Released: the exact counts arrive and count every event.
        gate->open();
        QVERIFY(QTest::qWaitFor([&] { return !service.exactPending(); }, 10000));
        QVERIFY(!overviews.isEmpty());
        QVERIFY(!overviews.last().estimated);
        QCOMPARE(overviews.last().total() + overviews.last().before + overviews.last().after, qint64(m_all.size()));
        // A late estimate never replaces the exact counts.
        service.requestOverview(100);
        QVERIFY(QTest::qWaitFor([&service] { return service.isIdle(); }, 10000));
        QTest::qWait(50);
        QVERIFY(!overviews.last().estimated);
    }

    void exactPassTimeoutKeepsTheEstimate()
    {
        // The exact whole-store count stopped by the server: the estimate stays on screen, marked, the lanes are
        // not covered by an error, and the status bar says why the strip stays estimated.
        auto w = std::make_unique<InPlaceMainWindow>();
        w->resize(1400, 900);
        QSignalSpy opened(w.get(), &InPlaceMainWindow::opened);
        // The exact pass runs on the second source only: that one fails.
        w->openSource(std::make_unique<EstimateOnlySource>(m_localStore, false), QStringLiteral("timeout"),
                      std::make_unique<EstimateOnlySource>(m_localStore, true));
        QVERIFY(opened.wait(10000));
        InPlaceTimeline* t = w->timeline();
        QVERIFY(QTest::qWaitFor([t] { return !t->exactStopped().isEmpty(); }, 10000));
        QVERIFY(t->exactStopped().contains(QStringLiteral("took too long")));
        QVERIFY(t->hasOverview());
        QVERIFY(t->overview().estimated);
        QCOMPARE(t->overview().total() + t->overview().before + t->overview().after, qint64(m_all.size()));
        QVERIFY2(t->message().isEmpty(), qPrintable(t->message()));
        QVERIFY(w->statusBar()->currentMessage().contains(QStringLiteral("stays estimated")));
        QVERIFY(settle(w.get()));
        QVERIFY(!t->lanes().isEmpty());
        QVERIFY2(t->message().isEmpty(), qPrintable(t->message()));
        QVERIFY(t->overview().estimated);
    }

    void staleStreamPagesAreDropped()
    {
        auto w = openWindow();
        QVERIFY(w);
        QVERIFY(settle(w.get()));
        // The stream model drops a page for a filter it no longer shows.
        QSignalSpy loaded(w->streamModel(), &InPlaceStreamModel::pageLoaded);
        w->streamModel()->applyFilterNow(QStringLiteral("cart"));
        w->streamModel()->applyFilterNow(QStringLiteral("Account-2"));
        QVERIFY(loaded.wait(5000));
        QVERIFY(QTest::qWaitFor([w = w.get()] { return w->isIdle(); }, 5000));
        QCOMPARE(w->streamModel()->rowCount(), 1);
        QCOMPARE(w->streamModel()->streamAt(0), QStringLiteral("Account-2"));
    }

    void emptyStoreSaysSo_data()
    {
        QTest::addColumn<bool>("native");
        QTest::newRow("Message DB without a message") << false;
        QTest::newRow("native store without an event") << true;
    }
    void emptyStoreSaysSo()
    {
        // An empty store opens to an empty, exact overview and says it holds nothing: no request fails (the
        // empty summary's ends are no range a server takes) and nothing waits for an overview that never comes.
        QFETCH(bool, native);
        const QString db = m_db + QStringLiteral("_none");
        auto w = std::make_unique<InPlaceMainWindow>();
        w->resize(1400, 900);
        QSignalSpy opened(w.get(), &InPlaceMainWindow::opened);
        QSignalSpy failed(w->service(), &InPlaceService::failed);
        if (native) {
            const QString path = m_tmp.filePath(QStringLiteral("empty.chronoscope"));
            QString error;
            auto writer = StoreWriter::create(path, {}, &error);
            QVERIFY2(writer && writer->finish(&error), qPrintable(error));
            w->openSource(std::make_unique<NativeInPlaceSource>(path, RemoteFirstOptions{}), QStringLiteral("empty"));
        } else {
            run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(db));
            QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE message_store").arg(db)));
            QString error;
            QVERIFY2(w->openUri(QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2?mode=inplace").arg(m_port).arg(db),
                                QStringLiteral("empty"), &error),
                     qPrintable(error));
        }
        QVERIFY(opened.wait(10000));
        InPlaceTimeline* t = w->timeline();
        QVERIFY(w->service()->summary().empty);
        QVERIFY(QTest::qWaitFor([&] { return t->hasOverview(); }, 10000));
        QVERIFY(!t->overview().estimated);
        QCOMPARE(t->overview().total(), qint64(0));
        QVERIFY(settle(w.get()));
        QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
        QVERIFY2(t->message().isEmpty(), qPrintable(t->message()));
        QVERIFY(t->progressText().isEmpty());
        QVERIFY(!w->service()->exactPending());
        // Steps find nothing and say so without an error.
        QSignalSpy end(w->service(), &InPlaceService::stepEnd);
        t->stepToEnd(1);
        QVERIFY(end.wait(10000) || !end.isEmpty());
        QVERIFY(failed.isEmpty());
        w.reset();
        if (!native)
            run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(db));
    }

    void deadServerMidSession()
    {
        const QString db = m_db + QStringLiteral("_dead");
        run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(db));
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE %2").arg(db, m_db)));
        auto w = openWindow(QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2?mode=inplace").arg(m_port).arg(db));
        QVERIFY(w);
        QVERIFY(settle(w.get()));
        // The server ends the session (as a restart or an administrator would).
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE %1 WITH (FORCE)").arg(db)));
        QSignalSpy failed(w->service(), &InPlaceService::failed);
        w->timeline()->stepToEnd(1);
        QVERIFY(failed.wait(10000));
        const QString error = failed.first().at(1).toString();
        QVERIFY2(error.contains(QStringLiteral("127.0.0.1:%1").arg(m_port)), qPrintable(error));
        QVERIFY2(w->lastError().contains(QStringLiteral("127.0.0.1:%1").arg(m_port)), qPrintable(w->lastError()));
        QVERIFY2(w->timeline()->message().contains(QStringLiteral("127.0.0.1:%1").arg(m_port)),
                 qPrintable(w->timeline()->message()));
        // Still usable: the next request fails the same way, no crash.
        w->timeline()->setVisibleRange(w->timeline()->mapping().start, w->timeline()->mapping().end / 2 +
                                                                           w->timeline()->mapping().start / 2);
        w->timeline()->flushRequests();
        QVERIFY(QTest::qWaitFor([&] { return failed.size() >= 2; }, 10000));
        QVERIFY(settle(w.get()));
    }

    // ---- The category tree (issue 13 item 3) ----
    /// A native store of 5 categories, one of 450 streams (three pages of 200), plus names without '-', with
    /// several, a leading one, '%' and '_'.
    QString treeStore()
    {
        const QString path = m_tmp.filePath(QStringLiteral("tree.chronoscope"));
        if (QFile::exists(path))
            return path;
        QStringList names{QStringLiteral("solo"), QStringLiteral("-lead"), QStringLiteral("a%b-1"),
                          QStringLiteral("a_b-1"), QStringLiteral("deep-x-y-z")};
        for (int i = 0; i < 450; ++i)
            names << QStringLiteral("big-%1").arg(i, 3, 10, QLatin1Char('0'));
        QString error;
        auto writer = StoreWriter::create(path, {}, &error);
        if (!writer)
            return {};
        qint64 position = 0;
        for (const QString& name : std::as_const(names)) {
            Event e;
            e.position = ++position;
            e.stream = name;
            e.version = 1;
            e.type = QStringLiteral("Made");
            e.time = 1700000000000 + position * 1000;
            e.data = "{\"n\": 1}";
            if (!writer->append(e, &error))
                return {};
        }
        return writer->finish(&error) ? path : QString();
    }
    std::unique_ptr<InPlaceMainWindow> openTree(std::shared_ptr<CountingTreeSource::Calls> calls, bool refuse = false)
    {
        const QString path = treeStore();
        if (path.isEmpty())
            return nullptr;
        auto w = std::make_unique<InPlaceMainWindow>();
        w->resize(1400, 900);
        QSignalSpy opened(w.get(), &InPlaceMainWindow::opened);
        w->show(); // the rows in view are what the tree asks for
        w->openSource(std::make_unique<CountingTreeSource>(path, calls, refuse), QStringLiteral("tree"));
        if (!opened.wait(10000) || !settle(w.get()))
            return nullptr;
        return w;
    }

    void categoryTreeLoadsChildrenOnExpand()
    {
        auto calls = std::make_shared<CountingTreeSource::Calls>();
        auto w = openTree(calls);
        QVERIFY(w);
        QVERIFY(w->treeShown());
        InPlaceCategoryModel* m = w->categoryModel();
        // The top level: the store's categories (the GROUP BY of the names by Event::categoryOf).
        QStringList shown;
        for (int i = 0; i < m->categoryCount(); ++i)
            shown << m->categoryAt(i);
        QCOMPARE(shown, (QStringList{"-lead", "a%b", "a_b", "big", "deep", "solo"}));
        QVERIFY(m->isComplete());
        // Only the first category opened by itself: no other category's streams were asked for.
        {
            QMutexLocker l(&calls->lock);
            QCOMPARE(QSet<QString>(calls->streamsAskedFor.begin(), calls->streamsAskedFor.end()),
                     QSet<QString>{QStringLiteral("-lead")});
        }
        QCOMPARE(m->loadedStreams(QStringLiteral("big")).size(), 0);
        // Expanding "big" asks for its first page of 200; the "more…" row stands for the rest.
        const QModelIndex big = m->categoryIndex(QStringLiteral("big"));
        w->categoryView()->expand(big);
        QVERIFY(QTest::qWaitFor([&] { return m->loadedStreams(QStringLiteral("big")).size() == 200; }, 10000));
        // And no more than that page while its "more…" row is out of view (QTreeView asks fetchMore again as it
        // lays rows out: that must not page through the whole category).
        QVERIFY(settle(w.get()));
        QTest::qWait(100);
        QCOMPARE(m->loadedStreams(QStringLiteral("big")).size(), 200);
        {
            QMutexLocker l(&calls->lock);
            QCOMPARE(calls->streamsAskedFor.count(QStringLiteral("big")), 1);
        }
        QCOMPARE(m->rowCount(big), 201);
        QVERIFY(m->isMoreRow(m->index(200, 0, big)));
        QCOMPARE(m->streamAt(m->index(0, 0, big)), QStringLiteral("big-000"));
        // Scrolling the "more…" row into view fetches the next pages, across the page boundaries.
        for (int page = 2; page <= 3; ++page) {
            w->categoryView()->scrollTo(m->index(m->rowCount(big) - 1, 0, big));
            w->syncLanes();
            QVERIFY(QTest::qWaitFor([&] { return m->loadedStreams(QStringLiteral("big")).size() == qMin(450, 200 * page); },
                                    10000));
        }
        QVERIFY(settle(w.get()));
        const QList<RemoteStreamCount> loaded = m->loadedStreams(QStringLiteral("big"));
        QCOMPARE(loaded.size(), 450);
        for (int i = 0; i < loaded.size(); ++i)
            QCOMPARE(loaded[i].stream, QStringLiteral("big-%1").arg(i, 3, 10, QLatin1Char('0')));
        QCOMPARE(m->rowCount(big), 450); // complete: no "more…" row
        // Counts: asked for the categories in view only, one at a time, and equal to the store's.
        w->categoryView()->scrollToTop();
        w->syncLanes();
        const bool counted = QTest::qWaitFor([&] { return m->counts(QStringLiteral("big")).streams >= 0; }, 10000);
        if (!counted) {
            for (int i = 0; i < m->categoryCount(); ++i)
                qWarning() << m->categoryAt(i) << m->counts(m->categoryAt(i)).streams
                           << m->data(m->index(i, 0), Qt::DisplayRole);
            qWarning() << "counts asked" << calls->counts.load() << w->lastError();
        }
        QVERIFY(counted);
        QCOMPARE(m->counts(QStringLiteral("big")).streams, 450);
        QCOMPARE(m->counts(QStringLiteral("big")).events, 450);
        QVERIFY(m->data(m->categoryIndex(QStringLiteral("big")), Qt::DisplayRole).toString().contains(QLatin1String("450")));
        QVERIFY(calls->counts.load() <= m->categoryCount());
        // The lanes are the stream rows in view.
        QVERIFY(!w->timeline()->laneStreams().isEmpty());
        for (const QString& lane : w->timeline()->laneStreams())
            QVERIFY2(m->streamIndex(lane).isValid(), qPrintable(lane));
    }

    void selectingATreeStreamShowsItsState()
    {
        auto calls = std::make_shared<CountingTreeSource::Calls>();
        auto w = openTree(calls);
        QVERIFY(w);
        InPlaceCategoryModel* m = w->categoryModel();
        const QModelIndex deep = m->categoryIndex(QStringLiteral("deep"));
        w->categoryView()->expand(deep);
        QVERIFY(QTest::qWaitFor([&] { return m->loadedStreams(QStringLiteral("deep")).size() == 1; }, 10000));
        QSignalSpy shown(w.get(), &InPlaceMainWindow::stateShown);
        w->categoryView()->setCurrentIndex(m->index(0, 0, deep));
        QCOMPARE(w->timeline()->selectedStream(), QStringLiteral("deep-x-y-z"));
        QVERIFY(shown.wait(10000));
        QCOMPARE(w->lastState().stream, QStringLiteral("deep-x-y-z"));
        QCOMPARE(toJsonText(w->lastState().state), QByteArray("{\"n\":1}"));
        // A click on a lane selects its row in the tree when the row is loaded.
        Q_EMIT w->timeline()->streamSelected(QStringLiteral("deep-x-y-z"));
        QCOMPARE(w->categoryView()->currentIndex(), m->index(0, 0, deep));
    }

    void searchShowsFlatMatchesThenTheTree()
    {
        auto calls = std::make_shared<CountingTreeSource::Calls>();
        auto w = openTree(calls);
        QVERIFY(w);
        QSignalSpy loaded(w->streamModel(), &InPlaceStreamModel::pageLoaded);
        w->filterBox()->setText(QStringLiteral("%"));
        QVERIFY(!w->treeShown());
        QVERIFY(loaded.wait(5000));
        QVERIFY(settle(w.get()));
        QCOMPARE(w->streamModel()->rowCount(), 1);
        QCOMPARE(w->streamModel()->streamAt(0), QStringLiteral("a%b-1"));
        QCOMPARE(w->timeline()->laneStreams(), QStringList{QStringLiteral("a%b-1")});
        w->filterBox()->clear();
        QVERIFY(w->treeShown());
        QVERIFY(settle(w.get()));
        QVERIFY(!w->timeline()->laneStreams().isEmpty());
        QCOMPARE(w->timeline()->laneStreams().first(), QStringLiteral("-lead"));
    }

    void storeWithoutCategoriesKeepsTheFlatList()
    {
        auto calls = std::make_shared<CountingTreeSource::Calls>();
        auto w = openTree(calls, true);
        QVERIFY(w);
        QVERIFY(!w->treeShown());
        QVERIFY(w->categoryModel()->isUnavailable());
        QVERIFY(w->streamModel()->rowCount() > 0);
        QVERIFY(!w->timeline()->laneStreams().isEmpty());
    }

    void messageDbCategoryTree()
    {
        // Message DB's category(): split_part(stream_name, '-', 1), served by its messages_category index.
        auto w = openWindow();
        QVERIFY(w);
        w->show(); // the rows in view are what the tree asks for
        QVERIFY(settle(w.get()));
        QVERIFY2(w->treeShown(), qPrintable(w->categoryModel()->error()));
        InPlaceCategoryModel* m = w->categoryModel();
        QStringList shown;
        for (int i = 0; i < m->categoryCount(); ++i)
            shown << m->categoryAt(i);
        QCOMPARE(shown, (QStringList{"Account", "cart"}));
        const QModelIndex cart = m->categoryIndex(QStringLiteral("cart"));
        w->categoryView()->expand(cart);
        QVERIFY(QTest::qWaitFor([&] { return m->loadedStreams(QStringLiteral("cart")).size() == 4; }, 10000));
        QStringList streams;
        for (const RemoteStreamCount& c : m->loadedStreams(QStringLiteral("cart"))) {
            streams << c.stream;
            QCOMPARE(c.events, qint64(streamOf(c.stream).size()));
        }
        QCOMPARE(streams, (QStringList{"cart-1", "cart-3", "cart-5", "cart-7"}));
        w->syncLanes();
        QVERIFY(QTest::qWaitFor([&] { return m->counts(QStringLiteral("cart")).events >= 0; }, 10000));
        QCOMPARE(m->counts(QStringLiteral("cart")).streams, 4);
        QCOMPARE(m->counts(QStringLiteral("cart")).events, 150);
        // Paged at the source: one category at a time, then the end.
        QString error;
        auto source = createRemoteFirstSource(uri(), {}, &error);
        QVERIFY2(source && source->open(&error), qPrintable(error));
        QList<RemoteCategory> page;
        QVERIFY2(source->categories(QString(), 1, &page, &error), qPrintable(error));
        QCOMPARE(page.size(), 1);
        QCOMPARE(page.first().name, QStringLiteral("Account"));
        QVERIFY(source->categories(QStringLiteral("Account"), 1, &page, &error));
        QCOMPARE(page.first().name, QStringLiteral("cart"));
        QVERIFY(source->categories(QStringLiteral("cart"), 1, &page, &error));
        QVERIFY(page.isEmpty());
        QList<RemoteStreamCount> part;
        QVERIFY(source->categoryStreams(QStringLiteral("cart"), QStringLiteral("cart-3"), 1, &part, &error));
        QCOMPARE(part.size(), 1);
        QCOMPARE(part.first().stream, QStringLiteral("cart-5"));
    }

    void messageDbWithoutCategoryIndexSaysWhich()
    {
        const QString db = m_db + QStringLiteral("_nocat");
        run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(db));
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE %2").arg(db, m_db)));
        QVERIFY(run(db, QStringLiteral("DROP INDEX message_store.messages_category")));
        const QString u = QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2?mode=inplace").arg(m_port).arg(db);
        QString error;
        auto source = createRemoteFirstSource(u, {}, &error);
        QVERIFY2(source && source->open(&error), qPrintable(error));
        QList<RemoteCategory> page;
        QVERIFY(!source->categories(QString(), 10, &page, &error));
        QVERIFY2(error.contains(QLatin1String("messages_category")) && error.contains(QLatin1String("category(stream_name)")),
                 qPrintable(error));
        bool named = false;
        for (const IndexAdvice& a : source->advice())
            named = named || a.createIndex.contains(QLatin1String("messages_category"));
        QVERIFY(named);
        // The streams list still works without it (the window keeps the flat list: storeWithoutCategoriesKeepsTheFlatList).
        QList<RemoteStreamCount> flat;
        QVERIFY2(source->streams(QString(), 10, &flat, &error), qPrintable(error));
        QCOMPARE(flat.size(), 8);
        run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(db));
    }

    void categoryTreeDeadServerMidSession()
    {
        const QString db = m_db + QStringLiteral("_treedead");
        run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE IF EXISTS %1").arg(db));
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("CREATE DATABASE %1 TEMPLATE %2").arg(db, m_db)));
        auto w = openWindow(QStringLiteral("postgresql://postgres@127.0.0.1:%1/%2?mode=inplace").arg(m_port).arg(db));
        QVERIFY(w);
        w->show();
        QVERIFY(settle(w.get()));
        QVERIFY(w->treeShown());
        QVERIFY(run(QStringLiteral("postgres"), QStringLiteral("DROP DATABASE %1 WITH (FORCE)").arg(db)));
        QSignalSpy failed(w->service(), &InPlaceService::failed);
        InPlaceCategoryModel* m = w->categoryModel();
        w->categoryView()->expand(m->categoryIndex(QStringLiteral("cart")));
        QVERIFY(QTest::qWaitFor([&] {
            for (const auto& f : failed)
                if (f.at(0).toString() == QLatin1String("category streams"))
                    return true;
            return false;
        }, 10000));
        QVERIFY(settle(w.get()));
        QVERIFY2(m->error().contains(QStringLiteral("127.0.0.1:%1").arg(m_port)), qPrintable(m->error()));
        // No retry loop: the category is closed for loading, the tree still answers.
        QCOMPARE(m->rowCount(m->categoryIndex(QStringLiteral("cart"))), 0);
        QVERIFY(settle(w.get()));
    }

    void openFailsClearly_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<bool>("atOnce"); // refused before connecting
        QTest::addColumn<QString>("says");
        QTest::newRow("nobody listens") << "postgresql://postgres@127.0.0.1:1/x?mode=inplace" << false << "127.0.0.1:1";
        QTest::newRow("bad cache size") << "postgresql://postgres@127.0.0.1:1/x?mode=inplace&cache=lots" << true
                                        << "cache";
        QTest::newRow("not PostgreSQL") << "redis://127.0.0.1:1/0?mode=inplace" << true << "PostgreSQL";
        QTest::newRow("last= is refused") << "postgresql://postgres@127.0.0.1:%1/%2?mode=inplace&last=5" << false
                                          << "last";
    }
    void openFailsClearly()
    {
        QFETCH(QString, uri);
        QFETCH(bool, atOnce);
        QFETCH(QString, says);
        if (uri.contains(u"%1"))
            uri = uri.arg(m_port).arg(m_db);
        InPlaceMainWindow w;
        QSignalSpy failed(&w, &InPlaceMainWindow::openFailed);
        QString error;
        const bool started = w.openUri(uri, QStringLiteral("test"), &error);
        QCOMPARE(started, !atOnce);
        if (started) {
            QVERIFY(failed.wait(15000));
            error = failed.first().at(0).toString();
        }
        QVERIFY2(error.contains(says, Qt::CaseInsensitive), qPrintable(error));
        QVERIFY(!error.contains(u"S3cret"));
    }

    void openRemoteDialogInPlace_data()
    {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("last");
        QTest::addColumn<bool>("offered");
        QTest::addColumn<bool>("valid");
        QTest::newRow("postgresql") << "postgresql://u:S3cret@db.internal/shop" << QString() << true << true;
        QTest::newRow("postgres with streams") << "postgres://db/shop?streams=cart-*" << QString() << true << true;
        QTest::newRow("with last N: refused") << "postgresql://db/shop" << "5" << true << false;
        QTest::newRow("redis: not offered") << "redis://127.0.0.1:6379/0" << QString() << false << true;
    }
    void openRemoteDialogInPlace()
    {
        QFETCH(QString, typed);
        QFETCH(QString, last);
        QFETCH(bool, offered);
        QFETCH(bool, valid);
        QSettings().remove(QStringLiteral("remote/recent"));
        OpenRemoteDialog dialog;
        dialog.setUri(typed);
        dialog.setInPlace(true);
        for (QLineEdit* e : dialog.findChildren<QLineEdit*>())
            if (e->placeholderText().contains(u"newest N"))
                e->setText(last);
        QCOMPARE(dialog.inPlace(), offered);
        QCOMPARE(dialog.validationError().isEmpty(), valid);
        if (offered) {
            QVERIFY(InPlaceMainWindow::isInPlaceUri(dialog.inPlaceUri()));
            QVERIFY(!dialog.uri().contains(u"S3cret")); // what may be shown or stored
        }
    }

    // The events table is the cursor's neighbourhood (its event selected), not the start of the view; it
    // follows the cursor after a short pause (newest request wins) and stays with it when the view pans.
    void eventsTableFollowsTheCursor()
    {
        auto w = openWindow(m_localStore);
        QVERIFY(w);
        InPlaceTimeline* t = w->timeline();
        QVERIFY(settle(w.get()));
        QCOMPARE(w->eventModel()->window().around, qint64(-1)); // no cursor: the window in view
        auto selectedPosition = [&w]() -> qint64 {
            const QModelIndexList rows = w->eventView()->selectionModel()->selectedRows();
            const Event* e = rows.isEmpty() ? nullptr : w->eventModel()->eventAt(rows.first().row());
            return e ? e->position : -1;
        };
        t->setCursorEvent(m_all[150]);
        QVERIFY(QTest::qWaitFor([&] { return w->eventModel()->window().around == m_all[150].position; }, 10000));
        QVERIFY(settle(w.get()));
        QCOMPARE(selectedPosition(), m_all[150].position);
        QList<qint64> want, got;
        for (int i = std::max(0, 150 - InPlaceMainWindow::kAroundEach + 1);
             i < std::min<qsizetype>(m_all.size(), 151 + InPlaceMainWindow::kAroundEach); ++i)
            want << m_all[i].position;
        for (const Event& e : w->eventModel()->window().events)
            got << e.position;
        QCOMPARE(got, want);
        QVERIFY(w->moreLabel()->text().contains(QString::number(m_all[150].position)));
        // Three jumps in a row: one request, for the last.
        QSignalSpy shown(w.get(), &InPlaceMainWindow::windowShown);
        t->setCursorEvent(m_all[10]);
        t->setCursorEvent(m_all[200]);
        t->setCursorEvent(m_all[295]);
        QVERIFY(QTest::qWaitFor([&] { return w->eventModel()->window().around == m_all[295].position; }, 10000));
        QVERIFY(settle(w.get()));
        QCOMPARE(shown.size(), 1);
        QCOMPARE(selectedPosition(), m_all[295].position);
        // Stepping within the table moves the selection; panning the view away keeps the table.
        QSignalSpy moved(t, &InPlaceTimeline::cursorMoved);
        QTest::keyClick(t, Qt::Key_Left);
        QVERIFY(moved.wait(10000));
        QVERIFY(settle(w.get()));
        QCOMPARE(selectedPosition(), m_all[294].position);
        t->setVisibleRange(t->mapping().start - t->mapping().span() * 3, t->mapping().start - t->mapping().span() * 2);
        t->flushRequests();
        QVERIFY(settle(w.get()));
        QVERIFY(w->eventModel()->window().around >= 0);
        QVERIFY(w->eventModel()->rowOfPosition(m_all[294].position) >= 0);
    }

    void nativeStoreInPlace()
    {
        // The same events in a native store, explored in place (core/sources/nativeinplace.h).
        auto w = openWindow(m_localStore);
        QVERIFY(w);
        InPlaceTimeline* t = w->timeline();
        QVERIFY(QTest::qWaitFor([t] { return t->hasOverview() && !t->overview().estimated; }, 10000));
        QVERIFY(settle(w.get()));
        QString error;
        auto source = createRemoteFirstSource(m_localStore, {}, &error);
        QVERIFY2(source && source->open(&error), qPrintable(error));
        RemoteDensity d;
        const RemoteDensity shown = t->overview();
        QVERIFY2(source->density(shown.from, shown.to, InPlaceTimeline::kOverviewBins, &d, &error), qPrintable(error));
        QCOMPARE(shown.counts, d.counts);
        QCOMPARE(t->countInView(), qint64(m_all.size()));
        // Lanes: the first rows of the stream list, each with its stream's events.
        QVERIFY(!t->laneStreams().isEmpty());
        QCOMPARE(t->laneStreams().first(), QStringLiteral("Account-0"));
        for (const InPlaceLane& lane : t->lanes()) {
            QList<qint64> expected, got;
            for (const Event& e : streamOf(lane.stream))
                expected << e.position;
            for (const RemoteTick& tick : lane.ticks)
                got << tick.position;
            QCOMPARE(got, expected);
        }
        // Stepping and the state at the cursor.
        t->setCursorEvent(m_all[100]);
        QSignalSpy shownState(w.get(), &InPlaceMainWindow::stateShown);
        QSignalSpy moved(t, &InPlaceTimeline::cursorMoved);
        QTest::keyClick(t, Qt::Key_Right);
        QVERIFY(moved.wait(10000));
        QCOMPARE(t->cursorPosition(), m_all[101].position);
        QVERIFY(QTest::qWaitFor([&] { return w->lastState().position == m_all[101].position; }, 10000));
        auto reader = openSource(m_localStore, {}, &error);
        QVERIFY2(reader, qPrintable(error));
        ReplayEngine engine(*reader);
        const StateResult expected = engine.stateAt(m_all[101].stream, Point::atPosition(m_all[101].position));
        QCOMPARE(toJsonText(w->lastState().state), toJsonText(expected.state));
        // Selecting a stream in the list pins its lane at the top (once), the others follow in list order.
        {
            const int last = w->streamModel()->rowCount() - 1;
            QVERIFY(last > 1);
            const QString pick = w->streamModel()->streamAt(last);
            w->streamView()->setCurrentIndex(w->streamModel()->index(last, 0));
            QCOMPARE(t->selectedStream(), pick);
            QVERIFY(!t->laneStreams().isEmpty());
            QCOMPARE(t->laneStreams().first(), pick);
            QCOMPARE(t->laneStreams().count(pick), 1);
            QCOMPARE(t->laneStreams().value(1), w->streamModel()->streamAt(0));
            QVERIFY(QTest::qWaitFor([&] { return !t->lanesPending() && !t->lanes().isEmpty(); }, 10000));
            QVERIFY(settle(w.get()));
            QCOMPARE(t->lanes().first().stream, pick);
            QCOMPARE(qsizetype(t->lanes().first().ticks.size()), streamOf(pick).size());
        }
        // The filter searches the store.
        QSignalSpy loaded(w->streamModel(), &InPlaceStreamModel::pageLoaded);
        w->streamModel()->applyFilterNow(QStringLiteral("CART-"));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(w->streamModel()->rowCount(), 4);
    }

    void nativeStoresOpenInPlaceBySize_data()
    {
        QTest::addColumn<QString>("file"); // "local": the 300-event native store
        QTest::addColumn<qint64>("threshold");
        QTest::addColumn<bool>("native");
        QTest::addColumn<bool>("inPlace");
        QTest::newRow("bigger than the setting") << "local" << qint64(100) << true << true;
        QTest::newRow("smaller than the setting") << "local" << qint64(1000) << true << false;
        QTest::newRow("the default (2M)") << "local" << qint64(-1) << true << false;
        QTest::newRow("an NDJSON file") << "events.ndjson" << qint64(0) << false << false;
        QTest::newRow("a truncated store") << "truncated.chronoscope" << qint64(0) << false << false;
        QTest::newRow("no such file") << "missing.chronoscope" << qint64(0) << false << false;
    }
    void nativeStoresOpenInPlaceBySize()
    {
        QFETCH(QString, file);
        QFETCH(qint64, threshold);
        QFETCH(bool, native);
        QFETCH(bool, inPlace);
        QString path = m_localStore;
        if (file != u"local") {
            path = m_tmp.filePath(file);
            QFile f(path);
            if (file == u"events.ndjson") {
                QVERIFY(f.open(QIODevice::WriteOnly));
                f.write("{\"stream\":\"a-1\",\"type\":\"T\",\"data\":{}}\n");
            } else if (file == u"truncated.chronoscope") {
                QFile whole(m_localStore);
                QVERIFY(whole.open(QIODevice::ReadOnly) && f.open(QIODevice::WriteOnly));
                f.write(whole.read(1000));
            }
        }
        QSettings settings;
        if (threshold >= 0)
            settings.setValue(InPlaceMainWindow::kThresholdSettingKey, threshold);
        else
            settings.remove(InPlaceMainWindow::kThresholdSettingKey);
        qint64 events = -1;
        QCOMPARE(InPlaceMainWindow::nativeStoreEvents(path, &events), native);
        if (native)
            QCOMPARE(events, qint64(m_all.size()));
        QCOMPARE(InPlaceMainWindow::opensInPlaceBySize(path), inPlace);
        settings.remove(InPlaceMainWindow::kThresholdSettingKey);
    }

    void notAvailableInPlaceIsListed()
    {
        const QStringList missing = InPlaceMainWindow::unavailableInPlace();
        QVERIFY(missing.size() >= 5);
        QVERIFY(missing.join(u'\n').contains(u"Diff"));
        InPlaceMainWindow w;
        QStringList menuText;
        for (QAction* a : w.findChildren<QAction*>())
            menuText << a->text();
        for (const QString& line : missing)
            QVERIFY2(menuText.contains(line), qPrintable(line));
    }
};

QTEST_MAIN(TestViewsInPlace)
#include "tst_views_inplace.moc"
