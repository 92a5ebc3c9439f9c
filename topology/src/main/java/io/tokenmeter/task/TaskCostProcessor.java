package io.tokenmeter.task;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.streams.EventClock;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.usage.WindowKey;
import io.tokenmeter.usage.WindowSize;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Adds up every priced call of a task and closes the task once: when the grace has passed after its outcome
 * (SUCCEEDED or FAILED; calls that arrive meanwhile still count), or when the grace has passed after the inactivity
 * gap without an outcome (ABANDONED, as of the end of the gap). A closed task is written to {@code task-costs} and counted into its use case's 1-hour and 1-day
 * windows, by the time it closed. Time is this processor's own event time ({@link EventClock}).
 *
 * <p>A closed task is remembered for one more grace period after it closed, so a call or outcome that comes after it closed is
 * recognised (counted in {@code tokenmeter_task_late_records_total}) instead of opening a new, partial task.
 */
final class TaskCostProcessor extends ContextualProcessor<String, TaskSignal, String, TaskCost> {

    static final WindowSize[] SIZES = {WindowSize.ONE_HOUR, WindowSize.ONE_DAY};

    private final TaskTopology.Settings settings;
    private final PipelineMetrics metrics;
    private final EventClock clock = new EventClock(WindowSize.ONE_MINUTE.millis());
    private KeyValueStore<String, TaskState> tasks;
    private KeyValueStore<Bytes, TaskTotals> windows;

    TaskCostProcessor(TaskTopology.Settings settings, PipelineMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, TaskCost> context) {
        super.init(context);
        tasks = context.getStateStore(TaskTopology.OPEN_STORE);
        windows = context.getStateStore(TaskTopology.WINDOWS_STORE);
    }

    @Override
    public void process(Record<String, TaskSignal> record) {
        if (record.value() instanceof TaskSignal.Call call) {
            PricedUsage priced = call.priced();
            String taskId = priced.getUsage().getTaskId();
            if (taskId == null) {
                return;
            }
            tick(priced.getUsage().getTimestamp().toEpochMilli());
            String key = TaskTopology.key(taskId, priced.getUsage().getTenant());
            TaskState state = open(key, taskId, priced.getUsage().getTenant());
            if (state == null) {
                return;
            }
            state.add(priced);
            tasks.put(key, state);
        } else if (record.value() instanceof TaskSignal.Ended ended) {
            TaskOutcome outcome = ended.outcome();
            tick(outcome.getTimestamp().toEpochMilli());
            String key = TaskTopology.key(outcome.getTaskId(), outcome.getTenant());
            TaskState state = open(key, outcome.getTaskId(), outcome.getTenant());
            if (state == null) {
                return;
            }
            state.end(outcome);
            tasks.put(key, state);
        }
    }

    /** The task's state, new if it was not open; null (and counted as late) when the task has already closed. */
    private TaskState open(String key, String taskId, String tenant) {
        TaskState state = tasks.get(key);
        if (state != null && state.closed()) {
            metrics.taskLate();
            return null;
        }
        if (state == null) {
            state = new TaskState();
            state.taskId = taskId;
            state.tenant = tenant;
        }
        return state;
    }

    private void tick(long time) {
        if (clock.observe(time)) {
            sweep(clock.now());
        }
    }

    /** Closes the tasks that are due at event time {@code now} and forgets those closed more than a grace ago. */
    private void sweep(long now) {
        long grace = settings.grace().toMillis();
        List<KeyValue<String, TaskState>> due = new ArrayList<>();
        List<String> forget = new ArrayList<>();
        try (KeyValueIterator<String, TaskState> all = tasks.all()) {
            while (all.hasNext()) {
                KeyValue<String, TaskState> entry = all.next();
                TaskState state = entry.value;
                if (state.closed()) {
                    if (state.forgetAt <= now) {
                        forget.add(entry.key);
                    }
                } else if (state.outcome != null ? state.outcomeAt + grace <= now
                        : state.lastEventTime + settings.inactivityGap().toMillis() + grace <= now) {
                    // an abandoned task waits a grace too: its outcome comes through a repartition and may be late
                    due.add(entry);
                }
            }
        }
        for (KeyValue<String, TaskState> entry : due) {
            close(entry.value);
            entry.value.forgetAt = now + grace;
            tasks.put(entry.key, entry.value);
        }
        forget.forEach(tasks::delete);
        expireWindows(now);
    }

    private void close(TaskState state) {
        TaskStatus status;
        long closedAt;
        if (state.outcome != null) {
            status = state.outcome == OutcomeStatus.SUCCEEDED ? TaskStatus.SUCCEEDED : TaskStatus.FAILED;
            closedAt = state.outcomeAt;
        } else {
            status = TaskStatus.ABANDONED;
            closedAt = state.lastEventTime + settings.inactivityGap().toMillis();
        }
        state.closedAt = closedAt;
        TaskCost cost = state.toRecord(status, closedAt);
        for (WindowSize size : SIZES) {
            Bytes key = WindowKey.of(size.windowStart(closedAt), TaskTopology.windowDimensions(size, cost));
            TaskTotals totals = windows.get(key);
            windows.put(key, (totals == null ? new TaskTotals() : totals).add(cost));
        }
        metrics.taskClosed(cost);
        context().forward(new Record<>(cost.getTaskId(), cost, closedAt));
    }

    private void expireWindows(long now) {
        long before = now - settings.retention().toMillis();
        if (before <= 0) {
            return;
        }
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, TaskTotals> old = windows.range(WindowKey.startingAt(0), WindowKey.startingAt(before))) {
            while (old.hasNext()) {
                Bytes key = old.next().key;
                if (WindowKey.start(key) < before) {
                    expired.add(key);
                }
            }
        }
        expired.forEach(windows::delete);
    }
}
