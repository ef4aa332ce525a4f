#include "sources/cqrsessqlite.h"

#include "sources/sourceregistry.h"
#include "sources/sqlitelayout.h"

#include <sqlite3.h>

#include <algorithm>
#include <vector>

namespace chronoscope {

namespace {

const char* const kRequired[] = {"aggregate_type", "aggregate_id", "sequence", "event_type", "payload"};

class CqrsEsReader final : public SqliteLayoutReader
{
public:
    CqrsEsReader(std::unique_ptr<SqliteDb> db, const QStringList& columns)
        : SqliteLayoutReader(std::move(db), QStringLiteral("cqrs-es-sqlite"))
    {
        m_hasVersion = columns.contains(QLatin1String("event_version"));
        m_hasMetadata = columns.contains(QLatin1String("metadata"));
    }

    std::unique_ptr<EventReader> clone(QString* error) override { return openCqrsEsSqlite(m_db->path(), error); }

protected:
    QByteArray table() const override { return "events"; }
    QByteArray orderExpr() const override { return "rowid"; }
    QByteArray selectColumns() const override
    {
        return QByteArray("rowid, aggregate_type, aggregate_id, sequence, event_type, ") +
               (m_hasVersion ? "event_version" : "NULL") + ", payload, " + (m_hasMetadata ? "metadata" : "NULL");
    }
    QByteArray rowFilter() const override
    {
        return "aggregate_type IS NOT NULL AND aggregate_id IS NOT NULL AND typeof(sequence) = 'integer'";
    }
    QString rowFilterMeaning() const override
    {
        return QStringLiteral("they lack an aggregate_type or aggregate_id, or their sequence is not an integer");
    }
    bool timeKnown() const override { return false; }
    void fileChanged() override
    {
        m_orderLoaded = false;
        m_aggregateTypes.reset();
    }

    bool pushDown(const EventQuery& q, SqlWhere* w) override
    {
        loadOrder(); // every read passes here before decoding rows
        if (q.since != kNoTime || q.until != kNoTime) {
            w->add("0"); // the layout stores no time: no event lies inside a time range
            return true;
        }
        if (!q.stream.isEmpty()) {
            // stream = aggregate_type + "-" + aggregate_id; both parts may hold '-', so split after each known
            // aggregate type that prefixes the name (usually exactly one) and let the primary key find them.
            QByteArrayList alternatives;
            for (const QString& type : aggregateTypes()) {
                if (q.stream.size() > type.size() && q.stream.startsWith(type) && q.stream[type.size()] == u'-') {
                    alternatives << "(aggregate_type = ? AND aggregate_id = ?)";
                    w->values.push_back(type.toUtf8());
                    w->values.push_back(q.stream.mid(type.size() + 1).toUtf8());
                }
            }
            w->add(alternatives.isEmpty() ? QByteArray("0") : alternatives.join(" OR "));
            w->addRange("sequence", q.fromVersion, q.toVersion);
        }
        if (!q.types.isEmpty())
            w->add("event_type IN (" + w->inList(q.types) + ")");
        if (q.fromPosition > 1) {
            if (m_dense)
                w->add("rowid >= ?", q.fromPosition);
            else if (q.fromPosition > qint64(m_rowids.size()))
                w->add("0");
            else
                w->add("rowid >= ?", m_rowids[size_t(q.fromPosition - 1)]);
        }
        if (q.toPosition != kNoLimit) {
            if (m_dense)
                w->add("rowid <= ?", q.toPosition);
            else if (q.toPosition < 1)
                w->add("0");
            else if (q.toPosition < qint64(m_rowids.size()))
                w->add("rowid <= ?", m_rowids[size_t(q.toPosition - 1)]);
        }
        return true;
    }

    bool decode(SqlStatement& st, Event* e) override
    {
        e->position = positionOf(st.int64(0));
        const QString aggregateType = st.text(1);
        e->stream = aggregateType + u'-' + st.text(2);
        e->version = st.int64(3);
        e->type = st.text(4);
        const QByteArray payload = st.bytes(6);
        QByteArray compact;
        QString why;
        if (!compactJson(payload, &compact, &why)) {
            setNonJsonData(e, payload);
            addWarning(QStringLiteral("%1: events row %2 (stream %3 sequence %4): payload is not JSON (%5); shown "
                                      "as text")
                           .arg(m_db->path())
                           .arg(e->position)
                           .arg(e->stream)
                           .arg(e->version)
                           .arg(why));
        } else {
            // serde's externally tagged enum: {"NameAdded":{...}} -> the variant's content.
            QList<std::pair<QByteArray, QByteArray>> members;
            e->data = jsonObjectMembers(compact, &members) && members.size() == 1 ? members.first().second : compact;
        }
        e->metadata = metadataOf(st, e->position);
        return true;
    }

    bool computeStreams(QList<StreamInfo>* out, QString* error) override
    {
        loadOrder();
        SqlStatement st(*m_db, "SELECT aggregate_type, aggregate_id, count(*), min(sequence), max(sequence), "
                               "min(rowid), max(rowid) FROM events WHERE " +
                                   rowFilter() + " GROUP BY aggregate_type, aggregate_id");
        if (!st.ok()) {
            *error = QStringLiteral("%1: cannot summarise streams (%2)").arg(m_db->path(), st.prepareError());
            return false;
        }
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) {
            StreamInfo s;
            s.stream = st.text(0) + u'-' + st.text(1);
            s.events = st.int64(2);
            s.firstVersion = st.int64(3);
            s.lastVersion = st.int64(4);
            s.firstPosition = positionOf(st.int64(5));
            s.lastPosition = positionOf(st.int64(6));
            out->append(s);
        }
        if (rc != SQLITE_DONE) {
            *error = sqlError(QStringLiteral("summarising streams failed"));
            return false;
        }
        std::sort(out->begin(), out->end(), [](const StreamInfo& a, const StreamInfo& b) { return a.stream < b.stream; });
        return true;
    }

private:
    QByteArray metadataOf(SqlStatement& st, qint64 position)
    {
        QByteArray meta = "{}";
        if (!st.isNull(7)) {
            const QByteArray raw = st.bytes(7);
            QString why;
            if (!compactJson(raw, &meta, &why) || !meta.startsWith('{')) {
                meta = "{\"chronoscope.rawMetadata\":" + jsonStringLiteral(QString::fromUtf8(raw)) + "}";
                addWarning(QStringLiteral("%1: events row %2: metadata is not a JSON object; kept as text under "
                                          "chronoscope.rawMetadata")
                               .arg(m_db->path())
                               .arg(position));
            }
        }
        if (st.isNull(5))
            return meta;
        // The payload's schema version matters when upcasters are involved: show it beside the metadata.
        QList<std::pair<QByteArray, QByteArray>> members;
        jsonObjectMembers(meta, &members);
        for (const auto& m : members)
            if (m.first == "event_version")
                return meta;
        const QByteArray version = "\"event_version\":" + jsonStringLiteral(st.text(5));
        return meta.size() <= 2 ? "{" + version + "}" : "{" + version + "," + meta.mid(1);
    }

    // Positions are the 1-based rank of the rowid (insertion order). With no deleted rows that is the rowid
    // itself; otherwise the sorted rowids are kept (8 bytes an event) to translate both ways. Checked on first
    // use (it counts the rows), not at open.
    void loadOrder()
    {
        if (m_orderLoaded)
            return;
        m_orderLoaded = true;
        m_rowids.clear();
        m_dense = true;
        SqlStatement st(*m_db, "SELECT min(rowid), max(rowid), count(*) FROM events");
        if (!st.ok() || st.step() != SQLITE_ROW) {
            addWarning(sqlError(QStringLiteral("cannot read the order of events")));
            return;
        }
        const qint64 count = st.int64(2);
        if (count == 0 || (st.int64(0) == 1 && st.int64(1) == count))
            return;
        m_dense = false;
        m_rowids.reserve(size_t(count));
        SqlStatement all(*m_db, "SELECT rowid FROM events ORDER BY rowid");
        if (!all.ok())
            return;
        while (all.step() == SQLITE_ROW)
            m_rowids.push_back(all.int64(0));
    }

    qint64 positionOf(qint64 rowid) const
    {
        if (m_dense)
            return rowid;
        return qint64(std::lower_bound(m_rowids.begin(), m_rowids.end(), rowid) - m_rowids.begin()) + 1;
    }

    // The distinct aggregate types, found by hopping along the primary key index (one lookup per type).
    const QStringList& aggregateTypes()
    {
        if (m_aggregateTypes)
            return *m_aggregateTypes;
        m_aggregateTypes = QStringList();
        SqlStatement first(*m_db, "SELECT min(aggregate_type) FROM events");
        SqlStatement next(*m_db, "SELECT min(aggregate_type) FROM events WHERE aggregate_type > ?");
        if (!first.ok() || !next.ok() || first.step() != SQLITE_ROW || first.isNull(0))
            return *m_aggregateTypes;
        QByteArray type = first.bytes(0);
        while (m_aggregateTypes->size() < 100000) {
            m_aggregateTypes->append(QString::fromUtf8(type));
            next.reset();
            next.bind({SqlValue(type)});
            if (next.step() != SQLITE_ROW || next.isNull(0))
                break;
            type = next.bytes(0);
        }
        return *m_aggregateTypes;
    }

    bool m_hasVersion = false;
    bool m_hasMetadata = false;
    bool m_dense = true;
    bool m_orderLoaded = false;
    std::vector<qint64> m_rowids;
    std::optional<QStringList> m_aggregateTypes;
};

bool hasCqrsColumns(const QStringList& columns)
{
    for (const char* c : kRequired)
        if (!columns.contains(QLatin1String(c)))
            return false;
    return true;
}

const bool registered = SourceRegistry::add(SourceKind{
    QStringLiteral("cqrs-es-sqlite"), probeCqrsEsSqlite,
    [](const SourceProbe& probe, const OpenOptions&, QString* error) { return openCqrsEsSqlite(probe.path, error); }});

} // namespace

int probeCqrsEsSqlite(const SourceProbe& probe)
{
    bool found = false;
    for (const QString& t : sqliteTables(probe))
        found = found || t.compare(QLatin1String("events"), Qt::CaseInsensitive) == 0;
    if (!found)
        return 0;
    // "events" is a common name (the native store may use it too): claim the file only with cqrs-es's columns.
    QString error;
    auto db = SqliteDb::open(probe.path, &error);
    return db && hasCqrsColumns(db->columns("events")) ? 60 : 0;
}

std::unique_ptr<EventReader> openCqrsEsSqlite(const QString& path, QString* error)
{
    Q_UNUSED(registered);
    auto db = SqliteDb::open(path, error);
    if (!db)
        return nullptr;
    const QString crafted = db->checkTable("events", {"sequence"});
    if (!crafted.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: not a cqrs-es store as cqrs-es writes it, refused: %2").arg(path, crafted);
        return nullptr;
    }
    const QStringList columns = db->columns("events");
    if (!hasCqrsColumns(columns)) {
        if (error) {
            QStringList missing;
            for (const char* c : kRequired)
                if (!columns.contains(QLatin1String(c)))
                    missing << QLatin1String(c);
            *error = columns.isEmpty() ? QStringLiteral("%1: no events table: not a cqrs-es store").arg(path)
                                       : QStringLiteral("%1: the events table lacks the column(s) %2 of cqrs-es's layout")
                                             .arg(path, missing.join(QLatin1String(", ")));
        }
        return nullptr;
    }
    if (!db->hasRowid("events")) {
        if (error)
            *error = QStringLiteral("%1: events is a WITHOUT ROWID table: cqrs-es keeps no global position, and "
                                    "without a rowid the insertion order is lost too")
                         .arg(path);
        return nullptr;
    }
    return std::make_unique<CqrsEsReader>(std::move(db), columns);
}

} // namespace chronoscope
