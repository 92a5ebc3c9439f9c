package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.pager.Pager;
import io.tokenmeter.pager.PagerSettings;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The done-when: the demo workload's runaway loop (one task repeating one prompt) becomes an alert in the
 * streams service, the pager posts it to a real Alertmanager, Alertmanager notifies a webhook receiver, and when the
 * task ends the alert resolves the same way.
 */
@ExtendWith(SharedKafka.class)
class PagerEndToEndIT {

    @Test
    void aRunawayLoopReachesAlertmanagerAndItsWebhookAndResolves(SharedKafka.Cluster cluster) throws Exception {
        LocalAlertmanager.assumeInstalled();
        Instant t0 = Instant.now().minus(Duration.ofMinutes(30));
        Map<String, Instant> deliveredAt = new ConcurrentHashMap<>();
        try (HttpReceiver notifications = HttpReceiver.start(200);
             LocalAlertmanager alertmanager = LocalAlertmanager.start(notifications.url("/hook"));
             ServiceFixture service = new ServiceFixture(cluster, "pager-e2e", Map.of()).start()) {
            Map<String, String> values = new HashMap<>();
            values.put(TokenmeterConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
            values.put(TokenmeterConfig.APPLICATION_ID, service.config.applicationId());
            values.put(TokenmeterConfig.PAGER_ALERTMANAGER_URL, alertmanager.url);
            values.put(TokenmeterConfig.PAGER_START, "earliest");
            TokenmeterConfig config = TokenmeterConfig.of(values);
            Pager.Hooks hooks = new Pager.Hooks(System.out::println,
                    (target, alert) -> deliveredAt.put(alert.getStatus().name(), Instant.now()));
            try (Pager pager = new Pager(PagerSettings.from(config), config.kafkaClientProperties(), config.applicationId(),
                    service.topics.alerts().name(), service.topics.alerts().valueSerde().deserializer(), service.topics.dlq().name(),
                    hooks, Clock.systemUTC()).start()) {
                PricePublisher.publish(service.clientProperties(), service.topics.prices(), PriceCatalogs.defaultCatalog().entries());
                // the demo's runaway loop: one task sends the same prompt again and again (five repeats fire)
                service.sendRaw(loopCalls(t0, 8));
                List<JsonNode> firing = notifications.await(b -> b.size() >= 1, Duration.ofSeconds(90));
                assertThat(firing).hasSize(1);
                JsonNode fired = firing.get(0);
                assertThat(fired.get("status").asText()).isEqualTo("firing");
                JsonNode labels = fired.at("/alerts/0/labels");
                assertThat(labels.get("alertname").asText()).isEqualTo("RunawayLoop");
                assertThat(labels.get("severity").asText()).isEqualTo("critical");
                assertThat(labels.get("tenant").asText()).isEqualTo("northwind");
                assertThat(labels.get("agent").asText()).isEqualTo("research-agent");
                assertThat(labels.get("task_id").asText()).isEqualTo("looping-task");
                assertThat(labels.get("dedup_key").asText()).isNotBlank();
                assertThat(fired.at("/alerts/0/annotations/summary").asText()).isNotBlank();

                service.sendRaw(List.of("{\"kind\":\"task-outcome\",\"taskId\":\"looping-task\",\"timestamp\":\"" + t0.plusSeconds(600)
                        + "\",\"tenant\":\"northwind\",\"useCase\":\"account-research\",\"status\":\"FAILED\"}"));
                List<JsonNode> both = notifications.await(b -> b.size() >= 2, Duration.ofSeconds(90));
                assertThat(both).hasSize(2);
                JsonNode resolved = both.get(1);
                assertThat(resolved.get("status").asText()).isEqualTo("resolved");
                assertThat(resolved.at("/alerts/0/fingerprint").asText()).isEqualTo(fired.at("/alerts/0/fingerprint").asText());
                assertThat(resolved.at("/alerts/0/labels/dedup_key").asText()).isEqualTo(labels.get("dedup_key").asText());

                List<HttpReceiver.Received> received = notifications.received();
                System.out.printf("Alertmanager -> webhook: firing %d ms, resolved %d ms after the pager's post%n",
                        Duration.between(deliveredAt.get("FIRING"), received.get(0).at()).toMillis(),
                        Duration.between(deliveredAt.get("RESOLVED"), received.get(1).at()).toMillis());
                assertThat(pager.counts().get("alertmanager").delivered()).isEqualTo(2);
            }
        }
    }

    private static List<String> loopCalls(Instant t0, int count) {
        List<String> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add("{\"kind\":\"usage\",\"eventId\":\"loop-" + i + "\",\"timestamp\":\"" + t0.plusSeconds(20L * i)
                    + "\",\"tenant\":\"northwind\",\"agent\":\"research-agent\",\"taskId\":\"looping-task\",\"model\":\"o4-mini\","
                    + "\"promptHash\":\"the-same-prompt\",\"inputTokens\":1200,\"cachedInputTokens\":1024,\"outputTokens\":150}");
        }
        return calls;
    }
}
