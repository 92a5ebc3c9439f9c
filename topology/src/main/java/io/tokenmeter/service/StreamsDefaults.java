package io.tokenmeter.service;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.topics.TopicCatalog;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The opinionated Kafka Streams settings, in one place: exactly-once v2, explicit names for every internal topic
 * and store, dead letters instead of crashes, acks=all, static group membership (what each costs or saves after a
 * crash: docs/operations-recovery.md). Anything here can be overridden with {@code kafka.*} keys.
 */
public final class StreamsDefaults {

    private StreamsDefaults() {
    }

    public static Properties properties(TokenmeterConfig config, TopicCatalog topics) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.getString(TokenmeterConfig.PROCESSING_GUARANTEE));
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(TokenmeterConfig.STATE_DIR));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(TokenmeterConfig.STREAM_THREADS));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(TokenmeterConfig.COMMIT_INTERVAL));
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.topicReplication());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(DeadLetterHandler.DLQ_TOPIC_CONFIG, topics.dlq().name());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        // tokenmeter keeps its own event time (watermarks), so Kafka Streams need not hold a task back until every input
        // partition has buffered data to pick the oldest record: with idling disabled it processes what it has. With it
        // on (0, the default), a task with an empty input formats log strings on every record and waits on fetches:
        // measured +30 % end-to-end in `tokenmeter bench`
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
        // larger, fuller batches: measured +20 % end-to-end in `tokenmeter bench`, at 20 ms latency per hop
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 20);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 131_072);
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.putAll(config.kafkaClientProperties());
        return props;
    }

    /**
     * The settings of a running instance: {@link #properties(TokenmeterConfig, TopicCatalog)} plus static group
     * membership under {@code instanceId} (see {@link InstanceId}), unless {@code kafka.group.instance.id} or the
     * streams group protocol (which has no static membership) is configured.
     */
    public static Properties properties(TokenmeterConfig config, TopicCatalog topics, String instanceId) {
        Properties props = properties(config, topics);
        boolean ownInstanceId = props.containsKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG)
                || props.containsKey(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG))
                || props.containsKey(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
        boolean streamsProtocol = "streams".equalsIgnoreCase(String.valueOf(props.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)));
        if (!ownInstanceId && !streamsProtocol) {
            // a restart after a crash is the same static member: the coordinator hands it the dead member's partitions
            // at once; a dynamic member waited for the dead one's session to expire (45 s) before the group could form.
            // A clean close still leaves the group (StreamsService#close), so other instances take over at once.
            props.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
        }
        return props;
    }
}
