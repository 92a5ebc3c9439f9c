package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** `billing export` refuses what it cannot export before it reaches for the cluster. */
class BillingExportCommandTest {

    @Test
    void aDateThatIsNotIsoIsRefusedWithTheFormsItTakes() {
        CliRun run = CliRun.run("billing", "export", "--from", "1.11.2026", "--to", "2026-12-01", "--out", "x");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("'1.11.2026' is not an ISO date (2026-11-01) or instant");
    }

    @Test
    void anUnknownFormatIsRefused() {
        CliRun run = CliRun.run("billing", "export", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "xlsx", "--out", "x");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("format must be csv or parquet, got 'xlsx'");
    }

    @Test
    void anEmptyRangeIsRefused() {
        CliRun run = CliRun.run("billing", "export", "--from", "2026-12-01", "--to", "2026-11-01", "--out", "x");

        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--from 2026-12-01T00:00:00Z must be before --to 2026-11-01T00:00:00Z");
    }

    @Test
    void theHelpShowsTheColumnsItWritesAndExamples() {
        CliRun run = CliRun.run("billing", "export", "--help");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("FOCUS 1.3").contains("AllocatedMethodId").contains("--format").contains("tokenmeter billing export --from 2026-11-01");
    }
}
