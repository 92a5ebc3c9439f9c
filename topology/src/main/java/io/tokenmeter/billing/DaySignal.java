package io.tokenmeter.billing;

import io.tokenmeter.event.BillLine;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * What the allocation of one UTC day (the key, {@code 2026-11-03}) learns: a bill line that became part of the bill
 * or left it (a newer export run replaced its run), or measured use added up since the last flush. Both travel one
 * repartition topic, so a day's bill and its use always meet in the same task.
 */
sealed interface DaySignal {

    /** A line of the day's bill; {@code line} null: the line left the bill. */
    record Line(String lineId, BillLine line) implements DaySignal {
    }

    /** Use added up for one key of the day. */
    record Used(UseKey key, Use use) implements DaySignal {
    }

    StateSerde<DaySignal> SERDE = new StateSerde<>(1, DaySignal::write, DaySignal::read);

    private static void write(DaySignal signal, DataOutput out) throws IOException {
        if (signal instanceof Line l) {
            out.writeByte('L');
            out.writeUTF(l.lineId());
            StateSerde.writeRecord(out, l.line(), BillLine.class);
        } else {
            Used u = (Used) signal;
            out.writeByte('U');
            out.writeUTF(u.key().encode());
            Use.write(u.use(), out);
        }
    }

    private static DaySignal read(DataInput in) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case 'L' -> new Line(in.readUTF(), StateSerde.readRecord(in, BillLine.class));
            case 'U' -> new Used(UseKey.decode(in.readUTF()), Use.read(in));
            default -> throw new IOException("unknown day signal '" + (char) tag + "'");
        };
    }
}
