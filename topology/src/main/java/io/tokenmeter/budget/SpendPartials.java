package io.tokenmeter.budget;

import io.tokenmeter.event.BudgetScopeType;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.FlushedPartials;
import io.tokenmeter.topics.BudgetScope;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Adds up the cost of each priced call into every scope a budget can limit (its tenant, cost center, application and
 * agent), per currency and 15-minute bucket, and sends the sums on, keyed by scope, on a short wall-clock flush. The
 * budget processor behind the repartition then sees a few records per scope and flush instead of four per call.
 * The store and the forwarded sums change in one transaction, so a crash neither loses nor doubles spend.
 *
 * <p>Every scope is tracked whether or not it has a budget yet, so a budget set in the middle of a month starts from
 * the month's spend so far. Fifteen minutes is the finest offset of any time zone, so every calendar period of every
 * zone starts on a bucket boundary. On each flush the task's watermark follows the sums to every partition of the
 * budget processor ({@link EventTime}), so a boundary the watermark has passed has all its on-time spend there.
 */
final class SpendPartials extends FlushedPartials<PricedUsage, BudgetSignal> {

    static final String STORE = "budget-spend-partials-store";
    static final long BUCKET = Duration.ofMinutes(15).toMillis();
    private static final char SEPARATOR = '\u001F';

    static final String NAME = "budget-spend-partials";

    SpendPartials(Duration flush, String stage, EventTime.Settings eventTimeSettings, int partitions) {
        super(STORE, flush, stage, eventTimeSettings, NAME, partitions);
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        PricedUsage priced = record.value();
        if (!priced.getPriced() || priced.getCostNanos() == 0) {
            return; // no known cost to count: unpriced calls are the UNPRICED_MODEL detector's, free ones cost nothing
        }
        UsageEvent usage = priced.getUsage();
        long time = usage.getTimestamp().toEpochMilli();
        BudgetSignal.Spend spend = new BudgetSignal.Spend(priced.getCurrency(), Math.floorDiv(time, BUCKET) * BUCKET, priced.getCostNanos(), 1, time);
        add(BudgetScopeType.TENANT, usage.getTenant(), spend);
        add(BudgetScopeType.COST_CENTER, usage.getCostCenter(), spend);
        add(BudgetScopeType.APPLICATION, usage.getApplication(), spend);
        add(BudgetScopeType.AGENT, usage.getAgent(), spend);
    }

    private void add(BudgetScopeType type, String value, BudgetSignal.Spend spend) {
        if (value == null || value.isBlank()) {
            return; // normalize fills in 'unattributed'; a blank value has no scope a budget could name
        }
        String key = new BudgetScope(type, value).key() + SEPARATOR + spend.currency() + SEPARATOR + spend.bucket();
        BudgetSignal pending = partials().get(key);
        partials().put(key, pending == null ? spend : ((BudgetSignal.Spend) pending).plus(spend));
    }

    @Override
    protected String outputKey(String storeKey, BudgetSignal sum) {
        return storeKey.substring(0, storeKey.indexOf(SEPARATOR));
    }

    @Override
    protected long timestamp(String storeKey, BudgetSignal sum) {
        return ((BudgetSignal.Spend) sum).latest();
    }
}
