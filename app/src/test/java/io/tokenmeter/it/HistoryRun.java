package io.tokenmeter.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.history.HistoryDataset;
import io.tokenmeter.history.HistoryBill;
import io.tokenmeter.history.Table;
import io.tokenmeter.history.Truth;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.serde.AvroSerde;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.BudgetScope;
import io.tokenmeter.topics.DeadLetters;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Feeds one {@link HistoryDataset} through {@code tokenmeter run --embedded} in a child process ({@link ServiceProcess})
 * in one of three ways, waits until everything is processed, and reads back what the service reports: the usage and
 * cost-per-success APIs, the latest records of usage.windows, task-costs and budget-status, every alert, and the dead
 * letters. Topics, prices and budgets (and, for a backlog, the raw documents) are written beforehand by an embedded
 * broker in this JVM on the same data directory, so the service finds them when it starts.
 */
final class HistoryRun {

    /** The three ways of feeding one dataset. */
    enum Feed {
        IN_ORDER("in order: every document to raw partition 0 in feed order, into the running service"),
        SKEWED_BACKLOG("skewed backlog: raw partition i holds the i-th quarter of the time range, all produced before the service starts"),
        SKEWED_BACKLOG_KILLED("skewed backlog, and kill -9 of the service with its broker mid catch-up; restarted on the same data directory"),
        TWO_INSTANCES("skewed backlog, worked through by two instances: the second joins mid catch-up and takes over part of the tasks with their state");

        final String description;

        Feed(String description) {
            this.description = description;
        }
    }

    static final int PARTITIONS = 4;
    /** The service's application id, and so its consumer group and internal topic prefix (the default). */
    static final String APPLICATION_ID = "tokenmeter";
    /** The kill comes once at least this share of the raw documents is committed as consumed. */
    static final double KILL_AT = 0.4;
    /** With two instances, the second starts once at least this share of the raw documents is committed as consumed. */
    static final double JOIN_AT = 0.3;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longer than the idle time (event.time.idle.ms, 10 s): the last windows close only once the inputs, caught up and silent, are idle. */
    private static final Duration QUIET = Duration.ofSeconds(15);

    private final String name;
    private final Feed feed;
    private final HistoryDataset dataset;
    private final Truth truth;
    private final Path dir;
    private final Duration timeout;
    private final List<String> notes = new ArrayList<>();
    private final long began = System.nanoTime();
    private TopicCatalog topics;
    private RunResults secondInstance;

    HistoryRun(String name, Feed feed, HistoryDataset dataset, Truth truth, Path dir, Duration timeout) {
        this.name = name;
        this.feed = feed;
        this.dataset = dataset;
        this.truth = truth;
        this.dir = dir;
        this.timeout = timeout;
    }

    RunResults run() throws Exception {
        long deadline = began + timeout.toNanos();
        RunResults results = feed == Feed.SKEWED_BACKLOG_KILLED ? inChildProcess(deadline) : inProcess(deadline);
        note("stopped; the whole run took %.1f s", seconds(began));
        return results.withNotes(notes);
    }

    /** With {@link Feed#TWO_INSTANCES}, what the second instance answered (the same topics, its own API); else null. */
    RunResults secondInstance() {
        return secondInstance == null ? null : secondInstance.withNotes(notes);
    }

    /** (a) and (b): one embedded broker in this JVM is prepared and then serves the service, also in this JVM. */
    private RunResults inProcess(long deadline) throws Exception {
        Path dataDir = dir.resolve("data");
        EmbeddedStack stack = EmbeddedStack.start(dataDir, "127.0.0.1", 0, 0);
        ServiceUnderTest.InProcess service;
        try {
            prepare(stack);
            service = new ServiceUnderTest.InProcess(stack, dataDir.resolve("streams"), settings());
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
        ServiceUnderTest.InProcess second = null;
        try (service) {
            long t0 = System.nanoTime();
            service.start(Duration.ofMinutes(2));
            note("started in this JVM on the same broker: RUNNING after %.1f s", seconds(t0));
            if (feed == Feed.IN_ORDER) {
                // live traffic: the tail, two days later, comes once everything before it has been processed
                produce(service.bootstrapServers(), List.of(dataset.feed().stream().map(HistoryDataset.Line::json).toList()), false);
                note("produced %,d documents to partition 0", dataset.feed().size());
                awaitQuiescent(service, deadline);
                produce(service.bootstrapServers(), List.of(), true);
                note("produced the tail to every partition");
            }
            if (feed == Feed.TWO_INSTANCES) {
                awaitProgress(service, JOIN_AT, deadline);
                second = new ServiceUnderTest.InProcess(stack, dataDir.resolve("streams-2"), settings(), false);
                long t1 = System.nanoTime();
                second.start(Duration.ofMinutes(2));
                note("second instance joined mid catch-up: both RUNNING after %.1f s", seconds(t1));
            }
            boolean complete = awaitQuiescent(service, deadline);
            RunResults results = collect(service, name, complete);
            if (second != null) {
                note("the second instance hosts %d of the usage partitions", second.hostedPartitions(topics.usage().name()));
                secondInstance = collect(second, name + "2", complete);
            }
            return results;
        } finally {
            if (second != null) {
                second.close();
            }
        }
    }

    /**
     * (c): {@code tokenmeter run --embedded} in a child JVM on a data directory prepared by a broker in this JVM, killed
     * with SIGKILL mid catch-up and started again on the same directory and ports.
     */
    private RunResults inChildProcess(long deadline) throws Exception {
        Path dataDir = dir.resolve("data");
        ServiceProcess.Ports ports = ServiceProcess.Ports.free();
        try (EmbeddedStack stack = EmbeddedStack.start(dataDir, "127.0.0.1", ports.kafka(), ports.registry())) {
            prepare(stack);
        }
        try (ServiceProcess service = new ServiceProcess(dataDir, ports, settings(), dir.resolve("service.log"))) {
            start(service, "started in a child JVM");
            killMidCatchUp(service, deadline);
            start(service, "restarted on the same data directory");
            boolean complete = awaitQuiescent(service, deadline);
            RunResults results = collect(service, name, complete);
            service.stop();
            return results;
        }
    }

    private static Map<String, String> settings() {
        return Map.of(TokenmeterConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** Creates the topics, loads prices and budgets, and, for a backlog, the raw documents; the stack stays up. */
    private void prepare(EmbeddedStack stack) throws Exception {
        long t0 = System.nanoTime();
        TokenmeterConfig config = TokenmeterConfig.of(Map.of(TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers(),
                TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl(), TokenmeterConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS),
                TokenmeterConfig.TOPIC_REPLICATION, "1"));
        topics = new TopicCatalog(TopicCatalog.DEFAULT_PREFIX, new HttpSchemaRegistry(stack.registryUrl(), RegistrySettings.DEFAULTS), PARTITIONS);
        StreamsService.createTopics(config, topics);
        if (!"false".equals(System.getProperty("tokenmeter.skewIT.keepHistory"))) {
            keepHistory(config);
        } else {
            note("topics keep the catalog's retention (tokenmeter.skewIT.keepHistory=false)");
        }
        PricePublisher.publish(config.kafkaClientProperties(), topics.prices(), PriceCatalogs.defaultCatalog().entries());
        publishBudgets(config.kafkaClientProperties());
        loadBill(config.kafkaClientProperties());
        if (feed != Feed.IN_ORDER) {
            produce(stack.bootstrapServers(), dataset.timeSlices(PARTITIONS), true);
        }
        note("prepared topics (%d partitions), prices, budgets, the bill%s in %.1f s", PARTITIONS,
                feed == Feed.IN_ORDER ? "" : " and the skewed backlog with its tail", seconds(t0));
    }

    /**
     * The history is from March 2026 and Kafka Streams writes event times as record timestamps, so a topic whose
     * retention is shorter than the history's age (usage and dlq 30 days, usage.windows, task-costs and alerts 90)
     * would be emptied by the broker's retention check within a minute of starting. A replayed history must stay until
     * it has been read: the catalog's time-limited topics keep their records for the test.
     */
    private void keepHistory(TokenmeterConfig config) throws Exception {
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            Map<ConfigResource, java.util.Collection<AlterConfigOp>> changes = new HashMap<>();
            for (Topic<?, ?> topic : topics.all()) {
                if (topic.settings().retention() != null) {
                    changes.put(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()),
                            List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "-1"), AlterConfigOp.OpType.SET)));
                }
            }
            admin.incrementalAlterConfigs(changes).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The history's Azure bill ({@link HistoryBill}), one export run in gzip CSV as Azure lays it out, and its sharing
     * rule, loaded before any usage: its allocation is made as the usage comes, in whatever order and however it crashes.
     */
    private void loadBill(Map<String, Object> clientProperties) throws Exception {
        HistoryBill bill = HistoryBill.of(truth);
        Path container = dir.resolve("bill");
        io.tokenmeter.bills.FocusExportWriter.into(container).export("history-focus").period(bill.period()).runId("history-run")
                .submitted(dataset.params().start()).format(io.tokenmeter.bills.FocusExportWriter.Format.GZIP_CSV).write(bill.rows());
        io.tokenmeter.ingest.CompactedTopics.publish(clientProperties, topics.billingRules(),
                List.of(io.tokenmeter.ingest.CompactedTopics.Update.put("history-search", bill.rule(dataset.params().start()))), "the sharing rule");
        var runs = io.tokenmeter.bills.FocusExports.find(container).runs();
        var loaded = io.tokenmeter.bills.BillPublisher.load(clientProperties, topics.billingCosts(), topics.dlq(), runs,
                java.time.Clock.fixed(dataset.params().start(), java.time.ZoneOffset.UTC), lines -> { });
        if (loaded.size() != 1 || loaded.get(0).lines() != bill.rows().size() || !loaded.get(0).problems().isEmpty()) {
            throw new IllegalStateException("the history's bill did not load whole: " + loaded);
        }
    }

    /** The dataset's budgets, timestamped at the history's start, so nothing in the run depends on today's date. */
    private void publishBudgets(Map<String, Object> clientProperties) throws Exception {
        try (KafkaProducer<String, Budget> producer = new KafkaProducer<>(producerProperties(clientProperties), topics.budgets().keySerde().serializer(),
                topics.budgets().valueSerde().serializer())) {
            for (Budget budget : dataset.budgets()) {
                producer.send(new ProducerRecord<>(topics.budgets().name(), null, dataset.params().start().toEpochMilli(),
                        new BudgetScope(budget.getScopeType(), budget.getScopeValue()).key(), budget)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Each list to its partition, in order, then (when {@code tail}) one tail document to every partition. */
    private void produce(String bootstrapServers, List<List<String>> partitions, boolean tail) throws Exception {
        List<String> tails = dataset.tail(PARTITIONS);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(Map.of("bootstrap.servers", bootstrapServers)),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int partition = 0; partition < partitions.size(); partition++) {
                for (String doc : partitions.get(partition)) {
                    producer.send(new ProducerRecord<>(topics.ingestRaw().name(), partition, null, doc.getBytes(StandardCharsets.UTF_8)));
                }
            }
            for (int partition = 0; tail && partition < PARTITIONS; partition++) {
                producer.send(new ProducerRecord<>(topics.ingestRaw().name(), partition, null, tails.get(partition).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    private static Map<String, Object> producerProperties(Map<String, Object> clientProperties) {
        Map<String, Object> props = new HashMap<>(clientProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return props;
    }

    private void start(ServiceProcess service, String what) throws InterruptedException {
        long t0 = System.nanoTime();
        service.start();
        if (!service.awaitRunning(Duration.ofMinutes(3))) {
            note("%s, but not RUNNING after %.1f s (continuing: the API answers once it is)", what, seconds(t0));
            return;
        }
        note("%s: RUNNING after %.1f s (pid %d)", what, seconds(t0), service.pid());
    }

    /** Kills the child once between {@link #KILL_AT} and all of the raw documents are committed as consumed. */
    private void killMidCatchUp(ServiceProcess service, long deadline) throws Exception {
        double progress = awaitProgress(service, KILL_AT, deadline);
        service.kill();
        note("killed (SIGKILL) at %.1f %% of the raw documents committed as consumed, %.1f s into the run", progress * 100, seconds(began));
    }

    /**
     * Waits until at least {@code share} of the raw documents are committed as consumed, and returns the share; throws
     * when they were all consumed before the harness saw that point (the run would not be mid catch-up any more).
     */
    private double awaitProgress(ServiceUnderTest service, double share, long deadline) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", service.bootstrapServers()))) {
            double progress = 0;
            while (System.nanoTime() < deadline) {
                progress = rawProgress(admin);
                if (progress >= share) {
                    break;
                }
                Thread.sleep(100);
            }
            if (progress >= 1.0) {
                note("MISSED the point: the raw topic was consumed completely before the harness saw %.0f %%", share * 100);
                throw new IllegalStateException("catch-up ended before " + share * 100 + " %; nothing happened mid catch-up");
            }
            return progress;
        }
    }

    /** Committed offsets of the raw partitions over their ends. */
    private double rawProgress(Admin admin) throws Exception {
        List<TopicPartition> raw = partitions(admin, List.of(topics.ingestRaw().name()));
        Map<TopicPartition, Long> ends = offsets(admin, raw, OffsetSpec.latest());
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(APPLICATION_ID).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        long done = 0;
        long all = 0;
        for (TopicPartition partition : raw) {
            all += ends.get(partition);
            OffsetAndMetadata offset = committed.get(partition);
            done += offset == null ? 0 : offset.offset();
        }
        return all == 0 ? 0 : done / (double) all;
    }

    /**
     * Waits until the application's consumer group has no lag on any input or repartition topic, the output topics
     * have not grown and the latest statuses of the compacted budget-status topic have not changed for {@link #QUIET}:
     * everything produced has been processed and nothing (not even a wall-clock flush) is still coming. Statuses written
     * again unchanged are counted and noted: a CI run once saw budget-status written for 15 minutes after the lag was 0
     * with two instances, every result exact (an open question). False when the deadline passes first.
     */
    private boolean awaitQuiescent(ServiceUnderTest service, long deadline) throws Exception {
        long t0 = System.nanoTime();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", service.bootstrapServers()))) {
            List<String> outputs = List.of(topics.usageWindows().name(), topics.taskCosts().name(), topics.alerts().name(),
                    topics.dlq().name(), topics.pricedUsage().name(), topics.costAllocated().name());
            // budget-status is a compacted topic of one status per budget: it has settled when its latest statuses stop changing
            String statusTopic = topics.budgetStatus().name();
            Map<TopicPartition, Long> lastOutputs = Map.of();
            Map<TopicPartition, Long> lastStatusEnds = Map.of();
            Map<String, String> lastStatuses = Map.of();
            long rewrites = 0;
            long quietSince = System.nanoTime();
            long lag = -1;
            java.util.Set<String> growing = new java.util.TreeSet<>();
            while (System.nanoTime() < deadline) {
                try {
                    lag = lag(admin, service.bootstrapServers());
                    Map<TopicPartition, Long> outputEnds = offsets(admin, partitions(admin, outputs), OffsetSpec.latest());
                    Map<TopicPartition, Long> statusEnds = offsets(admin, partitions(admin, List.of(statusTopic)), OffsetSpec.latest());
                    Map<String, String> statuses = statusEnds.equals(lastStatusEnds) ? lastStatuses
                            : latestValues(service.bootstrapServers(), statusEnds);
                    if (!statusEnds.equals(lastStatusEnds) && !lastStatusEnds.isEmpty() && statuses.equals(lastStatuses)) {
                        rewrites++; // the same statuses written again
                    }
                    Map<TopicPartition, Long> before = lastOutputs;
                    boolean moved = !outputEnds.equals(before) || !statuses.equals(lastStatuses);
                    if (moved) {
                        growing.clear(); // the outputs that moved last
                    }
                    outputEnds.forEach((tp, end) -> {
                        if (before.containsKey(tp) && !end.equals(before.get(tp))) {
                            growing.add(tp.topic());
                        }
                    });
                    if (!statuses.equals(lastStatuses) && !lastStatuses.isEmpty()) {
                        growing.add(statusTopic);
                    }
                    lastStatusEnds = statusEnds;
                    if (lag != 0 || moved) {
                        quietSince = System.nanoTime();
                        lastOutputs = outputEnds;
                        lastStatuses = statuses;
                    } else if (System.nanoTime() - quietSince >= QUIET.toNanos()) {
                        note("processing complete (lag 0 on every input and repartition topic, outputs unchanged for %d s) %.1f s after the last start",
                                QUIET.toSeconds(), seconds(t0));
                        if (rewrites > 0) {
                            note("while settling, %s was written %d more time(s) with the statuses it already had", statusTopic, rewrites);
                        }
                        return true;
                    }
                } catch (Exception e) {
                    quietSince = System.nanoTime(); // the broker or group is not answering yet
                }
                Thread.sleep(500);
            }
            note("NOT COMPLETE: lag %d when the run's time (%s) was up, outputs that moved last: %s; results below are what was there",
                    lag, timeout, growing);
            return false;
        }
    }

    /** The latest value of every key of a compacted topic up to {@code ends} (read committed), as text to compare. */
    private static Map<String, String> latestValues(String bootstrapServers, Map<TopicPartition, Long> ends) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> latest = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(ends.keySet());
            consumer.seekToBeginning(ends.keySet());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ends.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() != null && record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        String key = new String(record.key(), StandardCharsets.UTF_8);
                        if (record.value() == null) {
                            latest.remove(key);
                        } else {
                            latest.put(key, java.util.HexFormat.of().formatHex(record.value()));
                        }
                    }
                }
            }
        }
        return latest;
    }

    /**
     * Records still to process on the sources and repartition topics of the application, by its committed offsets. A
     * small gap is read: after a crash, a partition may end in an aborted transaction or a commit marker that the
     * committed offset never passes because nothing follows it, and that is not a record to process.
     */
    private long lag(Admin admin, String bootstrapServers) throws Exception {
        List<String> inputs = new ArrayList<>(List.of(topics.ingestRaw().name(), topics.usage().name(), topics.taskOutcomes().name(),
                topics.budgets().name()));
        admin.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                .filter(topic -> topic.startsWith(APPLICATION_ID + "-") && topic.endsWith("-repartition")).sorted().forEach(inputs::add);
        List<TopicPartition> partitions = partitions(admin, inputs);
        Map<TopicPartition, Long> ends = offsets(admin, partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> starts = offsets(admin, partitions, OffsetSpec.earliest());
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(APPLICATION_ID).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        long lag = 0;
        Map<TopicPartition, Long> small = new HashMap<>();
        for (TopicPartition partition : partitions) {
            OffsetAndMetadata offset = committed.get(partition);
            long from = offset == null ? starts.get(partition) : offset.offset();
            long gap = ends.get(partition) - from;
            if (gap > 0 && gap <= 20) {
                small.put(partition, from);
            } else {
                lag += Math.max(0, gap);
            }
        }
        return small.isEmpty() ? lag : lag + recordsBetween(bootstrapServers, small, ends);
    }

    /** Committed records from each partition's {@code from} offset to its end (aborted ones and markers are not records). */
    private static long recordsBetween(String bootstrapServers, Map<TopicPartition, Long> from, Map<TopicPartition, Long> ends) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrapServers);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (from.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        records++;
                    }
                }
            }
            if (from.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                return Long.MAX_VALUE / 4; // could not tell: not quiet
            }
        }
        return records;
    }

    private static List<TopicPartition> partitions(Admin admin, List<String> names) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).forEach((topic, description) ->
                description.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition()))));
        return partitions;
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(p -> request.put(p, spec));
        Map<TopicPartition, Long> offsets = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS)
                .forEach((p, info) -> offsets.put(p, info.offset()));
        return offsets;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // what the service reports

    /** The API questions asked of every run: per day and per hour, from the first call's day (hour) to the tail's. */
    record Ranges(Instant dayFrom, Instant dayTo, Instant hourFrom, Instant hourTo) {

        static Ranges of(HistoryDataset dataset) {
            return new Ranges(dataset.firstCall().truncatedTo(ChronoUnit.DAYS), dataset.tailTime().truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS),
                    dataset.firstCall().truncatedTo(ChronoUnit.HOURS), dataset.tailTime().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS));
        }

        /** What the truth says each table of a run should hold, by table name. */
        Map<String, Table> expected(Truth truth) {
            Map<String, Table> tables = new LinkedHashMap<>();
            put(tables, truth.usageApi("1d", List.of("tenant"), dayFrom, dayTo));
            put(tables, truth.usageApi("1h", List.of("tenant"), hourFrom, hourTo));
            put(tables, truth.costPerSuccess("1d", List.of("useCase", "tenant"), dayFrom, dayTo));
            put(tables, truth.costPerSuccess("1h", List.of("useCase"), hourFrom, hourTo));
            put(tables, truth.usageWindows());
            put(tables, truth.taskCosts());
            put(tables, truth.budgetStatus());
            put(tables, HistoryBill.of(truth).expected(ALLOCATION));
            return tables;
        }
    }

    private RunResults collect(ServiceUnderTest service, String runName, boolean complete) throws Exception {
        long t0 = System.nanoTime();
        Map<String, Table> tables = new LinkedHashMap<>();
        Ranges ranges = Ranges.of(dataset);
        put(tables, usageApi(service, "1d", "tenant", ranges.dayFrom(), ranges.dayTo()));
        put(tables, usageApi(service, "1h", "tenant", ranges.hourFrom(), ranges.hourTo()));
        put(tables, costPerSuccess(service, "1d", "useCase,tenant", ranges.dayFrom(), ranges.dayTo()));
        put(tables, costPerSuccess(service, "1h", "useCase", ranges.hourFrom(), ranges.hourTo()));
        put(tables, allocation(service, ranges.dayFrom(), ranges.dayTo()));

        HttpSchemaRegistry registry = new HttpSchemaRegistry(service.registryUrl(), RegistrySettings.DEFAULTS);
        Table windows = new Table(truth.usageWindows().name());
        latest(service, topics.usageWindows().name(), AvroSerde.specific(UsageWindow.class, registry)).values().forEach(w -> windows.put(
                String.join("|", w.getWindowSize(), w.getWindowStart().toString(), w.getTenant(), w.getApplication(), w.getUseCase(),
                        w.getCostCenter(), w.getAgent(), w.getModel(), w.getDeployment(), w.getCurrency()),
                Truth.usageFields(w.getRequests(), w.getBilledRequests(), w.getInputTokens(), w.getCachedInputTokens(), w.getOutputTokens(),
                        w.getReasoningTokens(), w.getCostNanos(), w.getUnpricedRequests())));
        put(tables, windows);

        Table tasks = new Table(truth.taskCosts().name());
        latest(service, topics.taskCosts().name(), AvroSerde.specific(TaskCost.class, registry)).values().forEach(t -> tasks.put(t.getTaskId(),
                taskFields(t)));
        put(tables, tasks);

        Table budgets = new Table(truth.budgetStatus().name());
        Table budgetsInFull = new Table("budget-status (every field)");
        latest(service, topics.budgetStatus().name(), AvroSerde.specific(BudgetStatus.class, registry)).forEach((scope, s) -> {
            if (s == null) {
                return; // removed
            }
            Map<String, Object> fields = Truth.budgetFields(s.getPeriodStart().toEpochMilli(), s.getPeriodEnd().toEpochMilli(), s.getAmountNanos(),
                    s.getSpentNanos(), s.getPercent(), s.getThresholdsCrossed(), s.getAction().name(), s.getActionAtLimit().name(), s.getCurrency());
            budgets.put(scope, fields);
            Map<String, Object> all = new LinkedHashMap<>(fields);
            all.put("forecastNanos", s.getForecastNanos());
            all.put("updatedAt", s.getUpdatedAt());
            budgetsInFull.put(scope, all);
        });
        put(tables, budgets);
        put(tables, budgetsInFull);

        List<Alert> alerts = all(service, topics.alerts().name(), AvroSerde.specific(Alert.class, registry)).stream().map(ConsumerRecord::value)
                .filter(Objects::nonNull).toList();
        Map<String, Long> deadLetters = new TreeMap<>();
        all(service, topics.dlq().name(), new ByteArrayDeserializer()).forEach(record -> deadLetters.merge(
                Objects.requireNonNullElse(DeadLetters.header(record.headers(), DeadLetters.REASON), "(no reason)"), 1L, Long::sum));
        note("read the results in %.1f s", seconds(t0));
        return new RunResults(runName, feed, complete, tables, alerts, deadLetters, metrics(service), List.of());
    }

    private static void put(Map<String, Table> tables, Table table) {
        tables.put(table.name(), table);
    }

    static Map<String, Object> taskFields(TaskCost t) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("tenant", t.getTenant());
        fields.put("application", t.getApplication());
        fields.put("useCase", t.getUseCase());
        fields.put("costCenter", t.getCostCenter());
        fields.put("status", t.getStatus().name());
        fields.put("calls", t.getCalls());
        fields.put("retries", t.getRetries());
        fields.put("agentSteps", t.getAgentSteps());
        fields.put("toolCalls", t.getToolCalls());
        fields.put("inputTokens", t.getInputTokens());
        fields.put("cachedInputTokens", t.getCachedInputTokens());
        fields.put("outputTokens", t.getOutputTokens());
        fields.put("reasoningTokens", t.getReasoningTokens());
        fields.put("costNanos", t.getCostNanos());
        fields.put("unpricedCalls", t.getUnpricedCalls());
        fields.put("currency", t.getCurrency());
        fields.put("models", t.getModels().stream().sorted().collect(Collectors.joining(",")));
        fields.put("agents", t.getAgents().stream().sorted().collect(Collectors.joining(",")));
        fields.put("firstEventTime", t.getFirstEventTime());
        fields.put("lastEventTime", t.getLastEventTime());
        fields.put("closedAt", t.getClosedAt());
        fields.put("businessValueNanos", t.getBusinessValueNanos());
        return fields;
    }

    private Table usageApi(ServiceUnderTest service, String window, String by, Instant from, Instant to) throws Exception {
        Table table = new Table(truth.usageApi(window, List.of(by.split(",")), from, to).name());
        for (JsonNode row : apiRows(service, "/api/usage", window, by, from, to)) {
            table.put(rowKey(row, by), Truth.usageFields(row.get("requests").asLong(), row.get("billedRequests").asLong(),
                    row.get("inputTokens").asLong(), row.get("cachedInputTokens").asLong(), row.get("outputTokens").asLong(),
                    row.get("reasoningTokens").asLong(), row.get("costNanos").asLong(), row.get("unpricedRequests").asLong()));
        }
        return table;
    }

    private Table costPerSuccess(ServiceUnderTest service, String window, String by, Instant from, Instant to) throws Exception {
        Table table = new Table(truth.costPerSuccess(window, List.of(by.split(",")), from, to).name());
        for (JsonNode row : apiRows(service, "/api/tasks/cost-per-success", window, by, from, to)) {
            table.put(rowKey(row, by), Truth.costPerSuccessFields(row.get("tasks").asLong(), row.get("succeeded").asLong(), row.get("failed").asLong(),
                    row.get("abandoned").asLong(), row.get("totalCostNanos").asLong(), text(row.get("costPerSuccessfulTask")),
                    text(row.get("businessValuePerCost")), text(row.get("successRate"))));
        }
        return table;
    }

    static final String ALLOCATION = "api allocation by tenant,useCase";

    /** The bill's allocation by tenant and use case, and the bill's totals, once no day is pending. */
    private Table allocation(ServiceUnderTest service, Instant from, Instant to) throws Exception {
        String query = "/api/allocation?by=tenant,useCase&from=" + from + "&to=" + to;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        JsonNode answer = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = service.get(query);
            if (response.statusCode() == 200) {
                answer = JSON.readTree(response.body());
                if (answer.get("pendingDays").isEmpty()) {
                    break;
                }
            }
            Thread.sleep(500);
        }
        Table table = new Table(ALLOCATION);
        if (answer == null) {
            return table;
        }
        for (JsonNode row : answer.get("rows")) {
            table.put(row.get("tenant").asText() + "|" + row.get("useCase").asText(), Map.of("allocatedCostUsd", Table.decimal(row.get("allocatedCostUsd").asText())));
        }
        table.put("(bill)", Map.of("effectiveCostUsd", Table.decimal(answer.get("effectiveCostUsd").asText()),
                "unallocatedCostUsd", Table.decimal(answer.get("unallocatedCostUsd").asText())));
        return table;
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static String rowKey(JsonNode row, String by) {
        List<String> key = new ArrayList<>();
        key.add(row.get("windowStart").asText());
        for (String name : by.split(",")) {
            key.add(row.get(name).asText());
        }
        key.add(row.get("currency").asText());
        return String.join("|", key);
    }

    /** The rows of a windowed API answer; it answers 503 until every partition is hosted and queryable, so ask again for a while. */
    private static JsonNode apiRows(ServiceUnderTest service, String path, String window, String by, Instant from, Instant to) throws Exception {
        String query = path + "?window=" + window + "&by=" + URLEncoder.encode(by, StandardCharsets.UTF_8) + "&from=" + from + "&to=" + to;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        HttpResponse<String> response = null;
        while (System.nanoTime() < deadline) {
            response = service.get(query);
            if (response.statusCode() == 200) {
                return JSON.readTree(response.body()).get("rows");
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(query + " did not answer 200 within 90 s; last: " + (response == null ? "none" : response.statusCode() + " "
                + response.body()));
    }

    /** The service's own counters that say something about lateness and duplicates (reset by a restart). */
    private static Map<String, String> metrics(ServiceUnderTest service) {
        Map<String, String> found = new TreeMap<>();
        try {
            for (String line : service.get("/metrics").body().split("\n")) {
                if (line.startsWith("tokenmeter_late_records_total") || line.startsWith("tokenmeter_duplicates_dropped_total")
                        || line.startsWith("tokenmeter_task_late_records_total") || line.startsWith("tokenmeter_dead_letters_total")) {
                    int space = line.lastIndexOf(' ');
                    found.put(line.substring(0, space), line.substring(space + 1));
                }
            }
        } catch (Exception e) {
            found.put("(metrics unreadable)", e.toString());
        }
        return found;
    }

    /** The latest value per key of a topic (committed records only), read from the beginning to its end. */
    private <V> Map<String, V> latest(ServiceUnderTest service, String topic, Deserializer<V> values) {
        Map<String, V> latest = new TreeMap<>();
        all(service, topic, values).forEach(record -> latest.put(record.key(), record.value()));
        return latest;
    }

    private static <V> List<ConsumerRecord<String, V>> all(ServiceUnderTest service, String topic, Deserializer<V> values) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", service.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within 60 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private void note(String format, Object... args) {
        notes.add(String.format(format, args));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
