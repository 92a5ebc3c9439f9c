package io.tokenmeter.eventhubs;

import com.azure.core.amqp.AmqpRetryMode;
import com.azure.core.amqp.AmqpRetryOptions;
import com.azure.core.amqp.exception.AmqpErrorCondition;
import com.azure.core.amqp.exception.AmqpException;
import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.identity.CredentialUnavailableException;
import com.azure.messaging.eventhubs.EventHubClientBuilder;
import com.azure.messaging.eventhubs.EventHubConsumerAsyncClient;
import com.azure.messaging.eventhubs.EventHubProperties;
import com.azure.messaging.eventhubs.EventProcessorClient;
import com.azure.messaging.eventhubs.EventProcessorClientBuilder;
import com.azure.messaging.eventhubs.LoadBalancingStrategy;
import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.EventBatchContext;
import com.azure.messaging.eventhubs.models.EventPosition;
import com.azure.messaging.eventhubs.models.PartitionContext;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * Copies the events of one Event Hub (all partitions, one consumer group) into a Kafka topic, bodies unchanged, with
 * exactly-once delivery: each batch and its checkpoint are one Kafka transaction ({@link PartitionWriter}), and the
 * checkpoints live in a compacted Kafka topic ({@link KafkaCheckpointStore}). With {@link BlobCheckpoints} instead,
 * each checkpoint is stored after its batch's commit: at least once.
 */
public final class EventHubsBridge implements AutoCloseable {

    /** Where new partitions (without a checkpoint) start. */
    public enum Start { EARLIEST, LATEST }

    /**
     * What the bridge needs.
     *
     * @param connectionString Event Hubs connection string (a secret: never shown, see {@link ConnectionStrings#mask}); null
     *                         when signing in with Microsoft Entra ID ({@link SignIn})
     * @param eventHub hub name, or null to take it from the connection string's EntityPath
     * @param beforeCommit called after a batch is sent and before its transaction commits; a fault-injection point
     * @param report where one-line, secret-free problem reports go
     */
    public record Settings(String connectionString, String eventHub, String consumerGroup, Start start,
                           Map<String, Object> kafkaClientProperties, String targetTopic, String checkpointTopic, short replication,
                           int maxBatchSize, Duration maxWait, Duration loadBalancingInterval, Duration ownershipExpiration,
                           int maxConnectAttempts, Consumer<String> beforeCommit, Consumer<String> report, Clock clock) {

        public Settings {
            Objects.requireNonNull(consumerGroup, "consumerGroup");
            Objects.requireNonNull(start, "start");
            beforeCommit = beforeCommit == null ? p -> { } : beforeCommit;
            report = report == null ? m -> { } : report;
            clock = clock == null ? Clock.systemUTC() : clock;
        }

        /** Defaults for a service: batches of up to 500, 10 s load balancing, 60 s ownership expiry, retry forever. */
        public static Settings of(String connectionString, String eventHub, String consumerGroup, Start start,
                                  Map<String, Object> kafkaClientProperties, String targetTopic, String checkpointTopic, short replication) {
            return new Settings(connectionString, eventHub, consumerGroup, start, kafkaClientProperties, targetTopic, checkpointTopic,
                    replication, 500, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60), 0, null, null, null);
        }

        public Settings withProcessorTiming(int batchSize, Duration wait, Duration interval, Duration expiration) {
            return new Settings(connectionString, eventHub, consumerGroup, start, kafkaClientProperties, targetTopic, checkpointTopic,
                    replication, batchSize, wait, interval, expiration, maxConnectAttempts, beforeCommit, report, clock);
        }

        public Settings withMaxConnectAttempts(int attempts) {
            return new Settings(connectionString, eventHub, consumerGroup, start, kafkaClientProperties, targetTopic, checkpointTopic,
                    replication, maxBatchSize, maxWait, loadBalancingInterval, ownershipExpiration, attempts, beforeCommit, report, clock);
        }

        public Settings withHooks(Consumer<String> beforeCommitHook, Consumer<String> reportSink) {
            return new Settings(connectionString, eventHub, consumerGroup, start, kafkaClientProperties, targetTopic, checkpointTopic,
                    replication, maxBatchSize, maxWait, loadBalancingInterval, ownershipExpiration, maxConnectAttempts, beforeCommitHook,
                    reportSink, clock);
        }

        /** Fields shown in toString: never the connection string. */
        @Override
        public String toString() {
            return "Settings[namespace=" + ConnectionStrings.mask(connectionString) + ", eventHub=" + eventHub
                    + ", consumerGroup=" + consumerGroup + ", start=" + start + ", targetTopic=" + targetTopic + "]";
        }
    }

    /**
     * Microsoft Entra ID sign-in: the namespace and the credential whose tokens the SDK puts on $cbs. With a
     * connection string as well (a local emulator), the connection string names the endpoint and the credential
     * replaces its key.
     */
    public record SignIn(String namespace, TokenCredential credential) {

        public SignIn {
            Objects.requireNonNull(credential, "credential");
            namespace = fullyQualified(namespace);
        }

        /** {@code myns}, {@code myns.servicebus.windows.net} or {@code sb://myns.servicebus.windows.net/}: the host. */
        public static String fullyQualified(String namespace) {
            String host = namespace == null ? "" : namespace.trim().toLowerCase(Locale.ROOT).replaceFirst("^[a-z]+://", "")
                    .replaceFirst("/.*$", "");
            if (host.isEmpty() || !host.matches("[a-z0-9.-]+")) {
                throw new IllegalArgumentException("--namespace needs an Event Hubs namespace such as myns or myns.servicebus.windows.net, not '"
                        + (namespace == null ? "" : namespace.trim()) + "'");
            }
            return host.contains(".") ? host : host + ".servicebus.windows.net";
        }
    }

    private final Settings settings;
    private final SignIn signIn;
    private final String connectionString;
    private final String hub;
    private final String host;
    private final BridgeCheckpoints store;
    private final Map<String, PartitionWriter> writers = new ConcurrentHashMap<>();
    private final Set<String> owned = ConcurrentHashMap.newKeySet();
    private final AtomicLong written = new AtomicLong();
    private final Map<String, Long> lastReports = new ConcurrentHashMap<>();
    private volatile boolean abandoned;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long lastEventNanos = System.nanoTime();
    private boolean unreachable; // watchdog thread only
    private EventProcessorClient processor;
    private ScheduledExecutorService watchdog;

    /** A bridge with its checkpoints in Kafka, in each batch's transaction. */
    public EventHubsBridge(Settings settings) {
        this(settings, null, null);
    }

    /**
     * A bridge that signs in with Microsoft Entra ID when {@code signIn} is given, else with the connection string's
     * key; with its checkpoints and partition ownership in {@code blob} (which it closes), or in Kafka when {@code blob}
     * is null (the checkpoint topic of {@code settings} is then neither created nor used).
     */
    public EventHubsBridge(Settings settings, SignIn signIn, BlobCheckpoints blob) {
        this.settings = settings;
        this.signIn = signIn;
        if (settings.connectionString() == null && signIn == null) {
            throw new IllegalArgumentException("no Event Hubs connection string and no namespace to sign in to");
        }
        this.host = settings.connectionString() != null ? ConnectionStrings.namespaceHost(settings.connectionString()) : signIn.namespace();
        String entityPath = settings.connectionString() == null ? null : part(settings.connectionString(), "EntityPath");
        this.hub = settings.eventHub() != null ? settings.eventHub() : entityPath;
        if (hub == null || hub.isBlank()) {
            throw new IllegalArgumentException(signIn != null ? "no event hub: --eventhub is required with --namespace"
                    : "no event hub: pass --eventhub or put EntityPath= in the connection string");
        }
        this.connectionString = settings.connectionString() == null ? null : withoutPart(settings.connectionString(), "EntityPath");
        if (blob != null) {
            this.store = blob;
        } else {
            KafkaCheckpointStore.ensureTopic(settings.kafkaClientProperties(), settings.checkpointTopic(), settings.replication());
            this.store = new KafkaCheckpointStore(settings.kafkaClientProperties(), settings.checkpointTopic(), settings.clock());
        }
    }

    /** Where the checkpoints are: the Kafka topic, or the Blob container and its account URL. */
    public String checkpoints() {
        return store.describe();
    }

    /** The namespace as it may be shown: {@code sb://host/}. */
    public String namespace() {
        return "sb://" + host + "/";
    }

    public String eventHub() {
        return hub;
    }

    /** The partitions this instance processes now. */
    public Set<String> partitions() {
        return Set.copyOf(owned);
    }

    /** This instance's owner id in the partition ownership records; null before {@link #start()}. */
    public String ownerId() {
        return processor == null ? null : processor.getIdentifier();
    }

    /** Events written to Kafka (committed) since start. */
    public long written() {
        return written.get();
    }

    /**
     * Checks that the namespace answers and the hub exists, retrying with exponential backoff (1 s doubling to 30 s)
     * and reporting each failure as one line; then starts the processor. Returns the hub's partition ids.
     *
     * @throws IllegalStateException when {@code maxConnectAttempts} (if positive) attempts failed
     */
    public List<String> start() throws InterruptedException {
        List<String> partitions = awaitHub();
        EventPosition initial = settings.start() == Start.EARLIEST ? EventPosition.earliest() : EventPosition.latest();
        EventProcessorClientBuilder builder = new EventProcessorClientBuilder();
        if (connectionString != null) {
            builder.connectionString(connectionString, hub);
        }
        if (signIn != null) {
            builder.credential(host, hub, signIn.credential()); // after the connection string: its endpoint stays, its key goes
        }
        processor = builder
                .consumerGroup(settings.consumerGroup())
                .checkpointStore(store)
                .loadBalancingStrategy(LoadBalancingStrategy.GREEDY)
                .loadBalancingUpdateInterval(settings.loadBalancingInterval())
                .partitionOwnershipExpirationInterval(settings.ownershipExpiration())
                .initialPartitionEventPosition(p -> initial)
                .retryOptions(retryOptions(Duration.ofSeconds(30)))
                .processEventBatch(this::onBatch, settings.maxBatchSize(), settings.maxWait())
                .processPartitionInitialization(init -> owned.add(init.getPartitionContext().getPartitionId()))
                .processPartitionClose(close -> {
                    owned.remove(close.getPartitionContext().getPartitionId());
                    closeWriter(close.getPartitionContext().getPartitionId());
                })
                .processError(error -> {
                    if (!abandoned && !closed.get()) { // stop() itself raises "Scheduler unavailable"
                        report("partition " + (error.getPartitionContext() == null ? "-" : error.getPartitionContext().getPartitionId())
                                + ": " + explain(error.getThrowable()));
                    }
                })
                .buildEventProcessorClient();
        processor.start();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "eventhubs-bridge-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        long interval = settings.loadBalancingInterval().toMillis();
        watchdog.scheduleWithFixedDelay(this::watch, interval, interval, TimeUnit.MILLISECONDS);
        return partitions;
    }

    /**
     * The SDK recovers lost connections by itself but says nothing while it retries: when no event came in for an
     * interval, a plain TCP connection tells whether the namespace still answers, and a lost one is reported.
     */
    private void watch() {
        if (closed.get() || abandoned || System.nanoTime() - lastEventNanos < settings.loadBalancingInterval().toNanos()) {
            return;
        }
        Optional<String> problem = probe();
        if (problem.isPresent()) {
            unreachable = true;
            report(problem.get() + "; the bridge keeps retrying and carries on from its checkpoints when it answers");
        } else if (unreachable) {
            unreachable = false;
            lastReports.clear();
            settings.report().accept("Event Hubs namespace " + host + " answers again");
        }
    }

    private List<String> awaitHub() throws InterruptedException {
        long backoff = 1;
        for (int attempt = 1; ; attempt++) {
            EventHubClientBuilder builder = new EventHubClientBuilder();
            if (connectionString != null) {
                builder.connectionString(connectionString, hub);
            }
            if (signIn != null) {
                builder.credential(host, hub, signIn.credential());
            }
            try (EventHubConsumerAsyncClient client = builder.consumerGroup(settings.consumerGroup())
                    .retryOptions(retryOptions(Duration.ofSeconds(10)).setMaxRetries(0)).buildAsyncConsumerClient()) {
                EventHubProperties properties = client.getEventHubProperties().block(Duration.ofSeconds(20));
                return properties.getPartitionIds().stream().toList();
            } catch (RuntimeException e) {
                String problem = probe().orElseGet(() -> explain(e));
                if (settings.maxConnectAttempts() > 0 && attempt >= settings.maxConnectAttempts()) {
                    throw new IllegalStateException(problem + " (gave up after " + attempt + " attempt(s))");
                }
                settings.report().accept(problem + "; retrying in " + backoff + " s");
                Thread.sleep(backoff * 1000);
                backoff = Math.min(30, backoff * 2);
            }
        }
    }

    /**
     * What a plain TCP connection to the namespace says, when it fails: the SDK reports an unreachable host only as
     * a time-out, which hides the actual reason.
     */
    private Optional<String> probe() {
        String ns = "Event Hubs namespace " + host;
        URI endpoint = URI.create(connectionString == null ? "sb://" + host + "/" : part(connectionString, "Endpoint"));
        boolean emulator = connectionString != null && "true".equalsIgnoreCase(part(connectionString, "UseDevelopmentEmulator"));
        int port = endpoint.getPort() > 0 ? endpoint.getPort() : emulator ? 5672 : 5671;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.getHost(), port), 5_000);
            return Optional.empty();
        } catch (UnknownHostException e) {
            return Optional.of("cannot resolve " + ns + (connectionString == null ? " (check --namespace)"
                    : " (check the Endpoint of the connection string)"));
        } catch (ConnectException e) {
            return Optional.of("cannot reach " + ns + " (connection refused on port " + port + ")");
        } catch (SocketTimeoutException e) {
            return Optional.of("cannot reach " + ns + " (no answer on port " + port + " within 5 s)");
        } catch (IOException e) {
            return Optional.of("cannot reach " + ns + " (" + e.getMessage() + ")");
        }
    }

    private static AmqpRetryOptions retryOptions(Duration tryTimeout) {
        return new AmqpRetryOptions().setMode(AmqpRetryMode.EXPONENTIAL).setMaxRetries(5)
                .setDelay(Duration.ofSeconds(1)).setMaxDelay(Duration.ofSeconds(30)).setTryTimeout(tryTimeout);
    }

    private void onBatch(EventBatchContext batch) {
        if (batch.getEvents().isEmpty()) {
            return;
        }
        lastEventNanos = System.nanoTime();
        PartitionContext context = batch.getPartitionContext();
        String partition = context.getPartitionId();
        try {
            PartitionWriter writer = writers.computeIfAbsent(partition, p -> new PartitionWriter(settings.kafkaClientProperties(),
                    context.getFullyQualifiedNamespace(), context.getEventHubName(), context.getConsumerGroup(), p,
                    settings.targetTopic(), store, settings.beforeCommit()));
            int copied = writer.write(batch.getEvents());
            written.addAndGet(copied);
            if (copied > 0) {
                checkpointAfterCommit(partition, writer.committed());
            }
        } catch (RuntimeException e) {
            // reported even after abandon(): a fenced zombie saying so is what a failure drill wants to see
            report("partition " + partition + ": " + explain(e) + "; the partition restarts from its last checkpoint");
            throw e;
        }
    }

    /**
     * Stores the checkpoint of a committed batch where the store cannot take part in the transaction (Blob). When that
     * fails the events are in Kafka already: the bridge goes on, and the next batch's checkpoint covers both. Only a
     * restart before that copies them again.
     */
    private void checkpointAfterCommit(String partition, Checkpoint checkpoint) {
        try {
            store.afterCommit(checkpoint);
        } catch (RuntimeException e) {
            report("partition " + partition + ": checkpoint not stored (" + explain(e) + "); the batch is in Kafka, the next "
                    + "checkpoint covers it (a restart before then copies it again)");
        }
    }

    private void closeWriter(String partition) {
        if (abandoned) {
            return; // a crashed process closes nothing
        }
        PartitionWriter writer = writers.remove(partition);
        if (writer != null) {
            writer.close();
        }
    }

    /** One line, no secrets, no stack trace; repeated lines are shown at most every 30 s. */
    private void report(String line) {
        long now = settings.clock().millis();
        Long last = lastReports.put(line, now);
        if (last == null || now - last > 30_000) {
            settings.report().accept(line);
        } else {
            lastReports.put(line, last);
        }
    }

    /** A one-line, secret-free explanation of an Event Hubs or Kafka failure. */
    public String explain(Throwable error) {
        String ns = "Event Hubs namespace " + host;
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AmqpException amqp && amqp.getErrorCondition() != null) {
                AmqpErrorCondition condition = amqp.getErrorCondition();
                if (condition == AmqpErrorCondition.NOT_FOUND) {
                    return "event hub '" + hub + "' (or consumer group '" + settings.consumerGroup() + "') was not found in " + ns;
                }
                if (condition == AmqpErrorCondition.UNAUTHORIZED_ACCESS) {
                    return signIn != null
                            ? ns + " refused the Microsoft Entra ID token (the identity needs the Azure Event Hubs Data Receiver role on the hub)"
                            : ns + " refused the credentials of the connection string (check SharedAccessKeyName and SharedAccessKey)";
                }
            }
            if (t instanceof CredentialUnavailableException) {
                return "no Microsoft Entra ID credential is available to sign in to " + ns + " (" + credentialDetail(t) + ")";
            }
            if (t instanceof ClientAuthenticationException) {
                return "Microsoft Entra ID sign-in for " + ns + " failed (" + credentialDetail(t) + ")";
            }
            if (t instanceof UnknownHostException) {
                return "cannot resolve " + ns + (connectionString == null ? " (check --namespace)"
                        : " (check the Endpoint of the connection string)");
            }
            if (t instanceof ConnectException) {
                return "cannot reach " + ns + " (connection refused)";
            }
            if (t instanceof ProducerFencedException
                    || t instanceof InvalidProducerEpochException) {
                return "another bridge instance took over this partition (Kafka producer fenced)";
            }
        }
        if (error instanceof IllegalStateException && error.getCause() == null && error.getMessage() != null) {
            return ConnectionStrings.redact(error.getMessage(), settings.connectionString());
        }
        String detail = Stream.iterate(error, Objects::nonNull, Throwable::getCause)
                .map(t -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                .distinct().limit(2).collect(Collectors.joining(": "));
        if (error instanceof TimeoutException || detail.contains("within") || detail.toLowerCase(Locale.ROOT).contains("timeout")) {
            return "no answer from " + ns + " in time (" + ConnectionStrings.redact(oneLine(detail), settings.connectionString()) + ")";
        }
        return ns + ": " + ConnectionStrings.redact(oneLine(detail), settings.connectionString());
    }

    /** The first sentence of an azure-identity message, which lists every credential tried over many lines. */
    private String credentialDetail(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        String flat = oneLine(message.replaceAll("https?://\\S+", "").replaceAll("To mitigate this issue, please refer to the troubleshooting guidelines here at", ""));
        return ConnectionStrings.redact(flat, settings.connectionString());
    }

    private static String oneLine(String s) {
        String flat = s.replaceAll("\\s+", " ").trim();
        return flat.length() > 300 ? flat.substring(0, 300) + "…" : flat;
    }

    private static String part(String connectionString, String name) {
        for (String p : connectionString.split(";")) {
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(name)) {
                return p.substring(eq + 1).trim();
            }
        }
        return null;
    }

    private static String withoutPart(String connectionString, String name) {
        return Stream.of(connectionString.split(";"))
                .filter(p -> !p.isBlank() && !p.trim().toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + "="))
                .collect(Collectors.joining(";"));
    }

    /**
     * Stops consuming as a crashed process would: the Event Hubs processor stops, but Kafka transactions in flight
     * are neither committed nor aborted and the producers stay open (zombies) until {@link #close()}. For failure
     * drills: the next owner must fence them.
     */
    public void abandon() {
        abandoned = true;
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (processor != null) {
            processor.stop();
        }
    }

    /** Stops the processor (in-flight batches finish), then closes the producers and the checkpoint store. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (watchdog != null) {
            watchdog.shutdownNow();
        }
        if (processor != null && !abandoned) {
            processor.stop();
        }
        writers.values().forEach(w -> {
            try {
                w.close();
            } catch (RuntimeException e) {
                // already fenced or broken: nothing left to flush
            }
        });
        writers.clear();
        store.close();
    }
}
