package io.tokenmeter.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.event.AllocationBasis;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import io.tokenmeter.event.PriceEntry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The Azure bill of the demo's simulated days, as Cost Management would export it (FOCUS 1.0r2, gzip CSV, Azure's
 * folder layout and manifest), made from what Azure's meters would have counted of the billed calls, with what real
 * bills have and estimates do not: a negotiated discount, a provisioned-throughput (PTU) reservation nobody used,
 * a shared Azure AI Search service, and a batch job that calls gpt-4.1 around the gateway (5 % more input tokens
 * than tokenmeter measured). Loading it shows estimated against actual cost per tenant, and the drift.
 */
public final class DemoBill {

    static final String GROUP = "/subscriptions/00000000-0000-0000-0000-00000000de70/resourceGroups/rg-demo-ai/providers/";
    static final String EAST = GROUP + "Microsoft.CognitiveServices/accounts/contoso-ai-eastus2";
    static final String SWEDEN = GROUP + "Microsoft.CognitiveServices/accounts/contoso-ai-swedencentral";
    static final String SEARCH = GROUP + "Microsoft.Search/searchServices/contoso-rag-search";
    /** The negotiated discount on list prices. */
    static final BigDecimal DISCOUNT = new BigDecimal("0.12");
    /** Input tokens of gpt-4.1 that a batch job sends around the gateway, as a share of the measured ones. */
    static final BigDecimal UNTRACKED = new BigDecimal("0.05");
    static final String PTU_PER_DAY = "52.80";
    static final String SEARCH_PER_DAY = "8.22";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> COLUMNS = List.of("BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
            "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
            "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "PricingUnit", "RegionId",
            "ResourceId", "ResourceName", "ServiceName", "Tags", "x_PricingBlockSize", "x_PricingUnitDescription", "x_ResourceGroupName",
            "x_SkuMeterCategory", "x_SkuMeterName", "x_SkuMeterSubcategory");

    private DemoBill() {
    }

    /** {@code azure.resources} of the demo: each deployment of the workload served by its region's account. */
    public static List<String> resources() {
        List<String> entries = new ArrayList<>();
        for (DemoWorkload.Model model : List.of(DemoWorkload.GPT_4O, DemoWorkload.GPT_41, DemoWorkload.GPT_41_MINI, DemoWorkload.O4_MINI,
                DemoWorkload.EMBED, DemoWorkload.PREVIEW)) {
            entries.add(model.deployment() + "=" + (model.region().equals("swedencentral") ? SWEDEN : EAST));
        }
        return entries;
    }

    /** The search service is shared by the use cases that ground answers in documents, by their requests. */
    public static BillingRule searchRule(Instant at) {
        return BillingRule.newBuilder().setName("rag-search")
                .setMatch(BillingRuleMatch.newBuilder().setResourceId(SEARCH).build())
                .setAllocateBy(AllocationBasis.REQUESTS)
                .setAmong(Map.of("useCase", List.of("contract-qa", "policy-qa", "answer-drafting")))
                .setUpdatedAt(at).build();
    }

    /** What the bill adds up to, to check the allocation against. */
    public record Written(Path exportFolder, int lines, BigDecimal effective) {
    }

    /**
     * Writes the export of {@code metered} (uncached input, cached input, output tokens per day, resource, model and
     * deployment type) under {@code container}, priced at the list prices of {@code prices} less the discount.
     */
    public static Written write(Path container, Map<FlowMonitor.Metered, long[]> metered, List<PriceEntry> prices, Instant submitted)
            throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        List<String> days = new ArrayList<>();
        metered.forEach((key, tokens) -> {
            if (!days.contains(key.day())) {
                days.add(key.day());
            }
            // a model nobody loaded a price for (the preview) is billed all the same: the demo bills it at gpt-4o's list price
            PriceEntry price = price(prices, key.model(), key.deploymentType());
            price = price != null ? price : price(prices, "gpt-4o", "global");
            if (price == null || key.resourceId().equals("null")) {
                return;
            }
            long input = tokens[0];
            if (key.model().equals("gpt-4.1")) {
                input += new BigDecimal(input).multiply(UNTRACKED).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
            }
            add(rows, key, "Inp", input, price.getInputPerMillionNanos());
            Long cachedPrice = price.getCachedInputPerMillionNanos();
            add(rows, key, "cached Inp", tokens[1], cachedPrice == null ? price.getInputPerMillionNanos() : cachedPrice);
            add(rows, key, "Outp", tokens[2], price.getOutputPerMillionNanos());
        });
        for (String day : days) {
            rows.add(other(day, EAST, "Foundry Models", "Provisioned Managed Global Hourly", "24", "Hours", PTU_PER_DAY));
            rows.add(other(day, SEARCH, "Azure AI Search", "Standard S1 Unit", "1", "1/Day", SEARCH_PER_DAY));
        }
        LocalDate first = LocalDate.parse(days.isEmpty() ? submitted.toString().substring(0, 10) : days.get(0)).withDayOfMonth(1);
        String period = first.format(DateTimeFormatter.BASIC_ISO_DATE) + "-" + first.plusMonths(1).minusDays(1).format(DateTimeFormatter.BASIC_ISO_DATE);
        String runId = "demo-" + submitted.toEpochMilli();
        Path export = container.resolve("demo-focus");
        Path run = Files.createDirectories(export.resolve(period).resolve(submitted.toString().replaceAll("[^0-9]", "").substring(0, 12)).resolve(runId));
        Path part = run.resolve("part_0_0001.csv.gz");
        try (OutputStream file = Files.newOutputStream(part); Writer out = new java.io.OutputStreamWriter(new GZIPOutputStream(file), StandardCharsets.UTF_8)) {
            out.write(String.join(",", COLUMNS) + "\n");
            for (Map<String, String> row : rows) {
                List<String> cells = new ArrayList<>();
                for (String column : COLUMNS) {
                    cells.add(csv(row.getOrDefault(column, "")));
                }
                out.write(String.join(",", cells) + "\n");
            }
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("manifestVersion", "2024-04-01").put("byteCount", Files.size(part)).put("blobCount", 1).put("dataRowCount", rows.size());
        manifest.putObject("exportConfig").put("exportName", "demo-focus").put("dataVersion", "1.0r2").put("type", "FocusCost")
                .put("timeFrame", "MonthToDate").put("granularity", "Daily");
        manifest.putObject("deliveryConfig").put("partitionData", true).put("fileFormat", "Csv").put("compressionMode", "gzip")
                .put("containerName", "exports").put("rootFolderPath", "demo");
        manifest.putObject("runInfo").put("executionType", "OnDemand").put("submittedTime", submitted.toString()).put("runId", runId)
                .put("startDate", first + "T00:00:00").put("endDate", first.plusMonths(1).minusDays(1) + "T00:00:00");
        manifest.putArray("blobs").addObject().put("blobName", "demo/demo-focus/" + export.relativize(part).toString().replace('\\', '/'))
                .put("byteCount", Files.size(part)).put("dataRowCount", rows.size());
        Files.writeString(run.resolve("manifest.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest));
        BigDecimal effective = rows.stream().map(r -> new BigDecimal(r.get("EffectiveCost"))).reduce(BigDecimal.ZERO, BigDecimal::add);
        return new Written(export, rows.size(), effective);
    }

    private static PriceEntry price(List<PriceEntry> prices, String model, String deploymentType) {
        return prices.stream().filter(p -> p.getModel().equalsIgnoreCase(model) && p.getDeploymentType().equals(deploymentType)).findFirst().orElse(null);
    }

    private static void add(List<Map<String, String>> rows, FlowMonitor.Metered key, String kind, long tokens, long perMillionNanos) {
        if (tokens == 0) {
            return;
        }
        String type = key.deploymentType().equals("datazone") ? "Dz" : key.deploymentType().equals("regional") ? "regnl" : "glbl";
        String meter = key.model().replace('-', ' ') + " " + kind + " " + type + " 1M Tokens";
        BigDecimal list = BigDecimal.valueOf(perMillionNanos, 9).multiply(BigDecimal.valueOf(tokens)).movePointLeft(6);
        Map<String, String> row = base(key.day(), key.resourceId(), "Foundry Models", meter, list, list.multiply(BigDecimal.ONE.subtract(DISCOUNT)));
        row.put("ConsumedQuantity", Long.toString(tokens));
        row.put("ConsumedUnit", "Tokens");
        row.put("PricingQuantity", BigDecimal.valueOf(tokens).movePointLeft(6).toPlainString());
        row.put("PricingUnit", "1M Tokens");
        row.put("x_PricingBlockSize", "1000000");
        row.put("x_PricingUnitDescription", "1M Tokens");
        rows.add(row);
    }

    private static Map<String, String> other(String day, String resourceId, String service, String meter, String quantity, String unit, String cost) {
        BigDecimal amount = new BigDecimal(cost);
        Map<String, String> row = base(day, resourceId, service, meter, amount, amount);
        row.put("ConsumedQuantity", quantity);
        row.put("ConsumedUnit", unit);
        row.put("PricingQuantity", quantity);
        row.put("PricingUnit", unit);
        row.put("x_PricingBlockSize", "1");
        row.put("x_PricingUnitDescription", unit);
        return row;
    }

    private static Map<String, String> base(String day, String resourceId, String service, String meter, BigDecimal list, BigDecimal effective) {
        LocalDate date = LocalDate.parse(day);
        String cost = effective.setScale(9, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString();
        Map<String, String> row = new LinkedHashMap<>();
        row.put("BilledCost", cost);
        row.put("BillingAccountId", "/providers/Microsoft.Billing/billingAccounts/demo");
        row.put("BillingAccountName", "Contoso (demo)");
        row.put("BillingCurrency", "USD");
        row.put("BillingPeriodStart", date.withDayOfMonth(1) + "T00:00:00Z");
        row.put("BillingPeriodEnd", date.withDayOfMonth(1).plusMonths(1) + "T00:00:00Z");
        row.put("ChargeCategory", "Usage");
        row.put("ChargeDescription", service + " - " + meter);
        row.put("ChargeFrequency", "Usage-Based");
        row.put("ChargePeriodStart", day + "T00:00:00Z");
        row.put("ChargePeriodEnd", date.plusDays(1) + "T00:00:00Z");
        row.put("ContractedCost", cost);
        row.put("EffectiveCost", cost);
        row.put("ListCost", list.setScale(9, RoundingMode.HALF_EVEN).stripTrailingZeros().toPlainString());
        row.put("RegionId", resourceId.contains("swedencentral") ? "swedencentral" : "eastus2");
        row.put("ResourceId", resourceId);
        row.put("ResourceName", resourceId.substring(resourceId.lastIndexOf('/') + 1));
        row.put("ServiceName", service);
        row.put("Tags", "{\"env\":\"demo\"}");
        row.put("x_ResourceGroupName", "rg-demo-ai");
        row.put("x_SkuMeterCategory", service);
        row.put("x_SkuMeterName", meter);
        row.put("x_SkuMeterSubcategory", service.equals("Foundry Models") ? "Azure OpenAI" : service);
        return row;
    }

    private static String csv(String value) {
        return value.contains(",") || value.contains("\"") || value.contains("\n") ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }

    /**
     * Writes the bill of what {@code monitor} metered, loads it with the search rule, waits for the service's
     * allocation of it and prints estimated against actual per tenant, what stayed unallocated and the drift.
     */
    public static void play(java.util.Map<String, Object> clientProps, io.tokenmeter.topics.TopicCatalog topics, FlowMonitor monitor, int httpPort,
                            Path dir, Instant submitted, java.time.Clock wall, java.io.PrintWriter out) throws Exception {
        Map<FlowMonitor.Metered, long[]> metered = monitor.meter();
        if (metered.isEmpty()) {
            return;
        }
        Written bill = write(dir, metered, io.tokenmeter.prices.PriceCatalogs.defaultCatalog().entries(), submitted);
        if (io.tokenmeter.ingest.CompactedTopics.latest(clientProps, topics.billingRules()).isEmpty()) {
            io.tokenmeter.ingest.CompactedTopics.publish(clientProps, topics.billingRules(),
                    List.of(io.tokenmeter.ingest.CompactedTopics.Update.put("rag-search", searchRule(submitted))), "the demo's sharing rule");
        }
        var runs = io.tokenmeter.bills.FocusExports.find(bill.exportFolder()).runs();
        io.tokenmeter.bills.BillPublisher.load(clientProps, topics.billingCosts(), topics.dlq(), runs, wall, lines -> { });
        List<String> days = metered.keySet().stream().map(FlowMonitor.Metered::day).distinct().sorted().toList();
        String query = "/api/allocation?by=tenant&from=" + days.get(0) + "T00:00:00Z&to=" + LocalDate.parse(days.get(days.size() - 1)).plusDays(1)
                + "T00:00:00Z";
        com.fasterxml.jackson.databind.JsonNode allocation = null;
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Instant deadline = wall.instant().plusSeconds(60);
        while (wall.instant().isBefore(deadline)) {
            var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + httpPort + query)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                com.fasterxml.jackson.databind.JsonNode answer = JSON.readTree(response.body());
                if (answer.get("pendingDays").isEmpty() && new BigDecimal(answer.get("effectiveCostUsd").asText()).compareTo(bill.effective()) == 0) {
                    allocation = answer;
                    break;
                }
            }
            Thread.sleep(250);
        }
        out.println();
        out.printf(Locale.ROOT, "=== the bill: the demo's Azure FOCUS export (%d lines, %s to %s) ===%n", bill.lines(), days.get(0), days.get(days.size() - 1));
        out.printf(Locale.ROOT, "a %s %% negotiated discount, a PTU reservation nobody used, a shared AI Search service, and a batch job%n",
                DISCOUNT.movePointRight(2).stripTrailingZeros().toPlainString());
        out.println("calling gpt-4.1 around the gateway; loaded with `billing load`, split by measured use (GET " + query + ")");
        if (allocation == null) {
            out.println("warning: the allocation of the bill did not settle within 60 s");
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "%-18s %14s %14s%n", "tenant", "estimated", "actual");
        for (com.fasterxml.jackson.databind.JsonNode row : allocation.get("rows")) {
            out.printf(Locale.ROOT, "%-18s %14s %14s%n", row.get("tenant").asText(), money(row.get("estimatedCostUsd").asText()),
                    money(row.get("allocatedCostUsd").asText()));
        }
        List<String> unallocated = new ArrayList<>();
        allocation.get("unallocated").forEach(u -> unallocated.add(u.get("reason").asText() + " " + money(u.get("costUsd").asText())));
        out.printf(Locale.ROOT, "unallocated: %s%n", unallocated.isEmpty() ? "nothing" : String.join(", ", unallocated));
        out.printf(Locale.ROOT, "bill %s (effective) = allocated + unallocated, to the nano%n", money(allocation.get("effectiveCostUsd").asText()));
        Instant driftDeadline = wall.instant().plusSeconds(20);
        List<io.tokenmeter.event.Alert> drift = List.of();
        while (drift.isEmpty() && wall.instant().isBefore(driftDeadline)) {
            drift = monitor.snapshot().alerts().stream().filter(a -> a.getType() == io.tokenmeter.event.AlertType.BILL_DRIFT).toList();
            Thread.sleep(250);
        }
        if (drift.isEmpty()) {
            out.println("drift: none judged yet (a day is judged once event time has passed its end)");
        }
        drift.forEach(a -> out.println("drift: " + a.getMessage()));
        out.flush();
    }

    static String money(String decimal) {
        return String.format(Locale.ROOT, "$%,.2f", new BigDecimal(decimal));
    }
}
