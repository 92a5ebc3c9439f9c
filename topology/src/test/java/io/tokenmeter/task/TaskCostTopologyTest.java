package io.tokenmeter.task;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.usage.WindowKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cost per task through the whole topology. Event time is the watermark: records piped straight into usage or
 * task-outcomes hold it at their latest time less the 10-minute grace, and {@link TopologyHarness#advanceTo} settles
 * everything before an instant. A task closes at its outcome or, without one, at its last call plus the 15-minute gap,
 * once the watermark has passed that instant; what comes after it closed revises its record.
 */
class TaskCostTopologyTest {

    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private static final long CALL_NANOS = 2_500_000L;
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

    /** A call ({@code outcome} null) or an outcome of {@code task} at T0 + {@code at}; the id stays the same whatever order it is sent in. */
    private record Input(String id, String task, Duration at, OutcomeStatus outcome, Long value) {

        static Input call(String id, String task, Duration at) {
            return new Input(id, task, at, null, null);
        }

        static Input outcome(String task, Duration at, OutcomeStatus status) {
            return new Input("outcome-" + task, task, at, status, null);
        }

        /** A call: 1,000 input tokens ($0.0025 at gpt-4o's $2.50 per million), one agent step. */
        void sendTo(TopologyHarness to) {
            Instant time = T0.plus(at);
            if (outcome == null) {
                to.usage(usage(id, time.toString()).setTaskId(task).setUseCase("triage").setInputTokens(1000).setAgentStep(1).build());
            } else {
                to.input(to.topics.taskOutcomes()).pipeInput(task, TaskOutcome.newBuilder().setTaskId(task).setTimestamp(time)
                        .setTenant("contoso").setUseCase("triage").setStatus(outcome).setBusinessValueNanos(value).build(), time);
            }
        }
    }

    private void call(String task, Duration offset) {
        Input.call("e" + sequence++, task, offset).sendTo(harness);
    }

    private void outcome(String task, Duration offset, OutcomeStatus status, Long value) {
        new Input("outcome-" + task, task, offset, status, value).sendTo(harness);
    }

    private List<TaskCost> closed() {
        return harness.values(harness.topics.taskCosts());
    }

    /** The closed tasks of use case triage counted in the hour from {@code hour}. */
    private TaskTotals hourWindow(Instant hour) {
        KeyValueStore<Bytes, TaskTotals> windows = harness.driver.getKeyValueStore(TaskTopology.WINDOWS_STORE);
        return windows.get(WindowKey.of(hour.toEpochMilli(), "1h\u001Ftriage\u001Fcontoso\u001FUSD"));
    }

    @Test
    void aTaskClosesAtItsOutcomeOnceTheWatermarkHasPassedItAndCountsCallsAtThatInstant() {
        call("t1", Duration.ZERO);
        call("t1", Duration.ofMinutes(1));
        call("t1", Duration.ofMinutes(2)); // at the very instant of the outcome: still the task's
        outcome("t1", Duration.ofMinutes(2), OutcomeStatus.SUCCEEDED, 5_000_000_000L);
        // other traffic moves both inputs' watermarks (latest less the 10-minute grace) to the outcome's instant
        call("other", Duration.ofMinutes(12));
        outcome("other", Duration.ofMinutes(12), OutcomeStatus.SUCCEEDED, null);
        assertThat(closed()).as("the watermark has reached the outcome, not passed it").isEmpty();

        call("other", Duration.ofMinutes(12).plusMillis(1));
        outcome("other-2", Duration.ofMinutes(12).plusMillis(1), OutcomeStatus.SUCCEEDED, null);
        harness.tick(); // within a minute of event time, a stage sends its watermark on its wall-clock punctuation
        harness.tick(); // and the stage after it releases on its own

        assertThat(closed()).filteredOn(t -> t.getTaskId().equals("t1")).singleElement().satisfies(t -> {
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getRevision()).isZero();
            assertThat(t.getCalls()).isEqualTo(3);
            assertThat(t.getAgentSteps()).isEqualTo(3);
            assertThat(t.getInputTokens()).isEqualTo(3000);
            assertThat(t.getCostNanos()).isEqualTo(3 * CALL_NANOS);
            assertThat(t.getModels()).containsExactly("gpt-4o");
            assertThat(t.getFirstEventTime()).isEqualTo(T0);
            assertThat(t.getLastEventTime()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
            assertThat(t.getBusinessValueNanos()).isEqualTo(5_000_000_000L);
            assertThat(t.getUseCase()).isEqualTo("triage");
        });
    }

    @Test
    void aTaskWithoutOutcomeIsAbandonedOnceTheWatermarkPassesTheEndOfTheInactivityGap() {
        call("quiet", Duration.ZERO);
        call("quiet", Duration.ofMinutes(1)); // the gap ends at 10:16
        call("other", Duration.ofMinutes(25)); // the watermark: 10:25 less the 10-minute grace
        assertThat(closed()).isEmpty();
        call("other", Duration.ofMinutes(26)); // the watermark reaches 10:16: a call of quiet at 10:16 would still be in time
        assertThat(closed()).isEmpty();

        call("other", Duration.ofMinutes(26).plusSeconds(1));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("quiet");
            assertThat(t.getStatus()).isEqualTo(TaskStatus.ABANDONED);
            assertThat(t.getCalls()).isEqualTo(2);
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(16)));
        });
    }

    @Test
    void anOutcomeThatArrivesAfterLaterTrafficStillClosesTheTaskWithItWhileTheWatermarkIsBeforeTheGapsEnd() {
        call("slow", Duration.ZERO);
        call("other", Duration.ofMinutes(20)); // the watermark is at 10:10; slow's gap ends at 10:15
        outcome("slow", Duration.ofMinutes(3), OutcomeStatus.SUCCEEDED, null);
        harness.advanceTo(T0.plus(Duration.ofMinutes(30)));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("slow");
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getRevision()).isZero();
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(3)));
        });
    }

    @Test
    void aCallAfterATaskClosedRevisesItsRecordAndOpensNoSecondTask() {
        call("t1", Duration.ZERO);
        outcome("t1", Duration.ofMinutes(1), OutcomeStatus.SUCCEEDED, null);
        harness.advanceTo(T0.plus(Duration.ofMinutes(2)));
        assertThat(closed()).extracting(TaskCost::getRevision, TaskCost::getCalls).containsExactly(tuple(0, 1L));

        call("t1", Duration.ofMinutes(5));
        harness.advanceTo(T0.plus(Duration.ofMinutes(30)));

        assertThat(closed()).as("one revised record of t1, and no second task").singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("t1");
            assertThat(t.getRevision()).isEqualTo(1);
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getCalls()).isEqualTo(2);
            assertThat(t.getCostNanos()).isEqualTo(2 * CALL_NANOS);
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        });
        assertThat(harness.metrics.total("tokenmeter.tasks")).isEqualTo(1.0);
        assertThat(harness.metrics.total("tokenmeter.revisions")).isEqualTo(1.0);
    }

    @Test
    void anOutcomeAfterATaskWasAbandonedRevisesItToThatOutcomeAndASecondOutcomeIsLate() {
        call("t1", Duration.ZERO);
        harness.advanceTo(T0.plus(Duration.ofMinutes(16))); // abandoned as of 10:15
        assertThat(closed()).extracting(TaskCost::getStatus).containsExactly(TaskStatus.ABANDONED);

        outcome("t1", Duration.ofMinutes(27), OutcomeStatus.SUCCEEDED, 1_000_000_000L);
        harness.advanceTo(T0.plus(Duration.ofMinutes(28)));

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getTaskId()).isEqualTo("t1");
            assertThat(t.getRevision()).isEqualTo(1);
            assertThat(t.getStatus()).isEqualTo(TaskStatus.SUCCEEDED);
            assertThat(t.getCalls()).isEqualTo(1);
            assertThat(t.getClosedAt()).isEqualTo(T0.plus(Duration.ofMinutes(27)));
            assertThat(t.getBusinessValueNanos()).isEqualTo(1_000_000_000L);
        });

        outcome("t1", Duration.ofMinutes(30), OutcomeStatus.FAILED, null);
        harness.advanceTo(T0.plus(Duration.ofMinutes(31)));

        assertThat(closed()).as("the first outcome stands").isEmpty();
        assertThat(harness.metrics.total("tokenmeter.task.late.records")).isEqualTo(1.0);
    }

    @Test
    void aRevisionTakesTheFirstRecordOutOfTheWindowsAndPutsTheRevisionIn() {
        call("t1", Duration.ZERO);
        outcome("t1", Duration.ofMinutes(1), OutcomeStatus.SUCCEEDED, null);
        call("t2", Duration.ZERO);
        harness.advanceTo(T0.plus(Duration.ofMinutes(16))); // t1 succeeded at 10:01, t2 abandoned as of 10:15
        assertThat(closed()).extracting(TaskCost::getTaskId, TaskCost::getStatus)
                .containsExactly(tuple("t1", TaskStatus.SUCCEEDED), tuple("t2", TaskStatus.ABANDONED));
        TaskTotals before = hourWindow(T0);
        assertThat(before.tasks()).isEqualTo(2);
        assertThat(before.succeeded()).isEqualTo(1);
        assertThat(before.abandoned()).isEqualTo(1);
        assertThat(before.costNanos()).isEqualTo(2 * CALL_NANOS);

        call("t1", Duration.ofMinutes(20)); // revises t1: one more call
        outcome("t2", Duration.ofMinutes(25), OutcomeStatus.SUCCEEDED, null); // revises t2: succeeded after all
        harness.advanceTo(T0.plus(Duration.ofMinutes(30)));

        assertThat(closed()).extracting(TaskCost::getTaskId, TaskCost::getRevision).containsExactly(tuple("t1", 1), tuple("t2", 1));
        TaskTotals after = hourWindow(T0);
        assertThat(after.tasks()).isEqualTo(2);
        assertThat(after.succeeded()).isEqualTo(2);
        assertThat(after.abandoned()).isZero();
        assertThat(after.costNanos()).isEqualTo(3 * CALL_NANOS);
        assertThat(after.costPerSuccess()).isEqualByComparingTo("0.00375");
    }

    @Test
    void aCallThatWasLateWhereItEnteredRevisesTheClosedTaskWithItsCostAndTime() {
        call("t1", Duration.ZERO);
        call("t1", Duration.ofMinutes(1));
        outcome("t1", Duration.ofMinutes(2), OutcomeStatus.SUCCEEDED, null);
        call("other", Duration.ofMinutes(30)); // usage's own watermark: 10:20
        harness.advanceTo(T0.plus(Duration.ofMinutes(20)));
        assertThat(closed()).extracting(TaskCost::getTaskId, TaskCost::getRevision).containsExactly(tuple("t1", 0));

        call("t1", Duration.ofMinutes(1).plusSeconds(30)); // behind 10:20 in its own partition: late where it entered

        assertThat(closed()).singleElement().satisfies(t -> {
            assertThat(t.getRevision()).isEqualTo(1);
            assertThat(t.getCalls()).isEqualTo(3);
            assertThat(t.getCostNanos()).isEqualTo(3 * CALL_NANOS);
            assertThat(t.getFirstEventTime()).isEqualTo(T0);
            assertThat(t.getLastEventTime()).as("the task is every call of it, whenever it came").isEqualTo(T0.plus(Duration.ofMinutes(1)).plusSeconds(30));
            assertThat(t.getClosedAt()).as("still closed at its outcome").isEqualTo(T0.plus(Duration.ofMinutes(2)));
        });
    }

    /** A known limit, documented: past the revision horizon a task is forgotten, and a late call of it starts a partial one. */
    @Test
    void aCallLateWhereItEnteredAfterTheRevisionHorizonOpensAPartialTask() {
        call("t1", Duration.ZERO);
        harness.advanceTo(T0.plus(Duration.ofMinutes(16)));
        assertThat(closed()).extracting(TaskCost::getStatus).containsExactly(TaskStatus.ABANDONED);

        call("other", Duration.ofHours(25)); // usage's own watermark: a day and 50 minutes after T0
        harness.advanceTo(T0.plus(Duration.ofHours(25))); // t1 closed more than the 24-hour horizon ago: forgotten
        call("t1", Duration.ofMinutes(1)); // late where it entered
        harness.advanceTo(T0.plus(Duration.ofHours(26)));
        assertThat(closed()).filteredOn(t -> t.getTaskId().equals("t1")).singleElement().satisfies(t -> {
            assertThat(t.getCalls()).isEqualTo(1);
            assertThat(t.getRevision()).isZero();
        });
    }

    @Test
    void closedTasksAreCountedPerUseCaseWindowWithCostPerSuccess() {
        call("a", Duration.ZERO);
        outcome("a", Duration.ofMinutes(1), OutcomeStatus.SUCCEEDED, null);
        call("b", Duration.ZERO);
        call("b", Duration.ofSeconds(30));
        outcome("b", Duration.ofMinutes(1), OutcomeStatus.FAILED, null);
        harness.advanceTo(T0.plus(Duration.ofMinutes(2)));

        TaskTotals hour = hourWindow(T0);
        assertThat(hour.tasks).isEqualTo(2);
        assertThat(hour.succeeded).isEqualTo(1);
        assertThat(hour.failed).isEqualTo(1);
        assertThat(hour.costNanos).isEqualTo(3 * CALL_NANOS);
        assertThat(hour.costPerSuccess()).isEqualByComparingTo("0.0075");
        assertThat(harness.metrics.total("tokenmeter.tasks")).isEqualTo(2.0);
    }

    /** What closes, with which calls and revisions, is the same however the calls and outcomes of several tasks interleave. */
    @Test
    void theSameCallsAndOutcomesInAnotherArrivalOrderGiveTheSameTaskCosts() {
        // a: four calls and its outcome at the instant of the last; b: abandoned at 10:16:30, then a call revises it;
        // c: abandoned at 10:27; d: abandoned at 10:31; a: a call after its outcome revises it
        List<Input> first = List.of(
                Input.call("a0", "a", Duration.ZERO), Input.call("a1", "a", Duration.ofMinutes(1)),
                Input.call("a2", "a", Duration.ofMinutes(2)), Input.call("a3", "a", Duration.ofMinutes(3)),
                Input.outcome("a", Duration.ofMinutes(3), OutcomeStatus.SUCCEEDED),
                Input.call("b0", "b", Duration.ofSeconds(30)), Input.call("b1", "b", Duration.ofSeconds(90)),
                Input.call("c0", "c", Duration.ofMinutes(2)), Input.call("c1", "c", Duration.ofMinutes(4)),
                Input.call("c2", "c", Duration.ofMinutes(7)), Input.call("c3", "c", Duration.ofMinutes(11)));
        List<Input> second = List.of(
                Input.call("b2", "b", Duration.ofMinutes(20)), Input.call("c4", "c", Duration.ofMinutes(12)),
                Input.call("a4", "a", Duration.ofMinutes(13)), Input.call("d0", "d", Duration.ofMinutes(15)),
                Input.call("d1", "d", Duration.ofMinutes(16)));
        // in time order, outcome after the calls; and with b's records 6 minutes ahead, c's 3 behind and the outcome
        // first (at most 9 minutes out of order in a partition, within the grace)
        Function<Input, Duration> inTime = Input::at;
        Function<Input, Duration> shuffled = i -> i.outcome() != null ? Duration.ofMinutes(-60)
                : i.task().equals("b") ? i.at().minusMinutes(6) : i.task().equals("c") ? i.at().plusMinutes(3) : i.at();

        List<TaskCost> inOrder = run(harness, first, second, inTime);
        List<TaskCost> outOfOrder;
        try (TopologyHarness other = new TopologyHarness()) {
            other.prices(gpt4o());
            outOfOrder = run(other, first, second, shuffled);
        }

        assertThat(inOrder).extracting(t -> t.getTaskId() + " r" + t.getRevision() + " " + t.getStatus() + " " + t.getCalls() + " calls")
                .containsExactly("a r0 SUCCEEDED 4 calls", "a r1 SUCCEEDED 5 calls", "b r0 ABANDONED 2 calls", "b r1 ABANDONED 3 calls",
                        "c r0 ABANDONED 5 calls", "d r0 ABANDONED 2 calls");
        assertThat(outOfOrder).isEqualTo(inOrder);
    }

    /** Sends {@code first} in the order {@code key} gives, settles up to 10:10, sends {@code second} likewise and settles the rest. */
    private static List<TaskCost> run(TopologyHarness to, List<Input> first, List<Input> second, Function<Input, Duration> key) {
        List<TaskCost> costs = new ArrayList<>();
        for (List<Input> batch : List.of(first, second)) {
            batch.stream().sorted(Comparator.comparing(key)).forEach(input -> input.sendTo(to));
            to.advanceTo(batch == first ? T0.plus(Duration.ofMinutes(10)) : T0.plus(Duration.ofHours(1)));
            costs.addAll(to.values(to.topics.taskCosts()));
        }
        return costs;
    }
}
