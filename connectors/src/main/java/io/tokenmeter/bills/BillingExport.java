package io.tokenmeter.bills;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Writes the allocation of the bill as FOCUS 1.3 cost and usage files that FinOps hubs and Power BI read as they read
 * Cost Management's own exports: {@code part_0_0001.csv} (or {@code .parquet}), more parts past {@code rowsPerPart}
 * rows, and a {@code manifest.json} saying what was exported.
 */
public final class BillingExport {

    /** The FOCUS version of the columns. */
    public static final String FOCUS_VERSION = "1.3";
    /** Rows per part file by default: a file a spreadsheet or Power BI Desktop still opens whole. */
    public static final int ROWS_PER_PART = 1_000_000;
    public static final String MANIFEST = "manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PART = Pattern.compile("part_\\d+_\\d{4}\\.(csv|parquet)");

    /** The data format of the parts. */
    public enum Format {
        CSV, PARQUET;

        /** The file name extension, which is also the name the command line takes. */
        public String extension() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What was written.
     *
     * @param files the part files, then the manifest
     * @param effectiveCost the exported EffectiveCost by currency
     * @param linesNotAddingUp lines whose parts do not add up to their EffectiveCost (their day was being allocated again)
     */
    public record Summary(List<Path> files, long rows, long lines, Map<String, BigDecimal> effectiveCost, int linesWithoutParts,
                          int partsOutsideBill, int linesNotAddingUp) {
    }

    private BillingExport() {
    }

    /**
     * Writes {@code bill} into {@code folder}, created if absent; the part files and manifest of an earlier export there are
     * removed first.
     *
     * @param from the start of the days exported, for the manifest
     * @param to the end (exclusive)
     */
    public static Summary write(AllocatedBill bill, Instant from, Instant to, Format format, Path folder, Clock clock, int rowsPerPart)
            throws IOException {
        if (rowsPerPart < 1) {
            throw new IllegalArgumentException("rowsPerPart must be at least 1");
        }
        Files.createDirectories(folder);
        clear(folder);
        List<Path> files = new ArrayList<>();
        List<Long> partRows = new ArrayList<>();
        Map<String, BigDecimal> effective = new TreeMap<>();
        Map<String, BigDecimal> billed = new TreeMap<>();
        long rows = 0;
        int notAddingUp = 0;
        ExportFiles.PartWriter part = null;
        try {
            part = next(format, folder, files, partRows);
            for (AllocatedBill.Line line : bill.lines()) {
                if (!line.addsUp()) {
                    notAddingUp++;
                }
                for (ExportRow row : AllocationRows.rows(line)) {
                    if (partRows.get(partRows.size() - 1) == rowsPerPart) {
                        part.close();
                        part = next(format, folder, files, partRows);
                    }
                    part.write(row);
                    partRows.set(partRows.size() - 1, partRows.get(partRows.size() - 1) + 1);
                    rows++;
                    String currency = (String) row.get(ExportColumn.BILLING_CURRENCY);
                    effective.merge(currency, row.decimal(ExportColumn.EFFECTIVE_COST), BigDecimal::add);
                    billed.merge(currency, row.decimal(ExportColumn.BILLED_COST), BigDecimal::add);
                }
            }
        } finally {
            if (part != null) {
                part.close();
            }
        }
        Path manifest = folder.resolve(MANIFEST);
        List<Path> all = new ArrayList<>(files);
        all.add(manifest);
        Summary summary = new Summary(List.copyOf(all), rows, bill.lines().size(), Map.copyOf(effective), bill.linesWithoutParts(),
                bill.partsOutsideBill(), notAddingUp);
        Files.writeString(manifest, manifest(summary, files, partRows, billed, format, from, to, clock.instant()));
        return summary;
    }

    /** Removes the parts and manifest an earlier export left, so no stale part is read with the new ones. */
    private static void clear(Path folder) throws IOException {
        try (var entries = Files.list(folder)) {
            for (Path file : entries.toList()) {
                String name = file.getFileName().toString();
                if (Files.isRegularFile(file) && (name.equals(MANIFEST) || PART.matcher(name).matches())) {
                    Files.delete(file);
                }
            }
        }
    }

    /** {@code part_0_0001.csv}, {@code part_0_0002.csv}, ... as Cost Management names the parts of a run. */
    static String partName(int number, Format format) {
        return String.format(Locale.ROOT, "part_0_%04d.%s", number, format.extension());
    }

    private static ExportFiles.PartWriter next(Format format, Path folder, List<Path> files, List<Long> partRows) throws IOException {
        Path file = folder.resolve(partName(files.size() + 1, format));
        files.add(file);
        partRows.add(0L);
        return ExportFiles.open(format, file);
    }

    private static String manifest(Summary summary, List<Path> files, List<Long> partRows, Map<String, BigDecimal> billed, Format format, Instant from, Instant to,
                                   Instant generatedAt) throws IOException {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("exporter", "tokenmeter billing export");
        manifest.put("focusVersion", FOCUS_VERSION);
        manifest.put("from", from.toString());
        manifest.put("to", to.toString());
        manifest.put("generatedAt", generatedAt.toString());
        manifest.put("format", format.extension());
        manifest.put("dataRowCount", summary.rows());
        manifest.put("billLineCount", summary.lines());
        ObjectNode effective = manifest.putObject("effectiveCost");
        new TreeMap<>(summary.effectiveCost()).forEach((currency, amount) -> effective.put(currency, plain(amount)));
        ObjectNode billedCost = manifest.putObject("billedCost");
        billed.forEach((currency, amount) -> billedCost.put(currency, plain(amount)));
        ObjectNode skipped = manifest.putObject("notExported");
        skipped.put("linesWithoutAllocation", summary.linesWithoutParts());
        skipped.put("partsOfReplacedRuns", summary.partsOutsideBill());
        manifest.put("linesNotAddingUp", summary.linesNotAddingUp());
        ArrayNode blobs = manifest.putArray("blobs");
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            blobs.addObject().put("blobName", file.getFileName().toString()).put("dataRowCount", partRows.get(i)).put("byteCount", Files.size(file));
        }
        ArrayNode columns = manifest.putArray("columns");
        for (ExportColumn column : ExportColumn.values()) {
            columns.addObject().put("name", column.header()).put("type", column.type().name().toLowerCase(Locale.ROOT));
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n";
    }

    private static String plain(BigDecimal amount) {
        return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
    }
}
