package io.tokenmeter.normalize;

import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Drops a usage event whose eventId was already seen. An id is remembered until this task's watermark has passed its
 * event time by the horizon, so any copy that comes within the horizon of the first is dropped, however far one raw
 * partition runs ahead of another (a store that expired ids by the latest time any record reached would forget the
 * ids of the partitions behind it). The event travels as its Avro bytes: only the key (tenant and eventId) is needed
 * here.
 *
 * <p>Ids are kept by period: the key is the period of the id's event time (periods of two horizons) and then the id,
 * the value its event time. A copy within the horizon of its first lies in the same period or in the neighbour on the
 * side its time is nearer to, so two lookups find it; a period is dropped as a whole once the watermark is a horizon
 * past its end. That costs one write per event and one delete when its period goes, where an expiry index beside an
 * id store costs two of each. Disk stays bounded by the ids of about four horizons.
 */
final class DedupProcessor extends ContextualProcessor<String, byte[], String, byte[]> {

    static final String NAME = "normalize-dedup";
    private static final char SEPARATOR = '\u001F';

    private final long horizonMs;
    private final long periodMs;
    private final PipelineMetrics metrics;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;
    private long expiredUpTo = EventTime.UNKNOWN;
    /** Ids of periods before this one are gone. */
    private long keptFromPeriod = Long.MIN_VALUE;
    private KeyValueStore<Bytes, Long> seen;

    DedupProcessor(Duration horizon, PipelineMetrics metrics, EventTime.Settings eventTimeSettings, int partitions) {
        this.horizonMs = horizon.toMillis();
        this.periodMs = 2 * horizonMs;
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(NormalizeTopology.STAGE_DEDUP, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        super.init(context);
        seen = context.getStateStore(NormalizeTopology.DEDUP_STORE);
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
                expire(Math.floorDiv(now - horizonMs, periodMs));
            }
            sender.onRecord(context(), now);
            return;
        }
        int separator = record.key().indexOf(SEPARATOR);
        String tenant = record.key().substring(0, separator);
        String eventId = record.key().substring(separator + 1);
        long time = record.timestamp();
        byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
        long period = Math.floorDiv(time, periodMs);
        long neighbour = time - period * periodMs < horizonMs ? period - 1 : period + 1;
        if (isCopy(time, seen.get(key(period, id))) || isCopy(time, seen.get(key(neighbour, id)))) {
            metrics.duplicateDropped();
            return;
        }
        seen.put(key(period, id), time);
        context().forward(record.withKey(tenant));
    }

    private boolean isCopy(long time, Long earlier) {
        return earlier != null && Math.abs(time - earlier) < horizonMs;
    }

    /** Drops the ids of every period before {@code keepFrom}: the watermark is more than a horizon past all of them. */
    private void expire(long keepFrom) {
        if (keepFrom <= keptFromPeriod) {
            return;
        }
        keptFromPeriod = keepFrom;
        List<Bytes> gone = new ArrayList<>();
        try (KeyValueIterator<Bytes, Long> old = seen.range(null, key(keepFrom, new byte[0]))) {
            old.forEachRemaining((KeyValue<Bytes, Long> entry) -> gone.add(entry.key));
        }
        gone.forEach(seen::delete);
    }

    /** The period (sign flipped, so that byte order is period order), then the id. */
    private static Bytes key(long period, byte[] id) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + id.length).putLong(period ^ Long.MIN_VALUE).put(id).array());
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
