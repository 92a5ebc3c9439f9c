package io.tokenmeter.bills;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
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
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * The FOCUS 1.3 Cost and Usage requirements a file must meet, written down from the specification's column pages
 * (feature level, data type, nullability, allowed values) and checked against a CSV or Parquet file read back. Lists
 * every violation rather than stopping at the first, so a failing test says all that is wrong.
 */
public final class FocusConformance {

    /** FOCUS data types as a file carries them. */
    public enum Kind { STRING, DECIMAL, DATETIME, JSON, OTHER }

    /** One column's requirements: mandatory columns must be present; any column present must meet the rest. */
    public record Column(String name, Kind kind, boolean mandatory, boolean nullable, Set<String> allowed) {
    }

    private static final Set<String> CHARGE_CATEGORY = Set.of("Usage", "Purchase", "Tax", "Credit", "Adjustment");
    private static final Set<String> CHARGE_CLASS = Set.of("Correction");
    private static final Set<String> CHARGE_FREQUENCY = Set.of("One-Time", "Recurring", "Usage-Based");
    private static final Set<String> SERVICE_CATEGORY = Set.of("AI and Machine Learning", "Analytics", "Business Applications", "Compute",
            "Databases", "Developer Tools", "Multicloud", "Identity", "Integration", "Internet of Things", "Management and Governance", "Media",
            "Migration", "Mobile", "Networking", "Security", "Storage", "Web", "Other");

    /** The mandatory columns of FOCUS 1.3 (ProviderName and PublisherName deprecated but still mandatory), then conditional and recommended ones. */
    public static final List<Column> SPEC = List.of(
            mandatory("BilledCost", Kind.DECIMAL, false),
            mandatory("BillingAccountId", Kind.STRING, false),
            mandatory("BillingAccountName", Kind.STRING, true),
            mandatory("BillingCurrency", Kind.STRING, false),
            mandatory("BillingPeriodEnd", Kind.DATETIME, false),
            mandatory("BillingPeriodStart", Kind.DATETIME, false),
            new Column("ChargeCategory", Kind.STRING, true, false, CHARGE_CATEGORY),
            new Column("ChargeClass", Kind.STRING, true, true, CHARGE_CLASS),
            mandatory("ChargeDescription", Kind.STRING, true),
            mandatory("ChargePeriodEnd", Kind.DATETIME, false),
            mandatory("ChargePeriodStart", Kind.DATETIME, false),
            mandatory("ContractedCost", Kind.DECIMAL, false),
            mandatory("EffectiveCost", Kind.DECIMAL, false),
            mandatory("InvoiceIssuerName", Kind.STRING, false),
            mandatory("ListCost", Kind.DECIMAL, false),
            mandatory("PricingQuantity", Kind.DECIMAL, true),
            mandatory("PricingUnit", Kind.STRING, true),
            mandatory("ProviderName", Kind.STRING, false),
            mandatory("PublisherName", Kind.STRING, false),
            new Column("ServiceCategory", Kind.STRING, true, false, SERVICE_CATEGORY),
            mandatory("ServiceName", Kind.STRING, false),
            mandatory("ServiceProviderName", Kind.STRING, false),
            new Column("ChargeFrequency", Kind.STRING, false, false, CHARGE_FREQUENCY),
            optional("HostProviderName", Kind.STRING),
            optional("CommitmentDiscountId", Kind.STRING),
            optional("ConsumedQuantity", Kind.DECIMAL),
            optional("ConsumedUnit", Kind.STRING),
            optional("RegionId", Kind.STRING),
            optional("ResourceId", Kind.STRING),
            optional("ResourceName", Kind.STRING),
            optional("SkuId", Kind.STRING),
            optional("SkuMeter", Kind.STRING),
            optional("Tags", Kind.JSON),
            optional("AllocatedMethodId", Kind.STRING),
            optional("AllocatedMethodDetails", Kind.JSON),
            optional("AllocatedResourceId", Kind.STRING),
            optional("AllocatedResourceName", Kind.STRING),
            optional("AllocatedTags", Kind.JSON));

    /** Every FOCUS 1.3 Cost and Usage column; any other column must be custom, named x_... */
    private static final Set<String> FOCUS_COLUMNS = Set.of("AllocatedMethodDetails", "AllocatedMethodId", "AllocatedResourceId",
            "AllocatedResourceName", "AllocatedTags", "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName",
            "BillingAccountType", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId", "CapacityReservationStatus",
            "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
            "CommitmentDiscountCategory", "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountQuantity",
            "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit",
            "ContractApplied", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "HostProviderName", "InvoiceId", "InvoiceIssuerName",
            "ListCost", "ListUnitPrice", "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
            "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName",
            "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceProviderName", "ServiceSubcategory", "SkuId",
            "SkuMeter", "SkuPriceDetails", "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags");

    /** FOCUS DateTimeFormat: ISO 8601 extended, UTC with Z. */
    private static final Pattern DATETIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A file read back: its columns with the types the file gives them (CSV: none, every column STRING), rows of text (null for empty). */
    public record Table(Map<String, Kind> columns, List<Map<String, String>> rows) {
    }

    private FocusConformance() {
    }

    private static Column mandatory(String name, Kind kind, boolean nullable) {
        return new Column(name, kind, true, nullable, Set.of());
    }

    private static Column optional(String name, Kind kind) {
        return new Column(name, kind, false, true, Set.of());
    }

    /** Every way the table falls short of FOCUS 1.3; empty when it conforms. */
    public static List<String> violations(Table table) {
        List<String> problems = new ArrayList<>();
        for (String name : table.columns().keySet()) {
            if (!FOCUS_COLUMNS.contains(name) && !name.startsWith("x_")) {
                problems.add("column " + name + " is neither a FOCUS column nor a custom x_ column");
            }
        }
        for (Column column : SPEC) {
            Kind kind = table.columns().get(column.name());
            if (kind == null) {
                if (column.mandatory()) {
                    problems.add("mandatory column " + column.name() + " is missing");
                }
                continue;
            }
            boolean typed = kind != Kind.STRING || column.kind() == Kind.STRING || column.kind() == Kind.JSON;
            if (typed && kind != column.kind() && !(column.kind() == Kind.JSON && kind == Kind.STRING)) {
                problems.add("column " + column.name() + " is " + kind + ", FOCUS says " + column.kind());
            }
        }
        for (int i = 0; i < table.rows().size(); i++) {
            Map<String, String> row = table.rows().get(i);
            for (Column column : SPEC) {
                if (table.columns().containsKey(column.name())) {
                    value(column, row.get(column.name()), "row " + (i + 1), problems);
                }
            }
            rowRules(row, "row " + (i + 1), problems);
        }
        return problems;
    }

    private static void value(Column column, String value, String where, List<String> problems) {
        String at = where + " " + column.name();
        if (value == null) {
            if (!column.nullable()) {
                problems.add(at + " is null");
            }
            return;
        }
        if (!column.allowed().isEmpty() && !column.allowed().contains(value)) {
            problems.add(at + " '" + value + "' is not an allowed value");
        }
        switch (column.kind()) {
            case DECIMAL -> {
                try {
                    new BigDecimal(value);
                } catch (NumberFormatException e) {
                    problems.add(at + " '" + value + "' is not a decimal");
                }
            }
            case DATETIME -> {
                if (!DATETIME.matcher(value).matches()) {
                    problems.add(at + " '" + value + "' is not an ISO 8601 UTC date-time");
                }
            }
            case JSON -> {
                try {
                    if (!JSON.readTree(value).isObject()) {
                        problems.add(at + " is not a JSON object");
                    }
                } catch (IOException e) {
                    problems.add(at + " is not JSON: " + e.getMessage());
                }
            }
            default -> {
                if (value.isEmpty()) {
                    problems.add(at + " is an empty string (FOCUS StringHandling: null, not empty)");
                }
            }
        }
    }

    /** Requirements between columns of a row. */
    private static void rowRules(Map<String, String> row, String where, List<String> problems) {
        String currency = row.get("BillingCurrency");
        if (currency != null && !CURRENCY.matcher(currency).matches()) {
            problems.add(where + " BillingCurrency '" + currency + "' is not an ISO 4217 code");
        }
        before(row, "ChargePeriodStart", "ChargePeriodEnd", where, problems);
        before(row, "BillingPeriodStart", "BillingPeriodEnd", where, problems);
        if (row.get("ConsumedQuantity") != null && row.get("ConsumedUnit") == null) {
            problems.add(where + " has ConsumedQuantity without ConsumedUnit");
        }
        String method = row.get("AllocatedMethodId");
        String details = row.get("AllocatedMethodDetails");
        if (method == null && (details != null || row.get("AllocatedResourceId") != null || row.get("AllocatedTags") != null)) {
            problems.add(where + " has allocation columns but no AllocatedMethodId");
        }
        if (row.get("AllocatedResourceId") != null && row.get("AllocatedResourceName") == null) {
            problems.add(where + " has AllocatedResourceId without AllocatedResourceName");
        }
        if (details != null) {
            try {
                JsonNode elements = JSON.readTree(details).path("Elements");
                if (!elements.isArray() || elements.isEmpty()) {
                    problems.add(where + " AllocatedMethodDetails has no Elements array");
                }
                for (JsonNode element : elements) {
                    if (!element.path("AllocatedRatio").isNumber()) {
                        problems.add(where + " AllocatedMethodDetails element has no numeric AllocatedRatio");
                    }
                    if (element.has("UsageQuantity") && !element.path("UsageUnit").isTextual()) {
                        problems.add(where + " AllocatedMethodDetails has UsageQuantity without UsageUnit");
                    }
                }
            } catch (IOException e) {
                // reported as not JSON above
            }
        }
    }

    private static void before(Map<String, String> row, String start, String end, String where, List<String> problems) {
        String s = row.get(start);
        String e = row.get(end);
        if (s != null && e != null && DATETIME.matcher(s).matches() && DATETIME.matcher(e).matches() && !Instant.parse(s).isBefore(Instant.parse(e))) {
            problems.add(where + " " + end + " " + e + " is not after " + start + " " + s);
        }
    }

    // ---- reading files back

    /** A CSV file as text: its header names the columns (all STRING, CSV has no types), an empty field is null. */
    public static Table csv(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8); CsvRecords records = new CsvRecords(reader)) {
            CsvRecords.Record header = records.next();
            Map<String, Kind> columns = new LinkedHashMap<>();
            header.fields().forEach(name -> columns.put(name, Kind.STRING));
            List<Map<String, String>> rows = new ArrayList<>();
            CsvRecords.Record record;
            while ((record = records.next()) != null) {
                if (record.error() != null || record.fields().size() != header.fields().size()) {
                    throw new IOException("line " + record.line() + " is not a CSV record of the header's width: " + record.error());
                }
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.fields().size(); i++) {
                    String value = record.fields().get(i);
                    row.put(header.fields().get(i), value.isEmpty() ? null : value);
                }
                rows.add(row);
            }
            return new Table(columns, rows);
        }
    }

    /** A Parquet file: columns typed by their logical types (DECIMAL, TIMESTAMP, STRING or JSON), values as text. */
    public static Table parquet(Path file) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file), ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            Map<String, Kind> columns = new LinkedHashMap<>();
            for (Type field : schema.getFields()) {
                columns.put(field.getName(), kind(field));
            }
            List<Map<String, String>> rows = new ArrayList<>();
            MessageColumnIO io = new ColumnIOFactory().getColumnIO(schema);
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = io.getRecordReader(pages, new GroupRecordConverter(schema));
                for (long i = 0; i < pages.getRowCount(); i++) {
                    Group group = records.read();
                    Map<String, String> row = new LinkedHashMap<>();
                    for (int f = 0; f < schema.getFieldCount(); f++) {
                        row.put(schema.getFieldName(f), group.getFieldRepetitionCount(f) == 0 ? null : text(group, f, schema.getType(f).asPrimitiveType()));
                    }
                    rows.add(row);
                }
            }
            return new Table(columns, rows);
        }
    }

    private static Kind kind(Type field) {
        LogicalTypeAnnotation logical = field.getLogicalTypeAnnotation();
        if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation) {
            return Kind.DECIMAL;
        }
        if (logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation timestamp && timestamp.isAdjustedToUTC()) {
            return Kind.DATETIME;
        }
        if (logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation) {
            return Kind.STRING;
        }
        if (logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
            return Kind.JSON;
        }
        return Kind.OTHER;
    }

    private static String text(Group group, int f, PrimitiveType type) {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        if (logical instanceof LogicalTypeAnnotation.DecimalLogicalTypeAnnotation decimal) {
            BigInteger unscaled = switch (type.getPrimitiveTypeName()) {
                case INT32 -> BigInteger.valueOf(group.getInteger(f, 0));
                case INT64 -> BigInteger.valueOf(group.getLong(f, 0));
                default -> new BigInteger(group.getBinary(f, 0).getBytes());
            };
            return new BigDecimal(unscaled, decimal.getScale()).toPlainString();
        }
        if (logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation timestamp) {
            long value = group.getLong(f, 0);
            Instant instant = switch (timestamp.getUnit()) {
                case MILLIS -> Instant.ofEpochMilli(value);
                case MICROS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000L), Math.floorMod(value, 1_000_000L) * 1_000L);
                case NANOS -> Instant.ofEpochSecond(Math.floorDiv(value, 1_000_000_000L), Math.floorMod(value, 1_000_000_000L));
            };
            return instant.toString();
        }
        if (type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
            return group.getBinary(f, 0).toStringUsingUTF8();
        }
        return group.getValueToString(f, 0);
    }
}
