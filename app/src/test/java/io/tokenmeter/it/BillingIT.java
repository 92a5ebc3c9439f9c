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
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * expected split is computed here, independently, with exact decimals: every tenant's allocation is within a nano per
 * bill line of its exact share, and rows plus unallocated add up to the bill to the nano.
 */
@ExtendWith(SharedKafka.class)
class BillingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.CognitiveServices/accounts/oai-prod";
    private static final String SEARCH = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.Search/searchServices/srch-rag";
    private static final List<String> DAYS = List.of("2026-11-02", "2026-11-03", "2026-11-04");
    private static final Map<String, String> USE_CASE = Map.of("contoso", "policy-qa", "fabrikam", "case-summary", "adatum", "chat");
    private static final BigDecimal DISCOUNT = new BigDecimal("0.9");

    /** Measured use per day, tenant and kind, as the documents say it (the truth the bill is split by). */
    private final Map<String, Map<String, long[]>> measured = new TreeMap<>(); // day -> tenant -> {input, output, calls, ptuTokens}

    @Test
    void theBillIsSplitByWhoUsedItToTheNanoAndAReExportReplacesTheFirst(SharedKafka.Cluster cluster, @TempDir Path container) throws Exception {
        String prefix = cluster.uniquePrefix("billing");
        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of()).start();
             ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            first.sendRaw(usage());

            Path rules = container.resolve("rules.json");
            java.nio.file.Files.writeString(rules, "[{\"name\":\"rag-search\",\"match\":{\"resourceId\":\"" + SEARCH.toUpperCase()
                    + "\"},\"allocateBy\":\"requests\",\"among\":{\"useCase\":[\"policy-qa\",\"case-summary\"]}}]");
            CliRun loadRules = CliRun.onCluster(cluster, prefix, "billing", "rules", "load", rules.toString());
            assertThat(loadRules.exit()).as(loadRules.err()).isZero();
            assertThat(loadRules.out()).contains("loaded 1 rule(s)");

            Path exports = container.resolve("exports");
            List<Map<String, String>> firstRun = bill(BigDecimal.ONE);
            Map<String, String> bad = new LinkedHashMap<>(firstRun.get(0));
            bad.put("EffectiveCost", "n/a");
            firstRun.add(bad);
            FocusExportWriter.into(exports).export("daily-focus").period("20261101-20261130").runId("run-1")
                    .submitted(Instant.parse("2026-11-05T06:00:00Z")).format(FocusExportWriter.Format.GZIP_CSV).write(firstRun);
            List<Map<String, String>> reExport = bill(DISCOUNT);
            FocusExportWriter.into(exports).export("daily-focus").period("20261101-20261130").runId("run-2")
                    .submitted(Instant.parse("2026-11-06T06:00:00Z")).format(FocusExportWriter.Format.PARQUET).write(reExport);

            CliRun load = CliRun.onCluster(cluster, prefix, "billing", "load", exports.toString());
            assertThat(load.exit()).as(load.err()).isZero();
            assertThat(load.out()).contains("found 2 export run(s)").contains("loaded daily-focus 20261101-20261130 run run-1")
                    .contains("loaded daily-focus 20261101-20261130 run run-2").contains("1 row(s) could not be read");
            assertThat(load.err()).contains("EffectiveCost");

            String query = "/api/allocation?from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z&by=tenant";
            Expected expected = expected(reExport);
            JsonNode allocation = settled(first, query, expected.effective);
            assertThat(JSON.readTree(second.get(query).body())).as("either instance gives the same answer").isEqualTo(allocation);

            assertThat(new BigDecimal(allocation.get("effectiveCostUsd").asText())).isEqualByComparingTo(expected.effective);
            assertThat(new BigDecimal(allocation.get("billedCostUsd").asText())).as("the purchase is billed, not allocated")
                    .isEqualByComparingTo(expected.billed);
            BigDecimal rows = BigDecimal.ZERO;
            Map<String, BigDecimal> byTenant = new TreeMap<>();
            for (JsonNode row : allocation.get("rows")) {
                BigDecimal cost = new BigDecimal(row.get("allocatedCostUsd").asText());
                byTenant.put(row.get("tenant").asText(), cost);
                rows = rows.add(cost);
            }
            assertThat(rows.add(new BigDecimal(allocation.get("unallocatedCostUsd").asText()))).as("rows + unallocated = the bill, to the nano")
                    .isEqualByComparingTo(expected.effective);
            assertThat(byTenant.keySet()).isEqualTo(expected.byTenant.keySet());
            BigDecimal tolerance = new BigDecimal("1e-9").multiply(BigDecimal.valueOf(expected.lines));
            expected.byTenant.forEach((tenant, exact) -> assertThat(byTenant.get(tenant).subtract(exact).abs())
                    .as("%s: %s against the exact %s", tenant, byTenant.get(tenant), exact).isLessThanOrEqualTo(tolerance));
            assertThat(new BigDecimal(allocation.get("unallocatedCostUsd").asText()).subtract(expected.unallocated).abs()).isLessThanOrEqualTo(tolerance);

            JsonNode reconciliation = JSON.readTree(first.get("/api/reconciliation?from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z"
                    + "&by=day,tokenKind").body());
            Map<String, long[]> tokens = new TreeMap<>();
            reconciliation.get("rows").forEach(r -> tokens.put(r.get("day").asText() + " " + r.get("tokenKind").asText(),
                    new long[] {r.get("meteredTokens").asLong(), r.get("billedTokens").asLong()}));
            for (String day : DAYS) {
                long input = measured.get(day).values().stream().mapToLong(v -> v[0]).sum();
                long output = measured.get(day).values().stream().mapToLong(v -> v[1]).sum();
                assertThat(tokens.get(day + " INPUT")).containsExactly(input, billedInput(day, input));
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

    // ---- the usage: three days, three tenants; contoso and fabrikam also on the provisioned deployment on the first day

    private List<String> usage() {
        List<String> documents = new ArrayList<>();
        int n = 0;
        for (String day : DAYS) {
            for (String tenant : USE_CASE.keySet().stream().sorted().toList()) {
                for (int i = 0; i < 30; i++) {
                    long input = 1_000 + 37L * i + tenant.length() * 101L;
                    long output = 100 + 13L * i;
                    boolean provisioned = day.equals(DAYS.get(0)) && !tenant.equals("adatum") && i % 3 == 0;
                    long[] m = measured.computeIfAbsent(day, d -> new TreeMap<>()).computeIfAbsent(tenant, t -> new long[4]);
                    if (provisioned) {
                        m[3] += input + output;
                    } else {
                        m[0] += input;
                        m[1] += output;
                    }
                    m[2]++;
                    String resource = i % 2 == 0 ? ACCOUNT : ACCOUNT.toUpperCase(); // resource ids compare ignoring case
                    documents.add("{\"kind\":\"usage\",\"eventId\":\"b" + n++ + "\",\"timestamp\":\"" + day + "T" + String.format("%02d", i % 24)
                            + ":" + String.format("%02d", i) + ":00Z\",\"tenant\":\"" + tenant + "\",\"useCase\":\"" + USE_CASE.get(tenant)
                            + "\",\"model\":\"gpt-4.1-mini\",\"deploymentType\":\"" + (provisioned ? "provisioned" : "global")
                            + "\",\"resourceId\":\"" + resource + "\",\"taskId\":\"" + task(day, tenant, i) + "\",\"inputTokens\":" + input
                            + ",\"outputTokens\":" + output + "}");
                }
                for (int t = 0; t < TASKS; t++) { // eight of ten tasks succeed
                    documents.add("{\"kind\":\"task-outcome\",\"taskId\":\"" + task(day, tenant, t) + "\",\"timestamp\":\"" + day
                            + "T23:30:00Z\",\"tenant\":\"" + tenant + "\",\"useCase\":\"" + USE_CASE.get(tenant) + "\",\"status\":\""
                            + (t < SUCCEEDED ? "SUCCEEDED" : "FAILED") + "\"}");
                }
            }
        }
        // a call after the last billed day, so event time completes it and drift is judged on every billed day
        documents.add("{\"kind\":\"usage\",\"eventId\":\"b-after\",\"timestamp\":\"2026-11-05T02:00:00Z\",\"tenant\":\"contoso\","
                + "\"model\":\"gpt-4.1-mini\",\"resourceId\":\"" + ACCOUNT + "\",\"inputTokens\":10,\"outputTokens\":1}");
        return documents;
    }

    private static final int TASKS = 10;
    private static final int SUCCEEDED = 8;

    private static String task(String day, String tenant, int call) {
        return tenant + "-" + day + "-" + (call % TASKS);
    }

    /** The input tokens billed on a day: as measured, but 10 % more on 2026-11-03 (traffic that bypassed the gateway). */
    private static long billedInput(String day, long input) {
        return day.equals("2026-11-03") ? input + input / 10 : input;
    }

    // ---- the bill

    private List<Map<String, String>> bill(BigDecimal discount) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (String day : DAYS) {
            long input = measured.get(day).values().stream().mapToLong(v -> v[0]).sum();
            long output = measured.get(day).values().stream().mapToLong(v -> v[1]).sum();
            rows.add(tokens(day, "gpt 4.1 mini Inp glbl 1M Tokens", billedInput(day, input), "0.40", discount, day.equals("2026-11-03")));
            rows.add(tokens(day, "gpt 4.1 mini Outp glbl 1M Tokens", output, "1.60", discount, false));
            rows.add(other(day, SEARCH, "srch-rag", "Azure AI Search", "Standard S1", "3.00", discount));
        }
        Map<String, String> ptu = other(DAYS.get(0), ACCOUNT, "oai-prod", "Azure OpenAI", "Provisioned Managed Global Hourly", "24.00", discount);
        ptu.put("x_SkuMeterCategory", "Foundry Models");
        ptu.put("ConsumedUnit", "Hours");
        ptu.put("ConsumedQuantity", "24");
        ptu.put("PricingQuantity", "24");
        ptu.put("x_PricingBlockSize", "1");
        ptu.put("x_PricingUnitDescription", "1 Hour");
        rows.add(ptu);
        rows.add(other(DAYS.get(0), ACCOUNT.replace("Microsoft.CognitiveServices/accounts/oai-prod", "Microsoft.ApiManagement/service/apim-ai"),
                "apim-ai", "API Management", "Standard v2 Unit", "1.00", discount));
        Map<String, String> purchase = other(DAYS.get(0), ACCOUNT, "oai-prod", "Azure OpenAI", "Provisioned Managed Global Reservation", "0", BigDecimal.ONE);
        purchase.put("ChargeCategory", "Purchase");
        purchase.put("BilledCost", "500.00");
        purchase.put("x_SkuMeterName", "Reservation purchase");
        purchase.put("x_SkuMeterCategory", "Reservations");
        rows.add(purchase);
        return rows;
    }

    private static Map<String, String> tokens(String day, String meter, long tokens, String perMillion, BigDecimal discount, boolean upperCaseId) {
        Map<String, String> row = FocusExportWriter.usageRow();
        BigDecimal list = new BigDecimal(perMillion).multiply(BigDecimal.valueOf(tokens)).movePointLeft(6);
        put(row, day, list.multiply(discount).setScale(9, RoundingMode.HALF_EVEN), list);
        row.put("ResourceId", upperCaseId ? ACCOUNT.toUpperCase() : ACCOUNT);
        row.put("x_SkuMeterName", meter);
        row.put("ConsumedQuantity", Long.toString(tokens));
        row.put("PricingQuantity", BigDecimal.valueOf(tokens).movePointLeft(6).toPlainString());
        return row;
    }

    private static Map<String, String> other(String day, String resourceId, String name, String service, String meter, String cost, BigDecimal discount) {
        Map<String, String> row = FocusExportWriter.usageRow();
        BigDecimal list = new BigDecimal(cost);
        put(row, day, list.multiply(discount).setScale(9, RoundingMode.HALF_EVEN), list);
        row.put("ResourceId", resourceId);
        row.put("ResourceName", name);
        row.put("ServiceName", service);
        row.put("x_SkuMeterName", meter);
        row.put("x_SkuMeterCategory", service);
        row.put("x_SkuMeterSubcategory", service);
        row.put("ConsumedQuantity", "1");
        row.put("PricingQuantity", "1");
        row.put("x_PricingBlockSize", "1");
        row.put("x_PricingUnitDescription", "1/Day");
        return row;
    }

    private static void put(Map<String, String> row, String day, BigDecimal effective, BigDecimal list) {
        row.put("ChargePeriodStart", day + "T00:00:00Z");
        row.put("ChargePeriodEnd", java.time.LocalDate.parse(day).plusDays(1) + "T00:00:00Z");
        row.put("EffectiveCost", effective.toPlainString());
        row.put("BilledCost", effective.toPlainString());
        row.put("ListCost", list.toPlainString());
        row.put("ContractedCost", effective.toPlainString());
    }

    // ---- the expected split, computed with exact decimals

    private record Expected(BigDecimal effective, BigDecimal billed, BigDecimal unallocated, Map<String, BigDecimal> byTenant, int lines) {
    }

    private Expected expected(List<Map<String, String>> bill) {
        BigDecimal effective = BigDecimal.ZERO;
        BigDecimal billed = BigDecimal.ZERO;
        BigDecimal unallocated = BigDecimal.ZERO;
        Map<String, BigDecimal> byTenant = new TreeMap<>();
        int lines = 0;
        for (Map<String, String> row : bill) {
            BigDecimal e = new BigDecimal(row.get("EffectiveCost"));
            effective = effective.add(e);
            billed = billed.add(new BigDecimal(row.get("BilledCost")));
            if (e.signum() == 0) {
                continue;
            }
            lines++;
            String day = row.get("ChargePeriodStart").substring(0, 10);
            String meter = row.get("x_SkuMeterName");
            Map<String, Long> weights = new TreeMap<>();
            long billedTokens = 0;
            if (meter.contains("Inp")) {
                measured.get(day).forEach((t, m) -> weights.put(t, m[0]));
                billedTokens = Long.parseLong(row.get("ConsumedQuantity"));
            } else if (meter.contains("Outp")) {
                measured.get(day).forEach((t, m) -> weights.put(t, m[1]));
                billedTokens = Long.parseLong(row.get("ConsumedQuantity"));
            } else if (meter.startsWith("Provisioned")) {
                measured.get(day).forEach((t, m) -> weights.put(t, m[3]));
            } else if (row.get("ResourceId").equals(SEARCH)) {
                measured.get(day).forEach((t, m) -> {
                    if (!t.equals("adatum")) {
                        weights.put(t, m[2]);
                    }
                });
            } else {
                unallocated = unallocated.add(e); // API Management: no rule claims it
                continue;
            }
            weights.values().removeIf(w -> w == 0);
            long measuredTokens = weights.values().stream().mapToLong(Long::longValue).sum();
            long total = Math.max(measuredTokens, billedTokens);
            BigDecimal divisor = BigDecimal.valueOf(total);
            for (Map.Entry<String, Long> w : weights.entrySet()) {
                byTenant.merge(w.getKey(), e.multiply(BigDecimal.valueOf(w.getValue())).divide(divisor, 30, RoundingMode.HALF_EVEN), BigDecimal::add);
            }
            if (total > measuredTokens) {
                unallocated = unallocated.add(e.multiply(BigDecimal.valueOf(total - measuredTokens)).divide(divisor, 30, RoundingMode.HALF_EVEN));
            }
        }
        return new Expected(effective, billed, unallocated, byTenant, lines);
    }

    /** Cost per successful task once every day's ten tasks per use case are closed. */
    private static JsonNode tasksSettled(ServiceFixture service, String query) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = service.get(query);
            if (response.statusCode() == 200) {
                last = JSON.readTree(response.body());
                boolean all = last.get("rows").size() == 9;
                for (JsonNode row : last.get("rows")) {
                    all &= row.get("succeeded").asLong() == SUCCEEDED && row.get("tasks").asLong() == TASKS && !row.get("allocatedCostUsd").isNull();
                }
                if (all) {
                    return last;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("cost per successful task did not settle within 90 s; last answer: " + last);
    }

    /** The allocation once every bill line is in and no day is pending. */
    private static JsonNode settled(ServiceFixture service, String query, BigDecimal effective) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = service.get(query);
            if (response.statusCode() == 200) {
                last = JSON.readTree(response.body());
                if (last.get("pendingDays").isEmpty() && new BigDecimal(last.get("effectiveCostUsd").asText()).compareTo(effective) == 0
                        && last.get("rows").size() == 3) {
                    Thread.sleep(2_000); // and it stays so
                    JsonNode again = JSON.readTree(service.get(query).body());
                    if (again.equals(last)) {
                        return last;
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the allocation did not settle within 90 s; last answer: " + last);
    }
}
