package io.tokenmeter.normalize;

import static io.tokenmeter.normalize.Normalizing.rejected;
import static io.tokenmeter.normalize.Normalizing.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.topics.DeadLetters;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Shapes from ../shared/reference/azure-shapes.md, fixtures written from the documented fields: the token events of
 * API Management's log-to-eventhub policies, and the API usage objects of chat completions and responses.
 */
class AzureShapesTest {

    /** The accelerator's event for one non-streaming 200 response, with its traps: string counts, a .NET time, "NA". */
    private static final String ACCELERATOR_EVENT = """
            {"id":"7c1e4a52-1b7e-4d1c-9a51-0c7f3f6f9a10","timestamp":"5/6/2024 4:51:09 PM","appId":"NA","subscriptionId":"team-a",
             "productName":"ai-hr","targetService":"chat.completion","model":"gpt-4o","gatewayName":"contoso-apim",
             "gatewayRegion":"East US","aiGatewayId":"NA","RequestIp":"203.0.113.10","operationName":"ChatCompletions_Create",
             "sessionId":"NA","endUserId":"NA","backendId":"openai-backend-1","routeLocation":"eastus","routeName":"primary",
             "deploymentName":"chat","promptTokens":"25","responseTokens":"30","totalTokens":"55"}""";

    @Test
    void readsAnApiManagementTokenEventWithItsTraps() {
        UsageEvent event = usage(ACCELERATOR_EVENT);

        assertThat(event.getEventId()).isEqualTo("apim-eventhub:7c1e4a52-1b7e-4d1c-9a51-0c7f3f6f9a10");
        assertThat(event.getTimestamp()).isEqualTo(Instant.parse("2024-05-06T16:51:09Z"));
        assertThat(event.getTenant()).isEqualTo("team-a");
        assertThat(event.getApplication()).isEqualTo("ai-hr");
        assertThat(event.getModel()).isEqualTo("gpt-4o");
        assertThat(event.getDeployment()).isEqualTo("chat");
        assertThat(event.getDeploymentType()).isEqualTo("global");
        assertThat(event.getInputTokens()).isEqualTo(25);
        assertThat(event.getOutputTokens()).isEqualTo(30);
        assertThat(event.getStatusCode()).isEqualTo(200);
        assertThat(event.getSource()).isEqualTo("apim-eventhub");
        assertThat(event.getAgent()).isEqualTo("unattributed");
    }

    @Test
    void aTokenEventsCustomDimensionsAndLoggedHeadersAttributeTheAgentAndTask() {
        UsageEvent event = usage(ACCELERATOR_EVENT.replace("\"totalTokens\":\"55\"}", """
                "totalTokens":"55","customDimensions":{"AgentId":"researcher","taskId":"t-9","costCenter":{"not":"text"}},
                 "requestHeaders":{"x-use-case":"due-diligence","x-agent-id":"NA"},"environment":"staging"}"""));

        assertThat(event.getAgent()).as("the header says NA, so the dimension counts").isEqualTo("researcher");
        assertThat(event.getTaskId()).isEqualTo("t-9");
        assertThat(event.getUseCase()).isEqualTo("due-diligence");
        assertThat(event.getEnvironment()).as("a top-level field is a dimension too").isEqualTo("staging");
        assertThat(event.getCostCenter()).as("a structured value is not an attribute").isEqualTo("unattributed");
    }

    @Test
    void fieldNameCaseIsIgnoredAndNaMeansAbsent() {
        UsageEvent event = usage("""
                {"Timestamp":"2024-05-06T04:51:09Z","SubscriptionId":"NA","DeploymentName":"gpt-4o-mini","PromptTokens":10,
                 "ResponseTokens":"NA"}""");

        assertThat(event.getTenant()).isEqualTo("unattributed");
        assertThat(event.getModel()).as("no model: the deployment name stands in").isEqualTo("gpt-4o-mini");
        assertThat(event.getInputTokens()).isEqualTo(10);
        assertThat(event.getOutputTokens()).isZero();
        assertThat(event.getEventId()).as("no id: derived from the bytes, so a resent event is still counted once").startsWith("sha256:");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "5/6/2024 4:51:09 AM | 2024-05-06T04:51:09Z",
        "12/31/2024 11:59:59 PM | 2024-12-31T23:59:59Z",
        "5/6/2024 16:51:09 | 2024-05-06T16:51:09Z",
        "2024-05-06T04:51:09.1234567Z | 2024-05-06T04:51:09.123Z",
        "1714971069000 | 2024-05-06T04:51:09Z"})
    void readsTimestampsInEveryFormAnApimPolicyWrites(String timestamp, String expected) {
        UsageEvent event = usage("{\"timestamp\":\"" + timestamp + "\",\"model\":\"gpt-4o\",\"promptTokens\":1,\"responseTokens\":1}");
        assertThat(event.getTimestamp()).isEqualTo(Instant.parse(expected));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"timestamp\":\"yesterday\",\"model\":\"gpt-4o\",\"promptTokens\":1} | field 'timestamp': cannot read \"yesterday\"",
        "{\"timestamp\":\"2024-05-06T04:51:09Z\",\"model\":\"gpt-4o\",\"promptTokens\":\"lots\"} | field 'promptTokens': must be a whole number, got \"lots\"",
        "{\"timestamp\":\"2024-05-06T04:51:09Z\",\"model\":\"gpt-4o\",\"promptTokens\":5,\"responseTokens\":5,\"totalTokens\":11} | field 'totalTokens': 11 is not promptTokens 5 + responseTokens 5"})
    void rejectsTokenEventsItCannotTrustWithTheReason(String json, String message) {
        Normalized.Rejected rejected = rejected(json);
        assertThat(rejected.reason()).isEqualTo(DeadLetters.INVALID_FIELD);
        assertThat(rejected.detail()).contains(message);
    }

    @Test
    void aCanonicalEventMayCarryTheChatCompletionsUsageObject() {
        UsageEvent event = usage("""
                {"kind":"usage","timestamp":"2025-03-01T10:00:00Z","model":"o4-mini",
                 "usage":{"prompt_tokens":1200,"completion_tokens":900,"total_tokens":2100,
                          "prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":null},
                          "completion_tokens_details":{"reasoning_tokens":640,"audio_tokens":0,"accepted_prediction_tokens":0}}}""");

        assertThat(event.getInputTokens()).isEqualTo(1200);
        assertThat(event.getCachedInputTokens()).isEqualTo(1024);
        assertThat(event.getOutputTokens()).isEqualTo(900);
        assertThat(event.getReasoningTokens()).isEqualTo(640);
    }

    @Test
    void aCanonicalEventMayCarryTheResponsesUsageObjectWithOrWithoutDetails() {
        UsageEvent event = usage("""
                {"kind":"usage","timestamp":"2025-03-01T10:00:00Z","model":"gpt-4.1",
                 "usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":128},"output_tokens":50,
                          "output_tokens_details":{"reasoning_tokens":0},"total_tokens":350}}""");
        UsageEvent older = usage("""
                {"kind":"usage","timestamp":"2025-03-01T10:00:00Z","model":"gpt-4.1","usage":{"input_tokens":300,"output_tokens":50}}""");

        assertThat(event.getInputTokens()).isEqualTo(300);
        assertThat(event.getCachedInputTokens()).isEqualTo(128);
        assertThat(event.getOutputTokens()).isEqualTo(50);
        assertThat(older.getCachedInputTokens()).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"inputTokens\":5,\"usage\":{\"prompt_tokens\":5} | field 'usage': give either the token fields",
        "\"usage\":{\"prompt_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":6}} | field 'usage.prompt_tokens_details.cached_tokens': 6 is more than prompt_tokens 5",
        "\"usage\":{\"total_tokens\":5} | field 'usage': has neither prompt_tokens",
        "\"usage\":{\"prompt_tokens\":5,\"input_tokens\":5} | field 'usage': has both",
        "\"usage\":[1,2] | field 'usage': must be an API usage object",
        "\"usage\":{\"prompt_tokens\":5,\"prompt_tokens_details\":7} | field 'usage.prompt_tokens_details': must be an object"})
    void rejectsUsageObjectsThatDoNotAddUp(String fields, String message) {
        Normalized.Rejected rejected = rejected("{\"kind\":\"usage\",\"timestamp\":\"2025-03-01T10:00:00Z\",\"model\":\"gpt-4o\"," + fields + "}");
        assertThat(rejected.reason()).isEqualTo(DeadLetters.INVALID_FIELD);
        assertThat(rejected.detail()).contains(message);
    }
}
