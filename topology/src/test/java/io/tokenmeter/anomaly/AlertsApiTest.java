package io.tokenmeter.anomaly;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** /api/alerts over the global alerts store the detectors feed: one entry per incident, latest status. */
class AlertsApiTest {

    private final TopologyHarness harness = new TopologyHarness();
    private AlertsApi api;

    @BeforeEach
    void incidents() {
        harness.prices(gpt4o());
        Instant t0 = Instant.parse("2025-06-01T10:00:00Z");
        for (int i = 0; i < 5; i++) {
            harness.usage(usage("loop-" + i, t0.plusSeconds(30L * i).toString()).setTaskId("resolved-loop").setPromptHash("p").build());
        }
        harness.input(harness.topics.taskOutcomes()).pipeInput("resolved-loop", TaskOutcome.newBuilder().setTaskId("resolved-loop")
                .setTimestamp(t0.plusSeconds(300)).setTenant("contoso").setUseCase("u").setStatus(OutcomeStatus.FAILED).build());
        for (int i = 0; i < 5; i++) {
            harness.usage(usage("open-" + i, t0.plusSeconds(3600 + 30L * i).toString()).setTaskId("open-loop").setPromptHash("q").build());
        }
        harness.usage(usage("unpriced", t0.plusSeconds(3900).toString()).setModel("gpt-9").build());
        // every call and the outcome settled, before the open loop (last call 11:02) has been quiet for 10 minutes
        harness.advanceTo(t0.plusSeconds(3900));
        api = new AlertsApi(() -> harness.driver.getKeyValueStore(AnomalyTopology.ALERTS_STORE));
    }

    @AfterEach
    void close() {
        harness.close();
    }

    private JsonNode get(Map<String, String> query) throws Exception {
        return HttpApi.JSON.readTree(api.alerts(new HttpApi.Request("GET", "/api/alerts", Map.of(), query)).body());
    }

    @Test
    void listsEveryIncidentOnceWithItsLatestStatus() throws Exception {
        JsonNode alerts = get(Map.of()).get("alerts");

        assertThat(alerts).hasSize(3);
        assertThat(alerts.get(0).get("taskId").asText()).isEqualTo("resolved-loop");
        assertThat(alerts.get(0).get("status").asText()).isEqualTo("RESOLVED");
        assertThat(alerts.get(0).get("firedAt").asText()).isEqualTo("2025-06-01T10:02:00Z");
        assertThat(alerts.get(0).get("resolvedAt").asText()).isEqualTo("2025-06-01T10:05:00Z");
        assertThat(alerts.get(1).get("status").asText()).isEqualTo("FIRING");
        assertThat(alerts.get(1).get("severity").asText()).isEqualTo("critical");
        assertThat(alerts.get(2).get("type").asText()).isEqualTo("UNPRICED_MODEL");
        for (String field : new String[] {"dedupKey", "type", "severity", "status", "tenant", "agent", "model", "deployment", "taskId",
            "observed", "threshold", "windowStart", "windowEnd", "message"}) {
            assertThat(alerts.get(1).has(field)).as(field).isTrue();
        }
    }

    @Test
    void filtersByFiringTimeTypeAndStatus() throws Exception {
        assertThat(get(Map.of("from", "2025-06-01T10:30:00Z", "to", "2025-06-01T11:03:00Z")).get("alerts")).hasSize(1);
        assertThat(get(Map.of("type", "unpriced_model")).get("alerts")).hasSize(1);
        assertThat(get(Map.of("status", "FIRING")).get("alerts")).hasSize(2);
        assertThat(get(Map.of("status", "RESOLVED", "type", "RUNAWAY_LOOP")).get("alerts")).hasSize(1);
    }

    @Test
    void badParametersSayWhatIsAllowed() {
        assertThatThrownBy(() -> get(Map.of("type", "FIRE"))).isInstanceOf(ApiException.class).hasMessageContaining("RUNAWAY_LOOP");
        assertThatThrownBy(() -> get(Map.of("from", "noon"))).isInstanceOf(ApiException.class).hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> get(Map.of("from", "2025-06-02T00:00:00Z", "to", "2025-06-01T00:00:00Z")))
                .hasMessageContaining("must be before");
    }
}
