package io.tokenmeter.bills;

import java.util.Objects;

/** Which export run a run is: its export, billing period and run id, as its records on billing.costs name it. */
public record RunKey(String export, String billingPeriod, String runId) {

    public RunKey {
        Objects.requireNonNull(export);
        Objects.requireNonNull(billingPeriod);
        Objects.requireNonNull(runId);
    }

    @Override
    public String toString() {
        return export + " " + billingPeriod + " run " + runId;
    }
}
