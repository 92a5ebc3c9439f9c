package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void readsTheMetricNamesAndNotTheFunctionsLabelsOrKeywords() {
        assertThat(PromQl.metricNames("sum by (use_case) (increase(tokenmeter_task_cost_usd_total{tenant=~\"$tenant\"}[1d]))"
                + " / on (use_case) sum by (use_case) (increase(tokenmeter_tasks_total{status=\"SUCCEEDED\"}[1d]))"))
                .containsExactly("tokenmeter_task_cost_usd_total", "tokenmeter_tasks_total");
        assertThat(PromQl.metricNames("topk(10, sum without (model) (rate(tokenmeter_cost_total[5m]))) * 3600"))
                .containsExactly("tokenmeter_cost_total");
        assertThat(PromQl.metricNames("max(tokenmeter_budget_limit_usd) - max(tokenmeter_budget_spent_usd) > bool 0 or vector(0)"))
                .containsExactly("tokenmeter_budget_limit_usd", "tokenmeter_budget_spent_usd");
        assertThat(PromQl.metricNames("label_values(tokenmeter_cost_total, tenant)")).containsExactly("tokenmeter_cost_total");
        assertThat(PromQl.metricNames("up{job=\"tokenmeter\"} == 0")).containsExactly("up");
    }

    @Test
    void replacesGrafanasVariables() {
        assertThat(PromQl.withGrafanaVariables("rate(x{tenant=~\"$tenant\"}[$__rate_interval])")).isEqualTo("rate(x{tenant=~\".*\"}[1m])");
        assertThat(PromQl.withGrafanaVariables("label_values(tokenmeter_cost_total, tenant)")).isEqualTo("count by (tenant) (tokenmeter_cost_total)");
    }
}
