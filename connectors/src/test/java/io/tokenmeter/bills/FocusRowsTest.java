package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.tokenmeter.bills.FocusExportWriter.Format;
import io.tokenmeter.bills.RowProblem.Effect;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What rows become: lines with every value read as FOCUS means it, or problems that say where and why. */
class FocusRowsTest {

    @TempDir
    Path folder;

    private CollectedRows read(Path file) {
        FocusFormat format = FocusFormat.of(file);
        String name = file.getFileName().toString();
        return CollectedRows.of(new ExportRun("focus-daily", "20261101-20261130", "run", Instant.EPOCH,
                List.of(new DataFile(file, name, format)), null, name, List.of()));
    }

    private CollectedRows read(List<Map<String, String>> rows) {
        return read(FocusExportWriter.into(folder).writeFile(folder.resolve("part_0_0001.csv"), rows));
    }

    private CollectedRows readCsv(String text) throws IOException {
        return read(Files.writeString(folder.resolve("part_0_0001.csv"), text));
    }

    private static Map<String, String> row(String... columnsAndValues) {
        Map<String, String> row = FocusExportWriter.usageRow();
        for (int i = 0; i < columnsAndValues.length; i += 2) {
            row.put(columnsAndValues[i], columnsAndValues[i + 1]);
        }
        return row;
    }

    @Test
    void readsEveryColumnOfAnAzureOpenAiUsageRow() {
        BillLine line = read(List.of(row())).lines.get(0);

        assertThat(line.getChargePeriodStart()).isEqualTo(Instant.parse("2026-11-03T00:00:00Z"));
        assertThat(line.getChargePeriodEnd()).isEqualTo(Instant.parse("2026-11-04T00:00:00Z"));
        assertThat(line.getBillingPeriodStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(line.getChargeCategory()).isEqualTo("Usage");
        assertThat(line.getChargeClass()).isNull();
        assertThat(line.getChargeFrequency()).isEqualTo("Usage-Based");
        assertThat(line.getBillingCurrency()).isEqualTo("USD");
        assertThat(line.getBilledCostNanos()).isEqualTo(1_000_000_000L);
        assertThat(line.getEffectiveCostNanos()).isEqualTo(1_000_000_000L);
        assertThat(line.getListCostNanos()).isEqualTo(1_000_000_000L);
        assertThat(line.getContractedCostNanos()).isEqualTo(1_000_000_000L);
        assertThat(line.getConsumedQuantity()).isEqualTo("2500000");
        assertThat(line.getConsumedUnit()).isEqualTo("Units");
        assertThat(line.getPricingQuantity()).isEqualTo("2.5");
        assertThat(line.getPricingUnit()).isEqualTo("Units");
        assertThat(line.getPricingBlockSize()).isEqualTo("1000000");
        assertThat(line.getPricingUnitDescription()).isEqualTo("1M Tokens");
        assertThat(line.getResourceId()).endsWith("/Microsoft.CognitiveServices/accounts/oai-prod");
        assertThat(line.getResourceName()).isEqualTo("oai-prod");
        assertThat(line.getResourceGroup()).isEqualTo("rg-ai");
        assertThat(line.getServiceName()).isEqualTo("Azure OpenAI");
        assertThat(line.getRegionId()).isEqualTo("eastus2");
        assertThat(line.getSkuMeter()).isEqualTo("gpt 4.1 mini Inp glbl 1M Tokens");
        assertThat(line.getSkuMeterSubcategory()).isEqualTo("Azure OpenAI");
        assertThat(line.getSkuId()).isEqualTo("DZH318Z08M9S/0004");
        assertThat(line.getCommitmentDiscountId()).isNull();
        assertThat(line.getMeter()).isEqualTo(new BillMeter(BillMeterKind.INPUT, "gpt-4.1-mini", null, "global", 1L, 2_500_000L));
        assertThat(line.getTags()).containsExactly(Map.entry("team", "search"), Map.entry("env", "prod"));
        assertThat(line.getSourceFile()).isEqualTo("part_0_0001.csv");
        assertThat(line.getSourceLine()).isEqualTo(2);
    }

    @ParameterizedTest(name = "{0}=''{1}''")
    @CsvSource(delimiter = '|', value = {
            "BilledCost        | abc                | BilledCost 'abc' is not a number",
            "BilledCost        | 12,50              | BilledCost '12,50' is not a number",
            "EffectiveCost     | NaN                | EffectiveCost 'NaN' is not a number",
            "EffectiveCost     | ''                 | no EffectiveCost",
            "ListCost          | n/a                | ListCost 'n/a' is not a number",
            "ConsumedQuantity  | lots               | ConsumedQuantity 'lots' is not a number",
            "BilledCost        | 1E+15              | BilledCost '1E+15' is too large to count in nanos",
            "BilledCost        | 1E+30              | BilledCost '1E+30' is out of range",
            "ChargePeriodStart | ''                 | no ChargePeriodStart",
            "ChargePeriodStart | 03/11/2026         | ChargePeriodStart '03/11/2026' is not an ISO-8601 date or date-time",
            "ChargePeriodEnd   | 2026-11-02         | ChargePeriodEnd 2026-11-02 is before ChargePeriodStart 2026-11-03T00:00:00Z",
            "BillingPeriodStart| November           | BillingPeriodStart 'November' is not an ISO-8601 date or date-time",
            "ChargeCategory    | ''                 | no ChargeCategory",
            "BillingCurrency   | US Dollar          | BillingCurrency 'US Dollar' is not an ISO 4217 code"})
    void skipsABadRowWithItsFileLineReasonAndTextAndReadsTheOthers(String column, String value, String reason) {
        CollectedRows read = read(List.of(row(), row(column, value), row()));

        assertThat(read.lines).extracting(BillLine::getSourceLine).containsExactly(2L, 4L);
        assertThat(read.problems).singleElement().satisfies(problem -> {
            assertThat(problem.file()).isEqualTo("part_0_0001.csv");
            assertThat(problem.line()).isEqualTo(3);
            assertThat(problem.effect()).isEqualTo(Effect.ROW_SKIPPED);
            assertThat(problem.reason()).isEqualTo(reason);
            assertThat(problem.raw()).contains(value).contains("Azure OpenAI").doesNotContain("\n");
        });
        assertThat(read.read).isEqualTo(new RunRead(3, 2, 1, 1));
    }

    @Test
    void skipsACsvRecordWithTheWrongNumberOfFieldsOrABrokenQuote() throws IOException {
        CollectedRows read = readCsv("""
                ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,BillingCurrency
                2026-11-03,2026-11-04,Usage,1,1,USD
                2026-11-03,2026-11-04,Usage,1,1
                2026-11-03,2026-11-04,"Usage"x,1,1,USD
                2026-11-03,2026-11-04,Usage,1,1,USD,1
                2026-11-05,2026-11-06,Usage,2,2,USD
                """);

        assertThat(read.lines).extracting(BillLine::getSourceLine).containsExactly(2L, 6L);
        assertThat(read.problems).containsExactly(
                RowProblem.row("part_0_0001.csv", 3, "5 fields where the header has 6", "2026-11-03,2026-11-04,Usage,1,1"),
                RowProblem.row("part_0_0001.csv", 4, "field 3 has text after its closing quote", "2026-11-03,2026-11-04,\"Usage\"x,1,1,USD"),
                RowProblem.row("part_0_0001.csv", 5, "7 fields where the header has 6", "2026-11-03,2026-11-04,Usage,1,1,USD,1"));
        assertThat(read.read).isEqualTo(new RunRead(5, 2, 3, 3));
    }

    @Test
    void readsQuotedFieldsWithCommasQuotesAndLineBreaksAfterAByteOrderMark() {
        Map<String, String> first = row("ResourceName", "oai, prod", "ChargeDescription", "gpt 4.1 mini\ninput tokens",
                "Tags", "{\"team\":\"a, b\",\"note\":\"say \\\"hi\\\"\"}");
        Path file = FocusExportWriter.into(folder).byteOrderMark(true).writeFile(folder.resolve("part_0_0001.csv"), List.of(first, row()));

        CollectedRows read = read(file);

        assertThat(read.problems).isEmpty();
        assertThat(read.lines).extracting(BillLine::getSourceLine).containsExactly(2L, 4L);
        assertThat(read.lines.get(0).getResourceName()).isEqualTo("oai, prod");
        assertThat(read.lines.get(0).getTags()).containsExactly(Map.entry("team", "a, b"), Map.entry("note", "say \"hi\""));
        assertThat(read.lines.get(0).getChargePeriodStart()).isEqualTo(Instant.parse("2026-11-03T00:00:00Z"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "2026-11-03T00:00:00Z,      2026-11-03T00:00:00Z",
            "2026-11-03T00:00:00,       2026-11-03T00:00:00Z",
            "2026-11-03,                2026-11-03T00:00:00Z",
            "2026-11-03T01:00:00+01:00, 2026-11-03T00:00:00Z",
            "2026-11-03T00:00:00.1234567Z, 2026-11-03T00:00:00.123Z"})
    void readsDateTimesWithAndWithoutZoneAsUtc(String written, Instant read) {
        assertThat(read(List.of(row("ChargePeriodStart", written))).lines.get(0).getChargePeriodStart()).isEqualTo(read);
    }

    @ParameterizedTest(name = "{0} -> {1} nanos")
    @CsvSource({
            "1.5E-7,          150",
            "-2.5E+1,         -25000000000",
            "0.0000000005,    0",
            "0.0000000015,    2",
            "-10.25,          -10250000000",
            "+3,              3000000000",
            "1234567.123456789, 1234567123456789"})
    void readsCostsInAnyDecimalNotationToNanosRoundingHalfEven(String written, long nanos) {
        BillLine line = read(List.of(row("BilledCost", written, "EffectiveCost", written))).lines.get(0);

        assertThat(line.getBilledCostNanos()).isEqualTo(nanos);
        assertThat(line.getEffectiveCostNanos()).isEqualTo(nanos);
    }

    @Test
    void keepsQuantitiesAsPlainDecimalsWhateverTheNotation() {
        BillLine line = read(List.of(row("ConsumedQuantity", "2.5E6", "PricingQuantity", "2.50"))).lines.get(0);

        assertThat(line.getConsumedQuantity()).isEqualTo("2500000");
        assertThat(line.getPricingQuantity()).isEqualTo("2.50");
        assertThat(line.getMeter().getTokens()).isEqualTo(2_500_000L);
    }

    @Test
    void readsANegativeCreditAsWritten() {
        BillLine credit = read(List.of(row("ChargeCategory", "Credit", "ChargeFrequency", "One-Time", "BilledCost", "-10.25",
                "EffectiveCost", "-10.25", "ListCost", "", "ContractedCost", "", "x_SkuMeterName", "", "ConsumedQuantity", "",
                "PricingQuantity", ""))).lines.get(0);

        assertThat(credit.getChargeCategory()).isEqualTo("Credit");
        assertThat(credit.getBilledCostNanos()).isEqualTo(-10_250_000_000L);
        assertThat(credit.getEffectiveCostNanos()).isEqualTo(-10_250_000_000L);
        assertThat(credit.getListCostNanos()).isNull();
        assertThat(credit.getMeter()).isNull();
    }

    @Test
    void keepsTheResourceIdAsTheBillSpellsIt() {
        String id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/RG-AI/providers/"
                + "Microsoft.CognitiveServices/accounts/OAI-Prod";

        assertThat(read(List.of(row("ResourceId", id))).lines.get(0).getResourceId()).isEqualTo(id);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "{\"team\":\"search\"}                      | {team=search}",
            "{\"team\": \"search\", \"cost-center\": 42} | {team=search, cost-center=42}",
            "\"team\": \"search\",\"env\": \"prod\"      | {team=search, env=prod}",
            "{\"empty\": null, \"nested\": {\"a\": 1}}   | {empty=, nested={\"a\":1}}",
            "{}                                        | {}"})
    void readsTagsAsAMapInTheirOrder(String tags, String expected) {
        CollectedRows read = read(List.of(row("Tags", tags)));

        assertThat(read.problems).isEmpty();
        assertThat(read.lines.get(0).getTags()).hasToString(expected);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"{\"team\":", "[\"team\"]", "team=search", "{\"team\":\"a\"} trailing"})
    void keepsARowWithMalformedTagsWithoutTagsAndAWarning(String tags) {
        CollectedRows read = read(List.of(row("Tags", tags)));

        assertThat(read.lines).singleElement().satisfies(line -> assertThat(line.getTags()).isEmpty());
        assertThat(read.problems).singleElement().satisfies(problem -> {
            assertThat(problem.effect()).isEqualTo(Effect.WARNING);
            assertThat(problem.line()).isEqualTo(2);
            assertThat(problem.reason()).startsWith("Tags is not a JSON object").endsWith("the line has no tags");
        });
        assertThat(read.read).isEqualTo(new RunRead(1, 1, 0, 1));
    }

    @Test
    void readsACorrectionOfAnEarlierPeriodWithItsOwnChargePeriod() {
        BillLine correction = read(List.of(row("ChargeClass", "Correction", "ChargePeriodStart", "2026-10-15T00:00:00Z",
                "ChargePeriodEnd", "2026-10-16T00:00:00Z", "BilledCost", "-0.40", "EffectiveCost", "-0.40", "ConsumedQuantity", "-1000000",
                "PricingQuantity", "-1"))).lines.get(0);

        assertThat(correction.getChargeClass()).isEqualTo("Correction");
        assertThat(correction.getChargePeriodStart()).isEqualTo(Instant.parse("2026-10-15T00:00:00Z"));
        assertThat(correction.getBillingPeriodStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(correction.getBilledCostNanos()).isEqualTo(-400_000_000L);
        assertThat(correction.getMeter().getTokens()).isEqualTo(-1_000_000L);
    }

    @Test
    void readsAReservationPurchaseAndTheAmortizedUsageItCovers() {
        String reservation = "/providers/Microsoft.Capacity/reservationOrders/6a1c3e12-0000-4c4e-9d8f-000000000001/reservations/"
                + "e2b8a8a4-0000-4b7e-8f33-000000000002";
        Map<String, String> purchase = row("ChargeCategory", "Purchase", "ChargeFrequency", "One-Time", "BilledCost", "2652",
                "EffectiveCost", "0", "ListCost", "2652", "ContractedCost", "2652", "CommitmentDiscountId", reservation,
                "ConsumedQuantity", "", "ConsumedUnit", "", "PricingQuantity", "1", "PricingUnit", "Units", "x_PricingBlockSize", "1",
                "x_PricingUnitDescription", "1 /Year", "x_SkuMeterName", "", "ChargePeriodStart", "2026-11-01T00:00:00Z",
                "ChargePeriodEnd", "2026-12-01T00:00:00Z", "Tags", "");
        Map<String, String> amortized = row("BilledCost", "0", "EffectiveCost", "7.2658", "ListCost", "24", "ContractedCost", "24",
                "CommitmentDiscountId", reservation, "ConsumedQuantity", "24", "ConsumedUnit", "Hours", "PricingQuantity", "24",
                "PricingUnit", "Hours", "x_PricingBlockSize", "1", "x_PricingUnitDescription", "1 Hour",
                "x_SkuMeterName", "Provisioned Managed Global Unit");

        List<BillLine> lines = read(List.of(purchase, amortized)).lines;

        assertThat(lines).extracting(BillLine::getChargeCategory, BillLine::getBilledCostNanos, BillLine::getEffectiveCostNanos,
                BillLine::getCommitmentDiscountId, BillLine::getMeter).containsExactly(
                tuple("Purchase", 2_652_000_000_000L, 0L, reservation, null),
                tuple("Usage", 0L, 7_265_800_000L, reservation,
                        new BillMeter(BillMeterKind.PROVISIONED, null, null, "provisioned", 1L, 0L)));
    }

    @Test
    void refusesAFileWithoutAMandatoryColumn() throws IOException {
        CollectedRows read = readCsv("ChargePeriodStart,ChargeCategory,BilledCost\n2026-11-03,Usage,1\n");

        assertThat(read.lines).isEmpty();
        assertThat(read.problems).containsExactly(RowProblem.file("part_0_0001.csv", 0,
                "no column ChargePeriodEnd, EffectiveCost: not a FOCUS cost and usage file"));
    }

    @Test
    void matchesColumnNamesIgnoringCaseAndIgnoresUnknownColumns() throws IOException {
        CollectedRows read = readCsv("chargeperiodstart,CHARGEPERIODEND,ChargeCategory,billedcost,EffectiveCost,x_Unknown,BillingCurrency\n"
                + "2026-11-03,2026-11-04,Usage,1,2,whatever,EUR\n");

        assertThat(read.problems).isEmpty();
        assertThat(read.lines).extracting(BillLine::getBilledCostNanos, BillLine::getEffectiveCostNanos, BillLine::getBillingCurrency)
                .containsExactly(tuple(1_000_000_000L, 2_000_000_000L, "EUR"));
    }

    @Test
    void takesCostsAsUsdWithOneWarningWhenTheFileHasNoCurrencyColumnAndAWarningPerRowWithoutOne() throws IOException {
        CollectedRows withoutColumn = readCsv("ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost\n"
                + "2026-11-03,2026-11-04,Usage,1,1\n2026-11-04,2026-11-05,Usage,1,1\n");
        CollectedRows withoutValue = read(List.of(row("BillingCurrency", "")));

        assertThat(withoutColumn.lines).extracting(BillLine::getBillingCurrency).containsExactly("USD", "USD");
        assertThat(withoutColumn.problems).containsExactly(RowProblem.warning("part_0_0001.csv", 0,
                "no column BillingCurrency: every cost is taken as USD", null));
        assertThat(withoutValue.problems).extracting(RowProblem::line, RowProblem::effect, RowProblem::reason)
                .containsExactly(tuple(2L, Effect.WARNING, "no BillingCurrency: the costs are taken as USD"));
    }

    @Test
    void keepsARowWithBytesThatAreNotUtf8WithAWarning() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes("ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,BillingCurrency,ResourceName\n"
                .getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes("2026-11-03,2026-11-04,Usage,1,1,USD,caf".getBytes(StandardCharsets.UTF_8));
        bytes.write(0xE9);
        bytes.writeBytes("\n".getBytes(StandardCharsets.UTF_8));

        CollectedRows read = read(Files.write(folder.resolve("part_0_0001.csv"), bytes.toByteArray()));

        assertThat(read.lines).extracting(BillLine::getResourceName).containsExactly("caf\uFFFD");
        assertThat(read.problems).extracting(RowProblem::effect, RowProblem::reason)
                .containsExactly(tuple(Effect.WARNING, "not valid UTF-8: the bytes that are not are read as U+FFFD"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "empty.csv              | ''             | empty file: no header",
            "not-gzip.csv.gz        | plain text     | cannot open: not gzip (Not in GZIP format)",
            "not-parquet.parquet    | plain text     | cannot open as Parquet: "})
    void reportsAFileThatCannotBeOpened(String name, String content, String reason) throws IOException {
        CollectedRows read = read(Files.writeString(folder.resolve(name), content));

        assertThat(read.lines).isEmpty();
        assertThat(read.problems).singleElement().satisfies(problem -> {
            assertThat(problem.effect()).isEqualTo(Effect.FILE_SKIPPED);
            assertThat(problem.reason()).startsWith(reason);
        });
    }

    @Test
    void keepsTheRowsBeforeTheBreakOfATruncatedGzipFile() throws IOException {
        StringBuilder csv = new StringBuilder("ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,BillingCurrency,ResourceName\n");
        for (int i = 0; i < 20_000; i++) {
            csv.append("2026-11-03,2026-11-04,Usage,1,1,USD,resource-").append(i * 7919L % 100_003).append('\n');
        }
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(gzip)) {
            out.write(csv.toString().getBytes(StandardCharsets.UTF_8));
        }
        byte[] bytes = gzip.toByteArray();
        Path file = Files.write(folder.resolve("part_0_0001.csv.gz"), Arrays.copyOf(bytes, bytes.length / 2));

        CollectedRows read = read(file);

        assertThat(read.lines).hasSizeBetween(1, 19_999);
        assertThat(read.problems).singleElement().satisfies(problem -> {
            assertThat(problem.effect()).isEqualTo(Effect.FILE_SKIPPED);
            assertThat(problem.reason()).startsWith("cannot read on after line ");
        });
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Format.class)
    void letsAnExceptionOfTheSinkThrough(Format format) {
        FocusExportWriter writer = FocusExportWriter.into(folder).format(format);
        Path file = writer.writeFile(folder.resolve("part_0_0001" + writer.extension()), List.of(row(), row()));
        ExportRun run = new ExportRun("e", "20261101-20261130", "r", Instant.EPOCH,
                List.of(new DataFile(file, "f", FocusFormat.of(file))), null, "f", List.of());
        List<BillLine> seen = new ArrayList<>();

        assertThatThrownBy(() -> run.read(new RowSink() {
            @Override
            public void line(BillLine line) {
                seen.add(line);
                throw new IllegalStateException("broker down");
            }

            @Override
            public void problem(RowProblem problem) {
                throw new AssertionError("no problem expected: " + problem);
            }
        })).isInstanceOf(IllegalStateException.class).hasMessage("broker down");
        assertThat(seen).hasSize(1);
    }
}
