package io.tokenmeter.normalize;

import io.tokenmeter.normalize.NormalizeTopology.Parsed;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.DeadLetters;
import java.time.Clock;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads each raw document into what it holds. A usage event or outcome is stamped with its event time; a rejected
 * document keeps its bytes and gains the dead-letter headers (reason, detail, source coordinates, time).
 */
final class ParseProcessor extends ContextualProcessor<byte[], byte[], byte[], Parsed> {

    private final Normalizer normalizer;
    private final Clock clock;
    private final PipelineMetrics metrics;

    ParseProcessor(Normalizer normalizer, Clock clock, PipelineMetrics metrics) {
        this.normalizer = normalizer;
        this.clock = clock;
        this.metrics = metrics;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        for (Normalized item : normalizer.normalize(record.value())) {
            Record<byte[], Parsed> out = record.withValue(new Parsed(item, record.value()));
            if (item instanceof Normalized.Usage usage) {
                context().forward(out.withTimestamp(usage.event().getTimestamp().toEpochMilli()));
            } else if (item instanceof Normalized.Outcome outcome) {
                context().forward(out.withTimestamp(outcome.outcome().getTimestamp().toEpochMilli()));
            } else if (item instanceof Normalized.Apim apim) {
                context().forward(out.withTimestamp(apim.log().time()));
            } else if (item instanceof Normalized.OpenAiRequest request) {
                metrics.azureOpenAiRequest(request.deployment(), request.model(), request.statusCode());
            } else if (item instanceof Normalized.Rejected rejected) {
                metrics.deadLetter(rejected.reason());
                context().forward(out.withHeaders(
                        DeadLetters.headers(record.headers(), rejected.reason(), rejected.detail(), "normalize", origin())));
            }
        }
    }

    private DeadLetters.Origin origin() {
        RecordMetadata metadata = context().recordMetadata().orElse(null);
        return metadata == null
                ? new DeadLetters.Origin(null, -1, -1, clock.instant())
                : new DeadLetters.Origin(metadata.topic(), metadata.partition(), metadata.offset(), clock.instant());
    }
}
