package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.cli.CliRun;
import org.junit.jupiter.api.Test;

/**
 * {@code tokenmeter bench} and {@code bench state}, small, each on its own embedded broker: they run every phase and
 * print what they measured. Whether the figures are good is the benchmark's business, not this test's; that every
 * incident was warned of and confirmed, and every task open and restored, is.
 */
class BenchIT {

    private static String run(String... args) {
        CliRun run = CliRun.run(args);
        assertThat(run.exit()).as(run.err() + run.out()).isZero();
        return run.out();
    }

    @Test
    void warnsOfEveryIncidentEarlyAndConfirmsEveryOneOnAlerts() {
        String text = run("bench", "--events", "3000", "--warmup", "2000", "--incidents", "3");

        assertThat(text).contains("3,000 events").containsPattern("full pipeline\\s+[\\d,]+ events/s");
        assertThat(text).containsPattern("early warning\\s+RUNAWAY_LOOP\\s+p50\\s+\\d+ ms\\s+p99\\s+\\d+ ms.*\\(3 incidents;")
                .containsPattern("early warning\\s+RETRY_STORM\\s+p50\\s+\\d+ ms\\s+p99\\s+\\d+ ms.*\\(3 incidents;")
                .doesNotContain("not warned of");
        assertThat(text).containsPattern("confirmed alert\\s+RUNAWAY_LOOP\\s+3 of 3 on alerts")
                .containsPattern("confirmed alert\\s+RETRY_STORM\\s+3 of 3 on alerts");
    }

    @Test
    void keepsEveryTaskOpenAndRestoresTheStateFromTheChangelogs() {
        String text = run("bench", "state", "--tasks", "3000", "--series", "300");

        assertThat(text).contains("3,000 open tasks over 300 tenant x agent x model series").contains("3,000 tasks open in the task store");
        assertThat(text).containsPattern("live heap\\s+[\\d,]+ MB with that state").containsPattern("local state\\s+[\\d,]+ MB on disk");
        assertThat(text).containsPattern("restore\\s+[\\d,.]+ s from a new instance's start to RUNNING, [1-9][\\d,]* changelog records");
    }

    @Test
    void refusesMoreSeriesThanTasks() {
        CliRun run = CliRun.run("bench", "state", "--tasks", "10", "--series", "20");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--series at most --tasks");
    }
}
