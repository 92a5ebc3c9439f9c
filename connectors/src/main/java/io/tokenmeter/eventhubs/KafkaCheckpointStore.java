package io.tokenmeter.eventhubs;

import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Event Hubs checkpoints and partition ownership in one compacted, single-partition Kafka topic
 * ({@code <prefix>eventhubs-checkpoints}), read with {@code read_committed}.
 *
 * <p>Checkpoints are normally written by {@link PartitionWriter} inside the same transaction as the events they cover,
 * so a checkpoint is visible exactly when its events are. {@link #updateCheckpoint} exists for the interface and
 * writes a plain (non-transactional) record.
 *
 * <p>Ownership uses a UUID eTag checked optimistically against this store's latest view of the topic. Two processes
 * can both pass the check in the instant between reading and writing, so two owners of one partition can exist for
 * a short while. That is harmless: every owner writes through the same transactional.id, so the newer producer's
 * {@code initTransactions()} fences the older one and only one of them can commit.
 */
public final class KafkaCheckpointStore implements BridgeCheckpoints {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final String topic;
    private final TopicPartition partition;
    private final Clock clock;
    private final Admin admin;
    private final Map<String, Object> consumerProps;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    private final Map<String, PartitionOwnership> ownerships = new HashMap<>();

    public KafkaCheckpointStore(Map<String, Object> clientProps, String topic, Clock clock) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.clock = clock;
        this.admin = Admin.create(clientProps);
        Map<String, Object> consumerProps = new HashMap<>(clientProps);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumerProps = consumerProps;
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        Map<String, Object> producerProps = new HashMap<>(clientProps);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer());
    }

    /** Creates the checkpoint topic (1 partition, cleanup.policy=compact) unless it exists. */
    public static void ensureTopic(Map<String, Object> clientProps, String topic, short replication) {
        try (Admin admin = Admin.create(clientProps)) {
            Set<String> names = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (names.contains(topic)) {
                return;
            }
            NewTopic newTopic = new NewTopic(topic, 1, replication)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(newTopic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the checkpoint topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating the checkpoint topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the checkpoint topic " + topic, e);
        }
    }

    public String topic() {
        return topic;
    }

    @Override
    public Flux<PartitionOwnership> listOwnership(String namespace, String hub, String group) {
        return Flux.defer(() -> Flux.fromIterable(ownerships(namespace, hub, group)));
    }

    private synchronized List<PartitionOwnership> ownerships(String namespace, String hub, String group) {
        readTo(lastStableOffset());
        String prefix = CheckpointRecords.groupPrefix(CheckpointRecords.OWNERSHIP, namespace, hub, group);
        List<PartitionOwnership> result = new ArrayList<>();
        ownerships.forEach((key, o) -> {
            if (key.startsWith(prefix)) {
                result.add(CheckpointRecords.copy(o)); // the processor mutates what it gets (ownerId "" on stop)
            }
        });
        return result;
    }

    @Override
    public Flux<PartitionOwnership> claimOwnership(List<PartitionOwnership> requested) {
        return Flux.defer(() -> Flux.fromIterable(claim(requested)));
    }

    private synchronized List<PartitionOwnership> claim(List<PartitionOwnership> requested) {
        readTo(lastStableOffset());
        List<PartitionOwnership> claimed = new ArrayList<>();
        for (PartitionOwnership request : requested) {
            String key = CheckpointRecords.ownershipKey(request);
            PartitionOwnership current = ownerships.get(key);
            boolean free = request.getETag() == null ? current == null : current != null && request.getETag().equals(current.getETag());
            if (!free) {
                continue; // someone else changed it since the caller looked: not claimed, and not an error
            }
            PartitionOwnership updated = CheckpointRecords.copy(request)
                    .setETag(UUID.randomUUID().toString()).setLastModifiedTime(clock.millis());
            send(key, CheckpointRecords.encode(updated));
            ownerships.put(key, updated);
            claimed.add(CheckpointRecords.copy(updated));
        }
        return claimed;
    }

    @Override
    public Flux<Checkpoint> listCheckpoints(String namespace, String hub, String group) {
        return Flux.defer(() -> Flux.fromIterable(checkpoints(namespace, hub, group)));
    }

    private synchronized List<Checkpoint> checkpoints(String namespace, String hub, String group) {
        readTo(lastStableOffset()); // the writer re-reads after fencing (latestCheckpoint), so a stale view here is safe
        String prefix = CheckpointRecords.groupPrefix(CheckpointRecords.CHECKPOINT, namespace, hub, group);
        List<Checkpoint> result = new ArrayList<>();
        checkpoints.forEach((key, c) -> {
            if (key.startsWith(prefix)) {
                result.add(CheckpointRecords.copy(c));
            }
        });
        return result;
    }

    @Override
    public Mono<Void> updateCheckpoint(Checkpoint checkpoint) {
        return Mono.fromRunnable(() -> {
            if (checkpoint.getSequenceNumber() == null && CheckpointRecords.offsetString(checkpoint) == null) {
                throw new IllegalArgumentException("a checkpoint needs a sequence number or an offset");
            }
            synchronized (this) {
                send(CheckpointRecords.checkpointKey(checkpoint), CheckpointRecords.encode(checkpoint));
            }
        });
    }

    /**
     * The latest committed checkpoint of one partition. Reads up to the high watermark with a consumer of its own,
     * waiting for transactions still open on the topic to end, so a checkpoint that a fenced predecessor committed
     * just before the fencing is seen. Other calls on this store are not held up meanwhile.
     */
    @Override
    public Optional<Checkpoint> latestCheckpoint(String namespace, String hub, String group, String partitionId) {
        String key = CheckpointRecords.key(CheckpointRecords.CHECKPOINT, namespace, hub, group, partitionId);
        long end = highWatermark();
        Checkpoint latest = null;
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer())) {
            reader.assign(List.of(partition));
            reader.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (reader.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic + " (a transaction stayed open longer than "
                            + TIMEOUT.toSeconds() + " s)");
                }
                for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(100))) {
                    if (key.equals(record.key())) {
                        latest = record.value() == null ? null : CheckpointRecords.decodeCheckpoint(record.value());
                    }
                }
            }
        }
        return Optional.ofNullable(latest);
    }

    /** The checkpoint record for a batch, to be sent inside that batch's transaction. */
    ProducerRecord<byte[], byte[]> checkpointRecord(Checkpoint checkpoint) {
        return new ProducerRecord<>(topic, 0, CheckpointRecords.checkpointKey(checkpoint).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                CheckpointRecords.encode(checkpoint));
    }

    @Override
    public Optional<ProducerRecord<byte[], byte[]>> inTransaction(Checkpoint checkpoint) {
        return Optional.of(checkpointRecord(checkpoint));
    }

    /** Nothing left to do: the checkpoint was committed with the batch. */
    @Override
    public void afterCommit(Checkpoint checkpoint) {
    }

    @Override
    public String describe() {
        return topic;
    }

    private void send(String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, 0, key, value)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write to " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out writing to " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + topic, e);
        }
    }

    private long lastStableOffset() {
        return consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
    }

    private long highWatermark() {
        try {
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                    .partitionResult(partition).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read the end of " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out reading the end of " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading " + topic, e);
        }
    }

    /** Applies every committed record before {@code end}; waits while an open transaction holds the stable offset back. */
    private void readTo(long end) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (consumer.position(partition, TIMEOUT) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out reading " + topic + " (a transaction stayed open longer than " + TIMEOUT.toSeconds() + " s)");
            }
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                apply(record);
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null) {
            return;
        }
        if (key.startsWith(CheckpointRecords.CHECKPOINT + "|")) {
            if (record.value() == null) {
                checkpoints.remove(key);
            } else {
                checkpoints.put(key, CheckpointRecords.decodeCheckpoint(record.value()));
            }
        } else if (key.startsWith(CheckpointRecords.OWNERSHIP + "|")) {
            if (record.value() == null) {
                ownerships.remove(key);
            } else {
                ownerships.put(key, CheckpointRecords.decodeOwnership(record.value()));
            }
        }
    }

    @Override
    public synchronized void close() {
        producer.close(Duration.ofSeconds(5));
        consumer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}
