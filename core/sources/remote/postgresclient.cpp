// PostgreSQL event stores over libpq: Message DB, Marten, Emmett (PostgreSQL) and Python eventsourcing.
// Every read is keyset-paged on the store's global position (WHERE pos > $last ORDER BY pos LIMIT n),
// never OFFSET, so a page costs the same at the start and the end of a billion-row table, and a lost
// connection resumes exactly where it stopped.

#include "sources/remote/remoteclients_p.h"
#include "sources/eventsourcingsqlite.h"

#include "model/glob.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

#ifdef CHRONOSCOPE_HAVE_LIBPQ
#include <libpq-fe.h>
#include <sys/select.h>
#endif

namespace chronoscope::remote {

#ifndef CHRONOSCOPE_HAVE_LIBPQ

std::unique_ptr<RemoteClient> makePostgresClient(const RemoteEndpoint& ep, QString* error)
{
    if (error)
        *error = QStringLiteral("%1: this build of Chronoscope has no PostgreSQL support (libpq was not found "
                                "when it was built)")
                     .arg(ep.display);
    return nullptr;
}

std::unique_ptr<RemoteFirstSource> makePostgresRemoteFirst(const RemoteEndpoint& ep, const RemoteFirstOptions&,
                                                           QString* error)
{
    makePostgresClient(ep, error);  // names what this build lacks
    return nullptr;
}

#else

namespace {

struct PgResult
{
    PGresult* r = nullptr;
    PgResult() = default;
    explicit PgResult(PGresult* res) : r(res) {}
    PgResult(PgResult&& o) noexcept : r(o.r) { o.r = nullptr; }
    PgResult& operator=(PgResult&& o) noexcept
    {
        std::swap(r, o.r);
        return *this;
    }
    ~PgResult() { PQclear(r); }
    int rows() const { return r ? PQntuples(r) : 0; }
    bool isNull(int row, int col) const { return PQgetisnull(r, row, col); }
    QByteArray bytes(int row, int col) const
    {
        return QByteArray(PQgetvalue(r, row, col), PQgetlength(r, row, col));
    }
    QString text(int row, int col) const
    {
        return QString::fromUtf8(PQgetvalue(r, row, col), PQgetlength(r, row, col));
    }
    qint64 integer(int row, int col) const { return QByteArray::fromRawData(PQgetvalue(r, row, col), PQgetlength(r, row, col)).toLongLong(); }
};

QString quoteIdent(const QString& s)
{
    QString q = s;
    q.replace(u'"', QStringLiteral("\"\""));
    return u'"' + q + u'"';
}

/// A stream glob as a SQL condition (docs/remote.md "Stream globs"). It selects exactly the names
/// globMatch() selects where the server can say so, else more (exact = false), and the rows are then
/// filtered here. The pattern travels as a parameter, never inside the SQL text.
struct SqlGlob
{
    QString condition;      ///< empty: no condition
    QByteArray value;       ///< the parameter, when usesValue
    bool usesValue = false;
    bool exact = true;
};

bool isStorable(char32_t c)
{
    // PostgreSQL text holds neither NUL nor UTF-16 surrogates: a glob character among them matches no row.
    return c != 0 && (c < 0xD800 || c > 0xDFFF);
}

void appendUtf16(QString& out, char32_t c)
{
    if (c > 0xffff) {
        out += QChar(QChar::highSurrogate(c));
        out += QChar(QChar::lowSurrogate(c));
    } else {
        out += QChar(char16_t(c));
    }
}

/// One character of a PostgreSQL advanced regular expression: letters and digits as they are, anything
/// else as a character-entry escape (\uXXXX, \UXXXXXXXX), which means the character itself inside and
/// outside brackets (PostgreSQL docs 9.7.3.3, "Regular Expression Escapes").
void appendRegexChar(QString& re, char32_t c)
{
    if ((c >= U'0' && c <= U'9') || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'))
        re += QChar(char16_t(c));
    else if (c <= 0xffff)
        re += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
    else
        re += QStringLiteral("\\U%1").arg(uint(c), 8, 16, QLatin1Char('0'));
}

/// The members of a set as a bracket body (without the brackets): reversed ranges dropped (they match
/// nothing, and PostgreSQL refuses them), NUL and surrogates cut out (no row holds them).
QString bracketBody(QStringView glob, const glob::Token& set)
{
    QString body;
    auto add = [&body](char32_t lo, char32_t hi) {
        if (lo > hi)
            return;
        appendRegexChar(body, lo);
        if (hi != lo) {
            body += u'-';
            appendRegexChar(body, hi);
        }
    };
    qsizetype at = set.from;
    char32_t lo, hi;
    while (glob::nextMember(glob, set, at, lo, hi)) {
        if (lo > hi)
            continue;
        lo = std::max<char32_t>(lo, 1);
        if (lo < 0xD800)
            add(lo, std::min<char32_t>(hi, 0xD7FF));
        if (hi > 0xDFFF)
            add(std::max<char32_t>(lo, 0xE000), hi);
    }
    return body;
}

SqlGlob globCondition(const QString& glob, const QString& column, int param, bool utf8Server)
{
    using glob::Token;
    SqlGlob out;
    const QString never = QStringLiteral("FALSE");
    QList<Token> tokens;
    bool hasSet = false, allLiteral = true;
    for (qsizetype at = 0; at < glob.size();) {
        tokens << glob::nextToken(glob, at);
        hasSet = hasSet || tokens.last().kind == Token::Set;
        allLiteral = allLiteral && tokens.last().kind == Token::Literal;
    }
    for (const Token& t : tokens)
        if (t.kind == Token::Literal && !isStorable(t.ch)) {
            out.condition = never;
            return out;
        }
    out.usesValue = true;
    if (allLiteral) {
        QString name;
        for (const Token& t : tokens)
            appendUtf16(name, t.ch);
        out.value = name.toUtf8();
        out.condition = QStringLiteral("%1 = $%2").arg(column).arg(param);
        return out;
    }
    auto likeLiteral = [](QString& like, char32_t c) {
        if (c == U'%' || c == U'_' || c == U'\\')
            like += u'\\';
        appendUtf16(like, c);
    };
    if (!utf8Server) {
        // Outside UTF8 a LIKE '_' or a regex '.' is a byte, not a character: only the literal prefix is
        // sent, as far as it is ASCII, and globMatch decides.
        out.exact = false;
        QString like;
        for (const Token& t : tokens) {
            if (t.kind != Token::Literal || t.ch >= 0x80)
                break;
            likeLiteral(like, t.ch);
        }
        if (like.isEmpty()) {
            out.usesValue = false;
            return out;
        }
        out.value = (like + u'%').toUtf8();
        out.condition = QStringLiteral("%1 LIKE $%2").arg(column).arg(param);
        return out;
    }
    if (!hasSet) {
        // LIKE: '%' any run, '_' one character (PostgreSQL docs 9.7.1), '\' escapes.
        QString like;
        for (const Token& t : tokens) {
            if (t.kind == Token::AnyString)
                like += u'%';
            else if (t.kind == Token::AnyChar)
                like += u'_';
            else
                likeLiteral(like, t.ch);
        }
        out.value = like.toUtf8();
        out.condition = QStringLiteral("%1 LIKE $%2").arg(column).arg(param);
        return out;
    }
    // A set: an anchored advanced regular expression, case-sensitive (~); a range is by code point.
    QString re = QStringLiteral("^");
    for (const Token& t : tokens) {
        switch (t.kind) {
        case Token::AnyString: re += QStringLiteral(".*"); break;
        case Token::AnyChar: re += u'.'; break;
        case Token::Literal: appendRegexChar(re, t.ch); break;
        case Token::Set: {
            const QString body = bracketBody(glob, t);
            if (body.isEmpty() && !t.negated) {
                out.condition = never;  // a set without members matches no character
                out.usesValue = false;
                return out;
            }
            re += body.isEmpty() ? QStringLiteral(".") : (t.negated ? QStringLiteral("[^") : QStringLiteral("[")) + body + u']';
            break;
        }
        }
    }
    re += u'$';
    out.value = re.toUtf8();
    out.condition = QStringLiteral("%1 ~ $%2").arg(column).arg(param);
    return out;
}

class PostgresRemoteFirst;

class PostgresClient : public RemoteClient
{
    friend class PostgresRemoteFirst;  // runs its aggregates over this client's connection and layout

public:
    using RemoteClient::RemoteClient;
    ~PostgresClient() override { disconnect(); }

    QString layout() const override { return m_layout; }
    QString describe() const override
    {
        return QStringLiteral("%1 (%2) at %3").arg(m_layoutName, m_table, m_ep.display);
    }

    bool connect(QString* error) override
    {
        if (!open(error))
            return false;
        return detect(error);
    }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!m_conn && !connect(error))
            return false;
        m_scope = scope;
        m_scope.last = -1;
        buildFilter(scope);
        qint64 start = 0;  // read positions > start
        if (scope.last >= 0) {
            if (scope.last == 0) {
                m_cursor = headPosition(error);
                return m_cursor >= 0;
            }
            if (m_globExact) {
                // The window's first position: the N-th newest matching one, found on the server.
                const QString sql = QStringLiteral("SELECT min(p) FROM (SELECT %1 AS p FROM %2 WHERE %3 ORDER BY %1 "
                                                   "DESC LIMIT %4) s")
                                        .arg(m_posCol, m_table, whereClause(false, false))
                                        .arg(scope.last);
                PgResult r;
                if (!exec(sql, m_filterValues, &r, error))
                    return false;
                start = r.rows() == 0 || r.isNull(0, 0) ? -1 : r.integer(0, 0) - 1;
            } else if (!windowStartHere(scope.last, &start, error)) {
                return false;
            }
            if (start < 0) {
                m_cursor = headPosition(error);
                return m_cursor >= 0;
            }
        }
        qint64 total = -1;
        {
            PgResult r;
            QString e;
            if (exec(QStringLiteral("SELECT max(%1) FROM %2").arg(m_posCol, m_table), {}, &r, &e) && r.rows() == 1 &&
                !r.isNull(0, 0))
                total = std::max<qint64>(0, r.integer(0, 0) - start);
        }
        m_cursor = start;
        qint64 done = 0;
        bool first = true;
        for (;;) {
            if (isCancelled())
                return cancelled(error);
            QList<Event> page;
            if (!fetchPage(pageSize(first), true, &page, error))
                return false;
            first = false;
            if (page.isEmpty()) {
                // Every row of the page may have been filtered out here; the end is a page without rows.
                if (m_serverRows > 0)
                    continue;
                break;
            }
            done += page.size();
            if (total >= 0)
                total = std::max(total, done);
            reportProgress(done, scope.last > 0 ? scope.last : total,
                           QStringLiteral("%1 events read from %2").arg(done).arg(m_ep.display));
            if (!sink(page))
                return true;
        }
        return true;
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (!m_conn && !connect(error))
            return false;
        const int pollMs = std::max(20, m_ep.option(QStringLiteral("poll"), QStringLiteral("500")).toInt());
        while (!isCancelled()) {
            QList<Event> page;
            if (!fetchPage(m_pageSize, false, &page, error))
                return false;
            if (page.isEmpty()) {
                if (m_serverRows == 0 && !sleepUnlessCancelled(pollMs))
                    break;
                continue;
            }
            if (!sink(page))
                return true;
        }
        return true;
    }

private:
    bool cancelled(QString* error)
    {
        if (error)
            *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
        return false;
    }

    void disconnect()
    {
        if (m_conn)
            PQfinish(m_conn);
        m_conn = nullptr;
    }

    QString dbName() const
    {
        QString db = m_ep.url.path();
        while (db.startsWith(u'/'))
            db.remove(0, 1);
        return db;
    }

    bool open(QString* error)
    {
        disconnect();
        for (int attempt = 0;; ++attempt) {
            QList<QByteArray> keys, values;
            auto add = [&](const char* k, const QString& v) {
                if (!v.isEmpty()) {
                    keys << k;
                    values << v.toUtf8();
                }
            };
            add("host", m_ep.host);
            add("port", m_ep.port > 0 ? QString::number(m_ep.port) : QString());
            add("dbname", dbName());
            add("user", m_ep.user);
            add("password", m_ep.secret);
            add("sslmode", m_ep.option(QStringLiteral("sslmode")));
            add("sslrootcert", m_ep.option(QStringLiteral("sslrootcert")));
            add("connect_timeout", QString::number(std::max(1, (m_ep.timeoutMs + 999) / 1000)));
            add("application_name", QStringLiteral("chronoscope"));
            // Reads only: the session refuses writes even if the role could make them.
            add("options", QStringLiteral("-c default_transaction_read_only=on -c statement_timeout=%1")
                               .arg(std::max(1000, m_ep.timeoutMs * 3)));
            std::vector<const char*> k, v;
            for (int i = 0; i < keys.size(); ++i) {
                k.push_back(keys[i].constData());
                v.push_back(values[i].constData());
            }
            k.push_back(nullptr);
            v.push_back(nullptr);
            m_conn = PQconnectdbParams(k.data(), v.data(), 0);
            if (PQstatus(m_conn) == CONNECTION_OK)
                break;
            const QString msg = QString::fromUtf8(PQerrorMessage(m_conn)).trimmed();
            disconnect();
            const bool needsSecret = msg.contains(QLatin1String("no password supplied")) ||
                                     msg.contains(QLatin1String("password authentication failed"));
            if (needsSecret && m_ep.askSecret()) {
                --attempt;
                continue;
            }
            const bool transient = msg.contains(QLatin1String("Connection refused")) ||
                                   msg.contains(QLatin1String("timeout expired")) ||
                                   msg.contains(QLatin1String("the database system is starting up"));
            if (transient && attempt < m_ep.retries && sleepUnlessCancelled(200 << attempt))
                continue;
            if (error)
                *error = explainConnectError(msg);
            return false;
        }
        PQsetClientEncoding(m_conn, "UTF8");
        return true;
    }

    QString explainConnectError(const QString& msg) const
    {
        const QString where = m_ep.display;
        if (msg.contains(QLatin1String("could not translate host name")))
            return QStringLiteral("%1: the host name '%2' could not be found (DNS): %3").arg(where, m_ep.host, msg);
        if (msg.contains(QLatin1String("Connection refused")))
            return QStringLiteral("%1: connection refused: is PostgreSQL running on %2 port %3? (%4)")
                .arg(where, m_ep.host)
                .arg(m_ep.port > 0 ? m_ep.port : 5432)
                .arg(msg);
        if (msg.contains(QLatin1String("password")))
            return QStringLiteral("%1: PostgreSQL refused the login of user '%2': %3. Give the password in the "
                                  "URI, in $CHRONOSCOPE_PASSWORD or $PGPASSWORD.")
                .arg(where, m_ep.user, msg);
        if (msg.contains(QLatin1String("timeout")))
            return QStringLiteral("%1: PostgreSQL did not answer within %2 s: %3")
                .arg(where)
                .arg(m_ep.timeoutMs / 1000.0)
                .arg(msg);
        return QStringLiteral("%1: cannot connect to PostgreSQL: %2").arg(where, msg);
    }

    /// Runs a query without blocking cancel: polls the socket, PQcancel()s when cancelled or too slow.
    bool exec(const QString& sql, const QList<QByteArray>& params, PgResult* out, QString* error,
              QString* sqlstate = nullptr)
    {
        const QByteArray q = sql.toUtf8();
        std::vector<const char*> p;
        for (const QByteArray& v : params)
            p.push_back(v.constData());
        if (!PQsendQueryParams(m_conn, q.constData(), int(p.size()), nullptr, p.data(), nullptr, nullptr, 0))
            return failed(QString::fromUtf8(PQerrorMessage(m_conn)), error);
        return collect(out, error, sqlstate);
    }

    bool collect(PgResult* out, QString* error, QString* sqlstate = nullptr)
    {
        const int sock = PQsocket(m_conn);
        QElapsedTimerLite clock;
        bool cancelSent = false;
        while (PQisBusy(m_conn)) {
            fd_set rd;
            FD_ZERO(&rd);
            FD_SET(sock, &rd);
            timeval tv{0, 50 * 1000};
            const int rc = select(sock + 1, &rd, nullptr, nullptr, &tv);
            if (rc < 0 && errno != EINTR)
                break;
            if (!PQconsumeInput(m_conn))
                break;
            if (!cancelSent && (isCancelled() || clock.elapsedMs() > m_ep.timeoutMs * 3)) {
                if (PGcancel* c = PQgetCancel(m_conn)) {
                    char buf[256];
                    PQcancel(c, buf, sizeof buf);
                    PQfreeCancel(c);
                }
                cancelSent = true;
            }
        }
        PgResult last;
        QString err;
        while (PGresult* r = PQgetResult(m_conn)) {
            const ExecStatusType st = PQresultStatus(r);
            if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && err.isEmpty()) {
                err = QString::fromUtf8(PQresultErrorMessage(r)).trimmed();
                if (sqlstate)
                    *sqlstate = QString::fromLatin1(PQresultErrorField(r, PG_DIAG_SQLSTATE));
                m_lastSqlState = QString::fromLatin1(PQresultErrorField(r, PG_DIAG_SQLSTATE));
            }
            last = PgResult(r);
        }
        if (isCancelled())
            return cancelled(error);
        if (!err.isEmpty())
            return failed(err, error);
        if (PQstatus(m_conn) != CONNECTION_OK)
            return failed(QString::fromUtf8(PQerrorMessage(m_conn)), error);
        *out = std::move(last);
        return true;
    }

    struct QElapsedTimerLite
    {
        std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
        qint64 elapsedMs() const
        {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
                .count();
        }
    };

    bool failed(const QString& msg, QString* error)
    {
        if (!error)
            return false;
        if (m_lastSqlState == QLatin1String("42501") || msg.contains(QLatin1String("permission denied"))) {
            *error = QStringLiteral("%1: PostgreSQL user '%2' has no right to read %3 (%4). Ask an administrator "
                                    "for GRANT USAGE ON SCHEMA and GRANT SELECT ON the table.")
                         .arg(m_ep.display, currentUser(), m_table.isEmpty() ? QStringLiteral("the event tables") : m_table, msg);
        } else if (m_lastSqlState == QLatin1String("57014")) {
            *error = QStringLiteral("%1: the query took too long and was stopped (more than %2 s): %3")
                         .arg(m_ep.display)
                         .arg(m_ep.timeoutMs * 3 / 1000.0)
                         .arg(msg);
        } else {
            *error = QStringLiteral("%1: %2").arg(m_ep.display, msg);
        }
        m_lastSqlState.clear();
        return false;
    }

    QString currentUser() const
    {
        return m_conn ? QString::fromUtf8(PQuser(m_conn)) : m_ep.user;
    }

    struct Candidate
    {
        QString schema, table, layout;
        bool canRead = false;
        QStringList columns;
    };

    bool detect(QString* error)
    {
        const QString wantSchema = m_ep.option(QStringLiteral("schema"));
        const QString wantLayout = m_ep.option(QStringLiteral("layout")).toLower();
        const QString wantApp = m_ep.option(QStringLiteral("app"));
        // pg_catalog, not information_schema: the tables must be found even when the user may not read them,
        // so that the message can say so.
        const QString sql = QStringLiteral(
            "SELECT n.nspname, c.relname, has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, "
            "'SELECT'), (SELECT string_agg(a.attname, ',') FROM pg_attribute a WHERE a.attrelid = c.oid AND "
            "a.attnum > 0 AND NOT a.attisdropped) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r','p','v') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND (c.relname IN ('messages','mt_events','emt_messages') OR c.relname LIKE "
            "'%\\_events') ORDER BY n.nspname, c.relname");
        PgResult r;
        if (!exec(sql, {}, &r, error))
            return false;
        QList<Candidate> found;
        for (int i = 0; i < r.rows(); ++i) {
            Candidate c{r.text(i, 0), r.text(i, 1), {}, QByteArray(PQgetvalue(r.r, i, 2)) == "t",
                        r.text(i, 3).split(u',')};
            if (!wantSchema.isEmpty() && c.schema != wantSchema)
                continue;
            auto has = [&](std::initializer_list<const char*> cols) {
                for (const char* col : cols)
                    if (!c.columns.contains(QLatin1String(col)))
                        return false;
                return true;
            };
            if (c.table == u"messages" && has({"global_position", "stream_name", "position", "type", "data"}))
                c.layout = QStringLiteral("message-db");
            else if (c.table == u"mt_events" && has({"seq_id", "stream_id", "version", "type", "data"}))
                c.layout = QStringLiteral("marten");
            else if (c.table == u"emt_messages" && has({"global_position", "stream_id", "stream_position",
                                                         "message_type", "message_data"}))
                c.layout = QStringLiteral("emmett-postgresql");
            else if (c.table.endsWith(QLatin1String("_events")) &&
                     has({"originator_id", "originator_version", "topic", "state", "notification_id"}) &&
                     (wantApp.isEmpty() || c.table == wantApp.toLower() + QLatin1String("_events")))
                c.layout = QStringLiteral("eventsourcing-postgresql");
            else
                continue;
            if (!wantLayout.isEmpty() && !c.layout.startsWith(wantLayout))
                continue;
            found << c;
        }
        if (found.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: no event store tables found in database '%2'%3 (looked for Message DB "
                                        "message_store.messages, Marten mt_events, Emmett emt_messages and Python "
                                        "eventsourcing {app}_events). Name the schema with ?schema=NAME.")
                             .arg(m_ep.display, QString::fromUtf8(PQdb(m_conn)),
                                  wantSchema.isEmpty() ? QString() : QStringLiteral(" schema '%1'").arg(wantSchema));
            return false;
        }
        // Prefer the layouts in this order, and the conventional schema of each.
        static const QStringList order = {QStringLiteral("message-db"), QStringLiteral("marten"),
                                          QStringLiteral("emmett-postgresql"),
                                          QStringLiteral("eventsourcing-postgresql")};
        std::stable_sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
            const int oa = order.indexOf(a.layout), ob = order.indexOf(b.layout);
            if (oa != ob)
                return oa < ob;
            return (a.schema == u"message_store" || a.schema == u"public") >
                   (b.schema == u"message_store" || b.schema == u"public");
        });
        const Candidate& c = found.first();
        m_layout = c.layout;
        m_table = quoteIdent(c.schema) + u'.' + quoteIdent(c.table);
        m_columns = c.columns;
        if (!c.canRead) {
            if (error)
                *error = QStringLiteral("%1: PostgreSQL user '%2' has no right to read %3.%4 (%5 found, but SELECT "
                                        "on it or USAGE on schema %3 is not granted). Ask an administrator for "
                                        "GRANT USAGE ON SCHEMA %3 and GRANT SELECT ON %3.%4 TO %2.")
                             .arg(m_ep.display, currentUser(), c.schema, c.table, c.layout);
            return false;
        }
        setupLayout();
        if (m_layout == u"eventsourcing-postgresql") {
            // The same decoder as the SQLite reader (core/sources/eventsourcingsqlite.h), with the key the
            // application itself reads: $CIPHER_KEY (a URI query item named like a key would be taken as the
            // database password, so the key never travels in the URI).
            const QByteArray base64 = qgetenv("CIPHER_KEY");
            QByteArray key;
            QString why;
            if (!EventsourcingDecoder::parseCipherKey(base64, &key, &why)) {
                if (error)
                    *error = QStringLiteral("%1: %2").arg(m_ep.display, why);
                return false;
            }
            m_esDecoder = std::make_unique<EventsourcingDecoder>(key);
        }
        return true;
    }

    void setupLayout()
    {
        auto col = [&](const char* name) { return m_columns.contains(QLatin1String(name)); };
        if (m_layout == u"message-db") {
            m_layoutName = QStringLiteral("Message DB");
            m_posCol = QStringLiteral("global_position");
            m_streamCol = QStringLiteral("stream_name");
            m_timeCol = QStringLiteral("time");
            m_timeHasZone = false;
            m_select = QStringLiteral("global_position, stream_name, position, type, floor(extract(epoch from "
                                      "time) * 1000)::bigint, id::text, data::text, metadata::text");
        } else if (m_layout == u"marten") {
            m_layoutName = QStringLiteral("Marten");
            m_posCol = QStringLiteral("seq_id");
            m_streamCol = QStringLiteral("stream_id::text");
            m_timeCol = QStringLiteral("timestamp");
            QStringList meta;
            for (const char* c : {"correlation_id", "causation_id", "user_name", "tenant_id", "mt_dotnet_type"})
                if (col(c)) {
                    QString key = QString::fromLatin1(c);
                    if (key == u"correlation_id")
                        key = QStringLiteral("correlationId");
                    else if (key == u"causation_id")
                        key = QStringLiteral("causationId");
                    else if (key == u"user_name")
                        key = QStringLiteral("userName");
                    else if (key == u"tenant_id")
                        key = QStringLiteral("tenantId");
                    else
                        key = QStringLiteral("dotnetType");
                    meta << QStringLiteral("'%1', %2").arg(key, QLatin1String(c));
                }
            QString metaExpr = meta.isEmpty() ? QStringLiteral("'{}'::jsonb")
                                              : QStringLiteral("jsonb_strip_nulls(jsonb_build_object(%1))")
                                                    .arg(meta.join(QLatin1String(", ")));
            if (col("headers"))
                metaExpr = QStringLiteral("(%1 || coalesce(headers, '{}'::jsonb))").arg(metaExpr);
            m_select = QStringLiteral("seq_id, stream_id::text, version, type, floor(extract(epoch from timestamp) * "
                                      "1000)::bigint, id::text, data::text, %1::text")
                           .arg(metaExpr);
            if (col("is_archived"))
                m_extraWhere = QStringLiteral("NOT is_archived");
        } else if (m_layout == u"emmett-postgresql") {
            m_layoutName = QStringLiteral("Emmett");
            m_posCol = QStringLiteral("global_position");
            m_streamCol = QStringLiteral("stream_id");
            m_timeCol = QStringLiteral("created");
            m_select = QStringLiteral("global_position, stream_id, stream_position, message_type, floor(extract(epoch "
                                      "from created) * 1000)::bigint, message_id::text, message_data::text, "
                                      "message_metadata::text");
            if (col("message_kind"))
                m_extraWhere = QStringLiteral("message_kind = 'E'");
            // A transaction still in flight may commit a lower global_position later; the tail waits for it.
            if (col("transaction_id"))
                m_tailWhere = QStringLiteral("transaction_id < pg_snapshot_xmin(pg_current_snapshot())");
        } else {
            m_layoutName = QStringLiteral("Python eventsourcing");
            m_posCol = QStringLiteral("notification_id");
            m_streamCol = QStringLiteral("originator_id::text");
            m_timeCol.clear();  // the time lives inside the (maybe compressed) state
            m_select = QStringLiteral("notification_id, originator_id::text, originator_version, topic, NULL, NULL, "
                                      "state, NULL");
        }
    }

    void buildFilter(const RemoteScope& scope)
    {
        m_filters.clear();
        m_filterValues.clear();
        int param = 3;  // $1 = after, $2 = limit in page queries
        m_globExact = true;
        if (!scope.streams.isEmpty()) {
            const char* encoding = PQparameterStatus(m_conn, "server_encoding");
            const SqlGlob g = globCondition(scope.streams, m_streamCol, param, encoding && qstrcmp(encoding, "UTF8") == 0);
            if (!g.condition.isEmpty())
                m_filters << g.condition;
            if (g.usesValue) {
                m_filterValues << g.value;
                ++param;
            }
            m_globExact = g.exact;
        }
        if (!m_timeCol.isEmpty()) {
            const QString ts = m_timeHasZone ? QStringLiteral("to_timestamp($%1::bigint / 1000.0)")
                                             : QStringLiteral("(to_timestamp($%1::bigint / 1000.0) AT TIME ZONE 'UTC')");
            if (scope.since != kNoTime) {
                m_filters << QStringLiteral("%1 >= %2").arg(m_timeCol, ts.arg(param++));
                m_filterValues << QByteArray::number(scope.since);
            }
            if (scope.until != kNoTime) {
                // until is inclusive to the millisecond
                m_filters << QStringLiteral("%1 < %2").arg(m_timeCol, ts.arg(param++));
                m_filterValues << QByteArray::number(scope.until + 1);
            }
        }
        if (!m_extraWhere.isEmpty())
            m_filters << m_extraWhere;
    }

    /// The WHERE clause of filters; with `paged` the keyset condition on $1 comes first.
    QString whereClause(bool paged, bool tail) const
    {
        QStringList parts;
        if (paged)
            parts << QStringLiteral("%1 > $1").arg(m_posCol);
        parts += m_filters;
        if (tail && !m_tailWhere.isEmpty())
            parts << m_tailWhere;
        if (parts.isEmpty())
            return QStringLiteral("true");
        QString where = parts.join(QLatin1String(" AND "));
        if (!paged) {
            // renumber $3.. to $1.. for queries without the keyset parameters
            for (int i = 0; i < m_filterValues.size(); ++i)
                where.replace(QStringLiteral("$%1").arg(i + 3), QStringLiteral("$%1").arg(i + 1));
        }
        return where;
    }

    /// The window's first position when the glob is decided here: before the N-th newest row whose name
    /// globMatch() accepts (or the oldest, when fewer match), read backwards in keyset pages of
    /// (position, name). -1 when none matches.
    bool windowStartHere(qint64 n, qint64* start, QString* error)
    {
        *start = -1;
        qint64 before = std::numeric_limits<qint64>::max(), found = 0;
        for (;;) {
            QStringList parts{QStringLiteral("%1 < $1").arg(m_posCol)};
            parts += m_filters;
            const QString sql = QStringLiteral("SELECT %1, %2 FROM %3 WHERE %4 ORDER BY %1 DESC LIMIT $2")
                                    .arg(m_posCol, m_streamCol, m_table, parts.join(QLatin1String(" AND ")));
            QList<QByteArray> params{QByteArray::number(before), QByteArray::number(m_pageSize)};
            params += m_filterValues;
            PgResult r;
            if (!exec(sql, params, &r, error))
                return false;
            for (int i = 0; i < r.rows(); ++i) {
                before = r.integer(i, 0);
                if (globMatch(m_scope.streams, r.text(i, 1))) {
                    *start = before - 1;
                    if (++found == n)
                        return true;
                }
            }
            if (r.rows() < m_pageSize)
                return true;
            if (isCancelled())
                return cancelled(error);
        }
    }

    qint64 headPosition(QString* error)
    {
        PgResult r;
        if (!exec(QStringLiteral("SELECT coalesce(max(%1), 0) FROM %2").arg(m_posCol, m_table), {}, &r, error))
            return -1;
        return r.rows() ? r.integer(0, 0) : 0;
    }

    bool fetchPage(int limit, bool initial, QList<Event>* page, QString* error)
    {
        const bool tail = !initial;
        for (int attempt = 0;; ++attempt) {
            QString err;
            if (m_conn && PQstatus(m_conn) == CONNECTION_OK && fetchOnce(limit, tail, page, &err))
                return true;
            if (isCancelled())
                return cancelled(error);
            // A lost connection is retried from the cursor: keyset paging makes the resume exact.
            const bool lost = !m_conn || PQstatus(m_conn) != CONNECTION_OK;
            if (!lost || attempt >= m_ep.retries) {
                if (error)
                    *error = lost ? QStringLiteral("%1: lost the connection to PostgreSQL after position %2 (%3); "
                                                   "the events read so far are kept")
                                        .arg(m_ep.display)
                                        .arg(m_cursor)
                                        .arg(err.isEmpty() ? QStringLiteral("server closed the connection") : err)
                                  : err;
                return false;
            }
            if (!sleepUnlessCancelled(200 << attempt))
                return cancelled(error);
            QString reopenErr;
            if (!open(&reopenErr) || !detect(&reopenErr)) {
                disconnect();
                err = reopenErr;
            }
        }
    }

    bool fetchOnce(int limit, bool tail, QList<Event>* page, QString* error)
    {
        const QString sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 ORDER BY %4 LIMIT $2")
                                .arg(m_select, m_table, whereClause(true, tail), m_posCol);
        QList<QByteArray> params;
        params << QByteArray::number(m_cursor) << QByteArray::number(limit);
        params += m_filterValues;
        PgResult r;
        m_serverRows = 0;
        if (!exec(sql, params, &r, error))
            return false;
        m_serverRows = r.rows();
        page->clear();
        page->reserve(r.rows());
        for (int i = 0; i < r.rows(); ++i) {
            Event e = rowToEvent(r, i);
            if (!matchesClientSide(e))
                continue;
            page->append(std::move(e));
        }
        if (r.rows() > 0)
            m_cursor = r.integer(r.rows() - 1, 0);
        return true;
    }

    /// One row of m_select as an event.
    Event rowToEvent(const PgResult& r, int i)
    {
        Event e;
        {
            e.position = r.integer(i, 0);
            e.stream = r.text(i, 1);
            e.version = r.integer(i, 2);
            e.type = r.text(i, 3);
            if (!r.isNull(i, 4))
                e.time = r.integer(i, 4);
            if (!r.isNull(i, 5))
                e.id = r.text(i, 5);
            if (m_layout == u"eventsourcing-postgresql") {
                decodeEventsourcing(r.bytes(i, 6), e);
            } else {
                setData(e, r.isNull(i, 6) ? QByteArray("null") : r.bytes(i, 6));
                setMetadata(e, r.isNull(i, 7) ? QByteArray() : r.bytes(i, 7));
            }
        }
        return e;
    }

    bool matchesClientSide(const Event& e) const
    {
        // The glob's pushdown may select more than the glob (docs/remote.md "Stream globs"): the local
        // matcher, the reference, decides.
        if (!m_globExact && !m_scope.streams.isEmpty() && !globMatch(m_scope.streams, e.stream))
            return false;
        if (!m_timeCol.isEmpty())
            return true;  // pushed down
        if (m_scope.since != kNoTime && (e.time == kNoTime || e.time < m_scope.since))
            return false;
        if (m_scope.until != kNoTime && (e.time == kNoTime || e.time > m_scope.until))
            return false;
        return true;
    }

    void decodeEventsourcing(const QByteArray& hexText, Event& e)
    {
        // bytea arrives in hex text form: \x7b22...
        const QByteArray state = hexText.startsWith("\\x") ? QByteArray::fromHex(hexText.mid(2)) : hexText;
        const QString topic = e.type;
        QString why;
        if (!m_esDecoder)
            m_esDecoder = std::make_unique<EventsourcingDecoder>();
        if (m_esDecoder->decodeEvent(topic, state, &e, &why) == EventsourcingDecoder::StateError::NeedsKey && !m_warnedKey) {
            m_warnedKey = true;
            qWarning().noquote() << QStringLiteral("%1: the events are encrypted (eventsourcing's AES-GCM "
                                                            "cipher); set CIPHER_KEY to the application's base64 key")
                                                 .arg(m_ep.display);
        }
    }

    PGconn* m_conn = nullptr;
    std::unique_ptr<EventsourcingDecoder> m_esDecoder;
    bool m_warnedKey = false;
    QString m_layout, m_layoutName, m_table, m_posCol, m_streamCol, m_timeCol, m_select, m_extraWhere, m_tailWhere;
    bool m_timeHasZone = true;
    QStringList m_columns;
    QStringList m_filters;
    QList<QByteArray> m_filterValues;
    RemoteScope m_scope;
    qint64 m_cursor = 0;
    bool m_globExact = true;  ///< the SQL selects exactly the glob's streams (else globMatch filters here)
    int m_serverRows = 0;     ///< rows the last page query returned, before any filtering here
    QString m_lastSqlState;
};


/// Remote-first reading (remotefirst.h): aggregates run by the server over the client's connection and
/// layout; windows fetched on demand into the LRU. Every statement is a SELECT (or EXPLAIN of one) in
/// the client's read-only session.
class PostgresRemoteFirst : public RemoteFirstSource
{
public:
    PostgresRemoteFirst(const RemoteEndpoint& ep, const RemoteFirstOptions& options)
        : m_client(ep), m_options(options)
    {
        m_cache.setLimit(options.cacheLimitBytes);
    }

    QString layout() const override { return m_client.layout(); }
    QString describe() const override { return m_client.describe(); }
    RemoteAxis axis() const override { return m_axis; }
    QList<IndexAdvice> advice() const override { return m_advice; }

    bool open(QString* error) override
    {
        const RemoteEndpoint& ep = m_client.endpoint();
        if (!RemoteScope::fromParams(ep.options, &m_scope, error))
            return false;
        if (m_scope.last >= 0) {
            if (error)
                *error = QStringLiteral("%1: remote-first reading shows the whole store; 'last' applies to cached "
                                        "reads only")
                             .arg(ep.display);
            return false;
        }
        if (!m_client.connect(error))
            return false;
        m_client.buildFilter(m_scope);
        if (!m_client.m_globExact) {
            if (error)
                *error = QStringLiteral("%1: the server's encoding is not UTF8, so it cannot evaluate the stream glob "
                                        "'%2' exactly; remote-first counts must come from the server. Open it as a "
                                        "cached remote, or without streams=.")
                             .arg(ep.display, m_scope.streams);
            return false;
        }
        m_axis = m_client.m_timeCol.isEmpty() ? RemoteAxis::Position : RemoteAxis::Time;
        const QString layout = m_client.m_layout;
        m_versionCol = layout == u"message-db"          ? QStringLiteral("position")
                       : layout == u"marten"            ? QStringLiteral("version")
                       : layout == u"emmett-postgresql" ? QStringLiteral("stream_position")
                                                        : QStringLiteral("originator_version");
        m_typeCol = layout == u"emmett-postgresql"                   ? QStringLiteral("message_type")
                    : layout == u"message-db" || layout == u"marten" ? QStringLiteral("type")
                                                                     : QStringLiteral("topic");
        m_streamRaw = m_client.m_streamCol;
        m_streamRaw.remove(QLatin1String("::text"));
        return readCatalog(error) && adviseAll(error);
    }

    bool summary(RemoteSummary* out, QString* error) override
    {
        RemoteSummary s;
        s.axis = m_axis;
        s.estimatedEvents = m_reltuples;
        s.estimatedStreams = m_streamDistinct;
        const QString where = m_client.whereClause(false, false);
        const QString pos = m_client.m_posCol;
        // min/max of the primary key: two index probes, even on a billion rows.
        PgResult r;
        if (!exec(QStringLiteral("SELECT (SELECT %1 FROM %2 WHERE %3 ORDER BY %1 LIMIT 1), (SELECT %1 FROM %2 WHERE %3 "
                                 "ORDER BY %1 DESC LIMIT 1)")
                      .arg(pos, m_client.m_table, where),
                  filterParams(), &r, error))
            return false;
        if (r.rows() == 1 && !r.isNull(0, 0)) {
            s.firstPosition = r.integer(0, 0);
            s.lastPosition = r.integer(0, 1);
        } else {
            s.empty = true;
        }
        if (m_axis == RemoteAxis::Time && !r.isNull(0, 0)) {
            const QString ms = msExpr();
            PgResult t;
            if (m_ordered.contains(m_client.m_timeCol)) {
                // A btree gives min and max in two probes (a BRIN index serves ranges, not min/max).
                if (!exec(QStringLiteral("SELECT floor(extract(epoch from min(%1)) * 1000)::bigint, floor(extract(epoch "
                                         "from max(%1)) * 1000)::bigint FROM %2 WHERE %3")
                              .arg(m_client.m_timeCol, m_client.m_table, where),
                          filterParams(), &t, error))
                    return false;
                s.exactTimeRange = true;
            } else {
                // Without a btree on the time column min/max would read every row: the times at the two ends
                // of the primary key, widened by the ends of the statistics' histogram.
                const QList<QByteArray> params{QByteArray::number(s.firstPosition), QByteArray::number(s.lastPosition)};
                if (!exec(QStringLiteral("SELECT (SELECT %1 FROM %2 WHERE %3 = $1), (SELECT %1 FROM %2 WHERE %3 = $2)")
                              .arg(ms, m_client.m_table, pos),
                          params, &t, error))
                    return false;
            }
            if (t.rows() == 1 && !t.isNull(0, 0) && !t.isNull(0, 1)) {
                s.firstTime = std::min(t.integer(0, 0), t.integer(0, 1));
                s.lastTime = std::max(t.integer(0, 0), t.integer(0, 1));
                if (!s.exactTimeRange && m_histogram.size() >= 2) {
                    s.firstTime = std::min(s.firstTime, m_histogram.first());
                    s.lastTime = std::max(s.lastTime, m_histogram.last());
                }
            }
        }
        m_summary = s;
        m_haveSummary = true;
        *out = s;
        return true;
    }

    bool estimatedDensity(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override
    {
        if (!checkRange(from, to, bins, error))
            return false;
        if (knownEmpty()) {
            *out = emptyDensity(from, to, bins); // nothing to estimate: the count is known, zero
            return true;
        }
        const RemoteEndpoint& ep = m_client.endpoint();
        if (!m_scope.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: the server's statistics describe the whole table, not the streams '%2'")
                             .arg(ep.display, m_scope.streams);
            return false;
        }
        if (m_histogram.size() < 2 || m_reltuples <= 0) {
            if (error)
                *error = QStringLiteral("%1: the server has no statistics for %2.%3 yet (ANALYZE has not run)")
                             .arg(ep.display, m_client.m_table, axisColumn());
            return false;
        }
        RemoteDensity d = emptyDensity(from, to, bins);
        d.estimated = true;
        // pg_stats.histogram_bounds splits the sampled values into buckets of equal row counts
        // (PostgreSQL docs, "pg_stats"): each bucket's share is spread evenly over its span.
        const double perBucket = double(m_reltuples) * (1.0 - m_nullFrac) / double(m_histogram.size() - 1);
        std::vector<double> acc(size_t(d.counts.size()), 0.0);
        for (int b = 0; b + 1 < m_histogram.size(); ++b) {
            const double lo = double(m_histogram[b]), hi = double(m_histogram[b + 1]);
            const double span = std::max(1.0, hi - lo);
            for (int i = d.binOf(qint64(lo)); i < d.counts.size(); ++i) {
                const double binLo = double(d.from + qint64(i) * d.binWidth);
                const double binHi = std::min(double(d.to) + 1, binLo + double(d.binWidth));
                if (binLo > hi)
                    break;
                const double overlap = std::min(hi, binHi) - std::max(lo, binLo);
                if (overlap > 0)
                    acc[size_t(i)] += perBucket * overlap / span;
                else if (hi == lo && lo >= binLo && lo < binHi)
                    acc[size_t(i)] += perBucket;
            }
        }
        for (int i = 0; i < d.counts.size(); ++i)
            d.counts[i] = qint64(std::llround(acc[size_t(i)]));
        *out = d;
        return true;
    }

    bool density(qint64 from, qint64 to, int bins, RemoteDensity* out, QString* error) override
    {
        if (!checkRange(from, to, bins, error))
            return false;
        if (!m_haveSummary) {
            RemoteSummary s;
            if (!summary(&s, error))
                return false;
        }
        RemoteDensity d = emptyDensity(from, to, bins);
        if (knownEmpty()) {
            *out = d;
            return true;
        }
        const bool timeAxis = m_axis == RemoteAxis::Time;
        const qint64 lo = timeAxis ? m_summary.firstTime : m_summary.firstPosition;
        const qint64 hi = timeAxis ? m_summary.lastTime : m_summary.lastPosition;
        // A whole-store range counts every row anyway (no index can skip any), and must also count the rows
        // the summary's inexact ends left outside; a narrower range reads only its own rows.
        const bool whole = from <= lo && to >= hi;
        if (!whole && !allowed(kWindowDensity, error))
            return false;
        const int k = int(m_client.m_filterValues.size());
        const QString v = timeAxis ? msExpr() : m_client.m_posCol;
        QList<QByteArray> params = filterParams();
        params << QByteArray::number(d.from) << QByteArray::number(d.to) << QByteArray::number(d.binWidth)
               << QByteArray::number(d.counts.size());
        const QString a = QStringLiteral("$%1::bigint").arg(k + 1), b = QStringLiteral("$%1::bigint").arg(k + 2),
                      w = QStringLiteral("$%1::bigint").arg(k + 3), n = QStringLiteral("$%1::int").arg(k + 4);
        QString where = m_client.whereClause(false, false);
        QString bucket;
        if (whole) {
            bucket = QStringLiteral("CASE WHEN %1 < %2 THEN -1 WHEN %1 > %3 THEN %4 ELSE ((%1 - %2) / %5)::int END")
                         .arg(v, a, b, n, w);
        } else {
            where += u' ' + QStringLiteral("AND %1").arg(rangeCondition(a, b));
            bucket = QStringLiteral("least(((%1 - %2) / %3)::int, %4 - 1)").arg(v, a, w, n);
        }
        PgResult r;
        if (!exec(QStringLiteral("SELECT %1 AS bin, count(*) FROM %2 WHERE %3 GROUP BY 1").arg(bucket, m_client.m_table, where),
                  params, &r, error))
            return false;
        for (int i = 0; i < r.rows(); ++i) {
            const qint64 bin = r.integer(i, 0), c = r.integer(i, 1);
            if (bin < 0)
                d.before += c;
            else if (bin >= d.counts.size())
                d.after += c;
            else
                d.counts[int(bin)] += c;
        }
        *out = d;
        return true;
    }

    bool streams(const QString& after, int limit, QList<RemoteStreamCount>* out, QString* error) override
    {
        if (!allowed(kStreamList, error))
            return false;
        const int k = int(m_client.m_filterValues.size());
        QList<QByteArray> params = filterParams();
        params << after.toUtf8() << QByteArray::number(std::max(1, limit));
        // Grouped in the order of the stream index, so the server stops after `limit` streams.
        const QString sql = QStringLiteral("SELECT %1, count(*), max(%2) FROM %3 WHERE %4 AND %1 > $%5 GROUP BY %1 "
                                           "ORDER BY %1 LIMIT $%6")
                                .arg(m_client.m_streamCol, m_versionCol, m_client.m_table,
                                     m_client.whereClause(false, false))
                                .arg(k + 1)
                                .arg(k + 2);
        PgResult r;
        if (!exec(sql, params, &r, error))
            return false;
        out->clear();
        for (int i = 0; i < r.rows(); ++i)
            out->append({r.text(i, 0), r.integer(i, 1), r.integer(i, 2)});
        return true;
    }

    bool window(qint64 from, qint64 to, int limit, QList<Event>* out, bool* truncated, QString* error) override
    {
        limit = std::max(1, limit);
        const QString key = QStringLiteral("w %1 %2 %3").arg(from).arg(to).arg(limit);
        if (auto hit = m_cache.get(key)) {
            *out = *hit;
            if (truncated)
                *truncated = m_truncated.contains(key);
            return true;
        }
        if (knownEmpty()) {
            out->clear();
            if (truncated)
                *truncated = false;
            return true;
        }
        if (m_axis == RemoteAxis::Time && !allowed(kWindowEvents, error))
            return false;
        const int k = int(m_client.m_filterValues.size());
        QList<QByteArray> params = filterParams();
        params << QByteArray::number(from) << QByteArray::number(to) << QByteArray::number(limit + 1);
        // With an index on time, order by an expression of the position: else the planner walks the primary
        // key filtering on time, betting the window's rows are spread evenly over the table, and reads every
        // row before a late window (times follow positions in an event store, which it does not know).
        const bool timeIndexed = m_axis == RemoteAxis::Time && hasIndexOn(m_client.m_timeCol);
        const QString order = timeIndexed ? m_client.m_posCol + QStringLiteral(" + 0") : m_client.m_posCol;
        const QString sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 AND %4 ORDER BY %5 LIMIT $%6")
                                .arg(m_client.m_select, m_client.m_table, m_client.whereClause(false, false),
                                     rangeCondition(QStringLiteral("$%1::bigint").arg(k + 1),
                                                    QStringLiteral("$%1::bigint").arg(k + 2)),
                                     order)
                                .arg(k + 3);
        QList<Event> events;
        if (!fetch(sql, params, &events, error))
            return false;
        const bool more = events.size() > limit;
        if (more) {
            events.removeLast();
            m_truncated.insert(key);
        }
        if (truncated)
            *truncated = more;
        *out = *m_cache.put(key, std::move(events));
        return true;
    }

    bool around(qint64 position, int before, int after, QList<Event>* out, QString* error) override
    {
        before = std::max(0, before);
        after = std::max(0, after);
        const QString key = QStringLiteral("a %1 %2 %3").arg(position).arg(before).arg(after);
        if (auto hit = m_cache.get(key)) {
            *out = *hit;
            return true;
        }
        const int k = int(m_client.m_filterValues.size());
        const QString pos = m_client.m_posCol, where = m_client.whereClause(false, false);
        QList<QByteArray> params = filterParams();
        params << QByteArray::number(position) << QByteArray::number(before) << QByteArray::number(after);
        // Two keyset reads on the primary key, the older half reversed.
        const QString sql =
            QStringLiteral("(SELECT %1 FROM %2 WHERE %3 AND %4 <= $%5 ORDER BY %4 DESC LIMIT $%6) UNION ALL (SELECT %1 "
                           "FROM %2 WHERE %3 AND %4 > $%5 ORDER BY %4 LIMIT $%7) ORDER BY 1")
                .arg(m_client.m_select, m_client.m_table, where, pos)
                .arg(k + 1)
                .arg(k + 2)
                .arg(k + 3);
        QList<Event> events;
        if (!fetch(sql, params, &events, error))
            return false;
        *out = *m_cache.put(key, std::move(events));
        return true;
    }

    bool searchStreams(const QString& text, const QString& after, int limit, QList<RemoteStreamCount>* out,
                       QString* error) override
    {
        if (text.isEmpty())
            return streams(after, limit, out, error);
        if (!allowed(kStreamList, error))
            return false;
        const int k = int(m_client.m_filterValues.size());
        QList<QByteArray> params = filterParams();
        params << after.toUtf8() << QByteArray::number(std::max(1, limit)) << text.toUtf8();
        // strpos, not LIKE: the text is taken literally (% and _ are not wildcards). lower() folds what the
        // database's LC_CTYPE folds (every letter under a UTF8 locale, ASCII only under "C").
        const QString sql = QStringLiteral("SELECT %1, count(*), max(%2) FROM %3 WHERE %4 AND %1 > $%5 AND "
                                           "strpos(lower(%1), lower($%7)) > 0 GROUP BY %1 ORDER BY %1 LIMIT $%6")
                                .arg(m_client.m_streamCol, m_versionCol, m_client.m_table,
                                     m_client.whereClause(false, false))
                                .arg(k + 1)
                                .arg(k + 2)
                                .arg(k + 3);
        PgResult r;
        if (!exec(sql, params, &r, error))
            return false;
        out->clear();
        for (int i = 0; i < r.rows(); ++i)
            out->append({r.text(i, 0), r.integer(i, 1), r.integer(i, 2)});
        return true;
    }

    bool laneTicks(const QString& stream, qint64 from, qint64 to, int limit, QList<RemoteTick>* out, bool* truncated,
                   QString* error) override
    {
        if (truncated)
            *truncated = false;
        out->clear();
        QList<QByteArray> params;
        if (!streamCall(stream, &limit, &params, error))
            return false;
        const int k = int(m_client.m_filterValues.size()); // $k+1 is the stream
        params << QByteArray::number(from) << QByteArray::number(to) << QByteArray::number(qint64(limit) + 1);
        // The stream's rows by the stream index, in version order; only the tick's columns (no payload).
        const QString time = m_axis == RemoteAxis::Time ? msExpr() : QStringLiteral("NULL::bigint");
        const QString sql = QStringLiteral("SELECT %1, %2, %3, %4 FROM %5 WHERE %6 AND %7 = $%8 AND %9 ORDER BY %3 "
                                           "LIMIT $%10")
                                .arg(m_client.m_posCol, time, m_versionCol, m_typeCol, m_client.m_table,
                                     m_client.whereClause(false, false), m_client.m_streamCol)
                                .arg(k + 1)
                                .arg(rangeCondition(QStringLiteral("$%1::bigint").arg(k + 2),
                                                    QStringLiteral("$%1::bigint").arg(k + 3)))
                                .arg(k + 4);
        PgResult r;
        if (!exec(sql, params, &r, error))
            return false;
        QList<RemoteTick> ticks;
        for (int i = 0; i < r.rows(); ++i) {
            if (ticks.size() == limit) {
                if (truncated)
                    *truncated = true;
                break;
            }
            RemoteTick t;
            t.position = r.integer(i, 0);
            t.time = r.isNull(i, 1) ? kNoTime : r.integer(i, 1);
            t.version = r.integer(i, 2);
            // Python eventsourcing's topic names the class ("module:Class.Event"); the type is its event part,
            // as the cached read shows it. Its time lives inside the state, which a tick does not read.
            t.type = m_client.m_layout == u"eventsourcing-postgresql" ? eventsourcingTopicType(r.text(i, 3))
                                                                     : r.text(i, 3);
            ticks.append(std::move(t));
        }
        *out = std::move(ticks);
        return true;
    }

    bool streamEvents(const QString& stream, qint64 maxPosition, int limit, QList<Event>* out, bool* truncated,
                      QString* error) override
    {
        if (truncated)
            *truncated = false;
        out->clear();
        QList<QByteArray> params;
        if (!streamCall(stream, &limit, &params, error))
            return false;
        const int k = int(m_client.m_filterValues.size()); // $k+1 is the stream
        params << QByteArray::number(maxPosition) << QByteArray::number(qint64(limit) + 1);
        // The newest `limit` at or before the cursor, walking the stream index backwards.
        const QString sql = QStringLiteral("SELECT %1 FROM %2 WHERE %3 AND %4 = $%5 AND %6 <= $%7 ORDER BY %8 DESC "
                                           "LIMIT $%9")
                                .arg(m_client.m_select, m_client.m_table, m_client.whereClause(false, false),
                                     m_client.m_streamCol)
                                .arg(k + 1)
                                .arg(m_client.m_posCol)
                                .arg(k + 2)
                                .arg(m_versionCol)
                                .arg(k + 3);
        QList<Event> events;
        if (!fetch(sql, params, &events, error))
            return false;
        if (events.size() > limit) {
            events.resize(limit);
            if (truncated)
                *truncated = true;
        }
        std::reverse(events.begin(), events.end());
        *out = std::move(events);
        return true;
    }

    // ---- The category tree (issue 13 item 3): Message DB's categories -------------------------------------
    // Message DB defines a category as split_part(stream_name, '-', 1) (its function message_store.category,
    // database/functions/category.sql of the npm package @eventide/message-db) and indexes it
    // (database/indexes/messages-category.sql: messages_category on (category(stream_name), global_position,
    // ...)). So the tree is the server's category(): the same as the app's rule except for a name that starts
    // with '-', which Message DB puts in the category '' (the app: its own category). Other layouts have no
    // category in their schema: the defaults say "not available" and the window keeps the flat list.

    bool categories(const QString& after, int limit, QList<RemoteCategory>* out, QString* error) override
    {
        out->clear();
        if (!categoryCatalog(error))
            return false;
        if (!m_categoryIndex)
            return categoryRefused(QStringLiteral("category list"), error);
        limit = std::clamp(limit, 1, 100000);
        const int k = int(m_client.m_filterValues.size());
        QList<QByteArray> params = filterParams();
        params << QByteArray::number(limit);
        const QString cat = categoryExpr();
        const QString where = m_client.whereClause(false, false);
        // A skip scan: each step seeks the next category in messages_category (one index probe per category,
        // never a walk over the messages), as a recursive CTE.
        QString first;
        if (after.isNull()) {
            first = QStringLiteral("SELECT %1 FROM %2 WHERE %3 ORDER BY %1 LIMIT 1").arg(cat, m_client.m_table, where);
        } else {
            params << after.toUtf8();
            first = QStringLiteral("SELECT %1 FROM %2 WHERE %3 AND %1 > $%4::text ORDER BY %1 LIMIT 1")
                        .arg(cat, m_client.m_table, where)
                        .arg(k + 2);
        }
        const QString sql =
            QStringLiteral("WITH RECURSIVE c(cat) AS ((%1) UNION ALL SELECT (SELECT %2 FROM %3 WHERE %4 AND %2 > c.cat "
                           "ORDER BY %2 LIMIT 1) FROM c WHERE c.cat IS NOT NULL) SELECT cat FROM c WHERE cat IS NOT NULL "
                           "LIMIT $%5")
                .arg(first, cat, m_client.m_table, where)
                .arg(k + 1);
        PgResult r;
        if (!exec(sql, params, &r, error))
            return false;
        for (int i = 0; i < r.rows(); ++i) {
            QString name = r.text(i, 0);
            if (name.isNull())
                name = QStringLiteral(""); // the category '' is a place to page on from, not "from the start"
            out->append({std::move(name), -1, -1});
        }
        return true;
    }

    bool categoryStreams(const QString& category, const QString& after, int limit, QList<RemoteStreamCount>* out,
                         QString* error) override
    {
        out->clear();
        if (!categoryCatalog(error))
            return false;
        limit = std::clamp(limit, 1, 1000000);
        const int k = int(m_client.m_filterValues.size());
        const QString where = m_client.whereClause(false, false);
        const QString stream = m_client.m_streamCol;
        if (m_streamRangeUsable) {
            // A byte-order index on the stream name: the category's names are the category itself and the range
            // [cat-, cat.) ('.' is '-' + 1), read in index order and grouped, the server stops after `limit`.
            const QString coll = m_streamRangeCollate;
            if (after.isNull()) {
                QList<QByteArray> params = filterParams();
                params << category.toUtf8();
                PgResult r;
                if (!exec(QStringLiteral("SELECT %1, count(*), max(%2) FROM %3 WHERE %4 AND %1 = $%5::text GROUP BY %1")
                              .arg(stream, m_versionCol, m_client.m_table, where)
                              .arg(k + 1),
                          params, &r, error))
                    return false;
                for (int i = 0; i < r.rows(); ++i)
                    out->append({r.text(i, 0), r.integer(i, 1), r.integer(i, 2)});
            }
            if (out->size() >= limit)
                return true;
            const QByteArray lo = category.toUtf8() + '-', hi = category.toUtf8() + '.';
            const QByteArray a = after.toUtf8();
            const bool fromAfter = !after.isNull() && a >= lo;
            QList<QByteArray> params = filterParams();
            params << (fromAfter ? a : lo) << hi << QByteArray::number(limit - out->size());
            PgResult r;
            if (!exec(QStringLiteral("SELECT %1, count(*), max(%2) FROM %3 WHERE %4 AND %1%5 %6 $%7::text AND %1%5 < "
                                     "$%8::text GROUP BY %1 ORDER BY %1%5 LIMIT $%9")
                          .arg(stream, m_versionCol, m_client.m_table, where, coll,
                               fromAfter ? QStringLiteral(">") : QStringLiteral(">="))
                          .arg(k + 1)
                          .arg(k + 2)
                          .arg(k + 3),
                      params, &r, error))
                return false;
            for (int i = 0; i < r.rows(); ++i)
                out->append({r.text(i, 0), r.integer(i, 1), r.integer(i, 2)});
            return true;
        }
        if (!m_categoryIndex)
            return categoryRefused(QStringLiteral("category streams"), error);
        // The category index finds the category's messages; the server groups them by stream (it reads the
        // category's rows for each page: a byte-order index on the stream name would make it a seek).
        QList<QByteArray> params = filterParams();
        params << category.toUtf8() << QByteArray::number(limit);
        QString cond = QStringLiteral("%1 = $%2::text").arg(categoryExpr()).arg(k + 1);
        if (!after.isNull()) {
            params << after.toUtf8();
            cond += QStringLiteral(" AND %1 > $%2::text").arg(stream).arg(k + 3);
        }
        PgResult r;
        if (!exec(QStringLiteral("SELECT %1, count(*), max(%2) FROM %3 WHERE %4 AND %5 GROUP BY %1 ORDER BY %1 LIMIT $%6")
                      .arg(stream, m_versionCol, m_client.m_table, where, cond)
                      .arg(k + 2),
                  params, &r, error))
            return false;
        for (int i = 0; i < r.rows(); ++i)
            out->append({r.text(i, 0), r.integer(i, 1), r.integer(i, 2)});
        return true;
    }

    bool categoryCounts(const QString& category, RemoteCategory* out, QString* error) override
    {
        *out = RemoteCategory{category, 0, 0};
        if (!categoryCatalog(error))
            return false;
        if (!m_categoryIndex)
            return categoryRefused(QStringLiteral("category counts"), error);
        const int k = int(m_client.m_filterValues.size());
        QList<QByteArray> params = filterParams();
        params << category.toUtf8();
        PgResult r;
        if (!exec(QStringLiteral("SELECT count(DISTINCT %1), count(*) FROM %2 WHERE %3 AND %4 = $%5::text")
                      .arg(m_client.m_streamCol, m_client.m_table, m_client.whereClause(false, false), categoryExpr())
                      .arg(k + 1),
                  params, &r, error))
            return false;
        if (r.rows() == 1) {
            out->streams = r.integer(0, 0);
            out->events = r.integer(0, 1);
        }
        return true;
    }

private:
    QString categoryExpr() const
    {
        return QStringLiteral("%1.category(%2)").arg(quoteIdent(m_schemaName), m_client.m_streamCol);
    }

    /// Which indexes serve the tree (read once): Message DB's messages_category (a btree whose first column is
    /// category(stream_name)) and a btree on the stream name in byte order (collation C or POSIX, the index's
    /// own or the database's default), for the category's streams as a range. Other layouts: not available.
    bool categoryCatalog(QString* error)
    {
        if (m_categoryCatalogRead)
            return true;
        if (m_client.m_layout != u"message-db") {
            if (error)
                *error = QStringLiteral("%1 cannot answer a category listing in place (the %2 layout has no category; "
                                        "the stream list is flat)")
                             .arg(describe(), m_client.m_layout);
            return false;
        }
        PgResult r;
        if (!exec(QStringLiteral("SELECT pg_get_indexdef(x.indexrelid, 1, true), am.amname, coalesce((SELECT collname "
                                 "FROM pg_collation WHERE oid = x.indcollation[0]), ''), (SELECT datcollate FROM "
                                 "pg_database WHERE datname = current_database()) FROM pg_index x JOIN pg_class i ON "
                                 "i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam WHERE x.indrelid = "
                                 "$1::regclass AND x.indisvalid"),
                  {m_client.m_table.toUtf8()}, &r, error))
            return false;
        // pg_get_indexdef shows the cast to the function's varchar: "message_store.category(stream_name::character
        // varying)".
        static const QRegularExpression categoryCol(
            QStringLiteral("(^|\\.)category\\(\\(?stream_name\\)?(::character varying)?\\)$"));
        static const QRegularExpression streamCol(QStringLiteral("^stream_name( COLLATE \"?(\\w+)\"?)?$"));
        const auto byteOrder = [](const QString& c) { return c == u"C" || c == u"POSIX"; };
        for (int i = 0; i < r.rows(); ++i) {
            if (r.text(i, 1) != u"btree")
                continue;
            const QString col = r.text(i, 0), coll = r.text(i, 2), dbColl = r.text(i, 3);
            if (categoryCol.match(col).hasMatch())
                m_categoryIndex = true;
            if (streamCol.match(col).hasMatch() && (byteOrder(coll) || (coll == u"default" && byteOrder(dbColl)))) {
                m_streamRangeUsable = true;
                // The query names the index's collation when it is not the column's default one.
                if (coll != u"default")
                    m_streamRangeCollate = QStringLiteral(" COLLATE \"%1\"").arg(coll);
            }
        }
        if (!m_categoryIndex) {
            // Message DB's own index (database/indexes/messages-category.sql), which a bulk load may have left out.
            IndexAdvice a;
            a.query = QStringLiteral("category tree");
            a.column = QStringLiteral("category(stream_name)");
            a.createIndex = QStringLiteral("CREATE INDEX CONCURRENTLY messages_category ON %1 (%2, global_position, "
                                           "%3.category(metadata->>'correlationStreamName'));")
                                .arg(m_client.m_table, categoryExpr(), quoteIdent(m_schemaName));
            a.plan = QStringLiteral("Seq Scan on %1 per category").arg(m_tableName);
            a.rows = m_reltuples;
            m_advice << a;
            m_categoryAdvice = int(m_advice.size()) - 1;
        }
        m_categoryCatalogRead = true;
        return true;
    }

    /// A tree call no index serves: never run (each step would read the whole table); the advice is the error.
    bool categoryRefused(const QString& what, QString* error) const
    {
        if (error)
            *error = QStringLiteral("%1: the %2 is not run, it would read the whole table. %3")
                         .arg(m_client.endpoint().display, what,
                              m_categoryAdvice >= 0 ? m_advice[m_categoryAdvice].text() : QString());
        return false;
    }

    bool m_categoryCatalogRead = false;
    bool m_categoryIndex = false;
    bool m_streamRangeUsable = false;
    QString m_streamRangeCollate;
    int m_categoryAdvice = -1;
    // ---- end of the category tree ----

private:
    enum Need { kWindowDensity, kWindowEvents, kStreamList };

    bool exec(const QString& sql, const QList<QByteArray>& params, PgResult* r, QString* error)
    {
        if (!m_client.m_conn) {
            if (error)
                *error = QStringLiteral("%1: not connected").arg(m_client.endpoint().display);
            return false;
        }
        return m_client.exec(sql, params, r, error);
    }

    bool fetch(const QString& sql, const QList<QByteArray>& params, QList<Event>* events, QString* error)
    {
        PgResult r;
        if (!exec(sql, params, &r, error))
            return false;
        events->reserve(r.rows());
        for (int i = 0; i < r.rows(); ++i)
            events->append(m_client.rowToEvent(r, i));
        return true;
    }

    QList<QByteArray> filterParams() const { return m_client.m_filterValues; }

    /// What the per-stream calls do first (laneTicks, streamEvents): *limit clamped to at least 1, the stream
    /// index allowed; *params the scope's filter values, then the stream ($k+1, k = the filter values).
    bool streamCall(const QString& stream, int* limit, QList<QByteArray>* params, QString* error) const
    {
        *limit = std::max(1, *limit);
        if (!allowed(kStreamList, error))
            return false;
        *params = filterParams();
        *params << stream.toUtf8();
        return true;
    }

    QString axisColumn() const { return m_axis == RemoteAxis::Time ? m_client.m_timeCol : m_client.m_posCol; }

    QString msExpr() const
    {
        return QStringLiteral("floor(extract(epoch from %1) * 1000)::bigint").arg(m_client.m_timeCol);
    }

    /// [a, b] on the axis, written on the bare column so that an index on it applies.
    QString rangeCondition(const QString& a, const QString& b) const
    {
        if (m_axis == RemoteAxis::Position)
            return QStringLiteral("%1 BETWEEN %2 AND %3").arg(m_client.m_posCol, a, b);
        const QString ts = m_client.m_timeHasZone ? QStringLiteral("to_timestamp(%1 / 1000.0)")
                                                  : QStringLiteral("(to_timestamp(%1 / 1000.0) AT TIME ZONE 'UTC')");
        // Ends beyond what a PostgreSQL timestamp holds (kNoTime, an open end) are moved to its limits, which
        // no stored time passes: to_timestamp would fail with "timestamp out of range" instead.
        const auto clamp = [](const QString& ms) {
            return QStringLiteral("least(greatest(%1, %2::bigint), %3::bigint)").arg(ms).arg(kPgMinMs).arg(kPgMaxMs);
        };
        return QStringLiteral("%1 >= %2 AND %1 < %3")
            .arg(m_client.m_timeCol, ts.arg(clamp(a)), ts.arg(QStringLiteral("(%1 + 1)").arg(clamp(b))));
    }

    /// What to_timestamp takes (from Julian day 0, 4714-11-24 BC, to the end of PostgreSQL's timestamps), in ms
    /// since the epoch, a second or two inside each end so the division by 1000.0 cannot round past it. Both
    /// ends were tried on PostgreSQL 15 (tst_remote_first windowEndsBeyondTimestampRange).
    static constexpr qint64 kPgMinMs = -210866803200000 + 1000;
    static constexpr qint64 kPgMaxMs = 9223371331200000 - 2000;

    /// The summary was read and found no event: requests are answered without a query.
    bool knownEmpty() const { return m_haveSummary && m_summary.empty; }

    bool checkRange(qint64 from, qint64 to, int bins, QString* error) const
    {
        if (bins >= 1 && bins <= 100000 && to >= from)
            return true;
        if (error)
            *error = QStringLiteral("%1: a density needs 1 to 100000 bins over a range whose end is not before its "
                                    "start (asked for %2 bins over %3..%4)")
                         .arg(m_client.endpoint().display)
                         .arg(bins)
                         .arg(from)
                         .arg(to);
        return false;
    }

    static RemoteDensity emptyDensity(qint64 from, qint64 to, int bins)
    {
        RemoteDensity d;
        d.from = from;
        d.to = to;
        const qint64 span = to - from + 1;
        d.binWidth = std::max<qint64>(1, (span + bins - 1) / bins);
        d.counts.resize(int((span + d.binWidth - 1) / d.binWidth));
        return d;
    }

    bool hasIndexOn(const QString& column) const { return m_indexed.contains(column); }

    /// The table's indexes (by their leading column) and the planner's statistics: pg_index and pg_stats.
    bool readCatalog(QString* error)
    {
        const QByteArray table = m_client.m_table.toUtf8();
        PgResult r;
        if (!exec(QStringLiteral("SELECT a.attname, am.amname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN "
                                 "pg_am am ON am.oid = i.relam LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND "
                                 "a.attnum = x.indkey[0] WHERE x.indrelid = $1::regclass AND x.indisvalid AND a.attname "
                                 "IS NOT NULL"),
                  {table}, &r, error))
            return false;
        for (int i = 0; i < r.rows(); ++i) {
            m_indexed.insert(r.text(i, 0));
            if (r.text(i, 1) == u"btree")
                m_ordered.insert(r.text(i, 0));
        }
        PgResult c;
        if (!exec(QStringLiteral("SELECT n.nspname, c.relname, c.reltuples::bigint FROM pg_class c JOIN pg_namespace n "
                                 "ON n.oid = c.relnamespace WHERE c.oid = $1::regclass"),
                  {table}, &c, error))
            return false;
        if (c.rows() != 1)
            return true;
        m_schemaName = c.text(0, 0);
        m_tableName = c.text(0, 1);
        m_reltuples = c.integer(0, 2);  // -1 (PostgreSQL 14+) or 0 when never analysed
        if (m_reltuples <= 0)
            m_reltuples = -1;
        const QString col = axisColumn();
        const QString arrayType = m_axis == RemoteAxis::Position ? QStringLiteral("bigint[]")
                                  : m_client.m_timeHasZone      ? QStringLiteral("timestamptz[]")
                                                                : QStringLiteral("timestamp[]");
        const QString value = m_axis == RemoteAxis::Position ? QStringLiteral("b")
                                                             : QStringLiteral("floor(extract(epoch from b) * 1000)::bigint");
        PgResult h;
        if (!exec(QStringLiteral("SELECT %1 FROM pg_stats s, unnest(s.histogram_bounds::text::%2) b WHERE s.schemaname = "
                                 "$1 AND s.tablename = $2 AND s.attname = $3 AND NOT s.inherited")
                      .arg(value, arrayType),
                  {m_schemaName.toUtf8(), m_tableName.toUtf8(), col.toUtf8()}, &h, error))
            return false;
        for (int i = 0; i < h.rows(); ++i)
            m_histogram << h.integer(i, 0);
        std::sort(m_histogram.begin(), m_histogram.end());
        PgResult s;
        if (!exec(QStringLiteral("SELECT attname, null_frac, n_distinct, correlation FROM pg_stats WHERE schemaname = $1 "
                                 "AND tablename = $2 AND NOT inherited AND attname IN ($3, $4)"),
                  {m_schemaName.toUtf8(), m_tableName.toUtf8(), col.toUtf8(), m_streamRaw.toUtf8()}, &s, error))
            return false;
        for (int i = 0; i < s.rows(); ++i) {
            const QString name = s.text(i, 0);
            if (name == col) {
                m_nullFrac = s.text(i, 1).toDouble();
                m_correlation = s.isNull(i, 3) ? 1.0 : s.text(i, 3).toDouble();
            }
            if (name == m_streamRaw) {
                const double nd = s.text(i, 2).toDouble();
                // n_distinct < 0: minus the fraction of rows that are distinct (PostgreSQL docs, "pg_stats")
                m_streamDistinct = nd >= 0 ? qint64(nd) : m_reltuples > 0 ? qint64(-nd * double(m_reltuples)) : -1;
            }
        }
        return true;
    }

    /// An advice per query whose column has no index, with the server's plan for it (EXPLAIN, not run).
    bool adviseAll(QString* error)
    {
        m_advice.clear();
        m_adviceFor.clear();
        const QString table = m_client.m_table;
        const QString bare = m_tableName.isEmpty() ? QStringLiteral("events") : m_tableName;
        const int k = int(m_client.m_filterValues.size());
        auto add = [&](Need need, const QString& query, const QString& column, const QString& create, const QString& sql,
                       const QList<QByteArray>& params) {
            IndexAdvice a;
            a.query = query;
            a.column = column;
            a.createIndex = create;
            PgResult r;
            QString why;
            if (exec(QStringLiteral("EXPLAIN ") + sql, params, &r, &why)) {
                static const QRegularExpression scan(QStringLiteral("^\\s*(?:->\\s*)?(.*? on \\S+).*rows=(\\d+)"));
                for (int i = 0; i < r.rows(); ++i) {
                    const auto m = scan.match(r.text(i, 0));
                    if (m.hasMatch() && m.captured(1).contains(QLatin1String("Scan"))) {
                        a.plan = m.captured(1);
                        // A sequential scan reads the whole table whatever it returns; another node reads
                        // about what it returns.
                        a.rows = a.plan.contains(QLatin1String("Seq Scan")) && m_reltuples > 0
                                     ? m_reltuples
                                     : m.captured(2).toLongLong();
                        break;
                    }
                }
            }
            m_adviceFor.insert(need, int(m_advice.size()));
            m_advice << a;
        };
        if (m_axis == RemoteAxis::Time && !hasIndexOn(m_client.m_timeCol)) {
            const QString col = m_client.m_timeCol;
            // Append-only stores write their time in physical order: a BRIN index is tiny and enough then.
            const bool brin = std::abs(m_correlation) >= 0.9;
            const QString create = brin ? QStringLiteral("CREATE INDEX CONCURRENTLY %1_%2_brin ON %3 USING brin (%4);")
                                              .arg(bare, col, table, quoteIdent(col))
                                        : QStringLiteral("CREATE INDEX CONCURRENTLY %1_%2 ON %3 (%4);")
                                              .arg(bare, col, table, quoteIdent(col));
            QList<QByteArray> params = filterParams();
            const qint64 t = m_histogram.isEmpty() ? 0 : m_histogram.last();
            params << QByteArray::number(t - 60000) << QByteArray::number(t);
            const QString range = rangeCondition(QStringLiteral("$%1::bigint").arg(k + 1), QStringLiteral("$%1::bigint").arg(k + 2));
            const QString where = m_client.whereClause(false, false);
            add(kWindowDensity, QStringLiteral("time-window density"), col, create,
                QStringLiteral("SELECT count(*) FROM %1 WHERE %2 AND %3").arg(table, where, range), params);
            add(kWindowEvents, QStringLiteral("time-window events"), col, create,
                QStringLiteral("SELECT %1 FROM %2 WHERE %3 AND %4 ORDER BY %5 LIMIT 500")
                    .arg(m_client.m_posCol, table, where, range, m_client.m_posCol),
                params);
        }
        if (!hasIndexOn(m_streamRaw)) {
            QList<QByteArray> params = filterParams();
            params << QByteArray();
            add(kStreamList, QStringLiteral("stream list"), m_streamRaw,
                QStringLiteral("CREATE INDEX CONCURRENTLY %1_%2 ON %3 (%4);").arg(bare, m_streamRaw, table, quoteIdent(m_streamRaw)),
                QStringLiteral("SELECT %1, count(*) FROM %2 WHERE %3 AND %1 > $%4 GROUP BY %1 ORDER BY %1 LIMIT 200")
                    .arg(m_client.m_streamCol, table, m_client.whereClause(false, false))
                    .arg(k + 1),
                params);
        }
        Q_UNUSED(error);
        return true;
    }

    /// False with the advice as the error when a query needs a missing index and full scans are refused.
    bool allowed(Need need, QString* error) const
    {
        const auto it = m_adviceFor.find(need);
        if (it == m_adviceFor.end() || !m_options.refuseFullScans)
            return true;
        if (error)
            *error = QStringLiteral("%1: not run, it would read the whole table (fullscan=refuse). %2")
                         .arg(m_client.endpoint().display, m_advice[it.value()].text());
        return false;
    }

    PostgresClient m_client;
    RemoteFirstOptions m_options;
    RemoteScope m_scope;
    RemoteAxis m_axis = RemoteAxis::Time;
    QString m_versionCol, m_typeCol, m_streamRaw, m_schemaName, m_tableName;
    QSet<QString> m_indexed;  ///< columns leading a valid index (any method: ranges)
    QSet<QString> m_ordered;  ///< columns leading a btree (order, min/max)
    QList<qint64> m_histogram;
    qint64 m_reltuples = -1;
    qint64 m_streamDistinct = -1;
    double m_nullFrac = 0;
    double m_correlation = 1;
    QList<IndexAdvice> m_advice;
    QHash<int, int> m_adviceFor;  ///< Need -> index in m_advice
    QSet<QString> m_truncated;    ///< cache keys of windows that had more events than their limit
    RemoteSummary m_summary;
    bool m_haveSummary = false;
};
} // namespace

std::unique_ptr<RemoteClient> makePostgresClient(const RemoteEndpoint& ep, QString*)
{
    return std::make_unique<PostgresClient>(ep);
}

std::unique_ptr<RemoteFirstSource> makePostgresRemoteFirst(const RemoteEndpoint& ep, const RemoteFirstOptions& options,
                                                           QString*)
{
    return std::make_unique<PostgresRemoteFirst>(ep, options);
}

#endif

} // namespace chronoscope::remote
