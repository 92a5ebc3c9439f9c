package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.cli.Tokenmeter;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.normalize.NormalizeTopology;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.serde.AvroSerde;
import io.tokenmeter.topics.DeadLetters;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Canonical JSON lines in through `tokenmeter produce`, Avro usage and task outcomes out through the real registry,
 * on the real embedded broker with exactly-once: duplicates emitted once, malformed lines and unreadable records as
 * dead letters, and the pipeline still running afterwards.
 */
@ExtendWith(SharedKafka.class)
class NormalizePipelineIT {

    private static final String LINES = """
            {"kind":"usage","eventId":"u-1","timestamp":"2025-06-01T10:00:00Z","tenant":"contoso","agent":"triage-agent","taskId":"t-1","model":"gpt-4o","deployment":"gpt-4o-prod","inputTokens":1000,"cachedInputTokens":200,"outputTokens":100}
            {"kind":"usage","eventId":"u-2","timestamp":1748772060000,"tenant":"fabrikam","model":"gpt-4.1-mini","inputTokens":"500","outputTokens":50,"reasoningTokens":0,"statusCode":429}
            {"kind":"usage","eventId":"u-1","timestamp":"2025-06-01T10:00:00Z","tenant":"contoso","agent":"triage-agent","taskId":"t-1","model":"gpt-4o","deployment":"gpt-4o-prod","inputTokens":1000,"cachedInputTokens":200,"outputTokens":100}
            {"kind":"usage","eventId":"u-bad","timestamp":"2025-06-01T10:02:00Z","tenant":"contoso","model":"gpt-4o","inputTokens":-3}
            {"kind":"task-outcome","taskId":"t-1","timestamp":"2025-06-01T10:05:00Z","tenant":"contoso","useCase":"triage","status":"SUCCEEDED","businessValue":0.4}
            this line is not json
            {"kind":"usage","eventId":"u-3","timestamp":"2025-06-01T10:06:00Z","model":"o4-mini","outputTokens":900,"reasoningTokens":700}
            {"kind":"invoice","id":7}
            """;

    @Test
    void producesCanonicalJsonAndReadsExactlyTheExpectedAvroRecordsBack(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        try (ServiceFixture fixture = new ServiceFixture(cluster, "normalize", Map.of()).start()) {
            Path file = dir.resolve("events.jsonl");
            Files.writeString(file, LINES);

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            CommandLine cli = Tokenmeter.commandLine();
            cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
            cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            int exit = cli.execute("produce", "--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry", cluster.registryUrl(),
                    "--topic-prefix", fixture.topics.prefix(), file.toString());

            // the line that is not JSON is refused by produce itself; every other line is sent, bad content included
            assertThat(exit).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("line 6: not JSON, not sent");
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("sent 7 record(s) to " + fixture.topics.ingestRaw().name())
                    .contains("1 line(s) were not JSON");

            AvroSerde<UsageEvent> usageReader = AvroSerde.specific(UsageEvent.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS));
            List<ConsumerRecord<String, UsageEvent>> usage = fixture.readExactly(fixture.topics.usage().name(),
                    new StringDeserializer(), usageReader, 3);
            assertThat(usage).extracting(ConsumerRecord::value).extracting(UsageEvent::getEventId)
                    .containsExactlyInAnyOrder("u-1", "u-2", "u-3");
            UsageEvent first = usage.stream().map(ConsumerRecord::value).filter(e -> e.getEventId().equals("u-1")).findFirst().orElseThrow();
            assertThat(first.getTenant()).isEqualTo("contoso");
            assertThat(first.getCachedInputTokens()).isEqualTo(200);
            assertThat(first.getTimestamp()).isEqualTo(Instant.parse("2025-06-01T10:00:00Z"));
            UsageEvent anonymous = usage.stream().map(ConsumerRecord::value).filter(e -> e.getEventId().equals("u-3")).findFirst().orElseThrow();
            assertThat(anonymous.getTenant()).isEqualTo("unattributed");
            assertThat(anonymous.getInputTokens()).isZero();
            assertThat(usage).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getTenant()));

            List<ConsumerRecord<String, TaskOutcome>> outcomes = fixture.readExactly(fixture.topics.taskOutcomes().name(),
                    new StringDeserializer(), AvroSerde.specific(TaskOutcome.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS)), 1);
            assertThat(outcomes).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo("t-1");
                assertThat(r.value().getStatus()).isEqualTo(OutcomeStatus.SUCCEEDED);
                assertThat(r.value().getBusinessValueNanos()).isEqualTo(400_000_000L);
            });

            List<ConsumerRecord<byte[], byte[]>> dead = fixture.readExactly(fixture.topics.dlq().name(),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer(), 2);
            assertThat(dead).extracting(r -> DeadLetters.header(r.headers(), DeadLetters.REASON))
                    .containsExactlyInAnyOrder(DeadLetters.INVALID_FIELD, DeadLetters.UNKNOWN_SHAPE);
            assertThat(dead).allSatisfy(r -> {
                assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(fixture.topics.ingestRaw().name());
                assertThat(Long.parseLong(DeadLetters.header(r.headers(), DeadLetters.SOURCE_OFFSET))).isNotNegative();
            });
            assertThat(dead).anySatisfy(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).contains("\"inputTokens\":-3"));

            assertThat(fixture.service.metrics().total("tokenmeter.duplicates.dropped")).isEqualTo(1.0);
        }
    }

    @Test
    void unreadableInternalRecordsBecomeDeadLettersUnderExactlyOnceAndThePipelineKeepsRunning(SharedKafka.Cluster cluster) throws Exception {
        try (ServiceFixture fixture = new ServiceFixture(cluster, "eos-dlq", Map.of()).start()) {
            String repartition = fixture.config.applicationId() + "-" + NormalizeTopology.USAGE_REPARTITION + "-repartition";
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(fixture.clientProperties(), new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(repartition, "contoso", "{not avro".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(fixture.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(fixture.topics.ingestRaw().name(),
                        "{\"kind\":\"usage\",\"eventId\":\"after\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"gpt-4o\"}".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }

            List<ConsumerRecord<byte[], byte[]>> dead = fixture.readExactly(fixture.topics.dlq().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer(), 1);
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo(DeadLetters.DESERIALIZATION);
                assertThat(DeadLetters.header(r.headers(), DeadLetters.DETAIL)).contains("unknown magic byte");
                assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(repartition);
                assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("{not avro");
            });
            List<ConsumerRecord<String, UsageEvent>> usage = fixture.readExactly(fixture.topics.usage().name(), new StringDeserializer(),
                    AvroSerde.specific(UsageEvent.class, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS)), 1);
            assertThat(usage).extracting(r -> r.value().getEventId()).containsExactly("after");
        }
    }

    @Test
    void healthIsUpWhileStreamsRun(SharedKafka.Cluster cluster) throws Exception {
        try (ServiceFixture fixture = new ServiceFixture(cluster, "health", Map.of()).start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + fixture.service.httpPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"status\":\"UP\"").contains("\"streams\":\"RUNNING\"");
        }
    }
}
