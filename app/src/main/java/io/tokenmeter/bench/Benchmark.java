package io.tokenmeter.bench;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.demo.DemoWorkload;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.ingest.JsonLinesProducer;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Measures, on the embedded broker in this process, how fast the full pipeline (normalize, dedup, price, windows)
 * moves generated events end to end, against a plain producer and consumer moving the same records through the
 * same broker.
 */
public final class Benchmark {

    /** What to run. */
    public record Options(int events, int warmup, int partitions, int threads, String guarantee, long commitIntervalMs, long seed,
                          boolean profile, Duration timeout, Map<String, String> settings, int incidents) {
    }

    /** What was measured. */
    public record Result(int events, long usageEvents, double pipeEventsPerSecond, Duration pipeTime, double pipelineEventsPerSecond,
                         Duration pipelineTime, double pipelineCores, Map<String, Double> coresByThread, long peakHeapBytes, Profile.Summary profile,
                         List<DetectionLatency.Samples> detection) {
        public double ratio() {
            return pipelineEventsPerSecond / pipeEventsPerSecond;
        }
    }

    /** One document with its key. */
    record Doc(byte[] key, byte[] value, boolean usage) {
    }

    /** Events per second of event time in the generated data: the throughput the benchmark aims at. */
    static final int EVENT_TIME_RATE = 50_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Options options;
    private final java.util.function.Consumer<String> progress;
    private final AtomicLong peakHeap = new AtomicLong();

    public Benchmark(Options options, java.util.function.Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        Thread sampler = heapSampler();
        Path dir = Files.createTempDirectory("tokenmeter-bench-");
        try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("kafka"), "127.0.0.1", 0, 0)) {
            progress.accept(String.format("generating %,d warm-up and %,d measured events (seed %d) into files...", options.warmup(), options.events(),
                    options.seed()));
            // written to a file and read back while sending: the heap holds no event, so the peak heap is the service's
            // recent times: older records would be deleted by the topics' time retention while the benchmark runs
            Instant origin = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(30));
            Generator generator = new Generator(new DemoWorkload(options.seed(), origin), origin);
            DocFile warmup = DocFile.write(dir.resolve("warmup.docs"), generator::next, options.warmup());
            DocFile docs = DocFile.write(dir.resolve("measured.docs"), generator::next, options.events());
            long usageCount = docs.usage();
            Map<String, String> values = new HashMap<>(options.settings());
            values.putAll(onStack(stack, "tokenmeter-bench", dir.resolve("streams"), options.partitions()));
            values.putAll(Map.of(
                    TokenmeterConfig.STREAM_THREADS, Integer.toString(options.threads()),
                    TokenmeterConfig.PROCESSING_GUARANTEE, options.guarantee(),
                    TokenmeterConfig.COMMIT_INTERVAL, Long.toString(options.commitIntervalMs())));
            TokenmeterConfig config = TokenmeterConfig.of(values);
            TopicCatalog topics = new TopicCatalog(config.topicPrefix(), new HttpSchemaRegistry(stack.registryUrl(), RegistrySettings.DEFAULTS),
                    options.partitions());

            progress.accept("raw broker pipe: a plain producer and consumer move the same records...");
            String pipeTopic = "bench.pipe";
            stack.kafka().createTopics(List.of(new NewTopic(pipeTopic, options.partitions(), (short) 1)));
            // the JIT compiles the broker's and clients' hot paths during the first run; warm up before measuring
            move(config, warmup, pipeTopic, pipeTopic, warmup.count(), false);
            Duration pipe = move(config, docs, pipeTopic, pipeTopic, docs.count(), false);

            progress.accept("full pipeline (" + options.guarantee() + ", " + options.threads() + " stream thread(s), "
                    + options.partitions() + " partitions): normalize, dedup, price, windows...");
            StreamsService.createTopics(config, topics);
            PricePublisher.publish(config.kafkaClientProperties(), topics.prices(), PriceCatalogs.defaultCatalog().entries());
            Profile.Summary summary = null;
            Duration pipeline;
            CpuMeter.Use cpuUse;
            List<DetectionLatency.Samples> detection = List.of();
            try (StreamsService service = new StreamsService(config, topics, Clock.systemUTC()).start()) {
                if (!service.awaitRunning(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("the service did not start within 120 s");
                }
                move(config, warmup, topics.ingestRaw().name(), topics.pricedUsage().name(), warmup.usage(), true);
                Profile profile = options.profile() ? Profile.start() : null;
                CpuMeter cpu = CpuMeter.start();
                try {
                    pipeline = move(config, docs, topics.ingestRaw().name(), topics.pricedUsage().name(), usageCount, true);
                    cpuUse = cpu.stop(pipeline);
                    if (profile != null) {
                        summary = profile.stop(25);
                    }
                } finally {
                    if (profile != null) {
                        profile.close();
                    }
                }
                if (options.incidents() > 0) {
                    progress.accept(String.format("detection latency: %d runaway loops and %d retry storms, one at a time...",
                            options.incidents(), options.incidents()));
                    detection = new DetectionLatency(config, topics).measure(options.incidents());
                }
            }
            sampler.interrupt();
            return new Result(docs.count(), usageCount, docs.count() / seconds(pipe), pipe, docs.count() / seconds(pipeline), pipeline,
                    cpuUse.cores(), cpuUse.byThreadGroup(), peakHeap.get(), summary, detection);
        } finally {
            sampler.interrupt();
            deleteRecursively(dir);
        }
    }

    /** The settings of a service under test on {@code stack}: its own application id and state, any free HTTP port. */
    static Map<String, String> onStack(EmbeddedStack stack, String applicationId, Path stateDir, int partitions) {
        return Map.of(
                TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers(),
                TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl(),
                TokenmeterConfig.APPLICATION_ID, applicationId,
                TokenmeterConfig.STATE_DIR, stateDir.toString(),
                TokenmeterConfig.HTTP_PORT, "0",
                TokenmeterConfig.TOPIC_REPLICATION, "1",
                TokenmeterConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
    }

    /**
     * The demo workload's documents, re-stamped as if they arrived at {@link #EVENT_TIME_RATE} per second: the demo
     * spreads 20,000 events over a day, which would make every window close after a handful of events.
     */
    static final class Generator {
        private final DemoWorkload workload;
        private final Instant origin;
        private final ArrayDeque<DemoWorkload.Event> pending = new ArrayDeque<>();
        private Instant until;
        private long generated;

        /** Events of {@code workload}, the first one at {@code origin}. */
        Generator(DemoWorkload workload, Instant origin) {
            this.workload = workload;
            this.origin = origin;
            this.until = workload.start();
        }

        Doc next() {
            while (true) {
                while (pending.isEmpty()) {
                    until = until.plus(Duration.ofHours(1));
                    pending.addAll(workload.advanceTo(until));
                }
                DemoWorkload.Event event = pending.poll();
                if (event.kind() == DemoWorkload.Kind.USAGE || event.kind() == DemoWorkload.Kind.OUTCOME) {
                    Instant time = origin.plusNanos(generated++ * (1_000_000_000L / EVENT_TIME_RATE));
                    return new Doc(event.tenant().getBytes(StandardCharsets.UTF_8), restamp(event.json(), time), event.kind() == DemoWorkload.Kind.USAGE);
                }
            }
        }
    }

    /** Generated documents in a file (key, value and kind, length-prefixed), read back as they are sent. */
    record DocFile(Path file, int count, long usage) implements Iterable<Doc> {

        static DocFile write(Path file, java.util.function.Supplier<Doc> generator, int count) throws IOException {
            long usage = 0;
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
                for (int i = 0; i < count; i++) {
                    Doc doc = generator.get();
                    out.writeInt(doc.key().length);
                    out.write(doc.key());
                    out.writeInt(doc.value().length);
                    out.write(doc.value());
                    out.writeBoolean(doc.usage());
                    usage += doc.usage() ? 1 : 0;
                }
            }
            return new DocFile(file, count, usage);
        }

        @Override
        public Iterator<Doc> iterator() {
            DataInputStream in;
            try {
                in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Iterator<>() {
                private int read;

                @Override
                public boolean hasNext() {
                    if (read < count) {
                        return true;
                    }
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // read to the end already
                    }
                    return false;
                }

                @Override
                public Doc next() {
                    try {
                        byte[] key = in.readNBytes(in.readInt());
                        byte[] value = in.readNBytes(in.readInt());
                        boolean usage = in.readBoolean();
                        read++;
                        return new Doc(key, value, usage);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }
    }

    private static byte[] restamp(byte[] json, Instant time) {
        try {
            ObjectNode doc = (ObjectNode) JSON.readTree(json);
            doc.put("timestamp", time.toString());
            return JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends every document to {@code in} and returns the time until {@code expected} records can be read from
     * {@code out} (committed records only when {@code committed}).
     */
    private Duration move(TokenmeterConfig config, Iterable<Doc> docs, String in, String out, long expected, boolean committed) throws Exception {
        return move(config, docs, in, out, expected, committed, options.timeout());
    }

    /** As {@link #move(TokenmeterConfig, Iterable, String, String, long, boolean)}, giving up after {@code timeout}. */
    static Duration move(TokenmeterConfig config, Iterable<Doc> docs, String in, String out, long expected, boolean committed, Duration timeout)
            throws Exception {
        Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, committed ? "read_committed" : "read_uncommitted");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        AtomicLong received = new AtomicLong();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(out).stream().map(p -> new TopicPartition(out, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            Instant start = Instant.now();
            Thread sender = new Thread(() -> send(config, docs, in), "bench-producer");
            sender.start();
            Instant deadline = start.plus(timeout);
            while (received.get() < expected) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s: " + received.get() + " of "
                            + expected + " records reached " + out);
                }
                received.addAndGet(consumer.poll(Duration.ofMillis(100)).count());
            }
            Duration elapsed = Duration.between(start, Instant.now());
            sender.join();
            return elapsed;
        }
    }

    private static void send(TokenmeterConfig config, Iterable<Doc> docs, String topic) {
        try (Producer<byte[], byte[]> producer = JsonLinesProducer.newProducer(config.kafkaClientProperties())) {
            for (Doc doc : docs) {
                producer.send(new ProducerRecord<>(topic, doc.key(), doc.value()));
            }
            producer.flush();
        }
    }

    private Thread heapSampler() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        Thread thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-heap-sampler");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static double seconds(Duration d) {
        return Math.max(d.toNanos() / 1e9, 1e-9);
    }

    static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory
        }
    }
}
