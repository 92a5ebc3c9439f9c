package io.tokenmeter.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * A Java Flight Recorder profile of this process, summarised as where the CPU samples land: by component
 * (Kafka broker, clients, Streams, RocksDB, Avro, Jackson, tokenmeter, JDK) and by hottest methods.
 */
public final class Profile implements AutoCloseable {

    /** Share of samples in one place. */
    public record Share(String name, long samples, double percent) {
    }

    /** The summary: total samples, by component, by top frame. */
    public record Summary(long samples, List<Share> components, List<Share> methods) {
    }

    private static final Map<String, String> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("org.rocksdb.", "RocksDB (JNI)");
        COMPONENTS.put("org.apache.kafka.streams.", "Kafka Streams");
        COMPONENTS.put("org.apache.kafka.clients.producer.", "Kafka producer");
        COMPONENTS.put("org.apache.kafka.clients.consumer.", "Kafka consumer");
        COMPONENTS.put("org.apache.kafka.common.record.", "Kafka record batches (compression, CRC)");
        COMPONENTS.put("org.apache.kafka.common.compress.", "Kafka record batches (compression, CRC)");
        COMPONENTS.put("net.jpountz.", "Kafka record batches (compression, CRC)");
        COMPONENTS.put("kafka.", "Kafka broker");
        COMPONENTS.put("org.apache.kafka.storage.", "Kafka broker");
        COMPONENTS.put("org.apache.kafka.server.", "Kafka broker");
        COMPONENTS.put("org.apache.kafka.raft.", "Kafka broker");
        COMPONENTS.put("org.apache.kafka.coordinator.", "Kafka broker");
        COMPONENTS.put("org.apache.kafka.common.network.", "Kafka network");
        COMPONENTS.put("org.apache.kafka.", "Kafka other");
        COMPONENTS.put("org.apache.avro.", "Avro");
        COMPONENTS.put("com.fasterxml.jackson.", "Jackson (JSON)");
        COMPONENTS.put("io.micrometer.", "Micrometer");
        COMPONENTS.put("io.tokenmeter.", "tokenmeter");
        COMPONENTS.put("sun.nio.", "JDK I/O");
        COMPONENTS.put("java.", "JDK");
        COMPONENTS.put("jdk.", "JDK");
        COMPONENTS.put("sun.", "JDK");
    }

    private final Recording recording;
    private final Path file;

    private Profile(Recording recording, Path file) {
        this.recording = recording;
        this.file = file;
    }

    static Profile start() throws IOException, ParseException {
        Recording recording = new Recording(Configuration.getConfiguration("profile"));
        recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(10));
        recording.start();
        return new Profile(recording, Files.createTempFile("tokenmeter-bench-", ".jfr"));
    }

    Summary stop(int top) throws IOException {
        recording.stop();
        recording.dump(file);
        Map<String, Long> byComponent = new HashMap<>();
        Map<String, Long> byMethod = new HashMap<>();
        long total = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            total++;
            RecordedFrame topFrame = stack.getFrames().get(0);
            String method = topFrame.getMethod().getType().getName() + "." + topFrame.getMethod().getName();
            byMethod.merge(method, 1L, Long::sum);
            byComponent.merge(component(stack), 1L, Long::sum);
        }
        return new Summary(total, shares(byComponent, total, 20), shares(byMethod, total, top));
    }

    /** The component of the innermost frame that belongs to a known library, so JDK helpers count for their caller. */
    private static String component(RecordedStackTrace stack) {
        String fallback = null;
        for (RecordedFrame frame : stack.getFrames()) {
            String type = frame.getMethod().getType().getName();
            for (Map.Entry<String, String> c : COMPONENTS.entrySet()) {
                if (type.startsWith(c.getKey())) {
                    if (!c.getValue().startsWith("JDK")) {
                        return c.getValue();
                    }
                    if (fallback == null) {
                        fallback = c.getValue();
                    }
                    break;
                }
            }
        }
        return fallback == null ? "other" : fallback;
    }

    private static List<Share> shares(Map<String, Long> counts, long total, int limit) {
        List<Share> shares = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(limit)
                .forEach(e -> shares.add(new Share(e.getKey(), e.getValue(), total == 0 ? 0 : 100.0 * e.getValue() / total)));
        return shares;
    }

    @Override
    public void close() throws IOException {
        recording.close();
        Files.deleteIfExists(file);
    }
}
