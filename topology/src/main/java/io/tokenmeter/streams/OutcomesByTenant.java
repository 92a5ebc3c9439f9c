package io.tokenmeter.streams;

import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.topics.TopicCatalog;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Task outcomes re-keyed by tenant, so they meet the priced usage of their task (keyed by tenant) in the same
 * stream task. Built once; every capability that follows tasks reads this stream. Outcomes that applications write
 * to {@code task-outcomes} themselves are a direct input of the outcomes stage's event time; those normalize wrote
 * come with normalize's watermark.
 */
public final class OutcomesByTenant {

    public static final String REPARTITION = "outcomes-by-tenant";
    public static final String STAGE = "outcomes";
    static final String KEY_BY_TENANT = "outcomes-key-by-tenant";
    static final String EVENT_TIME = "outcomes-event-time";

    private OutcomesByTenant() {
    }

    /**
     * The outcomes keyed by tenant, in the stream tasks of {@code downstreamStage} (whose event-time stores must be
     * in the builder): their markers are taken in there, so the stream carries outcomes only.
     */
    public static KStream<String, TaskOutcome> build(StreamsBuilder builder, TopicCatalog topics, int partitions, EventTime.Settings settings,
                                                     int outcomePartitions, String downstreamStage) {
        EventTime.addStores(builder, STAGE);
        return builder.stream(topics.taskOutcomes().name(), Consumed.with(topics.taskOutcomes().keySerde(), topics.taskOutcomes().valueSerde())
                        .withName("outcomes-source"))
                .process(() -> new KeyByTenant(settings, outcomePartitions), Named.as(KEY_BY_TENANT), EventTime.stores(STAGE))
                .repartition(Repartitioned.with(Serdes.String(), topics.taskOutcomes().valueSerde())
                        .withName(REPARTITION).withNumberOfPartitions(partitions))
                .process(() -> new TakeMarkers<TaskOutcome>(downstreamStage, settings), Named.as(EVENT_TIME), EventTime.stores(downstreamStage));
    }

    /** Adds the marker relay of the outcomes stage, once the topology is built. */
    public static void connectWatermarks(Topology topology, String applicationId) {
        Watermarks.connect(topology, KEY_BY_TENANT, Watermarks.repartitionTopic(applicationId, REPARTITION));
    }

    private static final class KeyByTenant extends ContextualProcessor<String, TaskOutcome, String, TaskOutcome> {
        private final EventTime.Settings settings;
        private final EventTime.Sender sender;
        private EventTime eventTime;

        KeyByTenant(EventTime.Settings settings, int partitions) {
            this.settings = settings;
            this.sender = new EventTime.Sender(STAGE, KEY_BY_TENANT, partitions);
        }

        @Override
        public void init(ProcessorContext<String, TaskOutcome> context) {
            super.init(context);
            eventTime = EventTime.of(context, STAGE, settings);
            context.schedule(settings.interval(), PunctuationType.WALL_CLOCK_TIME, now -> {
                eventTime.checkIdle(now);
                sender.onPunctuate(context, eventTime.watermark(), eventTime.idle(), now);
            });
        }

        @Override
        public void process(Record<String, TaskOutcome> record) {
            if (!eventTime.absorb(record)) {
                if (record.value() == null) {
                    return; // a tombstone on task-outcomes means nothing to a task
                }
                Record<String, TaskOutcome> out = record.withKey(record.value().getTenant());
                if (!Watermarks.fromStage(record.headers())) {
                    long time = record.value().getTimestamp().toEpochMilli();
                    Watermarks.stamp(out.headers(), eventTime.direct("task-outcomes", time, context().currentSystemTimeMs()));
                    out = out.withTimestamp(time);
                }
                context().forward(out);
            }
            sender.onRecord(context(), eventTime.watermark());
        }
    }

    /** Takes the markers out of a stream that has just been read from a topic, into the task's event time. */
    public static final class TakeMarkers<V> extends ContextualProcessor<String, V, String, V> {
        private final String stage;
        private final EventTime.Settings settings;
        private EventTime eventTime;

        public TakeMarkers(String stage, EventTime.Settings settings) {
            this.stage = stage;
            this.settings = settings;
        }

        @Override
        public void init(ProcessorContext<String, V> context) {
            super.init(context);
            eventTime = EventTime.of(context, stage, settings);
        }

        @Override
        public void process(Record<String, V> record) {
            if (!eventTime.absorb(record)) {
                context().forward(record);
            }
        }
    }
}
