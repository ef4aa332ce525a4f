#pragma once
// Reads a native store file (docs/store.md). Opens read-only (SQLITE_OPEN_READONLY, mode=ro): reading
// never writes to the file, not even a journal.

#include "store/eventreader.h"
#include "store/sqlitedb.h"

#include <QHash>

#include <vector>

struct sqlite3;

namespace chronoscope {

class SqliteStoreReader : public EventReader
{
public:
    ~SqliteStoreReader() override;

    /// Null with *error naming the file and what is wrong (not SQLite, damaged, newer schema, ...).
    static std::unique_ptr<SqliteStoreReader> open(const QString& path, QString* error);

    /// The meta table (format, schema_version, source_uri, created_at, ...).
    QHash<QString, QString> meta();

    StoreInfo info() override;
    QList<StreamInfo> streams() override;
    bool forEachStream(const std::function<bool(const StreamInfo&)>& sink, QString* error = nullptr) override;
    /// One row of the stream listing as stored: the name's UTF-8 bytes, valid until the callback returns.
    struct RawStreamRow
    {
        QByteArrayView name;
        qint64 events = 0, firstVersion = 0, lastVersion = 0, firstPosition = 0, lastPosition = 0;
        TimeMs firstTime = kNoTime, lastTime = kNoTime;
    };
    /// forEachStream() without building a QString per stream (the CLI's `streams` at millions of streams):
    /// the same rows, in the same order, from the same (checked) summary.
    bool forEachStreamRaw(const std::function<bool(const RawStreamRow&)>& sink, QString* error = nullptr);
    bool read(const EventQuery& query, const EventCallback& sink, QString* error = nullptr) override;
    qint64 count(const EventQuery& query, QString* error = nullptr) override;
    bool scanMetadata(const MetadataCallback& sink, QString* error = nullptr) override;
    std::optional<Checkpoint> checkpointBefore(const QString& projection, const QString& stream,
                                               const Point& point) override;
    std::unique_ptr<EventReader> clone(QString* error = nullptr) override;

    /// What info() reports as layout and location; a file source sets them for the cache it reads.
    void setLayout(const QString& layout) { m_layout = layout; }
    void setLocation(const QString& location) { m_location = location; }
    QString path() const { return m_path; }

private:
    SqliteStoreReader() = default;
    struct Filter;
    bool listStreams(const std::function<bool(const StreamInfo&)>& sink, QString* error, bool remember);
    bool buildFilter(const EventQuery& q, Filter* f, QString* error);
    QString streamName(qint64 id);
    QString typeName(qint64 id);
    std::optional<qint64> streamId(const QString& name, qint64* firstVersion = nullptr, qint64* lastVersion = nullptr);
    void setError(QString* error, int rc) const;
    /// False when the streams summary disagrees with the events table (then figures are recomputed).
    /// `split`: a streams table of kSplitSummaryCheckAt ids or more is summed in two halves at once (two
    /// threads, a second connection), for the callers that read the whole listing right after.
    bool summaryTrusted(bool split = false);
    static constexpr qint64 kSplitSummaryCheckAt = 65536;
    QString badRowsMessage() const;
    bool reportBadRows(qint64 badHere, const QString& firstBadHere, QString* error);
    bool streamKnown(qint64 id) const;
    bool typeKnown(qint64 id) const;

    bool m_summaryChecked = false;
    QString m_summaryProblem;   ///< why the summary is not trusted (empty: it is)
    StoreInfo m_actual;         ///< events/positions counted in the events table
    qint64 m_badRows = 0;       ///< rows a read could not show (most in one read)
    QString m_firstBadRow;

    sqlite3* m_db = nullptr;
    QString m_path;
    /// Whether the "merge" checkpoints keep number texts (meta.checkpoint_numbers); read on first use.
    std::optional<bool> m_mergeNumbersAsWritten;
    QString m_layout = QStringLiteral("chronoscope");
    QString m_location;
    QString m_openNote;  ///< from sqliteReadOnlyUri(): WAL content that could not be read without writing
    void rememberStream(qint64 id, const QString& name);
    void loadAllStreamNames();

    // Stream and type names by id (ids are small dense integers). Stream names are filled lazily, one by
    // one at first and all at once when a read meets many streams, so opening stays instant whatever
    // the number of streams and a full scan does not look names up row by row.
    std::vector<QString> m_streamNames;
    std::vector<char> m_streamKnown;
    qint64 m_streamMisses = 0;
    bool m_allStreamsLoaded = false;
    SqlStatement m_streamNameStmt;
    std::vector<QString> m_typeNames;
    std::vector<char> m_typeKnown;
    QHash<QString, qint64> m_typeIds;
};

} // namespace chronoscope
