package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.ingest.JsonLinesProducer;
import io.tokenmeter.ingest.KafkaReachability;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.Producer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tokenmeter produce}: JSON lines from a file or stdin into a topic. */
@Command(name = "produce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send JSON lines from a file or stdin to a topic.",
            "",
            "One document per line, sent with acks=all.",
            "Lines that are not JSON are reported with their number and not sent; blank lines are skipped.",
            "Exit code 0 when every line went through, 1 otherwise."},
        footer = {"", "Examples:",
            "  tokenmeter produce events.jsonl",
            "  cat events.jsonl | tokenmeter produce --bootstrap-servers kafka:9092 -"})
final class ProduceCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE|-", description = "File of JSON lines, or - for standard input.")
    String input;

    @Option(names = "--topic", paramLabel = "NAME", defaultValue = "ingest.raw",
            description = "Catalog name (gets the topic prefix) or full topic name. Default: ${DEFAULT-VALUE}.")
    String topic;

    @Option(names = "--key-field", paramLabel = "FIELD", description = "Use this top-level field's text as the record key (default: no key).")
    String keyField;

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "15s", converter = DemoCommand.DurationConverter.class,
            description = "How long to wait for the cluster to answer before giving up. Default: ${DEFAULT-VALUE}.")
    Duration connectTimeout;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.toConsole(Level.WARN);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TokenmeterConfig config = kafka.config(Map.of());
        TopicCatalog catalog = Wiring.catalog(config, new SchemaRegistryClients());
        String target = catalog.find(topic).map(Topic::name).orElse(topic);
        catalog.find(target).filter(t -> t.format() == Topic.Format.AVRO).ifPresent(t -> {
            throw new IllegalArgumentException("topic " + t.name() + " holds Avro records, not JSON: send canonical JSON to "
                    + catalog.ingestRaw().name() + " and the service writes " + t.catalogName() + " from it");
        });
        JsonLinesProducer.Result result;
        try (BufferedReader reader = open()) {
            KafkaReachability.requireTopic(config.kafkaClientProperties(), target, connectTimeout);
            try (Producer<byte[], byte[]> producer = JsonLinesProducer.newProducer(config.kafkaClientProperties())) {
                result = new JsonLinesProducer(producer, target, keyField, err::println).send(reader);
            }
        }
        out.printf("sent %,d record(s) to %s", result.sent(), target);
        if (result.rejected() > 0) {
            out.printf("; %,d line(s) were not JSON and were not sent", result.rejected());
        }
        out.println();
        if (result.failed() > 0) {
            err.printf("%,d record(s) failed to send; first: %s%n", result.failed(), result.firstFailure());
        }
        out.flush();
        return result.allSent() ? 0 : 1;
    }

    private BufferedReader open() throws Exception {
        if (input.equals("-")) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        try {
            return Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + input);
        }
    }
}
