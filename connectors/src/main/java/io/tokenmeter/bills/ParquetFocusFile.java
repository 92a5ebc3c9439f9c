package io.tokenmeter.bills;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.MessageColumnIO;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Reads the rows of a FOCUS Parquet file with parquet-hadoop on the local file system (no HDFS), only the columns the
 * reader uses. Values become the text a CSV export would hold: decimals exact (DECIMAL, or DOUBLE and FLOAT by their
 * shortest decimal), timestamps (millis, micros, nanos, INT96) and dates as ISO-8601 UTC.
 */
final class ParquetFocusFile {

    private static final long JULIAN_DAY_OF_EPOCH = 2_440_588;

    private ParquetFocusFile() {
    }

    static void read(Path path, String sourceFile, RowVisitor visitor) {
        // Plain configuration: without it parquet-hadoop builds a Hadoop Configuration that loads XML resources.
        ParquetReadOptions options = ParquetReadOptions.builder(new PlainParquetConfiguration()).build();
        ParquetFileReader reader;
        try {
            reader = ParquetFileReader.open(new LocalInputFile(path), options);
        } catch (IOException | RuntimeException e) {
            visitor.problem(RowProblem.file(sourceFile, 0, "cannot open as Parquet: " + describe(e)));
            return;
        }
        try (reader) {
            read(reader, sourceFile, visitor);
        } catch (IOException e) {
            visitor.problem(RowProblem.warning(sourceFile, 0, "cannot close: " + describe(e), null));
        }
    }

    // Only the library's calls are guarded: an exception from the visitor (the caller's sink) is not a file problem.
    private static void read(ParquetFileReader reader, String sourceFile, RowVisitor visitor) {
        MessageType schema = reader.getFooter().getFileMetaData().getSchema();
        Map<FocusColumn, Integer> index = new EnumMap<>(FocusColumn.class);
        List<Type> used = new ArrayList<>();
        for (Type field : schema.getFields()) {
            FocusColumn column = FocusColumn.of(field.getName());
            if (column == null || index.containsKey(column)) {
                continue;
            }
            if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                visitor.problem(RowProblem.warning(sourceFile, 0, "column " + field.getName()
                        + " is not a single value (a group, map or list) and is not read", null));
                continue;
            }
            index.put(column, used.size());
            used.add(field);
        }
        if (!visitor.columns(index.isEmpty() ? EnumSet.noneOf(FocusColumn.class) : EnumSet.copyOf(index.keySet())) || used.isEmpty()) {
            return;
        }
        MessageType projection = new MessageType(schema.getName(), used);
        long row = 0;
        try {
            reader.setRequestedSchema(projection);
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(projection, schema);
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(projection));
                for (long i = 0, n = pages.getRowCount(); i < n; i++) {
                    String[] values = values(records.read(), used);
                    row++;
                    visit(visitor, row, new ParquetRow(values, index, used));
                }
            }
        } catch (VisitorFailure failure) {
            throw failure.getCause();
        } catch (IOException | RuntimeException e) {
            visitor.problem(RowProblem.file(sourceFile, row + 1, "cannot read on from row " + (row + 1) + ": " + describe(e)));
        }
    }

    private static void visit(RowVisitor visitor, long row, FocusRow values) {
        try {
            visitor.row(row, values);
        } catch (RuntimeException e) {
            throw new VisitorFailure(e);
        }
    }

    /** Carries an exception of the visitor past the guard around the library's calls. */
    private static final class VisitorFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        VisitorFailure(RuntimeException cause) {
            super(cause);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException) super.getCause();
        }
    }

    private static String[] values(Group group, List<Type> fields) {
        String[] values = new String[fields.size()];
        for (int i = 0; i < values.length; i++) {
            if (group.getFieldRepetitionCount(i) > 0) {
                values[i] = text(group, i, fields.get(i).asPrimitiveType());
            }
        }
        return values;
    }

    private static String text(Group group, int i, PrimitiveType type) {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        if (logical instanceof DecimalLogicalTypeAnnotation decimal) {
            BigInteger unscaled = switch (type.getPrimitiveTypeName()) {
                case INT32 -> BigInteger.valueOf(group.getInteger(i, 0));
                case INT64 -> BigInteger.valueOf(group.getLong(i, 0));
                default -> new BigInteger(group.getBinary(i, 0).getBytes());
            };
            return plain(new BigDecimal(unscaled, decimal.getScale()));
        }
        if (logical instanceof TimestampLogicalTypeAnnotation timestamp) {
            // A timestamp not adjusted to UTC is a local date-time; FOCUS date-times without a zone are UTC.
            long value = group.getLong(i, 0);
            Instant instant = switch (timestamp.getUnit()) {
                case MILLIS -> Instant.ofEpochMilli(value);
                case MICROS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
                case NANOS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L), Math.floorMod(value, 1_000_000_000L));
            };
            return instant.toString();
        }
        if (logical instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
            return LocalDate.ofEpochDay(group.getInteger(i, 0)).toString();
        }
        return switch (type.getPrimitiveTypeName()) {
            case BINARY, FIXED_LEN_BYTE_ARRAY -> group.getBinary(i, 0).toStringUsingUTF8();
            case INT32 -> Integer.toString(group.getInteger(i, 0));
            case INT64 -> Long.toString(group.getLong(i, 0));
            case BOOLEAN -> Boolean.toString(group.getBoolean(i, 0));
            case DOUBLE -> decimal(group.getDouble(i, 0));
            // Float.toString is the float's shortest decimal; widening to double first would add binary noise.
            case FLOAT -> Float.isFinite(group.getFloat(i, 0)) ? plain(new BigDecimal(Float.toString(group.getFloat(i, 0))))
                    : Float.toString(group.getFloat(i, 0));
            case INT96 -> int96(group.getInt96(i, 0).getBytes()).toString();
        };
    }

    // BigDecimal.valueOf(double) is the double's shortest decimal (1.5E-7 stays 0.00000015); NaN and Infinity stay
    // words, which the line mapper refuses as numbers.
    private static String decimal(double value) {
        return Double.isFinite(value) ? plain(BigDecimal.valueOf(value)) : Double.toString(value);
    }

    // The scale of a DECIMAL(38, 18) column is the file's, not the value's: 2.5 rather than 2.500000000000000000.
    private static String plain(BigDecimal value) {
        return value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
    }

    // The legacy Impala/Spark timestamp: nanoseconds of the day, then the Julian day, little-endian.
    private static Instant int96(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long nanosOfDay = buffer.getLong();
        long julianDay = Integer.toUnsignedLong(buffer.getInt());
        return Instant.ofEpochSecond((julianDay - JULIAN_DAY_OF_EPOCH) * 86_400L, nanosOfDay);
    }

    private static String describe(Exception e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 300; t = t.getCause()) {
            String message = t.getMessage();
            text.append(text.length() == 0 ? "" : ": ").append(message == null || message.isBlank() ? t.getClass().getSimpleName() : message);
        }
        return text.toString();
    }

    private record ParquetRow(String[] values, Map<FocusColumn, Integer> index, List<Type> fields) implements FocusRow {

        @Override
        public String get(FocusColumn column) {
            Integer i = index.get(column);
            if (i == null || values[i] == null) {
                return null;
            }
            String value = values[i].strip();
            return value.isEmpty() ? null : value;
        }

        @Override
        public String raw() {
            StringJoiner raw = new StringJoiner(", ");
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) {
                    raw.add(fields.get(i).getName() + "=" + values[i]);
                }
            }
            return raw.toString();
        }
    }
}
