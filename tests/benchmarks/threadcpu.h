#pragma once
// CPU time per thread of this benchmark process (/proc/self/task/*/stat), so a remote read's reading side
// (the client's threads) and its cache writer (the thread named "cache-writer",
// core/sources/remote/remotesource.cpp) are measured apart: on a shared machine CPU seconds say what each
// side costs where wall time says what the scheduler gave.

#include <QDir>
#include <QFile>
#include <QHash>

#include <unistd.h>

namespace benchcpu {

struct Sample
{
    QHash<QString, double> byTid;  ///< CPU seconds of each live thread
    QHash<QString, QString> names; ///< its name (comm)
};

inline Sample sample()
{
    Sample s;
    const double tick = double(sysconf(_SC_CLK_TCK));
    for (const QString& tid :
         QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
        if (!f.open(QIODevice::ReadOnly)) continue;
        const QByteArray line = f.readAll();
        const qsizetype open = line.indexOf('('), close = line.lastIndexOf(')');
        if (open < 0 || close < open) continue;
        const QList<QByteArray> fields = line.mid(close + 2).split(' '); // from field 3 (state) on
        if (fields.size() < 13) continue;
        s.byTid.insert(tid, (fields[11].toDouble() + fields[12].toDouble()) / tick); // utime + stime
        s.names.insert(tid, QString::fromUtf8(line.mid(open + 1, close - open - 1)));
    }
    return s;
}

/// CPU seconds between two samples: the cache writer's thread(s), and every other thread (reader, client).
struct Split
{
    double writer = 0;
    double reader = 0;
};

inline Split split(const Sample& before, const Sample& after)
{
    Split out;
    for (auto it = after.byTid.cbegin(); it != after.byTid.cend(); ++it) {
        const double d = it.value() - before.byTid.value(it.key(), 0.0);
        (after.names.value(it.key()) == QLatin1String("cache-writer") ? out.writer : out.reader) += d;
    }
    return out;
}

} // namespace benchcpu
