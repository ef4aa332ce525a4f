#include "util/cacheroot.h"

#include <QDir>
#include <QStandardPaths>

namespace chronoscope {

QString cacheRoot(const QString& chosen)
{
    if (!chosen.isEmpty())
        return chosen;
    const QByteArray env = qgetenv("CHRONOSCOPE_CACHE_DIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    // The generic location, not CacheLocation: that one depends on the organisation and application names,
    // which the GUI and the CLI set differently, and the two share their caches.
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
    if (base.isEmpty())
        base = QDir::tempPath();
    return base + QStringLiteral("/chronoscope");
}

} // namespace chronoscope
