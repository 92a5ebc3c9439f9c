package io.tokenmeter.cli;

import io.tokenmeter.config.TokenmeterConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of every command that talks to Kafka. Unset flags fall back to the config file, TOKENMETER_* variables, then defaults. */
final class KafkaOptions {

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka brokers (config bootstrap.servers, env TOKENMETER_BOOTSTRAP_SERVERS; default localhost:9092).")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Schema registry: http(s)://host:port or mock://scope (config schema.registry.url; default http://localhost:8081).")
    String schemaRegistry;

    @Option(names = "--topic-prefix", paramLabel = "PREFIX",
            description = "Prefix of every topic name (config topic.prefix; default 'tokenmeter.').")
    String topicPrefix;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with any tokenmeter setting (see `tokenmeter config`).")
    Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any setting, e.g. --set num.stream.threads=2 or --set kafka.security.protocol=SASL_SSL. Repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    /** The layered configuration with these flags on top, plus {@code extra} values the command itself decides. */
    TokenmeterConfig config(Map<String, String> extra) {
        Map<String, String> overrides = new LinkedHashMap<>(settings);
        put(overrides, TokenmeterConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        put(overrides, TokenmeterConfig.SCHEMA_REGISTRY_URL, schemaRegistry);
        put(overrides, TokenmeterConfig.TOPIC_PREFIX, topicPrefix);
        overrides.putAll(extra);
        return TokenmeterConfig.load(configFile, System.getenv(), overrides);
    }

    TokenmeterConfig config() {
        return config(Map.of());
    }

    private static void put(Map<String, String> values, String key, String value) {
        if (value != null) {
            values.put(key, value);
        }
    }
}
