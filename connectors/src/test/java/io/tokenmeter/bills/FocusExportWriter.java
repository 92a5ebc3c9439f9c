package io.tokenmeter.bills;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.prices.PriceValues;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Writes Cost Management FOCUS export runs as Azure lays them out in a storage container:
 * {@code <root>/<export>/<YYYYMMDD-YYYYMMDD>/<yyyyMMddHHmm>/<runId>/manifest.json} and {@code part_N_0001} blobs in CSV,
 * gzip CSV or snappy Parquet (costs as DECIMAL or DOUBLE, date-times as timestamps of any unit or as strings), with
 * FOCUS 1.0 or 1.2-preview column names. Rows are column to value maps named as FOCUS 1.0 names them
 * ({@link #usageRow()} is a whole Azure OpenAI line); an empty or absent value is written empty (null in Parquet).
 */
public final class FocusExportWriter {

    /** The data format of the parts. */
    public enum Format { CSV, GZIP_CSV, PARQUET }

    /** The column names: FOCUS 1.0 (x_SkuMeterName) or 1.2-preview (SkuMeter). */
    public enum FocusVersion {
        V1_0("1.0"), V1_2_PREVIEW("1.2-preview");

        final String dataVersion;

        FocusVersion(String dataVersion) {
            this.dataVersion = dataVersion;
        }
    }

    /** How Parquet parts store cost and quantity columns. */
    public enum ParquetNumbers { DECIMAL, DOUBLE }

    /** How Parquet parts store date-time columns: INT64 timestamps, the legacy INT96 of Spark and Impala, or ISO-8601 strings. */
    public enum ParquetTimes { MILLIS, MICROS, NANOS, INT96, STRING }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NUMBERS = Set.of("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity",
            "PricingQuantity", "x_PricingBlockSize", "ListUnitPrice", "ContractedUnitPrice", "x_EffectiveUnitPrice", "x_BilledUnitPrice");
    private static final Set<String> DATE_TIMES = Set.of("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd");
    private static final int DECIMAL_PRECISION = 38;
    private static final int DECIMAL_SCALE = 18;
    private static final int DECIMAL_BYTES = 16;

    private final Path container;
    private String rootFolder = "";
    private String export = "focus-daily";
    private String period = "20261101-20261130";
    private String runId = "8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01";
    private Instant submitted = Instant.parse("2026-11-04T06:12:44.523Z");
    private Format format = Format.CSV;
    private FocusVersion version = FocusVersion.V1_0;
    private ParquetNumbers numbers = ParquetNumbers.DECIMAL;
    private ParquetTimes times = ParquetTimes.MICROS;
    private int rowsPerPart = Integer.MAX_VALUE;
    private Long manifestRowCount;
    private boolean byteOrderMark;

    private FocusExportWriter(Path container) {
        this.container = container;
    }

    /** A writer into a storage container folder. */
    public static FocusExportWriter into(Path container) {
        return new FocusExportWriter(container);
    }

    /** The folder of the export in the container (deliveryConfig.rootFolderPath); none by default. */
    public FocusExportWriter rootFolder(String path) {
        this.rootFolder = path;
        return this;
    }

    public FocusExportWriter export(String name) {
        this.export = name;
        return this;
    }

    /** The billing period folder, YYYYMMDD-YYYYMMDD. */
    public FocusExportWriter period(String billingPeriod) {
        this.period = billingPeriod;
        return this;
    }

    public FocusExportWriter runId(String id) {
        this.runId = id;
        return this;
    }

    public FocusExportWriter submitted(Instant time) {
        this.submitted = time;
        return this;
    }

    public FocusExportWriter format(Format dataFormat) {
        this.format = dataFormat;
        return this;
    }

    public FocusExportWriter version(FocusVersion focusVersion) {
        this.version = focusVersion;
        return this;
    }

    public FocusExportWriter parquetNumbers(ParquetNumbers parquetNumbers) {
        this.numbers = parquetNumbers;
        return this;
    }

    public FocusExportWriter parquetTimes(ParquetTimes parquetTimes) {
        this.times = parquetTimes;
        return this;
    }

    /** Splits the rows into parts of this many; one part by default. */
    public FocusExportWriter rowsPerPart(int rows) {
        this.rowsPerPart = rows;
        return this;
    }

    /** The dataRowCount the manifest states, instead of the rows written. */
    public FocusExportWriter manifestRowCount(long rows) {
        this.manifestRowCount = rows;
        return this;
    }

    /** Starts CSV parts with a UTF-8 byte order mark, as Excel saves them. */
    public FocusExportWriter byteOrderMark(boolean bom) {
        this.byteOrderMark = bom;
        return this;
    }

    /** The folder of this export in the container: {@code <root>/<export>}. */
    public Path exportFolder() {
        return rootFolder.isEmpty() ? container.resolve(export) : container.resolve(rootFolder).resolve(export);
    }

    /** Writes one run: its parts and its manifest.json. Returns the run folder. */
    public Path write(List<Map<String, String>> rows) {
        String runTime = DateTimeFormatter.ofPattern("yyyyMMddHHmm").withZone(ZoneOffset.UTC).format(submitted);
        Path runFolder = exportFolder().resolve(period).resolve(runTime).resolve(runId);
        String blobFolder = (rootFolder.isEmpty() ? "" : rootFolder + "/") + export + "/" + period + "/" + runTime + "/" + runId + "/";
        try {
            Files.createDirectories(runFolder);
            ArrayNode blobs = JSON.createArrayNode();
            long bytes = 0;
            int size = Math.max(1, Math.min(rowsPerPart, rows.size()));
            int parts = rows.isEmpty() ? 1 : (rows.size() + size - 1) / size;
            for (int part = 0; part < parts; part++) {
                List<Map<String, String>> partRows = rows.subList(part * size, Math.min(rows.size(), (part + 1) * size));
                Path file = runFolder.resolve("part_" + part + "_0001" + extension());
                writeFile(file, partRows);
                long fileBytes = Files.size(file);
                bytes += fileBytes;
                blobs.addObject().put("blobName", blobFolder + file.getFileName()).put("byteCount", fileBytes).put("dataRowCount", partRows.size());
            }
            Files.writeString(runFolder.resolve("manifest.json"), manifest(blobs, bytes, rows.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return runFolder;
    }

    /** Writes the rows as one file with no manifest, in the format and version set. Returns the file. */
    public Path writeFile(Path file, List<Map<String, String>> rows) {
        List<String> columns = columns(rows);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            switch (format) {
                case CSV -> {
                    try (OutputStream out = Files.newOutputStream(file)) {
                        writeCsv(out, columns, rows);
                    }
                }
                case GZIP_CSV -> {
                    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
                        writeCsv(out, columns, rows);
                    }
                }
                case PARQUET -> writeParquet(file, columns, rows);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The file name extension of the format, as Azure names its blobs. */
    public String extension() {
        return switch (format) {
            case CSV -> ".csv";
            case GZIP_CSV -> ".csv.gz";
            case PARQUET -> ".snappy.parquet";
        };
    }

    /**
     * A whole FOCUS 1.0 row of Azure OpenAI usage: 2,500,000 input tokens of gpt-4.1-mini (global, per 1M tokens) on
     * 2026-11-03, in the November 2026 billing period, counted as Azure counts them (ConsumedQuantity in tokens,
     * PricingQuantity in blocks). A mutable copy to change.
     */
    public static Map<String, String> usageRow() {
        Map<String, String> row = new LinkedHashMap<>();
        row.put("BilledCost", "1.00");
        row.put("BillingAccountId", "/providers/Microsoft.Billing/billingAccounts/12345678");
        row.put("BillingAccountName", "Contoso");
        row.put("BillingCurrency", "USD");
        row.put("BillingPeriodEnd", "2026-12-01T00:00:00Z");
        row.put("BillingPeriodStart", "2026-11-01T00:00:00Z");
        row.put("ChargeCategory", "Usage");
        row.put("ChargeClass", "");
        row.put("ChargeDescription", "Azure OpenAI - gpt 4.1 mini Inp glbl 1M Tokens");
        row.put("ChargeFrequency", "Usage-Based");
        row.put("ChargePeriodEnd", "2026-11-04T00:00:00Z");
        row.put("ChargePeriodStart", "2026-11-03T00:00:00Z");
        row.put("CommitmentDiscountId", "");
        row.put("ConsumedQuantity", "2500000");
        row.put("ConsumedUnit", "Units");
        row.put("ContractedCost", "1.00");
        row.put("EffectiveCost", "1.00");
        row.put("ListCost", "1.00");
        row.put("PricingQuantity", "2.5");
        row.put("PricingUnit", "Units");
        row.put("RegionId", "eastus2");
        row.put("ResourceId", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
                + "Microsoft.CognitiveServices/accounts/oai-prod");
        row.put("ResourceName", "oai-prod");
        row.put("ServiceName", "Azure OpenAI");
        row.put("SkuId", "DZH318Z08M9S/0004");
        row.put("Tags", "{\"team\":\"search\",\"env\":\"prod\"}");
        row.put("x_PricingBlockSize", "1000000");
        row.put("x_PricingUnitDescription", "1M Tokens");
        row.put("x_ResourceGroupName", "rg-ai");
        row.put("x_SkuMeterCategory", "Foundry Models");
        row.put("x_SkuMeterId", "5f5b4bd2-7a2d-5e53-9c58-3d0f3a7c2b11");
        row.put("x_SkuMeterName", "gpt 4.1 mini Inp glbl 1M Tokens");
        row.put("x_SkuMeterSubcategory", "Azure OpenAI");
        return row;
    }

    private String manifest(ArrayNode blobs, long bytes, long rows) throws IOException {
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("manifestVersion", "2024-04-01");
        manifest.put("byteCount", bytes);
        manifest.put("blobCount", blobs.size());
        manifest.put("dataRowCount", manifestRowCount != null ? manifestRowCount : rows);
        ObjectNode config = manifest.putObject("exportConfig");
        config.put("exportName", export);
        config.put("resourceId", "/providers/Microsoft.Billing/billingAccounts/12345678/providers/Microsoft.CostManagement/exports/" + export);
        config.put("dataVersion", version.dataVersion);
        config.put("apiVersion", "2025-03-01");
        config.put("type", "FocusCost");
        config.put("timeFrame", "MonthToDate");
        config.put("granularity", "Daily");
        ObjectNode delivery = manifest.putObject("deliveryConfig");
        delivery.put("partitionData", true);
        delivery.put("dataOverwriteBehavior", "CreateNewReport");
        delivery.put("fileFormat", format == Format.PARQUET ? "Parquet" : "Csv");
        delivery.put("compressionMode", switch (format) {
            case CSV -> "None";
            case GZIP_CSV -> "Gzip";
            case PARQUET -> "Snappy";
        });
        delivery.put("containerUri", "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-finops/providers/"
                + "Microsoft.Storage/storageAccounts/finopsexports");
        delivery.put("rootFolderPath", rootFolder);
        ObjectNode run = manifest.putObject("runInfo");
        run.put("executionType", "Scheduled");
        // Azure writes seven fractional digits.
        run.put("submittedTime", DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC).format(submitted));
        run.put("runId", runId);
        run.put("startDate", period.substring(0, 4) + "-" + period.substring(4, 6) + "-" + period.substring(6, 8) + "T00:00:00");
        run.put("endDate", DateTimeFormatter.ofPattern("yyyy-MM-dd'T'00:00:00'Z'").withZone(ZoneOffset.UTC).format(submitted));
        manifest.set("blobs", blobs);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest);
    }

    private List<String> columns(List<Map<String, String>> rows) {
        Set<String> columns = new LinkedHashSet<>();
        for (Map<String, String> row : rows) {
            for (String column : row.keySet()) {
                columns.add(name(column));
            }
        }
        return new ArrayList<>(columns);
    }

    /** The column as this version names it. */
    private String name(String column) {
        if (version == FocusVersion.V1_2_PREVIEW && column.equals("x_SkuMeterName")) {
            return "SkuMeter";
        }
        if (version == FocusVersion.V1_0 && column.equals("SkuMeter")) {
            return "x_SkuMeterName";
        }
        return column;
    }

    private String value(Map<String, String> row, String column) {
        String value = row.get(column);
        if (value == null && column.equals("SkuMeter")) {
            value = row.get("x_SkuMeterName");
        } else if (value == null && column.equals("x_SkuMeterName")) {
            value = row.get("SkuMeter");
        }
        return value == null || value.isEmpty() ? null : value;
    }

    private void writeCsv(OutputStream out, List<String> columns, List<Map<String, String>> rows) throws IOException {
        Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        if (byteOrderMark) {
            writer.write('\uFEFF');
        }
        writer.write(String.join(",", columns.stream().map(FocusExportWriter::csv).toList()));
        writer.write("\r\n");
        for (Map<String, String> row : rows) {
            List<String> fields = new ArrayList<>(columns.size());
            for (String column : columns) {
                String value = value(row, column);
                fields.add(value == null ? "" : csv(value));
            }
            writer.write(String.join(",", fields));
            writer.write("\r\n");
        }
        writer.flush();
    }

    private static String csv(String value) {
        boolean quote = value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")
                || !value.equals(value.strip());
        return quote ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }

    private void writeParquet(Path file, List<String> columns, List<Map<String, String>> rows) throws IOException {
        Types.MessageTypeBuilder builder = Types.buildMessage();
        for (String column : columns) {
            builder.addField(parquetType(column));
        }
        MessageType schema = builder.named("focus");
        Files.deleteIfExists(file);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .build()) {
            SimpleGroupFactory groups = new SimpleGroupFactory(schema);
            for (Map<String, String> row : rows) {
                Group group = groups.newGroup();
                for (String column : columns) {
                    String value = value(row, column);
                    if (value != null) {
                        append(group, column, value);
                    }
                }
                writer.write(group);
            }
        }
    }

    private Type parquetType(String column) {
        if (NUMBERS.contains(column)) {
            return numbers == ParquetNumbers.DOUBLE ? Types.optional(PrimitiveTypeName.DOUBLE).named(column)
                    : Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(DECIMAL_BYTES)
                            .as(LogicalTypeAnnotation.decimalType(DECIMAL_SCALE, DECIMAL_PRECISION)).named(column);
        }
        if (DATE_TIMES.contains(column) && times == ParquetTimes.INT96) {
            return Types.optional(PrimitiveTypeName.INT96).named(column);
        }
        if (DATE_TIMES.contains(column) && times != ParquetTimes.STRING) {
            TimeUnit unit = switch (times) {
                case MILLIS -> TimeUnit.MILLIS;
                case MICROS -> TimeUnit.MICROS;
                default -> TimeUnit.NANOS;
            };
            return Types.optional(PrimitiveTypeName.INT64).as(LogicalTypeAnnotation.timestampType(true, unit)).named(column);
        }
        return Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(column);
    }

    private void append(Group group, String column, String value) {
        if (NUMBERS.contains(column)) {
            if (numbers == ParquetNumbers.DOUBLE) {
                group.append(column, Double.parseDouble(value));
            } else {
                group.append(column, decimal(new BigDecimal(value)));
            }
        } else if (DATE_TIMES.contains(column) && times == ParquetTimes.INT96) {
            Instant instant = PriceValues.isoInstant(value);
            long day = Math.floorDiv(instant.getEpochSecond(), 86_400L);
            long nanosOfDay = Math.floorMod(instant.getEpochSecond(), 86_400L) * 1_000_000_000L + instant.getNano();
            ByteBuffer int96 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(nanosOfDay).putInt((int) (day + 2_440_588));
            group.append(column, Binary.fromConstantByteArray(int96.array()));
        } else if (DATE_TIMES.contains(column) && times != ParquetTimes.STRING) {
            Instant instant = PriceValues.isoInstant(value);
            long epoch = switch (times) {
                case MILLIS -> instant.toEpochMilli();
                case MICROS -> Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
                default -> Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
            };
            group.append(column, epoch);
        } else {
            group.append(column, value);
        }
    }

    /** DECIMAL(38, 18) as a 16-byte two's complement, big-endian. */
    private static Binary decimal(BigDecimal value) {
        byte[] unscaled = value.setScale(DECIMAL_SCALE, RoundingMode.HALF_EVEN).unscaledValue().toByteArray();
        byte[] bytes = new byte[DECIMAL_BYTES];
        Arrays.fill(bytes, 0, DECIMAL_BYTES - unscaled.length, (byte) (unscaled[0] < 0 ? -1 : 0));
        System.arraycopy(unscaled, 0, bytes, DECIMAL_BYTES - unscaled.length, unscaled.length);
        return Binary.fromConstantByteArray(bytes);
    }
}
