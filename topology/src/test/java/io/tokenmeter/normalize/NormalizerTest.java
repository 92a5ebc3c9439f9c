package io.tokenmeter.normalize;

import static io.tokenmeter.normalize.Normalizing.normalize;
import static io.tokenmeter.normalize.Normalizing.rejected;
import static io.tokenmeter.normalize.Normalizing.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.topics.DeadLetters;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NormalizerTest {

    @Test
    void readsEveryFieldOfACanonicalUsageEvent() {
        UsageEvent event = usage("""
                {"kind":"usage","eventId":"e-1","timestamp":"2025-03-01T10:15:30.123Z","tenant":"contoso","application":"support-copilot",
                 "useCase":"ticket-triage","costCenter":"cc-support","environment":"prod","agent":"triage-agent","taskId":"task-9",
                 "agentStep":2,"retryAttempt":1,"toolCalls":3,"provider":"azure-openai","model":"gpt-4o","modelVersion":"2024-11-20",
                 "deployment":"gpt-4o-global","deploymentType":"GlobalStandard","region":"East US 2","inputTokens":1200,
                 "cachedInputTokens":400,"outputTokens":300,"reasoningTokens":100,"statusCode":429,"latencyMs":850,
                 "promptHash":"ab12","source":"sdk"}""");

        assertThat(event.getEventId()).isEqualTo("e-1");
        assertThat(event.getTimestamp()).isEqualTo(Instant.parse("2025-03-01T10:15:30.123Z"));
        assertThat(event.getTenant()).isEqualTo("contoso");
        assertThat(event.getApplication()).isEqualTo("support-copilot");
        assertThat(event.getUseCase()).isEqualTo("ticket-triage");
        assertThat(event.getCostCenter()).isEqualTo("cc-support");
        assertThat(event.getEnvironment()).isEqualTo("prod");
        assertThat(event.getAgent()).isEqualTo("triage-agent");
        assertThat(event.getTaskId()).isEqualTo("task-9");
        assertThat(event.getAgentStep()).isEqualTo(2);
        assertThat(event.getRetryAttempt()).isEqualTo(1);
        assertThat(event.getToolCalls()).isEqualTo(3);
        assertThat(event.getModel()).isEqualTo("gpt-4o");
        assertThat(event.getModelVersion()).isEqualTo("2024-11-20");
        assertThat(event.getDeployment()).isEqualTo("gpt-4o-global");
        assertThat(event.getDeploymentType()).isEqualTo("global");
        assertThat(event.getRegion()).isEqualTo("eastus2");
        assertThat(event.getInputTokens()).isEqualTo(1200);
        assertThat(event.getCachedInputTokens()).isEqualTo(400);
        assertThat(event.getOutputTokens()).isEqualTo(300);
        assertThat(event.getReasoningTokens()).isEqualTo(100);
        assertThat(event.getStatusCode()).isEqualTo(429);
        assertThat(event.getLatencyMs()).isEqualTo(850L);
        assertThat(event.getPromptHash()).isEqualTo("ab12");
        assertThat(event.getSource()).isEqualTo("sdk");
    }

    @Test
    void missingAttributionIsUnattributedAndMissingTokensAreZero() {
        UsageEvent event = usage("{\"kind\":\"usage\",\"eventId\":\"e\",\"timestamp\":1735689600000,\"model\":\"gpt-4o\"}");

        assertThat(List.of(event.getTenant(), event.getApplication(), event.getUseCase(), event.getCostCenter(),
                event.getEnvironment(), event.getAgent())).containsOnly("unattributed");
        assertThat(List.of(event.getInputTokens(), event.getCachedInputTokens(), event.getOutputTokens(), event.getReasoningTokens()))
                .containsOnly(0L);
        assertThat(event.getTaskId()).isNull();
        assertThat(event.getStatusCode()).isEqualTo(200);
        assertThat(event.getDeploymentType()).isEqualTo("global");
        assertThat(event.getDeployment()).isEqualTo("unknown");
        assertThat(event.getRegion()).isEqualTo("unknown");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"2025-01-01T00:00:00Z\"          | 2025-01-01T00:00:00Z",
            "\"2025-01-01T01:00:00+01:00\"     | 2025-01-01T00:00:00Z",
            "\"2025-01-01T00:00:00.1234567Z\"  | 2025-01-01T00:00:00.123Z",
            "\"2025-01-01T00:00:00\"           | 2025-01-01T00:00:00Z",
            "1735689600000                     | 2025-01-01T00:00:00Z",
            "\"1735689600000\"                 | 2025-01-01T00:00:00Z"})
    void acceptsIsoAndEpochMillisTimestamps(String json, String expected) {
        UsageEvent event = usage("{\"kind\":\"usage\",\"eventId\":\"e\",\"model\":\"m\",\"timestamp\":" + json + "}");
        assertThat(event.getTimestamp()).isEqualTo(Instant.parse(expected));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"inputTokens\":-5                         | field 'inputTokens': must not be negative, got -5",
            "\"outputTokens\":\"many\"                  | field 'outputTokens': must be a whole number, got \"many\"",
            "\"outputTokens\":2.5                       | field 'outputTokens': must be a whole number, got 2.5",
            "\"reasoningTokens\":{}                     | field 'reasoningTokens': must be a whole number",
            "\"inputTokens\":10,\"cachedInputTokens\":20 | field 'cachedInputTokens': 20 is more than inputTokens 10",
            "\"outputTokens\":10,\"reasoningTokens\":11  | field 'reasoningTokens': 11 is more than outputTokens 10",
            "\"statusCode\":999                         | field 'statusCode': must be between 100 and 599",
            "\"tenant\":{\"id\":1}                      | field 'tenant': must be a string, got object"})
    void rejectsInvalidFieldsNamingFieldAndValue(String field, String message) {
        Normalized.Rejected rejected = rejected("{\"kind\":\"usage\",\"eventId\":\"e\",\"model\":\"m\",\"timestamp\":1735689600000," + field + "}");
        assertThat(rejected.reason()).isEqualTo(DeadLetters.INVALID_FIELD);
        assertThat(rejected.detail()).startsWith(message);
    }

    @Test
    void acceptsTokenCountsSentAsNumericStrings() {
        UsageEvent event = usage("{\"kind\":\"usage\",\"eventId\":\"e\",\"model\":\"m\",\"timestamp\":1735689600000,\"inputTokens\":\"25\",\"outputTokens\":7.0}");
        assertThat(event.getInputTokens()).isEqualTo(25);
        assertThat(event.getOutputTokens()).isEqualTo(7);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"kind\":\"usage\",\"eventId\":\"e\",\"model\":\"m\"}                        | field 'timestamp': missing",
            "{\"kind\":\"usage\",\"eventId\":\"e\",\"timestamp\":1735689600000}            | field 'model': missing",
            "{\"kind\":\"usage\",\"model\":\"m\",\"timestamp\":1735689600}                 | before the year 2000: epoch seconds?",
            "{\"kind\":\"usage\",\"model\":\"m\",\"timestamp\":\"yesterday\"}              | cannot read \"yesterday\" as ISO-8601"})
    void rejectsMissingOrUnreadableRequiredFields(String json, String message) {
        Normalized.Rejected rejected = rejected(json);
        assertThat(rejected.reason()).isEqualTo(DeadLetters.INVALID_FIELD);
        assertThat(rejected.detail()).contains(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"kind\":\"usage\",                    | malformed-json | not JSON",
            "not json at all                         | malformed-json | not JSON",
            "{\"a\":1} {\"b\":2}                     | malformed-json | not JSON",
            "[1,2,3]                                 | unknown-shape  | expected a JSON object, got array",
            "{\"tenant\":\"x\"}                      | unknown-shape  | no \"kind\" field",
            "{\"kind\":\"invoice\"}                  | unknown-shape  | unknown kind \"invoice\""})
    void rejectsDocumentsItCannotReadWithTheirReason(String text, String reason, String message) {
        Normalized.Rejected rejected = rejected(text);
        assertThat(rejected.reason()).isEqualTo(reason);
        assertThat(rejected.detail()).contains(message);
    }

    @Test
    void anEmptyRecordIsMalformed() {
        assertThat(new Normalizer().normalize(new byte[0])).singleElement()
                .isEqualTo(new Normalized.Rejected(DeadLetters.MALFORMED_JSON, "empty record: expected a JSON document"));
    }

    @Test
    void aDocumentWithoutEventIdGetsAStableIdFromItsBytes() {
        String json = "{\"kind\":\"usage\",\"model\":\"m\",\"timestamp\":1735689600000,\"inputTokens\":5}";
        String first = usage(json).getEventId();
        assertThat(first).startsWith("sha256:").isEqualTo(usage(json).getEventId());
        assertThat(usage(json.replace("5}", "6}")).getEventId()).isNotEqualTo(first);
    }

    @Test
    void readsATaskOutcomeWithBusinessValueInNanos() {
        List<Normalized> result = normalize("""
                {"kind":"task-outcome","taskId":"task-9","timestamp":"2025-03-01T10:20:00Z","tenant":"contoso",
                 "useCase":"ticket-triage","status":"succeeded","businessValue":"0.125"}""");

        TaskOutcome outcome = ((Normalized.Outcome) result.get(0)).outcome();
        assertThat(outcome.getTaskId()).isEqualTo("task-9");
        assertThat(outcome.getStatus()).isEqualTo(OutcomeStatus.SUCCEEDED);
        assertThat(outcome.getBusinessValueNanos()).isEqualTo(125_000_000L);
        assertThat(outcome.getCurrency()).isEqualTo("USD");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"status\":\"DONE\"                       | field 'status': must be SUCCEEDED or FAILED",
            "\"status\":\"FAILED\",\"businessValue\":-1 | field 'businessValue': must not be negative",
            "\"status\":\"FAILED\",\"currency\":\"dollars\" | field 'currency': must be an ISO 4217 code"})
    void rejectsInvalidOutcomes(String fields, String message) {
        Normalized.Rejected rejected = rejected("{\"kind\":\"task-outcome\",\"taskId\":\"t\",\"timestamp\":1735689600000," + fields + "}");
        assertThat(rejected.detail()).startsWith(message);
    }

    @ParameterizedTest
    @CsvSource({"GlobalStandard,global", "DataZoneStandard,datazone", "Standard,regional", "ProvisionedManaged,provisioned",
            "GlobalBatch,batch", "datazone,datazone", "Developer,developer"})
    void mapsAzureDeploymentTypeNames(String azure, String canonical) {
        assertThat(AzureNames.deploymentType(azure)).isEqualTo(canonical);
    }
}
