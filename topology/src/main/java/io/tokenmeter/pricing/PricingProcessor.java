package io.tokenmeter.pricing;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Prices each call with the entry in force at its event time. The price index is rebuilt from the global store only
 * when the store changed, so the per-call cost is a map lookup and a scan of that model's few entries.
 *
 * <p>The first processor of the usage stage: it takes normalize's markers into the task's event time, and counts calls
 * that applications wrote to {@code usage} themselves as a direct input of it ({@link EventTime}).
 */
final class PricingProcessor extends ContextualProcessor<String, UsageEvent, String, PricedUsage> {

    private static final String DEFAULT_CURRENCY = "USD";

    private final AtomicLong pricesVersion;
    private final BillingPolicy billing;
    private final PipelineMetrics metrics;
    private final String stage;
    private final EventTime.Settings eventTimeSettings;
    private EventTime eventTime;
    private KeyValueStore<String, PriceEntry> prices;
    private long indexedVersion = -1;
    private PriceBook book;

    PricingProcessor(AtomicLong pricesVersion, BillingPolicy billing, PipelineMetrics metrics, String stage, EventTime.Settings eventTimeSettings) {
        this.pricesVersion = pricesVersion;
        this.billing = billing;
        this.metrics = metrics;
        this.stage = stage;
        this.eventTimeSettings = eventTimeSettings;
    }

    @Override
    public void init(ProcessorContext<String, PricedUsage> context) {
        super.init(context);
        prices = context.getStateStore(PricingTopology.PRICES_STORE);
        eventTime = EventTime.of(context, stage, eventTimeSettings);
        context.schedule(eventTimeSettings.interval(), PunctuationType.WALL_CLOCK_TIME, eventTime::checkIdle);
    }

    @Override
    public void process(Record<String, UsageEvent> record) {
        if (eventTime.absorb(record)) {
            return;
        }
        UsageEvent usage = record.value();
        if (usage == null) {
            return; // a tombstone on usage is no call
        }
        if (!Watermarks.fromStage(record.headers())) {
            long time = usage.getTimestamp().toEpochMilli();
            Watermarks.stamp(record.headers(), eventTime.direct("usage", time, context().currentSystemTimeMs()));
        }
        Optional<PriceEntry> price = book().match(usage.getModel(), usage.getModelVersion(), usage.getDeploymentType(), usage.getRegion(),
                usage.getTimestamp());
        boolean billed = billing.billed(usage.getStatusCode());
        CostCalculator.Cost cost = price.isPresent() && billed ? CostCalculator.cost(usage, price.get()) : CostCalculator.Cost.ZERO;
        PricedUsage priced = PricedUsage.newBuilder()
                .setUsage(usage)
                .setPriced(price.isPresent())
                .setBilled(billed)
                .setCurrency(price.map(PriceEntry::getCurrency).orElse(DEFAULT_CURRENCY))
                .setCostNanos(cost.total())
                .setInputCostNanos(cost.input())
                .setCachedInputCostNanos(cost.cachedInput())
                .setOutputCostNanos(cost.output())
                .setReasoningCostNanos(cost.reasoning())
                .setPrice(price.orElse(null))
                .build();
        metrics.priced(priced);
        context().forward(record.withValue(priced));
    }

    private PriceBook book() {
        long version = pricesVersion.get();
        if (version != indexedVersion || book == null) {
            indexedVersion = version;
            List<PriceEntry> entries = new ArrayList<>();
            try (KeyValueIterator<String, PriceEntry> all = prices.all()) {
                while (all.hasNext()) {
                    KeyValue<String, PriceEntry> next = all.next();
                    if (next.value != null) {
                        entries.add(next.value);
                    }
                }
            }
            book = PriceBook.of(entries);
        }
        return book;
    }
}
