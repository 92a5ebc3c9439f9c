package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** One model/deployment-type/region without a price: today's unpriced calls, who made them, and the firing alert. */
final class UnpricedState {

    static final int MAX_TENANTS = 16;

    long day;
    long calls;
    final List<String> tenants = new ArrayList<>();
    Alert firing;

    static final StateSerde<UnpricedState> SERDE = new StateSerde<>(1, UnpricedState::write, UnpricedState::read);

    private static void write(UnpricedState s, DataOutput out) throws IOException {
        out.writeLong(s.day);
        out.writeLong(s.calls);
        out.writeShort(s.tenants.size());
        for (String tenant : s.tenants) {
            out.writeUTF(tenant);
        }
        StateSerde.writeAlert(out, s.firing);
    }

    private static UnpricedState read(DataInput in) throws IOException {
        UnpricedState s = new UnpricedState();
        s.day = in.readLong();
        s.calls = in.readLong();
        for (int i = in.readShort(); i > 0; i--) {
            s.tenants.add(in.readUTF());
        }
        s.firing = StateSerde.readAlert(in);
        return s;
    }
}
