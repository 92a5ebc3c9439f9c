package io.tokenmeter.service;

import io.tokenmeter.anomaly.AnomalySettings;
import io.tokenmeter.anomaly.AnomalyTopology;
import io.tokenmeter.billing.BillingSettings;
import io.tokenmeter.billing.BillingTopology;
import io.tokenmeter.budget.BudgetSettings;
import io.tokenmeter.budget.BudgetTopology;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.normalize.Attribution;
import io.tokenmeter.normalize.DeploymentMap;
import io.tokenmeter.normalize.NormalizeTopology;
import io.tokenmeter.pricing.PricingTopology;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.InEventTimeOrder;
import io.tokenmeter.streams.OutcomesByTenant;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.task.TaskTopology;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.usage.UsageWindowsTopology;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/** The whole application: every capability's topology built into one, as the service runs it and tests drive it. */
public final class TokenmeterTopology {

    /** The stage of the usage topic's tasks: pricing, windows, tasks, the per-tenant detectors and the partial sums. */
    public static final String USAGE_STAGE = "usage";

    /**
     * How many partitions the topics the stages read have: each stage runs as that many tasks, and the stages after it
     * wait for a watermark from every one of them. {@code internal} is the count of the repartition topics tokenmeter
     * sizes itself ({@code topic.partitions}).
     */
    public record Partitions(int raw, int usage, int outcomes, int internal) {

        public static Partitions of(TokenmeterConfig config) {
            int n = config.topicPartitions();
            return new Partitions(n, n, n, n);
        }

        /** Tasks of the usage stage: it reads usage and the outcomes repartition. */
        int usageStage() {
            return Math.max(usage, internal);
        }
    }

    private TokenmeterTopology() {
    }

    public static Topology build(TopicCatalog topics, TokenmeterConfig config, Properties streamsProperties, Clock clock, PipelineMetrics metrics) {
        return build(topics, config, streamsProperties, clock, metrics, Partitions.of(config));
    }

    public static Topology build(TopicCatalog topics, TokenmeterConfig config, Properties streamsProperties, Clock clock, PipelineMetrics metrics,
                                 Partitions partitions) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(streamsProperties)));
        EventTime.Settings eventTime = eventTimeSettings(config);
        NormalizeTopology.build(builder, topics,
                new NormalizeTopology.Settings(config.dedupHorizon(), Duration.ofMillis(config.getLong(TokenmeterConfig.APIM_JOIN_WINDOW)),
                        DeploymentMap.of(config.getList(TokenmeterConfig.AZURE_DEPLOYMENTS), config.getList(TokenmeterConfig.AZURE_RESOURCES)), Attribution.of(config), eventTime, partitions.raw()),
                clock, metrics);
        EventTime.addStores(builder, USAGE_STAGE);
        KStream<String, PricedUsage> priced = PricingTopology.build(builder, topics,
                new PricingTopology.Settings(config.billedStatusCodes(), USAGE_STAGE, eventTime), metrics);
        UsageWindowsTopology.build(builder, priced, topics, windowSettings(config), metrics, clock);
        KStream<String, TaskOutcome> outcomes = OutcomesByTenant.build(builder, topics, partitions.internal(), eventTime, partitions.outcomes(),
                USAGE_STAGE);
        // the per-task processors read the calls and outcomes once, in event-time order
        builder.addStateStore(InEventTimeOrder.store());
        KStream<String, TaskSignal> arriving = priced.mapValues(p -> (TaskSignal) new TaskSignal.Call(p), Named.as("usage-task-calls"))
                .merge(outcomes.mapValues(o -> (TaskSignal) new TaskSignal.Ended(o), Named.as("usage-task-outcomes")), Named.as("usage-task-signals"));
        KStream<String, TaskSignal> inOrder = arriving.process(() -> new InEventTimeOrder(USAGE_STAGE, eventTime, topics.pricedUsage(), topics.taskOutcomes()),
                        Named.as(InEventTimeOrder.NAME), EventTime.stores(USAGE_STAGE, InEventTimeOrder.STORE));
        int usageTasks = partitions.usageStage();
        AnomalyTopology.build(builder, priced, arriving, inOrder, topics, AnomalySettings.from(config), metrics, USAGE_STAGE, eventTime, usageTasks);
        TaskTopology.build(builder, inOrder, topics, TaskTopology.Settings.from(config), metrics);
        BudgetTopology.build(builder, priced, topics, BudgetSettings.from(config), metrics, partitions.internal(), USAGE_STAGE, eventTime, usageTasks);
        BillingTopology.build(builder, priced, topics, BillingSettings.from(config), metrics, partitions.internal(), USAGE_STAGE, eventTime, usageTasks);
        Topology topology = builder.build(streamsProperties);
        String applicationId = config.applicationId();
        NormalizeTopology.connectWatermarks(topology, topics, applicationId);
        OutcomesByTenant.connectWatermarks(topology, applicationId);
        AnomalyTopology.connectWatermarks(topology, applicationId);
        BudgetTopology.connectWatermarks(topology, applicationId);
        BillingTopology.connectWatermarks(topology, applicationId);
        return topology;
    }

    static EventTime.Settings eventTimeSettings(TokenmeterConfig config) {
        return new EventTime.Settings(config.windowGrace(), config.eventTimeIdle(), config.eventTimeInterval());
    }

    static UsageWindowsTopology.Settings windowSettings(TokenmeterConfig config) {
        return new UsageWindowsTopology.Settings(config.windowGrace(),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1M)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1H)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1D)),
                USAGE_STAGE, eventTimeSettings(config));
    }
}
