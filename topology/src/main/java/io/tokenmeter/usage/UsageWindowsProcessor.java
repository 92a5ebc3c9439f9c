package io.tokenmeter.usage;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Adds each priced call to its 1-minute, 1-hour and 1-day windows and emits every window when the task's watermark
 * ({@link EventTime}: the low watermark of every upstream partition) passes its end. A call that comes after its window
 * was emitted still counts: the window is updated and emitted again with the next revision number, so a sink that
 * upserts by key ends up right. A window is kept (queryable, revisable) until the watermark passes its start by the
 * retention of its size; a call counts in every size whose window is still kept, and goes to the dead-letter topic as
 * 'late' only when none is. Windows are partitioned like the usage topic (by tenant, which is part of every window
 * key), so no repartition is needed.
 */
final class UsageWindowsProcessor extends ContextualProcessor<String, PricedUsage, String, UsageWindowsTopology.Output> {

    private static final WindowSize[] SIZES = WindowSize.values();

    private final UsageWindowsTopology.Settings settings;
    private final Serializer<UsageEvent> usageSerializer;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final KeyValueStore<Bytes, UsageTotals>[] stores;
    private final long[] emittedUpTo = new long[SIZES.length];
    private EventTime eventTime;
    private long closedAt = EventTime.UNKNOWN;
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
        eventTime = EventTime.of(context, settings.stage(), settings.eventTime());
        context.schedule(settings.eventTime().interval(), PunctuationType.WALL_CLOCK_TIME, now -> advance());
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        long eventTime = record.value().getUsage().getTimestamp().toEpochMilli();
        long now = this.eventTime.watermark();
        String key = null;
        boolean counted = false;
        for (int i = 0; i < SIZES.length; i++) {
            WindowSize size = SIZES[i];
            long start = size.windowStart(eventTime);
            if (now != EventTime.UNKNOWN && start + settings.retention(size).toMillis() < now) {
                continue; // this size no longer keeps the call's window
            }
            key = key == null ? Dimensions.key(record.value()) : key;
            Bytes windowKey = WindowKey.of(start, key);
            UsageTotals totals = stores[i].get(windowKey);
            boolean emittedBefore = start + size.millis() <= emittedUpTo[i];
            if (totals != null && emittedBefore) {
                totals.revisions++;
            }
            totals = (totals == null ? new UsageTotals() : totals).add(record.value());
            stores[i].put(windowKey, totals);
            if (emittedBefore) {
                metrics.revised("window-" + size.code());
                UsageWindow value = toWindow(size, start, key, totals);
                context().forward(new Record<>(outputKey(size, value), new UsageWindowsTopology.Output.Closed(value), start + size.millis() - 1));
            }
            counted = true;
        }
        if (!counted) {
            late(record, eventTime, now);
        }
        advance();
    }

    /** Emits what the watermark has closed since the last time. */
    private void advance() {
        long now = eventTime.watermark();
        if (now != EventTime.UNKNOWN && now != closedAt) {
            closedAt = now;
            emitClosedWindows(now);
        }
    }

    /**
     * Emits every window that ends at or before {@code closeBefore} and was not emitted yet, and deletes the windows
     * that are past their retention (their changelog gets tombstones, so restores stay small too).
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
            expire(stores[i], closeBefore - retention);
            emittedUpTo[i] = closedEnd;
            emitted.put(size.code(), closedEnd);
        }
    }

    /** Deletes the windows that start before {@code before}. */
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
        WindowSize longest = SIZES[SIZES.length - 1];
        String detail = "event time " + Instant.ofEpochMilli(eventTime) + " is older than every window kept: the watermark of this partition is "
                + Instant.ofEpochMilli(now) + " and " + longest.code() + " windows are kept for " + settings.retention(longest)
                + " after they start (windows.retention." + longest.code() + ".ms)";
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
                .setRevision(totals.revisions)
                .build();
    }

    /** The usage.windows key: size, start and every dimension, so a sink can upsert by it. */
    static String outputKey(WindowSize size, UsageWindow w) {
        return String.join("|", size.code(), w.getWindowStart().toString(), w.getTenant(), w.getApplication(), w.getUseCase(),
                w.getCostCenter(), w.getAgent(), w.getModel(), w.getDeployment(), w.getCurrency());
    }
}
