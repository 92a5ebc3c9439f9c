package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.ListBlobsOptions;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.eventhubs.Azurite;
import io.tokenmeter.embedded.LocalEventHubs;
import io.tokenmeter.service.StreamsService;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * `tokenmeter bridge eventhubs --checkpoint-store blob` against a real Azurite (blob service, started from
 * tools/azurite), the local AMQP Event Hubs peer and the embedded broker. Skipped when node and npm are not installed.
 */
@ExtendWith(SharedKafka.class)
class EventHubsBlobCheckpointsIT {

    private static final String CONTAINER = "tm-checkpoints";

    private static ServiceFixture prepare(SharedKafka.Cluster cluster, String name) {
        ServiceFixture fixture = new ServiceFixture(cluster, name, Map.of());
        StreamsService.createTopics(fixture.config, fixture.topics);
        return fixture;
    }

    private static CliRun bridge(SharedKafka.Cluster cluster, ServiceFixture fixture, LocalEventHubs hubs, String blobConnectionString,
                                 String container, String... more) {
        List<String> args = new ArrayList<>(List.of("bridge", "eventhubs", "--connection-string", hubs.connectionString(),
                "--eventhub", "apim-logs", "--checkpoint-store", "blob", "--blob-connection-string", blobConnectionString,
                "--blob-container", container));
        args.addAll(List.of(more));
        return CliRun.onCluster(cluster, fixture.topics.prefix(), args.toArray(String[]::new));
    }

    /** The checkpoint blobs of the container: partition id to the sequence number in their metadata. */
    private static Map<String, String> checkpointSequenceNumbers(BlobContainerClient container, String prefix) {
        Map<String, String> result = new TreeMap<>();
        for (BlobItem blob : container.listBlobs(new ListBlobsOptions().setPrefix(prefix + "checkpoint/")
                .setDetails(new BlobListDetails().setRetrieveMetadata(true)), Duration.ofSeconds(30))) {
            result.put(blob.getName().substring(blob.getName().lastIndexOf('/') + 1), blob.getMetadata().get("sequencenumber"));
        }
        return result;
    }

    /** A port nothing listens on (just released by the system). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void blobCheckpointsLetARestartedBridgeGoOnWhereItStoppedWithoutCopyingAnythingTwice(SharedKafka.Cluster cluster) throws Exception {
        try (Azurite azurite = Azurite.start(); ServiceFixture fixture = prepare(cluster, "eh-blob-restart");
             LocalEventHubs hubs = LocalEventHubs.start("apim-logs", 2)) {
            String topic = fixture.topics.ingestRaw().name();
            hubs.publish(0, "a0", "a1", "a2");
            hubs.publish(1, "b0", "b1");

            CompletableFuture<CliRun> run = CompletableFuture.supplyAsync(() -> bridge(cluster, fixture, hubs, azurite.connectionString(),
                    CONTAINER, "--for", "12s"));
            fixture.read(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer(), r -> r.size() >= 5, Duration.ofSeconds(40));
            CliRun first = run.get(60, TimeUnit.SECONDS);

            assertThat(first.exit()).as(first.err()).isZero();
            assertThat(first.err()).as("nothing went wrong, so nothing is reported").isEmpty();
            assertThat(first.out()).contains("-> " + topic + ", checkpoints in Azure Blob container " + CONTAINER + " at "
                    + azurite.blobEndpoint() + " after each commit (at least once)").contains("copied 5 event(s)");
            BlobContainerClient container = new BlobContainerClientBuilder().connectionString(azurite.connectionString())
                    .containerName(CONTAINER).buildClient();
            String prefix = "localhost/apim-logs/$default/";
            assertThat(checkpointSequenceNumbers(container, prefix)).as("the last sequence number copied from each partition")
                    .isEqualTo(Map.of("0", "2", "1", "1"));
            assertThat(container.listBlobsByHierarchy(prefix + "ownership/").stream().map(BlobItem::getName))
                    .containsExactlyInAnyOrder(prefix + "ownership/0", prefix + "ownership/1");
            try (Admin admin = Admin.create(fixture.clientProperties())) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .as("with Blob checkpoints the Kafka checkpoint topic is not used").doesNotContain(fixture.topics.prefix() + "eventhubs-checkpoints");
            }

            hubs.publish(0, "a3", "a4");
            hubs.publish(1, "b2");
            CliRun second = bridge(cluster, fixture, hubs, azurite.connectionString(), CONTAINER, "--for", "12s");

            assertThat(second.exit()).as(second.err()).isZero();
            assertThat(second.err()).isEmpty();
            assertThat(second.out()).as("only the events after the Blob checkpoints").contains("copied 3 event(s)");
            assertThat(checkpointSequenceNumbers(container, prefix)).isEqualTo(Map.of("0", "4", "1", "2"));
            List<ConsumerRecord<byte[], byte[]>> records = fixture.read(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                    r -> false, Duration.ofSeconds(3));
            Map<String, Long> counts = records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
            assertThat(counts).as("every event once in ingest.raw (read_committed)").isEqualTo(Map.of(
                    "a0", 1L, "a1", 1L, "a2", 1L, "a3", 1L, "a4", 1L, "b0", 1L, "b1", 1L, "b2", 1L));
            assertThat(first.out() + first.err() + second.out() + second.err()).doesNotContain(Azurite.ACCOUNT_KEY);
        }
    }

    @Test
    void anUnreachableOrRefusingBlobStoreABadConnectionStringOrContainerNameAreOneLineWithoutTheKey(SharedKafka.Cluster cluster)
            throws Exception {
        try (Azurite azurite = Azurite.start(); ServiceFixture fixture = prepare(cluster, "eh-blob-errors");
             LocalEventHubs hubs = LocalEventHubs.start("apim-logs", 1)) {
            String wrongKey = Base64.getEncoder().encodeToString("tokenmeter-wrong-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
            int closedPort = closedPort();
            String unreachable = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + wrongKey
                    + ";BlobEndpoint=http://127.0.0.1:" + closedPort + "/devstoreaccount1;";
            String nl = System.lineSeparator();

            CliRun refused = bridge(cluster, fixture, hubs, unreachable, CONTAINER);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo("error: cannot create or open the checkpoint container '" + CONTAINER
                    + "': cannot reach Azure Blob storage http://127.0.0.1:" + closedPort + "/devstoreaccount1 (connection refused)" + nl);

            CliRun rejected = bridge(cluster, fixture, hubs, azurite.connectionString(wrongKey), CONTAINER);
            assertThat(rejected.exit()).isEqualTo(1);
            assertThat(rejected.err()).isEqualTo("error: cannot create or open the checkpoint container '" + CONTAINER
                    + "': Azure Blob storage " + azurite.blobEndpoint() + " refused the credentials of the connection string "
                    + "(check AccountName and AccountKey, or the SAS)" + nl);

            CliRun malformed = bridge(cluster, fixture, hubs, "DefaultEndpointsProtocol=http;AccountKey=" + wrongKey, CONTAINER);
            assertThat(malformed.exit()).isEqualTo(1);
            assertThat(malformed.err()).startsWith("error: the Azure Blob connection string is not usable (").endsWith(nl)
                    .hasLineCount(1);

            CliRun badName = bridge(cluster, fixture, hubs, azurite.connectionString(), "Bad_Name");
            assertThat(badName.exit()).isEqualTo(1);
            assertThat(badName.err()).isEqualTo("error: 'Bad_Name' is not a valid Azure Blob container name (3 to 63 lower-case letters, "
                    + "digits and single hyphens, starting and ending with a letter or digit)" + nl);

            CliRun notBlob = CliRun.onCluster(cluster, fixture.topics.prefix(), "bridge", "eventhubs", "--connection-string",
                    hubs.connectionString(), "--blob-container", CONTAINER);
            assertThat(notBlob.exit()).isEqualTo(1);
            assertThat(notBlob.err()).isEqualTo("error: --blob-connection-string and --blob-container need --checkpoint-store blob" + nl);

            String all = String.join("", refused.out(), refused.err(), rejected.out(), rejected.err(), malformed.out(), malformed.err(),
                    badName.out(), badName.err());
            assertThat(all).doesNotContain(wrongKey, Azurite.ACCOUNT_KEY, "\tat ");
        }
    }
}
