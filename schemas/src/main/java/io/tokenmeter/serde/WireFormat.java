package io.tokenmeter.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent wire format: magic byte 0, the writer schema's registry id as a 4-byte big-endian int, then the
 * Avro binary encoding. Keeping it byte for byte keeps the topics readable by Confluent's own deserializer.
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Writes the header for {@code schemaId} in front of an Avro body of {@code bodySize} bytes. */
    public static ByteBuffer allocate(int schemaId, int bodySize) {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_SIZE + bodySize);
        buffer.put(MAGIC_BYTE).putInt(schemaId);
        return buffer;
    }

    /** Reads the schema id of a framed payload, or explains why the payload is not one. */
    public static int schemaId(String topic, byte[] payload) {
        if (payload.length < HEADER_SIZE) {
            throw new AvroSerdeException("truncated payload on topic " + topic + ": " + payload.length
                    + " bytes, a Confluent Avro record needs at least " + HEADER_SIZE + " (magic byte + 4-byte schema id)");
        }
        if (payload[0] != MAGIC_BYTE) {
            throw new AvroSerdeException(String.format("unknown magic byte 0x%02x on topic %s (expected 0x00): "
                    + "not Confluent Avro wire format%s", payload[0] & 0xff, topic, looksLikeJson(payload) ? ", it looks like JSON" : ""));
        }
        return ByteBuffer.wrap(payload, 1, 4).getInt();
    }

    private static boolean looksLikeJson(byte[] payload) {
        return payload[0] == '{' || payload[0] == '[';
    }
}
