package io.tokenmeter.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends JSON lines to a topic with acks=all and idempotence. A line that is not one JSON document is reported with
 * its line number and not sent; blank lines are skipped. The bytes of a good line are sent exactly as read.
 */
public final class JsonLinesProducer {

    /** What happened to the lines of one input. */
    public record Result(long lines, long sent, long rejected, long failed, String firstFailure) {
        public boolean allSent() {
            return rejected == 0 && failed == 0;
        }
    }

    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final String keyField;
    private final Consumer<String> problems;

    /**
     * @param keyField a top-level field whose text becomes the record key, or null for no key
     * @param problems told about each rejected line, one message per line
     */
    public JsonLinesProducer(Producer<byte[], byte[]> producer, String topic, String keyField, Consumer<String> problems) {
        this.producer = producer;
        this.topic = topic;
        this.keyField = keyField;
        this.problems = problems;
    }

    /** Producer settings for this use: acks=all, idempotent, bounded waits so a dead broker fails in time. */
    public static Producer<byte[], byte[]> newProducer(Map<String, Object> clientProps) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 131_072);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public Result send(BufferedReader lines) throws IOException {
        long lineNumber = 0;
        long sent = 0;
        long rejected = 0;
        AtomicLong failed = new AtomicLong();
        AtomicLong acked = new AtomicLong();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        String line;
        while ((line = lines.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode doc;
            try {
                doc = json.readTree(line);
            } catch (JsonProcessingException e) {
                rejected++;
                problems.accept("line " + lineNumber + ": not JSON, not sent: " + e.getOriginalMessage());
                continue;
            }
            if (doc == null || doc.isMissingNode()) {
                rejected++;
                problems.accept("line " + lineNumber + ": not JSON, not sent");
                continue;
            }
            byte[] key = null;
            if (keyField != null && doc.hasNonNull(keyField)) {
                key = doc.get(keyField).asText().getBytes(StandardCharsets.UTF_8);
            }
            long number = lineNumber;
            producer.send(new ProducerRecord<>(topic, key, line.getBytes(StandardCharsets.UTF_8)), (metadata, error) -> {
                if (error == null) {
                    acked.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, "line " + number + ": " + error.getMessage());
                }
            });
            sent++;
        }
        producer.flush();
        return new Result(lineNumber, acked.get(), rejected, failed.get(), firstFailure.get());
    }
}
