package io.tokenmeter.prices;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.azure.AzureMeterName;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/** One pay-as-you-go token meter of the Azure Retail Prices API, its price per million tokens in nanos. */
record AzureMeter(AzureMeterName name, String region, String currency, Instant effectiveFrom, long perMillionNanos) {

    private static final Map<String, BigDecimal> MILLION_PER_UNIT = Map.of(
            "1k", BigDecimal.valueOf(1_000), "1m", BigDecimal.ONE);

    /**
     * @param pageCurrency the BillingCurrency of the response the item came in, for items without currencyCode
     * @throws IllegalArgumentException with the reason when the item is not a token meter tokenmeter can price
     */
    static AzureMeter of(JsonNode item, String pageCurrency) {
        if (!item.isObject()) {
            throw new IllegalArgumentException("not an object: " + JsonInput.show(item));
        }
        String type = text(item, "type");
        if (type != null && !type.equalsIgnoreCase("Consumption")) {
            throw new IllegalArgumentException("type " + type + " is not pay-as-you-go");
        }
        String unit = text(item, "unitOfMeasure");
        if (unit == null) {
            throw new IllegalArgumentException("no unitOfMeasure");
        }
        BigDecimal perUnit = MILLION_PER_UNIT.get(unit.toLowerCase(Locale.ROOT));
        if (perUnit == null) {
            throw new IllegalArgumentException("unit " + unit + " is not a token unit");
        }
        AzureMeterName name = name(item);
        JsonNode tier = item.path("tierMinimumUnits");
        if (tier.isNumber() && tier.decimalValue().signum() > 0) {
            throw new IllegalArgumentException("tiered price from " + tier.decimalValue().toPlainString() + " units is not supported");
        }
        BigDecimal price = price(item);
        long nanos;
        try {
            nanos = PriceValues.nanos(price.multiply(perUnit));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("retailPrice " + price.toPlainString() + " is too large");
        }
        return new AzureMeter(name, region(item), currency(item, pageCurrency), effectiveFrom(item), nanos);
    }

    /** How an item is named in a problem: its SKU and meter names, whichever it has. */
    static String describe(JsonNode item) {
        String sku = text(item, "skuName");
        String meter = text(item, "meterName");
        if (sku == null && meter == null) {
            String id = text(item, "meterId");
            return id == null ? "" : " (meterId " + id + ")";
        }
        return " (" + (sku == null ? "" : "sku '" + sku + "'") + (sku != null && meter != null ? ", " : "")
                + (meter == null ? "" : "meter '" + meter + "'") + ")";
    }

    // A SKU can hold several meters (input and output), so the meter name is the more specific; the SKU name is the
    // fallback for items whose meter name says less.
    private static AzureMeterName name(JsonNode item) {
        String meter = text(item, "meterName");
        String sku = text(item, "skuName");
        if (meter == null && sku == null) {
            throw new IllegalArgumentException("no meterName or skuName");
        }
        try {
            return AzureMeterName.parse(meter == null ? sku : meter);
        } catch (IllegalArgumentException meterUnreadable) {
            if (meter == null || sku == null) {
                throw meterUnreadable;
            }
            try {
                return AzureMeterName.parse(sku);
            } catch (IllegalArgumentException skuUnreadable) {
                throw meterUnreadable;
            }
        }
    }

    private static BigDecimal price(JsonNode item) {
        JsonNode value = item.has("retailPrice") ? item.get("retailPrice") : item.path("unitPrice");
        BigDecimal price;
        if (value.isNumber()) {
            price = value.decimalValue();
        } else if (value.isTextual()) {
            try {
                price = new BigDecimal(value.asText().strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("retailPrice must be a decimal amount, got " + JsonInput.show(value));
            }
        } else {
            throw new IllegalArgumentException(value.isMissingNode() ? "no retailPrice"
                    : "retailPrice must be a decimal amount, got " + JsonInput.show(value));
        }
        if (price.signum() < 0) {
            throw new IllegalArgumentException("retailPrice must not be negative, got " + price.toPlainString());
        }
        return price;
    }

    // Items without an ARM region, or with the pseudo-region "global", are priced for any region.
    private static String region(JsonNode item) {
        String arm = text(item, "armRegionName");
        if (arm == null || arm.equalsIgnoreCase("global")) {
            return PriceValues.ANY_REGION;
        }
        String region = PriceValues.region(arm);
        if (!PriceValues.isRegion(region)) {
            throw new IllegalArgumentException("armRegionName '" + arm + "' is not a region name");
        }
        return region;
    }

    private static String currency(JsonNode item, String pageCurrency) {
        String code = text(item, "currencyCode");
        String currency = code != null ? code : pageCurrency != null ? pageCurrency : "USD";
        if (!PriceValues.isCurrency(currency)) {
            throw new IllegalArgumentException("currency '" + currency + "' is not an ISO 4217 code");
        }
        return currency;
    }

    private static Instant effectiveFrom(JsonNode item) {
        String start = text(item, "effectiveStartDate");
        if (start == null) {
            throw new IllegalArgumentException("no effectiveStartDate");
        }
        try {
            return PriceValues.instant(start);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("effectiveStartDate '" + start + "' is not an ISO-8601 instant");
        }
    }

    private static String text(JsonNode item, String field) {
        JsonNode value = item.get(field);
        return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText().strip() : null;
    }
}
