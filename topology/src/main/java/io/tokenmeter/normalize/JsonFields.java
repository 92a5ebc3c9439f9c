package io.tokenmeter.normalize;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Typed, validated reads of JSON fields; every problem becomes a {@link FieldException} naming the field. */
final class JsonFields {

    static final String UNATTRIBUTED = "unattributed";
    /** The longest text field (names, ids, hashes) a document may carry. */
    static final int MAX_TEXT = 1024;
    /** Earlier timestamps are almost always epoch seconds sent where milliseconds were expected. */
    private static final long EARLIEST_PLAUSIBLE_MS = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();

    private JsonFields() {
    }

    static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    static String text(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (absent(node)) {
            return null;
        }
        if (!node.isValueNode()) {
            throw new FieldException(field, "must be a string, got " + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        String value = node.asText().strip();
        if (value.length() > MAX_TEXT) {
            // names and ids become record keys, store keys and metric labels: a megabyte "tenant" is an error, not a tenant
            throw new FieldException(field, "is " + value.length() + " characters long, more than " + MAX_TEXT + ": \"" + abbreviate(value) + "\"");
        }
        return value.isEmpty() ? null : value;
    }

    static String textOr(JsonNode object, String field, String fallback) {
        String value = text(object, field);
        return value == null ? fallback : value;
    }

    static String requiredText(JsonNode object, String field) {
        String value = text(object, field);
        if (value == null) {
            throw new FieldException(field, "missing");
        }
        return value;
    }

    /** A count that must be a whole number, not negative; missing means 0. Numeric strings are accepted. */
    static long count(JsonNode object, String field) {
        Long value = optionalCount(object, field);
        return value == null ? 0L : value;
    }

    static Long optionalCount(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (absent(node)) {
            return null;
        }
        long value = wholeNumber(node, field);
        if (value < 0) {
            throw new FieldException(field, "must not be negative, got " + value);
        }
        return value;
    }

    static long wholeNumber(JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            BigDecimal decimal = node.decimalValue();
            if (decimal.stripTrailingZeros().scale() <= 0) {
                try {
                    return decimal.longValueExact();
                } catch (ArithmeticException e) {
                    throw new FieldException(field, "is too large: " + abbreviate(decimal.toPlainString()));
                }
            }
            throw new FieldException(field, "must be a whole number, got " + node.asText());
        }
        if (node.isTextual()) {
            String text = node.asText().strip();
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new FieldException(field, "must be a whole number, got \"" + abbreviate(text) + "\"");
            }
        }
        throw new FieldException(field, "must be a whole number, got " + node.getNodeType().name().toLowerCase(Locale.ROOT));
    }

    static Integer optionalInt(JsonNode object, String field, int min, int max) {
        Long value = optionalCount(object, field);
        if (value == null) {
            return null;
        }
        if (value < min || value > max) {
            throw new FieldException(field, "must be between " + min + " and " + max + ", got " + value);
        }
        return value.intValue();
    }

    /** ISO-8601 (with offset, or without one as UTC) or epoch milliseconds, as a number or a string of digits. */
    static Instant timestamp(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (absent(node)) {
            throw new FieldException(field, "missing (ISO-8601 such as 2025-01-31T12:00:00Z, or epoch milliseconds)");
        }
        long epochMs;
        if (node.isNumber() || (node.isTextual() && node.asText().strip().matches("\\d+"))) {
            epochMs = wholeNumber(node, field);
        } else if (node.isTextual()) {
            epochMs = parseIso(node.asText().strip(), field).toEpochMilli();
        } else {
            throw new FieldException(field, "must be ISO-8601 text or epoch milliseconds");
        }
        if (epochMs < EARLIEST_PLAUSIBLE_MS) {
            throw new FieldException(field, epochMs + " is before the year 2000: epoch seconds? use milliseconds or ISO-8601");
        }
        return Instant.ofEpochMilli(epochMs);
    }

    static Instant parseIso(String text, String field) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException withoutOffset) {
            try {
                return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                throw new FieldException(field, "cannot read \"" + abbreviate(text) + "\" as ISO-8601 (e.g. 2025-01-31T12:00:00Z) or epoch milliseconds");
            }
        }
    }

    /** A non-negative decimal amount of currency, as whole nanos rounded half-even. */
    static Long optionalNanos(JsonNode object, String field) {
        JsonNode node = object.get(field);
        if (absent(node)) {
            return null;
        }
        BigDecimal amount;
        try {
            amount = node.isNumber() ? node.decimalValue() : new BigDecimal(node.asText().strip());
        } catch (NumberFormatException e) {
            throw new FieldException(field, "must be a decimal amount, got \"" + abbreviate(node.asText()) + "\"");
        }
        if (amount.signum() < 0) {
            throw new FieldException(field, "must not be negative, got " + amount.toPlainString());
        }
        try {
            return amount.movePointRight(9).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        } catch (ArithmeticException e) {
            throw new FieldException(field, "is too large: " + amount.toPlainString());
        }
    }

    static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }
}
