package io.tokenmeter.embedded;

import java.nio.file.Path;

/**
 * The embedded default: a single-node KRaft broker and a schema registry in this process, sharing one data
 * directory (temporary unless given). What {@code tokenmeter demo}, {@code run --embedded} and the tests run on.
 */
public final class EmbeddedStack implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final EmbeddedSchemaRegistry registry;

    private EmbeddedStack(EmbeddedKafka kafka, EmbeddedSchemaRegistry registry) {
        this.kafka = kafka;
        this.registry = registry;
    }

    /**
     * Starts broker and registry.
     *
     * @param dataDir      kept across restarts; null for a temporary directory removed on close
     * @param kafkaPort    0 for a free port
     * @param registryPort 0 for a free port
     */
    public static EmbeddedStack start(Path dataDir, String host, int kafkaPort, int registryPort) {
        EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir).host(host).port(kafkaPort).build().start();
        try {
            // the journal lives beside the broker's logs: both go, or stay, together
            EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(kafka.dataDir().resolve("schemas.jsonl"), host, registryPort);
            return new EmbeddedStack(kafka, registry);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String registryUrl() {
        return registry.url();
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public Path dataDir() {
        return kafka.dataDir();
    }

    @Override
    public void close() {
        registry.close();
        kafka.close();
    }
}
