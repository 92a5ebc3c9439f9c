package io.tokenmeter.service;

import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.DeadLetters;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last safety net: a record that cannot be deserialized, or whose processing throws, goes to the dead-letter
 * topic with its original bytes, the reason and its source coordinates, and the pipeline keeps running.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {

    /** Streams config key naming the dead-letter topic (set by {@link StreamsDefaults}). */
    public static final String DLQ_TOPIC_CONFIG = "tokenmeter.dlq.topic";
    /** Streams config key holding the {@link PipelineMetrics} instance that counts dead letters (optional). */
    public static final String METRICS_CONFIG = "tokenmeter.metrics";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);

    private String dlqTopic;
    private PipelineMetrics metrics;
    private final Clock clock = Clock.systemUTC();

    @Override
    public void configure(Map<String, ?> configs) {
        Object topic = configs.get(DLQ_TOPIC_CONFIG);
        if (topic == null) {
            throw new IllegalArgumentException(DLQ_TOPIC_CONFIG + " must name the dead-letter topic");
        }
        dlqTopic = topic.toString();
        metrics = configs.get(METRICS_CONFIG) instanceof PipelineMetrics m ? m : null;
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        LOG.warn("dead letter: cannot deserialize {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), exception.getMessage());
        return DeserializationExceptionHandler.Response.resume(List.of(
                deadLetter(record.key(), record.value(), record.headers(), DeadLetters.DESERIALIZATION, exception, context)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        LOG.warn("dead letter: processing failed in {} for {}-{}@{}: {}", context.processorNodeId(), context.topic(), context.partition(),
                context.offset(), exception.toString());
        return ProcessingExceptionHandler.Response.resume(List.of(
                deadLetter(context.sourceRawKey(), context.sourceRawValue(), context.headers(), DeadLetters.PROCESSING, exception, context)));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(byte[] key, byte[] value, Headers original, String reason, Exception exception,
                                                      ErrorHandlerContext context) {
        if (metrics != null) {
            metrics.deadLetter(reason);
        }
        Headers headers = DeadLetters.headers(original, reason, exception.getClass().getSimpleName() + ": " + exception.getMessage(),
                context.processorNodeId(), new DeadLetters.Origin(context.topic(), context.partition(), context.offset(), clock.instant()));
        return new ProducerRecord<>(dlqTopic, null, key, value, headers);
    }
}
