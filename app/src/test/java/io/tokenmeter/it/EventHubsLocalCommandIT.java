package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a new user does: `tokenmeter eventhubs-local` with the example events, `tokenmeter bridge eventhubs` with the
 * connection string it printed, and the service, whose usage API then shows the two API Management calls.
 */
@ExtendWith(SharedKafka.class)
class EventHubsLocalCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path EXAMPLE = Path.of("..", "examples", "eventhubs", "apim-diagnostics.jsonl");

    @Test
    void theExampleEventsGoThroughTheLocalPeerAndTheBridgeIntoTheUsageApi(SharedKafka.Cluster cluster) throws Exception {
        int port = freePort();
        List<String> lines = Files.readAllLines(EXAMPLE).stream().filter(l -> !l.isBlank()).toList();
        try (ServiceFixture service = new ServiceFixture(cluster, "eh-local", Map.of()).start()) {
            CompletableFuture<CliRun> peer = CompletableFuture.supplyAsync(() -> CliRun.run("eventhubs-local", "--port", Integer.toString(port),
                    "--hub", "apim-logs", "--partitions", "2", "--events", EXAMPLE.toString(), "--for", "30s"));
            String connectionString = "Endpoint=sb://localhost:" + port
                    + ";SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=s3cr3t-key-value;UseDevelopmentEmulator=true";
            CompletableFuture<CliRun> bridge = CompletableFuture.supplyAsync(() -> CliRun.onCluster(cluster, service.topics.prefix(),
                    "bridge", "eventhubs", "--connection-string", connectionString, "--eventhub", "apim-logs", "--for", "15s"));

            List<ConsumerRecord<byte[], byte[]>> raw = service.read(service.topics.ingestRaw().name(), new ByteArrayDeserializer(),
                    new ByteArrayDeserializer(), r -> r.size() >= lines.size(), Duration.ofSeconds(40));
            assertThat(raw).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyInAnyOrderElementsOf(lines);

            Map<String, Long> inputByTenant = new HashMap<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (inputByTenant.size() < 2 && System.currentTimeMillis() < deadline) {
                Thread.sleep(500);
                inputByTenant.clear();
                JsonNode answer = JSON.readTree(service.get("/api/usage?window=1h&by=tenant,model,agent&from=2025-06-01T00:00:00Z"
                        + "&to=2025-06-02T00:00:00Z").body());
                answer.path("rows").forEach(row -> inputByTenant.merge(row.get("tenant").asText() + "/" + row.get("model").asText()
                        + "/" + row.get("agent").asText(), row.get("inputTokens").asLong(), Long::sum));
            }
            // the first call's gateway record carries the x-agent-id header
            assertThat(inputByTenant).containsOnly(Map.entry("team-a/gpt-4o/hr-assistant", 1200L), Map.entry("team-b/gpt-4.1-mini/unattributed", 800L));

            CliRun bridged = bridge.get(60, TimeUnit.SECONDS);
            CliRun local = peer.get(60, TimeUnit.SECONDS);
            assertThat(local.exit()).as(local.err()).isZero();
            assertThat(local.out()).contains("local Event Hubs peer listening on localhost:" + port + ": event hub 'apim-logs' with 2 partition(s)")
                    .contains("published 4 event(s) from " + EXAMPLE)
                    .contains("  " + connectionString)
                    .contains("tokenmeter bridge eventhubs --eventhub apim-logs --bootstrap-servers localhost:9092")
                    .contains("stopped; 4 event(s) held, 4 delivered to consumers");
            assertThat(bridged.exit()).as(bridged.err()).isZero();
            assertThat(bridged.out()).contains("copied 4 event(s)");

            // a second try on the same Kafka (a new peer, on a port of its own): its sequence numbers start above the first
            // run's checkpoints, so its events are copied
            int secondPort = freePort();
            CompletableFuture<CliRun> again = CompletableFuture.supplyAsync(() -> CliRun.run("eventhubs-local", "--port",
                    Integer.toString(secondPort), "--events", EXAMPLE.toString(), "--for", "25s"));
            CliRun bridgedAgain = CliRun.onCluster(cluster, service.topics.prefix(), "bridge", "eventhubs", "--connection-string",
                    connectionString.replace(":" + port + ";", ":" + secondPort + ";"), "--eventhub", "apim-logs", "--for", "12s",
                    "--connect-attempts", "5");
            CliRun secondPeer = again.get(60, TimeUnit.SECONDS);
            assertThat(secondPeer.exit()).as(secondPeer.err()).isZero();
            assertThat(bridgedAgain.out()).as(bridgedAgain.err()).contains("copied 4 event(s)");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
