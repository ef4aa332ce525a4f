#pragma once
// The one place caches go (docs/architecture.md, "Cache root"): the cache stores of indexed files, the
// cache stores of remote captures (remote/), the GUI's timeline indexes (timeline/) and its demo store.
// Persisted checkpoints are not caches: they live in the store file they belong to (docs/store.md).

#include <QString>

namespace chronoscope {

/// `chosen` when not empty (OpenOptions::cacheDir, a test's folder); else $CHRONOSCOPE_CACHE_DIR when set;
/// else the user's generic cache location + "/chronoscope" (~/.cache/chronoscope on Linux), the same for
/// the GUI and the CLI whatever their application names; else the temporary folder + "/chronoscope".
QString cacheRoot(const QString& chosen = {});

} // namespace chronoscope
