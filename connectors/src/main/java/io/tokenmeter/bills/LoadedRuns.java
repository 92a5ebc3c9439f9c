package io.tokenmeter.bills;

import io.tokenmeter.event.BillingCost;
import io.tokenmeter.topics.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The export runs on billing.costs: every run whose end record (line null) is there, committed. The end record is
 * written in the run's own transaction, after its lines, so it is there exactly when the run is loaded: the topic
 * itself is the record of what was loaded, by any loader, and needs no bookkeeping of its own to survive restarts or
 * to agree with it. The first {@link #refresh()} reads the topic from the beginning, each later one only what was
 * written since.
 *
 * <p>Runs whose records have aged out of the topic (retention 400 days) count as not loaded. Loading one again is
 * harmless: an older run than the one in force is dropped, and the run in force loaded again changes nothing.
 */
public final class LoadedRuns implements AutoCloseable {

    // without progress for this long, the topic is taken as unreadable
    private static final Duration STALLED = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Topic<String, BillingCost> costs;
    private final Deserializer<BillingCost> values;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Set<RunKey> loaded = new HashSet<>();
    private List<TopicPartition> partitions;
    private long unreadable;

    private LoadedRuns(Map<String, Object> clientProps, Topic<String, BillingCost> costs) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.costs = costs;
        this.values = costs.valueSerde().deserializer();
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** A reader of {@code costs}; nothing is read before the first {@link #refresh()}. */
    public static LoadedRuns of(Map<String, Object> clientProps, Topic<String, BillingCost> costs) {
        return new LoadedRuns(clientProps, costs);
    }

    /**
     * Reads the topic up to its current end and returns every run loaded so far. A record that cannot be read is
     * skipped and counted ({@link #unreadable()}): the streams service sends it to the dead-letter topic.
     *
     * @throws IllegalStateException when the topic cannot be read
     */
    public Set<RunKey> refresh() {
        if (partitions == null) {
            partitions = consumer.partitionsFor(costs.name(), STALLED).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + costs.name() + " has no partitions");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, STALLED);
        long lastProgress = System.nanoTime();
        while (partitions.stream().anyMatch(p -> consumer.position(p, STALLED) < end.get(p))) {
            var records = consumer.poll(POLL);
            if (!records.isEmpty()) {
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > STALLED.toNanos()) {
                throw new IllegalStateException("no progress reading " + costs.name() + " for " + STALLED.toSeconds() + " s");
            }
            for (ConsumerRecord<byte[], byte[]> record : records) {
                take(record);
            }
        }
        return Set.copyOf(loaded);
    }

    private void take(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            unreadable++;
            return;
        }
        try {
            BillingCost cost = values.deserialize(record.topic(), record.headers(), record.value());
            if (cost != null && cost.getLine() == null) {
                loaded.add(new RunKey(cost.getExport(), cost.getBillingPeriod(), cost.getRunId()));
            }
        } catch (RuntimeException e) {
            unreadable++;
        }
    }

    /** Records of the topic that were not billing costs, so far. */
    public long unreadable() {
        return unreadable;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
