package io.tokenmeter.billing;

import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the allocation keeps per day beside its stores: how many bill lines the day has, whether it must be recomputed,
 * with which rules it was last computed, whether it was computed once the day was complete in event time (drift is
 * judged only then), and the lines nothing could be matched to.
 */
record DayState(int lines, boolean dirty, long rulesFingerprint, boolean judged, List<String> unmatched) {

    static final DayState EMPTY = new DayState(0, false, 0, false, List.of());

    static final StateSerde<DayState> SERDE = new StateSerde<>(1, (d, out) -> {
        out.writeInt(d.lines);
        out.writeBoolean(d.dirty);
        out.writeLong(d.rulesFingerprint);
        out.writeBoolean(d.judged);
        out.writeInt(d.unmatched.size());
        for (String line : d.unmatched) {
            out.writeUTF(line);
        }
    }, DayState::read);

    private static DayState read(DataInput in) throws IOException {
        int lines = in.readInt();
        boolean dirty = in.readBoolean();
        long rules = in.readLong();
        boolean judged = in.readBoolean();
        int n = in.readInt();
        List<String> unmatched = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            unmatched.add(in.readUTF());
        }
        return new DayState(lines, dirty, rules, judged, List.copyOf(unmatched));
    }

    DayState withLines(int count) {
        return new DayState(count, count > 0 || dirty, rulesFingerprint, judged, unmatched);
    }

    DayState markDirty() {
        return dirty ? this : new DayState(lines, true, rulesFingerprint, judged, unmatched);
    }

    DayState computed(long rules, boolean complete, List<String> unmatchedLines) {
        return new DayState(lines, false, rules, complete, List.copyOf(unmatchedLines));
    }
}
