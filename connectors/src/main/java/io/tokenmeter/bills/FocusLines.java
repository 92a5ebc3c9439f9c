package io.tokenmeter.bills;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.prices.PriceValues;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Maps the FOCUS rows of one file to BillLines. A row that cannot be a line becomes a problem naming the column and
 * value; a value that is only decoration (Tags) is left empty with a warning and the row kept.
 */
final class FocusLines {

    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
    // Far past any bill, yet small enough that a plain rendering of the number stays short.
    private static final int MAX_SCALE = 40;
    private static final int MIN_SCALE = -20;

    private final String sourceFile;
    private boolean currencyColumn = true;

    FocusLines(String sourceFile) {
        this.sourceFile = sourceFile;
    }

    /**
     * Checks the columns of the file before its rows.
     *
     * @return false when the file lacks a mandatory column (the problem went to problems)
     */
    boolean columns(Set<FocusColumn> present, Consumer<RowProblem> problems) {
        List<String> missing = new ArrayList<>();
        for (FocusColumn column : FocusColumn.MANDATORY) {
            if (!present.contains(column)) {
                missing.add(column.header);
            }
        }
        if (!missing.isEmpty()) {
            problems.accept(RowProblem.file(sourceFile, 0, "no column " + String.join(", ", missing)
                    + ": not a FOCUS cost and usage file"));
            return false;
        }
        currencyColumn = present.contains(FocusColumn.BILLING_CURRENCY);
        if (!currencyColumn) {
            problems.accept(RowProblem.warning(sourceFile, 0, "no column BillingCurrency: every cost is taken as USD", null));
        }
        return true;
    }

    /** The line of a row, or null when the row is skipped; its problems, warnings included, go to problems. */
    BillLine map(long line, FocusRow row, Consumer<RowProblem> problems) {
        List<String> warnings = new ArrayList<>(0);
        BillLine mapped;
        try {
            mapped = line(line, row, warnings);
        } catch (BadRow bad) {
            problems.accept(RowProblem.row(sourceFile, line, bad.getMessage(), row.raw()));
            return null;
        }
        for (String warning : warnings) {
            problems.accept(RowProblem.warning(sourceFile, line, warning, row.raw()));
        }
        return mapped;
    }

    private BillLine line(long line, FocusRow row, List<String> warnings) throws BadRow {
        Instant start = instant(row, FocusColumn.CHARGE_PERIOD_START, true);
        Instant end = instant(row, FocusColumn.CHARGE_PERIOD_END, true);
        if (end.isBefore(start)) {
            throw new BadRow("ChargePeriodEnd " + row.get(FocusColumn.CHARGE_PERIOD_END) + " is before ChargePeriodStart "
                    + row.get(FocusColumn.CHARGE_PERIOD_START));
        }
        BigDecimal consumed = decimal(row, FocusColumn.CONSUMED_QUANTITY);
        BigDecimal pricing = decimal(row, FocusColumn.PRICING_QUANTITY);
        BigDecimal block = decimal(row, FocusColumn.PRICING_BLOCK_SIZE);
        BillMeter meter;
        try {
            meter = FocusMeters.meter(row, consumed, pricing, block, warnings::add);
        } catch (ArithmeticException e) {
            throw new BadRow("the tokens of ConsumedQuantity " + row.get(FocusColumn.CONSUMED_QUANTITY) + " are beyond a long");
        }
        return BillLine.newBuilder()
                .setChargePeriodStart(start)
                .setChargePeriodEnd(end)
                .setBillingPeriodStart(instant(row, FocusColumn.BILLING_PERIOD_START, false))
                .setChargeCategory(required(row, FocusColumn.CHARGE_CATEGORY))
                .setChargeClass(row.get(FocusColumn.CHARGE_CLASS))
                .setChargeFrequency(row.get(FocusColumn.CHARGE_FREQUENCY))
                .setBillingCurrency(currency(row, warnings))
                .setBilledCostNanos(nanos(row, FocusColumn.BILLED_COST, true))
                .setEffectiveCostNanos(nanos(row, FocusColumn.EFFECTIVE_COST, true))
                .setListCostNanos(nanos(row, FocusColumn.LIST_COST, false))
                .setContractedCostNanos(nanos(row, FocusColumn.CONTRACTED_COST, false))
                .setConsumedQuantity(plain(consumed))
                .setConsumedUnit(row.get(FocusColumn.CONSUMED_UNIT))
                .setPricingQuantity(plain(pricing))
                .setPricingUnit(row.get(FocusColumn.PRICING_UNIT))
                .setPricingBlockSize(plain(block))
                .setPricingUnitDescription(row.get(FocusColumn.PRICING_UNIT_DESCRIPTION))
                .setResourceId(row.get(FocusColumn.RESOURCE_ID))
                .setResourceName(row.get(FocusColumn.RESOURCE_NAME))
                .setResourceGroup(row.get(FocusColumn.RESOURCE_GROUP))
                .setServiceName(row.get(FocusColumn.SERVICE_NAME))
                .setRegionId(row.get(FocusColumn.REGION_ID))
                .setSkuMeter(first(row, FocusColumn.SKU_METER, FocusColumn.SKU_METER_NAME))
                .setSkuMeterSubcategory(row.get(FocusColumn.SKU_METER_SUBCATEGORY))
                .setSkuId(first(row, FocusColumn.SKU_ID, FocusColumn.SKU_METER_ID))
                .setCommitmentDiscountId(row.get(FocusColumn.COMMITMENT_DISCOUNT_ID))
                .setMeter(meter)
                .setTags(tags(row, warnings))
                .setSourceFile(sourceFile)
                .setSourceLine(line)
                .build();
    }

    private static String required(FocusRow row, FocusColumn column) throws BadRow {
        String value = row.get(column);
        if (value == null) {
            throw new BadRow("no " + column.header);
        }
        return value;
    }

    private static String first(FocusRow row, FocusColumn preferred, FocusColumn other) {
        String value = row.get(preferred);
        return value != null ? value : row.get(other);
    }

    /** BillLine keeps milliseconds; a FOCUS date-time finer than that is cut to the millisecond. */
    private static Instant instant(FocusRow row, FocusColumn column, boolean required) throws BadRow {
        String text = required ? required(row, column) : row.get(column);
        if (text == null) {
            return null;
        }
        try {
            return PriceValues.isoInstant(text).truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeException e) {
            throw new BadRow(column.header + " '" + text + "' is not an ISO-8601 date or date-time");
        }
    }

    private static BigDecimal decimal(FocusRow row, FocusColumn column) throws BadRow {
        String text = row.get(column);
        if (text == null) {
            return null;
        }
        BigDecimal value;
        try {
            value = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new BadRow(column.header + " '" + text + "' is not a number");
        }
        if (value.scale() > MAX_SCALE || value.scale() < MIN_SCALE) {
            throw new BadRow(column.header + " '" + text + "' is out of range");
        }
        return value;
    }

    private static Long nanos(FocusRow row, FocusColumn column, boolean required) throws BadRow {
        if (required) {
            required(row, column);
        }
        BigDecimal amount = decimal(row, column);
        if (amount == null) {
            return null;
        }
        try {
            return PriceValues.nanos(amount);
        } catch (ArithmeticException e) {
            throw new BadRow(column.header + " '" + row.get(column) + "' is too large to count in nanos");
        }
    }

    // A decimal as plain digits, whatever notation the export used (1.5E-7 is 0.00000015), so readers need no exponent.
    private static String plain(BigDecimal value) {
        return value == null ? null : value.toPlainString();
    }

    private String currency(FocusRow row, List<String> warnings) throws BadRow {
        String code = row.get(FocusColumn.BILLING_CURRENCY);
        if (code == null) {
            if (currencyColumn) {
                warnings.add("no BillingCurrency: the costs are taken as USD");
            }
            return "USD";
        }
        String upper = code.toUpperCase(Locale.ROOT);
        if (!PriceValues.isCurrency(upper)) {
            throw new BadRow("BillingCurrency '" + code + "' is not an ISO 4217 code");
        }
        return upper;
    }

    /**
     * Tags as a JSON object ({"team":"a"}); the brace-less form of older Cost Management files ("team": "a") is read too.
     * Tags decide allocation but not cost, so a malformed value leaves them empty with a warning and keeps the row.
     */
    private static Map<String, String> tags(FocusRow row, List<String> warnings) {
        Map<String, String> tags = new LinkedHashMap<>();
        String text = row.get(FocusColumn.TAGS);
        if (text == null) {
            return tags;
        }
        JsonNode node;
        try {
            node = JSON.readTree(text.startsWith("{") ? text : "{" + text + "}");
        } catch (JsonProcessingException e) {
            warnings.add("Tags is not a JSON object (" + e.getOriginalMessage() + "): the line has no tags");
            return tags;
        }
        if (node == null || !node.isObject()) {
            warnings.add("Tags is not a JSON object: the line has no tags");
            return tags;
        }
        for (Map.Entry<String, JsonNode> tag : node.properties()) {
            JsonNode value = tag.getValue();
            tags.put(tag.getKey(), value.isNull() ? "" : value.isValueNode() ? value.asText() : value.toString());
        }
        return tags;
    }

    /** A row that cannot be a line, with the reason; no stack trace, it is data and not a fault. */
    static final class BadRow extends Exception {
        private static final long serialVersionUID = 1L;

        BadRow(String reason) {
            super(reason, null, false, false);
        }
    }
}
