package io.tokenmeter.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

class PrometheusConventionsTest {

    @Test
    void leavesOutAbbreviatedUnitsRenamesConnectionCountsAndGivesKafkaMetricsHelpText() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new PrometheusConventions());
        FunctionCounter.builder("kafka.producer.txn.commit.time.ns.total", this, x -> 1).description("ns").register(registry);
        Gauge.builder("kafka.app.info.start.time.ms", () -> 1).description("start").register(registry);
        Gauge.builder("system.cpu.count", () -> 2).description("cpus").register(registry);
        Gauge.builder("kafka.consumer.connection.count", () -> 3).description("connections").tag("client.id", "c1").register(registry);
        Gauge.builder("kafka.producer.node.request.latency.avg", () -> 4).register(registry);
        Gauge.builder("tokenmeter.budget.used.ratio", () -> 0.5).description("Spent / limit").register(registry);

        String page = registry.scrape();

        assertThat(page).doesNotContain("_ns_").doesNotContain("start_time_ms").doesNotContain("system_cpu_count")
                .contains("kafka_consumer_connections{client_id=\"c1\"} 3.0")
                .contains("# HELP kafka_producer_node_request_latency_avg Kafka client metric kafka.producer.node.request.latency.avg")
                .contains("# HELP tokenmeter_budget_used_ratio Spent / limit");
    }
}
