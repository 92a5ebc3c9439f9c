package io.tokenmeter.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker killed with SIGKILL while a transactional producer commits across many partitions, then started
 * again on the same data directory: every transaction the kill interrupted must end (committed by its markers, or
 * rolled back after its timeout), so exactly-once readers reach the end of every partition. Kafka 4.3 left such a
 * transaction open for ever when its coordinator resumed it before the restarted broker led the partitions again
 * (see {@code EmbeddedKafka#fenceCrashedIncarnation}); that hung Kafka Streams in REBALANCING after a crash.
 */
class EmbeddedKafkaCrashIT {

    private static final int KILLS = Integer.getInteger("kills", 4);

    @Test
    void everyTransactionInterruptedByAKillEndsAfterTheRestart(@TempDir Path dir) throws Exception {
        Path dataDir = dir.resolve("data");
        int port = freePort();
        List<TopicPartition> partitions = IntStream.range(0, TransactionLoop.PARTITIONS)
                .mapToObj(p -> new TopicPartition(TransactionLoop.TOPIC, p)).toList();
        for (int kill = 1; kill <= KILLS; kill++) {
            Path out = dir.resolve("loop-" + kill + ".out");
            Process loop = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"), TransactionLoop.class.getName(), dataDir.toString(), String.valueOf(port))
                    .redirectOutput(out.toFile()).redirectError(dir.resolve("loop-" + kill + ".err").toFile()).start();
            try {
                assertThat(awaitCommitting(out, loop)).as("the loop commits; its log is in %s", dir).isTrue();
                // a different point of the commit cycle each time
                Thread.sleep(250L * kill);
            } finally {
                loop.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }

            try (LogCapture skipped = LogCapture.of("kafka.coordinator.transaction.TransactionMarkerChannelManager", "likely deleted");
                 EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(dataDir).port(port).build().start(); Admin admin = kafka.admin()) {
                // the coordinator writes the markers of a transaction that was committing, and rolls back one that was
                // still open once its 5 s timeout has passed (checked every 10 s)
                Map<TopicPartition, String> unsettled = unsettled(admin, partitions);
                long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
                while (!unsettled.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                    unsettled = unsettled(admin, partitions);
                }
                // the race that leaves a transaction open for ever: its coordinator gave up on markers it could not place
                assertThat(skipped.messages()).as("markers skipped after restart %d of %d", kill, KILLS).isEmpty();
                assertThat(unsettled).as("partitions not settled %s after restart %d of %d", Duration.ofSeconds(45), kill, KILLS).isEmpty();
            }
        }
    }

    private static boolean awaitCommitting(Path out, Process loop) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline && loop.isAlive()) {
            if (Files.exists(out) && Files.readString(out, StandardCharsets.UTF_8).contains(TransactionLoop.COMMITTING)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * Partitions a read_committed reader cannot read to the end of, and why: a transaction still open (from its first
     * offset) or a last stable offset behind the end.
     */
    private static Map<TopicPartition, String> unsettled(Admin admin, List<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, String> unsettled = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
        admin.describeProducers(partitions).all().get(30, TimeUnit.SECONDS).forEach((partition, producers) -> producers.activeProducers()
                .stream().map(ProducerState::currentTransactionStartOffset).filter(OptionalLong::isPresent)
                .forEach(start -> unsettled.put(partition, "transaction open from offset " + start.getAsLong())));
        Map<TopicPartition, Long> stable = offsets(admin, partitions, IsolationLevel.READ_COMMITTED);
        Map<TopicPartition, Long> end = offsets(admin, partitions, IsolationLevel.READ_UNCOMMITTED);
        stable.forEach((partition, offset) -> {
            if (offset < end.get(partition)) {
                unsettled.putIfAbsent(partition, "last stable offset " + offset + " of " + end.get(partition));
            }
        });
        return unsettled;
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, IsolationLevel isolation) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(partition -> latest.put(partition, OffsetSpec.latest()));
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listOffsets(latest, new ListOffsetsOptions(isolation)).all().get(30, TimeUnit.SECONDS)
                .forEach((partition, info) -> offsets.put(partition, info.offset()));
        return offsets;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
