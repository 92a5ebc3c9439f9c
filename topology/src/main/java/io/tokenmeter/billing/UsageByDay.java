package io.tokenmeter.billing;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
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
 * Adds up each call's measured use per UTC day, account, model, deployment type and scope, and sends the sums on,
 * keyed by day, on a short wall-clock flush: the allocation behind the repartition sees a few records per key and
 * flush instead of one per call. The store and the forwarded sums change in one transaction, so a crash neither loses
 * nor doubles use. Every call counts, late ones too: lateness never loses money, and the allocation is revised. On
 * each flush the task's watermark follows the sums ({@link EventTime}), so the allocation knows when a day is complete.
 */
final class UsageByDay extends ContextualProcessor<String, PricedUsage, String, DaySignal> {

    static final String NAME = "billing-usage-partials";
    static final String STORE = "billing-usage-partials-store";

    private final Duration flush;
    private final String stage;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;
    private KeyValueStore<String, DaySignal> partials;

    UsageByDay(Duration flush, String stage, EventTime.Settings eventTimeSettings, int partitions) {
        this.flush = flush;
        this.stage = stage;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(stage, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<String, DaySignal> context) {
        super.init(context);
        partials = context.getStateStore(STORE);
        eventTime = EventTime.of(context, stage, eventTimeSettings);
        context.schedule(flush, PunctuationType.WALL_CLOCK_TIME, now -> {
            flushAll();
            sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now);
        });
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        PricedUsage priced = record.value();
        UseKey key = UseKey.of(priced.getUsage());
        String storeKey = Days.of(priced.getUsage().getTimestamp()) + UseKey.SEPARATOR + key.encode();
        Use use = Use.of(priced);
        DaySignal pending = partials.get(storeKey);
        partials.put(storeKey, new DaySignal.Used(key, pending == null ? use : ((DaySignal.Used) pending).use().plus(use)));
    }

    private void flushAll() {
        List<KeyValue<String, DaySignal>> pending = new ArrayList<>();
        try (KeyValueIterator<String, DaySignal> all = partials.all()) {
            all.forEachRemaining(pending::add);
        }
        for (KeyValue<String, DaySignal> entry : pending) {
            String day = entry.key.substring(0, entry.key.indexOf(UseKey.SEPARATOR));
            context().forward(new Record<>(day, entry.value, Days.start(day)));
            partials.delete(entry.key);
        }
    }
}
