#include "store/storecache.h"

#include <QDir>
#include <QStandardPaths>

namespace chronoscope {

QString defaultCacheDir()
{
    const QByteArray env = qgetenv("CHRONOSCOPE_CACHE_DIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    QString base = QStandardPaths::writableLocation(QStandardPaths::CacheLocation);
    if (base.isEmpty())
        base = QDir::tempPath();
    return base + QStringLiteral("/chronoscope");
}

} // namespace chronoscope
