package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.serde.AvroSerde;
import io.tokenmeter.http.HttpApi;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The gateway flow as a user meets it: set a budget with the CLI, drive spend through the service, and watch
 * {@code /api/quota} go from ALLOW to WARN to BLOCK; across a restart on a fresh state directory (state comes back
 * from the changelogs), the spent amount stays exact to the nano and each threshold alerts exactly once.
 */
@ExtendWith(SharedKafka.class)
class BudgetQuotaIT {

    /** One o4-mini call of 1,000,000 input tokens: $1.10 at the default catalog's list price. */
    private static final BigDecimal CALL = new BigDecimal("1.10");

    @Test
    void spendDrivenOverABudgetTurnsTheQuotaToBlockAndARestartKeepsTheSpendExact(SharedKafka.Cluster cluster) throws Exception {
        String prefix = cluster.uniquePrefix("budget-quota");
        // one clock for setting the budget, the calls and the API's now, on the full hour: whatever the day, the budget,
        // its spend and the answers are in one period (the wall clock could turn the year between the CLI and the API)
        Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of(), clock).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            CliRun set = CliRun.onCluster(clock, cluster, prefix, "budgets", "set", "--scope", "tenant:contoso", "--period", "year",
                    "--amount", "5", "--action", "BLOCK");
            assertThat(set.exit()).as(set.err()).isZero();

            JsonNode quota = await(first, q -> q.path("budget").isMissingNode());
            assertThat(quota.get("action").asText()).isEqualTo("ALLOW");
            assertThat(quota.get("spentUsd").asText()).isEqualTo("0");
            assertThat(quota.get("limitUsd").asText()).isEqualTo("5");

            first.sendRaw(calls(now, 0, 3)); // $3.30: 66 %
            quota = await(first, q -> spent(q).compareTo(CALL.multiply(BigDecimal.valueOf(3))) == 0);
            assertThat(quota.get("action").asText()).isEqualTo("WARN");
            assertThat(quota.get("thresholdsCrossed").toString()).isEqualTo("[50]");
        }
        try (ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of(), clock).start()) {
            second.sendRaw(calls(now, 3, 3)); // $6.60: 132 %

            JsonNode quota = await(second, q -> spent(q).compareTo(CALL.multiply(BigDecimal.valueOf(6))) == 0);
            assertThat(quota.get("action").asText()).isEqualTo("BLOCK");
            assertThat(quota.get("percent").decimalValue()).isEqualByComparingTo("132.00");
            assertThat(quota.get("periodEnd").asText()).isEqualTo(Instant.parse(now.toString().substring(0, 4) + "-01-01T00:00:00Z")
                    .atZone(ZoneOffset.UTC).plusYears(1).toInstant().toString());

            AvroSerde<Alert> reader = AvroSerde.specific(Alert.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS));
            // alerts are keyed by dedup key, so they spread over partitions: order is per incident only
            List<Alert> budgetAlerts = second.read(second.topics.alerts().name(), new StringDeserializer(), reader, r -> false,
                            Duration.ofSeconds(3)).stream().map(ConsumerRecord::value)
                    .filter(a -> a.getType() == AlertType.BUDGET_THRESHOLD).toList();
            String year = now.toString().substring(0, 4);
            assertThat(budgetAlerts).extracting(Alert::getDedupKey).containsExactlyInAnyOrder("budget-threshold|tenant:contoso|" + year + "|50",
                    "budget-threshold|tenant:contoso|" + year + "|80", "budget-threshold|tenant:contoso|" + year + "|100");
            assertThat(budgetAlerts).extracting(Alert::getStatus).containsOnly(AlertStatus.FIRING);

            JsonNode budgets = HttpApi.JSON.readTree(second.get("/api/budgets").body()).get("budgets");
            assertThat(budgets).singleElement().satisfies(b -> {
                assertThat(b.get("scope").asText()).isEqualTo("tenant:contoso");
                assertThat(b.get("action").asText()).isEqualTo("BLOCK");
                assertThat(b.get("spentUsd").asText()).isEqualTo("6.6");
            });
            assertThat(second.get("/api/quota/tenant/fabrikam").body()).contains("\"action\":\"ALLOW\"").contains("no budget for tenant:fabrikam");
            assertThat(second.get("/api/quota/planet/earth").statusCode()).isEqualTo(400);
            assertThat(second.get("/metrics").body()).contains("tokenmeter_budget_spent_usd{currency=\"USD\",scope=\"contoso\",scope_type=\"tenant\"} 6.6");
        }
    }

    private static BigDecimal spent(JsonNode quota) {
        return quota.get("spentUsd").isNull() ? BigDecimal.ZERO : new BigDecimal(quota.get("spentUsd").asText());
    }

    /** Polls the quota of tenant:contoso until {@code done} holds for a budget's answer (60 s at most). */
    private static JsonNode await(ServiceFixture service, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode quota = null;
        while (System.nanoTime() < deadline) {
            quota = HttpApi.JSON.readTree(service.get("/api/quota/tenant/contoso").body());
            if (quota.has("action") && quota.path("budget").isMissingNode() && done.test(quota)) {
                return quota;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("quota never got there; last answer: " + quota);
    }

    private static List<String> calls(Instant now, int from, int count) {
        List<String> calls = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            calls.add("{\"kind\":\"usage\",\"eventId\":\"budget-call-" + i + "\",\"timestamp\":\"" + now.plusMillis(i)
                    + "\",\"tenant\":\"contoso\",\"agent\":\"contract-agent\",\"model\":\"o4-mini\",\"inputTokens\":1000000,\"outputTokens\":0}");
        }
        return calls;
    }
}
