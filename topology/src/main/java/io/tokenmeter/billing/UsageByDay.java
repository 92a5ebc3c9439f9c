package io.tokenmeter.billing;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.FlushedPartials;
import java.time.Duration;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Adds up each call's measured use per UTC day, account, model, deployment type and scope, and sends the sums on,
 * keyed by day, on a short wall-clock flush: the allocation behind the repartition sees a few records per key and
 * flush instead of one per call. The store and the forwarded sums change in one transaction, so a crash neither loses
 * nor doubles use. Every call counts, late ones too: lateness never loses money, and the allocation is revised. The
 * watermark follows the sums ({@link FlushedPartials}), so the allocation knows when a day is complete.
 */
final class UsageByDay extends FlushedPartials<PricedUsage, DaySignal> {

    static final String NAME = "billing-usage-partials";
    static final String STORE = "billing-usage-partials-store";

    UsageByDay(Duration flush, String stage, EventTime.Settings eventTimeSettings, int partitions) {
        super(STORE, flush, stage, eventTimeSettings, NAME, partitions);
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        PricedUsage priced = record.value();
        UseKey key = UseKey.of(priced.getUsage());
        String storeKey = Days.of(priced.getUsage().getTimestamp()) + UseKey.SEPARATOR + key.encode();
        Use use = Use.of(priced);
        DaySignal pending = partials().get(storeKey);
        partials().put(storeKey, new DaySignal.Used(key, pending == null ? use : ((DaySignal.Used) pending).use().plus(use)));
    }

    @Override
    protected String outputKey(String storeKey, DaySignal sum) {
        return storeKey.substring(0, storeKey.indexOf(UseKey.SEPARATOR));
    }

    @Override
    protected long timestamp(String storeKey, DaySignal sum) {
        return Days.start(outputKey(storeKey, sum));
    }
}
