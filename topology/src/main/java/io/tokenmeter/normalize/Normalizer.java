package io.tokenmeter.normalize;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.topics.DeadLetters;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * Turns one raw document into what it holds. Recognises the shape of the document, reads it with the matching
 * parser, and never throws: whatever cannot be read comes back as {@link Normalized.Rejected} with its reason.
 */
public final class Normalizer {

    private final DeploymentMap deployments;
    private final Attribution attribution;

    public Normalizer() {
        this(DeploymentMap.empty(), Attribution.defaults());
    }

    public Normalizer(DeploymentMap deployments, Attribution attribution) {
        this.deployments = deployments;
        this.attribution = attribution;
    }

    private final ObjectMapper json = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    public List<Normalized> normalize(byte[] raw) {
        if (raw == null || raw.length == 0) {
            return List.of(new Normalized.Rejected(DeadLetters.MALFORMED_JSON, "empty record: expected a JSON document"));
        }
        JsonNode doc;
        try {
            doc = json.readTree(raw);
        } catch (JsonProcessingException e) {
            return List.of(new Normalized.Rejected(DeadLetters.MALFORMED_JSON, "not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr())));
        } catch (IOException e) {
            return List.of(new Normalized.Rejected(DeadLetters.MALFORMED_JSON, "not JSON: " + e.getMessage()));
        }
        if (doc == null || !doc.isObject()) {
            return List.of(new Normalized.Rejected(DeadLetters.UNKNOWN_SHAPE,
                    "expected a JSON object, got " + (doc == null ? "nothing" : doc.getNodeType().name().toLowerCase(Locale.ROOT))));
        }
        try {
            if (JsonFields.absent(doc.get("kind")) && AzureDiagnostics.isEnvelope(doc)) {
                return AzureDiagnostics.read(doc, attribution);
            }
            return List.of(read(doc, raw));
        } catch (FieldException e) {
            return List.of(new Normalized.Rejected(DeadLetters.INVALID_FIELD, e.getMessage()));
        } catch (ShapeException e) {
            return List.of(new Normalized.Rejected(DeadLetters.UNKNOWN_SHAPE, e.getMessage()));
        } catch (RuntimeException e) {
            return List.of(new Normalized.Rejected(DeadLetters.PROCESSING, "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    private Normalized read(JsonNode doc, byte[] raw) {
        JsonNode kind = doc.get("kind");
        if (JsonFields.absent(kind) && ApimTokenEvents.matches(doc)) {
            return new Normalized.Usage(ApimTokenEvents.read(doc, raw, deployments, attribution));
        }
        if (JsonFields.absent(kind)) {
            throw new ShapeException("no \"kind\" field and no known Azure shape: expected \"kind\": \"usage\" or \"task-outcome\", "
                    + "an API Management token event (promptTokens with model or deploymentName), or a diagnostic-setting envelope {\"records\":[...]}");
        }
        return switch (kind.asText()) {
            case CanonicalJson.KIND_USAGE -> new Normalized.Usage(CanonicalJson.usage(doc, raw, deployments));
            case CanonicalJson.KIND_OUTCOME -> new Normalized.Outcome(CanonicalJson.outcome(doc));
            default -> throw new ShapeException("unknown kind \"" + JsonFields.abbreviate(kind.asText())
                    + "\": expected \"usage\" or \"task-outcome\"");
        };
    }

    /** The document is JSON but not of a shape tokenmeter knows. */
    private static final class ShapeException extends RuntimeException {
        ShapeException(String message) {
            super(message, null, false, false);
        }
    }
}
