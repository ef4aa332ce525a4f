// Confluent wire format and Schema Registry lookups (docs/remote.md "Kafka" -> "Schema'd values").
// The registry's answer to GET /schemas/ids/{id} is {"schema": "<schema text>", "schemaType": "AVRO" |
// "JSON" | "PROTOBUF"}, schemaType absent for Avro (Confluent's Schema Registry API reference,
// docs.confluent.io/platform/current/schema-registry/develop/api.html). JSON Schema values need no schema
// to be read: the bytes after the header are the JSON document. Avro is decoded with avro-c.

#include "sources/kafka/kafkaschema.h"

#include "sources/remote/httpfetch_p.h"
#include "sources/sourceregistry.h"
#include "json/jsontext.h"

#include <QJsonDocument>
#include <QJsonObject>

#ifdef CHRONOSCOPE_HAVE_AVRO
#include <avro.h>
#endif

namespace chronoscope::kafka {

bool isWireFormat(const QByteArray& value, int* schemaId)
{
    if (value.size() < 5 || value[0] != '\0') return false;
    const auto* b = reinterpret_cast<const unsigned char*>(value.constData());
    const quint32 id = (quint32(b[1]) << 24) | (quint32(b[2]) << 16) | (quint32(b[3]) << 8) | quint32(b[4]);
    if (schemaId) *schemaId = int(id);
    return true;
}

struct SchemaDecoder::Schema
{
    QString type; ///< "avro", "json", "protobuf"
#ifdef CHRONOSCOPE_HAVE_AVRO
    avro_schema_t avro = nullptr;
    avro_value_iface_t* iface = nullptr;
    ~Schema()
    {
        if (iface) avro_value_iface_decref(iface);
        if (avro) avro_schema_decref(avro);
    }
#endif
};

SchemaDecoder::SchemaDecoder(const RemoteEndpoint& kafka, const QString& registry) : m_registry(registry)
{
    if (registry.isEmpty()) return;
    // The registry is its own endpoint: its URL's user and password (or none), never the broker's secret.
    m_ep.cancel = kafka.cancel;
    QString err;
    if (!RemoteEndpoint::parse(registry, &m_ep, &err)) return;
    m_ep.timeoutMs = kafka.timeoutMs;
    m_ep.retries = kafka.retries;
    QUrl base = m_ep.url;
    base.setPath({});
    base.setQuery(QString());
    m_http = std::make_unique<remote::HttpSession>(m_ep, base, &err);
}

SchemaDecoder::~SchemaDecoder() = default;

SchemaDecoder::Schema* SchemaDecoder::schema(int id, QString* why)
{
    if (auto it = m_schemas.constFind(id); it != m_schemas.constEnd()) return it->get();
    if (auto it = m_failed.constFind(id); it != m_failed.constEnd()) {
        *why = *it;
        return nullptr;
    }
    auto fail = [&](const QString& w) -> Schema* {
        m_failed.insert(id, w);
        *why = w;
        return nullptr;
    };
    if (!m_http)
        return fail(QStringLiteral("the schema registry URL %1 is not usable").arg(redactUri(m_registry)));
    QUrl url = m_http->base();
    url.setPath(QStringLiteral("/schemas/ids/%1").arg(id));
    QHash<QByteArray, QByteArray> headers{
        {"Accept", "application/vnd.schemaregistry.v1+json, application/json"}};
    if (!m_ep.user.isEmpty() || !m_ep.secret.isEmpty())
        headers.insert("Authorization", "Basic " + (m_ep.user + u':' + m_ep.secret).toUtf8().toBase64());
    const remote::HttpResponse r = m_http->requestWithRetry("GET", url, headers, {}, m_ep.timeoutMs);
    if (!r.ok())
        return fail(QStringLiteral("schema %1 could not be fetched: %2")
                        .arg(id)
                        .arg(m_http->describeFailure(r, url)));
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    const QString text = o.value(QLatin1String("schema")).toString();
    if (text.isEmpty())
        return fail(QStringLiteral("the schema registry's answer for schema %1 has no \"schema\"").arg(id));
    auto s = std::make_shared<Schema>();
    s->type = o.value(QLatin1String("schemaType")).toString(QStringLiteral("AVRO")).toLower();
    if (s->type == u"avro") {
#ifdef CHRONOSCOPE_HAVE_AVRO
        const QByteArray t = text.toUtf8();
        if (avro_schema_from_json_length(t.constData(), size_t(t.size()), &s->avro) != 0)
            return fail(QStringLiteral("schema %1 is not a valid Avro schema: %2")
                            .arg(id)
                            .arg(QString::fromUtf8(avro_strerror())));
        s->iface = avro_generic_class_from_schema(s->avro);
        if (!s->iface)
            return fail(QStringLiteral("schema %1: %2").arg(id).arg(QString::fromUtf8(avro_strerror())));
#else
        return fail(QStringLiteral("this build has no Avro support (avro-c was not found)"));
#endif
    }
    m_schemas.insert(id, s);
    return s.get();
}

SchemaDecoder::Decoded SchemaDecoder::decode(const QByteArray& value, int schemaId)
{
    Decoded d;
    d.format = QStringLiteral("unknown");
    const QByteArray body = value.mid(5);
    Schema* s = schema(schemaId, &d.why);
    if (!s) {
        // No schema: a JSON Schema value is still plain JSON after the header.
        if (compactJson(body, &d.json)) {
            d.ok = true;
            d.format = QStringLiteral("json");
            d.why.clear();
        }
        return d;
    }
    d.format = s->type;
    if (s->type == u"json") {
        QString why;
        d.ok = compactJson(body, &d.json, &why);
        if (!d.ok)
            d.why = QStringLiteral("schema %1 is a JSON Schema but the value is not JSON: %2")
                        .arg(schemaId)
                        .arg(why);
        return d;
    }
    if (s->type == u"protobuf") {
        d.why = QStringLiteral("schema %1 is Protobuf, which Chronoscope does not decode").arg(schemaId);
        return d;
    }
#ifdef CHRONOSCOPE_HAVE_AVRO
    if (s->type == u"avro") {
        avro_reader_t reader = avro_reader_memory(body.constData(), body.size());
        avro_value_t v;
        if (avro_generic_value_new(s->iface, &v) != 0) {
            avro_reader_free(reader);
            d.why = QString::fromUtf8(avro_strerror());
            return d;
        }
        char* json = nullptr;
        if (avro_value_read(reader, &v) != 0)
            d.why = QStringLiteral("the value does not decode with Avro schema %1: %2")
                        .arg(schemaId)
                        .arg(QString::fromUtf8(avro_strerror()));
        else if (avro_value_to_json(&v, 1, &json) != 0)
            d.why = QString::fromUtf8(avro_strerror());
        else
            d.ok = compactJson(QByteArray(json), &d.json);
        free(json);
        avro_value_decref(&v);
        avro_reader_free(reader);
        return d;
    }
#endif
    d.why = QStringLiteral("schema %1 has the unknown type '%2'").arg(schemaId).arg(s->type);
    return d;
}

} // namespace chronoscope::kafka
