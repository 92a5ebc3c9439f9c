package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.bills.FocusExportWriter;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.topics.DeadLetters;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bill as a new user meets it, on the embedded broker with two service instances: three days of usage, `billing
 * rules load`, `billing load` of an export container holding two runs of November (gzip CSV, then a re-export in
 * Parquet with a negotiated discount), then /api/allocation and /api/reconciliation from either instance. The
 * expected split is computed independently, with exact decimals ({@link BillingScenario}): every tenant's allocation is within a nano per
 * bill line of its exact share, and rows plus unallocated add up to the bill to the nano.
 */
@ExtendWith(SharedKafka.class)
class BillingIT {

    private static final ObjectMapper JSON = BillingScenario.JSON;
    private static final int SUCCEEDED = BillingScenario.SUCCEEDED;
    private final BillingScenario scenario = new BillingScenario();

    @Test
    void theBillIsSplitByWhoUsedItToTheNanoAndAReExportReplacesTheFirst(SharedKafka.Cluster cluster, @TempDir Path container) throws Exception {
        String prefix = cluster.uniquePrefix("billing");
        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of()).start();
             ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            first.sendRaw(scenario.usage());

            CliRun loadRules = BillingScenario.loadRules(cluster, prefix, container);
            assertThat(loadRules.exit()).as(loadRules.err()).isZero();
            assertThat(loadRules.out()).contains("loaded 1 rule(s)");

            Path exports = container.resolve("exports");
            List<Map<String, String>> firstRun = scenario.bill(BigDecimal.ONE);
            Map<String, String> bad = new LinkedHashMap<>(firstRun.get(0));
            bad.put("EffectiveCost", "n/a");
            firstRun.add(bad);
            BillingScenario.export(exports, "run-1", "2026-11-05T06:00:00Z", FocusExportWriter.Format.GZIP_CSV, firstRun);
            List<Map<String, String>> reExport = scenario.bill(BillingScenario.DISCOUNT);
            BillingScenario.export(exports, "run-2", "2026-11-06T06:00:00Z", FocusExportWriter.Format.PARQUET, reExport);

            CliRun load = CliRun.onCluster(cluster, prefix, "billing", "load", exports.toString());
            assertThat(load.exit()).as(load.err()).isZero();
            assertThat(load.out()).contains("found 2 export run(s)").contains("loaded daily-focus 20261101-20261130 run run-1")
                    .contains("loaded daily-focus 20261101-20261130 run run-2").contains("1 row(s) could not be read");
            assertThat(load.err()).contains("EffectiveCost");

            String query = "/api/allocation?from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z&by=tenant";
            BillingScenario.Expected expected = scenario.expected(reExport);
            JsonNode allocation = BillingScenario.settled(first, query, expected.effective());
            assertThat(JSON.readTree(second.get(query).body())).as("either instance gives the same answer").isEqualTo(allocation);

            assertThat(new BigDecimal(allocation.get("effectiveCostUsd").asText())).isEqualByComparingTo(expected.effective());
            assertThat(new BigDecimal(allocation.get("billedCostUsd").asText())).as("the purchase is billed, not allocated")
                    .isEqualByComparingTo(expected.billed());
            BigDecimal rows = BigDecimal.ZERO;
            Map<String, BigDecimal> byTenant = new TreeMap<>();
            for (JsonNode row : allocation.get("rows")) {
                BigDecimal cost = new BigDecimal(row.get("allocatedCostUsd").asText());
                byTenant.put(row.get("tenant").asText(), cost);
                rows = rows.add(cost);
            }
            assertThat(rows.add(new BigDecimal(allocation.get("unallocatedCostUsd").asText()))).as("rows + unallocated = the bill, to the nano")
                    .isEqualByComparingTo(expected.effective());
            assertThat(byTenant.keySet()).isEqualTo(expected.byTenant().keySet());
            BigDecimal tolerance = new BigDecimal("1e-9").multiply(BigDecimal.valueOf(expected.lines()));
            expected.byTenant().forEach((tenant, exact) -> assertThat(byTenant.get(tenant).subtract(exact).abs())
                    .as("%s: %s against the exact %s", tenant, byTenant.get(tenant), exact).isLessThanOrEqualTo(tolerance));
            assertThat(new BigDecimal(allocation.get("unallocatedCostUsd").asText()).subtract(expected.unallocated()).abs()).isLessThanOrEqualTo(tolerance);

            JsonNode reconciliation = JSON.readTree(first.get("/api/reconciliation?from=2026-11-02&to=2026-11-05"
                    + "&by=day,tokenKind").body());
            Map<String, long[]> tokens = new TreeMap<>();
            reconciliation.get("rows").forEach(r -> tokens.put(r.get("day").asText() + " " + r.get("tokenKind").asText(),
                    new long[] {r.get("meteredTokens").asLong(), r.get("billedTokens").asLong()}));
            for (String day : BillingScenario.DAYS) {
                long input = scenario.measured.get(day).values().stream().mapToLong(v -> v[0]).sum();
                long output = scenario.measured.get(day).values().stream().mapToLong(v -> v[1]).sum();
                assertThat(tokens.get(day + " INPUT")).containsExactly(input, BillingScenario.billedInput(day, input));
                assertThat(tokens.get(day + " OUTPUT")).containsExactly(output, output);
            }
            assertThat(reconciliation.get("unmatchedLines")).singleElement()
                    .satisfies(line -> assertThat(line.get("serviceName").asText()).isEqualTo("API Management"));

            List<Alert> alerts = first.read(first.topics.alerts().name(), first.topics.alerts().keySerde().deserializer(),
                            first.topics.alerts().valueSerde().deserializer(),
                            read -> read.stream().anyMatch(r -> r.value().getType() == AlertType.BILL_DRIFT), Duration.ofSeconds(60)).stream()
                    .map(r -> r.value()).toList();
            List<Alert> drift = alerts.stream().filter(a -> a.getType() == AlertType.BILL_DRIFT).toList();
            assertThat(drift).as("billed input of 2026-11-03 is 10 %% above the measured: one incident; alerts %s; reconciliation %s", alerts,
                            reconciliation).singleElement().satisfies(a -> {
                assertThat(a.getStatus()).isEqualTo(AlertStatus.FIRING);
                assertThat(a.getEvidence()).containsEntry("day", "2026-11-03").containsEntry("tokenKind", "INPUT");
            });

            var dead = first.read(first.topics.dlq().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer(), r -> false, Duration.ofSeconds(3));
            assertThat(dead).singleElement().satisfies(r -> assertThat(DeadLetters.header(r.headers(), DeadLetters.DETAIL))
                    .contains("part_").contains("EffectiveCost"));

            JsonNode perDay = JSON.readTree(first.get("/api/allocation?from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z&by=day,useCase").body());
            Map<String, BigDecimal> allocatedByDayAndUseCase = new TreeMap<>();
            perDay.get("rows").forEach(r -> allocatedByDayAndUseCase.put(r.get("day").asText() + " " + r.get("useCase").asText(),
                    new BigDecimal(r.get("allocatedCostUsd").asText())));
            JsonNode perSuccess = tasksSettled(first, "/api/tasks/cost-per-success?window=1d&by=useCase&cost=allocated"
                    + "&from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z");
            assertThat(perSuccess.get("rows")).hasSize(9);
            for (JsonNode row : perSuccess.get("rows")) {
                String key = row.get("windowStart").asText().substring(0, 10) + " " + row.get("useCase").asText();
                assertThat(new BigDecimal(row.get("allocatedCostUsd").asText())).as(key).isEqualByComparingTo(allocatedByDayAndUseCase.get(key));
                assertThat(new BigDecimal(row.get("allocatedCostPerSuccessfulTaskUsd").asText())).as(key)
                        .isEqualByComparingTo(allocatedByDayAndUseCase.get(key).divide(BigDecimal.valueOf(SUCCEEDED), 9, RoundingMode.HALF_EVEN));
            }

            CliRun again = CliRun.onCluster(cluster, prefix, "billing", "load", exports.toString());
            assertThat(again.exit()).as(again.err()).isZero();
            Thread.sleep(3_000);
            assertThat(JSON.readTree(first.get(query).body())).as("loading the same runs again changes nothing").isEqualTo(allocation);
            assertThat(first.read(first.topics.alerts().name(), first.topics.alerts().keySerde().deserializer(),
                    first.topics.alerts().valueSerde().deserializer(), r -> false, Duration.ofSeconds(2)).stream()
                    .filter(r -> r.value().getType() == AlertType.BILL_DRIFT)).as("the drift fired once").hasSize(1);
        }
    }

    /** Cost per successful task once every day's ten tasks per use case are closed. */
    private static JsonNode tasksSettled(ServiceFixture service, String query) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            java.net.http.HttpResponse<String> response = service.get(query);
            if (response.statusCode() == 200) {
                last = JSON.readTree(response.body());
                boolean all = last.get("rows").size() == 9;
                for (JsonNode row : last.get("rows")) {
                    all &= row.get("succeeded").asLong() == SUCCEEDED && row.get("tasks").asLong() == BillingScenario.TASKS
                            && !row.get("allocatedCostUsd").isNull();
                }
                if (all) {
                    return last;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("cost per successful task did not settle within 90 s; last answer: " + last);
    }
}
