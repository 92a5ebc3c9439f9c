package io.tokenmeter.task;

import io.tokenmeter.event.TaskCost;
import io.tokenmeter.streams.StateSerde;
import io.tokenmeter.usage.WindowGather;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;

/** The closed tasks of one use case and tenant in one window: how many ended how, and what they all cost. */
public final class TaskTotals implements WindowGather.Totals<TaskTotals> {

    long tasks;
    long succeeded;
    long failed;
    long abandoned;
    long costNanos;
    /** Business value of the tasks that reported one, and what those tasks cost. */
    long valueNanos;
    long valuedCostNanos;

    public TaskTotals add(TaskCost task) {
        tasks++;
        switch (task.getStatus()) {
            case SUCCEEDED -> succeeded++;
            case FAILED -> failed++;
            case ABANDONED -> abandoned++;
        }
        costNanos += task.getCostNanos();
        if (task.getBusinessValueNanos() != null) {
            valueNanos += task.getBusinessValueNanos();
            valuedCostNanos += task.getCostNanos();
        }
        return this;
    }

    /** Takes a task out again: its record is being replaced by a revision. */
    public TaskTotals remove(TaskCost task) {
        tasks--;
        switch (task.getStatus()) {
            case SUCCEEDED -> succeeded--;
            case FAILED -> failed--;
            case ABANDONED -> abandoned--;
        }
        costNanos -= task.getCostNanos();
        if (task.getBusinessValueNanos() != null) {
            valueNanos -= task.getBusinessValueNanos();
            valuedCostNanos -= task.getCostNanos();
        }
        return this;
    }

    public long tasks() {
        return tasks;
    }

    public long succeeded() {
        return succeeded;
    }

    public long failed() {
        return failed;
    }

    public long abandoned() {
        return abandoned;
    }

    public long costNanos() {
        return costNanos;
    }

    @Override
    public TaskTotals add(TaskTotals other) {
        tasks += other.tasks;
        succeeded += other.succeeded;
        failed += other.failed;
        abandoned += other.abandoned;
        costNanos += other.costNanos;
        valueNanos += other.valueNanos;
        valuedCostNanos += other.valuedCostNanos;
        return this;
    }

    @Override
    public long[] toArray() {
        return new long[] {tasks, succeeded, failed, abandoned, costNanos, valueNanos, valuedCostNanos};
    }

    static TaskTotals fromArray(long[] v) {
        TaskTotals t = new TaskTotals();
        t.tasks = v[0];
        t.succeeded = v[1];
        t.failed = v[2];
        t.abandoned = v[3];
        t.costNanos = v[4];
        t.valueNanos = v[5];
        t.valuedCostNanos = v[6];
        return t;
    }

    /** Total cost of all the tasks over the succeeded ones, in currency units; null (undefined, not zero) when none succeeded. */
    public BigDecimal costPerSuccess() {
        if (succeeded == 0) {
            return null;
        }
        return BigDecimal.valueOf(costNanos, 9).divide(BigDecimal.valueOf(succeeded), 9, RoundingMode.HALF_EVEN).stripTrailingZeros();
    }

    /** Succeeded over all tasks; null when there were none. */
    public Double successRate() {
        return tasks == 0 ? null : Math.round(10_000.0 * succeeded / tasks) / 10_000.0;
    }

    /** Business value per unit of cost, over the tasks that reported a value; null when none did or they cost nothing. */
    BigDecimal valuePerCost() {
        if (valuedCostNanos == 0) {
            return null;
        }
        return BigDecimal.valueOf(valueNanos).divide(BigDecimal.valueOf(valuedCostNanos), 4, RoundingMode.HALF_EVEN);
    }

    static final StateSerde<TaskTotals> SERDE = new StateSerde<>(1, TaskTotals::write, TaskTotals::read);

    private static void write(TaskTotals t, DataOutput out) throws IOException {
        for (long v : t.toArray()) {
            out.writeLong(v);
        }
    }

    private static TaskTotals read(DataInput in) throws IOException {
        long[] v = new long[7];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readLong();
        }
        return fromArray(v);
    }
}
