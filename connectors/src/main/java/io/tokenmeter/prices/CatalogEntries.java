package io.tokenmeter.prices;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.PriceEntry;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** Reads one entry of a tokenmeter catalog, collecting every field problem instead of stopping at the first. */
final class CatalogEntries {

    /** The entry, or null with the reasons it could not be read. */
    record Parsed(PriceEntry entry, List<String> errors) {
    }

    // "notes" is accepted so a catalog can say why a price is what it is; any other unknown name is refused, because a
    // misspelt optional price (cachedInputPerMilion) would otherwise be dropped silently and bill at the wrong rate.
    private static final Set<String> FIELDS = Set.of("model", "version", "deploymentType", "region", "currency",
            "inputPerMillion", "cachedInputPerMillion", "outputPerMillion", "reasoningPerMillion", "effectiveFrom",
            "source", "notes");

    private final JsonNode node;
    private final List<String> errors = new ArrayList<>();

    private CatalogEntries(JsonNode node) {
        this.node = node;
    }

    /** @param defaultSource the entry's source when it names none; may be null */
    static Parsed parse(JsonNode node, String defaultSource) {
        if (node == null || !node.isObject()) {
            return new Parsed(null, List.of("must be a JSON object, got " + (node == null ? "nothing" : JsonInput.show(node))));
        }
        return new CatalogEntries(node).read(defaultSource);
    }

    private Parsed read(String defaultSource) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add("field '" + name + "': unknown field");
            }
        }
        String model = keyPart("model", text("model", true));
        String version = keyPart("version", text("version", false));
        String deploymentType = deploymentType();
        String region = region();
        String currency = currency();
        Long input = amount("inputPerMillion", true);
        Long cachedInput = amount("cachedInputPerMillion", false);
        Long output = amount("outputPerMillion", true);
        Long reasoning = amount("reasoningPerMillion", false);
        Instant effectiveFrom = effectiveFrom();
        String source = text("source", false);
        if (!errors.isEmpty()) {
            return new Parsed(null, List.copyOf(errors));
        }
        PriceEntry entry = PriceEntry.newBuilder()
                .setModel(model)
                .setVersion(version == null || version.equals("*") ? null : version)
                .setDeploymentType(deploymentType)
                .setRegion(region)
                .setCurrency(currency)
                .setInputPerMillionNanos(input)
                .setCachedInputPerMillionNanos(cachedInput)
                .setOutputPerMillionNanos(output)
                .setReasoningPerMillionNanos(reasoning)
                .setEffectiveFrom(effectiveFrom)
                .setSource(source == null ? defaultSource : source)
                .build();
        return new Parsed(entry, List.of());
    }

    /** A stripped non-blank string; missing, null and blank are the same absence. */
    private String text(String field, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
            if (required) {
                errors.add("field '" + field + "': is required");
            }
            return null;
        }
        if (!value.isTextual()) {
            errors.add("field '" + field + "': must be a string, got " + JsonInput.show(value));
            return null;
        }
        return value.asText().strip();
    }

    /** The record key joins its parts with '|', so a part containing one would make two scopes share a key. */
    private String keyPart(String field, String value) {
        if (value != null && value.contains("|")) {
            errors.add("field '" + field + "': must not contain '|', got \"" + value + "\"");
            return null;
        }
        return value;
    }

    private String deploymentType() {
        String name = text("deploymentType", true);
        if (name == null) {
            return null;
        }
        return PriceValues.deploymentType(name).orElseGet(() -> {
            errors.add("field 'deploymentType': must be one of " + PriceValues.DEPLOYMENT_TYPES + ", got \"" + name + "\"");
            return null;
        });
    }

    private String region() {
        String name = text("region", false);
        if (name == null) {
            return PriceValues.ANY_REGION;
        }
        String region = PriceValues.region(name);
        if (!PriceValues.isRegion(region)) {
            errors.add("field 'region': must be an Azure region such as eastus2, or '*' for any, got \"" + name + "\"");
        }
        return region;
    }

    private String currency() {
        String code = text("currency", false);
        if (code == null) {
            return "USD";
        }
        if (!PriceValues.isCurrency(code)) {
            errors.add("field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"" + code + "\"");
        }
        return code;
    }

    /** Nanos of a decimal amount given as a string or a JSON number, both read exactly. */
    private Long amount(String field, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add("field '" + field + "': is required");
            }
            return null;
        }
        BigDecimal amount = JsonInput.decimal(value).orElse(null);
        if (amount == null) {
            errors.add("field '" + field + "': must be a decimal amount, got " + JsonInput.show(value));
            return null;
        }
        if (amount.signum() < 0) {
            errors.add("field '" + field + "': must not be negative, got " + amount.toPlainString());
            return null;
        }
        try {
            return PriceValues.nanos(amount);
        } catch (ArithmeticException e) {
            errors.add("field '" + field + "': is too large, got " + amount.toPlainString());
            return null;
        }
    }

    private Instant effectiveFrom() {
        JsonNode value = node.get("effectiveFrom");
        String text = text("effectiveFrom", true);
        if (text == null) {
            return null;
        }
        try {
            return PriceValues.instant(text);
        } catch (DateTimeParseException e) {
            errors.add("field 'effectiveFrom': must be an ISO-8601 instant such as 2025-01-01T00:00:00Z"
                    + " or a date such as 2025-01-01, got " + JsonInput.show(value));
        } catch (DateTimeException e) {
            errors.add("field 'effectiveFrom': must not be more precise than milliseconds, got " + JsonInput.show(value));
        }
        return null;
    }
}
