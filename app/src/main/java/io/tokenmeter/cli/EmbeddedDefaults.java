package io.tokenmeter.cli;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.prices.CatalogRead;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;

/** What the embedded mode sets up before the service starts: the topics, and the shipped price catalog when no prices exist yet. */
final class EmbeddedDefaults {

    private EmbeddedDefaults() {
    }

    /** Creates topics and loads the default prices if the prices topic is empty; returns how many entries it loaded. */
    static int prepare(TokenmeterConfig config, TopicCatalog topics) {
        StreamsService.createTopics(config, topics);
        if (!PricePublisher.readAll(config.kafkaClientProperties(), topics.prices()).isEmpty()) {
            return 0; // the user's own prices (or an earlier load) are there: never overwrite them
        }
        CatalogRead catalog = PriceCatalogs.defaultCatalog();
        return PricePublisher.publish(config.kafkaClientProperties(), topics.prices(), catalog.entries());
    }
}
