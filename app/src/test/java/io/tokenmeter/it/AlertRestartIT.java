package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.serde.AvroSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A runaway loop across two restarts of the service, each on a fresh state directory (so state comes back from the
 * changelogs): the calls before a restart still count, the alert fires exactly once, and it resolves exactly once.
 */
@ExtendWith(SharedKafka.class)
class AlertRestartIT {

    @Test
    void aRestartInTheMiddleOfAnIncidentNeitherLosesTheAlertNorFiresItTwice(SharedKafka.Cluster cluster) throws Exception {
        String prefix = cluster.uniquePrefix("alert-restart");
        Instant t0 = Instant.now().minus(Duration.ofMinutes(30));
        AvroSerde<Alert> alertReader = AvroSerde.specific(Alert.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS));

        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            // three repeats of the same prompt: below the line of five
            first.sendRaw(loopCalls(t0, 0, 3));
            first.read(first.topics.pricedUsage().name(), new StringDeserializer(), new StringDeserializer(), r -> r.size() >= 3, Duration.ofSeconds(60));
        }
        try (ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            // two more make five: the counts from before the restart must still be there for this to fire
            second.sendRaw(loopCalls(t0, 3, 2));
            List<Alert> alerts = alerts(second, alertReader, a -> a.size() >= 1);
            assertThat(alerts).singleElement().satisfies(a -> {
                assertThat(a.getStatus()).isEqualTo(AlertStatus.FIRING);
                assertThat(a.getType()).isEqualTo(AlertType.RUNAWAY_LOOP);
                assertThat(a.getObserved()).isEqualTo(5.0);
            });
        }
        try (ServiceFixture third = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            // the loop goes on after the restart: no second FIRING; then the task ends: one RESOLVED
            third.sendRaw(loopCalls(t0, 5, 10));
            third.read(third.topics.pricedUsage().name(), new StringDeserializer(), new StringDeserializer(), r -> r.size() >= 15, Duration.ofSeconds(60));
            third.sendRaw(List.of("{\"kind\":\"task-outcome\",\"taskId\":\"looping-task\",\"timestamp\":\"" + t0.plusSeconds(600)
                    + "\",\"tenant\":\"northwind\",\"useCase\":\"account-research\",\"status\":\"FAILED\"}"));
            alerts(third, alertReader, a -> a.size() >= 2);
            // read on a little longer: a duplicate would arrive after the RESOLVED record
            List<Alert> alerts = alerts(third, alertReader, a -> false, Duration.ofSeconds(3));

            assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
            assertThat(alerts).extracting(Alert::getDedupKey).containsOnly(alerts.get(0).getDedupKey());
            assertThat(alerts.get(1).getEvidence()).containsEntry("calls", "15").containsEntry("reason", "task-ended");
        }
    }

    private static List<String> loopCalls(Instant t0, int from, int count) {
        List<String> calls = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            calls.add("{\"kind\":\"usage\",\"eventId\":\"loop-" + i + "\",\"timestamp\":\"" + t0.plusSeconds(20L * i)
                    + "\",\"tenant\":\"northwind\",\"agent\":\"research-agent\",\"taskId\":\"looping-task\",\"model\":\"o4-mini\","
                    + "\"promptHash\":\"the-same-prompt\",\"inputTokens\":1200,\"cachedInputTokens\":1024,\"outputTokens\":150}");
        }
        return calls;
    }

    private static List<Alert> alerts(ServiceFixture service, AvroSerde<Alert> reader, Predicate<List<Alert>> done) {
        return alerts(service, reader, done, Duration.ofSeconds(60));
    }

    private static List<Alert> alerts(ServiceFixture service, AvroSerde<Alert> reader, Predicate<List<Alert>> done, Duration timeout) {
        List<ConsumerRecord<String, Alert>> records = service.read(service.topics.alerts().name(), new StringDeserializer(), reader,
                r -> done.test(r.stream().map(ConsumerRecord::value).toList()), timeout);
        return records.stream().map(ConsumerRecord::value).toList();
    }
}
