package io.tokenmeter.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import io.tokenmeter.embedded.SharedKafka;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Ownership and checkpoints of {@link KafkaCheckpointStore} on the embedded broker. */
@ExtendWith(SharedKafka.class)
class KafkaCheckpointStoreIT {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-05-01T10:00:00Z"), ZoneOffset.UTC);

    private static Map<String, Object> props(SharedKafka.Cluster cluster) {
        return Map.of("bootstrap.servers", cluster.bootstrapServers());
    }

    private static KafkaCheckpointStore store(SharedKafka.Cluster cluster, String topic) {
        KafkaCheckpointStore.ensureTopic(props(cluster), topic, (short) 1);
        return new KafkaCheckpointStore(props(cluster), topic, CLOCK);
    }

    private static PartitionOwnership request(String partition, String owner, String eTag) {
        return new PartitionOwnership().setFullyQualifiedNamespace("ns").setEventHubName("hub").setConsumerGroup("$default")
                .setPartitionId(partition).setOwnerId(owner).setETag(eTag);
    }

    @Test
    void theTopicIsCreatedCompactedWithOnePartition(SharedKafka.Cluster cluster) throws Exception {
        String topic = cluster.uniquePrefix("cp-topic") + "eventhubs-checkpoints";
        KafkaCheckpointStore.ensureTopic(props(cluster), topic, (short) 1);
        KafkaCheckpointStore.ensureTopic(props(cluster), topic, (short) 1); // again: no error
        try (Admin admin = Admin.create(props(cluster))) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertThat(description.partitions()).hasSize(1);
            Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, topic))).all().get().values().iterator().next();
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    @Test
    void ownershipIsClaimedOptimisticallyByETag(SharedKafka.Cluster cluster) {
        String topic = cluster.uniquePrefix("cp-own") + "eventhubs-checkpoints";
        try (KafkaCheckpointStore a = store(cluster, topic); KafkaCheckpointStore b = store(cluster, topic)) {
            List<PartitionOwnership> first = a.claimOwnership(List.of(request("0", "A", null))).collectList().block();
            assertThat(first).singleElement().satisfies(o -> {
                assertThat(o.getOwnerId()).isEqualTo("A");
                assertThat(o.getETag()).isNotBlank();
                assertThat(o.getLastModifiedTime()).isEqualTo(CLOCK.millis());
            });
            // a second create, and an update with a stale eTag, are skipped without an error
            assertThat(b.claimOwnership(List.of(request("0", "B", null))).collectList().block()).isEmpty();
            assertThat(b.claimOwnership(List.of(request("0", "B", "stale"))).collectList().block()).isEmpty();

            PartitionOwnership seenByB = b.listOwnership("ns", "hub", "$default").blockFirst();
            assertThat(seenByB.getOwnerId()).isEqualTo("A");
            PartitionOwnership taken = b.claimOwnership(List.of(request("0", "B", seenByB.getETag()))).blockFirst();
            assertThat(taken.getETag()).isNotEqualTo(seenByB.getETag());
            // A renews with the eTag it had: it lost the partition
            assertThat(a.claimOwnership(List.of(request("0", "A", first.get(0).getETag()))).collectList().block()).isEmpty();
            assertThat(a.listOwnership("ns", "hub", "$default").collectList().block()).extracting(PartitionOwnership::getOwnerId)
                    .containsExactly("B");
            assertThat(a.listOwnership("ns", "other-hub", "$default").collectList().block()).isEmpty();
        }
    }

    @Test
    void aCheckpointInATransactionIsVisibleOnlyOnceCommitted(SharedKafka.Cluster cluster) {
        String topic = cluster.uniquePrefix("cp-tx") + "eventhubs-checkpoints";
        try (KafkaCheckpointStore store = store(cluster, topic)) {
            store.updateCheckpoint(new Checkpoint().setFullyQualifiedNamespace("ns").setEventHubName("hub").setConsumerGroup("$default")
                    .setPartitionId("0").setSequenceNumber(4L).setOffsetString("400")).block();
            Map<String, Object> producerProps = new HashMap<>(props(cluster));
            producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cp-tx-test");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(store.checkpointRecord(new Checkpoint().setFullyQualifiedNamespace("ns").setEventHubName("hub")
                        .setConsumerGroup("$default").setPartitionId("0").setSequenceNumber(9L).setOffsetString("900")));
                producer.flush();
                assertThat(store.listCheckpoints("ns", "hub", "$default").collectList().block())
                        .extracting(Checkpoint::getSequenceNumber).containsExactly(4L);
                producer.commitTransaction();
            }
            Optional<Checkpoint> latest = store.latestCheckpoint("ns", "hub", "$default", "0");
            assertThat(latest).hasValueSatisfying(c -> {
                assertThat(c.getSequenceNumber()).isEqualTo(9L);
                assertThat(c.getOffsetString()).isEqualTo("900");
            });
            assertThat(store.listCheckpoints("ns", "hub", "$default").collectList().block())
                    .extracting(Checkpoint::getSequenceNumber).containsExactly(9L);
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    void aCheckpointWithOnlyTheNumericOffsetKeepsItAndOneWithNeitherIsRefused(SharedKafka.Cluster cluster) {
        String topic = cluster.uniquePrefix("cp-offset") + "eventhubs-checkpoints";
        try (KafkaCheckpointStore store = store(cluster, topic)) {
            // what EventContext#updateCheckpoint produces: sequence number and the deprecated Long offset, no offset string
            store.updateCheckpoint(new Checkpoint().setFullyQualifiedNamespace("ns").setEventHubName("hub").setConsumerGroup("$default")
                    .setPartitionId("1").setSequenceNumber(2L).setOffset(200L)).block();
            assertThat(store.latestCheckpoint("ns", "hub", "$default", "1")).hasValueSatisfying(c -> {
                assertThat(c.getSequenceNumber()).isEqualTo(2L);
                assertThat(c.getOffsetString()).isEqualTo("200");
            });
            assertThatThrownBy(() -> store.updateCheckpoint(new Checkpoint().setFullyQualifiedNamespace("ns").setEventHubName("hub")
                    .setConsumerGroup("$default").setPartitionId("1")).block())
                    .hasMessageContaining("needs a sequence number or an offset");
        }
    }
}
