package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.bills.FocusExportWriter.FocusVersion;
import io.tokenmeter.bills.FocusExportWriter.Format;
import io.tokenmeter.bills.FocusExportWriter.ParquetNumbers;
import io.tokenmeter.bills.FocusExportWriter.ParquetTimes;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.prices.PriceValues;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** An independent Parquet reader, DuckDB, reads the files FocusExportWriter writes to the values FocusExports reads. */
class FocusParquetDuckDbTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path container;

    /** What DuckDB reads of one row. */
    private record Row(BigDecimal billed, BigDecimal effective, BigDecimal consumed, long startMillis, long endMillis, String category,
                       String resourceId, String meter, String tags) {
    }

    private static List<Map<String, String>> rows() {
        List<Map<String, String>> rows = new ArrayList<>(FocusFormatsTest.rows());
        for (int day = 1; day <= 30; day++) {
            Map<String, String> row = FocusExportWriter.usageRow();
            row.put("ChargePeriodStart", "2026-11-" + String.format("%02d", day) + "T00:00:00Z");
            row.put("ChargePeriodEnd", day == 30 ? "2026-12-01T00:00:00Z" : "2026-11-" + String.format("%02d", day + 1) + "T00:00:00Z");
            row.put("BilledCost", "0.0" + day + "7");
            row.put("EffectiveCost", "-0.00" + day);
            row.put("ConsumedQuantity", Integer.toString(day * 1_234));
            row.put("ResourceId", "/subscriptions/S/resourceGroups/Rg-" + day + "/providers/Microsoft.CognitiveServices/accounts/Oai-" + day);
            row.put("Tags", "{\"day\":\"" + day + "\"}");
            rows.add(row);
        }
        return rows;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({
            "DECIMAL, MICROS, V1_0",
            "DOUBLE,  MILLIS, V1_2_PREVIEW",
            "DECIMAL, NANOS,  V1_2_PREVIEW",
            "DOUBLE,  STRING, V1_0"})
    void readsWhatDuckDbReads(ParquetNumbers numbers, ParquetTimes times, FocusVersion version) throws Exception {
        Path run = FocusExportWriter.into(container).format(Format.PARQUET).parquetNumbers(numbers).parquetTimes(times).version(version)
                .rowsPerPart(15).write(rows());
        ExportRun found = FocusExports.find(run).runs().get(0);
        CollectedRows read = CollectedRows.of(found);

        List<Row> duck = new ArrayList<>();
        String meterColumn = version == FocusVersion.V1_0 ? "x_SkuMeterName" : "SkuMeter";
        String time = times == ParquetTimes.STRING ? "epoch_ms(CAST(%s AS TIMESTAMPTZ))" : "epoch_ms(%s)";
        try (Connection duckDb = DriverManager.getConnection("jdbc:duckdb:")) {
            for (Path file : found.files()) {
                try (PreparedStatement query = duckDb.prepareStatement("SELECT CAST(BilledCost AS VARCHAR), CAST(EffectiveCost AS VARCHAR), "
                        + "CAST(ConsumedQuantity AS VARCHAR), " + time.formatted("ChargePeriodStart") + ", " + time.formatted("ChargePeriodEnd")
                        + ", ChargeCategory, ResourceId, " + meterColumn + ", Tags FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number")) {
                    query.setString(1, file.toString());
                    try (ResultSet result = query.executeQuery()) {
                        while (result.next()) {
                            duck.add(new Row(decimal(result.getString(1)), decimal(result.getString(2)), decimal(result.getString(3)),
                                    result.getLong(4), result.getLong(5), result.getString(6), result.getString(7), result.getString(8),
                                    result.getString(9)));
                        }
                    }
                }
            }
        }

        assertThat(read.problems).isEmpty();
        assertThat(duck).hasSize(rows().size());
        assertThat(read.lines).hasSameSizeAs(duck);
        for (int i = 0; i < duck.size(); i++) {
            Row expected = duck.get(i);
            BillLine line = read.lines.get(i);
            assertThat(line.getBilledCostNanos()).as("BilledCost of row %d", i).isEqualTo(PriceValues.nanos(expected.billed()));
            assertThat(line.getEffectiveCostNanos()).as("EffectiveCost of row %d", i).isEqualTo(PriceValues.nanos(expected.effective()));
            if (expected.consumed() == null) {
                assertThat(line.getConsumedQuantity()).as("ConsumedQuantity of row %d", i).isNull();
            } else {
                assertThat(new BigDecimal(line.getConsumedQuantity())).as("ConsumedQuantity of row %d", i)
                        .isEqualByComparingTo(expected.consumed());
            }
            assertThat(line.getChargePeriodStart()).isEqualTo(Instant.ofEpochMilli(expected.startMillis()));
            assertThat(line.getChargePeriodEnd()).isEqualTo(Instant.ofEpochMilli(expected.endMillis()));
            assertThat(line.getChargeCategory()).isEqualTo(expected.category());
            assertThat(line.getResourceId()).isEqualTo(expected.resourceId());
            assertThat(line.getSkuMeter()).isEqualTo(expected.meter());
            assertThat(line.getTags()).isEqualTo(expected.tags() == null ? Map.of()
                    : JSON.readValue(expected.tags(), new TypeReference<Map<String, String>>() { }));
        }
    }

    private static BigDecimal decimal(String text) {
        return text == null ? null : new BigDecimal(text);
    }
}
