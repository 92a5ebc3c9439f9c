package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.TreeMap;

/**
 * One deployment: the counts of its recent minutes (judged or still filling, kept while partial counts from other
 * partitions may still arrive), how far minutes have been judged, the latest storm minute and the firing alert.
 */
final class StormState {

    /** Counts by minute start, oldest first. */
    final TreeMap<Long, StormCounts> minutes = new TreeMap<>();
    /** Every minute that starts before this has been judged. */
    long judgedBefore = Long.MIN_VALUE;
    /** Start of the latest minute judged a storm. */
    long lastStormMinute = Long.MIN_VALUE;
    /** Minutes before this belong to an incident that has resolved: late counts for them start no new one. */
    long resolvedBefore = Long.MIN_VALUE;
    Alert firing;
    /** The minute an early warning went out for, until its verdict; {@link #NONE} when no warning is out. */
    long earlyMinute = NONE;

    static final long NONE = Long.MIN_VALUE;

    static final StateSerde<StormState> SERDE = new StateSerde<>(4, StormState::write, in -> read(in, true))
            .readingAlso(3, in -> read(in, false));

    private static void write(StormState s, DataOutput out) throws IOException {
        out.writeShort(s.minutes.size());
        for (StormCounts counts : s.minutes.values()) {
            byte[] bytes = StormCounts.SERDE.serialize(null, counts);
            out.writeInt(bytes.length);
            out.write(bytes);
        }
        out.writeLong(s.judgedBefore);
        out.writeLong(s.lastStormMinute);
        out.writeLong(s.resolvedBefore);
        StateSerde.writeAlert(out, s.firing);
        out.writeLong(s.earlyMinute);
    }

    private static StormState read(DataInput in, boolean withEarlyMinute) throws IOException {
        StormState s = new StormState();
        for (int i = in.readShort(); i > 0; i--) {
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            StormCounts counts = StormCounts.SERDE.deserialize(null, bytes);
            s.minutes.put(counts.minute, counts);
        }
        s.judgedBefore = in.readLong();
        s.lastStormMinute = in.readLong();
        s.resolvedBefore = in.readLong();
        s.firing = StateSerde.readAlert(in);
        if (withEarlyMinute) {
            s.earlyMinute = in.readLong();
        }
        return s;
    }
}
