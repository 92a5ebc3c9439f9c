package io.tokenmeter.bills;

import static io.tokenmeter.bills.ExportColumn.*;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.money.Shares;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One bill line and its allocation as FOCUS 1.3 rows: one allocated charge per part (each scope that used the line,
 * and the unallocated rest), together adding up to the origin charge as FOCUS's split cost allocation asks.
 *
 * <ul>
 *   <li>EffectiveCost is the part's allocatedCostNanos, exactly.</li>
 *   <li>BilledCost, ListCost, ContractedCost, ConsumedQuantity and PricingQuantity are split by the same shares with
 *   the largest remainder method ({@link Shares}), so the rows of a line add up to each of the line's values exactly,
 *   as FOCUS requires of every summable metric of allocated charges. Leaving them null is not allowed for the mandatory
 *   costs, and copying the line's value onto every row would count it once per scope.</li>
 *   <li>Dimensions (dates, service, resource, SKU, currency) are the line's; Tags are the line's tags (kept as they
 *   are, FOCUS asks allocated charges to carry the origin's tags) plus the scope: tenant, application, useCase,
 *   costCenter, agent, or {@value #UNALLOCATED_REASON_TAG} on the unallocated part.</li>
 *   <li>AllocatedMethodId names how the line was split, AllocatedMethodDetails gives the part's ratio and the use it
 *   was earned by, AllocatedResourceId and AllocatedResourceName name the scope (null on the unallocated part, as FOCUS
 *   asks), AllocatedTags hold the scope alone.</li>
 * </ul>
 * The shares are the parts' cost over the line's EffectiveCost; a line whose EffectiveCost is 0 is shared by the parts'
 * measured use, and equally when nobody's use was measured.
 */
final class AllocationRows {

    static final String MICROSOFT = "Microsoft";
    static final String UNALLOCATED_REASON_TAG = "tokenmeter-unallocated-reason";
    static final String METHOD_TOKENS = "tokenmeter/token-share";
    static final String METHOD_PROVISIONED = "tokenmeter/provisioned-token-share";
    static final String METHOD_RULE = "tokenmeter/sharing-rule";
    static final String METHOD_NONE = "tokenmeter/not-allocated";
    static final List<String> CHARGE_CATEGORIES = List.of("Usage", "Purchase", "Tax", "Credit", "Adjustment");
    static final List<String> CHARGE_FREQUENCIES = List.of("One-Time", "Recurring", "Usage-Based");
    /** AllocatedMethodDetails ratios: twelve decimals, split so a line's ratios add up to exactly 1. */
    private static final int RATIO_SCALE = 12;
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final DateTimeFormatter PERIOD_DAY = DateTimeFormatter.BASIC_ISO_DATE;

    private AllocationRows() {
    }

    static List<ExportRow> rows(AllocatedBill.Line allocated) {
        BillLine line = allocated.line();
        List<AllocatedCost> parts = allocated.parts();
        List<Long> weights = weights(parts);
        long[] billed = Shares.split(line.getBilledCostNanos(), weights);
        long[] list = line.getListCostNanos() == null ? null : Shares.split(line.getListCostNanos(), weights);
        long[] contracted = line.getContractedCostNanos() == null ? null : Shares.split(line.getContractedCostNanos(), weights);
        BigDecimal[] consumed = quantities(line.getConsumedQuantity(), weights);
        BigDecimal[] pricing = quantities(line.getPricingQuantity(), weights);
        BigInteger[] ratios = Shares.split(BigInteger.TEN.pow(RATIO_SCALE), weights);
        Instant[] period = billingPeriod(allocated.billingPeriod(), line);

        List<ExportRow> rows = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            AllocatedCost part = parts.get(i);
            Map<ExportColumn, Object> row = new EnumMap<>(ExportColumn.class);
            String category = allowed(line.getChargeCategory(), CHARGE_CATEGORIES);
            String serviceName = first(part.getServiceName(), line.getServiceName(), line.getSkuMeterSubcategory(), "Unknown");
            String meter = first(part.getSkuMeter(), line.getSkuMeter());
            row.put(BILLED_COST, money(billed[i]));
            row.put(BILLING_ACCOUNT_ID, allocated.export());
            row.put(BILLING_CURRENCY, line.getBillingCurrency());
            row.put(BILLING_PERIOD_START, period[0]);
            row.put(BILLING_PERIOD_END, period[1]);
            row.put(CHARGE_CATEGORY, category);
            row.put(CHARGE_CLASS, "Correction".equalsIgnoreCase(line.getChargeClass()) ? "Correction" : null);
            row.put(CHARGE_DESCRIPTION, meter);
            row.put(CHARGE_FREQUENCY, frequency(line.getChargeFrequency(), category));
            row.put(CHARGE_PERIOD_START, line.getChargePeriodStart());
            row.put(CHARGE_PERIOD_END, line.getChargePeriodEnd());
            row.put(COMMITMENT_DISCOUNT_ID, line.getCommitmentDiscountId());
            row.put(CONSUMED_QUANTITY, consumed == null ? null : consumed[i]);
            row.put(CONSUMED_UNIT, line.getConsumedUnit());
            row.put(CONTRACTED_COST, contracted == null ? null : money(contracted[i]));
            row.put(EFFECTIVE_COST, money(part.getAllocatedCostNanos()));
            row.put(HOST_PROVIDER_NAME, MICROSOFT);
            row.put(INVOICE_ISSUER_NAME, MICROSOFT);
            row.put(LIST_COST, list == null ? null : money(list[i]));
            row.put(PRICING_QUANTITY, pricing == null ? null : pricing[i]);
            row.put(PRICING_UNIT, line.getPricingUnit());
            row.put(PROVIDER_NAME, MICROSOFT);
            row.put(PUBLISHER_NAME, MICROSOFT);
            row.put(REGION_ID, line.getRegionId());
            row.put(RESOURCE_ID, first(line.getResourceId(), part.getResourceId()));
            row.put(RESOURCE_NAME, resourceName(line));
            row.put(SERVICE_CATEGORY, ServiceCategories.of(serviceName, part.getMeterKind() != null));
            row.put(SERVICE_NAME, serviceName);
            row.put(SERVICE_PROVIDER_NAME, MICROSOFT);
            row.put(SKU_ID, line.getSkuId());
            row.put(SKU_METER, meter);
            Map<String, String> scope = scope(part);
            Map<String, String> tags = new LinkedHashMap<>(line.getTags());
            scope.forEach(tags::putIfAbsent);
            row.put(TAGS, json(tags));
            row.put(ALLOCATED_METHOD_ID, method(part));
            row.put(ALLOCATED_METHOD_DETAILS, details(part, ratios[i]));
            boolean unallocated = part.getUnallocatedReason() != null;
            row.put(ALLOCATED_RESOURCE_ID, unallocated ? null : resourceId(scope));
            row.put(ALLOCATED_RESOURCE_NAME, unallocated ? null : String.join(" / ", scope.values()));
            row.put(ALLOCATED_TAGS, json(scope));
            row.put(RESOURCE_GROUP_NAME, line.getResourceGroup());
            row.put(SKU_METER_SUBCATEGORY, line.getSkuMeterSubcategory());
            row.put(PRICING_BLOCK_SIZE, line.getPricingBlockSize() == null ? null : new BigDecimal(line.getPricingBlockSize()));
            row.put(PRICING_UNIT_DESCRIPTION, line.getPricingUnitDescription());
            row.put(TOKENMETER_LINE_ID, allocated.lineId());
            row.put(TOKENMETER_TOKEN_KIND, part.getMeterKind() == null ? null : part.getMeterKind().name());
            row.put(TOKENMETER_MODEL, part.getModel());
            row.put(TOKENMETER_DEPLOYMENT_TYPE, part.getDeploymentType());
            row.put(TOKENMETER_RULE, part.getRule());
            row.put(TOKENMETER_ESTIMATED_COST, money(part.getEstimatedCostNanos()));
            rows.add(new ExportRow(row));
        }
        return rows;
    }

    /** The share of each part: its cost, else its measured use, else equal. */
    static List<Long> weights(List<AllocatedCost> parts) {
        List<Long> byCost = parts.stream().map(p -> Math.abs(p.getAllocatedCostNanos())).toList();
        if (byCost.stream().anyMatch(w -> w > 0)) {
            return byCost;
        }
        List<Long> byUse = parts.stream().map(p -> Math.max(0, p.getBasis())).toList();
        if (byUse.stream().anyMatch(w -> w > 0)) {
            return byUse;
        }
        return parts.stream().map(p -> 1L).toList();
    }

    static BigDecimal money(long nanos) {
        return BigDecimal.valueOf(nanos, MONEY_SCALE);
    }

    /** A quantity split exactly at nine decimals (or its own scale, up to eighteen; a finer one is rounded to eighteen). */
    private static BigDecimal[] quantities(String quantity, List<Long> weights) {
        if (quantity == null) {
            return null;
        }
        BigDecimal value = new BigDecimal(quantity);
        int scale = Math.min(Math.max(value.scale(), MONEY_SCALE), QUANTITY_SCALE);
        BigInteger[] parts = Shares.split(value.setScale(scale, RoundingMode.HALF_EVEN).unscaledValue(), weights);
        BigDecimal[] split = new BigDecimal[parts.length];
        for (int i = 0; i < parts.length; i++) {
            split[i] = new BigDecimal(parts[i], scale);
        }
        return split;
    }

    /** The scope of a part, its non-null fields in order; on the unallocated part, its reason. */
    static Map<String, String> scope(AllocatedCost part) {
        Map<String, String> scope = new LinkedHashMap<>();
        put(scope, "tenant", part.getTenant());
        put(scope, "application", part.getApplication());
        put(scope, "useCase", part.getUseCase());
        put(scope, "costCenter", part.getCostCenter());
        put(scope, "agent", part.getAgent());
        put(scope, UNALLOCATED_REASON_TAG, part.getUnallocatedReason());
        return scope;
    }

    private static void put(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    /** {@code tokenmeter/scope/tenant=contoso/useCase=policy-qa}: unique among the parts of a line, whatever the values hold. */
    private static String resourceId(Map<String, String> scope) {
        StringJoiner id = new StringJoiner("/", "tokenmeter/scope/", "");
        scope.forEach((k, v) -> id.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return id.toString();
    }

    static String method(AllocatedCost part) {
        if (part.getRule() != null) {
            return METHOD_RULE;
        }
        if (part.getMeterKind() == BillMeterKind.PROVISIONED) {
            return METHOD_PROVISIONED;
        }
        return part.getMeterKind() != null ? METHOD_TOKENS : METHOD_NONE;
    }

    /**
     * The FOCUS AllocatedMethodDetails object: one element with the part's AllocatedRatio and, for token and provisioned
     * meters, the tokens it was earned by (UsageQuantity in UsageUnit Tokens); a sharing rule's basis (requests,
     * tokens or estimated nanos, as the rule says) is in x_Basis.
     */
    private static String details(AllocatedCost part, BigInteger ratio) {
        ObjectNode details = JSON.createObjectNode();
        ObjectNode element = details.putArray("Elements").addObject();
        element.put("AllocatedRatio", new BigDecimal(ratio, RATIO_SCALE).stripTrailingZeros());
        if (part.getMeterKind() != null && part.getRule() == null) {
            element.put("UsageUnit", "Tokens");
            element.put("UsageQuantity", part.getBasis());
            element.put("x_LineUsageQuantity", part.getLineBasis());
        } else {
            element.put("x_Basis", part.getBasis());
            element.put("x_LineBasis", part.getLineBasis());
        }
        if (part.getRule() != null) {
            details.put("x_Rule", part.getRule());
        }
        if (part.getUnallocatedReason() != null) {
            details.put("x_UnallocatedReason", part.getUnallocatedReason());
        }
        return json(details);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e); // maps of strings and numbers always serialize
        }
    }

    /**
     * BillingPeriodStart and End (exclusive) from the export's period folder (YYYYMMDD-YYYYMMDD, the end day inclusive),
     * BillingPeriodStart of the line where it says; the calendar month of the charge when the folder name is not a period.
     */
    static Instant[] billingPeriod(String folder, BillLine line) {
        Instant start;
        Instant end;
        try {
            String[] days = folder.split("-");
            start = LocalDate.parse(days[0], PERIOD_DAY).atStartOfDay(ZoneOffset.UTC).toInstant();
            end = LocalDate.parse(days[1], PERIOD_DAY).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException | ArrayIndexOutOfBoundsException e) {
            LocalDate month = LocalDate.ofInstant(line.getChargePeriodStart(), ZoneOffset.UTC).withDayOfMonth(1);
            start = month.atStartOfDay(ZoneOffset.UTC).toInstant();
            end = month.plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        return new Instant[] {line.getBillingPeriodStart() != null ? line.getBillingPeriodStart() : start, end};
    }

    /** The allowed value that {@code value} spells, ignoring case; the value as it is when it spells none. */
    static String allowed(String value, List<String> allowed) {
        return allowed.stream().filter(a -> a.equalsIgnoreCase(value)).findFirst().orElse(value);
    }

    /** ChargeFrequency as the bill says it; when it does not, Usage-Based for usage and One-Time for the other categories. */
    private static String frequency(String frequency, String category) {
        String known = frequency == null ? null : allowed(frequency, CHARGE_FREQUENCIES);
        if (known != null && CHARGE_FREQUENCIES.contains(known)) {
            return known;
        }
        return "Usage".equals(category) ? "Usage-Based" : "One-Time";
    }

    /** ResourceName, else the last segment of the ResourceId (what Azure names a resource by). */
    private static String resourceName(BillLine line) {
        if (line.getResourceName() != null || line.getResourceId() == null) {
            return line.getResourceName();
        }
        String id = line.getResourceId();
        return id.substring(id.lastIndexOf('/') + 1);
    }

    private static String first(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }

    /** FOCUS ServiceCategory of an Azure ServiceName; the bill lines tokenmeter keeps do not carry the export's own. */
    static final class ServiceCategories {

        private static final Map<String, String> BY_WORD = new LinkedHashMap<>();

        static {
            for (String word : List.of("openai", "foundry", "cognitive", "machine learning", "search", "bot service", "speech", "language",
                    "translator", "vision", "document intelligence", "content safety")) {
                BY_WORD.put(word, "AI and Machine Learning");
            }
            for (String word : List.of("api management", "service bus", "event grid", "event hubs", "logic apps")) {
                BY_WORD.put(word, "Integration");
            }
            for (String word : List.of("cosmos", "sql", "postgres", "mysql", "redis")) {
                BY_WORD.put(word, "Databases");
            }
            for (String word : List.of("storage")) {
                BY_WORD.put(word, "Storage");
            }
            for (String word : List.of("virtual machines", "functions", "app service", "container", "kubernetes")) {
                BY_WORD.put(word, "Compute");
            }
            for (String word : List.of("monitor", "log analytics", "application insights")) {
                BY_WORD.put(word, "Management and Governance");
            }
            for (String word : List.of("virtual network", "bandwidth", "front door", "load balancer", "application gateway", "dns")) {
                BY_WORD.put(word, "Networking");
            }
            for (String word : List.of("key vault", "defender", "sentinel")) {
                BY_WORD.put(word, "Security");
            }
        }

        private ServiceCategories() {
        }

        /** The category of the first word the name contains; a model meter is AI and Machine Learning; Other otherwise. */
        static String of(String serviceName, boolean modelMeter) {
            String name = serviceName.toLowerCase(Locale.ROOT);
            for (Map.Entry<String, String> word : BY_WORD.entrySet()) {
                if (name.contains(word.getKey())) {
                    return word.getValue();
                }
            }
            return modelMeter ? "AI and Machine Learning" : "Other";
        }
    }
}
