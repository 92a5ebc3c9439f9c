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
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenSpikeDetectorTest {

    private static final Instant T0 = Instant.parse("2025-06-01T08:00:00Z");
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

    /** One minute of traffic of contoso on gpt-4o: {@code tokens} spread over a few calls. */
    private void minute(int minute, long tokens) {
        int calls = 4;
        for (int i = 0; i < calls; i++) {
            long part = tokens / calls + (i == 0 ? tokens % calls : 0);
            harness.usage(usage("s" + sequence++, T0.plus(Duration.ofMinutes(minute)).plusSeconds(10L * i).toString())
                    .setTaskId("t" + sequence).setInputTokens(part).build());
        }
    }

    private List<Alert> spikes() {
        return harness.output(harness.topics.alerts()).readValuesToList().stream().filter(a -> a.getType() == AlertType.TOKEN_SPIKE).toList();
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

        List<Alert> alerts = spikes();
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

        assertThat(spikes()).isEmpty();
    }

    @Test
    void noSpikeBeforeTheWarmUp() {
        for (int m = 0; m < 20; m++) {
            minute(m, 5_000);
        }
        minute(20, 500_000);

        assertThat(spikes()).isEmpty();
    }

    @Test
    void noSpikeBelowTheMinimumVolume() {
        for (int m = 0; m < 40; m++) {
            minute(m, 100);
        }
        minute(40, 9_999);

        assertThat(spikes()).isEmpty();
    }

    @ParameterizedTest(name = "{0} tokens against a flat 20,000 fire: {1}")
    @CsvSource({"29836, false", "29837, true"})
    void firesExactlyAtTheAlertLine(long tokens, boolean fires) {
        // a flat series has no variance, so the floor of 0.1 sets the deviation: line = 20,000 x e^(4 x 0.1) = 29,836.5
        for (int m = 0; m < 40; m++) {
            minute(m, 20_000);
        }
        minute(40, tokens);

        assertThat(spikes()).hasSize(fires ? 1 : 0);
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

        assertThat(spikes()).extracting(Alert::getStatus)
                .containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED, AlertStatus.FIRING);
    }

    @Test
    void aSeriesThatFallsSilentAfterASpikeStillResolvesAsStreamTimeMoves() {
        for (int m = 0; m < 40; m++) {
            minute(m, 20_000);
        }
        minute(40, 200_000);
        // only another tenant from now on
        harness.usage(usage("x", T0.plus(Duration.ofMinutes(45)).toString()).setTenant("fabrikam").build());

        assertThat(spikes()).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
    }
}
