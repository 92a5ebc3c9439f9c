package io.tokenmeter.bench;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.ingest.JsonLinesProducer;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
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
 * would) to the early warning arriving, committed, on alerts.early; then how long after the traffic stops the confirmed
 * alerts arrive on alerts (they wait until event time has passed the calls).
 */
public final class DetectionLatency {

    /**
     * Early-warning latencies of one detector, sorted, and when its confirmed alerts came, counted from the last call
     * (for storms, the call of the next minute that lets event time pass the storm minutes).
     */
    public record Samples(String detector, List<Duration> latencies, int missed, int confirmed, Duration lastConfirmedAfterTrafficStopped) {
        public Duration percentile(double p) {
            if (latencies.isEmpty()) {
                return Duration.ZERO;
            }
            int index = (int) Math.ceil(p / 100.0 * latencies.size()) - 1;
            return latencies.get(Math.max(0, Math.min(index, latencies.size() - 1)));
        }

        public int incidents() {
            return latencies.size() + missed;
        }
    }

    private static final Duration EARLY_TIMEOUT = Duration.ofSeconds(10);
    /** Event time passes the last calls when the inputs have been idle for event.time.idle.ms (10 s); then markers travel. */
    private static final Duration CONFIRM_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration SETTLE_TIMEOUT = Duration.ofMinutes(10);

    private final TokenmeterConfig config;
    private final TopicCatalog topics;
    private final Map<String, Long> early = new ConcurrentHashMap<>();
    private final Map<String, Long> confirmed = new ConcurrentHashMap<>();
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
            // one incident of each, unmeasured: the first record on a topic waits for its metadata, the first call of a path for
            // the JIT; and the loop's confirmed alert comes once event time has passed everything the throughput run sent (its
            // events are compressed into seconds of event time, all inside the grace), so that release is not measured here
            List<String> warmup = new ArrayList<>();
            incidents(1, i -> loop(producer, -1), warmup);
            incidents(1, i -> storm(producer, -1), new ArrayList<>());
            if (await(confirmed, warmup.get(0), SETTLE_TIMEOUT) == null) {
                throw new IllegalStateException("event time did not pass the throughput run within " + SETTLE_TIMEOUT.toMinutes() + " min");
            }
            List<String> loops = new ArrayList<>();
            List<String> storms = new ArrayList<>();
            List<Duration> loopLatencies = incidents(incidents, i -> loop(producer, i), loops);
            List<Duration> stormLatencies = incidents(incidents, i -> storm(producer, i), storms);
            // a storm minute is judged once event time has passed its end: one later call moves it on (in production the
            // traffic does), and the silence after it lets the watermark reach that call
            send(producer, "bench-storm", usage("latency-storm-later-" + System.nanoTime(), Instant.now().plusSeconds(61), "bench-storm",
                    "latency-storm-later", "later", "latency-storm-later", 200, 0));
            producer.flush();
            long stopped = System.nanoTime();
            List<String> all = new ArrayList<>(loops);
            all.addAll(storms);
            long deadline = stopped + CONFIRM_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline && !all.stream().allMatch(confirmed::containsKey)) {
                Thread.sleep(20);
            }
            return List.of(samples("RUNAWAY_LOOP", loops, loopLatencies, stopped), samples("RETRY_STORM", storms, stormLatencies, stopped));
        } finally {
            watching = false; // the watcher closes its consumer itself: interrupting it would break the close
            watcher.join(5000);
        }
    }

    /** One incident: sends the calls before the crossing one, then the crossing one; returns its marker and when it was sent. */
    private interface Incident {
        Map.Entry<String, Long> send(int i) throws InterruptedException;
    }

    private List<Duration> incidents(int count, Incident incident, List<String> markers) throws InterruptedException {
        List<Duration> latencies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map.Entry<String, Long> sent = incident.send(i);
            markers.add(sent.getKey());
            Long arrived = await(early, sent.getKey(), EARLY_TIMEOUT);
            if (arrived != null) {
                latencies.add(Duration.ofNanos(arrived - sent.getValue()));
            }
        }
        Collections.sort(latencies);
        return latencies;
    }

    private Samples samples(String detector, List<String> markers, List<Duration> latencies, long stopped) {
        long lastConfirmed = markers.stream().map(confirmed::get).filter(java.util.Objects::nonNull).mapToLong(Long::longValue).max().orElse(stopped);
        int confirmedCount = (int) markers.stream().filter(confirmed::containsKey).count();
        return new Samples(detector, latencies, markers.size() - latencies.size(), confirmedCount,
                Duration.ofNanos(Math.max(0, lastConfirmed - stopped)));
    }

    /** A runaway loop: four repeats of one prompt, then the fifth (the crossing event). */
    private Map.Entry<String, Long> loop(Producer<byte[], byte[]> producer, int i) throws InterruptedException {
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
        return Map.entry(task, start);
    }

    /**
     * A retry storm on a fresh deployment: 49 calls in one minute, 25 of them refused (too few requests to judge), then
     * a 50th refused call, the crossing event: 26 of 50 is over the 20 % line.
     */
    private Map.Entry<String, Long> storm(Producer<byte[], byte[]> producer, int i) throws InterruptedException {
        String deployment = "latency-storm-" + i + "-" + System.nanoTime();
        Instant now = Instant.now();
        for (int call = 0; call < 49; call++) {
            send(producer, "bench-storm", usage(deployment + "-" + call, now, "bench-storm", deployment + "-t" + call, "q" + call, deployment,
                    call % 2 == 0 ? 429 : 200, 0));
        }
        producer.flush();
        Thread.sleep(500); // longer than the partial counts' flush: the 49 are counted before the crossing call comes
        long start = System.nanoTime();
        send(producer, "bench-storm", usage(deployment + "-49", now, "bench-storm", deployment + "-t49", "q49", deployment, 429, 0));
        producer.flush();
        return Map.entry(deployment, start);
    }

    private static Long await(Map<String, Long> arrivals, String marker, Duration timeout) throws InterruptedException {
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
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.alerts().name(), topics.alertsEarly().name())) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            while (watching) {
                for (ConsumerRecord<String, Alert> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    Alert alert = record.value();
                    if (alert.getStatus() == AlertStatus.FIRING) {
                        String marker = alert.getTaskId() != null ? alert.getTaskId() : alert.getDeployment();
                        if (marker != null) {
                            (record.topic().equals(topics.alertsEarly().name()) ? early : confirmed).putIfAbsent(marker, now);
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
