// Foreign SQLite layouts read in place (docs/layouts.md): builds a store of each layout (Emmett, Python
// eventsourcing with zlib-compressed states, cqrs-es) with N events of ~340 bytes, then times what the CLI
// and the views do on them through openSource(): open, info, streams, a full scan, per-stream reads,
// type and time filters, eventAt.
//
//   build/release/tests/benchmarks/bench_layouts [--events N] [--dir DIR]
//
// Stores are kept in DIR (default /tmp/chronoscope-bench-layouts) and reused when they already hold N events.
// Prints one JSON line per layout.
#include "sources/sourceregistry.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimeZone>
#include <QFileInfo>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace chronoscope;

namespace {

constexpr qint64 kEventsPerStream = 50;
const char* const kTypes[] = {"OrderPlaced", "ItemAdded", "PaymentRequested", "PaymentSucceeded",
                              "PaymentFailed", "ShipmentCreated", "ShipmentDelivered", "OrderClosed"};

QByteArray payload(qint64 i)
{
    // ~340 bytes with the envelope, like the 1M-event store.
    return QByteArrayLiteral("{\"orderId\":\"order-") + QByteArray::number(i % 100000) +
           "\",\"customer\":{\"id\":\"c-" + QByteArray::number(i % 977) +
           "\",\"tier\":\"gold\"},\"amount\":" + QByteArray::number(double(i % 10000) / 100, 'f', 2) +
           ",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"sku-" + QByteArray::number(i % 311) +
           "\",\"qty\":2},{\"sku\":\"sku-" + QByteArray::number(i % 53) +
           "\",\"qty\":1}],\"note\":\"benchmark payload padding text\"}";
}

QString hex32(qint64 n)
{
    return QStringLiteral("%1").arg(n, 32, 16, QLatin1Char('0'));
}

bool fail(const QSqlQuery& q)
{
    std::fprintf(stderr, "SQL failed: %s\n", qPrintable(q.lastError().text()));
    return false;
}

// Events interleave across streams (event i belongs to stream i % streams) with one event per 100 ms.
bool build(const QString& layout, const QString& path, qint64 n)
{
    QFile::remove(path);
    const QString conn = QStringLiteral("bench-") + layout;
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), conn);
        db.setDatabaseName(path);
        if (!db.open())
            return false;
        QSqlQuery q(db);
        q.exec(QStringLiteral("PRAGMA journal_mode=OFF"));
        q.exec(QStringLiteral("PRAGMA synchronous=OFF"));
        const qint64 streams = std::max<qint64>(1, n / kEventsPerStream);
        const qint64 t0 = 1767607200000; // 2026-01-05T10:00:00Z
        db.transaction();
        if (layout == QLatin1String("emmett")) {
            ok = q.exec(QStringLiteral(
                     "CREATE TABLE emt_messages(stream_id TEXT NOT NULL, stream_position BIGINT NOT NULL, partition "
                     "TEXT NOT NULL DEFAULT 'global', message_kind CHAR(1) NOT NULL DEFAULT 'E', message_data JSONB "
                     "NOT NULL, message_metadata JSONB NOT NULL, message_schema_version TEXT NOT NULL, message_type "
                     "TEXT NOT NULL, message_id TEXT NOT NULL, is_archived BOOLEAN NOT NULL DEFAULT FALSE, "
                     "global_position INTEGER PRIMARY KEY, created DATETIME DEFAULT CURRENT_TIMESTAMP, "
                     "UNIQUE (stream_id, stream_position, partition, is_archived))")) ||
                 fail(q);
            q.prepare(QStringLiteral("INSERT INTO emt_messages VALUES (?,?,'emt:default','E',?,?,'0',?,?,0,?,?)"));
            for (qint64 i = 0; ok && i < n; ++i) {
                const QString stream = QStringLiteral("order-%1").arg(i % streams);
                const qint64 version = i / streams + 1;
                const QDateTime when = QDateTime::fromMSecsSinceEpoch(t0 + i * 100, Qt::UTC);
                q.addBindValue(stream);
                q.addBindValue(version);
                q.addBindValue(QString::fromUtf8(payload(i)));
                q.addBindValue(QStringLiteral("{\"streamName\":\"%1\",\"messageId\":\"m-%2\",\"correlationId\":\"c-%3\"}")
                                   .arg(stream)
                                   .arg(i)
                                   .arg(i % 1000));
                q.addBindValue(QString::fromLatin1(kTypes[i % 8]));
                q.addBindValue(QStringLiteral("m-%1").arg(i));
                q.addBindValue(i + 1);
                q.addBindValue(when.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
                ok = q.exec() || fail(q);
            }
        } else if (layout == QLatin1String("eventsourcing")) {
            ok = q.exec(QStringLiteral("CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, "
                                       "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))")) ||
                 fail(q);
            q.prepare(QStringLiteral("INSERT INTO stored_events VALUES (?,?,?,?)"));
            for (qint64 i = 0; ok && i < n; ++i) {
                const QDateTime when = QDateTime::fromMSecsSinceEpoch(t0 + i * 100, Qt::UTC);
                QByteArray state = payload(i);
                state.chop(1);
                state += ",\"timestamp\":{\"_type_\":\"datetime_iso\",\"_data_\":\"" +
                         when.toString(Qt::ISODateWithMs).toLatin1() + "\"}}";
                q.addBindValue(hex32(i % streams));
                q.addBindValue(i / streams + 1);
                q.addBindValue(QStringLiteral("shop.domain:Order.%1").arg(QLatin1String(kTypes[i % 8])));
                q.addBindValue(qCompress(state).mid(4)); // qCompress = 4-byte size + a zlib stream
                ok = q.exec() || fail(q);
            }
        } else {
            ok = q.exec(QStringLiteral("CREATE TABLE events (aggregate_type text NOT NULL, aggregate_id text NOT "
                                       "NULL, sequence integer NOT NULL, event_type text NOT NULL, event_version "
                                       "text NOT NULL, payload text NOT NULL, metadata text NOT NULL, PRIMARY KEY "
                                       "(aggregate_type, aggregate_id, sequence)) STRICT")) ||
                 fail(q);
            q.prepare(QStringLiteral("INSERT INTO events VALUES (?,?,?,?,'1.0',?,'{}')"));
            for (qint64 i = 0; ok && i < n; ++i) {
                q.addBindValue(QStringLiteral("Order"));
                q.addBindValue(QStringLiteral("o-%1").arg(i % streams));
                q.addBindValue(i / streams + 1);
                q.addBindValue(QString::fromLatin1(kTypes[i % 8]));
                q.addBindValue(QStringLiteral("{\"%1\":%2}").arg(QLatin1String(kTypes[i % 8]),
                                                                 QString::fromUtf8(payload(i))));
                ok = q.exec() || fail(q);
            }
        }
        ok = db.commit() && ok;
    }
    QSqlDatabase::removeDatabase(conn);
    return ok;
}

double ms(const QElapsedTimer& t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    qint64 n = 1000000;
    QString dir = QStringLiteral("/tmp/chronoscope-bench-layouts");
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--events"))
            n = args[i + 1].toLongLong();
        else if (args[i] == QLatin1String("--dir"))
            dir = args[i + 1];
    }
    QDir().mkpath(dir);
    for (const char* layoutName : {"emmett", "eventsourcing", "cqrs-es"}) {
        const QString layout = QString::fromLatin1(layoutName);
        const QString path = QStringLiteral("%1/%2-%3.sqlite").arg(dir, layout).arg(n);
        QElapsedTimer t;
        double buildS = 0;
        if (!QFile::exists(path)) {
            t.start();
            if (!build(layout, path, n)) {
                std::fprintf(stderr, "could not build %s\n", qPrintable(path));
                return 2;
            }
            buildS = ms(t) / 1000;
        }

        t.start();
        QString error;
        auto r = openSource(path, {}, &error);
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return 2;
        }
        const double openMs = ms(t);
        t.restart();
        const StoreInfo info = r->info();
        const double infoMs = ms(t);
        auto fresh = r->clone(&error);
        t.restart();
        const QList<StreamInfo> streams = fresh->streams();
        const double streamsMs = ms(t);

        t.restart();
        qint64 scanned = 0;
        r->read({}, [&](const Event&) { ++scanned; return true; });
        const double scanS = ms(t) / 1000;

        std::vector<double> streamMs, atMs;
        QRandomGenerator rng(42);
        for (int i = 0; i < 200 && !streams.isEmpty(); ++i) {
            EventQuery q;
            q.stream = streams[rng.bounded(int(streams.size()))].stream;
            t.restart();
            r->readAll(q);
            streamMs.push_back(ms(t));
            t.restart();
            r->eventAt(1 + qint64(rng.bounded(quint64(n))));
            atMs.push_back(ms(t));
        }
        EventQuery typeQuery;
        typeQuery.types = {QStringLiteral("PaymentFailed")};
        typeQuery.limit = 100;
        typeQuery.backward = true;
        t.restart();
        const qint64 typeHits = r->readAll(typeQuery).size();
        const double typeMs = ms(t);
        EventQuery timeQuery; // one minute in the middle of the store
        timeQuery.since = 1767607200000 + n * 50;
        timeQuery.until = timeQuery.since + 60000;
        t.restart();
        const qint64 timeHits = r->readAll(timeQuery).size();
        const double timeMs = ms(t);

        std::printf("{\"layout\":\"%s\",\"events\":%lld,\"streams\":%lld,\"fileMB\":%.1f,\"buildS\":%.1f,"
                    "\"openMs\":%.1f,\"infoMs\":%.1f,\"streamsMs\":%.1f,\"scanS\":%.2f,\"scanEventsPerS\":%.0f,"
                    "\"streamReadP50Ms\":%.2f,\"streamReadP99Ms\":%.2f,\"eventAtP99Ms\":%.3f,"
                    "\"lastPaymentFailedx100Ms\":%.1f,\"typeHits\":%lld,\"oneMinuteWindowMs\":%.1f,\"timeHits\":%lld}\n",
                    layoutName, static_cast<long long>(info.events), static_cast<long long>(info.streams),
                    double(QFileInfo(path).size()) / 1e6, buildS, openMs, infoMs, streamsMs, scanS,
                    double(scanned) / scanS, percentile(streamMs, 0.5), percentile(streamMs, 0.99),
                    percentile(atMs, 0.99), typeMs, static_cast<long long>(typeHits), timeMs,
                    static_cast<long long>(timeHits));
        std::fflush(stdout);
    }
    return 0;
}
