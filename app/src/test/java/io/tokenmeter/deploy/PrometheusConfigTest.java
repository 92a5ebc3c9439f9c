package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** deploy/prometheus checked by Prometheus' own promtool: the scrape config, the alerting rules and their unit tests. */
class PrometheusConfigTest {

    private static final Path DIR = DeployFiles.path("deploy/prometheus");

    private static String promtool() {
        var promtool = DeployFiles.tool("promtool");
        assumeTrue(promtool.isPresent(), DeployFiles.missing("promtool", "prometheus"));
        return promtool.get().toString();
    }

    @Test
    void theScrapeConfigIsValidAndFindsTheRules() {
        Tools check = Tools.run(DIR, null, promtool(), "check", "config", "prometheus.yml");
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 1 rule files found");
    }

    @Test
    void theAlertingRulesAreValid() {
        Tools check = Tools.run(DIR, null, promtool(), "check", "rules", "rules/tokenmeter.yml");
        assertThat(check.exit()).as(check.output()).isZero();
    }

    @Test
    void theAlertingRulesFireAndStayQuietAsTheirTestsSay() {
        Tools test = Tools.run(DIR, null, promtool(), "test", "rules", "tests/tokenmeter-rules.test.yml");
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }
}
