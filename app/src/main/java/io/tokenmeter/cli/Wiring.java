package io.tokenmeter.cli;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.registry.SchemaRegistryClient;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.topics.TopicCatalog;

/** Builds the objects every command shares from the configuration. */
final class Wiring {

    private Wiring() {
    }

    static TopicCatalog catalog(TokenmeterConfig config, SchemaRegistryClients registries) {
        SchemaRegistryClient registry = registries.open(config.schemaRegistryUrl(), config.registrySettings());
        return new TopicCatalog(config.topicPrefix(), registry, config.topicPartitions());
    }
}
