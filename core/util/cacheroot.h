#pragma once
// Where caches of files and remote sources live (OpenOptions::cacheDir when that is empty).

#include <QString>

namespace chronoscope {

/// $CHRONOSCOPE_CACHE_DIR when set (tests set it), else the user's cache location + "/chronoscope".
QString defaultCacheDir();

} // namespace chronoscope
