package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.embedded.LocalEventHubs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter eventhubs-local}: a local Event Hubs peer to try the bridge without an Azure namespace. */
@Command(name = "eventhubs-local", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a local Event Hubs peer that `tokenmeter bridge eventhubs` can read, to try the bridge without Azure.",
            "",
            "It speaks the part of the Event Hubs AMQP protocol the Azure SDK needs to consume (development-emulator mode, plain",
            "AMQP on 127.0.0.1), serves one event hub, and accepts any key. Events come from --events files or standard input,",
            "one event per line (a diagnostic-setting envelope {\"records\":[...]} or an API Management token event is one line),",
            "sent round-robin over the partitions. Events are kept in memory only, for as long as it runs. Sequence numbers start",
            "at the current time in milliseconds, so the bridge's checkpoints from an earlier run do not hide this run's events.",
            "Prints the connection string to give the bridge, then runs until Ctrl-C (or --for)."},
        footer = {"", "Examples:",
            "  tokenmeter eventhubs-local --events examples/eventhubs/apim-diagnostics.jsonl",
            "  tokenmeter eventhubs-local --hub apim-llm-logs --partitions 4 --port 5673 --for 10m",
            "  tail -f gateway-events.jsonl | tokenmeter eventhubs-local --events -",
            "",
            "Then, in other terminals:",
            "  tokenmeter run --embedded",
            "  export EVENTHUBS_CONNECTION_STRING='<the connection string it printed>'",
            "  tokenmeter bridge eventhubs --eventhub apim-logs --bootstrap-servers localhost:9092"})
final class EventHubsLocalCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "5672",
            description = "Port on 127.0.0.1 (0 picks a free one). Default: ${DEFAULT-VALUE}, the AMQP port, or a free port when it is taken.")
    int port;

    @Option(names = "--hub", paramLabel = "NAME", defaultValue = "apim-logs", description = "Name of the event hub. Default: ${DEFAULT-VALUE}.")
    String hub;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "2", description = "Partitions of the hub (1 to 1024). Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--events", paramLabel = "FILE|-",
            description = "Publish each non-blank line of FILE as one event, bytes unchanged; - reads standard input while running. Repeatable.")
    List<String> events = new ArrayList<>();

    @Mixin
    UntilStopped until;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.toConsole(Level.WARN);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (events.stream().filter("-"::equals).count() > 1) {
            throw new IllegalArgumentException("--events - (standard input) can be given once");
        }
        // read the files first: a missing file is an error before anything listens
        List<List<byte[]>> files = new ArrayList<>();
        for (String source : events) {
            if (!source.equals("-")) {
                files.add(readFile(source));
            }
        }
        AtomicLong next = new AtomicLong();
        try (LocalEventHubs peer = startPeer(out); UntilStopped running = until.onCtrlC("eventhubs-local-shutdown", () -> { })) {
            Consumer<byte[]> publish = body -> peer.publish((int) (next.getAndIncrement() % partitions), body);
            out.printf("local Event Hubs peer listening on localhost:%d: event hub '%s' with %d partition(s), consumer group $Default%n",
                    peer.port(), hub, partitions);
            int f = 0;
            for (String source : events) {
                if (!source.equals("-")) {
                    List<byte[]> lines = files.get(f++);
                    lines.forEach(publish);
                    out.printf("published %,d event(s) from %s%n", lines.size(), source);
                }
            }
            out.println();
            out.println("connection string (the key is not checked):");
            out.println("  " + peer.connectionString());
            out.println();
            out.println("next, in other terminals (the bridge needs ingest.raw, which the service creates):");
            out.println("  tokenmeter run --embedded");
            out.println("  export EVENTHUBS_CONNECTION_STRING='" + peer.connectionString() + "'");
            out.println("  tokenmeter bridge eventhubs --eventhub " + hub + " --bootstrap-servers localhost:9092");
            out.println("  curl 'localhost:8080/api/usage?window=1h&by=tenant,model&from=FROM&to=TO'   # ISO instants around the events' times");
            out.println();
            out.println(running.plan());
            out.flush();
            if (events.contains("-")) {
                Thread reader = new Thread(() -> {
                    long read = readLines(System.in, publish, err);
                    synchronized (out) {
                        out.printf("published %,d event(s) from standard input%n", read);
                        out.flush();
                    }
                }, "eventhubs-local-stdin");
                reader.setDaemon(true);
                reader.start();
            }
            running.await();
            out.printf("stopped; %,d event(s) held, %,d delivered to consumers%n", peer.size(), peer.delivered());
            out.flush();
        }
        return 0;
    }

    /** On the given port; by default 5672, or a free port when 5672 is taken (it is also RabbitMQ's). */
    private LocalEventHubs startPeer(PrintWriter out) {
        try {
            return LocalEventHubs.start(port, hub, partitions).firstSequenceNumber(System.currentTimeMillis());
        } catch (IllegalStateException taken) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--port")) {
                throw taken;
            }
            LocalEventHubs peer = LocalEventHubs.start(0, hub, partitions).firstSequenceNumber(System.currentTimeMillis());
            out.printf("port %d is taken (another AMQP server such as RabbitMQ?): using port %d instead%n", port, peer.port());
            return peer;
        }
    }

    private static List<byte[]> readFile(String source) {
        try (InputStream in = Files.newInputStream(Path.of(source))) {
            List<byte[]> lines = new ArrayList<>();
            readLines(in, lines::add, null);
            return lines;
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such file: " + source);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read " + source + ": " + e.getMessage());
        }
    }

    /** Calls {@code sink} with each non-blank line's bytes (without the line end), unchanged; returns how many. */
    static long readLines(InputStream in, Consumer<byte[]> sink, PrintWriter err) {
        long count = 0;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        count += emit(line, sink);
                    } else {
                        line.write(buffer[i]);
                    }
                }
            }
            count += emit(line, sink);
        } catch (IOException e) {
            if (err == null) {
                throw new UncheckedIOException(e);
            }
            err.println("eventhubs-local: stopped reading standard input: " + e.getMessage());
            err.flush();
        }
        return count;
    }

    private static int emit(ByteArrayOutputStream line, Consumer<byte[]> sink) {
        byte[] bytes = line.toByteArray();
        line.reset();
        int length = bytes.length;
        if (length > 0 && bytes[length - 1] == '\r') {
            length--;
        }
        boolean blank = true;
        for (int i = 0; i < length && blank; i++) {
            blank = Character.isWhitespace(bytes[i]);
        }
        if (blank) {
            return 0;
        }
        sink.accept(length == bytes.length ? bytes : Arrays.copyOf(bytes, length));
        return 1;
    }
}
