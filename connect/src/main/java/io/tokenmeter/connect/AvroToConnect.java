package io.tokenmeter.connect;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * Maps an Avro writer schema and the generic datum read with it to a Connect schema and value.
 *
 * <p>Covered: records (nested ones become nested structs, which a JDBC sink needs flattened first), string, int, long,
 * float, double, boolean, bytes and fixed, enum (as its symbol), {@code timestamp-millis} (Connect Timestamp),
 * {@code date}, {@code time-millis}, {@code decimal}, {@code [null, X]} unions (optional X) and arrays of those.
 * A map becomes its JSON text in an optional string, because relational sinks have no portable map column (PostgreSQL
 * would need {@code hstore}). Everything else (other unions, arrays of records, arrays or maps, micro- and nanosecond
 * logical types) is refused with the path of the field, never guessed.
 */
final class AvroToConnect {

    private static final GenericData JSON_TEXT = new GenericData();

    private AvroToConnect() {
    }

    /** The Connect schema for an Avro schema; throws {@link DataException} naming the field it cannot map. */
    static Schema schema(org.apache.avro.Schema avro) {
        return schema(avro, avro.getFullName(), false);
    }

    private static Schema schema(org.apache.avro.Schema avro, String path, boolean optional) {
        SchemaBuilder builder = builder(avro, path);
        if (optional) {
            builder.optional();
        }
        return builder.build();
    }

    private static SchemaBuilder builder(org.apache.avro.Schema avro, String path) {
        LogicalType logical = avro.getLogicalType();
        switch (avro.getType()) {
            case RECORD: {
                SchemaBuilder struct = SchemaBuilder.struct().name(avro.getFullName());
                if (avro.getDoc() != null) {
                    struct.doc(avro.getDoc());
                }
                for (org.apache.avro.Schema.Field field : avro.getFields()) {
                    struct.field(field.name(), fieldSchema(field.schema(), path + "." + field.name()));
                }
                return struct;
            }
            case STRING:
            case ENUM:
                return SchemaBuilder.string();
            case BOOLEAN:
                return SchemaBuilder.bool();
            case FLOAT:
                return SchemaBuilder.float32();
            case DOUBLE:
                return SchemaBuilder.float64();
            case INT:
                if (logical == null) {
                    return SchemaBuilder.int32();
                }
                if (logical instanceof LogicalTypes.Date) {
                    return Date.builder();
                }
                if (logical instanceof LogicalTypes.TimeMillis) {
                    return Time.builder();
                }
                throw unsupported(path, "int with logical type " + logical.getName());
            case LONG:
                if (logical == null) {
                    return SchemaBuilder.int64();
                }
                if (logical instanceof LogicalTypes.TimestampMillis) {
                    return Timestamp.builder();
                }
                throw unsupported(path, "long with logical type " + logical.getName()
                        + " (Connect has millisecond timestamps only; a silent truncation would change the data)");
            case BYTES:
            case FIXED:
                if (logical instanceof LogicalTypes.Decimal decimal) {
                    return Decimal.builder(decimal.getScale());
                }
                return SchemaBuilder.bytes();
            case ARRAY: {
                org.apache.avro.Schema items = avro.getElementType();
                org.apache.avro.Schema itemType = nonNullBranch(items, path + "[]");
                if (itemType.getType() == org.apache.avro.Schema.Type.RECORD || itemType.getType() == org.apache.avro.Schema.Type.ARRAY
                        || itemType.getType() == org.apache.avro.Schema.Type.MAP) {
                    throw unsupported(path, "array of " + itemType.getType().getName() + " (only arrays of primitives fit a column)");
                }
                return SchemaBuilder.array(fieldSchema(items, path + "[]"));
            }
            case MAP:
                // its JSON text; optional, because a map may be empty and sinks should not need a default
                return SchemaBuilder.string().optional();
            case UNION:
                throw unsupported(path, "union " + avro + " (only [\"null\", X] unions map to an optional X)");
            case NULL:
            default:
                throw unsupported(path, avro.getType().getName() + " on its own");
        }
    }

    private static Schema fieldSchema(org.apache.avro.Schema avro, String path) {
        if (avro.getType() == org.apache.avro.Schema.Type.UNION) {
            return schema(nonNullBranch(avro, path), path, true);
        }
        return schema(avro, path, false);
    }

    /** X of a {@code [null, X]} or {@code [X, null]} union, or the schema itself when it is no union. */
    private static org.apache.avro.Schema nonNullBranch(org.apache.avro.Schema avro, String path) {
        if (avro.getType() != org.apache.avro.Schema.Type.UNION) {
            return avro;
        }
        List<org.apache.avro.Schema> branches = avro.getTypes();
        List<org.apache.avro.Schema> nonNull = branches.stream().filter(s -> s.getType() != org.apache.avro.Schema.Type.NULL).toList();
        if (branches.size() != 2 || nonNull.size() != 1) {
            throw unsupported(path, "union " + avro + " (only [\"null\", X] unions map to an optional X)");
        }
        return nonNull.get(0);
    }

    /** The Connect value of {@code datum} (read with the Avro schema {@code schema} was made from). */
    static Object value(Schema schema, Object datum) {
        if (datum == null) {
            if (!schema.isOptional()) {
                throw new DataException("null for the required " + schema.type() + (schema.name() == null ? "" : " " + schema.name()));
            }
            return null;
        }
        if (schema.name() != null) {
            switch (schema.name()) {
                case Timestamp.LOGICAL_NAME:
                    return new java.util.Date((Long) datum);
                case Date.LOGICAL_NAME:
                    return new java.util.Date(((Integer) datum) * 86_400_000L);
                case Time.LOGICAL_NAME:
                    return new java.util.Date(((Integer) datum).longValue());
                case Decimal.LOGICAL_NAME:
                    return new BigDecimal(new BigInteger(bytes(datum)), Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD)));
                default:
                    break;
            }
        }
        switch (schema.type()) {
            case STRUCT: {
                IndexedRecord record = (IndexedRecord) datum;
                Struct struct = new Struct(schema);
                for (Field field : schema.fields()) {
                    struct.put(field, value(field.schema(), record.get(field.index())));
                }
                return struct;
            }
            case STRING:
                // a map field: its JSON text; strings and enum symbols: their text
                return datum instanceof Map<?, ?> map ? JSON_TEXT.toString(map) : datum.toString();
            case BYTES:
                return bytes(datum);
            case ARRAY: {
                Collection<?> items = (Collection<?>) datum;
                List<Object> values = new ArrayList<>(items.size());
                for (Object item : items) {
                    values.add(value(schema.valueSchema(), item));
                }
                return values;
            }
            default:
                // boolean, int32, int64, float32, float64: Avro's boxed Java types are Connect's
                return datum;
        }
    }

    private static byte[] bytes(Object datum) {
        if (datum instanceof GenericFixed fixed) {
            return fixed.bytes().clone();
        }
        ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static DataException unsupported(String path, String what) {
        return new DataException("cannot map Avro field " + path + " to a Connect schema: " + what);
    }
}
