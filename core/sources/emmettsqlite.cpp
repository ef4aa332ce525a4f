#include "sources/emmettsqlite.h"

#include "sources/sourceregistry.h"
#include "sources/sqlitelayout.h"

#include <sqlite3.h>

#include <algorithm>

namespace chronoscope {

namespace {

// Seconds since the epoch, rounded down (created holds whole seconds, so SQL can only narrow to the second;
// the exact millisecond bound is applied after decoding).
qint64 floorSeconds(TimeMs t)
{
    return t >= 0 ? t / 1000 : -((-t + 999) / 1000);
}

class EmmettReader final : public SqliteLayoutReader
{
public:
    EmmettReader(std::unique_ptr<SqliteDb> db, const QStringList& columns)
        : SqliteLayoutReader(std::move(db), QStringLiteral("emmett-sqlite"))
    {
        m_hasMetadata = columns.contains(QLatin1String("message_metadata"));
        m_hasId = columns.contains(QLatin1String("message_id"));
        m_hasCreated = columns.contains(QLatin1String("created"));
        m_hasKind = columns.contains(QLatin1String("message_kind"));
        m_hasArchived = columns.contains(QLatin1String("is_archived"));
        m_columns = columns;
    }

    std::unique_ptr<EventReader> clone(QString* error) override { return openEmmettSqlite(m_db->path(), error); }

protected:
    QByteArray table() const override { return "emt_messages"; }
    QByteArray orderExpr() const override { return "global_position"; }
    QByteArray selectColumns() const override
    {
        return QByteArray("global_position, stream_id, stream_position, message_type, message_data, ") +
               (m_hasMetadata ? "message_metadata" : "NULL") + ", " + (m_hasId ? "message_id" : "NULL") + ", " +
               (m_hasCreated ? "created" : "NULL");
    }
    QByteArray rowFilter() const override
    {
        // Emmett's own readers skip archived messages; commands ('C') share the table but are not events.
        // Emmett numbers messages from 1 (global) and streams from 1: a negative number is damage, and is left
        // out everywhere (reads, counts, summaries) and reported, never shown in some views and not others.
        QByteArray f = "stream_id IS NOT NULL AND typeof(stream_position) = 'integer' AND stream_position >= 0 AND "
                       "typeof(global_position) = 'integer' AND global_position >= 0";
        if (m_hasKind)
            f += " AND coalesce(message_kind, 'E') = 'E'";
        if (m_hasArchived)
            f += " AND NOT coalesce(is_archived, 0)";
        return f;
    }
    QString rowFilterMeaning() const override
    {
        return QStringLiteral("they are commands or other non-event messages (message_kind other than 'E'), "
                              "archived (is_archived), lack a stream_id, or have a stream_position or global_position that is "
                              "not an integer >= 0");
    }
    bool timeKnown() const override { return m_hasCreated; }

    bool pushDown(const EventQuery& q, SqlWhere* w) override
    {
        bool exact = true;
        if (!q.stream.isEmpty()) {
            w->add("stream_id = ?", q.stream.toUtf8());
            w->addRange("stream_position", q.fromVersion, q.toVersion);
        }
        if (!q.types.isEmpty())
            w->add("message_type IN (" + w->inList(q.types) + ")");
        w->addRange("global_position", q.fromPosition, q.toPosition);
        if (q.since != kNoTime || q.until != kNoTime) {
            if (!m_hasCreated) {
                w->add("0"); // no time column: nothing is inside a time range
            } else {
                // No index on created: this only saves decoding; the bound is re-checked in milliseconds.
                if (q.since != kNoTime)
                    w->add("unixepoch(created) >= ?", floorSeconds(q.since));
                if (q.until != kNoTime)
                    w->add("unixepoch(created) <= ?", floorSeconds(q.until));
                exact = false;
            }
        }
        return exact;
    }

    bool decode(SqlStatement& st, Event* e) override
    {
        e->position = st.int64(0);
        e->stream = st.text(1);
        e->version = st.int64(2);
        e->type = st.text(3);
        const QByteArray data = st.bytes(4);
        QString why;
        if (!compactJson(data, &e->data, &why)) {
            setNonJsonData(e, data);
            addWarning(QStringLiteral("%1: emt_messages global_position %2 (stream %3 version %4): message_data is "
                                      "not JSON (%5); shown as text")
                           .arg(m_db->path())
                           .arg(e->position)
                           .arg(e->stream)
                           .arg(e->version)
                           .arg(why));
        }
        if (st.isNull(5)) {
            e->metadata = "{}";
        } else {
            const QByteArray meta = st.bytes(5);
            if (!compactJson(meta, &e->metadata, &why) || !e->metadata.startsWith('{')) {
                e->metadata = "{\"chronoscope.rawMetadata\":" + jsonStringLiteral(QString::fromUtf8(meta)) + "}";
                addWarning(QStringLiteral("%1: emt_messages global_position %2: message_metadata is not a JSON "
                                          "object; kept as text under chronoscope.rawMetadata")
                               .arg(m_db->path())
                               .arg(e->position));
            }
        }
        e->id = st.text(6);
        e->time = parseCreated(st, 7);
        return true;
    }

    bool computeStreams(QList<StreamInfo>* out, QString* error) override
    {
        // When every row is an event (no commands, nothing archived or malformed: the usual store), counts and
        // ranges come from the UNIQUE(stream_id, stream_position, ...) index alone, which carries the rowid
        // (global_position), and the times from two lookups per stream. Otherwise one scan of the table.
        const bool allRowsAreEvents = skippedRows() == 0;
        const QByteArray created = m_hasCreated ? "created" : "NULL";
        const QByteArray sql =
            allRowsAreEvents
                ? QByteArray("SELECT stream_id, count(*), min(stream_position), max(stream_position), "
                             "min(global_position), max(global_position) FROM emt_messages GROUP BY stream_id")
                : "SELECT stream_id, count(*), min(stream_position), max(stream_position), min(global_position), "
                  "max(global_position), min(" + created + "), max(" + created + ") FROM emt_messages NOT INDEXED WHERE " +
                      rowFilter() + " GROUP BY stream_id";
        SqlStatement st(*m_db, sql);
        if (!st.ok()) {
            *error = QStringLiteral("%1: cannot summarise streams (%2)").arg(m_db->path(), st.prepareError());
            return false;
        }
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) {
            StreamInfo s;
            s.stream = st.text(0);
            s.events = st.int64(1);
            s.firstVersion = st.int64(2);
            s.lastVersion = st.int64(3);
            s.firstPosition = st.int64(4);
            s.lastPosition = st.int64(5);
            if (!allRowsAreEvents) {
                s.firstTime = parseCreated(st, 6);
                s.lastTime = parseCreated(st, 7);
            }
            out->append(s);
        }
        if (rc != SQLITE_DONE) {
            *error = sqlError(QStringLiteral("summarising streams failed"));
            return false;
        }
        if (allRowsAreEvents && m_hasCreated) {
            SqlStatement at(*m_db, "SELECT created FROM emt_messages WHERE global_position = ?");
            auto timeAt = [&](qint64 position) {
                at.reset();
                at.bind({SqlValue(position)});
                return at.step() == SQLITE_ROW ? parseCreated(at, 0) : kNoTime;
            };
            for (StreamInfo& s : *out) {
                s.firstTime = timeAt(s.firstPosition);
                s.lastTime = s.lastPosition == s.firstPosition ? s.firstTime : timeAt(s.lastPosition);
            }
        }
        std::sort(out->begin(), out->end(), [](const StreamInfo& a, const StreamInfo& b) { return a.stream < b.stream; });
        return true;
    }

private:
    static TimeMs parseCreated(SqlStatement& st, int col)
    {
        if (st.isNull(col))
            return kNoTime;
        const auto t = parseTime(st.text(col));
        return t ? *t : kNoTime;
    }

    QStringList m_columns;
    bool m_hasMetadata = false;
    bool m_hasId = false;
    bool m_hasCreated = false;
    bool m_hasKind = false;
    bool m_hasArchived = false;
};

const bool registered = SourceRegistry::add(SourceKind{
    QStringLiteral("emmett-sqlite"), probeEmmettSqlite,
    [](const SourceProbe& probe, const OpenOptions&, QString* error) { return openEmmettSqlite(probe.path, error); }});

} // namespace

int probeEmmettSqlite(const SourceProbe& probe)
{
    for (const QString& t : sqliteTables(probe))
        if (t.compare(QLatin1String("emt_messages"), Qt::CaseInsensitive) == 0)
            return 60;
    return 0;
}

std::unique_ptr<EventReader> openEmmettSqlite(const QString& path, QString* error)
{
    Q_UNUSED(registered);
    auto db = SqliteDb::open(path, error);
    if (!db)
        return nullptr;
    const QString crafted = db->checkTable("emt_messages", {"global_position", "stream_position"});
    if (!crafted.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: not an Emmett store as Emmett writes it, refused: %2").arg(path, crafted);
        return nullptr;
    }
    const QStringList columns = db->columns("emt_messages");
    if (columns.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: no emt_messages table: not an Emmett SQLite event store").arg(path);
        return nullptr;
    }
    QStringList missing;
    for (const char* c : {"global_position", "stream_id", "stream_position", "message_type", "message_data"})
        if (!columns.contains(QLatin1String(c)))
            missing << QLatin1String(c);
    if (!missing.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: emt_messages lacks the column(s) %2 that Emmett's layout has")
                         .arg(path, missing.join(QLatin1String(", ")));
        return nullptr;
    }
    return std::make_unique<EmmettReader>(std::move(db), columns);
}

} // namespace chronoscope
