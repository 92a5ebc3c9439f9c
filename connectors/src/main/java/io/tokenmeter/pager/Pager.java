package io.tokenmeter.pager;

import io.tokenmeter.event.Alert;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * {@code tokenmeter pager}: delivers the alerts topic to Alertmanager, PagerDuty and webhooks, at least once. Each
 * target reads with its own consumer group {@code <application id>-pager-<target>} on its own thread.
 */
public final class Pager implements AutoCloseable {

    /**
     * What the pager tells its caller: one-line problems, and a call after each delivery before its commit (tests
     * stop the pager there to show what a crash between the two does).
     */
    public record Hooks(Consumer<String> report, BiConsumer<String, Alert> afterDelivery) {
        public static Hooks reporting(Consumer<String> report) {
            return new Hooks(report, (target, alert) -> { });
        }
    }

    /** Counts of one target since start. */
    public record Counts(long delivered, long skipped, long deadLettered, long failedAttempts) {
    }

    private final List<TargetWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final KafkaProducer<byte[], byte[]> deadLetters;

    /**
     * @param clientProps     Kafka client properties (bootstrap servers and pass-through settings)
     * @param applicationId   stem of the consumer groups
     * @param alertsTopic     the alerts topic and the deserializer of its values
     * @param dlqTopic        where undeliverable alerts go
     */
    public Pager(PagerSettings settings, Map<String, Object> clientProps, String applicationId, String alertsTopic,
                 Deserializer<Alert> alerts, String dlqTopic, Hooks hooks, Clock clock) {
        if (settings.targets().isEmpty()) {
            throw new IllegalArgumentException("no pager targets: set pager.alertmanager.url, pager.pagerduty.routing.key or "
                    + "pager.webhook.<name>.url (see tokenmeter pager --help)");
        }
        Map<String, Object> producerProps = new LinkedHashMap<>(clientProps);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.CLIENT_ID_CONFIG, applicationId + "-pager-dlq");
        deadLetters = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
        for (Target target : settings.targets()) {
            Map<String, Object> props = new LinkedHashMap<>(clientProps);
            props.put(ConsumerConfig.GROUP_ID_CONFIG, applicationId + "-pager-" + target.name());
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, applicationId + "-pager-" + target.name());
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, settings.fromEarliest() ? "earliest" : "latest");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // the streams service writes alerts in transactions
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            workers.add(new TargetWorker(target, consumer, alertsTopic, alerts,
                    new Delivery(target, settings.httpTimeout(), settings.alertmanagerTtl(), clock), deadLetters, dlqTopic, settings, hooks, clock));
        }
    }

    public Pager start() {
        for (TargetWorker worker : workers) {
            Thread thread = new Thread(worker, "tokenmeter-pager-" + worker.target().name());
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        return this;
    }

    public List<Target> targets() {
        return workers.stream().map(TargetWorker::target).toList();
    }

    /** Counts per target name, in the order of the targets. */
    public Map<String, Counts> counts() {
        Map<String, Counts> counts = new LinkedHashMap<>();
        for (TargetWorker w : workers) {
            counts.put(w.target().name(), new Counts(w.delivered.get(), w.skipped.get(), w.deadLettered.get(), w.failedAttempts.get()));
        }
        return counts;
    }

    @Override
    public void close() {
        workers.forEach(TargetWorker::stop);
        for (Thread thread : threads) {
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        deadLetters.close();
    }
}
