// Record -> canonical event (docs/remote.md "Kafka" -> "Mapping").

#include "sources/kafka/kafkamapping.h"

#include "sources/kafka/kafkaschema.h"
#include "sources/remote/remoteclient.h"

#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "json/jsontext.h"

#include <QJsonObject>
#include <QStringDecoder>

namespace chronoscope::kafka {

namespace {

/// The bytes as text when they are valid UTF-8.
std::optional<QString> utf8(const QByteArray& bytes)
{
    // ASCII (most keys and header values) needs no decoder.
    bool ascii = true;
    for (char c : bytes)
        if (uchar(c) >= 0x80) {
            ascii = false;
            break;
        }
    if (ascii) return QString::fromLatin1(bytes);
    QStringDecoder dec(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString s = dec.decode(bytes);
    if (dec.hasError()) return std::nullopt;
    return s;
}

/// A header or key value for metadata: a JSON string when it is UTF-8, else {"base64":..,"size":..}.
QByteArray bytesJson(const QByteArray& bytes)
{
    if (const auto s = utf8(bytes)) return remote::jsonString(*s);
    return "{\"base64\":\"" + base64(bytes) + "\",\"size\":" + QByteArray::number(bytes.size()) + '}';
}

void addMember(QByteArray& obj, const char* name, const QByteArray& json)
{
    if (obj.size() > 1) obj += ',';
    obj += '"';
    obj += name; // our own member names: plain ASCII, nothing to escape
    obj += "\":";
    obj += json;
}

/// W3C trace context: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>".
bool parseTraceparent(const QString& t, QString* traceId, QString* parentId)
{
    const QStringList parts = t.trimmed().split(u'-');
    if (parts.size() < 4 || parts[1].size() != 32 || parts[2].size() != 16) return false;
    *traceId = parts[1];
    *parentId = parts[2];
    return true;
}

struct Attributes
{
    QString type, id, time, correlation, causation, traceparent;
};

} // namespace

QByteArray base64(const QByteArray& bytes)
{
    return bytes.toBase64();
}

void mapRecord(const Record& r, const MappingOptions& options, Event* out)
{
    Event& e = *out;
    const QString partitionStream = r.topic + u'/' + QString::number(r.partition);
    // The stream: the key as text; a key that is not UTF-8 by its base64, keyless records by partition.
    if (options.streamByPartition || !r.key || r.key->isEmpty())
        e.stream = partitionStream;
    else if (const auto k = utf8(*r.key))
        e.stream = *k;
    else
        e.stream = QStringLiteral("base64:") + QString::fromLatin1(base64(*r.key));

    // Headers, in order; a name given more than once keeps every value (an array).
    Attributes header;
    QByteArray headers = "{";
    // Few headers per record: a list scanned, not a hash.
    QList<QPair<QByteArray, QList<QByteArray>>> seen;
    for (const auto& h : r.headers) {
        // Named locals, not a structured binding: the lambdas below capture them (clang 14, the fuzz preset's
        // compiler, cannot capture bindings).
        const auto& name = h.first;
        const auto& value = h.second;
        const QByteArray json = value ? bytesJson(*value) : QByteArray("null");
        auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == name; });
        if (it == seen.end())
            seen.append({name, {json}});
        else
            it->second << json;
        if (!value) continue;
        const auto text = utf8(*value);
        if (!text) continue;
        auto isName = [&](std::initializer_list<const char*> names) {
            for (const char* n : names)
                if (name.compare(n, Qt::CaseInsensitive) == 0) return true;
            return false;
        };
        if (!options.typeHeader.isEmpty() && name == options.typeHeader.toUtf8())
            header.type = *text;
        else if (isName({"ce_type", "type", "eventType"}) && header.type.isEmpty())
            header.type = *text;
        else if (isName({"ce_id"}))
            header.id = *text;
        else if (isName({"ce_time"}))
            header.time = *text;
        else if (isName({"correlationId", "correlation_id", "ce_correlationid"}))
            header.correlation = *text;
        else if (isName({"causationId", "causation_id", "ce_causationid"}))
            header.causation = *text;
        else if (isName({"traceparent", "ce_traceparent"}))
            header.traceparent = *text;
    }
    for (const auto& [name, values] : seen) {
        const QString n = utf8(name).value_or(QStringLiteral("base64:") + QString::fromLatin1(base64(name)));
        if (headers.size() > 1) headers += ',';
        appendJsonString(headers, n);
        headers += ':';
        if (values.size() == 1)
            headers += values.first();
        else
            headers += '[' + values.join(',') + ']';
    }
    headers += '}';

    QByteArray meta;
    meta.reserve(160 + headers.size());
    meta += '{';
    addMember(meta, "topic", remote::jsonString(r.topic));
    addMember(meta, "partition", QByteArray::number(r.partition));
    addMember(meta, "offset", QByteArray::number(r.offset));
    if (r.timestamp >= 0)
        addMember(meta, "timestampType", r.timestampType == 2 ? "\"LogAppendTime\"" : "\"CreateTime\"");
    if (r.key && !r.key->isEmpty()) addMember(meta, "key", bytesJson(*r.key));

    Attributes ce; // from a structured CloudEvents value
    if (!r.value) {
        // A tombstone: the key's entity is deleted. Its data is null, so the state after it is empty.
        e.data = "null";
        e.dataIsJson = true;
        addMember(meta, "tombstone", "true");
    } else {
        const QByteArray& v = *r.value;
        int schemaId = -1;
        if (isWireFormat(v, &schemaId)) {
            addMember(meta, "schemaId", QByteArray::number(schemaId));
            SchemaDecoder::Decoded d;
            if (options.decoder)
                d = options.decoder->decode(v, schemaId);
            else
                d.why = QStringLiteral("no schema registry given (?schemaRegistry=http://host:8081)");
            if (d.ok) {
                e.data = d.json;
                e.dataIsJson = true;
                addMember(meta, "valueFormat", remote::jsonString(QStringLiteral("confluent-") + d.format));
            } else {
                // Shown as what it is: schema'd bytes, undecoded, with the reason.
                e.data = remote::jsonString(QString::fromLatin1(base64(v)));
                e.dataIsJson = false;
                addMember(meta, "valueFormat", "\"confluent-wire-format\"");
                addMember(meta, "valueEncoding", "\"base64\"");
                addMember(meta, "valueSize", QByteArray::number(v.size()));
                addMember(meta, "undecoded", remote::jsonString(d.why));
            }
        } else if (v.isEmpty()) {
            e.data = "\"\"";
            e.dataIsJson = false;
        } else if (compactJson(v, &e.data)) {
            e.dataIsJson = true;
            // A structured CloudEvent: the envelope's attributes, its data as the event's data.
            if (e.data.startsWith('{') && e.data.contains("\"specversion\"")) {
                if (const auto parsed = parseJsonStrict(e.data); parsed && parsed->isObject()) {
                    const QJsonObject o = parsed->toObject();
                    if (o.contains(QLatin1String("specversion")) && o.contains(QLatin1String("type"))) {
                        ce.type = jsonStringValue(o.value(QLatin1String("type")));
                        ce.id = jsonStringValue(o.value(QLatin1String("id")));
                        ce.time = jsonStringValue(o.value(QLatin1String("time")));
                        ce.correlation = jsonStringValue(o.value(QLatin1String("correlationid")));
                        ce.causation = jsonStringValue(o.value(QLatin1String("causationid")));
                        ce.traceparent = jsonStringValue(o.value(QLatin1String("traceparent")));
                        QByteArray envelope = "{";
                        for (auto it = o.begin(); it != o.end(); ++it)
                            if (it.key() != u"data" && it.key() != u"data_base64") {
                                if (envelope.size() > 1) envelope += ',';
                                appendJsonString(envelope, it.key()); // the producer's names: escaped
                                envelope += ':' + toJsonText(it.value());
                            }
                        envelope += '}';
                        addMember(meta, "cloudEvent", envelope);
                        if (o.contains(QLatin1String("data")))
                            e.data = toJsonText(o.value(QLatin1String("data")));
                        else if (o.contains(QLatin1String("data_base64"))) {
                            e.data = toJsonText(o.value(QLatin1String("data_base64")));
                            e.dataIsJson = false;
                        } else
                            e.data = "null";
                    }
                }
            }
        } else if (const auto text = utf8(v)) {
            // Text that is not JSON: kept as a string, said so.
            e.data = remote::jsonString(*text);
            e.dataIsJson = false;
            addMember(meta, "valueFormat", "\"text\"");
        } else {
            e.data = remote::jsonString(QString::fromLatin1(base64(v)));
            e.dataIsJson = false;
            addMember(meta, "valueFormat", "\"binary\"");
            addMember(meta, "valueEncoding", "\"base64\"");
            addMember(meta, "valueSize", QByteArray::number(v.size()));
        }
    }

    // Type: a header, a structured CloudEvent's type, else the topic.
    e.type = !header.type.isEmpty() ? header.type : !ce.type.isEmpty() ? ce.type : r.topic;
    if (!r.value && header.type.isEmpty()) e.type = QStringLiteral("$tombstone");
    // Time: the CloudEvents time when there is one that parses, else the record's timestamp.
    e.time = r.timestamp >= 0 ? TimeMs(r.timestamp) : kNoTime;
    const QString ceTime = !header.time.isEmpty() ? header.time : ce.time;
    if (!ceTime.isEmpty()) {
        if (const auto t = parseTime(ceTime)) e.time = *t;
    }
    const QString ceId = !header.id.isEmpty() ? header.id : ce.id;
    e.id = !ceId.isEmpty() ? ceId : partitionStream + u'@' + QString::number(r.offset);

    // Correlation and causation: explicit ids first, else the trace context (trace id, parent span id).
    QString correlation = !header.correlation.isEmpty() ? header.correlation : ce.correlation;
    QString causation = !header.causation.isEmpty() ? header.causation : ce.causation;
    const QString tp = !header.traceparent.isEmpty() ? header.traceparent : ce.traceparent;
    QString traceId, parentId;
    if (!tp.isEmpty() && parseTraceparent(tp, &traceId, &parentId)) {
        if (correlation.isEmpty()) correlation = traceId;
        if (causation.isEmpty()) causation = parentId;
    }
    if (!correlation.isEmpty()) addMember(meta, "correlationId", remote::jsonString(correlation));
    if (!causation.isEmpty()) addMember(meta, "causationId", remote::jsonString(causation));
    if (headers.size() > 2) addMember(meta, "headers", headers);
    meta += '}';
    e.metadata = meta;
}

} // namespace chronoscope::kafka
