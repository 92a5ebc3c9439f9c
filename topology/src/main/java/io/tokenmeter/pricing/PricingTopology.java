package io.tokenmeter.pricing;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.LatestByKey;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.TopicCatalog;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * usage → usage.priced. Every instance holds every price (a global store fed by the compacted prices topic, keyed
 * per effective-dated entry so history is never compacted away); each call is priced with the entry in force at
 * its event time, so late events and replays are priced exactly as they would have been on time.
 */
public final class PricingTopology {

    public static final String PRICES_STORE = "pricing-prices-store";

    /** What pricing can be tuned with. */
    public record Settings(List<String> billedStatusCodes, String stage, EventTime.Settings eventTime) {
    }

    private PricingTopology() {
    }

    /**
     * Adds pricing to {@code builder} and returns the priced stream, keyed by tenant, for later steps to build on. The
     * event-time stores of {@code settings.stage()} must be in the builder: pricing is the first processor of that stage.
     */
    public static KStream<String, PricedUsage> build(StreamsBuilder builder, TopicCatalog topics, Settings settings, PipelineMetrics metrics) {
        AtomicLong pricesVersion = new AtomicLong();
        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PRICES_STORE), Serdes.String(), topics.prices().valueSerde())
                        .withLoggingDisabled(),
                topics.prices().name(),
                Consumed.with(topics.prices().keySerde(), topics.prices().valueSerde()).withName("pricing-prices-source"),
                () -> new LatestByKey<>(PRICES_STORE, pricesVersion::incrementAndGet)); // pricing processors reload on a new version

        BillingPolicy billing = new BillingPolicy(settings.billedStatusCodes());
        KStream<String, PricedUsage> priced = builder
                .stream(topics.usage().name(), Consumed.with(topics.usage().keySerde(), topics.usage().valueSerde()).withName("pricing-usage-source"))
                .process(() -> new PricingProcessor(pricesVersion, billing, metrics, settings.stage(), settings.eventTime()), Named.as("pricing-price"),
                        EventTime.stores(settings.stage()));
        priced.to(topics.pricedUsage().name(), Produced.with(topics.pricedUsage().keySerde(), topics.pricedUsage().valueSerde())
                .withName("pricing-priced-sink"));
        return priced;
    }
}
