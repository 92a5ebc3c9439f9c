package io.tokenmeter.anomaly;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenSpikeDetectorTest {

    private static final Instant T0 = Instant.parse("2025-06-01T08:00:00Z");
    private final TopologyHarness harness = new TopologyHarness();

    @BeforeEach
    void prices() {
        harness.prices(gpt4o());
    }

    @AfterEach
    void close() {
        harness.close();
    }

    /** One minute of traffic of contoso on gpt-4o: {@code tokens} spread over a few calls. */
    private void minute(int minute, long tokens) {
        minuteCalls("contoso", minute, tokens).forEach(harness::usage);
    }

    /** One minute of traffic of {@code tenant} on gpt-4o: {@code tokens} spread over four calls ten seconds apart. */
    private static List<UsageEvent> minuteCalls(String tenant, int minute, long tokens) {
        int calls = 4;
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            long part = tokens / calls + (i == 0 ? tokens % calls : 0);
            String id = tenant + "-" + minute + "-" + i;
            events.add(usage(id, T0.plus(Duration.ofMinutes(minute)).plusSeconds(10L * i).toString())
                    .setTenant(tenant).setTaskId("t-" + id).setInputTokens(part).build());
        }
        return events;
    }

    /** The spike alerts once the watermark has reached T0 + {@code minute} minutes: every minute before it judged. */
    private List<Alert> spikesSettledTo(int minute) {
        harness.advanceTo(T0.plus(Duration.ofMinutes(minute)));
        return spikes(harness);
    }

    private static List<Alert> spikes(TopologyHarness harness) {
        return harness.values(harness.topics.alerts()).stream().filter(a -> a.getType() == AlertType.TOKEN_SPIKE).toList();
    }

    @Test
    void aMinuteFarAboveTheBaselineFiresAsItCrossesAndResolvesWhenTheSeriesIsNormalAgain() {
        Random random = new Random(1);
        for (int m = 0; m < 40; m++) {
            minute(m, 5_000 + random.nextInt(2_000));
        }
        minute(40, 120_000);
        minute(41, 5_500);
        minute(42, 5_800);

        List<Alert> alerts = spikesSettledTo(43);
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        Alert fired = alerts.get(0);
        assertThat(fired.getTenant()).isEqualTo("contoso");
        assertThat(fired.getModel()).isEqualTo("gpt-4o");
        assertThat(fired.getWindowStart()).isEqualTo(T0.plus(Duration.ofMinutes(40)));
        // it fires on the call that crosses, before the minute is over
        assertThat(fired.getObserved()).isLessThan(120_000.0);
        assertThat(fired.getDetectedAt()).isBefore(T0.plus(Duration.ofMinutes(41)));
        assertThat(fired.getMessage()).contains("its typical busy minute").contains("standard deviations above its baseline");
        assertThat(alerts.get(1).getDedupKey()).isEqualTo(fired.getDedupKey());
    }

    @Test
    void aTenantThatGrowsSteadilyDoesNotFire() {
        double tokens = 5_000;
        for (int m = 0; m < 150; m++) {
            minute(m, Math.round(tokens));
            tokens *= 1.03;
        }

        assertThat(spikesSettledTo(150)).isEmpty();
    }

    @Test
    void noSpikeBeforeTheWarmUp() {
        for (int m = 0; m < 20; m++) {
            minute(m, 5_000);
        }
        minute(20, 500_000);

        assertThat(spikesSettledTo(21)).isEmpty();
    }

    @Test
    void noSpikeBelowTheMinimumVolume() {
        for (int m = 0; m < 40; m++) {
            minute(m, 100);
        }
        minute(40, 9_999);

        assertThat(spikesSettledTo(41)).isEmpty();
    }

    @ParameterizedTest(name = "{0} tokens against a flat 20,000 fire: {1}")
    @CsvSource({"29836, false", "29837, true"})
    void firesExactlyAtTheAlertLine(long tokens, boolean fires) {
        // a flat series has no variance, so the floor of 0.1 sets the deviation: line = 20,000 x e^(4 x 0.1) = 29,836.5
        for (int m = 0; m < 40; m++) {
            minute(m, 20_000);
        }
        minute(40, tokens);

        assertThat(spikesSettledTo(41)).hasSize(fires ? 1 : 0);
    }

    @Test
    void theSpikeDoesNotPoisonTheBaseline() {
        for (int m = 0; m < 40; m++) {
            minute(m, 20_000);
        }
        minute(40, 2_000_000);
        minute(41, 20_000);
        minute(42, 20_000);
        // with the spike learned in full the line would be far above this; capped, it fires again
        minute(43, 60_000);

        assertThat(spikesSettledTo(44)).extracting(Alert::getStatus)
                .containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED, AlertStatus.FIRING);
    }

    @Test
    void aSeriesThatFallsSilentAfterASpikeStillResolvesAsTheWatermarkMoves() {
        for (int m = 0; m < 40; m++) {
            minute(m, 20_000);
        }
        minute(40, 200_000);
        // only another tenant from now on: its call at 8:52 takes the watermark (its time less the 10-minute grace) to
        // 8:42, past contoso's silent minute 41
        harness.usage(usage("x", T0.plus(Duration.ofMinutes(52)).toString()).setTenant("fabrikam").build());

        List<Alert> alerts = spikes(harness);
        assertThat(alerts).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(alerts.get(1).getDetectedAt()).isEqualTo(T0.plus(Duration.ofMinutes(42)));
    }

    /** The alerts depend on the calls alone: two tenants' series interleaved differently give the same alerts in the same order. */
    @Test
    void theSameCallsInAnotherArrivalOrderGiveTheSameAlerts() {
        List<UsageEvent> calls = new ArrayList<>();
        Random random = new Random(7);
        for (int m = 0; m < 47; m++) {
            calls.addAll(minuteCalls("contoso", m, m == 40 ? 150_000 : 5_000 + random.nextInt(2_000)));
            calls.addAll(minuteCalls("fabrikam", m, m == 43 ? 900_000 : 30_000 + random.nextInt(10_000)));
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

        assertThat(first).extracting(a -> a.getTenant() + " " + a.getStatus() + " " + a.getWindowStart()).containsExactly(
                "contoso FIRING " + T0.plus(Duration.ofMinutes(40)), "contoso RESOLVED " + T0.plus(Duration.ofMinutes(40)),
                "fabrikam FIRING " + T0.plus(Duration.ofMinutes(43)), "fabrikam RESOLVED " + T0.plus(Duration.ofMinutes(43)));
        assertThat(second).isEqualTo(first);
    }

    private static List<Alert> run(TopologyHarness harness, List<UsageEvent> calls) {
        calls.forEach(harness::usage);
        harness.advanceTo(T0.plus(Duration.ofMinutes(50)));
        return spikes(harness);
    }
}
