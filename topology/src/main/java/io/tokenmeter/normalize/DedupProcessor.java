package io.tokenmeter.normalize;

import io.tokenmeter.streams.DueIndex;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Drops a usage event whose eventId was already seen. An id is remembered until this task's watermark has passed its
 * event time by the horizon, so any copy that comes within the horizon of the first is dropped, however far one raw
 * partition runs ahead of another (a store that expired ids by the latest time any record reached would forget the
 * ids of the partitions behind it). The event travels as its Avro bytes: only the key (tenant and eventId) is needed
 * here. Memory and disk stay bounded by the ids of one horizon.
 */
final class DedupProcessor extends ContextualProcessor<String, byte[], String, byte[]> {

    static final String NAME = "normalize-dedup";
    private static final char SEPARATOR = '\u001F';

    private final long horizonMs;
    private final PipelineMetrics metrics;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;
    private long expiredUpTo = EventTime.UNKNOWN;
    private KeyValueStore<String, Long> seen;
    private DueIndex expiry;

    DedupProcessor(Duration horizon, PipelineMetrics metrics, EventTime.Settings eventTimeSettings, int partitions) {
        this.horizonMs = horizon.toMillis();
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(NormalizeTopology.STAGE_DEDUP, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        super.init(context);
        seen = context.getStateStore(NormalizeTopology.DEDUP_STORE);
        expiry = new DueIndex(context.getStateStore(NormalizeTopology.DEDUP_EXPIRY_STORE));
        eventTime = EventTime.of(context, NormalizeTopology.STAGE_DEDUP, eventTimeSettings);
        context.schedule(eventTimeSettings.interval(), PunctuationType.WALL_CLOCK_TIME,
                now -> sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        if (eventTime.absorb(record)) {
            long now = eventTime.watermark();
            if (now != EventTime.UNKNOWN && now > expiredUpTo) {
                expiredUpTo = now;
                expiry.takeDue(now - horizonMs).forEach(seen::delete);
            }
            sender.onRecord(context(), now);
            return;
        }
        int separator = record.key().indexOf(SEPARATOR);
        String tenant = record.key().substring(0, separator);
        String eventId = record.key().substring(separator + 1);
        Long earlier = seen.get(eventId);
        long time = record.timestamp();
        if (earlier != null && Math.abs(time - earlier) < horizonMs) {
            metrics.duplicateDropped();
            return;
        }
        if (earlier != null) {
            expiry.remove(earlier, eventId);
        }
        seen.put(eventId, time);
        expiry.add(time, eventId);
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
