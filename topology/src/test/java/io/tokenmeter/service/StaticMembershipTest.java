package io.tokenmeter.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restart on the same state directory is the same group member; another state directory is another member. */
class StaticMembershipTest {

    private static final String MAIN_CONSUMER_INSTANCE_ID = "main.consumer.group.instance.id";
    private final TopicCatalog topics = new TopicCatalog("t.", new InMemorySchemaRegistry("static-membership"), 1);

    @Test
    void theInstanceIdIsKeptInTheStateDirectory(@TempDir Path dir) {
        String first = InstanceId.of(dir.resolve("state"), "tokenmeter");

        assertThat(first).startsWith("tokenmeter-");
        assertThat(InstanceId.of(dir.resolve("state"), "tokenmeter")).isEqualTo(first);
        assertThat(InstanceId.of(dir.resolve("other-state"), "tokenmeter")).isNotEqualTo(first);
        assertThat(InstanceId.of(dir.resolve("state"), "another-application")).startsWith("another-application-").isNotEqualTo(first);
    }

    @Test
    void aDamagedInstanceIdFileGivesANewIdInsteadOfFailingTheStart(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenmeter.instance-id"), "");

        String id = InstanceId.of(dir, "tokenmeter");

        assertThat(id).matches("tokenmeter-[0-9a-f-]{36}");
        assertThat(InstanceId.of(dir, "tokenmeter")).isEqualTo(id);
    }

    @Test
    void theMainConsumerIsAStaticMemberUnderTheInstanceId() {
        Properties props = StreamsDefaults.properties(TokenmeterConfig.of(Map.of()), topics, "tokenmeter-1234");

        assertThat(props).containsEntry(MAIN_CONSUMER_INSTANCE_ID, "tokenmeter-1234");
    }

    @Test
    void anInstanceIdOfTheOperatorWins() {
        Properties props = StreamsDefaults.properties(TokenmeterConfig.of(Map.of("kafka.group.instance.id", "pod-0")), topics, "tokenmeter-1234");

        assertThat(props).doesNotContainKey(MAIN_CONSUMER_INSTANCE_ID).containsEntry("group.instance.id", "pod-0");
    }

    @Test
    void theStreamsGroupProtocolHasNoStaticMembers() {
        Properties props = StreamsDefaults.properties(TokenmeterConfig.of(Map.of("kafka.group.protocol", "streams")), topics, "tokenmeter-1234");

        assertThat(props).doesNotContainKey(MAIN_CONSUMER_INSTANCE_ID);
    }

    @Test
    void theTopologyTestSettingsHaveNoMembership() {
        assertThat(StreamsDefaults.properties(TokenmeterConfig.of(Map.of()), topics)).doesNotContainKey(MAIN_CONSUMER_INSTANCE_ID);
    }
}
