package io.tokenmeter.it;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** A tokenmeter service a harness feeds and questions: where its broker, registry and HTTP API are. */
interface ServiceUnderTest extends AutoCloseable {

    String bootstrapServers();

    String registryUrl();

    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException;

    /**
     * The service as {@code run --embedded} runs it, but in this JVM, on an embedded stack the caller started (and has
     * already filled with topics and data): the same {@link StreamsService} on the same broker, without a second JVM
     * and broker start. Closing it stops the service and the stack.
     */
    final class InProcess implements ServiceUnderTest {

        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        private final EmbeddedStack stack;
        private final boolean ownsStack;
        private final StreamsService service;

        InProcess(EmbeddedStack stack, Path stateDir, Map<String, String> settings) {
            this(stack, stateDir, settings, true);
        }

        /** @param ownsStack whether closing this service also stops the stack (false for a second instance on it) */
        InProcess(EmbeddedStack stack, Path stateDir, Map<String, String> settings, boolean ownsStack) {
            this.stack = stack;
            this.ownsStack = ownsStack;
            Map<String, String> values = new HashMap<>(settings);
            values.put(TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            values.put(TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl());
            values.put(TokenmeterConfig.TOPIC_REPLICATION, "1");
            values.put(TokenmeterConfig.STATE_DIR, stateDir.toString());
            values.put(TokenmeterConfig.HTTP_PORT, "0");
            TokenmeterConfig config = TokenmeterConfig.load(null, Map.of(), values);
            TopicCatalog topics = new TopicCatalog(config.topicPrefix(), new HttpSchemaRegistry(stack.registryUrl(), RegistrySettings.DEFAULTS),
                    config.topicPartitions());
            this.service = new StreamsService(config, topics, Clock.systemUTC());
        }

        InProcess start(Duration timeout) throws InterruptedException {
            service.start();
            if (!service.awaitRunning(timeout)) {
                throw new IllegalStateException("the in-process service did not reach RUNNING within " + timeout);
            }
            return this;
        }

        @Override
        public String bootstrapServers() {
            return stack.bootstrapServers();
        }

        @Override
        public String registryUrl() {
            return stack.registryUrl();
        }

        @Override
        public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort() + pathAndQuery))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** How many partitions of {@code topic} this instance's stream threads hold as active tasks. */
        int hostedPartitions(String topic) {
            return (int) service.streams().metadataForLocalThreads().stream().flatMap(thread -> thread.activeTasks().stream())
                    .flatMap(task -> task.topicPartitions().stream()).filter(partition -> partition.topic().equals(topic)).count();
        }

        @Override
        public void close() {
            service.close();
            if (ownsStack) {
                stack.close();
            }
        }
    }
}
