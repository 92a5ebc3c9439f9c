package io.tokenmeter.streams;

import java.io.DataInput;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The event time of one stream task: the low watermark over every input partition that feeds it. Every processor of
 * tokenmeter that judges time (closing windows and tasks, detector minutes and quiet periods, the dedup horizon, budget
 * periods) asks this, never the latest record it happened to read.
 *
 * <p>Two kinds of input feed a task. A <em>stage</em> of tokenmeter upstream (all tasks of one sub-topology) reports
 * each of its partitions' watermark with markers ({@link Watermarks}); the task needs a report from every partition
 * of a stage before the stage counts. A <em>direct</em> input is a topic partition that producers outside tokenmeter
 * write to ({@code ingest.raw}, or {@code usage} and {@code task-outcomes} written by applications): its watermark is
 * the latest event time read from it less the allowed lateness, so records up to that much out of order are on time.
 * The task's watermark is the minimum over its inputs, and never goes back.
 *
 * <p>Idleness: an input that reports itself idle, or a direct input with no record for {@code idleAfter} of wall time,
 * does not hold the others back. That is the one way a record can be behind the watermark without being out of order
 * in its own partition: it comes from a partition that was idle and woke up with older data. Such records still
 * count (windows and task costs are revised), but detectors ignore them.
 *
 * <p>The watermark and each input's last report are kept per task in two stores: a changelogged one, so a restarted
 * or moved task resumes from where it was, and an in-memory view that every processor of the task reads on each
 * record at the cost of a field read.
 */
public final class EventTime {

    /** Not known yet: no input has reported. */
    public static final long UNKNOWN = Long.MIN_VALUE;
    private static final String DIRECT = "direct";
    /** The wall time of a direct input's last record is not known in this process yet. */
    private static final long UNSEEN = Long.MIN_VALUE;
    private static final char SEPARATOR = '\u001F';

    /** Allowed out-of-orderness within one input partition; wall time after which a silent input is idle; marker interval. */
    public record Settings(Duration lateness, Duration idleAfter, Duration interval) {
    }

    /** One input's last report. */
    record Mark(long watermark, boolean idle, int count, long lastWallMs) {

        static final StateSerde<Mark> SERDE = new StateSerde<>(1, (m, out) -> {
            out.writeLong(m.watermark);
            out.writeBoolean(m.idle);
            out.writeInt(m.count);
            out.writeLong(m.lastWallMs);
        }, Mark::read);

        private static Mark read(DataInput in) throws IOException {
            return new Mark(in.readLong(), in.readBoolean(), in.readInt(), in.readLong());
        }
    }

    private final Settings settings;
    private final KeyValueStore<String, Mark> marks;
    private final View view;
    private final CaughtUp caughtUp;
    private final org.apache.kafka.streams.processor.TaskId task;
    private boolean source;

    private EventTime(Settings settings, KeyValueStore<String, Mark> marks, View view, CaughtUp caughtUp,
                      org.apache.kafka.streams.processor.TaskId task) {
        this.settings = settings;
        this.marks = marks;
        this.view = view;
        this.caughtUp = caughtUp;
        this.task = task;
        if (!view.loaded) {
            try (KeyValueIterator<String, Mark> all = marks.all()) {
                // silence is measured from when this task started here: the wall time of a mark from before a restart says nothing
                all.forEachRemaining(kv -> view.marks.put(kv.key, kv.key.startsWith(DIRECT) && !kv.value.idle
                        ? new Mark(kv.value.watermark, false, kv.value.count, UNSEEN) : kv.value));
            }
            Mark current = view.marks.remove(CURRENT);
            view.current = current == null ? UNKNOWN : current.watermark;
            view.loaded = true;
        }
    }

    private static final String CURRENT = "@";

    /** Adds the stores of the task-level event time of {@code stage}: a sub-topology's processors share them. */
    public static void addStores(StreamsBuilder builder, String stage) {
        storeBuilders(stage).forEach(builder::addStateStore);
    }

    /** The builders of those stores (tests that drive one processor build them in memory with {@code inMemory}). */
    public static List<StoreBuilder<?>> storeBuilders(String stage, boolean inMemory) {
        // cached: a direct input's mark changes with nearly every record, and only its last value per commit goes to the changelog
        return List.of(Stores.keyValueStoreBuilder(inMemory ? Stores.inMemoryKeyValueStore(marksStore(stage))
                        : Stores.persistentKeyValueStore(marksStore(stage)), Serdes.String(), Mark.SERDE).withCachingEnabled(),
                new ViewBuilder(viewStore(stage)));
    }

    private static List<StoreBuilder<?>> storeBuilders(String stage) {
        return storeBuilders(stage, false);
    }

    /** The names of the stores a processor of {@code stage} connects to read its event time. */
    public static String[] stores(String stage) {
        return new String[] {marksStore(stage), viewStore(stage)};
    }

    /** Both the event-time stores and {@code others}, to connect a processor to. */
    public static String[] stores(String stage, String... others) {
        String[] all = new String[others.length + 2];
        System.arraycopy(others, 0, all, 0, others.length);
        all[others.length] = marksStore(stage);
        all[others.length + 1] = viewStore(stage);
        return all;
    }

    static String marksStore(String stage) {
        return stage + "-watermark-marks-store";
    }

    static String viewStore(String stage) {
        return stage + "-watermark-store";
    }

    /** This task's event time, for a processor of {@code stage} (call from {@code init}). */
    public static EventTime of(ProcessorContext<?, ?> context, String stage, Settings settings) {
        Object caughtUp = context.appConfigs().get(CaughtUp.CONFIG);
        return new EventTime(settings, context.getStateStore(marksStore(stage)), context.getStateStore(viewStore(stage)),
                caughtUp instanceof CaughtUp c ? c : CaughtUp.ALWAYS, context.taskId());
    }

    /** This task's event time, for the processor of a source stage: one that reads only what producers outside tokenmeter write. */
    public static EventTime ofSource(ProcessorContext<?, ?> context, String stage, Settings settings) {
        EventTime eventTime = of(context, stage, settings);
        eventTime.source = true;
        return eventTime;
    }

    /** The low watermark over this task's inputs, {@link #UNKNOWN} until they reported. */
    public long watermark() {
        return view.current;
    }

    public Settings settings() {
        return settings;
    }

    /** Takes in a marker; false (and nothing changes) for a data record. */
    public boolean absorb(Record<?, ?> record) {
        Watermarks.Marker marker = Watermarks.marker(record);
        if (marker == null) {
            return false;
        }
        String key = marker.stage() + SEPARATOR + marker.partition();
        Mark before = view.marks.get(key);
        long watermark = before == null ? marker.watermark() : Math.max(before.watermark, marker.watermark());
        Mark mark = new Mark(watermark, marker.idle(), marker.count(), 0);
        if (!mark.equals(before)) {
            put(key, mark);
            recompute();
        }
        return true;
    }

    /**
     * A data record read straight from a producer on {@code input} (a record without the stage header): moves that
     * input's watermark. Returns whether the record was late there, behind what its own partition had reached.
     */
    public boolean direct(String input, long eventTime, long wallMs) {
        String key = DIRECT + SEPARATOR + input;
        Mark before = view.marks.get(key);
        long candidate = eventTime - settings.lateness().toMillis();
        boolean late = before != null && eventTime < before.watermark;
        long watermark = before == null ? candidate : Math.max(before.watermark, candidate);
        // the wall time is refreshed at most once a second, so a busy input does not write its mark on every record
        if (before == null || watermark != before.watermark || before.idle || wallMs - before.lastWallMs >= 1000) {
            put(key, new Mark(watermark, false, 1, wallMs));
            if (before == null || before.idle || before.watermark <= view.current) {
                recompute(); // otherwise this input was not what held the watermark back, and raising it changes nothing
            }
        }
        return late;
    }

    /**
     * Marks direct inputs idle that have been silent for the idle time; call from a wall-clock punctuation. A silent,
     * caught-up input has delivered everything up to its latest record: its watermark moves up to that record's time.
     */
    public void checkIdle(long wallMs) {
        if (view.startedWallMs == Long.MIN_VALUE) {
            view.startedWallMs = wallMs;
        }
        view.wallMs = wallMs;
        boolean changed = false;
        Boolean taskCaughtUp = null; // asked at most once, and only when an input has been silent long enough
        for (Map.Entry<String, Mark> entry : List.copyOf(view.marks.entrySet())) {
            Mark m = entry.getValue();
            if (entry.getKey().startsWith(DIRECT) && m.lastWallMs == UNSEEN) {
                view.marks.put(entry.getKey(), new Mark(m.watermark, m.idle, m.count, wallMs)); // silent from now on, if at all
            } else if (entry.getKey().startsWith(DIRECT) && !m.idle && wallMs - m.lastWallMs >= settings.idleAfter().toMillis()
                    && (taskCaughtUp == null ? (taskCaughtUp = caughtUp.caughtUp(task)) : taskCaughtUp)) {
                // everything up to and including its latest record is in: the watermark passes that record too
                put(entry.getKey(), new Mark(m.watermark + settings.lateness().toMillis() + 1, true, m.count, m.lastWallMs));
                changed = true;
            }
        }
        if (changed) {
            recompute();
        }
    }

    /**
     * True when every input that reported is idle (or none ever did, for the idle time): then this task is idle too, as
     * far as the stages after it go. Needs {@link #checkIdle} on a punctuation.
     */
    public boolean idle() {
        if (view.marks.isEmpty()) {
            // nothing ever came into a source: after the idle time it says so, or the stages after it would wait for it
            // forever; a task fed by a stage waits for that stage's word instead (the stage before it may be starting)
            return source && view.startedWallMs != Long.MIN_VALUE && view.wallMs - view.startedWallMs >= settings.idleAfter().toMillis()
                    && caughtUp.caughtUp(task);
        }
        for (Mark m : view.marks.values()) {
            if (!m.idle) {
                return false;
            }
        }
        return true;
    }

    private void put(String key, Mark mark) {
        view.marks.put(key, mark);
        marks.put(key, mark);
    }

    /**
     * The minimum over inputs that are not idle; when every input is idle, the latest of them (each has delivered
     * everything it had). A stage counts only once every partition of it reported.
     */
    private void recompute() {
        Map<String, int[]> reported = new HashMap<>();
        long min = Long.MAX_VALUE;
        long idleMax = Long.MIN_VALUE;
        for (Map.Entry<String, Mark> entry : view.marks.entrySet()) {
            String key = entry.getKey();
            Mark m = entry.getValue();
            String stage = key.substring(0, key.indexOf(SEPARATOR));
            if (!stage.equals(DIRECT)) {
                int partition = Integer.parseInt(key.substring(key.indexOf(SEPARATOR) + 1));
                if (partition >= m.count) {
                    continue; // a partition of a stage that has fewer partitions now
                }
                int[] seen = reported.computeIfAbsent(stage, s -> new int[] {0, m.count});
                seen[0]++;
                seen[1] = m.count;
            }
            if (!m.idle) {
                min = Math.min(min, m.watermark);
            } else {
                idleMax = Math.max(idleMax, m.watermark);
            }
        }
        if (min == Long.MAX_VALUE && idleMax != Long.MIN_VALUE) {
            min = idleMax;
        }
        for (int[] seen : reported.values()) {
            if (seen[0] < seen[1]) {
                return; // a partition of this stage has not reported yet: hold
            }
        }
        if (min != Long.MAX_VALUE && min > view.current) {
            view.current = min;
            marks.put(CURRENT, new Mark(min, false, 0, 0));
        }
    }

    /** Sends one stage partition's markers to the relay beside its processor, when its watermark moved or its idleness changed. */
    public static final class Sender {

        private static final long HEARTBEAT_MS = 10_000;
        private final String stage;
        private final String relay;
        private final int count;
        private long lastSent = UNKNOWN;
        private boolean lastIdle;
        private long lastSentWall = Long.MIN_VALUE;

        /** For processor {@code processorName} of {@code stage}, which runs as {@code count} tasks. */
        public Sender(String stage, String processorName, int count) {
            this.stage = stage;
            this.relay = Watermarks.relayName(processorName);
            this.count = count;
        }

        /** On a data record: sends when the watermark entered a later minute, so markers stay few however busy the stage is. */
        public void onRecord(ProcessorContext<?, ?> context, long watermark) {
            if (watermark != UNKNOWN && (lastSent == UNKNOWN || Math.floorDiv(watermark, 60_000L) > Math.floorDiv(lastSent, 60_000L))) {
                send(context, watermark, false, context.currentSystemTimeMs());
            }
        }

        /** On the wall-clock punctuation: sends any progress, a change of idleness, or a heartbeat. */
        public void onPunctuate(ProcessorContext<?, ?> context, long watermark, boolean idle, long wallMs) {
            if (watermark == UNKNOWN) {
                if (idle && lastSentWall == Long.MIN_VALUE || idle && wallMs - lastSentWall >= HEARTBEAT_MS) {
                    send(context, 0, true, wallMs); // no input ever reported: idle, so the stages after it do not wait for it
                }
                return;
            }
            if (watermark != lastSent || idle != lastIdle || wallMs - lastSentWall >= HEARTBEAT_MS) {
                send(context, watermark, idle, wallMs);
            }
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private void send(ProcessorContext context, long watermark, boolean idle, long wallMs) {
            if (watermark < 0) {
                return; // Kafka keeps no negative timestamps; data before 1970 is not a case tokenmeter serves
            }
            int partition = context.taskId().partition();
            context.forward(Watermarks.record(new Watermarks.Marker(stage, partition, count, idle, watermark)), relay);
            lastSent = watermark;
            lastIdle = idle;
            lastSentWall = wallMs;
        }
    }

    /** The in-memory view of one task's marks and watermark, shared by the task's processors. */
    static final class View implements StateStore {
        private final String name;
        private boolean open;
        final Map<String, Mark> marks = new HashMap<>();
        long current = UNKNOWN;
        boolean loaded;
        long startedWallMs = Long.MIN_VALUE;
        long wallMs = Long.MIN_VALUE;

        View(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            context.register(root, (key, value) -> { });
            // a task revived after an aborted transaction reloads from its restored marks, not from what it had in memory
            marks.clear();
            current = UNKNOWN;
            loaded = false;
            startedWallMs = Long.MIN_VALUE;
            wallMs = Long.MIN_VALUE;
            open = true;
        }

        @Override
        public void close() {
            open = false;
        }

        @Override
        public boolean persistent() {
            return false;
        }

        @Override
        public boolean isOpen() {
            return open;
        }
    }

    private static final class ViewBuilder implements StoreBuilder<View> {
        private final String name;

        ViewBuilder(String name) {
            this.name = name;
        }

        @Override
        public StoreBuilder<View> withCachingEnabled() {
            return this;
        }

        @Override
        public StoreBuilder<View> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<View> withLoggingEnabled(Map<String, String> config) {
            return this;
        }

        @Override
        public StoreBuilder<View> withLoggingDisabled() {
            return this;
        }

        @Override
        public View build() {
            return new View(name);
        }

        @Override
        public Map<String, String> logConfig() {
            return Map.of();
        }

        @Override
        public boolean loggingEnabled() {
            return false;
        }

        @Override
        public String name() {
            return name;
        }
    }

}
