package io.tokenmeter.eventhubs;

import com.azure.messaging.eventhubs.checkpointstore.blob.BlobCheckpointStore;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import com.azure.storage.blob.BlobContainerAsyncClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.tokenmeter.azure.BlobStorage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Checkpoints and partition ownership in an Azure Blob Storage container, through the SDK's {@link BlobCheckpointStore}
 * (blobs {@code <namespace>/<hub>/<consumer group>/checkpoint/<partition>} with the sequence number and offset as
 * metadata, and {@code .../ownership/<partition>} with an eTag).
 *
 * <p>A blob cannot take part in a Kafka transaction, so a batch is committed to Kafka first and its checkpoint stored
 * after: at least once. A crash between the two copies that one batch again after the restart.
 */
public final class BlobCheckpoints implements BridgeCheckpoints {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final BlobCheckpointStore store;
    private final String connectionString;
    private final String container;
    private final String where;

    private BlobCheckpoints(BlobContainerAsyncClient client, String connectionString, String container) {
        this.store = new BlobCheckpointStore(client);
        this.connectionString = connectionString;
        this.container = container;
        this.where = "Azure Blob storage " + BlobStorage.withoutQuery(client.getAccountUrl());
    }

    /**
     * Connects to the container and creates it if it is missing. Throws {@link IllegalArgumentException} for an
     * unusable connection string or container name and {@link IllegalStateException} when the storage account cannot
     * be used; both carry one line without secrets.
     */
    public static BlobCheckpoints open(String connectionString, String container) {
        if (connectionString == null || connectionString.isBlank()) {
            throw new IllegalArgumentException("the Azure Blob connection string is empty");
        }
        BlobStorage.requireContainerName(container);
        BlobContainerAsyncClient client;
        try {
            client = new BlobContainerClientBuilder().connectionString(connectionString).containerName(container)
                    .retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 4, Duration.ofSeconds(20),
                            Duration.ofMillis(500), Duration.ofSeconds(4), null))
                    .buildAsyncClient();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("the Azure Blob connection string is not usable ("
                    + BlobStorage.redact(BlobStorage.oneLine(String.valueOf(e.getMessage())), connectionString)
                    + "); expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net");
        }
        BlobCheckpoints checkpoints = new BlobCheckpoints(client, connectionString, container);
        try {
            client.createIfNotExists().block(TIMEOUT);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot create or open the checkpoint container '" + container + "': "
                    + checkpoints.explain(e));
        }
        return checkpoints;
    }

    public String container() {
        return container;
    }

    @Override
    public String describe() {
        return "Azure Blob container " + container + " at " + where.substring("Azure Blob storage ".length());
    }

    @Override
    public Flux<PartitionOwnership> listOwnership(String namespace, String hub, String group) {
        return store.listOwnership(namespace, hub, group);
    }

    @Override
    public Flux<PartitionOwnership> claimOwnership(List<PartitionOwnership> requested) {
        return store.claimOwnership(requested);
    }

    @Override
    public Flux<Checkpoint> listCheckpoints(String namespace, String hub, String group) {
        return store.listCheckpoints(namespace, hub, group);
    }

    @Override
    public Mono<Void> updateCheckpoint(Checkpoint checkpoint) {
        return store.updateCheckpoint(checkpoint);
    }

    @Override
    public Optional<Checkpoint> latestCheckpoint(String namespace, String hub, String group, String partitionId) {
        try {
            return Optional.ofNullable(store.listCheckpoints(namespace, hub, group)
                    .filter(c -> partitionId.equals(c.getPartitionId())).next().block(TIMEOUT));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot read the checkpoint of partition " + partitionId + ": " + explain(e));
        }
    }

    @Override
    public Optional<ProducerRecord<byte[], byte[]>> inTransaction(Checkpoint checkpoint) {
        return Optional.empty();
    }

    /** Stores the checkpoint of a committed batch; throws {@link IllegalStateException} with one line if it cannot. */
    @Override
    public void afterCommit(Checkpoint checkpoint) {
        try {
            store.updateCheckpoint(checkpoint).block(TIMEOUT);
        } catch (RuntimeException e) {
            throw new IllegalStateException(explain(e));
        }
    }

    /** A one-line, secret-free explanation of a Blob Storage failure. */
    String explain(Throwable error) {
        return BlobStorage.explain(error, where, BlobStorage.SignIn.CONNECTION_STRING, connectionString);
    }

    /** Nothing to release: the container client holds no connection of its own (the SDK shares its HTTP client). */
    @Override
    public void close() {
    }
}
