package io.tokenmeter.pager;

import io.tokenmeter.event.Alert;
import io.tokenmeter.topics.DeadLetters;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Delivers the alerts topic to one target with its own consumer group, so a target that is down holds back only
 * itself. Each record's offset is committed right after that record was delivered (or dead-lettered): a crash
 * replays at most the one record in flight, never a FIRING whose RESOLVED was already delivered.
 */
final class TargetWorker implements Runnable {

    static final String REJECTED = "pager-rejected";
    static final String GAVE_UP = "pager-gave-up";

    private final Target target;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Deserializer<Alert> alerts;
    private final Delivery delivery;
    private final Producer<byte[], byte[]> deadLetters;
    private final String dlqTopic;
    private final PagerSettings settings;
    private final Pager.Hooks hooks;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile boolean rebalanced;

    final AtomicLong delivered = new AtomicLong();
    final AtomicLong skipped = new AtomicLong();
    final AtomicLong deadLettered = new AtomicLong();
    final AtomicLong failedAttempts = new AtomicLong();

    TargetWorker(Target target, KafkaConsumer<byte[], byte[]> consumer, String topic, Deserializer<Alert> alerts, Delivery delivery,
                 Producer<byte[], byte[]> deadLetters, String dlqTopic, PagerSettings settings, Pager.Hooks hooks, Clock clock) {
        this.target = target;
        this.consumer = consumer;
        this.topic = topic;
        this.alerts = alerts;
        this.delivery = delivery;
        this.deadLetters = deadLetters;
        this.dlqTopic = dlqTopic;
        this.settings = settings;
        this.hooks = hooks;
        this.clock = clock;
    }

    Target target() {
        return target;
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    rebalanced = true;
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    rebalanced = true;
                }
            });
            while (running.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                rebalanced = false;
                List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
                records.forEach(batch::add);
                for (int i = 0; i < batch.size() && running.get(); i++) {
                    boolean handled = handle(batch.get(i));
                    if (!handled || rebalanced) {
                        rewind(batch.subList(handled ? i + 1 : i, batch.size()));
                        break;
                    }
                }
            }
        } catch (WakeupException e) {
            // close() stops the loop
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            hooks.report().accept(target.name() + ": stopped: " + e.getMessage());
        } finally {
            consumer.close(); // no commit: what was not committed is delivered again by the next owner
        }
    }

    /** Delivers one record and commits it; false when it was left for the next owner (stopping or partition revoked). */
    private boolean handle(ConsumerRecord<byte[], byte[]> record) throws InterruptedException {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        Alert alert;
        try {
            alert = alerts.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            deadLetter(record, DeadLetters.DESERIALIZATION, e.getMessage());
            commit(partition, record);
            return true;
        }
        if (alert == null || !target.route().accepts(alert)) {
            skipped.incrementAndGet();
            commit(partition, record);
            return true;
        }
        Instant firstAttempt = clock.instant();
        Duration backoff = settings.backoff();
        while (true) {
            Delivery.Result result = delivery.send(alert);
            switch (result.outcome()) {
                case DELIVERED -> {
                    delivered.incrementAndGet();
                    hooks.afterDelivery().accept(target.name(), alert);
                    commit(partition, record);
                    return true;
                }
                case REJECTED -> {
                    String reason = redact(result.reason());
                    hooks.report().accept(target.name() + ": rejected alert " + alert.getDedupKey() + " (" + alert.getStatus() + "): " + reason
                            + "; sent to " + dlqTopic);
                    deadLetter(record, REJECTED, target.name() + ": " + reason);
                    commit(partition, record);
                    return true;
                }
                case FAILED -> {
                    failedAttempts.incrementAndGet();
                    String reason = redact(result.reason());
                    Duration spent = Duration.between(firstAttempt, clock.instant());
                    if (!settings.giveUpAfter().isZero() && spent.compareTo(settings.giveUpAfter()) >= 0) {
                        hooks.report().accept(target.name() + ": gave up on alert " + alert.getDedupKey() + " after " + spent.toSeconds() + " s: "
                                + reason + "; sent to " + dlqTopic);
                        deadLetter(record, GAVE_UP, target.name() + ": " + reason + " (retried " + spent.toSeconds() + " s)");
                        commit(partition, record);
                        return true;
                    }
                    hooks.report().accept(target.name() + ": " + reason + "; retrying in " + seconds(backoff));
                    if (!waitKeepingMembership(backoff) || !consumer.assignment().contains(partition)) {
                        return false;
                    }
                    backoff = backoff.multipliedBy(2).compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : backoff.multipliedBy(2);
                }
            }
        }
    }

    /** Waits by polling with every partition paused, so a long outage does not exceed max.poll.interval.ms. */
    private boolean waitKeepingMembership(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        consumer.pause(consumer.assignment());
        try {
            while (running.get() && System.nanoTime() < until) {
                consumer.poll(Duration.ofMillis(Math.max(1, Math.min(200, (until - System.nanoTime()) / 1_000_000))));
            }
        } finally {
            consumer.resume(consumer.assignment());
        }
        return running.get();
    }

    /** Puts the fetch position of each still-assigned partition back to its first record not handled yet. */
    private void rewind(List<ConsumerRecord<byte[], byte[]>> unhandled) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : unhandled) {
            first.merge(new TopicPartition(record.topic(), record.partition()), record.offset(), Math::min);
        }
        first.forEach((partition, offset) -> {
            if (consumer.assignment().contains(partition)) {
                consumer.seek(partition, offset);
            }
        });
    }

    private void commit(TopicPartition partition, ConsumerRecord<byte[], byte[]> record) {
        consumer.commitSync(Map.of(partition, new OffsetAndMetadata(record.offset() + 1)));
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> record, String reason, String detail) {
        DeadLetters.Origin origin = new DeadLetters.Origin(record.topic(), record.partition(), record.offset(), clock.instant());
        try {
            deadLetters.send(new ProducerRecord<>(dlqTopic, null, record.key(), record.value(),
                    DeadLetters.headers(record.headers(), reason, detail, "pager-" + target.name(), origin))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing a dead letter");
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write to " + dlqTopic + ": " + e.getCause().getMessage());
        }
        deadLettered.incrementAndGet();
    }

    private String redact(String text) {
        return target.secret() == null || text == null ? text : text.replace(target.secret(), "[routing key]");
    }

    private static String seconds(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    void stop() {
        running.set(false);
        consumer.wakeup();
    }
}
