#pragma once
// Internal to the Kafka target: values in the Confluent wire format (a zero byte, a 4-byte big-endian
// schema id, then the encoded value) and their decoding with schemas from a Schema Registry
// (GET /schemas/ids/{id}; docs/remote.md "Kafka" -> "Schema'd values").

#include "sources/remote/remoteclient.h"

#include <QHash>

#include <memory>

namespace chronoscope::remote {
class HttpSession;
}

namespace chronoscope::kafka {

/// True when the value has the wire format's header (so it is not text: JSON never starts with a zero byte).
bool isWireFormat(const QByteArray& value, int* schemaId = nullptr);

class SchemaDecoder
{
public:
    /// registry: http(s)://host:port of a Schema Registry; empty = none (values are only recognised).
    SchemaDecoder(const RemoteEndpoint& kafka, const QString& registry);
    ~SchemaDecoder();

    struct Decoded
    {
        bool ok = false;
        QByteArray json; ///< compact JSON of the value when ok
        QString format;  ///< "avro", "json", "protobuf", "unknown"
        QString why;     ///< when not ok: why the value stays undecoded
    };
    /// Decodes a wire-format value (isWireFormat() true). Schemas are fetched once per id and kept.
    Decoded decode(const QByteArray& value, int schemaId);

private:
    struct Schema;
    Schema* schema(int id, QString* why);

    RemoteEndpoint m_ep; ///< the registry's endpoint (its own URL; the broker's secret is not sent there)
    QString m_registry;
    std::unique_ptr<remote::HttpSession> m_http;
    QHash<int, std::shared_ptr<Schema>> m_schemas;
    QHash<int, QString> m_failed; ///< ids whose schema could not be had, with why (asked once)
};

} // namespace chronoscope::kafka
