package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.serde.AvroSerde;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two service instances of one application on the embedded broker: each holds part of the windows, and the usage API
 * gives the same complete answer from either. Also the /metrics scrape and the API's answers to bad parameters.
 */
@ExtendWith(SharedKafka.class)
class UsageApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] TENANTS = {"contoso", "fabrikam", "northwind", "tailspin", "adventure-works", "wingtip"};
    private static final String QUERY = "/api/usage?window=1h&by=tenant&from=2025-06-01T00:00:00Z&to=2025-06-02T00:00:00Z";

    @Test
    void eitherInstanceGivesTheSameCompleteAnswer(SharedKafka.Cluster cluster) throws Exception {
        String prefix = cluster.uniquePrefix("usage-api");
        try (ServiceFixture first = ServiceFixture.instance(cluster, prefix, Map.of()).start();
             ServiceFixture second = ServiceFixture.instance(cluster, prefix, Map.of()).start()) {
            PricePublisher.publish(first.clientProperties(), first.topics.prices(), PriceCatalogs.defaultCatalog().entries());
            Map<String, Long> expectedInput = new HashMap<>();
            List<String> documents = new ArrayList<>();
            Instant time = Instant.parse("2025-06-01T10:00:00Z");
            for (int i = 0; i < 600; i++) {
                String tenant = TENANTS[i % TENANTS.length];
                long input = 100 + i;
                expectedInput.merge(tenant, input, Long::sum);
                // within five minutes of event time: however the raw partitions interleave, nothing is later than the grace
                documents.add("{\"kind\":\"usage\",\"eventId\":\"u" + i + "\",\"timestamp\":\"" + time.plusMillis(i * 500L) + "\",\"tenant\":\""
                        + tenant + "\",\"model\":\"gpt-4o\",\"inputTokens\":" + input + ",\"outputTokens\":10}");
            }
            first.sendRaw(documents);
            AvroSerde<PricedUsage> pricedReader = AvroSerde.specific(PricedUsage.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS));
            assertThat(first.readExactly(first.topics.pricedUsage().name(), new StringDeserializer(), pricedReader, 600)).hasSize(600);

            JsonNode fromFirst = stableAnswer(first);
            JsonNode fromSecond = stableAnswer(second);

            assertThat(fromSecond).isEqualTo(fromFirst);
            Map<String, Long> actualInput = new HashMap<>();
            fromFirst.get("rows").forEach(row -> actualInput.merge(row.get("tenant").asText(), row.get("inputTokens").asLong(), Long::sum));
            assertThat(actualInput).isEqualTo(expectedInput);
            long requests = 0;
            for (JsonNode row : fromFirst.get("rows")) {
                requests += row.get("requests").asLong();
                assertThat(row.get("costUsd").asText()).matches("\\d+\\.\\d{9}");
                assertThat(row.get("costNanos").asLong()).isPositive();
            }
            assertThat(requests).isEqualTo(600);
            assertThat(hostedPartitions(first) + hostedPartitions(second)).as("the work is split between the instances").isEqualTo(3);
        }
    }

    @Test
    void badParametersAreRefusedWithAReasonAndMetricsAreScrapable(SharedKafka.Cluster cluster) throws Exception {
        try (ServiceFixture service = new ServiceFixture(cluster, "usage-api-errors", Map.of()).start()) {
            assertThat(service.get("/api/usage?window=5m")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(400);
                assertThat(r.body()).contains("window must be 1m, 1h or 1d");
            });
            assertThat(service.get("/api/usage?window=1h&by=tenant,colour").body()).contains("unknown dimension 'colour'");
            assertThat(service.get("/api/usage?window=1h&from=yesterday").body()).contains("from must be an ISO-8601 instant");
            assertThat(service.get("/api/usage?window=1m&from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z").body()).contains("at most 10000");

            service.sendRaw(List.of("{\"kind\":\"usage\",\"eventId\":\"m1\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"tenant\":\"contoso\","
                    + "\"agent\":\"a1\",\"model\":\"unpriced-model\",\"inputTokens\":42}"));
            long deadline = System.currentTimeMillis() + 60_000;
            String metrics = "";
            while (!metrics.contains("tokenmeter_tokens_total") && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                metrics = service.get("/metrics").body();
            }
            assertThat(metrics).contains("tokenmeter_tokens_total{agent=\"a1\",model=\"unpriced-model\",tenant=\"contoso\",type=\"input\"} 42.0")
                    .contains("tokenmeter_requests_total{agent=\"a1\",billed=\"true\",model=\"unpriced-model\",priced=\"false\",tenant=\"contoso\"} 1.0")
                    .contains("tokenmeter_late_records_total")
                    .contains("kafka_stream_");
        }
    }

    private static JsonNode stableAnswer(ServiceFixture instance) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        HttpResponse<String> response = null;
        while (System.currentTimeMillis() < deadline) {
            response = instance.get(QUERY);
            if (response.statusCode() == 200) {
                JsonNode body = JSON.readTree(response.body());
                long requests = 0;
                for (JsonNode row : body.get("rows")) {
                    requests += row.get("requests").asLong();
                }
                if (requests == 600) {
                    return body;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no complete answer within 90 s; last: " + (response == null ? "none" : response.statusCode() + " " + response.body()));
    }

    private static int hostedPartitions(ServiceFixture instance) {
        return instance.service.streams().metadataForLocalThreads().stream()
                .flatMap(t -> t.activeTasks().stream())
                .flatMap(t -> t.topicPartitions().stream())
                .filter(tp -> tp.topic().equals(instance.topics.usage().name()))
                .mapToInt(tp -> 1).sum();
    }
}
