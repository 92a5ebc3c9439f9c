package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.deploy.DeployFiles;
import io.tokenmeter.deploy.PromQl;
import io.tokenmeter.deploy.Tools;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The service's real /metrics, after a small workload that makes every labelled meter exist (priced and unpriced calls,
 * closed tasks, a dead letter, an alert, a budget), read by Prometheus' own tools: {@code promtool check metrics} finds
 * nothing to complain about, every metric the Grafana dashboard and the alerting rules query is exposed, and a real
 * Prometheus scraping the service answers every panel's query with data and evaluates every rule without error.
 */
@ExtendWith(SharedKafka.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsDashboardIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DASHBOARD = DeployFiles.path("deploy/grafana/dashboards/tokenmeter.json");
    private static final Path RULES = DeployFiles.path("deploy/prometheus/rules/tokenmeter.yml");
    /** Series Prometheus makes itself while scraping, not the service. */
    private static final Set<String> SYNTHETIC = Set.of("up");

    private ServiceFixture service;
    private String metrics;
    private Process prometheus;

    @BeforeAll
    void startTheServiceAndMakeEveryMeterExist(SharedKafka.Cluster cluster) throws Exception {
        String prefix = cluster.uniquePrefix("metrics");
        // one clock for the budget, the calls and the service's now, on the full hour, so they share the budget's period
        Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        // a one-second grace: a task closes as soon as event time passes its outcome by a second
        service = ServiceFixture.instance(cluster, prefix, Map.of(TokenmeterConfig.WINDOW_GRACE, "1000"), clock).start();
        PricePublisher.publish(service.clientProperties(), service.topics.prices(), PriceCatalogs.defaultCatalog().entries());
        CliRun budget = CliRun.onCluster(clock, cluster, prefix, "budgets", "set", "--scope", "tenant:contoso", "--period", "year", "--amount", "50");
        assertThat(budget.exit()).as(budget.err()).isZero();

        List<String> documents = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String tenant = i % 2 == 0 ? "contoso" : "fabrikam";
            documents.add("{\"kind\":\"usage\",\"eventId\":\"m" + i + "\",\"timestamp\":\"" + now.plusMillis(i) + "\",\"tenant\":\"" + tenant
                    + "\",\"useCase\":\"triage\",\"agent\":\"triage-agent\",\"taskId\":\"task-" + i + "\",\"model\":\"gpt-4o\",\"resourceId\":\"oai-metrics\","
                    + "\"inputTokens\":1200,\"cachedInputTokens\":200,\"outputTokens\":300,\"reasoningTokens\":0}");
            documents.add("{\"kind\":\"task-outcome\",\"taskId\":\"task-" + i + "\",\"timestamp\":\"" + now.plusMillis(100 + i) + "\",\"tenant\":\""
                    + tenant + "\",\"useCase\":\"triage\",\"status\":\"" + (i < 4 ? "SUCCEEDED" : "FAILED") + "\"}");
        }
        documents.add("{\"kind\":\"usage\",\"eventId\":\"unpriced\",\"timestamp\":\"" + now + "\",\"tenant\":\"contoso\",\"agent\":\"lab-agent\","
                + "\"model\":\"model-nobody-priced\",\"inputTokens\":10}");
        documents.add("this is not JSON");
        // later calls of other tasks move event time past the outcomes' grace on every partition, so the tasks close
        for (int i = 0; i < 12; i++) {
            documents.add("{\"kind\":\"usage\",\"eventId\":\"later" + i + "\",\"timestamp\":\"" + now.plusSeconds(60) + "\",\"tenant\":\""
                    + (i % 2 == 0 ? "contoso" : "fabrikam") + "\",\"useCase\":\"triage\",\"agent\":\"triage-agent\",\"taskId\":\"later-" + i
                    + "\",\"model\":\"gpt-4o\",\"inputTokens\":100}");
        }
        service.sendRaw(documents);
        // the bill of the day: the estimated-vs-actual gauges per resource
        java.nio.file.Path container = BillingScenario.oneLine(java.time.LocalDate.ofInstant(now, ZoneOffset.UTC),
                "/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai-metrics", "gpt 4o Inp glbl 1M Tokens", 6_000,
                "1.00", "run-1", now);
        CliRun bill = CliRun.onCluster(clock, cluster, prefix, "billing", "load", container.toString());
        assertThat(bill.exit()).as(bill.err()).isZero();

        List<String> wanted = List.of("tokenmeter_cost_total{", "tokenmeter_tasks_total{", "tokenmeter_task_cost_usd_total{",
                "tokenmeter_dead_letters_total{", "tokenmeter_alerts_total{", "tokenmeter_budget_used_ratio{", "tokenmeter_budget_spent_usd{",
                "tokenmeter_billing_actual_cost_usd{", "tokenmeter_billing_estimated_cost_usd{");
        long deadline = System.currentTimeMillis() + 90_000;
        String body = "";
        while (System.currentTimeMillis() < deadline) {
            body = service.get("/metrics").body();
            String current = body;
            if (wanted.stream().allMatch(current::contains)) {
                break;
            }
            Thread.sleep(250);
        }
        String last = body;
        assertThat(wanted).as("meters on /metrics after the workload").allMatch(last::contains);
        metrics = body;
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void promtoolFindsNothingToComplainAboutInTheRealMetrics() {
        var promtool = DeployFiles.tool("promtool");
        assumeTrue(promtool.isPresent(), DeployFiles.missing("promtool", "prometheus"));

        Tools check = Tools.run(DeployFiles.ROOT, metrics, promtool.get().toString(), "check", "metrics");

        assertThat(check.output()).as("promtool check metrics").isEmpty();
        assertThat(check.exit()).isZero();
    }

    @Test
    void everyMetricTheDashboardAndTheRulesQueryIsExposed() throws IOException {
        Set<String> exposed = exposedNames(metrics);
        Map<String, Set<String>> queried = new LinkedHashMap<>();
        dashboardQueries().forEach((title, expr) -> queried.put("panel '" + title + "'", PromQl.metricNames(expr)));
        ruleQueries().forEach((alert, expr) -> queried.put("rule " + alert, PromQl.metricNames(expr)));

        assertThat(queried).isNotEmpty();
        Map<String, Set<String>> missing = new LinkedHashMap<>();
        queried.forEach((where, names) -> {
            Set<String> absent = names.stream().filter(n -> !exposed.contains(n) && !SYNTHETIC.contains(n)).collect(Collectors.toCollection(TreeSet::new));
            if (!absent.isEmpty()) {
                missing.put(where, absent);
            }
        });
        assertThat(missing).as("metrics queried but not on /metrics").isEmpty();
    }

    @Test
    void aRealPrometheusScrapingTheServiceAnswersEveryPanelAndEvaluatesEveryRule() throws Exception {
        var binary = DeployFiles.tool("prometheus");
        assumeTrue(binary.isPresent(), DeployFiles.missing("prometheus", "prometheus"));
        String api = startPrometheus(binary.get());
        HttpClient http = HttpClient.newHttpClient();
        // three scrapes at least, so rate() and increase() have two samples in any window
        awaitQuery(http, api, "count_over_time(up{job=\"tokenmeter\"}[1m]) >= 3");

        Map<String, String> failures = new LinkedHashMap<>();
        for (Map.Entry<String, String> panel : dashboardQueries().entrySet()) {
            String expr = PromQl.withGrafanaVariables(panel.getValue());
            JsonNode answer = query(http, api, expr);
            if (!"success".equals(answer.path("status").asText())) {
                failures.put(panel.getKey(), expr + " -> " + answer);
            } else if (answer.path("data").path("result").isEmpty()) {
                failures.put(panel.getKey(), expr + " -> no data");
            }
        }
        assertThat(failures).as("panels whose query fails or has no data").isEmpty();

        JsonNode rules = awaitRulesEvaluated(http, api);
        List<String> unhealthy = new ArrayList<>();
        for (JsonNode group : rules.path("data").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (!"ok".equals(rule.path("health").asText())) {
                    unhealthy.add(rule.path("name").asText() + ": " + rule.path("health").asText() + " " + rule.path("lastError").asText());
                }
            }
        }
        assertThat(unhealthy).isEmpty();
    }

    /** Sample names on the page (a counter's {@code _total}, a histogram's {@code _bucket}: what a query names). */
    private static Set<String> exposedNames(String page) {
        return page.lines().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Every query of the dashboard, by panel title (the variable's query under "variable tenant"). */
    static Map<String, String> dashboardQueries() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            int i = 0;
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText() + (i++ == 0 ? "" : " #" + i), target.path("expr").asText());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            JsonNode query = variable.path("query");
            queries.put("variable " + variable.path("name").asText(), query.isTextual() ? query.asText() : query.path("query").asText());
        }
        return queries;
    }

    private static Map<String, String> ruleQueries() throws IOException {
        JsonNode rules = new YAMLMapper().readTree(RULES.toFile());
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                queries.put(rule.path("alert").asText(rule.path("record").asText()), rule.path("expr").asText());
            }
        }
        return queries;
    }

    private String startPrometheus(Path binary) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("target"), "prometheus-it-").toAbsolutePath();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                "rule_files: ['" + RULES + "']",
                "scrape_configs:",
                "  - job_name: tokenmeter",
                "    static_configs: [{targets: ['127.0.0.1:" + service.service.httpPort() + "']}]", ""));
        prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        String api = "http://127.0.0.1:" + port;
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(api + "/-/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return api;
                }
            } catch (IOException notYet) {
                // still starting
            }
            assertThat(prometheus.isAlive()).as("prometheus exited; see " + dir.resolve("prometheus.log")).isTrue();
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not ready within 30 s; see " + dir.resolve("prometheus.log"));
    }

    private static JsonNode query(HttpClient http, String api, String expr) throws IOException, InterruptedException {
        URI uri = URI.create(api + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        return JSON.readTree(http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private static void awaitQuery(HttpClient http, String api, String expr) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode answer = null;
        while (System.currentTimeMillis() < deadline) {
            answer = query(http, api, expr);
            if (!answer.path("data").path("result").isEmpty()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no answer to " + expr + " within 30 s; last: " + answer);
    }

    private static JsonNode awaitRulesEvaluated(HttpClient http, String api) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        JsonNode rules = null;
        while (System.currentTimeMillis() < deadline) {
            rules = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/rules")).build(), HttpResponse.BodyHandlers.ofString()).body());
            boolean allEvaluated = true;
            for (JsonNode group : rules.path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    allEvaluated &= !"unknown".equals(rule.path("health").asText());
                }
            }
            if (allEvaluated && !rules.path("data").path("groups").isEmpty()) {
                return rules;
            }
            Thread.sleep(250);
        }
        return rules;
    }
}
