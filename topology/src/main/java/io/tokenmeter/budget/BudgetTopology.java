package io.tokenmeter.budget;

import io.tokenmeter.event.Budget;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.LatestByKey;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.topics.BudgetScope;
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
 * Budgets: priced calls → spend per scope (tenant, cost center, application, agent), added up per 15-minute bucket
 * before the repartition by scope, where it meets the budget definitions of the compacted {@code budgets} topic in
 * {@link BudgetProcessor}. Out come {@code budget-status} (one compacted record per budget, for gateways and the
 * API) and budget alerts on {@code alerts}. Every instance keeps all statuses in a global store, to answer
 * {@code /api/budgets} and {@code /api/quota} on its own.
 */
public final class BudgetTopology {

    public static final String STATUS_STORE = "budget-status-global-store";
    public static final String SPEND_BY_SCOPE = "budget-spend-by-scope";
    public static final String DEFINITIONS_BY_SCOPE = "budget-definitions-by-scope";

    private BudgetTopology() {
    }

    /** {@code stage}: the usage stage, which runs as {@code stagePartitions} tasks; {@code partitions}: the scope repartitions' count. */
    public static void build(StreamsBuilder builder, KStream<String, PricedUsage> priced, TopicCatalog topics, BudgetSettings settings,
                             PipelineMetrics metrics, int partitions, String stage, EventTime.Settings eventTime, int stagePartitions) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SpendPartials.STORE), Serdes.String(), BudgetSignal.SERDE)
                .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BudgetProcessor.STATE_STORE), Serdes.String(),
                BudgetState.SERDE).withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BudgetProcessor.HISTORY_STORE), Serdes.Bytes(),
                Serdes.Long()).withCachingEnabled());

        EventTime.addStores(builder, BudgetProcessor.STAGE);
        KStream<String, BudgetSignal> spend = priced
                .process(() -> new SpendPartials(settings.flush(), stage, eventTime, stagePartitions), Named.as(SpendPartials.NAME),
                        EventTime.stores(stage, SpendPartials.STORE))
                .repartition(Repartitioned.with(Serdes.String(), BudgetSignal.SERDE).withName(SPEND_BY_SCOPE).withNumberOfPartitions(partitions));
        KStream<String, BudgetSignal> definitions = builder
                .stream(topics.budgets().name(), Consumed.with(topics.budgets().keySerde(), topics.budgets().valueSerde()).withName("budgets-source"))
                .mapValues(BudgetTopology::definition, Named.as("budget-definitions"))
                .repartition(Repartitioned.with(Serdes.String(), BudgetSignal.SERDE).withName(DEFINITIONS_BY_SCOPE)
                        .withNumberOfPartitions(partitions));

        KStream<String, BudgetProcessor.Output> out = spend.merge(definitions, Named.as("budget-signals"))
                .process(() -> new BudgetProcessor(settings, metrics, eventTime), Named.as("budget-track"),
                        EventTime.stores(BudgetProcessor.STAGE, BudgetProcessor.STATE_STORE, BudgetProcessor.HISTORY_STORE));
        out.filter((scope, o) -> o instanceof BudgetProcessor.StatusOut, Named.as("budget-statuses"))
                .mapValues(o -> ((BudgetProcessor.StatusOut) o).status(), Named.as("budget-status-value"))
                .to(topics.budgetStatus().name(), Produced.with(topics.budgetStatus().keySerde(), topics.budgetStatus().valueSerde())
                        .withName("budget-status-sink"));
        out.filter((key, o) -> o instanceof BudgetProcessor.AlertOut, Named.as("budget-alerts"))
                .mapValues(o -> ((BudgetProcessor.AlertOut) o).alert(), Named.as("budget-alert-value"))
                .to(topics.alerts().name(), Produced.with(topics.alerts().keySerde(), topics.alerts().valueSerde()).withName("budget-alerts-sink"));

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATUS_STORE), Serdes.String(), topics.budgetStatus().valueSerde())
                        .withLoggingDisabled(),
                topics.budgetStatus().name(),
                Consumed.with(topics.budgetStatus().keySerde(), topics.budgetStatus().valueSerde()).withName("budget-status-global-source"),
                () -> new LatestByKey<>(STATUS_STORE));
    }

    /** Adds the marker relay of the spend sums, once the topology is built. */
    public static void connectWatermarks(Topology topology, String applicationId) {
        Watermarks.connect(topology, SpendPartials.NAME, Watermarks.repartitionTopic(applicationId, SPEND_BY_SCOPE));
    }

    /**
     * A record of the budgets topic as a signal: a budget set, or (a tombstone) removed. A record that is not a usable
     * budget throws, so the dead-letter handler puts it on the DLQ with the reason and tracking goes on.
     */
    static BudgetSignal definition(String key, Budget budget) {
        if (key == null) {
            throw new IllegalArgumentException("a budgets record needs its scope as key, e.g. tenant:contoso");
        }
        if (budget == null) {
            BudgetScope.parse(key);
            return new BudgetSignal.Removed();
        }
        String scope = new BudgetScope(budget.getScopeType(), budget.getScopeValue()).key();
        if (!scope.equals(key)) {
            throw new IllegalArgumentException("budget key '" + key + "' is not the budget's scope '" + scope + "'");
        }
        if (budget.getAmountNanos() <= 0) {
            throw new IllegalArgumentException("budget " + scope + ": amount must be greater than 0, got " + budget.getAmountNanos() + " nanos");
        }
        if (budget.getCurrency() == null || !budget.getCurrency().matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("budget " + scope + ": currency '" + budget.getCurrency() + "' is not an ISO 4217 code such as USD");
        }
        for (Integer threshold : budget.getThresholdsPercent()) {
            if (threshold == null || threshold < 1 || threshold > 1000) {
                throw new IllegalArgumentException("budget " + scope + ": threshold " + threshold + " is not a percentage from 1 to 1000");
            }
        }
        BudgetPeriods.zone(budget.getTimeZone());
        // thresholds in ascending order without repeats, once here rather than on every evaluation
        return new BudgetSignal.Defined(Budget.newBuilder(budget)
                .setThresholdsPercent(budget.getThresholdsPercent().stream().distinct().sorted().toList()).build());
    }
}
