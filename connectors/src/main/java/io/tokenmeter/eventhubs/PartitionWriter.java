package io.tokenmeter.eventhubs;

import com.azure.messaging.eventhubs.EventData;
import com.azure.messaging.eventhubs.models.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Copies the events of one Event Hubs partition into Kafka, each batch in one transaction, with its checkpoint in
 * that transaction (Kafka checkpoints) or stored right after the commit (Blob checkpoints, see {@link BlobCheckpoints}).
 *
 * <p>There is one writer, and so one transactional producer, per owned partition, with
 * {@code transactional.id = tokenmeter-bridge-<namespace>-<hub>-<consumerGroup>-<partition>}. The id depends only on
 * the partition, not on the process, so when another bridge instance takes the partition over, its
 * {@code initTransactions()} bumps the producer epoch: the broker aborts (or completes) whatever the previous owner
 * had in flight and rejects every later send or commit of that previous owner with {@code ProducerFencedException}.
 * A zombie owner (paused, partitioned, or still running after losing its ownership) therefore cannot add anything.
 *
 * <p>The checkpoint the processor started from may have been read before the fencing, while a predecessor was still
 * committing. So after {@code initTransactions()} the writer reads the partition's latest committed checkpoint again
 * and drops every event at or below its sequence number; later batches are filtered the same way against the last
 * sequence number this writer committed (the processor may redeliver after a link recovery).
 *
 * <p>A writer whose transaction failed must not continue on the same event stream (its events are no longer in
 * Kafka, but the stream has moved on): {@link #write} then throws, the processor closes the partition, and it
 * restarts from the committed checkpoint once it claims the partition again.
 */
final class PartitionWriter implements AutoCloseable {

    private final String namespace;
    private final String hub;
    private final String group;
    private final String partitionId;
    private final String targetTopic;
    private final BridgeCheckpoints store;
    private final Consumer<String> beforeCommit;
    private final KafkaProducer<byte[], byte[]> producer;
    private long lastSequence = -1;
    private Checkpoint committed;
    private boolean broken;

    PartitionWriter(Map<String, Object> clientProps, String namespace, String hub, String group, String partitionId,
                    String targetTopic, BridgeCheckpoints store, Consumer<String> beforeCommit) {
        this.namespace = namespace;
        this.hub = hub;
        this.group = group;
        this.partitionId = partitionId;
        this.targetTopic = targetTopic;
        this.store = store;
        this.beforeCommit = beforeCommit;
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId(namespace, hub, group, partitionId));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        KafkaProducer<byte[], byte[]> created = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            created.initTransactions(); // fences any previous owner of this partition
            store.latestCheckpoint(namespace, hub, group, partitionId)
                    .map(Checkpoint::getSequenceNumber).ifPresent(seq -> lastSequence = seq);
        } catch (RuntimeException e) {
            created.close(Duration.ZERO);
            throw e;
        }
        this.producer = created;
    }

    static String transactionalId(String namespace, String hub, String group, String partitionId) {
        return String.join("-", "tokenmeter-bridge", namespace, hub, group, partitionId);
    }

    /**
     * Writes the events above the committed checkpoint in one transaction, with the new checkpoint when the store takes
     * part in transactions; returns how many. The store's {@code afterCommit} is left to the caller.
     */
    int write(List<EventData> events) {
        if (broken) {
            throw new IllegalStateException("the Kafka transaction of partition " + partitionId + " failed; the partition restarts from its checkpoint");
        }
        List<EventData> fresh = events.stream().filter(e -> e.getSequenceNumber() > lastSequence).toList();
        if (fresh.isEmpty()) {
            return 0;
        }
        EventData last = fresh.get(fresh.size() - 1);
        Checkpoint checkpoint = new Checkpoint().setFullyQualifiedNamespace(namespace).setEventHubName(hub).setConsumerGroup(group)
                .setPartitionId(partitionId).setSequenceNumber(last.getSequenceNumber()).setOffsetString(last.getOffsetString());
        try {
            producer.beginTransaction();
            for (EventData event : fresh) {
                producer.send(record(event));
            }
            store.inTransaction(checkpoint).ifPresent(producer::send);
            beforeCommit.accept(partitionId);
            producer.commitTransaction();
        } catch (RuntimeException e) {
            broken = true;
            throw e;
        }
        lastSequence = last.getSequenceNumber();
        committed = checkpoint;
        return fresh.size();
    }

    /** The checkpoint of the last committed batch, or null before the first. */
    Checkpoint committed() {
        return committed;
    }

    private ProducerRecord<byte[], byte[]> record(EventData event) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("eventhubs.namespace", utf8(namespace));
        headers.add("eventhubs.hub", utf8(hub));
        headers.add("eventhubs.partition", utf8(partitionId));
        headers.add("eventhubs.sequence.number", utf8(Long.toString(event.getSequenceNumber())));
        if (event.getOffsetString() != null) {
            headers.add("eventhubs.offset", utf8(event.getOffsetString()));
        }
        if (event.getEnqueuedTime() != null) {
            headers.add("eventhubs.enqueued.time", utf8(event.getEnqueuedTime().toString()));
        }
        byte[] key = Optional.ofNullable(event.getPartitionKey()).map(PartitionWriter::utf8).orElse(null);
        Long timestamp = event.getEnqueuedTime() == null ? null : event.getEnqueuedTime().toEpochMilli();
        return new ProducerRecord<>(targetTopic, null, timestamp, key, event.getBody(), headers);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Closes the producer; a transaction still open is aborted by the broker. */
    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
