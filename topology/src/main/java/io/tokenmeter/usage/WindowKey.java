package io.tokenmeter.usage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * The key of one window in a window store: the window start as 8 big-endian bytes, then the dimensions key.
 * Keys sort by start first, so a time range is one contiguous range scan, for queries, emission and expiry.
 */
public final class WindowKey {

    private WindowKey() {
    }

    public static Bytes of(long start, String dimensions) {
        byte[] dims = dimensions.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + dims.length).putLong(start).put(dims).array());
    }

    /** The smallest key of windows starting at {@code start}: range bounds, inclusive as Kafka's range is. */
    public static Bytes startingAt(long start) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(start).array());
    }

    public static long start(Bytes key) {
        return ByteBuffer.wrap(key.get(), 0, Long.BYTES).getLong();
    }

    public static String dimensions(Bytes key) {
        byte[] bytes = key.get();
        return new String(bytes, Long.BYTES, bytes.length - Long.BYTES, StandardCharsets.UTF_8);
    }
}
