package io.tokenmeter.billing;

import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.IOException;

/** The serde of a day's reconciled groups, as the allocation keeps them for the API and the drift alert. */
final class Reconciliations {

    static final StateSerde<DayAllocation.Reconciled> SERDE = new StateSerde<>(1, (r, out) -> {
        out.writeUTF(r.account());
        StateSerde.writeNullable(out, r.resourceId());
        StateSerde.writeNullable(out, r.model());
        out.writeUTF(r.deploymentType());
        out.writeUTF(r.kind().name());
        out.writeLong(r.meteredTokens());
        out.writeLong(r.billedTokens());
        out.writeLong(r.estimatedNanos());
        out.writeLong(r.effectiveNanos());
        out.writeLong(r.billedNanos());
    }, Reconciliations::read);

    private Reconciliations() {
    }

    private static DayAllocation.Reconciled read(DataInput in) throws IOException {
        return new DayAllocation.Reconciled(in.readUTF(), StateSerde.readNullable(in), StateSerde.readNullable(in), in.readUTF(),
                BillMeterKind.valueOf(in.readUTF()), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong());
    }
}
