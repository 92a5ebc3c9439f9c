package io.tokenmeter.normalize;

import static io.tokenmeter.normalize.JsonFields.UNATTRIBUTED;
import static io.tokenmeter.normalize.JsonFields.count;
import static io.tokenmeter.normalize.JsonFields.optionalCount;
import static io.tokenmeter.normalize.JsonFields.optionalInt;
import static io.tokenmeter.normalize.JsonFields.optionalNanos;
import static io.tokenmeter.normalize.JsonFields.requiredText;
import static io.tokenmeter.normalize.JsonFields.text;
import static io.tokenmeter.normalize.JsonFields.textOr;
import static io.tokenmeter.normalize.JsonFields.timestamp;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The canonical JSON contract: {@code {"kind":"usage",...}} and {@code {"kind":"task-outcome",...}} with the fields
 * of the UsageEvent and TaskOutcome contracts. Missing attribution becomes 'unattributed'; missing token counts are 0.
 */
final class CanonicalJson {

    static final String KIND_USAGE = "usage";
    static final String KIND_OUTCOME = "task-outcome";

    private CanonicalJson() {
    }

    /** Reads a usage document; {@code raw} is the document's bytes, hashed into an eventId when it has none. */
    static UsageEvent usage(JsonNode doc, byte[] raw, DeploymentMap deployments) {
        String eventId = text(doc, "eventId");
        long input = count(doc, "inputTokens");
        long cached = count(doc, "cachedInputTokens");
        long output = count(doc, "outputTokens");
        long reasoning = count(doc, "reasoningTokens");
        JsonNode usageObject = doc.get("usage");
        if (!JsonFields.absent(usageObject)) {
            // an application may pass on the API's own usage object instead of the token fields
            if (input + cached + output + reasoning > 0) {
                throw new FieldException("usage", "give either the token fields (inputTokens...) or the API's usage object, not both");
            }
            UsageObjects.Tokens tokens = UsageObjects.read(usageObject, "usage");
            input = tokens.input();
            cached = tokens.cached();
            output = tokens.output();
            reasoning = tokens.reasoning();
        }
        if (cached > input) {
            throw new FieldException("cachedInputTokens", cached + " is more than inputTokens " + input + " (cached tokens are part of the input)");
        }
        if (reasoning > output) {
            throw new FieldException("reasoningTokens", reasoning + " is more than outputTokens " + output + " (reasoning tokens are part of the output)");
        }
        Integer status = optionalInt(doc, "statusCode", 100, 599);
        Integer retry = optionalInt(doc, "retryAttempt", 0, Integer.MAX_VALUE);
        Integer tools = optionalInt(doc, "toolCalls", 0, Integer.MAX_VALUE);
        return UsageEvent.newBuilder()
                .setEventId(eventId == null ? derivedId(raw) : eventId)
                .setTimestamp(timestamp(doc, "timestamp"))
                .setTenant(textOr(doc, "tenant", UNATTRIBUTED))
                .setApplication(textOr(doc, "application", UNATTRIBUTED))
                .setUseCase(textOr(doc, "useCase", UNATTRIBUTED))
                .setCostCenter(textOr(doc, "costCenter", UNATTRIBUTED))
                .setEnvironment(textOr(doc, "environment", UNATTRIBUTED))
                .setAgent(textOr(doc, "agent", UNATTRIBUTED))
                .setTaskId(text(doc, "taskId"))
                .setAgentStep(optionalInt(doc, "agentStep", 0, Integer.MAX_VALUE))
                .setRetryAttempt(retry == null ? 0 : retry)
                .setToolCalls(tools == null ? 0 : tools)
                .setProvider(textOr(doc, "provider", "azure-openai"))
                .setModel(requiredText(doc, "model"))
                .setModelVersion(text(doc, "modelVersion"))
                .setDeployment(textOr(doc, "deployment", "unknown"))
                .setDeploymentType(AzureNames.deploymentType(text(doc, "deploymentType")))
                .setRegion(AzureNames.region(text(doc, "region")))
                .setResourceId(text(doc, "resourceId") != null ? text(doc, "resourceId") : deployments.placement(text(doc, "deployment"), null).resourceId())
                .setInputTokens(input)
                .setCachedInputTokens(cached)
                .setOutputTokens(output)
                .setReasoningTokens(reasoning)
                .setStatusCode(status == null ? 200 : status)
                .setLatencyMs(optionalCount(doc, "latencyMs"))
                .setPromptHash(text(doc, "promptHash"))
                .setSource(textOr(doc, "source", "canonical"))
                .build();
    }

    static TaskOutcome outcome(JsonNode doc) {
        String statusText = requiredText(doc, "status").toUpperCase(Locale.ROOT);
        OutcomeStatus status;
        try {
            status = OutcomeStatus.valueOf(statusText);
        } catch (IllegalArgumentException e) {
            throw new FieldException("status", "must be SUCCEEDED or FAILED, got \"" + JsonFields.abbreviate(statusText) + "\"");
        }
        String currency = textOr(doc, "currency", "USD").toUpperCase(Locale.ROOT);
        if (!currency.matches("[A-Z]{3}")) {
            throw new FieldException("currency", "must be an ISO 4217 code such as USD, got \"" + JsonFields.abbreviate(currency) + "\"");
        }
        return TaskOutcome.newBuilder()
                .setTaskId(requiredText(doc, "taskId"))
                .setTimestamp(timestamp(doc, "timestamp"))
                .setTenant(textOr(doc, "tenant", UNATTRIBUTED))
                .setUseCase(textOr(doc, "useCase", UNATTRIBUTED))
                .setStatus(status)
                .setBusinessValueNanos(optionalNanos(doc, "businessValue"))
                .setCurrency(currency)
                .build();
    }

    /** A stable id for a document without one, so the same document sent twice is still counted once. */
    static String derivedId(byte[] raw) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(raw);
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

}
