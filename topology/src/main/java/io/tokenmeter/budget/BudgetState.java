package io.tokenmeter.budget;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.Budget;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One budget and where it stands in its current period: the spend counted in the period, and the alerts fired in it
 * (each threshold at most once, the forecast at most once), which resolve when the period ends.
 */
final class BudgetState {

    Budget budget;
    long periodStart;
    long periodEnd;
    String periodLabel;
    long spent;
    /** Fired threshold (percent) → its alert, firing until the period ends. */
    final Map<Integer, Alert> thresholds = new TreeMap<>();
    Alert forecast;
    /** The 15-minute boundary up to which the budget was evaluated in event-time order, and the period's spend before it. */
    long evaluatedTo = Long.MIN_VALUE;
    long spentBefore;

    static final StateSerde<BudgetState> SERDE = new StateSerde<>(2, BudgetState::write, BudgetState::read).readingAlso(1, BudgetState::readV1);

    private static void write(BudgetState s, DataOutput out) throws IOException {
        StateSerde.writeRecord(out, s.budget, Budget.class);
        out.writeLong(s.periodStart);
        out.writeLong(s.periodEnd);
        out.writeUTF(s.periodLabel);
        out.writeLong(s.spent);
        out.writeShort(s.thresholds.size());
        for (Map.Entry<Integer, Alert> fired : s.thresholds.entrySet()) {
            out.writeInt(fired.getKey());
            StateSerde.writeAlert(out, fired.getValue());
        }
        StateSerde.writeAlert(out, s.forecast);
        out.writeLong(s.evaluatedTo);
        out.writeLong(s.spentBefore);
    }

    private static BudgetState read(DataInput in) throws IOException {
        BudgetState s = readV1(in);
        s.evaluatedTo = in.readLong();
        s.spentBefore = in.readLong();
        return s;
    }

    private static BudgetState readV1(DataInput in) throws IOException {
        BudgetState s = new BudgetState();
        s.budget = StateSerde.readRecord(in, Budget.class);
        s.periodStart = in.readLong();
        s.periodEnd = in.readLong();
        s.periodLabel = in.readUTF();
        s.spent = in.readLong();
        for (int i = in.readShort(); i > 0; i--) {
            int threshold = in.readInt();
            s.thresholds.put(threshold, StateSerde.readAlert(in));
        }
        s.forecast = StateSerde.readAlert(in);
        return s;
    }
}
