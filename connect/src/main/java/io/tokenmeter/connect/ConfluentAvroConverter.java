package io.tokenmeter.connect;

import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.registry.SchemaRegistryClient;
import io.tokenmeter.registry.SchemaRegistryException;
import io.tokenmeter.serde.AvroSerdeException;
import io.tokenmeter.serde.WireFormat;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * Reads the Confluent wire format (magic byte, schema id, Avro binary) that tokenmeter writes, with the writer schema
 * fetched from a registry speaking the Confluent API, into Connect structs a sink connector can store. Read only: it
 * serves sink connectors. Tombstones (null) stay null, so sinks can turn them into deletes.
 */
public final class ConfluentAvroConverter implements Converter {

    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";

    static final ConfigDef CONFIG = new ConfigDef()
            .define(SCHEMA_REGISTRY_URL, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    ConfigDef.Importance.HIGH, "Comma-separated base URLs of the schema registry (Confluent Schema Registry API: "
                            + "Confluent, Karapace, Redpanda, Apicurio's /apis/ccompat/v7, tokenmeter's embedded registry).")
            .define(BASIC_AUTH_USER_INFO, ConfigDef.Type.PASSWORD, null, ConfigDef.Importance.MEDIUM,
                    "user:password for HTTP basic authentication at the registry; empty for none.")
            .define(REQUEST_TIMEOUT_MS, ConfigDef.Type.INT, 10_000, ConfigDef.Range.atLeast(1), ConfigDef.Importance.LOW,
                    "Connect and request timeout of one registry call; a call is tried 3 times before the record fails.");

    private final Map<Integer, Reader> readers = new ConcurrentHashMap<>();
    private SchemaRegistryClient registry;
    private boolean isKey;

    public ConfluentAvroConverter() {
    }

    /** For tests: a converter on a given registry client. */
    ConfluentAvroConverter(SchemaRegistryClient registry, boolean isKey) {
        this.registry = registry;
        this.isKey = isKey;
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AbstractConfig config = new AbstractConfig(CONFIG, configs, false);
        Password userInfo = config.getPassword(BASIC_AUTH_USER_INFO);
        RegistrySettings settings = new RegistrySettings(Duration.ofMillis(config.getInt(REQUEST_TIMEOUT_MS)), 3, Duration.ofMillis(250),
                userInfo == null || userInfo.value().isBlank() ? null : userInfo.value());
        this.registry = new HttpSchemaRegistry(config.getString(SCHEMA_REGISTRY_URL), settings);
        this.isKey = isKey;
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        throw new DataException(getClass().getSimpleName() + " only reads (for sink connectors); it cannot write "
                + (isKey ? "keys" : "values") + " of topic " + topic);
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        if (value == null) {
            return SchemaAndValue.NULL;
        }
        int id;
        try {
            id = WireFormat.schemaId(topic, value);
        } catch (AvroSerdeException e) {
            throw new DataException(e.getMessage(), e);
        }
        Reader reader = readers.computeIfAbsent(id, i -> reader(topic, i));
        try {
            Object datum = reader.avro.read(null, DecoderFactory.get().binaryDecoder(value, WireFormat.HEADER_SIZE,
                    value.length - WireFormat.HEADER_SIZE, null));
            return new SchemaAndValue(reader.connect, AvroToConnect.value(reader.connect, datum));
        } catch (IOException | AvroRuntimeException | ClassCastException e) {
            throw new DataException("cannot decode a " + (isKey ? "key" : "value") + " of topic " + topic + " with schema id " + id
                    + " from " + registry.describe() + ": " + e, e);
        }
    }

    private Reader reader(String topic, int id) {
        org.apache.avro.Schema avro;
        try {
            avro = registry.schemaById(id);
        } catch (SchemaRegistryException e) {
            throw new DataException("cannot read a " + (isKey ? "key" : "value") + " of topic " + topic + ": " + e.getMessage(), e);
        }
        Schema connect;
        try {
            connect = AvroToConnect.schema(avro);
        } catch (DataException e) {
            throw new DataException("topic " + topic + ", schema id " + id + ": " + e.getMessage(), e);
        }
        // a fresh GenericData: no logical-type conversions, so timestamps arrive as the longs AvroToConnect expects
        return new Reader(new GenericDatumReader<>(avro, avro, new GenericData()), connect);
    }

    @Override
    public void close() {
        if (registry != null) {
            registry.close();
        }
    }

    private record Reader(GenericDatumReader<Object> avro, Schema connect) {
    }
}
