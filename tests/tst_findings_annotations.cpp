// Annotations (core/findings/annotations): the sidecar beside the settings round-trips, a damaged one gives
// a clear message and no notes (and is left as it was), the store is never written, and a capture's
// "annotations" meta row holds the same JSON.
#include "findings/annotations.h"
#include "store/storewriter.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace chronoscope;

namespace {

QByteArray fileHash(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                       : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestFindingsAnnotations : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_store;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(QStringLiteral("notes.chronoscope"));
        QString err;
        auto w = StoreWriter::create(m_store, {}, &err);
        QVERIFY2(w, qPrintable(err));
        Event e;
        e.stream = QStringLiteral("payment-1");
        e.type = QStringLiteral("PaymentFailed");
        e.time = 1772545200000LL;
        e.id = QStringLiteral("e-1");
        e.data = "{}";
        e.metadata = "{}";
        QVERIFY2(w->append(e, &err), qPrintable(err));
        QVERIFY2(w->finish(&err), qPrintable(err));
    }

    void identityAndPlace()
    {
        // A file is known by its canonical path (another spelling of the path finds the same notes) ...
        const QString other = m_dir.path() + QStringLiteral("/./notes.chronoscope");
        QCOMPARE(AnnotationSet::storeIdentity(other), QFileInfo(m_store).canonicalFilePath());
        // ... a remote store by its URI as given (the caller passes it without secrets).
        QCOMPARE(AnnotationSet::storeIdentity(QStringLiteral("kurrentdb://host:2113?tls=false")),
                 QStringLiteral("kurrentdb://host:2113?tls=false"));
        const QString path = AnnotationSet::sidecarPath(AnnotationSet::storeIdentity(m_store));
        QVERIFY(path.startsWith(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                                QStringLiteral("/annotations/")));
        QVERIFY(path.endsWith(QStringLiteral(".json")));
        QVERIFY(!path.contains(QStringLiteral("notes.chronoscope"))); // a digest, not the path itself
        QVERIFY(path != AnnotationSet::sidecarPath(QStringLiteral("kurrentdb://host:2113")));
    }

    void roundTrip_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("position");
        QTest::addColumn<qint64>("from");
        QTest::addColumn<qint64>("to");
        QTest::newRow("pinned to an event") << "13:40 acmepay stops answering" << qint64(1)
                                            << qint64(1772545200000LL) << qint64(1772545200000LL);
        QTest::newRow("a time range")
            << "the outage" << qint64(0) << qint64(1772545200000LL) << qint64(1772547900000LL);
        QTest::newRow("no time (cqrs-es)")
            << "version 3 looks wrong" << qint64(7) << qint64(kNoTime) << qint64(kNoTime);
        QTest::newRow("unicode and quotes")
            << "Zahlung \"hängt\" — 払い" << qint64(2) << qint64(0) << qint64(0);
    }

    void roundTrip()
    {
        QFETCH(QString, text);
        QFETCH(qint64, position);
        QFETCH(qint64, from);
        QFETCH(qint64, to);
        const QByteArray storeBefore = fileHash(m_store);
        const QString identity = AnnotationSet::storeIdentity(m_store);
        QFile::remove(AnnotationSet::sidecarPath(identity));
        QString error;
        AnnotationSet set = AnnotationSet::load(identity, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error)); // no sidecar yet: no notes, no error
        QVERIFY(set.notes().isEmpty());
        Annotation a;
        a.text = text;
        a.position = position;
        a.eventId = position ? QStringLiteral("e-%1").arg(position) : QString();
        a.stream = position ? QStringLiteral("payment-1") : QString();
        a.from = from;
        a.to = to;
        const QString id = set.add(a);
        QCOMPARE(id, QStringLiteral("n1"));
        QCOMPARE(set.add(a), QStringLiteral("n2")); // ids stay unique
        QVERIFY(set.remove(QStringLiteral("n2")));
        QVERIFY2(set.save(&error), qPrintable(error));
        const AnnotationSet back = AnnotationSet::load(identity, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(back.notes().size(), 1);
        QCOMPARE(back.notes().first(), set.notes().first());
        QCOMPARE(back.toJson(), set.toJson());
        QCOMPARE(fileHash(m_store), storeBefore); // the store is never written
    }

    void damagedSidecar_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("why");
        QTest::newRow("truncated") << QByteArray(R"({"chronoscopeAnnotations":1,"notes":[{"id":"n1","te)")
                                   << "damaged";
        QTest::newRow("not JSON") << QByteArray("\x89PNG\r\n\x1a\n") << "damaged";
        QTest::newRow("wrong format")
            << QByteArray(R"({"chronoscopeAnnotations":2,"notes":[]})") << "not a notes file of format 1";
        QTest::newRow("notes not a list")
            << QByteArray(R"({"chronoscopeAnnotations":1,"notes":{}})") << "is not a list";
        QTest::newRow("note without text")
            << QByteArray(R"({"chronoscopeAnnotations":1,"notes":[{"id":"n1"}]})")
            << "without an id or a text";
        QTest::newRow("impossible time")
            << QByteArray(
                   R"({"chronoscopeAnnotations":1,"notes":[{"id":"n1","text":"x","from":"2026-02-31T00:00:00Z"}]})")
            << "is not a time";
        QTest::newRow("duplicate ids")
            << QByteArray(
                   R"({"chronoscopeAnnotations":1,"notes":[{"id":"a","text":"x"},{"id":"a","text":"y"}]})")
            << "two notes have the id a";
        QTest::newRow("deeply nested") << QByteArray(100000, '[') << "damaged";
    }

    void damagedSidecar()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, why);
        const QString identity = AnnotationSet::storeIdentity(m_store);
        const QString path = AnnotationSet::sidecarPath(identity);
        QVERIFY(writeFile(path, content));
        QString error;
        const AnnotationSet set = AnnotationSet::load(identity, &error);
        QVERIFY(set.notes().isEmpty());
        QVERIFY2(error.contains(why), qPrintable(error));
        QVERIFY2(error.contains(path), qPrintable(error)); // says which file
        QCOMPARE(set.identity(), identity);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), content); // kept as it was, for the user to look at
    }

    void hugeSidecarIsRefused()
    {
        const QString identity = QStringLiteral("huge://store");
        const QString path = AnnotationSet::sidecarPath(identity);
        QVERIFY(writeFile(path, QByteArray(17 * 1024 * 1024, ' ')));
        QString error;
        const AnnotationSet set = AnnotationSet::load(identity, &error);
        QVERIFY(set.notes().isEmpty());
        QVERIFY2(error.contains(QStringLiteral("larger than 16 MiB")), qPrintable(error));
        QFile::remove(path);
    }

    void captureMetaRow()
    {
        // What a capture carries in its meta row "annotations" reads back as the same notes.
        AnnotationSet set =
            AnnotationSet::fromJson(R"({"chronoscopeAnnotations":1,"notes":[]})", QStringLiteral("a"));
        Annotation a;
        a.text = QStringLiteral("13:40 acmepay stops answering");
        a.from = a.to = 1772545200000LL;
        set.add(a);
        QString why;
        const AnnotationSet back = AnnotationSet::fromJson(set.toJson(), QStringLiteral("b"), &why);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(back.notes(), set.notes());
        QCOMPARE(back.identity(), QStringLiteral("b"));
    }
};

QTEST_GUILESS_MAIN(TestFindingsAnnotations)
#include "tst_findings_annotations.moc"
