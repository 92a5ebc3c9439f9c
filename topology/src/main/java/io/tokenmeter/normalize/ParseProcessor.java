package io.tokenmeter.normalize;

import io.tokenmeter.normalize.NormalizeTopology.Parsed;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.topics.DeadLetters;
import java.time.Clock;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads each raw document into what it holds. A usage event or outcome is stamped with its event time and whether it
 * was on time in its raw partition (see {@link EventTime}: the partition's watermark is the latest event time read
 * from it less the lateness); a rejected document keeps its bytes and gains the dead-letter headers (reason, detail,
 * source coordinates, time). The raw partition's watermark goes on to the stages after it as markers.
 */
final class ParseProcessor extends ContextualProcessor<byte[], byte[], byte[], Parsed> {

    static final String NAME = "normalize-parse";
    private static final String INPUT = "ingest.raw";

    private final Normalizer normalizer;
    private final Clock clock;
    private final PipelineMetrics metrics;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;

    ParseProcessor(Normalizer normalizer, Clock clock, PipelineMetrics metrics, EventTime.Settings eventTimeSettings, int partitions) {
        this.normalizer = normalizer;
        this.clock = clock;
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(NormalizeTopology.STAGE_PARSE, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<byte[], Parsed> context) {
        super.init(context);
        eventTime = EventTime.ofSource(context, NormalizeTopology.STAGE_PARSE, eventTimeSettings);
        context.schedule(eventTimeSettings.interval(), PunctuationType.WALL_CLOCK_TIME, now -> {
            eventTime.checkIdle(now);
            sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now);
        });
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        for (Normalized item : normalizer.normalize(record.value())) {
            Record<byte[], Parsed> out = record.withValue(new Parsed(item, record.value()));
            if (item instanceof Normalized.Usage usage) {
                forward(out, usage.event().getTimestamp().toEpochMilli());
            } else if (item instanceof Normalized.Outcome outcome) {
                forward(out, outcome.outcome().getTimestamp().toEpochMilli());
            } else if (item instanceof Normalized.Apim apim) {
                forward(out, apim.log().time());
            } else if (item instanceof Normalized.OpenAiRequest request) {
                metrics.azureOpenAiRequest(request.deployment(), request.model(), request.statusCode());
            } else if (item instanceof Normalized.Rejected rejected) {
                metrics.deadLetter(rejected.reason());
                context().forward(out.withHeaders(
                        DeadLetters.headers(record.headers(), rejected.reason(), rejected.detail(), "normalize", origin())));
            }
        }
    }

    /** Forwards an item at its event time, stamped on time or late in this raw partition, then any progress. */
    private void forward(Record<byte[], Parsed> out, long time) {
        boolean late = eventTime.direct(INPUT, time, context().currentSystemTimeMs());
        Watermarks.stamp(out.headers(), late);
        context().forward(out.withTimestamp(time));
        sender.onRecord(context(), eventTime.watermark());
    }

    private DeadLetters.Origin origin() {
        RecordMetadata metadata = context().recordMetadata().orElse(null);
        return metadata == null
                ? new DeadLetters.Origin(null, -1, -1, clock.instant())
                : new DeadLetters.Origin(metadata.topic(), metadata.partition(), metadata.offset(), clock.instant());
    }
}
