#pragma once
// The topics of a Kafka cluster, for the Open Remote dialog's topic picker (docs/remote.md "Kafka").
// Plain Qt types: the app never sees librdkafka.

#include <QList>
#include <QString>

namespace chronoscope {

struct KafkaTopicInfo
{
    QString name;
    int partitions = 0;
    qint64 messages = -1; ///< high minus low watermark summed over partitions (-1 when unknown)
    QString error;        ///< the broker's error for this topic ("not authorised"), empty when none
};

/// Lists the cluster's topics (internal "__" topics left out), sorted by name, with partition and message
/// counts. uri: kafka://host:port[,host:port...]/[...]; credentials as for reading. False with *error.
bool listKafkaTopics(const QString& uri, QList<KafkaTopicInfo>* topics, QString* error);

} // namespace chronoscope
