// Built instead of the Kafka client when librdkafka was not found: kafka:// URIs get a clear error.

#include "sources/kafka/kafkatopics.h"
#include "sources/remote/remoteclients_p.h"

namespace chronoscope {

bool listKafkaTopics(const QString&, QList<KafkaTopicInfo>*, QString* error)
{
    if (error)
        *error = QStringLiteral(
            "this build of Chronoscope has no Kafka support (librdkafka was not found when it was built)");
    return false;
}

namespace remote {

std::unique_ptr<RemoteClient> makeKafkaClient(const RemoteEndpoint& ep, QString* error)
{
    if (error)
        *error = QStringLiteral(
                     "%1: this build of Chronoscope has no Kafka support (librdkafka was not found when it "
                     "was built; install librdkafka-dev and rebuild)")
                     .arg(ep.display);
    return nullptr;
}

} // namespace remote

} // namespace chronoscope
