package io.tokenmeter.topics;

import io.tokenmeter.event.BillingCost;

/**
 * An export run of one export and billing period on billing.costs, as its end record names it. Of the runs whose lines
 * all arrived, the newest (by {@code runSubmittedTime}, then run id) is the period's bill: one rule for the topology
 * that allocates the bill and for every reader of billing.costs.
 */
public record BillingRun(String runId, long submittedTime, int lines) {

    /** The run an end record (line null, index = the run's line count) closes. */
    public static BillingRun ofEnd(BillingCost end) {
        if (end.getLine() != null) {
            throw new IllegalArgumentException("not the end of a run: line " + end.getIndex() + " of run " + end.getRunId());
        }
        return new BillingRun(end.getRunId(), end.getRunSubmittedTime().toEpochMilli(), end.getIndex());
    }

    /** Whether this run replaces {@code other} (null: no run in force) as the period's bill. */
    public boolean newerThan(BillingRun other) {
        return other == null || submittedTime > other.submittedTime || (submittedTime == other.submittedTime && runId.compareTo(other.runId) > 0);
    }

    /** Whether {@code arrived} distinct lines make the run whole; an end record before its lines leaves it out. */
    public boolean completeWith(long arrived) {
        return arrived == lines;
    }
}
