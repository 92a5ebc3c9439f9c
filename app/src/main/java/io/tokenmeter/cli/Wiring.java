package io.tokenmeter.cli;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.ingest.KafkaReachability;
import io.tokenmeter.registry.SchemaRegistryClient;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.time.Duration;
import java.util.function.Function;

/** Builds the objects every command shares from the configuration. */
final class Wiring {

    private static final Duration REACHABLE_WITHIN = Duration.ofSeconds(15);

    private Wiring() {
    }

    static TopicCatalog catalog(TokenmeterConfig config, SchemaRegistryClients registries) {
        SchemaRegistryClient registry = registries.open(config.schemaRegistryUrl(), config.registrySettings());
        return new TopicCatalog(config.topicPrefix(), registry, config.topicPartitions());
    }

    /**
     * The catalog topic {@code which} picks, once the cluster has answered and the topic is there; otherwise a clear
     * error (no broker at --bootstrap-servers, or a topic to create with `tokenmeter run`).
     */
    static <K, V> Topic<K, V> requireTopic(TokenmeterConfig config, Function<TopicCatalog, Topic<K, V>> which) {
        Topic<K, V> topic = which.apply(catalog(config, new SchemaRegistryClients()));
        KafkaReachability.requireTopic(config.kafkaClientProperties(), topic.name(), REACHABLE_WITHIN);
        return topic;
    }
}
