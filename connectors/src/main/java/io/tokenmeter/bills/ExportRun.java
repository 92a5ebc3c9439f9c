package io.tokenmeter.bills;

import io.tokenmeter.event.BillLine;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One run of a Cost Management export: the export, its billing period, the run's id and submission time (the newest
 * run of a period is its bill), and the data files, read row by row so a month of hundreds of MB never sits in memory.
 */
public final class ExportRun {

    private final String export;
    private final String billingPeriod;
    private final String runId;
    private final Instant runSubmittedTime;
    private final List<DataFile> files;
    private final Long manifestRowCount;
    private final String manifestFile;
    private final List<RowProblem> found;

    ExportRun(String export, String billingPeriod, String runId, Instant runSubmittedTime, List<DataFile> files, Long manifestRowCount,
              String manifestFile, List<RowProblem> found) {
        this.export = Objects.requireNonNull(export);
        this.billingPeriod = Objects.requireNonNull(billingPeriod);
        this.runId = Objects.requireNonNull(runId);
        this.runSubmittedTime = Objects.requireNonNull(runSubmittedTime);
        this.files = List.copyOf(files);
        this.manifestRowCount = manifestRowCount;
        this.manifestFile = manifestFile;
        this.found = List.copyOf(found);
    }

    /** The export's name: manifest exportConfig.exportName, its folder, or what the caller named a single file. */
    public String export() {
        return export;
    }

    /** The billing period as Azure names its folder, YYYYMMDD-YYYYMMDD (last day included). */
    public String billingPeriod() {
        return billingPeriod;
    }

    /** manifest runInfo.runId, or the hex SHA-256 of a single file's bytes (the same file is the same run). */
    public String runId() {
        return runId;
    }

    /** The export, billing period and run id together. */
    public RunKey key() {
        return new RunKey(export, billingPeriod, runId);
    }

    /** manifest runInfo.submittedTime, or a single file's last-modified time. */
    public Instant runSubmittedTime() {
        return runSubmittedTime;
    }

    /** The data files in the manifest's order. */
    public List<Path> files() {
        return files.stream().map(DataFile::path).toList();
    }

    /** The manifest's dataRowCount, when it has one; {@link #read(RowSink)} checks the rows against it. */
    public OptionalLong manifestRowCount() {
        return manifestRowCount == null ? OptionalLong.empty() : OptionalLong.of(manifestRowCount);
    }

    /**
     * Reads every row of every file in order, handing each line and each problem to the sink as it goes. Problems
     * found with the run (a listed file missing) come first, the row count check against the manifest last. Nothing
     * in the data throws; an exception of the sink stops the read and propagates.
     */
    public RunRead read(RowSink sink) {
        Counts counts = new Counts();
        Consumer<RowProblem> problems = problem -> {
            counts.problems++;
            sink.problem(problem);
        };
        found.forEach(problems);
        for (DataFile file : files) {
            FocusLines lines = new FocusLines(file.sourceFile());
            file.read(new RowVisitor() {
                @Override
                public boolean columns(Set<FocusColumn> present) {
                    return lines.columns(present, problems);
                }

                @Override
                public void row(long line, FocusRow row) {
                    counts.rows++;
                    BillLine mapped = lines.map(line, row, problems);
                    if (mapped == null) {
                        counts.skipped++;
                    } else {
                        counts.lines++;
                        sink.line(mapped);
                    }
                }

                @Override
                public void problem(RowProblem problem) {
                    if (problem.effect() == RowProblem.Effect.ROW_SKIPPED) {
                        counts.rows++;
                        counts.skipped++;
                    }
                    problems.accept(problem);
                }
            });
        }
        if (manifestRowCount != null && manifestRowCount != counts.rows) {
            problems.accept(RowProblem.run(manifestFile, "manifest.json counts " + manifestRowCount + " rows, the files hold "
                    + counts.rows));
        }
        return new RunRead(counts.rows, counts.lines, counts.skipped, counts.problems);
    }

    @Override
    public String toString() {
        return export + " " + billingPeriod + " run " + runId + " submitted " + runSubmittedTime + " (" + files.size() + " files)";
    }

    private static final class Counts {
        long rows;
        long lines;
        long skipped;
        long problems;
    }
}
