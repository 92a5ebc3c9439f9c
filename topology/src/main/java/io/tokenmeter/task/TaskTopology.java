package io.tokenmeter.task;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.streams.DueIndex;
import io.tokenmeter.streams.LatestByKey;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.usage.WindowSize;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * Cost per task: priced calls and task outcomes (both keyed by tenant, so a task's records meet in one partition)
 * → {@link TaskCostProcessor} → {@code task-costs}, plus the per use case and tenant windows of closed tasks that
 * the cost-per-success API reads. Closed tasks also feed a global store, so any instance can answer for any task.
 */
public final class TaskTopology {

    public static final String OPEN_STORE = "task-costs-open-store";
    public static final String WINDOWS_STORE = "task-success-windows-store";
    public static final String CLOSED_STORE = "task-costs-global-store";
    static final String DUE_STORE = "task-costs-due-store";
    static final char SEPARATOR = '\u001F';

    /**
     * Inactivity gap before a task without outcome is ABANDONED; how long a closed task can still be revised by calls
     * that come after it closed; retention of the windows.
     */
    public record Settings(Duration inactivityGap, Duration revisionHorizon, Duration retention) {

        public static Settings from(TokenmeterConfig config) {
            return new Settings(Duration.ofMillis(config.getLong(TokenmeterConfig.TASK_INACTIVITY_GAP)), config.dedupHorizon(),
                    Duration.ofMillis(config.getLong(TokenmeterConfig.WINDOW_RETENTION_1D)));
        }
    }

    private TaskTopology() {
    }

    /** {@code signals}: the usage stage's calls and outcomes in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}). */
    public static void build(StreamsBuilder builder, KStream<String, TaskSignal> signals, TopicCatalog topics, Settings settings,
                             PipelineMetrics metrics) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OPEN_STORE), Serdes.String(), TaskState.SERDE)
                .withCachingEnabled());
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(WINDOWS_STORE), Serdes.Bytes(), TaskTotals.SERDE)
                .withCachingEnabled());
        builder.addStateStore(DueIndex.store(DUE_STORE));
        signals.filter((tenant, s) -> !(s instanceof TaskSignal.Call call) || call.priced().getUsage().getTaskId() != null,
                        Named.as("task-costs-task-signals"))
                .process(() -> new TaskCostProcessor(settings, metrics), Named.as("task-costs-aggregate"), OPEN_STORE, WINDOWS_STORE, DUE_STORE)
                .to(topics.taskCosts().name(), Produced.with(topics.taskCosts().keySerde(), topics.taskCosts().valueSerde()).withName("task-costs-sink"));

        builder.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CLOSED_STORE), Serdes.String(), topics.taskCosts().valueSerde())
                        .withLoggingDisabled(),
                topics.taskCosts().name(),
                Consumed.with(topics.taskCosts().keySerde(), topics.taskCosts().valueSerde()).withName("task-costs-global-source"),
                () -> new LatestByKey<>(CLOSED_STORE));
    }

    /** Open-store key: task id first, so the API can find a task by id with a prefix scan. */
    static String key(String taskId, String tenant) {
        return taskId + SEPARATOR + tenant;
    }

    static String windowDimensions(WindowSize size, TaskCost cost) {
        return size.code() + SEPARATOR + cost.getUseCase() + SEPARATOR + cost.getTenant() + SEPARATOR + cost.getCurrency();
    }
}
