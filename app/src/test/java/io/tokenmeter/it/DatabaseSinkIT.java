package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The database feed as shipped: a Connect worker (in this JVM) started from deploy/connect/connect-distributed.properties
 * with the connectors of deploy/connect/*.json, only hosts, credentials and the topic prefix substituted, writes what
 * the real topology produced into this machine's PostgreSQL: windows, task costs and budget status, upserted by key,
 * and a removed budget's row deleted. Each run uses its own PostgreSQL schema (dropped afterwards); without a
 * reachable PostgreSQL (it.postgres.url, default jdbc:postgresql://127.0.0.1:5432/test as postgres) it is skipped.
 */
@ExtendWith(SharedKafka.class)
class DatabaseSinkIT {

    private static final Path DEPLOY = Path.of("..", "deploy", "connect");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Z_]+)}");
    private static final long CALL_NANOS = 1_100_000_000L; // 1,000,000 o4-mini input tokens at $1.10 per million

    @Test
    void windowsTaskCostsAndBudgetStatusLandInPostgresUpsertedByKeyAndARemovedBudgetIsDeleted(SharedKafka.Cluster cluster) throws Exception {
        String url = System.getProperty("it.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
        String user = System.getProperty("it.postgres.user", "postgres");
        String password = System.getProperty("it.postgres.password", "");
        DriverManager.setLoginTimeout(5);
        Connection admin;
        try {
            admin = DriverManager.getConnection(url, user, password);
        } catch (SQLException e) {
            Assumptions.abort("PostgreSQL not reachable at " + url + " as " + user + " (" + e.getMessage() + "); the database sink test needs one");
            return;
        }
        String schema = "sink_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String prefix = cluster.uniquePrefix("db-sink");
        try (admin; Statement sql = admin.createStatement()) {
            sql.execute("CREATE SCHEMA " + schema);
            Map<String, String> env = Map.of(
                    "POSTGRES_JDBC_URL", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema,
                    "POSTGRES_USER", user, "POSTGRES_PASSWORD", password, "SCHEMA_REGISTRY_URL", cluster.registryUrl());
            // one partition: windows close on the event time of their own partition, so the later call closes them
            try (ServiceFixture service = ServiceFixture.instance(cluster, prefix,
                    Map.of(TokenmeterConfig.WINDOW_GRACE, "1000", TokenmeterConfig.TOPIC_PARTITIONS, "1")).start();
                 ConnectWorker connect = ConnectWorker.start(workerProperties(cluster, prefix, env))) {
                PricePublisher.publish(service.clientProperties(), service.topics.prices(), PriceCatalogs.defaultCatalog().entries());
                // the budget is set at the calls' time, all within one hour: whatever the day, they are in one period
                Instant t0 = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(1, ChronoUnit.HOURS);
                CliRun set = CliRun.onCluster(Clock.fixed(t0, ZoneOffset.UTC), cluster, prefix, "budgets", "set", "--scope", "tenant:contoso",
                        "--period", "year", "--amount", "5");
                assertThat(set.exit()).as(set.err()).isZero();
                for (String file : List.of("pg-usage-windows.json", "pg-task-costs.json", "pg-budget-status.json", "pg-cost-allocated.json")) {
                    connect.put(connector(file, prefix, env));
                }

                service.sendRaw(List.of(call("c1", t0.plusSeconds(1), "task-1"), call("c2", t0.plusSeconds(2), "task-1"),
                        "{\"kind\":\"task-outcome\",\"taskId\":\"task-1\",\"timestamp\":\"" + t0.plusSeconds(3)
                                + "\",\"tenant\":\"contoso\",\"useCase\":\"contracts\",\"status\":\"SUCCEEDED\"}"));
                Map<String, Object> budget = awaitRow(admin, connect, "SELECT * FROM " + schema + ".budget_status",
                        row -> Long.valueOf(2 * CALL_NANOS).equals(row.get("spentnanos")));
                assertThat(budget).containsEntry("id", "tenant:contoso").containsEntry("action", "ALLOW").containsEntry("scopevalue", "contoso");

                // a call two minutes later closes the first minute's window and the task, and updates the budget's row
                long sent = System.nanoTime();
                service.sendRaw(List.of(call("c3", t0.plusSeconds(120), "task-2")));
                budget = awaitRow(admin, connect, "SELECT * FROM " + schema + ".budget_status",
                        row -> Long.valueOf(3 * CALL_NANOS).equals(row.get("spentnanos")));
                long recordToRowMillis = (System.nanoTime() - sent) / 1_000_000;
                assertThat(budget).containsEntry("action", "WARN").containsEntry("id", "tenant:contoso");
                assertThat((Double) budget.get("percent")).isCloseTo(66.0, org.assertj.core.data.Offset.offset(1e-9));
                assertThat(count(admin, schema + ".budget_status")).isEqualTo(1);

                Map<String, Object> window = awaitRow(admin, connect, "SELECT * FROM " + schema + ".usage_windows WHERE windowsize = '1m'", row -> true);
                assertThat(window).containsEntry("tenant", "contoso").containsEntry("model", "o4-mini")
                        .containsEntry("requests", 2L).containsEntry("inputtokens", 2_000_000L).containsEntry("costnanos", 2 * CALL_NANOS);
                assertThat(((java.sql.Timestamp) window.get("windowstart")).toLocalDateTime()).isEqualTo(java.time.LocalDateTime.ofInstant(t0, java.time.ZoneOffset.UTC));

                Map<String, Object> task = awaitRow(admin, connect, "SELECT * FROM " + schema + ".task_costs", row -> true);
                assertThat(task).containsEntry("id", "task-1").containsEntry("status", "SUCCEEDED").containsEntry("calls", 2L)
                        .containsEntry("costnanos", 2 * CALL_NANOS);

                // the bill of the calls' day: its allocation lands in cost_allocated; a re-export replaces the row (a tombstone deletes
                // the first run's part, the second run's part is inserted)
                bill(cluster, prefix, t0, "run-1", "3.00");
                Map<String, Object> allocated = awaitRow(admin, connect, "SELECT * FROM " + schema + ".cost_allocated",
                        row -> Long.valueOf(3_000_000_000L).equals(row.get("allocatedcostnanos")));
                assertThat(allocated).containsEntry("tenant", "contoso").containsEntry("meterkind", "INPUT").containsEntry("basis", 3_000_000L);
                assertThat((String) allocated.get("id")).contains("/run-1#0|contoso|");
                bill(cluster, prefix, t0, "run-2", "2.70");
                allocated = awaitRow(admin, connect, "SELECT * FROM " + schema + ".cost_allocated",
                        row -> Long.valueOf(2_700_000_000L).equals(row.get("allocatedcostnanos")));
                assertThat((String) allocated.get("id")).contains("/run-2#0|contoso|");

                CliRun remove = CliRun.onCluster(cluster, prefix, "budgets", "remove", "--scope", "tenant:contoso");
                assertThat(remove.exit()).as(remove.err()).isZero();
                awaitCount(admin, connect, schema + ".budget_status", 0);
                System.out.printf("DatabaseSinkIT: call to updated budget_status row in %d ms%n", recordToRowMillis);
            } finally {
                sql.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    /** The shipped worker file, pointed at the test's broker, a free port, this build's plugin path and per-test topics. */
    private static Map<String, String> workerProperties(SharedKafka.Cluster cluster, String prefix, Map<String, String> env) throws IOException {
        Properties file = new Properties();
        try (Reader reader = Files.newBufferedReader(DEPLOY.resolve("connect-distributed.properties"))) {
            file.load(reader);
        }
        Map<String, String> props = new HashMap<>();
        file.forEach((k, v) -> props.put(k.toString(), substitute(v.toString(), env)));
        assertThat(props).containsEntry("bootstrap.servers", "kafka:9092").containsEntry("plugin.path", "/opt/connect-plugins");
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("listeners", "http://127.0.0.1:0");
        props.put("plugin.path", System.getProperty("connect.plugin.path", "target/connect-plugins"));
        props.put("group.id", prefix + "connect");
        props.put("config.storage.topic", prefix + "connect.configs");
        props.put("offset.storage.topic", prefix + "connect.offsets");
        props.put("status.storage.topic", prefix + "connect.status");
        props.put("offset.flush.interval.ms", "1000");
        return props;
    }

    /** A connector file as shipped, with the environment substituted and the topic under this test's prefix. */
    private static ObjectNode connector(String file, String prefix, Map<String, String> env) throws IOException {
        ObjectNode node = (ObjectNode) JSON.readTree(substitute(Files.readString(DEPLOY.resolve(file)), env));
        ObjectNode config = (ObjectNode) node.get("config");
        String topic = config.get("topics").asText();
        assertThat(topic).startsWith("tokenmeter.");
        config.put("topics", prefix + topic.substring("tokenmeter.".length()));
        return node;
    }

    private static String substitute(String text, Map<String, String> env) {
        Matcher matcher = ENV.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = env.get(matcher.group(1));
            assertThat(value).as("the test does not know ${env:%s}", matcher.group(1)).isNotNull();
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /** An export run billing the day of {@code t0}: the three calls' 3,000,000 o4-mini input tokens for {@code cost}, loaded with the CLI. */
    private static void bill(SharedKafka.Cluster cluster, String prefix, Instant t0, String runId, String cost) throws IOException {
        Path container = BillingScenario.oneLine(java.time.LocalDate.ofInstant(t0, ZoneOffset.UTC), ACCOUNT, "o4 mini Inp glbl 1M Tokens", 3_000_000,
                cost, runId, t0.plus(runId.equals("run-1") ? 1 : 2, ChronoUnit.DAYS));
        CliRun load = CliRun.onCluster(cluster, prefix, "billing", "load", container.toString());
        assertThat(load.exit()).as(load.err()).isZero();
    }

    private static final String ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.CognitiveServices/accounts/oai-sink";

    private static String call(String id, Instant at, String task) {
        return "{\"kind\":\"usage\",\"eventId\":\"sink-" + id + "\",\"timestamp\":\"" + at + "\",\"tenant\":\"contoso\",\"useCase\":\"contracts\","
                + "\"resourceId\":\"" + ACCOUNT + "\","
                + "\"agent\":\"contract-agent\",\"taskId\":\"" + task + "\",\"model\":\"o4-mini\",\"inputTokens\":1000000,\"outputTokens\":0}";
    }

    /** Polls {@code query} until its single row satisfies {@code done} (60 s); fails early with the task trace if a connector task failed. */
    private static Map<String, Object> awaitRow(Connection db, ConnectWorker connect, String query,
                                                java.util.function.Predicate<Map<String, Object>> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<Map<String, Object>> rows = List.of();
        while (System.nanoTime() < deadline) {
            rows = rows(db, query);
            if (rows.size() == 1 && done.test(rows.get(0))) {
                return rows.get(0);
            }
            connect.assertNoFailedTask();
            Thread.sleep(200);
        }
        throw new AssertionError("no matching single row for " + query + "; last rows: " + rows + "; connectors: " + connect.statuses());
    }

    private static void awaitCount(Connection db, ConnectWorker connect, String table, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (count(db, table) != count) {
            connect.assertNoFailedTask();
            if (System.nanoTime() > deadline) {
                throw new AssertionError(table + " still has " + count(db, table) + " rows, expected " + count + "; connectors: " + connect.statuses());
            }
            Thread.sleep(200);
        }
    }

    private static int count(Connection db, String table) throws SQLException {
        try {
            List<Map<String, Object>> rows = rows(db, "SELECT count(*) AS n FROM " + table);
            return ((Number) rows.get(0).get("n")).intValue();
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState())) { // the sink has not created the table yet
                return -1;
            }
            throw e;
        }
    }

    private static List<Map<String, Object>> rows(Connection db, String query) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Statement statement = db.createStatement(); ResultSet result = statement.executeQuery(query)) {
            while (result.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= result.getMetaData().getColumnCount(); i++) {
                    row.put(result.getMetaData().getColumnName(i), result.getObject(i));
                }
                rows.add(row);
            }
        } catch (SQLException e) {
            if ("42P01".equals(e.getSQLState()) && !query.contains("count(*)")) {
                return List.of(); // not created yet
            }
            throw e;
        }
        return rows;
    }

    /** A distributed Connect worker in this JVM; Connect's fatal exits become exceptions instead of ending the JVM. */
    private static final class ConnectWorker implements AutoCloseable {
        private final Connect<?> connect;
        private final URI rest;
        private final List<String> names = new ArrayList<>();
        private final HttpClient http = HttpClient.newHttpClient();

        private ConnectWorker(Connect<?> connect) {
            this.connect = connect;
            this.rest = connect.rest().serverUrl();
        }

        static ConnectWorker start(Map<String, String> props) {
            Exit.setExitProcedure((code, message) -> {
                throw new IllegalStateException("Connect wanted to exit with " + code + ": " + message);
            });
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            try {
                return new ConnectWorker(new ConnectDistributed().startConnect(props));
            } finally {
                Thread.currentThread().setContextClassLoader(loader); // startConnect swaps in its delegating loader
            }
        }

        void put(ObjectNode connector) throws Exception {
            String name = connector.get("name").asText();
            HttpResponse<String> answer = send(HttpRequest.newBuilder(rest.resolve("/connectors/" + name + "/config"))
                    .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(connector.get("config").toString())));
            assertThat(answer.statusCode()).as(answer.body()).isIn(200, 201);
            names.add(name);
        }

        void assertNoFailedTask() throws Exception {
            for (String name : names) {
                HttpResponse<String> answer = send(HttpRequest.newBuilder(rest.resolve("/connectors/" + name + "/status")).GET());
                if (answer.statusCode() == 200) {
                    for (JsonNode task : JSON.readTree(answer.body()).path("tasks")) {
                        if ("FAILED".equals(task.path("state").asText())) {
                            throw new AssertionError("connector " + name + " task failed: " + task.path("trace").asText());
                        }
                    }
                }
            }
        }

        String statuses() throws Exception {
            StringBuilder out = new StringBuilder();
            for (String name : names) {
                out.append(send(HttpRequest.newBuilder(rest.resolve("/connectors/" + name + "/status")).GET()).body()).append(' ');
            }
            return out.toString();
        }

        private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public void close() {
            connect.stop();
            connect.awaitStop();
            Exit.resetExitProcedure();
        }
    }
}
