package io.tokenmeter.task;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.streams.DueIndex;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.usage.WindowKey;
import io.tokenmeter.usage.WindowSize;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Adds up every priced call of a task and closes the task: at its outcome (SUCCEEDED or FAILED; calls at the same
 * instant still count), or, without an outcome, when the inactivity gap has passed since its last call (ABANDONED, as
 * of the end of the gap). A closed task is written to {@code task-costs} and counted into its use case's 1-hour and
 * 1-day windows by the time it closed.
 *
 * <p>Calls and outcomes come in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}), and a task falls due
 * at an exact event time, before any later signal is taken in; the watermark closes what is due when no signal comes.
 * So which tasks close how, and with which calls, depends on the data alone. A closed task is kept for the revision
 * horizon: a call that comes after it closed (late where it entered), or an outcome after it was abandoned, revises it:
 * its record is written again with the next revision number, and the windows take the old record out and the new one in.
 * A late call of a task that is not open opens it (it may be the task's first call; past the horizon it may also be a
 * task already forgotten, which then gets a second, partial record).
 */
final class TaskCostProcessor extends ContextualProcessor<String, TaskSignal, String, TaskCost> {

    static final WindowSize[] SIZES = {WindowSize.ONE_HOUR, WindowSize.ONE_DAY};
    private static final String FORGET = "\u0000forget\u001F";

    private final TaskTopology.Settings settings;
    private final PipelineMetrics metrics;
    private long sweptUpTo = Long.MIN_VALUE;
    private long expiredMinute = Long.MIN_VALUE;
    /** The earliest due time in the index, or earlier: checking it spares a scan of the index for every signal. */
    private long nextDue;
    private KeyValueStore<String, TaskState> tasks;
    private KeyValueStore<Bytes, TaskTotals> windows;
    private DueIndex due;

    TaskCostProcessor(TaskTopology.Settings settings, PipelineMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, TaskCost> context) {
        super.init(context);
        tasks = context.getStateStore(TaskTopology.OPEN_STORE);
        windows = context.getStateStore(TaskTopology.WINDOWS_STORE);
        due = new DueIndex(context.getStateStore(TaskTopology.DUE_STORE));
        nextDue = due.firstDue();
    }

    @Override
    public void process(Record<String, TaskSignal> record) {
        if (record.value() instanceof TaskSignal.Tick tick) {
            sweep(tick.watermark() - 1);
            return;
        }
        boolean inOrder = !Watermarks.isLate(record.headers());
        if (inOrder) {
            sweep(record.timestamp() - 1); // what fell due before this signal closes first
        }
        if (record.value() instanceof TaskSignal.Call call) {
            PricedUsage priced = call.priced();
            String taskId = priced.getUsage().getTaskId();
            if (taskId == null) {
                return;
            }
            String key = TaskTopology.key(taskId, priced.getUsage().getTenant());
            TaskState state = tasks.get(key);
            if (state == null) {
                state = open(taskId, priced.getUsage().getTenant());
            } else if (state.closed()) {
                TaskCost before = record(state);
                state.add(priced);
                revise(key, state, before);
                return;
            } else {
                due.remove(dueAt(state), key);
            }
            state.add(priced); // a late call counts with its time too; only the order it is taken in can differ from run to run
            schedule(dueAt(state), key);
            tasks.put(key, state);
        } else if (record.value() instanceof TaskSignal.Ended ended) {
            TaskOutcome outcome = ended.outcome();
            String key = TaskTopology.key(outcome.getTaskId(), outcome.getTenant());
            TaskState state = tasks.get(key);
            if (state != null && state.closed()) {
                if (state.outcome == null) {
                    TaskCost before = record(state);
                    state.end(outcome); // the outcome of a task that was taken for abandoned
                    revise(key, state, before);
                } else {
                    metrics.taskLate(); // a second outcome: the first one stands
                }
                return;
            }
            if (state == null) {
                state = open(outcome.getTaskId(), outcome.getTenant());
            } else {
                due.remove(dueAt(state), key);
            }
            state.end(outcome);
            schedule(dueAt(state), key);
            tasks.put(key, state);
        }
    }

    private static TaskState open(String taskId, String tenant) {
        TaskState state = new TaskState();
        state.taskId = taskId;
        state.tenant = tenant;
        return state;
    }

    /** When an open task falls due: at its outcome, or at the end of the inactivity gap after its last call. */
    private long dueAt(TaskState state) {
        if (state.outcome != null) {
            return state.outcomeAt;
        }
        return (state.lastEventTime == Long.MIN_VALUE ? state.outcomeAt : state.lastEventTime) + settings.inactivityGap().toMillis();
    }

    private void schedule(long at, String key) {
        due.add(at, key);
        nextDue = Math.min(nextDue, at);
    }

    /** Closes the tasks due at or before {@code upTo}, in due order, and forgets those past the revision horizon. */
    private void sweep(long upTo) {
        if (upTo <= sweptUpTo) {
            return;
        }
        sweptUpTo = upTo;
        if (Math.floorDiv(upTo, 60_000L) > expiredMinute) {
            expiredMinute = Math.floorDiv(upTo, 60_000L);
            expireWindows(upTo);
        }
        if (upTo < nextDue) {
            return;
        }
        for (String key : due.takeDue(upTo)) {
            if (key.startsWith(FORGET)) {
                tasks.delete(key.substring(FORGET.length()));
                continue;
            }
            TaskState state = tasks.get(key);
            if (state != null && !state.closed()) {
                close(state);
                state.forgetAt = state.closedAt + settings.revisionHorizon().toMillis();
                due.add(state.forgetAt, FORGET + key);
                tasks.put(key, state);
            }
        }
        nextDue = due.firstDue();
    }

    private void close(TaskState state) {
        long closedAt = state.outcome != null ? state.outcomeAt : dueAt(state);
        state.closedAt = closedAt;
        TaskCost cost = record(state);
        count(cost, 1);
        metrics.taskClosed(cost);
        context().forward(new Record<>(cost.getTaskId(), cost, closedAt));
    }

    /** Writes a closed task again, with what came after it closed; {@code before} is its record until now. */
    private void revise(String key, TaskState state, TaskCost before) {
        state.closedAt = dueAt(state);
        state.revision++;
        TaskCost after = record(state);
        count(before, -1);
        count(after, 1);
        tasks.put(key, state);
        metrics.revised("task");
        context().forward(new Record<>(after.getTaskId(), after, after.getClosedAt().toEpochMilli()));
    }

    private TaskCost record(TaskState state) {
        TaskStatus status = state.outcome == null ? TaskStatus.ABANDONED
                : state.outcome == OutcomeStatus.SUCCEEDED ? TaskStatus.SUCCEEDED : TaskStatus.FAILED;
        return state.toRecord(status, state.closedAt);
    }

    /** Adds a closed task's record to its windows ({@code sign} 1), or takes it out ({@code sign} -1). */
    private void count(TaskCost cost, int sign) {
        long closedAt = cost.getClosedAt().toEpochMilli();
        for (WindowSize size : SIZES) {
            Bytes key = WindowKey.of(size.windowStart(closedAt), TaskTopology.windowDimensions(size, cost));
            TaskTotals totals = windows.get(key);
            totals = totals == null ? new TaskTotals() : totals;
            windows.put(key, sign > 0 ? totals.add(cost) : totals.remove(cost));
        }
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
