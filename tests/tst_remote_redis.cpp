// Redis Streams against a real redis-server on loopback (tests/fixtures/remote_redis.sh), written with XADD.

#include "sources/remote/remoteclient.h"

#include "fixtures/globcases.h"
#include "fixtures/remotefixture.h"
#include "fixtures/watchdog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <hiredis.h>

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace chronoscope;

namespace {

struct Written
{
    QString key;
    quint64 ms, seq;
    QString type;
    QByteArray data;
};

} // namespace

class TestRemoteRedis : public QObject
{
    Q_OBJECT

    int m_port = 0, m_authPort = 0;
    QString m_prefix;
    QList<Written> m_written;
    const quint64 m_base = 1767607200000ULL;  // 2026-01-05T10:00:00Z

    /// Apart from m_prefix, so the other tests' "*" globs do not see the glob table's keys.
    QString globPrefix() const { return QStringLiteral("g%1.").arg(QCoreApplication::applicationPid()); }

    redisContext* connectRaw(int port)
    {
        redisContext* c = redisConnect("127.0.0.1", port);
        return c && !c->err ? c : nullptr;
    }
    static bool cmd(redisContext* c, const QList<QByteArray>& argv)
    {
        std::vector<const char*> a;
        std::vector<size_t> l;
        for (const auto& s : argv) {
            a.push_back(s.constData());
            l.push_back(size_t(s.size()));
        }
        auto* r = static_cast<redisReply*>(redisCommandArgv(c, int(a.size()), a.data(), l.data()));
        const bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r && r->type == REDIS_REPLY_ERROR)
            qWarning() << argv << r->str;
        if (r)
            freeReplyObject(r);
        return ok;
    }
    QString uri(const QString& query = {}, int port = 0) const
    {
        return QStringLiteral("redis://127.0.0.1:%1/0%2").arg(port ? port : m_port).arg(query);
    }
    std::unique_ptr<RemoteClient> client(const QString& u, QString* error)
    {
        RemoteEndpoint ep;
        if (!RemoteEndpoint::parse(u, &ep, error))
            return nullptr;
        return createRemoteClient(ep, error);
    }
    static QList<Event> readAll(RemoteClient* c, const RemoteScope& scope, bool* ok, QString* error)
    {
        QList<Event> out;
        *ok = c->read(scope, [&](const QList<Event>& page) { out += page; return true; }, error);
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_port = testing::remoteFixturePort(QStringLiteral("redis"), &error);
        QVERIFY2(m_port > 0, qPrintable(error));
        m_authPort = testing::remoteFixturePort(QStringLiteral("redis"), &error, QStringLiteral("port-auth"));
        QVERIFY2(m_authPort > 0, qPrintable(error));
        m_prefix = QStringLiteral("t%1.").arg(QCoreApplication::applicationPid());
        redisContext* c = connectRaw(m_port);
        QVERIFY(c);
        // Three streams, interleaved in time; two entries share a millisecond.
        const QStringList keys = {QStringLiteral("account-1"), QStringLiteral("account-2"), QStringLiteral("order-1")};
        const int plan[][2] = {{0, 0}, {1, 1000}, {2, 2000}, {0, 3000}, {0, 3000}, {2, 4000}, {1, 5000},
                               {0, 6000}, {2, 7000}, {1, 8000}, {0, 9000}, {2, 10000}};
        quint64 lastMs = 0, seq = 0;
        int i = 0;
        for (const auto& p : plan) {
            const QString key = m_prefix + keys[p[0]];
            const quint64 ms = m_base + quint64(p[1]);
            seq = ms == lastMs ? seq + 1 : 0;
            lastMs = ms;
            const QString type = i % 2 ? QStringLiteral("Withdrawn") : QStringLiteral("Deposited");
            const QByteArray data = QStringLiteral("{ \"amount\" : %1, \"tags\": [\"a\", \"b\"] }").arg(i * 10).toUtf8();
            QVERIFY(cmd(c, {"XADD", key.toUtf8(), QByteArray::number(ms) + '-' + QByteArray::number(seq), "type",
                            type.toUtf8(), "data", data, "metadata", "{\"correlationId\": \"c-1\"}"}));
            m_written.append({key, ms, seq, type, data});
            ++i;
        }
        // The glob table's names (tests/fixtures/globcases.h), one entry each, under their own prefix.
        for (const QString& n : testing::globNames())
            QVERIFY(cmd(c, {"XADD", (globPrefix() + n).toUtf8(), "*", "type", "T", "data", "{}"}));
        QVERIFY(cmd(c, {"HSET", (m_prefix + QStringLiteral("profile-1")).toUtf8(), "name", "x"}));
        QVERIFY(cmd(c, {"SET", (m_prefix + QStringLiteral("other-1")).toUtf8(), "plain"}));
        redisFree(c);
    }

    void cleanupTestCase()
    {
        if (redisContext* c = connectRaw(m_port)) {
            for (const QString& prefix : {m_prefix, globPrefix()}) {
                auto* r = static_cast<redisReply*>(redisCommand(c, "KEYS %s*", prefix.toUtf8().constData()));
                if (r && r->type == REDIS_REPLY_ARRAY)
                    for (size_t i = 0; i < r->elements; ++i)
                        freeReplyObject(redisCommand(c, "DEL %b", r->element[i]->str, r->element[i]->len));
                if (r)
                    freeReplyObject(r);
            }
            redisFree(c);
        }
    }

    void readsAllStreamsMergedByEntryId()
    {
        QString error;
        auto c = client(uri(), &error);
        QVERIFY2(c && c->connect(&error), qPrintable(error));
        RemoteScope scope;
        scope.streams = m_prefix + u'*';
        c->setPageSize(2, 3);
        bool ok = false;
        const QList<Event> got = readAll(c.get(), scope, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), m_written.size());
        QHash<QString, qint64> versions;
        for (int i = 0; i < got.size(); ++i) {
            const Event& e = got[i];
            const Written& w = m_written[i];
            QCOMPARE(e.position, qint64(i + 1));
            QCOMPARE(e.stream, w.key);
            QCOMPARE(e.version, versions[w.key]++);
            QCOMPARE(e.type, w.type);
            QCOMPARE(e.time, TimeMs(w.ms));
            QCOMPARE(e.id, QStringLiteral("%1-%2").arg(w.ms).arg(w.seq));
            QCOMPARE(e.data, QJsonDocument::fromJson(w.data).toJson(QJsonDocument::Compact));
            QCOMPARE(e.correlationId(), QStringLiteral("c-1"));
            QVERIFY2(e.metadata.contains("\"redisId\":\"" + e.id.toUtf8() + '"'), e.metadata.constData());
        }
    }

    void scope_data()
    {
        QTest::addColumn<QString>("streams");
        QTest::addColumn<int>("since");  // seconds after base, -1 none
        QTest::addColumn<int>("until");
        QTest::addColumn<int>("last");
        QTest::newRow("one key") << "order-1" << -1 << -1 << -1;
        QTest::newRow("category") << "account-*" << -1 << -1 << -1;
        QTest::newRow("class") << "[o]rder-?" << -1 << -1 << -1;
        QTest::newRow("since") << "*" << 4 << -1 << -1;
        QTest::newRow("until") << "*" << -1 << 3 << -1;
        QTest::newRow("window") << "account-*" << 1 << 8 << -1;
        QTest::newRow("last 5") << "*" << -1 << -1 << 5;
        QTest::newRow("last 3 in a window") << "*" << 2 << 9 << 3;
        QTest::newRow("last 0") << "*" << -1 << -1 << 0;
        QTest::newRow("last too many") << "order-*" << -1 << -1 << 50;
        QTest::newRow("same millisecond kept in order") << "account-1" << 3 << 3 << -1;
    }

    void scope()
    {
        QFETCH(QString, streams);
        QFETCH(int, since);
        QFETCH(int, until);
        QFETCH(int, last);
        RemoteScope s;
        s.streams = m_prefix + streams;
        if (since >= 0)
            s.since = TimeMs(m_base) + since * 1000;
        if (until >= 0)
            s.until = TimeMs(m_base) + until * 1000;
        s.last = last;
        QStringList want;
        for (const Written& w : m_written) {
            if (!globMatch(s.streams, w.key))
                continue;
            if (s.since != kNoTime && TimeMs(w.ms) < s.since)
                continue;
            if (s.until != kNoTime && TimeMs(w.ms) > s.until)
                continue;
            want << QStringLiteral("%1-%2").arg(w.ms).arg(w.seq);
        }
        if (last >= 0)
            want = want.mid(std::max<qsizetype>(0, want.size() - last));
        QString error;
        auto c = client(uri(), &error);
        c->setPageSize(1, 2);
        bool ok = false;
        QStringList ids;
        for (const Event& e : readAll(c.get(), s, &ok, &error))
            ids << e.id;
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(ids, want);
    }

    // The shared glob table: SCAN MATCH (Redis's own byte-wise grammar) plus the local matcher select
    // exactly what the local matcher alone selects.
    void globTable_data()
    {
        testing::addGlobTableRows();
    }
    void globTable()
    {
        QFETCH(QString, pattern);
        QFETCH(QStringList, names);
        const QString prefix = globPrefix();
        QString error;
        auto c = client(uri(), &error);
        QVERIFY2(c, qPrintable(error));
        RemoteScope s;
        s.streams = prefix + pattern;
        bool ok = false;
        const QList<Event> got = readAll(c.get(), s, &ok, &error);
        QStringList streams;
        for (const Event& e : got)
            streams << e.stream.mid(prefix.size());
        streams.sort();
        if (names.isEmpty() && !ok) {
            // Nothing matches: said so, by name.
            QVERIFY2(error.contains(QLatin1String("no stream keys match")) || error.contains(QLatin1String("there is no key named")),
                     qPrintable(error));
            QVERIFY2(error.contains(s.streams), qPrintable(error));
            return;
        }
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(streams, names);
    }

    void entryLayouts()
    {
        redisContext* w = connectRaw(m_port);
        const QByteArray plain = (m_prefix + QStringLiteral("fields-1")).toUtf8();
        const QByteArray broken = (m_prefix + QStringLiteral("broken-1")).toUtf8();
        QVERIFY(cmd(w, {"XADD", plain, "*", "type", "Named", "name", "Ada", "city", "London"}));
        QVERIFY(cmd(w, {"XADD", broken, "*", "type", "Bad", "data", "{\"truncated\": [1, 2", "metadata", "not json"}));
        redisFree(w);
        QString error;
        bool ok = false;
        RemoteScope s;
        s.streams = QString::fromUtf8(plain);
        auto c = client(uri(), &error);
        QList<Event> got = readAll(c.get(), s, &ok, &error);
        QVERIFY2(ok && got.size() == 1, qPrintable(error));
        QCOMPARE(got[0].data, QByteArray("{\"name\":\"Ada\",\"city\":\"London\"}"));  // fields become the data
        s.streams = QString::fromUtf8(broken);
        auto c2 = client(uri(), &error);
        got = readAll(c2.get(), s, &ok, &error);
        QVERIFY2(ok && got.size() == 1, qPrintable(error));
        QVERIFY(!got[0].dataIsJson);  // kept as a string, not dropped
        QCOMPARE(QJsonDocument::fromJson("[" + got[0].data + "]").array().at(0).toString(), QStringLiteral("{\"truncated\": [1, 2"));
        QVERIFY2(got[0].metadata.contains("\"$raw\":\"not json\""), got[0].metadata.constData());
    }

    void tailDeliversNewEntries()
    {
        QString error;
        auto c = client(uri(QStringLiteral("?block=100")), &error);
        RemoteScope s;
        s.streams = m_prefix + QStringLiteral("live-*");
        const QByteArray existing = (m_prefix + QStringLiteral("live-1")).toUtf8();
        redisContext* w = connectRaw(m_port);
        QVERIFY(cmd(w, {"XADD", existing, "*", "type", "Old", "data", "{}"}));
        redisFree(w);
        bool ok = false;
        QCOMPARE(readAll(c.get(), s, &ok, &error).size(), 1);
        QVERIFY(ok);
        std::thread writer([this, existing] {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            redisContext* w = connectRaw(m_port);
            cmd(w, {"XADD", existing, "*", "type", "New", "data", "{\"n\":1}"});
            // A stream that did not exist when the read started joins the tail.
            cmd(w, {"XADD", (m_prefix + QStringLiteral("live-2")).toUtf8(), "*", "type", "New", "data", "{\"n\":2}"});
            cmd(w, {"XADD", (m_prefix + QStringLiteral("dead-1")).toUtf8(), "*", "type", "Ignored", "data", "{}"});
            redisFree(w);
        });
        QList<Event> got;
        testing::Watchdog dog(c.get(), 10000);
        ok = c->tail([&](const QList<Event>& page) { got += page; return got.size() < 2; }, &error);
        writer.join();
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(!dog.fired());
        QCOMPARE(got.size(), 2);
        QCOMPARE(got[0].data, QByteArray("{\"n\":1}"));
        QCOMPARE(got[0].position, qint64(2));
        QCOMPARE(got[0].version, qint64(1));
        QCOMPARE(got[1].stream, m_prefix + QStringLiteral("live-2"));
        QCOMPARE(got[1].position, qint64(3));
    }

    void cancelEndsTailAtOnce()
    {
        QString error;
        auto c = client(uri(QStringLiteral("?block=200")), &error);
        RemoteScope s;
        s.streams = m_prefix + QStringLiteral("order-*");
        bool ok = false;
        readAll(c.get(), s, &ok, &error);
        const qint64 reaction = testing::cancelReaction(c.get(), 300, [&] { ok = c->tail([](const QList<Event>&) { return true; }, &error); });
        QVERIFY(ok);
        QVERIFY2(reaction >= 0 && reaction < testing::kCancelReactionMs, qPrintable(QStringLiteral("%1 ms").arg(reaction)));
    }

    void faults_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("streams");
        QTest::addColumn<QString>("expect");
        QTest::newRow("key of another type") << uri() << m_prefix + QStringLiteral("profile-1") << "holds a hash, not a stream";
        QTest::newRow("string key") << uri() << m_prefix + QStringLiteral("other-1") << "holds a string";
        QTest::newRow("glob matching only other types") << uri() << m_prefix + QStringLiteral("pro*") << "keys of other types";
        QTest::newRow("no such key") << uri() << m_prefix + QStringLiteral("nope") << "no key named";
        QTest::newRow("no stream matches") << uri() << m_prefix + QStringLiteral("zzz*") << "no stream keys match";
        QTest::newRow("connection refused") << QStringLiteral("redis://127.0.0.1:1/0?retries=1") << "" << "connection refused";
        QTest::newRow("dns failure") << QStringLiteral("redis://no-such-host.invalid:6379/0") << "" << "could not be found";
        QTest::newRow("password needed") << uri({}, m_authPort) << "" << "needs a password";
        QTest::newRow("wrong password") << QStringLiteral("redis://:Wr0ng-pass@127.0.0.1:%1/0").arg(m_authPort) << "" << "refused the login";
        QTest::newRow("bad database") << QStringLiteral("redis://127.0.0.1:%1/99").arg(m_port) << "" << "cannot select database 99";
    }

    void faults()
    {
        QFETCH(QString, uri);
        QFETCH(QString, streams);
        QFETCH(QString, expect);
        QString error;
        auto c = client(uri, &error);
        QVERIFY2(c, qPrintable(error));
        RemoteScope s;
        s.streams = streams;
        bool ok = true;
        readAll(c.get(), s, &ok, &error);
        QVERIFY(!ok);
        QVERIFY2(error.contains(expect), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("Wr0ng-pass")), "the secret never appears in a message");
    }

    void passwordFromEnvironmentAndPrompt()
    {
        QString error;
        qputenv("CHRONOSCOPE_PASSWORD", "S3cret-pw!");
        auto c = client(uri({}, m_authPort), &error);
        qunsetenv("CHRONOSCOPE_PASSWORD");
        QVERIFY2(c->connect(&error), qPrintable(error));
        auto c2 = client(QStringLiteral("redis://:S3cret-pw!@127.0.0.1:%1/0").arg(m_authPort), &error);
        QVERIFY2(c2->connect(&error), qPrintable(error));
        QVERIFY(!c2->describe().contains(QLatin1String("S3cret")));
    }

    void lostConnectionResumes()
    {
        QString error;
        auto c = client(uri(), &error);
        c->setPageSize(2, 2);
        RemoteScope s;
        s.streams = m_prefix + QStringLiteral("order-1");  // one key: pages come one XRANGE each
        QList<Event> got;
        bool killed = false;
        const bool ok = c->read(s, [&](const QList<Event>& page) {
            got += page;
            if (!killed) {
                redisContext* k = connectRaw(m_port);
                cmd(k, {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
                redisFree(k);
                killed = true;
            }
            return true;
        }, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(got.size(), 4);
        for (int i = 1; i < got.size(); ++i)
            QVERIFY(got[i - 1].id < got[i].id);
    }
};

QTEST_GUILESS_MAIN(TestRemoteRedis)
#include "tst_remote_redis.moc"
