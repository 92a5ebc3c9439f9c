package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter run}: the streams service, against a cluster or an embedded broker. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the streams service against a Kafka cluster, or an embedded one.",
            "",
            "The service normalizes, prices, aggregates and watches usage, and serves the HTTP API.",
            "With --embedded it first starts a single-node Kafka broker and a schema registry in this process.",
            "Stops cleanly on Ctrl-C or SIGTERM."},
        footer = {"", "Examples:",
            "  tokenmeter run --embedded",
            "  tokenmeter run --bootstrap-servers kafka:9092 --schema-registry http://registry:8081"})
final class RunCommand implements Callable<Integer> {

    @Option(names = "--embedded", description = "Start an embedded Kafka broker and schema registry first.")
    boolean embedded;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "tokenmeter-data",
            description = "With --embedded: where the broker, registry and state stores keep data across restarts. Default: ./${DEFAULT-VALUE}.")
    Path dataDir;

    @Option(names = "--kafka-port", paramLabel = "PORT", defaultValue = "9092", description = "With --embedded: the broker's port. Default: ${DEFAULT-VALUE}.")
    int kafkaPort;

    @Option(names = "--registry-port", paramLabel = "PORT", defaultValue = "8081",
            description = "With --embedded: the schema registry's port. Default: ${DEFAULT-VALUE}.")
    int registryPort;

    @Option(names = "--http-port", paramLabel = "PORT", description = "Port of the HTTP API (config http.port; default 8080; 0 picks a free one).")
    Integer httpPort;

    @Option(names = "--application-id", paramLabel = "ID",
            description = "Kafka Streams application id; instances with the same id share the work (config application.id; default tokenmeter).")
    String applicationId;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Directory of the local state stores (config state.dir).")
    Path stateDir;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.toConsole(Level.INFO);
        PrintWriter out = spec.commandLine().getOut();
        Instant begin = Instant.now();
        Map<String, String> extra = new LinkedHashMap<>();
        if (httpPort != null) {
            extra.put(TokenmeterConfig.HTTP_PORT, httpPort.toString());
        }
        if (applicationId != null) {
            extra.put(TokenmeterConfig.APPLICATION_ID, applicationId);
        }
        if (stateDir != null) {
            extra.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
        }
        EmbeddedStack stack = null;
        if (embedded) {
            if (kafka.bootstrapServers != null || kafka.schemaRegistry != null) {
                throw new IllegalArgumentException("--embedded runs its own broker and registry: drop --bootstrap-servers and --schema-registry");
            }
            out.println("starting embedded Kafka on port " + kafkaPort + " and schema registry on port " + registryPort
                    + " (data in " + dataDir.toAbsolutePath() + ")");
            out.flush();
            stack = EmbeddedStack.start(dataDir, "127.0.0.1", kafkaPort, registryPort);
            extra.put(TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            extra.put(TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl());
            extra.put(TokenmeterConfig.TOPIC_REPLICATION, "1");
            extra.putIfAbsent(TokenmeterConfig.STATE_DIR, dataDir.resolve("streams").toString());
        }
        TokenmeterConfig config = kafka.config(extra);
        TopicCatalog topics = Wiring.catalog(config, new SchemaRegistryClients());
        if (embedded) {
            int loaded = EmbeddedDefaults.prepare(config, topics);
            if (loaded > 0) {
                out.println("loaded the default price catalog (" + loaded + " entries; `tokenmeter prices list` shows them)");
            }
        }
        StreamsService service = new StreamsService(config, topics, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        EmbeddedStack ownedStack = stack;
        Thread shutdown = new Thread(() -> {
            service.close();
            if (ownedStack != null) {
                ownedStack.close();
            }
            stopped.countDown();
        }, "tokenmeter-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        try {
            service.start();
        } catch (RuntimeException e) {
            Runtime.getRuntime().removeShutdownHook(shutdown);
            shutdown.run();
            throw e;
        }
        boolean running = service.awaitRunning(Duration.ofSeconds(120));
        out.printf("tokenmeter %s %s in %.1f s%n", VersionProvider.version(), running ? "running" : "started (streams still starting)",
                Duration.between(begin, Instant.now()).toMillis() / 1000.0);
        out.println("  Kafka:            " + config.bootstrapServers() + (embedded ? " (embedded)" : ""));
        out.println("  schema registry:  " + topics.registry().describe());
        out.println("  topics:           " + topics.prefix() + "*  (application id " + config.applicationId() + ")");
        out.println("  HTTP API:         http://localhost:" + service.httpPort() + "/health");
        out.println("Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
