package io.tokenmeter.serde;

import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Confluent-framed Avro kept as bytes: for steps that move a record without reading it. Reading checks the framing
 * (magic byte, schema id), so bytes that are not Avro at all are refused at the boundary as they would be by the
 * Avro serde, without paying for a decode and re-encode.
 */
public final class FramedBytesSerde implements Serde<byte[]>, Serializer<byte[]>, Deserializer<byte[]> {

    @Override
    public byte[] serialize(String topic, byte[] data) {
        return data;
    }

    @Override
    public byte[] deserialize(String topic, byte[] data) {
        if (data != null) {
            WireFormat.schemaId(topic, data);
            if (data.length == WireFormat.HEADER_SIZE) {
                throw new AvroSerdeException("truncated payload on topic " + topic + ": a schema id and no Avro body");
            }
        }
        return data;
    }

    @Override
    public Serializer<byte[]> serializer() {
        return this;
    }

    @Override
    public Deserializer<byte[]> deserializer() {
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
