package io.tokenmeter.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.registry.InMemorySchemaRegistry;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaIT {

    @Test
    void producesAndConsumesOnATemporaryBrokerThatCleansUp() throws Exception {
        Path dataDir;
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start()) {
            dataDir = kafka.dataDir();
            kafka.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("t", 1, (short) 1)));
            send(kafka, "t", "hello");
            assertThat(readAll(kafka, "t", 1)).containsExactly("hello");
        }
        assertThat(Files.exists(dataDir)).isFalse();
    }

    @Test
    void createsTheCatalogTopicsWithTheirSettings() throws Exception {
        TopicCatalog catalog = new TopicCatalog("cat.", new InMemorySchemaRegistry("t"), 2);
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().build().start(); Admin admin = kafka.admin()) {
            kafka.createTopics(catalog.all().stream().map(t -> t.newTopic((short) -1)).toList());
            kafka.createTopics(catalog.all().stream().map(t -> t.newTopic((short) -1)).toList()); // again: a no-op

            Map<String, TopicDescription> topics = admin.describeTopics(catalog.all().stream().map(Topic::name).toList())
                    .allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(topics.get("cat.usage").partitions()).hasSize(2);
            assertThat(topics.get("cat.prices").partitions()).hasSize(1);
            Config prices = admin.describeConfigs(Set.of(new ConfigResource(ConfigResource.Type.TOPIC, "cat.prices")))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            assertThat(prices.get("cleanup.policy").value()).isEqualTo("compact");
            Config usage = admin.describeConfigs(Set.of(new ConfigResource(ConfigResource.Type.TOPIC, "cat.usage")))
                    .all().get(30, TimeUnit.SECONDS).values().iterator().next();
            assertThat(usage.get("retention.ms").value()).isEqualTo(Long.toString(Duration.ofDays(30).toMillis()));
        }
    }

    @Test
    void aGivenDataDirectorySurvivesARestartOnAChosenPort(@TempDir Path dir) throws Exception {
        int port = freePort();
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).port(port).build().start()) {
            assertThat(kafka.bootstrapServers()).endsWith(":" + port);
            kafka.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("kept", 1, (short) 1)));
            send(kafka, "kept", "before restart");
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dir).port(port).build().start()) {
            send(kafka, "kept", "after restart");
            assertThat(readAll(kafka, "kept", 2)).containsExactly("before restart", "after restart");
        }
        assertThat(Files.exists(dir.resolve("kafka-logs"))).isTrue();
    }

    @Test
    void aPortInUseIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThatThrownBy(() -> EmbeddedKafka.builder().port(taken.getLocalPort()).build().start())
                    .hasMessageContaining("port " + taken.getLocalPort())
                    .hasMessageContaining("already in use");
        }
    }

    private static void send(EmbeddedKafka kafka, String topic, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "acks", "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> readAll(EmbeddedKafka kafka, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                "group.id", "reader-" + System.nanoTime(), "auto.offset.reset", "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 30_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
