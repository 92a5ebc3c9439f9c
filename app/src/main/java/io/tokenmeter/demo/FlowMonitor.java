package io.tokenmeter.demo;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.task.TaskTotals;
import io.tokenmeter.topics.DeadLetters;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches what the pipeline writes (usage, priced usage, task outcomes, dead letters, alerts) and keeps running totals of
 * calls, tokens and cost per tenant, model and agent for the demo's live view. Reads committed records only, as any downstream consumer would.
 */
public final class FlowMonitor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FlowMonitor.class);

    /** Calls, tokens and cost of one tenant, model or agent. */
    /** What Azure's meters count of the billed calls: per UTC day, resource, model and deployment type. */
    public record Metered(String day, String resourceId, String model, String deploymentType) {
    }

    private final Map<Metered, long[]> meter = new java.util.TreeMap<>(java.util.Comparator.comparing(Metered::toString));

    /** Uncached input, cached input and output tokens of the billed calls read so far, as Azure's meters would count them. */
    public synchronized Map<Metered, long[]> meter() {
        Map<Metered, long[]> copy = new java.util.LinkedHashMap<>();
        meter.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }

    public record Row(String name, long calls, long tokens, long costNanos) {
    }

    /** Totals at one moment; {@code alerts} are the alert records in the order they arrived. */
    public record Snapshot(long usage, long priced, long unpriced, long costNanos, long succeeded, long failed, long deadLetters,
                           Map<String, Long> deadLettersByReason, List<Row> tenants, List<Row> models, List<Row> agents, Instant lastEventTime,
                           List<Alert> alerts, Map<String, TaskTotals> useCases, Map<String, BudgetStatus> budgets) {
        public long outcomes() {
            return succeeded + failed;
        }
    }

    private final TopicCatalog topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, long[]> tenants = new HashMap<>();
    private final Map<String, long[]> models = new HashMap<>();
    private final Map<String, long[]> agents = new HashMap<>();
    private final Map<String, Long> deadByReason = new TreeMap<>();
    private final List<Alert> alerts = new ArrayList<>();
    private final Map<String, TaskTotals> useCases = new TreeMap<>();
    /** The latest record of each task: a revision replaces it in the totals. */
    private final Map<String, TaskCost> tasks = new HashMap<>();
    private final Map<String, BudgetStatus> budgets = new TreeMap<>();
    private long usage;
    private long priced;
    private long unpriced;
    private long costNanos;
    private long succeeded;
    private long failed;
    private long deadLetters;
    private Instant lastEventTime;
    private long lastBudgetStatus = System.nanoTime();
    private volatile boolean stopping;
    private Thread thread;

    public FlowMonitor(Map<String, Object> clientProps, TopicCatalog topics) {
        this.topics = topics;
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    public FlowMonitor start() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.usage().name(), topics.pricedUsage().name(), topics.taskOutcomes().name(), topics.dlq().name(),
                topics.alerts().name(), topics.taskCosts().name(), topics.budgetStatus().name())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::run, "demo-flow-monitor");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (!stopping) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    count(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("flow monitor stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private synchronized void count(ConsumerRecord<byte[], byte[]> record) {
        if (Watermarks.isMarkerKey(record.key())) {
            return; // how far event time has come, not a call or an outcome
        }
        if (record.topic().equals(topics.usage().name())) {
            usage++;
        } else if (record.topic().equals(topics.pricedUsage().name())) {
            PricedUsage call = topics.pricedUsage().valueSerde().deserializer().deserialize(record.topic(), record.value());
            UsageEvent event = call.getUsage();
            long tokens = event.getInputTokens() + event.getOutputTokens();
            priced++;
            unpriced += call.getPriced() ? 0 : 1;
            costNanos += call.getCostNanos();
            add(tenants, event.getTenant(), tokens, call.getCostNanos());
            if (call.getBilled()) {
                long cached = Math.min(event.getCachedInputTokens(), event.getInputTokens());
                long[] metered = meter.computeIfAbsent(new Metered(event.getTimestamp().toString().substring(0, 10), String.valueOf(event.getResourceId()),
                        event.getModel(), event.getDeploymentType()), k -> new long[3]);
                metered[0] += event.getInputTokens() - cached;
                metered[1] += cached;
                metered[2] += event.getOutputTokens();
            }
            add(models, event.getModel(), tokens, call.getCostNanos());
            add(agents, event.getAgent(), tokens, call.getCostNanos());
            if (lastEventTime == null || event.getTimestamp().isAfter(lastEventTime)) {
                lastEventTime = event.getTimestamp();
            }
        } else if (record.topic().equals(topics.taskOutcomes().name())) {
            TaskOutcome outcome = topics.taskOutcomes().valueSerde().deserializer().deserialize(record.topic(), record.value());
            if (outcome.getStatus() == OutcomeStatus.SUCCEEDED) {
                succeeded++;
            } else {
                failed++;
            }
        } else if (record.topic().equals(topics.alerts().name())) {
            alerts.add(topics.alerts().valueSerde().deserializer().deserialize(record.topic(), record.value()));
        } else if (record.topic().equals(topics.taskCosts().name())) {
            TaskCost task = topics.taskCosts().valueSerde().deserializer().deserialize(record.topic(), record.value());
            TaskCost before = tasks.put(task.getTaskId(), task);
            if (before != null) {
                useCases.get(before.getUseCase()).remove(before);
            }
            useCases.computeIfAbsent(task.getUseCase(), u -> new TaskTotals()).add(task);
        } else if (record.topic().equals(topics.budgetStatus().name())) {
            lastBudgetStatus = System.nanoTime();
            String scope = new String(record.key(), StandardCharsets.UTF_8);
            if (record.value() == null) {
                budgets.remove(scope);
            } else {
                budgets.put(scope, topics.budgetStatus().valueSerde().deserializer().deserialize(record.topic(), record.value()));
            }
        } else {
            deadLetters++;
            String reason = DeadLetters.header(record.headers(), DeadLetters.REASON);
            deadByReason.merge(reason == null ? "unknown" : reason, 1L, Long::sum);
        }
    }

    private static void add(Map<String, long[]> rows, String name, long tokens, long cost) {
        long[] row = rows.computeIfAbsent(name, n -> new long[3]);
        row[0]++;
        row[1] += tokens;
        row[2] += cost;
    }

    /** How long ago the last budget status arrived here: once the service has nothing left to process, a pause means this monitor read them all. */
    public synchronized Duration sinceLastBudgetStatus() {
        return Duration.ofNanos(System.nanoTime() - lastBudgetStatus);
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(usage, priced, unpriced, costNanos, succeeded, failed, deadLetters, Map.copyOf(deadByReason),
                top(tenants), top(models), top(agents), lastEventTime, List.copyOf(alerts), copy(useCases), Collections.unmodifiableMap(new TreeMap<>(budgets)));
    }

    private static Map<String, TaskTotals> copy(Map<String, TaskTotals> totals) {
        Map<String, TaskTotals> copy = new TreeMap<>();
        totals.forEach((useCase, t) -> copy.put(useCase, new TaskTotals().add(t)));
        return copy;
    }

    private static List<Row> top(Map<String, long[]> rows) {
        return rows.entrySet().stream()
                .map(e -> new Row(e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]))
                .sorted(Comparator.comparingLong(Row::costNanos).reversed().thenComparing(Row::name))
                .toList();
    }

    @Override
    public void close() {
        stopping = true;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
