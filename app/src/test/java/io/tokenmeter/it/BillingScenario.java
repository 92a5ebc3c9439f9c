package io.tokenmeter.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.bills.FocusExportWriter;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bill of BillingIT and BillingExportIT: three days of usage by three tenants (contoso and fabrikam also on the
 * provisioned deployment the first day), a sharing rule for AI Search, a FOCUS bill of token, provisioned, AI Search,
 * API Management and purchase lines, and the split computed independently with exact decimals.
 */
final class BillingScenario {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.CognitiveServices/accounts/oai-prod";
    static final String SEARCH = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.Search/searchServices/srch-rag";
    static final List<String> DAYS = List.of("2026-11-02", "2026-11-03", "2026-11-04");
    static final Map<String, String> USE_CASE = Map.of("contoso", "policy-qa", "fabrikam", "case-summary", "adatum", "chat");
    static final BigDecimal DISCOUNT = new BigDecimal("0.9");

    /** Measured use per day, tenant and kind, as the documents say it (the truth the bill is split by). */
    final Map<String, Map<String, long[]>> measured = new TreeMap<>(); // day -> tenant -> {input, output, calls, ptuTokens}

    /** `billing rules load` of the one sharing rule: AI Search by requests among policy-qa and case-summary (resource id in upper case). */
    static CliRun loadRules(SharedKafka.Cluster cluster, String prefix, Path folder) throws IOException {
        Path rules = folder.resolve("rules.json");
        Files.writeString(rules, "[{\"name\":\"rag-search\",\"match\":{\"resourceId\":\"" + SEARCH.toUpperCase()
                + "\"},\"allocateBy\":\"requests\",\"among\":{\"useCase\":[\"policy-qa\",\"case-summary\"]}}]");
        return CliRun.onCluster(cluster, prefix, "billing", "rules", "load", rules.toString());
    }

    /** Writes {@code rows} as export run {@code runId} of November, submitted at {@code submitted}, into the container {@code exports}. */
    static void export(Path exports, String runId, String submitted, FocusExportWriter.Format format, List<Map<String, String>> rows)
            throws IOException {
        FocusExportWriter.into(exports).export("daily-focus").period("20261101-20261130").runId(runId)
                .submitted(Instant.parse(submitted)).format(format).write(rows);
    }

    /**
     * A one-line export run of a token meter on {@code day} under a new folder in target: {@code tokens} billed for {@code cost}
     * (every cost column), the run submitted at {@code submitted}. Returns the folder, for `billing load`.
     */
    static Path oneLine(java.time.LocalDate day, String resourceId, String meter, long tokens, String cost, String runId, Instant submitted)
            throws IOException {
        Path container = java.nio.file.Files.createTempDirectory(Path.of("target"), "bill-");
        Map<String, String> row = FocusExportWriter.usageRow();
        row.put("ChargePeriodStart", day + "T00:00:00Z");
        row.put("ChargePeriodEnd", day.plusDays(1) + "T00:00:00Z");
        row.put("BillingPeriodStart", day.withDayOfMonth(1) + "T00:00:00Z");
        row.put("BillingPeriodEnd", day.withDayOfMonth(1).plusMonths(1) + "T00:00:00Z");
        row.put("ResourceId", resourceId);
        row.put("x_SkuMeterName", meter);
        row.put("ConsumedQuantity", Long.toString(tokens));
        row.put("PricingQuantity", java.math.BigDecimal.valueOf(tokens).movePointLeft(6).toPlainString());
        for (String money : List.of("BilledCost", "EffectiveCost", "ContractedCost", "ListCost")) {
            row.put(money, cost);
        }
        java.time.LocalDate first = day.withDayOfMonth(1);
        String period = first.toString().replace("-", "") + "-" + first.plusMonths(1).minusDays(1).toString().replace("-", "");
        FocusExportWriter.into(container).export("one-line").period(period).runId(runId).submitted(submitted).write(List.of(row));
        return container;
    }

    // ---- the usage: three days, three tenants; contoso and fabrikam also on the provisioned deployment on the first day

    /** Tasks per tenant and day, and how many of them succeed. */
    static final int TASKS = 10;
    static final int SUCCEEDED = 8;

    private static String task(String day, String tenant, int call) {
        return tenant + "-" + day + "-" + (call % TASKS);
    }

    List<String> usage() {
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

    /** The input tokens billed on a day: as measured, but 10 % more on 2026-11-03 (traffic that bypassed the gateway). */
    static long billedInput(String day, long input) {
        return day.equals("2026-11-03") ? input + input / 10 : input;
    }

    // ---- the bill

    List<Map<String, String>> bill(BigDecimal discount) {
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

    record Expected(BigDecimal effective, BigDecimal billed, BigDecimal unallocated, Map<String, BigDecimal> byTenant, int lines) {
    }

    Expected expected(List<Map<String, String>> bill) {
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

    /** The allocation once every bill line is in and no day is pending. */
    static JsonNode settled(ServiceFixture service, String query, BigDecimal effective) throws Exception {
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
