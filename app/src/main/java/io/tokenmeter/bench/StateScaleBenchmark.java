package io.tokenmeter.bench;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.task.TaskTopology;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.function.Consumer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * How much state costs: the heap and disk the service holds with many open tasks and many usage series, and how long
 * a new instance takes to rebuild that state from the changelogs when its local state is lost (a new machine, a wiped
 * disk). Every task is one call with no outcome inside the inactivity gap, so all of them stay open; every call is a
 * different tenant x agent x model series, up to the series count.
 */
public final class StateScaleBenchmark {

    /** What to run. */
    public record Options(int tasks, int series, int partitions, Duration timeout) {
    }

    /** What was measured. */
    public record Result(int tasks, int series, long openTasks, Duration ingest, long heapBaselineBytes, long heapWithStateBytes, long stateDiskBytes,
                         Duration restore, long restoredRecords) {
        public long heapForStateBytes() {
            return Math.max(0, heapWithStateBytes - heapBaselineBytes);
        }
    }

    /** Models of the default price catalog, so every call is priced as in production. */
    private static final String[][] MODELS = {
        {"gpt-4o", "gpt-4o-prod", "global", "eastus2"},
        {"gpt-4.1", "gpt-41-prod", "global", "eastus2"},
        {"gpt-4.1-mini", "gpt-41-mini-dz", "datazone", "swedencentral"},
        {"o4-mini", "o4-mini-prod", "global", "eastus2"},
        {"text-embedding-3-small", "embed-small", "global", "eastus2"},
    };
    private static final int AGENTS = 20;

    private final Options options;
    private final Consumer<String> progress;

    public StateScaleBenchmark(Options options, Consumer<String> progress) {
        if (options.tasks() < 1 || options.series() < 1) {
            throw new IllegalArgumentException("tasks and series must be at least 1");
        }
        this.options = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        Path dir = Files.createTempDirectory("tokenmeter-bench-state-");
        try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("kafka"), "127.0.0.1", 0, 0)) {
            // a minute of recent event time: no task reaches the inactivity gap, no data the topics' retention
            Instant origin = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(5));
            progress.accept(String.format("generating %,d tasks over %,d tenant x agent x model series into a file...", options.tasks(), options.series()));
            int[] next = {0};
            Benchmark.DocFile docs = Benchmark.DocFile.write(dir.resolve("state.docs"), () -> call(next[0]++, origin), options.tasks());

            TokenmeterConfig config = TokenmeterConfig.of(Benchmark.onStack(stack, "tokenmeter-bench-state", dir.resolve("streams"),
                    options.partitions()));
            TopicCatalog topics = new TopicCatalog(config.topicPrefix(), new HttpSchemaRegistry(stack.registryUrl(), RegistrySettings.DEFAULTS),
                    options.partitions());
            StreamsService.createTopics(config, topics);
            PricePublisher.publish(config.kafkaClientProperties(), topics.prices(), PriceCatalogs.defaultCatalog().entries());
            long baseline = liveHeap();

            Duration ingest;
            long open;
            long withState;
            try (StreamsService service = new StreamsService(config, topics, Clock.systemUTC()).start()) {
                awaitRunning(service);
                progress.accept(String.format("moving %,d calls through the pipeline...", options.tasks()));
                ingest = Benchmark.move(config, docs, topics.ingestRaw().name(), topics.pricedUsage().name(), docs.usage(), true, options.timeout());
                progress.accept("waiting until event time has passed the calls and every task is open in the task store...");
                open = awaitOpenTasks(service, options.tasks());
                withState = liveHeap();
            }
            long disk = size(dir.resolve("streams"));

            progress.accept("local state deleted; a new instance restores it from the changelogs...");
            Benchmark.deleteRecursively(dir.resolve("streams"));
            long start = System.nanoTime();
            Duration restore;
            long restored;
            try (StreamsService service = new StreamsService(config, topics, Clock.systemUTC()).start()) {
                awaitRunning(service);
                restore = Duration.ofNanos(System.nanoTime() - start);
                restored = service.restoredRecords();
            }
            return new Result(options.tasks(), options.series(), open, ingest, baseline, withState, disk, restore, restored);
        } finally {
            Benchmark.deleteRecursively(dir);
        }
    }

    /** Task {@code i}: one call of series {@code i mod series}, spread over the first minute after {@code origin}. */
    private Benchmark.Doc call(int i, Instant origin) {
        int series = i % options.series();
        String[] model = MODELS[series % MODELS.length];
        int agent = (series / MODELS.length) % AGENTS;
        int tenant = series / (MODELS.length * AGENTS);
        Instant time = origin.plusNanos(60_000_000_000L / options.tasks() * i);
        String json = "{\"kind\":\"usage\",\"eventId\":\"state-" + i + "\",\"timestamp\":\"" + time + "\",\"tenant\":\"tenant-" + tenant
                + "\",\"application\":\"app-" + tenant % 50 + "\",\"useCase\":\"case-" + agent % 5 + "\",\"agent\":\"agent-" + agent
                + "\",\"taskId\":\"task-" + i + "\",\"model\":\"" + model[0] + "\",\"deployment\":\"" + model[1] + "\",\"deploymentType\":\""
                + model[2] + "\",\"region\":\"" + model[3] + "\",\"statusCode\":200,\"promptHash\":\"p-" + i
                + "\",\"inputTokens\":1200,\"outputTokens\":300}";
        return new Benchmark.Doc(("tenant-" + tenant).getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8), true);
    }

    private void awaitRunning(StreamsService service) throws InterruptedException {
        if (!service.awaitRunning(options.timeout())) {
            throw new IllegalStateException("the service did not reach RUNNING within " + options.timeout().toSeconds() + " s");
        }
    }

    /** Waits until the open-task store holds {@code expected} tasks (they enter it as event time passes them). */
    private long awaitOpenTasks(StreamsService service, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        long open = 0;
        while (System.nanoTime() < deadline) {
            open = openTasks(service.streams());
            if (open >= expected) {
                return open;
            }
            Thread.sleep(2000);
        }
        throw new IllegalStateException("only " + open + " of " + expected + " tasks open after " + options.timeout().toSeconds() + " s");
    }

    private static long openTasks(KafkaStreams streams) {
        try {
            ReadOnlyKeyValueStore<String, Object> store = streams.store(StoreQueryParameters.fromNameAndType(TaskTopology.OPEN_STORE,
                    QueryableStoreTypes.<String, Object>keyValueStore()));
            long count = 0;
            try (var all = store.all()) {
                while (all.hasNext()) {
                    if (!all.next().key.startsWith("\u0000")) {
                        count++;
                    }
                }
            }
            return count;
        } catch (RuntimeException e) {
            return 0; // not queryable yet (rebalancing)
        }
    }

    /** The heap still in use after a full collection: what the process really holds. */
    private static long liveHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long size(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
