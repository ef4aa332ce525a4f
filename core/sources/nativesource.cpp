// Source kind "chronoscope": the native store file (docs/store.md), recognised by its tables.
#include "sources/sourceregistry.h"
#include "store/sqlitestore.h"
#include "store/storeschema.h"

namespace chronoscope {

namespace {

int probeNative(const SourceProbe& probe)
{
    if (!probe.isSqlite || !probe.sqliteError.isEmpty())
        return 0;
    for (const QString& t : store::requiredTables())
        if (!probe.sqliteTables.contains(t))
            return 0;
    return 100;
}

std::unique_ptr<EventReader> openNative(const SourceProbe& probe, const OpenOptions&, QString* error)
{
    return SqliteStoreReader::open(probe.path, error);
}

const bool registered = SourceRegistry::add({QStringLiteral("chronoscope"), probeNative, openNative});

} // namespace

} // namespace chronoscope
