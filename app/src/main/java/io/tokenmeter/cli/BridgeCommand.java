package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.eventhubs.BlobCheckpoints;
import io.tokenmeter.eventhubs.ConnectionStrings;
import io.tokenmeter.eventhubs.EntraCredentials;
import io.tokenmeter.eventhubs.EventHubsBridge;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter bridge}: copy events from other systems into ingest.raw. */
@Command(name = "bridge", mixinStandardHelpOptions = true,
        description = {"Copy events from another messaging system into the ingest.raw topic."},
        subcommands = BridgeCommand.EventHubs.class)
final class BridgeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code tokenmeter bridge eventhubs}. */
    @Command(name = "eventhubs", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Copy every event of an Azure Event Hub into ingest.raw, exactly once (at least once with --checkpoint-store blob).",
                "",
                "Bodies are copied unchanged. Each record carries the headers eventhubs.namespace, eventhubs.hub, eventhubs.partition,",
                "eventhubs.sequence.number, eventhubs.offset and eventhubs.enqueued.time; its timestamp is the enqueued time.",
                "Each batch and its checkpoint are written in one Kafka transaction; checkpoints and partition ownership live in",
                "the compacted topic <prefix>eventhubs-checkpoints (created if missing). Several instances with the same hub and",
                "consumer group share the partitions; a partition's new owner fences the previous one.",
                "",
                "With --checkpoint-store blob, checkpoints and ownership live in an Azure Blob container instead (the Azure SDK's",
                "BlobCheckpointStore, as other Event Hubs consumers use). A blob cannot join a Kafka transaction, so each batch is",
                "committed to Kafka first and its checkpoint stored after: at least once, not exactly once. A crash between the",
                "two copies that batch again after the restart; the normalizer drops repeated usage events by their eventId.",
                "",
                "Runs until Ctrl-C (or --for). Problems are reported as one line and retried with backoff."},
            footer = {"", "Examples:",
                "  export EVENTHUBS_CONNECTION_STRING='Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=...'",
                "  tokenmeter bridge eventhubs --eventhub apim-llm-logs --bootstrap-servers kafka:9092",
                "  tokenmeter bridge eventhubs --eventhub apim-llm-logs --consumer-group tokenmeter --start latest",
                "  export EVENTHUBS_CHECKPOINT_BLOB_CONNECTION_STRING='DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...'",
                "  tokenmeter bridge eventhubs --eventhub apim-llm-logs --checkpoint-store blob --blob-container checkpoints",
                "  tokenmeter bridge eventhubs --namespace myns --eventhub apim-llm-logs --credential managed-identity",
                "",
                "With --namespace the bridge signs in with Microsoft Entra ID; the identity needs the role Azure Event Hubs Data",
                "Receiver on the hub. --credential default tries, in turn: AZURE_* environment variables (service principal),",
                "workload identity, managed identity, Azure CLI (az login), Azure PowerShell and Azure Developer CLI.",
                "",
                "Connection strings are secrets: prefer the environment variables (command lines are visible to other users);",
                "only the namespace host and the storage account URL are ever printed."})
    static final class EventHubs implements Callable<Integer> {

        @Option(names = "--connection-string", paramLabel = "CS", defaultValue = "${env:EVENTHUBS_CONNECTION_STRING}",
                    description = "Event Hubs connection string with Listen rights (default: env EVENTHUBS_CONNECTION_STRING).")
        String connectionString;

        @Option(names = "--namespace", paramLabel = "NS",
                    description = "Sign in to this namespace with Microsoft Entra ID instead of a connection string: myns or "
                            + "myns.servicebus.windows.net. Needs --eventhub.")
        String namespace;

        @Option(names = "--credential", paramLabel = "KIND", defaultValue = "default",
                description = "With --namespace: default, environment, managed-identity or azure-cli. Default: ${DEFAULT-VALUE} "
                        + "(DefaultAzureCredential).")
        String credential;

        @Option(names = "--eventhub", paramLabel = "NAME", description = "Event hub name (default: EntityPath of the connection string).")
        String eventHub;

        @Option(names = "--consumer-group", paramLabel = "GROUP", defaultValue = "$Default",
                description = "Consumer group. Default: ${DEFAULT-VALUE}.")
        String consumerGroup;

        @Option(names = "--start", paramLabel = "earliest|latest", defaultValue = "earliest",
                description = "Where partitions without a checkpoint start. Default: ${DEFAULT-VALUE} (nothing still retained is lost).")
        String start;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "500",
                description = "Most events per batch, i.e. per Kafka transaction. Default: ${DEFAULT-VALUE}.")
        int batchSize;

        @Option(names = "--checkpoint-store", paramLabel = "kafka|blob", defaultValue = "kafka",
                description = "Where checkpoints and ownership live. Default: ${DEFAULT-VALUE} (in each batch's transaction, exactly once). "
                        + "blob: an Azure Blob container, written after each batch's commit (at least once).")
        String checkpointStore;

        @Option(names = "--blob-connection-string", paramLabel = "CS", defaultValue = "${env:EVENTHUBS_CHECKPOINT_BLOB_CONNECTION_STRING}",
                description = "Azure Storage connection string for --checkpoint-store blob (default: env EVENTHUBS_CHECKPOINT_BLOB_CONNECTION_STRING).")
        String blobConnectionString;

        @Option(names = "--blob-container", paramLabel = "NAME", defaultValue = "tokenmeter-eventhubs-checkpoints",
                description = "Blob container of the checkpoints, created if missing. Default: ${DEFAULT-VALUE}.")
        String blobContainer;

        @Option(names = "--connect-attempts", paramLabel = "N", defaultValue = "0",
                description = "Give up after N failed attempts to reach the hub at start. Default: 0 (keep retrying).")
        int connectAttempts;

        @Mixin
        UntilStopped until;

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Logging.toConsole(Level.WARN);
            // the bridge reports these failures itself, in one line: the Azure SDK and a fenced producer log stack traces
            Logging.silence("com.azure", "com.microsoft.aad.msal4j", "reactor", "org.apache.qpid", "org.apache.kafka.clients.producer.internals.TransactionManager");
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            EventHubsBridge.SignIn signIn = null;
            if (namespace != null) {
                if (spec.commandLine().getParseResult().hasMatchedOption("--connection-string")) {
                    throw new IllegalArgumentException("--namespace and --connection-string exclude each other: sign in with Microsoft Entra ID "
                            + "or with the connection string's key");
                }
                if (eventHub == null || eventHub.isBlank()) {
                    throw new IllegalArgumentException("--eventhub is required with --namespace");
                }
                String fullyQualified = EventHubsBridge.SignIn.fullyQualified(namespace);
                signIn = new EventHubsBridge.SignIn(fullyQualified, EntraCredentials.create(credential));
                connectionString = null; // EVENTHUBS_CONNECTION_STRING, if set, is not used
            } else if (spec.commandLine().getParseResult().hasMatchedOption("--credential")) {
                throw new IllegalArgumentException("--credential goes with --namespace (a connection string carries its own key)");
            } else if (connectionString == null || connectionString.isBlank()) {
                throw new IllegalArgumentException("no Event Hubs connection string: pass --connection-string or set EVENTHUBS_CONNECTION_STRING");
            }
            EventHubsBridge.Start from = switch (start.toLowerCase(Locale.ROOT)) {
                case "earliest" -> EventHubsBridge.Start.EARLIEST;
                case "latest" -> EventHubsBridge.Start.LATEST;
                default -> throw new IllegalArgumentException("--start must be earliest or latest, not " + start);
            };
            if (batchSize < 1) {
                throw new IllegalArgumentException("--batch-size must be at least 1");
            }
            boolean blob = switch (checkpointStore.toLowerCase(Locale.ROOT)) {
                case "kafka" -> false;
                case "blob" -> true;
                default -> throw new IllegalArgumentException("--checkpoint-store must be kafka or blob, not " + checkpointStore);
            };
            if (!blob && (spec.commandLine().getParseResult().hasMatchedOption("--blob-connection-string")
                    || spec.commandLine().getParseResult().hasMatchedOption("--blob-container"))) {
                throw new IllegalArgumentException("--blob-connection-string and --blob-container need --checkpoint-store blob");
            }
            if (blob && (blobConnectionString == null || blobConnectionString.isBlank())) {
                throw new IllegalArgumentException("no Azure Blob connection string for --checkpoint-store blob: pass --blob-connection-string "
                        + "or set EVENTHUBS_CHECKPOINT_BLOB_CONNECTION_STRING");
            }
            TokenmeterConfig config = kafka.config();
            Topic<byte[], byte[]> target = Wiring.requireTopic(config, TopicCatalog::ingestRaw);
            String checkpoints = config.topicPrefix() + "eventhubs-checkpoints";
            EventHubsBridge.Settings settings = EventHubsBridge.Settings.of(connectionString, eventHub, consumerGroup, from,
                            config.kafkaClientProperties(), target.name(), checkpoints, config.topicReplication())
                    .withProcessorTiming(batchSize, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60))
                    .withMaxConnectAttempts(connectAttempts)
                    .withHooks(null, line -> {
                        synchronized (err) {
                            err.println("eventhubs: " + line);
                            err.flush();
                        }
                    });
            try (EventHubsBridge bridge = new EventHubsBridge(settings, signIn, blob ? BlobCheckpoints.open(blobConnectionString, blobContainer) : null);
                 UntilStopped running = until.onCtrlC("tokenmeter-bridge-shutdown", bridge::close)) {
                List<String> partitions = bridge.start();
                out.printf("bridging %s%s (%d partition(s), consumer group %s) -> %s, checkpoints in %s%s%n", bridge.namespace(),
                        bridge.eventHub(), partitions.size(), consumerGroup, target.name(), bridge.checkpoints(),
                        blob ? " after each commit (at least once)" : "");
                out.println(running.plan());
                out.flush();
                running.await();
                bridge.close();
                out.printf("copied %,d event(s) from %s%s%n", bridge.written(), bridge.namespace(), bridge.eventHub());
                out.flush();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ConnectionStrings.redact(ConnectionStrings.redact(e.getMessage(), connectionString),
                        blobConnectionString));
            }
            return 0;
        }
    }
}
