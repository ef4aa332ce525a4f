#pragma once
// Which events carry a correlation id, for stores that keep no index of their metadata (none of the
// stores we read does). Built by one metadata-only scan (EventReader::scanMetadata: the payloads are not
// read) and kept in the cache root (util/cacheroot.h), never in the store: the explorer never writes to
// a store it opens. docs/stories.md, "Correlation index".
//
// The index maps a 64-bit hash of each event's correlation id to its position. A lookup gives candidate
// positions; the caller reads those events and keeps the ones whose Event::correlationId() is the id
// (a hash collision or an id-looking text nested deeper in the metadata only costs one read). The file
// records the store it was built from (file path, size, modification time, event count, last position);
// a store that changed since is detected when the index is opened, or when a looked-up event no longer
// says what the index recorded, and the index is rebuilt.

#include "store/eventreader.h"

#include <QByteArrayView>
#include <QString>

#include <vector>

namespace chronoscope::story {

class CorrelationIndex
{
public:
    struct Entry
    {
        quint64 hash = 0;
        qint64 position = 0;
    };

    /// How open() got the index.
    enum class Source { None, Loaded, Built, Rebuilt };

    /// Loads the index of `reader`'s store from `cacheDir` (a folder; "" = the cache root), or builds it
    /// with one scan and saves it there. Stores that are not local files (remote stores) are scanned and
    /// indexed in memory only. False with *error when the store cannot be read; failing to write the
    /// cache file is not an error (the next run scans again).
    bool open(EventReader& reader, const QString& cacheDir, QString* error);
    /// Builds again from the store, ignoring (and replacing) a saved file.
    bool rebuild(EventReader& reader, QString* error);

    /// Positions whose indexed correlation id hashes like `id`, ascending (candidates: see above).
    std::vector<qint64> candidates(QByteArrayView id) const;
    /// True when the event at a candidate position still has the hash the index recorded for it (false:
    /// the store changed since the index was built).
    bool stillMatches(qint64 position, QByteArrayView metadata) const;

    Source source() const { return m_source; }
    QString path() const { return m_path; } ///< the cache file ("" when kept in memory only)
    qint64 size() const { return qint64(m_entries.size()); }

    /// The correlation id the index records for one event's metadata (exactly Event::correlationId() for
    /// compact metadata; a superset of candidates otherwise). Empty when none. Exposed for tests.
    static QByteArray candidateId(QByteArrayView metadata);
    static quint64 hashId(QByteArrayView id);
    /// The same without a copy: a view into `metadata`, or into *slowId when the parser was needed.
    static QByteArrayView candidateView(QByteArrayView metadata, QByteArray* slowId);

private:
    bool build(EventReader& reader, QString* error);
    bool load();
    void save();

    std::vector<Entry> m_entries; ///< sorted by (hash, position)
    QByteArray m_identity;        ///< sha256 of what the store was when the index was built
    QString m_path;
    Source m_source = Source::None;
};

} // namespace chronoscope::story
