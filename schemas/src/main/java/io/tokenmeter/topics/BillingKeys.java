package io.tokenmeter.topics;

/** Keys of the billing topics, one place for the loaders and the topology. */
public final class BillingKeys {

    private BillingKeys() {
    }

    /** The key of every billing.costs record of one export's billing period: all its runs go to one partition, in order. */
    public static String period(String export, String billingPeriod) {
        return export + '|' + billingPeriod;
    }

    /** How a bill line is named in the allocation (cost.allocated keys start with it) and the API: {@code export/period/run#index}. */
    public static String lineId(String export, String billingPeriod, String runId, int index) {
        return export + '/' + billingPeriod + '/' + runId + '#' + index;
    }
}
