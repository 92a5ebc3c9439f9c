package io.tokenmeter.normalize;

import io.tokenmeter.streams.PipelineMetrics;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Drops a usage event whose eventId was already seen within the horizon of its event time. The event travels as
 * its Avro bytes: only the key (tenant and eventId) is needed here. The window store
 * keeps ids only as long as the horizon, so memory and disk stay bounded however long the service runs.
 */
final class DedupProcessor extends ContextualProcessor<String, byte[], String, byte[]> {

    private static final char SEPARATOR = '\u001F';

    private final long horizonMs;
    private final PipelineMetrics metrics;
    private WindowStore<String, Long> seen;

    DedupProcessor(Duration horizon, PipelineMetrics metrics) {
        this.horizonMs = horizon.toMillis();
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        super.init(context);
        seen = context.getStateStore(NormalizeTopology.DEDUP_STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        int separator = record.key().indexOf(SEPARATOR);
        String tenant = record.key().substring(0, separator);
        String eventId = record.key().substring(separator + 1);
        long time = record.timestamp();
        try (WindowStoreIterator<Long> earlier = seen.fetch(eventId, Instant.ofEpochMilli(time - horizonMs), Instant.ofEpochMilli(time + horizonMs))) {
            if (earlier.hasNext()) {
                metrics.duplicateDropped();
                return;
            }
        }
        seen.put(eventId, time, time);
        context().forward(record.withKey(tenant));
    }

    /** The repartition key: tenant and eventId, so usage can be keyed by tenant after and the dedup store by eventId. */
    static String key(String tenant, String eventId) {
        return tenant.replace(SEPARATOR, '\uFFFD') + SEPARATOR + eventId;
    }

    /**
     * Partitions by the tenant alone, as the default partitioner would a tenant key: copies of an event share their
     * tenant, so they still meet, and one tenant's events stay in one partition, in order, all the way to usage.
     */
    static Optional<Set<Integer>> partitionByTenant(String topic, String key, byte[] value, int partitions) {
        byte[] tenant = key.substring(0, key.indexOf(SEPARATOR)).getBytes(StandardCharsets.UTF_8);
        return Optional.of(Set.of(Utils.toPositive(Utils.murmur2(tenant)) % partitions));
    }
}
