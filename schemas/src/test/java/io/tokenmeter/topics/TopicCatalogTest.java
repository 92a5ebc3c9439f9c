package io.tokenmeter.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.registry.InMemorySchemaRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicCatalogTest {

    private final TopicCatalog catalog = new TopicCatalog("acme.", new InMemorySchemaRegistry("t"), 6);

    @Test
    void everyTopicCarriesThePrefix() {
        assertThat(catalog.all()).extracting(Topic::name).containsExactly(
                "acme.ingest.raw", "acme.usage", "acme.task-outcomes", "acme.prices", "acme.budgets", "acme.usage.priced",
                "acme.usage.windows", "acme.task-costs", "acme.alerts", "acme.alerts.early", "acme.budget-status", "acme.billing.costs",
                "acme.billing.rules", "acme.cost.allocated", "acme.dlq");
    }

    @Test
    void compactedTopicsKeepEverythingAndDataTopicsExpire() {
        assertThat(catalog.prices().settings().configs()).isEqualTo(Map.of("cleanup.policy", "compact", "retention.ms", "-1",
                "message.timestamp.type", "LogAppendTime"));
        assertThat(catalog.budgetStatus().settings().cleanupPolicy()).isEqualTo(TopicSettings.CleanupPolicy.COMPACT);
        assertThat(catalog.usage().settings().configs()).containsEntry("cleanup.policy", "delete").containsEntry("retention.ms", "2592000000")
                .as("retention counts from arrival: replayed history is not deleted for its old event times")
                .containsEntry("message.timestamp.type", "LogAppendTime");
        assertThat(catalog.usage().settings().partitions()).isEqualTo(6);
        assertThat(catalog.prices().settings().partitions()).isEqualTo(1);
    }

    @Test
    void findsTopicsByCatalogOrFullName() {
        assertThat(catalog.find("usage")).contains(catalog.usage());
        assertThat(catalog.find("acme.dlq")).contains(catalog.dlq());
        assertThat(catalog.find("nope")).isEmpty();
    }

    @Test
    void newTopicUsesTheBrokerDefaultReplicationForMinusOne() {
        assertThat(catalog.usage().newTopic((short) -1).replicationFactor()).isEqualTo((short) -1);
        assertThat(catalog.usage().newTopic((short) 3).replicationFactor()).isEqualTo((short) 3);
        assertThat(catalog.usage().newTopic((short) 3).numPartitions()).isEqualTo(6);
    }
}
