package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tokenmeter eventhubs-local`: how it splits input into events, and its one-line errors. */
class EventHubsLocalCommandTest {

    @Test
    void eachNonBlankLineIsOneEventWithItsBytesUnchanged() {
        byte[] input = "{\"a\":1}\r\n\n   \n{\"b\":\"é\"}\n\u0000\u00ff-not-json\n{\"last\":true}".getBytes(StandardCharsets.UTF_8);
        List<String> events = new ArrayList<>();
        long count = EventHubsLocalCommand.readLines(new ByteArrayInputStream(input), b -> events.add(new String(b, StandardCharsets.UTF_8)), null);
        assertThat(count).isEqualTo(4);
        assertThat(events).containsExactly("{\"a\":1}", "{\"b\":\"é\"}", "\u0000\u00ff-not-json", "{\"last\":true}");
    }

    @Test
    void aPortInUseIsOneLine() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            CliRun busy = CliRun.run("eventhubs-local", "--port", Integer.toString(taken.getLocalPort()), "--for", "1s");
            assertThat(busy.exit()).isEqualTo(1);
            assertThat(busy.err()).startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (")
                    .doesNotContain("\tat ").hasLineCount(1);
        }
    }

    @Test
    void aMissingEventsFileIsOneLine(@TempDir Path dir) {
        CliRun missing = CliRun.run("eventhubs-local", "--port", "0", "--events", dir.resolve("nope.jsonl").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("error: no such file: " + dir.resolve("nope.jsonl") + System.lineSeparator());
    }

    @Test
    void aPartitionCountOutOfRangeIsOneLine() {
        CliRun none = CliRun.run("eventhubs-local", "--port", "0", "--partitions", "0");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).isEqualTo("error: an event hub has 1 to 1024 partitions, not 0" + System.lineSeparator());
    }
}
