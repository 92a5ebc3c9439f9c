package io.tokenmeter.bills;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The FOCUS columns the reader uses, as Cost Management names them in FOCUS 1.0, 1.0r2 and 1.2-preview. */
enum FocusColumn {
    CHARGE_PERIOD_START("ChargePeriodStart"),
    CHARGE_PERIOD_END("ChargePeriodEnd"),
    BILLING_PERIOD_START("BillingPeriodStart"),
    BILLING_PERIOD_END("BillingPeriodEnd"),
    CHARGE_CATEGORY("ChargeCategory"),
    CHARGE_CLASS("ChargeClass"),
    CHARGE_FREQUENCY("ChargeFrequency"),
    CHARGE_DESCRIPTION("ChargeDescription"),
    BILLING_CURRENCY("BillingCurrency"),
    BILLED_COST("BilledCost"),
    EFFECTIVE_COST("EffectiveCost"),
    LIST_COST("ListCost"),
    CONTRACTED_COST("ContractedCost"),
    CONSUMED_QUANTITY("ConsumedQuantity"),
    CONSUMED_UNIT("ConsumedUnit"),
    PRICING_QUANTITY("PricingQuantity"),
    PRICING_UNIT("PricingUnit"),
    PRICING_BLOCK_SIZE("x_PricingBlockSize"),
    PRICING_UNIT_DESCRIPTION("x_PricingUnitDescription"),
    RESOURCE_ID("ResourceId"),
    RESOURCE_NAME("ResourceName"),
    RESOURCE_GROUP("x_ResourceGroupName"),
    SERVICE_NAME("ServiceName"),
    REGION_ID("RegionId"),
    /** FOCUS 1.2 */
    SKU_METER("SkuMeter"),
    /** FOCUS 1.0; 1.2-preview still carries it */
    SKU_METER_NAME("x_SkuMeterName"),
    SKU_METER_CATEGORY("x_SkuMeterCategory"),
    SKU_METER_SUBCATEGORY("x_SkuMeterSubcategory"),
    SKU_DESCRIPTION("x_SkuDescription"),
    SKU_ID("SkuId"),
    SKU_METER_ID("x_SkuMeterId"),
    COMMITMENT_DISCOUNT_ID("CommitmentDiscountId"),
    TAGS("Tags");

    /** A row without one of these cannot be a line. */
    static final Set<FocusColumn> MANDATORY = EnumSet.of(CHARGE_PERIOD_START, CHARGE_PERIOD_END, CHARGE_CATEGORY, BILLED_COST, EFFECTIVE_COST);
    private static final Map<String, FocusColumn> BY_KEY = new HashMap<>();

    static {
        for (FocusColumn column : values()) {
            BY_KEY.put(key(column.header), column);
        }
    }

    final String header;

    FocusColumn(String header) {
        this.header = header;
    }

    /** The column a header names, ignoring case and surrounding spaces; null for columns the reader does not use. */
    static FocusColumn of(String header) {
        return BY_KEY.get(key(header));
    }

    private static String key(String header) {
        return header.strip().toLowerCase(Locale.ROOT);
    }
}
