package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.bills.FocusConformance;
import io.tokenmeter.bills.FocusExportWriter;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `billing export` after BillingIT's bill has settled (two service instances, two export runs of November, the second
 * in force): the CSV and the Parquet export meet FOCUS 1.3, hold only the lines of the run in force, and add up to
 * what /api/allocation says, in total and per tenant, to the nano.
 */
@ExtendWith(SharedKafka.class)
class BillingExportIT {

    private static final Clock WALL = Clock.fixed(Instant.parse("2026-12-02T08:00:00Z"), ZoneOffset.UTC);
    private static final String UNALLOCATED = "tokenmeter-unallocated-reason";

    private final BillingScenario scenario = new BillingScenario();

    @Test
    void theExportAddsUpToTheAllocationInTotalAndPerTenant(SharedKafka.Cluster cluster, @TempDir Path folder) throws Exception {
        String prefix = cluster.uniquePrefix("billing-export");
        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of()).start();
             ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            first.sendRaw(scenario.usage());
            assertThat(BillingScenario.loadRules(cluster, prefix, folder).exit()).isZero();
            Path exports = folder.resolve("exports");
            BillingScenario.export(exports, "run-1", "2026-11-05T06:00:00Z", FocusExportWriter.Format.GZIP_CSV, scenario.bill(BigDecimal.ONE));
            List<Map<String, String>> reExport = scenario.bill(BillingScenario.DISCOUNT);
            BillingScenario.export(exports, "run-2", "2026-11-06T06:00:00Z", FocusExportWriter.Format.PARQUET, reExport);
            CliRun load = CliRun.onCluster(cluster, prefix, "billing", "load", exports.toString());
            assertThat(load.exit()).as(load.err()).isZero();
            BillingScenario.Expected expected = scenario.expected(reExport);
            JsonNode allocation = BillingScenario.settled(first, "/api/allocation?from=2026-11-02T00:00:00Z&to=2026-11-05T00:00:00Z&by=tenant",
                    expected.effective());

            for (String format : List.of("csv", "parquet")) {
                Path out = folder.resolve("focus-" + format);
                CliRun export = CliRun.onCluster(WALL, cluster, prefix, "billing", "export", "--from", "2026-11-02", "--to", "2026-11-05",
                        "--format", format, "--out", out.toString());
                assertThat(export.exit()).as(export.err()).isZero();
                assertThat(export.out()).contains("part_0_0001." + format).contains("manifest.json");

                Path part = out.resolve("part_0_0001." + format);
                FocusConformance.Table table = format.equals("csv") ? FocusConformance.csv(part) : FocusConformance.parquet(part);
                assertThat(FocusConformance.violations(table)).as(format).isEmpty();
                assertThat(table.rows()).as("only the lines of run-2, the run in force")
                        .allSatisfy(row -> assertThat(row.get("x_TokenmeterLineId")).contains("/run-2#"));

                BigDecimal total = BigDecimal.ZERO;
                BigDecimal unallocated = BigDecimal.ZERO;
                Map<String, BigDecimal> byTenant = new TreeMap<>();
                for (Map<String, String> row : table.rows()) {
                    BigDecimal cost = new BigDecimal(row.get("EffectiveCost"));
                    total = total.add(cost);
                    JsonNode tags = BillingScenario.JSON.readTree(row.get("Tags"));
                    if (tags.has(UNALLOCATED)) {
                        unallocated = unallocated.add(cost);
                    } else {
                        byTenant.merge(tags.get("tenant").asText(), cost, BigDecimal::add);
                    }
                }
                assertThat(total).as(format + ": the export's EffectiveCost is the allocation's")
                        .isEqualByComparingTo(new BigDecimal(allocation.get("effectiveCostUsd").asText()));
                assertThat(unallocated).isEqualByComparingTo(new BigDecimal(allocation.get("unallocatedCostUsd").asText()));
                Map<String, BigDecimal> apiByTenant = new TreeMap<>();
                allocation.get("rows").forEach(r -> apiByTenant.put(r.get("tenant").asText(), new BigDecimal(r.get("allocatedCostUsd").asText())));
                assertThat(byTenant.keySet()).isEqualTo(apiByTenant.keySet());
                apiByTenant.forEach((tenant, cost) -> assertThat(byTenant.get(tenant)).as(format + " " + tenant).isEqualByComparingTo(cost));

                JsonNode manifest = BillingScenario.JSON.readTree(out.resolve("manifest.json").toFile());
                assertThat(manifest.get("generatedAt").asText()).isEqualTo("2026-12-02T08:00:00Z");
                assertThat(manifest.get("dataRowCount").asInt()).isEqualTo(table.rows().size());
                assertThat(new BigDecimal(manifest.get("effectiveCost").get("USD").asText())).isEqualByComparingTo(total);
                assertThat(manifest.get("linesNotAddingUp").asInt()).isZero();
            }
        }
    }
}
