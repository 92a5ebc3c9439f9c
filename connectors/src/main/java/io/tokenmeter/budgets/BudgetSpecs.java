package io.tokenmeter.budgets;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.prices.JsonInput;
import io.tokenmeter.prices.PriceValues;
import io.tokenmeter.topics.BudgetScope;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The rules for what a budget may say, and how one is read from what a user wrote: an entry of a budget file, or the
 * options of {@code tokenmeter budgets set} (which are read as such an entry). Every bad field is reported, not only
 * the first, and each message says what was expected and what was given.
 */
public final class BudgetSpecs {

    public static final String DEFAULT_CURRENCY = "USD";
    public static final List<Integer> DEFAULT_THRESHOLDS = List.of(50, 80, 100);
    public static final BudgetAction DEFAULT_ACTION = BudgetAction.WARN;
    public static final String DEFAULT_TIME_ZONE = "UTC";
    public static final int MAX_THRESHOLD_PERCENT = 1000;

    /** The fields of an entry; any other is refused, so that a misspelt optional field is not silently ignored. */
    public static final List<String> FIELDS = List.of("scope", "period", "amount", "currency", "thresholds", "action", "timeZone");

    /** Names a field of a budget file in messages: {@code field 'amount'}. */
    public static final Function<String, String> FILE_FIELD = name -> "field '" + name + "'";

    private static final Pattern PERCENT = Pattern.compile("-?\\d{1,9}");

    /** The budget, or null with the reasons it could not be read. */
    public record Parsed(Budget budget, List<String> problems) {
    }

    private BudgetSpecs() {
    }

    /**
     * Reads one budget entry such as {@code {"scope":"tenant:contoso","period":"month","amount":"1000"}}. The amount
     * may be a string or a JSON number; thresholds an array of percentages or a string such as "50,80,100";
     * currency, thresholds, action and timeZone may be left out for their defaults (USD, 50/80/100, WARN, UTC).
     *
     * @param label how a field is named in messages, e.g. {@link #FILE_FIELD}, or the option that gave it
     * @param updatedAt the budget's updatedAt
     */
    public static Parsed read(JsonNode node, Function<String, String> label, Instant updatedAt) {
        if (node == null || !node.isObject()) {
            return new Parsed(null, List.of("must be a JSON object, got " + (node == null ? "nothing" : JsonInput.show(node))));
        }
        Checks checks = new Checks(label);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                checks.problems.add(label.apply(name) + ": unknown field (fields: " + String.join(", ", FIELDS) + ")");
            }
        }
        BudgetScope scope = checks.check("scope", () -> scope(text(node, "scope", true)));
        BudgetPeriod period = checks.check("period", () -> period(text(node, "period", true)));
        Long amountNanos = checks.check("amount", () -> amountNanos(decimal(node.get("amount"))));
        String currency = checks.check("currency", () -> currency(text(node, "currency", false)));
        List<Integer> thresholds = checks.check("thresholds", () -> thresholds(percents(node.get("thresholds"))));
        BudgetAction action = checks.check("action", () -> action(text(node, "action", false)));
        String timeZone = checks.check("timeZone", () -> timeZone(text(node, "timeZone", false)));
        if (!checks.problems.isEmpty()) {
            return new Parsed(null, List.copyOf(checks.problems));
        }
        return new Parsed(budget(scope, period, amountNanos, currency, thresholds, action, timeZone, updatedAt), List.of());
    }

    /** A budget from values that have passed the checks below; updatedAt is kept to the millisecond, as Avro does. */
    public static Budget budget(BudgetScope scope, BudgetPeriod period, long amountNanos, String currency, List<Integer> thresholds,
                                BudgetAction action, String timeZone, Instant updatedAt) {
        return Budget.newBuilder()
                .setScopeType(scope.type())
                .setScopeValue(scope.value())
                .setPeriod(period)
                .setAmountNanos(amountNanos)
                .setCurrency(currency)
                .setThresholdsPercent(List.copyOf(thresholds))
                .setAction(action)
                .setTimeZone(timeZone)
                .setUpdatedAt(updatedAt.truncatedTo(ChronoUnit.MILLIS))
                .build();
    }

    /** {@code tenant:contoso}, its value without surrounding spaces (which would never match the usage's value). */
    public static BudgetScope scope(String text) {
        BudgetScope scope = BudgetScope.parse(text.strip());
        if (!scope.value().equals(scope.value().strip())) {
            throw new IllegalArgumentException("the value must not begin or end with spaces, got " + quote(text));
        }
        return scope;
    }

    /** month, quarter or year, in any case. */
    public static BudgetPeriod period(String text) {
        for (BudgetPeriod period : BudgetPeriod.values()) {
            if (period.name().equalsIgnoreCase(text.strip())) {
                return period;
            }
        }
        throw new IllegalArgumentException("must be month, quarter or year, got " + quote(text));
    }

    /** The amount in nano-units of its currency; it must be above zero and have at most 9 decimals (nothing is rounded). */
    public static long amountNanos(BigDecimal amount) {
        if (amount.signum() <= 0) {
            throw new IllegalArgumentException("must be greater than 0, got " + amount.toPlainString());
        }
        if (amount.stripTrailingZeros().scale() > PriceValues.NANOS_PER_UNIT_DIGITS) {
            throw new IllegalArgumentException("must have at most " + PriceValues.NANOS_PER_UNIT_DIGITS + " decimals, got "
                    + amount.toPlainString());
        }
        try {
            return PriceValues.nanos(amount);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("is too large, got " + amount.toPlainString());
        }
    }

    /** Three upper-case letters (ISO 4217); null is USD. */
    public static String currency(String code) {
        if (code == null) {
            return DEFAULT_CURRENCY;
        }
        if (!PriceValues.isCurrency(code)) {
            throw new IllegalArgumentException("must be an ISO 4217 code of 3 upper-case letters, got " + quote(code));
        }
        return code;
    }

    /** Whole percentages from 1 to 1000, returned sorted without repeats; null is 50, 80, 100. */
    public static List<Integer> thresholds(List<Integer> percents) {
        if (percents == null) {
            return DEFAULT_THRESHOLDS;
        }
        if (percents.isEmpty()) {
            throw new IllegalArgumentException("must name at least one percentage, such as 50,80,100");
        }
        for (int percent : percents) {
            if (percent < 1 || percent > MAX_THRESHOLD_PERCENT) {
                throw new IllegalArgumentException("must each be between 1 and " + MAX_THRESHOLD_PERCENT + " %, got " + percent);
            }
        }
        return percents.stream().distinct().sorted().toList();
    }

    /** Percentages separated by commas, such as {@code 50,80,100}, before the checks of {@link #thresholds(List)}. */
    public static List<Integer> thresholds(String commaSeparated) {
        if (commaSeparated.isBlank()) {
            return thresholds(List.of());
        }
        List<Integer> percents = new ArrayList<>();
        for (String part : commaSeparated.split(",", -1)) {
            String percent = part.strip();
            if (!PERCENT.matcher(percent).matches()) {
                throw new IllegalArgumentException("must be whole percentages separated by commas, such as 50,80,100, got "
                        + quote(commaSeparated));
            }
            percents.add(Integer.parseInt(percent));
        }
        return thresholds(percents);
    }

    /** WARN or BLOCK, in any case; null is WARN. */
    public static BudgetAction action(String text) {
        if (text == null) {
            return DEFAULT_ACTION;
        }
        for (BudgetAction action : BudgetAction.values()) {
            if (action.name().equalsIgnoreCase(text.strip())) {
                return action;
            }
        }
        throw new IllegalArgumentException("must be WARN or BLOCK, got " + quote(text));
    }

    /** An IANA time zone such as Europe/Berlin, or UTC, or an offset such as +01:00; null is UTC. */
    public static String timeZone(String id) {
        if (id == null) {
            return DEFAULT_TIME_ZONE;
        }
        try {
            return ZoneId.of(id.strip()).getId();
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("must be a time zone such as UTC or Europe/Berlin, got " + quote(id));
        }
    }

    /** The scope a budget covers; its key is the budget's record key. */
    public static BudgetScope scopeOf(Budget budget) {
        return new BudgetScope(budget.getScopeType(), budget.getScopeValue());
    }

    /** {@code tenant:contoso: 1,000.00 USD per month (Europe/Berlin), warn at 50/80/100 %, WARN at 100 %}. */
    public static String describe(Budget budget) {
        return String.format(Locale.ROOT, "%s: %s %s per %s (%s), warn at %s %%, %s at 100 %%", scopeOf(budget).key(),
                amount(budget.getAmountNanos()), budget.getCurrency(), period(budget.getPeriod()), budget.getTimeZone(),
                thresholds(budget), budget.getAction());
    }

    /** An amount of nanos with thousands separators and at least two decimals: 1,000.00, 12.50, 0.125. */
    public static String amount(long nanos) {
        BigDecimal amount = BigDecimal.valueOf(nanos, PriceValues.NANOS_PER_UNIT_DIGITS).stripTrailingZeros();
        return String.format(Locale.ROOT, "%,." + Math.max(2, amount.scale()) + "f", amount);
    }

    /** month, quarter, year. */
    public static String period(BudgetPeriod period) {
        return period.name().toLowerCase(Locale.ROOT);
    }

    /** 50/80/100. */
    public static String thresholds(Budget budget) {
        return budget.getThresholdsPercent().stream().map(String::valueOf).collect(Collectors.joining("/"));
    }

    /** A string field: missing, null and blank are the same absence. */
    private static String text(JsonNode node, String field, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
            if (required) {
                throw new IllegalArgumentException("is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("must be a string, got " + JsonInput.show(value));
        }
        return value.asText();
    }

    private static BigDecimal decimal(JsonNode value) {
        if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
            throw new IllegalArgumentException("is required");
        }
        return JsonInput.decimal(value).orElseThrow(() ->
                new IllegalArgumentException("must be a decimal amount such as 1000 or 12.50, got " + JsonInput.show(value)));
    }

    /** An array of whole numbers, or a string of them separated by commas; null when not given. */
    private static List<Integer> percents(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            return thresholds(value.asText());
        }
        List<Integer> percents = new ArrayList<>();
        if (value.isArray()) {
            for (JsonNode percent : value) {
                if (!percent.isIntegralNumber()) {
                    break;
                }
                if (!percent.canConvertToInt()) {
                    throw new IllegalArgumentException("must each be between 1 and " + MAX_THRESHOLD_PERCENT + " %, got " + percent);
                }
                percents.add(percent.intValue());
            }
            if (percents.size() == value.size()) {
                return percents;
            }
        }
        throw new IllegalArgumentException("must be whole percentages such as [50,80,100], got " + JsonInput.show(value));
    }

    private static String quote(String text) {
        return "\"" + text + "\"";
    }

    /** Runs each field's check, turning its IllegalArgumentException into a problem that names the field. */
    private static final class Checks {

        private final Function<String, String> label;
        private final List<String> problems = new ArrayList<>();

        Checks(Function<String, String> label) {
            this.label = label;
        }

        <T> T check(String field, Supplier<T> value) {
            try {
                return value.get();
            } catch (IllegalArgumentException e) {
                problems.add(label.apply(field) + ": " + e.getMessage());
                return null;
            }
        }
    }
}
