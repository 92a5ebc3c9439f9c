package io.tokenmeter.streams;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import io.tokenmeter.event.Alert;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A compact binary serde for a state-store value: a version byte, then whatever the value writes. State is read and
 * written on every record, so it is kept small and cheap to encode (no schema lookups, no field names).
 */
public final class StateSerde<T> implements Serde<T>, Serializer<T>, Deserializer<T> {

    /** Writes a value. */
    @FunctionalInterface
    public interface Writer<T> {
        void write(T value, DataOutput out) throws IOException;
    }

    /** Reads a value written by the matching writer. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(DataInput in) throws IOException;
    }

    private final byte version;
    private final Writer<T> writer;
    private final Reader<T> reader;
    private final byte legacyVersion;
    private final Reader<T> legacyReader;

    public StateSerde(int version, Writer<T> writer, Reader<T> reader) {
        this(version, writer, reader, -1, null);
    }

    private StateSerde(int version, Writer<T> writer, Reader<T> reader, int legacyVersion, Reader<T> legacyReader) {
        this.version = (byte) version;
        this.writer = writer;
        this.reader = reader;
        this.legacyVersion = (byte) legacyVersion;
        this.legacyReader = legacyReader;
    }

    /** This serde, also reading what the previous build wrote: state and repartition records survive an upgrade. */
    public StateSerde<T> readingAlso(int previousVersion, Reader<T> previousReader) {
        return new StateSerde<>(version, writer, reader, previousVersion, previousReader);
    }

    @Override
    public byte[] serialize(String topic, T value) {
        if (value == null) {
            return null;
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(version);
            writer.write(value, out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new SerializationException("cannot encode state for " + topic, e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        boolean legacy = legacyReader != null && bytes.length > 0 && bytes[0] == legacyVersion;
        if (bytes.length == 0 || (bytes[0] != version && !legacy)) {
            throw new SerializationException("state in " + topic + " has version " + (bytes.length == 0 ? "none" : bytes[0])
                    + ", this build reads version " + version + (legacyReader == null ? "" : " and " + legacyVersion));
        }
        try {
            return (legacy ? legacyReader : reader).read(new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1)));
        } catch (IOException e) {
            throw new SerializationException("cannot decode state from " + topic, e);
        }
    }

    static {
        io.tokenmeter.serde.AvroSerde.trustContracts();
    }

    private static final Map<Class<?>, SpecificDatumWriter<?>> WRITERS = new ConcurrentHashMap<>();
    private static final Map<Class<?>, SpecificDatumReader<?>> READERS = new ConcurrentHashMap<>();

    /** Writes a nullable alert as plain Avro binary of this build's schema (state, not a topic: no registry involved). */
    public static void writeAlert(DataOutput out, Alert alert) throws IOException {
        writeRecord(out, alert, Alert.class);
    }

    public static Alert readAlert(DataInput in) throws IOException {
        return readRecord(in, Alert.class);
    }

    /** Writes a nullable Avro record as plain binary of this build's schema. */
    @SuppressWarnings("unchecked")
    public static <R extends SpecificRecord> void writeRecord(DataOutput out, R record, Class<R> type) throws IOException {
        out.writeBoolean(record != null);
        if (record != null) {
            SpecificDatumWriter<R> writer = (SpecificDatumWriter<R>) WRITERS.computeIfAbsent(type, SpecificDatumWriter::new);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
            writer.write(record, encoder);
            encoder.flush();
            out.writeInt(bytes.size());
            out.write(bytes.toByteArray());
        }
    }

    @SuppressWarnings("unchecked")
    public static <R extends SpecificRecord> R readRecord(DataInput in, Class<R> type) throws IOException {
        if (!in.readBoolean()) {
            return null;
        }
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        SpecificDatumReader<R> reader = (SpecificDatumReader<R>) READERS.computeIfAbsent(type, SpecificDatumReader::new);
        return reader.read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }

    /** Writes a nullable string. */
    public static void writeNullable(DataOutput out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            out.writeUTF(value);
        }
    }

    public static String readNullable(DataInput in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
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
        // nothing to configure
    }

    @Override
    public void close() {
        // nothing to release
    }
}
