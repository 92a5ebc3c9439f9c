package io.tokenmeter.streams;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Progress markers: how event time travels through every topic that one stage of the pipeline writes and another reads.
 *
 * <p>A stage (all the stream tasks of one sub-topology) tells every partition of each topic it writes how far its own
 * event time has come: a marker record, keyed {@code \0wm␟stage␟partition␟count␟idle␟watermark}, with a null value
 * (the watermark is in the key, not only in the timestamp, which a topic with LogAppendTime replaces). The reading side takes the minimum over every partition of every stage it reads (see
 * {@link EventTime}). Markers go to all partitions of a topic (KIP-837 multicast), through a relay node beside the
 * stage's processor, so the stage's data path never sees them; the first processor of the reading stage takes them
 * out. Records a stage writes carry the {@link #HEADER} header ({@code on-time} or {@code late}), so a reader can tell
 * them from records that producers outside tokenmeter wrote to the same topic, which have no watermark behind them.
 */
public final class Watermarks {

    /** Header on every record a stage writes: whether it was on time or late where it entered tokenmeter. */
    public static final String HEADER = "tokenmeter.event-time";
    static final byte[] ON_TIME = "on-time".getBytes(StandardCharsets.UTF_8);
    static final byte[] LATE = "late".getBytes(StandardCharsets.UTF_8);
    private static final String PREFIX = "\u0000wm\u001F";
    private static final String SEPARATOR = "\u001F";

    private Watermarks() {
    }

    /** One stage partition's progress, as a marker says it. */
    public record Marker(String stage, int partition, int count, boolean idle, long watermark) {

        public String key() {
            return PREFIX + stage + SEPARATOR + partition + SEPARATOR + count + SEPARATOR + (idle ? 1 : 0) + SEPARATOR + watermark;
        }
    }

    /** The record a marker travels as: its key, no value, the watermark also as timestamp. */
    public static <V> Record<String, V> record(Marker marker) {
        return new Record<>(marker.key(), null, marker.watermark());
    }

    /** True for the key of a marker; data keys never start with NUL. */
    public static boolean isMarker(Object key) {
        return key instanceof String s && s.startsWith(PREFIX);
    }

    /** True for the serialized key of a marker, for plain consumers of the topics that carry markers. */
    public static boolean isMarkerKey(byte[] key) {
        return key != null && key.length > PREFIX.length() && key[0] == 0 && new String(key, StandardCharsets.UTF_8).startsWith(PREFIX);
    }

    /** The marker a record is, or null for data. */
    public static Marker marker(Record<?, ?> record) {
        if (!isMarker(record.key())) {
            return null;
        }
        String[] parts = ((String) record.key()).substring(PREFIX.length()).split(SEPARATOR);
        return new Marker(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]), "1".equals(parts[3]), Long.parseLong(parts[4]));
    }

    /** Marks a record as one a stage wrote, on time or late where it entered. */
    public static Headers stamp(Headers headers, boolean late) {
        headers.remove(HEADER);
        headers.add(HEADER, late ? LATE : ON_TIME);
        return headers;
    }

    /** Whether a record came through a stage (it has a watermark behind it), rather than straight from a producer. */
    public static boolean fromStage(Headers headers) {
        return headers.lastHeader(HEADER) != null;
    }

    /** Whether a record was late where it entered tokenmeter (behind the watermark of its own input partition). */
    public static boolean isLate(Headers headers) {
        Header h = headers.lastHeader(HEADER);
        return h != null && java.util.Arrays.equals(h.value(), LATE);
    }

    /** The name of the relay node that carries a stage processor's markers to its topics. */
    public static String relayName(String processorName) {
        return processorName + "-watermarks";
    }

    /**
     * Adds, beside {@code processorName}, the relay that writes its markers to every partition of each of {@code topics}
     * (full topic names; for a repartition topic, {@link #repartitionTopic}).
     */
    public static void connect(Topology topology, String processorName, String... topics) {
        String relay = relayName(processorName);
        topology.addProcessor(relay, Relay::new, processorName);
        Serializer<String> keys = Serdes.String().serializer();
        Serializer<Object> nothing = (topic, value) -> null;
        for (String topic : topics) {
            topology.addSink(relay + "-to-" + topic, topic, keys, nothing, everyPartition(), relay);
        }
    }

    /** The full name Kafka Streams gives the repartition topic named {@code name}. */
    public static String repartitionTopic(String applicationId, String name) {
        return applicationId + "-" + name + "-repartition";
    }

    /** Sends markers to all partitions; any other record that reaches a marker sink is dropped. */
    static <V> StreamPartitioner<String, V> everyPartition() {
        return (topic, key, value, numPartitions) -> Optional.of(isMarker(key) ? all(numPartitions) : Set.of());
    }

    private static Set<Integer> all(int partitions) {
        return IntStream.range(0, partitions).boxed().collect(Collectors.toCollection(HashSet::new));
    }

    /** Passes markers on to the sinks beside it; data records that reach it (its parent forwards them to all children) stop here. */
    static final class Relay extends ContextualProcessor<Object, Object, Object, Object> {
        @Override
        public void process(Record<Object, Object> record) {
            if (isMarker(record.key())) {
                context().forward(record);
            }
        }
    }
}
