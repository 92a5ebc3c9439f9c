package io.tokenmeter.bench;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.ingest.JsonLinesProducer;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Wall-clock time from producing the event that crosses a detector's threshold (into ingest.raw, as any producer
 * would) to the alert record arriving, committed, on the alerts topic.
 */
public final class DetectionLatency {

    /** Latencies of one detector, sorted. */
    public record Samples(String detector, List<Duration> latencies, int missed) {
        public Duration percentile(double p) {
            if (latencies.isEmpty()) {
                return Duration.ZERO;
            }
            int index = (int) Math.ceil(p / 100.0 * latencies.size()) - 1;
            return latencies.get(Math.max(0, Math.min(index, latencies.size() - 1)));
        }
    }

    private final TokenmeterConfig config;
    private final TopicCatalog topics;
    private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
    private volatile boolean watching = true;

    DetectionLatency(TokenmeterConfig config, TopicCatalog topics) {
        this.config = config;
        this.topics = topics;
    }

    List<Samples> measure(int incidents) throws InterruptedException {
        Thread watcher = new Thread(this::watch, "bench-alert-watcher");
        watcher.setDaemon(true);
        watcher.start();
        try (Producer<byte[], byte[]> producer = JsonLinesProducer.newProducer(config.kafkaClientProperties())) {
            Thread.sleep(1000);
            return List.of(loops(producer, incidents), storms(producer, incidents));
        } finally {
            watching = false; // the watcher closes its consumer itself: interrupting it would break the close
            watcher.join(5000);
        }
    }

    /** Runaway loops: four repeats of one prompt, then the fifth (the crossing event) is timed. */
    private Samples loops(Producer<byte[], byte[]> producer, int incidents) throws InterruptedException {
        List<Duration> latencies = new ArrayList<>();
        int missed = 0;
        for (int i = 0; i < incidents; i++) {
            String task = "latency-loop-" + i + "-" + System.nanoTime();
            Instant now = Instant.now();
            for (int call = 0; call < 4; call++) {
                send(producer, "bench-latency", usage(task + "-" + call, now, "bench-latency", task, "p-" + task, "gpt-4o-prod", 200, 0));
            }
            producer.flush();
            Thread.sleep(300);
            long start = System.nanoTime();
            send(producer, "bench-latency", usage(task + "-4", now, "bench-latency", task, "p-" + task, "gpt-4o-prod", 200, 0));
            producer.flush();
            Long arrived = awaitAlert(task, Duration.ofSeconds(15));
            if (arrived == null) {
                missed++;
            } else {
                latencies.add(Duration.ofNanos(arrived - start));
            }
        }
        Collections.sort(latencies);
        return new Samples("RUNAWAY_LOOP", latencies, missed);
    }

    /**
     * Retry storms on fresh deployments: a minute with 60 calls, half refused; its verdict comes with the first
     * call of the next minute, the crossing event, which is timed.
     */
    private Samples storms(Producer<byte[], byte[]> producer, int incidents) throws InterruptedException {
        List<Duration> latencies = new ArrayList<>();
        int missed = 0;
        for (int i = 0; i < incidents; i++) {
            String deployment = "latency-storm-" + i + "-" + System.nanoTime();
            Instant minute = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(2));
            for (int call = 0; call < 60; call++) {
                send(producer, "bench-storm", usage(deployment + "-" + call, minute.plusMillis(900L * call), "bench-storm", deployment + "-t" + call,
                        "q" + call, deployment, call % 2 == 0 ? 429 : 200, 0));
            }
            producer.flush();
            Thread.sleep(300);
            long start = System.nanoTime();
            send(producer, "bench-storm", usage(deployment + "-next", minute.plusSeconds(61), "bench-storm", deployment + "-next", "next",
                    deployment, 200, 0));
            producer.flush();
            Long arrived = awaitAlert(deployment, Duration.ofSeconds(15));
            if (arrived == null) {
                missed++;
            } else {
                latencies.add(Duration.ofNanos(arrived - start));
            }
        }
        Collections.sort(latencies);
        return new Samples("RETRY_STORM", latencies, missed);
    }

    private Long awaitAlert(String marker, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Long arrived = arrivals.get(marker);
            if (arrived != null) {
                return arrived;
            }
            Thread.sleep(2);
        }
        return null;
    }

    private void watch() {
        Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        try (KafkaConsumer<String, Alert> consumer = new KafkaConsumer<>(props, new StringDeserializer(), topics.alerts().valueSerde().deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.alerts().name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            while (watching) {
                for (ConsumerRecord<String, Alert> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    Alert alert = record.value();
                    if (alert.getStatus() == AlertStatus.FIRING) {
                        String marker = alert.getTaskId() != null ? alert.getTaskId() : alert.getDeployment();
                        if (marker != null) {
                            arrivals.putIfAbsent(marker, now);
                        }
                    }
                }
            }
        }
    }

    private void send(Producer<byte[], byte[]> producer, String tenant, String json) {
        producer.send(new ProducerRecord<>(topics.ingestRaw().name(), tenant.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String usage(String eventId, Instant time, String tenant, String task, String promptHash, String deployment, int status,
                                int retry) {
        return "{\"kind\":\"usage\",\"eventId\":\"" + eventId + "\",\"timestamp\":\"" + time + "\",\"tenant\":\"" + tenant
                + "\",\"agent\":\"bench-agent\",\"taskId\":\"" + task + "\",\"model\":\"gpt-4o\",\"deployment\":\"" + deployment
                + "\",\"promptHash\":\"" + promptHash + "\",\"statusCode\":" + status + ",\"retryAttempt\":" + retry
                + ",\"inputTokens\":500,\"outputTokens\":50}";
    }

    static long millis(Duration d) {
        return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
    }
}
