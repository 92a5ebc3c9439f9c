package io.tokenmeter.ingest;

import io.tokenmeter.topics.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes to and reads back the compacted topics that hold reference data (prices, budgets): every write is
 * acknowledged by all in-sync replicas before it counts, and a read runs from the beginning to the end offsets it
 * found when it started, keeping the latest value of each key.
 */
public final class CompactedTopics {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** One record to write: a value for its key, or a tombstone that removes the key. */
    public record Update<K, V>(K key, V value) {

        public static <K, V> Update<K, V> put(K key, V value) {
            if (value == null) {
                throw new IllegalArgumentException("a put needs a value; use delete for a tombstone");
            }
            return new Update<>(key, value);
        }

        public static <K, V> Update<K, V> delete(K key) {
            return new Update<>(key, null);
        }
    }

    private CompactedTopics() {
    }

    /**
     * Sends {@code updates} in order with acks=all and idempotence and waits until every one is acknowledged;
     * returns how many.
     *
     * @param what what the records are, for error messages ("prices", "budgets")
     */
    public static <K, V> int publish(Map<String, Object> clientProps, Topic<K, V> topic, List<Update<K, V>> updates, String what) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
        try (KafkaProducer<K, V> producer = new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            List<Future<RecordMetadata>> sends = updates.stream()
                    .map(u -> producer.send(new ProducerRecord<>(topic.name(), u.key(), u.value())))
                    .toList();
            for (Future<RecordMetadata> send : sends) {
                send.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            return sends.size();
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not publish " + what + " to " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out publishing " + what + " to " + topic.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing " + what, e);
        }
    }

    /** The latest value of every key now in the topic, tombstoned keys left out, in the order keys were first seen. */
    public static <K, V> Map<K, V> latest(Map<String, Object> clientProps, Topic<K, V> topic) {
        Map<K, V> latest = new LinkedHashMap<>();
        readToEnd(clientProps, topic, (key, value) -> {
            if (value == null) {
                latest.remove(key);
            } else {
                latest.put(key, value);
            }
        });
        return latest;
    }

    /**
     * Every committed record of {@code topic} (compacted or not), from the beginning to the end offsets found at the
     * start, in order within each partition; tombstones come as a null value.
     */
    public static <K, V> void readToEnd(Map<String, Object> clientProps, Topic<K, V> topic, BiConsumer<K, V> each) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(props, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            // a large topic may take longer than TIMEOUT to read: only a read that stops advancing times out
            long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic.name());
                }
                ConsumerRecords<K, V> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
                }
                for (ConsumerRecord<K, V> record : records) {
                    // past the captured end: written after the read began, left for the next read
                    if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                        each.accept(record.key(), record.value());
                    }
                }
            }
        }
    }
}
