package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.budgets.BudgetPublisher;
import io.tokenmeter.config.Durations;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.demo.ConsoleView;
import io.tokenmeter.demo.DemoBill;
import io.tokenmeter.demo.DemoWorkload;
import io.tokenmeter.demo.FlowMonitor;
import io.tokenmeter.demo.ReplayClock;
import io.tokenmeter.demo.WorkloadRunner;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.ingest.JsonLinesProducer;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.topics.TopicSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter demo}: everything on the embedded default with a synthetic workload, shown live. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run everything on an embedded broker with a synthetic workload, shown live.",
            "",
            "Starts an embedded Kafka broker, schema registry and the tokenmeter service, plays a synthetic workload",
            "(several tenants, agents and models, with five scripted incidents) and shows what flows, live.",
            "By default the last 24 hours are replayed in about a minute, then traffic continues in real time.",
            "With --for it stops by itself, prints a summary and exits 0; otherwise Ctrl-C stops it."},
        footer = {"", "Examples:",
            "  tokenmeter demo --for 60s",
            "  tokenmeter demo --seed 7 --http-port 9090"})
final class DemoCommand implements Callable<Integer>, WallClocked {

    /** Reads --for values such as 60s, 5m or PT2M. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return Durations.parse(value);
        }
    }

    /**
     * How long the summary waits for the pipeline to catch up with what was sent: seconds on an idle machine, but a
     * loaded one (CI beside other builds) was seen to need more than 20 for the stages behind usage (tasks, budgets).
     */
    private static final Duration DRAIN = Duration.ofSeconds(60);

    @Option(names = "--for", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop after this long (e.g. 60s, 5m) and print a summary. Default: run until Ctrl-C.")
    Duration runFor;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Seed of the workload: the same seed gives the same events. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--speed", paramLabel = "X", defaultValue = "1440",
            description = "Simulated seconds per wall-clock second while replaying (1440: a day per minute). Default: ${DEFAULT-VALUE}.")
    double speed;

    @Option(names = "--start", paramLabel = "ISO-INSTANT",
            description = "Simulated start time (default: 24 hours ago, on the hour). The replay ends 24 hours later.")
    Instant start;

    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8080", description = "Port of the HTTP API (0 picks a free one). Default: ${DEFAULT-VALUE}.")
    int httpPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Keep broker data and the log here (default: a temporary directory, removed at exit).")
    Path dataDir;

    @Option(names = "--plain", description = "Print one status line per refresh instead of redrawing the screen (the default when not on a terminal).")
    boolean plain;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--bill", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "At the end, write the Azure bill (a FOCUS export) of the simulated days, load it and show estimated against actual "
                    + "cost per tenant and the drift. Default: on; --no-bill skips it.")
    boolean bill;

    @Spec
    CommandSpec spec;

    /**
     * The wall clock: it places the default replay (the last 24 hours), drives the replay and times the run. Everything
     * that asks for "now" about events or budgets asks the replay clock made from it instead. Tests shift it to choose
     * the date; to run the command it must tick (a fixed clock would never finish a replay).
     */
    Clock wall = Clock.systemUTC();

    @Override
    public void wall(Clock wall) {
        this.wall = wall;
    }

    /** The replay of this run: from --start, or the last 24 hours before the wall clock's now. */
    ReplayClock replayClock() {
        if (speed <= 0) {
            throw new IllegalArgumentException("--speed must be positive, got " + speed);
        }
        return start != null ? ReplayClock.from(start, speed, wall) : ReplayClock.lastDay(speed, wall);
    }

    @Override
    public Integer call() throws Exception {
        ReplayClock replay = replayClock();
        Instant simStart = replay.start();
        PrintWriter out = spec.commandLine().getOut();
        Instant begin = wall.instant();
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("tokenmeter-demo-") : Files.createDirectories(dataDir);
        Path log = dir.resolve("tokenmeter-demo.log");
        Logging.toFile(log, Level.ERROR);

        boolean external = kafka.bootstrapServers != null;
        EmbeddedStack stack = null;
        Map<String, String> extra = new LinkedHashMap<>();
        if (!external) {
            out.println("starting an embedded Kafka broker and schema registry...");
            out.flush();
            stack = EmbeddedStack.start(dir.resolve("kafka"), "127.0.0.1", 0, 0);
            extra.put(TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            extra.put(TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl());
            extra.put(TokenmeterConfig.TOPIC_REPLICATION, "1");
        }
        extra.put(TokenmeterConfig.APPLICATION_ID, "tokenmeter-demo");
        extra.put(TokenmeterConfig.AZURE_RESOURCES, String.join(",", DemoBill.resources()));
        extra.put(TokenmeterConfig.STATE_DIR, dir.resolve("streams").toString());
        extra.put(TokenmeterConfig.HTTP_PORT, Integer.toString(httpPort));
        TokenmeterConfig config = kafka.config(extra);
        TopicCatalog topics = Wiring.catalog(config, new SchemaRegistryClients());

        StreamsService service = null;
        WorkloadRunner runner = null;
        FlowMonitor monitor = null;
        CountDownLatch interrupted = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            interrupted.countDown();
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-ctrl-c");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        try {
            EmbeddedDefaults.prepare(config, topics);
            if (!external) {
                keepReplayedRecords(config, topics);
            }
            if (BudgetPublisher.readAll(config.kafkaClientProperties(), topics.budgets()).isEmpty()) {
                // the demo's own budgets, unless the cluster has budgets already: never overwrite a user's. They are set at the
                // start of the replay, so their periods are those of the replayed day
                BudgetPublisher.publish(config.kafkaClientProperties(), topics.budgets(), DemoWorkload.budgets(replay));
            }
            out.println("starting the tokenmeter service...");
            out.flush();
            // the API answers for the replayed now: /api/budgets and /api/quota show the replayed day's period
            service = new StreamsService(config, topics, replay).start();
            if (!service.awaitRunning(Duration.ofSeconds(120))) {
                throw new IllegalStateException("the streams service did not reach RUNNING within 120 s; see " + log);
            }
            Duration startup = Duration.between(begin, wall.instant());
            out.printf(Locale.ROOT, "ready in %.1f s: Kafka %s, schema registry %s, API http://localhost:%d/health%n",
                    startup.toMillis() / 1000.0, config.bootstrapServers(), topics.registry().describe(), service.httpPort());
            out.flush();

            DemoWorkload workload = new DemoWorkload(seed, simStart);
            monitor = new FlowMonitor(config.kafkaClientProperties(), topics).start();
            runner = new WorkloadRunner(workload, JsonLinesProducer.newProducer(config.kafkaClientProperties()), topics.ingestRaw().name(),
                    replay).start();

            ConsoleView view = new ConsoleView(out, !plain && System.console() != null);
            List<String> header = header(config, topics, service, replay, startup, external, log);
            Instant playing = wall.instant();
            Duration refresh = view.live() ? Duration.ofSeconds(1) : Duration.ofSeconds(5);
            while (true) {
                Duration elapsed = Duration.between(playing, wall.instant());
                if (runFor != null && elapsed.compareTo(runFor) >= 0) {
                    break;
                }
                long wait = runFor == null ? refresh.toMillis() : Math.min(refresh.toMillis(), runFor.minus(elapsed).toMillis());
                if (interrupted.await(Math.max(wait, 1), TimeUnit.MILLISECONDS)) {
                    break;
                }
                view.render(frame(runner, monitor, service, playing, header, simStart));
            }
            runner.close();
            boolean drained = awaitDrained(runner, monitor, service, DRAIN);
            Duration played = Duration.between(playing, wall.instant());
            ConsoleView.Frame last = frame(runner, monitor, service, playing, header, simStart);
            out.println();
            out.println("=== tokenmeter demo summary ===");
            ConsoleView.lines(last).forEach(out::println);
            out.printf(Locale.ROOT, "startup %.1f s; %,d documents in %.1f s (%,.0f per second); log: %s%n",
                    startup.toMillis() / 1000.0, runner.sentTotal(), played.toMillis() / 1000.0,
                    runner.sentTotal() / Math.max(played.toMillis() / 1000.0, 0.001), temporary ? "(removed with the temporary directory)" : log);
            FlowMonitor.Snapshot flow = last.flow();
            long accounted = flow.usage() + flow.outcomes() + flow.deadLetters() + last.duplicatesDropped();
            if (accounted >= runner.sentTotal()) {
                out.printf(Locale.ROOT, "all %,d documents accounted for: %,d usage events, %,d task outcomes, %,d dead letters, %,d duplicates dropped%n",
                        runner.sentTotal(), flow.usage(), flow.outcomes(), flow.deadLetters(), last.duplicatesDropped());
                if (!drained) {
                    out.printf(Locale.ROOT, "warning: task costs and budgets had not caught up within %d s; the tables above may be behind%n",
                            DRAIN.toSeconds());
                }
            } else {
                out.printf(Locale.ROOT, "warning: %,d documents sent but only %,d came out of the pipeline within %d s%n", runner.sentTotal(), accounted,
                        DRAIN.toSeconds());
            }
            if (runner.failure() != null) {
                out.println("warning: some documents could not be sent: " + runner.failure().getMessage());
            }
            out.flush();
            if (bill && interrupted.getCount() > 0) { // not after Ctrl-C: the user wants out
                DemoBill.play(config.kafkaClientProperties(), topics, monitor, service.httpPort(), dir.resolve("bill"), replay.instant(), wall, out);
            }
            return 0;
        } finally {
            if (monitor != null) {
                monitor.close();
            }
            if (runner != null) {
                runner.close();
            }
            if (service != null) {
                service.close();
            }
            if (stack != null) {
                stack.close();
            }
            if (temporary) {
                deleteRecursively(dir);
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is already running and waits for us
            }
        }
    }

    /**
     * The replayed day may be older than a topic's retention (ingest.raw keeps a week): the broker would then delete
     * what the demo sends at its next retention check, whether or not the pipeline has read it yet. On its own embedded
     * broker, whose data is temporary anyway, the demo keeps every record instead.
     */
    private static void keepReplayedRecords(TokenmeterConfig config, TopicCatalog topics) throws Exception {
        Map<ConfigResource, Collection<AlterConfigOp>> keepAll = new LinkedHashMap<>();
        for (Topic<?, ?> topic : topics.all()) {
            if (topic.settings().cleanupPolicy() == TopicSettings.CleanupPolicy.DELETE) {
                keepAll.put(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()),
                        List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, "-1"), AlterConfigOp.OpType.SET)));
            }
        }
        try (Admin admin = Admin.create(config.kafkaClientProperties())) {
            admin.incrementalAlterConfigs(keepAll).all().get(30, TimeUnit.SECONDS);
        }
    }

    private List<String> header(TokenmeterConfig config, TopicCatalog topics, StreamsService service, ReplayClock replay, Duration startup,
                                boolean external, Path log) {
        List<String> header = new ArrayList<>();
        header.add(String.format(Locale.ROOT, "tokenmeter demo (seed %d, %.0fx)   Kafka %s%s   API http://localhost:%d/health",
                seed, speed, config.bootstrapServers(), external ? "" : " (embedded)", service.httpPort()));
        header.add(String.format(Locale.ROOT, "replaying %s -> %s UTC, then live (grace for late events %s); ready in %.1f s; log %s",
                replay.start().toString().replace("T", " ").replace(":00Z", ""), replay.end().toString().replace("T", " ").replace(":00Z", ""),
                Durations.format(config.windowGrace()), startup.toMillis() / 1000.0, log));
        header.add("");
        return header;
    }

    private ConsoleView.Frame frame(WorkloadRunner runner, FlowMonitor monitor, StreamsService service, Instant playing,
                                           List<String> header, Instant simStart) {
        FlowMonitor.Snapshot flow = monitor.snapshot();
        List<String> incidents = new ArrayList<>();
        for (DemoWorkload.Incident incident : DemoWorkload.INCIDENTS) {
            Instant at = simStart.plus(incident.offset());
            String state = runner.simulatedNow().isBefore(at) ? "at " + at.toString().substring(11, 16) : "played";
            incidents.add(String.format(Locale.ROOT, "%-14s %-9s %-24s %s", incident.name(), state, detection(incident, at, flow),
                    incident.description()));
        }
        return new ConsoleView.Frame(Duration.between(playing, wall.instant()), null, runner.simulatedNow(), runner.sentTotal(),
                runner.sent(DemoWorkload.Kind.DUPLICATE), runner.sent(DemoWorkload.Kind.MALFORMED),
                (long) service.metrics().total("tokenmeter.duplicates.dropped"), flow, header, incidents);
    }

    /** Whether the alert that should catch an incident fired, soon enough after it started. */
    private static String detection(DemoWorkload.Incident incident, Instant at, FlowMonitor.Snapshot flow) {
        return flow.alerts().stream()
                .filter(a -> a.getType().name().equals(incident.expectedAlert()) && a.getStatus() == AlertStatus.FIRING)
                .filter(a -> !a.getDetectedAt().isBefore(at) && a.getDetectedAt().isBefore(at.plus(incident.detectWithin())))
                .findFirst()
                .map(a -> "detected " + a.getType() + " " + a.getDetectedAt().toString().substring(11, 16))
                .orElse("not detected yet");
    }

    /**
     * Waits until everything sent has come out of the pipeline (as usage, outcome, dead letter or dropped duplicate),
     * then until the service has processed everything behind it (task costs, budgets), and the monitor has read it.
     * False if {@code timeout} came first, at any of the three.
     */
    private boolean awaitDrained(WorkloadRunner runner, FlowMonitor monitor, StreamsService service, Duration timeout) throws InterruptedException {
        Instant deadline = wall.instant().plus(timeout);
        while (accounted(monitor.snapshot(), service) < runner.sentTotal()) {
            if (!wall.instant().isBefore(deadline)) {
                return false;
            }
            Thread.sleep(200);
        }
        // then the stages behind the usage topic (tasks, budgets) until the service has nothing left to process, and the
        // monitor has read what they wrote
        while (service.committedLag() != 0) {
            if (!wall.instant().isBefore(deadline)) {
                return false;
            }
            Thread.sleep(250);
        }
        while (monitor.sinceLastBudgetStatus().compareTo(Duration.ofSeconds(1)) < 0) {
            if (!wall.instant().isBefore(deadline)) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static long accounted(FlowMonitor.Snapshot flow, StreamsService service) {
        return flow.usage() + flow.outcomes() + flow.deadLetters() + (long) service.metrics().total("tokenmeter.duplicates.dropped");
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: the OS cleans it eventually
        }
    }
}
