// Proves the gRPC stand-in against the official Node client (@kurrent/kurrentdb-client, whose reads go
// through its Rust bridge and whose subscriptions through @grpc/grpc-js): the same stream read, $ce- read
// with links resolved, $all read and catch-up subscription give the same events through the official
// client (tests/fixtures/kurrentgrpc_official.mjs) as through Chronoscope's gRPC client. So the stand-in
// speaks the protocol the official client speaks, and Chronoscope reads what the official client reads.

#include "sources/remote/remoteclient.h"

#include "fixtures/remotefixture.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTest>

#include <atomic>
#include <thread>

using namespace chronoscope;

namespace {

QString fileText(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).trimmed() : QString();
}

// One event as both sides can tell it: identity, place, type and the data's value.
QJsonObject view(const Event& e)
{
    QJsonObject o{{QStringLiteral("stream"), e.stream},
                  {QStringLiteral("revision"), QString::number(e.version)},
                  {QStringLiteral("type"), e.type},
                  {QStringLiteral("id"), e.id},
                  {QStringLiteral("position"), QString::number(e.position - 1)}};
    if (e.dataIsJson)
        o.insert(QStringLiteral("data"), QJsonDocument::fromJson("[" + e.data + "]").array().at(0));
    else
        o.insert(QStringLiteral("data"),
                 QJsonDocument::fromJson("[" + e.data + "]").array().at(0).toString());
    return o;
}

QJsonObject officialView(QJsonObject o)
{
    const QString data = o.value(QStringLiteral("data")).toString();
    const QJsonArray parsed = QJsonDocument::fromJson(("[" + data + "]").toUtf8()).array();
    // JSON events: the official client gives the parsed value (JSON.stringify'd); binary ones base64.
    o.insert(QStringLiteral("data"), parsed.isEmpty() ? QJsonValue(data) : parsed.at(0));
    o.remove(QStringLiteral("link"));
    return o;
}

} // namespace

class TestKurrentGrpcOfficial : public QObject
{
    Q_OBJECT

    int m_port = 0;
    int m_control = 0;
    QString m_npm;
    QJsonObject m_official;

    QString uri() const
    {
        return QStringLiteral("kurrentdb://admin:changeit@127.0.0.1:%1?tls=false").arg(m_port);
    }

    QList<Event> chronoscopeRead(const QString& streams, bool* ok, QString* error,
                                 std::unique_ptr<RemoteClient>* keep = nullptr)
    {
        RemoteEndpoint ep;
        QList<Event> out;
        *ok = false;
        if (!RemoteEndpoint::parse(uri(), &ep, error)) return out;
        auto c = createRemoteClient(ep, error);
        if (!c) return out;
        c->setPageSize(3, 4);
        *ok = c->connect(error) && c->read(
                                       RemoteScope{streams},
                                       [&](const QList<Event>& p) {
                                           out += p;
                                           return true;
                                       },
                                       error);
        if (keep) *keep = std::move(c);
        return out;
    }

    static void compare(const QList<Event>& ours, const QJsonArray& theirs)
    {
        QJsonArray mine;
        for (const Event& e : ours)
            mine.append(view(e));
        QJsonArray official;
        for (const QJsonValue& v : theirs)
            official.append(officialView(v.toObject()));
        QCOMPARE(QString::fromUtf8(QJsonDocument(mine).toJson(QJsonDocument::Indented)),
                 QString::fromUtf8(QJsonDocument(official).toJson(QJsonDocument::Indented)));
    }

private Q_SLOTS:
    void initTestCase()
    {
#ifndef CHRONOSCOPE_TEST_HAVE_GRPC
        QSKIP("this build has no gRPC client (gRPC C++ was not found)");
#endif
        QString error;
        const int plain = testing::remoteFixturePort(QStringLiteral("kurrentgrpc"), &error);
        const QString dir = testing::remoteFixtureDir(QStringLiteral("kurrentgrpc"));
        const QString skip = fileText(dir + QStringLiteral("/skip-reason.txt"));
        if (!skip.isEmpty()) QSKIP(qPrintable(skip));
        QVERIFY2(plain > 0, qPrintable(error));
        m_port = fileText(dir + QStringLiteral("/port-official")).toInt();
        m_control = fileText(dir + QStringLiteral("/control-official")).toInt();
        m_npm = QFileInfo(dir).dir().filePath(QStringLiteral("kurrentgrpc-npm"));
        QVERIFY(m_port > 0 && m_control > 0);

        // The official client first: its reads, then a subscription that ends with a live event it asks
        // the stand-in to append once it has caught up.
        QProcess node;
        node.setWorkingDirectory(m_npm);
        node.start(QStringLiteral("node"),
                   {QStringLiteral("kurrentgrpc_official.mjs"), uri(), QString::number(m_control)});
        QVERIFY(node.waitForFinished(90000));
        QVERIFY2(node.exitCode() == 0, node.readAllStandardError().constData());
        const QByteArray out = node.readAllStandardOutput();
        m_official = QJsonDocument::fromJson(out.trimmed().split('\n').last()).object();
        QVERIFY2(!m_official.isEmpty(), out.constData());
    }

    void sameStreamRead()
    {
        bool ok = false;
        QString error;
        const auto ours = chronoscopeRead(QStringLiteral("order-1"), &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(ours.size(), 2);
        compare(ours, m_official.value(QStringLiteral("stream")).toArray());
    }

    void sameCategoryReadWithLinksResolved()
    {
        bool ok = false;
        QString error;
        const auto ours = chronoscopeRead(QStringLiteral("$ce-order"), &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QCOMPARE(ours.size(), 5);
        compare(ours, m_official.value(QStringLiteral("category")).toArray());
        for (const QJsonValue& v : m_official.value(QStringLiteral("category")).toArray())
            QCOMPARE(v.toObject().value(QStringLiteral("link")).toString(), QStringLiteral("$ce-order"));
    }

    void sameAllRead()
    {
        bool ok = false;
        QString error;
        const auto ours = chronoscopeRead({}, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        QVERIFY(ours.size() >= 8);
        // The official readAll ran before its subscription appended the marker: compare that prefix.
        const QJsonArray theirs = m_official.value(QStringLiteral("all")).toArray();
        compare(ours.mid(0, theirs.size()), theirs);
    }

    void sameSubscription()
    {
        // The official subscription saw every non-system event from the start up to its live marker; a
        // Chronoscope read now holds the same, then its own subscription gets the next live event.
        bool ok = false;
        QString error;
        std::unique_ptr<RemoteClient> c;
        const auto ours = chronoscopeRead({}, &ok, &error, &c);
        QVERIFY2(ok, qPrintable(error));
        const QJsonArray theirs = m_official.value(QStringLiteral("subscription")).toArray();
        QVERIFY(theirs.size() >= 9);
        QCOMPARE(theirs.last().toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("LiveMarker"));
        compare(ours.mid(0, theirs.size()), theirs);

        std::atomic<int> seen{0};
        QList<Event> live;
        QMutex mutex;
        std::thread follower([&] {
            c->tail(
                [&](const QList<Event>& p) {
                    QMutexLocker l(&mutex);
                    live += p;
                    seen += int(p.size());
                    return true;
                },
                &error);
        });
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(QStringLiteral("http://127.0.0.1:%1/append").arg(m_control)));
        QNetworkReply* r = nam.post(
            req, R"({"stream":"official-chronoscope","type":"LiveMarker","data":{"marker":"ours"}})");
        QEventLoop loop;
        QObject::connect(r, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        r->deleteLater();
        for (int i = 0; i < 200 && seen.load() < 1; ++i)
            QTest::qWait(25);
        c->cancel();
        follower.join();
        QMutexLocker l(&mutex);
        QCOMPARE(live.size(), 1);
        QCOMPARE(live[0].stream, QStringLiteral("official-chronoscope"));
        QCOMPARE(live[0].data, QByteArray(R"({"marker":"ours"})"));
    }
};

QTEST_GUILESS_MAIN(TestKurrentGrpcOfficial)
#include "tst_kurrentgrpc_official.moc"
