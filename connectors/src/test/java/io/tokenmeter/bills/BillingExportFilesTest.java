package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.bills.BillingExport.Format;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The files of billing export: FOCUS 1.3 conformance, and DuckDB, an independent reader, reads back what was written. */
class BillingExportFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-12-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T08:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path folder;

    /** Two token lines, one with an unallocated part, one with a tenant whose name needs CSV quoting. */
    private static AllocatedBill bill() {
        AllocatedBill.Line first = AllocatedLines.contosoFabrikamAndUntracked(1_000_000_001L);
        AllocatedBill.Line second = AllocatedLines.allocated("run-1", 1, AllocatedLines.tokenLine(-2_500_000_003L),
                List.of(new AllocatedLines.Use("adatum, \"inc\"", "chat\nbot", 5), new AllocatedLines.Use("contoso", "policy-qa", 7)), 0);
        return new AllocatedBill(List.of(first, second), 1, 2);
    }

    private static List<ExportRow> expectedRows() {
        List<ExportRow> rows = new ArrayList<>();
        bill().lines().forEach(line -> rows.addAll(AllocationRows.rows(line)));
        return rows;
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void theFilesMeetTheFocus13Requirements(Format format) throws Exception {
        BillingExport.Summary summary = BillingExport.write(bill(), FROM, TO, format, folder, CLOCK, BillingExport.ROWS_PER_PART);

        Path part = folder.resolve("part_0_0001." + format.extension());
        assertThat(summary.files()).containsExactly(part, folder.resolve("manifest.json"));
        FocusConformance.Table table = format == Format.CSV ? FocusConformance.csv(part) : FocusConformance.parquet(part);
        assertThat(FocusConformance.violations(table)).isEmpty();
        assertThat(table.rows()).hasSize(5);
    }

    @Test
    void theConformanceCheckFindsWhatIsWrong() {
        Map<String, FocusConformance.Kind> columns = new LinkedHashMap<>();
        FocusConformance.SPEC.forEach(c -> columns.put(c.name(), c.kind()));
        columns.remove("BillingAccountId");
        columns.put("Custom", FocusConformance.Kind.STRING);
        columns.put("BilledCost", FocusConformance.Kind.DATETIME); // a typed file (Parquet) with the wrong type
        Map<String, String> row = new LinkedHashMap<>();
        row.put("ChargeCategory", "usage");
        row.put("ServiceCategory", "AI");
        row.put("ChargePeriodStart", "2026-11-02 00:00:00");
        row.put("EffectiveCost", "1,5");
        row.put("AllocatedMethodDetails", "{\"Elements\":[{\"UsageQuantity\":3}]}");

        List<String> violations = FocusConformance.violations(new FocusConformance.Table(columns, List.of(row)));

        assertThat(violations).anyMatch(v -> v.contains("mandatory column BillingAccountId is missing"))
                .anyMatch(v -> v.contains("column Custom is neither"))
                .anyMatch(v -> v.contains("column BilledCost is DATETIME, FOCUS says DECIMAL"))
                .anyMatch(v -> v.contains("ChargeCategory 'usage' is not an allowed value"))
                .anyMatch(v -> v.contains("ServiceCategory 'AI' is not an allowed value"))
                .anyMatch(v -> v.contains("ChargePeriodStart '2026-11-02 00:00:00' is not an ISO 8601 UTC date-time"))
                .anyMatch(v -> v.contains("EffectiveCost '1,5' is not a decimal"))
                .anyMatch(v -> v.contains("BillingCurrency is null"))
                .anyMatch(v -> v.contains("no numeric AllocatedRatio"))
                .anyMatch(v -> v.contains("UsageQuantity without UsageUnit"))
                .anyMatch(v -> v.contains("allocation columns but no AllocatedMethodId"));
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void duckDbReadsTheValuesThatWereWritten(Format format) throws Exception {
        BillingExport.write(bill(), FROM, TO, format, folder, CLOCK, BillingExport.ROWS_PER_PART);
        Path part = folder.resolve("part_0_0001." + format.extension());
        String source = format == Format.PARQUET ? "read_parquet('" + part + "')" : "read_csv('" + part + "', header = true, all_varchar = true)";
        List<Map<String, String>> duck = new ArrayList<>();
        try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement query = db.createStatement()) {
            if (format == Format.PARQUET) {
                query.execute("SET TimeZone = 'UTC'");
            }
            try (ResultSet result = query.executeQuery("SELECT * FROM " + source)) {
                ResultSetMetaData meta = result.getMetaData();
                while (result.next()) {
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int c = 1; c <= meta.getColumnCount(); c++) {
                        Object value = result.getObject(c);
                        row.put(meta.getColumnName(c), value == null ? null : value.toString());
                    }
                    duck.add(row);
                }
                if (format == Format.PARQUET) {
                    assertThat(meta.getColumnTypeName(column(meta, "EffectiveCost"))).isEqualTo("DECIMAL(38,9)");
                    assertThat(meta.getColumnTypeName(column(meta, "ChargePeriodStart"))).isEqualTo("TIMESTAMP WITH TIME ZONE");
                    assertThat(meta.getColumnTypeName(column(meta, "ConsumedQuantity"))).isEqualTo("DECIMAL(38,18)");
                }
            }
        }

        List<ExportRow> expected = expectedRows();
        assertThat(duck).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            for (ExportColumn column : ExportColumn.values()) {
                String written = expected.get(i).text(column);
                String read = duck.get(i).get(column.header());
                String at = "row " + i + " " + column.header();
                switch (column.type()) {
                    case MONEY, QUANTITY -> {
                        if (written == null) {
                            assertThat(read).as(at).isNull();
                        } else {
                            assertThat(new BigDecimal(read)).as(at).isEqualByComparingTo(written);
                        }
                    }
                    case DATETIME -> assertThat(read == null ? null : instant(read)).as(at).isEqualTo(written == null ? null : Instant.parse(written));
                    default -> assertThat(read).as(at).isEqualTo(written);
                }
            }
        }
    }

    private static int column(ResultSetMetaData meta, String name) throws Exception {
        for (int c = 1; c <= meta.getColumnCount(); c++) {
            if (meta.getColumnName(c).equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no column " + name);
    }

    /** DuckDB gives TIMESTAMPTZ as an OffsetDateTime, text as ISO 8601. */
    private static Instant instant(String text) {
        return java.time.OffsetDateTime.parse(text.replace(' ', 'T')).toInstant();
    }

    @Test
    void theManifestSaysWhatWasExportedAndPartsRollOverAndAnEarlierExportIsReplaced() throws Exception {
        Files.writeString(folder.resolve("part_0_0009.csv"), "stale");
        Files.writeString(folder.resolve("notes.txt"), "kept");

        BillingExport.Summary summary = BillingExport.write(bill(), FROM, TO, Format.CSV, folder, CLOCK, 2);

        assertThat(summary.files()).extracting(p -> p.getFileName().toString())
                .containsExactly("part_0_0001.csv", "part_0_0002.csv", "part_0_0003.csv", "manifest.json");
        assertThat(folder.resolve("part_0_0009.csv")).doesNotExist();
        assertThat(folder.resolve("notes.txt")).exists();
        JsonNode manifest = JSON.readTree(folder.resolve("manifest.json").toFile());
        assertThat(manifest.get("focusVersion").asText()).isEqualTo("1.3");
        assertThat(manifest.get("from").asText()).isEqualTo("2026-11-01T00:00:00Z");
        assertThat(manifest.get("to").asText()).isEqualTo("2026-12-01T00:00:00Z");
        assertThat(manifest.get("generatedAt").asText()).isEqualTo("2026-12-02T08:00:00Z");
        assertThat(manifest.get("dataRowCount").asLong()).isEqualTo(5);
        assertThat(manifest.get("billLineCount").asLong()).isEqualTo(2);
        assertThat(manifest.get("effectiveCost").get("USD").asText()).isEqualTo("-1.500000002");
        assertThat(manifest.get("notExported").get("linesWithoutAllocation").asInt()).isEqualTo(1);
        assertThat(manifest.get("notExported").get("partsOfReplacedRuns").asInt()).isEqualTo(2);
        assertThat(manifest.get("blobs")).extracting(b -> b.get("dataRowCount").asLong()).containsExactly(2L, 2L, 1L);
        long rows = 0;
        for (int i = 1; i <= 3; i++) {
            rows += FocusConformance.csv(folder.resolve(BillingExport.partName(i, Format.CSV))).rows().size();
        }
        assertThat(rows).isEqualTo(5);
    }
}
