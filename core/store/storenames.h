#pragma once
// Stream and event-type names of a native store file that start with a prefix, for shell completion
// (`chronoscope-cli complete`, docs/packaging.md "Completion"). One range scan of the unique index on
// `streams.name` / `types.name`: a Tab on a store of a million events and 200,000 streams reads a few
// pages, never the whole table, and opening does none of the schema checks a full reader does (nothing
// but the name column is read, through a hardened read-only connection).

#include <QString>
#include <QStringList>

#include <optional>

namespace chronoscope::store {

enum class NameTable { Streams, Types };

struct NameMatches
{
    /// In name order (SQLite's BINARY collation: UTF-8 bytes). When more than `limit` names match, the
    /// first limit-1 names and then the last matching name, so the longest common prefix of the list is the
    /// longest common prefix of every match (what a shell inserts on Tab).
    QStringList names;
    bool truncated = false;
};

/// nullopt with *error when `path` is not a native store (or cannot be read); *notStore tells the two apart
/// (true: a readable file without the native tables, e.g. a foreign SQLite layout or NDJSON).
std::optional<NameMatches> namesWithPrefix(const QString& path, NameTable table, const QString& prefix, int limit,
                                           QString* error, bool* notStore = nullptr);

/// The smallest byte string greater than every string that starts with `prefix` (empty: there is none,
/// the prefix is all 0xFF bytes or empty). Exposed for tests.
QByteArray prefixUpperBound(const QByteArray& prefix);

} // namespace chronoscope::store
