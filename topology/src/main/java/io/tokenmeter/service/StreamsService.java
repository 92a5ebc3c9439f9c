package io.tokenmeter.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tokenmeter.anomaly.AlertsApi;
import io.tokenmeter.billing.BillingApi;
import io.tokenmeter.billing.BillingTopology;
import io.tokenmeter.budget.BudgetsApi;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.streams.CaughtUp;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.task.TaskApi;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.topics.TopicCreator;
import io.tokenmeter.usage.UsageApi;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tokenmeter topology: creates missing topics, starts the HTTP API and Kafka Streams, and shuts both down
 * cleanly. Several instances with the same application id share the work and answer queries for each other.
 */
public final class StreamsService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final TokenmeterConfig config;
    private final TopicCatalog topics;
    private final Clock clock;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PipelineMetrics metrics;
    private final AtomicInteger replacedThreads = new AtomicInteger();
    private final CountDownLatch running = new CountDownLatch(1);
    private final RestoreProgress restore = new RestoreProgress();
    private volatile KafkaStreams streams;
    private InputLag inputLag;
    private KafkaStreamsMetrics streamsMetrics;
    private HttpApi http;

    public StreamsService(TokenmeterConfig config, TopicCatalog topics, Clock clock) {
        this.config = config;
        this.topics = topics;
        this.clock = clock;
        registry.config().meterFilter(new PrometheusConventions());
        this.metrics = new PipelineMetrics(registry, config.metricsLabelCap());
    }

    /** Creates missing topics (when configured to), then starts serving and processing. Returns at once. */
    public StreamsService start() {
        int usagePartitions;
        TokenmeterTopology.Partitions partitions;
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            createTopics(admin, config, topics);
            usagePartitions = partitionsOf(admin, topics.usage().name());
            // each stage waits for a watermark from every task of the stage before it: the counts must be the topics' own
            partitions = new TokenmeterTopology.Partitions(partitionsOf(admin, topics.ingestRaw().name()), usagePartitions,
                    partitionsOf(admin, topics.taskOutcomes().name()), config.topicPartitions());
        }
        // the HTTP port must be known before Kafka Streams starts: other instances reach this one through it
        http = new HttpApi(config.httpHost(), config.httpPort());
        HostInfo self = new HostInfo(config.httpAdvertisedHost(), http.port());
        Properties props = StreamsDefaults.properties(config, topics,
                InstanceId.of(Path.of(config.getString(TokenmeterConfig.STATE_DIR)), config.applicationId()));
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
        inputLag = new InputLag(config.kafkaClientProperties(), config.applicationId(), () -> streams);
        props.put(CaughtUp.CONFIG, inputLag);
        Topology topology = TokenmeterTopology.build(topics, config, props, clock, metrics, partitions);
        streams = new KafkaStreams(topology, props);
        streams.setUncaughtExceptionHandler(exception -> {
            // a thread dies on errors the dead-letter handlers cannot absorb (e.g. registry down): restart it, it resumes from its last commit
            LOG.error("stream thread failed, replacing it: {}", exception.toString(), exception);
            replacedThreads.incrementAndGet();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streams.setGlobalStateRestoreListener(restore);
        streams.setStateListener((now, before) -> {
            LOG.info("streams state {} -> {}{}", before, now,
                    now == KafkaStreams.State.RUNNING && restore.restored() > 0 ? " (" + restore.restored() + " changelog records restored since start)" : "");
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        bindMetrics();
        ClusterQuery cluster = new ClusterQuery(streams, self, topics.usage().name(), usagePartitions);
        UsageApi usage = new UsageApi(cluster, clock);

        AlertsApi alerts = new AlertsApi(streams);
        bindAlertGauges(alerts);
        BudgetsApi budgets = new BudgetsApi(streams, clock);
        BillingApi billing = new BillingApi(new ClusterQuery(streams, self, Watermarks.repartitionTopic(config.applicationId(), BillingTopology.USE_BY_DAY),
                partitions.internal()), clock);
        TaskApi tasks = new TaskApi(cluster, clock, billing::allocatedByDay);
        Runnable budgetGauges = budgets.gauges(registry);
        Runnable billingGauges = billing.gauges(registry);

        http.get("/health", request -> health())
                .get("/metrics", request -> {
                    budgetGauges.run();
                    billingGauges.run();
                    return HttpApi.Response.text(200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
                })
                .get("/api/usage", usage::usage)
                .get(UsageApi.INTERNAL_PATH, usage::internal)
                .get("/api/alerts", alerts::alerts)
                .get("/api/tasks/cost-per-success", tasks::costPerSuccess)
                .get(TaskApi.INTERNAL_PATH, tasks::internal)
                .get("/api/tasks/{taskId}", tasks::task)
                .get("/api/budgets", budgets::budgets)
                .get("/api/quota/{scopeType}/{scopeValue}", budgets::quota)
                .get("/api/allocation", billing::allocation)
                .get(BillingApi.INTERNAL_ALLOCATION, billing::internalAllocation)
                .get("/api/reconciliation", billing::reconciliation)
                .get(BillingApi.INTERNAL_RECONCILIATION, billing::internalReconciliation)
                .get("/api", request -> HttpApi.Response.ok(Map.of("endpoints", http.templates())));
        streams.start();
        inputLag.start();
        http.start();
        LOG.info("tokenmeter service {} started; HTTP API on port {}", config.applicationId(), http.port());
        return this;
    }

    /**
     * Creates the catalog's missing topics when {@code topic.create} is on. Safe to call before {@link #start()},
     * e.g. to load prices first: global stores are fully read before any usage is processed.
     */
    public static void createTopics(TokenmeterConfig config, TopicCatalog topics) {
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            createTopics(admin, config, topics);
        }
    }

    private static void createTopics(Admin admin, TokenmeterConfig config, TopicCatalog topics) {
        if (config.createTopics()) {
            List<String> created = TopicCreator.ensure(admin, topics, config.topicReplication());
            if (!created.isEmpty()) {
                LOG.info("created topics {}", created);
            }
        }
    }

    private void bindMetrics() {
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** tokenmeter_alerts_firing{type}: incidents firing now, from this instance's copy of all alerts. */
    private void bindAlertGauges(AlertsApi alerts) {
        for (AlertType type : AlertType.values()) {
            Gauge.builder("tokenmeter.alerts.firing", () -> firing(alerts, type)).tag("type", type.name())
                    .description("Incidents currently firing, by type").register(registry);
        }
    }

    private double firing(AlertsApi alerts, AlertType type) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return Double.NaN;
        }
        try {
            return alerts.all().stream().filter(a -> a.getType() == type && a.getStatus() == AlertStatus.FIRING).count();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * Records the application has still to process on its input topics (sources and repartitions), by its committed
     * offsets against the last committed records of each partition; -1 when Kafka cannot tell right now. Zero means
     * everything that was sent so far has been processed and its results committed (exactly-once commits both).
     */
    public long committedLag() {
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.applicationId())
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(partition -> latest.put(partition, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS);
            long lag = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> entry : committed.entrySet()) {
                if (entry.getValue() != null && ends.containsKey(entry.getKey())) {
                    lag += Math.max(0, ends.get(entry.getKey()).offset() - entry.getValue().offset());
                }
            }
            return lag;
        } catch (ExecutionException | TimeoutException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The topic's partition count; a topic created a moment ago may take a few seconds to reach the broker's metadata. */
    private static int partitionsOf(Admin admin, String topic) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot describe topic " + topic + " (does it exist? is Kafka reachable?): " + e.getMessage(), e);
                }
                sleep(200);
            } catch (TimeoutException e) {
                throw new IllegalStateException("cannot describe topic " + topic + " (is Kafka reachable?): " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while describing " + topic, e);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for topic metadata", e);
        }
    }

    private HttpApi.Response health() {
        KafkaStreams.State state = streams.state();
        boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        String status = up ? "UP" : (state == KafkaStreams.State.CREATED ? "STARTING" : "DOWN");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("streams", state.name());
        body.put("applicationId", config.applicationId());
        body.put("topicPrefix", topics.prefix());
        body.put("replacedThreads", replacedThreads.get());
        // after a crash the stores are rebuilt from their changelogs before queries are answered: this is what is left
        body.put("restoringRecords", restore.remaining());
        return HttpApi.Response.json(up ? 200 : 503, body);
    }

    /** Waits until Kafka Streams first reaches RUNNING. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The service's own counters (tokens, cost, dead letters, late records, duplicates). */
    /** Changelog records restored into this instance's stores since it started. */
    public long restoredRecords() {
        return restore.restored();
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public HttpApi http() {
        return http;
    }

    public int httpPort() {
        return http.port();
    }

    @Override
    public void close() {
        if (inputLag != null) {
            inputLag.close();
        }
        if (streams != null) {
            // leave the group: the remaining instances take over at once instead of after the session timeout
            streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (http != null) {
            http.close();
        }
        registry.close();
    }
}
