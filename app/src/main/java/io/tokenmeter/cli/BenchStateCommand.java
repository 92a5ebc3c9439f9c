package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bench.StateScaleBenchmark;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter bench state}: heap, disk and restore time of large state. */
@Command(name = "state", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure what large state costs: heap, disk, and the time to restore it from the changelogs.",
            "",
            "Moves one call per task through the full pipeline on an embedded broker (every task stays open: no outcome, inside the "
                + "inactivity gap), each call on one of --series tenant x agent x model series. Then it reports the live heap (after a "
                + "full collection) with that state against before the service started, and the local state on disk; deletes the local "
                + "state and times a new instance until it is RUNNING again, its stores rebuilt from the changelogs."},
        footer = {"", "Examples:", "  tokenmeter bench state", "  tokenmeter bench state --tasks 200000 --series 20000"})
final class BenchStateCommand implements Callable<Integer> {

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "1000000", description = "Open tasks (one call each). Default: ${DEFAULT-VALUE}.")
    int tasks;

    @Option(names = "--series", paramLabel = "N", defaultValue = "100000",
            description = "Distinct tenant x agent x model series the calls fall into. Default: ${DEFAULT-VALUE}.")
    int series;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "3", description = "Partitions per topic. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "20m", converter = DemoCommand.DurationConverter.class,
            description = "Give up after this long per step. Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (tasks < 1 || series < 1 || series > tasks) {
            throw new IllegalArgumentException("--tasks and --series must be at least 1, and --series at most --tasks; got " + tasks + " and " + series);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        Logging.toConsole(Level.ERROR);
        PrintWriter out = spec.commandLine().getOut();
        StateScaleBenchmark.Result r = new StateScaleBenchmark(new StateScaleBenchmark.Options(tasks, series, partitions, timeout), line -> {
            out.println(line);
            out.flush();
        }).run();
        out.println();
        out.printf(Locale.ROOT, "tokenmeter bench state: %,d open tasks over %,d tenant x agent x model series, %d partitions, %d cores%n", r.tasks(),
                r.series(), partitions, Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "  moved               %,10d calls in %.1f s (produce to committed usage.priced); %,d tasks open in the task store%n",
                r.tasks(), r.ingest().toMillis() / 1000.0, r.openTasks());
        out.printf(Locale.ROOT, "  live heap           %,10.0f MB with that state, %,.0f MB before the service started: %,.0f MB for the service and "
                        + "its state (after a full GC; RocksDB keeps the stores off the heap)%n",
                r.heapWithStateBytes() / 1e6, r.heapBaselineBytes() / 1e6, r.heapForStateBytes() / 1e6);
        out.printf(Locale.ROOT, "  local state         %,10.0f MB on disk (RocksDB)%n", r.stateDiskBytes() / 1e6);
        out.printf(Locale.ROOT, "  restore             %,10.1f s from a new instance's start to RUNNING, %,d changelog records (%,.0f records/s)%n",
                r.restore().toMillis() / 1000.0, r.restoredRecords(), r.restoredRecords() / Math.max(r.restore().toMillis() / 1000.0, 0.001));
        out.flush();
        return 0;
    }
}
