package io.tokenmeter.service;

import io.tokenmeter.anomaly.AnomalySettings;
import io.tokenmeter.anomaly.AnomalyTopology;
import io.tokenmeter.budget.BudgetSettings;
import io.tokenmeter.budget.BudgetTopology;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.normalize.Attribution;
import io.tokenmeter.normalize.DeploymentMap;
import io.tokenmeter.normalize.NormalizeTopology;
import io.tokenmeter.pricing.PricingTopology;
import io.tokenmeter.streams.OutcomesByTenant;
import io.tokenmeter.streams.PipelineMetrics;
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

/** The whole application: every capability's topology built into one, as the service runs it and tests drive it. */
public final class TokenmeterTopology {

    private TokenmeterTopology() {
    }

    public static Topology build(TopicCatalog topics, TokenmeterConfig config, Properties streamsProperties, Clock clock, PipelineMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(streamsProperties)));
        NormalizeTopology.build(builder, topics,
                new NormalizeTopology.Settings(config.dedupHorizon(), Duration.ofMillis(config.getLong(TokenmeterConfig.APIM_JOIN_WINDOW)),
                        DeploymentMap.of(config.getList(TokenmeterConfig.AZURE_DEPLOYMENTS)), Attribution.of(config)), clock, metrics);
        KStream<String, PricedUsage> priced = PricingTopology.build(builder, topics, new PricingTopology.Settings(config.billedStatusCodes()), metrics);
        UsageWindowsTopology.build(builder, priced, topics, windowSettings(config), metrics, clock);
        KStream<String, TaskOutcome> outcomes = OutcomesByTenant.build(builder, topics, config.topicPartitions());
        AnomalyTopology.build(builder, priced, outcomes, topics, AnomalySettings.from(config), metrics);
        TaskTopology.build(builder, priced, outcomes, topics, TaskTopology.Settings.from(config), metrics);
        BudgetTopology.build(builder, priced, topics, BudgetSettings.from(config), metrics, config.topicPartitions());
        return builder.build(streamsProperties);
    }

    static UsageWindowsTopology.Settings windowSettings(TokenmeterConfig config) {
        return new UsageWindowsTopology.Settings(config.windowGrace(),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1M)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1H)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1D)));
    }
}
