package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class UntilStoppedTest {

    @Test
    void forCountsFromTheFirstWaitAndEndsIt() throws InterruptedException {
        UntilStopped until = new UntilStopped();
        until.runFor = Duration.ofMillis(300);
        try (UntilStopped running = until.onCtrlC("test-hook", () -> { })) {
            assertThat(running.plan()).isEqualTo("stopping after 0 s.");
            assertThat(running.await(Duration.ofMillis(10))).as("10 ms into 300").isFalse();
            long started = System.nanoTime();
            running.await();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(running.await(Duration.ofMillis(10))).as("over").isTrue();
        }
    }

    @Test
    void withoutForItRunsUntilCtrlC() throws InterruptedException {
        try (UntilStopped running = new UntilStopped().onCtrlC("test-hook", () -> { })) {
            assertThat(running.plan()).isEqualTo("Ctrl-C to stop.");
            assertThat(running.await(Duration.ofMillis(20))).isFalse();
        }
    }
}
