package io.tokenmeter.usage;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** The sums of one window: counts, tokens by type and cost in nanos. Mutable while a window is being filled. */
public final class UsageTotals implements WindowGather.Totals<UsageTotals> {

    long requests;
    long billedRequests;
    long inputTokens;
    long cachedInputTokens;
    long outputTokens;
    long reasoningTokens;
    long costNanos;
    long unpricedRequests;
    /** Kept in the store only: the revisions emitted after the window's first value. */
    int revisions;

    public UsageTotals add(PricedUsage priced) {
        UsageEvent u = priced.getUsage();
        requests++;
        billedRequests += priced.getBilled() ? 1 : 0;
        inputTokens += u.getInputTokens();
        cachedInputTokens += u.getCachedInputTokens();
        outputTokens += u.getOutputTokens();
        reasoningTokens += u.getReasoningTokens();
        costNanos = Math.addExact(costNanos, priced.getCostNanos());
        unpricedRequests += priced.getPriced() ? 0 : 1;
        return this;
    }

    @Override
    public long[] toArray() {
        return new long[] {requests, billedRequests, inputTokens, cachedInputTokens, outputTokens, reasoningTokens, costNanos, unpricedRequests};
    }

    static UsageTotals fromArray(long[] v) {
        UsageTotals t = new UsageTotals();
        t.requests = v[0];
        t.billedRequests = v[1];
        t.inputTokens = v[2];
        t.cachedInputTokens = v[3];
        t.outputTokens = v[4];
        t.reasoningTokens = v[5];
        t.costNanos = v[6];
        t.unpricedRequests = v[7];
        return t;
    }

    @Override
    public UsageTotals add(UsageTotals other) {
        requests += other.requests;
        billedRequests += other.billedRequests;
        inputTokens += other.inputTokens;
        cachedInputTokens += other.cachedInputTokens;
        outputTokens += other.outputTokens;
        reasoningTokens += other.reasoningTokens;
        costNanos = Math.addExact(costNanos, other.costNanos);
        unpricedRequests += other.unpricedRequests;
        return this;
    }

    /** A compact fixed-size binary form for the window stores: a version byte, eight longs and the emissions (version 1 had none). */
    public static final class StoreSerde implements Serde<UsageTotals>, Serializer<UsageTotals>, Deserializer<UsageTotals> {
        private static final byte VERSION = 2;
        private static final int SIZE_V1 = 1 + 8 * Long.BYTES;
        private static final int SIZE = SIZE_V1 + Integer.BYTES;

        @Override
        public byte[] serialize(String topic, UsageTotals t) {
            if (t == null) {
                return null;
            }
            return ByteBuffer.allocate(SIZE).put(VERSION).putLong(t.requests).putLong(t.billedRequests).putLong(t.inputTokens)
                    .putLong(t.cachedInputTokens).putLong(t.outputTokens).putLong(t.reasoningTokens).putLong(t.costNanos)
                    .putLong(t.unpricedRequests).putInt(t.revisions).array();
        }

        @Override
        public UsageTotals deserialize(String topic, byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            boolean v1 = bytes.length == SIZE_V1 && bytes[0] == 1;
            if (!v1 && (bytes.length != SIZE || bytes[0] != VERSION)) {
                throw new SerializationException("not a version-" + VERSION + " usage total (" + bytes.length + " bytes)");
            }
            ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
            UsageTotals t = new UsageTotals();
            t.requests = in.getLong();
            t.billedRequests = in.getLong();
            t.inputTokens = in.getLong();
            t.cachedInputTokens = in.getLong();
            t.outputTokens = in.getLong();
            t.reasoningTokens = in.getLong();
            t.costNanos = in.getLong();
            t.unpricedRequests = in.getLong();
            // a version-1 window was written before revisions: none were made
            t.revisions = v1 ? 0 : in.getInt();
            return t;
        }

        @Override
        public Serializer<UsageTotals> serializer() {
            return this;
        }

        @Override
        public Deserializer<UsageTotals> deserializer() {
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
}
