package io.tokenmeter.embedded;

import io.tokenmeter.topics.TopicCreator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.ControllerServer;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.KRaftMetadataCache;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller), run in this process from Kafka's
 * own classes: storage is formatted, the server started and awaited until it answers metadata requests.
 * The data directory survives restarts when given; otherwise a temporary one is removed on close.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    /** Written by a clean broker shutdown, removed when the broker starts (Kafka's CleanShutdownFileHandler). */
    private static final String CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
    /** The controller alone fences a crashed broker within a second or two; past this the broker starts anyway. */
    private static final Duration FENCE_TIMEOUT = Duration.ofSeconds(20);

    private final Path dataDir;
    private final boolean temporary;
    private final String host;
    private final int port;
    private final int controllerPort;
    private final Map<String, String> overrides;
    private final Duration startupTimeout;
    private KafkaRaftServer server;
    private Duration startupTime;

    private EmbeddedKafka(Builder builder) {
        try {
            this.temporary = builder.dataDir == null;
            this.dataDir = temporary ? Files.createTempDirectory("tokenmeter-kafka-") : builder.dataDir.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary data directory for the embedded broker", e);
        }
        this.host = builder.host;
        this.port = builder.port == 0 ? freePort() : builder.port;
        this.controllerPort = builder.controllerPort == 0 ? freePort() : builder.controllerPort;
        this.overrides = Map.copyOf(builder.overrides);
        this.startupTimeout = builder.startupTimeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Formats storage when it is new, starts the broker and waits until it serves metadata. */
    public EmbeddedKafka start() {
        Instant begin = Instant.now();
        ensurePortFree(port, "broker");
        ensurePortFree(controllerPort, "controller");
        Path logDir = dataDir.resolve("kafka-logs");
        Map<String, String> props = brokerProperties(logDir);
        KafkaConfig config = new KafkaConfig(props, false);
        boolean crashed = Files.exists(logDir.resolve("meta.properties"))
                && !Files.exists(logDir.resolve(CLEAN_SHUTDOWN_FILE));
        format(logDir);
        if (crashed) {
            try {
                fenceCrashedIncarnation(logDir);
            } catch (RuntimeException e) {
                LOG.warn("could not fence the crashed broker before starting it ({}); starting anyway", e.toString());
            }
        }
        server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        awaitReady();
        startupTime = Duration.between(begin, Instant.now());
        LOG.info("embedded Kafka broker ready at {} in {} ms (data in {})", bootstrapServers(), startupTime.toMillis(), dataDir);
        return this;
    }

    private Map<String, String> brokerProperties(Path logDir) {
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        props.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("metadata.log.dir", logDir.toString());
        // one node: every internal topic has one replica; few partitions keep start-up fast
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("default.replication.factor", "1");
        props.put("min.insync.replicas", "1");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        props.put("group.initial.rebalance.delay.ms", "0");
        // one node: fencing it never helps (no other broker can lead its partitions), and a fence while a commit's markers
        // are pending leaves a hanging transaction (see fenceCrashedIncarnation); only a 30 s stall fences it. A restart
        // after a crash does not wait for this session: the crashed incarnation is fenced before the broker starts
        props.put("broker.session.timeout.ms", "30000");
        // exactly-once v2 (transactions v2): the coordinator answers a commit before its markers are written, and the
        // next transaction's first produce must wait for them. The broker waits up to 100 ms by default and then answers
        // CONCURRENT_TRANSACTIONS; the producer retries, and the batch queued behind it on the same connection meets a
        // partition that has not seen the first one: OUT_OF_ORDER_SEQUENCE_NUMBER, retried too. Both are harmless but fill
        // the log; waiting on the broker until the markers are written (2 s at most) avoids both and is no slower
        props.put("add.partitions.to.txn.retry.backoff.max.ms", "2000");
        // a small machine: few threads and a small cleaner buffer instead of the 128 MB default
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "4");
        props.put("background.threads", "4");
        props.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
        props.put("log.cleaner.threads", "1");
        props.put("log.cleaner.backoff.ms", "5000");
        props.putAll(overrides);
        return props;
    }

    /**
     * After a crash, fences the dead incarnation of the broker with the controller alone, before the broker starts.
     * <p>
     * Started as usual, the broker would first publish the metadata it last knew, in which it still leads every
     * partition: the transaction coordinator loads and starts completing a transaction the crash left in
     * PREPARE_COMMIT or PREPARE_ABORT. Moments later the controller fences the dead incarnation (its session expired)
     * and every partition is leaderless until the new one registers. Kafka 4.3 takes a leaderless partition for a
     * deleted one and completes the transaction without writing its markers (KAFKA-20734): the transaction hangs open
     * on its changelog, output and offsets partitions, so exactly-once readers, the changelog restore of Kafka Streams
     * and its committed-offset fetches wait for it for ever. Fenced beforehand, the broker starts with leaderless
     * partitions, its coordinators start only when the new incarnation is elected leader of all of them at once, and the
     * markers are written. It also spares the new incarnation a wait of a whole broker session for the dead one.
     */
    private void fenceCrashedIncarnation(Path logDir) {
        Instant begin = Instant.now();
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "controller");
        props.put("node.id", Integer.toString(NODE_ID));
        props.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        props.put("listeners", "CONTROLLER://" + host + ":" + controllerPort);
        props.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT");
        props.put("controller.listener.names", "CONTROLLER");
        props.put("log.dirs", logDir.toString());
        props.put("metadata.log.dir", logDir.toString());
        // nobody heartbeats to this controller: the dead broker's session ends half a second after it takes over
        props.put("broker.session.timeout.ms", "500");
        props.put("broker.heartbeat.interval.ms", "250");
        KafkaRaftServer controller = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        controller.startup();
        try {
            Instant deadline = Instant.now().plus(FENCE_TIMEOUT);
            Instant absentSince = null;
            while (true) {
                ControllerServer server = controllerOf(controller);
                if (server.controller() != null && server.controller().isActive() && server.metadataCache() != null) {
                    KRaftMetadataCache metadata = server.metadataCache();
                    if (metadata.isBrokerFenced(NODE_ID)) {
                        break;
                    }
                    // a broker that never registered has nothing to fence: give the metadata two seconds to show it
                    absentSince = metadata.hasAliveBroker(NODE_ID) ? null : absentSince == null ? Instant.now() : absentSince;
                    if (absentSince != null && Duration.between(absentSince, Instant.now()).toSeconds() >= 2) {
                        break;
                    }
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the crashed broker was not fenced within " + FENCE_TIMEOUT);
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fencing the crashed broker", e);
        } finally {
            controller.shutdown();
            controller.awaitShutdown();
        }
        LOG.info("the broker was not shut down cleanly: fenced its last incarnation in {} ms before starting it", Duration.between(begin, Instant.now()).toMillis());
    }

    /**
     * The controller of a controller-only server, to read its view of the cluster in this process: an admin client
     * asking a controller is told about controllers, not brokers.
     */
    private static ControllerServer controllerOf(KafkaRaftServer controllerOnly) {
        try {
            Field field = KafkaRaftServer.class.getDeclaredField("controller");
            field.setAccessible(true);
            return (ControllerServer) ((scala.Option<?>) field.get(controllerOnly)).get();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot read the controller's view of the cluster (another Kafka version?): " + e, e);
        }
    }

    private void format(Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return; // formatted by an earlier start: keep its cluster id and data
        }
        try {
            Files.createDirectories(logDir);
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format the embedded broker's storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(startupTimeout);
        Exception last = null;
        try (Admin admin = admin()) {
            while (Instant.now().isBefore(deadline)) {
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    last = e;
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        throw new IllegalStateException("embedded broker did not become ready within " + startupTimeout, last);
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = admin()) {
            TopicCreator.ensure(admin, topics);
        }
    }

    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    public String bootstrapServers() {
        return host + ":" + port;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Duration startupTime() {
        return startupTime;
    }

    /** Stops the broker; a temporary data directory is deleted, a given one kept for the next start. */
    @Override
    public void close() {
        if (server != null) {
            KafkaRaftServer running = server;
            server = null;
            try {
                running.shutdown();
                running.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.warn("embedded broker shutdown: {}", e.getMessage());
            }
        }
        if (temporary) {
            deleteRecursively(dataDir);
        }
    }

    private static void ensurePortFree(int port, String what) {
        try (ServerSocket socket = new ServerSocket(port)) {
            socket.setReuseAddress(true);
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " for the embedded " + what + " is already in use; choose another one");
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", dir, e.getMessage());
        }
    }

    /** Options of an embedded broker; every one has a default. */
    public static final class Builder {
        private Path dataDir;
        private String host = "127.0.0.1";
        private int port;
        private int controllerPort;
        private final Map<String, String> overrides = new HashMap<>();
        private Duration startupTimeout = Duration.ofSeconds(60);

        /** Where logs and metadata live; kept across restarts. Default: a temporary directory removed on close. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** The client port; 0 (default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder controllerPort(int controllerPort) {
            this.controllerPort = controllerPort;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Any broker setting, e.g. {@code log.retention.hours}. */
        public Builder brokerProperty(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = timeout;
            return this;
        }

        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }
}
