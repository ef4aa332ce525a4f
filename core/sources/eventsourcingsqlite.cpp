#include "sources/eventsourcingsqlite.h"

#include "sources/sourceregistry.h"
#include "sources/sqlitelayout.h"
#include "util/inflater.h"

#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>

namespace chronoscope {

namespace {

constexpr qsizetype kMaxInflated = 256 * 1024 * 1024; // a larger state is treated as damaged (zip bomb guard)
constexpr int kSampleRows = 20;

// What Python's uuid.hex writes: 32 lowercase hex digits. Ids in other spellings are the application's own
// text ids and are kept exactly (eventsourcing compares ids as text: "ABC..." and "abc..." are two aggregates).
bool isHex32(QStringView s)
{
    if (s.size() != 32)
        return false;
    for (QChar c : s)
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    return true;
}

// str(uuid): the dashed, lowercase form shown for a hex id.
bool isDashedUuid(QStringView s)
{
    if (s.size() != 36 || s[8] != u'-' || s[13] != u'-' || s[18] != u'-' || s[23] != u'-')
        return false;
    QString hex = s.toString();
    hex.remove(u'-');
    return isHex32(hex);
}

// zlib stream header: compression method 8, window <= 32K, header checksum (RFC 1950).
bool looksZlib(const QByteArray& b)
{
    return b.size() >= 2 && (quint8(b[0]) & 0x0f) == 8 && (quint8(b[0]) >> 4) <= 7 &&
           ((quint8(b[0]) << 8) | quint8(b[1])) % 31 == 0;
}

} // namespace

namespace {

// eventsourcing's AESCipher (both its pycryptodome and its `cryptography` flavour) writes
// nonce(12) | tag(16) | ciphertext, AES-GCM without associated data.
bool decryptAesGcm(const QByteArray& key, const QByteArray& in, QByteArray* out)
{
    if (in.size() < 28)
        return false;
    const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_gcm()
                               : key.size() == 24 ? EVP_aes_192_gcm()
                                                  : EVP_aes_256_gcm();
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return false;
    const auto* nonce = reinterpret_cast<const unsigned char*>(in.constData());
    QByteArray tag = in.mid(12, 16);
    const auto* ct = reinterpret_cast<const unsigned char*>(in.constData() + 28);
    const int ctLen = int(in.size() - 28);
    out->resize(ctLen + 16);
    int len = 0, fin = 0;
    bool ok = EVP_DecryptInit_ex(ctx, cipher, nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(key.constData()),
                                 nonce) == 1 &&
              EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out->data()), &len, ct, ctLen) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
              EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out->data()) + len, &fin) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        out->clear();
        return false;
    }
    out->resize(len + fin);
    return true;
}

void topicTypeSql(sqlite3_context* ctx, int, sqlite3_value** argv)
{
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    if (!p) {
        sqlite3_result_null(ctx);
        return;
    }
    const int n = sqlite3_value_bytes(argv[0]);
    int start = 0;
    for (int i = 0; i < n; ++i)
        if (p[i] == '.' || p[i] == ':')
            start = i + 1;
    sqlite3_result_text(ctx, p + start, n - start, SQLITE_TRANSIENT);
}

// Replaces eventsourcing's transcoder wrappers {"_type_":"name","_data_":value} by their value, in compact
// JSON text (where `{"` cannot occur inside a string, so a plain search finds exactly the wrappers). uuid_hex
// becomes a dashed UUID string; datetime_iso and decimal_str stay strings (no precision lost); any other
// type becomes its _data_.
QByteArray unwrapTranscoded(const QByteArray& s)
{
    static const QByteArray marker = QByteArrayLiteral("{\"_type_\":\"");
    static const QByteArray dataKey = QByteArrayLiteral(",\"_data_\":");
    qsizetype at = s.indexOf(marker);
    if (at < 0)
        return s;
    QByteArray out;
    out.reserve(s.size());
    qsizetype from = 0;
    while (at >= 0) {
        out.append(s.constData() + from, at - from);
        const qsizetype nameStart = at + marker.size();
        const qsizetype nameEnd = s.indexOf('"', nameStart);
        const qsizetype valueStart = nameEnd + 1 + dataKey.size();
        qsizetype valueEnd = -1;
        if (nameEnd > 0 && s.mid(nameEnd + 1, dataKey.size()) == dataKey)
            valueEnd = skipJsonValue(s, valueStart);
        if (valueEnd < 0 || valueEnd >= s.size() || s[valueEnd] != '}') {
            out.append('{'); // an ordinary object that happens to start with "_type_"
            from = at + 1;
        } else {
            QByteArray value = unwrapTranscoded(s.mid(valueStart, valueEnd - valueStart));
            if (s.mid(nameStart, nameEnd - nameStart) == "uuid_hex" && value.size() == 34 && value.front() == '"')
                value = '"' + eventsourcingStreamName(QString::fromLatin1(value.mid(1, 32))).toLatin1() + '"';
            out.append(value);
            from = valueEnd + 1;
        }
        at = s.indexOf(marker, from);
    }
    out.append(s.constData() + from, s.size() - from);
    return out;
}

} // namespace

using StateError = EventsourcingDecoder::StateError;

EventsourcingDecoder::EventsourcingDecoder(QByteArray key) : m_key(std::move(key)), m_inflater(std::make_unique<Inflater>(Inflater::Format::Zlib)) {}

EventsourcingDecoder::~EventsourcingDecoder() = default;

bool EventsourcingDecoder::parseCipherKey(const QByteArray& base64, QByteArray* key, QString* why)
{
    key->clear();
    if (base64.trimmed().isEmpty())
        return true;
    const auto decoded = QByteArray::fromBase64Encoding(base64.trimmed(), QByteArray::AbortOnBase64DecodingErrors);
    const qsizetype n = decoded.decoded.size();
    if (!decoded || (n != 16 && n != 24 && n != 32)) {
        *why = decoded ? QStringLiteral("CIPHER_KEY is not an AES key: it decodes to %1 bytes, expected 16, 24 or 32").arg(n)
                       : QStringLiteral("CIPHER_KEY is not valid base64");
        return false;
    }
    *key = decoded.decoded;
    return true;
}

// Decodes a stored state: plain JSON, zlib-compressed JSON, or AES-GCM encrypted (optionally compressed).
// Decodes a stored state (plain JSON, zlib-compressed JSON, or AES-GCM encrypted and optionally compressed)
// into compact, validated JSON text.
StateError EventsourcingDecoder::decodeState(const QByteArray& raw, QByteArray* json, QString* why) const
{
    if (raw.isEmpty()) {
        *why = QStringLiteral("the state is empty");
        return StateError::NotJson;
    }
    QString jsonWhy;
    bool textual = false;
    if (raw[0] == '{' || raw[0] == '[') {
        if (compactJson(raw, json, &jsonWhy))
            return StateError::None;
        // Ciphertext starts with '{' once in 256 states: only valid UTF-8 counts as (broken) JSON text.
        textual = QString::fromUtf8(raw).toUtf8() == raw;
        *why = QStringLiteral("the state is not valid JSON (%1)").arg(jsonWhy);
    }
    const bool zlibLike = looksZlib(raw);
    if (zlibLike) {
        QByteArray inflated;
        if (m_inflater->inflateAll(raw, &inflated, kMaxInflated)) {
            if (compactJson(inflated, json, &jsonWhy))
                return StateError::None;
            *why = QStringLiteral("the decompressed state is not valid JSON (%1)").arg(jsonWhy);
            return StateError::NotJson;
        }
    }
    // Anything else should be nonce(12) | tag(16) | ciphertext.
    if (textual)
        return StateError::NotJson;
    if (m_key.isEmpty() || raw.size() < 28) {
        if (zlibLike) {
            *why = QStringLiteral("the compressed state is damaged (not a complete zlib stream)");
            return StateError::Inflate;
        }
        if (raw.size() < 28) {
            *why = QStringLiteral("the state is neither JSON, zlib data nor long enough to be encrypted");
            return StateError::NotJson;
        }
        *why = QStringLiteral("the state is encrypted and CIPHER_KEY is not set");
        return StateError::NeedsKey;
    }
    QByteArray plain;
    if (!decryptAesGcm(m_key, raw, &plain)) {
        if (zlibLike) {
            *why = QStringLiteral("the state is neither a complete zlib stream nor decryptable with CIPHER_KEY");
            return StateError::Inflate;
        }
        *why = QStringLiteral("the state cannot be decrypted with CIPHER_KEY (wrong key or damaged ciphertext)");
        return StateError::Decrypt;
    }
    if (looksZlib(plain)) {
        QByteArray inflated;
        if (!m_inflater->inflateAll(plain, &inflated, kMaxInflated)) {
            *why = QStringLiteral("the decrypted state is not valid zlib data");
            return StateError::Inflate;
        }
        plain = inflated;
    }
    if (!compactJson(plain, json, &jsonWhy)) {
        *why = QStringLiteral("the decrypted state is not valid JSON (%1)").arg(jsonWhy);
        return StateError::NotJson;
    }
    return StateError::None;
}

// The event time from a state's (still wrapped) timestamp member.
TimeMs EventsourcingDecoder::timeOf(const QByteArray& wrappedValue)
{
    const QByteArray v = unwrapTranscoded(wrappedValue);
    if (v.size() < 2 || v.front() != '"')
        return kNoTime;
    const auto t = parseTime(QString::fromLatin1(v.mid(1, v.size() - 2)));
    return t ? *t : kNoTime;
}

StateError EventsourcingDecoder::decodeEvent(const QString& topic, const QByteArray& raw, Event* e, QString* why,
                                             const QString& type) const
{
    e->type = type.isNull() ? eventsourcingTopicType(topic) : type;
    QByteArray meta = "{\"topic\":" + jsonStringLiteral(topic);
    QByteArray json;
    const StateError err = decodeState(raw, &json, why);
    if (err != StateError::None) {
        setNonJsonData(e, QString::fromUtf8(raw).toUtf8() == raw ? raw : QByteArray("base64:") + raw.toBase64());
        e->metadata = meta + ",\"chronoscope.error\":" + jsonStringLiteral(*why) + "}";
        return err;
    }
    QList<std::pair<QByteArray, QByteArray>> members;
    if (!jsonObjectMembers(json, &members)) {
        e->data = unwrapTranscoded(json);
        e->metadata = meta + "}";
        return StateError::None;
    }
    // The event time becomes the canonical time; it stays in metadata with its full precision so the replayed
    // state does not change on every event just because its timestamp did. class_version (the upcasting
    // marker) goes to metadata too.
    QByteArray data = "{";
    for (const auto& [key, value] : members) {
        if (key == "timestamp") {
            e->time = timeOf(value);
            meta += ",\"timestamp\":" + unwrapTranscoded(value);
        } else if (key == "class_version") {
            meta += ",\"class_version\":" + value;
        } else {
            if (data.size() > 1)
                data += ',';
            data += '"' + key + "\":" + unwrapTranscoded(value);
        }
    }
    e->data = data + "}";
    e->metadata = meta + "}";
    return StateError::None;
}

namespace {

class EventsourcingReader final : public SqliteLayoutReader
{
public:
    EventsourcingReader(std::unique_ptr<SqliteDb> db, QByteArray key, QByteArray base64Key)
        : SqliteLayoutReader(std::move(db), QStringLiteral("eventsourcing-sqlite")),
          m_decoder(std::move(key)),
          m_base64Key(std::move(base64Key))
    {
    }

    std::unique_ptr<EventReader> clone(QString* error) override
    {
        return openEventsourcingSqlite(m_db->path(), m_base64Key, error);
    }

    // Called at open: encrypted states need a key that decrypts them. A false return sets *error.
    bool checkKey(QString* error)
    {
        SqlStatement st(*m_db, "SELECT rowid, state FROM stored_events ORDER BY rowid LIMIT " +
                                   QByteArray::number(kSampleRows));
        if (!st.ok()) {
            *error = QStringLiteral("%1: cannot read stored_events (%2)").arg(m_db->path(), st.prepareError());
            return false;
        }
        int needsKey = 0, decryptFailed = 0, decoded = 0;
        while (st.step() == SQLITE_ROW) {
            QByteArray json;
            QString why;
            switch (m_decoder.decodeState(st.bytes(1), &json, &why)) {
            case StateError::None: ++decoded; break;
            case StateError::NeedsKey: ++needsKey; break;
            case StateError::Decrypt: ++decryptFailed; break;
            default: break;
            }
        }
        if (needsKey > 0) {
            *error = QStringLiteral("%1: the events are encrypted (eventsourcing's AES-GCM cipher); set the CIPHER_KEY "
                                    "environment variable to the application's base64 cipher key and open it again")
                         .arg(m_db->path());
            return false;
        }
        if (decryptFailed > 0 && decoded == 0) {
            *error = QStringLiteral("%1: CIPHER_KEY does not decrypt the events (tried %2): it is not the key this "
                                    "application encrypted them with")
                         .arg(m_db->path())
                         .arg(decryptFailed);
            return false;
        }
        return true;
    }

protected:
    QByteArray table() const override { return "stored_events"; }
    QByteArray orderExpr() const override { return "rowid"; }
    QByteArray selectColumns() const override { return "rowid, originator_id, originator_version, topic, state"; }
    QByteArray rowFilter() const override
    {
        // Versions count from 1 and the rowid from 1: negative ones are damage, left out everywhere and reported.
        return "originator_id IS NOT NULL AND typeof(originator_version) = 'integer' AND originator_version >= 0 AND "
               "rowid >= 0";
    }
    QString rowFilterMeaning() const override
    {
        return QStringLiteral("they lack an originator_id, or their originator_version or rowid is not an integer >= 0");
    }

    EventQuery normalise(const EventQuery& q) override
    {
        EventQuery n = q;
        if (isHex32(q.stream))
            n.stream = eventsourcingStreamName(q.stream); // the name this id is shown under
        return n;
    }

    bool pushDown(const EventQuery& q, SqlWhere* w) override
    {
        if (!q.stream.isEmpty()) {
            // A lowercase dashed UUID is shown for an id stored as 32 lowercase hex digits (uuid.hex); the file may
            // also hold it as text in that very spelling. Every other name is the stored id itself, compared
            // exactly: ids that differ only by case are different streams, as they are in eventsourcing.
            QStringList ids{q.stream};
            if (isDashedUuid(q.stream)) {
                QString hex = q.stream;
                hex.remove(u'-');
                ids << hex;
            }
            w->add("originator_id IN (" + w->inList(ids) + ")");
            w->addRange("originator_version", q.fromVersion, q.toVersion);
        }
        if (!q.types.isEmpty())
            w->add("chronoscope_topic_type(topic) IN (" + w->inList(q.types) + ")");
        w->addRange("rowid", q.fromPosition, q.toPosition);
        // The event time lives inside the (possibly encrypted) state: time ranges are applied after decoding.
        return q.since == kNoTime && q.until == kNoTime;
    }

    bool decode(SqlStatement& st, Event* e) override
    {
        e->position = st.int64(0);
        e->stream = eventsourcingStreamName(st.text(1));
        e->version = st.int64(2);
        const QString topic = st.text(3);
        QString why;
        if (m_decoder.decodeEvent(topic, st.bytes(4), e, &why, typeOf(topic)) != StateError::None)
            addWarning(QStringLiteral("%1: stored_events rowid %2 (stream %3 version %4, %5): %6; the event is shown "
                                      "without its data")
                           .arg(m_db->path())
                           .arg(e->position)
                           .arg(e->stream)
                           .arg(e->version)
                           .arg(topic, why));
        return true;
    }

    bool computeStreams(QList<StreamInfo>* out, QString* error) override
    {
        // Counts and ranges come from the primary key index alone (it carries the rowid); the times need the
        // first and last event of each stream decoded.
        SqlStatement st(*m_db, "SELECT originator_id, count(*), min(originator_version), max(originator_version), "
                               "min(rowid), max(rowid) FROM stored_events WHERE " +
                                   rowFilter() + " GROUP BY originator_id");
        if (!st.ok()) {
            *error = QStringLiteral("%1: cannot summarise streams (%2)").arg(m_db->path(), st.prepareError());
            return false;
        }
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) {
            StreamInfo s;
            s.stream = eventsourcingStreamName(st.text(0));
            s.events = st.int64(1);
            s.firstVersion = st.int64(2);
            s.lastVersion = st.int64(3);
            s.firstPosition = st.int64(4);
            s.lastPosition = st.int64(5);
            out->append(s);
        }
        if (rc != SQLITE_DONE) {
            *error = sqlError(QStringLiteral("summarising streams failed"));
            return false;
        }
        SqlStatement one(*m_db, "SELECT state FROM stored_events WHERE rowid = ?");
        if (!one.ok()) {
            *error = QStringLiteral("%1: cannot read stored_events (%2)").arg(m_db->path(), one.prepareError());
            return false;
        }
        auto timeAt = [&](qint64 rowid) -> TimeMs {
            one.reset();
            one.bind({SqlValue(rowid)});
            if (one.step() != SQLITE_ROW)
                return kNoTime;
            QByteArray json;
            QString why;
            if (m_decoder.decodeState(one.bytes(0), &json, &why) != StateError::None)
                return kNoTime;
            QList<std::pair<QByteArray, QByteArray>> members;
            jsonObjectMembers(json, &members);
            for (const auto& [key, value] : members)
                if (key == "timestamp")
                    return EventsourcingDecoder::timeOf(value);
            return kNoTime;
        };
        for (StreamInfo& s : *out) {
            s.firstTime = timeAt(s.firstPosition);
            s.lastTime = s.lastPosition == s.firstPosition ? s.firstTime : timeAt(s.lastPosition);
        }
        std::sort(out->begin(), out->end(), [](const StreamInfo& a, const StreamInfo& b) { return a.stream < b.stream; });
        return true;
    }

private:
    QString typeOf(const QString& topic)
    {
        // Few distinct topics: keep their types (bounded, cleared when a store has unusually many).
        auto it = m_types.constFind(topic);
        if (it != m_types.constEnd())
            return *it;
        if (m_types.size() > 10000)
            m_types.clear();
        const QString t = eventsourcingTopicType(topic);
        m_types.insert(topic, t);
        return t;
    }

    EventsourcingDecoder m_decoder;
    QByteArray m_base64Key;  // as given, to open clones
    QHash<QString, QString> m_types;
};

const bool registered = SourceRegistry::add(SourceKind{
    QStringLiteral("eventsourcing-sqlite"), probeEventsourcingSqlite,
    [](const SourceProbe& probe, const OpenOptions& options, QString* error) {
        QByteArray key = options.params.value(QStringLiteral("cipherKey")).toUtf8();
        if (key.isEmpty())
            key = qgetenv("CIPHER_KEY");
        return openEventsourcingSqlite(probe.path, key, error);
    }});

} // namespace

QString eventsourcingStreamName(const QString& originatorId)
{
    if (!isHex32(originatorId))
        return originatorId;
    const QString& h = originatorId;
    return h.left(8) + u'-' + h.mid(8, 4) + u'-' + h.mid(12, 4) + u'-' + h.mid(16, 4) + u'-' + h.mid(20);
}

QString eventsourcingTopicType(QStringView topic)
{
    qsizetype start = 0;
    for (qsizetype i = 0; i < topic.size(); ++i)
        if (topic[i] == u'.' || topic[i] == u':')
            start = i + 1;
    return topic.mid(start).toString();
}

int probeEventsourcingSqlite(const SourceProbe& probe)
{
    for (const QString& t : sqliteTables(probe))
        if (t.compare(QLatin1String("stored_events"), Qt::CaseInsensitive) == 0)
            return 60;
    return 0;
}

std::unique_ptr<EventReader> openEventsourcingSqlite(const QString& path, const QByteArray& cipherKey, QString* error)
{
    Q_UNUSED(registered);
    QByteArray key;
    QString keyError;
    if (!EventsourcingDecoder::parseCipherKey(cipherKey, &key, &keyError)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, keyError);
        return nullptr;
    }
    auto db = SqliteDb::open(path, error);
    if (!db)
        return nullptr;
    const QString crafted = db->checkTable("stored_events", {"originator_version"});
    if (!crafted.isEmpty()) {
        if (error)
            *error = QStringLiteral("%1: not a Python eventsourcing store as it writes one, refused: %2").arg(path, crafted);
        return nullptr;
    }
    const QStringList columns = db->columns("stored_events");
    QStringList missing;
    for (const char* c : {"originator_id", "originator_version", "topic", "state"})
        if (!columns.contains(QLatin1String(c)))
            missing << QLatin1String(c);
    if (columns.isEmpty() || !missing.isEmpty()) {
        if (error)
            *error = columns.isEmpty()
                         ? QStringLiteral("%1: no stored_events table: not a Python eventsourcing store").arg(path)
                         : QStringLiteral("%1: stored_events lacks the column(s) %2 that Python eventsourcing writes")
                               .arg(path, missing.join(QLatin1String(", ")));
        return nullptr;
    }
    if (!db->hasRowid("stored_events")) {
        if (error)
            *error = QStringLiteral("%1: stored_events is a WITHOUT ROWID table (an aggregate recorder's): it keeps "
                                    "no global order of events, which Chronoscope needs")
                         .arg(path);
        return nullptr;
    }
    sqlite3_create_function_v2(db->handle(), "chronoscope_topic_type", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                               topicTypeSql, nullptr, nullptr, nullptr);
    auto reader = std::make_unique<EventsourcingReader>(std::move(db), key, cipherKey.trimmed());
    QString err;
    if (!reader->checkKey(&err)) {
        if (error)
            *error = err;
        return nullptr;
    }
    return reader;
}

} // namespace chronoscope
