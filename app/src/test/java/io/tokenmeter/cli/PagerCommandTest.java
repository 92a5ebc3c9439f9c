package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** {@code tokenmeter pager} as a user meets it: help with examples, and one-line errors before any connection. */
class PagerCommandTest {

    @Test
    void helpNamesTheTargetsTheRoutesAndGivesExamples() {
        CliRun run = CliRun.run("pager", "--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("pager.alertmanager.url", "pager.pagerduty.routing.key", "pager.webhook.<name>.format=slack|teams|generic",
                "min.severity", "Examples:", "tokenmeter pager --alertmanager http://alertmanager:9093");
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of(new String[] {"--alertmanager", "alertmanager:9093"},
                        "error: pager.alertmanager.url is not an http(s) URL with a host: [hidden]"),
                Arguments.of(new String[] {"--webhook", "ops=https//hooks.slack.com/services/T0/B0/secret"},
                        "error: pager.webhook.ops.url is not an http(s) URL with a host: [hidden]"),
                Arguments.of(new String[] {"--webhook", "ops=https://hooks.example.com/x", "--set", "pager.webhook.ops.format=email"},
                        "error: Invalid value email for configuration pager.webhook.ops.format: a webhook format is slack, teams or generic"),
                Arguments.of(new String[] {"--alertmanager", "http://am:9093", "--set", "pager.alertmanager.types=RUNAWAY"},
                        "error: Invalid value RUNAWAY for configuration pager.alertmanager.types: an alert type is one of "
                                + "[RUNAWAY_LOOP, TOKEN_SPIKE, RETRY_STORM, UNPRICED_MODEL, BUDGET_THRESHOLD, BUDGET_FORECAST, BILL_DRIFT, OTHER]"),
                Arguments.of(new String[] {}, "error: no pager targets: pass --alertmanager URL or --webhook NAME=URL, or set "
                        + "pager.alertmanager.url, pager.pagerduty.routing.key or pager.webhook.<name>.url"));
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void aBadSettingIsOneLineNamingItWithoutTheSecretPartOfTheUrl(String[] args, String error) {
        CliRun run = CliRun.run(Stream.concat(Stream.of("pager", "--bootstrap-servers", "127.0.0.1:1"), Stream.of(args)).toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().strip()).isEqualTo(error);
        assertThat(run.err()).doesNotContain("secret").doesNotContain("Exception");
    }
}
