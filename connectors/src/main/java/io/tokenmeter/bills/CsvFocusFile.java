package io.tokenmeter.bills;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** Reads the rows of a FOCUS CSV file, plain or gzip, one record at a time. */
final class CsvFocusFile {

    private CsvFocusFile() {
    }

    static void read(Path path, String sourceFile, boolean gzip, RowVisitor visitor) {
        CsvRecords records;
        try {
            InputStream bytes = new BufferedInputStream(Files.newInputStream(path), 64 * 1024);
            InputStream in = gzip ? gunzip(bytes) : bytes;
            // Bytes that are not UTF-8 become U+FFFD; such a row is kept and warned about rather than the file lost.
            records = new CsvRecords(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)));
        } catch (IOException e) {
            visitor.problem(RowProblem.file(sourceFile, 0, "cannot open: " + describe(e)));
            return;
        }
        long line = 1;
        try (records) {
            CsvRecords.Record header = records.next();
            if (header == null) {
                visitor.problem(RowProblem.file(sourceFile, 0, "empty file: no header"));
                return;
            }
            if (header.error() != null) {
                visitor.problem(RowProblem.file(sourceFile, 1, "the header is malformed: " + header.error()));
                return;
            }
            Map<FocusColumn, Integer> index = new EnumMap<>(FocusColumn.class);
            List<String> names = header.fields();
            for (int i = 0; i < names.size(); i++) {
                FocusColumn column = FocusColumn.of(names.get(i));
                if (column != null) {
                    index.putIfAbsent(column, i);
                }
            }
            if (!visitor.columns(index.isEmpty() ? EnumSet.noneOf(FocusColumn.class) : EnumSet.copyOf(index.keySet()))) {
                return;
            }
            CsvRecords.Record record;
            while ((record = records.next()) != null) {
                line = record.line();
                if (record.error() != null) {
                    visitor.problem(RowProblem.row(sourceFile, line, record.error(), record.raw()));
                } else if (record.fields().size() != names.size()) {
                    visitor.problem(RowProblem.row(sourceFile, line, record.fields().size() + " fields where the header has "
                            + names.size(), record.raw()));
                } else {
                    if (record.raw().indexOf('\uFFFD') >= 0) {
                        visitor.problem(RowProblem.warning(sourceFile, line, "not valid UTF-8: the bytes that are not are read as U+FFFD",
                                record.raw()));
                    }
                    visitor.row(line, new CsvRow(record, index));
                }
            }
        } catch (IOException e) {
            visitor.problem(RowProblem.file(sourceFile, line, "cannot read on after line " + line + ": " + describe(e)));
        }
    }

    private static InputStream gunzip(InputStream bytes) throws IOException {
        try {
            return new GZIPInputStream(bytes, 64 * 1024);
        } catch (IOException e) {
            bytes.close();
            throw new IOException("not gzip (" + describe(e) + ")", e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private record CsvRow(CsvRecords.Record record, Map<FocusColumn, Integer> index) implements FocusRow {

        @Override
        public String get(FocusColumn column) {
            Integer i = index.get(column);
            if (i == null) {
                return null;
            }
            String value = record.fields().get(i).strip();
            return value.isEmpty() ? null : value;
        }

        @Override
        public String raw() {
            return record.raw();
        }
    }
}
