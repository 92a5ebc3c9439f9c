package io.tokenmeter.usage;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.TopicCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * usage.priced → 1-minute, 1-hour and 1-day tumbling windows per tenant, application, use case, cost center, agent,
 * model and deployment. Open windows are queryable in the stores; a window goes to usage.windows when the watermark
 * passes its end, and again, with the next revision number, for every call that comes after that; calls older than
 * every window kept go to the dead-letter topic as 'late'.
 */
public final class UsageWindowsTopology {

    public static final String EMITTED_STORE = "usage-windows-emitted-store";

    /**
     * Grace (the lateness the event time allows, see {@link EventTime}), how long each window size stays queryable and
     * revisable (at least the window and its grace), and the stage whose event time the windows follow.
     */
    public record Settings(Duration grace, Duration retention1m, Duration retention1h, Duration retention1d, String stage,
                           EventTime.Settings eventTime) {

        public Duration retention(WindowSize size) {
            Duration configured = switch (size) {
                case ONE_MINUTE -> retention1m;
                case ONE_HOUR -> retention1h;
                case ONE_DAY -> retention1d;
            };
            Duration minimum = Duration.ofMillis(size.millis()).plus(grace);
            return configured.compareTo(minimum) >= 0 ? configured : minimum;
        }
    }

    /** What the window processor emits: a closed window, or a late call for the dead-letter topic. */
    sealed interface Output {
        record Closed(UsageWindow window) implements Output {
        }

        record Late(byte[] key, byte[] value) implements Output {
        }
    }

    private UsageWindowsTopology() {
    }

    public static void build(StreamsBuilder builder, KStream<String, PricedUsage> priced, TopicCatalog topics, Settings settings,
                             PipelineMetrics metrics, Clock clock) {
        String[] stores = new String[WindowSize.values().length + 3];
        for (WindowSize size : WindowSize.values()) {
            // key-value stores keyed by (start, dimensions): a cached get is a map lookup, where a cached window-store
            // fetch copies the cache's key range on every call
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(size.storeName()),
                    Serdes.Bytes(), new UsageTotals.StoreSerde()).withCachingEnabled());
            stores[size.ordinal()] = size.storeName();
        }
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(EMITTED_STORE), Serdes.String(), Serdes.Long()));
        stores[WindowSize.values().length] = EMITTED_STORE;
        String[] eventTimeStores = EventTime.stores(settings.stage());
        stores[stores.length - 2] = eventTimeStores[0];
        stores[stores.length - 1] = eventTimeStores[1];

        Map<String, KStream<String, Output>> routes = priced
                .process(() -> new UsageWindowsProcessor(settings, topics.usage().valueSerde().serializer(), metrics, clock),
                        Named.as("usage-windows-aggregate"), stores)
                .split(Named.as("usage-windows-route-"))
                .branch((key, out) -> out instanceof Output.Closed, Branched.as("closed"))
                .defaultBranch(Branched.as("late"));

        routes.get("usage-windows-route-closed")
                .mapValues(out -> ((Output.Closed) out).window(), Named.as("usage-windows-closed-value"))
                .to(topics.usageWindows().name(), Produced.with(topics.usageWindows().keySerde(), topics.usageWindows().valueSerde())
                        .withName("usage-windows-sink"));
        routes.get("usage-windows-route-late")
                .map((key, out) -> KeyValue.pair(((Output.Late) out).key(), ((Output.Late) out).value()), Named.as("usage-windows-late-value"))
                .to(topics.dlq().name(), Produced.with(topics.dlq().keySerde(), topics.dlq().valueSerde()).withName("usage-windows-late-sink"));
    }
}
