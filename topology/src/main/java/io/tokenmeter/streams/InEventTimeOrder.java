package io.tokenmeter.streams;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.topics.Topic;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Replays a task's calls and outcomes in event-time order: each one waits in a store until the task's watermark has
 * passed it, and then goes on, ordered by event time, then calls before outcomes, then by event id or task id. The
 * processors after it (runaway loops, token spikes, task costs) see the same sequence whatever the partitions'
 * interleaving, speed, thread count or restarts, so what they decide depends on the data alone. A record that was late
 * where it entered (see {@link EventTime}) cannot take its place in that sequence any more: it goes on at once, marked
 * late, for the processors to count (money) without judging it (alerts). After each release a {@link TaskSignal.Tick}
 * tells them how far event time has come, so they settle what fell due (a quiet loop, an abandoned task) at the same
 * point of the sequence in every run.
 *
 * <p>A release is done in slices of at most {@link #SLICE} of wall time, with a commit between them: when the watermark
 * jumps (the inputs went idle after a backlog) there can be hundreds of thousands of calls to release, and one
 * transaction holding them all would outlive {@code transaction.timeout.ms}, be fenced, roll back and start again,
 * for ever. The tick goes on once the whole release is done.
 */
public final class InEventTimeOrder extends ContextualProcessor<String, TaskSignal, String, TaskSignal> {

    public static final String NAME = "usage-in-event-time-order";
    public static final String STORE = "usage-in-event-time-order-store";
    private static final byte CALL = 0;
    private static final byte ENDED = 1;

    private final String stage;
    private final EventTime.Settings settings;
    private final Topic<String, PricedUsage> calls;
    private final Topic<String, TaskOutcome> outcomes;
    private EventTime eventTime;
    private KeyValueStore<Bytes, byte[]> waiting;
    private long releasedUpTo = EventTime.UNKNOWN;
    /** Whether entries before {@link #releasedUpTo} are still waiting: a release was sliced and goes on. */
    private boolean releasing;
    /**
     * The last entry released: every entry before it is gone, and none can come before it again (a record behind the
     * released time goes on at once), so a scan starts there instead of wading through the deleted entries' tombstones.
     */
    private Bytes releasedKey;

    /** Wall time one slice of a release may take; the stream thread commits between slices. */
    static final Duration SLICE = Duration.ofMillis(300);
    /** Entries read from the store at a time, within a slice. */
    private static final int BATCH = 500;
    /**
     * How soon a sliced release goes on when no record comes to carry it. Scheduled only while a release is sliced: a
     * punctuation makes the stream thread process fewer records between its checks, which costs throughput.
     */
    private static final Duration CONTINUE = Duration.ofMillis(10);
    private Cancellable continuation;

    /** Waiting records are kept in the Avro form of {@code calls} and {@code outcomes}, the topics those records are also written to. */
    public InEventTimeOrder(String stage, EventTime.Settings settings, Topic<String, PricedUsage> calls, Topic<String, TaskOutcome> outcomes) {
        this.stage = stage;
        this.settings = settings;
        this.calls = calls;
        this.outcomes = outcomes;
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> store() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray());
    }

    @Override
    public void init(ProcessorContext<String, TaskSignal> context) {
        super.init(context);
        eventTime = EventTime.of(context, stage, settings);
        waiting = context.getStateStore(STORE);
        // a task revived after an aborted transaction has its store as of the last commit: start from there
        releasedUpTo = EventTime.UNKNOWN;
        releasing = false;
        releasedKey = null;
        continuation = null;
        context.schedule(settings.interval(), PunctuationType.WALL_CLOCK_TIME, now -> release());

    }

    @Override
    public void process(Record<String, TaskSignal> record) {
        if (record.value() instanceof TaskSignal.Tick) {
            return; // ticks are this processor's to send
        }
        if (Watermarks.isLate(record.headers())) {
            context().forward(record);
        } else if (releasedUpTo != EventTime.UNKNOWN && time(record.value()) < releasedUpTo) {
            // on time where it entered, but behind what was released here (its input was idle and woke up): it can
            // no longer take its place in the sequence either
            context().forward(record.withHeaders(Watermarks.stamp(new RecordHeaders(record.headers().toArray()), true)));
        } else {
            waiting.put(key(record.value()), value(record.key(), record.value()));
        }
        release();
    }

    /** Sends on, in order, everything before the watermark, or as much of it as one slice allows. */
    private void release() {
        long now = eventTime.watermark();
        if (now != EventTime.UNKNOWN && now > releasedUpTo) {
            releasedUpTo = now;
            releasing = true;
        }
        if (!releasing) {
            return;
        }
        long deadline = System.nanoTime() + SLICE.toNanos();
        boolean more;
        do {
            more = releaseBatch();
        } while (more && System.nanoTime() < deadline);
        if (more && continuation == null) {
            continuation = context().schedule(CONTINUE, PunctuationType.WALL_CLOCK_TIME, wall -> release());
        }
        if (!more) {
            if (continuation != null) {
                continuation.cancel();
                continuation = null;
            }
            releasing = false;
            context().forward(new Record<>("", new TaskSignal.Tick(releasedUpTo), releasedUpTo, Watermarks.stamp(new RecordHeaders(), false)));
        }
    }

    /** Sends on the next {@link #BATCH} entries before {@link #releasedUpTo}; true when there may be more. */
    private boolean releaseBatch() {
        List<KeyValue<Bytes, byte[]>> due = new ArrayList<>(BATCH);
        try (KeyValueIterator<Bytes, byte[]> range = waiting.range(releasedKey, bound(releasedUpTo))) {
            while (due.size() < BATCH && range.hasNext()) {
                due.add(range.next());
            }
        }
        for (KeyValue<Bytes, byte[]> entry : due) {
            waiting.delete(entry.key);
            releasedKey = entry.key;
            long time = ByteBuffer.wrap(entry.key.get()).getLong() ^ Long.MIN_VALUE;
            ByteBuffer in = ByteBuffer.wrap(entry.value);
            byte kind = in.get();
            byte[] key = new byte[in.getInt()];
            in.get(key);
            byte[] payload = new byte[in.remaining()];
            in.get(payload);
            TaskSignal signal = kind == CALL ? new TaskSignal.Call(calls.valueSerde().deserializer().deserialize(calls.name(), payload))
                    : new TaskSignal.Ended(outcomes.valueSerde().deserializer().deserialize(outcomes.name(), payload));
            Headers headers = Watermarks.stamp(new RecordHeaders(), false);
            context().forward(new Record<>(new String(key, StandardCharsets.UTF_8), signal, time, headers));
        }
        return due.size() == BATCH;
    }

    private static long time(TaskSignal signal) {
        return signal instanceof TaskSignal.Call call ? call.priced().getUsage().getTimestamp().toEpochMilli()
                : ((TaskSignal.Ended) signal).outcome().getTimestamp().toEpochMilli();
    }

    /** Event time (sign flipped, so byte order is time order), kind, then the id: one order for every run. */
    private static Bytes key(TaskSignal signal) {
        long time;
        byte kind;
        String id;
        if (signal instanceof TaskSignal.Call call) {
            time = call.priced().getUsage().getTimestamp().toEpochMilli();
            kind = CALL;
            id = call.priced().getUsage().getTenant() + '\u001F' + call.priced().getUsage().getEventId();
        } else {
            TaskOutcome outcome = ((TaskSignal.Ended) signal).outcome();
            time = outcome.getTimestamp().toEpochMilli();
            kind = ENDED;
            id = outcome.getTenant() + '\u001F' + outcome.getTaskId();
        }
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + 1 + idBytes.length).putLong(time ^ Long.MIN_VALUE).put(kind).put(idBytes).array());
    }

    private byte[] value(String recordKey, TaskSignal signal) {
        byte[] key = (recordKey == null ? "" : recordKey).getBytes(StandardCharsets.UTF_8);
        byte kind = signal instanceof TaskSignal.Call ? CALL : ENDED;
        // the price entry that was applied rides along on usage.priced; the processors after this one need only the cost
        byte[] payload = signal instanceof TaskSignal.Call call
                ? calls.valueSerde().serializer().serialize(calls.name(), PricedUsage.newBuilder(call.priced()).setPrice(null).build())
                : outcomes.valueSerde().serializer().serialize(outcomes.name(), ((TaskSignal.Ended) signal).outcome());
        return ByteBuffer.allocate(1 + Integer.BYTES + key.length + payload.length).put(kind).putInt(key.length).put(key).put(payload).array();
    }

    /** Sorts before every entry at {@code time}: the exclusive end of what the watermark releases. */
    private static Bytes bound(long time) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(time ^ Long.MIN_VALUE).array());
    }
}
