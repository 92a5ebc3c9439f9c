package io.tokenmeter.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.testing.TopologyHarness;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Pins the names of every processor, store and internal topic: renaming one orphans state in running deployments,
 * so it must be a deliberate act. To accept a change, run with -Dtokenmeter.topology.update=true and review the diff.
 */
class TopologyDescriptionTest {

    private static final String RESOURCE = "topology-description.txt";

    @Test
    void topologyNamesArePinned() throws IOException {
        String actual;
        try (TopologyHarness harness = new TopologyHarness()) {
            actual = harness.topology.describe().toString().strip() + "\n";
        }
        if (Boolean.getBoolean("tokenmeter.topology.update")) {
            Files.writeString(Path.of("src/test/resources", RESOURCE), actual);
            return;
        }
        String expected;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(RESOURCE)) {
            assertThat(in).as("pinned description src/test/resources/" + RESOURCE).isNotNull();
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(actual).isEqualTo(expected);
    }
}
