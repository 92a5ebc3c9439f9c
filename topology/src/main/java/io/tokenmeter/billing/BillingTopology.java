package io.tokenmeter.billing;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.LatestByKey;
import io.tokenmeter.streams.PipelineMetrics;
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
 * The actual cost: the bill ({@code billing.costs}, Azure Cost Management FOCUS export runs) meets measured use and
 * is split by it. Export runs become each period's bill in {@link BillRuns} (the newest complete run wins); priced
 * calls are added up per day, account, model and scope before the repartition by day ({@link UsageByDay}); the day's
 * {@link Allocation} splits every line ({@link DayAllocation}) and sends the parts to {@code cost.allocated} and drift
 * alerts to {@code alerts}. Sharing rules ({@code billing.rules}) sit in a global store on every instance.
 */
public final class BillingTopology {

    public static final String LINES_BY_DAY = "billing-lines-by-day";
    public static final String USE_BY_DAY = "billing-use-by-day";
    public static final String RULES_STORE = "billing-rules-global-store";
    /** The stores the API reads: allocated parts, bill lines, reconciled groups and the days' state, all keyed by day first. */
    public static final String ALLOCATED_STORE = Allocation.ALLOCATED_STORE;
    public static final String LINES_STORE = Allocation.LINES_STORE;
    public static final String RECONCILED_STORE = Allocation.RECONCILED_STORE;
    public static final String DAYS_STORE = Allocation.DAYS_STORE;

    private BillingTopology() {
    }

    /** {@code stage}: the usage stage, which runs as {@code stagePartitions} tasks; {@code partitions}: the day repartitions' count. */
    public static void build(StreamsBuilder builder, KStream<String, PricedUsage> priced, TopicCatalog topics, BillingSettings settings,
                             PipelineMetrics metrics, int partitions, String stage, EventTime.Settings eventTime, int stagePartitions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(UsageByDay.STORE), Serdes.String(), DaySignal.SERDE)
                .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BillRuns.LINES_STORE), Serdes.String(), BillRuns.LINE_SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BillRuns.RUNS_STORE), Serdes.String(), BillRuns.RUN_SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.LINES_STORE), Serdes.String(), BillRuns.LINE_SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.USE_STORE), Serdes.String(), UseSerde.SERDE)
                .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.ALLOCATED_STORE), Serdes.String(),
                AllocatedSerde.SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.RECONCILED_STORE), Serdes.String(),
                Reconciliations.SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.DAYS_STORE), Serdes.String(), DayState.SERDE));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Allocation.DRIFT_STORE), Serdes.String(),
                AllocatedSerde.ALERT_SERDE));
        EventTime.addStores(builder, Allocation.STAGE);

        KStream<String, DaySignal> use = priced
                .process(() -> new UsageByDay(settings.flush(), stage, eventTime, stagePartitions), Named.as(UsageByDay.NAME),
                        EventTime.stores(stage, UsageByDay.STORE))
                .repartition(Repartitioned.with(Serdes.String(), DaySignal.SERDE).withName(USE_BY_DAY).withNumberOfPartitions(partitions));
        KStream<String, DaySignal> lines = builder
                .stream(topics.billingCosts().name(), Consumed.with(topics.billingCosts().keySerde(), topics.billingCosts().valueSerde())
                        .withName("billing-costs-source"))
                .process(() -> new BillRuns(metrics), Named.as(BillRuns.NAME), BillRuns.LINES_STORE, BillRuns.RUNS_STORE)
                .repartition(Repartitioned.with(Serdes.String(), DaySignal.SERDE).withName(LINES_BY_DAY).withNumberOfPartitions(partitions));

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RULES_STORE), Serdes.String(), topics.billingRules().valueSerde())
                        .withLoggingDisabled(),
                topics.billingRules().name(),
                Consumed.with(topics.billingRules().keySerde(), topics.billingRules().valueSerde()).withName("billing-rules-global-source"),
                () -> new LatestByKey<>(RULES_STORE));

        KStream<String, Allocation.Output> out = use.merge(lines, Named.as("billing-day-signals"))
                .process(() -> new Allocation(settings, eventTime, metrics, RULES_STORE), Named.as(Allocation.NAME),
                        EventTime.stores(Allocation.STAGE, Allocation.LINES_STORE, Allocation.USE_STORE, Allocation.ALLOCATED_STORE,
                                Allocation.RECONCILED_STORE, Allocation.DAYS_STORE, Allocation.DRIFT_STORE));
        out.filter((key, o) -> !(o instanceof Allocation.AlertOut), Named.as("billing-allocations"))
                .mapValues(o -> o instanceof Allocation.Allocated a ? a.cost() : null, Named.as("billing-allocation-value"))
                .to(topics.costAllocated().name(), Produced.with(topics.costAllocated().keySerde(), topics.costAllocated().valueSerde())
                        .withName("cost-allocated-sink"));
        out.filter((key, o) -> o instanceof Allocation.AlertOut, Named.as("billing-alerts"))
                .mapValues(o -> ((Allocation.AlertOut) o).alert(), Named.as("billing-alert-value"))
                .to(topics.alerts().name(), Produced.with(topics.alerts().keySerde(), topics.alerts().valueSerde()).withName("billing-alerts-sink"));
    }

    /** Adds the marker relay of the use sums, once the topology is built. */
    public static void connectWatermarks(Topology topology, String applicationId) {
        Watermarks.connect(topology, UsageByDay.NAME, Watermarks.repartitionTopic(applicationId, USE_BY_DAY));
    }
}
