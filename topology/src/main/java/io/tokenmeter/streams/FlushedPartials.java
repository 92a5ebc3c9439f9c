package io.tokenmeter.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Sums added up per key in a store on every record and sent on, all of them, on a short wall-clock flush, before a
 * repartition: the processor behind it then sees a few records per key and flush instead of one per call. The store
 * and the forwarded sums change in one transaction, so a crash neither loses nor doubles anything. On each flush the
 * task's watermark follows the sums to every partition of the repartition ({@link EventTime}).
 */
public abstract class FlushedPartials<I, V> extends ContextualProcessor<String, I, String, V> {

    private final String storeName;
    private final Duration flush;
    private final String stage;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private KeyValueStore<String, V> partials;

    /** {@code stage}: the stage this processor runs in, as {@code partitions} tasks; {@code name}: this processor's name. */
    protected FlushedPartials(String storeName, Duration flush, String stage, EventTime.Settings eventTimeSettings, String name, int partitions) {
        this.storeName = storeName;
        this.flush = flush;
        this.stage = stage;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(stage, name, partitions);
    }

    @Override
    public void init(ProcessorContext<String, V> context) {
        super.init(context);
        partials = context.getStateStore(storeName);
        EventTime eventTime = EventTime.of(context, stage, eventTimeSettings);
        context.schedule(flush, PunctuationType.WALL_CLOCK_TIME, now -> {
            flushAll();
            sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now);
        });
    }

    /** The sums not sent yet, by store key. */
    protected KeyValueStore<String, V> partials() {
        return partials;
    }

    /** The key a sum is sent under (the repartition's key), from its store key. */
    protected abstract String outputKey(String storeKey, V sum);

    /** The record timestamp a sum is sent with. */
    protected abstract long timestamp(String storeKey, V sum);

    private void flushAll() {
        List<KeyValue<String, V>> pending = new ArrayList<>();
        try (KeyValueIterator<String, V> all = partials.all()) {
            all.forEachRemaining(pending::add);
        }
        for (KeyValue<String, V> entry : pending) {
            context().forward(new Record<>(outputKey(entry.key, entry.value), entry.value, timestamp(entry.key, entry.value)));
            partials.delete(entry.key);
        }
    }
}
