// The Findings dock on its own, offscreen: a live tail (events appended to the store and to the index in
// place, as a remote session does) reaches the findings without a new pass: the outage appears once its
// events arrive.
#include "demo/demogenerator.h"
#include "findings/findingsdock.h"
#include "replaycontroller.h"
#include "sources/sourceregistry.h"
#include "store/storewriter.h"
#include "timelineindex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace chronoscope;

class TstViewsFindings : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void liveTailUpdatesTheFindings()
    {
        QList<Event> events;
        QString error;
        QVERIFY(generateDemoEvents(
            DemoOptions{},
            [&](const Event& e) {
                events << e;
                return true;
            },
            {}, {}, &error));
        const DemoIncident incident = demoIncident(DemoOptions{});
        qsizetype cut = 0;
        while (cut < events.size() && events[cut].time < incident.begin - 3600 * 1000)
            ++cut; // the first part ends an hour before the outage

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("live.chronoscope"));
        {
            auto w = StoreWriter::create(path, {}, &error);
            QVERIFY2(w, qPrintable(error));
            for (qsizetype i = 0; i < cut; ++i)
                QVERIFY2(w->append(events[i], &error), qPrintable(error));
            QVERIFY2(w->finish(&error), qPrintable(error));
        }
        std::shared_ptr<EventReader> reader(openSource(path, OpenOptions{}, &error).release());
        QVERIFY2(reader, qPrintable(error));
        TimelineIndexBuilder builder(reader->info(), cut);
        for (qsizetype i = 0; i < cut; ++i)
            builder.add(events[i]);
        auto index = std::const_pointer_cast<TimelineIndex>(
            builder.finish()); // grown in place below, as the live tail does
        QVERIFY(index);

        ReplayController controller;
        controller.setIndex(index);
        FindingsDock dock(&controller);
        dock.resize(400, 600);
        dock.show();
        QSignalSpy ready(&dock, &FindingsDock::findingsReady);
        dock.setStore(reader, index, path);
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() == 1, 30000);
        for (const Finding& f : dock.findings())
            QVERIFY2(!f.subjects.contains(QStringLiteral("PaymentFailed")) ||
                         f.rule != QStringLiteral("burst"),
                     qPrintable(f.explanation));

        // The tail: the rest of the events reach the store and the index (in place, generation bumped).
        {
            auto w = StoreWriter::openForAppend(path, &error);
            QVERIFY2(w, qPrintable(error));
            for (qsizetype i = cut; i < events.size(); ++i)
                QVERIFY2(w->append(events[i], &error), qPrintable(error));
            QVERIFY2(w->commit(&error), qPrintable(error));
            QVERIFY2(w->finish(&error), qPrintable(error));
        }
        index->append(events.mid(cut));
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() >= 2, 30000);
        QVERIFY(!dock.findings().isEmpty());
        const Finding first = dock.findings().first();
        QCOMPARE(first.rule, QStringLiteral("burst"));
        QCOMPARE(first.subjects.value(0), QStringLiteral("PaymentFailed"));
        QVERIFY(dock.statusText().contains(QStringLiteral("Kept up to date")));
        QCOMPARE(dock.findingsList()->topLevelItemCount(), int(dock.findings().size()));

        // The same as one pass over the whole store.
        QList<Finding> onePass;
        QVERIFY(computeFindings(*reader, FindingsOptions{}, &onePass, {}, {}, &error));
        QCOMPARE(onePass.size(), dock.findings().size());
        for (qsizetype i = 0; i < onePass.size(); ++i)
            QCOMPARE(findingToJson(dock.findings()[i], 1), findingToJson(onePass[i], 1));
    }

    void damagedNotesAreReported()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("n.chronoscope"));
        QString error;
        QVERIFY(generateDemoStore(path, DemoOptions{2000, 7}, {}, {}, &error));
        const QString sidecar = AnnotationSet::sidecarPath(AnnotationSet::storeIdentity(path));
        QDir().mkpath(QFileInfo(sidecar).absolutePath());
        {
            QFile f(sidecar);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{not json");
        }
        std::shared_ptr<EventReader> reader(openSource(path, OpenOptions{}, &error).release());
        TimelineIndexBuilder builder(reader->info());
        reader->read(EventQuery{}, [&](const Event& e) {
            builder.add(e);
            return true;
        });
        auto index = std::const_pointer_cast<TimelineIndex>(
            builder.finish()); // grown in place below, as the live tail does
        ReplayController controller;
        controller.setIndex(index);
        FindingsDock dock(&controller);
        QSignalSpy ready(&dock, &FindingsDock::findingsReady);
        dock.setStore(reader, index, path);
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() == 1, 30000);
        QVERIFY(dock.notes().notes().isEmpty());
        QVERIFY2(dock.statusText().contains(QStringLiteral("damaged")), qPrintable(dock.statusText()));
        QFile::remove(sidecar);
    }
};

QTEST_MAIN(TstViewsFindings)
#include "tst_views_findings.moc"
