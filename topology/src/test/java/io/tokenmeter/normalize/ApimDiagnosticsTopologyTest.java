package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * API Management diagnostic logs through the topology: GatewayLlmLogs and GatewayLogs records of one call, in
 * diagnostic-setting envelopes, joined by correlation id in either order, with a missing side, and chunked. The
 * fixtures are written from the documented shapes in ../shared/reference/azure-shapes.md.
 */
class ApimDiagnosticsTopologyTest {

    private final TopologyHarness harness = new TopologyHarness();

    @AfterEach
    void close() {
        harness.close();
    }

    /** The GatewayLogs record of a chat completion, as documented; {@code extra} adds properties. */
    private static String gatewayRecord(String correlationId, String time, int responseCode, String extra) {
        return """
                {"Level": 4, "isRequestSuccess": true, "time": "%s", "operationName": "Microsoft.ApiManagement/GatewayLogs",
                 "category": "GatewayLogs", "durationMs": 152, "callerIpAddress": "203.0.113.10", "correlationId": "%s",
                 "location": "East US",
                 "properties": {"method": "POST", "url": "https://contoso.azure-api.net/openai/deployments/chat/chat/completions",
                   "backendResponseCode": %d, "responseCode": %d, "responseSize": 41583, "cache": "none", "backendTime": 87,
                   "requestSize": 526, "apiId": "azure-openai", "operationId": "ChatCompletions_Create", "apimSubscriptionId": "team-a",
                   "productId": "ai-hr", "userId": "1", "backendId": "openai-backend-1", "clientTime": 65, "clientProtocol": "HTTP/1.1",
                   "apiRevision": "1"%s},
                 "resourceId": "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/CONTOSO"}"""
                .formatted(time, correlationId, responseCode, responseCode, extra);
    }

    /** One chunk of the GatewayLlmLogs record of a call (camelCase, as the Event Hubs form writes it). */
    private static String llmRecord(String correlationId, String time, int sequence, long prompt, long completion) {
        return """
                {"time": "%s", "category": "GatewayLlmLogs", "correlationId": "%s",
                 "properties": {"apiVersion": "2024-10-21", "promptTokens": %d, "completionTokens": %d, "totalTokens": %d,
                   "modelName": "gpt-4o", "deploymentName": "chat", "isStreamCompletion": false, "operationName": "ChatCompletions_Create",
                   "region": "East US 2", "requestId": "r-%s", "sequenceNumber": %d, "requestMessages": "[...]", "responseMessages": "[...]"}}"""
                .formatted(time, correlationId, prompt, completion, prompt + completion, correlationId, sequence);
    }

    private void send(String... records) {
        harness.raw("{\"records\":[" + String.join(",", records) + "]}");
    }

    private List<UsageEvent> usage() {
        return harness.values(harness.topics.usage());
    }

    @Test
    void anLlmRecordAndItsGatewayRecordBecomeOneAttributedUsageEventInEitherOrder() {
        send(llmRecord("c-1", "2025-06-01T10:00:00.1234567Z", 0, 1200, 300));
        send(gatewayRecord("c-1", "2025-06-01T10:00:00.00", 200, ""));
        send(gatewayRecord("c-2", "2025-06-01T10:01:00.00", 200, ""), llmRecord("c-2", "2025-06-01T10:01:00Z", 0, 500, 50));

        List<UsageEvent> usage = usage();
        assertThat(usage).extracting(UsageEvent::getEventId).containsExactly("apim:c-1", "apim:c-2");
        UsageEvent first = usage.get(0);
        assertThat(first.getTenant()).isEqualTo("team-a");
        assertThat(first.getApplication()).isEqualTo("ai-hr");
        assertThat(first.getModel()).isEqualTo("gpt-4o");
        assertThat(first.getDeployment()).isEqualTo("chat");
        assertThat(first.getRegion()).isEqualTo("eastus2");
        assertThat(first.getInputTokens()).isEqualTo(1200);
        assertThat(first.getOutputTokens()).isEqualTo(300);
        assertThat(first.getStatusCode()).isEqualTo(200);
        assertThat(first.getLatencyMs()).isEqualTo(152L);
        assertThat(first.getTimestamp()).isEqualTo(Instant.parse("2025-06-01T10:00:00Z"));
        assertThat(first.getSource()).isEqualTo("apim-diagnostics");
    }

    @Test
    void aChunkedLlmRecordIsCountedOnce() {
        send(llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 40_000, 900), llmRecord("c-1", "2025-06-01T10:00:00Z", 1, 40_000, 900));
        send(llmRecord("c-1", "2025-06-01T10:00:00Z", 2, 40_000, 900), gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, ""));
        send(llmRecord("c-1", "2025-06-01T10:00:00Z", 1, 40_000, 900)); // a resent chunk

        assertThat(usage()).singleElement().satisfies(u -> {
            assertThat(u.getInputTokens()).isEqualTo(40_000);
            assertThat(u.getOutputTokens()).isEqualTo(900);
        });
    }

    @Test
    void anLlmRecordWhoseGatewayRecordNeverComesIsCountedUnattributedAfterTheWindow() {
        send(llmRecord("lonely", "2025-06-01T10:00:00Z", 0, 1000, 100));
        send(llmRecord("later", "2025-06-01T10:04:00Z", 0, 1, 1));
        assertThat(usage()).isEmpty();

        send(llmRecord("within-grace", "2025-06-01T10:14:30Z", 0, 1, 1));
        assertThat(usage()).as("the raw partition's watermark (latest record less the 10-minute grace) is still inside the window").isEmpty();

        // the watermark has passed the 5-minute window of "lonely": 10:15:30 less the grace
        send(llmRecord("much-later", "2025-06-01T10:15:30Z", 0, 1, 1));

        assertThat(usage()).singleElement().satisfies(u -> {
            assertThat(u.getEventId()).isEqualTo("apim:lonely");
            assertThat(u.getTenant()).isEqualTo("unattributed");
            assertThat(u.getInputTokens()).isEqualTo(1000);
        });
    }

    @Test
    void aGatewayRecordWithoutLlmRecordIsCountedWithTheUsageOfTheResponseBodyOrAsAFailedCall() {
        String body = ", \"backendResponseBody\": \"{\\\"id\\\":\\\"chatcmpl-1\\\",\\\"model\\\":\\\"gpt-4o-2024-11-20\\\",\\\"usage\\\":"
                + "{\\\"prompt_tokens\\\":2000,\\\"completion_tokens\\\":100,\\\"prompt_tokens_details\\\":{\\\"cached_tokens\\\":1024}}}\"";
        send(gatewayRecord("with-body", "2025-06-01T10:00:00Z", 200, body));
        send(gatewayRecord("throttled", "2025-06-01T10:00:10Z", 429, ""));
        send(gatewayRecord("tick", "2025-06-01T10:16:10Z", 200, "")); // watermark 10:06:10: both 5-minute windows have passed

        List<UsageEvent> usage = usage();
        assertThat(usage).extracting(UsageEvent::getEventId).containsExactlyInAnyOrder("apim:with-body", "apim:throttled");
        UsageEvent withBody = usage.stream().filter(u -> u.getEventId().equals("apim:with-body")).findFirst().orElseThrow();
        UsageEvent throttled = usage.stream().filter(u -> u.getEventId().equals("apim:throttled")).findFirst().orElseThrow();
        assertThat(withBody.getInputTokens()).isEqualTo(2000);
        assertThat(withBody.getCachedInputTokens()).isEqualTo(1024);
        assertThat(withBody.getModel()).isEqualTo("gpt-4o-2024-11-20");
        assertThat(throttled.getStatusCode()).isEqualTo(429);
        assertThat(throttled.getInputTokens()).isZero();
        assertThat(throttled.getTenant()).isEqualTo("team-a");
    }

    @Test
    void propertiesSentAsAJsonStringAndFieldNameCaseAreRead() {
        String llm = "{\"Time\": \"2025-06-01T10:00:00Z\", \"Category\": \"GatewayLlmLogs\", \"CorrelationId\": \"c-1\", "
                + "\"properties\": \"{\\\"PromptTokens\\\": 700, \\\"CompletionTokens\\\": 70, \\\"ModelName\\\": \\\"gpt-4o\\\", "
                + "\\\"SequenceNumber\\\": 0}\"}";
        send(llm, gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, "").replace("\"category\"", "\"CATEGORY\""));

        assertThat(usage()).singleElement().satisfies(u -> {
            assertThat(u.getInputTokens()).isEqualTo(700);
            assertThat(u.getOutputTokens()).isEqualTo(70);
            assertThat(u.getTenant()).isEqualTo("team-a");
        });
    }

    @Test
    void recordsOfOtherCategoriesAreDeadLetteredTogetherWhileTheOthersAreRead() {
        send("{\"time\":\"2025-06-01T10:00:00Z\",\"category\":\"Audit\",\"operationName\":\"ListKey\"}",
                llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 10, 1), gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, ""),
                "{\"category\":\"GatewayLogs\",\"time\":\"2025-06-01T10:00:00Z\"}");

        assertThat(usage()).hasSize(1);
        List<TestRecord<byte[], byte[]>> dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(d -> {
            String detail = new String(d.headers().lastHeader(DeadLetters.DETAIL).value(), StandardCharsets.UTF_8);
            assertThat(detail).startsWith("2 of 4 records not read (the others were): ")
                    .contains("records[0]: category Audit is not read by tokenmeter")
                    .contains("records[3]: field 'correlationid': missing");
        });
    }

    @Test
    void theConfiguredDeploymentTypeAndRegionPriceWhatTheLogsDoNotSay() {
        try (TopologyHarness mapped = new TopologyHarness(Map.of(TokenmeterConfig.AZURE_DEPLOYMENTS, "chat=DataZoneStandard@Sweden Central"))) {
            mapped.raw("{\"records\":[" + gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, "") + ","
                    + llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 10, 1).replace("\"region\": \"East US 2\", ", "") + "]}");
            mapped.raw("{\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"gpt-4o\",\"deploymentName\":\"chat\",\"promptTokens\":5}");

            assertThat(mapped.values(mapped.topics.usage())).hasSize(2).allSatisfy(u -> {
                assertThat(u.getDeploymentType()).isEqualTo("datazone");
                assertThat(u.getRegion()).isEqualTo("swedencentral");
            });
        }
    }

    /** Request headers as a diagnostic setting logs them when told to (header names in any case, a value as a list). */
    private static final String LOGGED_HEADERS = """
            , "requestHeaders": {"X-Agent-Id": "claims-triage", "x-task-id": ["task-42"], "X-Use-Case": "claims", "x-environment": "prod",
              "Authorization": "not logged by anyone careful"}""";

    @Test
    void theAgentTaskAndUseCaseComeFromTheRequestHeadersTheGatewayLogged() {
        send(gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, LOGGED_HEADERS), llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 100, 10));
        send(gatewayRecord("c-2", "2025-06-01T10:00:05Z", 200, ""), llmRecord("c-2", "2025-06-01T10:00:05Z", 0, 100, 10));

        List<UsageEvent> usage = usage();
        assertThat(usage).hasSize(2);
        UsageEvent attributed = usage.get(0);
        assertThat(attributed.getAgent()).isEqualTo("claims-triage");
        assertThat(attributed.getTaskId()).isEqualTo("task-42");
        assertThat(attributed.getUseCase()).isEqualTo("claims");
        assertThat(attributed.getEnvironment()).isEqualTo("prod");
        assertThat(attributed.getCostCenter()).as("no such header").isEqualTo("unattributed");
        assertThat(attributed.getTenant()).isEqualTo("team-a");
        UsageEvent plain = usage.get(1);
        assertThat(plain.getAgent()).isEqualTo("unattributed");
        assertThat(plain.getTaskId()).as("no header: not part of a task").isNull();
    }

    @Test
    void theAttributionMappingIsConfigurable() {
        Map<String, String> mapping = Map.of(
                TokenmeterConfig.ATTRIBUTION_PREFIX + "tenant", "header:x-customer, subscription",
                TokenmeterConfig.ATTRIBUTION_PREFIX + "application", "api",
                TokenmeterConfig.ATTRIBUTION_PREFIX + "cost.center", "backend",
                TokenmeterConfig.ATTRIBUTION_PREFIX + "agent", "header:x-ms-client-request-agent",
                TokenmeterConfig.ATTRIBUTION_PREFIX + "task", "");
        try (TopologyHarness mapped = new TopologyHarness(mapping)) {
            mapped.raw("{\"records\":[" + gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200,
                    ", \"requestHeaders\": {\"x-customer\": \"fabrikam\", \"x-ms-client-request-agent\": \"planner\", \"x-task-id\": \"t-1\"}")
                    + "," + llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 10, 1) + "," + gatewayRecord("c-2", "2025-06-01T10:00:00Z", 200, "")
                    + "," + llmRecord("c-2", "2025-06-01T10:00:00Z", 0, 10, 1) + "]}");

            List<UsageEvent> usage = mapped.values(mapped.topics.usage());
            assertThat(usage).extracting(UsageEvent::getTenant).containsExactly("fabrikam", "team-a");
            assertThat(usage).extracting(UsageEvent::getApplication).containsOnly("azure-openai");
            assertThat(usage).extracting(UsageEvent::getCostCenter).containsOnly("openai-backend-1");
            assertThat(usage).extracting(UsageEvent::getAgent).containsExactly("planner", "unattributed");
            assertThat(usage).extracting(UsageEvent::getTaskId).as("task attribution switched off").containsOnlyNulls();
        }
    }

    /** An Azure OpenAI RequestResponse record as documented: no tokens, the HTTP status in resultSignature. */
    private static String openAiRecord(String time, int status) {
        return """
                {"time": "%s", "resourceId": "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COGNITIVESERVICES/ACCOUNTS/CONTOSO-AOAI",
                 "category": "RequestResponse", "operationName": "ChatCompletions_Create", "resultType": "Succeeded",
                 "resultSignature": "%d", "durationMs": 843, "callerIpAddress": "10.0.0.4", "correlationId": "x-%d", "location": "eastus2",
                 "properties": "{\\"apiName\\":\\"Azure OpenAI API version 2024-10-21\\",\\"requestTime\\":638590000000000000,\\"responseTime\\":638590000008430000,\\"requestLength\\":526,\\"responseLength\\":1530,\\"streamType\\":\\"Non-Streaming\\",\\"modelDeploymentName\\":\\"chat\\",\\"modelName\\":\\"gpt-4o\\",\\"modelVersion\\":\\"2024-11-20\\"}"}"""
                .formatted(time, status, status);
    }

    @Test
    void azureOpenAiRequestRecordsAreCountedAsRequestsPerDeploymentAndStatusNeverAsUsage() {
        send(openAiRecord("2025-06-01T10:00:00Z", 200), openAiRecord("2025-06-01T10:00:01Z", 200), openAiRecord("2025-06-01T10:00:02Z", 429),
                llmRecord("c-1", "2025-06-01T10:00:00Z", 0, 10, 1), gatewayRecord("c-1", "2025-06-01T10:00:00Z", 200, ""));

        assertThat(usage()).singleElement().satisfies(u -> assertThat(u.getEventId()).isEqualTo("apim:c-1"));
        assertThat(harness.output(harness.topics.dlq()).isEmpty()).isTrue();
        assertThat(harness.metrics.registry().find("tokenmeter.azure.openai.requests").tags("deployment", "chat", "status", "200")
                .counter().count()).isEqualTo(2.0);
        assertThat(harness.metrics.registry().find("tokenmeter.azure.openai.requests").tags("status", "429").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aGatewayRecordOfAnotherApiIsNotUsage() {
        send(gatewayRecord("echo", "2025-06-01T10:00:00Z", 200, "").replace("/openai/deployments/chat/chat/completions", "/echo/resource"));
        send(gatewayRecord("tick", "2025-06-01T10:06:00Z", 200, "").replace("/openai/deployments/chat/chat/completions", "/echo/resource"));

        assertThat(usage()).isEmpty();
    }
}
