package io.tokenmeter.normalize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.topics.DeadLetters;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Diagnostic-setting envelopes as Azure sends them to Event Hubs: {@code {"records":[...]}}. Each record of a category
 * tokenmeter reads (API Management {@code GatewayLogs} and {@code GatewayLlmLogs}) becomes an {@link ApimLog} for the
 * join by correlation id; {@code properties} may be an object or a JSON string, field-name case is ignored. Records
 * that cannot be read are reported together, as one rejection of the envelope with each record's reason.
 */
final class AzureDiagnostics {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEPLOYMENT_IN_URL = Pattern.compile("/deployments/([^/?#]+)");
    private static final int MAX_REPORTED = 3;

    private AzureDiagnostics() {
    }

    static boolean isEnvelope(JsonNode doc) {
        JsonNode records = ApimTokenEvents.lowerCased(doc).get("records");
        return records != null && records.isArray();
    }

    /** The API Management facts an attribution source may name, by the GatewayLogs field that holds them. */
    private static final Map<String, String> GATEWAY_FACTS = Map.of("subscription", "apimsubscriptionid", "product", "productid",
            "user", "userid", "api", "apiid", "backend", "backendid");

    static List<Normalized> read(JsonNode doc, Attribution attribution) {
        JsonNode records = ApimTokenEvents.lowerCased(doc).get("records");
        List<Normalized> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String reason = null;
        for (int i = 0; i < records.size(); i++) {
            try {
                out.add(record(records.get(i), attribution));
            } catch (FieldException e) {
                reason = reason == null ? DeadLetters.INVALID_FIELD : reason;
                problems.add("records[" + i + "]: " + e.getMessage());
            } catch (UnreadRecord e) {
                reason = reason == null ? DeadLetters.UNKNOWN_SHAPE : reason;
                problems.add("records[" + i + "]: " + e.getMessage());
            }
        }
        if (records.isEmpty()) {
            out.add(new Normalized.Rejected(DeadLetters.UNKNOWN_SHAPE, "a diagnostic-setting envelope with no records"));
        } else if (!problems.isEmpty()) {
            String shown = String.join("; ", problems.subList(0, Math.min(MAX_REPORTED, problems.size())));
            out.add(new Normalized.Rejected(reason, problems.size() + " of " + records.size() + " records not read (the others were): " + shown
                    + (problems.size() > MAX_REPORTED ? "; ..." : "")));
        }
        return out;
    }

    static Normalized record(JsonNode record, Attribution attribution) {
        if (!record.isObject()) {
            throw new UnreadRecord("a record must be a JSON object, got " + record.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        ObjectNode f = ApimTokenEvents.lowerCased(record);
        JsonNode properties = f.get("properties");
        if (properties != null && properties.isTextual()) {
            try {
                properties = JSON.readTree(properties.asText());
            } catch (JsonProcessingException e) {
                throw new FieldException("properties", "is a string but not JSON: " + e.getOriginalMessage());
            }
        }
        if (properties != null && properties.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = ApimTokenEvents.lowerCased(properties).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!f.has(field.getKey()) || field.getKey().equals("properties")) {
                    f.set(field.getKey(), field.getValue());
                }
            }
        }
        String category = JsonFields.text(f, "category");
        if (category == null) {
            String operation = JsonFields.text(f, "operationname");
            category = operation == null ? null : operation.substring(operation.lastIndexOf('/') + 1);
        }
        String normalized = category == null ? "" : category.toLowerCase(Locale.ROOT);
        return switch (normalized) {
            case "gatewaylogs" -> new Normalized.Apim(gateway(f, attribution));
            case "gatewayllmlogs" -> new Normalized.Apim(llm(f));
            case "requestresponse" -> openAiRequest(f);
            default -> throw new UnreadRecord((category == null ? "a record without category" : "category " + JsonFields.abbreviate(category))
                    + " is not read by tokenmeter (it reads API Management GatewayLogs and GatewayLlmLogs, Azure OpenAI RequestResponse)");
        };
    }

    private static ApimLog gateway(ObjectNode f, Attribution attribution) {
        String url = JsonFields.text(f, "url");
        Integer status = JsonFields.optionalInt(f, "responsecode", 0, 999);
        if (status == null || status == 0) {
            Integer backend = JsonFields.optionalInt(f, "backendresponsecode", 0, 999);
            status = backend == null || backend == 0 ? 200 : backend;
        }
        JsonNode body = body(f.get("backendresponsebody"));
        UsageObjects.Tokens tokens = body != null && body.has("usage") && body.get("usage").isObject()
                ? UsageObjects.read(body.get("usage"), "backendResponseBody.usage") : null;
        String bodyModel = body != null && body.has("model") && body.get("model").isTextual() ? body.get("model").asText() : null;
        String deployment = null;
        if (url != null) {
            Matcher m = DEPLOYMENT_IN_URL.matcher(url);
            deployment = m.find() ? m.group(1) : null;
        }
        return new ApimLog(true, JsonFields.requiredText(f, "correlationid"), JsonFields.timestamp(f, "time").toEpochMilli(),
                attribution.read(f, GATEWAY_FACTS), status, JsonFields.optionalCount(f, "durationms"), url,
                bodyModel, deployment, JsonFields.text(f, "location"), 0, tokens != null,
                tokens == null ? 0 : tokens.input(), tokens == null ? 0 : tokens.cached(), tokens == null ? 0 : tokens.output(),
                tokens == null ? 0 : tokens.reasoning());
    }

    private static Normalized openAiRequest(ObjectNode f) {
        Integer status = JsonFields.optionalInt(f, "resultsignature", 100, 599);
        return new Normalized.OpenAiRequest(JsonFields.textOr(f, "modeldeploymentname", "unknown"), JsonFields.textOr(f, "modelname", "unknown"),
                status == null ? 200 : status);
    }

    private static ApimLog llm(ObjectNode f) {
        String timeField = f.has("time") ? "time" : "timegenerated";
        Integer sequence = JsonFields.optionalInt(f, "sequencenumber", 0, Integer.MAX_VALUE);
        return new ApimLog(false, JsonFields.requiredText(f, "correlationid"), JsonFields.timestamp(f, timeField).toEpochMilli(),
                Attribution.Attributes.NONE, 200, null, null, JsonFields.text(f, "modelname"), JsonFields.text(f, "deploymentname"),
                JsonFields.text(f, "region"), sequence == null ? 0 : sequence, true, JsonFields.count(f, "prompttokens"), 0,
                JsonFields.count(f, "completiontokens"), 0);
    }

    /** The backend's response body when it is (still) JSON: gateways log it truncated, so unreadable is not an error. */
    private static JsonNode body(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isObject()) {
            return node;
        }
        if (node.isTextual()) {
            try {
                JsonNode parsed = JSON.readTree(node.asText());
                return parsed != null && parsed.isObject() ? parsed : null;
            } catch (JsonProcessingException truncated) {
                return null;
            }
        }
        return null;
    }

    /** A record of a shape or category tokenmeter does not read. */
    static final class UnreadRecord extends RuntimeException {
        UnreadRecord(String message) {
            super(message, null, false, false);
        }
    }
}
