package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bills.ExportRun;
import io.tokenmeter.bills.FocusExports;
import io.tokenmeter.bills.RowProblem;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tokenmeter billing load}: Azure Cost Management FOCUS exports onto billing.costs, one transaction per export run. */
@Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load Azure Cost Management \"Cost and usage details (FOCUS)\" exports onto the billing.costs topic.",
            "",
            "PATH is an export folder as Azure writes it (<export>/<YYYYMMDD-YYYYMMDD>/<runTime>/<runId>/manifest.json",
            "beside part_*.csv, part_*.csv.gz or *.parquet), any folder above such folders, a manifest.json, or a single",
            "data file. FOCUS 1.0, 1.0r2 and 1.2-preview columns are read, Azure's x_ columns included.",
            "",
            "Each export run is loaded in one transaction. The newest run (manifest runInfo.submittedTime) of an export",
            "and billing period replaces every earlier run's rows for that period, so a re-export never double counts and",
            "loading a run twice changes nothing. A row that cannot be read goes to the dead-letter topic with its file,",
            "line and reason, and is listed here; every other row is loaded."},
        footer = {"", "Examples:",
            "  tokenmeter billing load ./exports/daily-focus",
            "  tokenmeter billing load --dry-run ./exports",
            "  tokenmeter billing load --export november part_0_0001.csv.gz"})
final class BillingLoadCommand implements Callable<Integer>, WallClocked {

    Clock wall = Clock.systemUTC();

    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Export folders, manifests or data files.")
    List<Path> paths;

    @Option(names = "--export", paramLabel = "NAME", description = "The export name of single data files (default: the file name).")
    String export;

    @Option(names = "--dry-run", description = "Read and check everything, list the runs and problems, publish nothing.")
    boolean dryRun;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public void wall(Clock wall) {
        this.wall = wall;
    }

    @Override
    public Integer call() throws IOException {
        Logging.toConsole(Level.WARN);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<ExportRun> runs = new ArrayList<>();
        List<RowProblem> notRuns = new ArrayList<>();
        for (Path path : paths) {
            try {
                FocusExports.Found found = FocusExports.find(path, export);
                runs.addAll(found.runs());
                notRuns.addAll(found.problems());
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file or folder: " + path);
            }
        }
        notRuns.forEach(p -> err.println("not loaded: " + p));
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no export runs found under " + paths + " (a manifest.json, or .csv, .csv.gz or .parquet files)");
        }
        out.printf("found %d export run(s)%n", runs.size());
        out.flush();
        if (dryRun) {
            for (ExportRun run : runs) {
                List<RowProblem> problems = new ArrayList<>();
                long[] lines = {0};
                run.read(new io.tokenmeter.bills.RowSink() {
                    @Override
                    public void line(io.tokenmeter.event.BillLine line) {
                        lines[0]++;
                    }

                    @Override
                    public void problem(RowProblem problem) {
                        problems.add(problem);
                    }
                });
                BillRunLoads.report(out, err, run, lines[0], problems, "would load");
            }
            out.println("dry run: nothing was published");
            out.flush();
            return 0;
        }
        BillRunLoads loads = BillRunLoads.open(kafka.config(), wall, out, err);
        runs.forEach(loads::load);
        out.println(loads.summary());
        out.flush();
        return 0;
    }
}
