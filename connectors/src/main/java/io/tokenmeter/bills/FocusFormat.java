package io.tokenmeter.bills;

import java.nio.file.Path;
import java.util.Locale;

/** The data file formats of Cost Management exports, told by file name as Azure names them. */
enum FocusFormat {
    CSV, GZIP_CSV, PARQUET;

    /** The format of a file name (part_0_0001.csv, part_0_0001.csv.gz, part_0_0001.snappy.parquet), or null if none. */
    static FocusFormat of(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".csv.gz") || name.endsWith(".csv.gzip")) {
            return GZIP_CSV;
        }
        if (name.endsWith(".parquet")) {
            return PARQUET;
        }
        return null;
    }

    /** The file name without its format and compression extensions: focus-2026-11.csv.gz is focus-2026-11. */
    static String baseName(Path file) {
        String name = file.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {".csv.gzip", ".csv.gz", ".csv", ".snappy.parquet", ".gz.parquet", ".zstd.parquet", ".parquet"}) {
            if (lower.endsWith(suffix) && lower.length() > suffix.length()) {
                return name.substring(0, name.length() - suffix.length());
            }
        }
        return name;
    }
}
