package io.tokenmeter.billing;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.streams.StateSerde;

/** State serdes of the allocation's Avro values: plain binary of this build's schema, no registry involved. */
final class AllocatedSerde {

    static final StateSerde<AllocatedCost> SERDE = new StateSerde<>(1, (c, out) -> StateSerde.writeRecord(out, c, AllocatedCost.class),
            in -> StateSerde.readRecord(in, AllocatedCost.class));
    static final StateSerde<Alert> ALERT_SERDE = new StateSerde<>(1, (a, out) -> StateSerde.writeAlert(out, a), StateSerde::readAlert);

    private AllocatedSerde() {
    }
}
