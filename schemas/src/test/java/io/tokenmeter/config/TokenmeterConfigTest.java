package io.tokenmeter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenmeterConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        TokenmeterConfig config = TokenmeterConfig.of(Map.of());
        assertThat(config.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(config.topicPrefix()).isEqualTo("tokenmeter.");
        assertThat(config.getString(TokenmeterConfig.PROCESSING_GUARANTEE)).isEqualTo("exactly_once_v2");
        assertThat(config.dedupHorizon()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenmeter.properties");
        Files.writeString(file, "bootstrap.servers=file:9092\ntopic.prefix=file.\napplication.id=from-file\n");
        Map<String, String> env = Map.of("TOKENMETER_BOOTSTRAP_SERVERS", "env:9092", "TOKENMETER_TOPIC_PREFIX", "env.");

        TokenmeterConfig config = TokenmeterConfig.load(file, env, Map.of("bootstrap.servers", "flag:9092"));

        assertThat(config.bootstrapServers()).isEqualTo("flag:9092");
        assertThat(config.topicPrefix()).isEqualTo("env.");
        assertThat(config.applicationId()).isEqualTo("from-file");
    }

    @Test
    void kafkaPassThroughKeysReachTheClientsAndSecretsAreMasked() {
        Map<String, String> env = Map.of("TOKENMETER_KAFKA_SASL_JAAS_CONFIG", "PlainLoginModule password=\"hunter2\";");
        TokenmeterConfig config = TokenmeterConfig.load(null, env,
                Map.of("kafka.security.protocol", "SASL_SSL", "schema.registry.basic.auth.user.info", "u:topsecret"));

        assertThat(config.kafkaClientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "PlainLoginModule password=\"hunter2\";")
                .containsEntry("bootstrap.servers", "localhost:9092");
        assertThat(config.describe()).doesNotContain("hunter2").doesNotContain("topsecret").contains("security.protocol=SASL_SSL");
        assertThat(config.registrySettings().basicAuthUserInfo()).isEqualTo("u:topsecret");
        assertThat(config.registrySettings().toString()).doesNotContain("topsecret");
    }

    @Test
    void deploymentTypesAreCheckedEntryByEntry() {
        TokenmeterConfig config = TokenmeterConfig.load(null, Map.of(), Map.of("azure.deployments", "chat=datazone@swedencentral, embed=GlobalStandard"));
        assertThat(config.getList(TokenmeterConfig.AZURE_DEPLOYMENTS)).containsExactly("chat=datazone@swedencentral", "embed=GlobalStandard");

        assertThatThrownBy(() -> TokenmeterConfig.load(null, Map.of(), Map.of("azure.deployments", "chat=datazone,chat-without-type")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("azure.deployments").hasMessageContaining("chat-without-type")
                .hasMessageContaining("DEPLOYMENT=TYPE[@REGION]");
    }

    @Test
    void attributionSourcesHaveDefaultsAnEnvironmentVariableAndAreChecked() {
        TokenmeterConfig defaults = TokenmeterConfig.of(Map.of());
        assertThat(defaults.getList("azure.attribution.tenant")).containsExactly("subscription");
        assertThat(defaults.getList("azure.attribution.agent")).containsExactly("header:x-agent-id", "dimension:agentId");

        TokenmeterConfig fromEnv = TokenmeterConfig.load(null, Map.of("TOKENMETER_AZURE_ATTRIBUTION_USE_CASE", "header:x-scenario,product"), Map.of());
        assertThat(fromEnv.getList("azure.attribution.use.case")).containsExactly("header:x-scenario", "product");

        assertThatThrownBy(() -> TokenmeterConfig.load(null, Map.of(), Map.of("azure.attribution.agent", "header:x-agent-id,cookie:agent")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("azure.attribution.agent").hasMessageContaining("cookie:agent")
                .hasMessageContaining("header:NAME or dimension:NAME");
    }

    @Test
    void invalidValuesAreRejectedNamingTheKey() {
        assertThatThrownBy(() -> TokenmeterConfig.load(null, Map.of(), Map.of("processing.guarantee", "maybe")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("processing.guarantee");
    }

    @Test
    void unreadableFileIsAClearError(@TempDir Path dir) {
        assertThatThrownBy(() -> TokenmeterConfig.load(dir.resolve("missing.properties"), Map.of(), Map.of()))
                .hasMessageContaining("cannot read configuration file");
    }

    @Test
    void environmentNamesFollowTheKeys() {
        assertThat(TokenmeterConfig.envName("schema.registry.url")).isEqualTo("TOKENMETER_SCHEMA_REGISTRY_URL");
    }

    @Test
    void webhookTargetsComeFromTheEnvironmentAndTheirUrlsAreNeverPrinted() {
        TokenmeterConfig config = TokenmeterConfig.load(null, java.util.Map.of(
                "TOKENMETER_PAGER_WEBHOOK_OPS_CHAT_URL", "https://hooks.slack.com/services/T0/B0/s3cr3t",
                "TOKENMETER_PAGER_WEBHOOK_OPS_CHAT_FORMAT", "slack",
                "TOKENMETER_PAGER_WEBHOOK_OPS_CHAT_MIN_SEVERITY", "WARNING",
                "TOKENMETER_PAGER_ALERTMANAGER_URL", "http://alertmanager:9093",
                "TOKENMETER_PAGER_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY"), java.util.Map.of());

        assertThat(config.originalsWithPrefix(TokenmeterConfig.PAGER_WEBHOOK_PREFIX)).containsEntry("ops-chat.url", "https://hooks.slack.com/services/T0/B0/s3cr3t")
                .containsEntry("ops-chat.format", "slack").containsEntry("ops-chat.min.severity", "WARNING");
        assertThat(config.getString(TokenmeterConfig.PAGER_ALERTMANAGER_URL)).isEqualTo("http://alertmanager:9093");
        assertThat(config.describe()).contains("pager.webhook.ops-chat.url=https://hooks.slack.com/...")
                .doesNotContain("s3cr3t").doesNotContain("R0UTINGKEY");
    }
}
