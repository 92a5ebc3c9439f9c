package io.tokenmeter.budget;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.nanos;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetScopeType;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /api/quota and /api/budgets over the global status store: the answer is for the period that contains the wall-clock time. */
class BudgetsApiTest {

    private final TopologyHarness harness = new TopologyHarness();

    @BeforeEach
    void overspentNovember() {
        harness.prices(gpt4o());
        harness.input(harness.topics.budgets()).pipeInput("tenant:contoso", Budget.newBuilder().setScopeType(BudgetScopeType.TENANT)
                .setScopeValue("contoso").setPeriod(BudgetPeriod.MONTH).setAmountNanos(nanos("0.004")).setCurrency("USD")
                .setThresholdsPercent(List.of(50, 80, 100)).setAction(BudgetAction.BLOCK).setTimeZone("UTC")
                .setUpdatedAt(Instant.parse("2026-11-20T00:00:00Z")).build());
        harness.usage(usage("e1", "2026-11-28T10:00:00Z").setInputTokens(2000).build()); // $0.005: 125 %
        harness.advanceTo(Instant.parse("2026-11-28T10:00:00Z")); // the status as of the call's boundary
    }

    @AfterEach
    void close() {
        harness.close();
    }

    private BudgetsApi api(String now) {
        return new BudgetsApi(() -> harness.driver.getKeyValueStore(BudgetTopology.STATUS_STORE), Clock.fixed(Instant.parse(now), ZoneOffset.UTC),
                () -> true);
    }

    private static JsonNode quota(BudgetsApi api, String type, String value) throws Exception {
        return HttpApi.JSON.readTree(api.quota(new HttpApi.Request("GET", "/api/quota/" + type + "/" + value,
                Map.of("scopeType", type, "scopeValue", value), Map.of())).body());
    }

    @Test
    void aSpentBlockBudgetAnswersBlockWithItsFigures() throws Exception {
        JsonNode quota = quota(api("2026-11-28T12:00:00Z"), "tenant", "contoso");

        assertThat(quota.get("action").asText()).isEqualTo("BLOCK");
        assertThat(quota.get("spentUsd").asText()).isEqualTo("0.005");
        assertThat(quota.get("limitUsd").asText()).isEqualTo("0.004");
        assertThat(quota.get("forecastUsd").asText()).isEqualTo("0.005471124"); // 0.005 x 30 days / 27 days 10 hours, in whole nanos
        assertThat(quota.get("periodEnd").asText()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(quota.get("percent").decimalValue()).isEqualByComparingTo("125");
    }

    @Test
    void onceThePeriodIsOverTheAnswerIsForTheNewPeriodWithNothingSpentYet() throws Exception {
        JsonNode quota = quota(api("2026-12-01T00:00:01Z"), "tenant", "contoso");

        assertThat(quota.get("action").asText()).isEqualTo("ALLOW");
        assertThat(quota.get("spentUsd").asText()).isEqualTo("0");
        assertThat(quota.get("periodStart").asText()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(quota.get("periodEnd").asText()).isEqualTo("2027-01-01T00:00:00Z");
        assertThat(quota.get("updatedAt").isNull()).isTrue();
    }

    @Test
    void aScopeWithoutBudgetIsAllowedAndSaysSo() throws Exception {
        JsonNode quota = quota(api("2026-11-28T12:00:00Z"), "costCenter", "cc-unknown");

        assertThat(quota.get("action").asText()).isEqualTo("ALLOW");
        assertThat(quota.get("budget").asBoolean()).isFalse();
        assertThat(quota.get("reason").asText()).isEqualTo("no budget for costCenter:cc-unknown");
    }

    @Test
    void anUnknownScopeTypeIsABadRequestThatNamesTheTypes() {
        assertThatThrownBy(() -> quota(api("2026-11-28T12:00:00Z"), "planet", "earth"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("tenant, costCenter, application, agent");
    }

    @Test
    void listsEveryBudget() throws Exception {
        JsonNode budgets = HttpApi.JSON.readTree(api("2026-11-28T12:00:00Z").budgets(
                new HttpApi.Request("GET", "/api/budgets", Map.of(), Map.of())).body()).get("budgets");

        assertThat(budgets).singleElement().satisfies(b -> {
            assertThat(b.get("scope").asText()).isEqualTo("tenant:contoso");
            assertThat(b.get("thresholdsCrossed").toString()).isEqualTo("[50,80,100]");
            assertThat(b.get("actionAtLimit").asText()).isEqualTo("BLOCK");
            assertThat(b.get("period").asText()).isEqualTo("month");
        });
    }
}
