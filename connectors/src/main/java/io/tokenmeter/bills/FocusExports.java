package io.tokenmeter.bills;

import io.tokenmeter.prices.PriceValues;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the runs of Azure Cost Management FOCUS exports under a path. Azure writes each run as
 * {@code <export>/<YYYYMMDD-YYYYMMDD>/<runTime>/<runId>/manifest.json} beside its {@code part_*.csv}, {@code .csv.gz}
 * or {@code .parquet} blobs; the path may be any folder above a manifest, a manifest, or a single data file.
 */
public final class FocusExports {

    /** The runs found, ordered by export, billing period and submission, and what could not become a run. */
    public record Found(List<ExportRun> runs, List<RowProblem> problems) {

        public Found {
            runs = List.copyOf(runs);
            problems = List.copyOf(problems);
        }
    }

    private static final String MANIFEST = "manifest.json";
    private static final Pattern PERIOD_FOLDER = Pattern.compile("\\d{8}-\\d{8}");
    // runId/runTime/period: the period folder is at most this many folders above a manifest.
    private static final int PERIOD_FOLDER_DEPTH = 3;

    private FocusExports() {
    }

    /** The runs under a path; single data files are named by their file name. */
    public static Found find(Path path) throws IOException {
        return find(path, null);
    }

    /**
     * The runs under a path. A folder is searched to every manifest.json below it; only when it holds none is each
     * data file in it a run of its own. A single data file is one run: its billing period is the one all its rows
     * state, its runId the SHA-256 of its bytes, its submission time its last-modified time.
     *
     * @param singleFileExport the export name of single data files; null for the file name without extensions
     * @throws NoSuchFileException when the path does not exist
     */
    public static Found find(Path path, String singleFileExport) throws IOException {
        Path start = path.toAbsolutePath().normalize();
        if (!Files.exists(start)) {
            throw new NoSuchFileException(path.toString());
        }
        List<ExportRun> runs = new ArrayList<>();
        List<RowProblem> problems = new ArrayList<>();
        if (Files.isRegularFile(start)) {
            if (isManifest(start)) {
                fromManifest(start, new HashSet<>(), runs, problems);
            } else if (FocusFormat.of(start) != null) {
                singleFile(start, singleFileExport, runs, problems);
            } else {
                problems.add(RowProblem.file(start.getFileName().toString(), 0,
                        "not an export file: give a folder, a manifest.json, or a .csv, .csv.gz or .parquet file"));
            }
        } else {
            findInFolder(start, singleFileExport, runs, problems);
        }
        runs.sort(Comparator.comparing(ExportRun::export).thenComparing(ExportRun::billingPeriod)
                .thenComparing(ExportRun::runSubmittedTime).thenComparing(ExportRun::runId));
        return new Found(runs, problems);
    }

    private static void findInFolder(Path folder, String singleFileExport, List<ExportRun> runs, List<RowProblem> problems) throws IOException {
        List<Path> manifests = new ArrayList<>();
        List<Path> data = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.filter(Files::isRegularFile).sorted().forEach(file -> {
                if (isManifest(file)) {
                    manifests.add(file);
                } else if (FocusFormat.of(file) != null) {
                    data.add(file);
                }
            });
        }
        Set<Path> listed = new HashSet<>();
        Set<Path> runFolders = new HashSet<>();
        Set<Path> unreadRunFolders = new HashSet<>();
        for (Path manifest : manifests) {
            runFolders.add(manifest.getParent());
            if (!fromManifest(manifest, listed, runs, problems)) {
                unreadRunFolders.add(manifest.getParent());
            }
        }
        for (Path file : data) {
            if (manifests.isEmpty()) {
                singleFile(file, singleFileExport, runs, problems);
            } else if (!runFolders.contains(file.getParent())) {
                // Azure writes manifest.json after the blobs: a part without one may belong to a run still being written.
                problems.add(RowProblem.warning(relative(folder, file), 0,
                        "no manifest.json in its folder (a run still being written?): not read", null));
            } else if (!listed.contains(file) && !unreadRunFolders.contains(file.getParent())) {
                // Parts beside a manifest that cannot be read are covered by that manifest's problem.
                problems.add(RowProblem.warning(relative(folder, file), 0, "not a blob of its run's manifest.json: not read", null));
            }
        }
    }

    private static boolean isManifest(Path file) {
        return file.getFileName().toString().equalsIgnoreCase(MANIFEST);
    }

    /** Adds the run of a manifest, or the problem that keeps it from being one; false when the manifest cannot be read. */
    private static boolean fromManifest(Path manifestPath, Set<Path> listed, List<ExportRun> runs, List<RowProblem> problems) {
        Path runFolder = manifestPath.getParent();
        Path periodFolder = periodFolder(runFolder);
        // Lines name their files relative to the export folder, the one above the billing period.
        Path root = periodFolder != null && periodFolder.getParent() != null ? periodFolder.getParent() : runFolder;
        String manifestFile = relative(root, manifestPath);
        Manifest manifest;
        try {
            manifest = Manifest.read(manifestPath);
        } catch (IOException e) {
            problems.add(RowProblem.file(manifestFile, 0, "cannot read the manifest: " + e.getMessage()));
            return false;
        }
        String export = manifest.exportName() != null ? manifest.exportName() : name(root == runFolder ? runFolder.getParent() : root);
        String period = periodFolder != null ? periodFolder.getFileName().toString() : period(manifest.startDate(), manifest.endDate());
        if (period == null) {
            problems.add(RowProblem.file(manifestFile, 0,
                    "no billing period: no YYYYMMDD-YYYYMMDD folder above the run and no runInfo.startDate"));
            return true;
        }
        List<RowProblem> found = new ArrayList<>();
        Instant submitted = manifest.submittedTime();
        if (submitted == null) {
            submitted = lastModified(manifestPath);
            found.add(RowProblem.warning(manifestFile, 0, "no runInfo.submittedTime: the manifest's last-modified time "
                    + submitted + " orders the run", null));
        }
        List<DataFile> files = new ArrayList<>();
        if (manifest.blobs() == null) {
            found.add(RowProblem.warning(manifestFile, 0, "no blobs list: the data files of the run folder are read", null));
            try (Stream<Path> list = Files.list(runFolder)) {
                list.filter(file -> FocusFormat.of(file) != null).sorted()
                        .forEach(file -> files.add(new DataFile(file, relative(root, file), FocusFormat.of(file))));
            } catch (IOException e) {
                problems.add(RowProblem.file(manifestFile, 0, "cannot list the run folder: " + e.getMessage()));
                return true;
            }
        } else {
            Map<String, Path> inFolder = filesIn(runFolder);
            for (Manifest.Blob blob : manifest.blobs()) {
                Path file = inFolder.get(blob.fileName());
                if (file == null) {
                    file = inFolder.get(blob.fileName().toLowerCase(Locale.ROOT));
                }
                if (file == null) {
                    found.add(RowProblem.run(manifestFile, "blob " + blob.blobName() + " is not in the run folder"));
                } else if (FocusFormat.of(file) == null) {
                    found.add(RowProblem.run(relative(root, file), "not a .csv, .csv.gz or .parquet file: not read"));
                } else {
                    files.add(new DataFile(file, relative(root, file), FocusFormat.of(file)));
                }
            }
        }
        files.forEach(file -> listed.add(file.path()));
        String runId = manifest.runId() != null ? manifest.runId() : runFolder.getFileName().toString();
        runs.add(new ExportRun(export, period, runId, submitted, files, manifest.dataRowCount(), manifestFile, found));
        return true;
    }

    private static Path periodFolder(Path runFolder) {
        Path folder = runFolder;
        for (int i = 0; i < PERIOD_FOLDER_DEPTH && folder != null && folder.getFileName() != null; i++) {
            if (PERIOD_FOLDER.matcher(folder.getFileName().toString()).matches()) {
                return folder;
            }
            folder = folder.getParent();
        }
        return null;
    }

    private static Map<String, Path> filesIn(Path folder) {
        Map<String, Path> files = new HashMap<>();
        try (Stream<Path> list = Files.list(folder)) {
            list.filter(Files::isRegularFile).forEach(file -> {
                String name = file.getFileName().toString();
                files.put(name, file);
                files.putIfAbsent(name.toLowerCase(Locale.ROOT), file);
            });
        } catch (IOException e) {
            // Every blob is then reported missing.
        }
        return files;
    }

    /**
     * The billing period of runInfo dates when no folder names it: a run from the first of a month to a day in it is
     * that month (Azure's folders name whole months, a month-to-date run included); other ranges are taken as written.
     */
    static String period(String startDate, String endDate) {
        LocalDate start = date(startDate);
        if (start == null) {
            return null;
        }
        LocalDate end = date(endDate);
        LocalDate monthEnd = start.withDayOfMonth(start.lengthOfMonth());
        if (start.getDayOfMonth() == 1 && (end == null || !end.isAfter(monthEnd.plusDays(1)))) {
            return period(start, monthEnd);
        }
        return end == null ? null : period(start, end);
    }

    private static String period(LocalDate first, LocalDate last) {
        return first.format(DateTimeFormatter.BASIC_ISO_DATE) + "-" + last.format(DateTimeFormatter.BASIC_ISO_DATE);
    }

    private static LocalDate date(String text) {
        if (text == null) {
            return null;
        }
        try {
            return LocalDate.ofInstant(PriceValues.isoInstant(text), ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static void singleFile(Path file, String export, List<ExportRun> runs, List<RowProblem> problems) {
        String name = file.getFileName().toString();
        DataFile data = new DataFile(file, name, FocusFormat.of(file));
        String digest;
        Instant modified;
        try {
            digest = sha256(file);
            modified = Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            problems.add(RowProblem.file(name, 0, "cannot read: " + e.getMessage()));
            return;
        }
        PeriodScan scan = new PeriodScan(name);
        data.read(scan);
        if (scan.problem != null) {
            problems.add(scan.problem);
            return;
        }
        String period = scan.onlyPeriod();
        if (period == null) {
            problems.add(RowProblem.file(name, 0, scan.periods.isEmpty()
                    ? "no row states BillingPeriodStart and BillingPeriodEnd: the billing period of the file is unknown"
                    : "the rows state more than one billing period (" + String.join(", ", scan.periods) + "): give one period per file"));
            return;
        }
        runs.add(new ExportRun(export != null ? export : FocusFormat.baseName(file), period, digest, modified, List.of(data), null, name,
                List.of()));
    }

    /** The billing period every row of a single file states, from BillingPeriodStart and the exclusive BillingPeriodEnd. */
    private static final class PeriodScan implements RowVisitor {
        private final String file;
        private final Set<String> periods = new TreeSet<>();
        private RowProblem problem;

        PeriodScan(String file) {
            this.file = file;
        }

        @Override
        public boolean columns(Set<FocusColumn> present) {
            if (!present.contains(FocusColumn.BILLING_PERIOD_START) || !present.contains(FocusColumn.BILLING_PERIOD_END)) {
                problem = RowProblem.file(file, 0, "no column BillingPeriodStart or BillingPeriodEnd: the billing period of the file is unknown");
                return false;
            }
            return true;
        }

        @Override
        public void row(long line, FocusRow row) {
            LocalDate first = date(row.get(FocusColumn.BILLING_PERIOD_START));
            Instant end = instant(row.get(FocusColumn.BILLING_PERIOD_END));
            // Rows without a readable period are the reader's to report, not the scan's.
            if (first != null && end != null) {
                LocalDate last = LocalDate.ofInstant(end.minusNanos(1), ZoneOffset.UTC);
                if (!last.isBefore(first)) {
                    periods.add(FocusExports.period(first, last));
                }
            }
        }

        @Override
        public void problem(RowProblem found) {
            if (found.effect() == RowProblem.Effect.FILE_SKIPPED && problem == null) {
                problem = found;
            }
        }

        String onlyPeriod() {
            return periods.size() == 1 ? periods.iterator().next() : null;
        }

        private static Instant instant(String text) {
            try {
                return text == null ? null : PriceValues.isoInstant(text);
            } catch (DateTimeException e) {
                return null;
            }
        }
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static Instant lastModified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    private static String relative(Path root, Path file) {
        Path relative = root.relativize(file);
        return relative.toString().isEmpty() ? file.getFileName().toString() : relative.toString().replace('\\', '/');
    }

    private static String name(Path folder) {
        return folder == null || folder.getFileName() == null ? "export" : folder.getFileName().toString();
    }
}
