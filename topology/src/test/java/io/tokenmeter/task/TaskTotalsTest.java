package io.tokenmeter.task;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TaskTotalsTest {

    @Test
    void costPerSuccessIsUndefinedNotZeroWhenNoTaskSucceeded() {
        TaskTotals totals = TaskTotals.fromArray(new long[] {3, 0, 2, 1, 9_000_000_000L, 0, 0});
        assertThat(totals.costPerSuccess()).isNull();
        assertThat(totals.successRate()).isEqualTo(0.0);
        assertThat(totals.valuePerCost()).isNull();
    }

    @Test
    void costPerSuccessDividesTheCostOfAllTasksByTheSucceededOnes() {
        TaskTotals totals = TaskTotals.fromArray(new long[] {3, 2, 1, 0, 9_000_000_000L, 30_000_000_000L, 6_000_000_000L});
        assertThat(totals.costPerSuccess()).isEqualByComparingTo("4.5");
        assertThat(totals.valuePerCost()).isEqualByComparingTo("5");
        assertThat(new TaskTotals().successRate()).isNull();
    }

    @Test
    void survivesTheStateSerde() {
        TaskTotals totals = TaskTotals.fromArray(new long[] {3, 2, 1, 0, 9, 30, 6});
        assertThat(TaskTotals.SERDE.deserialize("t", TaskTotals.SERDE.serialize("t", totals)).toArray()).containsExactly(3, 2, 1, 0, 9, 30, 6);
    }
}
