#pragma once
// Internal to the Kafka target: one Kafka record as plain Qt values, and its canonical event
// (docs/remote.md "Kafka" -> "Mapping"). No librdkafka type here, so the mapping is the same for the read,
// the live tail and any test.

#include "model/event.h"

#include <QList>
#include <QPair>

#include <optional>

namespace chronoscope::kafka {

class SchemaDecoder;

struct Record
{
    QString topic;
    int partition = 0;
    qint64 offset = 0;
    qint64 timestamp = -1; ///< ms since the epoch; -1 when the record has none
    int timestampType = 0; ///< 0 none, 1 CreateTime, 2 LogAppendTime
    std::optional<QByteArray> key;
    std::optional<QByteArray> value; ///< nullopt: a tombstone
    QList<QPair<QByteArray, std::optional<QByteArray>>>
        headers; ///< in record order; a header value may be null
};

struct MappingOptions
{
    bool streamByPartition = false;   ///< ?stream=partition: every record's stream is "topic/partition"
    QString typeHeader;               ///< ?typeHeader=NAME, tried before the usual names
    SchemaDecoder* decoder = nullptr; ///< Confluent wire format values (null: detected, shown undecoded)
};

/// The event for a record: stream, type, time, id, data and metadata. Version and position are the caller's.
void mapRecord(const Record& r, const MappingOptions& options, Event* out);

/// Standard base64 of the bytes.
QByteArray base64(const QByteArray& bytes);

} // namespace chronoscope::kafka
