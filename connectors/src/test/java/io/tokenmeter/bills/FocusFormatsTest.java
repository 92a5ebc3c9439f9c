package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.bills.FocusExportWriter.FocusVersion;
import io.tokenmeter.bills.FocusExportWriter.Format;
import io.tokenmeter.bills.FocusExportWriter.ParquetNumbers;
import io.tokenmeter.bills.FocusExportWriter.ParquetTimes;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.serde.AvroSerde;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every format Azure exports in, with FOCUS 1.0 and 1.2-preview names, reads into the same lines. */
class FocusFormatsTest {

    static {
        // BillLine.newBuilder(line) copies the nested BillMeter through Avro, which must trust the generated classes.
        AvroSerde.trustContracts();
    }

    @TempDir
    Path container;

    /** Lines of every kind: token meters of 1M and 1K blocks, provisioned, another service, a credit, a correction. */
    static List<Map<String, String>> rows() {
        List<Map<String, String>> rows = new ArrayList<>();
        rows.add(FocusExportWriter.usageRow());
        Map<String, String> cached = FocusExportWriter.usageRow();
        cached.putAll(Map.of("x_SkuMeterName", "gpt 4o 1120 cached Inp glbl 1K Tokens", "x_PricingUnitDescription", "1K Tokens",
                "x_PricingBlockSize", "1000", "ConsumedQuantity", "12345", "PricingQuantity", "12.345", "BilledCost", "0.01543125",
                "EffectiveCost", "0.01543125", "ListCost", "0.01543125", "ContractedCost", "0.01543125"));
        rows.add(cached);
        Map<String, String> output = FocusExportWriter.usageRow();
        output.putAll(Map.of("x_SkuMeterName", "gpt 4o 1120 Outp glbl Tokens", "x_PricingUnitDescription", "1K",
                "x_PricingBlockSize", "1000", "ConsumedQuantity", "800", "PricingQuantity", "0.8", "BilledCost", "0.008",
                "EffectiveCost", "0.008", "ResourceId", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/RG-AI/"
                        + "providers/Microsoft.CognitiveServices/accounts/OAI-Prod"));
        rows.add(output);
        Map<String, String> provisioned = FocusExportWriter.usageRow();
        provisioned.putAll(Map.of("x_SkuMeterName", "Provisioned Managed Global Unit", "ConsumedQuantity", "24", "ConsumedUnit", "Hours",
                "PricingQuantity", "24", "PricingUnit", "Hours", "x_PricingUnitDescription", "1 Hour", "x_PricingBlockSize", "1",
                "BilledCost", "0", "EffectiveCost", "7.2658", "CommitmentDiscountId", "/providers/Microsoft.Capacity/reservationOrders/1/reservations/2"));
        rows.add(provisioned);
        Map<String, String> storage = FocusExportWriter.usageRow();
        storage.putAll(Map.of("ServiceName", "Storage", "x_SkuMeterCategory", "Storage", "x_SkuMeterName", "Hot LRS Data Stored",
                "ConsumedQuantity", "1.5E-7", "PricingQuantity", "1.5E-7", "x_PricingBlockSize", "1", "x_PricingUnitDescription", "1 GB/Month",
                "BilledCost", "1.5E-7", "EffectiveCost", "1.5E-7", "Tags", ""));
        rows.add(storage);
        Map<String, String> credit = FocusExportWriter.usageRow();
        credit.putAll(Map.of("ChargeCategory", "Credit", "ChargeFrequency", "One-Time", "BilledCost", "-10.25", "EffectiveCost", "-10.25",
                "x_SkuMeterName", "", "ConsumedQuantity", "", "PricingQuantity", "", "ListCost", "", "ContractedCost", ""));
        rows.add(credit);
        Map<String, String> correction = FocusExportWriter.usageRow();
        correction.putAll(Map.of("ChargeClass", "Correction", "ChargePeriodStart", "2026-10-15T00:00:00Z", "ChargePeriodEnd",
                "2026-10-16T00:00:00Z", "BilledCost", "-0.4", "EffectiveCost", "-0.4", "ConsumedQuantity", "-1000000", "PricingQuantity", "-1"));
        rows.add(correction);
        return rows;
    }

    private List<BillLine> read(Path run) throws IOException {
        FocusExports.Found found = FocusExports.find(run);
        assertThat(found.problems()).isEmpty();
        CollectedRows read = CollectedRows.of(found.runs().get(0));
        assertThat(read.problems).isEmpty();
        return read.lines;
    }

    /** A line without what differs by format alone: where it is in its file and the notation of quantities. */
    private static BillLine comparable(BillLine line) {
        return BillLine.newBuilder(line).setSourceFile("-").setSourceLine(0).setConsumedQuantity(number(line.getConsumedQuantity()))
                .setPricingQuantity(number(line.getPricingQuantity())).setPricingBlockSize(number(line.getPricingBlockSize())).build();
    }

    private static String number(String text) {
        return text == null ? null : new BigDecimal(text).stripTrailingZeros().toPlainString();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @CsvSource({
            "CSV,      V1_0,         DECIMAL, MICROS",
            "CSV,      V1_2_PREVIEW, DECIMAL, MICROS",
            "GZIP_CSV, V1_0,         DECIMAL, MICROS",
            "GZIP_CSV, V1_2_PREVIEW, DECIMAL, MICROS",
            "PARQUET,  V1_0,         DECIMAL, MICROS",
            "PARQUET,  V1_2_PREVIEW, DECIMAL, MILLIS",
            "PARQUET,  V1_0,         DOUBLE,  NANOS",
            "PARQUET,  V1_2_PREVIEW, DOUBLE,  STRING",
            "PARQUET,  V1_0,         DECIMAL, INT96"})
    void readsTheSameLinesFromEveryFormat(Format format, FocusVersion version, ParquetNumbers numbers, ParquetTimes times) throws IOException {
        List<BillLine> expected = read(FocusExportWriter.into(container.resolve("baseline")).write(rows()))
                .stream().map(FocusFormatsTest::comparable).toList();

        List<BillLine> lines = read(FocusExportWriter.into(container.resolve("tested")).format(format).version(version)
                .parquetNumbers(numbers).parquetTimes(times).write(rows()));

        assertThat(lines).map(FocusFormatsTest::comparable).containsExactlyElementsOf(expected);
        assertThat(lines).extracting(BillLine::getMeter).containsExactly(
                new BillMeter(BillMeterKind.INPUT, "gpt-4.1-mini", null, "global", 1L, 2_500_000L),
                new BillMeter(BillMeterKind.CACHED_INPUT, "gpt-4o", "1120", "global", 1L, 12_345L),
                new BillMeter(BillMeterKind.OUTPUT, "gpt-4o", "1120", "global", 1L, 800L),
                new BillMeter(BillMeterKind.PROVISIONED, null, null, "provisioned", 1L, 0L),
                null,
                null,
                new BillMeter(BillMeterKind.INPUT, "gpt-4.1-mini", null, "global", 1L, -1_000_000L));
        assertThat(lines).extracting(BillLine::getBilledCostNanos)
                .containsExactly(1_000_000_000L, 15_431_250L, 8_000_000L, 0L, 150L, -10_250_000_000L, -400_000_000L);
        assertThat(lines).extracting(BillLine::getSourceLine).containsExactly(format == Format.PARQUET
                ? new Long[] {1L, 2L, 3L, 4L, 5L, 6L, 7L} : new Long[] {2L, 3L, 4L, 5L, 6L, 7L, 8L});
    }
}
