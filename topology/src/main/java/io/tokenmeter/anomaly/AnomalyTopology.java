package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.LatestByKey;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.topics.TopicCatalog;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * usage.priced (+ task outcomes) → alerts. Four named detectors: the runaway-loop and token-spike detectors work
 * per task and per tenant/model beside the tenant's usage; the retry-storm detector needs every call of a
 * deployment, so each task counts its calls per deployment and minute and repartitions only those counts; the
 * unpriced-model detector repartitions the (rare) unpriced calls by model. Every instance also keeps
 * all alerts in a global store, to answer {@code /api/alerts} on its own.
 */
public final class AnomalyTopology {

    public static final String ALERTS_STORE = "anomaly-alerts-store";
    public static final String STORM_COUNTS_BY_DEPLOYMENT = "anomaly-storm-counts-by-deployment";
    public static final String UNPRICED_BY_MODEL = "anomaly-unpriced-by-model";

    private AnomalyTopology() {
    }

    /**
     * {@code priced}: the usage stage's priced calls; {@code arriving}: its calls and outcomes as they arrive (for the
     * early warnings); {@code signals}: the same in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}). The storm and unpriced detectors have event-time stores of their own.
     */
    public static void build(StreamsBuilder builder, KStream<String, PricedUsage> priced, KStream<String, TaskSignal> arriving,
                             KStream<String, TaskSignal> signals, TopicCatalog topics, AnomalySettings settings, PipelineMetrics metrics, String stage, EventTime.Settings eventTime,
                             int stagePartitions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RunawayLoopDetector.STORE), Serdes.String(),
                RunawayState.SERDE).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TokenSpikeDetector.STORE), Serdes.String(),
                SpikeState.SERDE).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StormPartials.STORE), Serdes.String(),
                StormCounts.SERDE).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RetryStormDetector.STORE), Serdes.String(),
                StormState.SERDE).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(UnpricedModelDetector.STORE), Serdes.String(),
                UnpricedState.SERDE).withCachingEnabled());
        EventTime.addStores(builder, RetryStormDetector.STAGE);
        EventTime.addStores(builder, UnpricedModelDetector.STAGE);

        KStream<String, Alert> loops = signals
                .process(() -> new RunawayLoopDetector(settings, metrics), Named.as("anomaly-runaway-loop"), RunawayLoopDetector.STORE);

        KStream<String, Alert> spikes = signals
                .process(() -> new TokenSpikeDetector(settings, metrics), Named.as("anomaly-token-spike"), TokenSpikeDetector.STORE);

        KStream<String, Alert> storms = priced
                .process(() -> new StormPartials(stage, eventTime, stagePartitions), Named.as(StormPartials.NAME),
                        EventTime.stores(stage, StormPartials.STORE))
                .repartition(Repartitioned.with(Serdes.String(), StormCounts.SERDE).withName(STORM_COUNTS_BY_DEPLOYMENT))
                .process(() -> new RetryStormDetector(settings, metrics, eventTime), Named.as("anomaly-retry-storm"),
                        EventTime.stores(RetryStormDetector.STAGE, RetryStormDetector.STORE));

        if (settings.earlyWarnings()) {
            // live tasks only, but with many open tasks that is still many: on disk like the other detectors' state
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RunawayLoopDetector.EARLY_STORE), Serdes.String(),
                    RunawayState.SERDE).withCachingEnabled());
            KStream<String, Alert> earlyLoops = arriving.process(() -> RunawayLoopDetector.early(settings, metrics, stage, eventTime),
                    Named.as("anomaly-runaway-loop-early"), EventTime.stores(stage, RunawayLoopDetector.EARLY_STORE));
            earlyLoops.merge(storms.filter((key, alert) -> Alerts.isEarly(alert), Named.as("anomaly-retry-storm-early")),
                            Named.as("anomaly-merge-early"))
                    .to(topics.alertsEarly().name(), Produced.with(topics.alertsEarly().keySerde(), topics.alertsEarly().valueSerde())
                            .withName("anomaly-early-warnings-sink"));
            storms = storms.filterNot((key, alert) -> Alerts.isEarly(alert), Named.as("anomaly-retry-storm-confirmed"));
        }

        KStream<String, Alert> unpriced = priced
                .process(() -> new UnpricedCalls(stage, eventTime, stagePartitions, metrics), Named.as(UnpricedCalls.NAME), EventTime.stores(stage))
                .repartition(Repartitioned.with(Serdes.String(), CallSignal.SERDE).withName(UNPRICED_BY_MODEL))
                .process(() -> new UnpricedModelDetector(metrics, eventTime), Named.as("anomaly-unpriced-model"),
                        EventTime.stores(UnpricedModelDetector.STAGE, UnpricedModelDetector.STORE));

        loops.merge(spikes, Named.as("anomaly-merge-spikes"))
                .merge(storms, Named.as("anomaly-merge-storms"))
                .merge(unpriced, Named.as("anomaly-merge-unpriced"))
                .to(topics.alerts().name(), Produced.with(topics.alerts().keySerde(), topics.alerts().valueSerde()).withName("anomaly-alerts-sink"));

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ALERTS_STORE), Serdes.String(), topics.alerts().valueSerde())
                        .withLoggingDisabled(),
                topics.alerts().name(),
                Consumed.with(topics.alerts().keySerde(), topics.alerts().valueSerde()).withName("anomaly-alerts-source"),
                () -> new LatestByKey<>(ALERTS_STORE));
    }

    /** Adds the marker relays of the partial counts and unpriced calls, once the topology is built. */
    public static void connectWatermarks(Topology topology, String applicationId) {
        Watermarks.connect(topology, StormPartials.NAME, Watermarks.repartitionTopic(applicationId, STORM_COUNTS_BY_DEPLOYMENT));
        Watermarks.connect(topology, UnpricedCalls.NAME, Watermarks.repartitionTopic(applicationId, UNPRICED_BY_MODEL));
    }
}
