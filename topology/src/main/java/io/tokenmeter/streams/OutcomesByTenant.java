package io.tokenmeter.streams;

import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.topics.TopicCatalog;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Task outcomes re-keyed by tenant, so they meet the priced usage of their task (keyed by tenant) in the same
 * stream task. Built once; every capability that follows tasks reads this stream.
 */
public final class OutcomesByTenant {

    public static final String REPARTITION = "outcomes-by-tenant";

    private OutcomesByTenant() {
    }

    public static KStream<String, TaskOutcome> build(StreamsBuilder builder, TopicCatalog topics, int partitions) {
        return builder.stream(topics.taskOutcomes().name(), Consumed.with(topics.taskOutcomes().keySerde(), topics.taskOutcomes().valueSerde())
                        .withName("outcomes-source"))
                .selectKey((taskId, outcome) -> outcome.getTenant(), Named.as("outcomes-key-by-tenant"))
                .repartition(Repartitioned.with(Serdes.String(), topics.taskOutcomes().valueSerde())
                        .withName(REPARTITION).withNumberOfPartitions(partitions));
    }
}
