package io.tokenmeter.bills;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/** The data files of {@code billing export}: RFC 4180 CSV in UTF-8 with a header row, or snappy Parquet with logical types. */
final class ExportFiles {

    /** Bytes of a DECIMAL(38, s) as a fixed-length two's complement. */
    private static final int DECIMAL_BYTES = 16;

    private ExportFiles() {
    }

    /** Writes the rows of one part file. */
    interface PartWriter extends Closeable {
        void write(ExportRow row) throws IOException;
    }

    static PartWriter open(BillingExport.Format format, Path file) throws IOException {
        return format == BillingExport.Format.CSV ? new Csv(file) : new Parquet(file);
    }

    /** RFC 4180: CRLF after every record, fields quoted when they hold a comma, quote, CR or LF (quotes doubled); null is an empty field. */
    static final class Csv implements PartWriter {

        private final Writer out;

        Csv(Path file) throws IOException {
            out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8), 64 * 1024);
            ExportColumn[] columns = ExportColumn.values();
            for (int i = 0; i < columns.length; i++) {
                out.write(i == 0 ? "" : ",");
                out.write(field(columns[i].header()));
            }
            out.write("\r\n");
        }

        @Override
        public void write(ExportRow row) throws IOException {
            ExportColumn[] columns = ExportColumn.values();
            for (int i = 0; i < columns.length; i++) {
                out.write(i == 0 ? "" : ",");
                String value = row.text(columns[i]);
                if (value != null) {
                    out.write(field(value));
                }
            }
            out.write("\r\n");
        }

        static String field(String value) {
            boolean quote = value.isEmpty() || value.indexOf(',') >= 0 || value.indexOf('"') >= 0 || value.indexOf('\r') >= 0
                    || value.indexOf('\n') >= 0 || !value.equals(value.strip());
            return quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Snappy Parquet: money DECIMAL(38, 9), quantities DECIMAL(38, 18), date-times TIMESTAMP (UTC, micros), the rest STRING. */
    static final class Parquet implements PartWriter {

        static final MessageType SCHEMA = schema();

        private final ParquetWriter<Group> writer;
        private final SimpleGroupFactory groups = new SimpleGroupFactory(SCHEMA);

        Parquet(Path file) throws IOException {
            Files.deleteIfExists(file);
            // Plain configuration: without it parquet-hadoop builds a Hadoop Configuration that loads XML resources.
            writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                    .withConf(new PlainParquetConfiguration())
                    .withType(SCHEMA)
                    .withCompressionCodec(CompressionCodecName.SNAPPY)
                    .build();
        }

        private static MessageType schema() {
            Types.MessageTypeBuilder builder = Types.buildMessage();
            for (ExportColumn column : ExportColumn.values()) {
                builder.addField(type(column));
            }
            return builder.named("focus");
        }

        private static Type type(ExportColumn column) {
            return switch (column.type()) {
                case MONEY -> decimal(ExportColumn.MONEY_SCALE).named(column.header());
                case QUANTITY -> decimal(ExportColumn.QUANTITY_SCALE).named(column.header());
                case DATETIME -> Types.optional(PrimitiveTypeName.INT64)
                        .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MICROS)).named(column.header());
                case STRING, JSON -> Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(column.header());
            };
        }

        private static Types.PrimitiveBuilder<org.apache.parquet.schema.PrimitiveType> decimal(int scale) {
            return Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(DECIMAL_BYTES)
                    .as(LogicalTypeAnnotation.decimalType(scale, ExportColumn.DECIMAL_PRECISION));
        }

        @Override
        public void write(ExportRow row) throws IOException {
            Group group = groups.newGroup();
            for (ExportColumn column : ExportColumn.values()) {
                Object value = row.get(column);
                if (value == null) {
                    continue;
                }
                switch (column.type()) {
                    case MONEY -> group.append(column.header(), decimal((BigDecimal) value, ExportColumn.MONEY_SCALE));
                    case QUANTITY -> group.append(column.header(), decimal((BigDecimal) value, ExportColumn.QUANTITY_SCALE));
                    case DATETIME -> group.append(column.header(), micros((Instant) value));
                    case STRING, JSON -> group.append(column.header(), (String) value);
                }
            }
            writer.write(group);
        }

        /**
         * The value at the column's scale as 16 bytes big-endian: money is exact (nine decimals at most); a quantity finer
         * than eighteen decimals (no bill has one) is rounded.
         */
        private static Binary decimal(BigDecimal value, int scale) {
            RoundingMode rounding = scale == ExportColumn.MONEY_SCALE ? RoundingMode.UNNECESSARY : RoundingMode.HALF_EVEN;
            byte[] unscaled = value.setScale(scale, rounding).unscaledValue().toByteArray();
            if (unscaled.length > DECIMAL_BYTES) {
                throw new ArithmeticException(value + " does not fit DECIMAL(38, " + scale + ")");
            }
            byte[] bytes = new byte[DECIMAL_BYTES];
            Arrays.fill(bytes, 0, DECIMAL_BYTES - unscaled.length, (byte) (unscaled[0] < 0 ? -1 : 0));
            System.arraycopy(unscaled, 0, bytes, DECIMAL_BYTES - unscaled.length, unscaled.length);
            return Binary.fromConstantByteArray(bytes);
        }

        private static long micros(Instant instant) {
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }
}
