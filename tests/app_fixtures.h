#pragma once
// Setup shared by the main-window tests (tst_app_*): a store file written from an event list, and a store
// opened in a MainWindow, waiting for the open job's answer rather than for a guessed duration.

#include "mainwindow.h"
#include "store/storewriter.h"

#include <QEventLoop>
#include <QHash>
#include <QSignalSpy>
#include <QTimer>

namespace chronoscope::fixtures {

/// Only against a hang: the tests wait for the signal that ends an open, never for a guessed duration.
inline constexpr int kSafetyNetMs = 10 * 60 * 1000;

/// Writes `events` to a new store file at `path` (`meta`: the store's meta rows). False with *error.
inline bool writeStore(const QString& path, const QList<Event>& events,
                       const QHash<QString, QString>& meta = {}, QString* error = nullptr)
{
    QString why;
    QString* e = error ? error : &why;
    StoreWriter::Options options;
    options.meta = meta;
    auto writer = StoreWriter::create(path, options, e);
    if (!writer) return false;
    for (const Event& event : events)
        if (!writer->append(event, e)) return false;
    return writer->finish(e);
}

/// Opens `path` in `w` and waits until the open job answers (storeOpened or openFailed; a sanitizer build is
/// many times slower, so no guessed timeout). True when it opened.
inline bool openAndWait(MainWindow& w, const QString& path)
{
    QSignalSpy opened(&w, &MainWindow::storeOpened);
    QSignalSpy failed(&w, &MainWindow::openFailed);
    w.open(path);
    if (opened.count() + failed.count() == 0) {
        QEventLoop loop;
        QObject::connect(&w, &MainWindow::storeOpened, &loop, &QEventLoop::quit);
        QObject::connect(&w, &MainWindow::openFailed, &loop, &QEventLoop::quit);
        QTimer::singleShot(kSafetyNetMs, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return opened.count() == 1;
}

} // namespace chronoscope::fixtures
