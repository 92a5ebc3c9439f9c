package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a FOCUS line's meter charges: the model, kind, deployment and tokens of Azure OpenAI meters, nothing for others. */
class FocusMetersTest {

    private final List<String> warnings = new ArrayList<>();

    private BillMeter meter(Map<FocusColumn, String> values) {
        FocusRow row = new FocusRow() {
            @Override
            public String get(FocusColumn column) {
                return values.get(column);
            }

            @Override
            public String raw() {
                return values.toString();
            }
        };
        return FocusMeters.meter(row, decimal(values.get(FocusColumn.CONSUMED_QUANTITY)), decimal(values.get(FocusColumn.PRICING_QUANTITY)),
                decimal(values.get(FocusColumn.PRICING_BLOCK_SIZE)), warnings::add);
    }

    private static BigDecimal decimal(String text) {
        return text == null ? null : new BigDecimal(text);
    }

    private static Map<FocusColumn, String> row(String meter, String service, String pricingUnit, String unitDescription,
                                                String blockSize, String consumed, String pricing) {
        Map<FocusColumn, String> row = new EnumMap<>(FocusColumn.class);
        put(row, FocusColumn.SKU_METER_NAME, meter);
        put(row, FocusColumn.SERVICE_NAME, service);
        put(row, FocusColumn.PRICING_UNIT, pricingUnit);
        put(row, FocusColumn.PRICING_UNIT_DESCRIPTION, unitDescription);
        put(row, FocusColumn.PRICING_BLOCK_SIZE, blockSize);
        put(row, FocusColumn.CONSUMED_QUANTITY, consumed);
        put(row, FocusColumn.PRICING_QUANTITY, pricing);
        return row;
    }

    private static void put(Map<FocusColumn, String> row, FocusColumn column, String value) {
        if (value != null) {
            row.put(column, value);
        }
    }

    @ParameterizedTest(name = "{0} ({1}), {5} x {4}/{2}/{3}")
    @CsvSource(nullValues = "-", value = {
            // Azure counts ConsumedQuantity in tokens and PricingQuantity in blocks: the tokens are ConsumedQuantity
            "gpt 4.1 mini Inp glbl 1M Tokens,  Azure OpenAI,       Units,     1M Tokens, 1000000, 2500000,  2.5,     INPUT,        gpt-4.1-mini, -,    global,      1,       2500000",
            // both quantities in blocks: the tokens are ConsumedQuantity times the block
            "gpt 4.1 mini Inp glbl 1M Tokens,  Azure OpenAI,       Units,     1M Tokens, 1000000, 2.5,      2.5,     INPUT,        gpt-4.1-mini, -,    global,      1000000, 2500000",
            "gpt 4o 1120 cached Inp glbl,      Azure OpenAI,       1K Tokens, -,         -,       12.345,   12.345,  CACHED_INPUT, gpt-4o,       1120, global,      1000,    12345",
            "gpt 4o 1120 Outp glbl Tokens,     Foundry Models,     Units,     1K,        -,       0.5,      -,       OUTPUT,       gpt-4o,       1120, global,      1000,    500",
            "gpt 4.1 mini Outp glbl 1M Tokens, Azure OpenAI,       Units,     -,         -,       0.0000025, -,      OUTPUT,       gpt-4.1-mini, -,    global,      1000000, 2",
            "gpt 4.1 mini Outp glbl 1M Tokens, Azure OpenAI,       Units,     -,         -,       0.0000035, -,      OUTPUT,       gpt-4.1-mini, -,    global,      1000000, 4",
            "gpt 4.1 mini Inp glbl 1M Tokens,  Azure OpenAI,       Units,     1M Tokens, 1000000, -,        3,       INPUT,        gpt-4.1-mini, -,    global,      1000000, 3000000",
            "gpt 4.1 Inp Data Zone Tokens,     Cognitive Services, 1K,        -,         1000,    42,       42,      INPUT,        gpt-4.1,      -,    datazone,    1000,    42000",
            "gpt 4.1 Inp regnl,                Azure AI Services,  1M,        -,         -,       1,        -,       INPUT,        gpt-4.1,      -,    regional,    1000000, 1000000",
            "gpt-4o-mini-0718-Batch-Input,     Azure OpenAI,       1K,        -,         -,       100,      100,     INPUT,        gpt-4o-mini,  0718, batch,       1000,    100000",
            "text-embedding-3-small glbl Tokens, Azure OpenAI,     1K,        -,         -,       7,        -,       INPUT,        text-embedding-3-small, -, global, 1000, 7000",
            "GPT 5 Mini outpt Glbl 1M Tokens,  Foundry Models,     Units,     1M,        1000000, 2000000,  2,       OUTPUT,       gpt-5-mini,   -,    global,      1,       2000000",
            // x_PricingBlockSize wins over the units and the name
            "gpt 4.1 mini Inp glbl 1M Tokens,  Azure OpenAI,       1M Tokens, -,         1000,    5,        -,       INPUT,        gpt-4.1-mini, -,    global,      1000,    5000",
            "Provisioned Managed Global Unit,  Azure OpenAI,       Hours,     1 Hour,    1,       24,       24,      PROVISIONED,  -,            -,    provisioned, 1,       0",
            "gpt 4o Provisioned Managed Regional, Foundry Models,  Hours,     1 Hour,    1,       720,      720,     PROVISIONED,  gpt-4o,       -,    provisioned, 1,       0",
            "Provisioned Managed Data Zone,    Azure OpenAI,       Hours,     -,         -,       1,        1,       PROVISIONED,  -,            -,    provisioned, 1,       0"})
    void readsTheMeterAndTokensOfAzureOpenAiLines(String meterName, String service, String pricingUnit, String unitDescription,
                                                   String blockSize, String consumed, String pricing, BillMeterKind kind, String model,
                                                   String version, String deploymentType, long block, long tokens) {
        BillMeter meter = meter(row(meterName, service, pricingUnit, unitDescription, blockSize, consumed, pricing));

        assertThat(meter).isEqualTo(new BillMeter(kind, model, version, deploymentType, block, tokens));
        assertThat(warnings).isEmpty();
    }

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource({
            "Standard S1 Unit,                Azure AI Search",
            "Developer Units,                 API Management",
            "Hot LRS Data Stored,             Storage",
            "gpt 4o Inp glbl,                 Virtual Machines",
            "Code-Interpreter-global Session, Azure OpenAI",
            "o4 mini ft hosting Dz,           Foundry Models",
            "Dall-E-3 Standard Images,        Azure OpenAI"})
    void readsNoMeterForOtherServicesOrMetersThatChargeNeitherTokensNorProvisionedThroughput(String meterName, String service) {
        assertThat(meter(row(meterName, service, "Units", null, null, "1", "1"))).isNull();
    }

    @Test
    void readsTheMeterFromTheSubcategoryWhenTheMeterNameSaysNothing() {
        Map<FocusColumn, String> row = row(null, "Azure OpenAI", "1K", null, null, "3", "3");
        row.put(FocusColumn.SKU_METER_SUBCATEGORY, "gpt 4o 0513 Input global Tokens");

        assertThat(meter(row)).isEqualTo(new BillMeter(BillMeterKind.INPUT, "gpt-4o", "0513", "global", 1000L, 3000L));
    }

    @Test
    void readsTheFocus12SkuMeterBeforeTheFocus10Name() {
        Map<FocusColumn, String> row = row("gpt 4o 1120 Inp glbl", "Azure OpenAI", "1K", null, null, "1", "1");
        row.put(FocusColumn.SKU_METER, "gpt 4o 1120 Outp glbl");

        assertThat(meter(row).getKind()).isEqualTo(BillMeterKind.OUTPUT);
    }

    @Test
    void namesAGpt5MeterWithoutTheFamilyByItsSubcategory() {
        Map<FocusColumn, String> row = row("5.4 mini cd Inp Gl", "Foundry Models", "1M", null, null, "2", "2");
        row.put(FocusColumn.SKU_METER_SUBCATEGORY, "Azure OpenAI GPT5");

        assertThat(meter(row)).isEqualTo(new BillMeter(BillMeterKind.CACHED_INPUT, "gpt-5.4-mini", null, "global", 1_000_000L, 2_000_000L));
    }

    @Test
    void readsTheBlockFromTheUnitsWithAWarningWhenThePricingBlockSizeIsNotAWholeNumber() {
        BillMeter meter = meter(row("gpt 4o 1120 Inp glbl", "Azure OpenAI", "1K", null, "0.5", "2", "2"));

        assertThat(meter.getBlockSize()).isEqualTo(1000);
        assertThat(warnings).containsExactly("x_PricingBlockSize 0.5 is not a positive whole number; the block is read from the units");
    }
}
