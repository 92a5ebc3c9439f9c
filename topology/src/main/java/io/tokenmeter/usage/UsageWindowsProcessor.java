package io.tokenmeter.usage;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.streams.EventClock;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Adds each priced call to its 1-minute, 1-hour and 1-day windows and emits every window once, with its final value,
 * when event time passes its end plus the grace. Event time is the latest call this processor has seen, not the task's
 * stream time, which other input topics of the task can push ahead. A call whose 1-minute window has already closed is late: it is
 * counted in no window (so every window size sums to the same total) and goes to the dead-letter topic.
 * Windows are partitioned like the usage topic (by tenant, which is part of every window key), so no repartition is needed.
 */
final class UsageWindowsProcessor extends ContextualProcessor<String, PricedUsage, String, UsageWindowsTopology.Output> {

    private static final WindowSize[] SIZES = WindowSize.values();

    private final UsageWindowsTopology.Settings settings;
    private final Serializer<UsageEvent> usageSerializer;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final KeyValueStore<Bytes, UsageTotals>[] stores;
    private final long[] emittedUpTo = new long[SIZES.length];
    private final EventClock eventTime = new EventClock(SIZES[0].millis());
    private KeyValueStore<String, Long> emitted;

    @SuppressWarnings("unchecked")
    UsageWindowsProcessor(UsageWindowsTopology.Settings settings, Serializer<UsageEvent> usageSerializer,
                          PipelineMetrics metrics, Clock clock) {
        this.settings = settings;
        this.usageSerializer = usageSerializer;
        this.metrics = metrics;
        this.clock = clock;
        this.stores = new KeyValueStore[SIZES.length];
    }

    @Override
    public void init(ProcessorContext<String, UsageWindowsTopology.Output> context) {
        super.init(context);
        for (int i = 0; i < SIZES.length; i++) {
            stores[i] = context.getStateStore(SIZES[i].storeName());
        }
        emitted = context.getStateStore(UsageWindowsTopology.EMITTED_STORE);
        for (int i = 0; i < SIZES.length; i++) {
            Long upTo = emitted.get(SIZES[i].code());
            emittedUpTo[i] = upTo == null ? Long.MIN_VALUE : upTo;
        }
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        long eventTime = record.value().getUsage().getTimestamp().toEpochMilli();
        this.eventTime.observe(eventTime);
        long now = this.eventTime.now();
        long grace = settings.grace().toMillis();
        WindowSize finest = SIZES[0];
        long finestStart = finest.windowStart(eventTime);
        if (finestStart + finest.millis() + grace <= now || finestStart < emittedUpTo[0]) {
            late(record, eventTime, now);
            return;
        }
        String key = Dimensions.key(record.value());
        for (int i = 0; i < SIZES.length; i++) {
            Bytes windowKey = WindowKey.of(SIZES[i].windowStart(eventTime), key);
            UsageTotals totals = stores[i].get(windowKey);
            stores[i].put(windowKey, (totals == null ? new UsageTotals() : totals).add(record.value()));
        }
        emitClosedWindows(now - grace);
    }

    /**
     * Emits, once, every window that ends at or before {@code closeBefore}, and deletes the windows that are past
     * their retention (their changelog gets tombstones, so restores stay small too).
     */
    private void emitClosedWindows(long closeBefore) {
        for (int i = 0; i < SIZES.length; i++) {
            WindowSize size = SIZES[i];
            long closedEnd = size.windowStart(closeBefore);
            if (closedEnd <= emittedUpTo[i]) {
                continue;
            }
            long retention = settings.retention(size).toMillis();
            long firstStart = emittedUpTo[i] == Long.MIN_VALUE ? Math.max(0, closedEnd - retention) : emittedUpTo[i];
            if (closedEnd > firstStart) {
                try (KeyValueIterator<Bytes, UsageTotals> closed = stores[i].range(WindowKey.startingAt(firstStart), WindowKey.startingAt(closedEnd))) {
                    while (closed.hasNext()) {
                        KeyValue<Bytes, UsageTotals> window = closed.next();
                        long start = WindowKey.start(window.key);
                        if (start >= closedEnd) {
                            break;
                        }
                        UsageWindow value = toWindow(size, start, WindowKey.dimensions(window.key), window.value);
                        context().forward(new Record<>(outputKey(size, value), new UsageWindowsTopology.Output.Closed(value),
                                start + size.millis() - 1));
                    }
                }
            }
            expire(stores[i], Math.max(0, closedEnd - retention));
            emittedUpTo[i] = closedEnd;
            emitted.put(size.code(), closedEnd);
        }
    }

    private static void expire(KeyValueStore<Bytes, UsageTotals> store, long before) {
        if (before <= 0) {
            return;
        }
        java.util.List<Bytes> expired = new java.util.ArrayList<>();
        try (KeyValueIterator<Bytes, UsageTotals> old = store.range(WindowKey.startingAt(0), WindowKey.startingAt(before))) {
            while (old.hasNext()) {
                Bytes key = old.next().key;
                if (WindowKey.start(key) < before) {
                    expired.add(key);
                }
            }
        }
        expired.forEach(store::delete);
    }

    private void late(Record<String, PricedUsage> record, long eventTime, long now) {
        metrics.late();
        metrics.deadLetter(DeadLetters.LATE);
        RecordMetadata source = context().recordMetadata().orElse(null);
        String topic = source == null ? null : source.topic();
        byte[] value = usageSerializer.serialize(topic, record.value().getUsage());
        String detail = "event time " + Instant.ofEpochMilli(eventTime) + " is too late: its 1-minute window closed at "
                + Instant.ofEpochMilli(SIZES[0].windowStart(eventTime) + SIZES[0].millis() + settings.grace().toMillis())
                + " (end + grace " + settings.grace() + "), and usage of this partition has reached " + Instant.ofEpochMilli(Math.max(now, emittedUpTo[0] + settings.grace().toMillis()));
        DeadLetters.Origin origin = source == null ? new DeadLetters.Origin(null, -1, -1, clock.instant())
                : new DeadLetters.Origin(source.topic(), source.partition(), source.offset(), clock.instant());
        context().forward(new Record<>(record.key(), (UsageWindowsTopology.Output) new UsageWindowsTopology.Output.Late(
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), value), record.timestamp(),
                DeadLetters.headers(record.headers(), DeadLetters.LATE, detail, "usage-windows", origin)));
    }

    static UsageWindow toWindow(WindowSize size, long start, String key, UsageTotals totals) {
        String[] dims = Dimensions.values(key);
        return UsageWindow.newBuilder()
                .setWindowSize(size.code())
                .setWindowStart(Instant.ofEpochMilli(start))
                .setWindowEnd(Instant.ofEpochMilli(start + size.millis()))
                .setTenant(dims[0]).setApplication(dims[1]).setUseCase(dims[2]).setCostCenter(dims[3])
                .setAgent(dims[4]).setModel(dims[5]).setDeployment(dims[6]).setCurrency(dims[Dimensions.CURRENCY])
                .setRequests(totals.requests).setBilledRequests(totals.billedRequests)
                .setInputTokens(totals.inputTokens).setCachedInputTokens(totals.cachedInputTokens)
                .setOutputTokens(totals.outputTokens).setReasoningTokens(totals.reasoningTokens)
                .setCostNanos(totals.costNanos).setUnpricedRequests(totals.unpricedRequests)
                .build();
    }

    /** The usage.windows key: size, start and every dimension, so a sink can upsert by it. */
    static String outputKey(WindowSize size, UsageWindow w) {
        return String.join("|", size.code(), w.getWindowStart().toString(), w.getTenant(), w.getApplication(), w.getUseCase(),
                w.getCostCenter(), w.getAgent(), w.getModel(), w.getDeployment(), w.getCurrency());
    }
}
