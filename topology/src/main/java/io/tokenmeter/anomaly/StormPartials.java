package io.tokenmeter.anomaly;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.Watermarks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts each call into its deployment's minute in a state store, and sends the partial counts on, keyed by
 * deployment, when the deployment moves to a later minute here and on a short wall-clock flush. The detector behind
 * the repartition then sees a few records per deployment and minute instead of every call. Store and forwarded
 * counts change in one transaction, so a crash neither loses nor doubles a count. On each flush the task's watermark
 * follows the counts to every partition of the detector ({@link EventTime}), so a minute the watermark has passed has all
 * its on-time counts there. Calls that were late where they entered are left out: their minute may have been judged.
 */
final class StormPartials extends ContextualProcessor<String, PricedUsage, String, StormCounts> {

    static final String STORE = "anomaly-storm-partials-store";
    static final Duration FLUSH = Duration.ofMillis(200);
    private static final long MINUTE = 60_000L;

    static final String NAME = "anomaly-storm-partials";
    private final String stage;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;
    private KeyValueStore<String, StormCounts> partials;
    /** The minute each deployment is being counted in, mirroring the store. */
    private final Map<String, Long> counting = new HashMap<>();

    StormPartials(String stage, EventTime.Settings eventTimeSettings, int partitions) {
        this.stage = stage;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(stage, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<String, StormCounts> context) {
        super.init(context);
        partials = context.getStateStore(STORE);
        eventTime = EventTime.of(context, stage, eventTimeSettings);
        try (KeyValueIterator<String, StormCounts> all = partials.all()) {
            all.forEachRemaining(kv -> counting.merge(kv.key, kv.value.minute, Math::max));
        }
        context.schedule(FLUSH, PunctuationType.WALL_CLOCK_TIME, now -> {
            flushAll();
            sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now);
        });
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        if (Watermarks.isLate(record.headers())) {
            return;
        }
        CallSignal call = CallSignal.of(record.value());
        String deployment = call.deployment();
        long minute = Math.floorDiv(call.time(), MINUTE) * MINUTE;
        Long current = counting.get(deployment);
        StormCounts counts = current == null ? null : partials.get(deployment);
        if (counts != null && minute > counts.minute) {
            send(deployment, counts);
            counts = null;
        }
        if (counts == null) {
            counts = new StormCounts();
            counts.minute = minute;
        }
        // a call for an earlier minute than the one being counted is counted there: its minute has been sent on
        counts.add(call);
        partials.put(deployment, counts);
        counting.put(deployment, counts.minute);
    }

    private void send(String deployment, StormCounts counts) {
        context().forward(new Record<>(deployment, counts, counts.latest));
    }

    private void flushAll() {
        List<KeyValue<String, StormCounts>> pending = new ArrayList<>();
        try (KeyValueIterator<String, StormCounts> all = partials.all()) {
            all.forEachRemaining(pending::add);
        }
        for (KeyValue<String, StormCounts> entry : pending) {
            send(entry.key, entry.value);
            partials.delete(entry.key);
            counting.remove(entry.key);
        }
    }
}
