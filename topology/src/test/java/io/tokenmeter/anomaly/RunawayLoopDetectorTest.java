package io.tokenmeter.anomaly;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.Severity;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RunawayLoopDetectorTest {

    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private final TopologyHarness harness = new TopologyHarness();

    @BeforeEach
    void prices() {
        harness.prices(gpt4o());
    }

    @AfterEach
    void close() {
        harness.close();
    }

    private static UsageEvent call(String task, int i, Instant at, String promptHash, long tokens) {
        return call("contoso", task, i, at, promptHash, tokens);
    }

    private static UsageEvent call(String tenant, String task, int i, Instant at, String promptHash, long tokens) {
        return usage(task + "-" + i, at.toString()).setTenant(tenant).setTaskId(task).setAgent("research-agent").setPromptHash(promptHash)
                .setInputTokens(tokens).setOutputTokens(0).build();
    }

    /** {@code count} calls of a task, {@code every} apart, each with its own prompt. */
    private void calls(String task, int count, Duration every, long tokens) {
        for (int i = 0; i < count; i++) {
            harness.usage(call(task, i, T0.plus(every.multipliedBy(i)), task + "-prompt-" + i, tokens));
        }
    }

    /** The alerts once a day has passed: every call judged, every loop ended or gone quiet. */
    private List<Alert> alerts() {
        return alerts(harness, Instant.parse("2025-06-02T10:00:00Z"));
    }

    /** The alerts once the watermark has reached {@code time}: every call before it judged. */
    private List<Alert> alertsSettledTo(Instant time) {
        return alerts(harness, time);
    }

    private static List<Alert> alerts(TopologyHarness harness, Instant time) {
        harness.advanceTo(time);
        return loops(harness);
    }

    private static List<Alert> loops(TopologyHarness harness) {
        return harness.values(harness.topics.alerts()).stream().filter(a -> a.getType() == AlertType.RUNAWAY_LOOP).toList();
    }

    private void end(String task, Instant at) {
        harness.input(harness.topics.taskOutcomes()).pipeInput(task, TaskOutcome.newBuilder().setTaskId(task).setTimestamp(at)
                .setTenant("contoso").setUseCase("triage").setStatus(OutcomeStatus.FAILED).build(), at);
    }

    @Test
    void moreThan25CallsWithin10MinutesFiresOnceNamingTheTaskAndTheRule() {
        calls("task-loop", 30, Duration.ofSeconds(20), 1000);

        // settled past the last call (10:09:40), before the loop has been quiet for 10 minutes
        List<Alert> alerts = alertsSettledTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(alerts).singleElement().satisfies(alert -> {
            assertThat(alert.getStatus()).isEqualTo(AlertStatus.FIRING);
            assertThat(alert.getSeverity()).isEqualTo(Severity.CRITICAL);
            assertThat(alert.getRule()).isEqualTo(RunawayLoopDetector.RULE_CALLS);
            assertThat(alert.getTaskId()).isEqualTo("task-loop");
            assertThat(alert.getTenant()).isEqualTo("contoso");
            assertThat(alert.getAgent()).isEqualTo("research-agent");
            assertThat(alert.getModel()).isEqualTo("gpt-4o");
            assertThat(alert.getObserved()).isEqualTo(26.0);
            assertThat(alert.getThreshold()).isEqualTo(25.0);
            assertThat(alert.getDetectedAt()).isEqualTo(T0.plusSeconds(25 * 20));
            assertThat(alert.getEvidence()).containsEntry("calls", "26").containsEntry("tokens", "26000").containsEntry("costUsd", "0.065000000");
            assertThat(alert.getMessage()).contains("task-loop").contains("26 calls within 10m (limit 25)").contains("$0.0650 so far");
            assertThat(alert.getDedupKey()).isEqualTo("runaway-loop|contoso|task-loop|" + T0.plusSeconds(500).toEpochMilli());
        });
    }

    @Test
    void exactly25CallsWithin10MinutesDoNotFire() {
        calls("task-25", 25, Duration.ofSeconds(24), 1000);
        // the 26th call comes exactly 10 minutes after the first: the first has left the window
        harness.usage(call("task-25", 25, T0.plus(Duration.ofMinutes(10)), "another", 1000));

        assertThat(alerts()).isEmpty();
    }

    @Test
    void theSamePromptFiveTimesWithinFiveMinutesFires() {
        for (int i = 0; i < 5; i++) {
            harness.usage(call("task-repeat", i, T0.plusSeconds(60L * i), "same-prompt", 500));
        }

        assertThat(alertsSettledTo(T0.plus(Duration.ofMinutes(5)))).singleElement().satisfies(alert -> {
            assertThat(alert.getRule()).isEqualTo(RunawayLoopDetector.RULE_REPEATS);
            assertThat(alert.getObserved()).isEqualTo(5.0);
            assertThat(alert.getEvidence()).containsEntry("promptHash", "same-prompt");
        });
    }

    @Test
    void fourRepeatsOrFiveSpreadOverMoreThanFiveMinutesDoNotFire() {
        for (int i = 0; i < 4; i++) {
            harness.usage(call("task-four", i, T0.plusSeconds(10L * i), "same-prompt", 500));
        }
        for (int i = 0; i < 5; i++) {
            harness.usage(call("task-slow", i, T0.plusSeconds(75L * i), "slow-prompt", 500));
        }

        assertThat(alerts()).isEmpty();
    }

    @Test
    void retriesOfTheSamePromptAreNotALoop() {
        // a call refused four times and retried: five calls with one prompt, but only the first is a new attempt
        for (int i = 0; i < 5; i++) {
            harness.usage(usage("retry-" + i, T0.plusSeconds(2L * i).toString()).setTaskId("task-retries").setPromptHash("same")
                    .setRetryAttempt(i).setStatusCode(i < 4 ? 429 : 200).build());
        }

        assertThat(alerts()).isEmpty();
    }

    @Test
    void moreThanTwoMillionTokensInOneTaskFiresAndExactlyTwoMillionDoesNot() {
        // the two tasks' calls interleaved in time: one task's calls sent 15 minutes behind the other's would be later
        // than the 10-minute grace where they entered, and detectors do not judge those
        for (int i = 0; i < 5; i++) {
            Instant at = T0.plus(Duration.ofMinutes(5L * i));
            if (i < 4) {
                harness.usage(call("task-exact", i, at, "task-exact-prompt-" + i, 500_000));
            }
            harness.usage(call("task-over", i, at, "task-over-prompt-" + i, 500_000));
        }

        assertThat(alertsSettledTo(T0.plus(Duration.ofMinutes(21)))).singleElement().satisfies(alert -> {
            assertThat(alert.getTaskId()).isEqualTo("task-over");
            assertThat(alert.getRule()).isEqualTo(RunawayLoopDetector.RULE_TOKENS);
            assertThat(alert.getObserved()).isEqualTo(2_500_000.0);
        });
    }

    @Test
    void aLongLegitimateAgentTaskDoesNotFire() {
        // three hours of steady work: a call a minute, each with its own prompt, a million tokens in all
        calls("task-long", 180, Duration.ofMinutes(1), 5_000);

        assertThat(alerts()).isEmpty();
    }

    @Test
    void anIncidentFiresOnceAndResolvesOnceWhenTheTaskEnds() {
        calls("task-loop", 60, Duration.ofSeconds(20), 1000);
        end("task-loop", T0.plus(Duration.ofMinutes(21)));
        end("task-loop", T0.plus(Duration.ofMinutes(22)));

        List<Alert> alerts = alerts();
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(alerts.get(1).getDedupKey()).isEqualTo(alerts.get(0).getDedupKey());
        assertThat(alerts.get(1).getEvidence()).containsEntry("reason", "task-ended").containsEntry("calls", "60")
                .containsEntry(Alerts.FIRED_AT, alerts.get(0).getDetectedAt().toString());
        assertThat(alerts.get(1).getDetectedAt()).isEqualTo(T0.plus(Duration.ofMinutes(21)));
    }

    @Test
    void aLoopThatGoesQuietResolves() {
        calls("task-loop", 30, Duration.ofSeconds(20), 1000);
        // other traffic moves the watermark on: the loop's last call was at 10:09:40, quiet for 10 minutes at 10:19:40,
        // and a call at 10:30 takes the watermark (its time less the 10-minute grace) to 10:20
        harness.usage(usage("other", T0.plus(Duration.ofMinutes(30)).toString()).setTaskId("other-task").build());

        List<Alert> alerts = loops(harness);
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(alerts.get(1).getEvidence()).containsEntry("reason", "quiet");
        assertThat(alerts.get(1).getDetectedAt()).isEqualTo(T0.plusSeconds(29 * 20).plus(Duration.ofMinutes(10)));
        assertThat(harness.metrics.registry().get("tokenmeter.alerts").tag("type", "RUNAWAY_LOOP").tag("status", "FIRING").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void callsLaterThanTheGraceWhereTheyEnteredAreNotJudged() {
        harness.usage(usage("ahead", T0.plus(Duration.ofMinutes(20)).toString()).setTaskId("other-task").build()); // usage's watermark: 10:10
        calls("task-loop", 30, Duration.ofSeconds(20), 1000); // 10:00 to 10:09:40, every one behind it

        assertThat(alerts()).isEmpty();
        assertThat(harness.metrics.registry().get("tokenmeter.late.at.source").tag("stage", "anomaly-runaway").counter().count())
                .isEqualTo(30.0);
    }

    @Test
    void anOutcomeBehindTheWatermarkFromAnInputThatWokeUpIsNotJudged() {
        calls("task-loop", 30, Duration.ofSeconds(20), 1000); // fires with the 26th call, at 10:08:20
        harness.usage(usage("other", T0.plus(Duration.ofMinutes(20)).toString()).setTaskId("other-task").build()); // watermark: 10:10
        end("task-loop", T0.plus(Duration.ofMinutes(3))); // the first outcome of its input: on time there, behind the watermark here

        // settling makes every input idle, so the loop then goes quiet: it resolves as quiet, not as ended by that outcome
        List<Alert> alerts = alertsSettledTo(T0.plus(Duration.ofMinutes(12)));
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(alerts.get(1).getEvidence()).containsEntry("reason", "quiet");
        assertThat(harness.metrics.registry().get("tokenmeter.late.at.source").tag("stage", "anomaly-runaway").counter().count())
                .isEqualTo(1.0);
    }

    /** The alerts depend on the calls alone: two tenants' loops interleaved differently give the same incidents in the same order. */
    @Test
    void theSameCallsInAnotherArrivalOrderGiveTheSameAlerts() {
        List<UsageEvent> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            calls.add(call("contoso", "loop-a", i, T0.plusSeconds(20L * i), "a-" + i, 1000));
            calls.add(call("fabrikam", "loop-b", i, T0.plus(Duration.ofMinutes(1)).plusSeconds(20L * i), "b-" + i, 1000));
        }
        for (int i = 0; i < 5; i++) {
            calls.add(call("contoso", "repeats", i, T0.plusSeconds(50L * i + 5), "same", 500));
        }
        // in time order; and with fabrikam's calls 8 minutes ahead of contoso's (within the 10-minute grace)
        List<UsageEvent> inTime = calls.stream().sorted(Comparator.comparing(UsageEvent::getTimestamp)).toList();
        List<UsageEvent> fabrikamAhead = calls.stream().sorted(Comparator.comparing(
                (UsageEvent c) -> c.getTenant().equals("fabrikam") ? c.getTimestamp().minus(Duration.ofMinutes(8)) : c.getTimestamp())).toList();

        List<Alert> first = run(harness, inTime);
        List<Alert> second;
        try (TopologyHarness other = new TopologyHarness()) {
            other.prices(gpt4o());
            second = run(other, fabrikamAhead);
        }

        assertThat(first).extracting(a -> a.getTaskId() + " " + a.getStatus() + " " + a.getRule()).containsExactly(
                "repeats FIRING " + RunawayLoopDetector.RULE_REPEATS, "loop-a FIRING " + RunawayLoopDetector.RULE_CALLS,
                "loop-b FIRING " + RunawayLoopDetector.RULE_CALLS, "loop-a RESOLVED " + RunawayLoopDetector.RULE_CALLS,
                "repeats RESOLVED " + RunawayLoopDetector.RULE_REPEATS, "loop-b RESOLVED " + RunawayLoopDetector.RULE_CALLS);
        assertThat(second).isEqualTo(first);
    }

    private static List<Alert> run(TopologyHarness harness, List<UsageEvent> calls) {
        calls.forEach(harness::usage);
        return alerts(harness, Instant.parse("2025-06-02T10:00:00Z"));
    }

    private List<Alert> earlyWarnings() {
        return earlyWarnings(harness);
    }

    private static List<Alert> earlyWarnings(TopologyHarness harness) {
        return harness.values(harness.topics.alertsEarly()).stream().filter(a -> a.getType() == AlertType.RUNAWAY_LOOP).toList();
    }

    @Test
    void aLiveLoopIsWarnedOfOnArrivalAndConfirmedWithTheSameKeyOnceEventTimePassesIt() {
        // the harness's wall clock is 2025-06-01T00:00Z: calls after it are live
        for (int i = 0; i < 4; i++) {
            harness.usage(call("task-live", i, T0.plusSeconds(20L * i), "same-prompt", 500));
        }
        assertThat(earlyWarnings()).as("four repeats are no loop yet").isEmpty();

        harness.usage(call("task-live", 4, T0.plusSeconds(80), "same-prompt", 500));

        List<Alert> early = earlyWarnings();
        assertThat(early).singleElement().satisfies(alert -> {
            assertThat(alert.getStatus()).isEqualTo(AlertStatus.FIRING);
            assertThat(alert.getRule()).isEqualTo(RunawayLoopDetector.RULE_REPEATS);
            assertThat(alert.getEvidence()).containsEntry(Alerts.EARLY, "true");
            assertThat(alert.getMessage()).startsWith("Early warning");
        });
        assertThat(loops(harness)).as("the confirmed alert waits for the watermark").isEmpty();

        List<Alert> confirmed = alertsSettledTo(T0.plus(Duration.ofMinutes(3)));
        assertThat(confirmed).singleElement().satisfies(alert -> {
            assertThat(alert.getDedupKey()).isEqualTo(early.get(0).getDedupKey());
            assertThat(Alerts.isEarly(alert)).isFalse();
        });
        assertThat(earlyWarnings()).as("warned once; the early instance resolves silently").isEmpty();
    }

    @Test
    void callsArrivingOutOfOrderAreWarnedOfOnTheArrivalThatCompletesTheLoop() {
        int[] arrival = {3, 0, 4, 1};
        for (int i : arrival) {
            harness.usage(call("task-shuffled", i, T0.plusSeconds(30L * i), "same-prompt", 500));
        }
        assertThat(earlyWarnings()).isEmpty();

        harness.usage(call("task-shuffled", 2, T0.plusSeconds(60), "same-prompt", 500));

        assertThat(earlyWarnings()).singleElement().satisfies(alert -> assertThat(alert.getObserved()).isEqualTo(5.0));
        assertThat(alertsSettledTo(T0.plus(Duration.ofMinutes(5)))).singleElement()
                .satisfies(alert -> assertThat(alert.getObserved()).isEqualTo(5.0));
    }

    @Test
    void replayedHistoryIsNotWarnedOfButStillAlerted() {
        Instant yesterday = TopologyHarness.CLOCK_TIME.minus(Duration.ofHours(14));
        for (int i = 0; i < 5; i++) {
            harness.usage(call("task-history", i, yesterday.plusSeconds(20L * i), "same-prompt", 500));
        }

        assertThat(earlyWarnings()).isEmpty();
        assertThat(alertsSettledTo(yesterday.plus(Duration.ofMinutes(3)))).singleElement()
                .satisfies(alert -> assertThat(alert.getRule()).isEqualTo(RunawayLoopDetector.RULE_REPEATS));
    }

    @Test
    void earlyWarningsCanBeTurnedOff() {
        try (TopologyHarness quiet = new TopologyHarness(java.util.Map.of(io.tokenmeter.config.TokenmeterConfig.EARLY_WARNINGS, false))) {
            quiet.prices(gpt4o());
            for (int i = 0; i < 5; i++) {
                quiet.usage(call("task-quiet", i, T0.plusSeconds(20L * i), "same-prompt", 500));
            }

            assertThat(earlyWarnings(quiet)).isEmpty();
            assertThat(alerts(quiet, T0.plus(Duration.ofMinutes(3)))).hasSize(1);
        }
    }
}
