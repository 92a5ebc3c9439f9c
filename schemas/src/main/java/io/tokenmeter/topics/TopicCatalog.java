package io.tokenmeter.topics;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.registry.SchemaRegistryClient;
import io.tokenmeter.serde.AvroSerde;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic tokenmeter reads or writes, with its name (prefix applied), serdes and creation settings.
 * Built once per process from the prefix, the registry client and the default partition count.
 */
public final class TopicCatalog {

    public static final String DEFAULT_PREFIX = "tokenmeter.";

    private static final Duration WEEK = Duration.ofDays(7);
    private static final Duration MONTH = Duration.ofDays(30);
    private static final Duration QUARTER = Duration.ofDays(90);

    private final String prefix;
    private final SchemaRegistryClient registry;

    private final Topic<byte[], byte[]> ingestRaw;
    private final Topic<String, UsageEvent> usage;
    private final Topic<String, TaskOutcome> taskOutcomes;
    private final Topic<String, PriceEntry> prices;
    private final Topic<String, Budget> budgets;
    private final Topic<String, PricedUsage> pricedUsage;
    private final Topic<String, UsageWindow> usageWindows;
    private final Topic<String, TaskCost> taskCosts;
    private final Topic<String, Alert> alerts;
    private final Topic<String, Alert> alertsEarly;
    private final Topic<String, BudgetStatus> budgetStatus;
    private final Topic<String, BillingCost> billingCosts;
    private final Topic<String, BillingRule> billingRules;
    private final Topic<String, AllocatedCost> costAllocated;
    private final Topic<byte[], byte[]> dlq;
    private final List<Topic<?, ?>> all;

    public TopicCatalog(String prefix, SchemaRegistryClient registry, int partitions) {
        if (prefix == null) {
            throw new IllegalArgumentException("topic prefix must not be null (use an empty string for none)");
        }
        this.prefix = prefix;
        this.registry = registry;
        Serde<byte[]> bytes = Serdes.ByteArray();
        ingestRaw = new Topic<>(prefix + "ingest.raw", "ingest.raw", bytes, bytes, Topic.Format.JSON, TopicSettings.deleteAfter(partitions, WEEK));
        usage = avroTopic("usage", UsageEvent.class, TopicSettings.deleteAfter(partitions, MONTH));
        taskOutcomes = avroTopic("task-outcomes", TaskOutcome.class, TopicSettings.deleteAfter(partitions, MONTH));
        prices = avroTopic("prices", PriceEntry.class, TopicSettings.compacted(1));
        budgets = avroTopic("budgets", Budget.class, TopicSettings.compacted(1));
        pricedUsage = avroTopic("usage.priced", PricedUsage.class, TopicSettings.deleteAfter(partitions, MONTH));
        usageWindows = avroTopic("usage.windows", UsageWindow.class, TopicSettings.deleteAfter(partitions, QUARTER));
        taskCosts = avroTopic("task-costs", TaskCost.class, TopicSettings.deleteAfter(partitions, QUARTER));
        alerts = avroTopic("alerts", Alert.class, TopicSettings.deleteAfter(partitions, QUARTER));
        alertsEarly = avroTopic("alerts.early", Alert.class, TopicSettings.deleteAfter(partitions, WEEK));
        budgetStatus = avroTopic("budget-status", BudgetStatus.class, TopicSettings.compacted(partitions));
        billingCosts = avroTopic("billing.costs", BillingCost.class, TopicSettings.deleteAfter(partitions, Duration.ofDays(400)));
        billingRules = avroTopic("billing.rules", BillingRule.class, TopicSettings.compacted(1));
        costAllocated = avroTopic("cost.allocated", AllocatedCost.class, TopicSettings.compacted(partitions));
        dlq = new Topic<>(prefix + "dlq", "dlq", bytes, bytes, Topic.Format.AS_RECEIVED, TopicSettings.deleteAfter(partitions, MONTH));
        all = List.of(ingestRaw, usage, taskOutcomes, prices, budgets, pricedUsage, usageWindows, taskCosts, alerts, alertsEarly, budgetStatus, billingCosts, billingRules,
                costAllocated, dlq);
    }

    private <V extends SpecificRecord> Topic<String, V> avroTopic(String catalogName, Class<V> type, TopicSettings settings) {
        return new Topic<>(prefix + catalogName, catalogName, Serdes.String(), avro(type), Topic.Format.AVRO, settings);
    }

    /** An Avro value serde on this catalog's registry, also for internal (repartition, changelog) topics. */
    public <V extends SpecificRecord> AvroSerde<V> avro(Class<V> type) {
        return AvroSerde.specific(type, registry);
    }

    public String prefix() {
        return prefix;
    }

    public SchemaRegistryClient registry() {
        return registry;
    }

    public Topic<byte[], byte[]> ingestRaw() {
        return ingestRaw;
    }

    public Topic<String, UsageEvent> usage() {
        return usage;
    }

    public Topic<String, TaskOutcome> taskOutcomes() {
        return taskOutcomes;
    }

    public Topic<String, PriceEntry> prices() {
        return prices;
    }

    public Topic<String, Budget> budgets() {
        return budgets;
    }

    public Topic<String, PricedUsage> pricedUsage() {
        return pricedUsage;
    }

    public Topic<String, UsageWindow> usageWindows() {
        return usageWindows;
    }

    public Topic<String, TaskCost> taskCosts() {
        return taskCosts;
    }

    public Topic<String, Alert> alerts() {
        return alerts;
    }

    /** Early warnings: runaway loops and retry storms judged on arrival, before event time confirms them on {@link #alerts()}. */
    public Topic<String, Alert> alertsEarly() {
        return alertsEarly;
    }

    public Topic<String, BudgetStatus> budgetStatus() {
        return budgetStatus;
    }

    /** The bill: Azure Cost Management export runs, keyed by export and billing period; the newest complete run of a period is its bill. */
    public Topic<String, BillingCost> billingCosts() {
        return billingCosts;
    }

    /** Sharing rules for bill lines that are not token or provisioned meters, keyed by name (compacted). */
    public Topic<String, BillingRule> billingRules() {
        return billingRules;
    }

    /** The actual cost split by measured use: one record per bill line and scope, revised, withdrawn by tombstones (compacted). */
    public Topic<String, AllocatedCost> costAllocated() {
        return costAllocated;
    }

    public Topic<byte[], byte[]> dlq() {
        return dlq;
    }

    /** Every topic, in pipeline order. */
    public List<Topic<?, ?>> all() {
        return all;
    }

    /** Finds a topic by catalog name ({@code usage}) or full name ({@code tokenmeter.usage}). */
    public Optional<Topic<?, ?>> find(String name) {
        return all.stream().filter(t -> t.catalogName().equals(name) || t.name().equals(name)).findFirst();
    }
}
