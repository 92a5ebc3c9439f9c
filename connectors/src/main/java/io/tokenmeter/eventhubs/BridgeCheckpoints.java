package io.tokenmeter.eventhubs;

import com.azure.messaging.eventhubs.CheckpointStore;
import com.azure.messaging.eventhubs.models.Checkpoint;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Where the bridge keeps checkpoints and partition ownership, and when a batch's checkpoint is written: inside the
 * batch's Kafka transaction ({@link KafkaCheckpointStore}) or after it committed ({@link BlobCheckpoints}).
 */
interface BridgeCheckpoints extends CheckpointStore, AutoCloseable {

    /** The latest stored checkpoint of one partition, read again by a writer after it fenced the previous owner. */
    Optional<Checkpoint> latestCheckpoint(String namespace, String hub, String group, String partitionId);

    /** The record that stores {@code checkpoint} in the batch's own transaction, or empty when it is stored after the commit. */
    Optional<ProducerRecord<byte[], byte[]>> inTransaction(Checkpoint checkpoint);

    /** Called once the batch that {@code checkpoint} covers is committed to Kafka. */
    void afterCommit(Checkpoint checkpoint);

    /** Where the checkpoints are, as it may be shown (no secrets). */
    String describe();

    @Override
    void close();
}
