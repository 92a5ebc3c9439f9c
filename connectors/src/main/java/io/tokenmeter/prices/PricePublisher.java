package io.tokenmeter.prices;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.topics.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes price entries to the compacted prices topic, one record per effective-dated entry (so loading adds to the
 * history and never erases it), and reads the topic back.
 */
public final class PricePublisher {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private PricePublisher() {
    }

    /** Publishes {@code entries} with acks=all and waits until every one is acknowledged; returns how many. */
    public static int publish(Map<String, Object> clientProps, Topic<String, PriceEntry> topic, List<PriceEntry> entries) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
        try (KafkaProducer<String, PriceEntry> producer = new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            List<Future<RecordMetadata>> sends = entries.stream()
                    .map(e -> producer.send(new ProducerRecord<>(topic.name(), PriceCatalogs.key(e), e)))
                    .toList();
            for (Future<RecordMetadata> send : sends) {
                send.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            return sends.size();
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not publish prices to " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out publishing prices to " + topic.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing prices", e);
        }
    }

    /** Every entry currently in the topic (the latest value per key; tombstones removed). */
    public static List<PriceEntry> readAll(Map<String, Object> clientProps, Topic<String, PriceEntry> topic) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, PriceEntry> latest = new HashMap<>();
        try (KafkaConsumer<String, PriceEntry> consumer = new KafkaConsumer<>(props, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), TIMEOUT).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
            long deadline = System.currentTimeMillis() + TIMEOUT.toMillis();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("timed out reading " + topic.name());
                }
                for (ConsumerRecord<String, PriceEntry> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        latest.remove(record.key());
                    } else {
                        latest.put(record.key(), record.value());
                    }
                }
            }
        }
        return List.copyOf(latest.values());
    }
}
