package io.tokenmeter.task;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TaskCostTopologyTest {

    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private final TopologyHarness harness = new TopologyHarness();
    private int sequence;

    @BeforeEach
    void prices() {
        harness.prices(gpt4o());
    }

    @AfterEach
    void close() {
        harness.close();
    }

    /** A call of {@code task} at T0 + {@code offset}: 1,000 input tokens ($0.0025 at gpt-4o's $2.50 per million). */
    private void call(String task, Duration offset) {
        harness.usage(usage("e" + sequence++, T0.plus(offset).toString()).setTaskId(task).setUseCase("triage").setInputTokens(1000)
                .setAgentStep(sequence).build());
    }

    private void outcome(String task, Duration offset, OutcomeStatus status, Long value) {
        Instant at = T0.plus(offset);
        harness.input(harness.topics.taskOutcomes()).pipeInput(task, TaskOutcome.newBuilder().setTaskId(task).setTimestamp(at)
                .setTenant("contoso").setUseCase("triage").setStatus(status).setBusinessValueNanos(value).build(), at);
    }

    private List<TaskCost> closed() {
        return harness.output(harness.topics.taskCosts()).readValuesToList();
    }

    @Test
    void aTaskClosesWhenTheGraceHasPassedAfterItsOutcomeAndCountsCallsThatCameMeanwhile() {
        call("t1", Duration.ZERO);
        call("t1", Duration.ofMinutes(1));
        outcome("t1", Duration.ofMinutes(2), OutcomeStatus.SUCCEEDED, 5_000_000_000L);
        call("t1", Duration.ofMinutes(4)); // after the outcome, within the 10-minute grace: still the task's
        call("other", Duration.ofMinutes(11)); // event time 10:11: not yet outcome + grace (10:12)
        assertThat(closed()).isEmpty();

        call("other", Duration.ofMinutes(12));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("t1");
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getCalls()).isEqualTo(3);
            assertThat(t.getAgentSteps()).isEqualTo(3);
            assertThat(t.getInputTokens()).isEqualTo(3000);
            assertThat(t.getCostNanos()).isEqualTo(3 * 2_500_000L);
            assertThat(t.getModels()).containsExactly("gpt-4o");
            assertThat(t.getFirstEventTime()).isEqualTo(T0);
            assertThat(t.getLastEventTime()).isEqualTo(T0.plus(Duration.ofMinutes(4)));
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
            assertThat(t.getBusinessValueNanos()).isEqualTo(5_000_000_000L);
            assertThat(t.getUseCase()).isEqualTo("triage");
        });
    }

    @Test
    void aTaskWithoutOutcomeIsAbandonedAfterTheInactivityGap() {
        call("quiet", Duration.ZERO);
        call("quiet", Duration.ofMinutes(1));
        call("other", Duration.ofMinutes(25)); // the gap ended at 10:16, + the 10-minute grace for a late outcome: 10:26
        assertThat(closed()).isEmpty();

        call("other", Duration.ofMinutes(26));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("quiet");
            assertThat(t.getStatus()).isEqualTo(TaskStatus.ABANDONED);
            assertThat(t.getCalls()).isEqualTo(2);
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(16)));
        });
    }

    @Test
    void anOutcomeThatComesAfterTheGapButWithinTheGraceStillClosesTheTaskWithIt() {
        call("slow", Duration.ZERO);
        call("other", Duration.ofMinutes(20)); // the gap ended at 10:15; the outcome is still allowed until 10:25
        outcome("slow", Duration.ofMinutes(3), OutcomeStatus.SUCCEEDED, null);
        call("other", Duration.ofMinutes(30));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(3)));
        });
    }

    @Test
    void recordsAfterATaskClosedAreCountedAsLateAndOpenNoSecondTask() {
        call("t1", Duration.ZERO);
        call("other", Duration.ofMinutes(26)); // t1 abandoned as of 10:15, decided a grace later
        assertThat(closed()).extracting(TaskCost::getStatus).containsExactly(TaskStatus.ABANDONED);

        outcome("t1", Duration.ofMinutes(27), OutcomeStatus.SUCCEEDED, null);
        call("t1", Duration.ofMinutes(27));
        call("closer", Duration.ofMinutes(60));

        assertThat(closed()).extracting(TaskCost::getTaskId).as("other closes, t1 does not again").containsExactly("other");
        assertThat(harness.metrics.total("tokenmeter.task.late.records")).isEqualTo(2.0);
    }

    @Test
    void closedTasksAreCountedPerUseCaseWindowWithCostPerSuccess() {
        call("a", Duration.ZERO);
        outcome("a", Duration.ofMinutes(1), OutcomeStatus.SUCCEEDED, null);
        call("b", Duration.ZERO);
        call("b", Duration.ofSeconds(30));
        outcome("b", Duration.ofMinutes(1), OutcomeStatus.FAILED, null);
        call("closer", Duration.ofMinutes(20));

        KeyValueStore<Bytes, TaskTotals> windows = harness.driver.getKeyValueStore(TaskTopology.WINDOWS_STORE);
        TaskTotals hour = windows.get(io.tokenmeter.usage.WindowKey.of(T0.toEpochMilli(), "1h\u001Ftriage\u001Fcontoso\u001FUSD"));
        assertThat(hour.tasks).isEqualTo(2);
        assertThat(hour.succeeded).isEqualTo(1);
        assertThat(hour.failed).isEqualTo(1);
        assertThat(hour.costNanos).isEqualTo(3 * 2_500_000L);
        assertThat(hour.costPerSuccess()).isEqualByComparingTo("0.0075");
        assertThat(harness.metrics.total("tokenmeter.tasks")).isEqualTo(2.0);
    }
}
