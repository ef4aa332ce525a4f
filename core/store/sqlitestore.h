#pragma once
// Reads a native store file (docs/store.md). Opens read-only (SQLITE_OPEN_READONLY, mode=ro): reading
// never writes to the file, not even a journal.

#include "store/eventreader.h"

#include <QHash>

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
    bool read(const EventQuery& query, const EventCallback& sink, QString* error = nullptr) override;
    qint64 count(const EventQuery& query, QString* error = nullptr) override;
    std::optional<Event> eventAt(qint64 position, QString* error = nullptr) override;
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
    bool buildFilter(const EventQuery& q, Filter* f, QString* error);
    QString streamName(qint64 id);
    QString typeName(qint64 id);
    std::optional<qint64> streamId(const QString& name, qint64* firstVersion = nullptr, qint64* lastVersion = nullptr);
    void setError(QString* error, int rc) const;

    sqlite3* m_db = nullptr;
    QString m_path;
    QString m_layout = QStringLiteral("chronoscope");
    QString m_location;
    QHash<qint64, QString> m_streamNames;  ///< filled lazily: a store may have millions of streams
    QHash<qint64, QString> m_typeNames;
    QHash<QString, qint64> m_typeIds;
};

} // namespace chronoscope
