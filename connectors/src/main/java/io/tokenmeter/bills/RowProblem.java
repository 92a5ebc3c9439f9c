package io.tokenmeter.bills;

import java.util.Objects;

/**
 * Something wrong in an export run, with where it is: a row skipped or kept with a warning, a file that could not be
 * read, or a run that does not add up to its manifest.
 *
 * @param file the data file relative to the export root (or manifest.json), as in BillLine.sourceFile
 * @param line the CSV line the row starts on (1 is the header) or the Parquet row (1 is the first); 0 for the whole file or run
 * @param effect what became of the data
 * @param reason what is wrong, naming the column and value where there is one
 * @param raw the row as written (CSV text, or column=value pairs of Parquet), shortened to 4,096 characters; null when there is no row
 */
public record RowProblem(String file, long line, Effect effect, String reason, String raw) {

    /** What a problem did to the data read. */
    public enum Effect {
        /** The row was read; one value was not understood and left empty (e.g. Tags that are not a JSON object). */
        WARNING,
        /** The row was skipped. */
        ROW_SKIPPED,
        /** The file, or the rest of it from {@code line}, was not read. */
        FILE_SKIPPED,
        /** The run as a whole: a listed file is missing, or the rows read differ from the manifest's dataRowCount. */
        RUN_INCOMPLETE
    }

    static final int MAX_RAW_CHARS = 4096;

    public RowProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(effect, "effect");
        Objects.requireNonNull(reason, "reason");
        if (raw != null && raw.length() > MAX_RAW_CHARS) {
            raw = raw.substring(0, MAX_RAW_CHARS) + "…";
        }
    }

    static RowProblem row(String file, long line, String reason, String raw) {
        return new RowProblem(file, line, Effect.ROW_SKIPPED, reason, raw);
    }

    static RowProblem warning(String file, long line, String reason, String raw) {
        return new RowProblem(file, line, Effect.WARNING, reason, raw);
    }

    static RowProblem file(String file, long line, String reason) {
        return new RowProblem(file, line, Effect.FILE_SKIPPED, reason, null);
    }

    static RowProblem run(String file, String reason) {
        return new RowProblem(file, 0, Effect.RUN_INCOMPLETE, reason, null);
    }

    /** One line for logs: file:line, effect, reason. */
    @Override
    public String toString() {
        return file + (line > 0 ? ":" + line : "") + " " + effect + ": " + reason;
    }
}
