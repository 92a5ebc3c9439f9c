package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bench.Benchmark;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter bench}: throughput of the full pipeline against the raw broker, on the embedded broker. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, subcommands = {BenchHttpCommand.class, BenchStateCommand.class},
        description = {"Measure end-to-end throughput on an embedded broker.",
            "",
            "Generates events (the demo workload), moves them once through a plain producer and consumer (the raw broker pipe) "
                + "and once through the full pipeline (normalize, dedup, price, windows, anomaly detectors) with the service's own "
                + "settings, and prints both rates, their ratio, the CPU split and the peak heap.",
            "",
            "Then it times how long a runaway loop and a retry storm take from the crossing event to the committed early warning "
                + "(alerts.early), and how long after the traffic stops the confirmed alerts follow. "
                + "--profile adds where the CPU time goes (Java Flight Recorder).",
            "",
            "'tokenmeter bench http' measures the quota API instead (requests per second and latency over kept-alive connections); "
                + "'tokenmeter bench state' the heap, disk and restore time of large state (open tasks, usage series)."},
        footer = {"", "Examples:", "  tokenmeter bench", "  tokenmeter bench --events 1000000 --threads 2 --profile", "  tokenmeter bench http",
            "  tokenmeter bench state"})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--events", paramLabel = "N", defaultValue = "1000000", description = "Events to move. Default: ${DEFAULT-VALUE}.")
    int events;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "300000",
            description = "Events moved first, unmeasured, so the JIT has compiled the hot paths. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Stream threads. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "3", description = "Partitions per topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--processing-guarantee", paramLabel = "G", defaultValue = "exactly_once_v2",
            description = "exactly_once_v2 or at_least_once. Default: ${DEFAULT-VALUE}.")
    String guarantee;

    @Option(names = "--commit-interval", paramLabel = "MS", defaultValue = "100", description = "Commit interval in ms. Default: ${DEFAULT-VALUE}.")
    long commitInterval;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Workload seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--profile", description = "Profile the pipeline run with Java Flight Recorder and print where the time goes.")
    boolean profile;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DemoCommand.DurationConverter.class,
            description = "Give up after this long per run. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Option(names = "--incidents", paramLabel = "N", defaultValue = "40",
            description = "Incidents per detector for the detection-latency measurement (0: skip it). Default: ${DEFAULT-VALUE}.")
    int incidents;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any setting for the service under test, e.g. --set kafka.linger.ms=20. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (events < 1000) {
            throw new IllegalArgumentException("--events must be at least 1000, got " + events);
        }
        Logging.toConsole(Level.ERROR);
        PrintWriter out = spec.commandLine().getOut();
        Benchmark.Result r = new Benchmark(new Benchmark.Options(events, warmup, partitions, threads, guarantee, commitInterval, seed, profile, timeout, settings, incidents),
                line -> {
                    out.println(line);
                    out.flush();
                }).run();
        out.println();
        out.printf(Locale.ROOT, "tokenmeter bench: %,d events (%,d usage, %,d task outcomes), %s, %d stream thread(s), %d partitions, %d cores%n",
                r.events(), r.usageEvents(), r.events() - r.usageEvents(), guarantee, threads, partitions, Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "  raw broker pipe     %,10.0f events/s  (%.2f s)%n", r.pipeEventsPerSecond(), r.pipeTime().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "  full pipeline       %,10.0f events/s  (%.2f s, produce to committed usage.priced)%n",
                r.pipelineEventsPerSecond(), r.pipelineTime().toMillis() / 1000.0);
        out.printf(Locale.ROOT, "  ratio               %10.1f %%  of the raw pipe%n", 100 * r.ratio());
        out.printf(Locale.ROOT, "  CPU                 %10.2f cores during the pipeline run:", r.pipelineCores());
        r.coresByThread().forEach((group, cores) -> out.printf(Locale.ROOT, " %s %.2f;", group, cores));
        out.println();
        out.printf(Locale.ROOT, "  peak heap           %,10.0f MB  (whole process: broker and service; the events are streamed from a file; -Xmx %,d MB)%n",
                r.peakHeapBytes() / 1e6, Runtime.getRuntime().maxMemory() / 1_000_000);
        for (var samples : r.detection()) {
            out.printf(Locale.ROOT, "  early warning       %-13s p50 %5d ms   p99 %5d ms   max %5d ms   (%d incidents%s; crossing call produced to "
                            + "committed on alerts.early)%n",
                    samples.detector(), samples.percentile(50).toMillis(), samples.percentile(99).toMillis(), samples.percentile(100).toMillis(),
                    samples.incidents(), samples.missed() > 0 ? ", " + samples.missed() + " not warned of" : "");
        }
        for (var samples : r.detection()) {
            out.printf(Locale.ROOT, "  confirmed alert     %-13s %d of %d on alerts, the last %.1f s after the traffic stopped (event time passes the "
                            + "last calls once the inputs are idle; under continuous traffic it runs windows.grace.ms behind)%n",
                    samples.detector(), samples.confirmed(), samples.incidents(), samples.lastConfirmedAfterTrafficStopped().toMillis() / 1000.0);
        }
        if (r.profile() != null) {
            out.printf(Locale.ROOT, "%nwhere the CPU time goes (%,d samples during the pipeline run):%n", r.profile().samples());
            r.profile().components().forEach(s -> out.printf(Locale.ROOT, "  %5.1f %%  %s%n", s.percent(), s.name()));
            out.println("hottest methods (self time):");
            r.profile().methods().forEach(s -> out.printf(Locale.ROOT, "  %5.1f %%  %s%n", s.percent(), s.name()));
        }
        out.flush();
        return 0;
    }
}
