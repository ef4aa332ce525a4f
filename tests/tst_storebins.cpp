// The write-time summaries of a native store (docs/store.md "Timeline summary", "Writing big stores"): the
// timeline_bins table and its meta row against GROUP BY queries over the events, for every kind of store and
// after appends; stores of the previous schema version; the writer's bounded per-stream memory.
#include "sources/nativeinplace.h"
#include "store/sqlitestore.h"
#include "store/storeschema.h"
#include "store/storewriter.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sqlite3.h>

using namespace chronoscope;

namespace {

const TimeMs kT0 = 1767607200000; // 2026-01-05T10:00:00Z

enum class Times { All, None, Mixed, WideSpan, Negative, Late };

QList<Event> makeEvents(Times kind, int n, int firstPosition = 1, quint32 seed = 7, int step = 2)
{
    auto rnd = [&seed]() {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 8) & 0xffffff;
    };
    QList<Event> out;
    QHash<QString, qint64> versions;
    const quint32 prefix = seed;
    for (int i = 0; i < n; ++i) {
        Event e;
        e.position = firstPosition + i * step; // gaps: bins by position use the position, not the ordinal
        e.stream = QStringLiteral("s%1-%2").arg(prefix).arg(rnd() % 17);
        e.version = versions[e.stream]++;
        e.type = QStringLiteral("T%1").arg(rnd() % 5);
        e.data = "{}";
        switch (kind) {
        case Times::All:
            e.time = kT0 + i * 1000 + rnd() % 700;
            break;
        case Times::None:
            e.time = kNoTime;
            break;
        case Times::Mixed:
            e.time = (i % 3 == 1) ? kNoTime : kT0 + i * 50;
            break;
        case Times::WideSpan:
            // From milliseconds apart to years apart: the width doubles many times as the span grows.
            e.time = kT0 + (i < n / 2 ? i : qint64(1) << (10 + (i % 30))) * (i % 2 ? 1 : -1);
            break;
        case Times::Negative:
            e.time = -qint64(rnd()) * 1000 - 1; // before 1970: floor division, not truncation
            break;
        case Times::Late:
            e.time = i < n / 2 ? kNoTime : kT0 + i; // no time first: the axis switches from position to time
            break;
        }
        out << e;
    }
    return out;
}

struct Bins
{
    QString axis;
    qint64 width = 0, events = 0, lastPosition = 0, untimed = 0;
};

QStringList rows(sqlite3* db, const QByteArray& sql)
{
    QStringList out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
        return {QStringLiteral("prepare failed: %1").arg(QString::fromUtf8(sqlite3_errmsg(db)))};
    while (sqlite3_step(st) == SQLITE_ROW) {
        QStringList cols;
        for (int c = 0; c < sqlite3_column_count(st); ++c)
            cols << QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
        out << cols.join(u'|');
    }
    sqlite3_finalize(st);
    return out;
}

/// Checks the summary of a finished store against the events: empty when it holds, else what differs. With
/// `current` the summary may also be stale (written before the last commits of a live cache): it must then count
/// exactly the events up to its last_position, which *current says.
QString checkBins(const QString& path, Bins* got = nullptr, bool* current = nullptr)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        return QStringLiteral("cannot open");
    auto done = [&](const QString& r) {
        sqlite3_close(db);
        return r;
    };
    const QStringList meta = rows(db, "SELECT value FROM meta WHERE key='timeline_bins'");
    if (meta.size() != 1)
        return done(QStringLiteral("no meta row"));
    const QJsonObject o = QJsonDocument::fromJson(meta.first().toUtf8()).object();
    Bins b;
    b.axis = o.value("axis").toString();
    b.width = o.value("width").toInteger(-1);
    b.events = o.value("events").toInteger(-1);
    b.lastPosition = o.value("last_position").toInteger(-1);
    b.untimed = o.value("untimed").toInteger(-1);
    if (got)
        *got = b;
    if (o.size() != 5)
        return done(QStringLiteral("meta has %1 keys: %2").arg(o.size()).arg(meta.first()));
    const QString allCount = rows(db, "SELECT count(*) FROM events").value(0);
    const QString allMaxPos = rows(db, "SELECT coalesce(max(position), 0) FROM events").value(0);
    const bool isCurrent = QString::number(b.events) == allCount && QString::number(b.lastPosition) == allMaxPos;
    if (current)
        *current = isCurrent;
    // The events the summary says it counts: all of them when current, else those up to its last position.
    const QByteArray covered = current ? " position <= " + QByteArray::number(b.lastPosition) : QByteArray(" 1");
    const QString count = rows(db, "SELECT count(*) FROM events WHERE" + covered).value(0);
    const QString maxPos = rows(db, "SELECT coalesce(max(position), 0) FROM events WHERE" + covered).value(0);
    const QString timed = rows(db, "SELECT count(time) FROM events WHERE" + covered).value(0);
    if (QString::number(b.events) != count)
        return done(QStringLiteral("events %1, the store has %2").arg(b.events).arg(count));
    if (QString::number(b.lastPosition) != maxPos)
        return done(QStringLiteral("last_position %1, the store's last is %2").arg(b.lastPosition).arg(maxPos));
    const bool timeAxis = timed.toLongLong() > 0;
    if (b.axis != (timeAxis ? QLatin1String("time") : QLatin1String("position")))
        return done(QStringLiteral("axis %1 with %2 timed events").arg(b.axis, timed));
    if (b.untimed != (timeAxis ? count.toLongLong() - timed.toLongLong() : 0))
        return done(QStringLiteral("untimed %1").arg(b.untimed));
    if (b.width < 1 || (b.width & (b.width - 1)) != 0)
        return done(QStringLiteral("width %1 is not a power of two").arg(b.width));
    int shift = 0;
    while ((qint64(1) << shift) < b.width)
        ++shift;
    const QByteArray col = timeAxis ? "time" : "position";
    const QByteArray where = " WHERE" + covered + (timeAxis ? " AND time IS NOT NULL" : "");
    // The contract's GROUP BY (SQLite's >> is arithmetic: floor for negative times too).
    const QStringList expected = rows(db, "SELECT " + col + " >> " + QByteArray::number(shift) + " AS b, type, count(*) "
                                          "FROM events" + where + " GROUP BY b, type ORDER BY b, type");
    const QStringList table = rows(db, "SELECT bin, type, events FROM timeline_bins ORDER BY bin, type");
    if (expected != table)
        return done(QStringLiteral("table differs from the GROUP BY: %1 rows vs %2 (first %3 vs %4)")
                        .arg(table.size())
                        .arg(expected.size())
                        .arg(table.value(0), expected.value(0)));
    // The smallest width: at most 65,536 bins over the span, and more than that at half the width.
    auto span = [&](int s) {
        return rows(db, "SELECT (max(" + col + ") >> " + QByteArray::number(s) + ") - (min(" + col + ") >> " +
                            QByteArray::number(s) + ") + 1 FROM events" + where)
            .value(0)
            .toLongLong();
    };
    if (count.toLongLong() > 0) {
        if (span(shift) > store::kTimelineMaxBins)
            return done(QStringLiteral("%1 bins over the span at width %2").arg(span(shift)).arg(b.width));
        if (shift > 0 && span(shift - 1) <= store::kTimelineMaxBins)
            return done(QStringLiteral("width %1 is not the smallest").arg(b.width));
    }
    return done({});
}

bool writeStore(const QString& path, const QList<Event>& events, QString* error, StoreWriter::Options o = {})
{
    auto w = StoreWriter::create(path, o, error, true);
    if (!w)
        return false;
    for (const Event& e : events)
        if (!w->append(e, error))
            return false;
    return w->finish(error);
}

bool appendTo(const QString& path, const QList<Event>& events, QString* error, bool finish = true)
{
    auto w = StoreWriter::openForAppend(path, error);
    if (!w)
        return false;
    for (const Event& e : events)
        if (!w->append(e, error))
            return false;
    return finish ? w->finish(error) : w->commit(error);
}

bool sql(const QString& path, const char* statements)
{
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(QFile::encodeName(path).constData(), &db) == SQLITE_OK &&
              sqlite3_exec(db, statements, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

QStringList column(const QString& path, const char* query)
{
    sqlite3* db = nullptr;
    QStringList out;
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK)
        out = rows(db, query);
    sqlite3_close(db);
    return out;
}

/// What the previous build's writer left: no timeline_bins table, no meta row, schema version 1.
bool makeVersion1(const QString& path)
{
    return sql(path, "DROP TABLE timeline_bins; DELETE FROM meta WHERE key='timeline_bins'; "
                     "UPDATE meta SET value='1' WHERE key='schema_version'; PRAGMA user_version=1;");
}


/// Many streams, touched in a shifting window (as real logs are) and at random; some with gaps in their versions.
QList<Event> manyStreams(int n, int streams)
{
    QList<Event> out;
    QHash<QString, qint64> versions;
    quint32 seed = 4242;
    auto rnd = [&seed]() {
        seed = seed * 1103515245u + 12345u;
        return (seed >> 8) & 0xffffff;
    };
    for (int i = 0; i < n; ++i) {
        Event e;
        const int k = (i % 4 == 0) ? int(rnd() % quint32(streams)) : (i / 8 + int(rnd() % 30)) % streams;
        e.stream = QStringLiteral("stream-%1").arg(k);
        const qint64 step = (k % 9 == 0) ? 3 : 1; // every ninth stream has gaps
        e.version = versions.value(e.stream, k % 5 == 0 ? -2 : 0);
        versions[e.stream] = e.version + step;
        e.type = QStringLiteral("T%1").arg(k % 4);
        e.time = (i % 13 == 0) ? kNoTime : kT0 + i * 10;
        e.data = QStringLiteral(R"({"i":%1,"k":%2})").arg(i).arg(k).toUtf8();
        out << e;
    }
    return out;
}

/// Appends, and after every 10th event tries a duplicate of an earlier event (refused in every mode).
QString feed(StoreWriter& w, const QList<Event>& events, qint64 cacheLimit, qint64 versionLimit)
{
    QString err;
    for (int i = 0; i < events.size(); ++i) {
        if (!w.append(events[i], &err))
            return QStringLiteral("event %1: %2").arg(i).arg(err);
        if (i % 10 == 9) {
            Event dup = events[i / 2];
            dup.position = 0;
            if (w.append(dup, &err) || !w.lastWasDuplicate())
                return QStringLiteral("duplicate of event %1 not refused (%2)").arg(i / 2).arg(err);
        }
        if (w.cachedStreamCount() > cacheLimit)
            return QStringLiteral("%1 streams cached, limit %2").arg(w.cachedStreamCount()).arg(cacheLimit);
        if (w.versionSetEntries() > versionLimit)
            return QStringLiteral("%1 versions in sets, limit %2").arg(w.versionSetEntries()).arg(versionLimit);
    }
    return {};
}

} // namespace

Q_DECLARE_METATYPE(Times)

class TstStoreBins : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void binsMatchEvents_data()
    {
        QTest::addColumn<Times>("kind");
        QTest::addColumn<int>("n");
        QTest::addColumn<QString>("axis");
        QTest::addColumn<qint64>("minWidth");
        QTest::addColumn<int>("step");
        QTest::newRow("times") << Times::All << 3000 << "time" << qint64(32) << 2;
        QTest::newRow("no times") << Times::None << 3000 << "position" << qint64(1) << 2;
        QTest::newRow("mixed") << Times::Mixed << 3000 << "time" << qint64(1) << 2;
        QTest::newRow("span doubles many times") << Times::WideSpan << 4000 << "time" << (qint64(1) << 24) << 2;
        QTest::newRow("before 1970") << Times::Negative << 2000 << "time" << qint64(1) << 2;
        QTest::newRow("times start late") << Times::Late << 2000 << "time" << qint64(1) << 2;
        QTest::newRow("one event") << Times::All << 1 << "time" << qint64(1) << 2;
        QTest::newRow("empty") << Times::All << 0 << "position" << qint64(1) << 2;
        // Positions 1..150,000 (step 50): more positions than bins, so the width is 4.
        QTest::newRow("many positions") << Times::None << 3000 << "position" << qint64(4) << 50;
    }

    void binsMatchEvents()
    {
        QFETCH(Times, kind);
        QFETCH(int, n);
        QFETCH(QString, axis);
        QFETCH(qint64, minWidth);
        QFETCH(int, step);
        const QString path = m_dir.filePath(QStringLiteral("bins-%1.chronoscope").arg(QTest::currentDataTag()));
        QString err;
        QVERIFY2(writeStore(path, makeEvents(kind, n, 1, 7, step), &err), qPrintable(err));
        Bins b;
        const QString why = checkBins(path, &b);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(b.axis, axis);
        QCOMPARE(b.events, qint64(n));
        QVERIFY2(b.width >= minWidth, qPrintable(QString::number(b.width)));
        QCOMPARE(column(path, "PRAGMA user_version"), QStringList{"2"});
        QVERIFY2(SqliteStoreReader::open(path, &err), qPrintable(err));
    }

    void appendKeepsBinsCurrent_data()
    {
        QTest::addColumn<Times>("first");
        QTest::addColumn<Times>("second");
        QTest::addColumn<QString>("before"); // what is done to the store before the append
        QTest::newRow("times, then a wider span") << Times::All << Times::WideSpan << "";
        QTest::newRow("no times, then times") << Times::None << Times::All << "";
        QTest::newRow("times, then none") << Times::All << Times::None << "";
        QTest::newRow("appended by an older writer") << Times::Mixed << Times::Mixed << "older-append";
        QTest::newRow("version 1 store") << Times::All << Times::Mixed << "version1";
        QTest::newRow("meta row is garbage") << Times::All << Times::All << "garbage";
        QTest::newRow("width not a power of two") << Times::All << Times::All << "width3";
        QTest::newRow("row beyond the span") << Times::All << Times::All << "far-row";
    }

    void appendKeepsBinsCurrent()
    {
        QFETCH(Times, first);
        QFETCH(Times, second);
        QFETCH(QString, before);
        const QString path = m_dir.filePath(QStringLiteral("append-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        QString err;
        QVERIFY2(writeStore(path, makeEvents(first, 400), &err), qPrintable(err));
        if (before == QLatin1String("older-append")) {
            // An event added by a writer that does not know the summary: the meta row no longer matches.
            QVERIFY(sql(path, "INSERT INTO events(position, stream, version, type, time, data) "
                              "VALUES(100000, 1, 999, 1, 5, '{}')"));
            QVERIFY(!checkBins(path).isEmpty());
        } else if (before == QLatin1String("version1")) {
            QVERIFY(makeVersion1(path));
        } else if (before == QLatin1String("garbage")) {
            QVERIFY(sql(path, "UPDATE meta SET value='{\"axis\":' WHERE key='timeline_bins'"));
        } else if (before == QLatin1String("width3")) {
            QVERIFY(sql(path, "UPDATE meta SET value=replace(value, '\"width\":', '\"width\":3') WHERE key='timeline_bins'"));
        } else if (before == QLatin1String("far-row")) {
            QVERIFY(sql(path, "UPDATE timeline_bins SET bin=bin+1000000 WHERE (bin, type) IN (SELECT bin, type FROM "
                              "timeline_bins LIMIT 1)"));
        }
        const QList<Event> more = makeEvents(second, 400, 200001, 99);
        // A commit without finish (a live cache) already leaves a current summary.
        QVERIFY2(appendTo(path, more.mid(0, 200), &err, false), qPrintable(err));
        QString why = checkBins(path);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY2(appendTo(path, more.mid(200), &err), qPrintable(err));
        Bins b;
        why = checkBins(path, &b);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(column(path, "PRAGMA user_version"), QStringList{"2"});
        QVERIFY2(SqliteStoreReader::open(path, &err), qPrintable(err));
    }

    // When an append writes the summary (StoreWriter::setTimelineSummaryTiming, docs/store.md "Timeline summary"):
    // after every step the meta row says exactly which events the stored bins count (the GROUP BY of the events up
    // to its last_position), current or not; the in-place reader uses it only when current; finish() and
    // buildIndexes() always leave it current, and a writer closed before finish() leaves a stale one that the
    // next append rebuilds.
    void commitTiming_data()
    {
        QTest::addColumn<qint64>("intervalMs");
        QTest::addColumn<qint64>("fewEvents");
        // Steps, each "append N [kind]" then "commit", "sleep MS", "close" (destroy without finish), "reopen",
        // "suspend", "build" (buildIndexes), "finish"; each followed by the expected state ("current" / "stale").
        QTest::addColumn<QStringList>("steps");
        QTest::newRow("every commit") << qint64(0) << qint64(0)
                                      << QStringList{"300 commit current", "300 commit current", "300 finish current"};
        QTest::newRow("first commit, then between writes")
            << qint64(3600000) << qint64(0)
            << QStringList{"300 commit current", "300 commit stale", "300 commit stale", "0 finish current"};
        QTest::newRow("a few events a commit")
            << qint64(3600000) << qint64(100)
            << QStringList{"300 commit current", "50 commit current", "300 commit stale", "20 commit stale",
                           "0 finish current"};
        // 1.5 s: the reads between two commits (a check of the bins, an in-place count) must fit inside the
        // interval on a loaded machine or under ASan, or the second commit would find it elapsed.
        QTest::newRow("after the interval")
            << qint64(1500) << qint64(0)
            << QStringList{"300 commit current", "300 commit stale", "0 sleep stale", "300 commit current", "0 finish current"};
        QTest::newRow("width doubles between writes")
            << qint64(3600000) << qint64(0)
            << QStringList{"300 commit current", "300wide commit stale", "300wide commit stale", "0 finish current"};
        QTest::newRow("axis changes between writes")
            << qint64(3600000) << qint64(0)
            << QStringList{"300untimed commit current", "300 commit stale", "0 finish current"};
        QTest::newRow("closed before finish")
            << qint64(3600000) << qint64(0)
            << QStringList{"300 commit current", "300 commit stale", "0 close stale", "0 reopen stale",
                           "0 commit current", "300 commit stale", "0 finish current"};
        QTest::newRow("read with suspended indexes")
            << qint64(3600000) << qint64(1000)
            << QStringList{"0 suspend current", "200 commit current", "5000 commit stale", "5000 commit stale",
                           "0 build current", "10 commit current", "0 finish current"};
    }

    void commitTiming()
    {
        QFETCH(qint64, intervalMs);
        QFETCH(qint64, fewEvents);
        QFETCH(QStringList, steps);
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-').remove(u',');
        const QString path = m_dir.filePath(QStringLiteral("timing-%1.chronoscope").arg(tag));
        QString err;
        QVERIFY2(writeStore(path, {}, &err), qPrintable(err));  // a live cache: an empty finished store first
        auto open = [&] {
            auto w = StoreWriter::openForAppend(path, &err, /*durable=*/false);
            if (w)
                w->setTimelineSummaryTiming(intervalMs, fewEvents);
            return w;
        };
        std::unique_ptr<StoreWriter> w = open();
        QVERIFY2(w, qPrintable(err));
        int position = 1;
        quint32 seed = 11;
        for (const QString& step : steps) {
            const QStringList parts = step.split(u' ');
            QCOMPARE(parts.size(), 3);
            const QString what = parts[1];
            const int n = QString(parts[0]).remove(QRegularExpression(QStringLiteral("[a-z]+"))).toInt();
            const Times kind = parts[0].endsWith(QLatin1String("wide"))      ? Times::WideSpan
                               : parts[0].endsWith(QLatin1String("untimed")) ? Times::None
                                                                             : Times::All;
            QVERIFY2(w || n == 0, qPrintable(step));
            for (const Event& e : makeEvents(kind, n, position, ++seed, 1))
                QVERIFY2(w->append(e, &err), qPrintable(err));
            position += n;
            if (what == QLatin1String("commit")) {
                QVERIFY2(w->commit(&err), qPrintable(err));
            } else if (what == QLatin1String("sleep")) {
                QThread::msleep(quint64(intervalMs) + 20);
            } else if (what == QLatin1String("close")) {
                w.reset();  // no finish(): a crash or a cancelled read
            } else if (what == QLatin1String("reopen")) {
                w = open();  // rebuilds the stale summary from the events, written at its first commit
                QVERIFY2(w, qPrintable(err));
            } else if (what == QLatin1String("suspend")) {
                QVERIFY2(w->suspendIndexes(&err), qPrintable(err));
            } else if (what == QLatin1String("build")) {
                QVERIFY2(w->buildIndexes(&err), qPrintable(err));
            } else if (what == QLatin1String("finish")) {
                QVERIFY2(w->finish(&err), qPrintable(err));
                w.reset();
            } else {
                QFAIL(qPrintable(step));
            }
            // Read as another process would, between two commits of the writer.
            bool current = false;
            const QString why = checkBins(path, nullptr, &current);
            QVERIFY2(why.isEmpty(), qPrintable(step + QStringLiteral(": ") + why));
            QVERIFY2(current == (parts[2] == QLatin1String("current")), qPrintable(step));
            if (position == 1)
                continue;  // no events: the in-place reader takes the time axis, the summary says position
            QTemporaryDir cache;
            NativeInPlaceSource inPlace(path, RemoteFirstOptions{}, cache.path());
            QVERIFY2(inPlace.open(&err), qPrintable(err));
            // The reader checks the summary against the store's count at its first exact density.
            RemoteSummary rs;
            QVERIFY2(inPlace.summary(&rs, &err), qPrintable(err));
            RemoteDensity rd;
            const bool timeAxis = rs.axis == RemoteAxis::Time;
            QVERIFY2(inPlace.density(timeAxis ? rs.firstTime : rs.firstPosition, timeAxis ? rs.lastTime : rs.lastPosition,
                                     10, &rd, &err),
                     qPrintable(err));
            QVERIFY2((inPlace.finesSource() == QLatin1String("timeline_bins")) == current,
                     qPrintable(step + QStringLiteral(": ") + inPlace.finesSource() + inPlace.notes().join(u';')));
        }
        QVERIFY(!w);
    }

    void previousVersionOpens()
    {
        const QString path = m_dir.filePath("v1.chronoscope");
        QString err;
        const QList<Event> events = makeEvents(Times::Mixed, 500);
        QVERIFY2(writeStore(path, events, &err), qPrintable(err));
        QVERIFY(makeVersion1(path));
        const QByteArray before = [&] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        auto r = SqliteStoreReader::open(path, &err);
        QVERIFY2(r, qPrintable(err));
        QCOMPARE(r->info().events, qint64(events.size()));
        QCOMPARE(r->readAll({}).size(), events.size());
        r.reset();
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before); // opening never writes: still no table
        QCOMPARE(column(path, "SELECT count(*) FROM sqlite_master WHERE name='timeline_bins'"), QStringList{"0"});
        QCOMPARE(column(path, "PRAGMA user_version"), QStringList{"1"});
    }

    // The writer's per-stream memory is bounded (docs/store.md "Writing big stores"): with a cache of a few
    // dozen streams for hundreds of streams, every path writes the same store as with everything in memory.
    // SQLite's page cache is part of the writer's memory budget. It is set in KiB after the page size (SQLite turns
    // KiB into pages when the pragma runs: set before the 16 KB page size, 16 MB became 64 MB). 60 MB of events
    // through a bulk create: the cache never holds more than its size (and some slack for SQLite's page headers),
    // and it is used.
    void pageCacheIsBounded()
    {
        const QString path = m_dir.filePath(QStringLiteral("pagecache.chronoscope"));
        QString err;
        auto w = StoreWriter::create(path, StoreWriter::Options{}, &err, true);
        QVERIFY2(w, qPrintable(err));
        const qint64 limit = StoreWriter::kPageCacheBytes + StoreWriter::kPageCacheBytes / 10;
        const QByteArray pad(560, 'x');
        qint64 most = 0;
        Event e;
        e.type = QStringLiteral("Padded");
        e.metadata = "{}";
        for (int i = 0; i < 100000; ++i) {
            e.position = i + 1;
            e.stream = QStringLiteral("s-%1").arg(i % 5000);
            e.version = i / 5000;
            e.time = kT0 + i;
            e.data = "{\"i\":" + QByteArray::number(i) + ",\"pad\":\"" + pad + "\"}";
            QVERIFY2(w->append(e, &err), qPrintable(err));
            if (i % 1000 == 999) {
                most = std::max(most, w->pageCacheBytes());
                QVERIFY2(w->pageCacheBytes() <= limit, qPrintable(QString::number(w->pageCacheBytes())));
            }
        }
        QVERIFY2(most > StoreWriter::kPageCacheBytes / 2, qPrintable(QString::number(most)));
        QVERIFY2(w->finish(&err), qPrintable(err));
    }

    void streamCacheIsBounded_data()
    {
        QTest::addColumn<bool>("bulk");
        QTest::addColumn<QString>("append"); // "", "append", "suspended"
        QTest::addColumn<qint64>("versionLimit");
        QTest::newRow("bulk create") << true << "" << qint64(100000);
        QTest::newRow("create with indexes") << false << "" << qint64(100000);
        QTest::newRow("bulk, version sets overflow") << true << "" << qint64(20);
        QTest::newRow("append") << true << "append" << qint64(100000);
        QTest::newRow("append, indexes suspended") << true << "suspended" << qint64(100000);
    }

    void streamCacheIsBounded()
    {
        QFETCH(bool, bulk);
        QFETCH(QString, append);
        QFETCH(qint64, versionLimit);
        const qint64 cacheLimit = 16;
        const QList<Event> events = manyStreams(1200, 150);
        const qsizetype split = append.isEmpty() ? events.size() : events.size() / 2;
        StoreWriter::Options o;
        o.bulk = bulk;
        o.checkpointEvery = 3;
        auto write = [&](const QString& path, bool bounded, qint64* evictions) -> QString {
            QString err;
            auto w = StoreWriter::create(path, o, &err, true);
            if (!w)
                return err;
            if (bounded)
                w->setStreamCacheLimit(cacheLimit, versionLimit);
            QString why = feed(*w, events.mid(0, split), bounded ? cacheLimit : 1 << 30, bounded ? versionLimit : 1 << 30);
            *evictions = w->streamCacheEvictions();
            if (!why.isEmpty())
                return why;
            if (bounded && versionLimit < 100 && w->indexesSuspended())
                return QStringLiteral("the version sets outgrew their limit but the unique index was not built");
            if (!w->finish(&err))
                return err;
            if (append.isEmpty())
                return {};
            w = StoreWriter::openForAppend(path, &err);
            if (!w)
                return err;
            if (bounded)
                w->setStreamCacheLimit(cacheLimit, versionLimit);
            if (append == QLatin1String("suspended") && !w->suspendIndexes(&err))
                return err;
            why = feed(*w, events.mid(split), bounded ? cacheLimit : 1 << 30, bounded ? versionLimit : 1 << 30);
            *evictions += w->streamCacheEvictions();
            if (!why.isEmpty())
                return why;
            if (w->streamCount() != 150)
                return QStringLiteral("streamCount %1").arg(w->streamCount());
            return w->finish(&err) ? QString() : err;
        };
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-').remove(u',');
        const QString bounded = m_dir.filePath(QStringLiteral("bounded-%1.chronoscope").arg(tag));
        const QString reference = m_dir.filePath(QStringLiteral("reference-%1.chronoscope").arg(tag));
        qint64 evictions = 0, none = 0;
        QString why = write(bounded, true, &evictions);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        why = write(reference, false, &none);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY2(evictions > 10, qPrintable(QString::number(evictions)));
        QCOMPARE(none, qint64(0));
        for (const char* q : {"SELECT name, events, first_version, last_version, first_position, last_position, "
                              "first_time, last_time FROM streams ORDER BY name",
                              "SELECT e.position, s.name, e.version, e.time FROM events e JOIN streams s ON s.id = e.stream "
                              "ORDER BY e.position",
                              "SELECT s.name, c.version, c.position, c.time, c.state FROM checkpoints c JOIN streams s ON "
                              "s.id = c.stream ORDER BY s.name, c.version",
                              "SELECT bin, type, events FROM timeline_bins ORDER BY bin, type"}) {
            const QStringList got = column(bounded, q), want = column(reference, q);
            QVERIFY2(!want.isEmpty(), q);
            QVERIFY2(got == want, qPrintable(QStringLiteral("%1: %2 rows vs %3").arg(QLatin1String(q)).arg(got.size()).arg(want.size())));
        }
        // The summary agrees with the events, too.
        QCOMPARE(column(bounded, "SELECT s.name || ' ' || s.events || ' ' || s.first_version || ' ' || s.last_version FROM "
                                 "streams s ORDER BY s.name"),
                 column(bounded, "SELECT s.name || ' ' || count(*) || ' ' || min(e.version) || ' ' || max(e.version) FROM "
                                 "events e JOIN streams s ON s.id = e.stream GROUP BY s.id ORDER BY s.name"));
        QVERIFY2(checkBins(bounded).isEmpty(), qPrintable(checkBins(bounded)));
    }

    void newStreamsNeedNoLookupAfterSpilling()
    {
        // 2,000 streams through a cache of 16, each met for the first time: once the cache has spilled, a name that
        // was never written out is known new without a lookup in the streams table. Then 100 streams met again: each
        // is looked up and found, and its events continue its summary (same id, next versions).
        const QString path = m_dir.filePath(QStringLiteral("lookups.chronoscope"));
        for (const bool bulk : {true, false}) {
            StoreWriter::Options o;
            o.bulk = bulk;
            QString err;
            auto w = StoreWriter::create(path, o, &err, true);
            QVERIFY2(w, qPrintable(err));
            w->setStreamCacheLimit(16);
            qint64 position = 0;
            auto add = [&](int k, qint64 version) {
                Event e;
                e.stream = QStringLiteral("new-%1").arg(k);
                e.version = version;
                e.type = QStringLiteral("T");
                e.time = kT0 + ++position;
                e.data = "{}";
                return w->append(e, &err);
            };
            for (int k = 0; k < 2000; ++k)
                QVERIFY2(add(k, 0), qPrintable(err));
            QVERIFY(w->streamCacheEvictions() > 100);
            QCOMPARE(w->streamNameLookups(), qint64(0));
            for (int k = 0; k < 100; ++k)
                QVERIFY2(add(k * 7, 1), qPrintable(err));
            QCOMPARE(w->streamNameLookups(), qint64(100));
            QVERIFY2(w->finish(&err), qPrintable(err));
            QCOMPARE(column(path, "SELECT count(*) || ' ' || sum(events) FROM streams"), QStringList{"2000 2100"});
            QCOMPARE(column(path, "SELECT count(*) FROM streams WHERE events = 2 AND first_version = 0 AND last_version = 1 "
                                  "AND CAST(substr(name, 5) AS INTEGER) % 7 = 0 AND CAST(substr(name, 5) AS INTEGER) < 700"),
                     QStringList{"100"});
            QCOMPARE(column(path, "SELECT count(DISTINCT stream) FROM events"), QStringList{"2000"});
            QCOMPARE(column(path, "PRAGMA integrity_check"), QStringList{"ok"});
        }
        // Appending looks up every stream it has not cached: the file's streams were never in this writer's filter.
        QString err;
        auto w = StoreWriter::openForAppend(path, &err);
        QVERIFY2(w, qPrintable(err));
        Event e;
        e.stream = QStringLiteral("new-3");
        e.version = 1;
        e.type = QStringLiteral("T");
        e.time = kT0 + 5000;
        e.data = "{}";
        QVERIFY2(w->append(e, &err), qPrintable(err));
        QCOMPARE(w->streamNameLookups(), qint64(1));
        QVERIFY2(w->finish(&err), qPrintable(err));
        QCOMPARE(column(path, "SELECT events || ' ' || last_version FROM streams WHERE name = 'new-3'"), QStringList{"2 1"});
    }

    void craftedBinsTable_data()
    {
        QTest::addColumn<QByteArray>("statements");
        QTest::addColumn<QString>("expected");
        QTest::newRow("events declared TEXT")
            << QByteArray("DROP TABLE timeline_bins; CREATE TABLE timeline_bins(bin INTEGER NOT NULL, type INTEGER NOT "
                          "NULL, events TEXT NOT NULL, PRIMARY KEY(bin, type)) WITHOUT ROWID;")
            << "column timeline_bins.events is declared TEXT, not INTEGER";
        QTest::newRow("a view") << QByteArray("DROP TABLE timeline_bins; CREATE VIEW timeline_bins AS SELECT 1 AS bin, "
                                              "1 AS type, 1 AS events;")
                                << "'timeline_bins' is a view, not a table";
    }

    void craftedBinsTable()
    {
        QFETCH(QByteArray, statements);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("crafted-%1.chronoscope").arg(QTest::currentDataTag()).replace(u' ', u'-'));
        QString err;
        QVERIFY2(writeStore(path, makeEvents(Times::All, 50), &err), qPrintable(err));
        QVERIFY(sql(path, statements.constData()));
        QVERIFY(!SqliteStoreReader::open(path, &err));
        QVERIFY2(err.contains(expected) && err.contains(path), qPrintable(err));
    }
};

QTEST_GUILESS_MAIN(TstStoreBins)
#include "tst_storebins.moc"
