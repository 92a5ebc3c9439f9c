package io.tokenmeter.bills;

import io.tokenmeter.azure.AzureMeterName;
import io.tokenmeter.azure.AzureMeterName.Direction;
import io.tokenmeter.azure.AzureUnits;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What a FOCUS line's meter charges, when it is an Azure OpenAI (Foundry Models) token or provisioned throughput
 * meter: the meter name read by {@link AzureMeterName}, and the tokens of the line.
 */
final class FocusMeters {

    // ServiceName or x_SkuMeterCategory of Azure OpenAI lines over the years: Azure OpenAI (Service), Cognitive
    // Services, Azure AI Services, Foundry Models. Other services' meters are never read as token meters.
    private static final Pattern AI_SERVICE = Pattern.compile("openai|foundry|cognitive services|ai services", Pattern.CASE_INSENSITIVE);
    private static final Pattern GPT = Pattern.compile("\\bgpt", Pattern.CASE_INSENSITIVE);
    // ConsumedQuantity is taken to count single tokens when it is the PricingQuantity times the block, within this share.
    private static final BigDecimal SAME_WITHIN = new BigDecimal("0.01");

    private FocusMeters() {
    }

    /**
     * The meter of a row, or null when it is not an Azure OpenAI token or provisioned meter.
     *
     * @param consumed ConsumedQuantity, null when absent
     * @param pricing PricingQuantity, null when absent
     * @param blockColumn x_PricingBlockSize, null when absent
     * @throws ArithmeticException when the tokens are beyond a long
     */
    static BillMeter meter(FocusRow row, BigDecimal consumed, BigDecimal pricing, BigDecimal blockColumn, Consumer<String> warnings) {
        if (!matches(row.get(FocusColumn.SERVICE_NAME)) && !matches(row.get(FocusColumn.SKU_METER_CATEGORY))) {
            return null;
        }
        String meterName = row.get(FocusColumn.SKU_METER) != null ? row.get(FocusColumn.SKU_METER) : row.get(FocusColumn.SKU_METER_NAME);
        AzureMeterName name = parse(meterName);
        if (name == null) {
            // The subcategory of older exports repeats the meter ("gpt 4o 0513 Input global Tokens").
            name = parse(row.get(FocusColumn.SKU_METER_SUBCATEGORY));
        }
        if (name == null) {
            return null;
        }
        BillMeter.Builder meter = BillMeter.newBuilder()
                .setModel(model(name.model(), row))
                .setVersion(name.version())
                .setDeploymentType(name.deploymentType());
        if (name.direction() == Direction.PROVISIONED) {
            return meter.setKind(BillMeterKind.PROVISIONED).setBlockSize(1).setTokens(0).build();
        }
        long block = block(row, blockColumn, meterName, warnings);
        BigDecimal quantity = consumed != null ? consumed : pricing;
        long perUnit = block;
        // Microsoft documents PricingQuantity as ConsumedQuantity divided by the block, so ConsumedQuantity may count
        // single tokens; when it equals PricingQuantity instead, both count blocks. The quantities say which.
        if (consumed != null && pricing != null && block > 1 && countsSingleUnits(consumed, pricing, block)) {
            perUnit = 1;
        }
        long tokens = quantity == null ? 0
                : quantity.multiply(BigDecimal.valueOf(perUnit)).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        return meter.setKind(kind(name.direction())).setBlockSize(perUnit).setTokens(tokens).build();
    }

    private static boolean matches(String service) {
        return service != null && AI_SERVICE.matcher(service).find();
    }

    private static AzureMeterName parse(String name) {
        if (name == null) {
            return null;
        }
        try {
            return AzureMeterName.parseWithProvisioned(name);
        } catch (IllegalArgumentException notATokenMeter) {
            return null;
        }
    }

    // GPT-5 era meters drop the family ("5.4 mini Inp Gl"); the subcategory or description still says GPT.
    private static String model(String model, FocusRow row) {
        if (model == null || !Character.isDigit(model.charAt(0))) {
            return model;
        }
        for (FocusColumn column : new FocusColumn[] {FocusColumn.SKU_METER_SUBCATEGORY, FocusColumn.SKU_DESCRIPTION, FocusColumn.CHARGE_DESCRIPTION}) {
            String text = row.get(column);
            if (text != null && GPT.matcher(text).find()) {
                return "gpt-" + model;
            }
        }
        return model;
    }

    /** Units per pricing block: x_PricingBlockSize, else 1K/1M in PricingUnit, x_PricingUnitDescription or ConsumedUnit, else in the meter name, else 1. */
    private static long block(FocusRow row, BigDecimal blockColumn, String meterName, Consumer<String> warnings) {
        if (blockColumn != null) {
            if (blockColumn.signum() > 0 && blockColumn.stripTrailingZeros().scale() <= 0) {
                try {
                    return blockColumn.longValueExact();
                } catch (ArithmeticException beyondALong) {
                    // falls through to the units, with the warning below
                }
            }
            warnings.accept("x_PricingBlockSize " + blockColumn.toPlainString() + " is not a positive whole number; the block is read from the units");
        }
        for (FocusColumn unit : new FocusColumn[] {FocusColumn.PRICING_UNIT, FocusColumn.PRICING_UNIT_DESCRIPTION, FocusColumn.CONSUMED_UNIT}) {
            OptionalLong size = AzureUnits.blockSize(row.get(unit));
            if (size.isPresent()) {
                return size.getAsLong();
            }
        }
        return AzureUnits.blockWord(meterName).orElse(1);
    }

    private static boolean countsSingleUnits(BigDecimal consumed, BigDecimal pricing, long block) {
        BigDecimal difference = consumed.subtract(pricing.multiply(BigDecimal.valueOf(block))).abs();
        return consumed.signum() != 0 && difference.compareTo(consumed.abs().multiply(SAME_WITHIN)) <= 0;
    }

    private static BillMeterKind kind(Direction direction) {
        return switch (direction) {
            case INPUT -> BillMeterKind.INPUT;
            case CACHED_INPUT -> BillMeterKind.CACHED_INPUT;
            case OUTPUT -> BillMeterKind.OUTPUT;
            case PROVISIONED -> BillMeterKind.PROVISIONED;
        };
    }
}
