package io.tokenmeter.billing;

import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.topics.BillingKeys;
import io.tokenmeter.topics.BillingRun;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the bill of each export and billing period (the key of {@code billing.costs}) equal to its newest complete
 * export run. A run's lines are staged as they arrive; its end record makes them the period's bill if the run is newer
 * (by {@code runSubmittedTime}, then run id) than the one in force: the older run's lines leave the bill, the new
 * run's enter it, each sent on to the allocation of its UTC day. A re-export therefore replaces and never adds, loading
 * the same run again changes nothing, and an older run loaded late is dropped.
 */
final class BillRuns extends ContextualProcessor<String, BillingCost, String, DaySignal> {

    static final String NAME = "billing-runs";
    static final String LINES_STORE = "billing-run-lines-store";
    static final String RUNS_STORE = "billing-runs-store";
    private static final char SEPARATOR = '\u001F';

    /** The run in force for a period; which run that is, {@link BillingRun#newerThan} decides. */
    static final StateSerde<BillingRun> RUN_SERDE = new StateSerde<>(1, (r, out) -> {
        out.writeUTF(r.runId());
        out.writeLong(r.submittedTime());
        out.writeInt(r.lines());
    }, BillRuns::readRun);

    private static BillingRun readRun(DataInput in) throws IOException {
        return new BillingRun(in.readUTF(), in.readLong(), in.readInt());
    }

    static final StateSerde<BillLine> LINE_SERDE = new StateSerde<>(1, (l, out) -> StateSerde.writeRecord(out, l, BillLine.class),
            in -> StateSerde.readRecord(in, BillLine.class));

    private final PipelineMetrics metrics;
    private KeyValueStore<String, BillLine> lines;
    private KeyValueStore<String, BillingRun> runs;

    BillRuns(PipelineMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, DaySignal> context) {
        super.init(context);
        lines = context.getStateStore(LINES_STORE);
        runs = context.getStateStore(RUNS_STORE);
    }

    @Override
    public void process(Record<String, BillingCost> record) {
        BillingCost cost = record.value();
        String period = check(record.key(), cost);
        BillingRun run = new BillingRun(cost.getRunId(), cost.getRunSubmittedTime().toEpochMilli(), cost.getIndex());
        BillingRun active = runs.get(period);
        String runPrefix = period + SEPARATOR + cost.getRunId() + SEPARATOR;
        if (cost.getLine() != null) {
            if (active == null || !active.newerThan(run)) {
                lines.put(runPrefix + String.format("%010d", cost.getIndex()), cost.getLine());
            } else {
                metrics.billing("run-superseded");
            }
            return;
        }
        List<KeyValue<String, BillLine>> staged = scan(runPrefix);
        if (active != null && active.runId().equals(run.runId())) {
            return; // the run in force, loaded again
        }
        if (active != null && active.newerThan(run)) {
            staged.forEach(kv -> lines.delete(kv.key)); // an older run, loaded after a newer one: never the bill
            metrics.billing("run-superseded");
            return;
        }
        if (!run.completeWith(staged.size())) {
            throw new IllegalArgumentException("export run " + run.runId() + " of " + cost.getExport() + " " + cost.getBillingPeriod() + " ended with "
                    + run.lines() + " lines but " + staged.size() + " arrived: the run is not loaded, load it again");
        }
        if (active != null) {
            for (KeyValue<String, BillLine> old : scan(period + SEPARATOR + active.runId() + SEPARATOR)) {
                send(cost, active.runId(), old.key, old.value, true);
                lines.delete(old.key);
            }
        }
        for (KeyValue<String, BillLine> line : staged) {
            send(cost, run.runId(), line.key, line.value, false);
        }
        runs.put(period, run);
        metrics.billing("run-activated");
    }

    private void send(BillingCost cost, String runId, String storeKey, BillLine line, boolean leaving) {
        int index = Integer.parseInt(storeKey.substring(storeKey.lastIndexOf(SEPARATOR) + 1));
        String lineId = BillingKeys.lineId(cost.getExport(), cost.getBillingPeriod(), runId, index);
        String day = Days.of(line.getChargePeriodStart());
        context().forward(new Record<>(day, new DaySignal.Line(lineId, leaving ? null : line), Days.start(day)));
    }

    private List<KeyValue<String, BillLine>> scan(String prefix) {
        List<KeyValue<String, BillLine>> found = new ArrayList<>();
        try (KeyValueIterator<String, BillLine> it = lines.prefixScan(prefix, new org.apache.kafka.common.serialization.StringSerializer())) {
            it.forEachRemaining(found::add);
        }
        return found;
    }

    /** The period key of a record, checked against its value; a record that is not usable throws and goes to the dead-letter topic. */
    private static String check(String key, BillingCost cost) {
        if (cost == null) {
            throw new IllegalArgumentException("a billing.costs record needs a value (export runs are replaced by newer runs, not deleted)");
        }
        String period = cost.getExport() + SEPARATOR + cost.getBillingPeriod();
        if (key == null || !key.equals(BillingKeys.period(cost.getExport(), cost.getBillingPeriod()))) {
            throw new IllegalArgumentException("billing.costs key '" + key + "' is not the record's export and period '"
                    + BillingKeys.period(cost.getExport(), cost.getBillingPeriod()) + "'");
        }
        if (cost.getIndex() < 0 || cost.getRunId().isBlank()) {
            throw new IllegalArgumentException("billing.costs record of " + key + " has no run id or a negative index " + cost.getIndex());
        }
        if (cost.getRunId().indexOf(SEPARATOR) >= 0 || cost.getExport().indexOf(SEPARATOR) >= 0) {
            throw new IllegalArgumentException("billing.costs record of " + key + " has a control character in its export or run id");
        }
        return period;
    }
}
