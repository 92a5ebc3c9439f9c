package io.tokenmeter.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReplayClockTest {

    private static final Instant WALL = Instant.parse("2026-12-06T09:41:27Z");

    @Test
    void standsAtTheStartOfTheReplayUntilItPlays() {
        ManualClock wall = new ManualClock(WALL);
        ReplayClock replay = ReplayClock.from(Instant.parse("2026-11-14T16:00:00Z"), 1440, wall);

        wall.advance(Duration.ofMinutes(5));

        assertThat(replay.instant()).isEqualTo("2026-11-14T16:00:00Z");
        assertThat(replay.end()).isEqualTo("2026-11-15T16:00:00Z");
    }

    @Test
    void runsSpeedTimesFasterThanTheWallClockUntilTheEndThenInRealTime() {
        ManualClock wall = new ManualClock(WALL);
        ReplayClock replay = ReplayClock.from(Instant.parse("2026-11-14T16:00:00Z"), 1440, wall).play();

        wall.advance(Duration.ofSeconds(30)); // half of the 60 s that a day takes at 1440x
        assertThat(replay.instant()).isEqualTo("2026-11-15T04:00:00Z");
        wall.advance(Duration.ofSeconds(30));
        assertThat(replay.instant()).isEqualTo("2026-11-15T16:00:00Z");
        wall.advance(Duration.ofSeconds(30));
        assertThat(replay.instant()).isEqualTo("2026-11-15T16:00:30Z");
    }

    @Test
    void playingAgainDoesNotRestartTheReplay() {
        ManualClock wall = new ManualClock(WALL);
        ReplayClock replay = ReplayClock.from(Instant.parse("2026-11-14T16:00:00Z"), 60, wall).play();
        wall.advance(Duration.ofSeconds(10));

        replay.play();

        assertThat(replay.instant()).isEqualTo("2026-11-14T16:10:00Z");
    }

    @ParameterizedTest(name = "wall clock {0}: replays from {1}")
    @CsvSource({
        "2026-12-06T09:41:27Z, 2026-12-05T09:00:00Z",
        "2027-01-31T00:00:00Z, 2027-01-30T00:00:00Z",
        "2027-03-01T10:30:00Z, 2027-02-28T10:00:00Z",
        "2028-03-01T00:59:59Z, 2028-02-29T00:00:00Z"})
    void theDefaultReplayIsTheLastDayFromTheFullHour(Instant now, Instant start) {
        ReplayClock replay = ReplayClock.lastDay(1440, Clock.fixed(now, ZoneOffset.UTC));

        assertThat(replay.start()).isEqualTo(start);
        assertThat(replay.instant()).isEqualTo(start);
        assertThat(replay.end()).isEqualTo(start.plus(Duration.ofDays(1)));
    }

    @Test
    void aCopyInAnotherZoneFollowsTheSameReplay() {
        ManualClock wall = new ManualClock(WALL);
        ReplayClock replay = ReplayClock.from(Instant.parse("2026-11-14T16:00:00Z"), 1440, wall);
        Clock berlin = replay.withZone(ZoneId.of("Europe/Berlin"));

        replay.play();
        wall.advance(Duration.ofSeconds(15));

        assertThat(berlin.instant()).isEqualTo(replay.instant()).isEqualTo("2026-11-14T22:00:00Z");
        assertThat(berlin.getZone()).isEqualTo(ZoneId.of("Europe/Berlin"));
    }

    @Test
    void refusesASpeedThatIsNotPositive() {
        assertThatThrownBy(() -> ReplayClock.from(WALL, 0, Clock.fixed(WALL, ZoneOffset.UTC))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }
}
