package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.connect.mirror.IdentityReplicationPolicy;
import org.apache.kafka.connect.mirror.MirrorMakerConfig;
import org.apache.kafka.connect.mirror.MirrorSourceConnector;
import org.apache.kafka.connect.mirror.SourceAndTarget;
import org.junit.jupiter.api.Test;

/** deploy/mirrormaker2/eventhubs-to-kafka.properties read by MirrorMaker's own configuration class, as connect-mirror-maker.sh does. */
class MirrorMakerConfigTest {

    private static Map<String, String> file() throws IOException {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("..", "deploy", "mirrormaker2", "eventhubs-to-kafka.properties"))) {
            props.load(reader);
        }
        Map<String, String> values = new HashMap<>();
        props.forEach((k, v) -> values.put(k.toString(), v.toString()));
        return values;
    }

    @Test
    void copiesTheHubIntoIngestRawOneWayOverSaslSslWithTheConnectionStringFromTheEnvironment() throws IOException {
        Map<String, String> file = file();
        MirrorMakerConfig config = new MirrorMakerConfig(file);

        assertThat(config.clusterPairs()).containsExactly(new SourceAndTarget("eventhubs", "kafka"));
        Map<String, String> source = config.connectorBaseConfig(new SourceAndTarget("eventhubs", "kafka"), MirrorSourceConnector.class);
        assertThat(source).containsEntry("source.cluster.security.protocol", "SASL_SSL")
                .containsEntry("source.cluster.sasl.mechanism", "PLAIN")
                .containsEntry("topics", "tokenmeter\\.ingest\\.raw")
                .containsEntry("replication.policy.class", IdentityReplicationPolicy.class.getName())
                .containsEntry("offset-syncs.topic.location", "target");
        assertThat(source.get("source.cluster.sasl.jaas.config")).contains("username=\"$ConnectionString\"")
                .contains("password=\"${env:EVENTHUBS_CONNECTION_STRING}\"");
        assertThat(source.get("source.cluster.bootstrap.servers")).isEqualTo("${env:EVENTHUBS_NAMESPACE}.servicebus.windows.net:9093");
        // no secret is written into the file itself
        assertThat(file.values()).noneMatch(v -> v.contains("SharedAccessKey="));
    }

    @Test
    void theIdentityPolicyKeepsTheHubsNameSoItLandsInIngestRaw() {
        assertThat(new IdentityReplicationPolicy().formatRemoteTopic("eventhubs", "tokenmeter.ingest.raw")).isEqualTo("tokenmeter.ingest.raw");
    }
}
