package io.tokenmeter.anomaly;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends the (rare) unpriced calls on to the unpriced-model detector, keyed by model, deployment type and region, and
 * the usage task's watermark after them. Calls that were late where they entered are left out: their day may be over.
 */
final class UnpricedCalls extends ContextualProcessor<String, PricedUsage, String, CallSignal> {

    static final String NAME = "anomaly-unpriced-calls";
    private final String stage;
    private final EventTime.Settings settings;
    private final EventTime.Sender sender;
    private final PipelineMetrics metrics;
    private EventTime eventTime;

    UnpricedCalls(String stage, EventTime.Settings settings, int partitions, PipelineMetrics metrics) {
        this.stage = stage;
        this.settings = settings;
        this.sender = new EventTime.Sender(stage, NAME, partitions);
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, CallSignal> context) {
        super.init(context);
        eventTime = EventTime.of(context, stage, settings);
        context.schedule(settings.interval(), PunctuationType.WALL_CLOCK_TIME,
                now -> sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now));
    }

    @Override
    public void process(Record<String, PricedUsage> record) {
        PricedUsage priced = record.value();
        if (!priced.getPriced()) {
            if (Watermarks.isLate(record.headers())) {
                metrics.behindWatermark("anomaly-unpriced-model");
            } else {
                context().forward(record.withKey(modelKey(priced)).withValue(CallSignal.of(priced)));
            }
        }
        sender.onRecord(context(), eventTime.watermark());
    }

    private static String modelKey(PricedUsage priced) {
        return priced.getUsage().getModel() + '|' + priced.getUsage().getDeploymentType() + '|' + priced.getUsage().getRegion();
    }
}
