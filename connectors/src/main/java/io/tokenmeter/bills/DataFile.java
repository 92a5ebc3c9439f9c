package io.tokenmeter.bills;

import java.nio.file.Path;

/** One data file of a run: where it is, how lines name it (relative to the export root), and its format. */
record DataFile(Path path, String sourceFile, FocusFormat format) {

    /** Reads the file's rows into the visitor; a file that cannot be read is a problem handed to it, not an exception. */
    void read(RowVisitor visitor) {
        switch (format) {
            case CSV -> CsvFocusFile.read(path, sourceFile, false, visitor);
            case GZIP_CSV -> CsvFocusFile.read(path, sourceFile, true, visitor);
            case PARQUET -> ParquetFocusFile.read(path, sourceFile, visitor);
        }
    }
}
