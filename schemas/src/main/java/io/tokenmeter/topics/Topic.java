package io.tokenmeter.topics;

import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the catalog: its full name (prefix included), its catalog name, the serdes of its key and value and
 * how it is created. Everything that touches a topic goes through one of these.
 */
public record Topic<K, V>(String name, String catalogName, Serde<K> keySerde, Serde<V> valueSerde, Format format, TopicSettings settings) {

    /** What the value bytes hold, so tools can refuse to write JSON into an Avro topic. */
    public enum Format {
        /** JSON documents kept as received. */
        JSON,
        /** Confluent wire-format Avro. */
        AVRO,
        /** Whatever the original topic held (dead letters). */
        AS_RECEIVED
    }

    /** The topic to create, with replication factor {@code replication} (-1: the broker's default). */
    public NewTopic newTopic(short replication) {
        return new NewTopic(name, Optional.of(settings.partitions()), replication < 0 ? Optional.empty() : Optional.of(replication))
                .configs(settings.configs());
    }
}
