package io.tokenmeter.streams;

/**
 * The event time one processor has reached: the latest event time among its own input records.
 *
 * <p>Kafka Streams' stream time belongs to a task, and a task that reads several topics (the usage topic and the
 * repartition topics the anomaly detectors feed from every partition) takes the latest timestamp of any of them. One
 * partition running ahead of another would then close a minute, a window or a quiet period for records that are still
 * on their way. A processor judges time by its own records instead, and ticks once per {@code tickMillis} of them.
 */
public final class EventClock {

    private final long tickMillis;
    private long now = Long.MIN_VALUE;

    public EventClock(long tickMillis) {
        if (tickMillis <= 0) {
            throw new IllegalArgumentException("tick must be positive: " + tickMillis);
        }
        this.tickMillis = tickMillis;
    }

    /** Takes in one record's event time; true when the clock entered a later tick (the first record always does). */
    public boolean observe(long eventTime) {
        if (eventTime <= now) {
            return false;
        }
        boolean ticked = now == Long.MIN_VALUE || Math.floorDiv(eventTime, tickMillis) > Math.floorDiv(now, tickMillis);
        now = eventTime;
        return ticked;
    }

    /** The latest event time observed, {@link Long#MIN_VALUE} before the first record. */
    public long now() {
        return now;
    }
}
