package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** One tenant/model series: its EWMA baseline of log tokens per active minute, the minute being filled, and the firing alert. */
final class SpikeState {

    long firstMinute;
    long minute;
    long tokens;
    double mean;
    double variance;
    long minutesLearned;
    Alert firing;

    static final StateSerde<SpikeState> SERDE = new StateSerde<>(1, SpikeState::write, SpikeState::read);

    private static void write(SpikeState s, DataOutput out) throws IOException {
        out.writeLong(s.firstMinute);
        out.writeLong(s.minute);
        out.writeLong(s.tokens);
        out.writeDouble(s.mean);
        out.writeDouble(s.variance);
        out.writeLong(s.minutesLearned);
        StateSerde.writeAlert(out, s.firing);
    }

    private static SpikeState read(DataInput in) throws IOException {
        SpikeState s = new SpikeState();
        s.firstMinute = in.readLong();
        s.minute = in.readLong();
        s.tokens = in.readLong();
        s.mean = in.readDouble();
        s.variance = in.readDouble();
        s.minutesLearned = in.readLong();
        s.firing = StateSerde.readAlert(in);
        return s;
    }
}
