// Kafka topics as event streams, read-only, through librdkafka (docs/remote.md "Kafka").
//
// Read-only by construction: the handle is a consumer without group.id, so it cannot join a group or
// commit offsets (librdkafka needs a group for both); auto commit and offset storing are off as well,
// topics are never auto-created (allow.auto.create.topics=false), and partitions are consumed with the
// per-partition API (rd_kafka_consume_start / rd_kafka_consume_batch), which assigns, never subscribes.
// Nothing here produces. The broker facts relied on are from librdkafka's rdkafka.h (2.0.2): offsets
// for times, watermarks, partition EOF events, and the auto.offset.reset=error event for an offset that
// retention removed.

#include "sources/kafka/kafkamapping.h"
#include "sources/kafka/kafkaschema.h"
#include "sources/kafka/kafkatopics.h"
#include "sources/remote/remoteclients_p.h"
#include "sources/sourceregistry.h"

#include "model/glob.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QMutex>
#include <QUrlQuery>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <deque>
#include <queue>

namespace chronoscope {

Q_LOGGING_CATEGORY(lcKafka, "chronoscope.kafka", QtWarningMsg)

namespace remote {

namespace {

using kafka::Record;

/// Errors librdkafka reports through its error callback (from its own threads).
struct ErrorLog
{
    QMutex mutex;
    QList<QPair<rd_kafka_resp_err_t, QString>> errors;
    void add(rd_kafka_resp_err_t err, const QString& reason)
    {
        QMutexLocker lock(&mutex);
        errors << qMakePair(err, reason);
        if (errors.size() > 50) errors.removeFirst();
    }
    QList<QPair<rd_kafka_resp_err_t, QString>> take()
    {
        QMutexLocker lock(&mutex);
        return std::exchange(errors, {});
    }
    QList<QPair<rd_kafka_resp_err_t, QString>> peek()
    {
        QMutexLocker lock(&mutex);
        return errors;
    }
};

void onError(rd_kafka_t*, int err, const char* reason, void* opaque)
{
    static_cast<ErrorLog*>(opaque)->add(rd_kafka_resp_err_t(err), QString::fromUtf8(reason));
}

void onLog(const rd_kafka_t*, int level, const char* fac, const char* buf)
{
    // librdkafka's own log lines (they hold no secrets) go to the category, not to stderr.
    Q_UNUSED(level);
    qCDebug(lcKafka) << fac << buf;
}

/// Keys the user may not set: they would make the reader part of a group, commit, or create topics.
bool forbiddenKey(const QString& k)
{
    static const QStringList keys = {QStringLiteral("group.id"),
                                     QStringLiteral("group.instance.id"),
                                     QStringLiteral("enable.auto.commit"),
                                     QStringLiteral("auto.commit.enable"),
                                     QStringLiteral("enable.auto.offset.store"),
                                     QStringLiteral("allow.auto.create.topics"),
                                     QStringLiteral("transactional.id"),
                                     QStringLiteral("bootstrap.servers"),
                                     QStringLiteral("metadata.broker.list"),
                                     QStringLiteral("auto.offset.reset")};
    return keys.contains(k);
}

struct Handle
{
    rd_kafka_t* rk = nullptr;
    ~Handle()
    {
        if (rk) rd_kafka_destroy(rk);
    }
};

struct Part
{
    QString topic;
    QByteArray topicBytes;
    rd_kafka_topic_t* rkt = nullptr;
    int partition = 0;
    qint64 low = 0, high = 0;  ///< watermarks when the read began
    qint64 start = 0, end = 0; ///< the offsets read: [start, end)
    qint64 next = 0;           ///< the next offset expected
    bool started = false;
    bool done = false;
    int resets = 0; ///< out-of-range answers for an offset that exists
    struct Pending
    {
        qint64 time;
        qint64 offset;
        Event event;
    };
    std::deque<Pending> buffer; ///< mapped, in the scope, not yet merged
    QList<Pending> overflow;    ///< fetched beyond `end` during the read: the tail's first events
};

class KafkaClient : public RemoteClient
{
public:
    using RemoteClient::RemoteClient;
    ~KafkaClient() override { stopAll(); }

    QString layout() const override { return QStringLiteral("kafka"); }
    QString describe() const override { return QStringLiteral("Kafka at %1").arg(m_ep.display); }
    QStringList warnings() const override { return m_warnings; }

    bool connect(QString* error) override
    {
        if (m_handle.rk) return true;
        if (!createHandle(error)) return false;
        const rd_kafka_metadata_t* md = nullptr;
        if (!fetchMetadata(&md, error)) return false;
        const bool ok = resolveTopics(md, error);
        rd_kafka_metadata_destroy(md);
        if (!ok) return false;
        // Memory whatever the number of partitions: their prefetch queues together hold about 64 MB at most.
        int partitions = 0;
        for (int n : std::as_const(m_partitionCounts))
            partitions += n;
        const int perPartitionKb = std::clamp(65536 / std::max(1, partitions), 1024, kPrefetchKb);
        if (perPartitionKb < kPrefetchKb) {
            rd_kafka_destroy(m_handle.rk);
            m_handle.rk = nullptr;
            if (!createHandle(error, perPartitionKb)) return false;
        }
        return true;
    }

    bool read(const RemoteScope& scope, const PageSink& sink, QString* error) override
    {
        if (!connect(error)) return false;
        m_scope = scope;
        m_mapping.streamByPartition =
            m_ep.option(QStringLiteral("stream")).compare(u"partition", Qt::CaseInsensitive) == 0;
        m_mapping.typeHeader = m_ep.option(QStringLiteral("typeheader"));
        const QString registry =
            QUrlQuery(m_ep.url).queryItemValue(QStringLiteral("schemaRegistry"), QUrl::FullyDecoded);
        m_decoder = std::make_unique<kafka::SchemaDecoder>(m_ep, registry);
        m_mapping.decoder = m_decoder.get();
        QElapsedTimer timer;
        timer.start();
        if (!plan(error)) return false;
        qCDebug(lcKafka) << "planned" << m_parts.size() << "partitions in" << timer.elapsed() << "ms";
        for (Part& p : m_parts)
            if (!startPart(p, p.start, error)) return false;
        const bool ok = merge(sink, error);
        qCDebug(lcKafka) << "read in" << timer.elapsed() << "ms";
        return ok;
    }

    bool tail(const PageSink& sink, QString* error) override
    {
        if (!connect(error)) return false;
        if (m_parts.isEmpty()) {
            // A tail without a read (last=0 of nothing): start at the ends.
            if (!plan(error)) return false;
            for (Part& p : m_parts) {
                p.start = p.end = p.next = p.high;
                if (!startPart(p, p.high, error)) return false;
            }
        }
        QList<Part::Pending> fresh;
        for (Part& p : m_parts)
            fresh += std::exchange(p.overflow, {});
        std::vector<rd_kafka_message_t*> msgs(1000);
        QElapsedTimer rescan;
        rescan.start();
        while (!isCancelled()) {
            if (rescan.elapsed() > 2000) {
                // Topics matching a glob, and partitions added to a topic, join the tail from their start.
                QString err;
                if (!discoverPartitions(&err)) {
                    if (error) *error = err;
                    return false;
                }
                rescan.restart();
            }
            for (Part& p : m_parts) {
                const ssize_t n = rd_kafka_consume_batch(p.rkt, p.partition, 0, msgs.data(), msgs.size());
                for (ssize_t i = 0; i < n; ++i) {
                    QString err;
                    if (!takeMessage(p, msgs[size_t(i)], /*tailing=*/true, &fresh, &err)) {
                        for (ssize_t j = i; j < n; ++j)
                            rd_kafka_message_destroy(msgs[size_t(j)]);
                        if (error) *error = err;
                        return false;
                    }
                    rd_kafka_message_destroy(msgs[size_t(i)]);
                }
            }
            if (fresh.isEmpty()) {
                if (!sleepUnlessCancelled(10)) break;
                continue;
            }
            std::stable_sort(fresh.begin(), fresh.end(),
                             [](const Part::Pending& a, const Part::Pending& b) { return a.time < b.time; });
            QList<Event> page;
            page.reserve(fresh.size());
            for (Part::Pending& pe : fresh)
                page << stamp(std::move(pe.event));
            fresh.clear();
            if (!sink(page)) return true;
        }
        return true;
    }

    /// New topics (for a glob) and partitions since the read began, started at their first offset.
    bool discoverPartitions(QString* error)
    {
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(m_handle.rk, 1, nullptr, &md, 1000) != RD_KAFKA_RESP_ERR_NO_ERROR)
            return true; // the broker is busy or away: librdkafka reconnects, the next round asks again
        const QStringList before = m_topics;
        QString ignored;
        const bool ok = resolveTopics(md, &ignored);
        rd_kafka_metadata_destroy(md);
        if (!ok) {
            m_topics = before; // a topic deleted meanwhile: keep following the others
            return true;
        }
        for (const QString& topic : std::as_const(m_topics)) {
            for (int p = 0; p < m_partitionCounts.value(topic); ++p) {
                const bool known = std::any_of(m_parts.begin(), m_parts.end(), [&](const Part& x) {
                    return x.topic == topic && x.partition == p;
                });
                if (known) continue;
                Part part;
                part.topic = topic;
                part.topicBytes = topic.toUtf8();
                part.partition = p;
                part.done = true;
                m_parts << part;
                if (!startPart(m_parts.last(), RD_KAFKA_OFFSET_BEGINNING, error)) return false;
            }
        }
        return true;
    }

    /// For the topic picker.
    bool topicInfos(QList<KafkaTopicInfo>* out, QString* error)
    {
        if (!createHandle(error)) return false;
        const rd_kafka_metadata_t* md = nullptr;
        if (!fetchMetadata(&md, error)) return false;
        QList<KafkaTopicInfo> infos;
        rd_kafka_topic_partition_list_t* lows = rd_kafka_topic_partition_list_new(64);
        rd_kafka_topic_partition_list_t* highs = rd_kafka_topic_partition_list_new(64);
        for (int t = 0; t < md->topic_cnt; ++t) {
            const auto& mt = md->topics[t];
            const QString name = QString::fromUtf8(mt.topic);
            if (name.startsWith(QLatin1String("__"))) continue;
            KafkaTopicInfo info;
            info.name = name;
            info.partitions = mt.partition_cnt;
            if (mt.err) info.error = QString::fromUtf8(rd_kafka_err2str(mt.err));
            for (int p = 0; p < mt.partition_cnt && !mt.err; ++p) {
                rd_kafka_topic_partition_list_add(lows, mt.topic, mt.partitions[p].id)->offset =
                    RD_KAFKA_OFFSET_BEGINNING;
                rd_kafka_topic_partition_list_add(highs, mt.topic, mt.partitions[p].id)->offset =
                    RD_KAFKA_OFFSET_END;
            }
            infos << info;
        }
        rd_kafka_metadata_destroy(md);
        const bool okLow =
            rd_kafka_offsets_for_times(m_handle.rk, lows, m_ep.timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
        const bool okHigh =
            rd_kafka_offsets_for_times(m_handle.rk, highs, m_ep.timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (okLow && okHigh) {
            QHash<QString, qint64> counts;
            for (int i = 0; i < highs->cnt; ++i) {
                const auto& h = highs->elems[i];
                const auto& l = lows->elems[i];
                if (h.err || l.err || h.offset < 0 || l.offset < 0) continue;
                counts[QString::fromUtf8(h.topic)] += h.offset - l.offset;
            }
            for (KafkaTopicInfo& info : infos)
                if (info.error.isEmpty()) info.messages = counts.value(info.name, 0);
        }
        rd_kafka_topic_partition_list_destroy(lows);
        rd_kafka_topic_partition_list_destroy(highs);
        std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        *out = infos;
        return true;
    }

private:
    QString bootstrap() const
    {
        QString extra;
        singleHostUri(m_ep.uri, &extra);
        QString first = m_ep.host.contains(u':') ? u'[' + m_ep.host + u']' : m_ep.host;
        first += u':' + QString::number(m_ep.port > 0 ? m_ep.port : 9092);
        QStringList hosts = {first};
        for (const QString& h : extra.split(u',', Qt::SkipEmptyParts))
            hosts << (h.contains(u':') ? h : h + QStringLiteral(":9092"));
        return hosts.join(u',');
    }

    bool set(rd_kafka_conf_t* conf, const QString& key, const QString& value, QString* error)
    {
        char err[512];
        if (rd_kafka_conf_set(conf, key.toUtf8().constData(), value.toUtf8().constData(), err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
            // The message names the key, never the value (it may be a secret).
            if (error)
                *error = QStringLiteral("%1: the Kafka setting %2 is not accepted: %3")
                             .arg(m_ep.display, key, QString::fromUtf8(err));
            return false;
        }
        return true;
    }

    static constexpr int kPrefetchKb = 8192;

    bool createHandle(QString* error, int prefetchKb = kPrefetchKb)
    {
        if (m_handle.rk) return true;
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        auto fail = [&]() {
            rd_kafka_conf_destroy(conf);
            return false;
        };
        const QList<QPair<QString, QString>> fixed = {
            {QStringLiteral("bootstrap.servers"), bootstrap()},
            {QStringLiteral("client.id"), QStringLiteral("chronoscope")},
            // Read-only (see the top of this file): no group, no commits, no stored offsets, no topic
            // creation.
            {QStringLiteral("enable.auto.commit"), QStringLiteral("false")},
            {QStringLiteral("enable.auto.offset.store"), QStringLiteral("false")},
            {QStringLiteral("allow.auto.create.topics"), QStringLiteral("false")},
            // A removed offset is an error we report (retention), never a silent jump.
            {QStringLiteral("auto.offset.reset"), QStringLiteral("error")},
            {QStringLiteral("enable.partition.eof"), QStringLiteral("true")},
            // Live tail latency: a fetch with no data comes back within 100 ms.
            {QStringLiteral("fetch.wait.max.ms"), QStringLiteral("100")},
            {QStringLiteral("fetch.error.backoff.ms"), QStringLiteral("100")},
            // Bounded memory: each partition's prefetch queue holds a few MB at most.
            {QStringLiteral("queued.max.messages.kbytes"), QString::number(prefetchKb)},
            {QStringLiteral("queued.min.messages"), QStringLiteral("20000")},
            {QStringLiteral("reconnect.backoff.max.ms"), QStringLiteral("1000")},
            {QStringLiteral("log.connection.close"), QStringLiteral("false")},
        };
        for (const auto& [k, v] : fixed)
            if (!set(conf, k, v, error)) return fail();
        // librdkafka settings pass through as query keys with a dot (security.protocol, sasl.mechanism, ...).
        const QUrlQuery query(m_ep.url);
        bool haveProtocol = false, haveMechanism = false, haveUser = false, havePassword = false;
        for (const auto& [key, value] : query.queryItems(QUrl::FullyDecoded)) {
            const QString k = key.toLower();
            if (!k.contains(u'.') && k != u"debug")
                continue; // Chronoscope's own keys (streams, since, timeout, stream, typeHeader, ...)
            if (forbiddenKey(k)) {
                if (error)
                    *error =
                        QStringLiteral("%1: %2 cannot be set: Chronoscope reads Kafka read-only, without a "
                                       "consumer group, commits or topic creation")
                            .arg(m_ep.display, k);
                return fail();
            }
            if (!set(conf, k, value, error)) return fail();
            haveProtocol |= k == u"security.protocol";
            haveMechanism |= k == u"sasl.mechanism" || k == u"sasl.mechanisms";
            haveUser |= k == u"sasl.username";
            havePassword |= k == u"sasl.password";
        }
        // The user from the URI; the password from the URI, else $CHRONOSCOPE_PASSWORD (never logged).
        QString user = m_ep.url.userName();
        if (user.isEmpty() && !haveUser) user = QString::fromUtf8(qgetenv("CHRONOSCOPE_USER"));
        QString password = m_ep.url.password();
        if (password.isEmpty() && !havePassword)
            password = QString::fromUtf8(qgetenv("CHRONOSCOPE_PASSWORD"));
        if (!user.isEmpty() && !haveUser) {
            if (!haveProtocol &&
                !set(conf, QStringLiteral("security.protocol"), QStringLiteral("SASL_SSL"), error))
                return fail();
            if (!haveMechanism &&
                !set(conf, QStringLiteral("sasl.mechanism"), QStringLiteral("PLAIN"), error))
                return fail();
            if (!set(conf, QStringLiteral("sasl.username"), user, error)) return fail();
        }
        if (!password.isEmpty() && !havePassword && (haveUser || !user.isEmpty()) &&
            !set(conf, QStringLiteral("sasl.password"), password, error))
            return fail();
        rd_kafka_conf_set_error_cb(conf, onError);
        rd_kafka_conf_set_log_cb(conf, onLog);
        rd_kafka_conf_set_opaque(conf, &m_errors);
        char err[512];
        m_handle.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        if (!m_handle.rk) {
            if (error)
                *error = QStringLiteral("%1: cannot create the Kafka client: %2")
                             .arg(m_ep.display, QString::fromUtf8(err));
            return fail();
        }
        return true;
    }

    /// The user's words for what the error callback saw; empty when nothing telling was seen.
    QString describeErrors(const QList<QPair<rd_kafka_resp_err_t, QString>>& errors) const
    {
        for (qsizetype i = errors.size() - 1; i >= 0; --i) {
            const auto& [err, reason] = errors[i];
            if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || reason.contains(QLatin1String("SASL")))
                return QStringLiteral("%1: SASL authentication failed: %2").arg(m_ep.display, reason);
            if (err == RD_KAFKA_RESP_ERR__SSL || reason.contains(QLatin1String("SSL")))
                return QStringLiteral("%1: the TLS handshake failed: %2").arg(m_ep.display, reason);
            if (err == RD_KAFKA_RESP_ERR__RESOLVE)
                return QStringLiteral("%1: a broker host name could not be found (DNS): %2")
                    .arg(m_ep.display, reason);
        }
        for (qsizetype i = errors.size() - 1; i >= 0; --i) {
            const auto& [err, reason] = errors[i];
            if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT)
                return QStringLiteral("%1: no Kafka broker answers at %2 (%3)")
                    .arg(m_ep.display, bootstrap(), reason);
        }
        return {};
    }

    bool fetchMetadata(const rd_kafka_metadata_t** md, QString* error)
    {
        QElapsedTimer timer;
        timer.start();
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        while (true) {
            err = rd_kafka_metadata(m_handle.rk, 1, nullptr, md, 250);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
            rd_kafka_poll(m_handle.rk, 0); // serves the error callback
            const auto errors = m_errors.peek();
            bool fatal = false;
            for (const auto& [e, reason] : errors)
                fatal |= e == RD_KAFKA_RESP_ERR__AUTHENTICATION || e == RD_KAFKA_RESP_ERR__SSL ||
                         e == RD_KAFKA_RESP_ERR__RESOLVE || e == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
            if (fatal || timer.elapsed() >= m_ep.timeoutMs || isCancelled()) break;
        }
        if (error) {
            if (isCancelled())
                *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
            else {
                *error = describeErrors(m_errors.take());
                if (error->isEmpty() && err == RD_KAFKA_RESP_ERR__TRANSPORT)
                    *error = QStringLiteral("%1: no Kafka broker answers at %2 (%3)")
                                 .arg(m_ep.display, bootstrap(), QString::fromUtf8(rd_kafka_err2str(err)));
                if (error->isEmpty())
                    *error = QStringLiteral("%1: the Kafka cluster at %2 did not answer within %3 ms (%4)")
                                 .arg(m_ep.display, bootstrap())
                                 .arg(m_ep.timeoutMs)
                                 .arg(QString::fromUtf8(rd_kafka_err2str(err)));
            }
        }
        return false;
    }

    bool resolveTopics(const rd_kafka_metadata_t* md, QString* error)
    {
        QString spec = m_ep.url.path(QUrl::FullyDecoded);
        while (spec.startsWith(u'/'))
            spec.remove(0, 1);
        const QStringList items = spec.split(u',', Qt::SkipEmptyParts);
        m_topics.clear();
        auto find = [&](const QString& name) -> const rd_kafka_metadata_topic_t* {
            for (int t = 0; t < md->topic_cnt; ++t)
                if (QString::fromUtf8(md->topics[t].topic) == name) return &md->topics[t];
            return nullptr;
        };
        auto check = [&](const rd_kafka_metadata_topic_t* mt, const QString& name) {
            if (!mt->err) return true;
            if (error) {
                if (mt->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                    *error =
                        QStringLiteral("%1: not authorised to read the topic '%2' (the broker refuses: %3)")
                            .arg(m_ep.display, name, QString::fromUtf8(rd_kafka_err2str(mt->err)));
                else if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                    *error = QStringLiteral("%1: the topic '%2' does not exist").arg(m_ep.display, name);
                else
                    *error = QStringLiteral("%1: the topic '%2' cannot be read: %3")
                                 .arg(m_ep.display, name, QString::fromUtf8(rd_kafka_err2str(mt->err)));
            }
            return false;
        };
        for (const QString& item : items.isEmpty() ? QStringList{QStringLiteral("*")} : items) {
            bool wild = false;
            globPrefix(item, &wild);
            if (!wild) {
                const auto* mt = find(item);
                if (!mt) {
                    QStringList names;
                    for (int t = 0; t < md->topic_cnt && names.size() < 10; ++t)
                        if (!QString::fromUtf8(md->topics[t].topic).startsWith(QLatin1String("__")))
                            names << QString::fromUtf8(md->topics[t].topic);
                    if (error)
                        *error = QStringLiteral("%1: the topic '%2' does not exist (topics: %3)")
                                     .arg(m_ep.display, item,
                                          names.isEmpty() ? QStringLiteral("none")
                                                          : names.join(QLatin1String(", ")));
                    return false;
                }
                if (!check(mt, item)) return false;
                if (!m_topics.contains(item)) m_topics << item;
                continue;
            }
            const bool hidden = item.startsWith(QLatin1String("__"));
            for (int t = 0; t < md->topic_cnt; ++t) {
                const QString name = QString::fromUtf8(md->topics[t].topic);
                if ((!hidden && name.startsWith(QLatin1String("__"))) || !globMatch(item, name)) continue;
                if (md->topics[t].err)
                    continue; // a glob leaves out topics it may not read; a named topic says why
                if (!m_topics.contains(name)) m_topics << name;
            }
        }
        if (m_topics.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: no topic matches '%2'")
                             .arg(m_ep.display, spec.isEmpty() ? QStringLiteral("*") : spec);
            return false;
        }
        m_topics.sort();
        m_partitionCounts.clear();
        for (const QString& name : m_topics)
            m_partitionCounts.insert(name, find(name)->partition_cnt);
        return true;
    }

    /// Offsets for a list of (topic, partition) at a timestamp (or BEGINNING/END); -1 where none.
    bool offsetsAt(qint64 when, QList<qint64>* out, QString* error)
    {
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(int(m_parts.size()));
        for (const Part& p : m_parts)
            rd_kafka_topic_partition_list_add(list, p.topicBytes.constData(), p.partition)->offset = when;
        const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(m_handle.rk, list, m_ep.timeoutMs);
        out->clear();
        bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; ok && i < list->cnt; ++i) {
            if (list->elems[i].err && error) {
                *error = QStringLiteral("%1: listing the offsets of %2/%3 failed: %4")
                             .arg(m_ep.display, QString::fromUtf8(list->elems[i].topic))
                             .arg(list->elems[i].partition)
                             .arg(QString::fromUtf8(rd_kafka_err2str(list->elems[i].err)));
                ok = false;
            }
            *out << list->elems[i].offset;
        }
        if (!ok && err && error) {
            *error = describeErrors(m_errors.take());
            if (error->isEmpty())
                *error = QStringLiteral("%1: listing offsets failed: %2")
                             .arg(m_ep.display, QString::fromUtf8(rd_kafka_err2str(err)));
        }
        rd_kafka_topic_partition_list_destroy(list);
        return ok;
    }

    /// The partitions and the offsets [start, end) the scope needs from each, pushed down to the broker:
    /// the window by offsets for times, the last N by offsets (N from the end of every partition).
    bool plan(QString* error)
    {
        stopAll();
        m_parts.clear();
        for (const QString& topic : m_topics) {
            for (int p = 0; p < m_partitionCounts.value(topic); ++p) {
                Part part;
                part.topic = topic;
                part.topicBytes = topic.toUtf8();
                part.partition = p;
                m_parts << part;
            }
        }
        QList<qint64> lows, highs;
        if (!offsetsAt(RD_KAFKA_OFFSET_BEGINNING, &lows, error) ||
            !offsetsAt(RD_KAFKA_OFFSET_END, &highs, error))
            return false;
        QList<qint64> froms, tos;
        if (m_scope.since != kNoTime && !offsetsAt(std::max<qint64>(0, m_scope.since), &froms, error))
            return false;
        if (m_scope.until != kNoTime && !offsetsAt(std::max<qint64>(0, m_scope.until + 1), &tos, error))
            return false;
        for (int i = 0; i < m_parts.size(); ++i) {
            Part& p = m_parts[i];
            p.low = std::max<qint64>(0, lows[i]);
            p.high = std::max(p.low, highs[i]);
            p.start = p.low;
            p.end = p.high;
            // -1 means "no record at or after that time", but some brokers (librdkafka's mock cluster) answer
            // -1 for every time: then the partition is read and filtered here, which is correct either way.
            if (!froms.isEmpty() && froms[i] >= 0) p.start = std::clamp(froms[i], p.low, p.high);
            if (!tos.isEmpty() && tos[i] >= 0) p.end = std::clamp(tos[i], p.start, p.high);
            if (m_scope.last >= 0) p.start = std::max(p.start, p.end - m_scope.last);
            p.next = p.start;
            p.done = p.start >= p.end;
        }
        return true;
    }

    bool startPart(Part& p, qint64 offset, QString* error)
    {
        if (!p.rkt) {
            rd_kafka_topic_conf_t* tconf = rd_kafka_topic_conf_new();
            char err[256];
            rd_kafka_topic_conf_set(tconf, "auto.offset.reset", "error", err, sizeof err);
            p.rkt = rd_kafka_topic_new(m_handle.rk, p.topicBytes.constData(), tconf);
            if (!p.rkt) {
                if (error) *error = QStringLiteral("%1: cannot open the topic %2").arg(m_ep.display, p.topic);
                return false;
            }
        }
        if (p.started) rd_kafka_consume_stop(p.rkt, p.partition);
        if (rd_kafka_consume_start(p.rkt, p.partition, offset) != 0) {
            if (error)
                *error = QStringLiteral("%1: cannot read %2/%3: %4")
                             .arg(m_ep.display, p.topic)
                             .arg(p.partition)
                             .arg(QString::fromUtf8(rd_kafka_err2str(rd_kafka_last_error())));
            return false;
        }
        p.started = true;
        p.next = offset;
        return true;
    }

    void stopAll()
    {
        for (Part& p : m_parts) {
            if (p.started) rd_kafka_consume_stop(p.rkt, p.partition);
            p.started = false;
            if (p.rkt) rd_kafka_topic_destroy(p.rkt);
            p.rkt = nullptr;
        }
    }

    bool inScope(const Event& e) const
    {
        if (m_scope.since != kNoTime && (e.time == kNoTime || e.time < m_scope.since)) return false;
        if (m_scope.until != kNoTime && (e.time == kNoTime || e.time > m_scope.until)) return false;
        return m_scope.streams.isEmpty() || globMatch(m_scope.streams, e.stream);
    }

    /// One message or event of a partition. Records inside [start, end) go to the partition's buffer,
    /// later ones to `later` (the tail). False with *error for an error that ends the read.
    bool takeMessage(Part& p, rd_kafka_message_t* m, bool tailing, QList<Part::Pending>* later,
                     QString* error)
    {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!tailing && m->offset >= p.end) p.done = true;
            return true;
        }
        if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
            m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
            // Retention (or a deletion) removed records while they were being read: say so, go on from the
            // partition's new start.
            int64_t low = -1, high = -1;
            rd_kafka_query_watermark_offsets(m_handle.rk, p.topicBytes.constData(), p.partition, &low, &high,
                                             m_ep.timeoutMs);
            const QString w =
                QStringLiteral("%1/%2: records from offset %3 were removed by retention while being read; "
                               "reading went on from offset %4")
                    .arg(p.topic)
                    .arg(p.partition)
                    .arg(p.next)
                    .arg(low);
            if (!m_warnings.contains(w)) m_warnings << w;
            if (low >= 0 && low <= p.next && ++p.resets <= 3) {
                // The offset is still there (a broker that moved its log start back, or answered wrongly):
                // say so and try it again.
                m_warnings.removeAll(w);
                const QString again =
                    QStringLiteral("%1/%2: the broker reported offset %3 out of range although the "
                                   "partition starts at %4; it was read again")
                        .arg(p.topic)
                        .arg(p.partition)
                        .arg(p.next)
                        .arg(low);
                if (!m_warnings.contains(again)) m_warnings << again;
                return startPart(p, p.next, error);
            }
            if (low < 0 || low <= p.next) {
                if (error)
                    *error = QStringLiteral("%1: %2/%3 offset %4 is out of range: %5")
                                 .arg(m_ep.display, p.topic)
                                 .arg(p.partition)
                                 .arg(p.next)
                                 .arg(QString::fromUtf8(rd_kafka_message_errstr(m)));
                return false;
            }
            if (!tailing && low >= p.end) {
                p.done = true;
                rd_kafka_consume_stop(p.rkt, p.partition);
                p.started = false;
                return true;
            }
            return startPart(p, low, error);
        }
        if (m->err) {
            if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                if (error)
                    *error = QStringLiteral("%1: %2/%3 cannot be read: %4")
                                 .arg(m_ep.display, p.topic)
                                 .arg(p.partition)
                                 .arg(QString::fromUtf8(rd_kafka_message_errstr(m)));
                return false;
            }
            qCDebug(lcKafka) << "transient:" << rd_kafka_message_errstr(m);
            return true; // transient: librdkafka retries
        }
        if (m->offset < p.next) return true; // already had it (a restart after a reset)
        p.next = m->offset + 1;
        Record r;
        r.topic = p.topic;
        r.partition = p.partition;
        r.offset = m->offset;
        rd_kafka_timestamp_type_t tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        r.timestamp = rd_kafka_message_timestamp(m, &tsType);
        r.timestampType = tsType == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? 1
                          : tsType == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 2
                                                                         : 0;
        if (m->key) r.key = QByteArray(static_cast<const char*>(m->key), qsizetype(m->key_len));
        if (m->payload) r.value = QByteArray(static_cast<const char*>(m->payload), qsizetype(m->len));
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
            const char* name = nullptr;
            const void* value = nullptr;
            size_t size = 0;
            for (size_t i = 0;
                 rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
                std::optional<QByteArray> v;
                if (value) v = QByteArray(static_cast<const char*>(value), qsizetype(size));
                r.headers << qMakePair(QByteArray(name), v);
            }
        }
        Part::Pending pe;
        pe.offset = m->offset;
        kafka::mapRecord(r, m_mapping, &pe.event);
        pe.time = pe.event.time == kNoTime ? std::numeric_limits<qint64>::min() : pe.event.time;
        const bool beyond = tailing || m->offset >= p.end;
        if (!beyond && p.next >= p.end) p.done = true;
        // The tail follows what comes after the window: only the stream glob applies to it.
        if (beyond) {
            if (m_scope.streams.isEmpty() || globMatch(m_scope.streams, pe.event.stream))
                later->append(std::move(pe));
        } else if (inScope(pe.event)) {
            p.buffer.push_back(std::move(pe));
        }
        return true;
    }

    /// What the partition's queue holds now, else the first record within timeoutMs and what came with it.
    /// (rd_kafka_consume_batch alone waits until the whole batch is there or the time is up.)
    ssize_t consumeSome(Part& p, std::vector<rd_kafka_message_t*>& msgs, int timeoutMs)
    {
        ssize_t n = rd_kafka_consume_batch(p.rkt, p.partition, 0, msgs.data(), msgs.size());
        if (n != 0) return n;
        rd_kafka_message_t* first = rd_kafka_consume(p.rkt, p.partition, timeoutMs);
        if (!first) return 0;
        msgs[0] = first;
        n = rd_kafka_consume_batch(p.rkt, p.partition, 0, msgs.data() + 1, msgs.size() - 1);
        return 1 + std::max<ssize_t>(0, n);
    }

    /// Fetches until the partition has a buffered record or is done. False with *error when it stalls
    /// (the broker went away) or fails.
    bool fill(Part& p, std::vector<rd_kafka_message_t*>& msgs, QString* error)
    {
        QElapsedTimer stalled;
        stalled.start();
        while (p.buffer.empty() && !p.done) {
            if (isCancelled()) {
                if (error) *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            const ssize_t n = consumeSome(p, msgs, 100);
            if (n > 0) stalled.restart();
            for (ssize_t i = 0; i < n; ++i) {
                QString err;
                const bool ok = takeMessage(p, msgs[size_t(i)], false, &p.overflow, &err);
                rd_kafka_message_destroy(msgs[size_t(i)]);
                if (!ok) {
                    for (ssize_t j = i + 1; j < n; ++j)
                        rd_kafka_message_destroy(msgs[size_t(j)]);
                    if (error) *error = err;
                    return false;
                }
            }
            if (n <= 0) rd_kafka_poll(m_handle.rk, 0); // serves the error callback
            if (n <= 0 && stalled.elapsed() > m_ep.timeoutMs) {
                QString why = describeErrors(m_errors.take());
                if (why.isEmpty())
                    why =
                        QStringLiteral("%1: no records came for %2 ms").arg(m_ep.display).arg(m_ep.timeoutMs);
                if (error)
                    *error = QStringLiteral("%1 while reading %2/%3 at offset %4 (what was read is kept)")
                                 .arg(why, p.topic)
                                 .arg(p.partition)
                                 .arg(p.next);
                return false;
            }
        }
        return true;
    }

    Event stamp(Event e)
    {
        e.position = ++m_lastPosition;
        e.version = m_versions[e.stream]++;
        return e;
    }

    bool merge(const PageSink& sink, QString* error)
    {
        qint64 total = 0;
        for (const Part& p : m_parts)
            total += p.end - p.start;
        if (m_scope.last >= 0) total = std::min(total, m_scope.last);
        // Up to 1000 records per partition are mapped ahead of the merge: memory is bounded by partitions x
        // 1000.
        std::vector<rd_kafka_message_t*> msgs(1000);
        // The canonical order: time, then topic and partition, then offset (Kafka itself has none across
        // partitions).
        auto later = [this](int a, int b) {
            const Part::Pending& x = m_parts[a].buffer.front();
            const Part::Pending& y = m_parts[b].buffer.front();
            if (x.time != y.time) return x.time > y.time;
            if (m_parts[a].topic != m_parts[b].topic) return m_parts[a].topic > m_parts[b].topic;
            if (m_parts[a].partition != m_parts[b].partition)
                return m_parts[a].partition > m_parts[b].partition;
            return x.offset > y.offset;
        };
        std::priority_queue<int, std::vector<int>, decltype(later)> heap(later);
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < m_parts.size(); ++i) {
            if (!fill(m_parts[i], msgs, error)) return false;
            if (!m_parts[i].buffer.empty()) heap.push(i);
        }
        qCDebug(lcKafka) << "first records of every partition in" << timer.elapsed() << "ms";
        // Last N overall: the newest N of the merged records, held in a ring until the end.
        std::deque<Event> ring;
        QList<Event> page;
        int want = pageSize(true);
        qint64 done = 0;
        auto flush = [&]() {
            done += page.size();
            reportProgress(done, total, QStringLiteral("%1 events read from %2").arg(done).arg(m_ep.display));
            const bool more = sink(page);
            page.clear();
            want = pageSize(false);
            return more;
        };
        qint64 merged = 0;
        while (!heap.empty()) {
            if ((++merged & 1023) == 0 && isCancelled()) {
                if (error) *error = QStringLiteral("Reading %1 was cancelled").arg(m_ep.display);
                return false;
            }
            const int i = heap.top();
            heap.pop();
            Part& p = m_parts[i];
            Event e = std::move(p.buffer.front().event);
            p.buffer.pop_front();
            if (p.buffer.empty() && !fill(p, msgs, error)) return false;
            if (!p.buffer.empty()) heap.push(i);
            if (m_scope.last >= 0) {
                ring.push_back(std::move(e));
                if (qint64(ring.size()) > m_scope.last) ring.pop_front();
                continue;
            }
            page << stamp(std::move(e));
            if (page.size() >= want && !flush()) return true;
        }
        for (Event& e : ring) {
            page << stamp(std::move(e));
            if (page.size() >= want && !flush()) return true;
        }
        if (!page.isEmpty()) flush();
        return true;
    }

    Handle m_handle;
    ErrorLog m_errors;
    QStringList m_topics;
    QHash<QString, int> m_partitionCounts;
    QList<Part> m_parts;
    RemoteScope m_scope;
    kafka::MappingOptions m_mapping;
    std::unique_ptr<kafka::SchemaDecoder> m_decoder;
    QHash<QString, qint64> m_versions;
    qint64 m_lastPosition = 0;
    QStringList m_warnings;
};

} // namespace

std::unique_ptr<RemoteClient> makeKafkaClient(const RemoteEndpoint& ep, QString*)
{
    return std::make_unique<KafkaClient>(ep);
}

} // namespace remote

bool listKafkaTopics(const QString& uri, QList<KafkaTopicInfo>* topics, QString* error)
{
    RemoteEndpoint ep;
    if (!RemoteEndpoint::parse(uri, &ep, error)) return false;
    if (ep.scheme != u"kafka") {
        if (error) *error = QStringLiteral("%1 is not a kafka:// URI").arg(ep.display);
        return false;
    }
    remote::KafkaClient client(ep);
    return client.topicInfos(topics, error);
}

} // namespace chronoscope
