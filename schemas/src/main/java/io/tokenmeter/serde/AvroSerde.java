package io.tokenmeter.serde;

import io.tokenmeter.registry.SchemaRegistryClient;
import io.tokenmeter.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro serde in the Confluent wire format with the TopicNameStrategy ({@code <topic>-value}, {@code <topic>-key}).
 * Writers register their schema (or only look it up when auto-registration is off); readers resolve the writer
 * schema by id against their own reader schema, so old and new readers both decode across compatible changes.
 * Thread-safe: one instance serves every stream thread.
 */
public final class AvroSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private static final String TRUSTED_PACKAGE = "io.tokenmeter.";

    static {
        // Avro resolves specific classes by name and only trusts java.* by default; our generated contracts are safe.
        ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current,
                type -> type.getName().startsWith(TRUSTED_PACKAGE)));
    }

    /**
     * Makes sure Avro trusts the project's generated classes (done once, when this class loads). Code that builds
     * specific readers itself, without an AvroSerde, calls this first.
     */
    public static void trustContracts() {
        // loading this class ran the static initializer above
    }

    private final SchemaRegistryClient registry;
    private final boolean isKey;
    private final boolean autoRegister;
    private final Schema readerSchema;
    private final GenericData model;
    private final Map<SubjectSchema, Integer> writerIds = new ConcurrentHashMap<>();
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<T>> writers = new ConcurrentHashMap<>();

    private AvroSerde(SchemaRegistryClient registry, Schema readerSchema, GenericData model, boolean isKey, boolean autoRegister) {
        this.registry = registry;
        this.readerSchema = readerSchema;
        this.model = model;
        this.isKey = isKey;
        this.autoRegister = autoRegister;
    }

    /** Serde of a generated record class, e.g. {@code UsageEvent}; values of topics, registering schemas on write. */
    public static <T extends SpecificRecord> AvroSerde<T> specific(Class<T> type, SchemaRegistryClient registry) {
        return specific(type, registry, false, true);
    }

    public static <T extends SpecificRecord> AvroSerde<T> specific(Class<T> type, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
        SpecificData data = SpecificData.getForClass(type);
        return new AvroSerde<>(registry, data.getSchema(type), data, isKey, autoRegister);
    }

    /** Serde of generic records read with {@code readerSchema} (null: read with the writer's own schema). */
    public static AvroSerde<GenericRecord> generic(Schema readerSchema, SchemaRegistryClient registry, boolean isKey, boolean autoRegister) {
        return new AvroSerde<>(registry, readerSchema, GenericData.get(), isKey, autoRegister);
    }

    public String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        Schema writerSchema = writerSchemaOf(data);
        int id = writerId(topic, writerSchema);
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(body, null);
            writers.computeIfAbsent(writerSchema, this::newWriter).write(data, encoder);
            encoder.flush();
            ByteBuffer framed = WireFormat.allocate(id, body.size());
            framed.put(body.toByteArray());
            return framed.array();
        } catch (IOException | AvroRuntimeException | ClassCastException | NullPointerException e) {
            throw new AvroSerdeException("cannot write " + writerSchema.getFullName() + " to topic " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] payload) {
        if (payload == null) {
            return null;
        }
        int id = WireFormat.schemaId(topic, payload);
        DatumReader<T> reader = readers.computeIfAbsent(id, this::newReader);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(payload, WireFormat.HEADER_SIZE,
                    payload.length - WireFormat.HEADER_SIZE, null);
            return reader.read(null, decoder);
        } catch (EOFException e) {
            throw new AvroSerdeException("truncated payload on topic " + topic + ": the Avro body (" + (payload.length - WireFormat.HEADER_SIZE)
                    + " bytes) ended before the record of schema id " + id + " was complete", e);
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
            throw new AvroSerdeException("corrupt Avro body on topic " + topic + " for schema id " + id + ": " + e.getMessage(), e);
        }
    }

    private int writerId(String topic, Schema writerSchema) {
        String subject = subject(topic);
        SubjectSchema key = new SubjectSchema(subject, writerSchema);
        Integer cached = writerIds.get(key);
        if (cached != null) {
            return cached;
        }
        try {
            int id = autoRegister ? registry.register(subject, writerSchema) : registry.lookup(subject, writerSchema);
            writerIds.put(key, id);
            return id;
        } catch (SchemaRegistryException e) {
            throw new AvroSerdeException("cannot write to topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Avro caches a schema's hash code, and equals short-circuits on the same instance: a cheap cache key. */
    private record SubjectSchema(String subject, Schema schema) {
    }

    private DatumReader<T> newReader(int id) {
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            throw new AvroSerdeException("cannot read record with schema id " + id + ": " + e.getMessage(), e);
        }
        Schema target = readerSchema == null ? writerSchema : readerSchema;
        if (model instanceof SpecificData specific) {
            return new SpecificDatumReader<>(writerSchema, target, specific);
        }
        return new GenericDatumReader<>(writerSchema, target, model);
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<T> newWriter(Schema schema) {
        if (model instanceof SpecificData specific) {
            return new SpecificDatumWriter<>(schema, specific);
        }
        return (DatumWriter<T>) new GenericDatumWriter<GenericRecord>(schema, model);
    }

    private Schema writerSchemaOf(T data) {
        if (data instanceof GenericRecord record) {
            return record.getSchema();
        }
        if (readerSchema != null) {
            return readerSchema;
        }
        throw new AvroSerdeException("cannot write " + data.getClass().getName() + ": not an Avro record");
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // configured at construction: the registry client is shared, not created per serde
    }

    @Override
    public void close() {
        // the registry client belongs to whoever opened it
    }
}
