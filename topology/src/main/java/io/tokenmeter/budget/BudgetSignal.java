package io.tokenmeter.budget;

import io.tokenmeter.event.Budget;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * What the budget processor learns about one scope (keyed {@code tenant:contoso}): spend added up in one 15-minute
 * bucket, a budget set or changed, or a budget removed. All three travel one repartition topic, so the spend of a
 * scope and its budget always meet in the same task.
 */
sealed interface BudgetSignal {

    /** Spend of one scope in one currency and 15-minute bucket: the sum of {@code calls} priced calls, the latest at {@code latest}. */
    record Spend(String currency, long bucket, long nanos, long calls, long latest) implements BudgetSignal {

        Spend plus(Spend other) {
            return new Spend(currency, bucket, nanos + other.nanos, calls + other.calls, Math.max(latest, other.latest));
        }
    }

    record Defined(Budget budget) implements BudgetSignal {
    }

    record Removed() implements BudgetSignal {
    }

    StateSerde<BudgetSignal> SERDE = new StateSerde<>(1, BudgetSignal::write, BudgetSignal::read);

    private static void write(BudgetSignal signal, DataOutput out) throws IOException {
        if (signal instanceof Spend s) {
            out.writeByte('S');
            out.writeUTF(s.currency());
            out.writeLong(s.bucket());
            out.writeLong(s.nanos());
            out.writeLong(s.calls());
            out.writeLong(s.latest());
        } else if (signal instanceof Defined d) {
            out.writeByte('D');
            StateSerde.writeRecord(out, d.budget(), Budget.class);
        } else {
            out.writeByte('R');
        }
    }

    private static BudgetSignal read(DataInput in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case 'S' -> new Spend(in.readUTF(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
            case 'D' -> new Defined(StateSerde.readRecord(in, Budget.class));
            case 'R' -> new Removed();
            default -> throw new IOException("unknown budget signal '" + (char) tag + "'");
        };
    }
}
