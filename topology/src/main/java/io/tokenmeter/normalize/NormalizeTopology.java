package io.tokenmeter.normalize;

import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.serde.FramedBytesSerde;
import io.tokenmeter.streams.DueIndex;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import io.tokenmeter.topics.DeadLetters;
import io.tokenmeter.topics.TopicCatalog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * ingest.raw → usage, task-outcomes and dlq. Each raw document is recognised and read; usage events are
 * repartitioned by tenant (the key also carries the eventId) so every copy of one event meets the same deduplication
 * store and one tenant's events keep their order, events whose eventId was seen within the horizon are dropped, and
 * the rest go to usage keyed by tenant, in the partition the tenant's key selects. Rejected documents go to the dead-letter topic unchanged,
 * with headers naming the reason and the source topic, partition and offset.
 */
public final class NormalizeTopology {

    public static final String DEDUP_STORE = "normalize-dedup-ids-by-period-store";
    public static final String USAGE_REPARTITION = "normalize-usage-by-event";
    public static final String APIM_REPARTITION = "normalize-apim-by-correlation";
    /** The stages of normalize, as their event time is named in markers and stores. */
    public static final String STAGE_PARSE = "normalize";
    public static final String STAGE_APIM_JOIN = "normalize-apim";
    public static final String STAGE_DEDUP = "normalize-dedup";

    /** What the normalize step can be tuned with; {@code partitions} is the raw topic's partition count. */
    public record Settings(Duration dedupHorizon, Duration apimJoinWindow, DeploymentMap deployments, Attribution attribution,
                           EventTime.Settings eventTime, int partitions) {
    }

    private NormalizeTopology() {
    }

    /** One parsed item together with the bytes it came from, which a dead letter keeps. */
    record Parsed(Normalized item, byte[] raw) {
    }

    public static void build(StreamsBuilder builder, TopicCatalog topics, Settings settings, Clock clock, PipelineMetrics metrics) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEDUP_STORE), Serdes.Bytes(), Serdes.Long()));
        for (String stage : new String[] {STAGE_PARSE, STAGE_APIM_JOIN, STAGE_DEDUP}) {
            EventTime.addStores(builder, stage);
        }
        EventTime.Settings eventTime = settings.eventTime();
        int partitions = settings.partitions();

        KStream<byte[], Parsed> parsed = builder
                .stream(topics.ingestRaw().name(), Consumed.with(topics.ingestRaw().keySerde(), topics.ingestRaw().valueSerde())
                        .withName("normalize-source"))
                .process(() -> new ParseProcessor(new Normalizer(settings.deployments(), settings.attribution()), clock, metrics, eventTime,
                        partitions), Named.as(ParseProcessor.NAME), EventTime.stores(STAGE_PARSE));

        Map<String, KStream<byte[], Parsed>> routes = parsed.split(Named.as("normalize-route-"))
                .branch((key, p) -> p.item() instanceof Normalized.Usage, Branched.as("usage"))
                .branch((key, p) -> p.item() instanceof Normalized.Outcome, Branched.as("outcome"))
                .branch((key, p) -> p.item() instanceof Normalized.Apim, Branched.as("apim"))
                .defaultBranch(Branched.as("rejected"));

        // API Management records meet the other records of their call by correlation id, and come back as usage events
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ApimJoinProcessor.STORE), Serdes.String(),
                ApimJoinState.SERDE).withCachingEnabled());
        builder.addStateStore(DueIndex.store(ApimJoinProcessor.DUE_STORE));
        KStream<String, UsageEvent> joined = routes.get("normalize-route-apim")
                .map((key, p) -> {
                    ApimLog log = ((Normalized.Apim) p.item()).log();
                    return KeyValue.pair(log.correlationId(), log);
                }, Named.as("normalize-key-apim-by-correlation"))
                .repartition(Repartitioned.with(Serdes.String(), ApimLog.SERDE).withName(APIM_REPARTITION))
                .process(() -> new ApimJoinProcessor(settings.apimJoinWindow(), settings.deployments(), eventTime, partitions),
                        Named.as(ApimJoinProcessor.NAME), EventTime.stores(STAGE_APIM_JOIN, ApimJoinProcessor.STORE, ApimJoinProcessor.DUE_STORE));

        // each usage event is encoded to Avro once, for the usage topic: the repartition and dedup move those bytes
        Serializer<UsageEvent> usageAvro = topics.usage().valueSerde().serializer();
        FramedBytesSerde framed = new FramedBytesSerde();
        KeyValueMapper<Object, UsageEvent, KeyValue<String, byte[]>> byEvent = (key, event) ->
                KeyValue.pair(DedupProcessor.key(event.getTenant(), event.getEventId()), usageAvro.serialize(topics.usage().name(), event));
        routes.get("normalize-route-usage")
                .map((key, p) -> byEvent.apply(key, ((Normalized.Usage) p.item()).event()), Named.as("normalize-key-usage-by-event"))
                .merge(joined.map(byEvent::apply, Named.as("normalize-key-apim-usage-by-event")), Named.as("normalize-usage-and-apim"))
                .repartition(Repartitioned.with(Serdes.String(), framed).withName(USAGE_REPARTITION)
                        .withStreamPartitioner(DedupProcessor::partitionByTenant))
                .process(() -> new DedupProcessor(settings.dedupHorizon(), metrics, eventTime, partitions), Named.as(DedupProcessor.NAME),
                        EventTime.stores(STAGE_DEDUP, DEDUP_STORE))
                .to(topics.usage().name(), Produced.with(Serdes.String(), framed).withName("normalize-usage-sink"));

        routes.get("normalize-route-outcome")
                .map((key, p) -> {
                    TaskOutcome outcome = ((Normalized.Outcome) p.item()).outcome();
                    return KeyValue.pair(outcome.getTaskId(), outcome);
                }, Named.as("normalize-key-outcome-by-task"))
                .to(topics.taskOutcomes().name(), Produced.with(topics.taskOutcomes().keySerde(), topics.taskOutcomes().valueSerde())
                        .withName("normalize-outcome-sink"));

        routes.get("normalize-route-rejected")
                .mapValues(Parsed::raw, Named.as("normalize-dead-letter-value"))
                .to(topics.dlq().name(), Produced.with(topics.dlq().keySerde(), topics.dlq().valueSerde()).withName("normalize-dlq-sink"));
    }

    /** Adds the marker relays of the normalize stages, once the topology is built. */
    public static void connectWatermarks(Topology topology, TopicCatalog topics, String applicationId) {
        String usageByEvent = Watermarks.repartitionTopic(applicationId, USAGE_REPARTITION);
        Watermarks.connect(topology, ParseProcessor.NAME, Watermarks.repartitionTopic(applicationId, APIM_REPARTITION), usageByEvent,
                topics.taskOutcomes().name());
        Watermarks.connect(topology, ApimJoinProcessor.NAME, usageByEvent);
        Watermarks.connect(topology, DedupProcessor.NAME, topics.usage().name());
    }
}
