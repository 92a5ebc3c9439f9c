package io.tokenmeter.testing;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import io.tokenmeter.service.DeadLetterHandler;
import io.tokenmeter.service.StreamsDefaults;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.service.TokenmeterTopology;
import io.tokenmeter.normalize.NormalizeTopology;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * The whole tokenmeter topology in a TopologyTestDriver, with the production defaults, an in-memory registry and a
 * fixed clock. Topics are read and written through the catalog, so tests use the same serdes as the service.
 */
public final class TopologyHarness implements AutoCloseable {

    public static final Instant CLOCK_TIME = Instant.parse("2025-06-01T00:00:00Z");

    public final TopicCatalog topics;
    public final TokenmeterConfig config;
    public final Topology topology;
    public final PipelineMetrics metrics = PipelineMetrics.standalone();
    public final TopologyTestDriver driver;
    private final Path stateDir;

    public TopologyHarness() {
        this(Map.of());
    }

    public TopologyHarness(Map<String, ?> overrides) {
        try {
            Files.createDirectories(Path.of("target"));
            stateDir = Files.createTempDirectory(Path.of("target"), "ttd-state-");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<String, Object> values = new HashMap<>(overrides);
        values.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
        values.putIfAbsent(TokenmeterConfig.APPLICATION_ID, "tokenmeter-test");
        values.putIfAbsent(TokenmeterConfig.TOPIC_PARTITIONS, 1); // the driver has one partition per topic: one task per stage
        config = TokenmeterConfig.of(values);
        topics = new TopicCatalog("t.", new InMemorySchemaRegistry("ttd"), 1);
        Properties props = StreamsDefaults.properties(config, topics);
        props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
        topology = TokenmeterTopology.build(topics, config, props, Clock.fixed(CLOCK_TIME, ZoneOffset.UTC), metrics);
        driver = new TopologyTestDriver(topology, props, CLOCK_TIME);
    }

    public <K, V> TestInputTopic<K, V> input(Topic<K, V> topic) {
        return driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer());
    }

    public <K, V> TestOutputTopic<K, V> output(Topic<K, V> topic) {
        return driver.createOutputTopic(topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
    }

    /** The data records written to {@code topic} since the last read: progress markers ({@link Watermarks}) left out. */
    public <K, V> java.util.List<org.apache.kafka.streams.test.TestRecord<K, V>> records(Topic<K, V> topic) {
        return output(topic).readRecordsToList().stream().filter(r -> !Watermarks.isMarker(r.key())).toList();
    }

    /** The values of {@link #records}. */
    public <K, V> java.util.List<V> values(Topic<K, V> topic) {
        return records(topic).stream().map(org.apache.kafka.streams.test.TestRecord::value).toList();
    }

    /** Publishes price entries to the prices topic, keyed per effective-dated entry as the loader does. */
    public void prices(PriceEntry... entries) {
        TestInputTopic<String, PriceEntry> prices = input(topics.prices());
        for (PriceEntry entry : entries) {
            prices.pipeInput(entry.getModel() + "|" + entry.getVersion() + "|" + entry.getDeploymentType() + "|" + entry.getRegion() + "|"
                    + entry.getEffectiveFrom(), entry);
        }
    }

    /** Pipes usage events straight into the usage topic, keyed by tenant, at their event time. */
    public void usage(UsageEvent... events) {
        TestInputTopic<String, UsageEvent> usage = input(topics.usage());
        for (UsageEvent event : events) {
            usage.pipeInput(event.getTenant(), event, event.getTimestamp());
        }
    }

    /**
     * Moves event time to {@code time}, as if every input partition had reached it: the direct inputs (records piped
     * straight into usage or task-outcomes) go idle (wall clock moves past the idle time, which also runs every
     * wall-clock punctuation), and normalize reports {@code time} on usage and task-outcomes. Everything before it is
     * then settled: windows, tasks, detector minutes, budget boundaries.
     */
    public void advanceTo(Instant time) {
        driver.advanceWallClockTime(config.eventTimeIdle().plusSeconds(1));
        long at = time.toEpochMilli();
        input(topics.usage()).pipeInput(Watermarks.record(new Watermarks.Marker(NormalizeTopology.STAGE_DEDUP, 0, 1, false, at)).key(), null, at);
        input(topics.taskOutcomes()).pipeInput(Watermarks.record(new Watermarks.Marker(NormalizeTopology.STAGE_PARSE, 0, 1, false, at)).key(), null, at);
        // a stage that reads another hears of it on that stage's next flush (markers within one minute go on the
        // punctuation), and the stages after the usage stage on the usage stage's flush after that
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
    }

    /** Lets wall-clock punctuations run, as if a second had passed. */
    public void tick() {
        driver.advanceWallClockTime(java.time.Duration.ofSeconds(1));
    }

    /** Pipes one JSON document into ingest.raw. */
    public void raw(String json) {
        input(topics.ingestRaw()).pipeInput(null, json.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // temp dir: the OS cleans it eventually
        }
    }
}
