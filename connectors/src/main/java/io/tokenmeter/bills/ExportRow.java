package io.tokenmeter.bills;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One row of {@code billing export}: values by column, null where FOCUS allows it. Strings and JSON are {@link String},
 * money and quantities {@link BigDecimal}, date-times {@link Instant}.
 */
public record ExportRow(Map<ExportColumn, Object> values) {

    public ExportRow {
        values = Collections.unmodifiableMap(new EnumMap<>(values));
    }

    public Object get(ExportColumn column) {
        return values.get(column);
    }

    public BigDecimal decimal(ExportColumn column) {
        return (BigDecimal) values.get(column);
    }

    /** The value as the CSV writes it: decimals plain without trailing zeros, date-times ISO 8601 UTC; null when absent. */
    public String text(ExportColumn column) {
        Object value = values.get(column);
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.signum() == 0 ? "0" : decimal.stripTrailingZeros().toPlainString();
        }
        return value.toString(); // Instant.toString is ISO 8601 with Z: 2026-11-02T00:00:00Z
    }
}
