package io.tokenmeter.prices;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The value rules shared by every price source, and by budgets: money to nanos, deployment types, regions,
 * currencies, instants.
 */
public final class PriceValues {

    static final String ANY_REGION = "*";
    static final String DEPLOYMENT_TYPES = "global, datazone, regional, provisioned, batch";

    private static final Map<String, String> DEPLOYMENT_ALIASES = Map.ofEntries(
            Map.entry("global", "global"), Map.entry("globalstandard", "global"),
            Map.entry("datazone", "datazone"), Map.entry("datazonestandard", "datazone"),
            Map.entry("regional", "regional"), Map.entry("standard", "regional"),
            Map.entry("provisioned", "provisioned"), Map.entry("provisionedmanaged", "provisioned"),
            Map.entry("globalprovisionedmanaged", "provisioned"), Map.entry("datazoneprovisionedmanaged", "provisioned"),
            Map.entry("batch", "batch"), Map.entry("globalbatch", "batch"), Map.entry("datazonebatch", "batch"));
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final Pattern REGION = Pattern.compile("[a-z0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)");
    /** Money is kept in nano-units of its currency: 1 USD is 1,000,000,000. */
    public static final int NANOS_PER_UNIT_DIGITS = 9;

    private PriceValues() {
    }

    /** Nano-units of an exact amount: the one place money is rounded (HALF_EVEN). Throws ArithmeticException past a long. */
    public static long nanos(BigDecimal amount) {
        return amount.movePointRight(NANOS_PER_UNIT_DIGITS).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
    }

    /** The canonical deployment type of a tokenmeter or Azure name (GlobalStandard is global), or empty if unknown. */
    static Optional<String> deploymentType(String name) {
        String key = name.strip().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(" ", "");
        return Optional.ofNullable(DEPLOYMENT_ALIASES.get(key));
    }

    /** Regions as ARM writes them ("East US 2" is eastus2); '*' stays the wildcard. */
    static String region(String name) {
        return name.strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", "");
    }

    static boolean isRegion(String canonical) {
        return ANY_REGION.equals(canonical) || REGION.matcher(canonical).matches();
    }

    /** Plain decimal notation, such as 1000, 12.50 or -0.5 (no exponent, no grouping), read exactly; empty otherwise. */
    public static Optional<BigDecimal> decimal(String text) {
        String value = text.strip();
        return DECIMAL.matcher(value).matches() ? Optional.of(new BigDecimal(value)) : Optional.empty();
    }

    /** An ISO 4217 code: three upper-case letters. */
    public static boolean isCurrency(String code) {
        return CURRENCY.matcher(code).matches();
    }

    /**
     * An ISO-8601 instant with an offset, a local date-time taken as UTC, or a plain date as midnight UTC. Precision
     * beyond milliseconds is refused because PriceEntry keeps milliseconds, and a silently truncated start would
     * change the record key.
     */
    static Instant instant(String text) {
        Instant instant = isoInstant(text);
        if (instant.getNano() % 1_000_000 != 0) {
            throw new DateTimeException("more precise than milliseconds");
        }
        return instant;
    }

    /**
     * An ISO-8601 instant with an offset, a local date-time taken as UTC, or a plain date as midnight UTC, at the
     * precision written. Throws DateTimeParseException otherwise.
     */
    public static Instant isoInstant(String text) {
        String value = text.strip();
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notLocal) {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
        }
    }
}
