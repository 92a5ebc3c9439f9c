package io.tokenmeter.anomaly;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RetryStormDetectorTest {

    private static final Instant T0 = Instant.parse("2025-06-01T15:00:00Z");
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

    /** One minute on gpt-4o-prod: {@code refused} 429s first (from wingtip), then ordinary calls. */
    private void minute(int minute, int requests, int refused) {
        long spacing = 59_000L / Math.max(requests, 1);
        for (int i = 0; i < requests; i++) {
            boolean isRefused = i < refused;
            harness.usage(usage("r" + sequence++, T0.plus(Duration.ofMinutes(minute)).plusMillis(spacing * i).toString())
                    .setTenant(isRefused ? "wingtip" : "contoso").setTaskId("t" + sequence)
                    .setStatusCode(isRefused ? 429 : 200).setInputTokens(100).build());
        }
    }

    /** The storm alerts written so far, after a flush of the partial counts. */
    private List<Alert> storms() {
        harness.tick();
        return harness.values(harness.topics.alerts()).stream().filter(a -> a.getType() == AlertType.RETRY_STORM).toList();
    }

    /** The storm alerts once the watermark has reached T0 + {@code minute} minutes: every minute before it judged. */
    private List<Alert> stormsSettledTo(int minute) {
        harness.advanceTo(T0.plus(Duration.ofMinutes(minute)));
        return storms();
    }

    @Test
    void aMinuteWithManyRefusalsFiresWhenItEndsAndFiveCalmMinutesResolve() {
        minute(0, 80, 40);
        minute(1, 80, 2);
        minute(2, 80, 30);
        for (int m = 3; m <= 8; m++) {
            minute(m, 60, 1);
        }

        List<Alert> alerts = stormsSettledTo(9);
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        Alert fired = alerts.get(0);
        assertThat(fired.getDeployment()).isEqualTo("gpt-4o-prod");
        assertThat(fired.getTenant()).isEqualTo("wingtip");
        assertThat(fired.getEvidence()).containsEntry("requests", "80").containsEntry("refusedOrRetried", "40");
        assertThat(fired.getWindowStart()).isEqualTo(T0);
        assertThat(fired.getDetectedAt()).as("judged as the minute ends").isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(fired.getMessage()).contains("Retry storm on deployment gpt-4o-prod").contains("50 % of 80 requests").contains("wingtip 40");
        // the calm minute in between does not end the storm; five calm minutes after the last storm minute do
        assertThat(alerts.get(1).getEvidence()).containsEntry("lastStormMinute", T0.plus(Duration.ofMinutes(2)).toString());
        assertThat(alerts.get(1).getDetectedAt()).isEqualTo(T0.plus(Duration.ofMinutes(8)));
    }

    @ParameterizedTest(name = "{0} requests, {1} refused: fires {2}")
    @CsvSource({"50, 10, true", "49, 10, false", "50, 9, false"})
    void firesExactlyAtFiftyRequestsAndTwentyPercent(int requests, int refused, boolean fires) {
        minute(0, requests, refused);

        assertThat(stormsSettledTo(1)).hasSize(fires ? 1 : 0);
    }

    @Test
    void partialCountsOfOneMinuteThatArriveSeparatelyAreJudgedOnceTogetherWhenTheWatermarkPassesIt() {
        // calls of one deployment come from every partition, each sending partial counts per minute on its flush: here
        // contoso's ordinary calls of minute 0 are sent first (as if its partition ran ahead), then wingtip's refusals
        long spacing = 1_000L;
        for (int i = 0; i < 40; i++) {
            harness.usage(usage("ok" + i, T0.plusMillis(spacing * i).toString()).setTenant("contoso").setTaskId("c" + i).build());
        }
        harness.usage(usage("next", T0.plus(Duration.ofMinutes(1)).plusSeconds(5).toString()).setTenant("contoso").setTaskId("n").build());
        assertThat(storms()).as("40 calm calls sent on, but the watermark (10 minutes behind) has not passed minute 0").isEmpty();

        for (int i = 0; i < 30; i++) {
            harness.usage(usage("refused" + i, T0.plusMillis(spacing * i + 500).toString()).setTenant("wingtip").setTaskId("w" + i)
                    .setStatusCode(429).build());
        }
        assertThat(storms()).as("30 refusals sent on: still not judged").isEmpty();

        List<Alert> alerts = stormsSettledTo(2);
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.getWindowStart()).isEqualTo(T0);
            assertThat(a.getEvidence()).containsEntry("requests", "70").containsEntry("refusedOrRetried", "30");
            assertThat(a.getTenant()).isEqualTo("wingtip");
        });
    }

    @Test
    void countsLaterThanTheLatenessAreNotJudgedAgain() {
        for (int i = 0; i < 40; i++) {
            harness.usage(usage("ok" + i, T0.plusMillis(1_000L * i).toString()).setTenant("contoso").setTaskId("c" + i).build());
        }
        // 11 minutes later: beyond the 10-minute lateness (the windows' grace), minute 0's verdict is final
        harness.usage(usage("next", T0.plus(Duration.ofMinutes(11)).plusSeconds(5).toString()).setTenant("contoso").setTaskId("n").build());
        assertThat(storms()).as("minute 0 judged calm").isEmpty();
        for (int i = 0; i < 30; i++) {
            harness.usage(usage("late" + i, T0.plusMillis(1_000L * i + 500).toString()).setTenant("wingtip").setTaskId("w" + i)
                    .setStatusCode(429).build());
        }

        assertThat(stormsSettledTo(15)).isEmpty();
    }

    @Test
    void retriesCountLikeRefusals() {
        for (int i = 0; i < 60; i++) {
            harness.usage(usage("x" + i, T0.plusMillis(900L * i).toString()).setTaskId("t" + i).setRetryAttempt(i % 3 == 0 ? 1 : 0).build());
        }

        assertThat(stormsSettledTo(1)).singleElement().satisfies(a -> assertThat(a.getObserved()).isGreaterThanOrEqualTo(0.2));
    }

    @Test
    void aBusyDeploymentWithOrdinaryRefusalsDoesNotFireEvenWhenTheyComeInABurst() {
        // 500 calls a minute, 2 % refused, and in each minute the refusals all come first
        for (int m = 0; m < 10; m++) {
            minute(m, 500, 10);
        }

        assertThat(stormsSettledTo(10)).isEmpty();
    }

    private List<Alert> earlyWarnings() {
        harness.tick();
        return harness.values(harness.topics.alertsEarly()).stream().filter(a -> a.getType() == AlertType.RETRY_STORM).toList();
    }

    @Test
    void aLiveStormMinuteIsWarnedOfWhileItFillsAndConfirmedWithTheSameKeyWhenItEnds() {
        minute(0, 80, 40);

        List<Alert> early = earlyWarnings();
        assertThat(early).singleElement().satisfies(alert -> {
            assertThat(alert.getEvidence()).containsEntry(Alerts.EARLY, "true").containsEntry("requests", "80");
            assertThat(alert.getMessage()).startsWith("Early warning");
        });
        assertThat(storms()).as("the minute is judged when the watermark passes its end").isEmpty();

        minute(1, 80, 40);
        assertThat(earlyWarnings()).as("one warning per incident").isEmpty();
        assertThat(stormsSettledTo(1)).singleElement().satisfies(alert -> {
            assertThat(alert.getDedupKey()).isEqualTo(early.get(0).getDedupKey());
            assertThat(Alerts.isEarly(alert)).isFalse();
        });
    }

    @Test
    void aWarnedMinuteWhoseShareFallsByItsEndGetsNoAlertAndALaterStormIsWarnedOfAgain() {
        // a burst of 429s in the first seconds: a storm so far
        for (int i = 0; i < 50; i++) {
            harness.usage(usage("burst" + i, T0.plusMillis(100L * i).toString()).setTenant("wingtip").setTaskId("b" + i)
                    .setStatusCode(429).setInputTokens(100).build());
        }
        assertThat(earlyWarnings()).hasSize(1);
        // then the rest of the minute is calm: 350 answered calls
        for (int i = 0; i < 350; i++) {
            harness.usage(usage("calm" + i, T0.plusSeconds(10).plusMillis(100L * i).toString()).setTenant("contoso").setTaskId("c" + i)
                    .setStatusCode(200).setInputTokens(100).build());
        }
        assertThat(stormsSettledTo(1)).as("50 of 400 is 12.5 %: no storm").isEmpty();

        minute(3, 80, 40);
        assertThat(earlyWarnings()).as("the first warning had its verdict: a new storm is warned of").singleElement()
                .satisfies(alert -> assertThat(alert.getWindowStart()).isEqualTo(T0.plus(Duration.ofMinutes(3))));
    }
}
