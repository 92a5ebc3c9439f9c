package io.tokenmeter.bills;

/**
 * The columns of {@code billing export}, in file order: the FOCUS 1.3 Cost and Usage columns tokenmeter can fill,
 * the 1.3 split cost allocation columns, Azure's x_ columns it keeps and its own x_Tokenmeter columns.
 */
public enum ExportColumn {
    BILLED_COST("BilledCost", Type.MONEY),
    BILLING_ACCOUNT_ID("BillingAccountId", Type.STRING),
    BILLING_ACCOUNT_NAME("BillingAccountName", Type.STRING),
    BILLING_CURRENCY("BillingCurrency", Type.STRING),
    BILLING_PERIOD_END("BillingPeriodEnd", Type.DATETIME),
    BILLING_PERIOD_START("BillingPeriodStart", Type.DATETIME),
    CHARGE_CATEGORY("ChargeCategory", Type.STRING),
    CHARGE_CLASS("ChargeClass", Type.STRING),
    CHARGE_DESCRIPTION("ChargeDescription", Type.STRING),
    CHARGE_FREQUENCY("ChargeFrequency", Type.STRING),
    CHARGE_PERIOD_END("ChargePeriodEnd", Type.DATETIME),
    CHARGE_PERIOD_START("ChargePeriodStart", Type.DATETIME),
    COMMITMENT_DISCOUNT_ID("CommitmentDiscountId", Type.STRING),
    CONSUMED_QUANTITY("ConsumedQuantity", Type.QUANTITY),
    CONSUMED_UNIT("ConsumedUnit", Type.STRING),
    CONTRACTED_COST("ContractedCost", Type.MONEY),
    EFFECTIVE_COST("EffectiveCost", Type.MONEY),
    HOST_PROVIDER_NAME("HostProviderName", Type.STRING),
    INVOICE_ISSUER_NAME("InvoiceIssuerName", Type.STRING),
    LIST_COST("ListCost", Type.MONEY),
    PRICING_QUANTITY("PricingQuantity", Type.QUANTITY),
    PRICING_UNIT("PricingUnit", Type.STRING),
    /** Deprecated in 1.3 for ServiceProviderName, still mandatory; FinOps hubs and Power BI reports of 1.0 read it. */
    PROVIDER_NAME("ProviderName", Type.STRING),
    /** Deprecated in 1.3 for HostProviderName, still mandatory. */
    PUBLISHER_NAME("PublisherName", Type.STRING),
    REGION_ID("RegionId", Type.STRING),
    RESOURCE_ID("ResourceId", Type.STRING),
    RESOURCE_NAME("ResourceName", Type.STRING),
    SERVICE_CATEGORY("ServiceCategory", Type.STRING),
    SERVICE_NAME("ServiceName", Type.STRING),
    SERVICE_PROVIDER_NAME("ServiceProviderName", Type.STRING),
    SKU_ID("SkuId", Type.STRING),
    SKU_METER("SkuMeter", Type.STRING),
    TAGS("Tags", Type.JSON),
    ALLOCATED_METHOD_ID("AllocatedMethodId", Type.STRING),
    ALLOCATED_METHOD_DETAILS("AllocatedMethodDetails", Type.JSON),
    ALLOCATED_RESOURCE_ID("AllocatedResourceId", Type.STRING),
    ALLOCATED_RESOURCE_NAME("AllocatedResourceName", Type.STRING),
    ALLOCATED_TAGS("AllocatedTags", Type.JSON),
    RESOURCE_GROUP_NAME("x_ResourceGroupName", Type.STRING),
    SKU_METER_SUBCATEGORY("x_SkuMeterSubcategory", Type.STRING),
    PRICING_BLOCK_SIZE("x_PricingBlockSize", Type.QUANTITY),
    PRICING_UNIT_DESCRIPTION("x_PricingUnitDescription", Type.STRING),
    TOKENMETER_LINE_ID("x_TokenmeterLineId", Type.STRING),
    TOKENMETER_TOKEN_KIND("x_TokenmeterTokenKind", Type.STRING),
    TOKENMETER_MODEL("x_TokenmeterModel", Type.STRING),
    TOKENMETER_DEPLOYMENT_TYPE("x_TokenmeterDeploymentType", Type.STRING),
    TOKENMETER_RULE("x_TokenmeterRule", Type.STRING),
    TOKENMETER_ESTIMATED_COST("x_TokenmeterEstimatedCost", Type.MONEY);

    /** How a column's values are typed in the files. */
    public enum Type {
        /** Text; Parquet STRING. */
        STRING,
        /** Currency amounts, exact to the nano: Parquet DECIMAL(38, 9), CSV plain decimal. */
        MONEY,
        /** Quantities, split exactly: Parquet DECIMAL(38, 18), CSV plain decimal. */
        QUANTITY,
        /** ISO 8601 UTC date-times: Parquet TIMESTAMP (UTC, microseconds), CSV {@code 2026-11-02T00:00:00Z}. */
        DATETIME,
        /** A JSON object serialized as a string (FOCUS allows that where the format has no JSON type). */
        JSON
    }

    public static final int MONEY_SCALE = 9;
    public static final int QUANTITY_SCALE = 18;
    public static final int DECIMAL_PRECISION = 38;

    private final String header;
    private final Type type;

    ExportColumn(String header, Type type) {
        this.header = header;
        this.type = type;
    }

    /** The column name in the files. */
    public String header() {
        return header;
    }

    public Type type() {
        return type;
    }
}
