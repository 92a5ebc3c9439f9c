package io.tokenmeter.normalize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.event.UsageEvent;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * Token events that API Management policies send with {@code log-to-eventhub}, in the shape of the widely used
 * AI gateway accelerator: {@code id}, {@code timestamp}, {@code subscriptionId}, {@code productName}, {@code model},
 * {@code deploymentName}, {@code promptTokens}, {@code responseTokens}, {@code totalTokens}... Field-name case is
 * ignored, numbers may be strings, {@code "NA"} means absent, and the timestamp may be .NET's
 * {@code DateTime.UtcNow.ToString()} ({@code 5/6/2024 4:51:09 AM}), read as UTC. Attribution as configured
 * ({@link Attribution}): by default the tenant is the APIM subscription, the application the APIM product, and the
 * agent, task, use case, cost center and environment come from headers or custom dimensions the policy logged.
 */
final class ApimTokenEvents {

    static final String SOURCE = "apim-eventhub";
    private static final DateTimeFormatter US_12H = DateTimeFormatter.ofPattern("M/d/yyyy h:mm:ss a", Locale.US);
    private static final DateTimeFormatter US_24H = DateTimeFormatter.ofPattern("M/d/yyyy H:mm:ss", Locale.US);

    /** The API Management facts an attribution source may name, by the token event field that holds them. */
    private static final Map<String, String> FACTS = Map.of("subscription", "subscriptionid", "product", "productname",
            "user", "enduserid", "api", "operationname", "backend", "backendid");

    private ApimTokenEvents() {
    }

    /** Whether a document (without "kind") is such a token event: it has prompt tokens and a model or deployment. */
    static boolean matches(JsonNode doc) {
        ObjectNode fields = lowerCased(doc);
        return fields.has("prompttokens") && (fields.has("model") || fields.has("deploymentname"));
    }

    static UsageEvent read(JsonNode doc, byte[] raw, DeploymentMap deployments, Attribution attribution) {
        try {
            return read(lowerCased(doc), raw, deployments, attribution);
        } catch (FieldException e) {
            throw new FieldException(originalName(doc, e.field()), e.problem()); // name the field as the sender wrote it
        }
    }

    private static String originalName(JsonNode doc, String lowerCase) {
        for (Iterator<String> names = doc.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.toLowerCase(Locale.ROOT).equals(lowerCase)) {
                return name;
            }
        }
        return lowerCase;
    }

    private static UsageEvent read(ObjectNode f, byte[] raw, DeploymentMap deployments, Attribution attribution) {
        long input = JsonFields.count(f, "prompttokens");
        long output = f.has("responsetokens") ? JsonFields.count(f, "responsetokens") : JsonFields.count(f, "completiontokens");
        Long total = JsonFields.optionalCount(f, "totaltokens");
        if (total != null && total != input + output) {
            throw new FieldException("totalTokens", total + " is not promptTokens " + input + " + responseTokens " + output);
        }
        String id = JsonFields.text(f, "id");
        String deployment = JsonFields.textOr(f, "deploymentname", "unknown");
        DeploymentMap.Placement placement = deployments.placement(deployment, null); // gatewayRegion is the gateway's, not the model's
        UsageEvent.Builder event = UsageEvent.newBuilder()
                .setEventId(id == null ? CanonicalJson.derivedId(raw) : SOURCE + ":" + id)
                .setTimestamp(timestamp(f));
        return attribution.read(f, FACTS).applyTo(event)
                .setModel(JsonFields.textOr(f, "model", deployment))
                .setDeployment(deployment)
                .setDeploymentType(placement.deploymentType())
                .setRegion(placement.region())
                .setResourceId(placement.resourceId())
                .setInputTokens(input)
                .setOutputTokens(output)
                .setStatusCode(200) // the accelerator logs successful, non-streaming responses
                .setSource(SOURCE)
                .build();
    }

    /** ISO-8601 or epoch millis as everywhere, else .NET's US-format UTC time. */
    static Instant timestamp(JsonNode fields) {
        try {
            return JsonFields.timestamp(fields, "timestamp");
        } catch (FieldException notIso) {
            String text = JsonFields.text(fields, "timestamp");
            if (text != null) {
                for (DateTimeFormatter format : new DateTimeFormatter[] {US_12H, US_24H}) {
                    try {
                        return LocalDateTime.parse(text, format).toInstant(ZoneOffset.UTC);
                    } catch (DateTimeParseException ignored) {
                        // try the next format
                    }
                }
            }
            throw new FieldException("timestamp", "cannot read \"" + JsonFields.abbreviate(String.valueOf(text))
                    + "\" as ISO-8601, epoch milliseconds or M/d/yyyy h:mm:ss AM (UTC)");
        }
    }

    /** The top-level fields with lower-case names; "NA" and blank values are left out (they mean absent). */
    static ObjectNode lowerCased(JsonNode doc) {
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            if (value.isTextual() && (value.asText().isBlank() || value.asText().strip().equalsIgnoreCase("NA"))) {
                continue;
            }
            fields.set(field.getKey().toLowerCase(Locale.ROOT), value);
        }
        return fields;
    }
}
