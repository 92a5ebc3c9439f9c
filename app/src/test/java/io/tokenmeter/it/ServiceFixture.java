package io.tokenmeter.it;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import io.tokenmeter.streams.Watermarks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One tokenmeter service on the shared embedded cluster, with its own topic prefix, application id and state
 * directory so tests stay independent; and helpers that read a topic the way a downstream consumer would.
 */
public final class ServiceFixture implements AutoCloseable {

    public final SharedKafka.Cluster cluster;
    public final TokenmeterConfig config;
    public final TopicCatalog topics;
    public final StreamsService service;
    private final Path stateDir;

    public ServiceFixture(SharedKafka.Cluster cluster, String name, Map<String, String> overrides) {
        this(cluster, overrides, cluster.uniquePrefix(name), Clock.systemUTC());
    }

    /** An instance of the application whose topics carry {@code prefix}: several with the same prefix share the work. */
    public static ServiceFixture instance(SharedKafka.Cluster cluster, String prefix, Map<String, String> overrides) {
        return instance(cluster, prefix, overrides, Clock.systemUTC());
    }

    /** As {@link #instance(SharedKafka.Cluster, String, Map)}, on a clock of the test's choosing: the API's "now". */
    public static ServiceFixture instance(SharedKafka.Cluster cluster, String prefix, Map<String, String> overrides, Clock clock) {
        return new ServiceFixture(cluster, overrides, prefix, clock);
    }

    private ServiceFixture(SharedKafka.Cluster cluster, Map<String, String> overrides, String prefix, Clock clock) {
        this.cluster = cluster;
        try {
            Files.createDirectories(Path.of("target"));
            stateDir = Files.createTempDirectory(Path.of("target"), "it-state-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> values = new HashMap<>();
        values.put(TokenmeterConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers());
        values.put(TokenmeterConfig.SCHEMA_REGISTRY_URL, cluster.registryUrl());
        values.put(TokenmeterConfig.TOPIC_PREFIX, prefix);
        values.put(TokenmeterConfig.APPLICATION_ID, prefix + "app");
        values.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
        values.put(TokenmeterConfig.HTTP_PORT, "0");
        values.put(TokenmeterConfig.TOPIC_REPLICATION, "1");
        values.putAll(overrides);
        config = TokenmeterConfig.of(values);
        topics = new TopicCatalog(prefix, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS), config.topicPartitions());
        service = new StreamsService(config, topics, clock);
    }

    /** Sends JSON documents to ingest.raw and waits for the broker to acknowledge them. */
    public void sendRaw(List<String> documents) {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String document : documents) {
                producer.send(new ProducerRecord<>(topics.ingestRaw().name(), document.getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
    }

    /** GET on this instance's HTTP API. */
    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + service.httpPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    public ServiceFixture start() throws InterruptedException {
        service.start();
        if (!service.awaitRunning(Duration.ofSeconds(60))) {
            throw new IllegalStateException("service did not reach RUNNING");
        }
        return this;
    }

    /**
     * Reads a topic's data records from the beginning (committed records only) until {@code done} holds for what was read, or the
     * timeout passes; then returns what was read.
     */
    public <K, V> List<ConsumerRecord<K, V>> read(String topic, Deserializer<K> keys, Deserializer<V> values,
                                                  Predicate<List<ConsumerRecord<K, V>>> done, Duration timeout) {
        Map<String, Object> props = new HashMap<>(config.kafkaClientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(props, keys, values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            while (!done.test(records) && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (!Watermarks.isMarker(r.key())) { // progress markers on usage and task-outcomes are not data
                        records.add(r);
                    }
                });
            }
        }
        return records;
    }

    /** Reads until {@code count} records arrived, then a little longer to catch any extra ones. */
    public <K, V> List<ConsumerRecord<K, V>> readExactly(String topic, Deserializer<K> keys, Deserializer<V> values, int count) {
        List<ConsumerRecord<K, V>> records = read(topic, keys, values, r -> r.size() >= count, Duration.ofSeconds(60));
        if (records.size() >= count) {
            return read(topic, keys, values, r -> false, Duration.ofSeconds(2));
        }
        return records;
    }

    public Map<String, Object> clientProperties() {
        return config.kafkaClientProperties();
    }

    @Override
    public void close() {
        service.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
