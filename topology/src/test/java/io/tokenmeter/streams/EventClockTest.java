package io.tokenmeter.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EventClockTest {

    @Test
    void ticksOnTheFirstRecordAndWhenTimeEntersALaterTickOnly() {
        EventClock clock = new EventClock(60_000);
        assertThat(clock.now()).isEqualTo(Long.MIN_VALUE);
        assertThat(clock.observe(10_000)).isTrue();
        assertThat(clock.observe(59_999)).isFalse();
        assertThat(clock.observe(5_000)).as("earlier records do not move the clock back").isFalse();
        assertThat(clock.now()).isEqualTo(59_999);
        assertThat(clock.observe(60_000)).isTrue();
        assertThat(clock.observe(200_000)).isTrue();
        assertThat(clock.now()).isEqualTo(200_000);
    }

    @Test
    void rejectsANonPositiveTick() {
        assertThatThrownBy(() -> new EventClock(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
